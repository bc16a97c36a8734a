//go:build unix

package spec_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// noBlock runs f and fails the test when it has not returned in 30 s.
func noBlock(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("blocked")
		return nil
	}
}

// TestReadFile: only a regular file is read, or a pipe the command line
// names directly (never one reached through a symbolic link), and never
// more than the limit; anything else is refused before it is read,
// without blocking.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{"spec.yaml": "apiVersion: prenv.dev/v1alpha1\n"})
	pipe := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.yaml")
	testkit.LinkOrSkip(t, "/dev/zero", zero)
	linkedPipe := filepath.Join(dir, "linked-pipe.yaml")
	testkit.LinkOrSkip(t, "pipe.yaml", linkedPipe)
	big := filepath.Join(dir, "big.yaml")
	testkit.SparseOf(t, big, spec.MaxSpecSize+1)

	for name, tc := range map[string]struct {
		path string
		want error
	}{
		"named pipe (read)":   {pipe, nil},
		"link to a pipe":      {linkedPipe, &spec.NotRegularFileError{Path: linkedPipe, Mode: fs.ModeNamedPipe | 0o644}},
		"folder":              {dir, &spec.NotRegularFileError{Path: dir}},
		"over the limit":      {big, &spec.FileTooLargeError{Path: big, Size: spec.MaxSpecSize + 1, Limit: spec.MaxSpecSize}},
		"link to a device":    {zero, &spec.NotRegularFileError{Path: zero}},
		"regular file (read)": {filepath.Join(dir, "spec.yaml"), nil},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.path == pipe {
				go func() {
					if f, err := os.OpenFile(pipe, os.O_WRONLY, 0); err == nil {
						f.WriteString("apiVersion: prenv.dev/v1alpha1\n")
						f.Close()
					}
				}()
			}
			var data []byte
			err := noBlock(t, func() error {
				var err error
				data, err = spec.ReadFile(tc.path, spec.MaxSpecSize)
				return err
			})
			switch want := tc.want.(type) {
			case nil:
				if err != nil || string(data) != "apiVersion: prenv.dev/v1alpha1\n" {
					t.Fatalf("got %q, %v", data, err)
				}
			case *spec.NotRegularFileError:
				var got *spec.NotRegularFileError
				if !errors.As(err, &got) || got.Path != want.Path || (want.Mode != 0 && got.Mode.Type() != want.Mode.Type()) {
					t.Fatalf("error %v, want a *NotRegularFileError for %s", err, want.Path)
				}
			case *spec.FileTooLargeError:
				var got *spec.FileTooLargeError
				if !errors.As(err, &got) || *got != *want {
					t.Fatalf("error %v, want %v", err, want)
				}
			}
		})
	}
	t.Run("messages", func(t *testing.T) {
		_, err := spec.ReadFile(linkedPipe, spec.MaxSpecSize)
		if want := linkedPipe + ": not a regular file but a named pipe (FIFO); only regular files are read, and a pipe only when the command line names it directly (/dev/fd/N, as <(command) gives, or its own path with no symbolic link on the way)"; err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
		_, err = spec.ReadFile(zero, spec.MaxSpecSize)
		if want := zero + ": not a regular file but a character device; only regular files are read"; err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
		_, err = spec.ReadFile(big, spec.MaxSpecSize)
		if want := big + ": 1048577 bytes, over the limit of 1048576 bytes"; err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
}

// TestReadAllBounded: a stream without end stops at the limit.
func TestReadAllBounded(t *testing.T) {
	_, err := spec.ReadAll(endless{}, "<stdin>", spec.MaxSpecSize)
	want := spec.FileTooLargeError{Path: "<stdin>", Size: spec.MaxSpecSize + 1, AtLeast: true, Limit: spec.MaxSpecSize}
	var got *spec.FileTooLargeError
	if !errors.As(err, &got) || *got != want {
		t.Fatalf("error %v, want %v", err, &want)
	}
	if msg := "<stdin>: more than 1048576 bytes, over the limit of 1048576 bytes"; err.Error() != msg {
		t.Errorf("message %q, want %q", err, msg)
	}
	b, err := spec.ReadAll(strings.NewReader("small"), "<stdin>", spec.MaxSpecSize)
	if err != nil || string(b) != "small" {
		t.Errorf("got %q, %v", b, err)
	}
}

// endless reads zeros for ever, as /dev/zero does.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// growing is a file system whose one file says it is 1 byte long and
// reads without end: a file that grows while it is read.
type growing struct{}

func (growing) Open(name string) (fs.File, error) {
	if name != "t.yaml" {
		return nil, fs.ErrNotExist
	}
	return growingFile{}, nil
}

type growingFile struct{ endless }

func (growingFile) Stat() (fs.FileInfo, error) {
	return fstest.MapFS{"t.yaml": {Data: []byte("x")}}.Stat("t.yaml")
}

func (growingFile) Close() error { return nil }

// TestLimitFS: a caller's file system is bounded too, also when its file
// grows while it is read.
func TestLimitFS(t *testing.T) {
	_, err := fs.ReadFile(spec.LimitFS(growing{}, 10), "t.yaml")
	want := spec.FileTooLargeError{Path: "t.yaml", Size: 11, AtLeast: true, Limit: 10}
	var got *spec.FileTooLargeError
	if !errors.As(err, &got) || *got != want {
		t.Fatalf("error %v, want %v", err, &want)
	}
	_, err = fs.ReadFile(spec.LimitFS(fstest.MapFS{"big.yaml": {Data: make([]byte, 11)}}, 10), "big.yaml")
	want = spec.FileTooLargeError{Path: "big.yaml", Size: 11, Limit: 10}
	if !errors.As(err, &got) || *got != want {
		t.Fatalf("error %v, want %v", err, &want)
	}
	b, err := fs.ReadFile(spec.LimitFS(fstest.MapFS{"ok.yaml": {Data: []byte("ok")}}, 10), "ok.yaml")
	if err != nil || string(b) != "ok" {
		t.Fatalf("got %q, %v", b, err)
	}
	f, err := spec.LimitFS(fstest.MapFS{"big.yaml": {Data: make([]byte, 11)}}, 100).Open("big.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, f); n != 11 || err != nil {
		t.Errorf("read %d, %v", n, err)
	}
}

// TestOpenDirFSConfined: a folder opened with OpenDirFS reads nothing
// outside it: a link out (relative, absolute, to /dev/zero) is refused with
// the file named; links inside are followed; pipes are refused without
// blocking; each file is bounded.
func TestOpenDirFSConfined(t *testing.T) {
	outside := t.TempDir()
	testkit.WriteTree(t, outside, map[string]string{"secret.txt": "outside"})
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{"a.yaml": "a", "sub/b.yaml": "b"})
	rel := testkit.RelTo(t, dir, filepath.Join(outside, "secret.txt"))
	testkit.LinkOrSkip(t, rel, filepath.Join(dir, "rel.yaml"))
	testkit.LinkOrSkip(t, filepath.Join(outside, "secret.txt"), filepath.Join(dir, "abs.yaml"))
	testkit.LinkOrSkip(t, "/dev/zero", filepath.Join(dir, "zero.yaml"))
	testkit.LinkOrSkip(t, outside, filepath.Join(dir, "out"))
	testkit.LinkOrSkip(t, filepath.Join("sub", "b.yaml"), filepath.Join(dir, "in.yaml"))
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := spec.OpenDirFS(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	testkit.WriteTree(t, dir, map[string]string{"big.yaml": "12345"})

	for _, name := range []string{"rel.yaml", "abs.yaml", "zero.yaml", "out/secret.txt"} {
		t.Run(name, func(t *testing.T) {
			_, err := fs.ReadFile(fsys, name)
			var le *spec.LinkOutsideError
			if !errors.As(err, &le) || le.Path != filepath.Join(dir, name) {
				t.Fatalf("error %v, want a *LinkOutsideError for %s", err, name)
			}
		})
	}
	_, err = fs.ReadFile(fsys, "rel.yaml")
	if want := filepath.Join(dir, "rel.yaml") + ": symbolic link to " + rel + " leaves " + dir + "; only files inside the folder are read"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if b, err := fs.ReadFile(fsys, "in.yaml"); err != nil || string(b) != "b" {
		t.Errorf("link inside: %q, %v", b, err)
	}
	err = noBlock(t, func() error { _, err := fs.ReadFile(fsys, "pipe.yaml"); return err })
	var nr *spec.NotRegularFileError
	if !errors.As(err, &nr) || nr.Path != filepath.Join(dir, "pipe.yaml") {
		t.Errorf("pipe: %v", err)
	}
	_, err = fs.ReadFile(fsys, "big.yaml")
	var tl *spec.FileTooLargeError
	if !errors.As(err, &tl) || *tl != (spec.FileTooLargeError{Path: filepath.Join(dir, "big.yaml"), Size: 5, Limit: 4}) {
		t.Errorf("big: %v", err)
	}
}

// TestTemplatesConfined: a --templates folder (OpenDirFS) whose template
// is a symbolic link out of the folder is refused with the file named, and
// a template sees only the kit: include finds the folder's helpers, and
// .Files holds nothing, so no template reads a file by name.
func TestTemplatesConfined(t *testing.T) {
	env := testkit.RenderExample(t, "web")
	envSpec, err := os.ReadFile(filepath.Join("..", "examples", "web", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pe, err := spec.Load(envSpec)
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	testkit.WriteTree(t, outside, map[string]string{"leak.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\n  namespace: " + env.Model.Namespace + "\n"})

	t.Run("link out", func(t *testing.T) {
		for _, name := range []string{"leak.yaml", "_leak.tpl"} {
			dir := t.TempDir()
			testkit.LinkOrSkip(t, filepath.Join(outside, "leak.yaml"), filepath.Join(dir, name))
			fsys, err := spec.OpenDirFS(dir, kit.MaxTemplateSize)
			if err != nil {
				t.Fatal(err)
			}
			_, err = render.Render(context.Background(), pe, 123, render.Options{Templates: fsys})
			fsys.Close()
			var le *spec.LinkOutsideError
			if !errors.As(err, &le) || le.Path != filepath.Join(dir, name) {
				t.Fatalf("%s: error %v, want a *LinkOutsideError for it", name, err)
			}
		}
	})
	t.Run("include sees only the kit", func(t *testing.T) {
		dir := t.TempDir()
		testkit.WriteTree(t, dir, map[string]string{
			"_extra.tpl": `{{- define "extra.helper" -}}from the kit{{- end -}}`,
			"extra.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
  namespace: ` + env.Model.Namespace + `
data:
  helper: {{ include "extra.helper" . | quote }}
  outside: {{ .Files.Get "` + filepath.ToSlash(testkit.RelTo(t, dir, filepath.Join(outside, "leak.yaml"))) + `" | quote }}
  self: {{ .Files.Get "extra.yaml" | quote }}
  files: {{ len .Files | quote }}
`,
		})
		fsys, err := spec.OpenDirFS(dir, kit.MaxTemplateSize)
		if err != nil {
			t.Fatal(err)
		}
		defer fsys.Close()
		out, err := render.Render(context.Background(), pe, 123, render.Options{Templates: fsys})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Objects {
			if o.GetKind() == "ConfigMap" && o.GetName() == "extra" {
				data := o.Object["data"].(map[string]any)
				want := map[string]any{"helper": "from the kit", "outside": "", "self": "", "files": "0"}
				for k, v := range want {
					if data[k] != v {
						t.Errorf("data.%s = %q, want %q", k, data[k], v)
					}
				}
				return
			}
		}
		t.Fatal("no ConfigMap extra in the output")
	})
}
