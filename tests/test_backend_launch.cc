// weft__backend_launch (host/core/backend_launch.c): a kernel id and its args reach the
// backend's launch entry unchanged, and a backend without the entry is WEFT_ERR_UNSUPPORTED
// naming the kernel and the device. A backend's own answer to an id it lacks is checked
// on each backend in test_backend_kernels.cc.
#include <gtest/gtest.h>

#include <string>

#include "backend_launch_fake.h"
#include "core/backend_impl.h"

TEST(BackendLaunch, PassesTheKernelAndArgsThrough) {
  weft__scan_add_args args = {5, nullptr, nullptr};
  backend_launch_fake_seen seen;
  ASSERT_EQ(backend_launch_fake(1, WEFT__K_SCAN_ADD, &args, &seen), WEFT_OK) << seen.message;
  EXPECT_EQ(seen.dev, 3);
  EXPECT_EQ(seen.kernel, (unsigned)WEFT__K_SCAN_ADD);
  EXPECT_EQ(seen.args, &args);
}

TEST(BackendLaunch, ABackendWithoutTheEntrySaysWhichKernel) {
  weft__join_clear_args args = {16, nullptr, nullptr, nullptr};
  backend_launch_fake_seen seen;
  EXPECT_EQ(backend_launch_fake(0, WEFT__K_JOIN_CLEAR, &args, &seen), WEFT_ERR_UNSUPPORTED);
  std::string m = seen.message;
  EXPECT_NE(m.find("join_clear"), std::string::npos) << m;
  EXPECT_NE(m.find("0x100"), std::string::npos) << m;
  EXPECT_NE(m.find("fakegpu:3"), std::string::npos) << m;
  EXPECT_EQ(seen.dev, -1);
  EXPECT_EQ(backend_launch_fake(0, 0x7fff, &args, &seen), WEFT_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(seen.message).find("0x7fff"), std::string::npos) << seen.message;
}
