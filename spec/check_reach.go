package spec

import (
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/awsrules"
)

// reachNouns name what a matched resource is, by service.
var reachNouns = map[string]string{
	"dynamodb": "a DynamoDB table",
	"iam":      "an IAM role or policy",
	"s3":       "an S3 bucket",
	"sqs":      "an SQS queue",
	"sts":      "a session of an IAM role",
}

// checkEnvReach refuses, always (a base branch cannot allow it either),
// the grants of spec.iam that can reach resources prenv creates for envs:
// an Allow statement whose resource pattern matches a name of the form
// <prefix>-<pr>-<app>... (another env's, or a later PR's, table, queue,
// role, policy or bucket; "*" included, unless every action supports no
// resource type), and a managed policy ARN naming an env's policy. An
// env's own resources are granted from spec.dynamodb and spec.sqs, to that
// env alone ([awsrules.ReachesEnvResources]).
func checkEnvReach(iam *IAM, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, st := range iam.Statements {
		if st.Effect != "Allow" {
			continue
		}
		sp := p.Child("statements").Index(i)
		for j, r := range st.Resources {
			if reach, ok := awsrules.ReachesEnvResources(st.Actions, r); ok {
				errs = append(errs, field.Forbidden(sp.Child("resources").Index(j), reachMessage(reach)))
			}
		}
	}
	for i, a := range iam.ManagedPolicyARNs {
		if reach, ok := awsrules.ReachesEnvResources([]string{"iam:AttachRolePolicy"}, a); ok {
			errs = append(errs, field.Forbidden(p.Child("managedPolicyARNs").Index(i), reachMessage(reach)))
		}
	}
	return errs
}

func reachMessage(r awsrules.EnvReach) string {
	msg := fmt.Sprintf("can reach other envs' resources: it matches %q, the name prenv gives %s of env %s (names start with <prefix>-<pr>-<app>); an env's own tables, queues and buckets are granted from spec.dynamodb, spec.sqs and spec.s3, and no env may be granted another's; name the resource exactly, outside that pattern",
		r.Example, reachNouns[r.Service], envOf(r.Example))
	if r.Variable {
		msg += "; a policy variable (${...}) counts as any run of characters, since its value (a tag, the session's name) is not the base branch's to fix"
	}
	return msg
}

// envOf is the env name at the start of a resource part's last name
// (after its type, such as "table/"), for messages.
func envOf(example string) string {
	name := example
	for i := len(example) - 1; i >= 0; i-- {
		if example[i] == '/' && i < len(example)-1 {
			name = example[i+1:]
			break
		}
	}
	if m := envNamePrefixRE.FindString(name); m != "" {
		return m
	}
	return name
}

// envNamePrefixRE matches an env name at the start of a resource name:
// <prefix>-<pr>-<app>, the app up to the first character no DNS label has.
var envNamePrefixRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*-[1-9][0-9]*-[a-z0-9]([-a-z0-9]*[a-z0-9])?`)
