"""PDF -> text in citewise's shape, from the page layout: pdfplumber (over pdfminer.six) gives each
line with its place and font, and the tables it finds by their ruling lines; the rest is pure.

A line's place and size say what the bare text cannot: a paragraph ends where the gap to the next
line is wider than the page's usual line pitch (or the next line is indented), a heading is set
larger or bold, a bullet or a number opens a list item, and a table's cells are read by row and
column instead of as a run of words (tables without ruling lines too, by their alignment:
text_tables). Running headers, footers and page numbers, and paragraphs that run on over a page
break, are load.pdf_document's: it puts the pages together.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence


@dataclass(frozen=True)
class Line:
    """One line of text as laid out: its distance from the page top, left edge and font."""

    text: str
    top: float
    x0: float = 0.0
    size: float = 10.0
    bold: bool = False


@dataclass(frozen=True)
class Table:
    """A table found on a page, by its top edge: rows of cell texts (None for a merged cell's
    continuation), and whether its first row is set in bold."""

    top: float
    rows: tuple[tuple[str | None, ...], ...]
    bold_header: bool = False


@dataclass(frozen=True)
class Page:
    """A page's lines in reading order (outside its tables) and its tables."""

    lines: tuple[Line, ...]
    tables: tuple[Table, ...] = ()


# A list item's marker: a bullet sign, or a number or letter with "." or ")" ("3.", "b)"); BULLET
# is a line it opens, MARKER_ALONE a marker set apart from its item's text.
_MARKER = r"([•▪◦‣∙·●○■□➢➤►\-–—*]|\(?(\d{1,2}|[a-z])[.)])"
BULLET = re.compile(rf"^{_MARKER}\s+\S")
MARKER_ALONE = re.compile(rf"^{_MARKER}$")
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)\]]*$")


def read_layout(path: Path) -> list[Page]:
    """Each page's lines (in pdfminer's reading order, columns one after the other) outside its
    tables, and its tables. The one function here that opens the file."""
    import pdfplumber
    from pdfminer.layout import LTCurve, LTTextContainer, LTTextLineHorizontal

    pages = []
    with pdfplumber.open(path, laparams={}) as pdf:
        for page in pdf.pages:
            # A table is found by its ruling lines: a page that draws none has none. Looking costs
            # pdfplumber a parse of every character (80% of the time of a page), so it is skipped.
            ruled = _count(page.layout, LTCurve) >= 2
            found = page.find_tables() if ruled else []
            boxes = [t.bbox for t in found]  # (x0, top, x1, bottom), from the page top
            tables = []
            for t in found:
                rows = tuple(tuple(None if c is None else " ".join(c.split()) for c in row) for row in t.extract())
                first = t.rows[0].bbox if t.rows else None
                chars = [c for c in page.chars if first and first[0] <= c["x0"] <= first[2]
                         and first[1] <= c["top"] <= first[3] and c["text"].strip()]
                bold = bool(chars) and all("bold" in c["fontname"].lower() for c in chars)
                tables.append(Table(t.bbox[1], rows, bold))
            lines = []
            for box in page.layout:
                if not isinstance(box, LTTextContainer):
                    continue
                for ln in box:
                    if not isinstance(ln, LTTextLineHorizontal):
                        continue
                    top = page.height - ln.y1
                    mid_x, mid_y = (ln.x0 + ln.x1) / 2, page.height - (ln.y0 + ln.y1) / 2
                    if any(b[0] <= mid_x <= b[2] and b[1] <= mid_y <= b[3] for b in boxes):
                        continue
                    cells = []
                    for cell in _cells(ln):
                        text = " ".join("".join(o.get_text() for o in cell).split())
                        chars = [c for c in cell if hasattr(c, "fontname") and c.get_text().strip()]
                        if not text or not chars:
                            continue
                        size = statistics.median(c.size for c in chars)
                        bold = sum("bold" in c.fontname.lower() for c in chars) > len(chars) / 2
                        cells.append(Line(text, top, chars[0].x0, round(size, 1), bold))
                    if cells:
                        lines.append(cells)
            lines, found_by_text = text_tables(lines)
            pages.append(Page(tuple(lines), tuple(sorted(tables + found_by_text, key=lambda t: t.top))))
    return pages


def _cells(line) -> list[list]:
    """A layout line's characters cut where the gap between two is wider than 1.5 ems: the cells
    of a table row without ruling lines ("Mileage   Mechanic   Next inspection"). Words of prose
    are never that far apart."""
    from pdfminer.layout import LTChar

    cells, current, last = [], [], None
    for o in line:
        if isinstance(o, LTChar):
            if last is not None and o.x0 - last.x1 > 1.5 * last.size and current:
                cells.append(current)
                current = []
            last = o
        current.append(o)
    if current:
        cells.append(current)
    return cells


