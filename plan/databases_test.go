package plan_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// objectsByRef indexes rendered objects by ObjectRef string.
func objectsByRef(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	out := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		out[fence.RefOf(o).String()] = o
	}
	return out
}

// TestDatabasesExample checks what the databases example renders for
// each of its databases: the objects, their sync waves and hooks, and the
// ConfigMap keys.
func TestDatabasesExample(t *testing.T) {
	out := testkit.RenderExample(t, "databases")
	byRef := objectsByRef(out.Objects)
	type want struct {
		wave string
		hook bool
	}
	wants := map[string]want{
		"ServiceAccount/test-123-catalog/catalog-db-secrets":                        {"-4", false},
		"rbac.authorization.k8s.io/Role/test-123-catalog/catalog-db-secrets":        {"-4", false},
		"rbac.authorization.k8s.io/RoleBinding/test-123-catalog/catalog-db-secrets": {"-4", false},
		"batch/Job/test-123-catalog/catalog-db-secrets":                             {"-3", true},
		"Service/test-123-catalog/db-main":                                          {"-2", false},
		"Service/test-123-catalog/db-main-headless":                                 {"-2", false},
		"apps/StatefulSet/test-123-catalog/db-main":                                 {"-2", false},
		"Service/test-123-catalog/db-reports":                                       {"-2", false},
		"Service/test-123-catalog/db-reports-headless":                              {"-2", false},
		"apps/StatefulSet/test-123-catalog/db-reports":                              {"-2", false},
		"batch/Job/test-123-catalog/db-main-migrations":                             {"-1", true},
	}
	for ref, w := range wants {
		o := byRef[ref]
		if o == nil {
			t.Errorf("%s is not rendered", ref)
			continue
		}
		ann := o.GetAnnotations()
		if got := ann[spec.AnnotationSyncWave]; got != w.wave {
			t.Errorf("%s: sync wave %q, want %q", ref, got, w.wave)
		}
		if got := ann[plan.AnnotationHook]; (got == plan.HookSync) != w.hook {
			t.Errorf("%s: hook %q, want a Sync hook: %v", ref, got, w.hook)
		}
		if w.hook && ann[plan.AnnotationHookDeletePolicy] != plan.HookBeforeHookCreation {
			t.Errorf("%s: hook-delete-policy %q", ref, ann[plan.AnnotationHookDeletePolicy])
		}
	}
	// No migrations for reports: no Job for it.
	if o := byRef["batch/Job/test-123-catalog/db-reports-migrations"]; o != nil {
		t.Errorf("a migrations Job for a database without migrations")
	}
	// Passwords, then databases, then migrations, all before the app's
	// wave 0 and after the Namespace.
	order := []int{plan.WaveNamespace, plan.WaveDatabaseSecretsAccess, plan.WaveDatabaseSecrets, plan.WaveDatabase, plan.WaveMigrations, 0}
	if !slices.IsSorted(order) || len(slices.Compact(slices.Clone(order))) != len(order) {
		t.Errorf("waves not strictly increasing: %v", order)
	}

	cm := byRef["ConfigMap/test-123-catalog/catalog-prenv"]
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	gotDB := map[string]string{}
	for k, v := range data {
		if strings.HasPrefix(k, "PRENV_DB_") {
			gotDB[k] = v
		}
	}
	wantDB := map[string]string{
		"PRENV_DB_MAIN_ENGINE":    "mysql",
		"PRENV_DB_MAIN_HOST":      "db-main.test-123-catalog.svc",
		"PRENV_DB_MAIN_NAME":      "catalog",
		"PRENV_DB_MAIN_PORT":      "3306",
		"PRENV_DB_MAIN_SECRET":    "db-main",
		"PRENV_DB_MAIN_URL":       "mysql://app@db-main.test-123-catalog.svc:3306/catalog",
		"PRENV_DB_MAIN_USER":      "app",
		"PRENV_DB_REPORTS_ENGINE": "postgres",
		"PRENV_DB_REPORTS_HOST":   "db-reports.test-123-catalog.svc",
		"PRENV_DB_REPORTS_NAME":   "reports",
		"PRENV_DB_REPORTS_PORT":   "5432",
		"PRENV_DB_REPORTS_SECRET": "db-reports",
		"PRENV_DB_REPORTS_URL":    "postgresql://app@db-reports.test-123-catalog.svc:5432/reports",
		"PRENV_DB_REPORTS_USER":   "app",
	}
	if diff := cmp.Diff(wantDB, gotDB); diff != "" {
		t.Errorf("ConfigMap database keys (-want +got):\n%s", diff)
	}

	// The images: official, at the spec's version; the migrations image
	// with {{number}} replaced.
	images := map[string]string{}
	for _, o := range out.Objects {
		var containers []any
		switch o.GetKind() {
		case "StatefulSet", "Job":
			containers, _, _ = unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		}
		for _, c := range containers {
			images[o.GetName()] = c.(map[string]any)["image"].(string)
		}
	}
	wantImages := map[string]string{
		"db-main":            "mysql:8.4",
		"db-reports":         "postgres:17",
		"db-main-migrations": "registry.example/catalog:pr-123",
		"catalog-db-secrets": plan.DatabaseSecretsImage,
	}
	if diff := cmp.Diff(wantImages, images); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}

	// Every database pod runs as the images' uid 999, never as root.
	for _, name := range []string{"db-main", "db-reports"} {
		sts := byRef["apps/StatefulSet/test-123-catalog/"+name]
		sc, _, _ := unstructured.NestedMap(sts.Object, "spec", "template", "spec", "securityContext")
		if sc["runAsUser"] != int64(999) || sc["fsGroup"] != int64(999) || sc["runAsNonRoot"] != true {
			t.Errorf("%s: pod security context %v", name, sc)
		}
		claims, _, _ := unstructured.NestedSlice(sts.Object, "spec", "volumeClaimTemplates")
		if len(claims) != 1 {
			t.Errorf("%s: %d volume claim templates", name, len(claims))
		}
	}
	claims, _, _ := unstructured.NestedSlice(byRef["apps/StatefulSet/test-123-catalog/db-main"].Object, "spec", "volumeClaimTemplates")
	if sc, _, _ := unstructured.NestedString(claims[0].(map[string]any), "spec", "storageClassName"); sc != "gp3" {
		t.Errorf("db-main: storage class %q, want gp3", sc)
	}
	claims, _, _ = unstructured.NestedSlice(byRef["apps/StatefulSet/test-123-catalog/db-reports"].Object, "spec", "volumeClaimTemplates")
	if _, has, _ := unstructured.NestedString(claims[0].(map[string]any), "spec", "storageClassName"); has {
		t.Errorf("db-reports: a storage class, want the cluster's default")
	}
}

