package outputdir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLinkFilesInChecks: linkFilesIn links a file only if it is still the
// one inspected and holds the new bytes; a file changed (even with its
// size and modification time kept), given another mode, replaced by
// another or by a symbolic link since is not linked, and nothing is left
// in its place.
func TestLinkFilesInChecks(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"old", "new"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	infos := map[string]oldFile{}
	for _, n := range []string{"kept", "grown", "replaced", "symlink", "gone", "rewritten", "chmod"} {
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
	// Replaced by another file of the same bytes, which another name also
	// links to.
	if err := os.WriteFile(old("replaced.new"), []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(old("replaced.new"), filepath.Join(dir, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(old("replaced.new"), old("replaced")); err != nil {
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
	// Rewritten in place: the same size, the time set back.
	rf, err := os.OpenFile(old("rewritten"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rf.WriteAt([]byte("DATA\n"), 0); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	if err := os.Chtimes(old("rewritten"), infos["rewritten"].info.ModTime(), infos["rewritten"].info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old("chmod"), os.ModeSetuid|0o644); err != nil {
		t.Fatal(err)
	}

	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	names := []string{"chmod", "gone", "grown", "kept", "replaced", "rewritten", "symlink"}
	rest := linkFilesIn(root, "new", names, func(n string) oldFile { return infos[n] }, func(string) []byte { return []byte("data\n") })
	if want := []string{"chmod", "gone", "grown", "replaced", "rewritten", "symlink"}; !slices.Equal(rest, want) {
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
