package spec

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/notifyrules"
)

// checkNotifications checks spec.argocd.notifications (at p); the rules
// of the github service's settings are package notifyrules'.
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
	errs = append(errs, notifyrules.CheckSecretRef(g.AppID, gp.Child("appID"), "$github-appID")...)
	errs = append(errs, notifyrules.CheckSecretRef(g.InstallationID, gp.Child("installationID"), "$github-installationID")...)
	errs = append(errs, notifyrules.CheckSecretRef(g.PrivateKey, gp.Child("privateKey"), "$github-privateKey")...)
	ep := gp.Child("enterpriseBaseURL")
	if g.EnterpriseBaseURL != "" {
		if urlErrs := checkURL(g.EnterpriseBaseURL, ep, "https", "http"); len(urlErrs) > 0 {
			return append(errs, urlErrs...)
		}
	}
	if prs != nil {
		errs = append(errs, notifyrules.CheckEnterpriseBaseURL(g.EnterpriseBaseURL, prs.API, ep)...)
	}
	return errs
}
