package fence

import (
	"reflect"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// sameAsBound reports whether raw is the same JSON value (sameJSONValue)
// as the JSON form of a bound spec (v as boundSpec holds it) that
// runtime.DefaultUnstructuredConverter.ToUnstructured gives, without
// making that form: the converter's cost was most of the final checks'
// on an env. ok is false when this function does not decide: a type has
// fields it does not know (boundTypesKnown), or v takes a path of the
// converter's that is not restated here (a quota's scope selector, an
// IntOrString of no type or a string port of invalid UTF-8, which the
// converter's JSON round trip would change); the caller then asks the
// converter.
//
// The converter's rules restated: a field tagged omitempty is left out
// when it is an empty string, a nil pointer, or a nil or empty map or
// slice; other fields are kept, a nil slice as a nil value; strings of
// named string types are plain strings, integers int64; a Quantity is its
// String(); an IntOrString is its int as int64 or its string. Each
// function below compares raw with the form of one type: an object has
// exactly the members the form has, each the same value.
func sameAsBound(raw, v any) (same, ok bool) {
	if !boundTypesKnown {
		return false, false
	}
	switch s := v.(type) {
	case corev1.ResourceQuotaSpec:
		if s.ScopeSelector != nil {
			return false, false
		}
		return sameQuota(raw, &s), true
	case corev1.LimitRangeSpec:
		return sameLimitRange(raw, &s), true
	case networkingv1.NetworkPolicySpec:
		if !portsRestated(s.Ingress, s.Egress) {
			return false, false
		}
		return sameNetworkPolicy(raw, &s), true
	}
	return false, false
}

func sameQuota(raw any, s *corev1.ResourceQuotaSpec) bool {
	m, ok := raw.(map[string]any)
	if !ok {
		return false
	}
	n := 0
	if len(s.Hard) > 0 {
		n++
		if !sameResources(m["hard"], s.Hard) {
			return false
		}
	}
	if len(s.Scopes) > 0 {
		n++
		if !sameStrings(m["scopes"], s.Scopes) {
			return false
		}
	}
	return len(m) == n
}

func sameLimitRange(raw any, s *corev1.LimitRangeSpec) bool {
	m, ok := raw.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	got, ok := m["limits"]
	if !ok {
		return false
	}
	if s.Limits == nil {
		// A nil list is a nil value.
		return got == nil
	}
	list, ok := got.([]any)
	if !ok || len(list) != len(s.Limits) {
		return false
	}
	for i := range s.Limits {
		l := &s.Limits[i]
		item, ok := list[i].(map[string]any)
		if !ok {
			return false
		}
		if t, ok := item["type"].(string); !ok || t != string(l.Type) {
			return false
		}
		n := 1
		for _, r := range [...]struct {
			key  string
			list corev1.ResourceList
		}{{"max", l.Max}, {"min", l.Min}, {"default", l.Default}, {"defaultRequest", l.DefaultRequest}, {"maxLimitRequestRatio", l.MaxLimitRequestRatio}} {
			if len(r.list) == 0 {
				continue
			}
			n++
			if !sameResources(item[r.key], r.list) {
				return false
			}
		}
		if len(item) != n {
			return false
		}
	}
	return true
}

// portsRestated reports whether every port of the rules is one
// samePorts compares as the converter converts it.
func portsRestated(in []networkingv1.NetworkPolicyIngressRule, out []networkingv1.NetworkPolicyEgressRule) bool {
	restated := func(ports []networkingv1.NetworkPolicyPort) bool {
		for _, p := range ports {
			if p.Port != nil && p.Port.Type != intstr.Int && (p.Port.Type != intstr.String || !utf8.ValidString(p.Port.StrVal)) {
				return false
			}
		}
		return true
	}
	for _, r := range in {
		if !restated(r.Ports) {
			return false
		}
	}
	for _, r := range out {
		if !restated(r.Ports) {
			return false
		}
	}
	return true
}

func sameNetworkPolicy(raw any, s *networkingv1.NetworkPolicySpec) bool {
	m, ok := raw.(map[string]any)
	if !ok || !sameSelector(m["podSelector"], &s.PodSelector) {
		return false
	}
	n := 1
	if len(s.Ingress) > 0 {
		n++
		list, ok := m["ingress"].([]any)
		if !ok || len(list) != len(s.Ingress) {
			return false
		}
		for i, r := range s.Ingress {
			if !sameRule(list[i], r.Ports, "from", r.From) {
				return false
			}
		}
	}
	if len(s.Egress) > 0 {
		n++
		list, ok := m["egress"].([]any)
		if !ok || len(list) != len(s.Egress) {
			return false
		}
		for i, r := range s.Egress {
			if !sameRule(list[i], r.Ports, "to", r.To) {
				return false
			}
		}
	}
	if len(s.PolicyTypes) > 0 {
		n++
		if !sameStrings(m["policyTypes"], s.PolicyTypes) {
			return false
		}
	}
	return len(m) == n
}

// sameRule compares an ingress rule (peers under "from") or an egress rule
// (under "to").
func sameRule(raw any, ports []networkingv1.NetworkPolicyPort, peersKey string, peers []networkingv1.NetworkPolicyPeer) bool {
	m, ok := raw.(map[string]any)
	if !ok {
		return false
	}
	n := 0
	if len(ports) > 0 {
		n++
		list, ok := m["ports"].([]any)
		if !ok || len(list) != len(ports) {
			return false
		}
		for i := range ports {
			if !samePort(list[i], &ports[i]) {
				return false
			}
		}
	}
	if len(peers) > 0 {
		n++
		list, ok := m[peersKey].([]any)
		if !ok || len(list) != len(peers) {
			return false
		}
		for i := range peers {
			if !samePeer(list[i], &peers[i]) {
				return false
			}
		}
	}
	return len(m) == n
}

// samePort compares a port whose IntOrString portsRestated accepts.
func samePort(raw any, p *networkingv1.NetworkPolicyPort) bool {
	m, ok := raw.(map[string]any)
	if !ok {
		return false
	}
	n := 0
	if p.Protocol != nil {
		n++
		if s, ok := m["protocol"].(string); !ok || s != string(*p.Protocol) {
			return false
		}
	}
	if p.Port != nil {
		n++
		if p.Port.Type == intstr.Int {
			if !sameInt(m["port"], int64(p.Port.IntVal)) {
				return false
			}
		} else if s, ok := m["port"].(string); !ok || s != p.Port.StrVal {
			return false
		}
	}
	if p.EndPort != nil {
		n++
		if !sameInt(m["endPort"], int64(*p.EndPort)) {
			return false
		}
	}
	return len(m) == n
}

func samePeer(raw any, p *networkingv1.NetworkPolicyPeer) bool {
	m, ok := raw.(map[string]any)
	if !ok {
		return false
	}
	n := 0
	if p.PodSelector != nil {
		n++
		if !sameSelector(m["podSelector"], p.PodSelector) {
			return false
		}
	}
	if p.NamespaceSelector != nil {
		n++
		if !sameSelector(m["namespaceSelector"], p.NamespaceSelector) {
			return false
		}
	}
	if b := p.IPBlock; b != nil {
		n++
		ip, ok := m["ipBlock"].(map[string]any)
		if !ok {
			return false
		}
		if cidr, ok := ip["cidr"].(string); !ok || cidr != b.CIDR {
			return false
		}
		k := 1
		if len(b.Except) > 0 {
			k++
			if !sameStrings(ip["except"], b.Except) {
				return false
			}
		}
		if len(ip) != k {
			return false
		}
	}
	return len(m) == n
}

func sameSelector(raw any, s *metav1.LabelSelector) bool {
	m, ok := raw.(map[string]any)
	if !ok {
		return false
	}
	n := 0
	if len(s.MatchLabels) > 0 {
		n++
		labels, ok := m["matchLabels"].(map[string]any)
		if !ok || len(labels) != len(s.MatchLabels) {
			return false
		}
		for k, v := range s.MatchLabels {
			if g, ok := labels[k].(string); !ok || g != v {
				return false
			}
		}
	}
	if len(s.MatchExpressions) > 0 {
		n++
		list, ok := m["matchExpressions"].([]any)
		if !ok || len(list) != len(s.MatchExpressions) {
			return false
		}
		for i := range s.MatchExpressions {
			r := &s.MatchExpressions[i]
			e, ok := list[i].(map[string]any)
			if !ok {
				return false
			}
			if k, ok := e["key"].(string); !ok || k != r.Key {
				return false
			}
			if op, ok := e["operator"].(string); !ok || op != string(r.Operator) {
				return false
			}
			k := 2
			if len(r.Values) > 0 {
				k++
				if !sameStrings(e["values"], r.Values) {
					return false
				}
			}
			if len(e) != k {
				return false
			}
		}
	}
	return len(m) == n
}

// sameResources compares a non-empty ResourceList.
func sameResources(raw any, l corev1.ResourceList) bool {
	m, ok := raw.(map[string]any)
	if !ok || len(m) != len(l) {
		return false
	}
	for k, q := range l {
		if s, ok := m[string(k)].(string); !ok || s != q.String() {
			return false
		}
	}
	return true
}

// sameStrings compares a non-empty list of strings.
func sameStrings[S ~string](raw any, v []S) bool {
	list, ok := raw.([]any)
	if !ok || len(list) != len(v) {
		return false
	}
	for i, s := range v {
		if g, ok := list[i].(string); !ok || g != string(s) {
			return false
		}
	}
	return true
}

// sameInt compares a number as sameJSONValue does with the int64 n.
func sameInt(raw any, n int64) bool {
	got, ok := jsonNumber(raw)
	want, wok := jsonNumber(n)
	return ok && wok && got == want
}

// boundTypesKnown is set when the API types sameAsBound compares have the
// JSON fields (names and omitempty; an IntOrString's Go fields) it was
// written for: a field that a newer k8s.io/api adds would otherwise be
// left out of the comparison, and an object without it would pass for
// prenv's.
var boundTypesKnown = func() bool {
	want := map[reflect.Type]string{
		reflect.TypeFor[corev1.ResourceQuotaSpec]():              "hard,omitempty scopes,omitempty scopeSelector,omitempty",
		reflect.TypeFor[corev1.LimitRangeSpec]():                 "limits",
		reflect.TypeFor[corev1.LimitRangeItem]():                 "type max,omitempty min,omitempty default,omitempty defaultRequest,omitempty maxLimitRequestRatio,omitempty",
		reflect.TypeFor[networkingv1.NetworkPolicySpec]():        "podSelector ingress,omitempty egress,omitempty policyTypes,omitempty",
		reflect.TypeFor[networkingv1.NetworkPolicyIngressRule](): "ports,omitempty from,omitempty",
		reflect.TypeFor[networkingv1.NetworkPolicyEgressRule]():  "ports,omitempty to,omitempty",
		reflect.TypeFor[networkingv1.NetworkPolicyPeer]():        "podSelector,omitempty namespaceSelector,omitempty ipBlock,omitempty",
		reflect.TypeFor[networkingv1.NetworkPolicyPort]():        "protocol,omitempty port,omitempty endPort,omitempty",
		reflect.TypeFor[networkingv1.IPBlock]():                  "cidr except,omitempty",
		reflect.TypeFor[metav1.LabelSelector]():                  "matchLabels,omitempty matchExpressions,omitempty",
		reflect.TypeFor[metav1.LabelSelectorRequirement]():       "key operator values,omitempty",
		reflect.TypeFor[intstr.IntOrString]():                    "Type IntVal StrVal",
	}
	for t, tags := range want {
		names := make([]string, t.NumField())
		for i := range names {
			f := t.Field(i)
			if names[i] = f.Tag.Get("json"); names[i] == "" {
				// IntOrString has no JSON tags: its MarshalJSON writes it.
				names[i] = f.Name
			}
		}
		if strings.Join(names, " ") != tags {
			return false
		}
	}
	return true
}()
