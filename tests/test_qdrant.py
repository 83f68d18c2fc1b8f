"""--store qdrant, against Qdrant's embedded local mode (real qdrant_client, real model, no mocks)."""
import json
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, CountingEncoder
from citewise import qdrant_store, store
from citewise.config import SAMPLE_CORPUS, Settings
from citewise.embed import get_encoder
from citewise.errors import IndexMismatchError, StoreUnavailableError
from citewise.pipeline import Searcher, ingest, remove_document
from citewise.qdrant_store import QdrantTarget

QUESTIONS = [
    "Which countries will China work with on satellite engineering and technology?",
    "Who is the Director of UNOOSA?",
    "How many orbits did Yang make in Shenzhou 5?",
    "Who is the chief designer of China's manned space program?",
    "When is China's national space day?",
    "How many people attended the gathering at the Astronaut Centre of China?",
]
DOCS = {
    "moon.txt": "The Moon orbits the Earth every 27 days.\n\nIts surface is covered in regolith.",
    "mars.md": "Mars has two moons, Phobos and Deimos.\n\nOlympus Mons is the tallest volcano.",
}


def collections(path):
    client, _ = qdrant_store.connect(QdrantTarget(path=str(path)))
    return sorted(c.name for c in client.get_collections().collections)


def live_collection(index_dir):
    return store.read_manifest(index_dir)["store"]["collection"]


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    for name, text in DOCS.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def qdrant_sample(tmp_path_factory):
    """The bundled sample corpus ingested from scratch into a local Qdrant folder."""
    root = tmp_path_factory.mktemp("qdrant-sample")
    report = ingest([SAMPLE_CORPUS], root / "index", progress=False,
                    dense_store=QdrantTarget(path=str(root / "qdrant")))
    assert report.embedded == report.paragraphs > 0
    return root / "index"


@pytest.fixture
def converted(sample_index, tmp_path):
    """A copy of the FAISS sample index, re-ingested into a local Qdrant folder: (index, qdrant path, report)."""
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir)
    enc = CountingEncoder(get_encoder(Settings().model, kind=Settings().encoder))
    report = ingest([SAMPLE_CORPUS], index_dir, encoder=enc, progress=False,
                    dense_store=QdrantTarget(path=str(tmp_path / "qdrant")))
    return index_dir, tmp_path / "qdrant", report


def test_qdrant_index_answers_as_the_faiss_index_does(qdrant_sample, searcher):
    manifest = store.read_manifest(qdrant_sample)
    assert manifest["store"]["kind"] == "qdrant" and manifest["store"]["collection"].startswith("citewise-g1-")
    assert not (qdrant_sample / store.DENSE).exists()  # the vectors are in Qdrant only
    q = Searcher(qdrant_sample)
    assert isinstance(q.index.dense, qdrant_store.QdrantDense)
    assert q.index.dense.count() == len(q.index.paragraphs) == manifest["paragraph_count"]
    for question in QUESTIONS:
        a, b = q.ask(question), searcher.ask(question)
        assert [h.paragraph.id for h in a.retrieved] == [h.paragraph.id for h in b.retrieved], question
        assert [(c.paragraph.id, c.quote) for c in a.citations] == [(c.paragraph.id, c.quote) for c in b.citations]
        assert a.abstained == b.abstained
        assert np.allclose([h.dense for h in a.retrieved], [h.dense for h in b.retrieved], atol=1e-5)
    # Qdrant's own nearest neighbours are FAISS's (the candidates fusion starts from).
    vec = q.encoder.encode([QUESTIONS[0]])
    (qs, qrows), (fs, frows) = q.index.dense.search(vec, 10), searcher.index.dense.search(vec, 10)
    assert list(qrows[0]) == list(frows[0]) and np.allclose(qs, fs, atol=1e-5)


