// argocd-oracle generates the Applications of an ApplicationSet
// with Argo CD's own ApplicationSet code, offline: the pull-request
// generator (applicationset/generators) lists the pull requests of a GitHub
// API given on the command line (a fake one on 127.0.0.1 in prenv's tests),
// and the template code (applicationset/controllers/template and
// applicationset/utils, goTemplate and fasttemplate alike) renders them. It
// is prenv's oracle for `render apps`: prenv re-implements Argo CD's
// template semantics, this runs Argo CD's.
//
// Usage:
//
//	argocd-oracle -f appset.yaml --github-api URL [-o yaml|json]
//	argocd-oracle notify -f appset.yaml --app app.yaml [-o yaml|json]   (notify.go)
//	argocd-oracle -version
//
// The input is what `render appset` prints: a YAML stream that holds one
// argoproj.io ApplicationSet (other objects are skipped). In the oracle's
// copy of the ApplicationSet every GitHub pull-request generator, also one
// nested one level in a matrix or merge generator, gets the API URL, and
// its tokenRef and appSecretName are cleared: no Secret is read and no
// token is sent. GITHUB_TOKEN, which Argo CD's GitHub service reads when
// no token is set, is removed from the environment. Other pull-request
// providers, and generators that need a cluster or a repository (clusters,
// git, plugin, ...), fail as they fail in Argo CD without one.
//
// The output is the generated Applications sorted by name: a YAML stream
// (documents separated by ---) or, with -o json, a JSON array. Each holds
// apiVersion, kind, metadata and spec as Argo CD's typed Application
// marshals them; status (which the controller never takes from the
// template) and a null metadata.creationTimestamp are left out. The owner
// reference the controller adds when it writes an Application is not
// there: it needs the ApplicationSet's UID in a cluster.
//
// Two Applications with one name fail, as the controller refuses them
// (validateGeneratedApplications). Exit codes: 0 success, 1 the generator
// or the template failed, 2 usage.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	log "github.com/sirupsen/logrus"
	"sigs.k8s.io/yaml"

	"github.com/argoproj/argo-cd/v3/applicationset/controllers/template"
	"github.com/argoproj/argo-cd/v3/applicationset/generators"
	"github.com/argoproj/argo-cd/v3/applicationset/utils"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
)

// oracleMain runs argocd-oracle and returns its exit code.
func oracleMain() int {
	if len(os.Args) > 1 && os.Args[1] == "notify" {
		return runNotify(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	}
	return run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("argocd-oracle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "-", "the ApplicationSet: a YAML stream as render appset prints it, or - for standard input")
	api := fs.String("github-api", "", "the GitHub API URL every GitHub pull-request generator is pointed at (required)")
	format := fs.String("o", "yaml", "output format: yaml or json")
	verbose := fs.Bool("v", false, "print Argo CD's log (logrus) to standard error")
	version := fs.Bool("version", false, "print the Argo CD version the oracle is built from and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, "argocd-oracle", argoCDVersion())
		return 0
	}
	if fs.NArg() > 0 || *api == "" || (*format != "yaml" && *format != "json") {
		fmt.Fprintln(stderr, "usage: argocd-oracle -f appset.yaml --github-api URL [-o yaml|json]")
		return 2
	}
	// Argo CD's GitHub service falls back to this token when none is set.
	os.Unsetenv("GITHUB_TOKEN")
	log.SetOutput(io.Discard)
	if *verbose {
		log.SetOutput(stderr)
		log.SetLevel(log.DebugLevel)
	}

	in, err := readInput(*file, stdin)
	if err != nil {
		fmt.Fprintln(stderr, "argocd-oracle:", err)
		return 1
	}
	appSet, err := findAppSet(in)
	if err != nil {
		fmt.Fprintln(stderr, "argocd-oracle:", err)
		return 1
	}
	if err := pointAt(appSet, *api); err != nil {
		fmt.Fprintln(stderr, "argocd-oracle:", err)
		return 1
	}
	apps, err := generate(ctx, appSet)
	if err != nil {
		fmt.Fprintln(stderr, "argocd-oracle:", err)
		return 1
	}
	out, err := encode(apps, *format)
	return emit(stdout, stderr, "argocd-oracle", out, err)
}

// emit writes out to stdout, or err to stderr after the command's name,
// and returns the exit code: 0, or 1 for err or a failed write.
func emit(stdout, stderr io.Writer, name string, out []byte, err error) int {
	if err == nil {
		_, err = stdout.Write(out)
	}
	if err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return 1
	}
	return 0
}

// argoCDModule is the module whose ApplicationSet code the oracle runs.
const argoCDModule = "github.com/argoproj/argo-cd/v3"

// argoCDVersion returns the version of Argo CD linked into the binary, as
// the build recorded it.
func argoCDVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == argoCDModule {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return "unknown"
}

func readInput(file string, stdin io.Reader) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(file)
}

