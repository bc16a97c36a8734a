package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/spec"
)

// runAppSet prints what goes into the Argo CD cluster for one app: the
// argocd-cm health checks, the plugin ConfigMap (plugin flow), the
// AppProject and the ApplicationSet; with --sidecar, the repo-server patch
// that adds the plugin's sidecar instead.
func runAppSet(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("appset", "-f prenv.yaml [flags]", stderr)
	var (
		file, templatesDir string
		crdPaths           listFlag
		sidecar            bool
		overrides          overrideFlags
	)
	fs.StringVar(&file, "f", "", "the spec `FILE` (prenv.yaml), or - for standard input")
	fs.StringVar(&templatesDir, "templates", "", "a folder (`DIR`) whose template files override the embedded Argo CD kit's by name")
	fs.Var(&crdPaths, "crds", "CRD files or folders (`PATH`) that replace or extend the embedded schemas the output is validated against (repeatable)")
	fs.BoolVar(&sidecar, "sidecar", false, "print the argocd-repo-server patch that adds the plugin sidecar (needs spec.argocd.source.plugin.image; a patch, not validated as an object)")
	var baseFlag baseFlags
	baseFlag.register(fs, false, false)
	overrides.register(fs)
	if code, ok := parseNoArgs(fs, args, stderr); !ok {
		return code
	}
	if code := overrides.check("appset", "", stderr); code != exitOK {
		return code
	}
	opts, code := argoOptions("appset", templatesDir, stderr)
	if code != exitOK {
		return code
	}
	env, base, code := loadWithBase("appset", file, &baseFlag, overrides.list, stdin, stderr)
	if env == nil {
		return code
	}
	opts.Base = base
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
		// The output is validated before it is printed, always: against
		// the embedded schemas (or --crds). The sidecar is a strategic-merge
		// patch, not an object the API server would validate as it is.
		if code := validateRendered(ctx, "appset", crdPaths, templatesDir != "" || len(crdPaths) > 0, stderr, outputGroup{"the output", objs}); code != exitOK {
			return code
		}
	}
	return writeObjects(stdout, stderr, "appset", file, objs)
}

