package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"prenv.dev/prenv/manifest"
)

// TestHelpOnStdout: help asked for goes to standard output with exit 0;
// help after a usage error goes to standard error with exit 2.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := runCLI(t, "", args...)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "usage: render COMMAND [flags]\n") || r.stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	for name := range commands() {
		asked := runCLI(t, "", "help", name)
		if asked.code != exitOK || !strings.HasPrefix(asked.stdout, "usage: render "+name) || asked.stderr != "" {
			t.Errorf("help %s: exit %d, stdout %q, stderr %q", name, asked.code, asked.stdout, asked.stderr)
		}
		if name == "help" {
			continue
		}
		for _, h := range []string{"-h", "--help"} {
			r := runCLI(t, "", name, h)
			if r.code != exitOK || r.stdout != asked.stdout || r.stderr != "" {
				t.Errorf("%s %s: exit %d, stderr %q, stdout differs from render help %s:\n%s", name, h, r.code, r.stderr, name, r.stdout)
			}
		}
	}
	for name, tc := range map[string]struct {
		args   []string
		stderr string
	}{
		"no command":      {nil, "render: no command given\nusage: render COMMAND [flags]\n"},
		"unknown command": {[]string{"envs"}, "render: unknown command \"envs\"\nusage: render COMMAND [flags]\n"},
		"help unknown":    {[]string{"help", "envs"}, "render help: unknown command \"envs\"\nusage: render COMMAND [flags]\n"},
		"help two":        {[]string{"help", "env", "apps"}, "render help: takes one COMMAND, got [\"env\" \"apps\"]\nRun \"render help help\" for usage.\n"},
		"unknown flag":    {[]string{"schema", "--nope"}, "render schema: unknown flag --nope\nRun \"render help schema\" for usage.\n"},
		"extra argument":  {[]string{"schema", "x"}, "render schema: unexpected arguments [\"x\"] (this command takes flags only)\nRun \"render help schema\" for usage.\n"},
		"bad bool":        {[]string{"env", "--helm-values=maybe"}, "render env: --helm-values \"maybe\": parse error\nRun \"render help env\" for usage.\n"},
		"sync no dir":     {[]string{"sync", "-f", syncWebSpec, "--prs", "1"}, "render sync: --output-dir DIR is required\n"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != exitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and stderr starting %q", r.code, r.stdout, r.stderr, tc.stderr)
			}
		})
	}
}

// commandFlags returns each command's help text and its registered flags,
// as the command itself registers them.
func commandFlags(t *testing.T) map[string]struct {
	help  string
	flags []string
} {
	t.Helper()
	out := map[string]struct {
		help  string
		flags []string
	}{}
	for name, c := range commands() {
		var stdout strings.Builder
		var flags []string
		con := console{Writer: io.Discard, stdout: &stdout, flagSets: func(fs *flag.FlagSet) {
			fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f.Name) })
		}}
		if code := c.run(context.Background(), []string{"-h"}, strings.NewReader(""), io.Discard, con); code != exitOK {
			t.Fatalf("%s -h: exit %d", name, code)
		}
		out[name] = struct {
			help  string
			flags []string
		}{stdout.String(), flags}
	}
	return out
}

