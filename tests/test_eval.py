import json
import subprocess
import sys

import pytest

from conftest import ROOT
from eval import squad

TINY_SQUAD = {"data": [{"title": "Comets", "paragraphs": [
    {"context": "Comets are icy bodies. Halley's Comet returns every 76 years. It was seen in 1986.",
     "qas": [{"id": "q1", "question": "How often does Halley's Comet return?", "is_impossible": False,
              "answers": [{"text": "every 76 years", "answer_start": 44},
                          {"text": "76 years", "answer_start": 50}]},
             {"id": "q2", "question": "Who named Halley's Comet?", "is_impossible": True, "answers": []}]}]}]}


def test_squad_conversion_support_is_the_answer_sentence(tmp_path):
    files, gold = squad.convert(TINY_SQUAD)
    assert list(files) == ["Comets.txt"]
    assert gold[0]["answers"] == ["every 76 years", "76 years"]
    assert gold[0]["support"] == ["Halley's Comet returns every 76 years."]
    assert gold[1]["answers"] == [] and gold[1]["support"] == []
    _, kept = squad.convert(TINY_SQUAD, keep_unanswerable=False)
    assert [g["id"] for g in kept] == ["q1"]


def test_sample_gold_is_well_formed():
    rows = list(squad.read_gold(ROOT / "eval" / "gold" / "sample.jsonl"))
    assert len(rows) >= 40 and sum(1 for r in rows if not r["answers"]) >= 8
    texts = [p.read_text() for p in (ROOT / "data" / "sample").glob("*.txt")]
    from eval.metrics import contains_support

    for r in rows:  # every support snippet is really in the corpus
        assert all(any(contains_support(t, [s]) for t in texts) for s in r["support"]), r["id"]


def test_the_fresh_sample_sets_answers_are_in_the_corpus_as_written():
    # Written by helpers who read the articles but not the rules (README, "How good is it").
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "data" / "sample").glob("*.txt")]
    for name in ("sample-fresh.jsonl", "sample-fresh2.jsonl"):
        rows = list(squad.read_gold(ROOT / "eval" / "gold" / name))
        assert len({r["id"] for r in rows}) == len(rows) and sum(1 for r in rows if not r["answers"]) == 10
        for r in rows:  # one form of each answer at least is written so (others may be spelt another way)
            assert not r["answers"] or any(a in t for a in r["answers"] for t in texts), (name, r["id"])


