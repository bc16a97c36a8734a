package fence

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/kinds"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// Argo CD's and Helm's annotations that decide an object's life cycle:
// whether it is a resource or a hook that runs and is deleted (Argo CD
// docs, "Resource Hooks"; Helm docs, "Chart Hooks"), when it syncs ("Sync
// Phases and Waves"), whether it is pruned or deleted with the app ("Sync
// Options": Prune=false, Delete=false), whether Argo CD compares it
// ("Compare Options": IgnoreExtraneous), and whether Helm keeps it when the
// release goes ("helm.sh/resource-policy: keep").
const (
	annotationHook           = "argocd.argoproj.io/hook"
	annotationHookDelete     = "argocd.argoproj.io/hook-delete-policy"
	annotationSyncOptions    = "argocd.argoproj.io/sync-options"
	annotationCompareOptions = "argocd.argoproj.io/compare-options"
	annotationHelmPolicy     = "helm.sh/resource-policy"
	annotationHelmHook       = "helm.sh/hook"
	// helmHookPrefix covers helm.sh/hook, helm.sh/hook-weight and
	// helm.sh/hook-delete-policy.
	helmHookPrefix = "helm.sh/hook"
	// prenvPrefix is prenv's own label and annotation group.
	prenvPrefix = "prenv.dev/"
)

// lifecycleWhy says why an annotation or label of prenv's own objects must
// stay as prenv renders it; "" for a key that is not prenv's to keep.
func lifecycleWhy(k string) string {
	switch {
	case k == annotationHook || k == annotationHookDelete:
		return "it decides whether the object is a resource of the env or a hook Argo CD runs and deletes, or skips: a resource made a hook is gone after the sync, a hook made a resource no longer runs when it must"
	case k == annotationSyncOptions:
		return "sync options such as Prune=false or Delete=false would leave it behind when the pull request closes"
	case k == annotationCompareOptions:
		return "compare options such as IgnoreExtraneous would hide it from Argo CD's diff"
	case k == spec.AnnotationSyncWave:
		return "prenv syncs the env's namespace, bounds and identity before the app"
	case strings.HasPrefix(k, helmHookPrefix):
		return "a Helm hook is not part of the release: helm and helmfile would run it outside the release and never delete it with the env"
	case k == annotationHelmPolicy:
		return "resource-policy keep would leave it behind when the release is deleted"
	case strings.HasPrefix(k, prenvPrefix) || k == spec.LabelManagedBy:
		return "render leftovers and the env's NetworkPolicies trust prenv's labels and annotations to say which env an object belongs to"
	}
	return ""
}

// ownObjects returns prenv's own objects of the model by reference: rules.Own,
// or the embedded kit's render of the model when the caller gave none.
func (c *objectChecker) ownObjects() map[ObjectRef]*unstructured.Unstructured {
	if c.ownCache != nil {
		return c.ownCache
	}
	c.ownCache = map[ObjectRef]*unstructured.Unstructured{}
	objs := c.rules.Own
	if objs == nil {
		var err error
		if objs, err = OwnObjects(context.Background(), c.m); err != nil {
			c.add(ObjectRef{}, field.InternalError(field.NewPath("model"), err))
			return c.ownCache
		}
	}
	for _, o := range objs {
		if o != nil {
			c.ownCache[RefOf(o)] = o
		}
	}
	return c.ownCache
}

// OwnObjects returns prenv's own objects of m, as prenv's embedded template
// kit renders them (without the caller's templates): what
// [ObjectRules].Own takes. Errors: a kit that does not load or run, a bug
// in prenv.
func OwnObjects(ctx context.Context, m *plan.Model) ([]*unstructured.Unstructured, error) {
	k, err := kit.LoadEnvKit(nil)
	if err != nil {
		return nil, err
	}
	return k.ExecuteModel(ctx, m)
}

// ownMetadata keeps what decides the life of prenv's own objects as prenv
// renders it: Argo CD's and Helm's life-cycle annotations ([lifecycleWhy]),
// absent staying absent, and prenv's prenv.dev/ labels and annotations and
// its managed-by label. The app's objects may carry prenv.dev/ labels and
// annotations only with the env's own values.
func (c *objectChecker) ownMetadata(o *unstructured.Unstructured, ref ObjectRef) {
	own, ok := c.ownObjects()[ref]
	if !ok {
		c.appMetadata(o, ref)
		return
	}
	if own == o {
		// The object is prenv's own itself (render.SyncFiles passes the
		// embedded kit's objects as they are): it keeps all it has.
		return
	}
	skip := c.checkedElsewhere(ref)
	ap, lp := field.NewPath("metadata", "annotations"), field.NewPath("metadata", "labels")
	c.keepKeys(ref, ap, c.annotations(o), own.GetAnnotations(), true, func(k string) bool {
		return lifecycleWhy(k) != "" && !skip[ap.Key(k).String()]
	}, lifecycleWhy)
	c.keepKeys(ref, lp, c.labels(o), own.GetLabels(), true, func(k string) bool {
		return (strings.HasPrefix(k, prenvPrefix) || k == spec.LabelManagedBy) && !skip[lp.Key(k).String()]
	}, lifecycleWhy)
	// An owner reference makes the garbage collector delete the object
	// with its owner, at once when no owner of that UID exists; a
	// finalizer nobody removes keeps it, and the Namespace, from ever
	// going (Kubernetes docs, "Owners and Dependents", "Finalizers").
	for _, k := range []string{"ownerReferences", "finalizers"} {
		got, _, _ := unstructured.NestedFieldNoCopy(o.Object, "metadata", k)
		want, _, _ := unstructured.NestedFieldNoCopy(own.Object, "metadata", k)
		if !reflect.DeepEqual(normJSON(got), normJSON(want)) {
			c.add(ref, field.Forbidden(field.NewPath("metadata", k), "prenv's own objects have none: the garbage collector would delete the object with an owner (at once, when no owner of that UID exists), and a finalizer nobody removes keeps it and the env's Namespace from ever going"))
		}
	}
}

