package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// secretRefRE is a whole $key reference as Argo CD's notifications
// controller replaces it in a service's settings: notifications-engine
// (pkg/api/config.go, keyPattern) replaces every match of [$][\w-]+ with the
// value of that key of argocd-notifications-secret.
var secretRefRE = regexp.MustCompile(`^\$[A-Za-z0-9_-]+$`)

// gitHubAPIHost is github.com's API host, the default of both the
// pull-request generator and the github notification service.
const gitHubAPIHost = "api.github.com"

// checkNotifications checks spec.argocd.notifications (at p).
func checkNotifications(a *ArgoCD, p *field.Path) field.ErrorList {
	n := a.Notifications
	if n == nil {
		return nil
	}
	gp := p.Child("github")
	if n.GitHub == nil {
		return field.ErrorList{field.Required(gp, "the GitHub App the notifications controller posts as: appID, installationID and privateKey")}
	}
	g := n.GitHub
	var errs field.ErrorList
	var prs *GitHubPRs
	if a.PullRequests != nil {
		prs = a.PullRequests.GitHub
	}
	if prs == nil {
		errs = append(errs, field.Forbidden(gp, "needs pullRequests.github: the github service posts to the repository whose pull requests get envs, and GitHub is the only provider it reaches"))
	}
	for _, ref := range []struct {
		name, value, example string
	}{
		{"appID", g.AppID, "$github-appID"},
		{"installationID", g.InstallationID, "$github-installationID"},
		{"privateKey", g.PrivateKey, "$github-privateKey"},
	} {
		errs = append(errs, checkSecretRef(ref.value, gp.Child(ref.name), ref.example)...)
	}
	if g.EnterpriseBaseURL != "" || prs != nil {
		errs = append(errs, checkEnterpriseBaseURL(g.EnterpriseBaseURL, prs, gp.Child("enterpriseBaseURL"))...)
	}
	return errs
}

// checkSecretRef checks a $key reference to a key of argocd-notifications-secret.
func checkSecretRef(v string, p *field.Path, example string) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "a $key reference to a key of "+NotificationsSecret+", such as "+example)}
	case !secretRefRE.MatchString(v):
		// The value itself is never echoed: it may be the secret.
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, fmt.Sprintf(
			"must be a $key reference to a key of %s, such as %s, never the value: the notifications controller replaces $ and the letters, digits, '_' and '-' after it with that key's value", NotificationsSecret, example))}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsConfigMapKey(v[1:]) {
		errs = append(errs, field.Invalid(p, v, "the key of "+NotificationsSecret+": "+msg))
	}
	return errs
}

// checkEnterpriseBaseURL checks the notifications' API URL against the
// generator's (prs, nil when the generator is not GitHub's): both unset
// (github.com), or both on one server.
func checkEnterpriseBaseURL(v string, prs *GitHubPRs, p *field.Path) field.ErrorList {
	if v != "" {
		if errs := checkURL(v, p, "https", "http"); len(errs) > 0 {
			return errs
		}
		if strings.Contains(v, "$") {
			return field.ErrorList{field.Invalid(p, v, "must not contain $: the notifications controller would replace $name with the key name of "+NotificationsSecret)}
		}
	}
	if prs == nil {
		return nil
	}
	api := ""
	if prs.API != "" {
		u, err := url.Parse(prs.API)
		if err != nil || u.Host == "" {
			return nil // reported at pullRequests.github.api
		}
		if !strings.EqualFold(u.Hostname(), gitHubAPIHost) {
			api = strings.ToLower(u.Scheme + "://" + u.Host)
		}
	}
	switch {
	case api == "" && v != "":
		return field.ErrorList{field.Invalid(p, v, "the pull requests are github.com's (pullRequests.github.api is unset or api.github.com), and so are their statuses and comments: leave enterpriseBaseURL unset")}
	case api != "" && v == "":
		return field.ErrorList{field.Required(p, fmt.Sprintf("the pull requests come from the GitHub Enterprise server %s (pullRequests.github.api): its API URL, such as %s/api/v3", api, api))}
	case api != "":
		u, _ := url.Parse(v)
		if got := strings.ToLower(u.Scheme + "://" + u.Host); got != api {
			return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("must be on the server the pull requests come from, %s (pullRequests.github.api): the statuses and comments go to their repository", api))}
		}
	}
	return nil
}
