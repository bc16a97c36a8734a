package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
)

// SyncOptions tune [Sync]. The zero value renders with the embedded kit on
// GOMAXPROCS goroutines and runs [fence.CheckObjects] on every env.
type SyncOptions struct {
	// Renderer renders every env; nil means NewRenderer(Options{}). One
	// Renderer is shared by all renders, so the kit is read and parsed
	// once. Its Templates, AllowUnbounded, Base, Chart and Kustomize
	// apply (the app chart's objects join each env's, the kustomization
	// shapes them, as in [Renderer.Render]); Validator, Previous and
	// SkipValidation do not: Sync runs the final checks on every env
	// itself and validates with Validate. With Base, each spec is
	// compared with its app's base branch spec, once.
	Renderer *Renderer
	// Validate, when set, is called with every env that rendered and passed
	// [fence.CheckObjects], and returns its problems (nil when there is none),
	// for example those of the validate package's Validator. It is called
	// from several goroutines at once.
	Validate func(ctx context.Context, out *Output) []error
	// Workers bounds how many envs are rendered at once; 0 or less means
	// runtime.GOMAXPROCS(0).
	Workers int
}

// SyncStage says which step of [Sync] found an [EnvError].
type SyncStage string

// The stages of an env in [Sync], in order.
const (
	// StageSpec: the spec breaks a rule ([spec.Check]) or changes what
	// only the base branch may ([trust.Check], with the Renderer's
	// Base); reported once per spec, with PR 0, and none of its PRs is
	// rendered.
	StageSpec SyncStage = "spec"
	// StageRender: [Renderer.Objects], the app chart or the kustomization
	// failed for this PR ([*spec.InvalidError], [*kit.TemplateError],
	// [*kit.ChartError], [*kit.KustomizeError]).
	StageRender SyncStage = "render"
	// StageCheck: the objects break [fence.CheckObjects] (each error an
	// [*fence.ObjectError]).
	StageCheck SyncStage = "check"
	// StageValidate: [SyncOptions].Validate reported problems.
	StageValidate SyncStage = "validate"
	// StageFiles: the objects cannot be written as files ([outputdir.ObjectFiles]).
	StageFiles SyncStage = "files"
)

// EnvError is what went wrong with one env of a [Sync].
type EnvError struct {
	// App is the spec's metadata.name.
	App string
	// PR is the pull-request number; 0 for a problem of the spec itself
	// ([StageSpec]), which every PR of the app shares.
	PR    int
	Stage SyncStage
	// Errs lists every problem; an [*spec.InvalidError] is flattened into its
	// field errors.
	Errs []error
}

