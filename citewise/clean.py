"""Text -> the spans worth indexing, minus page furniture; what was removed is kept, with why.

Pure and line-based, so that every kept span is still an exact slice of the document and
citations keep their character offsets. The rules read shapes that recur across scraped pages,
not the strings of one site:
  - a line printed twice in one document (photo captions, footers);
  - copyright / legal / cookie footers;
  - donation and subscription appeals, share and comment-login widgets;
  - "related" / "read more" / "similar posts" headers and runs of three or more short,
    title-like lines without sentence punctuation (link lists), once the article has begun;
  - byline-only lines ("by Staff Writers") and staff credit lines ("Editor: Yu Hui").
A long "related story" teaser that ends in "read more" carries facts: it is kept as kind
"teaser" (without the "read more"). A bullet followed by a short name starts a reader comment:
the lines after it are kind "comment" with that author.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection

from .text import fold


@dataclass(frozen=True)
class Span:
    """A kept stretch of the document: [start, end) with its kind and, for comments, author."""

    start: int
    end: int
    kind: str = "article"  # article | teaser | comment
    author: str | None = None


@dataclass(frozen=True)
class Removed:
    """A removed stretch of the document and the rule that removed it."""

    start: int
    end: int
    text: str
    reason: str

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "reason": self.reason}


_LEGAL = re.compile(r"copyright|©|all rights reserved|privacy (statement|policy)|cookies?\b|terms of "
                    r"(use|service)|\bgdpr\b|general data protection|advertising does not imply", re.I)
_APPEAL = re.compile(r"\b(donat\w*|subscri\w*|paypal|billed|contribution|contributors?|supporters?|ad ?blockers?|paywall|"
                     r"newsletter|sign up|credit card|revenues?|become a (member|patron))\b", re.I)
_WIDGET = re.compile(r"\b(share (this|on|via)|comment using|log ?in|facebook|twitter|reddit|digg|"
                     r"del\.icio\.us|whatsapp|linkedin|social media)\b", re.I)
_RELATED = re.compile(r"^\W*(related (links?|posts?|stories|articles|news)|similar posts?|you may (also )?like|"
                      r"more (news|stories)|just in|read (the full story|more)|recommended)\b", re.I)
_READ_MORE = re.compile(r"\s*(\.\.\.|…)?\s*read more\W*$", re.I)
# "by Staff Writers", and credit lines that name staff ("Editor:Yu Hui", "Reporter: Li Na"); not
# "Source: ...", which says where a story comes from.
_BYLINE = re.compile(r"^\W*(?:(?i:(?:edited |written |reported )?by)\s+|(?i:editors?|reporters?|writers?|authors?|"
                     r"translators?|photographers?|photo)\s*:\s*)[A-Z][\w.'-]*(\s+[A-Z][\w.'-]*){0,4}\W*$")
_COMMENTER = re.compile(r"^\s*[•·▪●*]\s+(\S[^.!?]{0,48})\s*$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def _lines(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank lines, trimmed."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group()
        if line.strip():
            lead = len(line) - len(line.lstrip())
            out.append((m.start() + lead, m.start() + lead + len(line.strip())))
    return out


def _title_like(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 14 and len(line) <= 120 and not _SENTENCE_END.search(line)


def _appeal_or_widget(line: str) -> str | None:
    n_words = len(line.split())
    appeal = len(_APPEAL.findall(line))
    widget = len(_WIDGET.findall(line))
    if appeal >= 2 or (appeal and n_words <= 25):
        return "donation or subscription appeal"
    if widget >= 2 or (widget and n_words <= 12):
        return "share or comment widget"
    return None


def _marked(text: str, start: int, structural: Collection[int]) -> bool:
    """Whether the line at `start` (trimmed) is one the format marked: marks are on the line's
    first character, indentation included (an indented line of code)."""
    return start in structural or text.rfind("\n", 0, start) + 1 in structural


def clean(text: str, structural: Collection[int] = ()) -> tuple[list[Span], list[Removed]]:
    """Classify every non-blank line of `text`; return kept spans and removed ones. `structural`:
    start offsets of lines that the file's format marks as content (a Markdown list item or table
    row): the shape rules below (link lists, and the context rule) are for text without such marks."""
    lines = _lines(text)
    reasons: dict[int, str] = {}
    kinds: dict[int, tuple[str, str | None]] = {}
    seen: set[str] = set()
    author: str | None = None
    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        key = " ".join(fold(line).split())
        commenter = _COMMENTER.match(line)
        if commenter and not _SENTENCE_END.search(line):
            author = commenter.group(1).strip()
            reasons[i] = f"commenter name ({author})"
            continue
        if key in seen and len(key) >= 15:
            reasons[i] = "repeated line (printed twice on the page)"
            continue
        seen.add(key)
        if _LEGAL.search(line) and (len(line.split()) <= 30 or len(_LEGAL.findall(line)) >= 2):
            reasons[i] = "copyright or legal footer"
        elif _RELATED.search(line) and len(line.split()) <= 8:
            reasons[i] = "related-links or read-more header"
        elif _BYLINE.match(line):
            reasons[i] = "byline"
        elif (why := _appeal_or_widget(line)) is not None:
            reasons[i] = why
        elif _READ_MORE.search(line) and len(line.split()) >= 15:
            kinds[i] = ("teaser", None)
        elif _READ_MORE.search(line):
            reasons[i] = "related-links or read-more header"
        elif author is not None:
            kinds[i] = ("comment", author)
    # Link lists: runs of 3+ title-like lines (blank lines between them do not break a run),
    # once the article has begun.
    started = False
    run: list[int] = []

    def close_run() -> None:
        if len(run) >= 3:
            for j in run:
                reasons.setdefault(j, "link list (run of short title-like lines)")
        run.clear()

    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        if len(line.split()) >= 20:
            started = True
        attribution = re.match(r"^\W*(source|editor|photo)\s*:", line, re.I)
        if started and i not in reasons and _title_like(line) and i not in kinds and not attribution \
                and not _marked(text, s, structural):
            run.append(i)
        else:
            close_run()
    close_run()
    # Context (as in jusText): a line between two lines removed for the same reason shares it,
    # e.g. one sentence of a donation appeal that names no money word itself.
    for i in range(1, len(lines) - 1):
        before, after = reasons.get(i - 1), reasons.get(i + 1)
        if i not in reasons and i not in kinds and not _marked(text, lines[i][0], structural) and before \
                and before == after and len(
                text[lines[i][0]:lines[i][1]].split()) <= 30:
            reasons[i] = before
    # A teaser's title sits right above it: it belongs to the teaser.
    for i in [i for i, (kind, _) in kinds.items() if kind == "teaser"]:
        for j in (i - 1, i - 2):
            if j >= 0 and j not in reasons and j not in kinds and _title_like(text[lines[j][0]:lines[j][1]]):
                kinds[j] = ("teaser", None)
    kept: list[Span] = []
    removed: list[Removed] = []
    for i, (s, e) in enumerate(lines):
        if i in reasons:
            removed.append(Removed(s, e, text[s:e], reasons[i]))
            continue
        kind, who = kinds.get(i, ("article", None))
        m = _READ_MORE.search(text[s:e]) if kind == "teaser" else None
        if m:
            removed.append(Removed(s + m.start(), e, text[s + m.start():e].strip(), "read-more link"))
            e = s + m.start()
        kept.append(Span(s, e, kind, who))
    return kept, removed
