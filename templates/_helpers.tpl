{{- /*
prenv.metadata renders an object's metadata.
Arguments (a dict): root ($), name, wave, namespaced (bool), ack (bool),
annotations (a map of extra annotations, may be empty), and optionally
labels (a map of extra labels: the Namespace's own).
Every value goes through toJson: a JSON string is a valid YAML scalar, and a
map printed whole is a JSON object, so no input can break out of its field.
*/ -}}
{{- define "prenv.metadata" -}}
name: {{ .name | toJson }}
{{- if .namespaced }}
namespace: {{ .root.Values.namespace | toJson }}
{{- end }}
{{- if hasKey . "labels" }}
labels:
{{- range $k, $v := .root.Values.labels }}
  {{ $k | toJson }}: {{ $v | toJson }}
{{- end }}
{{- range $k, $v := .labels }}
  {{ $k | toJson }}: {{ $v | toJson }}
{{- end }}
{{- else }}
labels: {{ .root.Values.labels | toJson }}
{{- end }}
annotations:
  "argocd.argoproj.io/sync-wave": {{ .wave | toJson }}
{{- if .ack }}
{{- range $k, $v := .root.Values.ackAnnotations }}
  {{ $k | toJson }}: {{ $v | toJson }}
{{- end }}
{{- end }}
{{- range $k, $v := .annotations }}
  {{ $k | toJson }}: {{ $v | toJson }}
{{- end }}
{{- end -}}

{{- /*
prenv.tagList renders AWS tags as ACK's list of {key, value}, one line each.
The embedded templates print .Values.tags whole with toJson, one call where
this takes two a tag; the define stays for templates that include it.
*/ -}}
{{- define "prenv.tagList" -}}
{{- range .Values.tags }}
- key: {{ .key | toJson }}
  value: {{ .value | toJson }}
{{- end }}
{{- end -}}
{{- /*
prenv.resources renders a container's requests and limits (plan's
ContainerResources: each a map of resource name to quantity).
*/ -}}
{{- define "prenv.resources" -}}
{{- if .requests }}
requests: {{ .requests | toJson }}
{{- end }}
{{- if .limits }}
limits: {{ .limits | toJson }}
{{- end }}
{{- end -}}
