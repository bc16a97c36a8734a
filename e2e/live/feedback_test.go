package live_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/e2e/internal/fakegithub"
)

var update = flag.Bool("update", false, "rewrite testdata/feedback/ from this run")

// TestFeedback runs render appset's notifications wiring with Argo CD's
// real notifications controller, which posts to the fake GitHub API as a
// GitHub App: three pull requests of examples/web (renamed feedback), with
// a failing CI status on each head commit, which the deployments must not
// wait for. The env of pull request 1 becomes Healthy: a deployment of the
// app repository's head commit, transient, with status success and the
// env's URL, and one comment. The env of pull request 2 has a Policy the
// stand-in's IAM validator refuses (ACK.Terminal): status failure, and the
// comment names the Policy and the validator's message. The env of pull
// request 3 becomes Healthy, then its pull request is merged: status
// inactive on the same deployment, and the same comment updated. That of
// pull request 4 too, but its pull request is closed without merging:
// status inactive, and the comment is not updated, since GitHub does not
// list a pull request closed unmerged among those of its head commit. Each
// env's deployments, statuses and comment bodies are compared with
// testdata/feedback/<env>.txt (-update rewrites them).
func TestFeedback(t *testing.T) {
	t.Parallel()
	l := get(t)
	ctx := t.Context()
	work, a := l.webAs(t, "feedback")
	gh := l.github["feedback"]
	const healthyPR, degradedPR, deletedPR, abandonedPR = 1, 2, 3, 4
	prs := []int{healthyPR, degradedPR, deletedPR, abandonedPR}
	l.syncTree(t, work, []app{a}, map[string][]int{"feedback": prs})
	editManifest(t, work, "feedback", degradedPR, fmt.Sprintf("policy.iam.services.k8s.aws_test-%d-feedback_feedback.yaml", degradedPR), `"Effect": "Allow"`, `"Effect": "Permit"`)
	if _, err := l.git.commit(work, "hand-edited Policy"); err != nil {
		t.Fatal(err)
	}
	l.apply(t, ctx, l.renderOut(t, append([]string{"appset", "-f", a.spec}, a.sets...)...))

	var pulls []fakegithub.Pull
	for _, n := range prs {
		pulls = append(pulls, pull(n, 1))
	}
	opened := time.Now()
	gh.SetPulls(pulls)
	for _, p := range pulls {
		gh.AddStatus(p.Head.SHA, "failure", "ci/build")
	}

	cases := []struct {
		pr     int
		states []string // the deployment's statuses, oldest first
		url    bool     // success and failure carry the env's URL
	}{
		{pr: healthyPR, states: []string{"success"}, url: true},
		{pr: degradedPR, states: []string{"failure"}, url: true},
		{pr: deletedPR, states: []string{"success"}, url: true},
		{pr: abandonedPR, states: []string{"success"}, url: true},
	}
	want := map[int]feedback{}
	for _, c := range cases {
		want[c.pr] = feedback{c.states, 1}
	}
	posted := l.waitFeedback(t, ctx, gh, want, 5*time.Minute)
	l.figure("feedback: pull request opened -> deployment status and comment posted: healthy %.1f s, degraded %.1f s",
		posted[healthyPR].Sub(opened).Seconds(), posted[degradedPR].Sub(opened).Seconds())

	// Pull request 3 merged: its Application goes, and the controller
	// posts inactive and updates the comment. Pull request 4 closed
	// without merging: inactive too, but its comment stays as it was, as
	// GitHub lists no pull request closed unmerged for its head commit
	// (where the github service looks for the pull request to comment on).
	merged := pull(deletedPR, 1)
	merged.State = "closed"
	now := time.Now()
	merged.MergedAt = &now
	abandoned := pull(abandonedPR, 1)
	abandoned.State = "closed"
	closedAt := time.Now()
	gh.SetPulls([]fakegithub.Pull{pulls[0], pulls[1], merged, abandoned})
	posted = l.waitFeedback(t, ctx, gh, map[int]feedback{deletedPR: {[]string{"success", "inactive"}, 2}, abandonedPR: {[]string{"success", "inactive"}, 1}}, 3*time.Minute)
	l.figure("feedback: pull request merged -> deployment status inactive and comment updated %.1f s", posted[deletedPR].Sub(closedAt).Seconds())
	l.waitEnvGone(t, ctx, fmt.Sprintf("test-%d-feedback", abandonedPR), time.Minute)
	cases[2].states = []string{"success", "inactive"}
	cases[3].states = []string{"success", "inactive"}

	for _, c := range cases {
		env := fmt.Sprintf("test-%d-feedback", c.pr)
		head := pull(c.pr, 1).Head.SHA
		var mine []fakegithub.Deployment
		for _, d := range gh.Deployments() {
			if d.Environment == env {
				mine = append(mine, d)
			}
		}
		if len(mine) != 1 {
			t.Errorf("%s: %d deployments, want 1 (of the head commit): %+v", env, len(mine), mine)
			continue
		}
		d := mine[0]
		if d.Ref != head || d.SHA != head || !d.TransientEnvironment || d.ProductionEnvironment || d.AutoMerge || d.RequiredContexts == nil || len(d.RequiredContexts) != 0 {
			t.Errorf("%s: deployment of ref %s (sha %s), transient_environment %t, production_environment %t, auto_merge %t, required_contexts %q; want ref and sha %s, transient, not production, no auto-merge, required_contexts []",
				env, d.Ref, d.SHA, d.TransientEnvironment, d.ProductionEnvironment, d.AutoMerge, d.RequiredContexts, head)
		}
		var states []string
		for i, s := range d.Statuses {
			states = append(states, s.State)
			wantURL := ""
			if s.State != "inactive" && c.url {
				wantURL = "https://" + env + ".preview.example.com"
			}
			if s.Environment != env || s.EnvironmentURL != wantURL || s.Creator != "prenv-e2e[bot]" {
				t.Errorf("%s: status %d (%s): environment %q, environment_url %q, by %s; want %q, %q, by prenv-e2e[bot]", env, i, s.State, s.Environment, s.EnvironmentURL, s.Creator, env, wantURL)
			}
		}
		if !slices.Equal(states, c.states) {
			t.Errorf("%s: deployment statuses %q, want %q", env, states, c.states)
		}
		golden(t, filepath.Join(l.root, "e2e", "live", "testdata", "feedback", env+".txt"), feedbackRecord(gh, env, c.pr))
	}
}

