"""Fit the sentence-rerank weights (Settings.gamma, Settings.sentence_weight) and say what a fitted
choice is worth on articles it was not fitted on: hit@1 of Searcher.retrieve over a grid, on all
answerable questions, and with the setting chosen on half of the articles scored on the other half
(both ways round, by article, so that no article is in both).

    python -m eval squad ../shared/datasets/squad2/dev-half.json --out /tmp/squad
    python ingest.py /tmp/squad/corpus --index /tmp/squad-index
    python -m eval.tune_rerank --gold /tmp/squad/gold.jsonl --index /tmp/squad-index
"""
from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

import citewise  # noqa: F401
from citewise.config import Settings
from citewise.pipeline import Searcher

from . import metrics, squad

GAMMAS = (0.2, 0.3, 0.4, 0.5)
SENTENCE_WEIGHTS = (0.3, 0.5, 0.7)


class _Memo:
    """The index's encoder with each question embedded once across the grid."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.kind = getattr(inner, "kind", None)
        self.seen: dict[tuple[str, ...], np.ndarray] = {}

    def encode(self, texts, progress=False):
        key = tuple(texts)
        if key not in self.seen:
            self.seen[key] = self.inner.encode(texts)
        return self.seen[key]

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


def grid(index: Path, gold: list[dict]) -> dict[tuple[float, float], np.ndarray]:
    """{(gamma, sentence_weight): whether each question's top paragraph holds its support}."""
    encoder = _Memo(Searcher(index).encoder)
    out = {}
    for gamma, weight in itertools.product(GAMMAS, SENTENCE_WEIGHTS):
        s = Searcher(index, Settings(gamma=gamma, sentence_weight=weight), encoder)
        out[(gamma, weight)] = np.array([metrics.contains_support(s.retrieve(g["question"]).hits[0].paragraph.text,
                                                                  g["support"]) for g in gold])
    return out


def held_out(hits: dict[tuple[float, float], np.ndarray], articles: np.ndarray) -> tuple[float, list]:
    """hit@1 of the setting fitted on one half of the articles, scored on the other half, both
    ways round, over all questions; and the setting each half chose."""
    names = sorted(set(articles))
    scored, chosen = [], []
    for fit in (names[0::2], names[1::2]):
        on = np.isin(articles, fit)
        best = max(hits, key=lambda k: hits[k][on].mean())
        chosen.append(best)
        scored.append(hits[best][~on])
    return float(np.concatenate(scored).mean()), chosen


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--index", type=Path, required=True)
    args = ap.parse_args(argv)
    gold = [g for g in squad.read_gold(args.gold) if g["answers"]]
    hits = grid(args.index, gold)
    for (gamma, weight), h in hits.items():
        print(f"gamma {gamma:.1f} sentence_weight {weight:.1f}  hit@1 {h.mean():.4f}")
    score, chosen = held_out(hits, np.array([g["article"] for g in gold]))
    print(f"held-out hit@1 {score:.4f} (settings chosen on each half: {chosen})")


if __name__ == "__main__":
    main()
