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

// checkDatabasesFit checks that the env's databases and their Jobs fit in
// the env's own LimitRange and ResourceQuota, which the API server applies
// at admission: a database container over the LimitRange's max, or what
// runs at once over the quota, is refused there, and the StatefulSet or Job
// never starts, so the Argo CD sync waits for ever. The containers'
// resources are explicit (planOwnResources). What runs at once, at the first
// sync and every later one: the databases' pods (a seed init container runs
// before the database, so a pod takes the larger of the two) and the
// largest set of hook pods Argo CD runs together, the password Job (wave
// [WaveDatabaseSecrets]) or all migrations Jobs (wave [WaveMigrations]).
// The app's own pods come on top: package fence checks the whole output.
func checkDatabasesFit(m *Model) field.ErrorList {
	if len(m.Databases) == 0 {
		return nil
	}
	p := field.NewPath("spec", "databases")
	var errs field.ErrorList
	if lr := m.LimitRange; lr != nil {
		for i, d := range m.Databases {
			for _, kind := range []struct {
				name string
				list map[string]string
			}{{"requests", d.Resources.Requests}, {"limits", d.Resources.Limits}} {
				for _, r := range slices.Sorted(maps.Keys(kind.list)) {
					if max, ok := lr.Max[r]; ok && overQuantity(kind.list[r], max) {
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
	pod := func(containers ...[]corev1.Container) corev1.ResourceList {
		spec := corev1.PodSpec{InitContainers: containers[0], Containers: containers[1]}
		return kuberules.PodQuotaUsage(&spec)
	}
	container := func(r spec.ContainerResources) []corev1.Container {
		return []corev1.Container{{Resources: corev1.ResourceRequirements{Requests: apiList(r.Requests), Limits: apiList(r.Limits)}}}
	}
	var dbs, migrations corev1.ResourceList
	for _, d := range m.Databases {
		var seed []corev1.Container
		if d.SeedImage != "" {
			seed = container(d.SeedResources)
		}
		dbs = addLists(dbs, pod(seed, container(d.Resources)))
		// Its volume claim, and its two Services (ClusterIP and headless).
		objects := corev1.ResourceList{
			corev1.ResourcePersistentVolumeClaims: *resource.NewQuantity(1, resource.DecimalSI),
			corev1.ResourceRequestsStorage:        resource.MustParse(d.Storage),
			corev1.ResourceServices:               *resource.NewQuantity(2, resource.DecimalSI),
		}
		dbs = addLists(dbs, objects)
		if mg := d.Migrations; mg != nil {
			migrations = addLists(migrations, pod(nil, container(mg.Resources)))
		}
	}
	secrets := pod(nil, container(m.DatabaseSecrets.Resources))
	for _, k := range slices.Sorted(maps.Keys(rq.Hard)) {
		need, hook := dbs[corev1.ResourceName(k)], "the password Job"
		h := secrets[corev1.ResourceName(k)]
		if q := migrations[corev1.ResourceName(k)]; q.Cmp(h) > 0 {
			h, hook = q, "the migrations Jobs"
		}
		who := "the databases and " + hook + ", which run at once at every sync,"
		if h.IsZero() {
			who = "the databases"
		}
		need.Add(h)
		if hard := resource.MustParse(rq.Hard[k]); need.Cmp(hard) > 0 {
			errs = append(errs, field.Forbidden(p, fmt.Sprintf(
				"%s need %s of %s, over the env's ResourceQuota of %s (spec.resourceQuota.hard[%s]); the app's objects come on top",
				who, need.String(), k, rq.Hard[k], k)))
		}
	}
	return errs
}

// overQuantity reports whether quantity a (checked before) is above b.
func overQuantity(a, b string) bool {
	qa := resource.MustParse(a)
	return qa.Cmp(resource.MustParse(b)) > 0
}

// addLists returns a plus b, resource by resource.
func addLists(a, b corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, l := range []corev1.ResourceList{a, b} {
		for k, v := range l {
			q := out[k]
			q.Add(v)
			out[k] = q
		}
	}
	return out
}
