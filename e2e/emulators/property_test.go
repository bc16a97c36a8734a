package emulators_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/e2e/emulators"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

var update = flag.Bool("update", false, "rewrite testdata/prenv-stricter.txt from this run")

const (
	// propertySeed and propertyCases fix the generated specs: the same
	// specs every run, so that testdata/prenv-stricter.txt is stable.
	propertySeed  = 20250101
	propertyCases = 400
)

// errorKind is a prenv error's field path, with list indexes and map keys
// taken out, and its type: "spec.dynamodb.tables[*].name: Invalid value".
// The wording of the detail is left out, so that the recorded kinds change
// only when a rule is added or dropped.
func errorKind(e *field.Error) string {
	return indexRE.ReplaceAllString(e.Field, "[*]") + ": " + e.Type.String()
}

var indexRE = regexp.MustCompile(`\[[^\]]*\]`)

// kindLog collects, per error kind, how often it was seen and one example.
type kindLog map[string]*kindEntry

type kindEntry struct {
	count   int
	example string
}

func (k kindLog) add(kind, example string) {
	if e := k[kind]; e != nil {
		e.count++
		return
	}
	k[kind] = &kindEntry{count: 1, example: example}
}

// TestGeneratedSpecs is the property test: over seeded random specs (tables
// with random attributes, keys, global and local indexes, projections,
// billing modes and capacities, queues and IAM statements, invalid values
// and combinations included), whenever render.Check accepts a spec,
//
//   - dynalite creates every Table prenv renders, sent as the ACK
//     controller's CreateTable request, and
//   - @cloud-copilot/iam-policy finds nothing in any policy document
//     prenv renders.
//
// Tables of specs that prenv refuses are sent to dynalite too (built from
// the spec by specRequest): a table in which prenv finds no fault (the spec
// is refused for other reasons) must be created as well; where prenv
// refuses a table that dynalite creates, prenv is stricter than the
// emulator, which is allowed. Likewise each refused IAM statement is put to
// the validator as a policy of its own. The kinds
// of those errors are listed in testdata/prenv-stricter.txt, which a run
// with -update rewrites; a kind that appears or goes away fails the test,
// so that the list is reviewed.
func TestGeneratedSpecs(t *testing.T) {
	tl := tools(t)
	d := dynalite(t)
	ctx := context.Background()
	start := time.Now()
	renderer, err := render.NewRenderer(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := gen{r: rand.New(rand.NewPCG(propertySeed, 0))}

	var (
		accepted, refused       int
		tablesCreated           int // tables of accepted specs, created
		tablesAgreed            int // tables both prenv and dynalite refuse
		stricter                = kindLog{}
		iamStricter             = kindLog{}
		dynaliteRefusals        = kindLog{}
		docs                    []emulators.PolicyDocument
		docSpecs                = map[string]string{}
		statementDocs           []emulators.PolicyDocument
		statementKinds          = map[string][]string{}
		statementRefusedByPrenv int
	)
	for i := range propertyCases {
		pr := 1000 + i
		envSpec := g.spec()
		js, err := json.Marshal(envSpec)
		if err != nil {
			t.Fatal(err)
		}
		input := string(js)
		env, err := spec.Load(js)
		if err != nil {
			t.Fatalf("case %d: Load refused a spec encoded from the spec's own types: %v\n%s", i, err, input)
		}
		errs := spec.Check(env)
		envName := awsrules.EnvName(env.Spec.Prefix, pr, env.Metadata.Name)
		var specTables []spec.Table
		if env.Spec.DynamoDB != nil {
			specTables = env.Spec.DynamoDB.Tables
		}

		if len(errs) == 0 {
			accepted++
			out, err := renderer.Render(ctx, env, pr)
			if err != nil {
				var ie *spec.InvalidError
				if errors.As(err, &ie) {
					t.Errorf("case %d: render.Check accepts the spec but Render refuses it: %v\n%s", i, err, input)
				} else {
					t.Errorf("case %d: Render: %v\n%s", i, err, input)
				}
				continue
			}
			tbls := tables(out.Objects)
			if len(tbls) != len(specTables) {
				t.Errorf("case %d: %d Tables rendered, the spec has %d", i, len(tbls), len(specTables))
				continue
			}
			for j, obj := range tbls {
				in, _, err := emulators.CreateTable(obj)
				if err != nil {
					t.Errorf("case %d: %v", i, err)
					continue
				}
				// specRequest must build what prenv renders, or its verdicts
				// on refused specs below would mean nothing.
				fromSpec := specRequest(envName, specTables[j])
				rendered := *in
				rendered.Tags, rendered.DeletionProtectionEnabled = nil, nil
				if a, b := mustJSON(fromSpec), mustJSON(&rendered); a != b {
					t.Errorf("case %d: table %d: specRequest differs from the rendered Table:\n spec     %s\n rendered %s", i, j, a, b)
				}
				got, err := createTable(ctx, d, in)
				if err != nil {
					t.Errorf("case %d: prenv accepts table %s, dynalite refuses it: %v\nrequest: %s\nspec table: %s", i, obj.GetName(), err, mustJSON(in), mustJSON(specTables[j]))
					continue
				}
				checkDescribed(t, in, got)
				tablesCreated++
			}
			ds, err := emulators.PolicyDocuments(fmt.Sprintf("case %d: ", i), out.Objects)
			if err != nil {
				t.Fatal(err)
			}
			for _, doc := range ds {
				docSpecs[doc.ID] = input
			}
			docs = append(docs, ds...)
			continue
		}

		refused++
		for j, st := range specTables {
			var tableErrs []*field.Error
			prefix := fmt.Sprintf("spec.dynamodb.tables[%d]", j)
			for _, e := range errs {
				if e.Field == prefix || strings.HasPrefix(e.Field, prefix+".") {
					tableErrs = append(tableErrs, e)
				}
			}
			in := specRequest(envName, st)
			_, derr := createTable(ctx, d, in)
			if derr != nil {
				if _, ok := emulators.AsAPIError(derr); !ok {
					t.Fatalf("case %d: %v", i, derr)
				}
			}
			switch {
			case len(tableErrs) == 0 && derr != nil:
				t.Errorf("case %d: prenv finds nothing wrong with table %d (the spec is refused for other reasons), dynalite refuses it: %v\nrequest: %s\nspec table: %s", i, j, derr, mustJSON(in), mustJSON(st))
			case len(tableErrs) > 0 && derr != nil:
				tablesAgreed++
				e, _ := emulators.AsAPIError(derr)
				dynaliteRefusals.add(e.Type+": "+dynaliteMessageKind(e.Message), e.Message)
			case len(tableErrs) > 0:
				for _, e := range tableErrs {
					stricter.add(errorKind(e), fmt.Sprintf("%s\n      spec table: %s", e.Error(), mustJSON(st)))
				}
			}
		}
		// Each user statement prenv refuses, put to the IAM validator on
		// its own as a one-statement identity policy.
		if env.Spec.IAM != nil {
			for k, st := range env.Spec.IAM.Statements {
				prefix := fmt.Sprintf("spec.iam.statements[%d]", k)
				var kinds []string
				for _, e := range errs {
					// A policy of one statement cannot show a Sid that
					// another statement has too.
					if e.Type == field.ErrorTypeDuplicate && e.Field == prefix+".sid" {
						continue
					}
					if e.Field == prefix || strings.HasPrefix(e.Field, prefix+".") {
						kinds = append(kinds, errorKind(e)+"\x00"+e.Error())
					}
				}
				if len(kinds) == 0 {
					continue
				}
				statementRefusedByPrenv++
				id := fmt.Sprintf("case %d: statement %d", i, k)
				statementKinds[id] = kinds
				statementDocs = append(statementDocs, emulators.PolicyDocument{ID: id, Type: emulators.IdentityPolicy, Document: statementDocument(st)})
			}
		}
	}

	results, err := emulators.ValidatePolicies(ctx, tl, append(slices.Clone(docs), statementDocs...))
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range results {
		if k < len(docs) {
			for _, f := range r.Findings {
				t.Errorf("%s: prenv renders it, @cloud-copilot/iam-policy refuses it: %s: %s\ndocument: %s\nspec: %s", r.ID, f.Path, f.Message, docs[k].Document, docSpecs[r.ID])
			}
			continue
		}
		if len(r.Findings) == 0 {
			for _, kd := range statementKinds[r.ID] {
				kind, example, _ := strings.Cut(kd, "\x00")
				iamStricter.add(kind, example)
			}
		}
	}

	elapsed := time.Since(start)
	t.Logf("%d specs in %v: %d accepted (%d tables created, %d policy documents valid), %d refused (%d tables refused by prenv and dynalite; %d refused statements put to the IAM validator)",
		propertyCases, elapsed.Round(time.Millisecond), accepted, tablesCreated, len(docs), refused, tablesAgreed, statementRefusedByPrenv)
	logKinds(t, "dynalite's refusals of tables prenv refuses too", dynaliteRefusals)
	logKinds(t, "prenv refuses, dynalite creates the table", stricter)
	logKinds(t, "prenv refuses, @cloud-copilot/iam-policy accepts the statement", iamStricter)

	// The run must have tried both sides in earnest.
	if accepted < propertyCases/4 || refused < propertyCases/4 {
		t.Errorf("%d accepted and %d refused of %d specs: the generator lost its balance", accepted, refused, propertyCases)
	}
	if identity := len(docs) - accepted; tablesCreated < 150 || tablesAgreed < 30 || identity < accepted/2 {
		t.Errorf("%d tables created, %d refused by both, %d managed policy documents: too few to mean much", tablesCreated, tablesAgreed, identity)
	}
	checkStricter(t, stricter, iamStricter)
}

// dynaliteMessageKind is the first clause of a dynalite message with names,
// values and numbers cut out.
func dynaliteMessageKind(msg string) string {
	msg, _, _ = strings.Cut(msg, ";")
	for _, r := range messageNoise {
		msg = r.re.ReplaceAllString(msg, r.with)
	}
	return msg
}

var messageNoise = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`Value '[^']*'|Given value [0-9]+`), "value …"},
	{regexp.MustCompile(`(Keys|AttributeDefinitions): \[[^\]]*\]`), "$1: […]"},
	{regexp.MustCompile(`(index|name|key): [^ ,.]+`), "$1: …"},
	{regexp.MustCompile(`\.[0-9]+\.`), ".N."},
	{regexp.MustCompile(`^[0-9]+ `), "N "},
}

