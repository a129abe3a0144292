#!/usr/bin/env python3
"""Writes deploy/grafana/trellis.json, the Grafana dashboard of a Trellis cluster.

    python3 deploy/grafana/generate_dashboard.py          # rewrites trellis.json
    python3 deploy/grafana/generate_dashboard.py --check  # exits 1 if trellis.json is stale

The JSON is only ever written by this script: edit the panels below, run it, commit both.
Every query is checked against METRICS, the metric catalogue of deploy/README.md, so a panel
cannot silently chart a metric outside it (the catalogue names the federation-sender and push
metrics before those workers export them: their panels stay empty until then). Python 3 standard library only; the
output is deterministic (fixed panel order, ids and layout).
"""

import json
import re
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "trellis.json"

# The metric catalogue: name -> type. Histograms are queried through their _bucket, _sum and
# _count series. Keep in step with the table in deploy/README.md. The trellis_federation_* and
# trellis_pushes_* names are planned: nothing exports them until those workers are built.
METRICS = {
    "trellis_http_requests_total": "counter",
    "trellis_http_request_duration_seconds": "histogram",
    "trellis_events_persisted_total": "counter",
    "trellis_event_persist_duration_seconds": "histogram",
    "trellis_replication_published_total": "counter",
    "trellis_replication_consumed_total": "counter",
    "trellis_stream_position": "gauge",
    "trellis_replication_position": "gauge",
    "trellis_replication_lag_seconds": "gauge",
    "trellis_sync_long_polls": "gauge",
    "trellis_redis_up": "gauge",
    "trellis_redis_reconnects_total": "counter",
    "trellis_redis_command_duration_seconds": "histogram",
    "trellis_db_query_duration_seconds": "histogram",
    "trellis_db_pool_connections_in_use": "gauge",
    "trellis_db_pool_connections_max": "gauge",
    "trellis_media_received_bytes_total": "counter",
    "trellis_media_sent_bytes_total": "counter",
    "trellis_media_thumbnails_generated_total": "counter",
    "trellis_federation_queue_depth": "gauge",
    "trellis_federation_destination_backoff_seconds": "gauge",
    "trellis_federation_transactions_sent_total": "counter",
    "trellis_federation_transactions_failed_total": "counter",
    "trellis_pushes_sent_total": "counter",
    "trellis_pushes_failed_total": "counter",
    "trellis_worker_info": "gauge",
    "process_resident_memory_bytes": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
    "process_start_time_seconds": "gauge",
    "up": "gauge",
}

# The worker kinds; each is a Prometheus job of the same name.
KINDS = ["client-api", "sync", "federation-reader", "federation-sender", "media", "push"]
ALL_JOBS = 'job=~"%s"' % "|".join(KINDS)

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
RATE = "[$__rate_interval]"


# --- Checking queries against the catalogue ------------------------------------------------

def allowed_names():
    names = set()
    for name, kind in METRICS.items():
        if kind == "histogram":
            names.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
        else:
            names.add(name)
    return names


PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
                   "and", "or", "unless", "bool", "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression selects (good enough for our own queries)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', "", expr)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges such as [$__rate_interval]
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\w+", " ", text)  # Grafana variables
    names = set()
    for match in re.finditer(r"[0-9][0-9.eE+-]*[a-z]*|[A-Za-z_:][A-Za-z0-9_:]*", text):
        token = match.group(0)
        if token[0].isdigit() or token in PROMQL_KEYWORDS:
            continue
        if re.match(r"\s*\(", text[match.end():]):  # a function or an aggregation
            continue
        names.add(token)
    return names


def self_test():
    """metric_names must keep finding names, or the catalogue check would pass anything."""
    expr = 'sum by (job) (rate(made_up_total{job="a"}[5m])) / on (job) group_left up offset 5m > bool 0.5'
    assert metric_names(expr) == {"made_up_total", "up"}, metric_names(expr)


def check_queries(dashboard):
    """Every target's metrics must be in the catalogue; returns the problems found."""
    allowed = allowed_names()
    problems = []
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            unknown = sorted(metric_names(target["expr"]) - allowed)
            if unknown:
                problems.append('panel "%s": not in the catalogue: %s' % (panel["title"], ", ".join(unknown)))
    return problems


def all_panels(dashboard):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


# --- Panel builders ---------------------------------------------------------------------------

def target(expr, legend):
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "range": True}


def timeseries(title, targets, unit="short", description="", width=8, stack=False, minimum=0):
    """A line chart of one or more (expr, legend) pairs."""
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
              "spanNulls": False, "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    defaults = {"unit": unit, "custom": custom}
    if minimum is not None:
        defaults["min"] = minimum
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [target(expr, legend) for expr, legend in targets],
        "gridPos": {"w": width, "h": 8},
    }


