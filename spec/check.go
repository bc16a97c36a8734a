package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/iamactions"
	"prenv.dev/prenv/internal/specyaml"
)

// AWS-side limits that the ACK CRDs do not carry.
const (
	MaxTags                = awsrules.MaxTags
	MaxGlobalIndexes       = 20
	MaxLocalIndexes        = 5
	MaxProjectedAttributes = 100
	// MaxManagedPolicies is the most managed policies IAM lets a role have
	// attached once the account's quota is raised; without a raise it is
	// DefaultManagedPoliciesPerRole (IAM User Guide, "IAM and AWS STS
	// quotas": managed policies per role, default 10, maximum 20).
	MaxManagedPolicies            = 20
	DefaultManagedPoliciesPerRole = 10
	MaxQueueMessageSize           = 1048576
	MinQueueMessageSize           = 1024
	MaxVisibilityTimeout          = 43200
	MinMessageRetention           = 60
	MaxMessageRetention           = 1209600
	MaxDelaySeconds               = 900
	MaxReceiveWaitSeconds         = 20
	MaxMaxReceiveCount            = 1000
	MinSessionDuration            = 3600
	MaxSessionDuration            = 43200
	MaxTagKeyLen                  = awsrules.MaxTagKeyLen
	MaxTagValueLen                = awsrules.MaxTagValueLen
	MaxAttributeNameLen           = 255
	MaxIndexNameLen               = 255
	MinIndexNameLen               = 3
	MaxPR                         = 2147483647
	// MaxTables and MaxQueues bound an env's tables and queues. The role's
	// derived statements must fit in MaxManagedPolicies policies of
	// MaxManagedPolicySize characters (122,880), and a table's or queue's
	// statement takes more than 150, so no spec with over 819 of them in
	// all could render; these limits refuse such specs before any work
	// that grows with their number.
	MaxTables = 256
	MaxQueues = 256
	// MaxCapacityUnits is the most read or write capacity units DynamoDB
	// takes for a table or index ("Given value 1000000000001 for
	// ReadCapacityUnits is out of bounds"; dynalite's tests, run against
	// DynamoDB by its authors).
	MaxCapacityUnits        = 1_000_000_000_000
	maxHostnameLen          = 253
	prenvReservedLabelGroup = "prenv.dev/"
)

var (
	prefixRE      = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$`)
	logicalRE     = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	accountRE     = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`)
	oidcRE        = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+(/[A-Za-z0-9._~-]+)*$`)
	policyARNRE   = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}|aws):policy/([\x21-\x7e]+/)*[A-Za-z0-9+=,.@_-]{1,128}$`)
	indexNameRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	sidRE         = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	resourceARNRE = regexp.MustCompile(`(?s)^arn:([a-z*-]+):[a-z0-9*?-]*:[a-z0-9*?-]*:([0-9]{12}|[*?]*|aws)?:.+$`)
	partitions    = []string{"aws", "aws-cn", "aws-us-gov"}
	attrTypes     = []string{"S", "N", "B"}
	billingModes  = []string{"PAY_PER_REQUEST", "PROVISIONED"}
	streamViews   = []string{"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"}
	projections   = []string{"ALL", "KEYS_ONLY", "INCLUDE"}
	tableAccess   = []string{"read", "readWrite"}
	queueAccess   = []string{"consume", "produce", "both"}
	deletionModes = []string{"delete", "retain"}
	effects       = []string{"Allow", "Deny"}
)

