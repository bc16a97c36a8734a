//go:build unix

package validate

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReadFolderConfined: the manifests of a folder are read through the
// folder: a link out of it is refused with the file named (unless it is
// not a manifest, or hidden, and so never read), links inside are followed
// (to files; a link to a folder is not entered), a named pipe is refused without blocking (read when named directly, as a command line names <(command)), and files
// over MaxFileSize are refused.
func TestReadFolderConfined(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	if err := os.WriteFile(secret, []byte("kind: Secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n"
	base := func(t *testing.T) string {
		t.Helper()
		dir := t.TempDir()
		for name, data := range map[string]string{"a.yaml": cm, "sub/b.yaml": cm} {
			p := filepath.Join(dir, filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	link := func(t *testing.T, target, name string) {
		t.Helper()
		if err := os.Symlink(target, name); err != nil {
			t.Skip(err)
		}
	}
	read := func(t *testing.T, dir string) ([]Source, error) {
		t.Helper()
		done := make(chan struct{})
		var srcs []Source
		var err error
		go func() { srcs, err = ReadSources(dir); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("ReadSources blocked")
		}
		return srcs, err
	}
	names := func(srcs []Source, dir string) []string {
		var out []string
		for _, s := range srcs {
			rel, _ := filepath.Rel(dir, s.Name)
			out = append(out, filepath.ToSlash(rel))
		}
		return out
	}

	t.Run("link out", func(t *testing.T) {
		dir := base(t)
		rel, _ := filepath.Rel(dir, secret)
		link(t, rel, filepath.Join(dir, "leak.yaml"))
		_, err := read(t, dir)
		var le *LinkOutsideError
		if !errors.As(err, &le) || le.Path != filepath.Join(dir, "leak.yaml") || le.Target != rel {
			t.Fatalf("error %v, want a *LinkOutsideError for leak.yaml", err)
		}
	})
	t.Run("links never read", func(t *testing.T) {
		dir := base(t)
		link(t, secret, filepath.Join(dir, "notes.txt"))
		link(t, secret, filepath.Join(dir, ".hidden.yaml"))
		link(t, "sub", filepath.Join(dir, "linked"))
		link(t, filepath.Join("sub", "b.yaml"), filepath.Join(dir, "c.yaml"))
		srcs, err := read(t, dir)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"a.yaml", "c.yaml", "sub/b.yaml"}, names(srcs, dir)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("named pipe", func(t *testing.T) {
		dir := base(t)
		pipe := filepath.Join(dir, "sub", "pipe.yaml")
		if err := syscall.Mkfifo(pipe, 0o644); err != nil {
			t.Skip(err)
		}
		_, err := read(t, dir)
		var nr *NotRegularFileError
		if !errors.As(err, &nr) || nr.Path != pipe {
			t.Fatalf("error %v, want a *NotRegularFileError for %s", err, pipe)
		}
		// Named directly, as a command line names <(command): read.
		go func() {
			if f, err := os.OpenFile(pipe, os.O_WRONLY, 0); err == nil {
				f.WriteString(cm)
				f.Close()
			}
		}()
		if srcs, err := read(t, pipe); err != nil || len(srcs) != 1 || string(srcs[0].Data) != cm {
			t.Fatalf("given as a file: %v, %v; want it read", srcs, err)
		}
		// Through a symbolic link, as a checkout could point at one: refused.
		linked := filepath.Join(t.TempDir(), "linked.yaml")
		link(t, pipe, linked)
		if _, err = read(t, linked); !errors.As(err, &nr) || nr.Path != linked {
			t.Fatalf("given through a link: error %v, want a *NotRegularFileError", err)
		}
	})
	t.Run("file over the limit", func(t *testing.T) {
		dir := base(t)
		big := filepath.Join(dir, "big.yaml")
		f, err := os.Create(big)
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(MaxFileSize + 1)
		f.Close()
		_, err = read(t, dir)
		var tl *FileTooLargeError
		if !errors.As(err, &tl) || *tl != (FileTooLargeError{Path: big, Size: MaxFileSize + 1, Limit: MaxFileSize}) {
			t.Fatalf("error %v, want a *FileTooLargeError for %s", err, big)
		}
		if _, err := LoadCRDFiles(big); !errors.As(err, &tl) {
			t.Errorf("LoadCRDFiles: %v, want a *FileTooLargeError", err)
		}
		if _, err := LoadObjects(big); !errors.As(err, &tl) {
			t.Errorf("LoadObjects: %v, want a *FileTooLargeError", err)
		}
	})
}
