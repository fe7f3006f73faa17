{{/* The chart name, or nameOverride. */}}
{{- define "fn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object name: release-chart, or the release name alone when it holds the chart name. */}}
{{- define "fn.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "fn.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "fn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one role; call with (dict "ctx" $ "role" "api"). */}}
{{- define "fn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fn.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{/* All labels of one role's objects. */}}
{{- define "fn.roleLabels" -}}
{{ include "fn.labels" .ctx }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "fn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fn.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fn.image" -}}
{{- printf "%s:%s" .repository (toString .tag) }}
{{- end }}

{{/* Anti-affinity between replicas of a role; call with (dict "ctx" $ "role" "api"). */}}
{{- define "fn.affinity" -}}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (include "fn.selectorLabels" . | fromYaml)) }}
{{- if eq .ctx.Values.antiAffinity "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      {{- list $term | toYaml | nindent 6 }}
{{- else if eq .ctx.Values.antiAffinity "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      {{- list (dict "weight" 100 "podAffinityTerm" $term) | toYaml | nindent 6 }}
{{- end }}
{{- end }}

{{/* Node placement of a role: nodeSelector and tolerations from its values. */}}
{{- define "fn.nodePlacement" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The Secret holding the datastore password. */}}
{{- define "fn.dbSecretName" -}}
{{- default (printf "%s-db" (include "fn.fullname" .)) .Values.datastore.existingSecret }}
{{- end }}

{{- define "fn.dbSecretKey" -}}
{{- if .Values.datastore.existingSecret }}{{ .Values.datastore.existingSecretKey }}{{ else }}password{{ end }}
{{- end }}

{{- define "fn.dbHost" -}}
{{- if .Values.mysql.enabled }}{{ include "fn.fullname" . }}-mysql{{ else }}{{ .Values.datastore.host }}{{ end }}
{{- end }}

{{- define "fn.dbPort" -}}
{{- if .Values.datastore.port }}{{ .Values.datastore.port }}{{ else if eq .Values.datastore.type "postgres" }}5432{{ else }}3306{{ end }}
{{- end }}

{{/* Where the sqlite database and the bolt queue live. */}}
{{- define "fn.dataDir" -}}/app/data{{- end }}

{{/* The api's environment: node type, port, datastore and queue. */}}
{{- define "fn.storageEnv" -}}
{{- $ds := .Values.datastore }}
{{- if ne $ds.type "sqlite" }}
- name: FN_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "fn.dbSecretName" . }}
      key: {{ include "fn.dbSecretKey" . }}
{{- end }}
- name: FN_DB_URL
{{- if eq $ds.type "sqlite" }}
  value: sqlite3://{{ include "fn.dataDir" . }}/fn.db
{{- else if eq $ds.type "mysql" }}
  value: mysql://{{ $ds.user }}:$(FN_DB_PASSWORD)@tcp({{ include "fn.dbHost" . }}:{{ include "fn.dbPort" . }})/{{ $ds.database }}{{ with $ds.params }}?{{ . }}{{ end }}
{{- else }}
  value: postgres://{{ $ds.user }}:$(FN_DB_PASSWORD)@{{ include "fn.dbHost" . }}:{{ include "fn.dbPort" . }}/{{ $ds.database }}{{ with $ds.params }}?{{ . }}{{ end }}
{{- end }}
{{- $q := .Values.queue }}
{{- if eq $q.type "redis" }}
{{- if $q.redis.existingSecret }}
- name: FN_MQ_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $q.redis.existingSecret }}
      key: {{ $q.redis.existingSecretKey }}
- name: FN_MQ_URL
  value: redis://:$(FN_MQ_PASSWORD)@{{ $q.redis.host }}:{{ $q.redis.port }}/{{ $q.redis.db }}
{{- else }}
- name: FN_MQ_URL
  value: redis://{{ $q.redis.host }}:{{ $q.redis.port }}/{{ $q.redis.db }}
{{- end }}
{{- else }}
- name: FN_MQ_URL
  value: bolt://{{ include "fn.dataDir" . }}/fn.mq
{{- end }}
{{- end }}

{{/* Whether the api needs the data volume: sqlite or bolt keep files. */}}
{{- define "fn.needsDataVolume" -}}
{{- if or (eq .Values.datastore.type "sqlite") (eq .Values.queue.type "bolt") }}true{{ end }}
{{- end }}
