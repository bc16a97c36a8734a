package spec

// NotificationsSecret is the Secret in Argo CD's namespace whose keys the
// settings of Argo CD's notification services name as $key references
// (Argo CD's notifications documentation, "Secrets").
const NotificationsSecret = "argocd-notifications-secret"

// Notifications has Argo CD's notifications controller post each env's
// state back to its pull request through Argo CD's GitHub notification
// service: a deployment status (success with the env's URL, failure,
// inactive) and one comment per env, updated in place. render appset
// renders the service, the triggers and the templates into
// argocd-notifications-cm and subscribes every generated Application
// (docs/feedback.md).
type Notifications struct {
	// GitHub is the GitHub App the notifications controller posts as. It
	// needs pullRequests.github: the statuses and comments go to the
	// repository whose pull requests get envs.
	GitHub *GitHubNotifications `json:"github"`
}

// GitHubNotifications are the settings of Argo CD's github notification
// service (notifications-engine's GitHubOptions). The GitHub App's ID,
// installation ID and private key are $key references to keys of
// argocd-notifications-secret, such as $github-privateKey, never the values:
// the ConfigMap they go into is no place for a secret, and neither is Git.
type GitHubNotifications struct {
	// AppID is the GitHub App's ID: a $key reference to the key of
	// argocd-notifications-secret that holds it, such as $github-appID.
	AppID string `json:"appID"`
	// InstallationID is the App's installation ID on the repository's
	// owner: a $key reference, such as $github-installationID.
	InstallationID string `json:"installationID"`
	// PrivateKey is the App's private key (PEM): a $key reference, such as
	// $github-privateKey.
	PrivateKey string `json:"privateKey"`
	// EnterpriseBaseURL is the GitHub Enterprise Server API URL with its
	// /api/v3 path, such as https://github.example.com/api/v3, on the host
	// of pullRequests.github.api; unset for github.com.
	EnterpriseBaseURL string `json:"enterpriseBaseURL,omitempty"`
}