def stat(title, targets, unit="short", description="", width=8, thresholds=None):
    """The latest value of each series, as big numbers."""
    steps = thresholds or [{"color": "green", "value": None}]
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "textMode": "value_and_name", "colorMode": "background", "graphMode": "none",
                    "orientation": "auto", "justifyMode": "auto"},
        "targets": [target(expr, legend) for expr, legend in targets],
        "gridPos": {"w": width, "h": 8},
    }


def quantile(q, metric, selector, by):
    """histogram_quantile of a catalogue histogram, grouped by the labels `by` (plus le)."""
    return "histogram_quantile(%s, sum by (%s) (rate(%s_bucket{%s}%s)))" % (
        q, ", ".join(by + ["le"]), metric, selector, RATE)


def sel(job):
    """Label selector of one job's instances, narrowed by the dashboard's instance variable."""
    return 'job="%s", instance=~"$instance"' % job


# Panels every row ends with: the processes of that kind.
def process_panels(job):
    s = sel(job)
    return [
        timeseries("CPU (cores)", [("rate(process_cpu_seconds_total{%s}%s)" % (s, RATE), "{{instance}}")],
                   description="CPU time per second of each %s process; 1 is one core busy." % job),
        timeseries("Resident memory", [("process_resident_memory_bytes{%s}" % s, "{{instance}}")], unit="bytes"),
        timeseries("Open file descriptors", [("process_open_fds{%s}" % s, "{{instance}}"),
                                             ("process_max_fds{%s}" % s, "limit {{instance}}")],
                   description="Each connection, long-poll and open file holds one."),
    ]


# HTTP panels shared by the kinds behind the load balancer.
def http_panels(job):
    s = sel(job)
    return [
        timeseries("Requests by status", [
            ("sum by (status) (rate(trellis_http_requests_total{%s}%s))" % (s, RATE), "{{status}}")],
            unit="reqps", stack=True),
        timeseries("Top 10 routes by request rate", [
            ("topk(10, sum by (method, route) (rate(trellis_http_requests_total{%s}%s)))" % (s, RATE),
             "{{method}} {{route}}")], unit="reqps"),
        timeseries("Request latency", [
            (quantile(0.5, "trellis_http_request_duration_seconds", s, []), "p50"),
            (quantile(0.95, "trellis_http_request_duration_seconds", s, []), "p95"),
            (quantile(0.99, "trellis_http_request_duration_seconds", s, []), "p99")], unit="s"),
    ]


def database_panels(job):
    s = sel(job)
    return [
        timeseries("Database pool in use", [
            ("trellis_db_pool_connections_in_use{%s}" % s, "in use {{instance}}"),
            ("trellis_db_pool_connections_max{%s}" % s, "max {{instance}}")],
            description="Operations holding or waiting for a pooled connection, against the pool size."),
        timeseries("Slowest queries (p95, top 10)", [
            ("topk(10, %s)" % quantile(0.95, "trellis_db_query_duration_seconds", s, ["query"]), "{{query}}")],
            unit="s"),
    ]


def replication_consumed_panel(job):
    return timeseries("Replication entries consumed", [
        ("sum by (stream) (rate(trellis_replication_consumed_total{%s}%s))" % (sel(job), RATE), "{{stream}}")],
        unit="ops", description="Stream entries this kind took from Redis per second.")


# --- Rows -------------------------------------------------------------------------------------