// statementDocument is a policy of one user statement, as prenv would
// write it.
func statementDocument(st spec.Statement) string {
	s := map[string]any{"Effect": st.Effect, "Action": st.Actions, "Resource": st.Resources}
	if st.Sid != "" {
		s["Sid"] = st.Sid
	}
	if len(st.Conditions) > 0 {
		s["Condition"] = st.Conditions
	}
	return mustJSON(map[string]any{"Version": "2012-10-17", "Statement": []any{s}})
}

func logKinds(t *testing.T, title string, k kindLog) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d kinds", title, len(k))
	for _, kind := range slices.Sorted(maps.Keys(k)) {
		fmt.Fprintf(&b, "\n  %4d× %s\n      e.g. %s", k[kind].count, kind, k[kind].example)
	}
	t.Log(b.String())
}

// checkStricter compares the kinds found with testdata/prenv-stricter.txt.
func checkStricter(t *testing.T, dynamo, iam kindLog) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# Field paths and error types of the spec errors for which prenv refuses\n")
	b.WriteString("# what the emulators accept: rules prenv enforces that dynalite or\n")
	b.WriteString("# @cloud-copilot/iam-policy does not. Found by TestGeneratedSpecs over its\n")
	b.WriteString("# seeded specs; go test -v prints an example of each. Rewrite with\n")
	b.WriteString("# go test -run TestGeneratedSpecs -update.\n")
	b.WriteString("\n[dynalite creates the table]\n")
	for _, kind := range slices.Sorted(maps.Keys(dynamo)) {
		b.WriteString(kind + "\n")
	}
	b.WriteString("\n[@cloud-copilot/iam-policy accepts the statement]\n")
	for _, kind := range slices.Sorted(maps.Keys(iam)) {
		b.WriteString(kind + "\n")
	}
	path := filepath.Join("testdata", "prenv-stricter.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("the kinds prenv refuses and the emulators accept changed; review, then rewrite %s with -update:\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want ("-") and only in got ("+").
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
