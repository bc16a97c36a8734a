package tools

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBuildProgress runs build.sh's progress filter over `go build -v`
// output: a line every 200 compiled packages and a total, error lines
// passed on as they are.
func TestBuildProgress(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	script := filepath.Join(repoRoot(t), "tools", "build.sh")
	var in strings.Builder
	for i := range 450 {
		in.WriteString("example.com/pkg" + strings.Repeat("x", i%3) + "\n")
	}
	in.WriteString("# example.com/broken\nbroken/a.go:3:1: syntax error\n")
	cmd := exec.Command(bash, "-c", `set -euo pipefail
eval "$(sed -n '/^log() {/p; /^progress() {/,/^}/p' "$1")"
progress helmfile 2410 "$SECONDS"`, "bash", script)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "build.sh: helmfile: compiled 200 packages of at most 2410 (0s)\n" +
		"build.sh: helmfile: compiled 400 packages of at most 2410 (0s)\n" +
		"# example.com/broken\nbroken/a.go:3:1: syntax error\n" +
		"build.sh: helmfile: compiled 450 packages (the others came from Go's build cache)\n"
	got := regexp.MustCompile(`\(\d+s\)`).ReplaceAllString(string(out), "(0s)") // the time it took
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestBuildHelpStatesColdBuild: build.sh --help says what a cold build
// downloads and how long it compiles.
func TestBuildHelpStatesColdBuild(t *testing.T) {
	out, err := exec.Command("bash", filepath.Join(repoRoot(t), "tools", "build.sh"), "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"359 modules, 410 MB", "2,410 packages", "12 min 39 s on 2 quiet cores", "21 min under the load"} {
		if !strings.Contains(strings.Join(strings.Fields(string(out)), " "), want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
}

// TestTestTiers: test-tiers.sh says which tiers ran or skipped, and why.
func TestTestTiers(t *testing.T) {
	script := filepath.Join(repoRoot(t), "tools", "test-tiers.sh")
	tiers := func(env ...string) string {
		t.Helper()
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	empty := t.TempDir()
	built := t.TempDir()
	for _, n := range []string{"helm", "helmfile"} {
		if err := os.WriteFile(filepath.Join(built, n), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		env  []string
		want string
	}{
		"tools missing": {[]string{"PRENV_TOOLS_BIN=" + empty, "PRENV_REQUIRE_TOOLS=", "FUZZTIME="},
			"tier helm/helmfile integration:   skipped: helm helmfile not built in " + empty + " (run bash tools/build.sh; PRENV_REQUIRE_TOOLS=1 makes this a failure)\n"},
		"tools required": {[]string{"PRENV_TOOLS_BIN=" + empty, "PRENV_REQUIRE_TOOLS=1"},
			"tier helm/helmfile integration:   failed: helm helmfile not built in " + empty + ", and PRENV_REQUIRE_TOOLS=1 (run bash tools/build.sh)\n"},
		"tools built": {[]string{"PRENV_TOOLS_BIN=" + built},
			"tier helm/helmfile integration:   ran (internal/integration, with helm and helmfile from " + built + ")\n"},
		"fuzz time": {[]string{"FUZZTIME=5m"},
			"tier fuzz:                        ran (make fuzz: FuzzRender, FuzzLoad, FuzzNames, FuzzGenerate, FuzzMarshalYAML, FuzzFastDocument, FuzzJSONString, FuzzTemplateValues, FuzzCRDHeader, FuzzPrunes, FuzzDecodeTyped, FuzzCanonical, FUZZTIME=5m each)\n"},
	} {
		out := tiers(tc.env...)
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: output lacks %q:\n%s", name, tc.want, out)
		}
		for _, tier := range []string{"lint", "unit", "helm/helmfile integration", "upstream CRD conformance", "fuzz", "end-to-end"} {
			if !strings.Contains(out, "tier "+tier+":") {
				t.Errorf("%s: no line for tier %s:\n%s", name, tier, out)
			}
		}
	}
}

// TestMakeFuzzRunsEveryTarget: every fuzz target of the library's module
// is run by make fuzz, in its package, and named by test-tiers.sh.
func TestMakeFuzzRunsEveryTarget(t *testing.T) {
	root := repoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	tiers, err := os.ReadFile(filepath.Join(root, "tools", "test-tiers.sh"))
	if err != nil {
		t.Fatal(err)
	}
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz[A-Za-z0-9]+)\(`)
	found := 0
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (d.Name() == "e2e" || d.Name() == "tools" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir // other modules
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		pkg, _ := filepath.Rel(root, filepath.Dir(p))
		for _, m := range fuzzFunc.FindAllSubmatch(b, -1) {
			found++
			name := string(m[1])
			if !strings.Contains(string(makefile), "$(GO) test ./"+filepath.ToSlash(pkg)+" -run '^$$' -fuzz '^"+name+"$$'") {
				t.Errorf("make fuzz does not run %s (./%s)", name, pkg)
			}
			if !strings.Contains(string(tiers), name+",") {
				t.Errorf("tools/test-tiers.sh does not name %s", name)
			}
		}
		return nil
	})
	if err != nil || found < 10 {
		t.Fatalf("%d fuzz targets found: %v", found, err)
	}
}
