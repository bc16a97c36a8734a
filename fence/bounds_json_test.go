package fence

import (
	"reflect"
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
// boundJSON converts (else it would leave every spec to the converter).
func TestBoundTypesKnown(t *testing.T) {
	if !boundTypesKnown {
		t.Fatal("an API type of the bounds changed its fields: update boundJSON and boundTypesKnown")
	}
}

// TestBoundJSONIsConverters: boundJSON gives what the converter gives,
// value for value and type for type, for the bounds of every example and
// for specs that use what prenv's do not (empty and nil lists, string
// ports, scopes, every resource list), or declines.
func TestBoundJSONIsConverters(t *testing.T) {
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
	for _, s := range specs {
		want, err := runtime.DefaultUnstructuredConverter.ToUnstructured(derefAddr(s))
		if err != nil {
			t.Fatalf("%#v: %v", s, err)
		}
		got, ok := boundJSON(s)
		if !ok {
			t.Errorf("boundJSON declines %#v", s)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("boundJSON(%#v)\n= %#v\nthe converter gives %#v", s, got, want)
		}
	}
}

// TestBoundJSONDeclines: what boundJSON does not restate is left to the
// converter.
func TestBoundJSONDeclines(t *testing.T) {
	bad := intstr.IntOrString{Type: intstr.String, StrVal: "\xff"}
	none := intstr.IntOrString{Type: 7}
	for _, s := range []any{
		corev1.ResourceQuotaSpec{ScopeSelector: &corev1.ScopeSelector{}},
		networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &bad}}}}},
		networkingv1.NetworkPolicySpec{Egress: []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &none}}}}},
		corev1.LimitRangeItem{},
	} {
		if form, ok := boundJSON(s); ok {
			t.Errorf("boundJSON(%#v) = %#v, want it to decline", s, form)
		}
	}
}
