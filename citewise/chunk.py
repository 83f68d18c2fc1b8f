"""Text -> Paragraphs with stable ids and character offsets. Pure: no I/O, no model."""
from __future__ import annotations

import hashlib
import re
from typing import Callable

from .text import sentence_spans
from .types import Paragraph

TokenCounter = Callable[[str], int]
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
    """Greedily join consecutive units (sentences or words) into pieces within max_tokens."""
    pieces: list[tuple[int, int]] = []
    cur_start, cur_end = units[0]
    for u_start, u_end in units[1:]:
        if count(text[cur_start:u_end]) <= max_tokens:
            cur_end = u_end
        else:
            pieces.append((cur_start, cur_end))
            cur_start, cur_end = u_start, u_end
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


def split_paragraphs(doc: str, text: str, max_tokens: int,
                     count_tokens: TokenCounter) -> list[Paragraph]:
    """Blank-line paragraphs of one document; over-long ones split at sentence boundaries.

    Ordinals number the stored pieces from 1 in reading order, so `doc#ordinal` is stable
    for as long as the document's text does not change.
    """
    paragraphs: list[Paragraph] = []
    for b_start, b_end in blocks(text):
        for s, e in _split_long(text, b_start, b_end, max_tokens, count_tokens):
            ordinal = len(paragraphs) + 1
            piece = text[s:e]
            paragraphs.append(Paragraph(id=f"{doc}#{ordinal}", doc=doc, ordinal=ordinal,
                                        text=piece, start=s, end=e, hash=content_hash(piece),
                                        sentences=tuple(sentence_spans(piece)) or ((0, len(piece)),)))
    return paragraphs
