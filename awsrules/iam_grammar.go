package awsrules

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/iamactions"
)

// This file checks user statements as IAM's policy grammar does (IAM User
// Guide: "IAM JSON policy elements reference", "Grammar of the IAM JSON
// policy language", "IAM JSON policy elements: Condition operators"), and,
// beyond IAM, that every action exists.
//
// What IAM refuses when the policy is created (MalformedPolicyDocument,
// which ACK does not retry): an operator not in its list ("Syntax errors in
// policy."), an action without a vendor prefix, with a second colon or with a
// wildcard in the vendor ("Actions/Conditions must be prefaced by a vendor",
// "Actions/Condition can contain only one colon.", "Vendor ... is not
// valid"), a Date value that is neither ISO 8601 nor epoch seconds ("The
// policy failed legacy parsing"), and a Principal in an identity-based
// policy. These are IAM's messages as public bug reports quote them and as
// moto's IAM policy validator (getmoto/moto, moto/iam/policy_validation.py)
// reproduces them.
//
// Condition keys: IAM refuses a key written as an issuer URL with https://
// (prenv issue 8). prenv holds every key to the forms AWS defines keys in
// (Service Authorization Reference): prefix:key with one ':' before any '/'
// part, the few keys AWS defines with a ':' of their own
// ([conditionKeyFamilies]), and an identity provider's <host/path>:<claim>.
// A key of another form names nothing a request carries.
//
// What IAM accepts and evaluates only at run time: the values of the other
// operators. A Bool value other than true or false, a Numeric value that is
// not a number, an IpAddress value that is not an address or CIDR range, a
// BinaryEquals value that is not base64, or a Null value other than true or
// false never matches. prenv refuses those too, as it refuses an action IAM
// accepts but no service has: a condition that never matches makes an Allow
// grant nothing and a Deny deny nothing. String and Arn values are any text.

var (
	// actionFormRE is service:Action: a literal vendor prefix (IAM refuses
	// wildcards there: "Vendor ... is not valid") and a name of letters,
	// digits, '_' and '-' with the wildcards * and ?.
	actionFormRE = regexp.MustCompile(`^[A-Za-z0-9-]+:[A-Za-z0-9_*?-]+$`)
	// servicePrefixRE is a service prefix as condition keys start with one.
	servicePrefixRE = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	// keyNameRE is a condition key's name after its service prefix.
	keyNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	// providerRE is the prefix of an identity provider's condition keys:
	// its issuer's host and path without the scheme
	// (oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE, accounts.google.com).
	providerRE = regexp.MustCompile(`^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/[A-Za-z0-9._~-]+)*$`)
	// claimRE is an identity provider's claim (sub, aud, google/organization_number).
	claimRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	// dateRE is a W3C profile of ISO 8601 (as the IAM User Guide names it
	// for Date operators): a year, month and day, then optionally a time
	// with optional seconds, fraction and zone.
	dateRE = regexp.MustCompile(`(?i)^([0-9]{4})(-([0-9]{2})(-([0-9]{2})(T([0-9]{2}):([0-9]{2})(:([0-9]{2})(\.[0-9]+)?)?(Z|[+-]([0-9]{2}):([0-9]{2}))?)?)?)?$`)
	// numberRE is an integer or decimal value.
	numberRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
)

// conditionKeyFamilies are the condition keys whose names AWS defines with a
// ':' of their own, followed by a part the policy author chooses (Service
// Authorization Reference: AWS KMS, Amazon SageMaker; as listed in the
// dataset of internal/iamactions).
var conditionKeyFamilies = []string{
	"kms:EncryptionContext:",    // kms:EncryptionContext:<context key>, which may hold ':' too
	"kms:RecipientAttestation:", // kms:RecipientAttestation:PCR0, ...
	"sagemaker:ModelLifeCycle:", // sagemaker:ModelLifeCycle:Stage, ...
}

// conditionKeyRule says what a condition key looks like.
const conditionKeyRule = "a condition key is prefix:key, one ':' before any '/' tag part, for example aws:SourceIp or aws:PrincipalTag/team; an identity provider's keys are <issuer host and path>:<claim>, without https://"

// operatorType is the kind of value a condition operator compares.
type operatorType int

const (
	opString operatorType = iota
	opNumeric
	opDate
	opBool
	opBinary
	opIP
	opARN
	opNull
)

