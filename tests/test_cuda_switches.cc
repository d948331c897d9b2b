// The CUDA backend's per-device behaviour through the library, on a machine with a CUDA GPU
// (skipped without one, with the reason): a device failing its first use (injected with
// WEFT_CUDA_FAIL_DEVICE) is off with its reason while the others work; without cuBLAS
// (WEFT_CUDA_FAIL_CUBLAS) or when asked (WEFT_CUDA_KNN_GEMM=portable) k-NN runs the portable
// GEMM, giving the CPU's results bit for bit, and the report says which GEMM ran; a device
// never used gets no context; the calling thread's context is given back. The switches are
// read when the backend opens, so each test sets its own before the first call: one process
// a test (ctest), as the lazy-backend tests.
#include <gtest/gtest.h>

#include <cuda.h>  // driver types only: libcuda is opened with dlopen below
#include <dlfcn.h>
#include <stdlib.h>

#include <random>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

struct Results {
  weft_status status = WEFT_OK;
  std::string error, report;
  std::vector<float> distances;
  std::vector<int64_t> labels;
};

// k-NN of 40 queries over 3000 fractional vectors (dim 37: no multiple of any tile), on
// `device`.
Results search(const std::string &device, int strict) {
  const size_t dim = 37, nb = 3000, nq = 40, k = 10;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> base(nb * dim), queries(nq * dim);
  for (float &v : base) v = u(rng);
  for (float &v : queries) v = u(rng);
  weft_index *ix = nullptr;
  EXPECT_EQ(weft_index_create(dim, WEFT_METRIC_L2, &ix), WEFT_OK);
  EXPECT_EQ(weft_index_add(ix, nb, base.data(), nullptr), WEFT_OK);
  Results r;
  r.distances.resize(nq * k);
  r.labels.resize(nq * k);
  TestExec exec(device, strict);
  r.status = weft_index_search(exec.e, ix, nq, queries.data(), k, nullptr, 0, r.distances.data(),
                               r.labels.data());
  if (r.status != WEFT_OK) r.error = weft_last_error();
  r.report = exec.report();
  weft_index_free(ix);
  return r;
}

bool has(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// The driver, for what the tests check from outside the backend (contexts).
struct Driver {
  void *dl = nullptr;
  decltype(&cuInit) init = nullptr;
  decltype(&cuDevicePrimaryCtxGetState) state = nullptr;
  decltype(&cuDevicePrimaryCtxRetain) retain = nullptr;
  decltype(&cuCtxSetCurrent) set_current = nullptr;
  decltype(&cuCtxGetCurrent) get_current = nullptr;
  Driver() {
    dl = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!dl) return;
    init = (decltype(init))dlsym(dl, "cuInit");
    state = (decltype(state))dlsym(dl, "cuDevicePrimaryCtxGetState");
    retain = (decltype(retain))dlsym(dl, "cuDevicePrimaryCtxRetain_v2");
    set_current = (decltype(set_current))dlsym(dl, "cuCtxSetCurrent");
    get_current = (decltype(get_current))dlsym(dl, "cuCtxGetCurrent");
    if (!init || !state || !retain || !set_current || !get_current || init(0) != CUDA_SUCCESS)
      init = nullptr;
  }
  bool ok() const { return init != nullptr; }
  bool has_context(int dev) const {
    unsigned flags = 0;
    int active = 0;
    EXPECT_EQ(state(dev, &flags, &active), CUDA_SUCCESS);
    return active != 0;
  }
};

#define REQUIRE_CUDA(n)                                                                  \
  do {                                                                                   \
    for (int i_ = 0; i_ < (n); ++i_) {                                                   \
      size_t idx_;                                                                       \
      std::string id_ = "cuda:" + std::to_string(i_);                                    \
      WEFT_REQUIRE_DEVICE(id_, idx_);                                                    \
    }                                                                                    \
  } while (0)

}  // namespace

