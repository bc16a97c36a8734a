package apiserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

// repoRoot is the prenv repository's root folder.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// client returns the admin client of the running control plane.
func client(t testing.TB) *cluster.Client { return env.Client(t) }

// embeddedValidator is the validator `render env` uses without --crds:
// prenv's embedded schemas. One per test binary: it compiles schemas once.
var embeddedValidator = sync.OnceValues(func() (*validate.Validator, error) {
	return validate.New(context.Background(), validate.Options{})
})

func validator(t testing.TB) *validate.Validator {
	t.Helper()
	v, err := embeddedValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// loadSpec reads examples/<name>/prenv.yaml with overrides, as
// `render env -f ... --set ...` does.
func loadSpec(t testing.TB, example string, overrides ...spec.Override) *spec.PreviewEnvironment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", example, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := spec.Load(data, overrides...)
	if err != nil {
		t.Fatalf("%s: %v", example, err)
	}
	return spec
}

// printed returns objs as `render env` prints them, read back: the bytes a
// user applies.
func printed(t testing.TB, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	y, err := manifest.Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := validate.DecodeObjects("render env", y)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustValidate fails the test when prenv's validation (as `render env` runs
// it before printing) refuses objs, with old as --previous.
func mustValidate(t testing.TB, objs, old []*unstructured.Unstructured) {
	t.Helper()
	res, err := validator(t).ValidateObjects(context.Background(), objs, old)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("render env would refuse its own output: %s", p)
	}
}

// subsetDiff lists where got does not hold want: every field of want must be
// in got with the same value. Maps may have more keys in got (fields the
// server sets or defaults); lists must have the same length, item by item.
// Numbers compare by value (JSON decoding gives int64 or float64).
func subsetDiff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: rendered an object, stored %s", path, describe(got))}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s: rendered %s, not stored", join(path, k), describe(w[k])))
				continue
			}
			out = append(out, subsetDiff(join(path, k), w[k], gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: rendered a list, stored %s", path, describe(got))}
		}
		if len(g) != len(w) {
			return []string{fmt.Sprintf("%s: rendered %d items, stored %d", path, len(w), len(g))}
		}
		var out []string
		for i := range w {
			out = append(out, subsetDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if wn, ok := number(want); ok {
			if gn, ok := number(got); ok && wn == gn {
				return nil
			}
		} else if reflect.DeepEqual(want, got) {
			return nil
		}
		return []string{fmt.Sprintf("%s: rendered %s, stored %s", path, describe(want), describe(got))}
	}
}

// extraFields lists the fields of got that want does not have, as paths
// ("metadata.uid", "spec.containers[].name"), sorted: where a map key is
// missing from want, its path, without going deeper.
func extraFields(want, got any) []string {
	var out []string
	var walk func(path string, want, got any)
	walk = func(path string, want, got any) {
		switch g := got.(type) {
		case map[string]any:
			w, _ := want.(map[string]any)
			for k, v := range g {
				wv, ok := w[k]
				if !ok {
					out = append(out, join(path, k))
					continue
				}
				walk(join(path, k), wv, v)
			}
		case []any:
			w, _ := want.([]any)
			for i := range min(len(g), len(w)) {
				walk(path+"[]", w[i], g[i])
			}
		}
	}
	walk("", want, got)
	sort.Strings(out)
	return slices.Compact(out)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T %v", v, v)
}

// objectName is "Kind[.group] namespace/name" for messages.
func objectName(u *unstructured.Unstructured) string {
	return cluster.KeyOf(u).String()
}

// kindCounts counts objects by "Kind[.group]".
func kindCounts(keys []cluster.ObjectKey) map[string]int {
	m := map[string]int{}
	for _, k := range keys {
		gk := k.Kind
		if k.Group != "" {
			gk += "." + k.Group
		}
		m[gk]++
	}
	return m
}

// firstLine shortens an error message for a table row.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
