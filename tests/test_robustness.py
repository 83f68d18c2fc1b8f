"""Bad places, bad timing and bad files around an ingest: refused or survived, nothing lost."""
import os
import threading
from types import SimpleNamespace

import pytest

from citewise import parse, pipeline, store
from citewise.errors import IndexTargetError
from citewise.pipeline import ingest
from citewise.text import sentence_spans


def _docs(tmp_path, **files):
    d = tmp_path / "docs"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def _indexed(tmp_path, encoder, settings):
    """Two small documents, indexed: (their folder, the index)."""
    docs = _docs(tmp_path, **{"a.txt": "Phobos is the larger moon of Mars.", "b.txt": "Deimos is the smaller one."})
    ingest([docs], tmp_path / "index", settings, encoder, progress=False)
    return docs, tmp_path / "index"


def test_an_index_is_never_written_over_a_folder_of_other_files_or_a_file(tmp_path, fake_encoder, fake_settings):
    docs = _docs(tmp_path, **{"recipe.txt": "Saffron goes in last, with a pinch of salt."})
    for target in (docs, tmp_path / "docs" / "recipe.txt"):
        with pytest.raises(IndexTargetError):
            ingest([docs], target, fake_settings, fake_encoder, progress=False)
    assert (docs / "recipe.txt").read_text() == "Saffron goes in last, with a pinch of salt."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]  # nothing beside it either
    # A new folder, an empty one and an existing index are all fine.
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "new" / "index", tmp_path / "empty", tmp_path / "new" / "index"):
        ingest([docs], target, fake_settings, fake_encoder, progress=False)
        assert [p.doc for p in store.load(target).paragraphs] == ["recipe.txt"]


def test_a_file_that_was_indexed_and_cannot_be_read_now_keeps_its_indexed_version(tmp_path, fake_encoder,
                                                                                  fake_settings):
    docs, index = _indexed(tmp_path, fake_encoder, fake_settings)
    (docs / "b.txt").write_bytes(b"\x00\x01binary now")  # unreadable, as a half-copied file would be
    (docs / "c.txt").write_bytes(b"\x00\x02never readable")
    report = ingest([docs], index, fake_settings, fake_encoder, progress=False)
    reasons = {os.path.basename(s.path): s.reason for s in report.skipped}
    assert reasons["b.txt"].endswith("; the version indexed before is kept") and "kept" not in reasons["c.txt"]
    assert report.removed == [] and [p.text for p in store.load(index).paragraphs] == [
        "Deimos is the smaller one.", "Phobos is the larger moon of Mars."]
    (docs / "b.txt").unlink()  # gone for good: removed, as the folder says
    assert ingest([docs], index, fake_settings, fake_encoder, progress=False).removed == ["b.txt"]


