package spec_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/spec"
)

func TestLoadOverrides(t *testing.T) {
	tests := map[string]struct {
		overrides []spec.Override
		check     func(t *testing.T, e *spec.PreviewEnvironment)
	}{
		"string": {
			[]spec.Override{{Expr: "spec.prefix=preview"}},
			func(t *testing.T, e *spec.PreviewEnvironment) { eq(t, e.Spec.Prefix, "preview") },
		},
		"account ID as a number": {
			[]spec.Override{{Expr: "spec.aws.accountID=210987654321"}},
			func(t *testing.T, e *spec.PreviewEnvironment) { eq(t, string(e.Spec.AWS.AccountID), "210987654321") },
		},
		"account ID with a leading zero": {
			[]spec.Override{{Expr: "spec.aws.accountID=012345678901"}},
			func(t *testing.T, e *spec.PreviewEnvironment) { eq(t, string(e.Spec.AWS.AccountID), "012345678901") },
		},
		"account ID as a string": {
			[]spec.Override{{Expr: "spec.aws.accountID=012345678901", String: true}},
			func(t *testing.T, e *spec.PreviewEnvironment) { eq(t, string(e.Spec.AWS.AccountID), "012345678901") },
		},
		"list element bool and int": {
			[]spec.Override{{Expr: "spec.sqs.queues[0].fifo=true,spec.sqs.queues[0].delaySeconds=5"}},
			func(t *testing.T, e *spec.PreviewEnvironment) {
				q := e.Spec.SQS.Queues[0]
				if !q.FIFO || q.DelaySeconds == nil || *q.DelaySeconds != 5 || q.Name != "jobs" {
					t.Errorf("queue %+v", q)
				}
			},
		},
		"new list element": {
			[]spec.Override{{Expr: "spec.sqs.queues[1].name=mails"}},
			func(t *testing.T, e *spec.PreviewEnvironment) {
				if len(e.Spec.SQS.Queues) != 2 || e.Spec.SQS.Queues[1].Name != "mails" {
					t.Errorf("queues %+v", e.Spec.SQS.Queues)
				}
			},
		},
		"map with dotted key": {
			[]spec.Override{{Expr: `spec.labels.example\.com/team=web`}},
			func(t *testing.T, e *spec.PreviewEnvironment) { eq(t, e.Spec.Labels["example.com/team"], "web") },
		},
		"later wins": {
			[]spec.Override{{Expr: "spec.prefix=one"}, {Expr: "spec.prefix=two", String: true}},
			func(t *testing.T, e *spec.PreviewEnvironment) { eq(t, e.Spec.Prefix, "two") },
		},
		"set-string keeps digits a string": {
			[]spec.Override{{Expr: "spec.tags.cost=4711", String: true}},
			func(t *testing.T, e *spec.PreviewEnvironment) { eq(t, e.Spec.Tags["cost"], "4711") },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := spec.Load([]byte(testkit.MinimalYAML), tc.overrides...)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, e)
		})
	}
}

