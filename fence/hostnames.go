package fence

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/kuberules"

	"prenv.dev/prenv/spec"
)

// external-dns's annotations that name the DNS records it creates for an
// object (external-dns docs, "Annotations"; sigs.k8s.io/external-dns
// source/annotations), under both of its prefixes: external-dns.kubernetes.io/
// since v0.22.0 and external-dns.alpha.kubernetes.io/ before (and with
// --enable-legacy-annotation-prefix). Its pod source reads them from pods
// too. Its target annotation names where the records point, not which
// names they claim: an env may point its own names anywhere.
var externalDNSHostnameAnnotations = func() []string {
	var out []string
	for _, prefix := range []string{"external-dns.alpha.kubernetes.io/", "external-dns.kubernetes.io/"} {
		for _, name := range []string{"hostname", "internal-hostname", "cloudflare-custom-hostname"} {
			out = append(out, prefix+name)
		}
	}
	return out
}()

// Kinds whose fields claim hostnames on a shared ingress controller or
// gateway.
var (
	kindIngress   = spec.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}
	gatewayGroup  = "gateway.networking.k8s.io"
	kindGateway   = spec.GroupKind{Group: gatewayGroup, Kind: "Gateway"}
	hostnameRoute = map[string]bool{"HTTPRoute": true, "GRPCRoute": true, "TLSRoute": true}
	// kindTargetGroupBinding is the AWS Load Balancer Controller's
	// binding of a Service to an existing target group
	// (docs/guide/targetgroupbinding/targetgroupbinding.md).
	kindTargetGroupBinding = spec.GroupKind{Group: "elbv2.k8s.aws", Kind: "TargetGroupBinding"}
	// portRoutes attach to a listener by port alone: they take every
	// connection to it (Gateway API docs, "TCPRoute and UDPRoute").
	portRoutes = map[string]bool{"TCPRoute": true, "UDPRoute": true}
)

// hosts keeps the hostnames an object claims within the env's own: the
// env's hostname or names under it. external-dns creates records for an
// Ingress's hosts, a route's hostnames and its hostname annotations, and a
// shared ingress controller or gateway routes by them, so another env's
// hostname would take its traffic; a rule or route without hostname (or an
// Ingress's default backend) takes every hostname nobody else claims. The
// annotations of the shared controllers come from an allow list
// ([controllerAnnotations]).
func (c *objectChecker) hosts(o *unstructured.Unstructured, ref ObjectRef) {
	// The messages, written when there is a problem.
	why := func() string {
		if c.m.Hostname == "" {
			return "the spec has no spec.dns, so the env has no hostname; external-dns or the shared ingress controller would send another name's traffic to this env"
		}
		return fmt.Sprintf("an env may only claim its own hostname %q and names under it; external-dns or the shared ingress controller would send another name's traffic to this env", c.m.Hostname)
	}
	catchAll := func() string {
		if c.m.Hostname == "" {
			return "takes every hostname the shared ingress controller or gateway serves, and the env has none to name (spec.dns is not set)"
		}
		return fmt.Sprintf("takes every hostname the shared ingress controller or gateway serves: name the env's own, %q or a name under it", c.m.Hostname)
	}
	// forbid reports a hostname h that is not the env's (ownHostname)
	// at p; the paths are made only then.
	forbid := func(p *field.Path, h string) {
		c.add(ref, field.Forbidden(p, fmt.Sprintf("%q: %s", strings.TrimSpace(h), why())))
	}
	annotated := func(meta func() *field.Path, ann map[string]string) {
		for _, k := range externalDNSHostnameAnnotations {
			if v, ok := ann[k]; ok {
				for _, h := range strings.Split(v, ",") {
					if !c.ownHostname(h) {
						forbid(meta().Child("annotations").Key(k), h)
					}
				}
			}
		}
	}
	ann := c.annotations(o)
	annotated(func() *field.Path { return field.NewPath("metadata") }, ann)
	// A workload that does not convert to the typed API is the validate
	// stage's to report.
	pods, _ := kuberules.PodTemplates(o)
	for _, pod := range pods {
		annotated(func() *field.Path { return podMetaPath(pod) }, pod.Meta.Annotations)
	}
	c.controllerAnnotationsOf(ann, ref)
	switch {
	case ref.GroupKind == kindIngress:
		if s, _ := o.Object["spec"].(map[string]any); s["defaultBackend"] != nil {
			c.add(ref, field.Forbidden(field.NewPath("spec").Child("defaultBackend"), "a default backend serves the requests no rule matches, so it "+catchAll()))
		}
		rules, _, _ := unstructured.NestedSlice(o.Object, "spec", "rules")
		for i, r := range rules {
			rm, _ := r.(map[string]any)
			if h, _ := rm["host"].(string); h == "" {
				c.add(ref, field.Required(field.NewPath("spec").Child("rules").Index(i).Child("host"), "a rule without host "+catchAll()))
			} else if !c.ownHostname(h) {
				forbid(field.NewPath("spec").Child("rules").Index(i).Child("host"), h)
			}
		}
		tls, _, _ := unstructured.NestedSlice(o.Object, "spec", "tls")
		for i, t := range tls {
			hs, _ := t.(map[string]any)["hosts"].([]any)
			for j, h := range hs {
				if s, _ := h.(string); !c.ownHostname(s) {
					forbid(field.NewPath("spec").Child("tls").Index(i).Child("hosts").Index(j), s)
				}
			}
		}
	case ref.Group == gatewayGroup && hostnameRoute[ref.Kind]:
		hs, _, _ := unstructured.NestedSlice(o.Object, "spec", "hostnames")
		if len(hs) == 0 {
			c.add(ref, field.Required(field.NewPath("spec").Child("hostnames"), "a route without hostnames "+catchAll()))
		}
		for i, h := range hs {
			if s, _ := h.(string); !c.ownHostname(s) {
				forbid(field.NewPath("spec").Child("hostnames").Index(i), s)
			}
		}
	case ref.Group == gatewayGroup && portRoutes[ref.Kind]:
		c.add(ref, field.Forbidden(field.NewPath("kind"), fmt.Sprintf("a %s has no hostnames: it takes every connection to a gateway's listener port, which gateways other envs share may serve", ref.Kind)))
	case ref.GroupKind == kindTargetGroupBinding:
		c.add(ref, field.Forbidden(field.NewPath("kind"), "a TargetGroupBinding registers the env's pods in a load balancer's target group named by ARN, another env's included: let the env's Ingress or Service make its own"))
	case ref.GroupKind == kindGateway:
		ls, _, _ := unstructured.NestedSlice(o.Object, "spec", "listeners")
		for i, l := range ls {
			if h, _ := l.(map[string]any)["hostname"].(string); h == "" {
				c.add(ref, field.Required(field.NewPath("spec").Child("listeners").Index(i).Child("hostname"), "a listener without hostname "+catchAll()))
			} else if !c.ownHostname(h) {
				forbid(field.NewPath("spec").Child("listeners").Index(i).Child("hostname"), h)
			}
		}
	}
}

// ownHostname reports whether h is the env's hostname or a name under it
// (a wildcard "*.<hostname>" included), in any case and with or without
// the root's final dot.
func (c *objectChecker) ownHostname(h string) bool {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	own := c.m.Hostname
	return own != "" && (h == own || strings.HasSuffix(h, "."+own))
}
