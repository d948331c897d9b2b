// host/core/gpu_probe.c on fake system trees: which OpenCL ICDs and device nodes let "auto" skip
// opening the backends. The probe is hidden in libweft.so; the test compiles it in.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

extern "C" {
#include "core/gpu_probe.h"
}

namespace {

const char *const kVars[] = {"OCL_ICD_VENDORS", "OPENCL_VENDOR_PATH", "OCL_ICD_FILENAMES",
                             "POCL_DEVICES", "LD_LIBRARY_PATH"};

// A fresh directory tree standing for "/", removed with the test; the loaders' variables
// are cleared and restored.
class GpuProbe : public ::testing::Test {
 protected:
  std::string root;
  std::string saved[5];
  bool had[5] = {};

  void SetUp() override {
    char tmpl[] = "/tmp/weft_gpu_probe_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root = tmpl;
    for (int i = 0; i < 5; i++) {
      const char *v = getenv(kVars[i]);
      had[i] = v != nullptr;
      if (v) saved[i] = v;
      unsetenv(kVars[i]);
    }
  }
  void TearDown() override {
    for (int i = 0; i < 5; i++) {
      if (had[i]) setenv(kVars[i], saved[i].c_str(), 1);
      else unsetenv(kVars[i]);
    }
    std::string cmd = "rm -rf '" + root + "'";
    EXPECT_EQ(system(cmd.c_str()), 0);
  }

  // Creates root + path (and its directories) holding `text`.
  void file(const std::string &path, const std::string &text = "") {
    std::string full = root + path;
    for (size_t i = root.size() + 1; i < full.size(); i++)
      if (full[i] == '/') mkdir(full.substr(0, i).c_str(), 0755);
    std::ofstream(full) << text;
  }
  void pocl_with_drivers(std::initializer_list<const char *> drivers) {
    file("/etc/OpenCL/vendors/pocl.icd", "libpocl.so.2\n");
    file("/usr/lib/x86_64-linux-gnu/libpocl.so.2");
    for (const char *d : drivers)
      file(std::string("/usr/lib/x86_64-linux-gnu/pocl/libpocl-devices-") + d + ".so");
  }
  int probe(std::string *why = nullptr) {
    char text[600];
    int r = weft__gpu_probe(root.c_str(), text, sizeof text);
    if (why) *why = text;
    return r;
  }
};

// No ICD: libOpenCL may be a driver itself, and opening the backends costs little.
TEST_F(GpuProbe, NoIcdAtAllMayBeAGpu) {
  std::string why;
  EXPECT_EQ(probe(&why), 1);
  EXPECT_EQ(why, "no OpenCL ICD listed: the OpenCL library may be a driver");
  file("/etc/OpenCL/vendors/readme.txt", "libpocl.so.2\n");  // not an .icd
  EXPECT_EQ(probe(), 1);
}

TEST_F(GpuProbe, PoclWithCpuDriversOnlyMeansNoGpu) {
  pocl_with_drivers({"pthread", "basic"});
  std::string why;
  EXPECT_EQ(probe(&why), 0) << why;
  EXPECT_NE(why.find("only PoCL with CPU drivers"), std::string::npos) << why;
  EXPECT_NE(why.find("pthread"), std::string::npos) << why;
  EXPECT_NE(why.find("basic"), std::string::npos) << why;
}

TEST_F(GpuProbe, PoclWithAGpuDriverMayHaveAGpu) {
  pocl_with_drivers({"pthread", "cuda"});
  std::string why;
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("libpocl-devices-cuda.so"), std::string::npos) << why;
}

TEST_F(GpuProbe, PoclWhoseDriversCannotBeSeenMayHaveAGpu) {
  file("/etc/OpenCL/vendors/pocl.icd", "libpocl.so.2\n");  // the library nowhere
  std::string why;
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("not found"), std::string::npos) << why;
  // by a full path, without the pocl/ driver directory (drivers built in)
  file("/etc/OpenCL/vendors/pocl.icd", root + "/opt/pocl/lib/libpocl.so.2 \r\n");
  file("/opt/pocl/lib/libpocl.so.2");
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("no driver directory " + root + "/opt/pocl/lib/pocl"), std::string::npos)
      << why;
  file("/opt/pocl/lib/pocl/libpocl-devices-pthread.so");
  EXPECT_EQ(probe(&why), 0) << why;
}

TEST_F(GpuProbe, PoclDevicesVariableDecides) {
  pocl_with_drivers({"pthread", "cuda"});
  setenv("POCL_DEVICES", "pthread basic", 1);
  std::string why;
  EXPECT_EQ(probe(&why), 0) << why;
  setenv("POCL_DEVICES", "pthread,level0", 1);
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("PoCL driver level0"), std::string::npos) << why;
}

TEST_F(GpuProbe, AnyOtherIcdMayBeAGpu) {
  pocl_with_drivers({"pthread"});
  file("/etc/OpenCL/vendors/nvidia.icd", "libnvidia-opencl.so.1\n");
  std::string why;
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("OpenCL ICD libnvidia-opencl.so.1"), std::string::npos) << why;
}

