package spec_test

import (
	"testing"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/spec"
)

// TestGrantsOnOtherEnvs: a statement or managed policy of spec.iam that
// names, or by a wildcard can match, resources prenv creates for envs is
// refused, with the name it matches; exact resources outside the env name
// pattern, Deny statements and actions that support no resource type pass.
func TestGrantsOnOtherEnvs(t *testing.T) {
	const tail = " (names start with <prefix>-<pr>-<app>); an env's own tables, queues and buckets are granted from spec.dynamodb, spec.sqs and spec.s3, and no env may be granted another's; name the resource exactly, outside that pattern"
	tests := map[string]struct {
		iam  spec.IAM
		want string // "" when valid
	}{
		"tables of every test env": {
			spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"arn:aws:dynamodb:*:*:table/test-*"}}}},
			`spec.iam.statements[0].resources[0]: Forbidden: can reach other envs' resources: it matches "table/test-1-a", the name prenv gives a DynamoDB table of env test-1-a` + tail,
		},
		"assume another env's role": {
			spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"sts:AssumeRole"}, Resources: []string{"arn:aws:iam::123456789012:role/test-5-payments"}}}},
			`spec.iam.statements[0].resources[0]: Forbidden: can reach other envs' resources: it matches "role/test-5-payments", the name prenv gives an IAM role or policy of env test-5-payments` + tail,
		},
		"pass another env's role": {
			spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"iam:PassRole"}, Resources: []string{"arn:aws:iam::123456789012:role/*"}}}},
			`spec.iam.statements[0].resources[0]: Forbidden: can reach other envs' resources: it matches "role/a-1-a", the name prenv gives an IAM role or policy of env a-1-a` + tail,
		},
		"every queue": {
			spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"sqs:SendMessage"}, Resources: []string{"arn:aws:sqs:eu-west-1:123456789012:*"}}}},
			`spec.iam.statements[0].resources[0]: Forbidden: can reach other envs' resources: it matches "a-1-a", the name prenv gives an SQS queue of env a-1-a` + tail,
		},
		"star with dynamodb": {
			spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"dynamodb:*"}, Resources: []string{"*"}}}},
			`spec.iam.statements[0].resources[0]: Forbidden: can reach other envs' resources: it matches "table/a-1-a", the name prenv gives a DynamoDB table of env a-1-a` + tail,
		},
		"another env's policy attached": {
			spec.IAM{ManagedPolicyARNs: []string{"arn:aws:iam::123456789012:policy/test-5-payments"}},
			`spec.iam.managedPolicyARNs[0]: Forbidden: can reach other envs' resources: it matches "policy/test-5-payments", the name prenv gives an IAM role or policy of env test-5-payments` + tail,
		},
		"buckets named by a tag the pull request sets": {
			// spec.tags is the pull request's: team: test-5-payments
			// makes this test-5-payments*, every bucket of env 5.
			spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::${aws:PrincipalTag/team}*"}}}},
			`spec.iam.statements[0].resources[0]: Forbidden: can reach other envs' resources: it matches "a-1-a", the name prenv gives an S3 bucket of env a-1-a` + tail + "; a policy variable (${...}) counts as any run of characters, since its value (a tag, the session's name) is not the base branch's to fix",
		},
		"a table named by the caller's user name": {
			spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"arn:aws:dynamodb:eu-west-1:123456789012:table/${aws:username}"}}}},
			`spec.iam.statements[0].resources[0]: Forbidden: can reach other envs' resources: it matches "table/a-1-a", the name prenv gives a DynamoDB table of env a-1-a` + tail + "; a policy variable (${...}) counts as any run of characters, since its value (a tag, the session's name) is not the base branch's to fix",
		},
		"a literal star and dollar":    {spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::shared-${$}${*}/*"}}}}, ""},
		"exact shared table":           {spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"arn:aws:dynamodb:eu-west-1:123456789012:table/shared-catalog"}}}}, ""},
		"deny everything of every env": {spec.IAM{Statements: []spec.Statement{{Effect: "Deny", Actions: []string{"dynamodb:*"}, Resources: []string{"*"}}}}, ""},
		"metrics and caller identity":  {spec.IAM{Statements: []spec.Statement{{Effect: "Allow", Actions: []string{"cloudwatch:PutMetricData", "sts:GetCallerIdentity", "sqs:ListQueues"}, Resources: []string{"*"}}}}, ""},
		"customer policy":              {spec.IAM{ManagedPolicyARNs: []string{"arn:aws:iam::123456789012:policy/preview-readonly"}}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := testkit.ValidSpec()
			env.Spec.IAM = &tc.iam
			errs := spec.Check(env)
			if tc.want == "" {
				if len(errs) != 0 {
					t.Fatalf("want valid, got %v", errs.ToAggregate())
				}
				return
			}
			if len(errs) != 1 || errs[0].Error() != tc.want {
				t.Fatalf("got %v\nwant %s", errs.ToAggregate(), tc.want)
			}
		})
	}
}
