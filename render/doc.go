// Package render is prenv's one entry point: [Render] turns one spec (a
// [spec.PreviewEnvironment], the file users call prenv.yaml) and a
// pull-request number into every Kubernetes object that PR's environment
// needs, exactly what `render env` prints: a Namespace, ACK IAM Policy and
// Role for IRSA, the ServiceAccount that assumes the Role, ACK DynamoDB
// Tables and SQS Queues (with dead-letter queues), databases, a ConfigMap
// naming them, and the env's bounds (time to live, ResourceQuota,
// LimitRange, NetworkPolicies). [Sync] renders every open PR of several
// apps into a folder tree for the manifest-repository flow.
//
//	env, err := spec.Load(data)                            // strict decoding
//	out, err := render.Render(ctx, env, 123, render.Options{})
//	stream, err := out.YAML()                              // one YAML stream
//
// Render runs the stages of the data flow, each a package that imports only
// the ones before it:
//
//	awsrules  names, ARNs, the IAM grammar, policy documents, regions
//	spec      types, loading, Check (every rule with its field path)
//	plan      spec + PR number -> the model (names, ARNs, policies, bounds)
//	kit       the template kit, the app chart, kustomize -> objects
//	fence     what the env's final objects may be, against the model
//	validate  the API server's own validation of every final object
//	outputdir the output folder, replaced in one step
//
// and package manifest (objects <-> YAML bytes), which imports none of them:
// the kit reads what templates print with it, and the output folder and
// [Output.YAML] write with it.
//
// A caller who wants less says so in [Options] (SkipValidation); a caller
// who reports each stage itself, as the command line does, uses
// [Renderer.Objects] and the stage packages.
//
// Guaranteed: the same spec, PR number and options give the same bytes, on
// any machine, time zone, locale or GOMAXPROCS; nothing is read from the
// environment, and nothing is printed or logged but for kustomize's own
// deprecation warnings (Options.Kustomize), which sigs.k8s.io/kustomize
// writes to standard error itself; nil or zero inputs give errors, never
// panics.
// Not guaranteed: the wording of error messages. Match errors by type
// ([*spec.InvalidError], [*kit.TemplateError], [*kit.ChartError],
// [*kit.KustomizeError], [*FenceError], [*ValidationError]) and by field
// path. Names and their injectivity are documented in package awsrules;
// bounds and cross-PR isolation in package plan.
package render
