"""Save and load index/: manifest, paragraphs, FAISS and BM25, written atomically."""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .config import FORMAT_VERSION, Settings
from .errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexTargetError, IndexWriteError
from .types import Paragraph

MANIFEST = "manifest.json"
PARAGRAPHS = "paragraphs.jsonl"
PARAGRAPH_OFFSETS = "paragraph_offsets.npy"  # byte offset of each line of paragraphs.jsonl (+ the end)
SENTENCE_OFFSETS = "sentence_offsets.npy"  # paragraph i's sentence vectors are rows [o[i], o[i+1])
DENSE = "dense.faiss"
VECTORS = "vectors.npy"  # the paragraph vectors, exact (the FAISS index may hold them quantised)
SENTENCES = "sentences.npy"
LEXICAL = "bm25"
# How paragraphs became BM25 terms (citewise.text.terms). A question is read the same way, so an
# index whose terms were made otherwise matches some words less well until it is rebuilt.
LEXICAL_SCHEME = ("bm25s (Lucene BM25, k1=1.5, b=0.75, Snowball English stems of words folded with their "
                  "accents off, British spellings as American, versions without a leading v)")
READ_CHUNK = 256 * 2**20  # bytes per read when a span of rows is read at once (re-ingest's cache)


class Paragraphs(Sequence[Paragraph]):
    """The paragraphs of an index, read from disk one line at a time: a question needs a few dozen
    of them, so a million are never held in memory. An open descriptor keeps reads working while
    an ingest swaps a new index in (the old files stay readable until closed)."""

    def __init__(self, path: Path, offsets: np.ndarray) -> None:
        self.path = Path(path)
        self._offsets = offsets
        self._fd = os.open(self.path, os.O_RDONLY)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"paragraph row {i} out of range 0..{len(self) - 1}")
        a, b = int(self._offsets[i]), int(self._offsets[i + 1])
        # pread is one system call with its own offset: safe from several threads at once.
        return self._parse(os.pread(self._fd, b - a, a), i)

    def __iter__(self) -> Iterator[Paragraph]:
        with open(self.path, "rb") as f:  # bytes: damage raises in _parse instead of passing as U+FFFD
            for i, line in enumerate(f):
                if line.strip():
                    yield self._parse(line, i)

    def _parse(self, line: bytes, i: int) -> Paragraph:
        """One stored line as a Paragraph; IndexCorruptError naming the file when it is not one."""
        try:
            return Paragraph.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{self.path} is damaged at row {i} ({exc}); rebuild the index with "
                                    "ingest.py --rebuild") from exc

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)


# What numpy raises for a damaged .npy file: its header is a Python literal, parsed with tokenize
# and ast, so damage there surfaces as their errors rather than ValueError.
NPY_ERRORS = (ValueError, SyntaxError, tokenize.TokenError, EOFError, KeyError, TypeError)


def _npy_header(path: Path) -> tuple[tuple[int, ...], bool, Any, int]:
    """(shape, fortran order, dtype, where the data starts) from a .npy file's header, no data
    read; ValueError naming the file when it is damaged."""
    from numpy.lib import format as npy

    with open(path, "rb") as f:
        try:
            version = npy.read_magic(f)
            read = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
            if read is None:
                raise ValueError(f".npy format version {version} is not read here")
            shape, fortran, dtype = read(f)
        except NPY_ERRORS as exc:
            raise _unreadable_npy(path, exc) from exc
        return shape, fortran, dtype, f.tell()


def load_npy(path: Path) -> np.ndarray:
    """np.load of one of the index's small arrays; ValueError naming the file when it is damaged."""
    try:
        return np.load(path, allow_pickle=False)
    except NPY_ERRORS as exc:
        raise _unreadable_npy(path, exc) from exc


def _unreadable_npy(path: Path, exc: BaseException) -> ValueError:
    return ValueError(f"{Path(path).name} is not a readable .npy file ({exc})")


