package live_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/e2e/internal/fakegithub"
)

var applicationGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// app is one app of the tier: a spec of examples/ and the --set that point
// it at the tier's git server and fake GitHub API.
type app struct {
	name string // metadata.name: web, catalog
	spec string // the spec's file
	sets []string
}

// renderOut runs the render binary and returns its standard output; a
// non-zero exit fails the test with its standard error.
func (l *loop) renderOut(t *testing.T, args ...string) []byte {
	t.Helper()
	out, stderr, err := l.renderRun(args...)
	if err != nil {
		t.Fatalf("render %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// renderRun runs the render binary and returns standard output and
// standard error.
func (l *loop) renderRun(args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.Command(l.render, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

// apply server-side applies every document of render appset's output as
// docs/feedback.md tells the platform to: with a field manager of the
// app's own, prenv-<prefix>-<app> (the ApplicationSet's name after
// prenv-), so that each app owns its keys of the shared ConfigMaps
// (argocd-cm, argocd-notifications-cm), and without forcing, so that two
// apps that disagree on a shared key conflict.
func (l *loop) apply(t *testing.T, ctx context.Context, stream []byte) {
	t.Helper()
	manager := ""
	for _, doc := range bytes.Split(stream, []byte("\n---\n")) {
		var m struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &m); err == nil && m.Kind == "ApplicationSet" {
			manager = "prenv-" + m.Metadata.Name
		}
	}
	if manager == "" {
		t.Fatal("render appset printed no ApplicationSet")
	}
	for _, doc := range bytes.Split(stream, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var u unstructured.Unstructured
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("decoding %s: %v", doc, err)
		}
		if u.Object == nil {
			continue
		}
		if _, err := l.cl.ApplyRaw(ctx, u.GroupVersionKind(), u.GetNamespace(), u.GetName(), doc, cluster.ApplyOptions{FieldManager: manager}); err != nil {
			t.Fatalf("applying %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

// pull is an open pull request of the fake GitHub API, labelled preview,
// on a feature branch, with a head SHA of its own revision.
func pull(n, rev int) fakegithub.Pull {
	h := sha1.Sum(fmt.Appendf(nil, "pr-%d-rev-%d", n, rev))
	return fakegithub.Pull{
		Number: n, State: "open", Title: fmt.Sprintf("Change %d", n),
		User: fakegithub.User{Login: "octocat"},
		Head: fakegithub.Ref{Ref: fmt.Sprintf("feature/change-%d", n), SHA: hex.EncodeToString(h[:])},
		Base: fakegithub.Ref{Ref: "main"}, Labels: []fakegithub.Label{{Name: "preview"}},
	}
}

// application returns the Application name, or nil when there is none.
func (l *loop) application(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	u, err := l.cl.Dynamic.Resource(applicationGVR).Namespace(argoCDNamespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

// appState is an Application's sync and health status, and its synced
// revision.
func appState(u *unstructured.Unstructured) (sync, health, revision string) {
	sync, _, _ = unstructured.NestedString(u.Object, "status", "sync", "status")
	health, _, _ = unstructured.NestedString(u.Object, "status", "health", "status")
	revision, _, _ = unstructured.NestedString(u.Object, "status", "sync", "revision")
	return
}

// describe says why an Application is where it is: its sync and health,
// its operation's phase and message, and each resource that is not Healthy
// with its message.
func describe(u *unstructured.Unstructured) string {
	if u == nil {
		return "no Application"
	}
	sync, health, rev := appState(u)
	phase, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "phase")
	msg, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "message")
	out := fmt.Sprintf("%s: sync %s at %.8s, health %s, operation %s: %s", u.GetName(), sync, rev, health, phase, msg)
	res, _, _ := unstructured.NestedSlice(u.Object, "status", "resources")
	for _, r := range res {
		m := r.(map[string]any)
		h, _, _ := unstructured.NestedString(m, "health", "status")
		if h != "" && h != "Healthy" {
			hm, _, _ := unstructured.NestedString(m, "health", "message")
			out += fmt.Sprintf("\n  %v %v: %s %s", m["kind"], m["name"], h, hm)
		}
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m := c.(map[string]any)
		out += fmt.Sprintf("\n  condition %v: %v", m["type"], m["message"])
	}
	return out
}

// waitApps waits until each named Application is Synced and Healthy (at
// revision, when not empty) and its last sync operation, hooks included,
// has succeeded, and returns, per name, when it first was.
func (l *loop) waitApps(t *testing.T, ctx context.Context, names []string, revision string, timeout time.Duration) map[string]time.Time {
	t.Helper()
	ready := map[string]time.Time{}
	last := map[string]*unstructured.Unstructured{}
	err := cluster.Poll(ctx, timeout, time.Second, func() (bool, error) {
		for _, n := range names {
			if _, ok := ready[n]; ok {
				continue
			}
			u, err := l.application(ctx, n)
			if err != nil {
				return false, err
			}
			last[n] = u
			if u == nil {
				continue
			}
			sync, health, rev := appState(u)
			phase, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "phase")
			if sync == "Synced" && health == "Healthy" && phase == "Succeeded" && (revision == "" || rev == revision) {
				ready[n] = time.Now()
			}
		}
		return len(ready) == len(names), nil
	}, func() string {
		var out []string
		for _, n := range names {
			if _, ok := ready[n]; !ok {
				out = append(out, describe(last[n]))
			}
		}
		return "not Synced and Healthy:\n" + strings.Join(out, "\n")
	})
	if err != nil {
		t.Fatal(err)
	}
	return ready
}

// waitGone waits until get answers not found, and returns when.
func waitGone(t *testing.T, ctx context.Context, what string, timeout time.Duration, get func() error) time.Time {
	t.Helper()
	err := cluster.Poll(ctx, timeout, 500*time.Millisecond, func() (bool, error) {
		err := get()
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}, func() string { return what + " still exists" })
	if err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

// seconds prints durations as whole and tenth seconds, sorted: the figures.
func seconds(ds []time.Duration) string {
	slices.Sort(ds)
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%.1f", d.Seconds()))
	}
	if len(ds) == 0 {
		return "none"
	}
	return fmt.Sprintf("median %.1f s, max %.1f s (%s)", ds[len(ds)/2].Seconds(), ds[len(ds)-1].Seconds(), strings.Join(parts, " "))
}

// syncTree writes the envs of the open pull requests of each app into the
// manifest repository's envs/<app>/ with render sync, and pushes; it
// returns the commit.
func (l *loop) syncTree(t *testing.T, work string, apps []app, open map[string][]int, extra ...string) string {
	t.Helper()
	names := make([]string, 0, len(apps))
	for _, a := range apps {
		var prs []string
		for _, n := range open[a.name] {
			prs = append(prs, itoa(n))
		}
		args := []string{"sync", "-f", a.spec, "--output-dir", filepath.Join(work, "envs", a.name), "--prs-file", "-"}
		args = append(append(args, a.sets...), extra...)
		cmd := exec.Command(l.render, args...)
		cmd.Stdin = strings.NewReader(strings.Join(prs, "\n"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("render %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		names = append(names, a.name)
	}
	sort.Strings(names)
	sha, err := l.git.commit(work, "render sync of "+strings.Join(names, ", "))
	if err != nil {
		t.Fatal(err)
	}
	return sha
}

// figure records one of the figures the tier prints at its end.
func (l *loop) figure(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.figures = append(l.figures, fmt.Sprintf(format, args...))
}
