package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// diffBaseSpec is the web example, the base of the comparisons.
const diffBaseSpec = "../../examples/web/prenv.yaml"

// headSpec writes the web example with the queue's visibility timeout
// changed from 30 to 60 seconds.
func headSpec(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(diffBaseSpec)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "visibilityTimeoutSeconds: 30", "visibilityTimeoutSeconds: 60", 1)
	return writeFile(t, t.TempDir(), "prenv.yaml", s)
}

const wantDiff = `--- a/sqs.services.k8s.aws/Queue/test-7-web/jobs
+++ b/sqs.services.k8s.aws/Queue/test-7-web/jobs
@@ -21,4 +21,4 @@
     prenv.dev/env: test-7-web
     prenv.dev/pr: "7"
     team: web
-  visibilityTimeout: "30"
+  visibilityTimeout: "60"
0 added, 0 removed, 1 changed, 14 unchanged
`

// TestDiffSpecs: --base-spec renders both specs for the same PR and prints
// the one changed object as a unified diff.
func TestDiffSpecs(t *testing.T) {
	r := runCLI(t, "", "diff", "--base-spec", diffBaseSpec, "-f", headSpec(t), "--pr", "7")
	if r.code != exitOK || r.stdout != wantDiff || r.stderr != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.stdout, wantDiff, r.stderr)
	}
}

// TestDiffRenders: two renders read from files, a folder (render env
// --output-dir) and standard input give the same difference as the specs
// rendered on the fly.
func TestDiffRenders(t *testing.T) {
	dir := t.TempDir()
	base := runCLI(t, "", "env", "-f", diffBaseSpec, "--pr", "7")
	head := runCLI(t, "", "env", "-f", headSpec(t), "--pr", "7")
	if base.code != exitOK || head.code != exitOK {
		t.Fatalf("render env: %s %s", base.stderr, head.stderr)
	}
	baseFile := writeFile(t, dir, "base.yaml", base.stdout)
	headFile := writeFile(t, dir, "head.yaml", head.stdout)
	headDir := filepath.Join(dir, "head")
	if r := runCLI(t, "", "env", "-f", headSpec(t), "--pr", "7", "--output-dir", headDir); r.code != exitOK {
		t.Fatalf("render env --output-dir: %s", r.stderr)
	}
	for name, tc := range map[string]struct {
		stdin string
		args  []string
	}{
		"two files":         {"", []string{baseFile, headFile}},
		"file and folder":   {"", []string{baseFile, headDir}},
		"standard input":    {base.stdout, []string{"-", headFile}},
		"flags after files": {"", []string{baseFile, headFile, "-o", "text"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, append([]string{"diff"}, tc.args...)...)
			if r.code != exitOK || r.stdout != wantDiff {
				t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.stdout, wantDiff, r.stderr)
			}
		})
	}
}

// TestDiffJSON: -o json lists every object with its status, and the
// changed one with the paths of its changed fields.
func TestDiffJSON(t *testing.T) {
	r := runCLI(t, "", "diff", "-o", "json", "--base-spec", diffBaseSpec, "-f", headSpec(t), "--pr", "7")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		Added, Removed, Changed, Unchanged int
		Objects                            []struct {
			Group, Kind, Namespace, Name, Status, Diff string
			Fields                                     []string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Added != 0 || got.Removed != 0 || got.Changed != 1 || got.Unchanged != 14 || len(got.Objects) != 15 {
		t.Fatalf("counts: %+v", got)
	}
	var changed []string
	for _, o := range got.Objects {
		if o.Status == "changed" {
			changed = append(changed, o.Group+"/"+o.Kind+"/"+o.Namespace+"/"+o.Name+" "+strings.Join(o.Fields, ","))
		}
	}
	if want := "sqs.services.k8s.aws/Queue/test-7-web/jobs spec.visibilityTimeout"; len(changed) != 1 || changed[0] != want {
		t.Errorf("changed %q, want [%s]", changed, want)
	}
}

// TestDiffErrors: usage errors are exit 2 and name the problem; a spec
// with problems is exit 1 and names its file.
func TestDiffErrors(t *testing.T) {
	bad := writeFile(t, t.TempDir(), "bad.yaml", "apiVersion: prenv.dev/v1alpha1\nkind: PreviewEnvironment\nmetadata: {name: web}\nspec:\n  prefix: test\n  aws: {accountID: 5, region: eu-west-1, oidcProviderURL: oidc.example.com}\n")
	tests := map[string]struct {
		args []string
		code int
		want string
	}{
		"one render":                      {[]string{"diff", diffBaseSpec}, exitUsage, "give BASE and HEAD"},
		"base spec, no pr":                {[]string{"diff", "--base-spec", diffBaseSpec, "-f", diffBaseSpec}, exitUsage, "--base-spec needs -f SPEC and --pr N"},
		"base spec and files":             {[]string{"diff", "--base-spec", diffBaseSpec, "-f", diffBaseSpec, "--pr", "1", "a", "b"}, exitUsage, "takes no BASE or HEAD"},
		"--set without specs":             {[]string{"diff", "--set", "spec.prefix=x", "a", "b"}, exitUsage, "go with --base-spec"},
		"--allow-unbounded without specs": {[]string{"diff", "--allow-unbounded", "a", "b"}, exitUsage, "--templates and --allow-unbounded go with --base-spec"},
		"pr 0":                            {[]string{"diff", "--base-spec", diffBaseSpec, "-f", diffBaseSpec, "--pr", "0"}, exitUsage, "not a pull-request number"},
		"pr 007":                          {[]string{"diff", "--base-spec", diffBaseSpec, "-f", diffBaseSpec, "--pr", "007"}, exitUsage, "not a pull-request number"},
		"pr +5":                           {[]string{"diff", "--base-spec", diffBaseSpec, "-f", diffBaseSpec, "--pr", "+5"}, exitUsage, "not a pull-request number"},
		"pr too large":                    {[]string{"diff", "--base-spec", diffBaseSpec, "-f", diffBaseSpec, "--pr", "2147483648"}, exitUsage, "not a pull-request number"},
		"bad output":                      {[]string{"diff", "-o", "yaml", "a", "b"}, exitUsage, `-o "yaml": must be text or json`},
		"missing file":                    {[]string{"diff", "does-not-exist.yaml", diffBaseSpec}, exitUsage, "does-not-exist.yaml"},
		"invalid base spec":               {[]string{"diff", "--base-spec", bad, "-f", diffBaseSpec, "--pr", "1"}, exitInvalid, bad + ": invalid spec"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("exit %d (want %d)\nstderr: %s\nwant it to contain %q", r.code, tc.code, r.stderr, tc.want)
			}
		})
	}
}
