package cluster

import (
	"context"
	"net/http"
	"os"
	"time"
)

// StartProcess starts another server beside the control plane (a fake
// kubelet, a controller, a cache, ...) as the control plane's own are
// started: in a process group of its own, with the environment of the test
// binary plus env, in [Cluster.Dir], its output in Dir/<name>.log
// ([Cluster.LogTail]), killed when the test binary dies. [Cluster.Stop]
// stops it, before the servers started earlier; [Cluster.Running] reports
// it when it has exited.
func (c *Cluster) StartProcess(name, path string, env []string, args ...string) error {
	if env == nil {
		env = []string{}
	}
	_, err := c.start(name, path, env, args...)
	return err
}

// WaitHTTP polls url with hc until it answers 200, the server started as
// name by [Cluster.StartProcess] exits, or timeout passes; the error ends
// with the last lines of the server's log.
func (c *Cluster) WaitHTTP(ctx context.Context, name, url string, hc *http.Client, timeout time.Duration) error {
	for _, p := range c.procs {
		if p.name == name {
			return waitHTTP(ctx, timeout, p, hc, url)
		}
	}
	return os.ErrNotExist
}

// WriteKubeconfig writes a kubeconfig of the admin identity (a member of
// system:masters) to path, for a server that reads one.
func (c *Cluster) WriteKubeconfig(path string) error {
	return os.WriteFile(path, kubeconfigYAML(c.config.Host, c.config.CAData, c.config.BearerToken), 0o600)
}
