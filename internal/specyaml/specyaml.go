// Package specyaml reads a spec file's one YAML document as YAML 1.2's core
// schema reads it, into the values encoding/json gives, refusing what would
// make the value differ from what the file shows (tags, merge keys,
// duplicate keys, alias bombs, characters YAML readers change), each at its
// line or field path. It applies Helm-style --set overrides to the document
// ([ApplySets]) and turns what does not fit the Go types it decodes into
// into field errors at their paths, all at once ([TypeErrors],
// [StrictError], [DecodeError]: wrong JSON types, unknown fields with their
// line, column and the closest known field). Package spec's Load is its one
// user; its limits and rule texts are spec's public constants.
package specyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
	yaml3 "sigs.k8s.io/yaml/goyaml.v3"
)

// MaxSize is the largest spec file, in bytes (spec.MaxSize).
const MaxSize int64 = 1 << 20

// MaxNodes bounds the values one spec document may hold once aliases
// are expanded: a spec has a few hundred; this keeps an alias bomb (a few
// lines that expand to billions of values) from costing time or memory.
const MaxNodes = 200_000

// MaxExpandedSize bounds the text of a spec's values once aliases are
// expanded, in bytes: an alias of a long string repeats all of it.
const MaxExpandedSize = 4 * MaxSize

// The tags of YAML 1.2's core schema, the only ones a spec may carry
// (YAML 1.2.2, 10.3 "Core Schema"; 10.1 for !!map, !!seq and !!str).
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagNull  = "!!null"
	tagMap   = "!!map"
	tagSeq   = "!!seq"
	tagMerge = "!!merge"
	// tagTimestamp is what the YAML 1.1 resolver of the decoder gives a plain
	// scalar such as 2026-01-02; YAML 1.2 has no timestamps, so it is the
	// string as written.
	tagTimestamp = "!!timestamp"
)

// specValue reads one YAML document of a spec into the values
// encoding/json would give (map[string]any, []any, string, float64 or
// int64, bool, nil), reading it as YAML 1.2's core schema reads it. It
// refuses what would make the value differ from what the file shows: tags
// other than the core schema's (!!binary hides a value behind base64,
// unknown tags are otherwise ignored), merge keys (<<, not in YAML 1.2, add
// fields the file does not spell out), duplicate keys and keys that are not
// strings, each at its field path. Aliases are expanded within
// [MaxNodes]. It is linear in the size of the document.
func specValue(n *yaml3.Node, pos Positions) (any, field.ErrorList) {
	r := &specReader{budget: MaxNodes, text: MaxExpandedSize, pos: pos}
	v := r.value(n, nil)
	return v, r.errs
}

// Position is where a mapping key is written in the file: its line and
// column, both counted from 1.
type Position struct{ Line, Column int }

// Positions maps the field path of every mapping key of a document, as
// [field.Path.String] prints it ("spec.sqs.queues[0].name"), to where the
// key is written. A key reached through an alias is at its anchor's place.
type Positions map[string]Position

type specReader struct {
	errs   field.ErrorList
	pos    Positions
	budget int
	text   int64
	depth  int
	// expanding are the anchored values whose aliases are being expanded.
	expanding map[*yaml3.Node]bool
}

// at returns p, or the root path "" for the top level.
func at(p *field.Path) *field.Path {
	if p == nil {
		return field.NewPath("")
	}
	return p
}

