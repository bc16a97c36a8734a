package outputdir

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/internal/errlist"
	"prenv.dev/prenv/manifest"
)

// FileName is the stable file name of an object in an output folder:
// <kind>[.<group>]_[<namespace>_]<name>.yaml, lower case, for example
// role.iam.services.k8s.aws_test-123-web_web.yaml or namespace_test-123-web.yaml.
func FileName(o *unstructured.Unstructured) string {
	if o == nil {
		return ""
	}
	gvk := o.GroupVersionKind()
	kind := strings.ToLower(gvk.Kind)
	if gvk.Group != "" {
		kind += "." + gvk.Group
	}
	parts := []string{kind}
	if ns := o.GetNamespace(); ns != "" {
		parts = append(parts, ns)
	}
	parts = append(parts, o.GetName())
	return strings.Join(parts, "_") + ".yaml"
}

// ObjectFiles returns the files of an output folder holding objs: one file
// per object, named by [FileName], holding the object as [manifest.Marshal] writes
// it. It is what [WriteDir] writes; a caller that writes several envs in one
// tree (one folder per pull request) prefixes the names with the folder and
// passes the union to [ReplaceDir]. It fails when an object's name holds a
// path separator or two objects would share a file name.
func ObjectFiles(objs []*unstructured.Unstructured) (map[string][]byte, error) {
	if i := slices.Index(objs, nil); i >= 0 {
		return nil, fmt.Errorf("object %d is nil", i+1)
	}
	files := make(map[string][]byte, len(objs))
	// One buffer for every object; each file is a copy at its size.
	var buf []byte
	for _, o := range objs {
		name := FileName(o)
		if strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, filepath.Separator) {
			return nil, fmt.Errorf("%s %q in namespace %q: a name holding a path separator cannot be a file name", o.GetKind(), o.GetName(), o.GetNamespace())
		}
		if _, dup := files[name]; dup {
			return nil, fmt.Errorf("two objects would share the file name %s", name)
		}
		b, err := manifest.AppendMarshal(buf[:0], []*unstructured.Unstructured{o})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		files[name], buf = bytes.Clone(b), b
	}
	return files, nil
}

// WriteDir writes one file per object into dir (the files of
// [ObjectFiles]), replacing what an earlier run wrote there. It is
// [ReplaceDir] without a context: it waits for as long as another writer of
// dir holds the lock, and returns only the error. Every guarantee and error
// of ReplaceDir holds.
func WriteDir(dir string, objs []*unstructured.Unstructured) error {
	files, err := ObjectFiles(objs)
	if err != nil {
		return err
	}
	_, err = ReplaceDir(context.Background(), dir, files)
	return err
}

// MarkerFile is the file prenv writes into every folder of a tree it
// replaces with [ReplaceDir]. It says that prenv wrote the folder and lists
// the folder's files, one name a line, sorted, after a fixed header. Its
// content depends only on those names: no time, host or user.
const MarkerFile = ".prenv-output"

// markerHeader is the first line of every marker; a file named MarkerFile
// that does not start with it is not prenv's.
const markerHeader = "# prenv output folder"

// markerIntro is the fixed start of every marker.
const markerIntro = markerHeader + "\n" +
	"# prenv replaces this folder as a whole on its next run, and refuses to\n" +
	"# if the folder holds a file not listed below: do not add files by hand.\n"

// maxMarkerSize bounds how much of a marker is read.
const maxMarkerSize = 1 << 20

// The siblings prenv gives a folder named <name> that it replaces:
// .<name>.prenv-tmp is the new tree being written, or the old one being
// removed; .<name>.prenv-old is the old tree during the fallback swap;
// .<name>.prenv-lock is the lock file. Nothing else uses these names, so a
// run removes any it finds as the leftovers of an interrupted one.
const (
	tmpSuffix  = ".prenv-tmp"
	oldSuffix  = ".prenv-old"
	lockSuffix = ".prenv-lock"
)

