// Package yamlfast reads the YAML documents of prenv's template kit: the
// kit's usual shape directly ([Document]), anything else with yaml.v2
// ([General]), both into the values encoding/json gives. Package manifest's
// ParseObjects uses it; [Agree] holds the two readers to one result.
package yamlfast

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"

	yaml2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// The kit's templates print YAML of a narrow shape: block mappings and
// sequences indented with spaces, keys plain or JSON-quoted, values written
// by toJson (JSON strings, numbers, true, false, null, arrays of strings,
// objects of strings) or plain words and whole numbers, {} and []. Document
// reads exactly
// that shape without the general YAML reader, which is most of the cost of
// reading an env's objects; for anything else it reports false and
// manifest.ParseObjects reads the document with the general reader.
//
// Its contract: when it reports true, the value is the one the general
// reader (go.yaml.in/yaml/v2's UnmarshalStrict, then JSONValue) gives for
// the document. Each rule below keeps to YAML 1.1 as that reader applies
// it; whatever a rule does not cover falls back (TestFastDocumentMatches
// and FuzzFastDocument compare both readers).

// fastLine is a line of a document that holds something: its indentation
// in spaces and the text after it, without trailing spaces.
type fastLine struct {
	indent int
	text   string
}

// Document reads doc if it has the shape above. The value is a
// map[string]any, or nil for a document with nothing in it; ok is false
// when the general reader must read doc.
func Document(doc []byte) (v any, ok bool) {
	lines, ok := fastLines(doc)
	if !ok {
		return nil, false
	}
	if len(lines) == 0 {
		return nil, true
	}
	p := fastParser{lines: lines}
	if lines[0].indent != 0 {
		return nil, false
	}
	v, ok = p.node(-1)
	if !ok || p.i != len(lines) {
		return nil, false
	}
	if _, isMap := v.(map[string]any); !isMap {
		return nil, false
	}
	return v, true
}

// fastLines splits doc into its lines that hold something, dropping blank
// lines and whole-line comments. It reports false for text the fast reader
// leaves to the general one: any byte outside printable ASCII (tabs,
// carriage returns, control characters, and all non-ASCII text, so that no
// line break or byte order mark of YAML 1.1 hides in it), directives and
// document markers.
func fastLines(doc []byte) ([]fastLine, bool) {
	s := string(doc)
	// One line per line break at most: the slice is not grown.
	lines := make([]fastLine, 0, strings.Count(s, "\n")+1)
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; c < 0x20 || c > 0x7e {
				return nil, false
			}
		}
		text := strings.TrimLeft(line, " ")
		text = strings.TrimRight(text, " ")
		switch {
		case text == "", text[0] == '#':
			continue
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "..."), line[0] == '%':
			return nil, false
		}
		lines = append(lines, fastLine{indent: len(line) - len(strings.TrimLeft(line, " ")), text: text})
	}
	return lines, true
}

type fastParser struct {
	lines []fastLine
	i     int
	// depth is how many collections the cursor is in.
	depth int
}

// Limits past which the fast reader leaves a document to the general
// reader, which refuses a simple key longer than 1024 characters and
// nesting deeper than 10000 collections (go.yaml.in/yaml/v2's scanner and
// parser); the fast reader stops well short of both.
const (
	fastMaxKey   = 1000
	fastMaxDepth = 1000
)

// next returns the line at the cursor, or one of indent -1 at the end.
func (p *fastParser) next() fastLine {
	if p.i >= len(p.lines) {
		return fastLine{indent: -1}
	}
	return p.lines[p.i]
}

// node reads the block node at the cursor, whose lines are indented more
// than parent, or gives null when the next line is not. (A sequence that
// is a mapping value at the key's own indentation is read by mapping.)
func (p *fastParser) node(parent int) (any, bool) {
	l := p.next()
	if l.indent <= parent {
		return nil, true // nothing more indented: null
	}
	switch {
	case isDash(l.text):
		return p.sequence(l.indent)
	case keyEnd(l.text) > 0:
		return p.mapping(l.indent)
	}
	// A scalar alone on its line: it must not continue on the next one.
	p.i++
	if n := p.next(); n.indent > parent {
		return nil, false
	}
	return fastScalar(l.text)
}

// isDash reports whether text is a sequence entry: "-" alone or "- ...".
func isDash(text string) bool {
	return text == "-" || strings.HasPrefix(text, "- ")
}

