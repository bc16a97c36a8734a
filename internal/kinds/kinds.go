// Package kinds names the kinds of an env's own objects, for the stages
// that render and check them (plan, fence). It is internal so that no
// importer can change them.
package kinds

import "prenv.dev/prenv/spec"

// The kinds of the env's own objects.
var (
	Namespace      = spec.GroupKind{Kind: "Namespace"}
	ServiceAccount = spec.GroupKind{Kind: "ServiceAccount"}
	ConfigMap      = spec.GroupKind{Kind: "ConfigMap"}
	Policy         = spec.GroupKind{Group: spec.GroupIAM, Kind: "Policy"}
	Role           = spec.GroupKind{Group: spec.GroupIAM, Kind: "Role"}
	Table          = spec.GroupKind{Group: spec.GroupDynamoDB, Kind: "Table"}
	Queue          = spec.GroupKind{Group: spec.GroupSQS, Kind: "Queue"}
	Bucket         = spec.GroupKind{Group: spec.GroupS3, Kind: "Bucket"}
	PodIdentity    = spec.GroupKind{Group: spec.GroupEKS, Kind: "PodIdentityAssociation"}
	ResourceQuota  = spec.GroupKind{Kind: "ResourceQuota"}
	LimitRange     = spec.GroupKind{Kind: "LimitRange"}
	NetworkPolicy  = spec.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}
)
