// Command noengine starts and exits, linking what package startfloor links
// except Helm's template engine (helm.sh/helm/v3/pkg/engine, which brings
// Helm's chartutil and client-go's clients): the floor that would remain if
// prenv executed Helm's template semantics without Helm's engine package.
package main

import (
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	_ "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	_ "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	_ "k8s.io/pod-security-admission/policy"
	_ "sigs.k8s.io/kustomize/api/krusty"
)

func main() {}
