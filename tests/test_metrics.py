import math

from eval import metrics


def test_support_matching_folds_white_space_and_case():
    assert metrics.contains_support("The  crew\nlanded safely.", ["the crew landed"])
    assert not metrics.contains_support("The crew landed.", ["the crew flew"])
    assert not metrics.contains_support("anything", [""])


def test_rank_hit_and_reciprocal_rank():
    texts = ["no", "still no", "yes: the answer is here", "yes again, the answer is here"]
    rank = metrics.first_hit_rank(texts, ["the answer is here"])
    assert rank == 3
    assert metrics.hit_at(rank, 1) == 0.0 and metrics.hit_at(rank, 3) == 1.0
    assert metrics.reciprocal_rank(rank) == 1 / 3
    assert metrics.reciprocal_rank(None) == 0.0


def test_squad_answer_normalisation_em_and_f1():
    assert metrics.normalize_answer("The  Eiffel Tower!") == "eiffel tower"
    assert metrics.exact_match("the Eiffel tower", ["Eiffel Tower"]) == 1.0
    # prediction "eiffel tower paris" vs gold "eiffel tower": 2 common; P = 2/3, R = 1, F1 = 0.8
    assert math.isclose(metrics.token_f1("Eiffel Tower, Paris", ["Eiffel Tower"]), 0.8)
    assert metrics.answer_contains("It was seventeen people [1]", ["Seventeen"])
    assert not metrics.answer_contains("It was seventeenth", ["seventeen"])
    # Web text's own punctuation separates words too; its apostrophe is one.
    assert metrics.answer_contains("send them to conduct scientific experiments…. [1]", ["scientific experiments"])
    assert metrics.answer_contains("“astrobiology and space medicine,” he said", ["space medicine"])
    assert metrics.answer_contains("China’s space station", ["China's space station"])
    assert not metrics.answer_contains("space medicines…", ["space medicine"])


def test_percentile_matches_linear_interpolation():
    # positions 0..3 of [10, 20, 30, 40]: p50 at 1.5 -> 25; p95 at 2.85 -> 30 + 0.85*10 = 38.5
    assert metrics.percentile([40, 10, 30, 20], 50) == 25
    assert math.isclose(metrics.percentile([40, 10, 30, 20], 95), 38.5)


def test_score_by_hand():
    gold = [
        {"id": "a", "answers": ["seventeen"], "support": ["attendees was seventeen"]},
        {"id": "b", "answers": ["Italy"], "support": ["including Italy"]},
        {"id": "c", "answers": [], "support": []},
        {"id": "d", "answers": [], "support": []},
    ]
    yes_a = {"text": "The number of attendees was seventeen."}
    yes_b = {"text": "countries including Italy and Brazil"}
    other = {"text": "unrelated"}
    preds = [
        {"id": "a", "abstained": False, "answer": "The number of attendees was seventeen. [1]",
         "short_answer": "seventeen", "citations": [yes_a], "retrieved": [yes_a, other],
         "timings_ms": {"total": 10}},
        {"id": "b", "abstained": False, "answer": "Something else. [1] Italy too. [2]", "short_answer": None,
         "citations": [other, yes_b], "retrieved": [other, other, yes_b], "timings_ms": {"total": 30}},
        {"id": "c", "abstained": True, "answer": "x", "citations": [], "retrieved": [other],
         "timings_ms": {"total": 20}},
        {"id": "d", "abstained": False, "answer": "y", "citations": [other], "retrieved": [other],
         "timings_ms": {"total": 40}, "unsure": True},
    ]
    m = metrics.score(gold, preds)
    assert m["hit@1"] == 0.5  # a at rank 1, b at rank 3
    assert m["hit@5"] == 1.0
    assert math.isclose(m["mrr"], (1 + 1 / 3) / 2)
    assert m["first_citation_hit"] == 0.5
    assert m["citation_precision"] == 0.75  # a: 1/1, b: 1/2
    assert m["answer_contains_gold"] == 1.0
    # Short answers count over every answerable question: b gave none, so it scores 0.
    assert m["short_answer_em"] == 0.5 and m["short_answers_given"] == 1 and m["short_answer_f1_given"] == 1.0
    assert m["abstention_precision"] == 1.0
    assert m["abstention_recall"] == 0.5 and m["false_abstention_rate"] == 0.0
    # d was answered with the "unsure" warning: with c's abstention, both unanswerables are flagged.
    assert m["abstained_or_unsure_unanswerable"] == 1.0 and m["unsure_answerable"] == 0.0
    assert m["latency_p50_ms"] == 25.0


def test_a_hit_on_a_duplicate_copy_counts_once():
    # The near-duplicate copy holds the support; the canonical text does not.
    retrieved = [{"text": "other"}, {"text": "BEIJING -- China welcomes it.",
                                     "also_in_text": ["BEIJING, Feb. 10 (Xinhua) -- China welcomes it."]}]
    assert metrics.first_hit_rank(retrieved, ["Feb. 10 (Xinhua)"]) == 2
    gold = [{"id": "a", "answers": ["Xinhua"], "support": ["Feb. 10 (Xinhua)"]}]
    pred = [{"id": "a", "abstained": False, "answer": "x", "citations": [retrieved[1], retrieved[1]],
             "retrieved": retrieved + [retrieved[1]], "timings_ms": {"total": 1}}]
    m = metrics.score(gold, pred)
    assert m["hit@5"] == 1.0 and m["mrr"] == 0.5 and m["citation_precision"] == 1.0


def test_gold_without_support_counts_for_answers_and_abstention_only():
    from eval.metrics import score

    gold = [{"id": "a", "question": "q", "answers": ["seventeen"], "support": []},
            {"id": "u", "question": "q", "answers": [], "support": []}]
    preds = [{"id": "a", "answer": "The total was seventeen. [1]", "short_answer": "seventeen", "abstained": False,
              "citations": [{"text": "The total was seventeen."}], "retrieved": [{"text": "The total was seventeen."}]},
             {"id": "u", "answer": "The documents do not say.", "abstained": True, "citations": [], "retrieved": []}]
    m = score(gold, preds)
    assert m["answer_contains_gold"] == 1.0 and m["short_answer_em"] == 1.0 and m["abstention_recall"] == 1.0
    assert math.isnan(m["hit@1"]) and math.isnan(m["citation_precision"])  # no support: not measured
