"""Question + Hits -> Answer with citations. Extractive: every sentence is quoted verbatim.

Pure: the caller supplies sentence embeddings and term statistics, so that composition and
abstention can be tested without a model.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Container, Mapping, Sequence

import numpy as np

from .qtype import asks, asks_version, asks_version_of, is_full_sentence, speaker_of, titled_version
from .short import full_name, row_named, short_answer, table_cell
from .text import (ABBREVIATIONS, LIST_NUMBER, Vocabulary, bare, fold, has_cjk, initials_in, stem, stopwords,
                   terms, words)
from .types import Answer, Citation, Hit, Paragraph

ABSTAIN_TEXT = ("The documents do not say. The closest paragraphs are listed as related reading, "
                "not as support.")
ABSTENTION_MODEL = Path(__file__).with_name("abstention.json")


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence: which hit it comes from and where it sits in that paragraph."""

    hit: int
    start: int
    end: int
    text: str
    position: int = 0  # index among its paragraph's sentences


def candidate_sentences(hits: Sequence[Hit], n_paragraphs: int) -> list[Sentence]:
    """The sentences of the first n paragraphs, in rank order."""
    out = []
    for i, hit in enumerate(hits[:n_paragraphs]):
        text = hit.paragraph.text
        for j, (s, e) in enumerate(hit.paragraph.sentences):
            out.append(Sentence(hit=i, start=s, end=e, text=text[s:e], position=j))
    return out


def not_in_documents(question: str, indexed_terms: Container[str]) -> list[str]:
    """The question's words (folded, without stopwords, once each) whose term no indexed paragraph
    holds. Matching is by stem, as everywhere: "women" counts for "woman" only where both stem alike.
    Chinese and Japanese are left out: their terms are character bigrams, and a missing bigram
    ("的首" of "的首位") is no word a reader would recognise."""
    # The word that makes "how" ask for a quantity ("How long ...?", "How far ...?"): no text needs to
    # say it to answer.
    asking = _ASKING | set(re.findall(r"\bhow\s+(\w+)", fold(question)))
    return list(dict.fromkeys(w for w in words(question)
                              if not has_cjk(w) and w not in asking and stem(w) not in indexed_terms))


def unknown_identifiers(missing: Sequence[str], question: str = "") -> list[str]:
    """The words of `missing` (not_in_documents) that are identifiers: letters and digits in one
    word ("x3", "e05", "a320", "r-2626"; not an ordinal, a decade, a time or "pre-1875"), words
    joined by underscores or a dot ("max_queue_size", "redis.conf"), or, as `question` writes it,
    a word with a capital inside ("maxQueueSize")."""
    camel = {fold(w) for w in re.findall(r"\w+", question) if re.search(r"[a-z][A-Z]", w)}
    return [w for w in missing if re.search(r"[^\W\d_]", w) and (
        (re.search(r"\d", w) and not _NOT_AN_IDENTIFIER.fullmatch(w))
        or re.search(r"[^\W_]_+[^\W_]|[^\W\d_]{2,}\.[^\W\d_]{2,}", w) or w in camel)]


def capitalised_inside(question: str) -> set[str]:
    """The folded words the question writes with a capital inside a sentence ('Fedora', 'Indian',
    'CEO'): its names. None in a question in title case or capitals, where a capital tells nothing."""
    tokens = list(re.finditer(r"[^\W\d_][\w'’.-]*", question))
    inside = [m.group(0) for m in tokens if not _opens_sentence(question[:m.start()])]
    small = [w for w in inside if fold(w) in stopwords()]
    # Title case or capitals: the small words ('is', 'the', 'of') have capitals too, or, in a
    # question without any, every word of three or more.
    if small and 2 * sum(w[0].isupper() for w in small) > len(small) \
            or not small and len(inside) >= 3 and all(w[0].isupper() for w in inside):
        return set()
    # A title ("Dr.", "Prof.") is no name; nor is a letter or a numeral ("Shenzhou V", "World War II").
    return {w for token in inside if token[0].isupper() and fold(token.rstrip(".")) not in ABBREVIATIONS
            for w in words(bare(token)) if len(w) > 1 and not _ROMAN.fullmatch(w)}


