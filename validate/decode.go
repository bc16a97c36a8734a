package validate

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"sync"
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
	return c.decoderOf(dst.Type())(dst, v)
}

// A decoder is decodeTyped for one type.
type decoder func(dst reflect.Value, v interface{}) bool

// decoderOf returns the decoder of a type, made once per type. A type
// whose decoder is being made (a recursive type) gets one that waits for
// it, as in encoding/json.
func (c *typeChecker) decoderOf(t reflect.Type) decoder {
	if d, ok := c.decoders.Load(t); ok {
		return d.(decoder)
	}
	var (
		wg sync.WaitGroup
		d  decoder
	)
	wg.Add(1)
	wait := decoder(func(dst reflect.Value, v interface{}) bool {
		wg.Wait()
		return d(dst, v)
	})
	if other, loaded := c.decoders.LoadOrStore(t, wait); loaded {
		return other.(decoder)
	}
	d = c.newDecoder(t)
	wg.Done()
	c.decoders.Store(t, d)
	return d
}

func decline(reflect.Value, interface{}) bool { return false }

var stringType = reflect.TypeFor[string]()

// newDecoder makes the decoder of a type (see decodeTyped).
func (c *typeChecker) newDecoder(t reflect.Type) decoder {
	if t.Kind() != reflect.Pointer {
		m := c.unmarshalersOf(t)
		if m.json && t.Name() != "" {
			return func(dst reflect.Value, v interface{}) bool {
				b, err := json.Marshal(v)
				return err == nil && dst.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b) == nil
			}
		}
		if m.json || m.text {
			// encoding/json ignores the methods of an unnamed type (a
			// struct that embeds one), the type check does not.
			return decline
		}
	}
	return skipNull(c.kindDecoder(t))
}

// skipNull returns a decoder that does what encoding/json does with null
// (leave a value as it is, set a pointer, map or slice to nil: dst is
// already the zero value) and hands other values to d.
func skipNull(d decoder) decoder {
	return func(dst reflect.Value, v interface{}) bool {
		return v == nil || d(dst, v)
	}
}

// kindDecoder makes the decoder of a type without decoding methods, for
// values other than null.
func (c *typeChecker) kindDecoder(t reflect.Type) decoder {
	switch t.Kind() {
	case reflect.Pointer:
		elem := c.decoderOf(t.Elem())
		return func(dst reflect.Value, v interface{}) bool {
			p := reflect.New(t.Elem())
			if !elem(p.Elem(), v) {
				return false
			}
			dst.Set(p)
			return true
		}
	case reflect.String:
		return func(dst reflect.Value, v interface{}) bool {
			s, ok := v.(string)
			if !ok || !utf8.ValidString(s) {
				return false
			}
			dst.SetString(s)
			return true
		}
	case reflect.Bool:
		return func(dst reflect.Value, v interface{}) bool {
			b, ok := v.(bool)
			if ok {
				dst.SetBool(b)
			}
			return ok
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(dst reflect.Value, v interface{}) bool {
			n, ok := v.(int64)
			if !ok || dst.OverflowInt(n) {
				return false
			}
			dst.SetInt(n)
			return true
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(dst reflect.Value, v interface{}) bool {
			n, ok := v.(int64)
			if !ok || n < 0 || dst.OverflowUint(uint64(n)) {
				return false
			}
			dst.SetUint(uint64(n))
			return true
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return decodeBytes
		}
		return c.sliceDecoder(t)
	case reflect.Map:
		kt := t.Key()
		if kt.Kind() != reflect.String || c.unmarshalersOf(kt).text {
			return decline
		}
		return c.mapDecoder(t)
	case reflect.Struct:
		return c.structDecoder(t)
	}
	return decline
}

// decodeBytes decodes a string into []byte as encoding/json does.
func decodeBytes(dst reflect.Value, v interface{}) bool {
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

func (c *typeChecker) sliceDecoder(t reflect.Type) decoder {
	elem := c.decoderOf(t.Elem())
	return func(dst reflect.Value, v interface{}) bool {
		list, ok := v.([]interface{})
		if !ok {
			return false
		}
		// An empty array gives an empty slice, not nil, as in encoding/json.
		s := reflect.MakeSlice(t, len(list), len(list))
		for i, e := range list {
			if !elem(s.Index(i), e) {
				return false
			}
		}
		dst.Set(s)
		return true
	}
}

func (c *typeChecker) mapDecoder(t reflect.Type) decoder {
	if t.Key() == stringType && t.Elem() == stringType {
		// Labels, annotations, selectors, data: the decoder below, for
		// map[string]string, without reflection.
		return func(dst reflect.Value, v interface{}) bool {
			m, ok := v.(map[string]interface{})
			if !ok {
				return false
			}
			out := make(map[string]string, len(m))
			for k, e := range m {
				s, ok := e.(string)
				switch {
				case !utf8.ValidString(k):
					return false
				case e == nil:
					// A null value is kept as the zero value.
				case !ok || !utf8.ValidString(s):
					return false
				}
				out[k] = s
			}
			dst.Set(reflect.ValueOf(out).Convert(t))
			return true
		}
	}
	elem := c.decoderOf(t.Elem())
	return func(dst reflect.Value, v interface{}) bool {
		m, ok := v.(map[string]interface{})
		if !ok {
			return false
		}
		out := reflect.MakeMapWithSize(t, len(m))
		// Each value decodes into a zero value (null ones are kept, as
		// zero values, as in encoding/json), which SetMapIndex copies.
		ev, kv := reflect.New(t.Elem()).Elem(), reflect.New(t.Key()).Elem()
		for k, e := range m {
			if !utf8.ValidString(k) {
				return false
			}
			ev.SetZero()
			if !elem(ev, e) {
				return false
			}
			kv.SetString(k)
			out.SetMapIndex(kv, ev)
		}
		dst.Set(out)
		return true
	}
}

// fieldDecoder is where a JSON name goes in a struct, and how.
type fieldDecoder struct {
	index  []int
	decode decoder
}

func (c *typeChecker) structDecoder(t reflect.Type) decoder {
	info := c.structFields(t)
	if !info.plain {
		return decline
	}
	fields := make(map[string]fieldDecoder, len(info.fields))
	for name, sf := range info.fields {
		fields[name] = fieldDecoder{index: sf.Index, decode: c.decoderOf(sf.Type)}
	}
	return func(dst reflect.Value, v interface{}) bool {
		m, ok := v.(map[string]interface{})
		if !ok {
			return false
		}
		for k, e := range m {
			f, known := fields[k]
			if !known || !f.decode(dst.FieldByIndex(f.index), e) {
				return false
			}
		}
		return true
	}
}
