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


# Footers: a copyright notice, a cookie banner, or two legal topics in one line. One legal word in
# a sentence of its own is content ("Staff canteen: the cookies are baked fresh every morning.").
_COPYRIGHT = re.compile(r"copyright|©|all rights reserved|advertising does not imply", re.I)
_LEGAL_TOPIC = re.compile(r"copyright|©|all rights reserved|privacy (statement|policy)|cookies?\b|terms of "
                          r"(use|service)|\bgdpr\b|general data protection|advertising does not imply", re.I)
_CONSENT = re.compile(r"\b((we|this (web)?site|our (web)?site) uses? cookies|accept (all )?cookies|cookie "
                      r"(settings|preferences|policy|consent|banner)|by (using|continuing to (use|browse)) this)\b", re.I)
# A site's appeal for money speaks for the site to its reader ("We need your help", "please consider
# becoming a supporter", "subscribe to our newsletter"); a button or price tag of one is a few words
# without a sentence end ("$5+ Billed Monthly", "SpaceDaily Contributor"). The same words in a
# sentence of a report or a policy are facts ("Revenue grew 12%", "billed directly to the company").
_APPEAL = re.compile(r"\b(please (consider (supporting|donating|subscribing|becoming|making a|a (donation|contribution))|"
                     r"support us|donate|subscribe|contribute|whitelist|disable (your )?ad ?block\w*)|"
                     r"(support|help) (us|our (work|journalism|reporting|site|mission))\b(?! (to )?(run|measure|build|"
                     r"keep track))|we need your (help|support)|become a (regular )?(member|patron|supporter|"
                     r"subscriber|contributor)|make a (one[- ]off |one[- ]time |small )?donation|(subscribe|sign up) "
                     r"(to|for) our|our (traditional )?(newsletter|journalism|news coverage)|ad ?blockers?|paywall|"
                     r"donate (now|today|here))\b", re.I)
_APPEAL_TAG = re.compile(r"\b(donat\w*|subscribe|paypal|billed|contributors?|supporters?|newsletter|sign up|credit card|"
                         r"patreon)\b", re.I)
# Share and comment widgets: a named call ("Share this article", "Comment using your Disqus ...
# login"), several networks in one short line, or a short button label.
_WIDGET_CALL = re.compile(r"\b(share (this|on|via) (article|story|page|post|video|photo|on|via)|share (on|via)\b|"
                          r"comment using|log ?in to (comment|reply|post)|follow us)\b", re.I)
_WIDGET = re.compile(r"\b(share (this|on|via)|comment using|log ?in|facebook|twitter|reddit|digg|"
                     r"del\.icio\.us|whatsapp|linkedin|social media)\b", re.I)
_RELATED = re.compile(r"^\W*(related (links?|posts?|stories|articles|news)|similar posts?|you may (also )?like|"
                      r"more (news|stories)|just in|read (the full story|more)|recommended(?=\W*$)|recommended "
                      r"(for you|reading|articles?|stories|posts?|videos?|links?|content|news|products?))\b", re.I)
_READ_MORE = re.compile(r"\s*(\.\.\.|…)?\s*read more\W*$", re.I)
# "by Staff Writers", and credit lines that name staff ("Editor:Yu Hui", "Reporter: Li Na"); not
# "Source: ...", which says where a story comes from.
_BYLINE = re.compile(r"^\W*(?:(?i:(?:edited |written |reported )?by)\s+|(?i:editors?|reporters?|writers?|authors?|"
                     r"translators?|photographers?|photo)\s*:\s*)[A-Z][\w.'-]*(\s+[A-Z][\w.'-]*){0,4}\W*$")
# E-mail: a greeting or a sign-off on a line of its own, the name under a sign-off, and a signature
# block (after the "-- " line that opens one, RFC 3676 §4.3) are no content.
_GREETING = re.compile(r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|greetings)\b[^.!?]{0,40}[,!:]?$", re.I)
_SIGN_OFF = re.compile(r"^(best( regards| wishes)?|(kind|warm|warmest|many|with) regards|regards|cheers|thanks( again| a lot)?|"
                       r"thank you|many thanks|sincerely|yours( sincerely| truly| faithfully)?|all the best|take care)"
                       r"[,.!]?$", re.I)
_NAME_ONLY = re.compile(r"^[A-Z][\w.'-]*(\s+[A-Z][\w.'-]*){0,2}$")
_ATTRIBUTION = re.compile(r"^on .{5,160} wrote:$", re.I)  # "On Wed, 5 Mar 2025 at 08:20, Jonas <j@x> wrote:"
_EMAIL = re.compile(rf"^({_ATTRIBUTION.pattern[1:-1]}|from: .+|subject: .+)$", re.I | re.M)
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


# Cells of a plain-text table, set apart by a tab or a run of spaces: no headline has them.
_COLUMNS = re.compile(r"\S(\t|\s{3,})\S")