// passwordLike matches what the password Job writes (Python's
// secrets.token_urlsafe(32): 43 characters of base64url) and any other
// long run of base64url characters mixing upper case, lower case and
// digits.
var passwordLike = regexp.MustCompile(`[A-Za-z0-9_-]{20,}`)

func looksLikePassword(s string) bool {
	for _, m := range passwordLike.FindAllString(s, -1) {
		if strings.ContainsAny(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(m, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(m, "0123456789") {
			return true
		}
	}
	return false
}

// TestDatabasesNoPassword checks that the rendered output of a spec with
// databases holds no password: no Secret object, every variable named
// *PASSWORD* comes from a Secret, no URL carries user:password@, and no
// string looks like a generated token.
func TestDatabasesNoPassword(t *testing.T) {
	// The detector finds what the Job would generate.
	if !looksLikePassword("x " + "dGhpcyBpcyBub3QgYSBwYXNzd29yZCBidXQgbG9va3M3") {
		t.Fatal("the detector misses a token")
	}
	out := testkit.RenderExample(t, "databases")
	stream, err := out.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Objects {
		ref := fence.RefOf(o).String()
		if o.GetKind() == "Secret" {
			t.Errorf("%s: a Secret is rendered", ref)
		}
		walkValues(o.Object, "", func(path string, v any) {
			s, ok := v.(string)
			if !ok {
				return
			}
			if looksLikePassword(s) {
				t.Errorf("%s %s: %q looks like a password", ref, path, s)
			}
			if u, err := url.Parse(s); err == nil && u.User != nil {
				if _, has := u.User.Password(); has {
					t.Errorf("%s %s: URL %q carries a password", ref, path, s)
				}
			}
		})
		for _, c := range containersOf(o) {
			env, _ := c["env"].([]any)
			for _, e := range env {
				e := e.(map[string]any)
				if name := e["name"].(string); strings.Contains(name, "PASSWORD") {
					if _, has := e["value"]; has {
						t.Errorf("%s: %s has a value; want it from a Secret", ref, name)
					}
					if _, ok, _ := unstructured.NestedString(e, "valueFrom", "secretKeyRef", "key"); !ok {
						t.Errorf("%s: %s is not from a Secret", ref, name)
					}
				}
			}
		}
	}
	// Deterministic: a second render is the same bytes.
	again, err := testkit.RenderExample(t, "databases").YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stream, again) {
		t.Error("two renders of the databases example differ")
	}
}

func containersOf(o *unstructured.Unstructured) []map[string]any {
	var out []map[string]any
	for _, key := range []string{"initContainers", "containers"} {
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", key)
		for _, c := range cs {
			out = append(out, c.(map[string]any))
		}
	}
	return out
}

func walkValues(v any, path string, f func(string, any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			walkValues(e, path+"."+k, f)
		}
	case []any:
		for i, e := range v {
			walkValues(e, path+"["+strconv.Itoa(i)+"]", f)
		}
	default:
		f(path, v)
	}
}

