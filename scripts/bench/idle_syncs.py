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
message is sent, and each client records when its response with the message arrived. The CPU
time that the sync worker, PostgreSQL and the client processes spend meanwhile shows where the
fan-out's time goes (they share the machine's cores).

Usage: idle_syncs.py --api URL --sync URL --metrics URL --sync-pid PID --psql "psql args"
       [--users N] [--processes P] [--json OUT] [--state FILE] [--rounds R] [--linger SECONDS]

With --state, the users and the room are kept in FILE (JSON) and reused by the next run that
names it, so that a change to the sync worker can be measured again within seconds instead of
joining N users anew (the sync worker may be restarted between runs; a fresh token is read).
With --rounds, the fan-out is measured that many times one after the other, each with its own
long-polls and message: the first round is a newly started worker's first fan-out, the later
ones a running worker's. With --linger, the clients keep their connections open that many seconds after the fan-out, so
that a profiler's window over the fan-out does not take in the connections closing.
"""

import argparse
import asyncio
import json
import re
import multiprocessing
import os
import secrets
import shlex
import statistics
import subprocess
import sys
import time
import urllib.parse

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


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far, in seconds."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on the machine."""
    found = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


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


async def join_room(args, users, sender) -> str:
    """Creates the room, joins every user and returns the room ID."""
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
        return room


async def current_token(args, sender) -> str:
    """A sync token at the cluster's present positions."""
    async with aiohttp.ClientSession() as session:
        data = await request(session, "GET", f"{args.sync.rstrip('/')}/_matrix/client/v3/sync", sender[1],
                             params={"filter": QUIET_FILTER, "set_presence": "offline"})
        return data["next_batch"]


def set_up(args) -> tuple[str, tuple[str, str], list[tuple[str, str]], str]:
    """The run's (prefix, sender, users, room ID): kept in the --state file when it names one
    that exists, else made (users inserted, room created and joined) and kept there."""
    if args.state and os.path.exists(args.state):
        with open(args.state) as file:
            state = json.load(file)
        if (state.get("users"), state.get("server_name")) == (args.users, args.server_name):
            people = [tuple(person) for person in state["people"]]
            return state["prefix"], people[0], people[1:], state["room"]
    prefix = "idle" + secrets.token_hex(3)
    people = create_users(shlex.split(args.psql), prefix, args.users + 1, args.server_name)
    room = asyncio.run(join_room(args, people[1:], people[0]))
    if args.state:
        with open(args.state, "w") as file:
            json.dump({"users": args.users, "server_name": args.server_name, "prefix": prefix, "room": room,
                       "people": people}, file)
    return prefix, people[0], people[1:], room


class LongPoll(asyncio.Protocol):
    """One long-poll on one kept-alive connection, spoken in plain HTTP/1.1 so that the clients,
    which share the machine's cores with the server, spend as little CPU as possible per response:
    a response holding the marker is recognised by its bytes, and only other responses are parsed
    for their `next_batch`."""

    def __init__(self, host: str, path: str, token: str, since: str, marker: bytes, seen: asyncio.Future):
        self.host, self.path, self.token, self.since = host, path, token, since
        self.marker, self.seen = marker, seen
        self.buffer = bytearray()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.ask()

    def ask(self) -> None:
        query = urllib.parse.urlencode({"since": self.since, "timeout": "60000", "filter": QUIET_FILTER,
                                        "set_presence": "offline"})
        self.transport.write(f"GET {self.path}?{query} HTTP/1.1\r\nHost: {self.host}\r\n"
                             f"Authorization: Bearer {self.token}\r\n\r\n".encode())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        header_end = self.buffer.find(b"\r\n\r\n")
        if header_end < 0:
            return
        head = bytes(self.buffer[:header_end]).decode("latin-1")
        length = re.search(r"(?im)^content-length: *(\d+)", head)
        if not head.startswith("HTTP/1.1 200") or length is None:
            self.fail(RuntimeError(f"unexpected sync response: {head!r}"))
            return
        body_end = header_end + 4 + int(length.group(1))
        if len(self.buffer) < body_end:
            return
        body = bytes(self.buffer[header_end + 4:body_end])
        del self.buffer[:body_end]
        if self.marker in body:
            if not self.seen.done():
                self.seen.set_result(time.time())
            return
        self.since = json.loads(body)["next_batch"]
        self.ask()

    def connection_lost(self, exc) -> None:
        self.fail(exc or RuntimeError("the sync worker closed a long-poll's connection"))

    def fail(self, error: BaseException) -> None:
        if not self.seen.done():
            self.seen.set_exception(error)


