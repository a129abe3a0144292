# Shared shell functions for the local cluster and the test services.
# Sourced by scripts/run.sh, scripts/stop.sh, scripts/test.sh and scripts/cluster.sh.

# The Debian packages Trellis needs to build, run and test.
TRELLIS_DEBIAN_PACKAGES="postgresql redis-server nginx libhiredis-dev libsodium-dev libssl-dev libvips-dev pkg-config curl prometheus"

log() { printf '%s %s\n' "[trellis]" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs whichever of TRELLIS_DEBIAN_PACKAGES is missing.
ensure_packages() {
    local missing=() pkg
    for pkg in $TRELLIS_DEBIAN_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The Debian packages start system-wide services; Trellis runs its own on other ports.
}

# The Helm v4 SDK and Kubernetes API schemas that make helm-check renders and validates with, pinned.
TRELLIS_HELM_CHECK_REQUIREMENTS="helm-python-sdk==0.2.2 kubernetes-validate==1.37.0 PyYAML==6.0.3"

# The Python client library the end-to-end tests drive the cluster with, pinned.
TRELLIS_NIO_REQUIREMENT="matrix-nio[e2e]==0.26.0"

# python_venv DIR: creates (once) a virtualenv in DIR with matrix-nio for the client tests.
python_venv() {
    local dir=$1
    if ! "$dir/bin/python" -c "import nio, vodozemac" >/dev/null 2>&1; then
        log "installing $TRELLIS_NIO_REQUIREMENT into $dir"
        python3 -m venv "$dir"
        "$dir/bin/pip" install -q --disable-pip-version-check "$TRELLIS_NIO_REQUIREMENT"
    fi
}

# The directory holding initdb/pg_ctl of the newest installed PostgreSQL.
pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    echo "$dir"
}

# PostgreSQL refuses to run as root, so root runs it as the 'postgres' system user.
as_pg_user() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# wait_for DESCRIPTION SECONDS COMMAND...: retries COMMAND until it succeeds or time runs out.
wait_for() {
    local what=$1 seconds=$2; shift 2
    local deadline=$(( $(date +%s) + seconds ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${seconds}s waiting for $what"
        sleep 0.1
    done
}

# pg_dir DIR: where the cluster meant for DIR lives. As root the server runs as 'postgres',
# which may not be able to enter a checkout under a private directory, so root keeps the
# cluster under /var/tmp, at a path derived from DIR.
pg_dir() {
    if [ "$(id -u)" -eq 0 ]; then echo "/var/tmp/trellis-postgres$(cd "$(dirname "$1")" && pwd | tr / _)_$(basename "$1")"
    else echo "$1"; fi
}

# pg_start DIR PORT [scratch]: creates (once) and starts a PostgreSQL cluster for DIR on
# 127.0.0.1:PORT, with a 'trellis' role and database. Trust authentication: loopback only.
# Durable by default (fsync on, as a production server and the Synapse benchmark anchor);
# `scratch` turns fsync off, for test clusters that are thrown away.
pg_start() {
    local dir port=$2 bin settings="-c shared_buffers=512MB -c max_connections=300"
    # The test run's many pools and clusters at once need more connections than a dev server.
    [ "${3:-}" = scratch ] && settings="-c shared_buffers=512MB -c max_connections=1000 -c fsync=off"
    dir=$(pg_dir "$1")
    bin=$(pg_bindir)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        log "creating PostgreSQL cluster in $dir/data"
        as_pg_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    if ! as_pg_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "-h 127.0.0.1 -p $port -k $dir $settings" start >/dev/null \
            || { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
    fi
    wait_for "PostgreSQL on port $port" 30 psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "SELECT 1"
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='trellis'" | grep -q 1 \
        || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE ROLE trellis LOGIN CREATEDB"
    pg_create_database "$port" trellis
}

# pg_create_database PORT NAME: creates database NAME owned by 'trellis' unless it exists.
pg_create_database() {
    local port=$1 name=$2
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1 \
        || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE \"$name\" OWNER trellis"
}

# pg_stop DIR: stops the cluster in DIR if it runs.
pg_stop() {
    local dir bin
    dir=$(pg_dir "$1")
    [ -f "$dir/data/PG_VERSION" ] || return 0
    bin=$(pg_bindir)
    as_pg_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 0
    as_pg_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

# redis_start DIR PORT: starts redis-server on 127.0.0.1:PORT with its files in DIR.
redis_start() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    if [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then return 0; fi
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
        --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --appendonly yes --save "" >/dev/null
    wait_for "Redis on port $port" 30 redis-cli -h 127.0.0.1 -p "$port" ping
}

# redis_stop DIR: stops the redis-server whose pid file is in DIR.
redis_stop() {
    local dir=$1
    [ -f "$dir/redis.pid" ] || return 0
    stop_pid "$(cat "$dir/redis.pid")" "redis"
    rm -f "$dir/redis.pid"
}

# stop_pid PID NAME: SIGTERM, wait up to 30 s for exit, then SIGKILL.
stop_pid() {
    local pid=$1 name=$2
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid"
    local deadline=$(( $(date +%s) + 30 ))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            log "$name (pid $pid) ignored SIGTERM for 30s; killing it"
            kill -KILL "$pid" 2>/dev/null
            break
        fi
        sleep 0.1
    done
}
