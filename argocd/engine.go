package argocd

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/render"
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

// refused are the template functions the kit and overrides may not call:
// those whose result changes from run to run or machine to machine (the
// same input must give the same bytes), and tpl, which would let Helm
// evaluate a value, such as an Argo CD placeholder, as a template.
var refused = map[string]bool{
	"tpl": true, "now": true, "date": true, "dateInZone": true, "date_in_zone": true,
	"dateModify": true, "date_modify": true, "mustDateModify": true, "must_date_modify": true,
	"ago": true, "htmlDate": true, "htmlDateInZone": true, "unixEpoch": true,
	"randAlphaNum": true, "randAlpha": true, "randAscii": true, "randNumeric": true,
	"randBytes": true, "randInt": true, "uuidv4": true, "shuffle": true,
	"genPrivateKey": true, "genCA": true, "genCAWithKey": true, "genSelfSignedCert": true,
	"genSelfSignedCertWithKey": true, "genSignedCert": true, "genSignedCertWithKey": true,
	"bcrypt": true, "htpasswd": true, "encryptAES": true,
	"lookup": true, "getHostByName": true, "env": true, "expandenv": true,
}

// ErrRefusedFunction marks a template that calls a function in refused.
var ErrRefusedFunction = errors.New("template calls a refused function (tpl, or one whose result changes from run to run)")

// execute runs the kit, with overrides, over values and parses the output
// into objects, sorted into render's output order.
func execute(ctx context.Context, values map[string]any, release map[string]any, override fs.FS) ([]*unstructured.Unstructured, error) {
	files, err := templateFiles(override)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &chart.Chart{
		Metadata:  &chart.Metadata{APIVersion: chart.APIVersionV2, Name: chartName, Version: "0.0.0", Type: "application"},
		Templates: files,
	}
	top := chartutil.Values{
		"Values":       values,
		"Release":      release,
		"Capabilities": chartutil.DefaultCapabilities,
	}
	out, err := engine.Engine{Strict: true}.Render(c, top)
	if err != nil {
		return nil, &render.TemplateError{Err: err}
	}
	var objs []*unstructured.Unstructured
	for _, name := range slices.Sorted(maps.Keys(out)) {
		docs, err := render.ParseObjects([]byte(out[name]))
		if err != nil {
			return nil, &render.TemplateError{Template: strings.TrimPrefix(name, chartName+"/templates/"), Err: err}
		}
		objs = append(objs, docs...)
	}
	render.SortObjects(objs)
	return objs, nil
}

// templateFiles returns the embedded kit with overrides applied, as chart
// template files sorted by name.
func templateFiles(override fs.FS) ([]*chart.File, error) {
	byName := map[string][]byte{}
	read := func(fsys fs.FS, what string) error {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			return fmt.Errorf("reading %s templates: %w", what, err)
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".tpl")) {
				continue
			}
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				return fmt.Errorf("reading %s template %s: %w", what, n, err)
			}
			if err := checkFunctions(n, string(b)); err != nil {
				return &render.TemplateError{Template: n, Err: err}
			}
			byName[n] = b
		}
		return nil
	}
	embedded, err := fs.Sub(Templates, "templates")
	if err != nil {
		return nil, err
	}
	if err := read(embedded, "embedded"); err != nil {
		return nil, err
	}
	if override != nil {
		if err := read(override, "override"); err != nil {
			return nil, err
		}
	}
	files := make([]*chart.File, 0, len(byName))
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		files = append(files, &chart.File{Name: path.Join("templates", n), Data: byName[n]})
	}
	return files, nil
}

// checkFunctions parses a template and refuses calls of refused functions.
func checkFunctions(name, text string) error {
	bad, err := render.TemplateCalls(name, text, func(fn string) bool { return refused[fn] })
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrRefusedFunction, strings.Join(bad, ", "))
	}
	return nil
}

// toValues turns a Go model into what templates see as .Values: its JSON form.
func toValues(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
