package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

// maxPRListSize bounds a --prs-file or --prs-json input.
const maxPRListSize int64 = 4 << 20

func runSync(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("sync", "-f SPEC [-f SPEC|DIR]... (--prs N,N... | --prs-file FILE | --prs-json FILE) --output-dir DIR [flags]", stderr)
	var (
		files                     listFlag
		prsList, prsFile, prsJSON string
		prsListSet                bool
		outDir, outputMode        string
		crdPaths                  listFlag
		overrides                 overrideFlags
	)
	fs.Var(&files, "f", "a spec `FILE` (prenv.yaml), - for standard input, or a folder whose prenv.yaml and */prenv.yaml are read (repeatable)")
	fs.Func("prs", "the open pull requests, comma-separated: `N,N...`, for example 12,15,31", func(v string) error {
		prsList, prsListSet = v, true
		return nil
	})
	fs.StringVar(&prsFile, "prs-file", "", "a `FILE` with the open pull requests, one number a line (- for standard input); an empty file removes every PR folder")
	fs.StringVar(&prsJSON, "prs-json", "", "`FILE` with the open pull requests as gh pr list --json number,headRefName,headRefOid,labels prints them (- for standard input)")
	fs.StringVar(&outDir, "output-dir", "", "the tree to write (`DIR`): pr-<n>/ per open PR, <app>/pr-<n>/ with several specs (required)")
	var kit kitFlags
	kit.register(fs, "a folder (`DIR`) whose template files override the embedded kit's by name")
	fs.Var(&crdPaths, "crds", "CRD files or folders (`PATH`) that replace or extend the embedded schemas the output is validated against (repeatable)")
	fs.StringVar(&outputMode, "o", "text", "summary `FORMAT`: text or json")
	var baseFlag baseFlags
	baseFlag.register(fs, true, false)
	overrides.register(fs)
	if code, ok := parseNoArgs(fs, args, stderr); !ok {
		return code
	}
	if code := overrides.check("sync", "", stderr); code != exitOK {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "render sync: "+format+"\n", a...)
		return exitUsage
	}
	if len(files) == 0 {
		return usageErr("-f SPEC is required (a prenv.yaml, - for standard input, or a folder of them)")
	}
	if outDir == "" {
		return usageErr("--output-dir DIR is required")
	}
	if outputMode != "text" && outputMode != "json" {
		return usageErr("-o %q: must be text or json", outputMode)
	}
	sources := 0
	for _, set := range []bool{prsListSet, prsFile != "", prsJSON != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return usageErr("give the open pull requests with exactly one of --prs, --prs-file and --prs-json")
	}
	stdinUses := 0
	for _, f := range append(slices.Clone([]string(files)), prsFile, prsJSON) {
		if f == "-" {
			stdinUses++
		}
	}
	if stdinUses+baseFlag.stdinUses() > 1 {
		return usageErr("standard input (-) can be read only once")
	}

	var prs []int
	var err error
	switch {
	case prsListSet:
		prs, err = parsePRList(prsList)
		if err != nil {
			return usageErr("--prs: %v", err)
		}
	case prsFile != "":
		data, code := readPRInput("sync", "--prs-file", prsFile, stdin, stderr)
		if data == nil && code != exitOK {
			return code
		}
		if prs, err = parsePRLines(data); err != nil {
			return usageErr("--prs-file %s: %v", prsFile, err)
		}
	default:
		data, code := readPRInput("sync", "--prs-json", prsJSON, stdin, stderr)
		if data == nil && code != exitOK {
			return code
		}
		if prs, err = parsePRJSON(data); err != nil {
			return usageErr("--prs-json %s: %v", prsJSON, err)
		}
	}

	specs, code := loadSyncSpecs("sync", files, overrides.list, stdin, stderr)
	if code != exitOK {
		return code
	}
	base, code := baseFlag.load("sync", overrides.list, stdin, stderr)
	if code != exitOK {
		return code
	}

	opts, done, code := kit.options("sync", stderr)
	if done == nil {
		return code
	}
	defer done()
	opts.Base = base
	renderer, err := render.NewRenderer(opts)
	if err != nil {
		fmt.Fprintf(stderr, "render sync: %v\n", err)
		if kit.templatesDir != "" {
			return exitInvalid
		}
		return exitInternal
	}
	srcs, err := validate.LoadCRDFiles(crdPaths...)
	if err != nil {
		return usageErr("--crds: %v", err)
	}
	// The validator is built while the first envs render; each env waits
	// for it before its validation. Should it fail (a --crds schema), no
	// env passes and nothing is written; its error is then the one shown.
	var (
		v          *validate.Validator
		errNew     error
		validatorc = make(chan struct{})
	)
	go func() {
		defer close(validatorc)
		v, errNew = validate.New(ctx, validate.Options{CRDs: srcs})
	}()
	if len(prs) == 0 {
		// No env to validate: Sync would write at once, so the validator's
		// verdict on --crds must come first.
		<-validatorc
		if errNew != nil {
			return usageErr("--crds: %v", errNew)
		}
	}
	res, err := render.Sync(ctx, outDir, specs, prs, render.SyncOptions{
		Renderer: renderer,
		Validate: func(ctx context.Context, out *render.Output) []error {
			<-validatorc
			if errNew != nil {
				return []error{errNew}
			}
			return validateEnv(ctx, v, out)
		},
	})
	<-validatorc
	if errNew != nil {
		return usageErr("--crds: %v", errNew)
	}
	if err != nil {
		return reportSyncError(stderr, outDir, err, kit.templatesDir != "" || len(crdPaths) > 0)
	}
	if outputMode == "json" {
		return writeSyncJSON(stdout, stderr, outDir, res)
	}
	io.WriteString(stdout, syncSummary(outDir, res))
	return exitOK
}

