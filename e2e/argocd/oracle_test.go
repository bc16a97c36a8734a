// Package argocd_test runs prenv's Argo CD side against Argo CD's own
// ApplicationSet code: for each spec, `render appset`'s ApplicationSet goes
// to the oracle (tools/argocd, Argo CD v3.2.11's pull-request
// generator and template code), whose generator lists the pull requests of
// a fake GitHub API on 127.0.0.1, and the Applications it generates must
// equal those `render apps` computes for each pull request.
package argocd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/e2e/internal/fakegithub"
	"prenv.dev/prenv/spec"
)

// oracleVersion is the Argo CD release the oracle must be built from
// (tools/argocd/go.mod).
const oracleVersion = "v3.2.11"

// specCase is a spec run through both sides: a file of the repository,
// edited.
type specCase struct {
	name string
	// file is relative to the repository root.
	file string
	// edit changes the decoded spec before it is loaded.
	edit func(spec map[string]any)
	// generated and notGenerated are pull requests (fixtures_test.go) that
	// Argo CD must, and must not, generate an Application for, whatever
	// prenv says: the test's own expectation, so that two sides agreeing
	// on a wrong answer still fail.
	generated, notGenerated []int
	// unsafe are pull requests for which prenv refuses the source path
	// that Argo CD generates (see TestOracle).
	unsafe []int
	// bulk serves the bulk pull requests too (more than two pages); the
	// other cases serve the hand-written ones only, to keep the test fast.
	bulk bool
}

// always are what every spec with the examples' filter (^feature/ and the
// label preview) generates and does not.
var (
	alwaysGenerated    = []int{prLogin, prDraft, prSHA256, prTeamLabel, prTargetDev, 10000, prMaxNumber}
	alwaysNotGenerated = []int{prClosed, prNoLabel, prCaseLabel, prFixBranch, prCapsBranch, prEmptySlug, prDotsBranch, 14, 15, 16, 18}
)

func cases() []specCase {
	return []specCase{
		{name: "web", file: "examples/web/prenv.yaml", bulk: true,
			generated:    append(slices.Clone(alwaysGenerated), prBulkFirst, prBulkFirst+1, prBulkFirst+2, prBulkFirst+bulkPulls-2),
			notGenerated: append(slices.Clone(alwaysNotGenerated), prBulkFirst+3, prBulkFirst+bulkPulls-1)},
		{name: "previews", file: "examples/previews/prenv.yaml", generated: alwaysGenerated,
			// previews also lists fix/ branches.
			notGenerated: without(alwaysNotGenerated, prFixBranch)},
		{name: "manifests-github", file: "argocd/testdata/specs/manifests-github.yaml", generated: alwaysGenerated, notGenerated: alwaysNotGenerated},
		{
			// branch_slug and target_branch_slug in the path, the raw
			// branch as the revision.
			name: "web-slug-path", file: "examples/web/prenv.yaml",
			edit: func(s map[string]any) {
				set(s, "spec.argocd.source.path", "envs/web/{{branch_slug}}-{{target_branch_slug}}/pr-{{number}}")
				set(s, "spec.argocd.source.targetRevision", "{{branch}}")
			},
			generated: alwaysGenerated, notGenerated: alwaysNotGenerated,
		},
		{
			// No labels, no filters: every open pull request; the path
			// from branch_slug alone, so that an empty slug leaves an
			// empty segment.
			name: "web-all", file: "examples/web/prenv.yaml",
			edit: func(s map[string]any) {
				del(s, "spec.argocd.pullRequests.github.labels")
				del(s, "spec.argocd.pullRequests.filters")
				set(s, "spec.argocd.source.path", "envs/{{branch_slug}}/pr-{{number}}")
				set(s, "spec.argocd.source.targetRevision", "{{head_sha}}")
			},
			generated:    []int{prLogin, prDraft, prNoLabel, prCaseLabel, prFixBranch, prCapsBranch, 14, 15, 16, 20, prMaxNumber},
			notGenerated: []int{prClosed, 18},
			// "🚀", ".." and "_" have an empty branch_slug: envs//pr-<n>.
			unsafe: []int{prEmptySlug, prDotsBranch, prUnderscore},
		},
		{
			// Two labels, three filters: one of branch and target branch,
			// one of title, one of branch and title.
			name: "web-filters", file: "examples/web/prenv.yaml",
			edit: func(s map[string]any) {
				set(s, "spec.argocd.pullRequests.github.labels", []any{"preview", "team-web"})
				set(s, "spec.argocd.pullRequests.filters", []any{
					map[string]any{"branchMatch": "^feature/", "targetBranchMatch": "^main$"},
					map[string]any{"titleMatch": `(?i)\[PREVIEW\]`},
					map[string]any{"branchMatch": "^release/", "titleMatch": "^Rel"},
				})
			},
			generated:    []int{prTeamLabel},
			notGenerated: []int{prLogin, prDraft, prTargetDev, 14, prTitleMatch, 16},
		},
		{
			// The title filter alone, with the preview label: fix/ and
			// feature/ alike, when the title says so.
			name: "web-title", file: "examples/web/prenv.yaml",
			edit: func(s map[string]any) {
				set(s, "spec.argocd.pullRequests.filters", []any{map[string]any{"titleMatch": `^\[preview\]`}, map[string]any{"targetBranchMatch": "^(develop|release/.*)$"}})
			},
			generated:    []int{prTitleMatch, prTargetDev, 16},
			notGenerated: []int{prLogin, prDraft, prFixBranch},
		},
		{
			// Metadata: Argo CD labels, a destination by name, another
			// prefix and project, sync policy turned off, own sync options.
			name: "web-metadata", file: "examples/web/prenv.yaml",
			edit: func(s map[string]any) {
				set(s, "spec.prefix", "pr")
				set(s, "spec.argocd.project", "web-previews")
				set(s, "spec.argocd.labels", map[string]any{"team": "web", "example.com/tier": "preview"})
				set(s, "spec.argocd.destination", map[string]any{"name": "in-cluster"})
				set(s, "spec.argocd.syncPolicy", map[string]any{"prune": false, "selfHeal": false, "syncOptions": []any{"Validate=true", "RespectIgnoreDifferences=true"}})
			},
			generated: alwaysGenerated, notGenerated: alwaysNotGenerated,
		},
	}
}

