package validate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"sort"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	kjson "sigs.k8s.io/json"

	"prenv.dev/prenv/schemas"
)

var (
	crdGVK    = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")
	typeOfCRD = reflect.TypeOf(apiextensionsv1.CustomResourceDefinition{})
)

// crdVersion is the schema of one served version of a CRD.
type crdVersion struct {
	gvk        schema.GroupVersionKind
	crdName    string
	source     string
	namespaced bool
	// status is set when the version has the status subresource: the API
	// server then ignores status in creates and updates of the main resource.
	status bool
	scale  *apiextensions.CustomResourceSubresourceScale
	// preserveUnknown is spec.preserveUnknownFields: no pruning.
	preserveUnknown bool
	internal        *apiextensions.JSONSchemaProps
	structural      *structuralschema.Structural
	// What the structural schema uses (see schemaHas): the steps of the
	// CR handler that act only on it are skipped for schemas without it.
	// rules: CEL rules (x-kubernetes-validations), when the API server
	// builds a CEL validator (cel.NewValidator is not nil).
	defaults, embedded, listTypes, rules bool

	// updateRulesOnly is set when the tests found that every CEL rule of
	// the schema is a transition rule (it uses oldSelf, without
	// optionalOldSelf), which the API server runs on updates only (see
	// checkedCRD): a create then needs no CEL program.
	updateRulesOnly bool

	once      sync.Once
	validator apiservervalidation.SchemaValidator
	err       error
	celOnce   sync.Once
	celv      *cel.Validator
}

// compile builds the OpenAPI schema validator once.
func (c *crdVersion) compile() (apiservervalidation.SchemaValidator, error) {
	c.once.Do(func() {
		c.validator, _, c.err = apiservervalidation.NewSchemaValidator(c.internal)
		if c.err != nil {
			c.err = fmt.Errorf("CustomResourceDefinition %s version %s: %w", c.crdName, c.gvk.Version, c.err)
		}
	})
	return c.validator, c.err
}

// celValidator builds the CEL programs of the schema's rules once, and is
// nil when the schema has none (rules is false). update says whether the
// object is checked as an update (with its old version): for a create, a
// schema whose rules all run on updates only (updateRulesOnly) needs no
// program, and none is built; the result is then nil too.
func (c *crdVersion) celValidator(update bool) *cel.Validator {
	if !c.rules || !update && c.updateRulesOnly {
		return nil
	}
	c.celOnce.Do(func() { c.celv = cel.NewValidator(c.structural, true, celconfig.PerCallLimit) })
	return c.celv
}

// LoadedCRD describes a CustomResourceDefinition a Validator uses.
type LoadedCRD struct {
	// Name is the CRD's metadata.name, Source the name of its Source
	// ("<embedded>/..." for prenv's own schemas).
	Name, Source string
	// Kinds are the served group/version/kinds whose schema is this CRD's
	// (a later CRD for the same group/version/kind replaces an earlier one,
	// so a kind can be missing here).
	Kinds []schema.GroupVersionKind
}

// EmbeddedCRDs returns prenv's own schemas (package schemas) as sources.
func EmbeddedCRDs() ([]Source, error) {
	entries, err := fs.ReadDir(schemas.CRDs, "crds")
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, e := range entries {
		if e.IsDir() || !manifestExt(e.Name()) {
			continue
		}
		b, err := fs.ReadFile(schemas.CRDs, path.Join("crds", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Source{Name: "<embedded>/" + e.Name(), Data: b})
	}
	return out, nil
}

// crdSet is the schemas by group/version/kind, later sources first.
type crdSet struct {
	byGVK  map[schema.GroupVersionKind]*crdEntry
	loaded []LoadedCRD
	types  *typeChecker
}

// newCRDSet returns an empty set whose CRDs are decoded with tc.
func newCRDSet(tc *typeChecker) *crdSet {
	return &crdSet{byGVK: map[schema.GroupVersionKind]*crdEntry{}, types: tc}
}

// crdEntry is what a crdSet holds for one group/version/kind: the name of
// the CRD that serves it and of its source, and its schema, decoded when
// the source was added (version) or, for a source of prenv's own, on
// first use (lazy).
type crdEntry struct {
	crdName, source string
	version         *crdVersion
	lazy            *lazySource
}

// lookup returns the schema of a group/version/kind, and false when the
// set has none. A source of prenv's own is decoded on the first lookup of
// one of its kinds (see lazySource); err is then its failure, the same
// for every lookup of its kinds. It is safe for concurrent use.
func (s *crdSet) lookup(ctx context.Context, gvk schema.GroupVersionKind) (cv *crdVersion, found bool, err error) {
	e, ok := s.byGVK[gvk]
	switch {
	case !ok:
		return nil, false, nil
	case e.lazy == nil:
		return e.version, true, nil
	}
	cv, err = e.lazy.version(ctx, gvk)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s, Kind=%s: %w", ErrEmbeddedSchema, gvk.GroupVersion(), gvk.Kind, err)
	}
	return cv, true, nil
}