def poller_process(sync_url: str, since: str, tokens: list[str], marker: str, results, finish) -> None:
    """Holds one long-poll per token; when all have seen `marker`, reports when each did (seconds
    since the epoch), then keeps the connections open until `finish` is set, so that closing them
    costs nothing while other processes still wait."""

    async def main() -> None:
        url = urllib.parse.urlsplit(sync_url)
        loop = asyncio.get_running_loop()
        seen = [loop.create_future() for _ in tokens]
        connections = []
        for token, future in zip(tokens, seen):
            poll = LongPoll(url.netloc, "/_matrix/client/v3/sync", token, since, marker.encode(), future)
            connections.append(await loop.create_connection(lambda poll=poll: poll, url.hostname, url.port))
        results.put(await asyncio.gather(*seen))
        await loop.run_in_executor(None, finish.wait)
        for transport, _ in connections:
            transport.close()

    asyncio.run(main())


def long_polls(metrics_url: str) -> int:
    import urllib.request
    with urllib.request.urlopen(metrics_url.rstrip("/") + "/metrics") as response:
        for line in response.read().decode().splitlines():
            if line.startswith("trellis_sync_long_polls "):
                return int(float(line.split()[1]))
    return 0


def fan_out(args, prefix: str, sender: tuple[str, str], users: list[tuple[str, str]], room: str) -> dict:
    """One round: parks a long-poll per user from a fresh token, sends one message, and measures
    when each long-poll saw it and what the sync worker, PostgreSQL and the clients spent."""
    since = asyncio.run(current_token(args, sender))
    rss_before = rss_mib(args.sync_pid)

    marker = prefix + "marker" + secrets.token_hex(3)
    results = multiprocessing.Queue()
    tokens = [token for _, token in users]
    chunks = [tokens[index::args.processes] for index in range(args.processes)]
    finish = multiprocessing.Event()
    processes = [multiprocessing.Process(target=poller_process, args=(args.sync, since, chunk, marker, results, finish))
                 for chunk in chunks]
    for process in processes:
        process.start()
    deadline = time.monotonic() + 300
    while (parked := long_polls(args.metrics)) < args.users:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {parked} of {args.users} long-polls parked")
        time.sleep(0.2)
    rss_during = rss_mib(args.sync_pid)

    async def send() -> tuple[float, float]:
        """Sends the probe; returns when it was sent and when the send was answered."""
        async with aiohttp.ClientSession() as session:
            sent_at = time.time()
            await request(session, "PUT", f"{args.api.rstrip('/')}/_matrix/client/v3/rooms/{room}/send/m.room.message/"
                          f"{marker}", sender[1], {"msgtype": "m.text", "body": "fan-out probe", "bench_marker": marker})
            return sent_at, time.time()

    # Where the fan-out's CPU time goes: the sync worker, PostgreSQL, the client processes.
    groups = {"sync_worker": [args.sync_pid], "postgres": postgres_pids(),
              "clients": [process.pid for process in processes]}
    cpu_before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    sent_at, answered_at = asyncio.run(send())
    seen = [at for _ in processes for at in results.get(timeout=120)]
    cpu_after = {name: cpu_seconds(pids) for name, pids in groups.items()}
    time.sleep(args.linger)
    finish.set()
    for process in processes:
        process.join(timeout=30)
    latencies = sorted((at - sent_at) * 1000 for at in seen)
    return {
        "server_rss_before_mib": rss_before,
        "server_rss_during_mib": rss_during,
        "server_rss_after_fanout_mib": rss_mib(args.sync_pid),
        "rss_per_long_poll_kib": round((rss_during - rss_before) * 1024 / args.users, 1),
        "sent_at": sent_at,
        "send_answered_ms": round((answered_at - sent_at) * 1000, 1),
        "fanout_first_seen_ms": round(latencies[0], 1),
        "fanout_all_seen_ms": round(latencies[-1], 1),
        "fanout_p50_ms": round(statistics.median(latencies), 1),
        "fanout_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
        "fanout_cpu_seconds": {name: round(cpu_after[name] - cpu_before[name], 2) for name in groups},
    }


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
    parser.add_argument("--state", help="JSON file keeping the users and room for the next run")
    parser.add_argument("--rounds", type=int, default=1,
                        help="fan-outs to measure one after another (the first is a newly started worker's)")
    parser.add_argument("--linger", type=float, default=0,
                        help="seconds to keep the connections open after the fan-out (for a profiler's window)")
    args = parser.parse_args()

    prefix, sender, users, room = set_up(args)
    rounds = [fan_out(args, prefix, sender, users, room) for _ in range(args.rounds)]
    report = {"long_polls": args.users, "client_processes": args.processes, "rounds": rounds}
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)


if __name__ == "__main__":
    main()
