package argocd

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/manifest"
)

// Marshal writes objects as one YAML stream with [manifest.Marshal]. Generated
// Applications carry the provider's free text (branch, title, author) in
// spec.info; manifest.Marshal escapes the characters YAML does not take raw.
func Marshal(objs []*unstructured.Unstructured) ([]byte, error) {
	return manifest.Marshal(objs)
}
