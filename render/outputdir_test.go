package render_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/render"
)

func renderObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	out, err := render.Render(context.Background(), leastPrivilegeSpec(), 123, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out.Objects
}

// snapshot is every file below dir (relative name → contents); folders end in "/".
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
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
			if got := render.FileName(o); got != tc.want {
				t.Errorf("FileName = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWriteDir(t *testing.T) {
	objs := renderObjects(t)
	var want []string
	for _, o := range objs {
		want = append(want, render.FileName(o))
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
		if !slices.Equal(got, want) {
			t.Fatalf("files\n got %v\nwant %v", got, want)
		}
		for _, o := range objs {
			b, err := os.ReadFile(filepath.Join(dir, render.FileName(o)))
			if err != nil {
				t.Fatal(err)
			}
			back, err := render.ParseObjects(b)
			if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0].Object, o.Object) {
				t.Errorf("%s does not hold its object back (%v)", render.FileName(o), err)
			}
		}
		noLeftovers(t, filepath.Dir(dir), filepath.Base(dir))
	}

	t.Run("new folder, parents created", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b", "out")
		if err := render.WriteDir(dir, objs); err != nil {
			t.Fatal(err)
		}
		check(t, dir)
	})
	t.Run("replaces a previous run", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// A stale object the env no longer has, and a current one with old contents.
		for name, data := range map[string]string{"queue.sqs.services.k8s.aws_pr-123-shop_gone.yaml": "old\n", want[0]: "old\n"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := render.WriteDir(dir, objs); err != nil {
			t.Fatal(err)
		}
		check(t, dir)
	})
	t.Run("twice gives the same bytes", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		if err := render.WriteDir(dir, objs); err != nil {
			t.Fatal(err)
		}
		first := snapshot(t, dir)
		if err := render.WriteDir(dir, renderObjects(t)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, snapshot(t, dir)) {
			t.Error("a second run changed the folder")
		}
	})
	t.Run("empty list empties the folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		if err := render.WriteDir(dir, objs); err != nil {
			t.Fatal(err)
		}
		if err := render.WriteDir(dir, nil); err != nil {
			t.Fatal(err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%d files left", len(entries))
		}
	})
}

// TestWriteDirFailureLeavesFolder: every failing WriteDir leaves the folder
// exactly as it was and no temporary folders beside it.
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
			objs, "README.md",
		},
		"a sub-folder": {
			func(t *testing.T, dir string) { write(t, filepath.Join(dir, "keep", "x.yaml"), "mine\n") },
			objs, "keep",
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
			if err := render.WriteDir(dir, objs); err != nil {
				t.Fatal(err)
			}
			tc.prepare(t, dir)
			before := snapshot(t, parent)
			err := render.WriteDir(dir, tc.objs)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want one mentioning %q", err, tc.wantErr)
			}
			if after := snapshot(t, parent); !reflect.DeepEqual(before, after) {
				t.Errorf("the failed write changed the folder:\nbefore %v\nafter  %v", keys(before), keys(after))
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
		err := render.WriteDir(dir, []*unstructured.Unstructured{evil})
		if err == nil {
			t.Error("WriteDir accepted an object name holding a '/'")
		}
		if _, err := os.Stat(filepath.Join(root, "escaped.yaml")); err == nil {
			t.Error("WriteDir wrote outside its folder")
		}
		if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
			t.Errorf("changed: %v", keys(after))
		}
	})
	t.Run("not a folder", func(t *testing.T) {
		parent := t.TempDir()
		file := filepath.Join(parent, "out")
		write(t, file, "a file\n")
		before := snapshot(t, parent)
		if err := render.WriteDir(file, objs); err == nil {
			t.Fatal("WriteDir over a file succeeded")
		}
		if after := snapshot(t, parent); !reflect.DeepEqual(before, after) {
			t.Errorf("changed: %v", keys(after))
		}
	})
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// noLeftovers asserts parent holds nothing of WriteDir's but the folder itself.
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

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