// addEmbedded adds a source of prenv's own (see EmbeddedCRDs) as add
// does, but without decoding it when its CRD's header can be read (see
// crdHeader): its kinds are then registered from the header, and the
// source is decoded on the first lookup of one of them (lazySource), so
// that a Validator does not spend time on schemas it is not asked to use.
// Such a source's errors come from that lookup; otherwise they are add's.
func (s *crdSet) addEmbedded(ctx context.Context, src Source) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, checked := checkedSource(src)
	h, ok := c.header, checked
	if !ok {
		h, ok = crdHeader(src)
	}
	if !ok {
		return s.add(ctx, src)
	}
	l := &lazySource{src: src, header: h, types: s.types, checked: checked, updateRulesOnly: checked && c.updateRulesOnly}
	for _, gvk := range h.Kinds {
		s.byGVK[gvk] = &crdEntry{crdName: h.Name, source: src.Name, lazy: l}
	}
	s.loaded = append(s.loaded, h)
	return nil
}

// lazySource is a source registered by its CRD's header alone (see
// crdSet.addEmbedded). It is decoded and checked as crdSet.add does once,
// on the first call of version; the decoded CRD must be the header's
// (same name, same served group/version/kinds in the same order). It is
// safe for concurrent use: concurrent first calls wait for the one that
// decodes.
type lazySource struct {
	src    Source
	header LoadedCRD
	types  *typeChecker
	// checked is set for bytes the tests found valid (see checkedSource):
	// their decoding skips the API server's checks of the CRD itself.
	checked bool
	// updateRulesOnly is checkedCRD's, for a checked source.
	updateRulesOnly bool

	once     sync.Once
	versions map[schema.GroupVersionKind]*crdVersion
	err      error
}

// version returns the schema of one of the header's kinds, decoding the
// source on the first call. The decoding does not stop when ctx is done,
// so that a canceled caller does not leave its error to the others. The
// error, the same for every call, is crdSet.add's (a *CRDError), or a
// *CRDError saying that the decoded CRD is not the header's.
func (l *lazySource) version(ctx context.Context, gvk schema.GroupVersionKind) (*crdVersion, error) {
	l.once.Do(func() { l.versions, l.err = l.decode(context.WithoutCancel(ctx)) })
	if l.err != nil {
		return nil, l.err
	}
	return l.versions[gvk], nil
}

// decode decodes the source as crdSet.add does and returns the schemas of
// its served versions.
func (l *lazySource) decode(ctx context.Context) (map[schema.GroupVersionKind]*crdVersion, error) {
	set := newCRDSet(l.types)
	if err := set.addSource(ctx, l.src, l.checked); err != nil {
		return nil, err
	}
	if len(set.loaded) != 1 || set.loaded[0].Name != l.header.Name || !slices.Equal(set.loaded[0].Kinds, l.header.Kinds) {
		return nil, &CRDError{Source: l.src.Name, Name: l.header.Name, Err: fmt.Errorf("decoded, the source holds %v, not what its header said (%v)", set.loaded, l.header.Kinds)}
	}
	versions := make(map[schema.GroupVersionKind]*crdVersion, len(set.byGVK))
	for gvk, e := range set.byGVK {
		e.version.updateRulesOnly = l.updateRulesOnly
		versions[gvk] = e.version
	}
	return versions, nil
}

// add decodes the CRDs of a source and registers their served versions,
// replacing earlier schemas for the same group/version/kind. Documents that
// are not CRDs are skipped.
func (s *crdSet) add(ctx context.Context, src Source) error {
	return s.addSource(ctx, src, false)
}

