"""python -m eval --compare: every system on the same corpus and gold, side by side, and a report."""
from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import metrics
from .systems import citewise_system, relevant_counts, retrieval_system

SYSTEMS = ["bm25", "dense", "hybrid", "llamaindex-default", "citewise"]
ROOT = Path(__file__).resolve().parent.parent


_BUILD = """
import json, resource, sys, time
from pathlib import Path
import citewise
from citewise.config import Settings
from citewise.pipeline import ingest
t0 = time.perf_counter()
ingest([Path(sys.argv[1])], Path(sys.argv[2]), Settings(encoder=sys.argv[3]), progress=False, rebuild=True)
print(json.dumps({"index_build_s": time.perf_counter() - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _build_citewise(corpus: Path, index_dir: Path, encoder: str = "torch") -> dict[str, float]:
    """Ingest in its own process, timed like the baseline (from reading files, model load included)
    and with that process's own peak RSS."""
    out = subprocess.run([sys.executable, "-c", _BUILD, str(corpus), str(index_dir), encoder], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _corpus_of(index_dir: Path, into: Path) -> Path:
    """A folder with the indexed documents under their citewise names, for the baseline to read."""
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    for doc, info in manifest["documents"].items():
        target = into / doc
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(info["path"], target)
    return into


def progress(i: int, n: int, hits: list[float], label: str = "", lines: int = 10) -> None:
    """'label: i/n questions, running hit@1 x' on stderr: one line rewritten on a terminal,
    about `lines` lines in a log."""
    tty = sys.stderr.isatty()
    if tty or i % max(1, n // lines) == 0 or i == n:
        line = f"{label}{': ' if label else ''}{i}/{n} questions, running hit@1 {metrics.mean(hits):.3f}"
        end = "\n" if not tty or i == n else ""
        print("\r" + line if tty else line, end=end, file=sys.stderr, flush=True)


def run_compare(gold: list[dict], corpus: Path | None, index_dir: Path | None, settings, top_k: int,
                report: Path | None, command: str) -> dict[str, dict[str, Any]]:
    from citewise.pipeline import Searcher

    work = Path(tempfile.mkdtemp(prefix="citewise-compare-"))
    try:
        build: dict[str, float] = {}
        if corpus is not None:
            index_dir = work / "index"
            build = _build_citewise(corpus, index_dir, settings.encoder)
        else:
            corpus = _corpus_of(index_dir, work / "corpus")
        searcher = Searcher(index_dir, settings)
        searcher.ask("warm-up: load the model before anything is timed")
        units = [{"id": p.id, "text": p.text, "also_in_text": list(p.also_in_text)} for p in searcher.index.paragraphs]
        n_rel = relevant_counts(units, gold)
        predictions: dict[str, list[dict]] = {}
        for name in ("bm25", "dense", "hybrid", "citewise"):
            fn = citewise_system(searcher, top_k) if name == "citewise" else retrieval_system(searcher, name, top_k)
            preds, hits = [], []
            for i, g in enumerate(gold, 1):
                preds.append({"id": g["id"], **fn(g["question"])})
                if g["answers"]:
                    hits.append(float(bool(preds[-1]["retrieved"]) and metrics.supports(preds[-1]["retrieved"][0],
                                                                                         g["support"])))
                progress(i, len(gold), hits, name, lines=5)
            predictions[name] = preds
        questions = work / "questions.jsonl"
        questions.write_text("".join(json.dumps({"id": g["id"], "question": g["question"]}) + "\n" for g in gold))
        print("llamaindex-default: building and querying in its own process ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "eval.llamaindex_default", str(corpus), str(questions),
                        str(work / "li.json")], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        li = json.loads((work / "li.json").read_text())
        predictions["llamaindex-default"] = [{"id": g["id"], **li["runs"][g["id"]]} for g in gold]
        li_rel = relevant_counts(li["units"], gold)
        table: dict[str, dict[str, Any]] = {}
        for name in SYSTEMS:
            m = metrics.score(gold, predictions[name], li_rel if name == "llamaindex-default" else n_rel)
            if name == "llamaindex-default":
                m.update(index_build_s=li["build_seconds"], peak_rss_mb=li["peak_rss_mb"])
            else:
                # bm25, dense and hybrid are stages of the one citewise index: they share its build.
                m.update(index_build_s=build.get("index_build_s"), peak_rss_mb=build.get("peak_rss_mb"))
            table[name] = m
        if report is not None:
            from .report import write_report

            write_report(report, gold, predictions, table, {"citewise": n_rel, "llamaindex-default": li_rel},
                         units, li["units"], command, settings)
        return table
    finally:
        shutil.rmtree(work, ignore_errors=True)


def machine() -> str:
    return f"{platform.platform()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"


def command_line() -> str:
    return "python -m eval " + " ".join(shlex.quote(a) for a in sys.argv[1:])
