package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/templates"
	"prenv.dev/prenv/trust"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
func (l *listFlag) repeatable()        {}

// overrideFlags collects --set and --set-string in command-line order.
type overrideFlags struct{ list []spec.Override }

type overrideFlag struct {
	o      *overrideFlags
	string bool
}

func (f overrideFlag) String() string { return "" }
func (f overrideFlag) Set(v string) error {
	f.o.list = append(f.o.list, spec.Override{Expr: v, String: f.string})
	return nil
}
func (f overrideFlag) repeatable() {}

func (o *overrideFlags) register(fs *flag.FlagSet) {
	fs.Var(overrideFlag{o: o}, "set", "override a field of the spec (spec.*, not a chart value), helm --set syntax: `spec.PATH=VALUE`, for example spec.prefix=pr (repeatable)")
	fs.Var(overrideFlag{o: o, string: true}, "set-string", "like --set, but the value is always a string: `spec.PATH=VALUE` (repeatable)")
}

// specRoots are the top-level fields of a spec, where every --set path
// starts.
var specRoots = []string{"apiVersion", "kind", "metadata", "spec"}

// check refuses a --set or --set-string whose path cannot be in the spec
// (image.tag=x, a chart value, say) as a usage error that says what --set
// sets, and hint (how chart values are set, say).
func (o *overrideFlags) check(cmd, hint string, stderr io.Writer) int {
	for _, ov := range o.list {
		for _, part := range splitAssignments(ov.Expr) {
			key, _, ok := strings.Cut(part, "=")
			root := strings.TrimSpace(key)
			if i := strings.IndexAny(root, ".["); i >= 0 {
				root = root[:i]
			}
			if !ok || slices.Contains(specRoots, root) {
				continue
			}
			flagName := "--set"
			if ov.String {
				flagName = "--set-string"
			}
			if hint != "" {
				hint = "; " + hint
			}
			return usageError(stderr, cmd, "%s %s: --set and --set-string set fields of the spec, so the path starts with spec. (or metadata., apiVersion, kind), for example spec.prefix=pr%s", flagName, part, hint)
		}
	}
	return exitOK
}

// splitAssignments splits a --set expression at the commas that separate
// its assignments (Helm's syntax: a\,b is an escaped comma, {a,b} a list).
func splitAssignments(expr string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, expr[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, expr[start:])
}

// repeatableValue marks a flag value that may be given more than once;
// every other flag takes one value and is refused when repeated.
type repeatableValue interface{ repeatable() }

// prRule is what a pull-request number must be, wherever one is read.
var prRule = fmt.Sprintf("a whole number from 1 to %d, without sign or leading zero", spec.MaxPR)

// prValue is a --pr flag: a pull-request number, checked when it is
// parsed, so that every bad value is the same usage error naming the flag.
type prValue struct{ n int }

func (p *prValue) String() string {
	if p == nil || p.n == 0 {
		return ""
	}
	return strconv.Itoa(p.n)
}

func (p *prValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > spec.MaxPR || strconv.Itoa(n) != s {
		return fmt.Errorf("not a pull-request number (%s)", prRule)
	}
	p.n = n
	return nil
}

// onceValue wraps a single-value flag: a second value is recorded, not
// taken, and reported by parseFlags as a usage error.
type onceValue struct {
	flag.Value
	given    int
	first    string
	repeated string
}

func (o *onceValue) Set(v string) error {
	o.given++
	if o.given == 1 {
		o.first = v
		return o.Value.Set(v)
	}
	if o.given == 2 {
		o.repeated = v
	}
	return nil
}

// onceBool is onceValue for a boolean flag, which takes no argument.
type onceBool struct{ onceValue }

func (o *onceBool) IsBoolFlag() bool { return true }

// flagSink is a flag set's output: it discards what the flag package
// writes (its messages spell flags with one dash) and keeps what
// parseFlags needs to report errors and help.
type flagSink struct {
	stderr   io.Writer
	name     string // the command
	synopsis string // its arguments, after "render NAME "
}

func (flagSink) Write(p []byte) (int, error) { return len(p), nil }

// console is the standard error that run gives a command: writes go to
// standard error, and help asked for (-h, --help, render help COMMAND)
// goes to standard output.
type console struct {
	io.Writer           // standard error
	stdout    io.Writer // where help goes
	cmd       string    // the command run ("env"), for messages

	// flagSets, when set, is given every flag set parsed (for tests).
	flagSets func(*flag.FlagSet)
}

// prefix is how messages to stderr start: "render env" for the command
// run gave stderr to, "render" otherwise.
func prefix(stderr io.Writer) string {
	if c, ok := stderr.(console); ok && c.cmd != "" {
		return "render " + c.cmd
	}
	return "render"
}

// helpOut is where help asked for goes: standard output when stderr came
// from run, stderr otherwise.
func helpOut(stderr io.Writer) io.Writer {
	if c, ok := stderr.(console); ok {
		return c.stdout
	}
	return stderr
}