def overview_panels():
    every = '%s, instance=~"$instance"' % ALL_JOBS
    return [
        stat("Workers up", [("sum by (job) (up{%s})" % ALL_JOBS, "{{job}}")],
             description="Targets up per worker kind.", width=8,
             thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}]),
        timeseries("Request rate by kind", [
            ("sum by (job) (rate(trellis_http_requests_total{%s}%s))" % (every, RATE), "{{job}}")], unit="reqps"),
        timeseries("5xx ratio by kind", [
            ("sum by (job) (rate(trellis_http_requests_total{%s, status=~\"5..\"}%s))"
             " / sum by (job) (rate(trellis_http_requests_total{%s}%s))" % (every, RATE, every, RATE),
             "{{job}}")], unit="percentunit",
            description="Share of requests answered 5xx; TrellisHighErrorRate fires above 5%."),
        timeseries("Events persisted per second", [
            ("sum(rate(trellis_events_persisted_total{%s}%s))" % (every, RATE), "events/s")], unit="ops"),
        timeseries("Replication lag (slowest reader) by stream", [
            ("max by (stream) (trellis_replication_lag_seconds{%s})" % every, "{{stream}}")], unit="s",
            description="Time from publish to consumption of the newest entry each reader got."),
        timeseries("Database pool saturation", [
            ("trellis_db_pool_connections_in_use{%s} / trellis_db_pool_connections_max{%s}" % (every, every),
             "{{instance}}")], unit="percentunit",
            description="In use (or waited for) per pool size; above 100% requests queue."),
        timeseries("Redis round trip (p95) by kind", [
            (quantile(0.95, "trellis_redis_command_duration_seconds", every, ["job"]), "{{job}}")], unit="s"),
        stat("Redis connected", [("min by (job) (trellis_redis_up{%s})" % every, "{{job}}")],
             description="0 when any instance of the kind has lost Redis.",
             thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}]),
        stat("Restarts in the last hour", [
            ("sum by (job) (changes(process_start_time_seconds{%s}[1h]))" % every, "{{job}}")],
             description="Process restarts per kind; TrellisWorkerRestarting fires at 3 in 30 minutes.",
             thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}]),
        timeseries("Redis reconnects by kind", [
            ("sum by (job) (increase(trellis_redis_reconnects_total{%s}%s))" % (every, RATE), "{{job}}")]),
        stat("Versions running", [("count by (version) (trellis_worker_info{%s})" % every, "{{version}}")],
             description="Worker processes per version; more than one outside an upgrade means it stopped half-way."),
    ]


def client_api_panels():
    s = sel("client-api")
    return http_panels("client-api") + [
        timeseries("Events persisted per second", [
            ("sum by (instance) (rate(trellis_events_persisted_total{%s}%s))" % (s, RATE), "{{instance}}")],
            unit="ops"),
        timeseries("Event persist duration", [
            (quantile(0.5, "trellis_event_persist_duration_seconds", s, []), "p50"),
            (quantile(0.95, "trellis_event_persist_duration_seconds", s, []), "p95")], unit="s"),
        timeseries("Replication entries published", [
            ("sum by (stream) (rate(trellis_replication_published_total{%s}%s))" % (s, RATE), "{{stream}}")],
            unit="ops"),
    ] + database_panels("client-api") + process_panels("client-api")


def sync_panels():
    s = sel("sync")
    return [
        timeseries("Open long-polls", [("trellis_sync_long_polls{%s}" % s, "{{instance}}")], stack=True,
                   description="/sync requests waiting for something to happen, per process."),
        timeseries("Sync latency (p95) by route", [
            (quantile(0.95, "trellis_http_request_duration_seconds", s, ["route"]), "{{route}}")], unit="s",
            description="Long-polls wait up to their timeout on purpose, so this is near the clients' timeout when idle."),
        timeseries("Requests by route", [
            ("sum by (route) (rate(trellis_http_requests_total{%s}%s))" % (s, RATE), "{{route}}")], unit="reqps"),
        timeseries("Replication lag by stream", [
            ("max by (stream) (trellis_replication_lag_seconds{%s})" % s, "{{stream}}")], unit="s"),
        timeseries("Stream positions behind the writer", [
            ("max by (stream) (trellis_stream_position) - on (stream) group_right "
             "trellis_replication_position{%s}" % s, "{{instance}} {{stream}}")],
            description="Newest position a writer announced minus the last one this reader consumed.",
            minimum=None),
        replication_consumed_panel("sync"),
    ] + database_panels("sync") + process_panels("sync")


def federation_reader_panels():
    return http_panels("federation-reader") + database_panels("federation-reader") \
        + process_panels("federation-reader")


def federation_sender_panels():
    s = sel("federation-sender")
    return [
        timeseries("Queued transactions, top 10 destinations", [
            ("topk(10, sum by (destination) (trellis_federation_queue_depth{%s}))" % s, "{{destination}}")]),
        timeseries("Queued transactions in total", [
            ("sum(trellis_federation_queue_depth{%s})" % s, "queued")]),
        timeseries("Longest backoffs, top 10 destinations", [
            ("topk(10, max by (destination) (trellis_federation_destination_backoff_seconds{%s}))" % s,
             "{{destination}}")], unit="s", description="How long each destination is left alone after failures."),
        timeseries("Destinations in backoff", [
            ("count(trellis_federation_destination_backoff_seconds{%s} > 0)" % s, "destinations")]),
        timeseries("Transactions per second", [
            ("sum(rate(trellis_federation_transactions_sent_total{%s}%s))" % (s, RATE), "sent"),
            ("sum(rate(trellis_federation_transactions_failed_total{%s}%s))" % (s, RATE), "failed")], unit="ops"),
        replication_consumed_panel("federation-sender"),
    ] + database_panels("federation-sender") + process_panels("federation-sender")


