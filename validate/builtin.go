package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/operation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	kjson "sigs.k8s.io/json"

	"prenv.dev/prenv/internal/kuberules"
)

// builtinGroups are the API groups whose kinds are checked against the Go
// types of k8s.io/api. (k8s.io/client-go's full scheme would pull in every
// group; these are the ones rendered charts use.)
var builtinGroups = []func(*runtime.Scheme) error{
	corev1.AddToScheme,
	appsv1.AddToScheme,
	networkingv1.AddToScheme,
	rbacv1.AddToScheme,
	batchv1.AddToScheme,
	policyv1.AddToScheme,
	autoscalingv2.AddToScheme,
}

// clusterScoped lists the cluster-scoped kinds of builtinGroups; all others
// are namespaced.
var clusterScoped = map[schema.GroupKind]bool{
	{Group: "", Kind: "Namespace"}:                                    true,
	{Group: "", Kind: "Node"}:                                         true,
	{Group: "", Kind: "PersistentVolume"}:                             true,
	{Group: "", Kind: "ComponentStatus"}:                              true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:  true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                true,
	{Group: "networking.k8s.io", Kind: "IPAddress"}:                   true,
	{Group: "networking.k8s.io", Kind: "ServiceCIDR"}:                 true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: true,
}

// nameRules are the name checks of kinds whose names are not DNS-1123
// subdomains, as the API server's per-kind validation has them.
var nameRules = map[schema.GroupKind]apivalidation.ValidateNameFunc{
	{Group: "", Kind: "Namespace"}:                                   apivalidation.ValidateNamespaceName,
	{Group: "", Kind: "Service"}:                                     apivalidation.NameIsDNS1035Label,
	{Group: "", Kind: "PersistentVolume"}:                            path.ValidatePathSegmentName,
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               path.ValidatePathSegmentName,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        path.ValidatePathSegmentName,
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        path.ValidatePathSegmentName,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: path.ValidatePathSegmentName,
}

// builtinTypes are the typed kinds a Validator knows, by group/version/kind.
type builtinTypes struct {
	types map[schema.GroupVersionKind]reflect.Type
}

func newBuiltinTypes() (*builtinTypes, error) {
	s := runtime.NewScheme()
	for _, add := range builtinGroups {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("registering built-in kinds: %w", err)
		}
	}
	bt := &builtinTypes{types: map[schema.GroupVersionKind]reflect.Type{}}
	metaType := reflect.TypeOf(metav1.ObjectMeta{})
	for gvk, t := range s.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		// Only kinds that are stored objects (they carry ObjectMeta).
		if f, ok := t.FieldByName("ObjectMeta"); !ok || f.Type != metaType {
			continue
		}
		bt.types[gvk] = t
	}
	return bt, nil
}

func (b *builtinTypes) lookup(gvk schema.GroupVersionKind) (reflect.Type, bool) {
	t, ok := b.types[gvk]
	return t, ok
}

// versionsOf lists the built-in versions of a group/kind.
func (b *builtinTypes) versionsOf(gk schema.GroupKind) []string {
	var versions []string
	for gvk := range b.types {
		if gvk.GroupKind() == gk {
			versions = append(versions, gvk.Version)
		}
	}
	sort.Strings(versions)
	return versions
}

// validateBuiltin checks an object of a built-in kind: strict decoding into
// the k8s.io/api type (unknown fields, wrong types), then the metadata checks
// of the API server (name, namespace, labels, annotations, finalizers, owner
// references), then a few kind-specific rules (see kindChecks).
func (v *Validator) validateBuiltin(ctx context.Context, t reflect.Type, gvk schema.GroupVersionKind, u *unstructured.Unstructured) []fieldProblem {
	obj, problems := v.decodeBuiltin(t, u.Object)
	if obj == nil {
		return problems
	}
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return append(problems, fromFieldError(field.InternalError(nil, err)))
	}
	gk := gvk.GroupKind()
	namespaced := !clusterScoped[gk]
	normalizeMeta(accessor, namespaced)
	nameFn := nameRules[gk]
	if nameFn == nil {
		nameFn = apivalidation.NameIsDNSSubdomain
	}
	om, ok := accessor.(*metav1.ObjectMeta)
	if !ok {
		om = objectMetaOf(obj)
	}
	problems = append(problems, fromFieldErrors(apivalidation.ValidateObjectMetaDeclaratively(ctx, operation.Create, om, nil, namespaced, nameFn, field.NewPath("metadata"), utilfeature.DefaultFeatureGate.Enabled(features.DeclarativeValidationBeta)))...)
	problems = append(problems, fromFieldErrors(kindChecks(obj))...)
	return problems
}

