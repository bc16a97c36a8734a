//go:build unix

package bounded

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWalkLinkLoops: links to a parent folder, which make every path new,
// end the walk with an error instead of running for ever.
func TestWalkLinkLoops(t *testing.T) {
	for name, links := range map[string][]string{
		"one loop":   {"a"},
		"two loops":  {"a", "b"},
		"four loops": {"a", "b", "c", "d"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, l := range links {
				if err := os.Symlink(".", filepath.Join(dir, l)); err != nil {
					t.Skip(err)
				}
			}
			d, err := OpenDir(dir, 10, true)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			start := time.Now()
			err = d.Walk(".", true, func(_ string, _ fs.FileInfo, err error) error { return err })
			// Either Walk's own bound, or the system's bound on links in
			// one path, whichever comes first.
			if err == nil || !strings.Contains(err.Error(), "more than 64 symbolic links to folders followed (a link loop?)") && !errors.Is(err, syscall.ELOOP) {
				t.Fatalf("error %v, want a link loop", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestWalkNoFollow: without followDirLinks a link to a folder is reported
// but not entered.
func TestWalkNoFollow(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "f"), nil, 0o644)
	if err := os.Symlink("sub", filepath.Join(dir, "link")); err != nil {
		t.Skip(err)
	}
	d, err := OpenDir(dir, 10, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for follow, want := range map[bool]string{false: "link/ sub/ sub/f", true: "link/ link/f sub/ sub/f"} {
		var got []string
		err := d.Walk(".", follow, func(name string, info fs.FileInfo, err error) error {
			if info.IsDir() {
				name += "/"
			}
			got = append(got, name)
			return err
		})
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("follow %v: %q, %v; want %q", follow, got, err, want)
		}
	}
}
