//go:build unix

package outputdir_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"prenv.dev/prenv/outputdir"
)

// TestLockFileLink: a lock file that is a symbolic link (dangling, to a
// file, or to a folder) fails at once with the lock named; the link's
// target is neither created nor changed, and the folder is not written.
// Before, a link made every writer retry without pause, forever.
func TestLockFileLink(t *testing.T) {
	for name, target := range map[string]string{"dangling": "nowhere", "file": "victim.txt", "folder": "victims"} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			if err := os.WriteFile(filepath.Join(parent, "victim.txt"), []byte("keep\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(parent, "victims"), 0o755); err != nil {
				t.Fatal(err)
			}
			lock := filepath.Join(parent, ".out.prenv-lock")
			if err := os.Symlink(target, lock); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := outputdir.ReplaceDir(ctx, filepath.Join(parent, "out"), map[string][]byte{"a.yaml": []byte("a\n")})
			want := lock + " is a symbolic link: prenv writes its lock and marker files itself, as regular files, and follows no link in their place; remove it"
			var nr *outputdir.NotRegularFileError
			if err == nil || err.Error() != want || !errors.As(err, &nr) {
				t.Fatalf("got %v\nwant %s", err, want)
			}
			if _, err := os.Lstat(filepath.Join(parent, "nowhere")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the dangling link's target was created (%v)", err)
			}
			if b, _ := os.ReadFile(filepath.Join(parent, "victim.txt")); string(b) != "keep\n" {
				t.Errorf("the linked file changed: %q", b)
			}
			if _, err := os.Lstat(filepath.Join(parent, "out")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the folder was written (%v)", err)
			}
		})
	}
}
