// Package kit is prenv's template kit: Helm-syntax templates executed with
// the semantics of Helm's engine and a function map without the functions
// whose result changes from run to run ([LoadKit], [Kit]); prenv's own kit
// over a planned env ([LoadEnvKit], [Kit.ExecuteModel], [TemplateValues]);
// an app's Helm chart rendered in process with the env's identity injected
// as values ([RenderChart], [HelmValues]); and a kustomization applied over
// the objects in memory ([Kustomize]). It turns a model (package plan) into
// objects; the final checks (package fence) decide what may leave.
//
//	k, err := kit.LoadEnvKit(nil)                  // the embedded templates
//	objs, err := k.ExecuteModel(ctx, m)            // m from plan.Plan
//	app, err := kit.RenderChart(ctx, m, kit.ChartOptions{Dir: "chart"})
//
// Guaranteed: the same model, templates, chart and kustomization give the
// same objects in the same order on any machine; files are read only inside
// the folders given, within the size limits ([MaxTemplateSize],
// [MaxChartSize], [MaxKustomizeSize], ...). Errors are typed:
// [*TemplateError], [*ChartError], [*NondeterministicChartError],
// [*KustomizeError], [*UnsafeKustomizationError].
//
// As in Helm, every file of a run shares one .Values, and files run in
// reverse name order: a template that changes .Values changes what the
// files after it print. The embedded templates print maps and lists of
// strings (labels, selectors, resources, ACK tag lists) whole with one
// toJson, so such a change is printed as it is and the final checks and
// validation judge it.
package kit
