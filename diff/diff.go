// Package diff compares two renders of an environment object by object,
// for review: the objects added, removed and changed, each changed one with
// the paths of its changed fields and a unified diff of its YAML.
//
//	res, err := diff.Objects(base, head)
//	text := res.Unified() // for a PR comment
//	js, err := json.Marshal(res)
//
// Objects are matched by group, kind, namespace and name (not by API
// version) and listed in that order, so the same two renders always give
// the same bytes. The wording of the text is not part of the API.
package diff

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Status says how an object differs between the two renders.
type Status string

// The statuses of an [Object].
const (
	Added     Status = "added"
	Removed   Status = "removed"
	Changed   Status = "changed"
	Unchanged Status = "unchanged"
)

// Object is one object of either render and how it differs.
type Object struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Status    Status `json:"status"`
	// Fields are the paths of the fields that differ, for a changed object:
	// a field present in one render only, a value that differs, or a list
	// whose length differs.
	Fields []string `json:"fields,omitempty"`
	// Diff is the unified diff of the object's YAML; empty when unchanged.
	Diff string `json:"diff,omitempty"`
}

// ID is the object's [group/]Kind/[namespace/]name, as prenv names objects
// in its messages.
func (o Object) ID() string {
	var b strings.Builder
	if o.Group != "" {
		b.WriteString(o.Group + "/")
	}
	b.WriteString(o.Kind + "/")
	if o.Namespace != "" {
		b.WriteString(o.Namespace + "/")
	}
	b.WriteString(o.Name)
	return b.String()
}

// Result is the difference between two renders.
type Result struct {
	Added     int `json:"added"`
	Removed   int `json:"removed"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	// Objects lists every object of either render, sorted by group, kind,
	// namespace and name.
	Objects []Object `json:"objects"`
}

// Empty reports whether the renders hold the same objects.
func (r *Result) Empty() bool { return r.Added+r.Removed+r.Changed == 0 }

// DuplicateError is an object that occurs twice in one render, which
// makes the comparison ambiguous.
type DuplicateError struct {
	// Side is "base" or "head".
	Side string
	ID   string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("the %s render holds %s twice", e.Side, e.ID)
}

type key struct{ group, kind, namespace, name string }

func keyOf(o *unstructured.Unstructured) key {
	gvk := o.GroupVersionKind()
	return key{gvk.Group, gvk.Kind, o.GetNamespace(), o.GetName()}
}

func index(side string, objs []*unstructured.Unstructured) (map[key]*unstructured.Unstructured, error) {
	m := make(map[key]*unstructured.Unstructured, len(objs))
	for _, o := range objs {
		k := keyOf(o)
		if _, dup := m[k]; dup {
			return nil, &DuplicateError{Side: side, ID: Object{Group: k.group, Kind: k.kind, Namespace: k.namespace, Name: k.name}.ID()}
		}
		m[k] = o
	}
	return m, nil
}

// Objects compares the base render with the head render.
func Objects(base, head []*unstructured.Unstructured) (*Result, error) {
	b, err := index("base", base)
	if err != nil {
		return nil, err
	}
	h, err := index("head", head)
	if err != nil {
		return nil, err
	}
	keys := make([]key, 0, len(b)+len(h))
	for k := range b {
		keys = append(keys, k)
	}
	for k := range h {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, c := keys[i], keys[j]
		if a.group != c.group {
			return a.group < c.group
		}
		if a.kind != c.kind {
			return a.kind < c.kind
		}
		if a.namespace != c.namespace {
			return a.namespace < c.namespace
		}
		return a.name < c.name
	})
	res := &Result{Objects: []Object{}}
	for _, k := range keys {
		o := Object{Group: k.group, Kind: k.kind, Namespace: k.namespace, Name: k.name}
		bo, ho := b[k], h[k]
		var bm, hm map[string]any
		switch {
		case ho == nil:
			o.Status, bm = Removed, bo.Object
			res.Removed++
		case bo == nil:
			o.Status, hm = Added, ho.Object
			res.Added++
		default:
			bm, hm = bo.Object, ho.Object
			o.Fields = changedFields(bm, hm, nil)
			if len(o.Fields) == 0 {
				o.Status = Unchanged
				res.Unchanged++
				res.Objects = append(res.Objects, o)
				continue
			}
			o.Status = Changed
			res.Changed++
		}
		d, err := unified(o, bm, hm)
		if err != nil {
			return nil, err
		}
		o.Diff = d
		res.Objects = append(res.Objects, o)
	}
	return res, nil
}

// unified is the unified diff of an object's YAML, with three lines of
// context; a nil side is the empty file (/dev/null), as git shows an added
// or removed file.
func unified(o Object, base, head map[string]any) (string, error) {
	lines := func(m map[string]any) ([]string, error) {
		if m == nil {
			return nil, nil
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.ID(), err)
		}
		l := strings.SplitAfter(string(y), "\n")
		if l[len(l)-1] == "" {
			l = l[:len(l)-1]
		}
		return l, nil
	}
	a, err := lines(base)
	if err != nil {
		return "", err
	}
	b, err := lines(head)
	if err != nil {
		return "", err
	}
	from, to := "a/"+o.ID(), "b/"+o.ID()
	if base == nil {
		from = "/dev/null"
	}
	if head == nil {
		to = "/dev/null"
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: a, B: b, FromFile: from, ToFile: to, Context: 3})
}

// changedFields lists the paths under p where a and b differ: a key in one
// only, a scalar that differs, or a list whose length differs (lists of the
// same length are compared element by element).
func changedFields(a, b any, p *field.Path) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			av, ina := am[k]
			bv, inb := bm[k]
			kp := child(p, k)
			if !ina || !inb {
				out = append(out, kp.String())
				continue
			}
			out = append(out, changedFields(av, bv, kp)...)
		}
		return out
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		var out []string
		for i := range al {
			out = append(out, changedFields(al[i], bl[i], indexPath(p, i))...)
		}
		return out
	}
	if reflect.DeepEqual(a, b) {
		return nil
	}
	return []string{p.String()}
}

// child is p's field k; a key that is not a plain name (a label such as
// prenv.dev/pr) is written as [key], as apimachinery writes map keys.
func child(p *field.Path, k string) *field.Path {
	plain := k != "" && !strings.ContainsAny(k, "./[] ")
	switch {
	case p == nil && plain:
		return field.NewPath(k)
	case p == nil:
		return field.NewPath("").Key(k)
	case plain:
		return p.Child(k)
	}
	return p.Key(k)
}

func indexPath(p *field.Path, i int) *field.Path {
	if p == nil {
		return field.NewPath("").Index(i)
	}
	return p.Index(i)
}

// Unified is the text of the comparison for a pull-request comment: the
// unified diff of every added, removed and changed object, in the order of
// Objects, then a summary line.
func (r *Result) Unified() []byte {
	var b bytes.Buffer
	for _, o := range r.Objects {
		if o.Status == Unchanged {
			continue
		}
		b.WriteString(o.Diff)
	}
	fmt.Fprintf(&b, "%d added, %d removed, %d changed, %d unchanged\n", r.Added, r.Removed, r.Changed, r.Unchanged)
	return b.Bytes()
}
