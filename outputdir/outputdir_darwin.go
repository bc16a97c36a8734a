package outputdir

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps the names a and b, both in the folder parent, in one
// step: renameatx_np with RENAME_SWAP (macOS 10.12 and later; see the
// rename(2) manual page of macOS). A file system without it (ENOTSUP,
// EINVAL) gives errNoExchange.
func exchange(parent *os.File, a, b string) error {
	fd := int(parent.Fd())
	err := unix.RenameatxNp(fd, a, fd, b, unix.RENAME_SWAP)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return errNoExchange
	}
	return &os.LinkError{Op: "renameatx_np", Old: a, New: b, Err: err}
}

// syncTree syncs the new tree staging (relative to the root), whose files
// and folders are names, to disk, each in turn.
func syncTree(root *os.Root, staging string, names []string) error {
	return syncEach(root, names)
}
