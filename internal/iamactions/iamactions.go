// Package iamactions is a catalogue of the actions that AWS services define
// for IAM policies (the Service Authorization Reference), so that prenv can
// refuse an action that does not exist: IAM itself accepts one, and the app
// meets AccessDenied at run time instead.
//
//	c := iamactions.Default()
//	name, ok := c.Action("dynamodb:getitem") // "dynamodb:GetItem", true
//	c.Suggest("dynamodb:GetItems")            // "dynamodb:GetItem"
//
// The catalogue is generated from a public dataset by tools/iamactions
// (`make iam-actions`) and embedded; [Catalogue.Source] names the dataset,
// its version and the date of its data. Lookups ignore case, as IAM does for
// action names ("The prefix and the action name are case insensitive", IAM
// User Guide, "IAM JSON policy elements: Action"): the case of ASCII
// letters, which are all that AWS's names hold; any other character must
// match exactly.
package iamactions

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

//go:embed actions.txt.gz
var embedded []byte

// Catalogue is a read-only set of service prefixes and their actions. It is
// safe for concurrent use.
type Catalogue struct {
	source   string
	services map[string]*service // by lower-case prefix
	prefixes []string            // lower-case, sorted
	n        int                 // actions
}

// service is one service prefix's actions: a window on one array of the
// whole catalogue, whose strings share the catalogue's text, so a parse
// makes a few hundred allocations, not a few per action. Lookups compare
// ignoring ASCII case instead of keeping a lower-case copy.
type service struct {
	prefix  string
	actions []string // as AWS spells them, sorted ignoring case
}

// maxText bounds the decompressed catalogue (the dataset is under 1 MB).
const maxText = 64 << 20

var defaultCatalogue = sync.OnceValue(func() *Catalogue {
	c, err := Parse(embedded)
	if err != nil {
		// The embedded file is generated and tested; reaching this is a
		// build of prenv with a broken file.
		panic("iamactions: the embedded catalogue is broken: " + err.Error())
	}
	return c
})

// Default returns the embedded catalogue, read on first use.
func Default() *Catalogue { return defaultCatalogue() }

// Parse reads a catalogue in the format tools/iamactions writes: gzip
// compressed lines "service:Action" of printable ASCII, sorted ignoring
// case, each once; '#' lines are comments, and the first comment that
// starts with "source: " names the dataset. The decompressed text is
// bounded (64 MiB). Errors name the line.
func Parse(gz []byte) (*Catalogue, error) {
	text, err := Decompress(gz, maxText)
	if err != nil {
		return nil, err
	}

	c := &Catalogue{services: map[string]*service{}}
	names := make([]string, 0, strings.Count(text, "\n")+1)
	var cur *service
	first := 0 // index in names of cur's first action
	flush := func() {
		if cur != nil {
			cur.actions = names[first:len(names):len(names)]
		}
	}
	last := ""
	for n, off := 1, 0; off < len(text); n++ {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += off
		}
		line := text[off:end]
		off = end + 1
		if rest, ok := strings.CutPrefix(line, "#"); ok {
			if src, ok := strings.CutPrefix(strings.TrimSpace(rest), "source: "); ok && c.source == "" {
				c.source = src
			}
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || colon == len(line)-1 || strings.ContainsAny(line[colon+1:], ":*? ") || !printableASCII(line) {
			return nil, fmt.Errorf("line %d: %q is not service:Action", n, line)
		}
		// Sorted ignoring case, each once: a service's actions come
		// together and in order, so its prefix starts a run of lines.
		if last != "" && compareFold(line, last) <= 0 {
			return nil, fmt.Errorf("line %d: %q is not after %q (the lines are sorted ignoring case, each once)", n, line, last)
		}
		last = line
		if cur == nil || compareFold(line[:colon], cur.prefix) != 0 {
			flush()
			cur = &service{prefix: line[:colon]}
			lp := toLowerASCII(cur.prefix)
			c.services[lp] = cur
			c.prefixes = append(c.prefixes, lp)
			first = len(names)
		}
		names = append(names, line[colon+1:])
	}
	flush()
	if len(names) == 0 {
		return nil, errors.New("no action")
	}
	c.n = len(names)
	return c, nil
}

// Decompress returns the text of a gzip-compressed catalogue, refusing more
// than limit bytes of it. Other catalogues of IAM names share it.
func Decompress(gz []byte, limit int) (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", err
	}
	// gzip's trailer holds the decompressed size (modulo 2^32; RFC 1952,
	// ISIZE): a hint that saves growing the buffer step by step. A
	// strings.Builder hands its bytes over as the text without a copy.
	var sb strings.Builder
	if len(gz) >= 4 {
		sb.Grow(min(int(binary.LittleEndian.Uint32(gz[len(gz)-4:])), limit) + 1)
	}
	if _, err := io.Copy(&sb, io.LimitReader(zr, int64(limit)+1)); err != nil {
		return "", err
	}
	if sb.Len() > limit {
		return "", fmt.Errorf("over %d bytes decompressed", limit)
	}
	if err := zr.Close(); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// lowerASCII is b in lower case if it is an ASCII capital letter.