// Check reports every rule the spec breaks, each with its field path, or nil.
// It covers the rules AWS enforces that the ACK CRDs do not, so that a spec
// that passes renders objects AWS accepts.
func Check(env *PreviewEnvironment) field.ErrorList {
	if env == nil {
		return field.ErrorList{field.Required(field.NewPath("spec"), "no spec was given (nil)")}
	}
	var errs field.ErrorList
	if env.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), env.APIVersion, []string{APIVersion}))
	}
	if env.Kind != Kind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), env.Kind, []string{Kind}))
	}
	name := field.NewPath("metadata", "name")
	if env.Metadata.Name == "" {
		errs = append(errs, field.Required(name, "the app's name"))
	} else {
		for _, msg := range validation.IsDNS1035Label(env.Metadata.Name) {
			errs = append(errs, field.Invalid(name, env.Metadata.Name, msg))
		}
		if strings.Contains(env.Metadata.Name, awsrules.ShortMark) {
			errs = append(errs, field.Invalid(name, env.Metadata.Name, shortMarkRule))
		}
	}
	s := &env.Spec
	sp := field.NewPath("spec")
	errs = append(errs, checkPrefix(s.Prefix, sp.Child("prefix"))...)
	errs = append(errs, checkEnvNameLen(env, name)...)
	errs = append(errs, checkAWS(&s.AWS, s.Identity == IdentityPodIdentity, sp.Child("aws"))...)
	errs = append(errs, checkIdentity(env)...)
	if s.ServiceAccount != nil {
		p := sp.Child("serviceAccount")
		if n := s.ServiceAccount.Name; n != "" {
			for _, msg := range validation.IsDNS1123Subdomain(n) {
				errs = append(errs, field.Invalid(p.Child("name"), n, msg))
			}
		}
		errs = append(errs, checkAnnotations(s.ServiceAccount.Annotations, p.Child("annotations"))...)
	}
	errs = append(errs, checkIAM(s, sp.Child("iam"))...)
	errs = append(errs, checkTables(s.DynamoDB, sp.Child("dynamodb", "tables"))...)
	errs = append(errs, checkQueues(s.SQS, sp.Child("sqs", "queues"))...)
	errs = append(errs, checkBuckets(env, sp.Child("s3", "buckets"))...)
	errs = append(errs, checkDatabases(s.Databases, sp.Child("databases"))...)
	errs = append(errs, checkDatabaseNamesInEnv(env)...)
	if s.DNS != nil {
		p := sp.Child("dns", "zone")
		switch {
		case s.DNS.Zone == "":
			errs = append(errs, field.Required(p, "the DNS zone of the envs' hostnames"))
		default:
			for _, msg := range validation.IsDNS1123Subdomain(s.DNS.Zone) {
				errs = append(errs, field.Invalid(p, s.DNS.Zone, msg))
			}
			if n := awsrules.MaxNamespaceLen + 1 + len(s.DNS.Zone); n > maxHostnameLen {
				errs = append(errs, field.TooLong(p, s.DNS.Zone, maxHostnameLen-awsrules.MaxNamespaceLen-1))
			}
		}
	}
	errs = append(errs, checkLabels(s.Labels, sp.Child("labels"))...)
	errs = append(errs, checkPodSecurityLabels(s.Labels, sp.Child("labels"))...)
	errs = append(errs, checkTags(s.Tags, sp.Child("tags"))...)
	if s.DeletionPolicy != "" && !slices.Contains(deletionModes, s.DeletionPolicy) {
		errs = append(errs, field.NotSupported(sp.Child("deletionPolicy"), s.DeletionPolicy, deletionModes))
	}
	errs = append(errs, checkArgoCD(s.ArgoCD, sp.Child("argocd"))...)
	errs = append(errs, checkBounds(s, sp)...)
	// Characters YAML cannot carry, for every string the rules above do not
	// already refuse at the same path.
	reported := sets.New[string]()
	for _, e := range errs {
		reported.Insert(e.Field)
	}
	for _, e := range specyaml.CheckText(env) {
		if !reported.Has(e.Field) {
			errs = append(errs, e)
		}
	}
	return errs
}

func checkPrefix(prefix string, p *field.Path) field.ErrorList {
	switch {
	case prefix == "":
		return field.ErrorList{field.Required(p, "env names are <prefix>-<pr>-<app>")}
	case len(prefix) > awsrules.MaxPrefixLen:
		return field.ErrorList{field.TooLong(p, prefix, awsrules.MaxPrefixLen)}
	case !prefixRE.MatchString(prefix):
		return field.ErrorList{field.Invalid(p, prefix, "must be lower-case words of letters and digits, each starting with a letter, joined by '-' (regex "+prefixRE.String()+"), so that <prefix>-<pr>-<app> parses one way only")}
	}
	return nil
}

