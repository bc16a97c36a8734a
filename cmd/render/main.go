// Command render renders the Kubernetes manifests of per-pull-request AWS
// environments from one prenv.yaml spec, and validates manifests the way the
// Kubernetes API server would.
//
//	render env -f prenv.yaml --pr 123        # one PR's environment
//	render schema                            # the spec's JSON Schema
//	render validate [--crds PATH]... FILE... # validate any manifests
//	render appset -f prenv.yaml              # Argo CD ApplicationSet and AppProject
//	render apps -f prenv.yaml --pr 123 ...   # the Application Argo CD will generate
//	render sync -f prenv.yaml --prs 12,15 --output-dir DIR  # every open PR's env
//
// Exit codes: 0 success, 1 invalid input, 2 usage or unreadable input,
// 3 a bug in prenv.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// Exit codes.
const (
	exitOK       = 0
	exitInvalid  = 1
	exitUsage    = 2
	exitInternal = 3
)

type command struct {
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
	summary string
}

func commands() map[string]command {
	return map[string]command{
		"env":       {runEnv, "render one PR's environment"},
		"schema":    {runSchema, "print the spec's JSON Schema"},
		"validate":  {runValidate, "validate manifests against CRD schemas as the API server does"},
		"appset":    {runAppSet, "print the Argo CD ApplicationSet and AppProject of an app"},
		"apps":      {runApps, "print the Application Argo CD will generate for one PR"},
		"sync":      {runSync, "write the envs of every open PR into one tree, removing closed PRs' folders"},
		"diff":      {runDiff, "print the difference between two renders, object by object, for review"},
		"leftovers": {runLeftovers, "report what closed or expired PR envs left in the cluster, AWS and a sync tree"},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "render: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: render COMMAND [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nrun 'render COMMAND -h' for a command's flags\n")
	io.WriteString(w, b.String())
}
