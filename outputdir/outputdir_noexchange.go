//go:build !linux && !darwin

package outputdir

import "os"

// exchange is not available on this system: ReplaceDir falls back to two
// renames.
func exchange(parent *os.File, a, b string) error { return errNoExchange }

// syncTree syncs the new tree staging (relative to the root), whose files
// and folders are names, to disk, each in turn.
func syncTree(root *os.Root, staging string, names []string) error {
	return syncEach(root, names)
}
