//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// pipeOf returns /dev/fd/N, a pipe of this process from which content can
// be read, as a shell's <(command) gives one.
func pipeOf(t *testing.T, content string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.WriteString(content)
		w.Close()
	}()
	t.Cleanup(func() { r.Close() })
	name := fmt.Sprintf("/dev/fd/%d", r.Fd())
	if _, err := os.Stat(name); err != nil {
		t.Skipf("no /dev/fd here: %v", err)
	}
	return name
}

// TestCommandLinePipes: every file the command line names may be a pipe
// (render diff --base-spec <(git show origin/main:prenv.yaml) ...), read
// within its kind's size limit, and gives what the same regular file gives.
func TestCommandLinePipes(t *testing.T) {
	web := filepath.Join("..", "..", "examples", "web")
	webSpec := filepath.Join(web, "prenv.yaml")
	specText := readFile(t, webSpec)
	golden := filepath.Join("..", "..", "golden", "web", "env.yaml")
	envText := readFile(t, golden)
	crd := filepath.Join("..", "..", "schemas", "crds", "sqs.services.k8s.aws_queues.yaml")
	tree := t.TempDir()
	if r := runCLI(t, "", "sync", "-f", webSpec, "--prs", "1", "--output-dir", tree); r.code != exitOK {
		t.Fatalf("sync: %d %s", r.code, r.stderr)
	}
	prsJSON := `[{"number":1,"headRefName":"feature/a","headRefOid":"3f786850e387550fdab836ed7e6dc881de23001b","labels":[{"name":"preview"}]}]`
	for name, tc := range map[string]struct {
		args   func() []string // the pipe is made when the test runs
		same   []string        // the same command with regular files
		stdout string          // or, when same is nil, the output
	}{
		"env -f": {
			args: func() []string { return []string{"env", "-f", pipeOf(t, specText), "--pr", "123"} },
			same: []string{"env", "-f", webSpec, "--pr", "123"},
		},
		"env --values": {
			args: func() []string {
				return []string{"env", "-f", webSpec, "--pr", "123", "--chart", "../../charts/preview-app", "--values", pipeOf(t, readFile(t, filepath.Join(web, "app-values.yaml")))}
			},
			same: []string{"env", "-f", webSpec, "--pr", "123", "--chart", "../../charts/preview-app", "--values", filepath.Join(web, "app-values.yaml")},
		},
		"diff --base-spec": {
			args: func() []string {
				return []string{"diff", "--base-spec", pipeOf(t, specText), "-f", webSpec, "--pr", "123"}
			},
			stdout: "0 added, 0 removed, 0 changed, 15 unchanged\n",
		},
		"diff BASE HEAD": {
			args:   func() []string { return []string{"diff", pipeOf(t, envText), golden} },
			stdout: "0 added, 0 removed, 0 changed, 15 unchanged\n",
		},
		"sync --prs-file": {
			args: func() []string {
				return []string{"sync", "-f", webSpec, "--prs-file", pipeOf(t, "1\n"), "--output-dir", tree}
			},
			stdout: "unchanged pr-1 (15 files)\n" + tree + ": 0 added, 0 changed, 1 unchanged, 0 removed\n",
		},
		"sync --prs-json": {
			args: func() []string {
				return []string{"sync", "-f", webSpec, "--prs-json", pipeOf(t, prsJSON), "--output-dir", tree}
			},
			stdout: "unchanged pr-1 (15 files)\n" + tree + ": 0 added, 0 changed, 1 unchanged, 0 removed\n",
		},
		"leftovers --prs-file": {
			args: func() []string {
				return []string{"leftovers", "-f", webSpec, "--prs-file", pipeOf(t, "1\n"), "--no-cluster", "--output-dir", tree}
			},
			stdout: "no leftovers (checked 1 PR folder)\n",
		},
		"validate FILE": {
			args: func() []string { return []string{"validate", pipeOf(t, envText)} },
			same: []string{"validate", golden},
		},
		"validate --old and --crds": {
			args: func() []string {
				return []string{"validate", "--old", pipeOf(t, envText), "--crds", pipeOf(t, readFile(t, crd)), golden}
			},
			same: []string{"validate", "--old", golden, "--crds", crd, golden},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := within(t, func() result { return runCLI(t, "", tc.args()...) })
			want := result{code: exitOK, stdout: tc.stdout}
			if tc.same != nil {
				want = runCLI(t, "", tc.same...)
			}
			if r.code != exitOK || r != want {
				t.Errorf("got exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr, want.code, want.stdout, want.stderr)
			}
		})
	}

	t.Run("a named pipe, named directly", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "prenv.yaml")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip(err)
		}
		go func() {
			if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				f.WriteString(specText)
				f.Close()
			}
		}()
		r := within(t, func() result { return runCLI(t, "", "env", "-f", fifo, "--pr", "123") })
		if r.code != exitOK || r.stdout != envText {
			t.Errorf("exit %d, stderr %q; want the golden env", r.code, r.stderr)
		}
	})

	t.Run("a pipe over the limit", func(t *testing.T) {
		p := pipeOf(t, strings.Repeat("#", 1<<20+1))
		r := within(t, func() result { return runCLI(t, "", "env", "-f", p, "--pr", "1") })
		want := "render env: " + p + ": more than 1048576 bytes, over the limit of 1048576 bytes\n"
		if r.code != exitInvalid || r.stderr != want {
			t.Errorf("exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
		}
	})
}
