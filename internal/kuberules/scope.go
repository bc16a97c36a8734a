package kuberules

// clusterScoped are, by group and kind, the cluster-scoped kinds of Kubernetes itself: the types
// k8s.io/api and k8s.io/apiextensions-apiserver mark
// `+genclient:nonNamespaced` (a test derives the list from the module
// sources of the versions in go.mod and keeps this one equal to it), and the
// aggregator's APIService (k8s.io/kube-aggregator, not a dependency).
var clusterScoped = map[[2]string]bool{
	{"", "ComponentStatus"}:  true,
	{"", "Namespace"}:        true,
	{"", "Node"}:             true,
	{"", "PersistentVolume"}: true,
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicy"}:          true,
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"}:   true,
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"}:     true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"}:        true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"}: true,
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"}:   true,
	{"apiextensions.k8s.io", "CustomResourceDefinition"}:                 true,
	{"apiregistration.k8s.io", "APIService"}:                             true,
	{"authentication.k8s.io", "SelfSubjectReview"}:                       true,
	{"authentication.k8s.io", "TokenReview"}:                             true,
	{"authorization.k8s.io", "SelfSubjectAccessReview"}:                  true,
	{"authorization.k8s.io", "SelfSubjectRulesReview"}:                   true,
	{"authorization.k8s.io", "SubjectAccessReview"}:                      true,
	{"certificates.k8s.io", "CertificateSigningRequest"}:                 true,
	{"certificates.k8s.io", "ClusterTrustBundle"}:                        true,
	{"flowcontrol.apiserver.k8s.io", "FlowSchema"}:                       true,
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"}:       true,
	{"imagepolicy.k8s.io", "ImageReview"}:                                true,
	{"internal.apiserver.k8s.io", "StorageVersion"}:                      true,
	{"networking.k8s.io", "IPAddress"}:                                   true,
	{"networking.k8s.io", "IngressClass"}:                                true,
	{"networking.k8s.io", "ServiceCIDR"}:                                 true,
	{"node.k8s.io", "RuntimeClass"}:                                      true,
	{"rbac.authorization.k8s.io", "ClusterRole"}:                         true,
	{"rbac.authorization.k8s.io", "ClusterRoleBinding"}:                  true,
	{"resource.k8s.io", "DeviceClass"}:                                   true,
	{"resource.k8s.io", "DeviceTaintRule"}:                               true,
	{"resource.k8s.io", "ResourcePoolStatusRequest"}:                     true,
	{"resource.k8s.io", "ResourceSlice"}:                                 true,
	{"scheduling.k8s.io", "PriorityClass"}:                               true,
	{"storage.k8s.io", "CSIDriver"}:                                      true,
	{"storage.k8s.io", "CSINode"}:                                        true,
	{"storage.k8s.io", "StorageClass"}:                                   true,
	{"storage.k8s.io", "VolumeAttachment"}:                               true,
	{"storage.k8s.io", "VolumeAttributesClass"}:                          true,
	{"storagemigration.k8s.io", "StorageVersionMigration"}:               true,
}

// ClusterScopedKinds returns the cluster-scoped kinds of Kubernetes itself,
// each as its group and kind, in no order.
func ClusterScopedKinds() [][2]string {
	out := make([][2]string, 0, len(clusterScoped))
	for gk := range clusterScoped {
		out = append(out, gk)
	}
	return out
}

// IsClusterScoped reports whether group and kind name a cluster-scoped kind
// of Kubernetes itself.
func IsClusterScoped(group, kind string) bool { return clusterScoped[[2]string{group, kind}] }
