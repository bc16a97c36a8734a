package awsrules

import (
	"strings"
)

// envResourceLanguages are, per AWS service, where the name of a resource
// prenv creates for an env sits inside the resource part of its ARN (the
// part after arn:<partition>:<service>:<region>:<account>:), as sequences
// of tokens. Names are those of the package documentation: the env name
// <prefix>-<pr>-<app> starts every name prenv gives. Sources of the ARN
// forms: Service Authorization Reference, "Resource types defined by"
// Amazon DynamoDB (table/<name>, table/<name>/stream/..., /index/...,
// /backup/..., /export/..., global-table/<name>), Amazon SQS (<name>),
// AWS Identity and Access Management (role/<path><name>,
// policy/<path><name>), AWS Security Token Service
// (assumed-role/<role>/<session>) and Amazon S3 (<bucket>,
// <bucket>/<key>).
var envResourceLanguages = map[string][][]langToken{
	"dynamodb": {
		{lit("table/"), envToken{}, anyToken{}},
		{lit("global-table/"), envToken{}, anyToken{}},
	},
	"sqs": {{envToken{}, anyToken{}}},
	"iam": {
		{lit("role/"), dirsToken{}, envToken{}, anyToken{}},
		{lit("policy/"), dirsToken{}, envToken{}, anyToken{}},
	},
	"sts": {{lit("assumed-role/"), envToken{}, anyToken{}}},
	"s3":  {{envToken{}, anyToken{}}},
}

// EnvResourceServices are the services in which prenv creates resources
// named after an env, sorted.
func EnvResourceServices() []string {
	return []string{"dynamodb", "iam", "s3", "sqs", "sts"}
}

// nonResourceActions are actions of [EnvResourceServices] that support no
// resource type, so a statement grants them only with Resource "*" and
// they reach no env's resource (Service Authorization Reference: the
// actions whose "Resource types" column is empty). Lower case.
var nonResourceActions = map[string]bool{
	"dynamodb:describeendpoints":                 true,
	"dynamodb:describelimits":                    true,
	"dynamodb:describereservedcapacity":          true,
	"dynamodb:describereservedcapacityofferings": true,
	"dynamodb:listbackups":                       true,
	"dynamodb:listcontributorinsights":           true,
	"dynamodb:listexports":                       true,
	"dynamodb:listglobaltables":                  true,
	"dynamodb:listimports":                       true,
	"dynamodb:liststreams":                       true,
	"dynamodb:listtables":                        true,
	"dynamodb:purchasereservedcapacityofferings": true,
	"sqs:listqueues":                             true,
	"s3:listallmybuckets":                        true,
	"sts:decodeauthorizationmessage":             true,
	"sts:getaccesskeyinfo":                       true,
	"sts:getcalleridentity":                      true,
	"sts:getservicebearertoken":                  true,
	"sts:getsessiontoken":                        true,
	"iam:getaccountsummary":                      true,
	"iam:getaccountpasswordpolicy":               true,
	"iam:listpolicies":                           true,
	"iam:listroles":                              true,
	"iam:getaccountauthorizationdetails":         true,
	"iam:getcontextkeysforcustompolicy":          true,
	"iam:simulatecustompolicy":                   true,
}

// EnvReach is a grant that can reach resources of envs: the resource
// pattern, the service it reaches and a name of an env's resource it
// matches.
type EnvReach struct {
	// Service is the AWS service, for example "dynamodb".
	Service string
	// Example is a resource part that both the pattern matches and prenv
	// gives to some env's resource, for example "table/a-1-a".
	Example string
	// Variable reports that the pattern has a policy variable, which
	// matched as any run of characters ([PolicyVariablesAsWildcards]).
	Variable bool
}

// PolicyVariablesAsWildcards returns resource with each IAM policy variable
// (${name}, ${name, 'default'}) written as "*", and reports whether it had
// one: a variable takes its value when the request is made, from the
// principal's tags, the session's name or the request (IAM User Guide, "IAM
// policy elements: Variables and tags"), which the env's role may carry
// with any value (spec.tags is the pull request's), so it can name any
// resource. The special characters ${*}, ${?} and ${$} stand for a literal
// *, ? and $ and become "$", which no resource name of an env has. An
// unclosed "${" counts as a variable to the end.
func PolicyVariablesAsWildcards(resource string) (string, bool) {
	var b strings.Builder
	variable := false
	for {
		i := strings.Index(resource, "${")
		if i < 0 {
			b.WriteString(resource)
			return b.String(), variable
		}
		b.WriteString(resource[:i])
		end := strings.IndexByte(resource[i:], '}')
		if end < 0 {
			b.WriteString("*")
			return b.String(), true
		}
		switch name := resource[i : i+end+1]; name {
		case "${*}", "${?}", "${$}":
			b.WriteString("$")
		default:
			b.WriteString("*")
			variable = true
		}
		resource = resource[i+end+1:]
	}
}

