"""Load check of ``privtag serve``: start-up time, then concurrent requests to /api/tag.

Usage:
    python benchmarks/bench_serve.py [--model model] [--requests 200] [--clients 8]
        [--policy data/policies/zarget.md] [--endpoint tag|predict]

Starts ``privtag serve`` on a free 127.0.0.1 port in a child process, times how long it
takes until ``/healthz`` answers (the start-up time: imports, model load, bind), then
sends ``--requests`` requests from ``--clients`` threads. Each request carries one
paragraph of ``--policy`` (in turn), as JSON ``{"text", "format": "text"}`` to
/api/tag, or ``{"texts": [paragraph]}`` to /api/predict. Prints requests per second,
p50 and p99 latency and the number of errors (anything but 200). Bounded: every request
has a timeout, and the server is stopped at the end whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: dict, timeout: float) -> tuple[int, float]:
    """(status, seconds) of one JSON POST; status 0 for a connection failure or timeout."""
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data, {"content-type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = 0
    return status, time.perf_counter() - start


def wait_healthy(base: str, proc: subprocess.Popen, limit: float) -> float:
    """Seconds from now until /healthz answers 200 (raises if the server dies or is late)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the server did not answer /healthz within {limit:.0f} s")


def paragraphs(policy: Path) -> list[str]:
    from privtag.segmentation.document import segment

    doc = segment(policy)
    return [doc.text[p.start : p.end] for p in doc.paragraphs if p.last - p.first >= 1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "model"))
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--policy", default=str(ROOT / "data" / "policies" / "zarget.md"))
    ap.add_argument("--endpoint", choices=("tag", "predict"), default="tag")
    ap.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    args = ap.parse_args()

    texts = paragraphs(Path(args.policy))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "privtag.cli", "serve", "--port", str(port)]
    command += ["--model", args.model]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        startup = wait_healthy(base, proc, limit=300)
        url = f"{base}/api/{args.endpoint}"

        def one(i: int) -> tuple[int, float]:
            text = texts[i % len(texts)]
            body = {"text": text, "format": "text"} if args.endpoint == "tag" else {"texts": [text]}
            return post(url, body, args.timeout)

        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(one, range(args.requests)))
        wall = time.perf_counter() - start
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    latencies = [t for status, t in results if status == 200]
    errors = sum(status != 200 for status, _ in results)
    chars = sum(len(texts[i % len(texts)]) for i in range(args.requests))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"privtag serve start-up (spawn to /healthz 200): {startup:.1f} s")
    print(
        f"{args.requests} requests to /api/{args.endpoint} from {args.clients} clients, one "
        f"paragraph each (mean {chars / args.requests:.0f} characters) of {Path(args.policy).name}"
    )
    print(f"  {args.requests / wall:.2f} requests/s over {wall:.1f} s")
    if latencies:
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        print(f"  latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"  errors: {errors}")


if __name__ == "__main__":
    main()
