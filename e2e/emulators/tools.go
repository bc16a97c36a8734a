package emulators

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// ErrToolMissing is wrapped by the errors of [FindTools] when node or an
// npm package is not installed (or not at its pinned version).
var ErrToolMissing = errors.New("tool missing")

// Tools locates node and the npm packages installed in e2e/npm.
type Tools struct {
	// Node is the path of the node executable.
	Node string
	// Dir is the npm folder: e2e/npm, holding package.json, the scripts
	// and node_modules.
	Dir string
}

// FindTools finds node on PATH and checks that every dependency pinned in
// dir/package.json is installed in dir/node_modules at its pinned version.
func FindTools(dir string) (*Tools, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: node is not on PATH: %v", ErrToolMissing, err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(pkg.Dependencies)) {
		want := pkg.Dependencies[name]
		var installed struct {
			Version string `json:"version"`
		}
		err := readJSON(filepath.Join(dir, "node_modules", filepath.FromSlash(name), "package.json"), &installed)
		switch {
		case errors.Is(err, os.ErrNotExist):
			missing = append(missing, name+" is not installed")
		case err != nil:
			return nil, err
		case installed.Version != want:
			missing = append(missing, fmt.Sprintf("%s is at %s, package.json pins %s", name, installed.Version, want))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s (run bash e2e/npm/install.sh)", ErrToolMissing, strings.Join(missing, "; "))
	}
	return &Tools{Node: node, Dir: dir}, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
