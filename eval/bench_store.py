"""Compare two indexes of one corpus that differ only in where the paragraph vectors live (FAISS in
the folder, or Qdrant): the same answers?, and how long dense search and a whole question take.

    python -m eval.bench_store --gold GOLD.jsonl --faiss INDEX_A --qdrant INDEX_B [--questions 200]

Questions alternate between the two indexes, so that load from other processes falls on both alike;
speed is reported as the ratio Qdrant / FAISS of the medians measured in this run.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import citewise  # noqa: F401  (offline environment)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--faiss", type=Path, required=True, help="index with its vectors in FAISS")
    parser.add_argument("--qdrant", type=Path, required=True, help="the same corpus with its vectors in Qdrant")
    parser.add_argument("--questions", type=int, default=200, help="first N questions of the gold file")
    args = parser.parse_args(argv)
    from citewise.pipeline import Searcher

    questions = [json.loads(line)["question"] for line in args.gold.open(encoding="utf-8") if line.strip()]
    questions = questions[:args.questions]
    searchers = {"faiss": Searcher(args.faiss), "qdrant": Searcher(args.qdrant)}
    searchers["qdrant"]._encoder = searchers["faiss"].encoder  # one model in memory
    timing: dict[str, dict[str, list[float]]] = {n: {"dense_ms": [], "ask_ms": []} for n in searchers}
    same_retrieved = same_citations = 0
    for q in questions:
        vec = searchers["faiss"].encoder.encode([q])
        answers = {}
        for name, s in searchers.items():
            dense = s.index.dense
            t0 = time.perf_counter()
            dense.search(vec, s.settings.candidates)
            t1 = time.perf_counter()
            answers[name] = s.ask(q)
            t2 = time.perf_counter()
            timing[name]["dense_ms"].append(1000 * (t1 - t0))
            timing[name]["ask_ms"].append(1000 * (t2 - t1))
        a, b = answers["faiss"], answers["qdrant"]
        same_retrieved += [h.paragraph.id for h in a.retrieved] == [h.paragraph.id for h in b.retrieved]
        same_citations += [(c.paragraph.id, c.quote) for c in a.citations] == \
                          [(c.paragraph.id, c.quote) for c in b.citations]
    med = {n: {k: statistics.median(v) for k, v in t.items()} for n, t in timing.items()}
    result = {"questions": len(questions), "paragraphs": len(searchers["faiss"].index.paragraphs),
              "same_retrieved_top_k": same_retrieved / len(questions),
              "same_citations": same_citations / len(questions),
              **{f"{n}_{k}_p50": round(v, 3) for n, m in med.items() for k, v in m.items()},
              "dense_ratio_qdrant_over_faiss": round(med["qdrant"]["dense_ms"] / med["faiss"]["dense_ms"], 2),
              "ask_ratio_qdrant_over_faiss": round(med["qdrant"]["ask_ms"] / med["faiss"]["ask_ms"], 3)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
