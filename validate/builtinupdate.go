package validate

import (
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var statefulSetKind = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}

// statefulSetMutable are the StatefulSet spec fields an update may change;
// the API server forbids changing any other (k8s.io/kubernetes
// pkg/apis/apps/validation: ValidateStatefulSetUpdate), among them
// volumeClaimTemplates (a volume's size or class), serviceName and
// selector.
var statefulSetMutable = []string{"replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"}

// builtinUpdateErrors checks the update of an object of a built-in kind from
// old to obj (both as written) against the API server's update rules that
// rendered manifests commonly break: a StatefulSet's immutable spec fields.
func builtinUpdateErrors(gk schema.GroupKind, obj, old map[string]interface{}) field.ErrorList {
	if gk != statefulSetKind {
		return nil
	}
	spec, oldSpec := mapAt(obj, "spec"), mapAt(old, "spec")
	if spec == nil || oldSpec == nil {
		return nil
	}
	errs := databaseUpdateErrors(obj, old)
	for _, k := range sortedMapKeys(spec, oldSpec) {
		if slices.Contains(statefulSetMutable, k) {
			continue
		}
		if !reflect.DeepEqual(spec[k], oldSpec[k]) {
			return append(errs, field.Forbidden(field.NewPath("spec"), "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden (spec."+k+" changed; a StatefulSet's volume claims, service name and selector are fixed: delete it, or open a new env, to change them)"))
		}
	}
	return errs
}

// sortedMapKeys returns the keys of a and b, sorted, each once.
func sortedMapKeys(a, b map[string]interface{}) []string {
	var keys []string
	for _, m := range []map[string]interface{}{a, b} {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}
