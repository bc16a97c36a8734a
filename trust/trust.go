// Package trust is the trust boundary, the stage after package spec. The
// base branch and the CI job are trusted; a pull request, and so the spec
// of its head, is not. The fields of the spec that decide who an env is and
// what it may reach must be what the base branch's spec says ([Check]);
// the others are the pull request's to change. What the base branch says
// of one app is a [Fields]: made from its spec ([Of]) by the CI job (render
// env --base-spec), or carried in each Application that the base branch's
// ApplicationSet generates (the plugin flow), as JSON ([Parse]).
//
//	base := []*trust.Fields{trust.Of(baseSpec)}
//	errs := trust.Check(base, headSpec) // field.ErrorList, each Forbidden
//
// It imports package spec and prenv's internal packages only.
package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/errlist"
	"prenv.dev/prenv/internal/specyaml"
	"prenv.dev/prenv/spec"
)

// rule is what a pull request may do to a field, against the base
// branch.
type rule string

const (
	// ruleFree: the pull request may change the field.
	ruleFree rule = "free"
	// ruleSame: the field must be the base branch's, after defaults.
	ruleSame rule = "same"
	// ruleSubset: a list of grants; the pull request may drop entries
	// or narrow them ([tableRow].narrows), not add any.
	ruleSubset rule = "subset"
)

// tableRow is one row of table.
type tableRow struct {
	// path is the field's dotted JSON path from the document's root; the
	// row covers every field under it. Rows never overlap, and they cover
	// every field of [spec.PreviewEnvironment] (a test walks the types).
	path string
	rule rule
	// why the field is trusted, or why a pull request may change it.
	why string
	// effective, when set, turns the field's value as written (nil when
	// unset) into the value it takes, so that spelling out a default is
	// no change.
	effective func(env *spec.PreviewEnvironment, v any) any
	// narrows, for a ruleSubset row, reports whether the head's entry v
	// grants nothing that the base branch's entries do not; nil means
	// "equals one of them".
	narrows func(v any, base []any) bool
}

// Why a field is trusted, shared by several rows.
const (
	whyIdentity   = "who the env is: <prefix>-<pr>-<app> names its namespace, role, policy, tables, queues, hostname and Application, and another app's env has another name"
	whyArgoNotify = "the GitHub App, and the keys of argocd-notifications-secret holding its credentials, that Argo CD's notifications controller posts every env's statuses and comments as"
	whyArgoSCM    = "the repository whose pull requests get envs, the SCM API Argo CD calls with its token, and the Secret in Argo CD's namespace that holds the token"
)

