package spec

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/placeholders"
)

var (
	kindRE         = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	syncOptionRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*=[A-Za-z0-9._-]+$`)
	scpURLRE       = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$`)
	imageRE        = regexp.MustCompile(`^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)
	gitlabStates   = []string{"opened", "closed", "merged", "all"}
	providerFields = []string{"github", "gitlab", "gitea", "bitbucketServer", "bitbucket", "azureDevOps"}
)

// clusterScopedKinds are well-known cluster-scoped kinds: the AppProject
// allows namespaced kinds only (and prenv's own Namespace), so listing one
// of these in appResources is a mistake.
var clusterScopedKinds = sets.New(
	"Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
	"CustomResourceDefinition", "StorageClass", "VolumeAttachment", "CSIDriver", "CSINode",
	"PriorityClass", "RuntimeClass", "IngressClass", "APIService",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
	"CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
	"ClusterIssuer", "ClusterSecretStore", "ClusterPolicy",
)

// checkArgoCD checks spec.argocd.
func checkArgoCD(a *ArgoCD, p *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	var errs field.ErrorList
	if a.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(a.Namespace) {
			errs = append(errs, field.Invalid(p.Child("namespace"), a.Namespace, msg))
		}
	}
	if a.Project != "" {
		pp := p.Child("project")
		for _, msg := range validation.IsDNS1123Subdomain(a.Project) {
			errs = append(errs, field.Invalid(pp, a.Project, msg))
		}
		if a.Project == "default" {
			errs = append(errs, field.Forbidden(pp, "prenv renders the project and would replace Argo CD's default project; name the app's own project"))
		}
	}
	errs = append(errs, checkPullRequests(a.PullRequests, p.Child("pullRequests"))...)
	errs = append(errs, checkSource(a.Source, p.Child("source"))...)
	if d := a.Destination; d != nil {
		dp := p.Child("destination")
		switch {
		case d.Server != "" && d.Name != "":
			errs = append(errs, field.Invalid(dp, field.OmitValueType{}, "set server or name, not both"))
		case d.Server == "" && d.Name == "":
			errs = append(errs, field.Required(dp, "server (the cluster's API URL) or name (a cluster registered in Argo CD)"))
		case d.Server != "":
			errs = append(errs, checkURL(d.Server, dp.Child("server"), "https")...)
		default:
			errs = append(errs, checkLiteral(d.Name, dp.Child("name"))...)
			if strings.TrimSpace(d.Name) != d.Name {
				errs = append(errs, field.Invalid(dp.Child("name"), d.Name, "must not start or end with white space"))
			}
		}
	}
	if sp := a.SyncPolicy; sp != nil {
		seen := sets.New[string]()
		for i, o := range sp.SyncOptions {
			op := p.Child("syncPolicy", "syncOptions").Index(i)
			key, _, _ := strings.Cut(o, "=")
			switch {
			case !syncOptionRE.MatchString(o):
				errs = append(errs, field.Invalid(op, o, "must be an Argo CD sync option, Key=value (for example ServerSideApply=true)"))
			case key == "CreateNamespace":
				errs = append(errs, field.Forbidden(op, "prenv renders the Namespace itself (sync wave -5); Argo CD must not create it"))
			case seen.Has(key):
				errs = append(errs, field.Duplicate(op, o))
			}
			seen.Insert(key)
		}
	}
	errs = append(errs, checkAppResources(a.AppResources, p.Child("appResources"))...)
	errs = append(errs, checkLabels(a.Labels, p.Child("labels"))...)
	errs = append(errs, checkNotifications(a, p.Child("notifications"))...)
	return errs
}

func checkPullRequests(pr *PullRequests, p *field.Path) field.ErrorList {
	if pr == nil {
		return field.ErrorList{field.Required(p, "the pull-request generator: one provider (github, gitlab, gitea, bitbucketServer, bitbucket or azureDevOps)")}
	}
	var errs field.ErrorList
	var set []string
	if pr.GitHub != nil {
		set = append(set, "github")
		gp := p.Child("github")
		g := pr.GitHub
		errs = append(errs, checkRequiredName(g.Owner, gp.Child("owner"))...)
		errs = append(errs, checkRequiredName(g.Repo, gp.Child("repo"))...)
		errs = append(errs, checkOptionalURL(g.API, gp.Child("api"))...)
		errs = append(errs, checkPRLabels(g.Labels, gp.Child("labels"))...)
		errs = append(errs, checkSecretKey(g.TokenSecret, gp.Child("tokenSecret"))...)
		if g.AppSecretName != "" {
			errs = append(errs, checkSecretName(g.AppSecretName, gp.Child("appSecretName"))...)
			if g.TokenSecret != nil {
				errs = append(errs, field.Invalid(gp.Child("appSecretName"), g.AppSecretName, "set tokenSecret or appSecretName, not both"))
			}
		}
	}
	if pr.GitLab != nil {
		set = append(set, "gitlab")
		gp := p.Child("gitlab")
		g := pr.GitLab
		errs = append(errs, checkRequiredName(g.Project, gp.Child("project"))...)
		errs = append(errs, checkOptionalURL(g.API, gp.Child("api"))...)
		errs = append(errs, checkPRLabels(g.Labels, gp.Child("labels"))...)
		errs = append(errs, checkSecretKey(g.TokenSecret, gp.Child("tokenSecret"))...)
		if g.PullRequestState != "" && !slices.Contains(gitlabStates, g.PullRequestState) {
			errs = append(errs, field.NotSupported(gp.Child("pullRequestState"), g.PullRequestState, gitlabStates))
		}
	}
	if pr.Gitea != nil {
		set = append(set, "gitea")
		gp := p.Child("gitea")
		g := pr.Gitea
		errs = append(errs, checkRequiredName(g.Owner, gp.Child("owner"))...)
		errs = append(errs, checkRequiredName(g.Repo, gp.Child("repo"))...)
		errs = append(errs, checkRequiredURL(g.API, gp.Child("api"))...)
		errs = append(errs, checkPRLabels(g.Labels, gp.Child("labels"))...)
		errs = append(errs, checkSecretKey(g.TokenSecret, gp.Child("tokenSecret"))...)
	}
	if pr.BitbucketServer != nil {
		set = append(set, "bitbucketServer")
		bp := p.Child("bitbucketServer")
		b := pr.BitbucketServer
		errs = append(errs, checkRequiredName(b.Project, bp.Child("project"))...)
		errs = append(errs, checkRequiredName(b.Repo, bp.Child("repo"))...)
		errs = append(errs, checkRequiredURL(b.API, bp.Child("api"))...)
		errs = append(errs, checkBitbucketAuth(b.Username, b.PasswordSecret, b.TokenSecret, bp)...)
	}
	if pr.Bitbucket != nil {
		set = append(set, "bitbucket")
		bp := p.Child("bitbucket")
		b := pr.Bitbucket
		errs = append(errs, checkRequiredName(b.Owner, bp.Child("owner"))...)
		errs = append(errs, checkRequiredName(b.Repo, bp.Child("repo"))...)
		errs = append(errs, checkOptionalURL(b.API, bp.Child("api"))...)
		errs = append(errs, checkBitbucketAuth(b.Username, b.PasswordSecret, b.TokenSecret, bp)...)
	}
	if pr.AzureDevOps != nil {
		set = append(set, "azureDevOps")
		ap := p.Child("azureDevOps")
		a := pr.AzureDevOps
		errs = append(errs, checkRequiredName(a.Organization, ap.Child("organization"))...)
		errs = append(errs, checkRequiredName(a.Project, ap.Child("project"))...)
		errs = append(errs, checkRequiredName(a.Repo, ap.Child("repo"))...)
		errs = append(errs, checkOptionalURL(a.API, ap.Child("api"))...)
		errs = append(errs, checkPRLabels(a.Labels, ap.Child("labels"))...)
		errs = append(errs, checkSecretKey(a.TokenSecret, ap.Child("tokenSecret"))...)
	}
	switch len(set) {
	case 0:
		errs = append(errs, field.Required(p, "one provider: "+strings.Join(providerFields, ", ")))
	case 1:
	default:
		errs = append(errs, field.Invalid(p, strings.Join(set, ", "), "set exactly one provider: one ApplicationSet lists the pull requests of one repository"))
	}
	for i, f := range pr.Filters {
		fp := p.Child("filters").Index(i)
		if f.BranchMatch == "" && f.TargetBranchMatch == "" && f.TitleMatch == "" {
			errs = append(errs, field.Required(fp, "branchMatch, targetBranchMatch or titleMatch"))
		}
		for name, re := range map[string]string{"branchMatch": f.BranchMatch, "targetBranchMatch": f.TargetBranchMatch, "titleMatch": f.TitleMatch} {
			if re == "" {
				continue
			}
			if _, err := regexp.Compile(re); err != nil {
				errs = append(errs, field.Invalid(fp.Child(name), re, "must be a Go regular expression: "+err.Error()))
			}
		}
	}
	if r := pr.RequeueAfterSeconds; r != nil && (*r < 0 || *r > 86400) {
		errs = append(errs, field.Invalid(p.Child("requeueAfterSeconds"), *r, "must be between 0 and 86400 (a day)"))
	}
	// Map iteration above is unordered; keep the output stable.
	sortErrors(errs)
	return errs
}

func checkBitbucketAuth(user string, password, token *SecretKey, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, checkSecretKey(password, p.Child("passwordSecret"))...)
	errs = append(errs, checkSecretKey(token, p.Child("tokenSecret"))...)
	switch {
	case token != nil && (user != "" || password != nil):
		errs = append(errs, field.Invalid(p.Child("tokenSecret"), token.Name, "set username and passwordSecret (basic auth) or tokenSecret (bearer token), not both"))
	case (user == "") != (password == nil):
		errs = append(errs, field.Required(p.Child("username"), "basic auth needs both username and passwordSecret"))
	}
	return errs
}

func checkSource(s *AppSource, p *field.Path) field.ErrorList {
	if s == nil {
		return field.ErrorList{field.Required(p, "where each PR's Application takes its manifests from: repoURL and path, or repoURL and plugin")}
	}
	var errs field.ErrorList
	rp := p.Child("repoURL")
	switch {
	case s.RepoURL == "":
		errs = append(errs, field.Required(rp, "the Git repository of the manifests (or, with plugin, of the app)"))
	case scpURLRE.MatchString(s.RepoURL):
		errs = append(errs, checkLiteral(s.RepoURL, rp)...)
	default:
		errs = append(errs, checkURL(s.RepoURL, rp, "https", "http", "ssh", "git")...)
	}
	pp := p.Child("path")
	pathOK := true
	if s.Path != "" {
		if _, err := placeholders.Expand(s.Path); err != nil {
			errs = append(errs, field.Invalid(pp, s.Path, err.Error()))
			pathOK = false
		} else {
			errs = append(errs, checkRelPath(s.Path, pp)...)
			errs = append(errs, checkPathParams(s.Path, pp)...)
		}
	}
	if s.TargetRevision != "" {
		if _, err := placeholders.Expand(s.TargetRevision); err != nil {
			errs = append(errs, field.Invalid(p.Child("targetRevision"), s.TargetRevision, err.Error()))
		} else if strings.ContainsAny(placeholders.Fill(s.TargetRevision, ""), " \t\r\n") {
			errs = append(errs, field.Invalid(p.Child("targetRevision"), s.TargetRevision, "must not contain white space"))
		}
	}
	if s.Plugin == nil {
		if pathOK && !slices.Contains(placeholders.Names(s.Path), "number") {
			errs = append(errs, field.Required(pp, "a path with the {{number}} placeholder, such as envs/web/pr-{{number}}: each PR's manifests are its own (or use plugin, and prenv renders each PR in Argo CD)"))
		}
		return errs
	}
	pl := s.Plugin
	plp := p.Child("plugin")
	if pl.Name != "" {
		for _, msg := range validation.IsDNS1123Label(pl.Name) {
			errs = append(errs, field.Invalid(plp.Child("name"), pl.Name, msg))
		}
	}
	if pl.File != "" {
		errs = append(errs, checkPluginPath(pl.File, plp.Child("file"))...)
	}
	if pl.Chart != "" {
		errs = append(errs, checkPluginPath(pl.Chart, plp.Child("chart"))...)
	}
	if len(pl.Values) > 0 && pl.Chart == "" {
		errs = append(errs, field.Required(plp.Child("chart"), "values are values files of the chart"))
	}
	for i, v := range pl.Values {
		errs = append(errs, checkPluginPath(v, plp.Child("values").Index(i))...)
	}
	if pl.Image != "" && !imageRE.MatchString(pl.Image) {
		errs = append(errs, field.Invalid(plp.Child("image"), pl.Image, "must be a container image reference such as registry.example.com/prenv:v1"))
	}
	return errs
}

// rawPathParams are the generator's parameters that carry the provider's
// free text as it is, and what to use in a path instead: a branch may hold
// '/' (and, from a provider that does not enforce Git's rules, '..'), a
// title or an author anything at all, so a path built from them could
// climb into another folder of the repository.
var rawPathParams = map[string]string{
	"branch":        "{{branch_slug}}",
	"target_branch": "{{target_branch_slug}}",
	"title":         "{{number}}",
	"author":        "{{number}}",
}

// checkPathParams refuses, in source.path, the parameters that carry the
// provider's free text as it is (rawPathParams).
func checkPathParams(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range placeholders.Names(v) {
		if instead, ok := rawPathParams[name]; ok {
			errs = append(errs, field.Invalid(p, v, fmt.Sprintf("{{%s}} is the provider's free text as it is (it may hold '/' or '..') and could lead the path out of its folder: use %s", name, instead)))
		}
	}
	return errs
}

// checkPluginPath checks a path the plugin passes to render env: relative,
// inside the repository, and free of placeholders.
func checkPluginPath(v string, p *field.Path) field.ErrorList {
	if errs := checkLiteral(v, p); len(errs) > 0 {
		return errs
	}
	return checkRelPath(v, p)
}

// checkRelPath checks a repository path: relative and not leaving the
// repository.
func checkRelPath(v string, p *field.Path) field.ErrorList {
	switch {
	case strings.ContainsAny(v, "\x00\r\n"):
		return field.ErrorList{field.Invalid(p, v, "must not contain control characters")}
	case strings.HasPrefix(v, "/"):
		return field.ErrorList{field.Invalid(p, v, "must be relative to the repository root")}
	case slices.Contains(strings.Split(v, "/"), ".."):
		return field.ErrorList{field.Invalid(p, v, "must not leave the repository ('..')")}
	case path.Clean(v) == "..":
		return field.ErrorList{field.Invalid(p, v, "must not leave the repository ('..')")}
	}
	return nil
}

func checkAppResources(gks []GroupKind, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[GroupKind]()
	for i, gk := range gks {
		ip := p.Index(i)
		if gk.Group != "" {
			for _, msg := range validation.IsDNS1123Subdomain(gk.Group) {
				errs = append(errs, field.Invalid(ip.Child("group"), gk.Group, msg))
			}
		}
		switch {
		case gk.Kind == "":
			errs = append(errs, field.Required(ip.Child("kind"), "a kind such as Deployment"))
		case !kindRE.MatchString(gk.Kind):
			errs = append(errs, field.Invalid(ip.Child("kind"), gk.Kind, "must be one kind, in CamelCase (no wildcards: the project allows exactly the kinds listed)"))
		case clusterScopedKinds.Has(gk.Kind) || IsClusterScoped(gk):
			errs = append(errs, field.Forbidden(ip.Child("kind"), "cluster-scoped kinds are not allowed: a preview may only create objects in its own namespace"))
		case gk.Group == "iam.services.k8s.aws" || gk.Group == "services.k8s.aws":
			errs = append(errs, field.Forbidden(ip.Child("group"), "ACK's IAM kinds create principals and permissions (users, roles, policies) and ACK's own kinds adopt or export any resource, beyond prenv's checks; the env's identity comes from spec.iam"))
		case gk.Group == "rbac.authorization.k8s.io":
			errs = append(errs, field.Forbidden(ip.Child("group"), "RBAC kinds would let the app's ServiceAccount change the env's objects, the IAM Role among them, after prenv checked them"))
		case seen.Has(gk):
			errs = append(errs, field.Duplicate(ip, gk.Group+"/"+gk.Kind))
		}
		seen.Insert(gk)
	}
	return errs
}

func checkRequiredName(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return field.ErrorList{field.Invalid(p, v, "must not contain white space")}
	}
	return checkLiteral(v, p)
}

func checkPRLabels(labels []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, l := range labels {
		lp := p.Index(i)
		switch {
		case strings.TrimSpace(l) == "":
			errs = append(errs, field.Required(lp, "a pull-request label"))
		case seen.Has(l):
			errs = append(errs, field.Duplicate(lp, l))
		default:
			errs = append(errs, checkLiteral(l, lp)...)
		}
		seen.Insert(l)
	}
	return errs
}

func checkSecretKey(s *SecretKey, p *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	errs := checkSecretName(s.Name, p.Child("name"))
	switch {
	case s.Key == "":
		errs = append(errs, field.Required(p.Child("key"), "the key of the Secret that holds the value"))
	default:
		for _, msg := range validation.IsConfigMapKey(s.Key) {
			errs = append(errs, field.Invalid(p.Child("key"), s.Key, msg))
		}
	}
	return errs
}

func checkSecretName(n string, p *field.Path) field.ErrorList {
	if n == "" {
		return field.ErrorList{field.Required(p, "a Secret in Argo CD's namespace")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(n) {
		errs = append(errs, field.Invalid(p, n, msg))
	}
	return errs
}

func checkOptionalURL(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return nil
	}
	return checkURL(v, p, "https", "http")
}

func checkRequiredURL(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "the provider's API URL")}
	}
	return checkURL(v, p, "https", "http")
}

// checkURL checks an absolute URL with one of the schemes.
func checkURL(v string, p *field.Path, schemes ...string) field.ErrorList {
	if errs := checkLiteral(v, p); len(errs) > 0 {
		return errs
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || strings.ContainsAny(v, " \t\r\n") {
		return field.ErrorList{field.Invalid(p, v, "must be an absolute URL, such as "+schemes[0]+"://host/path")}
	}
	if !slices.Contains(schemes, u.Scheme) {
		return field.ErrorList{field.Invalid(p, v, "the scheme must be one of "+strings.Join(schemes, ", "))}
	}
	return nil
}

// checkLiteral refuses "{{" and "}}" in a string that the ApplicationSet
// passes to Argo CD as is: Argo CD executes every string of the template as
// a Go template.
func checkLiteral(v string, p *field.Path) field.ErrorList {
	if strings.Contains(v, "{{") || strings.Contains(v, "}}") {
		return field.ErrorList{field.Invalid(p, v, "must not contain {{ or }}: placeholders are allowed in source.path and source.targetRevision only")}
	}
	return nil
}

func sortErrors(errs field.ErrorList) {
	slices.SortStableFunc(errs, func(a, b *field.Error) int { return strings.Compare(a.Field, b.Field) })
}
