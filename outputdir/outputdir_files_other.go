//go:build !linux

package outputdir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// writeFilesIn creates the files names (single path elements) in the
// folder dir below the root, each with data(name), through a root opened
// on dir; none may exist. Errors name the file's path below the root.
func writeFilesIn(ctx context.Context, root *os.Root, dir string, names []string, data func(string) []byte) error {
	fr, err := root.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer fr.Close()
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeNew(fr, n, data(n)); err != nil {
			if pe := (*os.PathError)(nil); errors.As(err, &pe) {
				pe.Path = filepath.Join(dir, n)
			}
			return err
		}
	}
	return nil
}

// linkFilesIn links nothing here (see soleLink): it returns names, for
// the caller to write.
func linkFilesIn(root *os.Root, dir string, names []string, old func(string) oldFile, data func(string) []byte) []string {
	return names
}

// soleLink is false: the tree's files are written anew on every run
// outside Linux.
func soleLink(_, _ fs.FileInfo) bool { return false }