// checkAWS checks spec.aws; the OIDC issuer is required unless the env's
// pods get their role through EKS Pod Identity (podIdentity).
func checkAWS(a *AWS, podIdentity bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if a.AccountID == "" {
		errs = append(errs, field.Required(p.Child("accountID"), "the 12-digit AWS account ID"))
	} else if !accountRE.MatchString(string(a.AccountID)) {
		errs = append(errs, field.Invalid(p.Child("accountID"), string(a.AccountID), "must be 12 digits"))
	}
	part := a.Partition
	if part == "" {
		part = DefaultPartition
	}
	if !slices.Contains(partitions, part) {
		errs = append(errs, field.NotSupported(p.Child("partition"), a.Partition, partitions))
	}
	switch {
	case a.Region == "":
		errs = append(errs, field.Required(p.Child("region"), "for example eu-west-1"))
	case !regionRE.MatchString(a.Region):
		errs = append(errs, field.Invalid(p.Child("region"), a.Region, "must be an AWS region name such as eu-west-1"))
	case part == "aws-cn" && !strings.HasPrefix(a.Region, "cn-"),
		part == "aws-us-gov" && !strings.HasPrefix(a.Region, "us-gov-"),
		part == "aws" && (strings.HasPrefix(a.Region, "cn-") || strings.HasPrefix(a.Region, "us-gov-") || strings.Contains(a.Region, "-iso")):
		errs = append(errs, field.Invalid(p.Child("region"), a.Region, fmt.Sprintf("is not a region of partition %q", part)))
	case slices.Contains(partitions, part) && !a.AllowUnknownRegion:
		if msg := awsrules.UnknownRegion(part, a.Region); msg != "" {
			errs = append(errs, field.Invalid(p.Child("region"), a.Region, msg))
		}
	}
	op := p.Child("oidcProviderURL")
	host := awsrules.OIDCHost(a.OIDCProviderURL)
	notIssuer := awsrules.CheckIssuer(a.OIDCProviderURL, op)
	switch {
	case a.OIDCProviderURL == "" && podIdentity:
	case a.OIDCProviderURL == "":
		errs = append(errs, field.Required(op, "the cluster's OIDC issuer, for example oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"))
	case strings.Contains(host, "://"):
		errs = append(errs, field.Invalid(op, a.OIDCProviderURL, "the issuer URL must use https"))
	case len(notIssuer) > 0:
		errs = append(errs, notIssuer...)
	case !oidcRE.MatchString(host):
		errs = append(errs, field.Invalid(op, a.OIDCProviderURL, "must be an issuer URL: https:// (optional), a host name, then an optional path"))
	}
	return errs
}

