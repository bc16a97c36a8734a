package live_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/e2e/internal/fakegithub"
)

// TestPluginFlow runs the plugin flow: no manifest repository; Argo CD's
// repo-server checks out each pull request's head commit of the app
// repository and asks the cmp-server, which runs the Config Management
// Plugin render appset prints (render env with the base branch's trusted
// fields), for the manifests. A pull request opens and becomes Synced and
// Healthy; a push that adds a label is refused (spec.labels is the base
// branch's) and shows as the Application's comparison error, until the
// label is on the base branch and render appset runs again, when the same
// head syncs with it; a push that changes a Table's key schema, which
// nothing refuses before Argo CD in this flow, is refused by the API server
// and shows as the sync's error.
func TestPluginFlow(t *testing.T) {
	l := get(t)
	ctx := t.Context()
	work, url, err := l.git.newRepo("plug")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(l.root, "e2e", "live", "testdata", "plug.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec = bytes.ReplaceAll(bytes.ReplaceAll(spec, []byte("REPO_URL"), []byte(url)), []byte("GITHUB_API"), []byte(l.ghURL))
	specFile := filepath.Join(work, "deploy", "prenv.yaml")
	write := func(b []byte) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(specFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(specFile, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sha, err := l.git.commit(work, "prenv.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	head := write(spec)

	// The platform's part: render appset on the base branch (here the
	// same commit), applied; its plugin.yaml is the cmp-server's
	// configuration, as the sidecar mounts it from the ConfigMap.
	appset := l.renderOut(t, "appset", "-f", specFile)
	l.apply(t, ctx, appset)
	if err := l.startCMP(ctx, appset); err != nil {
		t.Fatal(err)
	}

	const pr = 1
	env := fmt.Sprintf("test-%d-plug", pr)
	p := pull(pr, 1)
	p.Head.SHA = head
	opened := time.Now()
	l.github["plug"].SetPulls([]fakegithub.Pull{p})
	ready := l.waitApps(t, ctx, []string{env}, head, 5*time.Minute)
	l.figure("plugin flow: pull request opened -> Application Synced and Healthy: %.1f s", ready[env].Sub(opened).Seconds())

	t.Run("LabelFromThePullRequestRefused", func(t *testing.T) {
		// spec.labels is the base branch's: a pull request that adds one
		// is refused by render env in the cmp-server, against the trusted
		// fields render appset wrote into the Application.
		p.Head.SHA = write(withLabel(spec))
		l.github["plug"].SetPulls([]fakegithub.Pull{p})
		const want = "spec.labels[stage]: Forbidden: differs from the base branch (unset there): a pull request cannot change who the env is or what it may reach; merge this change to the base branch first, where the platform's reviewers see it"
		l.waitCondition(t, ctx, env, want, 3*time.Minute)
	})

	t.Run("LabelFromTheBaseBranchApplies", func(t *testing.T) {
		// The label merged: render appset on the base branch again, and
		// the same head now renders.
		spec = withLabel(spec)
		l.apply(t, ctx, l.renderOut(t, "appset", "-f", specFile))
		l.waitApps(t, ctx, []string{env}, p.Head.SHA, 3*time.Minute)
		ns, err := l.kube.CoreV1().Namespaces().Get(ctx, env, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ns.Labels["stage"] != "review" {
			t.Errorf("Namespace %s: labels %v, want stage=review", env, ns.Labels)
		}
	})

	t.Run("KeySchemaChangeIsASyncError", func(t *testing.T) {
		changed := bytes.Replace(spec, []byte("      hashKey: id\n"), []byte("      hashKey: id\n      rangeKey: userId\n"), 1)
		if bytes.Equal(changed, spec) {
			t.Fatal("testdata/plug.yaml has no hashKey: id to add a range key to")
		}
		p.Head.SHA = write(changed)
		l.github["plug"].SetPulls([]fakegithub.Pull{p})
		// The Table CRD's rule (x-kubernetes-validations: self == oldSelf).
		const want = `Table.dynamodb.services.k8s.aws "sessions" is invalid: spec.keySchema: Invalid value: Value is immutable once set`
		l.waitOperationMessage(t, ctx, env, want, 3*time.Minute)
	})
}

// withLabel adds the label stage: review to a spec's spec.labels.
func withLabel(spec []byte) []byte {
	return bytes.Replace(spec, []byte("  tags:\n"), []byte("  labels:\n    stage: review\n  tags:\n"), 1)
}

// waitCondition waits until one of the Application's conditions (such as
// ComparisonError) ends with want.
func (l *loop) waitCondition(t *testing.T, ctx context.Context, env, want string, timeout time.Duration) {
	t.Helper()
	l.waitApplication(t, ctx, env, timeout, "no condition ending with "+want, func(u *unstructured.Unstructured) bool {
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if strings.HasSuffix(strings.TrimSpace(fmt.Sprint(c.(map[string]any)["message"])), want) {
				return true
			}
		}
		return false
	})
}

// waitOperationMessage waits until the Application's sync operation says
// want.
func (l *loop) waitOperationMessage(t *testing.T, ctx context.Context, env, want string, timeout time.Duration) {
	t.Helper()
	l.waitApplication(t, ctx, env, timeout, "no sync error "+want, func(u *unstructured.Unstructured) bool {
		msg, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "message")
		return strings.Contains(msg, want)
	})
}

// waitApplication polls env's Application every second until ok holds for
// it, and fails with what and the Application last seen after timeout.
func (l *loop) waitApplication(t *testing.T, ctx context.Context, env string, timeout time.Duration, what string, ok func(*unstructured.Unstructured) bool) {
	t.Helper()
	var last *unstructured.Unstructured
	err := cluster.Poll(ctx, timeout, time.Second, func() (bool, error) {
		u, err := l.application(ctx, env)
		last = u
		if err != nil || u == nil {
			return false, err
		}
		return ok(u), nil
	}, func() string { return what + ": " + describe(last) })
	if err != nil {
		t.Fatal(err)
	}
}

// startCMP starts Argo CD's cmp-server with the plugin.yaml of render
// appset's ConfigMap, its socket where the repo-server looks for plugins,
// and the render binary on its PATH, as the sidecar image has it.
func (l *loop) startCMP(ctx context.Context, appset []byte) error {
	var plugin string
	for _, doc := range bytes.Split(appset, []byte("\n---\n")) {
		var cm struct {
			Kind string            `json:"kind"`
			Data map[string]string `json:"data"`
		}
		if err := yaml.Unmarshal(doc, &cm); err != nil {
			return err
		}
		if cm.Kind == "ConfigMap" && cm.Data["plugin.yaml"] != "" {
			plugin = cm.Data["plugin.yaml"]
		}
	}
	if plugin == "" {
		return fmt.Errorf("render appset printed no plugin.yaml")
	}
	dir := filepath.Join(l.dir, "argocd", "cmp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.yaml"), []byte(plugin), 0o644); err != nil {
		return err
	}
	env := []string{
		"ARGOCD_PLUGINSOCKFILEPATH=" + filepath.Join(l.dir, "argocd", "plugins"),
		"PATH=" + filepath.Dir(l.render) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + filepath.Join(l.dir, "argocd", "home"),
		"TMPDIR=" + filepath.Join(l.dir, "argocd", "tmp"),
	}
	if err := l.c.StartProcess("argocd-cmp-server", filepath.Join(l.root, ".tools", "bin", "argocd-cmp-server"), env,
		"--config-dir-path", dir, "--loglevel", "info"); err != nil {
		return err
	}
	// The server is ready when its socket is there.
	return cluster.Poll(ctx, time.Minute, 200*time.Millisecond, func() (bool, error) {
		m, err := filepath.Glob(filepath.Join(l.dir, "argocd", "plugins", "*.sock"))
		return len(m) > 0, err
	}, func() string { return "the cmp-server made no socket:\n" + l.c.LogTail("argocd-cmp-server", 20) })
}
