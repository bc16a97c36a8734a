package fence

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// TestBoundTypesKnown: the API types of the bounds have the fields
// sameAsBound compares (else it would leave every spec to the converter).
func TestBoundTypesKnown(t *testing.T) {
	if !boundTypesKnown {
		t.Fatal("an API type of the bounds changed its fields: update sameAsBound and boundTypesKnown")
	}
}

// TestSameAsBoundIsConverters: sameAsBound says what sameJSONValue says of
// raw and the converter's form, for the bounds of every example and for
// specs that use what prenv's do not (empty and nil lists, string ports,
// scopes, every resource list), raw being the form itself and each of its
// variants one change away (a member removed, added or changed, an item
// removed or added, a number as the other Go type).
func TestSameAsBoundIsConverters(t *testing.T) {
	var specs []any
	for name, env := range golden.ExampleSpecs(t, spec.Load) {
		for _, pr := range []int{1, 4321} {
			m, err := plan.Plan(env, pr)
			if err != nil {
				t.Fatalf("examples/%s, PR %d: %v", name, pr, err)
			}
			c := &objectChecker{m: m}
			for _, b := range c.boundsSpecs() {
				specs = append(specs, b.spec)
			}
		}
	}
	if len(specs) < 20 {
		t.Fatalf("only %d bound specs in the examples", len(specs))
	}
	q := func(s string) resource.Quantity { return resource.MustParse(s) }
	list := corev1.ResourceList{"cpu": q("500m"), "memory": q("1.5Gi"), "pods": q("10")}
	proto := corev1.ProtocolSCTP
	port, named, empty := intstr.FromInt32(8080), intstr.FromString("http"), intstr.IntOrString{Type: intstr.String}
	end := int32(9090)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}, MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "k", Operator: metav1.LabelSelectorOpIn, Values: []string{"x", "y"}},
		{Key: "e", Operator: metav1.LabelSelectorOpExists, Values: []string{}},
		{Key: "n", Operator: metav1.LabelSelectorOpDoesNotExist},
	}}
	specs = append(specs,
		corev1.ResourceQuotaSpec{},
		corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{}, Scopes: []corev1.ResourceQuotaScope{}},
		corev1.ResourceQuotaSpec{Hard: list, Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}},
		corev1.LimitRangeSpec{},
		corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{}},
		corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{}, {Type: corev1.LimitTypePod, Max: list, Min: list, Default: list, DefaultRequest: corev1.ResourceList{}, MaxLimitRequestRatio: list}}},
		networkingv1.NetworkPolicySpec{},
		networkingv1.NetworkPolicySpec{
			PodSelector: *sel,
			PolicyTypes: []networkingv1.PolicyType{},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{}, {
				Ports: []networkingv1.NetworkPolicyPort{{}, {Protocol: &proto, Port: &port, EndPort: &end}, {Port: &named}, {Port: &empty}},
				From:  []networkingv1.NetworkPolicyPeer{{}, {PodSelector: &metav1.LabelSelector{}, NamespaceSelector: sel}, {IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}}, {IPBlock: &networkingv1.IPBlock{}}},
			}},
			Egress: []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{}, To: []networkingv1.NetworkPolicyPeer{{PodSelector: sel}}}},
		},
	)
	same, total := 0, 0
	for _, s := range specs {
		form, err := runtime.DefaultUnstructuredConverter.ToUnstructured(derefAddr(s))
		if err != nil {
			t.Fatalf("%#v: %v", s, err)
		}
		raws := append([]any{any(form)}, variants(form)...)
		for _, raw := range raws {
			want := sameJSONValue(raw, form)
			got, ok := sameAsBound(raw, s)
			if !ok {
				t.Fatalf("sameAsBound does not decide %#v", s)
			}
			if got != want {
				t.Errorf("sameAsBound(%#v, %#v) = %v, the converter's form says %v", raw, s, got, want)
			}
			total++
			if got {
				same++
			}
		}
	}
	// Each form is the same as itself, and so is each variant with an
	// integer as float64; every other variant differs.
	if same <= len(specs) || total < 20*len(specs) {
		t.Errorf("%d raw values of %d specs, %d the same: the variants change too little", total, len(specs), same)
	}
	t.Logf("%d raw values of %d specs, %d the same", total, len(specs), same)
}

// variants returns copies of v each changed in one place.
func variants(v any) []any {
	var out []any
	switch x := v.(type) {
	case map[string]any:
		out = append(out, nil, []any{}, withKey(x, "extra", "x"))
		for k, e := range x {
			out = append(out, withKey(x, k, nil), withoutKey(x, k))
			for _, c := range variants(e) {
				out = append(out, withKey(x, k, c))
			}
		}
	case []any:
		out = append(out, map[string]any{}, append(append([]any{}, x...), "x"))
		if len(x) > 0 {
			out = append(out, x[:len(x)-1])
		}
		for i, e := range x {
			for _, c := range variants(e) {
				y := append([]any{}, x...)
				y[i] = c
				out = append(out, y)
			}
		}
	case string:
		out = append(out, x+"x", nil, int64(1))
	case int64:
		out = append(out, float64(x), x+1, fmt.Sprint(x), int32(x))
	case nil:
		out = append(out, map[string]any{}, []any{}, "")
	}
	return out
}

func withKey(m map[string]any, k string, v any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	c[k] = v
	return c
}

func withoutKey(m map[string]any, k string) map[string]any {
	c := withKey(m, k, nil)
	delete(c, k)
	return c
}

// TestSameAsBoundDeclines: what sameAsBound does not restate is left to
// the converter.
func TestSameAsBoundDeclines(t *testing.T) {
	bad := intstr.IntOrString{Type: intstr.String, StrVal: "\xff"}
	none := intstr.IntOrString{Type: 7}
	for _, s := range []any{
		corev1.ResourceQuotaSpec{ScopeSelector: &corev1.ScopeSelector{}},
		networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &bad}}}}},
		networkingv1.NetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &none}}}}},
		corev1.LimitRangeItem{},
	} {
		if same, ok := sameAsBound(map[string]any{}, s); ok {
			t.Errorf("sameAsBound({}, %#v) = %v, want it to decline", s, same)
		}
	}
}
