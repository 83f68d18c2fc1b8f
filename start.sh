#!/usr/bin/env bash
# Install citewise into .venv and start the web UI on the bundled sample corpus.
# The first start builds index/ (with a progress bar). Extra arguments go to app.py.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh
exec .venv/bin/python app.py "$@"