def text_tables(lines: Sequence[Sequence[Line]], min_rows: int = 3) -> tuple[list[Line], list[Table]]:
    """Tables drawn without ruling lines, found by their alignment. `lines`: each layout line as
    its cells (_cells). A table is a run of `min_rows` or more rows (cells at one height, from any
    layout lines) of two or more short cells (5 words at most), in three columns or more or with
    digits in most rows, so that two columns of prose side by side are none; its cells are read by
    column (the cells' left edges, clustered). Returns the layout lines outside tables, each as
    one Line again (its cells joined), in reading order, and the tables."""
    rows: list[list[Line]] = []
    for cell in sorted((c for line in lines for c in line), key=lambda c: c.top):
        if rows and abs(rows[-1][0].top - cell.top) < 0.5 * cell.size:
            rows[-1].append(cell)
        else:
            rows.append([cell])

    def tabular(row: list[Line]) -> bool:
        # A list item's number beside its text (a hanging indent) is no table cell.
        first = min(row, key=lambda c: c.x0)
        return len(row) >= 2 and all(len(c.text.split()) <= 5 for c in row) and not MARKER_ALONE.match(first.text)

    taken: set[int] = set()  # ids of cells inside a table
    tables: list[Table] = []
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and tabular(rows[j]):
            j += 1
        run = rows[i:j]
        numeric = sum(any(ch.isdigit() for c in row for ch in c.text) for row in run) > len(run) / 2
        if len(run) >= min_rows and (max(len(r) for r in run) >= 3 or numeric):
            columns: list[float] = []
            for x in sorted(c.x0 for row in run for c in row):
                if not columns or x - columns[-1] > run[0][0].size:
                    columns.append(x)
            grid = []
            for row in run:
                cells = [""] * len(columns)
                for c in sorted(row, key=lambda c: c.x0):
                    k = max(n for n, x in enumerate(columns) if x <= c.x0 + 0.5)
                    cells[k] = f"{cells[k]} {c.text}".strip()
                grid.append(tuple(cells))
            tables.append(Table(run[0][0].top, tuple(grid), all(c.bold for c in run[0])))
            taken.update(id(c) for row in run for c in row)
        i = max(j, i + 1)
    out = []
    for line in lines:
        cells = [c for c in line if id(c) not in taken]
        if cells:
            first = cells[0]
            out.append(Line(" ".join(c.text for c in cells), first.top, first.x0, first.size, first.bold))
    return out, tables


def _count(container, kind, most: int = 2) -> int:
    """How many objects of `kind` the layout holds, figures looked into (up to `most`)."""
    from pdfminer.layout import LTFigure

    n = 0
    for o in container:
        if isinstance(o, kind):
            n += 1
        elif isinstance(o, LTFigure):
            n += _count(o, kind, most - n)
        if n >= most:
            break
    return n


@dataclass(frozen=True)
class Style:
    """The document's body text: its font size, line pitch, left edge and usual line width."""

    size: float
    pitch: float
    left: float
    width: float
    bold: bool


def body_style(pages: Sequence[Page]) -> Style:
    """The most common font size (by characters) is the body's; its pitch is the median distance
    between consecutive body lines that follow each other in one column."""
    lines = [ln for p in pages for ln in p.lines]
    if not lines:
        return Style(10.0, 12.0, 0.0, 1.0, False)
    by_size: dict[float, int] = {}
    for ln in lines:
        by_size[ln.size] = by_size.get(ln.size, 0) + len(ln.text)
    size = max(by_size, key=by_size.get)
    body = [ln for ln in lines if ln.size == size]
    steps = [b.top - a.top for p in pages for a, b in zip(p.lines, p.lines[1:])
             if a.size == b.size == size and 0 < b.top - a.top < 3 * size and abs(a.x0 - b.x0) < size]
    pitch = statistics.median(steps) if steps else 1.2 * size
    left = statistics.median(ln.x0 for ln in body)
    width = sorted(len(ln.text) for ln in body)[int(len(body) * 0.8)]
    bold = sum(ln.bold for ln in body) > len(body) / 2
    return Style(size, pitch, left, max(width, 1), bold)