// keepKeys keeps the keys of got that keep selects as want has them: a key
// want lacks is forbidden, another value invalid and, when required, a key
// of want that got lacks is missing; why(k) says why.
func (c *objectChecker) keepKeys(ref ObjectRef, p *field.Path, got, want map[string]string, required bool, keep func(string) bool, why func(string) string) {
	keys := slices.Sorted(maps.Keys(got))
	if required {
		for _, k := range slices.Sorted(maps.Keys(want)) {
			if _, ok := got[k]; !ok {
				keys = append(keys, k)
			}
		}
	}
	for _, k := range keys {
		if !keep(k) {
			continue
		}
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !wok:
			c.add(ref, field.Forbidden(p.Key(k), "prenv does not set it: "+why(k)))
		case !gok:
			c.add(ref, field.Required(p.Key(k), fmt.Sprintf("%q as prenv renders it: %s", w, why(k))))
		case g != w:
			c.add(ref, field.Invalid(p.Key(k), g, fmt.Sprintf("must be %q as prenv renders it: %s", w, why(k))))
		}
	}
}

// checkedElsewhere are the fields of ref that a check with a message of
// its own keeps: the Namespace's time to live and env label
// (namespaceBounds), the database objects' sync waves and hooks
// (databases).
func (c *objectChecker) checkedElsewhere(ref ObjectRef) map[string]bool {
	ann, lab := field.NewPath("metadata", "annotations"), field.NewPath("metadata", "labels")
	out := map[string]bool{}
	if ref.GroupKind == kinds.Namespace {
		out[ann.Key(spec.AnnotationTTL).String()] = true
		out[lab.Key(spec.LabelEnv).String()] = true
	}
	if _, ok := c.databaseObjects()[ref]; ok {
		for _, k := range []string{spec.AnnotationSyncWave, annotationHook, annotationHookDelete} {
			out[ann.Key(k).String()] = true
		}
	}
	return out
}

// appMetadata keeps prenv.dev/ labels and annotations of the app's objects
// the env's own: render leftovers would take an object labelled with
// another env's for that env's.
func (c *objectChecker) appMetadata(o *unstructured.Unstructured, ref ObjectRef) {
	prenvKey := func(k string) bool { return strings.HasPrefix(k, prenvPrefix) }
	c.keepKeys(ref, field.NewPath("metadata", "labels"), c.labels(o), c.m.Labels, false, prenvKey, lifecycleWhy)
	c.keepKeys(ref, field.NewPath("metadata", "annotations"), c.annotations(o), c.m.Labels, false, prenvKey, lifecycleWhy)
}

// ownSpec keeps the spec of one of prenv's own objects exactly prenv's
// (values compared as JSON, so that key order and YAML's spelling of a
// value do not count), but for the keys in skip, which checks of their own
// keep.
func (c *objectChecker) ownSpec(o *unstructured.Unstructured, ref ObjectRef, why string, skip ...string) {
	own, ok := c.ownObjects()[ref]
	if !ok || own == o {
		return
	}
	got, _, _ := unstructured.NestedMap(o.Object, "spec")
	want, _, _ := unstructured.NestedMap(own.Object, "spec")
	for _, k := range keysOfBoth(got, want) {
		if slices.Contains(skip, k) {
			continue
		}
		p := field.NewPath("spec", k)
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !wok:
			c.add(ref, field.Forbidden(p, "prenv does not set it: "+why))
		case !gok:
			c.add(ref, field.Required(p, fmt.Sprintf("%s as prenv renders it: %s", showValue(w), why)))
		case !reflect.DeepEqual(normJSON(g), normJSON(w)):
			var v any = field.OmitValueType{}
			if s, ok := g.(string); ok {
				v = s
			}
			c.add(ref, field.Invalid(p, v, fmt.Sprintf("must be %s as prenv renders it from the spec: %s", showValue(w), why)))
		}
	}
}

// showValue is a string as it is, anything else as JSON.
func showValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
