package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// doubledPrefix returns the first line of out in which a prefix is said
// twice in a row ("template: template: ", "render env: render env: ",
// "template x.yaml: template: "), and "" when there is none.
func doubledPrefix(out string) string {
	for _, line := range strings.Split(out, "\n") {
		parts := strings.Split(strings.TrimSpace(line), ": ")
		for i := 0; i+1 < len(parts); i++ {
			a, b := parts[i], parts[i+1]
			if a == b || strings.HasPrefix(a, b+" ") || strings.HasSuffix(a, " "+b) {
				return line
			}
		}
	}
	return ""
}

// failureOutputs runs render over the invalid corpora and over failures
// of templates, charts, kustomizations and flags, and returns what each
// printed, by case.
func failureOutputs(t *testing.T) map[string]string {
	t.Helper()
	outs := map[string]string{}
	add := func(name string, args ...string) {
		r := runCLI(t, "", args...)
		if r.code == exitOK {
			t.Errorf("%s: exit 0", name)
		}
		outs[name] = r.stdout + r.stderr
	}
	prHeader := regexp.MustCompile(`(?m)^# pr: (\S+)$`)
	specs, _ := filepath.Glob(filepath.Join(repoRoot, "spec", "testdata", "invalid", "*.yaml"))
	manifests, _ := filepath.Glob(filepath.Join(repoRoot, "validate", "testdata", "invalid", "*.yaml"))
	if len(specs) < 50 || len(manifests) < 20 {
		t.Fatalf("corpora not found: %d specs, %d manifests", len(specs), len(manifests))
	}
	for _, f := range specs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pr := "123"
		if m := prHeader.FindSubmatch(b); m != nil {
			pr = string(m[1])
		}
		add("env "+filepath.Base(f), "env", "-f", f, "--pr", pr)
	}
	for _, f := range manifests {
		if strings.HasSuffix(f, ".old.yaml") {
			continue
		}
		if old := strings.TrimSuffix(f, ".yaml") + ".old.yaml"; slices.Contains(manifests, old) {
			add("validate "+filepath.Base(f), "validate", "--old", old, f)
			continue
		}
		add("validate "+filepath.Base(f), "validate", f)
	}
	web := filepath.Join(repoRoot, "examples", "web", "prenv.yaml")
	for name, tmpl := range map[string]string{
		"missing key":      "{{ .Values.nope.x }}\n",
		"parse":            "{{ if }}\n",
		"not yaml":         "a: [\n",
		"refused function": "{{ now }}\n",
		"tpl parse":        "{{ tpl \"{{ .x }\" . }}\n",
		"fail":             "{{ fail \"boom\" }}\n",
		"required":         "{{ required \"need x\" .Values.x }}\n",
	} {
		dir := t.TempDir()
		writeFile(t, dir, "configmap.yaml", tmpl)
		add("templates "+name, "env", "-f", web, "--pr", "1", "--templates", dir)
	}
	dir := t.TempDir()
	writeFile(t, dir, "k/kustomization.yaml", "resources: [missing.yaml]\n")
	writeFile(t, dir, "c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, dir, "c/templates/x.yaml", "{{ .Values.a.b }}\n")
	writeFile(t, dir, "bad.yaml", "a: [\n")
	add("kustomize missing resource", "env", "-f", web, "--pr", "1", "--kustomize", filepath.Join(dir, "k"))
	add("chart template", "env", "-f", web, "--pr", "1", "--chart", filepath.Join(dir, "c"))
	add("chart missing", "env", "-f", web, "--pr", "1", "--chart", filepath.Join(dir, "none"))
	add("values not yaml", "env", "-f", web, "--pr", "1", "--chart", filepath.Join(dir, "c"), "--values", filepath.Join(dir, "bad.yaml"))
	add("previous not yaml", "env", "-f", web, "--pr", "1", "--previous", filepath.Join(dir, "bad.yaml"))
	add("crds not yaml", "env", "-f", web, "--pr", "1", "--crds", filepath.Join(dir, "bad.yaml"))
	add("spec not yaml", "env", "-f", filepath.Join(dir, "bad.yaml"), "--pr", "1")
	add("sync spec not yaml", "sync", "-f", filepath.Join(dir, "bad.yaml"), "--prs", "1", "--output-dir", filepath.Join(dir, "out"))
	add("appset spec not yaml", "appset", "-f", filepath.Join(dir, "bad.yaml"))
	writeFile(t, dir, "own/notes.txt", "mine\n")
	add("output-dir not prenv's", "env", "-f", web, "--pr", "1", "--output-dir", filepath.Join(dir, "own"))
	add("sync output-dir not prenv's", "sync", "-f", web, "--prs", "1", "--output-dir", filepath.Join(dir, "own"))
	add("templates not a folder", "env", "-f", web, "--pr", "1", "--templates", filepath.Join(dir, "bad.yaml"))
	add("apps unlisted", "apps", "-f", web, "--pr", "1", "--branch", "b", "--head-sha", "3f786850e387550fdab836ed7e6dc881de23001b", "--title", "t", "--author", "a")
	return outs
}

