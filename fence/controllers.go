package fence

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// controllerAnnotations are the annotations of the shared ingress
// controllers that an env's objects may carry, by prefix: the AWS Load
// Balancer Controller (kubernetes-sigs/aws-load-balancer-controller,
// docs/guide/ingress/annotations.md) and ingress-nginx (kubernetes/ingress-nginx,
// docs/user-guide/nginx-configuration/annotations.md). Every other key
// under these prefixes is refused: an allow list, so that an annotation a
// newer controller adds stays out until someone has read what it does.
//
// Left out on purpose, among others: ALB group.name and group.order (join
// or reorder a load balancer other envs share), conditions.* and actions.*
// (rules and forwards by host header or target group ARN, which reach past
// the env's hostnames and Services), transforms.* (rewrites the Host
// header), load-balancer-name, tags, subnets, security-groups,
// load-balancer-attributes, wafv2-acl-arn and the like (the platform's
// settings, which IngressClassParams hold); nginx server-alias (claims
// other hostnames), auth-url, auth-signin and mirror-target (requests to
// any URL, other envs' Services included), upstream-vhost (another Host
// header upstream) and every *-snippet (raw nginx configuration, which
// reaches every server of the controller: CVE-2021-25742).
var controllerAnnotations = []controllerPrefix{
	{"alb.ingress.kubernetes.io/", false, []string{
		"auth-idp-cognito", "auth-idp-oidc", "auth-on-unauthenticated-request",
		"auth-scope", "auth-session-cookie", "auth-session-timeout", "auth-type",
		"backend-protocol", "backend-protocol-version", "certificate-arn",
		"healthcheck-interval-seconds", "healthcheck-path", "healthcheck-port",
		"healthcheck-protocol", "healthcheck-timeout-seconds", "healthy-threshold-count",
		"inbound-cidrs", "ip-address-type", "listen-ports", "scheme", "ssl-policy",
		"ssl-redirect", "success-codes", "target-group-attributes", "target-type",
		"unhealthy-threshold-count",
	}},
	{"nginx.ingress.kubernetes.io/", true, []string{
		"affinity", "affinity-mode", "app-root", "auth-realm", "auth-secret",
		"auth-secret-type", "auth-tls-error-page", "auth-tls-pass-certificate-to-upstream",
		"auth-tls-secret", "auth-tls-verify-client", "auth-tls-verify-depth", "auth-type",
		"backend-protocol", "canary", "canary-by-cookie", "canary-by-header",
		"canary-by-header-pattern", "canary-by-header-value", "canary-weight",
		"canary-weight-total", "client-body-buffer-size", "connection-proxy-header",
		"cors-allow-credentials", "cors-allow-headers", "cors-allow-methods",
		"cors-allow-origin", "cors-expose-headers", "cors-max-age", "custom-http-errors",
		"default-backend", "denylist-source-range", "enable-access-log", "enable-cors",
		"enable-rewrite-log", "force-ssl-redirect", "from-to-www-redirect",
		"limit-burst-multiplier", "limit-connections", "limit-rate", "limit-rate-after",
		"limit-rpm", "limit-rps", "limit-whitelist", "load-balance",
		"permanent-redirect", "permanent-redirect-code", "preserve-trailing-slash",
		"proxy-body-size", "proxy-buffer-size", "proxy-buffering", "proxy-buffers-number",
		"proxy-connect-timeout", "proxy-cookie-domain", "proxy-cookie-path",
		"proxy-http-version", "proxy-max-temp-file-size", "proxy-next-upstream",
		"proxy-next-upstream-timeout", "proxy-next-upstream-tries", "proxy-read-timeout",
		"proxy-redirect-from", "proxy-redirect-to", "proxy-request-buffering",
		"proxy-send-timeout", "proxy-ssl-ciphers", "proxy-ssl-name", "proxy-ssl-protocols",
		"proxy-ssl-secret", "proxy-ssl-server-name", "proxy-ssl-verify",
		"proxy-ssl-verify-depth", "rewrite-target", "satisfy", "service-upstream",
		"session-cookie-change-on-failure", "session-cookie-domain",
		"session-cookie-expires", "session-cookie-max-age", "session-cookie-name",
		"session-cookie-path", "session-cookie-samesite", "session-cookie-secure",
		"ssl-ciphers", "ssl-prefer-server-ciphers", "ssl-redirect", "temporal-redirect",
		"temporal-redirect-code", "upstream-hash-by", "use-regex", "whitelist-source-range",
		"allowlist-source-range", "x-forwarded-prefix",
	}},
}

// configValueWords are the words and characters an annotation's value
// may not hold where the controller writes it into its configuration: the
// value word blocklist ingress-nginx gives for its
// annotation-value-word-blocklist setting (CVE-2021-25746:
// "load_module,lua_package,_by_lua,location,root,proxy_pass,serviceaccount,{,},',\""),
// with ';' and a backslash, which end or escape an nginx directive (CVE-2023-5044,
// permanent-redirect). Words compare in lower case.
var configValueWords = []string{";", "{", "}", "'", "\"", "\\", "load_module", "lua_package", "_by_lua", "location", "root", "proxy_pass", "serviceaccount"}

