// Package iampolicies is a catalogue of the AWS managed IAM policies of
// partition aws, with their paths, so that prenv can refuse a managed policy
// ARN that does not exist as written: IAM refuses to attach it
// (NoSuchEntity), and the env's Role never becomes ready.
//
//	c := iampolicies.Default()
//	c.Policy("service-role/AWSLambdaBasicExecutionRole") // true
//	c.Suggest("AWSLambdaBasicExecutionRole")             // "service-role/AWSLambdaBasicExecutionRole"
//
// A policy is named by what follows arn:aws:iam::aws:policy/ in its ARN: its
// path without the leading "/", and its name. The catalogue is generated
// from a public dataset by tools/iamactions (`make iam-policies`) and
// embedded; [Catalogue.Source] names the dataset, its version and the date
// of its data. Lookups are exact, as ARNs compare; suggestions ignore ASCII
// case.
package iampolicies

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"prenv.dev/prenv/internal/iamactions"
)

//go:embed managed.txt.gz
var embedded []byte

// ARNPrefix starts the ARN of every AWS managed policy of partition aws.
const ARNPrefix = "arn:aws:iam::aws:policy/"

// maxText bounds the decompressed catalogue (the dataset's is under 100 kB).
const maxText = 16 << 20

// Catalogue is a read-only set of AWS managed policies. It is safe for
// concurrent use.
type Catalogue struct {
	source string
	// policies are path/name, sorted (byte order, for lookups).
	policies []string
	// names are the policies' names (the last element), in the order of
	// policies, for suggestions.
	names []string
}

var defaultCatalogue = sync.OnceValue(func() *Catalogue {
	c, err := Parse(embedded)
	if err != nil {
		// The embedded file is generated and tested; reaching this is a
		// build of prenv with a broken file.
		panic("iampolicies: the embedded catalogue is broken: " + err.Error())
	}
	return c
})

// Default returns the embedded catalogue, read on first use.
func Default() *Catalogue { return defaultCatalogue() }

// Parse reads a catalogue in the format tools/iamactions writes: gzip
// compressed lines "path/name" of printable ASCII without spaces, each
// once; '#' lines are comments, and the first comment that starts with
// "source: " names the dataset. The decompressed text is bounded (16 MiB).
// Errors name the line.
func Parse(gz []byte) (*Catalogue, error) {
	text, err := iamactions.Decompress(gz, maxText)
	if err != nil {
		return nil, err
	}
	c := &Catalogue{}
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "#"); ok {
			if src, ok := strings.CutPrefix(strings.TrimSpace(rest), "source: "); ok && c.source == "" {
				c.source = src
			}
			continue
		}
		if line == "" || strings.HasPrefix(line, "/") || strings.HasSuffix(line, "/") || strings.ContainsFunc(line, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return nil, fmt.Errorf("line %d: %q is not path/name", n+1, line)
		}
		c.policies = append(c.policies, line)
	}
	if len(c.policies) == 0 {
		return nil, errors.New("no policy")
	}
	slices.Sort(c.policies)
	for i := 1; i < len(c.policies); i++ {
		if c.policies[i] == c.policies[i-1] {
			return nil, fmt.Errorf("%q is listed twice", c.policies[i])
		}
	}
	c.names = make([]string, len(c.policies))
	for i, p := range c.policies {
		c.names[i] = p[strings.LastIndexByte(p, '/')+1:]
	}
	return c, nil
}

// Source names the dataset the catalogue was generated from, its version
// and the date of its data.
func (c *Catalogue) Source() string { return c.source }

// Len is the number of policies in the catalogue.
func (c *Catalogue) Len() int { return len(c.policies) }

// Policy reports whether pathName (what follows arn:aws:iam::aws:policy/ in
// a managed policy's ARN, such as "service-role/AWSLambdaBasicExecutionRole")
// is an AWS managed policy, exactly as written.
func (c *Catalogue) Policy(pathName string) bool {
	_, ok := slices.BinarySearch(c.policies, pathName)
	return ok
}

// Suggest returns the policy (path/name) that pathName most likely means,
// or "" when none is close: the policy of the same name, ignoring ASCII
// case, under whatever path ("AWSLambdaBasicExecutionRole" ->
// "service-role/AWSLambdaBasicExecutionRole"), else the policy whose name
// is closest by edit distance.
func (c *Catalogue) Suggest(pathName string) string {
	name := pathName[strings.LastIndexByte(pathName, '/')+1:]
	if i := slices.IndexFunc(c.names, func(n string) bool { return strings.EqualFold(n, name) }); i >= 0 {
		return c.policies[i]
	}
	if i := iamactions.Closest(name, c.names); i >= 0 {
		return c.policies[i]
	}
	return ""
}
