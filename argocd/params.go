package argocd

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/render"
)

// PullRequest is one pull request as Argo CD's pull-request generator sees
// it. Every field but Number and HeadSHA is free text from the provider:
// branch names may hold slashes, capitals, unicode and hundreds of
// characters, and none of it names anything prenv renders.
type PullRequest struct {
	Number       int
	Branch       string
	TargetBranch string
	HeadSHA      string
	Labels       []string
	Author       string
	Title        string
}

var shaRE = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)

// Check reports what Argo CD could never pass for a pull request: a number
// outside 1..render.MaxPR, a head SHA that is not 7 to 64 hex digits, text
// that is not UTF-8. Field paths are the PullRequest's: number, branch,
// targetBranch, headSHA, labels[i], author, title.
func (pr PullRequest) Check() field.ErrorList {
	var errs field.ErrorList
	if pr.Number < 1 || pr.Number > render.MaxPR {
		errs = append(errs, field.Invalid(field.NewPath("number"), pr.Number, fmt.Sprintf("the pull-request number must be between 1 and %d", render.MaxPR)))
	}
	if !shaRE.MatchString(pr.HeadSHA) {
		errs = append(errs, field.Invalid(field.NewPath("headSHA"), pr.HeadSHA, "must be the head commit's SHA: 7 to 64 hex digits"))
	}
	text := func(p *field.Path, s string) {
		if !utf8.ValidString(s) {
			errs = append(errs, field.Invalid(p, field.OmitValueType{}, "must be UTF-8 text"))
		}
	}
	text(field.NewPath("branch"), pr.Branch)
	text(field.NewPath("targetBranch"), pr.TargetBranch)
	text(field.NewPath("author"), pr.Author)
	text(field.NewPath("title"), pr.Title)
	for i, l := range pr.Labels {
		text(field.NewPath("labels").Index(i), l)
	}
	return errs
}

// Params returns the generator's parameters for the pull request, as Argo
// CD computes them with goTemplate: number as a string, branch_slug and
// target_branch_slug with [Slug], head_short_sha (8) and head_short_sha_7
// cut from head_sha, labels as a list.
func (pr PullRequest) Params() map[string]any {
	labels := append([]string{}, pr.Labels...)
	return map[string]any{
		"number":             strconv.Itoa(pr.Number),
		"title":              pr.Title,
		"branch":             pr.Branch,
		"branch_slug":        Slug(pr.Branch),
		"target_branch":      pr.TargetBranch,
		"target_branch_slug": Slug(pr.TargetBranch),
		"head_sha":           pr.HeadSHA,
		"head_short_sha":     pr.HeadSHA[:min(8, len(pr.HeadSHA))],
		"head_short_sha_7":   pr.HeadSHA[:min(7, len(pr.HeadSHA))],
		"labels":             labels,
		"author":             pr.Author,
	}
}