def test_eval_runner_writes_predictions_and_metrics(sample_index, tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [json.loads(line) for line in (ROOT / "eval" / "gold" / "sample.jsonl").open()][:6]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = subprocess.run([sys.executable, "-m", "eval", "--gold", str(gold), "--index", str(sample_index),
                          "--out", str(tmp_path / "pred.jsonl")], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout.strip().splitlines()[-1])
    assert metrics["questions"] == 6 and 0.0 <= metrics["hit@5"] <= 1.0
    preds = [json.loads(line) for line in (tmp_path / "pred.jsonl").open()]
    assert [p["id"] for p in preds] == [r["id"] for r in rows]
    assert all("citations" in p and "retrieved" in p for p in preds)


def test_answer_options_refuse_a_reader_file_they_cannot_use(tmp_path, capsys):
    from citewise.cli import main as cli_main
    from eval.__main__ import main

    gold = str(ROOT / "eval/gold/sample.jsonl")
    for run, argv, message in (
            (main, ["--gold", gold, "--index", str(tmp_path), "--reader", str(tmp_path / "none")], "no such file"),
            (main, ["--gold", gold, "--index", str(tmp_path), "--reader", gold, "--short-answers", "rules"],
             "goes with --short-answers reader"),
            (cli_main, ["ask", "Who?", "--index", str(tmp_path), "--reader", str(tmp_path / "none")], "no such file")):
        with pytest.raises(SystemExit) as exc:
            run(argv)
        assert exc.value.code == 2 and message in capsys.readouterr().err


def test_soft_coverage_finds_a_word_by_its_stem_its_meaning_or_its_prefix():
    import numpy as np

    from eval.abstention_signals import prefix_ratio, soft_coverage

    assert prefix_ratio("direct", "director") == 0.75 and prefix_ratio("moon", "lunar") == 0.0
    unit = np.eye(4)
    vectors = {"moon": unit[0], "lunar": 0.9 * unit[0] + np.sqrt(1 - 0.81) * unit[1], "woman": unit[2],
               "landed": unit[3], "landing": unit[3], "probe": unit[1], "attended": unit[1], "attendees": unit[1]}
    idf = {"moon": 2.0, "woman": 4.0, "land": 1.0, "attend": 1.0}.get
    text = ["probe", "landed", "lunar"]
    found, worst = soft_coverage(["moon", "landing"], text, vectors, lambda t: idf(t, 1.0), 4.0)
    assert found == pytest.approx((2.0 * 0.9 + 1.0 * 1.0) / 3.0)  # "moon" by meaning, "landing" by stem
    assert worst == pytest.approx(2.0 / 4.0 * 0.1)
    found, worst = soft_coverage(["woman", "moon"], text, vectors, lambda t: idf(t, 1.0), 4.0)
    assert found == pytest.approx(2.0 * 0.9 / 6.0) and worst == pytest.approx(1.0)  # "woman" nowhere
    assert soft_coverage(["attended"], ["attendees"], {"attended": unit[2], "attendees": unit[3]},
                         lambda t: 1.0, 1.0)[0] == pytest.approx(prefix_ratio("attended", "attendees"))


def test_cross_fit_scores_each_half_with_the_model_fitted_on_the_other():
    import numpy as np

    from eval.abstention_signals import cross_fit

    rng = np.random.default_rng(0)
    kind = np.array((["answerable"] * 200 + ["held-out"] * 50 + ["outside"] * 50 + ["impossible"] * 50) * 2)
    y = (kind == "answerable").astype(int)
    fold = np.repeat([0, 1], 350)
    noise = rng.normal(size=(700, 1))
    signal = np.where(y == 1, 1.0, -1.0)[:, None] + 0.1 * rng.normal(size=(700, 1))
    good = cross_fit(np.hstack([signal, noise]), y, fold, kind)
    assert good["auc_held_out"] > 0.99 and good["balanced"]["held-out"] == 1.0
    assert 0.0 < good["strict"]["answerable"] <= 0.15  # about the 10% the strict level allows
    assert 0.35 < cross_fit(noise, y, fold, kind)["auc_held_out"] < 0.65  # noise separates nothing


def test_bad_gold_files_and_option_mixes_are_one_line_errors(tmp_path, capsys):
    from citewise.cli import main as cli_main
    from eval.__main__ import main

    gold = str(ROOT / "eval/gold/sample.jsonl")
    for argv, message in ((["--compare", "--llm", "local"], "--llm and --out go without --compare"),
                          (["--top-k", "0"], "--top-k must be at least 1"),
                          (["--model", "m"], "--model go with --llm")):
        with pytest.raises(SystemExit) as exc:
            main(["--gold", gold, "--index", str(tmp_path)] + argv)
        assert exc.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["ask", "Who?", "--index", str(tmp_path), "--base-url", "http://127.0.0.1:9/v1"])
    assert "--base-url go with --llm" in capsys.readouterr().err
    row = '{"id": "a", "question": "Who?", "answers": ["x"], "support": []}\n'
    cases = {"missing.jsonl": None, "empty.jsonl": "", "broken.jsonl": row + "{not json\n",
             "fields.jsonl": '{"id": "a", "question": "Who?"}\n',
             "string.jsonl": '{"id": "a", "question": "Who?", "answers": "Zhou", "support": []}\n',
             "latin1.jsonl": b'{"id": "a", "question": "Caf\xe9?", "answers": [], "support": []}\n'}
    expected = {"missing.jsonl": "No such file", "empty.jsonl": "holds no questions", "broken.jsonl": ":2: not a JSON",
                "fields.jsonl": ":1: gold row lacks ['answers', 'support']",
                "string.jsonl": '"answers" must be a list of strings', "latin1.jsonl": "not UTF-8"}
    for name, content in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        assert main(["--gold", str(path), "--index", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("python -m eval: error: ") and expected[name] in err and "Traceback" not in err
    assert main(["--gold", gold, "--index", str(tmp_path), "--out", str(tmp_path / "no" / "p.jsonl")]) == 1
    assert "no folder" in capsys.readouterr().err
