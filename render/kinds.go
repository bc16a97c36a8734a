package render

import (
	"cmp"
	"slices"
)

// API groups of the ACK controllers whose kinds prenv renders.
const (
	GroupIAM      = "iam.services.k8s.aws"
	GroupDynamoDB = "dynamodb.services.k8s.aws"
	GroupSQS      = "sqs.services.k8s.aws"
)

// The kinds of the env's own objects.
var (
	kindNamespace      = GroupKind{Kind: "Namespace"}
	kindServiceAccount = GroupKind{Kind: "ServiceAccount"}
	kindConfigMap      = GroupKind{Kind: "ConfigMap"}
	kindPolicy         = GroupKind{Group: GroupIAM, Kind: "Policy"}
	kindRole           = GroupKind{Group: GroupIAM, Kind: "Role"}
	kindTable          = GroupKind{Group: GroupDynamoDB, Kind: "Table"}
	kindQueue          = GroupKind{Group: GroupSQS, Kind: "Queue"}
	kindResourceQuota  = GroupKind{Kind: "ResourceQuota"}
	kindLimitRange     = GroupKind{Kind: "LimitRange"}
	kindNetworkPolicy  = GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}
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
// besides [EnvKinds], and what [ObjectRules.AppKinds] takes.
func AppKinds(env *PreviewEnvironment) []GroupKind {
	if a := env.Spec.ArgoCD; a != nil && a.AppResources != nil {
		return slices.Clone(a.AppResources)
	}
	return DefaultAppResources()
}

// EnvKinds returns the namespaced kinds of the env's own objects as the
// embedded kit renders them for m, sorted by group and kind: ServiceAccount,
// ConfigMap and the IAM Role always, the IAM Policy, DynamoDB Table and SQS
// Queue when m has any, the ResourceQuota, LimitRange and NetworkPolicy
// unless the spec turns them off, and with databases StatefulSet, Service,
// Job and RBAC Role and RoleBinding. The Namespace, cluster-scoped, is not
// among them.
// With [AppKinds] they are the kinds the env's AppProject allows.
func EnvKinds(m *Model) []GroupKind {
	kinds := []GroupKind{kindServiceAccount, kindConfigMap, kindRole}
	if len(m.Policies) > 0 {
		kinds = append(kinds, kindPolicy)
	}
	if len(m.Tables) > 0 {
		kinds = append(kinds, kindTable)
	}
	if len(m.Queues) > 0 {
		kinds = append(kinds, kindQueue)
	}
	if m.ResourceQuota != nil {
		kinds = append(kinds, kindResourceQuota)
	}
	if m.LimitRange != nil {
		kinds = append(kinds, kindLimitRange)
	}
	if len(m.NetworkPolicies) > 0 {
		kinds = append(kinds, kindNetworkPolicy)
	}
	if len(m.Databases) > 0 {
		kinds = append(kinds, databaseKinds...)
	}
	slices.SortFunc(kinds, compareGroupKind)
	return kinds
}

func compareGroupKind(x, y GroupKind) int {
	return cmp.Or(cmp.Compare(x.Group, y.Group), cmp.Compare(x.Kind, y.Kind))
}

// clusterScoped are the cluster-scoped kinds of Kubernetes itself: the types
// k8s.io/api and k8s.io/apiextensions-apiserver mark
// `+genclient:nonNamespaced` (a test derives the list from the module
// sources of the versions in go.mod and keeps this one equal to it), and the
// aggregator's APIService (k8s.io/kube-aggregator, not a dependency).
var clusterScoped = map[GroupKind]bool{
	{Group: "", Kind: "ComponentStatus"}:                                              true,
	{Group: "", Kind: "Namespace"}:                                                    true,
	{Group: "", Kind: "Node"}:                                                         true,
	{Group: "", Kind: "PersistentVolume"}:                                             true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
	{Group: "authentication.k8s.io", Kind: "SelfSubjectReview"}:                       true,
	{Group: "authentication.k8s.io", Kind: "TokenReview"}:                             true,
	{Group: "authorization.k8s.io", Kind: "SelfSubjectAccessReview"}:                  true,
	{Group: "authorization.k8s.io", Kind: "SelfSubjectRulesReview"}:                   true,
	{Group: "authorization.k8s.io", Kind: "SubjectAccessReview"}:                      true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle"}:                        true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
	{Group: "imagepolicy.k8s.io", Kind: "ImageReview"}:                                true,
	{Group: "internal.apiserver.k8s.io", Kind: "StorageVersion"}:                      true,
	{Group: "networking.k8s.io", Kind: "IPAddress"}:                                   true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "networking.k8s.io", Kind: "ServiceCIDR"}:                                 true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
	{Group: "resource.k8s.io", Kind: "DeviceClass"}:                                   true,
	{Group: "resource.k8s.io", Kind: "DeviceTaintRule"}:                               true,
	{Group: "resource.k8s.io", Kind: "ResourcePoolStatusRequest"}:                     true,
	{Group: "resource.k8s.io", Kind: "ResourceSlice"}:                                 true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "storage.k8s.io", Kind: "CSINode"}:                                        true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "VolumeAttachment"}:                               true,
	{Group: "storage.k8s.io", Kind: "VolumeAttributesClass"}:                          true,
	{Group: "storagemigration.k8s.io", Kind: "StorageVersionMigration"}:               true,
}

// ClusterScopedKinds returns the cluster-scoped kinds of Kubernetes itself
// that prenv knows, sorted by group and kind. A kind of another API group
// (a custom resource) is not among them even when it is cluster-scoped:
// [CheckObjects] refuses every kind it is not told to allow.
func ClusterScopedKinds() []GroupKind {
	out := make([]GroupKind, 0, len(clusterScoped))
	for gk := range clusterScoped {
		out = append(out, gk)
	}
	slices.SortFunc(out, compareGroupKind)
	return out
}

// IsClusterScoped reports whether gk is one of [ClusterScopedKinds].
func IsClusterScoped(gk GroupKind) bool { return clusterScoped[gk] }
