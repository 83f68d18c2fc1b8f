"""SQuAD 2.0 JSON -> a corpus folder (one .txt per article) + gold.jsonl in citewise's format."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from citewise.text import sentence_spans


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", title).strip("_")[:80] or "article"


def support_sentence(context: str, answer_start: int, answer_text: str) -> str:
    """The sentence(s) of the context that hold the answer span."""
    end = answer_start + len(answer_text)
    spans = sentence_spans(context)
    covering = [(s, e) for s, e in spans if s < end and e > answer_start]
    if not covering:
        return answer_text
    return context[covering[0][0]:covering[-1][1]]


def convert(squad: dict[str, Any], keep_unanswerable: bool = True,
            max_unanswerable: int | None = None) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Return ({file name: article text}, gold rows). Pure."""
    files: dict[str, str] = {}
    gold: list[dict[str, Any]] = []
    unanswerable = 0
    for article in squad["data"]:
        name = f"{_slug(article['title'])}.txt"
        contexts = [" ".join(p["context"].split()) for p in article["paragraphs"]]
        files[name] = "\n\n".join(contexts) + "\n"
        for para in article["paragraphs"]:
            original = para["context"]
            for qa in para["qas"]:
                if qa.get("is_impossible") or not qa["answers"]:
                    if not keep_unanswerable or (max_unanswerable is not None
                                                 and unanswerable >= max_unanswerable):
                        continue
                    unanswerable += 1
                    gold.append({"id": qa["id"], "question": qa["question"], "answers": [],
                                 "support": [], "article": article["title"]})
                    continue
                answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
                first = qa["answers"][0]
                sent = support_sentence(original, first["answer_start"], first["text"])
                gold.append({"id": qa["id"], "question": qa["question"], "answers": answers,
                             "support": [" ".join(sent.split())], "article": article["title"]})
    return files, gold


def write(files: dict[str, str], gold: list[dict[str, Any]], out: Path) -> None:
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    with open(out / "gold.jsonl", "w", encoding="utf-8") as f:
        for row in gold:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_gold(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a gold JSONL file, each checked: ValueError names the file and line of a bad one."""
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not a JSON object ({exc.msg})") from exc
                if not isinstance(row, dict):
                    raise ValueError(f"{path}:{n}: not a JSON object")
                missing = {"id", "question", "answers", "support"} - set(row)
                if missing:
                    raise ValueError(f"{path}:{n}: gold row lacks {sorted(missing)}")
                if not isinstance(row["question"], str) or not row["question"].strip():
                    raise ValueError(f"{path}:{n}: \"question\" must be a non-empty string")
                for key in ("answers", "support"):
                    if not isinstance(row[key], list) or not all(isinstance(x, str) for x in row[key]):
                        raise ValueError(f"{path}:{n}: \"{key}\" must be a list of strings ([] when none)")
                yield row
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from exc