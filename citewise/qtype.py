"""What kind of answer a question asks for, and whether a sentence holds one. Pure, regex-based.

Used to prefer sentences that contain the asked-for kind of thing (a number for "how many",
a date for "when", a name for "who") and as one signal of whether the documents answer at all.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Sequence

from .text import LIST_NUMBER, VERSION, fold, stem, stopwords

NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
                "eighty ninety hundred thousand million billion trillion dozen dozens half").split()
MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_NUMBER = re.compile(r"\b((?<![\d,.])\d+(?:[,.]\d+)*|" + "|".join(NUMBER_WORDS) + r")\b", re.I)
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
# Digits grouped by commas or points, read from the first digit only: "\d[\d,.]*" tried every
# digit of a long line of "1,2.1,2." and took seconds (a review's finding).
_AMOUNT = r"(?:(?<![\d,.])\d+(?:[,.]\d+)*|" + "|".join(NUMBER_WORDS) + r")"
_MONEY = re.compile(rf"{_CURRENCY}\s?{_AMOUNT}(?:\s?(?:k|m|bn|mn|b))?\b|"
                    rf"\b{_AMOUNT}(?:\s+(?:thousand|million|billion|trillion|bn|m))?"
                    rf"\s*{_CURRENCY}|\bfree\b|\bno (?:charge|cost|fee)\b", re.I)

# A question that asks for a measure of one dimension ("At what altitude ...?", "How many months
# ...?", "What percentage ...?") is answered by a number with a unit of it: "six" or "2003" is no
# altitude. Each dimension: (the question names it as what it asks, the unit an answer states).
# The words between "what is the" and the measure are its modifiers ("payload capacity"), never a
# preposition or article ("What happened at the height of the crisis?" asks no height).
_ASKED = (r"^(?:at |to |from |with |by |in )?what (?:(?:is|was|are|were|will be|would be) )?"
          r"(?:the |its |their |his |her |a )?(?:(?!(?:at|in|on|of|the|a|an|to|for|by|with|from|during|after|"
          r"before)\b)[\w-]+ ){{0,3}}?(?:{})s?(?=\s+(?:of|for|in|at|on|does|do|did|is|was|are|were|will|would|can|"
          r"could|has|have|had|reached|needed|required)\b|\s*[?,]|\s*$)")
# A figure (a range, a word or a quantifier) before the unit, with one word between at most:
# "400 km", "3-5 business days", "25 metric tons", "several weeks". Its digits are read once (a
# backtracking "\d[\d,.]*" took seconds on a 5,000-character line).
_FIGURE = r"(?<![\d,.])\d+(?:[,.]\d+)*(?:\s*(?:-|–|to)\s*\d+(?:[,.]\d+)*)?"
_COUNT = (rf"(?:{_FIGURE}[\s-]*(?:(?:thousand|million|billion|hundred)\s+)?(?:[a-z]+[ -])?|\b(?:"
          + "|".join(NUMBER_WORDS)
          + r"|an?|several|few|some|many|couple of|dozens of|hundreds of|thousands of)[ -](?:[a-z]+[ -])?)")
# Units of written length, which "How long ...?" may ask too ("How long does a password need to be?").
_TEXT_UNITS = r"characters?|chars|letters|digits|words|lines|pages|bytes|kb|mb|gb"
_MEASURES = {
    # Not "length" or "depth", which software counts in characters or levels ("line length 100"); not
    # "how high" or "how deep" ("How high is the unemployment rate?", "How deep can folders be nested?").
    "length": (_ASKED.format(r"altitude|height|elevation|distance|width|diameter|radius|wingspan")
               + r"|^how (?:tall|wide)\b|^how far (?!back\b)",
               r"(?:km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?|f(?:ee|oo)t|ft|inch(?:es)?|cm|centimet(?:er|re)s?|"
               r"mm|millimet(?:er|re)s?|yards?|light[- ]years?|astronomical units?|nautical miles?|pixels?|px|m|mi)"),
    "mass": (_ASKED.format(r"mass|weight|payload(?: capacity)?") + r"|^how heavy\b|^how much (?:does|did|do|will|would)"
             r" .{1,60} weigh\b",
             r"(?:kg|kilograms?|kilos?|tonnes?|tons?|pounds?|lbs?|grams?|ounces?|oz|t|g)"),
    # Not "How long can a username be?", which asks for a number of characters.
    "time": (r"^how many (?:seconds|minutes|hours|days|weeks|months|years|decades|centuries)\b|"
             r"^how long (?:did|does|do|will|would|has|have|had)\b(?!.*\b(?:be|get)\s*\??$)",
             r"(?:seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|years?|decades?|centur(?:y|ies)|"
             rf"millenni(?:um|a)|nights?|yrs?|hrs?|mins?|secs?|ms|h|s|{_TEXT_UNITS})"),
    # Not "how fast" ("How fast did the economy grow?" is answered by a percentage).
    "speed": (_ASKED.format(r"speed|velocity"),
              r"(?:km/h|kph|mph|knots?|m/s|km/s|miles (?:an|per) hour|kilomet(?:er|re)s (?:an|per) (?:hour|second)|"
              r"met(?:er|re)s (?:a|per) second)"),
    "temperature": (_ASKED.format(r"temperature") + r"|^how (?:hot|cold|warm)\b",
                    r"(?:°\s?[cfk]?|degrees?|celsius|fahrenheit|kelvin|[cfk])"),
    "percentage": (_ASKED.format(r"percentage|per ?cent") + r"|^how many per ?cent\b",
                   r"(?:%|per ?cent|percentage points?|half|thirds?|quarters?|fifths?|tenths?)"),
    # Not "force" alone: "What kind of force did Harthacnut establish?" asks about troops.
    "force": (_ASKED.format(r"thrust") + r"|^how much (?:thrust|force)\b",
              r"(?:k?n|kilonewtons?|meganewtons?|newtons?|lbf|pounds?(?:[- ]force)?|"
              r"(?:tonnes?|tons?|kg|kilograms?)(?:[- ]force)?)"),
    "power": (_ASKED.format(r"(?:power|electricity|energy) (?:output|capacity|consumption)|wattage|horsepower")
              + r"|^how much (?:power|electricity|energy)\b",
              r"(?:[kmgt]?w|[kmgt]?wh|(?:kilo|mega|giga|tera)?watts?(?:[- ]hours?)?|horsepower|b?hp|"
              r"(?:kilo|mega)?joules?|[km]?j|calories|kcal)"),
    # Not "What is the volume of sales?" or "In what volume ...?": only what a liquid or gas fills.
    "volume": (r"^how much (?:water|fuel|oil|gas|liquid)\b",
               r"(?:l|ml|litres?|liters?|millilit(?:er|re)s?|gallons?|gal|barrels?|cubic \w+|m3|m³|km3|km³|cc)"),
    # Not "What area in South Africa ...?", which asks for a region.
    "area": (r"^what (?:is|was|are|were) (?:the |its |their )(?:[\w-]+ ){0,2}?area (?:of|covered)\b|"
             r"^how many square\b",
             r"(?:km2|km²|m2|m²|sq(?:uare)?\.? (?:km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?|f(?:ee|oo)t)|"
             r"hectares?|acres?|ha)"),
}
# "How many kilometres / kilograms / calories ...?" asks for that measure, not a count.
_UNIT_WORDS = {"length": r"kilomet(?:er|re)s|miles|met(?:er|re)s|feet|inches|centimet(?:er|re)s|yards|light[- ]years",
               "mass": r"kilograms|kilos|tonnes|tons|pounds|grams|ounces",
               "temperature": r"degrees", "power": r"watts|kilowatts|megawatts|calories|kilocalories|joules",
               "volume": r"litres|liters|gallons|barrels", "area": r"hectares|acres"}
_MEASURE_QUESTION = {k: re.compile(q + (rf"|^how many (?:{_UNIT_WORDS[k]})\b" if k in _UNIT_WORDS else ""))
                     for k, (q, _) in _MEASURES.items()}
# A figure before the unit ("400 km", "15 days", "several weeks"); a unit sign after a figure ("45%",
# "30°C"); a span of years or units alone for a length of time ("from 1914 to 1918", "known in
# seconds"); "Mach 2", "minus 40", "two-thirds".
_OTHER_FORMS = {"time": r"\b(?:from|between)\s+\d{3,4}\s+(?:to|and|until|till)\s+\d{3,4}\b|\b\d{4}\s*[-–]\s*\d{2,4}\b"
                        r"|\b(?:in|for|within|after|over|under)\s+(?:seconds|minutes|hours|days|weeks|months|years|"
                        r"decades|centuries)\b|\bsince\s+(?:\d{4}|" + "|".join(MONTHS) + r")\b",
                "speed": r"\bmach\s*\d", "temperature": r"\bminus\s+\d",
                "percentage": r"\b(?:half|(?:one|two|three|four)[- ](?:thirds?|quarters?|fifths?|tenths?))\b"
                              r"|\b\d[\d.]*\s?pc\b|\bone in (?:\d+|" + "|".join(NUMBER_WORDS) + r")\b"}
_MEASURE_ANSWER = {k: re.compile(rf"{_COUNT}{u}(?![\w/])|\d{u}(?![\w/])" +
                                 (f"|{_OTHER_FORMS[k]}" if k in _OTHER_FORMS else ""), re.I)
                   for k, (_, u) in _MEASURES.items()}
# What each measure is, as a refusal names it.
MEASURE_NAMES = {"money": "an amount of money", "length": "a distance, height or length", "mass": "a mass or weight",
                 "time": "a length of time", "speed": "a speed", "temperature": "a temperature",
                 "percentage": "a percentage", "area": "an area", "force": "a force or thrust",
                 "power": "an amount of power or energy", "volume": "a volume"}

_AUX_WORDS = r"(?:did|does|do|was|were|is|are|has|have|had|will|would|shall|can|could|may|might|should|must)"

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
    if asks_measure(question):
        return "number"
    q = fold(question).strip()
    q = re.sub(r"^(and|so|but|then|in|on|at|of|for|by|according to [^,]+,)\s+", "", q)
    # "When <clause>, what ...?" asks its second question word: "When China opened its programme to
    # foreign astronauts, what was Yang's title?" asks for no date. ("When did the war, which ...,
    # end?" asks its first: an auxiliary follows "when".)
    q = re.sub(rf"^when (?!{_AUX_WORDS}\b)[^?]*?,\s*(?=(what|which|who|whom|whose|where|how|why)\b)", "", q)
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


# "How many <things> <verb> ...?": the things counted run up to an auxiliary, a preposition or
# the end ("modules" of "How many modules does ...?"; "people attended" of "How many people
# attended?", for want of a tagger to tell the noun from the verb).
_HOW_MANY = re.compile(r"(?:^|, )how many (?:of (?:the|these|those|its|their|his|her) )?((?:[\w'-]+ ){0,4}?[\w'-]+?)"
                       r"(?= (?:did|does|do|is|are|was|were|has|have|had|will|would|can|could|should|must|may|"
                       r"might|of|in|on|at|for|from|to|that|who|which|per|by|with)\b|\s*[?,]|$)")
_HOW_MANY_NOUN = re.compile(r"(?:^|, )how many (?:of (?:the|these|those|its|their|his|her) )?([\w'-]+)")
# Counters that any counted noun stands for ("fourteen orbits" answers "how many times").
_ANY_COUNTED = frozenset("times people persons individuals ones members units items instances cases kinds types "
                         "sorts examples men women person individual one member unit item instance case kind type "
                         "sort example man woman".split())
_FRACTIONS = frozenset("half halves third thirds quarter quarters fifth fifths tenth tenths".split())


@lru_cache(maxsize=256)
def counted_things(question: str) -> tuple[str, ...]:
    """The words for what a "How many ...?" question counts ("modules" of "How many modules does
    the station have?"); none for another question or a counter of anything ("times", "people")."""
    q = fold(question).strip()
    # Also after a clause ("Of the seventeen, how many ...?"); past five words, the first word is the
    # noun ("How many astronauts made up the Shenzhou-10 crew?").
    m = _HOW_MANY.search(q) or _HOW_MANY_NOUN.search(q)
    phrase = tuple(w for w in m.group(1).split() if w not in stopwords()) if m else ()
    # "How many months / kilometres ...?" asks for a measure (asks_measure), checked by its unit.
    return () if any(w in _ANY_COUNTED for w in phrase) or asks_measure(question) else phrase


def _numeral(token: str) -> bool:
    """Whether a folded token is a number, in digits or in words ("5,000", "seventeen")."""
    return bool(re.fullmatch(r"\d[\d,.]*", token)) or token in NUMBER_WORDS


def _counted_stems(word: str) -> set[str]:
    """A counted word's stems, and its parts' when it is a compound ("french-speaking"), men as man."""
    return {stem(re.sub(r"men$", "man", w)) for w in [word, *word.split("-")] if w}


def _wanted_stems(things: Iterable[str]) -> set[str]:
    """The stems any of the counted `things` may be written with."""
    return set().union(*(_counted_stems(w) for w in things))


def counts(sentence: str, things: Iterable[str], near: int = 4) -> bool:
    """Whether a number in the sentence may count one of `things`: one of their words, or a
    compound it ends ("flights" of "spaceflights"), is among the `near` words after the number
    ("six manned space flights" counts spaceflights; "six flights" counts no modules); or no word
    names what it counts ("The number of attendees was seventeen.", "5,000 to 30,000 were killed"),
    or a word for anyone does ("75,000 people"). The number of a series member ("Shenzhou 5") counts
    nothing, nor does a year, unless the things follow it ("1200 students")."""
    want = _wanted_stems(things)
    # "3-4 modules" is a range; "three-person", "twenty-five", "Shenzhou-10" are words side by side.
    text = re.sub(r"(?<=\d)\s*[-–]\s*(?=\d)", " to ", sentence)
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)
    named = serials(text)
    # Clauses end at a full stop, not at a comma ("3 large pressurised, habitable modules").
    for clause in re.split(r"\.(?!\d)|[;:!?()]", fold(text)):
        tokens = re.findall(r"\d[\d,.]*\d|[\w'’]+|[%$€£¥]", clause)
        numeric = [_numeral(t) or t in _FRACTIONS for t in tokens]
        for i, t in enumerate(tokens):
            # Not a number's second word ("2.5 million", "six hundred"), a series member's, a day of
            # a month ("April 29"), an amount of money ("$5"), a percentage, a time ("10 am").
            if not numeric[i] or i and (numeric[i - 1] or (tokens[i - 1], t) in named or tokens[i - 1] in MONTHS
                                        or tokens[i - 1] in "$€£¥") \
                    or tokens[i + 1:i + 2] and tokens[i + 1] in ("%", "percent", "am", "pm", "times"):
                continue
            j = i + 1
            while j < len(tokens) and numeric[j]:  # the number's other words ("six hundred")
                j += 1
            after = tokens[j:j + 3 * near]
            if after[:1] in (["to"], ["or"], ["and"]) and len(after) > 1 and _numeral(after[1]):
                after = after[2:]  # "5,000 to 30,000 were killed"
            year = bool(re.fullmatch(r"1\d{3}|20\d{2}", t))
            if not year and (not after or after[0] in stopwords() or after[0] in _ANY_COUNTED):
                return True
            for w in [w for w in after if w not in stopwords()][:near]:
                for got in _counted_stems(w):
                    if got in want or len(got) >= 4 and any(x.endswith(got) or got.endswith(x) for x in want):
                        return True
    return False