// sequence reads the block sequence whose dashes are at column indent.
func (p *fastParser) sequence(indent int) (any, bool) {
	if p.depth++; p.depth > fastMaxDepth {
		return nil, false
	}
	defer func() { p.depth-- }()
	items := []any{}
	for {
		l := p.next()
		if l.indent != indent || !isDash(l.text) {
			break
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		if rest == "" {
			p.i++
			v, ok := p.node(indent)
			if !ok {
				return nil, false
			}
			items = append(items, v)
			continue
		}
		col := indent + len(l.text) - len(rest)
		switch {
		case isDash(rest):
			return nil, false // a sequence in a sequence on one line
		case keyEnd(rest) > 0:
			// A mapping whose first key is on the dash's line: read it as
			// though that key began its own line at its column.
			p.lines[p.i] = fastLine{indent: col, text: rest}
			v, ok := p.mapping(col)
			if !ok {
				return nil, false
			}
			items = append(items, v)
		default:
			p.i++
			if n := p.next(); n.indent > indent {
				return nil, false // a scalar that continues
			}
			v, ok := fastScalar(rest)
			if !ok {
				return nil, false
			}
			items = append(items, v)
		}
	}
	return items, true
}

// mapping reads the block mapping whose keys are at column indent.
func (p *fastParser) mapping(indent int) (any, bool) {
	if p.depth++; p.depth > fastMaxDepth {
		return nil, false
	}
	defer func() { p.depth-- }()
	m := map[string]any{}
	for {
		l := p.next()
		if l.indent != indent || isDash(l.text) {
			break
		}
		end := keyEnd(l.text)
		if end <= 0 {
			return nil, false
		}
		key, ok := fastKey(l.text[:end])
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false // the general reader says why
		}
		rest := strings.TrimLeft(l.text[end+1:], " ")
		p.i++
		var v any
		if rest == "" {
			if n := p.next(); n.indent == indent && isDash(n.text) {
				v, ok = p.sequence(indent)
			} else {
				v, ok = p.node(indent)
			}
		} else {
			if n := p.next(); n.indent > indent {
				return nil, false // a value that continues, or a nested key after a value
			}
			v, ok = fastScalar(rest)
		}
		if !ok {
			return nil, false
		}
		m[key] = v
	}
	return m, true
}

// keyEnd returns the index of the colon that ends text's key ("key:" or
// "key: value", the key plain or JSON-quoted), or -1 when text does not
// start with a key the fast reader knows.
func keyEnd(text string) int {
	var end int
	if text != "" && text[0] == '"' {
		n := quotedEnd(text)
		if n < 0 {
			return -1
		}
		end = n
	} else {
		end = strings.IndexByte(text, ':')
		if end <= 0 {
			return -1
		}
	}
	if end >= len(text) || text[end] != ':' || (end+1 < len(text) && text[end+1] != ' ') || end > fastMaxKey {
		return -1
	}
	return end
}

