"""What kind of answer a question asks for, and whether a sentence holds one. Pure, regex-based.

Used to prefer sentences that contain the asked-for kind of thing (a number for "how many",
a date for "when", a name for "who") and as one signal of whether the documents answer at all.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from .text import LIST_NUMBER, VERSION, fold, stopwords

NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
                "eighty ninety hundred thousand million billion trillion dozen dozens half").split()
MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_NUMBER = re.compile(r"\b(\d[\d,.]*|" + "|".join(NUMBER_WORDS) + r")\b", re.I)
_DATE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2}|" + "|".join(MONTHS) +
                   r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|century|decade|"
                   r"yesterday|today|tomorrow|\d{1,2}(st|nd|rd|th))\b", re.I)
_NAME = re.compile(r"\b[A-Z][\w’'-]*")
# A question about what something costs asks for an amount of money: a bare number ("by 2020",
# "seventeen") does not answer it. "How much did prices rise?" asks for a ratio, so "price" counts
# only as the thing asked about ("What was the price of oil?").
_MONEY_QUESTION = re.compile(
    r"^how much\b.*\b(cost|costs|costing|spend|spent|pay|paid|worth|charge|charged|fund|funded|invest|"
    r"invested|earn|earned|owe|owed|budget|donate|donated|money|fined)\b|^what (is|was|are|were) the "
    r"(\w+ ){0,2}(price|cost|fee|salary|budget|revenue|fine)s?\b|^what does .{1,60} cost\b")
_CURRENCY = (r"(?:[$€£¥₹₩₽₺₪฿]|\b(?:usd|eur|gbp|cny|rmb|jpy|chf|sek|nok|dkk|pln|czk|huf|inr|aud|cad|nzd|hkd|sgd|"
             r"brl|mxn|krw|zar|rs\.?|kr|dollars?|euros?|pounds?|sterling|yuan|renminbi|yen|rupees?|francs?|"
             r"cents?|pence|livres?|marks?|kronor|kroner|krona|zloty|shillings?|ducats?|florins?|guilders?|"
             r"lira|roubles?|rubles?)(?!\w))")
_AMOUNT = r"(?:\d[\d,.]*|" + "|".join(NUMBER_WORDS) + r")"
_MONEY = re.compile(rf"{_CURRENCY}\s?{_AMOUNT}\b|\b{_AMOUNT}(?:\s+(?:thousand|million|billion|trillion|bn|m))?"
                    rf"\s*{_CURRENCY}|\bfree\b|\bno (?:charge|cost|fee)\b", re.I)

_RULES = [
    ("number", re.compile(r"^(how (many|much|long|far|old|big|large|tall|high|often|heavy|fast|deep|wide|hot|"
                          r"cold)|what (percentage|number|amount|proportion)|what (is|was|are|were) the (\w+ ){0,2}"
                          r"(price|cost|fee|rate|salary|budget|weight|height|length|size|speed|temperature|"
                          r"population|capacity|pressure|distance|duration|percentage|share|total)s?(?=\s+(of|for|in)\b|\s*\?|\s*$)|"
                          r"what does .{1,60} cost)\b")),
    # "When am I allowed to ...?" asks for a condition, not a time.
    ("other", re.compile(r"^when (am|are|is|can|may) (i|we|you|they|he|she|an? \w+|employees?|staff) "
                         r"(be )?(allowed|permitted|entitled|eligible|required)\b")),
    ("date", re.compile(r"^(when\b|(in |by |since |until )?(what|which) (year|date|month|day|decade|century)\b)")),
    ("name", re.compile(r"^(who|whom|whose|where)\b|^which (?!(year|date|month|day)\b)\w+|^what (is the name|office|country|countries|city|cities|"
                        r"agency|agencies|organi[sz]ation|company|companies|person|people|astronaut|"
                        r"mission|rocket|probe|spacecraft|university|state|nation|team|group)\b")),
]


def expected_type(question: str) -> str:
    """'number', 'date', 'name' or 'other'."""
    q = fold(question).strip()
    q = re.sub(r"^(and|so|but|then|in|on|at|of|for|by|according to [^,]+,)\s+", "", q)
    # A question that does not open with its question word has it later: "Normandy is located in
    # what country?", "... until when?"; the last one asks ("The mission, which lasted how many
    # days?": "which" only relates). One that opens with it asks that ("What anniversary ... when
    # ...?" does not ask for a date).
    wh = list(re.finditer(r"\b(what|which|who|whom|whose|when|where|how)\b", q))
    later = [m.start() for m in wh if m.start() > 0] if not (wh and wh[0].start() == 0) else []
    for text in [q] + [q[i:] for i in reversed(later)]:
        for kind, pattern in _RULES:
            if pattern.search(text):
                return kind
    return "other"


@lru_cache(maxsize=256)  # holds_type asks it of one question for every candidate sentence
def asks_money(question: str) -> bool:
    """Whether the question asks what something costs (a 'number' question of a narrower kind)."""
    return bool(_MONEY_QUESTION.search(fold(question).strip()))


def holds_type(sentence: str, kind: str, question: str = "") -> bool:
    """Whether the sentence contains a thing of the kind that the question does not already name
    (for a question about cost, an amount of money)."""
    if kind == "other":
        return True
    asked = set(re.findall(r"[\w'-]+", fold(question)))
    if listed := LIST_NUMBER.match(sentence):  # a list item's own number
        sentence = sentence[listed.end():]
    if kind == "number" and asks_money(question):
        found = [m.group(0) for m in _MONEY.finditer(fold(sentence))]
    elif kind == "number":
        found = _NUMBER.findall(sentence)
    elif kind == "date":
        found = [m.group(0) for m in _DATE.finditer(sentence)]
    else:  # capitalised words that are not function words ("He", "The" start sentences)
        found = [w for w in _NAME.findall(sentence) if fold(w) not in stopwords()]
    return any(fold(f if isinstance(f, str) else f[0]).strip(".,") not in asked for f in found)


_AUXILIARY = re.compile(r"\b(did|does|do|was|were|is|are|has|have|had|will|would|shall|can|could|may|might)\b")
# "will"/"shall" as a verb: lower case (not the name "Will") and followed by a verb ("will make",
# "will not be"), not by what follows the noun ("her will was signed", "the will of the people").
_FUTURE = re.compile(r"\b(will|shall)\s+(?!(?:was|were|is|are|has|had|of|and|or|in|to|that|which|the|a|an|"
                     r"for|by|with)\b)[a-z]+|\bis going to\b")


# A question answered yes or no opens with an auxiliary verb.
_YES_NO = re.compile(r"\s*(is|are|was|were|does|do|did|can|could|will|would|has|have|had|should|must)\b", re.I)


def asks_yes_no(question: str) -> bool:
    """Whether the question is answered yes or no ("Is Windows supported?")."""
    return bool(_YES_NO.match(question))


@lru_cache(maxsize=256)  # asked of one question for every candidate sentence
def asks_what_happened(question: str) -> bool:
    """The question's first auxiliary is in the past tense ("When did China launch ...?")."""
    aux = _AUXILIARY.search(fold(question))
    return bool(aux and aux.group(1) in ("did", "was", "were", "had"))


