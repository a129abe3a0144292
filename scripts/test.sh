#!/usr/bin/env bash
# make test: installs what the tests need, starts a private PostgreSQL and Redis on loopback
# (own ports and data directories, apart from 'make run'), runs the vectors, the checks of the
# Helm chart and deploy/ assets, and 'swift test', and stops both services again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

TEST_DIR=$PWD/.test-run
PG_PORT=${TEST_PG_PORT:-55433}
REDIS_PORT=${TEST_REDIS_PORT:-56380}

ensure_packages
log "building"
swift build --build-tests
BIN_DIR=$(swift build --show-bin-path)

cleanup() {
    redis_stop "$TEST_DIR/redis"
    pg_stop "$TEST_DIR/postgres"
}
trap cleanup EXIT
mkdir -p "$TEST_DIR"
pg_start "$TEST_DIR/postgres" "$PG_PORT" scratch
redis_start "$TEST_DIR/redis" "$REDIS_PORT"
python_venv "$TEST_DIR/python"

export TRELLIS_TEST_POSTGRES_HOST=127.0.0.1 TRELLIS_TEST_POSTGRES_PORT=$PG_PORT
export TRELLIS_TEST_REDIS_HOST=127.0.0.1 TRELLIS_TEST_REDIS_PORT=$REDIS_PORT
export TRELLIS_BIN_DIR=$BIN_DIR TRELLIS_REPO_ROOT=$PWD TRELLIS_TEST_PYTHON=$TEST_DIR/python/bin/python
VECTORS_DIR=${TRELLIS_VECTORS_DIR:-$PWD/../shared/vectors}
if [ -d "$VECTORS_DIR" ]; then
    export TRELLIS_VECTORS_DIR=$VECTORS_DIR
    log "golden vectors: $VECTORS_DIR"
    "$BIN_DIR/trellis" vectors verify "$VECTORS_DIR"
else
    die "golden vectors not found at $VECTORS_DIR (set TRELLIS_VECTORS_DIR)"
fi

# The deployment assets: the Helm chart (rendered config checked by this build's CLI), the
# Prometheus rules (promtool), the dashboard and the nginx template.
TRELLIS_BIN="$BIN_DIR/trellis" HELM_VENV="$TEST_DIR/helm-venv" scripts/helm-check.sh
scripts/check-deploy.sh

# The parallel run sometimes hangs (every task suspended, no process left; see the issue 5
# notes). A hang, and only a hang (exit 124), is followed by one serial run, which must pass.
status=0
timeout 600 swift test --skip-build || status=$?
if [ "$status" -eq 124 ]; then
    log "swift test hung for 10 minutes; running the tests again one at a time"
    pkill -f TrellisPackageTests.xctest || true
    swift test --skip-build --no-parallel
elif [ "$status" -ne 0 ]; then
    exit "$status"
fi
