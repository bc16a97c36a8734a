package argocd

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// ResourcesFinalizer is the finalizer that makes Argo CD delete an
// Application's resources before the Application itself.
const ResourcesFinalizer = "resources-finalizer.argocd.argoproj.io"

// Generate returns the Application that Argo CD's ApplicationSet controller
// makes from appSet's template for one pull request's parameters, with the
// controller's goTemplate semantics: every string of the template, map keys
// included, is parsed as a Go text/template with [FuncMap], the
// ApplicationSet's goTemplateOptions applied (missingkey=error), and
// executed over params; non-string values are copied; the Application goes
// into the ApplicationSet's namespace; the resources finalizer is added
// when the template has no finalizers and the ApplicationSet does not
// preserve resources on deletion. What Generate cannot know offline, the
// owner reference to the ApplicationSet (it needs the ApplicationSet's UID),
// is left out.
func Generate(appSet *unstructured.Unstructured, params map[string]any) (*unstructured.Unstructured, error) {
	if appSet.GetKind() != "ApplicationSet" || appSet.GroupVersionKind().Group != "argoproj.io" {
		return nil, fmt.Errorf("want an argoproj.io ApplicationSet, got %s %s", appSet.GetAPIVersion(), appSet.GetKind())
	}
	goTemplate, _, _ := unstructured.NestedBool(appSet.Object, "spec", "goTemplate")
	if !goTemplate {
		return nil, fmt.Errorf("ApplicationSet %s: only goTemplate: true is supported", appSet.GetName())
	}
	opts, _, err := unstructured.NestedStringSlice(appSet.Object, "spec", "goTemplateOptions")
	if err != nil {
		return nil, fmt.Errorf("ApplicationSet %s: spec.goTemplateOptions: %w", appSet.GetName(), err)
	}
	tmpl, ok, err := unstructured.NestedMap(appSet.Object, "spec", "template")
	if err != nil || !ok {
		return nil, fmt.Errorf("ApplicationSet %s: spec.template is missing or not an object", appSet.GetName())
	}
	base := template.New("").Funcs(FuncMap())
	for _, o := range opts {
		if !slices.Contains(templateOptions, o) {
			return nil, fmt.Errorf("ApplicationSet %s: spec.goTemplateOptions: unknown option %q (text/template knows %v)", appSet.GetName(), o, templateOptions)
		}
		base = base.Option(o)
	}
	r := &renderer{base: base, params: params}
	out, err := r.value(runtime.DeepCopyJSONValue(tmpl), "spec.template")
	if err != nil {
		return nil, err
	}
	rendered := out.(map[string]any)
	meta, _ := rendered["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	// Only these metadata fields are taken from the template.
	appMeta := map[string]any{}
	for _, k := range []string{"name", "labels", "annotations", "finalizers"} {
		if v, ok := meta[k]; ok && v != nil {
			appMeta[k] = v
		}
	}
	appMeta["namespace"] = appSet.GetNamespace()
	preserve, _, _ := unstructured.NestedBool(appSet.Object, "spec", "syncPolicy", "preserveResourcesOnDeletion")
	if f, _ := appMeta["finalizers"].([]any); len(f) == 0 && !preserve {
		appMeta["finalizers"] = []any{ResourcesFinalizer}
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   appMeta,
	}}
	if spec, ok := rendered["spec"]; ok {
		app.Object["spec"] = spec
	}
	return app, nil
}

// templateOptions are the options text/template accepts.
var templateOptions = []string{"missingkey=default", "missingkey=invalid", "missingkey=zero", "missingkey=error"}

type renderer struct {
	base   *template.Template
	params map[string]any
}

// value renders v; at names the field for errors.
func (r *renderer) value(v any, at string) (any, error) {
	switch v := v.(type) {
	case string:
		return r.str(v, at)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			x, err := r.value(e, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			x, err := r.value(v[k], at+"."+k)
			if err != nil {
				return nil, err
			}
			key, err := r.str(k, at+"["+k+"]")
			if err != nil {
				return nil, err
			}
			if _, dup := out[key]; dup {
				return nil, fmt.Errorf("%s: two keys render to %q", at, key)
			}
			out[key] = x
		}
		return out, nil
	default:
		return v, nil
	}
}

func (r *renderer) str(s, at string) (string, error) {
	t, err := r.base.Clone()
	if err != nil {
		return "", err
	}
	t, err = t.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%s: failed to parse template %q: %w", at, s, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, r.params); err != nil {
		return "", fmt.Errorf("%s: failed to execute template %q: %w", at, s, err)
	}
	return b.String(), nil
}
