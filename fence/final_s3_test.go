package fence_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/spec"
)

// TestCheckObjectsBucketsAndPodIdentity edits the final objects of the
// pod-identity-s3 example as a kustomize patch or an added template would,
// and expects exactly the problems listed (object, field path and the whole
// message).
func TestCheckObjectsBucketsAndPodIdentity(t *testing.T) {
	const (
		bucket = "s3.services.k8s.aws/Bucket/test-123-media/uploads"
		assoc  = "eks.services.k8s.aws/PodIdentityAssociation/test-123-media/media"
		sa     = "ServiceAccount/test-123-media/media"
		job    = "batch/Job/test-123-media/media-s3-empty"
	)
	find := func(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
		for _, o := range objs {
			if o.GetKind() == kind && o.GetName() == name {
				return o
			}
		}
		t.Fatalf("no %s %s", kind, name)
		return nil
	}
	drop := func(objs []*unstructured.Unstructured, kind, name string) []*unstructured.Unstructured {
		out := objs[:0]
		for _, o := range objs {
			if o.GetKind() != kind || o.GetName() != name {
				out = append(out, o)
			}
		}
		return out
	}
	retain := func(t *testing.T, objs []*unstructured.Unstructured, kind, name string) []*unstructured.Unstructured {
		o := find(t, objs, kind, name)
		a := o.GetAnnotations()
		a[spec.AnnotationDeletion] = "retain"
		o.SetAnnotations(a)
		return objs
	}
	clone := func(t *testing.T, objs []*unstructured.Unstructured, kind, name, newName string) []*unstructured.Unstructured {
		c := find(t, objs, kind, name).DeepCopy()
		c.SetName(newName)
		return append(objs, c)
	}
	tests := map[string]struct {
		edit func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured
		want []string // ObjectError.Error() of each problem, in order
	}{
		"unchanged": {func(_ *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured { return objs }, nil},
		"a bucket policy": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "Bucket", "uploads").Object, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, "spec", "policy")
			return objs
		}, []string{bucket + ": spec.policy: Forbidden: prenv does not set it: the env's buckets are exactly as spec.s3.buckets renders them: private, encrypted, expiring, with the env's tags"}},
		"public access unblocked": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "Bucket", "uploads").Object, false, "spec", "publicAccessBlock", "restrictPublicBuckets")
			return objs
		}, []string{bucket + `: spec.publicAccessBlock: Invalid value: must be {"blockPublicACLs":true,"blockPublicPolicy":true,"ignorePublicACLs":true,"restrictPublicBuckets":true} as prenv renders it: the env's buckets are exactly as spec.s3.buckets renders them: private, encrypted, expiring, with the env's tags`}},
		"versioning turned on": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "Bucket", "uploads").Object, "Enabled", "spec", "versioning", "status")
			return objs
		}, []string{bucket + ": spec.versioning: Forbidden: prenv does not set it: the env's buckets are exactly as spec.s3.buckets renders them: private, encrypted, expiring, with the env's tags"}},
		"another env's bucket name": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "Bucket", "uploads").Object, "test-5-media-uploads--aaaaaaaaaaaaaaaaaaaaaaaaaa", "spec", "name")
			return objs
		}, []string{bucket + `: spec.name: Invalid value: must be "test-123-media-uploads--jwgoixwfxsdn3yj6f6gqjus3pa" as prenv renders it: the env's buckets are exactly as spec.s3.buckets renders them: private, encrypted, expiring, with the env's tags`}},
		"retained by annotation": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			return retain(t, objs, "Bucket", "uploads")
		}, []string{bucket + `: metadata.annotations[services.k8s.aws/deletion-policy]: Invalid value: "retain": must be "delete" as prenv renders it: ACK reads it to decide where and whether it creates, adopts or deletes the AWS resource (spec.aws.region, spec.deletionPolicy)`}},
		"a bucket not in the spec": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			return clone(t, objs, "Bucket", "uploads", "exfil")
		}, []string{"s3.services.k8s.aws/Bucket/test-123-media/exfil: metadata.name: Forbidden: is not one of the env's S3 Buckets; buckets come from spec.s3.buckets only"}},
		"a bucket removed": {func(_ *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			return drop(objs, "Bucket", "uploads")
		}, []string{bucket + ": metadata.name: Required value: the env's object is missing: it was renamed, moved or removed, but the ConfigMap and the env's policy name it; names, namespace and prefixes must stay as prenv renders them"}},
		"a second association": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			return clone(t, objs, "PodIdentityAssociation", "media", "admin")
		}, []string{"eks.services.k8s.aws/PodIdentityAssociation/test-123-media/admin: metadata.name: Forbidden: the env has exactly one PodIdentityAssociation, media in test-123-media; EKS allows one per ServiceAccount, and another would give pods a role prenv did not check"}},
		"an association to another role": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "PodIdentityAssociation", "media").Object, "arn:aws:iam::123456789012:role/admin", "spec", "roleARN")
			return objs
		}, []string{assoc + `: spec.roleARN: Invalid value: must be "arn:aws:iam::123456789012:role/test-123-media" as prenv renders it: the association gives exactly the env's ServiceAccount the env's role in spec.aws.clusterName`}},
		"a target role": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "PodIdentityAssociation", "media").Object, "arn:aws:iam::210987654321:role/admin", "spec", "targetRoleARN")
			return objs
		}, []string{assoc + ": spec.targetRoleARN: Forbidden: prenv does not set it: the association gives exactly the env's ServiceAccount the env's role in spec.aws.clusterName"}},
		"the association kept": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			return retain(t, objs, "PodIdentityAssociation", "media")
		}, []string{assoc + `: metadata.annotations[services.k8s.aws/deletion-policy]: Invalid value: "retain": must be "delete" as prenv renders it: ACK reads it to decide where and whether it creates, adopts or deletes the AWS resource (spec.aws.region, spec.deletionPolicy)`}},
		"an IRSA role ARN beside Pod Identity": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			s := find(t, objs, "ServiceAccount", "media")
			s.SetAnnotations(map[string]string{"argocd.argoproj.io/sync-wave": "-1", spec.AnnotationRoleARN: "arn:aws:iam::123456789012:role/test-123-media"})
			return objs
		}, []string{sa + ": metadata.annotations[eks.amazonaws.com/role-arn]: Forbidden: with identity podIdentity the env's role trusts EKS Pod Identity only; an IRSA role ARN would give the pods web-identity credentials first (AWS SDKs' credential chain), which the role does not trust"}},
		"a trust policy for any association": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "Role", "media").Object, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, "spec", "assumeRolePolicyDocument")
			return objs
		}, []string{`iam.services.k8s.aws/Role/test-123-media/media: spec.assumeRolePolicyDocument: Invalid value: must be the trust policy prenv renders, which lets EKS Pod Identity (pods.eks.amazonaws.com) assume the role for exactly the ServiceAccount test-123-media/media of cluster arn:aws:eks:eu-west-1:123456789012:cluster/previews; it differs: Statement[0].Condition: removed`}},
		"the emptying Job no longer a hook": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			j := find(t, objs, "Job", "media-s3-empty")
			ann := j.GetAnnotations()
			delete(ann, "argocd.argoproj.io/hook")
			j.SetAnnotations(ann)
			return objs
		}, []string{job + `: metadata.annotations[argocd.argoproj.io/hook]: Required value: "PreDelete" as prenv renders it: it decides whether the object is a resource of the env or a hook Argo CD runs and deletes, or skips: a resource made a hook is gone after the sync, a hook made a resource no longer runs when it must`}},
		"the emptying Job runs other code": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			o := find(t, objs, "Job", "media-s3-empty")
			unstructured.SetNestedStringSlice(o.Object, []string{"sleep", "infinity"}, "spec", "template", "spec", "containers", "0", "command")
			containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
			c := containers[0].(map[string]any)
			c["command"] = []any{"sleep"}
			c["args"] = []any{"infinity"}
			c["image"] = "attacker.example/sleeper:1"
			unstructured.SetNestedSlice(o.Object, containers, "spec", "template", "spec", "containers")
			unstructured.SetNestedField(o.Object, int64(1000), "spec", "backoffLimit")
			return objs
		}, []string{
			job + ": spec.backoffLimit: Invalid value: must be 2 as prenv renders it: " + bucketsEmptyWhy,
			job + ": spec.template.spec.containers[0].args: Invalid value: must be as prenv renders it: " + bucketsEmptyWhy,
			job + ": spec.template.spec.containers[0].command: Invalid value: must be as prenv renders it: " + bucketsEmptyWhy,
			job + `: spec.template.spec.containers[0].image: Invalid value: "attacker.example/sleeper:1": must be "public.ecr.aws/aws-cli/aws-cli:2.27.0" as prenv renders it: ` + bucketsEmptyWhy,
		}},
		"the emptying Job under another ServiceAccount": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "Job", "media-s3-empty").Object, "default", "spec", "template", "spec", "serviceAccountName")
			return objs
		}, []string{job + `: spec.template.spec.serviceAccountName: Invalid value: "default": must be "media" as prenv renders it: ` + bucketsEmptyWhy}},
		"the emptying Job with a deadline": {func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			unstructured.SetNestedField(find(t, objs, "Job", "media-s3-empty").Object, int64(1), "spec", "activeDeadlineSeconds")
			return objs
		}, []string{job + ": spec.activeDeadlineSeconds: Forbidden: prenv does not set it: " + bucketsEmptyWhy}},
		"the emptying Job removed": {func(_ *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			return drop(objs, "Job", "media-s3-empty")
		}, []string{job + ": metadata.name: Required value: the env's object is missing: it was renamed, moved or removed, but it empties the env's buckets before Argo CD deletes them; names, namespace and prefixes must stay as prenv renders them"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env, m, objs := finalObjects(t, "pod-identity-s3", "", false, "")
			objs = tc.edit(t, objs)
			var got []string
			for _, p := range fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)}) {
				got = append(got, p.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// bucketsEmptyWhy ends every problem of the emptying Job's spec.
const bucketsEmptyWhy = "the emptying Job is the env's PreDelete hook, run as the env's ServiceAccount: Argo CD deletes nothing of the env until it has succeeded, so another image, script, ServiceAccount or deadline would run the pull request's code at deletion, or keep the env, its role and its pods after the pull request closes; mirror its image in the cluster's registry configuration"

// TestCheckObjectsAssociationWithIRSA: with identity irsa no
// PodIdentityAssociation is allowed, even when spec.argocd.appResources
// lists the kind.
func TestCheckObjectsAssociationWithIRSA(t *testing.T) {
	env, m, objs := finalObjects(t, "web", "", false, "")
	a := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "eks.services.k8s.aws/v1alpha1", "kind": "PodIdentityAssociation",
		"metadata": map[string]any{"name": "web", "namespace": "test-123-web"},
		"spec":     map[string]any{"clusterName": "previews", "namespace": "test-123-web", "serviceAccount": "web", "roleARN": "arn:aws:iam::123456789012:role/admin"},
	}}
	kinds := append(spec.AppKinds(env), spec.GroupKind{Group: spec.GroupEKS, Kind: "PodIdentityAssociation"})
	got := fence.CheckObjects(m, append(objs, a), fence.ObjectRules{AppKinds: kinds})
	want := "eks.services.k8s.aws/PodIdentityAssociation/test-123-web/web: metadata.name: Forbidden: the env has no PodIdentityAssociation with identity irsa"
	if len(got) != 1 || got[0].Error() != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}
