package plan

import "prenv.dev/prenv/spec"

// NetworkPolicyKubeAPI lets prenv's own pods that call the Kubernetes API
// reach it.
const NetworkPolicyKubeAPI = "prenv-allow-kube-api"

// LabelKubeAPIClient marks the pods of prenv's own that call the Kubernetes
// API: the password Job's, which reads and creates the databases' Secrets.
// (The databases and the migrations Jobs run without an API token.) A
// spec cannot set it: prenv.dev/ labels are prenv's.
const LabelKubeAPIClient = "prenv.dev/kube-api-client"

// Ports of the Kubernetes API: the kubernetes Service's (443) and the API
// server's own, where its endpoints listen: 443 on EKS, whose endpoints are
// the control plane's network interfaces in the cluster's VPC, 6443 as
// kube-apiserver's default --secure-port.
const (
	kubeAPIServicePort  = 443
	kubeAPIEndpointPort = 6443
)

// kubeAPIPolicy is the NetworkPolicy that lets the pods labelled
// [LabelKubeAPIClient] reach the Kubernetes API, or none when the env has
// none of them (no databases) or no NetworkPolicies. Which addresses the API
// has is not known offline (the kubernetes Service's ClusterIP is the first
// of the cluster's service range; EKS's endpoints are private addresses of
// the VPC), and NetworkPolicy implementations differ in whether they see
// the ClusterIP or the endpoint a connection is translated to, so the
// policy allows TCP 443 and 6443 to any address, for those pods alone: a
// spec.networkPolicy.egress that leaves out private ranges (to keep the
// app's pods off them) cannot cut prenv's own pods off the API, since
// NetworkPolicies add up.
func kubeAPIPolicy(m *Model) []NetworkPolicyModel {
	if m.DatabaseSecrets == nil || len(m.NetworkPolicies) == 0 {
		return nil
	}
	rule := NetworkPolicyRuleModel{Ports: []PortModel{{Protocol: "TCP", Port: kubeAPIServicePort}, {Protocol: "TCP", Port: kubeAPIEndpointPort}}}
	for _, cidr := range []string{"0.0.0.0/0", "::/0"} {
		rule.Peers = append(rule.Peers, PeerModel{IPBlock: &IPBlockModel{CIDR: cidr, Except: []string{}}})
	}
	return []NetworkPolicyModel{{
		Name:        NetworkPolicyKubeAPI,
		PodSelector: LabelSelectorModel{MatchLabels: map[string]string{LabelKubeAPIClient: "true", spec.LabelEnv: m.EnvName}, MatchExpressions: []SelectorRequirementModel{}},
		PolicyTypes: []string{"Egress"},
		Egress:      []NetworkPolicyRuleModel{rule},
	}}
}
