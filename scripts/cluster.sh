#!/usr/bin/env bash
# Starts or stops every Trellis worker and the nginx router in front of them.
#   cluster.sh start   # needs RUN_DIR/trellis.yaml; PostgreSQL and Redis already up
#   cluster.sh stop    # stops exactly the processes recorded in RUN_DIR/pids, by PID
#   cluster.sh restart NAME   # stops one worker (e.g. sync-1) and starts it again on its ports
# Environment:
#   RUN_DIR      state directory (config, logs/, pids/)              default .run
#   BIN_DIR      directory holding the built executables               default: swift build --show-bin-path
#   HTTP_PORT    nginx listen port on 127.0.0.1                        default 8008
#   PORT_BASE    first worker API port; metrics ports are +1000       default 8100
#   REPLICAS_<KIND>  replicas of a kind, e.g. REPLICAS_CLIENT_API=2    default 1
#   READY_TIMEOUT  seconds a worker has to answer /ready                default 120
#   PROMETHEUS   1 also starts Prometheus scraping every worker (scripts/prometheus.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

RUN_DIR=${RUN_DIR:-.run}
RUN_DIR=$(mkdir -p "$RUN_DIR" && cd "$RUN_DIR" && pwd)
HTTP_PORT=${HTTP_PORT:-8008}
PORT_BASE=${PORT_BASE:-8100}
KINDS="client-api sync federation-reader federation-sender media push"
# Kinds that the load balancer sends traffic to; the others only consume the bus.
TRAFFIC_KINDS="client-api sync federation-reader media"

replicas_of() {
    local var="REPLICAS_$(echo "$1" | tr 'a-z-' 'A-Z_')"
    echo "${!var:-1}"
}

start() {
    local bin_dir=${BIN_DIR:-$(swift build --show-bin-path)}
    local config="$RUN_DIR/trellis.yaml"
    [ -f "$config" ] || die "$config not found"
    mkdir -p "$RUN_DIR/logs" "$RUN_DIR/pids" "$RUN_DIR/nginx"
    : >"$RUN_DIR/upstreams"
    : >"$RUN_DIR/workers"
    local port=$PORT_BASE kind i name
    for kind in $KINDS; do
        for i in $(seq 1 "$(replicas_of "$kind")"); do
            port=$((port + 1))
            name="$kind-$i"
            launch "$bin_dir" "$name" "$kind" "$port" "$((port + 1000))"
            echo "$name $kind $port $((port + 1000))" >>"$RUN_DIR/workers"
            case " $TRAFFIC_KINDS " in *" $kind "*) echo "$kind 127.0.0.1:$port" >>"$RUN_DIR/upstreams" ;; esac
        done
    done
    local metrics
    while read -r name kind port metrics; do
        wait_ready "$name" "$metrics"
    done <"$RUN_DIR/workers"
    scripts/gen-nginx-conf.sh config/routing.tsv "$RUN_DIR/upstreams" "$HTTP_PORT" "$RUN_DIR" >"$RUN_DIR/nginx.conf"
    nginx -t -q -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR/nginx" -e "$RUN_DIR/logs/nginx-error.log"
    nginx -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR/nginx" -e "$RUN_DIR/logs/nginx-error.log"
    wait_for "nginx on port $HTTP_PORT" 30 curl -fsS "http://127.0.0.1:$HTTP_PORT/_matrix/client/versions"
    # nginx forks into the background; record its master so 'stop' can end it by PID.
    cp "$RUN_DIR/nginx.pid" "$RUN_DIR/pids/nginx.pid"
    if [ "${PROMETHEUS:-0}" = 1 ]; then RUN_DIR=$RUN_DIR scripts/prometheus.sh start; fi
}

# launch BIN_DIR NAME KIND PORT METRICS_PORT: starts one worker in the background, records its PID.
launch() {
    TRELLIS__WORKER__NAME=$2 TRELLIS__WORKER__LISTEN_PORT=$4 TRELLIS__WORKER__METRICS_PORT=$5 \
        "$1/trellis-$3" --config "$RUN_DIR/trellis.yaml" >>"$RUN_DIR/logs/$2.log" 2>&1 &
    echo $! >"$RUN_DIR/pids/$2.pid"
}

# wait_ready NAME METRICS_PORT: waits up to READY_TIMEOUT seconds (default 120) for the worker's
# /ready. A worker that exits or stays unready fails the start, with the end of its log and its
# last /ready answer on stderr.
wait_ready() {
    local name=$1 metrics=$2 pid deadline
    pid=$(cat "$RUN_DIR/pids/$name.pid")
    deadline=$(( $(date +%s) + ${READY_TIMEOUT:-120} ))
    until curl -fsS "http://127.0.0.1:$metrics/ready" >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
            kill -0 "$pid" 2>/dev/null && curl -sS "http://127.0.0.1:$metrics/ready" >&2
            tail -n 30 "$RUN_DIR/logs/$name.log" >&2
            die "$name did not become ready (log: $RUN_DIR/logs/$name.log)"
        fi
        sleep 0.1
    done
}

# restart NAME: stops the worker NAME and starts it again on the same ports; waits until ready.
restart() {
    local bin_dir=${BIN_DIR:-$(swift build --show-bin-path)} target=$1 name kind port metrics
    while read -r name kind port metrics; do
        [ "$name" = "$target" ] || continue
        stop_pid "$(cat "$RUN_DIR/pids/$name.pid")" "$name"
        launch "$bin_dir" "$name" "$kind" "$port" "$metrics"
        wait_ready "$name" "$metrics"
        return 0
    done <"$RUN_DIR/workers"
    die "no worker named $target in $RUN_DIR/workers"
}

stop() {
    [ -d "$RUN_DIR/pids" ] || return 0
    local file
    for file in "$RUN_DIR"/pids/*.pid; do
        [ -e "$file" ] || continue
        stop_pid "$(cat "$file")" "$(basename "$file" .pid)"
        rm -f "$file"
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart) restart "${2:?usage: cluster.sh restart NAME}" ;;
    *) die "usage: cluster.sh start|stop|restart NAME" ;;
esac