// ReachesEnvResources reports whether an Allow of actions on resource (an
// ARN pattern with IAM's wildcards * and ?, or "*") can reach a resource
// that prenv creates for some env: a table, queue, role, policy or bucket
// whose name starts with <prefix>-<pr>-<app>. Every env's own resources
// are granted by prenv from the spec's own sections; a pattern that
// matches such a name names another env's (or a future PR's) resource.
// Matching folds ASCII case, which errs on the side of refusing; a policy
// variable matches as any run of characters ([PolicyVariablesAsWildcards]).
// Actions that support no resource type ([nonResourceActions]) reach nothing.
// It returns the first reach found, in [EnvResourceServices] order.
func ReachesEnvResources(actions []string, resource string) (EnvReach, bool) {
	resource, variable := PolicyVariablesAsWildcards(resource)
	svcPat, resPat := "*", "*"
	if resource != "*" {
		parts := strings.SplitN(resource, ":", 6)
		if len(parts) != 6 || parts[0] != "arn" {
			return EnvReach{}, false
		}
		svcPat, resPat = parts[2], parts[5]
	}
	for _, svc := range EnvResourceServices() {
		if !globMatch(svcPat, svc) || !actsOn(actions, svc, resource == "*") {
			continue
		}
		for _, lang := range envResourceLanguages[svc] {
			if ex, ok := intersect(resPat, lang); ok {
				return EnvReach{Service: svc, Example: ex, Variable: variable}, true
			}
		}
	}
	return EnvReach{}, false
}

// actsOn reports whether one of actions (service:Action patterns, or "*")
// can act on a resource of svc: any action that supports a resource type
// when the resource is named by its ARN (sts:AssumeRole acts on IAM roles);
// with Resource "*", only actions of svc itself, and of STS for IAM's roles.
func actsOn(actions []string, svc string, anyResource bool) bool {
	for _, a := range actions {
		if a == "*" {
			return true
		}
		s, name, ok := strings.Cut(a, ":")
		if !ok {
			continue
		}
		if anyResource && !globMatch(s, svc) && (svc != "iam" || !globMatch(s, "sts")) {
			continue
		}
		if strings.ContainsAny(s+name, "*?") || !nonResourceActions[strings.ToLower(a)] {
			return true
		}
	}
	return false
}

// globMatch reports whether s matches the IAM pattern p (* any run, ? any
// one character), folding ASCII case.
func globMatch(p, s string) bool {
	_, ok := intersect(p, []langToken{lit(s)})
	return ok
}

// langToken is one piece of a resource-name language: a literal, any run
// of characters, a run of path segments ending in '/', or an env name's
// beginning.
type langToken interface{ states() []langState }

// langState is a state of a small automaton: on a byte b it moves to
// next(b) states (relative offsets within the token, or 1 past its end);
// loops are offsets of 0.
type langState func(b byte) []int

type lit string

func (l lit) states() []langState {
	out := make([]langState, len(l))
	for i := range len(l) {
		c := lower(l[i])
		out[i] = func(b byte) []int {
			if lower(b) == c {
				return []int{1}
			}
			return nil
		}
	}
	return out
}

// anyToken is any run of characters, the empty one included; it ends the
// language (it accepts at once).
type anyToken struct{}

func (anyToken) states() []langState {
	return []langState{func(byte) []int { return []int{0} }}
}

// dirsToken is an IAM path's inner part: nothing, or any run ending in '/'.
type dirsToken struct{}

func (dirsToken) states() []langState {
	// Both states also may be left without reading (see epsilon below).
	return []langState{func(b byte) []int {
		if b == '/' {
			return []int{0, 1}
		}
		return []int{0}
	}}
}

// envToken is the beginning of an env name: a prefix of words of [a-z0-9]
// that each start with a letter, joined by '-'; '-'; a PR number without
// leading zeros; '-'; the first character of the app.
type envToken struct{}