@lru_cache(maxsize=256)
def asks_measure(question: str) -> str | None:
    """The measure a question asks for, a key of MEASURE_NAMES ("money" for what something costs,
    "length" for "At what altitude ...?"), or None."""
    if asks_money(question):
        return "money"
    q = fold(question).strip()
    return next((k for k, pattern in _MEASURE_QUESTION.items() if pattern.search(q)), None)


def lacking(question: str, sentences: Sequence[str], typed: Sequence[bool],
            written: Callable[[str], str] = str) -> str | None:
    """Why none of the candidate `sentences` (each `typed` if it holds_type the question's kind)
    answers the question, or None: it asks for a measure none holds (what something costs, an
    altitude, a length of time: "six flights" is no altitude), a count of things none counts
    ("How many modules ...?" and only "six flights"), or a date for what will happen ("When will
    ...?" and only "in 2003"). `written` gives a question's folded word as it writes it.
    (Not for numbers or dates at large: "When do they meet?" is answered by "every month".)"""
    if not sentences:
        return None
    if (measure := asks_measure(question)) and not any(typed):
        return f"None of the paragraphs that match the question holds {MEASURE_NAMES[measure]}."
    # Counting is checked here, not in a sentence's type: a count in other words for the things
    # ("3,000 Protestants" for Huguenots) still answers best among the numbers.
    if (things := counted_things(question)) and not any(counts(x, things) for x in sentences):
        return f"None of the paragraphs that match the question counts: {' '.join(map(written, things))}."
    if not any(typed) and asks_what_will_happen(question) and expected_type(question) == "date":
        return "None of the paragraphs that match the question says when it will happen."
    return None


