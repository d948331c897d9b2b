// The scheduler: partitions under a memory cap, fallback and strict mode, several devices
// at once, WEFT_DEVICE, the cost model, concurrent callers.
#include <cstdlib>
#include <regex>
#include <thread>

#include "test_support.h"

namespace {

using Exec = TestExec;

// Partitions the report says `id` ran.
size_t partitions_on(const std::string &report, const std::string &id) {
  std::smatch m;
  std::regex re("  " + id + ": ([0-9]+) partitions");
  return std::regex_search(report, m, re) ? std::stoul(m[1]) : 0;
}

struct Data {
  std::vector<double> x, y, out;
  std::vector<uint8_t> xbits, obits;
  explicit Data(size_t n) : x(n), y(n), out(n), obits((n + 7) / 8 + 1) {
    std::mt19937_64 rng(n);
    std::uniform_real_distribution<double> u(-1, 1);
    for (size_t i = 0; i < n; i++) x[i] = u(rng), y[i] = u(rng);
    xbits = pack_bits(random_valid(n, 0.1, rng));
  }
  void check_axpy(double a) const {
    for (size_t i = 0; i < x.size(); i++) {
      bool v = bit(xbits.data(), i);
      ASSERT_EQ(bit(obits.data(), i), v) << i;
      ASSERT_DOUBLE_EQ(out[i], v ? a * x[i] + y[i] : 0.0) << i;
    }
  }
  double masked_sum() const {
    double s = 0;
    for (size_t i = 0; i < x.size(); i++) s += bit(xbits.data(), i) ? x[i] : 0;
    return s;
  }
};

}  // namespace

class Scheduler : public ::testing::TestWithParam<std::string> {};

TEST_P(Scheduler, InputLargerThanMemoryCapIsStreamed) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  const size_t n = 1000003;  // 24 MB of float64 in and out against a 1 MB cap
  Data d(n);
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev, 1 << 20));
  Exec ex(GetParam().c_str(), 1);
  weft_status st = weft_axpy(ex.e, WEFT_FLOAT64, n, -2.5, d.x.data(), d.xbits.data(), d.y.data(),
                             nullptr, d.out.data(), d.obits.data());
  weft_reduce_result r{};
  weft_status st2 = weft_reduce(ex.e, WEFT_FLOAT64, WEFT_REDUCE_SUM, n, d.x.data(), d.xbits.data(), &r);
  weft_test_ok(weft_device_set_memory_limit(dev, 0));
  ASSERT_EQ(st, WEFT_OK) << weft_last_error();
  ASSERT_EQ(st2, WEFT_OK) << weft_last_error();
  d.check_axpy(-2.5);
  EXPECT_NEAR(r.value, d.masked_sum(), 1e-8);
  std::string id;
  weft_device_info info;
  ASSERT_WEFT_OK(weft_device_get_info(dev, &info));
  EXPECT_GT(partitions_on(ex.report(), info.id), 1u) << ex.report();
  EXPECT_EQ(info.memory_used_bytes, 0u) << "staging buffers leaked";
}

INSTANTIATE_TEST_SUITE_P(AllDevices, Scheduler, ::testing::ValuesIn(all_device_params()), param_name);

// A device whose cap cannot hold one partition: strict fails naming it, otherwise the CPU
// does the work and the report says so.
TEST(SchedulerFallback, DeviceTooSmallFallsBackOrFailsWhenStrict) {
  size_t dev;
  std::string id = "opencl:0";
  WEFT_REQUIRE_DEVICE(id, dev);
  const size_t n = 50000;
  Data d(n);
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev, 100));
  {
    Exec strict(id.c_str(), 1);
    weft_status st = weft_axpy(strict.e, WEFT_FLOAT64, n, 3, d.x.data(), d.xbits.data(),
                               d.y.data(), nullptr, d.out.data(), d.obits.data());
    EXPECT_EQ(st, WEFT_ERR_DEVICE_MEMORY);
    EXPECT_NE(std::string(weft_last_error()).find(id), std::string::npos) << weft_last_error();
  }
  Exec lenient(id.c_str(), 0);
  weft_status st = weft_axpy(lenient.e, WEFT_FLOAT64, n, 3, d.x.data(), d.xbits.data(),
                             d.y.data(), nullptr, d.out.data(), d.obits.data());
  weft_test_ok(weft_device_set_memory_limit(dev, 0));
  ASSERT_EQ(st, WEFT_OK) << weft_last_error();
  d.check_axpy(3);
  EXPECT_NE(lenient.report().find("fell back to cpu:0"), std::string::npos) << lenient.report();
  size_t last = 99;
  weft_test_ok(weft_exec_last_device(lenient.e, &last));
  EXPECT_EQ(last, 0u);
}

