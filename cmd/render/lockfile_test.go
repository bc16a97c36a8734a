//go:build unix

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOutputLockLink: render sync and render env --output-dir refuse, at
// once and with exit 1, an output folder whose lock file a pull request
// made a symbolic link; the link's target is not created.
func TestOutputLockLink(t *testing.T) {
	for _, cmd := range [][]string{
		{"sync", "-f", syncWebSpec, "--prs", "1"},
		{"env", "-f", syncWebSpec, "--pr", "1"},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			parent := t.TempDir()
			lock := filepath.Join(parent, ".out.prenv-lock")
			if err := os.Symlink("target", lock); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, "", append(cmd, "--output-dir", filepath.Join(parent, "out"))...)
			want := "render " + cmd[0] + ": --output-dir: " + lock + " is a symbolic link: prenv writes its lock and marker files itself, as regular files, and follows no link in their place; remove it\n"
			if r.code != exitInvalid || r.stderr != want {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", r.code, r.stderr, exitInvalid, want)
			}
			if _, err := os.Lstat(filepath.Join(parent, "target")); !os.IsNotExist(err) {
				t.Fatalf("the link's target was created (%v)", err)
			}
		})
	}
}
