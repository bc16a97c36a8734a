package trust

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/specyaml"
	"prenv.dev/prenv/spec"
)

// leafPaths lists every field of t by its dotted JSON path ("[]" for the
// items of a list or map), down to the fields that hold no struct.
func leafPaths(t reflect.Type, prefix string, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		if t.Kind() != reflect.Pointer {
			prefix += "[]"
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return []string{prefix}
	}
	seen[t] = true
	defer delete(seen, t)
	var out []string
	for i := range t.NumField() {
		name := specyaml.JSONFieldName(t.Field(i))
		if name == "" {
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		out = append(out, leafPaths(t.Field(i).Type, p, seen)...)
	}
	return out
}

// covers reports whether a row's path is path or one of its parents.
func covers(row, path string) bool {
	return path == row || strings.HasPrefix(path, row+".") || strings.HasPrefix(path, row+"[")
}

// TestTrustTableCoversEveryField walks the spec's types: every field is
// covered by exactly one row of the trust table (a new field fails here until
// it has a row), and every row names a field. The golden file lists each
// field with its rule, so that a field added under a row (say a new
// field of spec.dynamodb.tables[]) shows in review with what a pull
// request may do to it.
func TestTrustTableCoversEveryField(t *testing.T) {
	leaves := leafPaths(reflect.TypeFor[spec.PreviewEnvironment](), "", map[reflect.Type]bool{})
	var b strings.Builder
	for _, leaf := range leaves {
		var rows []string
		var leafRule rule
		for _, r := range table {
			if covers(r.path, leaf) {
				rows = append(rows, r.path)
				leafRule = r.rule
			}
		}
		if len(rows) != 1 {
			t.Errorf("%s is covered by %d rows of the trust table %q, want exactly one: add a row that says what a pull request may do to it", leaf, len(rows), rows)
		}
		fmt.Fprintf(&b, "%s %s\n", leaf, leafRule)
	}
	for _, r := range table {
		if !slices.ContainsFunc(leaves, func(leaf string) bool { return covers(r.path, leaf) }) {
			t.Errorf("row %s names no field of the spec", r.path)
		}
		if r.why == "" {
			t.Errorf("row %s does not say why", r.path)
		}
		if (r.narrows != nil) != (r.rule == ruleSubset && r.path == "spec.iam.statements") || (r.effective != nil && r.rule == ruleFree) {
			t.Errorf("row %s: narrows or effective on a row whose rule does not use it", r.path)
		}
	}
	golden.CheckFile(t, "trust/testdata/trust-fields.txt", []byte(b.String()))
}

// trustBase is the spec the trust tests start from: examples/web with IAM
// grants and bounds written out.
func trustBase(t *testing.T) *spec.PreviewEnvironment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", "web", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := spec.Load(data,
		spec.Override{Expr: "spec.iam.managedPolicyARNs={arn:aws:iam::123456789012:policy/web-extra}"},
		spec.Override{Expr: "spec.iam.permissionsBoundaryARN=arn:aws:iam::123456789012:policy/preview-boundary"},
		spec.Override{Expr: "spec.iam.statements[0].sid=ReadAssets,spec.iam.statements[0].effect=Allow,spec.iam.statements[0].actions={s3:GetObject,s3:ListBucket},spec.iam.statements[0].resources={arn:aws:s3:::web-assets,arn:aws:s3:::web-assets/*}"},
	)
	if err != nil {
		t.Fatal(err)
	}
	env.Spec.NetworkPolicy = &spec.NetworkPolicy{Egress: []spec.EgressRule{}}
	env.Spec.ArgoCD.AppResources = []spec.GroupKind{}
	if errs := spec.Check(env); len(errs) > 0 {
		t.Fatalf("the base does not pass Check: %v", errs)
	}
	return env
}

