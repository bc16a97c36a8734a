package spec

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/kuberules"
)

// Bounds of every env: its time to live, ResourceQuota, LimitRange and
// NetworkPolicies.
const (
	// MaxTTL is the longest spec.ttl: a year. An env goes with its pull
	// request; a longer TTL is a typo (72000h for 72h), not a wish.
	MaxTTL = 8760 * time.Hour
	// LabelNamespaceName is the label the API server sets on every
	// Namespace to its name (Kubernetes docs, "Well-Known Labels,
	// Annotations and Taints": kubernetes.io/metadata.name).
	LabelNamespaceName = "kubernetes.io/metadata.name"
	// DefaultIngressNamespace is the namespace whose pods may connect to
	// the env's when spec.networkPolicy.ingressFrom is absent: the
	// ingress-nginx controller's.
	DefaultIngressNamespace = "ingress-nginx"
	// DefaultDNSNamespace and DefaultDNSPodLabel select the cluster's DNS
	// server when spec.networkPolicy.dns is absent: CoreDNS on EKS runs in
	// kube-system with the label k8s-app=kube-dns.
	DefaultDNSNamespace = "kube-system"
	DefaultDNSPodLabel  = "k8s-app"
	DefaultDNSPodValue  = "kube-dns"
	// DNSPort is the port of the cluster's DNS server, UDP and TCP.
	DNSPort = 53
	// HTTPSPort is the port of AWS's APIs, allowed by the default egress.
	HTTPSPort = 443
)

// DefaultQuotaHard returns the ResourceQuota caps of an env whose spec does
// not set them, sized for a throwaway env of a few small services: 2 CPUs
// and 4 GiB requested (4 CPUs, 8 GiB of limits), 20 pods, 10 Services and
// no LoadBalancer or NodePort Service (the env is reached through the
// ingress controller; a load balancer per PR would cost money and leak
// when the env goes), 4 volume claims of 20 GiB in all. Each call returns
// a new map.
func DefaultQuotaHard() ResourceList {
	return ResourceList{
		"requests.cpu":           "2",
		"requests.memory":        "4Gi",
		"limits.cpu":             "4",
		"limits.memory":          "8Gi",
		"pods":                   "20",
		"services":               "10",
		"services.loadbalancers": "0",
		"services.nodeports":     "0",
		"persistentvolumeclaims": "4",
		"requests.storage":       "20Gi",
	}
}

// DefaultLimitRange returns the container defaults of an env whose spec
// does not set them: a container that sets nothing requests 100m CPU and
// 128Mi of memory and is limited to 500m and 512Mi; none may be limited to
// more than 2 CPUs and 4Gi. Each call returns new maps.
func DefaultLimitRange() LimitRange {
	return LimitRange{
		DefaultRequest: ResourceList{"cpu": "100m", "memory": "128Mi"},
		Default:        ResourceList{"cpu": "500m", "memory": "512Mi"},
		Max:            ResourceList{"cpu": "2", "memory": "4Gi"},
	}
}

// DefaultIngressFrom returns the peers that may connect to an env's pods
// when spec.networkPolicy.ingressFrom is absent: every pod of the
// ingress-nginx namespace.
func DefaultIngressFrom() []NamespacePeer {
	return []NamespacePeer{{NamespaceSelector: &LabelSelector{MatchLabels: map[string]string{LabelNamespaceName: DefaultIngressNamespace}}}}
}

// DefaultDNS returns where the cluster's DNS server runs when
// spec.networkPolicy.dns is absent: the pods labelled k8s-app=kube-dns in
// kube-system.
func DefaultDNS() NamespacePeer {
	return NamespacePeer{
		NamespaceSelector: &LabelSelector{MatchLabels: map[string]string{LabelNamespaceName: DefaultDNSNamespace}},
		PodSelector:       &LabelSelector{MatchLabels: map[string]string{DefaultDNSPodLabel: DefaultDNSPodValue}},
	}
}

// DefaultEgress returns the address ranges an env's pods may reach when
// spec.networkPolicy.egress is absent: any IPv4 or IPv6 address on TCP 443,
// where AWS's APIs (STS for IRSA, DynamoDB, SQS, or their VPC endpoints)
// listen. Which addresses are the cluster's pods is not known to prenv; a
// pod of another env is still unreachable, because its namespace admits
// only its own pods and the ingress controller (see the package
// documentation). List the cluster's pod CIDR in except to keep the
// traffic off the pod network altogether.
func DefaultEgress() []EgressRule {
	tcp443 := []NetworkPort{{Protocol: "TCP", Port: HTTPSPort}}
	return []EgressRule{
		{IPBlock: IPBlock{CIDR: "0.0.0.0/0"}, Ports: tcp443},
		{IPBlock: IPBlock{CIDR: "::/0"}, Ports: tcp443},
	}
}

