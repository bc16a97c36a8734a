package outputdir

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

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

// writeFilesIn creates the files names (single path elements) in the
// folder dir below the root, each with data(name); none may exist. The
// folder is opened once through the root; each file is then created with
// openat(2) relative to it (O_EXCL, O_NOFOLLOW) and written with write(2),
// without the Go file machinery (non-blocking mode, poller registration)
// that costs three more system calls per file. Errors name the file's path
// below the root.
func writeFilesIn(ctx context.Context, root *os.Root, dir string, names []string, data func(string) []byte) error {
	df, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer df.Close()
	dfd := int(df.Fd())
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := createFileAt(dfd, n, data(n)); err != nil {
			return &os.PathError{Op: err.op, Path: filepath.Join(dir, n), Err: err.err}
		}
	}
	return nil
}

// sysError is a failed system call and its name.
type sysError struct {
	op  string
	err error
}

// createFileAt creates the file name in the folder dfd with data.
func createFileAt(dfd int, name string, data []byte) *sysError {
	var fd int
	for {
		var err error
		fd, err = unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return &sysError{"openat", err}
		}
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return &sysError{"write", err}
		}
		data = data[n:]
	}
	if err := unix.Close(fd); err != nil {
		return &sysError{"close", err}
	}
	return nil
}

// linkFilesIn links each file of names (single path elements) into the
// folder dir below the root from old(name), a file of the old tree, with
// linkat(2) relative to the two folders, and checks that the new name is
// the file inspected (same device, inode and mode, no other name) and
// holds data(name), reading it back: a file changed or replaced since is unlinked again. It
// returns the names it did not link, for the caller to write.
func linkFilesIn(root *os.Root, dir string, names []string, old func(string) oldFile, data func(string) []byte) []string {
	df, err := root.Open(dir)
	if err != nil {
		return names
	}
	defer df.Close()
	dfd := int(df.Fd())
	var rest []string
	var od *os.File
	odName := ""
	defer func() {
		if od != nil {
			od.Close()
		}
	}()
	for _, n := range names {
		of := old(n)
		oldDir, oldBase := filepath.Split(of.name)
		if od == nil || oldDir != odName {
			if od != nil {
				od.Close()
			}
			if od, err = root.Open(filepath.Clean(oldDir)); err != nil {
				od = nil
				rest = append(rest, n)
				continue
			}
			odName = oldDir
		}
		if !linkAt(int(od.Fd()), oldBase, dfd, n, of.info, data(n)) {
			rest = append(rest, n)
		}
	}
	return rest
}

// linkAt links oldName in the folder ofd as newName in the folder nfd and
// reports whether the link is the file info describes, with its mode,
// owner and group, with no name but the two and no extended attribute, and
// holds want; if it is not, the link is removed again.
func linkAt(ofd int, oldName string, nfd int, newName string, info fs.FileInfo, want []byte) bool {
	st0, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	if err := unix.Linkat(ofd, oldName, nfd, newName, 0); err != nil {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstatat(nfd, newName, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil &&
		st.Mode&unix.S_IFMT == unix.S_IFREG && uint64(st.Dev) == uint64(st0.Dev) && st.Ino == st0.Ino &&
		uint32(st.Mode) == uint32(st0.Mode) && st.Nlink == 2 && st.Uid == st0.Uid && st.Gid == st0.Gid &&
		st.Size == int64(len(want)) && holds(nfd, newName, want) {
		return true
	}
	_ = unix.Unlinkat(nfd, newName, 0)
	return false
}

// holds reports whether the file name in the folder dfd holds exactly want
// and has no extended attribute.
func holds(dfd int, name string, want []byte) bool {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	// A file prenv writes has no extended attribute (where the system
	// gives every file one, such as an SELinux label, nothing is linked).
	if n, err := unix.Flistxattr(fd, nil); err != nil && err != unix.ENOTSUP || n > 0 {
		return false
	}
	got := make([]byte, len(want)+1)
	n := 0
	for n < len(got) {
		m, err := unix.Read(fd, got[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return bytes.Equal(got[:n], want)
}

// soleLink reports whether the file info describes has one name only and
// the owner and group of the file marker describes.
func soleLink(info, marker fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	mst, mok := marker.Sys().(*syscall.Stat_t)
	return ok && mok && st.Nlink == 1 && st.Uid == mst.Uid && st.Gid == mst.Gid
}
