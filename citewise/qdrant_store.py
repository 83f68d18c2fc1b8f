"""Dense paragraph vectors in Qdrant (a server, a cluster, or the embedded local mode) through
llama-index's QdrantVectorStore. Paragraph text, BM25, sentence vectors and the manifest stay in
the index folder; only the paragraph vectors and their nearest-neighbour search move out.

Each ingest writes a new collection `<name>-g<generation>-<token>`; the manifest written last names
it, so the folder swap (citewise.store.save) switches both at once. Collections that an ingest
created or replaced are recorded beside the index folder first (`<index>.qdrant-drop-*.json`) and
dropped by settle() once no live manifest names them: after the swap, or by the next ingest when
one died in between. A crash therefore never leaves a manifest pointing at a half-written
collection, nor an orphan collection that is never cleaned up.

Where llama-index's store has no API for something, qdrant_client is called directly: whether a
collection exists, its vector size (get_collection), and its point count (count).
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import secrets
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .errors import IndexCorruptError, IndexMismatchError, StoreUnavailableError
from .store import write_whole
from .types import Paragraph

KIND = "qdrant"
DEFAULT_COLLECTION = "citewise"
UPLOAD_BATCH = 4096  # paragraphs turned into nodes and uploaded at a time (bounds memory)
FETCH_BATCH = 1000  # vectors read back per request
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,180}$")
_DROP = ".qdrant-drop-"


@dataclass(frozen=True)
class QdrantTarget:
    """Where the vectors go: a server (`url`) or an embedded local folder (`path`). The API key is
    read from the environment variable named `api_key_env`, so that it is never in the manifest."""

    url: str | None = None
    path: str | None = None
    collection: str = DEFAULT_COLLECTION  # base name; each ingest writes <collection>-g<n>-<token>
    api_key_env: str | None = None
    # A cluster's layout for new collections (None: the server's defaults); the local mode ignores them.
    shards: int | None = None
    replicas: int | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of a Qdrant url (server or cluster) or a local path")
        if self.url is not None and not re.match(r"^https?://[^/\s]+", self.url):
            raise ValueError(f"the Qdrant url must start with http:// or https://, got {self.url!r}")
        if not _NAME.match(self.collection):
            raise ValueError(f"a Qdrant collection name takes letters, digits, '-' and '_' only, "
                             f"got {self.collection!r}")
        for name in ("shards", "replicas"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"the number of Qdrant {name} must be at least 1, got {getattr(self, name)}")
        if self.path is not None:
            object.__setattr__(self, "path", str(Path(self.path).expanduser().resolve()))

    @property
    def where(self) -> str:
        return f"the Qdrant server at {self.url}" if self.url else f"the local Qdrant folder {self.path}"

    def record(self, collection: str, generation: int) -> dict[str, Any]:
        """The manifest's `store` entry for a collection written to this target."""
        place = {"url": self.url} if self.url else {"path": self.path}
        return {"kind": KIND, **place, "collection": collection, "base": self.collection,
                "generation": generation, "api_key_env": self.api_key_env, "distance": "cosine",
                "shards": self.shards, "replicas": self.replicas}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "QdrantTarget":
        return cls(url=record.get("url"), path=record.get("path"),
                   collection=record.get("base", DEFAULT_COLLECTION), api_key_env=record.get("api_key_env"),
                   shards=record.get("shards"), replicas=record.get("replicas"))


# One client per server or folder and process: the local mode locks its folder, so a second client
# on it in the same process would be refused; the lock serialises calls on a local client, whose
# collections are plain Python structures shared between the UI's threads.
_clients: dict[tuple, tuple[Any, threading.RLock | None]] = {}
_clients_lock = threading.Lock()


