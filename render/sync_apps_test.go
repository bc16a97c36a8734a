package render_test

import (
	"context"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestSyncAppsPerAppPRs: each app gets its own pull requests, in the
// <app>/pr-<n>/ layout, byte for byte what SyncFiles renders for the app
// alone; one app keeps the pr-<n>/ layout.
func TestSyncAppsPerAppPRs(t *testing.T) {
	ctx := context.Background()
	web, worker, shop := loadExample(t, "web"), loadExample(t, "worker"), loadExample(t, "large")
	apps := []render.AppPRs{{Spec: worker, PRs: []int{12}}, {Spec: web, PRs: []int{15, 12}}, {Spec: shop, PRs: []int{12}}}
	dir := filepath.Join(t.TempDir(), "envs")
	res, err := render.SyncApps(ctx, dir, apps, render.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"added shop/pr-12 shop 12 20 20/0/0", "added web/pr-12 web 12 15 15/0/0", "added web/pr-15 web 15 15 15/0/0", "added worker/pr-12 worker 12 16 16/0/0"}
	if d := cmp.Diff(want, folders(res)); d != "" {
		t.Errorf("folders (-want +got):\n%s", d)
	}
	got := readTree(t, dir)
	for _, a := range apps {
		alone, err := render.SyncFiles(ctx, []*spec.PreviewEnvironment{a.Spec}, a.PRs, render.SyncOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for name, b := range alone {
			if got[a.Spec.Metadata.Name+"/"+name] != string(b) {
				t.Errorf("%s/%s differs from the app's render alone", a.Spec.Metadata.Name, name)
			}
		}
		n := 0
		for name := range got {
			if strings.HasPrefix(name, a.Spec.Metadata.Name+"/") && path.Base(name) != outputdir.MarkerFile {
				n++
			}
		}
		if n != len(alone) {
			t.Errorf("%s: %d files written besides markers, want %d", a.Spec.Metadata.Name, n, len(alone))
		}
	}

	one, err := render.SyncAppsFiles(ctx, []render.AppPRs{{Spec: web, PRs: []int{7}}}, render.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(one)) {
		if !strings.HasPrefix(name, "pr-7/") {
			t.Fatalf("one app: %s is not under pr-7/", name)
		}
	}
}

// TestSyncAppsArgs: bad arguments are refused at their paths, all at once.
func TestSyncAppsArgs(t *testing.T) {
	web := loadExample(t, "web")
	_, err := render.SyncAppsFiles(context.Background(), []render.AppPRs{{Spec: web, PRs: []int{1, 0, 1}}, {Spec: web}, {}}, render.SyncOptions{})
	want := "invalid spec: 4 problems\n" +
		"  apps[0].prs[1]: Invalid value: 0: the pull-request number must be between 1 and 2147483647\n" +
		"  apps[0].prs[2]: Duplicate value: 1\n" +
		"  apps[1].spec.metadata.name: Duplicate value: \"web\"\n" +
		"  apps[2].spec: Required value: a spec is needed"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want it to contain %q", err, want)
	}
}
