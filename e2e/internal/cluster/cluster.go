// Package cluster starts a real Kubernetes control plane for prenv's
// end-to-end tests: etcd, kube-apiserver and kube-controller-manager, on
// loopback only, with the upstream CRDs installed.
//
// The binaries are not downloaded: kube-apiserver and
// kube-controller-manager are built from source by tools/kube/build.sh, and
// etcd is Debian's etcd-server package. A test package starts one control
// plane for all its tests with [Main] and gets it with [Env.Get]:
//
//	var env cluster.Env
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Main(m, cluster.Options{}, &env)) }
//
//	func TestX(t *testing.T) {
//		c := env.Get(t) // skips when a tool is missing, unless PRENV_REQUIRE_TOOLS=1
//		cl, err := c.Client()
//		...
//		_, err = cl.Apply(ctx, obj, cluster.ApplyOptions{}) // server-side apply, field manager prenv
//	}
//
// [Cluster.Config] gives a rest.Config for any other client (a typed
// clientset, controller-runtime's client, ...). Tests in one package share
// the control plane and run one after another; each uses namespaces of its
// own.
package cluster

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
)

// Binaries the control plane needs.
const (
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	Etcd              = "etcd"
)

// Environment variables the package reads.
const (
	// EnvBin names a folder holding kube-apiserver and
	// kube-controller-manager (default: .tools/bin of the repository, where
	// tools/kube/build.sh links them).
	EnvBin = "PRENV_KUBE_BIN"
	// EnvEtcd names the etcd binary (default: etcd from PATH).
	EnvEtcd = "PRENV_ETCD"
	// EnvRequireTools set to 1 makes a missing binary a failure instead of
	// a skip, as in CI.
	EnvRequireTools = "PRENV_REQUIRE_TOOLS"
)

// Options configure [Start].
type Options struct {
	// Dir is the folder for etcd's data, keys, configuration and logs. It
	// must exist; the caller removes it after [Cluster.Stop].
	Dir string
	// APIServer, ControllerManager and Etcd are the binaries' paths;
	// [FindBinaries] fills them.
	APIServer, ControllerManager, Etcd string
	// CRDDirs are folders whose CustomResourceDefinitions (*.yaml, searched
	// recursively) are installed before Start returns.
	CRDDirs []string
	// StartTimeout bounds the wait for each server to become ready
	// (default 3 minutes: a busy 2-core machine is slow to start them).
	StartTimeout time.Duration
	// CRDTimeout bounds the wait for the CRDs to be Established and served
	// (default 5 minutes).
	CRDTimeout time.Duration
	// Controllers are kube-controller-manager's controllers to run beside
	// namespace, which always runs (its --controllers names, such as
	// deployment-controller, job-controller or garbage-collector-controller).
	Controllers []string
	// APIServerFlags are more flags of kube-apiserver, after the package's.
	APIServerFlags []string
}

// Cluster is a running control plane.
type Cluster struct {
	dir    string
	config *rest.Config
	procs  []*process // in start order

	clientOnce sync.Once
	client     *Client
	clientErr  error
}

// Config returns a copy of the admin client configuration: https on
// 127.0.0.1 with the server's CA and a bearer token of a member of
// system:masters.
func (c *Cluster) Config() *rest.Config { return rest.CopyConfig(c.config) }

// Dir is the folder given in [Options.Dir].
func (c *Cluster) Dir() string { return c.dir }

// LogTail returns the last n lines of a server's log (etcd,
// kube-apiserver, kube-controller-manager), for failure messages.
func (c *Cluster) LogTail(name string, n int) string {
	return tail(filepath.Join(c.dir, name+".log"), n)
}

// Running reports an error naming every server that has exited.
func (c *Cluster) Running() error {
	var errs []error
	for _, p := range c.procs {
		if err := p.exited(); err != nil {
			errs = append(errs, fmt.Errorf("%s exited: %w\n%s", p.name, err, tail(p.log, 20)))
		}
	}
	return errors.Join(errs...)
}

