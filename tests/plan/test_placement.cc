// The one placement path (host/core/placement.h): an eager operation and the same operator in
// a lazy plan get the same device and the same report text, the planner's verdict reaches the
// eager operation as a resolved placement, and WEFT_DEVICE and the user's list are read the
// same way by both.
#include <cstdlib>

#include "plan_helpers.h"

using namespace pl;

namespace {

const char *kKeys[] = {"v"};

std::string report_of(weft_exec *exec) {
  const char *text = nullptr;
  EXPECT_EQ(weft_exec_report(exec, &text), WEFT_OK);
  return text ? text : "";
}

std::string line_with(const std::string &text, const std::string &needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  size_t end = text.find('\n', at);
  return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

struct Exec {
  weft_exec *e = nullptr;
  explicit Exec(const char *devices = "auto") {
    EXPECT_EQ(weft_exec_create(&e), WEFT_OK);
    EXPECT_EQ(weft_exec_set_device(e, devices), WEFT_OK) << weft_last_error();
  }
  ~Exec() { weft_exec_free(e); }
};

Plan sort(const Plan &in) {
  weft_plan *p = nullptr;
  int desc[] = {0};
  weft_status st = weft_plan_sort(in.get(), 1, kKeys, desc, 1, &p);
  return own_plan(st, p);
}

TEST(Placement, EagerAndLazySortOfASmallInputSayTheSame) {
  std::mt19937_64 rng(7);
  auto t = jc::build(left_cols(5000, 0.1, rng));
  Exec eager, lazy;
  weft_table *out = nullptr;
  int desc[] = {0};
  ASSERT_EQ(weft_table_sort(eager.e, t->table, 1, kKeys, desc, &out), WEFT_OK) << weft_last_error();
  Table sorted(out);
  const std::string want = "device cpu:0: auto, small input (5000 rows, devices sort from 100000)";
  EXPECT_NE(report_of(eager.e).find(want), std::string::npos) << report_of(eager.e);

  Plan p = sort(scan(t->table));
  Table collected = collect(p, lazy.e);
  std::string text = report_of(lazy.e);
  // the planner decided, and the eager sort under it reports the same words
  EXPECT_NE(text.find("[cpu: auto, small input (5000 rows, devices sort from 100000)]"),
            std::string::npos) << text;
  EXPECT_EQ(line_with(text, "device cpu:0:"), want) << text;
  expect_same(collected.get(), sorted.get(), "lazy sort == eager sort");
}

TEST(Placement, EagerFilterOfASmallInputStaysOnTheCpuUnderAuto) {
  std::mt19937_64 rng(8);
  auto t = jc::build(left_cols(3000, 0.0, rng));
  Exec exec;
  Expr pred = bin(WEFT_OP_GT, col("v"), litf(0.0));
  weft_table *out = nullptr;
  ASSERT_EQ(weft_table_filter(exec.e, t->table, pred.get(), &out), WEFT_OK) << weft_last_error();
  Table kept(out);
  EXPECT_NE(report_of(exec.e).find(
                "device cpu:0: auto, small input (3000 rows, devices evaluate from 100000)"),
            std::string::npos) << report_of(exec.e);
}

TEST(Placement, AListOfDevicesIsParsedOnceAndCheckedWhenSet) {
  weft_exec *e = nullptr;
  ASSERT_EQ(weft_exec_create(&e), WEFT_OK);
  EXPECT_EQ(weft_exec_set_device(e, "cpu,,cpu"), WEFT_OK) << weft_last_error();
  EXPECT_EQ(weft_exec_set_device(e, "cpu,nosuch:3"), WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find("nosuch:3"), std::string::npos) << weft_last_error();
  EXPECT_EQ(weft_exec_set_device(e, ","), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("names no device"), std::string::npos)
      << weft_last_error();
  std::string many;
  for (int i = 0; i < 17; i++) many += i ? ",cpu" : "cpu";
  EXPECT_EQ(weft_exec_set_device(e, many.c_str()), WEFT_ERR_INVALID_ARGUMENT);
  weft_exec_free(e);
}

TEST(Placement, WeftDeviceOverridesAutoForEagerAndLazyAlike) {
  std::mt19937_64 rng(9);
  auto t = jc::build(left_cols(2000, 0.1, rng));
  setenv("WEFT_DEVICE", "cpu", 1);
  Exec eager, lazy;
  weft_table *out = nullptr;
  int desc[] = {0};
  weft_status st = weft_table_sort(eager.e, t->table, 1, kKeys, desc, &out);
  Table sorted(out);
  Plan p = sort(scan(t->table));
  std::string text = explain(p, lazy.e);
  unsetenv("WEFT_DEVICE");
  ASSERT_EQ(st, WEFT_OK) << weft_last_error();
  EXPECT_NE(report_of(eager.e).find("forced by WEFT_DEVICE"), std::string::npos)
      << report_of(eager.e);
  EXPECT_EQ(report_of(eager.e).find("small input"), std::string::npos) << report_of(eager.e);
  EXPECT_NE(text.find("[cpu: WEFT_DEVICE]"), std::string::npos) << text;
}

}  // namespace