// table is every field of the spec with what a pull request may do to
// it and why. Adding a field to the spec's types means adding its row here
// (TestTrustTableCoversEveryField fails until then).
var table = []tableRow{
	{path: "apiVersion", rule: ruleFree, why: "the document's type; Check accepts one"},
	{path: "kind", rule: ruleFree, why: "the document's type; Check accepts one"},
	{path: "metadata.name", rule: ruleSame, why: whyIdentity},
	{path: "spec.prefix", rule: ruleSame, why: whyIdentity},
	{path: "spec.aws.accountID", rule: ruleSame, why: "the AWS account of the env's resources and role"},
	{path: "spec.aws.region", rule: ruleSame, why: "the AWS region of the env's resources"},
	{path: "spec.aws.partition", rule: ruleSame, why: "the AWS partition of every ARN the env's role is granted", effective: orDefault("aws")},
	{path: "spec.aws.oidcProviderURL", rule: ruleSame, why: "the cluster identity provider the env's role trusts: another cluster's would let that cluster's pods assume the role",
		effective: func(_ *spec.PreviewEnvironment, v any) any {
			if s, ok := v.(string); ok {
				return strings.TrimPrefix(s, "https://")
			}
			return v
		}},
	{path: "spec.aws.clusterName", rule: ruleSame, why: "the EKS cluster whose Pod Identity associations link the env's ServiceAccount to its role: another cluster's would hand the role to that cluster's pods"},
	{path: "spec.aws.allowUnknownRegion", rule: ruleSame, why: "whether a region outside prenv's list is accepted"},
	{path: "spec.identity", rule: ruleSame, why: "how the env's pods get the role (IRSA or EKS Pod Identity), which decides what the role trusts", effective: orDefault(spec.IdentityIRSA)},
	{path: "spec.serviceAccount", rule: ruleFree, why: "the ServiceAccount in the env's own namespace; prenv sets its role itself, and Check refuses annotations that send its token elsewhere"},
	{path: "spec.iam.managedPolicyARNs", rule: ruleSubset, why: "IAM grants beyond the env's own resources: policies attached to its role"},
	{path: "spec.iam.statements", rule: ruleSubset, why: "IAM grants beyond the env's own resources: statements of its role's policy", narrows: statementNarrows},
	{path: "spec.iam.permissionsBoundaryARN", rule: ruleSame, why: "the cap on every grant of the env's role"},
	{path: "spec.iam.maxSessionDuration", rule: ruleFree, why: "how long one session of the env's role lasts (1 to 12 hours); it grants nothing"},
	{path: "spec.iam.managedPoliciesPerRole", rule: ruleFree, why: "the account's quota; it only changes what Check counts"},
	{path: "spec.dynamodb", rule: ruleFree, why: "the env's own tables, named <env>_<name>"},
	{path: "spec.sqs", rule: ruleFree, why: "the env's own queues, named <env>_<name>"},
	{path: "spec.s3", rule: ruleFree, why: "the env's own buckets, named from the env, the account and the region by prenv"},
	{path: "spec.dns", rule: ruleSame, why: "the hostnames the env claims, <env>.<zone>, and how the cluster's external-dns marks their owner"},
	{path: "spec.databases", rule: ruleFree, why: "database pods in the env's own namespace, within its quota and Pod Security"},
	{path: "spec.labels", rule: ruleSame, why: "labels of the env's objects, its Namespace included: the cluster's NetworkPolicies, admission policies and service meshes select namespaces and pods by label, so a label (team: payments) can let the env reach what another app's namespaces reach"},
	{path: "spec.tags", rule: ruleSame, why: "tags of the env's AWS resources, its role included, where IAM reads them as aws:PrincipalTag: resource policies and attribute-based statements that match a tag (team: payments) would let the env reach what that tag reaches"},
	{path: "spec.deletionPolicy", rule: ruleSame, why: "whether the AWS resources go with the env: retain leaves them for whatever renders that env name next to adopt", effective: orDefault("delete")},
	{path: "spec.ttl", rule: ruleSame, why: "how long the env may live before render leftovers reports it"},
	{path: "spec.resourceQuota", rule: ruleSame, why: "what the env may take of the cluster"},
	{path: "spec.limitRange", rule: ruleSame, why: "what one container of the env may take"},
	{path: "spec.networkPolicy", rule: ruleSame, why: "what the env's pods may reach, and who may reach them"},
	{path: "spec.argocd.namespace", rule: ruleSame, why: "Argo CD's namespace, where the ApplicationSet, AppProject and Applications go", effective: orDefault(spec.DefaultArgoCDNamespace)},
	{path: "spec.argocd.project", rule: ruleSame, why: "the AppProject that fences the env's Applications in; prenv writes it, so another app's project would be overwritten",
		effective: func(env *spec.PreviewEnvironment, v any) any {
			if v == nil {
				return spec.DefaultProjectPrefix + env.Metadata.Name
			}
			return v
		}},
	{path: "spec.argocd.pullRequests.github", rule: ruleSame, why: whyArgoSCM},
	{path: "spec.argocd.pullRequests.gitlab", rule: ruleSame, why: whyArgoSCM},
	{path: "spec.argocd.pullRequests.gitea", rule: ruleSame, why: whyArgoSCM},
	{path: "spec.argocd.pullRequests.bitbucketServer", rule: ruleSame, why: whyArgoSCM},
	{path: "spec.argocd.pullRequests.bitbucket", rule: ruleSame, why: whyArgoSCM},
	{path: "spec.argocd.pullRequests.azureDevOps", rule: ruleSame, why: whyArgoSCM},
	{path: "spec.argocd.pullRequests.filters", rule: ruleSame, why: "which pull requests get an env"},
	{path: "spec.argocd.pullRequests.requeueAfterSeconds", rule: ruleFree, why: "how often Argo CD polls the SCM; it reaches nothing"},
	{path: "spec.argocd.source.repoURL", rule: ruleSame, why: "the repository Argo CD reads the envs from, the AppProject's one source"},
	{path: "spec.argocd.source.path", rule: ruleSame, why: "the folder of each env's manifests, or of the app in the plugin flow"},
	{path: "spec.argocd.source.targetRevision", rule: ruleSame, why: "the revision Argo CD reads"},
	{path: "spec.argocd.source.plugin.name", rule: ruleSame, why: "whether Argo CD renders the env with a Config Management Plugin (the plugin flow), and which",
		effective: func(env *spec.PreviewEnvironment, v any) any {
			// plugin: {} is the plugin flow with its defaults, where no
			// plugin is the manifest flow: they differ here.
			if a := env.Spec.ArgoCD; v == nil && a != nil && a.Source != nil && a.Source.Plugin != nil {
				return spec.DefaultPluginName
			}
			return v
		}},
	{path: "spec.argocd.source.plugin.image", rule: ruleSame, why: "the image patched into argocd-repo-server as the plugin's sidecar"},
	{path: "spec.argocd.source.plugin.file", rule: ruleFree, why: "the app's own spec file; the base branch's Application names the one Argo CD reads"},
	{path: "spec.argocd.source.plugin.chart", rule: ruleFree, why: "the app's own chart, rendered inside the env's fence"},
	{path: "spec.argocd.source.plugin.values", rule: ruleFree, why: "values files of the app's own chart"},
	{path: "spec.argocd.destination", rule: ruleSame, why: "the cluster the envs go to"},
	{path: "spec.argocd.syncPolicy", rule: ruleSame, why: "how Argo CD applies and prunes the env's objects (self-heal, prune, sync options)"},
	{path: "spec.argocd.appResources", rule: ruleSame, why: "the kinds the AppProject lets the env's Applications create, and the final checks let the app's own objects have"},
	{path: "spec.argocd.labels", rule: ruleSame, why: "labels of objects in Argo CD's namespace, which its RBAC, notifications and selectors match"},
	{path: "spec.argocd.healthChecks", rule: ruleSame, why: "whether prenv writes Argo CD's own argocd-cm", effective: orDefault(true)},
	{path: "spec.argocd.notifications.github.appID", rule: ruleSame, why: whyArgoNotify},
	{path: "spec.argocd.notifications.github.installationID", rule: ruleSame, why: whyArgoNotify},
	{path: "spec.argocd.notifications.github.privateKey", rule: ruleSame, why: whyArgoNotify},
	{path: "spec.argocd.notifications.github.enterpriseBaseURL", rule: ruleSame, why: "the server Argo CD's notifications controller sends the GitHub App's token requests, statuses and comments to"},
}

