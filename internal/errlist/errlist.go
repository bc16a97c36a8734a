// Package errlist formats lists of field errors the one way prenv prints
// them: a headline, the count, and one indented line per problem.
package errlist

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Format formats a headline, the number of problems and one indented
// line per problem.
func Format(head string, errs field.ErrorList) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem", head, len(errs))
	if len(errs) != 1 {
		b.WriteString("s")
	}
	for _, fe := range errs {
		b.WriteString("\n  ")
		b.WriteString(fe.Error())
	}
	return b.String()
}
