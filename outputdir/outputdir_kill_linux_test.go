package outputdir

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// exchangeSupported reports whether the file system of dir exchanges two
// names in one step. It asks the kernel itself, not the code under test.
func exchangeSupported(t *testing.T, dir string) bool {
	t.Helper()
	probe, err := os.MkdirTemp(dir, "probe-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(probe)
	a, b := filepath.Join(probe, "a"), filepath.Join(probe, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE) == nil
}