# A question that names the unit of the date it asks for ("In what year ...?", "On what date ...?",
# "... in which century?"), and what a short answer to it holds (as well as digits, any of them).
# ("What day care centre ...?" asks for no day: an auxiliary, a preposition or the end must follow.)
_DATE_UNIT = re.compile(rf"\b(?:what|which) (exact |precise |specific )?(year|date|month|day|decade|century)s?"
                        rf"(?=\s*(?:[?,]|$)|\s+(?:{_AUX_WORDS}|"
                        r"of|in|on|at|for|from|to|the|a|an|this|that|these|those|his|her|its|their)\b)")
_ORDINAL = r"\b(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|" \
           r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|" \
           r"twentieth|twenty-first)\b"
_WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DATE_ANSWER = {
    "year": re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r")\b"),
    "month": re.compile(r"\d|\b(?:" + "|".join(MONTHS) + r")\b"),
    "date": re.compile(rf"\d|\b(?:{'|'.join(MONTHS)}|{_WEEKDAYS}|today|tomorrow|yesterday)\b|{_ORDINAL}"),
    "day": re.compile(rf"\d|\b(?:{'|'.join(MONTHS)}|{_WEEKDAYS}|today|tomorrow|yesterday|tonight|day|eve|"
                      rf"christmas|easter|holiday)\b|{_ORDINAL}"),
    "decade": re.compile(rf"\d|{_ORDINAL}|\b(?:{'|'.join(NUMBER_WORDS)}|twenties|thirties|forties|fifties|"
                         r"sixties|seventies|eighties|nineties)\b"),
    "century": re.compile(rf"\d|{_ORDINAL}"),
}
_MONTH_NAME = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\b")
_DATE_UNIT_NAMES = {"year": "a year", "month": "a month", "date": "a date", "day": "a day",
                    "decade": "a decade", "century": "a century"}
