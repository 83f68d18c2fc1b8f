"""Reading files in worker processes gives what reading them here gives, in the same order."""
from __future__ import annotations

import os
import shutil
import sys

import pytest
from conftest import ROOT

from citewise import parse
from citewise.load import discover
from citewise.onnx_encoder import OnnxEncoder
from citewise.pipeline import ingest

needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="reading processes are forked on Linux only")


def _corpus(tmp_path):
    """The sample corpus and the test fixtures' formats, and files that cannot be read or hold nothing."""
    d = tmp_path / "docs"
    shutil.copytree(ROOT / "data" / "sample", d)
    (d / "notes.md").write_text("# Docking\n\nThe crew docked at noon.\n\n## Spacewalk\n\n- first item\n- second item\n",
                                encoding="utf-8")
    (d / "page.html").write_text("<html><body><h1>Launch</h1><p>The rocket lifted off at dawn.</p>"
                                 "<p>Share on Facebook Twitter</p></body></html>", encoding="utf-8")
    (d / "empty.txt").write_text("   \n\n", encoding="utf-8")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (d / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me: the station's canteen serves it daily.".encode("latin-1"))
    return d


@needs_fork
def test_files_read_in_worker_processes_come_back_as_read_here_in_order(tmp_path):
    files, _ = discover([_corpus(tmp_path)])
    enc = OnnxEncoder(kind="onnx-int8")
    here = list(parse.parse_files(files, 254, enc.count_tokens, enc.count_tokens_many, workers=0))
    pooled = list(parse.parse_files(files, 254, enc.count_tokens, enc.count_tokens_many, workers=2))
    assert pooled == here
    assert sum(1 for p in here if p.pieces) >= 5 and any(p.error for p in here)  # both kinds were read
    assert [p.pieces[0].doc for p in pooled if p.pieces] == [f.doc for f, p in zip(files, here) if p.pieces]


@needs_fork
def test_a_reading_process_that_dies_costs_nothing(tmp_path, monkeypatch):
    """A worker killed mid-read (as the kernel kills one for memory): the files it had not
    returned are read here, and the result is the same."""
    files, _ = discover([_corpus(tmp_path)])
    enc = OnnxEncoder(kind="onnx-int8")
    here = list(parse.parse_files(files, 254, enc.count_tokens, enc.count_tokens_many, workers=0))
    parent, real = os.getpid(), parse.read_document
    victim = files[len(files) // 2].path

    def read_document(path):
        if os.getpid() != parent and path == victim:
            os._exit(9)
        return real(path)

    monkeypatch.setattr(parse, "read_document", read_document)  # forked workers inherit it
    said: list[str] = []
    pooled = list(parse.parse_files(files, 254, enc.count_tokens, enc.count_tokens_many, workers=2, log=said.append))
    assert pooled == here
    assert len(said) == 1 and "reading process stopped" in said[0]


def test_a_small_corpus_is_read_here_and_a_large_one_by_every_core(tmp_path):
    files, _ = discover([ROOT / "data" / "sample"])
    assert parse.workers_for(files) == 0  # five files: a pool would cost more than it saves
    big = tmp_path / "big"
    big.mkdir()
    line = "The crew of Shenzhou 20 docked with the Tiangong station after a six-hour flight.\n\n"
    for i in range(parse.POOL_MIN_FILES):
        (big / f"doc{i:03d}.txt").write_text(line * (parse.POOL_MIN_BYTES // len(line) // parse.POOL_MIN_FILES + 1),
                                             encoding="utf-8")
    files, _ = discover([big])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if sys.platform == "linux" and cores >= 2:
        assert parse.workers_for(files) == min(cores, len(files))
    else:
        assert parse.workers_for(files) == 0


@needs_fork
def test_an_index_read_by_worker_processes_is_the_index_read_here(tmp_path, fake_encoder, fake_settings, monkeypatch):
    docs = _corpus(tmp_path)
    ingest([docs], tmp_path / "here", fake_settings, fake_encoder, progress=False)
    monkeypatch.setattr(parse, "POOL_MIN_FILES", 2)
    monkeypatch.setattr(parse, "POOL_MIN_BYTES", 1)
    assert parse.workers_for(discover([docs])[0]) >= 2 or len(os.sched_getaffinity(0)) < 2
    report = ingest([docs], tmp_path / "pooled", fake_settings, fake_encoder, progress=False)
    for name in ("paragraphs.jsonl", "vectors.npy", "sentences.npy"):
        assert (tmp_path / "pooled" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    assert report.skipped and all(s.reason for s in report.skipped)
