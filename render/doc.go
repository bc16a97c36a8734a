// Package render turns one prenv spec (a [PreviewEnvironment], the file users
// call prenv.yaml) and a pull-request number into every Kubernetes object
// that PR's environment needs: a Namespace, ACK IAM Policy and Role for IRSA,
// the ServiceAccount that assumes the Role, ACK DynamoDB Tables and SQS
// Queues (with dead-letter queues), and a ConfigMap naming them.
//
//	env, err := render.Load(data)                      // strict decoding
//	out, err := render.Render(ctx, env, 123, render.Options{})
//	stream, err := out.YAML()                          // one YAML stream
//
// [Check] lists every rule a spec breaks, each with its field path; [Plan]
// computes the model (names, ARNs, policy documents) that the template kit
// (package templates, executed with Helm's engine) shapes into objects.
// [RenderChart] and [Kustomize] add an app's Helm chart and a kustomization.
//
// Guaranteed: the same spec and PR number give the same bytes, on any
// machine, time zone, locale or GOMAXPROCS; nothing is printed, logged or
// read from the environment. Not guaranteed: the wording of error messages.
// Match errors by type ([*InvalidError], [*TemplateError], [*ChartError],
// [*KustomizeError]) and by field path.
package render