# Words that answer "How many ...?" without a numeral ("several", "a majority", "thousands"), and
# "How much does it cost?" ("free").
_QUANTITY = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r"|few|several|many|most|majority|minority|"
                       r"halves|thirds?|quarters?|dozens|hundreds|thousands|millions|billions|some|all|none|no|"
                       r"numerous|multiple|couple|lots?|little|much|countless|handful|fraction|double|twice|"
                       r"triple|once|free|nothing|single)\b|" + _ORDINAL)


def short_falls_short(question: str, short: str | None) -> str | None:
    """What the short answer to a question that asks for a count or names the unit of its date is
    not, when it lacks it: "a year" for "In what year did he first fly?" answered "last year" or
    "Brandenburg", "a number" for "How many astronauts ...?" answered "the station to conduct
    experiments". None when it holds one, when there is none, or for any other question ("When
    is the debate held?" is answered by "immediately after Decision Time")."""
    if not short:
        return None
    q, a = fold(question), fold(short)
    if m := _DATE_UNIT.search(q):
        unit = m.group(2)
        if m.group(1) and unit in ("date", "day"):  # "On what exact date ...?": "Wednesday" is none
            return None if re.search(r"\d", a) or _MONTH_NAME.search(a) else "an exact date"
        # A year alone is no month ("In which month of 2022 ...?" read "2022"). (A date may be a year:
        # "On what date was the article published?" is answered "2021" by the gold sets, and SQuAD's.)
        if unit == "month" and re.fullmatch(r"\D*(?:1\d{3}|20\d{2})\D*", a) and not _MONTH_NAME.search(a):
            return _DATE_UNIT_NAMES[unit]
        return None if _DATE_ANSWER[unit].search(a) else _DATE_UNIT_NAMES[unit]
    if re.search(r"\bhow many\b", q) or re.search(r"\bhow much\b", q) and asks_measure(question):
        return None if _QUANTITY.search(a) else "a number"
    return None


