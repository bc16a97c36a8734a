package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/spec/schema"
)

// TestSchemaDescribesEveryField: every type and field of the spec's JSON
// Schema has a description (from the Go doc comments), so that editors
// show one on hover.
func TestSchemaDescribesEveryField(t *testing.T) {
	b, err := schema.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Description string
			Properties  map[string]struct{ Description string }
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for name, d := range s.Defs {
		if d.Description == "" {
			t.Errorf("type %s has no description: give it a doc comment", name)
		}
		for p, f := range d.Properties {
			if f.Description == "" {
				t.Errorf("field %s.%s has no description: give it a doc comment", name, p)
			}
		}
	}
}

// stringCases are, per rule of a string field with a pattern or a length,
// values that the schema and Check both accept and values they both refuse.
var stringCases = map[string]struct{ ok, bad []string }{
	// The full spec has spec.dns, under which Check keeps room for
	// external-dns's TXT records: the schema's maxLength is the limit
	// without it, so the longest name accepted here is shorter.
	"metadata.name":                                             {[]string{"a", "web-1", strings.Repeat("a", 44)}, []string{"1web", "Web", "web-", strings.Repeat("a", awsrules.MaxEnvNameParts)}},
	"spec.prefix":                                               {[]string{"a", "pr", "a1-b2", strings.Repeat("a", 20)}, []string{"1a", "a--b", "A", strings.Repeat("a", 21)}},
	"spec.aws.region":                                           {[]string{"eu-west-1", "ap-southeast-7"}, []string{"europe", "eu_west_1", "EU-WEST-1"}},
	"spec.serviceAccount.name":                                  {[]string{"a", strings.Repeat("a", 253)}, []string{strings.Repeat("a", 254)}},
	"spec.iam.statements[].sid":                                 {[]string{"A1", "ReadAll"}, []string{"read-all", "a b"}},
	"spec.dynamodb.tables[].name":                               {[]string{"a", strings.Repeat("a", 40)}, []string{"A", "a_b", strings.Repeat("a", 41)}},
	"spec.dynamodb.tables[].attributes[].name":                  {[]string{"customerId"}, []string{""}},
	"spec.dynamodb.tables[].ttlAttribute":                       {[]string{"ttl", strings.Repeat("t", spec.MaxAttributeNameLen)}, []string{strings.Repeat("t", spec.MaxAttributeNameLen+1)}},
	"spec.dynamodb.tables[].globalIndexes[].name":               {[]string{"abc", "by.Status_1-x", strings.Repeat("a", spec.MaxIndexNameLen)}, []string{"ab", "by status", strings.Repeat("a", spec.MaxIndexNameLen+1)}},
	"spec.dynamodb.tables[].globalIndexes[].nonKeyAttributes[]": {[]string{"total", strings.Repeat("a", spec.MaxAttributeNameLen)}, []string{"", strings.Repeat("a", spec.MaxAttributeNameLen+1)}},
	"spec.sqs.queues[].name":                                    {[]string{"a", strings.Repeat("a", 40)}, []string{"A", "a_b", strings.Repeat("a", 41)}},
	"spec.aws.clusterName":                                      {[]string{"previews", "9-Previews_eu", strings.Repeat("c", 100)}, []string{"-previews", "previews.eu", strings.Repeat("c", 101)}},
	"spec.s3.buckets[].name":                                    {[]string{"a", strings.Repeat("a", 40)}, []string{"A", "a_b", strings.Repeat("a", 41)}},
	"spec.dns.zone":                                             {[]string{"example.org", strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 61)}, []string{strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 62)}},
	"spec.argocd.source.plugin.image":                           {[]string{"prenv", "registry.example.com:5000/team/prenv:v1.2", "prenv@sha256:" + strings.Repeat("a", 64)}, []string{"Prenv", "prenv:", "prenv@sha256:abc"}},
	"spec.argocd.syncPolicy.syncOptions[]":                      {[]string{"PruneLast=true", "Validate=false"}, []string{"PruneLast", "=true", "Prune Last=true"}},
	"spec.argocd.appResources[].kind":                           {[]string{"Deployment", "HorizontalPodAutoscaler2"}, []string{"deployment", "Deploy-ment", "*"}},
	"spec.tags{}":                                               {[]string{"", strings.Repeat("v", spec.MaxTagValueLen)}, []string{strings.Repeat("v", spec.MaxTagValueLen+1)}},
}

