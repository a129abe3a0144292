{{- define "trellis.fullname" -}}{{ .Release.Name }}-trellis{{- end -}}
{{- define "trellis.labels" -}}
app.kubernetes.io/name: trellis
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{/* Worker kinds the load balancer sends traffic to. */}}
{{- define "trellis.trafficKinds" -}}client-api sync federation-reader media{{- end -}}
