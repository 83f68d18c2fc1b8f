"""Fit the extractive reader's adapters and head (citewise/reader.npz) on SQuAD 2.0 data.

    python -m eval.fit_reader ../shared/datasets/squad2/dev-half.json                  # fit, save
    python -m eval.fit_reader ../shared/datasets/squad2/dev-half.json --holdout 2 --no-save
                                                        # fit on all but 2 articles, F1 on those 2

Answerable questions with their own paragraph train the start/end head (cross-entropy over token
positions, Devlin et al. 2019); unanswerable ones point both at [CLS] (SQuAD 2.0 style), so the
reader also learns a "no answer here" score. Only LoRA adapters (Hu et al. 2021) and the head are
trained; the bundled model's weights stay as they are.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from citewise.reader import MAX_LENGTH, READER_WEIGHTS, Reader, lora_targets, model_path
from eval.metrics import exact_match, token_f1


def examples(squad: dict[str, Any], articles: set[int], impossible: bool) -> list[dict[str, Any]]:
    rows = []
    for i, article in enumerate(squad["data"]):
        if i not in articles:
            continue
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                if qa["answers"]:
                    a = qa["answers"][0]
                    rows.append({"question": qa["question"], "context": para["context"],
                                 "start": a["answer_start"], "end": a["answer_start"] + len(a["text"]),
                                 "answers": [x["text"] for x in qa["answers"]]})
                elif impossible:
                    rows.append({"question": qa["question"], "context": para["context"],
                                 "start": None, "end": None, "answers": []})
    return rows


def features(tokenizer, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Token ids and the answer's token positions (0, 0 = [CLS] for no answer)."""
    out = []
    for r in rows:
        enc = tokenizer(r["question"], r["context"], truncation="only_second", max_length=MAX_LENGTH,
                        return_offsets_mapping=True)
        seq = enc.sequence_ids()
        if r["start"] is None:
            s = e = 0
        else:
            s = e = None
            for t, (a, b) in enumerate(enc["offset_mapping"]):
                if seq[t] != 1:
                    continue
                if s is None and b > r["start"]:
                    s = t
                if a < r["end"]:
                    e = t
            if s is None or e is None or e < s:
                continue  # the answer was cut off by truncation
        out.append({"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"], "start": s, "end": e})
    return out


class LoRA:
    """Adds (alpha/r) B A x to a frozen linear layer's output, through a forward hook."""

    def __init__(self, linear, rank: int, alpha: float):
        import torch

        self.A = torch.nn.Parameter(torch.randn(rank, linear.in_features) / np.sqrt(linear.in_features))
        self.B = torch.nn.Parameter(torch.zeros(linear.out_features, rank))
        self.scale = alpha / rank
        linear.register_forward_hook(lambda mod, inp, out: out + self.scale * (inp[0] @ self.A.T) @ self.B.T)


def batches(feats: list[dict[str, Any]], size: int, rng: random.Random) -> list[list[dict[str, Any]]]:
    """Length-sorted chunks (little padding), in random order."""
    order = sorted(range(len(feats)), key=lambda i: len(feats[i]["input_ids"]) + rng.random())
    chunks = [[feats[i] for i in order[k:k + size]] for k in range(0, len(order), size)]
    rng.shuffle(chunks)
    return chunks


def collate(batch: list[dict[str, Any]]):
    import torch

    n = max(len(f["input_ids"]) for f in batch)
    ids = torch.zeros((len(batch), n), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for k, f in enumerate(batch):
        m = len(f["input_ids"])
        ids[k, :m] = torch.tensor(f["input_ids"])
        types[k, :m] = torch.tensor(f["token_type_ids"])
        mask[k, :m] = 1
    starts = torch.tensor([f["start"] for f in batch])
    ends = torch.tensor([f["end"] for f in batch])
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}, starts, ends


