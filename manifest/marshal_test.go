package manifest

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	yaml2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/yamlfast"
)

// wrap makes unstructured objects of maps.
func wrap(maps ...map[string]any) []*unstructured.Unstructured {
	objs := make([]*unstructured.Unstructured, len(maps))
	for i, m := range maps {
		objs[i] = &unstructured.Unstructured{Object: m}
	}
	return objs
}

// goldenPRNumber is the PR the golden files are rendered for.

// TestMarshalCases pins the bytes of the cases the writer must get right,
// and checks them against yaml.v2. fast says whether the writer writes the
// document itself (true) or leaves it to yaml.v2.
func TestMarshalCases(t *testing.T) {
	long := strings.Repeat("word ", 16) + "end"
	tests := []struct {
		name   string
		obj    map[string]any
		want   string
		fast   bool
		reason string
	}{
		{"empty", map[string]any{}, "{}\n", true, ""},
		{"scalars", map[string]any{"b": true, "f": false, "i": int64(-7), "n": nil, "w": 3.0, "g": 1 << 40},
			"b: true\nf: false\ng: 1099511627776\ni: -7\n\"n\": null\nw: 3\n", true,
			"a whole float is an integer; the key n is quoted, a bool"},
		{"key order", map[string]any{"aB": 1, "a_b": 1, "a10": 1, "a9": 1, "a-b": 1, "a.b": 1, "A": 1, "a": 1, "a0": 1, "a00": 1, "a01": 1},
			"A: 1\na: 1\na-b: 1\na.b: 1\na_b: 1\na0: 1\na00: 1\na01: 1\na9: 1\na10: 1\naB: 1\n", true,
			"non-letters before letters, digit runs by number, then length"},
		{"key order digits inside runs", map[string]any{"x100": 1, "x19": 1, "x1": 1, "x1-": 1, "x05": 1, "x5": 1},
			"x1: 1\nx1-: 1\nx5: 1\nx05: 1\nx19: 1\nx100: 1\n", true, ""},
		{"key order clash", map[string]any{"x1a": 1, "x12": 1, "y": 1},
			"x12: 1\nx1a: 1\n\"y\": 1\n", false,
			"a run ending in a letter where another key's run goes on: left to yaml.v2"},
		{"nesting", map[string]any{
			"m": map[string]any{"k": "v", "e": map[string]any{}, "s": []any{}},
			"s": []any{"a", []any{"b", "c"}, map[string]any{"x": int64(1), "y": []any{int64(2)}, "z": map[string]any{"q": nil}}, []any{}, map[string]any{}},
		}, "m:\n  e: {}\n  k: v\n  s: []\ns:\n- a\n- - b\n  - c\n- x: 1\n  \"y\":\n  - 2\n  z:\n    q: null\n- []\n- {}\n", true, ""},
		{"strings resolved as other types", map[string]any{"a": []any{
			"yes", "Yes", "YES", "y", "N", "no", "on", "Off", "true", "FALSE", "null", "Null", "~", "",
			"1", "-5", "+1", "007", "09", "1.5", "1.", "123456789012", "1e3", "0x1F", "0o17", "0b101", "1_000",
			"1:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43,10", ".5", ".inf", "-.Inf", ".NaN",
		}}, `a:
- "yes"
- "Yes"
- "YES"
- "y"
- "N"
- "no"
- "on"
- "Off"
- "true"
- "FALSE"
- "null"
- "Null"
- "~"
- ""
- "1"
- "-5"
- "+1"
- "007"
- "09"
- "1.5"
- "1."
- "123456789012"
- "1e3"
- "0x1F"
- "0o17"
- "0b101"
- "1_000"
- "1:30"
- "2001-12-14"
- "2001-12-14t21:59:43.10-05:00"
- "2001-12-14 21:59:43,10"
- ".5"
- ".inf"
- "-.Inf"
- ".NaN"
`, true, "YAML 1.1 bools, nulls, ints, floats, sexagesimals and timestamps are double quoted"},
		{"strings that stay strings", map[string]any{"a": []any{
			"tRUE", "yess", "nope", "100m", "512Mi", "1.2.3", "10.0.0.1", "0.0.0.0/0", "::/0", "1,5", "1e999", ".", "+", "<<", "~x", "x:y", "x#y", "a b", "v1",
		}}, `a:
- tRUE
- yess
- nope
- 100m
- 512Mi
- 1.2.3
- 10.0.0.1
- 0.0.0.0/0
- ::/0
- 1,5
- 1e999
- .
- +
- <<
- ~x
- x:y
- x#y
- a b
- v1
`, true, "1e999 overflows a float, so it is a string"},
		{"strings plain text cannot hold", map[string]any{"a": []any{
			"-", "- x", "-- x", "---x", "...x", "a: b", "a:", ":", "? x", "x #y", "#x", "@x", "%x", "`x", "!x", "&x", "*x", "|x", ">x", "[x", "]x", "{x", "}x", ",x", "'x", "\"x", " x", "x ", "it's",
		}}, `a:
- '-'
- '- x'
- -- x
- '---x'
- '...x'
- 'a: b'
- 'a:'
- ':'
- '? x'
- 'x #y'
- '#x'
- '@x'
- '%x'
- '` + "`" + `x'
- '!x'
- '&x'
- '*x'
- '|x'
- '>x'
- '[x'
- ']x'
- '{x'
- '}x'
- ',x'
- '''x'
- '"x'
- ' x'
- 'x '
- it's
`, true, ""},
		{"quoted keys", map[string]any{"": 1, "y": 1, "8080": 1, "a: b": 1, "-": 1, "#": 1},
			"\"\": 1\n'#': 1\n'-': 1\n\"8080\": 1\n'a: b': 1\n\"y\": 1\n", true, ""},
		{"literal blocks", map[string]any{"a": "x\ny", "b": "x\ny\n", "c": " x\ny", "d": "\nx", "e": "x\n\ny", "s": []any{"p\n  q"}, "m": map[string]any{"n": "r\ns"}},
			"a: |-\n  x\n  y\nb: |\n  x\n  y\nc: |2-\n   x\n  y\nd: |2-\n\n  x\ne: |-\n  x\n\n  y\nm:\n  \"n\": |-\n    r\n    s\ns:\n- |-\n  p\n    q\n", true, ""},
		{"literal blocks of other types", map[string]any{"a": "1\n2", "b": "yes\n", "c": "- x\n# y"},
			"a: |-\n  1\n  2\nb: |\n  yes\nc: |-\n  - x\n  # y\n", true, "a line break makes a literal block whatever the text"},
		{"literal keep", map[string]any{"a": "x\n\n"}, "a: |+\n  x\n\n", false, "a + indicator: left to yaml.v2"},
		{"space before line break", map[string]any{"a": "x \ny"}, "a: \"x \\ny\"\n", false, "double quoted across lines: left to yaml.v2"},
		{"folded", map[string]any{"k": long}, "k: word word word word word word word word word word word word word word word word\n  end\n", false,
			"a space past column 80: left to yaml.v2"},
		{"not folded", map[string]any{"k": long[:69]}, "k: " + long[:69] + "\n", true, ""},
		{"space at column 80", map[string]any{"k": strings.Repeat("a", 77) + " b"}, "k: " + strings.Repeat("a", 77) + " b\n", true,
			"the encoder breaks at a space past column 80"},
		{"space at column 81", map[string]any{"k": strings.Repeat("a", 78) + " b"}, "k: " + strings.Repeat("a", 78) + "\n  b\n", false, ""},
		{"space at column 81 in a sequence", map[string]any{"k": []any{map[string]any{"l": strings.Repeat("a", 76) + " b"}}},
			"k:\n- l: " + strings.Repeat("a", 76) + "\n    b\n", false, ""},
		{"keys are not folded", map[string]any{strings.Repeat("key ", 30) + "k": 1}, strings.Repeat("key ", 30) + "k: 1\n", true, ""},
		{"long key", map[string]any{strings.Repeat("k", 129): 1, strings.Repeat("j", 128): 1},
			strings.Repeat("j", 128) + ": 1\n? " + strings.Repeat("k", 129) + "\n: 1\n", false, "a key of 129 bytes is a complex key"},
		{"non-ASCII and tabs", map[string]any{"a": "名前", "b": "\U0001F680", "c": "a\tb", "é": "ü x"},
			"a: 名前\nb: \"\\U0001F680\"\nc: \"a\\tb\"\né: ü x\n", true, ""},
		{"characters the reader refuses", map[string]any{"a": "x\u0085y"}, "a: \"x\\Ny\"\n", false, "escaped through JSON text"},
		{"fraction", map[string]any{"a": 1.5}, "a: 1.5\n", false, "floats are formatted by the encoder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := wrap(tt.obj)
			got, err := Marshal(objs)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal:\n got %q\nwant %q", got, tt.want)
			}
			old, err := MarshalYAMLv2(objs)
			if err != nil {
				t.Fatal(err)
			}
			if string(old) != tt.want {
				t.Errorf("yaml.v2 gives %q, the case says %q", old, tt.want)
			}
			if fast := new(yamlWriter).document(tt.obj); fast != tt.fast {
				t.Errorf("writer took the document: %v, want %v", fast, tt.fast)
			}
		})
	}
}

