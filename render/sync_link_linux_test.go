package render_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestSyncUnchangedWritesNothing: a sync into the unchanged tree it wrote
// reports every folder unchanged and writes no file: each is the same
// inode, linked from the old tree into the new one.
func TestSyncUnchangedWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "envs")
	specs, prs, opts := []*spec.PreviewEnvironment{loadExample(t, "web")}, []int{1, 2, 3}, render.SyncOptions{}
	if _, err := render.Sync(ctx, dir, specs, prs, opts); err != nil {
		t.Fatal(err)
	}
	before := inodes(t, dir)
	res, err := render.Sync(ctx, dir, specs, prs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Count(render.FolderUnchanged); got != len(prs) || len(res.Folders) != len(prs) {
		t.Errorf("%d of %d folders unchanged, want %d", got, len(res.Folders), len(prs))
	}
	after := inodes(t, dir)
	if len(after) != len(before) || len(after) < 3*15 {
		t.Fatalf("%d files after, %d before", len(after), len(before))
	}
	for p, ino := range before {
		if after[p] != ino {
			t.Errorf("%s was written again (inode %d, was %d)", p, after[p], ino)
		}
	}
}

// inodes maps each object file below dir (markers aside) to its inode.
func inodes(t *testing.T, dir string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".prenv-output" {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.Sys().(*syscall.Stat_t).Ino
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