# How a question points at one of the documents rather than at what it says: "In the space day
# article, ...", "..., according to the 2019 opinion piece?", "In the reader comments, ...". ("Paper"
# is not among the words: "According to the white paper, ..." names a thing the documents speak of.)
_DOCUMENT_WORDS = r"(?:article|piece|story|report|post|blog post|page|document|text|comments?|essay|column|op-ed|" \
                  r"interview|press release|news item|version)"
_SOURCE_AT_START = re.compile(rf"^(?:in|from|according to|per)\s+(?:the|this|that)\s+(?:[\w'’-]+\s+){{0,5}}?"
                              rf"{_DOCUMENT_WORDS}\s*,\s*", re.I)
_SOURCE_AT_END = re.compile(rf",?\s+(?:in|from|according to|per)\s+(?:the|this|that)\s+(?:[\w'’-]+\s+){{0,5}}?"
                            rf"{_DOCUMENT_WORDS}\s*(?=[?.!]?\s*$)", re.I)


def without_source_reference(question: str) -> str:
    """The question without a clause that only says which document it is about ("In the space day
    article, what does CSS stand for?" -> "what does CSS stand for?"): its words ("article", "opinion
    piece") are in no paragraph, and counting them as unmatched made citewise refuse questions its
    documents answer. The question is kept as it is when no word of substance would be left."""
    rest = _SOURCE_AT_END.sub("", _SOURCE_AT_START.sub("", question, count=1), count=1).strip()
    return rest if any(w not in stopwords() for w in re.findall(r"\w+", fold(rest))) else question


def counts_other(question: str, short: str | None, sentences: Sequence[str]) -> str | None:
    """For "How many X ...?" answered by a bare number: the words that number counts in the sentence
    it was read from, when they are not X ("15 days in space" for "Of the seventeen astronauts, how
    many were foreign?"). None when the answer or the words after it name X or name nothing ("The
    number of attendees was seventeen."), for another question, or when no sentence holds it."""
    things = counted_things(question)
    if not short or not things or not any(_numeral(t) for t in re.findall(r"\d[\d,.]*|[a-z]+", fold(short))):
        return None
    want = _wanted_stems(things)
    if any(_counted_stems(w) & want for w in re.findall(r"[\w'-]+", fold(short))):
        return None  # "three hundred years" for "How many hundred of years ...?"
    for sentence in sentences:
        if (i := sentence.find(short)) >= 0:
            rest = sentence[i:]
            return None if counts(rest, things) else " ".join(rest.split()[:5]).rstrip(".,;:")
    return None


