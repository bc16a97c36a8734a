package validate

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdHeader returns what a crdSet registers of a source's CRD without
// decoding it (see crdSet.addEmbedded): its metadata.name, the source's
// name, and the group/version/kinds of its served versions in the order
// of spec.versions, as crdSet.add lists them for a valid CRD. It reads the
// source line by line (see headerReader), and knows only a source that
// holds one apiextensions.k8s.io/v1 CustomResourceDefinition document in
// block style, as prenv's own schemas are written: for any other, ok is
// false, and the caller decodes the source. It does not check the CRD:
// what it returns holds only if the source decodes to a valid CRD, which
// lazySource checks when it decodes the source.
func crdHeader(src Source) (h LoadedCRD, ok bool) {
	doc := strings.TrimPrefix(string(src.Data), "\xef\xbb\xbf")
	if !plainLines(doc) {
		return LoadedCRD{}, false
	}
	r := &headerReader{rest: doc}
	r.advance()
	top, ok := r.mapping(0, "", headerPaths{
		"metadata": nil,
		"spec":     {"names": nil, "versions": nil},
	})
	if !ok || r.bad {
		return LoadedCRD{}, false
	}
	apiVersion, okV := top.str("apiVersion")
	kind, okK := top.str("kind")
	if !okV || !okK || apiVersion != crdGVK.GroupVersion().String() || kind != crdGVK.Kind {
		return LoadedCRD{}, false
	}
	spec := top.get("spec")
	name, okN := top.get("metadata").str("name")
	group, okG := spec.str("group")
	crdKind, okC := spec.get("names").str("kind")
	versions := spec.get("versions")
	if !okN || !okG || !okC || versions == nil || len(versions.items) == 0 {
		return LoadedCRD{}, false
	}
	h = LoadedCRD{Name: name, Source: src.Name}
	for _, v := range versions.items {
		version, okV := v.str("name")
		served, okS := v.flag("served")
		if !okV || !okS {
			return LoadedCRD{}, false
		}
		if served {
			h.Kinds = append(h.Kinds, schema.GroupVersionKind{Group: group, Version: version, Kind: crdKind})
		}
	}
	return h, true
}

// plainLines reports whether a document's only white space is spaces and
// line ends ("\n" or "\r\n"): YAML also takes tabs for spaces in places,
// and a lone "\r", U+0085, U+2028 and U+2029 (YAML 1.1) for line ends,
// which headerReader does not.
func plainLines(doc string) bool {
	if strings.IndexByte(doc, '\t') >= 0 || strings.Contains(doc, "\u0085") || strings.Contains(doc, "\u2028") || strings.Contains(doc, "\u2029") {
		return false
	}
	for s := doc; ; {
		i := strings.IndexByte(s, '\r')
		if i < 0 {
			return true
		}
		if i+1 == len(s) || s[i+1] != '\n' {
			return false
		}
		s = s[i+1:]
	}
}

// headerLine is a line of a YAML document that holds more than spaces
// and a comment: its indentation (in spaces) and the rest, without
// trailing spaces.
type headerLine struct {
	indent int
	text   string
}

// headerReader reads the block mappings of a YAML document along a few
// paths (headerPaths) and skips the values of the other keys by their
// indentation, checking each line it skips (see scanLine), so that what
// it reads is what a YAML parser reads there.
//
// It reads the keys of the mappings along the paths: lines "key: value"
// with a key of letters, digits, '.', '_', '/' and '-' (not first), once
// per mapping; the value is empty (what follows on deeper lines is the
// value), a plain scalar, a block scalar, or a quoted scalar or flow
// collection that ends on the line (see lineValue). A sequence along the
// paths is of mappings whose first key is on the item's line ("- key:
// value"). Anything else makes it fail.
type headerReader struct {
	// rest is the source after line, the line to read when more is set;
	// bad is set (and more not) after a line the reader refuses.
	rest      string
	line      headerLine
	more, bad bool
	started   bool // whether a line was read
}

// advance moves to the next line that holds more than spaces and a
// comment. It refuses document markers ("---" and "...") but "---" lines
// before the first line, so that what it reads is the one document
// splitDocuments would find.
func (r *headerReader) advance() {
	r.more = false
	for r.rest != "" && !r.bad {
		line := r.rest
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line, r.rest = line[:i], line[i+1:]
		} else {
			r.rest = ""
		}
		end := len(strings.TrimSuffix(line, "\r"))
		for end > 0 && line[end-1] == ' ' {
			end--
		}
		indent := 0
		for indent < end && line[indent] == ' ' {
			indent++
		}
		text := line[indent:end]
		switch {
		case text == "" || text[0] == '#':
			continue
		case indent == 0 && (text == "---" || strings.HasPrefix(text, "--- ")):
			if rest := strings.TrimLeft(text[3:], " "); !r.started && (rest == "" || rest[0] == '#') {
				continue
			}
			r.bad = true
		case indent == 0 && text == "...":
			r.bad = true
		default:
			r.line, r.more, r.started = headerLine{indent: indent, text: text}, true, true
			return
		}
	}
}

