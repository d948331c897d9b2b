/* A fake device backend for tests/test_same_gpu_listed_once.cc: built twice, as
 * libweft_opencl.so (FAKE_OPENCL) and libweft_cuda.so, into a folder WEFT_BACKEND_PATH points
 * at. It lists devices (as an H100 machine with an AMD card would: NVIDIA's OpenCL ICD shows
 * the H100 again) and runs nothing: only init, device_count and device_desc are set. */
#include <stdio.h>
#include <string.h>

#include "core/backend_impl.h"

typedef struct {
  const char *name;
  int is_gpu, pci_known;
  uint32_t domain, bus, device;
} fake_device;

#ifdef FAKE_OPENCL
static const fake_device devs[] = {
    {"pthread-fake-cpu", 0, 0, 0, 0, 0},
    {"NVIDIA H100 80GB HBM3", 1, 1, 0, 0x3b, 0}, /* cl_nv_device_attribute_query: no domain */
    {"AMD Radeon PRO W7900", 1, 2, 0, 0x03, 0},
};
#define FAKE_NAME "opencl"
#else
static const fake_device devs[] = {{"NVIDIA H100 80GB HBM3", 1, 2, 0, 0x3b, 0}};
#define FAKE_NAME "cuda"
#endif

static weft_status fake_init(const weft__host_api *host) { return host ? WEFT_OK : WEFT_ERR_INVALID_ARGUMENT; }
static void fake_shutdown(void) {}
static int fake_device_count(void) { return (int)(sizeof devs / sizeof *devs); }
static weft_status fake_device_desc(int dev, weft__device_desc *out) {
  if (dev < 0 || dev >= fake_device_count()) return WEFT_ERR_NOT_FOUND;
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", devs[dev].name);
  out->memory_bytes = out->max_alloc_bytes = (uint64_t)1 << 30;
  out->compute_units = 8;
  out->has_fp64 = 1;
  out->is_gpu = devs[dev].is_gpu;
  out->pci_known = devs[dev].pci_known;
  out->pci_domain = devs[dev].domain, out->pci_bus = devs[dev].bus, out->pci_device = devs[dev].device;
  return WEFT_OK;
}

static const weft__backend fake_backend = {
    .abi_version = WEFT_BACKEND_ABI_VERSION,
    .name = FAKE_NAME,
    .init = fake_init,
    .shutdown = fake_shutdown,
    .device_count = fake_device_count,
    .device_desc = fake_device_desc,
};

WEFT_API const weft__backend *weft_backend_entry(uint32_t abi_version) {
  return abi_version == WEFT_BACKEND_ABI_VERSION ? &fake_backend : NULL;
}