func checkIAM(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	iam := s.IAM
	if iam == nil {
		return nil
	}
	part := s.AWS.Partition
	if part == "" {
		part = DefaultPartition
	}
	checkPolicyARN := func(fp *field.Path, v string) {
		m := policyARNRE.FindStringSubmatch(v)
		switch {
		case m == nil:
			errs = append(errs, field.Invalid(fp, v, "must be an IAM policy ARN, arn:<partition>:iam::<account>:policy/<name>"))
		case m[1] != part:
			errs = append(errs, field.Invalid(fp, v, fmt.Sprintf("must be in partition %q", part)))
		default:
			if e := awsrules.CheckManagedPolicyARN(nil, v, fp); e != nil {
				errs = append(errs, e)
			}
		}
	}
	seen := sets.New[string]()
	for i, a := range iam.ManagedPolicyARNs {
		fp := p.Child("managedPolicyARNs").Index(i)
		checkPolicyARN(fp, a)
		if seen.Has(a) {
			errs = append(errs, field.Duplicate(fp, a))
		}
		seen.Insert(a)
	}
	if iam.PermissionsBoundaryARN != "" {
		checkPolicyARN(p.Child("permissionsBoundaryARN"), iam.PermissionsBoundaryARN)
	}
	if d := iam.MaxSessionDuration; d != 0 && (d < MinSessionDuration || d > MaxSessionDuration) {
		errs = append(errs, field.Invalid(p.Child("maxSessionDuration"), d, fmt.Sprintf("must be between %d and %d seconds", MinSessionDuration, MaxSessionDuration)))
	}
	sids := derivedSids(s)
	actions := iamactions.Default()
	for i, st := range iam.Statements {
		sp := p.Child("statements").Index(i)
		if st.Sid != "" {
			if !sidRE.MatchString(st.Sid) {
				errs = append(errs, field.Invalid(sp.Child("sid"), st.Sid, "must contain only letters and digits"))
			} else if sids.Has(st.Sid) {
				errs = append(errs, field.Duplicate(sp.Child("sid"), st.Sid))
			}
			sids.Insert(st.Sid)
		}
		if !slices.Contains(effects, st.Effect) {
			errs = append(errs, field.NotSupported(sp.Child("effect"), st.Effect, effects))
		}
		if len(st.Actions) == 0 {
			errs = append(errs, field.Required(sp.Child("actions"), "at least one action"))
		}
		for j, a := range st.Actions {
			if e := awsrules.CheckAction(actions, a, sp.Child("actions").Index(j)); e != nil {
				errs = append(errs, e)
			}
		}
		if len(st.Resources) == 0 {
			errs = append(errs, field.Required(sp.Child("resources"), "at least one resource ARN"))
		}
		for j, r := range st.Resources {
			rp := sp.Child("resources").Index(j)
			m := resourceARNRE.FindStringSubmatch(r)
			switch {
			case !awsrules.PolicyText(r):
				errs = append(errs, field.Invalid(rp, r, awsrules.PolicyTextRule))
			case r == "*":
			case m == nil:
				errs = append(errs, field.Invalid(rp, r, "must be * or an ARN, arn:<partition>:<service>:<region>:<account>:<resource>"))
			case m[1] != part:
				errs = append(errs, field.Invalid(rp, r, fmt.Sprintf("must be in partition %q", part)))
			}
		}
		errs = append(errs, awsrules.CheckConditions(st.Conditions, sp.Child("conditions"))...)
		// A statement larger than one managed policy is split by its
		// resources; one that cannot be split so is refused.
		if _, ok := awsrules.SplitStatement(UserStatements(&IAM{Statements: []Statement{st}})[0]); !ok {
			errs = append(errs, field.Invalid(sp, field.OmitValueType{}, fmt.Sprintf("does not fit in one managed policy of %d characters (white space not counted), even with one resource per part; shorten its actions, conditions or resources", awsrules.MaxManagedPolicySize)))
		}
	}
	// prenv's own policy takes a place when there is anything to grant; the
	// exact count (policies split for size) is checked again by Plan.
	if q := iam.ManagedPoliciesPerRole; q != 0 && (q < DefaultManagedPoliciesPerRole || q > MaxManagedPolicies) {
		errs = append(errs, field.Invalid(p.Child("managedPoliciesPerRole"), q, fmt.Sprintf("must be between %d (IAM's default quota of managed policies per role) and %d (the most IAM allows after a quota increase)", DefaultManagedPoliciesPerRole, MaxManagedPolicies)))
	}
	limit := min(max(iam.PolicyQuota(), DefaultManagedPoliciesPerRole), MaxManagedPolicies)
	if len(iam.Statements) > 0 || (s.DynamoDB != nil && len(s.DynamoDB.Tables) > 0) || (s.SQS != nil && len(s.SQS.Queues) > 0) || len(Buckets(s)) > 0 {
		limit--
	}
	if n := len(iam.ManagedPolicyARNs); n > limit {
		errs = append(errs, field.TooMany(p.Child("managedPolicyARNs"), n, limit))
	}
	return append(errs, checkEnvReach(iam, p)...)
}

// derivedSids are the statement IDs prenv generates; user statements must not reuse them.
func derivedSids(s *Spec) sets.Set[string] {
	return sets.New(DerivedSidList(s)...)
}

// DerivedSidList lists the derived statements' IDs in statement order: per
// table Table<Name> and, with a stream, Table<Name>Stream; per queue
// Queue<Name>; per bucket Bucket<Name> and Bucket<Name>Objects, then
// BucketsEmpty when a bucket has read access. Logical names such as "a1" and "a-1" give the same CamelCase,
// so a repeated ID gets N2, N3, ... in spec order, which keeps every ID
// unique and stable.
func DerivedSidList(s *Spec) []string {
	if s == nil {
		return nil
	}
	var raw []string
	if s.DynamoDB != nil {
		for _, t := range s.DynamoDB.Tables {
			raw = append(raw, "Table"+awsrules.StatementID(t.Name))
			if t.Stream != "" {
				raw = append(raw, "Table"+awsrules.StatementID(t.Name)+"Stream")
			}
		}
	}
	if s.SQS != nil {
		for _, q := range s.SQS.Queues {
			raw = append(raw, "Queue"+awsrules.StatementID(q.Name))
		}
	}
	raw = append(raw, bucketSids(s)...)
	// next[id] is the first number worth trying for id, so that n logical
	// names with the same CamelCase cost O(n), not O(n^2).
	seen := sets.New[string]()
	next := map[string]int{}
	out := make([]string, len(raw))
	for i, id := range raw {
		u := id
		if seen.Has(u) {
			// Every number below next[id] was tried before and is taken.
			n := max(next[id], 2)
			u = id + "N" + strconv.Itoa(n)
			for seen.Has(u) {
				n++
				u = id + "N" + strconv.Itoa(n)
			}
			next[id] = n + 1
		}
		seen.Insert(u)
		out[i] = u
	}
	return out
}

