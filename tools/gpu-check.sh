#!/usr/bin/env bash
# The first run of weft on a lent GPU machine (an H100 / H200, ~15 minutes of device time in
# all): one command, under 8 minutes, that leaves OUTDIR/summary.txt and one log per step.
#
#   tools/gpu-check.sh OUTDIR              # on the GPU machine
#   tools/gpu-check.sh OUTDIR --dry-run    # anywhere: what needs no GPU (CI runs this)
#
# Needs nvcc, cmake, ninja and python3 with numpy (torch, pyarrow, pandas, pytest where there);
# no apt, no pip, no network: GoogleTest comes from third_party/googletest. Steps (each
# limited with `timeout`; a failed step is recorded and the next one runs):
#   devices      weft.devices() and weft.backends(): a GPU listed once (cuda:N), not as opencl too
#   build        weft for the GPU found (nvidia-smi compute_cap -> CMAKE_CUDA_ARCHITECTURES,
#                default 90) with the tests, GoogleTest vendored
#   ctest-cuda   every test on CUDA: the backend's kernels against host references
#                (tests/test_backend_kernels.cc, test_csv_kernels.cc, test_sort_pairs.cc:
#                ".../cuda"), the library's device tests (".../cuda_0"), cuBLAS's loader,
#                the lazy opening of the backends
#   sync-check   the kernel checks and the library's cuda:0 tests with WEFT_CUDA_SYNC_CHECK=1
#                (synchronize and check after every launch), one process a test binary
#   memcheck     the kernel checks under compute-sanitizer --tool memcheck (when it exists)
#   knn          bench/knn.py on cuda, 1M x 128 base, 100k queries, k 10 and 100, beside torch
#                (matmul + topk on the GPU, and cuBLAS sgemm's rate alone)
#   frames       bench/frames.py with device="cuda"
#   tpch         bench/tpch.py at SF1, when it exists
#   pytest-cuda  the Python suite's CUDA cases
#   ctest-rest   the rest of the GoogleTest suite (the CPU and OpenCL paths on this machine)
# --dry-run builds the same way (CUDA on), runs the kernel checks (OpenCL here; CUDA must be
# reported SKIPPED, never passed), the device de-duplication tests (the matching, and the
# runtime on fake backends), weft.devices(), the vendored GoogleTest,
# the benchmarks' argument parsing and a tiny k-NN run, and writes the summary; exit 0 when
# those pass.
#
# Options: --build-dir DIR (default build/gpu-check; a dry run with an already configured DIR
# only builds it, keeping its configuration: tools/test.sh passes its own), --budget SECONDS
# (default 450 on a GPU, 3600 for a dry run: steps that would start past it are skipped, each
# step's limit is cut to what is left), --jobs N (default: every CPU).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
OUT="" DRY=0 BUILD="" BUDGET="" JOBS=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --build-dir) BUILD=${2:?--build-dir needs a directory}; shift ;;
    --build-dir=*) BUILD=${1#*=} ;;
    --budget) BUDGET=${2:?--budget needs seconds}; shift ;;
    --budget=*) BUDGET=${1#*=} ;;
    --jobs) JOBS=${2:?--jobs needs a number}; shift ;;
    --jobs=*) JOBS=${1#*=} ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "gpu-check: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) if [ -z "$OUT" ]; then OUT=$1; else echo "gpu-check: one OUTDIR only ($OUT, $1)" >&2; exit 2; fi ;;
  esac
  shift
done
[ -n "$OUT" ] || { usage >&2; exit 2; }
# the GPU run must end within the 8 minutes; a dry run on a small CI machine may build slowly
[ -n "$BUDGET" ] || { [ $DRY -eq 1 ] && BUDGET=3600 || BUDGET=450; }
BUILD_LIMIT=$([ $DRY -eq 1 ] && echo 3000 || echo 330)
case "$BUDGET$JOBS" in *[!0-9]*) echo "gpu-check: --budget and --jobs take whole numbers" >&2; exit 2 ;; esac
BUILD=${BUILD:-build/gpu-check}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)
SUMMARY="$OUT/summary.txt"
PY=${PYTHON:-python3}
START=$SECONDS
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

