#!/usr/bin/env python3
"""Resolve a trellis-bench export with Synapse's state resolution v2, for comparison with Trellis.

Synapse is used as a library: its events (`make_event_from_dict`) and its resolver
(`synapse.state.v2.resolve_events_with_store`), run on a Twisted reactor with Synapse's own `Clock`
(the resolver yields to the reactor every 100 iterations, as in a homeserver). Synapse normally reads
events from its event cache/database and computes the auth chain difference in SQL (chain cover
index); here a minimal in-memory store serves the events and computes the auth chain difference in
Python. That computation is included in the timings and also reported on its own.

Run it (stdlib + Synapse only; `make bench-synapse` does all of this):

    python3 -m venv /tmp/synvenv && /tmp/synvenv/bin/pip install matrix-synapse==1.163.2
    trellis-bench --version 2 --export /tmp/room.json
    /tmp/synvenv/bin/python scripts/bench/synapse_state_res.py /tmp/room.json [--runs 5]

The export (see Sources/Benchmarks/main.swift) holds `room_version`, `room_id`, `events`
({event_id: PDU}), `states` (one list of [type, state_key, event_id] per fork) and `resolved`
(Trellis's resolved state, in the same form). Use room version 1 or 2: those carry explicit event IDs,
which Synapse keeps as given. The script prints the median wall time, the number of resolved slots
that differ from Trellis's (with a few examples) and the peak RSS of this process.
"""

import argparse
import json
import resource
import sys
import time

from twisted.internet import defer, task

import synapse.event_auth  # noqa: F401  (first: importing synapse.state first hits a circular import)
from synapse.api.room_versions import KNOWN_ROOM_VERSIONS
from synapse.events import make_event_from_dict
from synapse.state.v2 import resolve_events_with_store
from synapse.storage.databases.main.event_federation import StateDifference
from synapse.util.clock import Clock


class InMemoryStateResolutionStore:
    """The two methods `resolve_events_with_store` reads through, over a dict of events.

    `get_auth_chain_difference` is the union minus the intersection of the auth chains of the state
    sets, each chain including the state events themselves (as Synapse's SQL and test store do).
    """

    def __init__(self, events):
        self.events = events
        self.auth_difference_seconds = 0.0

    def get_events(self, event_ids, allow_rejected=False):
        """The known events among `event_ids` (no event of the export is rejected)."""
        return defer.succeed({eid: self.events[eid] for eid in event_ids if eid in self.events})

    def _auth_closure(self, event_ids):
        """`event_ids` and every event reachable from them through `auth_events`."""
        seen = set()
        stack = list(event_ids)
        while stack:
            event_id = stack.pop()
            if event_id in seen:
                continue
            seen.add(event_id)
            event = self.events.get(event_id)
            if event is not None:
                stack.extend(event.auth_event_ids())
        return seen

    def _conflicted_subgraph(self, conflicted):
        """Events on an auth path between two conflicted events (state resolution v2.1 only)."""
        backwards = self._auth_closure(conflicted)
        children = {}
        for event_id in backwards:
            for auth_id in self.events[event_id].auth_event_ids():
                children.setdefault(auth_id, []).append(event_id)
        forwards = set()
        stack = list(conflicted)
        while stack:
            event_id = stack.pop()
            if event_id not in forwards:
                forwards.add(event_id)
                stack.extend(children.get(event_id, ()))
        return backwards & forwards

    def get_auth_chain_difference(
        self, room_id, state_sets, conflicted_state=None, additional_backwards_reachable_conflicted_events=None
    ):
        """The auth chain difference of `state_sets` (sets of event IDs), and for v2.1 the subgraph."""
        start = time.perf_counter()
        chains = [self._auth_closure(state_set) for state_set in state_sets]
        difference = set().union(*chains) - set(chains[0]).intersection(*chains[1:])
        subgraph = None
        if conflicted_state is not None:
            subgraph = self._conflicted_subgraph(
                set(conflicted_state) | set(additional_backwards_reachable_conflicted_events or ())
            )
        self.auth_difference_seconds += time.perf_counter() - start
        return defer.succeed(StateDifference(auth_difference=difference, conflicted_subgraph=subgraph))


