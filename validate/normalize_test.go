package validate

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FuzzCanonical checks canonical against the JSON round trip it stands
// for: a value it accepts comes back from jsonCopy equal and with the same
// Go types. The values are built from the fuzzer's bytes (see fuzzValue).
func FuzzCanonical(f *testing.F) {
	for _, seed := range [][]byte{
		{}, {0}, {1, 'a'}, {2, 0xff}, {3, 1, 2, 3, 4, 5, 6, 7, 8}, {4, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f},
		{4, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}, {4, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f}, {4, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f},
		{4, 0, 0, 0, 0, 0, 0, 0, 0x80}, {4, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f},
		{5, 3, 1, 'k', 0, 2, 'a', 0xfe, 3}, {6, 3, 0, 1, 'x', 7}, {7}, {8}, {9, 'x'}, {10, 2}, {11, 5},
		{5, 2, 2, 'a', 0xc3, 5, 1, 1, 'b', 0, 6, 1, 4, 0, 0, 0, 0, 0, 0, 0x14, 0x44},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := fuzzValue(&data, 0)
		obj, ok := v.(map[string]interface{})
		if !ok {
			obj = map[string]interface{}{"v": v}
		}
		if !canonical(obj, 0) {
			return
		}
		back, err := jsonCopy(&unstructured.Unstructured{Object: obj})
		if err != nil {
			t.Fatalf("canonical value %#v does not go through JSON: %v", obj, err)
		}
		if diff := cmp.Diff(obj, back.Object); diff != "" {
			t.Fatalf("canonical value changes through JSON (-before +after):\n%s", diff)
		}
	})
}

// fuzzValue reads a value from the front of data: a type byte, then what
// that type needs. Besides the canonical types it makes the values that
// are not: Go ints, typed maps and slices, typed nils, map[string]string
// with invalid UTF-8, and any float64 bit pattern (NaN, infinities, -0,
// integral values).
func fuzzValue(data *[]byte, depth int) interface{} {
	next := func() byte {
		if len(*data) == 0 {
			return 0
		}
		b := (*data)[0]
		*data = (*data)[1:]
		return b
	}
	str := func() string {
		n := int(next() % 8)
		if n > len(*data) {
			n = len(*data)
		}
		s := string((*data)[:n])
		*data = (*data)[n:]
		return s
	}
	u64 := func() uint64 {
		var b [8]byte
		for i := range b {
			b[i] = next()
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	if depth > 8 {
		return nil
	}
	switch next() % 12 {
	case 0:
		return nil
	case 1:
		return str()
	case 2:
		return next()%2 == 0
	case 3:
		return int64(u64())
	case 4:
		return math.Float64frombits(u64())
	case 5:
		m := map[string]interface{}{}
		for n := next() % 4; n > 0; n-- {
			m[str()] = fuzzValue(data, depth+1)
		}
		return m
	case 6:
		var l []interface{}
		for n := next() % 4; n > 0; n-- {
			l = append(l, fuzzValue(data, depth+1))
		}
		if l == nil {
			l = []interface{}{}
		}
		return l
	case 7:
		return map[string]interface{}(nil)
	case 8:
		return []interface{}(nil)
	case 9:
		return map[string]string{str(): str()}
	case 10:
		return int(next())
	default:
		return []string{str()}
	}
}