// TestDatabaseNameLimits renders a database with the longest logical name
// and checks every derived name with apimachinery's validation: the
// StatefulSet within 52 characters (its pods' controller-revision-hash
// label <name>-<hash of up to 10>), the Services DNS-1035 labels, the Jobs
// within a label value (their pods' job-name label).
func TestDatabaseNameLimits(t *testing.T) {
	name := "d" + strings.Repeat("x", 39)
	envSpec := `apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata: {name: ` + strings.Repeat("a", 30) + `}
spec:
  prefix: ` + strings.Repeat("p", 20) + `
  aws: {accountID: "123456789012", region: eu-west-1, oidcProviderURL: oidc.eks.eu-west-1.amazonaws.com/id/X}
  databases:
  - {name: ` + name + `, engine: postgres, version: "18", storage: 1Gi, databaseName: app, migrations: {image: "app:1"}}
`
	out, err := testkit.LoadAndRender([]byte(envSpec), spec.MaxPR)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Objects {
		n := o.GetName()
		var msgs []string
		switch o.GetKind() {
		case "StatefulSet":
			if len(n) > 52 {
				msgs = append(msgs, "longer than 52")
			}
			msgs = append(msgs, validation.IsDNS1123Label(n+"-0")...)
			msgs = append(msgs, validation.IsValidLabelValue(n+"-"+strings.Repeat("h", 10))...)
		case "Service":
			msgs = validation.IsDNS1035Label(n)
		case "Job":
			msgs = validation.IsValidLabelValue(n)
		default:
			continue
		}
		if len(msgs) > 0 {
			t.Errorf("%s %s: %v", o.GetKind(), n, msgs)
		}
	}
	long := strings.Replace(envSpec, name, name+"x", 1)
	if _, err := testkit.LoadAndRender([]byte(long), 1); err == nil || !strings.Contains(err.Error(), "spec.databases[0].name: Too long") {
		t.Errorf("a 41-character name: %v", err)
	}
}

