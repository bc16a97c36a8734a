package placeholders

import "testing"

// TestExpand: the parameters' placeholders in either form become the
// goTemplate form; anything else between {{ and }} is an error.
func TestExpand(t *testing.T) {
	tests := map[string]struct {
		in, want string
		err      bool
	}{
		"none":          {"envs/web", "envs/web", false},
		"fasttemplate":  {"pr-{{number}}", "pr-{{ .number }}", false},
		"go template":   {"pr-{{ .number }}-{{.head_sha}}", "pr-{{ .number }}-{{ .head_sha }}", false},
		"spaces":        {"{{   branch_slug   }}", "{{ .branch_slug }}", false},
		"unknown":       {"{{nope}}", "", true},
		"labels":        {"{{ .labels }}", "", true},
		"pipeline":      {"{{ .number | quote }}", "", true},
		"lone braces":   {"a{{b", "", true},
		"closing":       {"a}}b", "", true},
		"trim markers":  {"{{- .number -}}", "", true},
		"function call": {`{{ printf "%s" .number }}`, "", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Expand(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("Expand(%q) = %q, %v", tc.in, got, err)
			}
		})
	}
}