// configValueWhy says why configValueFault refuses a value.
const configValueWhy = "ingress-nginx writes the values of its annotations into its nginx configuration, which a line break, ';', '{', '}', a quote, a backslash or the words load_module, lua_package, _by_lua, location, root, proxy_pass and serviceaccount can extend to every env's traffic (CVE-2021-25746, CVE-2023-5044; ingress-nginx's annotation-value-word-blocklist)"

// configValueFault names what of configValueWords, or which line break or
// other control character, v holds first; "" for none.
func configValueFault(v string) string {
	for _, r := range v {
		switch {
		case r == '\n' || r == '\r':
			return "a line break"
		case unicode.IsControl(r):
			return fmt.Sprintf("the control character %U", r)
		}
	}
	lower := strings.ToLower(v)
	first, at := "", len(v)
	for _, w := range configValueWords {
		if i := strings.Index(lower, w); i >= 0 && i < at {
			first, at = w, i
		}
	}
	switch {
	case first == "":
		return ""
	case len(first) == 1:
		return "'" + first + "'"
	}
	return strconv.Quote(first)
}

// snippetWhy says why isSnippet's annotations are refused.
const snippetWhy = "raw configuration of an ingress controller or proxy, which reaches every server of a controller every env shares (CVE-2021-25742), whatever its annotation prefix: ingress-nginx's *-snippet under its own or another --annotations-prefix, NGINX Ingress Controller's nginx.org/server-snippets and location-snippets, HAProxy's *-config-snippet"

// isSnippet reports whether the annotation key k names a snippet, raw
// configuration, of any controller: its name (after the prefix) ends in
// "snippet" or "snippets". Under the prefixes of controllerAnnotations
// such keys are refused anyway; under other prefixes, a controller run
// with another annotation prefix, or another controller, reads them.
func isSnippet(k string) bool {
	_, name, found := strings.Cut(k, "/")
	if !found {
		name = k
	}
	name = strings.ToLower(name)
	return strings.HasSuffix(name, "snippet") || strings.HasSuffix(name, "snippets")
}

// controllerPrefix is one controller's annotations: its prefix, whether
// it writes their values into a configuration file ([configValueFault]
// checks them), and the names allowed under the prefix.
type controllerPrefix struct {
	prefix  string
	config  bool
	allowed []string
}

// namespacedSecretAnnotations name a Secret as "name" or "namespace/name"
// (ingress-nginx reads both): the namespace must be the env's, or another
// env's certificates and passwords would serve this env's hostnames.
var namespacedSecretAnnotations = []string{
	"nginx.ingress.kubernetes.io/auth-secret",
	"nginx.ingress.kubernetes.io/auth-tls-secret",
	"nginx.ingress.kubernetes.io/proxy-ssl-secret",
}

// controllerAnnotationsOf checks an object's annotations under the prefixes of
// controllerAnnotations.
func (c *objectChecker) controllerAnnotationsOf(ann map[string]string, ref ObjectRef) {
	known := func(k string) bool {
		return slices.ContainsFunc(controllerAnnotations, func(ctl controllerPrefix) bool { return strings.HasPrefix(k, ctl.prefix) })
	}
	// The keys below reports on, in order: a controller's and snippets.
	var keys []string
	for k := range ann {
		if known(k) || isSnippet(k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.Sort(keys)
	p := field.NewPath("metadata", "annotations")
	for _, k := range keys {
		if !known(k) {
			c.add(ref, field.Forbidden(p.Key(k), snippetWhy))
			continue
		}
		for _, ctl := range controllerAnnotations {
			prefix, allowed := ctl.prefix, ctl.allowed
			name, ok := strings.CutPrefix(k, prefix)
			if !ok {
				continue
			}
			if !slices.Contains(allowed, name) {
				c.add(ref, field.Forbidden(p.Key(k), fmt.Sprintf("not among the %s annotations an env may set (%s): the others reach past the env's hostnames and Services on a controller every env shares", prefix, strings.Join(slices.Sorted(slices.Values(allowed)), ", "))))
				continue
			}
			if fault := configValueFault(ann[k]); ctl.config && fault != "" {
				c.add(ref, field.Invalid(p.Key(k), field.OmitValueType{}, fmt.Sprintf("has %s: %s", fault, configValueWhy)))
				continue
			}
			if slices.Contains(namespacedSecretAnnotations, k) {
				if ns, _, found := strings.Cut(ann[k], "/"); found && ns != c.m.Namespace {
					c.add(ref, field.Invalid(p.Key(k), ann[k], fmt.Sprintf("names a Secret of namespace %s: only the env's own namespace %s (or a name without namespace)", ns, c.m.Namespace)))
				}
			}
		}
	}
}
