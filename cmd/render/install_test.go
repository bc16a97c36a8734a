package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// repoRoot is the repository root, two folders above this package.
const repoRoot = "../.."

// actionStep is one step of a composite action (GitHub docs, "Metadata
// syntax for GitHub Actions", runs for composite actions).
type actionStep struct {
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	If    string            `json:"if"`
	Uses  string            `json:"uses"`
	Shell string            `json:"shell"`
	Run   string            `json:"run"`
	Env   map[string]string `json:"env"`
	With  map[string]string `json:"with"`
}

type actionFile struct {
	Name        string                    `json:"name"`
	Description string                    `json:"description"`
	Inputs      map[string]map[string]any `json:"inputs"`
	Outputs     map[string]struct {
		Description string `json:"description"`
		Value       string `json:"value"`
	} `json:"outputs"`
	Runs struct {
		Using string       `json:"using"`
		Steps []actionStep `json:"steps"`
	} `json:"runs"`
}

func readAction(t *testing.T) actionFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.UnmarshalStrict(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

// TestActionStructure checks action.yml as GitHub would load it, which
// actionlint cannot (it lints workflows, not action metadata): a composite
// action whose run steps all name a shell, take every expression through
// env (an expression inside a script is pasted into it as code), set up Go
// from the action's own go.mod, build with -trimpath, cache the binary and
// output its path.
func TestActionStructure(t *testing.T) {
	a := readAction(t)
	if a.Name == "" || a.Description == "" {
		t.Error("name and description are required")
	}
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", a.Runs.Using)
	}
	ids := map[string]actionStep{}
	var uses []string
	for i, s := range a.Runs.Steps {
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("step %d (%s): exactly one of run and uses", i, s.Name)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %d (%s): a run step of a composite action needs shell", i, s.Name)
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %d (%s): expression inside run; pass it through env", i, s.Name)
		}
		if s.ID != "" {
			ids[s.ID] = s
		}
		if s.Uses != "" {
			if !regexp.MustCompile(`^[\w-]+/[\w-]+@\S+$`).MatchString(s.Uses) {
				t.Errorf("step %d: uses %q is not owner/repo@ref", i, s.Uses)
			}
			uses = append(uses, s.Uses[:strings.Index(s.Uses, "@")])
		}
		for _, v := range s.With {
			if strings.Contains(v, "inputs.") {
				t.Errorf("step %d: with refers to inputs: %q", i, v)
			}
		}
	}
	for _, want := range []string{"actions/cache", "actions/setup-go"} {
		if !strings.Contains(strings.Join(uses, " "), want) {
			t.Errorf("no step uses %s", want)
		}
	}
	for _, s := range a.Runs.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			if s.With["go-version-file"] != "${{ github.action_path }}/go.mod" {
				t.Errorf("setup-go go-version-file = %q, want the action's go.mod", s.With["go-version-file"])
			}
		case strings.HasPrefix(s.Uses, "actions/cache@"):
			if s.With["key"] != "${{ steps.key.outputs.key }}" || s.With["path"] != "${{ steps.key.outputs.dir }}" {
				t.Errorf("cache key and path must come from the key step: %v", s.With)
			}
		case strings.Contains(s.Run, "go build"):
			if !strings.Contains(s.Run, "go build -trimpath ") || !strings.Contains(s.Run, "./cmd/render") ||
				s.Env["ACTION_PATH"] != "${{ github.action_path }}" {
				t.Errorf("build step must build ./cmd/render with -trimpath from the action path:\n%s", s.Run)
			}
		}
	}
	out, ok := a.Outputs["path"]
	m := regexp.MustCompile(`^\$\{\{ steps\.([\w-]+)\.outputs\.path \}\}$`).FindStringSubmatch(out.Value)
	if !ok || m == nil {
		t.Fatalf("outputs.path = %q", out.Value)
	}
	if _, ok := ids[m[1]]; !ok {
		t.Errorf("outputs.path refers to step %q, which does not exist", m[1])
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		for _, s := range a.Runs.Steps {
			if s.Run == "" {
				continue
			}
			cmd := exec.Command(bash, "-n")
			cmd.Stdin = strings.NewReader(s.Run)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("step %s: bash -n: %v\n%s", s.Name, err, out)
			}
		}
	}
}