def connect(target: QdrantTarget, create: bool = False) -> tuple[Any, threading.RLock | None]:
    """The process's client for `target` (and its lock for the local mode). A local folder is
    created only when `create`; a server is asked for its collections once, to fail early."""
    from qdrant_client import QdrantClient

    key = ("path", target.path) if target.path else ("url", target.url, target.api_key_env)
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        if target.path:
            path = Path(target.path)
            if path.exists() and not path.is_dir():
                raise StoreUnavailableError(f"the Qdrant path {path} is a file, not a folder")
            if path.is_dir() and not (path / "meta.json").is_file() and any(path.iterdir()):
                raise StoreUnavailableError(f"{path} holds files and is not a local Qdrant folder; choose a new "
                                            "or empty folder for --qdrant-path")
            if not path.exists():
                if not create:
                    raise StoreUnavailableError(f"the local Qdrant folder {path} does not exist (moved or "
                                                "deleted?); rebuild the index with ingest.py --qdrant-path")
                path.mkdir(parents=True)
            try:
                client = QdrantClient(path=str(path), force_disable_check_same_thread=True)
            except (KeyError, ValueError, TypeError) as exc:  # its meta.json is not Qdrant's
                raise StoreUnavailableError(f"{path} is not a readable local Qdrant folder ({type(exc).__name__}: "
                                            f"{exc}); choose a new or empty folder for --qdrant-path") from exc
            except RuntimeError as exc:
                if "already accessed" in str(exc):
                    raise StoreUnavailableError(
                        f"the local Qdrant folder {path} is open in another process; the embedded mode "
                        "serves one process at a time (stop it, or run a Qdrant server and use --qdrant-url)"
                    ) from exc
                raise
            entry = (client, threading.RLock())
        else:
            api_key = None
            if target.api_key_env:
                api_key = os.environ.get(target.api_key_env)
                if not api_key:
                    raise StoreUnavailableError(f"the environment variable {target.api_key_env} (the Qdrant "
                                                "API key) is not set")
            client = QdrantClient(url=target.url, api_key=api_key, timeout=60, check_compatibility=False)
            try:
                client.get_collections()
            except Exception as exc:  # httpx/grpc/HTTP-status errors, wrapped in several ways
                client.close()
                raise StoreUnavailableError(f"cannot reach {target.where} ({type(exc).__name__}: {exc}); is the "
                                            "server running, and are the URL, port and API key right?") from exc
            entry = (client, None)
        _clients[key] = entry
        return entry


def close_clients() -> None:
    """Close every client this process opened (releases the local mode's folder lock)."""
    with _clients_lock:
        for client, _ in _clients.values():
            client.close()
        _clients.clear()


atexit.register(close_clients)  # closed before interpreter shutdown, not by __del__ during it


def point_id(row: int) -> str:
    """Point ids are the paragraph's row in paragraphs.jsonl, as the UUID Qdrant requires."""
    return str(uuid.UUID(int=row))


def row_of(point: str) -> int:
    return uuid.UUID(str(point)).int


