package outputdir_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/render"
)

func renderObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	out, err := render.Render(context.Background(), testkit.LeastPrivilegeSpec(), 123, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out.Objects
}

// snapshot is every entry below dir (relative name → contents): folders end
// in "/", symbolic links read "-> target"; dir itself is not listed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			return nil
		case d.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			files[rel] = "-> " + target
			return err
		case d.IsDir():
			files[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// markerOf is the marker prenv writes into a folder holding the files names.
func markerOf(names ...string) string {
	s := "# prenv output folder\n" +
		"# prenv replaces this folder as a whole on its next run, and refuses to\n" +
		"# if the folder holds a file not listed below: do not add files by hand.\n"
	for _, n := range names {
		s += n + "\n"
	}
	return s
}

func TestFileName(t *testing.T) {
	tests := map[string]struct {
		apiVersion, kind, namespace, name string
		want                              string
	}{
		"cluster-scoped core": {"v1", "Namespace", "", "test-123-web", "namespace_test-123-web.yaml"},
		"namespaced core":     {"v1", "ConfigMap", "test-123-web", "web-prenv", "configmap_test-123-web_web-prenv.yaml"},
		"ACK role":            {"iam.services.k8s.aws/v1alpha1", "Role", "test-123-web", "web", "role.iam.services.k8s.aws_test-123-web_web.yaml"},
		"ACK queue":           {"sqs.services.k8s.aws/v1alpha1", "Queue", "ns", "jobs-dlq", "queue.sqs.services.k8s.aws_ns_jobs-dlq.yaml"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := &unstructured.Unstructured{}
			o.SetAPIVersion(tc.apiVersion)
			o.SetKind(tc.kind)
			o.SetNamespace(tc.namespace)
			o.SetName(tc.name)
			if got := outputdir.FileName(o); got != tc.want {
				t.Errorf("FileName = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWriteDir(t *testing.T) {
	objs := renderObjects(t)
	var want []string
	for _, o := range objs {
		want = append(want, outputdir.FileName(o))
	}
	slices.Sort(want)

	check := func(t *testing.T, dir string) {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		if wantAll := append([]string{outputdir.MarkerFile}, want...); !slices.Equal(got, wantAll) {
			t.Fatalf("files\n got %v\nwant %v", got, wantAll)
		}
		for _, o := range objs {
			b, err := os.ReadFile(filepath.Join(dir, outputdir.FileName(o)))
			if err != nil {
				t.Fatal(err)
			}
			back, err := manifest.ParseObjects(b)
			if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0].Object, o.Object) {
				t.Errorf("%s does not hold its object back (%v)", outputdir.FileName(o), err)
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, outputdir.MarkerFile))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(markerOf(want...), string(b)); diff != "" {
			t.Errorf("marker (-want +got):\n%s", diff)
		}
		noLeftovers(t, filepath.Dir(dir), filepath.Base(dir))
	}

	t.Run("new folder, parents created", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b", "out")
		if err := outputdir.WriteDir(dir, objs); err != nil {
			t.Fatal(err)
		}
		check(t, dir)
	})
	t.Run("replaces a previous run", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		// A stale object the env no longer has, and a current one with old
		// contents, both listed by the marker of the earlier run.
		stale := "queue.sqs.services.k8s.aws_pr-123-shop_gone.yaml"
		write(t, filepath.Join(dir, stale), "old\n")
		write(t, filepath.Join(dir, want[0]), "old\n")
		write(t, filepath.Join(dir, outputdir.MarkerFile), markerOf(want[0], stale))
		if err := outputdir.WriteDir(dir, objs); err != nil {
			t.Fatal(err)
		}
		check(t, dir)
	})
	t.Run("twice gives the same bytes", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		if err := outputdir.WriteDir(dir, objs); err != nil {
			t.Fatal(err)
		}
		first := snapshot(t, dir)
		if err := outputdir.WriteDir(dir, renderObjects(t)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, snapshot(t, dir)); diff != "" {
			t.Errorf("a second run changed the folder (-first +second):\n%s", diff)
		}
	})
	t.Run("empty list leaves only the marker", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		if err := outputdir.WriteDir(dir, objs); err != nil {
			t.Fatal(err)
		}
		if err := outputdir.WriteDir(dir, nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{outputdir.MarkerFile: markerOf()}, snapshot(t, dir)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// TestWriteDirFailureLeavesFolder: every failing WriteDir leaves the folder
// exactly as it was and nothing beside it.
func TestWriteDirFailureLeavesFolder(t *testing.T) {
	objs := renderObjects(t)
	dup := append(slices.Clone(objs), objs[0].DeepCopy())
	tests := map[string]struct {
		prepare func(t *testing.T, dir string)
		objs    []*unstructured.Unstructured
		wantErr string
	}{
		"a foreign file": {
			func(t *testing.T, dir string) { write(t, filepath.Join(dir, "README.md"), "mine\n") },
			objs, "refusing to replace " + "OUT" + ": it holds README.md, which prenv did not write (.prenv-output does not list it)",
		},
		"a sub-folder": {
			func(t *testing.T, dir string) { write(t, filepath.Join(dir, "keep", "x.yaml"), "mine\n") },
			objs, "it holds keep/x.yaml, which prenv did not write (keep/ has no .prenv-output marker)",
		},
		"two objects, one file name": {
			func(t *testing.T, dir string) {},
			dup, "share the file name",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			if err := outputdir.WriteDir(dir, objs); err != nil {
				t.Fatal(err)
			}
			tc.prepare(t, dir)
			before := snapshot(t, parent)
			err := outputdir.WriteDir(dir, tc.objs)
			if wantErr := strings.ReplaceAll(tc.wantErr, "OUT", dir); err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Fatalf("got error %v, want one holding %q", err, wantErr)
			}
			if diff := cmp.Diff(before, snapshot(t, parent)); diff != "" {
				t.Errorf("the failed write changed the folder (-before +after):\n%s", diff)
			}
		})
	}
	t.Run("object name with a slash", func(t *testing.T) {
		// Objects from --templates, --chart or --kustomize are not checked
		// like the kit's; a name must still never become a path.
		root := t.TempDir()
		dir := filepath.Join(root, "a", "b", "out")
		evil := &unstructured.Unstructured{}
		evil.SetAPIVersion("v1")
		evil.SetKind("ConfigMap")
		evil.SetName("x/../../../../escaped")
		before := snapshot(t, root)
		err := outputdir.WriteDir(dir, []*unstructured.Unstructured{evil})
		if err == nil || !strings.Contains(err.Error(), "a name holding a path separator cannot be a file name") {
			t.Errorf("WriteDir with an object name holding a '/': %v", err)
		}
		if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
			t.Errorf("changed (-before +after):\n%s", diff)
		}
	})
}

