// Run with WEFT_BACKEND_PATH pointing at an empty folder: the opencl and cuda libraries are
// missing, so both are skipped with a reason naming the library, and the CPU still works.
#include <cstring>

#include "test_support.h"

TEST(MissingBackend, SkippedWithReasonAndCpuStillWorks) {
  const char *dir = getenv("WEFT_BACKEND_PATH");
  ASSERT_NE(dir, nullptr) << "this test runs with WEFT_BACKEND_PATH set (see tests/CMakeLists.txt)";
  size_t n = 0;
  ASSERT_WEFT_OK(weft_backend_count(&n));
  for (size_t i = 1; i < n; i++) {
    weft_backend_info info;
    ASSERT_WEFT_OK(weft_backend_get_info(i, &info));
    EXPECT_EQ(info.loaded, 0) << info.name;
    EXPECT_NE(std::string(info.reason).find("libweft_" + std::string(info.name) + ".so"),
              std::string::npos) << info.reason;
  }
  size_t devices = 0;
  ASSERT_WEFT_OK(weft_device_count(&devices));
  EXPECT_EQ(devices, 1u);
  size_t idx;
  EXPECT_EQ(weft_device_find("opencl", &idx), WEFT_ERR_BACKEND_UNAVAILABLE);
  EXPECT_NE(std::string(weft_last_error()).find("cannot load"), std::string::npos) << weft_last_error();
  double x[3] = {1, 2, 3};
  weft_reduce_result r;
  ASSERT_WEFT_OK(weft_reduce(nullptr, WEFT_FLOAT64, WEFT_REDUCE_SUM, 3, x, nullptr, &r));
  EXPECT_EQ(r.value, 6.0);
}
