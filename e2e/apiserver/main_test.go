// Package apiserver_test runs prenv's output through a real kube-apiserver
// (v1.37.2, built from source by tools/kube/build.sh) with the upstream ACK
// and Argo CD CRDs installed: what prenv renders is accepted and stored as
// rendered, what prenv's validation refuses the server refuses too, and a
// PR's whole life (open, update, close) behaves on the server as prenv
// promises.
package apiserver_test

import (
	"os"
	"testing"

	"prenv.dev/prenv/e2e/internal/cluster"
)

// env is the control plane of this test binary.
var env cluster.Env

func TestMain(m *testing.M) { os.Exit(cluster.Main(m, cluster.Options{}, &env)) }