class QdrantDense:
    """One collection of paragraph vectors, answering the calls citewise makes of a FAISS index
    (ntotal, search, reconstruct, reconstruct_batch, reconstruct_n): point i is paragraph row i."""

    def __init__(self, target: QdrantTarget, collection: str, ntotal: int, dim: int, generation: int = 1,
                 dense_config: Any = None):
        from llama_index.vector_stores.qdrant import QdrantVectorStore

        self.target, self.collection, self.ntotal, self.d, self.generation = (
            target, collection, ntotal, dim, generation)
        self.client, lock = connect(target)
        self._lock = lock or contextlib.nullcontext()
        with self._calling():
            # A payload index on the document id serves deletes by document on a server; the
            # local mode has none (it would only warn).
            self.store = QdrantVectorStore(collection_name=collection, client=self.client, batch_size=256,
                                           index_doc_id=target.url is not None, dense_config=dense_config,
                                           shard_number=target.shards, replication_factor=target.replicas)

    def record(self) -> dict[str, Any]:
        return self.target.record(self.collection, self.generation)

    @contextlib.contextmanager
    def _calling(self) -> Iterator[None]:
        """One call to Qdrant: serialised on a local client; its failures said in words."""
        from .errors import CitewiseError

        with self._lock:
            try:
                yield
            except CitewiseError:
                raise
            except Exception as exc:  # httpx, grpc, HTTP status and local-mode errors
                raise StoreUnavailableError(f"{self.target.where} failed on collection {self.collection}: "
                                            f"{type(exc).__name__}: {exc}") from exc

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's shape: (scores, rows), each (n queries, k), padded with -1 rows."""
        from llama_index.core.vector_stores.types import VectorStoreQuery

        x = np.atleast_2d(np.asarray(x, dtype=np.float32))
        scores = np.full((len(x), k), -np.inf, dtype=np.float32)
        rows = np.full((len(x), k), -1, dtype=np.int64)
        for i, q in enumerate(x):
            with self._calling():
                result = self.store.query(VectorStoreQuery(query_embedding=q.tolist(), similarity_top_k=k))
            for j, (pid, s) in enumerate(zip(result.ids or [], result.similarities or [])):
                rows[i, j], scores[i, j] = row_of(pid), s
        return scores, rows

    def reconstruct_batch(self, rows: Sequence[int]) -> np.ndarray:
        """The stored vectors of these rows, in this order (read back through get_nodes)."""
        rows = [int(r) for r in rows]
        out = np.zeros((len(rows), self.d), dtype=np.float32)
        found: dict[int, list[float]] = {}
        for start in range(0, len(rows), FETCH_BATCH):
            ids = [point_id(r) for r in rows[start:start + FETCH_BATCH]]
            with self._calling():
                nodes = self.store.get_nodes(node_ids=ids)
            found.update((row_of(n.node_id), n.embedding) for n in nodes)
        missing = [r for r in rows if r not in found]
        if missing:
            raise IndexCorruptError(f"Qdrant collection {self.collection} lacks the vectors of paragraph "
                                    f"rows {missing[:5]}; rebuild the index with ingest.py --rebuild")
        for i, r in enumerate(rows):
            out[i] = found[r]
        return out

    def reconstruct(self, row: int) -> np.ndarray:
        return self.reconstruct_batch([row])[0]

    def reconstruct_n(self, start: int, n: int) -> np.ndarray:
        return self.reconstruct_batch(range(start, start + n))

    def count(self) -> int:
        with self._calling():
            return int(self.client.count(self.collection, exact=True).count)

    def vector_size(self) -> int | None:
        with self._calling():
            vectors = self.client.get_collection(self.collection).config.params.vectors
        params = vectors.get(self.store.dense_vector_name) if isinstance(vectors, dict) else vectors
        return None if params is None else int(params.size)


def open_dense(manifest: dict[str, Any]) -> QdrantDense:
    """The collection the manifest names, checked against it (exists, dimension, point count)."""
    record = manifest["store"]
    try:
        target = QdrantTarget.from_record(record)
    except ValueError as exc:
        raise IndexCorruptError(f"the manifest's Qdrant store entry is invalid: {exc}") from exc
    client, lock = connect(target)
    with lock or contextlib.nullcontext():
        exists = client.collection_exists(record["collection"])
    if not exists:
        raise IndexCorruptError(f"{target.where} has no collection {record['collection']!r}, which the index "
                                "names (deleted?); rebuild the index with ingest.py --rebuild")
    dense = QdrantDense(target, record["collection"], manifest["paragraph_count"], manifest["dimension"],
                        record.get("generation", 1))
    size = dense.vector_size()
    if size != manifest["dimension"]:
        raise IndexMismatchError(f"Qdrant collection {record['collection']!r} holds vectors of dimension {size}, "
                                 f"but the index's model {manifest.get('model')!r} gives {manifest['dimension']}")
    count = dense.count()
    if count != manifest["paragraph_count"]:
        raise IndexCorruptError(f"Qdrant collection {record['collection']!r} holds {count} vectors, the index "
                                f"has {manifest['paragraph_count']} paragraphs; rebuild it with ingest.py --rebuild")
    return dense


