package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/internal/errlist"
	"prenv.dev/prenv/internal/specyaml"
	sigsjson "sigs.k8s.io/json"
)

// Override is one --set style override of a spec field, in Helm's --set
// syntax (helm's strvals parser): "spec.prefix=pr", "spec.sqs.queues[0].fifo=true".
type Override struct {
	// Expr is the path=value expression.
	Expr string
	// String keeps every value a string, as helm's --set-string does.
	String bool
}

// Load decodes a spec strictly from YAML or JSON and applies the overrides in
// order. Unknown, misspelt or duplicate fields and values of the wrong type
// are errors that name the field, list indexes and map keys included; all of
// them are reported at once; an unknown field also gets the line and
// column where it is written and the closest field of its object
// ("did you mean"). Load does not check the values: [render.Render] and
// [Check] do. [LoadNamed] also names the file in the error.
func Load(data []byte, overrides ...Override) (*PreviewEnvironment, error) {
	js, pos, err := specJSON(data)
	if err != nil {
		return nil, err
	}
	if len(overrides) > 0 {
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			return nil, &InvalidError{Errs: field.ErrorList{specyaml.FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, err.Error()))}}
		}
		if m == nil {
			m = map[string]any{}
		}
		var errs field.ErrorList
		for i, o := range overrides {
			if err := checkOverrideIndexes(o.Expr); err != "" {
				errs = append(errs, field.Invalid(field.NewPath("--set").Index(i), o.Expr, err))
				continue
			}
			parse := strvals.ParseInto
			if o.String {
				parse = strvals.ParseIntoString
			}
			if err := parse(o.Expr, m); err != nil {
				errs = append(errs, field.Invalid(field.NewPath("--set").Index(i), o.Expr, err.Error()))
			}
		}
		if len(errs) > 0 {
			return nil, &InvalidError{Errs: errs}
		}
		if js, err = json.Marshal(m); err != nil {
			return nil, err
		}
	}
	// Every value of the wrong JSON type and every unknown field is reported
	// at its own path, list indexes and map keys included, before the strict
	// decoder runs: a type error of the decoder names one problem only, and
	// neither the list index nor the map key it is under.
	if errs := specTypeErrors(js, pos); len(errs) > 0 {
		return nil, &InvalidError{Errs: setStringHints(errs, overrides)}
	}
	var env PreviewEnvironment
	strict, err := sigsjson.UnmarshalStrict(js, &env, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, &InvalidError{Errs: field.ErrorList{decodeError(err, js)}}
	}
	if len(strict) > 0 {
		var errs field.ErrorList
		for _, e := range strict {
			errs = append(errs, strictError(e))
		}
		return nil, &InvalidError{Errs: errs}
	}
	return &env, nil
}

// SetStringHint ends the message for a value that --set made a number or
// a boolean where the spec takes a string.
const SetStringHint = "--set reads digits and true/false as a number or a boolean; use --set-string for a string"

// setStringHints adds [SetStringHint] to the errors of string fields that
// an override (not --set-string) gave a number or a boolean: helm's parser
// reads "--set spec.tags.cost=1234" as the number 1234, which the spec
// refuses rather than turn into another text.
func setStringHints(errs field.ErrorList, overrides []Override) field.ErrorList {
	set := map[string]bool{}
	for _, o := range overrides {
		if !o.String {
			path, _, _ := strings.Cut(o.Expr, "=")
			set[strings.ReplaceAll(path, `\.`, ".")] = true
		}
	}
	for _, e := range errs {
		if set[e.Field] && (e.Detail == "must be of type string, not number" || e.Detail == "must be of type string, not boolean") {
			e.Detail += "; " + SetStringHint
		}
	}
	return errs
}

// MaxOverrideIndex is the largest list index an override may name: no list
// of a spec may hold more (tables and queues at most 256 each). Helm's
// parser would otherwise build a list up to the index it is given, 65,536
// elements for "queues[65536]", and every check would then run over them.
const MaxOverrideIndex = 1023