// Enabled reads an optional switch that defaults to on.
func Enabled(b *bool) bool { return b == nil || *b }

// ttlShortRE matches durations written in days or weeks, which Go's
// durations lack.
var ttlShortRE = regexp.MustCompile(`^([0-9]+)([dw])$`)

// checkTTL checks spec.ttl: a Go duration over 0 and at most [MaxTTL].
func checkTTL(ttl string, p *field.Path) field.ErrorList {
	if ttl == "" {
		return nil
	}
	d, err := time.ParseDuration(ttl)
	if err != nil {
		hint := "must be a Go duration such as 72h (units ns, us, ms, s, m, h)"
		if m := ttlShortRE.FindStringSubmatch(ttl); m != nil {
			n, _ := strconv.Atoi(m[1])
			hours := n * 24
			if m[2] == "w" {
				hours = n * 24 * 7
			}
			hint += fmt.Sprintf("; %q is not a unit: write %dh", m[2], hours)
		} else if strings.ContainsAny(ttl, "dwy") {
			hint += "; days, weeks and years are not units: write them in hours (3 days = 72h)"
		}
		return field.ErrorList{field.Invalid(p, ttl, hint)}
	}
	switch {
	case d <= 0:
		return field.ErrorList{field.Invalid(p, ttl, "must be greater than 0")}
	case d > MaxTTL:
		return field.ErrorList{field.Invalid(p, ttl, fmt.Sprintf("must be at most %s (a year): an env is meant to go with its pull request", formatHours(MaxTTL)))}
	}
	return nil
}

// formatHours writes a whole number of hours as a Go duration, "8760h".
func formatHours(d time.Duration) string { return strconv.Itoa(int(d/time.Hour)) + "h" }

// checkBounds checks spec.ttl, spec.resourceQuota, spec.limitRange and
// spec.networkPolicy.
func checkBounds(s *Spec, sp *field.Path) field.ErrorList {
	errs := checkTTL(s.TTL, sp.Child("ttl"))
	var hard map[string]resource.Quantity
	if q := s.ResourceQuota; q == nil || Enabled(q.Enabled) {
		var user ResourceList
		if q != nil {
			user = q.Hard
		}
		var e field.ErrorList
		hard, e = parseResources(user, DefaultQuotaHard(), sp.Child("resourceQuota", "hard"), kuberules.QuotaResourceName)
		errs = append(errs, e...)
	}
	if l := s.LimitRange; l == nil || Enabled(l.Enabled) {
		errs = append(errs, checkLimitRange(l, hard, sp.Child("limitRange"))...)
	}
	if n := s.NetworkPolicy; n != nil && Enabled(n.Enabled) {
		errs = append(errs, checkNetworkPolicy(n, sp.Child("networkPolicy"))...)
	}
	return errs
}

