// Package live_test runs the whole loop prenv is part of, live: the tier's
// kube-apiserver and kube-controller-manager (e2e/internal/cluster), kwok
// as the kubelet of one fake Node, a binder in place of kube-scheduler,
// redis, Argo CD v3.2.11's repo-server, application controller and
// ApplicationSet controller with its webhook, and notifications controller
// (tools/argocd), a git repository served over HTTP by git http-backend,
// the fake GitHub API (e2e/internal/fakegithub), and a
// stand-in for the ACK controllers (e2e/internal/ackstandin) on dynalite,
// sqslite and the IAM policy validator. Pull requests open, change and
// close on the fake GitHub API; Argo CD does the rest, and the tests check
// what the cluster and the emulators hold.
//
// The tier skips when a tool is missing, and fails instead with
// PRENV_REQUIRE_TOOLS=1: kube-apiserver and kube-controller-manager (bash
// tools/kube/build.sh), etcd, kwok (bash tools/kwok/build.sh), Argo CD (bash
// tools/argocd/build.sh), redis-server, git, node and the npm tools (bash
// e2e/npm/install.sh), and ../shared/crds.
package live_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"prenv.dev/prenv/e2e/emulators"
	"prenv.dev/prenv/e2e/internal/ackstandin"
	"prenv.dev/prenv/e2e/internal/cluster"
	"prenv.dev/prenv/e2e/internal/fakegithub"
)

// argoCDNamespace is where Argo CD runs, as prenv's specs default it.
const argoCDNamespace = "argocd"

// fakeNode is the one Node kwok manages.
const fakeNode = "kwok-node-0"

// The GitHub App the notifications controller's github service
// authenticates as, on the fake GitHub API.
const ghAppID, ghInstallationID = 4242, 77

// loop is everything the tier started.
type loop struct {
	c       *cluster.Cluster
	cl      *cluster.Client
	kube    kubernetes.Interface
	dir     string
	root    string // the repository
	render  string // the render binary built from this repository
	standIn *ackstandin.StandIn
	git     *gitServer
	gh      *fakegithub.API
	github  map[string]*fakegithub.Server // by repository name
	ghURL   string
	// The ApplicationSet controller's webhook endpoint and the GitHub
	// webhook secret it checks (argocd-secret's webhook.github.secret).
	webhookURL, webhookSecret string
	// The GitHub App of the notifications controller's github service:
	// its private key is in argocd-notifications-secret.
	ghApp   fakegithub.App
	mu      sync.Mutex // figures, from tests that run in parallel
	figures []string
}

var (
	lp     *loop
	lpErr  error
	lpSkip bool
)

// get returns the running loop, or skips or fails the test.
func get(t *testing.T) *loop {
	t.Helper()
	switch {
	case lp != nil:
		return lp
	case lpSkip:
		t.Skipf("live tier not run: %v", lpErr)
	default:
		t.Fatalf("the live tier did not start: %v", lpErr)
	}
	return nil
}

func TestMain(m *testing.M) {
	code := run(m)
	os.Exit(code)
}

func run(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tools, err := findTools()
	if err != nil {
		lpErr = err
		lpSkip = os.Getenv(cluster.EnvRequireTools) != "1"
		return m.Run()
	}
	start := time.Now()
	l, stop, err := startLoop(ctx, tools)
	if err != nil {
		lpErr = err
		code := m.Run()
		if stop != nil {
			stop(code != 0)
		}
		return code
	}
	fmt.Fprintf(os.Stderr, "live: the loop started in %s\n", time.Since(start).Round(time.Second))
	lp = l
	code := m.Run()
	for _, f := range l.figures {
		fmt.Fprintln(os.Stderr, "live: figure:", f)
	}
	stop(code != 0)
	return code
}

// tools are the binaries the tier runs.
type tools struct {
	kube    cluster.Options
	bin     string // .tools/bin
	redis   string
	git     string
	npm     *emulators.Tools
	crds    string
	rootDir string
}

// missingError lists what is missing, with how to get it.
type missingError []string

func (e missingError) Error() string { return "missing " + strings.Join(e, "; ") }

