package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	log "github.com/sirupsen/logrus"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// notifications-engine warns, through logrus, of each $key reference no
// Secret has; runNotify discards its log, and so do the tests.
func init() { log.SetOutput(io.Discard) }

// goldenRoot is the repository's golden/ folder: render appset's and
// render apps' outputs of the examples, kept in sync by the library's
// tests (go test ./argocd).
const goldenRoot = "../../golden"

// headSHA is the head commit of pull request 123 in golden/<example>/apps-pr123.yaml.
const headSHA = "3f786850e387550fdab836ed7e6dc881de23001b"

// terminal is the message the ACK DynamoDB controller sets on a table
// DynamoDB refuses, with what a message can hold that Markdown must not
// read: backticks, a line break, HTML, a mention.
const terminal = "ValidationException: One or more parameter values were invalid: `orderId` is not defined\n<img src=x onerror=alert(1)> @admin"

// notifyCase is an Application of an example in one state.
type notifyCase struct {
	name, example, state string
	repo                 string // the app repository's owner/name
	status               string // the Application's status, YAML
	deleting             bool
}

var notifyCases = []notifyCase{
	{name: "web-healthy", example: "web", repo: "example/web", state: "healthy", status: `
sync: {status: Synced, revision: 0b1e2b4c8f3a1d9e7c6b5a4f3e2d1c0b9a8f7e6d}
health: {status: Healthy, lastTransitionTime: "2026-01-02T03:04:05Z"}
resources:
- {group: dynamodb.services.k8s.aws, version: v1alpha1, kind: Table, namespace: test-123-web, name: sessions, status: Synced, health: {status: Healthy}}
- {group: sqs.services.k8s.aws, version: v1alpha1, kind: Queue, namespace: test-123-web, name: jobs, status: Synced, health: {status: Healthy}}
`},
	{name: "web-degraded", example: "web", repo: "example/web", state: "degraded", status: `
sync: {status: Synced, revision: 0b1e2b4c8f3a1d9e7c6b5a4f3e2d1c0b9a8f7e6d}
health: {status: Degraded, lastTransitionTime: "2026-01-02T03:09:10Z"}
resources:
- {group: dynamodb.services.k8s.aws, version: v1alpha1, kind: Table, namespace: test-123-web, name: sessions, status: Synced, health: {status: Degraded, message: "ACK.Terminal: ` + strings.ReplaceAll(strings.ReplaceAll(terminal, `\`, `\\`), "\n", `\n`) + `"}}
- {group: sqs.services.k8s.aws, version: v1alpha1, kind: Queue, namespace: test-123-web, name: jobs, status: Synced, health: {status: Healthy}}
`},
	{name: "web-deleted", example: "web", repo: "example/web", state: "deleted", deleting: true, status: `
sync: {status: Synced, revision: 0b1e2b4c8f3a1d9e7c6b5a4f3e2d1c0b9a8f7e6d}
health: {status: Progressing, lastTransitionTime: "2026-01-02T04:00:00Z"}
`},
	{name: "web-progressing", example: "web", repo: "example/web", state: "", status: `
sync: {status: OutOfSync}
health: {status: Progressing, lastTransitionTime: "2026-01-02T03:00:00Z"}
`},
	{name: "web-degraded-health-elsewhere", example: "web", repo: "example/web", state: "degraded", status: `
sync: {status: Synced}
health: {status: Degraded, lastTransitionTime: "2026-01-02T03:09:10Z"}
resourceHealthSource: appTree
resources:
- {group: dynamodb.services.k8s.aws, version: v1alpha1, kind: Table, namespace: test-123-web, name: sessions, status: Synced}
`},
	{name: "pod-identity-s3-healthy", example: "pod-identity-s3", repo: "example/media", state: "healthy", status: `
sync: {status: Synced}
health: {status: Healthy, lastTransitionTime: "2026-01-02T03:04:05Z"}
`},
}

// TestNotify runs argocd-oracle notify, Argo CD's and notifications-engine's
// own code, over prenv's rendered argocd-notifications-cm (golden/<example>/
// appset.yaml) for the example's Application of pull request 123 (golden/
// <example>/apps-pr123.yaml) in each state, and compares every trigger's
// result and every template's formatted notification with
// testdata/notify/<case>.yaml. Each trigger fires in its state only.
func TestNotify(t *testing.T) {
	for _, tc := range notifyCases {
		t.Run(tc.name, func(t *testing.T) {
			appPath := writeApplication(t, tc)
			out, err := notify(filepath.Join(goldenRoot, tc.example, "appset.yaml"), appPath, "yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "notify", tc.name+".yaml"), out)
			var res notifyResult
			if err := yaml.Unmarshal(out, &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Triggers) != 3 || len(res.Templates) != 3 {
				t.Fatalf("%d triggers and %d templates, want 3 of each", len(res.Triggers), len(res.Templates))
			}
			for _, tr := range res.Triggers {
				want := tc.state != "" && strings.HasSuffix(tr.Name, "-"+tc.state)
				if len(tr.Conditions) != 1 || tr.Conditions[0].Triggered != want {
					t.Errorf("trigger %s: %+v, want triggered %v", tr.Name, tr.Conditions, want)
				}
			}
			for _, tm := range res.Templates {
				if tm.Repository != tc.repo {
					t.Errorf("template %s posts to %q", tm.Name, tm.Repository)
				}
				if tm.Revision != headSHA {
					t.Errorf("template %s posts to revision %q, want the head commit %s", tm.Name, tm.Revision, headSHA)
				}
			}
		})
	}
}

// TestNotifyDegradedComment: the degraded comment names the failing table
// with ACK's message in a code span, line break and backticks defused, and
// the deployment description (plain text) carries it as it is.
func TestNotifyDegradedComment(t *testing.T) {
	tc := notifyCases[1]
	out, err := notify(filepath.Join(goldenRoot, tc.example, "appset.yaml"), writeApplication(t, tc), "yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var res notifyResult
	if err := yaml.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	for _, tm := range res.Templates {
		if !strings.HasSuffix(tm.Name, "-degraded") {
			continue
		}
		gh := tm.Notification.GitHub
		line := "- Table ` sessions `: ` ACK.Terminal: ValidationException: One or more parameter values were invalid: 'orderId' is not defined <img src=x onerror=alert(1)> @admin `\n"
		if !strings.Contains(gh.PullRequestComment.Content, line) {
			t.Errorf("the comment lacks %q:\n%s", line, gh.PullRequestComment.Content)
		}
		if want := "prenv: test-123-web is degraded: Table sessions: ACK.Terminal: " + terminal; tm.Notification.Message != want {
			t.Errorf("message = %q, want %q", tm.Notification.Message, want)
		}
		if gh.Deployment.State != "failure" || gh.Deployment.Environment != "test-123-web" || gh.Deployment.EnvironmentURL != "https://test-123-web.preview.example.com" {
			t.Errorf("deployment = %+v", gh.Deployment)
		}
		if !strings.HasSuffix(gh.PullRequestComment.Content, "\n<!-- argocd-notifications prenv-test-web -->") {
			t.Errorf("the comment does not end with its tag:\n%s", gh.PullRequestComment.Content)
		}
		return
	}
	t.Fatal("no degraded template")
}

// writeApplication writes the example's Application of pull request 123
// with the case's status (and a deletion timestamp) and returns its path.
func writeApplication(t *testing.T, tc notifyCase) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenRoot, tc.example, "apps-pr123.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app := map[string]any{}
	if err := yaml.Unmarshal(b, &app); err != nil {
		t.Fatal(err)
	}
	meta := app["metadata"].(map[string]any)
	meta["uid"] = "6f1c3a52-0d4e-4b8e-9a77-2c1d5e8f9b30"
	if tc.deleting {
		meta["deletionTimestamp"] = "2026-01-02T04:00:00Z"
	}
	status := map[string]any{}
	if err := yaml.Unmarshal([]byte(tc.status), &status); err != nil {
		t.Fatal(err)
	}
	app["status"] = status
	out, err := yaml.Marshal(app)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkGolden compares got with the file, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; go test -update rewrites it. Got:\n%s", path, got)
	}
}

// TestRunNotify: the command's flags and exit codes (2 usage, 1 no
// notifications ConfigMap, 0 and the result).
func TestRunNotify(t *testing.T) {
	appset := filepath.Join(goldenRoot, "web", "appset.yaml")
	app := writeApplication(t, notifyCases[0])
	var stdout, stderr bytes.Buffer
	if code := runNotify([]string{"-f", appset}, nil, &stdout, &stderr); code != 2 {
		t.Errorf("without --app: exit %d, want 2", code)
	}
	if code := runNotify([]string{"-f", filepath.Join(goldenRoot, "minimal", "env.yaml"), "--app", app}, nil, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "argocd-oracle notify: the input holds no ConfigMap argocd-notifications-cm") {
		t.Errorf("without the ConfigMap: exit %d, stderr %q", code, stderr.String())
	}
	stdout.Reset()
	if code := runNotify([]string{"-f", appset, "--app", app, "-o", "json"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want, err := notify(appset, app, "json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout.Bytes(), want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), want)
	}
}