// decodeBuiltin decodes an object into a new value of type t (a pointer to
// it) as sigs.k8s.io/json's UnmarshalStrict decodes the object's JSON text,
// after the type check: problems are those the check finds (then there is
// no value), or else the unknown and duplicate fields decoding reports. The
// value is nil when there is a problem that stops decoding. Most objects are
// set directly from their decoded-JSON form (decodeTyped, which accepts
// nothing the check refuses); the others are checked and go through the
// text.
func (v *Validator) decodeBuiltin(t reflect.Type, o map[string]interface{}) (runtime.Object, []fieldProblem) {
	obj := reflect.New(t)
	if v.types.decodeTyped(obj.Elem(), o) {
		return obj.Interface().(runtime.Object), nil
	}
	var problems []fieldProblem
	v.types.check(t, o, nil, &problems)
	if len(problems) > 0 {
		return nil, problems
	}
	data, err := json.Marshal(o)
	if err != nil {
		return nil, []fieldProblem{fromFieldError(field.InternalError(nil, err))}
	}
	typed := reflect.New(t).Interface().(runtime.Object)
	strict, err := kjson.UnmarshalStrict(data, typed)
	if err != nil {
		return nil, []fieldProblem{{Type: string(field.ErrorTypeInvalid), Message: "cannot decode: " + err.Error()}}
	}
	for _, se := range strict {
		problems = append(problems, strictProblem(se))
	}
	return typed, problems
}

// objectMetaOf returns the address of a typed object's ObjectMeta field.
func objectMetaOf(obj runtime.Object) *metav1.ObjectMeta {
	rv := reflect.ValueOf(obj).Elem().FieldByName("ObjectMeta")
	return rv.Addr().Interface().(*metav1.ObjectMeta)
}

// normalizeMeta does what the API server does before validating a create:
// a namespaced object without a namespace gets the request's namespace
// (here a stand-in, as kubectl would send the current one), a
// cluster-scoped object's namespace is cleared, and a name is generated
// from generateName (here with a fixed suffix of the generator's length).
func normalizeMeta(m metav1.Object, namespaced bool) {
	switch {
	case namespaced && m.GetNamespace() == "":
		m.SetNamespace(metav1.NamespaceDefault)
	case !namespaced:
		m.SetNamespace("")
	}
	if m.GetName() == "" && m.GetGenerateName() != "" {
		const maxNameLength, suffix = 63, "b2c4d"
		base := m.GetGenerateName()
		if len(base) > maxNameLength-len(suffix) {
			base = base[:maxNameLength-len(suffix)]
		}
		m.SetName(base + suffix)
	}
}

// kindChecks are the few rules of the API server's per-kind validation that
// are cheap to restate and commonly broken in rendered manifests. The rest of
// that validation lives in k8s.io/kubernetes, which is not a library.
func kindChecks(obj runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		return checkDataKeys(true, dataPart{field.NewPath("data"), stringSizes(o.Data)}, dataPart{field.NewPath("binaryData"), byteSizes(o.BinaryData)})
	case *corev1.Secret:
		return checkDataKeys(false, dataPart{field.NewPath("data"), byteSizes(o.Data)}, dataPart{field.NewPath("stringData"), stringSizes(o.StringData)})
	case *appsv1.Deployment:
		return checkWorkload(o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))
	case *appsv1.StatefulSet:
		return checkWorkload(o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))
	case *appsv1.DaemonSet:
		return checkWorkload(o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))
	case *appsv1.ReplicaSet:
		return checkWorkload(o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))
	case *batchv1.Job:
		errs := checkPodTemplateMeta(&o.Spec.Template, field.NewPath("spec", "template", "metadata"))
		return append(errs, checkPodSpecRefs(&o.Spec.Template.Spec, field.NewPath("spec", "template", "spec"))...)
	case *batchv1.CronJob:
		var errs field.ErrorList
		if len(o.Name) > 52 {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), o.Name, "must be no more than 52 characters"))
		}
		tp := field.NewPath("spec", "jobTemplate", "spec", "template")
		errs = append(errs, checkPodTemplateMeta(&o.Spec.JobTemplate.Spec.Template, tp.Child("metadata"))...)
		return append(errs, checkPodSpecRefs(&o.Spec.JobTemplate.Spec.Template.Spec, tp.Child("spec"))...)
	case *corev1.Service:
		return metav1validation.ValidateLabels(o.Spec.Selector, field.NewPath("spec", "selector"))
	case *corev1.ResourceQuota:
		return kuberules.ResourceQuotaSpec(&o.Spec, field.NewPath("spec"))
	case *corev1.LimitRange:
		return kuberules.LimitRangeSpec(&o.Spec, field.NewPath("spec"))
	case *networkingv1.NetworkPolicy:
		return kuberules.NetworkPolicySpec(&o.Spec, field.NewPath("spec"))
	}
	return nil
}

