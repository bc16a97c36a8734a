package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecErrorsPointAtTheMistake: what render env prints for a spec that
// is not YAML, an account ID that is not 12 digits as written and a
// misspelt region: the file, then the line and column or the field path,
// and never "<nil>".
func TestSpecErrorsPointAtTheMistake(t *testing.T) {
	dir := t.TempDir()
	good := "apiVersion: prenv.dev/v1alpha1\nkind: PreviewEnvironment\nmetadata: {name: web}\nspec:\n  prefix: test\n  aws:\n    accountID: \"123456789012\"\n    region: eu-west-1\n    oidcProviderURL: oidc.eks.eu-west-1.amazonaws.com/id/X\n"
	tests := map[string]struct {
		spec string
		set  []string
		want string
	}{
		"bad indent": {strings.Replace(good, "    region:", "   region:", 1), nil,
			"prenv.yaml: invalid spec, 1 problem(s):\n  line 8, column 4: Invalid value: not valid YAML: did not find expected key\n"},
		"empty file": {"", nil,
			"prenv.yaml: invalid spec, 1 problem(s):\n  (file): Required value: the spec is empty\n"},
		"unquoted short account ID": {strings.Replace(good, `"123456789012"`, "5", 1), nil,
			`prenv.yaml: invalid spec, 1 problem(s):` + "\n" + `  spec.aws.accountID: Invalid value: "5": line 7: an unquoted account ID must be exactly 12 digits; quote the account ID, as in accountID: "012345678901", so that it is read as the 12 digits written` + "\n"},
		"--set short account ID": {good, []string{"--set", "spec.aws.accountID=12345"},
			`prenv.yaml: invalid spec, 1 problem(s):` + "\n" + `  spec.aws.accountID: Invalid value: "12345": a number as account ID must be exactly 12 digits; give all 12 digits, or use --set-string spec.aws.accountID=... so that the value is read as written` + "\n"},
		"misspelt region": {strings.Replace(good, "eu-west-1\n", "eu-centrl-1\n", 1), nil,
			`prenv.yaml: invalid spec, 1 problem(s):` + "\n" + `  spec.aws.region: Invalid value: "eu-centrl-1": is not a region of partition "aws" (prenv's list as of 2026-11): did you mean "eu-central-1"?; for a region newer than this list, set spec.aws.allowUnknownRegion: true` + "\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sub := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			file := writeFile(t, sub, "prenv.yaml", tc.spec)
			r := runCLI(t, "", append([]string{"env", "-f", file, "--pr", "1"}, tc.set...)...)
			want := filepath.Join(sub, tc.want)
			if r.code != exitInvalid || r.stderr != want || r.stdout != "" {
				t.Errorf("exit %d\nstderr:\n%s\nwant:\n%s", r.code, r.stderr, want)
			}
			if strings.Contains(r.stderr, "<nil>") {
				t.Errorf("prints <nil>: %s", r.stderr)
			}
		})
	}
}