func checkLogical(name string, p *field.Path, seen sets.Set[string]) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "a logical name")}
	case len(name) > awsrules.MaxLogicalNameLen:
		return field.ErrorList{field.TooLong(p, name, awsrules.MaxLogicalNameLen)}
	case !logicalRE.MatchString(name):
		return field.ErrorList{field.Invalid(p, name, "must be lower-case letters, digits and '-', starting with a letter and not ending with '-' (regex "+logicalRE.String()+")")}
	case strings.Contains(name, awsrules.ShortMark):
		return field.ErrorList{field.Invalid(p, name, shortMarkRule)}
	case seen.Has(name):
		return field.ErrorList{field.Duplicate(p, name)}
	}
	seen.Insert(name)
	return nil
}

// shortMarkRule keeps shortened names apart from written ones: a name that
// is too long is cut and followed by "--" and a hash, so no app or logical
// name may contain "--" itself.
const shortMarkRule = "must not contain \"--\": it marks the names prenv shortens"

func checkTables(d *DynamoDB, p *field.Path) field.ErrorList {
	if d == nil {
		return nil
	}
	var errs field.ErrorList
	if len(d.Tables) > MaxTables {
		errs = append(errs, field.TooMany(p, len(d.Tables), MaxTables))
	}
	seen := sets.New[string]()
	for i := range d.Tables {
		errs = append(errs, checkTable(&d.Tables[i], p.Index(i), seen)...)
	}
	return errs
}

