"""The answer itself, as a phrase of the quoted sentence: "seventeen", "2003", "Yang Liwei".

Offline and pure: candidate phrases of the kind the question asks for (citewise.qtype), minus
what the question already says, and the one nearest to where the sentence matches the question.
Questions of no recognisable kind get no short answer (None) rather than a guess.
"""
from __future__ import annotations

import re

from .qtype import MONTHS, NUMBER_WORDS, asks_yes_no, expected_type
from .text import LIST_NUMBER, VERSION, fold, stopwords, terms

_NUM = r"(?:(?:EUR|USD|GBP|CHF|CNY|JPY|INR|AUD|CAD|US\$)\s?)?(?:\$|€|£|¥)?\d[\d,]*(?:\.\d+)?%?|(?:" + "|".join(NUMBER_WORDS) + r")(?:[- ](?:" + "|".join(NUMBER_WORDS) + r"))*"
# A range is one answer: "12 to 15 million", "five to ten years", "1562 to 1598", "between 3 and 4".
_TO = r"\s*(?:-|–|—|to|until)\s*"


def _range(one: str) -> str:
    """A pattern for one thing of pattern `one`, or a range of two ("X to Y", "X-Y", "between X and Y")."""
    between = r"between\s+(?:" + one + r")\s+and\s+(?:" + one + r")"
    return r"(?:" + between + r"|(?:" + one + r")(?:" + _TO + r"(?:" + one + r"))?)"


_UNIT = (r"(?:\s+(?:percent|per cent|million|billion|trillion|thousand|hundred|km|kilometres|kilometers|miles|"
         r"metres|meters|kg|kilograms|grams|tonnes|tons|litres|liters|ml|bar|kwh|kwp|kw|mw|gw|watts|"
         r"°c|°f|cm|mm|euros?|dollars?|pounds|yuan|yen|eur|usd|gbp|chf|"
         r"bytes|kb|mb|gb|tb|kib|mib|gib|tib|kilobytes|megabytes|gigabytes|terabytes|ms|milliseconds|"
         r"ghz|mhz|hz|mbps|gbps|mph|km/h|kph|km/s|m/s|knots|feet|ft|"
         r"years|months|weeks|days|hours|minutes|seconds|people|countries))?")
# (?<!\w) and (?!\w) rather than \b, so that a currency sign before and a % after are part of it.
_NUMBER_PHRASE = re.compile(r"(?<!\w)" + _range(_NUM) + _UNIT + r"(?!\w)", re.I)
_ONE_NUMBER = re.compile(r"(?<!\w)(?:" + _NUM + r")" + _UNIT + r"(?!\w)", re.I)
_MONTH = "(?:" + "|".join(MONTHS) + r")\.?"
_DATE = (r"(?:\d{4}-\d{2}-\d{2}|(?:early |late |mid-?)?" + _MONTH + r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s+\d{4})?"
         r"|\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH + r"(?:,?\s+\d{4})?"
         r"|(?:the\s+)?\d{4}s?|(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\s+century)")
_DATE_PHRASE = re.compile(r"\b" + _range(_DATE) + r"\b", re.I)
_ONE_DATE = re.compile(r"\b" + _DATE + r"\b", re.I)
_CAP = r"[A-Z][\w’'.-]*"
_ONE_NAME = _CAP + r"(?:\s+(?:(?:of|the|for|de|da|van|von|al)\s+)*" + _CAP + r")*"
_SERIAL = r"\d{1,3}[A-Za-z]?"  # the number a name may end in: "Shenzhou 6", "Long March 5", "Falcon 9B"
# A name with its number, or a name or a list of them ("Italy, Brazil and Pakistan").
_NAME_PHRASE = re.compile(_ONE_NAME + r"\s" + _SERIAL + r"\b(?!,\s+" + _CAP + r"\s\d)|" + _ONE_NAME
                          + r"(?:,\s+" + _ONE_NAME + r")*(?:,?\s+and\s+" + _ONE_NAME + r")?")