func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// toLowerASCII is s with ASCII capital letters in lower case.
func toLowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerASCII(b[j])
			}
			return string(b)
		}
	}
	return s
}

// compareFold compares a and b byte by byte with ASCII letters in lower
// case, as strings.Compare compares their lower-case forms.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if x, y := lowerASCII(a[i]), lowerASCII(b[i]); x != y {
			return int(x) - int(y)
		}
	}
	return len(a) - len(b)
}

// printableASCII reports whether s is printable ASCII (space to tilde).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Source names the dataset the catalogue was generated from, its version
// and the date of its data.
func (c *Catalogue) Source() string { return c.source }

// Len is the number of actions in the catalogue.
func (c *Catalogue) Len() int {
	return c.n
}

// Service reports whether prefix (such as "dynamodb", any case) is a known
// service prefix, and returns it as the catalogue spells it.
func (c *Catalogue) Service(prefix string) (string, bool) {
	s := c.services[toLowerASCII(prefix)]
	if s == nil {
		return "", false
	}
	return s.prefix, true
}

// Action reports whether action ("service:Action", any case, no wildcard)
// is in the catalogue, and returns it as AWS spells it.
func (c *Catalogue) Action(action string) (string, bool) {
	prefix, name, ok := strings.Cut(action, ":")
	if !ok {
		return "", false
	}
	s := c.services[toLowerASCII(prefix)]
	if s == nil {
		return "", false
	}
	i, ok := slices.BinarySearchFunc(s.actions, name, compareFold)
	if !ok {
		return "", false
	}
	return s.prefix + ":" + s.actions[i], true
}

// Match returns the actions that pattern ("service:Pattern", where '*'
// stands for any run of characters and '?' for any one, as in IAM) matches,
// ignoring case, in catalogue order. The service prefix itself is literal.
func (c *Catalogue) Match(pattern string) []string {
	prefix, name, ok := strings.Cut(pattern, ":")
	if !ok {
		return nil
	}
	s := c.services[toLowerASCII(prefix)]
	if s == nil {
		return nil
	}
	var out []string
	for _, a := range s.actions {
		if wildcardMatch(name, a) {
			out = append(out, s.prefix+":"+a)
		}
	}
	return out
}

// Suggest returns the known action of the same service closest to action by
// edit distance, ignoring case ("dynamodb:GetItems" -> "dynamodb:GetItem"),
// or "" when the service is unknown or no action is close enough to be a
// likely meaning.
func (c *Catalogue) Suggest(action string) string {
	prefix, name, ok := strings.Cut(action, ":")
	if !ok {
		return ""
	}
	s := c.services[toLowerASCII(prefix)]
	if s == nil {
		return ""
	}
	i := closest(name, s.actions)
	if i < 0 {
		return ""
	}
	return s.prefix + ":" + s.actions[i]
}

// SuggestService returns the known service prefix closest to prefix by edit
// distance ("dynamo" -> "dynamodb"), or "" when none is close.
func (c *Catalogue) SuggestService(prefix string) string {
	i := closest(prefix, c.prefixes)
	if i < 0 {
		return ""
	}
	return c.services[c.prefixes[i]].prefix
}

// Closest returns the index of the candidate closest to word by edit
// distance, ignoring ASCII case, when it is close enough to be a slip (see
// closest), or -1. Other catalogues of IAM names share it.
func Closest(word string, candidates []string) int { return closest(word, candidates) }

// closest returns the index of the candidate with the least edit distance
// to word, ignoring ASCII case, the first on a tie, if that distance is
// small enough to be a slip: at most a third of the word's length, and at
// least 2. It returns -1 when none is that close.
func closest(word string, candidates []string) int {
	best, bestDist := -1, max(2, len(word)/3)+1
	for i, cand := range candidates {
		if d := editDistance(word, cand, bestDist); d < bestDist {
			best, bestDist = i, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes, ASCII case
// ignored), or a value of at least bound when it is not below bound.
func editDistance(a, b string, bound int) int {
	if d := len(a) - len(b); d >= bound || -d >= bound {
		return bound
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if lowerASCII(a[i-1]) == lowerASCII(b[j-1]) {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// wildcardMatch reports whether s matches pattern, ignoring ASCII case,
// where '*' matches any run of bytes and '?' any one byte (action names are
// ASCII).
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || lowerASCII(pattern[p]) == lowerASCII(s[i])):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
