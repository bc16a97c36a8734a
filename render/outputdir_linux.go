package render

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps the names a and b, both in the folder parent, in one
// step: renameat2 with RENAME_EXCHANGE (Linux 3.15 and later; see the
// rename(2) manual page). A kernel without renameat2 (ENOSYS) or a file
// system without the flag (EINVAL) gives errNoExchange.
func exchange(parent *os.File, a, b string) error {
	fd := int(parent.Fd())
	err := unix.Renameat2(fd, a, fd, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EOPNOTSUPP):
		return errNoExchange
	}
	return &os.LinkError{Op: "renameat2", Old: a, New: b, Err: err}
}

// syncTree syncs the new tree staging (relative to the root), whose files
// and folders are names, to disk with one syncfs(2) of its file system:
// an fsync of each costs a few milliseconds, seconds for a tree of a
// hundred envs. Where syncfs is missing, each is synced.
func syncTree(root *os.Root, staging string, names []string) error {
	f, err := root.Open(staging)
	if err != nil {
		return err
	}
	err = unix.Syncfs(int(f.Fd()))
	f.Close()
	if errors.Is(err, unix.ENOSYS) {
		return syncEach(root, names)
	}
	if err != nil {
		return &os.PathError{Op: "syncfs", Path: staging, Err: err}
	}
	return nil
}
