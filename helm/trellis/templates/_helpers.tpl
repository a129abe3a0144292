{{/* At most 34 characters: "<fullname>-federation-sender" names a StatefulSet, whose pods carry its name plus 11 characters in a 63-character label. */}}
{{- define "trellis.fullname" -}}{{ printf "%s-trellis" .Release.Name | trunc 34 | trimSuffix "-" }}{{- end -}}

{{/* Labels of every object; selectors use trellis.selectorLabels only. */}}
{{- define "trellis.labels" -}}
{{ include "trellis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "trellis.selectorLabels" -}}
app.kubernetes.io/name: trellis
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Worker kinds the load balancer sends traffic to (WorkerKind.servesTraffic). */}}
{{- define "trellis.trafficKinds" -}}client-api sync federation-reader media{{- end -}}
{{/* Worker kinds that split their work into shards: StatefulSets, shard index = ordinal. */}}
{{- define "trellis.shardedKinds" -}}federation-sender push{{- end -}}
{{/* Worker kinds that reach other servers: federation, remote media, URL previews, push gateways. */}}
{{- define "trellis.internetKinds" -}}client-api federation-reader federation-sender media push{{- end -}}

{{- define "trellis.image" -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) | quote }}
{{- end -}}

{{- define "trellis.publicBaseURL" -}}
{{- if .Values.publicBaseURL }}{{ .Values.publicBaseURL }}{{ else }}https://{{ .Values.ingress.host }}/{{ end -}}
{{- end -}}

{{- define "trellis.databaseHost" -}}
{{- if .Values.database.bundled.enabled }}{{ include "trellis.fullname" . }}-postgresql{{ else }}{{ .Values.database.host }}{{ end -}}
{{- end -}}

{{- define "trellis.redisHost" -}}
{{- if .Values.redis.bundled.enabled }}{{ include "trellis.fullname" . }}-redis{{ else }}{{ .Values.redis.host }}{{ end -}}
{{- end -}}