// checkOverrideIndexes refuses an override whose path (before the first
// '=') names a list index over [MaxOverrideIndex].
func checkOverrideIndexes(expr string) string {
	path, _, _ := strings.Cut(expr, "=")
	for {
		i := strings.IndexByte(path, '[')
		if i < 0 {
			return ""
		}
		j := strings.IndexByte(path[i:], ']')
		if j < 0 {
			return ""
		}
		if n, err := strconv.Atoi(path[i+1 : i+j]); err == nil && n > MaxOverrideIndex {
			return fmt.Sprintf("list index %d is beyond every list of a spec (at most %d)", n, MaxOverrideIndex)
		}
		path = path[i+j+1:]
	}
}

// specJSON turns one YAML (or JSON) spec document into JSON: see
// [specyaml.Document]. It reads YAML 1.2, where only true and false are booleans:
// under YAML 1.1 an attribute "type: N" would turn into false.
func specJSON(data []byte) ([]byte, specyaml.Positions, error) {
	m, pos, errs := specyaml.DocumentPositions(data)
	if len(errs) > 0 {
		return nil, nil, &InvalidError{Errs: errs}
	}
	js, err := json.Marshal(m)
	if err != nil {
		return nil, nil, &InvalidError{Errs: field.ErrorList{specyaml.FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, "not representable as JSON: "+err.Error()))}}
	}
	return js, pos, nil
}

// strictError turns sigs.k8s.io/json's strict error ("unknown field \"spec.x\"",
// "duplicate field \"spec.x\"") into a field error at that path.
func strictError(err error) *field.Error {
	msg := err.Error()
	for _, kind := range []string{"unknown field ", "duplicate field "} {
		if rest, ok := strings.CutPrefix(msg, kind); ok {
			path := strings.Trim(rest, `"`)
			if kind == "unknown field " {
				return unknownFieldError(pathOf(path), nil)
			}
			return field.Duplicate(pathOf(path), nil)
		}
	}
	return specyaml.FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, msg))
}

// decodeError maps a JSON type error to the field it concerns, with list
// indexes (encoding/json's field path has none).
func decodeError(err error, js []byte) *field.Error {
	var ae *accountIDError
	if errors.As(err, &ae) {
		return field.Invalid(field.NewPath("spec", "aws", "accountID"), ae.value, "must be a string of 12 digits")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		var doc any
		_ = json.Unmarshal(js, &doc)
		p := locate(doc, strings.Split(te.Field, "."), te.Value, nil)
		if p == nil {
			p = pathOf(te.Field)
		}
		return field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("must be of type %s, not %s", jsonType(te.Type.Kind().String()), te.Value))
	}
	return specyaml.FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, err.Error()))
}

// locate follows a dotted field path through a decoded JSON document and
// returns the path, list indexes included, of the first value of JSON type
// kind ("string", "number", "bool", "array", "object") it leads to.
func locate(v any, parts []string, kind string, p *field.Path) *field.Path {
	if list, ok := v.([]any); ok {
		for i, e := range list {
			if found := locate(e, parts, kind, p.Index(i)); found != nil {
				return found
			}
		}
		return nil
	}
	if len(parts) == 0 || (len(parts) == 1 && parts[0] == "") {
		if jsonKind(v) == kind {
			return p
		}
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	next, ok := m[parts[0]]
	if !ok {
		return nil
	}
	if p == nil {
		return locate(next, parts[1:], kind, field.NewPath(parts[0]))
	}
	return locate(next, parts[1:], kind, p.Child(parts[0]))
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "uint", "uint64":
		return "integer"
	case "slice", "array":
		return "list"
	case "map", "struct", "ptr":
		return "object"
	}
	return goKind
}

func pathOf(dotted string) *field.Path {
	if dotted == "" {
		return nil
	}
	parts := strings.Split(dotted, ".")
	return field.NewPath(parts[0], parts[1:]...)
}

