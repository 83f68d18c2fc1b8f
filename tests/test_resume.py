"""An ingest cut short while it embeds (Ctrl-C, a crash) resumes from what it had embedded."""
import numpy as np
import pytest

from citewise import pipeline, store
from conftest import CountingEncoder, KeywordEncoder


class Interrupted(KeywordEncoder):
    """The fake encoder, with a Ctrl-C arriving during its `after`-th call."""

    def __init__(self, after: int) -> None:
        self.after, self.calls = after, 0

    def encode(self, texts, progress=False):
        self.calls += 1
        if self.calls >= self.after:
            raise KeyboardInterrupt
        return super().encode(texts)


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    for i in range(12):
        (d / f"doc{i:02d}.txt").write_text("\n\n".join(
            f"Report {i} part {j}: the probe measured {i * 7 + j} particles. Its orbit shifted by {j} metres."
            for j in range(10)), encoding="utf-8")
    return d


@pytest.fixture
def often(monkeypatch):
    """Small parts, each checkpointed: the behaviour of a long ingest, in a small one."""
    monkeypatch.setattr(pipeline, "EMBED_PART", 16)
    monkeypatch.setattr(pipeline, "CHECKPOINT_EVERY_S", 0.0)


def test_parts_give_the_vectors_of_one_pass_and_checkpoints_cover_all_but_the_last(fake_encoder, corpus,
                                                                                   tmp_path, fake_settings):
    pipeline.ingest([corpus], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    paragraphs = list(store.load(tmp_path / "index").paragraphs)
    whole = pipeline._embed(paragraphs, fake_encoder, "separate")
    saved: list[int] = []
    parts = pipeline._embed_parts(paragraphs, fake_encoder, "separate", False,
                                  lambda done, v, s: saved.append(len(done)), part=16, every_s=0.0)
    assert np.array_equal(parts[0], whole[0]) and np.array_equal(parts[1], whole[1])
    assert len(paragraphs) == 120 and saved == [16] * 7  # the 8th part (the last) is not saved


def test_an_interrupted_ingest_resumes_and_builds_the_same_index(corpus, tmp_path, fake_settings, often):
    index = tmp_path / "index"
    with pytest.raises(KeyboardInterrupt):  # paragraphs then sentences per part: the 3rd part's paragraphs
        pipeline.ingest([corpus], index, fake_settings, Interrupted(after=5), progress=False)
    assert not index.exists() and store.checkpoint_dir(index).is_dir()

    counting = CountingEncoder(KeywordEncoder())
    report = pipeline.ingest([corpus], index, fake_settings, counting, progress=False)
    assert report.paragraphs == 120 and report.resumed == 32 and report.embedded == 120 - 32
    assert "32 embedded by an ingest that was cut short" in report.summary()
    assert not store.checkpoint_dir(index).exists()  # gone once the index is written
    fresh = tmp_path / "fresh"
    pipeline.ingest([corpus], fresh, fake_settings, KeywordEncoder(), progress=False)
    assert np.array_equal(np.load(index / store.VECTORS), np.load(fresh / store.VECTORS))
    assert np.array_equal(np.load(index / store.SENTENCES), np.load(fresh / store.SENTENCES))


def test_a_checkpoint_of_other_settings_or_a_damaged_part_is_not_used(corpus, tmp_path, fake_settings, often):
    index = tmp_path / "index"
    with pytest.raises(KeyboardInterrupt):
        pipeline.ingest([corpus], index, fake_settings, Interrupted(after=7), progress=False)
    parts = sorted(store.checkpoint_dir(index).glob("part-*.npz"))
    assert len(parts) == 3
    report = pipeline.ingest([corpus], index, fake_settings.with_overrides(max_tokens=200), KeywordEncoder(),
                             progress=False)
    assert report.resumed == 0 and report.embedded == 120  # chunked for another window: all embedded

    with pytest.raises(KeyboardInterrupt):
        pipeline.ingest([corpus], index, fake_settings, Interrupted(after=7), progress=False, rebuild=True)
    parts = sorted(store.checkpoint_dir(index).glob("part-*.npz"))
    parts[0].write_bytes(b"not a zip file")
    report = pipeline.ingest([corpus], index, fake_settings, KeywordEncoder(), progress=False, rebuild=True)
    assert report.resumed == 0  # --rebuild embeds everything again, checkpoint or not
    with pytest.raises(KeyboardInterrupt):
        pipeline.ingest([corpus], index, fake_settings.with_overrides(max_tokens=200), Interrupted(after=7),
                        progress=False, rebuild=True)
    parts = sorted(store.checkpoint_dir(index).glob("part-*.npz"))
    parts[0].write_bytes(b"not a zip file")
    report = pipeline.ingest([corpus], index, fake_settings.with_overrides(max_tokens=200), KeywordEncoder(),
                             progress=False)
    assert report.resumed == 32  # parts 2 and 3 (16 paragraphs each); the damaged first is embedded again


def test_a_checkpoint_that_cannot_be_written_does_not_stop_the_ingest(corpus, tmp_path, fake_settings, often,
                                                                       monkeypatch):
    index, said = tmp_path / "index", []

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)  # the part's bytes, after its temporary file is opened
    report = pipeline.ingest([corpus], index, fake_settings, KeywordEncoder(), progress=False, log=said.append)
    assert report.paragraphs == 120 and store.load(index).dense.ntotal == 120
    assert sum("could not be saved" in m and "No space left on device" in m for m in said) == 1  # said once
    assert not store.checkpoint_dir(index).exists()  # no part, and no temporary file, left behind


