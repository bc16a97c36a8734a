package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// KustomizeResource is the file name under which the rendered objects join
// the user's kustomization: prenv adds it to the kustomization's resources.
const KustomizeResource = "prenv-rendered.yaml"

// kustomizationNames are the file names kustomize recognises, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// KustomizeError is a kustomization that could not be read or run.
type KustomizeError struct {
	Dir string
	Err error
}

func (e *KustomizeError) Error() string { return "kustomize " + e.Dir + ": " + e.Err.Error() }
func (e *KustomizeError) Unwrap() error { return e.Err }

// Kustomize applies the kustomization in dir (patches, labels, images, ...)
// over objs with kustomize's krusty, entirely in memory: dir's files are
// copied into an in-memory file system, the objects are added to the
// kustomization's resources as [KustomizeResource], and nothing is written to
// disk. The kustomization must be self-contained (no bases outside dir, no
// remote resources). The result is sorted with [SortObjects].
func Kustomize(ctx context.Context, dir string, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	mem := filesys.MakeFsInMemory()
	root := "/kustomization"
	src := os.DirFS(dir)
	found := ""
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		target := path.Join(root, p)
		if d.IsDir() {
			return mem.MkdirAll(target)
		}
		if p == KustomizeResource {
			return fmt.Errorf("%s is the name prenv gives the rendered objects; rename the file", p)
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		if found == "" {
			for _, n := range kustomizationNames {
				if p == n {
					found = n
				}
			}
		}
		return mem.WriteFile(target, b)
	})
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	if found == "" {
		return nil, &KustomizeError{Dir: dir, Err: errors.New("no kustomization.yaml")}
	}
	kpath := path.Join(root, found)
	kb, err := mem.ReadFile(kpath)
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	var k map[string]any
	if err := yaml.Unmarshal(kb, &k); err != nil {
		return nil, &KustomizeError{Dir: filepath.Join(dir, found), Err: err}
	}
	if k == nil {
		k = map[string]any{}
	}
	res, _ := k["resources"].([]any)
	k["resources"] = append([]any{KustomizeResource}, res...)
	if kb, err = yaml.Marshal(k); err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	if err := mem.WriteFile(kpath, kb); err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	stream, err := Marshal(objs)
	if err != nil {
		return nil, err
	}
	if err := mem.WriteFile(path.Join(root, KustomizeResource), stream); err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, root)
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	out, err := rm.AsYaml()
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	result, err := ParseObjects(out)
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	SortObjects(result)
	return result, nil
}
