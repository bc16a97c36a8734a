package kit

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// jsonRoundTrip is what TemplateValues gave before it converted directly:
// json.Marshal, then json.Unmarshal into a map.
func jsonRoundTrip(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(b, &out)
	return out, err
}

// checkSameAsJSON fails unless TemplateValues(v) is what the JSON round
// trip gives, error or value.
func checkSameAsJSON(t *testing.T, what string, v any) {
	t.Helper()
	want, wantErr := jsonRoundTrip(v)
	got, err := TemplateValues(v)
	if (err != nil) != (wantErr != nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%s: error %v, want %v", what, err, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		t.Errorf("%s: TemplateValues gives\n%s (%#v)\nwant\n%s (%#v)", what, gb, got, wb, want)
	}
}

// TestTemplateValuesModels: the model of every example, for several PRs,
// converts to exactly the values the JSON round trip gives.
func TestTemplateValuesModels(t *testing.T) {
	for name, env := range golden.ExampleSpecs(t, spec.Load) {
		for _, pr := range []int{1, 7, 4321, math.MaxInt32} {
			m, err := plan.Plan(env, pr)
			if err != nil {
				t.Fatal(err)
			}
			checkSameAsJSON(t, name, m)
		}
	}
}

type valuesInner struct {
	N int `json:"n,omitempty"`
}

type valuesText string

func (v valuesText) MarshalText() ([]byte, error) { return []byte("text:" + string(v)), nil }

type valuesPtrJSON struct{ S string }

func (v *valuesPtrJSON) MarshalJSON() ([]byte, error) { return json.Marshal("ptr:" + v.S) }

type valuesEmbedded struct {
	valuesInner
	A string `json:"a"`
}

type valuesOdd struct {
	Bytes      []byte             `json:"bytes"`
	ByteArray  [3]byte            `json:"byteArray"`
	F32        float32            `json:"f32"`
	F64        float64            `json:"f64"`
	NegZero    float64            `json:"negZero"`
	Big        uint64             `json:"big"`
	BigInt     int64              `json:"bigInt"`
	Invalid    string             `json:"invalid"`
	InvalidKey map[string]int     `json:"invalidKey"`
	Text       valuesText         `json:"text"`
	TextKeys   map[valuesText]int `json:"textKeys"`
	PtrJSON    valuesPtrJSON      `json:"ptrJSON"`
	PtrJSONP   *valuesPtrJSON     `json:"ptrJSONP"`
	Time       time.Time          `json:"time"`
	Embedded   valuesEmbedded     `json:"embedded"`
	Skipped    string             `json:"-"`
	NoTag      string
	Omitted    *valuesInner   `json:"omitted,omitempty"`
	EmptyList  []string       `json:"emptyList,omitempty"`
	NilList    []string       `json:"nilList"`
	ZeroList   []string       `json:"zeroList"`
	NilMap     map[string]any `json:"nilMap"`
	Any        any            `json:"any"`
	NilAny     any            `json:"nilAny"`
	NilPtrAny  any            `json:"nilPtrAny"`
	Inner      valuesInner    `json:"inner"`
	unexported string
}

// twoFieldsNamed is a struct of two string fields, A and B, with the json
// tags given, holding "a" and "b" (built at run time: go vet refuses two
// fields of one JSON name in source).
func twoFieldsNamed(tagA, tagB string) any {
	t := reflect.StructOf([]reflect.StructField{
		{Name: "A", Type: reflect.TypeFor[string](), Tag: reflect.StructTag(`json:"` + tagA + `"`)},
		{Name: "B", Type: reflect.TypeFor[string](), Tag: reflect.StructTag(`json:"` + tagB + `"`)},
	})
	v := reflect.New(t).Elem()
	v.Field(0).SetString("a")
	v.Field(1).SetString("b")
	return v.Interface()
}

// TestTemplateValuesOddValues: every rule of encoding/json the direct
// conversion leaves to it, and every one it follows itself, gives the
// round trip's values or error.
func TestTemplateValuesOddValues(t *testing.T) {
	odd := valuesOdd{
		Bytes: []byte("hi"), ByteArray: [3]byte{1, 2, 3}, F32: 0.1, F64: 0.1, NegZero: math.Copysign(0, -1),
		Big: math.MaxUint64, BigInt: math.MaxInt64 - 1, Invalid: "a\xff\xfeb\xe2\x80",
		InvalidKey: map[string]int{"\xff": 1, "\xfe": 2, "ok": 3},
		Text:       "t", TextKeys: map[valuesText]int{"k": 1}, PtrJSON: valuesPtrJSON{"p"}, PtrJSONP: &valuesPtrJSON{"q"},
		Time:     time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Embedded: valuesEmbedded{valuesInner{4}, "a"}, Skipped: "s", NoTag: "n",
		EmptyList: []string{}, ZeroList: []string{}, Any: []any{map[string]any{"x": uint8(1)}, 2.5, "s", nil},
		NilPtrAny: (*valuesInner)(nil), Inner: valuesInner{0}, unexported: "u",
	}
	checkSameAsJSON(t, "odd value", odd)
	checkSameAsJSON(t, "odd pointer", &odd)
	checkSameAsJSON(t, "map", map[string]any{"odd": odd, "n": 1})
	checkSameAsJSON(t, "string option", struct {
		N int `json:"n,string"`
		S string
	}{5, "\xff"})
	checkSameAsJSON(t, "a dash and a space in names", struct {
		D string `json:"-,"`
		S string `json:"a b"`
	}{"d", "\xff"})
	checkSameAsJSON(t, "duplicate names", twoFieldsNamed("x", "x"))
	checkSameAsJSON(t, "omitted duplicate", twoFieldsNamed("x,omitempty", "x"))
	checkSameAsJSON(t, "nil", nil)
	checkSameAsJSON(t, "nil map", map[string]any(nil))
	checkSameAsJSON(t, "nil pointer", (*valuesOdd)(nil))
	checkSameAsJSON(t, "not an object", []int{1})
	checkSameAsJSON(t, "a NaN", map[string]float64{"x": math.NaN()})
	checkSameAsJSON(t, "an infinity", struct {
		X any `json:"x"`
	}{math.Inf(1)})
	checkSameAsJSON(t, "a channel", map[string]any{"x": make(chan int)})
	checkSameAsJSON(t, "maps of strings", struct {
		A map[string]string `json:"a"`
		B map[string]string `json:"b"`
		C map[string]string `json:"c"`
		D map[string]string `json:"d,omitempty"`
	}{map[string]string{"\xff": "a", "\xfe": "b", "c": "\xff"}, map[string]string{}, nil, map[string]string{}})
	type cycle struct {
		Next *cycle `json:"next"`
	}
	c := &cycle{}
	c.Next = c
	checkSameAsJSON(t, "a cycle", c)
}

// FuzzTemplateValues: strings and numbers of any value convert as the
// JSON round trip converts them.
func FuzzTemplateValues(f *testing.F) {
	f.Add("web", int64(1), 1.5, uint64(2))
	f.Add("\xff<>&\u2028", int64(-1)<<62, 1e300, uint64(1)<<63+1)
	f.Fuzz(func(t *testing.T, s string, i int64, x float64, u uint64) {
		v := map[string]any{"s": []any{s, i, x, u, map[string]string{"s": s, s: "k", s + "\xfe": s}}, s: s, "i": valuesInner{int(i)}}
		checkSameAsJSON(t, "fuzzed", v)
	})
}
