// Command startfloor starts and exits. It links the library packages that
// `render env`'s features link directly (Helm's template engine and chart
// loader, kustomize's krusty, the API server's CRD and OpenAPI validation
// with CEL, Pod Security's policy checks: the imports of prenv's kit,
// validate and fence packages) and none of prenv's own code, so its start
// time is the floor under a `render env` process's on the same machine:
// what Go's runtime and these packages' initialisation take before any
// work (peer.sh times it beside render and the peer; docs/performance.md).
package main

import (
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/engine"
	_ "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	_ "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	_ "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	_ "k8s.io/pod-security-admission/policy"
	_ "sigs.k8s.io/kustomize/api/krusty"
)

func main() {}
