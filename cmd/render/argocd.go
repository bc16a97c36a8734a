package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/render"
)

// runAppSet prints what goes into the Argo CD cluster for one app: the
// argocd-cm health checks, the plugin ConfigMap (plugin flow), the
// AppProject and the ApplicationSet; with --sidecar, the repo-server patch
// that adds the plugin's sidecar instead.
func runAppSet(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("appset", "-f prenv.yaml [flags]", stderr)
	var (
		file, templatesDir string
		sidecar            bool
		overrides          overrideFlags
	)
	fs.StringVar(&file, "f", "", "the spec file (prenv.yaml), or - for standard input")
	fs.StringVar(&templatesDir, "templates", "", "a folder whose template files override the embedded Argo CD kit's by name")
	fs.BoolVar(&sidecar, "sidecar", false, "print the argocd-repo-server patch that adds the plugin sidecar (needs spec.argocd.source.plugin.image)")
	overrides.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "render appset: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	opts, code := argoOptions("appset", templatesDir, stderr)
	if code != exitOK {
		return code
	}
	env, code := loadSpec(file, overrides.list, stdin, stderr)
	if env == nil {
		return code
	}
	var objs []*unstructured.Unstructured
	if sidecar {
		o, err := argocd.RepoServerPatch(ctx, env, opts)
		if err != nil {
			return reportArgoError(stderr, "appset", file, templatesDir, err)
		}
		objs = append(objs, o)
	} else {
		var err error
		if objs, err = argocd.AppSet(ctx, env, opts); err != nil {
			return reportArgoError(stderr, "appset", file, templatesDir, err)
		}
	}
	return writeObjects(stdout, stderr, "appset", file, objs)
}

// runApps prints the Application Argo CD will generate for one pull
// request, computed offline from the ApplicationSet.
func runApps(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("apps", "-f prenv.yaml --pr N --branch BRANCH --head-sha SHA [flags]", stderr)
	var (
		file, templatesDir, prFlag string
		pr                         argocd.PullRequest
		labels                     listFlag
		overrides                  overrideFlags
	)
	fs.StringVar(&file, "f", "", "the spec file (prenv.yaml), or - for standard input")
	fs.StringVar(&templatesDir, "templates", "", "a folder whose template files override the embedded Argo CD kit's by name")
	fs.StringVar(&prFlag, "pr", "", "the pull-request number (required)")
	fs.StringVar(&pr.Branch, "branch", "", "the pull request's head branch (required), as the provider reports it")
	fs.StringVar(&pr.HeadSHA, "head-sha", "", "the head commit's SHA (required)")
	fs.StringVar(&pr.TargetBranch, "target-branch", "main", "the branch the pull request merges into")
	fs.Var(&labels, "label", "a label of the pull request (repeatable)")
	fs.StringVar(&pr.Author, "author", "", "the pull request's author")
	fs.StringVar(&pr.Title, "title", "", "the pull request's title")
	overrides.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "render apps: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, req := range []string{"pr", "branch", "head-sha"} {
		if !set[req] {
			fmt.Fprintf(stderr, "render apps: --%s is required\n", req)
			return exitUsage
		}
	}
	n, err := strconv.Atoi(prFlag)
	if err != nil {
		fmt.Fprintf(stderr, "render apps: --pr must be a whole number, got %q\n", prFlag)
		return exitUsage
	}
	pr.Number = n
	pr.Labels = labels
	opts, code := argoOptions("apps", templatesDir, stderr)
	if code != exitOK {
		return code
	}
	env, code := loadSpec(file, overrides.list, stdin, stderr)
	if env == nil {
		return code
	}
	app, err := argocd.Application(ctx, env, pr, opts)
	if err != nil {
		var inv *render.InvalidError
		if errors.As(err, &inv) {
			for _, e := range inv.Errs {
				e.Field = flagPath(e.Field)
			}
		}
		return reportArgoError(stderr, "apps", file, templatesDir, err)
	}
	return writeObjects(stdout, stderr, "apps", file, []*unstructured.Unstructured{app})
}

// prFlags maps the pull request's field paths to the flags that set them.
var prFlags = map[string]string{
	"pullRequest.number": "--pr", "pullRequest.branch": "--branch", "pullRequest.headSHA": "--head-sha",
	"pullRequest.targetBranch": "--target-branch", "pullRequest.labels": "--label",
	"pullRequest.author": "--author", "pullRequest.title": "--title",
}

// flagPath names a pull-request field by its flag: pullRequest.labels[1]
// becomes --label[1]; other paths are kept.
func flagPath(p string) string {
	for field, fl := range prFlags {
		if rest, ok := strings.CutPrefix(p, field); ok && (rest == "" || rest[0] == '[') {
			return fl + rest
		}
	}
	return p
}

func argoOptions(cmd, templatesDir string, stderr io.Writer) (argocd.Options, int) {
	var opts argocd.Options
	if templatesDir != "" {
		st, err := os.Stat(templatesDir)
		if err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "render %s: --templates %s: not a readable folder\n", cmd, templatesDir)
			return opts, exitUsage
		}
		opts.Templates = os.DirFS(templatesDir)
	}
	return opts, exitOK
}

// reportArgoError prints err and returns its exit code: a template error is
// the user's (1) when their templates were in play, prenv's (3) otherwise.
func reportArgoError(stderr io.Writer, cmd, file, templatesDir string, err error) int {
	var te *render.TemplateError
	if errors.As(err, &te) && templatesDir != "" {
		fmt.Fprintf(stderr, "render %s: %v\n", cmd, err)
		return exitInvalid
	}
	return reportError(stderr, file, err)
}

func writeObjects(stdout, stderr io.Writer, cmd, file string, objs []*unstructured.Unstructured) int {
	y, err := argocd.Marshal(objs)
	if err != nil {
		return reportError(stderr, file, err)
	}
	if _, err := stdout.Write(y); err != nil {
		fmt.Fprintf(stderr, "render %s: %v\n", cmd, err)
		return exitInternal
	}
	return exitOK
}