// conditionOperators is IAM's list of condition operators (IAM User Guide,
// "IAM JSON policy elements: Condition operators"), in its order.
var conditionOperators = []struct {
	name string
	typ  operatorType
}{
	{"StringEquals", opString}, {"StringNotEquals", opString},
	{"StringEqualsIgnoreCase", opString}, {"StringNotEqualsIgnoreCase", opString},
	{"StringLike", opString}, {"StringNotLike", opString},
	{"NumericEquals", opNumeric}, {"NumericNotEquals", opNumeric},
	{"NumericLessThan", opNumeric}, {"NumericLessThanEquals", opNumeric},
	{"NumericGreaterThan", opNumeric}, {"NumericGreaterThanEquals", opNumeric},
	{"DateEquals", opDate}, {"DateNotEquals", opDate},
	{"DateLessThan", opDate}, {"DateLessThanEquals", opDate},
	{"DateGreaterThan", opDate}, {"DateGreaterThanEquals", opDate},
	{"Bool", opBool},
	{"BinaryEquals", opBinary},
	{"IpAddress", opIP}, {"NotIpAddress", opIP},
	{"ArnEquals", opARN}, {"ArnLike", opARN}, {"ArnNotEquals", opARN}, {"ArnNotLike", opARN},
	{"Null", opNull},
}

// setOperators qualify an operator for keys with several values (IAM User
// Guide, "Set operators for multivalued context keys").
var setOperators = []string{"ForAllValues", "ForAnyValue"}

// parseConditionOperator splits op into an optional set operator, one of
// IAM's operators and an optional IfExists suffix. It returns the operator's
// value type, or a message saying what is wrong.
func parseConditionOperator(op string) (operatorType, string) {
	base := op
	if set, rest, ok := strings.Cut(op, ":"); ok {
		if !slices.Contains(setOperators, set) {
			msg := fmt.Sprintf("%q is not a set operator: an operator may start with ForAllValues: or ForAnyValue:", set)
			if s := closestWord(set, setOperators); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s+":"+rest)
			}
			return 0, msg
		}
		base = rest
	}
	name, ifExists := strings.CutSuffix(base, "IfExists")
	for _, o := range conditionOperators {
		if o.name != name {
			continue
		}
		if ifExists && o.typ == opNull {
			return 0, "Null takes no IfExists: it tests whether the key exists itself"
		}
		return o.typ, ""
	}
	msg := "is not one of IAM's condition operators (String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress, NotIpAddress, Arn*, Null), optionally after ForAllValues: or ForAnyValue: and, except Null, followed by IfExists"
	var names []string
	for _, o := range conditionOperators {
		names = append(names, o.name)
		if o.typ != opNull {
			names = append(names, o.name+"IfExists")
		}
	}
	if s := closestWord(base, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", strings.TrimSuffix(op, base)+s)
	}
	return 0, msg
}

// checkConditionKey returns what is wrong with a condition key, or "".
func checkConditionKey(k string) string {
	prefix, rest, ok := strings.Cut(k, ":")
	switch {
	case !ok:
		return "has no prefix: " + conditionKeyRule
	case strings.Contains(k, "://"):
		return "has a URL scheme: " + conditionKeyRule
	case servicePrefixRE.MatchString(prefix):
		name, tag, hasTag := strings.Cut(rest, "/")
		for _, fam := range conditionKeyFamilies {
			if len(k) >= len(fam) && strings.EqualFold(k[:len(fam)], fam) {
				if len(k) == len(fam) {
					return "names no key after " + fam
				}
				return ""
			}
		}
		switch {
		case name == "":
			return "has no key name after " + prefix + ": " + conditionKeyRule
		case strings.Contains(name, ":"):
			return "has more than one ':' before its '/' tag part: " + conditionKeyRule
		case !keyNameRE.MatchString(name):
			return "has a key name of other characters than letters, digits, '_', '.' and '-': " + conditionKeyRule
		case hasTag && tag == "":
			return "has nothing after '/': " + conditionKeyRule
		}
		return ""
	case providerRE.MatchString(prefix):
		switch {
		case rest == "":
			return "names no claim after " + prefix + ": " + conditionKeyRule
		case strings.Contains(rest, ":"):
			return "has more than one ':' after the identity provider: " + conditionKeyRule
		case !claimRE.MatchString(rest):
			return "has a claim of other characters than letters, digits, '_', '.', '-' and '/': " + conditionKeyRule
		}
		return ""
	}
	return "has a prefix that is neither a service prefix nor an identity provider: " + conditionKeyRule
}

// checkConditionValue returns what is wrong with a value of an operator of
// type typ, or "".
func checkConditionValue(typ operatorType, v string) string {
	switch typ {
	case opDate:
		if !isPolicyDate(v) {
			return "IAM refuses the policy (MalformedPolicyDocument): a Date operator takes an ISO 8601 date and time (2026-01-31, 2026-01-31T23:59:59Z) or epoch seconds"
		}
	case opNumeric:
		if !numberRE.MatchString(v) {
			return "never matches: a Numeric operator compares numbers (integer or decimal)"
		}
	case opBool:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") && !isPolicyVariable(v) {
			return "never matches: Bool compares with true or false (or a policy variable)"
		}
	case opNull:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return "never matches: Null takes true (the key is absent) or false (the key is present)"
		}
	case opIP:
		if _, err := netip.ParsePrefix(v); err != nil {
			if a, err := netip.ParseAddr(v); err != nil || a.Zone() != "" {
				return "never matches: an IpAddress operator takes an IPv4 or IPv6 address or CIDR range (203.0.113.0/24, 2001:db8::/32)"
			}
		}
	case opBinary:
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return "never matches: BinaryEquals takes a base64-encoded value"
		}
	}
	return ""
}