// runApps prints the Application Argo CD will generate for one pull
// request, computed offline from the ApplicationSet; nothing, and why, when
// the generator's labels or filters would not list the pull request.
func runApps(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("apps", "-f prenv.yaml --pr N --branch BRANCH --head-sha SHA --title TITLE --author AUTHOR [flags]", stderr)
	var (
		file, templatesDir string
		prNum              prValue
		format             string
		pr                 argocd.PullRequest
		labels, crdPaths   listFlag
		ignoreFilters      bool
		overrides          overrideFlags
	)
	fs.StringVar(&file, "f", "", "the spec `FILE` (prenv.yaml), or - for standard input")
	fs.StringVar(&templatesDir, "templates", "", "a folder (`DIR`) whose template files override the embedded Argo CD kit's by name")
	fs.Var(&prNum, "pr", "the pull-request number `N` (required): "+prRule)
	fs.StringVar(&pr.Branch, "branch", "", "the pull request's head `BRANCH` (required), as the provider reports it")
	fs.StringVar(&pr.HeadSHA, "head-sha", "", "the head commit's `SHA` (required): 40 lowercase hex digits (64 in a SHA-256 repository); for Bitbucket Cloud the 12-digit short hash its API reports")
	fs.StringVar(&pr.TargetBranch, "target-branch", "main", "the `BRANCH` the pull request merges into (filters' targetBranchMatch)")
	fs.Var(&labels, "label", "a `LABEL` of the pull request (repeatable): the generator lists only pull requests with all its labels")
	fs.StringVar(&pr.Author, "author", "", "the pull request's `AUTHOR`")
	fs.StringVar(&pr.Title, "title", "", "the pull request's `TITLE` (filters' titleMatch)")
	fs.Var(&crdPaths, "crds", "CRD files or folders (`PATH`) that replace or extend the embedded schemas the output is validated against (repeatable)")
	fs.StringVar(&format, "o", "yaml", "output `FORMAT`: yaml or json (the Application as one JSON object)")
	fs.BoolVar(&ignoreFilters, "ignore-filters", false, "print the Application even when the generator's labels or filters would not list the pull request (to compute its name, for example)")
	var baseFlag baseFlags
	baseFlag.register(fs, false, false)
	overrides.register(fs)
	if code, ok := parseNoArgs(fs, args, stderr); !ok {
		return code
	}
	if code := overrides.check("apps", "", stderr); code != exitOK {
		return code
	}
	if code := outputFormat("apps", format, stderr); code != exitOK {
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// Every missing pull-request flag at once, so that one try shows them.
	missing := false
	for _, req := range []struct{ name, value, what string }{
		{"pr", prNum.String(), "the pull-request number"},
		{"branch", pr.Branch, "the pull request's head branch"},
		{"head-sha", pr.HeadSHA, "the head commit's SHA"},
	} {
		switch {
		case !set[req.name]:
			fmt.Fprintf(stderr, "render apps: --%s is required (%s)\n", req.name, req.what)
			missing = true
		case req.value == "":
			fmt.Fprintf(stderr, "render apps: --%s is required and must not be empty (%s)\n", req.name, req.what)
			missing = true
		}
	}
	if missing {
		return exitUsage
	}
	pr.Number = prNum.n
	pr.Labels = labels
	opts, code := argoOptions("apps", templatesDir, stderr)
	if code != exitOK {
		return code
	}
	opts.IgnoreFilters = ignoreFilters
	env, base, code := loadWithBase("apps", file, &baseFlag, overrides.list, stdin, stderr)
	if env == nil {
		return code
	}
	opts.Base = base
	app, err := argocd.Application(ctx, env, pr, opts)
	if err != nil {
		var (
			inv    *spec.InvalidError
			ng     *argocd.NotGeneratedError
			unsafe *argocd.UnsafePathError
		)
		switch {
		case errors.As(err, &ng):
			reportNotGenerated(stderr, ng)
			return exitInvalid
		case errors.As(err, &unsafe):
			fmt.Fprintf(stderr, "render apps: %v\n", unsafe)
			return exitInvalid
		case errors.As(err, &inv):
			if onlyPRErrors(inv) {
				fmt.Fprintf(stderr, "render apps: invalid pull request, %d problem(s):\n", len(inv.Errs))
				for _, e := range inv.Errs {
					e.Field = flagPath(e.Field)
					fmt.Fprintf(stderr, "  %s\n", problemText(e))
				}
				return exitInvalid
			}
			for _, e := range inv.Errs {
				e.Field = flagPath(e.Field)
			}
		}
		return reportArgoError(stderr, "apps", file, templatesDir, err)
	}
	if code := requireFeeding(ctx, env, pr, opts, set, stderr); code != exitOK {
		return code
	}
	// Validated before printing, always: the Application, and what it is
	// generated from (render appset's output), which the API server would
	// refuse before Argo CD ever generated anything.
	userShaped := templatesDir != "" || len(crdPaths) > 0
	appSet, err := argocd.AppSet(ctx, env, opts)
	if err != nil {
		return reportArgoError(stderr, "apps", file, templatesDir, err)
	}
	objs := []*unstructured.Unstructured{app}
	if code := validateRendered(ctx, "apps", crdPaths, userShaped, stderr,
		outputGroup{"the ApplicationSet, AppProject and argocd-cm it is generated from (render appset)", appSet},
		outputGroup{"the Application", objs}); code != exitOK {
		return code
	}
	if format == "json" {
		j, err := objectsJSON(objs, false)
		if err != nil {
			return reportError(stderr, file, err)
		}
		if _, err := stdout.Write(j); err != nil {
			fmt.Fprintf(stderr, "render apps: %v\n", err)
			return exitInternal
		}
		return exitOK
	}
	return writeObjects(stdout, stderr, "apps", file, objs)
}

// requireFeeding refuses --title and --author left out when the
// Application depends on them (prenv's ApplicationSet shows both in
// spec.info): Argo CD fills them from the pull request, so printing the
// Application with empty ones would show what Argo CD never generates. It
// renders the Application again with probe values for the missing flags
// (filters ignored) and compares.
func requireFeeding(ctx context.Context, env *spec.PreviewEnvironment, pr argocd.PullRequest, opts argocd.Options, set map[string]bool, stderr io.Writer) int {
	opts.IgnoreFilters = true
	base, err := argocd.Application(ctx, env, pr, opts)
	if err != nil {
		return exitOK // reported by the caller's own rendering
	}
	var missing, what []string
	for _, f := range []struct {
		name string
		set  func(*argocd.PullRequest)
	}{
		{"author", func(p *argocd.PullRequest) { p.Author = "prenv-probe" }},
		{"title", func(p *argocd.PullRequest) { p.Title = "prenv probe" }},
	} {
		if set[f.name] {
			continue
		}
		probe := pr
		f.set(&probe)
		app, err := argocd.Application(ctx, env, probe, opts)
		if err != nil || !equality.Semantic.DeepEqual(app.Object, base.Object) {
			missing, what = append(missing, "--"+f.name), append(what, f.name)
		}
	}
	if len(missing) == 0 {
		return exitOK
	}
	verb := "are"
	if len(missing) == 1 {
		verb = "is"
	}
	return usageError(stderr, "apps", "%s %s required: the Application Argo CD generates shows the pull request's %s (spec.info)",
		strings.Join(missing, " and "), verb, strings.Join(what, " and "))
}

// onlyPRErrors reports whether every problem is the pull request's.
func onlyPRErrors(inv *spec.InvalidError) bool {
	for _, e := range inv.Errs {
		if !strings.HasPrefix(e.Field, "pullRequest.") {
			return false
		}
	}
	return len(inv.Errs) > 0
}

// paramFlags names the flag that sets each generator parameter a filter
// matches.
var paramFlags = map[string]string{"branch": "--branch", "target_branch": "--target-branch", "title": "--title"}

// reportNotGenerated explains on stderr why Argo CD generates no
// Application for the pull request.
func reportNotGenerated(stderr io.Writer, ng *argocd.NotGeneratedError) {
	var b strings.Builder
	fmt.Fprintf(&b, "render apps: Argo CD generates no Application for pull request %d, so there is none to print:\n", ng.Number)
	for _, l := range ng.MissingLabels {
		fmt.Fprintf(&b, "  the pull request lacks the label %q, which the generator's %s.labels lists: Argo CD lists only pull requests that carry every label listed (give the pull request's labels with --label)\n", l, ng.Provider)
	}
	if len(ng.Filters) > 0 {
		b.WriteString("  no filter matches: Argo CD lists only pull requests that match at least one filter, and a filter matches when all its conditions do:\n")
		for _, m := range ng.Filters {
			fmt.Fprintf(&b, "    %s (%s)\n", m.String(), paramFlags[m.Param])
		}
	}
	b.WriteString("  (--ignore-filters prints the Application anyway)\n")
	io.WriteString(stderr, b.String())
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
		fsys, code := openTemplates(cmd, templatesDir, stderr)
		if fsys == nil {
			return opts, code
		}
		if kit, err := fs.Sub(argocd.Templates, "templates"); err == nil {
			warnExtraTemplates(cmd, templatesDir, fsys, kit, stderr)
		}
		opts.Templates = fsys
	}
	return opts, exitOK
}

// reportArgoError prints err and returns its exit code: a template error is
// the user's (1) when their templates were in play, prenv's (3) otherwise.
func reportArgoError(stderr io.Writer, cmd, file, templatesDir string, err error) int {
	var te *kit.TemplateError
	if errors.As(err, &te) && templatesDir != "" || fileRefused(err) {
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
