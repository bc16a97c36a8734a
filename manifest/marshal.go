package manifest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	yaml2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Marshal writes objects as one YAML stream: keys sorted, "---" between
// documents, a trailing newline. Characters that YAML's reader refuses or
// changes when raw (DEL, the C1 controls, U+FFFE, U+FFFF) are written as
// escapes, so every string reads back as it was. The bytes are those of
// sigs.k8s.io/yaml's Marshal, without its round trip through JSON text.
//
// Each document is written by [yamlWriter] where it is certain to give
// go.yaml.in/yaml/v2's bytes, else by [marshalDocument], which calls that
// encoder.
func Marshal(objs []*unstructured.Unstructured) ([]byte, error) {
	b, err := AppendMarshal(make([]byte, 0, 4096), objs)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return b, nil
}

// AppendMarshal appends the bytes [Marshal] gives for objs to dst and
// returns the extended slice (dst itself when objs is empty), so that
// a caller marshalling many small streams can reuse one buffer and copy
// each result out at its size. On error the returned slice is nil.
func AppendMarshal(dst []byte, objs []*unstructured.Unstructured) ([]byte, error) {
	if i := slices.Index(objs, nil); i >= 0 {
		return nil, fmt.Errorf("object %d is nil", i+1)
	}
	w := &yamlWriter{buf: dst}
	for i, o := range objs {
		if i > 0 {
			w.buf = append(w.buf, "---\n"...)
		}
		start := len(w.buf)
		if w.document(o.Object) {
			continue
		}
		w.buf = w.buf[:start]
		y, err := marshalDocument(o.Object)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		w.buf = append(w.buf, y...)
	}
	return w.buf, nil
}

// marshalDocument is one document by go.yaml.in/yaml/v2's encoder: the
// object as yamlValue converts it, or through JSON text where it cannot.
func marshalDocument(obj map[string]any) ([]byte, error) {
	if v, ok := yamlValue(obj); ok {
		return yaml2.Marshal(v)
	}
	return marshalViaJSON(obj)
}

// marshalViaJSON is the general path: JSON text, then YAML.
func marshalViaJSON(obj map[string]any) ([]byte, error) {
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	// sigs.k8s.io/yaml's JSONToYAML, with the mappings in a fixed order
	// (orderKeys) instead of the encoder's sort of a Go map.
	var v yaml2.MapSlice
	if err := yaml2.Unmarshal(escapeForYAML(js), &v); err != nil {
		return nil, err
	}
	orderAllKeys(v)
	return yaml2.Marshal(v)
}

// yamlValue turns a decoded JSON value into what the YAML writer takes as
// JSON text decoded by the YAML reader would give: mappings as
// yaml2.MapSlice in orderKeys' order, whole numbers as integers. It reports
// false for values that need the general path: strings holding characters
// escapeForYAML escapes, and types other than those of decoded JSON.
func yamlValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil, bool, int64:
		return v, true
	case string:
		if strings.ContainsFunc(v, yamlUnsafe) || !utf8.ValidString(v) {
			return nil, false
		}
		return v, true
	case int:
		return int64(v), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
		return nil, false
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := yamlValue(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case map[string]any:
		out := make(yaml2.MapSlice, 0, len(v))
		for k, e := range v {
			if strings.ContainsFunc(k, yamlUnsafe) || !utf8.ValidString(k) {
				return nil, false
			}
			c, ok := yamlValue(e)
			if !ok {
				return nil, false
			}
			out = append(out, yaml2.MapItem{Key: k, Value: c})
		}
		orderKeys(out)
		return out, true
	}
	return nil, false
}

// orderKeys puts a mapping's string keys in the encoder's order where that
// order is a total one, and in one fixed order where it is not: sorted by
// bytes first, then stably by compareKeys. The encoder itself sorts a Go
// map's keys in iteration order with a comparison that is not transitive
// for keys like {"x1a", "x12", "x2"}, so its bytes for them change from run
// to run; prenv's must not.
func orderKeys(m yaml2.MapSlice) {
	key := func(it yaml2.MapItem) string { s, _ := it.Key.(string); return s }
	slices.SortFunc(m, func(a, b yaml2.MapItem) int { return strings.Compare(key(a), key(b)) })
	slices.SortStableFunc(m, func(a, b yaml2.MapItem) int { return compareKeys(key(a), key(b)) })
}

