package argocd

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
)

// Options tune rendering. The zero value renders with the embedded kit.
type Options struct {
	// Templates, when set, overrides template files of the embedded Argo CD
	// kit (Templates) by name; files it has that the kit lacks are added.
	Templates fs.FS
	// IgnoreFilters makes [Application] generate the Application even when
	// the generator's labels or filters would not list the pull request
	// (to compute its name, for example), instead of returning a
	// *NotGeneratedError.
	IgnoreFilters bool
	// Base, when not nil, is the base branch's trusted fields of the app
	// (trust.Of of its spec; render appset and apps --base-spec):
	// a spec that differs from them where a pull request may not change
	// it is refused with a *trust.Error (see trust.Check). An
	// empty, non-nil Base refuses every spec: the base branch has no
	// spec of the app.
	Base []*trust.Fields
}

// Labels and values prenv puts on what it renders for Argo CD.
const (
	// ArgoCDConfigMap is Argo CD's settings ConfigMap, which holds the
	// health checks.
	ArgoCDConfigMap = "argocd-cm"
	// RepoServer is the Deployment the plugin sidecar is added to.
	RepoServer = "argocd-repo-server"
)

// DefaultSyncOptions are the sync options of every generated Application
// unless spec.argocd.syncPolicy.syncOptions replaces them.
var DefaultSyncOptions = []string{"ServerSideApply=true", "PruneLast=true"}

// GoTemplateOptions are the ApplicationSet's goTemplateOptions.
var GoTemplateOptions = []string{"missingkey=error"}

// AppSet checks the spec and renders what goes into the Argo CD cluster for
// the app, in output order: argocd-cm with the health checks (unless
// spec.argocd.healthChecks is false), the plugin's ConfigMap (plugin flow),
// the AppProject and the ApplicationSet. A spec without spec.argocd is an
// *spec.InvalidError; with opts.Base, a spec that changes what only the
// base branch may is a *trust.Error. In the plugin flow every
// Application carries the spec's trusted fields in its plugin env
// PRENV_BASE ([PluginBase]), for render env in the plugin to compare the
// pull request's spec with.
func AppSet(ctx context.Context, env *spec.PreviewEnvironment, opts Options) ([]*unstructured.Unstructured, error) {
	objs, err := renderAll(ctx, env, opts)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(objs, isRepoServerPatch), nil
}

// RepoServerPatch renders the plugin flow's sidecar: a strategic-merge patch
// of Argo CD's repo-server Deployment that adds the container running the
// plugin (kubectl patch deployment argocd-repo-server --patch-file). It
// needs spec.argocd.source.plugin with an image.
func RepoServerPatch(ctx context.Context, env *spec.PreviewEnvironment, opts Options) (*unstructured.Unstructured, error) {
	if err := checkTrust(env, opts); err != nil {
		return nil, err
	}
	if err := checkSpec(env); err != nil {
		return nil, err
	}
	src := env.Spec.ArgoCD.Source
	pp := field.NewPath("spec", "argocd", "source", "plugin")
	switch {
	case src.Plugin == nil:
		return nil, &spec.InvalidError{Errs: field.ErrorList{field.Required(pp, "the sidecar runs the Config Management Plugin: set source.plugin")}}
	case src.Plugin.Image == "":
		return nil, &spec.InvalidError{Errs: field.ErrorList{field.Required(pp.Child("image"), "the sidecar's image: one with render and a POSIX shell")}}
	}
	objs, err := renderAll(ctx, env, opts)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if isRepoServerPatch(o) {
			return o, nil
		}
	}
	return nil, &kit.TemplateError{Err: fmt.Errorf("the templates rendered no %s patch", RepoServer)}
}

func isRepoServerPatch(o *unstructured.Unstructured) bool {
	return o.GetKind() == "Deployment" && o.GetName() == RepoServer
}

