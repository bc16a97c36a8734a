// Package notifyrules holds the rules of the settings prenv renders for
// Argo CD's github notification service (spec.argocd.notifications.github,
// checked by spec.Check): $key references to argocd-notifications-secret,
// and the API URL against the pull-request generator's. It imports no
// stage of prenv.
package notifyrules

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Secret is the Secret in Argo CD's namespace whose keys the settings of
// Argo CD's notification services name as $key references (Argo CD's
// notifications documentation, "Secrets").
const Secret = "argocd-notifications-secret"

// secretRefRE is a whole $key reference as Argo CD's notifications
// controller replaces it in a service's settings: notifications-engine
// (pkg/api/config.go, keyPattern) replaces every match of [$][\w-]+ with the
// value of that key of argocd-notifications-secret.
var secretRefRE = regexp.MustCompile(`^\$[A-Za-z0-9_-]+$`)

// gitHubAPIHost is github.com's API host, the default of both the
// pull-request generator and the github notification service.
const gitHubAPIHost = "api.github.com"

// CheckSecretRef checks that v, at p, is one $key reference to a key of
// [Secret]; example is one, for the messages. A value that is not a
// reference is never echoed: it may be the secret.
func CheckSecretRef(v string, p *field.Path, example string) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "a $key reference to a key of "+Secret+", such as "+example)}
	case !secretRefRE.MatchString(v):
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, fmt.Sprintf(
			"must be a $key reference to a key of %s, such as %s, never the value: the notifications controller replaces $ and the letters, digits, '_' and '-' after it with that key's value", Secret, example))}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsConfigMapKey(v[1:]) {
		errs = append(errs, field.Invalid(p, v, "the key of "+Secret+": "+msg))
	}
	return errs
}

// CheckEnterpriseBaseURL checks the notification service's API URL v (at
// p; an absolute http(s) URL or empty) against the pull-request
// generator's, api (empty for github.com): both github.com's, or both on
// one server. v must not hold $, which the controller would replace.
func CheckEnterpriseBaseURL(v, api string, p *field.Path) field.ErrorList {
	if strings.Contains(v, "$") {
		return field.ErrorList{field.Invalid(p, v, "must not contain $: the notifications controller would replace $name with the key name of "+Secret)}
	}
	server := ""
	if api != "" {
		u, err := url.Parse(api)
		if err != nil || u.Host == "" {
			return nil // reported at pullRequests.github.api
		}
		if !strings.EqualFold(u.Hostname(), gitHubAPIHost) {
			server = strings.ToLower(u.Scheme + "://" + u.Host)
		}
	}
	switch {
	case server == "" && v != "":
		return field.ErrorList{field.Invalid(p, v, "the pull requests are github.com's (pullRequests.github.api is unset or api.github.com), and so are their statuses and comments: leave enterpriseBaseURL unset")}
	case server != "" && v == "":
		return field.ErrorList{field.Required(p, fmt.Sprintf("the pull requests come from the GitHub Enterprise server %s (pullRequests.github.api): its API URL, such as %s/api/v3", server, server))}
	case server != "":
		u, _ := url.Parse(v)
		if got := strings.ToLower(u.Scheme + "://" + u.Host); got != server {
			return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("must be on the server the pull requests come from, %s (pullRequests.github.api): the statuses and comments go to their repository", server))}
		}
	}
	return nil
}
