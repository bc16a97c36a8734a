package fence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psaapi "k8s.io/pod-security-admission/api"
	"prenv.dev/prenv/internal/kinds"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// Annotation and label prefixes whose keys change what a controller does
// with an object.
const (
	// ackAnnotationPrefix is the ACK runtime's prefix: region,
	// deletion-policy, adoption-policy, adoption-fields, owner-account-id
	// (cross-account management), ... (aws-controllers-k8s/runtime:
	// apis/core/v1alpha1/annotations.go).
	ackAnnotationPrefix = "services.k8s.aws/"
	// eksAnnotationPrefix is read by the EKS pod identity webhook on a
	// ServiceAccount: role-arn, audience, token-expiration,
	// sts-regional-endpoints (aws/amazon-eks-pod-identity-webhook README).
	eksAnnotationPrefix = "eks.amazonaws.com/"
)

// ObjectRef names one object: its API group and kind, namespace and name.
type ObjectRef struct {
	spec.GroupKind
	Namespace string
	Name      string
}

// RefOf returns the reference of u.
func RefOf(u *unstructured.Unstructured) ObjectRef {
	if u == nil {
		return ObjectRef{}
	}
	return ObjectRef{
		GroupKind: spec.GroupKind{Group: u.GroupVersionKind().Group, Kind: u.GetKind()},
		Namespace: u.GetNamespace(),
		Name:      u.GetName(),
	}
}

// String is "[group/]Kind/[namespace/]name", as Argo CD names resources:
// "iam.services.k8s.aws/Role/test-123-web/web", "Namespace/kube-system",
// "rbac.authorization.k8s.io/ClusterRoleBinding/admin".
func (r ObjectRef) String() string {
	parts := make([]string, 0, 4)
	if r.Group != "" {
		parts = append(parts, r.Group)
	}
	parts = append(parts, r.Kind)
	if r.Namespace != "" {
		parts = append(parts, r.Namespace)
	}
	return strings.Join(append(parts, r.Name), "/")
}

// ObjectError is one problem of one object of the final set: the object,
// and the problem at a path inside it (for example
// "spec.assumeRolePolicyDocument").
type ObjectError struct {
	Object ObjectRef
	Err    *field.Error
}

func (e *ObjectError) Error() string {
	if e.Err == nil {
		return e.Object.String() + ": (no problem recorded)"
	}
	return e.Object.String() + ": " + e.Err.Error()
}

func (e *ObjectError) Unwrap() error { return e.Err }

// ObjectRules tune [CheckObjects].
type ObjectRules struct {
	// AppKinds are the namespaced kinds allowed for the app's own objects
	// besides the env's own ([plan.EnvKinds]), as the AppProject allows them.
	// nil means [spec.DefaultAppResources]; an empty list allows none. [spec.AppKinds]
	// returns the spec's.
	AppKinds []spec.GroupKind
	// Own are prenv's own objects of the model as prenv's embedded kit
	// renders them ([OwnObjects]): the final objects of the same
	// references keep their life-cycle annotations and prenv.dev/ labels,
	// a Table's and a Queue's spec, and their pods meet Pod Security
	// restricted. nil: CheckObjects renders them itself. An object of the
	// final objects may be its own entry of Own (the same pointer, when
	// nothing changed the embedded kit's objects): it is not compared with
	// itself.
	Own []*unstructured.Unstructured
}

