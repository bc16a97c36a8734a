package argocd_test

import "prenv.dev/prenv/e2e/internal/fakegithub"

// The fake GitHub API's types, under the names the fixtures use.
type (
	ghPull  = fakegithub.Pull
	ghUser  = fakegithub.User
	ghRef   = fakegithub.Ref
	ghLabel = fakegithub.Label
)