// TestOracle compares, for each spec, the Applications Argo CD's own code
// generates with those `render apps` computes, pull request by pull
// request, and lists every disagreement. The comparison is exact, JSON
// value for JSON value, apart from one documented kind:
//
//   - prenv refuses a source path that a pull request's text leads out of
//     its folder or empties (an *argocd.UnsafePathError; for example an
//     empty branch_slug gives envs//pr-8), where Argo CD generates the
//     Application and would read another folder. The test requires that
//     Argo CD's Application carries exactly the path prenv's error names.
//
// What the oracle leaves out is not compared: status (the controller never
// takes it from the template) and the owner reference the controller adds
// when it writes an Application (it needs the ApplicationSet's UID).
func TestOracle(t *testing.T) {
	oracle := findOracle(t)
	root := repoRoot(t)
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			pulls := fixtures(c.bulk)
			ctx := t.Context()
			env := loadSpec(t, filepath.Join(root, c.file), c.edit)
			gh := env.Spec.ArgoCD.PullRequests.GitHub
			fake := fakegithub.New(gh.Owner, gh.Repo, pulls)
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)

			objs, err := argocd.AppSet(ctx, env, argocd.Options{})
			if err != nil {
				t.Fatalf("render appset: %v", err)
			}
			stream, err := argocd.Marshal(objs)
			if err != nil {
				t.Fatal(err)
			}
			theirs := runOracle(t, oracle, stream, srv.URL)

			var disagree []string
			unsafe := map[int]bool{}
			open := 0
			for _, p := range pulls {
				if p.State != "open" {
					if _, ok := theirs[envName(env, p.Number)]; ok {
						disagree = append(disagree, fmt.Sprintf("PR %d is %s, yet Argo CD generated an Application for it", p.Number, p.State))
					}
					continue
				}
				open++
				name := envName(env, p.Number)
				their, generated := theirs[name]
				delete(theirs, name)
				app, err := argocd.Application(ctx, env, pullRequest(p), argocd.Options{})
				var ng *argocd.NotGeneratedError
				var up *argocd.UnsafePathError
				switch {
				case errors.As(err, &ng):
					if generated {
						disagree = append(disagree, fmt.Sprintf("PR %d (branch %q): Argo CD generates %s, render apps says it does not: %v", p.Number, p.Head.Ref, name, ng))
					}
				case errors.As(err, &up):
					unsafe[p.Number] = true
					if !generated {
						disagree = append(disagree, fmt.Sprintf("PR %d (branch %q): render apps refuses the path %q, and Argo CD generates nothing at all", p.Number, p.Head.Ref, up.Path))
						continue
					}
					if got := pathOf(their, up.Field); got != up.Path {
						disagree = append(disagree, fmt.Sprintf("PR %d (branch %q): render apps refuses %s %q, but Argo CD's Application has %q", p.Number, p.Head.Ref, up.Field, up.Path, got))
					}
				case err != nil:
					disagree = append(disagree, fmt.Sprintf("PR %d (branch %q): render apps fails: %v", p.Number, p.Head.Ref, err))
				case !generated:
					disagree = append(disagree, fmt.Sprintf("PR %d (branch %q): render apps generates %s, Argo CD does not", p.Number, p.Head.Ref, app.GetName()))
				default:
					if diff := cmp.Diff(their, jsonValue(t, app)); diff != "" {
						disagree = append(disagree, fmt.Sprintf("PR %d (branch %q): Applications differ (-Argo CD +render apps):\n%s", p.Number, p.Head.Ref, diff))
					}
				}
			}
			for _, name := range slices.Sorted(maps.Keys(theirs)) {
				disagree = append(disagree, fmt.Sprintf("Argo CD generated %s, which matches no open pull request", name))
			}
			if len(disagree) > 0 {
				t.Errorf("%d disagreements between Argo CD %s and render apps:\n%s", len(disagree), oracleVersion, strings.Join(disagree, "\n"))
			}

			// The test's own expectations, independent of both sides.
			again := runOracle(t, oracle, stream, srv.URL)
			for _, n := range c.generated {
				if _, ok := again[envName(env, n)]; !ok {
					t.Errorf("Argo CD generated no Application for PR %d; the fixture expects one", n)
				}
			}
			for _, n := range c.notGenerated {
				if _, ok := again[envName(env, n)]; ok {
					t.Errorf("Argo CD generated an Application for PR %d; the fixture expects none", n)
				}
			}
			if got, want := slices.Sorted(maps.Keys(unsafe)), c.unsafe; !slices.Equal(got, want) {
				t.Errorf("render apps refused the source paths of PRs %v, want %v", got, want)
			}

			// The generator read every page, newest first, 100 at a
			// time, and sent no credentials.
			reqs := fake.Requests()
			pages := (open + 99) / 100
			if len(reqs) != 2*pages {
				t.Errorf("the oracle made %d requests to the GitHub API, want %d (%d pages of %d open pull requests, two runs)", len(reqs), 2*pages, pages, open)
			}
			for _, r := range reqs {
				if r.Authorization != "" {
					t.Errorf("the oracle sent credentials (Authorization %q) to %s", r.Authorization, r.Path)
				}
				if !strings.Contains(r.Query, "per_page=100") {
					t.Errorf("request %s?%s: want per_page=100", r.Path, r.Query)
				}
			}
		})
	}
}

