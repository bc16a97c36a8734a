// Command helmonly starts and exits, linking only Helm's template engine and
// chart loader: the part of the floor (package startfloor) that the peer's
// `helm template` has too.
package main

import (
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/engine"
)

func main() {}
