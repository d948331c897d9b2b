// The two operations that prove the scheduler, on every device, against float64 loops:
// axpy (elementwise) and sum/min/max (reduction), with nulls, NaN, empty and odd sizes,
// and inputs larger than the device's memory cap. Runs are strict, so a device test
// fails instead of quietly falling back to the CPU.
#include <cstring>
#include <tuple>

#include "test_support.h"

namespace {

using Exec = TestExec;

template <typename T>
std::vector<T> random_values(size_t n, std::mt19937_64 &rng, double nan_rate) {
  std::uniform_real_distribution<double> u(-100, 100);
  std::bernoulli_distribution is_nan(nan_rate);
  std::vector<T> v(n);
  for (auto &x : v) x = is_nan(rng) ? (T)NAN : (T)u(rng);
  return v;
}

enum Nulls { NONE, X_ONLY, Y_ONLY, BOTH };

template <typename T>
void check_axpy(const std::string &device, size_t dev, size_t n, Nulls nulls, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const weft_dtype dtype = sizeof(T) == 4 ? WEFT_FLOAT32 : WEFT_FLOAT64;
  auto x = random_values<T>(n, rng, 0.01), y = random_values<T>(n, rng, 0.0);
  auto xv = random_valid(n, 0.2, rng), yv = random_valid(n, 0.3, rng);
  auto xbits = pack_bits(xv), ybits = pack_bits(yv);
  std::vector<uint8_t> obits(xbits.size(), 0xEE);
  std::vector<T> out(n, (T)-7);
  const uint8_t *xb = (nulls == X_ONLY || nulls == BOTH) ? xbits.data() : nullptr;
  const uint8_t *yb = (nulls == Y_ONLY || nulls == BOTH) ? ybits.data() : nullptr;
  const double a = 1.75;
  Exec ex(device);
  ASSERT_WEFT_OK(weft_axpy(ex.e, dtype, n, a, x.data(), xb, y.data(), yb, out.data(), obits.data()));
  if (n > 0) {
    EXPECT_EQ(ex.last_device(), dev) << ex.report();
  }
  for (size_t i = 0; i < n; i++) {
    bool valid = (!xb || xv[i]) && (!yb || yv[i]);
    if (xb || yb) {
      ASSERT_EQ(bit(obits.data(), i), valid) << "row " << i;
    }
    if (!valid) {
      ASSERT_EQ(out[i], (T)0) << "null row " << i << " must hold 0";
      continue;
    }
    double want = a * (double)x[i] + (double)y[i];
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(out[i])) << "row " << i;
    } else {
      double tol = (sizeof(T) == 4 ? 2e-6 : 1e-14) * (std::fabs(a * x[i]) + std::fabs(y[i]) + 1);
      ASSERT_NEAR((double)out[i], want, tol) << "row " << i << " n=" << n;
    }
  }
}

struct Ref {
  double sum = 0, min = NAN, max = NAN;
  uint64_t count = 0;
};

template <typename T>
Ref reference_reduce(const std::vector<T> &x, const uint8_t *valid) {
  Ref r;
  for (size_t i = 0; i < x.size(); i++) {
    if (valid && !bit(valid, i)) continue;
    double v = x[i];
    r.sum += v;
    r.count++;
    if (!std::isnan(v)) {
      r.min = std::isnan(r.min) || v < r.min ? v : r.min;
      r.max = std::isnan(r.max) || v > r.max ? v : r.max;
    }
  }
  return r;
}

template <typename T>
void check_reduce(const std::string &device, size_t dev, const std::vector<T> &x, const uint8_t *valid) {
  const weft_dtype dtype = sizeof(T) == 4 ? WEFT_FLOAT32 : WEFT_FLOAT64;
  Ref ref = reference_reduce(x, valid);
  Exec ex(device);
  weft_reduce_result sum, mn, mx;
  ASSERT_WEFT_OK(weft_reduce(ex.e, dtype, WEFT_REDUCE_SUM, x.size(), x.data(), valid, &sum));
  if (!x.empty()) {
    EXPECT_EQ(ex.last_device(), dev) << ex.report();
  }
  ASSERT_WEFT_OK(weft_reduce(ex.e, dtype, WEFT_REDUCE_MIN, x.size(), x.data(), valid, &mn));
  ASSERT_WEFT_OK(weft_reduce(ex.e, dtype, WEFT_REDUCE_MAX, x.size(), x.data(), valid, &mx));
  EXPECT_EQ(sum.count, ref.count);
  EXPECT_EQ(sum.is_null, 0);
  if (std::isnan(ref.sum)) {
    EXPECT_TRUE(std::isnan(sum.value));
  } else {
    EXPECT_NEAR(sum.value, ref.sum, 1e-9 * (std::fabs(ref.sum) + (double)x.size()));
  }
  EXPECT_EQ(mn.is_null, ref.count == 0);
  EXPECT_EQ(mx.is_null, ref.count == 0);
  if (ref.count) {
    if (std::isnan(ref.min)) {
      EXPECT_TRUE(std::isnan(mn.value));
      EXPECT_TRUE(std::isnan(mx.value));
    } else {
      EXPECT_EQ(mn.value, ref.min);
      EXPECT_EQ(mx.value, ref.max);
    }
  }
}

}  // namespace