// Application checks the spec and the pull request, renders the
// ApplicationSet and returns the Application Argo CD will generate from it
// for the pull request (see [Generate]), checked the way the API server and
// Argo CD check names and labels.
//
// Errors: a *spec.InvalidError for a bad spec or pull request (field
// paths of the pull request start with "pullRequest."; the head SHA is
// checked against what the generator's provider reports); a
// *NotGeneratedError when the generator's labels or filters would not list
// the pull request, so that Argo CD generates nothing for it (unless
// opts.IgnoreFilters); an *UnsafePathError when the generated source path
// would leave its folder of the repository (see [CheckPath]); a
// *kit.TemplateError when the templates give no valid Application or a
// generator render apps cannot evaluate offline.
func Application(ctx context.Context, env *spec.PreviewEnvironment, pr PullRequest, opts Options) (*unstructured.Unstructured, error) {
	if err := checkTrust(env, opts); err != nil {
		return nil, err
	}
	errs := checkSpecErrs(env)
	for _, e := range pr.Check() {
		e.Field = "pullRequest." + e.Field
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return nil, &spec.InvalidError{Errs: errs}
	}
	objs, err := AppSet(ctx, env, opts)
	if err != nil {
		return nil, err
	}
	var appSet *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "ApplicationSet" {
			appSet = o
		}
	}
	if appSet == nil {
		return nil, &kit.TemplateError{Err: fmt.Errorf("the templates rendered no ApplicationSet")}
	}
	gen, err := readGenerator(appSet)
	if err != nil {
		return nil, &kit.TemplateError{Template: "applicationset.yaml", Err: err}
	}
	if errs := pr.checkHeadSHAFor(gen.provider); len(errs) > 0 {
		for _, e := range errs {
			e.Field = "pullRequest." + e.Field
		}
		return nil, &spec.InvalidError{Errs: errs}
	}
	if !opts.IgnoreFilters {
		if ng := gen.match(pr); ng != nil {
			return nil, ng
		}
	}
	app, err := Generate(appSet, pr.Params())
	if err != nil {
		return nil, &kit.TemplateError{Template: "applicationset.yaml", Err: err}
	}
	if pe := checkSourcePaths(appSet, app, pr); pe != nil {
		return nil, pe
	}
	if errs := CheckApplication(app); len(errs) > 0 {
		return nil, &kit.TemplateError{Template: "applicationset.yaml", Err: fmt.Errorf("the generated Application is not valid: %v", errs.ToAggregate())}
	}
	return app, nil
}

// CheckApplication checks what the API server and Argo CD check on a
// generated Application beyond its CRD schema: the name (a DNS subdomain,
// and at most 63 characters, as Argo CD copies it into a label), the labels
// and annotations, and a destination namespace that is a DNS label.
func CheckApplication(app *unstructured.Unstructured) field.ErrorList {
	var errs field.ErrorList
	name := app.GetName()
	np := field.NewPath("metadata", "name")
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(np, name, msg))
	}
	for _, msg := range validation.IsValidLabelValue(name) {
		errs = append(errs, field.Invalid(np, name, "Argo CD copies the name into a label: "+msg))
	}
	lp := field.NewPath("metadata", "labels")
	for k, v := range app.GetLabels() {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(lp.Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, field.Invalid(lp.Key(k), v, msg))
		}
	}
	ap := field.NewPath("metadata", "annotations")
	for k := range app.GetAnnotations() {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(ap.Key(k), k, msg))
		}
	}
	ns, _, _ := unstructured.NestedString(app.Object, "spec", "destination", "namespace")
	for _, msg := range validation.IsDNS1123Label(ns) {
		errs = append(errs, field.Invalid(field.NewPath("spec", "destination", "namespace"), ns, msg))
	}
	return errs
}

// checkSpecErrs checks the spec as spec.Check does, and that it has an
// argocd section.
func checkSpecErrs(env *spec.PreviewEnvironment) field.ErrorList {
	errs := spec.Check(env)
	if env.Spec.ArgoCD == nil {
		errs = append(errs, field.Required(field.NewPath("spec", "argocd"), "the Argo CD wiring: pullRequests and source at least"))
	}
	return errs
}

// checkTrust compares env with opts.Base, when set.
func checkTrust(env *spec.PreviewEnvironment, opts Options) error {
	if opts.Base == nil {
		return nil
	}
	if errs := trust.Check(opts.Base, env); len(errs) > 0 {
		return &trust.Error{Errs: errs}
	}
	return nil
}

func checkSpec(env *spec.PreviewEnvironment) error {
	if errs := checkSpecErrs(env); len(errs) > 0 {
		return &spec.InvalidError{Errs: errs}
	}
	return nil
}

// renderAll checks the spec, computes the values, runs the kit and checks
// that the ApplicationSet still names Applications after the env names.
func renderAll(ctx context.Context, env *spec.PreviewEnvironment, opts Options) ([]*unstructured.Unstructured, error) {
	if err := checkTrust(env, opts); err != nil {
		return nil, err
	}
	if err := checkSpec(env); err != nil {
		return nil, err
	}
	m, err := newModel(ctx, env)
	if err != nil {
		return nil, err
	}
	values, err := kit.TemplateValues(m)
	if err != nil {
		return nil, err
	}
	release := map[string]any{"Name": m.AppSet.Name, "Namespace": m.AppSet.Namespace, "Service": "prenv", "IsInstall": true, "IsUpgrade": false, "Revision": 1}
	tmpl := opts.Templates
	if tmpl != nil {
		tmpl = spec.LimitFS(tmpl, kit.MaxTemplateSize)
	}
	objs, err := execute(ctx, values, release, tmpl)
	if err != nil {
		return nil, err
	}
	if err := selfCheck(env, objs); err != nil {
		return nil, err
	}
	return objs, nil
}