// parseResources checks the names and quantities of a resource list of the
// spec and returns it merged over defaults, parsed; nil when a quantity
// does not parse.
func parseResources(user, defaults ResourceList, p *field.Path, name func(string, *field.Path) field.ErrorList) (map[string]resource.Quantity, field.ErrorList) {
	var errs field.ErrorList
	out := map[string]resource.Quantity{}
	for k, v := range defaults {
		out[k] = resource.MustParse(string(v))
	}
	for _, k := range sortedKeys(user) {
		kp := p.Key(k)
		if e := name(k, kp); len(e) > 0 {
			errs = append(errs, e...)
			continue
		}
		q, err := resource.ParseQuantity(string(user[k]))
		if err != nil {
			errs = append(errs, field.Invalid(kp, string(user[k]), "must be a quantity such as 500m, 2, 4Gi or 20 (Kubernetes' resource.Quantity: "+err.Error()+")"))
			continue
		}
		if e := kuberules.QuantityValue(k, q, kp); len(e) > 0 {
			errs = append(errs, e...)
			continue
		}
		out[k] = q
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// quotaOfRequest and quotaOfLimit are the ResourceQuota caps a container's
// default request and limit of cpu and memory count against (Kubernetes
// docs, "Resource Quotas": cpu and requests.cpu are the same cap).
var (
	quotaOfRequest = map[string][]string{"cpu": {"requests.cpu", "cpu"}, "memory": {"requests.memory", "memory"}}
	quotaOfLimit   = map[string][]string{"cpu": {"limits.cpu"}, "memory": {"limits.memory"}}
)

// checkLimitRange checks spec.limitRange merged over its defaults, as the
// API server checks a LimitRange of type Container, and against the
// ResourceQuota's caps hard (nil when there is none): a container with the
// defaults must fit in the quota.
func checkLimitRange(l *LimitRange, hard map[string]resource.Quantity, p *field.Path) field.ErrorList {
	def := DefaultLimitRange()
	var user LimitRange
	if l != nil {
		user = *l
	}
	var errs field.ErrorList
	defReq, e1 := parseResources(user.DefaultRequest, def.DefaultRequest, p.Child("defaultRequest"), kuberules.ContainerResourceName)
	dflt, e2 := parseResources(user.Default, def.Default, p.Child("default"), kuberules.ContainerResourceName)
	maxL, e3 := parseResources(user.Max, def.Max, p.Child("max"), kuberules.ContainerResourceName)
	errs = append(errs, e1...)
	errs = append(errs, e2...)
	errs = append(errs, e3...)
	if len(errs) > 0 {
		return errs
	}
	// A zero default request or limit makes every container that sets
	// none count as nothing against the quota's requests.* and limits.*.
	for _, l := range []struct {
		list map[string]resource.Quantity
		p    *field.Path
	}{{defReq, p.Child("defaultRequest")}, {dflt, p.Child("default")}} {
		for _, k := range slices.Sorted(maps.Keys(l.list)) {
			if q := l.list[k]; q.Sign() == 0 {
				errs = append(errs, field.Invalid(l.p.Key(k), q.String(), "must be greater than zero: a container that sets none would count as nothing against the ResourceQuota"))
			}
		}
	}
	keys := sets.KeySet(defReq).Union(sets.KeySet(dflt)).Union(sets.KeySet(maxL))
	for _, k := range sets.List(keys) {
		for _, e := range kuberules.LimitOrder(k, nil, kuberules.ResourceList(maxL), kuberules.ResourceList(dflt), kuberules.ResourceList(defReq), p) {
			e.Detail += " (the values spec.limitRange does not set are prenv's defaults)"
			errs = append(errs, e)
		}
	}
	if hard == nil {
		return errs
	}
	fits := func(list map[string]resource.Quantity, caps map[string][]string, lp *field.Path, what string) {
		for _, k := range slices.Sorted(maps.Keys(caps)) {
			v, ok := list[k]
			if !ok {
				continue
			}
			for _, c := range caps[k] {
				if h, ok := hard[c]; ok && v.Cmp(h) > 0 {
					errs = append(errs, field.Invalid(lp.Key(k), v.String(), fmt.Sprintf("the %s %s is greater than the ResourceQuota's %s %s: no container with the defaults could start", what, v.String(), c, h.String())))
				}
			}
		}
	}
	fits(defReq, quotaOfRequest, p.Child("defaultRequest"), "default request")
	fits(dflt, quotaOfLimit, p.Child("default"), "default limit")
	return errs
}

// checkNetworkPolicy checks spec.networkPolicy.
func checkNetworkPolicy(n *NetworkPolicy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range n.IngressFrom {
		errs = append(errs, checkNamespacePeer(&n.IngressFrom[i], p.Child("ingressFrom").Index(i))...)
	}
	if n.DNS != nil {
		errs = append(errs, checkNamespacePeer(n.DNS, p.Child("dns"))...)
	}
	for i, r := range n.Egress {
		rp := p.Child("egress").Index(i)
		bp := rp.Child("ipBlock")
		errs = append(errs, kuberules.IPBlock(r.IPBlock.CIDR, r.IPBlock.Except, bp)...)
		// The API server takes CIDRs in other forms too; the spec asks
		// for the canonical one, which reads one way only.
		canonical := func(v string, vp *field.Path) {
			if len(validation.IsValidCIDRForLegacyField(vp, v, true, nil)) == 0 {
				errs = append(errs, validation.IsValidCIDR(vp, v)...)
			}
		}
		if r.IPBlock.CIDR != "" {
			canonical(r.IPBlock.CIDR, bp.Child("cidr"))
		}
		for j, e := range r.IPBlock.Except {
			canonical(e, bp.Child("except").Index(j))
		}
		for j, port := range r.Ports {
			errs = append(errs, kuberules.Port(kuberules.NetworkPolicyPort(cmp.Or(port.Protocol, "TCP"), port.Port, port.EndPort), rp.Child("ports").Index(j))...)
		}
		if addr := metadataReached(r); addr != "" {
			errs = append(errs, field.Forbidden(bp.Child("cidr"), fmt.Sprintf(
				"lets the env's pods reach %s on port %d, a metadata endpoint of the node that hands out the node's own IAM credentials; add it to except (169.254.0.0/16 and fd00:ec2::/32 cover them all) or allow other ports",
				addr, metadataPort)))
		}
	}
	return errs
}

// metadataAddrs are the link-local endpoints of an EC2 node that hand out
// credentials on metadataPort: the instance metadata service (IPv4 and
// IPv6), the EKS Pod Identity agent and the ECS credentials endpoint
// (Amazon EC2 User Guide, "Access instance metadata"; Amazon EKS User
// Guide, "EKS Pod Identity").
var metadataAddrs = []string{"169.254.169.254", "169.254.170.2", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23"}

const metadataPort = 80

// metadataReached returns the first metadata endpoint that rule r lets
// pods reach, or "".
func metadataReached(r EgressRule) string {
	if len(r.Ports) > 0 && !slices.ContainsFunc(r.Ports, func(p NetworkPort) bool {
		end := p.Port
		if p.EndPort != nil {
			end = *p.EndPort
		}
		return p.Protocol != "UDP" && p.Protocol != "SCTP" && p.Port <= metadataPort && metadataPort <= end
	}) {
		return ""
	}
	block, err := netip.ParsePrefix(r.IPBlock.CIDR)
	if err != nil {
		return ""
	}
	for _, a := range metadataAddrs {
		addr := netip.MustParseAddr(a)
		if !block.Contains(addr) || slices.ContainsFunc(r.IPBlock.Except, func(e string) bool {
			ep, err := netip.ParsePrefix(e)
			return err == nil && ep.Contains(addr)
		}) {
			continue
		}
		return a
	}
	return ""
}

// checkNamespacePeer checks a peer of other namespaces: a namespace
// selector that selects some namespaces but not all, and never by prenv's
// labels, which mark the namespaces of envs.
func checkNamespacePeer(peer *NamespacePeer, p *field.Path) field.ErrorList {
	np := p.Child("namespaceSelector")
	if peer.NamespaceSelector == nil {
		return field.ErrorList{field.Required(np, "the namespaces of the peer, for example matchLabels: {kubernetes.io/metadata.name: ingress-nginx}")}
	}
	errs := kuberules.LabelSelector(peer.NamespaceSelector.API(), np)
	if len(peer.NamespaceSelector.MatchLabels) == 0 && len(peer.NamespaceSelector.MatchExpressions) == 0 {
		errs = append(errs, field.Invalid(np, field.OmitValueType{}, "an empty selector selects every namespace; name the peer's namespace, for example matchLabels: {kubernetes.io/metadata.name: ingress-nginx}"))
	}
	reserved := func(k string, kp *field.Path) {
		if reservedLabel(k) {
			errs = append(errs, field.Forbidden(kp, "prenv's labels mark the namespaces of envs, and an env's pods may not be reached from another env's"))
		}
	}
	for _, k := range sortedKeys(peer.NamespaceSelector.MatchLabels) {
		reserved(k, np.Child("matchLabels").Key(k))
	}
	for i, r := range peer.NamespaceSelector.MatchExpressions {
		reserved(r.Key, np.Child("matchExpressions").Index(i).Child("key"))
	}
	if peer.PodSelector != nil {
		errs = append(errs, kuberules.LabelSelector(peer.PodSelector.API(), p.Child("podSelector"))...)
	}
	return errs
}

// UnboundedErrors lists the bounds the spec turns off: each needs the
// caller's [render.Options.AllowUnbounded], because the spec is what a pull
// request can change.
func UnboundedErrors(s *Spec) field.ErrorList {
	if s == nil {
		return nil
	}
	const why = "turning off the env's bounds needs the CI job's --allow-unbounded (Options.AllowUnbounded): the spec is what a pull request can change, and these bounds keep one env from taking the cluster or reaching another"
	var errs field.ErrorList
	p := field.NewPath("spec")
	if q := s.ResourceQuota; q != nil && !Enabled(q.Enabled) {
		errs = append(errs, field.Forbidden(p.Child("resourceQuota", "enabled"), why))
	}
	if l := s.LimitRange; l != nil && !Enabled(l.Enabled) {
		errs = append(errs, field.Forbidden(p.Child("limitRange", "enabled"), why))
	}
	if n := s.NetworkPolicy; n != nil && !Enabled(n.Enabled) {
		errs = append(errs, field.Forbidden(p.Child("networkPolicy", "enabled"), why))
	}
	return errs
}