// validateEnv validates one env's objects with v as render env does; each
// problem is one error.
func validateEnv(ctx context.Context, v *validate.Validator, out *render.Output) []error {
	r, err := v.ValidateObjects(ctx, out.Objects, nil)
	if err != nil {
		return []error{err}
	}
	errs := make([]error, len(r.Problems))
	for i, p := range r.Problems {
		errs[i] = errors.New(p.String())
	}
	return errs
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

// parsePRJSON parses --prs-json: the array of objects that
// `gh pr list --json number,headRefName,headRefOid,labels` prints, with any
// other field gh prints. Only number is used; the shape is checked
// strictly, so that other JSON (an object, a field gh does not print, a
// number that is not a whole one) is refused with its path. Field names
// as gh prints them (labels as id, name, description, color).
func parsePRJSON(data []byte) ([]int, error) {
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
	prs := []int{}
	seen := map[int]string{}
	for i, it := range items {
		at := func(k string) string { return fmt.Sprintf("[%d].%s", i, k) }
		if it == nil {
			return nil, fmt.Errorf("[%d]: must be an object, got null", i)
		}
		raw, ok := it["number"]
		if !ok {
			return nil, fmt.Errorf("[%d]: number is required", i)
		}
		var num json.Number
		if err := json.Unmarshal(raw, &num); err != nil || !isJSONNumber(raw) {
			return nil, fmt.Errorf("%s: must be a number, got %s", at("number"), raw)
		}
		pr, err := parsePR(num.String())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at("number"), err)
		}
		for _, k := range slices.Sorted(maps.Keys(it)) {
			v := it[k]
			switch k {
			case "number":
			case "headRefName", "headRefOid":
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, fmt.Errorf("%s: must be a string, got %s", at(k), v)
				}
			case "labels":
				var labels []map[string]json.RawMessage
				if err := json.Unmarshal(v, &labels); err != nil || labels == nil {
					return nil, fmt.Errorf("%s: must be an array of label objects, got %s", at(k), v)
				}
				for j, l := range labels {
					for _, lk := range slices.Sorted(maps.Keys(l)) {
						var s string
						switch lk {
						case "id", "name", "description", "color":
							if err := json.Unmarshal(l[lk], &s); err != nil {
								return nil, fmt.Errorf("%s[%d].%s: must be a string, got %s", at(k), j, lk, l[lk])
							}
						default:
							return nil, fmt.Errorf("%s[%d]: unknown field %q (a label has id, name, description and color)", at(k), j, lk)
						}
					}
				}
			default:
				if !slices.Contains(ghPRFields, k) {
					return nil, fmt.Errorf("[%d]: unknown field %q (not a field of gh pr list --json; prenv reads number, and checks headRefName, headRefOid and labels)", i, k)
				}
			}
		}
		if prs, err = addPR(prs, seen, pr, at("number")); err != nil {
			return nil, err
		}
	}
	return prs, nil
}

