from pathlib import Path

from citewise import store
from citewise.pipeline import Searcher, add_documents, ingest, remove_document
from citewise.load import SourceFile
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


def test_an_unreadable_upload_is_refused_and_overwrites_nothing(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    (temp / "good").write_text("Mars has two moons, Phobos and Deimos.")
    (temp / "bad").write_bytes(b"%PDF-1.4 garbage")
    (temp / "binary").write_bytes(b"\x00\x01" * 50)
    (temp / "empty").write_text("  \n")
    uploads = tmp_path / "uploads"
    saved, skipped = save_uploads([("mars.txt", temp / "good")], uploads, max_bytes=10_000)
    assert [f.doc for f in saved] == ["uploads/mars.txt"] and not skipped
    saved, skipped = save_uploads([("report.pdf", temp / "bad"), ("mars.txt", temp / "binary"),
                                   ("notes.md", temp / "empty")], uploads, max_bytes=10_000)
    assert saved == []
    assert [(s.path, s.reason) for s in skipped] == [
        ("report.pdf", "not a readable PDF: damaged, or not a PDF (PDFSyntaxError)"),
        ("mars.txt", "looks like a binary file (contains NUL bytes)"), ("notes.md", "no text in it")]
    # Nothing refused was kept, and the readable mars.txt is still the one the index was built from.
    assert sorted(p.name for p in uploads.iterdir()) == ["mars.txt"]
    assert (uploads / "mars.txt").read_text() == "Mars has two moons, Phobos and Deimos."


def test_adding_or_removing_keeps_documents_whose_files_are_gone(tmp_path, fake_encoder, fake_settings):
    """The index, not the disk, is what an upload or a removal changes: a document whose file has
    moved since it was indexed stays, with every paragraph (a folded copy included) as it was."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "mars.txt").write_text("Olympus Mons is the tallest volcano on Mars.\n\nMars has two moons.")
    (corpus / "moon.txt").write_text("The Moon orbits the Earth every 27 days.")
    (corpus / "zz-copy.txt").write_text("A line of its own here.\n\nOlympus Mons is the tallest volcano on Mars.")
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    before = {p.id: p for p in store.load(index_dir).paragraphs}
    for f in corpus.iterdir():
        f.unlink()
    new = tmp_path / "venus.txt"
    new.write_text("Venus spins backwards.")
    report = add_documents(index_dir, [SourceFile(new, "uploads/venus.txt")], fake_settings, fake_encoder)
    assert report.added == ["uploads/venus.txt"] and report.removed == [] and report.embedded == 1
    assert sorted(report.unchanged) == ["mars.txt", "moon.txt", "zz-copy.txt"]
    after = store.load(index_dir)
    assert {p.id: p for p in after.paragraphs if p.doc != "uploads/venus.txt"} == before
    assert after.manifest["documents"]["zz-copy.txt"]["duplicates"][0]["same_as"] == "mars.txt#1"
    # Removing the document that holds the copy's original: the copy is indexed under its own id.
    removed = remove_document(index_dir, "mars.txt", fake_settings, fake_encoder)
    assert removed.removed == ["mars.txt"] and removed.embedded == 0
    after = store.load(index_dir)
    copy = after.paragraph("zz-copy.txt#2")
    assert copy.text == "Olympus Mons is the tallest volcano on Mars." and (copy.start, copy.end) == (25, 69)
    assert [p.id for p in after.paragraphs] == ["moon.txt#1", "zz-copy.txt#1", "zz-copy.txt#2", "uploads/venus.txt#1"]
    found = Searcher(index_dir, fake_settings, fake_encoder).ask("Which volcano is the tallest on Mars?")
    assert found.retrieved[0].paragraph.id == "zz-copy.txt#2"
