package argocd

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The pull-request providers of Argo CD's generator, as the ApplicationSet
// CRD spells their keys, and those whose generator takes labels.
var (
	prProviders     = []string{"github", "gitlab", "gitea", "bitbucketServer", "bitbucket", "azuredevops"}
	labelProviders  = []string{"github", "gitlab", "gitea", "azuredevops"}
	providerTitles  = map[string]string{"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea", "bitbucketServer": "Bitbucket Server", "bitbucket": "Bitbucket Cloud", "azuredevops": "Azure DevOps"}
	generatorFields = []string{"filters", "requeueAfterSeconds", "continueOnRepoNotFoundError"}
)

func providerTitle(p string) string {
	if t, ok := providerTitles[p]; ok {
		return t
	}
	return p
}

// A filter condition: the field of the filter, and the generator
// parameter it is matched against.
type condition struct {
	field, param string
	value        func(PullRequest) string
}

// conditions are the filter conditions Argo CD evaluates, in its order.
var conditions = []condition{
	{"branchMatch", "branch", func(pr PullRequest) string { return pr.Branch }},
	{"targetBranchMatch", "target_branch", func(pr PullRequest) string { return pr.TargetBranch }},
	{"titleMatch", "title", func(pr PullRequest) string { return pr.Title }},
}

// generator is the pull-request generator of a rendered ApplicationSet, as
// far as it decides which pull requests Argo CD lists.
type generator struct {
	provider string
	labels   []string
	filters  []map[string]*regexp.Regexp // condition field -> compiled regexp
	sources  []map[string]string         // condition field -> the regexp's text
}

// readGenerator reads the ApplicationSet's one pullRequest generator. It
// refuses what render apps cannot evaluate offline: other generators, a
// post-selector, generator values, filter conditions other than branch,
// target-branch and title matches.
func readGenerator(appSet *unstructured.Unstructured) (*generator, error) {
	gens, _, err := unstructured.NestedSlice(appSet.Object, "spec", "generators")
	if err != nil || len(gens) != 1 {
		return nil, fmt.Errorf("spec.generators must hold exactly one pullRequest generator, got %d", len(gens))
	}
	g0, ok := gens[0].(map[string]any)
	if !ok || len(g0) != 1 || g0["pullRequest"] == nil {
		return nil, fmt.Errorf("spec.generators[0] must be a pullRequest generator and nothing else (no selector), got the fields %q", slices.Sorted(maps.Keys(g0)))
	}
	prg, ok := g0["pullRequest"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("spec.generators[0].pullRequest is not an object")
	}
	g := &generator{}
	for _, k := range slices.Sorted(maps.Keys(prg)) {
		switch {
		case slices.Contains(prProviders, k):
			if g.provider != "" {
				return nil, fmt.Errorf("spec.generators[0].pullRequest sets two providers, %s and %s", g.provider, k)
			}
			g.provider = k
		case !slices.Contains(generatorFields, k):
			return nil, fmt.Errorf("spec.generators[0].pullRequest.%s: render apps cannot evaluate this field offline", k)
		}
	}
	if g.provider == "" {
		return nil, fmt.Errorf("spec.generators[0].pullRequest sets no provider (one of %s)", strings.Join(prProviders, ", "))
	}
	if slices.Contains(labelProviders, g.provider) {
		labels, _, err := unstructured.NestedStringSlice(prg, g.provider, "labels")
		if err != nil {
			return nil, fmt.Errorf("spec.generators[0].pullRequest.%s.labels: %w", g.provider, err)
		}
		g.labels = labels
	}
	filters, _, err := unstructured.NestedSlice(prg, "filters")
	if err != nil {
		return nil, fmt.Errorf("spec.generators[0].pullRequest.filters: %w", err)
	}
	for i, f := range filters {
		fm, ok := f.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("spec.generators[0].pullRequest.filters[%d] is not an object", i)
		}
		compiled, src := map[string]*regexp.Regexp{}, map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(fm)) {
			if !slices.ContainsFunc(conditions, func(c condition) bool { return c.field == k }) {
				return nil, fmt.Errorf("spec.generators[0].pullRequest.filters[%d].%s: render apps cannot evaluate this condition offline", i, k)
			}
			s, ok := fm[k].(string)
			if !ok {
				return nil, fmt.Errorf("spec.generators[0].pullRequest.filters[%d].%s is not a string", i, k)
			}
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, fmt.Errorf("spec.generators[0].pullRequest.filters[%d].%s: %w", i, k, err)
			}
			compiled[k], src[k] = re, s
		}
		g.filters = append(g.filters, compiled)
		g.sources = append(g.sources, src)
	}
	return g, nil
}

