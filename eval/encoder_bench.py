"""python -m eval.encoder_bench: encoding speed and agreement of the encoders on real paragraphs.

Encodes the SQuAD dev-half paragraphs and their sentences with torch (sentence-transformers, the
default; batch 32), ONNX Runtime fp32 and ONNX Runtime int8, each with and without length
bucketing, and prints texts/s, the ratio to torch measured in the same run, and the mean and min
cosine of each encoder's vectors to torch's. Speed is the best of --rounds rounds, the encoders
interleaved within each round (the machine is shared: a change of load falls on all of them). Also timed: ingest's two passes
(paragraphs, then each sentence on its own) against one pass that pools sentence vectors from the
paragraph's token embeddings (OnnxEncoder.encode_spans).

Retrieval quality is measured by a full evaluation per encoder, not here:
`python -m eval --gold G --corpus C --encoder onnx-int8`.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

import citewise  # noqa: F401  (offline environment first)
from citewise.embed import SentenceTransformerEncoder
from citewise.onnx_encoder import OnnxEncoder
from citewise.chunk import split_paragraphs
from citewise.config import Settings

DEFAULT_SQUAD = Path("/work/shared/datasets/squad2/dev-half.json")


class Unbucketed:
    """The torch encoder fed one batch at a time in input order. sentence-transformers sorts
    whatever it is given by length, so this is how its encode() runs without bucketing."""

    kind = "torch"

    def __init__(self, inner: SentenceTransformerEncoder) -> None:
        self.inner = inner

    def encode(self, texts):
        size = self.inner.batch_size
        return np.vstack([self.inner.encode(texts[i:i + size]) for i in range(0, len(texts), size)])


def squad_texts(path: Path, limit: int | None, count_tokens) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """The paragraphs ingest makes of a SQuAD file's contexts (split to the model's window at
    sentence boundaries, as citewise.chunk does) and each one's sentence spans."""
    data = json.loads(path.read_text(encoding="utf-8"))
    contexts = list(dict.fromkeys(p["context"] for a in data["data"] for p in a["paragraphs"]))
    pieces = [p for c in contexts for p in split_paragraphs("squad", c, Settings().max_tokens, count_tokens)]
    return [p.text for p in pieces][:limit], [list(p.sentences) for p in pieces][:limit]


def interleaved(tasks: dict, rounds: int) -> tuple[dict, dict]:
    """Run every task once per round, the tasks interleaved within a round so that a change in the
    machine's load falls on all of them; ({task: fastest seconds}, {task: its last result})."""
    best: dict = {}
    results: dict = {}
    for _ in range(rounds):
        for key, fn in tasks.items():
            t0 = time.perf_counter()
            results[key] = fn()
            best[key] = min(best.get(key, float("inf")), time.perf_counter() - t0)
    return best, results