// isPolicyVariable reports whether v is one policy variable, ${...}.
func isPolicyVariable(v string) bool {
	return strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && strings.Count(v, "${") == 1
}

// isPolicyDate reports whether v is a date IAM takes: epoch seconds, or an
// ISO 8601 date, optionally with a time, within range.
func isPolicyDate(v string) bool {
	if _, err := strconv.ParseUint(v, 10, 63); err == nil {
		return true
	}
	m := dateRE.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	in := func(s string, lo, hi int) bool {
		if s == "" {
			return true
		}
		n, err := strconv.Atoi(s)
		return err == nil && n >= lo && n <= hi
	}
	return in(m[3], 1, 12) && in(m[5], 1, 31) && in(m[7], 0, 23) && in(m[8], 0, 59) &&
		in(m[10], 0, 59) && in(m[13], 0, 23) && in(m[14], 0, 59)
}

// CheckAction checks one entry of a statement's actions: its form, and that
// the catalogue knows its service and it names (or, with wildcards, matches)
// at least one action of that service.
func CheckAction(cat *iamactions.Catalogue, a string, p *field.Path) *field.Error {
	if cat == nil {
		cat = iamactions.Default()
	}
	if a == "*" {
		return nil
	}
	if !actionFormRE.MatchString(a) {
		return field.Invalid(p, a, "must have the form service:Action (wildcards * and ? allowed)")
	}
	svc, name, _ := strings.Cut(a, ":")
	note := "prenv's catalogue of AWS actions: " + cat.Source()
	if _, ok := cat.Service(svc); !ok {
		msg := fmt.Sprintf("unknown service %q (%s)", svc, note)
		if s := cat.SuggestService(svc); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s+":"+name)
		}
		return field.Invalid(p, a, msg)
	}
	if strings.ContainsAny(name, "*?") {
		if len(cat.Match(a)) == 0 {
			return field.Invalid(p, a, fmt.Sprintf("matches no action of %s (%s)", svc, note))
		}
		return nil
	}
	if _, ok := cat.Action(a); ok {
		return nil
	}
	msg := fmt.Sprintf("unknown action: %s has no action %s (%s)", svc, name, note)
	if s := cat.Suggest(a); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return field.Invalid(p, a, msg)
}

// closestWord returns the word of words closest to w by edit distance,
// ignoring case, when it is close enough to be a slip, or "".
func closestWord(w string, words []string) string {
	best, bestDist := "", max(2, len(w)/3)+1
	for _, c := range words {
		if d := levenshtein(strings.ToLower(w), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// levenshtein is the edit distance of a and b in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// PolicyTextRule is IAM's rule for the characters of a policy document.
const PolicyTextRule = "a policy document may hold only tab, line feed, carriage return and the characters U+0020 to U+00FF"

// PolicyText reports whether s holds only characters IAM takes in a policy
// document.
func PolicyText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || r > 0xff) {
			return false
		}
	}
	return true
}

// CheckConditions checks a statement's Condition block: each operator, each
// key and each value, as IAM's grammar has them.
func CheckConditions[L ~[]string](conds map[string]map[string]L, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, op := range slices.Sorted(maps.Keys(conds)) {
		cp := p.Key(op)
		typ, msg := parseConditionOperator(op)
		if msg != "" {
			errs = append(errs, field.Invalid(cp, op, msg))
		}
		if len(conds[op]) == 0 {
			errs = append(errs, field.Required(cp, "at least one condition key"))
		}
		// Condition keys ignore case (IAM User Guide, "IAM JSON policy
		// elements: Condition"): two that differ only in case are one key
		// written twice.
		lower := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(conds[op])) {
			kp := cp.Key(k)
			switch {
			case k == "" || !PolicyText(k):
				errs = append(errs, field.Invalid(kp, k, "must be a condition key; "+PolicyTextRule))
			default:
				if m := checkConditionKey(k); m != "" {
					errs = append(errs, field.Invalid(kp, k, m))
				}
			}
			if other, ok := lower[strings.ToLower(k)]; ok {
				errs = append(errs, field.Invalid(kp, k, fmt.Sprintf("is the key %q again: condition keys ignore case", other)))
			}
			lower[strings.ToLower(k)] = k
			vals := conds[op][k]
			if len(vals) == 0 {
				errs = append(errs, field.Required(kp, "at least one value"))
			}
			for vi, v := range vals {
				switch {
				case !PolicyText(v):
					errs = append(errs, field.Invalid(kp.Index(vi), v, PolicyTextRule))
				case msg == "":
					if m := checkConditionValue(typ, v); m != "" {
						errs = append(errs, field.Invalid(kp.Index(vi), v, m))
					}
				}
			}
		}
	}
	return errs
}
