package validate

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/upstream"
)

// Validators are built once per test binary: loading the upstream set takes
// a noticeable part of a second, and a Validator is safe to share.
var (
	embeddedOnce sync.Once
	embeddedV    *Validator
	embeddedErr  error

	upstreamOnce sync.Once
	upstreamV    *Validator
	upstreamErr  error
)

func embeddedValidator(t testing.TB) *Validator {
	t.Helper()
	embeddedOnce.Do(func() { embeddedV, embeddedErr = New(context.Background(), Options{}) })
	if embeddedErr != nil {
		t.Fatalf("New with embedded schemas: %v", embeddedErr)
	}
	return embeddedV
}

// upstreamValidator uses only the upstream CRDs (NoEmbedded), so that every
// custom kind is checked against upstream's schema. It skips the test when
// the upstream CRDs are not there.
func upstreamValidator(t testing.TB) *Validator {
	t.Helper()
	dir, ok := upstream.CRDs(t, "")
	if !ok {
		t.Skip("this test compares with the upstream CRDs")
	}
	upstreamOnce.Do(func() {
		srcs, err := LoadCRDFiles(dir)
		if err != nil {
			upstreamErr = err
			return
		}
		upstreamV, upstreamErr = New(context.Background(), Options{CRDs: srcs, NoEmbedded: true})
	})
	if upstreamErr != nil {
		t.Fatalf("New with upstream CRDs: %v", upstreamErr)
	}
	return upstreamV
}

// schemaSets are the two sets every fixture is checked against.
func schemaSets() []struct {
	name string
	get  func(testing.TB) *Validator
} {
	return []struct {
		name string
		get  func(testing.TB) *Validator
	}{
		{"embedded", embeddedValidator},
		{"upstream", upstreamValidator},
	}
}

// TestGoldenFilesValidate checks that every golden file (golden/*/*.yaml)
// is valid against the embedded schemas and against the upstream CRDs.
func TestGoldenFilesValidate(t *testing.T) {
	files, err := filepath.Glob("../golden/*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no golden files (golden/*/*.yaml) yet")
	}
	for _, set := range schemaSets() {
		t.Run(set.name, func(t *testing.T) {
			v := set.get(t)
			for _, f := range files {
				t.Run(filepath.ToSlash(strings.TrimPrefix(f, "../golden/")), func(t *testing.T) {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					r, err := v.ValidateStream(context.Background(), f, data, nil)
					if err != nil {
						t.Fatal(err)
					}
					if r.Objects == 0 {
						t.Errorf("%s: no objects", f)
					}
					for _, p := range r.Problems {
						t.Errorf("%s", p)
					}
				})
			}
		})
	}
}

// TestValidFixtures checks that testdata/valid/*.yaml has no problem with
// either schema set.
func TestValidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid fixtures: %v", err)
	}
	for _, set := range schemaSets() {
		t.Run(set.name, func(t *testing.T) {
			v := set.get(t)
			for _, f := range files {
				t.Run(filepath.Base(f), func(t *testing.T) {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					r, err := v.ValidateStream(context.Background(), f, data, nil)
					if err != nil {
						t.Fatal(err)
					}
					if r.Objects == 0 || r.Skipped != 0 {
						t.Errorf("objects %d, skipped %d", r.Objects, r.Skipped)
					}
					for _, p := range r.Problems {
						t.Errorf("%s", p)
					}
				})
			}
		})
	}
}

// invalidCase is one file of testdata/invalid.
type invalidCase struct {
	name  string
	about string   // the first comment line: what the case checks
	wants []string // "# want: FIELD: MESSAGE-PREFIX" lines
	data  []byte
	old   []byte // NAME.old.yaml, for update cases
}

func readInvalidCases(t *testing.T) []invalidCase {
	t.Helper()
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []invalidCase
	for _, f := range files {
		if strings.HasSuffix(f, ".old.yaml") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := invalidCase{name: strings.TrimSuffix(filepath.Base(f), ".yaml"), data: data}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "#") {
				break
			}
			text := strings.TrimSpace(strings.TrimPrefix(line, "#"))
			if w, ok := strings.CutPrefix(text, "want:"); ok {
				c.wants = append(c.wants, strings.TrimSpace(w))
			} else if c.about == "" {
				c.about = text
			}
		}
		oldFile := strings.TrimSuffix(f, ".yaml") + ".old.yaml"
		if b, err := os.ReadFile(oldFile); err == nil {
			c.old = b
		}
		cases = append(cases, c)
	}
	return cases
}

