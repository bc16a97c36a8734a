package awsrules

import (
	"strings"
)

// StatementID turns a logical name into an IAM statement ID part: "user-events" -> "UserEvents".
func StatementID(logical string) string {
	var b strings.Builder
	up := true
	for _, r := range logical {
		if r == '-' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}
