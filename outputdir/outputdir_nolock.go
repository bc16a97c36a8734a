//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package outputdir

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// tryLock fails: this system has no lock ReplaceDir can rely on, and
// replacing a folder without one could interleave two writers.
func tryLock(f *os.File) (bool, error) {
	return false, fmt.Errorf("locking %s on %s: %w", f.Name(), runtime.GOOS, errors.ErrUnsupported)
}

func unlockFile(f *os.File) {}

func (l *dirLock) release() { l.f.Close() }
