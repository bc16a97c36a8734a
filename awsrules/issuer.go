package awsrules

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// eksEndpointRE matches the host of an EKS cluster's API server endpoint,
// <id>.<shard>.<region>.eks.amazonaws.com (".cn" in China; older clusters
// lack the shard label such as gr7, yl4 or sk1), as `aws eks
// describe-cluster` reports it in cluster.endpoint. The cluster's OIDC
// issuer is another host: oidc.eks.<region>.amazonaws.com (EKS User Guide,
// "Create an IAM OIDC provider for your cluster").
var eksEndpointRE = regexp.MustCompile(`^[0-9a-z]+(\.[a-z]+[0-9]+)?\.([a-z]{2}(-[a-z]+)+-[0-9]+)\.eks\.amazonaws\.com(\.cn)?$`)

// issuerDocumentSuffixes are paths under an issuer that are documents of it,
// not the issuer: OpenID Connect discovery (OpenID Connect Discovery 1.0,
// section 4: the issuer plus /.well-known/openid-configuration), which IAM
// reads itself from the issuer it is given, and the key sets an issuer's
// discovery document points to (EKS serves them at <issuer>/keys).
var issuerDocumentSuffixes = []string{"/.well-known/openid-configuration", "/.well-known/jwks.json", "/keys"}

// CheckIssuer refuses, at p, the two URLs that look like an OIDC issuer
// but are not one: an EKS cluster's API server endpoint, and an issuer
// with the path of one of its documents appended; nil for any other URL.
// IAM would create no provider that STS can match the pods' tokens with
// (their iss claim is the issuer), and every AssumeRoleWithWebIdentity of
// the env would fail.
func CheckIssuer(url string, p *field.Path) field.ErrorList {
	host, path, _ := strings.Cut(OIDCHost(url), "/")
	host = strings.ToLower(host)
	if m := eksEndpointRE.FindStringSubmatch(host); m != nil && path == "" {
		return field.ErrorList{field.Invalid(p, url, fmt.Sprintf(
			"is the EKS cluster's API server endpoint, not its OIDC issuer: an EKS issuer looks like https://oidc.eks.%s.amazonaws.com/id/<ID>, the cluster's identity.oidc.issuer (aws eks describe-cluster --query cluster.identity.oidc.issuer)", m[2]))}
	}
	for _, s := range issuerDocumentSuffixes {
		if strings.HasSuffix("/"+path, s) {
			issuer := strings.TrimSuffix(strings.TrimRight(strings.TrimSpace(url), "/"), s)
			return field.ErrorList{field.Invalid(p, url, fmt.Sprintf(
				"ends in %s, a document of the issuer, not the issuer: give the issuer itself, %s (the iss claim of the pods' tokens; IAM finds the issuer's documents from it)", s, issuer))}
		}
	}
	return nil
}
