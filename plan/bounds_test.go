package plan_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

// renderBounds renders env for pr and fails the test on any error.
func renderBounds(t *testing.T, env *spec.PreviewEnvironment, pr int) *render.Output {
	t.Helper()
	out, err := render.Render(context.Background(), env, pr, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// renderOff renders a spec that turns a bound off: refused at path without
// Options.AllowUnbounded (the spec is what a pull request can change),
// rendered with it.
func renderOff(t *testing.T, env *spec.PreviewEnvironment, path string) *render.Output {
	t.Helper()
	_, err := render.Render(context.Background(), env, 123, render.Options{})
	want := path + ": Forbidden: turning off the env's bounds needs the CI job's --allow-unbounded (Options.AllowUnbounded): the spec is what a pull request can change, and these bounds keep one env from taking the cluster or reaching another"
	var inv *spec.InvalidError
	if !errors.As(err, &inv) || len(inv.Errs) != 1 || inv.Errs[0].Error() != want {
		t.Fatalf("without AllowUnbounded: %v\nwant %s", err, want)
	}
	out, err := render.Render(context.Background(), env, 123, render.Options{AllowUnbounded: true})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// typed converts u into the API type T.
func typed[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	v := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, v, true); err != nil {
		t.Fatalf("%s/%s: %v", u.GetKind(), u.GetName(), err)
	}
	return v
}

// specErrors returns the field errors Render reports for env, as strings.
func specErrors(t *testing.T, env *spec.PreviewEnvironment) []string {
	t.Helper()
	_, err := render.Render(context.Background(), env, 123, render.Options{})
	if err == nil {
		return nil
	}
	var inv *spec.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("error %T %v; want *render.InvalidError", err, err)
	}
	var out []string
	for _, e := range inv.Errs {
		out = append(out, e.Error())
	}
	return out
}

func TestTTL(t *testing.T) {
	for _, ttl := range []string{"72h", "1h30m", "8760h", "90m", ""} {
		t.Run("ok-"+ttl, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.TTL = ttl
			ns := testkit.ObjectsOfKind(renderBounds(t, env, 123), "Namespace")[0]
			got, ok := ns.GetAnnotations()[spec.AnnotationTTL]
			if ttl == "" {
				if ok {
					t.Errorf("Namespace has %s=%q without spec.ttl", spec.AnnotationTTL, got)
				}
				return
			}
			if got != ttl {
				t.Errorf("Namespace %s = %q, want %q as written", spec.AnnotationTTL, got, ttl)
			}
		})
	}
	const goDuration = "must be a Go duration such as 72h (units ns, us, ms, s, m, h)"
	for _, c := range []struct{ ttl, want string }{
		{"3d", `spec.ttl: Invalid value: "3d": ` + goDuration + `; "d" is not a unit: write 72h`},
		{"2w", `spec.ttl: Invalid value: "2w": ` + goDuration + `; "w" is not a unit: write 336h`},
		{"1y", `spec.ttl: Invalid value: "1y": ` + goDuration + `; days, weeks and years are not units: write them in hours (3 days = 72h)`},
		{"1d12h", `spec.ttl: Invalid value: "1d12h": ` + goDuration + `; days, weeks and years are not units: write them in hours (3 days = 72h)`},
		{"soon", `spec.ttl: Invalid value: "soon": ` + goDuration},
		{"72", `spec.ttl: Invalid value: "72": ` + goDuration},
		{"0s", `spec.ttl: Invalid value: "0s": must be greater than 0`},
		{"-5m", `spec.ttl: Invalid value: "-5m": must be greater than 0`},
		{"8761h", `spec.ttl: Invalid value: "8761h": must be at most 8760h (a year): an env is meant to go with its pull request`},
	} {
		t.Run("invalid-"+c.ttl, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.TTL = c.ttl
			if diff := cmp.Diff([]string{c.want}, specErrors(t, env)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceQuota(t *testing.T) {
	hard := func(out *render.Output) map[string]string {
		qs := testkit.ObjectsOfKind(out, "ResourceQuota")
		if len(qs) != 1 || qs[0].GetName() != plan.ResourceQuotaName || qs[0].GetNamespace() != out.Model.Namespace {
			t.Fatalf("want one ResourceQuota %s in %s, got %d", plan.ResourceQuotaName, out.Model.Namespace, len(qs))
		}
		got := map[string]string{}
		for k, v := range typed[corev1.ResourceQuota](t, qs[0]).Spec.Hard {
			got[string(k)] = v.String()
		}
		return got
	}
	defaults := map[string]string{
		"requests.cpu": "2", "requests.memory": "4Gi", "limits.cpu": "4", "limits.memory": "8Gi",
		"pods": "20", "services": "10", "services.loadbalancers": "0", "services.nodeports": "0",
		"persistentvolumeclaims": "4", "requests.storage": "20Gi",
	}
	t.Run("defaults", func(t *testing.T) {
		if diff := cmp.Diff(defaults, hard(renderBounds(t, testkit.ValidSpec(), 123))); diff != "" {
			t.Errorf("spec.hard (-want +got):\n%s", diff)
		}
	})
	t.Run("overrides", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.ResourceQuota = &spec.ResourceQuota{Hard: spec.ResourceList{
			"pods": "30", "requests.memory": "6Gi", "requests.cpu": "1500m", "limits.cpu": "4.5", "count/deployments.apps": "5",
		}}
		want := map[string]string{}
		for k, v := range defaults {
			want[k] = v
		}
		want["pods"], want["requests.memory"], want["requests.cpu"], want["limits.cpu"], want["count/deployments.apps"] = "30", "6Gi", "1500m", "4500m", "5"
		if diff := cmp.Diff(want, hard(renderBounds(t, env, 123))); diff != "" {
			t.Errorf("spec.hard (-want +got):\n%s", diff)
		}
	})
	t.Run("a number for a quantity", func(t *testing.T) {
		env, err := spec.Load([]byte(strings.Replace(testkit.MinimalYAML, "spec:\n", "spec:\n  resourceQuota: {hard: {pods: 12, requests.cpu: 0.5}}\n", 1)))
		if err != nil {
			t.Fatal(err)
		}
		got := hard(renderBounds(t, env, 123))
		if got["pods"] != "12" || got["requests.cpu"] != "500m" {
			t.Errorf("pods %q, requests.cpu %q; want 12 and 500m", got["pods"], got["requests.cpu"])
		}
	})
	t.Run("off", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.ResourceQuota = &spec.ResourceQuota{Enabled: testkit.Ptr(false)}
		out := renderOff(t, env, "spec.resourceQuota.enabled")
		if n := len(testkit.ObjectsOfKind(out, "ResourceQuota")); n != 0 {
			t.Errorf("%d ResourceQuotas with enabled: false", n)
		}
		if slices.Contains(plan.EnvKinds(out.Model), spec.GroupKind{Kind: "ResourceQuota"}) {
			t.Error("EnvKinds lists ResourceQuota with enabled: false")
		}
	})
}

func TestLimitRange(t *testing.T) {
	item := func(out *render.Output) corev1.LimitRangeItem {
		ls := testkit.ObjectsOfKind(out, "LimitRange")
		if len(ls) != 1 || ls[0].GetName() != plan.LimitRangeName {
			t.Fatalf("want one LimitRange %s, got %d", plan.LimitRangeName, len(ls))
		}
		lr := typed[corev1.LimitRange](t, ls[0])
		if len(lr.Spec.Limits) != 1 || lr.Spec.Limits[0].Type != corev1.LimitTypeContainer {
			t.Fatalf("want one item of type Container, got %+v", lr.Spec.Limits)
		}
		return lr.Spec.Limits[0]
	}
	str := func(l corev1.ResourceList) map[string]string {
		out := map[string]string{}
		for k, v := range l {
			out[string(k)] = v.String()
		}
		return out
	}
	t.Run("defaults", func(t *testing.T) {
		it := item(renderBounds(t, testkit.ValidSpec(), 123))
		got := map[string]map[string]string{"defaultRequest": str(it.DefaultRequest), "default": str(it.Default), "max": str(it.Max)}
		want := map[string]map[string]string{
			"defaultRequest": {"cpu": "100m", "memory": "128Mi"},
			"default":        {"cpu": "500m", "memory": "512Mi"},
			"max":            {"cpu": "2", "memory": "4Gi"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limits (-want +got):\n%s", diff)
		}
	})
	t.Run("overrides", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.LimitRange = &spec.LimitRange{
			Default: spec.ResourceList{"cpu": "1", "ephemeral-storage": "1Gi"},
			Max:     spec.ResourceList{"memory": "2Gi"},
		}
		it := item(renderBounds(t, env, 123))
		got := map[string]map[string]string{"defaultRequest": str(it.DefaultRequest), "default": str(it.Default), "max": str(it.Max)}
		want := map[string]map[string]string{
			"defaultRequest": {"cpu": "100m", "memory": "128Mi"},
			"default":        {"cpu": "1", "memory": "512Mi", "ephemeral-storage": "1Gi"},
			"max":            {"cpu": "2", "memory": "2Gi"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limits (-want +got):\n%s", diff)
		}
	})
	t.Run("off", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.LimitRange = &spec.LimitRange{Enabled: testkit.Ptr(false), Max: spec.ResourceList{"cpu": "not checked when off"}}
		out := renderOff(t, env, "spec.limitRange.enabled")
		if n := len(testkit.ObjectsOfKind(out, "LimitRange")); n != 0 {
			t.Errorf("%d LimitRanges with enabled: false", n)
		}
		if slices.Contains(plan.EnvKinds(out.Model), spec.GroupKind{Kind: "LimitRange"}) {
			t.Error("EnvKinds lists LimitRange with enabled: false")
		}
	})
}

// TestBoundsInvalid: every kind of fault in the quota, the limit range and
// the network policy is reported at its field path, as the API server
// words it where it has a rule.
func TestBoundsInvalid(t *testing.T) {
	const defaultsNote = " (the values spec.limitRange does not set are prenv's defaults)"
	for _, c := range []struct {
		name string
		set  func(s *spec.Spec)
		want []string
	}{
		{"quota name unknown", func(s *spec.Spec) { s.ResourceQuota = &spec.ResourceQuota{Hard: spec.ResourceList{"cpus": "2"}} },
			[]string{`spec.resourceQuota.hard[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified`}},
		{"quota name not for quota", func(s *spec.Spec) {
			s.ResourceQuota = &spec.ResourceQuota{Hard: spec.ResourceList{"storage": "2Gi"}}
		},
			[]string{`spec.resourceQuota.hard[storage]: Invalid value: "storage": must be a standard resource for quota`}},
		{"quota not a quantity", func(s *spec.Spec) {
			s.ResourceQuota = &spec.ResourceQuota{Hard: spec.ResourceList{"requests.cpu": "two"}}
		},
			[]string{`spec.resourceQuota.hard[requests.cpu]: Invalid value: "two": must be a quantity such as 500m, 2, 4Gi or 20 (Kubernetes' resource.Quantity: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$')`}},
		{"quota negative", func(s *spec.Spec) {
			s.ResourceQuota = &spec.ResourceQuota{Hard: spec.ResourceList{"requests.cpu": "-1"}}
		},
			[]string{`spec.resourceQuota.hard[requests.cpu]: Invalid value: "-1": must be greater than or equal to 0`}},
		{"quota count not whole", func(s *spec.Spec) {
			s.ResourceQuota = &spec.ResourceQuota{Hard: spec.ResourceList{"pods": "1.5"}}
		},
			[]string{`spec.resourceQuota.hard[pods]: Invalid value: "1500m": must be an integer`}},
		{"limit name not for containers", func(s *spec.Spec) { s.LimitRange = &spec.LimitRange{Max: spec.ResourceList{"pods": "3"}} },
			[]string{`spec.limitRange.max[pods]: Invalid value: "pods": must be a standard resource for containers`}},
		{"default over max", func(s *spec.Spec) { s.LimitRange = &spec.LimitRange{Default: spec.ResourceList{"cpu": "3"}} },
			[]string{`spec.limitRange.default[cpu]: Invalid value: "3": default value 3 is greater than max value 2` + defaultsNote}},
		{"default request over default", func(s *spec.Spec) {
			s.LimitRange = &spec.LimitRange{DefaultRequest: spec.ResourceList{"memory": "1Gi"}}
		}, []string{`spec.limitRange.defaultRequest[memory]: Invalid value: "1Gi": default request value 1Gi is greater than default limit value 512Mi` + defaultsNote}},
		{"default request over max", func(s *spec.Spec) {
			s.LimitRange = &spec.LimitRange{DefaultRequest: spec.ResourceList{"cpu": "3"}, Default: spec.ResourceList{"cpu": "3"}}
		}, []string{
			`spec.limitRange.defaultRequest[cpu]: Invalid value: "3": default request value 3 is greater than max value 2` + defaultsNote,
			`spec.limitRange.default[cpu]: Invalid value: "3": default value 3 is greater than max value 2` + defaultsNote,
			`spec.limitRange.defaultRequest[cpu]: Invalid value: "3": the default request 3 is greater than the ResourceQuota's requests.cpu 2: no container with the defaults could start`,
		}},
		{"default limit over the quota", func(s *spec.Spec) {
			s.LimitRange = &spec.LimitRange{Default: spec.ResourceList{"memory": "6Gi"}, Max: spec.ResourceList{"memory": "16Gi"}}
			s.ResourceQuota = &spec.ResourceQuota{Hard: spec.ResourceList{"limits.memory": "5Gi"}}
		}, []string{`spec.limitRange.default[memory]: Invalid value: "6Gi": the default limit 6Gi is greater than the ResourceQuota's limits.memory 5Gi: no container with the defaults could start`}},
		{"ingress peer without namespace selector", func(s *spec.Spec) {
			s.NetworkPolicy = &spec.NetworkPolicy{IngressFrom: []spec.NamespacePeer{{PodSelector: &spec.LabelSelector{MatchLabels: map[string]string{"app": "x"}}}}}
		}, []string{`spec.networkPolicy.ingressFrom[0].namespaceSelector: Required value: the namespaces of the peer, for example matchLabels: {kubernetes.io/metadata.name: ingress-nginx}`}},
		{"ingress peer of every namespace", func(s *spec.Spec) {
			s.NetworkPolicy = &spec.NetworkPolicy{IngressFrom: []spec.NamespacePeer{{NamespaceSelector: &spec.LabelSelector{}}}}
		}, []string{`spec.networkPolicy.ingressFrom[0].namespaceSelector: Invalid value: an empty selector selects every namespace; name the peer's namespace, for example matchLabels: {kubernetes.io/metadata.name: ingress-nginx}`}},
		{"ingress peer by prenv's labels", func(s *spec.Spec) {
			s.NetworkPolicy = &spec.NetworkPolicy{IngressFrom: []spec.NamespacePeer{{NamespaceSelector: &spec.LabelSelector{
				MatchLabels:      map[string]string{spec.LabelApp: "web"},
				MatchExpressions: []spec.LabelSelectorRequirement{{Key: spec.LabelEnv, Operator: "Exists"}},
			}}}}
		}, []string{
			`spec.networkPolicy.ingressFrom[0].namespaceSelector.matchLabels[prenv.dev/app]: Forbidden: prenv's labels mark the namespaces of envs, and an env's pods may not be reached from another env's`,
			`spec.networkPolicy.ingressFrom[0].namespaceSelector.matchExpressions[0].key: Forbidden: prenv's labels mark the namespaces of envs, and an env's pods may not be reached from another env's`,
		}},
		{"dns selector invalid", func(s *spec.Spec) {
			s.NetworkPolicy = &spec.NetworkPolicy{DNS: &spec.NamespacePeer{NamespaceSelector: &spec.LabelSelector{MatchExpressions: []spec.LabelSelectorRequirement{{Key: "team", Operator: "In"}}}}}
		}, []string{`spec.networkPolicy.dns.namespaceSelector.matchExpressions[0].values: Required value: must be specified when ` + "`operator`" + ` is 'In' or 'NotIn'`}},
		{"egress CIDR", func(s *spec.Spec) {
			s.NetworkPolicy = &spec.NetworkPolicy{Egress: []spec.EgressRule{
				{IPBlock: spec.IPBlock{CIDR: "10.0.0.1/8"}},
				{IPBlock: spec.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"192.168.0.0/16", "10.0.0.0/8"}}},
				{IPBlock: spec.IPBlock{CIDR: "2001:DB8::/32"}},
			}}
		}, []string{
			`spec.networkPolicy.egress[0].ipBlock.cidr: Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix length`,
			"spec.networkPolicy.egress[1].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`",
			"spec.networkPolicy.egress[1].ipBlock.except[1]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`",
			`spec.networkPolicy.egress[2].ipBlock.cidr: Invalid value: "2001:DB8::/32": must be in canonical form ("2001:db8::/32")`,
		}},
		{"egress ports", func(s *spec.Spec) {
			s.NetworkPolicy = &spec.NetworkPolicy{Egress: []spec.EgressRule{{
				IPBlock: spec.IPBlock{CIDR: "0.0.0.0/0"},
				Ports:   []spec.NetworkPort{{Port: 0}, {Protocol: "ICMP", Port: 1}, {Port: 5000, EndPort: testkit.Ptr(int32(4000))}},
			}}}
		}, []string{
			`spec.networkPolicy.egress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`,
			`spec.networkPolicy.egress[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"`,
			"spec.networkPolicy.egress[0].ports[2].endPort: Invalid value: 4000: must be greater than or equal to `port`",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := testkit.ValidSpec()
			c.set(&env.Spec)
			if diff := cmp.Diff(c.want, specErrors(t, env)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// networkPolicies returns the output's NetworkPolicies by name.
func networkPolicies(t *testing.T, out *render.Output) map[string]*networkingv1.NetworkPolicy {
	t.Helper()
	nps := map[string]*networkingv1.NetworkPolicy{}
	for _, o := range testkit.ObjectsOfKind(out, "NetworkPolicy") {
		if o.GetNamespace() != out.Model.Namespace {
			t.Errorf("NetworkPolicy %s in %q, want the env's namespace", o.GetName(), o.GetNamespace())
		}
		nps[o.GetName()] = typed[networkingv1.NetworkPolicy](t, o)
	}
	return nps
}

func TestNetworkPolicyContent(t *testing.T) {
	nps := networkPolicies(t, renderBounds(t, testkit.ValidSpec(), 123))
	var names []string
	for n := range nps {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"prenv-allow-dns", "prenv-allow-egress", "prenv-allow-ingress", "prenv-allow-same-namespace", "prenv-default-deny"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("NetworkPolicies (-want +got):\n%s", diff)
	}
	for name, np := range nps {
		if sel := np.Spec.PodSelector; len(sel.MatchLabels)+len(sel.MatchExpressions) != 0 {
			t.Errorf("%s selects %v; every policy applies to every pod of the env", name, sel)
		}
	}
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	deny := nps["prenv-default-deny"].Spec
	if !slices.Equal(deny.PolicyTypes, both) || deny.Ingress != nil || deny.Egress != nil {
		t.Errorf("prenv-default-deny: %+v; want both policy types and no rule", deny)
	}
	same := nps["prenv-allow-same-namespace"].Spec
	ownPods := []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}
	if !slices.Equal(same.PolicyTypes, both) || len(same.Ingress) != 1 || len(same.Egress) != 1 ||
		!cmp.Equal(same.Ingress[0].From, ownPods) || !cmp.Equal(same.Egress[0].To, ownPods) || same.Ingress[0].Ports != nil || same.Egress[0].Ports != nil {
		t.Errorf("prenv-allow-same-namespace: %+v; want every pod of the namespace, in and out, on every port", same)
	}
	notEnv := metav1.LabelSelectorRequirement{Key: spec.LabelEnv, Operator: metav1.LabelSelectorOpDoesNotExist}
	ingress := nps["prenv-allow-ingress"].Spec
	wantFrom := []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
		MatchLabels:      map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"},
		MatchExpressions: []metav1.LabelSelectorRequirement{notEnv},
	}}}
	if len(ingress.Ingress) != 1 || !cmp.Equal(ingress.Ingress[0].From, wantFrom) || ingress.Ingress[0].Ports != nil {
		t.Errorf("prenv-allow-ingress: %+v; want every pod of ingress-nginx", ingress)
	}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns := nps["prenv-allow-dns"].Spec
	if len(dns.Egress) != 1 || len(dns.Egress[0].Ports) != 2 ||
		*dns.Egress[0].Ports[0].Protocol != udp || dns.Egress[0].Ports[0].Port.IntValue() != 53 ||
		*dns.Egress[0].Ports[1].Protocol != tcp || dns.Egress[0].Ports[1].Port.IntValue() != 53 ||
		!cmp.Equal(dns.Egress[0].To, []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}, MatchExpressions: []metav1.LabelSelectorRequirement{notEnv}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
		}}) {
		t.Errorf("prenv-allow-dns: %+v; want kube-dns in kube-system on 53 UDP and TCP", dns)
	}
	egress := nps["prenv-allow-egress"].Spec
	var cidrs []string
	for _, r := range egress.Egress {
		if len(r.Ports) != 1 || *r.Ports[0].Protocol != tcp || r.Ports[0].Port.IntValue() != 443 || len(r.To) != 1 || r.To[0].IPBlock == nil {
			t.Errorf("prenv-allow-egress rule %+v; want one ipBlock on TCP 443", r)
			continue
		}
		cidrs = append(cidrs, r.To[0].IPBlock.CIDR)
	}
	if !slices.Equal(cidrs, []string{"0.0.0.0/0", "::/0"}) || !slices.Equal(egress.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}) {
		t.Errorf("prenv-allow-egress: %v, %v; want 0.0.0.0/0 and ::/0, egress only", cidrs, egress.PolicyTypes)
	}

	t.Run("configured", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.NetworkPolicy = &spec.NetworkPolicy{
			IngressFrom: []spec.NamespacePeer{{
				NamespaceSelector: &spec.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "traefik"}},
				PodSelector:       &spec.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "traefik"}},
			}},
			Egress: []spec.EgressRule{{IPBlock: spec.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/16"}}, Ports: []spec.NetworkPort{{Port: 443}, {Protocol: "UDP", Port: 30000, EndPort: testkit.Ptr(int32(30100))}}}},
		}
		nps := networkPolicies(t, renderBounds(t, env, 123))
		from := nps["prenv-allow-ingress"].Spec.Ingress[0].From
		want := []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "traefik"}, MatchExpressions: []metav1.LabelSelectorRequirement{notEnv}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "traefik"}},
		}}
		if diff := cmp.Diff(want, from); diff != "" {
			t.Errorf("ingress from (-want +got):\n%s", diff)
		}
		rules := nps["prenv-allow-egress"].Spec.Egress
		end := int32(30100)
		wantRules := []networkingv1.NetworkPolicyEgressRule{{
			To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/16"}}}},
			Ports: []networkingv1.NetworkPolicyPort{
				{Protocol: &tcp, Port: testkit.Ptr(intstr.FromInt32(443))},
				{Protocol: &udp, Port: testkit.Ptr(intstr.FromInt32(30000)), EndPort: &end},
			},
		}}
		if diff := cmp.Diff(wantRules, rules); diff != "" {
			t.Errorf("egress (-want +got):\n%s", diff)
		}
	})
	t.Run("no ingress, no egress", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.NetworkPolicy = &spec.NetworkPolicy{IngressFrom: []spec.NamespacePeer{}, Egress: []spec.EgressRule{}}
		nps := networkPolicies(t, renderBounds(t, env, 123))
		if _, ok := nps["prenv-allow-ingress"]; ok {
			t.Error("prenv-allow-ingress rendered with ingressFrom: []")
		}
		if _, ok := nps["prenv-allow-egress"]; ok {
			t.Error("prenv-allow-egress rendered with egress: []")
		}
		if _, ok := nps["prenv-default-deny"]; !ok {
			t.Error("prenv-default-deny missing")
		}
	})
	t.Run("off", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.NetworkPolicy = &spec.NetworkPolicy{Enabled: testkit.Ptr(false)}
		out := renderOff(t, env, "spec.networkPolicy.enabled")
		if n := len(testkit.ObjectsOfKind(out, "NetworkPolicy")); n != 0 {
			t.Errorf("%d NetworkPolicies with enabled: false", n)
		}
		if slices.Contains(plan.EnvKinds(out.Model), spec.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}) {
			t.Error("EnvKinds lists NetworkPolicy with enabled: false")
		}
	})
}

