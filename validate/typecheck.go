package validate

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// typeChecker finds, with their paths, what strict JSON decoding of a value
// into a Go type refuses: fields the type does not have, values of the wrong
// JSON type, integers out of range, bad base64 for []byte, and values that a
// type's own UnmarshalJSON refuses (quantities, int-or-strings, times).
//
// The JSON decoder stops at the first such error and names its field without
// list indexes; this walk reports all of them with kubectl-style paths
// ("spec.template.spec.containers[0].ports[0].containerPort"). Decoding itself
// is still done by sigs.k8s.io/json (see builtin.go); the walk only explains.
type typeChecker struct {
	fields   sync.Map // reflect.Type -> *structInfo
	methods  sync.Map // reflect.Type -> unmarshalers
	decoders sync.Map // reflect.Type -> decoder (see decodeTyped)
}

// unmarshalers says which decoding methods a pointer to a type has.
type unmarshalers struct {
	json, text bool // json.Unmarshaler, encoding.TextUnmarshaler
}

// unmarshalersOf returns the decoding methods of *t, looked up once per
// type.
func (c *typeChecker) unmarshalersOf(t reflect.Type) unmarshalers {
	if m, ok := c.methods.Load(t); ok {
		return m.(unmarshalers)
	}
	pt := reflect.PointerTo(t)
	m := unmarshalers{json: pt.Implements(jsonUnmarshalerType), text: pt.Implements(textUnmarshalerType)}
	c.methods.Store(t, m)
	return m
}

var (
	jsonUnmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// check appends to out the problems of decoding v (a value decoded from JSON
// into interface{}) into a value of type t at path.
func (c *typeChecker) check(t reflect.Type, v interface{}, path *field.Path, out *[]fieldProblem) {
	if v == nil {
		return // null decodes into anything as the zero value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Interface && c.unmarshalersOf(t).json {
		c.checkUnmarshaler(t, v, path, out)
		return
	}
	switch t.Kind() {
	case reflect.Interface:
		return
	case reflect.String:
		if _, ok := v.(string); !ok {
			*out = append(*out, typeMismatch(path, v, "string"))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			*out = append(*out, typeMismatch(path, v, "boolean"))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := asInt(v)
		if !ok {
			*out = append(*out, typeMismatch(path, v, "integer"))
			return
		}
		bits := t.Bits()
		if lo, hi := -int64(1)<<(bits-1), int64(1)<<(bits-1)-1; bits < 64 && (n < lo || n > hi) {
			*out = append(*out, fromFieldError(field.Invalid(path, v, fmt.Sprintf("must be between %d and %d", lo, hi))))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := asInt(v)
		if !ok {
			*out = append(*out, typeMismatch(path, v, "integer"))
			return
		}
		if bits := t.Bits(); n < 0 || (bits < 64 && uint64(n) > uint64(1)<<bits-1) {
			*out = append(*out, fromFieldError(field.Invalid(path, v, fmt.Sprintf("must be between 0 and %d", uint64(1)<<bits-1))))
		}
	case reflect.Float32, reflect.Float64:
		switch v.(type) {
		case int64, int, int32, float64, float32:
		default:
			*out = append(*out, typeMismatch(path, v, "number"))
		}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			s, ok := v.(string)
			if !ok {
				*out = append(*out, typeMismatch(path, v, "string"))
				return
			}
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				*out = append(*out, fromFieldError(field.Invalid(path, "<value omitted>", "must be base64-encoded: "+err.Error())))
			}
			return
		}
		list, ok := v.([]interface{})
		if !ok {
			*out = append(*out, typeMismatch(path, v, "array"))
			return
		}
		for i, e := range list {
			c.check(t.Elem(), e, path.Index(i), out)
		}
	case reflect.Map:
		m, ok := v.(map[string]interface{})
		if !ok {
			*out = append(*out, typeMismatch(path, v, "object"))
			return
		}
		for _, k := range sortedKeys(m) {
			c.check(t.Elem(), m[k], path.Key(k), out)
		}
	case reflect.Struct:
		m, ok := v.(map[string]interface{})
		if !ok {
			*out = append(*out, typeMismatch(path, v, "object"))
			return
		}
		fields := c.structFields(t).fields
		for _, k := range sortedKeys(m) {
			sf, known := fields[k]
			if !known {
				*out = append(*out, unknownField(path.Child(k).String()))
				continue
			}
			c.check(sf.Type, m[k], path.Child(k), out)
		}
	default:
		*out = append(*out, fromFieldError(field.InternalError(path, fmt.Errorf("cannot check Go type %s", t))))
	}
}

// checkUnmarshaler decodes v into a new t and reports the error, if any.
func (c *typeChecker) checkUnmarshaler(t reflect.Type, v interface{}, path *field.Path, out *[]fieldProblem) {
	b, err := json.Marshal(v)
	if err != nil {
		*out = append(*out, fromFieldError(field.InternalError(path, err)))
		return
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(b, reflect.New(t).Interface()); err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "json: ")
		*out = append(*out, fromFieldError(field.Invalid(path, v, msg)))
	}
}

