package plan

// Pod Security Standards levels (Kubernetes docs, "Pod Security Standards";
// k8s.io/pod-security-admission/api: LevelBaseline, LevelRestricted).
const (
	// PodSecurityApps is the level every pod of the env must meet, the
	// app's included: baseline keeps pods off the node (no privileged
	// containers, host namespaces, hostPath volumes, host ports, added
	// capabilities beyond the default set).
	PodSecurityApps = "baseline"
	// PodSecurityOwn is the level of prenv's own pods (the databases and
	// their Jobs): restricted adds non-root users, no privilege
	// escalation, all capabilities dropped and the runtime's seccomp
	// profile.
	PodSecurityOwn = "restricted"
)

// Pod Security Admission's namespace labels (Kubernetes docs, "Pod Security
// Admission": pod-security.kubernetes.io/<MODE>: <LEVEL> and
// pod-security.kubernetes.io/<MODE>-version: <VERSION>).
const (
	LabelPodSecurityEnforce        = "pod-security.kubernetes.io/enforce"
	LabelPodSecurityEnforceVersion = "pod-security.kubernetes.io/enforce-version"
	LabelPodSecurityWarn           = "pod-security.kubernetes.io/warn"
	LabelPodSecurityWarnVersion    = "pod-security.kubernetes.io/warn-version"
)

// podSecurityLabels are the env Namespace's Pod Security Admission labels:
// the API server refuses pods below [PodSecurityApps] and warns, at every
// apply, about pods below [PodSecurityOwn]. "latest" is the policy of the
// cluster's own version, so an upgraded cluster applies its newer checks.
func podSecurityLabels() map[string]string {
	return map[string]string{
		LabelPodSecurityEnforce:        PodSecurityApps,
		LabelPodSecurityEnforceVersion: "latest",
		LabelPodSecurityWarn:           PodSecurityOwn,
		LabelPodSecurityWarnVersion:    "latest",
	}
}
