package plan

import (
	"sort"
	"strconv"
	"strings"

	"prenv.dev/prenv/spec"
)

// Sync waves: the Namespace, then the IAM Policy, then the Role and the data
// stores (dead-letter queues before the queues that redrive to them), then the
// ConfigMap and the ServiceAccount. All are negative so that the app's own
// objects (wave 0) sync after the env's identity exists.
const (
	WaveNamespace      = -5
	WavePolicy         = -4
	WaveRole           = -3
	WaveTable          = -3
	WaveDeadLetter     = -3
	WaveQueue          = -2
	WaveConfigMap      = -1
	WaveServiceAccount = -1
	// The env's ResourceQuota, LimitRange and NetworkPolicies come with its
	// Namespace, before any pod can start in it.
	WaveResourceQuota = WaveNamespace
	WaveLimitRange    = WaveNamespace
	WaveNetworkPolicy = WaveNamespace
)

// Model is everything the templates need for one PR's environment, computed
// in Go: names, ARNs, policy documents, labels. Templates only shape it into
// YAML. Its JSON form (field tags) is what templates see as .Values.
type Model struct {
	App            string            `json:"app"`
	PR             int               `json:"pr"`
	Prefix         string            `json:"prefix"`
	EnvName        string            `json:"envName"`
	Namespace      string            `json:"namespace"`
	Region         string            `json:"region"`
	Partition      string            `json:"partition"`
	AccountID      string            `json:"accountID"`
	Hostname       string            `json:"hostname"`
	DeletionPolicy string            `json:"deletionPolicy"`
	Labels         map[string]string `json:"labels"`
	// ACKAnnotations go on every ACK object: region and deletion policy.
	ACKAnnotations map[string]string `json:"ackAnnotations"`
	Tags           []Tag             `json:"tags"`
	ServiceAccount SAModel           `json:"serviceAccount"`
	ConfigMap      ConfigMapModel    `json:"configMap"`
	Policies       []PolicyModel     `json:"policies"`
	Role           RoleModel         `json:"role"`
	Tables         []TableModel      `json:"tables"`
	Queues         []QueueModel      `json:"queues"`
	// Identity is spec.identity with its default: irsa or podIdentity.
	Identity string `json:"identity"`
	// Buckets are the env's S3 buckets (s3.go); BucketsEmpty is the
	// PreDelete Job that empties them, nil without buckets or with
	// deletionPolicy retain.
	Buckets      []BucketModel      `json:"buckets"`
	BucketsEmpty *BucketsEmptyModel `json:"bucketsEmpty"`
	// PodIdentity is the PodIdentityAssociation, nil with identity irsa
	// (podidentity.go).
	PodIdentity *PodIdentityModel `json:"podIdentity"`
	Waves       map[string]string `json:"waves"`
	// NamespaceAnnotations are the Namespace's own annotations: the time
	// to live ([spec.AnnotationTTL]) when the spec has one.
	NamespaceAnnotations map[string]string `json:"namespaceAnnotations"`
	// NamespaceLabels go on the Namespace only, besides Labels: its Pod
	// Security Admission labels (see podsecurity.go), which the spec cannot
	// set.
	NamespaceLabels map[string]string `json:"namespaceLabels"`
	// ResourceQuota and LimitRange are nil when the spec turns them off.
	ResourceQuota *ResourceQuotaModel `json:"resourceQuota"`
	LimitRange    *LimitRangeModel    `json:"limitRange"`
	// NetworkPolicies are sorted by name; none when the spec turns them off.
	NetworkPolicies []NetworkPolicyModel `json:"networkPolicies"`

	// Databases and DatabaseSecrets (nil without databases): see
	// databases.go.
	Databases       []DatabaseModel       `json:"databases"`
	DatabaseSecrets *DatabaseSecretsModel `json:"databaseSecrets"`
}

// Tag is an AWS tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SAModel is the ServiceAccount.
type SAModel struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations"`
}

