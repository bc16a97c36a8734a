package fence

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/kuberules"
	"prenv.dev/prenv/plan"
)

// defaultServiceAccount is the ServiceAccount a pod runs as when its spec
// names none (Kubernetes docs, "Configure Service Accounts for Pods").
const defaultServiceAccount = "default"

// podIdentity keeps the app's pods on the env's identity: when the env has
// AWS permissions (a policy of its own or a managed policy attached to its
// Role), every pod of the app runs as the env's ServiceAccount, the only one
// whose tokens the Role trusts and the only one the EKS pod identity webhook
// gives the role's credentials (IRSA). A pod that names no ServiceAccount
// runs as "default", gets no AWS credentials, and every AWS call fails at
// run time. prenv's own database objects run with identities of their own;
// the emptying Job's ServiceAccount is kept with the rest of its spec.
//
// automountServiceAccountToken: false is no fault: the webhook mounts a
// projected token of its own (audience sts.amazonaws.com, volume
// aws-iam-token), which does not depend on the API token the setting
// leaves out (aws/amazon-eks-pod-identity-webhook README).
//
// The label [plan.LabelKubeAPIClient], which the NetworkPolicy
// [plan.NetworkPolicyKubeAPI] lets reach the Kubernetes API, stays on the
// password Job's pods, and on no other pod: the app's pods reach what
// spec.networkPolicy.egress allows, no more.
func (c *objectChecker) podIdentity(o *unstructured.Unstructured, ref ObjectRef) {
	m := c.m
	// A workload that does not convert to the typed API is the validate
	// stage's to report.
	pods, _ := kuberules.PodTemplates(o)
	writer := m.DatabaseSecrets != nil && ref == c.own(kindJob, m.DatabaseSecrets.Name)
	for _, pod := range pods {
		p := podMetaPath(pod).Child("labels").Key(plan.LabelKubeAPIClient)
		v, has := pod.Meta.Labels[plan.LabelKubeAPIClient]
		switch {
		case writer && v != "true":
			c.add(ref, field.Required(p, fmt.Sprintf("\"true\": the NetworkPolicy %s lets the password Job's pods reach the Kubernetes API by this label", plan.NetworkPolicyKubeAPI)))
		case !writer && has:
			c.add(ref, field.Forbidden(p, fmt.Sprintf("only prenv's password Job's pods reach the Kubernetes API through the NetworkPolicy %s; the app's pods reach what spec.networkPolicy.egress allows", plan.NetworkPolicyKubeAPI)))
		}
	}
	if len(m.Policies) == 0 && len(m.Role.PolicyARNs) == 0 {
		return
	}
	if _, own := c.databaseObjects()[ref]; own {
		return
	}
	if e := m.BucketsEmpty; e != nil && ref == c.own(kindJob, e.Name) {
		return // its whole spec is prenv's (bucketsEmptyJob)
	}
	want := m.ServiceAccount.Name
	way := fmt.Sprintf("set serviceAccountName: %s ({{ .Values.prenv.serviceAccountName }} in an app chart, {{ .Values.serviceAccount.name }} in a template of the kit)", want)
	for _, pod := range pods {
		p := pod.Path.Child("serviceAccountName")
		switch got := pod.Spec.ServiceAccountName; got {
		case want:
		case "":
			c.add(ref, field.Required(p, fmt.Sprintf("the env has AWS resources, and only pods that run as its ServiceAccount %q get AWS credentials (IRSA): these pods would run as %q and every AWS call would fail; %s", want, defaultServiceAccount, way)))
		default:
			c.add(ref, field.Invalid(p, got, fmt.Sprintf("must be the env's ServiceAccount %q: the env has AWS resources, and only pods that run as it get AWS credentials (IRSA); %s", want, way)))
		}
	}
}

// podMetaPath is the path of a pod template's metadata, which sits beside
// its spec.
func podMetaPath(pod kuberules.PodTemplate) *field.Path {
	return field.NewPath(strings.TrimSuffix(pod.Path.String(), "spec") + "metadata")
}
