// The CUDA backend's cuBLAS loader (cuda/cuda_cublas_loader.cc) against the toolkit's
// library, on any machine: opening and resolving need no GPU. One process a test (ctest).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "cuda_cublas_loader.h"

namespace {

bool mapped(const std::string &lib) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream all;
  all << maps.rdbuf();
  return all.str().find(lib) != std::string::npos;
}

bool empty(const wc_cublas_api &api) {
  return !api.create && !api.destroy && !api.set_stream && !api.sgemm && !api.set_math_mode &&
         !api.status_string;
}

}  // namespace

TEST(CublasLoader, TheDefaultNamesStartWithTheToolkitsSoname) {
  EXPECT_STREQ(wc_cublas_default_names[0],
               ("libcublas.so." + std::to_string(CUBLAS_VER_MAJOR)).c_str());
  EXPECT_STREQ(wc_cublas_default_names[1], "libcublas.so");
  EXPECT_EQ(wc_cublas_default_names[2], nullptr);
}

TEST(CublasLoader, OpensTheToolkitsLibraryAndResolvesEveryFunction) {
  EXPECT_FALSE(mapped("libcublas")) << "nothing should have opened cuBLAS yet";
  wc_cublas_api api;
  char why[512];
  ASSERT_EQ(wc_cublas_open(wc_cublas_default_names, &api, why, sizeof why), WEFT_OK) << why;
  EXPECT_TRUE(api.create && api.destroy && api.set_stream && api.sgemm && api.set_math_mode &&
              api.status_string);
  EXPECT_TRUE(mapped("libcublas.so"));
  // callable without a GPU: the pointer is the function it is named after ("the resource
  // allocation failed" in cuBLAS 13)
  std::string alloc = api.status_string(CUBLAS_STATUS_ALLOC_FAILED);
  EXPECT_NE(alloc.find("alloc"), std::string::npos) << alloc;
  EXPECT_NE(alloc, api.status_string(CUBLAS_STATUS_SUCCESS));
}

TEST(CublasLoader, AMissingLibraryIsNamedWithTheLoadersReason) {
  const char *names[] = {"libweft_no_such_cublas.so.99", "libweft_nor_this.so", nullptr};
  wc_cublas_api api;
  char why[512];
  EXPECT_EQ(wc_cublas_open(names, &api, why, sizeof why), WEFT_ERR_BACKEND_UNAVAILABLE);
  EXPECT_TRUE(empty(api));
  std::string w = why;
  EXPECT_NE(w.find("libweft_no_such_cublas.so.99: cannot open shared object file"),
            std::string::npos) << w;
  EXPECT_NE(w.find("; libweft_nor_this.so: cannot open"), std::string::npos) << w;
}

TEST(CublasLoader, ALibraryWithoutTheSymbolsIsNamedWithTheFirstMissingOne) {
  const char *names[] = {"libm.so.6", nullptr};
  wc_cublas_api api;
  char why[512];
  EXPECT_EQ(wc_cublas_open(names, &api, why, sizeof why), WEFT_ERR_BACKEND_UNAVAILABLE);
  EXPECT_TRUE(empty(api));
  EXPECT_STREQ(why, "libm.so.6 has no symbol cublasCreate_v2");
}

TEST(CublasLoader, TriesTheNextNameAfterAFailure) {
  const char *names[] = {"libm.so.6", "libweft_no_such_cublas.so.99", wc_cublas_default_names[0],
                         nullptr};
  wc_cublas_api api;
  char why[512];
  ASSERT_EQ(wc_cublas_open(names, &api, why, sizeof why), WEFT_OK) << why;
  EXPECT_TRUE(api.sgemm != nullptr);
}

TEST(CublasLoader, NoNamesAndATinyMessageBufferStillFailCleanly) {
  const char *none[] = {nullptr};
  wc_cublas_api api;
  char why[8];
  EXPECT_EQ(wc_cublas_open(none, &api, why, sizeof why), WEFT_ERR_BACKEND_UNAVAILABLE);
  EXPECT_EQ(std::strlen(why), 7u);  // truncated, terminated
  const char *missing[] = {"libweft_no_such_cublas.so.99", nullptr};
  EXPECT_EQ(wc_cublas_open(missing, &api, why, sizeof why), WEFT_ERR_BACKEND_UNAVAILABLE);
  EXPECT_EQ(std::strlen(why), 7u);
  EXPECT_EQ(wc_cublas_open(missing, &api, why, 0), WEFT_ERR_BACKEND_UNAVAILABLE);
}
