"""python -m eval bench --quick: every system at a really-encoded size and at a synthesised one."""
import json
import subprocess
import sys

import numpy as np

from conftest import ROOT


def test_quick_bench_writes_all_systems_and_a_real_index(tmp_path):
    out, work = tmp_path / "bench", tmp_path / "work"
    proc = subprocess.run([sys.executable, "-m", "eval", "bench", "--quick", "--out", str(out), "--work", str(work)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads((out / "bench.json").read_text())
    assert sorted((r["size"], r["system"]) for r in rows) == sorted(
        (size, system) for size in (100, 300) for system in ("citewise", "sentence-transformers", "llamaindex-default"))
    for r in rows:
        assert "error" not in r, r
        assert r["query_p50_ms"] > 0 and r["query_p95_ms"] >= r["query_p50_ms"], r
        assert r["peak_rss_mb"] > 100 and r["index_mb"] > 0, r
        # Ingest speed is measured only where every paragraph was really encoded.
        assert (r["ingest_pps"] is not None and r["ingest_pps"] > 0) == (r["vectors"] == "encoded"), r
    citewise = {r["size"]: r for r in rows if r["system"] == "citewise"}
    assert citewise[100]["vectors"] == "encoded" and citewise[300]["vectors"] == "synthesised"
    assert all(r["recall_at_10"] >= 0.98 and r["answer_p50_ms"] > 0 for r in citewise.values())
    assert citewise[100]["reingest_embedded"] == 0 and 0 <= citewise[100]["reingest_ratio"] < 1
    # What each system embedded, where it encoded: citewise every word of every paragraph; the
    # llama-index default only what fits the model's window of each 1,024-token chunk.
    share = {r["system"]: r["text_embedded_share"] for r in rows if r["size"] == 100}
    assert share["citewise"] == 1.0 and share["sentence-transformers"] > 0.99
    assert 0 < share["llamaindex-default"] < 0.6, share
    md = (out / "bench.md").read_text()
    assert "## What each system embeds" in md
    assert "| 300 | llamaindex-default | synthesised |" in md and "## citewise against the baselines" in md
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # The synthesised index is a real citewise index: it loads, and its BM25 (built from term ids)
    # scores as store.build_lexical does over the same paragraphs' terms.
    from citewise import store
    from citewise.retrieve import lexical_all
    from citewise.text import terms

    index = store.load(work / "300" / "citewise-index")
    assert len(index.paragraphs) == 300 and index.manifest["synthesised"]
    p = index.paragraphs[17]
    assert [p.text[a:b] for a, b in p.sentences] and all(p.text[a:b].strip() for a, b in p.sentences)
    rebuilt = store.Index(index.manifest, index.paragraphs, index.dense,
                          store.build_lexical([terms(x.text) for x in index.paragraphs]), index.vectors,
                          index.sentence_vectors, index.sentence_offsets)
    q = terms(index.paragraphs[5].text)[:6]
    assert np.allclose(lexical_all(index, q), lexical_all(rebuilt, q), atol=1e-5)
    assert lexical_all(index, q)[5] > 0
