package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/diff"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

func runDiff(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("diff", "[-o text|json] BASE HEAD | --base-spec FILE -f SPEC --pr N [flags]", stderr)
	var (
		baseSpec, file string
		pr             prValue
		overrides      overrideFlags
	)
	output := fs.String("o", "text", "output `format`: text or json")
	fs.StringVar(&baseSpec, "base-spec", "", "render this spec `FILE` as the base, instead of reading BASE")
	fs.StringVar(&file, "f", "", "with --base-spec: the head spec `FILE` (- for standard input)")
	fs.Var(&pr, "pr", "with --base-spec: the pull-request `number` both specs are rendered for")
	var kit kitFlags
	kit.register(fs, "with --base-spec: a `folder` whose template files override the embedded kit's, for both renders")
	overrides.register(fs)
	var paths []string
	if code, ok := parseWith(fs, args, func(args []string) (err error) {
		paths, err = parseInterleaved(fs, args)
		return err
	}); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "render diff: "+format+"\n", a...)
		fmt.Fprintln(stderr, `Run "render diff -h" for usage.`)
		return exitUsage
	}
	if *output != "text" && *output != "json" {
		return usageErr("-o %q: must be text or json", *output)
	}
	var base, head []*unstructured.Unstructured
	if baseSpec != "" {
		if len(paths) > 0 {
			return usageErr("--base-spec renders both sides; it takes no BASE or HEAD (got %q)", paths)
		}
		if file == "" || pr.n == 0 {
			return usageErr("--base-spec needs -f SPEC and --pr N")
		}
		if baseSpec == "-" && file == "-" {
			return usageErr("standard input (-) can be read only once")
		}
		opts, done, code := kit.options("diff", stderr)
		if done == nil {
			return code
		}
		defer done()
		if base, code = renderSpec(ctx, baseSpec, pr.n, overrides.list, opts, stdin, stderr); base == nil {
			return code
		}
		if head, code = renderSpec(ctx, file, pr.n, overrides.list, opts, stdin, stderr); head == nil {
			return code
		}
	} else {
		if file != "" || pr.n != 0 || kit.templatesDir != "" || kit.allowUnbounded || len(overrides.list) > 0 {
			return usageErr("-f, --pr, --set, --set-string, --templates and --allow-unbounded go with --base-spec")
		}
		if len(paths) != 2 {
			return usageErr("give BASE and HEAD (files or folders), or --base-spec FILE -f SPEC --pr N")
		}
		if paths[0] == "-" && paths[1] == "-" {
			return usageErr("standard input (-) can be read only once")
		}
		var code int
		if base, code = readRender(paths[0], stdin, stderr); base == nil {
			return code
		}
		if head, code = readRender(paths[1], stdin, stderr); head == nil {
			return code
		}
	}
	res, err := diff.Objects(base, head)
	if err != nil {
		fmt.Fprintf(stderr, "render diff: %v\n", err)
		return exitInvalid
	}
	if *output == "json" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return internalError(stderr, "%v", err)
		}
		stdout.Write(append(b, '\n'))
		return exitOK
	}
	stdout.Write(res.Unified())
	return exitOK
}

// renderSpec renders the spec in file for pr; it prints what went wrong
// and returns nil and the exit code when it fails.
func renderSpec(ctx context.Context, file string, pr int, overrides []spec.Override, opts render.Options, stdin io.Reader, stderr io.Writer) ([]*unstructured.Unstructured, int) {
	env, code := loadSpec(file, overrides, stdin, stderr)
	if env == nil {
		return nil, code
	}
	out, err := renderObjects(ctx, env, pr, opts)
	if err != nil {
		var te *kit.TemplateError
		if errors.As(err, &te) && opts.Templates != nil || fileRefused(err) {
			fmt.Fprintf(stderr, "render diff: %v\n", err)
			return nil, exitInvalid
		}
		return nil, reportError(stderr, file, err)
	}
	return append([]*unstructured.Unstructured{}, out.Objects...), exitOK
}

// readRender reads the objects of a file or folder of manifests, or of
// standard input for "-"; it prints what went wrong and returns nil and
// the exit code when it fails.
func readRender(path string, stdin io.Reader, stderr io.Writer) ([]*unstructured.Unstructured, int) {
	var objs []*unstructured.Unstructured
	var err error
	if path == "-" {
		var data []byte
		if data, err = spec.ReadAll(stdin, "<stdin>", validate.MaxFileSize); err == nil {
			objs, err = validate.DecodeObjects("<stdin>", data)
		}
	} else {
		objs, err = validate.LoadObjects(path)
	}
	if err != nil {
		fmt.Fprintf(stderr, "render diff: %s: %v\n", path, err)
		if errors.Is(err, validate.ErrDecode) || fileRefused(err) {
			return nil, exitInvalid
		}
		return nil, exitUsage
	}
	return append([]*unstructured.Unstructured{}, objs...), exitOK
}
