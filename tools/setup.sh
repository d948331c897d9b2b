#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test weft. Idempotent and quiet
# when everything is there already. Sourced by tools/test.sh and tools/demo.sh.
#
# Python: $PYTHON, else python3 (an activated virtual environment's, if any). A Python
# that refuses pip installs as "externally managed" (PEP 668: Debian's and Ubuntu's system
# Python) is not touched: a virtual environment is made in .venv at the top of the checkout
# (reused later) and everything goes there; $PYTHON is exported pointing at it.
# WEFT_BREAK_SYSTEM_PACKAGES=1 installs into the system Python instead (pip's
# --break-system-packages). `tools/setup.sh --print-python` prints the choice and exits.
set -euo pipefail

WEFT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# "1" when pip refuses to install into $1 because it is externally managed.
weft_externally_managed() {
  local out
  if out=$("$1" -m pip install --dry-run --no-deps --no-index --quiet pip 2>&1); then
    echo 0
  elif grep -q "externally-managed-environment" <<<"$out"; then
    echo 1
  else
    echo 0
  fi
}

# Sets PY (and exports PYTHON) to the interpreter weft installs into; WEFT_PY_HOW says why.
weft_choose_python() {
  PY=${PYTHON:-python3}
  WEFT_PY_HOW="as given"
  local venv="$WEFT_ROOT/.venv"
  if [ -z "${PYTHON:-}" ] && [ -x "$venv/bin/python" ]; then
    PY="$venv/bin/python"
    WEFT_PY_HOW="the virtual environment $venv (made earlier)"
  elif [ "$(weft_externally_managed "$PY")" = 1 ]; then
    if [ "${WEFT_BREAK_SYSTEM_PACKAGES:-0}" = 1 ]; then
      export PIP_BREAK_SYSTEM_PACKAGES=1
      WEFT_PY_HOW="the system Python, with --break-system-packages (WEFT_BREAK_SYSTEM_PACKAGES=1)"
    else
      WEFT_PY_HOW="a new virtual environment $venv ($PY is externally managed)"
      [ "${1:-}" = dry ] || weft_make_venv "$PY" "$venv"
      PY="$venv/bin/python"
    fi
  fi
  [ "${1:-}" = dry ] || export PYTHON="$PY"
}

weft_make_venv() {
  if ! "$1" -m venv "$2" 2>/dev/null; then  # Debian keeps venv's ensurepip in python3-venv
    local ver SUDO=""
    ver=$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: apt-get install python3-venv python$ver-venv"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv "python$ver-venv" \
      >/dev/null || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$2"
    "$1" -m venv "$2"
  fi
  echo "setup: made the virtual environment $2 (activate it: source $2/bin/activate)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = --print-python ]; then  # run, not sourced
  weft_choose_python dry
  echo "$PY ($WEFT_PY_HOW)"
  exit 0
fi

debs=(build-essential cmake ninja-build pkg-config libgtest-dev ocl-icd-opencl-dev
      opencl-headers pocl-opencl-icd clinfo libpcre2-dev libicu-dev clang)  # clang: libFuzzer (tools/fuzz.sh)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# nvcc lives outside PATH on some machines; CI fails if the CUDA backend does not build.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

weft_choose_python
echo "setup: Python packages go into $PY: $WEFT_PY_HOW"
pips=(numpy pytest scikit-build-core pyarrow polars pandas faiss-cpu threadpoolctl duckdb tpchgen-cli scikit-learn
      nbclient nbformat ipykernel nbconvert tqdm)
need=()
# nbclient, ipykernel and nbconvert: examples/tour.ipynb runs on a Jupyter kernel in the tests
# tqdm: weft's progress bars (python/weft/progress.py; test_progress.py checks the bar)
for m in numpy pytest scikit_build_core pyarrow polars pandas faiss threadpoolctl duckdb sklearn \
    nbclient nbformat ipykernel nbconvert tqdm; do
  "$PY" -c "import $m" 2>/dev/null || need+=("$m")
done
# tpchgen-cli (the TPC-H data of test_tpch.py and bench/tpch.py) is a program, no module:
# pip puts it in the Python's scripts folder, which is not on PATH in an inactive venv.
"$PY" -c 'import os, shutil, sys, sysconfig
exe = os.path.join(sysconfig.get_path("scripts"), "tpchgen-cli")
sys.exit(0 if shutil.which("tpchgen-cli") or os.access(exe, os.X_OK) else 1)' || need+=(tpchgen-cli)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: pip install ${pips[*]}"
  "$PY" -m pip install -q "${pips[@]}"
fi
# torch, for the tests only (tools/test.sh sets WEFT_SETUP_TORCH=1): DLPack memory identity
# with torch.from_dlpack, format="torch" batches, the DataLoader wrapper with workers and the
# notebook's training loop must run in CI, not skip. PyPI's Linux wheel brings the CUDA
# runtime (about 4 GB installed, minutes to fetch), so the demo does not install it.
if [ "${WEFT_SETUP_TORCH:-0}" = 1 ] && ! "$PY" -c "import torch" 2>/dev/null; then
  echo "setup: pip install torch (for the tests)"
  "$PY" -m pip install -q torch
fi
