package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// runVersion implements "render version" (and render --version).
func runVersion(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "", stderr)
	if code, ok := parseNoArgs(fs, args, stderr); !ok {
		return code
	}
	bi, ok := debug.ReadBuildInfo()
	io.WriteString(stdout, versionText(bi, ok))
	return exitOK
}

// versionText describes a build from its build information: the module
// and its version ("(devel)" when built from a checkout rather than a
// tagged module), the VCS revision, its time and whether the tree had
// uncommitted changes, and the Go version. The go command stamps vcs.*
// only when it builds in a checkout with the VCS tool present (not for go
// run, go test or -buildvcs=false).
func versionText(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "render: no build information (a binary built without module support)\n"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	path := bi.Main.Path
	if path == "" {
		path = "prenv.dev/prenv"
	}
	fmt.Fprintf(&b, "render %s %s\n", path, version)
	rev := settings["vcs.revision"]
	switch {
	case rev == "":
		b.WriteString("revision: unknown (not built in a version-controlled checkout, or with -buildvcs=false, go run or go test)\n")
	default:
		if settings["vcs.modified"] == "true" {
			rev += " (modified: uncommitted changes)"
		}
		fmt.Fprintf(&b, "revision: %s\n", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, "time: %s\n", t)
		}
	}
	if bi.GoVersion != "" {
		fmt.Fprintf(&b, "go: %s\n", bi.GoVersion)
	}
	return b.String()
}
