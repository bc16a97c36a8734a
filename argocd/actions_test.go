package argocd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// TestGitHubActionsExamples lints the example workflows with actionlint,
// with shellcheck on their scripts when it is installed; without it the
// scripts go unchecked, which PRENV_REQUIRE_TOOLS=1 (CI) does not allow.
func TestGitHubActionsExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "github-actions", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("want the render-diff, preview-comment, cleanup and leftovers workflows, found %q", files)
	}
	shellcheck, _ := exec.LookPath("shellcheck")
	if shellcheck == "" {
		if os.Getenv("PRENV_REQUIRE_TOOLS") == "1" {
			t.Fatal("shellcheck not found, and PRENV_REQUIRE_TOOLS=1: the workflows' scripts would go unchecked")
		}
		t.Log("shellcheck not found: linting without it, so the workflows' scripts go unchecked")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{Shellcheck: shellcheck, Oneline: true})
			if err != nil {
				t.Fatal(err)
			}
			errs, err := l.Lint(f, b, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) > 0 {
				t.Errorf("actionlint found %d problem(s):\n%s", len(errs), out.String())
			}
		})
	}
}

// TestActionlintCatchesInjection guards the test above: actionlint must
// refuse a branch name expanded inside a script.
func TestActionlintCatchesInjection(t *testing.T) {
	bad := []byte(`on: pull_request
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.head.ref }}"
`)
	l, err := actionlint.NewLinter(&bytes.Buffer{}, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint("<stdin>", bad, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) == 0 {
		t.Fatal("actionlint accepted a branch name expanded inside a script")
	}
}

// TestWorkflowsPassBaseSpec: the example workflows render a pull
// request's spec only against the trusted one (--base-spec). The preview
// workflow reads the pull request's head under app/: every render of it
// passes --base-spec; the render-diff workflow renders the pull request
// with the base branch's spec whenever the base branch has one.
func TestWorkflowsPassBaseSpec(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(examplesDir, "github-actions", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	preview := read("prenv-preview-comment.yml")
	renders := 0
	for _, line := range strings.Split(preview, "\n") {
		if strings.Contains(line, `-f "app/`) {
			renders++
			if !strings.Contains(line, `--base-spec "base/$PRENV_SPEC"`) {
				t.Errorf("prenv-preview-comment.yml renders the pull request's spec without --base-spec: %s", strings.TrimSpace(line))
			}
		}
	}
	if renders < 2 {
		t.Errorf("prenv-preview-comment.yml: %d renders of the pull request's spec found, want the env and the Application", renders)
	}
	if !strings.Contains(preview, "ref: ${{ github.event.repository.default_branch }}\n          path: base") {
		t.Error("prenv-preview-comment.yml does not check out the default branch's spec under base/")
	}
	diff := read("prenv-render-diff.yml")
	for _, want := range []string{`render_all "$RUNNER_TEMP/head" --base-spec "$base_spec"`, `render env -f "$PRENV_SPEC" --pr "$PR" "$@"`, `render appset -f "$PRENV_SPEC" "$@"`, `--ignore-filters "$@"`} {
		if !strings.Contains(diff, want) {
			t.Errorf("prenv-render-diff.yml lacks %q", want)
		}
	}
}