using OpParam = std::tuple<std::string, size_t>;

class Ops : public ::testing::TestWithParam<OpParam> {};

TEST_P(Ops, AxpyMatchesReference) {
  auto [device, n] = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  for (Nulls nulls : {NONE, X_ONLY, Y_ONLY, BOTH}) {
    SCOPED_TRACE("nulls pattern " + std::to_string(nulls));
    check_axpy<float>(device, dev, n, nulls, 10 + n + nulls);
    check_axpy<double>(device, dev, n, nulls, 20 + n + nulls);
  }
}

TEST_P(Ops, ReduceMatchesReference) {
  auto [device, n] = GetParam();
  size_t dev;
  WEFT_REQUIRE_DEVICE(device, dev);
  std::mt19937_64 rng(n + 5);
  auto xf = random_values<float>(n, rng, 0.0);
  auto xd = random_values<double>(n, rng, 0.0);
  auto bits = pack_bits(random_valid(n, 0.25, rng));
  check_reduce(device, dev, xf, nullptr);
  check_reduce(device, dev, xf, bits.data());
  check_reduce(device, dev, xd, nullptr);
  check_reduce(device, dev, xd, bits.data());
  auto with_nan = random_values<double>(n, rng, 0.05);  // sum is NaN; min/max skip NaN
  check_reduce(device, dev, with_nan, bits.data());
  std::vector<uint8_t> none((n + 7) / 8 + 1, 0);  // every row null
  check_reduce(device, dev, xd, none.data());
  std::vector<float> all_nan(n, NAN);
  check_reduce(device, dev, all_nan, nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    AllDevices, Ops,
    ::testing::Combine(::testing::ValuesIn(all_device_params()),
                       ::testing::Values<size_t>(0, 1, 7, 1000, 1025, 1000003)),
    [](const ::testing::TestParamInfo<OpParam> &info) {
      std::string s = std::get<0>(info.param) + "_n" + std::to_string(std::get<1>(info.param));
      for (char &c : s)
        if (!isalnum((unsigned char)c)) c = '_';
      return s;
    });

TEST(OpsBadInput, NamesTheArgument) {
  float x[4] = {1, 2, 3, 4}, y[4] = {0}, out[4];
  uint8_t v = 0xF;
  EXPECT_EQ(weft_axpy(nullptr, (weft_dtype)7, 4, 1, x, nullptr, y, nullptr, out, nullptr),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("dtype 7"), std::string::npos);
  EXPECT_EQ(weft_axpy(nullptr, WEFT_FLOAT32, 4, 1, nullptr, nullptr, y, nullptr, out, nullptr),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("x, y and out"), std::string::npos);
  EXPECT_EQ(weft_axpy(nullptr, WEFT_FLOAT32, 4, 1, x, &v, y, nullptr, out, nullptr),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("out_valid"), std::string::npos);
  ASSERT_WEFT_OK(weft_axpy(nullptr, WEFT_FLOAT32, 0, 1, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr));
  weft_reduce_result r;
  EXPECT_EQ(weft_reduce(nullptr, WEFT_FLOAT32, (weft_reduce_op)9, 4, x, nullptr, &r),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("op 9"), std::string::npos);
  EXPECT_EQ(weft_reduce(nullptr, WEFT_FLOAT32, WEFT_REDUCE_SUM, 4, nullptr, nullptr, &r),
            WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_reduce(nullptr, WEFT_FLOAT32, WEFT_REDUCE_SUM, 4, x, nullptr, nullptr),
            WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_reduce(nullptr, WEFT_FLOAT32, WEFT_REDUCE_SUM, 4, x, nullptr, &r));
  EXPECT_EQ(r.value, 10.0);
  EXPECT_EQ(r.count, 4u);
}
