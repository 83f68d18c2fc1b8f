"""Answer -> HTML for the web UI. Every piece of document text is escaped: shown, never run."""
from __future__ import annotations

import html
import re
from typing import Any, Collection

CSS = """
.cw-answer { font-size: 1.05rem; line-height: 1.6; }
.cw-answer, .cw-card, .cw-history, .cw-note { overflow-wrap: anywhere; }
.cw-asked { font-size: 0.9rem; opacity: 0.8; margin-bottom: 4px; }
.cw-unsupported { background: rgba(220,38,38,0.10); text-decoration: underline wavy rgba(220,38,38,0.6); }
.cw-draft { opacity: 0.7; font-style: italic; }
.cw-note { font-size: 0.85rem; opacity: 0.8; margin-bottom: 6px; }
.cw-short { font-size: 1.3rem; margin-bottom: 6px; }
.cw-answer a.cw-cite { text-decoration: none; font-weight: 600; padding: 0 2px; }
.cw-abstain { border-left: 4px solid #d97706; padding: 8px 12px; background: rgba(217,119,6,0.08); }
.cw-card { border: 1px solid rgba(128,128,128,0.35); border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; }
.cw-card:target { outline: 2px solid #2563eb; box-shadow: 0 0 0 4px rgba(37,99,235,0.15); }
.cw-card h4 { margin: 0 0 6px 0; font-size: 0.95rem; }
.cw-card .cw-meta { font-size: 0.8rem; opacity: 0.75; margin-bottom: 6px; }
.cw-card p { white-space: pre-wrap; margin: 0; line-height: 1.5; }
.cw-card mark { background: #fde68a; color: #111; padding: 0 1px; }
.cw-related { opacity: 0.85; }
.cw-stale { opacity: 0.6; border-style: dashed; }
.cw-unsure { border-left: 4px solid #d97706; padding: 4px 10px; opacity: 1; }
#cw-docs-table th, #cw-docs-table th * { white-space: nowrap; word-break: keep-all; }
"""

_MARKER = re.compile(r"\[(\d+)\]")
_KIND_LABEL = {"comment": "reader comment", "teaser": "related-story teaser", "article": "article"}


def _kind(p: dict[str, Any]) -> str:
    label = _KIND_LABEL.get(p.get("kind") or "article", p.get("kind") or "article")
    if p.get("kind") == "comment" and p.get("author"):
        label += f" by {p['author']}"
    return html.escape(label)


def _where(p: dict[str, Any]) -> str:
    """'doc · p. 4 · paragraph 7' (the page only for PDFs)."""
    page = f" · p. {p['page']}" if p.get("page") else ""
    return f"{html.escape(p['doc'])}{page} · paragraph {p['paragraph']}"


def _scores(p: dict[str, Any]) -> str:
    """Why it ranked where it did: the retrieval scores of the paragraph."""
    parts = [f"{label} {p[key]:.3f}" for key, label in (("dense", "cosine"), ("lexical", "BM25"),
                                                       ("fused", "fused"), ("sentence", "best sentence"))
             if p.get(key) is not None]
    return f'<div class="cw-meta" data-testid="scores">{" · ".join(parts)}</div>' if parts else ""


def _also_in(p: dict[str, Any]) -> str:
    if not p.get("also_in"):
        return ""
    return " · also in " + ", ".join(html.escape(x) for x in p["also_in"])


def stale_note(result: dict[str, Any], stale: Collection[str]) -> str:
    """Said above an answer from an earlier visit when paragraphs it shows (`stale`: their ids)
    are no longer in the index as they were."""
    if result.get("abstained"):
        gone = [r for r in result.get("related", []) if r["id"] in stale]
        what = (f'{len(gone)} of the related paragraphs {"are" if len(gone) > 1 else "is"}'
                if len(gone) < len(result.get("related", [])) else
                f'the related paragraph{"s are" if len(gone) > 1 else " is"}')
        how = "shown"
    else:
        gone = sorted(c["n"] for c in result.get("citations", []) if c["id"] in stale)
        what = (f'source{"s" if len(gone) > 1 else ""} {", ".join(f"[{n}]" for n in gone)} '
                f'{"are" if len(gone) > 1 else "is"}')
        how = "quoted"
    if not gone:
        return ""
    return (f'<div class="cw-note" data-testid="stale">An earlier answer: {what} no longer in the index as {how} '
            '(removed or changed since). Ask again for an answer from the documents as they are now.</div>')


def absent_note(result: dict[str, Any]) -> str:
    """The question's words no indexed document contains, said under the answer (a near miss
    such as "the first *woman* astronaut" shows as one)."""
    absent = result.get("not_in_documents") or []
    if not absent:
        return ""
    listed = ", ".join(f"<strong>{html.escape(w)}</strong>" for w in absent)
    return (f'<div class="cw-note" data-testid="not-in-documents">No indexed document contains '
            f'{"the word" if len(absent) == 1 else "these words"} of the question: {listed}</div>')


def reason_note(result: dict[str, Any]) -> str:
    """Why a rule withheld or flagged the answer ("No indexed document names or spells out: Fedora.")."""
    reason = result.get("reason")
    return f'<div class="cw-note" data-testid="reason">{html.escape(reason)}</div>' if reason else ""


def unsure_note(result: dict[str, Any]) -> str:
    """Said over an answer that the strict level would have withheld."""
    if not result.get("unsure"):
        return ""
    from .answer import unsure_text

    return f'<div class="cw-note cw-unsure" data-testid="unsure">{html.escape(unsure_text(result.get("confidence")))}</div>'