// Stop ends the servers, controller manager first, etcd last: each process
// group gets SIGTERM, then SIGKILL if it has not exited within 15 seconds.
func (c *Cluster) Stop() error {
	var errs []error
	for i := len(c.procs) - 1; i >= 0; i-- {
		if err := c.procs[i].stop(15 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	c.procs = nil
	return errors.Join(errs...)
}

// Start starts etcd, kube-apiserver and kube-controller-manager on free
// loopback ports, waits until the API server is ready, and installs the
// CRDs of opts.CRDDirs. On any error every process it started is stopped.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	if opts.Dir == "" {
		return nil, errors.New("cluster: Options.Dir is required")
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 3 * time.Minute
	}
	if opts.CRDTimeout == 0 {
		opts.CRDTimeout = 5 * time.Minute
	}
	for _, b := range []struct{ name, path string }{{APIServer, opts.APIServer}, {ControllerManager, opts.ControllerManager}, {Etcd, opts.Etcd}} {
		if b.path == "" {
			return nil, fmt.Errorf("cluster: no path for %s (see FindBinaries)", b.name)
		}
	}
	c = &Cluster{dir: opts.Dir}
	defer func() {
		if err != nil {
			if serr := c.Stop(); serr != nil {
				err = errors.Join(err, serr)
			}
			c = nil
		}
	}()

	ports, err := freePorts(3)
	if err != nil {
		return c, err
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]

	// etcd: one member, data in Dir.
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	etcd, err := c.start(Etcd, opts.Etcd, nil,
		"--name=e2e",
		"--data-dir="+filepath.Join(opts.Dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	)
	if err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, opts.StartTimeout, etcd, http.DefaultClient, etcdURL+"/health"); err != nil {
		return c, err
	}

	// Keys and credentials.
	k, err := writeKeys(opts.Dir)
	if err != nil {
		return c, err
	}
	apiURL := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	api, err := c.start(APIServer, opts.APIServer, nil, append([]string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(apiPort),
		// The server is no Service's endpoint: nothing reconciles the
		// kubernetes Service's endpoints to 127.0.0.1.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(opts.Dir, "apiserver-certs"),
		"--tls-cert-file=" + k.servingCert,
		"--tls-private-key-file=" + k.servingKey,
		"--token-auth-file=" + k.tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + k.saPublic,
		"--service-account-signing-key-file=" + k.saPrivate,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--profiling=false",
		"--v=1",
	}, opts.APIServerFlags...)...)
	if err != nil {
		return c, err
	}
	c.config = &rest.Config{
		Host:            apiURL,
		BearerToken:     k.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: k.caPEM},
		// The tests apply hundreds of objects; the server is local.
		QPS:   500,
		Burst: 1000,
	}
	hc, err := rest.HTTPClientFor(c.config)
	if err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, opts.StartTimeout, api, hc, apiURL+"/readyz"); err != nil {
		return c, err
	}

	// kube-controller-manager, for the namespace controller (deleting a
	// Namespace deletes what is in it, as on a cluster) and the controllers
	// of opts.Controllers.
	kubeconfig := filepath.Join(opts.Dir, "controller-manager.kubeconfig")
	if err := os.WriteFile(kubeconfig, kubeconfigYAML(apiURL, k.caPEM, k.controllerToken), 0o600); err != nil {
		return c, err
	}
	if _, err := c.start(ControllerManager, opts.ControllerManager, nil,
		"--kubeconfig="+kubeconfig,
		"--controllers="+strings.Join(append([]string{"namespace"}, opts.Controllers...), ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--v=1",
	); err != nil {
		return c, err
	}

	if len(opts.CRDDirs) > 0 {
		if err := c.installCRDs(ctx, opts.CRDDirs, opts.CRDTimeout); err != nil {
			return c, err
		}
	}
	if err := c.Running(); err != nil {
		return c, err
	}
	return c, nil
}

// process is one started server.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, set before done closes
}

