package fence

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/internal/kinds"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// RBAC kinds of the database Secrets' writer.
var (
	kindRBACRole        = spec.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}
	kindRBACRoleBinding = spec.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}
	kindStatefulSet     = spec.GroupKind{Group: "apps", Kind: "StatefulSet"}
	kindService         = spec.GroupKind{Group: "", Kind: "Service"}
	kindJob             = spec.GroupKind{Group: "batch", Kind: "Job"}
)

// dbObject is one of the env's database objects as prenv renders it: its
// sync wave and whether it is an Argo CD Sync hook.
type dbObject struct {
	wave string
	hook bool
}

// databaseObjects are the env's database objects by reference.
func (c *objectChecker) databaseObjects() map[ObjectRef]dbObject {
	m := c.m
	out := map[ObjectRef]dbObject{}
	if m.DatabaseSecrets == nil {
		return out
	}
	n := m.DatabaseSecrets.Name
	access := dbObject{wave: strconv.Itoa(plan.WaveDatabaseSecretsAccess)}
	out[c.own(kinds.ServiceAccount, n)] = access
	out[c.own(kindRBACRole, n)] = access
	out[c.own(kindRBACRoleBinding, n)] = access
	out[c.own(kindJob, n)] = dbObject{wave: strconv.Itoa(plan.WaveDatabaseSecrets), hook: true}
	for _, d := range m.Databases {
		db := dbObject{wave: strconv.Itoa(plan.WaveDatabase)}
		out[c.own(kindStatefulSet, d.StatefulSet)] = db
		out[c.own(kindService, d.StatefulSet)] = db
		out[c.own(kindService, d.HeadlessService)] = db
		if d.Migrations != nil {
			out[c.own(kindJob, d.Migrations.Job)] = dbObject{wave: strconv.Itoa(plan.WaveMigrations), hook: true}
		}
	}
	return out
}

// databases checks o against the env's databases, after identity has
// marked the env's other own objects as found:
//
// The database objects keep their sync waves and hooks, so that Argo CD
// writes the passwords, then waits for the databases to be ready, then
// for the migrations to complete, before the app. The only RBAC objects
// are the Secret writer's Role and RoleBinding, with exactly prenv's rules
// (create Secrets; read the databases' Secrets) and binding: an RBAC object
// of the app could let its pods change the env's objects after prenv
// checked them. Every other object (the app's) syncs after the last
// database wave, except the seed ConfigMaps, which sync before the
// databases that mount them.
func (c *objectChecker) databases(o *unstructured.Unstructured, ref ObjectRef) {
	m := c.m
	if len(m.Databases) == 0 {
		return
	}
	own := c.databaseObjects()
	wp := field.NewPath("metadata", "annotations").Key(spec.AnnotationSyncWave)
	if want, ok := own[ref]; ok {
		c.found[ref] = true
		ann := c.annotations(o)
		if got := ann[spec.AnnotationSyncWave]; got != want.wave {
			c.add(ref, field.Invalid(wp, got, fmt.Sprintf("must be %s as prenv renders it: the passwords (wave %d), the databases (%d) and their migrations (%d) sync in this order, before the app", want.wave, plan.WaveDatabaseSecrets, plan.WaveDatabase, plan.WaveMigrations)))
		}
		hooks := map[string]string{plan.AnnotationHook: plan.HookSync, plan.AnnotationHookDeletePolicy: plan.HookBeforeHookCreation}
		for _, k := range slices.Sorted(maps.Keys(hooks)) {
			hp := field.NewPath("metadata", "annotations").Key(k)
			got, has := ann[k]
			switch {
			case want.hook && got != hooks[k]:
				c.add(ref, field.Invalid(hp, got, fmt.Sprintf("must be %s: the Job runs at every sync, in its wave, and Argo CD waits for it", hooks[k])))
			case !want.hook && has:
				c.add(ref, field.Forbidden(hp, "prenv's database objects other than its Jobs are not hooks"))
			}
		}
		switch ref.GroupKind {
		case kindJob:
			if ref.Name == m.DatabaseSecrets.Name {
				if own, ok := c.ownObjects()[ref]; ok && own != o {
					c.sameTree(ref, field.NewPath("spec"), jobSpecBody(o), jobSpecBody(own), passwordJobWhy)
				}
			}
		case kindRBACRole:
			c.sameValue(o, ref, "rules", databaseSecretsRules(m.DatabaseSecrets), "the Secret writer may create Secrets and read the databases' Secrets, nothing else")
		case kindRBACRoleBinding:
			c.sameValue(o, ref, "roleRef", map[string]any{"apiGroup": kindRBACRole.Group, "kind": "Role", "name": m.DatabaseSecrets.Name}, "it binds the Secret writer's Role")
			c.sameValue(o, ref, "subjects", []any{map[string]any{"kind": "ServiceAccount", "name": m.DatabaseSecrets.Name, "namespace": m.Namespace}}, "only the Secret writer's ServiceAccount gets the Role")
		}
		return
	}
	if ref.GroupKind == kindRBACRole || ref.GroupKind == kindRBACRoleBinding {
		c.add(ref, field.Forbidden(field.NewPath("metadata", "name"), fmt.Sprintf("the env's only RBAC objects are prenv's %s Role and RoleBinding: another could let the app's pods change the env's objects after prenv checked them", m.DatabaseSecrets.Name)))
		return
	}
	if c.found[ref] || ref.GroupKind == kinds.Namespace {
		return
	}
	raw, has := c.annotations(o)[spec.AnnotationSyncWave]
	w := 0
	if has {
		n, err := strconv.Atoi(raw)
		if err != nil {
			c.add(ref, field.Invalid(wp, raw, "must be a whole number, as Argo CD reads sync waves"))
			return
		}
		w = n
	}
	if ref.GroupKind == kinds.ConfigMap && c.seedConfigMaps()[ref.Name] {
		if w >= plan.WaveDatabase {
			c.add(ref, field.Invalid(wp, raw, fmt.Sprintf("a database's seed ConfigMap must sync before the databases (wave %d): give it a sync wave of %d or lower", plan.WaveDatabase, plan.WaveDatabase-1)))
		}
		return
	}
	if last := lastDatabaseWave(m); w <= last {
		c.add(ref, field.Invalid(wp, raw, fmt.Sprintf("the app's objects sync after the databases and their migrations (wave %d): give it a sync wave above %d", last, last)))
	}
}

