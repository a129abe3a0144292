#!/usr/bin/env bash
# make helm-check: checks the Helm chart offline (scripts/helm_check.py) with the Helm v4 SDK and
# kubernetes-validate from PyPI, installed once into a virtualenv; promtool checks the rules.
# Environment: HELM_VENV (default .test-run/helm-venv), TRELLIS_BIN (the trellis CLI; when set,
# the rendered configuration is checked with `trellis config check`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

venv=${HELM_VENV:-$PWD/.test-run/helm-venv}
if ! "$venv/bin/python" -c "import helm_python, kubernetes_validate, yaml" >/dev/null 2>&1; then
    log "installing $TRELLIS_HELM_CHECK_REQUIREMENTS into $venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install -q --disable-pip-version-check $TRELLIS_HELM_CHECK_REQUIREMENTS
fi
# Helm logs (at INFO) that it followed the chart's links into config/ and deploy/: expected.
"$venv/bin/python" scripts/helm_check.py ${TRELLIS_BIN:+--trellis "$TRELLIS_BIN"} 2> >(grep -v "found symbolic link in path" >&2)
