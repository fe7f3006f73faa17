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

{{/* Labels of a role's workload (not of its pods, which a new revision alone must not roll):
its role's, and the release revision that last wrote it, which a fleet-wide install waits
for in every cluster. */}}
{{- define "fn.workloadLabels" -}}
{{ include "fn.roleLabels" . }}
fn.n6s.io/release-revision: {{ .ctx.Release.Revision | quote }}
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

{{/* Where the sqlite database lives. */}}
{{- define "fn.dataDir" -}}/app/data{{- end }}

{{/* A string escaped for the user or password of a URL: every byte but A-Z a-z 0-9 - . _ ~ is
percent-encoded (urlquery writes a space as "+", which a URL's user part would keep as "+"). */}}
{{- define "fn.urlEscape" -}}
{{- urlquery . | replace "+" "%20" }}
{{- end }}

{{/* The datastore URL (FN_DB_URL), with the user escaped; call with (dict "ctx" $ "password"
"..."), the password as it goes into the URL: escaped, or a $(VAR) the kubelet expands. MySQL
URLs take the driver's address form, tcp(host:port). */}}
{{- define "fn.dbURL" -}}
{{- $ds := .ctx.Values.datastore }}
{{- $auth := printf "%s:%s" (include "fn.urlEscape" $ds.user) .password }}
{{- $query := "" }}{{ with $ds.params }}{{ $query = printf "?%s" . }}{{ end }}
{{- if eq $ds.type "mysql" }}
{{- printf "mysql://%s@tcp(%s:%s)/%s%s" $auth (include "fn.dbHost" .ctx) (include "fn.dbPort" .ctx) $ds.database $query }}
{{- else }}
{{- printf "postgres://%s@%s:%s/%s%s" $auth (include "fn.dbHost" .ctx) (include "fn.dbPort" .ctx) $ds.database $query }}
{{- end }}
{{- end }}

{{/* The Secret that holds the whole datastore URL, and its key. The chart writes the URL into
its own Secret when the password is a value; an existing Secret holds either the URL
(existingSecretUrlKey) or only the password, which then goes into the URL as it is. */}}
{{- define "fn.dbURLSecretKey" -}}
{{- if .Values.datastore.existingSecret }}{{ .Values.datastore.existingSecretUrlKey }}{{ else }}url{{ end }}
{{- end }}

{{/* The api's datastore environment. */}}
{{- define "fn.storageEnv" -}}
{{- $ds := .Values.datastore }}
{{- if eq $ds.type "sqlite" }}
- name: FN_DB_URL
  value: sqlite3://{{ include "fn.dataDir" . }}/fn.db
{{- else if include "fn.dbURLSecretKey" . }}
- name: FN_DB_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "fn.dbSecretName" . }}
      key: {{ include "fn.dbURLSecretKey" . }}
{{- else }}
# The password of datastore.existingSecret goes into the URL unescaped: it must be URL-safe.
- name: FN_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "fn.dbSecretName" . }}
      key: {{ include "fn.dbSecretKey" . }}
- name: FN_DB_URL
  value: {{ include "fn.dbURL" (dict "ctx" . "password" "$(FN_DB_PASSWORD)") }}
{{- end }}
{{- end }}

{{/* Whether the api needs the data volume: the sqlite database is a file. */}}
{{- define "fn.needsDataVolume" -}}
{{- if eq .Values.datastore.type "sqlite" }}true{{ end }}
{{- end }}

{{/* The URL clients reach the lb at, which the api puts in each function's invokeEndpoint
(FN_PUBLIC_LB_URL): publicURL, or the Ingress's first host (https with TLS); empty
otherwise. */}}
{{- define "fn.publicURL" -}}
{{- if .Values.publicURL }}
{{- trimSuffix "/" .Values.publicURL }}
{{- else if .Values.ingress.enabled }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) (first .Values.ingress.hosts) }}
{{- end }}
{{- end }}

{{/* imagePullSecrets of every pod. */}}
{{- define "fn.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* A Kubernetes quantity of bytes ("4Gi", "500M", "1073741824") as a whole number of bytes. */}}
{{- define "fn.bytes" -}}
{{- $q := toString . }}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $q }}
{{- $unit := trimPrefix $num $q }}
{{- $scale := dict "" 1.0 "k" 1e3 "K" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 }}
{{- if not (and $num (hasKey $scale $unit)) }}
{{- fail (printf "%q is not a quantity of bytes such as 4Gi or 512Mi" $q) }}
{{- end }}
{{- mulf (float64 $num) (get $scale $unit) | floor | int64 }}
{{- end }}

{{/* The runners' addresses for the lb (FN_RUNNER_ADDRESSES): one per StatefulSet pod, by its
name under the headless Service, since the lb keeps one connection per address. */}}
{{- define "fn.runnerAddresses" -}}
{{- $names := list }}
{{- $name := printf "%s-runner" (include "fn.fullname" .) }}
{{- range $i := until (int .Values.runner.replicas) }}
{{- $names = append $names (printf "%s-%d.%s:%d" $name $i $name (int $.Values.runner.grpcPort)) }}
{{- end }}
{{- join "," $names }}
{{- end }}