// orDefault is an effective function: an unset field takes def.
func orDefault(def any) func(*spec.PreviewEnvironment, any) any {
	return func(_ *spec.PreviewEnvironment, v any) any {
		if v == nil {
			return def
		}
		return v
	}
}

// AdminPolicyNames are the AWS managed policies that grant administrator
// rights over a whole account or service family, as ARN resource names
// (arn:<partition>:iam::aws:policy/<name>): AdministratorAccess and
// PowerUserAccess (IAM User Guide, "AWS managed policies for job
// functions"), the job-function policies SystemAdministrator,
// NetworkAdministrator and DatabaseAdministrator (same page), and
// IAMFullAccess (AWS Managed Policy Reference Guide), with which a role
// can grant itself anything. [Check] names them when a pull request
// attaches one: like every managed policy, they need the base branch.
var AdminPolicyNames = []string{
	"AdministratorAccess",
	"PowerUserAccess",
	"IAMFullAccess",
	"job-function/SystemAdministrator",
	"job-function/NetworkAdministrator",
	"job-function/DatabaseAdministrator",
}

// IsAdminPolicy reports whether arn is one of [AdminPolicyNames] in any
// partition.
func IsAdminPolicy(arn string) bool {
	_, rest, ok := strings.Cut(arn, ":")
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return false
	}
	_, name, ok := strings.Cut(rest, ":iam::aws:policy/")
	return ok && slices.Contains(AdminPolicyNames, name)
}

// wayOut ends every refusal: what the pull request's author does.
const wayOut = "merge this change to the base branch first, where the platform's reviewers see it"

// Fields is what the base branch's spec of one app says in the fields a
// pull request may not change: each field's value after its default.
// Make one with [Of] or [Parse]; compare a head spec with
// [Check].
type Fields struct {
	// values maps the path of each row that is not ruleFree to the
	// field's effective value, as JSON decodes it (map[string]any,
	// []any, string, bool, json.Number), or nil when unset.
	values map[string]any
}

