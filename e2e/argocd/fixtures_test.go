package argocd_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Pull-request numbers of the fixtures the tests name.
const (
	prLogin       = 1          // feature/login, label preview: every GitHub example lists it
	prDraft       = 2          // a draft: GitHub lists drafts as open, and so does Argo CD
	prClosed      = 3          // closed: the API does not list it
	prNoLabel     = 4          // feature branch without labels
	prCaseLabel   = 5          // label "Preview": labels compare exactly
	prFixBranch   = 6          // fix/crash: not ^feature/
	prCapsBranch  = 7          // Feature/Caps: filters are case-sensitive
	prEmptySlug   = 8          // branch "🚀": branch_slug is empty
	prDotsBranch  = 9          // branch "..": branch_slug is empty
	prTargetDev   = 10         // targets develop
	prTitleMatch  = 11         // "[preview]" in the title, branch fix/...
	prSHA256      = 12         // a SHA-256 repository's 64-digit head SHA
	prTeamLabel   = 13         // labels preview and team-web
	prUnderscore  = 20         // branch "_": branch_slug is empty
	prMaxNumber   = 2147483647 // render.MaxPR
	prBulkFirst   = 5000       // first of the bulk pull requests
	bulkPulls     = 240        // with the others, more than two pages of 100
	longTitleSize = 5000
)

// hostileBranches are branch names a pull request can carry (GitHub takes
// most of them; the fake API serves whatever it is given), each with the
// label preview, under feature/ so that the examples' filter keeps them.
var hostileBranches = []string{
	"feature/UPPER_and_under_scores__x",
	"feature/ünïcödé-ß-ø-日本語-Ελληνικά",
	"feature/emoji-🚀-launch",
	"feature/" + strings.Repeat("very-long-branch-name-", 20),
	"feature/abcdefghij-abcdefghij-abcdefghij-abcdefghij-abc",
	"feature/abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij",
	"feature/../../../etc/passwd",
	"feature/{{ .number }}-{{ printf \"%d\" 7 }}",
	"feature/$(touch x);`id`",
	"feature/a b\tc",
	"feature/quotes-\"'-\\",
	"feature/---leading---and---trailing---",
	"feature/...",
	"feature/🚀🚀🚀",
	"feature/#%&*+=?",
	"feature/x: y # z",
	"feature/- item",
	"feature/&anchor *alias !tag",
	"feature/new\nline",
}

// hostileTitles are pull-request titles, printed raw into spec.info.
var hostileTitles = []string{
	"",
	"{{ .branch }} {{ .number }}",
	"multi\nline\ntitle",
	"---",
	"key: value # comment",
	"- item",
	" leading and trailing spaces ",
	"&anchor *alias !tag %directive @at `tick`",
	"\"quoted\" and 'single'",
	"tab\there",
	"yes",
	"0x1F",
	"null",
	"~",
}