def asked(result: dict[str, Any]) -> str:
    """The question an answer answers, over it: the box may hold the next question already."""
    question = result.get("question") or ""
    shown = question if len(question) <= 300 else question[:300].rstrip() + " …"
    return f'<div class="cw-asked" data-testid="asked">Q: {html.escape(shown)}</div>' if question else ""


def answer_html(result: dict[str, Any], stale: Collection[str] = ()) -> str:
    """The answer text with each [n] as a link to its source card; `stale`: the ids of the
    paragraphs it shows that the index no longer holds as they were (an answer restored from an
    earlier visit)."""
    if not result:
        return ""
    text = html.escape(result["answer"])
    if result["abstained"]:
        return (f'<div class="cw-answer cw-abstain" data-testid="abstained">{asked(result)}{stale_note(result, stale)}'
                f'{text}{reason_note(result)}{absent_note(result)}</div>')
    where = {c["n"]: f'{c["doc"]} paragraph {c["paragraph"]}' for c in result.get("citations", [])}

    def link(n: int | str) -> str:
        # Every link reads "[n]"; a screen reader also hears which source it leads to.
        label = html.escape(f"source {n}" + (f": {where[int(n)]}" if int(n) in where else ""), quote=True)
        return f'<a class="cw-cite" href="#cw-cite-{n}" data-cite="{n}" aria-label="{label}">[{n}]</a>'

    if "sentences" in result:
        # Only the markers citewise placed are links: a "[2]" inside a quoted sentence is the
        # document's own text.
        linked = " ".join(f"{html.escape(t)} {link(n)}" for t, n in
                          ((s["text"], s["citation"]) for s in result["sentences"]))
    else:  # a result saved before answers listed their sentences (the UI's stored history)
        linked = _MARKER.sub(lambda m: link(m.group(1)), text)
    if result.get("claims") and not result.get("fallback"):
        # An LLM's answer: each sentence with its checked citations; unsupported ones flagged.
        parts = []
        for c in result["claims"]:
            marks = "".join(" " + link(n) for n in c["citations"])
            body = html.escape(c["text"]) + marks
            parts.append(body if c["supported"] else
                         f'<span class="cw-unsupported" data-testid="unsupported" title="not supported by '
                         f'the source it cites">{body} <em>(not supported by the sources)</em></span>')
        linked = " ".join(parts)
    elif result.get("fallback"):
        linked = ('<div class="cw-note">The LLM\'s answer did not hold up against the sources; this is the '
                  'answer quoted from them instead.</div>' + linked)
    short = ""
    if result.get("short_answer"):
        n = next((c["n"] for c in result["citations"] if result["short_answer"] in c["quote"]), 1)
        short = (f'<div class="cw-short" data-testid="short-answer"><strong>'
                 f'{html.escape(result["short_answer"])}</strong> {link(n)}</div>')
    return (f'<div class="cw-answer" data-testid="answer">{asked(result)}{stale_note(result, stale)}{unsure_note(result)}'
            f'{reason_note(result)}{short}{linked}{absent_note(result)}</div>')


def _highlighted(text: str, start: int, end: int) -> str:
    return (html.escape(text[:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>"
            + html.escape(text[end:]))


def sources_html(result: dict[str, Any], stale: Collection[str] = ()) -> str:
    """One card per citation (quote highlighted), or the related paragraphs on abstention; the
    cards of `stale` paragraphs (ids) say that the index no longer holds them as shown."""
    if not result:
        return ""
    cards = []
    if result["abstained"]:
        cards.append("<h3>Related paragraphs (not support)</h3>")
        for r in result["related"]:
            gone = r["id"] in stale
            cards.append(
                f'<div class="cw-card cw-related{" cw-stale" if gone else ""}"><h4>{_where(r)}'
                f'{" · no longer in the index as shown" if gone else ""}</h4>'
                f'<div class="cw-meta">{_kind(r)} · score {r["score"]:.3f}{_also_in(r)}</div>'
                f'<p>{html.escape(r["text"])}</p></div>')
        return "\n".join(cards)
    cards.append("<h3>Sources</h3>")
    scores = {r["id"]: r for r in result.get("retrieved", [])}
    for c in result["citations"]:
        gone = c["id"] in stale
        cards.append(
            f'<div class="cw-card{" cw-stale" if gone else ""}" id="cw-cite-{c["n"]}" tabindex="-1" data-testid="citation">'
            f'<h4>[{c["n"]}] {_where(c)}{" · no longer in the index as quoted" if gone else ""}</h4>'
            f'<div class="cw-meta">{_kind(c)} · id {html.escape(c["id"])} · score {c["score"]:.3f}'
            f'{_also_in(c)}</div>'
            f'{_scores(scores.get(c["id"], {}))}'
            f'<p>{_highlighted(c["text"], c["quote_start"], c["quote_end"])}</p></div>')
    return "\n".join(cards)


def history_html(past: list[dict[str, Any]]) -> str:
    """Earlier questions, newest first: the question, the answer as text, where it came from."""
    if not past:
        return '<div class="cw-meta">Your questions and their answers stay here, also after a refresh.</div>'
    items = []
    for entry in past:
        r = entry["result"]
        cited = ", ".join(f'{c["doc"]} ¶{c["paragraph"]}' for c in r.get("citations", []))
        kind = "cw-abstain" if r.get("abstained") else ""
        question = r["question"] if len(r["question"]) <= 300 else r["question"][:300].rstrip() + " …"
        items.append(f'<li class="{kind}"><strong>{html.escape(question)}</strong><br>'
                     f'{html.escape(r["answer"])}<div class="cw-meta">{html.escape(cited)}</div></li>')
    return f'<ol class="cw-history" data-testid="history">{"".join(items)}</ol>'