def fit(rows: list[dict[str, Any]], epochs: int, rank: int, alpha: float, lr: float, batch_size: int,
        seed: int, log=print) -> dict[str, np.ndarray]:
    import torch
    from transformers import BertModel, BertTokenizerFast

    torch.manual_seed(seed)
    rng = random.Random(seed)
    path = model_path()
    tokenizer = BertTokenizerFast.from_pretrained(str(path))
    model = BertModel.from_pretrained(str(path), add_pooling_layer=False)
    for p in model.parameters():
        p.requires_grad_(False)
    adapters = {name: LoRA(linear, rank, alpha) for name, linear in lora_targets(model)}
    head = torch.nn.Linear(model.config.hidden_size, 2)
    params = [p for a in adapters.values() for p in (a.A, a.B)] + list(head.parameters())
    feats = features(tokenizer, rows)
    steps = epochs * ((len(feats) + batch_size - 1) // batch_size)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    step, t0 = 0, time.time()
    for epoch in range(epochs):
        total = 0.0
        for batch in batches(feats, batch_size, rng):
            inputs, starts, ends = collate(batch)
            logits = head(model(**inputs).last_hidden_state)
            pad = inputs["attention_mask"] == 0
            s_logits = logits[..., 0].masked_fill(pad, -1e4)
            e_logits = logits[..., 1].masked_fill(pad, -1e4)
            loss = (loss_fn(s_logits, starts) + loss_fn(e_logits, ends)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
            step += 1
        log(f"epoch {epoch + 1}/{epochs}: loss {total / max(1, len(feats) // batch_size):.3f}, "
            f"{time.time() - t0:.0f}s, {len(feats)} examples")
    out = {"head.weight": head.weight.detach().numpy(), "head.bias": head.bias.detach().numpy()}
    for name, a in adapters.items():
        out[f"{name}.A"] = a.A.detach().numpy()
        out[f"{name}.B"] = a.B.detach().numpy()
    return out


def save(weights: dict[str, np.ndarray], meta: dict[str, Any], path: Path) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta)),
                        **{k: v.astype(np.float16) for k, v in weights.items()})
    tmp.replace(path)


def score(reader: Reader, rows: list[dict[str, Any]]) -> dict[str, float]:
    """EM/F1 of the reader given each answerable question's own paragraph."""
    em, f1 = [], []
    for r in rows:
        if not r["answers"]:
            continue
        span = reader.read(r["question"], [r["context"]])[0]
        em.append(exact_match(span.text, r["answers"]))
        f1.append(token_f1(span.text, r["answers"]))
    return {"questions": len(em), "em": float(np.mean(em)), "f1": float(np.mean(f1))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.fit_reader", description=__doc__.split("\n")[0])
    ap.add_argument("squad", type=Path)
    ap.add_argument("--holdout", type=int, default=0, help="keep the last N articles out and report F1 on them")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--no-impossible", action="store_true", help="train on answerable questions only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=READER_WEIGHTS)
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    squad = json.loads(args.squad.read_text(encoding="utf-8"))
    n = len(squad["data"])
    train_ids = set(range(n - args.holdout))
    test_ids = set(range(n - args.holdout, n))
    train = examples(squad, train_ids, impossible=not args.no_impossible)
    meta = {"rank": args.rank, "alpha": args.alpha, "epochs": args.epochs, "lr": args.lr,
            "batch_size": args.batch_size, "seed": args.seed, "impossible": not args.no_impossible,
            "trained_on": f"{args.squad.name}, articles {sorted(train_ids)}", "examples": len(train)}
    print(f"training on {len(train)} questions from {len(train_ids)} article(s)", file=sys.stderr)
    weights = fit(train, args.epochs, args.rank, args.alpha, args.lr, args.batch_size, args.seed,
                  log=lambda m: print(m, file=sys.stderr))
    target = args.out if not args.no_save else Path(f"/tmp/reader-{args.seed}.npz")
    save(weights, meta, target)
    if test_ids:
        result = score(Reader(target), examples(squad, test_ids, impossible=False))
        print(json.dumps({"held_out_articles": sorted(test_ids), **result, **meta}))
    print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
