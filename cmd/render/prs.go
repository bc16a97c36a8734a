package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"prenv.dev/prenv/spec"
)

// maxPRListSize bounds a --prs-file or --prs-json input.
const maxPRListSize int64 = 4 << 20

// openPRFlags are --prs, --prs-file and --prs-json, the open pull requests of
// render sync and render leftovers.
type openPRFlags struct {
	list       listFlag // each --prs
	file, json string
}

func (p *openPRFlags) register(fs *flag.FlagSet, emptyFile string) {
	fs.Var(&p.list, "prs", "the open pull requests, comma-separated: `N,N...` for every app, for example 12,15,31; or APP=N,N..., once per app, when the apps' pull requests differ (apps of different repositories)")
	fs.StringVar(&p.file, "prs-file", "", "a `FILE` with the open pull requests, one number a line (- for standard input); "+emptyFile)
	fs.StringVar(&p.json, "prs-json", "", "`FILE` with the open pull requests as gh pr list --json number,url,labels,headRefName,baseRefName,title prints them (- for standard input): each app gets those of the repository its spec.argocd.pullRequests.github names, and only those its ApplicationSet's labels and filters select")
}

// stdinUses counts the inputs that read standard input.
func (p *openPRFlags) stdinUses() int {
	return stdinUses([]string{p.file, p.json})
}

// stdinUses counts the files that are standard input (-).
func stdinUses(files []string) int {
	n := 0
	for _, f := range files {
		if f == "-" {
			n++
		}
	}
	return n
}

// prSource is the open pull requests as one of --prs, --prs-file and
// --prs-json gives them.
type prSource struct {
	// cmd is the command: sync or leftovers.
	cmd string
	// flag names the input in messages: --prs, --prs-file FILE, --prs-json FILE.
	flag string
	// numbers are the open pull requests of every app (--prs N,N...,
	// --prs-file).
	numbers []int
	// byApp are each app's (--prs APP=N,N...), apps in flag order.
	byApp map[string][]int
	apps  []string
	// json are gh's pull requests (--prs-json), nil otherwise.
	json []ghPR
}

// read reads the one input given, for the command cmd. On failure it
// prints why and returns nil and the exit code.
func (p *openPRFlags) read(cmd string, stdin io.Reader, stderr io.Writer) (*prSource, int) {
	usageErr := func(format string, a ...any) (*prSource, int) {
		fmt.Fprintf(stderr, "render %s: "+format+"\n", append([]any{cmd}, a...)...)
		return nil, exitUsage
	}
	n := 0
	for _, set := range []bool{len(p.list) > 0, p.file != "", p.json != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return usageErr("give the open pull requests with exactly one of --prs, --prs-file and --prs-json")
	}
	switch {
	case len(p.list) > 0:
		src := &prSource{cmd: cmd, flag: "--prs"}
		var err error
		if src.byApp, src.apps, err = parseAppPRLists(p.list); err != nil {
			return usageErr("--prs %v", err)
		}
		if src.byApp == nil {
			if src.numbers, err = parsePRList(p.list[0]); err != nil {
				return usageErr("--prs: %v", err)
			}
		}
		return src, exitOK
	case p.file != "":
		data, code := readPRInput(cmd, "--prs-file", p.file, stdin, stderr)
		if data == nil {
			return nil, code
		}
		prs, err := parsePRLines(data)
		if err != nil {
			return usageErr("--prs-file %s: %v", p.file, err)
		}
		return &prSource{cmd: cmd, flag: "--prs-file " + p.file, numbers: prs}, exitOK
	}
	data, code := readPRInput(cmd, "--prs-json", p.json, stdin, stderr)
	if data == nil {
		return nil, code
	}
	prs, err := parsePRJSON(data)
	if err != nil {
		return usageErr("--prs-json %s: %v", p.json, err)
	}
	return &prSource{cmd: cmd, flag: "--prs-json " + p.json, json: prs}, exitOK
}

// readPRInput reads a --prs-file or --prs-json input (- for standard input),
// bounded, for the command cmd. On failure it prints why and returns nil
// and the exit code.
func readPRInput(cmd, flagName, name string, stdin io.Reader, stderr io.Writer) ([]byte, int) {
	var data []byte
	var err error
	if name == "-" {
		data, err = spec.ReadAll(stdin, "<stdin>", maxPRListSize)
	} else {
		data, err = spec.ReadFile(name, maxPRListSize)
	}
	if err != nil {
		fmt.Fprintf(stderr, "render %s: %s: %v\n", cmd, flagName, pathError(err))
		return nil, exitUsage
	}
	if data == nil {
		data = []byte{}
	}
	return data, exitOK
}

// parsePR parses one pull-request number: decimal digits without sign or
// leading zero, between 1 and spec.MaxPR.
func parsePR(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > spec.MaxPR || strconv.Itoa(n) != s {
		return 0, fmt.Errorf("%q is not a pull-request number (%s)", s, prRule)
	}
	return n, nil
}