// quotedEnd returns the index just past the JSON string that text starts
// with, or -1.
func quotedEnd(text string) int {
	for i := 1; i < len(text); i++ {
		switch text[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// fastKey reads a mapping key: a JSON string, or a plain word that the
// general reader reads as a string.
func fastKey(k string) (string, bool) {
	if k[0] == '"' {
		return unquoteJSON(k)
	}
	if !plainWord(k) {
		return "", false
	}
	return k, true
}

// fastScalar reads a value: a JSON string; {} or []; an array of JSON
// strings; an object of JSON strings; true, false or null; a whole number
// of at most 18 digits; or a plain word.
func fastScalar(s string) (any, bool) {
	switch s {
	case "{}":
		return map[string]any{}, true
	case "[]":
		return []any{}, true
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	switch c := s[0]; {
	case c == '"':
		return unquoteJSON(s)
	case c == '[':
		return stringArray(s)
	case c == '{':
		return stringObject(s)
	case c == '-' || (c >= '0' && c <= '9'):
		return wholeNumber(s)
	}
	if !plainWord(s) {
		return nil, false
	}
	return s, true
}

// stringArray reads ["a","b"] as toJson prints it, or ["a", "b"]: JSON
// strings or objects of JSON strings (see leadingObject), commas, spaces
// after the commas only.
func stringArray(s string) (any, bool) {
	if len(s) < 2 || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	items := []any{}
	for body != "" {
		var v any
		var n int
		var ok bool
		switch body[0] {
		case '"':
			v, n, ok = leadingString(body)
		case '{':
			v, n, ok = leadingObject(body)
		}
		if !ok {
			return nil, false
		}
		items = append(items, v)
		body = body[n:]
		if body == "" {
			break
		}
		if body[0] != ',' {
			return nil, false
		}
		body = strings.TrimLeft(body[1:], " ")
		if body == "" {
			return nil, false
		}
	}
	return items, true
}

// stringObject reads an object of JSON strings (see leadingObject) that is
// all of s.
func stringObject(s string) (any, bool) {
	m, n, ok := leadingObject(s)
	if !ok || n != len(s) {
		return nil, false
	}
	return m, true
}

// leadingObject reads the object s starts with, {"a":"b","c":"d"} exactly
// as toJson prints a map of strings: JSON strings for keys and values, a
// colon between them, commas between entries, no spaces, no key twice;
// and the length of its text. YAML 1.1 reads such a flow mapping as JSON
// does (in a flow collection, a colon right after a quoted key is a value
// indicator); anything else falls back, including keys the general reader
// would not take as simple keys (over 1024 characters).
func leadingObject(s string) (map[string]any, int, bool) {
	if s == "" || s[0] != '{' {
		return nil, 0, false
	}
	m := map[string]any{}
	for i := 1; i < len(s); {
		if s[i] == '}' && i == 1 {
			return m, 2, true
		}
		k, n, ok := leadingString(s[i:])
		if !ok || n > fastMaxKey || i+n >= len(s) || s[i+n] != ':' {
			return nil, 0, false
		}
		if _, dup := m[k]; dup {
			return nil, 0, false
		}
		i += n + 1
		v, n, ok := leadingString(s[i:])
		if !ok {
			return nil, 0, false
		}
		m[k] = v
		i += n
		switch {
		case i >= len(s):
			return nil, 0, false
		case s[i] == '}':
			return m, i + 1, true
		case s[i] != ',':
			return nil, 0, false
		}
		i++
	}
	return nil, 0, false
}

// leadingString reads the JSON string s starts with: its value and the
// length of its quoted form.
func leadingString(s string) (string, int, bool) {
	if s == "" || s[0] != '"' {
		return "", 0, false
	}
	n := quotedEnd(s)
	if n < 0 {
		return "", 0, false
	}
	v, ok := unquoteJSON(s[:n])
	return v, n, ok
}

// wholeNumber reads -?(0|[1-9][0-9]*) of at most 18 digits, which YAML
// 1.1 and int64 read alike; anything else (signs, leading zeros, octal,
// hexadecimal, underscores, fractions, exponents) falls back.
func wholeNumber(s string) (any, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 || (digits[0] == '0' && len(digits) > 1) {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, false
	}
	return n, true
}

// plainWord reports whether s, written plain, is a string to YAML 1.1: it
// starts with an ASCII letter, holds only letters, digits and _ . / -, and
// is none of the words YAML 1.1 reads as a boolean or null.
func plainWord(s string) bool {
	if s == "" || !isASCIILetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && (c < '0' || c > '9') && c != '_' && c != '.' && c != '/' && c != '-' {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off", "true", "false", "null":
		return false
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// unquoteJSON reads a whole JSON string of printable ASCII with the
// escapes JSON has, all of which YAML's double-quoted style has with the
// same meaning, except \/, which YAML 1.1 lacks (the general reader
// refuses it). \u escapes of UTF-16 surrogates fall back.
func unquoteJSON(q string) (string, bool) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", false
	}
	body := q[1 : len(q)-1]
	if !strings.ContainsAny(body, `\"`) {
		return body, true
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch c {
		case '"':
			return "", false
		case '\\':
		default:
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", false
		}
		switch body[i] {
		case '"', '\\':
			b.WriteByte(body[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 >= len(body) {
				return "", false
			}
			n, err := strconv.ParseUint(body[i+1:i+5], 16, 16)
			if err != nil || utf16.IsSurrogate(rune(n)) {
				return "", false
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			return "", false
		}
	}
	return b.String(), true
}

// General is the reading of one document with the general YAML reader.
func General(doc []byte) (any, error) {
	var v any
	if err := yaml2.UnmarshalStrict(doc, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	if jv, ok := JSONValue(v); ok {
		return jv, nil
	}
	// Keys that are not strings, or values JSON has no form for: let
	// sigs.k8s.io/yaml convert them as kubectl would.
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var jv any
	if err := json.Unmarshal(js, &jv); err != nil {
		return nil, err
	}
	return jv, nil
}

// JSONValue converts a value decoded by the YAML reader into the types of
// decoded JSON (string keys, int64 and float64 numbers). It reports false
// for anything without a plain JSON form.
func JSONValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil, string, bool, int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return v, true
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := JSONValue(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			c, ok := JSONValue(e)
			if !ok {
				return nil, false
			}
			out[ks] = c
		}
		return out, true
	}
	return nil, false
}

// Agree reports whether [Document] reads doc; when it does, err says how
// [General] disagrees (refuses doc, or reads another value), or is nil.
// Tests and fuzzing hold the fast reader to its contract with it.
func Agree(doc []byte) (read bool, err error) {
	got, ok := Document(doc)
	if !ok {
		return false, nil
	}
	want, err := General(doc)
	if err != nil {
		return true, fmt.Errorf("the fast reader reads %q, the general one refuses it: %w", doc, err)
	}
	if !reflect.DeepEqual(want, got) {
		return true, fmt.Errorf("%q: the fast reader reads %#v, the general one %#v", doc, got, want)
	}
	return true, nil
}