// isLeftover reports whether name is one of the siblings of a folder that
// prenv replaces (of any folder, not only of the one being written).
func isLeftover(name string) bool {
	for _, s := range []string{tmpSuffix, oldSuffix, lockSuffix} {
		if len(name) > len(s)+1 && name[0] == '.' && strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// isLegacyLeftover reports whether name is a sibling that an earlier
// version of prenv left beside the folder base when interrupted:
// .<base>.new-<digits>, and the same with .old appended.
func isLegacyLeftover(base, name string) bool {
	rest, ok := strings.CutPrefix(name, "."+base+".new-")
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, ".old")
	return rest != "" && strings.Trim(rest, "0123456789") == ""
}

// ErrNotPrenvOutput is the reason of a [*DirRefusedError] for a folder that
// holds a file prenv did not write.
var ErrNotPrenvOutput = errors.New("the folder holds a file prenv did not write")

// ErrOutputSymlink is the reason of a [*DirRefusedError] for an output
// folder that is a symbolic link.
var ErrOutputSymlink = errors.New("the output folder is a symbolic link")

// ErrOutputNotDir is the reason of a [*DirRefusedError] for an output path
// that exists and is not a folder.
var ErrOutputNotDir = errors.New("the output path is not a folder")

// DirRefusedError is returned by [ReplaceDir] when the folder is not one it
// may replace. Nothing was changed. Match the reason with errors.Is against
// [ErrNotPrenvOutput], [ErrOutputSymlink] or [ErrOutputNotDir].
type DirRefusedError struct {
	// Dir is the folder as the caller named it.
	Dir string
	// Path is the entry that made the refusal, slash-separated and relative
	// to Dir; empty when Dir itself is the reason.
	Path string
	// Reason is one of the sentinel errors above.
	Reason error
	// Detail says why, in words, naming Path.
	Detail string
}

func (e *DirRefusedError) Error() string {
	return "refusing to replace " + e.Dir + ": " + e.Detail
}

func (e *DirRefusedError) Unwrap() error { return e.Reason }

// DirLockedError is returned by [ReplaceDir] when the context ended while
// another writer of the same folder held its lock. Nothing was changed. Err
// is the context's error.
type DirLockedError struct {
	// Dir is the folder as the caller named it.
	Dir string
	// Lock is the lock file, beside Dir.
	Lock string
	Err  error
}

func (e *DirLockedError) Error() string {
	return "folder " + e.Dir + ": another writer holds " + e.Lock + ": " + e.Err.Error()
}

func (e *DirLockedError) Unwrap() error { return e.Err }

// InvalidFilesError is returned by [ReplaceDir] for file names it cannot
// write. Errs lists every problem, each at the path files[<name>]. Nothing
// was changed.
type InvalidFilesError struct {
	Errs field.ErrorList
}

func (e *InvalidFilesError) Error() string { return errlist.Format("invalid output files", e.Errs) }

// DirChanges is what [ReplaceDir] changed in the folder: the paths of the
// files it added, changed (other bytes) and removed, slash-separated,
// relative to the folder and sorted (nil when there are none). Markers
// and leftovers are not counted.
type DirChanges struct {
	Added, Changed, Removed []string
}

// ReplaceDir makes the folder dir hold exactly files, in one step.
//
// files maps slash-separated paths relative to dir (pr-12/namespace_x.yaml)
// to contents. Folders are implied by the paths; every folder, dir itself
// included, also gets a [MarkerFile] listing its files. A path must be
// relative and clean: no empty, "." or ".." elements, no backslash, no
// control character, no element over 255 bytes, not a file and a folder at
// once, and no two paths that differ only in case (the tree must be
// checked out the same way on case-insensitive file systems). The names
// MarkerFile and .<name>.prenv-{tmp,old,lock} are reserved. A bad map gives
// an [*InvalidFilesError] listing every bad path, before anything is read.
//
// ReplaceDir replaces only what prenv wrote. dir may be absent (its parents
// are created), an empty folder, or a tree in which every file is a marker
// or is listed by the marker of its folder (folders without files need no
// marker). Anything else gives a [*DirRefusedError] naming the first file
// (in name order) that prenv did not write, and nothing changes: pointed at
// a folder of the user's own files (the spec's folder, say), ReplaceDir
// refuses. A symbolic link as dir is refused, not followed, so a link
// committed in a repository can never redirect the write into another
// folder, and a link is never replaced by a real folder while its target
// keeps stale files; name the target instead. Leftovers of interrupted runs
// of prenv inside the tree (.<name>.prenv-tmp and the like) count as prenv's.
//
// The new tree is written beside dir, as .<name>.prenv-tmp, synced to disk
// (on Linux with one syncfs of the file system, elsewhere file by file),
// and then swapped with dir in one atomic step: on Linux renameat2 with
// RENAME_EXCHANGE, on macOS renameatx_np with RENAME_SWAP; when dir is
// absent, one rename. dir stays a real folder, so the tree can be committed
// and read by any tool. A process killed at any point leaves dir entirely
// as it was or entirely new. Where the exchange is not available (other
// systems, or a file system without it) the swap falls back to two
// renames: dir is moved to .<name>.prenv-old and the new tree into its
// place; killed between the two, dir is absent until the next run, which
// first moves the old tree back.
//
// Writers of the same dir take turns on the lock file .<name>.prenv-lock
// beside dir (flock on Linux, macOS and the BSDs, LockFileEx on Windows;
// the kernel releases it when a process dies; on other systems ReplaceDir
// fails with errors.ErrUnsupported). A writer waits for the lock until ctx ends, then
// returns a [*DirLockedError]. With the lock held, a run first removes the
// leftovers of interrupted runs beside dir, and before it returns it
// removes the old tree and the lock file: a finished run leaves nothing
// beside dir. Writers of nested folders (a folder of a tree another writer
// replaces) do not take each other's lock: run them one after the other.
//
// ctx is honoured until the swap; after it the run completes. On any error
// before the swap dir is as it was. The result lists the files added,
// changed and removed. The same files give the same bytes on disk: files
// are written with mode 0644 and folders with 0755 (less the umask). On
// Linux a file of the old tree whose bytes are the new ones, with that
// mode, of this user, and with no other name, is linked into the new tree
// instead of written again, and read back after linking; it keeps its
// modification time. As with git or rsync, which leave unchanged files in
// place, a process that holds such a file open for writing across the run
// writes into the new tree.
func ReplaceDir(ctx context.Context, dir string, files map[string][]byte) (DirChanges, error) {
	if ctx == nil {
		return DirChanges{}, errors.New("nil context")
	}
	return replacer{}.replace(ctx, dir, files)
}

// replacer runs ReplaceDir. Its fields exist for tests in this package.
type replacer struct {
	// hook, when set, is called with the name of each step as it is reached.
	hook func(step string)
	// noExchange forces the two-rename fallback.
	noExchange bool
}

// The steps of a run, in order, as the hook sees them.
const (
	stepLocked   = "locked"    // the lock is held
	stepCleaned  = "cleaned"   // leftovers of earlier runs are gone
	stepStaging  = "staging"   // the first file of the new tree is written
	stepStaged   = "staged"    // the new tree is complete and synced
	stepMovedOld = "moved-old" // fallback only: dir moved aside, new tree not yet in place
	stepSwapped  = "swapped"   // the new tree is dir; the old one not yet removed
	stepRemoved  = "removed"   // the old tree is removed; the lock is still held
)

func (r replacer) at(step string) {
	if r.hook != nil {
		r.hook(step)
	}
}

func (r replacer) replace(ctx context.Context, dir string, files map[string][]byte) (DirChanges, error) {
	if errs := validateFiles(files); len(errs) > 0 {
		return DirChanges{}, &InvalidFilesError{Errs: errs}
	}
	return r.stream(ctx, dir, func(ctx context.Context, put PutFunc) error {
		folders := map[string][]string{".": nil} // folder → names of its files
		for p := range files {
			d := path.Dir(p)
			folders[d] = append(folders[d], path.Base(p))
		}
		// The top folder first, then sorted: a folder comes before the
		// folders inside it.
		order := slices.Sorted(maps.Keys(folders))
		order = slices.Insert(slices.DeleteFunc(order, func(d string) bool { return d == "." }), 0, ".")
		for _, d := range order {
			sub := make(map[string][]byte, len(folders[d]))
			for _, n := range folders[d] {
				sub[n] = files[path.Join(d, n)]
			}
			if err := put(d, sub); err != nil {
				return err
			}
		}
		return nil
	})
}

// stream runs ReplaceDir and ReplaceDirStream: fill gives the new tree's
// folders to put.
func (r replacer) stream(ctx context.Context, dir string, fill func(context.Context, PutFunc) error) (DirChanges, error) {
	if err := ctx.Err(); err != nil {
		return DirChanges{}, err
	}
	if dir == "" {
		return DirChanges{}, errors.New("no output folder named")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return DirChanges{}, err
	}
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	if parent == abs {
		return DirChanges{}, &DirRefusedError{Dir: dir, Reason: ErrNotPrenvOutput, Detail: "it is the root of the file system"}
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return DirChanges{}, err
	}
	root, err := os.OpenRoot(parent)
	if err != nil {
		return DirChanges{}, err
	}
	defer root.Close()

	lockName := "." + base + lockSuffix
	lock, err := lockDir(ctx, root, lockName)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return DirChanges{}, &DirLockedError{Dir: dir, Lock: filepath.Join(filepath.Dir(filepath.Clean(dir)), lockName), Err: err}
		}
		var nr *NotRegularFileError
		if errors.As(err, &nr) {
			nr.Name = filepath.Join(filepath.Dir(filepath.Clean(dir)), lockName)
			return DirChanges{}, nr
		}
		return DirChanges{}, fmt.Errorf("lock %s: %w", dir, err)
	}
	// A lock file left behind is harmless (the next run takes and removes
	// it), so a failure to remove it is not reported.
	defer lock.release()
	r.at(stepLocked)

	if err := cleanLeftovers(root, base); err != nil {
		return DirChanges{}, fmt.Errorf("remove leftovers of an earlier run beside %s: %w", dir, err)
	}
	r.at(stepCleaned)

	in := inspector{root: root, dir: dir, old: map[string]oldFile{}}
	exists, err := in.inspect(base)
	if err != nil {
		return DirChanges{}, err
	}

	staging := "." + base + tmpSuffix
	t := newStagingTree(ctx, r, root, dir, staging, in.old)
	err = fill(ctx, t.put)
	if err == nil {
		err = t.finish()
	}
	if err != nil {
		_ = root.RemoveAll(staging)
		return DirChanges{}, err
	}
	r.at(stepStaged)
	if err := ctx.Err(); err != nil {
		_ = root.RemoveAll(staging)
		return DirChanges{}, err
	}
	if err := r.swap(root, base, staging, exists); err != nil {
		_ = root.RemoveAll(staging)
		return DirChanges{}, fmt.Errorf("replace %s: %w", dir, err)
	}
	r.at(stepSwapped)
	if pf, err := root.Open("."); err == nil {
		_ = syncDir(pf)
		pf.Close()
	}
	// The old tree now has the staging name. Should its removal fail, the
	// next run removes it before it changes anything, or fails saying why.
	_ = root.RemoveAll(staging)
	r.at(stepRemoved)
	return t.changes(), nil
}

