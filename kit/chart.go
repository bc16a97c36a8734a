package kit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/bounded"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// HelmValues are the values prenv injects into an app chart: the env's
// identity under the key "prenv". `render env --helm-values` prints them, so
// that helm or helmfile can be given the same values.
func HelmValues(m *plan.Model) map[string]any {
	if m == nil {
		return nil
	}
	labels := make(map[string]any, len(m.Labels))
	for k, v := range m.Labels {
		labels[k] = v
	}
	return map[string]any{
		"prenv": map[string]any{
			"app":                  m.App,
			"pr":                   m.PR,
			"envName":              m.EnvName,
			"namespace":            m.Namespace,
			"hostname":             m.Hostname,
			"region":               m.Region,
			"serviceAccountName":   m.ServiceAccount.Name,
			"configMapName":        m.ConfigMap.Name,
			"manifestsReleaseName": awsrules.ManifestsReleaseName(m.EnvName),
			"labels":               labels,
		},
	}
}

// ChartOptions name an app chart to render into the env.
type ChartOptions struct {
	// Dir is a chart folder or packaged chart (.tgz).
	Dir string
	// Values are values files (YAML), merged in order over the chart's
	// defaults, as helm's -f does; prenv's values are merged last. Each is
	// at most [MaxValuesSize].
	Values [][]byte
	// ReleaseName defaults to the app's name.
	ReleaseName string
	// AllowSymlinks follows symbolic links that lead out of the chart
	// folder, or are absolute, as `helm template` does (Helm only warns).
	// By default such a link fails with a [*spec.LinkOutsideError] naming it:
	// a chart a pull request changes could otherwise put any file of the
	// machine that renders it (a CI runner's credentials) into the output.
	// Links that stay inside the chart are always followed.
	AllowSymlinks bool
	// AllowNondeterministic renders a chart whose templates call
	// functions whose result changes from run to run ([Nondeterministic]:
	// now, date*, rand*, uuidv4, gen*, lookup, ...), or whose output
	// differs between two renders. By default such a chart fails with a
	// [*NondeterministicChartError] naming each call's template and line:
	// its rendered diff would change on every run.
	AllowNondeterministic bool
}

// ChartError is an app chart that could not be loaded or rendered.
type ChartError struct {
	Chart string
	Err   error
}

func (e *ChartError) Error() string { return "chart " + e.Chart + ": " + e.Err.Error() }

func (e *ChartError) Unwrap() error { return e.Err }