// newFlagSet returns a flag set for "render NAME SYNOPSIS" that never
// prints or exits by itself: parseFlags reports errors on stderr and help
// on standard output.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("render "+name, flag.ContinueOnError)
	fs.SetOutput(flagSink{stderr: stderr, name: name, synopsis: synopsis})
	fs.Usage = func() {}
	return fs
}

// flagName is a flag as users write it: -f for a one-letter flag, --name
// otherwise (the README's spelling; Go's flag package takes both).
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// parseFlags parses args; it returns an exit code and false when the command
// must stop (help asked for, or a usage error).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	return parseWith(fs, args, fs.Parse)
}

// parseWith is parseFlags with another parser of the arguments (one that
// takes flags between positional arguments, say).
func parseWith(fs *flag.FlagSet, args []string, parse func([]string) error) (int, bool) {
	sink, _ := fs.Output().(flagSink)
	if c, ok := sink.stderr.(console); ok && c.flagSets != nil {
		c.flagSets(fs)
	}
	fs.VisitAll(func(f *flag.Flag) {
		switch v := f.Value.(type) {
		case repeatableValue, *onceValue, *onceBool:
		case interface{ IsBoolFlag() bool }:
			if v.IsBoolFlag() {
				f.Value = &onceBool{onceValue{Value: f.Value}}
				return
			}
			f.Value = &onceValue{Value: f.Value}
		default:
			f.Value = &onceValue{Value: f.Value}
		}
	})
	err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		writeHelp(helpOut(sink.stderr), sink.name, sink.synopsis, fs)
		return exitOK, false
	}
	if err != nil {
		return usageError(sink.stderr, sink.name, "%s", flagError(err)), false
	}
	var repeated []string
	fs.VisitAll(func(f *flag.Flag) {
		var o *onceValue
		switch v := f.Value.(type) {
		case *onceValue:
			o = v
		case *onceBool:
			o = &v.onceValue
		}
		if o != nil && o.given > 1 {
			repeated = append(repeated, fmt.Sprintf("%s given %d times (%q, then %q): it takes one value", flagName(f.Name), o.given, o.first, o.repeated))
		}
	})
	if len(repeated) > 0 {
		return usageError(sink.stderr, sink.name, "%s", strings.Join(repeated, "; ")), false
	}
	return exitOK, true
}

// usageError prints a usage error of command name and where to find its
// help, and returns exitUsage.
func usageError(stderr io.Writer, name, format string, args ...any) int {
	fmt.Fprintf(stderr, "render %s: %s\nRun \"render help %s\" for usage.\n", name, fmt.Sprintf(format, args...), name)
	return exitUsage
}

// flagError rewords the flag package's errors with flags spelt as users
// write them (--name, not -name).
func flagError(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag " + flagName(name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return flagName(name) + " needs a value"
	}
	for _, p := range []struct{ prefix, middle string }{
		{"invalid value ", " for flag -"},
		{"invalid boolean value ", " for -"},
	} {
		rest, ok := strings.CutPrefix(msg, p.prefix)
		if !ok {
			continue
		}
		value, err := strconv.QuotedPrefix(rest)
		if err != nil {
			break
		}
		rest, ok = strings.CutPrefix(rest[len(value):], p.middle)
		if !ok {
			break
		}
		name, why, _ := strings.Cut(rest, ": ")
		return fmt.Sprintf("%s %s: %s", flagName(name), value, why)
	}
	return msg
}

// parseNoArgs is parseFlags for a command that takes flags only: any
// argument left over is a usage error.
func parseNoArgs(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if code, ok := parseFlags(fs, args); !ok {
		return code, false
	}
	if fs.NArg() > 0 {
		sink, _ := fs.Output().(flagSink)
		return usageError(stderr, sink.name, "unexpected arguments %q (this command takes flags only)", fs.Args()), false
	}
	return exitOK, true
}

// readInput reads the spec: a file, or standard input for "-", at most
// spec.MaxSpecSize bytes, and only a regular file.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return spec.ReadAll(stdin, "<stdin>", spec.MaxSpecSize)
	}
	return spec.ReadFile(name, spec.MaxSpecSize)
}

// fileRefused reports whether err refuses a file for what a pull request
// can change (its size, its kind, where its link leads): invalid input,
// exit 1, where a path that does not exist, or names a folder where a
// file is read, is a usage error (exit 2).
func fileRefused(err error) bool {
	var (
		tl *spec.FileTooLargeError
		nr *spec.NotRegularFileError
		lo *spec.LinkOutsideError
	)
	return errors.As(err, &tl) || errors.As(err, &nr) && !nr.Mode.IsDir() || errors.As(err, &lo)
}

// pathError words an error of the file system for a user: the path and
// what is wrong ("prenv.yaml: no such file or directory"), without the
// system call that found it.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// allowUnboundedUsage is the help of --allow-unbounded, for every command
// that renders envs.
const allowUnboundedUsage = "accept a spec that turns off the env's ResourceQuota, LimitRange or NetworkPolicies (enabled: false); a trusted CI setting, since the spec is what a pull request can change"

// kitFlags are the flags that shape how a command renders envs:
// --templates and --allow-unbounded.
type kitFlags struct {
	templatesDir   string
	allowUnbounded bool
}

