package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Specs of two repositories (example/web and example/orders, each with
// the label filter [preview] and a branchMatch filter) and one without
// spec.argocd.
const (
	prsOrdersSpec = "../../examples/previews/prenv.yaml"
	prsWorkerSpec = "../../examples/worker/prenv.yaml"
)

// ghPRsOfTwoRepos is gh pr list --json number,url,headRefName,labels of
// example/web and of example/orders, merged (jq -s add): both have a
// pull request 12.
const ghPRsOfTwoRepos = `[
 {"number":12,"url":"https://github.com/example/web/pull/12","headRefName":"feature/x","labels":[{"name":"preview"}]},
 {"number":13,"url":"https://github.com/example/web/pull/13","headRefName":"feature/y","labels":[]},
 {"number":12,"url":"https://github.com/Example/Orders/pull/12","headRefName":"fix/y","labels":[{"name":"preview"}]},
 {"number":14,"url":"https://github.com/example/orders/pull/14","headRefName":"main","labels":[{"name":"preview"}]}
]`

// wantSync fails unless r is a successful sync that printed want.
func wantSync(t *testing.T, what string, r result, want string) {
	t.Helper()
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("%s: exit %d, stderr:\n%s", what, r.code, r.stderr)
	}
	if d := cmp.Diff(want, r.stdout); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

// TestSyncPRsPerRepository: one PR list for apps of two repositories is
// refused; per-app lists (--prs APP=N,N...) and gh's JSON with url give
// each app its own pull requests, in one tree.
func TestSyncPRsPerRepository(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "envs")
	two := []string{"sync", "-f", syncWebSpec, "-f", prsOrdersSpec, "--output-dir", dir}
	ambiguous := ": pull-request numbers are per repository, and the specs name 2 (example/orders for orders, example/web for web): give each pull request's repository (--prs-json with url: gh pr list --json number,url,labels,headRefName,baseRefName,title), or each app's pull requests (--prs APP=N,N..., once per app)\n"
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"one list, two repositories", "", append(two, "--prs", "12"), "render sync: --prs" + ambiguous},
		{"one file, two repositories", "12\n", append(two, "--prs-file", "-"), "render sync: --prs-file -" + ambiguous},
		{"gh without url, two repositories", `[{"number":12,"labels":[{"name":"preview"}],"headRefName":"feature/x"}]`, append(two, "--prs-json", "-"), "render sync: --prs-json -" + ambiguous},
		{"both forms", "", append(two, "--prs", "web=12", "--prs", "15"), "render sync: --prs 15: a list for every app and lists per app (APP=N,N...) cannot be mixed\n"},
		{"two lists", "", append(two, "--prs", "15", "--prs", "12"), "render sync: --prs 12: a second list: give every open pull request in one comma-separated list, or one APP=N,N... per app\n"},
		{"an app left out", "", append(two, "--prs", "web=12"), "render sync: --prs: no list for the app \"orders\": with APP=N,N..., give one for every app (the specs' apps: orders, web)\n"},
		{"an unknown app", "", append(two, "--prs", "web=12", "--prs", "orders=3", "--prs", "shop=1"), "render sync: --prs shop=...: no spec has the app \"shop\" (the specs' apps: orders, web)\n"},
		{"an app twice", "", append(two, "--prs", "web=12", "--prs", "web=3"), "render sync: --prs web=3: app \"web\" is given twice\n"},
		{"an app's empty list", "", append(two, "--prs", "web=", "--prs", "orders=3"), "render sync: --prs web=: no pull-request number given (to remove every PR folder, pass an empty --prs-file or --prs-json [])\n"},
		{"url, spec without repository", ghPRsOfTwoRepos, append(two, "-f", prsWorkerSpec, "--prs-json", "-"), "render sync: --prs-json -: the pull requests carry their repository (url), but the spec of the app \"worker\" names no GitHub repository in spec.argocd.pullRequests.github: give each app's pull requests with --prs APP=N,N... instead\n"},
		{"url of another repository", `[{"number":12,"url":"https://github.com/example/other/pull/12","headRefName":"feature/x","labels":[]}]`, append(two, "--prs-json", "-"), "render sync: --prs-json -: [0].url: pull request 12 of example/other, a repository that no spec names in spec.argocd.pullRequests.github (the specs name example/orders for orders, example/web for web)\n"},
		{"url on some only", `[{"number":12,"url":"https://github.com/example/web/pull/12","labels":[]},{"number":13,"labels":[]}]`, append(two, "--prs-json", "-"), "render sync: --prs-json -: [1]: url is given for some pull requests and not for others; ask gh for it (gh pr list --json number,url,...)\n"},
		{"url of another number", `[{"number":12,"url":"https://github.com/example/web/pull/13","labels":[]}]`, append(two, "--prs-json", "-"), "render sync: --prs-json -: [0].url: \"https://github.com/example/web/pull/13\" is the URL of pull request 13, not of number 12\n"},
		{"url not a pull request's", `[{"number":12,"url":"https://github.com/example/web/issues/12","labels":[]}]`, append(two, "--prs-json", "-"), "render sync: --prs-json -: [0].url: \"https://github.com/example/web/issues/12\" is not a pull request's URL (https://github.com/OWNER/REPO/pull/NUMBER)\n"},
		{"twice in one repository", `[{"number":12,"url":"https://github.com/example/web/pull/12"},{"number":12,"url":"https://github.com/example/WEB/pull/12"}]`, append(two, "--prs-json", "-"), "render sync: --prs-json -: [1].number: pull request 12 is listed twice (first at [0].number)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, tc.args...)
			if r.code != exitUsage || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", r.code, r.stdout)
			}
			if d := cmp.Diff(tc.want, r.stderr); d != "" {
				t.Errorf("stderr (-want +got):\n%s", d)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("the tree was written: %v", err)
			}
		})
	}

	// Per app: web has 12 and 15 open, orders 15.
	r := runCLI(t, "", append(two, "--prs", "web=12,15", "--prs", "orders=15")...)
	want := "added     orders/pr-15 (15 files)\n" +
		"added     web/pr-12 (15 files)\n" +
		"added     web/pr-15 (15 files)\n" +
		filepath.ToSlash(dir) + ": 3 added, 0 changed, 0 unchanged, 0 removed\n"
	wantSync(t, "per app", r, want)

	// By repository, from gh's url; each app's ApplicationSet selects as
	// Argo CD does (web's 13 lacks the label, orders' 14 no filter).
	r = runCLI(t, ghPRsOfTwoRepos, append(two, "--prs-json", "-")...)
	want = "added     orders/pr-12 (15 files)\n" +
		"removed   orders/pr-15 (15 files)\n" +
		"unchanged web/pr-12 (15 files)\n" +
		"removed   web/pr-15 (15 files)\n" +
		"skipped   orders/pr-14 (no env: matches no filter of spec.argocd.pullRequests: filters[0].branchMatch \"^(feature|fix)/\" does not match the branch \"main\")\n" +
		"skipped   web/pr-13 (no env: lacks the label \"preview\" (spec.argocd.pullRequests.github.labels))\n" +
		filepath.ToSlash(dir) + ": 1 added, 0 changed, 1 unchanged, 2 removed\n"
	wantSync(t, "by repository", r, want)
	got := snapshot(t, dir)
	for _, f := range []string{"web/pr-12/namespace_test-12-web.yaml", "orders/pr-12/namespace_pr-12-orders.yaml"} {
		if _, ok := got[f]; !ok {
			t.Errorf("%s was not written", f)
		}
	}

	// A spec without spec.argocd beside one repository: one list is taken
	// for both (the spec names no other repository).
	r = runCLI(t, "", "sync", "-f", syncWebSpec, "-f", prsWorkerSpec, "--prs", "7", "--output-dir", filepath.Join(t.TempDir(), "x"))
	if r.code != exitOK {
		t.Errorf("web and worker: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestSyncLabelFilter: with gh's JSON, a pull request the ApplicationSet's
// generator does not list (a label missing, no filter matching) gets no
// env and is reported, in text and JSON; a field the generator needs
// that gh was not asked for is a usage error.
func TestSyncLabelFilter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "envs")
	prs := `[{"number":3,"headRefName":"feature/a","labels":[{"name":"preview"}]},{"number":4,"headRefName":"feature/b","labels":[{"name":"wip"}]},{"number":5,"headRefName":"main","labels":[{"name":"preview"}]}]`
	r := runCLI(t, prs, "sync", "-f", syncWebSpec, "--prs-json", "-", "--output-dir", dir)
	want := "added     pr-3 (15 files)\n" +
		"skipped   pr-4 (no env: lacks the label \"preview\" (spec.argocd.pullRequests.github.labels))\n" +
		"skipped   pr-5 (no env: matches no filter of spec.argocd.pullRequests: filters[0].branchMatch \"^feature/\" does not match the branch \"main\")\n" +
		filepath.ToSlash(dir) + ": 1 added, 0 changed, 0 unchanged, 0 removed\n"
	wantSync(t, "labels and filters", r, want)
	r = runCLI(t, prs, "sync", "-f", syncWebSpec, "--prs-json", "-", "--output-dir", dir, "-o", "json")
	wantJSON := `  "skipped": [
    {
      "app": "web",
      "pr": 4,
      "folder": "pr-4",
      "reasons": [
        "lacks the label \"preview\" (spec.argocd.pullRequests.github.labels)"
      ]
    },
    {
      "app": "web",
      "pr": 5,
      "folder": "pr-5",
      "reasons": [
        "matches no filter of spec.argocd.pullRequests: filters[0].branchMatch \"^feature/\" does not match the branch \"main\""
      ]
    }
  ]
}
`
	if r.code != exitOK || len(r.stdout) < len(wantJSON) {
		t.Fatalf("-o json: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if d := cmp.Diff(wantJSON, r.stdout[len(r.stdout)-len(wantJSON):]); d != "" {
		t.Errorf("-o json's end (-want +got):\n%s", d)
	}

	// --prs and --prs-file list the pull requests that get envs: no
	// labels to compare.
	r = runCLI(t, "", "sync", "-f", syncWebSpec, "--prs", "3,4", "--output-dir", dir)
	if r.code != exitOK || r.stdout != "unchanged pr-3 (15 files)\nadded     pr-4 (15 files)\n"+filepath.ToSlash(dir)+": 1 added, 0 changed, 1 unchanged, 0 removed\n" {
		t.Errorf("--prs: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	for _, tc := range []struct{ name, prs, want string }{
		{"no labels", `[{"number":3,"headRefName":"feature/a"}]`, "render sync: --prs-json -: [0]: labels is missing, and the app \"web\"'s spec.argocd.pullRequests.github.labels needs it to select the pull requests as Argo CD does: ask gh for it (gh pr list --json number,url,labels,headRefName,baseRefName,title)\n"},
		{"no branch", `[{"number":3,"labels":[]}]`, "render sync: --prs-json -: [0]: headRefName is missing, and the app \"web\"'s spec.argocd.pullRequests.filters[0].branchMatch needs it to select the pull requests as Argo CD does: ask gh for it (gh pr list --json number,url,labels,headRefName,baseRefName,title)\n"},
		{"title not a string", `[{"number":3,"labels":[],"title":1}]`, "render sync: --prs-json -: [0].title: must be a string, got 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.prs, "sync", "-f", syncWebSpec, "--prs-json", "-", "--output-dir", dir)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2", r.code)
			}
			if d := cmp.Diff(tc.want, r.stderr); d != "" {
				t.Errorf("stderr (-want +got):\n%s", d)
			}
		})
	}
}

// TestLeftoversOneList: render leftovers takes one list for every app, so
// per-app lists and apps of two repositories are refused.
func TestLeftoversOneList(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", syncWebSpec, "--prs", "web=12"}, "render leftovers: --prs APP=N,N...: render leftovers takes one list of open pull requests for every app; run it once per repository\n"},
		{[]string{"-f", syncWebSpec, "-f", prsOrdersSpec, "--prs", "12"}, "render leftovers: --prs: pull-request numbers are per repository, and the specs name 2 (example/orders for orders, example/web for web): run render leftovers once per repository, with its apps' specs\n"},
	} {
		r := runCLI(t, "", append(append([]string{"leftovers"}, tc.args...), "--no-cluster", "--output-dir", t.TempDir())...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d, want 2", tc.args, r.code)
		}
		if d := cmp.Diff(tc.want, r.stderr); d != "" {
			t.Errorf("%q: stderr (-want +got):\n%s", tc.args, d)
		}
	}
}
