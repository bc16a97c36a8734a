package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/spec"
)

// AppPRs is one app of [SyncApps]: its spec and its open pull requests.
type AppPRs struct {
	Spec *spec.PreviewEnvironment
	// PRs are the app's open pull requests, each from 1 to [spec.MaxPR],
	// each once; empty means none is open.
	PRs []int
	// Renderer renders this app's envs, with its own app chart and
	// kustomization ([Options].Chart, Kustomize); nil means
	// [SyncOptions].Renderer.
	Renderer *Renderer
}

// SyncApps is [Sync] with a list of open pull requests per app: pull-request
// numbers are per repository, so apps of different repositories (or
// whose ApplicationSets select different pull requests) each have their
// own. The layout, checks, errors and guarantees are Sync's: one app
// writes dir/pr-<n>/, several dir/<app>/pr-<n>/, all in one
// [outputdir.ReplaceDir]. Argument errors are at the paths apps[i].spec
// and apps[i].prs[j]. [SyncAppsFiles] does all but the write.
func SyncApps(ctx context.Context, dir string, apps []AppPRs, opts SyncOptions) (*SyncResult, error) {
	tree, err := SyncAppsFiles(ctx, apps, opts)
	if err != nil {
		return nil, err
	}
	oneApp := ""
	if len(apps) == 1 {
		oneApp = apps[0].Spec.Metadata.Name
	}
	return writeTree(ctx, dir, tree, oneApp)
}

// writeTree writes a sync's tree into dir and says what changed; oneApp
// is the app of a one-app tree ("" otherwise).
func writeTree(ctx context.Context, dir string, tree map[string][]byte, oneApp string) (*SyncResult, error) {
	changes, err := outputdir.ReplaceDir(ctx, dir, tree)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for name := range tree {
		counts[path.Dir(name)]++
	}
	return &SyncResult{Folders: folderChanges(changes, counts, oneApp), Changes: changes}, nil
}

// SyncAppsFiles is [SyncFiles] with a list of open pull requests per app
// (see [SyncApps]). Apps that share a list are rendered together, on
// opts.Workers goroutines.
func SyncAppsFiles(ctx context.Context, apps []AppPRs, opts SyncOptions) (map[string][]byte, error) {
	if ctx == nil {
		return nil, errors.New("render: nil context")
	}
	if errs := checkSyncApps(apps); len(errs) > 0 {
		return nil, &spec.InvalidError{Errs: errs}
	}
	// Apps with the same list and Renderer, in app order, are one
	// SyncFiles call.
	type group struct {
		specs    []*spec.PreviewEnvironment
		prs      []int
		renderer *Renderer
	}
	var groups []*group
	byList := map[string]*group{}
	sorted := slices.Clone(apps)
	slices.SortFunc(sorted, func(a, b AppPRs) int { return strings.Compare(a.Spec.Metadata.Name, b.Spec.Metadata.Name) })
	for _, a := range sorted {
		prs := slices.Sorted(slices.Values(a.PRs))
		key := fmt.Sprintf("%v %p", prs, a.Renderer)
		g, ok := byList[key]
		if !ok {
			g = &group{prs: prs, renderer: a.Renderer}
			byList[key] = g
			groups = append(groups, g)
		}
		g.specs = append(g.specs, a.Spec)
	}
	tree := map[string][]byte{}
	var failed []*EnvError
	for _, g := range groups {
		gopts := opts
		if g.renderer != nil {
			gopts.Renderer = g.renderer
		}
		files, err := SyncFiles(ctx, g.specs, g.prs, gopts)
		var se *SyncError
		switch {
		case errors.As(err, &se):
			failed = append(failed, se.Envs...)
			continue
		case err != nil:
			return nil, err
		}
		// SyncFiles lays one spec out as pr-<n>/; among several apps each
		// has its own folder.
		prefix := ""
		if len(apps) > 1 && len(g.specs) == 1 {
			prefix = g.specs[0].Metadata.Name + "/"
		}
		for name, b := range files {
			tree[prefix+name] = b
		}
	}
	if len(failed) > 0 {
		slices.SortStableFunc(failed, func(a, b *EnvError) int {
			return cmp.Or(strings.Compare(a.App, b.App), cmp.Compare(a.PR, b.PR))
		})
		return nil, &SyncError{Envs: failed}
	}
	return tree, nil
}

// checkSyncApps lists what is wrong with SyncApps' arguments.
func checkSyncApps(apps []AppPRs) field.ErrorList {
	var errs field.ErrorList
	seenApp := map[string]bool{}
	for i, a := range apps {
		p := field.NewPath("apps").Index(i)
		switch s := a.Spec; {
		case s == nil:
			errs = append(errs, field.Required(p.Child("spec"), "a spec is needed"))
		case seenApp[s.Metadata.Name]:
			errs = append(errs, field.Duplicate(p.Child("spec", "metadata", "name"), s.Metadata.Name))
		default:
			seenApp[s.Metadata.Name] = true
		}
		// The numbers are checked as Sync's prs are.
		for _, e := range checkSyncArgs(nil, a.PRs) {
			e.Field = p.String() + "." + e.Field
			errs = append(errs, e)
		}
	}
	return errs
}