// keyAlphabet is what key-order tests build keys of.
var keyAlphabet = []string{"a", "b", "z", "A", "B", "Z", "0", "0", "1", "2", "9", "_", "-", ".", "/", "é", "Ω"}

// randomKey is a key of 1 to 6 characters of alphabet.
func randomKey(r *rand.Rand, alphabet []string) string {
	var b strings.Builder
	for n := 1 + r.IntN(6); n > 0; n-- {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// yamlV2KeyOrder is the order in which yaml.v2 writes the keys.
func yamlV2KeyOrder(t *testing.T, keys []string) []string {
	t.Helper()
	m := map[any]any{}
	for _, k := range keys {
		m[k] = 0
	}
	y, err := yaml2.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var ms yaml2.MapSlice
	if err := yaml2.Unmarshal(y, &ms); err != nil {
		t.Fatal(err)
	}
	order := make([]string, len(ms))
	for i, it := range ms {
		order[i] = it.Key.(string)
	}
	return order
}

// sortKeys is sortEntries for keys alone.
func sortKeys(keys []string) bool {
	entries := make([]mapEntry, len(keys))
	for i, k := range keys {
		entries[i].key = k
	}
	if !sortEntries(entries) {
		return false
	}
	for i, e := range entries {
		keys[i] = e.key
	}
	return true
}

// TestKeyOrderMatchesYAMLv2 checks sortEntries against yaml.v2 on random key
// sets: where sortEntries is certain, yaml.v2 gives its order, every time.
func TestKeyOrderMatchesYAMLv2(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	certain := 0
	const sets = 20000
	for range sets {
		seen := map[string]bool{}
		var keys []string
		for n := 2 + r.IntN(7); n > 0; n-- {
			if k := randomKey(r, keyAlphabet); !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		got := append([]string(nil), keys...)
		if !sortKeys(got) {
			continue
		}
		certain++
		for range 3 {
			if want := yamlV2KeyOrder(t, keys); !reflect.DeepEqual(got, want) {
				t.Fatalf("keys %q: sortKeys gives %q, yaml.v2 %q", keys, got, want)
			}
		}
	}
	if certain < sets*3/4 {
		t.Errorf("sortKeys was certain of %d sets of %d, want at least 3/4", certain, sets)
	}
}

// TestKeyOrderClashIsNotCertain checks the keys whose yaml.v2 order depends
// on the map: sortEntries must leave them to yaml.v2.
func TestKeyOrderClashIsNotCertain(t *testing.T) {
	keys := []string{"x1a", "x12", "x2"}
	orders := map[string]bool{}
	for range 200 {
		orders[strings.Join(yamlV2KeyOrder(t, keys), " ")] = true
	}
	if len(orders) < 2 {
		t.Errorf("yaml.v2 wrote %q in one order only; the case no longer shows a clash", keys)
	}
	if sortKeys(keys) {
		t.Errorf("sortKeys is certain of %q", keys)
	}
	for _, k := range []string{"x12345678901234567890", "x٣"} {
		if sortKeys([]string{k, "a"}) {
			t.Errorf("sortKeys is certain of %q", k)
		}
	}
}

// scalarAlphabet is what scalar tests build strings of: the characters of
// YAML 1.1 numbers and timestamps, indicators, quotes and spaces.
var scalarAlphabet = []string{
	"0", "1", "2", "9", "0", "+", "-", ".", "_", ":", ",", " ", "e", "E", "x", "X", "o", "O", "b", "B", "t", "T", "Z", "z",
	"i", "n", "f", "N", "a", "y", "Y", "s", "S", "#", "'", "\"", "?", "!", "&", "*", "[", "]", "{", "}", "|", ">", "%",
	"@", "`", "~", "<", "=", "/", "\\", "m",
}

// TestScalarClassesMatchYAMLv2 checks resolveString and plainAllowed against
// the style yaml.v2 picks for printable ASCII strings: random ones, YAML 1.1
// words in every case mix, numbers and timestamps.
func TestScalarClassesMatchYAMLv2(t *testing.T) {
	var strs []string
	for _, w := range []string{"y", "yes", "n", "no", "on", "off", "true", "false", "null", "~", ".inf", "+.inf", "-.inf", ".nan"} {
		for mask := 0; mask < 1<<len(w); mask++ {
			var b strings.Builder
			for i, c := range w {
				if mask&(1<<i) != 0 {
					b.WriteString(strings.ToUpper(string(c)))
				} else {
					b.WriteRune(c)
				}
			}
			strs = append(strs, b.String())
		}
	}
	strs = append(strs, "2001-12-14", "2001-1-2", "2001-12-14T21:59:43.10Z", "2001-12-14 21:59:43", "2001-12-14x", "1:30", "1:30.5", "-1:70",
		"1.", "1.5e3", "1.5e", "0x", "0xg", "0b2", "0b+1", "-0b1", "99999999999999999999", "1"+strings.Repeat("0", 400), "+-1", "--1")
	r := rand.New(rand.NewPCG(3, 4))
	for range 50000 {
		strs = append(strs, randomKey(r, scalarAlphabet))
	}
	decided := 0
	for _, s := range strs {
		res := resolveString(s)
		if res == resolvesUnsure {
			continue
		}
		decided++
		want := "plain"
		if y := scalarByYAMLv2(t, s); y[0] == '"' {
			want = "double"
		} else if y[0] == '\'' && y != s {
			want = "single"
		}
		got := "double"
		if res == resolvesString {
			got = "single"
			if plainAllowed(s) {
				got = "plain"
			}
		}
		if got != want {
			t.Errorf("%q: writer picks %s, yaml.v2 %s", s, got, want)
		}
	}
	if decided < len(strs)*3/4 {
		t.Errorf("resolveString decided %d of %d strings, want at least 3/4", decided, len(strs))
	}
}

// scalarByYAMLv2 is s as yaml.v2 writes a map value, on one line.
func scalarByYAMLv2(t *testing.T, s string) string {
	t.Helper()
	y, err := yaml2.Marshal(map[string]string{"k": s})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := strings.CutPrefix(strings.TrimSuffix(string(y), "\n"), "k: ")
	if !ok || strings.Contains(v, "\n") {
		t.Fatalf("%q: yaml.v2 wrote %q", s, y)
	}
	return v
}

// fuzzStrings are strings FuzzMarshalYAML draws keys and values from,
// besides its arguments and random strings.
var fuzzStrings = []string{
	"", "a", "name", "yes", "No", "ON", "y", "true", "Null", "~", "-", "--", "---x", "...", "?", ": x", "1e3", "0x1F", "0o17", "0b101",
	"1_000", "1:30", "2001-12-14", "2001-12-14 21:59:43,10", "1.5", "1.", "1.2.3", "10.0.0.1", ".5", ".inf", "-.Inf", "+",
	"0", "-0", "007", "123456789012", "12345678901234567890", "1e999", "a: b", "a:", "x #y", "x#y", "#x", "'q'", "\"q\"",
	"it's", "a\\b", " lead", "trail ", "a\tb", "a\nb", "a\nb\n", "a\n\n", "\n", " a\nb", "\na", "a \nb", "a\n b", "a\r\nb",
	"ünï", "名前", "🚀", "a\u2028b", "\u00a0", "\ufeff", "\u007f", "\u0085", "<<", "k8s-app", "x1a", "x12", "x2",
	strings.Repeat("word ", 20), strings.Repeat("x", 130), strings.Repeat("ab ", 30) + "\nnext line",
	"arn:aws:iam::123456789012:role/test-123-web", "prenv: permissions of test-123-web, part 1",
}

// fuzzAlphabet is what FuzzMarshalYAML builds random strings of.
var fuzzAlphabet = []string{
	"a", "b", "Z", "Y", "n", "o", "t", "e", "x", "0", "0", "1", "9", "_", "-", ".", "/", ":", " ", " ", "#", "'", "\"", "\n",
	"é", "名", "🚀", "\t", "?", "!", "&", "*", ",", "[", "]", "{", "}", "|", ">", "%", "@", "`", "~", "+", "<", "=", "\\",
}

// fuzzGen builds random decoded-JSON values.
type fuzzGen struct {
	r     *rand.Rand
	extra []string
}

func (g *fuzzGen) str() string {
	switch g.r.IntN(5) {
	case 0:
		return g.extra[g.r.IntN(len(g.extra))]
	case 1, 2:
		return fuzzStrings[g.r.IntN(len(fuzzStrings))]
	case 3:
		var b strings.Builder
		for n := 20 + g.r.IntN(80); n > 0; n-- {
			if g.r.IntN(6) == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteByte('a' + byte(g.r.IntN(26)))
			}
		}
		return b.String()
	}
	return randomKey(g.r, fuzzAlphabet)
}

func (g *fuzzGen) value(depth int) any {
	n := 9
	if depth <= 0 {
		n = 7
	}
	switch g.r.IntN(n) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return []int64{0, -1, 42, 1 << 62, -1 << 63}[g.r.IntN(5)]
	case 3:
		return []float64{3, -0.0, 1.5, -2.25, 1e20, 1e-7, 9007199254740993}[g.r.IntN(7)]
	case 4, 5, 6:
		return g.str()
	case 7:
		s := make([]any, g.r.IntN(4))
		for i := range s {
			s[i] = g.value(depth - 1)
		}
		return s
	}
	m := map[string]any{}
	for n := g.r.IntN(5); n > 0; n-- {
		m[g.str()] = g.value(depth - 1)
	}
	return m
}

// normalize is v as yaml.v2 reads it back, converted by jsonValue: whole
// floats within int64 are integers. ok is false where v cannot read back
// as it was: a string that is not UTF-8 (the JSON path writes its bad bytes
// as U+FFFD), a key "<<" (yaml.v2 writes it plain, and its reader takes it
// for a merge key).
func normalize(v any) (out any, ok bool) {
	switch v := v.(type) {
	case string:
		return v, utf8.ValidString(v)
	case float64:
		if v == float64(int64(v)) && v < 1<<63 {
			return int64(v), true
		}
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			if s[i], ok = normalize(e); !ok {
				return nil, false
			}
		}
		return s, true
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			if m[k], ok = normalize(e); !ok || !utf8.ValidString(k) || k == "<<" {
				return nil, false
			}
		}
		return m, true
	}
	return v, true
}

