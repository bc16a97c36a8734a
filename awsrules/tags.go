package awsrules

import (
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// AWS's limits on the tags of one resource (Tagging AWS Resources User
// Guide, "Tag naming limits and requirements"): at most 50 tags, keys of
// 1 to 128 characters, values of at most 256.
const (
	MaxTags        = 50
	MaxTagKeyLen   = 128
	MaxTagValueLen = 256
)

// tagCharsRE is what a tag key or value may hold (same page): letters,
// digits and spaces in UTF-8, and _ . : / = + - @.
var tagCharsRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// CheckTagKey returns the error at p for a tag key that AWS refuses
// (empty, over [MaxTagKeyLen] characters, other characters than
// tagCharsRE allows, or starting with the reserved "aws:" in any case), or
// nil.
func CheckTagKey(k string, p *field.Path) *field.Error {
	switch n := len([]rune(k)); {
	case n == 0:
		return field.Invalid(p, k, "a tag key must not be empty")
	case n > MaxTagKeyLen:
		return field.TooLong(p, k, MaxTagKeyLen)
	case !tagCharsRE.MatchString(k):
		return field.Invalid(p, k, "a tag key may contain only letters, digits, spaces and _ . : / = + - @")
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return field.Invalid(p, k, "the aws: prefix is reserved for AWS")
	}
	return nil
}

// CheckTagValue returns the error at p for a tag value that AWS refuses
// (over [MaxTagValueLen] characters, or other characters than tagCharsRE
// allows), or nil.
func CheckTagValue(v string, p *field.Path) *field.Error {
	switch {
	case len([]rune(v)) > MaxTagValueLen:
		return field.TooLong(p, v, MaxTagValueLen)
	case !tagCharsRE.MatchString(v):
		return field.Invalid(p, v, "a tag value may contain only letters, digits, spaces and _ . : / = + - @")
	}
	return nil
}