// TestHelpDocumentsEveryFlag: every flag a command registers is in its
// help as users write it (--name, -f), with its usage; every command has
// examples and exit codes; no value is named by its Go type.
func TestHelpDocumentsEveryFlag(t *testing.T) {
	hs := helps()
	for name, c := range commandFlags(t) {
		h, ok := hs[name]
		if !ok || h.about == "" || len(h.examples) == 0 || len(h.exits) == 0 {
			t.Errorf("%s: no help text, examples or exit codes in helps()", name)
		}
		for _, e := range h.examples {
			if !strings.HasPrefix(e, "render "+name) && !strings.Contains(e, "| render "+name) && !strings.Contains(e, "&& render "+name) {
				t.Errorf("%s: example %q does not run render %s", name, e, name)
			}
		}
		for _, want := range []string{"\nexamples:\n", "\nexit codes:\n  0  "} {
			if !strings.Contains(c.help, want) {
				t.Errorf("%s: help lacks %q:\n%s", name, want, c.help)
			}
		}
		for _, f := range c.flags {
			if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(flagName(f)) + `( \S+|$)`).MatchString(c.help) {
				t.Errorf("%s: help does not list %s:\n%s", name, flagName(f), c.help)
			}
		}
		if regexp.MustCompile(`(?m)^  -[a-z][a-z-]+`).MatchString(c.help) {
			t.Errorf("%s: help spells a long flag with one dash:\n%s", name, c.help)
		}
		if regexp.MustCompile(`(?m)^  -\S+ VALUE$`).MatchString(c.help) {
			t.Errorf("%s: a flag's value has no name (give its usage a `NAME`):\n%s", name, c.help)
		}
	}
}

// TestDocsNameEveryFlag: the README or a page of docs/ names every flag
// of every command.
func TestDocsNameEveryFlag(t *testing.T) {
	pages, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	var docs []byte
	for _, p := range append([]string{filepath.Join("..", "..", "README.md")}, pages...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b...)
	}
	var missing []string
	for name, c := range commandFlags(t) {
		for _, f := range c.flags {
			if !regexp.MustCompile(regexp.QuoteMeta(flagName(f)) + `\b`).Match(docs) {
				missing = append(missing, "render "+name+" "+flagName(f))
			}
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("neither README.md nor docs/ names these flags:\n%s", strings.Join(missing, "\n"))
	}
}

