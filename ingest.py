"""python ingest.py [PATH ...] [--index DIR]: build the citewise index (default: the bundled corpus)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import citewise  # noqa: F401  (sets the offline environment before any model library loads)
from citewise.config import DEFAULT_INDEX, SAMPLE_CORPUS, Settings
from citewise.embed import ENCODER_KINDS
from citewise.errors import CitewiseError


def _current_encoder(index: Path) -> str | None:
    """The encoder the index at `index` was built with; None when there is none to read."""
    from citewise import store

    try:
        return store.index_encoder(store.read_manifest(index))
    except CitewiseError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Index documents (.txt, .md, .html, .pdf, .docx; folders "
                                                 "recursively) for citewise. Re-running it updates the "
                                                 "index: only new or changed paragraphs are embedded.")
    parser.add_argument("paths", nargs="*", type=Path,
                        help=f"files or folders to index (default: the bundled corpus {SAMPLE_CORPUS})")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    parser.add_argument("--rebuild", action="store_true",
                        help="embed everything again instead of reusing unchanged paragraphs")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--encoder", choices=ENCODER_KINDS,
                        help="how the embedding model runs: torch (sentence-transformers), onnx (ONNX Runtime, "
                             "fp32) or onnx-int8 (ONNX Runtime, int8 weights); default: the existing index's, "
                             f"else {Settings().encoder}. Changing it embeds everything again.")
    args = parser.parse_args(argv)
    from citewise.pipeline import ingest

    try:
        settings = Settings(encoder=args.encoder or _current_encoder(args.index) or Settings().encoder)
        report = ingest(args.paths or None, args.index, settings, progress=not args.quiet,
                        log=lambda m: print(m, file=sys.stderr), rebuild=args.rebuild)
    except CitewiseError as exc:
        print(f"ingest.py: error: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
