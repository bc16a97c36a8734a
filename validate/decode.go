package validate

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"unicode/utf8"
)

// decodeTyped sets dst, a zero value that can be set, to what decoding the
// JSON text of v (a value in decoded-JSON form: map[string]interface{},
// []interface{}, string, int64, float64, bool, nil) into dst's type with
// sigs.k8s.io/json's UnmarshalStrict gives, without writing and parsing
// the text. It reports false, leaving dst in an unspecified state, for
// anything that decoding would refuse or report (unknown fields, wrong
// types, integers out of range, bad base64, errors of a type's own
// UnmarshalJSON) and for what it does not handle the way encoding/json
// does (interfaces, floats, arrays, map keys that are not strings, types
// with UnmarshalText, struct types whose fields are not plain, see
// structInfo); the caller then decodes the text.
//
// Where encoding/json meets an UnmarshalJSON method (quantities,
// int-or-strings, times), it is called with the JSON text of the value, as
// the decoder would: a null included, on a value that is not a pointer.
//
// When it reports true, the type check (typeChecker.check) finds no problem
// in v for dst's type: every value it accepts is one the check accepts.
func (c *typeChecker) decodeTyped(dst reflect.Value, v interface{}) bool {
	t := dst.Type()
	if t.Kind() != reflect.Pointer {
		m := c.unmarshalersOf(t)
		if m.json && t.Name() != "" {
			b, err := json.Marshal(v)
			return err == nil && dst.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b) == nil
		}
		if m.json || m.text {
			// encoding/json ignores the methods of an unnamed type (a
			// struct that embeds one), the type check does not.
			return false
		}
	}
	if v == nil {
		// null leaves a value as it is, and sets a pointer, map or slice
		// to nil: dst is already the zero value.
		return true
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if !c.decodeTyped(p.Elem(), v) {
			return false
		}
		dst.Set(p)
	case reflect.String:
		s, ok := v.(string)
		if !ok || !utf8.ValidString(s) {
			return false
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return false
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(int64)
		if !ok || dst.OverflowInt(n) {
			return false
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := v.(int64)
		if !ok || n < 0 || dst.OverflowUint(uint64(n)) {
			return false
		}
		dst.SetUint(uint64(n))
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			// As encoding/json decodes a string into []byte.
			s, ok := v.(string)
			if !ok || !utf8.ValidString(s) {
				return false
			}
			b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
			n, err := base64.StdEncoding.Decode(b, []byte(s))
			if err != nil {
				return false
			}
			dst.SetBytes(b[:n])
			return true
		}
		list, ok := v.([]interface{})
		if !ok {
			return false
		}
		// An empty array gives an empty slice, not nil, as in encoding/json.
		s := reflect.MakeSlice(t, len(list), len(list))
		for i, e := range list {
			if !c.decodeTyped(s.Index(i), e) {
				return false
			}
		}
		dst.Set(s)
	case reflect.Map:
		m, ok := v.(map[string]interface{})
		kt := t.Key()
		if !ok || kt.Kind() != reflect.String || c.unmarshalersOf(kt).text {
			return false
		}
		out := reflect.MakeMapWithSize(t, len(m))
		// Each value decodes into a zero value (null ones are kept, as
		// zero values, as in encoding/json), which SetMapIndex copies.
		ev, kv := reflect.New(t.Elem()).Elem(), reflect.New(kt).Elem()
		for k, e := range m {
			if !utf8.ValidString(k) {
				return false
			}
			ev.SetZero()
			if !c.decodeTyped(ev, e) {
				return false
			}
			kv.SetString(k)
			out.SetMapIndex(kv, ev)
		}
		dst.Set(out)
	case reflect.Struct:
		m, ok := v.(map[string]interface{})
		if !ok {
			return false
		}
		info := c.structFields(t)
		if !info.plain {
			return false
		}
		for k, e := range m {
			sf, known := info.fields[k]
			if !known || !c.decodeTyped(dst.FieldByIndex(sf.Index), e) {
				return false
			}
		}
	default:
		return false
	}
	return true
}
