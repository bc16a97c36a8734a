package leftovers

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"prenv.dev/prenv/spec"
)

// Resource is an AWS resource with its tags.
type Resource struct {
	ARN  string
	Tags map[string]string
}

// AWS reads an AWS account.
type AWS interface {
	// TaggedResources returns the resources that carry the tag key
	// (whatever its value), as the Resource Groups Tagging API's
	// GetResources returns them with a tag filter on that key. That API
	// does not return IAM roles (Resource Groups Tagging API Reference,
	// "Services that support the Resource Groups Tagging API": "The
	// GetResources operation does not currently support IAM users and
	// roles"); they come from IAMRoles.
	TaggedResources(ctx context.Context, tagKey string) ([]Resource, error)
	// IAMRoles returns the account's IAM roles for which keep(path, name)
	// is true, with their tags. IAM's ListRoles does not return tags (IAM
	// API Reference, ListRoles), so the tags of each kept role are read on
	// their own (ListRoleTags): keep bounds those calls.
	IAMRoles(ctx context.Context, keep func(path, name string) bool) ([]Resource, error)
	// IAMPolicies returns the account's customer managed policies
	// (ListPolicies with Scope=Local) for which keep(path, name) is true,
	// with their tags (ListPolicyTags).
	IAMPolicies(ctx context.Context, keep func(path, name string) bool) ([]Resource, error)
}

// iamPath is the IAM path of prenv's roles and policies: its ACK Role and
// Policy objects set no spec.path, and IAM's default path is "/" (IAM User
// Guide, "IAM identifiers", paths).
const iamPath = "/"

// policySuffixRE is the "_<n>" of the second and later policies of an env
// (awsrules.PolicyName).
var policySuffixRE = regexp.MustCompile(`_[1-9][0-9]*$`)

// keepRole reports whether an IAM role may be prenv's: at prenv's path, and
// named as an env of a spec's prefix (awsrules.RoleName is the env name).
func (f *finder) keepRole(path, name string) bool {
	_, _, ok := f.withPrefix(name)
	return path == iamPath && ok
}

// keepPolicy reports whether a managed policy may be prenv's: at prenv's
// path, named <env> or <env>_<n> for an env of a spec's prefix
// (awsrules.PolicyName).
func (f *finder) keepPolicy(path, name string) bool {
	_, _, ok := f.withPrefix(policySuffixRE.ReplaceAllString(name, ""))
	return path == iamPath && ok
}

// aws finds the AWS account's leftovers: resources tagged with an env that
// is not in envs, the cluster's Namespaces (fromCluster) or the envs of the
// open PRs.
func (f *finder) aws(ctx context.Context, a AWS, envs map[string]bool, fromCluster bool, rep *Report) {
	seen := map[string]bool{}
	check := func(r Resource, iamName string) {
		if seen[r.ARN] {
			return
		}
		seen[r.ARN] = true
		env, ok := r.Tags[spec.LabelEnv]
		if !ok {
			return
		}
		if iamName != "" && iamName != env && policySuffixRE.ReplaceAllString(iamName, "") != env {
			// Named like an env, tagged with another: not prenv's naming.
			return
		}
		pr, ours, reason, why := f.verdict(r.Tags[spec.LabelApp], r.Tags[spec.LabelPR], env)
		if !ours {
			return
		}
		rep.Checked[SourceAWS]++
		if envs[env] {
			return
		}
		// Whether its PR is open or not, no env holds the resource.
		detail := fmt.Sprintf("no Namespace %q holds this resource's env", env)
		if !fromCluster {
			detail = fmt.Sprintf("%q is the env of no open pull request (the cluster's Namespaces were not read)", env)
		}
		if reason == ReasonUnknownApp {
			detail += " (" + why + ")"
		}
		kind, name := arnKind(r.ARN)
		rep.Leftovers = append(rep.Leftovers, Leftover{
			Source: SourceAWS, Kind: kind, Name: name, ARN: r.ARN,
			Env: env, PR: pr, App: r.Tags[spec.LabelApp], Reason: ReasonNoEnv, Detail: detail,
		})
	}
	tagged, err := a.TaggedResources(ctx, spec.LabelEnv)
	if err != nil {
		rep.Failures = append(rep.Failures, &SourceError{Source: SourceAWS, What: "tagging API GetResources", Err: err})
	}
	for _, r := range tagged {
		check(r, "")
	}
	roles, err := a.IAMRoles(ctx, f.keepRole)
	if err != nil {
		rep.Failures = append(rep.Failures, &SourceError{Source: SourceAWS, What: "IAM roles", Err: err})
	}
	for _, r := range roles {
		_, name := arnKind(r.ARN)
		check(r, name)
	}
	policies, err := a.IAMPolicies(ctx, f.keepPolicy)
	if err != nil {
		rep.Failures = append(rep.Failures, &SourceError{Source: SourceAWS, What: "IAM policies", Err: err})
	}
	for _, r := range policies {
		_, name := arnKind(r.ARN)
		check(r, name)
	}
}

// arnKind returns the kind (<service>:<resource type>) and name of the
// resource an ARN names. ARNs are arn:partition:service:region:account:
// resource, where resource is type/name, type:name or a bare name (AWS
// General Reference, "Amazon Resource Names (ARNs)"); SQS queues and S3
// buckets use the bare name. An EKS Pod Identity association is
// podidentityassociation/<cluster>/<id>: its name is the ID.
func arnKind(arn string) (kind, name string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "unknown", arn
	}
	service, res := parts[2], parts[5]
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		typ, rest := res[:i], res[i+1:]
		if j := strings.LastIndex(rest, "/"); j >= 0 {
			rest = rest[j+1:] // an IAM path
		}
		return service + ":" + typ, rest
	}
	switch service {
	case "sqs":
		return "sqs:queue", res
	case "s3":
		// Bucket ARNs are arn:<partition>:s3:::<bucket> (Service
		// Authorization Reference, Amazon S3).
		return "s3:bucket", res
	case "sns":
		return "sns:topic", res
	}
	return service, res
}
