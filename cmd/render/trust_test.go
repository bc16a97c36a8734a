package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
)

const (
	trustSHA = "3f786850e387550fdab836ed7e6dc881de23001b"
	// sameTail ends the refusal of a field that must be the base branch's.
	sameTail = ": a pull request cannot change who the env is or what it may reach; merge this change to the base branch first, where the platform's reviewers see it\n"
)

// changedSpec writes a copy of the spec src with each old string replaced by
// its new one (each must be there), as a pull request would change it,
// and returns its path.
func changedSpec(t *testing.T, src string, oldNew ...string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			t.Fatalf("%s has no %q", src, oldNew[i])
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	return writeFile(t, t.TempDir(), "prenv.yaml", s)
}

// trustCase is a pull request that changes a trusted field of web, and
// what every command says of it.
type trustCase struct {
	name   string
	src    string   // the base branch's spec
	change []string // old, new, ... in src
	want   []string // the problems, each a line without its indent
}

func trustCases() []trustCase {
	return []trustCase{
		{"another app's name, retained", webSpec,
			[]string{"name: web\n", "name: payments\n", "deletionPolicy: delete", "deletionPolicy: retain"},
			[]string{`metadata.name: Forbidden: differs from the base branch ("web" there)`, `spec.deletionPolicy: Forbidden: differs from the base branch ("delete" there)`}},
		{"another cluster's identity provider", webSpec,
			[]string{"id/EXAMPLED539D4633E53DE1B71EXAMPLE", "id/OTHER"},
			[]string{`spec.aws.oidcProviderURL: Forbidden: differs from the base branch ("oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" there)`}},
		{"another team's DNS zone", webSpec,
			[]string{"zone: preview.example.com", "zone: payments.example.com"},
			[]string{`spec.dns.zone: Forbidden: differs from the base branch ("preview.example.com" there)`}},
		{"another app's AppProject", webSpec,
			[]string{"project: previews-web", "project: previews-payments"},
			[]string{`spec.argocd.project: Forbidden: differs from the base branch ("previews-web" there)`}},
		{"the SCM API and Argo CD's own secret", webSpec,
			[]string{"tokenSecret: {name: github-token, key: token}", "api: https://scm.attacker.example.com\n        tokenSecret: {name: argocd-secret, key: admin.password}",
				"privateKey: $github-privateKey", "privateKey: $github-privateKey\n        enterpriseBaseURL: https://scm.attacker.example.com/api/v3"},
			[]string{
				`spec.argocd.pullRequests.github.api: Forbidden: differs from the base branch (unset there)`,
				`spec.argocd.pullRequests.github.tokenSecret.key: Forbidden: differs from the base branch ("token" there)`,
				`spec.argocd.pullRequests.github.tokenSecret.name: Forbidden: differs from the base branch ("github-token" there)`,
				`spec.argocd.notifications.github.enterpriseBaseURL: Forbidden: differs from the base branch (unset there)`,
			}},
		{"AdministratorAccess attached", webSpec,
			[]string{"maxSessionDuration: 3600", "maxSessionDuration: 3600\n    managedPolicyARNs: [arn:aws:iam::aws:policy/AdministratorAccess]"},
			nil},
	}
}

// wantTrust is what a command prints on standard error for tc.
func wantTrust(file string, tc trustCase) string {
	if tc.want == nil {
		return file + ": changes what only the base branch may change, 1 problem(s):\n" +
			`  spec.iam.managedPolicyARNs[0]: Forbidden: "arn:aws:iam::aws:policy/AdministratorAccess" is not attached on the base branch, and it is an AWS-managed administrator policy: a pull request may drop managed policies, not attach new ones; merge this change to the base branch first, where the platform's reviewers see it` + "\n"
	}
	var b strings.Builder
	b.WriteString(file + ": changes what only the base branch may change, " + strconv.Itoa(len(tc.want)) + " problem(s):\n")
	for _, w := range tc.want {
		b.WriteString("  " + w + sameTail)
	}
	return b.String()
}

