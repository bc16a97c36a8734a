package fence

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/spec"
)

// Kinds that name a Service's backends by address (Kubernetes docs,
// "Services without selectors").
var (
	kindEndpoints     = spec.GroupKind{Group: "", Kind: "Endpoints"}
	kindEndpointSlice = spec.GroupKind{Group: "discovery.k8s.io", Kind: "EndpointSlice"}
)

// Quota resource names of Services (Kubernetes docs, "Resource Quotas",
// "Object count quota").
const (
	quotaLoadBalancers = "services.loadbalancers"
	quotaNodePorts     = "services.nodeports"
)

// services keeps a Service inside the env: no Endpoints or EndpointSlices
// of the app's (a Service without selector would reach any address through
// them), no externalIPs (CVE-2020-8554:
// kube-proxy sends every pod's traffic to those addresses, other envs'
// included, to this Service), no ExternalName (a DNS alias to any name,
// another env's Services included, which the env's Ingress would then
// proxy to), and LoadBalancer and NodePort Services only when the env's
// ResourceQuota caps them (the admission check then counts them with the
// rest), counted as the quota evaluator counts them
// (kubernetes/kubernetes pkg/quota/v1/evaluator/core/services.go: a
// LoadBalancer is one load balancer; a NodePort Service takes a node port
// per port, a LoadBalancer too unless allocateLoadBalancerNodePorts is
// false, then only the ports that name a nodePort). Without a quota (the
// spec turns it off) the env may have neither: no cap means none allowed.
func (c *objectChecker) services(o *unstructured.Unstructured, ref ObjectRef) {
	if ref.GroupKind == kindEndpoints || ref.GroupKind == kindEndpointSlice {
		c.add(ref, field.Forbidden(field.NewPath("kind"), fmt.Sprintf("%s written by hand can name any address, other envs' pods included, and the env's Ingress would proxy to them past their NetworkPolicies: give the Service a selector instead", ref.Kind)))
		return
	}
	if ref.GroupKind != kindService {
		return
	}
	sp := field.NewPath("spec")
	if ips, _, _ := unstructured.NestedSlice(o.Object, "spec", "externalIPs"); len(ips) > 0 {
		c.add(ref, field.Forbidden(sp.Child("externalIPs"), "kube-proxy sends the traffic of every pod in the cluster, other envs' included, to these addresses into this Service (CVE-2020-8554)"))
	}
	t, _, _ := unstructured.NestedString(o.Object, "spec", "type")
	ports, _, _ := unstructured.NestedSlice(o.Object, "spec", "ports")
	var lb, np int
	switch t {
	case "ExternalName":
		c.add(ref, field.Forbidden(sp.Child("type"), "an ExternalName Service is a DNS alias to any name, another env's Services included: the env's Ingress or pods would reach them through it"))
		return
	case "NodePort":
		np = len(ports)
	case "LoadBalancer":
		lb = 1
		if alloc, ok, _ := unstructured.NestedBool(o.Object, "spec", "allocateLoadBalancerNodePorts"); ok && !alloc {
			for _, p := range ports {
				if n, _ := p.(map[string]any)["nodePort"]; n != nil && fmt.Sprint(n) != "0" {
					np++
				}
			}
		} else {
			np = len(ports)
		}
	default:
		return
	}
	for _, q := range []struct {
		name string
		use  int
	}{{quotaLoadBalancers, lb}, {quotaNodePorts, np}} {
		if q.use == 0 {
			continue
		}
		// A quota that caps the resource is checked with everything else
		// that runs at once (admission.go); without a cap, none is allowed.
		if why, capped := c.serviceQuota(q.name); !capped {
			c.add(ref, field.Forbidden(sp.Child("type"), fmt.Sprintf("a %s Service takes %d of the env's %s, %s: load balancers and node ports are the cluster's to share; set spec.resourceQuota.hard[%s] to allow them", t, q.use, q.name, why, q.name)))
		}
	}
}

// serviceQuota tells whether the env's quota caps a Service resource, and
// if not, why.
func (c *objectChecker) serviceQuota(name string) (string, bool) {
	q := c.m.ResourceQuota
	if q == nil {
		return "which no quota caps (spec.resourceQuota.enabled is false), so none are allowed", false
	}
	if _, ok := q.Hard[name]; !ok {
		return "which the quota does not cap, so none are allowed", false
	}
	return "", true
}
