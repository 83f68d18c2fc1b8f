"""File -> text. One function per format; every failure becomes UnreadableFileError with a reason."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .config import SUPPORTED_SUFFIXES
from .errors import UnreadableFileError

MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """A file found under the paths given to ingest, and its name inside the index."""

    path: Path
    doc: str  # the name shown in citations: path relative to the folder it was found in


@dataclass(frozen=True)
class Skipped:
    """A file ingest passed over, and why (shown in the summary)."""

    path: str
    reason: str


def discover(paths: Iterable[Path]) -> tuple[list[SourceFile], list[Skipped]]:
    """Expand files and folders (recursively) into supported files, in a stable order."""
    found: list[SourceFile] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for root in paths:
        root = Path(root)
        if not root.exists():
            skipped.append(Skipped(str(root), "no such file or folder"))
            continue
        if root.is_file():
            candidates = [(root, root.name)]
        else:
            candidates = [(p, p.relative_to(root).as_posix())
                          for p in sorted(root.rglob("*")) if p.is_file()]
        for path, doc in candidates:
            if any(part.startswith(".") for part in Path(doc).parts):
                continue  # hidden files and folders (.git, .DS_Store) are not documents
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                skipped.append(Skipped(str(path), f"unsupported type '{path.suffix or '(none)'}' "
                                                  f"(supported: {', '.join(SUPPORTED_SUFFIXES)})"))
                continue
            if doc in seen:
                skipped.append(Skipped(str(path), f"another file is already indexed as '{doc}'"))
                continue
            seen.add(doc)
            found.append(SourceFile(path, doc))
    return found, skipped


def decode(data: bytes) -> str:
    """Bytes -> str: UTF-8 (with or without BOM), else cp1252; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise UnreadableFileError("looks like a binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # cp1252 is what most non-UTF-8 Western text is; it is a superset of latin-1's printables.
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(f"not UTF-8 or cp1252 text ({exc.reason} at byte {exc.start})") from exc
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > 0.05 * max(1, len(text[:8192])):
        raise UnreadableFileError("looks like a binary file (too many control characters)")
    return normalise_newlines(text)


def normalise_newlines(text: str) -> str:
    """Windows and old-Mac line endings -> \\n, so that offsets mean the same everywhere."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path) -> str:
    """Read a .txt or .md file as text."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableFileError(f"too large ({size / 1e6:.0f} MB; limit {MAX_FILE_BYTES / 1e6:.0f} MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"cannot be read: {exc.strerror or exc}") from exc
    return decode(data)
