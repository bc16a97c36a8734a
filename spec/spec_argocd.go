package spec

// Argo CD defaults.
const (
	DefaultArgoCDNamespace     = "argocd"
	DefaultArgoCDServer        = "https://kubernetes.default.svc"
	DefaultProjectPrefix       = "previews-"
	DefaultPluginName          = "prenv"
	DefaultPluginFile          = "prenv.yaml"
	DefaultManifestRevision    = "HEAD"
	DefaultPluginRevision      = "{{ .head_sha }}"
	DefaultRequeueAfterSeconds = 300
)

// ArgoCD wires the app's previews into Argo CD: an ApplicationSet with the
// pull-request generator, an AppProject that fences the previews in, and the
// health checks that make sync waves wait for AWS.
type ArgoCD struct {
	// Namespace where Argo CD runs; default argocd.
	Namespace string `json:"namespace,omitempty"`
	// Project is the AppProject prenv renders for this app; default
	// previews-<app>. Give every app its own project: the project lists
	// this app's namespaces and kinds only.
	Project string `json:"project,omitempty"`
	// PullRequests configures the pull-request generator.
	PullRequests *PullRequests `json:"pullRequests"`
	// Source is where each PR's Application takes its manifests from.
	Source *AppSource `json:"source"`
	// Destination is the cluster the previews go to; default the cluster
	// Argo CD runs in (https://kubernetes.default.svc).
	Destination *Destination `json:"destination,omitempty"`
	// SyncPolicy of each PR's Application; automated, with prune and
	// self-heal on by default.
	SyncPolicy *SyncPolicy `json:"syncPolicy,omitempty"`
	// AppResources are the kinds the app's own manifests need, allowed by
	// the AppProject in addition to the kinds prenv emits. Only namespaced
	// kinds. When absent, the kinds of prenv's preview-app chart
	// (Deployment, Service, Ingress); an empty list allows none.
	AppResources []GroupKind `json:"appResources,omitempty"`
	// Labels are added to the ApplicationSet, the AppProject and every
	// generated Application.
	Labels map[string]string `json:"labels,omitempty"`
	// HealthChecks renders the argocd-cm health checks of the ACK kinds;
	// default true.
	HealthChecks *bool `json:"healthChecks,omitempty"`
	// Notifications has Argo CD's notifications controller post each env's
	// state to its pull request: deployment statuses and a comment (see
	// docs/feedback.md). Off when absent.
	Notifications *Notifications `json:"notifications,omitempty"`
}

// PullRequests configures the ApplicationSet's pull-request generator.
// Exactly one provider is set.
type PullRequests struct {
	GitHub          *GitHubPRs          `json:"github,omitempty"`
	GitLab          *GitLabPRs          `json:"gitlab,omitempty"`
	Gitea           *GiteaPRs           `json:"gitea,omitempty"`
	BitbucketServer *BitbucketServerPRs `json:"bitbucketServer,omitempty"`
	Bitbucket       *BitbucketPRs       `json:"bitbucket,omitempty"`
	AzureDevOps     *AzureDevOpsPRs     `json:"azureDevOps,omitempty"`
	// Filters keep the pull requests that match any filter.
	Filters []PRFilter `json:"filters,omitempty"`
	// RequeueAfterSeconds is how often Argo CD polls the provider; default 300.
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
}

// SecretKey points at a key of a Secret in Argo CD's namespace.
type SecretKey struct {
	// Name of the Secret, in Argo CD's namespace.
	Name string `json:"name"`
	// Key of the Secret that holds the value.
	Key string `json:"key"`
}

// GitHubPRs selects pull requests of a GitHub repository.
type GitHubPRs struct {
	// Owner is the user or organization that owns the repository.
	Owner string `json:"owner"`
	// Repo is the repository's name.
	Repo string `json:"repo"`
	// API is the GitHub Enterprise API URL; default github.com's.
	API string `json:"api,omitempty"`
	// Labels: only pull requests with all these labels get a preview.
	Labels []string `json:"labels,omitempty"`
	// TokenSecret holds a token; AppSecretName names a GitHub App
	// repository-credential Secret instead. At most one is set.
	TokenSecret *SecretKey `json:"tokenSecret,omitempty"`
	// AppSecretName names a GitHub App repository-credential Secret,
	// instead of TokenSecret.
	AppSecretName string `json:"appSecretName,omitempty"`
}

// GitLabPRs selects merge requests of a GitLab project.
type GitLabPRs struct {
	// Project is the project's ID or full path.
	Project string `json:"project"`
	// API is the GitLab URL; default Argo CD's, gitlab.com.
	API string `json:"api,omitempty"`
	// Labels: only merge requests with all these labels get a preview.
	Labels []string `json:"labels,omitempty"`
	// PullRequestState is opened (Argo CD's default when empty), closed,
	// merged or all.
	PullRequestState string `json:"pullRequestState,omitempty"`
	// TokenSecret holds a GitLab token.
	TokenSecret *SecretKey `json:"tokenSecret,omitempty"`
	// Insecure skips the verification of the API's TLS certificate.
	Insecure bool `json:"insecure,omitempty"`
}

// GiteaPRs selects pull requests of a Gitea repository.
type GiteaPRs struct {
	// Owner is the user or organization that owns the repository.
	Owner string `json:"owner"`
	// Repo is the repository's name.
	Repo string `json:"repo"`
	// API is the Gitea URL.
	API string `json:"api"`
	// Labels: only pull requests with all these labels get a preview.
	Labels []string `json:"labels,omitempty"`
	// TokenSecret holds a Gitea token.
	TokenSecret *SecretKey `json:"tokenSecret,omitempty"`
	// Insecure skips the verification of the API's TLS certificate.
	Insecure bool `json:"insecure,omitempty"`
}