func (e *EnvError) Error() string {
	var b strings.Builder
	b.WriteString(e.Env())
	fmt.Fprintf(&b, ": %s: %d problem(s):", e.Stage, len(e.Errs))
	for _, err := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Env names the env as "<app> pr <n>", or "<app> (every PR)" for a
// problem of the spec.
func (e *EnvError) Env() string {
	if e.PR == 0 {
		return e.App + " (every PR)"
	}
	return e.App + " pr " + strconv.Itoa(e.PR)
}

// SyncError is returned by [Sync] when any env failed; nothing was written.
// Envs lists every failed env, sorted by app, then PR.
type SyncError struct {
	Envs []*EnvError
}

func (e *SyncError) Error() string {
	parts := make([]string, len(e.Envs))
	for i, ee := range e.Envs {
		parts[i] = ee.Error()
	}
	return fmt.Sprintf("%d env(s) failed, nothing written:\n%s", len(e.Envs), strings.Join(parts, "\n"))
}

// Unwrap returns the envs' errors, for errors.As.
func (e *SyncError) Unwrap() []error {
	errs := make([]error, len(e.Envs))
	for i, ee := range e.Envs {
		errs[i] = ee
	}
	return errs
}

// FolderStatus is what [Sync] did to one PR folder.
type FolderStatus string

// The statuses of a PR folder.
const (
	FolderAdded     FolderStatus = "added"     // new: the PR had no folder
	FolderChanged   FolderStatus = "changed"   // a file was added, changed or removed
	FolderUnchanged FolderStatus = "unchanged" // the same files, byte for byte
	FolderRemoved   FolderStatus = "removed"   // the PR is no longer listed
)

// FolderChange is what [Sync] did to one folder of the tree.
type FolderChange struct {
	// Folder is the folder's slash-separated path in the tree: pr-<n>, or
	// <app>/pr-<n> with several specs.
	Folder string `json:"folder"`
	// App is the app the folder belongs to; for a removed folder of a
	// one-spec tree it is that spec's app.
	App string `json:"app"`
	// PR is the pull-request number, or 0 when a removed folder is not
	// named pr-<n>.
	PR     int          `json:"pr"`
	Status FolderStatus `json:"status"`
	// Files is the number of files the folder holds now (0 when removed),
	// not counting its marker.
	Files int `json:"files"`
	// Added, Changed and Removed are the names of the files, relative to
	// the folder and sorted, that the run added, changed and removed.
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

// SyncResult is what [Sync] wrote.
type SyncResult struct {
	// Folders lists every PR folder that is now in the tree or was removed
	// from it, sorted by app, then PR number.
	Folders []FolderChange
	// Changes lists the files, as [outputdir.ReplaceDir] reports them.
	Changes outputdir.DirChanges
}

// Count returns how many folders have the status s.
func (r *SyncResult) Count(s FolderStatus) int {
	if r == nil {
		return 0
	}
	n := 0
	for _, f := range r.Folders {
		if f.Status == s {
			n++
		}
	}
	return n
}

// Sync makes the folder dir hold exactly the envs of the open pull
// requests prs of every app in specs, and nothing else, in one step.
//
// Layout: with one spec, PR n's files are in dir/pr-<n>/; with several,
// in dir/<app>/pr-<n>/ (app is the spec's metadata.name, which must differ
// between specs). Each PR folder holds exactly the files, byte for byte,
// that [outputdir.WriteDir] writes for that env alone (render env --output-dir), its
// [outputdir.MarkerFile] included. Folders of PRs that prs no longer lists are
// removed. Changing the number of specs between one and several therefore
// moves every folder.
//
// Every spec is checked once ([spec.Check], and [trust.Check] against
// the Renderer's Base when it has one); every (spec, PR) pair is then
// rendered with one shared [Renderer] on opts.Workers goroutines, checked
// with [fence.CheckObjects] (with the spec's [spec.AppKinds]) and given to
// opts.Validate. Any failure gives a [*SyncError] naming every failed env
// and its problems, and dir is as it was. Otherwise the whole tree is
// replaced with one [outputdir.ReplaceDirStream] call, whose guarantees
// hold (atomic swap, prenv's files only, lock); its errors are returned
// as they are. Each env's files are written into the new tree as soon as
// the env passed, and not held: memory does not grow with the number of
// envs beyond their paths. A spec that fails its checks is reported
// without opening dir; a dir that is refused or locked is reported before
// any env is rendered. [SyncFiles] does all but the write.
//
// prs must be pull-request numbers between 1 and [spec.MaxPR], each once, and
// specs non-nil with distinct apps; otherwise Sync returns an
// [*spec.InvalidError] at the paths prs[i] and specs[i].metadata.name. An empty
// prs empties the tree. The result does not depend on the order of prs or
// of the scheduling: envs are rendered independently and collected by
// position.
func Sync(ctx context.Context, dir string, specs []*spec.PreviewEnvironment, prs []int, opts SyncOptions) (*SyncResult, error) {
	plan, err := planSync(ctx, specs, prs, opts)
	if err != nil {
		return nil, err
	}
	if len(plan.failed) > 0 {
		// A spec failed its checks: dir is not even opened.
		_, err := plan.run(ctx, nil)
		return nil, err
	}
	var counts map[string]int
	changes, err := outputdir.ReplaceDirStream(ctx, dir, func(ctx context.Context, put outputdir.PutFunc) error {
		var err error
		counts, err = plan.run(ctx, put)
		return err
	})
	if err != nil {
		return nil, err
	}
	oneApp := ""
	if len(specs) == 1 {
		oneApp = specs[0].Metadata.Name
	}
	return &SyncResult{Folders: folderChanges(changes, counts, oneApp), Changes: changes}, nil
}

// SyncFiles renders, checks and validates what [Sync] writes, and returns
// the tree's files as [outputdir.ReplaceDir] takes them (pr-<n>/<file> or
// <app>/pr-<n>/<file>), without touching the file system: for a dry run, or
// to write the tree elsewhere. Its arguments, errors and guarantees are
// Sync's. It holds every file in memory, where Sync writes each env as it
// is done.
func SyncFiles(ctx context.Context, specs []*spec.PreviewEnvironment, prs []int, opts SyncOptions) (map[string][]byte, error) {
	plan, err := planSync(ctx, specs, prs, opts)
	if err != nil {
		return nil, err
	}
	tree := map[string][]byte{}
	var mu sync.Mutex
	_, err = plan.run(ctx, func(folder string, files map[string][]byte) error {
		mu.Lock()
		defer mu.Unlock()
		for name, b := range files {
			tree[folder+"/"+name] = b
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tree, nil
}

// syncJob is one env of a sync: a spec, a PR and its folder in the tree.
type syncJob struct {
	spec   *spec.PreviewEnvironment
	pr     int
	folder string
}

// syncPlan is a sync whose arguments and specs are checked.
type syncPlan struct {
	r      *Renderer
	opts   SyncOptions
	jobs   []syncJob
	failed []*EnvError // the specs that failed their checks
}

// planSync checks the arguments of Sync and each spec once, and lists the
// envs to render.
func planSync(ctx context.Context, specs []*spec.PreviewEnvironment, prs []int, opts SyncOptions) (*syncPlan, error) {
	if ctx == nil {
		return nil, errors.New("render: nil context")
	}
	if errs := checkSyncArgs(specs, prs); len(errs) > 0 {
		return nil, &spec.InvalidError{Errs: errs}
	}
	r := opts.Renderer
	if r == nil {
		var err error
		if r, err = NewRenderer(Options{}); err != nil {
			return nil, err
		}
	}
	p := &syncPlan{r: r, opts: opts}
	perApp := len(specs) > 1
	prs = slices.Sorted(slices.Values(prs))
	specs = slices.Clone(specs)
	slices.SortFunc(specs, func(a, b *spec.PreviewEnvironment) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
	for _, s := range specs {
		app := s.Metadata.Name
		var errs field.ErrorList
		if base := r.opts.Base; base != nil {
			errs = trust.Check(base, s)
		}
		if errs = append(errs, spec.Check(s)...); len(errs) > 0 {
			p.failed = append(p.failed, &EnvError{App: app, Stage: StageSpec, Errs: fieldErrors(errs)})
			continue
		}
		for _, pr := range prs {
			folder := "pr-" + strconv.Itoa(pr)
			if perApp {
				folder = app + "/" + folder
			}
			p.jobs = append(p.jobs, syncJob{spec: s, pr: pr, folder: folder})
		}
	}
	return p, nil
}

// run renders, checks and validates every env on opts.Workers goroutines
// and, while no env has failed, gives each env's files to put (nil: to
// none) on up to twice GOMAXPROCS goroutines, at most a few envs behind
// the renders: what is written is not held. It returns the number of
// files of each folder, or the first error of put (by env; the renders
// stop), ctx's error, or a [*SyncError] naming every env that failed.
func (p *syncPlan) run(ctx context.Context, put outputdir.PutFunc) (map[string]int, error) {
	jobs := p.jobs
	envErrs := make([]*EnvError, len(jobs))
	putErrs := make([]error, len(jobs))
	nfiles := make([]int, len(jobs))
	var failed atomic.Bool
	failed.Store(len(p.failed) > 0)
	workers := p.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(jobs)))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	type rendered struct {
		i     int
		files map[string][]byte
	}
	writes := make(chan rendered, workers)
	var writers sync.WaitGroup
	for range min(2*runtime.GOMAXPROCS(0), max(1, len(jobs))) {
		writers.Go(func() {
			for w := range writes {
				if failed.Load() {
					continue
				}
				if err := put(jobs[w.i].folder, w.files); err != nil {
					putErrs[w.i] = err
					failed.Store(true)
					cancel()
				}
			}
		})
	}
	next := make(chan int)
	var renders sync.WaitGroup
	for range workers {
		renders.Go(func() {
			for i := range next {
				j := jobs[i]
				files, err := syncEnv(runCtx, p.r, j.spec, j.pr, p.opts.Validate)
				if err != nil {
					envErrs[i] = err
					failed.Store(true)
					continue
				}
				nfiles[i] = len(files)
				if put != nil && len(files) > 0 && !failed.Load() {
					writes <- rendered{i: i, files: files}
				}
			}
		})
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-runCtx.Done():
			break feed
		}
	}
	close(next)
	renders.Wait()
	close(writes)
	writers.Wait()
	for _, err := range putErrs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	failures := slices.Clone(p.failed)
	counts := make(map[string]int, len(jobs))
	for i, err := range envErrs {
		if err != nil {
			failures = append(failures, err)
		}
		counts[jobs[i].folder] = nfiles[i]
	}
	if len(failures) > 0 {
		slices.SortStableFunc(failures, func(a, b *EnvError) int {
			return cmp.Or(strings.Compare(a.App, b.App), cmp.Compare(a.PR, b.PR))
		})
		return nil, &SyncError{Envs: failures}
	}
	return counts, nil
}

// checkSyncArgs lists what is wrong with Sync's arguments.
func checkSyncArgs(specs []*spec.PreviewEnvironment, prs []int) field.ErrorList {
	var errs field.ErrorList
	seenPR := map[int]bool{}
	for i, pr := range prs {
		p := field.NewPath("prs").Index(i)
		switch {
		case pr < 1 || pr > spec.MaxPR:
			errs = append(errs, field.Invalid(p, pr, fmt.Sprintf("the pull-request number must be between 1 and %d", spec.MaxPR)))
		case seenPR[pr]:
			errs = append(errs, field.Duplicate(p, pr))
		}
		seenPR[pr] = true
	}
	seenApp := map[string]bool{}
	for i, s := range specs {
		p := field.NewPath("specs").Index(i)
		switch {
		case s == nil:
			errs = append(errs, field.Required(p, "a spec is needed"))
		case seenApp[s.Metadata.Name]:
			errs = append(errs, field.Duplicate(p.Child("metadata", "name"), s.Metadata.Name))
		default:
			seenApp[s.Metadata.Name] = true
		}
	}
	return errs
}

// syncEnv renders, checks and validates one env and returns its files
// (relative to its folder), or every problem found.
func syncEnv(ctx context.Context, r *Renderer, envSpec *spec.PreviewEnvironment, pr int, validate func(context.Context, *Output) []error) (map[string][]byte, *EnvError) {
	fail := func(stage SyncStage, errs []error) *EnvError {
		return &EnvError{App: envSpec.Metadata.Name, PR: pr, Stage: stage, Errs: errs}
	}
	// Nothing changes the kit's objects before the final checks but a
	// kustomization.
	out, err := r.render(ctx, envSpec, pr, true, r.opts.Kustomize == "")
	if err == nil {
		err = r.shape(ctx, out)
	}
	if err != nil {
		var inv *spec.InvalidError
		if errors.As(err, &inv) {
			return nil, fail(StageRender, fieldErrors(inv.Errs))
		}
		return nil, fail(StageRender, []error{err})
	}
	if problems := fence.CheckObjects(out.Model, out.Objects, out.Rules(envSpec)); len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = p
		}
		return nil, fail(StageCheck, errs)
	}
	if validate != nil {
		if errs := validate(ctx, out); len(errs) > 0 {
			return nil, fail(StageValidate, errs)
		}
	}
	files, err := outputdir.ObjectFiles(out.Objects)
	if err != nil {
		return nil, fail(StageFiles, []error{err})
	}
	return files, nil
}

func fieldErrors(l field.ErrorList) []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// folderChanges groups the file changes of a sync by folder. envFiles is
// the number of files of each folder written; oneApp is the app of a
// one-spec tree ("" otherwise).
func folderChanges(c outputdir.DirChanges, envFiles map[string]int, oneApp string) []FolderChange {
	byFolder := map[string]*FolderChange{}
	get := func(folder string) *FolderChange {
		fc, ok := byFolder[folder]
		if !ok {
			fc = &FolderChange{Folder: folder, Added: []string{}, Changed: []string{}, Removed: []string{}}
			byFolder[folder] = fc
		}
		return fc
	}
	for folder, n := range envFiles {
		if n > 0 {
			get(folder)
		}
	}
	for _, p := range c.Added {
		fc := get(path.Dir(p))
		fc.Added = append(fc.Added, path.Base(p))
	}
	for _, p := range c.Changed {
		fc := get(path.Dir(p))
		fc.Changed = append(fc.Changed, path.Base(p))
	}
	for _, p := range c.Removed {
		fc := get(path.Dir(p))
		fc.Removed = append(fc.Removed, path.Base(p))
	}
	out := make([]FolderChange, 0, len(byFolder))
	for _, fc := range byFolder {
		n := envFiles[fc.Folder]
		written := n > 0
		fc.Files = n
		switch {
		case !written:
			fc.Status = FolderRemoved
		case len(fc.Changed) == 0 && len(fc.Removed) == 0 && len(fc.Added) == n:
			fc.Status = FolderAdded
		case len(fc.Added)+len(fc.Changed)+len(fc.Removed) > 0:
			fc.Status = FolderChanged
		default:
			fc.Status = FolderUnchanged
		}
		if parent := path.Dir(fc.Folder); parent != "." {
			fc.App = path.Base(parent)
		} else {
			fc.App = oneApp
		}
		if n, ok := strings.CutPrefix(path.Base(fc.Folder), "pr-"); ok {
			if pr, err := strconv.Atoi(n); err == nil && pr > 0 && strconv.Itoa(pr) == n {
				fc.PR = pr
			}
		}
		out = append(out, *fc)
	}
	slices.SortFunc(out, func(a, b FolderChange) int {
		return cmp.Or(strings.Compare(a.App, b.App), cmp.Compare(a.PR, b.PR), strings.Compare(a.Folder, b.Folder))
	})
	return out
}
