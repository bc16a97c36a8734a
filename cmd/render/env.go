package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

func runEnv(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("env", "-f prenv.yaml --pr N [flags]", stderr)
	var (
		file, outDir               string
		pr                         prValue
		chartDir, kustomizeDir     string
		valueFiles, crdPaths       listFlag
		previous                   string
		format                     string
		helmValues                 bool
		previousMustMatch          bool
		chartAllowSymlinks         bool
		chartAllowNondeterministic bool
		overrides                  overrideFlags
	)
	fs.StringVar(&file, "f", "", "the spec `FILE` (prenv.yaml), or - for standard input")
	fs.Var(&pr, "pr", "the pull-request number `N` (required): "+prRule)
	var kitOpts kitFlags
	kitOpts.register(fs, "a folder (`DIR`) whose template files override the embedded kit's by name; a file that overrides none adds a template, with a warning")
	fs.StringVar(&outDir, "output-dir", "", "write one file per object into this folder `DIR` (atomically) instead of standard output")
	fs.StringVar(&chartDir, "chart", "", "also render this app chart (a folder or .tgz: `CHART`) in-process with Helm, the env's identity injected as values")
	fs.Var(&valueFiles, "values", "a values `FILE` for --chart, merged in order as helm's -f (repeatable); --set changes the spec, not the chart")
	fs.BoolVar(&chartAllowSymlinks, "chart-allow-symlinks", false, "let --chart follow symbolic links that leave the chart folder, as helm template does (by default they are refused: they can read any file of the machine into the output)")
	fs.BoolVar(&chartAllowNondeterministic, "chart-allow-nondeterministic", false, "let --chart render a chart that calls functions whose result changes from run to run (now, rand*, uuidv4, gen*, lookup, ...; refused by default)")
	fs.BoolVar(&helmValues, "helm-values", false, "print only the values prenv injects into an app chart (for helm or helmfile)")
	fs.StringVar(&kustomizeDir, "kustomize", "", "apply the kustomization in this folder `DIR` over the rendered objects (in memory); prenv adds the rendered objects to its resources as prenv-rendered.yaml")
	fs.Var(&crdPaths, "crds", "CRD files or folders (`PATH`) that replace or extend the embedded schemas the output is validated against (repeatable)")
	fs.BoolVar(&previousMustMatch, "previous-must-match", false, "with --previous, fail (exit 1) when no object of the output is in the previous render, instead of warning")
	fs.StringVar(&previous, "previous", "", "a file or folder (`PATH`) with the previous render of the same PR (for example from the base branch): immutable fields must not change")
	fs.StringVar(&format, "o", "yaml", "output `FORMAT`: yaml (a stream of documents) or json (a v1 List of the objects)")
	var baseFlag baseFlags
	baseFlag.register(fs, false, true)
	overrides.register(fs)
	if code, ok := parseNoArgs(fs, args, stderr); !ok {
		return code
	}
	if code := overrides.check("env", "a value of an app chart (--chart) goes in a values file: --values FILE, merged as helm's -f", stderr); code != exitOK {
		return code
	}
	if code := outputFormat("env", format, stderr); code != exitOK {
		return code
	}
	if format == "json" && (outDir != "" || helmValues) {
		return usageError(stderr, "env", "-o json prints the objects on standard output; --output-dir and --helm-values write YAML")
	}
	if pr.n == 0 {
		return usageError(stderr, "env", "--pr N is required (the pull-request number)")
	}
	env, base, code := loadWithBase("env", file, &baseFlag, overrides.list, stdin, stderr)
	if env == nil {
		return code
	}
	opts, done, code := kitOpts.options("env", stderr)
	if done == nil {
		return code
	}
	defer done()
	opts.Base = base
	if (len(valueFiles) > 0 || chartAllowSymlinks || chartAllowNondeterministic) && chartDir == "" {
		fmt.Fprintln(stderr, "render env: --values, --chart-allow-symlinks and --chart-allow-nondeterministic need --chart")
		return exitUsage
	}
	if helmValues && (chartDir != "" || outDir != "" || kustomizeDir != "" || kitOpts.templatesDir != "" || len(crdPaths) > 0 || previous != "") {
		fmt.Fprintln(stderr, "render env: --helm-values prints only the values for an app chart; it takes none of --chart, --values, --output-dir, --kustomize, --templates, --crds, --previous")
		return exitUsage
	}
	if helmValues {
		m, err := plan.Plan(env, pr.n)
		if err != nil {
			return reportError(stderr, file, err)
		}
		y, err := kit.HelmValuesYAML(m)
		if err != nil {
			return reportError(stderr, file, err)
		}
		stdout.Write(y)
		return exitOK
	}
	out, err := renderObjects(ctx, env, pr.n, opts)
	if err != nil {
		var te *kit.TemplateError
		if errors.As(err, &te) && kitOpts.templatesDir != "" || fileRefused(err) {
			fmt.Fprintf(stderr, "render env: %v\n", err)
			return exitInvalid
		}
		return reportError(stderr, file, err)
	}
	if chartDir != "" {
		var values [][]byte
		for _, f := range valueFiles {
			b, err := spec.ReadFile(f, kit.MaxValuesSize)
			if err != nil {
				fmt.Fprintf(stderr, "render env: --values: %v\n", err)
				if fileRefused(err) {
					return exitInvalid
				}
				return exitUsage
			}
			values = append(values, b)
		}
		app, err := kit.RenderChart(ctx, out.Model, kit.ChartOptions{
			Dir: chartDir, Values: values,
			AllowSymlinks: chartAllowSymlinks, AllowNondeterministic: chartAllowNondeterministic,
		})
		if err != nil {
			fmt.Fprintf(stderr, "render env: %v\n", err)
			return exitInvalid
		}
		out.Objects = append(out.Objects, app...)
		manifest.SortObjects(out.Objects)
	}
	if kustomizeDir != "" {
		objs, err := kit.Kustomize(ctx, kustomizeDir, out.Objects)
		if err != nil {
			fmt.Fprintf(stderr, "render env: %v\n", err)
			return exitInvalid
		}
		out.Objects = objs
	}
	// The output is validated before it is printed, always: against the
	// embedded schemas (or --crds), and as an update of --previous.
	// Whatever templates, the chart or the kustomization made of them, the
	// final objects keep the env's identity and permissions and stay inside
	// its fence.
	userShaped := kitOpts.templatesDir != "" || chartDir != "" || kustomizeDir != ""
	fence.WriteNamespaces(out.Model, out.Objects)
	if problems := fence.CheckObjects(out.Model, out.Objects, out.Rules(env)); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		if !userShaped {
			return internalError(stderr, "its own output breaks the env's rules (%d problem(s) above)", len(problems))
		}
		fmt.Fprintf(stderr, "render env: the output leaves the env's identity, permissions or namespace (%d problem(s) above); --templates, --chart and --kustomize may shape prenv's objects, not change who they trust, what they grant or where they go\n", len(problems))
		return exitInvalid
	}
	if previousMustMatch && previous == "" {
		return usageError(stderr, "env", "--previous-must-match needs --previous")
	}
	if code := validateOutput(ctx, out.Objects, crdPaths, previous, previousMustMatch, kitOpts.templatesDir != "" || chartDir != "" || kustomizeDir != "" || len(crdPaths) > 0, stderr); code != exitOK {
		return code
	}
	if outDir != "" {
		if err := outputdir.WriteDir(outDir, out.Objects); err != nil {
			fmt.Fprintf(stderr, "render env: --output-dir: %v\n", err)
			return exitInvalid
		}
		return exitOK
	}
	var y []byte
	if format == "json" {
		y, err = objectsJSON(out.Objects, true)
	} else {
		y, err = out.YAML()
	}
	if err != nil {
		return reportError(stderr, file, err)
	}
	if _, err := stdout.Write(y); err != nil {
		fmt.Fprintf(stderr, "render env: %v\n", err)
		return exitInternal
	}
	return exitOK
}

