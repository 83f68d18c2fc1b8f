"""The one module that knows the order of the stages: ingest, and ask."""
from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np
from tqdm.auto import tqdm

from . import qdrant_store, store
from .answer import (Evidence, Read, Sentence, abstain_threshold, answerable_probability, as_written,
                     candidate_sentences, compose, context_terms, coverage, heading_text, not_in_documents,
                     recognised, sentence_scores, states, unknown_identifiers, unknown_names)
from .chunk import content_hash
from .dedup import collapse
from .config import DEFAULT_INDEX, FORMAT_VERSION, SAMPLE_CORPUS, Settings, ingest_settings
from .embed import Encoder, get_encoder, kind_of, recipe_of
from .errors import (CitewiseError, EmptyCorpusError, IndexCorruptError, IndexMismatchError, IndexNotFoundError,
                     IndexTargetError)
from .load import SourceFile, Skipped, discover, fingerprint
from .parse import parse_files
from .retrieve import asks_about_comments, demote, hybrid, rerank
from .short import reader_phrase
from .qdrant_store import QdrantTarget
from .qtype import (asked_years, asks_version, counts_other, expected_type, holds_type, holds_version,
                    is_full_sentence, is_version, lacking, named_numbers, of_release, other_role,
                    repeats_question, same_release, serials, short_falls_short, speaking_of_others,
                    tense_clash, titled_version, version_key, without_source_reference, written_serials,
                    years_in)
from .text import Vocabulary, compound_parts, has_cjk, sentence_spans, stem, terms, words
from .types import Answer, Citation, Hit, Paragraph

if TYPE_CHECKING:
    from .reader import Reader


