"""Identical paragraphs across documents (syndicated stories) -> one canonical + "also in"."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .text import fold
from .types import Paragraph

MIN_WORDS = 5  # shorter repeats ("Read more") are furniture, handled by clean.py


def _key(text: str) -> str:
    return " ".join(fold(text).split())


def collapse(paragraphs: Sequence[Paragraph]) -> tuple[list[Paragraph], dict[str, str]]:
    """Keep the first of each group of paragraphs whose text is the same after Unicode and
    white-space folding; the first lists the others in `also_in`. Returns (kept, {copy id:
    canonical id}). Order is preserved, so results are deterministic."""
    first: dict[str, int] = {}
    kept: list[Paragraph] = []
    copies: dict[str, str] = {}
    for p in paragraphs:
        key = _key(p.text)
        if len(key.split()) >= MIN_WORDS and key in first:
            i = first[key]
            kept[i] = replace(kept[i], also_in=kept[i].also_in + (p.id,))
            copies[p.id] = kept[i].id
            continue
        first.setdefault(key, len(kept))
        kept.append(p)
    return kept, copies
