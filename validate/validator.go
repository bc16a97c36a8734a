package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// Options configure a Validator.
type Options struct {
	// CRDs are CustomResourceDefinition sources (see LoadCRDFiles), for
	// example the output of `kubectl get crd -o yaml`. Their served versions
	// replace the embedded schemas for the same group/version/kind; a later
	// source replaces an earlier one. Documents that are not CRDs are
	// skipped.
	CRDs []Source
	// NoEmbedded leaves out prenv's embedded schemas (package schemas).
	NoEmbedded bool
	// IgnoreMissingSchemas skips objects whose kind has no schema instead of
	// reporting them.
	IgnoreMissingSchemas bool
}

// Validator checks objects against built-in kinds and a set of CRD schemas.
// It is safe for concurrent use; schemas are compiled once, on first use of
// each group/version/kind.
type Validator struct {
	crds          *crdSet
	builtin       *builtinTypes
	types         *typeChecker
	ignoreMissing bool
}

// New decodes and checks the CRDs of opts.CRDs and returns a Validator
// that uses them and, unless opts.NoEmbedded, prenv's embedded schemas
// (before them: a CRD of opts.CRDs replaces an embedded schema for the
// same group/version/kind). A CRD that cannot be decoded or that the API
// server would refuse is a *CRDError (errors.Is(err, ErrInvalidCRD)).
//
// The embedded schemas, which prenv's tests check, are registered by the
// group/version/kinds they serve, and each is decoded and checked on the
// first validation of one of its kinds, so that New costs little and a
// Validator does not spend time on schemas it is not asked to use.
func New(ctx context.Context, opts Options) (*Validator, error) {
	var emb []Source
	if !opts.NoEmbedded {
		var err error
		if emb, err = EmbeddedCRDs(); err != nil {
			return nil, fmt.Errorf("reading embedded schemas: %w", err)
		}
	}
	return newValidator(ctx, opts, emb)
}

// newValidator is New with embedded as prenv's embedded schemas.
func newValidator(ctx context.Context, opts Options, embedded []Source) (*Validator, error) {
	tc := &typeChecker{}
	bt, err := newBuiltinTypes()
	if err != nil {
		return nil, err
	}
	set := newCRDSet(tc)
	for _, s := range embedded {
		if err := set.addEmbedded(ctx, s); err != nil {
			return nil, err
		}
	}
	for _, s := range opts.CRDs {
		if err := set.add(ctx, s); err != nil {
			return nil, err
		}
	}
	return &Validator{crds: set, builtin: bt, types: tc, ignoreMissing: opts.IgnoreMissingSchemas}, nil
}

// CRDs lists the CustomResourceDefinitions in use, in load order.
func (v *Validator) CRDs() []LoadedCRD { return v.crds.loadedCRDs() }

// CustomKinds lists the group/version/kinds that have a CRD schema.
func (v *Validator) CustomKinds() []schema.GroupVersionKind { return v.crds.kinds() }

// ValidateObjects checks objects; old holds previous versions of objects
// (may be nil), matched by API group, kind, namespace and name, to check
// updates (CEL transition rules). Problems carry Document = index+1 and no
// File. The objects are not modified. The error is ctx's, or an embedded
// schema's that cannot be used (a bug in prenv: errors.Is(err,
// ErrEmbeddedSchema), wrapping a *CRDError): when it is set, the result is
// incomplete.
func (v *Validator) ValidateObjects(ctx context.Context, objs, old []*unstructured.Unstructured) (Result, error) {
	decoded := make([]decodedObject, 0, len(objs))
	for i, o := range objs {
		d := decodedObject{doc: i + 1}
		n, err := normalize(o)
		if err != nil {
			d.fatal = true
			d.problems = []fieldProblem{{Type: TypeDocumentInvalid, Message: err.Error()}}
		} else {
			d.obj = n
		}
		decoded = append(decoded, d)
	}
	return v.validateDecoded(ctx, "", decoded, v.indexOld(old))
}

// ValidateStream checks every object of a multi-document YAML or JSON
// stream (the items of List documents one by one); name is used as the
// File of problems. Documents that are not YAML or not objects are
// problems, not errors: the error is ctx's, or an embedded schema's as
// for ValidateObjects (and then the result is incomplete).
func (v *Validator) ValidateStream(ctx context.Context, name string, data []byte, old []*unstructured.Unstructured) (Result, error) {
	return v.validateDecoded(ctx, name, decodeStream(data), v.indexOld(old))
}

