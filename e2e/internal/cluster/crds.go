package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"prenv.dev/prenv/validate"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRDs creates every CustomResourceDefinition under dirs, waits
// until each is Established and its served versions are in discovery, then
// makes the client's REST mapper.
func (c *Cluster) installCRDs(ctx context.Context, dirs []string, timeout time.Duration) error {
	var crds []*unstructured.Unstructured
	for _, d := range dirs {
		objs, err := validate.LoadObjects(d)
		if err != nil {
			return fmt.Errorf("reading CRDs: %w", err)
		}
		for _, o := range objs {
			if o.GetAPIVersion() == "apiextensions.k8s.io/v1" && o.GetKind() == "CustomResourceDefinition" {
				crds = append(crds, o)
			}
		}
	}
	if len(crds) == 0 {
		return fmt.Errorf("no CustomResourceDefinition found in %s", strings.Join(dirs, ", "))
	}
	cl, err := c.Client()
	if err != nil {
		return err
	}
	ri := cl.Dynamic.Resource(crdGVR)
	for _, crd := range crds {
		if _, err := ri.Create(ctx, crd, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
			return fmt.Errorf("creating CRD %s: %w", crd.GetName(), err)
		}
	}
	// Established: the names are accepted and the resource is served.
	pending := map[string]bool{}
	for _, crd := range crds {
		pending[crd.GetName()] = true
	}
	err = Poll(ctx, timeout, 200*time.Millisecond, func() (bool, error) {
		for name := range pending {
			u, err := ri.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) {
					continue
				}
				return false, err
			}
			if condition(u, "Established") == "True" {
				delete(pending, name)
			}
		}
		return len(pending) == 0, nil
	}, func() string { return "CRDs not Established: " + sortedKeys(pending) })
	if err != nil {
		return err
	}
	// Discovery lags a little behind Established.
	want := map[string]bool{}
	for _, crd := range crds {
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			if served, _ := vm["served"].(bool); served {
				want[fmt.Sprintf("%s/%v/%s", group, vm["name"], plural)] = true
			}
		}
	}
	err = Poll(ctx, timeout, 250*time.Millisecond, func() (bool, error) {
		_, lists, err := cl.Discovery.ServerGroupsAndResources()
		if err != nil {
			// A group just added may fail its first listing.
			return false, nil
		}
		for _, l := range lists {
			for _, r := range l.APIResources {
				delete(want, l.GroupVersion+"/"+r.Name)
			}
		}
		return len(want) == 0, nil
	}, func() string { return "CRD resources not in discovery: " + sortedKeys(want) })
	if err != nil {
		return err
	}
	return cl.ResetMapper()
}

// condition returns the status of a condition of an object's
// status.conditions, or "".
func condition(u *unstructured.Unstructured, typ string) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if cm["type"] == typ {
			s, _ := cm["status"].(string)
			return s
		}
	}
	return ""
}

func sortedKeys(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
