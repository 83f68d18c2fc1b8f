from pathlib import Path

from citewise import store
from citewise.pipeline import Searcher, add_documents, ingest, remove_document
from citewise.uploads import safe_name, save_uploads


def test_safe_names_cannot_escape_the_folder():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\\\..\\\\windows\\\\evil.md") == "evil.md"
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("a/b/<script>.html") == "_script_.html"
    assert safe_name("..") == "document"


def test_uploads_are_saved_checked_and_indexed(tmp_path, fake_encoder, fake_settings):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "moon.txt").write_text("The Moon orbits the Earth every 27 days.")
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    temp = tmp_path / "tmp"
    temp.mkdir()
    (temp / "a").write_text("Mars has two moons, Phobos and Deimos.")
    (temp / "b").write_text("x" * 2000)
    (temp / "c").write_bytes(b"MZ")
    saved, skipped = save_uploads([("../../mars.txt", temp / "a"), ("big.txt", temp / "b"), ("tool.exe", temp / "c")],
                                  tmp_path / "uploads", max_bytes=1000)
    assert [(f.doc, f.path.parent) for f in saved] == [("uploads/mars.txt", (tmp_path / "uploads").resolve())]
    assert [s.path for s in skipped] == ["big.txt", "tool.exe"]
    assert not list(tmp_path.glob("mars.txt")) and not Path("/mars.txt").exists()
    report = add_documents(index_dir, saved, fake_settings, fake_encoder)
    assert report.added == ["uploads/mars.txt"] and report.unchanged == ["moon.txt"] and report.embedded == 1
    s = Searcher(index_dir, fake_settings, fake_encoder)
    assert s.ask("Which moons does Mars have?").citations[0].paragraph.doc == "uploads/mars.txt"
    removed = remove_document(index_dir, "uploads/mars.txt", fake_settings, fake_encoder)
    assert removed.removed == ["uploads/mars.txt"]
    assert [p.doc for p in store.load(index_dir).paragraphs] == ["moon.txt"]
    assert [p.doc for p in s.index.paragraphs] == ["moon.txt"]  # the searcher picked up the swap
