package argocd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/spec"
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
	tests := map[string]struct {
		env  []string
		want string
		fail bool
	}{
		"pr only": {[]string{"ARGOCD_ENV_PRENV_PR=123"}, "[env][-f][prenv.yaml][--pr][123]", false},
		"file, chart and values": {[]string{"ARGOCD_ENV_PRENV_PR=7", "ARGOCD_ENV_PRENV_FILE=deploy/prenv.yaml", "ARGOCD_ENV_PRENV_CHART=chart",
			"PARAM_VALUES_0=chart/a.yaml", "PARAM_VALUES_1=chart/b c.yaml"},
			"[env][-f][deploy/prenv.yaml][--pr][7][--chart][chart][--values][chart/a.yaml][--values][chart/b c.yaml]", false},
		"values without a chart are ignored": {[]string{"ARGOCD_ENV_PRENV_PR=7", "PARAM_VALUES_0=x.yaml"}, "[env][-f][prenv.yaml][--pr][7]", false},
		"hostile values stay data": {[]string{"ARGOCD_ENV_PRENV_PR=7", "ARGOCD_ENV_PRENV_CHART=$(touch pwned)", "PARAM_VALUES_0=`touch pwned`;x"},
			"[env][-f][prenv.yaml][--pr][7][--chart][$(touch pwned)][--values][`touch pwned`;x]", false},
		"no pr":          {nil, "", true},
		"pr not numeric": {[]string{"ARGOCD_ENV_PRENV_PR=1; touch pwned"}, "", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(sh, "-c", pluginGenerate)
			cmd.Dir = dir
			cmd.Env = append([]string{"PATH=" + bin + ":/usr/bin:/bin"}, tc.env...)
			out, err := cmd.Output()
			if tc.fail {
				if err == nil {
					t.Fatalf("the script succeeded: %s", out)
				}
			} else if err != nil {
				t.Fatalf("%v: %s", err, out)
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