// TestNoDoubledPrefixOrNil: no message says a prefix twice in a row, and
// none prints a missing field path as "<nil>".
func TestNoDoubledPrefixOrNil(t *testing.T) {
	for msg, doubled := range map[string]bool{
		"render env: template configmap.yaml: template: prenv/templates/configmap.yaml:1: x": true,
		"render env: render env: x":             true,
		"a: template: template: b":              true,
		"render env: template configmap.yaml:1": false,
		"render env: --pr \"0\": not a number":  false,
	} {
		if got := doubledPrefix(msg) != ""; got != doubled {
			t.Errorf("doubledPrefix(%q) = %v, want %v", msg, got, doubled)
		}
	}
	for name, out := range failureOutputs(t) {
		if line := doubledPrefix(out); line != "" {
			t.Errorf("%s: doubled prefix in %q", name, line)
		}
		if strings.Contains(out, "<nil>") {
			t.Errorf("%s: prints <nil>:\n%s", name, out)
		}
	}
}

// TestErrorWording pins the wording of the messages that had a doubled
// prefix or a <nil> path.
func TestErrorWording(t *testing.T) {
	web := filepath.Join(repoRoot, "examples", "web", "prenv.yaml")
	dir := t.TempDir()
	writeFile(t, dir, "configmap.yaml", "{{ .Values.nope.x }}\n")
	r := runCLI(t, "", "env", "-f", web, "--pr", "1", "--templates", dir)
	want := "render env: template configmap.yaml:1:10: executing \"prenv/templates/configmap.yaml\" at <.Values.nope.x>: map has no entry for key \"nope\"\n"
	if r.code != exitInvalid || r.stderr != want {
		t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	writeFile(t, dir, "configmap.yaml", "{{ if }}\n")
	r = runCLI(t, "", "env", "-f", web, "--pr", "1", "--templates", dir)
	want = "render env: template configmap.yaml:1: missing value for if\n"
	if r.code != exitInvalid || r.stderr != want {
		t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	for input, want := range map[string]string{
		"":      "-: invalid spec, 1 problem(s):\n  (file): Required value: the spec is empty\n",
		"- a\n": "-: invalid spec, 1 problem(s):\n  (file): Invalid value: the spec must be a mapping with string keys\n",
	} {
		r := runCLI(t, input, "env", "-f", "-", "--pr", "1")
		if r.code != exitInvalid || r.stderr != want {
			t.Errorf("spec %q: exit %d, stderr %q, want %q", input, r.code, r.stderr, want)
		}
	}
}

// TestMessagePrefixes: every message a command prints that starts with
// "render" names the command ("render env: ..."), never plain "render:".
func TestMessagePrefixes(t *testing.T) {
	cmds := commands()
	bad := regexp.MustCompile(`(?m)^render( [a-z]+)?:`)
	for name, out := range failureOutputs(t) {
		cmd, _, _ := strings.Cut(name, " ")
		if _, ok := cmds[cmd]; !ok {
			cmd = "env" // templates, chart, kustomize, ... cases
		}
		for _, m := range bad.FindAllString(out, -1) {
			if m != "render "+cmd+":" {
				t.Errorf("%s: a message starts %q, not %q:\n%s", name, m, "render "+cmd+":", out)
			}
		}
	}
}

// TestSpecFileMessages: the spec of -f missing or a folder is a usage
// error (exit 2), each message exact and under the command's prefix; a
// misspelt field names its line, column and the field it likely meant.
func TestSpecFileMessages(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	misspelt := writeFile(t, dir, "prenv.yaml", strings.Replace(readFile(t, filepath.Join(repoRoot, "examples", "web", "prenv.yaml")),
		"visibilityTimeoutSeconds:", "visibiltyTimeoutSeconds:", 1))
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"env", "-f", missing, "--pr", "1"}, exitUsage, "render env: " + missing + ": no such file or directory\n"},
		{[]string{"env", "-f", dir, "--pr", "1"}, exitUsage, "render env: " + dir + ": not a regular file but a folder; only regular files are read\n"},
		{[]string{"appset", "-f", dir}, exitUsage, "render appset: " + dir + ": not a regular file but a folder; only regular files are read\n"},
		{[]string{"diff", "--base-spec", missing, "-f", misspelt, "--pr", "1"}, exitUsage, "render diff: " + missing + ": no such file or directory\n"},
		{[]string{"env", "-f", misspelt, "--pr", "1"}, exitInvalid, misspelt + ": invalid spec, 1 problem(s):\n" +
			"  spec.sqs.queues[0].visibiltyTimeoutSeconds: Forbidden: line 35, column 7: unknown field; did you mean \"visibilityTimeoutSeconds\"?\n"},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != tc.code || r.stderr != tc.stderr || r.stdout != "" {
			t.Errorf("%q: exit %d, stderr %q; want exit %d, %q", tc.args, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
}