// CheckObjects checks the final objects of m's env, after user templates,
// an app chart or a kustomization have shaped them, and returns every
// problem, each naming the object and a path inside it (nil when there is
// none). prenv's own render of m passes. The rules:
//
// Identity. The Namespace m.Namespace, the ServiceAccount and the ConfigMap
// exist with m's names in m.Namespace. The ServiceAccount's
// eks.amazonaws.com/role-arn is m.Role.ARN and its other eks.amazonaws.com/
// annotations are m's. (The ConfigMap's data is the app's to shape.) There is
// exactly one IAM Role, m.Role.ObjectName, with m's role name and path "/";
// its trust policy (spec.assumeRolePolicyDocument) is semantically equal to
// m.Role.TrustPolicy, so it trusts exactly the env's ServiceAccount
// (system:serviceaccount:<namespace>:<name>, aud sts.amazonaws.com); it
// attaches exactly m's managed policy ARNs (spec.policies) and m's Policy
// objects (spec.policyRefs, in the env's namespace), no inline policies
// (spec.inlinePolicies), m's permissions boundary and no
// permissionsBoundaryRef, and carries m's tags, which IAM evaluates as
// aws:PrincipalTag.
//
// Policies. The IAM Policy objects are exactly m's, by object name, each
// with m's policy name, path "/", and a document (spec.policyDocument)
// semantically equal to m's; a wildcard action or resource, or an Allow
// with NotAction or NotResource, that no statement of m's documents has is
// reported on its own. Tables and Queues are exactly m's, with m's AWS
// names, and without a resource-based policy (a Table's resourcePolicy, a
// Queue's policy or policyRef), which m never has.
//
// ACK. prenv's ACK objects carry m.ACKAnnotations and their own
// services.k8s.aws/ annotations of m (adoption with deletionPolicy retain)
// unchanged: the region decides where the resource is created, the
// deletion policy whether closing the PR deletes it, the adoption fields
// which existing resource ACK takes over. No other services.k8s.aws/
// annotation is allowed (owner-account-id would move the resource to
// another account).
//
// Bounds. The ResourceQuota, LimitRange and NetworkPolicies are exactly
// m's, by name, with m's specs (compared as the API types, so quantities
// compare by value); no other object of those kinds is allowed while m
// renders the kind. The Namespace keeps m's prenv.dev/ttl annotation (none
// when the spec has no ttl) and its prenv.dev/env label, which every env's
// NetworkPolicies exclude.
//
// Fence. Every object's kind is one of [plan.EnvKinds] or rules.AppKinds, the
// kinds the AppProject allows; any other kind is refused, whatever its
// scope, and cluster-scoped kinds ([spec.IsClusterScoped]) are refused even when
// listed. Namespaced objects
// are in m.Namespace: an object without namespace is refused, as kubectl and
// helm would put it in their current namespace ([WriteNamespaces] writes
// the env's first). An object with a top-level items list (kind List) is
// refused: Argo CD and kubectl unwrap it. The only cluster-scoped object is
// the Namespace m.Namespace, and it keeps exactly m's
// pod-security.kubernetes.io/ labels (m.NamespaceLabels). No two objects
// share a group, kind, namespace and name.
//
// Pods (podsecurity.go). Every pod template of a workload kind is checked
// with Pod Security Admission's own checks at their latest version: at
// Pod Security restricted for prenv's own pods, at baseline for the app's.
//
// The env's end (env_end.go). The app's objects are no deletion hooks and
// carry no finalizers, nor do the app's pod templates; no pod's
// terminationGracePeriodSeconds passes [MaxTerminationGracePeriodSeconds]:
// each would keep the env after its pull request closes.
//
// Services (services.go). No externalIPs, no type ExternalName; LoadBalancer
// and NodePort Services only within the ResourceQuota's
// services.loadbalancers and services.nodeports (none without a quota).
//
// Hostnames (hostnames.go, controllers.go). Ingress rules, TLS hosts,
// Gateway API routes' hostnames and Gateway listeners, and external-dns's
// hostname annotations name only m.Hostname or names under it; a rule,
// route or listener without one, an Ingress default backend and a
// TCPRoute or UDPRoute are refused. The AWS Load Balancer Controller's and
// ingress-nginx's annotations come from an allow list.
//
// prenv's own objects (ownmeta.go). The objects prenv's embedded kit renders
// for m (rules.Own) keep their Argo CD and Helm life-cycle annotations
// (hook, hook-delete-policy, sync-options, compare-options, sync-wave,
// helm.sh/hook*, helm.sh/resource-policy) and their prenv.dev/ and
// managed-by labels and annotations exactly, absent staying absent; a
// Table's and a Queue's spec stay exactly prenv's, compared as JSON. The
// app's objects carry prenv.dev/ labels and annotations only with the env's
// values.
//
// Semantic equality of policy documents: the JSON is parsed; a string and a
// one-element list are the same; Action, NotAction, Resource, NotResource,
// Principal and condition values are sets; actions compare in lower case
// (IAM: "The prefix and the action name are case insensitive", IAM JSON
// policy elements: Action); statement order and Sids do not count; anything
// else compares as written.
func CheckObjects(m *plan.Model, objs []*unstructured.Unstructured, rules ObjectRules) []*ObjectError {
	if m == nil {
		return []*ObjectError{{Err: field.Required(field.NewPath("model"), "no env model was given (nil): the final checks compare the objects with it")}}
	}
	c := &objectChecker{m: m, rules: rules, found: map[ObjectRef]bool{}}
	c.allowed = map[spec.GroupKind]bool{}
	for _, gk := range plan.EnvKinds(m) {
		c.allowed[gk] = true
	}
	appKinds := rules.AppKinds
	if appKinds == nil {
		appKinds = spec.DefaultAppResources()
	}
	for _, gk := range appKinds {
		c.allowed[gk] = true
	}
	seen := map[ObjectRef]bool{}
	for i, o := range objs {
		if o == nil || o.Object == nil {
			c.add(ObjectRef{}, field.Required(field.NewPath("objects").Index(i), "is nil: every object must be a Kubernetes object"))
			continue
		}
		ref := RefOf(o)
		if seen[ref] {
			c.add(ref, field.Duplicate(field.NewPath("metadata", "name"), ref.Name))
			continue
		}
		seen[ref] = true
		if c.items(o, ref) {
			continue
		}
		if c.fence(o, ref) {
			c.identity(o, ref)
			c.bucketsAndPodIdentity(o, ref)
			c.databases(o, ref)
			c.ownMetadata(o, ref)
			c.hosts(o, ref)
			c.podIdentity(o, ref)
			c.services(o, ref)
			c.podSecurity(o, ref)
			c.envEnds(o, ref)
		}
	}
	c.admission(objs)
	c.missing()
	c.missingBucketsAndPodIdentity()
	c.missingDatabases()
	return c.errs
}

type objectChecker struct {
	m       *plan.Model
	rules   ObjectRules
	allowed map[spec.GroupKind]bool
	// found are the env's own objects seen, by reference.
	found map[ObjectRef]bool
	errs  []*ObjectError
	// bounds caches boundsSpecs.
	bounds map[ObjectRef]boundSpec
	// ownCache caches ownObjects; podChecks caches the Pod Security checks
	// by level.
	ownCache      map[ObjectRef]*unstructured.Unstructured
	podCheckCache map[psaapi.Level][]podCheck
	// meta holds the annotations and labels of one object, metaOf, read
	// once (GetAnnotations and GetLabels copy them each time): see
	// annotations.
	metaOf             *unstructured.Unstructured
	metaAnn, metaLab   map[string]string
	metaHasAnnotations bool
	metaHasLabels      bool
}