// FuzzMarshalYAML builds a random object from a seed and three strings and
// checks that Marshal writes the bytes yaml.v2 writes, and that they read
// back as the object.
func FuzzMarshalYAML(f *testing.F) {
	seeds := []struct {
		seed    uint64
		a, b, c string
	}{
		{1, "yes", "1e3", "0x1F"},
		{2, "1:30", "2001-12-14", "~"},
		{3, "-", "---x", ""},
		{4, strings.Repeat("long words ", 9), "a: b", "x #y"},
		{5, "a_b", "aB", "a10"},
		{6, "line\nbreak", "trail\n", " lead\nx"},
		{7, "名前", "🚀", "a\tb"},
		{8, "x1a", "x12", "x2"},
		{9, "'", "\"", "\\"},
		{10, "0.0.0.0/0", "::/0", "1.2.3"},
	}
	for _, s := range seeds {
		f.Add(s.seed, s.a, s.b, s.c)
	}
	f.Fuzz(func(t *testing.T, seed uint64, a, b, c string) {
		g := &fuzzGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), extra: []string{a, b, c}}
		obj := map[string]any{}
		for n := 1 + g.r.IntN(6); n > 0; n-- {
			obj[g.str()] = g.value(3)
		}
		// The object, then each of its entries as a document of its own:
		// one fallback in an entry leaves the rest of the object to the
		// writer.
		objs := wrap(obj)
		for k, v := range obj {
			objs = append(objs, wrap(map[string]any{k: v})...)
		}
		got, err := Marshal(objs)
		want, wantErr := MarshalYAMLv2(objs)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("Marshal error %v, yaml.v2 error %v", err, wantErr)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(got, want) {
			// yaml.v2's own order of some keys depends on the map ("x1a",
			// "x12", "x2"); then there is no one right answer.
			for range 200 {
				if again, _ := MarshalYAMLv2(objs); !bytes.Equal(again, want) {
					t.Skip("yaml.v2's output for this object is not deterministic")
				}
			}
			t.Fatalf("Marshal differs from yaml.v2:\n got %q\nwant %q", got, want)
		}
		docs := SplitDocuments(got)
		if len(docs) != len(objs) {
			t.Fatalf("%d documents in %q, want %d", len(docs), got, len(objs))
		}
		for i, o := range objs {
			value, ok := normalize(o.Object)
			if !ok {
				continue
			}
			var back any
			if err := yaml2.Unmarshal(docs[i], &back); err != nil {
				t.Fatalf("reading back %q: %v", docs[i], err)
			}
			jv, ok := yamlfast.JSONValue(back)
			if !ok {
				t.Fatalf("reading back %q: not JSON: %#v", docs[i], back)
			}
			if !reflect.DeepEqual(jv, value) {
				t.Errorf("%q reads back as\n%#v\nwant\n%#v", docs[i], jv, value)
			}
		}
	})
}

