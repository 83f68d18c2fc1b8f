"""The span reader: its decoding rule by hand, and the shipped weights on the real model."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from citewise.reader import READER_WEIGHTS, Reader, ReaderUnavailable, best_span


def test_best_span_takes_the_best_allowed_pair_within_the_length_limit():
    start = np.array([9.0, 1.0, 5.0, 0.0, 0.0, 0.0])
    end = np.array([9.0, 0.0, 1.0, 3.0, 0.0, 6.0])
    allowed = np.array([False, True, True, True, True, True])  # token 0 is the question
    assert best_span(start, end, allowed, max_tokens=15) == (2, 5, 11.0)  # 5 + 6
    # Too long a span is not allowed: the best short one wins instead.
    assert best_span(start, end, allowed, max_tokens=2) == (2, 3, 8.0)
    # An end before its start never wins, however high its logits.
    assert best_span(np.array([0.0, 0.0, 9.0]), np.array([0.0, 9.0, 1.0]), np.array([True] * 3)) == (2, 2, 10.0)
    with pytest.raises(ValueError):
        best_span(start, end, np.zeros(6, dtype=bool))


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> Reader:
    return Reader.load(cache_dir=tmp_path_factory.mktemp("cache"))


def test_shipped_reader_reads_the_asked_for_phrase(reader):
    assert reader.read("How many people attended the meeting?",
                       ["Seventeen people attended the meeting in Vienna."]).text == "Seventeen"
    assert reader.read("In what year did Yang Liwei fly?", ["Yang Liwei flew into orbit in 2003."]).text == "2003"
    span = reader.read("Who was the first Chinese astronaut?",
                       ["The first Chinese astronaut was Yang Liwei, a former fighter pilot."])
    assert span.text == "Yang Liwei"
    # Offsets point into the context it was read from.
    context = "The first Chinese astronaut was Yang Liwei, a former fighter pilot."
    assert context[span.start:span.end] == span.text and span.context == 0


def test_reader_chooses_among_several_quotes(reader):
    quotes = ["The station orbits at about 400 km.", "The agency's director is Simonetta Di Pippo."]
    span = reader.read("Who is the agency's director?", quotes)
    assert span.context == 1 and span.text == "Simonetta Di Pippo"
    assert reader.read("Who?", ["", "   "]) is None
    # read_each: one span per context, in order, None where there is nothing to read.
    each = reader.read_each("Who is the agency's director?", ["", *quotes])
    assert each[0] is None and [x.context for x in each[1:]] == [1, 2]
    assert each[2].text == "Simonetta Di Pippo" and each[2].score > each[1].score
    # Characters the tokenizer drops leave nothing to read, rather than an error.
    assert reader.read("Who?", ["\u200b\ufeff"]) is None


def test_a_pasted_paragraph_as_question_still_gets_read(reader):
    question = "Who is the agency's director? " + "Some context the user pasted along. " * 60
    span = reader.read(question, ["The agency's director is Simonetta Di Pippo."])
    assert span is not None and span.text == "Simonetta Di Pippo"


def test_reader_weights_that_do_not_fit_are_refused(tmp_path):
    import torch
    from safetensors.torch import save_file

    cache = tmp_path / "cache"
    with pytest.raises(ReaderUnavailable, match="missing"):
        Reader.load(tmp_path / "none.safetensors", cache_dir=cache)
    wrong = tmp_path / "wrong.safetensors"  # a head for another model size
    save_file({"head.weight": torch.zeros(2, 768), "head.bias": torch.zeros(2)}, str(wrong), {"layers": "1"})
    partial = tmp_path / "partial.safetensors"  # the head alone: the tuned layer is missing
    save_file({"head.weight": torch.zeros(2, 384), "head.bias": torch.zeros(2)}, str(partial), {"layers": "1"})
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file")
    for kind in ("torch", "onnx-int8"):
        with pytest.raises(ReaderUnavailable, match="does not fit"):
            Reader.load(wrong, kind=kind, cache_dir=cache)
        with pytest.raises(ReaderUnavailable, match="16 missing"):
            Reader.load(partial, kind=kind, cache_dir=cache)
        with pytest.raises(ReaderUnavailable, match="cannot be read"):
            Reader.load(garbage, kind=kind, cache_dir=cache)
    assert not list((cache / "reader").glob("*/export.json"))  # no export was left for them
    assert READER_WEIGHTS.is_file()


def test_int8_onnx_reader_reads_as_torch_does(tmp_path):
    from citewise.onnx_encoder import is_complete

    onnx = Reader.load(kind="onnx-int8", cache_dir=tmp_path)
    folder = next((tmp_path / "reader").iterdir())
    assert is_complete(folder)  # exported, quantised and stamped in the given cache
    torch_reader = Reader.load(kind="torch")
    cases = [("How many people attended the meeting?", ["Seventeen people attended the meeting in Vienna."]),
             ("Who leads the agency?", ["The station orbits at about 400 km.",
                                        "The agency is led by its director, Simonetta Di Pippo, since 2014."]),
             ("When did the probe land?", ["The probe, launched in July, landed on 15 May 2021 after months in orbit."])]
    for question, contexts in cases:
        a, b = onnx.read(question, contexts), torch_reader.read(question, contexts)
        assert (a.text, a.context) == (b.text, b.context)
        # int8 weights and activations move logits a little, by the CPU's int8 kernels: under 10%
        # on AVX2, 17% (8.69 -> 7.23, the same span) on an AVX-512 VNNI machine.
        assert abs(a.score - b.score) < 0.25 * abs(b.score)
    with pytest.raises(ValueError, match="unknown reader kind"):
        Reader.load(kind="tf")


def test_cross_validation_folds_hold_out_each_group_once():
    from eval.train_reader import split

    articles = [{"title": str(i)} for i in range(8)]
    held = []
    for fold in range(4):
        train, out = split(articles, 2, fold)
        assert [a["title"] for a in out] == [str(2 * fold), str(2 * fold + 1)]
        assert not {a["title"] for a in train} & {a["title"] for a in out} and len(train) == 6
        held += out
    assert held == articles  # every article is held out exactly once
    assert split(articles, 2) == (articles[:6], articles[6:])  # the default: the last two, as before
    assert split(articles, 0) == (articles, [])
    assert split(articles[:7], 2) == (articles[:5], articles[5:7])  # the last two, also when 2 does not divide 7
    assert split(articles[:7], 2, 3)[1] == [articles[6]]  # the short last fold
    for holdout, fold, message in ((2, 4, "folds 0 to 3"), (0, 1, "needs --holdout"), (8, -1, "choose 1 to 7"),
                                   (-1, -1, "choose 1 to 7")):
        with pytest.raises(ValueError, match=message):
            split(articles, holdout, fold)


def test_answers_are_read_with_the_reader_weights_they_are_given(sample_index, tmp_path):
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    from citewise.config import Settings
    from citewise.onnx_encoder import cache_root
    from citewise.pipeline import Searcher
    from citewise.reader import export_key

    question = "How many people attended the gathering at the Astronaut Centre of China?"
    shipped = Searcher(sample_index).ask(question)
    # The shipped weights with the start/end head zeroed: a reader that fits the model but has no
    # preference, so it takes the first word piece of whatever it reads.
    with safe_open(str(READER_WEIGHTS), "pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        metadata = f.metadata()
    tensors = {k: torch.zeros_like(v) if k.startswith("head.") else v for k, v in tensors.items()}
    blank = tmp_path / "blank.safetensors"
    save_file(tensors, str(blank), metadata)
    export = cache_root() / "reader" / export_key(blank)
    try:
        other = Searcher(sample_index, Settings(reader_weights=str(blank))).ask(question)
        assert export.is_dir()  # the blank reader was exported into the user's cache ...
    finally:
        shutil.rmtree(export, ignore_errors=True)  # ... and the test takes its 145 MB away again
    assert shipped.short_answer == "seventeen"
    assert other.short_answer != shipped.short_answer
    assert Searcher(sample_index).ask(question).short_answer == "seventeen"  # each searcher keeps its own

    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file")
    # A file that is not a reader is refused when the searcher opens, not at the first question.
    with pytest.raises(ReaderUnavailable, match="cannot be read"):
        Searcher(sample_index, Settings(reader_weights=str(garbage)))
    Searcher(sample_index, Settings(reader_weights=str(garbage), short_answers="rules"))  # the rules read none
