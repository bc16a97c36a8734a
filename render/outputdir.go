package render

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FileName is the stable file name of an object in an output folder:
// <kind>[.<group>]_[<namespace>_]<name>.yaml, lower case, for example
// role.iam.services.k8s.aws_test-123-web_web.yaml or namespace_test-123-web.yaml.
func FileName(o *unstructured.Unstructured) string {
	gvk := o.GroupVersionKind()
	kind := strings.ToLower(gvk.Kind)
	if gvk.Group != "" {
		kind += "." + gvk.Group
	}
	parts := []string{kind}
	if ns := o.GetNamespace(); ns != "" {
		parts = append(parts, ns)
	}
	parts = append(parts, o.GetName())
	return strings.Join(parts, "_") + ".yaml"
}

// WriteDir writes one file per object into dir, replacing what a previous
// run wrote there, atomically: the files are written to a new folder beside
// dir, which then takes dir's place. On any error dir is left as it was. dir
// belongs to prenv: it may hold only the .yaml files of an earlier run.
func WriteDir(dir string, objs []*unstructured.Unstructured) error {
	dir = filepath.Clean(dir)
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
				return fmt.Errorf("%s holds %s, which prenv did not write: refusing to replace the folder", dir, e.Name())
			}
		}
	} else if !os.IsNotExist(err) {
		return err
	}
	files := map[string][]byte{}
	for _, o := range objs {
		name := FileName(o)
		if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
			return fmt.Errorf("%s %q in namespace %q: a name holding a path separator cannot be a file name", o.GetKind(), o.GetName(), o.GetNamespace())
		}
		if _, dup := files[name]; dup {
			return fmt.Errorf("two objects would share the file name %s", name)
		}
		b, err := Marshal([]*unstructured.Unstructured{o})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		files[name] = b
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}
