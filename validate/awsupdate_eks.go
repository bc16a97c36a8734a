package validate

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// podIdentityKind is ACK's EKS Pod Identity association (eks-controller
// v1.20.0). Its upstream CRD carries no immutability rules: the
// controller refuses the changes below itself.
var podIdentityKind = schema.GroupKind{Group: "eks.services.k8s.aws", Kind: "PodIdentityAssociation"}

// podIdentityUpdateErrors checks an EKS Pod Identity association update.
// EKS's UpdatePodIdentityAssociation changes only the role, the target
// role, the session policy and disableSessionTags (Amazon EKS API
// Reference, UpdatePodIdentityAssociation); the cluster, namespace and
// ServiceAccount are fixed at creation, and ACK's eks-controller marks
// them immutable ("Immutable Spec fields have been modified", a terminal
// condition), so the association stays as it was.
func podIdentityUpdateErrors(p *field.Path, spec, old map[string]interface{}) field.ErrorList {
	var errs field.ErrorList
	for _, k := range []string{"clusterName", "namespace", "serviceAccount"} {
		if o, n := str(old, k), str(spec, k); o != "" && o != n {
			errs = append(errs, field.Forbidden(p.Child(k), fmt.Sprintf(
				"EKS fixes an association's cluster, namespace and ServiceAccount at creation (%s %q before, %q now) and the ACK controller refuses the change (a terminal condition); the env's pods would keep the old association. Keep %q for this pull request: close it and open a new one, whose env gets a new association",
				k, o, n, o)))
		}
	}
	return errs
}

// trustPrincipal is the kind of principal a role's trust policy trusts:
// "Federated" (IRSA, the cluster's OIDC provider) or "Service" (EKS Pod
// Identity), from the first statement that names one.
func trustPrincipal(role map[string]interface{}) string {
	var doc struct {
		Statement []struct {
			Principal map[string]any
		}
	}
	if json.Unmarshal([]byte(str(role, "assumeRolePolicyDocument")), &doc) != nil {
		return ""
	}
	for _, st := range doc.Statement {
		for _, k := range []string{"Federated", "Service"} {
			if _, ok := st.Principal[k]; ok {
				return k
			}
		}
	}
	return ""
}

// identitySwitchErrors refuses an update of a role's trust policy from
// IRSA to EKS Pod Identity or back (spec.identity changed for an open pull
// request). The credentials of a pod are set up when the pod is created
// (the EKS pod identity webhook injects IRSA's token or Pod Identity's
// credentials endpoint), and Argo CD does not recreate the app's pods
// when only the role changes: the running pods keep asking for
// credentials the role no longer trusts, and fail with AccessDenied once
// their current ones expire.
func identitySwitchErrors(p *field.Path, spec, old map[string]interface{}) field.ErrorList {
	o, n := trustPrincipal(old), trustPrincipal(spec)
	if o == "" || n == "" || o == n {
		return nil
	}
	mode := map[string]string{"Federated": "irsa", "Service": "podIdentity"}
	return field.ErrorList{field.Forbidden(p.Child("assumeRolePolicyDocument"), fmt.Sprintf(
		"this update switches the env's identity from %s to %s: the role then no longer trusts the credentials the env's running pods were created with (their credentials setup is fixed when a pod is created, and Argo CD does not recreate pods for a role change), so they fail with AccessDenied when their credentials expire; merge the change of spec.identity to the base branch so that new pull requests get it, and keep this one's envs as they are (or close and reopen the pull request)",
		mode[o], mode[n]))}
}
