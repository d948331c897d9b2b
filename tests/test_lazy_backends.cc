// The OpenCL and CUDA backends are opened only when something needs a device beyond the
// CPU. Each test needs a process in which nothing has touched the library yet, which
// ctest gives (gtest_discover_tests runs one test a process); run directly, the binary
// runs them in one process and every test after the first skips.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <thread>

#include "test_support.h"

extern "C" {
#include "core/gpu_probe.h"  // compiled in: what "auto" decides from (hidden in libweft.so)
}

namespace {

int tests_run_here = 0;  // tests started in this process

bool mapped(const std::string &lib) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream all;
  all << maps.rdbuf();
  return all.str().find(lib) != std::string::npos;
}

bool any_backend_mapped() { return mapped("libweft_opencl.so") || mapped("libweft_cuda.so"); }

// After the listing: a backend whose library opened stays mapped (even when its init
// failed); one that could not be opened says so.
void expect_mapped_as_listed() {
  size_t n = 0;
  ASSERT_WEFT_OK(weft_backend_count(&n));
  ASSERT_EQ(n, 3u);
  for (size_t i = 1; i < n; i++) {
    weft_backend_info info;
    ASSERT_WEFT_OK(weft_backend_get_info(i, &info));
    bool opened = std::strncmp(info.reason, "cannot load", 11) != 0;
    EXPECT_EQ(mapped("libweft_" + std::string(info.name) + ".so"), opened)
        << info.name << ": " << info.reason;
  }
}

struct Data {
  size_t nb, nq, dim, k;
  std::vector<float> xb, xq;
  Data(size_t nb_, size_t nq_, size_t dim_, size_t k_) : nb(nb_), nq(nq_), dim(dim_), k(k_) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<float> u(0, 1);
    xb.resize(nb * dim);
    xq.resize(nq * dim);
    for (float &v : xb) v = u(rng);
    for (float &v : xq) v = u(rng);
  }
};

// Searches `d` on exec `device`; returns the labels.
std::vector<int64_t> search(const Data &d, weft_exec *exec) {
  weft_index *ix = nullptr;
  std::vector<int64_t> labels(d.nq * d.k);
  std::vector<float> dist(d.nq * d.k);
  EXPECT_EQ(weft_index_create(d.dim, WEFT_METRIC_L2, &ix), WEFT_OK);
  EXPECT_EQ(weft_index_add(ix, d.nb, d.xb.data(), nullptr), WEFT_OK) << weft_last_error();
  EXPECT_EQ(weft_index_search(exec, ix, d.nq, d.xq.data(), d.k, nullptr, 0, dist.data(),
                              labels.data()),
            WEFT_OK)
      << weft_last_error();
  weft_index_free(ix);
  return labels;
}

// The runtime opens the backends, and probes for a GPU, once a process.
#define SKIP_IF_OPENED()                                                                  \
  if (++tests_run_here > 1 || any_backend_mapped())                                       \
  GTEST_SKIP() << "an earlier test ran in this process (ctest runs each test alone)"

// A directory of one OpenCL ICD file naming `library`, for OCL_ICD_VENDORS (which the ICD
// loader and the probe both read); left in /tmp for the process's life.
std::string icd_dir(const std::string &library) {
  char tmpl[] = "/tmp/weft_lazy_icd_XXXXXX";
  if (!mkdtemp(tmpl)) return "";
  std::ofstream(std::string(tmpl) + "/only.icd") << library << "\n";
  return tmpl;
}

// The probe's answer under the current environment (what the runtime will compute).
bool gpu_may_be_there(std::string *why) {
  char text[600];
  int r = weft__gpu_probe("", text, sizeof text);
  *why = text;
  return r != 0;
}

}  // namespace

TEST(LazyBackends, CpuWorkDoesNotOpenThemAndLargeAutoDoesWhenAGpuMayBeThere) {
  SKIP_IF_OPENED();
  // an ICD that is not PoCL may be a GPU: auto must open the backends to see (the loader
  // then fails to load it, and OpenCL reports no platform)
  setenv("OCL_ICD_VENDORS", icd_dir("libweft_no_such_gpu_icd.so").c_str(), 1);
  std::string why;
  ASSERT_TRUE(gpu_may_be_there(&why)) << why;
  Data small(300, 3, 16, 5);
  {
    TestExec cpu("cpu"), cpu0("cpu:0"), automatic("auto", 0);
    search(small, cpu.e);
    search(small, cpu0.e);
    search(small, automatic.e);
    search(small, nullptr);
    EXPECT_NE(automatic.report().find("opencl and cuda not opened"), std::string::npos)
        << automatic.report();
    double x[3] = {1, 2, 3};
    weft_reduce_result r;
    ASSERT_WEFT_OK(weft_reduce(cpu.e, WEFT_FLOAT64, WEFT_REDUCE_SUM, 3, x, nullptr, &r));
    EXPECT_EQ(r.value, 6.0);
    weft_device_info info;
    ASSERT_WEFT_OK(weft_device_get_info(0, &info));
    EXPECT_STREQ(info.id, "cpu:0");
    size_t idx = 99;
    ASSERT_WEFT_OK(weft_device_find("cpu", &idx));
    EXPECT_EQ(idx, 0u);
    EXPECT_EQ(weft_device_find("cpu:1", &idx), WEFT_ERR_NOT_FOUND);
    EXPECT_FALSE(any_backend_mapped()) << "CPU-only work opened a backend";
  }
  // 64 queries of a 4000 x 64 base: 33 MFLOP, past the cost model's GPU break-even
  Data large(4000, 64, 64, 10);
  TestExec automatic("auto", 0), cpu("cpu");
  std::vector<int64_t> on_auto = search(large, automatic.e);
  EXPECT_EQ(automatic.report().find("not opened"), std::string::npos) << automatic.report();
  EXPECT_EQ(on_auto, search(large, cpu.e));
  expect_mapped_as_listed();
  unsetenv("OCL_ICD_VENDORS");
}

