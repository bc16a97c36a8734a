package argocd

import (
	"prenv.dev/prenv/spec"
)

// Environment variables the plugin flow's Applications set (Argo CD passes
// them to the plugin with the ARGOCD_ENV_ prefix) and the parameter that
// lists values files (passed as PARAM_VALUES_0, PARAM_VALUES_1, ...).
const (
	PluginEnvPR     = "PRENV_PR"
	PluginEnvFile   = "PRENV_FILE"
	PluginEnvChart  = "PRENV_CHART"
	PluginValuesArg = "values"
)

// pluginGenerate is the plugin's generate command, run by sh in the
// Application's source folder. Every value arrives in an environment
// variable and is quoted; only the loop counter reaches eval.
const pluginGenerate = `set -eu
pr="${ARGOCD_ENV_PRENV_PR:-}"
case "$pr" in
  '' | *[!0-9]*) echo "prenv: the Application must set plugin env PRENV_PR to the pull-request number" >&2; exit 1 ;;
esac
set -- env -f "${ARGOCD_ENV_PRENV_FILE:-prenv.yaml}" --pr "$pr"
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
