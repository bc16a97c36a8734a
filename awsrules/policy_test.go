package awsrules_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// statement is an IAM statement as the policy documents hold it.
type statement struct {
	Sid       string
	Effect    string
	Principal map[string]string
	Action    any // a string or a list
	Resource  []string
	Condition map[string]map[string]any
}

func (s statement) actions() []string {
	switch a := s.Action.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

type document struct {
	Version   string
	Statement []statement
}

func parseDocument(t *testing.T, s string) document {
	t.Helper()
	var d document
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("policy document: %v\n%s", err, s)
	}
	if d.Version != "2012-10-17" {
		t.Errorf("policy version %q", d.Version)
	}
	return d
}

func nonSpace(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// allStatements renders env and returns the statements of all its policies, in order.
func allStatements(t *testing.T, env *spec.PreviewEnvironment) (*render.Output, []statement) {
	t.Helper()
	out, err := render.Render(context.Background(), env, 123, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all []statement
	for _, p := range out.Model.Policies {
		all = append(all, parseDocument(t, p.Document).Statement...)
	}
	return out, all
}

// TestPolicySplit gives the env far more user statements than one managed
// policy holds and checks the split: each document within IAM's limit,
// statements in order, consecutive documents full, the Role referencing all.
func TestPolicySplit(t *testing.T) {
	env := testkit.ValidSpec()
	env.Spec.IAM = &spec.IAM{}
	var want []string
	want = append(want, "TableOrders", "QueueJobs")
	for i := range 120 {
		sid := fmt.Sprintf("Extra%03d", i)
		want = append(want, sid)
		env.Spec.IAM.Statements = append(env.Spec.IAM.Statements, spec.Statement{
			Sid:       sid,
			Effect:    "Allow",
			Actions:   []string{"s3:GetObject", "s3:PutObject"},
			Resources: []string{fmt.Sprintf("arn:aws:s3:::bucket-%03d/with a space/and/a/rather/long/path/*", i)},
		})
	}
	out, all := allStatements(t, env)
	pols := out.Model.Policies
	if len(pols) < 3 {
		t.Fatalf("%d policies; want the statements split over at least 3", len(pols))
	}
	var got []string
	for _, s := range all {
		got = append(got, s.Sid)
	}
	if !slices.Equal(got, want) {
		t.Errorf("statement order:\n got %v\nwant %v", got, want)
	}
	for i, p := range pols {
		if n := nonSpace(p.Document); n > awsrules.MaxManagedPolicySize {
			t.Errorf("policy %d holds %d non-white-space characters, over %d", i, n, awsrules.MaxManagedPolicySize)
		}
		wantObj, wantName := "shop", out.Model.EnvName
		if i > 0 {
			wantObj, wantName = fmt.Sprintf("shop-%d", i+1), fmt.Sprintf("%s_%d", out.Model.EnvName, i+1)
		}
		if p.ObjectName != wantObj || p.Name != wantName {
			t.Errorf("policy %d: object %q name %q, want %q %q", i, p.ObjectName, p.Name, wantObj, wantName)
		}
		if want := fmt.Sprintf(", part %d", i+1); !strings.HasSuffix(p.Description, want) {
			t.Errorf("policy %d description %q, want it to end %q", i, p.Description, want)
		}
		// Greedy packing: the next document's first statement did not fit here.
		if i+1 < len(pols) {
			d := parseDocument(t, p.Document)
			next := parseDocument(t, pols[i+1].Document)
			d.Statement = append(d.Statement, next.Statement[0])
			if n := compactSize(t, d); n <= awsrules.MaxManagedPolicySize {
				t.Errorf("policy %d has room (%d characters) for the next statement", i, n)
			}
		}
	}
	// The Role references every Policy object, by object name, in order.
	roles := testkit.ObjectsOfKind(out, "Role")
	if len(roles) != 1 {
		t.Fatalf("%d roles", len(roles))
	}
	refs, _, _ := unstructured.NestedSlice(roles[0].Object, "spec", "policyRefs")
	var refNames []string
	for _, r := range refs {
		n, _, _ := unstructured.NestedString(r.(map[string]any), "from", "name")
		refNames = append(refNames, n)
	}
	var polObjs []string
	for _, p := range pols {
		polObjs = append(polObjs, p.ObjectName)
	}
	if !slices.Equal(refNames, polObjs) || !slices.Equal(out.Model.Role.PolicyRefs, polObjs) {
		t.Errorf("role policyRefs %v (model %v), want %v", refNames, out.Model.Role.PolicyRefs, polObjs)
	}
	objs := testkit.ObjectsOfKind(out, "Policy")
	if len(objs) != len(pols) {
		t.Fatalf("%d Policy objects for %d policies", len(objs), len(pols))
	}
	for i, o := range objs {
		doc, _, _ := unstructured.NestedString(o.Object, "spec", "policyDocument")
		if o.GetName() != pols[i].ObjectName || doc != pols[i].Document {
			t.Errorf("Policy object %d (%s) does not match the model", i, o.GetName())
		}
	}
}

func compactSize(t *testing.T, d document) int {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return nonSpace(string(b))
}

func TestPolicyLimits(t *testing.T) {
	t.Run("statement too large for any policy", func(t *testing.T) {
		env := testkit.ValidSpec()
		env.Spec.IAM = &spec.IAM{Statements: []spec.Statement{{
			Effect: "Allow", Actions: []string{"s3:GetObject"},
			Resources: []string{"arn:aws:s3:::" + strings.Repeat("b", awsrules.MaxManagedPolicySize)},
		}}}
		_, err := render.Render(context.Background(), env, 1, render.Options{})
		wantInvalidAt(t, err, "spec.iam.statements[0]")
	})
	t.Run("statement with many resources is split", func(t *testing.T) {
		env := testkit.ValidSpec()
		st := spec.Statement{Sid: "ReadAssets", Effect: "Allow", Actions: []string{"s3:GetObject"}}
		for i := range 200 {
			st.Resources = append(st.Resources, fmt.Sprintf("arn:aws:s3:::assets-%03d/%s/*", i, strings.Repeat("k", 40)))
		}
		env.Spec.IAM = &spec.IAM{Statements: []spec.Statement{st}}
		out, err := render.Render(context.Background(), env, 1, render.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var sids, resources []string
		for _, p := range out.Model.Policies {
			var doc struct {
				Statement []struct {
					Sid      string
					Resource []string
				}
			}
			if err := json.Unmarshal([]byte(p.Document), &doc); err != nil {
				t.Fatal(err)
			}
			if n := len(strings.Join(strings.Fields(p.Document), "")); n > awsrules.MaxManagedPolicySize {
				t.Errorf("policy %s is %d characters", p.Name, n)
			}
			for _, s := range doc.Statement {
				if strings.HasPrefix(s.Sid, "ReadAssets") {
					sids = append(sids, s.Sid)
					resources = append(resources, s.Resource...)
				}
			}
		}
		if len(sids) < 2 || sids[0] != "ReadAssets" || sids[1] != "ReadAssetsPart2" {
			t.Errorf("sids = %v, want ReadAssets, ReadAssetsPart2, ...", sids)
		}
		if !slices.Equal(resources, st.Resources) {
			t.Errorf("resources lost or reordered: %d of %d", len(resources), len(st.Resources))
		}
	})
	for _, tc := range []struct {
		name  string
		quota int // spec.iam.managedPoliciesPerRole; 0 is IAM's default, 10
		room  int // managed policies that fit beside prenv's one generated policy
	}{
		{"IAM's default quota of 10", 0, 9},
		{"a quota raised to 20", 20, 19},
	} {
		t.Run("managed and generated policies within "+tc.name, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.IAM = &spec.IAM{ManagedPoliciesPerRole: tc.quota}
			for i := range tc.room {
				env.Spec.IAM.ManagedPolicyARNs = append(env.Spec.IAM.ManagedPolicyARNs, fmt.Sprintf("arn:aws:iam::123456789012:policy/p%d", i))
			}
			if _, err := render.Render(context.Background(), env, 1, render.Options{}); err != nil {
				t.Fatalf("%d managed + 1 generated: %v", tc.room, err)
			}
			// One more ARN is refused by the checks, before any planning.
			more := *env.Spec.IAM
			more.ManagedPolicyARNs = append(slices.Clone(more.ManagedPolicyARNs), "arn:aws:iam::123456789012:policy/extra")
			env2 := testkit.ValidSpec()
			env2.Spec.IAM = &more
			_, err := render.Render(context.Background(), env2, 1, render.Options{})
			want := fmt.Sprintf("spec.iam.managedPolicyARNs: Too many: %d: must have at most %d items", tc.room+1, tc.room)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%d managed + 1 generated: %v, want %q", tc.room+1, err, want)
			}
			// Statements that split prenv's policy in two leave one place
			// fewer: the plan refuses, naming the user's ARNs.
			for i := range 40 {
				env.Spec.IAM.Statements = append(env.Spec.IAM.Statements, spec.Statement{
					Effect: "Allow", Actions: []string{"s3:GetObject"},
					Resources: []string{"arn:aws:s3:::" + strings.Repeat("b", 200) + fmt.Sprint(i)},
				})
			}
			_, err = render.Render(context.Background(), env, 1, render.Options{})
			wantInvalidAt(t, err, "spec.iam.managedPolicyARNs")
		})
	}
}

func wantInvalidAt(t *testing.T, err error, path string) {
	t.Helper()
	var inv *spec.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want an *InvalidError at %s", err, path)
	}
	for _, fe := range inv.Errs {
		if fe.Field == path {
			return
		}
	}
	t.Fatalf("no error at %s: %v", path, err)
}

