#!/usr/bin/env python3
"""Idle long-polls held by one sync worker, and the fan-out of one message to all of them.

The shared harness (../shared/bench/matrix_bench.py) goes up to 1,000 syncers; issue 5 asks
for 10,000 on one sync process. Registering and initially syncing 10,000 users through the API
would take longer than the measurement, so the set-up takes shortcuts that do not touch what
is measured:

- users, devices and access tokens are inserted with SQL (no password: they never log in);
- every user joins one public room through the client API (real join events);
- one incremental-sync token serves every user: its positions are the cluster's, and an
  incremental sync from it has nothing for anyone until the probe message is sent.

Then N long-polls (`timeout=60000`, the harness's quiet filter, `set_presence=offline`) are
opened straight to the sync worker from several client processes, the worker's gauge
`trellis_sync_long_polls` is awaited until it counts all N, the worker's RSS is read, one
message is sent, and each client records when its response with the message arrived.

Usage: idle_syncs.py --api URL --sync URL --metrics URL --sync-pid PID --psql "psql args"
       [--users N] [--processes P] [--json OUT]
"""

import argparse
import asyncio
import json
import multiprocessing
import secrets
import shlex
import statistics
import subprocess
import sys
import time

import aiohttp

QUIET_FILTER = json.dumps({
    "presence": {"types": []},
    "account_data": {"types": []},
    "room": {"timeline": {"limit": 50}, "state": {"lazy_load_members": True}, "ephemeral": {"types": []}},
})


def rss_mib(pid: int) -> float:
    """The process's resident set size in MiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for pid {pid}")


def create_users(psql: list[str], prefix: str, count: int, server: str) -> list[tuple[str, str]]:
    """Inserts `count` users with one device and access token each; returns (user ID, token)."""
    sql = f"""
        INSERT INTO users (user_id, created_ts)
          SELECT '@{prefix}' || g || ':{server}', 0 FROM generate_series(0, {count - 1}) AS g;
        INSERT INTO devices (user_id, device_id, created_ts)
          SELECT '@{prefix}' || g || ':{server}', 'IDLE', 0 FROM generate_series(0, {count - 1}) AS g;
        INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts)
          SELECT encode(sha256(convert_to('{prefix}token' || g, 'UTF8')), 'hex'), '@{prefix}' || g || ':{server}',
                 'IDLE', 0
          FROM generate_series(0, {count - 1}) AS g;
    """
    subprocess.run(psql + ["-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True)
    return [(f"@{prefix}{g}:{server}", f"{prefix}token{g}") for g in range(count)]


async def request(session: aiohttp.ClientSession, method: str, url: str, token: str, body=None, params=None):
    async with session.request(method, url, json=body, params=params,
                               headers={"Authorization": f"Bearer {token}"}) as response:
        data = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"{method} {url}: {response.status} {data}")
        return data


async def set_up(args, users, sender) -> tuple[str, str]:
    """Creates the room, joins every user and returns (room ID, a sync token after the joins)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        api = args.api.rstrip("/") + "/_matrix/client/v3"
        room = (await request(session, "POST", f"{api}/createRoom", sender[1], {"preset": "public_chat"}))["room_id"]
        semaphore = asyncio.Semaphore(32)
        started = time.monotonic()

        async def join(token: str) -> None:
            async with semaphore:
                await request(session, "POST", f"{api}/join/{room}", token, {})

        await asyncio.gather(*(join(token) for _, token in users))
        print(f"joined {len(users)} users in {time.monotonic() - started:.1f}s", file=sys.stderr)
        data = await request(session, "GET", f"{args.sync.rstrip('/')}/_matrix/client/v3/sync", sender[1],
                             params={"filter": QUIET_FILTER, "set_presence": "offline"})
        return room, data["next_batch"]


def poller_process(sync_url: str, room: str, since: str, tokens: list[str], marker: str, results) -> None:
    """Holds one long-poll per token; reports (seconds since the epoch, token) when each sees `marker`."""

    async def main() -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
            url = sync_url.rstrip("/") + "/_matrix/client/v3/sync"

            async def poll(token: str) -> None:
                params = {"since": since, "timeout": "60000", "filter": QUIET_FILTER, "set_presence": "offline"}
                while True:
                    data = await request(session, "GET", url, token, params=params)
                    events = data.get("rooms", {}).get("join", {}).get(room, {}).get("timeline", {}).get("events", [])
                    if any(event.get("content", {}).get("bench_marker") == marker for event in events):
                        results.put((time.time(), token))
                        return
                    params["since"] = data["next_batch"]

            await asyncio.gather(*(poll(token) for token in tokens))

    asyncio.run(main())


def long_polls(metrics_url: str) -> int:
    import urllib.request
    with urllib.request.urlopen(metrics_url.rstrip("/") + "/metrics") as response:
        for line in response.read().decode().splitlines():
            if line.startswith("trellis_sync_long_polls "):
                return int(float(line.split()[1]))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", required=True, help="client API base URL (nginx)")
    parser.add_argument("--sync", required=True, help="the sync worker's own base URL")
    parser.add_argument("--metrics", required=True, help="the sync worker's metrics base URL")
    parser.add_argument("--sync-pid", type=int, required=True)
    parser.add_argument("--psql", required=True, help="psql arguments reaching the cluster's database")
    parser.add_argument("--server-name", default="bench.local")
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--json")
    args = parser.parse_args()

    prefix = "idle" + secrets.token_hex(3)
    people = create_users(shlex.split(args.psql), prefix, args.users + 1, args.server_name)
    sender, users = people[0], people[1:]
    room, since = asyncio.run(set_up(args, users, sender))
    rss_before = rss_mib(args.sync_pid)

    marker = prefix + "marker"
    results = multiprocessing.Queue()
    tokens = [token for _, token in users]
    chunks = [tokens[index::args.processes] for index in range(args.processes)]
    processes = [multiprocessing.Process(target=poller_process, args=(args.sync, room, since, chunk, marker, results))
                 for chunk in chunks]
    for process in processes:
        process.start()
    deadline = time.monotonic() + 300
    while (parked := long_polls(args.metrics)) < args.users:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {parked} of {args.users} long-polls parked")
        time.sleep(0.2)
    rss_during = rss_mib(args.sync_pid)

    async def send() -> float:
        async with aiohttp.ClientSession() as session:
            sent_at = time.time()
            await request(session, "PUT", f"{args.api.rstrip('/')}/_matrix/client/v3/rooms/{room}/send/m.room.message/"
                          f"{marker}", sender[1], {"msgtype": "m.text", "body": "fan-out probe", "bench_marker": marker})
            return sent_at

    sent_at = asyncio.run(send())
    seen = [results.get(timeout=120)[0] for _ in range(args.users)]
    for process in processes:
        process.join(timeout=30)
    latencies = sorted((at - sent_at) * 1000 for at in seen)
    report = {
        "long_polls": args.users,
        "client_processes": args.processes,
        "server_rss_before_mib": rss_before,
        "server_rss_during_mib": rss_during,
        "server_rss_after_fanout_mib": rss_mib(args.sync_pid),
        "rss_per_long_poll_kib": round((rss_during - rss_before) * 1024 / args.users, 1),
        "fanout_all_seen_ms": round(latencies[-1], 1),
        "fanout_p50_ms": round(statistics.median(latencies), 1),
        "fanout_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)


if __name__ == "__main__":
    main()