// TestReplaceDirRefuses: a folder holding anything prenv did not write is
// refused with the entry named, and nothing in or beside it changes.
func TestReplaceDirRefuses(t *testing.T) {
	type tc struct {
		prepare    func(t *testing.T, dir string)
		wantReason error
		wantPath   string
		wantDetail string
	}
	prenvFolder := func(t *testing.T, dir string) {
		t.Helper()
		if _, err := outputdir.ReplaceDir(context.Background(), dir, map[string][]byte{"a.yaml": []byte("a\n"), "pr-1/b.yaml": []byte("b\n")}); err != nil {
			t.Fatal(err)
		}
	}
	tests := map[string]tc{
		"the spec's own folder": {
			prepare: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "prenv.yaml"), "apiVersion: prenv.dev/v1alpha1\n")
				write(t, filepath.Join(dir, "app-values.yaml"), "replicas: 1\n")
				write(t, filepath.Join(dir, "templates", "extra.yaml"), "kind: ConfigMap\n")
			},
			wantReason: outputdir.ErrNotPrenvOutput, wantPath: "app-values.yaml",
			wantDetail: "it holds app-values.yaml, which prenv did not write (the folder has no .prenv-output marker)",
		},
		"a file added to prenv's folder": {
			prepare: func(t *testing.T, dir string) {
				prenvFolder(t, dir)
				write(t, filepath.Join(dir, "KEEP.md"), "mine\n")
			},
			wantReason: outputdir.ErrNotPrenvOutput, wantPath: "KEEP.md",
			wantDetail: "it holds KEEP.md, which prenv did not write (.prenv-output does not list it)",
		},
		"a file added to prenv's sub-folder": {
			prepare: func(t *testing.T, dir string) {
				prenvFolder(t, dir)
				write(t, filepath.Join(dir, "pr-1", "notes.yaml"), "mine\n")
			},
			wantReason: outputdir.ErrNotPrenvOutput, wantPath: "pr-1/notes.yaml",
			wantDetail: "it holds pr-1/notes.yaml, which prenv did not write (pr-1/.prenv-output does not list it)",
		},
		"a sub-folder of the user's": {
			prepare: func(t *testing.T, dir string) {
				prenvFolder(t, dir)
				write(t, filepath.Join(dir, "mine", "deep", "x.yaml"), "mine\n")
			},
			wantReason: outputdir.ErrNotPrenvOutput, wantPath: "mine/deep/x.yaml",
			wantDetail: "it holds mine/deep/x.yaml, which prenv did not write (mine/deep/ has no .prenv-output marker)",
		},
		"a marker prenv did not write": {
			prepare: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, outputdir.MarkerFile), "a.yaml\n")
				write(t, filepath.Join(dir, "a.yaml"), "mine\n")
			},
			wantReason: outputdir.ErrNotPrenvOutput, wantPath: ".prenv-output",
			wantDetail: `it holds .prenv-output, which prenv did not write (it does not start with "# prenv output folder")`,
		},
		"a marker that is a symbolic link": {
			prepare: func(t *testing.T, dir string) {
				write(t, filepath.Join(filepath.Dir(dir), "elsewhere"), markerOf("a.yaml"))
				makeDir(t, dir)
				makeSymlink(t, filepath.Join("..", "elsewhere"), filepath.Join(dir, outputdir.MarkerFile))
			},
			wantReason: outputdir.ErrNotPrenvOutput, wantPath: ".prenv-output",
			wantDetail: "it holds .prenv-output, which prenv did not write (not a regular file)",
		},
		"a symbolic link inside": {
			prepare: func(t *testing.T, dir string) {
				prenvFolder(t, dir)
				makeSymlink(t, "a.yaml", filepath.Join(dir, "pr-1", "link.yaml"))
			},
			wantReason: outputdir.ErrNotPrenvOutput, wantPath: "pr-1/link.yaml",
			wantDetail: "it holds pr-1/link.yaml, a symbolic link, which prenv never writes",
		},
		"a file, not a folder": {
			prepare: func(t *testing.T, dir string) {
				write(t, dir, "a file\n")
			},
			wantReason: outputdir.ErrOutputNotDir, wantPath: "",
			wantDetail: "it is not a folder",
		},
		"a symbolic link to prenv's folder": {
			prepare: func(t *testing.T, dir string) {
				prenvFolder(t, filepath.Join(filepath.Dir(dir), "target"))
				makeSymlink(t, "target", dir)
			},
			wantReason: outputdir.ErrOutputSymlink, wantPath: "",
			wantDetail: "it is a symbolic link (to target), which prenv does not follow; name the folder itself",
		},
		"a dangling symbolic link": {
			prepare: func(t *testing.T, dir string) {
				makeSymlink(t, "nowhere", dir)
			},
			wantReason: outputdir.ErrOutputSymlink, wantPath: "",
			wantDetail: "it is a symbolic link (to nowhere), which prenv does not follow; name the folder itself",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			tc.prepare(t, dir)
			before := snapshot(t, parent)
			_, err := outputdir.ReplaceDir(context.Background(), dir, map[string][]byte{"a.yaml": []byte("new\n")})
			var refused *outputdir.DirRefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("got %v, want a *DirRefusedError", err)
			}
			if !errors.Is(err, tc.wantReason) {
				t.Errorf("errors.Is(err, %v) is false for %v", tc.wantReason, err)
			}
			if refused.Dir != dir || refused.Path != tc.wantPath || refused.Detail != tc.wantDetail {
				t.Errorf("got Dir %q Path %q Detail %q\nwant Dir %q Path %q Detail %q", refused.Dir, refused.Path, refused.Detail, dir, tc.wantPath, tc.wantDetail)
			}
			if want := "refusing to replace " + dir + ": " + tc.wantDetail; err.Error() != want {
				t.Errorf("message\n got %q\nwant %q", err.Error(), want)
			}
			if diff := cmp.Diff(before, snapshot(t, parent)); diff != "" {
				t.Errorf("the refused run changed something (-before +after):\n%s", diff)
			}
		})
	}
}

