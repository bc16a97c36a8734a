// Package placeholders reads the placeholders of a spec string that name a
// parameter of Argo CD's pull-request generator ({{number}},
// {{ .head_sha }}): which it uses ([Names]), its goTemplate form for the
// ApplicationSet ([Expand]), and the string with every placeholder
// replaced ([Fill]).
package placeholders

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// PRParams are the parameters Argo CD's pull-request generator gives each
// pull request, in the order its documentation lists them. All are strings
// except labels, a list (goTemplate only).
var PRParams = []string{
	"number", "title", "branch", "branch_slug", "target_branch", "target_branch_slug",
	"head_sha", "head_short_sha", "head_short_sha_7", "labels", "author",
}

// placeholderRE matches a placeholder in either form: {{number}} (Argo CD's
// fasttemplate form) or {{ .number }} (its goTemplate form).
var placeholderRE = regexp.MustCompile(`\{\{\s*(\.?)([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// Expand turns the placeholders of a spec string ({{number}} or
// {{ .number }}, naming a pull-request generator parameter) into the
// goTemplate form the ApplicationSet uses, {{ .number }}. Anything else
// between {{ and }} (pipelines, functions, unknown or list parameters) is an
// error, so a spec string can only ever substitute parameters.
func Expand(s string) (string, error) {
	var bad []string
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[2]
		if !slices.Contains(PRParams, name) || name == "labels" {
			bad = append(bad, name)
			return ""
		}
		return "{{ ." + name + " }}"
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("unknown placeholder %s: the placeholders are the pull-request generator's parameters %s", strings.Join(quoteAll(bad), ", "), strings.Join(stringParams(), ", "))
	}
	rest := placeholderRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return "", fmt.Errorf("only placeholders of the form {{name}} or {{ .name }} may appear between {{ and }}")
	}
	return out, nil
}

// Names lists the parameter names a spec string's placeholders name, in
// the order they first appear, each once.
func Names(s string) []string {
	var names []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(names, m[2]) {
			names = append(names, m[2])
		}
	}
	return names
}

// stringParams are the parameters of PRParams that are strings.
func stringParams() []string {
	var out []string
	for _, p := range PRParams {
		if p != "labels" {
			out = append(out, p)
		}
	}
	return out
}

// quoteAll quotes each of ss as Go does.
func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// Fill replaces every {{placeholder}} of s with v, as prenv does
// for the PR number in a database migrations image.
func Fill(s, v string) string { return placeholderRE.ReplaceAllString(s, v) }
