package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/internal/fakeaws"
	"prenv.dev/prenv/internal/iamactions"
	"prenv.dev/prenv/leftovers"
	"prenv.dev/prenv/spec"
)

const leftoversWorkerSpec = "../../examples/worker/prenv.yaml"

// syncTree writes a render sync tree of web and worker for PRs 12 and 15.
func syncTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "envs")
	if r := runCLI(t, "", "sync", "-f", syncWebSpec, "-f", leftoversWorkerSpec, "--prs", "12,15", "--output-dir", dir); r.code != exitOK {
		t.Fatalf("sync: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	return dir
}

// TestLeftoversTree: the text output and exit codes for a sync tree, exactly.
func TestLeftoversTree(t *testing.T) {
	dir := syncTree(t)
	r := runCLI(t, "", "leftovers", "-f", syncWebSpec, "-f", leftoversWorkerSpec, "--prs", "15", "--no-cluster", "--output-dir", dir)
	want := "tree    folder                            web/pr-12: pr-closed: pull request 12 is not open\n" +
		"tree    folder                            worker/pr-12: pr-closed: pull request 12 is not open\n" +
		"2 leftovers (checked 4 PR folders)\n"
	if r.code != exitLeftovers || r.stderr != "" {
		t.Errorf("exit %d, want %d; stderr:\n%s", r.code, exitLeftovers, r.stderr)
	}
	if d := cmp.Diff(want, r.stdout); d != "" {
		t.Errorf("stdout (-want +got):\n%s", d)
	}

	// Both open (from gh pr list's JSON): nothing found, exit 0.
	prs := `[{"number":12,"headRefName":"a","headRefOid":"1","labels":[]},{"number":15,"headRefName":"b","headRefOid":"2","labels":[]}]`
	r = runCLI(t, prs, "leftovers", "-f", syncWebSpec, "-f", leftoversWorkerSpec, "--prs-json", "-", "--no-cluster", "--output-dir", dir)
	if r.code != exitOK || r.stderr != "" || r.stdout != "no leftovers (checked 4 PR folders)\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and no leftovers", r.code, r.stdout, r.stderr)
	}
}

// fakeAWSEnv points the AWS SDK's default chain at a fake server: static
// credentials, no shared files, no instance metadata.
func fakeAWSEnv(t *testing.T, s *fakeaws.Server) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            s.URL(),
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		t.Setenv(k, v)
	}
}

func workerTags(pr string) map[string]string {
	return map[string]string{"prenv.dev/app": "worker", "prenv.dev/pr": pr, "prenv.dev/env": "preview-" + pr + "-worker"}
}

