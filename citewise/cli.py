"""python -m citewise ask|inspect: the same answers as the web UI, for people or as JSON."""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from .answer import ABSTAIN_LEVELS, unsure_text
from .config import DEFAULT_INDEX, SHORT_ANSWERS, Settings
from .errors import CitewiseError, IndexNotFoundError
from .types import Answer


def open_searcher(index: Path, settings: Settings = Settings(), build_default: bool = True):
    from . import store
    from .pipeline import Searcher, ingest

    store.recover(index)  # an ingest killed mid-swap: its previous index is the one there is
    if build_default and index == DEFAULT_INDEX and not (index / "manifest.json").exists():
        print("No index yet: building index/ from the bundled sample corpus ...", file=sys.stderr)
        ingest(None, index, progress=sys.stderr.isatty())
    searcher = Searcher(index, settings)
    for notice in searcher.notices():
        print(f"note: {notice}", file=sys.stderr)
    return searcher


def add_answer_options(parser: argparse.ArgumentParser) -> None:
    """The answerer options that ask, the evaluation and the UI share."""
    parser.add_argument("--abstain", choices=ABSTAIN_LEVELS, default=Settings().abstain,
                        help="how readily to answer 'the documents do not say' (default %(default)s)")
    parser.add_argument("--short-answers", choices=SHORT_ANSWERS, default=Settings().short_answers,
                        help="how the short answer is found: the trained span reader (which also picks the "
                             "sentence that leads the answer; ~150 ms a question on 2 cores) or the "
                             "rules (~15 ms) (default %(default)s)")
    parser.add_argument("--reader", type=Path, metavar="FILE",
                        help="with the reader: its weights from this file (eval/train_reader.py writes "
                             "one) instead of the shipped ones")
    parser.add_argument("--llm", choices=["openai-compatible", "local"],
                        help="write answers with an LLM (checked against the sources) instead of quoting")
    parser.add_argument("--base-url", help="with --llm openai-compatible: the server, e.g. http://127.0.0.1:11434/v1")
    parser.add_argument("--model", help="with --llm: the model name the server knows")
    parser.add_argument("--api-key-env", metavar="VAR", help="with --llm: environment variable holding the API key")


def answer_settings(args: argparse.Namespace) -> dict[str, str]:
    """The Settings fields the answer options set; ValueError for a reader file that cannot be used."""
    reader = getattr(args, "reader", None)
    stray = [f"--{k.replace('_', '-')}" for k in ("base_url", "model", "api_key_env") if getattr(args, k, None)]
    if stray and not getattr(args, "llm", None):
        raise ValueError(f"{' and '.join(stray)} go with --llm")
    if reader is not None:
        if args.short_answers != "reader":
            raise ValueError("--reader goes with --short-answers reader")
        if not reader.is_file():
            raise ValueError(f"--reader {reader}: no such file")
    return {"abstain": args.abstain, "short_answers": args.short_answers,
            "reader_weights": str(reader.resolve()) if reader else ""}


def llm_from_args(args: argparse.Namespace):
    """The llama-index LLM the answer options ask for, or None for the extractive answerer."""
    if not getattr(args, "llm", None):
        return None
    from .llm import LLMOptions, make_llm

    return make_llm(LLMOptions(kind=args.llm, base_url=args.base_url, model=args.model,
                               api_key_env=args.api_key_env))