// fixtures returns the pull requests the fake GitHub API serves, open and
// closed, in creation order; with bulk, also bulkPulls more, so that the
// open ones fill more than two pages of 100.
func fixtures(bulk bool) []ghPull {
	var ps []ghPull
	add := func(p ghPull) {
		if p.State == "" {
			p.State = "open"
		}
		if p.Base.Ref == "" {
			p.Base.Ref = "main"
		}
		if p.User.Login == "" {
			p.User.Login = "octocat"
		}
		if p.Head.SHA == "" {
			p.Head.SHA = sha1Hex(fmt.Sprint("pr-", p.Number))
		}
		ps = append(ps, p)
	}
	preview := []ghLabel{{Name: "preview"}}
	add(ghPull{Number: prLogin, Title: "Add the login page", Head: ghRef{Ref: "feature/login"}, Labels: preview})
	add(ghPull{Number: prDraft, Draft: true, Title: "WIP: draft", Head: ghRef{Ref: "feature/draft"}, Labels: preview})
	add(ghPull{Number: prClosed, State: "closed", Title: "Closed", Head: ghRef{Ref: "feature/closed"}, Labels: preview})
	add(ghPull{Number: prNoLabel, Title: "No label", Head: ghRef{Ref: "feature/no-label"}})
	add(ghPull{Number: prCaseLabel, Title: "Capital label", Head: ghRef{Ref: "feature/caps-label"}, Labels: []ghLabel{{Name: "Preview"}}})
	add(ghPull{Number: prFixBranch, Title: "Fix the crash", Head: ghRef{Ref: "fix/crash"}, Labels: preview})
	add(ghPull{Number: prCapsBranch, Title: "Caps", Head: ghRef{Ref: "Feature/Caps"}, Labels: preview})
	add(ghPull{Number: prEmptySlug, Title: "Rocket", Head: ghRef{Ref: "🚀"}, Labels: preview})
	add(ghPull{Number: prDotsBranch, Title: "Dots", Head: ghRef{Ref: ".."}, Labels: preview})
	add(ghPull{Number: prTargetDev, Title: "To develop", Head: ghRef{Ref: "feature/to-develop"}, Base: ghRef{Ref: "develop"}, Labels: preview})
	add(ghPull{Number: prTitleMatch, Title: "[preview] Fix the footer", Head: ghRef{Ref: "fix/footer"}, Labels: preview})
	add(ghPull{Number: prSHA256, Title: "SHA-256", Head: ghRef{Ref: "feature/sha256", SHA: sha256Hex("pr-12")}, Labels: preview})
	add(ghPull{Number: prTeamLabel, Title: "Team", Head: ghRef{Ref: "feature/team"}, Labels: []ghLabel{{Name: "other"}, {Name: "team-web"}, {Name: "preview"}}})
	add(ghPull{Number: 14, Title: "Team only", Head: ghRef{Ref: "feature/team-only"}, Labels: []ghLabel{{Name: "team-web"}}})
	add(ghPull{Number: 15, Title: "Label with a space", Head: ghRef{Ref: "feature/space-label"}, Labels: []ghLabel{{Name: "preview "}}})
	add(ghPull{Number: 16, Title: "Release", Head: ghRef{Ref: "release/1.0"}, Base: ghRef{Ref: "release/2.0"}, Labels: preview})
	add(ghPull{Number: 17, Title: "Bot", Head: ghRef{Ref: "feature/deps"}, User: ghUser{Login: "dependabot[bot]"}, Labels: preview})
	add(ghPull{Number: 18, Title: "Closed draft", State: "closed", Draft: true, Head: ghRef{Ref: "feature/closed-draft"}, Labels: preview})
	add(ghPull{Number: 19, Title: strings.Repeat("Ünïcödé title ", longTitleSize/14), Head: ghRef{Ref: "feature/long-title"}, Labels: preview})
	add(ghPull{Number: prUnderscore, Title: "Underscore", Head: ghRef{Ref: "_"}, Labels: preview})
	n := 100
	for _, b := range hostileBranches {
		add(ghPull{Number: n, Title: "Hostile branch", Head: ghRef{Ref: b}, Labels: preview})
		n++
	}
	n = 200
	for _, title := range hostileTitles {
		add(ghPull{Number: n, Title: title, Head: ghRef{Ref: fmt.Sprint("feature/title-", n)}, Labels: preview})
		n++
	}
	for i := range bulkPulls {
		if !bulk {
			break
		}
		p := ghPull{Number: prBulkFirst + i, Title: fmt.Sprint("Bulk ", i), Head: ghRef{Ref: fmt.Sprint("feature/bulk-", i)}}
		switch i % 4 {
		case 0, 1:
			p.Labels = preview
		case 2:
			p.Labels = []ghLabel{{Name: "preview"}, {Name: "team-web"}}
			p.Draft = true
		case 3:
			p.State = "closed"
			p.Labels = preview
		}
		add(p)
	}
	add(ghPull{Number: 10000, Title: "Five digits", Head: ghRef{Ref: "feature/five"}, Labels: preview})
	add(ghPull{Number: prMaxNumber, Title: "The largest number", Head: ghRef{Ref: "feature/max"}, User: ghUser{Login: "ünïcödé"}, Labels: preview})
	return ps
}

func sha1Hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
