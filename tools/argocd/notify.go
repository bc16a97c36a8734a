// argocd-oracle notify runs Argo CD's notifications code, offline, over
// the argocd-notifications-cm that `render appset` prints and one
// Application: it is prenv's oracle for the notification triggers and
// templates (docs/feedback.md). Nothing is sent.
//
// Usage:
//
//	argocd-oracle notify -f appset.yaml --app app.yaml [-o yaml|json]
//
// The ConfigMap argocd-notifications-cm of the YAML stream of -f is read
// with notifications-engine's own configuration code (api.ParseConfig;
// the services' $key references stay unreplaced, as no Secret is read and
// no service is built), and the variables every trigger and template sees
// are made by Argo CD's own notifications settings
// (util/notification/settings: the Application as app, the context, and
// Argo CD's expression functions time, strings and repo; repo has no Argo
// CD service behind it and fails if called). Then, in name order:
//
//   - every trigger is run as the controller runs it (triggers.Service.Run
//     over the variables of the Application): each condition's index,
//     whether it fired, its oncePer value and the templates it sends;
//   - every template is formatted as the controller formats it before it
//     sends (templates.Service.FormatNotification, with the service type
//     and recipient variables the controller adds): the notification as
//     notifications-engine marshals it (message, github: deployment,
//     pullRequestComment with the comment tag appended, status, checkRun,
//     repoURLPath, revisionPath), and the repository URL, the owner/name
//     and the revision its repoURLPath and revisionPath give.
//
// Exit codes: 0 success, 1 a configuration, trigger or template error, 2
// usage.

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	texttemplate "text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/argoproj/notifications-engine/pkg/api"
	"github.com/argoproj/notifications-engine/pkg/services"
	"github.com/argoproj/notifications-engine/pkg/templates"
	"github.com/argoproj/notifications-engine/pkg/triggers"
	giturls "github.com/chainguard-dev/git-urls"
	log "github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/argoproj/argo-cd/v3/util/notification/settings"
)

// Argo CD's notifications ConfigMap and Secret (argocd-notification's
// defaults).
const (
	notificationsConfigMap = "argocd-notifications-cm"
	notificationsSecret    = "argocd-notifications-secret"
)

// notifyService is the destination's service the templates are formatted
// for: prenv's github service.
const notifyService = "prenv"

func runNotify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("argocd-oracle notify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "-", "a YAML stream with argocd-notifications-cm, as render appset prints it, or - for standard input")
	appFile := fs.String("app", "", "the Application (YAML or JSON), with the status to evaluate (required)")
	format := fs.String("o", "yaml", "output format: yaml or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *appFile == "" || (*format != "yaml" && *format != "json") {
		fmt.Fprintln(stderr, "usage: argocd-oracle notify -f appset.yaml --app app.yaml [-o yaml|json]")
		return 2
	}
	log.SetOutput(io.Discard)
	out, err := notify(*file, *appFile, *format, stdin)
	return emit(stdout, stderr, "argocd-oracle notify", out, err)
}

// notifyResult is what notify prints.
type notifyResult struct {
	Application string           `json:"application"`
	Triggers    []triggerResult  `json:"triggers"`
	Templates   []templateResult `json:"templates"`
}

type triggerResult struct {
	Name       string            `json:"name"`
	Conditions []conditionResult `json:"conditions"`
}

type conditionResult struct {
	Index     int      `json:"index"`
	Triggered bool     `json:"triggered"`
	OncePer   string   `json:"oncePer"`
	Send      []string `json:"send"`
}

type templateResult struct {
	Name         string                `json:"name"`
	Notification services.Notification `json:"notification"`
	// RepoURL, Repository and Revision are what the github service posts
	// to: the result of repoURLPath, its owner/name, and of revisionPath.
	RepoURL    string `json:"repoURL,omitempty"`
	Repository string `json:"repository,omitempty"`
	Revision   string `json:"revision,omitempty"`
}

