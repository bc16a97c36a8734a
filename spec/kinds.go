package spec

import (
	"cmp"
	"slices"

	"prenv.dev/prenv/internal/kuberules"
)

// API groups of the ACK controllers whose kinds prenv renders.
const (
	GroupIAM      = "iam.services.k8s.aws"
	GroupDynamoDB = "dynamodb.services.k8s.aws"
	GroupSQS      = "sqs.services.k8s.aws"
	GroupS3       = "s3.services.k8s.aws"
	GroupEKS      = "eks.services.k8s.aws"
)

// DefaultAppResources returns the kinds allowed for the app's own objects
// when spec.argocd.appResources is absent: those of prenv's preview-app
// chart (Deployment, Service, Ingress). Each call returns a new slice.
func DefaultAppResources() []GroupKind {
	return []GroupKind{
		{Group: "apps", Kind: "Deployment"},
		{Group: "", Kind: "Service"},
		{Group: "networking.k8s.io", Kind: "Ingress"},
	}
}

// AppKinds returns the kinds the spec allows for the app's own objects:
// spec.argocd.appResources when it is set (an empty list allows none),
// [DefaultAppResources] otherwise. They are what the AppProject allows
// besides [plan.EnvKinds], and what [fence.ObjectRules.AppKinds] takes.
func AppKinds(env *PreviewEnvironment) []GroupKind {
	if env == nil {
		return DefaultAppResources()
	}
	if a := env.Spec.ArgoCD; a != nil && a.AppResources != nil {
		return slices.Clone(a.AppResources)
	}
	return DefaultAppResources()
}

// CompareGroupKind orders kinds by API group, then kind, as [slices.SortFunc]
// wants.
func CompareGroupKind(x, y GroupKind) int {
	return cmp.Or(cmp.Compare(x.Group, y.Group), cmp.Compare(x.Kind, y.Kind))
}

// ClusterScopedKinds returns the cluster-scoped kinds of Kubernetes itself
// that prenv knows, sorted by group and kind. A kind of another API group
// (a custom resource) is not among them even when it is cluster-scoped:
// [fence.CheckObjects] refuses every kind it is not told to allow.
func ClusterScopedKinds() []GroupKind {
	all := kuberules.ClusterScopedKinds()
	out := make([]GroupKind, 0, len(all))
	for _, gk := range all {
		out = append(out, GroupKind{Group: gk[0], Kind: gk[1]})
	}
	slices.SortFunc(out, CompareGroupKind)
	return out
}

// IsClusterScoped reports whether gk is one of [ClusterScopedKinds].
func IsClusterScoped(gk GroupKind) bool { return kuberules.IsClusterScoped(gk.Group, gk.Kind) }
