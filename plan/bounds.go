package plan

import (
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"prenv.dev/prenv/spec"
)

// Names of the bounding objects in each env's namespace.
const (
	ResourceQuotaName          = "prenv"
	LimitRangeName             = "prenv"
	NetworkPolicyDefaultDeny   = "prenv-default-deny"
	NetworkPolicySameNamespace = "prenv-allow-same-namespace"
	NetworkPolicyIngress       = "prenv-allow-ingress"
	NetworkPolicyDNS           = "prenv-allow-dns"
	NetworkPolicyEgress        = "prenv-allow-egress"
)

// ResourceQuotaModel is the env's ResourceQuota.
type ResourceQuotaModel struct {
	Name string `json:"name"`
	// Hard maps resource names to quantities in canonical form.
	Hard map[string]string `json:"hard"`
}

// LimitRangeModel is the env's LimitRange: one item, of type Container.
type LimitRangeModel struct {
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	DefaultRequest map[string]string `json:"defaultRequest"`
	Default        map[string]string `json:"default"`
	Max            map[string]string `json:"max"`
}

// NetworkPolicyModel is one NetworkPolicy of the env; it selects every pod
// of the namespace.
type NetworkPolicyModel struct {
	Name        string             `json:"name"`
	PodSelector LabelSelectorModel `json:"podSelector"`
	PolicyTypes []string           `json:"policyTypes"`
	// Ingress rules: peers are the rule's from.
	Ingress []NetworkPolicyRuleModel `json:"ingress"`
	// Egress rules: peers are the rule's to.
	Egress []NetworkPolicyRuleModel `json:"egress"`
}

// NetworkPolicyRuleModel is an ingress or egress rule.
type NetworkPolicyRuleModel struct {
	Peers []PeerModel `json:"peers"`
	Ports []PortModel `json:"ports"`
}

// PeerModel is a NetworkPolicy peer.
type PeerModel struct {
	PodSelector       *LabelSelectorModel `json:"podSelector"`
	NamespaceSelector *LabelSelectorModel `json:"namespaceSelector"`
	IPBlock           *IPBlockModel       `json:"ipBlock"`
}

// LabelSelectorModel is a label selector.
type LabelSelectorModel struct {
	MatchLabels      map[string]string          `json:"matchLabels"`
	MatchExpressions []SelectorRequirementModel `json:"matchExpressions"`
}

// SelectorRequirementModel is one match expression of a label selector.
type SelectorRequirementModel struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
}

// IPBlockModel is a CIDR range less its excepts.
type IPBlockModel struct {
	CIDR   string   `json:"cidr"`
	Except []string `json:"except"`
}

// PortModel is a port or a range of ports of a protocol.
type PortModel struct {
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
	EndPort  *int32 `json:"endPort"`
}

// planBounds sets the env's time to live and its bounding objects in m.
// The spec has passed [spec.Check].
func planBounds(m *Model, s *spec.Spec) {
	m.NamespaceAnnotations = map[string]string{}
	m.NamespaceLabels = podSecurityLabels()
	if s.TTL != "" {
		m.NamespaceAnnotations[spec.AnnotationTTL] = s.TTL
	}
	if q := s.ResourceQuota; q == nil || spec.Enabled(q.Enabled) {
		hard := spec.DefaultQuotaHard()
		if q != nil {
			maps.Copy(hard, q.Hard)
		}
		m.ResourceQuota = &ResourceQuotaModel{Name: ResourceQuotaName, Hard: canonical(hard)}
	}
	if l := s.LimitRange; l == nil || spec.Enabled(l.Enabled) {
		lr := spec.DefaultLimitRange()
		if l != nil {
			maps.Copy(lr.DefaultRequest, l.DefaultRequest)
			maps.Copy(lr.Default, l.Default)
			maps.Copy(lr.Max, l.Max)
		}
		m.LimitRange = &LimitRangeModel{Name: LimitRangeName, Type: "Container", DefaultRequest: canonical(lr.DefaultRequest), Default: canonical(lr.Default), Max: canonical(lr.Max)}
	}
	m.NetworkPolicies = []NetworkPolicyModel{}
	if n := s.NetworkPolicy; n == nil || spec.Enabled(n.Enabled) {
		m.NetworkPolicies = planNetworkPolicies(n)
		m.NetworkPolicies = append(m.NetworkPolicies, kubeAPIPolicy(m)...)
		slices.SortFunc(m.NetworkPolicies, func(a, b NetworkPolicyModel) int { return strings.Compare(a.Name, b.Name) })
	}
}