def _opens_sentence(before: str) -> bool:
    """Whether a word after `before` starts a sentence: nothing but quotes or brackets before it,
    or a sentence's end that is not a title's or an initial's full stop ("Dr. Yang", "J. Smith")."""
    before = before.rstrip(" \t\n\"'“‘«([")
    if not before or before[-1] in "!?:":
        return True
    last = re.search(r"(\w+)\.$", before)
    return bool(last) and len(last.group(1)) > 1 and fold(last.group(1)) not in ABBREVIATIONS


_ROMAN = re.compile(r"(?=[ivx])x{0,3}(ix|iv|v?i{0,3})")


def unknown_names(question: str, missing: Sequence[str], recognised: Callable[[str], bool]) -> list[str]:
    """The words of `missing` (not_in_documents) that the question writes as names
    (capitalised_inside) and `recognised` does not know: 'Fedora' where the documents list Ubuntu
    and Debian. An answer about the nearest thing they do cover would be about something else."""
    names = capitalised_inside(question)
    return [w for w in missing if bare(w) in names and not recognised(w)]


SYNONYM_COSINE = 0.8  # 'moon' ~ 'lunar' 0.92, 'swiss' ~ 'switzerland' 0.91; 'indian' ~ 'chinese' 0.52


def recognised(word: str, holds: Callable[[str], bool], vocabulary: Vocabulary, near: Sequence[str],
               similarity: Callable[[str], float]) -> bool:
    """Whether a question word no paragraph holds still names what the documents speak of: a slip
    or a derived form of a term they hold (Vocabulary.spelled_like), an abbreviation one of the
    `near` paragraphs spells out ('SP': "Scottish Parliament"), or a synonym of one of their words
    by the model's cosine (`similarity`: 'Moon' ~ 'lunar'). A compound counts whole or piece by piece."""
    word = bare(word)
    pieces = [x for x in re.split(r"[\W_]+", word) if x and x not in stopwords()]
    if len(pieces) > 1:  # "WW-II", "Li-wei" (the documents' "Liwei")
        return holds(stem("".join(pieces))) or all(
            recognised(x, holds, vocabulary, near, similarity) for x in pieces)
    if len(word) < 2 or _ROMAN.fullmatch(word) or holds(stem(word)) or vocabulary.spelled_like(word):
        return True
    # Written short in the documents: "Feb" for "February", "Sept" for "September", "Gov" for "Governor".
    if any(word.startswith(short) and holds(short) for short in ABBREVIATIONS if short.isalpha() and len(short) > 2):
        return True
    if len(word) <= 5 and any(initials_in(word, text) for text in near):
        return True
    return similarity(word) >= SYNONYM_COSINE


def as_written(question: str, word: str) -> str:
    """A folded word of the question ('fedora', "winston's") as the question writes it ('Fedora',
    'WInston'), without its possessive; the word itself when no token folds to it."""
    word = bare(word)
    for token in re.findall(r"[\w'’.-]+", question):
        token = bare(token.strip("'’."))
        if fold(token) == word:
            return token
    return word


_NOT_AN_IDENTIFIER = re.compile(r"\d+(?:'?s|st|nd|rd|th|am|pm|h|km|kg|m|cm|mm|g|s|min)|(?:pre|post|mid|early|late)-\d+s?")


# Words that make "how" ask for a quantity; NLTK's stopwords have "how" but not these, and no text
# needs to say "many" to answer "How many ...?". (Kept as terms elsewhere: dropping them from
# retrieval and abstention moved nothing on the SQuAD fit data and let one more of the sample's
# unanswerable questions through, so only this list leaves them out.)
_ASKING = frozenset({"many", "much"})