# Words that open a sentence with a capital without naming anything.
_OPENERS = frozenset("according however meanwhile moreover furthermore nevertheless nonetheless therefore thus "
                     "hence although though despite besides additionally also yet instead otherwise still "
                     "indeed later earlier today yesterday recently currently finally eventually".split())


def _question_words(question: str) -> set[str]:
    """The question's words, folded, possessives also without their 's ("XIV's" holds "xiv")."""
    words = set(re.findall(r"[\w'’-]+", fold(question)))
    return words | {re.sub(r"['’]s?$", "", w) for w in words}


def _candidates(sentence: str, kind: str, asked: set[str]) -> list[re.Match]:
    if kind == "name":
        return list(_NAME_PHRASE.finditer(sentence))
    if kind not in ("number", "date"):
        return []
    ranges, one = (_NUMBER_PHRASE, _ONE_NUMBER) if kind == "number" else (_DATE_PHRASE, _ONE_DATE)
    out: list[re.Match] = []
    for m in ranges.finditer(sentence):
        ends = list(one.finditer(sentence, m.start(), m.end()))
        # Not one answer but several: a range with an end the question already names ("the 2008
        # crisis" in "2008 - 2009"), and numbers that change "from 30 to 40".
        if len(ends) > 1 and (any(not _trim(e.group(), asked) for e in ends)
                              or (kind == "number" and re.search(r"\bfrom\s+$", sentence[:m.start()], re.I))):
            out += ends
        else:
            out.append(m)
    return out


def _trim(phrase: str, asked: set[str]) -> str:
    """Drop leading/trailing words the question already holds or that are function words; a name
    and its number stay together ("Shenzhou 6" for "Which Shenzhou mission ...?")."""
    words = phrase.split()
    if len(words) >= 2 and re.fullmatch(_SERIAL, words[-1]):
        name = [w for w in words[:-1] if fold(w) not in stopwords()]
        if name and all(fold(w).strip(".,") in asked for w in name):
            return " ".join(name + words[-1:])  # the name is asked, its number is the answer
    while words and (fold(words[0]).strip(".,") in asked or fold(words[0]) in stopwords()
                     or fold(words[0]) in _OPENERS):
        words.pop(0)
    while words and (fold(words[-1]).strip(".,") in asked or fold(words[-1]) in stopwords()):
        words.pop()
    return " ".join(words).strip(" ,.;:")


def short_answer(question: str, sentence: str) -> str | None:
    """The phrase of `sentence` that answers `question`, or None."""
    cell = table_cell(question, sentence)
    if cell:
        return cell
    kind = expected_type(question)
    asked = _question_words(question)
    # Where the sentence meets the question: positions of its words that the question also holds.
    anchors = [m.start() for m in re.finditer(r"[\w'-]+", sentence)
               if fold(m.group()) in asked and fold(m.group()) not in stopwords()]
    best, best_distance = None, None
    listed = LIST_NUMBER.match(sentence)  # "1. Heat the water ...": the step's number answers nothing
    for m in _candidates(sentence, kind, asked):
        if listed and m.start() < listed.end():
            continue
        phrase = _trim(m.group(), asked)
        if not phrase or all(fold(w).strip(".,") in asked for w in phrase.split()):
            continue
        if kind == "number" and not _ONE_NUMBER.search(phrase):  # a unit left over when its number was asked
            continue
        if kind == "name" and m.start() == 0 and fold(phrase) in stopwords():
            continue
        distance = min((abs(m.start() - a) for a in anchors), default=0)
        if kind == "name":
            # A possessive ("China's") names an owner, rarely the answer; longer names are likelier.
            if re.search(r"['’]s$", phrase):
                distance += 50
            distance /= 1 + 0.5 * (len(phrase.split()) - 1)
        if best_distance is None or distance < best_distance:
            best, best_distance = phrase, distance
    return best