def tense_clash(question: str, sentence: str) -> bool:
    """The question asks what happened ("When did China launch ...?") and the sentence says what
    will happen ("China will make six flights in 2022"): a plan does not answer it."""
    if not asks_what_happened(question):
        return False
    # What someone said would happen is reported in the past ("he announced that soon ... will"):
    # only the sentence's own statement counts, outside quotes and before a reported clause.
    own = re.sub(r"[\"“][^\"”]*[\"”]?", " ", sentence)
    own = re.split(r"\b(that|stating|saying)\b", own, maxsplit=1)[0]
    return bool(_FUTURE.search(own))


# A version or a decimal, as a term or inside one ("2.4.1", "v2.4", "python3.10", "3.5").
_NUMBERED = re.compile(VERSION)
# "14.03.2025" is a date, not a version.
_DOTTED_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")
# "Which version ...?", "In what release ...?"; not "What release date ...?" or "... release notes".
_ASKS_VERSION = re.compile(r"\b(which|what) (version|release)s?\b(?!\s+(date|day|year|month|time|note|number)s?\b)",
                           re.I)
# A section titled by a version, as changelogs title them: "2.4.1 - 2025-03-14", "[2.4.1]", "v2.3.0",
# "Version 2.4 (2025-02-03)"; not "3.1 API" (a section number) or "14.03.2025" (a date).
_VERSION_TITLE = re.compile(r"^\s*(?:version\s+|release\s+)?\[?v?(\d+(?:\.\d+){1,3})\]?\s*(?:[-–—(:]|$)",
                            re.I | re.M)