// validateOutput validates the rendered objects as the API server would. A
// failure is prenv's bug unless user-supplied templates, charts or
// kustomizations shaped the output. With --previous it also validates
// them as an update of the previous render, says how many objects were
// compared, and warns (mustMatch: fails) when none was.
func validateOutput(ctx context.Context, objs []*unstructured.Unstructured, crdPaths []string, previous string, mustMatch, userShaped bool, stderr io.Writer) int {
	v, code := newRenderedValidator(ctx, "env", crdPaths, userShaped, stderr, outputGroup{what: "the output", objs: objs})
	if code != exitOK {
		return code
	}
	if previous == "" {
		return exitOK
	}
	srcs, err := validate.ReadSources(previous)
	if err != nil {
		return usageError(stderr, "env", "--previous: %v", err)
	}
	var old []*unstructured.Unstructured
	fileOf := map[fence.ObjectRef]string{}
	for _, s := range srcs {
		o, err := validate.DecodeObjects(s.Name, s.Data)
		if err != nil {
			return usageError(stderr, "env", "--previous: %v", err)
		}
		for _, u := range o {
			fileOf[fence.RefOf(u)] = s.Name
		}
		old = append(old, o...)
	}
	matched := 0
	for _, o := range objs {
		if _, ok := fileOf[fence.RefOf(o)]; ok {
			matched++
		}
	}
	compared := fmt.Sprintf("--previous %s: %d of the output's %d objects compared with the previous render's (%d objects in %d files)",
		previous, matched, len(objs), len(old), len(srcs))
	if matched == 0 {
		if mustMatch {
			fmt.Fprintf(stderr, "render env: %s: none matched (same group, kind, namespace and name), so no update rule was checked; --previous-must-match refuses that. Is it a render of the same PR and app?\n", compared)
			return exitInvalid
		}
		fmt.Fprintf(stderr, "render env: warning: %s: none matched (same group, kind, namespace and name), so no update rule was checked. Is it a render of the same PR and app?\n", compared)
	} else {
		fmt.Fprintf(stderr, "render env: %s\n", compared)
	}
	res, err := v.ValidateObjects(ctx, objs, old)
	if err != nil {
		fmt.Fprintf(stderr, "render env: %v\n", err)
		return exitInternal
	}
	if res.Valid() {
		return exitOK
	}
	for _, p := range res.Problems {
		line := p.String()
		ref := fence.ObjectRef{GroupKind: spec.GroupKind{Group: schemaGroup(p.APIVersion), Kind: p.Kind}, Namespace: p.Namespace, Name: p.Name}
		if f, ok := fileOf[ref]; ok {
			line += " (previous: " + f + ")"
		}
		fmt.Fprintf(stderr, "  %s\n", line)
	}
	fmt.Fprintf(stderr, "render env: as an update of the previous render (%s) the output changes what the API server or AWS refuses to change; the sync or ACK would fail (%d problem(s) above)\n", previous, len(res.Problems))
	return exitInvalid
}

// schemaGroup is the group of an apiVersion: "" for v1, "apps" for apps/v1.
func schemaGroup(apiVersion string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return group
}

// renderObjects runs the first stages of render.Render (check, plan, kit);
// the commands run and report the app chart, the kustomization, the final
// checks and the validation themselves, each with its own message and exit
// code.
func renderObjects(ctx context.Context, env *spec.PreviewEnvironment, pr int, opts render.Options) (*render.Output, error) {
	r, err := render.NewRenderer(opts)
	if err != nil {
		return nil, err
	}
	return r.Objects(ctx, env, pr)
}