_PAIRS = {'"': '"', "“": "”", "‘": "’", "'": "'", "(": ")", "[": "]"}


def tidy(phrase: str) -> str:
    """A phrase cut from running text without the punctuation at its edges that belongs to the
    sentence around it: separators, and a quote mark or bracket the phrase does not close
    ('"imperium' -> 'imperium', 'UNOOSA)' -> 'UNOOSA')."""
    phrase = _without_stop(phrase.strip().strip(",;:").strip())
    while phrase:
        first, last = phrase[0], phrase[-1]
        if first in _PAIRS and _PAIRS[first] not in phrase[1:]:
            phrase = phrase[1:].lstrip()
        elif last in _PAIRS.values() and not any(o in phrase[:-1] for o, c in _PAIRS.items() if c == last):
            phrase = phrase[:-1].rstrip()
        else:
            break
    return _without_stop(phrase.strip(",;:").strip())


def _without_stop(phrase: str) -> str:
    """The stop that ends the sentence is no part of the answer ("Room 3.14." -> "Room 3.14"); the
    period of an abbreviation or initials is ("Washington, D.C.", "Acme Ltd.")."""
    if phrase[-1:] in ("!", "?") or (phrase.endswith(".") and not _ABBREVIATED.search(phrase)):
        return phrase[:-1].rstrip(",;: ")
    return phrase


_ABBREVIATED = re.compile(r"(\b[^\W\d_]\.)+$|\b(" + "|".join(sorted(
    "inc ltd co corp jr sr st dr mr mrs ms prof etc no vs approx dept est fig gen col lt sgt gov sen rep "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split())) + r")\.$", re.I)


# One word of a name: a capital (any script's) and no sentence-ending period; a word before the span
# must start a word ("iPhone" holds no "Phone").
_NAME_WORD = r"[^\W\d_](?:[\w’'-]*\w)?"
_WORD_BEFORE = re.compile(r"(?<![\w’'.-])(" + _NAME_WORD + r")[ \t]+$")
_WORD_AFTER = re.compile(r"[ \t]+(" + _NAME_WORD + r")(?![\w’'-])")
_DAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_ASKS_PERSON = re.compile(r"\s*(who|whom|whose)\b", re.I)  # "Who ...?": a person is asked for


def _name_word(word: str) -> bool:
    """A capitalised word that can be part of a name: not a function word ("The", "He"), a
    sentence opener ("However"), a month or weekday ("In March China ...") or a possessive
    ("China's" owns the name after it)."""
    w = fold(word)
    return (word[:1].isupper() and w not in stopwords() and w not in _OPENERS and w not in MONTHS
            and w not in _DAYS and not re.search(r"['’]s?$", w))


def _headline(sentence: str) -> bool:
    """Most words capitalised (a title, a headline, all caps): capitals mark no name there."""
    words = re.findall(r"[^\W\d_][\w’'-]*", sentence)
    return len(words) >= 3 and sum(w[0].isupper() for w in words) > 0.6 * len(words)


_JOINED_TOKEN = re.compile(r"\S*[\w/~]+(?:[./:_@-]+\w+)+")  # words joined by / . : _ @ or -
_JOINED = re.compile(r"[/._@:]\w")  # ... by more than a hyphen
_RUN_TOGETHER = re.compile(r"\.\.|[a-z]{2}\.[A-Z]")  # two sentences run together: "stories.Political"