def media_panels():
    s = sel("media")
    return [
        timeseries("Media bytes in and out", [
            ("sum(rate(trellis_media_received_bytes_total{%s}%s))" % (s, RATE), "received"),
            ("sum(rate(trellis_media_sent_bytes_total{%s}%s))" % (s, RATE), "sent")], unit="Bps"),
        timeseries("Thumbnails generated per second", [
            ("sum by (instance) (rate(trellis_media_thumbnails_generated_total{%s}%s))" % (s, RATE),
             "{{instance}}")], unit="ops"),
    ] + http_panels("media") + database_panels("media") + process_panels("media")


def push_panels():
    s = sel("push")
    return [
        timeseries("Pushes per second", [
            ("sum(rate(trellis_pushes_sent_total{%s}%s))" % (s, RATE), "sent"),
            ("sum(rate(trellis_pushes_failed_total{%s}%s))" % (s, RATE), "failed")], unit="ops"),
        timeseries("Push failure ratio", [
            ("sum(rate(trellis_pushes_failed_total{%s}%s)) / (sum(rate(trellis_pushes_sent_total{%s}%s))"
             " + sum(rate(trellis_pushes_failed_total{%s}%s)))" % (s, RATE, s, RATE, s, RATE), "failed")],
            unit="percentunit", description="TrellisPushFailures fires above 20%."),
        replication_consumed_panel("push"),
    ] + database_panels("push") + process_panels("push")


ROWS = [
    ("client-api", client_api_panels),
    ("sync", sync_panels),
    ("federation-reader", federation_reader_panels),
    ("federation-sender", federation_sender_panels),
    ("media", media_panels),
    ("push", push_panels),
]


# --- Layout and the dashboard ------------------------------------------------------------------

def lay_out(panels, y, next_id):
    """Places panels left to right in rows 24 units wide, from height y; numbers them."""
    x = 0
    line_height = 0
    for panel in panels:
        width, height = panel["gridPos"]["w"], panel["gridPos"]["h"]
        if x + width > 24:
            x, y = 0, y + line_height
            line_height = 0
        panel["id"] = next_id
        panel["gridPos"] = {"h": height, "w": width, "x": x, "y": y}
        next_id += 1
        x += width
        line_height = max(line_height, height)
    return y + line_height, next_id


def row(title, collapsed, y, panel_id):
    return {"type": "row", "title": title, "collapsed": collapsed, "id": panel_id,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []}


def dashboard():
    panels = []
    # The overview row is open: its panels follow it at the top level.
    overview = row("Overview", False, 0, 1)
    overview_content = overview_panels()
    y, next_id = lay_out(overview_content, 1, 2)
    panels += [overview] + overview_content
    # One closed row per worker kind: a closed row carries its panels inside it.
    for title, make in ROWS:
        kind_row = row(title, True, y, next_id)
        content = make()
        _, next_id = lay_out(content, y + 1, next_id + 1)
        kind_row["panels"] = content
        panels.append(kind_row)
        y += 1
    instance_query = "label_values(up{%s}, instance)" % ALL_JOBS
    return {
        "title": "Trellis",
        "uid": "trellis",
        "description": "Trellis Matrix homeserver: one row per worker kind. Generated by "
                       "deploy/grafana/generate_dashboard.py; do not edit by hand.",
        "tags": ["trellis", "matrix"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "timezone": "browser",
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
            {"name": "instance", "label": "Instance", "type": "query", "datasource": DATASOURCE,
             "definition": instance_query,
             "query": {"query": instance_query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
             "multi": True, "includeAll": True, "allValue": ".*",
             "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
             "refresh": 2, "sort": 1, "hide": 0, "regex": "", "options": []},
        ]},
        "panels": panels,
    }


def render():
    self_test()
    board = dashboard()
    problems = check_queries(board)
    if problems:
        sys.exit("generate_dashboard.py: queries use metrics outside the catalogue:\n  " + "\n  ".join(problems))
    return json.dumps(board, indent=2) + "\n"


def main(argv):
    if argv not in ([], ["--check"]):
        sys.exit("usage: generate_dashboard.py [--check]")
    text = render()
    if argv == ["--check"]:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            sys.exit("%s is out of date: run python3 deploy/grafana/generate_dashboard.py" % OUTPUT.name)
        print("%s is up to date" % OUTPUT.name)
        return
    OUTPUT.write_text(text)
    print("wrote %s" % OUTPUT)


if __name__ == "__main__":
    main(sys.argv[1:])