# "Who said ...?", "Which commenter suggested ...?": the question asks who says something.
_SPEAKER = re.compile(r"(?:^|,\s*)(?:which (?:reader|commenter|commentator|user|poster|visitor)s?\b|who\b(?=(?:\s+\w+)?"
                      r"\s+(?:said|says|say|thought|thinks|think|suggested|suggests|suggest|wrote|writes|write|"
                      r"commented|argued|argues|posted|asked|asks|replied|believed|believes|believe|noted|notes|"
                      r"claimed|claims|predicted|predicts|felt|feels|praised|praises|complained|complains|hoped|"
                      r"hopes|mentioned|mentions|doubted|doubts|questioned|questions|called|calls|expected|"
                      r"expects|warned|warns|joked|jokes|agreed|agrees|disagreed|disagrees|objected|responded|answered|"
                      r"proposed|proposes|recommended|recommends|insisted|insists|speculated|wondered|pointed)\b)"
                      # "In the reader comments, who ...?": a commenter is asked for, whatever the verb.
                      r"|who\b(?=.*\b(?:comments?|commenters?|commentators?)\b))", re.I)
# A sentence that reports someone else's words ("Yang said ...", "according to NASA"): its speaker
# is named in it, not the comment's author.
_REPORTED = re.compile(r"\b(said|says|according to|told|stated|announced)\b", re.I)


def asks_speaker(question: str) -> bool:
    """Whether the question asks who said, wrote or thought something ("Which reader thought ...?")."""
    return bool(_SPEAKER.search(question.strip()))


def speaker_of(question: str, kind: str, author: str | None, quote: str) -> str | None:
    """The answer to a question that asks who said something, when what answers it is a reader's
    comment: the comment's author, unless the quote reports another's words."""
    if kind == "comment" and author and asks_speaker(question) and not _REPORTED.search(quote):
        return author
    return None


# A year written as a figure (not part of a longer number, "2,000" or "2019.5").
_YEAR_FIGURE = r"(?<![\d.,])(1[0-9]{3}|20[0-9]{2})(?![\d.,]?\d)"
_WRITTEN_YEAR = re.compile(_YEAR_FIGURE)
_YEAR = re.compile(_YEAR_FIGURE + r"(?!'?s\b)")  # ... and no decade ("the 1600s")
# "the 2019 commentary", "the 2013 report": a year that names a document, not what is asked about.
_SOURCE_YEAR = re.compile(r"\b(?:the|this|that|a|an)\s+" + _YEAR_FIGURE + r"\s+(?:[\w'’-]+\s+){0,2}?"
                          r"(?:article|piece|commentary|report|announcement|story|editorial|interview|post|"
                          r"column|op-ed|release|statement|speech|news|paper|book|document|version|copy)\b", re.I)


def asked_years(question: str) -> list[str]:
    """The years a question names, besides decades ("the 1600s") and a year that names a
    document ("according to the 2019 commentary")."""
    return list(dict.fromkeys(_YEAR.findall(_SOURCE_YEAR.sub(" ", question))))


def years_in(text: str) -> frozenset[str]:
    """The years a text writes as figures, decades' too ("the 1600s" holds 1600)."""
    return frozenset(_WRITTEN_YEAR.findall(text))


# A title that makes a role another: the deputy director is not the director. "Former" only
# against a question about now ("Who is the current party leader?"): the former president was one.
_ROLE_QUALIFIER = re.compile(r"\b(deputy|vice|assistant|acting|interim|former)[\s-]+([^\W\d_]+)", re.I)
_QUALIFIED_BEFORE = re.compile(r"\b(?:deputy|vice|assistant|acting|interim|former)[\s-]+$", re.I)
_NOW = re.compile(r"\b(current|currently|now|today|present|incumbent)\b", re.I)


def other_role(question: str, sentences: Sequence[str]) -> str | None:
    """For a question that names a role ("Who is the director of ...?"), the qualified role the
    quoted sentences give instead, when they name that role only so ("deputy director"); None
    when the question asks for the qualified one itself or the sentences name the role plainly."""
    q = question.lower()
    text = " ".join(sentences)
    for m in _ROLE_QUALIFIER.finditer(text):
        qualifier, role = m.group(1).lower(), m.group(2).lower()
        if qualifier == "former" and not _NOW.search(q):
            continue
        if not re.search(rf"\b{re.escape(role)}\b", q) or re.search(rf"\b{qualifier}[\s-]+{re.escape(role)}\b", q):
            continue
        # The role named plainly somewhere ("the deputy director and the director met") answers.
        plain = [r for r in re.finditer(rf"\b{re.escape(role)}\b", text, re.I)
                 if not _QUALIFIED_BEFORE.search(text, 0, r.start())]
        if not plain:
            return f"{m.group(1)} {m.group(2)}"
    return None


