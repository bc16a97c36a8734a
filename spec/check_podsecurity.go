package spec

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PodSecurityLabelPrefix is the prefix of Pod Security Admission's namespace
// labels, pod-security.kubernetes.io/<MODE> and <MODE>-version (Kubernetes
// docs, "Pod Security Admission").
const PodSecurityLabelPrefix = "pod-security.kubernetes.io/"

// checkPodSecurityLabels refuses Pod Security Admission labels in labels
// (spec.labels, which go on the env's Namespace too): the level the
// Namespace enforces is prenv's, and a pull request must not lower it to
// privileged, where pods may reach the node and every env on it.
func checkPodSecurityLabels(labels map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		if strings.HasPrefix(k, PodSecurityLabelPrefix) {
			errs = append(errs, field.Forbidden(p.Key(k), "sets the env Namespace's Pod Security Admission level, which prenv sets itself (enforce baseline); a spec may not lower it"))
		}
	}
	return errs
}
