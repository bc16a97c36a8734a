package fence

import (
	"math"
	"testing"
)

// TestSameJSONValue: values are the same JSON value only when they are
// value for value; numbers compare by value whatever their Go type, and
// anything unsure (an int64 a float64 cannot hold, another Go type, nil
// against an empty object) is not the same, so that the bounds are then
// compared as the API types.
func TestSameJSONValue(t *testing.T) {
	cases := []struct {
		a, b any
		want bool
	}{
		{map[string]any{"a": []any{"x", int64(1), true, nil}}, map[string]any{"a": []any{"x", float64(1), true, nil}}, true},
		{map[string]any{"a": "x"}, map[string]any{"a": "x", "b": "y"}, false},
		{map[string]any{"a": "x", "c": "y"}, map[string]any{"a": "x", "b": "y"}, false},
		{[]any{"x"}, []any{"x", "y"}, false},
		{[]any{"x"}, []any{"y"}, false},
		{"1", int64(1), false},
		{true, false, false},
		{nil, map[string]any{}, false},
		{map[string]any{}, nil, false},
		{int64(1) << 60, float64(int64(1) << 60), false},
		{math.NaN(), math.NaN(), false},
		{int32(1), int64(1), false},
		{map[string]string{"a": "x"}, map[string]any{"a": "x"}, false},
	}
	for _, c := range cases {
		if got := sameJSONValue(c.a, c.b); got != c.want {
			t.Errorf("sameJSONValue(%#v, %#v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
