"""Text primitives shared by chunking, lexical retrieval and answering: sentences and terms."""
from __future__ import annotations

import importlib.abc
import re
import sys
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable

# Abbreviations Punkt (its default parameters: no trained model) does not know; a period after them
# does not end a sentence, and a question's "Dr." or "Sept" is no name (answer.capitalised_inside).
ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "gen", "col", "lt", "sgt", "gov", "sen", "rep",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "vs", "etc", "approx", "dept", "est", "fig", "inc", "ltd", "co", "corp", "u.s", "u.k", "e.g", "i.e",
}


class _WithoutOptional(importlib.abc.MetaPathFinder):
    """While `import nltk` runs on this thread: scipy.stats and scikit-learn are not found.
    nltk/__init__ imports every subpackage, and two of them try these for optional features
    (collocation statistics, scikit-learn classifiers) that citewise never uses; they cost 0.75
    of the 1.05 s `import nltk` takes here, paid by every ingest. nltk catches the ImportError;
    the modules import normally afterwards, and on other threads meanwhile. What nltk built without
    them stays so in this process (its Fisher exact test for collocations and its scikit-learn
    classifier wrapper are unavailable); a program that needs them imports nltk before citewise
    splits its first sentence, and then nothing is refused."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path=None, target=None):
        if threading.get_ident() == self.thread and (name.split(".")[0] == "sklearn" or
                                                     name.split(".")[:2] == ["scipy", "stats"]):
            raise ModuleNotFoundError(f"{name} is not imported for nltk", name=name)
        return None


@lru_cache(maxsize=1)
def _punkt():
    # NLTK's Punkt with its default parameters, as llama-index-core's sentence splitter builds it
    # (globals_helper.punkt_tokenizer: no trained model, so nothing is read or downloaded), made
    # here directly: importing llama_index.core for it cost 0.7 s of every ingest.
    finder = None
    if "nltk" not in sys.modules:
        finder = _WithoutOptional()
        sys.meta_path.insert(0, finder)
    try:
        from nltk.tokenize.punkt import PunktSentenceTokenizer
    finally:
        if finder is not None:
            sys.meta_path.remove(finder)

    tokenizer = PunktSentenceTokenizer()
    tokenizer._params.abbrev_types.update(ABBREVIATIONS)
    return tokenizer


_WORDLIKE = re.compile(r"[^\W_]")


# A full-width sentence end (Chinese and Japanese: 。！？), with any closing quotes or brackets after
# it. Punkt's English model does not know them, and such text has no space after the end.
_CJK_END = re.compile(r"[。！？]+[」』”’）)】》]*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text` (Punkt, and after a full-width 。！？), also split
    at line breaks. A piece without a letter or digit (the "." that opens ". 24/7 Space News .") is
    no sentence: it would be quoted, read and embedded as one."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        for base, piece in _windows(line.start(), line.group()):
            enumerator = None  # a list item's number that Punkt cut off ("5." of "5. Action items")
            for s, e in _punkt().span_tokenize(piece):
                for a, b in _split_cjk(piece, s, e):
                    if _ENUMERATOR.fullmatch(piece, a, b):
                        enumerator = a if enumerator is None else enumerator
                        continue
                    if enumerator is not None:
                        a, enumerator = enumerator, None
                    if _WORDLIKE.search(text, base + a, base + b):
                        spans.append((base + a, base + b))
            if enumerator is not None:
                spans.append((base + enumerator, base + len(piece.rstrip())))
    return spans


# A list item's number ("5.", "3.3", "(2)", "12)"): alone as Punkt cuts it off, and as the opening of
# a sentence (LIST_NUMBER), which short answers and answer types read past.
_ENUMERATOR = re.compile(r"\(?\d{1,3}(?:\.\d{1,3})*[.)]")
LIST_NUMBER = re.compile(r"\s*" + _ENUMERATOR.pattern + r"\s")


def _split_cjk(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut after each full-width sentence end inside it (white space trimmed)."""
    out = []
    for m in _CJK_END.finditer(text, start, end):
        if m.end() < end:
            out.append((start, m.end()))
            start = m.end()
            while start < end and text[start].isspace():
                start += 1
    out.append((start, end))
    return [(s, e) for s, e in out if e > s]


