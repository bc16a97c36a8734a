package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const syncWebSpec = "../../examples/web/prenv.yaml"

// snapshot reads every file under dir, markers included.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSyncSummary: the text and JSON summaries of a sequence of syncs,
// exactly.
func TestSyncSummary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "envs", "web")
	r := runCLI(t, "", "sync", "-f", syncWebSpec, "--prs", "12,15,31", "--output-dir", dir)
	want := "added     pr-12 (15 files)\n" +
		"added     pr-15 (15 files)\n" +
		"added     pr-31 (15 files)\n" +
		filepath.ToSlash(dir) + ": 3 added, 0 changed, 0 unchanged, 0 removed\n"
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("first sync (-want +got):\n%s", diff)
	}

	// PR 12 closed, 40 opened, and a label that changes every file.
	r = runCLI(t, "15\n\n 31 \n40\n", "sync", "-f", syncWebSpec, "--prs-file", "-", "--output-dir", dir, "--set", "spec.labels.team=web")
	// Folders are sorted by PR number.
	want = "removed   pr-12 (15 files)\n" +
		"changed   pr-15 (15 files: 15 changed)\n" +
		"changed   pr-31 (15 files: 15 changed)\n" +
		"added     pr-40 (15 files)\n" +
		filepath.ToSlash(dir) + ": 1 added, 2 changed, 0 unchanged, 1 removed\n"
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("second sync (-want +got):\n%s", diff)
	}

	// gh pr list --json output; -o json.
	prsJSON := filepath.Join(t.TempDir(), "prs.json")
	if err := os.WriteFile(prsJSON, []byte(`[{"headRefName":"feature/login","headRefOid":"3f786850e387550fdab836ed7e6dc881de23001b","labels":[{"id":"LA_1","name":"preview","description":"","color":"0e8a16"}],"number":40}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "sync", "-f", syncWebSpec, "--prs-json", prsJSON, "--output-dir", dir, "--set", "spec.labels.team=web", "-o", "json")
	files := func(pr string) string {
		names := []string{
			"configmap_test-PR-web_web-prenv.yaml",
			"limitrange_test-PR-web_prenv.yaml",
			"namespace_test-PR-web.yaml",
			"networkpolicy.networking.k8s.io_test-PR-web_prenv-allow-dns.yaml",
			"networkpolicy.networking.k8s.io_test-PR-web_prenv-allow-egress.yaml",
			"networkpolicy.networking.k8s.io_test-PR-web_prenv-allow-ingress.yaml",
			"networkpolicy.networking.k8s.io_test-PR-web_prenv-allow-same-namespace.yaml",
			"networkpolicy.networking.k8s.io_test-PR-web_prenv-default-deny.yaml",
			"policy.iam.services.k8s.aws_test-PR-web_web.yaml",
			"queue.sqs.services.k8s.aws_test-PR-web_jobs-dlq.yaml",
			"queue.sqs.services.k8s.aws_test-PR-web_jobs.yaml",
			"resourcequota_test-PR-web_prenv.yaml",
			"role.iam.services.k8s.aws_test-PR-web_web.yaml",
			"serviceaccount_test-PR-web_web.yaml",
			"table.dynamodb.services.k8s.aws_test-PR-web_sessions.yaml",
		}
		return "[\n        \"" + strings.ReplaceAll(strings.Join(names, "\",\n        \""), "PR", pr) + "\"\n      ]"
	}
	want = `{
  "outputDir": "` + filepath.ToSlash(dir) + `",
  "added": 0,
  "changed": 0,
  "unchanged": 1,
  "removed": 2,
  "folders": [
    {
      "folder": "pr-15",
      "app": "web",
      "pr": 15,
      "status": "removed",
      "files": 0,
      "added": [],
      "changed": [],
      "removed": ` + files("15") + `
    },
    {
      "folder": "pr-31",
      "app": "web",
      "pr": 31,
      "status": "removed",
      "files": 0,
      "added": [],
      "changed": [],
      "removed": ` + files("31") + `
    },
    {
      "folder": "pr-40",
      "app": "web",
      "pr": 40,
      "status": "unchanged",
      "files": 15,
      "added": [],
      "changed": [],
      "removed": []
    }
  ],
  "skipped": []
}
`
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
}

// TestSyncMatchesEnvOutputDir: a PR folder of render sync is byte for byte
// the folder render env --output-dir writes for that PR.
func TestSyncMatchesEnvOutputDir(t *testing.T) {
	tmp := t.TempDir()
	for _, ex := range []string{"web", "large", "worker"} {
		spec := "../../examples/" + ex + "/prenv.yaml"
		if r := runCLI(t, "", "sync", "-f", spec, "--prs", "7,123", "--output-dir", filepath.Join(tmp, "sync", ex)); r.code != exitOK {
			t.Fatalf("sync %s: exit %d\n%s", ex, r.code, r.stderr)
		}
		single := filepath.Join(tmp, "env", ex)
		if r := runCLI(t, "", "env", "-f", spec, "--pr", "123", "--output-dir", single); r.code != exitOK {
			t.Fatalf("env %s: exit %d\n%s", ex, r.code, r.stderr)
		}
		if diff := cmp.Diff(snapshot(t, single), snapshot(t, filepath.Join(tmp, "sync", ex, "pr-123"))); diff != "" {
			t.Errorf("%s (-env +sync):\n%s", ex, diff)
		}
	}
	// Several specs: -f repeated and -f a folder give <app>/pr-<n>/.
	all := filepath.Join(tmp, "all")
	// The examples name three repositories, so each app's list is given.
	perApp := []string{"sync", "-f", "../../examples", "--output-dir", all}
	for _, app := range []string{"catalog", "hello", "media", "orders", "shop", "web", "worker"} {
		perApp = append(perApp, "--prs", app+"=123")
	}
	r := runCLI(t, "", perApp...)
	if r.code != exitOK {
		t.Fatalf("sync examples: exit %d\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(snapshot(t, filepath.Join(tmp, "env", "large")), snapshot(t, filepath.Join(all, "shop", "pr-123"))); diff != "" {
		t.Errorf("large in a several-spec tree (-env +sync):\n%s", diff)
	}
	want := "added     catalog/pr-123 (23 files)\n" +
		"added     hello/pr-123 (11 files)\n" +
		"added     media/pr-123 (17 files)\n" +
		"added     orders/pr-123 (15 files)\n" +
		"added     shop/pr-123 (20 files)\n" +
		"added     web/pr-123 (15 files)\n" +
		"added     worker/pr-123 (16 files)\n" +
		filepath.ToSlash(all) + ": 7 added, 0 changed, 0 unchanged, 0 removed\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("several specs (-want +got):\n%s", diff)
	}
	r = runCLI(t, "", "sync", "-f", syncWebSpec, "-f", "../../examples/minimal/prenv.yaml", "--prs", "123", "--output-dir", all)
	want = "removed   catalog/pr-123 (23 files)\n" +
		"unchanged hello/pr-123 (11 files)\n" +
		"removed   media/pr-123 (17 files)\n" +
		"removed   orders/pr-123 (15 files)\n" +
		"removed   shop/pr-123 (20 files)\n" +
		"unchanged web/pr-123 (15 files)\n" +
		"removed   worker/pr-123 (16 files)\n" +
		filepath.ToSlash(all) + ": 0 added, 0 changed, 2 unchanged, 5 removed\n"
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("two specs (-want +got):\n%s", diff)
	}
}

// TestSyncFailsAtomically: an invalid spec, an invalid spec among valid
// ones, or an output that fails validation, exits 1 naming every failed
// env with its PR, and the tree is untouched.
func TestSyncFailsAtomically(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "envs")
	if r := runCLI(t, "", "sync", "-f", syncWebSpec, "--prs", "1,2", "--output-dir", dir); r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	before := snapshot(t, dir)
	// A template that renders a Deployment without its required fields
	// (but on the env's ServiceAccount, which the final checks want): the
	// validator refuses it for every PR.
	tmpl := writeFile(t, filepath.Join(tmp, "tmpl"), "extra.yaml",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: {{ .Values.namespace | toJson }}\nspec: {template: {spec: {serviceAccountName: {{ .Values.serviceAccount.name | toJson }}}}}\n")
	tests := []struct {
		name string
		args []string
		code int
		want []string // lines of stderr, in order
	}{
		{
			name: "invalid spec",
			args: []string{"-f", syncWebSpec, "--prs", "3", "--set", "spec.prefix=BAD"},
			code: exitInvalid,
			want: []string{
				`  web (every PR): spec.prefix: Invalid value: "BAD": must be lower-case words`,
				"render sync: 1 env(s) failed (1 problem(s) above); nothing in " + dir + " changed",
			},
		},
		{
			name: "a PR number the env name cannot hold is a usage error",
			args: []string{"-f", syncWebSpec, "--prs", "3,2147483648"},
			code: exitUsage,
			want: []string{`render sync: --prs: item 2: "2147483648" is not a pull-request number`},
		},
		{
			name: "output refused by the validator, for every PR",
			args: []string{"-f", syncWebSpec, "--prs", "4,3", "--templates", filepath.Dir(tmpl)},
			code: exitInvalid,
			want: []string{
				"  web pr 3: #11 Deployment/app: spec.selector: Required value",
				"  web pr 4: #11 Deployment/app: spec.selector: Required value",
				"render sync: 2 env(s) failed",
			},
		},
		{
			name: "two specs of one app",
			args: []string{"-f", syncWebSpec, "-f", syncWebSpec, "--prs", "3"},
			code: exitInvalid,
			want: []string{`  specs[1].metadata.name: Duplicate value: "web"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"sync", "--output-dir", dir}, tc.args...)...)
			if r.code != tc.code || r.stdout != "" {
				t.Errorf("exit %d, want %d; stdout %q", r.code, tc.code, r.stdout)
			}
			rest := r.stderr
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stderr lacks %q (in order); stderr:\n%s", w, r.stderr)
					break
				}
				rest = rest[i+len(w):]
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("the tree changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestSyncPRInput: --prs, --prs-file and --prs-json refuse bad input with
// exit 2 and a message naming where it is.
func TestSyncPRInput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "envs")
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no PR source", "", nil, "render sync: give the open pull requests with exactly one of --prs, --prs-file and --prs-json"},
		{"two PR sources", "", []string{"--prs", "1", "--prs-file", "-"}, "exactly one of --prs, --prs-file and --prs-json"},
		{"empty --prs", "", []string{"--prs", ""}, "render sync: --prs: no pull-request number given (to remove every PR folder, pass an empty --prs-file or --prs-json [])"},
		{"not a number", "", []string{"--prs", "12,x"}, `render sync: --prs: item 2: "x" is not a pull-request number (a whole number from 1 to 2147483647, without sign or leading zero)`},
		{"leading zero", "", []string{"--prs", "012"}, `item 1: "012" is not a pull-request number`},
		{"zero", "", []string{"--prs", "0"}, `item 1: "0" is not a pull-request number`},
		{"negative", "", []string{"--prs", "-3"}, `item 1: "-3" is not a pull-request number`},
		{"empty item", "", []string{"--prs", "1,,2"}, `item 2: "" is not a pull-request number`},
		{"duplicate", "", []string{"--prs", "5,6,5"}, "render sync: --prs: item 3: pull request 5 is listed twice (first at item 1)"},
		{"file: bad line", "12\n\n1e3\n", []string{"--prs-file", "-"}, `render sync: --prs-file -: line 3: "1e3" is not a pull-request number`},
		{"file: duplicate", "7\n7\n", []string{"--prs-file", "-"}, "render sync: --prs-file -: line 2: pull request 7 is listed twice (first at line 1)"},
		{"file: missing", "", []string{"--prs-file", "no-such-file"}, "render sync: --prs-file: "},
		{"json: empty", "", []string{"--prs-json", "-"}, "render sync: --prs-json -: empty input; gh pr list prints [] when no pull request is open"},
		{"json: object", `{"number": 1}`, []string{"--prs-json", "-"}, "render sync: --prs-json -: not a JSON array of pull requests"},
		{"json: null", `null`, []string{"--prs-json", "-"}, "render sync: --prs-json -: not a JSON array of pull requests (as gh pr list --json number,... prints): null"},
		{"json: two values", `[] []`, []string{"--prs-json", "-"}, "render sync: --prs-json -: more than one JSON value"},
		{"json: no number", `[{"headRefName": "x"}]`, []string{"--prs-json", "-"}, "render sync: --prs-json -: [0]: number is required"},
		{"json: string number", `[{"number": "12"}]`, []string{"--prs-json", "-"}, `render sync: --prs-json -: [0].number: must be a number, got "12"`},
		{"json: fraction", `[{"number": 1}, {"number": 1.5}]`, []string{"--prs-json", "-"}, `render sync: --prs-json -: [1].number: "1.5" is not a pull-request number`},
		{"json: unknown field", `[{"number": 1, "titel": "x"}]`, []string{"--prs-json", "-"}, `render sync: --prs-json -: [0]: unknown field "titel" (not a field of gh pr list --json; prenv reads number, url, labels, headRefName, baseRefName and title, and checks headRefOid)`},
		{"json: bad ref", `[{"number": 1, "headRefOid": 5}]`, []string{"--prs-json", "-"}, "render sync: --prs-json -: [0].headRefOid: must be a string, got 5"},
		{"json: labels not a list", `[{"number": 1, "labels": "preview"}]`, []string{"--prs-json", "-"}, `render sync: --prs-json -: [0].labels: must be an array of label objects, got "preview"`},
		{"json: label field", `[{"number": 1, "labels": [{"name": "a", "url": "u"}]}]`, []string{"--prs-json", "-"}, `render sync: --prs-json -: [0].labels[0]: unknown field "url" (a label has id, name, description and color)`},
		{"json: duplicate", `[{"number": 4}, {"number": 4}]`, []string{"--prs-json", "-"}, "render sync: --prs-json -: [1].number: pull request 4 is listed twice (first at [0].number)"},
		{"stdin twice", "", []string{"-f", "-", "--prs-file", "-"}, "render sync: standard input (-) can be read only once"},
		{"bad -o", "", []string{"--prs", "1", "-o", "yaml"}, `render sync: -o "yaml": must be text or json`},
		{"no spec in folder", "", []string{"-f", t.TempDir(), "--prs", "1"}, "no prenv.yaml in this folder or its subfolders"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"sync", "-f", syncWebSpec, "--output-dir", dir}, tc.args...)
			r := runCLI(t, tc.stdin, args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr:\n%s\nwant it to contain %q", r.stderr, tc.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("the tree was written: %v", err)
			}
		})
	}
	// Accepted: an empty file and [] (every PR folder removed), spaces
	// around numbers, gh's full shape.
	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"empty file", "", []string{"--prs-file", "-"}},
		{"json []", " [ ]\n", []string{"--prs-json", "-"}},
		{"spaces", "", []string{"--prs", " 1, 2 "}},
		{"gh shape", `[{"number":3,"headRefName":"a/b","headRefOid":"abc","labels":[]}]`, []string{"--prs-json", "-"}},
		{"gh with more fields", `[{"number":3,"headRefName":"a/b","headRefOid":"abc","labels":[],"title":"Add login","isDraft":false,"author":{"login":"octocat"}}]`, []string{"--prs-json", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, append([]string{"sync", "-f", syncWebSpec, "--output-dir", filepath.Join(t.TempDir(), "x")}, tc.args...)...)
			if r.code != exitOK {
				t.Errorf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
		})
	}
}

// TestSyncBadCRDs: a --crds schema the validator refuses is a usage error
// that names it, though the envs render while the validator is built, and
// nothing is written.
func TestSyncBadCRDs(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad-crd.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(cliQueueCRD, "queueName: {type: string}", "queueName: {}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "envs")
	if r := runCLI(t, "", "sync", "-f", syncWebSpec, "--prs", "1,2", "--output-dir", out); r.code != exitOK {
		t.Fatalf("first sync: exit %d, stderr %q", r.code, r.stderr)
	}
	before := snapshot(t, out)
	// With open PRs, and with none (where no env waits for the validator).
	for _, prs := range [][]string{{"--prs", "1,2,3"}, {"--prs-file", "-"}} {
		args := append([]string{"sync", "-f", syncWebSpec, "--output-dir", out, "--crds", bad}, prs...)
		r := runCLI(t, "", args...)
		want := "render sync: --crds: "
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "queueName].type: Required value") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line starting %q", prs, r.code, r.stderr, exitUsage, want)
		}
		if d := cmp.Diff(before, snapshot(t, out)); d != "" {
			t.Errorf("%v: the tree changed (-before +after):\n%s", prs, d)
		}
	}
}
