package yamlfast

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sameAsGeneral reports whether the fast reader reads doc; when it does, it
// fails t unless the general reader reads doc to the same value.
func sameAsGeneral(t *testing.T, doc []byte) bool {
	t.Helper()
	read, err := Agree(doc)
	if err != nil {
		t.Fatal(err)
	}
	return read
}

// TestFastDocument: what the fast reader reads, and what it leaves to the
// general reader (ok false).
func TestFastDocument(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		want any
		ok   bool
	}{
		{"empty", "", nil, true},
		{"comments only", "# a\n  # b\n\n", nil, true},
		{"flat", "a: 1\nb: \"x\"\nc: true\nd: null\ne: word\n", map[string]any{"a": int64(1), "b": "x", "c": true, "d": nil, "e": "word"}, true},
		{"nested", "a:\n  b:\n    c: -12\n", map[string]any{"a": map[string]any{"b": map[string]any{"c": int64(-12)}}}, true},
		{"sequence at the key's indentation", "a:\n- x\n- \"y\"\n", map[string]any{"a": []any{"x", "y"}}, true},
		{"sequence of mappings", "a:\n  - k: 1\n    l: 2\n  - k: 3\n", map[string]any{"a": []any{map[string]any{"k": int64(1), "l": int64(2)}, map[string]any{"k": int64(3)}}}, true},
		{"dash alone", "a:\n-\n  k: v\n-\n", map[string]any{"a": []any{map[string]any{"k": "v"}, nil}}, true},
		{"flow empties on their own line", "a:\n  {}\nb:\n  []\n", map[string]any{"a": map[string]any{}, "b": []any{}}, true},
		{"array of strings", `a: ["x","y\"z"]` + "\n", map[string]any{"a": []any{"x", `y"z`}}, true},
		{"escapes", `a: "\u003c\n\t\\\b\f\r\""` + "\n", map[string]any{"a": "<\n\t\\\b\f\r\""}, true},
		{"escaped slash", `a: "\/"` + "\n", nil, false},
		{"quoted keys", `"app.kubernetes.io/name": "x"` + "\n" + `"": ""` + "\n", map[string]any{"app.kubernetes.io/name": "x", "": ""}, true},
		{"key null", "a:\nb: 1\n", map[string]any{"a": nil, "b": int64(1)}, true},

		{"yes", "a: yes\n", nil, false},
		{"On key", "On: 1\n", nil, false},
		{"octal", "a: 0777\n", nil, false},
		{"plus", "a: +1\n", nil, false},
		{"underscore number", "a: 1_000\n", nil, false},
		{"float", "a: 1.5\n", nil, false},
		{"exponent", "a: 1e3\n", nil, false},
		{"19 digits", "a: 1234567890123456789\n", nil, false},
		{"timestamp", "a: 2001-12-14\n", nil, false},
		{"base 60", "a: 1:30\n", nil, false},
		{"tilde", "a: ~\n", nil, false},
		{"anchor", "a: &x 1\nb: *x\n", nil, false},
		{"tag", "a: !!str 1\n", nil, false},
		{"literal block", "a: |\n  x\n", nil, false},
		{"folded plain", "a: x\n  y\n", nil, false},
		{"trailing comment", "a: x # c\n", nil, false},
		{"quoted then comment", `a: "x" # c` + "\n", nil, false},
		{"duplicate key", "a: 1\na: 2\n", nil, false},
		{"tab", "a:\t1\n", nil, false},
		{"crlf", "a: 1\r\n", nil, false},
		{"non-ASCII", "a: \"\u00e9\"\n", nil, false},
		{"line separator escape is fine", `a: "\u2028"` + "\n", map[string]any{"a": "\u2028"}, true},
		{"surrogate escape", `a: "\ud83d\ude00"` + "\n", nil, false},
		{"single quotes", "a: 'x'\n", nil, false},
		{"flow mapping of a number", `a: {"b":1}` + "\n", nil, false},
		{"object of strings", `a: {"app.kubernetes.io/name":"x","b":"","":"\u003c\"\\"}` + "\n", map[string]any{"a": map[string]any{"app.kubernetes.io/name": "x", "b": "", "": `<"\`}}, true},
		{"object in a sequence", `a:` + "\n" + `- {"b":"c"}` + "\n" + `- {"d":"e"}` + "\n", map[string]any{"a": []any{map[string]any{"b": "c"}, map[string]any{"d": "e"}}}, true},
		{"object on its own line", "a:\n  {\"b\":\"c\"}\n", map[string]any{"a": map[string]any{"b": "c"}}, true},
		{"object with YAML words", `a: {"yes":"no","null":"~","<<":"on"}` + "\n", map[string]any{"a": map[string]any{"yes": "no", "null": "~", "<<": "on"}}, true},
		{"object, duplicate key", `a: {"b":"c","b":"d"}` + "\n", nil, false},
		{"object, space after colon", `a: {"b": "c"}` + "\n", nil, false},
		{"object, space after comma", `a: {"b":"c", "d":"e"}` + "\n", nil, false},
		{"object, space inside", `a: { "b":"c"}` + "\n", nil, false},
		{"object, trailing comma", `a: {"b":"c",}` + "\n", nil, false},
		{"object, leading comma", `a: {,"b":"c"}` + "\n", nil, false},
		{"object, two commas", `a: {"b":"c",,"d":"e"}` + "\n", nil, false},
		{"object, missing value", `a: {"b":}` + "\n", nil, false},
		{"object, key alone", `a: {"b"}` + "\n", nil, false},
		{"object, plain key", `a: {b:"c"}` + "\n", nil, false},
		{"object, plain value", `a: {"b":c}` + "\n", nil, false},
		{"object, null value", `a: {"b":null}` + "\n", nil, false},
		{"object, nested", `a: {"b":{"c":"d"}}` + "\n", nil, false},
		{"object, array value", `a: {"b":["c"]}` + "\n", nil, false},
		{"object, escaped slash", `a: {"b":"\/"}` + "\n", nil, false},
		{"object, escaped slash in key", `a: {"\/":"b"}` + "\n", nil, false},
		{"object, surrogate", `a: {"b":"\ud83d\ude00"}` + "\n", nil, false},
		{"object, unterminated", `a: {"b":"c"` + "\n", nil, false},
		{"object, unterminated string", `a: {"b":"c}` + "\n", nil, false},
		{"object, brace inside string", `a: {"b":"}"}` + "\n", map[string]any{"a": map[string]any{"b": "}"}}, true},
		{"object, two closing braces", `a: {"b":"c"}}` + "\n", nil, false},
		{"object, then a comment", `a: {"b":"c"} # d` + "\n", nil, false},
		{"object, continued", "a: {\"b\":\"c\",\n  \"d\":\"e\"}\n", nil, false},
		{"object, key of 1000", `a: {"` + strings.Repeat("k", 998) + `":"v"}` + "\n", map[string]any{"a": map[string]any{strings.Repeat("k", 998): "v"}}, true},
		{"object, key of 1025", `a: {"` + strings.Repeat("k", 1023) + `":"v"}` + "\n", nil, false},
		{"object, long value", `a: {"k":"` + strings.Repeat("v", 3000) + `"}` + "\n", map[string]any{"a": map[string]any{"k": strings.Repeat("v", 3000)}}, true},
		{"array of objects", `a: [{"key":"k","value":"v"},{"key":"l","value":""}]` + "\n", map[string]any{"a": []any{map[string]any{"key": "k", "value": "v"}, map[string]any{"key": "l", "value": ""}}}, true},
		{"array of objects and strings", `a: ["x", {"b":"c"},{},"y"]` + "\n", map[string]any{"a": []any{"x", map[string]any{"b": "c"}, map[string]any{}, "y"}}, true},
		{"array, object with a space", `a: [{"b": "c"}]` + "\n", nil, false},
		{"array, object unterminated", `a: [{"b":"c"]` + "\n", nil, false},
		{"array, object with two braces", `a: [{"b":"c"}}]` + "\n", nil, false},
		{"array, object then space", `a: [{"b":"c"} ]` + "\n", nil, false},
		{"array, object duplicate key", `a: [{"b":"c","b":"c"}]` + "\n", nil, false},
		{"array, nested array", `a: [["b"]]` + "\n", nil, false},
		{"array, object of 1025", `a: [{"` + strings.Repeat("k", 1023) + `":"v"}]` + "\n", nil, false},
		{"array, long objects", `a: [{"k":"` + strings.Repeat("v", 1100) + `"},{"l":"w"}]` + "\n", map[string]any{"a": []any{map[string]any{"k": strings.Repeat("v", 1100)}, map[string]any{"l": "w"}}}, true},
		{"object as a key", `{"b":"c"}: d` + "\n", nil, false},
		{"top-level object", `{"b":"c"}` + "\n", map[string]any{"b": "c"}, true},
		{"spaced array", `a: ["x", "y"]` + "\n", map[string]any{"a": []any{"x", "y"}}, true},
		{"space before comma", `a: ["x" ,"y"]` + "\n", nil, false},
		{"trailing comma", `a: ["x",]` + "\n", nil, false},
		{"space inside brackets", `a: [ "x"]` + "\n", nil, false},
		{"numbers in array", `a: [1,2]` + "\n", nil, false},
		{"nested dash", "- - a\n", nil, false},
		{"top-level sequence", "- a\n", nil, false},
		{"top-level scalar", "a\n", nil, false},
		{"indented top", "  a: 1\n", nil, false},
		{"ragged", "a:\n  b: 1\n c: 2\n", nil, false},
		{"directive", "%YAML 1.1\na: 1\n", nil, false},
		{"colon in plain value", "a: http://x\n", nil, false},
		{"key without space", "a:b\n", nil, false},
		{"merge key", "<<: {}\n", nil, false},
		{"complex key", "? a\n: b\n", nil, false},
		{"null word key", "null: 1\n", nil, false},
		{"bad escape", `a: "\x41"` + "\n", nil, false},
		{"key of 1000", strings.Repeat("k", 1000) + ": 1\n", map[string]any{strings.Repeat("k", 1000): int64(1)}, true},
		{"key of 1025", strings.Repeat("k", 1025) + ": 1\n", nil, false},
		{"quoted key of 1025", `"` + strings.Repeat("k", 1023) + `": 1` + "\n", nil, false},
		{"key of 1025 in a sequence", "a:\n- " + strings.Repeat("k", 1025) + ": 1\n", nil, false},
		{"1000 levels", deepDocument(999), nil, true},
		{"1001 levels", deepDocument(1001), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Document([]byte(tc.doc))
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v (value %#v)", ok, tc.ok, got)
			}
			if !ok {
				return
			}
			if d := cmp.Diff(tc.want, got); tc.want != nil && d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			general, err := General([]byte(tc.doc))
			if err != nil {
				t.Fatalf("the general reader refuses it: %v", err)
			}
			if d := cmp.Diff(general, got); d != "" {
				t.Errorf("differs from the general reader (-general +fast):\n%s", d)
			}
		})
	}
}

// deepDocument is n mappings, each the value of the key a of the one
// around it, the innermost {"a": 1}.
func deepDocument(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	b.WriteString(strings.Repeat(" ", n) + "a: 1\n")
	return b.String()
}
