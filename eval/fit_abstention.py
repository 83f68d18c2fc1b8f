"""Fit the abstention model (citewise/abstention.json) on SQuAD 2.0 dev data, never on a test set.

Answerable: SQuAD questions whose support paragraph is indexed. Unanswerable, three kinds:
  - "held-out": questions whose support paragraph was left out of the index while the rest of
    its article is in (same topic, answer absent: what users most often run into);
  - "outside": questions about an article that is not indexed at all;
  - "impossible": SQuAD's own adversarial unanswerable questions.
A logistic regression over the Evidence signals (citewise.answer.Evidence) gives P(answerable);
the threshold is set so that at most --target-false-abstention of answerable questions abstain.

    python -m eval squad ../shared/datasets/squad2/dev-half.json --out /tmp/squad
    python -m eval.fit_abstention --squad-dir /tmp/squad
    python -m eval.fit_abstention --squad-dir /tmp/squad --check   # what ask() does with it and the rules
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

import citewise  # noqa: F401
from citewise.answer import ABSTENTION_MODEL, Evidence
from citewise.chunk import blocks
from citewise.pipeline import Searcher, ingest

from . import metrics, squad

FEATURES = list(Evidence.__dataclass_fields__)


def features(searcher: Searcher, rows: list[dict]) -> np.ndarray:
    return np.array([searcher.analyse(g["question"]).evidence.vector() for g in rows]).reshape(-1, len(FEATURES))


def fit_data(squad_dir: Path, held_out_share: float = 0.25) -> Iterator[tuple[Searcher, list[dict], int, str, int]]:
    """The questions the model is fitted on, as (searcher, questions, label, kind, fold): for each
    half of the articles, an index of that half with `held_out_share` of its paragraphs left out,
    and its answerable, held-out, outside and impossible questions (module docstring). The
    searcher is valid until the next item is drawn (its index lives in a temporary folder)."""
    gold = list(squad.read_gold(squad_dir / "gold.jsonl"))
    articles = sorted({g["article"] for g in gold})
    for fold, indexed in enumerate([articles[0::2], articles[1::2]]):
        rng = np.random.default_rng(fold)
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            kept_text: list[str] = []
            for a in indexed:
                name = f"{squad._slug(a)}.txt"
                text = (squad_dir / "corpus" / name).read_text(encoding="utf-8")
                paras = [text[s:e] for s, e in blocks(text)]
                drop = set(rng.choice(len(paras), size=int(len(paras) * held_out_share), replace=False))
                kept = [p for i, p in enumerate(paras) if i not in drop]
                kept_text += kept
                (corpus / name).write_text("\n\n".join(kept) + "\n", encoding="utf-8")
            ingest([corpus], Path(tmp) / "index", progress=False)
            s = Searcher(Path(tmp) / "index")

            inside = [g for g in gold if g["article"] in indexed]
            kept_rows = [{"text": p} for p in kept_text]
            answerable, held_out = [], []
            for g in (g for g in inside if g["answers"]):
                if any(metrics.supports(p, g["support"]) for p in kept_rows):
                    answerable.append(g)
                elif not any(metrics.answer_contains(p, g["answers"]) for p in kept_text):
                    held_out.append(g)
            impossible = [g for g in inside if not g["answers"]]
            impossible = list(rng.choice(impossible, size=min(len(impossible), len(held_out)), replace=False))
            outside = [g for g in gold if g["article"] not in indexed and g["answers"]]
            outside = list(rng.choice(outside, size=min(len(outside), len(held_out)), replace=False))
            for rows, label, kind in ((answerable, 1, "answerable"), (held_out, 0, "held-out"),
                                      (outside, 0, "outside"), (impossible, 0, "impossible")):
                yield s, rows, label, kind, fold


def check(squad_dir: Path, held_out_share: float) -> None:
    """Print, per level and kind of question, the share ask() abstains on and the share of those
    abstentions that carry a rule's reason (Answer.reason; the confidence may have sufficed too), on
    the questions the model is fitted on."""
    counts: dict[tuple[str, str], list[int]] = {}
    for s, rows, _, kind, _ in fit_data(squad_dir, held_out_share):
        for g in rows:
            for level in ("strict", "balanced"):
                a = s.ask(g["question"], abstain=level)
                c = counts.setdefault((level, kind), [0, 0, 0])
                c[0] += 1
                c[1] += a.abstained
                c[2] += a.abstained and a.reason is not None
    for (level, kind), (n, abstained, by_rule) in sorted(counts.items()):
        print(f"{level:<9} {kind:<11} n={n:5d} abstained {abstained / n:.3f} (with a rule's reason {by_rule / n:.3f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad-dir", type=Path, required=True, help="output of `python -m eval squad`")
    ap.add_argument("--balanced", type=float, default=0.04,
                    help="share of answerable dev questions that --abstain balanced may refuse")
    ap.add_argument("--strict", type=float, default=0.10,
                    help="share of answerable dev questions that --abstain strict may refuse")
    ap.add_argument("--held-out-share", type=float, default=0.25)
    ap.add_argument("--check", action="store_true",
                    help="fit nothing: report how often ask() abstains on each kind of question at each level, "
                         "with the shipped model and the rules beside it (unknown names and identifiers, no "
                         "amount of money for a question about cost)")
    args = ap.parse_args()
    if args.check:
        check(args.squad_dir, args.held_out_share)
        return
    from sklearn.linear_model import LogisticRegression

    X, y, group = [], [], []
    for s, rows, label, kind, _ in fit_data(args.squad_dir, args.held_out_share):
        X.append(features(s, rows))
        y += [label] * len(rows)
        group += [kind] * len(rows)
    X, y, group = np.vstack(X), np.array(y), np.array(group)
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(X, y)
    p = clf.predict_proba(X)[:, 1]
    # Each level's threshold: the highest that abstains on at most its share of answerable questions.
    thresholds = {"strict": float(np.quantile(p[y == 1], args.strict)),
                  "balanced": float(np.quantile(p[y == 1], args.balanced)),
                  "never": 0.0}
    model = {"bias": float(clf.intercept_[0]), "weights": [float(w) for w in clf.coef_[0]],
             "features": FEATURES, "thresholds": thresholds,
             "fitted_on": "SQuAD 2.0 dev half (shared/datasets/squad2/dev-half.json): 2 folds of 4 indexed "
                          "articles with 25% of paragraphs held out; eval/fit_abstention.py"}
    report = {}
    for level, t in thresholds.items():
        for kind in ("answerable", "held-out", "outside", "impossible"):
            m = group == kind
            report.setdefault(level, {})[kind] = {"n": int(m.sum()), "abstained": round(float((p[m] < t).mean()), 4)}
            print(f"{level:<9} {kind:<11} n={m.sum():5d} abstained {(p[m] < t).mean():.3f}")
    model["fit_report"] = report
    ABSTENTION_MODEL.write_text(json.dumps(model, indent=2) + "\n")
    print(json.dumps(model, indent=2))


if __name__ == "__main__":
    main()
