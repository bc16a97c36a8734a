package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the field manager prenv's objects are applied with.
const FieldManager = "prenv"

// Client reaches the control plane's API with the admin identity: a
// dynamic client and a REST mapper built from discovery.
type Client struct {
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface

	quiet    dynamic.Interface // for Snapshot: no warnings recorded
	warnings *warningRecorder

	mu     sync.Mutex
	mapper meta.RESTMapper
}

// warningRecorder keeps the warnings the server sent (Warning headers, code
// 299), for [Client.TakeWarnings].
type warningRecorder struct {
	mu   sync.Mutex
	list []string
}

func (w *warningRecorder) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	w.list = append(w.list, text)
	w.mu.Unlock()
}

// TakeWarnings returns the warnings the server sent since the last call
// (for example about deprecated fields or finalizer names), and forgets
// them. [Client.Snapshot]'s requests record none.
func (cl *Client) TakeWarnings() []string {
	cl.warnings.mu.Lock()
	defer cl.warnings.mu.Unlock()
	w := cl.warnings.list
	cl.warnings.list = nil
	return w
}

// Client returns the admin client, made on first use.
func (c *Cluster) Client() (*Client, error) {
	c.clientOnce.Do(func() { c.client, c.clientErr = newClient(c) })
	return c.client, c.clientErr
}

func newClient(c *Cluster) (*Client, error) {
	rec := &warningRecorder{}
	cfg := c.Config()
	cfg.WarningHandler = rec
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	quietCfg := c.Config()
	quietCfg.WarningHandler = rest.NoWarnings{}
	quiet, err := dynamic.NewForConfig(quietCfg)
	if err != nil {
		return nil, err
	}
	cl := &Client{Dynamic: dyn, Discovery: disc, quiet: quiet, warnings: rec}
	if err := cl.ResetMapper(); err != nil {
		return nil, err
	}
	return cl, nil
}

// ResetMapper reads discovery again, for kinds added since (new CRDs).
func (cl *Client) ResetMapper() error {
	grs, err := restmapper.GetAPIGroupResources(cl.Discovery)
	if err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	m := restmapper.NewDiscoveryRESTMapper(grs)
	cl.mu.Lock()
	cl.mapper = m
	cl.mu.Unlock()
	return nil
}

// Mapper maps kinds to resources as discovery said at the last
// [Client.ResetMapper].
func (cl *Client) Mapper() meta.RESTMapper {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.mapper
}

// ResourceFor returns the client for gvk's resource in namespace (ignored
// for cluster-scoped kinds) and the mapping.
func (cl *Client) ResourceFor(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	m, err := cl.Mapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return cl.Dynamic.Resource(m.Resource).Namespace(namespace), m, nil
	}
	return cl.Dynamic.Resource(m.Resource), m, nil
}

// ApplyOptions tune [Client.Apply] and [Client.ApplyRaw].
type ApplyOptions struct {
	// DryRun asks the server to validate and admit without storing.
	DryRun bool
	// FieldManager defaults to [FieldManager].
	FieldManager string
	// Force takes over fields another manager owns.
	Force bool
}

func (o ApplyOptions) patchOptions() metav1.PatchOptions {
	po := metav1.PatchOptions{
		FieldManager: o.FieldManager,
		// As kubectl apply --validate=strict: unknown and duplicate fields
		// are errors, not warnings.
		FieldValidation: metav1.FieldValidationStrict,
	}
	if po.FieldManager == "" {
		po.FieldManager = FieldManager
	}
	if o.Force {
		po.Force = &o.Force
	}
	if o.DryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	return po
}

// Apply server-side applies obj and returns the object the server stored
// (or would store, with DryRun).
func (cl *Client) Apply(ctx context.Context, obj *unstructured.Unstructured, opts ApplyOptions) (*unstructured.Unstructured, error) {
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, err
	}
	return cl.ApplyRaw(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName(), body, opts)
}

// ApplyRaw server-side applies body, a YAML or JSON document of kind gvk,
// as it is: the server decodes it.
func (cl *Client) ApplyRaw(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, body []byte, opts ApplyOptions) (*unstructured.Unstructured, error) {
	ri, _, err := cl.ResourceFor(gvk, namespace)
	if err != nil {
		return nil, err
	}
	return ri.Patch(ctx, name, types.ApplyPatchType, body, opts.patchOptions())
}

