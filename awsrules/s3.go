package awsrules

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// S3 general purpose bucket naming rules (Amazon S3 User Guide, "General
// purpose bucket naming rules"): 3 to 63 characters of lower-case letters,
// digits, '.' and '-'; beginning and ending with a letter or a digit; no
// two adjacent periods; not formatted as an IP address; none of the
// reserved prefixes and suffixes below.
const (
	MinBucketNameLen = 3
	MaxBucketNameLen = 63
)

// bucketCharsRE is the characters and ends a bucket name may have.
var bucketCharsRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)

// Reserved prefixes and suffixes of bucket names (Amazon S3 User Guide,
// "General purpose bucket naming rules"): xn-- (punycode), sthree- (S3's
// own), amzn-s3-demo- (documentation examples); -s3alias (access point
// aliases), --ol-s3 (Object Lambda access point aliases), .mrap
// (Multi-Region Access Points), --x-s3 (directory buckets), --table-s3
// (table buckets).
var (
	bucketReservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	bucketReservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// BucketNameProblems returns every S3 naming rule name breaks, each as a
// sentence; none means S3 takes it as a general purpose bucket name.
// prenv's own names ([BucketName]) also have no '.', which breaks TLS
// certificate checks of virtual-hosted-style requests
// (<bucket>.s3.<region>.amazonaws.com), but S3 allows it, so it is not
// reported here.
func BucketNameProblems(name string) []string {
	var out []string
	if n := len(name); n < MinBucketNameLen || n > MaxBucketNameLen {
		out = append(out, "a bucket name has 3 to 63 characters")
	}
	if !bucketCharsRE.MatchString(name) {
		out = append(out, "a bucket name has only lower-case letters, digits, '.' and '-', and begins and ends with a letter or digit")
	}
	if strings.Contains(name, "..") {
		out = append(out, "a bucket name has no two adjacent periods")
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		out = append(out, "a bucket name is not formatted as an IP address")
	}
	for _, p := range bucketReservedPrefixes {
		if strings.HasPrefix(name, p) {
			out = append(out, "S3 reserves bucket names starting with "+p)
		}
	}
	for _, s := range bucketReservedSuffixes {
		if strings.HasSuffix(name, s) {
			out = append(out, "S3 reserves bucket names ending with "+s)
		}
	}
	return out
}

// bucketReadable is how much of <env>-<logical> a bucket name shows: the
// rest of [MaxBucketNameLen] holds [ShortMark] and the hash.
const bucketReadable = MaxBucketNameLen - len(ShortMark) - hashChars

// BucketName is the S3 bucket name of the env's bucket with the given
// logical name, in the account and region (and partition) the env's
// resources are in: <env>-<logical>, cut to the first 35 characters
// without a trailing '-', then "--" and [NameHash] of
// <env>_<logical>_<partition>_<account>_<region>. Bucket names are global
// across every AWS account of the partition, so the name depends on the
// account and region too (see the package documentation); it always
// starts with the env name's <prefix>-<pr>- and the app's first
// character, which [ReachesEnvResources] relies on, and never contains
// '.' (a dotted name breaks the TLS certificate check of
// virtual-hosted-style requests).
func BucketName(envName, logical, partition, account, region string) string {
	full := strings.Join([]string{envName, logical, partition, account, region}, nameSep)
	readable := envName + "-" + logical
	readable = strings.TrimRight(readable[:min(bucketReadable, len(readable))], "-")
	return readable + ShortMark + NameHash(full)
}

// BucketARN is the ARN of a bucket: S3 bucket ARNs have no region and no
// account (Service Authorization Reference, Amazon S3: bucket
// arn:${Partition}:s3:::${BucketName}).
func BucketARN(partition, bucket string) string { return ARN(partition, "s3", "", "", bucket) }

// Actions granted on a bucket, by access (Service Authorization Reference,
// Amazon S3: ListBucket on the bucket resource type; GetObject, PutObject,
// DeleteObject on the object resource type).
var (
	bucketListActions   = []string{"s3:ListBucket"}
	objectReadActions   = []string{"s3:GetObject"}
	objectWriteActions  = []string{"s3:DeleteObject", "s3:PutObject"}
	objectEmptyActions  = []string{"s3:DeleteObject"}
	bucketAccessActions = map[string][]string{
		"read":      objectReadActions,
		"write":     objectWriteActions,
		"readWrite": {"s3:DeleteObject", "s3:GetObject", "s3:PutObject"},
	}
)

// BucketListActions are the actions granted on every bucket of the env
// (its ARN), sorted.
func BucketListActions() []string { return slices.Clone(bucketListActions) }

// ObjectActions are the actions that access (read, write or readWrite)
// grants on a bucket's objects (<bucket ARN>/*), sorted; nil for another
// access.
func ObjectActions(access string) []string { return slices.Clone(bucketAccessActions[access]) }

// ObjectEmptyActions are what emptying a bucket needs beyond listing it:
// deleting its objects (a bucket without versioning has one version of
// each).
func ObjectEmptyActions() []string { return slices.Clone(objectEmptyActions) }

// ResourceAccountKey is the global condition key of the account that owns
// the resource a request acts on (IAM User Guide, "AWS global condition
// context keys": aws:ResourceAccount). Bucket names are global, so a grant
// on a bucket ARN alone would also reach a bucket of that name in another
// account (one created there first, to receive the env's data); prenv's
// bucket statements require the env's account.
const ResourceAccountKey = "aws:ResourceAccount"
