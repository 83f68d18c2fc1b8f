import pytest

from citewise.errors import EmptyCorpusError, UnreadableFileError
from citewise.load import decode, discover, read_text
from citewise.pipeline import ingest


def test_decode_utf8_bom_and_cp1252():
    assert decode("\ufeffcafé".encode("utf-8")) == "café"
    assert decode("café “quoted”".encode("cp1252")) == "café “quoted”"


def test_binary_is_refused_with_a_reason():
    with pytest.raises(UnreadableFileError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_discover_recurses_and_skips_unsupported(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("A.")
    (tmp_path / "sub" / "b.md").write_text("B.")
    (tmp_path / "c.exe").write_bytes(b"MZ")
    (tmp_path / ".hidden.txt").write_text("no")
    found, skipped = discover([tmp_path, tmp_path / "missing"])
    assert [f.doc for f in found] == ["a.txt", "sub/b.md"]
    reasons = {s.path.split("/")[-1]: s.reason for s in skipped}
    assert "unsupported type '.exe'" in reasons["c.exe"]
    assert reasons["missing"] == "no such file or folder"


def test_unreadable_file_reason(tmp_path):
    with pytest.raises(UnreadableFileError, match="cannot be read"):
        read_text(tmp_path / "nope.txt")


def test_ingest_skips_bad_files_and_reports_them(tmp_path, fake_encoder, fake_settings):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "good.txt").write_text("The moon is made of rock.\n\nIt orbits the earth.")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (corpus / "empty.md").write_text("   \n\n  ")
    report = ingest([corpus], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    assert report.documents == 1 and report.paragraphs == 2
    reasons = {s.path.split("/")[-1]: s.reason for s in report.skipped}
    assert "binary" in reasons["binary.txt"]
    assert reasons["empty.md"] == "no text in it"
    assert "Skipped 2 file(s)" in report.summary()


def test_a_link_whose_file_is_gone_keeps_its_document_and_a_pipe_is_skipped(tmp_path, fake_encoder,
                                                                             fake_settings):
    import os

    docs, disk = tmp_path / "docs", tmp_path / "disk"
    docs.mkdir()
    disk.mkdir()
    (docs / "moon.txt").write_text("The moon is made of rock.")
    (disk / "garden.txt").write_text("The watering rota: Anna on Mondays, Ben on Thursdays.")
    (docs / "garden.txt").symlink_to(disk / "garden.txt")
    os.mkfifo(docs / "pipe.txt")  # reading it would block for ever
    first = ingest([docs], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    assert first.documents == 2
    assert {s.path.split("/")[-1]: s.reason for s in first.skipped} == {
        "pipe.txt": "not a regular file (a pipe, socket or device)"}
    disk.rename(tmp_path / "disk-unmounted")  # the link now points nowhere
    again = ingest([docs], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    assert again.documents == 2 and again.held == ["garden.txt"]  # kept as indexed before
    assert "kept as indexed before 1 (see Skipped)" in again.summary()
    reason = {s.path.split("/")[-1]: s.reason for s in again.skipped}["garden.txt"]
    assert reason.startswith("a link to a file that is not there") and reason.endswith("the version indexed before is kept")


def test_empty_folder_is_a_clear_error(tmp_path, fake_encoder, fake_settings):
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyCorpusError, match="nothing to index"):
        ingest([tmp_path / "empty"], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    assert not (tmp_path / "index").exists()


def test_symlink_loop_and_huge_file_are_handled(tmp_path, fake_encoder, fake_settings):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "ok.txt").write_text("A small readable document about comets and their tails.")
    (docs / "sub" / "loop").symlink_to(docs, target_is_directory=True)  # docs/sub/loop -> docs
    with open(docs / "huge.txt", "wb") as f:  # sparse: 100 MB on paper, nothing on disk
        f.truncate(100 * 1024 * 1024)
    report = ingest([docs], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    assert report.documents == 1
    reasons = {s.path.split("/")[-1]: s.reason for s in report.skipped}
    assert reasons["huge.txt"] == "too large (104.9 MB; limit 50 MB)"
    assert reasons["loop"] == "a link to a folder: not followed (give the folder itself to ingest.py)"


def test_utf16_text_a_stray_byte_in_utf8_and_late_binary_bytes():
    from citewise.errors import UnreadableFileError
    from citewise.load import decode

    text = "Café in Zürich – naïve.\nSecond line."
    for codec in ("utf-16", "utf-16-le", "utf-16-be"):  # with a byte-order mark, and without one either way
        assert decode(text.encode(codec)) == text, codec
    # One invalid byte in UTF-8 text costs that byte, not every accented letter.
    assert decode(text.encode("utf-8") + b"\xff!") == text + "\ufffd!"
    assert decode("Crème brûlée, déjà vu.".encode("cp1252")) == "Crème brûlée, déjà vu."
    with pytest.raises(UnreadableFileError, match="binary"):
        decode(b"plain text " * 2_000 + b"\x00\x01\x02")  # text first, binary after 8 KB


def test_legacy_cyrillic_and_chinese_encodings_are_detected_western_stays_cp1252():
    from citewise.load import decode

    russian = "Столица России - Москва. Город основан в 1147 году и является крупнейшим городом страны."
    chinese = "长城是中国古代的军事防御工程，是世界上最长的建筑。它的总长度超过两万公里。"
    assert decode(russian.encode("cp1251")) == russian
    assert decode(russian.encode("koi8-r")) == russian
    assert decode(chinese.encode("gbk")) == chinese
    french = "Crème brûlée, café, déjà vu, façade, naïve. The committee met in Zürich on Tuesday."
    assert decode(french.encode("cp1252")) == french


def test_central_european_cp1250_is_told_from_cp1252_by_the_signs_it_would_put_inside_words():
    from citewise.load import decode

    polish = "Zażółć gęślą jaźń. Wszyscy ludzie rodzą się wolni i równi pod względem swej godności."
    assert decode(polish.encode("cp1250")) == polish  # cp1252 would read "Za¿ó³æ gêœl¹ jaŸñ"
    western = "Größe, Straße, Öl. 3½ cups at 25°C, ©2020 Acme; fish £5; a²+b²=c²; ¿Qué pasa?"
    assert decode(western.encode("cp1252")) == western
