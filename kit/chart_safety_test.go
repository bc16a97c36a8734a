//go:build unix

package kit_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/internal/testkit"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/spec"
)

const testChartYAML = "apiVersion: v2\nname: web\nversion: 0.1.0\n"

// newChart writes a chart named web with the given files (Chart.yaml
// added) into a new folder and returns it.
func newChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "web")
	all := map[string]string{"Chart.yaml": testChartYAML}
	for k, v := range files {
		all[k] = v
	}
	testkit.WriteTree(t, dir, all)
	return dir
}

// renderChart renders a chart for the web example's env, failing the test
// when RenderChart does not return within a minute (it must never block).
func renderChart(t *testing.T, opts kit.ChartOptions) ([]*unstructured.Unstructured, error) {
	t.Helper()
	m := testkit.RenderExample(t, "web").Model
	type result struct {
		objs []*unstructured.Unstructured
		err  error
	}
	done := make(chan result, 1)
	go func() {
		objs, err := kit.RenderChart(context.Background(), m, opts)
		done <- result{objs, err}
	}()
	select {
	case r := <-done:
		return r.objs, r.err
	case <-time.After(time.Minute):
		t.Fatal("RenderChart blocked")
		return nil, nil
	}
}

// fileTemplate is a template that puts a chart file into a ConfigMap.
const fileTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: file
data:
  content: {{ .Files.Get "data/file.txt" | toJson }}