// problemText is what a want line is matched against (as a prefix).
func problemText(p Problem) string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// TestInvalidCorpus runs every testdata/invalid case against the embedded
// schemas and the upstream CRDs: each want must match a problem and each
// problem a want, with both sets.
func TestInvalidCorpus(t *testing.T) {
	cases := readInvalidCases(t)
	if len(cases) < 25 {
		t.Fatalf("the invalid corpus has %d cases, want at least 25", len(cases))
	}
	for _, set := range schemaSets() {
		t.Run(set.name, func(t *testing.T) {
			v := set.get(t)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					if c.about == "" || len(c.wants) == 0 {
						t.Fatalf("%s.yaml needs a leading comment saying what it checks and at least one '# want:' line", c.name)
					}
					ctx := context.Background()
					var old []*unstructured.Unstructured
					if c.old != nil {
						r, err := v.ValidateStream(ctx, c.name+".old.yaml", c.old, nil)
						if err != nil {
							t.Fatal(err)
						}
						for _, p := range r.Problems {
							t.Errorf("the old version must be valid: %s", p)
						}
						old, err = DecodeObjects(c.name+".old.yaml", c.old)
						if err != nil {
							t.Fatal(err)
						}
						// Without the old version the new one is valid:
						// only the update is refused.
						if r, err = v.ValidateStream(ctx, c.name, c.data, nil); err != nil {
							t.Fatal(err)
						}
						for _, p := range r.Problems {
							t.Errorf("the new version alone must be valid: %s", p)
						}
					}
					r, err := v.ValidateStream(ctx, c.name+".yaml", c.data, old)
					if err != nil {
						t.Fatal(err)
					}
					if r.Valid() {
						t.Fatalf("no problem found; want %q", c.wants)
					}
					matched := make([]bool, len(r.Problems))
					for _, w := range c.wants {
						found := false
						for i, p := range r.Problems {
							if strings.HasPrefix(problemText(p), w) {
								found, matched[i] = true, true
							}
						}
						if !found {
							t.Errorf("want %q, not found", w)
						}
					}
					for i, p := range r.Problems {
						if !matched[i] {
							t.Errorf("unexpected problem: %s", problemText(p))
						}
					}
					if t.Failed() {
						for _, p := range r.Problems {
							t.Logf("got: %s", p)
						}
					}
				})
			}
		})
	}
}

// TestEmbeddedSchemasAgreeWithUpstream checks each embedded schema against
// the upstream CRD of the same group/version/kind: same scope and status
// subresource, and for every path the embedded schema allows: the path
// exists upstream, with the same type, format, int-or-string and
// preserve-unknown-fields markers, the same required fields, an enum and
// maxLength no looser than upstream's, and the same CEL rules (messages may
// differ). Every disagreement is listed.
func TestEmbeddedSchemasAgreeWithUpstream(t *testing.T) {
	emb := embeddedValidator(t)
	up := upstreamValidator(t)
	kinds := emb.CustomKinds()
	if len(kinds) == 0 {
		t.Fatal("no embedded schemas")
	}
	for _, gvk := range kinds {
		t.Run(gvk.Kind, func(t *testing.T) {
			e := schemaOf(t, emb, gvk)
			u := schemaOf(t, up, gvk)
			if u == nil {
				t.Fatalf("no upstream CRD serves %s", gvk)
			}
			var diffs []string
			if e.namespaced != u.namespaced {
				diffs = append(diffs, fmt.Sprintf("scope: namespaced=%v, upstream %v", e.namespaced, u.namespaced))
			}
			if e.status != u.status {
				diffs = append(diffs, fmt.Sprintf("status subresource: %v, upstream %v", e.status, u.status))
			}
			diffs = append(diffs, compareSchemas("", e.structural, u.structural)...)
			sort.Strings(diffs)
			for _, d := range diffs {
				t.Errorf("%s", d)
			}
		})
	}
}

