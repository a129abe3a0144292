{{/* The container spec shared by workers and the migration job. Call with (dict "root" $ "command" list). */}}
{{- define "trellis.container" -}}
image: "{{ .root.Values.image.repository }}:{{ .root.Values.image.tag }}"
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
command: {{ toJson .command }}
env:
  - name: TRELLIS_CONFIG
    value: /etc/trellis/trellis.yaml
  - name: TRELLIS__WORKER__NAME
    valueFrom: { fieldRef: { fieldPath: metadata.name } }
  {{- if .root.Values.database.passwordSecret }}
  - name: TRELLIS__DATABASE__PASSWORD
    valueFrom: { secretKeyRef: { name: {{ .root.Values.database.passwordSecret }}, key: password } }
  {{- end }}
  {{- if .root.Values.redis.passwordSecret }}
  - name: TRELLIS__REDIS__PASSWORD
    valueFrom: { secretKeyRef: { name: {{ .root.Values.redis.passwordSecret }}, key: password } }
  {{- end }}
volumeMounts:
  - { name: config, mountPath: /etc/trellis/trellis.yaml, subPath: trellis.yaml }
  - { name: keys, mountPath: /etc/trellis/keys, readOnly: true }
{{- end -}}
{{- define "trellis.volumes" -}}
- name: config
  configMap: { name: {{ include "trellis.fullname" . }}-config }
- name: keys
  secret: { secretName: {{ .Values.signingKeySecret }} }
{{- end -}}
