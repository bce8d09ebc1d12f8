{{- define "liuhen.labels" -}}
app.kubernetes.io/part-of: liuhen
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "liuhen.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{/* Environment every service reads (liuhen/platform/config.py). */}}
{{- define "liuhen.env" -}}
- name: LIUHEN_PROFILE
  value: stack
- name: LIUHEN_HOST
  value: "0.0.0.0"
# Each service is its own Deployment behind a Service named liuhen-<service>: a process
# reaches its siblings there, never at its own listening address.
- name: LIUHEN_SERVICE_ADDRESS
  value: "liuhen-{service}:{port}"
- name: LIUHEN_HOME
  value: /tmp/liuhen
{{- range $name, $svc := .Values.services }}
- name: LIUHEN_{{ upper $name }}_PORT
  value: {{ $svc.port | quote }}
{{- end }}
- name: LIUHEN_KAFKA_BOOTSTRAP
  value: {{ .Values.config.kafkaBootstrap | quote }}
- name: LIUHEN_S3_ENDPOINT
  value: {{ .Values.config.s3Endpoint | quote }}
- name: LIUHEN_S3_OFFSITE_ENDPOINT
  value: {{ .Values.config.s3OffsiteEndpoint | quote }}
- name: LIUHEN_KEYCLOAK_URL
  value: {{ .Values.config.keycloakUrl | quote }}
- name: LIUHEN_OTLP_ENDPOINT
  value: {{ .Values.config.otlpEndpoint | quote }}
- name: LIUHEN_MEDIA_RETENTION_YEARS
  value: {{ .Values.config.retention.defaultYears | quote }}
- name: LIUHEN_RETENTION_YEARS
  {{- $kinds := list }}
  {{- range $kind, $years := .Values.config.retention.kinds }}
  {{- $kinds = append $kinds (printf "%s=%v" $kind $years) }}
  {{- end }}
  value: {{ join "," $kinds | quote }}
- name: LIUHEN_LOG_KEYS_DIR
  value: /etc/liuhen/ledger-keys
- name: LIUHEN_CHECKPOINT_INTERVAL_S
  value: {{ .Values.config.checkpointIntervalSeconds | quote }}
- name: LIUHEN_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.database }}, key: url}
- name: LIUHEN_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.s3 }}, key: access-key}
- name: LIUHEN_S3_SECRET_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.s3 }}, key: secret-key}
{{- end }}