// annotations returns o.GetAnnotations(), read once for the checks of o
// that follow one another: they only read the map, and nothing changes the
// objects while CheckObjects runs.
func (c *objectChecker) annotations(o *unstructured.Unstructured) map[string]string {
	c.metaFor(o)
	if !c.metaHasAnnotations {
		c.metaAnn, c.metaHasAnnotations = o.GetAnnotations(), true
	}
	return c.metaAnn
}

// labels returns o.GetLabels(), read once as annotations are.
func (c *objectChecker) labels(o *unstructured.Unstructured) map[string]string {
	c.metaFor(o)
	if !c.metaHasLabels {
		c.metaLab, c.metaHasLabels = o.GetLabels(), true
	}
	return c.metaLab
}

func (c *objectChecker) metaFor(o *unstructured.Unstructured) {
	if c.metaOf != o {
		c.metaOf, c.metaAnn, c.metaLab, c.metaHasAnnotations, c.metaHasLabels = o, nil, nil, false, false
	}
}

func (c *objectChecker) add(ref ObjectRef, errs ...*field.Error) {
	for _, e := range errs {
		c.errs = append(c.errs, &ObjectError{Object: ref, Err: e})
	}
}

// own returns the reference of the env's own object of kind gk called name.
func (c *objectChecker) own(gk spec.GroupKind, name string) ObjectRef {
	ns := c.m.Namespace
	if gk == kinds.Namespace {
		ns = ""
	}
	return ObjectRef{GroupKind: gk, Namespace: ns, Name: name}
}

// fence checks that o stays inside the env: an allowed kind, in the env's
// namespace, nothing cluster-scoped but the env's Namespace. It reports
// whether o is inside, so that the rules of the env's objects apply.
func (c *objectChecker) fence(o *unstructured.Unstructured, ref ObjectRef) bool {
	gk := ref.GroupKind
	kindPath := field.NewPath("kind")
	switch {
	case gk == kinds.Namespace:
		if ref.Name != c.m.Namespace {
			c.add(ref, field.Forbidden(field.NewPath("metadata", "name"), fmt.Sprintf("the only Namespace the env may render is its own, %s: a preview must not create or change any other namespace", c.m.Namespace)))
			return false
		}
		c.podSecurityLabels(o, ref)
	case spec.IsClusterScoped(gk):
		c.add(ref, field.Forbidden(kindPath, fmt.Sprintf("%s is cluster-scoped: a preview may only create objects in its own namespace %s (the Namespace itself aside)", kindName(gk), c.m.Namespace)))
		return false
	case !c.allowed[gk]:
		c.add(ref, field.Forbidden(kindPath, fmt.Sprintf("%s is not among the kinds the env's AppProject allows (%s); list the app's namespaced kinds in spec.argocd.appResources", kindName(gk), c.allowedList())))
		return false
	case ref.Namespace == "":
		c.add(ref, field.Required(field.NewPath("metadata", "namespace"), fmt.Sprintf("the env's namespace %s: kubectl and helm would put the object into their current namespace (fence.WriteNamespaces writes it)", c.m.Namespace)))
		return false
	case ref.Namespace != c.m.Namespace:
		c.add(ref, field.Forbidden(field.NewPath("metadata", "namespace"), fmt.Sprintf("must be the env's namespace %s: a preview may only create objects in its own namespace", c.m.Namespace)))
		return false
	}
	return true
}

func kindName(gk spec.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Kind + "." + gk.Group
}

func (c *objectChecker) allowedList() string {
	kinds := slices.SortedFunc(maps.Keys(c.allowed), spec.CompareGroupKind)
	names := make([]string, len(kinds))
	for i, gk := range kinds {
		names[i] = kindName(gk)
	}
	return strings.Join(names, ", ")
}

// podSecurityLabels keeps the env Namespace's Pod Security Admission
// labels exactly prenv's (m.NamespaceLabels): another level, or none,
// would let the app's pods escape to the node.
func (c *objectChecker) podSecurityLabels(o *unstructured.Unstructured, ref ObjectRef) {
	why := func(string) string {
		return "the env's Pod Security Admission labels are prenv's: the namespace enforces Pod Security baseline, so that no pod of the env reaches the node or other envs"
	}
	isPodSecurity := func(k string) bool { return strings.HasPrefix(k, spec.PodSecurityLabelPrefix) }
	c.keepKeys(ref, field.NewPath("metadata", "labels"), c.labels(o), c.m.NamespaceLabels, true, isPodSecurity, why)
	// The other labels, but prenv's (ownMetadata keeps them), are the
	// base branch's spec.labels.
	own, ok := c.ownObjects()[ref]
	if !ok || own == o {
		// An object compared with itself keeps its labels.
		return
	}
	other := func(k string) bool { return !isPodSecurity(k) && lifecycleWhy(k) == "" }
	c.keepKeys(ref, field.NewPath("metadata", "labels"), c.labels(o), own.GetLabels(), true, other, func(string) string {
		return "the env's Namespace has the labels of spec.labels alone: the cluster's NetworkPolicies, admission policies and service meshes select namespaces by label, so another label (team: payments) could let the env reach what another app's namespaces reach; set it in spec.labels on the base branch"
	})
}