// Of returns the fields of env that a pull request may not change;
// nil for a nil spec. env is not checked: compare what the base branch
// says, whatever it says.
func Of(env *spec.PreviewEnvironment) *Fields {
	if env == nil {
		return nil
	}
	t := &Fields{values: map[string]any{}}
	root := reflect.ValueOf(env).Elem()
	for _, row := range table {
		if row.rule == ruleFree {
			continue
		}
		var v any
		if fv, ok := fieldAt(root, row.path); ok {
			v = fieldValue(fv)
		}
		if row.effective != nil {
			v = row.effective(env, v)
		}
		// Through JSON, so that a value made here and one parsed back
		// ([Parse]) compare equal.
		t.values[row.path] = roundTrip(v)
	}
	return t
}

// App is the base branch's metadata.name.
func (t *Fields) App() string {
	if t == nil {
		return ""
	}
	s, _ := t.values["metadata.name"].(string)
	return s
}

// Kind is the kind of a [Fields]'s JSON document.
const Kind = "TrustedFields"

// fieldsDoc is a Fields's JSON form.
type fieldsDoc struct {
	APIVersion string                     `json:"apiVersion"`
	Kind       string                     `json:"kind"`
	Fields     map[string]json.RawMessage `json:"fields"`
}

// MarshalJSON writes {"apiVersion": "prenv.dev/v1alpha1", "kind":
// "TrustedFields", "fields": {"<path>": <value>, ...}}: every field a pull
// request may not change, by its dotted path, with its value after
// defaults (null when unset), in a form that depends on nothing but the
// values (keys sorted). A nil Fields is null.
func (t *Fields) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	doc := fieldsDoc{APIVersion: spec.APIVersion, Kind: Kind, Fields: map[string]json.RawMessage{}}
	for path, v := range t.values {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		doc.Fields[path] = b
	}
	return json.Marshal(doc)
}

// Parse reads a [Fields] from the JSON that its MarshalJSON
// writes. It must have exactly the fields this version of prenv trusts:
// one written by another version is refused, rather than trusted in part.
func Parse(data []byte) (*Fields, error) {
	var doc fieldsDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the base branch's trusted fields: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("the base branch's trusted fields: more than one JSON value")
	}
	if doc.APIVersion != spec.APIVersion || doc.Kind != Kind {
		return nil, fmt.Errorf("the base branch's trusted fields: apiVersion %q, kind %q; want %s, %s", doc.APIVersion, doc.Kind, spec.APIVersion, Kind)
	}
	t := &Fields{values: map[string]any{}}
	var missing []string
	for _, row := range table {
		if row.rule == ruleFree {
			continue
		}
		raw, ok := doc.Fields[row.path]
		if !ok {
			missing = append(missing, row.path)
			continue
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("the base branch's trusted fields: %s: %w", row.path, err)
		}
		t.values[row.path] = v
	}
	var unknown []string
	for path := range doc.Fields {
		if _, ok := t.values[path]; !ok && !slices.Contains(missing, path) {
			unknown = append(unknown, path)
		}
	}
	if len(missing) > 0 || len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("the base branch's trusted fields were written by another version of prenv (missing %q, unknown %q): render them with this version", missing, unknown)
	}
	return t, nil
}

// Error is a spec that differs from the base branch in fields a pull
// request may not change ([Check]). Errs lists every such field,
// each a Forbidden field error that says what the base branch has and the
// way out.
type Error struct {
	Errs field.ErrorList
}

func (e *Error) Error() string {
	return errlist.Format("the spec changes what only the base branch may change", e.Errs)
}

