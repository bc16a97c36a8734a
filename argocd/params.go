package argocd

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/spec"
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

// shaRE matches a commit SHA as the providers report it: lowercase hex.
var shaRE = regexp.MustCompile(`^[0-9a-f]+$`)

// Head SHA lengths, in hex digits: a full SHA-1 (every provider), a full
// SHA-256 (repositories in Git's SHA-256 object format), and the short
// hash Bitbucket Cloud's pull-request API reports (source.commit.hash),
// which Argo CD passes on as head_sha unchanged.
const (
	shaLenSHA1      = 40
	shaLenSHA256    = 64
	shaLenBitbucket = 12
)

// Check reports what Argo CD's generator could never pass for a pull
// request, whatever the provider: a number outside 1..spec.MaxPR, an
// empty branch (a Git branch has a name), a head SHA that is not lowercase
// hex of 12, 40 or 64 digits, text that is not UTF-8. [Application] also
// checks the head SHA's length against the generator's provider. Field
// paths are the PullRequest's: number, branch, targetBranch, headSHA,
// labels[i], author, title.
func (pr PullRequest) Check() field.ErrorList {
	var errs field.ErrorList
	if pr.Number < 1 || pr.Number > spec.MaxPR {
		errs = append(errs, field.Invalid(field.NewPath("number"), pr.Number, fmt.Sprintf("the pull-request number must be between 1 and %d", spec.MaxPR)))
	}
	if pr.Branch == "" {
		errs = append(errs, field.Required(field.NewPath("branch"), "the pull request's head branch, as the provider reports it"))
	}
	sp := field.NewPath("headSHA")
	switch {
	case pr.HeadSHA == "":
		errs = append(errs, field.Required(sp, "the head commit's SHA"))
	case !shaRE.MatchString(pr.HeadSHA):
		errs = append(errs, field.Invalid(sp, pr.HeadSHA, "must be the head commit's SHA in lowercase hex digits, as the provider reports it"))
	case !slices.Contains([]int{shaLenBitbucket, shaLenSHA1, shaLenSHA256}, len(pr.HeadSHA)):
		errs = append(errs, field.Invalid(sp, pr.HeadSHA, fmt.Sprintf("must be the head commit's full SHA (40 hex digits, or 64 in a SHA-256 repository), or for Bitbucket Cloud the 12-digit short hash its API reports; got %d digits", len(pr.HeadSHA))))
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

// checkHeadSHAFor checks the head SHA's length against what the provider
// reports: Bitbucket Cloud the 12-digit short hash, the others the full
// SHA. pr has passed Check.
func (pr PullRequest) checkHeadSHAFor(provider string) field.ErrorList {
	p := field.NewPath("headSHA")
	n := len(pr.HeadSHA)
	switch {
	case provider == "bitbucket" && n != shaLenBitbucket:
		return field.ErrorList{field.Invalid(p, pr.HeadSHA, fmt.Sprintf("Bitbucket Cloud's API reports the 12-digit short hash and Argo CD passes it on as head_sha: pass %q", pr.HeadSHA[:min(n, shaLenBitbucket)]))}
	case provider != "bitbucket" && n == shaLenBitbucket:
		return field.ErrorList{field.Invalid(p, pr.HeadSHA, fmt.Sprintf("%s reports the head commit's full SHA (40 hex digits, or 64 in a SHA-256 repository)", providerTitle(provider)))}
	}
	return nil
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