def render(answer: Answer) -> str:
    """The answer for people: text with [n] markers, then each cited paragraph."""
    out = [textwrap.fill(answer.answer, 100)]
    if answer.short_answer and not answer.abstained:
        out.insert(0, f"Short answer: {answer.short_answer}")
    if answer.unsure:
        out.insert(0, unsure_text(answer.confidence))
    if answer.reason:
        out.append(f"({answer.reason})")
    if answer.not_in_documents:
        out.append(f"(No indexed document contains: {', '.join(answer.not_in_documents)})")
    if answer.fallback:
        said = (f" Its {len(answer.claims)} sentence(s) are under \"claims\" in --json." if answer.claims
                else " It was empty.")
        out.append(f"(The LLM's reply held no sentence its sources support; this is the quoting answer.{said})")
    elif answer.claims and (left := [c for c in answer.claims if not c.supported]):
        out.append("Not supported by the sources they cite, so left out of the answer:")
        out.extend(textwrap.fill(c.text, 96, initial_indent="  - ", subsequent_indent="    ") for c in left)
    out.append("")
    if answer.abstained:
        out.append("Related paragraphs (not support):")
        for h in answer.retrieved[:3]:
            out.append(f"  - {h.paragraph.doc}, paragraph {h.paragraph.ordinal}: "
                       f"{textwrap.shorten(h.paragraph.text, 160)}")
    else:
        out.append("Sources:")
        for c in answer.citations:
            page = f", p. {c.paragraph.page_at(c.quote_start)}" if c.paragraph.page else ""
            kind = "" if c.paragraph.kind == "article" else f", {c.paragraph.kind}" + (
                f" by {c.paragraph.author}" if c.paragraph.author else "")
            also = f"; also in {', '.join(c.paragraph.also_in)}" if c.paragraph.also_in else ""
            out.append(f"  [{c.n}] {c.paragraph.doc}{page}, paragraph {c.paragraph.ordinal}{kind} "
                       f"(id {c.paragraph.id}, score {c.score:.3f}{also})")
            out.append(textwrap.indent(textwrap.fill(c.paragraph.text, 96), "      "))
    return "\n".join(out)


def document_named(name: str, docs: dict) -> str:
    """The index's name for a document given by that name, by its file's path, or by a file name
    that only one document has ("faq.html" for "web/faq.html"); ValueError lists the names."""
    if name in docs:
        return name
    path = str(Path(name).expanduser().resolve())
    found = [d for d, info in docs.items() if info.get("path") == path]
    if not found and Path(name).name == name:  # a bare file name; a path that matched nothing is no match
        found = [d for d in docs if Path(d).name == name]
    if len(found) == 1:
        return found[0]
    which = "several documents: " + ", ".join(sorted(found)) if found else "no document " + repr(name)
    raise ValueError(f"{which} in this index; documents: {', '.join(sorted(docs))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m citewise",
                                     description="Ask questions of your documents; answers cite paragraphs.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a question")
    ask.add_argument("question")
    ask.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ask.add_argument("--json", action="store_true", help="print exactly one JSON object")
    ask.add_argument("--top-k", type=int, default=Settings().top_k,
                     help="paragraphs retrieved before answering (default %(default)s)")
    add_answer_options(ask)
    insp = sub.add_parser("inspect", help="list every stored paragraph")
    insp.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    insp.add_argument("--json", action="store_true", help="accepted for symmetry with ask: inspect always "
                      "prints one JSON object per line")
    insp.add_argument("--removed", metavar="DOC",
                      help="instead, what cleaning removed from document DOC (its name in the index, its "
                      "file's path, or its file name when no other document has it), with the reason (JSON lines)")
    args = parser.parse_args(argv)
    try:
        if args.command == "ask":
            if args.top_k < 1:
                parser.error("--top-k must be at least 1")
            try:
                settings = Settings(**answer_settings(args))
            except ValueError as exc:
                parser.error(str(exc))
            llm = llm_from_args(args)
            answer = open_searcher(args.index, settings).ask(args.question, top_k=args.top_k, llm=llm)
            if args.json:
                print(json.dumps(answer.to_dict(), ensure_ascii=False))
            else:
                print(render(answer))
        else:
            from . import store

            manifest = store.read_manifest(args.index)
            if args.removed is not None:
                docs = manifest["documents"]
                doc = document_named(args.removed, docs)
                for r in docs[doc].get("removed", []):
                    print(json.dumps({"doc": doc, **r}, ensure_ascii=False))
                return 0
            with open(args.index / store.PARAGRAPHS, encoding="utf-8") as f:
                for line in f:
                    sys.stdout.write(line)
    except (CitewiseError, ValueError) as exc:
        hint = " (build one with: python ingest.py PATH --index DIR)" if isinstance(exc, IndexNotFoundError) else ""
        print(f"citewise: error: {exc}{hint}", file=sys.stderr)
        if args.command == "ask" and args.json:  # a script reading stdout gets one JSON object either way
            print(json.dumps({"error": f"{exc}{hint}", "kind": type(exc).__name__}, ensure_ascii=False))
        return 1
    return 0