// headerPaths are the keys whose values headerReader reads, each a block
// mapping or a block sequence of mappings, with the keys to read in them.
type headerPaths map[string]headerPaths

// headerNode is what headerReader read of a value: on its key's line, the
// text of a plain scalar (without comment) and whether it is alone on its
// line; for a mapping or a sequence it read, its keys or items.
type headerNode struct {
	text  string
	plain bool
	keys  map[string]*headerNode
	items []*headerNode
}

// get returns the value of key in a mapping read by headerReader, or nil.
// n may be nil.
func (n *headerNode) get(key string) *headerNode {
	if n == nil {
		return nil
	}
	return n.keys[key]
}

// str returns the value of key in a mapping read by headerReader when it
// is a plain scalar alone on its line that YAML reads as a string, of the
// form of Kubernetes names: a letter, then letters, digits, '.', '_', '/'
// or '-' (YAML 1.1's booleans and nulls, such as "yes" or "Null", are
// not strings). n may be nil.
func (n *headerNode) str(key string) (string, bool) {
	v := n.get(key)
	if v == nil || !v.plain {
		return "", false
	}
	s := v.text
	if s == "" || !isLetter(s[0]) || yaml11Words[s] {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && !strings.ContainsRune("._/-", rune(c)) {
			return "", false
		}
	}
	return s, true
}

// flag returns the value of key in a mapping read by headerReader when it
// is "true" or "false", plain and alone on its line. n may be nil.
func (n *headerNode) flag(key string) (value, ok bool) {
	v := n.get(key)
	if v == nil || !v.plain {
		return false, false
	}
	switch v.text {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// yaml11Words are the plain scalars of letters that YAML 1.1 (which
// sigs.k8s.io/yaml follows) reads as booleans or null.
var yaml11Words = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true,
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
	"null": true, "Null": true, "NULL": true,
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// mapping reads a block mapping whose keys are at column indent, from
// the current line, or from first (the rest of a sequence item's line,
// at column indent) when it is not empty; paths are the keys whose values
// it reads.
func (r *headerReader) mapping(indent int, first string, paths headerPaths) (*headerNode, bool) {
	m := &headerNode{keys: map[string]*headerNode{}}
	for {
		text := first
		if first == "" {
			if !r.more || r.line.indent < indent {
				return m, true
			}
			if r.line.indent > indent {
				return nil, false
			}
			text = r.line.text
			r.advance()
		}
		first = ""
		key, rest, ok := headerKey(text)
		if !ok || m.keys[key] != nil {
			return nil, false
		}
		v, ok := lineValue(rest)
		if !ok {
			return nil, false
		}
		n := &headerNode{text: v.text, plain: v.plain}
		m.keys[key] = n
		if sub, read := paths[key]; read && v.empty && r.more {
			l := r.line
			switch {
			case isSeqItem(l.text) && l.indent >= indent:
				n.items, ok = r.sequence(l.indent, sub)
			case l.indent > indent:
				var nested *headerNode
				nested, ok = r.mapping(l.indent, "", sub)
				if ok {
					n.keys = nested.keys
				}
			}
			if !ok {
				return nil, false
			}
			continue
		}
		skipped, ok := r.skip(indent, v)
		if !ok {
			return nil, false
		}
		n.plain = n.plain && !skipped
	}
}

// sequence reads a block sequence whose dashes are at column indent, each
// item a block mapping that starts on the item's line.
func (r *headerReader) sequence(indent int, paths headerPaths) ([]*headerNode, bool) {
	var items []*headerNode
	for r.more {
		l := r.line
		if l.indent != indent || !isSeqItem(l.text) {
			break
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		if rest == "" || isSeqItem(rest) {
			return nil, false
		}
		r.advance()
		item, ok := r.mapping(indent+len(l.text)-len(rest), rest, paths)
		if !ok {
			return nil, false
		}
		items = append(items, item)
	}
	return items, true
}

// skip passes the lines of the value v of a key at column indent that
// follow the key's line: those deeper than indent and, when v is empty,
// the items of a sequence at indent. Lines of a block scalar's content
// are passed unread; every other line must pass scanLine. skipped reports
// whether there was any.
func (r *headerReader) skip(indent int, v headerValue) (skipped, ok bool) {
	block := -1 // the column a block scalar's content lines are deeper than
	if v.block {
		block = indent
	}
	for r.more {
		l := r.line
		if l.indent < indent || l.indent == indent && !(v.empty && isSeqItem(l.text)) {
			break
		}
		r.advance()
		skipped = true
		if block >= 0 && l.indent > block {
			continue
		}
		if block, ok = scanLine(l); !ok {
			return skipped, false
		}
	}
	return skipped, true
}

// scanLine checks a line that headerReader skips: past its sequence
// dashes and its key, its value must pass lineValue, which refuses values
// that go on over lines without being bound by indentation (quoted
// scalars and flow collections, whose further lines YAML parsers take at
// any indentation) and anchors, aliases and tags. block is the column a
// block scalar's content lines are deeper than when the value is one, or
// -1.
func scanLine(l headerLine) (block int, ok bool) {
	col, s := l.indent, l.text
	for isSeqItem(s) {
		rest := strings.TrimLeft(s[1:], " ")
		col += len(s) - len(rest)
		s = rest
	}
	if s == "" {
		return -1, true
	}
	switch s[0] {
	case '"', '\'':
		rest, ok := quotedEnd(s)
		if !ok {
			return -1, false
		}
		after := strings.TrimLeft(rest, " ")
		if after == ":" || strings.HasPrefix(after, ": ") {
			s = strings.TrimLeft(after[1:], " ") // a quoted key
		} else {
			return -1, isComment(rest)
		}
	case '[', '{', '&', '*', '!', '|', '>', '%', '@', '`', '#':
		// Indicators: lineValue knows which it takes.
	default:
		if i := plainKeyEnd(s); i >= 0 {
			s = strings.TrimLeft(s[i+1:], " ")
		}
	}
	v, ok := lineValue(s)
	if !ok {
		return -1, false
	}
	if v.block {
		return col, true
	}
	return -1, true
}

// plainKeyEnd returns the index of the colon that ends the plain key at
// the start of s ("key: value" or "key:"), or -1 when s is a plain scalar
// (without colon and space before a comment).
func plainKeyEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				return i
			}
		case '#':
			if i > 0 && s[i-1] == ' ' {
				return -1
			}
		}
	}
	return -1
}

