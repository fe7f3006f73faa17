{{- define "navarkos.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object name. */}}
{{- define "navarkos.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "navarkos.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "navarkos.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Call with (dict "ctx" $ "component" "etcd"). */}}
{{- define "navarkos.selectorLabels" -}}
app.kubernetes.io/name: {{ include "navarkos.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "navarkos.componentLabels" -}}
{{ include "navarkos.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "navarkos.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "navarkos.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "navarkos.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{/* The etcd headless Service, which names each member. */}}
{{- define "navarkos.etcdService" -}}{{ include "navarkos.fullname" . }}-etcd{{- end }}

{{/* The etcd client URLs of every member. */}}
{{- define "navarkos.etcdServers" -}}
{{- $svc := include "navarkos.etcdService" . }}
{{- $urls := list }}
{{- range $i := until (int .Values.etcd.replicas) }}
{{- $urls = append $urls (printf "https://%s-%d.%s.%s.svc:2379" $svc $i $svc $.Release.Namespace) }}
{{- end }}
{{- join "," $urls }}
{{- end }}

{{/* The fleet API's in-cluster address. */}}
{{- define "navarkos.fleetAPIURL" -}}
https://{{ include "navarkos.fullname" . }}-fleet-api.{{ .Release.Namespace }}.svc:{{ .Values.fleetAPI.service.port }}
{{- end }}

{{/* Node placement of a component from its values. */}}
{{- define "navarkos.nodePlacement" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* A token kubeconfig of the fleet API; call with (dict "ctx" $ "server" URL "token" T "ca" BASE64). */}}
{{- define "navarkos.kubeconfig" -}}
apiVersion: v1
kind: Config
clusters:
  - name: fleet
    cluster:
      server: {{ .server }}
      certificate-authority-data: {{ .ca }}
users:
  - name: fleet
    user:
      token: {{ .token }}
contexts:
  - name: fleet
    context: {cluster: fleet, user: fleet}
current-context: fleet
{{- end }}