// admits reports whether peer, in a policy of namespace own, selects a pod
// of namespace other whose Namespace carries nsLabels (any pod labels).
func admits(t *testing.T, peer networkingv1.NetworkPolicyPeer, own, other string, nsLabels map[string]string) bool {
	t.Helper()
	if peer.IPBlock != nil {
		return true // an address range may hold any pod's address
	}
	if peer.NamespaceSelector == nil {
		return own == other // podSelector alone: the policy's own namespace
	}
	sel, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
	if err != nil {
		t.Fatal(err)
	}
	return sel.Matches(labels.Set(nsLabels))
}

// TestCrossPRIsolation: a pod of one env can reach a pod of another only if
// the other env's NetworkPolicies admit it in (NetworkPolicies are
// enforced at both ends). So it is enough that no ingress rule of any env
// admits a pod of another env's namespace: no rule without peers (every
// source), no ipBlock, and every namespace selector excludes namespaces
// with prenv's env label, which every env's Namespace carries. Checked on
// rendered objects of two PRs of one app and a PR of another app, with the
// default and with a selector that would select every namespace.
func TestCrossPRIsolation(t *testing.T) {
	for _, c := range []struct {
		name string
		np   *spec.NetworkPolicy
	}{
		{"defaults", nil},
		{"a selector of every namespace", &spec.NetworkPolicy{
			IngressFrom: []spec.NamespacePeer{{NamespaceSelector: &spec.LabelSelector{MatchExpressions: []spec.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name", Operator: "Exists"}}}}},
			DNS:         &spec.NamespacePeer{NamespaceSelector: &spec.LabelSelector{MatchExpressions: []spec.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name", Operator: "Exists"}}}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			type envOut struct {
				ns       string
				nsLabels map[string]string
				nps      map[string]*networkingv1.NetworkPolicy
			}
			var envs []envOut
			for _, e := range []struct {
				app string
				pr  int
			}{{"shop", 1}, {"shop", 2}, {"web", 1}} {
				env := testkit.ValidSpec()
				env.Metadata.Name = e.app
				env.Spec.NetworkPolicy = c.np
				out := renderBounds(t, env, e.pr)
				ns := testkit.ObjectsOfKind(out, "Namespace")[0]
				// The API server sets kubernetes.io/metadata.name on every Namespace.
				l := ns.GetLabels()
				l["kubernetes.io/metadata.name"] = ns.GetName()
				envs = append(envs, envOut{ns: ns.GetName(), nsLabels: l, nps: networkPolicies(t, out)})
			}
			for _, dst := range envs {
				if _, ok := dst.nps["prenv-default-deny"]; !ok {
					t.Fatalf("%s has no default-deny policy", dst.ns)
				}
				for _, src := range envs {
					if src.ns == dst.ns {
						continue
					}
					for name, np := range dst.nps {
						for i, r := range np.Spec.Ingress {
							if len(r.From) == 0 {
								t.Errorf("%s/%s ingress[%d] has no peers: it admits every source", dst.ns, name, i)
							}
							for j, p := range r.From {
								if admits(t, p, dst.ns, src.ns, src.nsLabels) {
									t.Errorf("%s/%s ingress[%d].from[%d] admits pods of %s", dst.ns, name, i, j, src.ns)
								}
							}
						}
						// Egress to another env's namespace by selector is
						// refused too (its ingress refuses it anyway).
						for i, r := range np.Spec.Egress {
							for j, p := range r.To {
								if p.IPBlock == nil && admits(t, p, dst.ns, src.ns, src.nsLabels) {
									t.Errorf("%s/%s egress[%d].to[%d] selects pods of %s", dst.ns, name, i, j, src.ns)
								}
							}
						}
					}
				}
				// The ingress controller's namespace is still admitted.
				if c.np == nil {
					ing := map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}
					if !admits(t, dst.nps["prenv-allow-ingress"].Spec.Ingress[0].From[0], dst.ns, "ingress-nginx", ing) {
						t.Errorf("%s does not admit the ingress controller", dst.ns)
					}
				}
			}
		})
	}
}

// TestBoundsValidateAndAreAllowed: the ResourceQuota, the LimitRange and
// the NetworkPolicies, as rendered, pass the Validator (strict decoding,
// metadata, and the API server's rules of their kinds), their kinds are
// among EnvKinds (the AppProject's), and the final checks pass them.
func TestBoundsValidateAndAreAllowed(t *testing.T) {
	ctx := context.Background()
	v, err := validate.New(ctx, validate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := testkit.ValidSpec()
	env.Spec.TTL = "72h"
	env.Spec.NetworkPolicy = &spec.NetworkPolicy{Egress: []spec.EgressRule{{IPBlock: spec.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/16"}}, Ports: []spec.NetworkPort{{Port: 443}}}}}
	out := renderBounds(t, env, 123)
	res, err := v.ValidateObjects(ctx, out.Objects, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("%s", p.String())
	}
	kinds := plan.EnvKinds(out.Model)
	for _, gk := range []spec.GroupKind{{Kind: "ResourceQuota"}, {Kind: "LimitRange"}, {Group: "networking.k8s.io", Kind: "NetworkPolicy"}} {
		if !slices.Contains(kinds, gk) {
			t.Errorf("EnvKinds %v lacks %v", kinds, gk)
		}
	}
	for _, o := range out.Objects {
		gk := spec.GroupKind{Group: o.GroupVersionKind().Group, Kind: o.GetKind()}
		if gk.Kind != "Namespace" && !slices.Contains(kinds, gk) {
			t.Errorf("%s/%s: kind not in EnvKinds %v", o.GetKind(), o.GetName(), kinds)
		}
	}
	if errs := fence.CheckObjects(out.Model, out.Objects, fence.ObjectRules{}); len(errs) > 0 {
		t.Errorf("final checks: %v", errs)
	}
}

// TestEgressToNodeMetadata: an egress rule that lets pods reach a
// metadata endpoint of the node (the node's IAM credentials) is refused,
// whatever CIDR covers it, unless except takes it out or the ports leave
// port 80 out.
func TestEgressToNodeMetadata(t *testing.T) {
	const msg = ", a metadata endpoint of the node that hands out the node's own IAM credentials; add it to except (169.254.0.0/16 and fd00:ec2::/32 cover them all) or allow other ports"
	for name, tc := range map[string]struct {
		rule spec.EgressRule
		want string // "" accepted
	}{
		"IMDS itself on port 80": {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "169.254.169.254/32"}, Ports: []spec.NetworkPort{{Protocol: "TCP", Port: 80}}},
			"spec.networkPolicy.egress[0].ipBlock.cidr: Forbidden: lets the env's pods reach 169.254.169.254 on port 80" + msg},
		"everything, every port": {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "0.0.0.0/0"}},
			"spec.networkPolicy.egress[0].ipBlock.cidr: Forbidden: lets the env's pods reach 169.254.169.254 on port 80" + msg},
		"a port range over 80": {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "169.254.0.0/16"}, Ports: []spec.NetworkPort{{Port: 1, EndPort: testkit.Ptr(int32(1024))}}},
			"spec.networkPolicy.egress[0].ipBlock.cidr: Forbidden: lets the env's pods reach 169.254.169.254 on port 80" + msg},
		"the Pod Identity agent": {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"169.254.169.254/32"}}},
			"spec.networkPolicy.egress[0].ipBlock.cidr: Forbidden: lets the env's pods reach 169.254.170.2 on port 80" + msg},
		"IPv6 IMDS": {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "::/0"}, Ports: []spec.NetworkPort{{Port: 80}}},
			"spec.networkPolicy.egress[0].ipBlock.cidr: Forbidden: lets the env's pods reach fd00:ec2::254 on port 80" + msg},
		"excepted":           {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"169.254.0.0/16"}}}, ""},
		"only 443":           {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "0.0.0.0/0"}, Ports: []spec.NetworkPort{{Port: 443}}}, ""},
		"UDP 80":             {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "169.254.169.254/32"}, Ports: []spec.NetworkPort{{Protocol: "UDP", Port: 80}}}, ""},
		"another link-local": {spec.EgressRule{IPBlock: spec.IPBlock{CIDR: "169.254.1.0/24"}}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.NetworkPolicy = &spec.NetworkPolicy{Egress: []spec.EgressRule{tc.rule}}
			_, err := render.Render(context.Background(), env, 1, render.Options{})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}