def test_a_file_a_library_cannot_split_is_skipped_and_the_rest_indexed(tmp_path, fake_encoder, fake_settings,
                                                                       monkeypatch):
    docs = _docs(tmp_path, **{"good.txt": "Phobos is the larger moon of Mars.", "odd.txt": "Odd input."})
    real = parse.split_paragraphs

    def split(doc, *args, **kwargs):
        if doc == "odd.txt":  # what NLTK's regular-expression time limit raised on a 6 MB line
            raise TimeoutError("regular-expression match exceeded its time limit")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(parse, "split_paragraphs", split)
    report = ingest([docs], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    assert report.added == ["good.txt"]
    assert [s.reason for s in report.skipped] == [
        "could not be split into paragraphs (TimeoutError: regular-expression match exceeded its time limit)"]


def test_a_text_without_line_breaks_is_split_into_its_sentences():
    sentences = [f"Sentence number {i} talks about the station." for i in range(2_000)]
    line = " ".join(sentences)
    assert [line[a:b] for a, b in sentence_spans(line)] == sentences
    words = "word " * 3_000  # no sentence end at all: cut at spaces, every character kept
    assert "".join(words[a:b] + " " for a, b in sentence_spans(words)).split() == words.split()


def test_two_ingests_into_one_index_take_turns(tmp_path, fake_encoder, fake_settings):
    first = _docs(tmp_path, **{"a.txt": "Phobos is the larger moon of Mars."})
    second = tmp_path / "more"
    second.mkdir()
    (second / "b.txt").write_text("Deimos is the smaller one.")
    index = tmp_path / "index"
    errors = []

    def run(folder):
        try:
            ingest([folder], index, fake_settings, fake_encoder, progress=False, rebuild=True)
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in (first, second, first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert [p.doc for p in store.load(index).paragraphs] in (["a.txt"], ["b.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".index.lock", "docs", "index", "more"]  # no leftovers


def test_a_plain_ask_after_a_swap_cut_short_uses_the_previous_index(tmp_path, fake_encoder, fake_settings,
                                                                      monkeypatch, capsys):
    from citewise import cli

    docs = _docs(tmp_path, **{"a.txt": "Phobos is the larger moon of Mars."})
    index = tmp_path / "index"
    ingest([docs], index, fake_settings, fake_encoder, progress=False)
    index.rename(tmp_path / "index.old-999999")  # killed between the swap's two renames
    monkeypatch.setattr(cli, "DEFAULT_INDEX", index)
    built, opened = [], []
    monkeypatch.setattr(pipeline, "ingest", lambda *a, **k: built.append(a))
    monkeypatch.setattr(pipeline, "Searcher", lambda where, settings: opened.append(where)  # not under test here
                        or SimpleNamespace(notices=lambda: []))
    cli.open_searcher(index)
    assert built == [] and "No index yet" not in capsys.readouterr().err and opened == [index]
    assert [p.doc for p in store.load(index).paragraphs] == ["a.txt"]


def test_a_damaged_index_is_not_taken_as_up_to_date_and_errors_say_how_to_mend_it(tmp_path, fake_encoder,
                                                                                   fake_settings):
    from citewise.errors import IndexCorruptError, IndexNotFoundError
    from citewise.pipeline import Searcher

    docs, index = _indexed(tmp_path, fake_encoder, fake_settings)
    dense = index / store.DENSE
    dense.write_bytes(dense.read_bytes()[:100])  # truncated
    report = ingest([docs], index, fake_settings, fake_encoder, progress=False)
    assert not report.up_to_date and report.embedded == 0  # rebuilt from the intact vectors
    assert Searcher(index, fake_settings, fake_encoder).ask("Which moon is larger?").retrieved
    # Garbage of the same size in the paragraphs: the error names the file and the way out.
    text = index / store.PARAGRAPHS
    text.write_bytes(b"x" * text.stat().st_size)
    with pytest.raises(IndexCorruptError, match=r"paragraphs.jsonl is damaged at row 0 .*ingest.py --rebuild"):
        Searcher(index, fake_settings, fake_encoder).ask("Which moon is larger?")
    assert ingest([docs], index, fake_settings, fake_encoder, progress=False, rebuild=True).paragraphs == 2
    (index / store.MANIFEST).write_text("[]")
    with pytest.raises(IndexCorruptError, match="not a citewise manifest"):
        store.read_manifest(index)
    with pytest.raises(IndexNotFoundError, match="is a file, not an index folder"):
        store.read_manifest(docs / "a.txt")


def test_a_damaged_array_header_is_a_damaged_index_not_a_traceback_and_ingest_mends_it(tmp_path, fake_encoder,
                                                                                        fake_settings):
    from citewise.errors import IndexCorruptError
    from citewise.pipeline import Searcher

    docs, index = _indexed(tmp_path, fake_encoder, fake_settings)
    for name in (store.SENTENCES, store.PARAGRAPH_OFFSETS, f"{store.LEXICAL}/data.csc.index.npy"):
        damaged = bytearray((index / name).read_bytes())
        damaged[10:22] = b"A" * 12  # inside the header (a Python literal numpy parses), same size
        (index / name).write_bytes(bytes(damaged))
        with pytest.raises(IndexCorruptError, match=r"is damaged .*ingest.py --rebuild"):
            Searcher(index, fake_settings, fake_encoder).ask("Which moon is larger?")
        report = ingest([docs], index, fake_settings, fake_encoder, progress=False)  # no --rebuild needed
        assert not report.up_to_date and Searcher(index, fake_settings, fake_encoder).ask("Which moon is larger?").retrieved


def test_an_indexed_file_that_reads_empty_now_keeps_its_version_and_a_damaged_index_does_not_stop_a_rebuild(
        tmp_path, fake_encoder, fake_settings):
    docs, index = _indexed(tmp_path, fake_encoder, fake_settings)
    (docs / "b.txt").write_text("")  # emptied while being rewritten
    report = ingest([docs], index, fake_settings, fake_encoder, progress=False)
    assert [s.reason for s in report.skipped] == ["no text in it; the version indexed before is kept"]
    assert [p.text for p in store.load(index).paragraphs][0] == "Deimos is the smaller one."
    (docs / "b.txt").write_bytes(b"\x00binary")
    (index / store.PARAGRAPHS).write_bytes(b"x" * (index / store.PARAGRAPHS).stat().st_size)
    report = ingest([docs], index, fake_settings, fake_encoder, progress=False, rebuild=True)
    assert [p.doc for p in store.load(index).paragraphs] == ["a.txt"]  # nothing could be kept; nothing failed
    assert "kept" not in report.skipped[0].reason


def test_vectors_are_reused_only_for_the_same_sentences(tmp_path, fake_encoder, fake_settings, monkeypatch):
    """A new splitter can cut the same paragraph into other sentences: its stored sentence vectors
    then no longer fit, and reusing them by the paragraph's hash wrote an index that would not load."""
    from citewise import chunk

    docs = _docs(tmp_path, **{"a.txt": "Phobos is the larger moon. Deimos is the smaller one."})
    with monkeypatch.context() as m:  # an older splitter: a line is one sentence
        m.setattr(chunk, "sentence_spans", lambda text: [(0, len(text))] if text else [])
        ingest([docs], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    assert [len(p.sentences) for p in store.load(tmp_path / "index").paragraphs] == [1]
    (docs / "b.txt").write_text("Mars has two moons.", encoding="utf-8")
    ingest([docs], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    index = store.load(tmp_path / "index")
    assert [len(p.sentences) for p in index.paragraphs] == [2, 1]
    assert len(index.sentence_vectors) == 3
    # And the writer itself refuses arrays that do not fit their paragraphs, before writing anything.
    p = list(index.paragraphs)
    with pytest.raises(ValueError, match="inconsistent"):
        store.save(tmp_path / "other", {}, p, None, None, index.sentence_vectors[:2], index.vectors[:2])
    assert not (tmp_path / "other").exists()
