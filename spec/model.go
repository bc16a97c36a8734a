package spec

// Labels, annotations and tags prenv sets.
const (
	LabelManagedBy     = "app.kubernetes.io/managed-by"
	ManagedByValue     = "prenv"
	LabelApp           = "prenv.dev/app"
	LabelPR            = "prenv.dev/pr"
	LabelEnv           = "prenv.dev/env"
	AnnotationSyncWave = "argocd.argoproj.io/sync-wave"
	AnnotationRegion   = "services.k8s.aws/region"
	AnnotationDeletion = "services.k8s.aws/deletion-policy"
	AnnotationRoleARN  = "eks.amazonaws.com/role-arn"
	// AnnotationTTL on the env's Namespace is spec.ttl as written (a Go
	// duration): the env expires at the Namespace's creationTimestamp plus
	// it, which render leftovers reports.
	AnnotationTTL = "prenv.dev/ttl"
	// AnnotationAdoptionPolicy and AnnotationAdoptionFields are ACK's
	// resource adoption annotations (ACK docs, "Resource Adoption"):
	// adopt-or-create adopts the AWS resource the fields identify when it
	// exists, and creates it otherwise.
	AnnotationAdoptionPolicy = "services.k8s.aws/adoption-policy"
	AnnotationAdoptionFields = "services.k8s.aws/adoption-fields"
	AdoptOrCreate            = "adopt-or-create"
	DefaultPartition         = "aws"
	DefaultSessionSecs       = 3600
	DefaultDLQRetention      = 1209600
	DefaultBillingMode       = "PAY_PER_REQUEST"
)