def write(index_dir: Path, target: QdrantTarget, vectors: np.ndarray, paragraphs: Sequence[Paragraph],
          old: dict[str, Any] | None, log: Callable[[str], None] = lambda m: None) -> QdrantDense:
    """Upload the vectors into a new collection (never one a live manifest names); marks the new and
    the old collection for settle(), so whichever one ends up unused is dropped."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
    from qdrant_client.http import models as rest

    index_dir = Path(index_dir).resolve()
    client, lock = connect(target, create=True)
    lock = lock or contextlib.nullcontext()
    generation = int(old.get("generation", 0)) + 1 if old else 1
    name = f"{target.collection}-g{generation}-{secrets.token_hex(3)}"
    if old:
        mark(index_dir, old)
    record = target.record(name, generation)
    mark(index_dir, record)
    with lock:
        if client.collection_exists(name):  # a 24-bit token clash: never write into someone's data
            raise StoreUnavailableError(f"{target.where} already has a collection {name!r}; run ingest again")
    # The collection gets the index's dimension and cosine distance, which on unit vectors is
    # FAISS's inner product; llama-index creates it on the first add.
    dense = QdrantDense(target, name, len(paragraphs), vectors.shape[1], generation,
                        rest.VectorParams(size=int(vectors.shape[1]), distance=rest.Distance.COSINE))
    log(f"uploading {len(paragraphs)} vectors to {target.where}, collection {name} ...")
    for start in range(0, len(paragraphs), UPLOAD_BATCH):
        nodes = [TextNode(id_=point_id(i), text="", embedding=vectors[i].tolist(),
                          metadata={"paragraph": paragraphs[i].id, "hash": paragraphs[i].hash},
                          relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=paragraphs[i].doc)})
                 for i in range(start, min(start + UPLOAD_BATCH, len(paragraphs)))]
        with dense._calling():
            dense.store.add(nodes)
    return dense


def points_of_document(dense: QdrantDense, doc: str) -> list[str]:
    """The paragraph ids of one document's points (llama-index keeps the document in `doc_id`)."""
    from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

    with dense._calling():
        nodes = dense.store.get_nodes(filters=MetadataFilters(filters=[MetadataFilter(key="doc_id", value=doc)]))
    return sorted(n.metadata["paragraph"] for n in nodes)


def _mark_path(index_dir: Path, collection: str) -> Path:
    return index_dir.with_name(f"{index_dir.name}{_DROP}{collection}.json")


def mark(index_dir: Path, record: dict[str, Any]) -> None:
    """Record a collection for settle() to drop unless a live manifest names it."""
    index_dir = Path(index_dir).resolve()
    path = _mark_path(index_dir, record["collection"])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, lambda f: f.write(json.dumps(record).encode("utf-8")))


def _marks(index_dir: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(index_dir.parent.glob(f"{index_dir.name}{_DROP}*.json")):
        try:
            yield path, json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            path.unlink(missing_ok=True)  # a marker cut short: its collection was never created


def settle(index_dir: Path, live: dict[str, Any] | None, log: Callable[[str], None] = lambda m: None) -> None:
    """Drop every marked collection that the live manifest (or None) does not name; unmark it.
    Only for the process that owns the index folder (ingest), after any interrupted swap is recovered."""
    index_dir = Path(index_dir).resolve()
    keep = (live or {}).get("store") or {}
    for path, record in _marks(index_dir):
        if record.get("collection") == keep.get("collection") and \
                (record.get("url"), record.get("path")) == (keep.get("url"), keep.get("path")):
            path.unlink(missing_ok=True)
            continue
        try:
            target = QdrantTarget.from_record(record)
            if target.path and not Path(target.path).is_dir():
                path.unlink(missing_ok=True)  # the folder, and so the collection, is gone already
                continue
            client, lock = connect(target, create=False)
            from llama_index.vector_stores.qdrant import QdrantVectorStore

            with lock or contextlib.nullcontext():
                if client.collection_exists(record["collection"]):
                    QdrantVectorStore(collection_name=record["collection"], client=client).clear()
        except StoreUnavailableError as exc:
            log(f"could not drop the unused Qdrant collection {record.get('collection')}: {exc}; "
                "the next ingest tries again")
            continue
        except ValueError:
            pass  # a marker that names no valid target: nothing of ours to drop
        path.unlink(missing_ok=True)