// addPR appends pr to prs unless it is there; where says where pr was read.
func addPR(prs []int, seen map[int]string, pr int, where string) ([]int, error) {
	if first, ok := seen[pr]; ok {
		return nil, fmt.Errorf("%s: pull request %d is listed twice (first at %s)", where, pr, first)
	}
	seen[pr] = where
	return append(prs, pr), nil
}

// parsePRList parses --prs: comma-separated numbers, at least one.
func parsePRList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no pull-request number given (to remove every PR folder, pass an empty --prs-file or --prs-json [])")
	}
	var prs []int
	seen := map[int]string{}
	for i, part := range strings.Split(s, ",") {
		where := fmt.Sprintf("item %d", i+1)
		pr, err := parsePR(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if prs, err = addPR(prs, seen, pr, where); err != nil {
			return nil, err
		}
	}
	return prs, nil
}

// parseAppPRLists parses repeated --prs values of the form APP=N,N...; it
// returns nil when the one value given is a plain list. The error starts
// with the value it is about.
func parseAppPRLists(values []string) (map[string][]int, []string, error) {
	perApp := 0
	for _, v := range values {
		if strings.Contains(v, "=") {
			perApp++
		}
	}
	switch {
	case perApp == 0 && len(values) == 1:
		return nil, nil, nil
	case perApp == 0:
		return nil, nil, fmt.Errorf("%s: a second list: give every open pull request in one comma-separated list, or one APP=N,N... per app", values[1])
	case perApp < len(values):
		plain := values[slices.IndexFunc(values, func(v string) bool { return !strings.Contains(v, "=") })]
		return nil, nil, fmt.Errorf("%s: a list for every app and lists per app (APP=N,N...) cannot be mixed", plain)
	}
	byApp := map[string][]int{}
	var apps []string
	for _, v := range values {
		app, list, _ := strings.Cut(v, "=")
		if _, ok := byApp[app]; ok {
			return nil, nil, fmt.Errorf("%s: app %q is given twice", v, app)
		}
		prs, err := parsePRList(list)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", v, err)
		}
		byApp[app] = prs
		apps = append(apps, app)
	}
	return byApp, apps, nil
}

// parsePRLines parses --prs-file: one number a line; blank lines are
// skipped, spaces around a number ignored.
func parsePRLines(data []byte) ([]int, error) {
	prs := []int{}
	seen := map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, int(maxPRListSize))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		where := fmt.Sprintf("line %d", line)
		pr, err := parsePR(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if prs, err = addPR(prs, seen, pr, where); err != nil {
			return nil, err
		}
	}
	return prs, sc.Err()
}

// ghPRFields are the JSON fields of `gh pr list --json` (GitHub CLI manual,
// gh pr list, "JSON Fields", gh 2.8x).
var ghPRFields = []string{
	"additions", "assignees", "author", "autoMergeRequest", "baseRefName", "baseRefOid", "body",
	"changedFiles", "closed", "closedAt", "closingIssuesReferences", "comments", "commits", "createdAt",
	"deletions", "files", "fullDatabaseId", "headRefName", "headRefOid", "headRepository",
	"headRepositoryOwner", "id", "isCrossRepository", "isDraft", "labels", "latestReviews",
	"maintainerCanModify", "mergeCommit", "mergeStateStatus", "mergeable", "mergedAt", "mergedBy",
	"milestone", "number", "potentialMergeCommit", "projectCards", "projectItems", "reactionGroups",
	"reviewDecision", "reviewRequests", "reviews", "state", "statusCheckRollup", "title", "updatedAt", "url",
}

// ghStringFields are the string fields of gh's pull requests that prenv
// reads (url, and what the generator's filters match) or checks.
var ghStringFields = []string{"baseRefName", "headRefName", "headRefOid", "title", "url"}

// ghPR is one pull request of gh pr list's JSON, as far as prenv reads it.
type ghPR struct {
	// at is where it is in the input: [i].
	at     string
	number int
	// repo is OWNER/REPO from its url; "" without url.
	repo string
	// fields are the fields given.
	fields map[string]bool
	// labels are the labels' names.
	labels                  []string
	headRef, baseRef, title string
}