// TestBaseSpecRefuses: render env, appset, apps and sync, given the base
// branch's spec, refuse a pull request's spec that changes each kind of
// trusted field, at its path, with the base branch's value and the way
// out, exit 1, and print nothing.
func TestBaseSpecRefuses(t *testing.T) {
	for _, tc := range trustCases() {
		t.Run(tc.name, func(t *testing.T) {
			head := changedSpec(t, tc.src, tc.change...)
			want := wantTrust(head, tc)
			out := filepath.Join(t.TempDir(), "tree")
			for _, args := range [][]string{
				{"env", "-f", head, "--pr", "7", "--base-spec", tc.src},
				{"appset", "-f", head, "--base-spec", tc.src},
				{"apps", "-f", head, "--base-spec", tc.src, "--pr", "7", "--branch", "feature/x", "--head-sha", trustSHA, "--title", "t", "--author", "a", "--ignore-filters"},
			} {
				r := runCLI(t, "", args...)
				if r.code != exitInvalid || r.stdout != "" {
					t.Errorf("%s: exit %d, stdout %d bytes; want exit 1 and nothing", args[0], r.code, len(r.stdout))
				}
				if diff := cmp.Diff(want, r.stderr); diff != "" {
					t.Errorf("%s: stderr (-want +got):\n%s", args[0], diff)
				}
			}
			r := runCLI(t, "", "sync", "-f", head, "--base-spec", tc.src, "--prs", "7,8", "--output-dir", out)
			app := "web"
			if strings.Contains(strings.Join(tc.change, " "), "name: payments") {
				app = "payments"
			}
			var wantSync strings.Builder
			for _, line := range strings.Split(strings.TrimSuffix(want, "\n"), "\n")[1:] {
				wantSync.WriteString("  " + app + " (every PR): " + strings.TrimPrefix(line, "  ") + "\n")
			}
			wantSync.WriteString("render sync: 1 env(s) failed (" + strconv.Itoa(strings.Count(want, "\n")-1) + " problem(s) above); nothing in " + out + " changed\n")
			if r.code != exitInvalid || r.stdout != "" {
				t.Errorf("sync: exit %d, stdout %q", r.code, r.stdout)
			}
			if diff := cmp.Diff(wantSync.String(), r.stderr); diff != "" {
				t.Errorf("sync: stderr (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("sync wrote the tree")
			}
		})
	}
}

// TestBaseSpecSame: a spec equal to the base in its trusted fields (the
// base itself, or one that changes what a pull request may) renders as it
// does without --base-spec, and render.Render with Options.Base prints
// the same bytes as render env --base-spec.
func TestBaseSpecSame(t *testing.T) {
	head := changedSpec(t, webSpec, "visibilityTimeoutSeconds: 30", "visibilityTimeoutSeconds: 45")
	for _, args := range [][]string{
		{"env", "-f", head, "--pr", "7"},
		{"appset", "-f", head},
		{"apps", "-f", head, "--pr", "7", "--branch", "feature/x", "--head-sha", trustSHA, "--title", "t", "--author", "a", "--label", "preview"},
		{"appset", "-f", previewsSpec, "--sidecar"},
	} {
		plain := runCLI(t, "", args...)
		base := args[2]
		if args[2] == head {
			base = webSpec
		}
		with := runCLI(t, "", append(args, "--base-spec", base)...)
		if plain.code != exitOK || with.code != exitOK || with.stderr != "" {
			t.Fatalf("%s: exit %d and %d with --base-spec: %s%s", args[0], plain.code, with.code, plain.stderr, with.stderr)
		}
		if plain.stdout != with.stdout {
			t.Errorf("%s: the output differs with --base-spec", args[0])
		}
	}
	// The library, as render env --base-spec runs it.
	load := func(name string) *spec.PreviewEnvironment {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		env, err := spec.Load(data)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	out, err := render.Render(context.Background(), load(head), 7, render.Options{Base: []*trust.Fields{trust.Of(load(webSpec))}})
	if err != nil {
		t.Fatal(err)
	}
	y, _ := out.YAML()
	if cli := runCLI(t, "", "env", "-f", head, "--pr", "7", "--base-spec", webSpec); string(y) != cli.stdout {
		t.Error("render.Render with Options.Base and render env --base-spec differ")
	}
	// sync: the specs of a folder against the base's folder.
	tree := filepath.Join(t.TempDir(), "tree")
	if r := runCLI(t, "", "sync", "-f", head, "--base-spec", filepath.Dir(webSpec), "--prs", "7", "--output-dir", tree); r.code != exitOK {
		t.Errorf("sync: exit %d: %s", r.code, r.stderr)
	}
}

// TestBaseSpecNewApp: a pull request that adds an app has no spec on the
// base branch; --base-spec of a file that does not exist, or of a folder
// without one, refuses it with the way out.
func TestBaseSpecNewApp(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "prenv.yaml")
	r := runCLI(t, "", "env", "-f", webSpec, "--pr", "7", "--base-spec", missing)
	want := "render env: --base-spec: " + missing + ": no such file or directory: " + noBaseSpec + "\n"
	if r.code != exitInvalid || r.stdout != "" || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, want)
	}
	empty := t.TempDir()
	tree := filepath.Join(t.TempDir(), "tree")
	r = runCLI(t, "", "sync", "-f", webSpec, "--base-spec", empty, "--prs", "7", "--output-dir", tree)
	want = `  web (every PR): metadata.name: Forbidden: the base branch has no spec of the app "web": a pull request cannot add an app or take another's name; merge its prenv.yaml to the base branch first, where the platform's reviewers see it` + "\n" +
		"render sync: 1 env(s) failed (1 problem(s) above); nothing in " + tree + " changed\n"
	if r.code != exitInvalid || r.stderr != want {
		t.Errorf("sync: exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, want)
	}
}

