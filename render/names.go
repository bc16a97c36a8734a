package render

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Name limits, in characters.
const (
	MaxNamespaceLen   = 63  // a DNS-1123 label; also a label value
	MaxRoleNameLen    = 64  // IAM role name
	MaxPolicyNameLen  = 128 // IAM managed policy name
	MaxQueueNameLen   = 80  // SQS queue name, .fifo included
	MaxTableNameLen   = 255 // DynamoDB table name
	MinTableNameLen   = 3
	hashLen           = 8
	maxPrefixLen      = 20
	maxLogicalNameLen = 40
)

// EnvName returns the env name <prefix>-<pr>-<app>, shortened to the
// namespace limit when needed. Prefix and PR number are always kept whole;
// the app part is cut and followed by a hash of the full name, so that two
// different full names never give the same short one.
func EnvName(prefix string, pr int, app string) string {
	return shorten(prefix+"-"+strconv.Itoa(pr)+"-", app, "", MaxNamespaceLen)
}

// shorten returns keep+cut+suffix when it fits in limit; otherwise it cuts
// cut from the right and inserts "-<hash>" before suffix, the hash covering
// keep+cut+suffix. Hyphens, dots and underscores left dangling at the cut are
// dropped.
func shorten(keep, cut, suffix string, limit int) string {
	full := keep + cut + suffix
	if len(full) <= limit {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	h := hex.EncodeToString(sum[:])[:hashLen]
	room := limit - len(keep) - len(suffix) - 1 - hashLen
	if room < 0 {
		// keep alone is too long: cut into it (only for callers whose keep
		// may grow large; EnvName's cannot).
		keep, cut, room = "", keep+cut, limit-len(suffix)-1-hashLen
	}
	if room > len(cut) {
		room = len(cut)
	}
	part := strings.TrimRight(keep+cut[:room], "-._")
	return part + "-" + h + suffix
}
