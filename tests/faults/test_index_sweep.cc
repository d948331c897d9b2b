// The vector index's operations under the allocation-failure sweep (fault_sweep.h): add,
// search, save and load. A failed add leaves the index as it was.
#include <unistd.h>

#include <cstring>
#include <random>
#include <sstream>

#include "fault_sweep.h"

namespace {

constexpr size_t kDim = 24, kBase = 1001, kBatch = 301, kQueries = 37, kK = 9;

std::vector<float> random_rows(size_t n, std::mt19937_64 &rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(n * kDim);
  for (float &x : v) x = g(rng);
  return v;
}

struct IndexFree {
  void operator()(weft_index *i) const { weft_index_free(i); }
};
using IndexPtr = std::unique_ptr<weft_index, IndexFree>;

class IndexSweep : public ::testing::Test {
 protected:
  std::vector<float> base, batch, queries;
  std::vector<int64_t> batch_ids;
  IndexPtr index;
  weft_exec *exec = nullptr;
  void SetUp() override {
    std::mt19937_64 rng(29);
    base = random_rows(kBase, rng);
    batch = random_rows(kBatch, rng);
    queries = random_rows(kQueries, rng);
    for (size_t i = 0; i < kBatch; i++) batch_ids.push_back(5000 + 3 * (int64_t)i);
    weft_index *ix = nullptr;
    ASSERT_WEFT_OK(weft_index_create(kDim, WEFT_METRIC_L2, &ix));
    index.reset(ix);
    ASSERT_WEFT_OK(weft_index_add(ix, kBase, base.data(), nullptr));
    ASSERT_WEFT_OK(weft_exec_create(&exec));
    ASSERT_WEFT_OK(weft_exec_set_device(exec, "cpu"));
  }
  void TearDown() override { weft_exec_free(exec); }

  // Search results of `ix` as text (ids and distance bits), with the fault off or on.
  weft_status search(weft_index *ix, std::string *ans) {
    std::vector<float> d(kQueries * kK);
    std::vector<int64_t> l(kQueries * kK);
    weft_status st = weft_index_search(exec, ix, kQueries, queries.data(), kK, nullptr, 0,
                                       d.data(), l.data());
    if (st != WEFT_OK) return st;
    std::ostringstream o;
    size_t n = 0;
    weft_test_ok(weft_index_size(ix, &n));
    o << n << ":";
    for (size_t i = 0; i < l.size(); i++) {
      uint32_t bits;
      memcpy(&bits, &d[i], 4);
      o << l[i] << "/" << bits << ",";
    }
    *ans = o.str();
    return WEFT_OK;
  }
  std::string state() {
    weft__fault_alloc_after(-1);
    std::string s;
    EXPECT_EQ(search(index.get(), &s), WEFT_OK) << weft_last_error();
    return s;
  }
  std::function<std::string()> inputs() {
    auto b = base, q = queries, a = batch;
    return [this, b, q, a] {
      return state() + (b == base && q == queries && a == batch ? "" : " rows changed");
    };
  }
};

TEST_F(IndexSweep, CreateAndAdd) {
  fs::Op op;
  op.run = [&](std::string *ans, bool *leaked) {
    weft_index *ix = nullptr;
    weft_status st = weft_index_create(kDim, WEFT_METRIC_COSINE, &ix);
    if (st != WEFT_OK && ix) *leaked = true;
    if (st == WEFT_OK) st = weft_index_add(ix, kBase, base.data(), nullptr);
    if (st == WEFT_OK) st = weft_index_add(ix, kBatch, batch.data(), batch_ids.data());
    if (st == WEFT_OK) st = search(ix, ans);
    weft_index_free(ix);
    return st;
  };
  op.inputs = inputs();
  fs::sweep("index create + add + search", op);
}

TEST_F(IndexSweep, AddToAnIndexLeavesItUnchangedOnError) {
  fs::Op op;
  op.run = [&](std::string *ans, bool *) {
    weft_status st = weft_index_add(index.get(), kBatch, batch.data(), batch_ids.data());
    if (st == WEFT_OK) *ans = "added";
    return st;
  };
  // A fresh index each run: one that grew for an earlier add would not allocate again.
  op.prepare = [&] {
    weft_index *ix = nullptr;
    weft_test_ok(weft_index_create(kDim, WEFT_METRIC_L2, &ix));
    index.reset(ix);
    weft_test_ok(weft_index_add(ix, kBase, base.data(), nullptr));
  };
  op.inputs = inputs();  // after a failed add: the same size and the same search answers
  fs::sweep("index add", op);
}

TEST_F(IndexSweep, Search) {
  for (weft_precision p : {WEFT_PRECISION_FP32, WEFT_PRECISION_BF16, WEFT_PRECISION_INT8}) {
    ASSERT_WEFT_OK(weft_exec_set_precision(exec, p));
    fs::Op op;
    op.run = [&](std::string *ans, bool *) { return search(index.get(), ans); };
    op.inputs = inputs();
    fs::sweep(p == WEFT_PRECISION_FP32   ? "index search fp32"
              : p == WEFT_PRECISION_BF16 ? "index search bf16"
                                         : "index search int8",
              op);
  }
}

TEST_F(IndexSweep, SaveAndLoad) {
  std::string path = std::string(testing::TempDir()) + "faults_index" + std::to_string(getpid());
  fs::Op op;
  op.run = [&](std::string *ans, bool *leaked) {
    weft_status st = weft_index_save(index.get(), path.c_str());
    weft_index *loaded = nullptr;
    if (st == WEFT_OK) st = weft_index_load(path.c_str(), &loaded);
    if (st == WEFT_OK) st = search(loaded, ans);
    else if (loaded) *leaked = true;
    weft_index_free(loaded);
    return st;
  };
  op.inputs = inputs();
  fs::sweep("index save + load", op);
  unlink(path.c_str());
}

}  // namespace

