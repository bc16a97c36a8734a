package argocd

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
)

// TestPluginGenerate runs the plugin's generate script with sh, as the
// sidecar does, with a stand-in render that prints its arguments.
func TestPluginGenerate(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bin := t.TempDir()
	fake := "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(bin, "render"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	const base = "ARGOCD_ENV_PRENV_BASE=eyJ9"
	tests := map[string]struct {
		env   []string
		files map[string]string // in the source folder; a value "->x" is a symbolic link to x
		want  string
		fail  bool
	}{
		"pr only": {env: []string{"ARGOCD_ENV_PRENV_PR=123", base}, want: "[env][-f][prenv.yaml][--pr][123][--base-values][eyJ9]"},
		"file, chart and values": {env: []string{"ARGOCD_ENV_PRENV_PR=7", "ARGOCD_ENV_PRENV_FILE=deploy/prenv.yaml", "ARGOCD_ENV_PRENV_CHART=chart",
			"PARAM_VALUES_0=chart/a.yaml", "PARAM_VALUES_1=chart/b c.yaml", base},
			want: "[env][-f][deploy/prenv.yaml][--pr][7][--base-values][eyJ9][--chart][chart][--values][chart/a.yaml][--values][chart/b c.yaml]"},
		"values without a chart are ignored": {env: []string{"ARGOCD_ENV_PRENV_PR=7", "PARAM_VALUES_0=x.yaml", base}, want: "[env][-f][prenv.yaml][--pr][7][--base-values][eyJ9]"},
		"hostile values stay data": {env: []string{"ARGOCD_ENV_PRENV_PR=7", "ARGOCD_ENV_PRENV_CHART=$(touch pwned)", "PARAM_VALUES_0=`touch pwned`;x", "ARGOCD_ENV_PRENV_BASE=$(touch pwned)"},
			want: "[env][-f][prenv.yaml][--pr][7][--base-values][$(touch pwned)][--chart][$(touch pwned)][--values][`touch pwned`;x]"},
		"other files of the head are read by render": {env: []string{"ARGOCD_ENV_PRENV_PR=7", base}, files: map[string]string{"argocd-source.yaml": "", ".argocd-sources": ""},
			want: "[env][-f][prenv.yaml][--pr][7][--base-values][eyJ9]"},
		"no pr":          {env: []string{base}, fail: true},
		"pr not numeric": {env: []string{"ARGOCD_ENV_PRENV_PR=1; touch pwned", base}, fail: true},
		// Without the base branch's trusted fields the head's spec would
		// say who its env is.
		"no base": {env: []string{"ARGOCD_ENV_PRENV_PR=7"}, fail: true},
		// Argo CD merges these files of the head into the plugin env: a
		// pull request would set its own PRENV_BASE and PRENV_PR.
		".argocd-source.yaml": {env: []string{"ARGOCD_ENV_PRENV_PR=7", base},
			files: map[string]string{".argocd-source.yaml": "plugin: {env: [{name: PRENV_PR, value: '5'}]}"}, fail: true},
		".argocd-source-<app>.yaml": {env: []string{"ARGOCD_ENV_PRENV_PR=7", base},
			files: map[string]string{".argocd-source-pr-7-orders.yaml": "plugin: {env: []}"}, fail: true},
		"a dangling link": {env: []string{"ARGOCD_ENV_PRENV_PR=7", base},
			files: map[string]string{".argocd-source.yaml": "->/nonexistent"}, fail: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, content := range tc.files {
				if target, ok := strings.CutPrefix(content, "->"); ok {
					if err := os.Symlink(target, filepath.Join(dir, f)); err != nil {
						t.Skip("no symbolic links here")
					}
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(sh, "-c", pluginGenerate)
			cmd.Dir = dir
			cmd.Env = append([]string{"PATH=" + bin + ":/usr/bin:/bin"}, tc.env...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if tc.fail {
				if err == nil {
					t.Fatalf("the script succeeded: %s", out)
				}
				if !strings.HasPrefix(stderr.String(), "prenv: ") {
					t.Errorf("stderr %q does not say why", stderr.String())
				}
			} else if err != nil {
				t.Fatalf("%v: %s%s", err, out, stderr.String())
			}
			if string(out) != tc.want {
				t.Errorf("render got %s, want %s", out, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Error("a value was executed")
			}
		})
	}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		cmd := exec.Command(sc, "-s", "sh", "-")
		cmd.Stdin = strings.NewReader(pluginGenerate)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck:\n%s", out)
		}
	}
}

// TestRepoServerPatch decodes the sidecar patch strictly as a Deployment.
func TestRepoServerPatch(t *testing.T) {
	env := loadSpec(t, filepath.Join(examplesDir, "previews", "prenv.yaml"))
	p, err := RepoServerPatch(context.Background(), env, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(b, &d); err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers
	if len(c) != 1 || c[0].Image != env.Spec.ArgoCD.Source.Plugin.Image || c[0].SecurityContext.RunAsUser == nil || *c[0].SecurityContext.RunAsUser != 999 {
		t.Errorf("container %+v", c)
	}
	mounts := map[string]string{}
	for _, m := range c[0].VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	for _, path := range []string{"/var/run/argocd", "/home/argocd/cmp-server/plugins", "/home/argocd/cmp-server/config/plugin.yaml", "/tmp"} {
		if mounts[path] == "" {
			t.Errorf("no mount at %s", path)
		}
	}
	// The plugin's ConfigMap that the patch mounts is in the appset output.
	objs, err := AppSet(context.Background(), env, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cm string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			cm = v.ConfigMap.Name
		}
	}
	found := false
	for _, o := range objs {
		if o.GetKind() == "ConfigMap" && o.GetName() == cm {
			found = true
			data, _, _ := unstructured.NestedString(o.Object, "data", "plugin.yaml")
			var plugin map[string]any
			if err := yaml.UnmarshalStrict([]byte(data), &plugin); err != nil {
				t.Fatal(err)
			}
			if plugin["kind"] != "ConfigManagementPlugin" {
				t.Errorf("plugin.yaml = %v", plugin)
			}
		}
	}
	if !found {
		t.Errorf("no ConfigMap %q in the appset output", cm)
	}
	// Without a plugin there is no sidecar.
	env.Spec.ArgoCD.Source.Plugin = nil
	env.Spec.ArgoCD.Source.Path = "envs/{{number}}"
	if _, err := RepoServerPatch(context.Background(), env, Options{}); err == nil {
		t.Error("a sidecar without a plugin")
	} else if _, ok := err.(*spec.InvalidError); !ok {
		t.Errorf("err %T, want *render.InvalidError", err)
	}
}

// TestPluginBaseTravels: every Application of the plugin flow carries the
// trusted fields of the spec its ApplicationSet was rendered from, and
// they refuse a head spec that changes one: what render env --base-values
// does in the plugin. With Options.Base, the commands refuse such a spec
// themselves.
func TestPluginBaseTravels(t *testing.T) {
	ctx := context.Background()
	env := loadSpec(t, filepath.Join(examplesDir, "previews", "prenv.yaml"))
	pr := PullRequest{Number: 7, Branch: "feature/x", TargetBranch: "main", HeadSHA: strings.Repeat("a", 40), Labels: []string{"preview"}, Author: "a", Title: "t"}
	app, err := Application(ctx, env, pr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	envs, _, _ := unstructured.NestedSlice(app.Object, "spec", "source", "plugin", "env")
	value := ""
	for _, e := range envs {
		if m := e.(map[string]any); m["name"] == PluginEnvBase {
			value, _ = m["value"].(string)
		}
	}
	want, err := PluginBase(env)
	if err != nil {
		t.Fatal(err)
	}
	if value == "" || value != want {
		t.Fatalf("the Application's %s is %q, want %q", PluginEnvBase, value, want)
	}
	base, err := ParsePluginBase(value)
	if err != nil {
		t.Fatal(err)
	}
	if errs := trust.Check([]*trust.Fields{base}, env); len(errs) > 0 {
		t.Errorf("the spec against its own Application: %v", errs)
	}
	head := loadSpec(t, filepath.Join(examplesDir, "previews", "prenv.yaml"))
	head.Spec.AWS.OIDCProviderURL = "https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER"
	errs := trust.Check([]*trust.Fields{base}, head)
	if len(errs) != 1 || errs[0].Field != "spec.aws.oidcProviderURL" {
		t.Errorf("a head with another identity provider: %v", errs)
	}

	opts := Options{Base: []*trust.Fields{base}}
	for name, f := range map[string]func() error{
		"AppSet":          func() error { _, err := AppSet(ctx, head, opts); return err },
		"Application":     func() error { _, err := Application(ctx, head, pr, opts); return err },
		"RepoServerPatch": func() error { _, err := RepoServerPatch(ctx, head, opts); return err },
	} {
		var te *trust.Error
		if err := f(); !errors.As(err, &te) || len(te.Errs) != 1 || te.Errs[0].Field != "spec.aws.oidcProviderURL" {
			t.Errorf("%s with Base: got %v, want a *trust.Error at spec.aws.oidcProviderURL", name, err)
		}
	}
	if _, err := AppSet(ctx, env, opts); err != nil {
		t.Errorf("AppSet of the base itself: %v", err)
	}

	for name, bad := range map[string]string{
		"too long":   strings.Repeat("A", MaxPluginBase+1),
		"not base64": "not base64!",
		"not JSON":   "bm90IEpTT04=",
	} {
		if _, err := ParsePluginBase(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
