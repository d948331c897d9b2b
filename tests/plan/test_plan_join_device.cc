// A lazy join on every device found: explain names the device the join runs on (not "only
// on the CPU"), strict mode accepts it, and collect on the device equals collect on the CPU
// row for row, with a filter and a select around the join.
#include "plan_helpers.h"

using namespace pl;

namespace {

class PlanJoinDevice : public ::testing::TestWithParam<std::string> {};

const char *kK[] = {"k"};

TEST_P(PlanJoinDevice, ExplainAndCollect) {
  size_t index;
  WEFT_REQUIRE_DEVICE(GetParam(), index);
  std::mt19937_64 rng(17);
  auto left = jc::build(left_cols(5003, 0.1, rng)), right = jc::build(right_cols(1025, 0.1, rng));
  for (int how = WEFT_JOIN_INNER; how <= WEFT_JOIN_ANTI; how++) {
    weft_plan *j = nullptr;
    Plan pred_in = scan(left->table);
    weft_plan *f = nullptr;
    ASSERT_WEFT_OK(weft_plan_filter(pred_in.get(), bin(WEFT_OP_GT, col("i"), lit(100)).get(), &f));
    Plan fl = own_plan(WEFT_OK, f);
    ASSERT_WEFT_OK(weft_plan_join(fl.get(), scan(right->table).get(), 1, kK, kK, (weft_join_kind)how,
                                  nullptr, &j));
    Plan p = own_plan(WEFT_OK, j);
    TestExec dev(GetParam()), cpu("cpu");
    std::string text = explain(p, dev.e);
    std::string want_line = std::string("  [") + (GetParam() == "cpu" ? "cpu" : GetParam()) + ": requested]";
    size_t at = text.find("JOIN");
    ASSERT_NE(at, std::string::npos) << text;
    std::string line = text.substr(at, text.find('\n', at) - at);
    EXPECT_NE(line.find(want_line), std::string::npos) << "want " << want_line << " in\n" << text;
    EXPECT_EQ(text.find("only on the CPU"), std::string::npos) << text;
    Table got = collect(p, dev.e), want = collect(p, cpu.e);
    ASSERT_TRUE(got && want);
    expect_same(got.get(), want.get(), "join " + std::to_string(how) + " on " + GetParam());
    const char *report = nullptr;
    ASSERT_WEFT_OK(weft_exec_report(dev.e, &report));
    if (GetParam() != "cpu") {
      EXPECT_NE(std::string(report).find(GetParam() + " ("), std::string::npos) << report;
      EXPECT_NE(std::string(report).find("hash table built on"), std::string::npos) << report;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, PlanJoinDevice, ::testing::ValuesIn(all_device_params()), param_name);

}  // namespace