func checkTable(t *Table, p *field.Path, seen sets.Set[string]) field.ErrorList {
	errs := checkLogical(t.Name, p.Child("name"), seen)
	attrs := map[string]string{}
	for i, a := range t.Attributes {
		ap := p.Child("attributes").Index(i)
		switch {
		case a.Name == "":
			errs = append(errs, field.Required(ap.Child("name"), ""))
		case len(a.Name) > MaxAttributeNameLen:
			errs = append(errs, field.TooLong(ap.Child("name"), a.Name, MaxAttributeNameLen))
		case attrs[a.Name] != "":
			errs = append(errs, field.Duplicate(ap.Child("name"), a.Name))
		}
		if !slices.Contains(attrTypes, a.Type) {
			errs = append(errs, field.NotSupported(ap.Child("type"), a.Type, attrTypes))
		}
		if a.Name != "" && attrs[a.Name] == "" {
			attrs[a.Name] = a.Type + " "
		}
	}
	used := sets.New[string]()
	key := func(fp *field.Path, name string, required bool) {
		switch {
		case name == "" && required:
			errs = append(errs, field.Required(fp, "an attribute name from attributes"))
		case name == "":
		case attrs[name] == "":
			errs = append(errs, field.Invalid(fp, name, "is not in attributes"))
		default:
			used.Insert(name)
		}
	}
	key(p.Child("hashKey"), t.HashKey, true)
	key(p.Child("rangeKey"), t.RangeKey, false)
	if t.RangeKey != "" && t.RangeKey == t.HashKey {
		errs = append(errs, field.Invalid(p.Child("rangeKey"), t.RangeKey, "must differ from hashKey"))
	}
	mode := t.BillingMode
	if mode == "" {
		mode = DefaultBillingMode
	}
	if !slices.Contains(billingModes, mode) {
		errs = append(errs, field.NotSupported(p.Child("billingMode"), t.BillingMode, billingModes))
	}
	checkCapacity := func(cp *field.Path, c *Capacity, needed bool) {
		switch {
		case mode == "PROVISIONED" && c == nil && needed:
			errs = append(errs, field.Required(cp, "billingMode PROVISIONED needs read and write capacity"))
		case mode == "PAY_PER_REQUEST" && c != nil:
			errs = append(errs, field.Forbidden(cp, "billingMode PAY_PER_REQUEST takes no provisioned capacity"))
		case c != nil:
			for _, u := range []struct {
				name  string
				value int64
			}{{"read", c.Read}, {"write", c.Write}} {
				if u.value < 1 || u.value > MaxCapacityUnits {
					errs = append(errs, field.Invalid(cp.Child(u.name), u.value, fmt.Sprintf("must be between 1 and %d capacity units", int64(MaxCapacityUnits))))
				}
			}
		}
	}
	checkCapacity(p.Child("capacity"), t.Capacity, true)
	if t.Stream != "" && !slices.Contains(streamViews, t.Stream) {
		errs = append(errs, field.NotSupported(p.Child("stream"), t.Stream, streamViews))
	}
	if t.TTLAttribute != "" {
		if len(t.TTLAttribute) > MaxAttributeNameLen {
			errs = append(errs, field.TooLong(p.Child("ttlAttribute"), t.TTLAttribute, MaxAttributeNameLen))
		}
		if typ := attrs[t.TTLAttribute]; typ != "" && typ != "N " {
			errs = append(errs, field.Invalid(p.Child("ttlAttribute"), t.TTLAttribute, "a time-to-live attribute holds a number (epoch seconds), but it is defined with type "+strings.TrimSpace(typ)))
		}
	}
	if t.Access != "" && !slices.Contains(tableAccess, t.Access) {
		errs = append(errs, field.NotSupported(p.Child("access"), t.Access, tableAccess))
	}
	if len(t.GlobalIndexes) > MaxGlobalIndexes {
		errs = append(errs, field.TooMany(p.Child("globalIndexes"), len(t.GlobalIndexes), MaxGlobalIndexes))
	}
	if len(t.LocalIndexes) > MaxLocalIndexes {
		errs = append(errs, field.TooMany(p.Child("localIndexes"), len(t.LocalIndexes), MaxLocalIndexes))
	}
	if len(t.LocalIndexes) > 0 && t.RangeKey == "" {
		errs = append(errs, field.Required(p.Child("rangeKey"), "a table with local indexes needs a range key"))
	}
	indexNames := sets.New[string]()
	projected := 0
	checkIndex := func(ip *field.Path, ix *Index, local bool) {
		switch {
		case ix.Name == "":
			errs = append(errs, field.Required(ip.Child("name"), ""))
		case len(ix.Name) < MinIndexNameLen || len(ix.Name) > MaxIndexNameLen:
			errs = append(errs, field.Invalid(ip.Child("name"), ix.Name, fmt.Sprintf("must be %d to %d characters", MinIndexNameLen, MaxIndexNameLen)))
		case !indexNameRE.MatchString(ix.Name):
			errs = append(errs, field.Invalid(ip.Child("name"), ix.Name, "must contain only letters, digits, '_', '-' and '.'"))
		case indexNames.Has(ix.Name):
			errs = append(errs, field.Duplicate(ip.Child("name"), ix.Name))
		}
		indexNames.Insert(ix.Name)
		key(ip.Child("hashKey"), ix.HashKey, true)
		key(ip.Child("rangeKey"), ix.RangeKey, local)
		if local && ix.HashKey != "" && ix.HashKey != t.HashKey {
			errs = append(errs, field.Invalid(ip.Child("hashKey"), ix.HashKey, fmt.Sprintf("a local index shares the table's hash key %q", t.HashKey)))
		}
		if ix.RangeKey != "" && ix.RangeKey == ix.HashKey {
			errs = append(errs, field.Invalid(ip.Child("rangeKey"), ix.RangeKey, "must differ from hashKey"))
		}
		proj := ix.Projection
		if proj == "" {
			proj = "ALL"
		}
		if !slices.Contains(projections, proj) {
			errs = append(errs, field.NotSupported(ip.Child("projection"), ix.Projection, projections))
		}
		switch {
		case proj == "INCLUDE" && len(ix.NonKeyAttributes) == 0:
			errs = append(errs, field.Required(ip.Child("nonKeyAttributes"), "projection INCLUDE needs the attributes to include"))
		case proj != "INCLUDE" && len(ix.NonKeyAttributes) > 0:
			errs = append(errs, field.Forbidden(ip.Child("nonKeyAttributes"), "only projection INCLUDE takes nonKeyAttributes"))
		}
		nk := sets.New[string]()
		for j, a := range ix.NonKeyAttributes {
			if a == "" || len(a) > MaxAttributeNameLen {
				errs = append(errs, field.Invalid(ip.Child("nonKeyAttributes").Index(j), a, fmt.Sprintf("must be 1 to %d characters", MaxAttributeNameLen)))
			} else if nk.Has(a) {
				errs = append(errs, field.Duplicate(ip.Child("nonKeyAttributes").Index(j), a))
			}
			nk.Insert(a)
		}
		projected += nk.Len()
		if local {
			if ix.Capacity != nil {
				errs = append(errs, field.Forbidden(ip.Child("capacity"), "local indexes share the table's capacity"))
			}
		} else {
			checkCapacity(ip.Child("capacity"), ix.Capacity, false)
		}
	}
	for i := range t.GlobalIndexes {
		checkIndex(p.Child("globalIndexes").Index(i), &t.GlobalIndexes[i], false)
	}
	for i := range t.LocalIndexes {
		checkIndex(p.Child("localIndexes").Index(i), &t.LocalIndexes[i], true)
	}
	if projected > MaxProjectedAttributes {
		errs = append(errs, field.Invalid(p, projected, fmt.Sprintf("indexes may project at most %d non-key attributes in all", MaxProjectedAttributes)))
	}
	for i, a := range t.Attributes {
		if a.Name != "" && !used.Has(a.Name) {
			errs = append(errs, field.Invalid(p.Child("attributes").Index(i).Child("name"), a.Name, "is not used by the table's or an index's key; AWS refuses attribute definitions that no key uses"))
		}
	}
	if len(t.Attributes) == 0 {
		errs = append(errs, field.Required(p.Child("attributes"), "the key attributes with their types"))
	}
	return errs
}