# ---- the summary: one line a step, then the key figures ----
declare -a LINES FIGURES
NPASS=0 NFAIL=0 NSKIP=0 FAILED_REQUIRED=0
record() {  # name result seconds note
  LINES+=("$(printf '%-14s %-8s %5ss  %s' "$1" "$2" "$3" "$4")")
  case "$2" in PASS) NPASS=$((NPASS + 1)) ;; SKIP) NSKIP=$((NSKIP + 1)) ;; *) NFAIL=$((NFAIL + 1)) ;; esac
  echo "gpu-check: $1: $2 ($3 s) $4"
}
skip() { record "$1" SKIP 0 "$2"; }
figure() { FIGURES+=("$1"); }

# run NAME LIMIT COMMAND: COMMAND (a bash string) under `timeout`, its output in NAME.log.
# Past the budget the step is skipped; its limit is cut to what is left of the budget.
run() {
  local name=$1 limit=$2 cmd=$3 left rc t0 result
  left=$((BUDGET - (SECONDS - START)))
  if [ "$left" -lt 15 ]; then
    skip "$name" "over the ${BUDGET} s budget"
    return 2
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  t0=$SECONDS
  echo "gpu-check: $name (limit ${limit} s) ..."
  { echo "\$ $cmd"; echo; } >"$OUT/$name.log"
  timeout --kill-after=15 "$limit" bash -c "$cmd" >>"$OUT/$name.log" 2>&1
  rc=$?
  case $rc in
    0) result=PASS ;;
    124|137) result=TIMEOUT ;;
    *) result=FAIL ;;
  esac
  record "$name" "$result" $((SECONDS - t0)) "$name.log$([ $rc -ne 0 ] && echo ", exit $rc")"
  return $rc
}

# gtest's own counts from a log: "N passed, M skipped, K failed"
gtest_counts() {
  local p s f
  # the lines a test prints as it ends (with its time), not the lists at the end
  p=$(grep -cE '^\[       OK \] .* \([0-9]+ ms\)$' "$1" 2>/dev/null)
  s=$(grep -cE '^\[  SKIPPED \] .* \([0-9]+ ms\)$' "$1" 2>/dev/null)
  f=$(grep -cE '^\[  FAILED  \] .* \([0-9]+ ms\)$' "$1" 2>/dev/null)
  echo "${p:-0} passed, ${s:-0} skipped, ${f:-0} failed"
}
ctest_line() { grep -E 'tests passed|tests failed' "$1" | tail -1; }

# ---- the machine ----
CARD="none" ARCH=90
if [ $DRY -eq 0 ]; then
  if command -v nvidia-smi >/dev/null; then
    CARD=$(nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
    cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
    case "$cap" in ''|*[!0-9]*) ;; *) ARCH=$cap ;; esac
    [ -n "$CARD" ] || CARD="nvidia-smi lists no GPU"
  else
    CARD="no nvidia-smi"
  fi
fi
{
  echo "== tools"; command -v nvcc && nvcc --version | tail -2; cmake --version | head -1
  ninja --version; "$PY" --version
  for m in numpy torch pyarrow pandas pytest polars duckdb faiss; do
    "$PY" -c "import $m; print('$m', getattr($m, '__version__', '?'))" 2>/dev/null || echo "$m: not importable"
  done
  command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || echo "compute-sanitizer: absent"
  echo "== GPU"; nvidia-smi 2>&1 | head -20 || true
  echo "== OpenCL"; clinfo -l 2>&1 || true
} >"$OUT/machine.log" 2>&1
HAVE_TORCH=0
"$PY" -c "import torch" 2>/dev/null && HAVE_TORCH=1