// baseEdits change the full spec for the rules of fields it cannot hold
// together with the others (a pull-request generator has one provider).
var baseEdits = map[string][2]string{
	"spec.argocd.pullRequests.gitlab.pullRequestState": {"github: {owner: example, repo: shop}", "gitlab: {project: example/shop, pullRequestState: opened}"},
}

// TestSchemaRulesMatchCheck keeps the JSON Schema's ranges, lengths,
// patterns and allowed values equal to what Check accepts: for every rule
// of spec.SchemaRules, in a full spec that both accept, the values at an
// integer's bounds and every allowed value pass both, and one past a
// bound and a value outside the list fail both, at the field's path.
// specJSON is the spec data as JSON, read as prenv reads it (YAML 1.2:
// type N stays a string).
func specJSON(t *testing.T, data string) []byte {
	t.Helper()
	env, err := spec.Load([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compiledSchema returns the spec's JSON Schema compiled as editors
// compile it, and the full spec of testdata.
func compiledSchema(t *testing.T) (*jsonschema.Schema, []byte) {
	t.Helper()
	schemaJSON, err := schema.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schema.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schema.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile("testdata/schema/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sch, full
}

func TestSchemaRulesMatchCheck(t *testing.T) {
	sch, full := compiledSchema(t)
	// baseFor is the full spec for a rule, as JSON, read as prenv reads it
	// (YAML 1.2: type N stays a string); both must accept it.
	baseFor := func(rulePath string) []byte {
		t.Helper()
		data := string(full)
		if e, ok := baseEdits[rulePath]; ok {
			if !strings.Contains(data, e[0]) {
				t.Fatalf("%s: the full spec has no %q", rulePath, e[0])
			}
			data = strings.Replace(data, e[0], e[1], 1)
		}
		b := specJSON(t, data)
		if s, c := verdicts(t, sch, b, nil, ""); len(s)+len(c) > 0 {
			t.Fatalf("%s: the full spec must pass both: schema %v, Check %v", rulePath, s, c)
		}
		return b
	}
	for _, rule := range spec.SchemaRules() {
		baseJSON := baseFor(rule.Path)
		path := instancePath(rule.Path)
		type value struct {
			v  any
			ok bool
		}
		var values []value
		if rule.Minimum != nil {
			values = append(values, value{*rule.Minimum, true}, value{*rule.Minimum - 1, false})
		}
		if rule.Maximum != nil {
			values = append(values, value{*rule.Maximum, true}, value{*rule.Maximum + 1, false})
		}
		for _, e := range rule.Enum {
			values = append(values, value{e, true})
		}
		if rule.Enum != nil {
			values = append(values, value{"NotAllowed", false})
		}
		if rule.Pattern != "" || rule.MaxLength > 0 || rule.MinLength > 0 {
			cases, ok := stringCases[rule.Path]
			if !ok {
				t.Errorf("%s: add its accepted and refused values to stringCases", rule.Path)
				continue
			}
			for _, v := range cases.ok {
				values = append(values, value{v, true})
			}
			for _, v := range cases.bad {
				values = append(values, value{v, false})
			}
		}
		for _, v := range values {
			t.Run(fmt.Sprintf("%s=%v", rule.Path, v.v), func(t *testing.T) {
				inst := setAt(t, baseJSON, path, v.v)
				schemaErrs, checkErrs := verdicts(t, sch, inst, path, fieldPath(rule.Path))
				if v.ok && (len(schemaErrs) > 0 || len(checkErrs) > 0) {
					t.Errorf("want both to accept; schema: %v; Check: %v", schemaErrs, checkErrs)
				}
				if !v.ok && (len(schemaErrs) == 0 || len(checkErrs) == 0) {
					t.Errorf("want both to refuse; schema: %v; Check: %v", schemaErrs, checkErrs)
				}
			})
		}
	}
}

// instancePath turns a rule's path into the path of the first element of
// each list, and of the map entry "team" of a map, in the full spec.
func instancePath(rulePath string) []string {
	var out []string
	for _, part := range strings.Split(rulePath, ".") {
		name := strings.TrimRight(part, "[]{}")
		out = append(out, name)
		for _, c := range strings.TrimPrefix(part, name) {
			switch c {
			case '[':
				out = append(out, "0")
			case '{':
				out = append(out, "team")
			}
		}
	}
	return out
}

// fieldPath is the field path, as Check prints it, of instancePath.
func fieldPath(rulePath string) string {
	return strings.NewReplacer("[]", "[0]", "{}", "[team]").Replace(rulePath)
}

// setAt returns doc with the value at path replaced; the path must exist.
func setAt(t *testing.T, doc []byte, path []string, v any) []byte {
	t.Helper()
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	cur := root
	for i, p := range path {
		last := i == len(path)-1
		switch x := cur.(type) {
		case map[string]any:
			if _, ok := x[p]; !ok {
				t.Fatalf("the full spec has no %s", strings.Join(path[:i+1], "."))
			}
			if last {
				x[p] = v
			}
			cur = x[p]
		case []any:
			n, _ := strconv.Atoi(p)
			if last {
				x[n] = v
			}
			cur = x[n]
		default:
			t.Fatalf("the full spec has no %s", strings.Join(path[:i+1], "."))
		}
	}
	b, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verdicts validates inst with the schema and with Load and Check, and
// returns the problems of each at path or below it (field is path as
// Check prints it; all problems for a nil path).
func verdicts(t *testing.T, sch *jsonschema.Schema, inst []byte, path []string, field string) (schemaErrs, checkErrs []string) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(inst))
	if err != nil {
		t.Fatal(err)
	}
	under := func(loc []string) bool { return len(loc) >= len(path) && slices.Equal(loc[:len(path)], path) }
	if err := sch.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			t.Fatal(err)
		}
		var walk func(e *jsonschema.ValidationError)
		walk = func(e *jsonschema.ValidationError) {
			if len(e.Causes) == 0 && under(e.InstanceLocation) {
				schemaErrs = append(schemaErrs, e.Error())
			}
			for _, c := range e.Causes {
				walk(c)
			}
		}
		walk(ve)
	}
	env, err := spec.Load(inst)
	var errs []string
	if err != nil {
		var inv *spec.InvalidError
		if !errors.As(err, &inv) {
			t.Fatal(err)
		}
		for _, e := range inv.Errs {
			errs = append(errs, e.Field+": "+e.Error())
		}
	} else {
		for _, e := range spec.Check(env) {
			errs = append(errs, e.Field+": "+e.Error())
		}
	}
	for _, e := range errs {
		if path == nil || strings.HasPrefix(e, field+":") || strings.HasPrefix(e, field+".") || strings.HasPrefix(e, field+"[") {
			checkErrs = append(checkErrs, e)
		}
	}
	return schemaErrs, checkErrs
}

// TestSpecReferenceInSync keeps docs/spec-reference.md equal to the
// reference generated from the Go types and the checks' constants.
func TestSpecReferenceInSync(t *testing.T) {
	got, err := schema.SpecReference()
	if err != nil {
		t.Fatal(err)
	}
	golden.CheckFile(t, "docs/spec-reference.md", got)
}

// TestSchemaBoundsEveryInteger: every integer field of the schema has a
// minimum and a maximum, so that a new one cannot miss its rule.
func TestSchemaBoundsEveryInteger(t *testing.T) {
	b, err := schema.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Type             string
				Minimum, Maximum *json.Number
			}
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, d := range s.Defs {
		for p, f := range d.Properties {
			if f.Type != "integer" {
				continue
			}
			n++
			if f.Minimum == nil || f.Maximum == nil {
				t.Errorf("integer field %s.%s has no minimum or maximum: add a rule to spec.SchemaRules", name, p)
			}
		}
	}
	if n == 0 {
		t.Fatal("no integer fields found")
	}
}

// TestSchemaKnownRegions: the schema refuses a region that is not in
// prenv's list, as Check does, unless allowUnknownRegion is true; with it
// both accept a region of the right form.
func TestSchemaKnownRegions(t *testing.T) {
	sch, full := compiledSchema(t)
	for _, tc := range []struct {
		region string
		allow  bool
		ok     bool
	}{
		{"eu-central-1", false, true},
		{"eu-centrl-1", false, false},
		{"eu-central-9", false, false},
		{"eu-central-9", true, true},
		{"europe", true, false},
	} {
		data := strings.Replace(string(full), "region: eu-central-1", "region: "+tc.region+fmt.Sprintf("\n    allowUnknownRegion: %v", tc.allow), 1)
		b := specJSON(t, data)
		path := []string{"spec", "aws"}
		schemaErrs, checkErrs := verdicts(t, sch, b, path, "spec.aws")
		if tc.ok != (len(schemaErrs) == 0) || tc.ok != (len(checkErrs) == 0) {
			t.Errorf("region %s, allowUnknownRegion %v: schema %v, Check %v; want both to accept: %v", tc.region, tc.allow, schemaErrs, checkErrs, tc.ok)
		}
	}
}