// canonical writes every quantity of list in its canonical form, as the
// API server stores it, so that Argo CD sees no difference.
func canonical(list spec.ResourceList) map[string]string {
	out := make(map[string]string, len(list))
	for k, v := range list {
		q := resource.MustParse(string(v))
		out[k] = q.String()
	}
	return out
}

// everyPod selects every pod of the namespace.
func everyPod() LabelSelectorModel {
	return LabelSelectorModel{MatchLabels: map[string]string{}, MatchExpressions: []SelectorRequirementModel{}}
}

// planNetworkPolicies returns the env's NetworkPolicies for n (nil: the
// defaults), by name: default deny, then the allow rules.
func planNetworkPolicies(n *spec.NetworkPolicy) []NetworkPolicyModel {
	ingressFrom := spec.DefaultIngressFrom()
	dns := spec.DefaultDNS()
	egress := spec.DefaultEgress()
	if n != nil {
		if n.IngressFrom != nil {
			ingressFrom = n.IngressFrom
		}
		if n.DNS != nil {
			dns = *n.DNS
		}
		if n.Egress != nil {
			egress = n.Egress
		}
	}
	own := PeerModel{PodSelector: ptrTo(everyPod())}
	pols := []NetworkPolicyModel{
		{Name: NetworkPolicyDefaultDeny, PolicyTypes: []string{"Ingress", "Egress"}},
		{
			Name:        NetworkPolicySameNamespace,
			PolicyTypes: []string{"Ingress", "Egress"},
			Ingress:     []NetworkPolicyRuleModel{{Peers: []PeerModel{own}}},
			Egress:      []NetworkPolicyRuleModel{{Peers: []PeerModel{own}}},
		},
		{
			Name:        NetworkPolicyDNS,
			PolicyTypes: []string{"Egress"},
			Egress: []NetworkPolicyRuleModel{{
				Peers: []PeerModel{namespacePeer(dns)},
				Ports: []PortModel{{Protocol: "UDP", Port: spec.DNSPort}, {Protocol: "TCP", Port: spec.DNSPort}},
			}},
		},
	}
	if len(ingressFrom) > 0 {
		rule := NetworkPolicyRuleModel{}
		for _, p := range ingressFrom {
			rule.Peers = append(rule.Peers, namespacePeer(p))
		}
		pols = append(pols, NetworkPolicyModel{Name: NetworkPolicyIngress, PolicyTypes: []string{"Ingress"}, Ingress: []NetworkPolicyRuleModel{rule}})
	}
	if len(egress) > 0 {
		np := NetworkPolicyModel{Name: NetworkPolicyEgress, PolicyTypes: []string{"Egress"}}
		for _, r := range egress {
			rule := NetworkPolicyRuleModel{Peers: []PeerModel{{IPBlock: &IPBlockModel{CIDR: r.IPBlock.CIDR, Except: slices.Clone(r.IPBlock.Except)}}}}
			if rule.Peers[0].IPBlock.Except == nil {
				rule.Peers[0].IPBlock.Except = []string{}
			}
			for _, p := range r.Ports {
				rule.Ports = append(rule.Ports, portModel(p))
			}
			np.Egress = append(np.Egress, rule)
		}
		pols = append(pols, np)
	}
	for i := range pols {
		pols[i].PodSelector = everyPod()
	}
	slices.SortFunc(pols, func(a, b NetworkPolicyModel) int { return strings.Compare(a.Name, b.Name) })
	return pols
}

// namespacePeer is a peer of other namespaces, its namespace selector
// narrowed to namespaces without prenv's env label: whatever the spec
// selects, no env's namespace is among it.
func namespacePeer(p spec.NamespacePeer) PeerModel {
	ns := selectorModel(p.NamespaceSelector.API())
	ns.MatchExpressions = append(ns.MatchExpressions, SelectorRequirementModel{Key: spec.LabelEnv, Operator: string(metav1.LabelSelectorOpDoesNotExist), Values: []string{}})
	out := PeerModel{NamespaceSelector: &ns}
	if p.PodSelector != nil {
		out.PodSelector = ptrTo(selectorModel(p.PodSelector.API()))
	}
	return out
}

func selectorModel(s *metav1.LabelSelector) LabelSelectorModel {
	out := everyPod()
	if s == nil {
		return out
	}
	maps.Copy(out.MatchLabels, s.MatchLabels)
	for _, r := range s.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, SelectorRequirementModel{Key: r.Key, Operator: string(r.Operator), Values: append([]string{}, r.Values...)})
	}
	return out
}

func portModel(p spec.NetworkPort) PortModel {
	proto := p.Protocol
	if proto == "" {
		proto = "TCP"
	}
	return PortModel{Protocol: proto, Port: p.Port, EndPort: p.EndPort}
}

func ptrTo[T any](v T) *T { return &v }
