package main

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSyncChartMatchesEnv: render sync --chart/--values/--kustomize writes,
// for each app, the folder render env writes with the same flags; an app
// without them gets prenv's objects alone.
func TestSyncChartMatchesEnv(t *testing.T) {
	tmp := t.TempDir()
	chart := "../../charts/preview-app"
	shopSpec := "../../examples/large/prenv.yaml"
	webSpec := "../../examples/web/prenv.yaml"
	values := "../../examples/large/app-values.yaml"
	labels := writeFile(t, tmp, "kust/kustomization.yaml", "labels:\n- pairs: {owner: team-web}\n  fields:\n  - {path: metadata/labels, create: true, kind: ServiceAccount}\n")
	kust := filepath.Dir(labels)

	env := func(spec, out string, extra ...string) map[string]string {
		t.Helper()
		args := append([]string{"env", "-f", spec, "--pr", "7", "--output-dir", out}, extra...)
		if r := runCLI(t, "", args...); r.code != exitOK {
			t.Fatalf("render env %v: exit %d\n%s", extra, r.code, r.stderr)
		}
		return snapshot(t, out)
	}
	sync := func(out string, args ...string) {
		t.Helper()
		args = append([]string{"sync", "--prs", "7", "--output-dir", out}, args...)
		if r := runCLI(t, "", args...); r.code != exitOK {
			t.Fatalf("render sync %v: exit %d\n%s", args, r.code, r.stderr)
		}
	}

	// One app: PATH alone.
	one := filepath.Join(tmp, "one")
	sync(one, "-f", shopSpec, "--chart", chart, "--values", values)
	want := env(shopSpec, filepath.Join(tmp, "env-shop"), "--chart", chart, "--values", values)
	if len(want) <= 15 {
		t.Fatalf("the chart added no object: %d files", len(want))
	}
	if diff := cmp.Diff(want, snapshot(t, filepath.Join(one, "pr-7"))); diff != "" {
		t.Errorf("one app (-env +sync):\n%s", diff)
	}

	// Two apps: APP=PATH, each app its own chart or kustomization.
	two := filepath.Join(tmp, "two")
	sync(two, "-f", shopSpec, "-f", webSpec, "--chart", "shop="+chart, "--values", "shop="+values, "--kustomize", "web="+kust)
	if diff := cmp.Diff(want, snapshot(t, filepath.Join(two, "shop", "pr-7"))); diff != "" {
		t.Errorf("shop among two apps (-env +sync):\n%s", diff)
	}
	wantWeb := env(webSpec, filepath.Join(tmp, "env-web"), "--kustomize", kust)
	if diff := cmp.Diff(wantWeb, snapshot(t, filepath.Join(two, "web", "pr-7"))); diff != "" {
		t.Errorf("web among two apps (-env +sync):\n%s", diff)
	}
}

// TestSyncChartFlags: the flags' usage errors, each message exact.
func TestSyncChartFlags(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	chart := "../../charts/preview-app"
	shop := "../../examples/large/prenv.yaml"
	web := "../../examples/web/prenv.yaml"
	moved := filepath.Dir(writeFile(t, tmp, "moved/kustomization.yaml", "namespace: kube-system\n"))
	for name, tc := range map[string]struct {
		args   []string
		code   int
		stderr string
	}{
		"PATH alone with several apps": {
			args:   []string{"-f", shop, "-f", web, "--chart", chart},
			code:   exitUsage,
			stderr: "render sync: --chart \"../../charts/preview-app\": with several specs, name the app: --chart APP=PATH (the specs' apps: shop, web)\n",
		},
		"values without the app's chart": {
			args:   []string{"-f", shop, "-f", web, "--chart", "shop=" + chart, "--values", "web=x.yaml"},
			code:   exitUsage,
			stderr: "render sync: --values for the app \"web\" needs its --chart\n",
		},
		"two charts for one app": {
			args:   []string{"-f", shop, "--chart", chart, "--chart", "shop=" + chart},
			code:   exitUsage,
			stderr: "render sync: --chart: the app \"shop\" has two charts (../../charts/preview-app and ../../charts/preview-app); give one\n",
		},
		"a chart that does not exist": {
			args:   []string{"-f", shop, "--chart", filepath.Join(tmp, "none")},
			code:   exitUsage,
			stderr: "render sync: --chart " + filepath.Join(tmp, "none") + " for the app \"shop\": no such file or directory\n",
		},
		"chart options without a chart": {
			args:   []string{"-f", shop, "--chart-allow-symlinks"},
			code:   exitUsage,
			stderr: "render sync: --chart-allow-symlinks and --chart-allow-nondeterministic need --chart\n",
		},
		"a kustomization that moves the env": {
			args: []string{"-f", web, "--kustomize", moved},
			code: exitInvalid,
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"sync", "--prs", "7", "--output-dir", out}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r.stderr)
			}
			if tc.stderr != "" && r.stderr != tc.stderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, tc.stderr)
			}
		})
	}
}
