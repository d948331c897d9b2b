// The library's surface: statuses, messages, version, devices and backends, exec handles.
#include <cstring>
#include <thread>

#include "test_support.h"

TEST(Api, StatusNamesAndVersion) {
  EXPECT_STREQ(weft_status_name(WEFT_OK), "WEFT_OK");
  EXPECT_STREQ(weft_status_name(WEFT_ERR_DEVICE_MEMORY), "WEFT_ERR_DEVICE_MEMORY");
  EXPECT_STREQ(weft_status_name((weft_status)999), "WEFT_ERR_UNKNOWN");
  int major = -1, minor = -1, patch = -1;
  ASSERT_WEFT_OK(weft_version(&major, &minor, &patch));
  EXPECT_EQ(std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch),
            weft_version_string());
  EXPECT_EQ(weft_version(nullptr, &minor, &patch), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("major"), std::string::npos);
}

TEST(Api, LastErrorIsPerThread) {
  EXPECT_EQ(weft_device_count(nullptr), WEFT_ERR_INVALID_ARGUMENT);
  std::string here = weft_last_error();
  EXPECT_NE(here.find("count is NULL"), std::string::npos);
  std::string other = "unset";
  std::thread t([&] { other = weft_last_error(); });
  t.join();
  EXPECT_EQ(other, "");
}

TEST(Api, CpuIsAlwaysDeviceZero) {
  size_t n = 0;
  ASSERT_WEFT_OK(weft_device_count(&n));
  ASSERT_GE(n, 1u);
  weft_device_info info;
  ASSERT_WEFT_OK(weft_device_get_info(0, &info));
  EXPECT_EQ(info.kind, WEFT_DEVICE_CPU);
  EXPECT_STREQ(info.id, "cpu:0");
  EXPECT_GT(info.memory_bytes, 0u);
  EXPECT_GE(info.compute_units, 1);
  EXPECT_EQ(weft_device_get_info(n, &info), WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find(std::to_string(n)), std::string::npos);
  EXPECT_EQ(weft_device_get_info(0, nullptr), WEFT_ERR_INVALID_ARGUMENT);
}

TEST(Api, EveryDeviceHasUniqueIdFoundByFind) {
  size_t n = 0;
  ASSERT_WEFT_OK(weft_device_count(&n));
  for (size_t i = 0; i < n; i++) {
    weft_device_info info;
    ASSERT_WEFT_OK(weft_device_get_info(i, &info));
    size_t found = 999;
    ASSERT_WEFT_OK(weft_device_find(info.id, &found));
    EXPECT_EQ(found, i) << info.id;
    EXPECT_GT(strlen(info.name), 0u) << info.id;
    EXPECT_EQ(info.memory_limit_bytes, info.memory_bytes) << info.id;
  }
}

TEST(Api, UnknownDevicesAreErrors) {
  size_t idx;
  EXPECT_EQ(weft_device_find("tpu:0", &idx), WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find("tpu"), std::string::npos);
  EXPECT_EQ(weft_device_find("cpu:x", &idx), WEFT_ERR_NOT_FOUND);
  EXPECT_EQ(weft_device_find("cpu:7", &idx), WEFT_ERR_NOT_FOUND);
  EXPECT_EQ(weft_device_find("", &idx), WEFT_ERR_NOT_FOUND);
  EXPECT_EQ(weft_device_find(nullptr, &idx), WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_device_find("cpu", &idx));
  EXPECT_EQ(idx, 0u);
}

TEST(Api, BackendsListedWithReasons) {
  size_t n = 0;
  ASSERT_WEFT_OK(weft_backend_count(&n));
  ASSERT_EQ(n, 3u);
  const char *names[] = {"cpu", "opencl", "cuda"};
  for (size_t i = 0; i < n; i++) {
    weft_backend_info info;
    ASSERT_WEFT_OK(weft_backend_get_info(i, &info));
    EXPECT_STREQ(info.name, names[i]);
    if (!info.loaded) {
      EXPECT_GT(strlen(info.reason), 0u) << info.name << " skipped without reason";
    }
    if (info.loaded && i > 0) {
      EXPECT_GT(strlen(info.library), 0u);
    }
  }
  weft_backend_info cpu;
  ASSERT_WEFT_OK(weft_backend_get_info(0, &cpu));
  EXPECT_EQ(cpu.loaded, 1);
  EXPECT_EQ(cpu.device_count, 1);
  weft_backend_info info;
  EXPECT_EQ(weft_backend_get_info(n, &info), WEFT_ERR_NOT_FOUND);
}

TEST(Api, ExecValidatesDevices) {
  weft_exec *e = nullptr;
  ASSERT_WEFT_OK(weft_exec_create(&e));
  EXPECT_EQ(weft_exec_set_device(e, "tpu"), WEFT_ERR_NOT_FOUND);
  EXPECT_NE(std::string(weft_last_error()).find("tpu"), std::string::npos);
  EXPECT_EQ(weft_exec_set_device(e, "cpu,gpu"), WEFT_ERR_NOT_FOUND);
  EXPECT_EQ(weft_exec_set_device(e, ""), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_exec_set_device(nullptr, "cpu"), WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_exec_set_device(e, "cpu"));
  ASSERT_WEFT_OK(weft_exec_set_device(e, "auto"));
  EXPECT_EQ(weft_exec_set_strict(nullptr, 1), WEFT_ERR_INVALID_ARGUMENT);
  const char *text = nullptr;
  ASSERT_WEFT_OK(weft_exec_report(e, &text));
  EXPECT_STREQ(text, "");
  ASSERT_WEFT_OK(weft_exec_free(e));
  ASSERT_WEFT_OK(weft_exec_free(nullptr));
}