func checkQueues(q *SQS, p *field.Path) field.ErrorList {
	if q == nil {
		return nil
	}
	var errs field.ErrorList
	if len(q.Queues) > MaxQueues {
		errs = append(errs, field.TooMany(p, len(q.Queues), MaxQueues))
	}
	seen := sets.New[string]()
	for i := range q.Queues {
		errs = append(errs, checkQueue(&q.Queues[i], p.Index(i), seen)...)
	}
	// <name>-dlq is the object name of the dead-letter queue of the queue
	// named <name>, when it has one.
	dlqOf := map[string]string{}
	for _, b := range q.Queues {
		if b.DeadLetter != nil {
			dlqOf[b.Name+"-dlq"] = b.Name
		}
	}
	for i, a := range q.Queues {
		if b, ok := dlqOf[a.Name]; ok {
			errs = append(errs, field.Invalid(p.Index(i).Child("name"), a.Name, fmt.Sprintf("is the name of queue %q's dead-letter queue", b)))
		}
	}
	return errs
}

func checkQueue(q *Queue, p *field.Path, seen sets.Set[string]) field.ErrorList {
	errs := checkLogical(q.Name, p.Child("name"), seen)
	rng := func(name string, v *int64, lo, hi int64) {
		if v != nil && (*v < lo || *v > hi) {
			errs = append(errs, field.Invalid(p.Child(name), *v, fmt.Sprintf("must be between %d and %d", lo, hi)))
		}
	}
	rng("visibilityTimeoutSeconds", q.VisibilityTimeoutSeconds, 0, MaxVisibilityTimeout)
	rng("messageRetentionSeconds", q.MessageRetentionSeconds, MinMessageRetention, MaxMessageRetention)
	rng("delaySeconds", q.DelaySeconds, 0, MaxDelaySeconds)
	rng("receiveWaitTimeSeconds", q.ReceiveWaitTimeSeconds, 0, MaxReceiveWaitSeconds)
	rng("maxMessageSizeBytes", q.MaxMessageSizeBytes, MinQueueMessageSize, MaxQueueMessageSize)
	if q.ContentBasedDeduplication && !q.FIFO {
		errs = append(errs, field.Forbidden(p.Child("contentBasedDeduplication"), "only FIFO queues (fifo: true) deduplicate by content"))
	}
	if dl := q.DeadLetter; dl != nil {
		dp := p.Child("deadLetter")
		if dl.MaxReceiveCount < 1 || dl.MaxReceiveCount > MaxMaxReceiveCount {
			errs = append(errs, field.Invalid(dp.Child("maxReceiveCount"), dl.MaxReceiveCount, fmt.Sprintf("must be between 1 and %d", MaxMaxReceiveCount)))
		}
		if v := dl.MessageRetentionSeconds; v != nil && (*v < MinMessageRetention || *v > MaxMessageRetention) {
			errs = append(errs, field.Invalid(dp.Child("messageRetentionSeconds"), *v, fmt.Sprintf("must be between %d and %d", MinMessageRetention, MaxMessageRetention)))
		}
		errs = append(errs, checkQueuePair(q, p)...)
	}
	if q.Access != "" && !slices.Contains(queueAccess, q.Access) {
		errs = append(errs, field.NotSupported(p.Child("access"), q.Access, queueAccess))
	}
	return errs
}

