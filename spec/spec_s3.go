package spec

// Identities of the env's pods (spec.identity).
const (
	// IdentityIRSA is IAM roles for service accounts: the env's
	// ServiceAccount carries the role's ARN (eks.amazonaws.com/role-arn)
	// and the role trusts the cluster's OIDC provider for that
	// ServiceAccount (spec.aws.oidcProviderURL).
	IdentityIRSA = "irsa"
	// IdentityPodIdentity is EKS Pod Identity: an ACK
	// PodIdentityAssociation of the cluster spec.aws.clusterName ties the
	// env's ServiceAccount to the role, which trusts the
	// pods.eks.amazonaws.com principal for exactly that cluster, namespace
	// and ServiceAccount. The cluster needs the EKS Pod Identity Agent
	// add-on and ACK's eks-controller.
	IdentityPodIdentity = "podIdentity"
)

// S3 lists the env's S3 buckets.
type S3 struct {
	// Buckets are general purpose buckets, one ACK Bucket each, with
	// public access blocked, encryption with S3 managed keys (SSE-S3),
	// versioning off, objects expiring after expirationDays, and the env's
	// tags. Closing the pull request empties them (an Argo CD PreDelete
	// hook Job, Argo CD v3.3 or later) and deletes them.
	Buckets []Bucket `json:"buckets,omitempty"`
}

// Bucket is one S3 bucket of the env.
type Bucket struct {
	// Name is the logical name (a DNS-1035 label of at most 40
	// characters); the AWS name is <env>-<name>, cut to 35 characters,
	// then "--" and a hash of the env, the name, the account and the
	// region, because bucket names are global across all AWS accounts.
	// The ConfigMap keys are PRENV_BUCKET_<NAME>_NAME, _ARN and _REGION.
	Name string `json:"name"`
	// Access is what the app's role may do with the bucket's objects:
	// read (s3:GetObject), write (s3:PutObject, s3:DeleteObject) or
	// readWrite (default, all three); every access lists the bucket
	// (s3:ListBucket). The role may also delete objects of a read bucket,
	// so that the deletion hook can empty it.
	Access string `json:"access,omitempty" jsonschema:"enum=read,enum=write,enum=readWrite"`
	// ExpirationDays is how many days after its creation S3 deletes an
	// object (a lifecycle rule), 1 to 3650; default 7. It also removes
	// what the deletion hook could not, so that ACK can delete the bucket
	// in the end.
	ExpirationDays *int `json:"expirationDays,omitempty"`
}
