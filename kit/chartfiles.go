package kit

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"

	"prenv.dev/prenv/internal/bounded"
	"prenv.dev/prenv/spec"
)

// utf8BOM is the byte order mark Helm's loader strips from chart files.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// loadChart loads a chart folder or .tgz as Helm's loader.Load does, but
// reads it with prenv's limits: only regular files, each at most
// MaxChartFileSize and MaxChartSize in all (a .tgz: compressed, and
// decompressed with its subcharts' archives), and, unless allowSymlinks,
// nothing outside the folder.
func loadChart(name string, allowSymlinks bool) (*chart.Chart, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return loadChartDir(name, allowSymlinks)
	}
	data, err := bounded.ReadFile(name, MaxChartSize)
	if err != nil {
		return nil, err
	}
	budget := MaxChartSize
	if err := checkArchive(name, data, &budget, 0); err != nil {
		return nil, err
	}
	return loader.LoadArchive(bytes.NewReader(data))
}

// loadChartDir reads a chart folder as Helm's loader.LoadDir does
// (.helmignore and its defaults, files in lexical order, byte order marks
// stripped), through an os.Root unless allowSymlinks.
func loadChartDir(dir string, allowSymlinks bool) (*chart.Chart, error) {
	d, err := bounded.OpenDir(dir, MaxChartFileSize, !allowSymlinks)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	rules := ignore.Empty()
	switch b, err := d.ReadFile(ignore.HelmIgnore); {
	case err == nil:
		if rules, err = ignore.Parse(bytes.NewReader(b)); err != nil {
			return nil, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	rules.AddDefaults()
	var files []*loader.BufferedFile
	budget := MaxChartSize
	err = d.Walk(".", true, func(name string, info fs.FileInfo, err error) error {
		if err != nil {
			// A link that cannot be followed (it leaves the chart) is
			// refused unless .helmignore leaves it out.
			if info != nil && rules.Ignore(name, info) {
				return nil
			}
			return err
		}
		if info.IsDir() {
			if rules.Ignore(name, info) {
				return fs.SkipDir
			}
			return nil
		}
		if rules.Ignore(name, info) {
			return nil
		}
		data, err := d.ReadFile(name)
		if err != nil {
			return err
		}
		if budget -= int64(len(data)); budget < 0 {
			return &spec.FileTooLargeError{Path: dir, Size: MaxChartSize + 1, AtLeast: true, Limit: MaxChartSize}
		}
		if strings.HasSuffix(name, ".tgz") {
			if err := checkArchive(d.Path(name), data, &budget, 1); err != nil {
				return err
			}
		}
		files = append(files, &loader.BufferedFile{Name: name, Data: bytes.TrimPrefix(data, utf8BOM)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return loader.LoadFiles(files)
}

// maxArchiveDepth bounds how deep subchart archives are opened.
const maxArchiveDepth = 8

// errOverBudget stops a read past a chart's size budget.
var errOverBudget = errors.New("over the chart's size limit")

// checkArchive reads a chart archive to its end before Helm's loader does,
// and refuses it when what it decompresses to (tar headers included, and
// the archives of subcharts in it, which Helm's loader also opens) exceeds
// what is left of budget, so that a small archive cannot expand into
// gigabytes or millions of entries. What it reads is taken from budget.
func checkArchive(name string, data []byte, budget *int64, depth int) error {
	if depth > maxArchiveDepth {
		return fmt.Errorf("%s: subchart archives nested more than %d deep", name, maxArchiveDepth)
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: not a gzipped chart archive: %w", name, err)
	}
	defer gz.Close()
	fail := func(err error) error {
		if *budget < 0 || errors.Is(err, errOverBudget) {
			return &spec.FileTooLargeError{Path: name, Size: MaxChartSize + 1, AtLeast: true, Limit: MaxChartSize}
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	r := &budgetReader{r: gz, left: budget}
	tr := tar.NewReader(r)
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		if hd.Typeflag != tar.TypeReg || !strings.HasSuffix(hd.Name, ".tgz") || hd.Size > MaxChartFileSize {
			continue // Helm's loader refuses a file over MaxChartFileSize
		}
		sub, err := io.ReadAll(tr)
		if err != nil {
			return fail(err)
		}
		if err := checkArchive(name+": "+hd.Name, sub, budget, depth+1); err != nil {
			return err
		}
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fail(err)
	}
	return nil
}

// budgetReader takes what it reads from *left and fails once that is
// below zero.
type budgetReader struct {
	r    io.Reader
	left *int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if *b.left < 0 {
		return 0, errOverBudget
	}
	if int64(len(p)) > *b.left+1 {
		p = p[:*b.left+1]
	}
	n, err := b.r.Read(p)
	*b.left -= int64(n)
	if *b.left < 0 {
		return n, errOverBudget
	}
	return n, err
}
