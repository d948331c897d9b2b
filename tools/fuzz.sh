#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, clang, ASan + UBSan, CPU only) into build/fuzz,
# replays every committed corpus once (ctest: the crash inputs found earlier stay fixed),
# then fuzzes each target for SECONDS (default 60) and prints its executions.
#   tools/fuzz.sh [SECONDS] [TARGET...]      targets: csv index arrow expr (default: all)
# New inputs go to build/fuzz/out/<target>/corpus (never into the committed corpus); a crash
# leaves its input there as crash-* and the script exits non-zero. Exit 2: no clang with
# libFuzzer here (tools/setup.sh installs Debian's clang).
# WEFT_FUZZ_SEED=N starts every target from seed N (libFuzzer's -seed; 0 or unset: a new seed
# each run). CI sets one (tools/test.sh), so a CI run explores what the same command explored
# here, and a landing is not decided by a draw: longer runs with fresh seeds find new inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(csv index arrow expr)
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

LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$CC" \
  -DWEFT_FUZZ=ON -DWEFT_BUILD_CUDA=OFF -DWEFT_BUILD_OPENCL=OFF -DWEFT_BUILD_TESTS=OFF \
  "${LAUNCHER[@]}" >/dev/null
cmake --build build/fuzz -j "$(nproc)"

echo "== fuzz: the committed corpora, once each"
ctest --test-dir build/fuzz --output-on-failure

status=0
for t in "${TARGETS[@]}"; do
  run=build/fuzz/out/$t
  mkdir -p "$run/corpus"
  echo "== fuzz_$t for ${SECONDS_EACH}s"
  if "build/fuzz/bin/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=20 -print_final_stats=1 \
       -seed="${WEFT_FUZZ_SEED:-0}" \
       -artifact_prefix="$run/" "$run/corpus" "tests/fuzz/corpus/fuzz_$t" >"$run/log" 2>&1; then
    echo "fuzz_$t: $(grep -m1 '^stat::number_of_executed_units' "$run/log" | awk '{print $2}') executions, no crash"
  else
    status=1
    echo "fuzz_$t: FAILED ($(grep -m1 '^stat::number_of_executed_units' "$run/log" | awk '{print $2}') executions); the report:"
    grep -E "ERROR|runtime error|fuzz check failed|SUMMARY|Test unit written" "$run/log" | head -20
  fi
done
exit $status
