package fence

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/kinds"
	"prenv.dev/prenv/internal/kuberules"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// admission runs, offline, what the API server does with the pods of the
// final objects in the env's namespace, whatever made them (prenv's
// databases and hook Jobs, the kit, an app chart, a kustomization), and
// reports each pod it would refuse and each cap of the env's ResourceQuota
// that what runs at once would pass:
//
// Each container and init container of each pod template gets its requests
// defaulted to its limits and then the LimitRange's defaults, as the API
// server and the LimitRanger plugin do (internal/kuberules); a request above
// a limit the LimitRange set, a value outside the LimitRange's min, max or
// maxLimitRequestRatio, and a CPU or memory request or limit that the
// ResourceQuota caps and the container still lacks are each refused with
// the container's path. (A request above a limit the container set itself
// is the validate stage's to report, as the API server's validation.)
//
// What runs at once is every workload at its replicas (a Job at its
// parallelism, a CronJob's one job) plus the largest set of hook pods that
// Argo CD runs together, those of one hook phase and sync wave (it waits for
// them before the next wave, and a completed pod no longer counts against a
// quota): at every sync after the first, the workloads of the previous one
// are running while the hooks run. Its pods, requests and limits (as
// component-helpers sums a pod's, the quota evaluator's way), volume claims
// and their storage (of each storage class too), Services (LoadBalancers,
// node ports), ConfigMaps, Secrets and object counts (count/<resource>)
// must fit the quota's caps. ConfigMaps count the kube-root-ca.crt one the
// cluster puts in every namespace, Secrets the databases' ones that the
// password Job creates. A rolling update's extra pods are not counted.
func (c *objectChecker) admission(objs []*unstructured.Unstructured) {
	var items []corev1.LimitRangeItem
	if l := c.m.LimitRange; l != nil {
		items = apiLimitRange(l).Limits
	}
	var hard corev1.ResourceList
	if q := c.m.ResourceQuota; q != nil {
		hard = apiResources(q.Hard)
	}
	u := usage{hooks: map[string]*share{}}
	for _, o := range objs {
		if o == nil || o.Object == nil {
			continue
		}
		ref := RefOf(o)
		if ref.Namespace != "" && ref.Namespace != c.m.Namespace {
			continue
		}
		c.admitPods(o, ref, items, hard, &u)
		u.objects(o, ref, c.m)
	}
	if hard != nil {
		c.quotaFits(hard, &u)
	}
}

// share is what a set of objects takes of the quota, with who takes it.
type share struct {
	total corev1.ResourceList
	// by lists, for each resource, who takes how much, in order.
	by map[corev1.ResourceName][]shareEntry
}

// shareEntry is who takes how much of a resource, as a message says it
// (String), written only when one does: "<who> <amount>", the amount
// "<replicas> × <amount>" for more than one replica.
type shareEntry struct {
	// who is the object ref, or name when it is set.
	ref      ObjectRef
	name     string
	replicas int32
	amount   resource.Quantity
}

func (e shareEntry) String() string {
	who := e.name
	if who == "" {
		who = e.ref.String()
	}
	amount := e.amount.String()
	if e.replicas > 1 {
		amount = strconv.Itoa(int(e.replicas)) + " × " + amount
	}
	return who + " " + amount
}

