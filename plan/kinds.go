package plan

import (
	"slices"

	"prenv.dev/prenv/internal/kinds"
	"prenv.dev/prenv/spec"
)

// EnvKinds returns the namespaced kinds of the env's own objects as the
// embedded kit renders them for m, sorted by group and kind: ServiceAccount,
// ConfigMap and the IAM Role always, the IAM Policy, DynamoDB Table and SQS
// Queue, S3 Bucket (and the batch Job that empties buckets) and EKS
// PodIdentityAssociation when m has any, the ResourceQuota, LimitRange and NetworkPolicy
// unless the spec turns them off, and with databases StatefulSet, Service,
// Job and RBAC Role and RoleBinding. The Namespace, cluster-scoped, is not
// among them.
// With [spec.AppKinds] they are the kinds the env's AppProject allows.
func EnvKinds(m *Model) []spec.GroupKind {
	if m == nil {
		return nil
	}
	out := []spec.GroupKind{kinds.ServiceAccount, kinds.ConfigMap, kinds.Role}
	if len(m.Policies) > 0 {
		out = append(out, kinds.Policy)
	}
	if len(m.Tables) > 0 {
		out = append(out, kinds.Table)
	}
	if len(m.Queues) > 0 {
		out = append(out, kinds.Queue)
	}
	if m.ResourceQuota != nil {
		out = append(out, kinds.ResourceQuota)
	}
	if m.LimitRange != nil {
		out = append(out, kinds.LimitRange)
	}
	if len(m.NetworkPolicies) > 0 {
		out = append(out, kinds.NetworkPolicy)
	}
	if len(m.Buckets) > 0 {
		out = append(out, kinds.Bucket)
	}
	if m.PodIdentity != nil {
		out = append(out, kinds.PodIdentity)
	}
	if len(m.Databases) > 0 {
		out = append(out, databaseKinds...)
	} else if m.BucketsEmpty != nil {
		out = append(out, spec.GroupKind{Group: "batch", Kind: "Job"})
	}
	slices.SortFunc(out, spec.CompareGroupKind)
	return out
}