// TestMarshalDeterministic: keys whose order the encoder's own sort leaves
// to the map ({"x1a", "x12", "x2"}, digit runs past 64 bits) come out in
// one order, on the writer's path and on both fallback paths.
func TestMarshalDeterministic(t *testing.T) {
	for name, obj := range map[string]map[string]any{
		"clash":            {"x1a": "a", "x12": "b", "x2": "c"},
		"overflow":         {"a9223372036854775807": "a", "a9223372036854775808": "b", "a10": "c", "a1": "d"},
		"clash, float":     {"x1a": 1.5, "x12": "b", "x2": "c"},
		"clash, C1 string": {"x1a": "\u0085", "x12": "b", "x2": "c"},
	} {
		obj := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "n", "labels": obj}, "data": obj}
		first, err := Marshal([]*unstructured.Unstructured{{Object: obj}})
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			got, err := Marshal([]*unstructured.Unstructured{{Object: obj}})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(first) {
				t.Fatalf("%s: two runs differ:\n%s\n%s", name, first, got)
			}
		}
	}
}

// TestAppendMarshal holds AppendMarshal to Marshal's bytes after whatever
// dst already holds, for the fast writer's documents and for those it
// leaves to yaml.v2, and to Marshal's errors.
func TestAppendMarshal(t *testing.T) {
	objs := wrap(
		map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "a"}, "data": map[string]any{"k": "v"}},
		// A key the writer leaves to yaml.v2 (longer than a simple key).
		map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "b"}, "data": map[string]any{strings.Repeat("k", 200): "v"}},
	)
	want, err := Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	prefix := []byte("# kept\n")
	got, err := AppendMarshal(bytes.Clone(prefix), objs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append(bytes.Clone(prefix), want...)) {
		t.Errorf("AppendMarshal = %q, want %q then %q", got, prefix, want)
	}
	// A reused buffer gives the same bytes again.
	again, err := AppendMarshal(got[:0], objs[:1])
	if err != nil {
		t.Fatal(err)
	}
	one, _ := Marshal(objs[:1])
	if !bytes.Equal(again, one) {
		t.Errorf("AppendMarshal into a reused buffer = %q, want %q", again, one)
	}
	if empty, err := AppendMarshal(prefix, nil); err != nil || !bytes.Equal(empty, prefix) {
		t.Errorf("AppendMarshal(dst, nil) = %q, %v; want dst, nil", empty, err)
	}
	if empty, err := Marshal(nil); err != nil || empty != nil {
		t.Errorf("Marshal(nil) = %q, %v; want nil, nil", empty, err)
	}
	if _, err := AppendMarshal(nil, []*unstructured.Unstructured{objs[0], nil}); err == nil || err.Error() != "object 2 is nil" {
		t.Errorf("AppendMarshal with a nil object: error %v, want \"object 2 is nil\"", err)
	}
}