// feedback is what the GitHub API holds for an env: the statuses of its
// one deployment, oldest first, and how many bodies its one comment had.
type feedback struct {
	states []string
	bodies int
}

// waitFeedback waits until the fake GitHub API holds, for the env of each
// pull request of want, its feedback, and returns when it first did.
func (l *loop) waitFeedback(t *testing.T, ctx context.Context, gh *fakegithub.Server, want map[int]feedback, timeout time.Duration) map[int]time.Time {
	t.Helper()
	done := map[int]time.Time{}
	err := cluster.Poll(ctx, timeout, 250*time.Millisecond, func() (bool, error) {
		for pr, w := range want {
			if _, ok := done[pr]; ok {
				continue
			}
			var got []string
			for _, d := range gh.Deployments() {
				if d.Environment == fmt.Sprintf("test-%d-feedback", pr) {
					for _, s := range d.Statuses {
						got = append(got, s.State)
					}
				}
			}
			if cs := gh.Comments(pr); slices.Equal(got, w.states) && len(cs) == 1 && len(cs[0].Bodies) == w.bodies {
				done[pr] = time.Now()
			}
		}
		return len(done) == len(want), nil
	}, func() string {
		var out []string
		for pr, w := range want {
			if _, ok := done[pr]; !ok {
				env := fmt.Sprintf("test-%d-feedback", pr)
				u, _ := l.application(ctx, env)
				out = append(out, fmt.Sprintf("%s: want statuses %q and %d comment bodies; the GitHub API has:\n%s%s", env, w.states, w.bodies, feedbackRecord(gh, env, pr), describe(u)))
			}
		}
		return strings.Join(out, "\n")
	})
	if err != nil {
		t.Fatal(err)
	}
	return done
}

// feedbackRecord prints what the GitHub API holds for an env: each
// deployment with its statuses, and each comment on its pull request with
// every body it had.
func feedbackRecord(gh *fakegithub.Server, env string, pr int) string {
	var b strings.Builder
	for _, d := range gh.Deployments() {
		if d.Environment != env {
			continue
		}
		fmt.Fprintf(&b, "deployment ref=%s task=%s environment=%s transient_environment=%t production_environment=%t auto_merge=%t required_contexts=%q creator=%s\n",
			d.Ref, d.Task, d.Environment, d.TransientEnvironment, d.ProductionEnvironment, d.AutoMerge, d.RequiredContexts, d.Creator)
		for _, s := range d.Statuses {
			fmt.Fprintf(&b, "  status %s environment=%s environment_url=%q log_url=%q creator=%s\n    description: %s\n",
				s.State, s.Environment, s.EnvironmentURL, s.LogURL, s.Creator, s.Description)
		}
	}
	for _, c := range gh.Comments(pr) {
		fmt.Fprintf(&b, "comment on #%d by %s\n", c.Number, c.Creator)
		for i, body := range c.Bodies {
			fmt.Fprintf(&b, "--- body %d\n%s\n", i+1, body)
		}
	}
	return b.String()
}

// golden compares got with the file, or rewrites the file with -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", file, d)
	}
}
