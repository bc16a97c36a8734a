{{- /*
prenv.argocd.map prints a map of strings as YAML keys and values, both
through toJson: a JSON string is a valid YAML scalar, so no value can add
or change a field, and Argo CD's placeholders (the pull-request number and
the rest) arrive in the output as data, never as template text that Helm
would evaluate.
*/ -}}
{{- define "prenv.argocd.map" -}}
{{- range $k, $v := . }}
{{ $k | toJson }}: {{ $v | toJson }}
{{- end }}
{{- end -}}
