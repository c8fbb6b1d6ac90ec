{{/* The labels upstream's install puts on everything; the Deployment's selector uses them too (immutable). */}}
{{- define "mms.selectorLabels" -}}
control-plane: modelmesh-controller
app.kubernetes.io/instance: modelmesh-controller
app.kubernetes.io/managed-by: modelmesh-controller
app.kubernetes.io/name: modelmesh-controller
{{- end -}}

{{- define "mms.labels" -}}
{{ include "mms.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Labels for objects that are not the controller's pods (no control-plane label). */}}
{{- define "mms.commonLabels" -}}
app.kubernetes.io/instance: modelmesh-controller
app.kubernetes.io/managed-by: modelmesh-controller
app.kubernetes.io/name: modelmesh-controller
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}

{{- define "mms.namespaceScope" -}}
{{- if eq .Values.scope "namespace" }}true{{ end -}}
{{- end -}}

{{- define "mms.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The manifests (documents) of one of the repository's kustomize files under files/, as a list of objects. */}}
{{- define "mms.manifests" -}}
{{- $objects := list -}}
{{- range $doc := regexSplit "(?m)^---\\s*$" (.root.Files.Get .path) -1 -}}
{{- $object := fromYaml $doc -}}
{{- if $object.kind }}{{ $objects = append $objects $object }}{{ end -}}
{{- end -}}
{{- toYaml (dict "items" $objects) -}}
{{- end -}}
