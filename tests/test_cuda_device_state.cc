// The CUDA backend's per-device bookkeeping (cuda/cuda_device_state.cc, compiled in: plain
// C++ with no CUDA call), so the logic that keeps one failing GPU from disabling the others,
// initialises each device only on its first use, caps its memory and reads the test switches
// runs on machines without a GPU.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cuda_device_state.h"

namespace {

struct FakeDevices {
  std::vector<int> fail;             // devices whose init fails
  std::atomic<int> calls[4] = {};    // init runs per device
  wc_gate gates[4];
};

weft_status fake_init(int dev, void *ctx, char *why, size_t cap) {
  auto *f = static_cast<FakeDevices *>(ctx);
  f->calls[dev]++;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let other threads pile up
  for (int d : f->fail)
    if (d == dev) {
      snprintf(why, cap, "cuda: self-test 'axpy f32' failed on device %d", dev);
      return WEFT_ERR_DEVICE;
    }
  return WEFT_OK;
}

}  // namespace

TEST(CudaDeviceGate, EachDeviceIsInitialisedOnceOnItsFirstUseOnly) {
  FakeDevices f;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] { EXPECT_EQ(wc_gate_open(&f.gates[1], 1, fake_init, &f, nullptr), WEFT_OK); });
  for (auto &t : threads) t.join();
  EXPECT_EQ(f.calls[1].load(), 1);
  // devices never used are never initialised (no context on them)
  EXPECT_EQ(f.calls[0].load(), 0);
  EXPECT_FALSE(wc_gate_touched(&f.gates[0]));
  EXPECT_TRUE(wc_gate_touched(&f.gates[1]));
  EXPECT_EQ(wc_gate_open(&f.gates[1], 1, fake_init, &f, nullptr), WEFT_OK);
  EXPECT_EQ(f.calls[1].load(), 1);
}

TEST(CudaDeviceGate, AFailingDeviceStaysOffWithItsReasonAndTheOthersWork) {
  FakeDevices f;
  f.fail = {1};
  const char *why = nullptr;
  EXPECT_EQ(wc_gate_open(&f.gates[0], 0, fake_init, &f, &why), WEFT_OK);
  EXPECT_EQ(wc_gate_open(&f.gates[1], 1, fake_init, &f, &why), WEFT_ERR_DEVICE);
  ASSERT_NE(why, nullptr);
  EXPECT_STREQ(why, "cuda: self-test 'axpy f32' failed on device 1");
  EXPECT_EQ(wc_gate_open(&f.gates[2], 2, fake_init, &f, &why), WEFT_OK);
  // not retried: the reason stays, and device 0 and 2 keep working
  why = nullptr;
  EXPECT_EQ(wc_gate_open(&f.gates[1], 1, fake_init, &f, &why), WEFT_ERR_DEVICE);
  EXPECT_NE(why, nullptr);
  EXPECT_EQ(f.calls[1].load(), 1);
  EXPECT_EQ(wc_gate_open(&f.gates[0], 0, fake_init, &f, nullptr), WEFT_OK);
  EXPECT_EQ(wc_gate_open(&f.gates[2], 2, fake_init, &f, nullptr), WEFT_OK);
}

namespace {
struct Reentrant {
  wc_gate gate;
  weft_status inner = WEFT_ERR_INTERNAL;
};
weft_status reentrant_init(int dev, void *ctx, char *, size_t) {
  auto *r = static_cast<Reentrant *>(ctx);
  // the self-test calls the backend's entry points, which open the same gate
  r->inner = wc_gate_open(&r->gate, dev, reentrant_init, ctx, nullptr);
  return WEFT_OK;
}
}  // namespace

TEST(CudaDeviceGate, TheInitsOwnCallsSeeTheDeviceReady) {
  Reentrant r;
  EXPECT_EQ(wc_gate_open(&r.gate, 0, reentrant_init, &r, nullptr), WEFT_OK);
  EXPECT_EQ(r.inner, WEFT_OK);
}

TEST(CudaDeviceGate, ADeviceFoundBrokenAtDiscoveryIsOffWithoutInit) {
  FakeDevices f;
  wc_gate_fail(&f.gates[3], WEFT_ERR_DEVICE, "cuda: cudaGetDeviceProperties failed on device 3");
  const char *why = nullptr;
  EXPECT_EQ(wc_gate_open(&f.gates[3], 3, fake_init, &f, &why), WEFT_ERR_DEVICE);
  EXPECT_STREQ(why, "cuda: cudaGetDeviceProperties failed on device 3");
  EXPECT_EQ(f.calls[3].load(), 0);
}

