package spec

import (
	"embed"
	"encoding/json"
	"io/fs"

	"github.com/invopop/jsonschema"
	"prenv.dev/prenv/awsrules"
)

// goSources are the Go files that declare the spec's types: their doc
// comments become the schema's descriptions, so that an editor shows on
// hover what the Go documentation says.
//
//go:embed spec.go spec_*.go
var goSources embed.FS

// GoSources returns the Go files that declare the spec's types (package
// spec/schema reads their doc comments).
func GoSources() fs.FS { return goSources }

// SchemaRule is what the spec's JSON Schema says of one field beyond its
// type: the limits, allowed values and default that [Check] and [plan.Plan]
// apply, from the same constants.
type SchemaRule struct {
	// Path is the field's path in a spec: names joined by ".", "[]" after
	// a list's name for its items and "{}" after a map's name for its
	// values (spec.sqs.queues[].delaySeconds, spec.tags{}).
	Path string
	// Minimum and Maximum bound an integer, both included.
	Minimum, Maximum *int64
	// MinLength and MaxLength bound a string's length in characters;
	// MaxItems a list's and MaxProperties a map's number of entries.
	MinLength, MaxLength, MaxItems, MaxProperties int
	// Pattern is a regular expression a string must match.
	Pattern string
	// Enum lists the allowed values of a string.
	Enum []string
	// Default is the value a field left out takes.
	Default any
	// Examples are shown by editors as suggestions.
	Examples []string
}

func bounds(lo, hi int64) (*int64, *int64) { return &lo, &hi }

