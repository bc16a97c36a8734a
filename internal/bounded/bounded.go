// Package bounded reads files that the user's input can name or change
// without trusting their size, their kind or where their symbolic links
// lead: only regular files are read, never more than a limit, and a folder
// is read through an [os.Root], so that no path or link leaves it.
//
// The render and validate packages re-export its errors; its limits are
// theirs (spec.MaxSpecSize, validate.MaxFileSize, ...).
package bounded

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// TooLargeError is a file over the size limit for its kind.
type TooLargeError struct {
	// Path names the file as it was given (or "<stdin>").
	Path string
	// Size is the file's size in bytes when it is known; when the file grew
	// while it was read, or is a stream, Size is Limit+1 and AtLeast is set.
	Size    int64
	AtLeast bool
	// Limit is the largest size read, in bytes.
	Limit int64
}

func (e *TooLargeError) Error() string {
	if e.AtLeast {
		return fmt.Sprintf("%s: more than %d bytes, over the limit of %d bytes", e.Path, e.Limit, e.Limit)
	}
	return fmt.Sprintf("%s: %d bytes, over the limit of %d bytes", e.Path, e.Size, e.Limit)
}

// NotRegularError is a path that names something other than a regular file
// where one is read: a folder, a named pipe, a device, a socket. It is
// refused before anything is read from it, so that neither an endless
// device nor a pipe that no one writes to can stall prenv.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	if e.Mode&fs.ModeNamedPipe != 0 {
		return fmt.Sprintf("%s: not a regular file but %s; only regular files are read, and a pipe only when the command line names it directly (/dev/fd/N, as <(command) gives, or its own path with no symbolic link on the way)", e.Path, kindOf(e.Mode))
	}
	return fmt.Sprintf("%s: not a regular file but %s; only regular files are read", e.Path, kindOf(e.Mode))
}

// kindOf names a file mode's type for a reader.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "an irregular file (mode " + m.String() + ")"
}

// OutsideError is a path inside a folder that leads out of it, through a
// symbolic link (or an absolute one, which [os.Root] never follows).
type OutsideError struct {
	// Path names the file: the folder joined with its name inside it.
	Path string
	// Dir is the folder it must stay in.
	Dir string
	// Target is the link's target, when it could be read.
	Target string
}

func (e *OutsideError) Error() string {
	switch {
	case e.Target == "":
		return fmt.Sprintf("%s: leads outside %s through a symbolic link; only files inside the folder are read", e.Path, e.Dir)
	case filepath.IsAbs(e.Target):
		return fmt.Sprintf("%s: symbolic link to the absolute path %s; only relative links that stay inside %s are followed", e.Path, e.Target, e.Dir)
	}
	return fmt.Sprintf("%s: symbolic link to %s leaves %s; only files inside the folder are read", e.Path, e.Target, e.Dir)
}

// openFlags open a file for reading without blocking on a named pipe that
// has no writer: the file's type is checked on the open descriptor before
// anything is read. O_NONBLOCK does not change how regular files read.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// ReadFile reads the regular file at name (symbolic links followed, as for
// any path given on a command line), refusing anything else with a
// [*NotRegularError] and a file over limit bytes with a [*TooLargeError].
// A pipe is read too, up to limit bytes, when name names it directly (see
// [PipeNamedDirectly]): `--values <(command)` on a command line.
func ReadFile(name string, limit int64) ([]byte, error) {
	limit = clamp(limit)
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if st.Mode()&fs.ModeNamedPipe != 0 && PipeNamedDirectly(name) {
		return readPipe(name, limit)
	}
	if err := check(name, st, limit); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f, name, limit)
}