// identity checks o when it is, or claims to be, one of the env's own
// objects.
func (c *objectChecker) identity(o *unstructured.Unstructured, ref ObjectRef) {
	m := c.m
	is := func(gk spec.GroupKind, name string) bool {
		if ref != c.own(gk, name) {
			return false
		}
		c.found[ref] = true
		return true
	}
	notOurs := func(detail string) {
		c.add(ref, field.Forbidden(field.NewPath("metadata", "name"), detail))
	}
	switch ref.GroupKind {
	case kinds.Namespace:
		if is(kinds.Namespace, m.Namespace) {
			// ACK reads services.k8s.aws/owner-account-id and
			// default-region on the namespace too: every ACK object in it
			// would then be created in another account or region.
			for _, k := range sortedKeysWithPrefix(c.annotations(o), ackAnnotationPrefix) {
				c.add(ref, field.Forbidden(field.NewPath("metadata", "annotations").Key(k), "ACK reads services.k8s.aws/ annotations of a namespace for every object in it (another account, another region); prenv sets none"))
			}
			c.namespaceBounds(o, ref)
		}
	case kinds.ServiceAccount:
		if is(kinds.ServiceAccount, m.ServiceAccount.Name) {
			c.serviceAccount(o, ref)
		}
	case kinds.ConfigMap:
		is(kinds.ConfigMap, m.ConfigMap.Name)
	case kinds.Role:
		if !is(kinds.Role, m.Role.ObjectName) {
			notOurs(fmt.Sprintf("the env has exactly one IAM Role, %s in %s; a second role, or the role renamed or moved, is not the identity prenv checked", m.Role.ObjectName, m.Namespace))
			return
		}
		c.ackAnnotations(o, ref, m.Role.Annotations)
		c.role(o, ref)
	case kinds.Policy:
		i := slices.IndexFunc(m.Policies, func(p plan.PolicyModel) bool { return is(kinds.Policy, p.ObjectName) })
		if i < 0 {
			notOurs(fmt.Sprintf("is not one of the env's IAM Policies (%s in %s); permissions come from spec.iam only", strings.Join(policyObjectNames(m), ", "), m.Namespace))
			return
		}
		c.ackAnnotations(o, ref, m.Policies[i].Annotations)
		c.policy(o, ref, m.Policies[i])
		c.tags(o, ref)
	case kinds.Table:
		i := slices.IndexFunc(m.Tables, func(t plan.TableModel) bool { return is(kinds.Table, t.ObjectName) })
		if i < 0 {
			notOurs("is not one of the env's DynamoDB Tables; tables come from spec.dynamodb.tables only")
			return
		}
		c.ackAnnotations(o, ref, m.Tables[i].Annotations)
		c.awsName(o, ref, "tableName", m.Tables[i].Name)
		c.absent(o, ref, "the env's policy grants the app access; a resource-based policy could grant anyone", "resourcePolicy")
		c.tags(o, ref)
		c.ownSpec(o, ref, "a Table's spec comes from spec.dynamodb.tables alone: replicas in other regions, another account's KMS key or deletion protection would take it out of the env (deletion protection would keep it when the PR closes)", "tableName", "resourcePolicy", "tags")
	case kinds.Queue:
		i := slices.IndexFunc(m.Queues, func(q plan.QueueModel) bool { return is(kinds.Queue, q.ObjectName) })
		if i < 0 {
			notOurs("is not one of the env's SQS Queues; queues come from spec.sqs.queues only")
			return
		}
		c.ackAnnotations(o, ref, m.Queues[i].Annotations)
		c.awsName(o, ref, "queueName", m.Queues[i].Name)
		c.absent(o, ref, "the env's policy grants the app access; a queue policy could grant anyone", "policy", "policyRef")
		c.tags(o, ref)
		c.ownSpec(o, ref, "the queue's attributes come from spec.sqs.queues, and the redrive policies fence the env's queues in", "queueName", "policy", "policyRef", "tags")
	case kinds.ResourceQuota, kinds.LimitRange, kinds.NetworkPolicy:
		if c.isBoundKind(ref.GroupKind) {
			c.bound(o, ref)
		}
	}
}

func policyObjectNames(m *plan.Model) []string {
	names := make([]string, len(m.Policies))
	for i, p := range m.Policies {
		names[i] = p.ObjectName
	}
	return names
}

// missing reports the env's own objects that are not in the final set.
func (c *objectChecker) missing() {
	m := c.m
	type want struct {
		ref ObjectRef
		why string
	}
	wants := []want{
		{c.own(kinds.Namespace, m.Namespace), "every object of the env lives in it"},
		{c.own(kinds.ServiceAccount, m.ServiceAccount.Name), "the Role trusts the ServiceAccount by namespace and name"},
		{c.own(kinds.ConfigMap, m.ConfigMap.Name), "the app finds its resources through the ConfigMap"},
	}
	for _, p := range m.Policies {
		wants = append(wants, want{c.own(kinds.Policy, p.ObjectName), "the Role attaches it by name"})
	}
	wants = append(wants, want{c.own(kinds.Role, m.Role.ObjectName), "the ServiceAccount assumes it"})
	for _, t := range m.Tables {
		wants = append(wants, want{c.own(kinds.Table, t.ObjectName), "the ConfigMap and the env's policy name it"})
	}
	for _, q := range m.Queues {
		wants = append(wants, want{c.own(kinds.Queue, q.ObjectName), "the ConfigMap and the env's policy name it"})
	}
	for _, ref := range c.boundsMissing() {
		wants = append(wants, want{ref, "it bounds the env (" + c.boundsSpecs()[ref].field + ")"})
	}
	for _, w := range wants {
		if !c.found[w.ref] {
			c.add(w.ref, field.Required(field.NewPath("metadata", "name"), "the env's object is missing: it was renamed, moved or removed, but "+w.why+"; names, namespace and prefixes must stay as prenv renders them"))
		}
	}
}

