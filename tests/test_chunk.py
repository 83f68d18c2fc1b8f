from citewise.chunk import blocks, split_paragraphs
from citewise.load import decode
from citewise.text import sentence_spans


def words(text):
    return len(text.split())


def test_blocks_are_blank_line_separated_with_exact_offsets():
    text = "  First para\nstill first.\n\n\nSecond one.\n \nThird.\n"
    spans = blocks(text)
    assert [text[s:e] for s, e in spans] == ["First para\nstill first.", "Second one.", "Third."]


def test_paragraph_ids_ordinals_and_offsets():
    text = "Alpha beta.\n\nGamma delta.\n\nEpsilon."
    paras = split_paragraphs("dir/a.txt", text, max_tokens=100, count_tokens=words)
    assert [p.id for p in paras] == ["dir/a.txt#1", "dir/a.txt#2", "dir/a.txt#3"]
    assert [p.ordinal for p in paras] == [1, 2, 3]
    for p in paras:
        assert text[p.start:p.end] == p.text
        for s, e in p.sentences:
            assert p.text[s:e].strip()


def test_ids_are_stable_and_hash_follows_content():
    text = "One two.\n\nThree four."
    a = split_paragraphs("d.txt", text, 100, words)
    b = split_paragraphs("d.txt", text, 100, words)
    assert [(p.id, p.hash) for p in a] == [(p.id, p.hash) for p in b]
    c = split_paragraphs("d.txt", "One two.\n\nThree five.", 100, words)
    assert a[0].hash == c[0].hash and a[1].hash != c[1].hash


def test_long_paragraph_splits_at_sentence_boundaries():
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(10)]
    text = "Intro.\n\n" + " ".join(sentences)
    paras = split_paragraphs("d.txt", text, max_tokens=20, count_tokens=words)
    assert paras[0].text == "Intro."
    pieces = paras[1:]
    assert len(pieces) == 5  # 7 words a sentence, at most 20 a piece: two sentences (14 words) each
    for p in pieces:
        assert words(p.text) <= 20
        assert text[p.start:p.end] == p.text
        assert p.text.endswith("words.") and p.text.startswith("Sentence")
    assert " ".join(p.text for p in pieces) == " ".join(sentences)


def test_a_sentence_longer_than_the_window_splits_at_words():
    text = " ".join(f"w{i}" for i in range(50))
    paras = split_paragraphs("d.txt", text, max_tokens=16, count_tokens=words)
    assert [words(p.text) for p in paras] == [16, 16, 16, 2]
    assert all(text[p.start:p.end] == p.text for p in paras)


def test_windows_line_endings_do_not_shift_offsets():
    text = decode("First.\r\n\r\nSecond line.\r\n".encode())
    paras = split_paragraphs("d.txt", text, 100, words)
    assert [p.text for p in paras] == ["First.", "Second line."]


def test_sentence_spans_know_common_abbreviations():
    text = "Dr. Smith met Mr. Jones on Jan. 3 in the U.S. capital. They talked."
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Dr. Smith met Mr. Jones on Jan. 3 in the U.S. capital.",
                                             "They talked."]


def test_a_piece_without_letters_or_digits_is_no_sentence():
    text = ". 24/7 Space News .\nChina welcomes cooperation. …\n— — —"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["24/7 Space News .", "China welcomes cooperation."]


def test_chinese_and_japanese_sentences_end_at_full_width_stops():
    from citewise.text import sentence_spans

    assert [t[a:b] for t in ["真的吗？！对【注】。"] for a, b in sentence_spans(t)] == ["真的吗？！", "对【注】。"]
    text = "杨利伟是第一位进入太空的航天员。他绕地球飞行了十四圈！「きぼう」は何ですか？」答え。 Mr. Smith went home."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "杨利伟是第一位进入太空的航天员。", "他绕地球飞行了十四圈！", "「きぼう」は何ですか？」", "答え。", "Mr. Smith went home."]


def test_words_split_chinese_and_japanese_runs_into_bigrams_and_leave_other_words_whole():
    from citewise.text import terms, words

    assert words("长征五号 Long March-5 天 ISS国际站") == [
        "长征", "征五", "五号", "long", "march-5", "天", "iss", "国际", "际站"]
    assert terms("The astronauts' moons") == ["astronaut", "moon"]  # English as before


def test_terms_fold_accents_and_british_spellings():
    """People type "Mongke" for "Möngke" and "center" for "centre": the terms match (they did not),
    while marks on other scripts stay (Cyrillic "й" is not "и")."""
    from citewise.text import terms

    for a, b in (("Möngke Khan", "Mongke Khan"), ("Hervé", "Herve"), ("François", "Francois"),
                 ("the Astronaut Centre", "the Astronaut Center"), ("centres", "centers"),
                 ("organisations", "organizations"), ("colour", "color"), ("behaviour", "behavior"),
                 ("analysed", "analyzed"), ("catalogue", "catalog"), ("defence", "defense"),
                 ("travelled", "traveled"), ("programme", "program")):
        assert terms(a) == terms(b), (a, b)
    for a, b in (("hours", "hors"), ("tours", "tors"), ("contour", "contor"), ("fire", "fier")):  # no over-reach
        assert terms(a) != terms(b), (a, b)
    assert terms("й") != terms("и")
    # Words both spellings write with -ise keep their families; names are no -re words (a review
    # found "revise" no longer matching "revision", "paradise" matching "parade", "Legendre" "legend").
    for a, b in (("revise", "revision"), ("precise", "precision"), ("supervised", "supervision")):
        assert terms(a) == terms(b), (a, b)
    for a, b in (("paradise", "parade"), ("advertise", "advert"), ("Legendre", "legend")):
        assert terms(a) != terms(b), (a, b)


