"""Files -> paragraphs: read, clean and split each file; many files in worker processes.

Each file is read on its own (`parse_file` is pure but for reading its one file), so files can be
shared out among processes: on a machine with several cores, reading a large corpus no longer
waits on one. Results come back in file order, so an index is the same however it was read.
"""
from __future__ import annotations

import bisect
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Sequence

from .chunk import CountMany, TokenCounter, content_hash, split_paragraphs
from .clean import Removed, clean
from .errors import UnreadableFileError
from .load import SourceFile, read_document
from .types import Paragraph

# Below these a pool costs more than it saves (starting workers and sending paragraphs back: about
# 0.1 s), measured on the 10k benchmark corpus: 500 files, 7.3 MB.
POOL_MIN_FILES = 16
POOL_MIN_BYTES = 1_000_000


@dataclass(frozen=True)
class Parsed:
    """One file's paragraphs, or why it has none (`error`: it could not be read or split)."""

    pieces: list[Paragraph]
    digest: str = ""
    chars: int = 0
    removed: list[Removed] = field(default_factory=list)
    reason: str = ""
    error: bool = False


def heading_count(p: Paragraph, heading_lines: frozenset[int]) -> int:
    """How many of the paragraph's first lines start at a heading's offset in its document."""
    n, at = 0, p.start
    while at in heading_lines:
        n += 1
        nl = p.text.find("\n", at - p.start)
        if nl < 0:
            break
        at = p.start + nl + 1
    return n


def parse_file(f: SourceFile, max_tokens: int, count: TokenCounter, count_many: CountMany | None = None) -> Parsed:
    """Read, clean and split one file. A file that cannot be read, or that a library fails on,
    comes back with its reason instead of raising: it costs that file, not the ingest."""
    try:
        document = read_document(f.path)
        text = document.text
        spans, removed = clean(text, document.content_lines, document.furniture, document.heading_lines)
        pieces = split_paragraphs(f.doc, text, max_tokens, count, spans, count_many)
    except UnreadableFileError as exc:
        return Parsed([], reason=str(exc), error=True)
    except Exception as exc:  # a library's failure on odd input
        return Parsed([], reason=f"could not be split into paragraphs ({type(exc).__name__}: {str(exc)[:200]})",
                      error=True)
    if document.heading_lines:
        pieces = [replace(p, heads=heading_count(p, document.heading_lines)) for p in pieces]
    if document.page_starts:
        turns = document.page_starts
        pieces = [replace(p, page=document.page_at(p.start), page_turns=tuple(
            t - p.start for t in turns[bisect.bisect_right(turns, p.start):bisect.bisect_left(turns, p.end)]))
            for p in pieces]
    if not pieces:
        return Parsed([], reason="no text in it" if not removed else
                      "nothing left after removing page furniture (see the manifest)")
    return Parsed(pieces, content_hash(text), len(text), removed)


def workers_for(files: Sequence[SourceFile]) -> int:
    """Worker processes for reading `files`: one per usable core when they are many and large
    enough to pay for the pool, else 0 (read here). Only where processes can be forked (Linux):
    a worker then starts with the tokenizer already loaded, where a spawned one would load
    Python, the libraries and the tokenizer again."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cores = len(os.sched_getaffinity(0))
    if cores < 2 or len(files) < POOL_MIN_FILES:
        return 0
    size = 0
    for f in files:
        try:
            size += f.path.stat().st_size
        except OSError:
            pass
        if size >= POOL_MIN_BYTES:
            return min(cores, len(files))
    return 0


_job: tuple[int, TokenCounter, CountMany | None] | None = None  # what a forked worker parses with


def _start_worker(max_tokens: int, count: TokenCounter, count_many: CountMany | None) -> None:
    global _job
    _job = (max_tokens, count, count_many)
    # Ctrl-C is the parent's to handle: it stops the pool, and workers must not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked process must not use the tokenizer's thread pool: its threads were not copied.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _parse_in_worker(f: SourceFile) -> Parsed:
    assert _job is not None
    return parse_file(f, *_job)


def parse_files(files: Sequence[SourceFile], max_tokens: int, count: TokenCounter,
                count_many: CountMany | None = None, workers: int | None = None,
                log: Callable[[str], None] = lambda m: None) -> Iterator[Parsed]:
    """parse_file over `files`, in order; in `workers` forked processes (None: workers_for). If a
    worker dies (killed for memory, say), the files not yet parsed are read here instead."""
    workers = workers_for(files) if workers is None else workers
    done = 0
    if workers > 1:
        pool = ProcessPoolExecutor(workers, multiprocessing.get_context("fork"), initializer=_start_worker,
                                   initargs=(max_tokens, count, count_many))
        try:
            # Chunks of files per task: fewer round trips, and each worker still gets several.
            for parsed in pool.map(_parse_in_worker, files, chunksize=max(1, len(files) // (workers * 8))):
                yield parsed
                done += 1
        except BrokenProcessPool:
            log(f"A reading process stopped unexpectedly; reading the other {len(files) - done} files here")
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    for f in files[done:]:
        yield parse_file(f, max_tokens, count, count_many)
