// Package argocd wires prenv's per-pull-request environments into Argo CD.
//
// From the same spec as package render (prenv.yaml, spec.argocd), it renders
// what goes into the Argo CD cluster for one app:
//
//   - an ApplicationSet with the pull-request generator, whose template
//     names every Application, and its destination namespace, after the env
//     name awsrules.EnvName gives that pull request, <prefix>-<number>-<app>
//     (see [NameTemplate]);
//   - an AppProject that allows the app's env namespaces only, the kinds
//     prenv emits plus the app's own, and no cluster-scoped kind but the
//     env's Namespace (see [NamespacePatterns]);
//   - the argocd-cm health checks of the ACK kinds (see [HealthLua]), so
//     that sync waves wait until AWS has the resources;
//   - for the plugin flow, the Config Management Plugin definition and the
//     repo-server sidecar that run render env inside Argo CD.
//
// [Generate] executes an ApplicationSet's template offline for one pull
// request, with the semantics of Argo CD's goTemplate mode (text/template,
// sprig without the environment functions, the goTemplateOptions), so a
// template mistake shows up in a review instead of in the ApplicationSet
// controller's log.
//
// The templates (templates/) run through Helm's engine like the kit of
// package render. Argo CD's own placeholders, such as {{ .number }}, are
// never written in the template files: Go computes them and the templates
// print them through toJson, as data, so neither Helm nor a user override
// of a template file can evaluate or break them; tpl is refused.
//
// [Application] first decides, as Argo CD's generator does, whether the
// pull request is listed at all (the provider's labels, the filters; see
// [Match]), and refuses a generated source path that the pull request's
// text leads out of its folder (see [CheckPath]).
//
// Library code never prints or exits: errors are *spec.InvalidError
// (bad spec or pull-request parameters, with field paths),
// *NotGeneratedError (Argo CD would generate nothing for the pull
// request), *UnsafePathError (a generated source path leaves its folder) or
// *kit.TemplateError.
package argocd
