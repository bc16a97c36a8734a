package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"prenv.dev/prenv/render"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// overrideFlags collects --set and --set-string in command-line order.
type overrideFlags struct{ list []render.Override }

type overrideFlag struct {
	o      *overrideFlags
	string bool
}

func (f overrideFlag) String() string { return "" }
func (f overrideFlag) Set(v string) error {
	f.o.list = append(f.o.list, render.Override{Expr: v, String: f.string})
	return nil
}

func (o *overrideFlags) register(fs *flag.FlagSet) {
	fs.Var(overrideFlag{o: o}, "set", "override a spec field, helm --set syntax: spec.prefix=pr (repeatable)")
	fs.Var(overrideFlag{o: o, string: true}, "set-string", "like --set, but the value is always a string (repeatable)")
}

// newFlagSet returns a flag set that reports to stderr and never exits.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("render "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: render %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns an exit code and false when the command
// must stop (help asked for, or a usage error).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return exitOK, true
}

// parseNoArgs is parseFlags for a command that takes flags only: any
// argument left over is a usage error.
func parseNoArgs(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if code, ok := parseFlags(fs, args); !ok {
		return code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return exitUsage, false
	}
	return exitOK, true
}

// readInput reads the spec: a file, or standard input for "-", at most
// render.MaxSpecSize bytes, and only a regular file.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return render.ReadAll(stdin, "<stdin>", render.MaxSpecSize)
	}
	return render.ReadFile(name, render.MaxSpecSize)
}

// fileRefused reports whether err refuses a file for what a pull request
// can change (its size, its kind, where its link leads): invalid input,
// exit 1, where a path that does not exist is a usage error.
func fileRefused(err error) bool {
	var (
		tl *render.FileTooLargeError
		nr *render.NotRegularFileError
		lo *render.LinkOutsideError
	)
	return errors.As(err, &tl) || errors.As(err, &nr) || errors.As(err, &lo)
}

// openTemplates opens a --templates folder for cmd: confined to the folder
// (a symbolic link that leaves it is refused) and bounded
// (render.MaxTemplateSize per file).
func openTemplates(cmd, dir string, stderr io.Writer) (render.DirFS, int) {
	fsys, err := render.OpenDirFS(dir, render.MaxTemplateSize)
	if err != nil {
		fmt.Fprintf(stderr, "render %s: --templates %s: not a readable folder\n", cmd, dir)
		return nil, exitUsage
	}
	return fsys, exitOK
}

// loadSpec reads and decodes the spec named by -f, applying overrides. It
// prints what went wrong and returns the exit code when it fails.
func loadSpec(file string, overrides []render.Override, stdin io.Reader, stderr io.Writer) (*render.PreviewEnvironment, int) {
	if file == "" {
		fmt.Fprintln(stderr, "render: -f FILE is required (the prenv.yaml spec, or - for standard input)")
		return nil, exitUsage
	}
	data, err := readInput(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "render: %v\n", err)
		if fileRefused(err) {
			return nil, exitInvalid
		}
		return nil, exitUsage
	}
	env, err := render.Load(data, overrides...)
	if err != nil {
		return nil, reportError(stderr, file, err)
	}
	return env, exitOK
}

// reportError prints err for a user and returns its exit code: 1 for an
// invalid spec, 3 for anything else (a bug).
func reportError(stderr io.Writer, file string, err error) int {
	var inv *render.InvalidError
	if errors.As(err, &inv) {
		fmt.Fprintf(stderr, "%s: invalid spec, %d problem(s):\n", file, len(inv.Errs))
		for _, e := range inv.Errs {
			fmt.Fprintf(stderr, "  %s\n", e.Error())
		}
		return exitInvalid
	}
	return internalError(stderr, "%v", err)
}

// internalError reports a bug in prenv, one whose input is not to blame,
// and returns its exit code.
func internalError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "render: internal error (this is a bug in prenv; please report it with the spec): "+format+"\n", args...)
	return exitInternal
}