def repeats_question(question: str, short: str | None) -> bool:
    """Whether the short answer only says words the question already says ("Junlong" for "Who flew
    alongside Fei Junlong?", "oil" for "... resulted from the discovery of what oil?"): the reader
    found nothing new to answer with. Not for a question that offers a choice ("Which is older,
    the British Empire or the Ethiopian Empire?"), whose answer is one of its own words."""
    said = [w for w in re.findall(r"\w+", fold(short or "")) if w not in stopwords()]
    # A yes/no question is answered in its own words: "Is Windows supported?" -> "not supported".
    if not said or re.search(r"\b(or|either|whether)\b", fold(question)) or asks_yes_no(question):
        return False
    asked = {stem(w) for w in re.findall(r"\w+", fold(question))}
    return all(stem(w) in asked for w in said)


def holds_type(sentence: str, kind: str, question: str = "") -> bool:
    """Whether the sentence contains a thing of the kind that the question does not already name
    (for a question about cost, an amount of money)."""
    if kind == "other":
        return True
    asked = set(re.findall(r"[\w'-]+", fold(question)))
    if listed := LIST_NUMBER.match(sentence):  # a list item's own number
        sentence = sentence[listed.end():]
    measure = asks_measure(question) if kind == "number" else None
    if measure == "money":
        found = [m.group(0) for m in _MONEY.finditer(fold(sentence))]
    elif measure:
        found = [m.group(0) for m in _MEASURE_ANSWER[measure].finditer(fold(sentence))]
    elif kind == "number":
        found = _NUMBER.findall(sentence)
    elif kind == "date":
        dates = list(_DATE.finditer(sentence))
        # "When will ...?" is answered by a date said of what is planned or expected, not by a date
        # in the past ("went into space in 2003, ... hoping China would ...").
        # Only a year gone by can be the past: "reopens in spring 2026", "opens on Monday" may answer.
        # "In what year will ...?" wants a year, though: "on Tuesday" does not answer it.
        if asks_what_will_happen(question):
            year = bool(re.search(r"\b(what|which) year\b", question, re.I))
            now = date.today().year

            def to_come(m: re.Match) -> bool:
                said = m.group(0)
                if re.fullmatch(r"\d{4}", said):
                    return int(said) >= now
                # Not "may" (a verb as often), "yesterday", or a day of a year gone by ("in March 2003").
                past = re.match(r"\D{0,12}?(\d{4})\b", sentence[m.end():])
                return not year and said.lower() not in ("may", "yesterday") and not (past and int(past.group(1)) < now)

            dates = [m for m in dates if to_come(m)
                     or _PROSPECTIVE.search(fold(sentence[max(0, m.start() - _NEAR):m.end() + _NEAR]))]
            dates += list(_TO_COME.finditer(fold(sentence)))  # "this year", "soon", "within five years"
        found = [m.group(0) for m in dates]
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


@lru_cache(maxsize=256)
def asks_what_will_happen(question: str) -> bool:
    """The question's first auxiliary is "will" or "shall" ("When will China land on the Moon?")."""
    aux = _AUXILIARY.search(fold(question))
    return bool(aux and aux.group(1) in ("will", "shall"))


# A sentence that speaks of what is to come: a plan, an expectation, a schedule, a future tense.
# (Not "later", "due": "completed two years later", "closed due to cracks".)
_PROSPECTIVE = re.compile(r"\b(will|shall|going to|plans?|planned|planning|expects?|expected|expecting|scheduled|"
                          r"due (in|on|by)|set to|aims?|aimed|aiming|intends?|intended|targets?|targeted|proposed|"
                          r"hopes?|hoped|would|to be|upcoming|future|next|soon|from now|by (the end of )?\d{4})\b")


_NEAR = 60  # characters either side of a date that say whether it is to come
# When something is to come, said without a date.
_TO_COME = re.compile(r"\b(this|next|coming|following) (year|month|week|decade|spring|summer|autumn|fall|winter)\b|"
                      r"\bsoon\b|\bin the (near |coming )?future\b|\b(within|in) (a|an|the next|a few|\d+|"
                      + "|".join(NUMBER_WORDS) + r")( \w+)? (years?|months?|weeks?|decades?|days?|hours?)\b|"
                      r"\bby the end of\b|\blater this\b")


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


