#!/usr/bin/env bash
# The demo command of the README: sets up the machine, builds and installs the Python
# package, then runs examples/demo.py.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
PY=${PYTHON:-python3}
"$PY" -m pip install -q --no-build-isolation .
(cd /tmp && "$PY" "$OLDPWD/examples/demo.py" "$@")
