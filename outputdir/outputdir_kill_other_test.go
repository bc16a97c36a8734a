//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package outputdir

import "testing"

// exchangeSupported is only probed on Linux; elsewhere the tests that need
// the exchange skip.
func exchangeSupported(t *testing.T, dir string) bool { return false }