func (c *objectChecker) serviceAccount(o *unstructured.Unstructured, ref ObjectRef) {
	p := field.NewPath("metadata", "annotations")
	got := c.annotations(o)
	want := c.m.ServiceAccount.Annotations
	arn, ok := got[spec.AnnotationRoleARN]
	switch {
	case c.m.PodIdentity != nil && ok:
		c.add(ref, field.Forbidden(p.Key(spec.AnnotationRoleARN), "with identity podIdentity the env's role trusts EKS Pod Identity only; an IRSA role ARN would give the pods web-identity credentials first (AWS SDKs' credential chain), which the role does not trust"))
	case c.m.PodIdentity != nil:
	case !ok:
		c.add(ref, field.Required(p.Key(spec.AnnotationRoleARN), fmt.Sprintf("the env's role %s", c.m.Role.ARN)))
	case arn != c.m.Role.ARN:
		c.add(ref, field.Invalid(p.Key(spec.AnnotationRoleARN), arn, fmt.Sprintf("must be the env's role %s", c.m.Role.ARN)))
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if k == spec.AnnotationRoleARN || !strings.HasPrefix(k, eksAnnotationPrefix) {
			continue
		}
		w, ok := want[k]
		switch {
		case !ok:
			c.add(ref, field.Forbidden(p.Key(k), "the EKS pod identity webhook reads it; set it in spec.serviceAccount.annotations, where it is checked against the Role"))
		case got[k] != w:
			c.add(ref, field.Invalid(p.Key(k), got[k], fmt.Sprintf("must be %q as spec.serviceAccount.annotations sets it", w)))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[k]; !ok && k != spec.AnnotationRoleARN && strings.HasPrefix(k, eksAnnotationPrefix) {
			c.add(ref, field.Required(p.Key(k), fmt.Sprintf("spec.serviceAccount.annotations sets it to %q", want[k])))
		}
	}
}

// ackAnnotations keeps the ACK runtime's annotations of an env object as m
// sets them: m.ACKAnnotations, and the object's own (adoption with
// deletionPolicy retain).
func (c *objectChecker) ackAnnotations(o *unstructured.Unstructured, ref ObjectRef, own map[string]string) {
	p := field.NewPath("metadata", "annotations")
	// want is m.ACKAnnotations with own's services.k8s.aws/ annotations
	// over them.
	want := func(k string) (string, bool) {
		if v, ok := own[k]; ok && strings.HasPrefix(k, ackAnnotationPrefix) {
			return v, true
		}
		v, ok := c.m.ACKAnnotations[k]
		return v, ok
	}
	wantKeys := slices.AppendSeq(sortedKeysWithPrefix(own, ackAnnotationPrefix), maps.Keys(c.m.ACKAnnotations))
	slices.Sort(wantKeys)
	got := c.annotations(o)
	for _, k := range slices.Compact(wantKeys) {
		w, _ := want(k)
		v, ok := got[k]
		switch {
		case !ok:
			c.add(ref, field.Required(p.Key(k), fmt.Sprintf("%q as prenv renders it", w)))
		case v != w:
			c.add(ref, field.Invalid(p.Key(k), v, fmt.Sprintf("must be %q as prenv renders it: ACK reads it to decide where and whether it creates, adopts or deletes the AWS resource (spec.aws.region, spec.deletionPolicy)", w)))
		}
	}
	for _, k := range sortedKeysWithPrefix(got, ackAnnotationPrefix) {
		if _, ok := want(k); !ok {
			c.add(ref, field.Forbidden(p.Key(k), "changes how ACK manages the AWS resource (another account, adopting an existing resource, ...); only prenv sets services.k8s.aws/ annotations"))
		}
	}
}

// sortedKeysWithPrefix returns the keys of m that begin with prefix, in
// order.
func sortedKeysWithPrefix(m map[string]string, prefix string) []string {
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// awsName checks the AWS name of an env object.
func (c *objectChecker) awsName(o *unstructured.Unstructured, ref ObjectRef, key, want string) {
	p := field.NewPath("spec", key)
	got, ok, err := unstructured.NestedString(o.Object, "spec", key)
	switch {
	case err != nil:
		c.add(ref, field.Invalid(p, field.OmitValueType{}, err.Error()))
	case !ok:
		c.add(ref, field.Required(p, fmt.Sprintf("%q as prenv names it", want)))
	case got != want:
		c.add(ref, field.Invalid(p, got, fmt.Sprintf("must be %q: the env's AWS names are prenv's, so that no two envs share one and the env's policy matches them", want)))
	}
}

// absent reports spec fields that prenv never sets and that must stay unset.
func (c *objectChecker) absent(o *unstructured.Unstructured, ref ObjectRef, why string, keys ...string) {
	for _, k := range keys {
		if _, ok, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", k); ok {
			c.add(ref, field.Forbidden(field.NewPath("spec", k), "prenv does not set it: "+why))
		}
	}
}

// pathIsRoot checks an IAM path (spec.path): prenv's names and ARNs assume
// the default "/".
func (c *objectChecker) pathIsRoot(o *unstructured.Unstructured, ref ObjectRef, arn string) {
	p := field.NewPath("spec", "path")
	got, ok, err := unstructured.NestedString(o.Object, "spec", "path")
	switch {
	case err != nil:
		c.add(ref, field.Invalid(p, field.OmitValueType{}, err.Error()))
	case ok && got != "/":
		c.add(ref, field.Invalid(p, got, fmt.Sprintf("must be absent or \"/\": a path changes the ARN %s that the env refers to", arn)))
	}
}

func (c *objectChecker) role(o *unstructured.Unstructured, ref ObjectRef) {
	m := c.m
	r := m.Role
	spec := field.NewPath("spec")
	c.awsName(o, ref, "name", r.Name)
	c.pathIsRoot(o, ref, r.ARN)

	tp := spec.Child("assumeRolePolicyDocument")
	sub := "system:serviceaccount:" + m.Namespace + ":" + m.ServiceAccount.Name
	rule := fmt.Sprintf("must be the trust policy prenv renders, which trusts exactly the ServiceAccount %s through the cluster's OIDC provider with aud sts.amazonaws.com", sub)
	if p := m.PodIdentity; p != nil {
		rule = fmt.Sprintf("must be the trust policy prenv renders, which lets EKS Pod Identity (%s) assume the role for exactly the ServiceAccount %s/%s of cluster %s", "pods.eks.amazonaws.com", p.Namespace, p.ServiceAccount, p.ClusterARN)
	}
	doc, ok, err := unstructured.NestedString(o.Object, "spec", "assumeRolePolicyDocument")
	switch {
	case err != nil:
		c.add(ref, field.Invalid(tp, field.OmitValueType{}, err.Error()))
	case !ok:
		c.add(ref, field.Required(tp, rule))
	default:
		if diffs, err := comparePolicies(r.TrustPolicy, doc); err != nil {
			c.add(ref, field.Invalid(tp, field.OmitValueType{}, rule+": "+err.Error()))
		} else if len(diffs) > 0 {
			c.add(ref, field.Invalid(tp, field.OmitValueType{}, rule+"; it differs: "+strings.Join(diffs, "; ")))
		}
	}

	// Managed policies: exactly spec.iam.managedPolicyARNs.
	pp := spec.Child("policies")
	arns, _, err := unstructured.NestedStringSlice(o.Object, "spec", "policies")
	if err != nil {
		c.add(ref, field.Invalid(pp, field.OmitValueType{}, err.Error()))
	}
	for i, a := range arns {
		if !slices.Contains(r.PolicyARNs, a) {
			c.add(ref, field.Forbidden(pp.Index(i), fmt.Sprintf("attaches %s, which is not in spec.iam.managedPolicyARNs; the role's permissions come from the spec only", a)))
		}
	}
	for _, a := range r.PolicyARNs {
		if !slices.Contains(arns, a) {
			c.add(ref, field.Required(pp, fmt.Sprintf("%s of spec.iam.managedPolicyARNs is not attached", a)))
		}
	}

	// The env's Policy objects.
	rp := spec.Child("policyRefs")
	refs, _, err := unstructured.NestedSlice(o.Object, "spec", "policyRefs")
	if err != nil {
		c.add(ref, field.Invalid(rp, field.OmitValueType{}, err.Error()))
	}
	var refNames []string
	for i, item := range refs {
		ip := rp.Index(i)
		im, _ := item.(map[string]any)
		from, _ := im["from"].(map[string]any)
		name, _ := from["name"].(string)
		ns, _ := from["namespace"].(string)
		switch {
		case name == "":
			c.add(ref, field.Required(ip.Child("from", "name"), "the name of one of the env's IAM Policies"))
		case !slices.Contains(r.PolicyRefs, name):
			c.add(ref, field.Forbidden(ip.Child("from", "name"), fmt.Sprintf("%s is not one of the env's IAM Policies (%s); the role's permissions come from the spec only", name, strings.Join(r.PolicyRefs, ", "))))
		case ns != "" && ns != m.Namespace:
			c.add(ref, field.Forbidden(ip.Child("from", "namespace"), fmt.Sprintf("must be absent or the env's namespace %s: a policy of another namespace is not the env's", m.Namespace)))
		default:
			refNames = append(refNames, name)
		}
	}
	for _, n := range r.PolicyRefs {
		if !slices.Contains(refNames, n) {
			c.add(ref, field.Required(rp, fmt.Sprintf("the env's IAM Policy %s is not attached", n)))
		}
	}

	inline, _, _ := unstructured.NestedMap(o.Object, "spec", "inlinePolicies")
	for _, k := range slices.Sorted(maps.Keys(inline)) {
		c.add(ref, field.Forbidden(spec.Child("inlinePolicies").Key(k), "prenv attaches no inline policy; the role's permissions come from spec.iam only"))
	}

	bp := spec.Child("permissionsBoundary")
	boundary, _, err := unstructured.NestedString(o.Object, "spec", "permissionsBoundary")
	switch {
	case err != nil:
		c.add(ref, field.Invalid(bp, field.OmitValueType{}, err.Error()))
	case boundary != r.PermissionsBoundary && r.PermissionsBoundary == "":
		c.add(ref, field.Forbidden(bp, "spec.iam.permissionsBoundaryARN sets none"))
	case boundary != r.PermissionsBoundary:
		c.add(ref, field.Invalid(bp, boundary, fmt.Sprintf("must be %s, spec.iam.permissionsBoundaryARN", r.PermissionsBoundary)))
	}
	c.absent(o, ref, "the permissions boundary is spec.iam.permissionsBoundaryARN", "permissionsBoundaryRef")
	c.specValue(o, ref, "maxSessionDuration", r.MaxSessionDuration, "how long the env's credentials last is spec.iam.maxSessionDuration")
	c.tags(o, ref)
}

// tags keeps an ACK object's tags m's: IAM evaluates a role's tags as
// aws:PrincipalTag, so a tag can grant what another policy conditions on
// it, and prenv's own tags (prenv.dev/env) say which env a resource belongs
// to, which render leftovers and tag-based policies trust. The Queue CRD
// takes tags as a map; the others as a list of {key, value}.
func (c *objectChecker) tags(o *unstructured.Unstructured, ref ObjectRef) {
	p := field.NewPath("spec", "tags")
	want := map[string]string{}
	for _, t := range c.m.Tags {
		want[t.Key] = t.Value
	}
	const why = "the tags of the env's AWS resources are prenv's and spec.tags: IAM evaluates them in conditions (aws:PrincipalTag, aws:ResourceTag) and prenv.dev/env names the env a resource belongs to"
	have := map[string]bool{}
	check := func(fp *field.Path, k, v string) {
		w, ok := want[k]
		switch {
		case !ok:
			c.add(ref, field.Forbidden(fp, fmt.Sprintf("tag %q is not in spec.tags: %s", k, why)))
		case v != w:
			c.add(ref, field.Invalid(fp, v, fmt.Sprintf("must be %q: %s", w, why)))
		}
		have[k] = true
	}
	raw, ok, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "tags")
	switch t := raw.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			v, _ := t[k].(string)
			check(p.Key(k), k, v)
		}
	case []any:
		for i, e := range t {
			tm, _ := e.(map[string]any)
			k, _ := tm["key"].(string)
			v, _ := tm["value"].(string)
			check(p.Index(i), k, v)
		}
	default:
		if ok {
			c.add(ref, field.Invalid(p, field.OmitValueType{}, "must be prenv's tags"))
			return
		}
	}
	for _, t := range c.m.Tags {
		if !have[t.Key] {
			c.add(ref, field.Required(p, fmt.Sprintf("tag %q = %q", t.Key, t.Value)))
		}
	}
}