func isJSONNumber(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))
}

// specDoc is one spec file as read.
type specDoc struct {
	name string
	data []byte
}

// loadSyncSpecs reads every -f: a file, - or a folder (its prenv.yaml and
// */prenv.yaml, read without leaving it). Every spec that fails is
// reported before it returns, for the command cmd; the exit code is the
// worst one.
func loadSyncSpecs(cmd string, args []string, overrides []spec.Override, stdin io.Reader, stderr io.Writer) ([]*spec.PreviewEnvironment, int) {
	return loadSpecs(cmd, "-f", false, args, overrides, stdin, stderr)
}

// loadSpecs is loadSyncSpecs for the flag flagName. For the base
// branch's specs (base), a path that does not exist and a folder without
// a spec mean the base branch has no spec of the app: no spec and exit 1
// for the first, no spec for the second, where -f makes both usage errors.
func loadSpecs(cmd, flagName string, base bool, args []string, overrides []spec.Override, stdin io.Reader, stderr io.Writer) ([]*spec.PreviewEnvironment, int) {
	var specs []*spec.PreviewEnvironment
	code := exitOK
	worst := func(c int) {
		if c == exitUsage || code == exitOK {
			code = max(code, c)
		}
	}
	readFailed := func(name string, err error) {
		if base && errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "render %s: %s: %v: %s\n", cmd, name, pathError(err), noBaseSpec)
			worst(exitInvalid)
			return
		}
		fmt.Fprintf(stderr, "render %s: %s: %v\n", cmd, name, pathError(err))
		if fileRefused(err) {
			worst(exitInvalid)
		} else {
			worst(exitUsage)
		}
	}
	for _, a := range args {
		var docs []specDoc
		if fi, err := os.Stat(a); a != "-" && err == nil && fi.IsDir() {
			docs = readSpecFolder(a, readFailed)
			if docs == nil && !base {
				fmt.Fprintf(stderr, "render %s: %s %s: no prenv.yaml in this folder or its subfolders\n", cmd, flagName, a)
				worst(exitUsage)
			}
		} else {
			data, err := readInput(a, stdin)
			if err != nil {
				readFailed(flagName, err)
				continue
			}
			docs = []specDoc{{a, data}}
		}
		for _, d := range docs {
			env, err := spec.LoadNamed(d.name, d.data, overrides...)
			if err != nil {
				name := d.name
				if base {
					name = flagName + " " + name
				}
				worst(reportError(stderr, name, err))
				continue
			}
			specs = append(specs, env)
		}
	}
	return specs, code
}

