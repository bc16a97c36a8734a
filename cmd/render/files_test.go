//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

// zeros reads zeros for ever, like /dev/zero.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// sparse makes a file of size bytes that takes no room on disk.
func sparse(t *testing.T, name string, size int64) string {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return name
}

// within runs f, failing the test when it blocks for 30 s.
func within(t *testing.T, f func() result) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- f() }()
	select {
	case r := <-done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the command blocked")
		return result{}
	}
}

// TestFilesRefused: every file render env and render validate read from the
// command line or a folder is a regular file under its limit, inside its
// folder; what is not is refused with the file named and exit 1 (render
// validate: 2, unreadable input), never read without end or blocking.
func TestFilesRefused(t *testing.T) {
	dir := t.TempDir()
	envSpec := filepath.Join("..", "..", "examples", "web", "prenv.yaml")
	pipe := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Skip(err)
	}
	// A pipe reached through a symbolic link, as a checkout could point
	// at one: refused (a pipe named directly is read: TestCommandLinePipes).
	if err := os.Symlink("fifo", pipe); err != nil {
		t.Skip(err)
	}
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Skip(err)
	}
	bigSpec := sparse(t, filepath.Join(dir, "big-spec.yaml"), spec.MaxSpecSize+1)
	bigValues := sparse(t, filepath.Join(dir, "big-values.yaml"), kit.MaxValuesSize+1)
	outside := writeFile(t, t.TempDir(), "secret.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: secret}\n")

	templates := filepath.Join(dir, "templates")
	os.MkdirAll(templates, 0o755)
	leak := filepath.Join(templates, "leak.yaml")
	os.Symlink(outside, leak)

	manifests := filepath.Join(dir, "manifests")
	writeFile(t, manifests, "ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: a}\n")
	linked := filepath.Join(manifests, "linked.yaml")
	os.Symlink(outside, linked)
	os.Symlink(outside, filepath.Join(manifests, "notes.txt")) // not a manifest: not read

	chart := filepath.Join(dir, "chart")
	writeFile(t, chart, "Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
	writeFile(t, chart, "templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-file\ndata:\n  content: {{ .Files.Get \"data/file.txt\" | quote }}\n")
	os.MkdirAll(filepath.Join(chart, "data"), 0o755)
	chartLink := filepath.Join(chart, "data", "file.txt")
	os.Symlink(outside, chartLink)

	clock := filepath.Join(dir, "clock")
	writeFile(t, clock, "Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
	writeFile(t, clock, "templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-clock\ndata:\n  at: {{ now | date \"2006\" | quote }}\n")

	kust := filepath.Join(dir, "kust")
	writeFile(t, kust, "kustomization.yaml", "resources:\n- https://127.0.0.1:1/r.yaml\n")

	for name, tc := range map[string]struct {
		args   []string
		code   int
		stderr string
		stdout string
	}{
		"spec is a named pipe":      {args: []string{"env", "-f", pipe, "--pr", "1"}, code: exitInvalid, stderr: pipe + ": not a regular file but a named pipe (FIFO)"},
		"spec links to /dev/zero":   {args: []string{"env", "-f", zero, "--pr", "1"}, code: exitInvalid, stderr: zero + ": not a regular file but a character device"},
		"spec over the limit":       {args: []string{"env", "-f", bigSpec, "--pr", "1"}, code: exitInvalid, stderr: bigSpec + ": 1048577 bytes, over the limit of 1048576 bytes"},
		"spec missing (usage)":      {args: []string{"env", "-f", filepath.Join(dir, "missing.yaml"), "--pr", "1"}, code: exitUsage, stderr: "no such file"},
		"values is a named pipe":    {args: []string{"env", "-f", envSpec, "--pr", "1", "--chart", clock, "--values", pipe}, code: exitInvalid, stderr: "--values: " + pipe + ": not a regular file"},
		"values over the limit":     {args: []string{"env", "-f", envSpec, "--pr", "1", "--chart", clock, "--values", bigValues}, code: exitInvalid, stderr: bigValues + ": 5242881 bytes, over the limit of 5242880 bytes"},
		"template linked outside":   {args: []string{"env", "-f", envSpec, "--pr", "1", "--templates", templates}, code: exitInvalid, stderr: leak + ": symbolic link to the absolute path " + outside + "; only relative links that stay inside " + templates + " are followed"},
		"chart linked outside":      {args: []string{"env", "-f", envSpec, "--pr", "1", "--chart", chart}, code: exitInvalid, stderr: chartLink + ": symbolic link to the absolute path " + outside + "; only relative links that stay inside " + chart + " are followed"},
		"chart links allowed":       {args: []string{"env", "-f", envSpec, "--pr", "1", "--chart", chart, "--chart-allow-symlinks"}, code: exitOK, stdout: "kind: ConfigMap"},
		"chart calls now":           {args: []string{"env", "-f", envSpec, "--pr", "1", "--chart", clock}, code: exitInvalid, stderr: "calls functions whose result changes from run to run: now at web/templates/cm.yaml:6:9, date at web/templates/cm.yaml:6:15"},
		"chart now allowed":         {args: []string{"env", "-f", envSpec, "--pr", "1", "--chart", clock, "--chart-allow-nondeterministic"}, code: exitOK, stdout: "name: web-clock"},
		"allow flags need --chart":  {args: []string{"env", "-f", envSpec, "--pr", "1", "--chart-allow-symlinks"}, code: exitUsage, stderr: "need --chart"},
		"kustomize remote resource": {args: []string{"env", "-f", envSpec, "--pr", "1", "--kustomize", kust}, code: exitInvalid, stderr: `kustomization.yaml: resources[0]: Forbidden: "https://127.0.0.1:1/r.yaml" is a remote location`},
		"validate a named pipe":     {args: []string{"validate", pipe}, code: exitUsage, stderr: pipe + ": not a regular file"},
		"validate a link outside":   {args: []string{"validate", manifests}, code: exitUsage, stderr: linked + ": symbolic link to the absolute path " + outside + "; only relative links that stay inside " + manifests + " are followed"},
		"crds a named pipe":         {args: []string{"validate", "--crds", pipe, filepath.Join(manifests, "ok.yaml")}, code: exitUsage, stderr: "--crds: " + pipe + ": not a regular file"},
	} {
		t.Run(name, func(t *testing.T) {
			r := within(t, func() result { return runCLI(t, "", tc.args...) })
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("stdout lacks %q", tc.stdout)
			}
			if r.code != exitOK && tc.args[0] == "env" && r.stdout != "" {
				t.Errorf("stdout not empty on failure:\n%s", r.stdout)
			}
		})
	}
	t.Run("the linked chart file is in the output only when allowed", func(t *testing.T) {
		r := runCLI(t, "", "env", "-f", envSpec, "--pr", "1", "--chart", chart, "--chart-allow-symlinks")
		if !strings.Contains(r.stdout, "name: secret") {
			t.Errorf("stdout lacks the linked file's content:\n%s", r.stdout)
		}
	})
}

// TestStdinBounded: a spec or manifest on standard input that does not end
// is cut at its limit.
func TestStdinBounded(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"env", "-f", "-", "--pr", "1"}, exitInvalid, "<stdin>: more than 1048576 bytes, over the limit of 1048576 bytes"},
		{[]string{"validate", "-"}, exitUsage, "<stdin>: more than 67108864 bytes, over the limit of 67108864 bytes"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			r := within(t, func() result {
				var out, errb bytes.Buffer
				code := run(context.Background(), tc.args, zeros{}, &out, &errb)
				return result{code, out.String(), errb.String()}
			})
			if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tc.code, tc.msg)
			}
		})
	}
	if validate.MaxFileSize != 64<<20 {
		t.Errorf("validate.MaxFileSize changed: update the message above")
	}
}