// specValue checks a spec field prenv derives from the spec: want "" means
// prenv leaves it unset.
func (c *objectChecker) specValue(o *unstructured.Unstructured, ref ObjectRef, key string, want any, why string) {
	p := field.NewPath("spec", key)
	got, ok, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", key)
	switch {
	case want == nil && ok:
		c.add(ref, field.Forbidden(p, "prenv does not set it: "+why))
	case want != nil && !ok:
		c.add(ref, field.Required(p, fmt.Sprintf("%v as prenv renders it", want)))
	case want != nil && fmt.Sprint(got) != fmt.Sprint(want):
		c.add(ref, field.Invalid(p, got, fmt.Sprintf("must be %v as prenv renders it from the spec: %s", want, why)))
	}
}

func (c *objectChecker) policy(o *unstructured.Unstructured, ref ObjectRef, pm plan.PolicyModel) {
	c.awsName(o, ref, "name", pm.Name)
	c.pathIsRoot(o, ref, pm.ARN)
	dp := field.NewPath("spec", "policyDocument")
	rule := "must be the document prenv derives from the spec"
	doc, ok, err := unstructured.NestedString(o.Object, "spec", "policyDocument")
	switch {
	case err != nil:
		c.add(ref, field.Invalid(dp, field.OmitValueType{}, err.Error()))
		return
	case !ok:
		c.add(ref, field.Required(dp, rule))
		return
	}
	diffs, err := comparePolicies(pm.Document, doc)
	if err != nil {
		c.add(ref, field.Invalid(dp, field.OmitValueType{}, rule+": "+err.Error()))
		return
	}
	if len(diffs) > 0 {
		c.add(ref, field.Invalid(dp, field.OmitValueType{}, rule+" (statements come from spec.iam only); it differs: "+strings.Join(diffs, "; ")))
	}
	if doc == pm.Document {
		// Every statement of doc is then one of the model's: no wildcard
		// or NotAction/NotResource beyond them (wildcards would find none).
		return
	}
	for _, w := range c.wildcards(doc) {
		c.add(ref, field.Forbidden(dp, w))
	}
}