// SchemaRules lists the rules the spec's JSON Schema carries, in the order
// of the fields. A test keeps them equal to what Check accepts: the
// values at each bound pass both, one past fails both.
func SchemaRules() []SchemaRule {
	var rules []SchemaRule
	add := func(r SchemaRule) { rules = append(rules, r) }
	rng := func(path string, lo, hi int64, def any) {
		r := SchemaRule{Path: path, Default: def}
		r.Minimum, r.Maximum = bounds(lo, hi)
		add(r)
	}
	var regions []string
	for _, p := range partitions {
		regions = append(regions, awsrules.KnownRegions()[p]...)
	}
	add(SchemaRule{Path: "apiVersion", Enum: []string{APIVersion}})
	add(SchemaRule{Path: "kind", Enum: []string{Kind}})
	// metadata.name: a DNS-1035 label; prefix (at least one character)
	// and app together at most MaxEnvNameParts.
	add(SchemaRule{Path: "metadata.name", Pattern: dns1035Pattern, MaxLength: awsrules.MaxEnvNameParts - 1})
	add(SchemaRule{Path: "spec.prefix", Pattern: prefixRE.String(), MaxLength: awsrules.MaxPrefixLen})
	add(SchemaRule{Path: "spec.aws.region", Pattern: regionRE.String(), Examples: regions})
	add(SchemaRule{Path: "spec.aws.partition", Enum: partitions, Default: DefaultPartition})
	add(SchemaRule{Path: "spec.serviceAccount.name", MaxLength: 253})
	add(SchemaRule{Path: "spec.iam.managedPolicyARNs", MaxItems: MaxManagedPolicies})
	rng("spec.iam.maxSessionDuration", MinSessionDuration, MaxSessionDuration, DefaultSessionSecs)
	rng("spec.iam.managedPoliciesPerRole", DefaultManagedPoliciesPerRole, MaxManagedPolicies, DefaultManagedPoliciesPerRole)
	rng("spec.networkPolicy.egress[].ports[].port", 1, 65535, nil)
	rng("spec.networkPolicy.egress[].ports[].endPort", 1, 65535, nil)
	add(SchemaRule{Path: "spec.iam.statements[].sid", Pattern: sidRE.String()})
	add(SchemaRule{Path: "spec.iam.statements[].effect", Enum: effects})
	add(SchemaRule{Path: "spec.dynamodb.tables", MaxItems: MaxTables})
	add(SchemaRule{Path: "spec.dynamodb.tables[].name", Pattern: logicalRE.String(), MaxLength: awsrules.MaxLogicalNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].attributes[].name", MinLength: 1, MaxLength: MaxAttributeNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].attributes[].type", Enum: attrTypes})
	add(SchemaRule{Path: "spec.dynamodb.tables[].billingMode", Enum: billingModes, Default: DefaultBillingMode})
	rng("spec.dynamodb.tables[].capacity.read", 1, MaxCapacityUnits, nil)
	rng("spec.dynamodb.tables[].capacity.write", 1, MaxCapacityUnits, nil)
	add(SchemaRule{Path: "spec.dynamodb.tables[].ttlAttribute", MaxLength: MaxAttributeNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].stream", Enum: streamViews})
	add(SchemaRule{Path: "spec.dynamodb.tables[].globalIndexes", MaxItems: MaxGlobalIndexes})
	add(SchemaRule{Path: "spec.dynamodb.tables[].globalIndexes[].name", Pattern: indexNameRE.String(), MinLength: MinIndexNameLen, MaxLength: MaxIndexNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].globalIndexes[].projection", Enum: projections, Default: "ALL"})
	add(SchemaRule{Path: "spec.dynamodb.tables[].globalIndexes[].nonKeyAttributes[]", MinLength: 1, MaxLength: MaxAttributeNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].localIndexes", MaxItems: MaxLocalIndexes})
	add(SchemaRule{Path: "spec.dynamodb.tables[].access", Enum: tableAccess, Default: "readWrite"})
	add(SchemaRule{Path: "spec.sqs.queues", MaxItems: MaxQueues})
	add(SchemaRule{Path: "spec.sqs.queues[].name", Pattern: logicalRE.String(), MaxLength: awsrules.MaxLogicalNameLen})
	rng("spec.sqs.queues[].visibilityTimeoutSeconds", 0, MaxVisibilityTimeout, nil)
	rng("spec.sqs.queues[].messageRetentionSeconds", MinMessageRetention, MaxMessageRetention, nil)
	rng("spec.sqs.queues[].delaySeconds", 0, MaxDelaySeconds, nil)
	rng("spec.sqs.queues[].receiveWaitTimeSeconds", 0, MaxReceiveWaitSeconds, nil)
	rng("spec.sqs.queues[].maxMessageSizeBytes", MinQueueMessageSize, MaxQueueMessageSize, nil)
	rng("spec.sqs.queues[].deadLetter.maxReceiveCount", 1, MaxMaxReceiveCount, nil)
	rng("spec.sqs.queues[].deadLetter.messageRetentionSeconds", MinMessageRetention, MaxMessageRetention, DefaultDLQRetention)
	add(SchemaRule{Path: "spec.sqs.queues[].access", Enum: queueAccess, Default: "both"})
	add(SchemaRule{Path: "spec.identity", Enum: identities, Default: IdentityIRSA})
	add(SchemaRule{Path: "spec.aws.clusterName", Pattern: awsrules.ClusterNamePattern, MaxLength: awsrules.MaxClusterNameLen})
	add(SchemaRule{Path: "spec.s3.buckets", MaxItems: MaxBuckets})
	add(SchemaRule{Path: "spec.s3.buckets[].name", Pattern: logicalRE.String(), MaxLength: awsrules.MaxLogicalNameLen})
	add(SchemaRule{Path: "spec.s3.buckets[].access", Enum: bucketAccess, Default: DefaultBucketAccess})
	rng("spec.s3.buckets[].expirationDays", 1, MaxExpirationDays, DefaultExpirationDays)
	add(SchemaRule{Path: "spec.dns.zone", MaxLength: maxHostnameLen - awsrules.MaxNamespaceLen - 1})
	add(SchemaRule{Path: "spec.tags", MaxProperties: MaxTags - len(prenvTagKeys) - len(ackDefaultTagKeys)})
	add(SchemaRule{Path: "spec.tags{}", MaxLength: MaxTagValueLen})
	add(SchemaRule{Path: "spec.deletionPolicy", Enum: deletionModes, Default: "delete"})
	add(SchemaRule{Path: "spec.argocd.namespace", Default: DefaultArgoCDNamespace})
	add(SchemaRule{Path: "spec.argocd.pullRequests.gitlab.pullRequestState", Enum: gitlabStates})
	rng("spec.argocd.pullRequests.requeueAfterSeconds", 0, MaxRequeueAfterSeconds, DefaultRequeueAfterSeconds)
	add(SchemaRule{Path: "spec.argocd.source.plugin.name", Default: DefaultPluginName})
	add(SchemaRule{Path: "spec.argocd.source.plugin.file", Default: DefaultPluginFile})
	add(SchemaRule{Path: "spec.argocd.source.plugin.image", Pattern: imageRE.String()})
	add(SchemaRule{Path: "spec.argocd.destination.server", Default: DefaultArgoCDServer})
	add(SchemaRule{Path: "spec.argocd.syncPolicy.prune", Default: true})
	add(SchemaRule{Path: "spec.argocd.syncPolicy.selfHeal", Default: true})
	add(SchemaRule{Path: "spec.argocd.syncPolicy.syncOptions[]", Pattern: syncOptionRE.String()})
	add(SchemaRule{Path: "spec.argocd.appResources[].kind", Pattern: kindRE.String()})
	add(SchemaRule{Path: "spec.argocd.healthChecks", Default: true})
	return rules
}

// dns1035Pattern is a DNS-1035 label (apimachinery's IsDNS1035Label).
const dns1035Pattern = `^[a-z]([-a-z0-9]*[a-z0-9])?$`

// JSONSchema describes an account ID: 12 digits, as a string or an integer.
func (AccountID) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "accountID is the 12-digit AWS account ID. Quote it: an unquoted number is taken only when it is written as exactly 12 digits.",
		OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: accountRE.String()},
			{Type: "integer", Minimum: json.Number("100000000000"), Maximum: json.Number("999999999999")},
		},
	}
}

// JSONSchema describes a string or a list of strings.
func (StringList) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "a string, or a list of strings",
		OneOf: []*jsonschema.Schema{
			{Type: "string"},
			{Type: "array", Items: &jsonschema.Schema{Type: "string"}},
		},
	}
}

// MaxRequeueAfterSeconds is the longest poll interval of the pull-request
// generator that prenv accepts: one day.
const MaxRequeueAfterSeconds = 86400