`

// TestChartSymlinks: a symbolic link that leaves the chart (to a file, a
// folder, or an absolute one) is refused by default with the file named;
// AllowSymlinks follows it as helm template does; a link that stays inside
// the chart is followed either way.
func TestChartSymlinks(t *testing.T) {
	outside := t.TempDir()
	testkit.WriteTree(t, outside, map[string]string{
		"secret.txt":     "outside secret",
		"tpl/leak.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaked}\n",
		"dir/file.txt":   "outside folder",
		"dir/other.yaml": "x",
	})
	for name, tc := range map[string]struct {
		files   map[string]string
		link    string // inside the chart
		target  func(chart string) string
		want    string // content of ConfigMap "file", or the leaked object's name
		outside bool
	}{
		"relative link to a file outside": {
			files: map[string]string{"templates/cm.yaml": fileTemplate}, link: "data/file.txt",
			target: func(chart string) string {
				return testkit.RelTo(t, filepath.Join(chart, "data"), filepath.Join(outside, "secret.txt"))
			},
			want: "outside secret", outside: true,
		},
		"absolute link to a file outside": {
			files: map[string]string{"templates/cm.yaml": fileTemplate}, link: "data/file.txt",
			target: func(string) string { return filepath.Join(outside, "secret.txt") },
			want:   "outside secret", outside: true,
		},
		"linked folder outside": {
			files: map[string]string{"templates/cm.yaml": fileTemplate}, link: "data",
			target: func(string) string { return filepath.Join(outside, "dir") },
			want:   "outside folder", outside: true,
		},
		"template linked outside": {
			files: map[string]string{}, link: "templates/leak.yaml",
			target: func(string) string { return filepath.Join(outside, "tpl", "leak.yaml") },
			want:   "leaked", outside: true,
		},
		"link inside the chart": {
			files:  map[string]string{"templates/cm.yaml": fileTemplate, "real/file.txt": "inside"},
			link:   "data/file.txt",
			target: func(string) string { return filepath.Join("..", "real", "file.txt") },
			want:   "inside",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := newChart(t, tc.files)
			link := filepath.Join(dir, filepath.FromSlash(tc.link))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			testkit.LinkOrSkip(t, tc.target(dir), link)

			objs, err := renderChart(t, kit.ChartOptions{Dir: dir})
			if tc.outside {
				var le *spec.LinkOutsideError
				if !errors.As(err, &le) || le.Path != link {
					t.Fatalf("error %v, want a *LinkOutsideError for %s", err, link)
				}
				if !strings.Contains(err.Error(), link+": ") {
					t.Errorf("error %q does not name the link", err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if got := chartResult(objs); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}

			objs, err = renderChart(t, kit.ChartOptions{Dir: dir, AllowSymlinks: true})
			if err != nil {
				t.Fatalf("AllowSymlinks: %v", err)
			}
			if got := chartResult(objs); got != tc.want {
				t.Errorf("AllowSymlinks: got %q, want %q", got, tc.want)
			}
		})
	}
}

// chartResult is the content of the ConfigMap "file", or the name of the
// first other object.
func chartResult(objs []*unstructured.Unstructured) string {
	for _, o := range objs {
		if o.GetName() == "file" {
			s, _, _ := unstructured.NestedString(o.Object, "data", "content")
			return s
		}
	}
	if len(objs) > 0 {
		return objs[0].GetName()
	}
	return ""
}

// TestChartBounded: a named pipe or a file over MaxChartFileSize in a chart
// folder, a .tgz over MaxChartSize and one that decompresses to more than
// MaxChartSize are refused with the file, its size and the limit, without
// blocking.
func TestChartBounded(t *testing.T) {
	t.Run("named pipe", func(t *testing.T) {
		dir := newChart(t, map[string]string{"templates/cm.yaml": fileTemplate})
		pipe := filepath.Join(dir, "data", "file.txt")
		os.MkdirAll(filepath.Dir(pipe), 0o755)
		if err := syscall.Mkfifo(pipe, 0o644); err != nil {
			t.Skip(err)
		}
		_, err := renderChart(t, kit.ChartOptions{Dir: dir})
		var nr *spec.NotRegularFileError
		if !errors.As(err, &nr) || nr.Path != pipe {
			t.Fatalf("error %v, want a *NotRegularFileError for %s", err, pipe)
		}
	})
	t.Run("file over the limit", func(t *testing.T) {
		dir := newChart(t, nil)
		big := filepath.Join(dir, "big.txt")
		testkit.SparseOf(t, big, kit.MaxChartFileSize+1)
		_, err := renderChart(t, kit.ChartOptions{Dir: dir})
		want := spec.FileTooLargeError{Path: big, Size: kit.MaxChartFileSize + 1, Limit: kit.MaxChartFileSize}
		var tl *spec.FileTooLargeError
		if !errors.As(err, &tl) || *tl != want {
			t.Fatalf("error %v, want %v", err, &want)
		}
		if msg := big + ": 5242881 bytes, over the limit of 5242880 bytes"; !strings.Contains(err.Error(), msg) {
			t.Errorf("error %q lacks %q", err, msg)
		}
	})
	t.Run("archive over the limit", func(t *testing.T) {
		tgz := filepath.Join(t.TempDir(), "web.tgz")
		testkit.SparseOf(t, tgz, kit.MaxChartSize+1)
		_, err := renderChart(t, kit.ChartOptions{Dir: tgz})
		want := spec.FileTooLargeError{Path: tgz, Size: kit.MaxChartSize + 1, Limit: kit.MaxChartSize}
		var tl *spec.FileTooLargeError
		if !errors.As(err, &tl) || *tl != want {
			t.Fatalf("error %v, want %v", err, &want)
		}
	})
	t.Run("archive decompressing past the limit", func(t *testing.T) {
		// Many small entries: each under Helm's per-file limit, together
		// over MaxChartSize decompressed, a few hundred kilobytes packed.
		var buf bytes.Buffer
		gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		tw := tar.NewWriter(gz)
		add := func(name string, data []byte) {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
				t.Fatal(err)
			}
			tw.Write(data)
		}
		add("web/Chart.yaml", []byte(testChartYAML))
		block := make([]byte, 4<<20)
		for i := 0; int64(i)*int64(len(block)) <= kit.MaxChartSize; i++ {
			add("web/files/f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+".bin", block)
		}
		tw.Close()
		gz.Close()
		tgz := filepath.Join(t.TempDir(), "web.tgz")
		if err := os.WriteFile(tgz, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := renderChart(t, kit.ChartOptions{Dir: tgz})
		want := spec.FileTooLargeError{Path: tgz, Size: kit.MaxChartSize + 1, AtLeast: true, Limit: kit.MaxChartSize}
		var tl *spec.FileTooLargeError
		if !errors.As(err, &tl) || *tl != want {
			t.Fatalf("error %v, want %v", err, &want)
		}
	})
	t.Run("limits are Helm's", func(t *testing.T) {
		if kit.MaxChartFileSize != loader.MaxDecompressedFileSize || kit.MaxChartSize != loader.MaxDecompressedChartSize {
			t.Errorf("MaxChartFileSize %d, MaxChartSize %d; Helm's loader: %d, %d", kit.MaxChartFileSize, kit.MaxChartSize, loader.MaxDecompressedFileSize, loader.MaxDecompressedChartSize)
		}
	})
}

// TestChartArchive: a packaged chart still renders.
func TestChartArchive(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, data := range map[string]string{
		"web/Chart.yaml":        testChartYAML,
		"web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: packaged}\n",
	} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(data))
	}
	tw.Close()
	gz.Close()
	tgz := filepath.Join(t.TempDir(), "web-0.1.0.tgz")
	if err := os.WriteFile(tgz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := renderChart(t, kit.ChartOptions{Dir: tgz})
	if err != nil {
		t.Fatal(err)
	}
	if got := chartResult(objs); got != "packaged" {
		t.Errorf("got %q, want packaged", got)
	}
}

// TestChartNondeterministic: a chart that calls now, rand*, uuidv4, gen*
// or lookup, in a template, a helper it never includes, or in text it gives
// to tpl (a value, a string, a chart file), is refused with each call's
// template and line; text built while rendering and given to tpl shows as
// output that differs between two renders. AllowNondeterministic renders
// them all.
func TestChartNondeterministic(t *testing.T) {
	cm := func(data string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: file\ndata:\n  content: " + data + "\n"
	}
	for name, tc := range map[string]struct {
		files  map[string]string
		calls  []string
		differ []string
	}{
		"now": {
			files: map[string]string{"templates/cm.yaml": cm("{{ now | toJson }}")},
			calls: []string{"now at web/templates/cm.yaml:6:14"},
		},
		"several, in helpers never included": {
			files: map[string]string{
				"templates/cm.yaml":     cm(`{{ randAlphaNum 8 | quote }}`),
				"templates/_util.tpl":   "{{- define \"web.id\" -}}\n{{ uuidv4 }}\n{{- end -}}\n{{- define \"web.ca\" -}}{{ genCA \"x\" 3 }}{{- end -}}\n",
				"templates/lookup.yaml": cm(`{{ lookup "v1" "Secret" "ns" "s" | toJson | quote }}`),
			},
			calls: []string{
				"uuidv4 at web/templates/_util.tpl:2:3",
				"genCA at web/templates/_util.tpl:4:26",
				"randAlphaNum at web/templates/cm.yaml:6:14",
				"lookup at web/templates/lookup.yaml:6:14",
			},
		},
		"in a value given to tpl": {
			files: map[string]string{
				"values.yaml":       "password: '{{ randAlphaNum 12 }}'\n",
				"templates/cm.yaml": cm("{{ tpl .Values.password . | quote }}"),
			},
			calls: []string{"randAlphaNum at values.password (for tpl)"},
		},
		"in a string given to tpl": {
			files: map[string]string{"templates/cm.yaml": cm(`{{ tpl "{{ uuidv4 }}" . | quote }}`)},
			calls: []string{"uuidv4 at a string at web/templates/cm.yaml:6:18 (for tpl)"},
		},
		"in a chart file given to tpl": {
			files: map[string]string{
				"files/id.tpl":      "{{ uuidv4 }}",
				"templates/cm.yaml": cm(`{{ tpl (.Files.Get "files/id.tpl") . | quote }}`),
			},
			calls: []string{"uuidv4 at web/files/id.tpl (for tpl)"},
		},
		"built at run time and given to tpl": {
			files:  map[string]string{"templates/cm.yaml": cm(`{{ tpl (b64dec "e3sgdXVpZHY0IH19") . | quote }}`)},
			differ: []string{"web/templates/cm.yaml"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := newChart(t, tc.files)
			_, err := renderChart(t, kit.ChartOptions{Dir: dir})
			var ne *kit.NondeterministicChartError
			if !errors.As(err, &ne) {
				t.Fatalf("error %v, want a *NondeterministicChartError", err)
			}
			if diff := cmp.Diff(tc.calls, ne.Calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.differ, ne.Differ); diff != "" {
				t.Errorf("differ (-want +got):\n%s", diff)
			}
			if _, err := renderChart(t, kit.ChartOptions{Dir: dir, AllowNondeterministic: true}); err != nil {
				t.Errorf("AllowNondeterministic: %v", err)
			}
		})
	}
}

// TestChartValuesBounded: a values file over MaxValuesSize is refused.
func TestChartValuesBounded(t *testing.T) {
	dir := newChart(t, map[string]string{"templates/cm.yaml": fileTemplate})
	_, err := renderChart(t, kit.ChartOptions{Dir: dir, Values: [][]byte{make([]byte, kit.MaxValuesSize+1)}})
	want := spec.FileTooLargeError{Path: "values file 1", Size: kit.MaxValuesSize + 1, Limit: kit.MaxValuesSize}
	var tl *spec.FileTooLargeError
	if !errors.As(err, &tl) || *tl != want {
		t.Fatalf("error %v, want %v", err, &want)
	}
}