// wildcards lists what doc grants beyond any statement of m's documents: a
// wildcard action or resource no statement of m has, or an Allow with
// NotAction or NotResource when none of m's statements has one.
func (c *objectChecker) wildcards(doc string) []string {
	model := map[string]map[string]bool{}
	for _, pm := range c.m.Policies {
		d, err := parsePolicy(pm.Document)
		if err != nil {
			continue
		}
		for _, s := range d.stmts {
			for _, el := range wildcardElements {
				for _, v := range stringSet(s.value[el]) {
					if model[el] == nil {
						model[el] = map[string]bool{}
					}
					model[el][v] = true
				}
			}
		}
	}
	d, err := parsePolicy(doc)
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range d.stmts {
		for _, el := range wildcardElements {
			values := stringSet(s.value[el])
			if s.value["Effect"] == "Allow" && strings.HasPrefix(el, "Not") && len(values) > 0 && len(model[el]) == 0 {
				out = append(out, fmt.Sprintf("%s allows with %s, which grants every %s not listed; only spec.iam.statements may", s.name(), el, strings.ToLower(strings.TrimPrefix(el, "Not"))))
			}
			for _, v := range values {
				if strings.ContainsAny(v, "*?") && !model[el][v] {
					out = append(out, fmt.Sprintf("%s has the wildcard %s %q, which no statement of the spec has; only spec.iam.statements may grant wildcards", s.name(), el, v))
				}
			}
		}
	}
	return out
}

// wildcardElements are the statement elements whose values IAM matches
// with the wildcards * and ?.
var wildcardElements = []string{"Action", "NotAction", "Resource", "NotResource"}

// policyDoc is a policy document normalised for comparison.
type policyDoc struct {
	// top is the document without its statements.
	top   map[string]any
	stmts []policyStmt
}

type policyStmt struct {
	index int
	sid   string
	// value is the statement without its Sid, normalised.
	value map[string]any
	// key is value as canonical JSON.
	key string
}

func (s policyStmt) name() string {
	if s.sid == "" {
		return fmt.Sprintf("Statement[%d]", s.index)
	}
	return fmt.Sprintf("Statement[%d] (Sid %s)", s.index, s.sid)
}