// start starts a binary in a process group of its own, its output in
// Dir/<name>.log. The process gets SIGKILL when the test binary dies.
func (c *Cluster) start(name, path string, env []string, args ...string) (*process, error) {
	logPath := filepath.Join(c.dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = c.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return p, nil
}

// exited returns nil while the process runs, and why it ended otherwise.
func (p *process) exited() error {
	select {
	case <-p.done:
		if p.err == nil {
			return errors.New("exit status 0")
		}
		return p.err
	default:
		return nil
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) error {
	pgid := p.cmd.Process.Pid // Setpgid: the group's id is the leader's pid
	// Whatever is left of the group once its leader has exited (the
	// servers start no children; this is for any that do).
	defer syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s (process group %d) did not exit after SIGKILL", p.name, pgid)
	}
}

// waitHTTP polls url until it answers 200, the process exits or timeout
// passes.
func waitHTTP(ctx context.Context, timeout time.Duration, p *process, hc *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		if err := p.exited(); err != nil {
			return fmt.Errorf("%s exited before it was ready: %w\n%s", p.name, err, tail(p.log, 30))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			body := make([]byte, 512)
			n, _ := resp.Body.Read(body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(body[:n]))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s (%s): %s\n%s", p.name, timeout, url, last, tail(p.log, 30))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// freePorts finds n distinct free TCP ports on 127.0.0.1. Another process
// may take one before the server binds it; the server then fails to start
// and says so.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// keys are the files and secrets of one control plane.
type keys struct {
	caPEM                       []byte
	servingCert, servingKey     string
	saPublic, saPrivate         string
	tokens                      string
	adminToken, controllerToken string
}

// writeKeys generates a CA, a serving certificate for 127.0.0.1, the
// service-account signing key and a static token file with two users, all
// in dir.
func writeKeys(dir string) (*keys, error) {
	k := &keys{
		servingCert: filepath.Join(dir, "serving.crt"),
		servingKey:  filepath.Join(dir, "serving.key"),
		saPublic:    filepath.Join(dir, "sa.pub"),
		saPrivate:   filepath.Join(dir, "sa.key"),
		tokens:      filepath.Join(dir, "tokens.csv"),
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "prenv-e2e-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	k.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	if err := writePEM(k.servingCert, "CERTIFICATE", srvDER); err != nil {
		return nil, err
	}
	if err := writeECKey(k.servingKey, srvKey); err != nil {
		return nil, err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := writeECKey(k.saPrivate, saKey); err != nil {
		return nil, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := writePEM(k.saPublic, "PUBLIC KEY", saPub); err != nil {
		return nil, err
	}

	if k.adminToken, err = randomToken(); err != nil {
		return nil, err
	}
	if k.controllerToken, err = randomToken(); err != nil {
		return nil, err
	}
	// token,user,uid,"groups": the static token file format of
	// kube-apiserver's --token-auth-file (Kubernetes docs, "Authenticating",
	// Static Token File). Both users are cluster admins.
	tokens := fmt.Sprintf("%s,e2e-admin,e2e-admin,\"system:masters\"\n%s,system:kube-controller-manager,kube-controller-manager,\"system:masters\"\n",
		k.adminToken, k.controllerToken)
	if err := os.WriteFile(k.tokens, []byte(tokens), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

func writeECKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "EC PRIVATE KEY", der)
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", b), nil
}

// kubeconfigYAML is a kubeconfig for server with a CA and a bearer token.
// JSON is YAML, and encoding/json quotes every value safely.
func kubeconfigYAML(server string, ca []byte, token string) []byte {
	return []byte(fmt.Sprintf(`{"apiVersion": "v1", "kind": "Config",
"clusters": [{"name": "e2e", "cluster": {"server": %q, "certificate-authority-data": %q}}],
"users": [{"name": "e2e", "user": {"token": %q}}],
"contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "e2e"}}],
"current-context": "e2e"}
`, server, base64.StdEncoding.EncodeToString(ca), token))
}

// tail returns the last n lines of a file, or a note when it cannot be read.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
