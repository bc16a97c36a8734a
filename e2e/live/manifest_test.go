package live_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/e2e/internal/fakegithub"
)

// prsPerApp is how many pull requests each app opens.
const prsPerApp = 5

// TestManifestFlow runs the manifest-repository flow of two apps (web:
// a table, a queue with its dead-letter queue, IAM; catalog: two databases
// with their hook Jobs) through the whole loop: render sync writes every
// open pull request's env into the manifest repository, the ApplicationSet
// controller makes an Application per pull request listed by the fake
// GitHub API, the application controller syncs it wave by wave (the
// stand-in creating the AWS resources, kwok running the Pods), and closing
// a pull request deletes its Application, its namespace and its AWS
// resources and nothing else.
func TestManifestFlow(t *testing.T) {
	l := get(t)
	ctx := t.Context()
	work, url, err := l.git.newRepo("manifests")
	if err != nil {
		t.Fatal(err)
	}
	apps := []app{
		{name: "web", spec: filepath.Join(l.repoRoot(t), "examples", "web", "prenv.yaml")},
		{name: "catalog", spec: filepath.Join(l.repoRoot(t), "examples", "databases", "prenv.yaml")},
	}
	for i := range apps {
		apps[i].sets = append(l.sets(url), l.notificationSets()...)
	}
	// The platform's part, once per app: render appset on the base branch,
	// applied server-side.
	for _, a := range apps {
		l.apply(t, ctx, l.renderOut(t, append([]string{"appset", "-f", a.spec}, a.sets...)...))
	}

	open := map[string][]int{}
	for _, a := range apps {
		for n := 1; n <= prsPerApp; n++ {
			open[a.name] = append(open[a.name], n)
		}
	}
	revision := l.syncTree(t, work, apps, open)

	var names []string
	opened := time.Now()
	for _, a := range apps {
		var pulls []fakegithub.Pull
		for _, n := range open[a.name] {
			pulls = append(pulls, pull(n, 1))
			names = append(names, fmt.Sprintf("test-%d-%s", n, a.name))
		}
		l.github[a.name].SetPulls(pulls)
	}

	t.Run("Open", func(t *testing.T) {
		ready := l.waitApps(t, ctx, names, revision, 8*time.Minute)
		var took []time.Duration
		for _, n := range names {
			took = append(took, ready[n].Sub(opened))
		}
		l.figure("%d pull requests opened -> Application Synced and Healthy: %s", len(names), seconds(took))
		for n := 1; n <= prsPerApp; n++ {
			ns := fmt.Sprintf("test-%d-catalog", n)
			for _, job := range []string{"catalog-db-secrets", "db-main-migrations"} {
				j, err := l.kube.BatchV1().Jobs(ns).Get(ctx, job, metav1.GetOptions{})
				if err != nil {
					t.Errorf("hook Job %s/%s: %v", ns, job, err)
					continue
				}
				if j.Status.Succeeded < 1 {
					t.Errorf("hook Job %s/%s has not succeeded: %+v", ns, job, j.Status)
				}
			}
			sts, err := l.kube.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(sts.Items) != 2 {
				t.Errorf("%s has %d StatefulSets, want 2 (main, reports)", ns, len(sts.Items))
			}
			for _, s := range sts.Items {
				if s.Status.ReadyReplicas != *s.Spec.Replicas {
					t.Errorf("StatefulSet %s/%s: %d of %d replicas ready", ns, s.Name, s.Status.ReadyReplicas, *s.Spec.Replicas)
				}
			}
			wns := fmt.Sprintf("test-%d-web", n)
			for _, r := range []struct{ kind, name string }{
				{"Table", wns + "_sessions"}, {"Queue", wns + "_jobs"}, {"Queue", wns + "_jobs_dlq"}, {"Role", wns}, {"Policy", wns},
			} {
				ok, err := l.standIn.Exists(ctx, r.kind, r.name)
				if err != nil || !ok {
					t.Errorf("the stand-in's AWS side has no %s %s (%v)", r.kind, r.name, err)
				}
			}
		}
	})
	if t.Failed() {
		return
	}

	t.Run("Close", func(t *testing.T) {
		closed := 3
		env := fmt.Sprintf("test-%d-web", closed)
		others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == env })
		// Every object of the other envs, but for Events and the Pods'
		// status that kwok's heartbeats touch.
		keep := func(k cluster.ObjectKey) bool {
			return slices.Contains(others, k.Namespace) && k.Kind != "Event" && k.Kind != "Lease"
		}
		before, err := l.cl.Snapshot(ctx, keep)
		if err != nil {
			t.Fatal(err)
		}
		var pulls []fakegithub.Pull
		for _, n := range open["web"] {
			p := pull(n, 1)
			if n == closed {
				p.State = "closed"
			}
			pulls = append(pulls, p)
		}
		start := time.Now()
		l.github["web"].SetPulls(pulls)
		appGone, nsGone := l.waitEnvGone(t, ctx, env, 5*time.Minute)
		l.figure("pull request closed -> Application gone %.1f s, namespace gone %.1f s",
			appGone.Sub(start).Seconds(), nsGone.Sub(start).Seconds())
		for _, r := range []struct{ kind, name string }{
			{"Table", env + "_sessions"}, {"Queue", env + "_jobs"}, {"Queue", env + "_jobs_dlq"}, {"Role", env}, {"Policy", env},
		} {
			if ok, err := l.standIn.Exists(ctx, r.kind, r.name); err != nil || ok {
				t.Errorf("the stand-in's AWS side still has %s %s (%v)", r.kind, r.name, err)
			}
		}
		// Only then the manifest repository forgets the pull request.
		open["web"] = slices.DeleteFunc(open["web"], func(n int) bool { return n == closed })
		revision := l.syncTree(t, work, apps, open)
		l.waitApps(t, ctx, others, revision, 3*time.Minute)
		after, err := l.cl.Snapshot(ctx, keep)
		if err != nil {
			t.Fatal(err)
		}
		if d := before.Diff(after); len(d) > 0 {
			t.Errorf("closing %s changed other envs:\n%s", env, strings.Join(d, "\n"))
		}
	})
	if t.Failed() {
		return
	}
	f := &flow{work: work, apps: apps, open: open, rev: map[string]map[int]int{}}
	for _, a := range apps {
		f.rev[a.name] = map[int]int{}
		for _, n := range open[a.name] {
			f.rev[a.name][n] = 1
		}
	}
	t.Run("PushAndLabel", func(t *testing.T) { l.pushAndLabel(t, ctx, f) })
	t.Run("PreviousRefusesKeySchema", func(t *testing.T) { l.previousRefuses(t, ctx, f) })
	t.Run("RefusedByAWS", func(t *testing.T) { l.refusedByAWS(t, ctx, f) })
}

// sets are the --set that point a spec at the tier: the manifest
// repository url, the fake GitHub API, and a poll every 5 s (prenv's
// default: 300).
func (l *loop) sets(url string) []string {
	return []string{
		"--set-string", "spec.argocd.source.repoURL=" + url,
		"--set-string", "spec.argocd.pullRequests.github.api=" + l.ghURL,
		"--set", "spec.argocd.pullRequests.requeueAfterSeconds=5",
	}
}

// notificationSets point the notifications of a spec that has them
// (examples/web's and examples/databases') at the fake GitHub API, as a
// GitHub Enterprise Server API URL: Argo CD's github service wants its
// /api/v3.
func (l *loop) notificationSets() []string {
	return []string{"--set-string", "spec.argocd.notifications.github.enterpriseBaseURL=" + l.ghURL + "/api/v3"}
}

// repoRoot is the repository the tier runs from.
func (l *loop) repoRoot(t *testing.T) string {
	t.Helper()
	if l.root == "" {
		t.Fatal("no repository root")
	}
	return l.root
}