# ---- build ----
CONFIG="-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=$ARCH -DWEFT_BUILD_CUDA=ON -DWEFT_BUILD_TESTS=ON -DWEFT_VENDORED_GTEST=ON"
if [ $DRY -eq 1 ] && [ -f "$BUILD/CMakeCache.txt" ]; then
  BUILD_NOTE="existing configuration of $BUILD"
  run build $BUILD_LIMIT "cmake --build '$BUILD' -j $JOBS"
else
  BUILD_NOTE="CMAKE_CUDA_ARCHITECTURES=$ARCH, vendored GoogleTest"
  run build $BUILD_LIMIT "cmake -S '$ROOT' -B '$BUILD' $CONFIG && cmake --build '$BUILD' -j $JOBS"
fi
BUILT=$?
grep -q 'WEFT_BUILD_CUDA:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null || { [ $BUILT -eq 0 ] && FAILED_REQUIRED=1 && record cuda-on FAIL 0 "the build has WEFT_BUILD_CUDA off"; }
[ -f "$BUILD/lib/libweft_cuda.so" ] && figure "libweft_cuda.so: $(du -h "$BUILD/lib/libweft_cuda.so" | cut -f1) ($BUILD_NOTE)"
[ $BUILT -ne 0 ] && FAILED_REQUIRED=1
BIN="$BUILD/bin"
LIBENV="WEFT_LIBRARY='$BUILD/lib' PYTHONPATH='$ROOT/python'"
KERNEL_TESTS="weft_backend_kernel_tests weft_csv_kernel_tests weft_sort_pairs_tests"
CUDA_RE='[Cc]uda|CUDA|[Cc]ublas'
# the kernel checks' CUDA cases, but the one that needs cuBLAS absent (its own ctest entry)
export CUDA_ONLY='*/cuda:-*KnnWithoutCublas*'

# what weft lists: one GPU must be listed once (cuda:N), not again as opencl:N
if [ $BUILT -eq 0 ]; then
  run devices 60 "cd '$ROOT' && $LIBENV $PY -c \"
import weft
for d in weft.devices(): print('device', d.id, '|', d.name, '|', d.memory_bytes >> 20, 'MiB')
for b in weft.backends(): print('backend', b.name, '|', 'loaded' if b.loaded else 'not loaded', '|', b.device_count, 'devices |', b.reason)
\"" || FAILED_REQUIRED=1
  while IFS= read -r l; do figure "$l"; done < <(grep -E '^(device|backend) ' "$OUT/devices.log")
else
  skip devices "the build failed"
fi