// structInfo is what a struct type's JSON fields are.
type structInfo struct {
	// fields maps JSON names to struct fields the way encoding/json does:
	// untagged embedded structs are flattened, a shallower field hides a
	// deeper one of the same name, and json:"-" fields are left out.
	// Matching is case-sensitive, as in the API server's decoder.
	fields map[string]reflect.StructField
	// plain is set when every JSON name of the type is that of one field
	// only (none hidden, none in conflict), every tag name is one
	// encoding/json accepts, no field has the ",string" option, and every
	// embedded struct is an exported value (not a pointer): then the
	// fields map is exactly encoding/json's, and decodeTyped can set
	// fields by index.
	plain bool
}

// structFields returns the JSON fields of a struct type (see structInfo),
// computed once per type.
func (c *typeChecker) structFields(t reflect.Type) *structInfo {
	if f, ok := c.fields.Load(t); ok {
		return f.(*structInfo)
	}
	info := &structInfo{fields: map[string]reflect.StructField{}, plain: true}
	out := info.fields
	type level struct {
		t     reflect.Type
		index []int
	}
	current := []level{{t: t}}
	visited := map[reflect.Type]bool{}
	seen := map[string]bool{} // names at any depth
	for len(current) > 0 {
		var next []level
		found := map[string]int{} // names seen at this depth (count)
		add := map[string]reflect.StructField{}
		for _, l := range current {
			if visited[l.t] {
				info.plain = false
				continue
			}
			visited[l.t] = true
			for i := 0; i < l.t.NumField(); i++ {
				sf := l.t.Field(i)
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) || hasOption(opts, "string") {
					info.plain = false
				}
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
					if sf.Type.Kind() == reflect.Pointer || !sf.IsExported() {
						info.plain = false
					}
					next = append(next, level{t: ft, index: append(append([]int(nil), l.index...), i)})
					continue
				}
				if !sf.IsExported() {
					continue
				}
				if name == "" {
					name = sf.Name
				}
				if seen[name] {
					info.plain = false
				}
				seen[name] = true
				if _, hidden := out[name]; hidden {
					continue
				}
				found[name]++
				sf.Index = append(append([]int(nil), l.index...), i)
				add[name] = sf
			}
		}
		for name, sf := range add {
			if found[name] == 1 {
				out[name] = sf
			}
		}
		current = next
	}
	c.fields.Store(t, info)
	return info
}

// validTagName reports whether encoding/json uses name, a json tag's
// name, as the field's name (it falls back to the Go name otherwise).
func validTagName(name string) bool {
	for _, r := range name {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", r):
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			return false
		}
	}
	return true
}

// hasOption reports whether opts, the options of a json tag, holds opt.
func hasOption(opts, opt string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == opt {
			return true
		}
	}
	return false
}

func typeMismatch(path *field.Path, v interface{}, want string) fieldProblem {
	return fromFieldError(field.TypeInvalid(path, shortValue(v), fmt.Sprintf("must be of type %s, not %s", want, jsonKind(v))))
}

// shortValue keeps messages short for objects and arrays.
func shortValue(v interface{}) interface{} {
	switch v.(type) {
	case map[string]interface{}:
		return "object"
	case []interface{}:
		return "array"
	}
	return v
}

func asInt(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
			return int64(n), true
		}
	}
	return 0, false
}

func sortedKeys(m map[string]interface{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
