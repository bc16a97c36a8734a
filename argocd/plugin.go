package argocd

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
)

// Environment variables the plugin flow's Applications set (Argo CD passes
// them to the plugin with the ARGOCD_ENV_ prefix) and the parameter that
// lists values files (passed as PARAM_VALUES_0, PARAM_VALUES_1, ...).
const (
	PluginEnvPR     = "PRENV_PR"
	PluginEnvFile   = "PRENV_FILE"
	PluginEnvChart  = "PRENV_CHART"
	PluginValuesArg = "values"
	// PluginEnvBase carries the base branch's trusted fields of the app
	// ([PluginBase]) to render env --base-values: the plugin renders the
	// pull request's head, whose spec is not trusted.
	PluginEnvBase = "PRENV_BASE"
)

// MaxPluginBase bounds the value of [PluginEnvBase], in bytes: Argo CD
// passes it to the plugin as an environment variable, and the script as
// one argument of render, and Linux refuses to start a program with one
// of those over 128 KiB (MAX_ARG_STRLEN, execve(2)). A spec's trusted
// fields take a few kilobytes.
const MaxPluginBase = 64 << 10

// PluginBase is the value of the plugin env [PluginEnvBase] that the
// ApplicationSet of env gives every Application: the trusted fields of env
// (trust.Of), as JSON in standard base64. Base64, because Argo CD
// substitutes $VAR in plugin env values and executes {{ }} in every
// string of the template, and base64 has neither. A spec whose trusted
// fields encode to more than [MaxPluginBase] bytes is a *spec.InvalidError
// at spec.argocd.source.plugin.
func PluginBase(env *spec.PreviewEnvironment) (string, error) {
	b, err := json.Marshal(trust.Of(env))
	if err != nil {
		return "", err
	}
	s := base64.StdEncoding.EncodeToString(b)
	if len(s) > MaxPluginBase {
		return "", &spec.InvalidError{Errs: field.ErrorList{field.Invalid(field.NewPath("spec", "argocd", "source", "plugin"), field.OmitValueType{},
			fmt.Sprintf("the plugin flow carries the spec's trusted fields (the app, its AWS identity, IAM grants, bounds and Argo CD wiring) in each Application's plugin env %s, at most %d bytes in base64; they take %d: use the manifest flow, or fewer IAM statements", PluginEnvBase, MaxPluginBase, len(s)))}}
	}
	return s, nil
}

// ParsePluginBase reads a [PluginEnvBase] value: at most [MaxPluginBase]
// bytes of standard base64 of the JSON that trust.Parse reads.
func ParsePluginBase(s string) (*trust.Fields, error) {
	switch {
	case s == "":
		return nil, fmt.Errorf("the base branch's trusted fields: empty (is the Application's plugin env %s set?)", PluginEnvBase)
	case len(s) > MaxPluginBase:
		return nil, fmt.Errorf("the base branch's trusted fields: %d bytes, more than %d", len(s), MaxPluginBase)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the base branch's trusted fields: not base64: %w", err)
	}
	return trust.Parse(b)
}

// pluginGenerate is the plugin's generate command, run by sh in the
// Application's source folder, the pull request's head. Every value
// arrives in an environment variable and is quoted; only the loop counter
// reaches eval.
//
// The head is not trusted, so the script refuses to run without the base
// branch's trusted fields (PRENV_BASE, which render env --base-values
// compares the head's spec with), and refuses a head that has
// .argocd-source.yaml or .argocd-source-<app>.yaml: Argo CD's repo-server
// merges those files of the repository into the Application's source
// (its plugin env and parameters included; only repoURL, path,
// targetRevision and chart are kept, argo-cd
// reposerver/repository/repository.go, mergeSourceParameters), so a pull
// request could otherwise replace PRENV_BASE and PRENV_PR with its own.
const pluginGenerate = `set -eu
pr="${ARGOCD_ENV_PRENV_PR:-}"
case "$pr" in
  '' | *[!0-9]*) echo "prenv: the Application must set plugin env PRENV_PR to the pull-request number" >&2; exit 1 ;;
esac
base="${ARGOCD_ENV_PRENV_BASE:-}"
if [ -z "$base" ]; then
  echo "prenv: the Application must set plugin env PRENV_BASE to the base branch's trusted fields (render appset writes it into the ApplicationSet): the pull request's own spec cannot say who its env is" >&2
  exit 1
fi
for f in .argocd-source.yaml .argocd-source-*.yaml; do
  if [ -e "$f" ] || [ -L "$f" ]; then
    echo "prenv: $f: refused: Argo CD merges this file of the pull request into the Application's plugin env, which carries the pull-request number and the base branch's trusted fields" >&2
    exit 1
  fi
done
set -- env -f "${ARGOCD_ENV_PRENV_FILE:-prenv.yaml}" --pr "$pr" --base-values "$base"
if [ -n "${ARGOCD_ENV_PRENV_CHART:-}" ]; then
  set -- "$@" --chart "$ARGOCD_ENV_PRENV_CHART"
  i=0
  while eval "v=\${PARAM_VALUES_$i:-}"; [ -n "$v" ]; do
    set -- "$@" --values "$v"
    i=$((i + 1))
  done
fi
exec render "$@"
`

// pluginName is the Config Management Plugin's name.
func pluginName(pl *spec.AppPlugin) string {
	if pl.Name != "" {
		return pl.Name
	}
	return spec.DefaultPluginName
}

// pluginConfig is the ConfigManagementPlugin file (plugin.yaml) that the
// sidecar reads. It has no discover rule: Applications name the plugin.
func pluginConfig(name string) map[string]any {
	return map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "ConfigManagementPlugin",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"generate": map[string]any{
				"command": []any{"sh", "-c", pluginGenerate},
			},
			"parameters": map[string]any{
				"static": []any{
					map[string]any{"name": PluginValuesArg, "title": "Values files of the app chart (render env --values)", "collectionType": "array"},
				},
			},
		},
	}
}
