// Package kube reads a Kubernetes cluster for the leftovers package, with
// client-go: discovery maps each kind to its resource, and the metadata
// client lists the objects' metadata (labels, annotations, creation time),
// which is all leftovers needs and the smallest reply the API server gives.
//
//	cfg, err := kube.RESTConfig("", "")  // the usual kubeconfig rules
//	cl, err := kube.New(cfg, kube.Options{})
//	rep, err := leftovers.Find(ctx, leftovers.Options{Cluster: cl, ...})
//
// It only lists: RBAC needs list on namespaces, the ACK kinds and Argo CD
// Applications (and discovery, which every authenticated user has).
package kube

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	"prenv.dev/prenv/leftovers"
	"prenv.dev/prenv/spec"
)

// Bounds of a listing when [Options] leaves them 0.
const (
	DefaultPageSize = 500
	DefaultMaxPages = 1000
)

// ErrTooManyPages is returned, wrapped, when a listing has more pages than
// [Options].MaxPages.
var ErrTooManyPages = errors.New("too many pages")

// Options tune [New].
type Options struct {
	// PageSize is the limit of each list call; 0 means [DefaultPageSize].
	PageSize int64
	// MaxPages bounds each listing; 0 means [DefaultMaxPages].
	MaxPages int
}

// RESTConfig loads the client configuration as kubectl does
// (clientcmd.NewDefaultClientConfigLoadingRules: $KUBECONFIG, else
// ~/.kube/config, else the in-cluster ServiceAccount): kubeconfig, when
// set, is the file to read instead, and context the context to use instead
// of the current one.
func RESTConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "prenv-leftovers"
	return cfg, nil
}

// Cluster implements [leftovers.Cluster].
type Cluster struct {
	meta   metadata.Interface
	mapper meta.RESTMapper
	opts   Options
}

var _ leftovers.Cluster = (*Cluster)(nil)

// New returns a Cluster that reads through cfg.
func New(cfg *rest.Config, opts Options) (*Cluster, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = DefaultMaxPages
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	return &Cluster{meta: mc, mapper: mapper, opts: opts}, nil
}

// List lists the metadata of every object of kind matching selector, in
// all namespaces, page by page. A kind that discovery does not know gives
// an error wrapping [leftovers.ErrKindNotServed].
func (c *Cluster) List(ctx context.Context, kind spec.GroupKind, selector string) ([]leftovers.Object, error) {
	gk := schema.GroupKind{Group: kind.Group, Kind: kind.Kind}
	m, err := c.mapper.RESTMapping(gk)
	if meta.IsNoMatchError(err) {
		return nil, fmt.Errorf("%s: %w", gk, leftovers.ErrKindNotServed)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", gk, err)
	}
	var out []leftovers.Object
	opts := metav1.ListOptions{LabelSelector: selector, Limit: c.opts.PageSize}
	for page := 0; ; page++ {
		if page == c.opts.MaxPages {
			return nil, fmt.Errorf("list %s: %w (more than %d)", m.Resource.Resource, ErrTooManyPages, c.opts.MaxPages)
		}
		list, err := c.meta.Resource(m.Resource).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", m.Resource.Resource, err)
		}
		for _, o := range list.Items {
			out = append(out, leftovers.Object{
				Kind: kind, Namespace: o.Namespace, Name: o.Name,
				Labels: o.Labels, Annotations: o.Annotations, CreationTimestamp: o.CreationTimestamp.Time,
			})
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}