// TestPRFlag: every bad --pr is the same usage error naming the flag.
func TestPRFlag(t *testing.T) {
	const sha = "3f786850e387550fdab836ed7e6dc881de23001b"
	rule := "not a pull-request number (a whole number from 1 to 2147483647, without sign or leading zero)"
	for _, v := range []string{"0", "abc", "007", "-1", "+1", "2147483648", "1.5", ""} {
		for _, cmd := range [][]string{
			{"env", "-f", syncWebSpec},
			{"apps", "-f", syncWebSpec, "--branch", "b", "--head-sha", sha},
		} {
			r := runCLI(t, "", append(cmd, "--pr", v)...)
			want := "render " + cmd[0] + ": --pr \"" + v + "\": " + rule + "\nRun \"render help " + cmd[0] + "\" for usage.\n"
			if r.code != exitUsage || r.stderr != want || r.stdout != "" {
				t.Errorf("%s --pr %q: exit %d, stderr %q; want exit 2, %q", cmd[0], v, r.code, r.stderr, want)
			}
		}
	}
	if r := runCLI(t, "", "env", "-f", syncWebSpec, "--pr", "2147483647"); r.code != exitOK {
		t.Errorf("--pr 2147483647: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestRepeatedFlag: a flag that takes one value, given twice, is a usage
// error; a repeatable one is not.
func TestRepeatedFlag(t *testing.T) {
	for name, tc := range map[string]struct {
		args   []string
		stderr string
	}{
		"--pr twice": {[]string{"env", "-f", syncWebSpec, "--pr", "1", "--pr", "2"},
			"render env: --pr given 2 times (\"1\", then \"2\"): it takes one value\nRun \"render help env\" for usage.\n"},
		"-f twice": {[]string{"env", "-f", "a.yaml", "-f", "b.yaml", "--pr", "1"},
			"render env: -f given 2 times (\"a.yaml\", then \"b.yaml\"): it takes one value\nRun \"render help env\" for usage.\n"},
		"bool twice and -o": {[]string{"validate", "--list-crds", "--list-crds", "-o", "json", "-o", "text", "x.yaml"},
			"render validate: --list-crds given 2 times (\"true\", then \"true\"): it takes one value; -o given 2 times (\"json\", then \"text\"): it takes one value\nRun \"render help validate\" for usage.\n"},
		"three times": {[]string{"apps", "--branch", "a", "--branch", "b", "--branch", "c"},
			"render apps: --branch given 3 times (\"a\", then \"b\"): it takes one value\nRun \"render help apps\" for usage.\n"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != exitUsage || r.stderr != tc.stderr || r.stdout != "" {
				t.Errorf("exit %d, stderr %q; want exit 2, %q", r.code, r.stderr, tc.stderr)
			}
		})
	}
	r := runCLI(t, "", "env", "-f", syncWebSpec, "--pr", "1", "--set", "spec.prefix=a", "--set", "spec.prefix=b")
	if r.code != exitOK || !strings.Contains(r.stdout, "name: b-1-web\n") {
		t.Errorf("repeated --set: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	for name, tc := range map[string]struct {
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		"no build info": {nil, false, "render: no build information (a binary built without module support)\n"},
		"go run": {&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "prenv.dev/prenv", Version: "(devel)"}}, true,
			"render prenv.dev/prenv (devel)\nrevision: unknown (not built in a version-controlled checkout, or with -buildvcs=false, go run or go test)\ngo: go1.26.8\n"},
		"checkout, modified": {&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "prenv.dev/prenv", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "54f736b0c2f1e1a0b9d8c7e6f5a4b3c2d1e0f9a8"},
				{Key: "vcs.time", Value: "2026-11-28T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true,
			"render prenv.dev/prenv (devel)\nrevision: 54f736b0c2f1e1a0b9d8c7e6f5a4b3c2d1e0f9a8 (modified: uncommitted changes)\ntime: 2026-11-28T10:00:00Z\ngo: go1.26.8\n"},
		"tagged module": {&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "prenv.dev/prenv", Version: "v0.2.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}, true,
			"render prenv.dev/prenv v0.2.0\nrevision: abc\ngo: go1.26.8\n"},
	} {
		if got := versionText(tc.bi, tc.ok); got != tc.want {
			t.Errorf("%s: got\n%q\nwant\n%q", name, got, tc.want)
		}
	}
	a, b := runCLI(t, "", "version"), runCLI(t, "", "--version")
	if a.code != exitOK || a.stdout != b.stdout || !strings.HasPrefix(a.stdout, "render prenv.dev/prenv ") || a.stderr != "" {
		t.Errorf("version: exit %d %q; --version %q", a.code, a.stdout, b.stdout)
	}
}

// TestOutputJSON: -o json prints the same objects as YAML: env a v1 List,
// apps the Application itself; other formats are usage errors, and so is
// -o json with what writes YAML.
func TestOutputJSON(t *testing.T) {
	const sha = "3f786850e387550fdab836ed7e6dc881de23001b"
	compact := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, args := range map[string][]string{
		"env":  {"env", "-f", syncWebSpec, "--pr", "123"},
		"apps": {"apps", "-f", syncWebSpec, "--pr", "123", "--branch", "feature/x", "--head-sha", sha, "--title", "T <&>", "--author", "a", "--label", "preview"},
	} {
		y := runCLI(t, "", args...)
		j := runCLI(t, "", append(args, "-o", "json")...)
		if y.code != exitOK || j.code != exitOK {
			t.Fatalf("%s: exit %d / %d: %s%s", name, y.code, j.code, y.stderr, j.stderr)
		}
		objs, err := manifest.ParseObjects([]byte(y.stdout))
		if err != nil {
			t.Fatal(err)
		}
		var want []any
		for _, o := range objs {
			want = append(want, o.Object)
		}
		var got any
		if err := json.Unmarshal([]byte(j.stdout), &got); err != nil {
			t.Fatalf("%s -o json: %v\n%s", name, err, j.stdout)
		}
		if name == "env" {
			l, _ := got.(map[string]any)
			if l["apiVersion"] != "v1" || l["kind"] != "List" || len(l) != 3 {
				t.Errorf("env -o json is not a v1 List: %.200s", j.stdout)
			}
			got = l["items"]
		} else {
			got = []any{got}
			if !strings.Contains(j.stdout, `"value": "#123: T <&>"`) {
				t.Errorf("apps -o json escapes text:\n%s", j.stdout)
			}
		}
		if compact(got) != compact(want) {
			t.Errorf("%s: -o json differs from the YAML output:\n%s\n%s", name, compact(got), compact(want))
		}
	}
	for name, tc := range map[string]struct {
		args   []string
		stderr string
	}{
		"env -o xml":         {[]string{"env", "-f", syncWebSpec, "--pr", "1", "-o", "xml"}, "render env: -o \"xml\": must be yaml or json\n"},
		"apps -o text":       {[]string{"apps", "-o", "text"}, "render apps: -o \"text\": must be yaml or json\n"},
		"json and outputdir": {[]string{"env", "-f", syncWebSpec, "--pr", "1", "-o", "json", "--output-dir", "x"}, "render env: -o json prints the objects on standard output; --output-dir and --helm-values write YAML\n"},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, tc.stderr) {
			t.Errorf("%s: exit %d, stderr %q, want %q", name, r.code, r.stderr, tc.stderr)
		}
	}
}

