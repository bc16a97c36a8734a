package leftovers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"prenv.dev/prenv/spec"
)

// ErrKindNotServed is returned, wrapped, by [Cluster].List when the cluster
// does not serve the kind (its CRD is not installed): it then holds none of
// those objects, and [Find] lists the kind in [Report].Skipped.
var ErrKindNotServed = errors.New("the cluster does not serve this kind")

// Object is what [Find] needs of a Kubernetes object.
type Object struct {
	Kind              spec.GroupKind
	Namespace         string
	Name              string
	Labels            map[string]string
	Annotations       map[string]string
	CreationTimestamp time.Time
}

// Cluster reads a Kubernetes cluster.
type Cluster interface {
	// List returns every object of the kind that matches the label
	// selector (in the syntax of metav1.ListOptions.LabelSelector; "" is
	// every object), in all namespaces. A kind the cluster does not serve
	// gives an error wrapping [ErrKindNotServed].
	List(ctx context.Context, kind spec.GroupKind, selector string) ([]Object, error)
}

// GroupArgoCD is the API group of Argo CD's Application.
const GroupArgoCD = "argoproj.io"

// Kinds returns the kinds [Find] lists in a cluster, in the order it lists
// them: the Namespace, the ACK kinds prenv renders, and Argo CD's
// Application (the Applications of prenv's ApplicationSets carry the same
// labels as the env's objects). Each call returns a new slice.
func Kinds() []spec.GroupKind {
	return []spec.GroupKind{
		{Kind: "Namespace"},
		{Group: spec.GroupIAM, Kind: "Policy"},
		{Group: spec.GroupIAM, Kind: "Role"},
		{Group: spec.GroupDynamoDB, Kind: "Table"},
		{Group: spec.GroupSQS, Kind: "Queue"},
		{Group: spec.GroupS3, Kind: "Bucket"},
		{Group: spec.GroupEKS, Kind: "PodIdentityAssociation"},
		{Group: GroupArgoCD, Kind: "Application"},
	}
}

// Selector is the label selector of the objects of a PR env: prenv manages
// them and they name their pull request (an ApplicationSet or AppProject
// has no PR label and is not selected).
const Selector = spec.LabelManagedBy + "=" + spec.ManagedByValue + "," + spec.LabelPR

// kindString is Kind[.group].
func kindString(k spec.GroupKind) string {
	if k.Group == "" {
		return k.Kind
	}
	return k.Kind + "." + k.Group
}

// cluster finds the cluster's leftovers and returns the names of all its
// Namespaces (nil when they could not be listed).
func (f *finder) cluster(ctx context.Context, c Cluster, rep *Report) map[string]bool {
	var namespaces map[string]bool
	type found struct {
		obj    Object
		pr     int
		reason Reason
		detail string
	}
	var objs []found
	expired := map[string]string{} // env → why
	for _, k := range Kinds() {
		selector := Selector
		if k.Group == "" && k.Kind == "Namespace" {
			// Every Namespace: their names are the envs that exist.
			selector = ""
		}
		list, err := c.List(ctx, k, selector)
		switch {
		case errorsIsNotServed(err):
			rep.Skipped = append(rep.Skipped, kindString(k))
			continue
		case err != nil:
			rep.Failures = append(rep.Failures, &SourceError{Source: SourceCluster, What: kindString(k), Err: err})
			continue
		}
		if selector == "" {
			namespaces = map[string]bool{}
		}
		for _, o := range list {
			if selector == "" {
				namespaces[o.Name] = true
				if o.Labels[spec.LabelManagedBy] != spec.ManagedByValue {
					continue
				}
				if _, ok := o.Labels[spec.LabelPR]; !ok {
					continue
				}
			}
			l := o.Labels
			pr, ours, reason, detail := f.verdict(l[spec.LabelApp], l[spec.LabelPR], l[spec.LabelEnv])
			if !ours {
				continue
			}
			rep.Checked[SourceCluster]++
			if reason == "" && selector == "" {
				if why := ttlExpired(o, f.opts.Now); why != "" {
					expired[l[spec.LabelEnv]] = why
				}
			}
			objs = append(objs, found{obj: o, pr: pr, reason: reason, detail: detail})
		}
	}
	for _, fo := range objs {
		env := fo.obj.Labels[spec.LabelEnv]
		if fo.reason == "" {
			why, ok := expired[env]
			if !ok {
				continue
			}
			fo.reason, fo.detail = ReasonTTLExpired, why
		}
		rep.Leftovers = append(rep.Leftovers, Leftover{
			Source: SourceCluster, Kind: kindString(fo.obj.Kind), Namespace: fo.obj.Namespace, Name: fo.obj.Name,
			Env: env, PR: fo.pr, App: fo.obj.Labels[spec.LabelApp], Reason: fo.reason, Detail: fo.detail,
		})
	}
	return namespaces
}

// ttlExpired says why the Namespace o has expired at now, or "" when it
// has not or has no [AnnotationTTL]. An annotation that is not a positive
// Go duration is ignored: prenv's spec check refuses such a TTL.
func ttlExpired(o Object, now time.Time) string {
	v, ok := o.Annotations[AnnotationTTL]
	if !ok || o.CreationTimestamp.IsZero() {
		return ""
	}
	ttl, err := time.ParseDuration(v)
	if err != nil || ttl <= 0 {
		return ""
	}
	end := o.CreationTimestamp.Add(ttl)
	if end.Before(now) {
		return fmt.Sprintf("the env's Namespace was created at %s with a TTL of %s: it expired at %s",
			o.CreationTimestamp.UTC().Format(time.RFC3339), v, end.UTC().Format(time.RFC3339))
	}
	return ""
}