// TestOraclePagination checks the fixtures exercise what they claim: more
// than two pages of open pull requests, drafts and closed ones among them.
func TestOraclePagination(t *testing.T) {
	var open, drafts, closed int
	for _, p := range fixtures(true) {
		switch {
		case p.State == "closed":
			closed++
		case p.Draft:
			drafts++
			open++
		default:
			open++
		}
	}
	if open <= 2*fakegithub.MaxPerPage || drafts == 0 || closed == 0 {
		t.Errorf("fixtures: %d open (want more than %d), %d drafts, %d closed (want some of each)", open, 2*fakegithub.MaxPerPage, drafts, closed)
	}
}

// findOracle returns the oracle binary: $PRENV_ARGOCD_ORACLE, or
// .tools/bin/argocd-oracle of the repository (bash
// tools/argocd/build.sh). When it is missing the test skips, unless
// PRENV_REQUIRE_TOOLS=1, when it fails; a binary of another Argo CD
// version fails.
func findOracle(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("PRENV_ARGOCD_ORACLE")
	if bin == "" {
		bin = filepath.Join(repoRoot(t), ".tools", "bin", "argocd-oracle")
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("the Argo CD oracle is missing (%v): build it with `bash tools/argocd/build.sh`", err)
		if os.Getenv("PRENV_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; set PRENV_REQUIRE_TOOLS=1 to make this a failure")
	}
	out, err := exec.CommandContext(t.Context(), bin, "-version").Output()
	if err != nil {
		t.Fatalf("%s -version: %v", bin, err)
	}
	if got, want := strings.TrimSpace(string(out)), "argocd-oracle "+oracleVersion; got != want {
		t.Fatalf("%s reports %q, want %q: rebuild it with `bash tools/argocd/build.sh`", bin, got, want)
	}
	return bin
}

