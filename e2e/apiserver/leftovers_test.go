package apiserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/leftovers"
	"prenv.dev/prenv/leftovers/kube"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

// leftoverPRs is how many PRs of each app TestSyncThenLeftovers opens; the
// even ones are closed.
const leftoverPRs = 6

// leftoverSpecs are the web and worker examples under their own prefix and
// app names, so that what other tests of this binary leave on the server
// (envs of the examples' own apps) is neither theirs nor counted.
func leftoverSpecs(t *testing.T) []*spec.PreviewEnvironment {
	t.Helper()
	var specs []*spec.PreviewEnvironment
	for _, ex := range []string{"web", "worker"} {
		s := loadSpec(t, ex)
		s.Metadata.Name = "lo" + ex
		s.Spec.Prefix = "lo"
		specs = append(specs, s)
	}
	return specs
}

// leftoverFinder reads the control plane with the kube package, as `render
// leftovers` does.
func leftoverFinder(t *testing.T) *kube.Cluster {
	t.Helper()
	kc, err := kube.New(env.Get(t).Config(), kube.Options{PageSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// find runs leftovers.Find and fails on failures and skipped kinds; it
// returns the leftovers as "source Kind namespace/name reason" lines.
func find(t *testing.T, opts leftovers.Options) []string {
	t.Helper()
	rep, err := leftovers.Find(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failures) > 0 || len(rep.Skipped) > 0 {
		t.Fatalf("failures %v, skipped %v", rep.Failures, rep.Skipped)
	}
	out := []string{}
	for _, l := range rep.Leftovers {
		out = append(out, fmt.Sprintf("%s %s %s/%s %s", l.Source, l.Kind, l.Namespace, l.Name, l.Reason))
	}
	return out
}

// TestSyncThenLeftovers runs the day-two flow on the API server: `render
// sync` writes the envs of PRs 1 to 6 of two apps, every object of the tree
// (and web's Argo CD Applications) is applied, the even PRs close. Then:
//
//   - leftovers on the old tree reports exactly the closed PRs' 6 folders;
//   - sync with the open PRs removes exactly those folders;
//   - leftovers on the server reports exactly the closed PRs' Namespaces,
//     ACK objects and Applications, and nothing in the new tree;
//   - once the closed PRs' Namespaces and Applications are deleted,
//     leftovers reports nothing.
func TestSyncThenLeftovers(t *testing.T) {
	cl := client(t)
	ctx := context.Background()
	specs := leftoverSpecs(t)
	var all, open []int
	for pr := 1; pr <= leftoverPRs; pr++ {
		all = append(all, pr)
		if pr%2 == 1 {
			open = append(open, pr)
		}
	}
	dir := filepath.Join(t.TempDir(), "envs")
	v := validator(t)
	validateEnv := func(ctx context.Context, out *render.Output) []error {
		res, err := v.ValidateObjects(ctx, out.Objects, nil)
		if err != nil {
			return []error{err}
		}
		var errs []error
		for _, p := range res.Problems {
			errs = append(errs, fmt.Errorf("%s", p))
		}
		return errs
	}
	res, err := render.Sync(ctx, dir, specs, all, render.SyncOptions{Validate: validateEnv})
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Count(render.FolderAdded); n != 2*leftoverPRs {
		t.Fatalf("sync added %d folders, want %d", n, 2*leftoverPRs)
	}

	// Apply the tree, as Argo CD applies each folder.
	var applied []*unstructured.Unstructured
	for _, s := range specs {
		for _, pr := range all {
			folder := filepath.Join(dir, s.Metadata.Name, fmt.Sprintf("pr-%d", pr))
			entries, err := os.ReadDir(folder)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if !strings.HasSuffix(e.Name(), ".yaml") {
					continue
				}
				data, err := os.ReadFile(filepath.Join(folder, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				objs, err := validate.DecodeObjects(e.Name(), data)
				if err != nil {
					t.Fatal(err)
				}
				// Namespaces first: the objects in them need them.
				slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
					return boolOrder(a.GetKind() != "Namespace", b.GetKind() != "Namespace")
				})
				applied = append(applied, objs...)
			}
		}
	}
	slices.SortStableFunc(applied, func(a, b *unstructured.Unstructured) int {
		return boolOrder(a.GetKind() != "Namespace", b.GetKind() != "Namespace")
	})
	// web's Applications, as its ApplicationSet generates them; without
	// Argo CD's finalizer, which no controller here would remove.
	if err := cl.EnsureNamespace(ctx, "argocd"); err != nil {
		t.Fatal(err)
	}
	for _, pr := range all {
		app, err := argocd.Application(ctx, specs[0], argocd.PullRequest{
			Number: pr, Branch: fmt.Sprintf("feature/%d", pr), TargetBranch: "main",
			HeadSHA: strings.Repeat("a", 40), Author: "octocat", Title: "Change",
		}, argocd.Options{IgnoreFilters: true})
		if err != nil {
			t.Fatal(err)
		}
		app.SetFinalizers(nil)
		applied = append(applied, app)
	}
	for _, o := range applied {
		if _, err := cl.Apply(ctx, o, cluster.ApplyOptions{}); err != nil {
			t.Fatalf("apply %s: %v", objectName(o), err)
		}
	}

	// What leftovers must report: every applied Namespace, ACK object and
	// Application of a closed PR.
	closed := func(o *unstructured.Unstructured) bool {
		return !slices.Contains(open, atoi(o.GetLabels()[spec.LabelPR]))
	}
	var want, closedNamespaces []string
	var closedApps []*unstructured.Unstructured
	for _, o := range applied {
		gvk := o.GroupVersionKind()
		kind := gvk.Kind
		if gvk.Group != "" {
			kind += "." + gvk.Group
		}
		switch {
		case !closed(o):
		case gvk.Group == "" && gvk.Kind == "Namespace":
			closedNamespaces = append(closedNamespaces, o.GetName())
		case strings.HasSuffix(gvk.Group, ".services.k8s.aws"):
		case gvk.Group == "argoproj.io":
			closedApps = append(closedApps, o)
		default:
			continue // ServiceAccount, ConfigMap: not listed
		}
		if closed(o) {
			want = append(want, fmt.Sprintf("cluster %s %s/%s pr-closed", kind, o.GetNamespace(), o.GetName()))
		}
	}
	// 3 closed PRs × (web: Namespace, Policy, Role, Table, 2 Queues,
	// Application; worker: Namespace, Policy, Role, Table, 3 Queues).
	if len(want) != 3*7+3*7 {
		t.Fatalf("%d objects of closed PRs, want 42:\n%s", len(want), strings.Join(want, "\n"))
	}
	sortLines(want)

	kc := leftoverFinder(t)
	// The old tree: exactly the closed PRs' folders.
	var wantFolders []string
	for _, s := range specs {
		for _, pr := range all {
			if pr%2 == 0 {
				wantFolders = append(wantFolders, fmt.Sprintf("tree folder /%s/pr-%d pr-closed", s.Metadata.Name, pr))
			}
		}
	}
	if got := find(t, leftovers.Options{Specs: specs, OpenPRs: open, Now: time.Now(), TreeDir: dir}); !slices.Equal(got, wantFolders) {
		t.Errorf("leftovers of the old tree:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantFolders, "\n"))
	}

	// Sync with the open PRs removes exactly those folders.
	res, err = render.Sync(ctx, dir, specs, open, render.SyncOptions{Validate: validateEnv})
	if err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, f := range res.Folders {
		if f.Status == render.FolderRemoved {
			removed = append(removed, fmt.Sprintf("tree folder /%s pr-closed", f.Folder))
		} else if f.Status != render.FolderUnchanged {
			t.Errorf("sync: %s %s, want unchanged", f.Folder, f.Status)
		}
	}
	if !slices.Equal(removed, wantFolders) {
		t.Errorf("sync removed\n%s\nwant\n%s", strings.Join(removed, "\n"), strings.Join(wantFolders, "\n"))
	}

	// Before the Namespaces are deleted: exactly the closed PRs' objects.
	got := find(t, leftovers.Options{Specs: specs, OpenPRs: open, Now: time.Now(), Cluster: kc, TreeDir: dir})
	if !slices.Equal(got, want) {
		t.Errorf("leftovers before deletion:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Close: delete the Namespaces (the namespace controller deletes what
	// is in them) and the Applications.
	for _, a := range closedApps {
		if err := cl.Delete(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range closedNamespaces {
		if err := cl.DeleteNamespace(ctx, ns, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if got := find(t, leftovers.Options{Specs: specs, OpenPRs: open, Now: time.Now(), Cluster: kc, TreeDir: dir}); len(got) != 0 {
		t.Errorf("leftovers after deletion:\n%s\nwant none", strings.Join(got, "\n"))
	}

	// Clean up the open PRs' envs for the other tests.
	for _, o := range applied {
		if o.GetKind() == "Namespace" && !closed(o) {
			if err := cl.DeleteNamespace(ctx, o.GetName(), 3*time.Minute); err != nil {
				t.Error(err)
			}
		} else if o.GetKind() == "Application" && !closed(o) {
			if err := cl.Delete(ctx, o); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestLeftoversTTL: a Namespace with prenv.dev/ttl expires at its
// creationTimestamp (set by the server) plus the TTL, not a second before,
// even though its PR is open; its ACK objects expire with it.
func TestLeftoversTTL(t *testing.T) {
	cl := client(t)
	ctx := context.Background()
	envSpec := leftoverSpecs(t)[0]
	out, err := renderEnvFor(ctx, envSpec, 7)
	if err != nil {
		t.Fatal(err)
	}
	objs := printed(t, out.Objects)
	var nsName string
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			a := o.GetAnnotations()
			if a == nil {
				a = map[string]string{}
			}
			a[leftovers.AnnotationTTL] = "1h30m"
			o.SetAnnotations(a)
			nsName = o.GetName()
		}
	}
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		return boolOrder(a.GetKind() != "Namespace", b.GetKind() != "Namespace")
	})
	var created time.Time
	var wantExpired []string
	for _, o := range objs {
		stored, err := cl.Apply(ctx, o, cluster.ApplyOptions{})
		if err != nil {
			t.Fatalf("apply %s: %v", objectName(o), err)
		}
		if o.GetKind() == "Namespace" {
			created = stored.GetCreationTimestamp().Time
		}
		gvk := o.GroupVersionKind()
		switch {
		case gvk.Kind == "Namespace":
			wantExpired = append(wantExpired, fmt.Sprintf("cluster Namespace /%s ttl-expired", o.GetName()))
		case strings.HasSuffix(gvk.Group, ".services.k8s.aws"):
			wantExpired = append(wantExpired, fmt.Sprintf("cluster %s.%s %s/%s ttl-expired", gvk.Kind, gvk.Group, o.GetNamespace(), o.GetName()))
		}
	}
	t.Cleanup(func() {
		if err := cl.DeleteNamespace(context.Background(), nsName, 3*time.Minute); err != nil {
			t.Error(err)
		}
	})
	sortLines(wantExpired)
	kc := leftoverFinder(t)
	expiry := created.Add(90 * time.Minute)
	opts := leftovers.Options{Specs: []*spec.PreviewEnvironment{envSpec}, OpenPRs: []int{7}, Cluster: kc}
	opts.Now = expiry
	if got := find(t, opts); len(got) != 0 {
		t.Errorf("at the expiry instant: %v, want none", got)
	}
	opts.Now = expiry.Add(time.Second)
	got := find(t, opts)
	if !slices.Equal(got, wantExpired) {
		t.Errorf("a second after expiry:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantExpired, "\n"))
	}
	// web: Namespace, Policy, Role, Table, 2 Queues.
	if len(wantExpired) != 6 {
		t.Errorf("%d objects expired, want 6", len(wantExpired))
	}
}

// renderEnvFor renders one env with the embedded kit.
func renderEnvFor(ctx context.Context, spec *spec.PreviewEnvironment, pr int) (*render.Output, error) {
	r, err := render.NewRenderer(render.Options{})
	if err != nil {
		return nil, err
	}
	return r.Render(ctx, spec, pr)
}

// boolOrder orders false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func atoi(s string) int {
	n := 0
	fmt.Sscanf(s, "%d", &n)
	return n
}

// sortLines sorts "source Kind namespace/name reason" lines as leftovers
// sorts its report: by source, kind, namespace, then name.
func sortLines(lines []string) {
	key := func(l string) []string {
		f := strings.Fields(l)
		ns, name, _ := strings.Cut(f[2], "/")
		return []string{f[0], f[1], ns, name}
	}
	slices.SortFunc(lines, func(a, b string) int { return slices.Compare(key(a), key(b)) })
}
