package render_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"prenv.dev/prenv/render"
)

const minimalYAML = `apiVersion: prenv.dev/v1alpha1
kind: PreviewEnvironment
metadata:
  name: shop
spec:
  prefix: pr
  aws:
    accountID: "123456789012"
    region: eu-west-1
    oidcProviderURL: https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE
  sqs:
    queues:
    - name: jobs
`

func TestLoadOverrides(t *testing.T) {
	tests := map[string]struct {
		overrides []render.Override
		check     func(t *testing.T, e *render.PreviewEnvironment)
	}{
		"string": {
			[]render.Override{{Expr: "spec.prefix=preview"}},
			func(t *testing.T, e *render.PreviewEnvironment) { eq(t, e.Spec.Prefix, "preview") },
		},
		"account ID as a number": {
			[]render.Override{{Expr: "spec.aws.accountID=210987654321"}},
			func(t *testing.T, e *render.PreviewEnvironment) { eq(t, string(e.Spec.AWS.AccountID), "210987654321") },
		},
		"account ID with a leading zero": {
			[]render.Override{{Expr: "spec.aws.accountID=012345678901"}},
			func(t *testing.T, e *render.PreviewEnvironment) { eq(t, string(e.Spec.AWS.AccountID), "012345678901") },
		},
		"account ID as a string": {
			[]render.Override{{Expr: "spec.aws.accountID=012345678901", String: true}},
			func(t *testing.T, e *render.PreviewEnvironment) { eq(t, string(e.Spec.AWS.AccountID), "012345678901") },
		},
		"list element bool and int": {
			[]render.Override{{Expr: "spec.sqs.queues[0].fifo=true,spec.sqs.queues[0].delaySeconds=5"}},
			func(t *testing.T, e *render.PreviewEnvironment) {
				q := e.Spec.SQS.Queues[0]
				if !q.FIFO || q.DelaySeconds == nil || *q.DelaySeconds != 5 || q.Name != "jobs" {
					t.Errorf("queue %+v", q)
				}
			},
		},
		"new list element": {
			[]render.Override{{Expr: "spec.sqs.queues[1].name=mails"}},
			func(t *testing.T, e *render.PreviewEnvironment) {
				if len(e.Spec.SQS.Queues) != 2 || e.Spec.SQS.Queues[1].Name != "mails" {
					t.Errorf("queues %+v", e.Spec.SQS.Queues)
				}
			},
		},
		"map with dotted key": {
			[]render.Override{{Expr: `spec.labels.example\.com/team=web`}},
			func(t *testing.T, e *render.PreviewEnvironment) { eq(t, e.Spec.Labels["example.com/team"], "web") },
		},
		"later wins": {
			[]render.Override{{Expr: "spec.prefix=one"}, {Expr: "spec.prefix=two", String: true}},
			func(t *testing.T, e *render.PreviewEnvironment) { eq(t, e.Spec.Prefix, "two") },
		},
		"set-string keeps digits a string": {
			[]render.Override{{Expr: "spec.tags.cost=4711", String: true}},
			func(t *testing.T, e *render.PreviewEnvironment) { eq(t, e.Spec.Tags["cost"], "4711") },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := render.Load([]byte(minimalYAML), tc.overrides...)
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
		overrides []render.Override
		want      string // the whole first error, as printed
	}{
		"bad --set expression": {minimalYAML, []render.Override{{Expr: "spec.prefix"}}, "--set[0]: Invalid value"},
		"--set unknown field": {minimalYAML, []render.Override{{Expr: "spec.prefx=pr"}},
			"spec.prefx: Forbidden: unknown field (misspelt, or not in prenv.dev/v1alpha1)"},
		"--set number where a string is wanted": {minimalYAML, []render.Override{{Expr: "spec.prefix=12"}},
			"spec.prefix: Invalid value: must be of type string, not number"},
		"--set-string where an int is wanted": {minimalYAML, []render.Override{{Expr: "spec.iam.maxSessionDuration=7200", String: true}},
			"spec.iam.maxSessionDuration: Invalid value: must be of type integer, not string"},
		"empty":         {"", nil, "<nil>: Required value: the spec is empty"},
		"comments only": {"# nothing\n", nil, "<nil>: Required value: the spec is empty"},
		"two documents": {minimalYAML + "---\n" + minimalYAML, nil, `<nil>: Invalid value: "2 documents": a spec file holds exactly one YAML document`},
		"a list":        {"- a\n- b\n", nil, "<nil>: Invalid value"},
		"a scalar":      {"hello\n", nil, "<nil>: Invalid value"},
		"duplicate key": {minimalYAML + "kind: Other\n", nil, "kind: Duplicate value"},
		"not YAML":      {"a: [\n", nil, "<nil>: Invalid value"},
		"negative account ID": {strings.Replace(minimalYAML, `"123456789012"`, "-1", 1), nil,
			"spec.aws.accountID: Invalid value"},
		"unknown field in a list": {minimalYAML + "    - name: b\n      fifoo: true\n", nil,
			"spec.sqs.queues[1].fifoo: Forbidden: unknown field (misspelt, or not in prenv.dev/v1alpha1)"},
		"case matters": {strings.Replace(minimalYAML, "prefix:", "Prefix:", 1), nil,
			"spec.Prefix: Forbidden: unknown field (misspelt, or not in prenv.dev/v1alpha1)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := render.Load([]byte(tc.data), tc.overrides...)
			var inv *render.InvalidError
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
	y, err := render.Load([]byte(minimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	j, err := render.Load([]byte(`{"apiVersion":"prenv.dev/v1alpha1","kind":"PreviewEnvironment","metadata":{"name":"shop"},
	"spec":{"prefix":"pr","aws":{"accountID":123456789012,"region":"eu-west-1","oidcProviderURL":"https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},
	"sqs":{"queues":[{"name":"jobs"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y, j) {
		t.Errorf("YAML %+v\nJSON %+v", y, j)
	}
}

// TestLoadAccountIDForms: the account ID may be a string or an integer; an
// integer is padded to 12 digits, as an account ID with leading zeros loses
// them when written as a YAML number.
func TestLoadAccountIDForms(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"string":                 {`"123456789012"`, "123456789012"},
		"integer":                {"123456789012", "123456789012"},
		"integer that lost a 0":  {"12345678901", "012345678901"},
		"string is kept as is":   {`"12345678901"`, "12345678901"},
		"leading zero, unquoted": {"012345678901", "012345678901"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := render.Load([]byte(strings.Replace(minimalYAML, `"123456789012"`, tc.yaml, 1)))
			if err != nil {
				t.Fatal(err)
			}
			eq(t, string(e.Spec.AWS.AccountID), tc.want)
		})
	}
}

// TestLoadConditionValues: a condition value is a string or a list of strings.
func TestLoadConditionValues(t *testing.T) {
	e, err := render.Load([]byte(minimalYAML + `  iam:
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
	if !reflect.DeepEqual(c["aws:RequestedRegion"], render.StringList{"eu-west-1"}) || !reflect.DeepEqual(c["aws:PrincipalTag/team"], render.StringList{"web", "api"}) {
		t.Errorf("conditions %#v", c)
	}
}

// TestExampleLoadsStrictly: the shipped example decodes and renders.
func TestExampleLoadsStrictly(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "examples", "web", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadAndRender(data, 123); err != nil {
		t.Fatal(err)
	}
}
