// Package plan turns a checked spec and a pull-request number into the
// model of that PR's environment ([Model]): every name, ARN, label, tag,
// IAM policy and trust policy, table, queue, database and bound, as Go
// values. It writes no YAML: the template kit (package kit) shapes the model
// into objects, and the final checks (package fence) compare the objects
// with it.
//
//	env, err := spec.Load(data)
//	m, err := plan.Plan(env, 123)   // checks env with spec.Check first
//	fmt.Println(m.Namespace)        // "pr-123-web"
//
// Guaranteed: the same spec and PR number give an equal model, on any
// machine; a spec [spec.Check] refuses gives a [*spec.InvalidError] with
// every field path, never a model. Names come from package awsrules, whose
// documentation gives the argument that they never meet across apps and PRs.
//
// # Bounds
//
// Every env is bounded in time and in what it may take and reach:
//
//   - spec.ttl (a Go duration, over 0 and at most [spec.MaxTTL]) is rendered as
//     the Namespace's [spec.AnnotationTTL] as written; the env expires at the
//     Namespace's creationTimestamp plus it, which render leftovers reports.
//     Nothing time-dependent is rendered.
//   - A ResourceQuota ([ResourceQuotaName], [spec.DefaultQuotaHard] merged with
//     spec.resourceQuota.hard) and a LimitRange of type Container
//     ([LimitRangeName], [spec.DefaultLimitRange] merged with spec.limitRange),
//     quantities in canonical form.
//   - NetworkPolicies selecting every pod of the namespace: default deny in
//     and out ([NetworkPolicyDefaultDeny]), the env's own pods to each
//     other ([NetworkPolicySameNamespace]), in from spec.networkPolicy
//     .ingressFrom ([NetworkPolicyIngress]; [spec.DefaultIngressFrom]), out to
//     the cluster's DNS on port 53 ([NetworkPolicyDNS]; [spec.DefaultDNS]) and to
//     spec.networkPolicy.egress ([NetworkPolicyEgress]; [spec.DefaultEgress]).
//
// Each is on unless the spec sets enabled: false. They come in the
// Namespace's sync wave, before any pod can start, are among [EnvKinds]
// (the AppProject's kinds), and [fence.CheckObjects] keeps them exactly as
// rendered: an extra NetworkPolicy would add an allow rule, an extra or
// changed quota would lift the cap.
//
// Cross-PR isolation. A pod of env A reaches a pod of env B only if B's
// NetworkPolicies admit it in: a CNI that enforces NetworkPolicies checks
// both the sender's egress and the receiver's ingress, and B's namespace
// is selected by B's default-deny policy, so only B's allow rules can let
// traffic in. Those rules admit (1) pods of B's own namespace (a peer with
// only a podSelector), and (2) pods of namespaces chosen by
// spec.networkPolicy.ingressFrom, to each of whose namespace selectors
// prenv adds "prenv.dev/env DoesNotExist". Every env's Namespace carries
// prenv.dev/env (CheckObjects keeps it), so (2) never selects an env's
// namespace, whatever the spec wrote; [spec.Check] also refuses selectors on
// prenv's labels and empty selectors. No ingress rule has an ipBlock or no
// peers. So no rule of B admits a pod of A. Egress to 0.0.0.0/0 on 443 may
// cover pod addresses (on EKS pods have VPC addresses), but that traffic
// still needs B's ingress to admit it. What remains is public by design:
// A can reach B's hostname through the ingress controller, as anyone can.
// TestCrossPRIsolation checks the rendered policies. NetworkPolicies need
// a CNI that enforces them (the VPC CNI with network policy enabled,
// Calico, Cilium); without one they are stored and do nothing.
package plan
