// What the certified-pass tests (test_knn_bf16.cc, test_knn_int8.cc) share: an index, one
// search's answer and report at a precision on a device, the bit-for-bit comparison, and
// the grid of cases each pass must answer as fp32 does.
#ifndef WEFT_TESTS_KNN_PRECISION_CASES_H
#define WEFT_TESTS_KNN_PRECISION_CASES_H

#include <cstring>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace knn_precision {

struct Index {
  weft_index *ix = nullptr;
  Index(size_t dim, weft_metric m) { EXPECT_EQ(weft_index_create(dim, m, &ix), WEFT_OK); }
  ~Index() { weft_index_free(ix); }
};

struct Answer {
  std::vector<float> d;
  std::vector<int64_t> i;
  std::string report;
};

inline Answer search(weft_index *ix, weft_precision p, const std::vector<float> &q, size_t dim,
                     size_t k, const uint8_t *allowed = nullptr, size_t bits = 0,
                     const std::string &device = "cpu") {
  TestExec ex(device);
  weft_test_ok(weft_exec_set_precision(ex.e, p));
  size_t nq = q.size() / dim;
  Answer a{std::vector<float>(nq * k), std::vector<int64_t>(nq * k), ""};
  weft_test_ok(weft_index_search(ex.e, ix, nq, q.data(), k, allowed, bits, a.d.data(), a.i.data()));
  a.report = ex.report();
  return a;
}

inline bool same_bits(const Answer &a, const Answer &b) {
  return a.i == b.i && std::memcmp(a.d.data(), b.d.data(), a.d.size() * sizeof(float)) == 0;
}

// One case of the grid: the index, its queries, k and the mask (NULL, 0 for none), a label
// for failure messages; grid is false for the one-row index after each metric.
struct Case {
  weft_index *ix;
  const std::vector<float> &q;
  size_t dim, k;
  const uint8_t *allowed;
  size_t bits;
  std::string label;
  bool grid;
};

// Every metric; rows added by copy and borrowed (cosine copies: it normalizes); each k;
// with and without the mask `allow`. Rows and queries come from rows_of(n, dim, rng, metric)
// (the pass's adversarial rows); the first 3 queries are rows of the index, the rest new.
// check(Case) runs once a case; after each metric, also on a one-row index with k = 3.
template <class RowsOf, class Check>
void for_each_case(RowsOf rows_of, std::mt19937_64 &rng, size_t dim, size_t nb, size_t nq,
                   const std::vector<bool> &allow, std::initializer_list<size_t> ks, Check check) {
  auto bits = pack_bits(allow);
  for (weft_metric m : {WEFT_METRIC_L2, WEFT_METRIC_IP, WEFT_METRIC_COSINE}) {
    auto base = rows_of(nb, dim, rng, m);
    std::vector<float> q(base.begin(), base.begin() + 3 * dim);
    auto more = rows_of(nq - 3, dim, rng, m);
    q.insert(q.end(), more.begin(), more.end());
    std::vector<float> lent(base);
    for (int borrowed = 0; borrowed < 2; borrowed++) {
      if (borrowed && m == WEFT_METRIC_COSINE) continue;
      Index ix(dim, m);
      if (borrowed)
        ASSERT_WEFT_OK(weft_index_add_borrowed(ix.ix, nb, lent.data(), nullptr, nullptr));
      else
        ASSERT_WEFT_OK(weft_index_add(ix.ix, nb, base.data(), nullptr));
      for (size_t k : ks)
        for (int masked = 0; masked < 2; masked++) {
          std::ostringstream label;
          label << "metric " << m << " k " << k << " masked " << masked << " borrowed " << borrowed;
          check(Case{ix.ix, q, dim, k, masked ? bits.data() : nullptr, masked ? allow.size() : 0,
                     label.str(), true});
        }
    }
    Index one(dim, m);
    ASSERT_WEFT_OK(weft_index_add(one.ix, 1, base.data(), nullptr));
    check(Case{one.ix, q, dim, 3, nullptr, 0, "one row, metric " + std::to_string((int)m), false});
  }
}

// A device's pass at precision p (named `name` in the report) answers as that device's fp32
// path, bit for bit, and on the grid also as the CPU's fp32 path, and says it ran there
// (CUDA beside cuBLAS scans in fp32 on the device: the re-rank could not match cuBLAS's bits).
inline void expect_the_devices_pass_is_its_fp32(const Case &c, weft_precision p, const char *name,
                                                const std::string &device, bool on_device) {
  auto f = search(c.ix, WEFT_PRECISION_FP32, c.q, c.dim, c.k, c.allowed, c.bits, device);
  auto b = search(c.ix, p, c.q, c.dim, c.k, c.allowed, c.bits, device);
  EXPECT_TRUE(same_bits(f, b)) << c.label;
  if (!c.grid) return;
  auto cpu = search(c.ix, WEFT_PRECISION_FP32, c.q, c.dim, c.k, c.allowed, c.bits);
  EXPECT_TRUE(same_bits(cpu, f)) << c.label;
  EXPECT_NE(b.report.find(std::string("precision ") + name + " (asked"), std::string::npos)
      << b.report;
  bool fp32_there = device.rfind("cuda", 0) == 0 &&
                    b.report.find("cannot run the pass") != std::string::npos;
  if (on_device && !fp32_there) {
    EXPECT_NE(b.report.find("by the device's pass"), std::string::npos) << b.report;
  }
}

}  // namespace knn_precision

#endif