// TestLeftoversJSON: the JSON shape, exactly, with AWS read through the
// real SDK clients from a fake of the tagging API and IAM.
func TestLeftoversJSON(t *testing.T) {
	s := (&fakeaws.Server{
		Resources: []fakeaws.Resource{
			{ARN: "arn:aws:sqs:us-east-1:210987654321:preview-12-worker_in.fifo", Tags: workerTags("12")},
			{ARN: "arn:aws:dynamodb:us-east-1:210987654321:table/preview-15-worker_jobs", Tags: workerTags("15")},
		},
		Roles: []fakeaws.Entity{
			{Path: "/", Name: "preview-12-worker", ARN: "arn:aws:iam::210987654321:role/preview-12-worker", Tags: workerTags("12")},
		},
	}).Start()
	defer s.Close()
	fakeAWSEnv(t, s)
	dir := syncTree(t)
	r := runCLI(t, "15\n", "leftovers", "-f", leftoversWorkerSpec, "--prs-file", "-", "--no-cluster", "--aws", "--output-dir", filepath.Join(dir, "worker"), "-o", "json")
	if r.code != exitLeftovers || r.stderr != "" {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, exitLeftovers, r.stderr)
	}
	// A tree of two specs read with one: its app folders hold no pr-<n>/ at
	// the top, so the worker subtree is passed.
	want := `{
  "leftovers": [
    {
      "source": "aws",
      "kind": "iam:role",
      "namespace": "",
      "name": "preview-12-worker",
      "arn": "arn:aws:iam::210987654321:role/preview-12-worker",
      "env": "preview-12-worker",
      "pr": 12,
      "app": "worker",
      "reason": "no-env",
      "detail": "\"preview-12-worker\" is the env of no open pull request (the cluster's Namespaces were not read)"
    },
    {
      "source": "aws",
      "kind": "sqs:queue",
      "namespace": "",
      "name": "preview-12-worker_in.fifo",
      "arn": "arn:aws:sqs:us-east-1:210987654321:preview-12-worker_in.fifo",
      "env": "preview-12-worker",
      "pr": 12,
      "app": "worker",
      "reason": "no-env",
      "detail": "\"preview-12-worker\" is the env of no open pull request (the cluster's Namespaces were not read)"
    },
    {
      "source": "tree",
      "kind": "folder",
      "namespace": "",
      "name": "pr-12",
      "arn": "",
      "env": "preview-12-worker",
      "pr": 12,
      "app": "worker",
      "reason": "pr-closed",
      "detail": "pull request 12 is not open"
    }
  ],
  "sources": [
    "aws",
    "tree"
  ],
  "checked": {
    "aws": 3,
    "tree": 2
  },
  "skipped": [],
  "failures": []
}
`
	if d := cmp.Diff(want, r.stdout); d != "" {
		t.Errorf("stdout (-want +got):\n%s", d)
	}
	// The region is the spec's: the tagging API was asked once.
	calls := strings.Join(s.Calls(), "\n")
	if strings.Count(calls, "GetResources") != 1 || !strings.Contains(calls, "ListPolicies Scope=Local") {
		t.Errorf("calls:\n%s", calls)
	}
}