// orderAllKeys applies orderKeys to every mapping in v, as decoded into
// yaml2.MapSlice.
func orderAllKeys(v any) {
	switch v := v.(type) {
	case yaml2.MapSlice:
		orderKeys(v)
		for _, it := range v {
			orderAllKeys(it.Value)
		}
	case []any:
		for _, e := range v {
			orderAllKeys(e)
		}
	}
}

// escapeForYAML \u-escapes, in JSON text, the characters YAML's reader
// refuses or changes when raw. They can only occur inside JSON strings, where an escape
// means the same character.
func escapeForYAML(js []byte) []byte {
	if !bytes.ContainsFunc(js, yamlUnsafe) {
		return js
	}
	var b bytes.Buffer
	for len(js) > 0 {
		r, n := utf8.DecodeRune(js)
		if yamlUnsafe(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.Write(js[:n])
		}
		js = js[n:]
	}
	return b.Bytes()
}

func yamlUnsafe(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff
}

// foldColumn is the encoder's line width: a scalar in a value is broken at a
// space written past this column.
const foldColumn = 80

// maxSimpleKey is the longest key, in bytes, the encoder writes as "key:".
const maxSimpleKey = 128

// yamlWriter writes decoded JSON values (map[string]any, []any, string,
// int64, int, float64, bool, nil) as YAML documents with the bytes of
// go.yaml.in/yaml/v2's encoder (yaml2.Marshal of the value yamlValue gives).
// The facts it relies on are that encoder's observed behaviour, each checked
// against it by the tests in marshal_test.go:
//
//   - block style: a map's keys at its indent, one per line as "key: value";
//     a map or sequence under a key starts on the next line, a map indented
//     two more, a sequence not at all ("key:\n- a"); a sequence item that is a
//     map or a sequence starts on the dash's line ("- k: v", "- - a") and its
//     further lines are indented two past the dash; an empty map is "{}", an
//     empty sequence "[]", nil "null".
//   - keys are sorted by the encoder's own order (see compareKeys), not by
//     bytes.
//   - a string is written plain when the YAML 1.1 reader would read it back
//     as a string and the emitter's analysis allows plain text, else single
//     quoted, or double quoted when it would read back as another type (see
//     appendString); a string with a line break is a literal block.
//   - plain and quoted scalars in a value are folded at a space past column
//     80; keys are never folded, and a key of more than 128 bytes is written
//     as a complex key ("? key").
//
// Where the writer is not certain it reports false, and the document goes to
// go.yaml.in/yaml/v2: values other than those types, floats yamlValue does
// not make integers, strings that need escapes for YAML's reader
// (escapeForYAML) or are not UTF-8, keys it cannot order with certainty,
// keys of more than 128 bytes or with line breaks, scalars that could be
// folded, literal blocks of anything but printable ASCII or that need a "+"
// (keep) chomping indicator. A single-line string outside the printable
// ASCII it classifies itself is written as the encoder writes it alone in
// the same context (askScalar).
//
// buf is the output; entries is scratch space for the sorted entries of the
// maps being written, outermost first.
type yamlWriter struct {
	buf     []byte
	entries []mapEntry
}

// mapEntry is a key and its value.
type mapEntry struct {
	key   string
	value any
}

// document appends obj as one YAML document. It reports false, having
// appended part of it, where it cannot be certain to match the encoder.
func (w *yamlWriter) document(obj map[string]any) bool {
	if len(obj) == 0 {
		w.buf = append(w.buf, "{}\n"...)
		return true
	}
	return w.mapping(obj, 0, false)
}

