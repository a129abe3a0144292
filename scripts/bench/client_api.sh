#!/usr/bin/env bash
# make bench-client: the Client-Server API benchmark of issue 4, Trellis and (with SYNAPSE=1)
# a Synapse anchor measured in the same run by ../shared/bench/matrix_bench.py, then the ratios.
#
# Trellis runs as the real cluster (release build, every worker, nginx) on its own PostgreSQL
# and Redis; the Synapse anchor is started by ../shared/bench/run_synapse_anchor.sh.
# Environment:
#   BENCH_SCALE       matrix_bench scale: small (default) or medium
#   BENCH_SCENARIOS   default: register login create_room send send_many_rooms messages
#   BENCH_OUT         results directory (default .bench-run/results)
#   SYNAPSE=1         also benchmark Synapse; SYNAPSE_WORKDIR (default /tmp/trellis-synapse-anchor),
#                     SYNAPSE_VENV reuses an existing venv with matrix-synapse and aiohttp
#   REPLICAS_CLIENT_API  client-api replicas (default 1)
#   REPL_TAX=1        also measure the replication tax with ../shared/bench/repl_tax.py
#   BENCH_BUILD_FLAGS extra `swift build` flags, e.g. --scratch-path .build-release
#   MEDIA=1           also run scripts/bench/media.py (upload/download MB/s, thumbnails per second)
#   IDLE_SYNCS=N      also hold N long-polls on the sync worker and time one message's fan-out to
#                     all of them (scripts/bench/idle_syncs.py; N=10000 needs `ulimit -n` ≥ 20000),
#                     IDLE_SYNC_ROUNDS times in a row (default 3: the newly started worker's first
#                     fan-out, then a running worker's)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

SHARED_BENCH=$(cd ../shared/bench && pwd)
SCALE=${BENCH_SCALE:-small}
SCENARIOS=${BENCH_SCENARIOS-register login create_room send send_many_rooms messages}
BENCH_DIR=$PWD/.bench-run
OUT=${BENCH_OUT:-$BENCH_DIR/results}
PG_PORT=55434 REDIS_PORT=56381 HTTP_PORT=8018 PORT_BASE=8200
export REPLICAS_CLIENT_API=${REPLICAS_CLIENT_API:-1}

ensure_packages
mkdir -p "$OUT"
PYTHON=$BENCH_DIR/venv/bin/python
if ! "$PYTHON" -c 'import aiohttp' 2>/dev/null; then
    log "installing aiohttp for the benchmark harness into $BENCH_DIR/venv"
    python3 -m venv "$BENCH_DIR/venv"
    "$BENCH_DIR/venv/bin/pip" install -q aiohttp
fi

log "building release binaries"
# shellcheck disable=SC2086
swift build -c release ${BENCH_BUILD_FLAGS:-}
# shellcheck disable=SC2086
BIN_DIR=$(swift build -c release ${BENCH_BUILD_FLAGS:-} --show-bin-path)

