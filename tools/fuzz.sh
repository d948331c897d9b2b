#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, clang, ASan + UBSan) into build/fuzz, replays
# every committed corpus once (ctest: the crash inputs found earlier stay fixed), then fuzzes
# each target for SECONDS (default 60) and prints its executions.
#   tools/fuzz.sh [SECONDS] [TARGET...]  targets: csv index arrow expr frame_devices (default all)
# New inputs go to build/fuzz/out/<target>/corpus (never into the committed corpus); a crash
# leaves its input there as crash-* and the script exits non-zero. Exit 2: no clang with
# libFuzzer here (tools/setup.sh installs Debian's clang).
# frame_devices compares the CPU with the OpenCL device, so the OpenCL backend is built too
# (ASan + coverage as well) where the OpenCL headers and loader are installed. Where an ICD is
# installed (/etc/OpenCL/vendors/*.icd: PoCL in CI) the target must find a device
# (WEFT_FUZZ_REQUIRE_OPENCL=1): a missing one fails the run instead of passing unseen.
# WEFT_FUZZ_SEED=N starts every target from seed N (libFuzzer's -seed; 0 or unset: a new seed
# each run). CI sets one (tools/test.sh), so a CI run explores what the same command explored
# here, and a landing is not decided by a draw: longer runs with fresh seeds find new inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(csv index arrow expr frame_devices)
CC=${WEFT_FUZZ_CC:-clang}

# clang with libFuzzer's runtime: a program with -fsanitize=fuzzer must link.
weft_have_libfuzzer() {
  command -v "$CC" >/dev/null || return 1
  local dir
  dir=$(mktemp -d)
  echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
    >"$dir/t.c"
  "$CC" -fsanitize=fuzzer,address,undefined "$dir/t.c" -o "$dir/t" >/dev/null 2>&1
  local ok=$?
  rm -rf "$dir"
  return $ok
}
if ! weft_have_libfuzzer; then
  echo "fuzz: $CC with libFuzzer (-fsanitize=fuzzer) not found: skipped (apt-get install clang)"
  exit 2
fi

# The OpenCL backend: where its headers and loader are (ocl-icd-opencl-dev, opencl-headers).
OPENCL=OFF
if echo '#include <CL/cl.h>' | "$CC" -E -x c - >/dev/null 2>&1 &&
   { ldconfig -p 2>/dev/null | grep -q 'libOpenCL\.so '; }; then
  OPENCL=ON
fi
ICDS=$(ls /etc/OpenCL/vendors/*.icd 2>/dev/null || true)
if [ -n "$ICDS" ]; then
  export WEFT_FUZZ_REQUIRE_OPENCL=1
  [ "$OPENCL" = ON ] || echo "fuzz: *** an OpenCL ICD is installed ($ICDS) but not the OpenCL" \
    "headers/loader: fuzz_frame_devices will fail (tools/setup.sh installs them)"
else
  echo "fuzz: *** no OpenCL ICD installed: fuzz_frame_devices compares nothing (it says so, exit 0)"
fi
# PoCL and its LLVM are not built with ASan: their own allocations are suppressed, weft's not.
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan_opencl.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$CC" \
  -DWEFT_FUZZ=ON -DWEFT_BUILD_CUDA=OFF -DWEFT_BUILD_OPENCL="$OPENCL" -DWEFT_BUILD_TESTS=OFF \
  "${LAUNCHER[@]}" >/dev/null
cmake --build build/fuzz -j "$(nproc)"

echo "== fuzz: the committed corpora, once each"
ctest --test-dir build/fuzz --output-on-failure

# An input's time limit (libFuzzer's -timeout): 20 s, 60 s for frame_devices. Its inputs run
# three engines (the CPU, then PoCL twice) over tables of up to 70,000 rows under ASan, and
# PoCL's threads share the CI machine's 2 cores with weft's. A CI run once stopped at 24 s on
# one input (not printed then; it is now) where local runs of over 10,000 inputs never passed
# 3 s. A hang still fails, at 60 s.
unit_limit() { if [ "$1" = frame_devices ]; then echo 60; else echo 20; fi; }

status=0
for t in "${TARGETS[@]}"; do
  run=build/fuzz/out/$t
  mkdir -p "$run/corpus"
  echo "== fuzz_$t for ${SECONDS_EACH}s"
  if "build/fuzz/bin/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout="$(unit_limit "$t")" \
       -report_slow_units=5 -print_final_stats=1 \
       -seed="${WEFT_FUZZ_SEED:-0}" \
       -artifact_prefix="$run/" "$run/corpus" "tests/fuzz/corpus/fuzz_$t" >"$run/log" 2>&1; then
    echo "fuzz_$t: $(grep -m1 '^stat::number_of_executed_units' "$run/log" | awk '{print $2}') executions, no crash"
    # where each operation ran (fuzz_frame_devices), or that no device was there
    grep -E '^fuzz_frame_devices: ran on|NO OPENCL DEVICE' "$run/log" | tail -1 || true
    # an input slower than 5 s, as base64: a slow case to look at, though not a failure
    grep -E -A2 '^Slowest unit' "$run/log" | grep -E '^(Slowest|Base64)' | tail -2 || true
  else
    status=1
    echo "fuzz_$t: FAILED ($(grep -m1 '^stat::number_of_executed_units' "$run/log" | awk '{print $2}') executions); the report:"
    # the input itself as base64 (libFuzzer prints it for small ones), so a failure on a CI
    # machine can be replayed here: echo B64 | base64 -d > unit; build/fuzz/bin/fuzz_T unit
    grep -E "ERROR|runtime error|fuzz check failed|SUMMARY|Test unit written|^Base64" "$run/log" | head -20
  fi
done
exit $status