func TestLeastPrivilege(t *testing.T) {
	out, all := allStatements(t, testkit.LeastPrivilegeSpec())
	const arnT = "arn:aws:dynamodb:eu-west-1:123456789012:table/pr-123-shop_"
	const arnQ = "arn:aws:sqs:eu-west-1:123456789012:pr-123-shop_"
	read := []string{"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"}
	write := []string{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	stream := []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
	want := map[string]struct {
		actions   []string
		resources []string
	}{
		"TableCatalog":      {read, []string{arnT + "catalog"}},
		"TableOrders":       {sorted(append(slices.Clone(read), write...)), []string{arnT + "orders", arnT + "orders/index/*"}},
		"TableEvents":       {read, []string{arnT + "events"}},
		"TableEventsStream": {stream, []string{arnT + "events/stream/*"}},
		"QueueOutbox":       {[]string{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"}, []string{arnQ + "outbox"}},
		"QueueInbox":        {[]string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"}, []string{arnQ + "inbox_dlq", arnQ + "inbox"}},
		"QueueWork":         {[]string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"}, []string{arnQ + "work_dlq.fifo", arnQ + "work.fifo"}},
	}
	if len(all) != len(want) {
		t.Errorf("%d statements, want %d", len(all), len(want))
	}
	for _, s := range all {
		w, ok := want[s.Sid]
		if !ok {
			t.Errorf("unexpected statement %q", s.Sid)
			continue
		}
		if s.Effect != "Allow" || s.Condition != nil || s.Principal != nil {
			t.Errorf("%s: effect %q, condition %v, principal %v", s.Sid, s.Effect, s.Condition, s.Principal)
		}
		if got := sorted(s.actions()); !slices.Equal(got, sorted(w.actions)) {
			t.Errorf("%s: actions\n got %v\nwant %v", s.Sid, got, w.actions)
		}
		if !sameSet(s.Resource, w.resources) {
			t.Errorf("%s: resources\n got %v\nwant %v", s.Sid, s.Resource, w.resources)
		}
	}
	// Nothing prenv derives holds a wildcard beyond the index and stream sub-resources.
	for _, p := range out.Model.Policies {
		for _, s := range parseDocument(t, p.Document).Statement {
			for _, a := range s.actions() {
				if strings.ContainsAny(a, "*?") {
					t.Errorf("%s: wildcard action %q", s.Sid, a)
				}
			}
			for _, r := range s.Resource {
				trimmed := strings.TrimSuffix(strings.TrimSuffix(r, "/index/*"), "/stream/*")
				if strings.ContainsAny(trimmed, "*?") {
					t.Errorf("%s: wildcard resource %q", s.Sid, r)
				}
			}
		}
	}
}

// TestUserWildcardsKept: a wildcard the user writes is kept as written, and
// derived statements stay exact beside it.
func TestUserWildcardsKept(t *testing.T) {
	env := testkit.ValidSpec()
	env.Spec.IAM = &spec.IAM{Statements: []spec.Statement{{
		Sid: "All", Effect: "Deny", Actions: []string{"s3:*"}, Resources: []string{"*"},
		Conditions: map[string]map[string]spec.StringList{"Bool": {"aws:SecureTransport": {"false"}}},
	}}}
	_, all := allStatements(t, env)
	last := all[len(all)-1]
	if last.Sid != "All" || last.Effect != "Deny" || !slices.Equal(last.actions(), []string{"s3:*"}) || !slices.Equal(last.Resource, []string{"*"}) {
		t.Errorf("user statement came out as %+v", last)
	}
	if v := last.Condition["Bool"]["aws:SecureTransport"]; v != "false" {
		t.Errorf("a one-value condition renders as %#v, want the string", v)
	}
	for _, s := range all[:len(all)-1] {
		for _, r := range s.Resource {
			if strings.Contains(r, "*") {
				t.Errorf("derived %s has %q", s.Sid, r)
			}
		}
	}
}

// TestDerivedSidsUnique: IAM refuses a policy whose statements share a Sid
// ("Statement IDs (SID) in a single policy must be unique"). Logical names
// that differ only in where a '-' sits, or a table whose name ends in
// "-stream" beside one with a stream, must not produce the same Sid — or the
// spec must be refused with a field error.
func TestDerivedSidsUnique(t *testing.T) {
	tests := map[string]func(e *spec.PreviewEnvironment){
		"table x with stream and table x-stream": func(e *spec.PreviewEnvironment) {
			e.Spec.DynamoDB.Tables = []spec.Table{
				{Name: "events", Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id", Stream: "KEYS_ONLY"},
				{Name: "events-stream", Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id"},
			}
		},
		"tables a1 and a-1": func(e *spec.PreviewEnvironment) {
			e.Spec.DynamoDB.Tables = []spec.Table{
				{Name: "shard1", Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id"},
				{Name: "shard-1", Attributes: []spec.Attribute{{Name: "id", Type: "S"}}, HashKey: "id"},
			}
		},
		"queues v2 and v-2": func(e *spec.PreviewEnvironment) {
			e.Spec.SQS.Queues = []spec.Queue{{Name: "jobs-v2"}, {Name: "jobs-v-2"}}
		},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			edit(env)
			out, err := render.Render(context.Background(), env, 1, render.Options{})
			var inv *spec.InvalidError
			if errors.As(err, &inv) {
				return // refused with field errors: fine
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.Model.Policies {
				seen := map[string]bool{}
				for _, s := range parseDocument(t, p.Document).Statement {
					if s.Sid != "" && seen[s.Sid] {
						t.Errorf("policy %s repeats Sid %q; IAM refuses it", p.Name, s.Sid)
					}
					seen[s.Sid] = true
				}
			}
		})
	}
}

func TestTrustPolicy(t *testing.T) {
	tests := map[string]struct {
		partition, region, url, sa string
		wantHost, wantSA           string
	}{
		"https stripped": {"", "eu-west-1", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "", "oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "shop"},
		"no scheme":      {"", "eu-west-1", "oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "", "oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "shop"},
		"trailing slash": {"", "eu-west-1", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123/", "", "oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "shop"},
		"named SA":       {"", "eu-west-1", "https://issuer.example.com", "api-runner", "issuer.example.com", "api-runner"},
		"china":          {"aws-cn", "cn-north-1", "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/X1", "", "oidc.eks.cn-north-1.amazonaws.com.cn/id/X1", "shop"},
		"gov":            {"aws-us-gov", "us-gov-west-1", "https://oidc.eks.us-gov-west-1.amazonaws.com/id/X1", "", "oidc.eks.us-gov-west-1.amazonaws.com/id/X1", "shop"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.AWS.Partition, env.Spec.AWS.Region, env.Spec.AWS.OIDCProviderURL = tc.partition, tc.region, tc.url
			if tc.sa != "" {
				env.Spec.ServiceAccount = &spec.ServiceAccount{Name: tc.sa}
			}
			out, err := render.Render(context.Background(), env, 77, render.Options{})
			if err != nil {
				t.Fatal(err)
			}
			part := tc.partition
			if part == "" {
				part = "aws"
			}
			d := parseDocument(t, out.Model.Role.TrustPolicy)
			if len(d.Statement) != 1 {
				t.Fatalf("%d statements", len(d.Statement))
			}
			s := d.Statement[0]
			if s.Effect != "Allow" || !slices.Equal(s.actions(), []string{"sts:AssumeRoleWithWebIdentity"}) || s.Resource != nil {
				t.Errorf("statement %+v", s)
			}
			wantFed := "arn:" + part + ":iam::123456789012:oidc-provider/" + tc.wantHost
			if len(s.Principal) != 1 || s.Principal["Federated"] != wantFed {
				t.Errorf("principal %v, want Federated %s", s.Principal, wantFed)
			}
			wantCond := map[string]map[string]any{"StringEquals": {
				tc.wantHost + ":sub": "system:serviceaccount:pr-77-shop:" + tc.wantSA,
				tc.wantHost + ":aud": "sts.amazonaws.com",
			}}
			if fmt.Sprint(s.Condition) != fmt.Sprint(wantCond) {
				t.Errorf("condition\n got %v\nwant %v", s.Condition, wantCond)
			}
			sas := testkit.ObjectsOfKind(out, "ServiceAccount")
			if len(sas) != 1 || sas[0].GetName() != tc.wantSA || sas[0].GetNamespace() != "pr-77-shop" {
				t.Fatalf("service accounts %v", sas)
			}
			if got := sas[0].GetAnnotations()[spec.AnnotationRoleARN]; got != "arn:"+part+":iam::123456789012:role/pr-77-shop" || got != out.Model.Role.ARN {
				t.Errorf("role ARN annotation %q, role %q", got, out.Model.Role.ARN)
			}
		})
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func sameSet(a, b []string) bool {
	return slices.Equal(sorted(a), sorted(b))
}
