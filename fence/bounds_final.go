package fence

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"prenv.dev/prenv/internal/kinds"
	"prenv.dev/prenv/internal/kuberules"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// boundsSpecs returns the specs of m's ResourceQuota, LimitRange and
// NetworkPolicies by reference, as the API types, and why each must stay.
func (c *objectChecker) boundsSpecs() map[ObjectRef]boundSpec {
	if c.bounds == nil {
		c.bounds = c.newBoundsSpecs()
	}
	return c.bounds
}

func (c *objectChecker) newBoundsSpecs() map[ObjectRef]boundSpec {
	m := c.m
	out := map[ObjectRef]boundSpec{}
	if q := m.ResourceQuota; q != nil {
		out[c.own(kinds.ResourceQuota, q.Name)] = boundSpec{spec: corev1.ResourceQuotaSpec{Hard: apiResources(q.Hard)}, field: "spec.resourceQuota", what: "caps what the env may take of the cluster"}
	}
	if l := m.LimitRange; l != nil {
		out[c.own(kinds.LimitRange, l.Name)] = boundSpec{spec: apiLimitRange(l), field: "spec.limitRange", what: "gives the env's containers their default requests and limits"}
	}
	for i := range m.NetworkPolicies {
		n := &m.NetworkPolicies[i]
		out[c.own(kinds.NetworkPolicy, n.Name)] = boundSpec{spec: APINetworkPolicySpec(n), field: "spec.networkPolicy", what: "fences the env's pods in, so that no other env's pods can reach them"}
	}
	return out
}

type boundSpec struct {
	// spec is the API type's spec: corev1.ResourceQuotaSpec,
	// corev1.LimitRangeSpec or networkingv1.NetworkPolicySpec.
	spec  any
	field string
	what  string
}

// bound checks an object of a kind m's bounds are of: it must be one of
// m's, with m's spec (compared as the API types, so that 500m and 0.5 are
// one quantity). An app that needs more must say so in the spec.
func (c *objectChecker) bound(o *unstructured.Unstructured, ref ObjectRef) {
	specs := c.boundsSpecs()
	want, ok := specs[ref]
	if !ok {
		c.add(ref, field.Forbidden(field.NewPath("metadata", "name"), fmt.Sprintf("the env's objects of kind %s are prenv's (%s); another one could lift the bound they set: change them through the spec", ref.Kind, boundNames(specs, ref.GroupKind))))
		return
	}
	c.found[ref] = true
	p := field.NewPath("spec")
	raw, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec")
	if form, err := runtime.DefaultUnstructuredConverter.ToUnstructured(derefAddr(want.spec)); err == nil && sameJSONValue(raw, form) {
		// The object's spec is the JSON form of prenv's, value for value:
		// it decodes to prenv's spec (the usual case: prenv rendered it).
		return
	}
	b, err := json.Marshal(raw)
	if err != nil {
		c.add(ref, field.Invalid(p, field.OmitValueType{}, err.Error()))
		return
	}
	got := newLike(want.spec)
	if raw != nil {
		if err := json.Unmarshal(b, got); err != nil {
			c.add(ref, field.Invalid(p, field.OmitValueType{}, "cannot decode: "+err.Error()))
			return
		}
	}
	if !equality.Semantic.DeepEqual(want.spec, derefAny(got)) {
		wantJSON, _ := json.Marshal(want.spec)
		c.add(ref, field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("must be as prenv renders it from %s (%s): it %s; change it through the spec", want.field, string(wantJSON), want.what)))
	}
}

