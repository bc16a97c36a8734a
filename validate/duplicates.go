package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Duplicates returns a problem for every object of sources that has the
// API group, kind, namespace and name of an earlier one, in this source or
// an earlier one: the API server holds one object per name, so one of the
// two would silently replace the other (kubectl apply applies the last).
// Versions do not count (apps/v1 and apps/v1beta1 name the same object).
// Objects without a kind or a name, and documents that do not decode, are
// left to [Validator.ValidateStream], which reports them.
func Duplicates(sources []Source) []Problem {
	type key struct{ group, kind, namespace, name string }
	first := map[key]Problem{}
	var out []Problem
	for _, s := range sources {
		for _, d := range decodeStream(s.Data) {
			if d.obj == nil || d.obj.GetKind() == "" || d.obj.GetName() == "" {
				continue
			}
			gvk := d.obj.GroupVersionKind()
			k := key{gvk.Group, gvk.Kind, d.obj.GetNamespace(), d.obj.GetName()}
			p := Problem{
				File: s.Name, Document: d.doc, Line: d.line, Item: d.item,
				APIVersion: d.obj.GetAPIVersion(), Kind: gvk.Kind, Namespace: k.namespace, Name: k.name,
				Field: "metadata.name", Type: string(field.ErrorTypeDuplicate),
			}
			if f, ok := first[k]; ok {
				p.Message = fmt.Sprintf("Duplicate value: %q: the same group, kind, namespace and name as %s", k.name, f.Location())
				out = append(out, p)
				continue
			}
			first[k] = p
		}
	}
	return out
}