// objectKey identifies an object across two renders.
type objectKey struct {
	group, kind, namespace, name string
}

func keyOf(u *unstructured.Unstructured) objectKey {
	gv, _ := schema.ParseGroupVersion(u.GetAPIVersion())
	return objectKey{group: gv.Group, kind: u.GetKind(), namespace: u.GetNamespace(), name: u.GetName()}
}

func (v *Validator) indexOld(old []*unstructured.Unstructured) map[objectKey]*unstructured.Unstructured {
	if len(old) == 0 {
		return nil
	}
	idx := make(map[objectKey]*unstructured.Unstructured, len(old))
	for _, o := range old {
		if o == nil {
			continue
		}
		n, err := normalize(o)
		if err != nil {
			continue
		}
		idx[keyOf(n)] = n
	}
	return idx
}

// normalize returns an object as the API server receives it, through
// JSON: numbers integral in JSON text become int64 and others float64, and
// only JSON types remain. An object that already has that form (see
// canonical), as decoders and manifest.ParseObjects produce it, is returned
// as it is, since validation only reads the objects it is given; any other
// is copied through JSON.
func normalize(u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if u == nil {
		return nil, fmt.Errorf("nil object")
	}
	if u.Object != nil && canonical(u.Object, 0) {
		return u, nil
	}
	return jsonCopy(u)
}

// jsonCopy copies an object through JSON.
func jsonCopy(u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("cannot encode object as JSON: %w", err)
	}
	var m map[string]interface{}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(b, &m); err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}

// maxCanonicalDepth bounds canonical's walk: deeper values (and cycles)
// take the JSON round trip, which reports what it must.
const maxCanonicalDepth = 100

