package bounded

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCheckYAMLExpansion(t *testing.T) {
	var text strings.Builder
	text.WriteString("a: &b \"" + strings.Repeat("x", 900_000) + "\"\nc:\n")
	for i := range 300 {
		fmt.Fprintf(&text, "  k%d: *b\n", i)
	}
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	for name, tc := range map[string]struct {
		data string
		bad  bool
	}{
		"plain values":                   {"image: {tag: \"1\"}\nreplicas: 2\n", false},
		"a few aliases":                  {"a: &x {b: 1}\nc: *x\nd: *x\n", false},
		"a long string aliased":          {text.String(), true},
		"ten billion values":             {bomb.String(), true},
		"several documents":              {"a: 1\n---\nb: 2\n", false},
		"not YAML is left to the reader": {"a: [\n", false},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := CheckYAMLExpansion("values.yaml", []byte(tc.data))
			var tl *YAMLTooLargeError
			if tc.bad != errors.As(err, &tl) {
				t.Fatalf("err = %v, want too large: %v", err, tc.bad)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
