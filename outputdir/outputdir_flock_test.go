//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package outputdir_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"prenv.dev/prenv/outputdir"
)

// TestReplaceDirLocked: while another process holds the lock file beside
// the folder, a writer waits; when its context ends first it fails with a
// *DirLockedError and changes nothing, and once the lock is free it goes on.
func TestReplaceDirLocked(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if _, err := outputdir.ReplaceDir(context.Background(), dir, map[string][]byte{"a.yaml": []byte("old\n")}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, parent)
	lockPath := filepath.Join(parent, ".out.prenv-lock")
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	before[".out.prenv-lock"] = ""
	newFiles := map[string][]byte{"a.yaml": []byte("new\n")}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = outputdir.ReplaceDir(ctx, dir, newFiles)
	var locked *outputdir.DirLockedError
	if !errors.As(err, &locked) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a *DirLockedError for context.DeadlineExceeded", err)
	}
	if locked.Dir != dir || locked.Lock != lockPath {
		t.Errorf("got Dir %q Lock %q, want %q %q", locked.Dir, locked.Lock, dir, lockPath)
	}
	if want := "folder " + dir + ": another writer holds " + lockPath + ": context deadline exceeded"; err.Error() != want {
		t.Errorf("message\n got %q\nwant %q", err.Error(), want)
	}
	if diff := cmp.Diff(before, snapshot(t, parent)); diff != "" {
		t.Errorf("the waiting writer changed something (-before +after):\n%s", diff)
	}

	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := outputdir.ReplaceDir(ctx, dir, newFiles)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("a writer finished while the lock was held: %v", err)
	default:
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"out/": "", "out/.prenv-output": markerOf("a.yaml"), "out/a.yaml": "new\n"}
	if diff := cmp.Diff(want, snapshot(t, parent)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
