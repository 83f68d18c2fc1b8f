"""Try a new abstention signal before adding it: does it separate what the model does not?

Collects the questions eval/fit_abstention.py fits on (fit_data: answerable, held-out, outside and
impossible questions over two halves of the SQuAD dev-half articles), with each question's
Evidence and candidate signals, then scores the logistic model with and without the candidates
by cross-fitting: fitted on the questions of one half's index, scored on the other's, and the
other way round, so that no figure is read from the questions it was fitted on. For each set of
signals it prints the ROC AUC of answerable against held-out questions (the near misses users
meet most) and, at the false-abstention rates of the levels, how many of each unanswerable kind
are caught.

Candidates:
  - soft coverage: the IDF-weighted share of the question's words found in the best paragraph,
    a word counting as found by its stem, else by its best embedding cosine or shared-prefix
    ratio to a paragraph word (so "attended" ~ "attendees", "moon" ~ "lunar"), and the IDF of the
    worst-found word times how far it is from found;
  - reader margin (with --fold-readers): the span reader's best span minus no-answer logit on the
    best sentence, each question read by a reader trained without its article
    (eval/train_reader.py --holdout 2 --fold K), as the shipped reader has seen them all;
  - (with --fold-readers) the same evidence taken at the sentence the answer leads with (the
    reader's choice among the best few) instead of the best-scored one.

    python -m eval squad ../shared/datasets/squad2/dev-half.json --out /tmp/squad
    python -m eval.abstention_signals --squad-dir /tmp/squad [--fold-readers /tmp/reader-f{k}.safetensors]
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

import citewise  # noqa: F401  (sets the offline environment)
from citewise.answer import read_lead
from citewise.text import stem, words

from . import squad
from .fit_abstention import fit_data
from .train_reader import split

RATES = {"balanced": 0.04, "strict": 0.10}
KINDS = ("held-out", "outside", "impossible")


def prefix_ratio(a: str, b: str, least: int = 4) -> float:
    """Length of the common prefix over the longer word's, when at least `least` letters agree."""
    n = len(a) if a == b else next(i for i, (x, y) in enumerate(zip(a + "\0", b + "\1")) if x != y)
    return n / max(len(a), len(b)) if n >= least else 0.0


def soft_coverage(question: Sequence[str], text: Sequence[str], vectors: Mapping[str, np.ndarray],
                  idf: Callable[[str], float], max_idf: float) -> tuple[float, float]:
    """(IDF-weighted share of the question's words found in the text, the IDF share of the worst
    found word times how far it is from found), a word being found by its stem (1.0) or else by
    its best cosine or prefix ratio to any word of the text. Words are folded, without stopwords."""
    stems = {stem(w) for w in text}
    matrix = np.array([vectors[w] for w in text]) if text else None
    total = found = worst = 0.0
    for w in dict.fromkeys(question):
        weight = idf(stem(w))
        if stem(w) in stems:
            match = 1.0
        else:
            cosine = float((matrix @ vectors[w]).max()) if matrix is not None else 0.0
            match = max(cosine, max((prefix_ratio(w, t) for t in text), default=0.0))
        total += weight
        found += weight * match
        worst = max(worst, weight / max_idf * (1.0 - match))
    return (found / total if total else 0.0), worst


