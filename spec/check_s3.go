package spec

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/awsrules"
)

// Limits of spec.s3.buckets.
const (
	// MaxBuckets bounds an env's buckets. S3 allows 10,000 general
	// purpose buckets per account by default (Amazon S3 User Guide,
	// "General purpose bucket quotas, limitations, and restrictions"),
	// shared by every env of the account; a preview needing more than
	// this is a mistake.
	MaxBuckets = 100
	// MaxExpirationDays bounds spec.s3.buckets[].expirationDays: S3's
	// lifecycle Expiration takes any positive number of days; prenv keeps
	// a preview's objects at most ten years.
	MaxExpirationDays = 3650
	// DefaultExpirationDays is how many days an object of an env's bucket
	// lives when spec.s3.buckets[].expirationDays is left out.
	DefaultExpirationDays = 7
	// DefaultBucketAccess is spec.s3.buckets[].access left out.
	DefaultBucketAccess = "readWrite"
)

var (
	identities   = []string{IdentityIRSA, IdentityPodIdentity}
	bucketAccess = []string{"read", "write", "readWrite"}
)

// Buckets returns spec.s3.buckets (nil without spec.s3).
func Buckets(s *Spec) []Bucket {
	if s == nil || s.S3 == nil {
		return nil
	}
	return s.S3.Buckets
}

// IdentityOf is spec.identity, or [IdentityIRSA] when it is left out.
func IdentityOf(s *Spec) string {
	if s == nil || s.Identity == "" {
		return IdentityIRSA
	}
	return s.Identity
}

// bucketSids are the IDs of the bucket statements, in statement order (see
// [DerivedSidList]).
func bucketSids(s *Spec) []string {
	var out []string
	read := false
	for _, b := range Buckets(s) {
		id := "Bucket" + awsrules.StatementID(b.Name)
		out = append(out, id, id+"Objects")
		read = read || b.Access == "read"
	}
	if read {
		out = append(out, "BucketsEmpty")
	}
	return out
}

// checkBuckets checks spec.s3.buckets: logical names as for tables and
// queues, access, expiration, and that the AWS names of the PR's buckets
// follow S3's rules (only the prefix can break one: see
// awsrules.BucketName).
func checkBuckets(env *PreviewEnvironment, p *field.Path) field.ErrorList {
	buckets := Buckets(&env.Spec)
	var errs field.ErrorList
	if len(buckets) > MaxBuckets {
		errs = append(errs, field.TooMany(p, len(buckets), MaxBuckets))
	}
	seen := sets.New[string]()
	valid := "" // a logical name without a problem
	for i := range buckets {
		b := &buckets[i]
		bp := p.Index(i)
		nameErrs := checkLogical(b.Name, bp.Child("name"), seen)
		errs = append(errs, nameErrs...)
		if len(nameErrs) == 0 && valid == "" {
			valid = b.Name
		}
		if b.Access != "" && !slices.Contains(bucketAccess, b.Access) {
			errs = append(errs, field.NotSupported(bp.Child("access"), b.Access, bucketAccess))
		}
		if d := b.ExpirationDays; d != nil && (*d < 1 || *d > MaxExpirationDays) {
			errs = append(errs, field.Invalid(bp.Child("expirationDays"), *d, fmt.Sprintf("must be between 1 and %d days", MaxExpirationDays)))
		}
	}
	if valid == "" || env.Spec.Prefix == "" || env.Metadata.Name == "" {
		return errs
	}
	// The prefix starts every bucket name; a name S3 refuses for one PR
	// it refuses for all (the rest of the name is always valid).
	a := &env.Spec.AWS
	part := a.Partition
	if part == "" {
		part = DefaultPartition
	}
	name := awsrules.BucketName(awsrules.EnvName(env.Spec.Prefix, 1, env.Metadata.Name), valid, part, string(a.AccountID), a.Region)
	if problems := awsrules.BucketNameProblems(name); len(problems) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "prefix"), env.Spec.Prefix, fmt.Sprintf(
			"with spec.s3.buckets, bucket names start with the env name (for PR 1: %q), and %s (Amazon S3 User Guide, \"General purpose bucket naming rules\"); choose another prefix",
			name, strings.Join(problems, "; "))))
	}
	return errs
}

// checkIdentity checks spec.identity and what it needs: with podIdentity
// the EKS cluster's name (the association is made in that cluster), and no
// ServiceAccount annotation of the EKS pod identity webhook, which serves
// IRSA only (with both, the webhook's web-identity credentials come first
// in the AWS SDKs' credential chain and the role no longer trusts them).
func checkIdentity(env *PreviewEnvironment) field.ErrorList {
	s := &env.Spec
	var errs field.ErrorList
	ip := field.NewPath("spec", "identity")
	if s.Identity != "" && !slices.Contains(identities, s.Identity) {
		return field.ErrorList{field.NotSupported(ip, s.Identity, identities)}
	}
	cp := field.NewPath("spec", "aws", "clusterName")
	switch {
	case s.AWS.ClusterName == "" && s.Identity == IdentityPodIdentity:
		errs = append(errs, field.Required(cp, "identity podIdentity associates the env's ServiceAccount with its role in this EKS cluster"))
	case s.AWS.ClusterName != "":
		if msg := awsrules.ClusterNameProblem(s.AWS.ClusterName); msg != "" {
			errs = append(errs, field.Invalid(cp, s.AWS.ClusterName, msg))
		}
	}
	if s.Identity != IdentityPodIdentity || s.ServiceAccount == nil {
		return errs
	}
	ap := field.NewPath("spec", "serviceAccount", "annotations")
	for _, k := range sortedKeys(s.ServiceAccount.Annotations) {
		if strings.HasPrefix(k, webhookAnnotationGroup) && k != AnnotationRoleARN {
			errs = append(errs, field.Forbidden(ap.Key(k), "with identity podIdentity the EKS pod identity webhook's IRSA annotations do not apply: the env's role trusts EKS Pod Identity only"))
		}
	}
	return errs
}