// register adds --templates (with its command's help text) and
// --allow-unbounded to fs.
func (k *kitFlags) register(fs *flag.FlagSet, templatesUsage string) {
	fs.StringVar(&k.templatesDir, "templates", "", templatesUsage)
	fs.BoolVar(&k.allowUnbounded, "allow-unbounded", false, allowUnboundedUsage)
}

// options returns the render options of the flags for cmd: with
// --templates, the folder opened (openTemplates) and each file in it that
// overrides no template of the kit warned of. The caller calls done when
// it has rendered. On failure it has printed why, and returns the exit
// code.
func (k *kitFlags) options(cmd string, stderr io.Writer) (opts render.Options, done func(), code int) {
	opts = render.Options{AllowUnbounded: k.allowUnbounded}
	if k.templatesDir == "" {
		return opts, func() {}, exitOK
	}
	fsys, code := openTemplates(cmd, k.templatesDir, stderr)
	if fsys == nil {
		return opts, nil, code
	}
	warnExtraTemplates(cmd, k.templatesDir, fsys, templates.FS, stderr)
	opts.Templates = fsys
	return opts, func() { fsys.Close() }, exitOK
}

// openTemplates opens a --templates folder for cmd: confined to the folder
// (a symbolic link that leaves it is refused) and bounded
// (kit.MaxTemplateSize per file).
func openTemplates(cmd, dir string, stderr io.Writer) (spec.DirFS, int) {
	fsys, err := spec.OpenDirFS(dir, kit.MaxTemplateSize)
	if err != nil {
		fmt.Fprintf(stderr, "render %s: --templates %s: not a readable folder\n", cmd, dir)
		return nil, exitUsage
	}
	return fsys, exitOK
}

// warnExtraTemplates warns, on stderr, of each template file in a
// --templates folder that overrides no file of the kit: it adds a
// template, and a misspelt name (sqs-queues.yaml) adds a second copy of an
// object instead of changing the first. The kit's files are named.
func warnExtraTemplates(cmd, dir string, fsys, kit fs.FS, stderr io.Writer) {
	isTemplate := func(e fs.DirEntry) bool {
		n := e.Name()
		return !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".tpl"))
	}
	var names []string
	kitEntries, _ := fs.ReadDir(kit, ".")
	for _, e := range kitEntries {
		if isTemplate(e) {
			names = append(names, e.Name())
		}
	}
	entries, _ := fs.ReadDir(fsys, ".")
	for _, e := range entries {
		if isTemplate(e) && !slices.Contains(names, e.Name()) {
			fmt.Fprintf(stderr, "render %s: warning: --templates %s: %s overrides no template of the kit, so it adds one (the kit's: %s)\n",
				cmd, dir, e.Name(), strings.Join(names, ", "))
		}
	}
}

// loadSpec reads and decodes the spec named by -f, applying overrides. It
// prints what went wrong and returns the exit code when it fails.
func loadSpec(file string, overrides []spec.Override, stdin io.Reader, stderr io.Writer) (*spec.PreviewEnvironment, int) {
	if file == "" {
		fmt.Fprintf(stderr, "%s: -f FILE is required (the prenv.yaml spec, or - for standard input)\n", prefix(stderr))
		return nil, exitUsage
	}
	data, err := readInput(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prefix(stderr), pathError(err))
		if fileRefused(err) {
			return nil, exitInvalid
		}
		return nil, exitUsage
	}
	env, err := spec.LoadNamed(file, data, overrides...)
	if err != nil {
		return nil, reportError(stderr, file, err)
	}
	return env, exitOK
}

// reportError prints err for a user and returns its exit code: 1 for an
// invalid spec or one that changes what only the base branch may, 3 for
// anything else (a bug).
func reportError(stderr io.Writer, file string, err error) int {
	var inv *spec.InvalidError
	var te *trust.Error
	if errors.As(err, &te) {
		fmt.Fprintf(stderr, "%s: changes what only the base branch may change, %d problem(s):\n", file, len(te.Errs))
		for _, e := range te.Errs {
			fmt.Fprintf(stderr, "  %s\n", problemText(e))
		}
		return exitInvalid
	}
	if errors.As(err, &inv) {
		fmt.Fprintf(stderr, "%s: invalid spec, %d problem(s):\n", file, len(inv.Errs))
		for _, e := range inv.Errs {
			fmt.Fprintf(stderr, "  %s\n", problemText(e))
		}
		return exitInvalid
	}
	return internalError(stderr, "%v", err)
}

// problemText is one problem as the CLI prints it. A field error about the
// whole file has no path, which apimachinery prints as "<nil>"; it is
// printed without one.
func problemText(err error) string {
	if fe, ok := err.(*field.Error); ok && fe != nil && (fe.Field == "" || fe.Field == "<nil>") {
		return fe.ErrorBody()
	}
	return err.Error()
}

// internalError reports a bug in prenv, one whose input is not to blame,
// and returns its exit code.
func internalError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, prefix(stderr)+": internal error (this is a bug in prenv; please report it with the spec): "+format+"\n", args...)
	return exitInternal
}
