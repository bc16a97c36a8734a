package spec

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// APIVersion and Kind identify a prenv spec document.
const (
	APIVersion = "prenv.dev/v1alpha1"
	Kind       = "PreviewEnvironment"
)

// PreviewEnvironment is the spec of one app's pull-request environments
// (the file users call prenv.yaml). The pull-request number is not part of
// it: it is a parameter of [Render].
type PreviewEnvironment struct {
	// APIVersion is prenv.dev/v1alpha1.
	APIVersion string `json:"apiVersion" jsonschema:"enum=prenv.dev/v1alpha1"`
	// Kind is PreviewEnvironment.
	Kind     string   `json:"kind" jsonschema:"enum=PreviewEnvironment"`
	Metadata Metadata `json:"metadata"`
	Spec     Spec     `json:"spec"`
}

// Metadata names the app.
type Metadata struct {
	// Name is the app's name, a DNS-1035 label (lower case, starts with a letter).
	Name string `json:"name"`
}

// Spec describes what every pull request of the app gets.
type Spec struct {
	// Prefix starts every env name: <prefix>-<pr>-<app>.
	Prefix string `json:"prefix"`
	AWS    AWS    `json:"aws"`
	// Identity is how the env's pods get the env's IAM role: irsa
	// (default: the ServiceAccount's eks.amazonaws.com/role-arn, a trust
	// policy on the cluster's OIDC provider) or podIdentity (an EKS Pod
	// Identity association in spec.aws.clusterName; the cluster needs the
	// EKS Pod Identity Agent and ACK's eks-controller).
	Identity       string          `json:"identity,omitempty" jsonschema:"enum=irsa,enum=podIdentity"`
	ServiceAccount *ServiceAccount `json:"serviceAccount,omitempty"`
	IAM            *IAM            `json:"iam,omitempty"`
	DynamoDB       *DynamoDB       `json:"dynamodb,omitempty"`
	SQS            *SQS            `json:"sqs,omitempty"`
	S3             *S3             `json:"s3,omitempty"`
	DNS            *DNS            `json:"dns,omitempty"`
	// Databases are database servers in the env's namespace, one
	// StatefulSet each.
	Databases []Database `json:"databases,omitempty"`
	// Labels are added to every Kubernetes object; pod-security.kubernetes.io/
	// keys are refused (the Namespace's Pod Security level is prenv's).
	Labels map[string]string `json:"labels,omitempty"`
	// Tags are added to every AWS resource.
	Tags map[string]string `json:"tags,omitempty"`
	// DeletionPolicy is ACK's services.k8s.aws/deletion-policy: delete (default) or retain.
	DeletionPolicy string `json:"deletionPolicy,omitempty" jsonschema:"enum=delete,enum=retain"`
	// ArgoCD wires the app's previews into Argo CD.
	ArgoCD *ArgoCD `json:"argocd,omitempty"`
	// TTL is how long an env may live, a Go duration such as 72h (units
	// ns, us, ms, s, m, h), at most 8760h. It is rendered as the
	// Namespace's prenv.dev/ttl annotation; render leftovers reports an env
	// whose Namespace is older.
	TTL string `json:"ttl,omitempty"`
	// ResourceQuota caps what each env may take of the cluster.
	ResourceQuota *ResourceQuota `json:"resourceQuota,omitempty"`
	// LimitRange gives each env's containers default requests and limits.
	LimitRange *LimitRange `json:"limitRange,omitempty"`
	// NetworkPolicy fences each env's pods in.
	NetworkPolicy *NetworkPolicy `json:"networkPolicy,omitempty"`
}

// AWS names the account, region and cluster identity provider.
type AWS struct {
	// AccountID is the 12-digit AWS account ID.
	AccountID AccountID `json:"accountID"`
	// Region is the AWS region of the env's resources, one of the
	// partition's regions as of prenv's list (see allowUnknownRegion).
	Region string `json:"region"`
	// Partition is aws (default), aws-cn or aws-us-gov.
	Partition string `json:"partition,omitempty" jsonschema:"enum=aws,enum=aws-cn,enum=aws-us-gov"`
	// OIDCProviderURL is the cluster's OIDC issuer, with or without
	// https://; required with identity irsa (the default).
	OIDCProviderURL string `json:"oidcProviderURL,omitempty"`
	// ClusterName is the EKS cluster's name (1 to 100 letters, digits, '-'
	// and '_', starting with a letter or digit), in the account and region
	// above; required with identity podIdentity.
	ClusterName string `json:"clusterName,omitempty"`
	// AllowUnknownRegion accepts a region that is not in prenv's list of
	// the partition's regions, for a region AWS opened after it; the name
	// must still have a region's form and fit the partition.
	AllowUnknownRegion bool `json:"allowUnknownRegion,omitempty"`
}

// AccountID is an AWS account ID, a string of 12 digits. [Load] also takes
// a number, from an unquoted YAML value or helm-style --set, but only one
// written as exactly 12 digits: any other (5, 0x1F, 1.2e11) is refused with
// a hint to quote it, never turned into another account.
type AccountID string