// ConfigMapModel is the ConfigMap that tells the app its resources.
type ConfigMapModel struct {
	Name string            `json:"name"`
	Data map[string]string `json:"data"`
}

// PolicyModel is one ACK IAM Policy.
type PolicyModel struct {
	ObjectName  string `json:"objectName"`
	Name        string `json:"name"`
	ARN         string `json:"arn"`
	Description string `json:"description"`
	Document    string `json:"document"`
	// Annotations are the object's own annotations beyond prenv's
	// common ones: ACK's adoption annotations with deletionPolicy retain.
	Annotations map[string]string `json:"annotations"`
}

// RoleModel is the ACK IAM Role the env's ServiceAccount assumes, through
// IRSA or EKS Pod Identity.
type RoleModel struct {
	ObjectName          string   `json:"objectName"`
	Name                string   `json:"name"`
	ARN                 string   `json:"arn"`
	Description         string   `json:"description"`
	TrustPolicy         string   `json:"trustPolicy"`
	MaxSessionDuration  int      `json:"maxSessionDuration"`
	PermissionsBoundary string   `json:"permissionsBoundary"`
	PolicyARNs          []string `json:"policyARNs"`
	PolicyRefs          []string `json:"policyRefs"`
	// Annotations are the object's own annotations beyond prenv's
	// common ones: ACK's adoption annotations with deletionPolicy retain.
	Annotations map[string]string `json:"annotations"`
}

// TableModel is one ACK DynamoDB Table.
type TableModel struct {
	ObjectName    string           `json:"objectName"`
	Logical       string           `json:"logical"`
	Name          string           `json:"name"`
	ARN           string           `json:"arn"`
	Attributes    []AttributeModel `json:"attributes"`
	KeySchema     []KeyModel       `json:"keySchema"`
	BillingMode   string           `json:"billingMode"`
	Capacity      *spec.Capacity   `json:"capacity"`
	GlobalIndexes []IndexModel     `json:"globalIndexes"`
	LocalIndexes  []IndexModel     `json:"localIndexes"`
	StreamView    string           `json:"streamView"`
	TTLAttribute  string           `json:"ttlAttribute"`
	PITR          bool             `json:"pointInTimeRecovery"`
	// Annotations are the object's own annotations beyond prenv's
	// common ones: ACK's adoption annotations with deletionPolicy retain.
	Annotations map[string]string `json:"annotations"`
}

// AttributeModel is an attribute definition.
type AttributeModel struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// KeyModel is one element of a key schema.
type KeyModel struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// IndexModel is a secondary index.
type IndexModel struct {
	Name             string         `json:"name"`
	KeySchema        []KeyModel     `json:"keySchema"`
	Projection       string         `json:"projection"`
	NonKeyAttributes []string       `json:"nonKeyAttributes"`
	Capacity         *spec.Capacity `json:"capacity"`
}

// QueueModel is one ACK SQS Queue; dead-letter queues are queues too.
type QueueModel struct {
	ObjectName string `json:"objectName"`
	Logical    string `json:"logical"`
	Name       string `json:"name"`
	URL        string `json:"url"`
	ARN        string `json:"arn"`
	DeadLetter bool   `json:"deadLetter"`
	// Attributes are the Queue CRD's attribute fields, each a string.
	Attributes map[string]string `json:"attributes"`
	Wave       string            `json:"wave"`
	// Annotations are the object's own annotations beyond prenv's
	// common ones: ACK's adoption annotations with deletionPolicy retain.
	Annotations map[string]string `json:"annotations"`
}

// envKey turns a logical name into the middle of an environment variable
// name: "user-events" -> "USER_EVENTS".
func envKey(logical string) string {
	return strings.ToUpper(strings.ReplaceAll(logical, "-", "_"))
}

func sortedTags(m map[string]string) []Tag {
	tags := make([]Tag, 0, len(m))
	for k, v := range m {
		tags = append(tags, Tag{Key: k, Value: v})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags
}

func wave(n int) string { return strconv.Itoa(n) }
