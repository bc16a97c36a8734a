package outputdir_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"prenv.dev/prenv/outputdir"
)

// inode returns the inode number and link count of the file p.
func inode(t *testing.T, p string) (uint64, uint64) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Ino, uint64(st.Nlink)
}

// TestReplaceDirLinksUnchangedFiles: a file whose bytes do not change is
// the same file after the run (linked into the new tree, one name left),
// unless another name links to it or its mode is not the one prenv gives
// files (other permissions, set-user-ID or sticky bits) or it has an
// extended attribute: then it is written anew and the other name keeps the
// old file.
// Changed and new files are new files; the tree holds exactly the files.
func TestReplaceDirLinksUnchangedFiles(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "envs")
	files := map[string][]byte{
		"pr-1/same.yaml":    []byte("same\n"),
		"pr-1/changed.yaml": []byte("old\n"),
		"pr-1/linked.yaml":  []byte("linked\n"),
		"pr-1/mode.yaml":    []byte("mode\n"),
		"pr-1/setuid.yaml":  []byte("setuid\n"),
		"pr-1/xattr.yaml":   []byte("xattr\n"),
		"pr-2/same.yaml":    []byte("same 2\n"),
	}
	if _, err := outputdir.ReplaceDir(ctx, dir, files); err != nil {
		t.Fatal(err)
	}
	before := map[string]uint64{}
	for p := range files {
		before[p], _ = inode(t, filepath.Join(dir, p))
	}
	outside := filepath.Join(parent, "outside.yaml")
	if err := os.Link(filepath.Join(dir, "pr-1/linked.yaml"), outside); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "pr-1/mode.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(dir, "pr-1/setuid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "pr-1/setuid.yaml"), fi.Mode().Perm()|os.ModeSetuid|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	xattr := unix.Setxattr(filepath.Join(dir, "pr-1/xattr.yaml"), "user.note", []byte("x"), 0) == nil
	wantMode, err := os.Lstat(filepath.Join(dir, "pr-1/same.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	files["pr-1/changed.yaml"] = []byte("new\n")
	files["pr-3/new.yaml"] = []byte("new 3\n")
	got, err := outputdir.ReplaceDir(ctx, dir, files)
	if err != nil {
		t.Fatal(err)
	}
	want := outputdir.DirChanges{Added: []string{"pr-3/new.yaml"}, Changed: []string{"pr-1/changed.yaml"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	for p, wantSame := range map[string]bool{
		"pr-1/same.yaml": true, "pr-2/same.yaml": true,
		"pr-1/changed.yaml": false, "pr-1/linked.yaml": false, "pr-1/mode.yaml": false, "pr-1/setuid.yaml": false,
		"pr-1/xattr.yaml": !xattr, // a file with an extended attribute is written anew
	} {
		ino, nlink := inode(t, filepath.Join(dir, p))
		if (ino == before[p]) != wantSame {
			t.Errorf("%s: inode %d, before %d; want the same file: %v", p, ino, before[p], wantSame)
		}
		if nlink != 1 {
			t.Errorf("%s: %d links, want 1", p, nlink)
		}
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != wantMode.Mode() {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), wantMode.Mode())
		}
	}
	if ino, nlink := inode(t, outside); ino != before["pr-1/linked.yaml"] || nlink != 1 {
		t.Errorf("the outside name: inode %d with %d links, want %d with 1", ino, nlink, before["pr-1/linked.yaml"])
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "linked\n" {
		t.Errorf("the outside name holds %q, %v", b, err)
	}
	tree := snapshot(t, dir)
	for p, data := range files {
		if tree[p] != string(data) {
			t.Errorf("%s holds %q, want %q", p, tree[p], data)
		}
	}
	if len(tree) != len(files)+3+4 { // 3 folders, 4 markers
		t.Errorf("the tree holds %d entries: %v", len(tree), cmp.Diff(nil, tree))
	}
	noLeftovers(t, parent, "envs")
}