// TestLeftoversSourceFailed: a source that cannot be read gives exit 5,
// also when leftovers were found elsewhere, and the JSON lists it.
func TestLeftoversSourceFailed(t *testing.T) {
	dir := syncTree(t)
	s := (&fakeaws.Server{Deny: map[string]bool{"ListRoles": true}}).Start()
	defer s.Close()
	fakeAWSEnv(t, s)
	missing := filepath.Join(t.TempDir(), "no-kubeconfig")
	r := runCLI(t, "", "leftovers", "-f", syncWebSpec, "-f", leftoversWorkerSpec, "--prs", "15", "--kubeconfig", missing, "--aws", "--output-dir", dir, "-o", "json")
	if r.code != exitSourceFailed {
		t.Errorf("exit %d, want %d", r.code, exitSourceFailed)
	}
	var got struct {
		Leftovers []struct{ Name string }
		Sources   []string
		Failures  []struct{ Source, What, Error string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v in:\n%s", err, r.stdout)
	}
	if len(got.Leftovers) != 2 {
		t.Errorf("%d leftovers, want the tree's 2", len(got.Leftovers))
	}
	if d := cmp.Diff([]string{"aws", "tree"}, got.Sources); d != "" {
		t.Errorf("sources (-want +got):\n%s", d)
	}
	if len(got.Failures) != 2 || got.Failures[0].Source != "cluster" || got.Failures[0].What != "kubeconfig" ||
		got.Failures[1].Source != "aws" || got.Failures[1].What != "IAM roles" || !strings.Contains(got.Failures[1].Error, "AccessDenied") {
		t.Errorf("failures %+v, want the kubeconfig's and IAM roles' AccessDenied", got.Failures)
	}
	for _, frag := range []string{"render leftovers: cannot read the cluster: --kubeconfig " + missing + ": no such file\n", "render leftovers: cannot read AWS: IAM roles: "} {
		if !strings.Contains(r.stderr, frag) {
			t.Errorf("stderr lacks %q:\n%s", frag, r.stderr)
		}
	}
}

// noAWSEnv leaves the AWS SDK's default chain without credentials and
// without instance metadata.
func noAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ROLE_ARN": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

// TestLeftoversMessages: without a cluster or AWS credentials, render
// leftovers says what could not be read and how to go on, once per cause,
// and its summary does not claim that nothing was left over; exactly.
func TestLeftoversMessages(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	noAWSEnv(t)
	missing := filepath.Join(home, "none")
	unreachable := writeFile(t, home, "kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
users: [{name: u, user: {token: x}}]
`)
	tree := syncTree(t)
	const prefix = "render leftovers: cannot read "
	refused := "Get \"https://127.0.0.1:1/api?timeout=32s\": dial tcp 127.0.0.1:1: connect: connection refused; check --kubeconfig and --context, or give --no-cluster to leave the cluster out\n"
	noCreds := prefix + "AWS: no AWS credentials found by the default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, a web identity token as IRSA gives, a container or instance role); give credentials, or leave out --aws\n"
	for name, tc := range map[string]struct {
		args           []string
		stdout, stderr string
	}{
		"no kubeconfig": {nil, "nothing checked: could not read the cluster (see above)\n",
			prefix + "the cluster: no kubeconfig: $KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod in a cluster; give --kubeconfig FILE (and --context NAME), or --no-cluster to leave the cluster out\n"},
		"--kubeconfig missing": {[]string{"--kubeconfig", missing}, "nothing checked: could not read the cluster (see above)\n",
			prefix + "the cluster: --kubeconfig " + missing + ": no such file\n"},
		"cluster unreachable": {[]string{"--kubeconfig", unreachable}, "nothing checked: could not read the cluster (see above)\n",
			prefix + "the cluster (Application.argoproj.io, Bucket.s3.services.k8s.aws, Namespace, PodIdentityAssociation.eks.services.k8s.aws, Policy.iam.services.k8s.aws, Queue.sqs.services.k8s.aws, Role.iam.services.k8s.aws, Table.dynamodb.services.k8s.aws): " + refused},
		"no AWS credentials": {[]string{"--no-cluster", "--aws"}, "nothing checked: could not read AWS (see above)\n", noCreds},
		"no AWS credentials, a tree read": {[]string{"--no-cluster", "--aws", "--output-dir", tree},
			"tree    folder                            web/pr-12: pr-closed: pull request 12 is not open\n" +
				"tree    folder                            worker/pr-12: pr-closed: pull request 12 is not open\n" +
				"2 leftovers in what could be read (checked 4 PR folders); could not read AWS (see above)\n", noCreds},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"leftovers", "-f", syncWebSpec, "-f", leftoversWorkerSpec, "--prs", "15"}, tc.args...)
			r := runCLI(t, "", args...)
			if r.code != exitSourceFailed {
				t.Errorf("exit %d, want %d", r.code, exitSourceFailed)
			}
			if d := cmp.Diff(tc.stdout, r.stdout); d != "" {
				t.Errorf("stdout (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.stderr, r.stderr); d != "" {
				t.Errorf("stderr (-want +got):\n%s", d)
			}
		})
	}
}

func TestLeftoversUsage(t *testing.T) {
	bad := writeFile(t, t.TempDir(), "prenv.yaml", "apiVersion: prenv.dev/v1alpha1\nkind: PreviewEnvironment\nmetadata: {name: Bad}\nspec: {}\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		frag string
	}{
		{"no spec", []string{"--prs", "1"}, exitUsage, "-f SPEC is required"},
		{"no PRs", []string{"-f", syncWebSpec}, exitUsage, "exactly one of --prs, --prs-file and --prs-json"},
		{"two PR sources", []string{"-f", syncWebSpec, "--prs", "1", "--prs-file", "x"}, exitUsage, "exactly one of"},
		{"bad PR", []string{"-f", syncWebSpec, "--prs", "1,01"}, exitUsage, `--prs: item 2: "01" is not a pull-request number`},
		{"nothing to read", []string{"-f", syncWebSpec, "--prs", "1", "--no-cluster"}, exitUsage, "nothing to read"},
		{"region without aws", []string{"-f", syncWebSpec, "--prs", "1", "--region", "eu-west-1"}, exitUsage, "--region needs --aws"},
		{"output", []string{"-f", syncWebSpec, "--prs", "1", "-o", "yaml"}, exitUsage, `-o "yaml": must be text or json`},
		{"now", []string{"-f", syncWebSpec, "--prs", "1", "--now", "tomorrow"}, exitUsage, `--now "tomorrow": not an RFC 3339 time`},
		{"invalid spec", []string{"-f", bad, "--prs", "1", "--no-cluster", "--output-dir", "."}, exitInvalid, "invalid spec"},
		{"help", []string{"-h"}, exitOK, "4  leftovers found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"leftovers"}, tc.args...)...)
			out := r.stderr
			if tc.code == exitOK {
				out = r.stdout // help asked for goes to standard output
			}
			if r.code != tc.code || !strings.Contains(out, tc.frag) {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", r.code, out, tc.code, tc.frag)
			}
		})
	}
}

// TestLeftoversCronJobExample: examples/leftovers-cronjob is valid as the
// API server would see it (render validate), its spec is a valid spec, its
// RBAC only reads exactly what render leftovers lists, and its IAM policy
// allows exactly the five read-only actions render leftovers calls.
func TestLeftoversCronJobExample(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "leftovers-cronjob")
	r := runCLI(t, "", "validate", filepath.Join(dir, "rbac.yaml"), filepath.Join(dir, "cronjob.yaml"))
	if r.code != exitOK || r.stdout != "6 objects in 2 files: valid\n" {
		t.Fatalf("render validate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	var objs []map[string]any
	for _, f := range []string{"rbac.yaml", "cronjob.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			var o map[string]any
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatal(err)
			}
			objs = append(objs, o)
		}
	}
	var rules []any
	for _, o := range objs {
		switch o["kind"] {
		case "ClusterRole":
			rules = o["rules"].([]any)
		case "ConfigMap":
			envSpec := o["data"].(map[string]any)["prenv.yaml"].(string)
			env, err := spec.Load([]byte(envSpec))
			if err != nil {
				t.Fatalf("the CronJob's spec: %v", err)
			}
			if errs := spec.Check(env); len(errs) > 0 {
				t.Errorf("the CronJob's spec: %v", errs)
			}
		}
	}
	// Every kind render leftovers lists, by its resource, with get and list
	// only.
	resources := map[string]string{"Namespace": "namespaces", "Policy": "policies", "Role": "roles", "Table": "tables", "Queue": "queues", "Bucket": "buckets", "PodIdentityAssociation": "podidentityassociations", "Application": "applications"}
	want := map[string]bool{}
	for _, k := range leftovers.Kinds() {
		want[k.Group+"/"+resources[k.Kind]] = true
	}
	got := map[string]bool{}
	for _, r := range rules {
		rule := r.(map[string]any)
		if verbs := fmt.Sprint(rule["verbs"]); verbs != "[get list]" {
			t.Errorf("rule %v: verbs %s, want [get list]", rule, verbs)
		}
		for _, g := range rule["apiGroups"].([]any) {
			for _, res := range rule["resources"].([]any) {
				got[g.(string)+"/"+res.(string)] = true
			}
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ClusterRole resources (-want +got):\n%s", d)
	}

	data, err := os.ReadFile(filepath.Join(dir, "iam-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Version   string
		Statement []struct {
			Sid      string
			Effect   string
			Action   any
			Resource string
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&policy); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, st := range policy.Statement {
		if st.Effect != "Allow" {
			t.Errorf("statement effect %q", st.Effect)
		}
		switch a := st.Action.(type) {
		case string:
			actions = append(actions, a)
		case []any:
			for _, x := range a {
				actions = append(actions, x.(string))
			}
		}
	}
	slices.Sort(actions)
	wantActions := []string{"iam:ListPolicies", "iam:ListPolicyTags", "iam:ListRoleTags", "iam:ListRoles", "tag:GetResources"}
	if d := cmp.Diff(wantActions, actions); d != "" {
		t.Errorf("IAM actions (-want +got):\n%s", d)
	}
	for _, a := range actions {
		if _, ok := iamactions.Default().Action(a); !ok {
			t.Errorf("%s is not an IAM action", a)
		}
	}
}
