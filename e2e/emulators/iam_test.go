package emulators_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"prenv.dev/prenv/e2e/emulators"
)

// TestIAMValidatorRules shows that @cloud-copilot/iam-policy refuses what
// the tests here rely on it to refuse (so that "valid" means something),
// and records what it does not check, for which prenv's own checks stay.
func TestIAMValidatorRules(t *testing.T) {
	tl := tools(t)
	identity := func(edit func(st map[string]any, doc map[string]any)) string {
		st := map[string]any{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
		doc := map[string]any{"Version": "2012-10-17", "Statement": []any{st}}
		edit(st, doc)
		return mustJSON(doc)
	}
	trust := func(edit func(st map[string]any)) string {
		st := map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X"},
			"Action":    "sts:AssumeRoleWithWebIdentity",
		}
		edit(st)
		return mustJSON(map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
	}
	cases := []struct {
		name, typ, doc string
		want           string // a fragment of a finding; "" for none
	}{
		{"valid identity policy", emulators.IdentityPolicy, identity(func(map[string]any, map[string]any) {}), ""},
		{"valid trust policy", emulators.TrustPolicy, trust(func(map[string]any) {}), ""},
		{"Version", emulators.IdentityPolicy, identity(func(_, d map[string]any) { d["Version"] = "2012-10-18" }), `Version must be either "2012-10-17" or "2008-10-17"`},
		{"Effect", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { s["Effect"] = "allow" }), `Effect must be present and exactly "Allow" or "Deny"`},
		{"Action without service", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { s["Action"] = "s3GetObject" }), "Action must be a wildcard (*) or have 2 segments"},
		{"Principal in identity policy", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { s["Principal"] = map[string]any{"AWS": "*"} }), "Principal is not allowed in an identity policy statement"},
		{"no Resource", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { delete(s, "Resource") }), "One of Resource or NotResource is required"},
		{"condition value type", emulators.IdentityPolicy, identity(func(s, _ map[string]any) {
			s["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": map[string]any{"x": 1}}}
		}), "Found data type object"},
		{"unknown element", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { s["Comment"] = "x" }), "Invalid key Comment"},
		{"Resource in trust policy", emulators.TrustPolicy, trust(func(s map[string]any) { s["Resource"] = "*" }), "Resource is not allowed in a trust policy"},
		{"no Principal in trust policy", emulators.TrustPolicy, trust(func(s map[string]any) { delete(s, "Principal") }), "One of Principal or NotPrincipal is required in a trust policy"},
		{"not JSON", emulators.IdentityPolicy, "{", "not a JSON policy document"},

		// Not checked by the validator, which checks grammar only; prenv's
		// checks cover these (render.Check, spec.iam.statements).
		{"Sid characters (not checked)", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { s["Sid"] = "bad-sid" }), ""},
		{"duplicate Sid (not checked)", emulators.IdentityPolicy, identity(func(s, d map[string]any) { d["Statement"] = []any{s, s} }), ""},
		{"unknown condition operator (not checked)", emulators.IdentityPolicy, identity(func(s, _ map[string]any) {
			s["Condition"] = map[string]any{"StringEqualz": map[string]any{"aws:RequestedRegion": "eu-west-1"}}
		}), ""},
		{"unknown action (not checked)", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { s["Action"] = "s3:GetObjekt" }), ""},
		{"Resource not an ARN (not checked)", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { s["Resource"] = "bucket" }), ""},
		{"characters IAM refuses (not checked)", emulators.IdentityPolicy, identity(func(s, _ map[string]any) { s["Resource"] = "arn:aws:s3:::\u4e2d" }), ""},
	}
	var docs []emulators.PolicyDocument
	for _, c := range cases {
		docs = append(docs, emulators.PolicyDocument{ID: c.name, Type: c.typ, Document: c.doc})
	}
	results, err := emulators.ValidatePolicies(context.Background(), tl, docs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		got := results[i].Findings
		switch {
		case c.want == "" && len(got) > 0:
			msg := "want none"
			if strings.HasSuffix(c.name, "(not checked)") {
				msg = "the validator checks this now: update the package documentation and this case"
			}
			t.Errorf("%s: findings %s; %s\n%s", c.name, mustJSON(got), msg, c.doc)
		case c.want != "" && !slices.ContainsFunc(got, func(f emulators.PolicyFinding) bool { return strings.Contains(f.Message, c.want) }):
			t.Errorf("%s: findings %s, want one containing %q\n%s", c.name, mustJSON(got), c.want, c.doc)
		}
	}
}