// reservedLabel reports keys that prenv sets itself.
func reservedLabel(k string) bool {
	return k == LabelManagedBy || strings.HasPrefix(k, prenvReservedLabelGroup)
}

func checkLabels(labels map[string]string, p *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(labels, p)
	for _, k := range sortedKeys(labels) {
		if reservedLabel(k) {
			errs = append(errs, field.Forbidden(p.Key(k), "prenv sets this label itself"))
		}
	}
	return errs
}

func checkAnnotations(ann map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(ann) {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(p.Key(k), k, msg))
		}
		if k == AnnotationSyncWave {
			errs = append(errs, field.Forbidden(p.Key(k), "prenv sets the sync wave itself: the ServiceAccount must exist before the app"))
		}
		errs = append(errs, checkWebhookAnnotation(k, ann[k], p.Key(k))...)
	}
	// The API server's limit on all annotations of an object together
	// (apimachinery's ValidateAnnotationsSize), less room for prenv's own.
	if n := annotationsSize(ann); n > maxUserAnnotationsSize {
		errs = append(errs, field.TooLong(p, field.OmitValueType{}, maxUserAnnotationsSize))
	}
	return errs
}

// maxUserAnnotationsSize is what spec.serviceAccount.annotations may take of
// the 256 KiB the API server allows for an object's annotations: prenv adds
// the role ARN and the sync wave, well under 1 KiB.
const maxUserAnnotationsSize = 256*1024 - 1024

func annotationsSize(ann map[string]string) int {
	n := 0
	for k, v := range ann {
		n += len(k) + len(v)
	}
	return n
}

func checkTags(tags map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if max := MaxTags - len(prenvTagKeys) - len(ackDefaultTagKeys); len(tags) > max {
		errs = append(errs, field.TooMany(p, len(tags), max))
	}
	// IAM refuses tag keys that differ only in case.
	lower := map[string]string{}
	for _, k := range prenvTagKeys {
		lower[strings.ToLower(k)] = k
	}
	for _, k := range sortedKeys(tags) {
		if other, ok := lower[strings.ToLower(k)]; ok && other != k {
			errs = append(errs, field.Duplicate(p.Key(k), fmt.Sprintf("%s (tag keys differ only in case from %q)", k, other)))
		}
		lower[strings.ToLower(k)] = k
	}
	for _, k := range sortedKeys(tags) {
		kp := p.Key(k)
		if e := awsrules.CheckTagKey(k, kp); e != nil {
			errs = append(errs, e)
		} else if slices.Contains(prenvTagKeys, k) {
			errs = append(errs, field.Forbidden(kp, "prenv sets this tag itself"))
		}
		if e := awsrules.CheckTagValue(tags[k], kp); e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

// prenvTagKeys are the tags prenv puts on every AWS resource.
var prenvTagKeys = []string{LabelApp, LabelEnv, LabelPR}

// ackDefaultTagKeys are the tags the ACK controllers add to every resource
// they create; they count against AWS's 50.
var ackDefaultTagKeys = []string{"services.k8s.aws/controller-version", "services.k8s.aws/namespace"}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