def load_export(path):
    """The export's room version, room ID, events (FrozenEvents), fork states, Trellis's state and how
    many events needed placeholder `hashes`."""
    with open(path, encoding="utf-8") as file:
        export = json.load(file)
    room_version = KNOWN_ROOM_VERSIONS[export["room_version"]]
    events = {}
    patched = 0
    for event_id, pdu in export["events"].items():
        if "hashes" not in pdu:
            # Synapse's parser requires `hashes`; the test DSL neither hashes nor signs, and state
            # resolution reads neither, so a placeholder does.
            pdu = {**pdu, "hashes": {"sha256": ""}, "signatures": pdu.get("signatures", {})}
            patched += 1
        event = make_event_from_dict(pdu, room_version)
        if event.event_id != event_id:
            sys.exit(f"event {event_id} has ID {event.event_id} in room version {room_version.identifier}; "
                     "export with --version 1 or 2")
        events[event_id] = event
    states = [{(t, k): eid for t, k, eid in state} for state in export["states"]]
    trellis = {(t, k): eid for t, k, eid in export.get("resolved", [])}
    return room_version, export["room_id"], events, states, trellis, patched


def compare(resolved, trellis, events, examples=5):
    """Prints how many slots differ between Synapse's and Trellis's resolved states, with examples."""
    slots = sorted(set(resolved) | set(trellis))
    differing = [slot for slot in slots if resolved.get(slot) != trellis.get(slot)]
    print(f"  slots differing from Trellis: {len(differing)} of {len(slots)}")

    def describe(event_id):
        if event_id is None:
            return "(absent)"
        event = events[event_id]
        membership = event.content.get("membership")
        return f"{event_id}" + (f" [{membership} by {event.sender}]" if membership else f" [by {event.sender}]")

    for slot in differing[:examples]:
        print(f"    {slot[0]} {slot[1]!r}: synapse {describe(resolved.get(slot))}, "
              f"trellis {describe(trellis.get(slot))}")
    return len(differing)


def peak_rss_mib():
    """Peak resident set size of this process in MiB (`ru_maxrss` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(reactor, args):
    """Loads the export, resolves it `args.runs` times and prints the report."""
    room_version, room_id, events, states, trellis, patched = load_export(args.export)
    loaded_rss_mib = peak_rss_mib()
    clock = Clock(reactor, server_name="example.org")
    store = InMemoryStateResolutionStore(events)
    timings = []
    resolved = None
    for _ in range(max(args.runs, 1)):
        start = time.perf_counter()
        # event_map=None: every event comes from the store, as for persisted events in a homeserver.
        resolved = await resolve_events_with_store(clock, room_id, room_version, states, None, store)
        resolved = dict(resolved)
        timings.append(time.perf_counter() - start)
    timings.sort()
    median = timings[len(timings) // 2]
    print(f"synapse_state_res: Synapse state resolution v2, room version {room_version.identifier}")
    print(f"  room: {len(events)} events; forks: {', '.join(str(len(s)) for s in states)} state entries")
    if patched:
        print(f"  note: added placeholder `hashes` to {patched} events (the export has none)")
    print(f"  resolved state entries: {len(resolved)}")
    print(f"  resolve wall time:      median {median * 1000:.1f} ms over {len(timings)} runs "
          f"(min {timings[0] * 1000:.1f} ms, max {timings[-1] * 1000:.1f} ms)")
    print(f"  of which auth chain difference in Python: {store.auth_difference_seconds / len(timings) * 1000:.1f} ms "
          "per run (Synapse normally computes it in SQL)")
    print(f"  peak RSS:               {peak_rss_mib():.1f} MiB (whole process, loading included; "
          f"{loaded_rss_mib:.1f} MiB after loading the export, before resolving)")
    if trellis:
        compare(resolved, trellis, events)
    # A line for scripts: the median in milliseconds.
    print(f"MEDIAN_MS {median * 1000:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="JSON written by trellis-bench --export")
    parser.add_argument("--runs", type=int, default=5, help="resolutions to time (default 5)")
    args = parser.parse_args()
    task.react(lambda reactor: defer.ensureDeferred(run(reactor, args)))


if __name__ == "__main__":
    main()