// probePRs are pull requests the ApplicationSet's template is tried with
// after rendering: the smallest and largest numbers and every length.
var probePRs = []int{1, 42, 123, 9999, 10000, 123456, 9999999, 12345678, 999999999, spec.MaxPR}

// selfCheck executes the rendered ApplicationSet's template for probe pull
// requests and checks that Applications and their namespaces carry the env
// names awsrules.EnvName gives, so that an override of a template file, or a
// change to the kit, cannot silently break the naming Argo CD computes.
func selfCheck(env *spec.PreviewEnvironment, objs []*unstructured.Unstructured) error {
	var appSet *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "ApplicationSet" {
			if appSet != nil {
				return &kit.TemplateError{Err: fmt.Errorf("the templates rendered more than one ApplicationSet")}
			}
			appSet = o
		}
	}
	if appSet == nil {
		return &kit.TemplateError{Err: fmt.Errorf("the templates rendered no ApplicationSet")}
	}
	opts, _, _ := unstructured.NestedStringSlice(appSet.Object, "spec", "goTemplateOptions")
	if !slices.Contains(opts, "missingkey=error") {
		return &kit.TemplateError{Template: "applicationset.yaml", Err: fmt.Errorf("spec.goTemplateOptions must contain missingkey=error, got %q", opts)}
	}
	for _, n := range probePRs {
		pr := PullRequest{Number: n, Branch: "prenv/probe", TargetBranch: "main", HeadSHA: strings.Repeat("0", 40), Author: "prenv", Title: "probe"}
		app, err := Generate(appSet, pr.Params())
		if err != nil {
			return &kit.TemplateError{Template: "applicationset.yaml", Err: err}
		}
		want := awsrules.EnvName(env.Spec.Prefix, n, env.Metadata.Name)
		ns, _, _ := unstructured.NestedString(app.Object, "spec", "destination", "namespace")
		if app.GetName() != want || ns != want {
			return &kit.TemplateError{Template: "applicationset.yaml", Err: fmt.Errorf("for pull request %d the template names the Application %q in namespace %q; both must be the env name %q", n, app.GetName(), ns, want)}
		}
		if errs := CheckApplication(app); len(errs) > 0 {
			return &kit.TemplateError{Template: "applicationset.yaml", Err: fmt.Errorf("for pull request %d the Application is not valid: %v", n, errs.ToAggregate())}
		}
		if err := checkNotifyWiring(env, objs, app, pr); err != nil {
			return err
		}
	}
	// A pull request whose free text climbs out of any folder: a source
	// path that takes it in raw is refused here, for every pull request,
	// rather than for the first hostile one.
	hostile := PullRequest{Number: 7, Branch: probeClimb, TargetBranch: probeClimb, HeadSHA: strings.Repeat("0", 40), Author: probeClimb, Title: probeClimb, Labels: []string{probeClimb}}
	app, err := Generate(appSet, hostile.Params())
	if err != nil {
		return &kit.TemplateError{Template: "applicationset.yaml", Err: err}
	}
	if pe := checkSourcePaths(appSet, app, hostile); pe != nil {
		return &kit.TemplateError{Template: "applicationset.yaml", Err: fmt.Errorf("the source path takes the pull request's free text in raw: for a probe pull request whose branch, title and author are %q, the template %q gives %s %q, which %s; build it from {{number}} (and {{branch_slug}} at most)", probeClimb, pe.Template, pe.Field, pe.Path, pe.Reason)}
	}
	return nil
}

// probeClimb is the branch, target branch, title and author of the probe
// pull request whose text climbs out of its folder.
const probeClimb = "../../../prenv-probe/.."

// literal returns s as a goTemplate template that prints s: s itself, or,
// when s holds "{{" or "}}", a template printing it as a quoted Go string.
// Check refuses such strings where they reach the template; this is a
// second line of defence.
func literal(s string) string {
	if !strings.Contains(s, "{{") && !strings.Contains(s, "}}") {
		return s
	}
	return "{{ " + strconv.Quote(s) + " }}"
}
