package fence

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// WriteNamespaces writes m's namespace into every object of objs that has
// none and is not of a cluster-scoped kind ([spec.IsClusterScoped]): kubectl
// and helm put an object without metadata.namespace into their current
// namespace (often "default"), not the env's. It changes objs in place and
// leaves an object that names another namespace as it is, for
// [CheckObjects] to refuse. render.Render, render.Sync and `render env` run
// it before the final checks; a library caller that shapes objects itself
// runs it too, as CheckObjects refuses a namespaced object without
// namespace.
func WriteNamespaces(m *plan.Model, objs []*unstructured.Unstructured) {
	if m == nil {
		return
	}
	for _, o := range objs {
		if o == nil || o.Object == nil || o.GetNamespace() != "" {
			continue
		}
		gvk := o.GroupVersionKind()
		if spec.IsClusterScoped(spec.GroupKind{Group: gvk.Group, Kind: gvk.Kind}) {
			continue
		}
		o.SetNamespace(m.Namespace)
	}
}

// items refuses an object with a top-level items list (kind List, any
// *List kind, or any other object that has one): Argo CD and kubectl
// unwrap a list into the objects it holds, which would then reach the
// cluster without the final checks. It reports whether o has items.
func (c *objectChecker) items(o *unstructured.Unstructured, ref ObjectRef) bool {
	if _, ok := o.Object["items"]; !ok {
		return false
	}
	c.add(ref, field.Forbidden(field.NewPath("items"), fmt.Sprintf("%s holds a list of objects, which Argo CD and kubectl unwrap: list each object on its own, so that the final checks see it", ref.Kind)))
	return true
}
