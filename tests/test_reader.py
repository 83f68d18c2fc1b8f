"""The extractive reader: span search (pure) and the fitted adapters on the real model."""
import numpy as np
import pytest

from citewise.answer import AnswerSpan, candidate_sentences, compose
from citewise.reader import READER_WEIGHTS, Reader, best_span

from test_answer import HITS


def test_best_span_respects_order_length_and_context():
    start = np.array([9.0, 1.0, 5.0, 0.0, 0.0])
    end = np.array([9.0, 0.0, 0.0, 4.0, 8.0])
    mask = np.array([False, True, True, True, True])  # position 0 is [CLS], never an answer
    assert best_span(start, end, mask) == (2, 4, 13.0)
    # An end before the start is never taken, however high it scores.
    assert best_span(np.array([0.0, 0.0, 9.0]), np.array([0.0, 9.0, 1.0]), np.ones(3, bool))[:2] == (2, 2)
    # The answer is at most max_tokens long.
    assert best_span(start, end, mask, max_tokens=2)[:2] == (2, 3)


def test_compose_takes_the_short_answer_from_the_span_when_quoted():
    sents = candidate_sentences(HITS, 2)
    text = HITS[0].paragraph.text
    a = text.index("Seventeen")
    span = AnswerSpan(hit=0, start=a, end=a + len("Seventeen"), text="Seventeen", margin=3.0)
    ans = compose("How many attended?", HITS, sents, [0.2, 0.9, 0.1, 0.3], abstain=False, span=span)
    assert ans.short_answer == "Seventeen"
    # A span in a sentence that is not quoted is not shown as the answer (it would be uncited).
    other = HITS[1].paragraph.text.index("2003")
    span = AnswerSpan(hit=1, start=other, end=other + 4, text="2003", margin=3.0)
    ans = compose("How many attended?", HITS, sents, [0.2, 0.9, 0.1, 0.3], abstain=False, span=span)
    assert ans.short_answer != "2003"


@pytest.mark.skipif(not READER_WEIGHTS.exists(), reason="reader weights not fitted")
def test_fitted_reader_finds_answers_in_real_paragraphs():
    reader = Reader()
    contexts = [
        "A gathering was held at the Astronaut Centre of China in Beijing on Tuesday. Seventeen people "
        "attended, among them three astronauts.",
        "Yang Liwei became the first Chinese astronaut in 2003, when Shenzhou 5 orbited the Earth "
        "fourteen times. He now directs the China Manned Space Agency's office.",
    ]
    spans = reader.read("How many people attended the gathering?", contexts)
    assert len(spans) == 2 and [s.context for s in spans] == [0, 1]
    assert spans[0].text.lower().startswith("seventeen")
    assert spans[0].score > spans[1].score  # the paragraph that holds the answer reads as the better one
    for s, c in zip(spans, contexts):
        assert c[s.start:s.end] == s.text
    assert "2003" in reader.read("In what year did Yang Liwei fly to space?", contexts[1:])[0].text
    assert "Yang Liwei" in reader.read("Who was the first Chinese astronaut?", contexts[1:])[0].text
    assert reader.read("Anything?", []) == []
