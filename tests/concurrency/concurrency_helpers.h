// Shared by the concurrency tests (tests/concurrency/): threads started together, failures
// gathered as text and checked on the test's own thread, and a round count that a
// ThreadSanitizer build (ctest -L concurrency under -DWEFT_SANITIZE=thread) or a longer local
// run (WEFT_CONCURRENCY_ROUNDS) can change.
#pragma once
#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace cc {

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#else
constexpr bool kThreadSanitizer = false;
#endif

// Rounds each thread runs: `normal`, a quarter of it under TSan (every access is checked,
// about 10x slower), or WEFT_CONCURRENCY_ROUNDS times `normal` / 10 for a longer run.
inline int rounds(int normal) {
  if (const char *env = std::getenv("WEFT_CONCURRENCY_ROUNDS"))
    if (std::atoi(env) > 0) return std::max(1, normal * std::atoi(env) / 10);
  return kThreadSanitizer ? std::max(1, normal / 4) : normal;
}

// What the threads found wrong, in the order found; checked on the test's thread.
class Failures {
 public:
  void add(const std::string &what) {
    std::lock_guard<std::mutex> g(m_);
    if (list_.size() < 20) list_.push_back(what);
    count_++;
  }
  bool check(bool ok, const std::string &what) {
    if (!ok) add(what);
    return ok;
  }
  bool ok(weft_status st, const std::string &what) {
    return check(st == WEFT_OK, what + ": " + weft_status_name(st) + ": " + weft_last_error());
  }
  std::string text() const {
    std::string s = std::to_string(count_) + " failures";
    for (auto &f : list_) s += "\n  " + f;
    return s;
  }
  size_t count() const { return count_; }

 private:
  std::mutex m_;
  std::vector<std::string> list_;
  size_t count_ = 0;
};

// Runs fn(0..n-1) on n threads released at once (a start barrier), and joins them.
inline void run_threads(int n, const std::function<void(int)> &fn) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; t++)
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();
      fn(t);
    });
  for (auto &th : threads) th.join();
}

}  // namespace cc