if [ $DRY -eq 1 ]; then
  # ---- dry run: what needs no GPU ----
  if [ $BUILT -eq 0 ]; then
    # the kernel checks: OpenCL runs them (PoCL), CUDA must say SKIPPED
    run kernel-checks 240 "for t in $KERNEL_TESTS weft_device_dedup_tests; do '$BIN'/\$t || exit 1; done && WEFT_BACKEND_PATH='$BUILD/tests/fake_backends' '$BIN'/weft_same_gpu_tests" \
      || FAILED_REQUIRED=1
    figure "kernel checks here: $(gtest_counts "$OUT/kernel-checks.log")"
    nskip=$(grep -cE '^\[  SKIPPED \] .*/cuda \([0-9]+ ms\)$' "$OUT/kernel-checks.log")
    nok=$(grep -cE '^\[       OK \] .*/cuda \([0-9]+ ms\)$' "$OUT/kernel-checks.log")
    if [ "$nskip" -gt 0 ] || [ "$nok" -gt 0 ]; then
      figure "CUDA kernel checks: $nskip reported SKIPPED (no GPU here), $nok passed"
    else
      record cuda-skipped FAIL 0 "no CUDA case of the kernel checks was run or reported skipped"
      FAILED_REQUIRED=1
    fi
  else
    skip kernel-checks "the build failed"
  fi
  # GoogleTest from third_party/ alone (the GPU machine has no libgtest-dev): the build above
  # when it was configured with it, else a CPU-only tree with it forced, its smallest test
  if grep -q 'WEFT_VENDORED_GTEST:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null && [ $BUILT -eq 0 ]; then
    record vendored-gtest PASS 0 "the build above used third_party/googletest"
  else
    VG="$OUT/vendored-gtest-build"
    run vendored-gtest 900 "cmake -S '$ROOT' -B '$VG' -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_CUDA=OFF -DWEFT_BUILD_OPENCL=OFF -DWEFT_VENDORED_GTEST=ON && grep -q 'GoogleTest from third_party' '$OUT/vendored-gtest.log' && cmake --build '$VG' -j $JOBS --target weft_device_dedup_tests && '$VG/bin/weft_device_dedup_tests'" \
      || FAILED_REQUIRED=1
    rm -rf "$VG"
  fi
  # the scripts the GPU run calls: argument parsing, and a tiny k-NN with the torch engine
  # (skipped with a message where torch is absent)
  run bench-args 120 "cd '$ROOT' && $PY bench/knn.py --help >/dev/null && $PY bench/frames.py --help >/dev/null && $LIBENV $PY bench/knn.py --nb 2000 --nq 64 --k 10 --data uniform --devices cpu:0 --engines weft,torch --repeat 1" \
    || FAILED_REQUIRED=1
  if [ -f "$ROOT/bench/tpch.py" ]; then
    run tpch-args 60 "cd '$ROOT' && $PY bench/tpch.py --help" || FAILED_REQUIRED=1
  else
    skip tpch "bench/tpch.py does not exist yet"
  fi
  skip ctest-cuda "dry run: no GPU"
  skip sync-check "dry run: no GPU"
  skip memcheck "dry run: no GPU"
  skip knn "dry run: no GPU"
  skip frames "dry run: no GPU"
