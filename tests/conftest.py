"""Shared fixtures: a keyword fake encoder for unit tests, the real model for end-to-end ones."""
from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import citewise  # noqa: E402,F401  (offline environment)
from citewise.config import SAMPLE_CORPUS, Settings  # noqa: E402

OUTPUT = ROOT / "test-output"


class KeywordEncoder:
    """Predictable vectors: each lower-cased word adds 1 to a hashed dimension, then unit length.
    Two texts are similar exactly as far as they share words, so rankings can be reasoned about."""

    name = "keyword-fake"
    dim = 64

    def encode(self, texts, progress=False):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    def count_tokens(self, text):
        return len(text.split())


class CountingEncoder:
    """Wraps an encoder (the fake or the real one), counting how many texts it was asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.encoded = inner, inner.name, inner.dim, 0
        if hasattr(inner, "kind"):
            self.kind = inner.kind
        if hasattr(inner, "encode_spans"):  # an ONNX encoder pools sentence vectors from one pass
            self.encode_spans = self._encode_spans

    def encode(self, texts, progress=False):
        self.encoded += len(texts)
        return self.inner.encode(texts)

    def _encode_spans(self, texts, spans, progress=False):
        self.encoded += len(texts)
        return self.inner.encode_spans(texts, spans)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


@pytest.fixture
def fake_encoder():
    return KeywordEncoder()


@pytest.fixture
def fake_settings():
    return Settings(model=KeywordEncoder.name)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """The bundled sample corpus indexed with the real bundled model (built once per run)."""
    from citewise.pipeline import ingest

    index = tmp_path_factory.mktemp("sample") / "index"
    ingest([SAMPLE_CORPUS], index, progress=False)
    return index


@pytest.fixture(scope="session")
def searcher(sample_index):
    from citewise.pipeline import Searcher

    return Searcher(sample_index)