// InvalidError is returned for a spec that breaks one or more rules. Errs
// lists every problem, each with its field path; File names the spec file
// when it was read with [LoadNamed] ("" otherwise).
type InvalidError struct {
	Errs field.ErrorList
	File string
}

func (e *InvalidError) Error() string {
	if e.File != "" {
		return errlist.Format(e.File+": invalid spec", e.Errs)
	}
	return errlist.Format("invalid spec", e.Errs)
}

// unknownFieldError is the error for a field the spec's types do not have;
// known are the fields of its object. Fields of IAM's policy grammar that
// prenv leaves out on purpose say why; a misspelling of a known field
// names it.
func unknownFieldError(p *field.Path, known []string) *field.Error {
	if stmt, name, ok := statementField(p); ok {
		switch strings.ToLower(name) {
		case "principal", "principals", "notprincipal", "notprincipals":
			// IAM User Guide, "Grammar of the IAM JSON policy language": the
			// principal_block "must not be included in identity-based
			// policies"; IAM refuses the policy.
			return field.Forbidden(p, "an identity-based policy has no Principal (IAM refuses one): the statements of "+stmt+" apply to the env's Role, whose trust policy names the one principal, the env's ServiceAccount")
		case "notaction", "notactions":
			return field.Forbidden(p, "NotAction is not supported: with Allow it grants every action of every AWS service that it does not list; list the actions to allow or deny in actions")
		case "notresource", "notresources":
			return field.Forbidden(p, "NotResource is not supported: with Allow it grants the actions on every resource it does not list, in any account; list the resources in resources")
		}
		// IAM's own spelling of a field prenv has (Effect, Action, Resource,
		// Condition, Sid), as in a statement pasted from a policy.
		if want, ok := statementFieldNames[strings.ToLower(name)]; ok && want != name {
			return field.Forbidden(p, fmt.Sprintf("unknown field: a statement's field is %s (prenv's fields are sid, effect, actions, resources and conditions)", want))
		}
	}
	if want := closestField(p, known); want != "" {
		return field.Forbidden(p, fmt.Sprintf("unknown field; did you mean %q?", want))
	}
	return field.Forbidden(p, "unknown field (misspelt, or not in "+APIVersion+")")
}

// statementFieldNames maps IAM's names of a statement's elements, in lower
// case, to prenv's fields.
var statementFieldNames = map[string]string{
	"sid": "sid", "effect": "effect",
	"action": "actions", "actions": "actions",
	"resource": "resources", "resources": "resources",
	"condition": "conditions", "conditions": "conditions",
}

// statementField reports whether p is a field of one of
// spec.iam.statements, with that statement's path and the field's name.
func statementField(p *field.Path) (stmt, name string, ok bool) {
	s := p.String()
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", false
	}
	stmt, name = s[:i], s[i+1:]
	rest, found := strings.CutPrefix(stmt, "spec.iam.statements[")
	if !found || !strings.HasSuffix(rest, "]") {
		return "", "", false
	}
	if _, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err != nil {
		return "", "", false
	}
	return stmt, name, true
}

// specTypeErrors checks a spec, as JSON, against the Go types it decodes
// into and reports every value of the wrong JSON type and every unknown
// field, each at its own path: list elements by index, map entries by key
// (spec.iam.statements[1].conditions.StringEquals), as the API server names
// them in a custom resource. Values that pass decode as they are; what they
// mean is for [Check].
func specTypeErrors(js []byte, pos specyaml.Positions) field.ErrorList {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil // the decoder that follows reports it
	}
	return withPositions(typeErrors(doc, reflect.TypeFor[PreviewEnvironment](), nil), pos)
}