// TestCheckTrusted: each kind of field a pull request may not change is
// refused at its path, with the base branch's value and the way out; what
// it may change passes.
func TestCheckTrusted(t *testing.T) {
	const same = ": a pull request cannot change who the env is or what it may reach; merge this change to the base branch first, where the platform's reviewers see it"
	const way = "; merge this change to the base branch first, where the platform's reviewers see it"
	tests := map[string]struct {
		change func(*spec.PreviewEnvironment)
		want   []string
	}{
		"unchanged": {func(*spec.PreviewEnvironment) {}, nil},
		"another app's name, retained": {func(e *spec.PreviewEnvironment) {
			e.Metadata.Name = "payments"
			e.Spec.DeletionPolicy = "retain"
			e.Spec.ArgoCD.Project = ""
		}, []string{
			`metadata.name: Forbidden: differs from the base branch ("web" there)` + same,
			`spec.deletionPolicy: Forbidden: differs from the base branch ("delete" there)` + same,
			`spec.argocd.project: Forbidden: differs from the base branch ("previews-web" there)` + same,
		}},
		"prefix": {func(e *spec.PreviewEnvironment) { e.Spec.Prefix = "prod" }, []string{
			`spec.prefix: Forbidden: differs from the base branch ("test" there)` + same,
		}},
		"another cluster's identity provider": {func(e *spec.PreviewEnvironment) {
			e.Spec.AWS.OIDCProviderURL = "https://oidc.eks.us-east-1.amazonaws.com/id/OTHER"
		}, []string{
			`spec.aws.oidcProviderURL: Forbidden: differs from the base branch ("oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" there)` + same,
		}},
		"account and region": {func(e *spec.PreviewEnvironment) {
			e.Spec.AWS.AccountID = "999999999999"
			e.Spec.AWS.Region = "us-east-1"
		}, []string{
			`spec.aws.accountID: Forbidden: differs from the base branch ("123456789012" there)` + same,
			`spec.aws.region: Forbidden: differs from the base branch ("ap-northeast-1" there)` + same,
		}},
		"permissions boundary dropped": {func(e *spec.PreviewEnvironment) { e.Spec.IAM.PermissionsBoundaryARN = "" }, []string{
			`spec.iam.permissionsBoundaryARN: Forbidden: differs from the base branch ("arn:aws:iam::123456789012:policy/preview-boundary" there)` + same,
		}},
		"another team's DNS zone": {func(e *spec.PreviewEnvironment) { e.Spec.DNS.Zone = "payments.example.com" }, []string{
			`spec.dns.zone: Forbidden: differs from the base branch ("preview.example.com" there)` + same,
		}},
		"DNS dropped": {func(e *spec.PreviewEnvironment) { e.Spec.DNS = nil }, []string{
			`spec.dns.zone: Forbidden: differs from the base branch ("preview.example.com" there)` + same,
		}},
		"a Namespace label that other namespaces' policies select": {func(e *spec.PreviewEnvironment) {
			e.Spec.Labels = map[string]string{"team": "payments"}
		}, []string{
			`spec.labels[team]: Forbidden: differs from the base branch (unset there)` + same,
		}},
		"a role tag that principal-tag conditions match": {func(e *spec.PreviewEnvironment) {
			e.Spec.Tags["team"] = "payments"
		}, []string{
			`spec.tags[team]: Forbidden: differs from the base branch ("web" there)` + same,
		}},
		"another app's AppProject": {func(e *spec.PreviewEnvironment) { e.Spec.ArgoCD.Project = "previews-payments" }, []string{
			`spec.argocd.project: Forbidden: differs from the base branch ("previews-web" there)` + same,
		}},
		"Argo CD's namespace": {func(e *spec.PreviewEnvironment) { e.Spec.ArgoCD.Namespace = "kube-system" }, []string{
			`spec.argocd.namespace: Forbidden: differs from the base branch ("argocd" there)` + same,
		}},
		"SCM API and Argo CD's own secret": {func(e *spec.PreviewEnvironment) {
			e.Spec.ArgoCD.PullRequests.GitHub.API = "https://attacker.example.com"
			e.Spec.ArgoCD.PullRequests.GitHub.TokenSecret = &spec.SecretKey{Name: "argocd-secret", Key: "admin.password"}
		}, []string{
			`spec.argocd.pullRequests.github.api: Forbidden: differs from the base branch (unset there)` + same,
			`spec.argocd.pullRequests.github.tokenSecret.key: Forbidden: differs from the base branch ("token" there)` + same,
			`spec.argocd.pullRequests.github.tokenSecret.name: Forbidden: differs from the base branch ("github-token" there)` + same,
		}},
		"another provider": {func(e *spec.PreviewEnvironment) {
			e.Spec.ArgoCD.PullRequests.GitHub = nil
			e.Spec.ArgoCD.PullRequests.Gitea = &spec.GiteaPRs{Owner: "example", Repo: "web", API: "https://gitea.example.com"}
		}, []string{
			`spec.argocd.pullRequests.github.labels: Forbidden: differs from the base branch (["preview"] there)` + same,
			`spec.argocd.pullRequests.github.owner: Forbidden: differs from the base branch ("example" there)` + same,
			`spec.argocd.pullRequests.github.repo: Forbidden: differs from the base branch ("web" there)` + same,
			`spec.argocd.pullRequests.github.tokenSecret.key: Forbidden: differs from the base branch ("token" there)` + same,
			`spec.argocd.pullRequests.github.tokenSecret.name: Forbidden: differs from the base branch ("github-token" there)` + same,
			`spec.argocd.pullRequests.gitea.api: Forbidden: differs from the base branch (unset there)` + same,
			`spec.argocd.pullRequests.gitea.owner: Forbidden: differs from the base branch (unset there)` + same,
			`spec.argocd.pullRequests.gitea.repo: Forbidden: differs from the base branch (unset there)` + same,
		}},
		"the plugin's sidecar image": {func(e *spec.PreviewEnvironment) {
			e.Spec.ArgoCD.Source.Plugin = &spec.AppPlugin{Image: "attacker.example.com/shell:latest"}
		}, []string{
			`spec.argocd.source.plugin.name: Forbidden: differs from the base branch (unset there)` + same,
			`spec.argocd.source.plugin.image: Forbidden: differs from the base branch (unset there)` + same,
		}},
		"the plugin flow with its defaults": {func(e *spec.PreviewEnvironment) { e.Spec.ArgoCD.Source.Plugin = &spec.AppPlugin{} }, []string{
			`spec.argocd.source.plugin.name: Forbidden: differs from the base branch (unset there)` + same,
		}},
		"kinds of the AppProject: none there, the defaults here": {func(e *spec.PreviewEnvironment) { e.Spec.ArgoCD.AppResources = nil }, []string{
			`spec.argocd.appResources: Forbidden: differs from the base branch ([] there)` + same,
		}},
		"Argo CD dropped": {func(e *spec.PreviewEnvironment) {
			e.Spec.ArgoCD = nil
		}, []string{
			`spec.argocd.pullRequests.github.labels: Forbidden: differs from the base branch (["preview"] there)` + same,
			`spec.argocd.pullRequests.github.owner: Forbidden: differs from the base branch ("example" there)` + same,
			`spec.argocd.pullRequests.github.repo: Forbidden: differs from the base branch ("web" there)` + same,
			`spec.argocd.pullRequests.github.tokenSecret.key: Forbidden: differs from the base branch ("token" there)` + same,
			`spec.argocd.pullRequests.github.tokenSecret.name: Forbidden: differs from the base branch ("github-token" there)` + same,
			`spec.argocd.pullRequests.filters: Forbidden: differs from the base branch ([{"branchMatch":"^feature/"}] there)` + same,
			`spec.argocd.source.repoURL: Forbidden: differs from the base branch ("https://github.com/example/manifests.git" there)` + same,
			`spec.argocd.source.path: Forbidden: differs from the base branch ("envs/web/pr-{{number}}" there)` + same,
			`spec.argocd.source.targetRevision: Forbidden: differs from the base branch ("main" there)` + same,
			`spec.argocd.destination.server: Forbidden: differs from the base branch ("https://kubernetes.default.svc" there)` + same,
			`spec.argocd.syncPolicy.prune: Forbidden: differs from the base branch (true there)` + same,
			`spec.argocd.syncPolicy.selfHeal: Forbidden: differs from the base branch (true there)` + same,
			`spec.argocd.appResources: Forbidden: differs from the base branch ([] there)` + same,
			`spec.argocd.notifications.github.appID: Forbidden: differs from the base branch ("$github-appID" there)` + same,
			`spec.argocd.notifications.github.installationID: Forbidden: differs from the base branch ("$github-installationID" there)` + same,
			`spec.argocd.notifications.github.privateKey: Forbidden: differs from the base branch ("$github-privateKey" there)` + same,
		}},
		"a pull request that points the notifications elsewhere": {func(e *spec.PreviewEnvironment) {
			e.Spec.ArgoCD.Notifications.GitHub.PrivateKey = "$attacker-privateKey"
		}, []string{
			`spec.argocd.notifications.github.privateKey: Forbidden: differs from the base branch ("$github-privateKey" there)` + same,
		}},
		"Delete=false sync option": {func(e *spec.PreviewEnvironment) {
			e.Spec.ArgoCD.SyncPolicy.SyncOptions = []string{"Delete=false"}
		}, []string{
			`spec.argocd.syncPolicy.syncOptions: Forbidden: differs from the base branch (unset there)` + same,
		}},
		"egress: none there, the default here": {func(e *spec.PreviewEnvironment) { e.Spec.NetworkPolicy.Egress = nil }, []string{
			`spec.networkPolicy.egress: Forbidden: differs from the base branch ([] there)` + same,
		}},
		"a bigger quota": {func(e *spec.PreviewEnvironment) {
			e.Spec.ResourceQuota.Hard["pods"] = "300"
			e.Spec.ResourceQuota.Hard["services.loadbalancers"] = "5"
		}, []string{
			`spec.resourceQuota.hard[pods]: Forbidden: differs from the base branch ("30" there)` + same,
			`spec.resourceQuota.hard[services.loadbalancers]: Forbidden: differs from the base branch (unset there)` + same,
		}},
		"a longer life": {func(e *spec.PreviewEnvironment) { e.Spec.TTL = "8760h" }, []string{
			`spec.ttl: Forbidden: differs from the base branch ("72h" there)` + same,
		}},
		"AdministratorAccess attached": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM.ManagedPolicyARNs = append(e.Spec.IAM.ManagedPolicyARNs, "arn:aws:iam::aws:policy/AdministratorAccess")
		}, []string{
			`spec.iam.managedPolicyARNs[1]: Forbidden: "arn:aws:iam::aws:policy/AdministratorAccess" is not attached on the base branch, and it is an AWS-managed administrator policy: a pull request may drop managed policies, not attach new ones` + way,
		}},
		"another managed policy": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM.ManagedPolicyARNs = []string{"arn:aws:iam::123456789012:policy/payments"}
		}, []string{
			`spec.iam.managedPolicyARNs[0]: Forbidden: "arn:aws:iam::123456789012:policy/payments" is not attached on the base branch: a pull request may drop managed policies, not attach new ones` + way,
		}},
		"an Allow statement added": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM.Statements = append(e.Spec.IAM.Statements, spec.Statement{Effect: "Allow", Actions: []string{"dynamodb:*"}, Resources: []string{"arn:aws:dynamodb:*:*:table/test-*"}})
		}, []string{
			`spec.iam.statements[1]: Forbidden: an Allow statement that no Allow statement of the base branch covers (the same conditions, and its actions and resources among that statement's): a pull request may drop statements, narrow them or add Deny statements, not grant more` + way,
		}},
		"an Allow statement widened": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM.Statements[0].Resources = append(e.Spec.IAM.Statements[0].Resources, "arn:aws:s3:::payments-assets/*")
		}, []string{
			`spec.iam.statements[0]: Forbidden: an Allow statement that no Allow statement of the base branch covers (the same conditions, and its actions and resources among that statement's): a pull request may drop statements, narrow them or add Deny statements, not grant more` + way,
		}},
		"a condition dropped": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM.Statements[0].Conditions = map[string]map[string]spec.StringList{"StringEquals": {"aws:RequestedRegion": {"ap-northeast-1"}}}
		}, []string{
			`spec.iam.statements[0]: Forbidden: an Allow statement that no Allow statement of the base branch covers (the same conditions, and its actions and resources among that statement's): a pull request may drop statements, narrow them or add Deny statements, not grant more` + way,
		}},
		"grants narrowed, dropped or denied": {func(e *spec.PreviewEnvironment) {
			e.Spec.IAM.ManagedPolicyARNs = nil
			e.Spec.IAM.Statements = []spec.Statement{
				{Sid: "Renamed", Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::web-assets/*"}},
				{Effect: "Deny", Actions: []string{"*"}, Resources: []string{"*"}},
			}
		}, nil},
		"defaults spelt out": {func(e *spec.PreviewEnvironment) {
			e.Spec.DeletionPolicy = ""
			e.Spec.AWS.Partition = ""
			e.Spec.AWS.OIDCProviderURL = strings.TrimPrefix(e.Spec.AWS.OIDCProviderURL, "https://")
			e.Spec.ArgoCD.Namespace = ""
			e.Spec.ArgoCD.Project = ""
			e.Spec.ArgoCD.HealthChecks = new(bool)
			*e.Spec.ArgoCD.HealthChecks = true
		}, nil},
		"what a pull request may change": {func(e *spec.PreviewEnvironment) {
			e.Spec.DynamoDB.Tables[0].Name = "carts"
			e.Spec.SQS = nil
			e.Spec.ServiceAccount.Name = "api"
			e.Spec.IAM.MaxSessionDuration = 7200
			e.Spec.ArgoCD.PullRequests.RequeueAfterSeconds = nil
			e.Spec.Databases = []spec.Database{{Name: "main", Engine: "postgres", Version: "17", Storage: "1Gi", DatabaseName: "app"}}
		}, nil},
	}
	base := []*Fields{Of(trustBase(t))}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			head := trustBase(t)
			tc.change(head)
			var got []string
			for _, e := range Check(base, head) {
				if e.Type != field.ErrorTypeForbidden {
					t.Errorf("%s: type %s, want Forbidden", e.Field, e.Type)
				}
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %d problem(s):\n%s\nwant %d:\n%s", len(got), strings.Join(got, "\n"), len(tc.want), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestCheckTrustedFindsTheApp: the base is looked up by app; a pull
// request cannot add an app, nor take the name of another app the base
// branch has.
func TestCheckTrustedFindsTheApp(t *testing.T) {
	web := trustBase(t)
	payments := trustBase(t)
	payments.Metadata.Name = "payments"
	payments.Spec.ArgoCD.Project = "previews-payments"
	bases := []*Fields{Of(payments), Of(web)}
	if errs := Check(bases, web); len(errs) > 0 {
		t.Errorf("web against its own base: %v", errs)
	}
	stranger := trustBase(t)
	stranger.Metadata.Name = "shop"
	const noApp = `metadata.name: Forbidden: the base branch has no spec of the app "shop"%s: a pull request cannot add an app or take another's name; merge its prenv.yaml to the base branch first, where the platform's reviewers see it`
	for name, tc := range map[string]struct {
		base []*Fields
		want string
	}{
		"several": {bases, fmt.Sprintf(noApp, " (it has payments, web)")},
		"none":    {[]*Fields{}, fmt.Sprintf(noApp, "")},
	} {
		errs := Check(tc.base, stranger)
		if len(errs) != 1 || errs[0].Error() != tc.want {
			t.Errorf("%s: got %v, want %s", name, errs, tc.want)
		}
	}
	// Two specs of web on the base branch: the head keeps what both say.
	other := trustBase(t)
	other.Spec.DNS.Zone = "other.example.com"
	if errs := Check([]*Fields{Of(web), Of(other)}, web); len(errs) != 1 || errs[0].Field != "spec.dns.zone" {
		t.Errorf("two bases of web: got %v, want spec.dns.zone refused", errs)
	}
	if errs := Check(bases, nil); len(errs) != 1 || errs[0].Field != "spec" {
		t.Errorf("nil head: %v", errs)
	}
}

// TestTrustedJSON: the trusted fields survive JSON (the plugin flow carries
// them in each Application), are the same for the same spec, and a
// document of another version of prenv is refused.
func TestTrustedJSON(t *testing.T) {
	env := trustBase(t)
	b, err := json.Marshal(Of(env))
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(Of(trustBase(t)))
	if string(b) != string(b2) {
		t.Errorf("two marshals of the same spec differ:\n%s\n%s", b, b2)
	}
	parsed, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if errs := Check([]*Fields{parsed}, env); len(errs) > 0 {
		t.Errorf("a spec against its own parsed trusted fields: %v", errs)
	}
	if !reflect.DeepEqual(parsed.values, Of(env).values) {
		t.Errorf("parsed %v, want %v", parsed.values, Of(env).values)
	}
	head := trustBase(t)
	head.Spec.Prefix = "prod"
	if errs := Check([]*Fields{parsed}, head); len(errs) != 1 || errs[0].Field != "spec.prefix" {
		t.Errorf("got %v, want spec.prefix refused", errs)
	}
	if parsed.App() != "web" {
		t.Errorf("App() = %q", parsed.App())
	}

	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	fields := doc["fields"].(map[string]any)
	delete(fields, "spec.dns")
	fields["spec.newField"] = "x"
	old, _ := json.Marshal(doc)
	for name, tc := range map[string]struct {
		data string
		want string
	}{
		"another version": {string(old), `written by another version of prenv (missing ["spec.dns"], unknown ["spec.newField"])`},
		"another kind":    {`{"apiVersion":"prenv.dev/v1alpha1","kind":"PreviewEnvironment","fields":{}}`, `kind "PreviewEnvironment"`},
		"unknown field":   {`{"apiVersion":"prenv.dev/v1alpha1","kind":"TrustedFields","fields":{},"extra":1}`, `unknown field "extra"`},
		"two values":      {string(b) + string(b), "more than one JSON value"},
		"not JSON":        {"web", "invalid character"},
	} {
		if _, err := Parse([]byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, tc.want)
		}
	}
}

// TestIsAdminPolicy: AWS-managed administrator policies in every
// partition, and nothing else.
func TestIsAdminPolicy(t *testing.T) {
	for arn, want := range map[string]bool{
		"arn:aws:iam::aws:policy/AdministratorAccess":                    true,
		"arn:aws-cn:iam::aws:policy/PowerUserAccess":                     true,
		"arn:aws-us-gov:iam::aws:policy/IAMFullAccess":                   true,
		"arn:aws:iam::aws:policy/job-function/SystemAdministrator":       true,
		"arn:aws:iam::aws:policy/ReadOnlyAccess":                         false,
		"arn:aws:iam::123456789012:policy/AdministratorAccess":           false,
		"AdministratorAccess":                                            false,
		"arn:aws:iam::aws:policy/service-role/AdministratorAccess-extra": false,
	} {
		if got := IsAdminPolicy(arn); got != want {
			t.Errorf("IsAdminPolicy(%q) = %v, want %v", arn, got, want)
		}
	}
}
