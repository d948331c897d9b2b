// Buffers on every device: round trips, copies, accounting, the memory cap, bad input.
#include <cstring>

#include "test_support.h"

class Buffers : public ::testing::TestWithParam<std::string> {};

TEST_P(Buffers, RoundTripAtOffsets) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  const size_t bytes = 1000003;
  std::mt19937_64 rng(1);
  std::vector<uint8_t> src(bytes), back(bytes, 0);
  for (auto &b : src) b = (uint8_t)rng();
  weft_buffer *buf = nullptr;
  ASSERT_WEFT_OK(weft_buffer_alloc(dev, bytes, &buf));
  ASSERT_WEFT_OK(weft_buffer_write(buf, 0, src.data(), bytes));
  ASSERT_WEFT_OK(weft_buffer_read(buf, 0, back.data(), bytes));
  EXPECT_EQ(src, back);
  // a sub-range, asynchronously
  std::vector<uint8_t> part(777, 0xAB), part_back(777);
  ASSERT_WEFT_OK(weft_buffer_write_async(buf, 4099, part.data(), part.size()));
  ASSERT_WEFT_OK(weft_buffer_read_async(buf, 4099, part_back.data(), part_back.size()));
  ASSERT_WEFT_OK(weft_device_synchronize(dev));
  EXPECT_EQ(part, part_back);
  ASSERT_WEFT_OK(weft_buffer_read(buf, 0, back.data(), bytes));
  EXPECT_EQ(0, memcmp(back.data(), src.data(), 4099));
  EXPECT_EQ(0, memcmp(back.data() + 4099 + 777, src.data() + 4099 + 777, bytes - 4099 - 777));
  size_t size = 0, owner = 99;
  ASSERT_WEFT_OK(weft_buffer_size(buf, &size));
  ASSERT_WEFT_OK(weft_buffer_device(buf, &owner));
  EXPECT_EQ(size, bytes);
  EXPECT_EQ(owner, dev);
  ASSERT_WEFT_OK(weft_buffer_free(buf));
}

TEST_P(Buffers, CopyWithinAndAcrossDevices) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  const size_t bytes = (9u << 20) + 13;  // more than one host staging chunk
  std::vector<uint8_t> src(bytes), back(bytes);
  std::mt19937_64 rng(2);
  for (auto &b : src) b = (uint8_t)rng();
  weft_buffer *a = nullptr, *b = nullptr, *host = nullptr;
  ASSERT_WEFT_OK(weft_buffer_alloc(dev, bytes, &a));
  ASSERT_WEFT_OK(weft_buffer_alloc(dev, bytes, &b));
  ASSERT_WEFT_OK(weft_buffer_alloc(0, bytes, &host));
  ASSERT_WEFT_OK(weft_buffer_write(a, 0, src.data(), bytes));
  ASSERT_WEFT_OK(weft_buffer_copy(b, 0, a, 0, bytes));
  ASSERT_WEFT_OK(weft_buffer_copy(host, 0, b, 0, bytes));  // device -> cpu
  ASSERT_WEFT_OK(weft_buffer_read(host, 0, back.data(), bytes));
  EXPECT_EQ(src, back);
  ASSERT_WEFT_OK(weft_buffer_copy(a, 5, host, 0, 100));  // cpu -> device, offset
  ASSERT_WEFT_OK(weft_buffer_read(a, 5, back.data(), 100));
  EXPECT_EQ(0, memcmp(back.data(), src.data(), 100));
  EXPECT_EQ(weft_buffer_copy(a, bytes - 10, b, 0, 11), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("outside dst"), std::string::npos);
  weft_buffer_free(a);
  weft_buffer_free(b);
  weft_buffer_free(host);
}

TEST_P(Buffers, AccountingAndCap) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  weft_device_info before, during, after;
  ASSERT_WEFT_OK(weft_device_get_info(dev, &before));
  weft_buffer *buf = nullptr;
  ASSERT_WEFT_OK(weft_buffer_alloc(dev, 1 << 20, &buf));
  ASSERT_WEFT_OK(weft_device_get_info(dev, &during));
  EXPECT_EQ(during.memory_used_bytes, before.memory_used_bytes + (1 << 20));
  // A cap below what is asked for fails with a message naming the device, and nothing leaks.
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev, during.memory_used_bytes + 4096));
  weft_buffer *big = nullptr;
  EXPECT_EQ(weft_buffer_alloc(dev, 8192, &big), WEFT_ERR_DEVICE_MEMORY);
  EXPECT_EQ(big, nullptr);
  std::string msg = weft_last_error();
  EXPECT_NE(msg.find(during.id), std::string::npos) << msg;
  EXPECT_NE(msg.find("8192"), std::string::npos) << msg;
  weft_buffer *small = nullptr;
  ASSERT_WEFT_OK(weft_buffer_alloc(dev, 4096, &small));
  weft_buffer_free(small);
  ASSERT_WEFT_OK(weft_device_set_memory_limit(dev, 0));  // back to the physical size
  weft_buffer_free(buf);
  ASSERT_WEFT_OK(weft_device_get_info(dev, &after));
  EXPECT_EQ(after.memory_used_bytes, before.memory_used_bytes);
  EXPECT_EQ(after.memory_limit_bytes, after.memory_bytes);
}

TEST_P(Buffers, BadInput) {
  size_t dev;
  WEFT_REQUIRE_DEVICE(GetParam(), dev);
  weft_buffer *buf = nullptr;
  EXPECT_EQ(weft_buffer_alloc(dev, 0, &buf), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(weft_last_error()).find("bytes"), std::string::npos);
  EXPECT_EQ(weft_buffer_alloc(dev, 16, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_buffer_alloc(12345, 16, &buf), WEFT_ERR_NOT_FOUND);
  ASSERT_WEFT_OK(weft_buffer_alloc(dev, 16, &buf));
  char data[32] = {0};
  EXPECT_EQ(weft_buffer_write(buf, 8, data, 9), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_buffer_write(buf, 17, data, 0), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_buffer_read(buf, 0, data, 17), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_buffer_write(nullptr, 0, data, 1), WEFT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(weft_buffer_read(buf, 0, nullptr, 4), WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_buffer_write(buf, 16, data, 0));  // empty write at the end is fine
  EXPECT_EQ(weft_buffer_size(nullptr, nullptr), WEFT_ERR_INVALID_ARGUMENT);
  ASSERT_WEFT_OK(weft_buffer_free(buf));
  ASSERT_WEFT_OK(weft_buffer_free(nullptr));
  EXPECT_EQ(weft_device_synchronize(12345), WEFT_ERR_NOT_FOUND);
}

INSTANTIATE_TEST_SUITE_P(AllDevices, Buffers, ::testing::ValuesIn(all_device_params()), param_name);
