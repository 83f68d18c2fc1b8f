"""Metric functions over plain data. Pure; tested against hand-computed values."""
from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from typing import Iterable, Mapping, Sequence


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


def _unicode_punctuation_as_space(text: str) -> str:
    """Non-ASCII punctuation ("…", "”", "–") as a space; "’" as the apostrophe it stands for."""
    text = text.replace("’", "'")
    return "".join(" " if not ch.isascii() and unicodedata.category(ch).startswith("P") else ch for ch in text)


def answer_contains(answer: str, golds: Sequence[str]) -> bool:
    """The normalised answer text contains any normalised gold answer. Unlike SQuAD's normalisation
    (ASCII punctuation only, kept for EM and F1), "…" and "”" separate words too: web text is full
    of them, and "experiments…." would otherwise not contain "scientific experiments"."""
    def normal(text: str) -> str:
        return normalize_answer(_unicode_punctuation_as_space(text))

    body = f" {normal(answer)} "
    return any(f" {gold} " in body for gold in map(normal, golds) if gold)


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


def ndcg_at(relevant_flags: Sequence[bool], n_relevant: int, k: int = 10) -> float:
    """Binary nDCG@k (Jarvelin & Kekalainen 2002): sum rel_i / log2(i + 1) over the top k,
    divided by the same for an ideal ranking of min(n_relevant, k) relevant items; trec_eval's
    ndcg_cut. Flags must already count each relevant item once (copies are folded by citewise)."""
    if n_relevant <= 0:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, rel in enumerate(relevant_flags[:k]) if rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_relevant, k)))
    return dcg / ideal


def score(gold: Sequence[dict], predictions: Sequence[dict],
          n_relevant: Mapping[str, int] | None = None) -> dict[str, float | None]:
    """All metrics for predictions (the `ask --json` objects plus "id") against gold rows.

    A retrieval-only prediction (no "answer") gets None for the answer metrics. `n_relevant`
    (question id -> how many indexed units hold its support) enables nDCG@10.
    """
    by_id = {p["id"]: p for p in predictions}
    answers = all("answer" in p for p in predictions)
    hits: dict[int, list[float]] = {1: [], 5: [], 10: []}
    rr, ndcg, cit_prec, cit_rec, first_cit, contains, em, f1 = [], [], [], [], [], [], [], []
    given_f1: list[float] = []
    abstain_unans, abstain_ans, latency = [], [], []
    # Answered but marked unsure (the strict level would have withheld it): the warning a reader sees.
    flagged_unans, unsure_ans = [], []
    for g in gold:
        p = by_id[g["id"]]
        latency.append(p.get("timings_ms", {}).get("total", float("nan")))
        abstained = bool(p.get("abstained", False))
        unsure = bool(p.get("unsure", False)) and not abstained
        if not g["answers"]:
            abstain_unans.append(float(abstained))
            flagged_unans.append(float(abstained or unsure))
            continue
        abstain_ans.append(float(abstained))
        unsure_ans.append(float(unsure))
        # A gold row without support passages (answers only) counts for the answer and abstention
        # metrics, not for retrieval and citations.
        support = g.get("support") or []
        if support:
            flags = [supports(r, support) for r in p["retrieved"]]
            rank = flags.index(True) + 1 if True in flags else None
            for k in hits:
                hits[k].append(hit_at(rank, k))
            rr.append(reciprocal_rank(rank))
            if n_relevant is not None:
                ndcg.append(ndcg_at(flags, n_relevant.get(g["id"], 0)))
        if not answers:
            continue
        cites = [] if abstained else p["citations"]
        if support:
            first_cit.append(float(bool(cites) and supports(cites[0], support)))
            cit_rec.append(float(any(supports(c, support) for c in cites)))
            if cites:
                cit_prec.append(mean([float(supports(c, support)) for c in cites]))
        contains.append(float(not abstained and answer_contains(p["answer"], g["answers"])))
        # Over every answerable question: no short answer (or an abstention) scores 0.
        short = p.get("short_answer") if not abstained else None
        em.append(exact_match(short, g["answers"]) if short else 0.0)
        f1.append(token_f1(short, g["answers"]) if short else 0.0)
        if short:
            given_f1.append(f1[-1])

    abstentions = sum(abstain_unans) + sum(abstain_ans)

    def answer_metric(values: list[float]) -> float | None:
        return mean(values) if answers else None

    return {
        "questions": len(gold),
        "answerable": len(abstain_ans),
        "unanswerable": len(abstain_unans),
        "hit@1": mean(hits[1]), "hit@5": mean(hits[5]), "hit@10": mean(hits[10]), "mrr": mean(rr),
        "ndcg@10": mean(ndcg) if n_relevant is not None else None,
        "citation_precision": answer_metric(cit_prec),
        "citation_recall": answer_metric(cit_rec),
        "first_citation_hit": answer_metric(first_cit),
        "answer_contains_gold": answer_metric(contains),
        "short_answer_em": answer_metric(em), "short_answer_f1": answer_metric(f1),
        "short_answers_given": len(given_f1) if answers else None,
        "short_answer_f1_given": answer_metric(given_f1) if given_f1 else None,
        "abstention_recall": answer_metric(abstain_unans),
        # Of the questions it abstained on, the share that were truly unanswerable.
        "abstention_precision": (sum(abstain_unans) / abstentions if abstentions else None) if answers else None,
        "false_abstention_rate": answer_metric(abstain_ans),
        # Unanswerable questions abstained on or answered with the "unsure" warning; answerable
        # ones answered with it.
        "abstained_or_unsure_unanswerable": answer_metric(flagged_unans),
        "unsure_answerable": answer_metric(unsure_ans),
        "latency_p50_ms": percentile(latency, 50), "latency_p95_ms": percentile(latency, 95),
    }