// passwordJobWhy says why the password Job's spec stays prenv's.
var passwordJobWhy = fmt.Sprintf("the password Job's pods reach the Kubernetes API (NetworkPolicy %s: TCP 443 and 6443, any address) as the Secret writer's ServiceAccount, so another image or script would run the pull request's code there, past spec.networkPolicy.egress; mirror its image in the cluster's registry configuration", plan.NetworkPolicyKubeAPI)

// jobSpecBody is a Job's spec as decoded JSON, without its pod template's
// labels and annotations: a kustomization may add its own there, and
// podIdentity keeps the label the NetworkPolicy selects.
func jobSpecBody(o *unstructured.Unstructured) any {
	s := normJSON(o.Object["spec"])
	if t, ok := s.(map[string]any)["template"].(map[string]any); ok {
		delete(t, "metadata")
	}
	return s
}

// sameTree reports where got (decoded JSON) differs from want under p:
// objects key by key, lists item by item when both have the same length
// (as a whole otherwise), anything else as a whole, with want shown when
// it is a string or a number.
func (c *objectChecker) sameTree(ref ObjectRef, p *field.Path, got, want any, why string) {
	gm, gObj := got.(map[string]any)
	wm, wObj := want.(map[string]any)
	gl, gList := got.([]any)
	wl, wList := want.([]any)
	switch {
	case gObj && wObj:
		for _, k := range keysOfBoth(gm, wm) {
			g, gok := gm[k]
			w, wok := wm[k]
			kp := p.Child(k)
			if !fieldNameRE.MatchString(k) {
				kp = p.Key(k)
			}
			switch {
			case !wok:
				c.add(ref, field.Forbidden(kp, "prenv does not set it: "+why))
			case !gok:
				c.add(ref, field.Required(kp, "as prenv renders it: "+why))
			default:
				c.sameTree(ref, kp, g, w, why)
			}
		}
	case gList && wList && len(gl) == len(wl):
		for i := range gl {
			c.sameTree(ref, p.Index(i), gl[i], wl[i], why)
		}
	case !reflect.DeepEqual(got, want):
		var v any = field.OmitValueType{}
		if s, ok := got.(string); ok && len(s) <= maxShownString {
			v = s
		}
		must := "must be as prenv renders it: "
		switch w := want.(type) {
		case string:
			if len(w) <= maxShownString {
				must = fmt.Sprintf("must be %q as prenv renders it: ", w)
			}
		case float64, bool:
			must = fmt.Sprintf("must be %v as prenv renders it: ", w)
		}
		c.add(ref, field.Invalid(p, v, must+why))
	}
}

// keysOfBoth are the keys of first, sorted, then those of second that
// first lacks, sorted.
func keysOfBoth[V any](first, second map[string]V) []string {
	keys := slices.Sorted(maps.Keys(first))
	for _, k := range slices.Sorted(maps.Keys(second)) {
		if _, ok := first[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// fieldNameRE matches a key that is a field's name, not a map key such as
// a label's.
var fieldNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// maxShownString bounds a string that a message of sameTree quotes.
const maxShownString = 200

// lastDatabaseWave is the wave the app's objects must follow.
func lastDatabaseWave(m *plan.Model) int {
	for _, d := range m.Databases {
		if d.Migrations != nil {
			return plan.WaveMigrations
		}
	}
	return plan.WaveDatabase
}

func (c *objectChecker) seedConfigMaps() map[string]bool {
	out := map[string]bool{}
	for _, d := range c.m.Databases {
		if d.SeedConfigMap != "" {
			out[d.SeedConfigMap] = true
		}
	}
	return out
}

// missingDatabases reports the env's database objects that are not in the
// final set.
func (c *objectChecker) missingDatabases() {
	own := c.databaseObjects()
	refs := slices.SortedFunc(maps.Keys(own), func(a, b ObjectRef) int {
		return strings.Compare(a.String(), b.String())
	})
	for _, ref := range refs {
		if !c.found[ref] {
			c.add(ref, field.Required(field.NewPath("metadata", "name"), "the env's database object is missing: it was renamed, moved or removed, but the databases, their passwords and migrations need it as prenv renders it"))
		}
	}
}

// databaseSecretsRules are the Secret writer's Role rules, as decoded JSON.
func databaseSecretsRules(s *plan.DatabaseSecretsModel) []any {
	names := make([]any, len(s.Secrets))
	for i, n := range s.Secrets {
		names[i] = n
	}
	return []any{
		map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"create"}},
		map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "resourceNames": names, "verbs": []any{"get"}},
	}
}

// sameValue checks that the top-level field key of o equals want.
func (c *objectChecker) sameValue(o *unstructured.Unstructured, ref ObjectRef, key string, want any, why string) {
	got := o.Object[key]
	if reflect.DeepEqual(normJSON(got), normJSON(want)) {
		return
	}
	b, _ := json.Marshal(want)
	c.add(ref, field.Invalid(field.NewPath(key), field.OmitValueType{}, fmt.Sprintf("must be %s as prenv renders it: %s", b, why)))
}

// normJSON makes values from YAML and from Go literals comparable.
func normJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
