package awsrules

import "testing"

func TestReachesEnvResources(t *testing.T) {
	cases := []struct {
		actions  []string
		resource string
		service  string // "" when it must not reach
		example  string
	}{
		{[]string{"dynamodb:GetItem"}, "arn:aws:dynamodb:*:*:table/test-*", "dynamodb", "table/test-1-a"},
		{[]string{"dynamodb:*"}, "arn:aws:dynamodb:eu-west-1:123456789012:table/test-5-payments_orders", "dynamodb", "table/test-5-payments_orders"},
		{[]string{"dynamodb:Query"}, "arn:aws:dynamodb:*:*:table/*", "dynamodb", "table/a-1-a"},
		{[]string{"dynamodb:Query"}, "arn:aws:dynamodb:*:*:table/legacy-orders", "", ""},
		{[]string{"dynamodb:Query"}, "arn:aws:dynamodb:*:*:table/legacy_*", "", ""},
		{[]string{"dynamodb:Query"}, "arn:aws:dynamodb:*:*:table/Orders?", "", ""},
		{[]string{"sts:AssumeRole"}, "arn:aws:iam::123456789012:role/test-5-payments", "iam", "role/test-5-payments"},
		{[]string{"iam:PassRole"}, "arn:aws:iam::123456789012:role/team/*", "iam", "role/team/a-1-a"},
		{[]string{"iam:PassRole"}, "arn:aws:iam::123456789012:role/ci-deployer", "", ""},
		{[]string{"sqs:SendMessage"}, "arn:aws:sqs:*:*:*", "sqs", "a-1-a"},
		{[]string{"sqs:SendMessage"}, "arn:aws:sqs:*:*:shared-events", "", ""},
		{[]string{"sqs:SendMessage"}, "arn:aws:sqs:*:*:shared-?-x", "sqs", "shared-1-x"},
		{[]string{"sqs:SendMessage"}, "arn:aws:sqs:*:*:shared-??-x", "sqs", "shared-11-x"},
		{[]string{"s3:GetObject"}, "arn:aws:s3:::shop-preview-assets/*", "", ""},
		{[]string{"s3:GetObject"}, "arn:aws:s3:::*/*", "s3", "a-1-a/"},
		{[]string{"cloudwatch:PutMetricData"}, "*", "", ""},
		{[]string{"sqs:ListQueues", "dynamodb:ListTables"}, "*", "", ""},
		{[]string{"dynamodb:*"}, "*", "dynamodb", "table/a-1-a"},
		{[]string{"*"}, "*", "dynamodb", "table/a-1-a"},
		{[]string{"s*:Get*"}, "*", "iam", "role/a-1-a"},
		{[]string{"dynamodb:GetItem"}, "arn:aws:*:*:*:table/t*", "dynamodb", "table/t-1-a"},
		{[]string{"dynamodb:GetItem"}, "arn:aws:sqs:*:*:*", "sqs", "a-1-a"},
		{[]string{"sqs:ListQueues"}, "arn:aws:sqs:*:*:*", "", ""},
		{[]string{"sts:AssumeRole"}, "*", "iam", "role/a-1-a"},
		{[]string{"sts:GetCallerIdentity", "iam:ListRoles"}, "*", "", ""},
		{[]string{"dynamodb:Query"}, "arn:aws:dynamodb:*:*:table/test-0*", "", ""},
		// Policy variables take any value when the request is made.
		{[]string{"s3:GetObject"}, "arn:aws:s3:::${aws:PrincipalTag/team}*", "s3", "a-1-a"},
		{[]string{"s3:GetObject"}, "arn:aws:s3:::team-${aws:PrincipalTag/team, 'x'}/*", "s3", "team-1-a/"},
		{[]string{"sqs:SendMessage"}, "arn:aws:sqs:*:*:${aws:username", "sqs", "a-1-a"},
		{[]string{"s3:GetObject"}, "arn:aws:s3:::shared-${*}-${?}-${$}/*", "", ""},
	}
	for _, c := range cases {
		got, ok := ReachesEnvResources(c.actions, c.resource)
		if ok != (c.service != "") || got.Service != c.service || got.Example != c.example {
			t.Errorf("ReachesEnvResources(%q, %q) = %+v, %v; want %q %q", c.actions, c.resource, got, ok, c.service, c.example)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{{"*", "dynamodb", true}, {"dyn*", "dynamodb", true}, {"s?s", "sqs", true}, {"s?s", "sts", true}, {"s?", "s3", true}, {"iam", "IAM", true}, {"sq", "sqs", false}, {"", "", true}, {"*b*", "dynamodb", true}} {
		if got := globMatch(c.p, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

// TestEnvNamesReached: every name prenv gives an env's resources, written
// exactly in an ARN, is recognised, shortened queue names included.
func TestEnvNamesReached(t *testing.T) {
	long := "a-very-long-application-name-that-is-cut-somewhere"
	for _, env := range []string{EnvName("pr", 1, "web"), EnvName("team-x", 987654, "b2"), EnvName("p", 3, long[:40])} {
		arns := []string{
			"arn:aws:iam::123456789012:role/" + RoleName(env),
			"arn:aws:iam::123456789012:policy/" + PolicyName(env, 2),
			"arn:aws:dynamodb:eu-west-1:123456789012:table/" + TableName(env, "orders") + "/stream/2026-01-01T00:00:00.000",
			"arn:aws:sqs:eu-west-1:123456789012:" + QueueName(env, "jobs-with-a-rather-long-logical-name-to-force-a-cut", true, true),
		}
		for _, arn := range arns {
			if _, ok := ReachesEnvResources([]string{"dynamodb:GetItem", "sqs:SendMessage", "iam:PassRole"}, arn); !ok {
				t.Errorf("%s: not recognised as an env's resource", arn)
			}
		}
	}
}

func TestPolicyVariablesAsWildcards(t *testing.T) {
	for in, want := range map[string]struct {
		out      string
		variable bool
	}{
		"arn:aws:s3:::shared/*":                     {"arn:aws:s3:::shared/*", false},
		"arn:aws:s3:::${aws:PrincipalTag/team}-x/*": {"arn:aws:s3:::*-x/*", true},
		"arn:aws:s3:::a${aws:username, 'b'}c${*}d":  {"arn:aws:s3:::a*c$d", true},
		"arn:aws:s3:::${$}${?}${*}":                 {"arn:aws:s3:::$$$", false},
		"arn:aws:sqs:*:*:q-${aws:SourceIdentity":    {"arn:aws:sqs:*:*:q-*", true},
	} {
		out, variable := PolicyVariablesAsWildcards(in)
		if out != want.out || variable != want.variable {
			t.Errorf("PolicyVariablesAsWildcards(%q) = %q, %v; want %q, %v", in, out, variable, want.out, want.variable)
		}
	}
}
