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
		if v := strings.ReplaceAll(a.value, awsrules.TXTRecordTypeVar, "cname"); !txtAffixRE.MatchString(v) || strings.Contains(v, "..") {
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
		if label := awsrules.TXTRecordLabel(envMax, typ, s.DNS.TXTPrefix, s.DNS.TXTSuffix); len(label) > len(worst) {
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