def cosines(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    c = (a * b).sum(axis=1)
    return float(c.mean()), float(c.min())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--squad", type=Path, default=DEFAULT_SQUAD, help="SQuAD 2.0 JSON (default: the dev half)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N paragraphs")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--questions", type=int, default=200, help="questions embedded one at a time")
    ap.add_argument("--ingest", type=Path, metavar="CORPUS",
                    help="also time the whole ingest of this folder with each encoder (e.g. the output of "
                         "`python -m eval squad ... --out DIR`: DIR/corpus)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)

    torch_enc = SentenceTransformerEncoder()
    paragraphs, spans = squad_texts(args.squad, args.limit, torch_enc.count_tokens)
    sentences = [p[a:b] for p, s in zip(paragraphs, spans) for a, b in s]
    encoders = {
        "torch": torch_enc, "torch unbucketed": Unbucketed(torch_enc),
        "onnx": OnnxEncoder(kind="onnx"), "onnx unbucketed": OnnxEncoder(kind="onnx", bucketing=False),
        "onnx-int8": OnnxEncoder(kind="onnx-int8"),
        "onnx-int8 unbucketed": OnnxEncoder(kind="onnx-int8", bucketing=False),
    }
    print(f"{len(paragraphs)} paragraphs, {len(sentences)} sentences; warming up (ONNX export if not cached) ...",
          file=sys.stderr)
    for enc in encoders.values():
        enc.encode(paragraphs[:4])
    corpora = {"paragraphs": paragraphs, "sentences": sentences}
    timed, encoded = interleaved({(name, corpus): (lambda enc=enc, texts=texts: enc.encode(texts))
                                  for corpus, texts in corpora.items() for name, enc in encoders.items()}, args.rounds)
    seconds = {name: {corpus: timed[(name, corpus)] for corpus in corpora} for name in encoders}
    vectors = {name: {corpus: encoded[(name, corpus)] for corpus in corpora} for name in encoders}

    rows = []
    for name in encoders:
        row = {"encoder": name}
        for corpus, texts in (("paragraphs", paragraphs), ("sentences", sentences)):
            row[f"{corpus}_per_s"] = len(texts) / seconds[name][corpus]
            row[f"{corpus}_x_torch"] = seconds["torch"][corpus] / seconds[name][corpus]
            row[f"{corpus}_cos_mean"], row[f"{corpus}_cos_min"] = cosines(vectors[name][corpus],
                                                                          vectors["torch"][corpus])
        rows.append(row)

    # A question is embedded alone, at query time.
    data = json.loads(args.squad.read_text(encoding="utf-8"))
    questions = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]][:args.questions]
    for r in rows:
        if "unbucketed" not in r["encoder"]:
            enc = encoders[r["encoder"]]
            times = []
            for q in questions:
                t0 = time.perf_counter()
                enc.encode([q])
                times.append(time.perf_counter() - t0)
            r["question_ms_p50"] = 1000 * float(np.median(times))

    # Ingest embeds each paragraph and then each of its sentences; one pass can pool both.
    tasks = {}
    for name in ("torch", "onnx", "onnx-int8"):
        enc = encoders[name]
        tasks[(name, "two")] = lambda enc=enc: (enc.encode(paragraphs), enc.encode(sentences))
        if hasattr(enc, "encode_spans"):
            tasks[(name, "one")] = lambda enc=enc: enc.encode_spans(paragraphs, spans)
    timed, done = interleaved(tasks, args.rounds)
    passes = []
    for name in ("torch", "onnx", "onnx-int8"):
        entry = {"encoder": name, "two_passes_s": timed[(name, "two")]}
        if (name, "one") in timed:
            entry |= {"one_pass_s": timed[(name, "one")], "x_two_passes": timed[(name, "two")] / timed[(name, "one")]}
            entry["pooled_vs_torch_sentence_cos_mean"], entry["pooled_vs_torch_sentence_cos_min"] = cosines(
                np.vstack(done[(name, "one")][1]), vectors["torch"]["sentences"])
        passes.append(entry)

    # The whole ingest (read, clean, split, embed paragraphs and sentences, BM25, FAISS, save), model
    # loaded beforehand, on a corpus folder: what the encoder buys end to end.
    ingests = []
    if args.ingest:
        import tempfile

        from citewise.pipeline import ingest

        runs = [("torch", "separate"), ("onnx", "separate"), ("onnx-int8", "separate"), ("onnx-int8", "pooled")]
        with tempfile.TemporaryDirectory() as tmp:
            best, reports = interleaved({(kind, sv): (lambda kind=kind, sv=sv: ingest(
                [args.ingest], Path(tmp) / f"{kind}-{sv}", Settings(encoder=kind, sentence_vectors=sv),
                encoders[kind], progress=False, rebuild=True)) for kind, sv in runs}, args.rounds)
        report = reports[runs[0]]
        for kind, sv in runs:
            ingests.append({"encoder": kind, "sentence_vectors": sv, "paragraphs": report.paragraphs,
                            "seconds": best[(kind, sv)], "paragraphs_per_s": report.paragraphs / best[(kind, sv)],
                            "x_torch": best[("torch", "separate")] / best[(kind, sv)]})

    machine = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
               "cpus": os.cpu_count(), "load_average_1_5_15": os.getloadavg(), "python": platform.python_version(),
               **{p: metadata.version(p) for p in ("torch", "onnxruntime", "sentence-transformers")}}
    print(f"| encoder | paragraphs/s | x torch | sentences/s | x torch | cos to torch (paragraphs) mean / min "
          f"| cos to torch (sentences) mean / min | one question, p50 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['encoder']} | {r['paragraphs_per_s']:.1f} | {r['paragraphs_x_torch']:.2f} | "
              f"{r['sentences_per_s']:.1f} | {r['sentences_x_torch']:.2f} | "
              f"{r['paragraphs_cos_mean']:.4f} / {r['paragraphs_cos_min']:.4f} | "
              f"{r['sentences_cos_mean']:.4f} / {r['sentences_cos_min']:.4f} | "
              + (f"{r['question_ms_p50']:.1f} |" if "question_ms_p50" in r else "– |"))
    print()
    print("| encoder | paragraphs + sentences, two passes (s) | one pass, pooled sentences (s) | speed-up "
          "| pooled sentence cos to torch's, mean / min |")
    print("|---|---|---|---|---|")
    for p in passes:
        if "one_pass_s" in p:
            print(f"| {p['encoder']} | {p['two_passes_s']:.1f} | {p['one_pass_s']:.1f} | {p['x_two_passes']:.2f} | "
                  f"{p['pooled_vs_torch_sentence_cos_mean']:.4f} / {p['pooled_vs_torch_sentence_cos_min']:.4f} |")
        else:
            print(f"| {p['encoder']} | {p['two_passes_s']:.1f} | – | – | – |")
    print()
    if ingests:
        print(f"| ingest of {args.ingest} (encoder, sentence vectors) | seconds | paragraphs/s | x torch |")
        print("|---|---|---|---|")
        for r in ingests:
            print(f"| {r['encoder']}, {r['sentence_vectors']} | {r['seconds']:.1f} | {r['paragraphs_per_s']:.1f} | "
                  f"{r['x_torch']:.2f} |")
        print()
    print(f"{len(paragraphs)} paragraphs, {len(sentences)} sentences; best of {args.rounds} rounds; {machine}")
    result = {"paragraphs": len(paragraphs), "sentences": len(sentences), "rounds": args.rounds,
              "encoders": rows, "passes": passes, "ingest": ingests, "machine": machine}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