// UnmarshalJSON accepts a JSON string, or a JSON integer written as
// exactly 12 digits; any other number is an error with a hint to quote it,
// never padded into another account.
func (a *AccountID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = AccountID(s)
		return nil
	}
	if _, err := strconv.ParseUint(string(b), 10, 64); err != nil || len(b) != 12 {
		return &accountIDError{value: string(b)}
	}
	*a = AccountID(b)
	return nil
}

// ServiceAccount is the Kubernetes ServiceAccount that assumes the env's role.
type ServiceAccount struct {
	// Name defaults to metadata.name.
	Name string `json:"name,omitempty"`
	// Annotations are added to the ServiceAccount.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// IAM shapes the env's IAM role beyond what prenv derives.
type IAM struct {
	// ManagedPolicyARNs are attached to the role as they are; never an
	// env's own policy (named <prefix>-<pr>-<app>...).
	ManagedPolicyARNs []string `json:"managedPolicyARNs,omitempty"`
	// Statements are added to the generated policy after the derived ones.
	Statements []Statement `json:"statements,omitempty"`
	// PermissionsBoundaryARN is set on the role when not empty.
	PermissionsBoundaryARN string `json:"permissionsBoundaryARN,omitempty"`
	// MaxSessionDuration in seconds, 3600..43200; default 3600.
	MaxSessionDuration int `json:"maxSessionDuration,omitempty"`
	// ManagedPoliciesPerRole is the account's IAM quota "Managed policies
	// per role": how many managed policies (prenv's own and
	// managedPolicyARNs together) one role may have attached. AWS's
	// default is 10; an account can have it raised to at most 20 (IAM User
	// Guide, "IAM and AWS STS quotas"). Set it only when the account's
	// quota was raised: with more than the quota, attaching fails at AWS
	// (LimitExceeded) long after the render. 10..20; default 10.
	ManagedPoliciesPerRole int `json:"managedPoliciesPerRole,omitempty"`
}

// PolicyQuota is how many managed policies one role may have attached: the
// spec's ManagedPoliciesPerRole, or IAM's default quota.
func (iam *IAM) PolicyQuota() int {
	if iam == nil || iam.ManagedPoliciesPerRole == 0 {
		return DefaultManagedPoliciesPerRole
	}
	return iam.ManagedPoliciesPerRole
}

// Statement is an extra IAM policy statement.
type Statement struct {
	// Sid is the statement's ID: letters and digits, unique among the role's
	// statements, prenv's own (Table<Name>, Table<Name>Stream, Queue<Name>)
	// included.
	Sid string `json:"sid,omitempty"`
	// Effect is Allow or Deny.
	Effect string `json:"effect" jsonschema:"enum=Allow,enum=Deny"`
	// Actions are IAM actions, service:Action, each one IAM has (* and ?
	// allowed in the action's name), or * alone.
	Actions []string `json:"actions"`
	// Resources are ARNs in the env's partition, or *. An Allow may not
	// name, or match by a wildcard, a resource prenv creates for an env
	// (tables, queues, roles, policies and buckets named
	// <prefix>-<pr>-<app>...): that is another env's; "*" only with actions
	// that support no resource type, for services prenv creates resources
	// in.
	Resources []string `json:"resources"`
	// Conditions maps a condition operator to condition keys and their values,
	// for example {StringEquals: {"aws:RequestedRegion": ["eu-west-1"]}}.
	Conditions map[string]map[string]StringList `json:"conditions,omitempty"`
}

// StringList is a list of strings that also accepts a single string.
type StringList []string

// UnmarshalJSON accepts a JSON string or a list of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = StringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*l = ss
	return nil
}

// DynamoDB lists the env's tables.
type DynamoDB struct {
	Tables []Table `json:"tables,omitempty"`
}

// Table is one DynamoDB table of the env.
type Table struct {
	// Name is the logical name; the AWS name is <env>_<name>.
	Name string `json:"name"`
	// Attributes are the key attributes of the table and its indexes, each
	// with its type; each must be used by a key.
	Attributes []Attribute `json:"attributes"`
	// HashKey is the table's partition key, an attribute of Attributes.
	HashKey string `json:"hashKey"`
	// RangeKey is the table's sort key, an attribute of Attributes; needed for
	// local indexes.
	RangeKey string `json:"rangeKey,omitempty"`
	// BillingMode is PAY_PER_REQUEST (default) or PROVISIONED.
	BillingMode string `json:"billingMode,omitempty" jsonschema:"enum=PAY_PER_REQUEST,enum=PROVISIONED"`
	// Capacity is the read and write capacity of a PROVISIONED table.
	Capacity *Capacity `json:"capacity,omitempty"`
	// TTLAttribute enables time to live on that attribute.
	TTLAttribute string `json:"ttlAttribute,omitempty"`
	// Stream is the stream view type: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.
	Stream string `json:"stream,omitempty" jsonschema:"enum=KEYS_ONLY,enum=NEW_IMAGE,enum=OLD_IMAGE,enum=NEW_AND_OLD_IMAGES"`
	// PointInTimeRecovery turns on continuous backups.
	PointInTimeRecovery bool `json:"pointInTimeRecovery,omitempty"`
	// GlobalIndexes are the global secondary indexes.
	GlobalIndexes []Index `json:"globalIndexes,omitempty"`
	// LocalIndexes are the local secondary indexes; they share the table's
	// hash key.
	LocalIndexes []Index `json:"localIndexes,omitempty"`
	// Access is what the app's role may do: read or readWrite (default).
	Access string `json:"access,omitempty" jsonschema:"enum=read,enum=readWrite"`
}

