package specyaml

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

	"github.com/agnivade/levenshtein"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TypeRules is what [TypeErrors] needs to know of the Go types beyond
// encoding/json's own rules.
type TypeRules struct {
	// Special, when it knows t (a type with its own decoding, say), returns
	// the errors of the value v at p and true; false leaves v to the
	// generic rules.
	Special func(v any, t reflect.Type, p *field.Path) (field.ErrorList, bool)
	// Unknown is the error for a field at p that its struct does not have;
	// known are the JSON names of the struct's fields (nil when they are
	// not known, as for [StrictError]).
	Unknown func(p *field.Path, known []string) *field.Error
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// TypeErrors checks a document, as JSON, against the Go type t it decodes
// into and reports every value of the wrong JSON type and every unknown
// field, each at its own path: list elements by index, map entries by key
// (spec.iam.statements[1].conditions.StringEquals), as the API server names
// them in a custom resource. A JSON null is always accepted (it leaves the
// zero value), and so is a struct that decodes itself (json.Unmarshaler).
// The errors of rules.Unknown, which must be Forbidden, start with the line
// and column where pos says the field is written ("line 3, column 5: ").
// JSON that does not parse gives no errors: the decoder that follows
// reports it.
func TypeErrors(js []byte, t reflect.Type, pos Positions, rules TypeRules) field.ErrorList {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil
	}
	return withPositions(typeErrors(doc, t, nil, rules), pos)
}

// typeErrors checks v, a JSON value decoded with UseNumber, against type t.
func typeErrors(v any, t reflect.Type, p *field.Path, rules TypeRules) field.ErrorList {
	if v == nil {
		return nil
	}
	if rules.Special != nil {
		if errs, ok := rules.Special(v, t, p); ok {
			return errs
		}
	}
	mismatch := func(want string) field.ErrorList { return field.ErrorList{Mismatch(p, v, want)} }
	switch t.Kind() {
	case reflect.Pointer:
		return typeErrors(v, t.Elem(), p, rules)
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
			if name := JSONFieldName(t.Field(i)); name != "" {
				fields[name] = t.Field(i)
			}
		}
		var errs field.ErrorList
		for _, k := range slices.Sorted(maps.Keys(m)) {
			f, ok := fields[k]
			if !ok {
				errs = append(errs, rules.Unknown(keyPath(p, k), slices.Collect(maps.Keys(fields))))
				continue
			}
			errs = append(errs, typeErrors(m[k], f.Type, keyPath(p, k), rules)...)
		}
		return errs
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch("object")
		}
		var errs field.ErrorList
		for _, k := range slices.Sorted(maps.Keys(m)) {
			errs = append(errs, typeErrors(m[k], t.Elem(), keyPath(p, k), rules)...)
		}
		return errs
	case reflect.Slice, reflect.Array:
		list, ok := v.([]any)
		if !ok {
			return mismatch("list")
		}
		var errs field.ErrorList
		for i, e := range list {
			errs = append(errs, typeErrors(e, t.Elem(), at(p).Index(i), rules)...)
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

// Mismatch is the error for v, a JSON value decoded with UseNumber, at p
// where a value of type want belongs: "must be of type <want>, not <kind
// of v>".
func Mismatch(p *field.Path, v any, want string) *field.Error {
	return field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("must be of type %s, not %s", want, ValueKind(v)))
}

// ValueKind names the type of v, a JSON value decoded with UseNumber, in
// the words of "must be of type": string, number (with its value when it
// is not an integer of 64 bits), boolean, list, object or null.
func ValueKind(v any) string {
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

// JSONFieldName is a struct field's name in JSON, or "" for a field JSON
// leaves out (unexported, or tagged "-").
func JSONFieldName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}

// withPositions prefixes each unknown-field error of errs (the Forbidden
// errors of typeErrors) with the line and column where the field is
// written in the file; a field that --set added has none.
func withPositions(errs field.ErrorList, pos Positions) field.ErrorList {
	for _, e := range errs {
		if e.Type != field.ErrorTypeForbidden {
			continue
		}
		if at, ok := pos[e.Field]; ok {
			e.Detail = fmt.Sprintf("line %d, column %d: %s", at.Line, at.Column, e.Detail)
		}
	}
	return errs
}

// ClosestField returns the field of known closest to the last name of p by
// edit distance, ignoring ASCII case, when it is close enough to be a slip
// (at most a third of the name's length, and at least 2 edits, as for IAM
// actions and regions), or "" when none is; a tie goes to the first in
// name order.
func ClosestField(p *field.Path, known []string) string {
	s := p.String()
	name := s[strings.LastIndexByte(s, '.')+1:]
	known = slices.Sorted(slices.Values(known))
	best, bestDist := "", max(2, len(name)/3)+1
	for _, k := range known {
		if d := levenshtein.ComputeDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// StrictError turns sigs.k8s.io/json's strict error ("unknown field
// \"spec.x\"", "duplicate field \"spec.x\"") into a field error at that
// path: unknown's error for an unknown field (known is nil), Duplicate for
// a duplicate one, and an error of the whole file ([FileField]) otherwise.
func StrictError(err error, unknown func(p *field.Path, known []string) *field.Error) *field.Error {
	msg := err.Error()
	for _, kind := range []string{"unknown field ", "duplicate field "} {
		if rest, ok := strings.CutPrefix(msg, kind); ok {
			path := strings.Trim(rest, `"`)
			if kind == "unknown field " {
				return unknown(PathOf(path), nil)
			}
			return field.Duplicate(PathOf(path), nil)
		}
	}
	return FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, msg))
}

// DecodeError maps a decoding error of js to the field it concerns: a
// *json.UnmarshalTypeError to the path, list indexes included (encoding/json's
// field path has none), of the first value of its JSON type that its path
// leads to, with "must be of type <type>, not <value>"; any other error to
// the whole file ([FileField]).
func DecodeError(err error, js []byte) *field.Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		var doc any
		_ = json.Unmarshal(js, &doc)
		p := locate(doc, strings.Split(te.Field, "."), te.Value, nil)
		if p == nil {
			p = PathOf(te.Field)
		}
		return field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("must be of type %s, not %s", jsonType(te.Type.Kind().String()), te.Value))
	}
	return FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, err.Error()))
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
	return locate(next, parts[1:], kind, keyPath(p, parts[0]))
}

// jsonKind names the JSON type of v, decoded without UseNumber, as
// encoding/json's UnmarshalTypeError.Value does.
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

// jsonType names a Go kind in the words of "must be of type".
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

// PathOf is the field path of a dotted JSON path ("spec.aws.region"), nil
// for "".
func PathOf(dotted string) *field.Path {
	if dotted == "" {
		return nil
	}
	parts := strings.Split(dotted, ".")
	return field.NewPath(parts[0], parts[1:]...)
}
