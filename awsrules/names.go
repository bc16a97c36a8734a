package awsrules

import (
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strconv"
	"strings"
)

// Name limits, in characters. Sources: Kubernetes (a namespace is a DNS-1123
// label), the IAM User Guide "IAM and AWS STS quotas" (role 64, managed
// policy 128), the SQS Developer Guide "CreateQueue" (80, ".fifo" included)
// and the DynamoDB Developer Guide "Naming rules" (3 to 255).
const (
	MaxNamespaceLen  = 63  // a DNS-1123 label; also a label value
	MaxRoleNameLen   = 64  // IAM role name
	MaxPolicyNameLen = 128 // IAM managed policy name
	MaxQueueNameLen  = 80  // SQS queue name, .fifo included
	MaxTableNameLen  = 255 // DynamoDB table name
	MinTableNameLen  = 3
	// MaxReleaseNameLen is Helm's limit on a release name (helm's
	// chartutil.ValidateReleaseName).
	MaxReleaseNameLen = 53
	// MaxPRDigits is the number of digits of [spec.MaxPR].
	MaxPRDigits = 10
	// MaxEnvNameParts is the most that len(prefix)+len(app) may be: an env
	// name <prefix>-<pr>-<app> for a PR of [MaxPRDigits] digits must fit in
	// a namespace name, so env names are never shortened.
	MaxEnvNameParts = MaxNamespaceLen - 2 - MaxPRDigits
	// HashBits is the length of the hash that shortened names carry: the
	// first 128 bits of SHA-256, written as 26 characters of lower-case
	// base32 (RFC 4648 alphabet, no padding).
	HashBits = 128

	hashChars         = (HashBits + 4) / 5
	MaxPrefixLen      = 20
	MaxLogicalNameLen = 40
)

// The characters that join the parts of a name. None of them can occur
// inside a part, which is what makes names injective (see the package
// documentation).
const (
	// nameSep joins an env name and a logical name (and a dead-letter
	// queue's "dlq", and a split policy's number). App, prefix and logical
	// names are lower-case DNS labels, which have no '_'.
	nameSep = "_"
	// ShortMark comes before the hash of a shortened name. App, prefix and
	// logical names may not contain "--", so no written name has it.
	ShortMark = "--"
	// dlqPart ends a dead-letter queue's name: <env>_<queue>_dlq.
	dlqPart = "dlq"
	// fifoSuffix ends every FIFO queue's name, as SQS requires.
	fifoSuffix = ".fifo"
)

// EnvName returns the env name <prefix>-<pr>-<app>: the namespace, the IAM
// role name, the Argo CD Application name and the first label of the env's
// hostname. [spec.Check] refuses specs whose env name could exceed
// [MaxNamespaceLen] for some PR number (len(prefix)+len(app) over
// [MaxEnvNameParts]), so for a valid spec the name is never shortened; for
// other input it is shortened as [TableName] and [QueueName] are, so that it
// still fits and stays unique.
func EnvName(prefix string, pr int, app string) string {
	return fit(prefix+"-"+strconv.Itoa(pr)+"-"+app, "", MaxNamespaceLen)
}

// RoleName is the IAM role name of the env: its env name.
func RoleName(envName string) string { return fit(envName, "", MaxRoleNameLen) }

// PolicyName is the name of the env's n-th managed policy (n from 1): the env
// name for the first, <env>_<n> for the others (a policy over IAM's size
// limit is split into several).
func PolicyName(envName string, n int) string {
	if n <= 1 {
		return fit(envName, "", MaxPolicyNameLen)
	}
	return fit(envName+nameSep+strconv.Itoa(n), "", MaxPolicyNameLen)
}

// TableName is the DynamoDB table name of the env's table with the given
// logical name: <env>_<logical>. For valid specs it is at most 104
// characters and never shortened.
func TableName(envName, logical string) string {
	return fit(envName+nameSep+logical, "", MaxTableNameLen)
}

// QueueName is the SQS queue name of the env's queue with the given logical
// name: <env>_<logical>, <env>_<logical>_dlq for its dead-letter queue, with
// ".fifo" for a FIFO queue. A name over [MaxQueueNameLen] is shortened: cut,
// then "--" and [HashBits] bits of the hash of the full name, then ".fifo".
func QueueName(envName, logical string, deadLetter, fifo bool) string {
	body := envName + nameSep + logical
	if deadLetter {
		body += nameSep + dlqPart
	}
	suffix := ""
	if fifo {
		suffix = fifoSuffix
	}
	return fit(body, suffix, MaxQueueNameLen)
}

// ManifestsReleaseName is the Helm release name under which a helmfile
// installs the env's rendered manifests (the manifest-repository flow of
// examples/helmfile): <env>-prenv, shortened as [QueueName] shortens when it
// is over Helm's [MaxReleaseNameLen]. Such releases keep their records in
// one namespace for all envs, so the name is unique per env. It is in
// --helm-values as prenv.manifestsReleaseName.
func ManifestsReleaseName(envName string) string {
	return fit(envName+"-prenv", "", MaxReleaseNameLen)
}

// hashEncoding writes hashes in lower-case base32 without padding: only
// characters that every AWS and Kubernetes name takes.
var hashEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NameHash is the hash a shortened name carries: [HashBits] bits of the
// SHA-256 of the full name, as 26 characters of [a-z2-7].
func NameHash(full string) string {
	sum := sha256.Sum256([]byte(full))
	return hashEncoding.EncodeToString(sum[:HashBits/8])
}

// fit returns body+suffix when it fits in limit. Otherwise it returns the
// longest start of body that leaves room, without trailing '-' or '_', then
// "--", the [NameHash] of body+suffix, then suffix.
func fit(body, suffix string, limit int) string {
	full := body + suffix
	if len(full) <= limit {
		return full
	}
	room := max(limit-len(suffix)-len(ShortMark)-hashChars, 0)
	return strings.TrimRight(body[:min(room, len(body))], "-"+nameSep) + ShortMark + NameHash(full) + suffix
}

// roleNameRE is IAM's rule for role names (IAM API Reference, CreateRole,
// RoleName: [\w+=,.@-]+, 1 to 64 characters).
var roleNameRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)

// ValidRoleName reports whether IAM takes name as a role name.
func ValidRoleName(name string) bool { return roleNameRE.MatchString(name) }
