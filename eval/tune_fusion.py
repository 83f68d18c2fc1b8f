"""Fit the fusion weight alpha on a tuning set (SQuAD 2.0 dev half): hit@k of BM25, dense,
reciprocal-rank fusion and convex fusion over a grid of alpha, side by side.

    python -m eval squad ../shared/datasets/squad2/dev-half.json --out /tmp/squad
    python ingest.py /tmp/squad/corpus --index /tmp/squad/index
    python -m eval.tune_fusion --gold /tmp/squad/gold.jsonl --index /tmp/squad/index
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import citewise  # noqa: F401
from citewise.pipeline import Searcher
from citewise.retrieve import fuse, lexical_all
from citewise.text import terms

from . import metrics, squad

KS = (1, 3, 5, 10)


def rrf(rankings: list[list[int]], weights: list[float], k: int = 60) -> list[int]:
    """Reciprocal-rank fusion, Cormack, Clarke & Buettcher (SIGIR 2009): sum w / (k + rank)."""
    score: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, row in enumerate(ranking, 1):
            score[row] = score.get(row, 0.0) + w / (k + rank)
    return sorted(score, key=lambda r: (-score[r], r))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--index", type=Path, required=True)
    args = ap.parse_args()
    s = Searcher(args.index)
    index = s.index
    texts = [p.text for p in index.paragraphs]
    gold = [g for g in squad.read_gold(args.gold) if g["answers"]]
    relevant = [{i for i, t in enumerate(texts) if metrics.contains_support(t, g["support"])} for g in gold]
    qv = s.encoder.encode([g["question"] for g in gold])
    all_vecs = np.asarray(index.vectors)
    dense = qv @ all_vecs.T
    lex = np.vstack([lexical_all(index, terms(g["question"])) for g in gold])

    def report(name: str, rankings: list[list[int]]) -> dict:
        out = {f"hit@{k}": float(np.mean([bool(set(r[:k]) & rel) for r, rel in zip(rankings, relevant)]))
               for k in KS}
        print(f"{name:<16}" + " ".join(f"{k}={v:.4f}" for k, v in out.items()))
        return out

    rows = {}
    rows["bm25"] = report("bm25", [list(np.argsort(-l, kind="stable")) for l in lex])
    rows["dense"] = report("dense", [list(np.argsort(-d, kind="stable")) for d in dense])
    for w in (1.0, 2.0, 3.0):
        rows[f"rrf_w{w}"] = report(f"rrf bm25x{w}", [rrf([list(np.argsort(-l))[:100], list(np.argsort(-d))[:100]], [w, 1.0])
                                                    for l, d in zip(lex, dense)])
    for alpha in np.round(np.arange(0.0, 1.01, 0.05), 2):
        rankings = []
        for l, d in zip(lex, dense):
            fused = fuse(dict(enumerate(d.tolist())), dict(enumerate(l.tolist())), float(alpha))
            rankings.append([r for r, _ in fused])
        rows[f"convex_{alpha}"] = report(f"convex a={alpha}", rankings)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