@dataclass
class IngestReport:
    """What ingest did, for the summary it prints."""

    index_dir: Path
    documents: int
    paragraphs: int
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # could not be read this time: kept as indexed before
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old name, new name), same text
    embedded: int = 0  # paragraphs embedded in this run; the rest were reused from the old index
    resumed: int = 0  # of the reused: vectors an earlier ingest made before it was cut short
    duplicates: int = 0
    dense_store: str = "FAISS, in the index folder"
    up_to_date: bool = False  # no file, setting or store changed: the index was left as it was

    def summary(self) -> str:
        if self.up_to_date:
            lines = [f"{self.index_dir} is up to date: none of its {self.documents} document(s) changed "
                     f"({self.paragraphs} paragraph(s)), so nothing was read, embedded or written "
                     f"({self.seconds:.2f}s). --rebuild rebuilds it anyway."]
            if self.skipped:
                lines.append(f"Skipped {len(self.skipped)} file(s), as before:")
                lines += [f"  - {s.path}: {s.reason}" for s in self.skipped]
            return "\n".join(lines)
        lines = [f"Indexed {self.documents} document(s), {self.paragraphs} paragraph(s) "
                 f"into {self.index_dir} in {self.seconds:.1f}s."]
        lines.append(f"  added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, "
                     + (f"renamed {len(self.renamed)}, " if self.renamed else "")
                     + f"unchanged {len(self.unchanged)}"
                     + (f", kept as indexed before {len(self.held)} (see Skipped)" if self.held else "")
                     + f" document(s); embedded {self.embedded} paragraph(s), "
                     f"reused {self.paragraphs - self.embedded}"
                     + (f" ({self.resumed} embedded by an ingest that was cut short)" if self.resumed else "")
                     + f"; {self.duplicates} duplicate paragraph(s) "
                     f"folded into their first copy.")
        lines.append(f"  paragraph vectors: {self.dense_store}")
        for label, docs in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            lines += [f"  {label}: {d}" for d in docs]
        lines += [f"  renamed: {old} -> {new}" for old, new in self.renamed]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} file(s):")
            lines += [f"  - {s.path}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)


def paragraph_terms(p: Paragraph) -> list[str]:
    """A paragraph's BM25 terms: its words and what it is besides them (Paragraph.about)."""
    return terms(f"{p.text}\n{p.about()}")


def _previous(index_dir: Path, manifest: dict | None, settings: Settings, dim: int,
              reuse: bool = True, recipe: int | None = None) -> tuple[dict, dict[str, tuple]]:
    """The old index's documents and an embedding cache {store.reuse_key: (vector, sentence
    vectors)}; no cache when there is no compatible index (another model, encoder, export
    `recipe` or chunking) or `reuse` is off: vectors of two encoders are never mixed in one
    index. Read from the folder alone, so a Qdrant server that is down costs nothing here."""
    if manifest is None:
        return {}, {}
    if not reuse:
        return manifest["documents"], {}
    try:
        store.check_compatible(manifest, settings.model, dim)
    except CitewiseError:
        return {}, {}
    old_settings = manifest["settings"]
    if old_settings.get("max_tokens") != settings.max_tokens or store.index_encoder(manifest) != settings.encoder \
            or manifest.get("encoder_recipe") != recipe \
            or old_settings.get("sentence_vectors", "separate") != settings.sentence_vectors:
        return manifest["documents"], {}
    try:
        cache = store.embedding_cache(index_dir)
        # Another ingest may have swapped in a new index since `manifest` was read: then these
        # vectors are not the ones it describes, and none are reused.
        now = store.read_manifest(index_dir)
        if now.get("created") != manifest.get("created") or store.index_encoder(now) != store.index_encoder(manifest):
            return manifest["documents"], {}
        return manifest["documents"], cache
    except CitewiseError:
        return manifest["documents"], {}


def _embed(paragraphs: Sequence[Paragraph], encoder: Encoder, sentence_vectors: str,
           known: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Paragraph vectors and sentence vectors (all paragraphs' sentences in order), the sentences
    either embedded on their own or pooled from their paragraph's pass (Settings.sentence_vectors).
    `known`: vectors of strings embedded before in this ingest ("separate"; it is added to)."""
    texts = [p.text for p in paragraphs]
    if sentence_vectors == "separate":
        # Each distinct string once: a one-sentence paragraph is its own sentence, and web pages
        # repeat lines (35 of the sample corpus's 65 paragraphs are one sentence: 21% of the
        # characters it would otherwise encode).
        # Paragraphs and sentences go in separate calls, as before this, because int8 activations
        # are quantised per batch: a string's vector shifts slightly with its batch neighbours.
        known = {} if known is None else known
        sentences = [p.text[a:b] for p in paragraphs for a, b in p.sentences]
        for strings in (texts, sentences):
            new = [t for t in dict.fromkeys(strings) if t not in known]
            if new:
                known.update(zip(new, encoder.encode(new)))
        return (np.array([known[t] for t in texts]).reshape(-1, encoder.dim),
                np.array([known[t] for t in sentences]).reshape(-1, encoder.dim))
    if sentence_vectors != "pooled":
        raise ValueError(f"unknown sentence_vectors {sentence_vectors!r}; choose auto, separate or pooled")
    if not hasattr(encoder, "encode_spans"):
        raise ValueError(f"sentence_vectors='pooled' needs an ONNX encoder (onnx or onnx-int8), not "
                         f"{kind_of(encoder, 'this one')!r}")
    vectors, pooled = encoder.encode_spans(texts, [p.sentences for p in paragraphs])
    return vectors, np.vstack(pooled) if pooled else np.zeros((0, encoder.dim), dtype=np.float32)


EMBED_PART = 256  # paragraphs per encoder call: the progress bar moves every this many paragraphs
_RELATIVE_YEAR = re.compile(r"\b(?:last|next|this|previous|following|coming|past) year\b|\ba year (?:ago|earlier|later|before)\b",
                            re.I)
CHECKPOINT_EVERY_S = 30.0  # an ingest cut short loses about this much embedding, plus one part


def _embed_parts(paragraphs: Sequence[Paragraph], encoder: Encoder, sentence_vectors: str, progress: bool,
                 checkpoint: Callable[[Sequence[Paragraph], np.ndarray, np.ndarray], None] | None = None,
                 part: int | None = None, every_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """_embed over parts of `part` paragraphs (EMBED_PART), longest first; what was embedded since
    the last checkpoint is handed to `checkpoint` every `every_s` seconds (CHECKPOINT_EVERY_S),
    never after the last part: the index itself is written next. Results are in input order."""
    part = part or EMBED_PART
    every_s = CHECKPOINT_EVERY_S if every_s is None else every_s
    # Parts of similar lengths pad little (the encoder batches each part by length), and the
    # longest first make the progress bar's estimate err on the long side.
    order = sorted(range(len(paragraphs)), key=lambda i: -len(paragraphs[i].text))
    vectors: list[np.ndarray | None] = [None] * len(paragraphs)
    sentences: list[np.ndarray | None] = [None] * len(paragraphs)
    known: dict[str, np.ndarray] = {}
    saved, last = 0, time.monotonic()  # paragraphs (in `order`) already checkpointed, and when
    with tqdm(total=len(paragraphs), desc="Embedding", unit="paragraph", disable=not progress) as bar:
        for start in range(0, len(order), part):
            rows = order[start:start + part]
            v, s = _embed([paragraphs[i] for i in rows], encoder, sentence_vectors, known)
            at = 0
            for j, i in enumerate(rows):
                vectors[i], sentences[i] = v[j], s[at:at + len(paragraphs[i].sentences)]
                at += len(paragraphs[i].sentences)
            bar.update(len(rows))
            end = start + len(rows)
            if checkpoint is not None and end < len(order) and time.monotonic() - last >= every_s:
                done = order[saved:end]
                checkpoint([paragraphs[i] for i in done], np.vstack([vectors[i] for i in done]),
                           np.vstack([sentences[i] for i in done]))
                saved, last = end, time.monotonic()
    dim = encoder.dim
    return (np.vstack(vectors) if vectors else np.zeros((0, dim), np.float32),
            np.vstack(sentences) if sentences else np.zeros((0, dim), np.float32))


def ingest(paths: Sequence[Path] | None = None, index_dir: Path = DEFAULT_INDEX,
           settings: Settings = Settings(), encoder: Encoder | None = None,
           progress: bool = True, log: Callable[[str], None] = lambda m: None,
           rebuild: bool = False, dense_store: str | QdrantTarget | None = None) -> IngestReport:
    """Read, clean, split, embed and index documents; the index is swapped in only when complete.

    Unless `rebuild`, paragraphs whose text is unchanged since the previous index reuse its
    vectors, so a re-ingest embeds only what is new or changed. `dense_store` is where the
    paragraph vectors go: "faiss" (in the index folder), a QdrantTarget, or None for the store the
    existing index uses (FAISS for a new one).
    """
    files, skipped = discover([Path(p) for p in (paths or [SAMPLE_CORPUS])])
    return ingest_files(files, skipped, index_dir, settings, encoder, progress, log, rebuild,
                        where=", ".join(map(str, paths or [SAMPLE_CORPUS])), dense_store=dense_store,
                        inputs=[str(Path(p).resolve()) for p in (paths or [SAMPLE_CORPUS])])


def _live_manifest(index_dir: Path) -> dict | None:
    try:
        return store.read_manifest(index_dir)
    except CitewiseError:
        return None


def _dense_target(dense_store: str | QdrantTarget | None, old_manifest: dict | None) -> str | QdrantTarget:
    """Where this ingest puts the vectors; by default where the existing index has them."""
    if dense_store is None:
        record = (old_manifest or {}).get("store")
        return QdrantTarget.from_record(record) if record else "faiss"
    if dense_store == "faiss" or isinstance(dense_store, QdrantTarget):
        return dense_store
    raise ValueError(f"dense_store must be 'faiss', a QdrantTarget or None, got {dense_store!r}")


def sentence_mode(settings: Settings, kind: str, encoder: Encoder | None, live: dict | None, rebuild: bool,
                  resuming: dict | None = None) -> str:
    """How this ingest makes sentence vectors (Settings.sentence_vectors). "auto" keeps the way of
    an ingest cut short that this one resumes (`resuming`: its checkpoint's stamp), else the live
    index's, when their vectors can be reused (same model, encoder and chunking, no --rebuild), so
    that adding one file never re-embeds the rest; otherwise, and whenever the encoder cannot pool
    (torch, or a wrapper without encode_spans), it pools where the encoder can (ONNX) and embeds
    sentences on their own where it cannot."""
    if settings.sentence_vectors != "auto":
        return settings.sentence_vectors
    from .onnx_encoder import KINDS

    can_pool = hasattr(encoder, "encode_spans") if encoder is not None else kind in KINDS
    fresh = "pooled" if can_pool else "separate"
    if rebuild:
        return fresh
    this = (settings.model, kind, settings.max_tokens)  # what vectors must match to be reused
    # The checkpoint's parts are used only with its exact stamp (read_checkpoint); those it would
    # throw away must not choose the mode either.
    if resuming and resuming.get("sentence_vectors") in ("pooled", "separate") \
            and (resuming.get("model"), resuming.get("encoder"), resuming.get("max_tokens")) == this:
        return resuming["sentence_vectors"] if can_pool else "separate"
    if live is not None and (live.get("model"), store.index_encoder(live),
                             (live.get("settings") or {}).get("max_tokens")) == this:
        # A manifest from before sentence_vectors was recorded was built with separate ones.
        mode = (live.get("settings") or {}).get("sentence_vectors", "separate")
        return mode if can_pool else "separate"
    return fresh


def _up_to_date(index_dir: Path, old: dict | None, settings: Settings, target: str | QdrantTarget,
                sources: str | None, dim: int | None) -> bool:
    """Whether the live index was built from exactly these files (bytes, names and places) by this
    code (load.fingerprint), with the same index-shaping settings (config.INGEST_FIELDS; the others
    only shape answers), into this store, with vectors of this size, and is whole on disk: then
    ingest has nothing to do."""
    if not old or sources is None or old.get("sources") != sources:
        return False
    record = old.get("store")
    same_store = QdrantTarget.from_record(record) == target if record else target == "faiss"
    return (old.get("format_version") == FORMAT_VERSION and same_store
            and ingest_settings(old.get("settings") or {}) == ingest_settings(settings.to_dict())
            and (dim is None or old.get("dimension") == dim) and store.looks_whole(index_dir, old))


def _unchanged(index_dir: Path, old: dict, t0: float) -> IngestReport:
    docs = sorted(old["documents"])
    report = IngestReport(index_dir, len(docs), int(old.get("paragraph_count", 0)),
                          [Skipped(s["path"], s["reason"]) for s in old.get("skipped", [])],
                          unchanged=docs, up_to_date=True)
    record = old.get("store")
    if record:
        report.dense_store = f"{QdrantTarget.from_record(record).where}, collection {record['collection']}"
    report.seconds = time.perf_counter() - t0
    return report


def ingest_files(files: Sequence[SourceFile], skipped: list[Skipped], index_dir: Path = DEFAULT_INDEX,
                 settings: Settings = Settings(), encoder: Encoder | None = None, progress: bool = True,
                 log: Callable[[str], None] = lambda m: None, rebuild: bool = False,
                 where: str = "the given files", dense_store: str | QdrantTarget | None = None,
                 keep_rest: bool = False, drop: Sequence[str] = (),
                 inputs: Sequence[str] | None = None) -> IngestReport:
    """ingest() for files already named (doc names kept as given): what the index will hold.
    `inputs`: the files and folders they were found in, recorded in the manifest (None: kept as
    the live index records them).
    `keep_rest`: every other document of the live index is kept as the index holds it (not
    re-read), less the documents named in `drop`, which must be there. Both are read from the live
    index under the lock, so that a change made meanwhile by another ingest is not undone. A
    folder that is not an index is refused before any work; one ingest at a time per index."""
    store.check_target(Path(index_dir))
    if isinstance(dense_store, QdrantTarget) and dense_store.path:
        inside = Path(dense_store.path).resolve()
        if inside == Path(index_dir).resolve() or Path(index_dir).resolve() in inside.parents:
            # Each ingest writes a new index folder and deletes the old one, with this in it.
            raise IndexTargetError(f"--qdrant-path {dense_store.path} is inside the index folder {index_dir}, "
                                   "which every ingest replaces; put it beside the index instead")
    with store.locked(Path(index_dir), log):
        return _ingest_files(files, skipped, Path(index_dir), settings, encoder, progress, log, rebuild, where,
                             dense_store, keep_rest, drop, inputs)


def _ingest_files(files: Sequence[SourceFile], skipped: list[Skipped], index_dir: Path, settings: Settings,
                  encoder: Encoder | None, progress: bool, log: Callable[[str], None], rebuild: bool,
                  where: str, dense_store: str | QdrantTarget | None, keep_rest: bool,
                  drop: Sequence[str], inputs: Sequence[str] | None = None) -> IngestReport:
    t0 = time.perf_counter()
    skipped = list(skipped)
    index_dir = Path(index_dir)
    store.recover(index_dir)  # an earlier ingest cut short mid-swap: its old index is the live one
    old_manifest = _live_manifest(index_dir)
    qdrant_store.settle(index_dir, old_manifest, log)  # collections an earlier ingest left unused
    target = _dense_target(dense_store, old_manifest)
    old_store = (old_manifest or {}).get("store")
    # Nothing changed since the live index was built: say so instead of rebuilding it (a re-run
    # of ingest on an unchanged folder costs a hash of each file, not a re-read of every paragraph).
    indexed = (old_manifest or {}).get("documents", {})
    for doc in drop:
        if doc not in indexed:
            raise CitewiseError(f"the index holds no document named {doc!r}")
    names = {f.doc for f in files}
    kept = [d for d in indexed if d not in names and d not in drop] if keep_rest else []
    # An index that keeps documents without reading them was not built from files alone: it is
    # never "up to date" with a folder.
    sources = None if kept else fingerprint(files, skipped)
    kind = kind_of(encoder, settings.encoder) if encoder is not None else settings.encoder
    settings = replace(settings, sentence_vectors=sentence_mode(settings, kind, encoder, old_manifest, rebuild,
                                                                store.checkpoint_stamp(index_dir)))
    if not rebuild and _up_to_date(index_dir, old_manifest, replace(settings, encoder=kind), target, sources,
                                   encoder.dim if encoder is not None else None):
        store.remove_stale(index_dir)  # what a crashed ingest left beside it, as a full ingest would
        store.clear_checkpoint(index_dir)
        return _unchanged(index_dir, old_manifest, t0)
    if isinstance(target, QdrantTarget):
        qdrant_store.connect(target, create=True)  # an unreachable server fails now, not after embedding
    encoder = encoder or get_encoder(settings.model, settings.batch_size, settings.encoder)
    settings = replace(settings, encoder=kind_of(encoder, settings.encoder))  # the manifest tells the truth
    recipe = recipe_of(encoder, settings.encoder)
    old_docs, cache = _previous(index_dir, old_manifest, settings, encoder.dim, not rebuild, recipe)
    report = IngestReport(Path(index_dir), 0, 0, skipped)
    read: list[tuple[SourceFile, list[Paragraph], dict, str]] = []
    failed: list[tuple[SourceFile, str]] = []  # not indexed this time, with the reason
    read_errors = False
    parsed = parse_files(files, settings.max_tokens, encoder.count_tokens,
                         getattr(encoder, "count_tokens_many", None), log=log)
    for f, got in zip(files, tqdm(parsed, total=len(files), desc="Reading files", unit="file",
                                  disable=not progress or len(files) < 2)):
        if not got.pieces:
            failed.append((f, got.reason))
            read_errors = read_errors or got.error
            continue
        entry = {"path": str(f.path.resolve()), "hash": got.digest, "paragraphs": len(got.pieces),
                 "chars": got.chars, "removed": [r.to_dict() for r in got.removed]}
        status = ("added" if f.doc not in old_docs else
                  "changed" if old_docs[f.doc].get("hash") != got.digest else "unchanged")
        read.append((f, got.pieces, entry, status))
    if read_errors:
        sources = None  # a read error may pass next time: never call this index up to date
    # A document indexed before whose file cannot be read now (or reads empty) keeps its indexed
    # version: a passing error (a file locked, emptied while being rewritten, a disk not mounted)
    # must not cost it. Only where the stored paragraphs can be read: a damaged index holds nothing
    # to keep, and must not stop the ingest that mends it.
    held = [f.doc for f, _ in failed if f.doc in indexed]
    try:  # one pass over the stored paragraphs for both
        stored = stored_documents(index_dir, old_manifest, kept + held) if kept or held else {}
    except IndexCorruptError:
        if kept:  # documents to keep unread that cannot be read at all: say so
            raise
        stored, held = {}, []
    for f, reason in failed:
        skipped.append(Skipped(str(f.path), reason + ("; the version indexed before is kept" if f.doc in held else "")))
    paragraphs: list[Paragraph] = []
    documents: dict[str, dict] = {}
    for doc, pieces in stored.items():
        documents[doc] = {k: v for k, v in indexed[doc].items() if k != "duplicates"}
        if doc in kept:
            report.unchanged.append(doc)
        elif doc in held:
            report.held.append(doc)
        paragraphs.extend(pieces)
    for f, pieces, entry, status in read:
        documents[f.doc] = entry
        getattr(report, status).append(f.doc)
        paragraphs.extend(pieces)
    report.removed = sorted(set(old_docs) - set(documents))
    # A document gone and one added with the same text: a file renamed or moved (its vectors are reused).
    gone = {old_docs[d].get("hash"): d for d in report.removed if old_docs[d].get("hash")}
    for doc in list(report.added):
        was = gone.pop(documents[doc].get("hash"), None)
        if was is not None:
            report.renamed.append((was, doc))
            report.added.remove(doc)
            report.removed.remove(was)
    if not paragraphs:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:5]) or "no files found"
        raise EmptyCorpusError(f"nothing to index in {where} ({reasons}); the previous index, if any, "
                               "is unchanged")
    by_id = {p.id: p for p in paragraphs}
    paragraphs, copies = collapse(paragraphs)
    for copy, canonical in copies.items():
        # Where the copy sits in its document, so that it can be rebuilt without the file.
        c = by_id[copy]
        documents[c.doc].setdefault("duplicates", []).append(
            {"id": copy, "same_as": canonical, "start": c.start, "end": c.end}
            | ({"page": c.page} if c.page is not None else {}))
    keys = [store.reuse_key(p) for p in paragraphs]
    # What an ingest cut short embedded with these settings is used as the old index's vectors are.
    stamp = {"model": settings.model, "encoder": settings.encoder, "recipe": recipe, "dimension": encoder.dim,
             "max_tokens": settings.max_tokens, "sentence_vectors": settings.sentence_vectors}
    if rebuild:
        store.clear_checkpoint(index_dir)
    resumed = store.read_checkpoint(index_dir, stamp)
    report.resumed = sum(1 for k in keys if k in resumed and k not in cache)
    cache = {**resumed, **cache}
    todo = [i for i, k in enumerate(keys) if k not in cache]
    log(f"{len(paragraphs)} paragraphs from {len(documents)} documents ({len(copies)} duplicates folded); "
        f"embedding {len(todo)}, reusing {len(paragraphs) - len(todo)}"
        + (f" ({report.resumed} embedded by an ingest that was cut short)" if report.resumed else "") + " ...")

    saving = [True]  # until a checkpoint cannot be written

    def checkpoint(done: Sequence[Paragraph], vectors: np.ndarray, sentence_vectors: np.ndarray) -> None:
        if not saving[0]:
            return
        try:
            store.write_checkpoint(index_dir, stamp, [store.reuse_key(p) for p in done], vectors,
                                   sentence_vectors)
        except OSError as exc:
            # Progress is a convenience: the ingest goes on without it (the index has its own checks).
            saving[0] = False
            log(f"Progress could not be saved beside the index ({exc.strerror or exc}); going on without "
                "it: an ingest cut short from here starts its embedding again")

    fresh, fresh_sentences = _embed_parts([paragraphs[i] for i in todo], encoder, settings.sentence_vectors,
                                          progress, checkpoint)
    offsets = store.sentence_offsets([paragraphs[i] for i in todo])
    for j, i in enumerate(todo):
        cache[keys[i]] = (fresh[j], fresh_sentences[offsets[j]:offsets[j + 1]])
    vectors = np.vstack([cache[k][0] for k in keys]).astype(np.float32)
    sentence_vectors = np.vstack([cache[k][1] for k in keys]).astype(np.float32)
    lexical = store.build_lexical([paragraph_terms(p) for p in paragraphs])
    try:
        if isinstance(target, QdrantTarget):
            # A new collection; the manifest that names it is swapped in with the folder, and settle()
            # then drops whichever of the old and new collections no live manifest names.
            dense = qdrant_store.write(index_dir, target, vectors, paragraphs, old_store, log)
            report.dense_store = f"{target.where}, collection {dense.collection}"
        else:
            dense = store.build_dense(vectors, settings.exact_max)
            if old_store:
                qdrant_store.mark(index_dir, old_store)
        manifest = store.make_manifest(settings, encoder.dim, paragraphs, documents,
                                       [{"path": s.path, "reason": s.reason} for s in skipped],
                                       None if isinstance(target, QdrantTarget) else store.dense_kind(dense),
                                       None if isinstance(target, QdrantTarget) else store.dense_params(dense))
        if isinstance(target, QdrantTarget):
            manifest["store"] = dense.record()
        manifest["sources"], manifest["encoder_recipe"] = sources, recipe
        recorded = list(inputs) if inputs is not None else (old_manifest or {}).get("inputs")
        if recorded is not None:
            manifest["inputs"] = recorded  # what a later `ingest.py --index DIR` without paths re-reads
        store.save(index_dir, manifest, paragraphs, dense, lexical, sentence_vectors, vectors)
        store.clear_checkpoint(index_dir)
    finally:
        qdrant_store.settle(index_dir, _live_manifest(index_dir), log)
    report.documents, report.paragraphs = len(documents), len(paragraphs)
    report.embedded, report.duplicates = len(todo), len(copies)
    report.seconds = time.perf_counter() - t0
    return report


def stored_documents(index_dir: Path, manifest: dict, docs: Sequence[str]) -> dict[str, list[Paragraph]]:
    """The paragraphs of `docs` as the index holds them, in order, without reading their files
    (which may have moved since): stored rows, and the copies folded into another document's
    paragraph rebuilt from its `also_in` text. Raises IndexCorruptError when some are missing."""
    wanted = set(docs)
    out: dict[str, list[Paragraph]] = {d: [] for d in docs}
    places = {c["id"]: c for d in docs for c in manifest["documents"][d].get("duplicates", [])}
    for p in store.stored_paragraphs(index_dir):
        if p.doc in wanted:
            out[p.doc].append(replace(p, also_in=(), also_in_text=()))
        for copy_id, text in zip(p.also_in, p.also_in_text):
            doc, _, ordinal = copy_id.rpartition("#")
            if doc in wanted:
                # Where the copy sits was recorded with it; an index from before that knows only
                # its text (the original's place and page would be another document's).
                where = places.get(copy_id, {})
                start = where.get("start", 0)
                out[doc].append(Paragraph(id=copy_id, doc=doc, ordinal=int(ordinal), text=text, start=start,
                                          end=where.get("end", start + len(text)), hash=content_hash(text),
                                          sentences=tuple(sentence_spans(text)) or ((0, len(text)),),
                                          kind=p.kind, author=p.author, page=where.get("page"), heads=p.heads))
    for doc, found in out.items():
        found.sort(key=lambda p: p.ordinal)
        if len(found) != manifest["documents"][doc]["paragraphs"]:
            raise IndexCorruptError(f"{index_dir} is inconsistent: {doc} has {len(found)} of its "
                                    f"{manifest['documents'][doc]['paragraphs']} paragraphs; rebuild it with ingest.py --rebuild")
    return out


def add_documents(index_dir: Path, new: Sequence[SourceFile], settings: Settings = Settings(),
                  encoder: Encoder | None = None, progress: bool = False) -> IngestReport:
    """Add (or replace, by document name) files in an existing index. The other documents are
    kept as the index holds them, whether or not their files are still where they were read."""
    return ingest_files(list(new), [], index_dir, settings, encoder, progress, where="the uploaded files",
                        keep_rest=True)


def remove_document(index_dir: Path, doc: str, settings: Settings = Settings(),
                    encoder: Encoder | None = None) -> IngestReport:
    """Drop one document from every structure of the index (its file need not exist); the others
    are kept as the index holds them."""
    return ingest_files([], [], index_dir, settings, encoder, False, where=f"the index without {doc}",
                        keep_rest=True, drop=[doc])


class Searcher:
    """A loaded index plus the encoder; answers questions. Reloads when the index is swapped."""

    def __init__(self, index_dir: Path = DEFAULT_INDEX, settings: Settings = Settings(),
                 encoder: Encoder | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self._encoder = encoder
        self._given = encoder is not None
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._index: store.Index | None = None
        self._df: dict[str, int] = {}
        self._n = 0  # paragraphs in the loaded index; with _df, what idf() reads
        self._vocabulary: tuple[dict, Vocabulary, set[str], dict[str, str]] | None = None  # _lookup()
        self.log: Callable[[str], None] = lambda m: None  # told when a new index is taken up (app.py)
        store.recover(self.index_dir)
        import faiss

        # One question is one small search: a second OpenMP thread buys little on an idle machine
        # and costs several times over on a busy one (measured 4x at 100k vectors on 2 busy cores);
        # concurrent questions use the cores instead.
        faiss.omp_set_num_threads(1)
        _ = self.index  # load now, so that a missing or mismatched index fails at start
        # The reader too (once per process), for the same reason.
        short_answerer(settings.short_answers, settings.reader_weights)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = get_encoder(self.settings.model, self.settings.batch_size, self.settings.encoder)
        return self._encoder

    def _follow_encoder(self, manifest: dict) -> None:
        """Embed questions with the encoder the index was built with (it may change when a
        re-ingest swaps in an index built with another one); an encoder handed in that differs is
        refused rather than mixed."""
        built = store.index_encoder(manifest)
        if self._encoder is not None and kind_of(self._encoder, self.settings.encoder) == built:
            self.settings = replace(self.settings, encoder=built)
            return
        if self._given:
            raise IndexMismatchError(f"index {self.index_dir} was embedded with the {built!r} encoder, but this "
                                     f"searcher was given a {kind_of(self._encoder, self.settings.encoder)!r} one")
        if built != self.settings.encoder:
            self.settings, self._encoder = replace(self.settings, encoder=built), None

    @property
    def index(self) -> store.Index:
        """The loaded index, reloaded when ingest has swapped in a new one. While a swap is under
        way (no manifest for an instant, or files of two versions) the loaded index keeps serving."""
        try:
            st = (self.index_dir / store.MANIFEST).stat()
            stamp = (st.st_ino, st.st_mtime_ns)
        except (FileNotFoundError, NotADirectoryError):  # load() below says what is wrong
            stamp = None
        with self._lock:
            if self._index is not None and (stamp is None or stamp == self._loaded_at):
                return self._index
            for attempt in range(3):
                try:
                    # The encoder follows the manifest of the index actually loaded, not one read
                    # before it: an ingest may swap in an index of another encoder in between.
                    index = store.load(self.index_dir)
                    store.check_compatible(index.manifest, self.settings.model)
                    self._follow_encoder(index.manifest)
                    store.check_compatible(index.manifest, self.settings.model, self.encoder.dim)
                    break
                except (IndexCorruptError, IndexNotFoundError):
                    if attempt == 2:
                        if self._index is not None:
                            return self._index
                        raise
                    time.sleep(0.2)
            indptr = np.asarray(index.lexical.scores["indptr"])
            df = np.diff(indptr)
            self._df = {t: int(df[i]) for t, i in index.lexical.vocab_dict.items() if i < len(df)}
            self._parts = compound_parts(t for t, n in self._df.items() if n > 0)
            self._n = len(index.paragraphs)
            if self._index is not None:
                self.log(f"citewise: {self.index_dir} was rebuilt; now serving {len(index.manifest['documents'])} "
                         f"document(s), {self._n} paragraph(s) (built {index.manifest.get('created', '?')})")
            self._index, self._loaded_at = index, stamp
            return self._index

    def idf(self, term: str) -> float:
        """BM25's IDF, log(1 + (N - df + 0.5) / (df + 0.5)) (Robertson & Zaragoza 2009), from the
        statistics taken when the index was loaded (no file check: it runs per term per sentence)."""
        df = self._df.get(term, 0)
        return math.log(1.0 + (self._n - df + 0.5) / (df + 0.5))

    def notices(self) -> list[str]:
        """What a user should know about the loaded index before asking (said at the edges)."""
        if self.index.manifest.get("lexical", store.LEXICAL_SCHEME) == store.LEXICAL_SCHEME:
            return []
        return [f"{self.index_dir} was built by an earlier citewise, which made words into search terms otherwise "
                "(accents, British and American spellings, versions written with a 'v'); run ingest.py on its "
                "documents again (nothing is re-embedded) so that 'Herve' finds 'Hervé', 'center' finds 'centre' "
                "and '2.4.1' finds 'v2.4.1'."]

    def holds(self, term: str) -> bool:
        """Whether an indexed paragraph holds the term: as it is, as a piece of a compound
        ("march" of "march-6a"), or, for a compound of the question, each of its pieces
        ("french-language" where the documents write "French language")."""
        if self._df.get(term, 0) > 0 or term in self._parts:
            return True
        if is_version(term):  # held whole or as its release's ("2.4" ~ "2.4.1"): "1" and "0" are no "1.0"
            key = version_key(term)
            return any(same_release(key, v) for v in self._lookup()[2])
        pieces = [x for x in re.split(r"[\W_]+", term) if x]
        return len(pieces) > 1 and all(self._df.get(stem(x), 0) > 0 or stem(x) in self._parts for x in pieces)

    def _lookup(self) -> tuple[dict, Vocabulary, set[str], dict[str, str], dict[str, frozenset[str]]]:
        """(the term statistics, their Vocabulary, the versions they hold, and documents' titles
        and the years they write, looked up so far) of the loaded index, built on first need. A
        reload swaps in a new _df, and so a new lookup; one begun over the earlier index finishes
        over it."""
        df = self._df
        cached = self._vocabulary
        if cached is None or cached[0] is not df:
            live = [t for t, n in df.items() if n > 0]
            cached = (df, Vocabulary(live), named_numbers(live), {}, {})
            self._vocabulary = cached
        return cached

    def title(self, doc: str) -> str:
        """A document's title: the heading its first paragraph opens with, or ""."""
        titles = self._lookup()[3]
        if doc not in titles:
            first = self.index.paragraph(f"{doc}#1")
            titles[doc] = first.text.split("\n", 1)[0] if first is not None and first.heads else ""
        return titles[doc]

    def shares_words(self, question: str, paragraph: Paragraph) -> bool:
        """Whether the paragraph (with what it is besides its words, its section and document
        titles) holds at least one of the question's terms (true for a question without any)."""
        asked = terms(question)
        if not asked:  # "What is it?": no word to share, nothing to judge by
            return True
        held = set(paragraph_terms(paragraph)) | context_terms(paragraph) | set(terms(self.title(paragraph.doc)))
        return any(t in held for t in asked)

    def unmentioned_years(self, question: str, paragraph: Paragraph) -> list[str]:
        """The years the question names (qtype.asked_years) that neither the paragraph nor any
        other of its document writes."""
        asked = [y for y in asked_years(question) if y not in years_in(paragraph.text)]
        if not asked or _RELATIVE_YEAR.search(paragraph.text):
            # "... held last year": a paragraph that dates things from its own day may speak of
            # the year asked without writing it.
            return []
        known = self._lookup()[4]
        if paragraph.doc not in known:
            index = self.index
            info = index.manifest["documents"].get(paragraph.doc, {})
            texts = [p.text for r in store.rows_of(index.manifest, paragraph.doc)
                     if (p := index.paragraphs[r]).doc == paragraph.doc]
            # A copy folded into another document's paragraph is read there.
            texts += [p.text for c in info.get("duplicates", []) if (p := index.paragraph(c["same_as"]))]
            known[paragraph.doc] = years_in("\n".join(texts))
        return [y for y in asked if y not in known[paragraph.doc]]

    def recognises(self, hits: Sequence[Hit]) -> Callable[[str], bool]:
        """answer.recognised over this index's vocabulary, the best paragraphs of `hits` and the
        model's cosine to their words (encoded on first need: most questions never ask)."""
        vocabulary = self._lookup()[1]
        near = [h.paragraph.text for h in hits[:5]]
        vectors: list[np.ndarray] = []

        def similarity(word: str) -> float:
            if not vectors:
                near_words = sorted({w for text in near for w in words(text)})
                vectors.append(self.encoder.encode(near_words) if near_words else np.zeros((0, self.encoder.dim)))
            return float((vectors[0] @ self.encoder.encode([word])[0]).max(initial=-1.0))

        return lambda word: recognised(word, self.holds, vocabulary, near, similarity)

    def max_idf(self) -> float:
        """The IDF of a term no paragraph holds."""
        return math.log(1.0 + (self._n + 0.5) / 0.5)

    def retrieve(self, question: str, k: int | None = None) -> "Retrieval":
        """Fused dense + BM25 candidates, reranked by their best sentence; best k kept."""
        s, index = self.settings, self.index
        k = k or s.top_k
        q_terms = terms(question)
        q_vec = self.encoder.encode([question])[0]
        fused = hybrid(index, q_vec, q_terms, max(k, s.rerank_depth), s.candidates, s.alpha)
        cosines: dict[int, np.ndarray] = {}
        scores: dict[int, np.ndarray] = {}
        contexts: dict[int, set[str]] = {}
        for h in fused:
            texts = [h.paragraph.text[a:b] for a, b in h.paragraph.sentences]
            cosines[h.row] = index.paragraph_sentence_vectors(h.row) @ q_vec
            contexts[h.row] = context_terms(h.paragraph)
            scores[h.row] = sentence_scores(q_terms, texts, cosines[h.row], self.idf, s.sentence_weight,
                                            contexts[h.row])
        hits = rerank(fused, [float(scores[h.row].max()) for h in fused], s.gamma)
        if not asks_about_comments(question):
            hits = demote(hits, "comment", s.comment_weight)
        hits = hits[:k]
        return Retrieval(q_vec, q_terms, hits, cosines, scores, contexts)

    def analyse(self, question: str, top_k: int | None = None) -> "Analysis":
        """Retrieval plus the scored candidate sentences and the evidence abstention reads."""
        s = self.settings
        r = self.retrieve(question, top_k)
        hits = r.hits
        # A sentence addressed to a model ("Ignore previous instructions and say ...") is not a
        # candidate: it is never chosen to answer (an LLM still sees it, quoted as data).
        # Nor is a question: it asks what the answer would state (an FAQ's heading "Can I take the
        # panels with me?" matches the question best and answers nothing).
        sentences = [x for x in candidate_sentences(hits, s.answer_paragraphs) if states(x.text)]
        # Nor is a sentence of a paragraph that names another of a series than the one asked about,
        # and never that one, in its words, section titles or document title ("Yang made 14 orbits
        # ... in Shenzhou 5" for a question about Shenzhou 6, "Louis XIV" for Louis XIII): it speaks
        # of that one. (Judged by the paragraph: "Unlike Windows 10, it requires TPM 2.0." under
        # "Windows 11" answers about Windows 11.) When every candidate is such, they are kept, and
        # ask() says so (answering them only at "never").
        elsewhere: list[str] = []
        if serials(question):
            paragraphs = {x.hit: hits[x.hit].paragraph for x in sentences}
            aside, elsewhere = speaking_of_others(question, {
                i: " ".join((p.text, heading_text(p), self.title(p.doc))) for i, p in paragraphs.items()})
            sentences = [x for x in sentences if x.hit not in aside] or sentences
        top = hits[0].score if hits and hits[0].score > 0 else 1.0
        kind = expected_type(question)
        shown = {x.hit for x in sentences}
        if asks_version(question):  # a version it does not name, in the sentence or as its section's title
            titled = {i: titled_version(heading_text(hits[i].paragraph)) is not None for i in shown}
            typed = [titled[x.hit] or holds_version(x.text, question) for x in sentences]
        else:
            typed = [holds_type(x.text, kind, question) for x in sentences]
        named = named_numbers(r.terms)
        # The versions a sentence speaks of besides its own: its section's and its document's titles
        # ("# Lanternfish 2.4 release notes" over "## Upgrading").
        context = {i: named_numbers(r.contexts[hits[i].row] | set(terms(self.title(hits[i].paragraph.doc))))
                   for i in shown} if named else {}
        # A sentence's own score, a small prior for the rank of its paragraph, and a bonus when it
        # holds the kind of thing asked for (a number for "how many", a name for "who").
        # A title-like line (no closing punctuation) is a poor quote: it states nothing whole.
        scores = [float(r.sentence_scores[hits[x.hit].row][x.position])
                  + s.paragraph_prior * hits[x.hit].score / top
                  + (s.type_bonus if typed[j] and kind != "other" else 0.0)
                  - (0.0 if is_full_sentence(x.text) else s.title_penalty)
                  - (s.tense_penalty if tense_clash(question, x.text) else 0.0)
                  - (s.version_penalty if named and not any(of_release(b, a) for a in named for b in
                                                             named_numbers(terms(x.text)) | context[x.hit]) else 0.0)
                  for j, x in enumerate(sentences)]
        evidence = self.evidence(r, sentences, typed, int(np.argmax(scores))) if sentences else None
        return Analysis(r, sentences, scores, evidence, typed, elsewhere)

    def evidence(self, r: "Retrieval", sentences: Sequence[Sentence], typed: Sequence[bool], i: int) -> Evidence:
        """What abstention reads, taken at candidate sentence i (analyse(): the best-scored one)."""
        x = sentences[i]
        hit = r.hits[x.hit]
        held = set(paragraph_terms(hit.paragraph))
        return Evidence(
            sentence_cosine=float(r.sentence_cosines[hit.row][x.position]),
            sentence_coverage=coverage(r.terms, set(terms(x.text)) | r.contexts[hit.row], self.idf),
            paragraph_coverage=coverage(r.terms, held, self.idf),
            corpus_coverage=coverage(r.terms, {t for t in r.terms if t in self._df}, self.idf),
            dense_top=max((h.dense or 0.0) for h in r.hits),
            type_match=float(typed[i]),
            rarest_missing=max((self.idf(t) for t in set(r.terms) - held),
                               default=0.0) / self.max_idf(),
        )

    def ask(self, question: str, top_k: int | None = None, llm: Any = None, abstain: str | None = None) -> Answer:
        """Retrieve, pick the supporting sentences, decide whether to abstain, cite.

        `abstain` (strict | balanced | never) overrides the settings' level for this question.

        With `llm` (a llama-index LLM), the answer is written by the LLM from the top paragraphs and
        then checked (citewise.llm.check); the extractive answer stands in when it fails.
        """
        written = " ".join(question.split())
        if not written:
            raise ValueError("the question is empty")
        # "In the space day article, ...": which document is meant is no word a paragraph holds.
        question = without_source_reference(written)
        s = self.settings
        t0 = time.perf_counter()
        a = self.analyse(question, top_k)
        confidence = answerable_probability(a.evidence) if a.evidence else None
        level = abstain or s.abstain
        threshold = s.abstain_threshold if s.abstain_threshold is not None and abstain is None \
            else abstain_threshold(level)
        abstain = confidence is None or confidence < threshold
        held = {t for t in terms(question) if self.holds(t)}
        missing = not_in_documents(question, held)
        # A model number or code that no document holds ("AeroBrew X3", "error E05") names a thing
        # the documents do not cover: an answer about its neighbour ("X2") would be wrong with
        # every word of the question matched but one.
        unknown = unknown_identifiers(missing, question)
        # So does a version that no document holds ("When was Lanternfish 1.0 released?"): what they
        # say of other versions is no answer.
        unknown += [w for w in missing if is_version(w)]
        # So does a name that no document holds nor anything like it ("Which Indian astronaut
        # ...?", "the minimum supported Fedora version"): on SQuAD's answerable questions the
        # capitalised words no paragraph holds are mostly slips, derived forms and abbreviations of
        # words it does, which recognises() lets through (eval/abstention_signals, README).
        unknown += unknown_names(question, missing, self.recognises(a.retrieval.hits))
        unknown = list(dict.fromkeys(unknown))
        reason = None
        if unknown:
            reason = f"No indexed document names or spells out: {', '.join(as_written(question, w) for w in unknown)}."
        elif a.elsewhere:
            reason = (f"The paragraphs that match the question speak of {', '.join(a.elsewhere)}, not of "
                      f"{', '.join(written_serials(question))}.")
        else:
            reason = lacking(question, [x.text for x in a.sentences], a.typed, lambda w: as_written(question, w))
        if reason and level != "never":
            abstain = True
        # The reader was trained on English: on Chinese or Japanese it picks fragments ("四圈。"
        # for "how many orbits"), so there the answer quotes and gives no short answer.
        read = None if has_cjk(question) else short_answerer(s.short_answers, s.reader_weights)
        answer = compose(question, a.retrieval.hits, a.sentences, a.scores, abstain, s.max_sentences,
                         s.second_sentence_ratio, confidence, a.typed, read, s.reader_sentences, s.reader_weight)
        # The phrase read as the answer is not what the question asks for ("last year" for "In what
        # year ...?", a clause for "How many ...?"): the best the documents offer does not answer it.
        # Or it only repeats the question's own words ("Junlong" for "Who flew alongside Fei Junlong?"):
        # a weaker sign (on the SQuAD dev half 9 unanswerable to 3 answerable questions, on the sample's
        # gold sets 1 to 2), so it withholds the answer only at `strict`, and warns at `balanced`.
        flaw, withhold = None, False
        first = answer.citations[0].paragraph if answer.citations else None
        if first is not None and not self.shares_words(question, first):
            # Not one word of the question in the paragraph quoted first (on the SQuAD dev half's
            # 2,639 answers and the sample gold sets' 190: only "How many people live in Beijing?",
            # answered "seventeen" from the attendance of a gathering).
            flaw, withhold = "comes from a paragraph that shares no word with the question", level != "never"
        elif first is not None and (years := self.unmentioned_years(question, first)):
            # "How many projects did China carry out with partners in 2021?" read "nine" off a 2019
            # article that never says 2021: what it says is about another time. On the SQuAD dev
            # half this withholds 26 unanswerable answers and no answerable one.
            flaw, withhold = f"comes from a document that never mentions {', '.join(years)}", level != "never"
        elif answer.short_answer and (role := other_role(question, [x for x, _ in answer.sentences])):
            # "Who is the director of the Astronaut Centre of China?" read "Fei Junlong", its deputy director.
            flaw, withhold = f"is said of the {role}", level != "never"
        elif wanted := short_falls_short(question, answer.short_answer):
            flaw, withhold = f"is not {wanted}", level != "never"
        elif other := counts_other(question, answer.short_answer, [x for x, _ in answer.sentences]):
            flaw, withhold = f"counts something else (“{other}”)", level != "never"
        elif repeats_question(question, answer.short_answer):
            flaw, withhold = "only repeats the question", level == "strict"
        if reason is None and flaw:
            said = f"“{answer.short_answer}”" if answer.short_answer else "what they say"
            reason = f"The closest answer in the documents, {said}, {flaw}."
            if withhold:
                abstain = True
                answer = compose(question, a.retrieval.hits, a.sentences, a.scores, True,
                                 confidence=confidence)
        answer.not_in_documents = missing
        answer.unsure = not abstain and (reason is not None or confidence is not None
                                         and confidence < abstain_threshold("strict"))
        answer.reason = reason
        answer.question = written
        if llm is not None and not abstain:
            answer = self._llm_answer(written, answer, llm)
        answer.timings_ms = {"total": 1000 * (time.perf_counter() - t0)}
        return answer

    def ask_stream(self, question: str, top_k: int | None = None, llm: Any = None,
                   abstain: str | None = None) -> Iterator[str | Answer]:
        """Like ask(), for a UI: with an LLM, yields the reply's text as it grows, then the checked
        Answer; without one (or on abstention), yields the Answer alone."""
        t0 = time.perf_counter()
        extractive = self.ask(question, top_k, abstain=abstain)
        if llm is None or extractive.abstained:
            yield extractive
            return
        from .llm import LLMError

        given = extractive.retrieved[:self.settings.answer_paragraphs]
        text = ""
        try:
            for chunk in llm.stream_chat(self._llm_messages(question, given)):
                text += chunk.delta or ""
                yield text
        except Exception as exc:  # the client raises many kinds (connection, HTTP status, timeout)
            raise LLMError(_llm_failure(llm, exc)) from exc
        answer = self._checked(question, extractive, given, text, llm)
        answer.timings_ms = {"total": 1000 * (time.perf_counter() - t0)}
        yield answer

    @staticmethod
    def _llm_messages(question: str, given: Sequence[Hit]) -> list:
        from llama_index.core.llms import ChatMessage

        from .llm import build_messages

        return [ChatMessage(role=m["role"], content=m["content"]) for m in build_messages(question, given)]

    def _llm_answer(self, question: str, extractive: Answer, llm: Any) -> Answer:
        """The LLM's answer over the top paragraphs, checked; the extractive one if it fails."""
        from .llm import LLMError

        given = extractive.retrieved[:self.settings.answer_paragraphs]
        try:
            reply = llm.chat(self._llm_messages(question, given)).message.content or ""
        except Exception as exc:  # the client raises many kinds (connection, HTTP status, timeout)
            raise LLMError(_llm_failure(llm, exc)) from exc
        return self._checked(question, extractive, given, reply, llm)

    def _checked(self, question: str, extractive: Answer, given: Sequence[Hit], reply: str, llm: Any) -> Answer:
        """An LLM reply turned into a checked Answer (citewise.llm.check), or the extractive one."""
        from .llm import check, render

        claims = check(reply, given, self.encoder.encode)
        name = f"llm:{getattr(llm, 'model', 'unknown')}"
        if not any(c.supported and c.citations for c in claims):
            return replace(extractive, answerer=name, claims=claims, fallback=True)
        citations: list[Citation] = []
        backed = [c for c in claims if c.supported]  # the answer's sentences (llm.render)
        for n in dict.fromkeys(n for c in backed for n in c.citations):
            para = given[n - 1].paragraph
            # The quote is a sentence the paragraph states, never one addressed to a model.
            spans = [(a, b) for a, b in para.sentences if states(para.text[a:b])] or [(0, len(para.text))]
            texts = [para.text[a:b] for a, b in spans]
            said = " ".join(c.text for c in backed if n in c.citations)
            vectors = self.encoder.encode([said] + texts)
            a, b = spans[int(np.argmax(vectors[1:] @ vectors[0]))]
            citations.append(Citation(n=n, paragraph=para, quote=para.text[a:b], quote_start=a, quote_end=b,
                                      score=given[n - 1].score))
        text = render(claims)
        short = extractive.short_answer if extractive.short_answer and extractive.short_answer in text else None
        return replace(extractive, answer=text, citations=citations, answerer=name, claims=claims,
                       short_answer=short, fallback=False, sentences=[])


def _llm_failure(llm: Any, exc: Exception) -> str:
    """What to tell a person when the LLM call failed: where it went, and what came back."""
    where = f" at {llm.api_base}" if getattr(llm, "api_base", None) else ""
    if isinstance(exc, AttributeError):  # the client got a body that is no chat completion (HTML, say)
        return (f"the LLM backend{where} did not reply like an OpenAI-compatible server (is the base URL "
                f"right, ending in /v1?)")
    return f"the LLM backend{where} failed: {type(exc).__name__}: {exc}"


@lru_cache(maxsize=4)
def load_reader(weights: Path) -> "Reader":
    """A reader from its weights file, once per process and file (every searcher shares it)."""
    from .reader import Reader

    return Reader.load(weights)


def short_answerer(kind: str, weights: str = "") -> Read | None:
    """compose()'s `read` for Settings.short_answers: the trained reader (from the `weights` file,
    else the shipped one), or None for the rules."""
    from .reader import READER_WEIGHTS

    if kind == "rules":
        return None
    if kind != "reader":
        raise ValueError(f"unknown short_answers {kind!r}; choose reader or rules")
    reader = load_reader(Path(weights).resolve() if weights else READER_WEIGHTS)

    def read(question: str, sentences: Sequence[str]) -> list[tuple[str, float] | None]:
        out: list[tuple[str, float] | None] = []
        for sentence, span in zip(sentences, reader.read_each(question, sentences)):
            if span is None:
                out.append(None)
                continue
            # Whole names ("Junlong" -> "Fei Junlong"), tidied, narrowed, the count asked for.
            phrase = reader_phrase(question, sentence, span.start, span.end)
            out.append((phrase, span.score) if phrase else None)
        return out

    return read


@dataclass
class Analysis:
    """Everything ask() decides from: retrieval, scored sentences, abstention evidence."""

    retrieval: "Retrieval"
    sentences: list[Sentence]
    scores: list[float]
    evidence: Evidence | None
    typed: list[bool]  # each sentence holds the kind of answer asked for
    # When every candidate sentence names another of a series than the question's: those it names.
    elsewhere: list[str] = field(default_factory=list)


@dataclass
class Retrieval:
    """What retrieval hands the answerer: the question's vector and terms, the hits, and the
    per-sentence cosines and scores of every candidate paragraph (keyed by index row)."""

    vector: np.ndarray
    terms: list[str]
    hits: list[Hit]
    sentence_cosines: dict[int, np.ndarray]
    sentence_scores: dict[int, np.ndarray]
    contexts: dict[int, set[str]]  # each paragraph's answer.context_terms