// Check compares a pull request's spec with the base branch's
// trusted fields and lists, all at once, every field head may not have:
//
//   - a ruleSame field (the app name, the prefix, spec.aws, spec.dns, the
//     deletion policy, the bounds, and what spec.argocd says of projects,
//     namespaces, SCM endpoints, Secrets and images) that differs, at the
//     path of each differing value: "differs from the base branch (<value>
//     there)";
//   - an IAM grant the base branch lacks: a managed policy ARN it does not
//     attach (an AWS-managed administrator policy, [AdminPolicyNames], is
//     named as one), or an Allow statement that no Allow statement of the
//     base branch covers (same conditions, its actions and resources among
//     that statement's); Deny statements may be added.
//
// The base is looked up by head's metadata.name among base (head must
// keep what each base of that name says); with a single base of another
// name, head is compared with it (so a renamed app is refused at
// metadata.name). An empty base (the base branch has no spec
// of the app) refuses head at metadata.name: a pull request cannot add an
// app. Each error is field.Forbidden and ends with the way out: merge the
// change to the base branch first.
func Check(base []*Fields, head *spec.PreviewEnvironment) field.ErrorList {
	if head == nil {
		return field.ErrorList{field.Required(field.NewPath("spec"), "no spec was given (nil)")}
	}
	var matches, others []*Fields
	var apps []string
	for _, t := range base {
		if t == nil {
			continue
		}
		apps = append(apps, t.App())
		if t.App() == head.Metadata.Name {
			matches = append(matches, t)
		} else {
			others = append(others, t)
		}
	}
	if len(matches) == 0 && len(others) == 1 {
		matches = others
	}
	if len(matches) == 0 {
		has := ""
		if len(apps) > 0 {
			slices.Sort(apps)
			has = fmt.Sprintf(" (it has %s)", strings.Join(apps, ", "))
		}
		return field.ErrorList{field.Forbidden(field.NewPath("metadata", "name"), fmt.Sprintf(
			"the base branch has no spec of the app %q%s: a pull request cannot add an app or take another's name; merge its prenv.yaml to the base branch first, where the platform's reviewers see it",
			head.Metadata.Name, has))}
	}
	// Should the base branch have two specs of the app, head must keep
	// what each of them says.
	h := Of(head)
	root := reflect.TypeFor[spec.PreviewEnvironment]()
	var errs field.ErrorList
	seen := map[string]bool{}
	for _, b := range matches {
		for _, row := range table {
			p := specyaml.PathOf(row.path)
			bv, hv := b.values[row.path], h.values[row.path]
			var rowErrs field.ErrorList
			switch row.rule {
			case ruleSame:
				rowErrs = diffValues(p, typeAt(root, row.path), bv, hv)
			case ruleSubset:
				rowErrs = subsetErrors(p, row, bv, hv)
			}
			for _, e := range rowErrs {
				if !seen[e.Error()] {
					seen[e.Error()] = true
					errs = append(errs, e)
				}
			}
		}
	}
	return errs
}

// diffValues lists each value of head that differs from base under p; t
// is the field's Go type, which tells struct fields (p.Child) from map
// keys (p.Key). An unset object is an empty one; a list is compared item
// by item when both have the same length, as a whole otherwise.
func diffValues(p *field.Path, t reflect.Type, base, head any) field.ErrorList {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	bm, bObj := base.(map[string]any)
	hm, hObj := head.(map[string]any)
	if (bObj || hObj) && (bObj || base == nil) && (hObj || head == nil) {
		union := maps.Clone(bm)
		if union == nil {
			union = map[string]any{}
		}
		maps.Copy(union, hm)
		var errs field.ErrorList
		for _, k := range slices.Sorted(maps.Keys(union)) {
			if t.Kind() == reflect.Map {
				errs = append(errs, diffValues(p.Key(k), t.Elem(), bm[k], hm[k])...)
			} else {
				errs = append(errs, diffValues(p.Child(k), structField(t, k), bm[k], hm[k])...)
			}
		}
		return errs
	}
	bl, bList := base.([]any)
	hl, hList := head.([]any)
	if bList && hList && len(bl) == len(hl) {
		var errs field.ErrorList
		for i := range bl {
			errs = append(errs, diffValues(p.Index(i), t.Elem(), bl[i], hl[i])...)
		}
		return errs
	}
	if reflect.DeepEqual(base, head) {
		return nil
	}
	return field.ErrorList{field.Forbidden(p, fmt.Sprintf(
		"differs from the base branch (%s there): a pull request cannot change who the env is or what it may reach; %s", shownValue(base), wayOut))}
}

// subsetErrors lists each entry of the head's list that the base branch's
// list does not grant.
func subsetErrors(p *field.Path, row tableRow, base, head any) field.ErrorList {
	bl, _ := base.([]any)
	hl, _ := head.([]any)
	var errs field.ErrorList
	for i, v := range hl {
		ok := slices.ContainsFunc(bl, func(b any) bool { return reflect.DeepEqual(b, v) })
		if row.narrows != nil {
			ok = row.narrows(v, bl)
		}
		if ok {
			continue
		}
		var detail string
		if s, isString := v.(string); isString {
			admin := ""
			if IsAdminPolicy(s) {
				admin = ", and it is an AWS-managed administrator policy"
			}
			detail = fmt.Sprintf("%s is not attached on the base branch%s: a pull request may drop managed policies, not attach new ones", strconv.Quote(s), admin)
		} else {
			detail = "an Allow statement that no Allow statement of the base branch covers (the same conditions, and its actions and resources among that statement's): a pull request may drop statements, narrow them or add Deny statements, not grant more"
		}
		errs = append(errs, field.Forbidden(p.Index(i), detail+"; "+wayOut))
	}
	return errs
}

