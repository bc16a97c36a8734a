package spec_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

const minimalHead = `apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata:
  name: hello
spec:
  prefix: pr
  aws:
    accountID: "123456789012"
    region: eu-west-1
    oidcProviderURL: oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE
`

// TestSpecReadsAsWritten: a spec means what its text shows. Tags outside
// YAML 1.2's core schema, merge keys and characters the YAML reader folds
// are refused at their path, with exit 1 in the CLI.
func TestSpecReadsAsWritten(t *testing.T) {
	tests := map[string]struct {
		tail string
		want string // one error containing this; "" for valid
	}{
		"binary hides Allow * on *": {`  iam:
    statements:
    - effect: Allow
      actions: [!!binary Kg==]
      resources: [!!binary Kg==]
`, `spec.iam.statements[0].actions[0]: Invalid value: "Kg==": line 14: a spec may only use the tags of YAML 1.2's core schema`},
		"binary of invalid UTF-8": {"  tags:\n    team: !!binary /w==\n", `spec.tags.team: Invalid value: "/w==": line 12: a spec may only use the tags`},
		"unknown tag":             {"  tags:\n    team: !vault secret/team\n", `spec.tags.team: Invalid value: "secret/team": line 12: a spec may only use the tags of YAML 1.2's core schema (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq); !vault is not one`},
		"unknown tag on a map":    {"  tags: !env {team: a}\n", `spec.tags: Invalid value: "!env": line 11: a spec may only use the tags of YAML 1.2's core schema (!!map here)`},
		"explicit timestamp":      {"  tags:\n    day: !!timestamp 2026-01-02\n", `spec.tags.day: Invalid value: "2026-01-02"`},
		"merge key": {`  labels: &l {team: a}
  tags:
    <<: *l
`, "spec.tags.<<: Forbidden: line 13: merge keys (<<) are not YAML 1.2"},
		"core tags are fine":       {"  tags:\n    team: !!str payments\n    n: !!str 12\n", ""},
		"a date stays text":        {"  tags:\n    day: 2026-01-02\n", ""},
		"anchors and aliases":      {"  labels: &l {team: a}\n  tags: *l\n", ""},
		"NEL in a value":           {"  tags:\n    team: \"a\u0085b\"\n", "line 12, column 13: Invalid value: the file holds U+0085 (NEL); a spec may not hold control characters"},
		"NEL in a plain scalar":    {"  tags:\n    team: a\u0085b\n", "line 12, column 12: Invalid value: the file holds U+0085 (NEL)"},
		"NEL as an escape":         {"  serviceAccount:\n    annotations:\n      example.com/x: \"a\\x85b\"\n", `spec.serviceAccount.annotations[example.com/x]: Invalid value: "a\u0085b": holds U+0085 (NEL); a spec may not hold control characters`},
		"DEL":                      {"  serviceAccount:\n    annotations:\n      example.com/x: \"a\\x7fb\"\n", "holds U+007F (DEL)"},
		"NEL in a tag":             {"  tags:\n    team: \"a\\x85b\"\n", `spec.tags[team]: Invalid value: "a\u0085b": a tag value may contain only`},
		"C1 control":               {"  serviceAccount:\n    annotations:\n      example.com/x: \"\\x9b31m\"\n", `spec.serviceAccount.annotations[example.com/x]: Invalid value: "\u009b31m": holds U+009B`},
		"noncharacter":             {"  serviceAccount:\n    annotations:\n      example.com/x: \"\\uFFFE\"\n", "holds U+FFFE"},
		"line separator":           {"  tags:\n    team: \"a\\u2028b\"\n", "holds U+2028 (LINE SEPARATOR)"},
		"byte order mark inside":   {"  serviceAccount:\n    annotations:\n      example.com/x: \"a\\uFEFFb\"\n", "holds U+FEFF (BYTE ORDER MARK)"},
		"tab and newline are fine": {"  serviceAccount:\n    annotations:\n      example.com/x: \"a\\tb\\nc\"\n", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env, err := spec.Load([]byte(minimalHead + tc.tail))
			if err == nil {
				if errs := spec.Check(env); len(errs) > 0 {
					err = &spec.InvalidError{Errs: errs}
				}
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("accepted, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestSpecDecodingIsLinear: inputs that once cost time quadratic in their
// size, or that expand (alias bombs), are decoded or refused quickly.
func TestSpecDecodingIsLinear(t *testing.T) {
	var keys strings.Builder
	keys.WriteString(minimalHead + "  tags:\n")
	for i := range 60000 {
		fmt.Fprintf(&keys, "    k%d: v\n", i)
	}
	var bomb strings.Builder
	bomb.WriteString(minimalHead + "  labels:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&bomb, "    a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	for name, tc := range map[string]struct {
		doc  string
		want string
	}{
		"60,000 keys in one mapping": {keys.String(), ""},
		"a billion values by alias":  {bomb.String(), "values once its aliases are expanded"},
		"--set beyond every list":    {minimalHead, "spec.sqs.queues[65536]"},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			var err error
			if name == "--set beyond every list" {
				_, err = spec.Load([]byte(tc.doc), spec.Override{Expr: "spec.sqs.queues[65536].name=x"})
			} else {
				_, err = spec.Load([]byte(tc.doc))
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
			if tc.want == "" && err != nil && !strings.Contains(err.Error(), "spec.tags") {
				t.Fatalf("unexpected: %.300v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %.300v, want %q", err, tc.want)
			}
		})
	}
}

// TestFreeFormRoundTrip: every string the checks accept in a free-form
// field renders to the same string, read back from the YAML stream as
// kubectl reads it.
func TestFreeFormRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	pool := []rune{'\t', '\n', '\r', ' ', '"', '\'', '\\', ':', '#', '-', '{', '}', '[', ']', '&', '*', '!', '|', '>', '%', '@', '`',
		0x7f, 0x85, 0x9b, 0xa0, 0xff, 0x100, 0x2028, 0x2029, 0xfeff, 0xfffe, 0xffff, 0xfdd0, 0x1f600, 0x10fffe, 0xe000, 0x3000, 'a', 'Z', '0'}
	random := func() string {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			if r.IntN(3) == 0 {
				b.WriteRune(rune(r.IntN(0x110000)))
			} else {
				b.WriteRune(pool[r.IntN(len(pool))])
			}
		}
		if r.IntN(4) == 0 {
			return "---\n" + b.String()
		}
		return b.String()
	}
	type field struct {
		name string
		set  func(*spec.PreviewEnvironment, string)
		get  func(objs []*unstructured.Unstructured) []string
	}
	byKind := func(objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
		for _, o := range objs {
			if o.GetKind() == kind {
				return o
			}
		}
		return nil
	}
	fields := []field{
		{"serviceAccount annotation value", func(e *spec.PreviewEnvironment, s string) {
			e.Spec.ServiceAccount = &spec.ServiceAccount{Annotations: map[string]string{"example.com/x": s}}
		}, func(objs []*unstructured.Unstructured) []string {
			return []string{byKind(objs, "ServiceAccount").GetAnnotations()["example.com/x"]}
		}},
		{"tag value", func(e *spec.PreviewEnvironment, s string) { e.Spec.Tags = map[string]string{"t": s} },
			func(objs []*unstructured.Unstructured) []string {
				tags, _, _ := unstructured.NestedSlice(byKind(objs, "Role").Object, "spec", "tags")
				for _, tg := range tags {
					if m := tg.(map[string]any); m["key"] == "t" {
						return []string{m["value"].(string)}
					}
				}
				return nil
			}},
		{"condition value", func(e *spec.PreviewEnvironment, s string) {
			e.Spec.IAM = &spec.IAM{Statements: []spec.Statement{{Sid: "X", Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"},
				Conditions: map[string]map[string]spec.StringList{"StringLike": {"s3:prefix": {s}}}}}}
		}, func(objs []*unstructured.Unstructured) []string {
			doc, _, _ := unstructured.NestedString(byKind(objs, "Policy").Object, "spec", "policyDocument")
			return []string{doc}
		}},
	}
	accepted := map[string]int{}
	for range 3000 {
		for _, f := range fields {
			s := random()
			env := testkit.ValidSpec()
			f.set(env, s)
			if len(spec.Check(env)) > 0 {
				continue
			}
			out, err := render.Render(context.Background(), env, 1, render.Options{})
			if err != nil {
				t.Fatalf("%s %q: checked, then %v", f.name, s, err)
			}
			y, err := out.YAML()
			if err != nil {
				t.Fatal(err)
			}
			back, err := manifest.ParseObjects(y)
			if err != nil {
				t.Fatalf("%s %q: output does not parse: %v", f.name, s, err)
			}
			got := f.get(back)
			switch {
			case f.name == "condition value":
				// The value sits in JSON inside the document; compare decoded.
				if !strings.Contains(got[0], jsonString(s)) {
					t.Fatalf("%s %q: not in the document %s", f.name, s, got[0])
				}
			case len(got) != 1 || got[0] != s:
				t.Fatalf("%s %q came back as %q", f.name, s, got)
			}
			for _, c := range s {
				if c == 0x85 || c == 0x2028 || c == 0xfeff || (c >= 0x80 && c <= 0x9f) || !utf8.ValidRune(c) {
					t.Fatalf("%s %q holds %U and was accepted", f.name, s, c)
				}
			}
			accepted[f.name]++
		}
	}
	for _, f := range fields {
		if accepted[f.name] < 30 {
			t.Errorf("%s: only %d random values were accepted; the test must reach the renderer", f.name, accepted[f.name])
		}
	}
}

// jsonString is s as encoding/json writes it inside a policy document.
func jsonString(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '"', '\\':
			b.WriteString(`\` + string(c))
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0x2028, 0x2029:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// TestSpecNumbersAreYAML12: numbers are read as YAML 1.2's core schema
// reads them; Go's and YAML 1.1's other forms are strings.
func TestSpecNumbersAreYAML12(t *testing.T) {
	for value, want := range map[string]string{
		"07020":          "", // decimal 7020 in YAML 1.2, not octal
		"0o17560":        "", // 8048
		"0x1b6c":         "", // 7020
		"3_600":          "must be of type integer, not string",
		"0b111000010000": "must be of type integer, not string",
	} {
		t.Run(value, func(t *testing.T) {
			env, err := spec.Load([]byte(minimalHead + "  iam:\n    maxSessionDuration: " + value + "\n"))
			if want != "" {
				if err == nil || !strings.Contains(err.Error(), "spec.iam.maxSessionDuration") || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantN := map[string]int{"07020": 7020, "0o17560": 8048, "0x1b6c": 7020}[value]
			if got := env.Spec.IAM.MaxSessionDuration; got != wantN {
				t.Errorf("read as %d, want %d", got, wantN)
			}
		})
	}
}

// TestSpecAliasTextBudget: an alias of a long string repeated many times
// is refused by the size of the text it expands to, not only by the count
// of values.
func TestSpecAliasTextBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimalHead + "  labels: {a: &b \"" + strings.Repeat("x", 900_000) + "\"}\n  tags:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "    t%d: *b\n", i)
	}
	start := time.Now()
	_, err := spec.Load([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "bytes of text once its aliases are expanded") {
		t.Fatalf("err = %.300v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}