func (envToken) states() []langState {
	isLetter := func(b byte) bool { return b >= 'a' && b <= 'z' }
	isDigit := func(b byte) bool { return b >= '0' && b <= '9' }
	return []langState{
		// 0: a word's first letter
		func(b byte) []int {
			if isLetter(lower(b)) {
				return []int{1}
			}
			return nil
		},
		// 1: in a word
		func(b byte) []int {
			switch b = lower(b); {
			case isLetter(b) || isDigit(b):
				return []int{0}
			case b == '-':
				return []int{1}
			}
			return nil
		},
		// 2: after '-': another word, or the PR number
		func(b byte) []int {
			switch b = lower(b); {
			case isLetter(b):
				return []int{-1}
			case b >= '1' && b <= '9':
				return []int{1}
			}
			return nil
		},
		// 3: in the PR number
		func(b byte) []int {
			switch {
			case isDigit(b):
				return []int{0}
			case b == '-':
				return []int{1}
			}
			return nil
		},
		// 4: the app's first character
		func(b byte) []int {
			if b = lower(b); isLetter(b) || isDigit(b) {
				return []int{1}
			}
			return nil
		},
	}
}

func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// alphabet is the bytes tried at each step of [intersect]: every byte a
// pattern or a language distinguishes is in it, and one byte of each class
// stands for the rest (upper-case letters fold to lower case).
var alphabet = func() []byte {
	out := []byte("abcdefghijklmnopqrstuvwxyz123456789-/_0")
	for b := byte(0x20); b < 0x7f; b++ {
		if (b < 'A' || b > 'Z') && !strings.ContainsRune(string(out), rune(b)) {
			out = append(out, b)
		}
	}
	return append(out, 0x80)
}()

// intersect reports whether the IAM pattern pat and the language lang
// share a string, and returns the shortest such string found (breadth
// first, with characters of pat's literals and of alphabet tried in
// order). Both are small automata; the search visits each pair of states
// once, so it takes time linear in len(pat) times the language's size.
func intersect(pat string, lang []langToken) (string, bool) {
	var states []langState
	var ends []int // index of the first state after each token
	dirsAt := map[int]bool{}
	anyAt := map[int]bool{}
	for _, t := range lang {
		switch t.(type) {
		case dirsToken:
			dirsAt[len(states)] = true
		case anyToken:
			anyAt[len(states)] = true
		}
		states = append(states, t.states()...)
		ends = append(ends, len(states))
	}
	final := len(states)
	// closure adds the states reachable without reading: a dirsToken and
	// an anyToken may be skipped.
	closure := func(l int) []int {
		out := []int{l}
		for l < final && (dirsAt[l] || anyAt[l]) {
			l++
			out = append(out, l)
		}
		return out
	}
	type pair struct{ g, l int }
	type step struct {
		from pair
		b    byte
	}
	prev := map[pair]step{}
	var queue []pair
	push := func(p pair, from step, root bool) {
		if _, seen := prev[p]; seen {
			return
		}
		if root {
			from = step{from: pair{-1, -1}}
		}
		prev[p] = from
		queue = append(queue, p)
	}
	// Pattern states: 0..len(pat); a '*' at i may be skipped.
	gclosure := func(g int) []int {
		out := []int{g}
		for g < len(pat) && pat[g] == '*' {
			g++
			out = append(out, g)
		}
		return out
	}
	for _, g := range gclosure(0) {
		for _, l := range closure(0) {
			push(pair{g, l}, step{}, true)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p.g == len(pat) && p.l == final {
			var sb []byte
			for q := p; prev[q].from.g >= 0; q = prev[q].from {
				sb = append(sb, prev[q].b)
			}
			for i, j := 0, len(sb)-1; i < j; i, j = i+1, j-1 {
				sb[i], sb[j] = sb[j], sb[i]
			}
			return string(sb), true
		}
		if p.g == len(pat) || p.l == final {
			continue
		}
		for _, b := range alphabet {
			var gs []int
			switch c := pat[p.g]; c {
			case '*':
				gs = gclosure(p.g)
			case '?':
				gs = gclosure(p.g + 1)
			default:
				if lower(c) == lower(b) || (c >= 0x80 && b == 0x80) {
					gs = gclosure(p.g + 1)
				}
			}
			if len(gs) == 0 {
				continue
			}
			for _, d := range states[p.l](b) {
				for _, l := range closure(p.l + d) {
					for _, g := range gs {
						push(pair{g, l}, step{from: p, b: b}, false)
					}
				}
			}
		}
	}
	return "", false
}