func (r *specReader) value(n *yaml3.Node, p *field.Path) any {
	r.budget--
	if r.budget < 0 {
		if r.budget == -1 {
			r.errs = append(r.errs, field.Invalid(at(p), field.OmitValueType{}, fmt.Sprintf("the spec holds more than %d values once its aliases are expanded", MaxNodes)))
		}
		return nil
	}
	if r.depth > 100 {
		r.errs = append(r.errs, field.Invalid(at(p), field.OmitValueType{}, "nested more than 100 levels deep"))
		return nil
	}
	r.depth++
	defer func() { r.depth-- }()
	switch n.Kind {
	case yaml3.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return r.value(n.Content[0], p)
	case yaml3.AliasNode:
		if r.expanding[n.Alias] {
			r.errs = append(r.errs, field.Invalid(at(p), field.OmitValueType{}, fmt.Sprintf("line %d: the alias *%s refers to a value that contains it", n.Line, n.Value)))
			return nil
		}
		if r.expanding == nil {
			r.expanding = map[*yaml3.Node]bool{}
		}
		r.expanding[n.Alias] = true
		defer delete(r.expanding, n.Alias)
		return r.value(n.Alias, p)
	case yaml3.MappingNode:
		if !r.tag(n, tagMap, p) {
			return nil
		}
		m := make(map[string]any, len(n.Content)/2)
		lines := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			for kn.Kind == yaml3.AliasNode {
				kn = kn.Alias
			}
			if kn.Kind == yaml3.ScalarNode && kn.ShortTag() == tagMerge {
				r.errs = append(r.errs, field.Forbidden(keyPath(p, kn.Value), fmt.Sprintf("line %d: merge keys (<<) are not YAML 1.2 and add fields the file does not spell out; write the fields", kn.Line)))
				continue
			}
			if !plainKey(kn) {
				r.errs = append(r.errs, field.Invalid(at(p), field.OmitValueType{}, fmt.Sprintf("line %d: a mapping key must be a string without a tag", kn.Line)))
				continue
			}
			k := kn.Value
			if first, dup := lines[k]; dup {
				r.errs = append(r.errs, field.Duplicate(keyPath(p, k), fmt.Sprintf("%s (line %d, first on line %d)", k, kn.Line, first)))
				continue
			}
			lines[k] = kn.Line
			kp := keyPath(p, k)
			if _, ok := r.pos[kp.String()]; r.pos != nil && !ok {
				r.pos[kp.String()] = Position{Line: kn.Line, Column: kn.Column}
			}
			m[k] = r.value(vn, kp)
		}
		return m
	case yaml3.SequenceNode:
		if !r.tag(n, tagSeq, p) {
			return nil
		}
		l := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			l = append(l, r.value(c, at(p).Index(i)))
		}
		return l
	case yaml3.ScalarNode:
		return r.scalar(n, p)
	}
	r.errs = append(r.errs, field.Invalid(at(p), field.OmitValueType{}, fmt.Sprintf("line %d: not a YAML value", n.Line)))
	return nil
}

// plainKey reports a mapping key the spec takes: a scalar, untagged or
// tagged !!str. Untagged keys that resolve to numbers or booleans are taken
// as the text they are written as, as sigs.k8s.io/yaml does.
func plainKey(n *yaml3.Node) bool {
	if n.Kind != yaml3.ScalarNode {
		return false
	}
	if n.Style&yaml3.TaggedStyle != 0 {
		return n.ShortTag() == tagStr
	}
	switch n.ShortTag() {
	case tagStr, tagInt, tagFloat, tagBool, tagNull, tagTimestamp:
		return true
	}
	return false
}

// tag checks that an explicitly tagged node carries the tag of its kind.
func (r *specReader) tag(n *yaml3.Node, want string, p *field.Path) bool {
	if t := n.ShortTag(); t != want {
		r.errs = append(r.errs, field.Invalid(at(p), n.Tag, fmt.Sprintf("line %d: a spec may only use the tags of YAML 1.2's core schema (%s here)", n.Line, want)))
		return false
	}
	return true
}