// PipeNamedDirectly reports whether name, a path that leads to a pipe, is
// one that only the command line can have chosen: a descriptor of this
// process (/dev/fd/N, /proc/self/fd/N, /dev/stdin: what a shell's <(command)
// gives), or the pipe's own path with no symbolic link on the way. A
// symbolic link in a checkout (prenv.yaml -> /run/some.fifo) is not: git
// stores no pipes, so a pipe reached through a link is one a pull request
// pointed at, and reading it could wait for ever.
func PipeNamedDirectly(name string) bool {
	for _, fd := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if rest, ok := strings.CutPrefix(name, fd); ok && rest != "" && !strings.ContainsRune(rest, '/') {
			return true
		}
	}
	if name == "/dev/stdin" {
		return true
	}
	real, err := filepath.EvalSymlinks(name)
	return err == nil && real == filepath.Clean(name)
}

// readPipe reads the pipe name to its end, at most limit bytes. It waits,
// as cat does, until the pipe has a writer.
func readPipe(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode()&fs.ModeNamedPipe == 0 {
		// Swapped for something else since it was looked at.
		return readOpen(f, name, limit)
	}
	return ReadAll(f, name, limit)
}

// ReadAll reads r to its end, or fails with a [*TooLargeError] naming name
// once more than limit bytes have come.
func ReadAll(r io.Reader, name string, limit int64) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("%s: nothing to read (nil reader)", name)
	}
	limit = clamp(limit)
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Path: name, Size: limit + 1, AtLeast: true, Limit: limit}
	}
	return b, nil
}

// check refuses what st describes unless it is a regular file of at most
// limit bytes.
func check(name string, st fs.FileInfo, limit int64) error {
	if !st.Mode().IsRegular() {
		return &NotRegularError{Path: name, Mode: st.Mode()}
	}
	if st.Size() > limit {
		return &TooLargeError{Path: name, Size: st.Size(), Limit: limit}
	}
	return nil
}

// readOpen checks an open file's type and size (fstat, so that a file
// swapped after the path was checked is caught) and reads at most limit
// bytes of it; a file that grows while it is read is still refused.
func readOpen(f *os.File, name string, limit int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := check(name, st, limit); err != nil {
		return nil, err
	}
	return ReadAll(f, name, limit)
}

// Dir reads the files of one folder. When confined (see [OpenDir]) it reads
// through an [os.Root]: no name and no symbolic link leads out of the
// folder (such a path fails with an [*OutsideError]). Every file read is a
// regular file of at most the limit. A Dir is an [fs.FS] (also
// [fs.ReadFileFS], [fs.ReadDirFS] and [fs.StatFS]); it is safe for
// concurrent use.
type Dir struct {
	dir   string
	root  *os.Root // nil: not confined
	limit int64
}

