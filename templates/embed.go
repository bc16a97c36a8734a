// Package templates holds prenv's template kit: one Helm-syntax template per
// kind of object, executed with Helm's engine over the model that
// prenv.dev/prenv/plan computes. Templates only shape YAML; every string
// reaches the output through toJson, so no value can add or change an object.
package templates

import "embed"

// FS is the embedded template kit. Users override a file by name with
// render env --templates DIR.
//
//go:embed *.yaml *.tpl
var FS embed.FS