# A series member's number after its name ("Shenzhou 5", "Shenzhou-10", "Shenzhou VIII", "Long
# March-6A", "Super Bowl 50", "World War II"); not a year ("March 2022"), a decimal ("3.5"), or "I"
# before a lowercase word ("Yesterday I went"). Found number first, its name read back over at most
# four capitalised words (a name-first pattern was quadratic on long runs of capitalised words).
_SERIAL_NUMBER = re.compile(r"(?<=[ -])(\d{1,3}[A-Za-z]?|[IVXL]{2,6}|[VXL]|I(?! [a-z]))\b(?![.,]?\d)")
_SERIAL_NAME = re.compile(r"(?:[A-Z][\w'’]*[ -]){0,3}[A-Z][\w'’]*$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
# Words before a figure that say how near or which it is ("Nearly 500 soldiers", "Another 20"), not
# a name of a series.
_APPROXIMATELY = frozenset("nearly almost approximately roughly around about over under some only just exactly "
                           "estimated perhaps maybe barely fully circa another among overall within per since "
                           "effective yesterday today total top first last".split())
# A question about a member's neighbour is answered by a sentence naming that neighbour ("Who
# succeeded Henry VII?" - "... his son Henry VIII").
_RELATION = re.compile(r"\b(succeed\w*|success\w*|preced\w*|predecessor|follow\w*|next|previous|before|after|"
                       r"father|mother|son|daughter|heir|compar\w*|than|replac\w*|differ\w*|unlike|versus|vs)\b",
                       re.I)


def _serial_number(number: str) -> str:
    """A series number as compared: Roman numerals as digits ("VIII" -> "8"), letters folded."""
    if re.fullmatch(r"[IVXL]+", number):
        values = [_ROMAN_VALUES[c] for c in number]
        return str(sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values)))
    return number.lower()


def serials(text: str) -> set[tuple[str, str]]:
    """The (name, number) pairs of the series members a text names: {("shenzhou", "10")} for
    "the Shenzhou-10 crew", {("shenzhou", "8")} for "Shenzhou VIII"."""
    return {pair for pair, _ in _serials(text)}


def written_serials(text: str) -> list[str]:
    """The series members a text names, as it writes them ("Shenzhou-10", "Long March 5")."""
    return list(dict.fromkeys(written for _, written in _serials(text)))


@lru_cache(maxsize=4096)  # asked of one question and one paragraph for many sentences
def _serials(text: str) -> tuple[tuple[tuple[str, str], str], ...]:
    found = []
    for m in _SERIAL_NUMBER.finditer(text):
        back = _SERIAL_NAME.search(text, max(0, m.start() - 61), m.start() - 1)
        if not back:
            continue
        written = back.group(0).split()
        *before, name = fold(back.group(0)).split()
        # A month alone is a date ("On March 3"); in a longer name it is a name's ("Long March 5").
        if name in stopwords() or name in _APPROXIMATELY \
                or name in MONTHS and all(w in stopwords() or w in _APPROXIMATELY for w in before):
            continue
        # Written from the name's first word that is no function word ("On Long March 5" -> "Long March 5").
        first = next((i for i, w in enumerate(before) if w not in stopwords() and w not in _APPROXIMATELY),
                     len(before))
        found.append(((name, _serial_number(m.group(1))), " ".join(written[first:]) + text[m.start() - 1:m.end()]))
    return tuple(found)


def other_serials(question: str, text: str) -> set[tuple[str, str]]:
    """The members of a series the question names that `text` names instead of the asked one
    ("Shenzhou 5" in a paragraph, for a question about Shenzhou-10): it speaks of another one.
    None for a question about a member's neighbour ("Who succeeded Henry VII?")."""
    asked = serials(question)
    if not asked or _RELATION.search(question):
        return set()
    said = serials(text)
    folded = fold(text)
    # The asked one is there also when the text lists it after its name ("Windows 10 and 11") or
    # names one of its releases ("Python 3.8" for Python 3).
    if all((n, k) in said or re.search(rf"\b{re.escape(n)}[ -](?:\w+(?:\s*,\s*|\s+(?:and|or|&)\s+)){{0,4}}"
                                       rf"{re.escape(k)}(?:\.\d+)*(?!\w)", folded) for n, k in asked):
        return set()
    names = {n for n, _ in asked}
    return {(n, k) for n, k in said if n in names and (n, k) not in asked}


def speaking_of_others(question: str, texts: Mapping[int, str]) -> tuple[set[int], list[str]]:
    """Which of some paragraphs (`texts`: each one's words with its section and document titles)
    name another of a series than the one the question asks about and never that one; and, when
    that is every one of them, those others as they write them ("Shenzhou 5"), for the refusal."""
    aside = {i for i, text in texts.items() if other_serials(question, text)}
    if not texts or len(aside) < len(texts):
        return aside, []
    asked = serials(question)
    names = {n for n, _ in asked}
    return aside, list(dict.fromkeys(w for i in sorted(aside) for w in written_serials(texts[i])
                                     if {n for n, _ in serials(w)} & names and serials(w) - asked))


def is_full_sentence(text: str) -> bool:
    """Ends like a sentence (. ! ? or a closing quote/bracket after one), not like a title."""
    return bool(re.search(r"[.!?…][\"'”’)\]]*\s*$", text.strip()))


def asks(sentence: str) -> bool:
    """A question (ends with a question mark, closing quotes aside): it states nothing."""
    return bool(re.search(r"[?？][\"'”’)\]」』]*\s*$", sentence))