// CreateRaw creates body, a YAML document of kind gvk, as it is (the server
// decodes it), with strict field validation: for documents that cannot be
// applied, such as one without a name.
func (cl *Client) CreateRaw(ctx context.Context, gvk schema.GroupVersionKind, namespace string, body []byte, dryRun bool) error {
	_, m, err := cl.ResourceFor(gvk, namespace)
	if err != nil {
		return err
	}
	// The dynamic client sends only decoded objects; the discovery
	// client's REST client sends the body as it is.
	req := cl.Discovery.RESTClient().Post().
		AbsPath(resourcePath(m, namespace)...).
		SetHeader("Content-Type", "application/yaml").
		Param("fieldValidation", metav1.FieldValidationStrict).
		Body(body)
	if dryRun {
		req = req.Param("dryRun", metav1.DryRunAll)
	}
	return req.Do(ctx).Error()
}

// resourcePath is the collection path of m's resource in namespace.
func resourcePath(m *meta.RESTMapping, namespace string) []string {
	gv := m.Resource.GroupVersion()
	var p []string
	if gv.Group == "" {
		p = []string{"api", gv.Version}
	} else {
		p = []string{"apis", gv.Group, gv.Version}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		p = append(p, "namespaces", namespace)
	}
	return append(p, m.Resource.Resource)
}

// Get reads the stored version of obj (by kind, namespace and name).
func (cl *Client) Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, _, err := cl.ResourceFor(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	return ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
}

// Delete deletes obj (by kind, namespace and name); a missing object is not
// an error.
func (cl *Client) Delete(ctx context.Context, obj *unstructured.Unstructured) error {
	ri, _, err := cl.ResourceFor(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return err
	}
	if err := ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

var namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// EnsureNamespace creates a Namespace unless it exists.
func (cl *Client) EnsureNamespace(ctx context.Context, name string) error {
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
	_, err := cl.Dynamic.Resource(namespaceGVR).Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// DeleteNamespace deletes a Namespace and waits until it is gone: the
// namespace controller has deleted everything in it.
func (cl *Client) DeleteNamespace(ctx context.Context, name string, timeout time.Duration) error {
	nsc := cl.Dynamic.Resource(namespaceGVR)
	if err := nsc.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	return Poll(ctx, timeout, 100*time.Millisecond, func() (bool, error) {
		_, err := nsc.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}, func() string { return "Namespace " + name + " still exists" })
}

// ObjectKey names one stored object.
type ObjectKey struct {
	Group, Kind, Namespace, Name string
}

func (k ObjectKey) String() string {
	gk := k.Kind
	if k.Group != "" {
		gk += "." + k.Group
	}
	if k.Namespace == "" {
		return gk + "/" + k.Name
	}
	return gk + " " + k.Namespace + "/" + k.Name
}

// KeyOf is the key of an object.
func KeyOf(u *unstructured.Unstructured) ObjectKey {
	gvk := u.GroupVersionKind()
	return ObjectKey{Group: gvk.Group, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}

// Snapshot maps each stored object to its resourceVersion.
type Snapshot map[ObjectKey]string

// Snapshot lists every object of every listable resource (the preferred
// version of each, as discovery serves them) and records its
// resourceVersion. keep, when not nil, chooses the objects recorded.
func (cl *Client) Snapshot(ctx context.Context, keep func(ObjectKey) bool) (Snapshot, error) {
	lists, err := cl.Discovery.ServerPreferredResources()
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	s := Snapshot{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range l.APIResources {
			if !hasVerb(r.Verbs, "list") {
				continue
			}
			// Listing every kind warns about the deprecated ones
			// (ComponentStatus, Endpoints): not the tests' business.
			items, err := cl.quiet.Resource(gv.WithResource(r.Name)).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", gv.WithResource(r.Name), err)
			}
			for i := range items.Items {
				k := ObjectKey{Group: gv.Group, Kind: r.Kind, Namespace: items.Items[i].GetNamespace(), Name: items.Items[i].GetName()}
				if keep == nil || keep(k) {
					s[k] = items.Items[i].GetResourceVersion()
				}
			}
		}
	}
	return s, nil
}

// Diff lists the objects added, removed or changed (another
// resourceVersion) from s to later, sorted.
func (s Snapshot) Diff(later Snapshot) []string {
	var out []string
	for k, rv := range s {
		switch lrv, ok := later[k]; {
		case !ok:
			out = append(out, "removed "+k.String())
		case lrv != rv:
			out = append(out, fmt.Sprintf("changed %s (resourceVersion %s -> %s)", k, rv, lrv))
		}
	}
	for k := range later {
		if _, ok := s[k]; !ok {
			out = append(out, "added "+k.String())
		}
	}
	sort.Strings(out)
	return out
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// Poll calls cond every interval until it returns true or an error, ctx
// ends or timeout passes; the timeout error ends with what().
func Poll(ctx context.Context, timeout, interval time.Duration, cond func() (bool, error), what func() string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %s: %s", timeout, what())
		case <-time.After(interval):
		}
	}
}
