package validate

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// databaseLabel is the selector label of prenv's database StatefulSets
// (render: spec.databases).
const databaseLabel = "prenv.dev/database"

// databaseUpdateErrors checks the update of one of prenv's database
// StatefulSets (selected by prenv.dev/database) from old to obj: the
// volume keeps the data directory of the official image, which a later
// image cannot always use. The API server accepts any image; the database
// does not:
//   - another engine (mysql to postgres) cannot read the data at all;
//   - MySQL refuses to start on the data directory of a newer version
//     (downgrades are not supported; MySQL Reference Manual, "Downgrading
//     MySQL"): the pod crash-loops;
//   - the official postgres image keeps its data under
//     /var/lib/postgresql/<major>/docker, as prenv renders PGDATA, so a new
//     major starts on an empty folder and the env's data is gone from the
//     app's view (pg_upgrade is not run by the image).
func databaseUpdateErrors(obj, old map[string]interface{}) field.ErrorList {
	sel := mapAt(mapAt(mapAt(obj, "spec"), "selector"), "matchLabels")
	if _, ok := sel[databaseLabel]; !ok {
		return nil
	}
	n, okNew := databaseContainer(obj)
	o, okOld := databaseContainer(old)
	if !okNew || !okOld || o.image == n.image {
		return nil
	}
	var errs field.ErrorList
	ip := field.NewPath("spec", "template", "spec", "containers").Index(n.index).Child("image")
	oldEngine, oldVersion, _ := strings.Cut(o.image, ":")
	newEngine, newVersion, _ := strings.Cut(n.image, ":")
	oldV, newV := versionNumbers(oldVersion), versionNumbers(newVersion)
	switch {
	case oldEngine != newEngine:
		errs = append(errs, field.Forbidden(ip, fmt.Sprintf("changes the engine of an existing database (%s to %s): the new engine cannot read the data on the volume; rename the database (a new volume) or close and reopen the PR", o.image, n.image)))
	case newEngine == "postgres" && len(oldV) > 0 && len(newV) > 0 && oldV[0] != newV[0]:
		errs = append(errs, field.Forbidden(ip, fmt.Sprintf("changes the PostgreSQL major version of an existing database (%s to %s): each major keeps its data in its own folder of the volume, so the database would start empty; dump and restore by hand, or close and reopen the PR", o.image, n.image)))
	case newEngine == "mysql" && compareVersions(newV, oldV) < 0:
		errs = append(errs, field.Forbidden(ip, fmt.Sprintf("downgrades MySQL on an existing database (%s to %s): MySQL does not start on the data directory of a newer version; close and reopen the PR", o.image, n.image)))
	}
	return errs
}

type containerImage struct {
	index int
	image string
}

// databaseContainer finds the database container of obj's pod template:
// the one named after its engine, mysql or postgres, as prenv renders it.
func databaseContainer(obj map[string]interface{}) (containerImage, bool) {
	spec := mapAt(mapAt(mapAt(obj, "spec"), "template"), "spec")
	list, _ := spec["containers"].([]interface{})
	for i, c := range list {
		m, _ := c.(map[string]interface{})
		name, _ := m["name"].(string)
		image, _ := m["image"].(string)
		if (name == "mysql" || name == "postgres") && image != "" {
			return containerImage{i, image}, true
		}
	}
	return containerImage{}, false
}

// versionNumbers reads "8.4.6" as [8 4 6]; nil when it is not numbers.
func versionNumbers(v string) []int {
	var out []int
	for _, part := range strings.Split(v, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// compareVersions compares a and b number by number on their common
// length; 0 when either is not a version or one is a prefix of the other.
func compareVersions(a, b []int) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
