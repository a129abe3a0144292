#!/usr/bin/env python3
"""Media repository benchmark: upload and download throughput (MB/s) and thumbnails per second.

Speaks only the Client-Server API, so the same run measures Trellis and a Synapse anchor:

  upload     FILES files of SIZE_MIB each, CONCURRENCY at a time (POST /_matrix/media/v3/upload)
  download   each of them READS times (GET /_matrix/client/v1/media/download/...)
  images     IMAGES distinct JPEG photos (the repository's 1024x768 fixture, each made unique by
             trailing bytes after its end marker, so no server can reuse earlier work) uploaded,
             then one 320x240 scale thumbnail of each fetched. Synapse makes every configured
             thumbnail size while uploading an image; Trellis makes each size on first request.
             Both phases are timed apart and together.

Every download and thumbnail is checked (size, JPEG signature); a failed request fails the run.
"""
import argparse
import asyncio
import json
import os
import secrets
import sys
import time

import aiohttp

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "media", "landscape.jpg")


async def register(session, base):
    name = "media" + secrets.token_hex(4)
    body = {"username": name, "password": "media benchmark password"}
    async with session.post(f"{base}/_matrix/client/v3/register", json=body) as response:
        flows = await response.json()
    body["auth"] = {"type": "m.login.dummy", "session": flows.get("session")}
    async with session.post(f"{base}/_matrix/client/v3/register", json=body) as response:
        answer = await response.json()
        if response.status != 200:
            raise RuntimeError(f"register: {response.status} {answer}")
        return answer["access_token"]


async def upload(session, base, token, data, content_type):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    async with session.post(f"{base}/_matrix/media/v3/upload", data=data, headers=headers) as response:
        answer = await response.json()
        if response.status != 200:
            raise RuntimeError(f"upload: {response.status} {answer}")
        return answer["content_uri"][len("mxc://"):]


async def fetch(session, url, token):
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        data = await response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status} {data[:200]!r}")
        return data


async def bounded(concurrency, jobs):
    """Runs the coroutine factories in `jobs`, `concurrency` at a time; returns their results in order."""
    semaphore = asyncio.Semaphore(concurrency)

    async def run(job):
        async with semaphore:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


def compare(trellis_file, synapse_file):
    """Prints each figure of both runs and the Trellis/Synapse ratio."""
    trellis, synapse = (json.load(open(path)) for path in (trellis_file, synapse_file))
    print(f"{'media':34} {'Trellis':>10} {'Synapse':>10} {'ratio':>7}")
    for key in ["upload_mb_per_s", "download_mb_per_s", "image_uploads_per_s", "thumbnails_per_s",
                "images_with_thumbnail_per_s"]:
        print(f"{key:34} {trellis[key]:10.1f} {synapse[key]:10.1f} {trellis[key] / synapse[key]:6.2f}x")


async def main():
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(usage="media.py --base-url URL --label L --json FILE [options] | "
                                           "media.py compare TRELLIS.json SYNAPSE.json")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--size-mib", type=int, default=8)
    parser.add_argument("--reads", type=int, default=4)
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    photo = open(FIXTURE, "rb").read()
    results = {"label": args.label, "files": args.files, "size_mib": args.size_mib, "reads": args.reads,
               "images": args.images, "concurrency": args.concurrency}

    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        token = await register(session, base)
        blobs = [secrets.token_bytes(args.size_mib << 20) for _ in range(args.files)]
        total = sum(len(blob) for blob in blobs)

        started = time.perf_counter()
        ids = await bounded(args.concurrency, [lambda b=b: upload(session, base, token, b, "application/octet-stream")
                                               for b in blobs])
        elapsed = time.perf_counter() - started
        results["upload_mb_per_s"] = total / elapsed / 1e6

        jobs = [lambda i=i: fetch(session, f"{base}/_matrix/client/v1/media/download/{ids[i]}", token)
                for i in range(args.files) for _ in range(args.reads)]
        started = time.perf_counter()
        bodies = await bounded(args.concurrency, jobs)
        elapsed = time.perf_counter() - started
        expected = [blobs[i] for i in range(args.files) for _ in range(args.reads)]
        if any(body != blob for body, blob in zip(bodies, expected)):
            raise RuntimeError("a download differs from its upload")
        results["download_mb_per_s"] = total * args.reads / elapsed / 1e6

        images = [photo + secrets.token_bytes(16) for _ in range(args.images)]
        started = time.perf_counter()
        image_ids = await bounded(args.concurrency, [lambda b=b: upload(session, base, token, b, "image/jpeg")
                                                     for b in images])
        uploaded = time.perf_counter()
        thumbnails = await bounded(args.concurrency, [
            lambda i=i: fetch(session, f"{base}/_matrix/client/v1/media/thumbnail/{i}?width=320&height=240&method=scale",
                              token) for i in image_ids])
        finished = time.perf_counter()
        if any(not t.startswith(b"\xff\xd8\xff") or len(t) >= len(photo) for t in thumbnails):
            raise RuntimeError("a thumbnail is not a smaller JPEG")
        results["image_uploads_per_s"] = args.images / (uploaded - started)
        results["thumbnails_per_s"] = args.images / (finished - uploaded)
        results["images_with_thumbnail_per_s"] = args.images / (finished - started)

    with open(args.json, "w") as out:
        json.dump(results, out, indent=2)
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