// RenderChart renders an app chart for the env in-process, as
// `helm template <release> <chart> --namespace <env> -f <values>... -f <prenv values>`
// would: Helm's chart loader and engine, the same release name, namespace and
// default capabilities, NOTES.txt left out, values checked against the
// chart's values.schema.json. The objects come back sorted with
// [manifest.SortObjects].
//
// Two things differ from helm template, by default, because the chart is
// input a pull request can change. The chart is read like Helm's loader
// reads it (.helmignore, only regular files, each at most
// [MaxChartFileSize], [MaxChartSize] in all, a .tgz's decompressed content
// too), but through an [os.Root]: a symbolic link that leaves the chart
// folder fails with a [*spec.LinkOutsideError] (see
// [ChartOptions].AllowSymlinks). And a chart whose output would change from
// run to run fails with a [*NondeterministicChartError] (see
// [ChartOptions].AllowNondeterministic): its templates are scanned for
// calls of [Nondeterministic] functions, and so is the text tpl may be
// given when a template calls tpl (every string of the values, the
// chart's files and the templates' string constants); as the engine's
// function map cannot be changed in this Helm version, the chart is then
// rendered twice, so that text built while rendering and given to tpl
// shows as output that differs.
func RenderChart(ctx context.Context, m *plan.Model, opts ChartOptions) ([]*unstructured.Unstructured, error) {
	if ctx == nil {
		return nil, errors.New("chart: nil context")
	}
	if m == nil {
		return nil, errors.New("chart: nil model")
	}
	if opts.Dir == "" {
		return nil, errors.New("chart: no chart folder or .tgz given (ChartOptions.Dir)")
	}
	for i, b := range opts.Values {
		if int64(len(b)) > MaxValuesSize {
			return nil, &ChartError{Chart: opts.Dir, Err: &spec.FileTooLargeError{Path: fmt.Sprintf("values file %d", i+1), Size: int64(len(b)), Limit: MaxValuesSize}}
		}
	}
	c, err := loadChart(opts.Dir, opts.AllowSymlinks)
	if err != nil {
		return nil, &ChartError{Chart: opts.Dir, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// What helm template checks before rendering.
	if t := c.Metadata.Type; t != "" && t != "application" {
		return nil, &ChartError{Chart: c.Name(), Err: fmt.Errorf("%s charts are not installable", t)}
	}
	var missing []string
	for _, d := range c.Metadata.Dependencies {
		if !slices.ContainsFunc(c.Dependencies(), func(sub *chart.Chart) bool { return sub.Name() == d.Name }) {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return nil, &ChartError{Chart: c.Name(), Err: fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s", strings.Join(missing, ", "))}
	}
	caps := HelmCapabilities()
	if kv := c.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, &ChartError{Chart: c.Name(), Err: fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", kv, caps.KubeVersion.String())}
	}
	vals := map[string]any{}
	for i, b := range opts.Values {
		if err := bounded.CheckYAMLExpansion(fmt.Sprintf("values file %d", i+1), b); err != nil {
			return nil, &ChartError{Chart: c.Name(), Err: err}
		}
		v, err := chartutil.ReadValues(b)
		if err != nil {
			return nil, &ChartError{Chart: opts.Dir, Err: fmt.Errorf("values file %d: %w", i+1, err)}
		}
		vals = mergeValues(vals, v)
	}
	vals = mergeValues(vals, HelmValues(m))
	// Subcharts' condition, tags and import-values, as helm install does.
	if err := chartutil.ProcessDependenciesWithMerge(c, vals); err != nil {
		return nil, &ChartError{Chart: c.Name(), Err: err}
	}
	release := opts.ReleaseName
	if release == "" {
		release = m.App
	}
	// helm template refuses such a release name before it renders anything.
	if err := chartutil.ValidateReleaseName(release); err != nil {
		return nil, &ChartError{Chart: c.Name(), Err: fmt.Errorf("release name %q: %w", release, err)}
	}
	// Helm's schema check is replaced by validateChartValues, which reads
	// no file and no URL a schema refers to.
	top, err := chartutil.ToRenderValuesWithSchemaValidation(c, vals, chartutil.ReleaseOptions{
		Name: release, Namespace: m.Namespace, Revision: 1, IsInstall: true,
	}, caps, true)
	if err != nil {
		return nil, &ChartError{Chart: c.Name(), Err: err}
	}
	coalesced, ok := top["Values"].(chartutil.Values)
	if !ok {
		return nil, fmt.Errorf("chart %s: prenv bug: Helm's render values hold %T, not chartutil.Values", c.Name(), top["Values"])
	}
	if err := validateChartValues(c, coalesced); err != nil {
		return nil, &ChartError{Chart: c.Name(), Err: err}
	}
	if !opts.AllowNondeterministic {
		if err := checkChartCalls(c, top["Values"]); err != nil {
			return nil, &ChartError{Chart: c.Name(), Err: err}
		}
	}
	files, err := engine.Engine{}.Render(c, top)
	if err != nil {
		return nil, &ChartError{Chart: c.Name(), Err: err}
	}
	if !opts.AllowNondeterministic {
		// What the scan cannot see (a string built at run time and given
		// to tpl) shows as output that differs between two renders.
		again, err := engine.Engine{}.Render(c, top)
		if err != nil {
			return nil, &ChartError{Chart: c.Name(), Err: err}
		}
		var differ []string
		for _, k := range slices.Sorted(maps.Keys(files)) {
			if files[k] != again[k] {
				differ = append(differ, k)
			}
		}
		if len(differ) > 0 {
			return nil, &ChartError{Chart: c.Name(), Err: &NondeterministicChartError{Differ: differ}}
		}
	}
	for k := range files {
		if strings.HasSuffix(k, "NOTES.txt") {
			delete(files, k)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, &ChartError{Chart: c.Name(), Err: err}
	}
	var objs []*unstructured.Unstructured
	add := func(name, content string) error {
		docs, err := manifest.ParseObjects([]byte(content))
		if err != nil {
			return &ChartError{Chart: c.Name(), Err: fmt.Errorf("%s: %w", name, err)}
		}
		objs = append(objs, docs...)
		return nil
	}
	for _, mf := range manifests {
		if err := add(mf.Name, mf.Content); err != nil {
			return nil, err
		}
	}
	for _, h := range hooks {
		if err := add(h.Path, h.Manifest); err != nil {
			return nil, err
		}
	}
	manifest.SortObjects(objs)
	return objs, nil
}

// mergeValues merges src over dst, recursing into maps, as helm merges
// values files.
func mergeValues(dst, src map[string]any) map[string]any {
	out := maps.Clone(dst)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// HelmValuesYAML is [HelmValues] as YAML, keys sorted.
func HelmValuesYAML(m *plan.Model) ([]byte, error) {
	if m == nil {
		return nil, errors.New("chart: nil model")
	}
	return yaml.Marshal(HelmValues(m))
}

// Versions that `helm template` of the released helm reports to charts: the
// helm module's version, and the Kubernetes version helm's release build
// stamps, that of the client-go helm's go.mod requires (client-go v0.N goes
// with Kubernetes v1.N). A test keeps them equal to go.mod.
const (
	HelmVersion       = "v3.22.0"
	HelmKubeVersion   = "v1.37.0"
	helmKubeMinorOnly = "37"
)

// HelmCapabilities are the capabilities `helm template` of the released helm
// gives a chart: Helm's defaults with [HelmKubeVersion] and [HelmVersion].
func HelmCapabilities() *chartutil.Capabilities {
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: HelmKubeVersion, Major: "1", Minor: helmKubeMinorOnly}
	caps.HelmVersion.Version = HelmVersion
	return caps
}
