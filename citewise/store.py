"""Save and load index/: manifest, paragraphs, FAISS and BM25, written atomically."""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .config import FORMAT_VERSION, Settings
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from .types import Paragraph

MANIFEST = "manifest.json"
PARAGRAPHS = "paragraphs.jsonl"
DENSE = "dense.faiss"
SENTENCES = "sentences.npy"
LEXICAL = "bm25"


@dataclass
class Index:
    """An index in memory: the paragraphs and the two retrieval structures over them."""

    manifest: dict[str, Any]
    paragraphs: list[Paragraph]
    dense: Any  # faiss.Index (inner product over unit vectors), or a qdrant_store.QdrantDense
    lexical: Any  # bm25s.BM25
    sentence_vectors: np.ndarray  # one unit vector per sentence, paragraphs in order
    sentence_offsets: np.ndarray  # paragraph i's sentences are rows offsets[i]:offsets[i+1]

    def paragraph_sentence_vectors(self, row: int) -> np.ndarray:
        return self.sentence_vectors[self.sentence_offsets[row]:self.sentence_offsets[row + 1]]

    @property
    def settings(self) -> Settings:
        return Settings().with_overrides(**self.manifest["settings"])


def build_lexical(paragraph_terms: Sequence[list[str]]) -> Any:
    """A BM25 index over pre-tokenised paragraphs (citewise.text.terms)."""
    import bm25s

    retriever = bm25s.BM25()  # Lucene variant, k1=1.5, b=0.75 (bm25s defaults)
    # An empty paragraph would make bm25s drop the row; a placeholder term keeps rows aligned.
    retriever.index([t if t else ["\x00"] for t in paragraph_terms], show_progress=False)
    return retriever


def build_dense(vectors: np.ndarray, exact_max: int = 200_000) -> Any:
    """Exact inner-product search up to `exact_max` vectors; above it HNSW (Malkov & Yashunin 2018),
    which answers in well under a millisecond at a million vectors for a recall@10 near 0.99."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) <= exact_max:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200
        index.hnsw.efSearch = 128
    if len(vectors):
        index.add(vectors)
    return index


def dense_kind(index: Any) -> str:
    return type(index).__name__


def make_manifest(settings: Settings, dim: int, paragraphs: Sequence[Paragraph],
                  documents: dict[str, dict[str, Any]], skipped: list[dict[str, str]],
                  faiss_kind: str = "IndexFlatIP") -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "model": settings.model,
        "encoder": settings.encoder,
        "dimension": dim,
        "metric": "inner_product_on_unit_vectors",
        "faiss_index": faiss_kind,
        "lexical": "bm25s (Lucene BM25, k1=1.5, b=0.75, Snowball English stems)",
        "settings": settings.to_dict(),
        "documents": documents,
        "skipped": skipped,
        "paragraph_count": len(paragraphs),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def sentence_offsets(paragraphs: Sequence[Paragraph]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([len(p.sentences) for p in paragraphs])]).astype(np.int64)


def save(index_dir: Path, manifest: dict[str, Any], paragraphs: Sequence[Paragraph],
         dense: Any, lexical: Any, sentence_vectors: np.ndarray) -> None:
    """Write a complete index beside `index_dir`, then swap it in; the old one is kept until then."""
    import faiss

    index_dir = Path(index_dir).resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(index_dir)
    tmp = index_dir.with_name(f"{index_dir.name}.tmp-{os.getpid()}")
    tmp.mkdir()
    try:
        with open(tmp / PARAGRAPHS, "w", encoding="utf-8") as f:
            for p in paragraphs:
                f.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
        if not manifest.get("store"):  # FAISS lives in the folder; another store holds its vectors itself
            faiss.write_index(dense, str(tmp / DENSE))
        np.save(tmp / SENTENCES, sentence_vectors.astype(np.float32))
        lexical.save(str(tmp / LEXICAL), show_progress=False)
        # The manifest is written last: a folder without one is never a complete index.
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        _fsync_dir(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = index_dir.with_name(f"{index_dir.name}.old-{os.getpid()}")
    if index_dir.exists():
        os.replace(index_dir, old)
    os.replace(tmp, index_dir)
    shutil.rmtree(old, ignore_errors=True)


def recover(index_dir: Path) -> None:
    """Restore the previous index if an ingest died between the two renames of its swap. Only for
    a process that owns the folder (ingest, or a server starting up), never during a live swap."""
    index_dir = Path(index_dir)
    olds = sorted(index_dir.parent.glob(f"{index_dir.name}.old-*"))
    if not index_dir.exists() and olds and (olds[-1] / MANIFEST).exists():
        os.replace(olds[-1], index_dir)


def _remove_stale(index_dir: Path) -> None:
    """Clear leftovers of an ingest that crashed; restore the old index if the swap was cut short."""
    recover(index_dir)
    for stale in index_dir.parent.glob(f"{index_dir.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in index_dir.parent.glob(f"{index_dir.name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    for child in path.rglob("*"):
        if child.is_file():
            with open(child, "rb") as f:
                os.fsync(f.fileno())


def read_manifest(index_dir: Path) -> dict[str, Any]:
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexNotFoundError(f"no index at {index_dir}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{path} cannot be read: {exc}") from exc


def check_compatible(manifest: dict[str, Any], model: str, dim: int | None = None) -> None:
    """Refuse an index built with another model, dimension or format version."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(f"index format version {manifest.get('format_version')} "
                                 f"is not the supported version {FORMAT_VERSION}")
    if manifest.get("model") != model:
        raise IndexMismatchError(f"index was built with model {manifest.get('model')!r}, "
                                 f"but this citewise embeds questions with {model!r}")
    if dim is not None and manifest.get("dimension") != dim:
        raise IndexMismatchError(f"index vectors have dimension {manifest.get('dimension')}, "
                                 f"the model gives {dim}")


