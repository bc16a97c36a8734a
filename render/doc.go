// Package render turns one prenv spec (a [PreviewEnvironment], the file users
// call prenv.yaml) and a pull-request number into every Kubernetes object
// that PR's environment needs: a Namespace, ACK IAM Policy and Role for IRSA,
// the ServiceAccount that assumes the Role, ACK DynamoDB Tables and SQS
// Queues (with dead-letter queues), a ConfigMap naming them, and the
// bounds of the env: its time to live, a ResourceQuota, a LimitRange and
// NetworkPolicies (see Bounds below).
//
//	env, err := render.Load(data)                      // strict decoding
//	out, err := render.Render(ctx, env, 123, render.Options{})
//	stream, err := out.YAML()                          // one YAML stream
//
// [Check] lists every rule a spec breaks, each with its field path; [Plan]
// computes the model (names, ARNs, policy documents) that the template kit
// (package templates, executed with Helm's template semantics and a
// function map without non-deterministic functions) shapes into objects.
// [RenderChart] and [Kustomize] add an app's Helm chart and a kustomization.
//
// Guaranteed: the same spec and PR number give the same bytes, on any
// machine, time zone, locale or GOMAXPROCS; nothing is printed, logged or
// read from the environment. Not guaranteed: the wording of error messages.
// Match errors by type ([*InvalidError], [*TemplateError], [*ChartError],
// [*KustomizeError]) and by field path.
//
// # Names
//
// Envs of different apps share one AWS account and one cluster, and PR
// numbers are per repository, so two apps have a PR 5 at the same time.
// Their names must never meet. Every name prenv gives is a function of the
// tuple (prefix, PR, app, kind, logical name):
//
//	namespace, IAM role   <prefix>-<pr>-<app>                 [EnvName], [RoleName]
//	IAM managed policy    <env>, <env>_<n> for n >= 2          [PolicyName]
//	DynamoDB table        <env>_<table>                        [TableName]
//	SQS queue             <env>_<queue>[_dlq][.fifo]           [QueueName]
//
// The map from tuple to name is injective within each namespace of names
// (tables, queues, roles, policies, namespaces), for the tuples [Check]
// accepts:
//
//  1. Env names parse one way. A prefix is words of [a-z0-9] that each start
//     with a letter; the PR number is decimal without leading zeros; so the
//     first all-digit word of <prefix>-<pr>-<app> is the PR, what comes
//     before it is the prefix, and what comes after it is the app. Check
//     refuses prefix and app lengths whose env name could exceed 63
//     characters for some PR number up to [MaxPR], so env names are never
//     shortened.
//  2. The other names join parts with '_', which no part contains: prefix,
//     app and logical names are lower-case DNS labels. So <env>_<logical>
//     splits at its only '_'; a queue's name has a third part only for a
//     dead-letter queue ("dlq"); ".fifo" cannot come from a logical name,
//     which has no '.'; a split policy's number follows the only '_'.
//     Different tuples give different full names.
//  3. A full name longer than its limit (only a queue name can be: its
//     limit is 80 characters) is shortened: cut, then "--", then [NameHash] of the full name,
//     then ".fifo" for a FIFO queue. Check refuses "--" in prefixes, apps
//     and logical names, so a full name never contains "--" and a shortened
//     one always does: no shortened name equals a full one. Two shortened
//     names are equal only if their hashes are, that is, only for a
//     collision of SHA-256 cut to [HashBits] = 128 bits.
//  4. All names are lower case, so IAM's case-insensitive uniqueness of
//     role and policy names changes nothing.
//
// The hash is 128 bits of SHA-256, 26 characters of lower-case base32. To
// land on an existing env's shortened queue name an attacker needs a second
// preimage, about 2^128 hash evaluations; to find any two tuples whose
// shortened names collide, a birthday search needs about 2^64 (at ten
// billion SHA-256 evaluations a second, some 58 years of one such machine).
// The former 32-bit hash fell to a birthday search in seconds.
//
// Limits kept: namespace and env name 63 (a DNS label; with spec.dns, less
// the external-dns TXT registry's prefix, see [TXTRecordLabel]), IAM role 64,
// IAM policy 128, SQS queue 80 with ".fifo", DynamoDB table 3 to 255. Prefix,
// PR and at least the first 15 characters of the app are always visible.
//
// # Bounds
//
// Every env is bounded in time and in what it may take and reach:
//
//   - spec.ttl (a Go duration, over 0 and at most [MaxTTL]) is rendered as
//     the Namespace's [AnnotationTTL] as written; the env expires at the
//     Namespace's creationTimestamp plus it, which render leftovers reports.
//     Nothing time-dependent is rendered.
//   - A ResourceQuota ([ResourceQuotaName], [DefaultQuotaHard] merged with
//     spec.resourceQuota.hard) and a LimitRange of type Container
//     ([LimitRangeName], [DefaultLimitRange] merged with spec.limitRange),
//     quantities in canonical form.
//   - NetworkPolicies selecting every pod of the namespace: default deny in
//     and out ([NetworkPolicyDefaultDeny]), the env's own pods to each
//     other ([NetworkPolicySameNamespace]), in from spec.networkPolicy
//     .ingressFrom ([NetworkPolicyIngress]; [DefaultIngressFrom]), out to
//     the cluster's DNS on port 53 ([NetworkPolicyDNS]; [DefaultDNS]) and to
//     spec.networkPolicy.egress ([NetworkPolicyEgress]; [DefaultEgress]).
//
// Each is on unless the spec sets enabled: false. They come in the
// Namespace's sync wave, before any pod can start, are among [EnvKinds]
// (the AppProject's kinds), and [CheckObjects] keeps them exactly as
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
// namespace, whatever the spec wrote; [Check] also refuses selectors on
// prenv's labels and empty selectors. No ingress rule has an ipBlock or no
// peers. So no rule of B admits a pod of A. Egress to 0.0.0.0/0 on 443 may
// cover pod addresses (on EKS pods have VPC addresses), but that traffic
// still needs B's ingress to admit it. What remains is public by design:
// A can reach B's hostname through the ingress controller, as anyone can.
// TestCrossPRIsolation checks the rendered policies. NetworkPolicies need
// a CNI that enforces them (the VPC CNI with network policy enabled,
// Calico, Cilium); without one they are stored and do nothing.
package render