TEST(CudaSwitches, AFailingDeviceIsOffWithItsReasonAndTheOthersWork) {
  setenv("WEFT_CUDA_FAIL_DEVICE", "0", 1);
  REQUIRE_CUDA(1);
  Results cpu = search("cpu", 1);
  ASSERT_EQ(cpu.status, WEFT_OK) << cpu.error;
  Results strict = search("cuda:0", 1);
  EXPECT_NE(strict.status, WEFT_OK);
  EXPECT_TRUE(has(strict.error, "is off since its first use failed")) << strict.error;
  EXPECT_TRUE(has(strict.error, "WEFT_CUDA_FAIL_DEVICE")) << strict.error;
  Results fallback = search("cuda:0", 0);
  ASSERT_EQ(fallback.status, WEFT_OK) << fallback.error;
  EXPECT_TRUE(has(fallback.report, "fell back to cpu")) << fallback.report;
  EXPECT_TRUE(has(fallback.report, "WEFT_CUDA_FAIL_DEVICE")) << fallback.report;
  EXPECT_EQ(fallback.labels, cpu.labels);
  size_t second;
  if (weft_device_find("cuda:1", &second) != WEFT_OK) return;  // one GPU: nothing more to see
  Results other = search("cuda:1", 1);
  EXPECT_EQ(other.status, WEFT_OK) << other.error;
}

TEST(CudaSwitches, WithoutCublasKnnRunsThePortableGemmWithTheCpusResults) {
  setenv("WEFT_CUDA_FAIL_CUBLAS", "1", 1);
  REQUIRE_CUDA(1);
  Results cpu = search("cpu", 1);
  Results gpu = search("cuda:0", 1);
  ASSERT_EQ(gpu.status, WEFT_OK) << gpu.error;
  EXPECT_TRUE(has(gpu.report, "weft_knn_gemm (portable), cuBLAS is off on this device"))
      << gpu.report;
  EXPECT_TRUE(has(gpu.report, "WEFT_CUDA_FAIL_CUBLAS")) << gpu.report;
  EXPECT_EQ(gpu.labels, cpu.labels);
  EXPECT_EQ(gpu.distances, cpu.distances);
}

TEST(CudaSwitches, ThePortableGemmAskedForGivesTheCpusResults) {
  setenv("WEFT_CUDA_KNN_GEMM", "portable", 1);
  REQUIRE_CUDA(1);
  Results cpu = search("cpu", 1);
  Results gpu = search("cuda:0", 1);
  ASSERT_EQ(gpu.status, WEFT_OK) << gpu.error;
  EXPECT_TRUE(has(gpu.report, "asked for by WEFT_CUDA_KNN_GEMM=portable")) << gpu.report;
  EXPECT_EQ(gpu.labels, cpu.labels);
  EXPECT_EQ(gpu.distances, cpu.distances);
}

TEST(CudaSwitches, ByDefaultKnnRunsCublasWithoutTf32AndTheReportSaysSo) {
  REQUIRE_CUDA(1);
  Results gpu = search("cuda:0", 1);
  ASSERT_EQ(gpu.status, WEFT_OK) << gpu.error;
  EXPECT_TRUE(has(gpu.report, "k-NN inner products: cuBLAS SGEMM (CUBLAS_DEFAULT_MATH, no TF32)"))
      << gpu.report;
}

TEST(CudaSwitches, SyncCheckRunsEveryKernelCleanly) {
  setenv("WEFT_CUDA_SYNC_CHECK", "1", 1);
  REQUIRE_CUDA(1);
  Results gpu = search("cuda:0", 1);  // the first use runs the whole self-test too
  EXPECT_EQ(gpu.status, WEFT_OK) << gpu.error;
}

TEST(CudaSwitches, OnlyTheDeviceUsedGetsAContextAndTheCallersContextIsKept) {
  REQUIRE_CUDA(2);
  Driver drv;
  if (!drv.ok()) GTEST_SKIP() << "libcuda.so.1 cannot be opened here";
  ASSERT_FALSE(drv.has_context(0));
  ASSERT_FALSE(drv.has_context(1));
  // the caller works on GPU 1; weft's work on GPU 0 must leave it there
  CUcontext mine = nullptr, after = nullptr;
  ASSERT_EQ(drv.retain(&mine, 1), CUDA_SUCCESS);
  ASSERT_EQ(drv.set_current(mine), CUDA_SUCCESS);
  Results gpu = search("cuda:0", 1);  // one device: runs on this thread
  ASSERT_EQ(gpu.status, WEFT_OK) << gpu.error;
  EXPECT_TRUE(drv.has_context(0));
  ASSERT_EQ(drv.get_current(&after), CUDA_SUCCESS);
  EXPECT_EQ(after, mine);
  for (int dev = 2; dev < 16; ++dev) {  // GPUs weft never used have no context
    size_t idx;
    if (weft_device_find(("cuda:" + std::to_string(dev)).c_str(), &idx) != WEFT_OK) break;
    EXPECT_FALSE(drv.has_context(dev)) << "cuda:" << dev;
  }
}
