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

// boundJSON returns the JSON form of a bound spec (v as boundSpec holds
// it) as runtime.DefaultUnstructuredConverter.ToUnstructured gives it, but
// built directly, without reflection: the converter's cost was most of the
// final checks' on an env. ok is false when the form is not built here: a
// type has fields this file does not know (boundTypesKnown), or a value
// takes a path of the converter's that is not restated here (a quota's
// scope selector, an IntOrString of no type or a string port of invalid
// UTF-8, which the converter's JSON round trip would change); the caller
// then uses the converter.
//
// The converter's rules restated: a field tagged omitempty is left out
// when it is an empty string, a nil pointer, or a nil or empty map or
// slice; other fields are kept, a nil slice as a nil value; strings of
// named string types are plain strings, integers int64; a Quantity is its
// String(); an IntOrString is its int as int64 or its string.
func boundJSON(v any) (map[string]any, bool) {
	if !boundTypesKnown {
		return nil, false
	}
	switch s := v.(type) {
	case corev1.ResourceQuotaSpec:
		if s.ScopeSelector != nil {
			return nil, false
		}
		out := map[string]any{}
		putResources(out, "hard", s.Hard)
		if len(s.Scopes) > 0 {
			out["scopes"] = stringsJSON(s.Scopes)
		}
		return out, true
	case corev1.LimitRangeSpec:
		// A nil list is a nil value (not a nil []any).
		var limits any
		if s.Limits != nil {
			list := make([]any, len(s.Limits))
			for i, l := range s.Limits {
				item := map[string]any{"type": string(l.Type)}
				putResources(item, "max", l.Max)
				putResources(item, "min", l.Min)
				putResources(item, "default", l.Default)
				putResources(item, "defaultRequest", l.DefaultRequest)
				putResources(item, "maxLimitRequestRatio", l.MaxLimitRequestRatio)
				list[i] = item
			}
			limits = list
		}
		return map[string]any{"limits": limits}, true
	case networkingv1.NetworkPolicySpec:
		return networkPolicyJSON(&s)
	}
	return nil, false
}

func networkPolicyJSON(s *networkingv1.NetworkPolicySpec) (map[string]any, bool) {
	out := map[string]any{"podSelector": selectorJSON(&s.PodSelector)}
	if len(s.Ingress) > 0 {
		rules := make([]any, len(s.Ingress))
		for i, r := range s.Ingress {
			m, ok := ruleJSON(r.Ports, "from", r.From)
			if !ok {
				return nil, false
			}
			rules[i] = m
		}
		out["ingress"] = rules
	}
	if len(s.Egress) > 0 {
		rules := make([]any, len(s.Egress))
		for i, r := range s.Egress {
			m, ok := ruleJSON(r.Ports, "to", r.To)
			if !ok {
				return nil, false
			}
			rules[i] = m
		}
		out["egress"] = rules
	}
	if len(s.PolicyTypes) > 0 {
		out["policyTypes"] = stringsJSON(s.PolicyTypes)
	}
	return out, true
}

// ruleJSON is an ingress rule (peers under "from") or an egress rule
// (under "to").
func ruleJSON(ports []networkingv1.NetworkPolicyPort, peersKey string, peers []networkingv1.NetworkPolicyPeer) (map[string]any, bool) {
	out := map[string]any{}
	if len(ports) > 0 {
		list := make([]any, len(ports))
		for i, p := range ports {
			m := map[string]any{}
			if p.Protocol != nil {
				m["protocol"] = string(*p.Protocol)
			}
			if p.Port != nil {
				switch {
				case p.Port.Type == intstr.Int:
					m["port"] = int64(p.Port.IntVal)
				case p.Port.Type == intstr.String && utf8.ValidString(p.Port.StrVal):
					m["port"] = p.Port.StrVal
				default:
					return nil, false
				}
			}
			if p.EndPort != nil {
				m["endPort"] = int64(*p.EndPort)
			}
			list[i] = m
		}
		out["ports"] = list
	}
	if len(peers) > 0 {
		list := make([]any, len(peers))
		for i, p := range peers {
			m := map[string]any{}
			if p.PodSelector != nil {
				m["podSelector"] = selectorJSON(p.PodSelector)
			}
			if p.NamespaceSelector != nil {
				m["namespaceSelector"] = selectorJSON(p.NamespaceSelector)
			}
			if b := p.IPBlock; b != nil {
				ip := map[string]any{"cidr": b.CIDR}
				if len(b.Except) > 0 {
					ip["except"] = stringsJSON(b.Except)
				}
				m["ipBlock"] = ip
			}
			list[i] = m
		}
		out[peersKey] = list
	}
	return out, true
}

func selectorJSON(s *metav1.LabelSelector) map[string]any {
	out := map[string]any{}
	if len(s.MatchLabels) > 0 {
		labels := make(map[string]any, len(s.MatchLabels))
		for k, v := range s.MatchLabels {
			labels[k] = v
		}
		out["matchLabels"] = labels
	}
	if len(s.MatchExpressions) > 0 {
		list := make([]any, len(s.MatchExpressions))
		for i, r := range s.MatchExpressions {
			m := map[string]any{"key": r.Key, "operator": string(r.Operator)}
			if len(r.Values) > 0 {
				m["values"] = stringsJSON(r.Values)
			}
			list[i] = m
		}
		out["matchExpressions"] = list
	}
	return out
}

// putResources sets out[key] to a ResourceList's JSON form unless it is
// empty (the fields are omitempty).
func putResources(out map[string]any, key string, l corev1.ResourceList) {
	if len(l) == 0 {
		return
	}
	m := make(map[string]any, len(l))
	for k, q := range l {
		m[string(k)] = q.String()
	}
	out[key] = m
}

func stringsJSON[S ~string](v []S) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}

// boundTypesKnown is set when the API types boundJSON converts have the
// JSON fields (names and omitempty; an IntOrString's Go fields) it was
// written for: a field that a newer k8s.io/api adds would otherwise be
// left out of the form, and an object without it would pass for prenv's.
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