// mapping appends the non-empty map m in block style, keys at column indent;
// inline means the first key goes on the current line (after a dash).
func (w *yamlWriter) mapping(m map[string]any, indent int, inline bool) bool {
	start := len(w.entries)
	for k, v := range m {
		w.entries = append(w.entries, mapEntry{k, v})
	}
	entries := w.entries[start:len(w.entries):len(w.entries)]
	ok := sortEntries(entries)
	for i, e := range entries {
		if !ok {
			break
		}
		if i > 0 || !inline {
			w.indent(indent)
		}
		at := len(w.buf)
		if ok = w.key(e.key); ok {
			col := indent + len(w.buf) - at
			w.buf = append(w.buf, ':')
			ok = w.value(e.value, indent, col+1, false)
		}
	}
	w.entries = w.entries[:start]
	return ok
}

// sequence appends the non-empty sequence s in block style, dashes at column
// indent; inline means the first dash goes on the current line.
func (w *yamlWriter) sequence(s []any, indent int, inline bool) bool {
	for i, e := range s {
		if i > 0 || !inline {
			w.indent(indent)
		}
		w.buf = append(w.buf, '-')
		if !w.value(e, indent, indent+1, true) {
			return false
		}
	}
	return true
}

// value appends v, through the end of its last line, after the colon of a
// key at column indent or the dash of an item (item) at column indent; col
// is the column after that colon or dash.
func (w *yamlWriter) value(v any, indent, col int, item bool) bool {
	switch v := v.(type) {
	case map[string]any:
		if w.open(len(v), "{}", item) {
			return true
		}
		return w.mapping(v, indent+2, item)
	case []any:
		if w.open(len(v), "[]", item) {
			return true
		}
		if item {
			return w.sequence(v, indent+2, true)
		}
		return w.sequence(v, indent, false) // not indented under a key
	}
	w.buf = append(w.buf, ' ')
	if !w.scalar(v, indent+2, col+1) {
		return false
	}
	w.buf = append(w.buf, '\n')
	return true
}

// open starts a map or sequence of n entries after a colon or a dash
// (item). An empty one is written whole, as empty, and open reports true;
// else an item's first entry follows on the same line, a key's on the next.
func (w *yamlWriter) open(n int, empty string, item bool) (done bool) {
	switch {
	case n == 0:
		w.buf = append(append(append(w.buf, ' '), empty...), '\n')
		return true
	case item:
		w.buf = append(w.buf, ' ')
	default:
		w.buf = append(w.buf, '\n')
	}
	return false
}

// scalar appends the scalar v starting at column col; indent is the indent
// of a literal block's lines.
func (w *yamlWriter) scalar(v any, indent, col int) bool {
	switch v := v.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case bool:
		w.buf = strconv.AppendBool(w.buf, v)
	case int64:
		w.buf = strconv.AppendInt(w.buf, v, 10)
	case int:
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	case float64:
		// The numbers yamlValue turns into integers; other floats take the
		// encoder's float formatting, through JSON text.
		if v != math.Trunc(v) || math.Abs(v) >= 1<<53 {
			return false
		}
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	case string:
		if strings.IndexByte(v, '\n') >= 0 {
			return w.literal(v, indent)
		}
		at := len(w.buf)
		if !w.appendString(v, false) {
			return false
		}
		// The encoder breaks a line at a space it writes past foldColumn; a
		// byte's column is at most col plus the bytes before it.
		if i := bytes.LastIndexByte(w.buf[at:], ' '); i >= 0 && col+i > foldColumn {
			return false
		}
	default:
		return false
	}
	return true
}

// key appends k as a map key, without the colon.
func (w *yamlWriter) key(k string) bool {
	if len(k) > maxSimpleKey || strings.IndexByte(k, '\n') >= 0 {
		return false
	}
	return w.appendString(k, true)
}