def version_key(version: str) -> str:
    """A version as compared: without a leading "v" or trailing ".0"s past the second number
    ("v2.4.0" -> "2.4", "2.0.0" -> "2.0")."""
    key = version.lstrip("vV")
    while key.endswith(".0") and key.count(".") > 1:
        key = key[:-2]
    return key


def of_release(version: str, asked: str) -> bool:
    """Whether a version key is the asked one or one of its series ("2.4.1" of "2.4"; not "2.4" of
    "2.4.1": the series is no answer about one of its releases)."""
    return version == asked or version.startswith(asked + ".")


def same_release(a: str, b: str) -> bool:
    """Whether two version keys name one release, one being the other's series ("2.4" ~ "2.4.1")."""
    return of_release(a, b) or of_release(b, a)


def is_version(term: str) -> bool:
    """Whether a term is a version or a decimal ("2.4.1", "v3.0", "3.5")."""
    return bool(re.fullmatch(rf"v?{VERSION}", term))


def named_numbers(terms: Iterable[str]) -> set[str]:
    """The versions and decimals of terms ("2.4.1", "v3.0", "3.5", those inside "python3.10"), as
    version_key()s: a sentence that holds none the question names speaks of another release or figure."""
    return {version_key(v) for t in terms for v in _NUMBERED.findall(t)}


def asks_version(question: str) -> bool:
    """Whether the question asks for a version ("In which version was ... raised?")."""
    return bool(_ASKS_VERSION.search(question))


def asks_version_of(question: str) -> bool:
    """Whether it asks for the version of a thing it names ("Which version of Redis ...?"), which
    the sentence states, rather than for the release a change came in, which its section title does."""
    return bool(re.search(r"\b(version|release)s?\s+of\b", question, re.I))


def titled_version(titles: str) -> str | None:
    """The one version that section titles give as versions are titled ("2.4.0 - 2025-02-03"), else None."""
    found = {m.group(1) for m in _VERSION_TITLE.finditer(titles) if not _DOTTED_DATE.fullmatch(m.group(1))}
    return found.pop() if len(found) == 1 else None


def holds_version(sentence: str, question: str) -> bool:
    """Whether a sentence states a version the question does not name."""
    asked = named_numbers([question])
    return any(not any(same_release(version_key(v), a) for a in asked) for v in _NUMBERED.findall(sentence)
               if not _DOTTED_DATE.fullmatch(v))


def is_full_sentence(text: str) -> bool:
    """Ends like a sentence (. ! ? or a closing quote/bracket after one), not like a title."""
    return bool(re.search(r"[.!?…][\"'”’)\]]*\s*$", text.strip()))


def asks(sentence: str) -> bool:
    """A question (ends with a question mark, closing quotes aside): it states nothing."""
    return bool(re.search(r"[?？][\"'”’)\]」』]*\s*$", sentence))