// headerKey splits a key line of a mapping headerReader reads: the key,
// letters, digits, '.', '_', '/' and '-' (not first), then a colon and
// the rest after spaces.
func headerKey(s string) (key, rest string, ok bool) {
	i := 0
	for i < len(s) && (isLetter(s[i]) || isDigit(s[i]) || i > 0 && strings.IndexByte("._/-", s[i]) >= 0) {
		i++
	}
	if i == 0 || i == len(s) || s[i] != ':' || i+1 < len(s) && s[i+1] != ' ' {
		return "", "", false
	}
	return s[:i], strings.TrimLeft(s[i+1:], " "), true
}

// headerValue is what lineValue found of a value on its key's line.
type headerValue struct {
	// empty: nothing but maybe a comment (the value is on deeper lines,
	// or null); block: a block scalar's header ("|", ">-", ...).
	empty, block bool
	// plain is set for a plain scalar, text then being its text on the
	// line (without comment).
	plain bool
	text  string
}

// lineValue reads a value on its key's line (after "key: ", or a
// sequence's dashes): empty, a block scalar's header, a plain scalar, or
// a quoted scalar or flow collection (without quotes or comment inside)
// that ends on the line, maybe followed by a comment. ok is false for
// anything else: a quoted scalar or flow collection that goes on over
// lines, anchors, aliases, tags, and other indicators.
func lineValue(s string) (v headerValue, ok bool) {
	if s == "" || s[0] == '#' {
		return headerValue{empty: true}, true
	}
	switch s[0] {
	case '|', '>':
		return headerValue{block: true}, true
	case '"', '\'':
		rest, ok := quotedEnd(s)
		return headerValue{}, ok && isComment(rest)
	case '[', '{':
		rest, ok := flowEnd(s)
		return headerValue{}, ok && isComment(rest)
	case '&', '*', '!', '%', '@', '`':
		return headerValue{}, false
	case '-', '?', ':':
		if len(s) == 1 || s[1] == ' ' {
			return headerValue{}, false
		}
	}
	text := s
	if i := strings.Index(s, " #"); i >= 0 {
		text = strings.TrimRight(s[:i], " ")
	}
	return headerValue{plain: true, text: text}, true
}

// quotedEnd returns what follows the quoted scalar at the start of s
// (single-quoted, where a doubled quote is a quote, or double-quoted,
// with backslash escapes), and false when it does not end on the line.
func quotedEnd(s string) (rest string, ok bool) {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return s[i+1:], true
		}
	}
	return "", false
}

// flowEnd returns what follows the flow collection at the start of s, and
// false when it does not end on the line, or holds a quote or a comment
// (which would make counting its brackets wrong).
func flowEnd(s string) (rest string, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{':
			depth++
		case ']', '}':
			if depth--; depth == 0 {
				return s[i+1:], true
			}
		case '"', '\'', '#':
			return "", false
		}
	}
	return "", false
}

// isComment reports whether what follows a value on its line is nothing
// or a comment.
func isComment(rest string) bool {
	t := strings.TrimLeft(rest, " ")
	return t == "" || t[0] == '#' && len(t) < len(rest)
}

// isSeqItem reports whether a line's text is a block sequence item.
func isSeqItem(text string) bool {
	return text == "-" || strings.HasPrefix(text, "- ")
}