// TestDatabaseEnvKeys checks that no two databases share a ConfigMap key,
// whatever their names: the suffixes are single words, so PRENV_DB_<A>_<S>
// of one database never equals a key of a database named <a>-<word>.
func TestDatabaseEnvKeys(t *testing.T) {
	names := []string{"a", "a-host", "a-url", "a-name", "a-port", "a-engine", "a-user", "a-secret", "a-password", "host", "a-b", "a-b-host"}
	var b strings.Builder
	b.WriteString(`apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata: {name: web}
spec:
  prefix: pr
  aws: {accountID: "123456789012", region: eu-west-1, oidcProviderURL: oidc.eks.eu-west-1.amazonaws.com/id/X}
  resourceQuota: {hard: {persistentvolumeclaims: "12", pods: "13", services: "24", requests.storage: 12Gi, requests.memory: 8Gi, limits.cpu: "8", limits.memory: 16Gi}}
  databases:
`)
	for _, n := range names {
		b.WriteString("  - {name: " + n + ", engine: mysql, version: \"8.4\", storage: 1Gi, databaseName: app}\n")
	}
	out, err := testkit.LoadAndRender([]byte(b.String()), 7)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k := range out.Model.ConfigMap.Data {
		if strings.HasPrefix(k, "PRENV_DB_") {
			n++
		}
	}
	if want := 7 * len(names); n != want {
		t.Errorf("%d database keys, want %d (7 per database): two databases share a key", n, want)
	}
}