func joinEntries(entries []shareEntry) string {
	s := make([]string, len(entries))
	for i, e := range entries {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

// add adds q of k, taken by the object ref.
func (s *share) add(k corev1.ResourceName, q resource.Quantity, ref ObjectRef) {
	s.addAs(k, q, shareEntry{ref: ref, amount: q.DeepCopy()})
}

// addNamed adds q of k, taken by what name says.
func (s *share) addNamed(k corev1.ResourceName, q resource.Quantity, name string) {
	s.addAs(k, q, shareEntry{name: name, amount: q.DeepCopy()})
}

// addAs adds q of k, taken as entry says.
func (s *share) addAs(k corev1.ResourceName, q resource.Quantity, entry shareEntry) {
	if s.total == nil {
		s.total, s.by = corev1.ResourceList{}, map[corev1.ResourceName][]shareEntry{}
	}
	t := s.total[k]
	t.Add(q)
	s.total[k] = t
	s.by[k] = append(s.by[k], entry)
}

// usage is what the final objects take of the quota at once: the
// workloads at rest and the other objects (base), and each set of hook
// pods run together (hooks, by hook phase and sync wave).
type usage struct {
	base  share
	hooks map[string]*share
}

// admitPods admits the pods of o's templates (see admission) and adds what
// they take to u.
func (c *objectChecker) admitPods(o *unstructured.Unstructured, ref ObjectRef, items []corev1.LimitRangeItem, hard corev1.ResourceList, u *usage) {
	// A workload that does not convert to the typed API is the validate
	// stage's to report.
	pods, _ := kuberules.PodTemplates(o)
	ann := c.annotations(o)
	for _, t := range pods {
		ps := t.Spec.DeepCopy()
		for _, list := range []struct {
			name       string
			containers []corev1.Container
		}{{"initContainers", ps.InitContainers}, {"containers", ps.Containers}} {
			for i := range list.containers {
				c.admitContainer(ref, t.Path.Child(list.name).Index(i), &list.containers[i].Resources, items, hard)
			}
		}
		if t.Replicas == 0 {
			continue
		}
		s := &u.base
		if phase, ok := ann[plan.AnnotationHook]; ok {
			wave := cmp.Or(ann[spec.AnnotationSyncWave], "0")
			key := phase + " hooks of sync wave " + wave
			if u.hooks[key] == nil {
				u.hooks[key] = &share{}
			}
			s = u.hooks[key]
		}
		per := kuberules.PodQuotaUsage(ps)
		for _, k := range slices.Sorted(maps.Keys(per)) {
			q := per[k]
			total := q.DeepCopy()
			for range t.Replicas - 1 {
				total.Add(q)
			}
			s.addAs(k, total, shareEntry{ref: ref, replicas: t.Replicas, amount: q.DeepCopy()})
		}
	}
}

// admitContainer defaults one container's resources as the API server does
// and reports what the LimitRange and the quota refuse.
func (c *objectChecker) admitContainer(ref ObjectRef, cp *field.Path, r *corev1.ResourceRequirements, items []corev1.LimitRangeItem, hard corev1.ResourceList) {
	rp := cp.Child("resources")
	lr := c.m.LimitRange
	kuberules.DefaultRequests(r)
	set := kuberules.ApplyLimitRangeDefaults(r, items)
	for _, k := range kuberules.RequestsOverLimits(*r) {
		if !slices.Contains(set, k) {
			continue
		}
		req, lim := r.Requests[k], r.Limits[k]
		c.add(ref, field.Invalid(rp.Child("requests", string(k)), req.String(), fmt.Sprintf(
			"above the limit %s that the env's LimitRange %q defaults (spec.limitRange.default[%s]): the API server refuses this pod; set resources.limits.%s or lower the request",
			lim.String(), lr.Name, k, k)))
	}
	for _, it := range items {
		if it.Type != corev1.LimitTypeContainer {
			continue
		}
		for _, v := range kuberules.CheckLimits(it, r.Requests, r.Limits) {
			kind := "requests"
			if v.Limit {
				kind = "limits"
			}
			c.add(ref, field.Forbidden(rp.Child(kind, string(v.Resource)), fmt.Sprintf(
				"%s (the env's LimitRange %q, spec.limitRange.%s[%s]): the API server refuses this pod", v.Message, lr.Name, v.Field, v.Resource)))
		}
	}
	for _, k := range kuberules.QuotaMissing(*r, hard) {
		kind, name, _ := strings.Cut(string(k), ".")
		if name == "" {
			kind, name = "requests", kind
		}
		why := "the env has no LimitRange (spec.limitRange.enabled: false) to default it"
		if lr != nil {
			why = fmt.Sprintf("the env's LimitRange %q has no default for it", lr.Name)
		}
		c.add(ref, field.Required(rp.Child(kind, name), fmt.Sprintf(
			"the env's ResourceQuota %q caps %s (spec.resourceQuota.hard[%s]) and %s: the API server refuses a pod whose containers do not all set it (must specify %s)",
			c.m.ResourceQuota.Name, k, k, why, k)))
	}
}

// objects adds what o takes of the quota besides its pods: volume claims
// and their storage, Services, and objects of each kind.
func (u *usage) objects(o *unstructured.Unstructured, ref ObjectRef, m *plan.Model) {
	one := *resource.NewQuantity(1, resource.DecimalSI)
	who := ref
	gvk := o.GroupVersionKind()
	plural, _ := meta.UnsafeGuessKindToResource(gvk)
	count := "count/" + plural.Resource
	if gvk.Group != "" {
		count += "." + gvk.Group
	}
	u.base.add(corev1.ResourceName(count), one, who)
	switch ref.GroupKind {
	case kindService:
		u.base.add(corev1.ResourceServices, one, who)
		typ, _, _ := unstructured.NestedString(o.Object, "spec", "type")
		ports, _, _ := unstructured.NestedSlice(o.Object, "spec", "ports")
		alloc, set, _ := unstructured.NestedBool(o.Object, "spec", "allocateLoadBalancerNodePorts")
		switch {
		case typ == string(corev1.ServiceTypeLoadBalancer):
			u.base.add(corev1.ResourceServicesLoadBalancers, one, who)
			if !set || alloc {
				u.base.add(corev1.ResourceServicesNodePorts, *resource.NewQuantity(int64(len(ports)), resource.DecimalSI), who)
			}
		case typ == string(corev1.ServiceTypeNodePort):
			u.base.add(corev1.ResourceServicesNodePorts, *resource.NewQuantity(int64(len(ports)), resource.DecimalSI), who)
		}
	case kinds.ConfigMap:
		u.base.add(corev1.ResourceConfigMaps, one, who)
	case kinds.Namespace:
		// The cluster puts the kube-root-ca.crt ConfigMap in every
		// namespace (its root CA publisher); the password Job creates a
		// Secret per database.
		u.base.addNamed(corev1.ResourceConfigMaps, one, "kube-root-ca.crt")
		u.base.addNamed("count/configmaps", one, "kube-root-ca.crt")
		for _, d := range m.Databases {
			u.base.addNamed(corev1.ResourceSecrets, one, "Secret "+d.Secret)
			u.base.addNamed("count/secrets", one, "Secret "+d.Secret)
		}
	case spec.GroupKind{Kind: "Secret"}:
		u.base.add(corev1.ResourceSecrets, one, who)
	case kinds.ResourceQuota:
		u.base.add(corev1.ResourceQuotas, one, who)
	case spec.GroupKind{Kind: "ReplicationController"}:
		u.base.add(corev1.ResourceReplicationControllers, one, who)
	case spec.GroupKind{Kind: "PersistentVolumeClaim"}:
		var pvc corev1.PersistentVolumeClaim
		if err := fromUnstructured(o.Object, &pvc); err == nil {
			u.claim(pvc.Spec, 1, who)
		}
	case kindStatefulSet:
		replicas, found, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
		if !found {
			replicas = 1
		}
		claims, _, _ := unstructured.NestedSlice(o.Object, "spec", "volumeClaimTemplates")
		for _, raw := range claims {
			var pvc corev1.PersistentVolumeClaim
			if cm, ok := raw.(map[string]any); ok && fromUnstructured(cm, &pvc) == nil {
				u.claim(pvc.Spec, replicas, who)
			}
		}
	}
}

// claim adds n volume claims of spec: claims and requested storage, in all
// and of the claim's storage class (<class>.storageclass.storage.k8s.io/).
func (u *usage) claim(s corev1.PersistentVolumeClaimSpec, n int64, who ObjectRef) {
	if n <= 0 {
		return
	}
	claims := *resource.NewQuantity(n, resource.DecimalSI)
	storage := s.Resources.Requests[corev1.ResourceStorage]
	total := resource.Quantity{}
	for range n {
		total.Add(storage)
	}
	u.base.add(corev1.ResourcePersistentVolumeClaims, claims, who)
	u.base.add(corev1.ResourceRequestsStorage, total, who)
	if s.StorageClassName != nil && *s.StorageClassName != "" {
		prefix := *s.StorageClassName + ".storageclass.storage.k8s.io/"
		u.base.add(corev1.ResourceName(prefix+"persistentvolumeclaims"), claims, who)
		u.base.add(corev1.ResourceName(prefix+"requests.storage"), total, who)
	}
}

// quotaFits reports each cap of hard that the workloads at rest plus the
// largest set of hook pods would pass.
func (c *objectChecker) quotaFits(hard corev1.ResourceList, u *usage) {
	ref := c.own(kinds.ResourceQuota, c.m.ResourceQuota.Name)
	for _, k := range slices.Sorted(maps.Keys(hard)) {
		need := u.base.total[k].DeepCopy()
		// The hook set that takes most of k.
		var hookKey string
		var hook resource.Quantity
		for _, key := range slices.Sorted(maps.Keys(u.hooks)) {
			if q := u.hooks[key].total[k]; q.Cmp(hook) > 0 {
				hookKey, hook = key, q
			}
		}
		need.Add(hook)
		limit := hard[k]
		if need.Cmp(limit) <= 0 {
			continue
		}
		base := u.base.total[k]
		what := fmt.Sprintf("the workloads and objects at rest take %s (%s)", base.String(), joinEntries(u.base.by[k]))
		if hookKey != "" {
			what += fmt.Sprintf(", and the %s take %s at once (%s)", hookKey, hook.String(), joinEntries(u.hooks[hookKey].by[k]))
		}
		c.add(ref, field.Invalid(field.NewPath("spec", "hard").Key(string(k)), limit.String(), fmt.Sprintf(
			"what runs at once needs %s of %s: %s; the API server refuses what passes the quota (exceeded quota), so Argo CD's sync never completes: raise spec.resourceQuota.hard[%s] or take less",
			need.String(), k, what, k)))
	}
}

// fromUnstructured converts an object's map into the typed API.
func fromUnstructured(m map[string]any, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(m, into)
}
