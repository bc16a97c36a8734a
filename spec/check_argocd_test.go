package spec

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

const argoBase = `apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata: {name: web}
spec:
  prefix: test
  aws: {accountID: "123456789012", region: eu-west-1, oidcProviderURL: oidc.eks.eu-west-1.amazonaws.com/id/X}
  argocd:
    pullRequests:
      github: {owner: example, repo: web, labels: [preview], tokenSecret: {name: github-token, key: token}}
    source:
      repoURL: https://github.com/example/manifests.git
      path: "envs/web/pr-{{number}}"
`

func TestCheckArgoCD(t *testing.T) {
	i64 := func(n int64) *int64 { return &n }
	tests := map[string]struct {
		edit func(a *ArgoCD)
		want []string // field paths below spec.argocd, in order
	}{
		"valid": {func(a *ArgoCD) {}, nil},
		"plugin flow needs no {{number}}": {func(a *ArgoCD) {
			a.Source.Path = "deploy"
			a.Source.Plugin = &AppPlugin{Name: "prenv", Chart: "chart", Values: []string{"chart/values.yaml"}, Image: "registry.example.com/prenv-cmp:v1"}
		}, nil},
		"go-template placeholders": {func(a *ArgoCD) {
			a.Source.Path = "envs/{{ .number }}/{{head_short_sha_7}}"
			a.Source.TargetRevision = "{{ .head_sha }}"
		}, nil},
		"scp repoURL":     {func(a *ArgoCD) { a.Source.RepoURL = "git@github.com:example/manifests.git" }, nil},
		"no provider":     {func(a *ArgoCD) { a.PullRequests.GitHub = nil }, []string{"pullRequests"}},
		"no pullRequests": {func(a *ArgoCD) { a.PullRequests = nil }, []string{"pullRequests"}},
		"two providers": {func(a *ArgoCD) {
			a.PullRequests.Gitea = &GiteaPRs{Owner: "a", Repo: "b", API: "https://g.example.com"}
		}, []string{"pullRequests"}},
		"github fields": {func(a *ArgoCD) {
			g := a.PullRequests.GitHub
			g.Owner, g.Repo, g.API, g.AppSecretName = "", "a b", "ftp://x", "app"
		}, []string{"pullRequests.github.api", "pullRequests.github.appSecretName", "pullRequests.github.owner", "pullRequests.github.repo"}},
		"secret key": {func(a *ArgoCD) {
			a.PullRequests.GitHub.TokenSecret = &SecretKey{Name: "Bad_Name"}
		}, []string{"pullRequests.github.tokenSecret.key", "pullRequests.github.tokenSecret.name"}},
		"labels": {func(a *ArgoCD) { a.PullRequests.GitHub.Labels = []string{"preview", "preview", " "} },
			[]string{"pullRequests.github.labels[1]", "pullRequests.github.labels[2]"}},
		"filters": {func(a *ArgoCD) {
			a.PullRequests.Filters = []PRFilter{{BranchMatch: "("}, {}, {TitleMatch: `\[preview\]`, TargetBranchMatch: "^main$"}}
		}, []string{"pullRequests.filters[0].branchMatch", "pullRequests.filters[1]"}},
		"requeue": {func(a *ArgoCD) { a.PullRequests.RequeueAfterSeconds = i64(-1) }, []string{"pullRequests.requeueAfterSeconds"}},
		"gitlab state": {func(a *ArgoCD) {
			a.PullRequests.GitHub = nil
			a.PullRequests.GitLab = &GitLabPRs{Project: "g/p", PullRequestState: "open"}
		}, []string{"pullRequests.gitlab.pullRequestState"}},
		"bitbucket server auth": {func(a *ArgoCD) {
			a.PullRequests.GitHub = nil
			a.PullRequests.BitbucketServer = &BitbucketServerPRs{Project: "P", Repo: "r", API: "https://b.example.com", Username: "u"}
		}, []string{"pullRequests.bitbucketServer.username"}},
		"bitbucket cloud, token and password": {func(a *ArgoCD) {
			a.PullRequests.GitHub = nil
			a.PullRequests.Bitbucket = &BitbucketPRs{Owner: "o", Repo: "r", Username: "u", PasswordSecret: &SecretKey{Name: "p", Key: "k"}, TokenSecret: &SecretKey{Name: "t", Key: "k"}}
		}, []string{"pullRequests.bitbucket.tokenSecret"}},
		"azure devops": {func(a *ArgoCD) {
			a.PullRequests.GitHub = nil
			a.PullRequests.AzureDevOps = &AzureDevOpsPRs{Organization: "o", Project: "", Repo: "r"}
		}, []string{"pullRequests.azureDevOps.project"}},
		"no source":           {func(a *ArgoCD) { a.Source = nil }, []string{"source"}},
		"no repoURL":          {func(a *ArgoCD) { a.Source.RepoURL = "" }, []string{"source.repoURL"}},
		"bad repoURL":         {func(a *ArgoCD) { a.Source.RepoURL = "github.com/x" }, []string{"source.repoURL"}},
		"path without number": {func(a *ArgoCD) { a.Source.Path = "envs/web" }, []string{"source.path"}},
		"unknown placeholder": {func(a *ArgoCD) { a.Source.Path = "envs/{{number}}/{{labels}}" }, []string{"source.path"}},
		"pipelines refused":   {func(a *ArgoCD) { a.Source.Path = "envs/{{ .number | quote }}" }, []string{"source.path"}},
		"absolute path":       {func(a *ArgoCD) { a.Source.Path = "/envs/{{number}}" }, []string{"source.path"}},
		"path leaves repo":    {func(a *ArgoCD) { a.Source.Path = "../{{number}}" }, []string{"source.path"}},
		"revision":            {func(a *ArgoCD) { a.Source.TargetRevision = "main branch" }, []string{"source.targetRevision"}},
		"raw branch in path":  {func(a *ArgoCD) { a.Source.Path = "envs/{{branch}}/pr-{{number}}" }, []string{"source.path"}},
		"raw free text in path, each reported": {func(a *ArgoCD) {
			a.Source.Path = "envs/{{ .title }}/{{author}}/{{target_branch}}/pr-{{number}}"
		}, []string{"source.path", "source.path", "source.path"}},
		"raw branch in the plugin's path": {func(a *ArgoCD) {
			a.Source.Path = "apps/{{branch}}"
			a.Source.Plugin = &AppPlugin{}
		}, []string{"source.path"}},
		"slugs and SHAs in path": {func(a *ArgoCD) {
			a.Source.Path = "envs/{{branch_slug}}/{{target_branch_slug}}/{{head_short_sha_7}}/pr-{{number}}"
		}, nil},
		"raw branch in targetRevision": {func(a *ArgoCD) { a.Source.TargetRevision = "{{branch}}" }, nil},
		"plugin fields": {func(a *ArgoCD) {
			a.Source.Plugin = &AppPlugin{Name: "Pre_nv", File: "/etc/passwd", Values: []string{"v.yaml"}, Image: "not an image"}
		}, []string{"source.plugin.name", "source.plugin.file", "source.plugin.chart", "source.plugin.image"}},
		"plugin file with placeholder": {func(a *ArgoCD) { a.Source.Plugin = &AppPlugin{File: "{{number}}.yaml"} }, []string{"source.plugin.file"}},
		"destination both":             {func(a *ArgoCD) { a.Destination = &Destination{Server: "https://k.example.com", Name: "c"} }, []string{"destination"}},
		"destination empty":            {func(a *ArgoCD) { a.Destination = &Destination{} }, []string{"destination"}},
		"destination server":           {func(a *ArgoCD) { a.Destination = &Destination{Server: "http://k"} }, []string{"destination.server"}},
		"sync options": {func(a *ArgoCD) {
			a.SyncPolicy = &SyncPolicy{SyncOptions: []string{"CreateNamespace=true", "bad", "PruneLast=true", "PruneLast=false"}}
		}, []string{"syncPolicy.syncOptions[0]", "syncPolicy.syncOptions[1]", "syncPolicy.syncOptions[3]"}},
		"app resources": {func(a *ArgoCD) {
			a.AppResources = []GroupKind{{"apps", "Deployment"}, {"", "*"}, {"rbac.authorization.k8s.io", "ClusterRole"}, {"apps", "Deployment"}, {"Bad_Group", "Role"}, {"", ""}}
		}, []string{"appResources[1].kind", "appResources[2].kind", "appResources[3]", "appResources[4].group", "appResources[5].kind"}},
		"namespace and project": {func(a *ArgoCD) { a.Project, a.Namespace = "default", "Argo" }, []string{"namespace", "project"}},
		"extra labels":          {func(a *ArgoCD) { a.Labels = map[string]string{"prenv.dev/app": "x", "bad key!": "v"} }, []string{"labels", "labels[prenv.dev/app]"}},
		"braces in literals": {func(a *ArgoCD) {
			a.PullRequests.GitHub.Owner = "{{x}}"
			a.Destination = &Destination{Name: "a{{b"}
		}, []string{"pullRequests.github.owner", "destination.name"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := argoBaseWith(t, tc.edit)
			errs := checkArgoCD(env.Spec.ArgoCD, field.NewPath("spec", "argocd"))
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, "spec.argocd."+w)
			}
			if !slices.Equal(got, want) {
				t.Errorf("fields = %q, want %q\n%v", got, want, errs.ToAggregate())
			}
			if len(errs) > 0 && len(Check(env)) == 0 {
				t.Error("Check does not report checkArgoCD's errors")
			}
		})
	}
}

