package manifest

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"prenv.dev/prenv/internal/yamlfast"
)

// ParseObjects parses a multi-document YAML stream into objects. Empty
// documents are skipped; a document that is not an object with apiVersion,
// kind and metadata.name is an error. YAML is read as kubectl reads it (YAML
// 1.1, duplicate keys refused); numbers come back as int64 or float64.
func ParseObjects(data []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for i, doc := range SplitDocuments(data) {
		jv, err := readDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if jv == nil {
			continue
		}
		obj, ok := jv.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("document %d: not an object", i)
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document %d: an object needs apiVersion, kind and metadata.name", i)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// readDocument reads one YAML document as [ParseObjects] does, into the
// types of decoded JSON; nil for a document with nothing in it. The kit's
// usual shape is read directly ([yamlfast.Document]), anything else with the
// general YAML reader.
func readDocument(doc []byte) (any, error) {
	if v, ok := yamlfast.Document(doc); ok {
		return v, nil
	}
	return yamlfast.General(doc)
}

// SplitDocuments splits a YAML stream at its "---" separator lines. The
// documents are slices of data (each of a capacity that ends with it, so
// that appending to one copies it), not copies.
func SplitDocuments(data []byte) [][]byte {
	var docs [][]byte
	start := 0 // data[start:i] is the document read so far
	for i := 0; i < len(data); {
		end := len(data)
		if n := bytes.IndexByte(data[i:], '\n'); n >= 0 {
			end = i + n + 1
		}
		t := bytes.TrimRight(data[i:end], "\r\n")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) || bytes.HasPrefix(t, []byte("---\t")) {
			docs = append(docs, data[start:i:i])
			start = end
		}
		i = end
	}
	return append(docs, data[start:len(data):len(data)])
}

// customKindOrder places prenv's custom kinds after Helm's known kinds:
// identity first, then the data stores.
var customKindOrder = []string{"Policy", "Role", "Table", "Queue"}

// SortObjects sorts objects into output order: kinds in Helm's install order
// (Namespace, ServiceAccount, ConfigMap, ... Deployment, Ingress), then
// prenv's custom kinds (Policy, Role, Table, Queue), then any other kind by
// name; within a kind by API group, namespace and name.
func SortObjects(objs []*unstructured.Unstructured) {
	rank := func(u *unstructured.Unstructured) int {
		k := u.GetKind()
		if builtinGroup(u.GroupVersionKind().Group) {
			if i := slices.Index(releaseutil.InstallOrder, k); i >= 0 {
				return i
			}
		}
		if i := slices.Index(customKindOrder, k); i >= 0 {
			return len(releaseutil.InstallOrder) + i
		}
		return len(releaseutil.InstallOrder) + len(customKindOrder)
	}
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if a == nil || b == nil {
			// A nil object sorts last; Marshal refuses it.
			return a != nil
		}
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.GetKind() != b.GetKind() {
			return a.GetKind() < b.GetKind()
		}
		if a.GetAPIVersion() != b.GetAPIVersion() {
			return a.GetAPIVersion() < b.GetAPIVersion()
		}
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		return a.GetName() < b.GetName()
	})
}

// builtinGroup reports the API groups of Kubernetes itself: the core group,
// the unqualified ones (apps, batch, policy, autoscaling) and *.k8s.io. Kinds
// elsewhere that share a built-in kind's name (an ACK IAM Role) are custom.
func builtinGroup(g string) bool {
	return !strings.Contains(g, ".") || strings.HasSuffix(g, ".k8s.io")
}
