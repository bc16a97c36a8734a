package apiserver_test

import (
	"net"
	"testing"

	"prenv.dev/prenv/e2e/internal/cluster"
)

// TestControlPlane checks the servers the other tests run against: the API
// server reports the version built (v1.37.2, as k8s.io/api v0.37.2 in
// prenv's go.mod), and etcd, kube-apiserver and kube-controller-manager
// listen on 127.0.0.1 only.
func TestControlPlane(t *testing.T) {
	c := env.Get(t)
	cl := client(t)
	v, err := cl.Discovery.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2" || v.Major != "1" || v.Minor != "37" {
		t.Errorf("the API server reports %s (major %q, minor %q), want v1.37.2", v.GitVersion, v.Major, v.Minor)
	}
	listening, err := c.Listening()
	if err != nil {
		t.Fatal(err)
	}
	// etcd: clients and peers; kube-apiserver: its secure port;
	// kube-controller-manager: none (--secure-port=0).
	for _, name := range []string{cluster.Etcd, cluster.APIServer} {
		if len(listening[name]) == 0 {
			t.Errorf("%s listens on no TCP port", name)
		}
	}
	for name, addrs := range listening {
		for _, a := range addrs {
			host, _, err := net.SplitHostPort(a)
			if err != nil || host != "127.0.0.1" {
				t.Errorf("%s listens on %s, want 127.0.0.1 only", name, a)
			}
		}
	}
	t.Logf("listening: %v", listening)
}
