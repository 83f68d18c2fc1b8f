"""Fit the abstention model (citewise/abstention.json) on SQuAD 2.0 dev data, never on a test set.

Answerable: SQuAD questions whose article is indexed. Unanswerable: (a) questions about articles
that are *not* indexed (the documents do not hold the answer: the common case for users) and
(b) SQuAD's own adversarial impossible questions about the indexed articles. A logistic
regression over the Evidence signals (citewise.answer.Evidence) gives P(answerable).

    python -m eval squad ../shared/datasets/squad2/dev-half.json --out /tmp/squad
    python -m eval.fit_abstention --squad-dir /tmp/squad
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

import citewise  # noqa: F401
from citewise.answer import ABSTENTION_MODEL
from citewise.pipeline import Searcher, ingest

from . import squad


def features(searcher: Searcher, questions: list[str]) -> np.ndarray:
    return np.array([searcher.analyse(q).evidence.vector() for q in questions])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad-dir", type=Path, required=True, help="output of `python -m eval squad`")
    ap.add_argument("--target-false-abstention", type=float, default=0.02)
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression

    gold = list(squad.read_gold(args.squad_dir / "gold.jsonl"))
    articles = sorted({g["article"] for g in gold})
    X, y, group = [], [], []
    # Two folds: index half of the articles, ask the questions of all of them.
    halves = [articles[0::2], articles[1::2]]
    for fold, indexed in enumerate(halves):
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            for a in indexed:
                name = f"{squad._slug(a)}.txt"
                (corpus / name).write_text((args.squad_dir / "corpus" / name).read_text())
            ingest([corpus], Path(tmp) / "index", progress=False)
            s = Searcher(Path(tmp) / "index")
            rng = np.random.default_rng(fold)
            inside = [g for g in gold if g["article"] in indexed]
            answerable = [g for g in inside if g["answers"]]
            impossible = [g for g in inside if not g["answers"]]
            outside = [g for g in gold if g["article"] not in indexed and g["answers"]]
            outside = list(rng.choice(outside, size=min(len(outside), len(answerable)), replace=False))
            impossible = list(rng.choice(impossible, size=min(len(impossible), len(answerable) // 3),
                                         replace=False))
            for rows, label, kind in ((answerable, 1, "answerable"), (outside, 0, "outside"),
                                      (impossible, 0, "impossible")):
                X.append(features(s, [g["question"] for g in rows]))
                y += [label] * len(rows)
                group += [kind] * len(rows)
    X = np.vstack(X)
    y = np.array(y)
    group = np.array(group)
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(X, y)
    p = clf.predict_proba(X)[:, 1]
    # The decision threshold: the highest one that abstains on at most the target share of answerable.
    threshold = float(np.quantile(p[y == 1], args.target_false_abstention))
    model = {"bias": float(clf.intercept_[0]), "weights": [float(w) for w in clf.coef_[0]],
             "features": ["sentence_cosine", "sentence_coverage", "paragraph_coverage", "corpus_coverage",
                          "dense_top", "type_match"],
             "threshold": threshold,
             "fitted_on": "SQuAD 2.0 dev half (shared/datasets/squad2/dev-half.json), 2 folds of 4 indexed "
                          "articles; eval/fit_abstention.py"}
    for kind in ("answerable", "outside", "impossible"):
        m = group == kind
        print(f"{kind:<11} n={m.sum():5d} abstained {(p[m] < threshold).mean():.3f}")
    ABSTENTION_MODEL.write_text(json.dumps(model, indent=2) + "\n")
    print(json.dumps(model, indent=2))


if __name__ == "__main__":
    main()
