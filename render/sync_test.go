package render_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

// loadExample loads examples/<name>/prenv.yaml.
func loadExample(t testing.TB, name string) *spec.PreviewEnvironment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", name, "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// readTree reads every file under dir, markers included, by slash path.
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// folders lists each folder change as "status folder app pr files a/c/r".
func folders(res *render.SyncResult) []string {
	var l []string
	for _, f := range res.Folders {
		l = append(l, fmt.Sprintf("%s %s %s %d %d %d/%d/%d", f.Status, f.Folder, f.App, f.PR, f.Files, len(f.Added), len(f.Changed), len(f.Removed)))
	}
	return l
}

// TestSyncAddsAndRemovesPRs syncs three open PRs, then a later set: the
// folder of the closed PR goes, the new one comes, the others stay as
// they are.
func TestSyncAddsAndRemovesPRs(t *testing.T) {
	ctx := context.Background()
	web := loadExample(t, "web")
	dir := filepath.Join(t.TempDir(), "envs", "web")

	res, err := render.Sync(ctx, dir, []*spec.PreviewEnvironment{web}, []int{31, 12, 15}, render.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"added pr-12 web 12 15 15/0/0",
		"added pr-15 web 15 15 15/0/0",
		"added pr-31 web 31 15 15/0/0",
	}
	if diff := cmp.Diff(want, folders(res)); diff != "" {
		t.Errorf("first sync (-want +got):\n%s", diff)
	}

	res, err = render.Sync(ctx, dir, []*spec.PreviewEnvironment{web}, []int{15, 31, 40}, render.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"removed pr-12 web 12 0 0/0/15",
		"unchanged pr-15 web 15 15 0/0/0",
		"unchanged pr-31 web 31 15 0/0/0",
		"added pr-40 web 40 15 15/0/0",
	}
	if diff := cmp.Diff(want, folders(res)); diff != "" {
		t.Errorf("second sync (-want +got):\n%s", diff)
	}
	if res.Count(render.FolderRemoved) != 1 || res.Count(render.FolderAdded) != 1 || res.Count(render.FolderUnchanged) != 2 {
		t.Errorf("counts: %+v", res.Folders)
	}
	if _, err := os.Stat(filepath.Join(dir, "pr-12")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pr-12 is still there: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{outputdir.MarkerFile, "pr-15", "pr-31", "pr-40"}, names); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}

	// A changed spec changes every file of every folder; no PR left
	// removes every folder.
	web2 := loadExample(t, "web")
	web2.Spec.Labels = map[string]string{"team": "web"}
	res, err = render.Sync(ctx, dir, []*spec.PreviewEnvironment{web2}, []int{15}, render.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"changed pr-15 web 15 15 0/15/0",
		"removed pr-31 web 31 0 0/0/15",
		"removed pr-40 web 40 0 0/0/15",
	}
	if diff := cmp.Diff(want, folders(res)); diff != "" {
		t.Errorf("third sync (-want +got):\n%s", diff)
	}
	res, err = render.Sync(ctx, dir, []*spec.PreviewEnvironment{web2}, nil, render.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"removed pr-15 web 15 0 0/0/15"}, folders(res)); diff != "" {
		t.Errorf("empty sync (-want +got):\n%s", diff)
	}
	if got := readTree(t, dir); len(got) != 1 || got[outputdir.MarkerFile] == "" {
		t.Errorf("after an empty sync the tree holds %v, want only its marker", slices.Sorted(maps.Keys(got)))
	}
}