else
  # ---- the GPU run ----
  if [ $BUILT -eq 0 ]; then
    run ctest-cuda 180 "ctest --test-dir '$BUILD' -R '$CUDA_RE' -j 8 --output-on-failure --timeout 120"
    figure "ctest-cuda: $(ctest_line "$OUT/ctest-cuda.log")"
    nskip=$(grep -c '\*\*\*Skipped' "$OUT/ctest-cuda.log")
    [ "$nskip" -gt 0 ] && figure "ctest-cuda: $nskip tests skipped: no CUDA device found? (see ctest-cuda.log)"
    # the kernel checks once more in one process each, gtest's own account
    run kernel-checks 120 "s=0; for t in $KERNEL_TESTS; do '$BIN'/\$t --gtest_filter=\"\$CUDA_ONLY\" || s=1; done; exit \$s"
    figure "kernel checks on cuda: $(gtest_counts "$OUT/kernel-checks.log")"
    # on a GPU machine a skipped CUDA check is a failure: the backend found no device
    nskip=$(grep -cE '^\[  SKIPPED \] .* \([0-9]+ ms\)$' "$OUT/kernel-checks.log")
    if [ "$nskip" -gt 0 ]; then
      record cuda-found FAIL 0 "$nskip kernel checks skipped: $(grep -m1 -A0 'no device\|not built\|cannot load' "$OUT/kernel-checks.log")"
    fi
    # one process a binary (no per-test start-up): the kernel checks and the library's cuda:0 cases
    run sync-check 150 "export WEFT_CUDA_SYNC_CHECK=1; s=0; for t in $KERNEL_TESTS; do '$BIN'/\$t --gtest_filter=\"\$CUDA_ONLY\" || s=1; done; '$BIN'/weft_tests --gtest_filter='*cuda_0*' || s=1; exit \$s"
    figure "sync-check: $(gtest_counts "$OUT/sync-check.log")"
    SAN=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer 2>/dev/null | head -1)
    if [ -n "$SAN" ]; then
      run memcheck 90 "s=0; for t in weft_backend_kernel_tests weft_csv_kernel_tests; do '$SAN' --tool memcheck --error-exitcode 99 --print-limit 20 '$BIN'/\$t --gtest_filter=\"\$CUDA_ONLY\" || s=1; done; exit \$s"
      figure "memcheck: $(grep -h 'ERROR SUMMARY' "$OUT/memcheck.log" | tr '\n' ' ')"
    else
      skip memcheck "compute-sanitizer not found"
    fi
  else
    for s in ctest-cuda kernel-checks sync-check memcheck; do skip $s "the build failed"; done
  fi
  if [ $BUILT -eq 0 ]; then
    ENG="weft"; [ $HAVE_TORCH -eq 1 ] && ENG="weft,torch"
    run knn 150 "cd '$ROOT' && $LIBENV $PY bench/knn.py --nb 1000000 --nq 100000 --k 10,100 --data uniform --devices cuda --engines $ENG --repeat 1"
    grep -E '^\s*(nb|1000000)\b|sgemm|QPS|Problems|^- ' "$OUT/knn.log" | grep -v '^\$' | head -12 | while IFS= read -r l; do echo "knn: $l"; done >"$OUT/.knn-figures"
    while IFS= read -r l; do figure "$l"; done <"$OUT/.knn-figures"; rm -f "$OUT/.knn-figures"
    [ $HAVE_TORCH -eq 1 ] || figure "knn: torch not importable: no torch brute force, no sgemm rate"
    FENG="weft"
    for m in polars duckdb; do "$PY" -c "import $m" 2>/dev/null && FENG="$FENG,$m"; done
    run frames 120 "cd '$ROOT' && $LIBENV $PY bench/frames.py --weft-device cuda --engines $FENG --repeat 1"
    while IFS= read -r l; do figure "frames: $l"; done < <(awk '/^query /,/^$/' "$OUT/frames.log" | sed '/^$/d'; grep -A20 '^Problems' "$OUT/frames.log")
    figure "frames: weft ran on cuda in $(grep -c '\] weft: .*ran on cuda' "$OUT/frames.log") of $(grep -c '\] weft: ' "$OUT/frames.log") queries (the rest: see frames.log)"
    if [ -f "$ROOT/bench/tpch.py" ]; then
      run tpch 120 "cd '$ROOT' && $LIBENV $PY bench/tpch.py --sf 1 --device cuda"
    else
      skip tpch "bench/tpch.py does not exist yet"
    fi
    if "$PY" -c "import pytest" 2>/dev/null; then
      run pytest-cuda 90 "cd '$ROOT' && $LIBENV $PY -m pytest -q -p no:cacheprovider python/tests -k 'cuda or device'"
      [ -f "$OUT/pytest-cuda.log" ] && figure "pytest-cuda: $(tail -1 "$OUT/pytest-cuda.log")"
    else
      skip pytest-cuda "pytest not importable"
    fi
    run ctest-rest 120 "ctest --test-dir '$BUILD' -E '$CUDA_RE' -j $JOBS --output-on-failure --timeout 60"
    [ -f "$OUT/ctest-rest.log" ] && figure "ctest-rest: $(ctest_line "$OUT/ctest-rest.log")"
  else
    for s in knn frames tpch pytest-cuda ctest-rest; do skip $s "the build failed"; done
  fi
fi

# ---- summary ----
{
  echo "weft GPU check$([ $DRY -eq 1 ] && echo ' (dry run: nothing ran on a GPU)'), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' + local changes')"
  echo "card:   $CARD"
  echo "host:   $(nproc) CPUs, $(uname -r); build $BUILD ($BUILD_NOTE)"
  echo
  printf '%-14s %-8s %6s  %s\n' step result time "log / note"
  for l in "${LINES[@]}"; do echo "$l"; done
  echo
  echo "key figures:"
  for f in "${FIGURES[@]+"${FIGURES[@]}"}"; do echo "  $f"; done
  echo
  echo "total: $NPASS passed, $NFAIL failed, $NSKIP skipped in $((SECONDS - START)) s"
} >"$SUMMARY"
cat "$SUMMARY"
if [ $DRY -eq 1 ]; then
  exit $FAILED_REQUIRED
fi
[ $NFAIL -eq 0 ]