// scalar resolves a scalar as YAML 1.2's core schema does.
func (r *specReader) scalar(n *yaml3.Node, p *field.Path) any {
	r.text -= int64(len(n.Value))
	if r.text < 0 {
		if r.text+int64(len(n.Value)) >= 0 {
			r.errs = append(r.errs, field.Invalid(at(p), field.OmitValueType{}, fmt.Sprintf("the spec's values hold more than %d bytes of text once its aliases are expanded", MaxExpandedSize)))
		}
		return nil
	}
	t := n.ShortTag()
	bad := func(msg string) any {
		r.errs = append(r.errs, field.Invalid(at(p), n.Value, fmt.Sprintf("line %d: %s", n.Line, msg)))
		return nil
	}
	explicit := n.Style&yaml3.TaggedStyle != 0
	switch t {
	case tagStr:
		return n.Value
	case tagTimestamp:
		if explicit {
			return bad("a spec may only use the tags of YAML 1.2's core schema (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq); " + n.Tag + " is not one")
		}
		return n.Value
	case tagNull:
		return nil
	case tagBool:
		switch n.Value {
		case "true", "True", "TRUE":
			return true
		case "false", "False", "FALSE":
			return false
		}
		return bad("not a YAML 1.2 boolean (true or false)")
	case tagInt, tagFloat:
		// The decoder resolves numbers as Go does (0b, 0o, leading-zero
		// octal, underscores); YAML 1.2's core schema takes fewer forms,
		// and the others are strings.
		if v, ok := coreNumber(n.Value); ok {
			if isAccountIDPath(p) {
				return r.accountIDNumber(n, p)
			}
			return v
		}
		if explicit {
			return bad("not a number of YAML 1.2's core schema")
		}
		return n.Value
	}
	return bad("a spec may only use the tags of YAML 1.2's core schema (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq); " + n.Tag + " is not one")
}

// accountIDPath is the one field whose value is digits that a YAML number
// would change: an account ID loses its leading zeros, and 0x1F, 1.2e11 or
// 123456789012.0 are other numbers than the digits they show.
var accountIDPath = field.NewPath("spec", "aws", "accountID").String()

func isAccountIDPath(p *field.Path) bool { return p != nil && p.String() == accountIDPath }

// AccountIDQuoteHint is the end of the message that refuses an account ID
// written as a number other than exactly 12 digits.
const AccountIDQuoteHint = `quote the account ID, as in accountID: "012345678901", so that it is read as the 12 digits written`

// accountIDNumber reads an unquoted number at spec.aws.accountID: exactly
// 12 decimal digits as written are the account ID, as a string; any other
// number (fewer or more digits, a sign, hexadecimal, octal, a fraction or
// an exponent) is refused, since whatever account it would be turned into
// is not the one the file shows.
func (r *specReader) accountIDNumber(n *yaml3.Node, p *field.Path) any {
	if IsAccountDigits(n.Value) {
		return n.Value
	}
	r.errs = append(r.errs, field.Invalid(p, n.Value, fmt.Sprintf("line %d: an unquoted account ID must be exactly 12 digits; %s", n.Line, AccountIDQuoteHint)))
	return nil
}

// accountDigitsRE is an account ID written as a number: exactly 12 digits.
var accountDigitsRE = regexp.MustCompile(`^[0-9]{12}$`)

// IsAccountDigits reports whether s is 12 digits, an AWS account ID.
func IsAccountDigits(s string) bool { return accountDigitsRE.MatchString(s) }

// Numbers of YAML 1.2's core schema (YAML 1.2.2, 10.3.2 "Tag Resolution").
var (
	coreDecimalRE = regexp.MustCompile(`^[-+]?[0-9]+$`)
	coreOctalRE   = regexp.MustCompile(`^0o[0-7]+$`)
	coreHexRE     = regexp.MustCompile(`^0x[0-9a-fA-F]+$`)
	coreFloatRE   = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
)

