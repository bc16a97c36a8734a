package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// ghFieldsHint is the gh command that gives every field prenv reads.
const ghFieldsHint = "gh pr list --json number,url,labels,headRefName,baseRefName,title"

// specRepo names the repository whose pull requests the spec's
// ApplicationSet lists, as the spec names it ("" without spec.argocd), and
// its GitHub OWNER/REPO ("" for other providers).
func specRepo(s *spec.PreviewEnvironment) (name, github string) {
	if s.Spec.ArgoCD == nil || s.Spec.ArgoCD.PullRequests == nil {
		return "", ""
	}
	at := func(api string) string {
		if api == "" {
			return ""
		}
		return " at " + api
	}
	switch p := s.Spec.ArgoCD.PullRequests; {
	case p.GitHub != nil:
		github = p.GitHub.Owner + "/" + p.GitHub.Repo
		return github + at(p.GitHub.API), github
	case p.GitLab != nil:
		return "GitLab project " + p.GitLab.Project + at(p.GitLab.API), ""
	case p.Gitea != nil:
		return "Gitea " + p.Gitea.Owner + "/" + p.Gitea.Repo + at(p.Gitea.API), ""
	case p.BitbucketServer != nil:
		return "Bitbucket Server " + p.BitbucketServer.Project + "/" + p.BitbucketServer.Repo + at(p.BitbucketServer.API), ""
	case p.Bitbucket != nil:
		return "Bitbucket " + p.Bitbucket.Owner + "/" + p.Bitbucket.Repo + at(p.Bitbucket.API), ""
	case p.AzureDevOps != nil:
		return "Azure DevOps " + p.AzureDevOps.Organization + "/" + p.AzureDevOps.Project + "/" + p.AzureDevOps.Repo + at(p.AzureDevOps.API), ""
	}
	return "", ""
}

