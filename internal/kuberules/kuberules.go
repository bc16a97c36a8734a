// Package kuberules restates the rules of the Kubernetes API server's
// validation of ResourceQuotas, LimitRanges and NetworkPolicies, which live
// in k8s.io/kubernetes (pkg/apis/core/validation and
// pkg/apis/networking/validation, v1.37), a module that is not a library.
// The spec checks of package render and the object checks of package
// validate share them. Messages are the API server's.
package kuberules

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Resource-name prefixes of huge pages (core API: ResourceHugePagesPrefix,
// ResourceRequestsHugePagesPrefix) and of requests in a quota.
const (
	hugePagesPrefix         = "hugepages-"
	requestsHugePagesPrefix = "requests.hugepages-"
	requestsPrefix          = "requests."
	nativePrefix            = "kubernetes.io/"
)

// quotaResources are the names a ResourceQuota takes without a domain
// (core API helper: standardQuotaResources).
var quotaResources = sets.New(
	"cpu", "memory", "ephemeral-storage",
	"requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
	"limits.cpu", "limits.memory", "limits.ephemeral-storage",
	"pods", "resourcequotas", "services", "replicationcontrollers", "secrets",
	"persistentvolumeclaims", "configmaps", "services.nodeports", "services.loadbalancers",
)

// standardResources are the names any resource list takes without a domain
// (core API helper: standardResources).
var standardResources = quotaResources.Clone().Insert("storage")

// containerResources are what a container requests (core API helper:
// standardContainerResources), huge pages aside.
var containerResources = sets.New("cpu", "memory", "ephemeral-storage")

// integerResources are counted in whole numbers (core API helper:
// integerResources), extended resources aside.
var integerResources = sets.New(
	"pods", "resourcequotas", "services", "replicationcontrollers", "secrets",
	"configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
)

// QuotaResourceNames are the resource names a ResourceQuota takes without
// a domain, sorted.
func QuotaResourceNames() []string { return sets.List(quotaResources) }

// ContainerResourceNames are the resource names of a container's requests
// and limits without a domain (huge pages aside), sorted.
func ContainerResourceNames() []string { return sets.List(containerResources) }

func isQuotaHugePages(name string) bool {
	return strings.HasPrefix(name, hugePagesPrefix) || strings.HasPrefix(name, requestsHugePagesPrefix)
}

func isNative(name string) bool {
	return !strings.Contains(name, "/") || strings.Contains(name, nativePrefix)
}

// isExtended reports an extended resource name such as example.com/gpu.
func isExtended(name string) bool {
	if isNative(name) || strings.HasPrefix(name, requestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(requestsPrefix+name)) == 0
}

// resourceName is the API server's validateResourceName.
func resourceName(name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsQualifiedName(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if len(errs) == 0 && !strings.Contains(name, "/") && !standardResources.Has(name) && !isQuotaHugePages(name) {
		errs = append(errs, field.Invalid(p, name, "must be a standard resource type or fully qualified"))
	}
	return errs
}

// QuotaResourceName checks a resource name of a ResourceQuota's hard list.
func QuotaResourceName(name string, p *field.Path) field.ErrorList {
	errs := resourceName(name, p)
	if len(errs) == 0 && !strings.Contains(name, "/") && !quotaResources.Has(name) && !isQuotaHugePages(name) {
		errs = append(errs, field.Invalid(p, name, "must be a standard resource for quota"))
	}
	return errs
}

// ContainerResourceName checks a resource name of a container's requests
// or limits, as in a LimitRange of type Container or Pod.
func ContainerResourceName(name string, p *field.Path) field.ErrorList {
	errs := resourceName(name, p)
	if len(errs) > 0 {
		return errs
	}
	switch {
	case !strings.Contains(name, "/"):
		if !containerResources.Has(name) && !strings.HasPrefix(name, hugePagesPrefix) {
			errs = append(errs, field.Invalid(p, name, "must be a standard resource for containers"))
		}
	case !isNative(name) && !isExtended(name):
		errs = append(errs, field.Invalid(p, name, "doesn't follow extended resource name standard"))
	}
	return errs
}

// QuantityValue checks a quantity of the resource name: not negative, and
// whole for resources counted in whole numbers.
func QuantityValue(name string, q resource.Quantity, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if q.Sign() < 0 {
		errs = append(errs, field.Invalid(p, q.String(), "must be greater than or equal to 0"))
	}
	if (integerResources.Has(name) || isExtended(name)) && q.MilliValue()%1000 != 0 {
		errs = append(errs, field.Invalid(p, q.String(), "must be an integer"))
	}
	return errs
}

// ResourceQuotaSpec checks a ResourceQuota's spec.hard. (Scopes and scope
// selectors are not restated: prenv renders none.)
func ResourceQuotaSpec(spec *corev1.ResourceQuotaSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	hp := p.Child("hard")
	for _, k := range sets.List(sets.KeySet(spec.Hard)) {
		rp := hp.Key(string(k))
		errs = append(errs, QuotaResourceName(string(k), rp)...)
		errs = append(errs, QuantityValue(string(k), spec.Hard[k], rp)...)
	}
	return errs
}

// limitTypes are the standard LimitRange types.
var limitTypes = sets.New("Pod", "Container", "PersistentVolumeClaim")

// LimitRangeSpec checks a LimitRange's spec.limits: types, resource names,
// and that min ≤ defaultRequest ≤ default ≤ max for each resource.
func LimitRangeSpec(spec *corev1.LimitRangeSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i := range spec.Limits {
		l := &spec.Limits[i]
		ip := p.Child("limits").Index(i)
		typ := string(l.Type)
		tp := ip.Child("type")
		for _, msg := range validation.IsQualifiedName(typ) {
			errs = append(errs, field.Invalid(tp, typ, msg))
		}
		if !strings.Contains(typ, "/") && !limitTypes.Has(typ) && len(validation.IsQualifiedName(typ)) == 0 {
			errs = append(errs, field.Invalid(tp, typ, "must be a standard limit type or fully qualified"))
		}
		if seen.Has(typ) {
			errs = append(errs, field.Duplicate(tp, typ))
		}
		seen.Insert(typ)
		names := func(list corev1.ResourceList, lp *field.Path) {
			for _, k := range sets.List(sets.KeySet(list)) {
				if typ == "Pod" || typ == "Container" {
					errs = append(errs, ContainerResourceName(string(k), lp.Key(string(k)))...)
				} else {
					errs = append(errs, resourceName(string(k), lp.Key(string(k)))...)
				}
			}
		}
		names(l.Max, ip.Child("max"))
		names(l.Min, ip.Child("min"))
		if typ == "Pod" {
			if len(l.Default) > 0 {
				errs = append(errs, field.Forbidden(ip.Child("default"), "may not be specified when `type` is 'Pod'"))
			}
			if len(l.DefaultRequest) > 0 {
				errs = append(errs, field.Forbidden(ip.Child("defaultRequest"), "may not be specified when `type` is 'Pod'"))
			}
		} else {
			names(l.Default, ip.Child("default"))
			names(l.DefaultRequest, ip.Child("defaultRequest"))
		}
		if typ == "PersistentVolumeClaim" {
			_, hasMin := l.Min[corev1.ResourceStorage]
			_, hasMax := l.Max[corev1.ResourceStorage]
			if !hasMin && !hasMax {
				errs = append(errs, field.Required(ip.Child("limits"), "either minimum or maximum storage value is required, but neither was provided"))
			}
		}
		names(l.MaxLimitRequestRatio, ip.Child("maxLimitRequestRatio"))
		keys := sets.KeySet(l.Max).Union(sets.KeySet(l.Min)).Union(sets.KeySet(l.Default)).Union(sets.KeySet(l.DefaultRequest))
		for _, k := range sets.List(keys) {
			errs = append(errs, LimitOrder(string(k), l.Min, l.Max, l.Default, l.DefaultRequest, ip)...)
		}
		for _, k := range sets.List(sets.KeySet(l.MaxLimitRequestRatio)) {
			if r := l.MaxLimitRequestRatio[k]; r.Cmp(*resource.NewQuantity(1, resource.DecimalSI)) < 0 {
				errs = append(errs, field.Invalid(ip.Child("maxLimitRequestRatio").Key(string(k)), r.String(), fmt.Sprintf("ratio %s is less than 1", r.String())))
			}
		}
	}
	return errs
}

// LimitOrder checks, for resource k of a LimitRange item at p, that
// min ≤ defaultRequest ≤ default ≤ max, with the API server's paths and
// messages (the value shown is the one at the path, where the API server
// shows the other bound for default); the lists may be nil.
func LimitOrder(k string, minL, maxL, def, defReq corev1.ResourceList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	rn := corev1.ResourceName(k)
	lo, hasMin := minL[rn]
	hi, hasMax := maxL[rn]
	d, hasDef := def[rn]
	r, hasReq := defReq[rn]
	if hasMin && hasMax && lo.Cmp(hi) > 0 {
		errs = append(errs, field.Invalid(p.Child("min").Key(k), lo.String(), fmt.Sprintf("min value %s is greater than max value %s", lo.String(), hi.String())))
	}
	if hasReq && hasMin && lo.Cmp(r) > 0 {
		errs = append(errs, field.Invalid(p.Child("defaultRequest").Key(k), r.String(), fmt.Sprintf("min value %s is greater than default request value %s", lo.String(), r.String())))
	}
	if hasReq && hasMax && r.Cmp(hi) > 0 {
		errs = append(errs, field.Invalid(p.Child("defaultRequest").Key(k), r.String(), fmt.Sprintf("default request value %s is greater than max value %s", r.String(), hi.String())))
	}
	if hasReq && hasDef && r.Cmp(d) > 0 {
		errs = append(errs, field.Invalid(p.Child("defaultRequest").Key(k), r.String(), fmt.Sprintf("default request value %s is greater than default limit value %s", r.String(), d.String())))
	}
	if hasDef && hasMin && lo.Cmp(d) > 0 {
		errs = append(errs, field.Invalid(p.Child("default").Key(k), d.String(), fmt.Sprintf("min value %s is greater than default value %s", lo.String(), d.String())))
	}
	if hasDef && hasMax && d.Cmp(hi) > 0 {
		errs = append(errs, field.Invalid(p.Child("default").Key(k), d.String(), fmt.Sprintf("default value %s is greater than max value %s", d.String(), hi.String())))
	}
	return errs
}

// protocols are the protocols of a NetworkPolicy port.
var protocols = []string{"TCP", "UDP", "SCTP"}

// NetworkPolicySpec checks a NetworkPolicy's spec: selectors, ports,
// peers (one of ipBlock or selectors), ipBlocks and policy types.
func NetworkPolicySpec(spec *networkingv1.NetworkPolicySpec, p *field.Path) field.ErrorList {
	errs := LabelSelector(&spec.PodSelector, p.Child("podSelector"))
	for i, in := range spec.Ingress {
		ip := p.Child("ingress").Index(i)
		for j := range in.Ports {
			errs = append(errs, Port(&in.Ports[j], ip.Child("ports").Index(j))...)
		}
		for j := range in.From {
			errs = append(errs, Peer(&in.From[j], ip.Child("from").Index(j))...)
		}
	}
	for i, out := range spec.Egress {
		ep := p.Child("egress").Index(i)
		for j := range out.Ports {
			errs = append(errs, Port(&out.Ports[j], ep.Child("ports").Index(j))...)
		}
		for j := range out.To {
			errs = append(errs, Peer(&out.To[j], ep.Child("to").Index(j))...)
		}
	}
	tp := p.Child("policyTypes")
	if len(spec.PolicyTypes) > 2 {
		return append(errs, field.Invalid(tp, spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(tp.Index(i), t, []string{"Ingress", "Egress"}))
		}
	}
	return errs
}

// LabelSelector checks a label selector as the API server checks those of
// a NetworkPolicy.
func LabelSelector(s *metav1.LabelSelector, p *field.Path) field.ErrorList {
	return metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, p)
}

// Port checks a NetworkPolicy port.
func Port(port *networkingv1.NetworkPolicyPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if port.Protocol != nil {
		if s := string(*port.Protocol); s != "TCP" && s != "UDP" && s != "SCTP" {
			errs = append(errs, field.NotSupported(p.Child("protocol"), s, protocols))
		}
	}
	switch {
	case port.Port == nil:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is not specified"))
		}
	case port.Port.Type == intstr.Int:
		for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
			errs = append(errs, field.Invalid(p.Child("port"), port.Port.IntVal, msg))
		}
		if port.EndPort != nil {
			if *port.EndPort < port.Port.IntVal {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(int(*port.EndPort)) {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, msg))
			}
		}
	default:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range validation.IsValidPortName(port.Port.StrVal) {
			errs = append(errs, field.Invalid(p.Child("port"), port.Port.StrVal, msg))
		}
	}
	return errs
}