// compareSchemas lists where the embedded schema e allows something the
// upstream schema u does not, or differs from it, below path p.
func compareSchemas(p string, e, u *structuralschema.Structural) []string {
	at := p
	if at == "" {
		at = "<root>"
	}
	if e == nil {
		return nil
	}
	if u == nil {
		return []string{fmt.Sprintf("%s: not in the upstream schema", at)}
	}
	var d []string
	if e.Type != u.Type {
		d = append(d, fmt.Sprintf("%s: type %q, upstream %q", at, e.Type, u.Type))
	}
	if e.XIntOrString != u.XIntOrString {
		d = append(d, fmt.Sprintf("%s: x-kubernetes-int-or-string %v, upstream %v", at, e.XIntOrString, u.XIntOrString))
	}
	if e.XPreserveUnknownFields != u.XPreserveUnknownFields {
		d = append(d, fmt.Sprintf("%s: x-kubernetes-preserve-unknown-fields %v, upstream %v", at, e.XPreserveUnknownFields, u.XPreserveUnknownFields))
	}
	if e.XEmbeddedResource != u.XEmbeddedResource {
		d = append(d, fmt.Sprintf("%s: x-kubernetes-embedded-resource %v, upstream %v", at, e.XEmbeddedResource, u.XEmbeddedResource))
	}
	ev, uv := e.ValueValidation, u.ValueValidation
	if ev == nil {
		ev = &structuralschema.ValueValidation{}
	}
	if uv == nil {
		uv = &structuralschema.ValueValidation{}
	}
	if ev.Format != uv.Format {
		d = append(d, fmt.Sprintf("%s: format %q, upstream %q", at, ev.Format, uv.Format))
	}
	if er, ur := sortedCopy(ev.Required), sortedCopy(uv.Required); !reflect.DeepEqual(er, ur) {
		d = append(d, fmt.Sprintf("%s: required %q, upstream %q", at, er, ur))
	}
	if len(uv.Enum) > 0 {
		allowed := map[string]bool{}
		for _, x := range uv.Enum {
			allowed[fmt.Sprint(x.Object)] = true
		}
		if len(ev.Enum) == 0 {
			d = append(d, fmt.Sprintf("%s: no enum, upstream has one", at))
		}
		for _, x := range ev.Enum {
			if !allowed[fmt.Sprint(x.Object)] {
				d = append(d, fmt.Sprintf("%s: enum value %v not upstream", at, x.Object))
			}
		}
	}
	if !reflect.DeepEqual(ev.MaxLength, uv.MaxLength) {
		d = append(d, fmt.Sprintf("%s: maxLength %v, upstream %v", at, deref(ev.MaxLength), deref(uv.MaxLength)))
	}
	if er, ur := ruleTexts(e), ruleTexts(u); !reflect.DeepEqual(er, ur) {
		d = append(d, fmt.Sprintf("%s: x-kubernetes-validations rules %q, upstream %q", at, er, ur))
	}
	if e.XPreserveUnknownFields {
		return d // whatever is below is allowed on both sides
	}
	for name, ep := range e.Properties {
		ep := ep
		var upp *structuralschema.Structural
		if x, ok := u.Properties[name]; ok {
			upp = &x
		}
		d = append(d, compareSchemas(join(p, name), &ep, upp)...)
	}
	if e.Items != nil {
		d = append(d, compareSchemas(p+"[]", e.Items, u.Items)...)
	}
	if e.AdditionalProperties != nil && e.AdditionalProperties.Structural != nil {
		var ua *structuralschema.Structural
		if u.AdditionalProperties != nil {
			ua = u.AdditionalProperties.Structural
		}
		d = append(d, compareSchemas(p+"{}", e.AdditionalProperties.Structural, ua)...)
	}
	return d
}

func join(p, name string) string {
	if p == "" {
		return name
	}
	return p + "." + name
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func deref(p *int64) interface{} {
	if p == nil {
		return "none"
	}
	return *p
}

func ruleTexts(s *structuralschema.Structural) []string {
	out := []string{}
	for _, r := range s.XValidations {
		out = append(out, r.Rule)
	}
	sort.Strings(out)
	return out
}
