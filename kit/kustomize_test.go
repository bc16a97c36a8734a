//go:build unix

package kit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/spec"
)

// kustomizeObjects are the objects the kustomize tests transform.
func kustomizeObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	objs, err := manifest.ParseObjects([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: test-1-web\ndata:\n  a: b\n"))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// countingServer is a local HTTP server that counts the requests it gets.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// unsafeFields returns the "file: field" of every refused field of err, in
// order, failing the test when err is not refused kustomization fields.
func unsafeFields(t *testing.T, err error) []string {
	t.Helper()
	var ke *kit.KustomizeError
	if !errors.As(err, &ke) {
		t.Fatalf("error %v is not a *render.KustomizeError", err)
	}
	var got []string
	var walk func(error)
	walk = func(e error) {
		var ue *kit.UnsafeKustomizationError
		if errors.As(e, &ue) && e == error(ue) {
			for _, fe := range ue.Errs {
				got = append(got, ue.File+": "+fe.Field)
			}
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, c := range j.Unwrap() {
				walk(c)
			}
		}
	}
	walk(ke.Err)
	if len(got) == 0 {
		t.Fatalf("error %v names no refused field", err)
	}
	return got
}

// TestKustomizeNoNetwork: every field through which kustomize fetches a
// resource, base, component, generator file, patch, CRD, schema or plugin
// configuration over HTTP is refused before kustomize runs, with the field
// named, and a local server sees no request.
func TestKustomizeNoNetwork(t *testing.T) {
	srv, requests := countingServer(t)
	u := srv.URL
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{
		"kustomization.yaml": `resources:
- ` + u + `/r.yaml
- base
bases:
- ` + u + `/base
components:
- ` + u + `/component
configMapGenerator:
- name: c
  files: [` + u + `/f.txt, key=` + u + `/g.txt]
  envs: [` + u + `/e.env]
secretGenerator:
- name: s
  env: ` + u + `/s.env
patches:
- path: ` + u + `/p.yaml
patchesJson6902:
- path: ` + u + `/j.yaml
  target: {kind: ConfigMap, name: app}
crds: [` + u + `/crd.yaml]
configurations: [` + u + `/conf.yaml]
openapi: {path: ` + u + `/schema.json}
replacements:
- path: ` + u + `/repl.yaml
generators:
- ` + u + `/gen.yaml
- |
  apiVersion: builtin
  kind: ConfigMapGenerator
  metadata: {name: inline}
  files: [` + u + `/inline.txt]
transformers:
- |
  apiVersion: builtin
  kind: PatchTransformer
  metadata: {name: p}
  path: ` + u + `/pt.yaml
validators:
- ` + u + `/val.yaml
`,
		"base/kustomization.yaml": "components:\n- " + u + "/c2\n",
	})
	_, err := kit.Kustomize(context.Background(), dir, kustomizeObjects(t))
	want := []string{
		"kustomization.yaml: resources[0]",
		"kustomization.yaml: bases[0]",
		"kustomization.yaml: components[0]",
		"kustomization.yaml: crds[0]",
		"kustomization.yaml: configurations[0]",
		"kustomization.yaml: openapi.path",
		"kustomization.yaml: patches[0].path",
		"kustomization.yaml: patchesJson6902[0].path",
		"kustomization.yaml: replacements[0].path",
		"kustomization.yaml: configMapGenerator[0].files[0]",
		"kustomization.yaml: configMapGenerator[0].files[1]",
		"kustomization.yaml: configMapGenerator[0].envs[0]",
		"kustomization.yaml: secretGenerator[0].env",
		"kustomization.yaml: generators[0]",
		"kustomization.yaml: generators[1].files[0]",
		"kustomization.yaml: transformers[0].path",
		"kustomization.yaml: validators[0]",
		"base/kustomization.yaml: components[0]",
	}
	if diff := cmp.Diff(want, unsafeFields(t, err)); diff != "" {
		t.Errorf("refused fields (-want +got):\n%s", diff)
	}
	if msg := `kustomization.yaml: resources[0]: Forbidden: "` + u + `/r.yaml" is a remote location; --kustomize never fetches or runs git`; !strings.Contains(err.Error(), msg) {
		t.Errorf("error lacks %q:\n%v", msg, err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the server saw %d request(s), want none", n)
	}

	// The control: kustomize by itself fetches such a resource, so the
	// server above would have seen it.
	mem := filesys.MakeFsInMemory()
	if err := mem.WriteFile("/k/kustomization.yaml", []byte("resources:\n- "+u+"/r.yaml\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, "/k"); err != nil {
		t.Fatalf("control run: %v", err)
	}
	if requests.Load() == 0 {
		t.Fatal("control: kustomize fetched nothing; the test cannot see a fetch")
	}
}

// TestKustomizeRemoteForms: every form of remote location kustomize knows
// is refused in resources, with the field's path.
func TestKustomizeRemoteForms(t *testing.T) {
	for _, r := range []string{
		"https://example.com/r.yaml",
		"HTTP://127.0.0.1:1/r.yaml",
		"git::https://github.com/org/repo//deploy?ref=v1",
		"github.com/org/repo//deploy?ref=v1",
		"GitHub.com:org/repo",
		"git@github.com:org/repo.git",
		"ssh://git@127.0.0.1/org/repo",
		"file:///etc",
		"https://dev.azure.com/org/project/_git/repo",
	} {
		t.Run(r, func(t *testing.T) {
			dir := t.TempDir()
			testkit.WriteTree(t, dir, map[string]string{"kustomization.yaml": "resources:\n- " + r + "\n"})
			_, err := kit.Kustomize(context.Background(), dir, kustomizeObjects(t))
			if diff := cmp.Diff([]string{"kustomization.yaml: resources[0]"}, unsafeFields(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestKustomizeNeverRunsGit: a git remote fails without running git. A fake
// git first in PATH records each run; the control shows kustomize by itself
// runs it for the same kustomization.
func TestKustomizeNeverRunsGit(t *testing.T) {
	bin := t.TempDir()
	marker := filepath.Join(bin, "git-ran")
	script := "#!/bin/sh\necho \"$@\" >> '" + marker + "'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	remotes := []string{
		"git::http://127.0.0.1:1/org/repo",
		"github.com/org/repo",
		"git@github.com:org/repo.git",
		"ssh://git@127.0.0.1:1/org/repo",
	}
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{
		"kustomization.yaml": "resources:\n- " + strings.Join(remotes, "\n- ") + "\ncomponents:\n- " + remotes[1] + "\n",
	})
	_, err := kit.Kustomize(context.Background(), dir, kustomizeObjects(t))
	want := []string{
		"kustomization.yaml: resources[0]", "kustomization.yaml: resources[1]",
		"kustomization.yaml: resources[2]", "kustomization.yaml: resources[3]",
		"kustomization.yaml: components[0]",
	}
	if diff := cmp.Diff(want, unsafeFields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(marker); err == nil {
		t.Fatalf("git ran: %s", b)
	}

	mem := filesys.MakeFsInMemory()
	if err := mem.WriteFile("/k/kustomization.yaml", []byte("resources:\n- github.com/org/repo\n")); err != nil {
		t.Fatal(err)
	}
	krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, "/k")
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("control: kustomize did not run the fake git; the test cannot see git run")
	}
}

// TestKustomizeRefusesHelmAndPlugins: Helm chart inflation (kustomize would
// run helm, which can pull charts) and plugins that are not kustomize's
// builtin ones are refused with the field named.
func TestKustomizeRefusesHelmAndPlugins(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{
		"kustomization.yaml": `helmCharts:
- {name: redis, repo: https://charts.example.com, version: 1.0.0}
helmGlobals: {chartHome: charts}
transformers:
- fn.yaml
generators:
- helm.yaml
`,
		"fn.yaml": `apiVersion: example.com/v1
kind: Runner
metadata:
  name: run
  annotations:
    config.kubernetes.io/function: |
      exec: {path: ./run.sh}
`,
		"helm.yaml": "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: h}\nname: redis\nrepo: https://charts.example.com\n",
	})
	_, err := kit.Kustomize(context.Background(), dir, kustomizeObjects(t))
	want := []string{
		"kustomization.yaml: helmCharts",
		"kustomization.yaml: helmGlobals",
		"kustomization.yaml: generators[0].kind",
		"kustomization.yaml: transformers[0].apiVersion",
	}
	if diff := cmp.Diff(want, unsafeFields(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var ue *kit.UnsafeKustomizationError
	errors.As(err, &ue)
	for _, fe := range ue.Errs {
		if fe.Type != field.ErrorTypeForbidden {
			t.Errorf("%s: %s, want Forbidden", fe.Field, fe.Type)
		}
	}
}

// TestKustomizeLocalFilesStillWork: local resources, bases, generator files
// and builtin transformers keep working, through symbolic links that stay
// inside the folder too.
func TestKustomizeLocalFilesStillWork(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{
		"kustomization.yaml": `resources:
- base
configMapGenerator:
- name: extra
  namespace: test-1-web
  files: [key=files/value.txt]
  options: {disableNameSuffixHash: true}
transformers:
- |
  apiVersion: builtin
  kind: LabelTransformer
  metadata: {name: team}
  labels: {team: web}
  fieldSpecs: [{path: metadata/labels, create: true}]
`,
		"base/kustomization.yaml": "resources:\n- cm.yaml\n",
		"real/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base, namespace: test-1-web}\n",
		"files/value.txt":         "v",
	})
	if err := os.Symlink(filepath.Join("..", "real", "cm.yaml"), filepath.Join(dir, "base", "cm.yaml")); err != nil {
		t.Fatal(err)
	}
	objs, err := kit.Kustomize(context.Background(), dir, kustomizeObjects(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetName()+" team="+o.GetLabels()["team"])
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"app team=web", "base team=web", "extra team=web"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestKustomizeFolderConfined: a symbolic link in the folder that leads out
// of it (relative, or absolute as to /dev/zero) is refused with the file
// named; so are paths that leave the folder and files that are not regular
// or too large, without blocking.
func TestKustomizeFolderConfined(t *testing.T) {
	outside := t.TempDir()
	testkit.WriteTree(t, outside, map[string]string{"secret.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: secret}\n"})
	for name, tc := range map[string]struct {
		setup func(t *testing.T, dir string)
		check func(t *testing.T, dir string, err error)
	}{
		"relative link out": {
			setup: func(t *testing.T, dir string) {
				rel, err := filepath.Rel(dir, filepath.Join(outside, "secret.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				testkit.LinkOrSkip(t, rel, filepath.Join(dir, "secret.yaml"))
			},
			check: wantOutside("secret.yaml"),
		},
		"absolute link to /dev/zero": {
			setup: func(t *testing.T, dir string) { testkit.LinkOrSkip(t, "/dev/zero", filepath.Join(dir, "zero.yaml")) },
			check: wantOutside("zero.yaml"),
		},
		"linked folder out": {
			setup: func(t *testing.T, dir string) { testkit.LinkOrSkip(t, outside, filepath.Join(dir, "base")) },
			check: wantOutside("base"),
		},
		"path leaving the folder": {
			setup: func(t *testing.T, dir string) {
				testkit.WriteTree(t, dir, map[string]string{"kustomization.yaml": "resources:\n- ../secret.yaml\n"})
			},
			check: func(t *testing.T, dir string, err error) {
				if diff := cmp.Diff([]string{"kustomization.yaml: resources[0]"}, unsafeFields(t, err)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			},
		},
		"named pipe": {
			setup: func(t *testing.T, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
					t.Skip(err)
				}
			},
			check: func(t *testing.T, dir string, err error) {
				var nr *spec.NotRegularFileError
				if !errors.As(err, &nr) || nr.Path != filepath.Join(dir, "pipe.yaml") {
					t.Errorf("error %v, want a *NotRegularFileError for pipe.yaml", err)
				}
			},
		},
		"file over the limit": {
			setup: func(t *testing.T, dir string) {
				testkit.SparseOf(t, filepath.Join(dir, "big.yaml"), kit.MaxKustomizeFileSize+1)
			},
			check: func(t *testing.T, dir string, err error) {
				want := &spec.FileTooLargeError{Path: filepath.Join(dir, "big.yaml"), Size: kit.MaxKustomizeFileSize + 1, Limit: kit.MaxKustomizeFileSize}
				var tl *spec.FileTooLargeError
				if !errors.As(err, &tl) || *tl != *want {
					t.Errorf("error %v, want %v", err, want)
				}
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			testkit.WriteTree(t, dir, map[string]string{"kustomization.yaml": "labels:\n- pairs: {team: web}\n"})
			tc.setup(t, dir)
			done := make(chan error, 1)
			go func() {
				_, err := kit.Kustomize(context.Background(), dir, kustomizeObjects(t))
				done <- err
			}()
			select {
			case err := <-done:
				tc.check(t, dir, err)
			case <-time.After(30 * time.Second):
				t.Fatal("Kustomize blocked")
			}
		})
	}
}

// wantOutside checks for a *LinkOutsideError naming name in dir.
func wantOutside(name string) func(t *testing.T, dir string, err error) {
	return func(t *testing.T, dir string, err error) {
		t.Helper()
		var le *spec.LinkOutsideError
		if !errors.As(err, &le) || le.Path != filepath.Join(dir, name) {
			t.Fatalf("error %v, want a *LinkOutsideError for %s", err, name)
		}
		if !strings.Contains(err.Error(), filepath.Join(dir, name)+": ") {
			t.Errorf("error %q does not name the file", err)
		}
	}
}
