package kube_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"prenv.dev/prenv/leftovers/kube"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:6443"}
- name: b
  cluster: {server: "https://127.0.0.2:6443"}
users:
- name: u
  user: {token: secret}
contexts:
- name: ctx-a
  context: {cluster: a, user: u}
- name: ctx-b
  context: {cluster: b, user: u}
current-context: ctx-a
`

// TestRESTConfig: the kubeconfig and context flags select the server as
// kubectl's do; a missing file or context is an error.
func TestRESTConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", filepath.Join(dir, "unused"))
	for _, tc := range []struct{ context, host string }{
		{"", "https://127.0.0.1:6443"},
		{"ctx-b", "https://127.0.0.2:6443"},
	} {
		cfg, err := kube.RESTConfig(path, tc.context)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Host != tc.host || cfg.BearerToken != "secret" || cfg.UserAgent != "prenv-leftovers" {
			t.Errorf("context %q: host %q, token %q, user agent %q", tc.context, cfg.Host, cfg.BearerToken, cfg.UserAgent)
		}
	}
	if _, err := kube.RESTConfig(path, "ctx-c"); err == nil || !strings.Contains(err.Error(), "ctx-c") {
		t.Errorf("an unknown context: error %v", err)
	}
	if _, err := kube.RESTConfig(filepath.Join(dir, "missing"), ""); err == nil {
		t.Error("a missing kubeconfig: no error")
	}
	// $KUBECONFIG is read when no file is given.
	t.Setenv("KUBECONFIG", path)
	cfg, err := kube.RESTConfig("", "ctx-b")
	if err != nil || cfg.Host != "https://127.0.0.2:6443" {
		t.Errorf("from $KUBECONFIG: %v, %v", cfg, err)
	}
}
