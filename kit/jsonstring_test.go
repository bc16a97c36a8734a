package kit

import (
	"encoding/json"
	"testing"
)

// jsonStringCases are strings with every kind of character jsonString
// treats apart.
var jsonStringCases = []string{
	"", "web", "test-1-web", `a"b`, `a\b`, "<script>&</script>", "tab\there", "\n\r\b\f",
	"\x00\x01\x1f\x7f", "é ü ß 日本", "\u2028\u2029", "\xff", "a\xc3", "\xe2\x80", "\xed\xa0\x80",
	"arn:aws:iam::123456789012:role/test-1-web", `{"Version":"2012-10-17"}`, "😀",
}

// TestJSONString: jsonString gives json.Marshal's bytes for strings, and
// toJSON (which takes it for strings and maps of strings) json.Marshal's
// for anything.
func TestJSONString(t *testing.T) {
	for _, s := range jsonStringCases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonString(s); got != string(want) {
			t.Errorf("jsonString(%q) = %s, want %s", s, got, want)
		}
		if got, err := toJSON(s); got != string(want) || err != nil {
			t.Errorf("toJSON(%q) = %s, %v; want %s", s, got, err, want)
		}
	}
	stringMap := map[string]any{}
	for i, s := range jsonStringCases {
		stringMap[s] = jsonStringCases[len(jsonStringCases)-1-i]
	}
	for _, v := range []any{
		1.5, true, nil, []any{"<"}, map[string]any{"b": "&", "a": 1.0},
		map[string]any{}, map[string]any(nil), map[string]any{"b": "x", "a": nil}, map[string]any{"b": "x", "a": []any{}},
		map[string]any{"b": "&", "a": "<", "ab": "", "B": "\u2028"}, stringMap,
		// Two keys whose invalid bytes both become \ufffd: both printed.
		map[string]any{"\xff": "1", "\xfe": "2"},
		[]any{}, []any(nil), []any{"a", map[string]any{"key": "<", "value": "&"}, map[string]any{}}, []any{stringMap, "b"},
		[]any{map[string]any(nil)}, []any{[]any{"a"}}, []any{map[string]any{"a": 1.0}}, []any{"a", 1.0}, []any{nil},
		[]any{map[string]any{"a": []any{"b"}}},
	} {
		want, _ := json.Marshal(v)
		if got, err := toJSON(v); got != string(want) || err != nil {
			t.Errorf("toJSON(%#v) = %s, %v; want %s", v, got, err, want)
		}
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonString(s); got != string(want) {
			t.Errorf("jsonString(%q) = %s, want %s", s, got, want)
		}
		// Maps and lists of strings take their own path
		// (appendStringsJSON).
		m := map[string]any{s: s, "a": s, s + "\x00": "b"}
		for _, v := range []any{m, []any{s, m, map[string]any{}}} {
			want, err = json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := toJSON(v); got != string(want) || err != nil {
				t.Errorf("toJSON(%#v) = %s, %v; want %s", v, got, err, want)
			}
		}
	})
}
