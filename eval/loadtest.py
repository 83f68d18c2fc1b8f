"""Concurrent users asking through the Gradio API for a bounded time; loopback servers only.

    python app.py --port 7860 &
    python -m eval.loadtest --url http://127.0.0.1:7860/ --users 20 --seconds 60

Each user is a thread with its own gradio_client, asking the sample questions in turn until the
time is up. Prints requests, errors, throughput and latency p50/p95 as one JSON line.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from urllib.parse import urlparse

from . import metrics

QUESTIONS = [
    "How many people attended the gathering at the Astronaut Centre of China?",
    "Who is the Director of UNOOSA?",
    "Which countries will China work with on satellite engineering and technology?",
    "What fuel does the Long March 5 rocket burn?",
    "How many manned space flights will China make in 2022?",
]


def run(url: str, users: int, seconds: float, auth: tuple[str, str] | None = None) -> dict:
    host = urlparse(url).hostname or ""
    if not (host in ("localhost", "::1") or host.startswith("127.")):
        raise ValueError(f"load tests only target this machine (127.0.0.0/8, localhost), not {host!r}")
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(i: int) -> None:
        client = Client(url, auth=auth, verbose=False)
        n = i
        while time.monotonic() < deadline:
            q = QUESTIONS[n % len(QUESTIONS)]
            n += 1
            t0 = time.perf_counter()
            try:
                result = client.predict(q, api_name="/ask")
                ok = isinstance(result, dict) and "answer" in result
                err = None if ok else f"unexpected result: {str(result)[:80]}"
            except Exception as exc:  # any failure counts as an error of the run
                err = f"{type(exc).__name__}: {exc}"[:200]
            with lock:
                if err:
                    errors.append(err)
                else:
                    latencies.append(1000 * (time.perf_counter() - t0))

    started = time.monotonic()
    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.monotonic() - started
    return {"users": users, "seconds": round(elapsed, 1), "requests": len(latencies) + len(errors),
            "errors": len(errors), "first_errors": errors[:3],
            "throughput_rps": round(len(latencies) / elapsed, 2),
            "latency_p50_ms": round(metrics.percentile(latencies, 50), 1),
            "latency_p95_ms": round(metrics.percentile(latencies, 95), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:7860/")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--auth", metavar="USER:PASSWORD")
    args = ap.parse_args()
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    print(json.dumps(run(args.url, args.users, args.seconds, auth)))


if __name__ == "__main__":
    main()
