// One GPU seen by OpenCL (NVIDIA's ICD) and CUDA is listed once, as CUDA
// (host/core/device_dedup.c, hidden in libweft.so and compiled in here), on fake device lists.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/device_dedup.h"

namespace {

weft__device_desc gpu(const char *name, int known, uint32_t domain, uint32_t bus, uint32_t dev) {
  weft__device_desc d;
  memset(&d, 0, sizeof d);
  snprintf(d.name, sizeof d.name, "%s", name);
  d.is_gpu = 1;
  d.pci_known = known, d.pci_domain = domain, d.pci_bus = bus, d.pci_device = dev;
  return d;
}

weft__device_desc cpu_device() {
  weft__device_desc d = gpu("pthread-AMD EPYC", 0, 0, 0, 0);
  d.is_gpu = 0;
  return d;
}

std::vector<int> match(const std::vector<weft__device_desc> &ocl,
                       const std::vector<weft__device_desc> &cuda, size_t *n = nullptr) {
  std::vector<int> same(ocl.size(), 99);
  size_t m = weft__match_same_gpu(ocl.data(), ocl.size(), cuda.data(), cuda.size(), same.data());
  if (n) *n = m;
  return same;
}

// An H100 machine: PoCL's CPU device and NVIDIA's OpenCL view of the card, whose bus and slot
// (cl_nv_device_attribute_query, no domain) are CUDA's pciBusID / pciDeviceID.
TEST(DeviceDedup, NvidiaOpenClViewOfTheCudaGpu) {
  size_t n = 0;
  auto same = match({cpu_device(), gpu("NVIDIA H100 80GB HBM3", 1, 0, 0x3b, 0)},
                    {gpu("NVIDIA H100 80GB HBM3", 2, 0, 0x3b, 0)}, &n);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(same, (std::vector<int>{-1, 0}));
}

// Two identical cards: each OpenCL device goes to the CUDA device at its address, whatever
// the order the two runtimes list them in.
TEST(DeviceDedup, TwoIdenticalCardsByAddress) {
  auto same = match({gpu("NVIDIA H100", 2, 0, 0x9a, 0), gpu("NVIDIA H100", 2, 0, 0x3b, 0)},
                    {gpu("NVIDIA H100", 2, 0, 0x3b, 0), gpu("NVIDIA H100", 2, 0, 0x9a, 0)});
  EXPECT_EQ(same, (std::vector<int>{1, 0}));
}

// Different domains are different cards when both sides know the domain.
TEST(DeviceDedup, DomainsCompareWhenBothKnowThem) {
  EXPECT_EQ(match({gpu("A", 2, 1, 0x3b, 0)}, {gpu("A", 2, 0, 0x3b, 0)}), (std::vector<int>{-1}));
  EXPECT_EQ(match({gpu("A", 1, 0, 0x3b, 0)}, {gpu("A", 2, 7, 0x3b, 0)}), (std::vector<int>{0}));
}

// Another vendor's GPU (an AMD card through its ICD) is a different card from the CUDA one,
// even with an address of its own: both are listed.
TEST(DeviceDedup, AnotherCardStaysListed) {
  size_t n = 9;
  auto same = match({gpu("gfx1100", 2, 0, 0x03, 0)}, {gpu("NVIDIA RTX 4090", 2, 0, 0x01, 0)}, &n);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(same, (std::vector<int>{-1}));
}

// Without an address on one side, an identical name matches, each CUDA device once.
TEST(DeviceDedup, NameWhenTheAddressIsUnknown) {
  auto same = match({gpu("NVIDIA A100", 0, 0, 0, 0), gpu("NVIDIA A100", 0, 0, 0, 0),
                     gpu("NVIDIA A100", 0, 0, 0, 0)},
                    {gpu("NVIDIA A100", 2, 0, 1, 0), gpu("NVIDIA A100", 2, 0, 2, 0)});
  EXPECT_EQ(same, (std::vector<int>{0, 1, -1}));
  // a known, different address is never overridden by the name
  EXPECT_EQ(match({gpu("NVIDIA A100", 1, 0, 5, 0)}, {gpu("NVIDIA A100", 2, 0, 1, 0)}),
            (std::vector<int>{-1}));
}

// An address match is made before any name match takes the card.
TEST(DeviceDedup, AddressMatchesComeFirst) {
  auto same = match({gpu("NVIDIA L4", 0, 0, 0, 0), gpu("NVIDIA L4", 1, 0, 0x21, 0)},
                    {gpu("NVIDIA L4", 2, 0, 0x21, 0)});
  EXPECT_EQ(same, (std::vector<int>{-1, 0}));
}

// No CUDA device, or no OpenCL device: nothing matches; CPU devices never do.
TEST(DeviceDedup, NothingToMatch) {
  EXPECT_EQ(match({cpu_device(), gpu("X", 2, 0, 1, 0)}, {}), (std::vector<int>{-1, -1}));
  EXPECT_EQ(match({}, {gpu("X", 2, 0, 1, 0)}), (std::vector<int>{}));
  weft__device_desc c = cpu_device();
  EXPECT_EQ(match({c}, {c}), (std::vector<int>{-1}));
}

}  // namespace