// addSource is add; checked skips the check for YAML alias bombs and the
// API server's checks of the CRDs themselves
// (crdvalidation.ValidateCustomResourceDefinition), for a source whose
// bytes the tests found valid (see checkedSource).
func (s *crdSet) addSource(ctx context.Context, src Source, checked bool) error {
	for _, d := range decodeStreamOf(src.Data, checked) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.fatal || (d.obj == nil && len(d.problems) > 0) {
			p := d.problems[len(d.problems)-1]
			return &CRDError{Source: src.Name, Document: d.doc, Item: d.item, Err: fmt.Errorf("%s", p.Message)}
		}
		if d.obj == nil {
			continue
		}
		gvk := d.obj.GroupVersionKind()
		if gvk.GroupKind() != crdGVK.GroupKind() {
			continue
		}
		if len(d.problems) > 0 {
			ce := &CRDError{Source: src.Name, Document: d.doc, Item: d.item, Name: d.obj.GetName()}
			if d.problems[0].Field == "" {
				ce.Err = errors.New(d.problems[0].Message) // a YAML-level problem
			} else {
				ce.Errs = problemsToErrors(d.problems)
			}
			return ce
		}
		crd, errs, err := decodeCRD(ctx, s.types, d.obj, !checked)
		if err != nil || len(errs) > 0 {
			return &CRDError{Source: src.Name, Document: d.doc, Item: d.item, Name: d.obj.GetName(), Err: err, Errs: errs}
		}
		versions, err := crdVersions(crd, src.Name)
		if err != nil {
			return &CRDError{Source: src.Name, Document: d.doc, Item: d.item, Name: crd.Name, Err: err}
		}
		info := LoadedCRD{Name: crd.Name, Source: src.Name}
		for _, v := range versions {
			s.byGVK[v.gvk] = &crdEntry{crdName: v.crdName, source: v.source, version: v}
			info.Kinds = append(info.Kinds, v.gvk)
		}
		s.loaded = append(s.loaded, info)
	}
	return nil
}

// loadedCRDs returns the CRDs with the kinds they still serve.
func (s *crdSet) loadedCRDs() []LoadedCRD {
	out := make([]LoadedCRD, 0, len(s.loaded))
	for _, l := range s.loaded {
		kept := LoadedCRD{Name: l.Name, Source: l.Source}
		for _, gvk := range l.Kinds {
			if e := s.byGVK[gvk]; e != nil && e.source == l.Source && e.crdName == l.Name {
				kept.Kinds = append(kept.Kinds, gvk)
			}
		}
		out = append(out, kept)
	}
	return out
}

// decodeCRD decodes an apiextensions.k8s.io/v1 CustomResourceDefinition
// strictly, defaults it and converts it to the internal version as the API
// server does on create, then runs the API server's CRD validation (names,
// versions, structural schemas, defaults, CEL rules and their cost), unless
// check is false. errs are validation errors; err is a decoding error.
func decodeCRD(ctx context.Context, tc *typeChecker, u *unstructured.Unstructured, check bool) (*apiextensions.CustomResourceDefinition, field.ErrorList, error) {
	if u.GetAPIVersion() != crdGVK.GroupVersion().String() {
		return nil, nil, fmt.Errorf("apiVersion %s is not supported (the API server serves CustomResourceDefinitions as %s only)", u.GetAPIVersion(), crdGVK.GroupVersion())
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, nil, err
	}
	var problems []fieldProblem
	tc.check(typeOfCRD, u.Object, nil, &problems)
	if len(problems) > 0 {
		return nil, problemsToErrors(problems), nil
	}
	v1crd := &apiextensionsv1.CustomResourceDefinition{}
	strict, err := kjson.UnmarshalStrict(data, v1crd)
	if err != nil {
		return nil, nil, err
	}
	for _, se := range strict {
		problems = append(problems, strictProblem(se))
	}
	if len(problems) > 0 {
		return nil, problemsToErrors(problems), nil
	}
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(v1crd)
	crd := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(v1crd, crd, nil); err != nil {
		return nil, nil, err
	}
	// As the API server's create strategy: status starts empty, with the
	// storage version recorded as stored.
	crd.Status = apiextensions.CustomResourceDefinitionStatus{}
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			crd.Status.StoredVersions = append(crd.Status.StoredVersions, v.Name)
		}
	}
	if !check {
		return crd, nil, nil
	}
	if errs := crdvalidation.ValidateCustomResourceDefinition(ctx, crd); len(errs) > 0 {
		return crd, errs, nil
	}
	return crd, nil, nil
}