// TestBaseSpecUsage: standard input is read once; --base-spec and
// --base-values exclude each other; a base that is not a spec is invalid
// input.
func TestBaseSpecUsage(t *testing.T) {
	spec, _ := os.ReadFile(webSpec)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"env", "-f", "-", "--pr", "7", "--base-spec", "-"}, exitUsage, "render env: standard input (-) can be read only once\n"},
		{[]string{"apps", "-f", "-", "--base-spec", "-", "--pr", "7", "--branch", "b", "--head-sha", trustSHA}, exitUsage, "render apps: standard input (-) can be read only once\n"},
		{[]string{"sync", "-f", "-", "--base-spec", "-", "--prs", "7", "--output-dir", t.TempDir()}, exitUsage, "render sync: standard input (-) can be read only once\n"},
		{[]string{"env", "-f", webSpec, "--pr", "7", "--base-spec", webSpec, "--base-values", "eyJ9"}, exitUsage, "render env: --base-spec and --base-values both give the base branch's trusted fields: give one\n"},
		{[]string{"env", "-f", webSpec, "--pr", "7", "--base-spec", webSpec, "--base-spec", webSpec}, exitUsage, "render env: --base-spec given 2 times"},
		{[]string{"env", "-f", webSpec, "--pr", "7", "--base-values", "bm90IEpTT04="}, exitInvalid, "render env: --base-values: the base branch's trusted fields: invalid character"},
		{[]string{"env", "-f", webSpec, "--pr", "7", "--base-values", ""}, exitInvalid, "render env: --base-values: the base branch's trusted fields: empty (is the Application's plugin env PRENV_BASE set?)\n"},
		// A folder of the base branch's specs: web is looked up among them.
		{[]string{"env", "-f", "-", "--pr", "7", "--base-spec", "../../examples"}, exitOK, ""},
	} {
		r := runCLI(t, string(spec), tc.args...)
		if r.code != tc.code || !strings.HasPrefix(r.stderr, tc.stderr) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tc.args, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
	bad := changedSpec(t, webSpec, "prefix: test", "prefix: [test]")
	r := runCLI(t, "", "env", "-f", webSpec, "--pr", "7", "--base-spec", bad)
	if want := "--base-spec " + bad + ": invalid spec, 1 problem(s):\n  spec.prefix: Invalid value: must be of type string, not list\n"; r.code != exitInvalid || r.stderr != want {
		t.Errorf("a base that is not a spec: exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, want)
	}
}

// TestPluginFlowBase: the plugin flow as Argo CD runs it. The Application
// that render apps computes from the base branch's ApplicationSet carries
// the trusted fields in its plugin env PRENV_BASE; render env
// --base-values with that value (what the plugin's script passes) renders
// the pull request's head as render env alone does, and refuses a head
// that changes a trusted field, as --base-spec would.
func TestPluginFlowBase(t *testing.T) {
	r := runCLI(t, "", "apps", "-f", previewsSpec, "--pr", "123", "--branch", "feature/x", "--head-sha", trustSHA, "--title", "t", "--author", "a", "--label", "preview")
	if r.code != exitOK {
		t.Fatalf("render apps: exit %d: %s", r.code, r.stderr)
	}
	var app struct {
		Spec struct {
			Source struct {
				Plugin struct {
					Env []struct{ Name, Value string }
				}
			}
		}
	}
	if err := yaml.Unmarshal([]byte(r.stdout), &app); err != nil {
		t.Fatal(err)
	}
	value := ""
	for _, e := range app.Spec.Source.Plugin.Env {
		if e.Name == argocd.PluginEnvBase {
			value = e.Value
		}
	}
	if value == "" {
		t.Fatalf("the Application has no plugin env %s:\n%s", argocd.PluginEnvBase, r.stdout)
	}
	plain := runCLI(t, "", "env", "-f", previewsSpec, "--pr", "123")
	with := runCLI(t, "", "env", "-f", previewsSpec, "--pr", "123", "--base-values", value)
	if with.code != exitOK || with.stdout != plain.stdout {
		t.Errorf("the head equal to the base: exit %d, stderr %s, same output %v", with.code, with.stderr, with.stdout == plain.stdout)
	}
	for _, tc := range []trustCase{
		{"another cluster's identity provider", previewsSpec, []string{"id/EXAMPLE0A1B2C3D4E5F60718293A4B5C", "id/OTHER"},
			[]string{`spec.aws.oidcProviderURL: Forbidden: differs from the base branch ("oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0A1B2C3D4E5F60718293A4B5C" there)`}},
		{"the plugin's sidecar image", previewsSpec, []string{"image: registry.example.com/platform/prenv-cmp:v0.1.0", "image: attacker.example.com/shell:latest"},
			[]string{`spec.argocd.source.plugin.image: Forbidden: differs from the base branch ("registry.example.com/platform/prenv-cmp:v0.1.0" there)`}},
		{"another app's name", previewsSpec, []string{"name: orders\n", "name: payments\n", "project: previews-orders", "project: previews-payments"},
			[]string{`metadata.name: Forbidden: differs from the base branch ("orders" there)`, `spec.argocd.project: Forbidden: differs from the base branch ("previews-orders" there)`}},
	} {
		head := changedSpec(t, tc.src, tc.change...)
		r := runCLI(t, "", "env", "-f", head, "--pr", "123", "--base-values", value)
		if r.code != exitInvalid || r.stdout != "" {
			t.Errorf("%s: exit %d, stdout %d bytes", tc.name, r.code, len(r.stdout))
		}
		if diff := cmp.Diff(wantTrust(head, tc), r.stderr); diff != "" {
			t.Errorf("%s: stderr (-want +got):\n%s", tc.name, diff)
		}
		// render appset --sidecar from such a head is refused too.
		if tc.name == "the plugin's sidecar image" {
			if r := runCLI(t, "", "appset", "-f", head, "--sidecar", "--base-spec", previewsSpec); r.code != exitInvalid || r.stderr != wantTrust(head, tc) {
				t.Errorf("appset --sidecar: exit %d, stderr %q", r.code, r.stderr)
			}
		}
	}
}
