"""The shared vocabulary: every stage speaks Paragraph, Hit, Citation and Answer."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Paragraph:
    """One retrievable unit of a document.

    `id` is `<doc>#<ordinal>`: stable while the document's text is unchanged.
    `start`/`end` are character offsets into the document text (after newline normalisation).
    """

    id: str
    doc: str
    ordinal: int
    text: str
    start: int
    end: int
    hash: str
    # Sentence spans relative to `text`; what the answerer quotes and the reranker scores.
    sentences: tuple[tuple[int, int], ...] = ()
    kind: str = "article"  # article | teaser (a related-story summary) | comment (a reader's)
    author: str | None = None  # a comment's author
    # Ids of identical paragraphs elsewhere (syndicated copies), not indexed separately.
    also_in: tuple[str, ...] = ()
    also_in_text: tuple[str, ...] = ()  # their texts (a near-duplicate may differ in a word)
    page: int | None = None  # 1-based page of the paragraph's start (PDF only)
    # Offsets inside `text` where a new page begins: a paragraph that runs over a page break.
    page_turns: tuple[int, ...] = ()
    # How many of its first lines are section titles (Markdown, HTML, Word and PDF headings; 0 in plain text).
    heads: int = 0

    def about(self) -> str:
        """What the paragraph is besides its words, for matching only: a reader's comment and its
        author ("What did therealdmt say in his comment?"); "" for article text."""
        if self.kind != "comment":
            return ""
        who = self.author or "a reader"
        # A comment is what its author says: "What did X say/write?" asks for it.
        return f"reader comment by {who}: what {who} says, said, writes and wrote"

    def page_at(self, offset: int) -> int | None:
        """The page that the character at `offset` (inside `text`) is printed on (PDF only)."""
        if self.page is None:
            return None
        return self.page + sum(1 for t in self.page_turns if t <= offset)

    def to_dict(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies each value, a third of writing 10,000 paragraphs.
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["paragraph"] = d.pop("ordinal")
        d["sentences"] = [list(x) for x in self.sentences]
        d["also_in"] = list(self.also_in)
        d["also_in_text"] = list(self.also_in_text)
        d["page_turns"] = list(self.page_turns)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Paragraph":
        return cls(id=d["id"], doc=d["doc"], ordinal=d["paragraph"], text=d["text"],
                   start=d["start"], end=d["end"], hash=d["hash"],
                   sentences=tuple(tuple(x) for x in d.get("sentences", ())),
                   kind=d.get("kind", "article"), author=d.get("author"),
                   also_in=tuple(d.get("also_in", ())), also_in_text=tuple(d.get("also_in_text", ())),
                   page=d.get("page"), page_turns=tuple(d.get("page_turns", ())), heads=d.get("heads", 0))


@dataclass(frozen=True)
class Hit:
    """A paragraph returned by retrieval, with the scores that ranked it."""

    paragraph: Paragraph
    score: float  # the final ranking score
    dense: float | None = None  # cosine(question, paragraph)
    lexical: float | None = None  # BM25
    fused: float | None = None  # convex fusion of the two, before sentence reranking
    sentence: float | None = None  # best sentence score inside the paragraph
    row: int = -1  # position in the index

    def to_dict(self) -> dict[str, Any]:
        p = self.paragraph
        return {"id": p.id, "doc": p.doc, "paragraph": p.ordinal, "text": p.text,
                "kind": p.kind, "author": p.author, "also_in": list(p.also_in),
                "also_in_text": list(p.also_in_text), "page": p.page,
                "score": round(self.score, 6),
                "dense": None if self.dense is None else round(self.dense, 6),
                "lexical": None if self.lexical is None else round(self.lexical, 6),
                "fused": None if self.fused is None else round(self.fused, 6),
                "sentence": None if self.sentence is None else round(self.sentence, 6)}


@dataclass(frozen=True)
class Citation:
    """`[n]` in an answer: the paragraph it points at and the sentence(s) quoted from it."""

    n: int
    paragraph: Paragraph
    quote: str
    quote_start: int  # offset of the quote inside paragraph.text
    quote_end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        p = self.paragraph
        return {"n": self.n, "id": p.id, "doc": p.doc, "paragraph": p.ordinal, "text": p.text,
                "kind": p.kind, "author": p.author, "also_in": list(p.also_in),
                "also_in_text": list(p.also_in_text), "page": p.page_at(self.quote_start),
                "quote": self.quote, "quote_start": self.quote_start, "quote_end": self.quote_end,
                "score": round(self.score, 6)}


@dataclass
class Answer:
    """What the answerer returns; `to_dict` is the `ask --json` contract."""

    question: str
    answer: str
    short_answer: str | None
    abstained: bool
    citations: list[Citation]
    retrieved: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    confidence: float | None = None
    answerer: str = "extractive"  # or "llm:<model>"
    claims: list[Any] | None = None  # LLM answers: each sentence, its citations, whether supported
    fallback: bool = False  # an LLM answer failed its check; the extractive answer stands in
    # An extractive answer's quoted sentences, each with its citation number: `answer` is them
    # joined with their markers. Kept apart so that a "[2]" inside a quote is never taken for one.
    sentences: list[tuple[str, int]] = field(default_factory=list)
    # The question's words that no indexed paragraph contains ("woman" in "Who was the first woman
    # astronaut?"): shown beside the answer, so that a near miss is visible as one.
    not_in_documents: list[str] = field(default_factory=list)
    # Answered, but with a confidence under the `strict` level's threshold: at that level citewise
    # would have said "the documents do not say". Shown with the answer as a warning.
    unsure: bool = False
    # Why the answer was withheld or flagged, when a rule rather than the confidence decided: a
    # name no document holds, or no matching paragraph holding the kind of thing asked for.
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [h.to_dict() for h in self.retrieved],
            # On abstention the closest paragraphs are offered as related reading, never as support.
            "related": [h.to_dict() for h in self.retrieved[:3]] if self.abstained else [],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "answerer": self.answerer,
            "claims": None if self.claims is None else [c.to_dict() for c in self.claims],
            "fallback": self.fallback,
            "sentences": [{"text": t, "citation": n} for t, n in self.sentences],
            "not_in_documents": list(self.not_in_documents),
            "unsure": self.unsure,
            "reason": self.reason,
        }
