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
// User Guide, "IAM JSON policy elements: Action").
package iamactions

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
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
}

type service struct {
	prefix  string
	actions []string          // as AWS spells them, sorted ignoring case
	lower   []string          // actions in lower case, in the same order
	byLower map[string]string // lower-case name -> name
}

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
// compressed lines "service:Action", '#' lines being comments; the first
// comment that starts with "source: " names the dataset.
func Parse(gz []byte) (*Catalogue, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	c := &Catalogue{services: map[string]*service{}}
	sc := bufio.NewScanner(io.LimitReader(zr, 64<<20))
	last := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "#"); ok {
			if src, ok := strings.CutPrefix(strings.TrimSpace(rest), "source: "); ok && c.source == "" {
				c.source = src
			}
			continue
		}
		prefix, name, ok := strings.Cut(line, ":")
		if !ok || prefix == "" || name == "" || strings.ContainsAny(name, ":*? ") {
			return nil, fmt.Errorf("line %d: %q is not service:Action", n, line)
		}
		// The lines are sorted ignoring case, so a service's actions come
		// together and in order, and a repeated action is a line equal to
		// the one before.
		ll := strings.ToLower(line)
		if ll <= last {
			return nil, fmt.Errorf("line %d: %q is not after %q (the lines are sorted ignoring case, each once)", n, line, last)
		}
		last = ll
		lp, ln := strings.ToLower(prefix), strings.ToLower(name)
		s := c.services[lp]
		if s == nil {
			s = &service{prefix: prefix, byLower: map[string]string{}}
			c.services[lp] = s
			c.prefixes = append(c.prefixes, lp)
		}
		s.byLower[ln] = name
		s.actions = append(s.actions, name)
		s.lower = append(s.lower, ln)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := zr.Close(); err != nil {
		return nil, err
	}
	if len(c.services) == 0 {
		return nil, errors.New("no action")
	}
	return c, nil
}

// Source names the dataset the catalogue was generated from, its version
// and the date of its data.
func (c *Catalogue) Source() string { return c.source }

// Len is the number of actions in the catalogue.
func (c *Catalogue) Len() int {
	n := 0
	for _, s := range c.services {
		n += len(s.actions)
	}
	return n
}

// Service reports whether prefix (such as "dynamodb", any case) is a known
// service prefix, and returns it as the catalogue spells it.
func (c *Catalogue) Service(prefix string) (string, bool) {
	s := c.services[strings.ToLower(prefix)]
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
	s := c.services[strings.ToLower(prefix)]
	if s == nil {
		return "", false
	}
	n, ok := s.byLower[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	return s.prefix + ":" + n, true
}

// Match returns the actions that pattern ("service:Pattern", where '*'
// stands for any run of characters and '?' for any one, as in IAM) matches,
// ignoring case, in catalogue order. The service prefix itself is literal.
func (c *Catalogue) Match(pattern string) []string {
	prefix, name, ok := strings.Cut(pattern, ":")
	if !ok {
		return nil
	}
	s := c.services[strings.ToLower(prefix)]
	if s == nil {
		return nil
	}
	lname := strings.ToLower(name)
	var out []string
	for i, a := range s.lower {
		if wildcardMatch(lname, a) {
			out = append(out, s.prefix+":"+s.actions[i])
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
	s := c.services[strings.ToLower(prefix)]
	if s == nil {
		return ""
	}
	i := closest(strings.ToLower(name), s.lower)
	if i < 0 {
		return ""
	}
	return s.prefix + ":" + s.actions[i]
}

// SuggestService returns the known service prefix closest to prefix by edit
// distance ("dynamo" -> "dynamodb"), or "" when none is close.
func (c *Catalogue) SuggestService(prefix string) string {
	i := closest(strings.ToLower(prefix), c.prefixes)
	if i < 0 {
		return ""
	}
	return c.services[c.prefixes[i]].prefix
}

// closest returns the index of the candidate (lower case, as word is) with
// the least edit distance to word, the first on a tie, if that distance is
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

// editDistance is the Levenshtein distance of a and b (bytes), or a value of
// at least bound when it is not below bound.
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
			if a[i-1] == b[j-1] {
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

// wildcardMatch reports whether s matches pattern, where '*' matches any run
// of bytes and '?' any one byte (action names are ASCII).
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
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