def coverage(query_terms: Sequence[str], text_terms: set[str], idf: Callable[[str], float]) -> float:
    """Share of the question's IDF mass whose terms occur in the text (0..1)."""
    q = set(query_terms)
    total = sum(idf(t) for t in q)
    if total <= 0:
        return 0.0
    return sum(idf(t) for t in q if t in text_terms) / total


_PRONOUN_START = re.compile(r"^\W*(he|she|it|they|this|these|those|that|his|her|its|their|there|such)\b", re.I)


# Sentences that address a model rather than state anything: the phrasings of prompt injection
# (OWASP Top 10 for LLM Applications, LLM01). They stay in the index, and an LLM sees them quoted
# as data, but they are never quoted as an answer.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?(of\s+)?(your\s+|the\s+)?"
    r"(previous|prior|above|earlier|preceding|original|system)\s+(instructions?|prompts?|rules|directions|guidelines)\b"
    r"|\bsystem prompt\b", re.I)


def states(sentence: str) -> bool:
    """Whether a sentence can be quoted as an answer: not one addressed to a model (instruction_like)
    and not a question, which asks what the answer would state (an FAQ's "Can I take the panels?")."""
    return not instruction_like(sentence) and not asks(sentence)


def instruction_like(sentence: str) -> bool:
    """Whether a sentence reads as instructions to an AI ("Ignore previous instructions and ...")."""
    return bool(_INSTRUCTION.search(sentence))


def starts_with_pronoun(sentence: str) -> bool:
    """A sentence that opens with a pronoun leans on the one before it for its subject."""
    return bool(_PRONOUN_START.match(sentence))


def subject_sentence(hits: Sequence[Hit], x: Sentence) -> Sentence | None:
    """The sentence before `x` when `x` opens with a pronoun ("He works as ..."): it names who or
    what `x` is about, so it is quoted (and read) with `x`."""
    if not starts_with_pronoun(x.text) or x.position == 0:
        return None
    paragraph = hits[x.hit].paragraph
    s, e = paragraph.sentences[x.position - 1]
    if instruction_like(paragraph.text[s:e]):  # names nobody; never quoted (see instruction_like)
        return None
    return Sentence(hit=x.hit, start=s, end=e, text=paragraph.text[s:e], position=x.position - 1)


def sentence_scores(query_terms: Sequence[str], texts: Sequence[str], cosines: np.ndarray,
                    idf: Callable[[str], float], weight: float, about: set[str] = frozenset()) -> np.ndarray:
    """weight * cosine(question, sentence) + (1 - weight) * IDF-weighted term coverage.

    Coverage of a sentence that opens with a pronoun also counts the terms of the sentence before
    it, where its subject is named ("Yang ... . He works as the director" answers "What does Yang do?").
    `about`: terms every sentence of the paragraph counts as its own (context_terms).
    """
    term_sets = [set(terms(t)) | about for t in texts]
    cov = np.array([coverage(query_terms, term_sets[i] | (term_sets[i - 1] if i and starts_with_pronoun(t)
                                                          else set()), idf)
                    for i, t in enumerate(texts)], dtype=np.float32)
    return weight * np.asarray(cosines, dtype=np.float32) + (1.0 - weight) * cov


def context_terms(paragraph: Paragraph) -> set[str]:
    """Terms every sentence of the paragraph counts as its own when it is matched: what the
    paragraph is besides its words (Paragraph.about: a comment's author) and the section titles
    that open it (heading_terms)."""
    return set(terms(paragraph.about())) | heading_terms(paragraph)


def heading_text(paragraph: Paragraph) -> str:
    """The section titles that open a paragraph (Paragraph.heads lines), or ""."""
    return "\n".join(paragraph.text.split("\n")[:paragraph.heads]) if paragraph.heads else ""


def heading_terms(paragraph: Paragraph) -> set[str]:
    """Terms of the section titles that open a paragraph (Paragraph.heads: a changelog's
    "2.3.0 - 2024-10-21" and "Removed"). They say what the sentences under them are about:
    "Support for Python 3.8 and 3.9 was dropped" answers "... dropped in 2.3.0?" only with its
    heading, so every sentence of the paragraph counts them as its own when it is matched."""
    return set(terms(heading_text(paragraph)))