TEST(CudaMemoryCap, FreeMemoryLessMaxOf256MiBAnd5Percent) {
  const uint64_t MiB = 1ull << 20, GiB = 1ull << 30;
  EXPECT_EQ(wc_memory_headroom(80 * GiB), 4 * GiB);
  EXPECT_EQ(wc_memory_headroom(2 * GiB), 256 * MiB);
  EXPECT_EQ(wc_memory_cap(70 * GiB, 80 * GiB), 66 * GiB);
  EXPECT_EQ(wc_memory_cap(2 * GiB, 2 * GiB), 2 * GiB - 256 * MiB);
  EXPECT_EQ(wc_memory_cap(100 * MiB, 2 * GiB), 0u);  // less free than the headroom
  EXPECT_EQ(wc_memory_cap(0, 0), 0u);
  EXPECT_EQ(wc_memory_cap(90 * GiB, 80 * GiB), 76 * GiB);  // free is never more than total
}

TEST(CudaEnvSwitches, FailDeviceListsDevices) {
  EXPECT_FALSE(wc_env_lists_device(nullptr, 0));
  EXPECT_FALSE(wc_env_lists_device("", 0));
  EXPECT_TRUE(wc_env_lists_device("1", 1));
  EXPECT_FALSE(wc_env_lists_device("1", 0));
  EXPECT_FALSE(wc_env_lists_device("10", 1));
  EXPECT_TRUE(wc_env_lists_device("0,2", 2));
  EXPECT_FALSE(wc_env_lists_device("0,2", 1));
  EXPECT_TRUE(wc_env_lists_device(" 3 , 1", 1));
  EXPECT_TRUE(wc_env_lists_device("x,1", 1));
  EXPECT_FALSE(wc_env_lists_device("1x", 1));
  EXPECT_TRUE(wc_env_lists_device("all", 5));
  EXPECT_TRUE(wc_env_lists_device("ALL", 0));
}

TEST(CudaEnvSwitches, OnValues) {
  for (const char *on : {"1", "true", "TRUE", "yes", "on"}) EXPECT_TRUE(wc_env_on(on)) << on;
  for (const char *off : {"0", "", "false", "no", "2"}) EXPECT_FALSE(wc_env_on(off)) << off;
  EXPECT_FALSE(wc_env_on(nullptr));
}

TEST(CudaKnnGemm, CublasUnlessPortableIsAskedForOrCublasFails) {
  EXPECT_EQ(wc_gemm_choice(nullptr, true), WC_GEMM_CUBLAS);
  EXPECT_EQ(wc_gemm_choice("", true), WC_GEMM_CUBLAS);
  EXPECT_EQ(wc_gemm_choice("cublas", true), WC_GEMM_CUBLAS);
  EXPECT_EQ(wc_gemm_choice("portable", true), WC_GEMM_PORTABLE);
  EXPECT_EQ(wc_gemm_choice("PORTABLE", true), WC_GEMM_PORTABLE);
  // no cuBLAS on the device (library or handle failed): the portable kernel serves
  EXPECT_EQ(wc_gemm_choice(nullptr, false), WC_GEMM_PORTABLE);
  EXPECT_EQ(wc_gemm_choice("cublas", false), WC_GEMM_PORTABLE);
  EXPECT_STREQ(wc_gemm_name(WC_GEMM_CUBLAS), "cuBLAS SGEMM");
  EXPECT_STREQ(wc_gemm_name(WC_GEMM_PORTABLE), "weft_knn_gemm (portable)");
}

TEST(CudaKnnGemm, TheReportNamesTheGemmAndWhy) {
  char note[512];
  EXPECT_STREQ(wc_knn_note_text(note, sizeof note, nullptr, true, ""),
               "k-NN inner products: cuBLAS SGEMM (CUBLAS_DEFAULT_MATH, no TF32)");
  std::string off = wc_knn_note_text(note, sizeof note, nullptr, false,
                                     "cuda: cuBLAS is not available for device 0 (X): not loaded");
  EXPECT_EQ(off, "k-NN inner products: weft_knn_gemm (portable), cuBLAS is off on this device: "
                 "cuda: cuBLAS is not available for device 0 (X): not loaded");
  std::string asked = wc_knn_note_text(note, sizeof note, "portable", true, "");
  EXPECT_NE(asked.find("weft_knn_gemm (portable), asked for by WEFT_CUDA_KNN_GEMM=portable"),
            std::string::npos) << asked;
  char tiny[8];
  EXPECT_EQ(strlen(wc_knn_note_text(tiny, sizeof tiny, nullptr, true, "")), 7u);
}
