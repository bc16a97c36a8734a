// Package schemas holds the validation schemas that prenv ships with its
// binaries.
//
// crds/ has one CustomResourceDefinition per custom kind prenv emits (ACK IAM
// Policy and Role, DynamoDB Table, SQS Queue, S3 Bucket, EKS
// PodIdentityAssociation, Argo CD Application,
// ApplicationSet and AppProject). Each lists only the fields prenv writes, with
// the names, types, required fields and immutability rules of the upstream CRD,
// so that the validator can check rendered objects without a cluster. Built-in
// Kubernetes kinds need no file here: package validate checks them against the
// Go types of k8s.io/api.
package schemas

import "embed"

// CRDs is the crds/ folder: one CustomResourceDefinition per YAML file.
//
//go:embed crds/*.yaml
var CRDs embed.FS