// swap puts the folder staging in the place of base. exists says whether
// base exists; if it does, staging holds the old tree afterwards.
func (r replacer) swap(root *os.Root, base, staging string, exists bool) error {
	if !exists {
		return root.Rename(staging, base)
	}
	if !r.noExchange {
		pf, err := root.Open(".")
		if err != nil {
			return err
		}
		err = exchange(pf, staging, base)
		pf.Close()
		if !errors.Is(err, errNoExchange) {
			return err
		}
	}
	// Fallback: two renames. Between them base is absent; a run killed
	// there is rolled back by the next (see cleanLeftovers).
	old := "." + base + oldSuffix
	if err := root.Rename(base, old); err != nil {
		return err
	}
	r.at(stepMovedOld)
	if err := root.Rename(staging, base); err != nil {
		if back := root.Rename(old, base); back != nil {
			return errors.Join(err, fmt.Errorf("the earlier tree is left at %s: %w", old, back))
		}
		return err
	}
	if err := root.Rename(old, staging); err != nil {
		_ = root.RemoveAll(old)
	}
	return nil
}

// errNoExchange is returned by exchange where the system or the file
// system cannot exchange two names atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// prenvOwned reports whether the entry n (relative to the root), named like
// one of prenv's temporary siblings, is really prenv's and may be removed
// or moved back: an empty folder, a folder whose marker prenv wrote (the
// staging tree gets its markers before any file), or an empty lock file.
// Anything else under such a name is the user's and is left alone.
func prenvOwned(root *os.Root, n string) bool {
	fi, err := root.Lstat(n)
	if err != nil {
		return false
	}
	if fi.Mode().IsRegular() {
		return strings.HasSuffix(n, lockSuffix) && fi.Size() == 0
	}
	if !fi.IsDir() {
		return false
	}
	d, err := root.Open(n)
	if err != nil {
		return false
	}
	names, _ := d.Readdirnames(1)
	d.Close()
	if len(names) == 0 {
		return true
	}
	m, err := openRegular(root, filepath.Join(n, MarkerFile))
	if err != nil {
		return false
	}
	defer m.Close()
	sc := bufio.NewScanner(io.LimitReader(m, 4096))
	return sc.Scan() && sc.Text() == markerHeader
}