def attach_markers(lines: Sequence[Line]) -> list[Line]:
    """A list item whose number or bullet stands apart from its text (a hanging indent: "3." in a
    cell of its own, the text to its right) as one line "3. Install ...", where the earlier of the
    two stood; layout analysis reads them as two boxes."""
    out = list(lines)
    for i, marker in enumerate(lines):
        if not MARKER_ALONE.match(marker.text):
            continue
        mates = [j for j, ln in enumerate(lines) if j != i and ln.x0 > marker.x0 and out[j] is not None
                 and abs(ln.top - marker.top) < 0.5 * marker.size and not MARKER_ALONE.match(ln.text)]
        if not mates or out[i] is None:
            continue
        j = min(mates, key=lambda k: lines[k].x0)
        merged = Line(f"{marker.text} {lines[j].text}", min(marker.top, lines[j].top), marker.x0,
                      lines[j].size, lines[j].bold)
        out[min(i, j)], out[max(i, j)] = merged, None
    return [ln for ln in out if ln is not None]


def is_heading(line: Line, style: Style) -> bool:
    """Set larger than the body, or in bold where the body is not, and short, without a sentence end."""
    short = len(line.text.split()) <= 14 and not _SENTENCE_END.search(line.text)
    return short and (line.size >= style.size + 1 or (line.bold and not style.bold))


# A block's lines, which of them are structural, and whether its last line may run on over a page
# break (a paragraph's or a list item's; not a heading's or a table row's).
# (lines, structural per line, may run on over a page break, how many first lines are headings)
Block = tuple[list[str], list[bool], bool, int]


def page_blocks(page: Page, style: Style, skip: set[int], table_rows: Callable[[Sequence, bool], list[str]],
                wrap: Callable[[str, str], str]) -> list[Block]:
    """A page's blocks in reading order: a paragraph is one line (its wrapped lines joined by
    `wrap`, which makes broken words whole), headings open the block after them, a list is a line
    an item (a lead-in ending ":" first), a table a row a line (`table_rows`: load's cell naming).
    Headings, items and rows are structural. `skip`: indices of lines that are page furniture."""
    blocks: list[Block] = []
    pending: list[str] = []  # headings waiting for their block
    current: list[str] = []
    listing = False
    item_x = 0.0  # where the last list item's line starts: its wrapped lines are indented from it
    prev: Line | None = None
    tables = list(page.tables)

    def emit(lines: list[str], structural: bool, open_end: bool = True) -> None:
        if lines or pending:
            marks = [True] * len(pending) + [structural] * len(lines)
            if listing and lines and lines[0].endswith(":") and not BULLET.match(lines[0]):
                marks[len(pending)] = False  # the lead-in is a sentence of its own
            blocks.append((pending + lines, marks, open_end and bool(lines), len(pending)))
            pending.clear()

    def flush() -> None:
        nonlocal current, listing
        if current:
            emit(current, listing)
        current, listing = [], False

    def emit_table(table: Table) -> None:
        emit(table_rows(table.rows, table.bold_header), True, False)

    lines = attach_markers([ln for i, ln in enumerate(page.lines) if i not in skip])
    for line in lines:
        while tables and tables[0].top <= line.top:
            flush()
            emit_table(tables.pop(0))
            prev = None
        step = line.top - prev.top if prev else 0.0
        gap = prev is None or step > 1.4 * style.pitch or step < -style.size or abs(line.size - prev.size) > 0.5 \
            or abs(line.x0 - prev.x0) > 20 * style.size  # another column
        ended = prev is not None and _SENTENCE_END.search(prev.text) is not None
        indent = ended and line.x0 - style.left > 0.8 * style.size and not BULLET.match(line.text)
        short_end = ended and len(prev.text) < 0.75 * style.width
        if is_heading(line, style):
            if prev is not None and pending and not gap and not current:
                pending[-1] += " " + line.text  # a heading set on two lines
            else:
                flush()
                pending.append(line.text)
        elif BULLET.match(line.text) and line.size <= style.size + 0.5:
            lead_in = current and not listing and current[-1].endswith(":")  # "You will need:"
            if not lead_in and (gap or not listing):
                flush()
            listing = True
            current.append(line.text)
            item_x = line.x0
        elif listing and not gap and line.x0 > item_x + 0.5 * style.size and current:
            current[-1] = wrap(current[-1], line.text)  # an item's wrapped line, indented under it
        elif gap or indent or short_end or listing or not current:
            flush()
            current = [line.text]
        else:
            current[-1] = wrap(current[-1], line.text)
        prev = line
    flush()
    for table in tables:  # tables below the last line
        emit_table(table)
    emit([], True)  # headings at the very end
    return blocks
