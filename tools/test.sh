#!/usr/bin/env bash
# The test command of the README: sets up the machine, builds every library (the CUDA
# backend included), runs the GoogleTest suite on every device found, the GPU check's dry run
# (tools/gpu-check.sh --dry-run), the sanitizer build of the CPU path, the concurrency tests
# under ThreadSanitizer, the fuzz targets
# (tools/fuzz.sh: their corpora replayed, then 40 s each, when clang has libFuzzer), then
# installs the Python package with pip and runs pytest against it, and pytest once more
# against the sanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
WEFT_SETUP_TORCH=1 source tools/setup.sh
PY=${PYTHON:-python3}
JOBS=$(nproc)
# CI builds the CUDA backend for sm_90 only (compile time); a build by hand or a release
# gets cuda/CMakeLists.txt's list of architectures unless WEFT_CUDA_ARCH says otherwise.
if [ "${CI:-}" = "true" ] && [ -z "${WEFT_CUDA_ARCH:-}" ]; then
  WEFT_CUDA_ARCH=90
fi

echo "== build (release, all backends)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  ${WEFT_CUDA_ARCH:+-DCMAKE_CUDA_ARCHITECTURES=$WEFT_CUDA_ARCH} >/dev/null
cmake --build build/release -j "$JOBS"

echo "== devices"
clinfo -l || true

echo "== ctest (every device found; absent ones are reported as skipped)"
ctest --test-dir build/release -j "$JOBS" --output-on-failure

echo "== tools/gpu-check.sh --dry-run (the GPU machine's script, on the release build above)"
# Everything of the GPU check that needs no GPU, so the script cannot rot: the kernel checks
# (OpenCL here, CUDA reported skipped), the vendored GoogleTest, the benchmarks' arguments.
bash tools/gpu-check.sh build/gpu-check-dry-run --dry-run --build-dir build/release --jobs "$JOBS"

echo "== ctest under ASan + UBSan (CPU path)"
cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=ON \
  -DWEFT_BUILD_CUDA=OFF -DWEFT_BUILD_OPENCL=OFF >/dev/null
cmake --build build/sanitize -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/sanitize -j "$JOBS" --output-on-failure

echo "== concurrency tests under ThreadSanitizer (CPU path: libweft and the one test binary)"
# tests/concurrency/ (also run by every ctest above): searches while others add and remove,
# shared tables and plans, the pool, the scratch cache, fork, per-thread errors. A race
# report fails the test (exit code 66). About 4 minutes on 2 cores, the build included.
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=thread \
  -DWEFT_BUILD_CUDA=OFF -DWEFT_BUILD_OPENCL=OFF >/dev/null
cmake --build build/tsan -j "$JOBS" --target weft weft_concurrency_tests
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build/tsan -L concurrency -j "$JOBS" --output-on-failure --timeout 600

echo "== fuzzing (tools/fuzz.sh: the corpora replayed, then 40 s a target; skipped without libFuzzer)"
# Five targets at 40 s plus their build (the OpenCL backend too, and PoCL compiling its
# kernels cold, ~15 s): about 6 minutes on 2 cores. Exit 2: no clang.
# A fixed seed: the same exploration as a local `WEFT_FUZZ_SEED=1 tools/fuzz.sh 40` from an
# empty build/fuzz/out, so a crash it finds is one a developer reproduces before landing.
fuzz_rc=0
WEFT_FUZZ_SEED=${WEFT_FUZZ_SEED:-1} bash tools/fuzz.sh "${WEFT_FUZZ_SECONDS:-40}" || fuzz_rc=$?
if [ "$fuzz_rc" -ne 0 ] && [ "$fuzz_rc" -ne 2 ]; then exit "$fuzz_rc"; fi

echo "== pip install . and pytest"
"$PY" -m pip install -q --no-build-isolation . \
  ${WEFT_CUDA_ARCH:+-Ccmake.define.CMAKE_CUDA_ARCHITECTURES=$WEFT_CUDA_ARCH}
# Run from outside the source tree so the installed package, with its libraries, is tested.
(cd /tmp && WEFT_REQUIRE_TORCH=1 "$PY" -m pytest -q -p no:cacheprovider "$OLDPWD/python/tests")

echo "== pytest against the ASan + UBSan library (CPU path; the RSS tests left out: ASan's allocator changes RSS)"
WEFT_REQUIRE_TORCH=1 ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LD_PRELOAD="$(gcc -print-file-name=libasan.so)" WEFT_LIBRARY="$PWD/build/sanitize/lib" \
  PYTHONPATH="$PWD/python" "$PY" -m pytest -q -s -p no:cacheprovider python/tests -k "not memory and not rss"