// TestSetIsForTheSpec: a --set path outside the spec (a chart value, say)
// is a usage error that says what --set sets and how chart values are set.
func TestSetIsForTheSpec(t *testing.T) {
	const what = ": --set and --set-string set fields of the spec, so the path starts with spec. (or metadata., apiVersion, kind), for example spec.prefix=pr"
	const chart = "; a value of an app chart (--chart) goes in a values file: --values FILE, merged as helm's -f"
	for name, tc := range map[string]struct {
		args   []string
		stderr string
	}{
		"chart value with --chart": {[]string{"env", "-f", syncWebSpec, "--pr", "1", "--chart", "../../charts/preview-app", "--set", "image.tag=x"},
			"render env: --set image.tag=x" + what + chart + "\n"},
		"second assignment": {[]string{"env", "-f", syncWebSpec, "--pr", "1", "--set", `spec.prefix=a,spec.labels.x=a\,b,replicas=2`},
			"render env: --set replicas=2" + what + chart + "\n"},
		"set-string in apps": {[]string{"apps", "-f", syncWebSpec, "--set-string", "image[0]=x"},
			"render apps: --set-string image[0]=x" + what + "\n"},
		"sync": {[]string{"sync", "-f", syncWebSpec, "--prs", "1", "--output-dir", "x", "--set", "values.a=1"},
			"render sync: --set values.a=1" + what + "\n"},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, tc.stderr) {
			t.Errorf("%s: exit %d, stderr %q, want %q", name, r.code, r.stderr, tc.stderr)
		}
	}
	r := runCLI(t, "", "env", "-f", syncWebSpec, "--pr", "1", "--set", "spec.labels={a,b},metadata.name=shop")
	if r.code != exitInvalid || !strings.Contains(r.stderr, "spec.labels") {
		t.Errorf("spec paths reach the spec: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestKustomizeListsRendered: a kustomization that lists the file prenv
// adds is told that prenv adds it.
func TestKustomizeListsRendered(t *testing.T) {
	for _, entry := range []string{"prenv-rendered.yaml", "./prenv-rendered.yaml"} {
		dir := t.TempDir()
		writeFile(t, dir, "kustomization.yaml", "resources:\n- svc.yaml\n- "+entry+"\n")
		writeFile(t, dir, "svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n")
		r := runCLI(t, "", "env", "-f", syncWebSpec, "--pr", "1", "--kustomize", dir)
		want := "render env: kustomize " + dir + ": kustomization.yaml: resources[1]: Invalid value: \"" + entry +
			"\": prenv adds the rendered objects to the resources itself, as prenv-rendered.yaml; remove this entry\n"
		if r.code != exitInvalid || r.stderr != want {
			t.Errorf("%s: exit %d, stderr %q, want %q", entry, r.code, r.stderr, want)
		}
	}
}

// TestDuplicateObjects: a misspelt --templates file adds a template (with
// a warning naming it) whose copies of objects are refused; render
// validate refuses two objects of one name, in one file or across files.
func TestDuplicateObjects(t *testing.T) {
	kit, err := os.ReadFile(filepath.Join(repoRoot, "templates", "sqs-queue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "sqs-queues.yaml", string(kit))
	r := runCLI(t, "", "env", "-f", syncWebSpec, "--pr", "1", "--templates", dir)
	want := "render env: warning: --templates " + dir + ": sqs-queues.yaml overrides no template of the kit, so it adds one " +
		"(the kit's: _helpers.tpl, configmap.yaml, database-secrets.yaml, database.yaml, dynamodb-table.yaml, iam-policy.yaml, iam-role.yaml, limitrange.yaml, namespace.yaml, networkpolicy.yaml, pod-identity-association.yaml, resourcequota.yaml, s3-bucket.yaml, s3-empty-job.yaml, serviceaccount.yaml, sqs-queue.yaml)\n" +
		"  sqs.services.k8s.aws/Queue/test-1-web/jobs: metadata.name: Duplicate value: \"jobs\"\n" +
		"  sqs.services.k8s.aws/Queue/test-1-web/jobs-dlq: metadata.name: Duplicate value: \"jobs-dlq\"\n"
	if r.code != exitInvalid || !strings.HasPrefix(r.stderr, want) || r.stdout != "" {
		t.Errorf("env: exit %d, stderr %q, want it to start %q", r.code, r.stderr, want)
	}
	// Overriding by the right name warns of nothing.
	writeFile(t, dir, "sqs-queue.yaml", string(kit))
	os.Remove(filepath.Join(dir, "sqs-queues.yaml"))
	if r := runCLI(t, "", "env", "-f", syncWebSpec, "--pr", "1", "--templates", dir); r.code != exitOK || r.stderr != "" {
		t.Errorf("override: exit %d, stderr %q", r.code, r.stderr)
	}

	vdir := t.TempDir()
	cm := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: ns}\n"
	}
	a := writeFile(t, vdir, "a.yaml", cm("one")+"---\n"+cm("two")+"---\n"+cm("one"))
	b := writeFile(t, vdir, "b.yaml", cm("two"))
	r = runCLI(t, "", "validate", a, b)
	wantOut := a + `:3 ConfigMap/one: metadata.name: Duplicate value: "one": the same group, kind, namespace and name as ` + a + ":1\n" +
		b + `:1 ConfigMap/two: metadata.name: Duplicate value: "two": the same group, kind, namespace and name as ` + a + ":2\n" +
		"4 objects in 2 files: 2 invalid, 2 problems\n"
	if r.code != exitInvalid || r.stdout != wantOut {
		t.Errorf("validate: exit %d, stdout %q, want %q", r.code, r.stdout, wantOut)
	}
	if r := runCLI(t, "", "validate", vdir); r.code != exitInvalid || !strings.Contains(r.stdout, "2 invalid, 2 problems") {
		t.Errorf("validate folder: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestPreviousCompared: --previous says how many objects it compared,
// warns when none matched (--previous-must-match fails then), and names
// the previous file of each problem.
func TestPreviousCompared(t *testing.T) {
	prev := filepath.Join(t.TempDir(), "prev")
	if r := runCLI(t, "", "env", "-f", syncWebSpec, "--pr", "123", "--output-dir", prev); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	compared := func(n int) string {
		return "--previous " + prev + ": " + strconv.Itoa(n) + " of the output's 15 objects compared with the previous render's (15 objects in 15 files)"
	}
	none := ": none matched (same group, kind, namespace and name), so no update rule was checked"
	for name, tc := range map[string]struct {
		args   []string
		code   int
		stderr string
	}{
		"same PR": {[]string{"--pr", "123"}, exitOK, "render env: " + compared(15) + "\n"},
		"another PR": {[]string{"--pr", "124"}, exitOK,
			"render env: warning: " + compared(0) + none + ". Is it a render of the same PR and app?\n"},
		"another PR, must match": {[]string{"--pr", "124", "--previous-must-match"}, exitInvalid,
			"render env: " + compared(0) + none + "; --previous-must-match refuses that. Is it a render of the same PR and app?\n"},
		"changed stream view": {[]string{"--pr", "123", "--set", "spec.dynamodb.tables[0].stream=NEW_IMAGE"}, exitInvalid,
			"render env: " + compared(15) + "\n  #13 Table/sessions: spec.streamSpecification.streamViewType: Forbidden: DynamoDB cannot change the view type of an enabled stream" +
				" (NEW_AND_OLD_IMAGES to NEW_IMAGE; UpdateTable: \"Table already has an enabled stream\"); disable the stream in one PR (streamEnabled: false), enable the new view in the next" +
				" (previous: " + filepath.Join(prev, "table.dynamodb.services.k8s.aws_test-123-web_sessions.yaml") + ")\n" +
				"render env: as an update of the previous render (" + prev + ") the output changes what the API server or AWS refuses to change; the sync or ACK would fail (1 problem(s) above)\n"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"env", "-f", syncWebSpec, "--previous", prev}, tc.args...)...)
			if r.code != tc.code || r.stderr != tc.stderr {
				t.Errorf("exit %d, stderr\n%q\nwant exit %d,\n%q", r.code, r.stderr, tc.code, tc.stderr)
			}
		})
	}
	r := runCLI(t, "", "env", "-f", syncWebSpec, "--pr", "1", "--previous-must-match")
	if r.code != exitUsage || !strings.HasPrefix(r.stderr, "render env: --previous-must-match needs --previous\n") {
		t.Errorf("--previous-must-match alone: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestWorkflowsCallRenderAsItIs: every render command line of the example
// GitHub Actions workflows (continuation lines joined) names a command that
// exists and only flags that command has, and render apps gets --title and
// --author, which prenv's ApplicationSet needs.
func TestWorkflowsCallRenderAsItIs(t *testing.T) {
	cmds := commandFlags(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "github-actions", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	call := regexp.MustCompile(`(?:^|[\s(|$])render ([a-z]+)((?: +[^|;&)>\n]+)?)`)
	flagRE := regexp.MustCompile(`(?:^|\s)(--?[a-z][a-z-]*)`)
	calls := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(data), "\\\n", " ")
		for _, m := range call.FindAllStringSubmatch(text, -1) {
			name, args := m[1], m[2]
			c, ok := cmds[name]
			if !ok {
				continue // prose such as "render env" in a comment names a command too
			}
			calls++
			for _, fm := range flagRE.FindAllStringSubmatch(args, -1) {
				flag := strings.TrimLeft(fm[1], "-")
				if !slices.Contains(c.flags, flag) {
					t.Errorf("%s: render %s has no flag %s: %s", filepath.Base(f), name, fm[1], strings.TrimSpace(m[0]))
				}
			}
			if name == "apps" && (!strings.Contains(args, "--title") || !strings.Contains(args, "--author")) {
				t.Errorf("%s: render apps without --title and --author: %s", filepath.Base(f), strings.TrimSpace(m[0]))
			}
		}
	}
	if calls < 5 {
		t.Errorf("found %d render calls in the workflows; the pattern no longer matches them", calls)
	}
}

// TestExtraTemplateWarnsInEveryCommand: every command that takes
// --templates warns of a file that overrides no template of the kit.
func TestExtraTemplateWarnsInEveryCommand(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "notes.yaml", "{{/* renders nothing */}}\n")
	out := t.TempDir()
	for cmd, args := range map[string][]string{
		"env":  {"env", "-f", syncWebSpec, "--pr", "1", "--templates", dir},
		"sync": {"sync", "-f", syncWebSpec, "--prs", "1", "--output-dir", filepath.Join(out, "envs"), "--templates", dir},
		"diff": {"diff", "--base-spec", syncWebSpec, "-f", syncWebSpec, "--pr", "1", "--templates", dir},
	} {
		r := runCLI(t, "", args...)
		want := "render " + cmd + ": warning: --templates " + dir + ": notes.yaml overrides no template of the kit, so it adds one (the kit's: "
		if r.code != exitOK || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q, want exit 0 and one line starting %q", cmd, r.code, r.stderr, want)
		}
	}
}