// OpenDir opens the folder dir for reading files of at most limit bytes.
// When confine is set, nothing outside dir can be read through it (dir
// itself may be a symbolic link: it is the folder given); otherwise
// symbolic links are followed wherever they lead, as helm's chart loader
// does. Close releases the folder.
func OpenDir(dir string, limit int64, confine bool) (*Dir, error) {
	limit = clamp(limit)
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, &NotRegularError{Path: dir, Mode: st.Mode()}
	}
	d := &Dir{dir: dir, limit: limit}
	if confine {
		if d.root, err = os.OpenRoot(dir); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Close releases the folder.
func (d *Dir) Close() error {
	if d.root == nil {
		return nil
	}
	return d.root.Close()
}

// Path is dir joined with name, for messages.
func (d *Dir) Path(name string) string { return filepath.Join(d.dir, filepath.FromSlash(name)) }

// Limit is the size limit of every file read.
func (d *Dir) Limit() int64 { return d.limit }

// valid refuses names an fs.FS does not take (absolute, "..", ...).
func valid(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return nil
}

// explain turns the error of an operation on name into an [*OutsideError]
// when the root refused name because a symbolic link on its way leaves the
// folder or is absolute (os.Root follows neither); other errors (for
// example a chain of links too long) are returned as they are.
func (d *Dir) explain(name string, err error) error {
	if d.root == nil {
		return err
	}
	p := d.Path(name)
	real, everr := filepath.EvalSymlinks(p)
	if everr != nil {
		return err
	}
	target, _ := os.Readlink(p)
	if base, berr := filepath.EvalSymlinks(d.dir); berr == nil && !filepath.IsAbs(target) && within(real, base) {
		return err
	}
	return &OutsideError{Path: p, Dir: d.dir, Target: target}
}

// within reports whether p is base or below it.
func within(p, base string) bool {
	rel, err := filepath.Rel(base, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Stat describes name, following symbolic links (inside the folder, when
// confined).
func (d *Dir) Stat(name string) (fs.FileInfo, error) {
	if err := valid("stat", name); err != nil {
		return nil, err
	}
	if d.root == nil {
		return os.Stat(d.Path(name))
	}
	st, err := d.root.Stat(name)
	if err != nil {
		return nil, d.explain(name, err)
	}
	return st, nil
}

// Lstat describes name itself, a symbolic link not followed.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	if err := valid("lstat", name); err != nil {
		return nil, err
	}
	if d.root == nil {
		return os.Lstat(d.Path(name))
	}
	st, err := d.root.Lstat(name)
	if err != nil {
		return nil, d.explain(name, err)
	}
	return st, nil
}

// openFile opens name without blocking, links followed (inside the folder,
// when confined).
func (d *Dir) openFile(name string) (*os.File, error) {
	if d.root == nil {
		return os.OpenFile(d.Path(name), openFlags, 0)
	}
	f, err := d.root.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, d.explain(name, err)
	}
	return f, nil
}

// ReadFile reads the regular file name, at most the limit.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	if err := valid("read", name); err != nil {
		return nil, err
	}
	st, err := d.Stat(name)
	if err != nil {
		return nil, err
	}
	if err := check(d.Path(name), st, d.limit); err != nil {
		return nil, err
	}
	f, err := d.openFile(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f, d.Path(name), d.limit)
}

// ReadDir lists the folder name, sorted by name. Entries are not followed:
// a symbolic link is listed as one.
func (d *Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := valid("readdir", name); err != nil {
		return nil, err
	}
	st, err := d.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: d.Path(name), Err: syscall.ENOTDIR}
	}
	f, err := d.openFile(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// Open opens name for [fs.FS]: a folder for listing, or a regular file of
// at most the limit; anything else is refused before it is read.
func (d *Dir) Open(name string) (fs.File, error) {
	if err := valid("open", name); err != nil {
		return nil, err
	}
	st, err := d.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		if err := check(d.Path(name), st, d.limit); err != nil {
			return nil, err
		}
	}
	f, err := d.openFile(name)
	if err != nil {
		return nil, err
	}
	st, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		return f, nil
	}
	if err := check(d.Path(name), st, d.limit); err != nil {
		f.Close()
		return nil, err
	}
	return &limitedFile{f: f, name: d.Path(name), limit: d.limit}, nil
}

// limitedFile is an open regular file that fails once more than limit
// bytes have been read from it.
type limitedFile struct {
	f     fs.File
	name  string
	limit int64
	read  int64
}

func (l *limitedFile) Stat() (fs.FileInfo, error) { return l.f.Stat() }
func (l *limitedFile) Close() error               { return l.f.Close() }
func (l *limitedFile) Read(p []byte) (int, error) {
	if l.read > l.limit {
		return 0, &TooLargeError{Path: l.name, Size: l.limit + 1, AtLeast: true, Limit: l.limit}
	}
	if rest := l.limit + 1 - l.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.f.Read(p)
	l.read += int64(n)
	if l.read > l.limit {
		return n, &TooLargeError{Path: l.name, Size: l.limit + 1, AtLeast: true, Limit: l.limit}
	}
	return n, err
}

// LimitFS wraps fsys so that only regular files (and folders, for listing)
// can be opened through it, and no file yields more than limit bytes.
// It cannot stop fsys itself from blocking when it opens a named pipe; a
// folder on disk is best read with [OpenDir], which opens without blocking.
func LimitFS(fsys fs.FS, limit int64) fs.FS {
	if fsys == nil {
		return emptyFS{}
	}
	return limitFS{fsys: fsys, limit: clamp(limit)}
}

