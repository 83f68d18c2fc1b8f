"""The systems `python -m eval --compare` puts side by side, each answering the same questions.

bm25, dense and hybrid are retrieval stages of citewise over its own index (so they differ only in
ranking); citewise is the full system. llamaindex-default runs in its own process
(eval/llamaindex_default.py) so that its build time and peak memory are its own.
"""
from __future__ import annotations

import time
from typing import Callable

from citewise.pipeline import Searcher
from citewise.retrieve import dense_scores, hybrid, lexical_all, top_rows
from citewise.text import terms


def _unit(p) -> dict:
    return {"id": p.id, "doc": p.doc, "paragraph": p.ordinal, "text": p.text,
            "also_in_text": list(p.also_in_text)}


def retrieval_system(searcher: Searcher, name: str, k: int = 10) -> Callable[[str], dict]:
    """A ranking function for one retrieval stage: bm25, dense or hybrid (fusion, no reranking)."""
    index, s = searcher.index, searcher.settings

    def run(question: str) -> dict:
        t0 = time.perf_counter()
        q_terms = terms(question)
        if name == "bm25":
            scores = top_rows(lexical_all(index, q_terms), k)
            rows = [r for r, _ in sorted(scores.items(), key=lambda x: (-x[1], x[0]))]
        elif name == "dense":
            q_vec = searcher.encoder.encode([question])[0]
            rows = [r for r, _ in sorted(dense_scores(index, q_vec, k).items(), key=lambda x: (-x[1], x[0]))]
        elif name == "hybrid":
            q_vec = searcher.encoder.encode([question])[0]
            rows = [h.row for h in hybrid(index, q_vec, q_terms, k, s.candidates, s.alpha)]
        else:
            raise ValueError(f"unknown retrieval system {name!r}; choose bm25, dense or hybrid")
        ms = 1000 * (time.perf_counter() - t0)
        return {"retrieved": [_unit(index.paragraphs[r]) for r in rows], "timings_ms": {"total": ms}}

    return run


def citewise_system(searcher: Searcher, k: int = 10) -> Callable[[str], dict]:
    return lambda question: searcher.ask(question, top_k=k).to_dict()


def relevant_counts(units: list[dict], gold: list[dict]) -> dict[str, int]:
    """Question id -> how many units (paragraphs or chunks) hold one of its support snippets."""
    from .metrics import supports

    return {g["id"]: sum(supports(u, g["support"]) for u in units) for g in gold if g["answers"]}