// canonical reports whether v is equal to what encoding/json's Marshal
// followed by sigs.k8s.io/json's UnmarshalCaseSensitivePreserveInts gives
// back for it: non-nil map[string]interface{} and []interface{} holding
// such values, strings and keys of valid UTF-8 (Marshal replaces invalid
// bytes), int64, bool, nil, and float64 that are neither NaN, infinite nor
// integral. (Marshal fails on NaN and infinities, and writes an integral
// float below 1e21 without a fraction, which comes back as int64 when it
// fits; any other float comes back as the same float64, as Marshal writes
// the shortest text that parses back to it, with a fraction or an
// exponent.)
func canonical(v interface{}, depth int) bool {
	switch v := v.(type) {
	case nil, bool, int64:
		return true
	case string:
		return utf8.ValidString(v)
	case float64:
		return !math.IsNaN(v) && v != math.Trunc(v)
	case map[string]interface{}:
		if v == nil || depth >= maxCanonicalDepth {
			return false
		}
		for k, e := range v {
			if !utf8.ValidString(k) || !canonical(e, depth+1) {
				return false
			}
		}
		return true
	case []interface{}:
		if v == nil || depth >= maxCanonicalDepth {
			return false
		}
		for _, e := range v {
			if !canonical(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// validateDecoded checks decoded objects, in order. The error is ctx's,
// or an embedded schema's (see crdSet.lookup), which stops the checks:
// the result then holds the objects before.
func (v *Validator) validateDecoded(ctx context.Context, file string, decoded []decodedObject, old map[objectKey]*unstructured.Unstructured) (Result, error) {
	var r Result
	for _, d := range decoded {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		problems := d.problems
		skipped := false
		if !d.fatal && d.obj != nil {
			var prev *unstructured.Unstructured
			if old != nil {
				prev = old[keyOf(d.obj)]
			}
			ps, sk, err := v.validateObject(ctx, d.obj, prev)
			if err != nil {
				return r, err
			}
			problems, skipped = append(problems, ps...), sk
		}
		if d.obj != nil || d.fatal {
			r.Objects++
		}
		if skipped {
			r.Skipped++
		}
		if len(problems) == 0 {
			continue
		}
		r.Invalid++
		sortProblems(problems)
		for _, p := range problems {
			prob := Problem{File: file, Document: d.doc, Line: d.line, Item: d.item, Field: p.Field, Type: p.Type, Message: p.Message}
			if d.obj != nil {
				prob.APIVersion, prob.Kind = d.obj.GetAPIVersion(), d.obj.GetKind()
				prob.Namespace, prob.Name = safeString(d.obj.Object, "metadata", "namespace"), safeString(d.obj.Object, "metadata", "name")
			}
			r.Problems = append(r.Problems, prob)
		}
	}
	return r, ctx.Err()
}

// safeString reads a nested string without failing on other types.
func safeString(obj map[string]interface{}, fields ...string) string {
	s, _, _ := unstructured.NestedString(obj, fields...)
	return s
}

// validateObject dispatches on the group/version/kind: a loaded CRD's
// schema first, then the built-in kinds. skipped reports an object without
// schema that was let through (IgnoreMissingSchemas). The error is an
// embedded schema's (see crdSet.lookup).
func (v *Validator) validateObject(ctx context.Context, u, old *unstructured.Unstructured) (problems []fieldProblem, skipped bool, err error) {
	apiVersion, okV := u.Object["apiVersion"].(string)
	kind, okK := u.Object["kind"].(string)
	if !okV || apiVersion == "" {
		problems = append(problems, typeMetaProblem("apiVersion", u.Object["apiVersion"]))
	}
	if !okK || kind == "" {
		problems = append(problems, typeMetaProblem("kind", u.Object["kind"]))
	}
	if len(problems) > 0 {
		return problems, false, nil
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return []fieldProblem{fromFieldError(field.Invalid(field.NewPath("apiVersion"), apiVersion, err.Error()))}, false, nil
	}
	gvk := gv.WithKind(kind)
	cv, found, err := v.crds.lookup(ctx, gvk)
	if err != nil {
		return nil, false, err
	}
	if found {
		return v.validateCustom(ctx, cv, u, old), false, nil
	}
	if gvk.GroupKind() == crdGVK.GroupKind() {
		return v.validateCRDObject(ctx, u), false, nil
	}
	if t, ok := v.builtin.lookup(gvk); ok {
		problems := v.validateBuiltin(ctx, t, gvk, u)
		if old != nil && len(problems) == 0 {
			problems = fromFieldErrors(builtinUpdateErrors(gvk.GroupKind(), u.Object, old.Object))
		}
		return problems, false, nil
	}
	if v.ignoreMissing {
		return nil, true, nil
	}
	return []fieldProblem{v.missingSchema(gvk)}, false, nil
}

func typeMetaProblem(name string, val interface{}) fieldProblem {
	if val == nil || val == "" {
		return fromFieldError(field.Required(field.NewPath(name), ""))
	}
	return typeMismatch(field.NewPath(name), val, "string")
}

func (v *Validator) missingSchema(gvk schema.GroupVersionKind) fieldProblem {
	msg := fmt.Sprintf("no schema for %s, Kind=%s: not a built-in kind and no CustomResourceDefinition loaded for it", gvk.GroupVersion(), gvk.Kind)
	versions := append(v.crds.servedVersions(gvk.GroupKind()), v.builtin.versionsOf(gvk.GroupKind())...)
	if len(versions) > 0 {
		msg = fmt.Sprintf("no schema for %s, Kind=%s: known versions of %s are %s", gvk.GroupVersion(), gvk.Kind, gvk.GroupKind(), strings.Join(versions, ", "))
	}
	return fieldProblem{Type: TypeSchemaMissing, Message: msg}
}

// validateCRDObject checks a CustomResourceDefinition found among the
// objects as the API server would on create.
func (v *Validator) validateCRDObject(ctx context.Context, u *unstructured.Unstructured) []fieldProblem {
	_, errs, err := decodeCRD(ctx, v.types, u, true)
	if err != nil {
		return []fieldProblem{{Type: string(field.ErrorTypeInvalid), Message: err.Error()}}
	}
	return fromFieldErrors(errs)
}

// sortProblems orders the problems of one object by field path, problems
// without a path last, so that output does not depend on map order inside
// the schema validators.
func sortProblems(ps []fieldProblem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Field, ps[j].Field
		if (a == "") != (b == "") {
			return b == ""
		}
		if a != b {
			return a < b
		}
		return ps[i].Message < ps[j].Message
	})
}
