"""python ingest.py [PATH ...] [--index DIR] [--store faiss|qdrant ...]: build the citewise index (default: the bundled corpus)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import citewise  # noqa: F401  (sets the offline environment before any model library loads)
from citewise.config import DEFAULT_INDEX, SAMPLE_CORPUS, Settings
from citewise.embed import ENCODER_KINDS
from citewise.errors import CitewiseError
from citewise.qdrant_store import DEFAULT_COLLECTION, QdrantTarget


def _dense_store(args: argparse.Namespace) -> "str | QdrantTarget | None":
    """--store and the --qdrant-* flags as pipeline.ingest's dense_store (None: keep the index's)."""
    located = args.qdrant_url is not None or args.qdrant_path is not None
    if args.store == "faiss" and located:
        raise ValueError("--store faiss takes no --qdrant-url or --qdrant-path")
    if args.store == "qdrant" and not located:
        raise ValueError("--store qdrant needs --qdrant-url URL or --qdrant-path DIR")
    if not located:
        if args.qdrant_collection or args.qdrant_api_key_env or args.qdrant_shards or args.qdrant_replicas:
            raise ValueError("--qdrant-collection, --qdrant-shards, --qdrant-replicas and --qdrant-api-key-env "
                             "need --qdrant-url or --qdrant-path")
        return args.store
    return QdrantTarget(url=args.qdrant_url, path=args.qdrant_path and str(args.qdrant_path),
                        collection=args.qdrant_collection or DEFAULT_COLLECTION, api_key_env=args.qdrant_api_key_env,
                        shards=args.qdrant_shards, replicas=args.qdrant_replicas)


def _current_encoder(index: Path) -> str | None:
    """The encoder the index at `index` was built with; None when there is none to read."""
    from citewise import store

    try:
        return store.index_encoder(store.read_manifest(index))
    except CitewiseError:
        return None


def _inputs_of(index: Path) -> list[Path] | None:
    """What `ingest.py --index INDEX` without paths re-reads: the bundled corpus for a new index;
    for an existing one, the files and folders it was built from (for an index built before they
    were recorded, the bundled corpus if every document comes from it). ValueError when the index
    holds documents those would not give again (uploads through the web UI, or no record), or
    cannot be read: ingesting the bundled corpus over them would remove them."""
    from citewise import store
    from citewise.errors import IndexNotFoundError
    from citewise.uploads import UPLOAD_PREFIX

    store.recover(index)  # an ingest killed mid-swap leaves the index aside: put it back first
    try:
        manifest = store.read_manifest(index)
    except IndexNotFoundError:
        return None
    except CitewiseError as exc:
        raise ValueError(f"no paths given, and {exc}; name the files and folders to index") from exc
    documents = manifest.get("documents", {})
    if manifest.get("inputs"):
        recorded = [Path(p) for p in manifest["inputs"]]
        strays = [d for d in documents if d.startswith(UPLOAD_PREFIX)]  # the other way in: the web UI
    else:
        recorded = [SAMPLE_CORPUS.resolve()]
        strays = [d for d, info in documents.items()
                  if recorded[0] not in Path(info.get("path", "")).parents]
    if strays:
        raise ValueError(f"no paths given, and {index} holds {len(strays)} document(s) that "
                         f"{'the paths it was built from' if manifest.get('inputs') else 'the bundled corpus'} "
                         f"would not give again (e.g. {strays[0]}): name the files and folders to index "
                         f"(python ingest.py PATH ... --index {index})")
    return recorded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Index documents (.txt, .md, .html, .pdf, .docx; folders "
                                                 "recursively) for citewise. Re-running it updates the "
                                                 "index: only new or changed paragraphs are embedded.")
    parser.add_argument("paths", nargs="*", type=Path,
                        help="files or folders to index (default: those the index was built from; for a new "
                             f"index, the bundled corpus {SAMPLE_CORPUS})")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    parser.add_argument("--rebuild", action="store_true",
                        help="embed everything again instead of reusing unchanged paragraphs")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--encoder", choices=ENCODER_KINDS,
                        help="how the embedding model runs: torch (sentence-transformers), onnx (ONNX Runtime, "
                             "fp32) or onnx-int8 (ONNX Runtime, int8 weights); default: the existing index's, "
                             f"else {Settings().encoder}. Changing it embeds everything again.")
    parser.add_argument("--sentence-vectors", choices=("auto", "pooled", "separate"), default="auto",
                        help="pooled: each sentence's vector comes from its paragraph's forward pass (ONNX "
                             "encoders; each paragraph is encoded once); separate: each sentence is encoded "
                             "on its own too; auto (default): the existing index's way, else pooled where the "
                             "encoder can. Changing it embeds everything again.")
    vectors = parser.add_argument_group("where the paragraph vectors go (default: where the index has them; "
                                        "FAISS in the index folder for a new index)")
    vectors.add_argument("--store", choices=["faiss", "qdrant"],
                         help="faiss: in the index folder; qdrant: a Qdrant collection (implied by --qdrant-url/-path)")
    place = vectors.add_mutually_exclusive_group()
    place.add_argument("--qdrant-url", metavar="URL", help="a Qdrant server or cluster, e.g. http://127.0.0.1:6333")
    place.add_argument("--qdrant-path", metavar="DIR", type=Path, help="Qdrant's embedded local mode, in this folder")
    vectors.add_argument("--qdrant-collection", metavar="NAME",
                         help=f"collection name; each ingest writes NAME-g<generation>-<token> "
                              f"(default {DEFAULT_COLLECTION})")
    vectors.add_argument("--qdrant-shards", metavar="N", type=int,
                         help="shards of each new collection on a cluster (default: the server's)")
    vectors.add_argument("--qdrant-replicas", metavar="N", type=int,
                         help="copies of each shard on a cluster (default: the server's)")
    vectors.add_argument("--qdrant-api-key-env", metavar="VAR",
                         help="environment variable holding the Qdrant API key (never give the key itself)")
    args = parser.parse_args(argv)
    try:
        dense_store = _dense_store(args)
    except ValueError as exc:
        parser.error(str(exc))
    from citewise.pipeline import ingest

    try:
        paths = args.paths or _inputs_of(args.index)
        if not args.paths and paths:
            print(f"No paths given: updating {args.index} from what it was built from: "
                  f"{', '.join(map(str, paths))}", file=sys.stderr)
        settings = Settings(encoder=args.encoder or _current_encoder(args.index) or Settings().encoder,
                            sentence_vectors=args.sentence_vectors)
        report = ingest(paths or None, args.index, settings, progress=not args.quiet,
                        log=lambda m: print(m, file=sys.stderr), rebuild=args.rebuild, dense_store=dense_store)
    except (CitewiseError, ValueError) as exc:
        print(f"ingest.py: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        from citewise import store

        saved = store.checkpoint_size(args.index)
        again = "the same command without --rebuild" if args.rebuild else "the same command again"
        print(f"\ningest.py: interrupted; {args.index} is as it was before this run, unless the interruption "
              "came as the new index was being swapped in"
              + (f"; {saved} embedded paragraph(s) are saved beside it, and {again} resumes from them"
                 if saved else ""), file=sys.stderr)
        return 130
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
