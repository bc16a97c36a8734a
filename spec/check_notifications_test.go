package spec

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestCheckNotifications: each kind of fault of spec.argocd.notifications,
// with its exact field path and message.
func TestCheckNotifications(t *testing.T) {
	valid := func() *GitHubNotifications {
		return &GitHubNotifications{AppID: "$github-appID", InstallationID: "$github-installationID", PrivateKey: "$github-privateKey"}
	}
	const p = "spec.argocd.notifications.github"
	tests := map[string]struct {
		edit func(a *ArgoCD)
		want []string // the errors' texts
	}{
		"valid": {func(a *ArgoCD) { a.Notifications = &Notifications{GitHub: valid()} }, nil},
		"off":   {func(a *ArgoCD) {}, nil},
		"no service": {func(a *ArgoCD) { a.Notifications = &Notifications{} },
			[]string{p + ": Required value: the GitHub App the notifications controller posts as: appID, installationID and privateKey"}},
		"pull requests of another provider": {func(a *ArgoCD) {
			a.PullRequests.GitHub = nil
			a.PullRequests.GitLab = &GitLabPRs{Project: "g/p"}
			a.Notifications = &Notifications{GitHub: valid()}
		}, []string{p + ": Forbidden: needs pullRequests.github: the github service posts to the repository whose pull requests get envs, and GitHub is the only provider it reaches"}},
		"values instead of references, never echoed": {func(a *ArgoCD) {
			g := valid()
			g.AppID, g.PrivateKey = "123456", "-----BEGIN RSA PRIVATE KEY-----"
			a.Notifications = &Notifications{GitHub: g}
		}, []string{
			p + ".appID: Invalid value: must be a $key reference to a key of argocd-notifications-secret, such as $github-appID, never the value: the notifications controller replaces $ and the letters, digits, '_' and '-' after it with that key's value",
			p + ".privateKey: Invalid value: must be a $key reference to a key of argocd-notifications-secret, such as $github-privateKey, never the value: the notifications controller replaces $ and the letters, digits, '_' and '-' after it with that key's value",
		}},
		"reference the controller would replace in part": {func(a *ArgoCD) {
			g := valid()
			g.InstallationID = "$github.installationID"
			a.Notifications = &Notifications{GitHub: g}
		}, []string{p + ".installationID: Invalid value: must be a $key reference to a key of argocd-notifications-secret, such as $github-installationID, never the value: the notifications controller replaces $ and the letters, digits, '_' and '-' after it with that key's value"}},
		"missing reference": {func(a *ArgoCD) {
			g := valid()
			g.PrivateKey = ""
			a.Notifications = &Notifications{GitHub: g}
		}, []string{p + ".privateKey: Required value: a $key reference to a key of argocd-notifications-secret, such as $github-privateKey"}},
		"key too long for a Secret": {func(a *ArgoCD) {
			g := valid()
			g.AppID = "$" + longKey(254)
			a.Notifications = &Notifications{GitHub: g}
		}, []string{p + `.appID: Invalid value: "$` + longKey(254) + `": the key of argocd-notifications-secret: must be no more than 253 characters`}},
		"enterprise URL for github.com's pull requests": {func(a *ArgoCD) {
			g := valid()
			g.EnterpriseBaseURL = "https://github.example.com/api/v3"
			a.Notifications = &Notifications{GitHub: g}
		}, []string{p + `.enterpriseBaseURL: Invalid value: "https://github.example.com/api/v3": the pull requests are github.com's (pullRequests.github.api is unset or api.github.com), and so are their statuses and comments: leave enterpriseBaseURL unset`}},
		"api.github.com spelt out is github.com": {func(a *ArgoCD) {
			a.PullRequests.GitHub.API = "https://api.github.com/"
			a.Notifications = &Notifications{GitHub: valid()}
		}, nil},
		"enterprise pull requests without the URL": {func(a *ArgoCD) {
			a.PullRequests.GitHub.API = "https://github.example.com/"
			a.Notifications = &Notifications{GitHub: valid()}
		}, []string{p + ".enterpriseBaseURL: Required value: the pull requests come from the GitHub Enterprise server https://github.example.com (pullRequests.github.api): its API URL, such as https://github.example.com/api/v3"}},
		"enterprise URL on another server": {func(a *ArgoCD) {
			a.PullRequests.GitHub.API = "http://127.0.0.1:8080"
			g := valid()
			g.EnterpriseBaseURL = "http://127.0.0.1:9090/api/v3"
			a.Notifications = &Notifications{GitHub: g}
		}, []string{p + `.enterpriseBaseURL: Invalid value: "http://127.0.0.1:9090/api/v3": must be on the server the pull requests come from, http://127.0.0.1:8080 (pullRequests.github.api): the statuses and comments go to their repository`}},
		"enterprise URL on the generator's server": {func(a *ArgoCD) {
			a.PullRequests.GitHub.API = "http://127.0.0.1:8080"
			g := valid()
			g.EnterpriseBaseURL = "http://127.0.0.1:8080/api/v3"
			a.Notifications = &Notifications{GitHub: g}
		}, nil},
		"enterprise URL with a reference": {func(a *ArgoCD) {
			a.PullRequests.GitHub.API = "https://github.example.com"
			g := valid()
			g.EnterpriseBaseURL = "https://github.example.com/$github-privateKey"
			a.Notifications = &Notifications{GitHub: g}
		}, []string{p + `.enterpriseBaseURL: Invalid value: "https://github.example.com/$github-privateKey": must not contain $: the notifications controller would replace $name with the key name of argocd-notifications-secret`}},
		"enterprise URL not a URL": {func(a *ArgoCD) {
			a.PullRequests.GitHub.API = "https://github.example.com"
			g := valid()
			g.EnterpriseBaseURL = "ftp://github.example.com"
			a.Notifications = &Notifications{GitHub: g}
		}, []string{p + `.enterpriseBaseURL: Invalid value: "ftp://github.example.com": the scheme must be one of https, http`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := argoBaseWith(t, tc.edit)
			errs := checkNotifications(env.Spec.ArgoCD, field.NewPath("spec", "argocd", "notifications"))
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n%q\nwant:\n%q", got, tc.want)
			}
			if len(errs) > 0 && len(Check(env)) == 0 {
				t.Error("Check does not report checkNotifications' errors")
			}
		})
	}
}

func longKey(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'k'
	}
	return string(b)
}

// argoBaseWith loads argoBase and applies edit to its spec.argocd.
func argoBaseWith(t *testing.T, edit func(a *ArgoCD)) *PreviewEnvironment {
	t.Helper()
	env, err := Load([]byte(argoBase))
	if err != nil {
		t.Fatal(err)
	}
	edit(env.Spec.ArgoCD)
	return env
}