func findTools() (*tools, error) {
	root, err := cluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	t := &tools{rootDir: root, bin: filepath.Join(root, ".tools", "bin")}
	var missing missingError
	if err := cluster.FindBinaries(&t.kube); err != nil {
		missing = append(missing, err.Error())
	}
	for _, b := range []struct{ name, how string }{
		{"kwok", "bash tools/kwok/build.sh"},
		{"argocd-application-controller", "bash tools/argocd/build.sh"},
		{"argocd-repo-server", "bash tools/argocd/build.sh"},
		{"argocd-applicationset-controller", "bash tools/argocd/build.sh"},
		{"argocd-cmp-server", "bash tools/argocd/build.sh"},
		{"argocd-notifications", "bash tools/argocd/build.sh"},
	} {
		if _, err := os.Stat(filepath.Join(t.bin, b.name)); err != nil {
			missing = append(missing, fmt.Sprintf("%s in %s (%s)", b.name, t.bin, b.how))
		}
	}
	if t.redis, err = exec.LookPath("redis-server"); err != nil {
		missing = append(missing, "redis-server in PATH (apt-get install redis-server)")
	}
	if t.git, err = exec.LookPath("git"); err != nil {
		missing = append(missing, "git in PATH")
	}
	if t.npm, err = emulators.FindTools(filepath.Join(root, "e2e", "npm")); err != nil {
		missing = append(missing, err.Error())
	}
	if t.crds, err = cluster.UpstreamCRDs(); err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) > 0 {
		return nil, missing
	}
	return t, nil
}

// startLoop starts everything; stop ends it (printing the servers' last
// log lines when failed is true).
func startLoop(ctx context.Context, t *tools) (l *loop, stop func(failed bool), err error) {
	dir, err := os.MkdirTemp("", "prenv-live-")
	if err != nil {
		return nil, nil, err
	}
	var closers []func()
	var names []string
	stop = func(failed bool) {
		if failed && l != nil && l.c != nil {
			for _, n := range names {
				fmt.Fprintf(os.Stderr, "--- last lines of the %s log\n%s\n", n, l.c.LogTail(n, 40))
			}
		}
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		if os.Getenv("PRENV_LIVE_KEEP") == "" {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintln(os.Stderr, "live: kept", dir)
		}
	}
	l = &loop{dir: dir, root: t.rootDir, github: map[string]*fakegithub.Server{}}

	// The render binary, for render sync (manifest flow) and the plugin.
	l.render = filepath.Join(dir, "render")
	// In the library's own module, with its go.sum.
	build := exec.CommandContext(ctx, "go", "build", "-o", l.render, "./cmd/render")
	build.Dir = t.rootDir
	if out, err := build.CombinedOutput(); err != nil {
		return l, stop, fmt.Errorf("building render: %v\n%s", err, out)
	}

	opts := t.kube
	opts.Dir = filepath.Join(dir, "cluster")
	if err := os.Mkdir(opts.Dir, 0o755); err != nil {
		return l, stop, err
	}
	opts.CRDDirs = []string{t.crds}
	// What Argo CD's sync waits for: Deployments, StatefulSets and Jobs
	// reach their status through their controllers; a ResourceQuota must
	// have a status before the quota admits a Pod; the garbage collector
	// deletes a Job's Pods with it.
	opts.Controllers = []string{"serviceaccount-controller", "deployment-controller", "replicaset-controller", "statefulset-controller", "job-controller", "garbage-collector-controller", "resourcequota-controller"}
	// kwok's informers (client-go v0.33) ask for watch-list streams, which
	// the API server cannot serve on this etcd (3.4.23, too old for its
	// progress requests): the stream then ends every second and a Pod waits
	// about 30 s for kwok's next list. With the WatchList gate off the
	// server refuses the stream at once and kwok falls back to list and
	// watch.
	opts.APIServerFlags = []string{"--feature-gates=WatchList=false"}
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		return l, stop, err
	}
	l.c = c
	closers = append(closers, func() { _ = c.Stop() })
	names = append(names, cluster.APIServer, cluster.ControllerManager)
	if l.cl, err = c.Client(); err != nil {
		return l, stop, err
	}
	if l.kube, err = kubernetes.NewForConfig(c.Config()); err != nil {
		return l, stop, err
	}
	kubeconfig := filepath.Join(dir, "admin.kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig); err != nil {
		return l, stop, err
	}

	// kwok and its Node; the binder puts every Pod on it.
	if err := l.createNode(ctx); err != nil {
		return l, stop, err
	}
	if err := c.StartProcess("kwok", filepath.Join(t.bin, "kwok"), []string{"HOME=" + dir},
		"--kubeconfig="+kubeconfig, "--manage-single-node="+fakeNode, "--node-ip=127.0.0.1"); err != nil {
		return l, stop, err
	}
	names = append(names, "kwok")
	bctx, bcancel := context.WithCancel(ctx)
	closers = append(closers, bcancel)
	go bindPods(bctx, l.kube, fakeNode)

	// The emulators and the stand-in for the ACK controllers.
	dyn, err := emulators.StartDynalite(ctx, t.npm)
	if err != nil {
		return l, stop, err
	}
	closers = append(closers, dyn.Close)
	sqs, err := emulators.StartSQSLite(ctx, t.npm)
	if err != nil {
		return l, stop, err
	}
	closers = append(closers, sqs.Close)
	l.standIn = &ackstandin.StandIn{Dynamic: l.cl.Dynamic, Dynalite: dyn, SQS: sqs, Tools: t.npm, AccountID: "123456789012"}
	sctx, scancel := context.WithCancel(ctx)
	closers = append(closers, scancel)
	go l.standIn.Run(sctx)

	// The git server and the fake GitHub API.
	if l.git, err = startGit(dir, t.git); err != nil {
		return l, stop, err
	}
	closers = append(closers, l.git.close)
	if l.gh, err = fakegithub.Start(); err != nil {
		return l, stop, err
	}
	closers = append(closers, func() { l.gh.Close() })
	for _, repo := range []string{"web", "catalog", "keep", "plug", "hook", "feedback"} {
		l.github[repo] = l.gh.Repo("example", repo)
	}
	l.ghURL = l.gh.URL
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return l, stop, err
	}
	l.ghApp = fakegithub.App{ID: ghAppID, InstallationID: ghInstallationID, Slug: "prenv-e2e", Key: &key.PublicKey}
	l.gh.SetApp(l.ghApp)

	// Argo CD.
	if err := l.startArgoCD(ctx, t, kubeconfig, key); err != nil {
		return l, stop, err
	}
	names = append(names, "argocd-repo-server", "argocd-application-controller", "argocd-applicationset-controller", "argocd-notifications")
	return l, stop, nil
}