// BitbucketServerPRs selects pull requests of a Bitbucket Server (Data
// Center) repository: basic auth (Username and PasswordSecret), a bearer
// token (TokenSecret), or neither for anonymous access.
type BitbucketServerPRs struct {
	// Project is the Bitbucket project's key.
	Project string `json:"project"`
	// Repo is the repository's name.
	Repo string `json:"repo"`
	// API is the Bitbucket Server's REST API URL.
	API string `json:"api"`
	// Username for basic authentication, with PasswordSecret.
	Username       string     `json:"username,omitempty"`
	PasswordSecret *SecretKey `json:"passwordSecret,omitempty"`
	TokenSecret    *SecretKey `json:"tokenSecret,omitempty"`
	// Insecure skips the verification of the API's TLS certificate.
	Insecure bool `json:"insecure,omitempty"`
}

// BitbucketPRs selects pull requests of a Bitbucket Cloud repository, with
// the same authentication choices as BitbucketServerPRs.
type BitbucketPRs struct {
	// Owner is the workspace that owns the repository.
	Owner string `json:"owner"`
	// Repo is the repository's name.
	Repo string `json:"repo"`
	// API is the Bitbucket Cloud API URL; default Argo CD's, the public
	// service.
	API string `json:"api,omitempty"`
	// Username for basic authentication, with PasswordSecret.
	Username       string     `json:"username,omitempty"`
	PasswordSecret *SecretKey `json:"passwordSecret,omitempty"`
	TokenSecret    *SecretKey `json:"tokenSecret,omitempty"`
}

// AzureDevOpsPRs selects pull requests of an Azure DevOps repository.
type AzureDevOpsPRs struct {
	// Organization is the Azure DevOps organization.
	Organization string `json:"organization"`
	// Project is the Azure DevOps project.
	Project string `json:"project"`
	// Repo is the repository's name.
	Repo string `json:"repo"`
	// API is the Azure DevOps URL; default Argo CD's, the public service.
	API string `json:"api,omitempty"`
	// Labels: only pull requests with all these labels get a preview.
	Labels      []string   `json:"labels,omitempty"`
	TokenSecret *SecretKey `json:"tokenSecret,omitempty"`
}

// PRFilter keeps the pull requests whose fields match all the regular
// expressions (Go syntax) it sets.
type PRFilter struct {
	// BranchMatch is a regular expression the pull request's branch must match.
	BranchMatch string `json:"branchMatch,omitempty"`
	// TargetBranchMatch is a regular expression the pull request's target
	// branch must match.
	TargetBranchMatch string `json:"targetBranchMatch,omitempty"`
	// TitleMatch is a regular expression the pull request's title must match.
	TitleMatch string `json:"titleMatch,omitempty"`
}

// AppSource is where each PR's Application takes its manifests from: a
// path of a manifest repository that holds each PR's rendered manifests
// (placeholders such as {{number}} allowed), or, with Plugin, the app
// repository itself, rendered by prenv running in Argo CD as a Config
// Management Plugin.
type AppSource struct {
	// RepoURL is the Git repository of the manifests, or of the app with
	// Plugin.
	RepoURL string `json:"repoURL"`
	// Path in the repository. Without Plugin it must contain {{number}}:
	// each PR has its own manifests. With Plugin it is the folder of
	// prenv.yaml; default the repository root.
	Path string `json:"path,omitempty"`
	// TargetRevision; default HEAD, or {{head_sha}} with Plugin.
	TargetRevision string     `json:"targetRevision,omitempty"`
	Plugin         *AppPlugin `json:"plugin,omitempty"`
}

// AppPlugin configures the Config Management Plugin flow: Argo CD runs
// render env for each PR, from the app repository.
type AppPlugin struct {
	// Name of the plugin; default prenv.
	Name string `json:"name,omitempty"`
	// File is the spec, relative to the source path; default prenv.yaml.
	File string `json:"file,omitempty"`
	// Chart, relative to the source path, is the app's own chart, rendered
	// in the same Application with the env's identity as values
	// (render env --chart).
	Chart string `json:"chart,omitempty"`
	// Values are values files of Chart, relative to the source path.
	Values []string `json:"values,omitempty"`
	// Image of the plugin sidecar: an image with render and a POSIX shell,
	// running as user 999. Needed to print the sidecar (render appset --sidecar).
	Image string `json:"image,omitempty"`
}

// Destination is the cluster the previews are deployed to: server or name.
type Destination struct {
	// Server is the cluster's API server URL; default
	// https://kubernetes.default.svc.
	Server string `json:"server,omitempty"`
	// Name is the cluster's name in Argo CD, instead of Server.
	Name string `json:"name,omitempty"`
}

// SyncPolicy is the automated sync policy of each PR's Application.
type SyncPolicy struct {
	// Prune deletes what is no longer rendered; default true.
	Prune *bool `json:"prune,omitempty"`
	// SelfHeal reverts changes made in the cluster; default true.
	SelfHeal *bool `json:"selfHeal,omitempty"`
	// SyncOptions replace prenv's (ServerSideApply=true, PruneLast=true).
	SyncOptions []string `json:"syncOptions,omitempty"`
}

// GroupKind names a Kubernetes kind; Group is empty for the core group.
type GroupKind struct {
	// Group is the API group; empty for the core group.
	Group string `json:"group"`
	// Kind is the kind, such as Deployment.
	Kind string `json:"kind"`
}
