#!/usr/bin/env bash
# Install citewise and its test dependencies (Python packages into .venv, Debian's chromium for
# the browser tests) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q && $SUDO apt-get install -y -q chromium
fi
exec .venv/bin/python -m pytest "$@"