// Attribute is a key attribute of a table.
type Attribute struct {
	// Name of the attribute.
	Name string `json:"name"`
	// Type is S, N or B.
	Type string `json:"type" jsonschema:"enum=S,enum=N,enum=B"`
}

// Capacity is provisioned throughput.
type Capacity struct {
	// Read is the provisioned read capacity units.
	Read int64 `json:"read"`
	// Write is the provisioned write capacity units.
	Write int64 `json:"write"`
}

// Index is a global or local secondary index.
type Index struct {
	// Name of the index, unique in the table.
	Name string `json:"name"`
	// HashKey is the index's partition key, an attribute of the table's
	// attributes; a local index has the table's hash key.
	HashKey string `json:"hashKey"`
	// RangeKey is the index's sort key; required for a local index.
	RangeKey string `json:"rangeKey,omitempty"`
	// Projection is ALL (default), KEYS_ONLY or INCLUDE.
	Projection string `json:"projection,omitempty" jsonschema:"enum=ALL,enum=KEYS_ONLY,enum=INCLUDE"`
	// NonKeyAttributes are projected with INCLUDE.
	NonKeyAttributes []string `json:"nonKeyAttributes,omitempty"`
	// Capacity of a global index of a PROVISIONED table; default the table's.
	Capacity *Capacity `json:"capacity,omitempty"`
}

// SQS lists the env's queues.
type SQS struct {
	Queues []Queue `json:"queues,omitempty"`
}

// Queue is one SQS queue of the env. Zero values take SQS's defaults.
type Queue struct {
	// Name is the logical name; the AWS name is <env>_<name>, plus .fifo.
	Name string `json:"name"`
	// FIFO makes a FIFO queue, whose AWS name ends in .fifo.
	FIFO bool `json:"fifo,omitempty"`
	// ContentBasedDeduplication deduplicates messages by their body; FIFO
	// queues only.
	ContentBasedDeduplication bool `json:"contentBasedDeduplication,omitempty"`
	// VisibilityTimeoutSeconds hides a received message from other consumers
	// for that long; default SQS's.
	VisibilityTimeoutSeconds *int64 `json:"visibilityTimeoutSeconds,omitempty"`
	// MessageRetentionSeconds is how long SQS keeps a message; default SQS's.
	MessageRetentionSeconds *int64 `json:"messageRetentionSeconds,omitempty"`
	// DelaySeconds delays the delivery of every new message; default SQS's.
	DelaySeconds *int64 `json:"delaySeconds,omitempty"`
	// ReceiveWaitTimeSeconds is how long a receive waits for a message (long
	// polling); default SQS's.
	ReceiveWaitTimeSeconds *int64 `json:"receiveWaitTimeSeconds,omitempty"`
	// MaxMessageSizeBytes is the largest message SQS accepts in bytes; default
	// SQS's.
	MaxMessageSizeBytes *int64      `json:"maxMessageSizeBytes,omitempty"`
	DeadLetter          *DeadLetter `json:"deadLetter,omitempty"`
	// Access is what the app's role may do: consume, produce or both (default).
	Access string `json:"access,omitempty" jsonschema:"enum=consume,enum=produce,enum=both"`
}

// DeadLetter creates <queue>-dlq and the redrive policy.
type DeadLetter struct {
	// MaxReceiveCount is how often a message is received before it moves to
	// the dead-letter queue.
	MaxReceiveCount int64 `json:"maxReceiveCount"`
	// MessageRetentionSeconds of the dead-letter queue; default 1209600 (14 days).
	MessageRetentionSeconds *int64 `json:"messageRetentionSeconds,omitempty"`
}

// DNS gives the env its hostname <env>.<zone>.
type DNS struct {
	// Zone is the DNS zone of the envs' hostnames, <env>.<zone>.
	Zone string `json:"zone"`
	// TXTPrefix and TXTSuffix are external-dns's --txt-prefix and
	// --txt-suffix, %{record_type} included, as the cluster's external-dns
	// runs with them (default: none). Its TXT registry names the record that
	// marks a hostname's owner <prefix><type>-<first label><suffix>, and that
	// label must fit in 63 characters too, so prenv keeps room for it.
	TXTPrefix string `json:"txtPrefix,omitempty"`
	// TXTSuffix is external-dns's --txt-suffix (see TXTPrefix).
	TXTSuffix string `json:"txtSuffix,omitempty"`
}

// accountIDError is an account ID that is neither a string nor a whole number.
type accountIDError struct{ value string }

func (e *accountIDError) Error() string {
	return "account ID must be a string of 12 digits, got the number " + e.value + "; quote it"
}