// readSpecFolder reads dir/prenv.yaml and dir/*/prenv.yaml, in name
// order, confined to dir and bounded; a file that cannot be read is passed
// to failed. It returns nil when dir has no spec.
func readSpecFolder(dir string, failed func(name string, err error)) []specDoc {
	fsys, err := spec.OpenDirFS(dir, spec.MaxSpecSize)
	if err != nil {
		failed("-f "+dir, err)
		return []specDoc{}
	}
	defer fsys.Close()
	var names []string
	for _, pat := range []string{"prenv.yaml", "*/prenv.yaml"} {
		m, _ := fs.Glob(fsys, pat)
		names = append(names, m...)
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	docs := []specDoc{}
	for _, n := range names {
		name := filepath.Join(dir, filepath.FromSlash(n))
		b, err := fsys.ReadFile(n)
		if err != nil {
			failed(name, err)
			continue
		}
		docs = append(docs, specDoc{name, b})
	}
	return docs
}

// reportSyncError prints why a sync failed and returns the exit code: 1
// for invalid input, 3 when prenv's own output failed its checks (a bug;
// unless --templates or --crds shaped the checks).
func reportSyncError(stderr io.Writer, outDir string, err error, userShaped bool) int {
	var se *render.SyncError
	var inv *spec.InvalidError
	switch {
	case errors.As(err, &se):
		code := exitInvalid
		problems := 0
		for _, e := range se.Envs {
			for _, p := range e.Errs {
				fmt.Fprintf(stderr, "  %s: %s\n", e.Env(), problemText(p))
				problems++
			}
			if (e.Stage == render.StageCheck || e.Stage == render.StageValidate || e.Stage == render.StageFiles) && !userShaped {
				code = exitInternal
			}
			for _, err := range e.Errs {
				if errors.Is(err, validate.ErrEmbeddedSchema) {
					code = exitInternal
				}
			}
		}
		fmt.Fprintf(stderr, "render sync: %d env(s) failed (%d problem(s) above); nothing in %s changed\n", len(se.Envs), problems, outDir)
		if code == exitInternal {
			return internalError(stderr, "its own output failed its checks")
		}
		return code
	case errors.As(err, &inv):
		for _, e := range inv.Errs {
			fmt.Fprintf(stderr, "  %s\n", problemText(e))
		}
		fmt.Fprintf(stderr, "render sync: %d problem(s) above; nothing in %s changed\n", len(inv.Errs), outDir)
		return exitInvalid
	}
	fmt.Fprintf(stderr, "render sync: --output-dir: %v\n", err)
	return exitInvalid
}

// syncReport is the -o json output.
type syncReport struct {
	OutputDir string                `json:"outputDir"`
	Added     int                   `json:"added"`
	Changed   int                   `json:"changed"`
	Unchanged int                   `json:"unchanged"`
	Removed   int                   `json:"removed"`
	Folders   []render.FolderChange `json:"folders"`
}

func writeSyncJSON(stdout, stderr io.Writer, outDir string, res *render.SyncResult) int {
	rep := syncReport{
		OutputDir: filepath.ToSlash(outDir),
		Added:     res.Count(render.FolderAdded), Changed: res.Count(render.FolderChanged),
		Unchanged: res.Count(render.FolderUnchanged), Removed: res.Count(render.FolderRemoved),
		Folders: res.Folders,
	}
	if rep.Folders == nil {
		rep.Folders = []render.FolderChange{}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintf(stderr, "render sync: %v\n", err)
		return exitInternal
	}
	return exitOK
}

// syncSummary is the text summary: one line per PR folder, then totals.
func syncSummary(outDir string, res *render.SyncResult) string {
	var b strings.Builder
	for _, f := range res.Folders {
		fmt.Fprintf(&b, "%-9s %s", f.Status, f.Folder)
		switch f.Status {
		case render.FolderRemoved:
			fmt.Fprintf(&b, " (%s)", validatePlural(len(f.Removed), "file"))
		case render.FolderChanged:
			var parts []string
			for _, c := range []struct {
				n    int
				what string
			}{{len(f.Added), "added"}, {len(f.Changed), "changed"}, {len(f.Removed), "removed"}} {
				if c.n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
				}
			}
			fmt.Fprintf(&b, " (%s: %s)", validatePlural(f.Files, "file"), strings.Join(parts, ", "))
		default:
			fmt.Fprintf(&b, " (%s)", validatePlural(f.Files, "file"))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%s: %d added, %d changed, %d unchanged, %d removed\n", path.Clean(filepath.ToSlash(outDir)),
		res.Count(render.FolderAdded), res.Count(render.FolderChanged), res.Count(render.FolderUnchanged), res.Count(render.FolderRemoved))
	return b.String()
}