// literal appends s, which holds a line break, as the encoder's literal
// block: "|", "2" when s starts with a space or a line break, "-" when s
// does not end with a line break, then each line of s at column indent
// (empty lines empty). It reports false where the encoder would choose
// another style or a "+" indicator: characters outside printable ASCII, a
// space before a line break or at the end, two or more line breaks at the
// end.
func (w *yamlWriter) literal(s string, indent int) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\n' && !printableASCII(c) {
			return false
		}
	}
	if s == "\n" || strings.HasSuffix(s, " ") || strings.HasSuffix(s, "\n\n") || strings.Contains(s, " \n") {
		return false
	}
	w.buf = append(w.buf, '|')
	if s[0] == ' ' || s[0] == '\n' {
		w.buf = append(w.buf, '2')
	}
	body, ok := strings.CutSuffix(s, "\n")
	if !ok {
		w.buf = append(w.buf, '-')
	}
	for line := range strings.SplitSeq(body, "\n") {
		w.buf = append(w.buf, '\n')
		if line != "" {
			w.indent(indent)
			w.buf = append(w.buf, line...)
		}
	}
	return true
}

// indent appends n spaces: the indent of a new line.
func (w *yamlWriter) indent(n int) {
	for ; n > 0; n-- {
		w.buf = append(w.buf, ' ')
	}
}

// appendString appends the single-line string s as the encoder writes it as
// a key (key) or a value, before any folding. Printable ASCII is classified
// here: plain when it reads back as a string and plainAllowed, single quoted
// when it reads back as a string but plain is not allowed, double quoted
// when it reads back as another type. Other strings, and those resolveString
// is unsure of, are written as askScalar finds.
func (w *yamlWriter) appendString(s string, key bool) bool {
	if !allPrintableASCII(s) {
		if strings.ContainsFunc(s, yamlUnsafe) || !utf8.ValidString(s) {
			return false
		}
		return w.askScalar(s, key)
	}
	switch resolveString(s) {
	case resolvesUnsure:
		return w.askScalar(s, key)
	case resolvesOther:
		w.buf = append(w.buf, '"')
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				w.buf = append(w.buf, '\\')
			}
			w.buf = append(w.buf, s[i])
		}
		w.buf = append(w.buf, '"')
	default:
		if plainAllowed(s) {
			w.buf = append(w.buf, s...)
			return true
		}
		w.buf = append(w.buf, '\'')
		for i := 0; i < len(s); i++ {
			if s[i] == '\'' {
				w.buf = append(w.buf, '\'')
			}
			w.buf = append(w.buf, s[i])
		}
		w.buf = append(w.buf, '\'')
	}
	return true
}

// askScalar appends s as the encoder writes it as the key of a one-key map
// (key) or as the value of one, the same context as in the document: the
// encoder's style choice and escapes depend on the scalar and on whether it
// is a key, nothing else but folding, which the caller checks. It reports
// false when that text spans lines or holds a line break character (the
// encoder's column count restarts there).
func (w *yamlWriter) askScalar(s string, key bool) bool {
	var y []byte
	var err error
	var ok bool
	if key {
		y, err = yaml2.Marshal(map[string]int{s: 0})
		y, ok = bytes.CutSuffix(y, []byte(": 0\n"))
		ok = ok && !bytes.HasPrefix(y, []byte("? "))
	} else {
		y, err = yaml2.Marshal(map[string]string{"k": s})
		if y, ok = bytes.CutPrefix(y, []byte("k: ")); ok {
			y, ok = bytes.CutSuffix(y, []byte("\n"))
		}
	}
	if err != nil || !ok || len(y) == 0 || bytes.ContainsFunc(y, isLineBreak) {
		return false
	}
	w.buf = append(w.buf, y...)
	return true
}

// isLineBreak reports the characters YAML counts as line breaks.
func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029
}

func printableASCII(c byte) bool { return c >= 0x20 && c <= 0x7e }

func allPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if !printableASCII(s[i]) {
			return false
		}
	}
	return true
}

// resolution is what the encoder's YAML 1.1 resolver makes of a plain
// scalar, as far as resolveString can tell.
type resolution uint8

const (
	resolvesString resolution = iota // a string: may be plain
	resolvesOther                    // null, bool, number or timestamp: double quoted
	resolvesUnsure                   // resolveString cannot tell
)