func notify(file, appFile, format string, stdin io.Reader) ([]byte, error) {
	in, err := readInput(file, stdin)
	if err != nil {
		return nil, err
	}
	cm, err := findConfigMap(in)
	if err != nil {
		return nil, err
	}
	appData, err := os.ReadFile(appFile)
	if err != nil {
		return nil, err
	}
	app := map[string]any{}
	if err := yaml.Unmarshal(appData, &app); err != nil {
		return nil, fmt.Errorf("%s: %w", appFile, err)
	}
	secret := &corev1.Secret{Data: map[string][]byte{}}
	secret.Name, secret.Namespace = notificationsSecret, cm.Namespace
	cfg, err := api.ParseConfig(cm, secret)
	if err != nil {
		return nil, err
	}
	getVars, err := settings.GetFactorySettings(nil, notificationsSecret, notificationsConfigMap, false).InitGetVars(cfg, cm, secret)
	if err != nil {
		return nil, err
	}
	res := notifyResult{}
	if meta, ok := app["metadata"].(map[string]any); ok {
		res.Application, _ = meta["name"].(string)
	}

	trig, err := triggers.NewService(cfg.Triggers)
	if err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	for _, name := range sortedKeys(cfg.Triggers) {
		// As api.RunTrigger: the variables of an empty destination.
		crs, err := trig.Run(name, getVars(app, services.Destination{}))
		if err != nil {
			return nil, fmt.Errorf("trigger %s: %w", name, err)
		}
		tr := triggerResult{Name: name}
		for i, cr := range crs {
			tr.Conditions = append(tr.Conditions, conditionResult{Index: i, Triggered: cr.Triggered, OncePer: cr.OncePer, Send: cr.Templates})
		}
		res.Triggers = append(res.Triggers, tr)
	}

	tmpls, err := templates.NewService(cfg.Templates)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	for _, name := range sortedKeys(cfg.Templates) {
		// As api.Send: the destination's variables, its service type and
		// recipient.
		dest := services.Destination{Service: notifyService}
		vars := map[string]any{}
		for k, v := range getVars(app, dest) {
			vars[k] = v
		}
		vars["serviceType"] = dest.Service
		vars["recipient"] = dest.Recipient
		n, err := tmpls.FormatNotification(vars, name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		tr := templateResult{Name: name, Notification: *n}
		if n.GitHub != nil {
			if tr.RepoURL, err = executeText(n.GitHub.RepoURLPath, vars); err != nil {
				return nil, fmt.Errorf("template %s: repoURLPath: %w", name, err)
			}
			if tr.Revision, err = executeText(n.GitHub.RevisionPath, vars); err != nil {
				return nil, fmt.Errorf("template %s: revisionPath: %w", name, err)
			}
			if tr.Repository, err = fullName(tr.RepoURL); err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
		}
		res.Templates = append(res.Templates, tr)
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, err
	}
	if format == "json" {
		return append(b, '\n'), nil
	}
	return yaml.JSONToYAML(b)
}

// findConfigMap returns argocd-notifications-cm of a YAML stream.
func findConfigMap(in []byte) (*corev1.ConfigMap, error) {
	for i, doc := range splitYAML(in) {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if meta.Kind != "ConfigMap" || meta.Metadata.Name != notificationsConfigMap {
			continue
		}
		cm := &corev1.ConfigMap{}
		if err := yaml.UnmarshalStrict(doc, cm); err != nil {
			return nil, fmt.Errorf("document %d (%s): %w", i, notificationsConfigMap, err)
		}
		return cm, nil
	}
	return nil, errors.New("the input holds no ConfigMap " + notificationsConfigMap)
}

// executeText executes a field template of the github service as
// notifications-engine parses it (GitHubNotification.GetTemplater:
// text/template with sprig's text functions but env and expandenv).
func executeText(text string, vars map[string]any) (string, error) {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	t, err := texttemplate.New("field").Funcs(f).Parse(text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, vars); err != nil {
		return "", err
	}
	return b.String(), nil
}

// gitSuffix is the suffix the github service drops from a repository
// URL's path.
var gitSuffix = regexp.MustCompile(`\.git$`)

// fullName is the owner/name the github service posts to for a repository
// URL: the first two parts of its path (notifications-engine,
// pkg/services/github.go, fullNameByRepoURL, which panics where this
// returns the error).
func fullName(rawURL string) (string, error) {
	u, err := giturls.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("repository URL %q: %w", rawURL, err)
	}
	var parts []string
	for _, p := range strings.Split(gitSuffix.ReplaceAllString(u.Path, ""), "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) < 2 {
		return "", fmt.Errorf("repository URL %q has no owner/name", rawURL)
	}
	return strings.Join(parts[:2], "/"), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