func eq[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := map[string]struct {
		data      string
		overrides []spec.Override
		want      string // the whole first error, as printed
	}{
		"bad --set expression": {testkit.MinimalYAML, []spec.Override{{Expr: "spec.prefix"}}, "--set[0]: Invalid value"},
		"--set unknown field": {testkit.MinimalYAML, []spec.Override{{Expr: "spec.prefx=pr"}},
			"spec.prefx: Forbidden: unknown field; did you mean \"prefix\"?"},
		"--set number where a string is wanted": {testkit.MinimalYAML, []spec.Override{{Expr: "spec.prefix=12"}},
			"spec.prefix: Invalid value: must be of type string, not number; " + spec.SetStringHint},
		"--set number as a tag value": {testkit.MinimalYAML, []spec.Override{{Expr: "spec.tags.cost=1234"}},
			"spec.tags.cost: Invalid value: must be of type string, not number; --set reads digits and true/false as a number or a boolean; use --set-string for a string"},
		"--set boolean as a label": {testkit.MinimalYAML, []spec.Override{{Expr: "spec.labels.tier=true"}},
			"spec.labels.tier: Invalid value: must be of type string, not boolean; " + spec.SetStringHint},
		"--set-string where an int is wanted": {testkit.MinimalYAML, []spec.Override{{Expr: "spec.iam.maxSessionDuration=7200", String: true}},
			"spec.iam.maxSessionDuration: Invalid value: must be of type integer, not string"},
		"empty":         {"", nil, "(file): Required value: the spec is empty"},
		"comments only": {"# nothing\n", nil, "(file): Required value: the spec is empty"},
		"two documents": {testkit.MinimalYAML + "---\n" + testkit.MinimalYAML, nil, `line 14: Invalid value: "2 documents": a spec file holds exactly one YAML document; the second starts here`},
		"a list":        {"- a\n- b\n", nil, "(file): Invalid value: the spec must be a mapping with string keys"},
		"a scalar":      {"hello\n", nil, "(file): Invalid value: the spec must be a mapping with string keys"},
		"duplicate key": {testkit.MinimalYAML + "kind: Other\n", nil, "kind: Duplicate value"},
		"not YAML":      {"a: [\n", nil, "line 1, column 4: Invalid value: not valid YAML: did not find expected node content"},
		"negative account ID": {strings.Replace(testkit.MinimalYAML, `"123456789012"`, "-1", 1), nil,
			"spec.aws.accountID: Invalid value"},
		"unknown field in a list": {testkit.MinimalYAML + "    - name: b\n      fifoo: true\n", nil,
			"spec.sqs.queues[1].fifoo: Forbidden: line 15, column 7: unknown field; did you mean \"fifo\"?"},
		"misspelt field: its line, column and the field it likely meant": {testkit.MinimalYAML + "    - name: b\n      visibiltyTimeoutSeconds: 30\n", nil,
			"spec.sqs.queues[1].visibiltyTimeoutSeconds: Forbidden: line 15, column 7: unknown field; did you mean \"visibilityTimeoutSeconds\"?"},
		"unknown field far from every field": {testkit.MinimalYAML + "    - name: b\n      retries: 3\n", nil,
			"spec.sqs.queues[1].retries: Forbidden: line 15, column 7: unknown field (misspelt, or not in prenv.dev/v1alpha1)"},
		"unknown field in flow style": {strings.Replace(testkit.MinimalYAML, "prefix: pr", "prefix: pr\n  dns: {zone: a.example, txtPrefx: x}", 1), nil,
			"spec.dns.txtPrefx: Forbidden: line 7, column 26: unknown field; did you mean \"txtPrefix\"?"},
		"case matters": {strings.Replace(testkit.MinimalYAML, "prefix:", "Prefix:", 1), nil,
			"spec.Prefix: Forbidden: line 6, column 3: unknown field; did you mean \"prefix\"?"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := spec.Load([]byte(tc.data), tc.overrides...)
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("got %v, want *render.InvalidError", err)
			}
			if len(inv.Errs) == 0 {
				t.Fatal("no field errors")
			}
			fe := inv.Errs[0]
			if fe.Error() != tc.want && fe.Field+": "+fe.Type.String() != tc.want {
				t.Errorf("got %q\nwant %q", fe.Error(), tc.want)
			}
		})
	}
}

