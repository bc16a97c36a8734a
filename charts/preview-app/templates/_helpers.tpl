{{/*
Helpers of the preview-app chart.

The env's identity (namespace, ServiceAccount, ConfigMap, hostname, labels)
is not chosen here: prenv derives it from prenv.yaml and the pull-request
number, and `render env --helm-values` writes it under the `prenv` key.
*/}}

{{/*
preview-app.prenvHint is appended to every "missing prenv value" message.
*/}}
{{- define "preview-app.prenvHint" -}}
it comes from prenv: generate the values file with `render env -f prenv.yaml --pr <number> --helm-values > prenv-values.yaml` and pass it with -f prenv-values.yaml
{{- end }}

{{/*
How a missing prenv value behaves: `required` fails every real render
(helm template, install, upgrade) with the message below. `helm lint` renders
in lint mode, where `required` only logs the message and returns "": there
the namespace and the app name fall back to the release's, so that
`helm lint --strict` of the chart alone checks objects with valid names. The
fallback never reaches a real render, which fails first.
*/}}

{{/*
preview-app.namespace is the env's namespace, which prenv creates (the
release's namespace under helm lint only, see above).
*/}}
{{- define "preview-app.namespace" -}}
{{- required (printf "prenv.namespace is required: %s" (include "preview-app.prenvHint" .)) .Values.prenv.namespace | default .Release.Namespace -}}
{{- end }}

{{/*
preview-app.envName is the env's name, <prefix>-<pr>-<app>.
*/}}
{{- define "preview-app.envName" -}}
{{- required (printf "prenv.envName is required: %s" (include "preview-app.prenvHint" .)) .Values.prenv.envName -}}
{{- end }}

{{/*
preview-app.app is the app's name from prenv.yaml's metadata.name (the
release's name under helm lint only, see above).
*/}}
{{- define "preview-app.app" -}}
{{- required (printf "prenv.app is required: %s" (include "preview-app.prenvHint" .)) .Values.prenv.app | default .Release.Name -}}
{{- end }}

{{/*
preview-app.pr is the pull-request number.
*/}}
{{- define "preview-app.pr" -}}
{{- required (printf "prenv.pr is required: %s" (include "preview-app.prenvHint" .)) .Values.prenv.pr -}}
{{- end }}

{{/*
preview-app.hostname is the env's public host name, served by the Ingress.
prenv leaves it empty when prenv.yaml has no spec.dns.zone; only the Ingress
needs it.
*/}}
{{- define "preview-app.hostname" -}}
{{- required (printf "prenv.hostname is required by the Ingress: %s (prenv sets it when prenv.yaml has spec.dns.zone; without one, set ingress.enabled=false)" (include "preview-app.prenvHint" .)) .Values.prenv.hostname -}}
{{- end }}

{{/*
preview-app.serviceAccountName is the IRSA ServiceAccount that prenv creates.
*/}}
{{- define "preview-app.serviceAccountName" -}}
{{- required (printf "prenv.serviceAccountName is required: %s" (include "preview-app.prenvHint" .)) .Values.prenv.serviceAccountName -}}
{{- end }}

{{/*
preview-app.configMapName is the ConfigMap of per-PR resource names.
*/}}
{{- define "preview-app.configMapName" -}}
{{- required (printf "prenv.configMapName is required: %s" (include "preview-app.prenvHint" .)) .Values.prenv.configMapName -}}
{{- end }}

{{/*
preview-app.region is the AWS region of the env's resources.
*/}}
{{- define "preview-app.region" -}}
{{- required (printf "prenv.region is required: %s" (include "preview-app.prenvHint" .)) .Values.prenv.region -}}
{{- end }}

{{/*
preview-app.name is the app's name: nameOverride, or else prenv.app.
Every env has its own namespace, so the name needs no release or PR prefix.
*/}}
{{- define "preview-app.name" -}}
{{- default (include "preview-app.app" .) .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/*
preview-app.fullname names the Deployment, Service and Ingress:
fullnameOverride, or else the name.
*/}}
{{- define "preview-app.fullname" -}}
{{- default (include "preview-app.name" .) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/*
preview-app.chart is the chart label: <name>-<version>.
*/}}
{{- define "preview-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/*
preview-app.selectorLabels select the app's pods. They never change over the
life of a release (a Deployment's selector is immutable), so they hold
neither the version nor prenv's labels.
*/}}
{{- define "preview-app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "preview-app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
preview-app.labels are set on every object: prenv.labels plus the chart's
standard labels. On a key that both set, the chart's label wins: Helm
manages these objects, and the selector labels must stay as they are.
The result is a map printed with sorted keys, so the output is stable.
*/}}
{{- define "preview-app.labels" -}}
{{- $std := dict
  "helm.sh/chart" (include "preview-app.chart" .)
  "app.kubernetes.io/name" (include "preview-app.name" .)
  "app.kubernetes.io/instance" .Release.Name
  "app.kubernetes.io/component" "web"
  "app.kubernetes.io/part-of" (include "preview-app.envName" .)
  "app.kubernetes.io/managed-by" .Release.Service
-}}
{{- with include "preview-app.version" . }}
{{- $_ := set $std "app.kubernetes.io/version" . }}
{{- end }}
{{- toYaml (merge $std (deepCopy (default (dict) .Values.prenv.labels))) -}}
{{- end }}

{{/*
preview-app.version is the version label: the image tag, cut to a valid
label value; empty when the image is pinned by digest only.
*/}}
{{- define "preview-app.version" -}}
{{- regexReplaceAll "[^A-Za-z0-9_.-]" (toString .Values.image.tag) "_" | trunc 63 | trimAll "-_." -}}
{{- end }}

{{/*
preview-app.image is the container image reference: repository, then
@digest when a digest is set, else :tag. One of the two is required.
*/}}
{{- define "preview-app.image" -}}
{{- $repo := required "image.repository is required: the app's container image, for example the one CI pushed for this pull request" .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString (required "image.tag or image.digest is required: the build of this pull request to run" .Values.image.tag)) -}}
{{- end -}}
{{- end }}

{{/*
preview-app.tlsSecretName is the Secret of the Ingress's TLS certificate.
*/}}
{{- define "preview-app.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "preview-app.fullname" .)) .Values.ingress.tls.secretName -}}
{{- end }}