def index_encoder(manifest: dict[str, Any]) -> str:
    """The encoder kind an index was embedded with (indexes from before the choice: torch)."""
    return manifest.get("encoder", "torch")


def _open_dense(index_dir: Path, manifest: dict[str, Any]) -> Any:
    """The paragraph vectors: dense.faiss in the folder, or the Qdrant collection the manifest names."""
    if (manifest.get("store") or {}).get("kind") == "qdrant":
        from .qdrant_store import open_dense

        return open_dense(manifest)
    import faiss

    return faiss.read_index(str(index_dir / DENSE))


def load(index_dir: Path) -> Index:
    """Load a complete index; raises IndexNotFoundError/IndexCorruptError/IndexMismatchError."""
    import bm25s

    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_compatible(manifest, manifest.get("model", ""))  # format version
    try:
        with open(index_dir / PARAGRAPHS, encoding="utf-8") as f:
            paragraphs = [Paragraph.from_dict(json.loads(line)) for line in f if line.strip()]
        dense = _open_dense(index_dir, manifest)
        lexical = bm25s.BM25.load(str(index_dir / LEXICAL), show_progress=False, verbosity=0)
        sentence_vectors = np.load(index_dir / SENTENCES)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexCorruptError(f"{index_dir} is damaged ({exc}); rebuild it with ingest.py") from exc
    if not (len(paragraphs) == dense.ntotal == manifest["paragraph_count"]):
        raise IndexCorruptError(f"{index_dir} is inconsistent: {len(paragraphs)} paragraphs, "
                                f"{dense.ntotal} vectors, manifest says {manifest['paragraph_count']}")
    offsets = sentence_offsets(paragraphs)
    if offsets[-1] != len(sentence_vectors):
        raise IndexCorruptError(f"{index_dir} is inconsistent: {offsets[-1]} sentences, "
                                f"{len(sentence_vectors)} sentence vectors")
    return Index(manifest=manifest, paragraphs=paragraphs, dense=dense, lexical=lexical,
                 sentence_vectors=sentence_vectors, sentence_offsets=offsets)