func boundNames(specs map[ObjectRef]boundSpec, gk spec.GroupKind) string {
	var names []string
	for ref := range specs {
		if ref.GroupKind == gk {
			names = append(names, ref.Name)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "none"
	}
	return fmt.Sprint(names)
}

// newLike returns a pointer to a new zero value of v's type.
func newLike(v any) any {
	switch v.(type) {
	case corev1.ResourceQuotaSpec:
		return &corev1.ResourceQuotaSpec{}
	case corev1.LimitRangeSpec:
		return &corev1.LimitRangeSpec{}
	case networkingv1.NetworkPolicySpec:
		return &networkingv1.NetworkPolicySpec{}
	}
	panic(fmt.Sprintf("render: no bound spec of type %T", v))
}

// derefAddr is a pointer to a copy of a bound spec (v as newLike takes it),
// as runtime.DefaultUnstructuredConverter.ToUnstructured takes it.
func derefAddr(v any) any {
	switch x := v.(type) {
	case corev1.ResourceQuotaSpec:
		return &x
	case corev1.LimitRangeSpec:
		return &x
	case networkingv1.NetworkPolicySpec:
		return &x
	}
	panic(fmt.Sprintf("render: no bound spec of type %T", v))
}

// sameJSONValue says that a and b are one JSON value: objects with the
// same keys and values, arrays with the same items, equal strings and
// booleans, numbers of one value whatever their Go type (int64 or
// float64, as decoders give them). Anything else (nil against an empty
// object, another Go type) is not the same.
func sameJSONValue(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !sameJSONValue(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSONValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	xf, ok := jsonNumber(a)
	if !ok {
		return false
	}
	yf, ok := jsonNumber(b)
	return ok && xf == yf
}

// jsonNumber is an int64 or float64 as the float64 JSON decoding gives
// (an int64 beyond 2^53 is not exact there: not a number here).
func jsonNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		if x > 1<<53 || x < -(1<<53) {
			return 0, false
		}
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func derefAny(p any) any {
	switch x := p.(type) {
	case *corev1.ResourceQuotaSpec:
		return *x
	case *corev1.LimitRangeSpec:
		return *x
	case *networkingv1.NetworkPolicySpec:
		return *x
	}
	return p
}

// namespaceBounds keeps the env Namespace's time to live and env label as
// m has them: render leftovers reads the TTL, and every env's
// NetworkPolicies admit no namespace with the env label.
func (c *objectChecker) namespaceBounds(o *unstructured.Unstructured, ref ObjectRef) {
	ap := field.NewPath("metadata", "annotations").Key(spec.AnnotationTTL)
	got, ok := c.annotations(o)[spec.AnnotationTTL]
	want, wantOK := c.m.NamespaceAnnotations[spec.AnnotationTTL]
	switch {
	case ok && !wantOK:
		c.add(ref, field.Forbidden(ap, "the env's time to live is spec.ttl, which is not set"))
	case !ok && wantOK:
		c.add(ref, field.Required(ap, fmt.Sprintf("%q, spec.ttl: render leftovers reads it", want)))
	case ok && got != want:
		c.add(ref, field.Invalid(ap, got, fmt.Sprintf("must be %q, spec.ttl: render leftovers reads it", want)))
	}
	lp := field.NewPath("metadata", "labels").Key(spec.LabelEnv)
	if v, ok := c.labels(o)[spec.LabelEnv]; !ok {
		c.add(ref, field.Required(lp, fmt.Sprintf("%q: the NetworkPolicies of every env admit no namespace with this label", c.m.EnvName)))
	} else if v != c.m.EnvName {
		c.add(ref, field.Invalid(lp, v, fmt.Sprintf("must be %q: the NetworkPolicies of every env admit no namespace with this label", c.m.EnvName)))
	}
}

// boundsMissing lists m's bounding objects for missing.
func (c *objectChecker) boundsMissing() []ObjectRef {
	return slices.SortedFunc(maps.Keys(c.boundsSpecs()), func(a, b ObjectRef) int {
		if r := spec.CompareGroupKind(a.GroupKind, b.GroupKind); r != 0 {
			return r
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
}

// isBoundKind reports whether gk is the kind of one of m's bounding
// objects.
func (c *objectChecker) isBoundKind(gk spec.GroupKind) bool {
	switch gk {
	case kinds.ResourceQuota:
		return c.m.ResourceQuota != nil
	case kinds.LimitRange:
		return c.m.LimitRange != nil
	case kinds.NetworkPolicy:
		return len(c.m.NetworkPolicies) > 0
	}
	return false
}

func apiResources(m map[string]string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for k, v := range m {
		out[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return out
}

func apiLimitRange(l *plan.LimitRangeModel) corev1.LimitRangeSpec {
	return corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type:           corev1.LimitType(l.Type),
		Max:            apiResources(l.Max),
		Default:        apiResources(l.Default),
		DefaultRequest: apiResources(l.DefaultRequest),
	}}}
}

// APINetworkPolicySpec returns the spec of the NetworkPolicy n as the API
// type.
func APINetworkPolicySpec(n *plan.NetworkPolicyModel) networkingv1.NetworkPolicySpec {
	if n == nil {
		return networkingv1.NetworkPolicySpec{}
	}
	spec := networkingv1.NetworkPolicySpec{PodSelector: apiSelector(n.PodSelector)}
	for _, t := range n.PolicyTypes {
		spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyType(t))
	}
	for _, r := range n.Ingress {
		spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: apiPeers(r.Peers), Ports: apiPorts(r.Ports)})
	}
	for _, r := range n.Egress {
		spec.Egress = append(spec.Egress, networkingv1.NetworkPolicyEgressRule{To: apiPeers(r.Peers), Ports: apiPorts(r.Ports)})
	}
	return spec
}

func apiSelector(s plan.LabelSelectorModel) metav1.LabelSelector {
	out := metav1.LabelSelector{}
	if len(s.MatchLabels) > 0 {
		out.MatchLabels = maps.Clone(s.MatchLabels)
	}
	for _, r := range s.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, metav1.LabelSelectorRequirement{Key: r.Key, Operator: metav1.LabelSelectorOperator(r.Operator), Values: slices.Clone(r.Values)})
	}
	return out
}

func apiPeers(peers []plan.PeerModel) []networkingv1.NetworkPolicyPeer {
	var out []networkingv1.NetworkPolicyPeer
	for _, p := range peers {
		var ap networkingv1.NetworkPolicyPeer
		if p.PodSelector != nil {
			ap.PodSelector = new(apiSelector(*p.PodSelector))
		}
		if p.NamespaceSelector != nil {
			ap.NamespaceSelector = new(apiSelector(*p.NamespaceSelector))
		}
		if p.IPBlock != nil {
			ap.IPBlock = &networkingv1.IPBlock{CIDR: p.IPBlock.CIDR, Except: slices.Clone(p.IPBlock.Except)}
		}
		out = append(out, ap)
	}
	return out
}

func apiPorts(ports []plan.PortModel) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for _, p := range ports {
		out = append(out, *apiPort(p))
	}
	return out
}

func apiPort(p plan.PortModel) *networkingv1.NetworkPolicyPort {
	return kuberules.NetworkPolicyPort(p.Protocol, p.Port, p.EndPort)
}
