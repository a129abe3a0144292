#!/usr/bin/env bash
# make stop: stops the workers, nginx, Redis and PostgreSQL that 'make run' started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
RUN_DIR=$PWD/.run
export RUN_DIR
scripts/cluster.sh stop
redis_stop "$RUN_DIR/redis"
pg_stop "$RUN_DIR/postgres"
log "stopped"
