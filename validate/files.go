package validate

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"prenv.dev/prenv/internal/bounded"
)

// Limits of what ReadSources, LoadCRDFiles and LoadObjects read, so that a
// manifest a pull request changes cannot make validation read without end:
// only regular files are read (a folder's named pipe, device or socket is
// refused before anything is read from it).
const (
	// MaxFileSize is the largest manifest or CRD file read. It leaves room
	// for `kubectl get crd -o yaml` of a cluster with many operators; the
	// largest upstream CRD prenv knows (Argo CD's ApplicationSet) is 1.4 MB.
	MaxFileSize int64 = 64 << 20
	// MaxFolderSize is the most the files read from one folder hold in all.
	MaxFolderSize int64 = 256 << 20
)

// FileTooLargeError is a file (or a folder's files together) over its
// limit: Path, Size (bytes; when AtLeast is set the file grew while it was
// read, and Size is Limit+1) and Limit. It is the same type as
// prenv.dev/prenv/spec.FileTooLargeError.
type FileTooLargeError = bounded.TooLargeError

// NotRegularFileError is a path that names a named pipe, device, socket or
// folder where a file is read: Path and Mode.
type NotRegularFileError = bounded.NotRegularError

// LinkOutsideError is a file under a folder being read whose symbolic link
// leads out of the folder, or is absolute: Path, Dir and Target.
type LinkOutsideError = bounded.OutsideError

// readPaths reads files and, recursively, the .yaml, .yml and .json files of
// folders, in lexical order within each folder. Hidden files and folders
// found while walking are skipped. A path given is followed wherever its
// symbolic link leads (it is the caller's choice); what is found in a folder
// is read through an os.Root, so that no link leads out of the folder. Every
// file is a regular file of at most MaxFileSize, and a folder's files hold
// at most MaxFolderSize in all.
func readPaths(paths ...string) ([]Source, error) {
	var out []Source
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			b, err := bounded.ReadFile(p, MaxFileSize)
			if err != nil {
				return nil, err
			}
			out = append(out, Source{Name: p, Data: b})
			continue
		}
		srcs, err := readFolder(p)
		if err != nil {
			return nil, err
		}
		out = append(out, srcs...)
	}
	return out, nil
}

// readFolder reads the manifests under the folder p (see readPaths).
func readFolder(p string) ([]Source, error) {
	d, err := bounded.OpenDir(p, MaxFileSize, true)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var files []string
	err = d.Walk(".", false, func(name string, info fs.FileInfo, err error) error {
		hidden := strings.HasPrefix(path.Base(name), ".")
		if err != nil {
			// A link that cannot be followed matters only where a
			// manifest would be read.
			if hidden || !manifestExt(name) {
				return nil
			}
			return err
		}
		if hidden {
			if info.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !info.IsDir() && manifestExt(name) {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Sorted by the path, as named in messages.
	sort.Slice(files, func(i, j int) bool { return filepath.FromSlash(files[i]) < filepath.FromSlash(files[j]) })
	var out []Source
	var total int64
	for _, f := range files {
		b, err := d.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if total += int64(len(b)); total > MaxFolderSize {
			return nil, &FileTooLargeError{Path: p, Size: MaxFolderSize + 1, AtLeast: true, Limit: MaxFolderSize}
		}
		out = append(out, Source{Name: d.Path(f), Data: b})
	}
	return out, nil
}
