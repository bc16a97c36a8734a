package kuberules

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	resourcehelper "k8s.io/component-helpers/resource"
)

// This file restates what the API server does to a pod's resources between
// its request and its storage, for the admission checks of package fence and
// the plan of prenv's own pods: the core API's defaulting (a request left
// out is the limit, pkg/apis/core/v1/defaults.go SetDefaults_Pod), the
// LimitRanger admission plugin (plugin/pkg/admission/limitranger: defaults
// from items of type Container, then min, max and maxLimitRequestRatio of
// Container and Pod items), and what the ResourceQuota admission plugin
// counts and requires of a pod (pkg/quota/v1/evaluator/core/pods.go). The
// sums of a pod's requests and limits are component-helpers' PodRequests and
// PodLimits, which that evaluator uses.

// DefaultRequests sets each request a container leaves out to its limit, as
// the API server defaults a pod before admission.
func DefaultRequests(r *corev1.ResourceRequirements) {
	for k, v := range r.Limits {
		if _, ok := r.Requests[k]; !ok {
			if r.Requests == nil {
				r.Requests = corev1.ResourceList{}
			}
			r.Requests[k] = v.DeepCopy()
		}
	}
}

// ApplyLimitRangeDefaults sets the limits and requests a container leaves
// out to the defaults of the LimitRange items of type Container, as the
// LimitRanger plugin does after DefaultRequests, and returns the names of
// the limits it set.
func ApplyLimitRangeDefaults(r *corev1.ResourceRequirements, items []corev1.LimitRangeItem) []corev1.ResourceName {
	var setLimits []corev1.ResourceName
	for _, it := range items {
		if it.Type != corev1.LimitTypeContainer {
			continue
		}
		for _, k := range sortedNames(it.Default) {
			if _, ok := r.Limits[k]; !ok {
				if r.Limits == nil {
					r.Limits = corev1.ResourceList{}
				}
				r.Limits[k] = it.Default[k].DeepCopy()
				setLimits = append(setLimits, k)
			}
		}
		for _, k := range sortedNames(it.DefaultRequest) {
			if _, ok := r.Requests[k]; !ok {
				if r.Requests == nil {
					r.Requests = corev1.ResourceList{}
				}
				r.Requests[k] = it.DefaultRequest[k].DeepCopy()
			}
		}
	}
	return setLimits
}

// RequestsOverLimits lists the resources whose request is above the limit,
// which the API server's validation of the pod refuses ("must be less than
// or equal to <resource> limit of <limit>").
func RequestsOverLimits(r corev1.ResourceRequirements) []corev1.ResourceName {
	var out []corev1.ResourceName
	for _, k := range sortedNames(r.Requests) {
		if l, ok := r.Limits[k]; ok {
			if req := r.Requests[k]; req.Cmp(l) <= 0 {
				continue
			}
			out = append(out, k)
		}
	}
	return out
}

// LimitViolation is a constraint of a LimitRange item that a container or a
// pod breaks: the resource, whether the value at fault is a limit (else a
// request), and the LimitRanger plugin's message.
type LimitViolation struct {
	Resource corev1.ResourceName
	// Field is "min", "max" or "maxLimitRequestRatio", the item's list.
	Field   string
	Limit   bool
	Message string
}