def test_cli_and_ui_open_a_qdrant_index_from_its_manifest_alone(qdrant_sample, searcher):
    from citewise.cli import open_searcher

    expected = searcher.ask(QUESTIONS[3]).citations[0].paragraph.id
    qdrant_store.close_clients()  # the embedded mode lets one process at a time open the folder
    out = subprocess.run([sys.executable, "-m", "citewise", "ask", QUESTIONS[3], "--index", str(qdrant_sample),
                          "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["citations"][0]["id"] == expected and "Zhou Jianping" in d["citations"][0]["quote"]
    ui = open_searcher(qdrant_sample, build_default=False)  # what app.py --index DIR calls
    assert ui.ask(QUESTIONS[3]).citations[0].paragraph.id == expected


def test_incremental_reingest_reuses_the_vectors_and_removing_a_document_removes_its_points(converted, searcher):
    index_dir, qpath, first = converted
    assert first.embedded == 0  # from the FAISS index: every vector reused, none embedded
    assert not (index_dir / store.DENSE).exists()
    loaded = store.load(index_dir)
    assert np.allclose(loaded.dense.reconstruct_n(0, loaded.dense.ntotal),
                       searcher.index.dense.reconstruct_n(0, searcher.index.dense.ntotal), atol=1e-6)
    g1 = live_collection(index_dir)
    enc = CountingEncoder(get_encoder(Settings().model, kind=Settings().encoder))
    same = ingest([SAMPLE_CORPUS], index_dir, encoder=enc, progress=False)  # no store given: keeps Qdrant
    assert same.up_to_date and enc.encoded == 0 and live_collection(index_dir) == g1 and collections(qpath) == [g1]
    # A setting that shapes the index changed: a new index, and a new collection, with every
    # vector reused. (One that only shapes answers, such as top_k, changes nothing.)
    assert ingest([SAMPLE_CORPUS], index_dir, Settings(top_k=7), encoder=enc, progress=False).up_to_date
    again = ingest([SAMPLE_CORPUS], index_dir, Settings(exact_max=19_999), encoder=enc, progress=False)
    assert not again.up_to_date and enc.encoded == 0 and again.embedded == 0 and len(again.unchanged) == 5
    g2 = live_collection(index_dir)
    assert g2.startswith("citewise-g2-") and collections(qpath) == [g2]  # the old collection is dropped
    doc = "001_04f4ad0d7282fd55.txt"
    dense = store.load(index_dir).dense
    points = qdrant_store.points_of_document(dense, doc)
    assert points and all(p.startswith(doc + "#") for p in points)
    report = remove_document(index_dir, doc, encoder=enc)
    assert report.removed == [doc] and report.embedded == 0 and enc.encoded == 0
    after = store.load(index_dir)
    assert qdrant_store.points_of_document(after.dense, doc) == []
    assert after.dense.count() == len(after.paragraphs) == len(searcher.index.paragraphs) - len(points)
    assert collections(qpath) == [live_collection(index_dir)]
    assert not list(index_dir.parent.glob("index.qdrant-drop-*"))
    # Switching back to FAISS reuses the vectors too (only the removed document, back, is embedded)
    # and drops the collection.
    back = ingest([SAMPLE_CORPUS], index_dir, encoder=enc, progress=False, dense_store="faiss")
    assert back.added == [doc] and back.embedded == len(points)
    assert (index_dir / store.DENSE).exists() and collections(qpath) == []
    assert "store" not in store.read_manifest(index_dir)


def test_failed_ingest_leaves_the_old_index_answering(converted, tmp_path, monkeypatch):
    index_dir, qpath, _ = converted
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    (corpus / "venus.txt").write_text("Venus is the hottest planet in the solar system.")
    before = (index_dir / "manifest.json").read_text()
    old = live_collection(index_dir)
    question = QUESTIONS[1]
    expected = Searcher(index_dir).ask(question).citations[0].paragraph.id

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "save", boom)  # after the new collection is written, before the swap
    with pytest.raises(RuntimeError, match="disk full"):
        ingest([corpus], index_dir, progress=False)
    monkeypatch.undo()
    assert (index_dir / "manifest.json").read_text() == before
    assert collections(qpath) == [old]  # the new, unused collection is gone
    assert Searcher(index_dir).ask(question).citations[0].paragraph.id == expected
    # A process killed between writing its collection and the swap: nothing cleans up after it.
    monkeypatch.setattr(qdrant_store, "settle", lambda *a, **k: None)
    monkeypatch.setattr(store, "save", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], index_dir, progress=False)
    monkeypatch.undo()
    orphans = [c for c in collections(qpath) if c != old]
    assert len(orphans) == 1 and (index_dir / "manifest.json").read_text() == before
    assert Searcher(index_dir).ask(question).citations[0].paragraph.id == expected
    report = ingest([corpus], index_dir, progress=False)  # the next ingest drops the orphan
    assert report.added == ["venus.txt"] and report.embedded == 1
    assert collections(qpath) == [live_collection(index_dir)]
    assert live_collection(index_dir) not in (old, orphans[0])
    assert Searcher(index_dir).ask("Which is the hottest planet?").citations[0].paragraph.doc == "venus.txt"


