"""dense(), lexical() and fuse(): each returns ranked Hits. Fusion is pure and small."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np

from .store import Index, refined_top
from .types import Hit


def approximate(dense) -> bool:
    """Whether a dense index returns approximate neighbours (FAISS IVF: it probes some lists)."""
    return hasattr(dense, "nprobe")


def dense_scores(index: Index, query_vector: np.ndarray, k: int) -> dict[int, float]:
    """Top-k paragraph rows by inner product (cosine: vectors are unit length). An approximate
    index's candidates are rescored with the exact vectors (store.refined_top)."""
    k = min(k, index.dense.ntotal)
    if k <= 0:
        return {}
    if approximate(index.dense):
        return refined_top(index.dense, index.vectors, query_vector, k)
    scores, rows = index.dense.search(query_vector.reshape(1, -1).astype(np.float32), k)
    return {int(r): float(s) for r, s in zip(rows[0], scores[0]) if r >= 0}


def lexical_all(index: Index, query_terms: Sequence[str]) -> np.ndarray:
    """BM25 score of every paragraph (zeros when no query term is in the vocabulary).

    bm25s's eager index stores each term's score in every paragraph holding it (a CSC matrix,
    term -> paragraphs), and a query's score is their sum over its terms. One np.bincount over the
    query terms' postings sums them; bm25s's own np.add.at per term is several times slower at a
    million paragraphs. (Variants with a non-occurrence term, BM25L/BM25+, go through bm25s.)"""
    ids = index.lexical.get_tokens_ids(list(query_terms))
    n = len(index.paragraphs)
    if not ids:
        return np.zeros(n)
    if getattr(index.lexical, "nonoccurrence_array", None) is not None:
        return np.asarray(index.lexical.get_scores(ids))
    sc = index.lexical.scores
    spans = [(int(sc["indptr"][i]), int(sc["indptr"][i + 1])) for i in ids]
    rows = np.concatenate([sc["indices"][a:b] for a, b in spans])
    weights = np.concatenate([sc["data"][a:b] for a, b in spans]).astype(np.float64)
    # Kept in float64, bincount's own type: a float32 copy of a million scores costs ~1 ms a question.
    return np.bincount(rows, weights=weights, minlength=n)


def top_rows(scores: np.ndarray, k: int) -> dict[int, float]:
    """The k best rows of a dense score array, positive scores only (ranked among those alone:
    most of a million paragraphs score 0 for a question)."""
    if k <= 0:
        return {}
    rows = np.flatnonzero(scores > 0)
    if len(rows) > k:
        rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
    return {int(r): float(scores[r]) for r in rows}


def fuse(dense: Mapping[int, float], lexical: Mapping[int, float], alpha: float,
         lexical_max: float | None = None) -> list[tuple[int, float]]:
    """Convex combination of scores: alpha * cosine + (1 - alpha) * BM25 / max BM25.

    Bruch, Gai & Ingber (2023), "An Analysis of Fusion Functions for Hybrid Retrieval"
    (ACM TOIS): a convex combination of normalised scores beats reciprocal-rank fusion and is
    robust to its one parameter. Cosine is already on a fixed scale; BM25 is divided by the
    query's best BM25 score (theoretical minimum 0). A row missing from one list scores 0 there.
    Ties break on the row number so that rankings are deterministic.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")
    top = lexical_max if lexical_max is not None else max(lexical.values(), default=0.0)
    rows = set(dense) | set(lexical)
    fused = []
    for r in rows:
        lex = lexical.get(r, 0.0) / top if top > 0 else 0.0
        fused.append((r, alpha * max(dense.get(r, 0.0), 0.0) + (1.0 - alpha) * lex))
    fused.sort(key=lambda x: (-x[1], x[0]))
    return fused


def hybrid(index: Index, query_vector: np.ndarray, query_terms: Sequence[str],
           k: int, candidates: int, alpha: float) -> list[Hit]:
    """Dense and BM25 candidates, rescored exactly on both sides, fused, best k."""
    d = dense_scores(index, query_vector, candidates)
    lex_all = lexical_all(index, query_terms)
    lx = top_rows(lex_all, candidates)
    best_lexical = max(lx.values(), default=0.0)  # the best row is among the top ones
    rows = sorted(set(d) | set(lx))
    if rows:
        # Score every candidate on both sides, so that fusion never guesses a missing score. An
        # approximate index's candidates already carry exact scores (dense_scores rescored them).
        todo = sorted(set(lx) - set(d)) if approximate(index.dense) else rows
        if todo:
            cos = np.asarray(index.vectors[todo]) @ query_vector.astype(np.float32)
            d = {**d, **{r: float(c) for r, c in zip(todo, cos)}}
        lx = {r: float(lex_all[r]) for r in rows}
    fused = fuse(d, lx, alpha, lexical_max=best_lexical)
    return [Hit(paragraph=index.paragraphs[r], score=s, dense=d.get(r), lexical=lx.get(r), fused=s, row=r)
            for r, s in fused[:k]]


def rerank(hits: Sequence[Hit], best_sentence: Sequence[float], gamma: float) -> list[Hit]:
    """Rescore paragraphs by their best sentence: gamma * fused / best fused + (1 - gamma) * sentence.

    A question usually paraphrases one sentence of its answer paragraph; a paragraph-level score
    blurs that sentence among the others. gamma is fitted on the SQuAD dev half (eval/tune_fusion.py).
    """
    if not hits:
        return []
    top = max(h.score for h in hits) or 1.0
    out = [replace(h, score=gamma * h.score / top + (1.0 - gamma) * b, fused=h.score, sentence=b)
           for h, b in zip(hits, best_sentence)]
    out.sort(key=lambda h: (-h.score, h.row))
    return out


_ABOUT_COMMENTS = re.compile(r"\b(comments?|commenters?|commented|readers?|replies|reply|replied)\b", re.I)


def asks_about_comments(question: str) -> bool:
    """Whether a question is about what readers said, rather than what the documents state."""
    return bool(_ABOUT_COMMENTS.search(question))


def demote(hits: Sequence[Hit], kind: str, factor: float) -> list[Hit]:
    """Multiply the score of paragraphs of `kind` by `factor` and re-sort (stable)."""
    out = [replace(h, score=h.score * factor) if h.paragraph.kind == kind else h for h in hits]
    out.sort(key=lambda h: -h.score)
    return out