{{/* The Secret and key holding the database password; empty when there is none. */}}
{{- define "trellis.databasePasswordSecret" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecret }}
{{- else if or .Values.database.password .Values.database.bundled.enabled }}{{ include "trellis.fullname" . }}-secrets{{ end -}}
{{- end -}}
{{- define "trellis.databasePasswordKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}database-password{{ end -}}
{{- end -}}

{{- define "trellis.redisPasswordSecret" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecret }}
{{- else if .Values.redis.password }}{{ include "trellis.fullname" . }}-secrets{{ end -}}
{{- end -}}
{{- define "trellis.redisPasswordKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}redis-password{{ end -}}
{{- end -}}

{{- define "trellis.signingKeySecret" -}}
{{- default (printf "%s-signing-key" (include "trellis.fullname" .)) .Values.signingKey.existingSecret -}}
{{- end -}}

{{- define "trellis.registrationSecret" -}}
{{- if .Values.registrationSharedSecret.existingSecret }}{{ .Values.registrationSharedSecret.existingSecret }}
{{- else if .Values.registrationSharedSecret.value }}{{ include "trellis.fullname" . }}-secrets{{ end -}}
{{- end -}}
{{- define "trellis.registrationSecretKey" -}}
{{- if .Values.registrationSharedSecret.existingSecret }}secret{{ else }}registration-shared-secret{{ end -}}
{{- end -}}

{{- define "trellis.turnSecret" -}}
{{- default (printf "%s-secrets" (include "trellis.fullname" .)) .Values.coturn.existingSecret -}}
{{- end -}}
{{- define "trellis.turnSecretKey" -}}
{{- if .Values.coturn.existingSecret }}secret{{ else }}turn-shared-secret{{ end -}}
{{- end -}}

{{/*
The Trellis configuration file: what the values say, with extraConfig merged over it.
Secrets are not in it; they reach the workers as TRELLIS__… environment variables.
*/}}
{{- define "trellis.config" -}}
{{- $database := dict
    "host" (include "trellis.databaseHost" .) "port" (.Values.database.port | int) "user" .Values.database.user
    "name" .Values.database.name "max_connections" (.Values.database.maxConnections | int)
    "tls_mode" .Values.database.tls.mode
    "tls_ca_file" (ternary "/etc/trellis/database-ca/ca.crt" nil (not (empty .Values.database.tls.caSecret))) -}}
{{- $redis := dict "host" (include "trellis.redisHost" .) "port" (.Values.redis.port | int) "database" (.Values.redis.database | int) -}}
{{- if .Values.redis.tls.enabled }}{{ $_ := set $redis "host" "127.0.0.1" }}{{ $_ := set $redis "port" 6379 }}{{ end -}}
{{- $config := dict
    "server_name" .Values.serverName
    "public_baseurl" (include "trellis.publicBaseURL" .)
    "signing_key_path" "/etc/trellis/keys/signing.key"
    "federation_delegate" (ternary (printf "%s:443" .Values.ingress.host) nil .Values.wellKnown.enabled)
    "worker" (dict "listen_host" "0.0.0.0" "listen_port" (.Values.ports.api | int) "metrics_port" (.Values.ports.metrics | int))
    "database" $database
    "redis" $redis
    "logging" (dict "level" .Values.logging.level "format" .Values.logging.format)
    "media" (dict "storage_path" "/var/lib/trellis/media" "max_upload_bytes" (.Values.media.maxUploadBytes | int)) -}}
{{- if .Values.coturn.enabled -}}
{{- $uris := list (printf "turn:%s:3478?transport=udp" .Values.coturn.host) (printf "turn:%s:3478?transport=tcp" .Values.coturn.host) -}}
{{- $_ := set $config "turn" (dict "uris" $uris "user_lifetime_seconds" 86400) -}}
{{- end -}}
{{- toYaml (mergeOverwrite $config (deepCopy .Values.extraConfig)) -}}
{{- end -}}

{{/* The environment of every Trellis container: the config file, the instance name, the secrets. */}}
{{- define "trellis.env" -}}
- name: TRELLIS_CONFIG
  value: /etc/trellis/trellis.yaml
- name: TRELLIS__WORKER__NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
{{- with include "trellis.databasePasswordSecret" . }}
- name: TRELLIS__DATABASE__PASSWORD
  valueFrom: { secretKeyRef: { name: {{ . }}, key: {{ include "trellis.databasePasswordKey" $ }} } }
{{- end }}
{{- with include "trellis.redisPasswordSecret" . }}
- name: TRELLIS__REDIS__PASSWORD
  valueFrom: { secretKeyRef: { name: {{ . }}, key: {{ include "trellis.redisPasswordKey" $ }} } }
{{- end }}
{{- with include "trellis.registrationSecret" . }}
- name: TRELLIS__REGISTRATION_SHARED_SECRET
  valueFrom: { secretKeyRef: { name: {{ . }}, key: {{ include "trellis.registrationSecretKey" $ }} } }
{{- end }}
{{- if .Values.coturn.enabled }}
- name: TRELLIS__TURN__SHARED_SECRET
  valueFrom: { secretKeyRef: { name: {{ include "trellis.turnSecret" . }}, key: {{ include "trellis.turnSecretKey" . }} } }
{{- end }}
{{- end -}}

{{/* Mounts of every Trellis container; the volumes are trellis.volumes. */}}
{{- define "trellis.volumeMounts" -}}
- { name: config, mountPath: /etc/trellis/trellis.yaml, subPath: trellis.yaml, readOnly: true }
- { name: signing-key, mountPath: /etc/trellis/keys, readOnly: true }
- { name: tmp, mountPath: /tmp }
{{- if .Values.database.tls.caSecret }}
- { name: database-ca, mountPath: /etc/trellis/database-ca, readOnly: true }
{{- end }}
{{- end -}}

{{- define "trellis.volumes" -}}
- name: config
  configMap: { name: {{ include "trellis.fullname" . }}-config }
- name: signing-key
  secret: { secretName: {{ include "trellis.signingKeySecret" . }}, items: [{ key: signing.key, path: signing.key }] }
- name: tmp
  emptyDir: {}
{{- if .Values.database.tls.caSecret }}
- name: database-ca
  secret: { secretName: {{ .Values.database.tls.caSecret }} }
{{- end }}
{{- end -}}

{{/*
The sidecar that carries Redis traffic over TLS (hiredis 0.14, the Debian library Trellis links,
has no TLS): a native sidecar (init container that keeps running), started before the worker.
*/}}
{{- define "trellis.redisTLSSidecar" -}}
- name: redis-tls
  image: {{ .Values.redis.tls.image | quote }}
  restartPolicy: Always
  args:
    - client
    - --listen=127.0.0.1:6379
    - --target={{ .Values.redis.host }}:{{ .Values.redis.port }}
    - --override-server-name={{ default .Values.redis.host .Values.redis.tls.serverName }}
    - --cacert=/etc/redis-ca/ca.crt
    - --disable-authentication
  securityContext: {{- toYaml .Values.securityContext | nindent 4 }}
  volumeMounts:
    - { name: redis-ca, mountPath: /etc/redis-ca, readOnly: true }
{{- end -}}

{{/* `trellis migrate`, as a container: the migration Job, and an init container with bundled PostgreSQL. */}}
{{- define "trellis.migrateContainer" -}}
- name: migrate
  image: {{ include "trellis.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: [trellis, migrate]
  env: {{- include "trellis.env" . | nindent 4 }}
  volumeMounts: {{- include "trellis.volumeMounts" . | nindent 4 }}
  securityContext: {{- toYaml .Values.securityContext | nindent 4 }}
  resources: {{- toYaml .Values.migrations.resources | nindent 4 }}
{{- end -}}

{{/* Annotations of every Trellis Ingress. */}}
{{- define "trellis.ingressAnnotations" -}}
nginx.ingress.kubernetes.io/use-regex: "true"
# Workers enforce the body limits and answer M_TOO_LARGE themselves.
nginx.ingress.kubernetes.io/proxy-body-size: "0"
nginx.ingress.kubernetes.io/proxy-request-buffering: "off"
nginx.ingress.kubernetes.io/proxy-read-timeout: "600"
{{- with .Values.ingress.annotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}
