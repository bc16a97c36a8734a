package emulators_test

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/e2e/emulators"
	"prenv.dev/prenv/spec"
)

// gen draws random specs. A clean spec (about half of them) varies only
// among values AWS takes, so that many specs are accepted and their tables
// created; a noisy one mixes in invalid values and combinations at every
// level, so that prenv's refusals are well covered too.
type gen struct {
	r     *rand.Rand
	noisy bool
}

func (g gen) chance(p float64) bool { return g.r.Float64() < p }

// bad reports, for a noisy spec, with probability p, whether to put in an
// invalid value; never for a clean spec.
func (g gen) bad(p float64) bool { return g.noisy && g.chance(p) }

func pick[T any](g gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// partition returns a partition (empty: the default) and one of its regions.
func (g gen) partition() (string, string) {
	switch g.r.IntN(6) {
	case 0:
		return "aws-cn", pick(g, "cn-north-1", "cn-northwest-1")
	case 1:
		return "aws-us-gov", "us-gov-west-1"
	case 2:
		return "", "eu-west-1"
	default:
		return "aws", pick(g, "us-east-1", "eu-central-1", "ap-northeast-1")
	}
}

func (g gen) spec() *spec.PreviewEnvironment {
	g.noisy = g.chance(0.5)
	part, region := g.partition()
	env := &spec.PreviewEnvironment{
		APIVersion: spec.APIVersion,
		Kind:       spec.Kind,
		Metadata:   spec.Metadata{Name: pick(g, "web", "api", "shop-api", "w", "order-service")},
		Spec: spec.Spec{
			Prefix: pick(g, "e2e", "pr", "review-app"),
			AWS: spec.AWS{
				AccountID:       spec.AccountID(fmt.Sprintf("%012d", g.r.Int64N(1e12))),
				Region:          region,
				Partition:       part,
				OIDCProviderURL: pick(g, "https://", "") + "oidc.eks." + region + ".amazonaws.com/id/" + fmt.Sprintf("%032X", g.r.Uint64()),
			},
		},
	}
	if g.chance(0.3) {
		env.Spec.ServiceAccount = &spec.ServiceAccount{Name: pick(g, "app", "web-api", "a.b")}
	}
	if n := g.r.IntN(4); n > 0 {
		env.Spec.DynamoDB = &spec.DynamoDB{}
		for j := range n {
			env.Spec.DynamoDB.Tables = append(env.Spec.DynamoDB.Tables, g.table(j))
		}
	}
	if n := g.r.IntN(3); n > 0 {
		env.Spec.SQS = &spec.SQS{}
		for j := range n {
			q := spec.Queue{Name: fmt.Sprintf("q%d", j), FIFO: g.chance(0.3), Access: pick(g, "", "consume", "produce", "both")}
			if g.chance(0.5) {
				q.DeadLetter = &spec.DeadLetter{MaxReceiveCount: 1 + g.r.Int64N(10)}
			}
			env.Spec.SQS.Queues = append(env.Spec.SQS.Queues, q)
		}
	}
	if g.chance(0.4) {
		env.Spec.IAM = g.iam(part, region)
	}
	if g.chance(0.3) {
		env.Spec.Tags = map[string]string{"team": pick(g, "a", "b"), "cost-center": "1234"}
	}
	return env
}

// attrPool are the attribute names keys are drawn from.
var attrPool = []string{"pk", "sk", "gsi1pk", "gsi1sk", "lsi1sk", "status", "createdAt", "userId"}

// keyAttr draws a key attribute other than the ones given, unless the spec
// is noisy.
func (g gen) keyAttr(not ...string) string {
	for {
		a := pick(g, attrPool...)
		if g.noisy || !slices.Contains(not, a) {
			return a
		}
	}
}

// capacity draws a capacity. AWS takes 1 to 10^12 units (dynalite, whose
// CreateTable rules are tested against DynamoDB: "Given value ... for
// ReadCapacityUnits is out of bounds"); accounts have lower, adjustable
// quotas, which are not validation.
func (g gen) capacity() *spec.Capacity {
	v := func() int64 {
		switch {
		case g.bad(0.05):
			return pick(g, int64(0), -1)
		case g.bad(0.1):
			return pick(g, int64(1_000_000_000_001), 1<<53+1, math.MaxInt64)
		case g.chance(0.05):
			return pick(g, int64(40000), 1_000_000_000_000)
		default:
			return 1 + g.r.Int64N(100)
		}
	}
	return &spec.Capacity{Read: v(), Write: v()}
}

func (g gen) indexName(k int, local bool) string {
	if g.bad(0.2) {
		return pick(g, "ab", "has space", "", strings.Repeat("x", 256), "dup")
	}
	if g.chance(0.1) {
		return fmt.Sprintf("idx.v%d-a_b", k)
	}
	if local {
		return fmt.Sprintf("byLocal%d", k)
	}
	return fmt.Sprintf("byGlobal%d", k)
}

func (g gen) index(k int, local bool, t *spec.Table, mode string) spec.Index {
	ix := spec.Index{Name: g.indexName(k, local), HashKey: g.keyAttr()}
	if local {
		if !g.bad(0.1) {
			ix.HashKey = t.HashKey
		}
		if !g.bad(0.1) {
			ix.RangeKey = g.keyAttr(ix.HashKey)
		}
	} else if g.chance(0.5) {
		ix.RangeKey = g.keyAttr(ix.HashKey)
	}
	ix.Projection = pick(g, "", "ALL", "KEYS_ONLY", "INCLUDE", "INCLUDE", "INCLUDE")
	if g.bad(0.04) {
		ix.Projection = "NONE"
	}
	if (ix.Projection == "INCLUDE" && !g.bad(0.1)) || g.bad(0.05) {
		for range 1 + g.r.IntN(3) {
			a := pick(g, "total", "currency", "note", "items", "discount")
			if g.bad(0.2) {
				a = pick(g, "pk", "", "total")
			}
			if g.noisy || !slices.Contains(ix.NonKeyAttributes, a) {
				ix.NonKeyAttributes = append(ix.NonKeyAttributes, a)
			}
		}
	}
	switch {
	case local && g.bad(0.05):
		ix.Capacity = g.capacity()
	case !local && mode == "PROVISIONED" && g.chance(0.6):
		ix.Capacity = g.capacity()
	case !local && mode != "PROVISIONED" && g.bad(0.08):
		ix.Capacity = g.capacity()
	}
	return ix
}

func (g gen) table(j int) spec.Table {
	t := spec.Table{Name: fmt.Sprintf("t%d", j), HashKey: g.keyAttr()}
	if g.bad(0.15) {
		t.Name = pick(g, "Orders", "a--b", "t0", strings.Repeat("t", 41))
	}
	if g.chance(0.5) {
		t.RangeKey = g.keyAttr(t.HashKey)
	}
	t.BillingMode = pick(g, "", "PAY_PER_REQUEST", "PROVISIONED", "PROVISIONED")
	if g.bad(0.04) {
		t.BillingMode = "ON_DEMAND"
	}
	mode := cmpOr(t.BillingMode, spec.DefaultBillingMode)
	if (mode == "PROVISIONED" && !g.bad(0.1)) || (mode != "PROVISIONED" && g.bad(0.1)) {
		t.Capacity = g.capacity()
	}
	nGlobal := pick(g, 0, 0, 1, 1, 2, 3)
	if g.bad(0.02) {
		nGlobal = 21
	}
	for k := range nGlobal {
		t.GlobalIndexes = append(t.GlobalIndexes, g.index(k, false, &t, mode))
	}
	if (t.RangeKey != "" || g.noisy) && g.chance(0.4) {
		n := 1 + g.r.IntN(2)
		if g.bad(0.05) {
			n = 6
		}
		for k := range n {
			t.LocalIndexes = append(t.LocalIndexes, g.index(k, true, &t, mode))
		}
	}
	// The attributes are the keys' names, each with one type, then, in a
	// noisy spec, a mutation: a missing, an unused, a repeated, a mistyped
	// or a nameless attribute.
	types := map[string]string{}
	for _, a := range attrPool {
		types[a] = pick(g, "S", "S", "N", "B")
	}
	var names []string
	use := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	use(t.HashKey)
	use(t.RangeKey)
	for _, ix := range slices.Concat(t.GlobalIndexes, t.LocalIndexes) {
		use(ix.HashKey)
		use(ix.RangeKey)
	}
	for _, n := range names {
		t.Attributes = append(t.Attributes, spec.Attribute{Name: n, Type: types[n]})
	}
	if g.bad(0.3) {
		switch g.r.IntN(5) {
		case 0:
			t.Attributes = t.Attributes[:len(t.Attributes)-1]
		case 1:
			t.Attributes = append(t.Attributes, spec.Attribute{Name: "extra", Type: "S"})
		case 2:
			t.Attributes = append(t.Attributes, spec.Attribute{Name: t.HashKey, Type: pick(g, "S", "N")})
		case 3:
			t.Attributes[0].Type = pick(g, "X", "BOOL", "s")
		case 4:
			t.Attributes = append(t.Attributes, spec.Attribute{Name: "", Type: "S"})
		}
	}
	t.Stream = pick(g, "", "", "", "NEW_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "OLD_IMAGE")
	if g.bad(0.04) {
		t.Stream = "ALL"
	}
	t.TTLAttribute = pick(g, "", "", "expiresAt", "ttl")
	if g.bad(0.06) {
		t.TTLAttribute = t.HashKey
	}
	t.PointInTimeRecovery = g.chance(0.3)
	t.Access = pick(g, "", "read", "readWrite")
	return t
}

func (g gen) iam(part, region string) *spec.IAM {
	p := cmpOr(part, spec.DefaultPartition)
	iam := &spec.IAM{}
	if g.chance(0.2) {
		iam.ManagedPolicyARNs = []string{"arn:" + p + ":iam::aws:policy/ReadOnlyAccess"}
		if g.bad(0.3) {
			iam.ManagedPolicyARNs[0] = "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
		}
	}
	if g.chance(0.1) {
		iam.PermissionsBoundaryARN = "arn:" + p + ":iam::123456789012:policy/boundary"
	}
	if g.chance(0.1) {
		iam.MaxSessionDuration = pick(g, 3600, 7200, 43200)
		if g.bad(0.3) {
			iam.MaxSessionDuration = 100
		}
	}
	// Condition values that fit each operator.
	values := map[string][]string{
		"StringEquals": {"eu-west-1", "team-a"}, "StringLike": {"home/*", "team-?"}, "ForAnyValue:StringLike": {"home/*"},
		"StringEqualsIfExists": {"x"}, "Null": {"true", "false"}, "Bool": {"true", "false"}, "NumericLessThan": {"10", "2.5"},
		"ArnLike": {"arn:" + p + ":iam::123456789012:role/*"}, "DateGreaterThan": {"2030-01-01T00:00:00Z", "2030-01-31"},
	}
	for k := range g.r.IntN(3) {
		st := spec.Statement{Sid: pick(g, "", fmt.Sprintf("Extra%d", k)), Effect: pick(g, "Allow", "Allow", "Deny")}
		if g.bad(0.1) {
			st.Sid = pick(g, "bad-sid", "TableT0", "Extra0")
		}
		if g.bad(0.05) {
			st.Effect = "allow"
		}
		for range 1 + g.r.IntN(3) {
			a := pick(g, "s3:GetObject", "s3:ListBucket", "s3:Get*", "dynamodb:Query", "sqs:SendMessage", "cloudwatch:PutMetricData", "kms:Decrypt")
			if g.bad(0.1) {
				a = pick(g, "*", "s3GetObject", "s3:", "nosuch:Action", "s3:GetObjekt")
			}
			st.Actions = append(st.Actions, a)
		}
		for range 1 + g.r.IntN(2) {
			r := pick(g, "*", "arn:"+p+":s3:::bucket/*", "arn:"+p+":dynamodb:"+region+":123456789012:table/x", "arn:"+p+":sqs:"+region+":123456789012:q", "arn:"+p+":s3:::caf\u00e9")
			if g.bad(0.1) {
				r = pick(g, "bucket", "arn:aws-cn:s3:::other", "arn:"+p+":s3:::\u4e2d")
			}
			st.Resources = append(st.Resources, r)
		}
		if g.chance(0.3) {
			op := pick(g, slices.Sorted(maps.Keys(values))...)
			vals := []string{pick(g, values[op]...)}
			if g.bad(0.3) {
				vals[0] = pick(g, "eu-west-1", "true", "10", "2030-01-01T00:00:00Z")
			}
			if g.bad(0.1) {
				op = pick(g, "StringEqualz", "ForAnyValue:Foo", "stringequals")
			}
			key := pick(g, "aws:RequestedRegion", "aws:PrincipalTag/team", "s3:prefix", "aws:SecureTransport", "aws:CurrentTime")
			st.Conditions = map[string]map[string]spec.StringList{op: {key: vals}}
		}
		iam.Statements = append(iam.Statements, st)
	}
	return iam
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// specRequest is the CreateTable request for a table of the spec, built
// from the spec itself rather than from rendered objects, as prenv's
// templates and the ACK controller together would build it. It lets specs
// that prenv refuses be put to dynalite too; for specs prenv accepts, the
// property test checks that it equals the request of the rendered Table.
func specRequest(envName string, t spec.Table) *emulators.CreateTableInput {
	keys := func(hash, rng string) []emulators.KeySchemaElement {
		ks := []emulators.KeySchemaElement{key(hash, "HASH")}
		if rng != "" {
			ks = append(ks, key(rng, "RANGE"))
		}
		return ks
	}
	throughput := func(c *spec.Capacity) *emulators.ProvisionedThroughput {
		if c == nil {
			return nil
		}
		return capacity(c.Read, c.Write)
	}
	projection := func(ix spec.Index) *emulators.Projection {
		p := &emulators.Projection{ProjectionType: ptr(cmpOr(ix.Projection, "ALL"))}
		if len(ix.NonKeyAttributes) > 0 {
			p.NonKeyAttributes = slices.Clone(ix.NonKeyAttributes)
		}
		return p
	}
	mode := cmpOr(t.BillingMode, spec.DefaultBillingMode)
	in := &emulators.CreateTableInput{
		TableName:             awsrules.TableName(envName, t.Name),
		AttributeDefinitions:  []emulators.AttributeDefinition{},
		KeySchema:             keys(t.HashKey, t.RangeKey),
		BillingMode:           ptr(mode),
		ProvisionedThroughput: throughput(t.Capacity),
	}
	for _, a := range t.Attributes {
		in.AttributeDefinitions = append(in.AttributeDefinitions, attr(a.Name, a.Type))
	}
	for _, ix := range t.GlobalIndexes {
		c := ix.Capacity
		if c == nil && mode == "PROVISIONED" {
			c = t.Capacity
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, emulators.GlobalSecondaryIndex{
			IndexName: ptr(ix.Name), KeySchema: keys(ix.HashKey, ix.RangeKey), Projection: projection(ix), ProvisionedThroughput: throughput(c),
		})
	}
	for _, ix := range t.LocalIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, emulators.LocalSecondaryIndex{
			IndexName: ptr(ix.Name), KeySchema: keys(ix.HashKey, ix.RangeKey), Projection: projection(ix),
		})
	}
	if t.Stream != "" {
		in.StreamSpecification = &emulators.StreamSpecification{StreamEnabled: ptr(true), StreamViewType: ptr(t.Stream)}
	}
	return in
}
