// The thread pool (host/core/thread_pool.c) and the scratch cache (host/core/scratch.c), both
// compiled in, under contention: many threads running pool jobs at once (one holds the pool,
// the others run alone), jobs that run jobs, a fork while other threads hold the pool (the
// child resets it, pthread_atfork, and runs its jobs on its own thread, through the library's
// pool too); scratch blocks taken, written, checked and given back by many threads while
// another trims the cache, so a block handed to two threads at once shows as a changed pattern.
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "concurrency_helpers.h"

extern "C" {
#include "core/scratch.h"
#include "core/thread_pool.h"
}

namespace {

// A job: the workers claim chunks of [0, n) by an atomic counter and mark each index once.
struct Job {
  size_t n;
  std::vector<std::atomic<uint8_t>> seen;
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> sum{0};
  std::atomic<int> max_workers{0};
  bool nested = false;
  explicit Job(size_t n_) : n(n_), seen(n_) {}
};

void job_fn(void *ctx, int worker, int workers) {
  Job *j = static_cast<Job *>(ctx);
  int seen_workers = j->max_workers.load();
  while (workers > seen_workers && !j->max_workers.compare_exchange_weak(seen_workers, workers)) {}
  (void)worker;
  for (;;) {
    size_t start = j->next.fetch_add(256);
    if (start >= j->n) break;
    size_t end = std::min(j->n, start + 256);
    uint64_t s = 0;
    for (size_t i = start; i < end; i++) {
      j->seen[i].fetch_add(1, std::memory_order_relaxed);
      s += i;
    }
    if (j->nested) {  // a job run from inside a job that holds the pool runs on its caller alone
      Job inner(300);
      weft__pool_run(job_fn, &inner);
      if (inner.sum.load() != 300ull * 299 / 2 || (workers > 1 && inner.max_workers.load() != 1))
        s += 1;  // wrong
    }
    j->sum.fetch_add(s);
  }
}

// Runs one job; "" when every index was claimed once and the sum is right.
std::string run_job(size_t n, bool nested) {
  Job j(n);
  j.nested = nested;
  weft__pool_run(job_fn, &j);
  if (j.sum.load() != (uint64_t)n * (n - 1) / 2) return "sum " + std::to_string(j.sum.load());
  for (size_t i = 0; i < n; i++)
    if (j.seen[i].load() != 1) return "index " + std::to_string(i) + " claimed " + std::to_string(j.seen[i].load()) + " times";
  if (j.max_workers.load() < 1 || j.max_workers.load() > weft__pool_size()) return "workers";
  return "";
}

TEST(PoolThreads, ManyCallersAtOnce) {
  cc::Failures fail;
  const int rounds = cc::rounds(200);
  cc::run_threads(8, [&](int t) {
    for (int r = 0; r < rounds; r++) {
      std::string why = run_job(5000 + (size_t)(t * 131 + r * 17) % 3000, (r + t) % 4 == 0);
      if (!fail.check(why.empty(), "thread " + std::to_string(t) + " round " + std::to_string(r) + ": " + why)) return;
    }
  });
  EXPECT_EQ(fail.count(), 0u) << fail.text();
}

// A forked child (a DataLoader worker) runs jobs, the compiled-in pool's and the library's
// (a sort), while the parent's other threads keep the pool busy across the fork.
TEST(PoolThreads, ForkWhileOtherThreadsHoldThePool) {
  // the library's pool is started before any fork (a child must not start threads)
  std::vector<int64_t> vals(20000);
  for (size_t i = 0; i < vals.size(); i++) vals[i] = (int64_t)((i * 7919) % vals.size());
  weft_column_view v{};
  v.type = WEFT_TYPE_INT64;
  v.length = (int64_t)vals.size();
  v.values = vals.data();
  const char *names[] = {"x"};
  weft_table *t = nullptr;
  ASSERT_WEFT_OK(weft_table_from_columns(1, names, &v, nullptr, nullptr, &t));
  const char *keys[] = {"x"};
  weft_table *sorted = nullptr;
  ASSERT_WEFT_OK(weft_table_sort(nullptr, t, 1, keys, nullptr, &sorted));
  weft_table_free(sorted);
  ASSERT_EQ(run_job(1000, false), "");

  std::atomic<bool> stop{false};
  cc::Failures fail;
  std::vector<std::thread> busy;
  for (int b = 0; b < 3; b++)
    busy.emplace_back([&] {
      while (!stop.load()) fail.check(run_job(20000, false).empty(), "busy thread's job");
    });
  for (int f = 0; f < cc::rounds(8); f++) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      alarm(60);  // a child stuck on a lock inherited from the parent fails, not hangs
      int bad = 0;
      if (weft__pool_size() != 1) bad |= 1;
      if (!run_job(50000, true).empty()) bad |= 2;
      weft_table *out = nullptr;
      if (weft_table_sort(nullptr, t, 1, keys, nullptr, &out) != WEFT_OK) bad |= 4;
      weft_column_view col{};
      if (!bad && weft_table_column(out, 0, &col) == WEFT_OK)
        for (int64_t i = 0; i < col.length; i++)
          if (((const int64_t *)col.values)[i] != i) bad |= 8;
      _exit(bad);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child's failures (bits: pool size, job, sort, order)";
  }
  stop = true;
  for (auto &b : busy) b.join();
  EXPECT_EQ(fail.count(), 0u) << fail.text();
  weft_table_free(t);
}

TEST(ScratchThreads, BlocksAreNeverSharedWhileOthersTrim) {
  setenv("WEFT_SCRATCH_CACHE_MB", "64", 1);
  constexpr size_t MiB = size_t(1) << 20;
  cc::Failures fail;
  std::atomic<bool> stop{false};
  std::thread trimmer([&] {
    while (!stop.load()) {
      weft__scratch_trim();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const int rounds = cc::rounds(300);
  cc::run_threads(6, [&](int t) {
    std::mt19937_64 rng(t);
    for (int r = 0; r < rounds; r++) {
      // sizes around the cache's 1 MiB threshold and its grain, so blocks fit each other
      size_t bytes = (rng() % 2 ? MiB : 0) + rng() % (3 * MiB);
      auto *p = static_cast<unsigned char *>(weft__scratch_alloc(bytes));
      if (!fail.check(p != nullptr, "alloc")) return;
      unsigned char tag = (unsigned char)(t * 31 + r);
      size_t stride = 4096;
      for (size_t i = 0; i < bytes; i += stride) p[i] = tag;
      if (bytes) p[bytes - 1] = tag;
      std::this_thread::yield();
      bool same = true;
      for (size_t i = 0; i < bytes; i += stride) same &= p[i] == tag;
      if (bytes) same &= p[bytes - 1] == tag;
      fail.check(same, "a block changed while its thread held it (size " + std::to_string(bytes) + ")");
      weft__scratch_free(p);
    }
  });
  stop = true;
  trimmer.join();
  weft__scratch_trim();
  EXPECT_EQ(fail.count(), 0u) << fail.text();
}

}  // namespace
