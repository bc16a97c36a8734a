package awsrules

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/iampolicies"
)

// CheckManagedPolicyARN checks a policy ARN that names an AWS managed policy
// of partition aws (arn:aws:iam::aws:policy/<path><name>) against the
// catalogue (nil: the embedded one, [iampolicies.Default]): the policy must
// exist with exactly that path and name, or IAM refuses to attach it
// (NoSuchEntity) and the env's Role never syncs. The error suggests the
// policy meant, as [CheckAction] does for actions:
//
//	arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole
//	-> did you mean "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"?
//
// Other ARNs (a customer managed policy, another partition, whose
// catalogue prenv does not have) pass: nil.
func CheckManagedPolicyARN(cat *iampolicies.Catalogue, arn string, p *field.Path) *field.Error {
	pathName, ok := strings.CutPrefix(arn, iampolicies.ARNPrefix)
	if !ok {
		return nil
	}
	if cat == nil {
		cat = iampolicies.Default()
	}
	if cat.Policy(pathName) {
		return nil
	}
	msg := fmt.Sprintf("is not an AWS managed policy, so IAM refuses to attach it (prenv's catalogue of AWS managed policies: %s)", cat.Source())
	if s := cat.Suggest(pathName); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", iampolicies.ARNPrefix+s)
	}
	return field.Invalid(p, arn, msg)
}
