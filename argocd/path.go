package argocd

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// UnsafePathError reports a generated Application whose source path, as
// Argo CD executes the template for the pull request, would not name a
// folder inside the repository of its own: it is empty or absolute, has a
// ".." or an empty segment, or holds control characters. The pull
// request's free text (a branch, a title) or an empty branch_slug shaped
// it, and Argo CD would read another folder of the repository (for
// example another team's, or another pull request's).
type UnsafePathError struct {
	// Number is the pull request's.
	Number int
	// Field is the path's field in the Application: spec.source.path or
	// spec.sources[i].path.
	Field string
	// Template is the ApplicationSet's template of the field.
	Template string
	// Path is the path the template gives for the pull request.
	Path string
	// Reason says what is wrong with it.
	Reason string
}

func (e *UnsafePathError) Error() string {
	return fmt.Sprintf("for pull request %d the template %q gives %s %q, which %s; prenv refuses it. Build the path from {{number}} (and {{branch_slug}} at most), never from the raw branch, title or author",
		e.Number, e.Template, e.Field, e.Path, e.Reason)
}

// CheckPath returns why a repository path generated for a pull request is
// unsafe, or "" when it is a relative path inside the repository: "." (the
// root, which the plugin flow uses) or segments that are neither empty nor
// "..", without control characters.
func CheckPath(p string) string {
	switch {
	case p == ".":
		return ""
	case p == "":
		return "is empty: the repository root, every pull request's manifests"
	case strings.HasPrefix(p, "/"):
		return "is absolute"
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }):
		return "holds control characters"
	}
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "..":
			return "leaves its folder ('..')"
		case "":
			return "has an empty segment (Argo CD would read the folder without it)"
		}
	}
	return ""
}

// sourcePaths returns the source paths of an Application (or of an
// ApplicationSet's template spec), by field.
func sourcePaths(spec map[string]any) map[string]string {
	out := map[string]string{}
	if p, ok, _ := unstructured.NestedString(spec, "source", "path"); ok {
		out["spec.source.path"] = p
	}
	if srcs, ok, _ := unstructured.NestedSlice(spec, "sources"); ok {
		for i, s := range srcs {
			if m, ok := s.(map[string]any); ok {
				if p, ok, _ := unstructured.NestedString(m, "path"); ok {
					out[fmt.Sprintf("spec.sources[%d].path", i)] = p
				}
			}
		}
	}
	return out
}

// checkSourcePaths checks every source path of the Application generated
// from appSet for pr.
func checkSourcePaths(appSet, app *unstructured.Unstructured, pr PullRequest) *UnsafePathError {
	spec, _, _ := unstructured.NestedMap(app.Object, "spec")
	tmplSpec, _, _ := unstructured.NestedMap(appSet.Object, "spec", "template", "spec")
	templates := sourcePaths(tmplSpec)
	paths := sourcePaths(spec)
	for _, f := range slices.Sorted(maps.Keys(paths)) {
		if why := CheckPath(paths[f]); why != "" {
			return &UnsafePathError{Number: pr.Number, Field: f, Template: templates[f], Path: paths[f], Reason: why}
		}
	}
	return nil
}