// repoList lists the specs' repositories, "REPO for APP", by app.
func repoList(specs []*spec.PreviewEnvironment, repo func(*spec.PreviewEnvironment) string) string {
	var parts []string
	for _, s := range specs {
		if r := repo(s); r != "" {
			parts = append(parts, r+" for "+s.Metadata.Name)
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func appNames(specs []*spec.PreviewEnvironment) string {
	var names []string
	for _, s := range specs {
		names = append(names, s.Metadata.Name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// perApp returns the open pull requests of each app (by metadata.name):
// per app with --prs APP=N,N...; by repository when gh's JSON carries each
// pull request's url (the spec's spec.argocd.pullRequests.github names
// the app's); otherwise the same for every app, which is refused when the
// specs name different repositories, since pull-request numbers are per
// repository. The error is a usage error's message.
func (src *prSource) perApp(specs []*spec.PreviewEnvironment) (map[string][]ghPR, error) {
	out := map[string][]ghPR{}
	if src.byApp != nil {
		for _, app := range src.apps {
			if !slices.ContainsFunc(specs, func(s *spec.PreviewEnvironment) bool { return s.Metadata.Name == app }) {
				return nil, fmt.Errorf("%s %s=...: no spec has the app %q (the specs' apps: %s)", src.flag, app, app, appNames(specs))
			}
		}
		for _, s := range specs {
			prs, ok := src.byApp[s.Metadata.Name]
			if !ok {
				return nil, fmt.Errorf("%s: no list for the app %q: with APP=N,N..., give one for every app (the specs' apps: %s)", src.flag, s.Metadata.Name, appNames(specs))
			}
			for _, n := range prs {
				out[s.Metadata.Name] = append(out[s.Metadata.Name], ghPR{number: n})
			}
		}
		return out, nil
	}
	entries := src.json
	if src.json == nil {
		for _, n := range src.numbers {
			entries = append(entries, ghPR{number: n})
		}
	}
	githubOf := func(s *spec.PreviewEnvironment) string { _, gh := specRepo(s); return gh }
	if len(entries) > 0 && entries[0].repo != "" {
		if len(specs) == 1 && githubOf(specs[0]) == "" {
			for _, e := range entries {
				if !strings.EqualFold(e.repo, entries[0].repo) {
					return nil, fmt.Errorf("%s: %s.url: the pull requests are of two repositories (%s and %s), and the spec of the app %q names none in spec.argocd.pullRequests.github", src.flag, e.at, entries[0].repo, e.repo, specs[0].Metadata.Name)
				}
			}
			out[specs[0].Metadata.Name] = entries
			return out, nil
		}
		for _, s := range specs {
			if githubOf(s) == "" {
				return nil, fmt.Errorf("%s: the pull requests carry their repository (url), but the spec of the app %q names no GitHub repository in spec.argocd.pullRequests.github: give each app's pull requests with --prs APP=N,N... instead", src.flag, s.Metadata.Name)
			}
		}
		for _, e := range entries {
			matched := false
			for _, s := range specs {
				if strings.EqualFold(githubOf(s), e.repo) {
					out[s.Metadata.Name] = append(out[s.Metadata.Name], e)
					matched = true
				}
			}
			if !matched {
				return nil, fmt.Errorf("%s: %s.url: pull request %d of %s, a repository that no spec names in spec.argocd.pullRequests.github (the specs name %s)", src.flag, e.at, e.number, e.repo, repoList(specs, githubOf))
			}
		}
		return out, nil
	}
	repos := map[string]bool{}
	for _, s := range specs {
		if name, _ := specRepo(s); name != "" {
			repos[strings.ToLower(name)] = true
		}
	}
	if len(repos) > 1 {
		hint := "give each pull request's repository (--prs-json with url: " + ghFieldsHint + "), or each app's pull requests (--prs APP=N,N..., once per app)"
		if src.cmd == "leftovers" {
			hint = "run render leftovers once per repository, with its apps' specs"
		}
		return nil, fmt.Errorf("%s: pull-request numbers are per repository, and the specs name %d (%s): %s",
			src.flag, len(repos), repoList(specs, func(s *spec.PreviewEnvironment) string { n, _ := specRepo(s); return n }), hint)
	}
	for _, s := range specs {
		out[s.Metadata.Name] = entries
	}
	return out, nil
}

// skippedPR is an open pull request of an app that the app's
// ApplicationSet does not select, so that it gets no env.
type skippedPR struct {
	App    string `json:"app"`
	PR     int    `json:"pr"`
	Folder string `json:"folder"`
	// Reasons says why, one sentence per cause.
	Reasons []string `json:"reasons"`
}

// appSetError is a spec's ApplicationSet that cannot be rendered.
type appSetError struct {
	app string
	err error
}

func (e *appSetError) Error() string { return e.err.Error() }
func (e *appSetError) Unwrap() error { return e.err }

// prFilterFields are the gh fields the generator's filter conditions
// match (Argo CD, Pull Request generator, Filters: branchMatch the head
// branch, targetBranchMatch the base branch, titleMatch the title).
var prFilterFields = []struct{ field, gh string }{
	{"branchMatch", "headRefName"}, {"targetBranchMatch", "baseRefName"}, {"titleMatch", "title"},
}

// providerLabels returns the spec path and the labels of the provider's
// label filter; nil when the provider takes none.
func providerLabels(p *spec.PullRequests) (string, []string) {
	switch {
	case p.GitHub != nil:
		return "spec.argocd.pullRequests.github.labels", p.GitHub.Labels
	case p.GitLab != nil:
		return "spec.argocd.pullRequests.gitlab.labels", p.GitLab.Labels
	case p.Gitea != nil:
		return "spec.argocd.pullRequests.gitea.labels", p.Gitea.Labels
	case p.AzureDevOps != nil:
		return "spec.argocd.pullRequests.azureDevOps.labels", p.AzureDevOps.Labels
	}
	return "", nil
}

// selectPRs keeps, of the app's pull requests from gh's JSON, those that
// the spec's ApplicationSet's pull-request generator lists, as Argo CD
// does (argocd.Match: every label of the provider's labels, and one
// filter whose conditions all match, when there are filters). A pull
// request that lacks a field the generator needs is a usage error; a
// spec without spec.argocd keeps them all. folder names a PR's folder.
func selectPRs(ctx context.Context, s *spec.PreviewEnvironment, prs []ghPR, src *prSource, folder func(app string, pr int) string) ([]int, []skippedPR, error) {
	app := s.Metadata.Name
	numbers := []int{}
	if src.json == nil || s.Spec.ArgoCD == nil || s.Spec.ArgoCD.PullRequests == nil {
		for _, pr := range prs {
			numbers = append(numbers, pr.number)
		}
		return numbers, nil, nil
	}
	type need struct{ gh, path string }
	var needs []need
	p := s.Spec.ArgoCD.PullRequests
	if path, labels := providerLabels(p); len(labels) > 0 {
		needs = append(needs, need{"labels", path})
	}
	for i, f := range p.Filters {
		set := map[string]bool{"branchMatch": f.BranchMatch != "", "targetBranchMatch": f.TargetBranchMatch != "", "titleMatch": f.TitleMatch != ""}
		for _, c := range prFilterFields {
			if set[c.field] {
				needs = append(needs, need{c.gh, fmt.Sprintf("spec.argocd.pullRequests.filters[%d].%s", i, c.field)})
			}
		}
	}
	for _, pr := range prs {
		for _, n := range needs {
			if !pr.fields[n.gh] {
				return nil, nil, fmt.Errorf("%s: %s: %s is missing, and the app %q's %s needs it to select the pull requests as Argo CD does: ask gh for it (%s)", src.flag, pr.at, n.gh, app, n.path, ghFieldsHint)
			}
		}
	}
	objs, err := argocd.AppSet(ctx, s, argocd.Options{})
	if err != nil {
		return nil, nil, &appSetError{app, err}
	}
	var appSet *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "ApplicationSet" {
			appSet = o
		}
	}
	var skipped []skippedPR
	for _, pr := range prs {
		err := argocd.Match(appSet, argocd.PullRequest{Number: pr.number, Branch: pr.headRef, TargetBranch: pr.baseRef, Labels: pr.labels, Title: pr.title})
		var ng *argocd.NotGeneratedError
		switch {
		case errors.As(err, &ng):
			skipped = append(skipped, skippedPR{App: app, PR: pr.number, Folder: folder(app, pr.number), Reasons: skipReasons(ng, p)})
		case err != nil:
			return nil, nil, &appSetError{app, err}
		default:
			numbers = append(numbers, pr.number)
		}
	}
	return numbers, skipped, nil
}

// skipReasons says briefly why the generator does not list a pull
// request, naming the spec's fields.
func skipReasons(ng *argocd.NotGeneratedError, p *spec.PullRequests) []string {
	var out []string
	path, _ := providerLabels(p)
	for _, l := range ng.MissingLabels {
		out = append(out, fmt.Sprintf("lacks the label %q (%s)", l, path))
	}
	if len(ng.Filters) > 0 {
		ms := make([]string, len(ng.Filters))
		for i := range ms {
			ms[i] = ng.Filters[i].String()
		}
		out = append(out, "matches no filter of spec.argocd.pullRequests: "+strings.Join(ms, "; "))
	}
	return out
}

// syncApps resolves the apps of a render sync: each spec with its open
// pull requests, and those its ApplicationSet does not select, sorted by
// app and number.
func syncApps(ctx context.Context, specs []*spec.PreviewEnvironment, src *prSource) ([]render.AppPRs, []skippedPR, error) {
	byApp, err := src.perApp(specs)
	if err != nil {
		return nil, nil, err
	}
	folder := func(app string, pr int) string {
		if len(specs) == 1 {
			return fmt.Sprintf("pr-%d", pr)
		}
		return fmt.Sprintf("%s/pr-%d", app, pr)
	}
	var apps []render.AppPRs
	var skipped []skippedPR
	for _, s := range specs {
		prs, sk, err := selectPRs(ctx, s, byApp[s.Metadata.Name], src, folder)
		if err != nil {
			return nil, nil, err
		}
		apps = append(apps, render.AppPRs{Spec: s, PRs: prs})
		skipped = append(skipped, sk...)
	}
	slices.SortFunc(skipped, func(a, b skippedPR) int {
		if c := strings.Compare(a.App, b.App); c != 0 {
			return c
		}
		return a.PR - b.PR
	})
	return apps, skipped, nil
}

// everyApp returns the one list of open pull requests that render
// leftovers takes for every app; a source whose apps' lists differ is a
// usage error's message.
func (src *prSource) everyApp(specs []*spec.PreviewEnvironment) ([]int, error) {
	if src.byApp != nil {
		return nil, fmt.Errorf("%s APP=N,N...: render leftovers takes one list of open pull requests for every app; run it once per repository", src.flag)
	}
	byApp, err := src.perApp(specs)
	if err != nil {
		return nil, err
	}
	var first []int
	for i, s := range specs {
		var prs []int
		for _, pr := range byApp[s.Metadata.Name] {
			prs = append(prs, pr.number)
		}
		if i > 0 && !slices.Equal(prs, first) {
			return nil, fmt.Errorf("%s: the apps %q and %q have different open pull requests (their repositories differ): render leftovers takes one list for every app; run it once per repository", src.flag, specs[0].Metadata.Name, s.Metadata.Name)
		}
		first = prs
	}
	if first == nil {
		first = []int{}
	}
	return first, nil
}
