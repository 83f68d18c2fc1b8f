"""Duplicate and near-duplicate paragraphs across documents (syndicated stories) -> one canonical
paragraph that lists the other places in `also_in`."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .text import fold
from .types import Paragraph

MIN_WORDS = 5  # shorter repeats ("Read more") are furniture, handled by clean.py
NEAR_THRESHOLD = 0.75  # Jaccard similarity of word 2-shingles above which two paragraphs are one
NUM_PERM = 128


def _key(text: str) -> str:
    return " ".join(fold(text).split())


def _shingles(words: list[str], n: int = 2) -> set[bytes]:
    return {" ".join(words[i:i + n]).encode() for i in range(max(1, len(words) - n + 1))}


def collapse(paragraphs: Sequence[Paragraph], near: bool = True) -> tuple[list[Paragraph], dict[str, str]]:
    """Keep the first of each group of duplicate paragraphs; it lists the others in `also_in`.

    Duplicates are paragraphs equal after Unicode and white-space folding, and, with `near`,
    paragraphs whose word-bigram sets have an estimated Jaccard similarity of at least 0.75
    (MinHash with LSH, Broder 1997, via datasketch), e.g. a syndicated copy with one word
    edited. Returns (kept, {copy id: canonical id}); order is preserved, so it is deterministic.
    """
    lsh = None
    if near:
        from datasketch import MinHash, MinHashLSH

        # LSH tuned to miss few true pairs (weights: false positives 0.1, false negatives 0.9);
        # every candidate is then checked against the threshold.
        lsh = MinHashLSH(threshold=NEAR_THRESHOLD, num_perm=NUM_PERM, weights=(0.1, 0.9))
        # The seed's permutations, drawn once: a MinHash draws them anew each time otherwise.
        base = MinHash(num_perm=NUM_PERM, seed=1)
    signatures: dict[int, object] = {}
    first: dict[str, int] = {}
    kept: list[Paragraph] = []
    copies: dict[str, str] = {}
    for p in paragraphs:
        key = _key(p.text)
        words = key.split()
        target = first.get(key) if len(words) >= MIN_WORDS else None
        signature = None
        if target is None and lsh is not None and len(words) >= MIN_WORDS:
            signature = MinHash(num_perm=NUM_PERM, seed=1, permutations=base.permutations, scheme=base.scheme)
            signature.update_batch(list(_shingles(words)))
            found = [int(i) for i in lsh.query(signature)
                     if signatures[int(i)].jaccard(signature) >= NEAR_THRESHOLD]
            target = min(found) if found else None
        if target is not None:
            kept[target] = replace(kept[target], also_in=kept[target].also_in + (p.id,),
                                   also_in_text=kept[target].also_in_text + (p.text,))
            copies[p.id] = kept[target].id
            continue
        first.setdefault(key, len(kept))
        if signature is not None:
            lsh.insert(str(len(kept)), signature)
            signatures[len(kept)] = signature
        kept.append(p)
    return kept, copies