// NotGeneratedError reports that Argo CD's pull-request generator would
// not list the pull request, so that Argo CD generates no Application for
// it: it lacks a label the generator's provider lists, or no filter
// matches it.
type NotGeneratedError struct {
	// Number is the pull request's.
	Number int
	// Provider is the generator's provider key (github, gitlab, ...).
	Provider string
	// MissingLabels are the generator's labels the pull request lacks.
	MissingLabels []string
	// Filters, when the generator has filters and none matches, lists
	// every condition that failed, filter by filter.
	Filters []FilterMismatch
}

// FilterMismatch is one condition of a filter that a pull request fails.
type FilterMismatch struct {
	// Filter is the filter's index in the generator's filters.
	Filter int
	// Field is the condition: branchMatch, targetBranchMatch or titleMatch.
	Field string
	// Regexp is the condition's regular expression.
	Regexp string
	// Param is the generator parameter it is matched against: branch,
	// target_branch or title.
	Param string
	// Value is the pull request's value of Param.
	Value string
}

func (m FilterMismatch) String() string {
	return fmt.Sprintf("filters[%d].%s %q does not match the %s %q", m.Filter, m.Field, m.Regexp, strings.ReplaceAll(m.Param, "_", " "), m.Value)
}

// Reasons says why, one sentence per cause.
func (e *NotGeneratedError) Reasons() []string {
	var out []string
	for _, l := range e.MissingLabels {
		out = append(out, fmt.Sprintf("the pull request lacks the label %q, which the generator's %s.labels lists: Argo CD lists only pull requests that carry every label listed", l, e.Provider))
	}
	if len(e.Filters) > 0 {
		var ms []string
		for _, m := range e.Filters {
			ms = append(ms, m.String())
		}
		out = append(out, "no filter matches, and Argo CD lists only pull requests that match at least one filter (all the conditions of one filter): "+strings.Join(ms, "; "))
	}
	return out
}

func (e *NotGeneratedError) Error() string {
	return fmt.Sprintf("Argo CD generates no Application for pull request %d: %s", e.Number, strings.Join(e.Reasons(), "; and "))
}

// match returns why the generator would not list pr, or nil when it does,
// with Argo CD's semantics: the provider keeps the pull requests that
// carry every label listed (names compared exactly); then, when there are
// filters, a pull request is kept when at least one filter matches it, and
// a filter matches when every condition it sets matches (Go regexps,
// unanchored, as regexp.MatchString).
func (g *generator) match(pr PullRequest) *NotGeneratedError {
	e := &NotGeneratedError{Number: pr.Number, Provider: g.provider}
	for _, l := range g.labels {
		if !slices.Contains(pr.Labels, l) && !slices.Contains(e.MissingLabels, l) {
			e.MissingLabels = append(e.MissingLabels, l)
		}
	}
	if len(g.filters) > 0 {
		var failed []FilterMismatch
		matched := false
		for i, f := range g.filters {
			var fails []FilterMismatch
			for _, c := range conditions {
				re, ok := f[c.field]
				if !ok {
					continue
				}
				if v := c.value(pr); !re.MatchString(v) {
					fails = append(fails, FilterMismatch{Filter: i, Field: c.field, Regexp: g.sources[i][c.field], Param: c.param, Value: v})
				}
			}
			if len(fails) == 0 {
				matched = true
				break
			}
			failed = append(failed, fails...)
		}
		if !matched {
			e.Filters = failed
		}
	}
	if len(e.MissingLabels) == 0 && len(e.Filters) == 0 {
		return nil
	}
	return e
}

// Match reports whether Argo CD's pull-request generator, as the rendered
// appSet configures it, lists the pull request and so generates an
// Application for it: nil when it does, a *NotGeneratedError saying why
// when it does not, another error when the generator cannot be evaluated
// offline (see [Application]). The pull request is taken to be open.
func Match(appSet *unstructured.Unstructured, pr PullRequest) error {
	g, err := readGenerator(appSet)
	if err != nil {
		return err
	}
	if e := g.match(pr); e != nil {
		return e
	}
	return nil
}
