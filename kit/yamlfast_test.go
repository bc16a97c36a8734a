package kit

import (
	"context"
	"strconv"
	"testing"

	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/yamlfast"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// TestFastDocumentMatches: every document the embedded kit prints for the
// examples is read by the fast reader, and to what the general reader
// gives.
func TestFastDocumentMatches(t *testing.T) {
	for name, doc := range kitDocuments(t) {
		if !sameAsGeneral(t, doc) {
			t.Errorf("%s: the fast reader leaves a document of the embedded kit to the general one:\n%s", name, doc)
		}
	}
}

// kitDocuments returns every YAML document the embedded kit prints for the
// examples, for PRs 1, 7 and 4321.
func kitDocuments(t testing.TB) map[string][]byte {
	t.Helper()
	k, err := LoadEnvKit(nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{}
	for name, env := range golden.ExampleSpecs(t, spec.Load) {
		for _, pr := range []int{1, 7, 4321} {
			m, err := plan.Plan(env, pr)
			if err != nil {
				t.Fatal(err)
			}
			values, err := TemplateValues(m)
			if err != nil {
				t.Fatal(err)
			}
			out, err := k.run(context.Background(), values, map[string]any{"Name": m.EnvName, "Namespace": m.Namespace}, "missingkey=error")
			if err != nil {
				t.Fatal(err)
			}
			for _, rf := range out {
				for i, doc := range manifest.SplitDocuments(rf.text) {
					docs[name+"/"+rf.name+"/"+strconv.Itoa(pr)+"#"+strconv.Itoa(i)] = doc
				}
			}
		}
	}
	return docs
}

// FuzzFastDocument: whatever the fast reader reads, the general reader
// reads too, to the same value.
func FuzzFastDocument(f *testing.F) {
	for _, doc := range kitDocuments(f) {
		f.Add(doc)
	}
	for _, s := range []string{
		"a:\n- x\n-\n  b: [\"c\"]\n", "a: \"\\u0000\"\n", "a:\n  {}\n", "k: -0\n", "k: 0\n",
		"- a: 1\n  b:\n  - c\n", "a:\n  - b: 1\n   c: 2\n", "a: \"x\"\n  b: 1\n", "a:\n    b: 1\n  c: 2\n",
		// Objects of strings as toJson prints a map, and near misses.
		`a: {"b":"c","d":""}` + "\n", `a: {"b":"c","b":"d"}` + "\n", `a: {"b": "c"}` + "\n", `a: {"b":"c",}` + "\n",
		`a: {"b":"\/"}` + "\n", `a: {"b":"\ud83d\ude00"}` + "\n", `a: {"b":1}` + "\n", `a: {"b":{"c":"d"}}` + "\n",
		`a: {"<<":"b"}` + "\n", `- {"a":"b"}` + "\n", `{"a":"b"}: c` + "\n", "a: {\"b\":\"c\",\n  \"d\":\"e\"}\n",
		`a: {"b":"c"} # d` + "\n", `a: {"b":"}"}}` + "\n", `a: {"":""}` + "\n",
		`a: [{"key":"k","value":"v"},{"key":"l","value":"w"}]` + "\n", `a: [{"b":"c"}, "d", {}]` + "\n", `a: [{"b":"c"},]` + "\n",
		`a: [{"b":"c"}}]` + "\n", `- [{"b":"c"}]` + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) { sameAsGeneral(t, doc) })
}

// sameAsGeneral reports whether the fast reader reads doc; when it does, it
// fails t unless the general reader reads doc to the same value.
func sameAsGeneral(t *testing.T, doc []byte) bool {
	t.Helper()
	read, err := yamlfast.Agree(doc)
	if err != nil {
		t.Fatal(err)
	}
	return read
}
