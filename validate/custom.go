package validate

import (
	"context"
	"fmt"
	"maps"
	"math"
	"reflect"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/operation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

var typeOfObjectMeta = reflect.TypeOf(metav1.ObjectMeta{})

// validateCustom checks a custom resource the way the API server's CR
// handler does on create, in the same order:
//
//  1. decoding: metadata is read into ObjectMeta (unknown metadata fields are
//     reported), fields the schema does not declare are pruned (and reported),
//     nulls in non-nullable fields without default are dropped, embedded
//     resources' metadata is coerced, and schema defaults are applied;
//  2. the create strategy: status is dropped when the version has the status
//     subresource;
//  3. validation: ObjectMeta (name a DNS-1123 subdomain, namespace, labels,
//     annotations, finalizers, ...), the OpenAPI schema, the scale
//     subresource's replicas, embedded resources' metadata, list-type
//     set/map uniqueness, and then, unless the schema checks failed in a way
//     that stops them, the CEL rules (x-kubernetes-validations).
//
// When old is given (the previous version of the object, same apiVersion),
// the CEL rules run as for an update, so transition rules (those using
// oldSelf) are checked, and so are the update rules of the AWS service behind
// an ACK kind (awsUpdateErrors). Schema checks are not ratcheted: the new
// object must be fully valid.
func (v *Validator) validateCustom(ctx context.Context, cv *crdVersion, u, old *unstructured.Unstructured) []fieldProblem {
	schemaValidator, err := cv.compile()
	if err != nil {
		return []fieldProblem{fromFieldError(field.InternalError(nil, err))}
	}
	obj, objMeta, problems := v.prepareCustom(cv, u)
	if obj == nil {
		return problems
	}
	var oldObj interface{}
	if old != nil && old.GetAPIVersion() == u.GetAPIVersion() {
		if o, _, oldProblems := v.prepareCustom(cv, old); o != nil && len(oldProblems) == 0 {
			oldObj = o
		}
	}

	var errs field.ErrorList
	// objMeta is not used again, nor shared with obj (setObjectMeta copied
	// it): it is normalized in place.
	normalizeMeta(objMeta, cv.namespaced)
	errs = append(errs, apivalidation.ValidateObjectMetaDeclaratively(ctx, operation.Create, objMeta, nil, cv.namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"), utilfeature.DefaultFeatureGate.Enabled(features.DeclarativeValidationBeta))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, schemaValidator)...)
	errs = append(errs, validateScale(obj, cv)...)
	// Both act only on embedded resources and list types, which most
	// schemas do not have.
	if cv.embedded {
		errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj, cv.structural, false)...)
	}
	if cv.listTypes {
		errs = append(errs, listtype.ValidateListSetsAndMaps(nil, cv.structural, obj)...)
	}
	var celErrs field.ErrorList
	if cv.rules {
		if blocked, e := hasBlockingErr(errs); blocked {
			errs = append(errs, e)
		} else if celValidator := cv.celValidator(oldObj != nil); celValidator != nil {
			celErrs, _ = celValidator.Validate(ctx, nil, cv.structural, obj, oldObj, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}
	// The AWS service behind an ACK kind has update rules of its own.
	if o, ok := oldObj.(map[string]interface{}); ok {
		errs = append(errs, awsUpdateErrors(u.GroupVersionKind().GroupKind(), obj, o, celErrs)...)
	}
	return dedupe(append(problems, fromFieldErrors(errs)...))
}

// prepareCustom returns a copy of the object as the API server holds it
// after decoding, defaulting and the create strategy, its ObjectMeta, and
// the problems found on the way (unknown fields, malformed metadata). The
// copy is nil when the metadata cannot be decoded.
func (v *Validator) prepareCustom(cv *crdVersion, u *unstructured.Unstructured) (map[string]interface{}, *metav1.ObjectMeta, []fieldProblem) {
	// The steps below change the copy below its top level (apiVersion,
	// kind, metadata, status) only where pruning deletes fields, where a
	// map holds a null, and for schemas with embedded resources or
	// defaults. Without any of these, a copy of the top level is enough,
	// and pruning, which would find nothing, is not run.
	var obj map[string]interface{}
	nulls, prune := true, true
	if cv.structural != nil && !cv.preserveUnknown && !cv.embedded && !cv.defaults &&
		!mapHoldsNull(u.Object) && !prunes(u.Object, cv.structural) {
		obj, nulls, prune = maps.Clone(u.Object), false, false
	} else {
		obj, nulls = copyJSON(u.Object)
	}
	var problems []fieldProblem
	apiVersion, kind := u.GetAPIVersion(), u.GetKind()

	objMeta, foundMeta, metaUnknown, err := v.objectMeta(obj)
	if err != nil {
		v.types.check(typeOfObjectMeta, obj["metadata"], field.NewPath("metadata"), &problems)
		if len(problems) == 0 {
			problems = append(problems, fromFieldError(field.Invalid(field.NewPath("metadata"), "", err.Error())))
		}
		return nil, nil, problems
	}
	if objMeta == nil {
		objMeta = &metav1.ObjectMeta{}
	}
	for _, p := range metaUnknown {
		problems = append(problems, unknownField(p))
	}

	if cv.structural != nil {
		if !cv.preserveUnknown {
			if prune {
				for _, p := range pruning.PruneWithOptions(obj, cv.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
					problems = append(problems, unknownField(p))
				}
			}
			// It deletes null values of maps only; pruning adds none.
			if nulls {
				structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, cv.structural)
			}
		}
		// Coercion acts on embedded resources only.
		if cv.embedded {
			ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, obj, cv.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
			if ferr != nil {
				problems = append(problems, fromFieldError(ferr))
			}
			for _, p := range paths {
				problems = append(problems, unknownField(p))
			}
		}
	}
	obj["apiVersion"], obj["kind"] = apiVersion, kind
	if foundMeta {
		if err := setObjectMeta(obj, objMeta); err != nil {
			problems = append(problems, fromFieldError(field.InternalError(field.NewPath("metadata"), err)))
			return nil, nil, problems
		}
	}
	if cv.defaults {
		structuraldefaulting.Default(obj, cv.structural)
	}
	if cv.status {
		delete(obj, "status")
	}
	return obj, objMeta, problems
}

// prunes reports whether pruning.PruneWithOptions(x, s, true, ...), as
// prepareCustom calls it, would delete anything from x (and report it as
// unknown): it walks x as that function does, without changing it.
func prunes(x interface{}, s *structuralschema.Structural) bool {
	// At the resource's root, apiVersion, kind and metadata are kept.
	root := *s
	root.XEmbeddedResource = true
	return pruneDeletes(x, &root)
}

// resourceMetaFields are the fields of an embedded resource pruning keeps.
var resourceMetaFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true}

// pruneDeletes is pruning's prune without changes: it reports whether the
// function would delete a field.
func pruneDeletes(x interface{}, s *structuralschema.Structural) bool {
	if s != nil && s.XPreserveUnknownFields {
		return skipPruneDeletes(x, s)
	}
	switch x := x.(type) {
	case map[string]interface{}:
		if s == nil {
			return len(x) > 0
		}
		for k, v := range x {
			if deletes, unknown := keyPrunes(k, v, s); deletes || unknown {
				return true
			}
		}
	case []interface{}:
		var items *structuralschema.Structural
		if s != nil {
			items = s.Items
		}
		for _, v := range x {
			if pruneDeletes(v, items) {
				return true
			}
		}
	}
	return false
}

// skipPruneDeletes is pruning's skipPrune (under
// x-kubernetes-preserve-unknown-fields) without changes.
func skipPruneDeletes(x interface{}, s *structuralschema.Structural) bool {
	if s == nil {
		return false
	}
	switch x := x.(type) {
	case map[string]interface{}:
		for k, v := range x {
			if deletes, _ := keyPrunes(k, v, s); deletes {
				return true
			}
		}
	case []interface{}:
		for _, v := range x {
			if skipPruneDeletes(v, s.Items) {
				return true
			}
		}
	}
	return false
}

// keyPrunes is what pruning's walk does with the value v of the key k of a
// map under s: deletes reports whether it would delete something below k,
// unknown that k is neither kept (apiVersion, kind and metadata of an
// embedded resource) nor declared, as a property or by
// additionalProperties (prune deletes such a key, skipPrune keeps it).
func keyPrunes(k string, v interface{}, s *structuralschema.Structural) (deletes, unknown bool) {
	if s.XEmbeddedResource && resourceMetaFields[k] {
		return false, false
	}
	if prop, ok := s.Properties[k]; ok {
		return pruneDeletes(v, &prop), false
	}
	if s.AdditionalProperties != nil {
		return pruneDeletes(v, s.AdditionalProperties.Structural), false
	}
	return false, true
}

// mapHoldsNull reports whether a map in x holds a null value.
func mapHoldsNull(x interface{}) bool {
	switch x := x.(type) {
	case map[string]interface{}:
		for _, v := range x {
			if v == nil || mapHoldsNull(v) {
				return true
			}
		}
	case []interface{}:
		for _, v := range x {
			if mapHoldsNull(v) {
				return true
			}
		}
	}
	return false
}

// copyJSON returns the deep copy of obj that runtime.DeepCopyJSON makes,
// and whether a map in obj holds a null value.
func copyJSON(obj map[string]interface{}) (map[string]interface{}, bool) {
	nulls := false
	return copyJSONValue(obj, &nulls).(map[string]interface{}), nulls
}

// copyJSONValue is runtime.DeepCopyJSONValue, setting *nulls when a map
// holds a null value.
func copyJSONValue(x interface{}, nulls *bool) interface{} {
	switch x := x.(type) {
	case map[string]interface{}:
		if x == nil {
			return x
		}
		c := make(map[string]interface{}, len(x))
		for k, v := range x {
			if v == nil {
				*nulls = true
			}
			c[k] = copyJSONValue(v, nulls)
		}
		return c
	case []interface{}:
		if x == nil {
			return x
		}
		c := make([]interface{}, len(x))
		for i, v := range x {
			c[i] = copyJSONValue(v, nulls)
		}
		return c
	}
	return runtime.DeepCopyJSONValue(x)
}

// objectMeta reads a custom resource's metadata as the CR handler does
// (apiextensions-apiserver's GetObjectMetaWithOptions, unknown fields
// reported), directly from the decoded-JSON form when decodeTyped can: that
// function gives the same ObjectMeta, found, when the metadata's JSON text
// decodes strictly without error or unknown field.
func (v *Validator) objectMeta(obj map[string]interface{}) (*metav1.ObjectMeta, bool, []string, error) {
	if m, ok := obj["metadata"].(map[string]interface{}); ok {
		meta := &metav1.ObjectMeta{}
		if v.types.decodeTyped(reflect.ValueOf(meta).Elem(), m) {
			return meta, true, nil, nil
		}
	}
	return schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
}

// setObjectMeta is apiextensions-apiserver's SetObjectMeta: it sets the
// object's metadata to m in decoded-JSON form, as
// runtime.DefaultUnstructuredConverter.ToUnstructured converts it. It
// converts directly the ObjectMeta of a manifest, which has none of the
// fields the API server sets (owner references, managed fields,
// timestamps, deletion grace period), when ObjectMeta has the fields it
// knows (objectMetaKnown); that converter leaves out empty strings, zero
// generation, the zero creation timestamp and empty maps and slices.
func setObjectMeta(obj map[string]interface{}, m *metav1.ObjectMeta) error {
	if !objectMetaKnown || m == nil || !m.CreationTimestamp.IsZero() || m.DeletionTimestamp != nil ||
		m.DeletionGracePeriodSeconds != nil || len(m.OwnerReferences) > 0 || len(m.ManagedFields) > 0 {
		return schemaobjectmeta.SetObjectMeta(obj, m)
	}
	meta := map[string]interface{}{}
	for _, f := range [...]struct {
		name, value string
	}{
		{"name", m.Name}, {"generateName", m.GenerateName}, {"namespace", m.Namespace},
		{"selfLink", m.SelfLink}, {"uid", string(m.UID)}, {"resourceVersion", m.ResourceVersion},
	} {
		if f.value != "" {
			meta[f.name] = f.value
		}
	}
	if m.Generation != 0 {
		meta["generation"] = m.Generation
	}
	for _, f := range [...]struct {
		name string
		kv   map[string]string
	}{{"labels", m.Labels}, {"annotations", m.Annotations}} {
		if len(f.kv) > 0 {
			c := make(map[string]interface{}, len(f.kv))
			for k, v := range f.kv {
				c[k] = v
			}
			meta[f.name] = c
		}
	}
	if len(m.Finalizers) > 0 {
		c := make([]interface{}, len(m.Finalizers))
		for i, f := range m.Finalizers {
			c[i] = f
		}
		meta["finalizers"] = c
	}
	obj["metadata"] = meta
	return nil
}

// objectMetaKnown is set when ObjectMeta's JSON names are the ones
// setObjectMeta was written for.
var objectMetaKnown = func() bool {
	var names []string
	t := reflect.TypeOf(metav1.ObjectMeta{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return strings.Join(names, " ") == "name generateName namespace selfLink uid resourceVersion generation "+
		"creationTimestamp deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers managedFields"
}()

// validateScale checks spec replicas as the CR validator does for the scale
// subresource (status replicas are not part of a manifest's job).
func validateScale(obj map[string]interface{}, cv *crdVersion) field.ErrorList {
	if cv.scale == nil {
		return nil
	}
	p := strings.TrimPrefix(cv.scale.SpecReplicasPath, ".")
	n, found, err := unstructured.NestedInt64(obj, strings.Split(p, ".")...)
	fp := field.NewPath(cv.scale.SpecReplicasPath)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(fp, n, err.Error())}
	case !found:
		return nil
	case n < 0:
		return field.ErrorList{field.Invalid(fp, n, "should be a non-negative integer")}
	case n > math.MaxInt32:
		return field.ErrorList{field.Invalid(fp, n, fmt.Sprintf("should be less than or equal to %v", math.MaxInt32))}
	}
	return nil
}

// hasBlockingErr mirrors the CR strategy: when the schema checks found a
// missing, mistyped, too long or unsupported value, CEL rules do not run.
func hasBlockingErr(errs field.ErrorList) (bool, *field.Error) {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return false, nil
}