// runStep runs a run step of action.yml with bash as the runner would:
// its env with expressions replaced by exprs, GITHUB_OUTPUT and
// GITHUB_PATH as files. It returns the outputs it wrote and its stdout.
func runStep(t *testing.T, s actionStep, exprs map[string]string) (outputs map[string]string, path, stdout string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	dir := t.TempDir()
	outFile, pathFile := filepath.Join(dir, "output"), filepath.Join(dir, "path")
	cmd := exec.Command(bash, "-e", "-c", s.Run)
	cmd.Env = append(os.Environ(), "GITHUB_OUTPUT="+outFile, "GITHUB_PATH="+pathFile, "RUNNER_OS=Linux", "RUNNER_ARCH=X64")
	for k, v := range s.Env {
		if e, ok := exprs[v]; ok {
			v = e
		} else if strings.Contains(v, "${{") {
			t.Fatalf("step %s: no value for %s", s.Name, v)
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("step %s: %v\n%s", s.Name, err, out)
	}
	outputs = map[string]string{}
	b, _ := os.ReadFile(outFile)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			outputs[k] = v
		}
	}
	p, _ := os.ReadFile(pathFile)
	return outputs, string(p), string(out)
}

// TestActionScripts runs the key and install steps: the key names the
// OS, architecture, ref (slashes as dashes) and the first 16 hex digits of
// go.sum's SHA-256, and changes with the sources; the install step runs
// render version and puts the folder on PATH.
func TestActionScripts(t *testing.T) {
	a := readAction(t)
	steps := map[string]actionStep{}
	for _, s := range a.Runs.Steps {
		steps[s.ID] = s
	}
	sum, err := os.ReadFile(filepath.Join(repoRoot, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(sum)
	gosum := hex.EncodeToString(h[:])[:16]
	root, _ := filepath.Abs(repoRoot)
	temp := t.TempDir()
	key := func(actionPath, ref string) string {
		out, _, _ := runStep(t, steps["key"], map[string]string{
			"${{ github.action_path }}": actionPath, "${{ github.action_ref }}": ref, "${{ runner.temp }}": temp,
		})
		if out["dir"] != temp+"/prenv-render" {
			t.Errorf("dir = %q", out["dir"])
		}
		return out["key"]
	}
	k := key(root, "feature/x")
	want := regexp.MustCompile(`^prenv-render-Linux-X64-feature-x-` + gosum + `-[0-9a-f]{16}$`)
	if !want.MatchString(k) {
		t.Errorf("key %q does not match %s", k, want)
	}
	if local := key(root, ""); !strings.HasPrefix(local, "prenv-render-Linux-X64-local-"+gosum+"-") || local[len(local)-16:] != k[len(k)-16:] {
		t.Errorf("key without a ref: %q (with: %q)", local, k)
	}
	// A copy with one source changed gets another key.
	copyDir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "cmd/render/main.go"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, copyDir, f, string(b))
	}
	k1 := key(copyDir, "v1")
	writeFile(t, copyDir, "cmd/render/main.go", "package main\n")
	if k2 := key(copyDir, "v1"); k1 == k2 {
		t.Errorf("key unchanged by a changed source: %q", k1)
	}

	bin := filepath.Join(temp, "prenv-render")
	writeFile(t, bin, "render", "#!/bin/sh\necho \"render prenv.dev/prenv (devel) $*\"\n")
	if err := os.Chmod(filepath.Join(bin, "render"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, path, stdout := runStep(t, steps["install"], map[string]string{"${{ steps.key.outputs.dir }}": bin})
	if out["path"] != bin+"/render" || path != bin+"\n" || stdout != "render prenv.dev/prenv (devel) version\n" {
		t.Errorf("install: outputs %v, GITHUB_PATH %q, stdout %q", out, path, stdout)
	}
}

// TestMakeInstall: make install runs go install -trimpath ./cmd/render
// (into GOBIN, or GOPATH/bin) and says where the binary went. The go
// command is a stand-in that records its arguments: a real -trimpath build
// recompiles every dependency, minutes on two cores.
func TestMakeInstall(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		if os.Getenv("PRENV_REQUIRE_TOOLS") == "1" {
			t.Fatal("make is not installed")
		}
		t.Skip("make is not installed")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "go.log")
	fakeGo := writeFile(t, dir, "go", `#!/bin/sh
case "$1" in
install) echo "$*" >> "`+log+`" ;;
env) eval "printf '%s\\n' \"\$$2\"" ;;
*) exit 1 ;;
esac
`)
	if err := os.Chmod(fakeGo, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ gobin, want string }{
		"GOBIN set":   {"/opt/bin", "installed /opt/bin/render\n"},
		"GOBIN unset": {"", "installed /home/u/go/bin/render\n"},
	} {
		t.Run(name, func(t *testing.T) {
			os.Remove(log)
			cmd := exec.Command(mk, "-s", "install", "GO="+fakeGo)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "GOBIN="+tc.gobin, "GOPATH=/home/u/go")
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != tc.want {
				t.Errorf("make install: %v, printed %q, want %q", err, out, tc.want)
			}
			args, _ := os.ReadFile(log)
			if string(args) != "install -trimpath ./cmd/render\n" {
				t.Errorf("go was run as %q", args)
			}
		})
	}
}
