package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"prenv.dev/prenv/render"
)

func runEnv(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("env", "-f prenv.yaml --pr N [flags]", stderr)
	var (
		file, prFlag, templatesDir, outDir string
		overrides                          overrideFlags
	)
	fs.StringVar(&file, "f", "", "the spec file (prenv.yaml), or - for standard input")
	fs.StringVar(&prFlag, "pr", "", "the pull-request number (required)")
	fs.StringVar(&templatesDir, "templates", "", "a folder whose template files override the embedded kit's by name")
	fs.StringVar(&outDir, "output-dir", "", "write one file per object into this folder (atomically) instead of standard output")
	overrides.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "render env: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if prFlag == "" {
		fmt.Fprintln(stderr, "render env: --pr N is required (the pull-request number)")
		return exitUsage
	}
	pr, err := strconv.Atoi(prFlag)
	if err != nil {
		fmt.Fprintf(stderr, "render env: --pr must be a whole number, got %q\n", prFlag)
		return exitUsage
	}
	env, code := loadSpec(file, overrides.list, stdin, stderr)
	if env == nil {
		return code
	}
	opts := render.Options{}
	if templatesDir != "" {
		st, err := os.Stat(templatesDir)
		if err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "render env: --templates %s: not a readable folder\n", templatesDir)
			return exitUsage
		}
		opts.Templates = os.DirFS(templatesDir)
	}
	out, err := render.Render(ctx, env, pr, opts)
	if err != nil {
		var te *render.TemplateError
		if errors.As(err, &te) && templatesDir != "" {
			fmt.Fprintf(stderr, "render env: %v\n", err)
			return exitInvalid
		}
		return reportError(stderr, file, err)
	}
	if outDir != "" {
		if err := render.WriteDir(outDir, out.Objects); err != nil {
			fmt.Fprintf(stderr, "render env: --output-dir: %v\n", err)
			return exitInvalid
		}
		return exitOK
	}
	y, err := out.YAML()
	if err != nil {
		return reportError(stderr, file, err)
	}
	if _, err := stdout.Write(y); err != nil {
		fmt.Fprintf(stderr, "render env: %v\n", err)
		return exitInternal
	}
	return exitOK
}
