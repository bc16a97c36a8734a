package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RepoRoot returns the root of the prenv repository (the folder of the
// go.mod of module prenv.dev/prenv), searched upwards from the working
// directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isPrenvModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of module prenv.dev/prenv above the working directory")
		}
		dir = parent
	}
}

func isPrenvModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return fields[1] == "prenv.dev/prenv"
		}
	}
	return false
}

// UpstreamCRDs returns the folder of the upstream ACK and Argo CD CRDs,
// ../shared/crds from the repository root.
func UpstreamCRDs() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "..", "shared", "crds")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("the upstream CRDs are not in %s (../shared/crds from the repository root)", dir)
	}
	return dir, nil
}

// MissingToolsError lists the binaries that were not found.
type MissingToolsError struct {
	Missing []string
}

func (e *MissingToolsError) Error() string {
	return "missing " + strings.Join(e.Missing, ", ") +
		" (build kube-apiserver and kube-controller-manager with `bash tools/kube/build.sh`; install etcd with `apt-get install etcd-server`)"
}

// FindBinaries fills the binaries' paths of opts that are empty:
// kube-apiserver and kube-controller-manager from $PRENV_KUBE_BIN or the
// repository's .tools/bin, etcd from $PRENV_ETCD or PATH. A
// [*MissingToolsError] lists what is missing.
func FindBinaries(opts *Options) error {
	binDir := os.Getenv(EnvBin)
	if binDir == "" {
		root, err := RepoRoot()
		if err != nil {
			return err
		}
		binDir = filepath.Join(root, ".tools", "bin")
	}
	var missing []string
	for _, b := range []struct {
		name string
		dst  *string
	}{{APIServer, &opts.APIServer}, {ControllerManager, &opts.ControllerManager}} {
		if *b.dst != "" {
			continue
		}
		p := filepath.Join(binDir, b.name)
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, p)
			continue
		}
		*b.dst = p
	}
	if opts.Etcd == "" {
		if p := os.Getenv(EnvEtcd); p != "" {
			opts.Etcd = p
		} else if p, err := exec.LookPath(Etcd); err == nil {
			opts.Etcd = p
		} else {
			missing = append(missing, "etcd in PATH")
		}
	}
	if len(missing) > 0 {
		return &MissingToolsError{Missing: missing}
	}
	return nil
}

// Env is the control plane of one test binary, started by [Main].
type Env struct {
	c    *Cluster
	err  error // the start failed, or a tool is missing
	skip bool  // err is a missing tool and skipping is allowed
}

// Get returns the running control plane. When a binary is missing it skips
// the test, or fails it with PRENV_REQUIRE_TOOLS=1; when the start failed
// it fails the test.
func (e *Env) Get(t testing.TB) *Cluster {
	t.Helper()
	switch {
	case e.c != nil:
		return e.c
	case e.skip:
		t.Skipf("end-to-end tier not run: %v", e.err)
	case e.err != nil:
		t.Fatalf("the control plane did not start: %v", e.err)
	default:
		t.Fatal("cluster.Env used outside cluster.Main")
	}
	return nil
}

// Client returns an admin client of the running control plane, as Get
// finds it (skipping or failing the test the same way).
func (e *Env) Client(t testing.TB) *Client {
	t.Helper()
	cl, err := e.Get(t).Client()
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// Main starts a control plane with the upstream CRDs (see [Start]; empty
// fields of opts are found or defaulted), runs the tests, stops the control
// plane and returns the exit code for os.Exit. The tests reach the control
// plane through env. A missing binary or ../shared/crds is reported by
// [Env.Get]: a skip, or a failure with PRENV_REQUIRE_TOOLS=1.
func Main(m *testing.M, opts Options, env *Env) int {
	code, err := run(m, opts, env)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func run(m *testing.M, opts Options, env *Env) (int, error) {
	if err := FindBinaries(&opts); err != nil {
		var missing *MissingToolsError
		env.err = err
		env.skip = errors.As(err, &missing) && os.Getenv(EnvRequireTools) != "1"
		return m.Run(), nil
	}
	if opts.CRDDirs == nil {
		crds, err := UpstreamCRDs()
		if err != nil {
			// As the library's conformance tests: skipped without them,
			// except in CI.
			env.err = err
			env.skip = os.Getenv(EnvRequireTools) != "1"
			return m.Run(), nil
		}
		opts.CRDDirs = []string{crds}
	}
	dir, err := os.MkdirTemp("", "prenv-e2e-")
	if err != nil {
		return 1, err
	}
	opts.Dir = dir
	start := time.Now()
	c, err := Start(context.Background(), opts)
	if err != nil {
		env.err = err
		code := m.Run()
		return code, os.RemoveAll(dir)
	}
	fmt.Fprintf(os.Stderr, "cluster: control plane started with CRDs in %s\n", time.Since(start).Round(time.Millisecond))
	env.c = c
	code := m.Run()
	if code != 0 {
		for _, name := range []string{Etcd, APIServer, ControllerManager} {
			fmt.Fprintf(os.Stderr, "--- last lines of the %s log\n%s\n", name, c.LogTail(name, 15))
		}
	}
	stopErr := c.Stop()
	return code, errors.Join(stopErr, os.RemoveAll(dir))
}