// parsePolicy parses and normalises an IAM policy document (see
// [CheckObjects] for what counts).
func parsePolicy(doc string) (*policyDoc, error) {
	if k, dup := repeatedJSONKey(doc); dup {
		return nil, fmt.Errorf("the document repeats the key %q in one object; JSON readers differ on which one counts, so a reviewer may read another policy than IAM does", k)
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("not a JSON policy document: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a JSON policy document: text after the document")
	}
	if top == nil {
		return nil, fmt.Errorf("not a JSON policy document: null")
	}
	d := &policyDoc{top: map[string]any{}}
	for k, v := range top {
		if k != "Statement" {
			d.top[k] = v
		}
	}
	var list []any
	switch st := top["Statement"].(type) {
	case nil:
	case map[string]any:
		list = []any{st}
	case []any:
		list = st
	default:
		return nil, fmt.Errorf("Statement must be an object or a list of objects")
	}
	for i, item := range list {
		sm, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Statement[%d] must be an object", i)
		}
		s := policyStmt{index: i, value: map[string]any{}}
		for k, v := range sm {
			switch k {
			case "Sid":
				s.sid, _ = v.(string)
			case "Action", "NotAction":
				s.value[k] = normSet(v, true)
			case "Resource", "NotResource":
				s.value[k] = normSet(v, false)
			case "Principal", "NotPrincipal":
				if pm, ok := v.(map[string]any); ok {
					n := map[string]any{}
					for pk, pv := range pm {
						n[pk] = normSet(pv, false)
					}
					v = n
				}
				s.value[k] = v
			case "Condition":
				if cm, ok := v.(map[string]any); ok {
					n := map[string]any{}
					for op, kv := range cm {
						if km, ok := kv.(map[string]any); ok {
							nk := map[string]any{}
							for ck, cv := range km {
								nk[ck] = normSet(cv, false)
							}
							kv = nk
						}
						n[op] = kv
					}
					v = n
				}
				s.value[k] = v
			default:
				s.value[k] = v
			}
		}
		s.key = canonicalJSON(s.value)
		d.stmts = append(d.stmts, s)
	}
	return d, nil
}

// normSet turns a string, a scalar or a list of them into a sorted list of
// unique strings (in lower case when lower); anything else is returned as
// it is, to compare as written.
func normSet(v any, lower bool) any {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	default:
		items = []any{x}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		switch x := it.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = fmt.Sprint(x)
		default:
			return v
		}
		if lower {
			s = strings.ToLower(s)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// stringSet returns the strings of a normalised set.
func stringSet(v any) []string {
	s, _ := v.([]string)
	return s
}

func canonicalJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return strings.TrimRight(b.String(), "\n")
}

// comparePolicies compares the document got with want semantically and
// describes each difference; none means they are equal. An error means got
// is not a policy document.
func comparePolicies(want, got string) ([]string, error) {
	if got == want {
		// The same text is the same document: nothing to describe. (want
		// is the model's, written from typed statements by documentJSON or
		// trustPolicy, so it needs no parse to be known valid.)
		return nil, nil
	}
	w, err := parsePolicy(want)
	if err != nil {
		return nil, fmt.Errorf("prenv's own document: %w", err)
	}
	g, err := parsePolicy(got)
	if err != nil {
		return nil, err
	}
	diffs := diffValues("", w.top, g.top)
	// Statements as a multiset: pair off the equal ones.
	left := map[string]int{}
	for _, s := range w.stmts {
		left[s.key]++
	}
	var extra []policyStmt
	for _, s := range g.stmts {
		if left[s.key] > 0 {
			left[s.key]--
			continue
		}
		extra = append(extra, s)
	}
	var lost []policyStmt
	for _, s := range w.stmts {
		if left[s.key] > 0 {
			left[s.key]--
			lost = append(lost, s)
		}
	}
	// A changed statement: the same Sid on both sides, or the only one.
	for _, e := range extra {
		i := slices.IndexFunc(lost, func(l policyStmt) bool { return l.sid == e.sid })
		if i < 0 && len(extra) == 1 && len(lost) == 1 {
			i = 0
		}
		if i < 0 {
			diffs = append(diffs, e.name()+": not in prenv's document "+canonicalJSON(e.value))
			continue
		}
		diffs = append(diffs, diffValues(e.name(), lost[i].value, e.value)...)
		lost = slices.Delete(lost, i, i+1)
	}
	for _, l := range lost {
		what := "prenv's Statement[" + fmt.Sprint(l.index) + "]"
		if l.sid != "" {
			what = "prenv's statement " + l.sid
		}
		diffs = append(diffs, what+": missing "+canonicalJSON(l.value))
	}
	return diffs, nil
}

// diffValues describes where got differs from want, by path.
func diffValues(path string, want, got any) []string {
	at := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		var out []string
		for _, k := range keysOfBoth(wm, gm) {
			wv, win := wm[k]
			gv, gin := gm[k]
			switch {
			case !gin:
				out = append(out, at(k)+": removed")
			case !win:
				out = append(out, at(k)+": added "+canonicalJSON(gv))
			default:
				out = append(out, diffValues(at(k), wv, gv)...)
			}
		}
		return out
	}
	if w, g := canonicalJSON(want), canonicalJSON(got); w != g {
		return []string{path + ": " + g + " instead of " + w}
	}
	return nil
}

// repeatedJSONKey reports the first key that an object of the JSON text
// repeats.
func repeatedJSONKey(doc string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(doc))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: t == '{', keys: map[string]bool{}, key: t == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.key {
				if top.keys[t] {
					return t, true
				}
				top.keys[t] = true
				top.key = false
				continue
			}
			if top != nil && top.object {
				top.key = true
			}
		default:
			if top != nil && top.object {
				top.key = true
			}
		}
	}
}
