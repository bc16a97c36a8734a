package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

func runSync(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("sync", "-f SPEC [-f SPEC|DIR]... (--prs N,N... | --prs APP=N,N... ... | --prs-file FILE | --prs-json FILE) --output-dir DIR [flags]", stderr)
	var (
		files              listFlag
		prs                openPRFlags
		outDir, outputMode string
		crdPaths           listFlag
		overrides          overrideFlags
	)
	fs.Var(&files, "f", "a spec `FILE` (prenv.yaml), - for standard input, or a folder whose prenv.yaml and */prenv.yaml are read (repeatable)")
	prs.register(fs, "an empty file removes every PR folder")
	fs.StringVar(&outDir, "output-dir", "", "the tree to write (`DIR`): pr-<n>/ per open PR, <app>/pr-<n>/ with several specs (required)")
	var kit kitFlags
	kit.register(fs, "a folder (`DIR`) whose template files override the embedded kit's by name")
	fs.Var(&crdPaths, "crds", "CRD files or folders (`PATH`) that replace or extend the embedded schemas the output is validated against (repeatable)")
	fs.StringVar(&outputMode, "o", "text", "summary `FORMAT`: text or json")
	var baseFlag baseFlags
	baseFlag.register(fs, true, false)
	var shape shapeFlags
	shape.register(fs)
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
	if stdinUses(files)+prs.stdinUses()+baseFlag.stdinUses() > 1 {
		return usageErr("standard input (-) can be read only once")
	}
	src, code := prs.read("sync", stdin, stderr)
	if src == nil {
		return code
	}

	specs, code := loadSyncSpecs("sync", files, overrides.list, stdin, stderr)
	if code != exitOK {
		return code
	}
	base, code := baseFlag.load("sync", overrides.list, stdin, stderr)
	if code != exitOK {
		return code
	}

	apps, skipped, err := syncApps(ctx, specs, src)
	var ase *appSetError
	switch {
	case errors.As(err, &ase):
		return reportArgoError(stderr, "sync", "the spec of the app "+strconv.Quote(ase.app), "", ase.err)
	case err != nil:
		return usageErr("%v", err)
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
	shapes, err := shape.byApp(specs)
	if err != nil {
		return usageErr("%v", err)
	}
	appRenderers, code := shape.renderers(shapes, opts, stderr)
	if code != exitOK {
		return code
	}
	for i := range apps {
		apps[i].Renderer = appRenderers[apps[i].Spec.Metadata.Name]
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
	if !slices.ContainsFunc(apps, func(a render.AppPRs) bool { return len(a.PRs) > 0 }) {
		// No env to validate: Sync would write at once, so the validator's
		// verdict on --crds must come first.
		<-validatorc
		if errNew != nil {
			return usageErr("--crds: %v", errNew)
		}
	}
	syncOpts := render.SyncOptions{
		Renderer: renderer,
		Validate: func(ctx context.Context, out *render.Output) []error {
			<-validatorc
			if errNew != nil {
				return []error{errNew}
			}
			return validateEnv(ctx, v, out)
		},
	}
	var res *render.SyncResult
	if prs, same := samePRs(apps); same && (len(appRenderers) == 0 || len(apps) == 1) {
		if len(apps) == 1 && apps[0].Renderer != nil {
			syncOpts.Renderer = apps[0].Renderer
		}
		res, err = render.Sync(ctx, outDir, specs, prs, syncOpts)
	} else {
		res, err = render.SyncApps(ctx, outDir, apps, syncOpts)
	}
	<-validatorc
	if errNew != nil {
		return usageErr("--crds: %v", errNew)
	}
	if err != nil {
		return reportSyncError(stderr, outDir, err, kit.templatesDir != "" || len(crdPaths) > 0 || shape.used())
	}
	if outputMode == "json" {
		return writeSyncJSON(stdout, stderr, outDir, res, skipped)
	}
	io.WriteString(stdout, syncSummary(outDir, res, skipped))
	return exitOK
}

// samePRs returns the apps' open pull requests when every app has the
// same.
func samePRs(apps []render.AppPRs) ([]int, bool) {
	for _, a := range apps[1:] {
		if !slices.Equal(a.PRs, apps[0].PRs) {
			return nil, false
		}
	}
	return apps[0].PRs, true
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
	// Skipped are the open pull requests an app's ApplicationSet does not
	// select (--prs-json), which get no folder.
	Skipped []skippedPR `json:"skipped"`
}

func writeSyncJSON(stdout, stderr io.Writer, outDir string, res *render.SyncResult, skipped []skippedPR) int {
	rep := syncReport{
		OutputDir: filepath.ToSlash(outDir),
		Added:     res.Count(render.FolderAdded), Changed: res.Count(render.FolderChanged),
		Unchanged: res.Count(render.FolderUnchanged), Removed: res.Count(render.FolderRemoved),
		Folders: res.Folders, Skipped: skipped,
	}
	if rep.Skipped == nil {
		rep.Skipped = []skippedPR{}
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

// syncSummary is the text summary: one line per PR folder, one per open
// pull request an ApplicationSet does not select, then totals.
func syncSummary(outDir string, res *render.SyncResult, skipped []skippedPR) string {
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
	for _, sk := range skipped {
		fmt.Fprintf(&b, "%-9s %s (no env: %s)\n", "skipped", sk.Folder, strings.Join(sk.Reasons, "; and "))
	}
	fmt.Fprintf(&b, "%s: %d added, %d changed, %d unchanged, %d removed\n", path.Clean(filepath.ToSlash(outDir)),
		res.Count(render.FolderAdded), res.Count(render.FolderChanged), res.Count(render.FolderUnchanged), res.Count(render.FolderRemoved))
	return b.String()
}
