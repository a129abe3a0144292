#!/usr/bin/env python3
"""Prints the Trellis and Synapse figures of the client API benchmark side by side.

Usage: compare_client_api.py RESULTS_DIR SCENARIO... — reads RESULTS_DIR/{trellis,synapse}-SCENARIO.json
as written by matrix_bench.py; prints a Markdown table with the ratio Trellis/Synapse for
throughput and Synapse/Trellis for latencies (both "higher is better for Trellis")."""
import json
import sys
from pathlib import Path

THROUGHPUT = {
    "register": "users_per_s", "login": "logins_per_s", "create_room": "rooms_per_s",
    "send": "events_per_s", "send_many_rooms": "events_per_s", "messages": "events_per_s",
}

# The sync scenarios' figures: (metric path, higher is better).
SYNC_FIGURES = {
    "sync_latency": [("send_to_sync_latency_ms.p50", False), ("send_to_sync_latency_ms.p95", False)],
    "initial_sync": [("latency_ms.p50", False), ("latency_ms.p95", False)],
    "large_room": [("join_latency_ms.p50", False), ("initial_sync_lazy_members_ms.p50", False),
                   ("initial_sync_full_members_ms.p50", False)],
    "idle_syncs": [("fanout_all_seen_ms", False), ("server_rss_during_mib", False)],
}


def figure(metrics_: dict, path: str):
    value = metrics_
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def metrics(directory: Path, label: str, scenario: str):
    path = directory / f"{label}-{scenario}.json"
    if not path.exists():
        return None
    for record in json.loads(path.read_text())["results"]:
        if record["scenario"] == scenario and record.get("ok"):
            return record["metrics"]
    return None


def main() -> None:
    directory, scenarios = Path(sys.argv[1]), sys.argv[2:]
    print("| scenario | metric | Trellis | Synapse | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for scenario in scenarios:
        trellis, synapse = metrics(directory, "trellis", scenario), metrics(directory, "synapse", scenario)
        if trellis is None:
            print(f"| {scenario} | (no Trellis result) | | | |")
            continue
        if scenario in SYNC_FIGURES:
            rows = [(path, figure(trellis, path), figure(synapse, path) if synapse else None, higher)
                    for path, higher in SYNC_FIGURES[scenario]]
        else:
            key = THROUGHPUT[scenario]
            rows = [(key, trellis[key], synapse[key] if synapse else None, True),
                    ("p95 ms", trellis["latency_ms"]["p95"], synapse["latency_ms"]["p95"] if synapse else None, False)]
        for name, ours, theirs, higher_is_better in rows:
            ratio = ""
            if theirs and ours:
                better = "faster" if "ms" in name else "less"
                ratio = f"{ours / theirs:.1f}x" if higher_is_better else f"{theirs / ours:.1f}x {better}"
            print(f"| {scenario} | {name} | {ours} | {theirs if theirs is not None else '—'} | {ratio} |")


if __name__ == "__main__":
    main()