// problemsToErrors turns decode problems of a CRD into field errors.
func problemsToErrors(ps []fieldProblem) field.ErrorList {
	var errs field.ErrorList
	for _, p := range ps {
		var fp *field.Path
		if p.Field != "" {
			fp = field.NewPath(p.Field)
		}
		switch p.Type {
		case TypeUnknownField:
			errs = append(errs, field.Forbidden(fp, "unknown field"))
		case TypeDuplicateField:
			errs = append(errs, field.Duplicate(fp, p.Message))
		default:
			errs = append(errs, &field.Error{Type: field.ErrorType(p.Type), Field: p.Field, BadValue: "", Detail: p.Message})
		}
	}
	return errs
}

// crdVersions builds the schemas of the served versions of a valid CRD, as
// the API server's CR handler does: the structural schema with defaults
// pruned, and the internal OpenAPI schema for the schema validator.
func crdVersions(crd *apiextensions.CustomResourceDefinition, source string) ([]*crdVersion, error) {
	var out []*crdVersion
	for _, ver := range crd.Spec.Versions {
		if !ver.Served {
			continue
		}
		val, err := apiextensions.GetSchemaForVersion(crd, ver.Name)
		if err != nil {
			return nil, err
		}
		sub, err := apiextensions.GetSubresourcesForVersion(crd, ver.Name)
		if err != nil {
			return nil, err
		}
		cv := &crdVersion{
			gvk:             schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind},
			crdName:         crd.Name,
			source:          source,
			namespaced:      crd.Spec.Scope == apiextensions.NamespaceScoped,
			preserveUnknown: crd.Spec.PreserveUnknownFields != nil && *crd.Spec.PreserveUnknownFields,
		}
		if sub != nil {
			cv.status = sub.Status != nil
			cv.scale = sub.Scale
		}
		if val != nil && val.OpenAPIV3Schema != nil {
			cv.internal = val.OpenAPIV3Schema
			s, err := structuralschema.NewStructural(val.OpenAPIV3Schema)
			if err != nil && !cv.preserveUnknown {
				return nil, fmt.Errorf("version %s: schema is not structural: %w", ver.Name, err)
			}
			if s != nil {
				s = s.DeepCopy()
				if err := structuraldefaulting.PruneDefaults(s); err != nil {
					return nil, fmt.Errorf("version %s: pruning defaults: %w", ver.Name, err)
				}
			}
			cv.structural = s
			cv.defaults = schemaHas(s, func(s *structuralschema.Structural) bool { return s.Default.Object != nil })
			cv.embedded = schemaHas(s, func(s *structuralschema.Structural) bool { return s.XEmbeddedResource })
			cv.listTypes = schemaHas(s, func(s *structuralschema.Structural) bool { return s.XListType != nil })
			cv.rules = schemaHas(s, func(s *structuralschema.Structural) bool { return len(s.XValidations) > 0 })
		}
		out = append(out, cv)
	}
	return out, nil
}

// schemaHas reports whether f holds for s or a schema below it: of its
// properties, additionalProperties or items, the schemas that
// apiextensions-apiserver's defaulting (Default), embedded-resource
// coercion and validation (objectmeta.CoerceWithOptions and Validate),
// list-type validation (listtype.ValidateListSetsAndMaps) and the CEL
// validator (cel.NewValidator, hasXValidations) walk.
func schemaHas(s *structuralschema.Structural, f func(*structuralschema.Structural) bool) bool {
	if s == nil {
		return false
	}
	if f(s) {
		return true
	}
	for _, p := range s.Properties {
		if schemaHas(&p, f) {
			return true
		}
	}
	if s.AdditionalProperties != nil && schemaHas(s.AdditionalProperties.Structural, f) {
		return true
	}
	return schemaHas(s.Items, f)
}

// kinds returns the group/version/kinds of the set, sorted.
func (s *crdSet) kinds() []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, 0, len(s.byGVK))
	for gvk := range s.byGVK {
		out = append(out, gvk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// servedVersions lists the versions of a group/kind the set has schemas for.
func (s *crdSet) servedVersions(gk schema.GroupKind) []string {
	var out []string
	for gvk := range s.byGVK {
		if gvk.GroupKind() == gk {
			out = append(out, gvk.Version)
		}
	}
	sort.Strings(out)
	return out
}