def test_stop_words_and_sentence_splitter_are_llama_index_cores_without_importing_it():
    """citewise reads llama-index-core's bundled NLTK stop words from their file and builds Punkt
    as its globals_helper does: the same words and the same sentences, with neither library
    imported to answer a question (imports that took 1.8 s of each `ask` on the command line)."""
    import json
    import subprocess
    import sys

    from conftest import ROOT, SAMPLE_CORPUS

    probe = ("import sys, json; from citewise.text import stopwords, terms; "
             "terms('Who were the first astronauts?'); "
             "print(json.dumps([sorted(stopwords()), 'llama_index.core' in sys.modules, 'nltk' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    words, imported_core, imported_nltk = json.loads(out.stdout)
    assert not imported_core and not imported_nltk

    from llama_index.core.utils import globals_helper

    assert words == sorted(globals_helper.stopwords) and "the" in words
    import citewise.text as text

    theirs = globals_helper.punkt_tokenizer
    theirs._params.abbrev_types.update(text.ABBREVIATIONS)
    for path in sorted(SAMPLE_CORPUS.glob("*.txt")):
        doc = path.read_text(encoding="utf-8")
        assert [(a, b) for a, b in text._punkt().span_tokenize(doc)] == list(theirs.span_tokenize(doc))


def test_pieces_counted_by_their_parts_are_as_full_as_counting_them_whole():
    """_pack adds up its units' counts instead of counting each growing piece again: with the real
    tokenizer every piece still fits the window, and the next unit would not have fitted."""
    import re

    from conftest import ROOT

    from citewise.chunk import _pack
    from citewise.onnx_encoder import OnnxEncoder

    count = OnnxEncoder(kind="onnx-int8").count_tokens
    text = " ".join(f.read_text(encoding="utf-8") for f in sorted((ROOT / "data" / "sample").glob("*.txt")))
    for units in (sentence_spans(text), [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]):
        pieces = _pack(text, units, 60, count)
        assert pieces[0][0] == units[0][0] and pieces[-1][1] == units[-1][1]
        starts = [u[0] for u in units]
        for (s, e), (nxt, _) in zip(pieces, pieces[1:]):
            assert count(text[s:e]) <= 60 or starts.index(nxt) - starts.index(s) == 1
            following = units[starts.index(nxt)]
            assert count(text[s:following[1]]) > 60  # the next unit would not have fitted



def test_counting_a_document_at_once_splits_it_as_counting_each_paragraph():
    """split_paragraphs with the encoder's batch counter (one tokenizer call per document) gives
    the same paragraphs as counting each one; the batch counts equal the single counts."""
    from conftest import ROOT

    from citewise.onnx_encoder import OnnxEncoder

    enc = OnnxEncoder(kind="onnx-int8")
    for path in sorted((ROOT / "data" / "sample").glob("*.txt")):
        doc = path.read_text(encoding="utf-8")
        for window in (40, 254):  # 40: many paragraphs are too long and are split again
            alone = split_paragraphs(path.name, doc, window, enc.count_tokens)
            batched = split_paragraphs(path.name, doc, window, enc.count_tokens, None, enc.count_tokens_many)
            assert batched == alone
        texts = [p.text for p in alone]
        assert enc.count_tokens_many(texts) == [enc.count_tokens(t) for t in texts]
        assert any(n > 40 for n in enc.count_tokens_many(texts))  # the 40 window did split something


NLTK_ALONE = """
import sys
from citewise.text import sentence_spans
spans = sentence_spans("The module docked at noon. Its crew of three opened the hatch.")
print(spans, "scipy.stats" in sys.modules, "sklearn" in sys.modules)
import scipy.stats, sklearn.svm  # afterwards both import as usual
from nltk.tokenize.punkt import PunktSentenceTokenizer
print(type(scipy.stats.fisher_exact).__name__, PunktSentenceTokenizer().tokenize("One. Two."))
"""


def test_punkt_loads_without_nltks_optional_scipy_and_sklearn_parts():
    import subprocess
    import sys
    import threading

    import pytest
    from conftest import ROOT

    from citewise.text import _WithoutOptional

    out = subprocess.run([sys.executable, "-c", NLTK_ALONE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    first, second = out.stdout.strip().splitlines()[-2:]
    assert first == "[(0, 26), (27, 62)] False False"
    assert second == "function ['One.', 'Two.']"
    # Only the thread importing nltk is refused them; another thread finds them as usual.
    finder = _WithoutOptional()
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("sklearn.svm")
    assert finder.find_spec("scipy.sparse") is None
    elsewhere = []
    t = threading.Thread(target=lambda: elsewhere.append(finder.find_spec("scipy.stats")))
    t.start()
    t.join()
    assert elsewhere == [None]