// createNode creates the fake Node kwok keeps Ready.
func (l *loop) createNode(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        fakeNode,
			Labels:      map[string]string{"kubernetes.io/hostname": fakeNode, "type": "kwok"},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
		},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{"cpu": mustQuantity("64"), "memory": mustQuantity("256Gi"), "pods": mustQuantity("1000")},
			Capacity:    corev1.ResourceList{"cpu": mustQuantity("64"), "memory": mustQuantity("256Gi"), "pods": mustQuantity("1000")},
		},
	}
	_, err := l.kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	return err
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for len(ports) < n {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		dup := false
		for _, q := range ports {
			dup = dup || q == p
		}
		if !dup {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// gitServer serves bare repositories of a folder over HTTP with git's own
// smart-HTTP server, git http-backend, as a CGI program.
type gitServer struct {
	URL  string // http://127.0.0.1:<port>
	root string
	git  string
	srv  *http.Server
}

func startGit(dir, git string) (*gitServer, error) {
	root := filepath.Join(dir, "git")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	execPath, err := exec.Command(git, "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("git --exec-path: %w", err)
	}
	h := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &gitServer{URL: "http://" + ln.Addr().String(), root: root, git: git, srv: &http.Server{Handler: h}}
	go g.srv.Serve(ln)
	return g, nil
}

func (g *gitServer) close() { g.srv.Close() }

// newRepo makes a bare repository name.git and a work tree cloned from
// it, and returns the work tree's folder and the repository's URL.
func (g *gitServer) newRepo(name string) (work, url string, err error) {
	bare := filepath.Join(g.root, name+".git")
	if err := g.run("", "init", "--bare", "--initial-branch=main", bare); err != nil {
		return "", "", err
	}
	work = filepath.Join(g.root, "work", name)
	if err := g.run("", "clone", "--quiet", bare, work); err != nil {
		return "", "", err
	}
	return work, g.URL + "/" + name + ".git", nil
}

// commit commits everything in the work tree and pushes it; it returns the
// new commit's SHA.
func (g *gitServer) commit(work, message string) (string, error) {
	if err := g.run(work, "add", "-A"); err != nil {
		return "", err
	}
	if err := g.run(work, "-c", "user.name=prenv e2e", "-c", "user.email=e2e@prenv.invalid", "commit", "--quiet", "--allow-empty", "-m", message); err != nil {
		return "", err
	}
	if err := g.run(work, "push", "--quiet", "origin", "HEAD:main"); err != nil {
		return "", err
	}
	out, err := exec.Command(g.git, "-C", work, "rev-parse", "HEAD").Output()
	return strings.TrimSpace(string(out)), err
}

func (g *gitServer) run(dir string, args ...string) error {
	cmd := exec.Command(g.git, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
