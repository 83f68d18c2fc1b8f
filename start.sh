#!/usr/bin/env bash
# Install citewise into .venv and start the web UI on the bundled sample corpus.
# The first start builds index/ (with a progress bar). Extra arguments go to app.py.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
exec .venv/bin/python app.py "$@"
