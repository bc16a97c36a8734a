package kit

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"
)

// TemplateValues is a Go value as templates see it in .Values: its JSON
// form (encoding/json's rules: field names are the JSON tags, numbers are
// float64, nil slices and maps are nil, invalid UTF-8 becomes U+FFFD),
// exactly what json.Marshal then json.Unmarshal into a map give. Common
// shapes (structs with plain tags, maps with string keys, slices, pointers,
// strings, numbers, booleans) are converted directly, without the JSON
// text; anything else (a json.Marshaler or encoding.TextMarshaler, an
// embedded struct, a ",string" or omitzero tag, map keys that are not
// strings, byte slices, float32) goes through encoding/json. Errors: v's
// JSON form is not an object, or encoding/json's (a NaN, a channel, ...).
func TemplateValues(v any) (map[string]any, error) {
	out, err := jsonValue(reflect.ValueOf(v), 0)
	if err != nil {
		return nil, err
	}
	m, ok := out.(map[string]any)
	if !ok && out != nil {
		// encoding/json's own error for a value that is not an object.
		var m map[string]any
		return m, roundTrip(v, &m)
	}
	return m, nil
}

// roundTrip is json.Marshal of v then json.Unmarshal into out.
func roundTrip(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// maxValueDepth bounds the direct conversion's nesting; deeper values (a
// model has a handful of levels) go through encoding/json, which reports
// cycles.
const maxValueDepth = 64

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// jsonValue is v's JSON form as json.Unmarshal into an any gives it.
func jsonValue(v reflect.Value, depth int) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	if depth > maxValueDepth || !direct(v.Type()) {
		return viaJSON(v)
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		// The decimal text of an integer parses to the float64 nearest it,
		// as the conversion rounds: the same value.
		return float64(v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(v.Uint()), nil
	case reflect.Float64:
		return viaJSONFloat(v)
	case reflect.String:
		return validUTF8(v.String()), nil
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return jsonValue(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range out {
			x, err := jsonValue(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		if v.CanInterface() {
			if m, ok := v.Interface().(map[string]string); ok {
				// The model's labels and annotations: read without
				// reflection, which copies each key and value it hands out.
				return stringMapValue(m)
			}
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			x, err := jsonValue(it.Value(), depth+1)
			if err != nil {
				return nil, err
			}
			// Keys are strings (direct): invalid UTF-8 in two keys can
			// give one key, the later in Unmarshal's order, which
			// encoding/json sorts: go through it then.
			k := it.Key().String()
			if !utf8.ValidString(k) {
				return viaJSON(v)
			}
			out[k] = x
		}
		return out, nil
	case reflect.Struct:
		return structValue(v, depth)
	}
	return viaJSON(v)
}

// stringMapValue is a map of strings as jsonValue converts it: each
// string valid UTF-8 (validUTF8). Keys that are not valid UTF-8 go through
// encoding/json, as in jsonValue.
func stringMapValue(m map[string]string) (any, error) {
	out := make(map[string]any, len(m))
	for k, s := range m {
		if !utf8.ValidString(k) {
			return viaJSON(reflect.ValueOf(m))
		}
		out[k] = validUTF8(s)
	}
	return out, nil
}

// direct says that values of t are converted by jsonValue's own rules:
// not a type with its own JSON or text form, not a byte slice (base64 in
// JSON), not float32 (printed with float32's precision), not a map with
// keys other than plain strings.
func direct(t reflect.Type) bool {
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) {
		return false
	}
	if t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) {
		// encoding/json calls a pointer method for addressable values.
		return false
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Complex64, reflect.Complex128, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	case reflect.Slice, reflect.Array:
		return t.Elem().Kind() != reflect.Uint8
	case reflect.Map:
		return t.Key().Kind() == reflect.String && t.Key().PkgPath() == ""
	}
	return true
}

// structValue is a struct's JSON object: its exported fields under their
// tags' names, omitempty fields left out when empty. A struct whose fields
// use anything else of encoding/json's rules (embedded fields, the string
// and omitzero options, names a tag cannot give, two fields of one name)
// goes through encoding/json.
func structValue(v reflect.Value, depth int) (any, error) {
	t := v.Type()
	out := make(map[string]any, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return viaJSON(v)
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		omitEmpty := false
		for opt := range strings.SplitSeq(opts, ",") {
			switch opt {
			case "":
			case "omitempty":
				omitEmpty = true
			default:
				return viaJSON(v)
			}
		}
		if name == "" {
			name = f.Name
		} else if !plainName(name) {
			return viaJSON(v)
		}
		if _, dup := out[name]; dup {
			return viaJSON(v)
		}
		fv := v.Field(i)
		if omitEmpty && emptyValue(fv) {
			// Keep the name taken, so that a later field of the same
			// name is seen as a duplicate.
			out[name] = omitted{}
			continue
		}
		x, err := jsonValue(fv, depth+1)
		if err != nil {
			return nil, err
		}
		out[name] = x
	}
	for k, x := range out {
		if _, ok := x.(omitted); ok {
			delete(out, k)
		}
	}
	return out, nil
}

// omitted marks a name whose omitempty field was left out.
type omitted struct{}

// plainName says that a tag name is letters, digits and underscores,
// which encoding/json takes as they are.
func plainName(s string) bool {
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// emptyValue is encoding/json's omitempty test.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// validUTF8 is s as encoding/json writes it and reads it back: each byte
// of an invalid sequence becomes U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// viaJSONFloat is a float64's JSON form: itself, when finite (its shortest
// decimal text parses back to it); encoding/json's error otherwise.
func viaJSONFloat(v reflect.Value) (any, error) {
	f := v.Float()
	if f-f != 0 {
		return viaJSON(v)
	}
	return f, nil
}

// viaJSON is v's JSON form through encoding/json; an addressable v is
// given by its address, as encoding/json would reach it (a method
// MarshalJSON of its pointer type is called then).
func viaJSON(v reflect.Value) (any, error) {
	x := v.Interface()
	if v.CanAddr() {
		x = v.Addr().Interface()
	}
	var out any
	if err := roundTrip(x, &out); err != nil {
		return nil, err
	}
	return out, nil
}
