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
		chartDir, kustomizeDir             string
		valueFiles                         listFlag
		helmValues                         bool
		overrides                          overrideFlags
	)
	fs.StringVar(&file, "f", "", "the spec file (prenv.yaml), or - for standard input")
	fs.StringVar(&prFlag, "pr", "", "the pull-request number (required)")
	fs.StringVar(&templatesDir, "templates", "", "a folder whose template files override the embedded kit's by name")
	fs.StringVar(&outDir, "output-dir", "", "write one file per object into this folder (atomically) instead of standard output")
	fs.StringVar(&chartDir, "chart", "", "also render this app chart (a folder or .tgz) in-process with Helm, the env's identity injected as values")
	fs.Var(&valueFiles, "values", "a values file for --chart, merged in order as helm's -f (repeatable)")
	fs.BoolVar(&helmValues, "helm-values", false, "print only the values prenv injects into an app chart (for helm or helmfile)")
	fs.StringVar(&kustomizeDir, "kustomize", "", "apply the kustomization in this folder over the rendered objects (in memory)")
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
	if len(valueFiles) > 0 && chartDir == "" {
		fmt.Fprintln(stderr, "render env: --values needs --chart")
		return exitUsage
	}
	if helmValues {
		m, err := render.Plan(env, pr)
		if err != nil {
			return reportError(stderr, file, err)
		}
		y, err := render.HelmValuesYAML(m)
		if err != nil {
			return reportError(stderr, file, err)
		}
		stdout.Write(y)
		return exitOK
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
	if chartDir != "" {
		var values [][]byte
		for _, f := range valueFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "render env: --values: %v\n", err)
				return exitUsage
			}
			values = append(values, b)
		}
		app, err := render.RenderChart(ctx, out.Model, render.ChartOptions{Dir: chartDir, Values: values})
		if err != nil {
			fmt.Fprintf(stderr, "render env: %v\n", err)
			return exitInvalid
		}
		out.Objects = append(out.Objects, app...)
		render.SortObjects(out.Objects)
	}
	if kustomizeDir != "" {
		objs, err := render.Kustomize(ctx, kustomizeDir, out.Objects)
		if err != nil {
			fmt.Fprintf(stderr, "render env: %v\n", err)
			return exitInvalid
		}
		out.Objects = objs
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