// parsePRJSON parses --prs-json: the array of objects that
// `gh pr list --json number,url,labels,...` prints, with any other field gh
// prints. number, url, labels' names, headRefName, baseRefName and title
// are read; the shape is checked strictly, so that other JSON (an object, a
// field gh does not print, a number that is not a whole one, a url that is
// not the pull request's) is refused with its path. Field names as gh
// prints them (labels as id, name, description, color). Each number is
// listed once per repository.
func parsePRJSON(data []byte) ([]ghPR, error) {
	var items []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&items); err != nil {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, errors.New("empty input; gh pr list prints [] when no pull request is open")
		}
		return nil, fmt.Errorf("not a JSON array of pull requests (as gh pr list --json number,... prints): %v", err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	if items == nil {
		return nil, errors.New("not a JSON array of pull requests (as gh pr list --json number,... prints): null")
	}
	prs := []ghPR{}
	seen := map[string]map[int]string{} // lower-case repo → number → where
	for i, it := range items {
		pr, err := parseGHPR(i, it)
		if err != nil {
			return nil, err
		}
		if i > 0 && pr.fields["url"] != prs[0].fields["url"] {
			return nil, fmt.Errorf("%s: url is given for some pull requests and not for others; ask gh for it (gh pr list --json number,url,...)", pr.at)
		}
		key := strings.ToLower(pr.repo)
		if seen[key] == nil {
			seen[key] = map[int]string{}
		}
		if _, err := addPR(nil, seen[key], pr.number, pr.at+".number"); err != nil {
			return nil, err
		}
		prs = append(prs, pr)
	}
	return prs, nil
}

// parseGHPR parses the i-th pull request of gh's JSON.
func parseGHPR(i int, it map[string]json.RawMessage) (ghPR, error) {
	pr := ghPR{at: fmt.Sprintf("[%d]", i), fields: map[string]bool{}}
	at := func(k string) string { return pr.at + "." + k }
	if it == nil {
		return pr, fmt.Errorf("%s: must be an object, got null", pr.at)
	}
	raw, ok := it["number"]
	if !ok {
		return pr, fmt.Errorf("%s: number is required", pr.at)
	}
	var num json.Number
	if err := json.Unmarshal(raw, &num); err != nil || !isJSONNumber(raw) {
		return pr, fmt.Errorf("%s: must be a number, got %s", at("number"), raw)
	}
	n, err := parsePR(num.String())
	if err != nil {
		return pr, fmt.Errorf("%s: %w", at("number"), err)
	}
	pr.number = n
	strs := map[string]*string{"headRefName": &pr.headRef, "baseRefName": &pr.baseRef, "title": &pr.title, "headRefOid": new(string), "url": new(string)}
	for _, k := range slices.Sorted(maps.Keys(it)) {
		v := it[k]
		pr.fields[k] = true
		switch {
		case k == "number":
		case slices.Contains(ghStringFields, k):
			if err := json.Unmarshal(v, strs[k]); err != nil {
				return pr, fmt.Errorf("%s: must be a string, got %s", at(k), v)
			}
		case k == "labels":
			if pr.labels, err = parseGHLabels(at(k), v); err != nil {
				return pr, err
			}
		case !slices.Contains(ghPRFields, k):
			return pr, fmt.Errorf("%s: unknown field %q (not a field of gh pr list --json; prenv reads number, url, labels, headRefName, baseRefName and title, and checks headRefOid)", pr.at, k)
		}
	}
	if pr.fields["url"] {
		if pr.repo, err = prURLRepo(*strs["url"], pr.number); err != nil {
			return pr, fmt.Errorf("%s: %v", at("url"), err)
		}
	}
	return pr, nil
}

// parseGHLabels parses a pull request's labels (at is their path) and
// returns their names.
func parseGHLabels(at string, v json.RawMessage) ([]string, error) {
	var labels []map[string]json.RawMessage
	if err := json.Unmarshal(v, &labels); err != nil || labels == nil {
		return nil, fmt.Errorf("%s: must be an array of label objects, got %s", at, v)
	}
	names := []string{}
	for j, l := range labels {
		for _, lk := range slices.Sorted(maps.Keys(l)) {
			var s string
			switch lk {
			case "id", "name", "description", "color":
				if err := json.Unmarshal(l[lk], &s); err != nil {
					return nil, fmt.Errorf("%s[%d].%s: must be a string, got %s", at, j, lk, l[lk])
				}
				if lk == "name" {
					names = append(names, s)
				}
			default:
				return nil, fmt.Errorf("%s[%d]: unknown field %q (a label has id, name, description and color)", at, j, lk)
			}
		}
	}
	return names, nil
}

// prURLRepo returns OWNER/REPO of a pull request's URL as GitHub gives it,
// https://HOST/OWNER/REPO/pull/NUMBER (GitHub REST API, pull requests,
// html_url; gh pr list's url), whose NUMBER must be number. The host is
// not checked: GitHub Enterprise has its own.
func prURLRepo(s string, number int) (string, error) {
	u, err := url.Parse(s)
	parts := []string{}
	if err == nil {
		parts = strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[2] != "pull" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not a pull request's URL (https://github.com/OWNER/REPO/pull/NUMBER)", s)
	}
	if parts[3] != strconv.Itoa(number) {
		return "", fmt.Errorf("%q is the URL of pull request %s, not of number %d", s, parts[3], number)
	}
	return parts[0] + "/" + parts[1], nil
}

func isJSONNumber(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))
}