// TestSyncMatchesSingleRender: every PR folder is byte for byte what
// WriteDir (render env --output-dir) writes for that env alone, marker
// included, with one spec and with several.
func TestSyncMatchesSingleRender(t *testing.T) {
	ctx := context.Background()
	names := []string{"large", "minimal", "previews", "web", "worker"}
	var specs []*spec.PreviewEnvironment
	for _, n := range names {
		specs = append(specs, loadExample(t, n))
	}
	prs := []int{1, 123, 2147483647}
	tmp := t.TempDir()
	single := func(spec *spec.PreviewEnvironment, pr int) map[string]string {
		t.Helper()
		out, err := render.Render(ctx, spec, pr, render.Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(tmp, "single", spec.Metadata.Name, fmt.Sprint(pr))
		if err := outputdir.WriteDir(d, out.Objects); err != nil {
			t.Fatal(err)
		}
		return readTree(t, d)
	}

	all := filepath.Join(tmp, "all")
	if _, err := render.Sync(ctx, all, specs, prs, render.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(tmp, "one")
	if _, err := render.Sync(ctx, one, specs[3:4], prs, render.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, spec := range specs {
		for _, pr := range prs {
			want := single(spec, pr)
			got := readTree(t, filepath.Join(all, spec.Metadata.Name, fmt.Sprintf("pr-%d", pr)))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s pr %d, several specs (-single +sync):\n%s", spec.Metadata.Name, pr, diff)
			}
			if spec.Metadata.Name == "web" {
				got := readTree(t, filepath.Join(one, fmt.Sprintf("pr-%d", pr)))
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("web pr %d, one spec (-single +sync):\n%s", pr, diff)
				}
			}
		}
	}
	// Nothing else is in the tree: markers at the top, one per app folder
	// and one per PR folder.
	if got, want := len(readTree(t, all))-countFiles(t, all), 1+len(specs)*(1+len(prs)); got != want {
		t.Errorf("several specs: %d markers, want %d", got, want)
	}
}

// countFiles counts the files that are not markers under dir.
func countFiles(t *testing.T, dir string) int {
	n := 0
	for p := range readTree(t, dir) {
		if filepath.Base(p) != outputdir.MarkerFile {
			n++
		}
	}
	return n
}

// TestSyncAtomic: whatever fails, the tree is left as it was, and every
// failed env is named with its PR.
func TestSyncAtomic(t *testing.T) {
	ctx := context.Background()
	web := loadExample(t, "web")
	dir := filepath.Join(t.TempDir(), "envs")
	if _, err := render.Sync(ctx, dir, []*spec.PreviewEnvironment{web}, []int{1, 2}, render.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)

	badSpec := loadExample(t, "web")
	badSpec.Spec.Prefix = "BAD"
	noTables := func(ctx context.Context, out *render.Output) []error {
		if out.Model.PR == 3 || out.Model.PR == 5 {
			return []error{fmt.Errorf("pr %d refused", out.Model.PR)}
		}
		return nil
	}
	tests := []struct {
		name  string
		specs []*spec.PreviewEnvironment
		prs   []int
		opts  render.SyncOptions
		// want is the error as "<app> <pr> <stage>: <first problem fragment>" per env,
		// or the field paths of an InvalidError.
		want []string
	}{
		{
			name: "invalid spec", specs: []*spec.PreviewEnvironment{badSpec}, prs: []int{3},
			want: []string{`web 0 spec: spec.prefix: Invalid value: "BAD"`},
		},
		{
			name: "validation fails for two PRs", specs: []*spec.PreviewEnvironment{web}, prs: []int{5, 4, 3},
			opts: render.SyncOptions{Validate: noTables},
			want: []string{"web 3 validate: pr 3 refused", "web 5 validate: pr 5 refused"},
		},
		{
			name: "invalid and duplicate PRs", specs: []*spec.PreviewEnvironment{web}, prs: []int{3, 0, 3, 2147483648},
			want: []string{"prs[1]", "prs[2]", "prs[3]"},
		},
		{
			name: "two specs of one app", specs: []*spec.PreviewEnvironment{web, loadExample(t, "web")}, prs: []int{3},
			want: []string{"specs[1].metadata.name"},
		},
		{
			name: "several apps, one invalid", specs: []*spec.PreviewEnvironment{loadExample(t, "minimal"), badSpec}, prs: []int{3},
			want: []string{`web 0 spec: spec.prefix: Invalid value: "BAD"`},
		},
		{
			name: "a template that fails", specs: []*spec.PreviewEnvironment{web}, prs: []int{3},
			opts: render.SyncOptions{Renderer: failingRenderer(t)},
			want: []string{"web 3 render: template"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := render.Sync(ctx, dir, tc.specs, tc.prs, tc.opts)
			if err == nil {
				t.Fatalf("no error; result %v", folders(res))
			}
			var got []string
			var se *render.SyncError
			var inv *spec.InvalidError
			switch {
			case errors.As(err, &se):
				for i, e := range se.Envs {
					got = append(got, fmt.Sprintf("%s %d %s: %s", e.App, e.PR, e.Stage, e.Errs[0]))
					if !strings.HasPrefix(got[i], tc.want[min(i, len(tc.want)-1)]) {
						t.Errorf("env %d: %q, want it to start with %q", i, got[i], tc.want[min(i, len(tc.want)-1)])
					}
				}
				if len(se.Envs) != len(tc.want) {
					t.Errorf("failed envs %q, want %d: %q", got, len(tc.want), tc.want)
				}
			case errors.As(err, &inv):
				for _, e := range inv.Errs {
					got = append(got, e.Field)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("field paths (-want +got):\n%s", diff)
				}
			default:
				t.Fatalf("error %T %v", err, err)
			}
			if diff := cmp.Diff(before, readTree(t, dir)); diff != "" {
				t.Errorf("the tree changed (-before +after):\n%s", diff)
			}
		})
	}
}

// failingRenderer has a kit whose ConfigMap template fails.
func failingRenderer(t *testing.T) *render.Renderer {
	t.Helper()
	tmpl := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmpl, "configmap.yaml"), []byte(`{{ fail "refused" }}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := spec.OpenDirFS(tmpl, kit.MaxTemplateSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	r, err := render.NewRenderer(render.Options{Templates: fsys})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSyncDeterministic runs syncs of the same input at once, on 1 to 16
// workers and with the PRs in different orders: every tree is the same,
// byte for byte. Run it with -race.
func TestSyncDeterministic(t *testing.T) {
	ctx := context.Background()
	specs := []*spec.PreviewEnvironment{loadExample(t, "web"), loadExample(t, "worker"), loadExample(t, "large")}
	r, err := render.NewRenderer(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prs := []int{8, 3, 21, 5, 13, 1, 2, 34}
	tmp := t.TempDir()
	workers := []int{1, 2, 3, 16}
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		order := slices.Clone(prs)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		wg.Go(func() {
			_, errs[i] = render.Sync(ctx, filepath.Join(tmp, fmt.Sprint(w)), specs, order, render.SyncOptions{Renderer: r, Workers: w})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, filepath.Join(tmp, "1"))
	if len(want) < len(specs)*len(prs)*4 {
		t.Fatalf("only %d files", len(want))
	}
	for _, w := range workers[1:] {
		if diff := cmp.Diff(want, readTree(t, filepath.Join(tmp, fmt.Sprint(w)))); diff != "" {
			t.Errorf("%d workers (-1 worker +%d):\n%s", w, w, diff)
		}
	}
}

// TestSyncCanceled: a canceled context stops the run before the tree is
// touched.
func TestSyncCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := filepath.Join(t.TempDir(), "envs")
	_, err := render.Sync(ctx, dir, []*spec.PreviewEnvironment{loadExample(t, "web")}, []int{1, 2, 3}, render.SyncOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the tree was created: %v", err)
	}
}

// validateHook validates each env with v, as render sync does.
func validateHook(v *validate.Validator) func(context.Context, *render.Output) []error {
	return func(ctx context.Context, out *render.Output) []error {
		res, err := v.ValidateObjects(ctx, out.Objects, nil)
		if err != nil {
			return []error{err}
		}
		var errs []error
		for _, p := range res.Problems {
			errs = append(errs, errors.New(p.String()))
		}
		return errs
	}
}

// benchSync prepares a sync of n open PRs of the medium spec
// (examples/web) with one Renderer and one Validator, made once, as render
// sync makes them once per process; the schemas are compiled by a first
// run outside the timing.
func benchSync(b *testing.B, n int) ([]*spec.PreviewEnvironment, []int, render.SyncOptions) {
	b.Helper()
	ctx := context.Background()
	r, err := render.NewRenderer(render.Options{})
	if err != nil {
		b.Fatal(err)
	}
	v, err := validate.New(ctx, validate.Options{})
	if err != nil {
		b.Fatal(err)
	}
	prs := make([]int, n)
	for i := range prs {
		prs[i] = i + 1
	}
	specs := []*spec.PreviewEnvironment{loadExample(b, "web")}
	opts := render.SyncOptions{Renderer: r, Validate: validateHook(v)}
	if _, err := render.SyncFiles(ctx, specs, prs, opts); err != nil {
		b.Fatal(err)
	}
	return specs, prs, opts
}

// BenchmarkSync100 is render sync's work for 100 open PRs of the medium
// spec (examples/web), in memory: render, final checks and validation of
// every env on GOMAXPROCS goroutines (render.SyncFiles). ns/op is per 100
// envs; ns/env per env.
func BenchmarkSync100(b *testing.B) {
	ctx := context.Background()
	specs, prs, opts := benchSync(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.SyncFiles(ctx, specs, prs, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/env")
}

// BenchmarkSync100Write is BenchmarkSync100 and the atomic write of the
// tree (render.Sync into an unchanged tree: 800 files compared, written,
// synced to disk and swapped in).
func BenchmarkSync100Write(b *testing.B) {
	ctx := context.Background()
	specs, prs, opts := benchSync(b, 100)
	dir := filepath.Join(b.TempDir(), "envs")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Sync(ctx, dir, specs, prs, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/env")
}

// BenchmarkSyncSingle is BenchmarkSync100 for one env.
func BenchmarkSyncSingle(b *testing.B) {
	ctx := context.Background()
	specs, prs, opts := benchSync(b, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.SyncFiles(ctx, specs, prs, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyncSingleWrite is BenchmarkSync100Write for one env.
func BenchmarkSyncSingleWrite(b *testing.B) {
	ctx := context.Background()
	specs, prs, opts := benchSync(b, 1)
	dir := filepath.Join(b.TempDir(), "envs")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Sync(ctx, dir, specs, prs, opts); err != nil {
			b.Fatal(err)
		}
	}
}
