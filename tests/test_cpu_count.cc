// How many CPUs weft's pool takes (host/core/cpu_count.c, compiled into this test): the
// affinity mask lowered to the cgroup CPU quota of the process's cgroup and its parents.
// The quota is read from a fake cgroup tree, v1 and v2.
#include <gtest/gtest.h>

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

extern "C" {
#include "core/cpu_count.h"
}

namespace {

namespace fs = std::filesystem;

class CgroupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/weft_cgroup_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root = pattern;
  }
  void TearDown() override { fs::remove_all(root); }
  void write(const std::string &rel, const std::string &text) {
    fs::create_directories(fs::path(root + rel).parent_path());
    std::ofstream(root + rel) << text;
  }
  int limit(const std::string &list) { return weft__cgroup_cpu_limit(root.c_str(), list.c_str()); }
  std::string root;
};

TEST_F(CgroupTree, V2QuotaOfTheCgroupOrAParentTheSmallestRoundedUp) {
  write("/kubepods/pod1/cpu.max", "250000 100000\n");  // 2.5 CPUs on the pod: 3 threads
  write("/kubepods/pod1/c1/cpu.max", "max 100000\n");
  EXPECT_EQ(limit("0::/kubepods/pod1/c1\n"), 3);
  write("/kubepods/pod1/c1/cpu.max", "100000 100000\n");  // the container's own is smaller
  EXPECT_EQ(limit("0::/kubepods/pod1/c1\n"), 1);
  write("/kubepods/cpu.max", "50000 100000\n");  // half a CPU above both: still one thread
  EXPECT_EQ(limit("0::/kubepods/pod1/c1\n"), 1);
}

TEST_F(CgroupTree, V2NoQuotaAnywhereIsNoLimit) {
  write("/user.slice/cpu.max", "max 100000\n");
  EXPECT_EQ(limit("0::/user.slice/session-1.scope\n"), 0);
  EXPECT_EQ(limit("0::/\n"), 0);
  EXPECT_EQ(limit(""), 0);
  EXPECT_EQ(limit("garbage without colons\n"), 0);
}

TEST_F(CgroupTree, V2InsideACgroupNamespaceReadsTheRoot) {
  write("/cpu.max", "200000 100000\n");  // docker --cpus=2: the container sees itself as /
  EXPECT_EQ(limit("0::/\n"), 2);
}

TEST_F(CgroupTree, V1CfsQuotaOnTheCpuController) {
  write("/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "150000\n");
  write("/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  const std::string list = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/x\n";
  EXPECT_EQ(limit(list), 2);
  write("/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n");  // -1: none
  EXPECT_EQ(limit(list), 0);
  // a controller list that only contains "cpu" as a prefix is not the cpu controller
  write("/cpuset/docker/abc/cpu.cfs_quota_us", "100000\n");
  write("/cpuset/docker/abc/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(limit("5:cpuset:/docker/abc\n"), 0);
}

TEST_F(CgroupTree, V1ControllerMountedAsCpuAlone) {
  write("/cpu/batch/cpu.cfs_quota_us", "400000\n");
  write("/cpu/batch/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(limit("3:cpu:/batch/job7\n"), 4);  // the quota sits on the parent
}

TEST(CpuCount, AtMostTheAffinityMaskAndAtLeastOne) {
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  int n = weft__cpu_count();
  EXPECT_GE(n, 1);
  EXPECT_LE(n, CPU_COUNT(&set));
  EXPECT_LE(n, sysconf(_SC_NPROCESSORS_ONLN));
}

}  // namespace