// TestDatabaseSecretScript runs the password Job's program, as rendered,
// against a stand-in API server: the first run creates each Secret with
// random passwords, the second changes nothing; it reads only the named
// Secrets, with the ServiceAccount's token.
func TestDatabaseSecretScript(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PRENV_REQUIRE_TOOLS") != "" {
			t.Fatal("python3 not found")
		}
		t.Skip("python3 not found")
	}
	out := testkit.RenderExample(t, "databases")
	job := objectsByRef(out.Objects)["batch/Job/test-123-catalog/catalog-db-secrets"]
	c := containersOf(job)[0]
	args := c["args"].([]any)
	script := args[0].(string)
	var names []string
	for _, a := range args[1:] {
		names = append(names, a.(string))
	}
	if !slices.Equal(names, []string{"db-main", "db-reports"}) {
		t.Fatalf("secrets %v", names)
	}
	env := map[string]string{}
	for _, e := range c["env"].([]any) {
		e := e.(map[string]any)
		env[e["name"].(string)] = e["value"].(string)
	}

	var mu sync.Mutex
	store := map[string][]byte{}
	var log []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, r.Method+" "+r.URL.Path)
		if r.Header.Get("Authorization") != "Bearer test-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		const base = "/api/v1/namespaces/test-123-catalog/secrets"
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, base+"/"):
			b, ok := store[strings.TrimPrefix(r.URL.Path, base+"/")]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			_, _ = w.Write(b)
		case r.Method == http.MethodPost && r.URL.Path == base:
			b, _ := io.ReadAll(r.Body)
			var s struct {
				Metadata struct{ Name string } `json:"metadata"`
			}
			if err := json.Unmarshal(b, &s); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if _, ok := store[s.Metadata.Name]; ok {
				w.WriteHeader(http.StatusConflict)
				return
			}
			store[s.Metadata.Name] = b
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()

	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if _, err := x509.ParseCertificate(srv.Certificate().Raw); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"ca.crt": ca, "token": []byte("test-token\n"), "namespace": []byte("test-123-catalog")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const saDir = "/var/run/secrets/kubernetes.io/serviceaccount/"
	if !strings.Contains(script, saDir) {
		t.Fatalf("the script does not read %s", saDir)
	}
	local := strings.ReplaceAll(script, saDir, dir+"/")
	u, _ := url.Parse(srv.URL)
	run := func() string {
		cmd := exec.CommandContext(context.Background(), python, append([]string{"-c", local}, names...)...)
		cmd.Env = []string{
			"KUBERNETES_SERVICE_HOST=" + u.Hostname(), "KUBERNETES_SERVICE_PORT=" + u.Port(),
			"PRENV_SECRET_LABELS=" + env["PRENV_SECRET_LABELS"], "PYTHONDONTWRITEBYTECODE=1",
		}
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return string(b)
	}
	if got := run(); got != "db-main: created\ndb-reports: created\n" {
		t.Errorf("first run printed %q", got)
	}
	first := map[string]string{}
	for name, b := range store {
		var s struct {
			Type     string            `json:"type"`
			Metadata map[string]any    `json:"metadata"`
			Data     map[string]string `json:"data"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if s.Type != "Opaque" || len(s.Data) != 2 || s.Data["password"] == "" || s.Data["root-password"] == "" || s.Data["password"] == s.Data["root-password"] {
			t.Errorf("%s: %s", name, b)
		}
		if _, owned := s.Metadata["ownerReferences"]; owned {
			t.Errorf("%s has an owner", name)
		}
		labels, _ := json.Marshal(s.Metadata["labels"])
		if string(labels) != env["PRENV_SECRET_LABELS"] {
			t.Errorf("%s: labels %s", name, labels)
		}
		first[name] = string(b)
	}
	if first["db-main"] == "" || first["db-main"] == first["db-reports"] {
		t.Errorf("the two databases got the same or no Secret")
	}
	if got := run(); got != "db-main: exists, unchanged\ndb-reports: exists, unchanged\n" {
		t.Errorf("second run printed %q", got)
	}
	for name, b := range store {
		if string(b) != first[name] {
			t.Errorf("%s changed on the second run", name)
		}
	}
	want := []string{
		"GET /api/v1/namespaces/test-123-catalog/secrets/db-main", "POST /api/v1/namespaces/test-123-catalog/secrets",
		"GET /api/v1/namespaces/test-123-catalog/secrets/db-reports", "POST /api/v1/namespaces/test-123-catalog/secrets",
		"GET /api/v1/namespaces/test-123-catalog/secrets/db-main", "GET /api/v1/namespaces/test-123-catalog/secrets/db-reports",
	}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestDatabaseKinds checks that databases add exactly StatefulSet, Service,
// Job, Role and RoleBinding to the kinds the AppProject allows.
func TestDatabaseKinds(t *testing.T) {
	out := testkit.RenderExample(t, "databases")
	with := plan.EnvKinds(out.Model)
	m := *out.Model
	m.Databases = nil
	m.DatabaseSecrets = nil
	without := plan.EnvKinds(&m)
	var added []spec.GroupKind
	for _, gk := range with {
		if !slices.Contains(without, gk) {
			added = append(added, gk)
		}
	}
	want := []spec.GroupKind{
		{Group: "", Kind: "Service"},
		{Group: "apps", Kind: "StatefulSet"},
		{Group: "batch", Kind: "Job"},
		{Group: "rbac.authorization.k8s.io", Kind: "Role"},
		{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
	}
	if diff := cmp.Diff(want, added); diff != "" {
		t.Errorf("kinds added by databases (-want +got):\n%s", diff)
	}
}

// TestDatabasesFitTheEnvBounds: databases over the env's own LimitRange or
// ResourceQuota are refused with the numbers, since the API server would
// refuse their pods or claims at admission and the sync would wait for
// ever.
// fiveDatabases is spec.databases' list of five small PostgreSQL
// databases, d0 to d4.
func fiveDatabases() string {
	var b strings.Builder
	for i := range 5 {
		fmt.Fprintf(&b, "  - {name: d%d, engine: postgres, version: \"17\", storage: 1Gi, databaseName: app}\n", i)
	}
	return b.String()
}

func TestDatabasesFitTheEnvBounds(t *testing.T) {
	const head = `apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata: {name: web}
spec:
  prefix: pr
  aws: {accountID: "123456789012", region: eu-west-1, oidcProviderURL: oidc.eks.eu-west-1.amazonaws.com/id/X}
`
	for name, tc := range map[string]struct{ spec, want string }{
		"storage over requests.storage": {"  databases:\n  - {name: main, engine: postgres, version: \"17\", storage: 100Gi, databaseName: app}\n",
			"spec.databases: Forbidden: the databases need 100Gi of requests.storage, over the env's ResourceQuota of 20Gi (spec.resourceQuota.hard[requests.storage]); the app's objects come on top"},
		"more claims than the quota": {"  resourceQuota: {hard: {requests.memory: 64Gi, limits.memory: 64Gi, limits.cpu: \"64\", pods: \"20\"}}\n  databases:\n" + fiveDatabases(),
			"spec.databases: Forbidden: the databases need 5 of persistentvolumeclaims, over the env's ResourceQuota of 4 (spec.resourceQuota.hard[persistentvolumeclaims]); the app's objects come on top"},
		"a limit over the LimitRange max": {"  databases:\n  - {name: main, engine: postgres, version: \"17\", storage: 1Gi, databaseName: app, resources: {limits: {memory: 64Gi}}}\n",
			"spec.databases[0].resources.limits.memory: Invalid value: \"64Gi\": is over the env's LimitRange max of 4Gi for one container (spec.limitRange.max)"},
		"no pods left": {"  resourceQuota: {hard: {pods: \"1\"}}\n  databases:\n  - {name: main, engine: postgres, version: \"17\", storage: 1Gi, databaseName: app}\n",
			"spec.databases: Forbidden: the databases and the password Job, which run at once at every sync, need 2 of pods, over the env's ResourceQuota of 1 (spec.resourceQuota.hard[pods]); the app's objects come on top"},
		"a request above the limit the LimitRange defaults": {"  databases:\n  - {name: main, engine: postgres, version: \"17\", storage: 1Gi, databaseName: app, resources: {requests: {cpu: \"1\"}}}\n",
			"spec.databases[0].resources.requests.cpu: Invalid value: \"1\": above the limit 500m that the env's LimitRange \"prenv\" defaults (spec.limitRange.default[cpu]): the API server would refuse the database's pod; set spec.databases[0].resources.limits.cpu or lower the request"},
		"the migrations take the last of requests.cpu": {"  resourceQuota: {hard: {requests.cpu: 300m}}\n  databases:\n  - {name: a, engine: postgres, version: \"17\", storage: 1Gi, databaseName: app, migrations: {image: m:1}}\n  - {name: b, engine: postgres, version: \"17\", storage: 1Gi, databaseName: app, migrations: {image: m:1}}\n",
			"spec.databases: Forbidden: the databases and the migrations Jobs, which run at once at every sync, need 400m of requests.cpu, over the env's ResourceQuota of 300m (spec.resourceQuota.hard[requests.cpu]); the app's objects come on top"},
		"two Services each": {"  databases:\n" + fiveDatabases() + "  - {name: d5, engine: postgres, version: \"17\", storage: 1Gi, databaseName: app}\n  resourceQuota: {hard: {persistentvolumeclaims: \"6\"}}\n",
			"spec.databases: Forbidden: the databases need 12 of services, over the env's ResourceQuota of 10 (spec.resourceQuota.hard[services]); the app's objects come on top"},
		"within the defaults": {"  databases:\n  - {name: main, engine: postgres, version: \"17\", storage: 5Gi, databaseName: app}\n  - {name: other, engine: mysql, version: \"8.4\", storage: 5Gi, databaseName: app}\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := testkit.LoadAndRender([]byte(head+tc.spec), 1)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}
