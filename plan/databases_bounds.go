package plan

import (
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkDatabasesFit checks that the env's databases fit in the env's own
// LimitRange and ResourceQuota, which the API server applies at admission:
// a database container over the LimitRange's max, or volume claims,
// storage, pods, requests or limits over the quota are refused there, and
// the StatefulSet or Job never starts, so the Argo CD sync waits for ever.
// A request the spec leaves out is the limit when there is one (the API
// server's defaulting), else the LimitRange's defaultRequest; a limit left
// out is the LimitRange's default.
func checkDatabasesFit(m *Model) field.ErrorList {
	if len(m.Databases) == 0 {
		return nil
	}
	p := field.NewPath("spec", "databases")
	var errs field.ErrorList
	quantity := func(v string) *resource.Quantity {
		q, _ := resource.ParseQuantity(v) // checked by Check
		return &q
	}
	type use struct{ requests, limits map[string]string }
	uses := make([]use, len(m.Databases))
	for i, d := range m.Databases {
		u := use{requests: maps.Clone(d.Resources.Requests), limits: maps.Clone(d.Resources.Limits)}
		if lr := m.LimitRange; lr != nil {
			for r, v := range lr.Default {
				if _, ok := u.limits[r]; !ok {
					u.limits[r] = v
				}
			}
			for r, v := range lr.DefaultRequest {
				if _, ok := u.requests[r]; !ok {
					u.requests[r] = v
				}
			}
		}
		for r, v := range d.Resources.Limits {
			if _, ok := d.Resources.Requests[r]; !ok {
				u.requests[r] = v
			}
		}
		uses[i] = u
		if lr := m.LimitRange; lr != nil {
			for _, kind := range []struct {
				name string
				list map[string]string
			}{{"requests", d.Resources.Requests}, {"limits", d.Resources.Limits}} {
				for _, r := range slices.Sorted(maps.Keys(kind.list)) {
					if max, ok := lr.Max[r]; ok && quantity(kind.list[r]).Cmp(*quantity(max)) > 0 {
						errs = append(errs, field.Invalid(p.Index(i).Child("resources", kind.name, r), kind.list[r], fmt.Sprintf(
							"is over the env's LimitRange max of %s for one container (spec.limitRange.max)", max)))
					}
				}
			}
		}
	}
	rq := m.ResourceQuota
	if rq == nil {
		return errs
	}
	over := func(key string, need resource.Quantity, what string) {
		h, ok := rq.Hard[key]
		if ok && need.Cmp(*quantity(h)) > 0 {
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("%s %s, over the env's ResourceQuota %s of %s (spec.resourceQuota.hard)", what, need.String(), key, h)))
		}
	}
	n := int64(len(m.Databases))
	over("persistentvolumeclaims", *resource.NewQuantity(n, resource.DecimalSI), "the databases need volume claims:")
	// The databases' pods and the password Job's; migrations Jobs run
	// after the databases are up, one at a time per database.
	over("pods", *resource.NewQuantity(n+1, resource.DecimalSI), "the databases and their password Job need pods:")
	storage := resource.Quantity{}
	for _, d := range m.Databases {
		storage.Add(*quantity(d.Storage))
	}
	over("requests.storage", storage, "the databases' volumes add up to")
	for _, kind := range []string{"requests", "limits"} {
		for _, r := range []string{"cpu", "memory"} {
			sum := resource.Quantity{}
			for _, u := range uses {
				list := u.requests
				if kind == "limits" {
					list = u.limits
				}
				if v, ok := list[r]; ok {
					sum.Add(*quantity(v))
				}
			}
			over(kind+"."+r, sum, "the databases' "+kind+" of "+r+" add up to")
			if kind == "requests" {
				over(r, sum, "the databases' requests of "+r+" add up to")
			}
		}
	}
	return errs
}