// resolveString tells whether the encoder, which writes a string plain only
// if its YAML 1.1 resolver reads the plain text back as a string, may write
// the printable ASCII s plain. go.yaml.in/yaml/v2 encoder behaviour: the
// first character picks what the text may be. A sign, a digit or a dot may
// start a number, a timestamp, a sexagesimal number (1:30) or .inf/.nan; one
// of yYnNtTfFoO~ may start a YAML 1.1 bool or null word (yaml11Word); any
// other character starts a string. The empty string is null.
func resolveString(s string) resolution {
	if s == "" {
		return resolvesOther
	}
	switch c := s[0]; {
	case c == '+' || c == '-' || c == '.' || isDigit(c):
		return resolveNumeric(s)
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0 && yaml11Word(s):
		return resolvesOther
	}
	return resolvesString
}

// resolveNumeric is resolveString for s starting with a sign, a digit or a
// dot. Numbers in every base the resolver reads (0x, 0o, 0b, underscores,
// exponents), timestamps (2001-12-14, with a time after T, t or a space,
// fraction after a dot or comma, zone Z or +hh:mm), sexagesimal numbers and
// .inf/.nan are made only of numericByte; s with another byte is a string.
// Of the rest, it knows only these: up to 18 digits after an optional sign
// are an integer; up to 18 digits and one dot, starting with a digit, are a
// float; digits and two or more dots (10.0.0.1, 1.2.3) are a string.
func resolveNumeric(s string) resolution {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case !numericByte(c):
			return resolvesString
		case isDigit(c):
			digits++
		case c == '.':
			dots++
		}
	}
	signed := s[0] == '+' || s[0] == '-'
	switch {
	case dots == 0 && digits > 0 && digits <= 18 && digits+btoi(signed) == len(s):
		return resolvesOther
	case !isDigit(s[0]) || digits+dots != len(s):
		return resolvesUnsure
	case dots >= 2:
		return resolvesString
	case len(s) <= 18:
		return resolvesOther
	}
	return resolvesUnsure
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// numericByte reports the bytes of the YAML 1.1 numbers, timestamps and
// special floats the resolver reads (see resolveNumeric); z is included
// though only Z marks a zone.
func numericByte(c byte) bool {
	return isDigit(c) || strings.IndexByte("abcdefABCDEFxXoOtTzZiInN+-._:, ", c) >= 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// yaml11Word reports the YAML 1.1 bool and null words the resolver reads as
// other than strings, in the spellings it accepts (go.yaml.in/yaml/v2
// encoder behaviour; other case mixes, such as "tRUE", are strings).
func yaml11Word(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"null", "Null", "NULL", "~":
		return true
	}
	return false
}

// plainAllowed reports whether the encoder's analysis allows the non-empty,
// printable ASCII s as a plain scalar in block context (go.yaml.in/yaml/v2
// encoder behaviour). It does not when s starts or ends with a space,
// starts with "---" or "...", starts with an indicator (one of
// #,[]{}&*!|>'"%@` or one of ?:- followed by a space or the end), or holds a
// colon followed by a space or the end, or " #".
func plainAllowed(s string) bool {
	n := len(s)
	if s[0] == ' ' || s[n-1] == ' ' || strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '?', ':', '-':
		if n == 1 || s[1] == ' ' {
			return false
		}
	}
	for i := 1; i < n; i++ {
		switch s[i] {
		case ':':
			if i == n-1 || s[i+1] == ' ' {
				return false
			}
		case '#':
			if s[i-1] == ' ' {
				return false
			}
		}
	}
	return true
}

// maxKeyDigits is the longest run of digits in a key sortKeys orders: the
// encoder reads a run as an int64, and 18 digits (19 with the 1 it may put
// in front) cannot overflow.
const maxKeyDigits = 18

