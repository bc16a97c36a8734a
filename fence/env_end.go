package fence

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/kuberules"
)

// MaxTerminationGracePeriodSeconds bounds the terminationGracePeriodSeconds
// of every pod of the env: how long the kubelet lets a deleted pod's
// containers run (preStop hooks included) before it kills them
// (Kubernetes docs, "Pod Lifecycle", termination of Pods; 30 when unset).
const MaxTerminationGracePeriodSeconds = 300

// deletionHookTypes are, by annotation, the hook types that run when the
// Application is deleted: Argo CD's PreDelete (v3.3) and PostDelete (v2.10)
// (Argo CD docs, "Sync Phases and Waves"), and Helm's pre-delete and
// post-delete, which Argo CD maps to them and helm uninstall runs (Helm
// docs, "Chart Hooks"). Both annotations list types separated by commas.
var deletionHookTypes = map[string][]string{
	annotationHook:     {"PreDelete", "PostDelete"},
	annotationHelmHook: {"pre-delete", "post-delete"},
}

// Why each kind of problem keeps the env after its pull request closes.
const (
	deletionHookWhy = "the app's objects are not deletion hooks (Argo CD's PreDelete and PostDelete, Helm's pre-delete and post-delete): Argo CD deletes nothing of the env until its PreDelete hooks have succeeded, and keeps the Application until its PostDelete hooks have, so a hook that fails or never completes keeps the env, its role and its pods after the pull request closes; prenv's emptying Job is the env's one deletion hook"
	finalizerWhy    = "a finalizer written in a manifest is one that no controller of the env removes: Argo CD deletes the env's objects one sync wave after another, waiting until each wave is gone, so the object, and the env's role, buckets and Namespace after it, would stay after the pull request closes"
)

// envEnds keeps what would let o outlive its env's deletion: the app's
// objects are no deletion hooks ([deletionHookTypes]) and have no
// finalizers, no pod template of the app has finalizers, and no pod of the
// env (prenv's own included) runs for more than
// [MaxTerminationGracePeriodSeconds] once deleted. Argo CD deletes an
// Application's objects in reverse sync-wave order, the app's first, and
// waits (foreground deletion) until each wave is gone before the next
// (argo-cd controller/sort_delete.go, FilterObjectsForDeletion): the
// env's role, buckets, NetworkPolicies and Namespace go only after the
// app's pods have ended.
func (c *objectChecker) envEnds(o *unstructured.Unstructured, ref ObjectRef) {
	_, own := c.ownObjects()[ref]
	if !own {
		ann := c.annotations(o)
		for _, k := range slices.Sorted(maps.Keys(deletionHookTypes)) {
			v, ok := ann[k]
			if ok && slices.ContainsFunc(strings.Split(v, ","), func(t string) bool {
				return slices.ContainsFunc(deletionHookTypes[k], func(d string) bool { return strings.EqualFold(strings.TrimSpace(t), d) })
			}) {
				c.add(ref, field.Forbidden(field.NewPath("metadata", "annotations").Key(k), fmt.Sprintf("%q: %s", v, deletionHookWhy)))
			}
		}
		if f := o.GetFinalizers(); len(f) > 0 {
			c.add(ref, field.Forbidden(field.NewPath("metadata", "finalizers"), fmt.Sprintf("%q: %s", f, finalizerWhy)))
		}
	}
	// A workload that does not convert to the typed API is the validate
	// stage's to report.
	pods, _ := kuberules.PodTemplates(o)
	for _, pod := range pods {
		if f := pod.Meta.Finalizers; len(f) > 0 && !own {
			c.add(ref, field.Forbidden(podMetaPath(pod).Child("finalizers"), fmt.Sprintf("%q: %s", f, finalizerWhy)))
		}
		if g := pod.Spec.TerminationGracePeriodSeconds; g != nil && *g > MaxTerminationGracePeriodSeconds {
			c.add(ref, field.Invalid(pod.Path.Child("terminationGracePeriodSeconds"), *g, fmt.Sprintf(
				"must be at most %d seconds: a deleted pod runs this long (its preStop hooks included), and Argo CD deletes the env's role, buckets, NetworkPolicies and Namespace only after the app's pods have ended, so a longer grace period keeps the pull request's code running, with the env's role, after the pull request closes",
				MaxTerminationGracePeriodSeconds)))
		}
	}
}