def cross_fit(X: np.ndarray, y: np.ndarray, fold: np.ndarray, kind: np.ndarray) -> dict:
    """Fit on one fold, score the other (both ways); thresholds from the fitting fold's answerable
    questions at each level's rate. Returns AUC (answerable vs held-out) and abstention shares."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    p = np.zeros(len(y))
    abstained = {level: np.zeros(len(y), bool) for level in RATES}
    for f in np.unique(fold):
        fit, test = fold != f, fold == f
        clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(X[fit], y[fit])
        p_fit = clf.predict_proba(X[fit])[:, 1]
        p[test] = clf.predict_proba(X[test])[:, 1]
        for level, rate in RATES.items():
            abstained[level][test] = p[test] < np.quantile(p_fit[y[fit] == 1], rate)
    pair = (kind == "answerable") | (kind == "held-out")
    out: dict = {"auc_held_out": float(roc_auc_score(y[pair], p[pair]))}
    for level in RATES:
        out[level] = {k: float(abstained[level][kind == k].mean()) for k in ("answerable",) + KINDS}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--squad-dir", type=Path, required=True, help="output of `python -m eval squad`")
    ap.add_argument("--fold-readers", metavar="PATTERN",
                    help="reader weights per fold, '{k}' for the fold: e.g. /tmp/reader-f{k}.safetensors")
    ap.add_argument("--holdout", type=int, default=2, help="articles each fold reader was trained without")
    args = ap.parse_args(argv)
    titles = list(dict.fromkeys(g["article"] for g in squad.read_gold(args.squad_dir / "gold.jsonl")))
    readers: dict[int, object] = {}
    reads: dict[int, object] = {}  # compose()'s `read` with each fold's reader
    reader_fold: dict[str, int] = {}
    if args.fold_readers:
        from citewise.pipeline import load_reader, short_answerer

        for k in range((len(titles) + args.holdout - 1) // args.holdout):
            path = Path(args.fold_readers.format(k=k)).resolve()
            if not path.is_file():
                ap.error(f"no reader weights at {path}")
            readers[k], reads[k] = load_reader(path), short_answerer("reader", str(path))
            reader_fold.update({t: k for t in split(titles, args.holdout, k)[1]})

    base, soft, margin, at_lead, y, fold, kind = [], [], [], [], [], [], []
    vectors: dict[str, np.ndarray] = {}
    for s, rows, label, k, f in fit_data(args.squad_dir):
        max_idf = s.max_idf()
        for g in rows:
            a = s.analyse(g["question"])
            x = a.sentences[int(np.argmax(a.scores))]
            q_words, p_words = words(g["question"]), words(a.retrieval.hits[x.hit].paragraph.text)
            new = [w for w in dict.fromkeys(q_words + p_words) if w not in vectors]
            if new:
                vectors.update(zip(new, s.encoder.encode(new)))
            base.append(a.evidence.vector())
            soft.append(soft_coverage(q_words, p_words, vectors, s.idf, max_idf))
            if readers:
                fold_k = reader_fold[g["article"]]
                span = readers[fold_k].read_each(g["question"], [x.text])[0]
                margin.append([(span.score - span.null) / 10.0 if span else -2.0])
                # The sentence the answer would lead with (compose()'s choice), and the evidence
                # taken there instead (the best-scored one when the reader found nothing).
                lead, _ = read_lead(g["question"], a.retrieval.hits, a.sentences, a.scores, reads[fold_k],
                                    s.settings.reader_sentences, s.settings.reader_weight)
                lead = int(np.argmax(a.scores)) if lead is None else lead
                at_lead.append(s.evidence(a.retrieval, a.sentences, a.typed, lead).vector())
            y.append(label)
            fold.append(f)
            kind.append(k)
        print(f"fold {f}: {k} {len(rows)}", flush=True)
    Y, F, K = np.array(y), np.array(fold), np.array(kind)
    sets = {"evidence (the shipped signals)": np.array(base),
            "+ soft coverage": np.hstack([base, soft])}
    if readers:
        sets["+ reader margin"] = np.hstack([base, margin])
        sets["+ both"] = np.hstack([base, soft, margin])
        sets["evidence at the reader's lead sentence"] = np.array(at_lead)
        sets["evidence at the lead + soft coverage + margin"] = np.hstack([at_lead, soft, margin])
    print(f"\n{len(Y)} questions: " + ", ".join(f"{k} {int((K == k).sum())}" for k in ("answerable",) + KINDS))
    print("| signals | AUC answerable vs held-out | " + " | ".join(
        f"{level}: false, {', '.join(KINDS)}" for level in RATES) + " |")
    print("|---|---|" + "---|" * len(RATES))
    for name, X in sets.items():
        r = cross_fit(X, Y, F, K)
        cells = [", ".join(f"{r[level][k]:.3f}" for k in ("answerable",) + KINDS) for level in RATES]
        print(f"| {name} | {r['auc_held_out']:.3f} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