// coreNumber reads s as YAML 1.2's core schema reads a number: decimal,
// 0o octal or 0x hexadecimal integers (as int64, or float64 beyond it) and
// finite floats. Infinities and NaN have no JSON form and are refused.
func coreNumber(s string) (any, bool) {
	var i int64
	var err error
	switch {
	case coreDecimalRE.MatchString(s):
		i, err = strconv.ParseInt(s, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			return f, ferr == nil
		}
		return i, true
	case coreOctalRE.MatchString(s):
		i, err = strconv.ParseInt(s[2:], 8, 64)
		return i, err == nil
	case coreHexRE.MatchString(s):
		i, err = strconv.ParseInt(s[2:], 16, 64)
		return i, err == nil
	case coreFloatRE.MatchString(s):
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	return nil, false
}

func keyPath(p *field.Path, k string) *field.Path {
	if p == nil {
		return field.NewPath(k)
	}
	return p.Child(k)
}

// refusedRune reports a character that a spec may not hold anywhere, because
// YAML readers change or refuse it, so that the rendered output could not
// carry it as written: C0 controls but tab, line feed and carriage return;
// DEL; C1 controls (NEL, U+0085, is read as a line break); the line and
// paragraph separators U+2028 and U+2029 (line breaks to YAML 1.1 readers,
// such as the one kubectl and Argo CD use); the byte order mark U+FEFF; and
// the noncharacters (U+FDD0 to U+FDEF, and U+xFFFE, U+xFFFF in every plane).
func refusedRune(c rune) bool {
	switch {
	case c == '\t' || c == '\n' || c == '\r':
		return false
	case c < 0x20, c == 0x7f, c >= 0x80 && c <= 0x9f:
		return true
	case c == 0x2028, c == 0x2029, c == 0xfeff:
		return true
	case c >= 0xfdd0 && c <= 0xfdef, c&0xfffe == 0xfffe:
		return true
	case c == utf8.RuneError:
		return true
	}
	return false
}

// runeName names a refused character for an error message.
func runeName(c rune) string {
	names := map[rune]string{0x85: "NEL", 0x7f: "DEL", 0x2028: "LINE SEPARATOR", 0x2029: "PARAGRAPH SEPARATOR", 0xfeff: "BYTE ORDER MARK", 0: "NUL"}
	s := fmt.Sprintf("U+%04X", c)
	if n, ok := names[c]; ok {
		s += " (" + n + ")"
	}
	return s
}

// TextRule is the rule for the characters of every string of a spec.
const TextRule = "may not hold control characters other than tab, line feed and carriage return, U+2028, U+2029, U+FEFF or noncharacters: YAML readers change or refuse them, so the output could not carry the value as written"

// checkRawText refuses a spec file holding a character of [refusedRune]
// anywhere, with its line and column: the YAML reader folds some of them
// (NEL into a space) before any check sees the value. A byte order mark at
// the very start is allowed.
func checkRawText(data []byte) *field.Error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	line, col := 1, 0
	for i := 0; i < len(data); {
		c, size := utf8.DecodeRune(data[i:])
		col++
		if c == utf8.RuneError && size == 1 {
			return FileError(line, col, field.Invalid(nil, field.OmitValueType{}, "not valid UTF-8"))
		}
		if refusedRune(c) {
			return FileError(line, col, field.Invalid(nil, field.OmitValueType{}, fmt.Sprintf("the file holds %s; a spec %s", runeName(c), TextRule)))
		}
		if c == '\n' {
			line, col = line+1, 0
		}
		i += size
	}
	return nil
}

// Document decodes the one YAML document of a spec file. It returns every
// problem, at its line or field path, for anything that is not exactly one
// document of the core schema.
func Document(data []byte) (map[string]any, field.ErrorList) {
	m, _, errs := DocumentPositions(data)
	return m, errs
}

// DocumentPositions is [Document] that also returns where each mapping key
// of the document is written, so that a later check can name the line and
// column of a field (an unknown one, say).
func DocumentPositions(data []byte) (map[string]any, Positions, field.ErrorList) {
	if int64(len(data)) > MaxSize {
		return nil, nil, field.ErrorList{FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, fmt.Sprintf("the spec is %d bytes, over the limit of %d", len(data), MaxSize)))}
	}
	if err := checkRawText(data); err != nil {
		return nil, nil, field.ErrorList{err}
	}
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	var found any
	var pos Positions
	docs, second := 0, 0
	for {
		var node yaml3.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, field.ErrorList{syntaxError(data, err)}
		}
		docPos := Positions{}
		v, errs := specValue(&node, docPos)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Field == "" {
					FileError(0, 0, e)
				}
			}
			return nil, nil, errs
		}
		if v == nil {
			continue
		}
		docs++
		if docs == 2 {
			second = node.Line
		}
		found, pos = v, docPos
	}
	switch {
	case docs == 0:
		return nil, nil, field.ErrorList{FileError(0, 0, field.Required(nil, "the spec is empty"))}
	case docs > 1:
		return nil, nil, field.ErrorList{FileError(second, 0, field.Invalid(nil, fmt.Sprintf("%d documents", docs), "a spec file holds exactly one YAML document; the second starts here"))}
	}
	m, ok := found.(map[string]any)
	if !ok {
		return nil, nil, field.ErrorList{FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, "the spec must be a mapping with string keys"))}
	}
	return m, pos, nil
}

