package spec

import (
	"bytes"
	"encoding/json"

	"github.com/invopop/jsonschema"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ResourceQuota shapes the ResourceQuota of every PR namespace, which caps
// what one env may take of the cluster. It is rendered unless Enabled is
// false; Hard is merged over [DefaultQuotaHard] by resource name.
type ResourceQuota struct {
	// Enabled renders the ResourceQuota; default true.
	Enabled *bool `json:"enabled,omitempty"`
	// Hard is the ResourceQuota's spec.hard: resource names (cpu,
	// requests.memory, pods, services.loadbalancers, count/<resource>.<group>,
	// ...) and their caps. A name given here replaces that name's default;
	// the other defaults stay.
	Hard ResourceList `json:"hard,omitempty"`
}

// LimitRange shapes the LimitRange of every PR namespace: the default
// requests and limits of containers that set none, and the most one
// container may ask for. It is rendered unless Enabled is false; each list
// is merged over its default ([DefaultLimitRange]) by resource name.
type LimitRange struct {
	// Enabled renders the LimitRange; default true.
	Enabled *bool `json:"enabled,omitempty"`
	// DefaultRequest is the request of a container that sets none.
	DefaultRequest ResourceList `json:"defaultRequest,omitempty"`
	// Default is the limit of a container that sets none.
	Default ResourceList `json:"default,omitempty"`
	// Max is the most a container may set as its limit.
	Max ResourceList `json:"max,omitempty"`
}

// NetworkPolicy shapes the NetworkPolicies of every PR namespace: all
// traffic in and out is denied except between the env's own pods, from
// IngressFrom, to DNS and to Egress. They are rendered unless Enabled is
// false.
type NetworkPolicy struct {
	// Enabled renders the NetworkPolicies; default true.
	Enabled *bool `json:"enabled,omitempty"`
	// IngressFrom are the pods outside the env that may connect to its
	// pods: the ingress controller. Absent: the namespace labelled
	// kubernetes.io/metadata.name=ingress-nginx. An empty list admits none.
	IngressFrom []NamespacePeer `json:"ingressFrom,omitempty"`
	// DNS is where the cluster's DNS server runs; the env's pods may reach
	// it on port 53 (UDP and TCP). Absent: the pods labelled
	// k8s-app=kube-dns in kube-system (CoreDNS on EKS).
	DNS *NamespacePeer `json:"dns,omitempty"`
	// Egress are the address ranges outside the cluster the env's pods may
	// reach, AWS's APIs among them. Absent: 0.0.0.0/0 and ::/0 on TCP 443.
	// An empty list allows none (the AWS SDK then cannot reach STS).
	Egress []EgressRule `json:"egress,omitempty"`
}

// NamespacePeer selects pods of other namespaces, as a NetworkPolicy peer
// with a namespaceSelector and an optional podSelector does.
type NamespacePeer struct {
	// NamespaceSelector selects the namespaces; it may not be empty, and
	// prenv adds "prenv.dev/env DoesNotExist" so that it never selects an
	// env's namespace.
	NamespaceSelector *LabelSelector `json:"namespaceSelector"`
	// PodSelector selects pods in those namespaces; absent, all of them.
	PodSelector *LabelSelector `json:"podSelector,omitempty"`
}

// LabelSelector selects objects by their labels, as a Kubernetes label
// selector does: every MatchLabels pair and every MatchExpressions
// requirement must hold.
type LabelSelector struct {
	// MatchLabels are label keys and the value each must have.
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
	// MatchExpressions are requirements on labels.
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is a requirement on one label, as in a
// Kubernetes label selector.
type LabelSelectorRequirement struct {
	// Key is the label's key.
	Key string `json:"key"`
	// Operator is In, NotIn, Exists or DoesNotExist.
	Operator string `json:"operator" jsonschema:"enum=In,enum=NotIn,enum=Exists,enum=DoesNotExist"`
	// Values are the label values for In and NotIn; empty for Exists and
	// DoesNotExist.
	Values []string `json:"values,omitempty"`
}

// API is the selector as Kubernetes' type; nil for nil.
func (s *LabelSelector) API() *metav1.LabelSelector {
	if s == nil {
		return nil
	}
	out := &metav1.LabelSelector{MatchLabels: s.MatchLabels}
	for _, r := range s.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, metav1.LabelSelectorRequirement{Key: r.Key, Operator: metav1.LabelSelectorOperator(r.Operator), Values: r.Values})
	}
	return out
}

// EgressRule allows traffic to an address range outside the cluster.
type EgressRule struct {
	// IPBlock is the address range.
	IPBlock IPBlock `json:"ipBlock"`
	// Ports the rule allows; absent, all ports.
	Ports []NetworkPort `json:"ports,omitempty"`
}

// IPBlock is a CIDR range, less the ranges in Except.
type IPBlock struct {
	// CIDR is the range, for example 0.0.0.0/0 or 10.0.0.0/8.
	CIDR string `json:"cidr"`
	// Except are CIDR ranges inside CIDR that are not allowed (the
	// cluster's pod CIDR, for example).
	Except []string `json:"except,omitempty"`
}

// NetworkPort is a port or, with EndPort, a range of ports.
type NetworkPort struct {
	// Protocol is TCP (default), UDP or SCTP.
	Protocol string `json:"protocol,omitempty" jsonschema:"enum=TCP,enum=UDP,enum=SCTP"`
	// Port is the port number, 1..65535.
	Port int32 `json:"port"`
	// EndPort, when set, makes the rule a range Port..EndPort, 1..65535.
	EndPort *int32 `json:"endPort,omitempty"`
}

// ResourceList maps resource names to quantities, as Kubernetes'
// ResourceList does.
type ResourceList map[string]Quantity

// Quantity is a Kubernetes resource quantity ("500m", "4Gi", "20"); a
// number is accepted too, as kubectl accepts one.
type Quantity string

// UnmarshalJSON accepts a JSON string or a JSON number.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*q = Quantity(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*q = Quantity(n.String())
	return nil
}

// JSONSchema describes a quantity: a string or a number.
func (Quantity) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "a Kubernetes resource quantity such as 500m, 4Gi or 20",
		OneOf: []*jsonschema.Schema{
			{Type: "string"},
			{Type: "number"},
		},
	}
}