namespace {

// The IVF index: train, add, search, save and load, each allocation failing in turn.
// Every IVF codec (pq with refine too), loaded plainly and mapped: a mapped index's first
// search prepares its lists (norms) and its first add copies them into memory, both of which
// allocate. pq's refine 8 keeps 72 candidates a query, past the scan's heap (ivf_pq_scan.c:
// its selection's buffer is allocated); a failed allocation of pq's terms table
// (ivf_pq_table.c) is no error, the scans make each list's terms, the same answer.
TEST_F(IndexSweep, IvfTrainAddSearchSaveLoad) {
  std::string path = std::string(testing::TempDir()) + "faults_ivf" + std::to_string(getpid());
  enum Kind { kFlat, kSq8, kPqRefine, kPqMapped };
  const char *names[] = {"ivf flat", "ivf sq8", "ivf pq + refine", "ivf pq mapped + add"};
  for (Kind kind : {kFlat, kSq8, kPqRefine, kPqMapped}) {
    fs::Op op;
    op.run = [&](std::string *ans, bool *leaked) {
      weft_ivf *ivf = nullptr, *loaded = nullptr;
      weft_status st =
          kind == kFlat  ? weft_ivf_create(kDim, 16, WEFT_METRIC_L2, WEFT_IVF_FLAT, &ivf)
          : kind == kSq8 ? weft_ivf_create(kDim, 16, WEFT_METRIC_L2, WEFT_IVF_SQ8, &ivf)
                         : weft_ivf_create_pq(kDim, 16, WEFT_METRIC_L2, 6, 5, &ivf);
      if (st != WEFT_OK && ivf) *leaked = true;
      if (st == WEFT_OK && kind == kPqRefine) st = weft_ivf_set_refine(ivf, 8);
      if (st == WEFT_OK) st = weft_ivf_train(ivf, kBase, base.data(), 4, 11);
      if (st == WEFT_OK) st = weft_ivf_add(ivf, kBase, base.data(), nullptr);
      if (st == WEFT_OK && kind != kPqMapped)
        st = weft_ivf_add(ivf, kBatch, batch.data(), batch_ids.data());
      if (st == WEFT_OK) st = weft_ivf_save(ivf, path.c_str());
      if (st == WEFT_OK)
        st = kind == kPqMapped ? weft_ivf_load_mapped(path.c_str(), &loaded)
                               : weft_ivf_load(path.c_str(), &loaded);
      std::ostringstream o;
      auto search_into = [&](weft_ivf *x) {
        std::vector<float> d(kQueries * kK);
        std::vector<int64_t> l(kQueries * kK);
        if (st == WEFT_OK)
          st = weft_ivf_search(exec, x, kQueries, queries.data(), kK, 3, nullptr, 0, d.data(), l.data());
        for (size_t i = 0; st == WEFT_OK && i < l.size(); i++) {
          uint32_t bits;
          memcpy(&bits, &d[i], 4);
          o << l[i] << "/" << bits << ",";
        }
      };
      search_into(ivf);
      search_into(loaded);
      if (kind == kPqMapped) { /* the add copies the mapped lists in: both must then agree */
        if (st == WEFT_OK) st = weft_ivf_add(ivf, kBatch, batch.data(), batch_ids.data());
        if (st == WEFT_OK) st = weft_ivf_add(loaded, kBatch, batch.data(), batch_ids.data());
        o << "|";
        search_into(ivf);
        search_into(loaded);
      }
      if (st == WEFT_OK) *ans = o.str();
      weft_ivf_free(ivf);
      weft_ivf_free(loaded);
      return st;
    };
    op.inputs = inputs();
    fs::sweep(names[kind], op);
  }
  unlink(path.c_str());
}

}  // namespace