// emptyFS is LimitFS of a nil file system: it holds no file.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// clamp keeps a size limit where the readers can count one byte past it: a
// negative limit reads nothing, math.MaxInt64 is one less.
func clamp(limit int64) int64 {
	return min(max(limit, 0), math.MaxInt64-1)
}

type limitFS struct {
	fsys  fs.FS
	limit int64
}

func (l limitFS) Open(name string) (fs.File, error) {
	f, err := l.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		return f, nil
	}
	if err := check(name, st, l.limit); err != nil {
		f.Close()
		return nil, err
	}
	return &limitedFile{f: f, name: name, limit: l.limit}, nil
}

// ReadFile reads through Open, so that the limit holds whatever fsys's own
// ReadFile would do.
func (l limitFS) ReadFile(name string) ([]byte, error) {
	f, err := l.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, &NotRegularError{Path: name, Mode: st.Mode()}
	}
	return io.ReadAll(f)
}

func (l limitFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(l.fsys, name) }

func (l limitFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(l.fsys, name) }

// Walk calls fn for every entry under the folder start of d, in lexical
// order, folders before their contents; fn's [fs.SkipDir] skips a folder.
// A symbolic link is reported with the information of what it leads to
// (inside the folder, when d is confined), and name is always the path of
// the link; a link to a folder is entered only when followDirLinks is set.
// When a link cannot be followed (it leaves a confined folder, or leads
// nowhere), fn gets the link's own information and the error, and may
// return nil to go on. Walk stops at the first error fn returns or a folder
// it cannot list, and with an error past [MaxEntries] entries, [MaxDepth]
// folders deep or [MaxFollowedDirLinks] links to folders followed, so that
// links to parent folders (each one a new path) cannot make it run for
// ever.
func (d *Dir) Walk(start string, followDirLinks bool, fn func(name string, info fs.FileInfo, err error) error) error {
	w := &walker{d: d, fn: fn, follow: followDirLinks, entries: MaxEntries, links: MaxFollowedDirLinks}
	return w.walk(start, 0)
}

// Bounds of [Dir.Walk].
const (
	MaxDepth            = 64
	MaxEntries          = 100_000
	MaxFollowedDirLinks = 64
)

type walker struct {
	d              *Dir
	fn             func(name string, info fs.FileInfo, err error) error
	follow         bool
	entries, links int
}

func (w *walker) walk(name string, depth int) error {
	d := w.d
	if depth > MaxDepth {
		return &fs.PathError{Op: "walk", Path: d.Path(name), Err: fmt.Errorf("folders nested more than %d deep", MaxDepth)}
	}
	entries, err := d.ReadDir(name)
	if err != nil {
		return err
	}
	if w.entries -= len(entries); w.entries < 0 {
		return &fs.PathError{Op: "walk", Path: d.dir, Err: fmt.Errorf("more than %d files and folders", MaxEntries)}
	}
	for _, e := range entries {
		p := path.Join(name, e.Name())
		info, err := e.Info()
		if err != nil {
			return err
		}
		linked := info.Mode()&fs.ModeSymlink != 0
		if linked {
			target, err := d.Stat(p)
			if err != nil {
				if err := w.fn(p, info, err); err != nil {
					return err
				}
				continue
			}
			info = renamed{target, e.Name()}
		}
		err = w.fn(p, info, nil)
		if errors.Is(err, fs.SkipDir) {
			continue
		}
		if err != nil {
			return err
		}
		if !info.IsDir() || linked && !w.follow {
			continue
		}
		if linked {
			if w.links--; w.links < 0 {
				return &fs.PathError{Op: "walk", Path: d.Path(p), Err: fmt.Errorf("more than %d symbolic links to folders followed (a link loop?)", MaxFollowedDirLinks)}
			}
		}
		if err := w.walk(p, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// renamed is a link target's information under the link's name.
type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }
