package render

// ArgoCD wires the app's previews into Argo CD: an ApplicationSet with the
// pull-request generator and an AppProject that fences the previews in.
type ArgoCD struct {
	// Namespace where Argo CD runs; default argocd.
	Namespace string `json:"namespace,omitempty"`
	// Project is the AppProject prenv renders; default previews.
	Project      string        `json:"project,omitempty"`
	PullRequests *PullRequests `json:"pullRequests,omitempty"`
	Source       *AppSource    `json:"source,omitempty"`
	Destination  *Destination  `json:"destination,omitempty"`
	SyncPolicy   *SyncPolicy   `json:"syncPolicy,omitempty"`
	// AppResources are the kinds the app's own chart needs, allowed by the AppProject
	// in addition to the kinds prenv emits.
	AppResources []GroupKind `json:"appResources,omitempty"`
}

// PullRequests configures the ApplicationSet's pull-request generator.
// Exactly one provider is set.
type PullRequests struct {
	GitHub              *GitHubPRs          `json:"github,omitempty"`
	GitLab              *GitLabPRs          `json:"gitlab,omitempty"`
	Gitea               *GiteaPRs           `json:"gitea,omitempty"`
	BitbucketServer     *BitbucketServerPRs `json:"bitbucketServer,omitempty"`
	AzureDevOps         *AzureDevOpsPRs     `json:"azureDevOps,omitempty"`
	Filters             []PRFilter          `json:"filters,omitempty"`
	RequeueAfterSeconds *int64              `json:"requeueAfterSeconds,omitempty"`
}

// SecretKey points at a key of a Secret in Argo CD's namespace.
type SecretKey struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// GitHubPRs selects pull requests of a GitHub repository.
type GitHubPRs struct {
	Owner         string     `json:"owner"`
	Repo          string     `json:"repo"`
	API           string     `json:"api,omitempty"`
	Labels        []string   `json:"labels,omitempty"`
	TokenSecret   *SecretKey `json:"tokenSecret,omitempty"`
	AppSecretName string     `json:"appSecretName,omitempty"`
}

// GitLabPRs selects merge requests of a GitLab project.
type GitLabPRs struct {
	Project          string     `json:"project"`
	API              string     `json:"api,omitempty"`
	Labels           []string   `json:"labels,omitempty"`
	PullRequestState string     `json:"pullRequestState,omitempty"`
	TokenSecret      *SecretKey `json:"tokenSecret,omitempty"`
	Insecure         bool       `json:"insecure,omitempty"`
}

// GiteaPRs selects pull requests of a Gitea repository.
type GiteaPRs struct {
	Owner       string     `json:"owner"`
	Repo        string     `json:"repo"`
	API         string     `json:"api"`
	Labels      []string   `json:"labels,omitempty"`
	TokenSecret *SecretKey `json:"tokenSecret,omitempty"`
	Insecure    bool       `json:"insecure,omitempty"`
}

// BitbucketServerPRs selects pull requests of a Bitbucket Server repository.
type BitbucketServerPRs struct {
	Project        string     `json:"project"`
	Repo           string     `json:"repo"`
	API            string     `json:"api"`
	Username       string     `json:"username,omitempty"`
	PasswordSecret *SecretKey `json:"passwordSecret,omitempty"`
	TokenSecret    *SecretKey `json:"tokenSecret,omitempty"`
}

// AzureDevOpsPRs selects pull requests of an Azure DevOps repository.
type AzureDevOpsPRs struct {
	Organization string     `json:"organization"`
	Project      string     `json:"project"`
	Repo         string     `json:"repo"`
	API          string     `json:"api,omitempty"`
	Labels       []string   `json:"labels,omitempty"`
	TokenSecret  *SecretKey `json:"tokenSecret,omitempty"`
}

// PRFilter keeps only the pull requests whose branches match.
type PRFilter struct {
	BranchMatch       string `json:"branchMatch,omitempty"`
	TargetBranchMatch string `json:"targetBranchMatch,omitempty"`
}

// AppSource is where each PR's Application takes its manifests from: a
// repository path (placeholders such as {{number}} allowed) or a Config
// Management Plugin.
type AppSource struct {
	RepoURL        string     `json:"repoURL"`
	Path           string     `json:"path,omitempty"`
	TargetRevision string     `json:"targetRevision,omitempty"`
	Plugin         *AppPlugin `json:"plugin,omitempty"`
}

// AppPlugin names the Config Management Plugin that renders each PR.
type AppPlugin struct {
	Name string `json:"name"`
}

// Destination is the cluster the previews are deployed to: server or name.
type Destination struct {
	Server string `json:"server,omitempty"`
	Name   string `json:"name,omitempty"`
}

// SyncPolicy is the automated sync policy of each PR's Application.
type SyncPolicy struct {
	Prune    bool `json:"prune,omitempty"`
	SelfHeal bool `json:"selfHeal,omitempty"`
}

// GroupKind names a Kubernetes kind; Group is empty for the core group.
type GroupKind struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
}