class Rows:
    """The rows of a 2-d .npy file, read on demand with pread. Not a memory map on purpose: the
    kernel maps a whole large page-cache folio (up to megabytes) on each fault, so a few thousand
    scattered reads of a memory-mapped file put most of it in the process's RSS; pread copies in
    only the rows asked for. Indexing takes an int, a slice with step 1, or a list of rows."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        shape, fortran, dtype, self._start = _npy_header(self.path)
        if len(shape) != 2 or fortran:
            raise ValueError(f"{self.path} is not a 2-d C-ordered array")
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)
        self._row = self.shape[1] * self.dtype.itemsize
        if self._start + self.shape[0] * self._row != self.path.stat().st_size:
            raise ValueError(f"{self.path} is truncated")
        self._fd = os.open(self.path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, a: int, b: int) -> np.ndarray:
        size, offset = (b - a) * self._row, self._start + a * self._row
        if size <= READ_CHUNK:
            data = os.pread(self._fd, size, offset)
        else:  # one pread returns at most 2 GiB on Linux: read a big span in pieces
            buf = bytearray(size)
            view, done = memoryview(buf), 0
            while done < size:
                got = os.preadv(self._fd, [view[done:done + READ_CHUNK]], offset + done)
                if got <= 0:
                    raise OSError(f"{self.path}: short read at byte {offset + done}")
                done += got
            data = buf
        if len(data) != size:
            raise OSError(f"{self.path}: short read ({len(data)} of {size} bytes)")
        return np.frombuffer(data, dtype=self.dtype).reshape(b - a, self.shape[1])

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            a, b, step = key.indices(len(self))
            if step != 1:
                raise IndexError("Rows takes slices with step 1")
            return self._read(a, max(a, b))
        if isinstance(key, (int, np.integer)):
            i = int(key) + (len(self) if key < 0 else 0)
            if not 0 <= i < len(self):
                raise IndexError(f"row {key} out of range")
            return self._read(i, i + 1)[0]
        rows = np.asarray(key, dtype=np.int64).reshape(-1)
        rows = np.where(rows < 0, rows + len(self), rows)
        if rows.size and not (0 <= rows.min() and rows.max() < len(self)):
            raise IndexError(f"rows out of range 0..{len(self) - 1}")
        # One pread per row straight into the result (scattered rows: 1,000 of them at a million
        # paragraphs for one question's exact rescoring; ~1 us each, where a read, a frombuffer
        # and a stack per row cost ~7 us).
        out = np.empty((rows.size, self.shape[1]), dtype=self.dtype)
        if not out.size:
            return out
        view = memoryview(out.reshape(-1).view(np.uint8))
        for i, r in enumerate(rows.tolist()):
            got = os.preadv(self._fd, [view[i * self._row:(i + 1) * self._row]], self._start + r * self._row)
            if got != self._row:
                raise OSError(f"{self.path}: short read at row {r}")
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self._read(0, len(self))
        return out if dtype is None else out.astype(dtype)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)


@dataclass
class Index:
    """An open index: paragraphs and vectors read on demand, BM25 memory-mapped, so that serving a
    million paragraphs holds only what a question touches (plus the FAISS index) in memory."""

    manifest: dict[str, Any]
    paragraphs: Sequence[Paragraph]
    dense: Any  # faiss.Index (inner product over unit vectors): candidates, or a qdrant_store.QdrantDense
    lexical: Any  # bm25s.BM25
    vectors: Any  # Rows or ndarray: one unit vector per paragraph, exact (rescoring, re-ingest)
    sentence_vectors: Any  # Rows or ndarray: one unit vector per sentence, paragraphs in order
    sentence_offsets: np.ndarray  # paragraph i's sentences are rows offsets[i]:offsets[i+1]

    def paragraph_sentence_vectors(self, row: int) -> np.ndarray:
        return self.sentence_vectors[self.sentence_offsets[row]:self.sentence_offsets[row + 1]]

    @property
    def settings(self) -> Settings:
        return Settings().with_overrides(**self.manifest["settings"])

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        """The indexed paragraph with this id, or None (its document was removed, or the id is
        a copy folded into another document's paragraph). Reads one row, found from the manifest."""
        row = row_of(self.manifest, paragraph_id)
        if row is None:
            return None
        if row < len(self.paragraphs) and self.paragraphs[row].id == paragraph_id:
            return self.paragraphs[row]
        # Not where the manifest puts it: an index written some other way. Look everywhere rather
        # than call a cited paragraph gone.
        return next((p for p in self.paragraphs if p.id == paragraph_id), None)


def row_of(manifest: dict[str, Any], paragraph_id: str) -> int | None:
    """Where `<doc>#<ordinal>` is stored: documents are stored in the manifest's order, each with
    its paragraphs 1..n in order less the copies folded into an earlier paragraph (`duplicates`).
    None when the document is not indexed or the paragraph is such a copy."""
    doc, _, ordinal = paragraph_id.rpartition("#")
    if not ordinal.isdigit():
        return None
    row = 0
    for name, d in manifest["documents"].items():
        copies = {int(c["id"].rpartition("#")[2]) for c in d.get("duplicates", [])}
        if name == doc:
            n = int(ordinal)
            if not 1 <= n <= d["paragraphs"] or n in copies:
                return None
            return row + n - 1 - sum(1 for c in copies if c < n)
        row += d["paragraphs"] - len(copies)
    return None


def rows_of(manifest: dict[str, Any], doc: str) -> range:
    """The rows a document's stored paragraphs take (row_of's layout: its copies folded into an
    earlier paragraph take none); empty when the document is not indexed."""
    row = 0
    for name, d in manifest["documents"].items():
        stored = d["paragraphs"] - len(d.get("duplicates", []))
        if name == doc:
            return range(row, row + stored)
        row += stored
    return range(0)


def build_lexical(paragraph_terms: Sequence[list[str]]) -> Any:
    """A BM25 index over pre-tokenised paragraphs (citewise.text.terms)."""
    import bm25s

    retriever = bm25s.BM25()  # Lucene variant, k1=1.5, b=0.75 (bm25s defaults)
    # An empty paragraph would make bm25s drop the row; a placeholder term keeps rows aligned.
    retriever.index([t if t else ["\x00"] for t in paragraph_terms], show_progress=False)
    return retriever


def ivf_lists(n: int) -> int:
    """Inverted lists for n vectors: about sqrt(n), the usual FAISS guideline, with at least 39
    vectors per list for k-means (FAISS warns below that)."""
    nlist = 1 << int(round(np.log2(max(n, 1) ** 0.5)))
    return max(1, min(nlist, n // 39))


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k best inner products of each query, by brute force in slices (`vectors` may be
    memory-mapped): the ground truth an approximate index is measured against."""
    best = np.full((len(queries), k), -np.inf, dtype=np.float32)
    rows = np.zeros((len(queries), k), dtype=np.int64)
    for a in range(0, len(vectors), 100_000):
        chunk = np.asarray(vectors[a:a + 100_000], dtype=np.float32)
        sc = np.concatenate([best, queries @ chunk.T], axis=1)
        rr = np.concatenate([rows, np.broadcast_to(np.arange(a, a + len(chunk)), (len(queries), len(chunk)))], axis=1)
        top = np.argsort(-sc, axis=1, kind="stable")[:, :k]
        best, rows = np.take_along_axis(sc, top, 1), np.take_along_axis(rr, top, 1)
    return rows


# Candidates per wanted row that an approximate index hands to exact rescoring. 4-bit PQ codes rank
# coarsely, so the exact top 10 is sought among the PQ top 200. Measured at 1M vectors, 384 of 1,024
# lists probed: recall@10 on pseudo-queries 0.981 with 10x, 0.991 with 20x, 0.992 with 40x; on
# SQuAD questions 0.993 / 0.995; a search for 50 rows 7.3 / 8.5 ms.
REFINE = 20
PQ_MIN = 1_024


def refined_top(index: Any, vectors: np.ndarray, query: np.ndarray, k: int, refine: int = REFINE) -> dict[int, float]:
    """The k best rows (and exact scores) among an index's refine * k candidates, rescored with the
    exact vectors: the refinement step of FAISS's IndexRefine, reading only those rows."""
    _, found = index.search(query.reshape(1, -1).astype(np.float32), min(index.ntotal, refine * k))
    rows = sorted(int(r) for r in found[0] if r >= 0)
    if not rows:
        return {}
    scores = (np.asarray(vectors[rows], dtype=np.float32) @ query.astype(np.float32)).tolist()
    return dict(sorted(zip(rows, scores), key=lambda x: (-x[1], x[0]))[:k])


def calibrate_nprobe(index: Any, vectors: np.ndarray, target: float = 0.99, queries: int = 100) -> float:
    """Set the fewest lists probed (1/16, 1/8, 1/4, 3/8, 1/2, 3/4 or all of nlist) whose refined
    recall@10 against exact search reaches `target` on pseudo-queries, normalised sums of random
    pairs of indexed vectors (they fall between paragraphs, as questions do: harder than an
    indexed vector itself).
    How many lists a query needs depends on how clustered the vectors are, so it is measured on
    the corpus rather than fixed. Returns the recall reached."""
    rng = np.random.default_rng(0)
    pairs = rng.choice(len(vectors), size=2 * queries)
    order = np.argsort(pairs)  # read the (maybe memory-mapped) rows in file order
    q = np.empty((2 * queries, vectors.shape[1]), dtype=np.float32)
    q[order] = np.asarray(vectors[pairs[order]], dtype=np.float32)
    q = q[:queries] + q[queries:]
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    truth = exact_top(vectors, q, 10)
    recall = 0.0
    for nprobe in sorted({max(1, index.nlist * m // 16) for m in (1, 2, 4, 6, 8, 12, 16)}):
        index.nprobe = nprobe
        recall = float(np.mean([len(set(refined_top(index, vectors, x, 10)) & set(t.tolist())) / 10
                                for x, t in zip(q, truth)]))
        if recall >= target:
            break
    return recall


def build_dense(vectors: np.ndarray, exact_max: int = 20_000) -> Any:
    """Exact inner-product search up to `exact_max` vectors. Above it an inverted file (Jegou, Douze
    & Schmid 2011) over 4-bit product-quantisation codes scanned with SIMD ("fast scan", Andre,
    Kermarrec & Le Scouarnec 2015; FAISS's IVF...,PQ...x4fs): dim/2 sub-quantisers, 4 bits each,
    i.e. 96 bytes of 1,536 per vector. Its candidates (REFINE per wanted row) are rescored with
    the exact vectors (vectors.npy), so quantisation never changes a score, only which rows are
    candidates; the lists probed per query are calibrated for recall@10 >= 0.99 against exact
    search. Measured at 1M vectors on 2 cores against the IVF-SQ8 index used before: a search
    for 50 rows 6.4 ms instead of 34 ms at the same 256 of 1,024 lists (recall@10 on SQuAD
    questions 0.986 both), in a quarter of its memory (96 bytes a vector against 384). An HNSW
    graph takes tens of minutes to build at that size."""
    import faiss

    n, dim = vectors.shape
    if n <= exact_max:
        index = faiss.IndexFlatIP(dim)
        if n:
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return index
    nlist = ivf_lists(n)
    sub = dim // 2 if dim % 2 == 0 else dim  # PQ needs dim divisible by the sub-quantiser count
    # 4-bit PQ trains 16 centroids per sub-quantiser; below PQ_MIN vectors (only with a tiny
    # exact_max) the lists hold the vectors themselves.
    codes = f"PQ{sub}x4fs" if n >= PQ_MIN else "Flat"
    index = faiss.index_factory(dim, f"IVF{nlist},{codes}", faiss.METRIC_INNER_PRODUCT)
    # k-means on 64 points per list is plenty (FAISS warns below 39); a fixed seed keeps it repeatable.
    sample = np.sort(np.random.default_rng(0).choice(n, size=min(n, 64 * nlist), replace=False))
    index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    for a in range(0, n, 100_000):  # in slices: `vectors` may be memory-mapped
        index.add(np.ascontiguousarray(vectors[a:a + 100_000], dtype=np.float32))
    calibrate_nprobe(index, vectors)
    return index


def dense_kind(index: Any) -> str:
    return type(index).__name__


def dense_params(index: Any) -> dict[str, int]:
    """The search parameters of an approximate index, for the manifest."""
    return {"nlist": int(index.nlist), "nprobe": int(index.nprobe)} if hasattr(index, "nprobe") else {}


def make_manifest(settings: Settings, dim: int, paragraphs: Sequence[Paragraph],
                  documents: dict[str, dict[str, Any]], skipped: list[dict[str, str]],
                  faiss_kind: str = "IndexFlatIP", faiss_params: dict[str, int] | None = None,
                  paragraph_count: int | None = None) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "model": settings.model,
        "encoder": settings.encoder,
        "dimension": dim,
        "metric": "inner_product_on_unit_vectors",
        "faiss_index": faiss_kind,
        "faiss_params": faiss_params or {},
        "lexical": LEXICAL_SCHEME,
        "settings": settings.to_dict(),
        "documents": documents,
        "skipped": skipped,
        "paragraph_count": len(paragraphs) if paragraph_count is None else paragraph_count,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def sentence_offsets(paragraphs: Sequence[Paragraph]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([len(p.sentences) for p in paragraphs])]).astype(np.int64)


def check_target(index_dir: Path) -> None:
    """Refuse, before any work, a place an index must not be written to: an existing file, or a
    folder that holds anything but an index (`--index ~/notes` would replace the notes), or one
    whose parent cannot be made or written."""
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexTargetError(f"{index_dir} is a file, not an index folder; choose another --index")
    if index_dir.is_dir() and not (index_dir / MANIFEST).exists() and any(index_dir.iterdir()):
        raise IndexTargetError(f"{index_dir} already holds files and is not a citewise index: writing an index "
                               "there would replace them. Choose a new or empty folder for --index")
    parent = index_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexTargetError(f"cannot make the folder for {index_dir}: {exc.strerror or exc}") from exc
    if not os.access(parent, os.W_OK):
        raise IndexTargetError(f"cannot write in {parent}")


@contextmanager
def locked(index_dir: Path, log: Any = lambda m: None) -> Iterator[None]:
    """One ingest at a time per index, across processes (an advisory lock on a file beside it):
    a second waits for the first instead of racing it through the swap."""
    import fcntl

    index_dir = Path(index_dir).resolve()
    with open(index_dir.with_name(f".{index_dir.name}.lock"), "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"another ingest is writing {index_dir}; waiting for it to finish ...")
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextmanager
def writing(index_dir: Path) -> Iterator[Path]:
    """A fresh folder beside `index_dir` to write an index into; swapped in when the block ends
    without error, removed when it fails, so the old index is kept until the new one is whole.
    Whoever writes must write the manifest last (write_manifest)."""
    index_dir = Path(index_dir).resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(index_dir)
    tmp = index_dir.with_name(f"{index_dir.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir()
        yield tmp
        if not (tmp / MANIFEST).exists():
            raise IndexCorruptError(f"internal error: {tmp} was written without a manifest")
        _fsync_dir(tmp)
    except OSError as exc:  # a full disk, a folder turned read-only: say so, keep the old index
        shutil.rmtree(tmp, ignore_errors=True)
        raise IndexWriteError(_not_written(index_dir, exc)) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = index_dir.with_name(f"{index_dir.name}.old-{os.getpid()}")
    if index_dir.exists():
        os.replace(index_dir, old)
    os.replace(tmp, index_dir)
    shutil.rmtree(old, ignore_errors=True)


def _not_written(index_dir: Path, exc: OSError) -> str:
    """Why the new index is not there, what is left as it was, and what to do."""
    why = exc.strerror or str(exc)
    try:  # numpy reports a full disk only as a short write ("44544 requested and 14304 written")
        free = shutil.disk_usage(index_dir.parent).free
        why += f" ({free / 1e6:.1f} MB free on that disk)" if free < 1e9 or exc.errno == errno.ENOSPC else ""
    except OSError:
        pass
    kept = "the index there is as it was" if (index_dir / MANIFEST).exists() else "no index was made"
    saved = checkpoint_size(index_dir)
    again = (f"; the {saved} paragraph(s) embedded so far are saved beside it, and the same command resumes "
             "from them" if saved else "")
    return f"the new index could not be written beside {index_dir}: {why}; {kept}{again}"


def write_paragraphs(folder: Path, paragraphs: Iterable[Paragraph]) -> int:
    """paragraphs.jsonl and the two offset tables that let a reader fetch one paragraph (and its
    sentence vectors) without reading the others. Streams: `paragraphs` may be a generator."""
    line_offsets, sent_offsets = [0], [0]
    with open(folder / PARAGRAPHS, "wb") as f:
        for p in paragraphs:
            line = (json.dumps(p.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
            f.write(line)
            line_offsets.append(line_offsets[-1] + len(line))
            sent_offsets.append(sent_offsets[-1] + len(p.sentences))
    np.save(folder / PARAGRAPH_OFFSETS, np.asarray(line_offsets, dtype=np.int64))
    np.save(folder / SENTENCE_OFFSETS, np.asarray(sent_offsets, dtype=np.int64))
    return len(line_offsets) - 1


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def save(index_dir: Path, manifest: dict[str, Any], paragraphs: Sequence[Paragraph],
         dense: Any, lexical: Any, sentence_vectors: np.ndarray, vectors: np.ndarray) -> None:
    """Write a complete index beside `index_dir`, then swap it in; the old one is kept until then."""
    import faiss

    n_sentences = sum(len(p.sentences) for p in paragraphs)
    if len(vectors) != len(paragraphs) or len(sentence_vectors) != n_sentences:
        # A bug, never the user's input: refuse before anything is written, so the old index stands.
        raise ValueError(f"refusing to write an inconsistent index: {len(paragraphs)} paragraphs with "
                         f"{n_sentences} sentences, but {len(vectors)} vectors and {len(sentence_vectors)} "
                         "sentence vectors")
    with writing(index_dir) as tmp:
        write_paragraphs(tmp, paragraphs)
        if not manifest.get("store"):  # FAISS lives in the folder; another store holds its vectors itself
            try:
                faiss.write_index(dense, str(tmp / DENSE))
            except RuntimeError as exc:  # FAISS reports a short write (a full disk) so, its cause last
                cause = re.search(r"\(([^()]+)\)\s*$", str(exc))
                raise OSError(f"{DENSE}: {cause.group(1) if cause else exc}") from exc
        np.save(tmp / VECTORS, np.asarray(vectors, dtype=np.float32))
        np.save(tmp / SENTENCES, np.asarray(sentence_vectors, dtype=np.float32))
        lexical.save(str(tmp / LEXICAL), show_progress=False)
        # The size of every file, so that a damaged or truncated one is noticed without reading it.
        manifest["files"] = {p.relative_to(tmp).as_posix(): p.stat().st_size
                             for p in sorted(tmp.rglob("*")) if p.is_file()}
        # The manifest is written last: a folder without one is never a complete index.
        write_manifest(tmp, manifest)


def _writer_alive(folder: Path) -> bool:
    """Whether the process named by a `<index>.tmp-<pid>` / `.old-<pid>` folder is still running
    (another ingest at work), so that its folders are left alone. Not this process: its own
    leftovers are always stale."""
    try:
        pid = int(folder.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def recover(index_dir: Path) -> None:
    """Restore the previous index if an ingest died between the two renames of its swap (not one
    that is still running: its swap completes by itself)."""
    index_dir = Path(index_dir)
    olds = sorted(p for p in index_dir.parent.glob(f"{index_dir.name}.old-*") if not _writer_alive(p))
    if not index_dir.exists() and olds and (olds[-1] / MANIFEST).exists():
        os.replace(olds[-1], index_dir)


def remove_stale(index_dir: Path) -> None:
    """Clear leftovers of an ingest that crashed (its process is gone); restore the old index if its
    swap was cut short. Folders of an ingest still running elsewhere are left alone."""
    recover(index_dir)
    for pattern in (f"{index_dir.name}.tmp-*", f"{index_dir.name}.old-*"):
        for stale in index_dir.parent.glob(pattern):
            if not _writer_alive(stale):
                shutil.rmtree(stale, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    for child in path.rglob("*"):
        if child.is_file():
            with open(child, "rb") as f:
                os.fsync(f.fileno())


def read_manifest(index_dir: Path) -> dict[str, Any]:
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexNotFoundError(f"{index_dir} is a file, not an index folder")
    if not path.exists():
        raise IndexNotFoundError(f"no index at {index_dir}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("documents"), dict) \
            or not isinstance(manifest.get("paragraph_count"), int):
        raise IndexCorruptError(f"{path} is not a citewise manifest; rebuild the index with ingest.py --rebuild")
    return manifest


def check_compatible(manifest: dict[str, Any], model: str, dim: int | None = None) -> None:
    """Refuse an index built with another model, dimension or format version."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(f"index format version {manifest.get('format_version')} "
                                 f"is not the supported version {FORMAT_VERSION}; rebuild it with "
                                 "ingest.py --rebuild")
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


def _damaged(index_dir: Path, exc: Exception) -> IndexCorruptError:
    """The error for an index folder whose files cannot be read as they should."""
    return IndexCorruptError(f"{index_dir} is damaged ({exc}); rebuild it with ingest.py --rebuild")


def _tables(index_dir: Path) -> tuple[np.ndarray, np.ndarray, Rows, Rows]:
    """The folder's paragraph offsets, sentence offsets, paragraph vectors and sentence vectors,
    opened (no vector read) and checked against each other by their sizes; IndexCorruptError when
    one is missing or they disagree."""
    try:
        line_offsets = load_npy(index_dir / PARAGRAPH_OFFSETS)
        offsets = load_npy(index_dir / SENTENCE_OFFSETS)
        vectors, sentences = Rows(index_dir / VECTORS), Rows(index_dir / SENTENCES)
        text_bytes = (index_dir / PARAGRAPHS).stat().st_size
    except (OSError, ValueError) as exc:
        raise _damaged(index_dir, exc) from exc
    if not (len(line_offsets) - 1 == len(offsets) - 1 == len(vectors)) or offsets[-1] != len(sentences) \
            or line_offsets[-1] != text_bytes:
        raise IndexCorruptError(f"{index_dir} is inconsistent: {len(line_offsets) - 1} paragraphs, "
                                f"{len(vectors)} vectors, {offsets[-1]} sentences, {len(sentences)} sentence vectors")
    return line_offsets, offsets, vectors, sentences


def reuse_key(paragraph: Paragraph) -> tuple[str, tuple[tuple[int, int], ...]]:
    """What a paragraph's stored vectors belong to: its text (hash) and how it was cut into
    sentences, since a new version of the splitter can cut the same text differently."""
    return paragraph.hash, tuple((int(a), int(b)) for a, b in paragraph.sentences)


def embedding_cache(index_dir: Path) -> dict[tuple, tuple[np.ndarray, np.ndarray]]:
    """{reuse_key(paragraph): (its vector, its sentence vectors)} of a complete index, read from the
    folder alone (vectors.npy and sentences.npy, each in one read): a re-ingest reuses them without
    opening FAISS, BM25 or a Qdrant server. Raises IndexCorruptError when the files disagree."""
    index_dir = Path(index_dir)
    line_offsets, offsets, vector_rows, sentence_rows = _tables(index_dir)
    try:
        vectors, sentences = np.asarray(vector_rows), np.asarray(sentence_rows)
        hashes = [reuse_key(p) for p in Paragraphs(index_dir / PARAGRAPHS, line_offsets)]
    except (OSError, ValueError, KeyError) as exc:
        raise _damaged(index_dir, exc) from exc
    if len(hashes) != len(vectors):
        raise IndexCorruptError(f"{index_dir} is inconsistent: {len(hashes)} paragraphs, {len(vectors)} vectors")
    return {h: (vectors[i], sentences[offsets[i]:offsets[i + 1]]) for i, h in enumerate(hashes)}


# ---------------------------------------------------------------- embedding checkpoints
# Vectors an ingest has made so far, kept beside the index until the index is written: an ingest cut
# short (Ctrl-C, a crash, a machine that sleeps) resumes from them instead of embedding again. They
# are read only under the ingest lock, and only when `stamp` (model, encoder, export recipe,
# chunking, sentence vectors, dimension) is the one they were made with.
CHECKPOINT_STAMP = "stamp.json"


def checkpoint_dir(index_dir: Path) -> Path:
    index_dir = Path(index_dir).resolve()
    return index_dir.with_name(f".{index_dir.name}.embedded")


def clear_checkpoint(index_dir: Path) -> None:
    shutil.rmtree(checkpoint_dir(index_dir), ignore_errors=True)


def write_whole(path: Path, write: Callable[[Any], None]) -> None:
    """`write(file)` to a temporary name, synced, then renamed to `path`: whole or not at all. The
    temporary file is removed if writing fails (a full disk), and the error raised."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_checkpoint(index_dir: Path, stamp: dict[str, Any], keys: Sequence[tuple], vectors: np.ndarray,
                     sentence_vectors: np.ndarray) -> None:
    """One more part: paragraphs `keys` (reuse_key) with their vectors and their sentences' vectors
    (in order), each file written whole or not at all. Raises OSError (a full disk, say)."""
    folder = checkpoint_dir(index_dir)
    folder.mkdir(exist_ok=True)
    if not (folder / CHECKPOINT_STAMP).exists():
        write_whole(folder / CHECKPOINT_STAMP, lambda f: f.write(json.dumps(stamp).encode("utf-8")))
    part = folder / f"part-{len(list(folder.glob('part-*.npz'))):06d}.npz"
    spans = [span for _, sentences in keys for span in sentences]
    write_whole(part, lambda f: np.savez(
        f, hashes=np.array([h for h, _ in keys], dtype=str),
        counts=np.array([len(s) for _, s in keys], dtype=np.int64),
        spans=np.array(spans, dtype=np.int64).reshape(-1, 2),
        vectors=np.asarray(vectors, dtype=np.float32),
        sentences=np.asarray(sentence_vectors, dtype=np.float32)))


def checkpoint_size(index_dir: Path) -> int:
    """How many paragraphs' vectors the checkpoint beside the index holds (0: none, or unreadable)."""
    import zipfile

    total = 0
    for part in checkpoint_dir(index_dir).glob("part-*.npz"):
        try:
            with np.load(part, allow_pickle=False) as z:
                total += len(z["counts"])
        except (OSError, zipfile.BadZipFile, *NPY_ERRORS):
            continue
    return total


def checkpoint_stamp(index_dir: Path) -> dict[str, Any] | None:
    """The settings an interrupted ingest's checkpoint was made with; None without a readable one."""
    try:
        stamp = json.loads((checkpoint_dir(index_dir) / CHECKPOINT_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def read_checkpoint(index_dir: Path, stamp: dict[str, Any]) -> dict[tuple, tuple[np.ndarray, np.ndarray]]:
    """{reuse_key: (vector, sentence vectors)} an interrupted ingest left with this `stamp`; a
    checkpoint of other settings is removed, and a part that cannot be read is passed over (its
    paragraphs are embedded again)."""
    import zipfile

    folder = checkpoint_dir(index_dir)
    try:
        made_with = json.loads((folder / CHECKPOINT_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # No stamp, or one that cannot be read: parts of unknown settings are never used, and the
        # folder goes so that this run's parts are stamped afresh.
        clear_checkpoint(index_dir)
        return {}
    if made_with != stamp:
        clear_checkpoint(index_dir)
        return {}
    cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    for part in sorted(folder.glob("part-*.npz")):
        try:
            with np.load(part, allow_pickle=False) as z:
                hashes, counts, spans, vectors, sentences = (z[k] for k in ("hashes", "counts", "spans",
                                                                            "vectors", "sentences"))
        except (OSError, zipfile.BadZipFile, *NPY_ERRORS):
            continue
        offsets = np.concatenate([[0], np.cumsum(counts)])
        if not len(hashes) == len(counts) == len(vectors) or not offsets[-1] == len(spans) == len(sentences):
            continue
        for i, h in enumerate(hashes):
            a, b = int(offsets[i]), int(offsets[i + 1])
            cache[(str(h), tuple((int(x), int(y)) for x, y in spans[a:b]))] = (vectors[i], sentences[a:b])
    return cache


def stored_paragraphs(index_dir: Path) -> Iterator[Paragraph]:
    """Every stored paragraph of the live index, in row order (one pass over the file)."""
    index_dir = Path(index_dir)
    line_offsets, _, _, _ = _tables(index_dir)
    try:
        yield from Paragraphs(index_dir / PARAGRAPHS, line_offsets)  # a bad line raises IndexCorruptError
    except OSError as exc:
        raise _damaged(index_dir, exc) from exc


def looks_whole(index_dir: Path, manifest: dict[str, Any]) -> bool:
    """A cheap check that the folder holds every file of the index its manifest describes, with
    consistent sizes (no vector, BM25 or FAISS data is read): what lets ingest trust an unchanged
    index instead of rebuilding it."""
    index_dir = Path(index_dir)
    try:
        for name, size in (manifest.get("files") or {}).items():
            if (index_dir / name).stat().st_size != size:
                return False
        _, _, vectors, _ = _tables(index_dir)
        for array in (index_dir / LEXICAL).glob("*.npy"):  # BM25's arrays: their headers parse
            _npy_header(array)
        return (len(vectors) == int(manifest["paragraph_count"]) and (index_dir / LEXICAL).is_dir()
                and ((manifest.get("store") or {}).get("kind") == "qdrant" or (index_dir / DENSE).is_file()))
    except (IndexCorruptError, KeyError, TypeError, ValueError, OSError):
        return False


def load(index_dir: Path) -> Index:
    """Open a complete index; raises IndexNotFoundError/IndexCorruptError/IndexMismatchError.

    Paragraphs and vectors are read on demand and BM25 arrays memory-mapped: a question brings
    into memory what it touches, not the whole index."""
    import bm25s

    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_compatible(manifest, manifest.get("model", ""))  # format version
    line_offsets, offsets, vectors, sentence_vectors = _tables(index_dir)
    try:
        paragraphs = Paragraphs(index_dir / PARAGRAPHS, line_offsets)
        dense = _open_dense(index_dir, manifest)
        if "nprobe" in manifest.get("faiss_params", {}):
            dense.nprobe = int(manifest["faiss_params"]["nprobe"])
        lexical = bm25s.BM25.load(str(index_dir / LEXICAL), show_progress=False, verbosity=0, mmap=True)
    except (OSError, RuntimeError, *NPY_ERRORS) as exc:
        raise _damaged(index_dir, exc) from exc
    if not (len(paragraphs) == dense.ntotal == len(vectors) == manifest["paragraph_count"]
            == int(lexical.scores["num_docs"])):
        raise IndexCorruptError(f"{index_dir} is inconsistent: {len(paragraphs)} paragraphs, "
                                f"{dense.ntotal} vectors, manifest says {manifest['paragraph_count']}")
    return Index(manifest=manifest, paragraphs=paragraphs, dense=dense, lexical=lexical, vectors=vectors,
                 sentence_vectors=sentence_vectors, sentence_offsets=offsets)