// Where no GPU driver can answer (the only ICD is PoCL with CPU drivers, no CUDA device
// node), auto runs on the CPU without opening either backend; listing still opens them.
// With a CUDA device node present, auto must open them instead.
TEST(LazyBackends, LargeAutoWithoutAGpuDriverOpensNothing) {
  SKIP_IF_OPENED();
  setenv("OCL_ICD_VENDORS", icd_dir("libpocl.so.2").c_str(), 1);
  setenv("POCL_DEVICES", "pthread", 1);
  std::string why;
  bool gpu = gpu_may_be_there(&why);
  Data large(4000, 64, 64, 10);
  TestExec automatic("auto", 0), cpu("cpu");
  std::vector<int64_t> on_auto = search(large, automatic.e);
  EXPECT_EQ(on_auto, search(large, cpu.e));
  if (gpu) {  // a CUDA device node: the probe's reason names it
    EXPECT_NE(why.find("CUDA driver may answer"), std::string::npos) << why;
    EXPECT_EQ(automatic.report().find("not opened"), std::string::npos) << automatic.report();
  } else {
    EXPECT_NE(automatic.report().find("opencl and cuda not opened: no GPU driver: OpenCL has "
                                      "only PoCL with CPU drivers (pthread)"),
              std::string::npos)
        << automatic.report();
    EXPECT_NE(automatic.report().find("device cpu:0: auto"), std::string::npos)
        << automatic.report();
    EXPECT_FALSE(any_backend_mapped()) << automatic.report();
    EXPECT_FALSE(mapped("libpocl")) << automatic.report();
  }
  expect_mapped_as_listed();  // listing opens them whatever auto decided
  unsetenv("OCL_ICD_VENDORS");
  unsetenv("POCL_DEVICES");
}

// Naming OpenCL opens it even where auto would not (PoCL's CPU device is then used).
TEST(LazyBackends, ExplicitOpenclOpensItWithoutAGpuDriver) {
  SKIP_IF_OPENED();
  setenv("OCL_ICD_VENDORS", icd_dir("libpocl.so.2").c_str(), 1);
  setenv("POCL_DEVICES", "pthread", 1);
  Data small(300, 3, 16, 5);
  TestExec opencl("opencl", 0);
  search(small, opencl.e);
  weft_backend_info info;
  ASSERT_WEFT_OK(weft_backend_get_info(1, &info));
  ASSERT_STREQ(info.name, "opencl");
  if (std::strncmp(info.reason, "cannot load", 11) == 0) {  // built without it
    EXPECT_NE(opencl.report().find("opencl unavailable, fell back to cpu"), std::string::npos)
        << opencl.report();
  } else {  // opened: on PoCL's CPU device, or "fell back" with the driver's reason
    EXPECT_TRUE(mapped("libweft_opencl.so")) << opencl.report();
    EXPECT_NE(opencl.report().find(info.loaded && info.device_count ? "device opencl:0"
                                                                    : "opencl unavailable"),
              std::string::npos)
        << opencl.report() << info.reason;
  }
  expect_mapped_as_listed();
  unsetenv("OCL_ICD_VENDORS");
  unsetenv("POCL_DEVICES");
}

TEST(LazyBackends, NamingADeviceOpensThem) {
  SKIP_IF_OPENED();
  weft_exec *e = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&e));
  weft_status st = weft_exec_set_device(e, "opencl");  // unavailable is not an error here
  EXPECT_TRUE(st == WEFT_OK) << weft_status_name(st) << ": " << weft_last_error();
  weft_exec_free(e);
  expect_mapped_as_listed();
}