// FileField is the field of an error that concerns the spec file as a
// whole rather than one field, when it has no line (an empty file, one over
// the size limit): never "<nil>", as apimachinery prints a nil path.
const FileField = "(file)"

// FileError gives e, an error without a field, the place in the file it
// concerns instead: "line 6, column 4", "line 6", or [FileField].
func FileError(line, col int, e *field.Error) *field.Error {
	switch {
	case line > 0 && col > 0:
		e.Field = fmt.Sprintf("line %d, column %d", line, col)
	case line > 0:
		e.Field = fmt.Sprintf("line %d", line)
	default:
		e.Field = FileField
	}
	return e
}

// yamlErrorRE splits the YAML decoder's error text into its line, which is
// often the start of the block that holds the mistake, and the problem.
var yamlErrorRE = regexp.MustCompile(`^yaml: (?:line [0-9]+: )?`)

// syntaxError is the error for a spec that is not YAML, at the line and
// column of the mistake. The decoder names the line where the enclosing
// block starts ("line 5", the line of "spec:", for a bad indent on line
// 9), so the place is found as the end of the shortest prefix of the file,
// in whole lines and then in characters, that fails with the same problem:
// the parser reads a file from the start, so the prefixes that hold the
// offending token fail as the file does and the shorter ones do not.
func syntaxError(data []byte, err error) *field.Error {
	problem := yamlErrorRE.ReplaceAllString(err.Error(), "")
	line, col := syntaxPosition(data, problem)
	return FileError(line, col, field.Invalid(nil, field.OmitValueType{}, "not valid YAML: "+problem))
}

// syntaxPosition returns the 1-based line and column of the character
// after which data fails to parse with problem, or 0, 0 if no prefix shows
// it.
func syntaxPosition(data []byte, problem string) (line, col int) {
	fails := func(k int) bool {
		dec := yaml3.NewDecoder(bytes.NewReader(data[:k]))
		for {
			var n yaml3.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				return false
			}
			if err != nil {
				return yamlErrorRE.ReplaceAllString(err.Error(), "") == problem
			}
		}
	}
	// ends[i] is the offset just past line i+1, its line break included.
	var ends []int
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	l, ok := firstTrue(len(ends), func(i int) bool { return fails(ends[i]) })
	if !ok {
		return 0, 0
	}
	start := 0
	if l > 0 {
		start = ends[l-1]
	}
	k, ok := firstTrue(ends[l]-start, func(i int) bool { return fails(start + i + 1) })
	if !ok {
		return l + 1, 0
	}
	return l + 1, utf8.RuneCount(data[start : start+k+1])
}

// firstTrue is the smallest i in [0, n) for which f is true, f being false
// below some index and true from it on, and whether there is one.
func firstTrue(n int, f func(int) bool) (int, bool) {
	i := sort.Search(n, f)
	return i, i < n
}

// CheckText reports every string of the spec, map keys included, that holds
// a character of [refusedRune], at its field path. A spec that reaches
// Check through Go (the library, --set) has not been through
// [checkRawText], and a YAML escape ("\x85") puts such a character into a
// value even when the file itself is clean.
func CheckText(v any) field.ErrorList {
	var errs field.ErrorList
	walkStrings(reflect.ValueOf(v).Elem(), nil, func(p *field.Path, s string) {
		for _, c := range s {
			if refusedRune(c) {
				errs = append(errs, field.Invalid(p, s, "holds "+runeName(c)+"; a spec "+TextRule))
				return
			}
		}
	})
	return errs
}

// walkStrings calls f with every string reachable from v and its path by
// JSON field names, list indexes and map keys (a map key is reported at the
// map's path with the key).
func walkStrings(v reflect.Value, p *field.Path, f func(*field.Path, string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), p, f)
		}
	case reflect.String:
		f(at(p), v.String())
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" || !t.Field(i).IsExported() {
				continue
			}
			walkStrings(v.Field(i), keyPath(p, name), f)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), at(p).Index(i), f)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			kp := at(p).Key(k.String())
			f(kp, k.String())
			walkStrings(v.MapIndex(k), kp, f)
		}
	}
}