// findAppSet returns the one argoproj.io ApplicationSet of a YAML stream.
func findAppSet(in []byte) (*v1alpha1.ApplicationSet, error) {
	var found *v1alpha1.ApplicationSet
	for i, doc := range splitYAML(in) {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if meta.Kind != "ApplicationSet" || !strings.HasPrefix(meta.APIVersion, "argoproj.io/") {
			continue
		}
		if found != nil {
			return nil, errors.New("the input holds more than one ApplicationSet")
		}
		as := &v1alpha1.ApplicationSet{}
		// Strict: a field Argo CD's types do not have would be dropped
		// silently by the controller's decoder too, but here it means the
		// oracle would not see what prenv meant.
		if err := yaml.UnmarshalStrict(doc, as); err != nil {
			return nil, fmt.Errorf("document %d (ApplicationSet): %w", i, err)
		}
		found = as
	}
	if found == nil {
		return nil, errors.New("the input holds no argoproj.io ApplicationSet")
	}
	return found, nil
}

// splitYAML splits a YAML stream at its document separators.
func splitYAML(in []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if len(bytes.TrimSpace(cur.Bytes())) > 0 {
			docs = append(docs, slices.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	for _, line := range bytes.SplitAfter(in, []byte("\n")) {
		if t := bytes.TrimRight(line, " \t\r\n"); bytes.Equal(t, []byte("---")) {
			flush()
			continue
		}
		cur.Write(line)
	}
	flush()
	return docs
}

// pointAt sets the API URL of every GitHub pull-request generator and
// clears its credentials.
func pointAt(as *v1alpha1.ApplicationSet, api string) error {
	n := 0
	set := func(pr *v1alpha1.PullRequestGenerator) {
		if pr != nil && pr.Github != nil {
			pr.Github.API = api
			pr.Github.TokenRef = nil
			pr.Github.AppSecretName = ""
			n++
		}
	}
	for i := range as.Spec.Generators {
		g := &as.Spec.Generators[i]
		set(g.PullRequest)
		var nested []v1alpha1.ApplicationSetNestedGenerator
		if g.Matrix != nil {
			nested = append(nested, g.Matrix.Generators...)
		}
		if g.Merge != nil {
			nested = append(nested, g.Merge.Generators...)
		}
		for j := range nested {
			set(nested[j].PullRequest)
		}
	}
	if n == 0 {
		return fmt.Errorf("ApplicationSet %s has no GitHub pull-request generator to point at the API", as.Name)
	}
	return nil
}

// generate runs Argo CD's ApplicationSet generation: its generators, as
// the controller builds them, and its template rendering.
func generate(ctx context.Context, as *v1alpha1.ApplicationSet) ([]v1alpha1.Application, error) {
	// The SCM providers enabled (Argo CD's default), any API URL allowed,
	// no GitHub App credentials (appSecretName is cleared), no API metrics,
	// tokenRef strict mode off (no Secret is read).
	scm := generators.NewSCMConfig("", nil, true, false, nil, false)
	// No Kubernetes client, no repo-server, no dynamic client: the
	// pull-request generator needs none once its credentials are cleared.
	gens := generators.GetGenerators(ctx, nil, nil, as.Namespace, nil, nil, scm)
	apps, reason, err := template.GenerateApplications(log.NewEntry(log.StandardLogger()), *as, gens, &utils.Render{}, nil)
	if err != nil {
		return nil, fmt.Errorf("ApplicationSet %s: %s: %w", as.Name, reason, err)
	}
	slices.SortFunc(apps, func(a, b v1alpha1.Application) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(apps); i++ {
		if apps[i].Name == apps[i-1].Name {
			return nil, fmt.Errorf("ApplicationSet %s contains applications with duplicate name: %s", as.Name, apps[i].Name)
		}
	}
	return apps, nil
}

// encode prints the Applications as a YAML stream or a JSON array.
func encode(apps []v1alpha1.Application, format string) ([]byte, error) {
	objs := make([]map[string]any, 0, len(apps))
	for i := range apps {
		app := apps[i]
		app.APIVersion = "argoproj.io/v1alpha1"
		app.Kind = "Application"
		b, err := json.Marshal(&app)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		delete(m, "status")
		if meta, ok := m["metadata"].(map[string]any); ok {
			if v, ok := meta["creationTimestamp"]; ok && v == nil {
				delete(meta, "creationTimestamp")
			}
		}
		objs = append(objs, m)
	}
	if format == "json" {
		b, err := json.MarshalIndent(objs, "", "  ")
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	}
	var out bytes.Buffer
	for i, m := range objs {
		if i > 0 {
			out.WriteString("---\n")
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}
