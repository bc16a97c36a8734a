package render_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
)

// renamedAway is the example: a pull request of web renames the
// app to payments and retains its AWS resources, to render and adopt
// another app's env.
func renamedAway(t testing.TB) *spec.PreviewEnvironment {
	head := loadExample(t, "web")
	head.Metadata.Name = "payments"
	head.Spec.DeletionPolicy = "retain"
	return head
}

// wantRenamed are the problems of renamedAway against web's base.
var wantRenamed = []string{
	`metadata.name: Forbidden: differs from the base branch ("web" there): a pull request cannot change who the env is or what it may reach; merge this change to the base branch first, where the platform's reviewers see it`,
	`spec.deletionPolicy: Forbidden: differs from the base branch ("delete" there): a pull request cannot change who the env is or what it may reach; merge this change to the base branch first, where the platform's reviewers see it`,
}

func errorStrings(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// TestRenderBase: with Options.Base, Render and Renderer.Objects (what the
// command line runs) refuse a spec that changes what only the base branch
// may, with every field at once; the base itself renders as without Base.
func TestRenderBase(t *testing.T) {
	ctx := context.Background()
	base := []*trust.Fields{trust.Of(loadExample(t, "web"))}
	opts := render.Options{Base: base, SkipValidation: true}
	r, err := render.NewRenderer(opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"Render":  func() error { _, err := render.Render(ctx, renamedAway(t), 7, opts); return err },
		"Objects": func() error { _, err := r.Objects(ctx, renamedAway(t), 7); return err },
	} {
		var te *trust.Error
		if err := f(); !errors.As(err, &te) {
			t.Errorf("%s: got %v, want a *trust.Error", name, err)
		} else if got := errorStrings(te.Errs.ToAggregate().Errors()); !slices.Equal(got, wantRenamed) {
			t.Errorf("%s: got %q, want %q", name, got, wantRenamed)
		}
	}
	with, err := render.Render(ctx, loadExample(t, "web"), 7, opts)
	if err != nil {
		t.Fatal(err)
	}
	without, err := render.Render(ctx, loadExample(t, "web"), 7, render.Options{SkipValidation: true})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := with.YAML()
	b, _ := without.YAML()
	if string(a) != string(b) {
		t.Error("the base itself renders differently with Base")
	}
	// The base branch has no spec of the app: a pull request cannot add one.
	var te *trust.Error
	if _, err := render.Render(ctx, loadExample(t, "web"), 7, render.Options{Base: []*trust.Fields{}}); !errors.As(err, &te) || te.Errs[0].Field != "metadata.name" {
		t.Errorf("an empty base: got %v, want a *trust.Error at metadata.name", err)
	}
}

// TestSyncBase: Sync compares every spec with its app's base once, and
// writes nothing when one differs.
func TestSyncBase(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "tree")
	bases := []*trust.Fields{trust.Of(loadExample(t, "web")), trust.Of(loadExample(t, "worker"))}
	r, err := render.NewRenderer(render.Options{Base: bases})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := render.Sync(ctx, dir, []*spec.PreviewEnvironment{loadExample(t, "web"), loadExample(t, "worker")}, []int{1, 2}, render.SyncOptions{Renderer: r}); err != nil {
		t.Fatalf("specs equal to their bases: %v", err)
	}
	before := readTree(t, dir)
	worker := loadExample(t, "worker")
	worker.Spec.Prefix = "prod"
	_, err = render.Sync(ctx, dir, []*spec.PreviewEnvironment{renamedAway(t), worker}, []int{1, 2, 3}, render.SyncOptions{Renderer: r})
	var se *render.SyncError
	if !errors.As(err, &se) || len(se.Envs) != 2 {
		t.Fatalf("got %v, want a *render.SyncError for both apps", err)
	}
	got := map[string][]string{}
	for _, e := range se.Envs {
		if e.Stage != render.StageSpec || e.PR != 0 {
			t.Errorf("%s: stage %s, PR %d; want the spec stage, once per spec", e.Env(), e.Stage, e.PR)
		}
		got[e.App] = errorStrings(e.Errs)
	}
	// payments is not an app of the base branch, which has two: it is
	// refused as a new app.
	if want := []string{`metadata.name: Forbidden: the base branch has no spec of the app "payments" (it has web, worker): a pull request cannot add an app or take another's name; merge its prenv.yaml to the base branch first, where the platform's reviewers see it`}; !slices.Equal(got["payments"], want) {
		t.Errorf("payments: got %q, want %q", got["payments"], want)
	}
	if len(got["worker"]) != 1 || got["worker"][0][:len("spec.prefix: Forbidden")] != "spec.prefix: Forbidden" {
		t.Errorf("worker: got %q, want spec.prefix refused", got["worker"])
	}
	after := readTree(t, dir)
	if len(after) != len(before) {
		t.Errorf("the tree changed: %d files before, %d after", len(before), len(after))
	}
	if _, err := os.Stat(filepath.Join(dir, "web", "pr-3")); err == nil {
		t.Error("pr-3 was written")
	}
}