TEST_F(GpuProbe, TheSharedVendorsDirectoryCountsToo) {
  file("/usr/share/OpenCL/vendors/intel.icd", "libigdrcl.so\n");
  EXPECT_EQ(probe(), 1);
}

TEST_F(GpuProbe, AnUnreadableOrEmptyIcdMayBeAGpu) {
  file("/etc/OpenCL/vendors/empty.icd", "");
  std::string why;
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("could not be read"), std::string::npos) << why;
}

TEST_F(GpuProbe, FilesNotEndingInIcdAreIgnored) {
  pocl_with_drivers({"pthread"});
  file("/etc/OpenCL/vendors/nvidia.icd.disabled", "libnvidia-opencl.so.1\n");
  EXPECT_EQ(probe(), 0);
}

TEST_F(GpuProbe, CudaDeviceNodesMayBeAGpu) {
  pocl_with_drivers({"pthread"});
  for (const char *node : {"/dev/nvidia0", "/dev/nvidia3", "/dev/nvidiactl", "/dev/dxg",
                           "/dev/nvhost-ctrl-gpu", "/dev/nvmap", "/proc/driver/nvidia"}) {
    std::string cmd = "rm -rf '" + root + "/dev' '" + root + "/proc'";
    ASSERT_EQ(system(cmd.c_str()), 0);
    file("/dev/null_sibling");
    EXPECT_EQ(probe(), 0) << node;
    file(node);
    std::string why;
    EXPECT_EQ(probe(&why), 1) << node;
    EXPECT_NE(why.find(node), std::string::npos) << why;
  }
  std::string cmd = "rm -rf '" + root + "/dev' '" + root + "/proc'";
  ASSERT_EQ(system(cmd.c_str()), 0);
  file("/dev/nvidia-uvm");  // loaded by the driver, but no GPU node of its own
  EXPECT_EQ(probe(), 0);
}

TEST_F(GpuProbe, OclIcdVendorsReplacesTheDefaultDirectory) {
  file("/etc/OpenCL/vendors/nvidia.icd", "libnvidia-opencl.so.1\n");
  file("/only_pocl/pocl.icd", "libpocl.so.2\n");
  setenv("POCL_DEVICES", "pthread", 1);
  setenv("OCL_ICD_VENDORS", (root + "/only_pocl").c_str(), 1);
  std::string why;
  EXPECT_EQ(probe(&why), 0) << why;
  setenv("OCL_ICD_VENDORS", (root + "/etc/OpenCL/vendors/nvidia.icd").c_str(), 1);  // one file
  EXPECT_EQ(probe(), 1);
  // a bare .icd name: the one in the default directory (only PoCL's here, the other ignored)
  file("/etc/OpenCL/vendors/pocl.icd", "libpocl.so.2\n");
  setenv("OCL_ICD_VENDORS", "pocl.icd", 1);
  EXPECT_EQ(probe(&why), 0) << why;
  setenv("OCL_ICD_VENDORS", "nvidia.icd", 1);
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("libnvidia-opencl.so.1 (" + root + "/etc/OpenCL/vendors/nvidia.icd)"),
            std::string::npos) << why;
  setenv("OCL_ICD_VENDORS", "libamdocl64.so", 1);  // a library
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("libamdocl64.so (OCL_ICD_VENDORS)"), std::string::npos) << why;
}

TEST_F(GpuProbe, OpenclVendorPathReplacesTheDefaultDirectory) {
  file("/etc/OpenCL/vendors/nvidia.icd", "libnvidia-opencl.so.1\n");
  file("/only_pocl/pocl.icd", "libpocl.so.2\n");
  setenv("POCL_DEVICES", "pthread", 1);
  setenv("OPENCL_VENDOR_PATH", (root + "/only_pocl").c_str(), 1);
  EXPECT_EQ(probe(), 0);
}

TEST_F(GpuProbe, OclIcdFilenamesAddLibraries) {
  pocl_with_drivers({"pthread"});
  setenv("OCL_ICD_FILENAMES", (root + "/usr/lib/x86_64-linux-gnu/libpocl.so.2:").c_str(), 1);
  EXPECT_EQ(probe(), 0);
  setenv("OCL_ICD_FILENAMES", "libpocl.so.2:/opt/rocm/lib/libamdocl64.so", 1);
  std::string why;
  EXPECT_EQ(probe(&why), 1);
  EXPECT_NE(why.find("/opt/rocm/lib/libamdocl64.so (OCL_ICD_FILENAMES)"), std::string::npos)
      << why;
}

TEST_F(GpuProbe, PoclFoundThroughLdLibraryPath) {
  file("/etc/OpenCL/vendors/pocl.icd", "libpocl.so.2\n");
  file("/custom/lib/libpocl.so.2");
  file("/custom/lib/pocl/libpocl-devices-pthread.so");
  setenv("LD_LIBRARY_PATH", ("/nonexistent::" + root + "/custom/lib").c_str(), 1);
  std::string why;
  EXPECT_EQ(probe(&why), 0) << why;
}

}  // namespace