TEST(LazyBackends, ListingFromManyThreadsWhileTheCpuWorks) {
  SKIP_IF_OPENED();
  Data d(500, 20, 24, 7);
  std::vector<int64_t> want = search(d, nullptr);
  std::vector<size_t> counts(4, 0);
  std::vector<std::vector<int64_t>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] { weft_test_ok(weft_device_count(&counts[t])); });
    threads.emplace_back([&, t] {
      TestExec cpu("cpu");
      got[t] = search(d, cpu.e);
    });
  }
  for (auto &t : threads) t.join();
  size_t total = 0;
  ASSERT_WEFT_OK(weft_device_count(&total));
  for (int t = 0; t < 4; t++) {
    EXPECT_EQ(counts[t], total);
    EXPECT_EQ(got[t], want);
  }
  for (size_t i = 0; i < total; i++) {
    weft_device_info info;
    ASSERT_WEFT_OK(weft_device_get_info(i, &info));
    size_t back = 99;
    ASSERT_WEFT_OK(weft_device_find(info.id, &back));
    EXPECT_EQ(back, i) << info.id;
  }
  expect_mapped_as_listed();
}

TEST(LazyBackends, WeftDeviceNamingADeviceOpensThemForAuto) {
  SKIP_IF_OPENED();
  setenv("WEFT_DEVICE", "opencl", 1);
  Data small(300, 3, 16, 5);
  TestExec automatic("auto", 0);
  search(small, automatic.e);  // forced to opencl (or its fallback, with the reason)
  unsetenv("WEFT_DEVICE");
  // "device opencl:0 ...: forced by WEFT_DEVICE", or "opencl unavailable, fell back ..."
  EXPECT_NE(automatic.report().find("opencl"), std::string::npos) << automatic.report();
  EXPECT_EQ(automatic.report().find("not opened"), std::string::npos) << automatic.report();
  expect_mapped_as_listed();
}

// cuBLAS is opened by the CUDA backend only when k-NN needs it: listing the devices, with or
// without a GPU, must not map it (about 150 MiB resident); the smoke check at device open
// launches one kernel and opens no cuBLAS.
TEST(LazyBackends, CudaWithoutADeviceDoesNotMapCublas) {
  SKIP_IF_OPENED();
  EXPECT_FALSE(mapped("libcublas")) << "cuBLAS mapped before any backend was opened";
  size_t count = 0;
  ASSERT_WEFT_OK(weft_device_count(&count));
  weft_backend_info cuda;
  ASSERT_WEFT_OK(weft_backend_get_info(2, &cuda));
  ASSERT_STREQ(cuda.name, "cuda");
  // the backend library itself must open: no cuBLAS symbol may be left to the loader
  EXPECT_EQ(std::string(cuda.reason).find("undefined symbol"), std::string::npos) << cuda.reason;
  EXPECT_FALSE(mapped("libcublas")) << cuda.device_count << " CUDA devices (" << cuda.reason
                                    << "), yet listing them mapped cuBLAS";
}

// explain under auto names the CPU, with the reason, for a large sort where no GPU driver
// can answer, and opens nothing; where one may, it goes by the devices found.
TEST(LazyBackends, ExplainUnderAutoWithoutAGpuDriverNamesTheCpu) {
  SKIP_IF_OPENED();
  setenv("OCL_ICD_VENDORS", icd_dir("libpocl.so.2").c_str(), 1);
  setenv("POCL_DEVICES", "pthread", 1);
  std::string why;
  bool gpu = gpu_may_be_there(&why);
  const int64_t rows = 150000;  // past the plans' small-input rule
  std::vector<int64_t> values(rows);
  for (int64_t i = 0; i < rows; i++) values[i] = (i * 7919) % 1000;
  weft_column_view col = {WEFT_TYPE_INT64, rows, 0, 0, nullptr, values.data(), nullptr};
  const char *names[] = {"i"};
  weft_table *table = nullptr;
  ASSERT_WEFT_OK(weft_table_from_columns(1, names, &col, nullptr, nullptr, &table));
  weft_plan *scan = nullptr, *sorted = nullptr;
  ASSERT_WEFT_OK(weft_plan_scan(table, &scan));
  ASSERT_WEFT_OK(weft_plan_sort(scan, 1, names, nullptr, 1, &sorted));
  const char *text = nullptr;
  ASSERT_WEFT_OK(weft_plan_explain(nullptr, sorted, &text));
  std::string t = text;
  if (gpu) {
    EXPECT_EQ(t.find("no GPU driver"), std::string::npos) << t;
  } else {
    EXPECT_NE(t.find("SORT by [i] nulls last  [cpu: no GPU driver: OpenCL has only PoCL with "
                     "CPU drivers (pthread), and no CUDA device node exists (auto; opencl and "
                     "cuda not opened)]"),
              std::string::npos)
        << t;
    EXPECT_FALSE(any_backend_mapped()) << t;
  }
  weft_plan_free(sorted);
  weft_plan_free(scan);
  weft_table_free(table);
  unsetenv("OCL_ICD_VENDORS");
  unsetenv("POCL_DEVICES");
}