def _title_like(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 14 and len(line) <= 120 and not _SENTENCE_END.search(line)


def _appeal_or_widget(line: str) -> str | None:
    n_words = len(line.split())
    tag = n_words <= 5 and not _SENTENCE_END.search(line)  # a button or label, not a sentence
    # Word counts first: the patterns are long alternations, and most lines are too long to match.
    if (n_words <= 40 and _APPEAL.search(line)) or (tag and _APPEAL_TAG.search(line)):
        return "donation or subscription appeal"
    if (n_words <= 20 and (_WIDGET_CALL.search(line) or len(_WIDGET.findall(line)) >= 2)) \
            or (tag and _WIDGET.search(line)):
        return "share or comment widget"
    return None


def _legal(line: str) -> bool:
    short = len(line.split()) <= 30
    return (short and bool(_COPYRIGHT.search(line) or _CONSENT.search(line))) or len(_LEGAL_TOPIC.findall(line)) >= 2


def _marked(text: str, start: int, structural: Collection[int]) -> bool:
    """Whether the line at `start` (trimmed) is one the format marked: marks are on the line's
    first character, indentation included (an indented line of code)."""
    return start in structural or text.rfind("\n", 0, start) + 1 in structural


def clean(text: str, structural: Collection[int] = (), furniture: Collection[int] = (),
          headings: Collection[int] = ()) -> tuple[list[Span], list[Removed]]:
    """Classify every non-blank line of `text`; return kept spans and removed ones. `structural`:
    start offsets of lines that the file's format marks as content (a Markdown list item or table
    row): the shape rules below (link lists, and the context rule) are for text without such marks.
    `furniture`: start offsets of lines the format marks as page furniture (a PDF's running
    headers and footers), removed as such. `headings`: start offsets of section titles, which
    are never a repeated line (a subsection's first paragraph repeats the titles above it)."""
    lines = _lines(text)
    reasons: dict[int, str] = {}
    kinds: dict[int, tuple[str, str | None]] = {}
    seen: set[str] = set()
    author: str | None = None
    signature = False  # inside an e-mail signature block (until the next blank line)
    email = bool(_EMAIL.search(text))
    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        if s in furniture:
            reasons[i] = "page header, footer or number"
            continue
        gap = text[lines[i - 1][1]:s] if i else "\n\n"
        follows = gap.count("\n") < 2  # in the same block as the line before
        signature = signature and follows
        # E-mail's own lines, only in e-mail ("From:"/"Subject:" headers or "On ... wrote:") and
        # never on a line the format marks: a Markdown heading "Hello World" is content.
        mail = email and not _marked(text, s, structural)
        if mail and (line == "--" or signature):
            signature = True
            reasons[i] = "e-mail signature"
            continue
        if mail and _GREETING.match(line) and len(line.split()) <= 6:
            reasons[i] = "e-mail greeting"
            continue
        # The writer's name alone closes a message: under a sign-off, or in a block of its own just
        # before the next quoted message or at the end of an e-mail.
        alone = mail and not follows and (
            i + 1 == len(lines) or (text[e:lines[i + 1][0]].count("\n") >= 2
                                    and _ATTRIBUTION.match(text[lines[i + 1][0]:lines[i + 1][1]])))
        if mail and (_SIGN_OFF.match(line) or (_NAME_ONLY.match(line) and (alone or (
                i and reasons.get(i - 1) == "e-mail sign-off" and follows)))):
            reasons[i] = "e-mail sign-off"
            continue
        key = " ".join(fold(line).split())
        # A list item the format marks (a PDF's "• Lead engineer: Oliver Brandt") is no commenter.
        commenter = _COMMENTER.match(line) if not _marked(text, s, structural) else None
        if commenter and not _SENTENCE_END.search(line):
            author = commenter.group(1).strip()
            reasons[i] = f"commenter name ({author})"
            continue
        if s in headings:
            pass  # a section title: repeated on purpose over its subsections (load.markdown_document)
        elif key in seen and len(key) >= 15:
            reasons[i] = "repeated line (printed twice on the page)"
            continue
        else:
            seen.add(key)
        if _legal(line):
            reasons[i] = "copyright or legal footer"
        elif _RELATED.search(line) and len(line.split()) <= 8:
            reasons[i] = "related-links or read-more header"
        elif _BYLINE.match(line):
            reasons[i] = "byline"
        elif (why := _appeal_or_widget(line)) is not None:
            reasons[i] = why
        elif (more := _READ_MORE.search(line)) and len(line.split()) >= 15:
            kinds[i] = ("teaser", None)
        elif more:
            reasons[i] = "related-links or read-more header"
        elif author is not None:
            kinds[i] = ("comment", author)
    # Link lists: runs of 3+ title-like lines (blank lines between them do not break a run),
    # once the article has begun.
    started = False
    run: list[int] = []

    def close_run() -> None:
        # A run that a line ending in ":" introduces is that line's list ("Packing list for the
        # fair:"), not links.
        introduced = run and run[0] > 0 and run[0] - 1 not in reasons \
            and text[lines[run[0] - 1][0]:lines[run[0] - 1][1]].endswith(":")
        if len(run) >= 3 and not introduced:
            for j in run:
                reasons.setdefault(j, "link list (run of short title-like lines)")
        run.clear()

    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        if len(line.split()) >= 20:
            started = True
        attribution = re.match(r"^\W*(source|editor|photo)\s*:", line, re.I)
        if started and i not in reasons and _title_like(line) and i not in kinds and not attribution \
                and not _marked(text, s, structural) and not _COLUMNS.search(line) and not line.endswith(":"):
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