def test_round_trip_and_store_errors(tmp_path, corpus, fake_encoder, fake_settings):
    index_dir, qpath = tmp_path / "index", tmp_path / "qdrant"
    ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False,
           dense_store=QdrantTarget(path=str(qpath), collection="planets", shards=2, replicas=1))
    assert store.read_manifest(index_dir)["store"]["collection"].startswith("planets-g1-")
    loaded = store.load(index_dir)
    assert [p.id for p in loaded.paragraphs] == ["mars.md#1", "mars.md#2", "moon.txt#1", "moon.txt#2"]
    assert np.allclose(loaded.dense.reconstruct_n(0, 4), fake_encoder.encode([p.text for p in loaded.paragraphs]),
                       atol=1e-6)
    assert Searcher(index_dir, fake_settings, fake_encoder).ask("Which moons does Mars have?") \
        .citations[0].paragraph.id == "mars.md#1"
    # A collection of another dimension is refused with a message, not queried.
    client, _ = qdrant_store.connect(QdrantTarget(path=str(qpath)))
    from qdrant_client.http import models as rest

    client.create_collection("wrong", vectors_config={"text-dense": rest.VectorParams(size=8,
                                                                                    distance=rest.Distance.COSINE)})
    manifest = json.loads((index_dir / "manifest.json").read_text())
    good = manifest["store"]["collection"]
    manifest["store"]["collection"] = "wrong"
    (index_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="dimension 8.*gives 64"):
        Searcher(index_dir, fake_settings, fake_encoder)
    manifest["store"]["collection"] = good
    (index_dir / "manifest.json").write_text(json.dumps(manifest))
    # The embedded folder open in another process.
    qdrant_store.close_clients()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, qdrant_client; "
                               f"c = qdrant_client.QdrantClient(path={str(qpath)!r}); print('open', flush=True); "
                               "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreUnavailableError, match="open in another process"):
            Searcher(index_dir, fake_settings, fake_encoder)
    finally:
        holder.communicate("", timeout=60)
    assert Searcher(index_dir, fake_settings, fake_encoder).index.dense.count() == 4
    # The folder gone.
    qdrant_store.close_clients()
    shutil.rmtree(qpath)
    with pytest.raises(StoreUnavailableError, match="does not exist"):
        Searcher(index_dir, fake_settings, fake_encoder)


def test_unreachable_server_and_bad_options_are_clear_errors(tmp_path, corpus, fake_encoder, fake_settings,
                                                             monkeypatch, capsys):
    import ingest as ingest_cli

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreUnavailableError, match=f"cannot reach the Qdrant server at http://127.0.0.1:{port}"):
        ingest([corpus], tmp_path / "index", fake_settings, fake_encoder, progress=False,
               dense_store=QdrantTarget(url=f"http://127.0.0.1:{port}"))
    assert not (tmp_path / "index").exists()
    monkeypatch.delenv("CITEWISE_TEST_NO_KEY", raising=False)
    with pytest.raises(StoreUnavailableError, match="CITEWISE_TEST_NO_KEY .* is not set"):
        qdrant_store.connect(QdrantTarget(url=f"http://127.0.0.1:{port}", api_key_env="CITEWISE_TEST_NO_KEY"))
    for bad in (dict(url="localhost:6333"), dict(path="q", collection="a/b"), dict(), dict(url="http://x", path="q")):
        with pytest.raises(ValueError):
            QdrantTarget(**bad)
    for argv, message in ((["--store", "faiss", "--qdrant-path", "q"], "--store faiss takes no"),
                          (["--store", "qdrant"], "--store qdrant needs"),
                          (["--qdrant-collection", "x"], "need --qdrant-url or --qdrant-path"),
                          (["--qdrant-path", "q", "--qdrant-shards", "0"], "at least 1"),
                          (["--qdrant-url", "ftp://x"], "must start with http")):
        with pytest.raises(SystemExit) as exc:
            ingest_cli.main([str(corpus), "--index", str(tmp_path / "i"), *argv])
        assert exc.value.code == 2 and message in capsys.readouterr().err
    assert ingest_cli.main([str(corpus), "--index", str(tmp_path / "i"), "--quiet",
                            "--qdrant-url", f"http://127.0.0.1:{port}"]) == 1
    assert "cannot reach the Qdrant server" in capsys.readouterr().err


def test_a_qdrant_folder_inside_the_index_or_in_a_folder_of_other_files_is_refused(tmp_path, corpus, fake_encoder,
                                                                                  fake_settings):
    from citewise.errors import IndexTargetError

    index_dir = tmp_path / "index"
    # Inside the index: every ingest replaces that folder, and the vectors went with it.
    with pytest.raises(IndexTargetError, match="inside the index folder"):
        ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False,
               dense_store=QdrantTarget(path=str(index_dir / "vectors")))
    assert not index_dir.exists()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("buy milk")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "meta.json").write_text('{"not": "qdrant"}')
    for place, why in ((notes, "not a local Qdrant folder"), (tmp_path / "other", "not a readable local Qdrant")):
        with pytest.raises(StoreUnavailableError, match=why):
            ingest([corpus], index_dir, fake_settings, fake_encoder, progress=False,
                   dense_store=QdrantTarget(path=str(place)))
    assert sorted(p.name for p in notes.iterdir()) == ["todo.txt"]
