package validate

import (
	"testing"

	"sigs.k8s.io/yaml"
)

// TestDatabaseUpdateRules: a new image on one of prenv's database
// StatefulSets is refused when the data on the volume could not be used:
// another engine, a MySQL downgrade, a new PostgreSQL major.
func TestDatabaseUpdateRules(t *testing.T) {
	sts := func(image string, database bool) map[string]interface{} {
		labels := "{app: x}"
		if database {
			labels = "{prenv.dev/database: main}"
		}
		name := "mysql"
		if len(image) >= 8 && image[:8] == "postgres" {
			name = "postgres"
		}
		doc := `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db-main}
spec:
  serviceName: db-main-headless
  selector: {matchLabels: ` + labels + `}
  template:
    metadata: {labels: ` + labels + `}
    spec:
      containers:
      - {name: sidecar, image: busybox:1}
      - {name: ` + name + `, image: "` + image + `"}
`
		var m map[string]interface{}
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for name, tc := range map[string]struct {
		old, new string
		database bool
		want     string
	}{
		"mysql upgrade":       {"mysql:8.4", "mysql:9.7", true, ""},
		"mysql patch":         {"mysql:8.4", "mysql:8.4.6", true, ""},
		"postgres same major": {"postgres:17", "postgres:17.6", true, ""},
		"not prenv's":         {"mysql:9.7", "postgres:17", false, ""},
		"engine": {"mysql:8.4", "postgres:17", true,
			"spec.template.spec.containers[1].image: Forbidden: changes the engine of an existing database (mysql:8.4 to postgres:17): the new engine cannot read the data on the volume; rename the database (a new volume) or close and reopen the PR"},
		"mysql downgrade": {"mysql:9.7", "mysql:8.4", true,
			"spec.template.spec.containers[1].image: Forbidden: downgrades MySQL on an existing database (mysql:9.7 to mysql:8.4): MySQL does not start on the data directory of a newer version; close and reopen the PR"},
		"postgres major": {"postgres:17", "postgres:18", true,
			"spec.template.spec.containers[1].image: Forbidden: changes the PostgreSQL major version of an existing database (postgres:17 to postgres:18): each major keeps its data in its own folder of the volume, so the database would start empty; dump and restore by hand, or close and reopen the PR"},
	} {
		t.Run(name, func(t *testing.T) {
			old, obj := sts(tc.old, tc.database), sts(tc.new, tc.database)
			errs := builtinUpdateErrors(statefulSetKind, obj, old)
			got := ""
			if len(errs) > 0 {
				got = errs.ToAggregate().Error()
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
