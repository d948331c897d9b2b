// The runtime lists a GPU that OpenCL and CUDA both see once, as cuda:N, on fake backend
// libraries (tests/fake_gpu_backend.c, loaded through WEFT_BACKEND_PATH): OpenCL shows a CPU
// device, an H100 (the CUDA device's card: NVIDIA's ICD) and an AMD card; CUDA the H100.
#include <cstdlib>
#include <string>
#include <vector>

#include "test_support.h"

TEST(SameGpuListedOnce, OpenClViewOfTheCudaGpuIsLeftOut) {
  ASSERT_NE(getenv("WEFT_BACKEND_PATH"), nullptr) << "runs with the fake backends (tests/CMakeLists.txt)";
  size_t n = 0;
  ASSERT_WEFT_OK(weft_device_count(&n));
  std::vector<std::string> ids, names;
  for (size_t i = 0; i < n; i++) {
    weft_device_info d;
    ASSERT_WEFT_OK(weft_device_get_info(i, &d));
    ids.push_back(d.id), names.push_back(d.name);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"cpu:0", "opencl:0", "opencl:1", "cuda:0"}));
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[1], "pthread-fake-cpu");
  EXPECT_EQ(names[2], "AMD Radeon PRO W7900");  // another card: listed
  EXPECT_EQ(names[3], "NVIDIA H100 80GB HBM3");
  weft_backend_info ocl, cuda;
  ASSERT_WEFT_OK(weft_backend_get_info(1, &ocl));
  ASSERT_WEFT_OK(weft_backend_get_info(2, &cuda));
  ASSERT_STREQ(ocl.name, "opencl");
  EXPECT_EQ(ocl.loaded, 1);
  EXPECT_EQ(ocl.device_count, 2);
  EXPECT_NE(std::string(ocl.reason).find("device 1 (NVIDIA H100 80GB HBM3) not listed: the same GPU as cuda:0"),
            std::string::npos) << ocl.reason;
  EXPECT_EQ(cuda.device_count, 1);
  size_t idx = 99;
  ASSERT_WEFT_OK(weft_device_find("cuda", &idx));
  EXPECT_EQ(idx, 3u);
  EXPECT_EQ(weft_device_find("opencl:2", &idx), WEFT_ERR_NOT_FOUND);
}