// TestReplaceDirAccepts: an absent or empty folder, a folder holding only
// prenv's sub-folders, and leftovers of interrupted runs inside the tree
// are all prenv's to replace.
func TestReplaceDirAccepts(t *testing.T) {
	files := map[string][]byte{"pr-12/a.yaml": []byte("a\n")}
	want := map[string]string{".prenv-output": markerOf(), "pr-12/": "", "pr-12/.prenv-output": markerOf("a.yaml"), "pr-12/a.yaml": "a\n"}
	tests := map[string]func(t *testing.T, dir string){
		"absent": func(t *testing.T, dir string) {},
		"empty folder": func(t *testing.T, dir string) {
			makeDir(t, dir)
		},
		"only empty folders": func(t *testing.T, dir string) {
			makeDir(t, filepath.Join(dir, "x", "y"))
		},
		"written by render env, one folder per PR, without a marker at the top": func(t *testing.T, dir string) {
			if err := outputdir.WriteDir(filepath.Join(dir, "pr-12"), nil); err != nil {
				t.Fatal(err)
			}
			if err := outputdir.WriteDir(filepath.Join(dir, "pr-15"), nil); err != nil {
				t.Fatal(err)
			}
		},
		"leftovers of an interrupted run for a PR folder": func(t *testing.T, dir string) {
			if err := outputdir.WriteDir(filepath.Join(dir, "pr-12"), nil); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, ".pr-12.prenv-tmp", ".prenv-output"), markerOf("half.yaml"))
			write(t, filepath.Join(dir, ".pr-12.prenv-tmp", "half.yaml"), "x")
			write(t, filepath.Join(dir, ".pr-12.prenv-lock"), "")
			write(t, filepath.Join(dir, ".pr-15.prenv-old", ".prenv-output"), markerOf())
		},
	}
	for name, prepare := range tests {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "web")
			prepare(t, dir)
			if _, err := outputdir.ReplaceDir(context.Background(), dir, files); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, snapshot(t, dir)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			noLeftovers(t, parent, "web")
		})
	}
}

