"""Text -> Paragraphs with stable ids and character offsets. Pure: no I/O, no model."""
from __future__ import annotations

import bisect
import hashlib
import re
from typing import Callable, Sequence

from .clean import Span
from .text import sentence_spans
from .types import Paragraph

TokenCounter = Callable[[str], int]
CountMany = Callable[[Sequence[str]], list[int]]  # TokenCounter over a list, in one call
_BLANK_LINES = re.compile(r"\n[ \t\f\v]*\n\s*")


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def blocks(text: str) -> list[tuple[int, int]]:
    """Spans of the blank-line separated blocks of `text`, trimmed of surrounding white space."""
    spans = []
    pos = 0
    for sep in list(_BLANK_LINES.finditer(text)) + [None]:
        end = sep.start() if sep else len(text)
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        if sep:
            pos = sep.end()
    return spans


def _pack(text: str, units: list[tuple[int, int]], max_tokens: int,
          count: TokenCounter) -> list[tuple[int, int]]:
    """Greedily join consecutive units (sentences or words) into pieces within max_tokens.

    Each unit is counted once and a piece's count is the sum of its units': the tokenizer splits
    at white space before it splits words into pieces, and units are set apart by white space.
    (Counting each growing piece again made a 6 MB line without sentence ends take 3 minutes.)"""
    pieces: list[tuple[int, int]] = []
    cur_start, cur_end = units[0]
    tokens = count(text[cur_start:cur_end])
    for u_start, u_end in units[1:]:
        n = count(text[u_start:u_end])
        if tokens + n <= max_tokens:
            cur_end, tokens = u_end, tokens + n
        else:
            pieces.append((cur_start, cur_end))
            cur_start, cur_end, tokens = u_start, u_end, n
    pieces.append((cur_start, cur_end))
    return pieces


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]


def _split_long(text: str, start: int, end: int, max_tokens: int,
                count: TokenCounter) -> list[tuple[int, int]]:
    """Split text[start:end] into pieces within max_tokens, at sentence (else word) boundaries."""
    if count(text[start:end]) <= max_tokens:
        return [(start, end)]
    sentences = [(start + s, start + e) for s, e in sentence_spans(text[start:end])]
    out: list[tuple[int, int]] = []
    for s, e in _pack(text, sentences or [(start, end)], max_tokens, count):
        if count(text[s:e]) > max_tokens:
            # One sentence longer than the whole window: only word boundaries are left.
            words = _words(text, s, e)
            out.extend(_pack(text, words, max_tokens, count) if len(words) > 1 else [(s, e)])
        else:
            out.append((s, e))
    return out


def group_spans(text: str, spans: Sequence[Span]) -> list[Span]:
    """Kept line spans -> paragraph spans: consecutive kept lines of one blank-line block and of
    one kind (and author) form a paragraph; a removed line between them splits it."""
    out: list[Span] = []
    block_of = _block_index(text)
    for sp in spans:
        if out:
            last = out[-1]
            gap = text[last.end:sp.start]
            same_block = block_of(last.start) == block_of(sp.start)
            if same_block and gap.strip() == "" and (last.kind, last.author) == (sp.kind, sp.author):
                out[-1] = Span(last.start, sp.end, last.kind, last.author)
                continue
        out.append(sp)
    return out


def _block_index(text: str) -> Callable[[int], int]:
    starts = [s for s, _ in blocks(text)]
    return lambda pos: bisect.bisect_right(starts, pos)


def split_paragraphs(doc: str, text: str, max_tokens: int, count_tokens: TokenCounter,
                     spans: Sequence[Span] | None = None,
                     count_many: CountMany | None = None) -> list[Paragraph]:
    """Paragraphs of one document; over-long ones split at sentence boundaries.

    `spans` are the kept lines from citewise.clean (None: keep everything as article text).
    `count_many`, if given, counts a list of texts at once as `count_tokens` counts each.
    Ordinals number the stored pieces from 1 in reading order, so `doc#ordinal` is stable
    for as long as the document's text does not change.
    """
    paragraphs: list[Paragraph] = []
    units = group_spans(text, spans) if spans is not None else [Span(s, e) for s, e in blocks(text)]
    count = count_tokens
    if count_many is not None and units:
        # Every paragraph is counted once to see whether it fits; one call for all of them lets a
        # tokenizer work on several at a time.
        whole = [text[u.start:u.end] for u in units]
        known = dict(zip(whole, count_many(whole)))
        count = lambda t: known[t] if t in known else count_tokens(t)  # noqa: E731
    for unit in units:
        for s, e in _split_long(text, unit.start, unit.end, max_tokens, count):
            ordinal = len(paragraphs) + 1
            piece = text[s:e]
            paragraphs.append(Paragraph(id=f"{doc}#{ordinal}", doc=doc, ordinal=ordinal,
                                        text=piece, start=s, end=e, hash=content_hash(piece),
                                        sentences=tuple(sentence_spans(piece)) or ((0, len(piece)),),
                                        kind=unit.kind, author=unit.author))
    return paragraphs