// runOracle runs the oracle over the ApplicationSet stream against the
// fake API and returns its Applications by name.
func runOracle(t *testing.T, oracle string, stream []byte, api string) map[string]map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "appset.yaml")
	if err := os.WriteFile(file, stream, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, oracle, "-f", file, "--github-api", api, "-o", "json")
	cmd.Env = append(os.Environ(), "GITHUB_TOKEN=must-not-be-sent")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("argocd-oracle: %v\n%s", err, stderr.String())
	}
	var apps []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &apps); err != nil {
		t.Fatalf("argocd-oracle output: %v", err)
	}
	out := map[string]map[string]any{}
	for _, a := range apps {
		name, _, _ := unstructured.NestedString(a, "metadata", "name")
		if _, dup := out[name]; dup {
			t.Fatalf("argocd-oracle printed %s twice", name)
		}
		out[name] = a
	}
	return out
}

// loadSpec reads a spec, applies edit to its decoded form and loads it.
func loadSpec(t *testing.T, file string, edit func(map[string]any)) *spec.PreviewEnvironment {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		if data, err = yaml.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	env, err := spec.Load(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if env.Spec.ArgoCD == nil || env.Spec.ArgoCD.PullRequests == nil || env.Spec.ArgoCD.PullRequests.GitHub == nil {
		t.Fatalf("%s has no GitHub pull-request generator", file)
	}
	return env
}

// set sets a dotted path of the spec, creating maps on the way.
func set(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// del deletes a dotted path of the spec.
func del(m map[string]any, path string) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, keys[len(keys)-1])
}

func without(list []int, n int) []int {
	return slices.DeleteFunc(slices.Clone(list), func(x int) bool { return x == n })
}

func envName(env *spec.PreviewEnvironment, n int) string {
	return awsrules.EnvName(env.Spec.Prefix, n, env.Metadata.Name)
}

// pullRequest is the fixture as render apps takes it (--pr, --branch,
// --target-branch, --head-sha, --label, --author, --title).
func pullRequest(p ghPull) argocd.PullRequest {
	pr := argocd.PullRequest{Number: p.Number, Branch: p.Head.Ref, TargetBranch: p.Base.Ref, HeadSHA: p.Head.SHA, Author: p.User.Login, Title: p.Title}
	for _, l := range p.Labels {
		pr.Labels = append(pr.Labels, l.Name)
	}
	return pr
}

// jsonValue is the object as JSON values (float64 numbers), as the
// oracle's output decodes.
func jsonValue(t *testing.T, o *unstructured.Unstructured) map[string]any {
	t.Helper()
	b, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// pathOf returns the value at an Application field such as
// spec.source.path or spec.sources[0].path.
func pathOf(app map[string]any, field string) string {
	var cur any = app
	for _, part := range strings.Split(field, ".") {
		idx := -1
		if i := strings.Index(part, "["); i >= 0 {
			fmt.Sscanf(part[i:], "[%d]", &idx)
			part = part[:i]
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[part]
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return ""
			}
			cur = l[idx]
		}
	}
	s, _ := cur.(string)
	return s
}

// repoRoot is the repository's root: two levels up.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "argocd", "generate.go")); err != nil {
		t.Fatalf("the repository root is not two levels up: %v", err)
	}
	return root
}
