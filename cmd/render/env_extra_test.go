package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvGuards covers flags that must refuse what would silently go wrong.
func TestEnvGuards(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return filepath.Dir(p)
	}
	moved := write("moved/kustomization.yaml", "namespace: kube-system\n")
	// Labels on every object but the Namespace, whose labels are spec.labels alone.
	labelled := write("labelled/kustomization.yaml", "labels:\n- pairs: {owner: team-web}\n  fields:\n  - {path: metadata/labels, create: true, kind: Deployment}\n  - {path: metadata/labels, create: true, kind: ServiceAccount}\n")
	required := write("required/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: {{ .Values.namespace | toJson }}\ndata:\n  a: {{ required \"need foo: set it\" .Values.foo | toJson }}\n")
	spec := filepath.Join("..", "..", "examples", "web", "prenv.yaml")
	for name, tc := range map[string]struct {
		args      []string
		code      int
		stderr    string
		stdoutHas string
	}{
		"kustomization moving the env": {
			args: []string{"--kustomize", moved}, code: exitInvalid, stderr: "Namespace/test-123-web: metadata.name: Required value",
		},
		"kustomization adding labels": {
			args: []string{"--kustomize", labelled}, code: exitOK, stdoutHas: "owner: team-web",
		},
		"helm values with output dir": {
			args: []string{"--helm-values", "--output-dir", filepath.Join(dir, "out")}, code: exitUsage, stderr: "--helm-values",
		},
		"required keeps its message": {
			args: []string{"--templates", required}, code: exitInvalid, stderr: "need foo: set it",
		},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"env", "-f", spec, "--pr", "123"}, tc.args...)
			code := run(context.Background(), args, nil, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
			if code != exitOK && stdout.Len() > 0 {
				t.Errorf("stdout not empty on failure:\n%s", stdout.String())
			}
			if !strings.Contains(stdout.String(), tc.stdoutHas) {
				t.Errorf("stdout lacks %q", tc.stdoutHas)
			}
		})
	}
}