_WINDOW = 5_000  # characters of one line that Punkt reads at once


def _windows(base: int, line: str) -> list[tuple[int, str]]:
    """A very long line (a text file without line breaks) in pieces of about _WINDOW characters,
    cut after a sentence end where there is one, else at a space: Punkt's time grows faster than
    the length of what it reads (a 6 MB line ran past NLTK's regular-expression time limit)."""
    out = []
    while len(line) > _WINDOW:
        head = line[:_WINDOW]
        cut = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
        cut = cut + 2 if cut > _WINDOW // 2 else (head.rfind(" ") + 1 or _WINDOW)
        out.append((base, line[:cut]))
        base, line = base + cut, line[cut:]
    out.append((base, line))
    return out


_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*", re.UNICODE)


# Accents on Latin letters, as NFD writes them: combining marks after a-z.
_LATIN_MARKS = re.compile(r"(?<=[a-z])[\u0300-\u036f]+")


def fold(text: str) -> str:
    """Normalise for matching only (NFKC, casefold, curly quotes, accents off Latin letters):
    never for display."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        # People type "Mongke", "Herve", "Francois" for "Möngke", "Hervé", "François" (what Lucene's
        # ASCII folding does for them). Marks on other scripts stay: Cyrillic "й" is not "и", and a
        # Japanese voiced mark (U+3099) is outside this block.
        text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """NLTK's English stop words as llama-index-core bundles them, read from its data file:
    importing llama_index.core and nltk to get them cost `ask` on the command line over 2 s
    (3.1-3.2 s before, 0.95 s after, with Punkt built directly)."""
    from importlib.util import find_spec

    spec = find_spec("llama_index.core")  # where the package is, without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "_static" / "nltk_cache" / "corpora" / "stopwords" / "english"
        if path.is_file():
            return frozenset(w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip())
    from llama_index.core.utils import globals_helper  # a release that keeps the data elsewhere

    return frozenset(globals_helper.stopwords)


# Han ideographs (with the CJK extension blocks and compatibility ideographs), hiragana and
# katakana: scripts written without spaces between words.
_CJK = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def cjk_bigrams(token: str) -> list[str]:
    """A token split where it runs into Chinese or Japanese script, each such run as its overlapping
    character bigrams (a lone character as itself); other pieces stay whole. Without a dictionary,
    bigrams are the usual unit of lexical search for these scripts (Lucene's CJKAnalyzer)."""
    out: list[str] = []
    at = 0
    for m in _CJK.finditer(token):
        if m.start() > at:
            out.append(token[at:m.start()])
        run = m.group()
        out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
        at = m.end()
    if at < len(token):
        out.append(token[at:])
    return out


def has_cjk(text: str) -> bool:
    """Whether a text holds Chinese or Japanese script."""
    return bool(_CJK.search(text))


def words(text: str, drop_stopwords: bool = True) -> list[str]:
    """The folded words of `text` that terms() stems; Chinese and Japanese as character bigrams."""
    found = [w.replace("’", "'").strip("'.") for w in _TOKEN.findall(fold(text))]
    found = [x for w in found for x in (cjk_bigrams(w) if _CJK.search(w) else (w,))]
    stop = stopwords() if drop_stopwords else frozenset()
    return [w for w in found if w and w not in stop]


# British spellings as American ones, so that "centre", "colour", "organisation", "analyse",
# "catalogue", "defence", "travelled" match "center", "color", ... (the regular patterns of the
# two spellings: "American and British English spelling differences", Wikipedia). Applied to both
# documents and questions, a word the rule over-reaches on ("acre" -> "acer") still matches itself.
# -ise where both spellings write it: "revise" must keep matching "revision", "precise" "precision".
_BOTH_ISE = frozenset(
    "advertise advise apprise arise chastise circumcise comprise compromise concise demise despise devise "
    "disguise enterprise excise exercise exorcise expertise franchise guise improvise incise merchandise "
    "mortise noise paradise poise porpoise praise precise premise promise raise reprise revise rise sunrise "
    "supervise surmise surprise televise tortoise treatise valise wise otherwise likewise clockwise cruise "
    "anise".split())
_ISE = re.compile(r"^(\w{3,})is(e|es|ed|ing|ation|ations|er|ers|able)$")
_RE_WORDS = r"(cent|met|kilomet|centimet|millimet|micromet|nanomet|lit|millilit|theat|fib|calib|somb|spect|lust|meag|sab|mit|och|scept|goit|louv|reconnoit|saltpet|sepulch)"
_BRITISH = (
    # -re only in the words that write it so: "Legendre", "Andre", "genre" are no "-er" words.
    (re.compile(rf"^{_RE_WORDS}re(s?)$"), r"\1er\2"),  # centre, metres, theatre, fibre
    (re.compile(rf"^{_RE_WORDS}red$"), r"\1ered"),  # centred
    (re.compile(r"^(?!(?:contour|detour|devour|glamour|troubadour|paramour|velour|amour)s?$)(\w{3,})our(s|ed|ing|ful|fully|ite|ites|able|ably|er|ers|"
                r"ist|ists|less|al|ally|hood|hoods)?$"), r"\1or\2"),  # colour, labour, behaviour, favourite
    # -ise where American writes -ize (not in _BOTH_ISE).
    (_ISE, r"\1iz\2"),  # organise, realisation
    (re.compile(r"^(\w{2,})ys(e|es|ed|ing|er|ers)$"), r"\1yz\2"),  # analyse, paralysed
    (re.compile(r"^(\w{4,})ogue(s?)$"), r"\1og\2"),  # catalogue, dialogue
    (re.compile(r"^(def|off|lic|pret)enc(e|es)$"), r"\1ens\2"),  # defence, licence
    (re.compile(r"^(travel|cancel|model|label|fuel|level|signal|counsel|channel|marvel|total|dial|equal|quarrel|"
                r"tunnel|jewel|shovel|rival|pedal|panel)l(ed|ing|er|ers)$"), r"\1\2"),  # travelled
    (re.compile(r"^programme(s?)$"), r"program\1"),
    (re.compile(r"^jewellery$"), "jewelry"),
    (re.compile(r"^aluminium$"), "aluminum"),
)


@lru_cache(maxsize=1 << 16)  # a corpus repeats its words: ~10 patterns tried once per distinct word
def _american(word: str) -> str:
    for pattern, replacement in _BRITISH:
        m = pattern.match(word)
        if m and not (pattern is _ISE and m.group(1) + "ise" in _BOTH_ISE):
            return pattern.sub(replacement, word)
    return word


def stem(word: str) -> str:
    """The term of one folded word (Snowball English, British spellings as American ones, a
    version without its leading "v")."""
    return _V_VERSION.sub("", _stemmer().stemWord(_american(word)))


def compound_parts(vocabulary: Iterable[str]) -> frozenset[str]:
    """The stems of the pieces of compound terms ("march-6a" -> "march", "6a"; "u.s" -> "u", "s"):
    a word a text holds only inside a compound is still in that text for a reader."""
    return frozenset(stem(x) for t in vocabulary if not t.isalnum() for x in re.split(r"[\W_]+", t) if x)


def terms(text: str, drop_stopwords: bool = True) -> list[str]:
    """Stemmed word terms of `text`, the unit of lexical matching everywhere in citewise. A version
    loses its leading "v" ("v2.4.1" -> "2.4.1"): changelogs and questions write it both ways."""
    return [_V_VERSION.sub("", t) for t in _stemmer().stemWords([_american(w) for w in words(text, drop_stopwords)])]


# A version or a decimal ("2.4.1", "3.5"): the one pattern citewise reads versions by.
VERSION = r"\d+(?:\.\d+)+"
_V_VERSION = re.compile(rf"^v(?={VERSION}$)")


# Endings that make a people's or a language's word of a place's name ("Canada" -> "Canadian",
# "Asia" -> "Asian", "Japan" -> "Japanese", "French" -> "Frenchman"), and the endings a name takes
# back ("Ital|ian" -> "Ital|y", "Russ|ian" -> "Russ|ia").
_DERIVING = ("ian", "ians", "an", "ans", "n", "ese", "ish", "man", "men")
_NAME_ENDS = ("", "a", "e", "o", "y", "ia")


def bare(word: str) -> str:
    """A word without its possessive ("winston's" -> "winston")."""
    return re.sub(r"['’]s$", "", word)


class Vocabulary:
    """An index's terms, looked up for a word the index does not hold: is it a slip or a derived
    form of one of them? Sorted once; typo search only among the terms of the same first letter."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = frozenset(terms)
        by_letter: dict[str, list[str]] = {}
        for t in sorted(self.terms):
            by_letter.setdefault(t[:1], []).append(t)
        self._by_letter = by_letter

    def spelled_like(self, word: str) -> bool:
        """Whether a folded word of 5 letters or more is one edit (Damerau-Levenshtein; two from 10
        letters) from a term with its first letter ('geegen' ~ 'gegeen', 'shirly' ~ 'shirley'), or
        a name's derived form whose other form is a term ('canada' ~ 'canadian', 'asian' ~ 'asia')."""
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        if len(word) < 5:
            return False
        if any(stem(form) in self.terms for form in _derived_forms(word)):
            return True
        near = self._by_letter.get(word[0], ())
        return bool(near) and process.extractOne(word, near, scorer=DamerauLevenshtein.distance,
                                                 score_cutoff=1 if len(word) < 10 else 2) is not None


def _derived_forms(word: str) -> set[str]:
    """The forms of a name the other way along _DERIVING: 'canadian' -> 'canada', 'canad', ...;
    'canada' -> 'canadian', 'canadan', ..."""
    # A final vowel or y gives way to the ending ("Canad|a" -> "Canad|ian", "Ital|y" -> "Ital|ian").
    forms = {(word[:-1] if word[-1] in "aeiouy" else word) + suffix for suffix in _DERIVING}
    forms |= {word[:-len(suffix)] + end for suffix in _DERIVING if word.endswith(suffix) for end in _NAME_ENDS}
    return {f for f in forms if len(f) >= 3 and f != word}


_CONNECTIVES = frozenset({"of", "the", "and", "for", "&", "de", "du", "des", "la", "le", "von", "van"})


def initials_in(abbreviation: str, text: str) -> bool:
    """Whether `text` spells out `abbreviation` ('SP' in "the Scottish Parliament", 'CSS' in
    "the China Space Station"): a run of capitalised words whose first letters are its letters,
    connectives such as 'of' and 'the' skipped between them. (Lower-case runs are left out: any
    three words in a row start with some letters, "clusters each own" is no 'CEO'.)"""
    letters = [c for c in fold(abbreviation) if c.isalnum()]
    tokens = re.findall(r"[^\W_][\w'’-]*|&", text)
    if len(letters) < 2:
        return False

    def starts(token: str, letter: str) -> bool:
        return token[0].isupper() and fold(token[0]) == letter

    for i, token in enumerate(tokens):
        if not starts(token, letters[0]):
            continue
        k, j = 1, i + 1
        while k < len(letters) and j < len(tokens):
            if starts(tokens[j], letters[k]):
                k += 1
            elif fold(tokens[j]) not in _CONNECTIVES:
                break
            j += 1
        if k == len(letters):
            return True
    return False
