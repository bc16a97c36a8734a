package fence

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/internal/kinds"
	"prenv.dev/prenv/plan"
)

// bucketsAndPodIdentity checks o when it is, or claims to be, one of the
// env's S3 Buckets, its PodIdentityAssociation, or the Job that empties
// the buckets, and marks it found:
//
// Buckets are exactly m's, by object name, with m's ACK annotations and a
// spec equal to prenv's ([plan.BucketSpec]): its AWS name, public access
// blocked, ACLs off, encryption, lifecycle and tags, and nothing else (no
// bucket policy, ACL grants, versioning, replication, notifications,
// logging or website: each could expose the env's objects or keep the
// bucket from being emptied).
//
// The PodIdentityAssociation exists only with identity podIdentity and is
// exactly m's: its cluster, the env's namespace and ServiceAccount, the
// env's role by ARN, m's tags, ACK annotations that always delete it, and
// no other field (a target role, a session policy, disabled session tags,
// references instead of the names). No other association is allowed: EKS
// allows one per ServiceAccount, and another would give the env's pods
// (or another ServiceAccount) a role prenv did not check.
//
// The Job that empties the buckets is exactly prenv's: a PreDelete hook
// that runs prenv's script as the env's ServiceAccount and always ends.
func (c *objectChecker) bucketsAndPodIdentity(o *unstructured.Unstructured, ref ObjectRef) {
	m := c.m
	switch ref.GroupKind {
	case kinds.Bucket:
		i := slices.IndexFunc(m.Buckets, func(b plan.BucketModel) bool { return ref == c.own(kinds.Bucket, b.ObjectName) })
		if i < 0 {
			c.add(ref, field.Forbidden(field.NewPath("metadata", "name"), "is not one of the env's S3 Buckets; buckets come from spec.s3.buckets only"))
			return
		}
		c.found[ref] = true
		c.ackAnnotations(o, ref, m.Buckets[i].Annotations)
		c.specFields(o, ref, plan.BucketSpec(m, m.Buckets[i]), "the env's buckets are exactly as spec.s3.buckets renders them: private, encrypted, expiring, with the env's tags")
	case kinds.PodIdentity:
		pm := m.PodIdentity
		if pm == nil || ref != c.own(kinds.PodIdentity, pm.ObjectName) {
			detail := "the env has no PodIdentityAssociation with identity irsa"
			if pm != nil {
				detail = fmt.Sprintf("the env has exactly one PodIdentityAssociation, %s in %s; EKS allows one per ServiceAccount, and another would give pods a role prenv did not check", pm.ObjectName, m.Namespace)
			}
			c.add(ref, field.Forbidden(field.NewPath("metadata", "name"), detail))
			return
		}
		c.found[ref] = true
		c.ackAnnotations(o, ref, pm.Annotations)
		c.tags(o, ref)
		want := map[string]any{"clusterName": pm.ClusterName, "namespace": pm.Namespace, "serviceAccount": pm.ServiceAccount, "roleARN": pm.RoleARN}
		if t, ok, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "tags"); ok {
			want["tags"] = t // checked by tags above
		}
		c.specFields(o, ref, want, "the association gives exactly the env's ServiceAccount the env's role in spec.aws.clusterName")
	case kindJob:
		if e := m.BucketsEmpty; e != nil && ref == c.own(kindJob, e.Name) {
			c.found[ref] = true
			c.bucketsEmptyJob(o, ref)
		}
	}
}

// bucketsEmptyJob keeps the emptying Job's spec exactly prenv's, but for
// its pod template's labels and annotations (see [jobSpecBody]); its
// PreDelete hook annotations are prenv's life-cycle metadata, which
// ownMetadata keeps as rendered for every own object.
func (c *objectChecker) bucketsEmptyJob(o *unstructured.Unstructured, ref ObjectRef) {
	if own, ok := c.ownObjects()[ref]; ok && own != o {
		c.sameTree(ref, field.NewPath("spec"), jobSpecBody(o), jobSpecBody(own), bucketsEmptyWhy)
	}
}

// bucketsEmptyWhy says why the emptying Job's spec stays prenv's.
const bucketsEmptyWhy = "the emptying Job is the env's PreDelete hook, run as the env's ServiceAccount: Argo CD deletes nothing of the env until it has succeeded, so another image, script, ServiceAccount or deadline would run the pull request's code at deletion, or keep the env, its role and its pods after the pull request closes; mirror its image in the cluster's registry configuration"

// specFields compares every field of o's spec with want: a field want
// lacks is forbidden, a field it has must be equal (compared as JSON).
func (c *objectChecker) specFields(o *unstructured.Unstructured, ref ObjectRef, want map[string]any, why string) {
	got, _, _ := unstructured.NestedMap(o.Object, "spec")
	keys := slices.Sorted(maps.Keys(want))
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		p := field.NewPath("spec", k)
		g, has := got[k]
		w, wanted := want[k]
		switch {
		case !wanted:
			c.add(ref, field.Forbidden(p, "prenv does not set it: "+why))
		case !has:
			c.add(ref, field.Required(p, "as prenv renders it: "+why))
		case !reflect.DeepEqual(normJSON(g), normJSON(w)):
			b, _ := json.Marshal(w)
			c.add(ref, field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("must be %s as prenv renders it: %s", b, why)))
		}
	}
}

// missingBucketsAndPodIdentity reports the env's buckets, association and
// emptying Job that are not in the final set.
func (c *objectChecker) missingBucketsAndPodIdentity() {
	m := c.m
	type want struct {
		ref ObjectRef
		why string
	}
	var wants []want
	for _, b := range m.Buckets {
		wants = append(wants, want{c.own(kinds.Bucket, b.ObjectName), "the ConfigMap and the env's policy name it"})
	}
	if m.PodIdentity != nil {
		wants = append(wants, want{c.own(kinds.PodIdentity, m.PodIdentity.ObjectName), "it gives the env's ServiceAccount the env's role (identity podIdentity)"})
	}
	if m.BucketsEmpty != nil {
		wants = append(wants, want{c.own(kindJob, m.BucketsEmpty.Name), "it empties the env's buckets before Argo CD deletes them"})
	}
	for _, w := range wants {
		if !c.found[w.ref] {
			c.add(w.ref, field.Required(field.NewPath("metadata", "name"), "the env's object is missing: it was renamed, moved or removed, but "+w.why+"; names, namespace and prefixes must stay as prenv renders them"))
		}
	}
}
