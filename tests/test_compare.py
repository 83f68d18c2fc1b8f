"""python -m eval --compare: every system on one gold set, a report, and agreement with trec_eval."""
import json
import math
import subprocess
import sys

import pytrec_eval

from conftest import ROOT
from eval import metrics


def _read_trec(path):
    run = {}
    for line in path.read_text().splitlines():
        qid, _, doc, rank, score, _ = line.split()
        run.setdefault(qid, {})[doc] = float(score)
    return run


def _read_qrels(path):
    qrels = {}
    for line in path.read_text().splitlines():
        qid, _, doc, rel = line.split()
        qrels.setdefault(qid, {})[doc] = int(rel)
    return qrels


def test_ndcg_and_mrr_agree_with_trec_eval_by_hand():
    qrels = {"q1": {"a": 1, "c": 1}, "q2": {"z": 1}}
    run = {"q1": {"b": 3.0, "a": 2.0, "c": 1.0}, "q2": {"x": 2.0, "y": 1.0}}
    ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut", "recip_rank"})
    res = ev.evaluate(run)
    # q1: relevant at ranks 2 and 3: DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3)
    ours = metrics.ndcg_at([False, True, True], n_relevant=2)
    assert math.isclose(ours, (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3)))
    assert math.isclose(ours, res["q1"]["ndcg_cut_10"], rel_tol=1e-4)
    assert math.isclose(metrics.reciprocal_rank(2), res["q1"]["recip_rank"])
    assert metrics.ndcg_at([False, False], n_relevant=1) == res["q2"]["ndcg_cut_10"] == 0.0


def test_compare_writes_a_report_that_trec_eval_rescores_the_same(sample_index, tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [json.loads(line) for line in (ROOT / "eval" / "gold" / "sample.jsonl").open()]
    rows = rows[:8] + [r for r in rows if not r["answers"]][:2]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = tmp_path / "report"
    out = subprocess.run([sys.executable, "-m", "eval", "--gold", str(gold), "--index", str(sample_index),
                          "--compare", "--report", str(report)], cwd=ROOT, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    table = json.loads((report / "metrics.json").read_text())
    assert list(table) == ["bm25", "dense", "hybrid", "llamaindex-default", "citewise"]
    for name, m in table.items():
        for key in ("hit@1", "hit@5", "hit@10", "mrr", "ndcg@10", "latency_p50_ms", "latency_p95_ms"):
            assert m[key] is not None and (key.startswith("latency") or 0.0 <= m[key] <= 1.0), (name, key)
    assert table["citewise"]["answer_contains_gold"] is not None and table["bm25"]["answer_contains_gold"] is None
    assert table["llamaindex-default"]["index_build_s"] > 0 and table["llamaindex-default"]["peak_rss_mb"] > 100
    for png in ("recall_at_k.png", "latency.png", "abstention.png"):
        assert (report / png).stat().st_size > 10_000
    md = (report / "report.md").read_text()
    assert "python -m eval --gold" in md and "| citewise |" in md and "Failures of citewise" in md
    # trec_eval (pytrec_eval) on the written run and qrels gives citewise's own figures.
    qrels = _read_qrels(report / "qrels.txt")
    for name in ("bm25", "citewise"):
        res = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut", "recip_rank"}).evaluate(
            {q: d for q, d in _read_trec(report / "runs" / f"{name}.trec").items() if q in qrels})
        n = len(qrels)
        assert math.isclose(sum(r["ndcg_cut_10"] for r in res.values()) / n, table[name]["ndcg@10"], rel_tol=1e-4)
        assert math.isclose(sum(r["recip_rank"] for r in res.values()) / n, table[name]["mrr"], rel_tol=1e-4)
