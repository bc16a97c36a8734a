// Package validate checks Kubernetes objects the way the API server would
// accept or refuse them on kubectl apply --validate=strict, without a
// cluster.
//
// Custom resources are checked against CustomResourceDefinition schemas with
// the API server's own code from k8s.io/apiextensions-apiserver, in the order
// its CR handler uses: metadata decoding, pruning of fields the schema does
// not declare (reported as unknown fields, with their paths), dropping of
// nulls, coercion of embedded resources, defaulting, the create strategy
// (status is ignored when the version has the status subresource), then
// ObjectMeta validation (name a DNS-1123 subdomain, labels, annotations,
// finalizers, ...), OpenAPI schema validation, list-type uniqueness and the
// CEL rules of x-kubernetes-validations. Given the previous version of an
// object, the CEL rules run as for an update, so transition rules such as
// self == oldSelf (immutable fields) are enforced.
//
// Given the previous version of an ACK object, the update rules of the AWS
// service behind it are checked too, each reported as a Forbidden problem
// at the new object's field with the rule and the way out:
//
//   - DynamoDB Table: a new tableName (ACK creates a new, empty table and
//     leaves the old one); a changed key schema, a changed type of a key
//     attribute, added, removed or changed local secondary indexes (all
//     fixed at creation); more than one global secondary index created or
//     deleted in one update, or a changed key schema or projection of one;
//     a new view type of an enabled stream, or an enabled stream whose
//     streamSpecification is left out (ACK does not disable it); an enabled
//     time to live moved to another attribute; a switch from
//     PAY_PER_REQUEST to PROVISIONED while the table has global secondary
//     indexes (ACK does not send their throughput).
//   - SQS Queue: standard to FIFO or back; a new queueName.
//   - IAM Role: a new name (ACK creates a new role) or path; IAM Policy: a
//     new name, path or description (IAM cannot change them and ACK ignores
//     the change).
//
// A field the CRD's own transition rule already refused is reported once.
// What two renders do not show is not checked: DynamoDB's one-hour lock
// after a time-to-live change and its limit of four switches to on-demand
// billing in 24 hours.
//
// Built-in kinds (core/v1, apps/v1, networking/v1, rbac/v1, batch/v1,
// policy/v1, autoscaling/v2) are decoded strictly into their k8s.io/api Go
// types: unknown fields, wrong JSON types, out-of-range integers and bad
// quantities are reported with kubectl-style paths. Their metadata gets the
// API server's ObjectMeta validation with the kind's name rule (a Namespace
// name is a DNS-1123 label, a Service name a DNS-1035 label, RBAC names path
// segments, ...), and a few cheap kind rules are restated (ConfigMap and
// Secret keys and size, workload selectors matching pod template labels).
// The rest of the per-kind validation lives in k8s.io/kubernetes, which is
// not importable, and is not done. CustomResourceDefinitions found among the
// objects get the API server's full CRD validation.
//
// prenv's own schemas for the custom kinds it emits are embedded (package
// schemas), each decoded on the first validation of one of its kinds
// (prenv's tests decode them all). Options.CRDs adds schemas, for example
// from the cluster's `kubectl get crd -o yaml`; they replace embedded ones
// for the same group/version/kind. They are decoded strictly and must pass
// the API server's CRD validation (structural schema, CEL compilation and
// cost), or New returns a *CRDError.
//
// Every problem is reported, each with its document, object, field path and
// message (worded like the API server's field errors), not only the first.
//
// # Usage
//
//	srcs, err := validate.LoadCRDFiles("crds/") // optional: the cluster's CRDs
//	if err != nil { ... }
//	v, err := validate.New(ctx, validate.Options{CRDs: srcs})
//	if err != nil { ... } // errors.Is(err, validate.ErrInvalidCRD) for bad CRDs
//
//	old, err := validate.LoadObjects("previous/") // optional: the last render
//	res, err := v.ValidateStream(ctx, "out.yaml", data, old)
//	for _, p := range res.Problems {
//		fmt.Println(p) // out.yaml:3 Table/sessions: spec.keySchema: Invalid value: ...
//	}
//	if err := res.Err(); err != nil { ... } // errors.Is(err, validate.ErrInvalid)
//
// A Validator decodes each embedded schema and compiles each schema once,
// on first use of its group/version/kind, and is safe for concurrent use; build one per process
// and reuse it. ValidateObjects checks objects already decoded, for example
// a renderer's output before it is printed.
//
// # Differences from the API server
//
// Schema checks are not ratcheted on update: the new object must be valid
// even where the old one was not. Only CEL rules and the AWS update rules
// see the old object, which is matched by API group, kind, namespace and
// name, and used only when its apiVersion is the same (the validator has no
// conversion webhooks).
// ObjectMeta update rules (immutable uid and the like) are not checked, as
// two renders never carry server-set fields. A namespaced object without a
// namespace is checked as if it were in "default", as kubectl would send
// it to the current namespace. Admission webhooks and policies are out of
// reach.
package validate
