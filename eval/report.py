"""The comparison report: metrics.json, TREC runs and qrels, report.md and its plots."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import metrics

TABLE_COLUMNS = ["hit@1", "hit@5", "hit@10", "mrr", "ndcg@10", "answer_contains_gold", "short_answer_em",
                 "short_answer_f1", "citation_precision", "citation_recall", "abstention_recall",
                 "abstention_precision", "false_abstention_rate", "latency_p50_ms", "latency_p95_ms", "index_build_s",
                 "peak_rss_mb"]


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return f"{v:.3f}" if isinstance(v, float) and abs(v) < 10 else (f"{v:.1f}" if isinstance(v, float) else str(v))


def markdown_table(table: dict[str, dict[str, Any]]) -> str:
    head = "| system | " + " | ".join(TABLE_COLUMNS) + " |"
    rule = "|" + "---|" * (len(TABLE_COLUMNS) + 1)
    rows = [f"| {name} | " + " | ".join(_fmt(m.get(c)) for c in TABLE_COLUMNS) + " |" for name, m in table.items()]
    return "\n".join([head, rule, *rows])


def write_trec(path: Path, predictions: list[dict], system: str) -> None:
    """TREC run format: qid Q0 docid rank score tag (scores strictly decrease with rank)."""
    with open(path, "w", encoding="utf-8") as f:
        for p in predictions:
            n = len(p["retrieved"])
            for rank, r in enumerate(p["retrieved"], 1):
                f.write(f"{p['id']} Q0 {r['id']} {rank} {n - rank + 1} {system}\n")


def write_qrels(path: Path, gold: list[dict], units: list[dict]) -> None:
    """TREC qrels: qid 0 docid 1 for every unit (paragraph or chunk) that holds a support snippet."""
    with open(path, "w", encoding="utf-8") as f:
        for g in gold:
            if g["answers"]:
                for u in units:
                    if metrics.supports(u, g["support"]):
                        f.write(f"{g['id']} 0 {u['id']} 1\n")


def _save(fig, ax, out: Path, name: str, files: list[str], legend: bool = True, grid_axis: str = "both") -> None:
    """The common tail of every plot: grid, legend, layout, PNG, close."""
    import matplotlib.pyplot as plt

    ax.grid(alpha=0.3, axis=grid_axis)
    if legend:
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / name, dpi=120)
    files.append(name)
    plt.close(fig)


def _plots(out: Path, gold: list[dict], predictions: dict[str, list[dict]], settings) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    answerable = {g["id"]: g for g in gold if g["answers"]}
    files = []
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, preds in predictions.items():
        ranks = [metrics.first_hit_rank(p["retrieved"], answerable[p["id"]]["support"])
                 for p in preds if p["id"] in answerable]
        ks = list(range(1, 11))
        ax.plot(ks, [metrics.mean([metrics.hit_at(r, k) for r in ranks]) for k in ks], marker="o", label=name)
    ax.set(xlabel="k (paragraphs or chunks retrieved)", ylabel="hit@k (recall of a supporting unit)",
           title="Recall@k per system", xticks=list(range(1, 11)))
    _save(fig, ax, out, "recall_at_k.png", files)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    names = list(predictions)
    ax.boxplot([[p["timings_ms"]["total"] for p in predictions[n]] for n in names], showfliers=True)
    ax.set_xticks(range(1, len(names) + 1), names, rotation=15)
    ax.set(yscale="log", ylabel="latency per question (ms, log scale)", title="Latency distribution")
    _save(fig, ax, out, "latency.png", files, legend=False, grid_axis="y")

    preds = predictions["citewise"]
    unans = {g["id"] for g in gold if not g["answers"]}
    if unans and any(p.get("confidence") is not None for p in preds):
        from citewise.answer import abstain_threshold

        thresholds = [i / 100 for i in range(0, 101)]
        precision, recall = [], []
        for t in thresholds:
            abstained = [p["id"] for p in preds if (p.get("confidence") or 0.0) < t]
            hit = sum(1 for q in abstained if q in unans)
            precision.append(hit / len(abstained) if abstained else float("nan"))
            recall.append(hit / len(unans))
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.plot(thresholds, precision, label="abstention precision")
        ax.plot(thresholds, recall, label="abstention recall")
        for level, style in (("balanced", "--"), ("strict", ":")):
            ax.axvline(abstain_threshold(level), color="grey", linestyle=style, label=f"--abstain {level}")
        ax.set(xlabel="threshold on P(answerable)", ylabel="share", ylim=(0, 1.05),
               title="Abstention as the threshold moves (citewise)")
        _save(fig, ax, out, "abstention.png", files)
    return files


def _failures(gold: list[dict], preds: list[dict], limit: int = 50) -> str:
    by_id = {p["id"]: p for p in preds}
    rows = []
    for g in gold:
        p = by_id[g["id"]]
        if g["answers"]:
            ok = (not p["abstained"] and metrics.answer_contains(p["answer"], g["answers"])
                  and bool(p["citations"]) and metrics.supports(p["citations"][0], g["support"]))
        else:
            ok = p["abstained"]
        if not ok:
            cited = ", ".join(c["id"] for c in p["citations"]) or "–"
            gold_answer = " / ".join(g["answers"]) or "(unanswerable)"
            answer = p["answer"].replace("|", "\\|").replace("\n", " ")
            rows.append(f"| {g['id']} | {g['question']} | {gold_answer} | {answer} | {cited} |")
    head = [f"{len(rows)} of {len(gold)} questions failed (answerable: answer lacks a gold answer or the "
            "first citation lacks the support; unanswerable: not abstained).", "",
            "| id | question | gold | answered | cited |", "|---|---|---|---|---|"]
    return "\n".join(head + rows[:limit] + ([f"\n({len(rows) - limit} more in runs/citewise.jsonl)"]
                                            if len(rows) > limit else []))


def write_report(out: Path, gold: list[dict], predictions: dict[str, list[dict]], table: dict[str, dict],
                 n_relevant: dict[str, dict], units: list[dict], li_units: list[dict], command: str,
                 settings) -> None:
    from .compare import machine

    out.mkdir(parents=True, exist_ok=True)
    (out / "runs").mkdir(exist_ok=True)
    clean = {s: {k: (None if isinstance(v, float) and v != v else v) for k, v in m.items()} for s, m in table.items()}
    (out / "metrics.json").write_text(json.dumps(clean, indent=2))
    for name, preds in predictions.items():
        write_trec(out / "runs" / f"{name}.trec", preds, name)
    with open(out / "runs" / "citewise.jsonl", "w", encoding="utf-8") as f:
        for p in predictions["citewise"]:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    write_qrels(out / "qrels.txt", gold, units)
    write_qrels(out / "qrels-llamaindex-default.txt", gold, li_units)
    plots = _plots(out, gold, predictions, settings)
    md = ["# citewise evaluation report", "",
          f"Command: `{command}`", "", f"Machine: {machine()}", "",
          f"Gold: {len(gold)} questions ({sum(1 for g in gold if g['answers'])} answerable).", "",
          "## Systems side by side", "", markdown_table(table), "",
          "bm25, dense and hybrid (fusion without sentence reranking) rank citewise's own paragraphs; "
          "citewise is the full system (fusion, sentence reranking, extractive answer, abstention); "
          "llamaindex-default is `VectorStoreIndex.from_documents` with its default splitter and "
          "`similarity_top_k` (2), with the same embedding model. A hit is a retrieved unit holding a "
          "support snippet; copies of a paragraph count once. Index build time and peak memory are "
          "measured in a separate process per index; bm25, dense and hybrid share citewise's index.", "",
          "Runs (TREC format) are in `runs/`, judgements in `qrels.txt` (citewise paragraphs) and "
          "`qrels-llamaindex-default.txt` (llama-index chunks), so `trec_eval`, `ranx` or `pytrec_eval` "
          "can rescore them.", "",
          "## Plots", "", *[f"![{p}]({p})" for p in plots], "",
          "## Failures of citewise", "", _failures(gold, predictions["citewise"]), ""]
    (out / "report.md").write_text("\n".join(md), encoding="utf-8")
