/* Whether any GPU could answer, decided without opening a backend: the OpenCL ICDs the
 * loader would load (PoCL with CPU drivers only cannot give a GPU) and the device nodes a
 * CUDA driver needs. "auto" uses it so that a machine without a GPU never maps PoCL + LLVM
 * (about 67 MiB) only for auto to discard PoCL's CPU device. It errs towards "maybe": any
 * ICD or driver it does not know as CPU-only counts as a possible GPU, and so does finding
 * no ICD at all (opening the backends costs little then). */
#ifndef WEFT_HOST_GPU_PROBE_H
#define WEFT_HOST_GPU_PROBE_H

#include <stddef.h>

/* 1 when a GPU may be present (`why` names the first sign), 0 when none can be (`why` says
 * what was found instead). System paths (/etc/OpenCL/vendors, /dev, library directories)
 * are read under `root` ("" for the real ones; tests build a fake tree); the loaders'
 * variables (OCL_ICD_VENDORS, OPENCL_VENDOR_PATH, OCL_ICD_FILENAMES, POCL_DEVICES) are read
 * from the environment as given. */
int weft__gpu_probe(const char *root, char *why, size_t cap);

/* weft__gpu_probe of the real system, run once a process; *why (may be NULL) gets its
 * static text. */
int weft__gpu_possible(const char **why);

#endif
