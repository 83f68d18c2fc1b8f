import pytest

from citewise.retrieve import fuse, rerank
from citewise.types import Hit, Paragraph


def test_convex_fusion_by_hand():
    dense = {0: 0.8, 1: 0.4}
    lexical = {1: 10.0, 2: 5.0}
    # alpha = 0.5; BM25 is divided by its max (10):
    # row 0: 0.5*0.8 + 0.5*0.0 = 0.40; row 1: 0.5*0.4 + 0.5*1.0 = 0.70; row 2: 0 + 0.5*0.5 = 0.25
    fused = fuse(dense, lexical, 0.5)
    assert [r for r, _ in fused] == [1, 0, 2]
    assert [round(s, 6) for _, s in fused] == [0.70, 0.40, 0.25]


def test_fusion_extremes_reduce_to_one_retriever():
    dense = {0: 0.9, 1: 0.1}
    lexical = {0: 1.0, 1: 3.0}
    assert [r for r, _ in fuse(dense, lexical, 1.0)] == [0, 1]
    assert [r for r, _ in fuse(dense, lexical, 0.0)] == [1, 0]


def test_fusion_ties_break_on_row_and_negative_cosine_counts_as_zero():
    assert fuse({3: 0.5, 1: 0.5}, {}, 1.0) == [(1, 0.5), (3, 0.5)]
    assert fuse({0: -0.3}, {}, 1.0) == [(0, 0.0)]


def test_fusion_rejects_bad_alpha():
    with pytest.raises(ValueError, match="alpha"):
        fuse({}, {}, 1.5)


def _hit(row, score):
    p = Paragraph(id=f"d#{row}", doc="d", ordinal=row, text="t", start=0, end=1, hash="h")
    return Hit(paragraph=p, score=score, row=row)


def test_rerank_by_best_sentence_by_hand():
    hits = [_hit(0, 1.0), _hit(1, 0.5)]
    # gamma = 0.3: row 0: 0.3*1.0 + 0.7*0.2 = 0.44; row 1: 0.3*0.5 + 0.7*0.9 = 0.78
    out = rerank(hits, [0.2, 0.9], gamma=0.3)
    assert [h.row for h in out] == [1, 0]
    assert [round(h.score, 6) for h in out] == [0.78, 0.44]
    assert out[0].fused == 0.5 and out[0].sentence == 0.9
