#!/usr/bin/env bash
# Checks the operator files in deploy/: Prometheus rules and their tests, the example
# Prometheus config, the Grafana dashboard, the nginx config and the systemd units.
#   scripts/check-deploy.sh
# Needs promtool (Debian package prometheus), python3, nginx and openssl; the systemd check
# runs where systemd-analyze exists. Prints one line per check; exits 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# check NAME COMMAND...: runs COMMAND quietly; prints "ok" or "FAIL" and, on failure, its output.
# COMMAND runs in a subshell with errexit on, so any failing step of a function fails it
# (inside an `if` condition bash would ignore errexit).
check() {
    local name=$1 status; shift
    set +e
    (set -e; "$@") >"$tmp/output" 2>&1
    status=$?
    set -e
    if [ "$status" -eq 0 ]; then
        echo "ok    $name"
    else
        echo "FAIL  $name"
        sed 's/^/      /' "$tmp/output"
        failed=1
    fi
}

# The dashboard's queries are valid PromQL: promtool checks them as recording rules, with the
# Grafana variables replaced by values.
dashboard_queries_parse() {
    python3 - deploy/grafana/trellis.json >"$tmp/dashboard-rules.yml" <<'PY'
import json, sys
board = json.load(open(sys.argv[1]))
print("groups:\n  - name: dashboard\n    rules:")
panels = [p for top in board["panels"] for p in [top] + top.get("panels", [])]
for number, target in enumerate(t for p in panels for t in p.get("targets", [])):
    expr = target["expr"].replace("$__rate_interval", "5m").replace("$instance", ".*")
    print("      - record: dashboard_query_%d\n        expr: %s" % (number, json.dumps(expr)))
PY
    promtool check rules "$tmp/dashboard-rules.yml"
}

locations_up_to_date() {
    scripts/gen-nginx-conf.sh --locations config/routing.tsv | diff -u deploy/nginx/trellis-locations.conf -
}

# nginx -t of deploy/nginx/trellis.conf inside a throwaway main config, with a self-signed
# certificate in place of the real one. Needs no root: -p and -e keep every path in $tmp, and
# since nginx -t binds the listen addresses, ports 80, 443 and 8448 become free ports on
# 127.0.0.1 (the IPv6 listens are left out: containers often lack IPv6).
nginx_config_valid() {
    local dir="$tmp/nginx" http https federation
    mkdir -p "$dir/logs"
    read -r http https federation < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=matrix.example.org \
        -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" 2>"$dir/openssl.log" \
        || { cat "$dir/openssl.log"; return 1; }
    sed -e "s|/etc/letsencrypt/live/matrix.example.org/|$dir/|" \
        -e '/^ *listen \[::\]:/d' \
        -e "s/^\( *\)listen 80;/\1listen 127.0.0.1:$http;/" \
        -e "s/^\( *\)listen 443 /\1listen 127.0.0.1:$https /" \
        -e "s/^\( *\)listen 8448 /\1listen 127.0.0.1:$federation /" \
        deploy/nginx/trellis.conf >"$dir/trellis.conf"
    # Every substitution must have happened, or the test would not be of the real file.
    grep -q "ssl_certificate $dir/fullchain.pem;" "$dir/trellis.conf" \
        || { echo "the certificate path was not replaced"; return 1; }
    [ "$(grep -c "^ *listen 127.0.0.1:" "$dir/trellis.conf")" -eq 3 ] \
        || { echo "expected listens on ports 80, 443 and 8448 to rewrite"; return 1; }
    if grep -E "^ *listen" "$dir/trellis.conf" | grep -v "listen 127.0.0.1:"; then
        echo "listen lines left as they are (above); teach this check their ports"
        return 1
    fi
    cp deploy/nginx/trellis-locations.conf "$dir/"
    cat >"$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include trellis.conf;
}
CONF
    nginx -t -q -c "$dir/nginx.conf" -p "$dir/" -e "$dir/logs/error.log"
}

# systemd-analyze verify of the units, with stand-ins for the Trellis executables (which are
# not installed here). Any warning counts as a failure.
systemd_units_valid() {
    local dir="$tmp/systemd" kind
    mkdir -p "$dir/bin"
    for kind in "" -client-api -sync -federation-reader -federation-sender -media -push; do
        printf '#!/bin/sh\n' >"$dir/bin/trellis$kind" && chmod +x "$dir/bin/trellis$kind"
    done
    for unit in deploy/systemd/*.service deploy/systemd/*.target; do
        sed "s|/usr/local/bin/|$dir/bin/|g" "$unit" >"$dir/$(basename "$unit")"
    done
    (cd "$dir" && systemd-analyze verify ./trellis-worker@media-1.service ./trellis-migrate.service ./trellis.target) \
        >"$dir/verify.log" 2>&1 || { cat "$dir/verify.log"; return 1; }
    [ ! -s "$dir/verify.log" ] || { cat "$dir/verify.log"; return 1; }
}

check "prometheus rules (promtool check rules)" promtool check rules deploy/prometheus/trellis-rules.yml
check "prometheus rule tests (promtool test rules)" promtool test rules deploy/prometheus/trellis-rules.test.yml
check "example prometheus config (promtool check config)" promtool check config deploy/prometheus/prometheus.yml.example
check "grafana dashboard matches its generator" python3 -B deploy/grafana/generate_dashboard.py --check
check "grafana dashboard queries parse (promtool)" dashboard_queries_parse
check "nginx locations match config/routing.tsv" locations_up_to_date
check "nginx config (nginx -t)" nginx_config_valid
if command -v systemd-analyze >/dev/null; then
    check "systemd units (systemd-analyze verify)" systemd_units_valid
else
    echo "skip  systemd units (no systemd-analyze here)"
fi

exit "$failed"