def list_after(hits: Sequence[Hit], x: Sentence, most: int = 12) -> list[Sentence]:
    """The lines that a lead-in ending in ":" introduces ("To claim an expense:" and the numbered
    steps under it): the sentences after it in its paragraph that each open a line. Quoted with it,
    since the lead-in alone answers nothing."""
    if not x.text.rstrip().endswith(":"):
        return []
    paragraph = hits[x.hit].paragraph
    out: list[Sentence] = []
    for j in range(x.position + 1, min(len(paragraph.sentences), x.position + 1 + most)):
        s, e = paragraph.sentences[j]
        if paragraph.text[s - 1:s] != "\n":  # a line's opening, not a sentence inside a line
            break
        marked = bool(_ITEM.match(paragraph.text[s:e]))
        if out and _ITEM.match(out[0].text) and not marked:  # numbered or bulleted items end here
            break
        out.append(Sentence(hit=x.hit, start=s, end=e, text=paragraph.text[s:e], position=j))
    return out


# "How do I ...?", "How can we ...?", "How to ...?": a person doing something, not "How do X and Y differ?".
_PROCEDURE = re.compile(r"^\s*how (?:(?:do|can|should|would|could|may|does) (?:i|we|you|one|someone|a user)|to)\b"
                        r"(?!.*\b(much|many|long|often|far)\b)", re.I)


# A list item's opening: a number ("3.", "(2)") or a bullet sign. (Word's own bullets are no text.)
_ITEM = re.compile(LIST_NUMBER.pattern + r"|\s*[•▪◦‣∙●○■□➢➤►*–—-]\s")


def as_quoted(hits: Sequence[Hit], x: Sentence) -> str:
    """The sentence as the answer quotes it: with the one before when it opens with a pronoun."""
    subject = subject_sentence(hits, x)
    return hits[x.hit].paragraph.text[subject.start:x.end] if subject else x.text


@dataclass(frozen=True)
class Evidence:
    """Signals the abstention decision reads (all on comparable 0..1 scales)."""

    sentence_cosine: float
    sentence_coverage: float
    paragraph_coverage: float
    corpus_coverage: float
    dense_top: float
    type_match: float = 1.0  # the chosen sentence holds the kind of thing asked for
    rarest_missing: float = 0.0  # IDF of the rarest question term absent from the paragraph / max IDF

    def vector(self) -> list[float]:
        return [self.sentence_cosine, self.sentence_coverage, self.paragraph_coverage,
                self.corpus_coverage, self.dense_top, self.type_match, self.rarest_missing]


@lru_cache(maxsize=1)
def abstention_model() -> dict:
    """Logistic-regression weights fitted by eval/fit_abstention.py on SQuAD dev data."""
    return json.loads(ABSTENTION_MODEL.read_text(encoding="utf-8"))


ABSTAIN_LEVELS = ("strict", "balanced", "never")


def abstain_threshold(level: str) -> float:
    """The P(answerable) below which the answerer abstains, for a strictness level."""
    if level not in ABSTAIN_LEVELS:
        raise ValueError(f"unknown abstention level {level!r}; choose one of {', '.join(ABSTAIN_LEVELS)}")
    return float(abstention_model()["thresholds"][level])


def answerable_probability(evidence: Evidence, model: Mapping | None = None) -> float:
    """P(the documents hold the answer) = sigmoid(w . x + b)."""
    model = model or abstention_model()
    z = model["bias"] + sum(w * x for w, x in zip(model["weights"], evidence.vector()))
    return 1.0 / (1.0 + math.exp(-z))


def unsure_text(confidence: float | None) -> str:
    """What is said over an answer given below the strict level's threshold."""
    level = f" (confidence {confidence:.2f})" if confidence is not None else ""
    return (f"Unsure: the documents may not hold the answer{level}; at the strict level citewise would "
            "not answer. Check the quoted sources.")