def whole_names(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The span `sentence[start:end]` widened so that it neither starts nor ends inside a run of
    capitalised words: a reader's "Junlong" of "Fei Junlong" becomes "Fei Junlong". A side that
    is lower case is left as it is, and so is a headline; a widening never crosses punctuation
    (a comma, a sentence's end)."""
    while start < end and sentence[start].isspace():
        start += 1
    while end > start and sentence[end - 1].isspace():
        end -= 1
    if start == end:
        return start, end
    # A path, file name, address or dotted version is one thing: "/var/log/lanternfish/scheduler"
    # of "/var/log/lanternfish/scheduler.log" is no answer.
    for m in _JOINED_TOKEN.finditer(sentence):
        if m.start() < end and start < m.end() and _JOINED.search(m.group()) \
                and not _RUN_TOGETHER.search(m.group()) and (m.start() < start or m.end() > end):
            start, end = min(start, m.start()), max(end, m.end())
    if _headline(sentence):
        return start, end
    if sentence[start].isupper():
        while (m := _WORD_BEFORE.search(sentence, 0, start)) and _name_word(m.group(1)):
            start = m.start(1)
    last = sentence[start:end].split()[-1]
    if last[0].isupper() and re.fullmatch(_NAME_WORD, last):
        while (m := _WORD_AFTER.match(sentence, end)) and _name_word(m.group(1)):
            end = m.end(1)
    return start, end


def full_name(question: str, phrase: str, paragraph: str) -> str | None:
    """For "Who ...?", the one longer name in `paragraph` that holds the one-word `phrase`: "Yang"
    of "Yang is on record as the first ..." is "Yang Liwei" where the paragraph says "Yang Liwei
    brought up ...". None when the question asks for no one, the phrase is more than one name
    word, or the paragraph names no longer one or several ("Donald Davies" and "Ray Davies")."""
    if not _ASKS_PERSON.match(question) or not re.fullmatch(_NAME_WORD, phrase) \
            or not _name_word(phrase):
        return None
    longer = set()
    for m in re.finditer(r"(?<![\w’'-])" + re.escape(phrase) + r"(?![\w’'-])", paragraph):
        a, b = whole_names(paragraph, m.start(), m.end())
        if (a, b) != m.span() and len(paragraph[a:b].split()) <= 4:
            longer.add(paragraph[a:b])
    return longer.pop() if len(longer) == 1 else None


_AUXILIARY = frozenset("is are was were be been do does did will would shall should can could may might must "
                       "has have had".split())


def counted(question: str, sentence: str) -> str | None:
    """For "How many X ...?", the one number of `sentence` that counts X ("nine international
    projects from 17 countries" -> "nine" for "How many projects ..."), else None (no such
    question, or no number, or several different numbers, next to X). X is what the question
    counts: its words after "how many" up to the verb ("people" in "How many people were
    killed ..."); numbers the question itself holds ("of the 50 states") are never the answer."""
    m = re.search(r"\bhow many\s+(.*)", question, re.I)
    if not m:
        return None
    words = []
    for w in re.findall(r"[\w'-]+", m.group(1)):
        if fold(w) in _AUXILIARY:
            break
        words.append(w)
    asked = {t for t in terms(" ".join(words)) if not t[0].isdigit()}
    said = set(terms(question))
    numbers = list(_ONE_NUMBER.finditer(sentence))
    found = set()
    for i, n in enumerate(numbers):
        if set(terms(n.group())) & said - asked:  # the question's own number
            continue
        # The words a number counts: up to three after it, not reaching into the next number.
        until = numbers[i + 1].start() if i + 1 < len(numbers) else len(sentence)
        if asked & set(terms(n.group() + " " + " ".join(sentence[n.end():until].split()[:3]))):
            found.add(n.group())
    return found.pop() if len(found) == 1 else None


# A table row as citewise writes it (load.markdown_text): cells "column: value" joined by "; ".
# A column name has no brackets but a closed one at its end (a unit: "Revenue ($M)"), and a cell
# no ": " of its own, so prose with a "(Chinese: 元朝; pinyin: Yuán Cháo)" aside is no row.
_CELL = r"[^:;()\[\]]{1,60}(?: \([^:;()\[\]]{1,20}\))?: (?:(?!: )[^;])+"
_ROW = re.compile(_CELL + r"(?:; " + _CELL + r")+")


def row_named(question: str, sentence: str) -> bool:
    """Whether the question names this table row by one of its values ("Lanternfish 2.4" for the
    row "Version: 2.4; Jobs per second: 2,700")."""
    text = sentence.strip().rstrip(".")
    if not _ROW.fullmatch(text):
        return False
    asked = set(terms(question))
    return any(terms(value) and set(terms(value)) <= asked for _, value in
               (cell.split(": ", 1) for cell in text.split("; ")))


def table_cell(question: str, sentence: str) -> str | None:
    """For a table row ("Specification: Pump pressure; AeroBrew X2: 15 bar; AeroBrew X2 Pro: 19
    bar."), the value of the cell whose column the question names best ("19 bar" for the X2 Pro's
    pump pressure): most of the column's words asked, fewest not asked, and a value the question
    does not already hold. None for any other sentence, or when the question names no column."""
    text = sentence.strip().rstrip(".")
    if not _ROW.fullmatch(text):
        return None
    asked = set(terms(question))
    cells = [cell.split(": ", 1) for cell in text.split("; ")]
    # A value the question names picks the row ("the safety officer", "in Europe"): its words are
    # not a column's name ("officer" is no ask for the column "Office").
    columns = asked - {t for _, value in cells if set(terms(value)) <= asked for t in terms(value)}
    best, best_score = None, 0.0
    for label, value in cells:
        named = set(terms(label))
        value_terms = set(terms(value))
        if not value_terms or value_terms <= asked:
            continue
        score = len(named & columns) - 0.5 * len(named - columns)
        if score > best_score:
            best, best_score = tidy(value), score
    if best is None and asks_yes_no(question):
        # "Is Windows supported?" of "Platform: Windows; Status: not supported": the row the
        # question names by one value answers with the later value that holds its predicate.
        named = [value for _, value in cells if terms(value) and set(terms(value)) <= asked]
        if len(named) >= 2:
            return tidy(named[1])
    return best


_VERSION = re.compile(rf"(?<![\w.])v?{VERSION}(?![\w.]*\d)")


def version_of(question: str, sentence: str) -> str | None:
    """For "Which version of X ...?", the first version number after X in the sentence ("6.2" of
    "needs Python 3.10 or newer and a running Redis server (version 6.2 or later)" for Redis), else
    None (no such question, X not in the sentence, or no version within 80 characters after it)."""
    asked = re.search(r"\b(?:which|what) (?:minimum |lowest |oldest |latest |newest )?version of ([\w+#.-]+)",
                      question, re.I)
    if not asked:
        return None
    named = re.search(r"(?<!\w)" + re.escape(asked.group(1).rstrip(".")) + r"(?!\w)", sentence, re.I)
    if not named:
        return None
    found = _VERSION.search(sentence, named.end(), named.end() + 80)
    return found.group() if found else None


def reader_phrase(question: str, sentence: str, start: int, end: int) -> str:
    """The short answer from a reader's span `sentence[start:end]`: widened to whole names, tidied,
    narrowed to the asked-for number or date, and for "How many X" the number that counts X when
    the span holds another ("" when nothing is left)."""
    cell = table_cell(question, sentence)
    if cell:  # the reader reads a row as prose and takes its first value
        return cell
    start, end = whole_names(sentence, start, end)
    phrase = narrow(question, tidy(sentence[start:end]))
    version = version_of(question, sentence)
    if version and version not in phrase:  # "Python 3.10" is no answer about Redis
        return version
    count = counted(question, sentence)
    # Only a phrase without the count's number is replaced: "17" keeps its form for "17 countries".
    number = re.match(_NUM, count, re.I).group() if count else ""
    if count and not re.search(r"(?<!\w)" + re.escape(number) + r"(?!\w)", phrase, re.I):
        phrase = count
    if _ASKS_PERSON.match(question) and not re.search(r"[^\W\d_]", phrase):
        return ""  # a person is no "2.0"
    if fold(phrase) in _PRONOUNS:
        return ""  # "him" (of "According to him, ...") names no one: the quote around it stands alone
    named = appositives(question, sentence)
    # Only one name set beside the asked-for noun, and not the reader's: it is what was asked for.
    # (Unless the reader's phrase stands beside that noun too: "William the Silent, leader of ...".)
    if len(named) == 1 and not any(n in phrase or phrase in n for n in named) \
            and not stands_beside(question, sentence, phrase):
        return named.pop()
    return phrase


_PRONOUNS = frozenset("he him his she her hers they them their theirs it its we us our you i me my this that these "
                      "those".split())
# A run of capitalised words, one of them perhaps joined by hyphens to digits ("Long March-6A", "Chang'e-5").
_APPOSED = r"[A-Z][\w’'-]*(?:\s+[A-Z0-9][\w’'-]*)*"


def _asked_nouns(question: str) -> str | None:
    """The pattern of the noun "Which X ...?" asks for, singular or plural; None for other questions."""
    asked = re.match(r"\s*(?:(?:in|on|at|of|by|for|from|to|with)\s+)?(?:which|what)\s+([a-z]{3,})\b", question, re.I)
    if not asked or asked.group(1).lower() in stopwords():
        return None
    return rf"{re.escape(asked.group(1).lower())}(?:s|es)?"


_ARTICLE = r"(?:the|a|an|its|their)\s+"


def _beside(name: str, nouns: str, article: str) -> tuple[str, str]:
    """The two ways a name stands beside a noun: "<name>, the ... <noun>" and "<noun> <name>"."""
    return rf"{name},\s+{article}(?:[\w’'-]+\s+){{0,5}}?{nouns}\b", rf"\b{nouns}\s+{name}"


def appositives(question: str, sentence: str) -> set[str]:
    """For "Which X ...?", the names the sentence sets beside an X: "Long March-6A, the country's
    first carrier rocket" or "the carrier rocket Long March-6A" for "Which rocket ...?" (not the
    names the question gives)."""
    nouns = _asked_nouns(question)
    if nouns is None:
        return set()
    found = set()
    for pattern in _beside(f"({_APPOSED})", nouns, _ARTICLE):
        for m in re.finditer(pattern, sentence):
            name = m.group(1).strip()
            if name.lower() not in question.lower() and name.split()[0].lower() not in stopwords():
                found.add(name)
    return found


def stands_beside(question: str, sentence: str, phrase: str) -> bool:
    """Whether the sentence sets `phrase` beside the noun "Which X ...?" asks for, with or without
    an article ("William the Silent, leader of ...")."""
    nouns = _asked_nouns(question)
    return nouns is not None and any(re.search(p, sentence)
                                     for p in _beside(re.escape(phrase), nouns, f"(?:{_ARTICLE})?"))


def narrow(question: str, phrase: str) -> str:
    """A reader's phrase for a question asking for a number or a date, narrowed to the number or
    date it holds ("total number of attendees was seventeen" -> "seventeen"); other phrases, and
    phrases without one, are kept whole."""
    if expected_type(question) not in ("number", "date"):
        return phrase
    found = short_answer(question, phrase)
    if not found:
        return phrase
    # A life span answers "born" with its first end and "died" with its last: "(1249–1314)".
    ends = [m.group() for m in _ONE_DATE.finditer(found)]  # a range's ends, as _candidates finds them
    if len(ends) == 2 and all(re.search(r"\d", e) for e in ends) and expected_type(question) == "date":
        if re.search(r"\bborn\b|\bbirth\b(?!\s+rate)", question, re.I):
            found = ends[0]
        elif re.search(r"\b(die|died)\b|\bdeath\b(?!\s+(toll|rate|penalty))", question, re.I):
            found = ends[1]
    # short_answer joins words with single spaces; the slice of the phrase itself keeps the text's
    # own line breaks and spaces, so that it is still found in the quote it came from.
    m = re.search(r"\s+".join(map(re.escape, found.split())), phrase)
    return phrase[m.start():m.end()] if m else phrase