// cleanLeftovers removes what interrupted runs left beside the folder base:
// the staging tree, and, when base is present, the old tree of a fallback
// swap. When base is absent the old tree is the last complete one and is
// moved back. The caller holds the lock.
func cleanLeftovers(root *os.Root, base string) error {
	old := "." + base + oldSuffix
	_, err := root.Lstat(old)
	switch {
	case err == nil && prenvOwned(root, old):
		if _, err := root.Lstat(base); errors.Is(err, fs.ErrNotExist) {
			if err := root.Rename(old, base); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	pf, err := root.Open(".")
	if err != nil {
		return err
	}
	names, err := pf.Readdirnames(-1)
	pf.Close()
	if err != nil {
		return err
	}
	slices.Sort(names)
	for _, n := range names {
		if n == "."+base+tmpSuffix || n == old || isLegacyLeftover(base, n) {
			if !prenvOwned(root, n) {
				if isLegacyLeftover(base, n) {
					continue // an earlier prenv's, or the user's: left alone
				}
				return fmt.Errorf("%s beside %s is in the way and prenv did not write it (it has no %s marker): move it elsewhere", n, base, MarkerFile)
			}
			if err := root.RemoveAll(n); err != nil {
				return err
			}
		}
	}
	return nil
}

// inspector checks that a tree is prenv's and lists its files.
type inspector struct {
	root *os.Root
	dir  string // as the caller named it, for errors
	// old holds the tree's files, by path.
	old map[string]oldFile
}

// oldFile is a file of the tree being replaced.
type oldFile struct {
	name string      // relative to the root
	info fs.FileInfo // as inspected
}

// inspect checks the folder base (relative to the root). It reports
// whether base exists.
func (in *inspector) inspect(base string) (bool, error) {
	fi, err := in.root.Lstat(base)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := in.root.Readlink(base)
		return false, &DirRefusedError{Dir: in.dir, Reason: ErrOutputSymlink,
			Detail: fmt.Sprintf("it is a symbolic link (to %s), which prenv does not follow; name the folder itself", target)}
	case !fi.IsDir():
		return false, &DirRefusedError{Dir: in.dir, Reason: ErrOutputNotDir, Detail: "it is not a folder"}
	}
	return true, in.folder(base, "")
}

// folder checks the folder name (relative to the root), which is rel in
// the tree ("" for its top).
func (in *inspector) folder(name, rel string) error {
	f, err := in.root.Open(name)
	if err != nil {
		return err
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	where := "the folder"
	if rel != "" {
		where = rel + "/"
	}
	listed := map[string]bool{}
	marked := false
	for _, e := range entries {
		if e.Name() != MarkerFile {
			continue
		}
		p := path.Join(rel, MarkerFile)
		if !e.Type().IsRegular() {
			return in.refuse(p, fmt.Sprintf("it holds %s, which prenv did not write (not a regular file)", p))
		}
		names, ok, err := readMarker(in.root, filepath.Join(name, MarkerFile))
		if err != nil {
			return err
		}
		if !ok {
			return in.refuse(p, fmt.Sprintf("it holds %s, which prenv did not write (it does not start with %q)", p, markerHeader))
		}
		for _, n := range names {
			listed[n] = true
		}
		marked = true
	}
	for _, e := range entries {
		n, p := e.Name(), path.Join(rel, e.Name())
		switch t := e.Type(); {
		case n == MarkerFile || (isLeftover(n) && prenvOwned(in.root, filepath.Join(name, n))):
		case t.IsDir():
			if err := in.folder(filepath.Join(name, n), p); err != nil {
				return err
			}
		case t&fs.ModeSymlink != 0:
			return in.refuse(p, fmt.Sprintf("it holds %s, a symbolic link, which prenv never writes", p))
		case !t.IsRegular():
			return in.refuse(p, fmt.Sprintf("it holds %s, which is not a regular file", p))
		case !marked:
			return in.refuse(p, fmt.Sprintf("it holds %s, which prenv did not write (%s has no %s marker)", p, where, MarkerFile))
		case !listed[n]:
			return in.refuse(p, fmt.Sprintf("it holds %s, which prenv did not write (%s does not list it)", p, path.Join(rel, MarkerFile)))
		default:
			info, err := e.Info()
			if err != nil {
				return err
			}
			in.old[p] = oldFile{name: filepath.Join(name, n), info: info}
		}
	}
	return nil
}

func (in *inspector) refuse(p, detail string) error {
	return &DirRefusedError{Dir: in.dir, Path: p, Reason: ErrNotPrenvOutput, Detail: detail}
}

// readMarker reads the marker name (relative to the root). ok is false
// when it is not prenv's.
func readMarker(root *os.Root, name string) (names []string, ok bool, err error) {
	f, err := openRegular(root, name)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMarkerSize+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) > maxMarkerSize {
		return nil, false, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxMarkerSize)
	if !sc.Scan() || sc.Text() != markerHeader {
		return nil, false, nil
	}
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	return names, sc.Err() == nil, nil
}

// markerContent is the content of the marker of a folder holding the
// files names.
func markerContent(names []string) []byte {
	var b bytes.Buffer
	b.WriteString(markerIntro)
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// syncEach syncs the files and folders names (relative to the root) to
// disk, one by one.
func syncEach(root *os.Root, names []string) error {
	for _, n := range names {
		f, err := root.Open(n)
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err == nil {
			if fi.IsDir() {
				err = syncDir(f)
			} else {
				err = f.Sync()
			}
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// writeNew creates the file name (relative to the root), which must not
// exist.
func writeNew(root *os.Root, name string, data []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir syncs a folder's entries to disk. Windows cannot sync a folder
// handle; there it does nothing.
func syncDir(f *os.File) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	return f.Sync()
}

// validateFiles lists every path of files ReplaceDir cannot write.
func validateFiles(files map[string][]byte) field.ErrorList {
	var errs field.ErrorList
	fld := field.NewPath("files")
	paths := slices.Sorted(maps.Keys(files))
	folderOf := map[string]string{} // a path that is also a folder → a file below it
	folded := map[string]string{}   // lower-cased file or folder path → the path
	for _, p := range paths {
		if msg := checkPath(p); msg != "" {
			errs = append(errs, field.Invalid(fld.Key(p), p, msg))
			continue
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, isFile := files[d]; isFile {
				if _, told := folderOf[d]; !told {
					folderOf[d] = p
				}
			}
		}
		for q := p; q != "."; q = path.Dir(q) {
			l := strings.ToLower(q)
			if other, ok := folded[l]; ok && other != q {
				errs = append(errs, field.Invalid(fld.Key(p), p,
					fmt.Sprintf("%q and %q differ only in case, which a case-insensitive file system cannot hold apart", other, q)))
				break
			}
			folded[l] = q
		}
	}
	for _, d := range slices.Sorted(maps.Keys(folderOf)) {
		errs = append(errs, field.Invalid(fld.Key(d), d, fmt.Sprintf("is a file and also the folder of %s", folderOf[d])))
	}
	return errs
}

// checkPath says what is wrong with the path p of a file, or "".
func checkPath(p string) string {
	switch {
	case p == "":
		return "must not be empty"
	case !utf8.ValidString(p):
		return "must be valid UTF-8"
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return "must not contain control characters"
	case strings.ContainsRune(p, '\\'):
		return `must use "/" as separator, never "\"`
	case strings.HasPrefix(p, "/"):
		return "must be relative to the folder"
	}
	for _, e := range strings.Split(p, "/") {
		switch {
		case e == "":
			return `must not contain an empty element ("//" or a "/" at the end)`
		case e == "." || e == "..":
			return `must not contain "." or ".." elements`
		case len(e) > 255:
			return fmt.Sprintf("element %.20q... is longer than 255 bytes", e)
		case strings.HasPrefix(e, "#"):
			return fmt.Sprintf("element %q starts with \"#\", which a marker reads as a comment", e)
		case e == MarkerFile:
			return fmt.Sprintf("%s is reserved for prenv's marker", MarkerFile)
		case isLeftover(e):
			return fmt.Sprintf("%s is reserved for prenv's temporary folders and lock files", e)
		}
	}
	return ""
}

// dirLock is the lock of the writers of one folder: an advisory lock on
// the lock file name (relative to root).
type dirLock struct {
	root *os.Root
	name string
	f    *os.File
}

// lockDir takes the lock, polling until ctx ends. A lock file that is a
// symbolic link (or anything but a regular file) is a
// [*NotRegularFileError] at once: prenv never makes one, and opening it
// would lock, or create, the link's target.
func lockDir(ctx context.Context, root *os.Root, name string) (*dirLock, error) {
	delay := 2 * time.Millisecond
	for {
		if err := checkRegular(root, name); err != nil {
			return nil, err
		}
		f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		locked, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		if locked {
			// The writer before may have removed the file (as release
			// does) after this one opened it: the lock counts only if the
			// name still refers to the locked file.
			fi, err := f.Stat()
			if err != nil {
				unlockFile(f)
				f.Close()
				return nil, err
			}
			li, err := root.Lstat(name)
			if err == nil && os.SameFile(fi, li) {
				return &dirLock{root: root, name: name, f: f}, nil
			}
			unlockFile(f)
			f.Close()
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			// The name changed under the lock: try again after the wait
			// below, never at once, so that no loop spins.
		} else {
			f.Close()
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// NotRegularFileError is a file prenv reserves for itself (a folder's lock
// file or a [MarkerFile]) that is a symbolic link, a folder or another
// kind of file: prenv writes these itself, always as regular files, so
// one that is not was put there by someone else (a pull request can add a
// link to the repository). prenv neither follows nor replaces it.
type NotRegularFileError struct {
	// Name is the file, relative to the folder prenv was given.
	Name string
	// Mode is its type.
	Mode fs.FileMode
}

func (e *NotRegularFileError) Error() string {
	what := "not a regular file"
	switch {
	case e.Mode&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case e.Mode.IsDir():
		what = "a folder"
	}
	return fmt.Sprintf("%s is %s: prenv writes its lock and marker files itself, as regular files, and follows no link in their place; remove it", e.Name, what)
}

// checkRegular returns a [*NotRegularFileError] when name exists below
// root and is not a regular file, and nil when it is one or is absent.
func checkRegular(root *os.Root, name string) error {
	fi, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return &NotRegularFileError{Name: filepath.ToSlash(name), Mode: fi.Mode().Type()}
	}
	return nil
}

// openRegular opens name below root for reading when it is a regular
// file, not a link to one: a [*NotRegularFileError] otherwise, also when
// the name was replaced between the check and the open.
func openRegular(root *os.Root, name string) (*os.File, error) {
	li, err := root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !li.Mode().IsRegular() {
		return nil, &NotRegularFileError{Name: filepath.ToSlash(name), Mode: li.Mode().Type()}
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !os.SameFile(fi, li) {
		f.Close()
		return nil, &NotRegularFileError{Name: filepath.ToSlash(name), Mode: fs.ModeSymlink}
	}
	return f, nil
}
