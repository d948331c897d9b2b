// Shared by the GoogleTest files: device parameters, reference helpers, status checks.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "weft.h"

#define ASSERT_WEFT_OK(expr)                                                              \
  do {                                                                                    \
    weft_status st_ = (expr);                                                             \
    ASSERT_EQ(st_, WEFT_OK) << weft_status_name(st_) << ": " << weft_last_error();        \
  } while (0)

// A status the test does not branch on: a failure still fails the test, with the message.
// An expression (not a statement), so it fits in helpers and comma lists.
inline void weft_test_ok(weft_status st) {
  if (st != WEFT_OK) ADD_FAILURE() << weft_status_name(st) << ": " << weft_last_error();
}

// An exec on `device` (strict by default, so a device test fails instead of quietly falling
// back to the CPU), freed at scope end, with its report and the device that ran last.
struct TestExec {
  weft_exec *e = nullptr;
  explicit TestExec(const std::string &device, int strict = 1) {
    EXPECT_EQ(weft_exec_create(&e), WEFT_OK);
    EXPECT_EQ(weft_exec_set_device(e, device.c_str()), WEFT_OK) << weft_last_error();
    EXPECT_EQ(weft_exec_set_strict(e, strict), WEFT_OK);
  }
  TestExec(const TestExec &) = delete;
  TestExec &operator=(const TestExec &) = delete;
  ~TestExec() { weft_exec_free(e); }
  std::string report() const {
    const char *t = "";
    weft_test_ok(weft_exec_report(e, &t));
    return t;
  }
  size_t last_device() const {
    size_t d = 999;
    weft_test_ok(weft_exec_last_device(e, &d));
    return d;
  }
};

// Every backend test is instantiated for these; a device not found skips with its reason.
inline std::vector<std::string> all_device_params() { return {"cpu", "opencl:0", "cuda:0"}; }

// Index of `id`, or GTEST_SKIP with why it is absent.
#define WEFT_REQUIRE_DEVICE(id, out_index)                                                \
  do {                                                                                    \
    weft_status st_ = weft_device_find((id).c_str(), &(out_index));                       \
    if (st_ != WEFT_OK) GTEST_SKIP() << "device " << (id) << " absent: " << weft_last_error(); \
  } while (0)

// A test over the device named by its parameter (skipped with the reason when absent):
// dev_index is the device's index, on_device whether it is not the CPU.
class DeviceParamTest : public ::testing::TestWithParam<std::string> {
 protected:
  size_t dev_index = 0;
  bool on_device = false;
  void SetUp() override {
    WEFT_REQUIRE_DEVICE(GetParam(), dev_index);
    on_device = GetParam() != "cpu";
  }
};

inline std::string param_name(const ::testing::TestParamInfo<std::string> &info) {
  std::string s = info.param;
  for (char &c : s)
    if (!isalnum((unsigned char)c)) c = '_';
  return s;
}

// Arrow validity bitmap from a bool vector (true = valid).
inline std::vector<uint8_t> pack_bits(const std::vector<bool> &valid) {
  std::vector<uint8_t> bits((valid.size() + 7) / 8 + 1, 0);
  for (size_t i = 0; i < valid.size(); i++)
    if (valid[i]) bits[i / 8] |= (uint8_t)(1u << (i % 8));
  return bits;
}

inline bool bit(const uint8_t *bits, size_t i) { return (bits[i / 8] >> (i % 8)) & 1; }

inline std::vector<bool> random_valid(size_t n, double null_rate, std::mt19937_64 &rng) {
  std::bernoulli_distribution is_null(null_rate);
  std::vector<bool> v(n);
  for (size_t i = 0; i < n; i++) v[i] = !is_null(rng);
  return v;
}