// TestAppResourcesRefusePower: the app's kinds cannot include kinds that
// give the app's ServiceAccount power over the env's checked objects or
// create AWS principals beyond prenv's checks.
func TestAppResourcesRefusePower(t *testing.T) {
	for _, tc := range []struct {
		gk   GroupKind
		want string
	}{
		{GroupKind{Group: "iam.services.k8s.aws", Kind: "User"}, "spec.argocd.appResources[0].group: Forbidden: ACK's IAM kinds create principals"},
		{GroupKind{Group: "services.k8s.aws", Kind: "AdoptedResource"}, "spec.argocd.appResources[0].group: Forbidden: ACK's IAM kinds"},
		{GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}, "spec.argocd.appResources[0].group: Forbidden: RBAC kinds would let the app's ServiceAccount change the env's objects"},
		{GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}, "spec.argocd.appResources[0].kind: Forbidden: cluster-scoped kinds are not allowed"},
		{GroupKind{Group: "s3.services.k8s.aws", Kind: "Bucket"}, ""},
	} {
		t.Run(tc.gk.Group+"/"+tc.gk.Kind, func(t *testing.T) {
			env, err := Load([]byte(argoBase))
			if err != nil {
				t.Fatal(err)
			}
			env.Spec.ArgoCD.AppResources = []GroupKind{tc.gk}
			errs := Check(env)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want %q", errs, tc.want)
			}
		})
	}
}