def test_a_checkpoint_without_a_readable_stamp_is_replaced(corpus, tmp_path, fake_settings, often):
    index = tmp_path / "index"
    with pytest.raises(KeyboardInterrupt):
        pipeline.ingest([corpus], index, fake_settings, Interrupted(after=7), progress=False)
    (store.checkpoint_dir(index) / store.CHECKPOINT_STAMP).write_text("", encoding="utf-8")  # cut short
    with pytest.raises(KeyboardInterrupt):  # settings unknown: embedded again, and stamped afresh
        pipeline.ingest([corpus], index, fake_settings, Interrupted(after=7), progress=False)
    assert len(list(store.checkpoint_dir(index).glob("part-*.npz"))) == 3
    report = pipeline.ingest([corpus], index, fake_settings, KeywordEncoder(), progress=False)
    assert report.resumed == 48  # this run's three parts are used


def test_ctrl_c_says_the_index_is_unchanged_and_what_the_next_run_resumes_from(corpus, tmp_path, fake_settings,
                                                                                 often, monkeypatch, capsys):
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT))
    import ingest as ingest_cli

    index = tmp_path / "index"
    with pytest.raises(KeyboardInterrupt):  # a real interrupted ingest leaves its checkpoint
        pipeline.ingest([corpus], index, fake_settings, Interrupted(after=7), progress=False)
    assert store.checkpoint_size(index) == 48

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "ingest", interrupted)  # Ctrl-C during the command's own ingest
    assert ingest_cli.main([str(corpus), "--index", str(index), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "48 embedded paragraph(s) are saved" in err and "Traceback" not in err


class Pooling(KeywordEncoder):
    """The fake encoder with sentence vectors from its paragraph's call, as an ONNX encoder has
    them; a Ctrl-C arrives during its `after`-th call (never with after=0)."""

    def __init__(self, after: int = 0) -> None:
        self.after, self.calls = after, 0

    def encode_spans(self, texts, spans, progress=False):
        self.calls += 1
        if self.after and self.calls >= self.after:
            raise KeyboardInterrupt
        return self.encode(texts), [self.encode([t[a:b] for a, b in s]) for t, s in zip(texts, spans)]


def test_an_interrupted_rebuild_resumes_in_its_own_sentence_vector_mode(corpus, tmp_path, fake_settings, often):
    """An index with separate sentence vectors rebuilt (auto: pooled) and cut short: the same
    command without --rebuild, as the interruption message says, resumes pooled, not separate."""
    index = tmp_path / "index"
    pipeline.ingest([corpus], index, fake_settings.with_overrides(sentence_vectors="separate"), Pooling(),
                    progress=False)
    assert store.read_manifest(index)["settings"]["sentence_vectors"] == "separate"
    with pytest.raises(KeyboardInterrupt):
        pipeline.ingest([corpus], index, fake_settings, Pooling(after=3), progress=False, rebuild=True)
    assert store.checkpoint_stamp(index)["sentence_vectors"] == "pooled"
    report = pipeline.ingest([corpus], index, fake_settings, Pooling(), progress=False)
    assert report.resumed == 32 and report.embedded == 120 - 32
    assert store.read_manifest(index)["settings"]["sentence_vectors"] == "pooled"
    # Without a checkpoint, an update keeps the index's way.
    assert pipeline.ingest([corpus], index, fake_settings, Pooling(), progress=False).up_to_date