var (
	accountIDType   = reflect.TypeFor[AccountID]()
	stringListType  = reflect.TypeFor[StringList]()
	quantityType    = reflect.TypeFor[Quantity]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// typeErrors checks v, a JSON value decoded with UseNumber, against type t.
// JSON null is always accepted: it leaves the zero value.
func typeErrors(v any, t reflect.Type, p *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	mismatch := func(want string) field.ErrorList {
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("must be of type %s, not %s", want, jsonValueKind(v)))}
	}
	switch t {
	case accountIDType:
		switch x := v.(type) {
		case string:
			return nil
		case json.Number:
			// Only --set gives a number here (a spec file's number is read
			// by specReader.accountIDNumber): helm's parser reads 12345 as
			// a number, and keeps digits with a leading zero as a string.
			if specyaml.IsAccountDigits(x.String()) {
				return nil
			}
			return field.ErrorList{field.Invalid(p, x.String(), "a number as account ID must be exactly 12 digits; give all 12 digits, or use --set-string spec.aws.accountID=... so that the value is read as written")}
		}
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, "must be a string of 12 digits, not "+jsonValueKind(v))}
	case stringListType:
		switch x := v.(type) {
		case string:
			return nil
		case []any:
			var errs field.ErrorList
			for i, e := range x {
				if _, ok := e.(string); !ok && e != nil {
					errs = append(errs, field.Invalid(p.Index(i), field.OmitValueType{}, "must be of type string, not "+jsonValueKind(e)))
				}
			}
			return errs
		}
		return mismatch("string or list of strings")
	case quantityType:
		switch v.(type) {
		case string, json.Number:
			return nil
		}
		return mismatch("string or number")
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeErrors(v, t.Elem(), p)
	case reflect.Struct:
		if reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil // a type with its own decoding: the decoder checks it
		}
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch("object")
		}
		fields := map[string]reflect.StructField{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f
		}
		var errs field.ErrorList
		for _, k := range sortedKeys(m) {
			f, ok := fields[k]
			if !ok {
				errs = append(errs, unknownFieldError(childPath(p, k), slices.Collect(maps.Keys(fields))))
				continue
			}
			errs = append(errs, typeErrors(m[k], f.Type, childPath(p, k))...)
		}
		return errs
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch("object")
		}
		var errs field.ErrorList
		for _, k := range sortedKeys(m) {
			errs = append(errs, typeErrors(m[k], t.Elem(), childPath(p, k))...)
		}
		return errs
	case reflect.Slice, reflect.Array:
		list, ok := v.([]any)
		if !ok {
			return mismatch("list")
		}
		var errs field.ErrorList
		for i, e := range list {
			ip := p.Index(i)
			if p == nil {
				ip = field.NewPath("").Index(i)
			}
			errs = append(errs, typeErrors(e, t.Elem(), ip)...)
		}
		return errs
	case reflect.String:
		if _, ok := v.(string); !ok {
			return mismatch("string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return mismatch("boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return mismatch("integer")
		}
		if _, err := strconv.ParseInt(n.String(), 10, t.Bits()); errors.Is(err, strconv.ErrRange) {
			return field.ErrorList{field.Invalid(p, n.String(), fmt.Sprintf("must be an integer of %d bits", t.Bits()))}
		} else if err != nil {
			return mismatch("integer")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			return mismatch("integer")
		}
		if _, err := strconv.ParseUint(n.String(), 10, t.Bits()); errors.Is(err, strconv.ErrRange) {
			return field.ErrorList{field.Invalid(p, n.String(), fmt.Sprintf("must be an integer of %d bits", t.Bits()))}
		} else if err != nil {
			return mismatch("non-negative integer")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			return mismatch("number")
		}
	}
	return nil
}

// childPath is p's field name, or the path's first element when p is nil.
func childPath(p *field.Path, name string) *field.Path {
	if p == nil {
		return field.NewPath(name)
	}
	return p.Child(name)
}

// jsonValueKind names a JSON value's type in the words of "must be of type".
func jsonValueKind(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case json.Number:
		if _, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return "number"
		}
		return "number " + x.String()
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "null"
}
