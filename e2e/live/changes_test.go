package live_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/e2e/internal/ackstandin"
	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/e2e/internal/fakegithub"
)

// flow is the manifest-repository flow's state that the scenarios after
// the first open share.
type flow struct {
	work string // the manifest repository's work tree
	apps []app
	open map[string][]int
	rev  map[string]map[int]int // app -> PR -> head revision
}

func (f *flow) pulls(app string) []fakegithub.Pull {
	var ps []fakegithub.Pull
	for _, n := range f.open[app] {
		ps = append(ps, pull(n, f.rev[app][n]))
	}
	return ps
}

// infoValue is the value of the Application's spec.info entry name (render
// appset puts the pull request's head SHA there).
func infoValue(u *unstructured.Unstructured, name string) string {
	info, _, _ := unstructured.NestedSlice(u.Object, "spec", "info")
	for _, i := range info {
		m, _ := i.(map[string]any)
		if m["name"] == name {
			s, _ := m["value"].(string)
			return s
		}
	}
	return ""
}

// pushAndLabel: a push to an open pull request (a new head SHA) reaches its
// Application at the generator's next poll, and a label added to the
// spec on the base branch (spec.labels is the base branch's), rendered again
// into the manifest repository, reaches the env's objects at the next
// sync.
func (l *loop) pushAndLabel(t *testing.T, ctx context.Context, f *flow) {
	const pr = 1
	env := fmt.Sprintf("test-%d-web", pr)
	f.rev["web"][pr] = 2
	head := pull(pr, 2).Head.SHA
	l.github["web"].SetPulls(f.pulls("web"))
	var last *unstructured.Unstructured
	err := cluster.Poll(ctx, 2*time.Minute, time.Second, func() (bool, error) {
		u, err := l.application(ctx, env)
		last = u
		// render appset's spec.info shows the short SHA (head_short_sha).
		return u != nil && infoValue(u, "Head") == head[:8], err
	}, func() string {
		return "Application " + env + " does not show the new head commit " + head[:8] + ": " + fmt.Sprint(last.Object["spec"])
	})
	if err != nil {
		t.Fatal(err)
	}

	for i := range f.apps {
		if f.apps[i].name == "web" {
			f.apps[i].sets = append(f.apps[i].sets, "--set-string", "spec.labels.stage=review")
		}
	}
	revision := l.syncTree(t, f.work, f.apps, f.open)
	var names []string
	for _, n := range f.open["web"] {
		names = append(names, fmt.Sprintf("test-%d-web", n))
	}
	l.waitApps(t, ctx, names, revision, 3*time.Minute)
	for _, n := range names {
		ns, err := l.kube.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ns.Labels["stage"]; got != "review" {
			t.Errorf("Namespace %s: label stage is %q after the label was added to the spec, want review", n, got)
		}
		cm, err := l.kube.CoreV1().ConfigMaps(n).Get(ctx, "web-prenv", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := cm.Labels["stage"]; got != "review" {
			t.Errorf("ConfigMap %s/web-prenv: label stage is %q, want review", n, got)
		}
	}
}

// previousRefuses: a pull request that changes a Table's key schema is
// refused by render env --previous against what the manifest repository
// holds for it, so nothing reaches Argo CD and the env stays as it is.
func (l *loop) previousRefuses(t *testing.T, ctx context.Context, f *flow) {
	const pr = 2
	env := fmt.Sprintf("test-%d-web", pr)
	previous := filepath.Join(f.work, "envs", "web", fmt.Sprintf("pr-%d", pr))
	var web app
	for _, a := range f.apps {
		if a.name == "web" {
			web = a
		}
	}
	args := append([]string{"env", "-f", web.spec, "--pr", itoa(pr), "--previous", previous,
		"--set", "spec.dynamodb.tables[0].rangeKey=userId"}, web.sets...)
	out, stderr, err := l.renderRun(args...)
	if code := exitCode(err); code != 1 {
		t.Fatalf("render env --previous with a new key schema: exit %d, want 1\n%s", code, stderr)
	}
	if len(out) != 0 {
		t.Errorf("render env printed %d bytes on standard output, want none", len(out))
	}
	want := "Table/sessions: spec.keySchema: Invalid value: the key schema of a table cannot be changed after the resource is created (previous: " +
		filepath.Join(previous, fmt.Sprintf("table.dynamodb.services.k8s.aws_%s_sessions.yaml", env)) + ")"
	if !strings.Contains(string(stderr), want) {
		t.Errorf("render env --previous says:\n%s\nwant a line ending with:\n%s", stderr, want)
	}
	u, err := l.application(ctx, env)
	if err != nil || u == nil {
		t.Fatalf("Application %s: %v", env, err)
	}
	if sync, health, _ := appState(u); sync != "Synced" || health != "Healthy" {
		t.Errorf("Application %s after the refused change: %s", env, describe(u))
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(interface{ ExitCode() int }); ok {
		return e.ExitCode()
	}
	return -1
}

// refusedByAWS: manifests that the emulators refuse, written into the
// manifest repository by hand (prenv refuses both when it renders): a
// Table dynalite refuses stays Progressing with the ACK.Recoverable
// message, as the ACK DynamoDB controller retries a ValidationException; a
// Policy the IAM validator refuses (MalformedPolicyDocument, which the ACK
// IAM controller treats as terminal) makes the Application Degraded with
// the ACK.Terminal message. The sync stops at the refused object's wave.
func (l *loop) refusedByAWS(t *testing.T, ctx context.Context, f *flow) {
	const tablePR, policyPR = 6, 7
	f.open["web"] = append(f.open["web"], tablePR, policyPR)
	f.rev["web"][tablePR], f.rev["web"][policyPR] = 1, 1
	l.syncTree(t, f.work, f.apps, f.open)
	editManifest(t, f.work, "web", tablePR, fmt.Sprintf("table.dynamodb.services.k8s.aws_test-%d-web_sessions.yaml", tablePR), "billingMode: PAY_PER_REQUEST", "billingMode: PROVISIONED")
	editManifest(t, f.work, "web", policyPR, fmt.Sprintf("policy.iam.services.k8s.aws_test-%d-web_web.yaml", policyPR), `"Effect": "Allow"`, `"Effect": "Permit"`)
	if _, err := l.git.commit(f.work, "hand-edited manifests"); err != nil {
		t.Fatal(err)
	}
	l.github["web"].SetPulls(f.pulls("web"))

	cases := []struct {
		pr                 int
		kind, name, health string
		condition, message string
		// appHealth is Argo CD's worst health of the Application's
		// resources: with the sync waiting at the Table's wave, the later
		// waves' resources are Missing.
		appHealth string
	}{
		{pr: tablePR, kind: "Table", name: "sessions", health: "Progressing", condition: "ACK.Recoverable", appHealth: "Missing",
			// dynalite 4.0.0, validations/createTable.js.
			message: "ValidationException: One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{pr: policyPR, kind: "Policy", name: "web", health: "Degraded", condition: "ACK.Terminal", appHealth: "Degraded",
			// @cloud-copilot/iam-policy 0.1.109, validate/validate.js.
			message: `MalformedPolicyDocument: Statement[0].Effect: Effect must be present and exactly "Allow" or "Deny"`},
	}
	for _, c := range cases {
		env := fmt.Sprintf("test-%d-web", c.pr)
		var last *unstructured.Unstructured
		var got string
		err := cluster.Poll(ctx, 4*time.Minute, time.Second, func() (bool, error) {
			u, err := l.application(ctx, env)
			if err != nil || u == nil {
				return false, err
			}
			last = u
			res, _, _ := unstructured.NestedSlice(u.Object, "status", "resources")
			for _, r := range res {
				m := r.(map[string]any)
				if m["kind"] == c.kind && m["name"] == c.name {
					h, _, _ := unstructured.NestedString(m, "health", "status")
					got, _, _ = unstructured.NestedString(m, "health", "message")
					// The stand-in's condition comes after the
					// object: wait for its message, not only the state.
					if h == c.health && got == c.message {
						return true, nil
					}
				}
			}
			return false, nil
		}, func() string {
			return fmt.Sprintf("%s %s not %s with %q (%q): %s", c.kind, c.name, c.health, c.message, got, describe(last))
		})
		if err != nil {
			t.Error(err)
			continue
		}
		if got != c.message {
			t.Errorf("%s %s/%s: health message %q, want %q", c.kind, env, c.name, got, c.message)
		}
		gvr := ackstandin.Table
		if c.kind == "Policy" {
			gvr = ackstandin.Policy
		}
		obj, err := l.cl.Dynamic.Resource(gvr).Namespace(env).Get(ctx, c.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
		found := false
		for _, x := range conds {
			m := x.(map[string]any)
			found = found || (m["type"] == c.condition && m["status"] == "True" && m["message"] == c.message)
		}
		if !found {
			t.Errorf("%s %s/%s has no %s condition with the emulator's message: %v", c.kind, env, c.name, c.condition, conds)
		}
		_, appHealth, _ := appState(last)
		if appHealth != c.appHealth {
			t.Errorf("Application %s: health %s, want %s (%s)", env, appHealth, c.appHealth, describe(last))
		}
		if _, err := l.kube.CoreV1().ConfigMaps(env).Get(ctx, "web-prenv", metav1.GetOptions{}); err == nil {
			t.Errorf("%s: ConfigMap web-prenv (wave -1) exists, yet the sync should wait at the refused %s's wave", env, c.kind)
		}
	}
}

// editManifest replaces old with new, once, in a file of the env of an
// app's pull request in the manifest repository's work tree: a manifest
// edited by hand, which prenv would refuse to render.
func editManifest(t *testing.T, work, app string, pr int, file, old, new string) {
	t.Helper()
	p := filepath.Join(work, "envs", app, fmt.Sprintf("pr-%d", pr), file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q:\n%s", p, old, b)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