// CheckLimits checks requests and limits (of a container for an item of
// type Container, the pod's sums for type Pod) against the item's min, max
// and maxLimitRequestRatio, with the plugin's messages. kind is the item's
// type as the messages name it.
func CheckLimits(it corev1.LimitRangeItem, requests, limits corev1.ResourceList) []LimitViolation {
	kind := string(it.Type)
	var out []LimitViolation
	for _, k := range sortedNames(it.Min) {
		min := it.Min[k]
		req, hasReq := requests[k]
		lim, hasLim := limits[k]
		switch {
		case !hasReq:
			out = append(out, LimitViolation{k, "min", false, fmt.Sprintf("minimum %s usage per %s is %s.  No request is specified", k, kind, min.String())})
		case min.Cmp(req) > 0:
			out = append(out, LimitViolation{k, "min", false, fmt.Sprintf("minimum %s usage per %s is %s, but request is %s", k, kind, min.String(), req.String())})
		case hasLim && min.Cmp(lim) > 0:
			out = append(out, LimitViolation{k, "min", true, fmt.Sprintf("minimum %s usage per %s is %s, but limit is %s", k, kind, min.String(), lim.String())})
		}
	}
	for _, k := range sortedNames(it.Max) {
		max := it.Max[k]
		req, hasReq := requests[k]
		lim, hasLim := limits[k]
		switch {
		case !hasLim:
			out = append(out, LimitViolation{k, "max", true, fmt.Sprintf("maximum %s usage per %s is %s.  No limit is specified", k, kind, max.String())})
		case lim.Cmp(max) > 0:
			out = append(out, LimitViolation{k, "max", true, fmt.Sprintf("maximum %s usage per %s is %s, but limit is %s", k, kind, max.String(), lim.String())})
		case hasReq && req.Cmp(max) > 0:
			out = append(out, LimitViolation{k, "max", false, fmt.Sprintf("maximum %s usage per %s is %s, but request is %s", k, kind, max.String(), req.String())})
		}
	}
	for _, k := range sortedNames(it.MaxLimitRequestRatio) {
		ratio := it.MaxLimitRequestRatio[k]
		req, hasReq := requests[k]
		lim, hasLim := limits[k]
		switch {
		case !hasReq || req.Sign() == 0:
			out = append(out, LimitViolation{k, "maxLimitRequestRatio", false, fmt.Sprintf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", k, kind, ratio.String())})
		case !hasLim || lim.Sign() == 0:
			out = append(out, LimitViolation{k, "maxLimitRequestRatio", true, fmt.Sprintf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", k, kind, ratio.String())})
		case ratioAbove(lim, req, ratio):
			out = append(out, LimitViolation{k, "maxLimitRequestRatio", true, fmt.Sprintf("%s max limit to request ratio per %s is %s, but provided ratio is %s", k, kind, ratio.String(), ratioText(lim, req))})
		}
	}
	return out
}

// rat is q as an exact fraction.
func rat(q resource.Quantity) *big.Rat {
	d := q.AsDec()
	r := new(big.Rat).SetInt(d.UnscaledBig())
	scale := int64(d.Scale())
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(max(scale, -scale)), nil)
	if scale >= 0 {
		return r.Quo(r, new(big.Rat).SetInt(pow))
	}
	return r.Mul(r, new(big.Rat).SetInt(pow))
}

// ratioAbove reports whether limit / request > ratio, exactly.
func ratioAbove(limit, request, ratio resource.Quantity) bool {
	return rat(limit).Cmp(new(big.Rat).Mul(rat(request), rat(ratio))) > 0
}

// ratioText is limit / request with six decimals, as the plugin shows it.
func ratioText(limit, request resource.Quantity) string {
	return new(big.Rat).Quo(rat(limit), rat(request)).FloatString(6)
}

// quotaValidated are the resources a ResourceQuota makes every container of
// a pod state: when a quota caps one of them, a container without the
// request or limit it counts is refused ("must specify ..."). Only CPU and
// memory: the quota evaluator keeps this rule for them alone
// (pkg/quota/v1/evaluator/core/pods.go: validationSet).
var quotaValidated = sets.New[corev1.ResourceName](
	corev1.ResourceCPU, corev1.ResourceMemory,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory,
)

// QuotaMissing lists the quota resources of hard that a container must
// state and does not (after defaulting): requests.cpu and cpu need a CPU
// request, limits.cpu a CPU limit, and likewise for memory.
func QuotaMissing(r corev1.ResourceRequirements, hard corev1.ResourceList) []corev1.ResourceName {
	has := sets.New[corev1.ResourceName]()
	for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := r.Requests[k]; ok {
			has.Insert(k, corev1.ResourceName(requestsPrefix+string(k)))
		}
		if _, ok := r.Limits[k]; ok {
			has.Insert(corev1.ResourceName("limits." + string(k)))
		}
	}
	var out []corev1.ResourceName
	for _, k := range sortedNames(hard) {
		if quotaValidated.Has(k) && !has.Has(k) {
			out = append(out, k)
		}
	}
	return out
}

// PodQuotaUsage is what the ResourceQuota plugin counts for one pod in
// phase Pending or Running: pods 1, and its requests (as requests.<name>
// and, for cpu, memory, ephemeral-storage and huge pages, <name>) and its
// limits of cpu, memory and ephemeral-storage (as limits.<name>) as component-helpers sums them (containers, the largest
// init container, sidecars, pod-level resources and overhead).
func PodQuotaUsage(spec *corev1.PodSpec) corev1.ResourceList {
	pod := &corev1.Pod{Spec: *spec}
	out := corev1.ResourceList{corev1.ResourcePods: *resource.NewQuantity(1, resource.DecimalSI)}
	for k, v := range resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{}) {
		out[corev1.ResourceName(requestsPrefix+string(k))] = v
		if containerResources.Has(string(k)) || strings.HasPrefix(string(k), hugePagesPrefix) {
			out[k] = v
		}
	}
	for k, v := range resourcehelper.PodLimits(pod, resourcehelper.PodResourcesOptions{}) {
		if containerResources.Has(string(k)) {
			out[corev1.ResourceName("limits."+string(k))] = v
		}
	}
	return out
}

func sortedNames(l corev1.ResourceList) []corev1.ResourceName {
	keys := make([]corev1.ResourceName, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
