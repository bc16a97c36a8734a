package live_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"prenv.dev/prenv/e2e/internal/fakegithub"
)

// TestRetainReopen closes and reopens a pull request of an app with
// deletionPolicy: retain (testdata/keep.yaml, examples/web under another
// name): closing deletes the Application and the namespace but leaves the
// AWS resources, and reopening adopts them (ACK's adopt-or-create, which
// prenv renders with retain) instead of failing to create them again.
func TestRetainReopen(t *testing.T) {
	l := get(t)
	ctx := t.Context()
	work, url, err := l.git.newRepo("manifests-keep")
	if err != nil {
		t.Fatal(err)
	}
	a := app{name: "keep", spec: filepath.Join(l.root, "e2e", "live", "testdata", "keep.yaml"), sets: l.sets(url)}
	l.apply(t, ctx, l.renderOut(t, append([]string{"appset", "-f", a.spec}, a.sets...)...))
	const pr = 1
	env := fmt.Sprintf("test-%d-keep", pr)
	revision := l.syncTree(t, work, []app{a}, map[string][]int{"keep": {pr}})
	l.github["keep"].SetPulls([]fakegithub.Pull{pull(pr, 1)})
	l.waitApps(t, ctx, []string{env}, revision, 5*time.Minute)

	aws := []struct{ kind, name string }{
		{"Table", env + "_sessions"}, {"Queue", env + "_jobs"}, {"Queue", env + "_jobs_dlq"}, {"Role", env}, {"Policy", env},
	}
	closed := pull(pr, 1)
	closed.State = "closed"
	l.github["keep"].SetPulls([]fakegithub.Pull{closed})
	waitGone(t, ctx, "Namespace "+env, 5*time.Minute, func() error {
		_, err := l.kube.CoreV1().Namespaces().Get(ctx, env, metav1.GetOptions{})
		return err
	})
	for _, r := range aws {
		if ok, err := l.standIn.Exists(ctx, r.kind, r.name); err != nil || !ok {
			t.Errorf("%s %s is gone after the pull request closed, yet deletionPolicy is retain (%v)", r.kind, r.name, err)
		}
	}

	before := len(l.standIn.Calls())
	l.github["keep"].SetPulls([]fakegithub.Pull{pull(pr, 1)})
	l.waitApps(t, ctx, []string{env}, revision, 5*time.Minute)
	calls := l.standIn.Calls()[before:]
	for _, want := range []string{"DescribeTable " + env + "_sessions", "GetQueueUrl " + env + "_jobs", "GetQueueUrl " + env + "_jobs_dlq", "GetRole " + env, "GetPolicy " + env} {
		if !slices.Contains(calls, want) {
			t.Errorf("reopening made no %q: the stand-in's calls were %q", want, calls)
		}
	}
	for _, c := range calls {
		for _, r := range aws {
			if c == "Create"+r.kind+" "+r.name {
				t.Errorf("reopening created %s %s again (%q), want it adopted", r.kind, r.name, c)
			}
		}
	}
}
