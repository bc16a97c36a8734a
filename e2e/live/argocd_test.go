package live_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// startArgoCD starts redis and Argo CD's repo-server, application
// controller and ApplicationSet controller as Argo CD's Procfile runs them
// outside a cluster (ARGOCD_FAKE_IN_CLUSTER: the in-cluster destination is
// the kubeconfig's server), in plaintext between them, and waits until
// each serves its health endpoint.
func (l *loop) startArgoCD(ctx context.Context, t *tools, kubeconfig string, appKey *rsa.PrivateKey) error {
	if err := l.argoCDSettings(ctx, appKey); err != nil {
		return err
	}
	ports, err := freePorts(8)
	if err != nil {
		return err
	}
	redisPort, repoPort, repoMetrics, ctrlMetrics, appsetMetrics, appsetProbe, appsetWebhook, notifMetrics := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5], ports[6], ports[7]
	l.webhookURL = fmt.Sprintf("http://127.0.0.1:%d/api/webhook", appsetWebhook)
	if err := l.c.StartProcess("redis", t.redis, nil,
		"--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"); err != nil {
		return err
	}
	redis := "127.0.0.1:" + strconv.Itoa(redisPort)
	repoServer := "127.0.0.1:" + strconv.Itoa(repoPort)

	var env []string
	for _, d := range []struct{ name, dir string }{
		{"ARGOCD_TLS_DATA_PATH", "tls"}, {"ARGOCD_SSH_DATA_PATH", "ssh"}, {"ARGOCD_GNUPGHOME", "gpg/keys"},
		{"ARGOCD_GPG_DATA_PATH", "gpg/source"}, {"ARGOCD_PLUGINSOCKFILEPATH", "plugins"}, {"HOME", "home"}, {"TMPDIR", "tmp"},
	} {
		p := filepath.Join(l.dir, "argocd", d.dir)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		env = append(env, d.name+"="+p)
	}
	env = append(env, "ARGOCD_FAKE_IN_CLUSTER=true", "KUBECONFIG="+kubeconfig, "ARGOCD_GPG_ENABLED=false")
	common := []string{"--kubeconfig", kubeconfig, "--namespace", argoCDNamespace, "--loglevel", "info"}

	if err := l.c.StartProcess("argocd-repo-server", filepath.Join(t.bin, "argocd-repo-server"), env, "--loglevel", "info",
		"--port", strconv.Itoa(repoPort), "--metrics-port", strconv.Itoa(repoMetrics),
		"--redis", redis, "--disable-tls", "--address", "127.0.0.1", "--metrics-address", "127.0.0.1",
		// The repo-server resolves a branch to its commit once per 3
		// minutes by default; a push to the manifest repository then
		// waits that long (a Git webhook refreshes at once in production).
		"--revision-cache-expiration", "5s"); err != nil {
		return err
	}
	if err := l.c.StartProcess("argocd-application-controller", filepath.Join(t.bin, "argocd-application-controller"),
		append(env, "HOSTNAME=argocd-application-controller-0"), append(common,
			"--redis", redis, "--repo-server", repoServer, "--repo-server-plaintext",
			"--metrics-port", strconv.Itoa(ctrlMetrics),
			// Polls the repository every 10 s (default 180 s), so that a
			// push shows in seconds.
			"--app-resync", "10", "--app-resync-jitter", "2", "--status-processors", "4", "--operation-processors", "4",
			// Each resource's health, with its message, in the
			// Application's status.resources, where the tests read it
			// (Argo CD 3 keeps it out by default).
			"--persist-resource-health")...); err != nil {
		return err
	}
	if err := l.c.StartProcess("argocd-applicationset-controller", filepath.Join(t.bin, "argocd-applicationset-controller"), env, append(common,
		"--argocd-repo-server", repoServer, "--repo-server-plaintext",
		"--metrics-addr", "127.0.0.1:"+strconv.Itoa(appsetMetrics), "--probe-addr", "127.0.0.1:"+strconv.Itoa(appsetProbe),
		"--webhook-addr", "127.0.0.1:"+strconv.Itoa(appsetWebhook))...); err != nil {
		return err
	}
	// The notifications controller reads argocd-notifications-cm and
	// argocd-notifications-secret (Argo CD's defaults, --config-map-name
	// and --secret-name) and sends what their templates say; its metrics
	// listen on every address, on a free port.
	if err := l.c.StartProcess("argocd-notifications", filepath.Join(t.bin, "argocd-notifications"), env, append(common,
		"--argocd-repo-server", repoServer, "--argocd-repo-server-plaintext", "--logformat", "text",
		"--metrics-port", strconv.Itoa(notifMetrics))...); err != nil {
		return err
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, w := range []struct{ name, url string }{
		{"argocd-repo-server", fmt.Sprintf("http://127.0.0.1:%d/metrics", repoMetrics)},
		{"argocd-application-controller", fmt.Sprintf("http://127.0.0.1:%d/metrics", ctrlMetrics)},
		{"argocd-applicationset-controller", fmt.Sprintf("http://127.0.0.1:%d/metrics", appsetMetrics)},
		{"argocd-notifications", fmt.Sprintf("http://127.0.0.1:%d/metrics", notifMetrics)},
	} {
		if err := l.c.WaitHTTP(ctx, w.name, w.url, hc, 3*time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// argoCDSettings creates Argo CD's namespace and the settings its
// install manifest holds (argocd-cm, argocd-rbac-cm, argocd-secret,
// argocd-notifications-cm and -secret, and the certificate and key
// ConfigMaps; Argo CD's manifests/base/config and
// manifests/base/notification), with the GitHub webhook secret
// (webhook.github.secret, Argo CD's util/settings) and the GitHub App's
// private key, and the GitHub token Secret prenv's specs name.
func (l *loop) argoCDSettings(ctx context.Context, appKey *rsa.PrivateKey) error {
	if err := l.cl.EnsureNamespace(ctx, argoCDNamespace); err != nil {
		return err
	}
	part := map[string]string{"app.kubernetes.io/part-of": "argocd"}
	for _, name := range []string{"argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm", "argocd-tls-certs-cm", "argocd-ssh-known-hosts-cm", "argocd-gpg-keys-cm", "argocd-notifications-cm"} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: argoCDNamespace, Labels: part}}
		if name == "argocd-cm" {
			// Argo CD refreshes each Application at this period; 10 s
			// instead of 180 s, so that the tier sees pushes in seconds.
			cm.Data = map[string]string{"timeout.reconciliation": "10s"}
		}
		if _, err := l.kube.CoreV1().ConfigMaps(argoCDNamespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	hook := make([]byte, 20)
	if _, err := rand.Read(hook); err != nil {
		return err
	}
	l.webhookSecret = hex.EncodeToString(hook)
	appKeyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)})
	secrets := []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "argocd-secret", Namespace: argoCDNamespace, Labels: part},
			StringData: map[string]string{"server.secretkey": hex.EncodeToString(key), "webhook.github.secret": l.webhookSecret}},
		// The GitHub App's ID, installation ID and private key, under the
		// keys prenv's examples name (spec.argocd.notifications.github).
		{ObjectMeta: metav1.ObjectMeta{Name: "argocd-notifications-secret", Namespace: argoCDNamespace, Labels: part},
			StringData: map[string]string{"github-appID": strconv.Itoa(ghAppID), "github-installationID": strconv.Itoa(ghInstallationID), "github-privateKey": string(appKeyPEM)}},
		// The token the specs' tokenSecret names; the fake API ignores it.
		{ObjectMeta: metav1.ObjectMeta{Name: "github-token", Namespace: argoCDNamespace},
			StringData: map[string]string{"token": "e2e-fake-token"}},
	}
	for _, s := range secrets {
		if _, err := l.kube.CoreV1().Secrets(argoCDNamespace).Create(ctx, s, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// bindPods is the stand-in for kube-scheduler, which the tier does not
// build: it binds every Pod without a node to the fake Node, through the
// Pod's binding subresource as the scheduler does, until ctx ends. kwok
// then runs the Pod's life cycle.
func bindPods(ctx context.Context, kube kubernetes.Interface, node string) {
	for {
		pods, err := kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", "").String()})
		if err == nil {
			for _, p := range pods.Items {
				b := &corev1.Binding{
					ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
					Target:     corev1.ObjectReference{Kind: "Node", Name: node},
				}
				_ = kube.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
