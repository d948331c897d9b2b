// The allocation-failure sweep of tests/faults/: run an operation once counting libweft's
// allocations (K), then again with the Nth one failing for N = 1..K (a stride when K is
// large), and check what a caller may rely on after any failure.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/fault_inject.h"
#include "test_support.h"

namespace fs {

struct Op {
  // Runs the operation; on WEFT_OK writes its answer as text. A result handle left set
  // after an error is itself a failure, so ops report it through `leaked_out`.
  std::function<weft_status(std::string *answer, bool *leaked_out)> run;
  // Text of everything the operation must leave unchanged (its inputs), compared before and
  // after each failed run. May be empty.
  std::function<std::string()> inputs;
  // Called with the fault off before each run and before the inputs are first read (resets
  // a file, rebuilds an index so the run allocates as the counting run did).
  std::function<void()> prepare;
  // Called with the fault off after each successful run (undoes what it changed).
  std::function<void()> undo;
};

struct Sweep {
  long long sites = 0;       // allocations of one run (K)
  long long runs = 0;        // faulted runs
  long long errors = 0;      // runs that returned an error
  long long recovered = 0;   // runs where the failed allocation had a fallback (WEFT_OK)
};

// Faulted runs per operation: K when it is small, else a stride over 1..K, and a wall-clock
// cap so the sanitizer build stays bounded (reported when it cuts a sweep short).
constexpr long long kMaxRuns = 250;
constexpr double kMaxSeconds = 10.0;

inline Sweep sweep(const char *name, const Op &op, double max_seconds = kMaxSeconds) {
  Sweep s;
  auto call = [&](std::string *ans, long long arm) {
    if (op.prepare) op.prepare();
    bool leaked = false;
    weft__fault_alloc_after(arm);
    weft_status st = op.run(ans, &leaked);
    long long count = weft__fault_alloc_count();
    int fired = weft__fault_alloc_fired();
    weft__fault_alloc_after(-1);
    EXPECT_FALSE(leaked) << name << ": a result was left set after " << weft_status_name(st);
    if (st == WEFT_OK && op.undo) op.undo();
    return std::make_tuple(st, count, fired);
  };
  if (op.prepare) op.prepare();
  std::string before = op.inputs ? op.inputs() : "";
  std::string expected;
  auto [st0, k, fired0] = call(&expected, 0);
  EXPECT_EQ(st0, WEFT_OK) << name << ": " << weft_last_error();
  EXPECT_FALSE(fired0);
  EXPECT_GT(k, 0) << name << ": no allocation counted";
  s.sites = k;
  long long stride = k > kMaxRuns ? (k + kMaxRuns - 1) / kMaxRuns : 1;
  // In a fixed shuffled order, so a sweep the time cap cuts short still samples all of 1..K.
  std::vector<long long> order;
  for (long long n = 1; n <= k; n += stride) order.push_back(n);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(0x5eed));
  auto t0 = std::chrono::steady_clock::now();
  for (long long n : order) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (secs > max_seconds) {
      printf("[ sweep    ] %s: stopped after %lld of %zu runs (%.0f s)\n", name, s.runs,
             order.size(), secs);
      break;
    }
    std::string got;
    auto [st, count, fired] = call(&got, n);
    s.runs++;
    (void)count;
    if (st != WEFT_OK) {
      s.errors++;
      EXPECT_TRUE(fired) << name << " N=" << n << ": " << weft_status_name(st)
                         << " with no fault injected: " << weft_last_error();
      const char *msg = weft_last_error();
      EXPECT_TRUE(msg && *msg) << name << " N=" << n << ": an error with no message";
    } else {
      if (fired) s.recovered++;
      EXPECT_EQ(got, expected) << name << " N=" << n << ": a wrong answer after a fallback";
    }
    if (op.inputs) {
      EXPECT_EQ(op.inputs(), before) << name << " N=" << n << ": inputs changed";
    }
    // The next call without the fault gives the right answer.
    std::string again;
    auto [st2, count2, fired2] = call(&again, -1);
    (void)count2;
    (void)fired2;
    EXPECT_EQ(st2, WEFT_OK) << name << " after N=" << n << ": " << weft_last_error();
    EXPECT_EQ(again, expected) << name << " after N=" << n;
    if (::testing::Test::HasFailure()) {
      printf("[ sweep    ] %s: first failure at N = %lld\n", name, n);
      break;
    }
  }
  printf("[ sweep    ] %s: %lld allocation sites, %lld faulted runs (%lld errors, %lld recovered)\n",
         name, s.sites, s.runs, s.errors, s.recovered);
  EXPECT_GT(s.errors, 0) << name << ": no injected fault surfaced as an error";
  return s;
}

}  // namespace fs