// Peer checks a NetworkPolicy peer: at least one of podSelector,
// namespaceSelector and ipBlock, and ipBlock alone.
func Peer(peer *networkingv1.NetworkPolicyPeer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	if peer.PodSelector != nil {
		n++
		errs = append(errs, LabelSelector(peer.PodSelector, p.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		n++
		errs = append(errs, LabelSelector(peer.NamespaceSelector, p.Child("namespaceSelector"))...)
	}
	if peer.IPBlock != nil {
		n++
		errs = append(errs, IPBlock(peer.IPBlock.CIDR, peer.IPBlock.Except, p.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		errs = append(errs, field.Required(p, "must specify a peer"))
	case n > 1 && peer.IPBlock != nil:
		errs = append(errs, field.Forbidden(p, "may not specify both ipBlock and another peer"))
	}
	return errs
}

// IPBlock checks an ipBlock: a valid CIDR (with the API server's strict
// IP and CIDR validation, StrictIPCIDRValidation), and excepts that are
// strict subsets of it.
func IPBlock(cidr string, except []string, p *field.Path) field.ErrorList {
	if cidr == "" {
		return field.ErrorList{field.Required(p.Child("cidr"), "")}
	}
	errs := validation.IsValidCIDRForLegacyField(p.Child("cidr"), cidr, true, nil)
	whole, err := netip.ParsePrefix(cidr)
	if len(errs) > 0 || err != nil {
		return errs
	}
	for i, e := range except {
		ep := p.Child("except").Index(i)
		ee := validation.IsValidCIDRForLegacyField(ep, e, true, nil)
		part, err := netip.ParsePrefix(e)
		if len(ee) > 0 || err != nil {
			errs = append(errs, ee...)
			continue
		}
		if !whole.Contains(part.Addr()) || whole.Bits() >= part.Bits() {
			errs = append(errs, field.Invalid(ep, e, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}

// NetworkPolicyPort is the API's form of a NetworkPolicy port: protocol
// (TCP, UDP or SCTP), port number and, for a range, its end.
func NetworkPolicyPort(protocol string, port int32, endPort *int32) *networkingv1.NetworkPolicyPort {
	proto := corev1.Protocol(protocol)
	p := intstr.FromInt32(port)
	return &networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p, EndPort: endPort}
}

// ResourceList is a map of resource names to quantities as the API's
// ResourceList.
func ResourceList(m map[string]resource.Quantity) corev1.ResourceList {
	out := corev1.ResourceList{}
	for k, v := range m {
		out[corev1.ResourceName(k)] = v
	}
	return out
}
