package plan

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/kuberules"
	"prenv.dev/prenv/spec"
)

// Requests and limits of the password Job's container: a short Python
// program that reads and writes a few Secrets.
var databaseSecretsResources = spec.ContainerResources{
	Requests: map[string]string{"cpu": "10m", "memory": "32Mi"},
	Limits:   map[string]string{"memory": "64Mi"},
}

// ownResourceNames are the resources each of prenv's own containers sets,
// requests and limits: those a ResourceQuota makes every container state
// when it caps them (internal/kuberules.QuotaMissing).
var ownResourceNames = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}

// planOwnResources gives each container of prenv's own pods (a database,
// its seed init container, the password Job, the migrations Jobs) its
// requests and limits of CPU and memory explicitly, as the API server would
// admit them: what the spec sets, a request left out being its limit, then
// the env's LimitRange defaults, or without a LimitRange
// (spec.limitRange.enabled: false) prenv's default ones
// ([spec.DefaultLimitRange]), a limit raised to its request. So the pods
// need no LimitRange to pass a ResourceQuota that caps limits, and the same
// values show in the output as run in the cluster. A database request above
// the limit its LimitRange would default is refused at the spec: the API
// server would refuse the pod.
func planOwnResources(m *Model) field.ErrorList {
	if len(m.Databases) == 0 {
		return nil
	}
	var errs field.ErrorList
	for i := range m.Databases {
		d := &m.Databases[i]
		p := field.NewPath("spec", "databases").Index(i).Child("resources")
		d.Resources, errs = ownResources(m, d.Resources, p, errs)
		if d.SeedImage != "" {
			d.SeedResources, _ = ownResources(m, spec.ContainerResources{}, nil, nil)
		}
		if d.Migrations != nil {
			d.Migrations.Resources, _ = ownResources(m, spec.ContainerResources{}, nil, nil)
		}
	}
	m.DatabaseSecrets.Resources, _ = ownResources(m, databaseSecretsResources, nil, nil)
	return errs
}

// ownResources completes one container's resources (see planOwnResources);
// with a path p, a request above the limit the LimitRange defaults is an
// error at p.
func ownResources(m *Model, given spec.ContainerResources, p *field.Path, errs field.ErrorList) (spec.ContainerResources, field.ErrorList) {
	r := corev1.ResourceRequirements{Requests: apiList(given.Requests), Limits: apiList(given.Limits)}
	kuberules.DefaultRequests(&r)
	lr, bounded := m.LimitRange, m.LimitRange != nil
	if !bounded {
		d := spec.DefaultLimitRange()
		lr = &LimitRangeModel{Name: LimitRangeName, Type: "Container", DefaultRequest: canonical(d.DefaultRequest), Default: canonical(d.Default), Max: map[string]string{}}
	}
	item := corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: apiList(lr.Default), DefaultRequest: apiList(lr.DefaultRequest)}
	set := kuberules.ApplyLimitRangeDefaults(&r, []corev1.LimitRangeItem{item})
	for _, k := range kuberules.RequestsOverLimits(r) {
		if !slices.Contains(set, k) {
			continue // the spec's own limit: spec.Check compares them
		}
		if !bounded {
			r.Limits[k] = r.Requests[k].DeepCopy()
			continue
		}
		if p != nil {
			req, lim := r.Requests[k], r.Limits[k]
			errs = append(errs, field.Invalid(p.Child("requests", string(k)), req.String(), fmt.Sprintf(
				"above the limit %s that the env's LimitRange %q defaults (spec.limitRange.default[%s]): the API server would refuse the database's pod; set %s or lower the request",
				lim.String(), lr.Name, k, p.Child("limits", string(k)))))
		}
	}
	// Never above the LimitRange's max: prenv's own defaults give way.
	for k, v := range lr.Max {
		max := resource.MustParse(v)
		for _, list := range []corev1.ResourceList{r.Limits, r.Requests} {
			if q, ok := list[corev1.ResourceName(k)]; ok && q.Cmp(max) > 0 && p == nil {
				list[corev1.ResourceName(k)] = max.DeepCopy()
			}
		}
	}
	out := spec.ContainerResources{Requests: map[string]string{}, Limits: map[string]string{}}
	for _, k := range ownResourceNames {
		if q, ok := r.Requests[k]; ok {
			out.Requests[string(k)] = q.String()
		}
		if q, ok := r.Limits[k]; ok {
			out.Limits[string(k)] = q.String()
		}
	}
	return out, errs
}

// apiList parses a list of quantities checked before.
func apiList(l map[string]string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, k := range slices.Sorted(maps.Keys(l)) {
		out[corev1.ResourceName(k)] = resource.MustParse(l[k])
	}
	return out
}