TEST(SchedulerFallback, MissingBackendFallsBackOrFailsWhenStrict) {
  weft_backend_info cuda;
  ASSERT_WEFT_OK(weft_backend_get_info(2, &cuda));
  if (cuda.loaded) GTEST_SKIP() << "the cuda backend is loaded here; nothing is missing";
  Data d(5000);
  {
    Exec strict("cuda", 1);
    weft_reduce_result r;
    EXPECT_EQ(weft_reduce(strict.e, WEFT_FLOAT64, WEFT_REDUCE_SUM, 5000, d.x.data(), nullptr, &r),
              WEFT_ERR_BACKEND_UNAVAILABLE);
    EXPECT_NE(std::string(weft_last_error()).find("cuda"), std::string::npos);
  }
  Exec lenient("cuda", 0);
  weft_reduce_result r;
  ASSERT_WEFT_OK(weft_reduce(lenient.e, WEFT_FLOAT64, WEFT_REDUCE_SUM, 5000, d.x.data(), d.xbits.data(), &r));
  EXPECT_NEAR(r.value, d.masked_sum(), 1e-9);
  EXPECT_NE(lenient.report().find("unavailable"), std::string::npos) << lenient.report();
}

TEST(SchedulerMulti, RowsSplitAcrossDevicesMatchOneDevice) {
  size_t dev;
  std::string id = "opencl:0";
  WEFT_REQUIRE_DEVICE(id, dev);
  const size_t n = 3000017;
  Data d(n);
  // a small cap on the OpenCL device makes it take many partitions alongside the CPU
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev, 2 << 20));
  Exec ex("cpu,opencl:0", 1);
  weft_status st = weft_axpy(ex.e, WEFT_FLOAT64, n, 0.5, d.x.data(), d.xbits.data(), d.y.data(),
                             nullptr, d.out.data(), d.obits.data());
  weft_reduce_result r{};
  weft_status st2 = weft_reduce(ex.e, WEFT_FLOAT64, WEFT_REDUCE_SUM, n, d.x.data(), d.xbits.data(), &r);
  weft_test_ok(weft_device_set_memory_limit(dev, 0));
  ASSERT_EQ(st, WEFT_OK) << weft_last_error();
  ASSERT_EQ(st2, WEFT_OK) << weft_last_error();
  d.check_axpy(0.5);
  EXPECT_NEAR(r.value, d.masked_sum(), 1e-7);
  std::string rep = ex.report();
  EXPECT_NE(rep.find("cpu:0:"), std::string::npos) << rep;
  EXPECT_NE(rep.find("opencl:0:"), std::string::npos) << rep;
}

TEST(SchedulerChoice, SmallInputStaysOnCpuAndEnvForcesDevice) {
  Data d(1000);
  Exec ex("auto", 0);
  weft_reduce_result r;
  ASSERT_WEFT_OK(weft_reduce(ex.e, WEFT_FLOAT64, WEFT_REDUCE_MAX, 1000, d.x.data(), nullptr, &r));
  EXPECT_NE(ex.report().find("device cpu:0: auto"), std::string::npos) << ex.report();
  setenv("WEFT_DEVICE", "cpu:0", 1);
  ASSERT_WEFT_OK(weft_reduce(ex.e, WEFT_FLOAT64, WEFT_REDUCE_MAX, 1000, d.x.data(), nullptr, &r));
  EXPECT_NE(ex.report().find("forced by WEFT_DEVICE"), std::string::npos) << ex.report();
  setenv("WEFT_DEVICE", "tpu", 1);
  EXPECT_EQ(weft_reduce(ex.e, WEFT_FLOAT64, WEFT_REDUCE_MAX, 1000, d.x.data(), nullptr, &r),
            WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find("WEFT_DEVICE"), std::string::npos) << weft_last_error();
  unsetenv("WEFT_DEVICE");
}

TEST(SchedulerThreads, ConcurrentCallersGetTheirOwnAnswers) {
  size_t n_dev = 0;
  ASSERT_WEFT_OK(weft_device_count(&n_dev));
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; t++)
    threads.emplace_back([t, n_dev, &ok] {
      Data d(200000 + (size_t)t * 1001);
      weft_device_info info;
      weft_test_ok(weft_device_get_info((size_t)t % n_dev, &info));
      Exec ex(info.id, 1);
      weft_reduce_result r;
      if (weft_reduce(ex.e, WEFT_FLOAT64, WEFT_REDUCE_SUM, d.x.size(), d.x.data(), d.xbits.data(), &r) != WEFT_OK)
        return;
      ok[t] = std::fabs(r.value - d.masked_sum()) < 1e-8;
    });
  for (auto &th : threads) th.join();
  for (int t = 0; t < 8; t++) EXPECT_TRUE(ok[t]) << "thread " << t;
}
