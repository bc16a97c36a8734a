package kuberules

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestPodTemplates(t *testing.T) {
	podSpec := map[string]any{"containers": []any{map[string]any{"name": "app", "image": "nginx"}}}
	tmpl := map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "x"}}, "spec": podSpec}
	cases := []struct {
		obj      map[string]any
		path     string
		replicas int32
	}{
		{map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": podSpec}, "spec", 1},
		{map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d"}, "spec": map[string]any{"replicas": int64(3), "template": tmpl}}, "spec.template.spec", 3},
		{map[string]any{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": map[string]any{"name": "s"}, "spec": map[string]any{"template": tmpl}}, "spec.template.spec", 1},
		{map[string]any{"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": map[string]any{"name": "ds"}, "spec": map[string]any{"template": tmpl}}, "spec.template.spec", 0},
		{map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": "j"}, "spec": map[string]any{"parallelism": int64(2), "template": tmpl}}, "spec.template.spec", 2},
		{map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": map[string]any{"name": "c"}, "spec": map[string]any{"schedule": "* * * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}}, "spec.jobTemplate.spec.template.spec", 1},
	}
	for _, c := range cases {
		u := &unstructured.Unstructured{Object: c.obj}
		got, err := PodTemplates(u)
		if err != nil {
			t.Fatalf("%s: %v", u.GetKind(), err)
		}
		if len(got) != 1 || got[0].Path.String() != c.path || got[0].Replicas != c.replicas || got[0].Spec.Containers[0].Image != "nginx" {
			t.Errorf("%s: got %+v, want one template at %s with %d replicas", u.GetKind(), got, c.path, c.replicas)
		}
		if !IsWorkload(u.GroupVersionKind().Group, u.GetKind()) {
			t.Errorf("%s: IsWorkload = false", u.GetKind())
		}
	}
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}}}
	if got, err := PodTemplates(cm); err != nil || got != nil {
		t.Errorf("ConfigMap: got %v, %v; want none", got, err)
	}
	bad := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d"}, "spec": map[string]any{"replicas": "three"}}}
	if _, err := PodTemplates(bad); err == nil {
		t.Error("Deployment with replicas \"three\": no error")
	}
}
