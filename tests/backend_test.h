// Tests that drive a backend's table of functions directly (dlopen of libweft_opencl.so or
// libweft_cuda.so, no libweft.so): the host API they are given, and loading one. The
// libraries come from the build (WEFT_OPENCL_LIBRARY, WEFT_CUDA_LIBRARY); an absent one, or
// one with no device, is a reason to skip, never a pass.
#pragma once
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdarg>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>

#include "core/backend_impl.h"

namespace backend_test {

inline thread_local std::string g_message;

inline weft_status set_error(weft_status status, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  g_message = buf;
  return status;
}

inline const weft__host_api kHost = {WEFT_BACKEND_ABI_VERSION, set_error};

struct Param {
  const char *name;
  const char *library;  // "" when the backend is not built
};

inline void PrintTo(const Param &p, std::ostream *os) { *os << p.name; }

// A loaded backend, or why not.
struct Loaded {
  const weft__backend *be = nullptr;
  std::string skip;
};

inline Loaded load(const Param &p) {
  Loaded l;
  if (!*p.library) {
    l.skip = "backend not built";
    return l;
  }
  // stays loaded: CUDA and OpenCL runtimes do not like being unloaded
  void *dl = dlopen(p.library, RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    l.skip = std::string("cannot load: ") + dlerror();
    return l;
  }
  auto entry = (weft__backend_entry_fn)dlsym(dl, WEFT_BACKEND_ENTRY_SYMBOL);
  const weft__backend *be = entry ? entry(WEFT_BACKEND_ABI_VERSION) : nullptr;
  if (!be) {
    l.skip = "no entry point for this ABI";
    return l;
  }
  if (be->init(&kHost) != WEFT_OK || be->device_count() < 1) {
    l.skip = "no device: " + g_message;
    return l;
  }
  l.be = be;
  return l;
}

#ifndef WEFT_OPENCL_LIBRARY
#define WEFT_OPENCL_LIBRARY ""
#endif
#ifndef WEFT_CUDA_LIBRARY
#define WEFT_CUDA_LIBRARY ""
#endif

// A test over one backend's table: loaded once per backend for the whole binary, skipped
// with the reason when it cannot be.
class BackendTest : public ::testing::TestWithParam<Param> {
 protected:
  const weft__backend *be_ = nullptr;
  void SetUp() override {
    static std::map<std::string, Loaded> loaded;
    auto it = loaded.find(GetParam().name);
    if (it == loaded.end()) it = loaded.emplace(GetParam().name, load(GetParam())).first;
    if (!it->second.be) GTEST_SKIP() << GetParam().name << ": " << it->second.skip;
    be_ = it->second.be;
  }
};

// Every backend a test of this kind runs on, and its name in the test's.
inline auto all_backends() {
  return ::testing::Values(Param{"opencl", WEFT_OPENCL_LIBRARY}, Param{"cuda", WEFT_CUDA_LIBRARY});
}
inline std::string backend_name(const ::testing::TestParamInfo<Param> &i) { return i.param.name; }

}  // namespace backend_test