// TestReplaceDirTree is the render sync shape: one folder per open PR,
// replaced as a whole, with the change set reported.
func TestReplaceDirTree(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "envs", "web")
	first := map[string][]byte{
		"pr-12/namespace_pr-12-web.yaml":           []byte("ns 12\n"),
		"pr-12/configmap_pr-12-web_web-prenv.yaml": []byte("cm 12\n"),
		"pr-15/namespace_pr-15-web.yaml":           []byte("ns 15\n"),
	}
	got, err := outputdir.ReplaceDir(ctx, dir, first)
	if err != nil {
		t.Fatal(err)
	}
	want := outputdir.DirChanges{Added: []string{"pr-12/configmap_pr-12-web_web-prenv.yaml", "pr-12/namespace_pr-12-web.yaml", "pr-15/namespace_pr-15-web.yaml"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first changes (-want +got):\n%s", diff)
	}
	wantTree := map[string]string{
		".prenv-output": markerOf(),
		"pr-12/":        "", "pr-12/.prenv-output": markerOf("configmap_pr-12-web_web-prenv.yaml", "namespace_pr-12-web.yaml"),
		"pr-12/configmap_pr-12-web_web-prenv.yaml": "cm 12\n", "pr-12/namespace_pr-12-web.yaml": "ns 12\n",
		"pr-15/": "", "pr-15/.prenv-output": markerOf("namespace_pr-15-web.yaml"),
		"pr-15/namespace_pr-15-web.yaml": "ns 15\n",
	}
	if diff := cmp.Diff(wantTree, snapshot(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}

	// render env for one PR into its folder of the tree is accepted, and
	// the tree stays the tree's to replace.
	if err := outputdir.WriteDir(filepath.Join(dir, "pr-15"), nil); err != nil {
		t.Fatal(err)
	}
	second := map[string][]byte{
		"pr-12/namespace_pr-12-web.yaml":           []byte("ns 12\n"),
		"pr-12/configmap_pr-12-web_web-prenv.yaml": []byte("cm 12 changed\n"),
		"pr-31/namespace_pr-31-web.yaml":           []byte("ns 31\n"),
	}
	got, err = outputdir.ReplaceDir(ctx, dir, second)
	if err != nil {
		t.Fatal(err)
	}
	want = outputdir.DirChanges{
		Added:   []string{"pr-31/namespace_pr-31-web.yaml"},
		Changed: []string{"pr-12/configmap_pr-12-web_web-prenv.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("second changes (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "pr-15")); !os.IsNotExist(err) {
		t.Errorf("the folder of a PR no longer listed is still there (%v)", err)
	}
	got, err = outputdir.ReplaceDir(ctx, dir, map[string][]byte{})
	if err != nil {
		t.Fatal(err)
	}
	want = outputdir.DirChanges{Removed: []string{"pr-12/configmap_pr-12-web_web-prenv.yaml", "pr-12/namespace_pr-12-web.yaml", "pr-31/namespace_pr-31-web.yaml"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("third changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{".prenv-output": markerOf()}, snapshot(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	noLeftovers(t, filepath.Dir(dir), "web")
}

// TestReplaceDirInvalidFiles: every bad path is reported at once, at
// files[<path>], and nothing is created.
func TestReplaceDirInvalidFiles(t *testing.T) {
	files := map[string][]byte{
		"ok.yaml":                nil,
		"":                       nil,
		"/etc/passwd":            nil,
		"../escape.yaml":         nil,
		"a/./b.yaml":             nil,
		"a//b.yaml":              nil,
		"dir/":                   nil,
		`win\path.yaml`:          nil,
		"new\nline.yaml":         nil,
		"nel\u0085.yaml":         nil,
		"bad\xff.yaml":           nil,
		"#comment.yaml":          nil,
		".prenv-output":          nil,
		"x/.y.prenv-lock":        nil,
		"both":                   nil,
		"both/inner.yaml":        nil,
		"Case/a.yaml":            nil,
		"case/b.yaml":            nil,
		strings.Repeat("n", 256): nil,
	}
	want := []string{
		`files[]: Invalid value: "": must not be empty`,
		`files[#comment.yaml]: Invalid value: "#comment.yaml": element "#comment.yaml" starts with "#", which a marker reads as a comment`,
		`files[../escape.yaml]: Invalid value: "../escape.yaml": must not contain "." or ".." elements`,
		`files[.prenv-output]: Invalid value: ".prenv-output": .prenv-output is reserved for prenv's marker`,
		`files[/etc/passwd]: Invalid value: "/etc/passwd": must be relative to the folder`,
		`files[a/./b.yaml]: Invalid value: "a/./b.yaml": must not contain "." or ".." elements`,
		`files[a//b.yaml]: Invalid value: "a//b.yaml": must not contain an empty element ("//" or a "/" at the end)`,
		`files[bad` + "\xff" + `.yaml]: Invalid value: "bad\xff.yaml": must be valid UTF-8`,
		`files[case/b.yaml]: Invalid value: "case/b.yaml": "Case" and "case" differ only in case, which a case-insensitive file system cannot hold apart`,
		`files[dir/]: Invalid value: "dir/": must not contain an empty element ("//" or a "/" at the end)`,
		`files[nel` + "\u0085" + `.yaml]: Invalid value: "nel\u0085.yaml": must not contain control characters`,
		`files[new` + "\n" + `line.yaml]: Invalid value: "new\nline.yaml": must not contain control characters`,
		`files[` + strings.Repeat("n", 256) + `]: Invalid value: "` + strings.Repeat("n", 256) + `": element "nnnnnnnnnnnnnnnnnnnn"... is longer than 255 bytes`,
		`files[win\path.yaml]: Invalid value: "win\\path.yaml": must use "/" as separator, never "\"`,
		`files[x/.y.prenv-lock]: Invalid value: "x/.y.prenv-lock": .y.prenv-lock is reserved for prenv's temporary folders and lock files`,
		`files[both]: Invalid value: "both": is a file and also the folder of both/inner.yaml`,
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	_, err := outputdir.ReplaceDir(context.Background(), dir, files)
	var invalid *outputdir.InvalidFilesError
	if !errors.As(err, &invalid) {
		t.Fatalf("got %v, want an *InvalidFilesError", err)
	}
	var got []string
	for _, fe := range invalid.Errs {
		got = append(got, fe.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("an invalid map created %v", entries)
	}
}

// TestReplaceDirCleansLeftovers: a run first removes what interrupted runs
// left beside the folder (and only that), and moves back the old tree that
// an interrupted fallback swap left aside.
func TestReplaceDirCleansLeftovers(t *testing.T) {
	ctx := context.Background()
	files := map[string][]byte{"a.yaml": []byte("new\n")}
	t.Run("user folders named like leftovers stay", func(t *testing.T) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		write(t, filepath.Join(parent, ".out.new-2024", "notes.txt"), "mine")
		write(t, filepath.Join(parent, ".out.prenv-old", "z"), "mine")
		_, err := outputdir.ReplaceDir(ctx, dir, files)
		if err == nil || !strings.Contains(err.Error(), ".out.prenv-old beside out is in the way and prenv did not write it") {
			t.Fatalf("err = %v", err)
		}
		want := map[string]string{".out.new-2024/": "", ".out.new-2024/notes.txt": "mine", ".out.prenv-old/": "", ".out.prenv-old/z": "mine"}
		if diff := cmp.Diff(want, snapshot(t, parent)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("folder present", func(t *testing.T) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		if _, err := outputdir.ReplaceDir(ctx, dir, map[string][]byte{"a.yaml": []byte("old\n")}); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(parent, ".out.prenv-tmp", ".prenv-output"), markerOf())
		write(t, filepath.Join(parent, ".out.prenv-tmp", "half", "x.yaml"), "x")
		write(t, filepath.Join(parent, ".out.prenv-old", ".prenv-output"), markerOf("a.yaml"))
		write(t, filepath.Join(parent, ".out.prenv-old", "a.yaml"), "older\n")
		write(t, filepath.Join(parent, ".out.prenv-lock"), "")
		write(t, filepath.Join(parent, ".out.new-123456"), "an earlier prenv's temporary folder")
		write(t, filepath.Join(parent, ".out.new-123456.old", "a.yaml"), "older\n")
		// Not leftovers of out: another folder's, and a user's.
		write(t, filepath.Join(parent, ".other.prenv-tmp", "x"), "x")
		write(t, filepath.Join(parent, ".out.new-mine"), "mine")
		got, err := outputdir.ReplaceDir(ctx, dir, files)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(outputdir.DirChanges{Changed: []string{"a.yaml"}}, got); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		// An earlier prenv's leftovers carry no marker: they cannot be told
		// from the user's, so they stay.
		want := map[string]string{
			"out/": "", "out/.prenv-output": markerOf("a.yaml"), "out/a.yaml": "new\n",
			".other.prenv-tmp/": "", ".other.prenv-tmp/x": "x", ".out.new-mine": "mine",
			".out.new-123456": "an earlier prenv's temporary folder", ".out.new-123456.old/": "", ".out.new-123456.old/a.yaml": "older\n",
		}
		if diff := cmp.Diff(want, snapshot(t, parent)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("folder moved aside by an interrupted fallback swap", func(t *testing.T) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		if _, err := outputdir.ReplaceDir(ctx, dir, map[string][]byte{"a.yaml": []byte("old\n"), "b.yaml": []byte("old\n")}); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(dir, filepath.Join(parent, ".out.prenv-old")); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(parent, ".out.prenv-tmp", ".prenv-output"), markerOf("a.yaml"))
		write(t, filepath.Join(parent, ".out.prenv-tmp", "a.yaml"), "new\n")
		got, err := outputdir.ReplaceDir(ctx, dir, files)
		if err != nil {
			t.Fatal(err)
		}
		// The change set is against the old tree: it was moved back first.
		if diff := cmp.Diff(outputdir.DirChanges{Changed: []string{"a.yaml"}, Removed: []string{"b.yaml"}}, got); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		want := map[string]string{"out/": "", "out/.prenv-output": markerOf("a.yaml"), "out/a.yaml": "new\n"}
		if diff := cmp.Diff(want, snapshot(t, parent)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// TestReplaceDirCanceled: a context that has ended changes nothing.
func TestReplaceDirCanceled(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if _, err := outputdir.ReplaceDir(context.Background(), dir, map[string][]byte{"a.yaml": []byte("old\n")}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, parent)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := outputdir.ReplaceDir(ctx, dir, map[string][]byte{"a.yaml": []byte("new\n")}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if diff := cmp.Diff(before, snapshot(t, parent)); diff != "" {
		t.Errorf("(-before +after):\n%s", diff)
	}
}

// TestReplaceDirConcurrent: writers in goroutines take turns; each run
// succeeds, the folder ends as one writer's tree, entirely, and nothing is
// left beside it. (Run with -race.)
func TestReplaceDirConcurrent(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	version := func(i int) map[string][]byte {
		files := map[string][]byte{"common.yaml": {byte('a' + i), '\n'}}
		for j := range i + 1 {
			files[fmt.Sprintf("pr-%d/%d.yaml", i, j)] = []byte{byte('a' + j)}
		}
		return files
	}
	const writers, runs = 6, 4
	wants := make([]map[string]string, writers)
	for i := range writers {
		ref := filepath.Join(t.TempDir(), "ref")
		if _, err := outputdir.ReplaceDir(context.Background(), ref, version(i)); err != nil {
			t.Fatal(err)
		}
		wants[i] = snapshot(t, ref)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for range runs {
				if _, err := outputdir.ReplaceDir(ctx, dir, version(i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := snapshot(t, dir)
	if !slices.ContainsFunc(wants, func(w map[string]string) bool { return reflect.DeepEqual(w, got) }) {
		t.Errorf("the folder is no writer's tree: %v", slices.Sorted(maps.Keys(got)))
	}
	noLeftovers(t, parent, "out")
}

func write(t *testing.T, path, data string) {
	t.Helper()
	makeDir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func makeDir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func makeSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
}

// noLeftovers asserts parent holds nothing of a writer's but the folder base.
func noLeftovers(t *testing.T, parent, base string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+base) {
			t.Errorf("left behind %s", e.Name())
		}
	}
}
