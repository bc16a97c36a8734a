package plan

import (
	"maps"
	"slices"
	"strings"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// WavePodIdentity is the sync wave of the PodIdentityAssociation: after
// the Role it names, before the ServiceAccount and the app's pods (EKS
// Pod Identity's webhook gives a pod its credentials only when the pod is
// created after the association).
const WavePodIdentity = -2

// NetworkPolicyPodIdentityAgent lets the env's pods reach the EKS Pod
// Identity Agent on their node: it listens on the link-local addresses
// 169.254.170.23 and fd00:ec2::23 (Amazon EKS User Guide, "Set up the
// Amazon EKS Pod Identity Agent", Considerations), port 80 (the
// http://169.254.170.23/v1/credentials endpoint the EKS Pod Identity
// webhook gives pods as AWS_CONTAINER_CREDENTIALS_FULL_URI). prenv's
// default egress allows TCP 443 only.
const NetworkPolicyPodIdentityAgent = "prenv-allow-pod-identity-agent"

// Pod Identity Agent addresses, as NetworkPolicy CIDRs.
var podIdentityAgentCIDRs = []string{"169.254.170.23/32", "fd00:ec2::23/128"}

// podIdentityAgentPort is the agent's credentials port.
const podIdentityAgentPort = 80

// PodIdentityModel is the ACK PodIdentityAssociation that gives the env's
// ServiceAccount the env's role in the cluster spec.aws.clusterName.
type PodIdentityModel struct {
	ObjectName     string `json:"objectName"`
	ClusterName    string `json:"clusterName"`
	ClusterARN     string `json:"clusterARN"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleARN"`
	// Annotations are all of the object's ACK annotations: the region,
	// and deletion policy delete whatever spec.deletionPolicy says. An
	// association holds no data, and EKS allows one association per
	// ServiceAccount (CreatePodIdentityAssociation fails with
	// ResourceInUseException otherwise), so a retained association would
	// stop a reopened pull request from getting its own.
	Annotations map[string]string `json:"annotations"`
}

// planIdentity gives the role its trust policy and the ServiceAccount its
// annotations for the spec's identity, and with podIdentity adds the
// association and the NetworkPolicy to the Pod Identity Agent.
func planIdentity(m *Model, s *spec.Spec, oidcHost string) error {
	m.Identity = spec.IdentityOf(s)
	sa := m.ServiceAccount.Name
	if m.Identity != spec.IdentityPodIdentity {
		tp, err := awsrules.TrustPolicy(m.Partition, m.AccountID, oidcHost, m.Namespace, sa)
		m.Role.TrustPolicy = tp
		m.ServiceAccount.Annotations[spec.AnnotationRoleARN] = m.Role.ARN
		return err
	}
	tp, err := awsrules.PodIdentityTrustPolicy(m.Partition, m.Region, m.AccountID, s.AWS.ClusterName, m.Namespace, sa)
	m.Role.TrustPolicy = tp
	ann := maps.Clone(m.ACKAnnotations)
	ann[spec.AnnotationDeletion] = "delete"
	m.PodIdentity = &PodIdentityModel{
		ObjectName:     m.App,
		ClusterName:    s.AWS.ClusterName,
		ClusterARN:     awsrules.ClusterARN(m.Partition, m.Region, m.AccountID, s.AWS.ClusterName),
		Namespace:      m.Namespace,
		ServiceAccount: sa,
		RoleARN:        m.Role.ARN,
		Annotations:    ann,
	}
	m.Waves["podIdentity"] = wave(WavePodIdentity)
	if len(m.NetworkPolicies) > 0 {
		np := NetworkPolicyModel{Name: NetworkPolicyPodIdentityAgent, PodSelector: everyPod(), PolicyTypes: []string{"Egress"}}
		rule := NetworkPolicyRuleModel{Ports: []PortModel{{Protocol: "TCP", Port: podIdentityAgentPort}}}
		for _, cidr := range podIdentityAgentCIDRs {
			rule.Peers = append(rule.Peers, PeerModel{IPBlock: &IPBlockModel{CIDR: cidr, Except: []string{}}})
		}
		np.Egress = []NetworkPolicyRuleModel{rule}
		m.NetworkPolicies = append(m.NetworkPolicies, np)
		slices.SortFunc(m.NetworkPolicies, func(a, b NetworkPolicyModel) int { return strings.Compare(a.Name, b.Name) })
	}
	return err
}