// statementNarrows: a Deny statement grants nothing; an Allow statement
// grants nothing new when an Allow statement of the base branch has the
// same conditions and all of its actions and resources (the statement then
// allows a subset of the same action-resource pairs under the same
// conditions). The sid is left out: it grants nothing.
func statementNarrows(v any, base []any) bool {
	s, _ := v.(map[string]any)
	if s["effect"] == "Deny" {
		return true
	}
	return slices.ContainsFunc(base, func(b any) bool {
		bs, _ := b.(map[string]any)
		return bs["effect"] == "Allow" && reflect.DeepEqual(bs["conditions"], s["conditions"]) &&
			subsetOf(s["actions"], bs["actions"]) && subsetOf(s["resources"], bs["resources"])
	})
}

// subsetOf reports whether every item of the list a is in the list b.
func subsetOf(a, b any) bool {
	al, _ := a.([]any)
	bl, _ := b.([]any)
	for _, x := range al {
		if !slices.Contains(bl, x) {
			return false
		}
	}
	return true
}

// maxShownValue bounds a base value quoted in a message.
const maxShownValue = 200

// shownValue is a base value as a message quotes it: JSON, "unset" for an
// unset field, cut at maxShownValue bytes.
func shownValue(v any) string {
	if v == nil {
		return "unset"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > maxShownValue {
		return string(b[:maxShownValue]) + "..."
	}
	return string(b)
}

// fieldAt follows a dotted JSON path from a struct through struct fields
// and pointers; false when a pointer on the way is nil.
func fieldAt(v reflect.Value, path string) (reflect.Value, bool) {
	for _, name := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		i := fieldIndex(v.Type(), name)
		if i < 0 {
			return reflect.Value{}, false
		}
		v = v.Field(i)
	}
	return v, true
}

// typeAt is the Go type of the field at a dotted JSON path.
func typeAt(t reflect.Type, path string) reflect.Type {
	for _, name := range strings.Split(path, ".") {
		t = structField(t, name)
	}
	return t
}

// structField is the type of the field of struct t (or a pointer to it)
// whose JSON name is name; an empty interface type when there is none.
func structField(t reflect.Type, name string) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		if i := fieldIndex(t, name); i >= 0 {
			return t.Field(i).Type
		}
	}
	return reflect.TypeFor[any]()
}

// fieldIndex is the index of the field of struct t whose JSON name is
// name, or -1.
func fieldIndex(t reflect.Type, name string) int {
	if t.Kind() != reflect.Struct {
		return -1
	}
	for i := range t.NumField() {
		if specyaml.JSONFieldName(t.Field(i)) == name {
			return i
		}
	}
	return -1
}

// canonical is a value as JSON would decode it, with what is unset left
// out: a struct becomes an object of its fields that are set (a nil
// pointer to a struct is an empty object), a map an object, a slice a
// list (nil when it is nil: an empty list and no list can differ, as
// appResources: [] and none do), a number a json.Number. A pointer to a
// scalar is set whenever it is not nil (healthChecks: true is written out).
func canonical(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			if v.Type().Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct {
				return map[string]any{}
			}
			return nil
		}
		return canonical(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		for i := range v.NumField() {
			name := specyaml.JSONFieldName(v.Type().Field(i))
			if name == "" {
				continue
			}
			if c := fieldValue(v.Field(i)); c != nil {
				m[name] = c
			}
		}
		return m
	case reflect.Map:
		m := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			m[iter.Key().String()] = canonical(iter.Value())
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = canonical(v.Index(i))
		}
		return out
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return json.Number(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return json.Number(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	}
	return nil
}

// fieldValue is a field's canonical value, or nil when it is unset: a
// scalar that is zero, a nil pointer or slice, an empty struct or map.
func fieldValue(fv reflect.Value) any {
	if isScalar(fv.Kind()) && fv.IsZero() {
		return nil
	}
	c := canonical(fv)
	if m, ok := c.(map[string]any); ok && len(m) == 0 {
		return nil
	}
	return c
}

func isScalar(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Interface, reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
		return false
	}
	return true
}

// roundTrip passes v through JSON, numbers as json.Number.
func roundTrip(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return v
	}
	return out
}