// dataPart is one map of a ConfigMap or Secret: its path and the size of
// each value.
type dataPart struct {
	path  *field.Path
	sizes map[string]int
}

func stringSizes(m map[string]string) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

func byteSizes(m map[string][]byte) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

// checkDataKeys checks ConfigMap and Secret keys and their total size; with
// noOverlap (ConfigMap data and binaryData) a key may not be in two parts.
func checkDataKeys(noOverlap bool, parts ...dataPart) field.ErrorList {
	var errs field.ErrorList
	size := 0
	seen := map[string]*field.Path{}
	for _, p := range parts {
		for _, k := range sortedKeysOf(p.sizes) {
			for _, msg := range utilvalidation.IsConfigMapKey(k) {
				errs = append(errs, field.Invalid(p.path.Key(k), k, msg))
			}
			if other, dup := seen[k]; dup && noOverlap {
				errs = append(errs, field.Invalid(p.path.Key(k), k, "duplicate of key present in "+other.String()))
			}
			seen[k] = p.path
			size += p.sizes[k]
		}
	}
	if size > corev1.MaxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", corev1.MaxSecretSize))
	}
	return errs
}

func sortedKeysOf(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkWorkload checks the selector of a workload, the labels of its pod
// template, and that the selector selects the template's labels.
func checkWorkload(sel *metav1.LabelSelector, tmpl *corev1.PodTemplateSpec, spec *field.Path) field.ErrorList {
	errs := checkPodTemplateMeta(tmpl, spec.Child("template", "metadata"))
	errs = append(errs, checkPodSpecRefs(&tmpl.Spec, spec.Child("template", "spec"))...)
	if sel == nil {
		return append(errs, field.Required(spec.Child("selector"), ""))
	}
	errs = append(errs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, spec.Child("selector"))...)
	if len(errs) > 0 {
		return errs
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return append(errs, field.Invalid(spec.Child("selector"), sel, err.Error()))
	}
	if s.Empty() {
		errs = append(errs, field.Invalid(spec.Child("selector"), sel, "empty selector is invalid"))
	} else if !s.Matches(labels.Set(tmpl.Labels)) {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), tmpl.Labels, "`selector` does not match template `labels`"))
	}
	return errs
}

func checkPodTemplateMeta(tmpl *corev1.PodTemplateSpec, p *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(tmpl.Labels, p.Child("labels"))
	return append(errs, apivalidation.ValidateAnnotations(tmpl.Annotations, p.Child("annotations"))...)
}

// checkPodSpecRefs checks what a pod spec names in its namespace, as the
// API server's pod validation does (k8s.io/kubernetes
// pkg/apis/core/validation: validateSecretKeySelector,
// validateConfigMapKeySelector, validateEnvFrom, ValidateServiceAccountName):
// Secret and ConfigMap names of env and envFrom are DNS-1123 subdomains,
// their keys are required and valid ConfigMap keys, and the
// ServiceAccount's name is a DNS-1123 subdomain.
func checkPodSpecRefs(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	name := func(fp *field.Path, n string) {
		for _, msg := range apivalidation.NameIsDNSSubdomain(n, false) {
			errs = append(errs, field.Invalid(fp, n, msg))
		}
	}
	key := func(fp *field.Path, k string) {
		if k == "" {
			errs = append(errs, field.Required(fp, ""))
			return
		}
		for _, msg := range utilvalidation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(fp, k, msg))
		}
	}
	containers := func(cp *field.Path, cs []corev1.Container) {
		for i := range cs {
			c := &cs[i]
			for j, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				vp := cp.Index(i).Child("env").Index(j).Child("valueFrom")
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					name(vp.Child("secretKeyRef", "name"), r.Name)
					key(vp.Child("secretKeyRef", "key"), r.Key)
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					name(vp.Child("configMapKeyRef", "name"), r.Name)
					key(vp.Child("configMapKeyRef", "key"), r.Key)
				}
			}
			for j, e := range c.EnvFrom {
				ep := cp.Index(i).Child("envFrom").Index(j)
				if e.SecretRef != nil {
					name(ep.Child("secretRef", "name"), e.SecretRef.Name)
				}
				if e.ConfigMapRef != nil {
					name(ep.Child("configMapRef", "name"), e.ConfigMapRef.Name)
				}
			}
		}
	}
	containers(p.Child("initContainers"), spec.InitContainers)
	containers(p.Child("containers"), spec.Containers)
	if n := spec.ServiceAccountName; n != "" {
		name(p.Child("serviceAccountName"), n)
	}
	return errs
}
