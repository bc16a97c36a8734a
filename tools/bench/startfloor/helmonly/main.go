// Command helmonly starts and exits, linking only Helm's template engine and
// chart loader (and what they import: Helm's chartutil with its JSON Schema
// library, client-go's scheme and clients for the engine's lookup function).
// `helm template` links these too, among much else.
package main

import (
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/engine"
)

func main() {}
