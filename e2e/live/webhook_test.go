package live_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/e2e/internal/fakegithub"
)

// webhookRequeue is the generator's poll in the webhook test: half an
// hour, so that only the webhook can make an Application within the test.
const webhookRequeue = 1800

// TestWebhook runs the ApplicationSet controller's webhook: with the
// generator polling GitHub once per half hour, a pull request opened on
// the fake GitHub API, which delivers GitHub's signed pull_request event
// to the controller's /api/webhook, has its Application within seconds,
// and a pull request closed loses it within seconds. An event signed with
// another secret is refused with the controller's own message, and its
// pull request gets no Application.
func TestWebhook(t *testing.T) {
	t.Parallel()
	l := get(t)
	ctx := t.Context()
	work, a := l.webAs(t, "hook", "--set", fmt.Sprintf("spec.argocd.pullRequests.requeueAfterSeconds=%d", webhookRequeue))
	gh := l.github["hook"]
	revision := l.syncTree(t, work, []app{a}, map[string][]int{"hook": {1, 2}})
	l.apply(t, ctx, l.renderOut(t, append([]string{"appset", "-f", a.spec}, a.sets...)...))
	// The controller's first reconcile of the new ApplicationSet lists the
	// pull requests (none yet); after it, only the webhook makes it list
	// them again within the half hour.
	if err := cluster.Poll(ctx, time.Minute, 200*time.Millisecond, func() (bool, error) {
		return len(gh.Requests()) > 0, nil
	}, func() string { return "the ApplicationSet controller never listed the pull requests of example/hook" }); err != nil {
		t.Fatal(err)
	}

	// Signed with another secret: refused; the controller lists nothing
	// and pull request 1 gets no Application.
	gh.SetHook(l.webhookURL, "not-the-secret")
	listed := len(gh.Requests())
	gh.SetPulls([]fakegithub.Pull{pull(1, 1)})
	forged := lastDelivery(t, gh)
	const refused = "Webhook processing failed: HMAC verification failed\n"
	if forged.StatusCode != 400 || forged.Response != refused {
		t.Errorf("an event signed with another secret: %d %q, want 400 %q", forged.StatusCode, forged.Response, refused)
	}
	time.Sleep(3 * time.Second)
	if n := len(gh.Requests()); n != listed {
		t.Fatalf("the ApplicationSet controller listed the pull requests %d more times after the forged event; the test needs it quiet", n-listed)
	}
	if u, err := l.application(ctx, "test-1-hook"); err != nil || u != nil {
		t.Fatalf("Application test-1-hook after the forged event: %v, %v", describe(u), err)
	}

	gh.SetHook(l.webhookURL, l.webhookSecret)
	opened := time.Now()
	gh.SetPulls([]fakegithub.Pull{pull(1, 1), pull(2, 1)})
	if d := lastDelivery(t, gh); d.Action != "opened" || d.Number != 2 || d.StatusCode != 200 || d.Err != nil {
		t.Fatalf("delivering pull request 2's opened event: %+v", d)
	}
	const env = "test-2-hook"
	var exists time.Time
	if err := cluster.Poll(ctx, 30*time.Second, 100*time.Millisecond, func() (bool, error) {
		u, err := l.application(ctx, env)
		exists = time.Now()
		return u != nil, err
	}, func() string {
		return fmt.Sprintf("no Application %s 30 s after the webhook, with the generator polling every %d s", env, webhookRequeue)
	}); err != nil {
		t.Fatal(err)
	}
	// The event refreshed the ApplicationSet, so pull request 1, open on
	// GitHub since the forged event, has its Application now too.
	ready := l.waitApps(t, ctx, []string{env, "test-1-hook"}, revision, 5*time.Minute)
	l.figure("webhook: pull request opened -> Application %.1f s, Synced and Healthy %.1f s (generator polling every %d s)",
		exists.Sub(opened).Seconds(), ready[env].Sub(opened).Seconds(), webhookRequeue)

	closed := pull(2, 1)
	closed.State = "closed"
	start := time.Now()
	gh.SetPulls([]fakegithub.Pull{pull(1, 1), closed})
	if d := lastDelivery(t, gh); d.Action != "closed" || d.StatusCode != 200 {
		t.Fatalf("delivering pull request 2's closed event: %+v", d)
	}
	appGone, nsGone := l.waitEnvGone(t, ctx, env, 30*time.Second)
	l.figure("webhook: pull request closed -> Application gone %.1f s, namespace gone %.1f s",
		appGone.Sub(start).Seconds(), nsGone.Sub(start).Seconds())
}

// lastDelivery is the latest webhook delivery of gh.
func lastDelivery(t *testing.T, gh *fakegithub.Server) fakegithub.Delivery {
	t.Helper()
	ds := gh.Deliveries()
	if len(ds) == 0 {
		t.Fatal("the fake GitHub API delivered no webhook event")
	}
	return ds[len(ds)-1]
}

// webAs is examples/web as the app name, on the repository example/name of
// the fake GitHub API, with its manifest repository manifests-name (whose
// work tree it returns), its own AppProject previews-name (an AppProject
// lists the one manifest repository and the namespaces of its app), its
// notifications posting to the fake GitHub API, and extra --set flags.
func (l *loop) webAs(t *testing.T, name string, extra ...string) (work string, a app) {
	t.Helper()
	work, url, err := l.git.newRepo("manifests-" + name)
	if err != nil {
		t.Fatal(err)
	}
	sets := append(l.sets(url), "--set-string", "metadata.name="+name, "--set-string", "spec.argocd.pullRequests.github.repo="+name,
		"--set-string", "spec.argocd.source.path=envs/"+name+"/pr-{{number}}", "--set-string", "spec.argocd.project=previews-"+name)
	sets = append(sets, l.notificationSets()...)
	return work, app{name: name, spec: filepath.Join(l.root, "examples", "web", "prenv.yaml"), sets: append(sets, extra...)}
}

// waitEnvGone waits until the env's Application is gone (within timeout)
// and then its namespace (within 5 minutes), and returns when each was.
func (l *loop) waitEnvGone(t *testing.T, ctx context.Context, env string, timeout time.Duration) (app, ns time.Time) {
	t.Helper()
	app = waitGone(t, ctx, "Application "+env, timeout, func() error {
		_, err := l.cl.Dynamic.Resource(applicationGVR).Namespace(argoCDNamespace).Get(ctx, env, metav1.GetOptions{})
		return err
	})
	ns = waitGone(t, ctx, "Namespace "+env, 5*time.Minute, func() error {
		_, err := l.kube.CoreV1().Namespaces().Get(ctx, env, metav1.GetOptions{})
		return err
	})
	return app, ns
}
