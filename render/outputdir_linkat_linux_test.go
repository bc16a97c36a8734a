package render

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLinkFilesInChecks: linkFilesIn links a file only if it is still the
// one inspected; a file changed, replaced by another or by a symbolic link
// since is not linked, and nothing is left in its place.
func TestLinkFilesInChecks(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"old", "new"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	infos := map[string]oldFile{}
	for _, n := range []string{"kept", "grown", "replaced", "symlink", "gone"} {
		p := filepath.Join(dir, "old", n)
		if err := os.WriteFile(p, []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		infos[n] = oldFile{name: filepath.Join("old", n), info: fi}
	}
	old := func(n string) string { return filepath.Join(dir, "old", n) }
	f, err := os.OpenFile(old("grown"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("more\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Remove(old("replaced")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old("replaced"), []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(old("symlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(old("kept"), old("symlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(old("gone")); err != nil {
		t.Fatal(err)
	}

	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	names := []string{"gone", "grown", "kept", "replaced", "symlink"}
	rest := linkFilesIn(root, "new", names, func(n string) oldFile { return infos[n] })
	if want := []string{"gone", "grown", "replaced", "symlink"}; !slices.Equal(rest, want) {
		t.Errorf("not linked: %q, want %q", rest, want)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "kept" || !entries[0].Type().IsRegular() {
		t.Errorf("the new folder holds %v, want kept only", entries)
	}
}
