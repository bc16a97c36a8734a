package spec

import (
	"io"
	"io/fs"

	"prenv.dev/prenv/internal/bounded"
	"prenv.dev/prenv/internal/specyaml"
)

// Size limits of the files prenv reads. Every file a pull request can change
// (the spec, values files, templates, the kustomization folder, the chart) is
// read only when it is a regular file (not a folder, named pipe, device or
// socket: those are refused before anything is read) and never beyond its
// kind's limit, so that an input cannot make prenv read without end or fill
// the machine's memory. The CRD and manifest files that render validate and
// --crds / --previous read have their own limit, validate.MaxFileSize.
//
// MaxSpecSize is the largest spec, prenv.yaml or standard input. Specs
// are a few kilobytes; the largest example is under 15 KB.
const MaxSpecSize = specyaml.MaxSize

// FileTooLargeError is a file over its kind's limit. Its fields: Path (the
// file as given), Size (bytes; when AtLeast is set the file grew while it was
// read, or is a stream, and Size is Limit+1) and Limit (bytes).
type FileTooLargeError = bounded.TooLargeError

// NotRegularFileError is a path that names a folder, named pipe, device or
// socket where a file is read: Path and Mode.
type NotRegularFileError = bounded.NotRegularError

// LinkOutsideError is a file inside a folder prenv reads (--templates,
// --kustomize, --chart, a validated folder) whose symbolic link leads out of
// the folder, or is absolute: Path, Dir (the folder) and Target (the link's
// target, when it could be read).
type LinkOutsideError = bounded.OutsideError

// ReadFile reads the regular file name, following symbolic links (it is a
// path the caller chose), and refuses it with a [*NotRegularFileError] when
// it is anything else or with a [*FileTooLargeError] when it is over limit
// bytes (also when it grows past the limit while it is read).
func ReadFile(name string, limit int64) ([]byte, error) {
	return bounded.ReadFile(name, limit)
}

// ReadAll reads r (for example standard input) to its end, or fails with a
// [*FileTooLargeError] naming name once more than limit bytes have come.
func ReadAll(r io.Reader, name string, limit int64) ([]byte, error) {
	return bounded.ReadAll(r, name, limit)
}

// DirFS is a folder opened with [OpenDirFS]. Close releases it.
type DirFS interface {
	fs.ReadFileFS
	fs.ReadDirFS
	fs.StatFS
	io.Closer
}

// OpenDirFS opens the folder dir as a file system confined to it, for
// example for [render.Options].Templates: it is read through an [os.Root], so no
// name and no symbolic link leads out of it (such a file fails with a
// [*LinkOutsideError]; links that stay inside are followed), files are
// opened without blocking and refused unless they are regular files
// ([*NotRegularFileError]), and none yields more than limit bytes
// ([*FileTooLargeError]).
func OpenDirFS(dir string, limit int64) (DirFS, error) {
	return bounded.OpenDir(dir, limit, true)
}

// LimitFS wraps a file system so that only its regular files and folders
// can be opened, and no file yields more than limit bytes. It is how a
// caller's [fs.FS] is bounded; it cannot stop fsys from blocking when asked
// to open a named pipe (an [OpenDirFS] folder does not).
func LimitFS(fsys fs.FS, limit int64) fs.FS {
	return bounded.LimitFS(fsys, limit)
}
