"""python -m eval: score citewise on a gold file, or convert SQuAD 2.0 into a corpus + gold."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import citewise  # noqa: F401  (offline environment first)
from citewise.cli import add_answer_options, answer_settings, llm_from_args
from citewise.config import DEFAULT_INDEX, Settings
from citewise.embed import ENCODER_KINDS
from citewise.errors import CitewiseError

from . import metrics, squad

GOLD_DEFAULT = Path(__file__).parent / "gold" / "sample.jsonl"


def _squad_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval squad",
                                     description="Convert SQuAD 2.0 JSON into a corpus folder and gold.jsonl.")
    parser.add_argument("squad_json", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="writes OUT/corpus/*.txt and OUT/gold.jsonl")
    parser.add_argument("--drop-unanswerable", action="store_true", help="leave out impossible questions")
    parser.add_argument("--max-unanswerable", type=int, default=None, help="keep at most N impossible questions")
    args = parser.parse_args(argv)
    data = json.loads(args.squad_json.read_text(encoding="utf-8"))
    files, gold = squad.convert(data, keep_unanswerable=not args.drop_unanswerable,
                                max_unanswerable=args.max_unanswerable)
    squad.write(files, gold, args.out)
    n_unans = sum(1 for g in gold if not g["answers"])
    print(f"Wrote {len(files)} documents to {args.out / 'corpus'} and {len(gold)} questions "
          f"({n_unans} unanswerable) to {args.out / 'gold.jsonl'}")
    return 0


def format_table(m: dict[str, float]) -> str:
    rows = [f"{k:<24} {v:.4f}" if isinstance(v, float) else f"{k:<24} {v}" for k, v in m.items()]
    return "\n".join(rows)


def run(gold: list[dict], index_dir: Path, top_k: int, out: Path | None,
        settings: Settings = Settings(), llm=None) -> dict[str, float]:
    from citewise.pipeline import Searcher

    from .compare import progress

    searcher = Searcher(index_dir, settings)
    predictions = []
    hit1: list[float] = []
    sink = open(out, "w", encoding="utf-8") if out else None
    try:
        for i, g in enumerate(gold, 1):
            pred = {"id": g["id"], **searcher.ask(g["question"], top_k=top_k, llm=llm).to_dict()}
            predictions.append(pred)
            if sink:
                sink.write(json.dumps(pred, ensure_ascii=False) + "\n")
            if g["answers"] and g.get("support"):
                rank = metrics.first_hit_rank(pred["retrieved"], g["support"])
                hit1.append(metrics.hit_at(rank, 1))
            progress(i, len(gold), hit1)
    finally:
        if sink:
            sink.close()
    return metrics.score(gold, predictions)


def _error(message: str) -> int:
    """Say what is wrong in one line, as the CLI does; the exit status for it."""
    print(f"python -m eval: error: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["squad"]:
        return _squad_main(argv[1:])
    if argv[:1] == ["bench"]:
        from .bench import main as bench_main

        return bench_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m eval", description="Score citewise against a gold "
                                     "file. Subcommands: 'squad' converts SQuAD 2.0 JSON; 'bench' measures "
                                     "speed and memory against corpus size (eval/bench.py).")
    parser.add_argument("--gold", type=Path, default=GOLD_DEFAULT, help="gold JSONL (default: the sample set)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--index", type=Path, help="an index built with ingest.py (default: index/)")
    where.add_argument("--corpus", type=Path, help="a folder to index first, into a temporary folder")
    parser.add_argument("--out", type=Path, help="write one prediction per line (JSONL)")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--compare", action="store_true",
                        help="run bm25, dense, hybrid, llamaindex-default and citewise side by side")
    parser.add_argument("--report", type=Path, help="with --compare: write metrics.json, runs/, report.md, plots")
    parser.add_argument("--encoder", choices=ENCODER_KINDS, default=Settings().encoder,
                        help="with --corpus: how the model runs when indexing (default %(default)s); an "
                             "index given with --index is queried with the encoder it was built with")
    add_answer_options(parser)
    args = parser.parse_args(argv)
    try:
        settings = Settings(encoder=args.encoder, **answer_settings(args))
    except ValueError as exc:
        parser.error(str(exc))
    if args.report and not args.compare:
        parser.error("--report goes with --compare")
    if args.compare and (args.llm or args.out):
        parser.error("--compare runs the extractive answerer beside the baselines; --llm and --out go "
                     "without --compare")
    if args.top_k < 1:
        parser.error(f"--top-k must be at least 1, got {args.top_k}")
    try:
        gold = list(squad.read_gold(args.gold))
    except ValueError as exc:
        return _error(str(exc))
    if not gold:
        return _error(f"{args.gold} holds no questions")
    if args.out and not args.out.resolve().parent.is_dir():
        return _error(f"--out {args.out}: no folder {args.out.parent}")
    try:
        if args.compare:
            from .compare import command_line, run_compare
            from .report import markdown_table

            index_dir = None if args.corpus else (args.index or DEFAULT_INDEX)
            if index_dir is not None and not (index_dir / "manifest.json").exists():
                from citewise.pipeline import ingest

                ingest(None, index_dir, progress=True)
            table = run_compare(gold, args.corpus, index_dir, settings, args.top_k, args.report, command_line())
            print(markdown_table(table))
            print(json.dumps({s: {k: (None if isinstance(v, float) and v != v else v) for k, v in m.items()}
                              for s, m in table.items()}))
            if args.report:
                print(f"Report: {args.report / 'report.md'}", file=sys.stderr)
            return 0
        if args.corpus:
            from citewise.pipeline import ingest

            with tempfile.TemporaryDirectory() as tmp:
                ingest([args.corpus], Path(tmp) / "index", settings, progress=False)
                result = run(gold, Path(tmp) / "index", args.top_k, args.out, settings, llm_from_args(args))
        else:
            index_dir = args.index or DEFAULT_INDEX
            if args.index is None and not (index_dir / "manifest.json").exists():
                from citewise.pipeline import ingest

                ingest(None, index_dir, progress=True)
            result = run(gold, index_dir, args.top_k, args.out, settings, llm_from_args(args))
    except CitewiseError as exc:
        return _error(str(exc))
    print(format_table(result))
    # NaN (a metric with nothing to average) is written as null: JSON has no NaN.
    print(json.dumps({k: (None if isinstance(v, float) and v != v else v) for k, v in result.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