// sortEntries sorts entries into the encoder's order of their keys
// (compareKeys) and reports whether that order is certain: every key within
// keyOrderable's domain, and no two keys that compareKeys would order
// otherwise than the encoder (digitLetterClash).
func sortEntries(entries []mapEntry) bool {
	clash := false
	for _, e := range entries {
		ok, digitLetter := keyOrderable(e.key)
		if !ok {
			return false
		}
		clash = clash || digitLetter
	}
	if clash {
		for i, a := range entries {
			for _, b := range entries[i+1:] {
				if digitLetterClash(a.key, b.key) {
					return false
				}
			}
		}
	}
	slices.SortFunc(entries, func(a, b mapEntry) int { return compareKeys(a.key, b.key) })
	return true
}

// keyOrderable reports whether k is in the domain where compareKeys is the
// encoder's order: no run of more than maxKeyDigits ASCII digits, no
// non-ASCII digit. digitLetter reports a digit followed by a letter in k,
// the one shape that can make the encoder's order differ from compareKeys.
func keyOrderable(k string) (ok, digitLetter bool) {
	run := 0
	for i := 0; i < len(k); {
		if c := k[i]; c < utf8.RuneSelf {
			i++
			if isDigit(c) {
				if run++; run > maxKeyDigits {
					return false, false
				}
				continue
			}
			digitLetter = digitLetter || run > 0 && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z')
			run = 0
			continue
		}
		r, n := utf8.DecodeRuneInString(k[i:])
		i += n
		if unicode.IsDigit(r) {
			return false, false
		}
		digitLetter = digitLetter || run > 0 && unicode.IsLetter(r)
		run = 0
	}
	return true, digitLetter
}

// compareKeys orders two map keys as go.yaml.in/yaml/v2's encoder sorts
// them, for keys keyOrderable accepts and pairs digitLetterClash does not
// report. The encoder's behaviour: at the first character where the keys
// differ, two letters compare by code point, and otherwise a key with a
// letter there sorts after the other; two digits compare the numbers of
// their digit runs (the whole runs, including digits the keys share before
// that point), a smaller number first, then a shorter run; a key with a
// digit there sorts after one with another non-letter; other characters
// compare by code point. A key that is a prefix of the other sorts first.
//
// On that domain this equals comparing the keys as sequences of tokens (a
// digit run, or one other character), digit runs by number and length, and
// non-letters before digit runs before letters; a lexicographic order, so a
// total one, and the encoder's sort gives the same sequence whatever the
// map's iteration order. Outside it (a run ending in a letter where the
// other key's run goes on) the encoder's comparison is not transitive:
// {"x1a", "x12", "x2"} come out in an order that depends on the map.
func compareKeys(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) {
		return cmp.Compare(len(a), len(b))
	}
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	la, lb := unicode.IsLetter(ra), unicode.IsLetter(rb)
	switch {
	case la && lb:
		return cmp.Compare(ra, rb)
	case la != lb:
		return cmp.Compare(btoi(la), btoi(lb))
	}
	da, db := ra < utf8.RuneSelf && isDigit(byte(ra)), rb < utf8.RuneSelf && isDigit(byte(rb))
	switch {
	case da && db:
		start := i
		for start > 0 && isDigit(a[start-1]) {
			start--
		}
		na, ea := digitRun(a, start)
		nb, eb := digitRun(b, start)
		if c := cmp.Compare(na, nb); c != 0 {
			return c
		}
		return cmp.Compare(ea, eb)
	case da != db:
		return cmp.Compare(btoi(da), btoi(db))
	}
	return cmp.Compare(ra, rb)
}

// digitRun reads the run of ASCII digits of s that starts at i: its number
// and where it ends.
func digitRun(s string, i int) (n uint64, end int) {
	for end = i; end < len(s) && isDigit(s[end]); end++ {
		n = n*10 + uint64(s[end]-'0')
	}
	return n, end
}

// digitLetterClash reports two keys whose first difference follows a digit
// they share, with a letter in one and a digit in the other: the encoder
// sorts the letter's key last, where compareKeys, comparing digit runs,
// would sort it first ("x1a" and "x12").
func digitLetterClash(a, b string) bool {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == 0 || i == len(a) || i == len(b) || !isDigit(a[i-1]) {
		return false
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	return unicode.IsLetter(ra) && isDigit(b[i]) || isDigit(a[i]) && unicode.IsLetter(rb)
}
