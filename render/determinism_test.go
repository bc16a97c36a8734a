package render_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// determinismOut, in a child process of TestDeterminism, is the file the
// child writes its renders to.
const determinismOut = "PRENV_TEST_DETERMINISM_OUT"

// probeTemplates is a template added to both kits that prints what used to
// vary between runs or machines: the keys and values of maps, and the
// whole template context (which holds .Capabilities, a pointer in Helm's
// engine) through printf, toString and text/template itself.
var probeTemplates = fstest.MapFS{"determinism-probe.yaml": &fstest.MapFile{Data: []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: determinism-probe
  namespace: {{ .Release.Namespace | toJson }}
data:
  keys: {{ keys .Values $ .Release | join "," | toJson }}
  values: {{ values .Release | toJson | toJson }}
  printf: {{ printf "%v" $ | toJson }}
  printfGo: {{ printf "%#v" $ | toJson }}
  toString: {{ toString $ | toJson }}
  list: {{ list .Capabilities .Chart .Release | toString | toJson }}
  print: {{ print .Capabilities | toJson }}
  capabilities: {{ .Capabilities.KubeVersion.GitVersion | toJson }}
`)}}

// determinismPR is the pull request the Applications are generated for.
var determinismPR = argocd.PullRequest{
	Number: 123, Branch: "feature/ÜBER_Långt-名前 🚀 & more", TargetBranch: "main",
	HeadSHA: "3f786850e387550fdab836ed7e6dc881de23001b", Labels: []string{"preview"},
	Author: "octocat", Title: "Add the login page",
}

// renderEverything renders, for every example, the env (with and without
// the probe template), the Argo CD ApplicationSet and Application when the
// example has an argocd section, and the app chart when it has
// app-values.yaml; it returns them as one text, each render headed by its
// name.
func renderEverything(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	root := golden.Root(t)
	var b bytes.Buffer
	add := func(what string, objs []*unstructured.Unstructured) {
		y, err := manifest.Marshal(objs)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		fmt.Fprintf(&b, "=== %s\n%s", what, y)
	}
	for _, name := range golden.Examples(t) {
		data, err := os.ReadFile(filepath.Join(root, "examples", name, "prenv.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		env, err := spec.Load(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := render.Render(ctx, env, testkit.GoldenPR, render.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		add(name+"/env", out.Objects)
		probed, err := render.Render(ctx, env, testkit.GoldenPR, render.Options{Templates: probeTemplates})
		if err != nil {
			t.Fatalf("%s with the probe: %v", name, err)
		}
		add(name+"/env+probe", probed.Objects)

		if values, err := os.ReadFile(filepath.Join(root, "examples", name, "app-values.yaml")); err == nil {
			app, err := kit.RenderChart(ctx, out.Model, kit.ChartOptions{Dir: filepath.Join(root, "charts", "preview-app"), Values: [][]byte{values}})
			if err != nil {
				t.Fatalf("%s chart: %v", name, err)
			}
			add(name+"/chart", app)
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}

		if env.Spec.ArgoCD == nil {
			continue
		}
		appSet, err := argocd.AppSet(ctx, env, argocd.Options{Templates: probeTemplates})
		if err != nil {
			t.Fatalf("%s appset: %v", name, err)
		}
		add(name+"/appset+probe", appSet)
		app, err := argocd.Application(ctx, env, determinismPR, argocd.Options{})
		if err != nil {
			t.Fatalf("%s application: %v", name, err)
		}
		add(name+"/application", []*unstructured.Unstructured{app})
	}
	return b.Bytes()
}

// TestDeterminism renders every example in child processes (this test
// binary, run again) under several time zones, locales and GOMAXPROCS
// values, and wants the bytes each child renders to be those this process
// renders.
func TestDeterminism(t *testing.T) {
	if out := os.Getenv(determinismOut); out != "" {
		if err := os.WriteFile(out, renderEverything(t), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	want := renderEverything(t)
	for _, probe := range []string{"keys: ", "printfGo: ", "chart", "appset+probe", "application"} {
		if !bytes.Contains(want, []byte(probe)) {
			t.Fatalf("the renders lack %q: the examples no longer cover every kind of render", probe)
		}
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, env := range []map[string]string{
		{"TZ": "UTC", "LANG": "C", "LC_ALL": "C", "GOMAXPROCS": "1"},
		{"TZ": "Asia/Tokyo", "LANG": "ja_JP.UTF-8", "LC_ALL": "ja_JP.UTF-8", "GOMAXPROCS": "2"},
		{"TZ": "America/St_Johns", "LANG": "tr_TR.UTF-8", "LC_ALL": "tr_TR.UTF-8", "GOMAXPROCS": "7"},
		{"TZ": "Pacific/Chatham", "LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8", "GOMAXPROCS": "3"},
		{"TZ": "Etc/GMT+12", "LANG": "ar_EG.UTF-8", "LC_ALL": "", "GOMAXPROCS": "16"},
	} {
		name := fmt.Sprintf("TZ=%s LANG=%s LC_ALL=%s GOMAXPROCS=%s", env["TZ"], env["LANG"], env["LC_ALL"], env["GOMAXPROCS"])
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprintf("child-%d.txt", i))
			cmd := exec.Command(bin, "-test.run=^TestDeterminism$", "-test.count=1")
			cmd.Env = append(os.Environ(), determinismOut+"="+out)
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("child: %v\n%s", err, msg)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the child renders other bytes; first difference:\n%s", firstDifference(want, got))
			}
		})
	}
}

// firstDifference shows the first line where got differs from want, with
// the render it belongs to.
func firstDifference(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	section := ""
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if strings.HasPrefix(w, "=== ") {
			section = w
		}
		if w != g {
			return fmt.Sprintf("%s, line %d:\n-%s\n+%s", section, i+1, w, g)
		}
	}
	return "(none)"
}