RUN_DIR=$BENCH_DIR/cluster
cleanup() {
    RUN_DIR=$RUN_DIR scripts/cluster.sh stop 2>/dev/null || true
    redis_stop "$BENCH_DIR/redis"
    pg_stop "$BENCH_DIR/postgres"
}
trap cleanup EXIT
rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
pg_start "$BENCH_DIR/postgres" "$PG_PORT"
redis_start "$BENCH_DIR/redis" "$REDIS_PORT"
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS trellis_bench WITH (FORCE)"
pg_create_database "$PG_PORT" trellis_bench
"$BIN_DIR/trellis" generate-signing-key --output "$RUN_DIR/signing.key" >/dev/null
cat >"$RUN_DIR/trellis.yaml" <<CONF
server_name: bench.local
public_baseurl: http://127.0.0.1:$HTTP_PORT/
signing_key_path: $RUN_DIR/signing.key
database: { host: 127.0.0.1, port: $PG_PORT, user: trellis, name: trellis_bench }
redis: { host: 127.0.0.1, port: $REDIS_PORT }
logging: { level: warning, format: json }
# Open registration and no rate limits, as the Synapse anchor; passwords at the default
# Argon2id cost (libsodium's interactive preset: 2 passes over 64 MiB).
accounts: { registration_enabled: true }
rate_limits: { message: null, registration: null, login: null, joins: null }
media: { storage_path: $RUN_DIR/media }
CONF
"$BIN_DIR/trellis" migrate --config "$RUN_DIR/trellis.yaml" >/dev/null
RUN_DIR=$RUN_DIR BIN_DIR=$BIN_DIR HTTP_PORT=$HTTP_PORT PORT_BASE=$PORT_BASE scripts/cluster.sh start
PIDS=$(cat "$RUN_DIR"/pids/*.pid | paste -sd, -)

# Each scenario starts from a vacuumed and analyzed database, on both servers alike: a server
# that has been up for a while has had autovacuum's visits, which a fresh benchmark database
# would otherwise get only after its first minute (statistics, dead rows, cached plans).
run_scenarios() {  # label base-url pids postgres-port database
    local scenario
    for scenario in $SCENARIOS; do
        psql -h 127.0.0.1 -p "$4" -U postgres -d "$5" -qc "VACUUM ANALYZE"
        log "$1: $scenario ($SCALE)"
        "$PYTHON" "$SHARED_BENCH/matrix_bench.py" --base-url "$2" --scenario "$scenario" --scale "$SCALE" \
            --json "$OUT/$1-$scenario.json" --server-pid "$3" --label "$1"
    done
}

run_media() {  # label base-url
    [ "${MEDIA:-0}" = 1 ] || return 0
    log "$1: media"
    "$PYTHON" scripts/bench/media.py --base-url "$2" --label "$1" --json "$OUT/$1-media.json"
}

run_scenarios trellis "http://127.0.0.1:$HTTP_PORT" "$PIDS" "$PG_PORT" trellis_bench
run_media trellis "http://127.0.0.1:$HTTP_PORT"

if [ "${REPL_TAX:-0}" = 1 ]; then
    named=$(for f in "$RUN_DIR"/pids/*.pid; do n=$(basename "$f" .pid); [ "$n" = nginx ] || echo "$n=$(cat "$f")"; done | paste -sd, -)
    log "replication tax: $named"
    "$PYTHON" "$SHARED_BENCH/repl_tax.py" --base-url "http://127.0.0.1:$HTTP_PORT" --pids "$named" \
        --rates 20,40 --seconds 30 --idle 20 --json "$OUT/trellis-repl-tax.json"
fi
if [ -n "${IDLE_SYNCS:-}" ]; then
    read -r _ _ sync_port sync_metrics < <(grep '^sync-1 ' "$RUN_DIR/workers")
    log "idle long-polls: $IDLE_SYNCS"
    "$PYTHON" scripts/bench/idle_syncs.py --api "http://127.0.0.1:$HTTP_PORT" --sync "http://127.0.0.1:$sync_port" \
        --metrics "http://127.0.0.1:$sync_metrics" --sync-pid "$(cat "$RUN_DIR/pids/sync-1.pid")" \
        --psql "psql -h 127.0.0.1 -p $PG_PORT -U postgres -d trellis_bench" --users "$IDLE_SYNCS" \
        --rounds "${IDLE_SYNC_ROUNDS:-3}" --json "$OUT/trellis-idle-syncs-$IDLE_SYNCS.json"
fi
cleanup
trap - EXIT

if [ "${SYNAPSE:-0}" = 1 ]; then
    workdir=${SYNAPSE_WORKDIR:-/tmp/trellis-synapse-anchor}
    "$SHARED_BENCH/run_synapse_anchor.sh" "$workdir" start
    trap '"$SHARED_BENCH/run_synapse_anchor.sh" "$workdir" stop' EXIT
    run_scenarios synapse "http://127.0.0.1:8448" "$(cat "$workdir/synapse/homeserver.pid")" 5433 synapse
    run_media synapse "http://127.0.0.1:8448"
fi

[ -z "$SCENARIOS" ] || "$PYTHON" scripts/bench/compare_client_api.py "$OUT" $SCENARIOS
if [ "${MEDIA:-0}" = 1 ] && [ "${SYNAPSE:-0}" = 1 ]; then
    "$PYTHON" scripts/bench/media.py compare "$OUT/trellis-media.json" "$OUT/synapse-media.json"
fi
