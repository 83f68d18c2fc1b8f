"""Whole-ingest time with each distinct string embedded once (citewise's _embed) against embedding
every paragraph and then every sentence as given (the behaviour before 2026-11-25), in one process
with one encoder, alternating runs.

    python -m eval.dedup_bench [CORPUS] [--runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import citewise  # noqa: F401  (offline environment)
from citewise import pipeline
from citewise.config import SAMPLE_CORPUS, Settings
from citewise.embed import get_encoder


def every_string(paragraphs, encoder, sentence_vectors, known=None):
    """The baseline: paragraphs, then all their sentences, duplicates and all."""
    return (encoder.encode([p.text for p in paragraphs]),
            encoder.encode([p.text[a:b] for p in paragraphs for a, b in p.sentences]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path, nargs="?", default=SAMPLE_CORPUS)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    s = Settings(sentence_vectors="separate")  # deduplication is what separate embedding does per string
    encoder = get_encoder(s.model, s.batch_size, s.encoder)
    encoder.encode(["warm-up"] * 8)
    distinct = pipeline._embed
    seconds: dict[str, list[float]] = {"every string": [], "distinct strings": []}
    try:
        for _ in range(args.runs):
            for name, embed in (("every string", every_string), ("distinct strings", distinct)):
                pipeline._embed = embed
                with tempfile.TemporaryDirectory() as tmp:
                    t0 = time.perf_counter()
                    pipeline.ingest([args.corpus], Path(tmp) / "index", s, encoder, progress=False)
                    seconds[name].append(time.perf_counter() - t0)
    finally:
        pipeline._embed = distinct
    for name, v in seconds.items():
        print(f"{name:17s} median {statistics.median(v):.2f} s  runs {[round(x, 2) for x in v]}")
    ratio = statistics.median(seconds["every string"]) / statistics.median(seconds["distinct strings"])
    print(f"speed-up {ratio:.2f}x")


if __name__ == "__main__":
    main()
