"""Metric functions over plain data. Pure; tested against hand-computed values."""
from __future__ import annotations

import re
import string
from collections import Counter
from typing import Iterable, Sequence


def normalize_answer(text: str) -> str:
    """SQuAD's official normalisation: lower case, drop punctuation, articles and extra spaces."""
    text = text.lower().replace("’", "'")
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _squash(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


def contains_support(paragraph_text: str, support: Sequence[str]) -> bool:
    """A paragraph supports a question if it contains any support snippet (white space folded)."""
    body = _squash(paragraph_text)
    return any(_squash(s) in body for s in support if s.strip())


def paragraph_texts(p: dict) -> list[str]:
    """A retrieved or cited paragraph's text and the texts of its duplicate copies elsewhere:
    a hit on any copy counts (once)."""
    return [p["text"], *p.get("also_in_text", [])]


def supports(p: dict, support: Sequence[str]) -> bool:
    return any(contains_support(t, support) for t in paragraph_texts(p))


def first_hit_rank(paragraphs: Sequence[dict | str], support: Sequence[str]) -> int | None:
    """1-based rank of the first retrieved paragraph (or any copy of it) holding support, else None."""
    for rank, p in enumerate(paragraphs, 1):
        if supports({"text": p} if isinstance(p, str) else p, support):
            return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


def answer_contains(answer: str, golds: Sequence[str]) -> bool:
    """The normalised answer text contains any normalised gold answer."""
    body = f" {normalize_answer(answer)} "
    return any(f" {normalize_answer(g)} " in body for g in golds if normalize_answer(g))


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    return max((float(normalize_answer(prediction) == normalize_answer(g)) for g in golds), default=0.0)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1, best over the gold answers."""
    best = 0.0
    pred = normalize_answer(prediction).split()
    for g in golds:
        gold = normalize_answer(g).split()
        common = Counter(pred) & Counter(gold)
        same = sum(common.values())
        if same == 0:
            continue
        p, r = same / len(pred), same / len(gold)
        best = max(best, 2 * p * r / (p + r))
    return best


def percentile(values: Iterable[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), q in [0, 100]."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def score(gold: Sequence[dict], predictions: Sequence[dict]) -> dict[str, float]:
    """All metrics for predictions (the `ask --json` objects plus "id") against gold rows."""
    by_id = {p["id"]: p for p in predictions}
    hits = {1: [], 5: [], 10: []}
    rr, cit_prec, first_cit, contains, em, f1 = [], [], [], [], [], []
    abstain_unans, abstain_ans, latency = [], [], []
    for g in gold:
        p = by_id[g["id"]]
        latency.append(p.get("timings_ms", {}).get("total", float("nan")))
        answerable = bool(g["answers"])
        if not answerable:
            abstain_unans.append(float(p["abstained"]))
            continue
        abstain_ans.append(float(p["abstained"]))
        rank = first_hit_rank(p["retrieved"], g["support"])
        for k in hits:
            hits[k].append(hit_at(rank, k))
        rr.append(reciprocal_rank(rank))
        cites = [] if p["abstained"] else p["citations"]
        first_cit.append(float(bool(cites) and supports(cites[0], g["support"])))
        if cites:
            cit_prec.append(mean([float(supports(c, g["support"])) for c in cites]))
        contains.append(float(not p["abstained"] and answer_contains(p["answer"], g["answers"])))
        if p.get("short_answer") and not p["abstained"]:
            em.append(exact_match(p["short_answer"], g["answers"]))
            f1.append(token_f1(p["short_answer"], g["answers"]))
    return {
        "questions": len(gold),
        "answerable": len(abstain_ans),
        "unanswerable": len(abstain_unans),
        "hit@1": mean(hits[1]), "hit@5": mean(hits[5]), "hit@10": mean(hits[10]), "mrr": mean(rr),
        "citation_precision": mean(cit_prec),
        "first_citation_hit": mean(first_cit),
        "answer_contains_gold": mean(contains),
        "short_answer_em": mean(em), "short_answer_f1": mean(f1), "short_answers_given": len(em),
        "abstention_recall": mean(abstain_unans),
        "false_abstention_rate": mean(abstain_ans),
        "latency_p50_ms": percentile(latency, 50), "latency_p95_ms": percentile(latency, 95),
    }