// TestLoadJSON: a JSON spec decodes exactly as its YAML twin.
func TestLoadJSON(t *testing.T) {
	y, err := spec.Load([]byte(testkit.MinimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	j, err := spec.Load([]byte(`{"apiVersion":"prenv.dev/v1alpha1","kind":"PreviewEnvironment","metadata":{"name":"shop"},
	"spec":{"prefix":"pr","aws":{"accountID":123456789012,"region":"eu-west-1","oidcProviderURL":"https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},
	"sqs":{"queues":[{"name":"jobs"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y, j) {
		t.Errorf("YAML %+v\nJSON %+v", y, j)
	}
}

// TestLoadAccountIDForms: the account ID may be a string, or an unquoted
// number written as exactly 12 digits, which is kept as written.
func TestLoadAccountIDForms(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"string":                 {`"123456789012"`, "123456789012"},
		"integer":                {"123456789012", "123456789012"},
		"string is kept as is":   {`"12345678901"`, "12345678901"},
		"leading zero, unquoted": {"012345678901", "012345678901"},
		"leading zeros":          {"000000000005", "000000000005"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := spec.Load([]byte(strings.Replace(testkit.MinimalYAML, `"123456789012"`, tc.yaml, 1)))
			if err != nil {
				t.Fatal(err)
			}
			eq(t, string(e.Spec.AWS.AccountID), tc.want)
		})
	}
}

// TestLoadConditionValues: a condition value is a string or a list of strings.
func TestLoadConditionValues(t *testing.T) {
	e, err := spec.Load([]byte(testkit.MinimalYAML + `  iam:
    statements:
    - effect: Allow
      actions: [s3:GetObject]
      resources: ["*"]
      conditions:
        StringEquals:
          aws:RequestedRegion: eu-west-1
          aws:PrincipalTag/team: [web, api]
`))
	if err != nil {
		t.Fatal(err)
	}
	c := e.Spec.IAM.Statements[0].Conditions["StringEquals"]
	if !reflect.DeepEqual(c["aws:RequestedRegion"], spec.StringList{"eu-west-1"}) || !reflect.DeepEqual(c["aws:PrincipalTag/team"], spec.StringList{"web", "api"}) {
		t.Errorf("conditions %#v", c)
	}
}

// TestExampleLoadsStrictly: the shipped example decodes and renders.
func TestExampleLoadsStrictly(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "examples", "web", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testkit.LoadAndRender(data, 123); err != nil {
		t.Fatal(err)
	}
}

// TestLoadAccountIDNumbers: an unquoted account ID that is not exactly 12
// digits as written is refused at its path with a hint to quote it, never
// turned into another account (5 once became 000000000005; 0x1F, 1.2e11
// and 123456789012.0 are numbers whose digits are not the ones written).
// From --set, helm's parser reads digits without a leading zero as a
// number, so the same rule holds there.
func TestLoadAccountIDNumbers(t *testing.T) {
	const fileHint = `: an unquoted account ID must be exactly 12 digits; ` + spec.AccountIDQuoteHint
	const setHint = `: a number as account ID must be exactly 12 digits; give all 12 digits, or use --set-string spec.aws.accountID=... so that the value is read as written`
	tests := map[string]struct {
		yaml     string
		override string
		want     string
	}{
		"one digit":                {yaml: "5", want: `spec.aws.accountID: Invalid value: "5": line 8` + fileHint},
		"11 digits":                {yaml: "12345678901", want: `spec.aws.accountID: Invalid value: "12345678901": line 8` + fileHint},
		"13 digits":                {yaml: "1234567890123", want: `spec.aws.accountID: Invalid value: "1234567890123": line 8` + fileHint},
		"hexadecimal":              {yaml: "0x1F", want: `spec.aws.accountID: Invalid value: "0x1F": line 8` + fileHint},
		"hexadecimal of 12 digits": {yaml: "0x1CBE991A14", want: `spec.aws.accountID: Invalid value: "0x1CBE991A14": line 8` + fileHint},
		"octal":                    {yaml: "0o17", want: `spec.aws.accountID: Invalid value: "0o17": line 8` + fileHint},
		"float with exponent":      {yaml: "1.2e11", want: `spec.aws.accountID: Invalid value: "1.2e11": line 8` + fileHint},
		"float of 12 digits":       {yaml: "123456789012.0", want: `spec.aws.accountID: Invalid value: "123456789012.0": line 8` + fileHint},
		"signed":                   {yaml: "+123456789012", want: `spec.aws.accountID: Invalid value: "+123456789012": line 8` + fileHint},
		"--set of 5 digits":        {override: "spec.aws.accountID=12345", want: `spec.aws.accountID: Invalid value: "12345"` + setHint},
		"--set of 13 digits":       {override: "spec.aws.accountID=1234567890123", want: `spec.aws.accountID: Invalid value: "1234567890123"` + setHint},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data := testkit.MinimalYAML
			if tc.yaml != "" {
				data = strings.Replace(testkit.MinimalYAML, `"123456789012"`, tc.yaml, 1)
			}
			var overrides []spec.Override
			if tc.override != "" {
				overrides = append(overrides, spec.Override{Expr: tc.override})
			}
			_, err := spec.Load([]byte(data), overrides...)
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("got %v, want *render.InvalidError", err)
			}
			if len(inv.Errs) != 1 || inv.Errs[0].Error() != tc.want {
				t.Errorf("got %v\nwant %s", inv.Errs, tc.want)
			}
		})
	}
	// A 12-digit number from --set is the account ID as written, and so is
	// any value of --set-string.
	e, err := spec.Load([]byte(testkit.MinimalYAML), spec.Override{Expr: "spec.aws.accountID=210987654321"})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, string(e.Spec.AWS.AccountID), "210987654321")
	e, err = spec.Load([]byte(testkit.MinimalYAML), spec.Override{Expr: "spec.aws.accountID=000000000005", String: true})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, string(e.Spec.AWS.AccountID), "000000000005")
	// A tag value from --set-string stays the text written.
	e, err = spec.Load([]byte(testkit.MinimalYAML), spec.Override{Expr: "spec.tags.cost=0123", String: true})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, e.Spec.Tags["cost"], "0123")
}

// TestLoadSyntaxErrorPosition: a spec that is not YAML is refused at the
// line and column of the mistake, not at the start of the block that holds
// it (the YAML decoder's own line), and no error prints "<nil>".
func TestLoadSyntaxErrorPosition(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"indent too short": {"apiVersion: x\nspec:\n  prefix: test\n  aws:\n    accountID: \"1\"\n   region: x\n",
			"line 6, column 4: Invalid value: not valid YAML: did not find expected key"},
		"list item in a mapping": {"spec:\n  prefix: test\n  - x\n",
			"line 3, column 3: Invalid value: not valid YAML: did not find expected key"},
		"tab as indent": {"spec:\n  prefix: test\n\tx: 1\n",
			"line 3, column 1: Invalid value: not valid YAML: found a tab character that violates indentation"},
		"unclosed quote": {"spec:\n  prefix: \"test\n  x: 1\n",
			"line 2, column 11: Invalid value: not valid YAML: found unexpected end of stream"},
		"colon in a plain value": {"spec:\n  prefix: test: x\n",
			"line 2, column 15: Invalid value: not valid YAML: mapping values are not allowed in this context"},
		"unclosed flow list": {"spec:\n  x: [1, 2\n  y: 3\n",
			"line 2, column 10: Invalid value: not valid YAML: did not find expected ',' or ']'"},
		"reserved character": {"spec:\n  prefix: @x\n",
			"line 2, column 11: Invalid value: not valid YAML: found character that cannot start any token"},
		"column counts characters": {"spec:\n  é: x: y\n",
			"line 2, column 7: Invalid value: not valid YAML: mapping values are not allowed in this context"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := spec.Load([]byte(tc.yaml))
			var inv *spec.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("got %v, want *render.InvalidError", err)
			}
			if len(inv.Errs) != 1 || inv.Errs[0].Error() != tc.want {
				t.Errorf("got %v\nwant %s", inv.Errs, tc.want)
			}
			if strings.Contains(err.Error(), "<nil>") {
				t.Errorf("error prints <nil>: %v", err)
			}
		})
	}
}

// TestLoadNamed: the error of LoadNamed names the file, in its message and
// in InvalidError.File; Load's names none.
func TestLoadNamed(t *testing.T) {
	bad := []byte(strings.Replace(testkit.MinimalYAML, "prefix:", "prefx:", 1))
	_, err := spec.LoadNamed("web/prenv.yaml", bad)
	inv, ok := errors.AsType[*spec.InvalidError](err)
	if !ok || inv.File != "web/prenv.yaml" {
		t.Fatalf("LoadNamed: got %#v, want an *InvalidError with File web/prenv.yaml", err)
	}
	want := "web/prenv.yaml: invalid spec: 1 problem\n" +
		"  spec.prefx: Forbidden: line 6, column 3: unknown field; did you mean \"prefix\"?"
	if got := err.Error(); got != want {
		t.Errorf("LoadNamed: got %q, want %q", got, want)
	}
	if _, err := spec.Load(bad); err == nil || strings.Contains(err.Error(), "web/prenv.yaml") || !strings.HasPrefix(err.Error(), "invalid spec: ") {
		t.Errorf("Load: got %v, want an error that names no file", err)
	}
	if env, err := spec.LoadNamed("prenv.yaml", []byte(testkit.MinimalYAML)); err != nil || env.Metadata.Name != "shop" {
		t.Errorf("LoadNamed of a valid spec: %v, %v", env, err)
	}
}
