#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test weft. Idempotent and quiet
# when everything is there already.
set -euo pipefail

debs=(build-essential cmake ninja-build pkg-config libgtest-dev ocl-icd-opencl-dev
      opencl-headers pocl-opencl-icd clinfo)
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

PY=${PYTHON:-python3}
pips=(numpy pytest scikit-build-core pyarrow polars pandas faiss-cpu threadpoolctl)
need=()
for m in numpy pytest scikit_build_core pyarrow polars pandas faiss threadpoolctl; do
  "$PY" -c "import $m" 2>/dev/null || need+=("$m")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: pip install ${pips[*]}"
  "$PY" -m pip install -q "${pips[@]}"
fi
