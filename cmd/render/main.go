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
//	render diff BASE HEAD                    # the difference between two renders
//	render leftovers -f prenv.yaml --prs 12  # what closed or expired envs left behind
//	render version                           # the version and VCS revision
//	render help [COMMAND]                    # help, on standard output
//
// Exit codes: 0 success, 1 invalid input, 2 usage or unreadable input,
// 3 a bug in prenv; render leftovers also 4 (leftovers found) and 5 (a
// source could not be read).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
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
		"version":   {runVersion, "print prenv's version and the VCS revision it was built from"},
		"help":      {runHelp, "print this list, or a command's help: render help COMMAND"},
	}
}

func main() {
	// client-go logs through klog to standard error (six lines of
	// "Couldn't get current server API group list" for a cluster that
	// cannot be reached); render leftovers reports each failure itself.
	klog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code. Help asked for
// goes to stdout; help after a usage error goes to stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		fmt.Fprintln(stderr, "render: no command given")
		usage(stderr, cmds)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		args = append([]string{"help"}, args[1:]...)
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "render: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return exitUsage
	}
	if con, ok := stderr.(console); ok {
		con.cmd = args[0]
		return c.run(ctx, args[1:], stdin, stdout, con)
	}
	return c.run(ctx, args[1:], stdin, stdout, console{Writer: stderr, stdout: stdout, cmd: args[0]})
}

// runHelp implements "render help [COMMAND]": the list of commands, or
// the command's help, on standard output.
func runHelp(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("help", "[COMMAND]", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	cmds := commands()
	switch fs.NArg() {
	case 0:
		usage(stdout, cmds)
		return exitOK
	case 1:
		name := fs.Arg(0)
		c, ok := cmds[name]
		if !ok {
			fmt.Fprintf(stderr, "render help: unknown command %q\n", name)
			usage(stderr, cmds)
			return exitUsage
		}
		con, _ := stderr.(console)
		con.Writer, con.stdout = io.Discard, stdout
		if name == "help" {
			writeHelp(stdout, "help", "[COMMAND]", fs)
			return exitOK
		}
		return c.run(ctx, []string{"-h"}, stdin, io.Discard, con)
	default:
		return usageError(stderr, "help", "takes one COMMAND, got %q", fs.Args())
	}
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
	b.WriteString("\nRun \"render help COMMAND\" (or render COMMAND --help) for a command's flags, examples and exit codes.\n")
	b.WriteString("Exit codes: 0 success, 1 invalid input, 2 usage, 3 a bug in prenv.\n")
	io.WriteString(w, b.String())
}
