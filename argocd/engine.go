package argocd

import (
	"context"
	"embed"
	"io/fs"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/kit"
)

// Templates is the embedded Argo CD kit: Helm-syntax templates executed
// with Helm's engine over the values Go computes. Options.Templates
// overrides a file by name.
//
//go:embed templates/*.yaml templates/*.tpl
var Templates embed.FS

// chartName is the name of the in-memory chart; it shows in template error
// positions.
const chartName = "prenv-argocd"

// refused are the template functions the kit and overrides do not have
// beyond those every kit lacks (the ones whose result changes from run to
// run or machine to machine, see [kit.LoadKit]): tpl, which would let a
// template evaluate a value, such as an Argo CD placeholder, as a template.
func refused(fn string) bool { return fn == "tpl" }

// ErrRefusedFunction marks a template that calls a function the kit does
// not have.
var ErrRefusedFunction = kit.ErrRefusedFunction

// execute runs the kit, with overrides, over values and parses the output
// into objects, sorted into render's output order.
func execute(ctx context.Context, values map[string]any, release map[string]any, override fs.FS) ([]*unstructured.Unstructured, error) {
	embedded, err := fs.Sub(Templates, "templates")
	if err != nil {
		return nil, err
	}
	kit, err := kit.LoadKit(chartName, embedded, override, refused)
	if err != nil {
		return nil, err
	}
	return kit.Execute(ctx, values, release)
}
