//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package outputdir

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive flock on f without waiting; false means
// another open file holds it. The kernel drops the lock when its holder
// closes the file or dies.
func tryLock(f *os.File) (bool, error) {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EWOULDBLOCK):
		return false, nil
	}
	return false, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
}

func unlockFile(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// release removes the lock file while still holding it, then unlocks: a
// writer that opened the file before the removal sees, once it holds the
// lock, that the name no longer refers to its file, and tries again.
func (l *dirLock) release() {
	_ = l.root.Remove(l.name)
	unlockFile(l.f)
	l.f.Close()
}