Read = Callable[[str, Sequence[str]], Sequence["tuple[str, float] | None"]]


def read_lead(question: str, hits: Sequence[Hit], sentences: Sequence[Sentence], scores: Sequence[float],
              read: Read, depth: int, weight: float) -> tuple[int | None, dict[int, tuple[str, float] | None]]:
    """The sentence that leads an answer when the reader helps choose: it reads the `depth`
    best-scored sentences (as they would be quoted), and the one with the highest score + weight *
    its phrase's logit leads. Returns its index (None when the reader found a phrase in none) and
    each read sentence's (phrase, logit) or None."""
    # A sentence the reader finds a confident answer in may overtake a better-matching one that
    # does not answer (on two SQuAD articles the top-scored sentence held the answer for 67% of
    # questions, one of the top five for 89%).
    top = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[:depth]
    reads = dict(zip(top, read(question, [as_quoted(hits, sentences[i]) for i in top]), strict=True))
    lead = max(((scores[i] + weight * got[1], -rank, i) for rank, (i, got) in enumerate(reads.items()) if got),
               default=None)
    return (lead[2] if lead else None), reads


def compose(question: str, hits: Sequence[Hit], sentences: Sequence[Sentence],
            scores: Sequence[float], abstain: bool, max_sentences: int = 2,
            second_ratio: float = 0.92, confidence: float | None = None,
            typed: Sequence[bool] | None = None,
            read: Read | None = None,
            read_depth: int = 5, read_weight: float = 0.03) -> Answer:
    """Build the answer from the best sentences, each followed by `[n]` for its paragraph.

    With `read` (the trained span reader, citewise.reader: for each text its best phrase and that
    phrase's start + end logit, or None), the reader reads the `read_depth` best sentences (as
    they would be quoted); the one with the highest score + read_weight * logit is the lead: it
    gets citation [1], it is what the second sentence's score is compared with, and its phrase is
    the short answer. Without `read`, the short answer comes from the rules of citewise.short.

    `typed[i]` says whether sentence i holds the kind of thing the question asks for; when the
    best sentence does not and its neighbour in the same paragraph does, the neighbour is quoted
    too ("... a gathering at the Centre. The number of attendees was seventeen.").
    """
    if abstain or not sentences:
        return Answer(question=question, answer=ABSTAIN_TEXT, short_answer=None, abstained=True,
                      citations=[], retrieved=list(hits), confidence=confidence)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    if read_depth < 1:
        raise ValueError(f"read_depth must be at least 1, got {read_depth}")

    reads: dict[int, tuple[str, float] | None] = {}
    short, short_logit = None, -math.inf
    if read is not None:
        lead, reads = read_lead(question, hits, sentences, scores, read, read_depth, read_weight)
        if lead is not None:
            short, short_logit = reads[lead]
            order.remove(lead)
            order.insert(0, lead)
    best = scores[order[0]]
    chosen = [order[0]]
    for i in order[1:max_sentences]:
        # A title line ("Quarterly planning meeting, 3 March 2025") states nothing beside the lead.
        if scores[i] >= second_ratio * best and sentences[i].text.strip() != sentences[order[0]].text.strip() \
                and is_full_sentence(sentences[i].text):
            chosen.append(i)
    if typed is not None and not typed[order[0]]:
        b = order[0]
        for j in (b + 1, b - 1):
            if 0 <= j < len(sentences) and sentences[j].hit == sentences[b].hit and typed[j]:
                chosen.append(j)
                if read is not None:
                    # The neighbour holds the asked-for kind of thing: its phrase competes with
                    # the lead's for the short answer.
                    got = reads[j] if j in reads else read(question, [as_quoted(hits, sentences[j])])[0]
                    if got and got[1] > short_logit:
                        short, short_logit = got
                break
    # "How do I ...?" asks for the steps: a lead-in among the best candidates that introduces a list
    # ("To change it:" and its numbered steps) is quoted beside a lead that states a fact.
    steps = None
    if _PROCEDURE.match(question) and not list_after(hits, sentences[order[0]]):
        steps = next((i for i in order[1:read_depth] if list_after(hits, sentences[i])), None)
        if steps is not None and steps not in chosen:
            chosen.append(steps)
    # A table row among the best candidates whose column and row the question names holds the value
    # asked for ("Version: 2.4; Jobs per second: 2,700" for Lanternfish 2.4's jobs per second), where
    # the lead's phrase may be another number ("The table below shows jobs dispatched per second on
    # a cluster of 64 nodes"): it is quoted beside the lead and its cell is the short answer.
    cell = None
    if not table_cell(question, sentences[order[0]].text):
        cell, row = next(((c, i) for i in order[1:read_depth] if row_named(question, sentences[i].text)
                          and (c := table_cell(question, sentences[i].text))), (None, None))
        if row is not None and row not in chosen:
            chosen.append(row)
    quoted: dict[tuple[int, int], tuple[Sentence, float]] = {}
    for i in chosen:
        x = sentences[i]
        quoted[(x.hit, x.start)] = (x, scores[i])
        subject = subject_sentence(hits, x)
        if subject:
            quoted.setdefault((x.hit, subject.start), (subject, scores[i]))
        for item in list_after(hits, x):
            quoted.setdefault((x.hit, item.start), (item, scores[i]))
    # The best sentence's paragraph first; inside a paragraph, reading order.
    best_hit = sentences[order[0]].hit
    ordered = sorted(quoted.values(), key=lambda q: (q[0].hit != best_hit, q[0].hit, q[0].start))
    citations: list[Citation] = []
    numbers: dict[int, int] = {}
    parts: list[tuple[str, int]] = []
    for x, score in ordered:
        if x.hit not in numbers:
            numbers[x.hit] = len(numbers) + 1
            citations.append(Citation(n=numbers[x.hit], paragraph=hits[x.hit].paragraph, quote=x.text,
                                      quote_start=x.start, quote_end=x.end, score=score))
        else:
            # Several sentences of one paragraph: one citation whose quote spans them.
            c = citations[numbers[x.hit] - 1]
            start, end = min(c.quote_start, x.start), max(c.quote_end, x.end)
            citations[numbers[x.hit] - 1] = Citation(
                n=c.n, paragraph=c.paragraph, quote=c.paragraph.text[start:end],
                quote_start=start, quote_end=end, score=max(c.score, score))
        parts.append((x.text.strip(), numbers[x.hit]))
    if list_after(hits, sentences[order[0]]) or steps is not None:
        short = None  # a lead-in introduces a list: the answer is the list, no phrase of the lead-in
    elif cell:
        short = cell
    elif read is None:
        # The short answer comes from the best sentence, else from the others quoted with it.
        short = next((a for a in (short_answer(question, x.text) for x in
                                  [sentences[order[0]]] + [q[0] for q in ordered]) if a), None)
    if asks_version(question) and not asks_version_of(question):
        # A changelog's entry says what changed; the release it came in is its section's title
        # ("2.4.0 - 2025-02-03"), whatever versions of other things the entry names ("Python 3.9").
        short = titled_version(heading_text(hits[sentences[order[0]].hit].paragraph)) or short
    lead = citations[0]
    # "Which reader thought ...?" answered by a reader's comment: its author, whom no sentence names.
    short = speaker_of(question, lead.paragraph.kind, lead.paragraph.author, lead.quote) or short
    if short:
        # A surname or given name alone ("Yang") is the whole name its paragraph gives ("Yang Liwei").
        home = next((c.paragraph for c in citations if short in c.quote), lead.paragraph)
        short = full_name(question, short, home.text) or short
    return Answer(question=question, answer=" ".join(f"{t} [{n}]" for t, n in parts), short_answer=short,
                  abstained=False, citations=citations, retrieved=list(hits), confidence=confidence,
                  sentences=parts)
