package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/awsrules"
)

// Annotations of a ServiceAccount that the EKS pod identity webhook reads
// (source: aws/amazon-eks-pod-identity-webhook, pkg/annotations.go and
// pkg/constants.go; token lifetimes from 1 hour, the API server's minimum,
// to 24 hours, EKS's maximum).
const (
	webhookAnnotationGroup = "eks.amazonaws.com/"
	AnnotationAudience     = "eks.amazonaws.com/audience"
	AnnotationSTSRegional  = "eks.amazonaws.com/sts-regional-endpoints"
	AnnotationTokenExpiry  = "eks.amazonaws.com/token-expiration"
	minTokenExpiration     = 3600
	maxTokenExpiration     = 86400
)

// txtRecordTypes are the record types external-dns writes for an Ingress or
// Service hostname, whose TXT registry record is named with the type
// (external-dns docs, "The TXT registry", new format: "a-", "aaaa-",
// "cname-"). CNAME is the longest.
var txtRecordTypes = []string{"a", "aaaa", "cname"}

const txtRecordTypeVar = "%{record_type}"

// txtAffixRE is what an external-dns TXT prefix or suffix may hold once
// %{record_type} is replaced: DNS name characters.
var txtAffixRE = regexp.MustCompile(`^[a-z0-9.-]*$`)

// checkEnvNameLen keeps every env name of the spec, for every PR number up
// to [MaxPR], within a namespace name, and, with spec.dns, the first label
// of every external-dns TXT registry record within a DNS label.
func checkEnvNameLen(env *PreviewEnvironment, name *field.Path) field.ErrorList {
	s := &env.Spec
	app := env.Metadata.Name
	if app == "" || s.Prefix == "" {
		return nil
	}
	var errs field.ErrorList
	longest := len(s.Prefix) + 2 + awsrules.MaxPRDigits + len(app)
	if longest > awsrules.MaxNamespaceLen {
		errs = append(errs, field.Invalid(name, app, fmt.Sprintf(
			"with prefix %q, the env name <prefix>-<pr>-<app> of a %d-digit PR number is %d characters, over the %d of a namespace name: prefix and app together may have at most %d characters",
			s.Prefix, awsrules.MaxPRDigits, longest, awsrules.MaxNamespaceLen, awsrules.MaxEnvNameParts)))
	}
	if s.DNS == nil {
		return errs
	}
	p := field.NewPath("spec", "dns")
	bad := false
	for _, a := range []struct {
		name, value string
	}{{"txtPrefix", s.DNS.TXTPrefix}, {"txtSuffix", s.DNS.TXTSuffix}} {
		if v := strings.ReplaceAll(a.value, txtRecordTypeVar, "cname"); !txtAffixRE.MatchString(v) || strings.Contains(v, "..") {
			errs = append(errs, field.Invalid(p.Child(a.name), a.value, "must be external-dns's TXT affix: lower-case letters, digits, '-' and '.', and %{record_type}"))
			bad = true
		}
	}
	if bad || len(errs) > 0 {
		return errs
	}
	envMax := strings.Repeat("x", longest)
	worst, worstType := "", ""
	for _, typ := range txtRecordTypes {
		if label := TXTRecordLabel(envMax, typ, s.DNS.TXTPrefix, s.DNS.TXTSuffix); len(label) > len(worst) {
			worst, worstType = label, typ
		}
	}
	if len(worst) > awsrules.MaxNamespaceLen {
		reserve := len(worst) - longest
		errs = append(errs, field.Invalid(name, app, fmt.Sprintf(
			"with spec.dns, external-dns names the owner TXT record of a %s record %q plus the env name (or the env name plus a suffix), and a DNS label has at most %d characters, so with prefix %q and a %d-digit PR number, prefix and app together may have at most %d characters",
			strings.ToUpper(worstType), strings.Replace(worst, envMax, "<env>", 1), awsrules.MaxNamespaceLen, s.Prefix, awsrules.MaxPRDigits, awsrules.MaxEnvNameParts-reserve)))
	}
	return errs
}

// TXTRecordLabel is the first label of the TXT record external-dns's TXT
// registry (new format) writes beside a record of type recordType (a, aaaa,
// cname) for a hostname whose first label is label, with external-dns's
// --txt-prefix and --txt-suffix: <prefix><type>-<label><suffix>, the type
// left out when an affix holds %{record_type} (which is replaced by it), and
// only the part between the dots around the label.
func TXTRecordLabel(label, recordType, prefix, suffix string) string {
	typed := strings.Contains(prefix, txtRecordTypeVar) || strings.Contains(suffix, txtRecordTypeVar)
	prefix = strings.ReplaceAll(prefix, txtRecordTypeVar, recordType)
	suffix = strings.ReplaceAll(suffix, txtRecordTypeVar, recordType)
	if !typed {
		label = recordType + "-" + label
	}
	full := prefix + label + suffix
	start := strings.LastIndexByte(prefix, '.') + 1
	end := len(full)
	if i := strings.IndexByte(suffix, '.'); i >= 0 {
		end = len(prefix) + len(label) + i
	}
	return full[start:end]
}

// checkWebhookAnnotation checks a ServiceAccount annotation that the EKS pod
// identity webhook reads: the Role's trust policy accepts tokens for
// [awsrules.IRSAAudience] only, and an annotation that sends the token elsewhere or
// that the webhook does not know is refused.
func checkWebhookAnnotation(k, v string, p *field.Path) field.ErrorList {
	if !strings.HasPrefix(k, webhookAnnotationGroup) {
		return nil
	}
	switch k {
	case AnnotationRoleARN:
		return field.ErrorList{field.Forbidden(p, "prenv sets the role ARN itself")}
	case AnnotationAudience:
		if v != awsrules.IRSAAudience {
			return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("the env's role trusts tokens for audience %q only (its trust policy's aud condition); pods given another audience get AccessDenied from STS", awsrules.IRSAAudience))}
		}
	case AnnotationSTSRegional:
		if v != "true" && v != "false" {
			return field.ErrorList{field.NotSupported(p, v, []string{"true", "false"})}
		}
	case AnnotationTokenExpiry:
		n, err := strconv.Atoi(v)
		if err != nil || n < minTokenExpiration || n > maxTokenExpiration {
			return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("must be a whole number of seconds from %d to %d", minTokenExpiration, maxTokenExpiration))}
		}
	default:
		return field.ErrorList{field.Forbidden(p, "prenv allows the pod identity webhook's audience, sts-regional-endpoints and token-expiration annotations only; others (endpoint-url sends the env's credentials requests to another endpoint) change what the role trusts or are unknown")}
	}
	return nil
}
