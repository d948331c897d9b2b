/* Whether a GPU could answer, without opening a backend (gpu_probe.h). The OpenCL side
 * follows the ICD loaders (ocl-icd's and Khronos'): OCL_ICD_VENDORS (a directory, an .icd
 * file or a library) replaces the vendors directory, else OPENCL_VENDOR_PATH, else
 * /etc/OpenCL/vendors (and /usr/share/OpenCL/vendors, which some distributions use);
 * OCL_ICD_FILENAMES adds libraries. Only PoCL is known to be CPU-only, and only when its
 * drivers are: POCL_DEVICES, or else the driver modules it would load from the pocl/
 * directory beside its library. */
#define _GNU_SOURCE
#include "core/gpu_probe.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct probe {
  const char *root;
  int maybe_gpu;
  char sign[512];  /* the first sign of a possible GPU */
  char pocl[256];  /* PoCL's CPU drivers seen, for the "no GPU" text */
  int icds;
} probe;

/* Where PoCL may be when its ICD names it without a directory: the usual library
 * directories (a PoCL found nowhere counts as a possible GPU). */
static const char *const library_dirs[] = {
    "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
    "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib",
    "/usr/local/lib64"};

static const char *const pocl_cpu_drivers[] = {"basic", "pthread", "tbb", "cpu", "cpu-minimal",
                                               "cpu-tbb"};

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), t = strlen(tail);
  return n >= t && !strcmp(s + n - t, tail);
}

static void found_gpu_sign(probe *p, const char *fmt, const char *a, const char *b) {
  if (p->maybe_gpu) return;
  p->maybe_gpu = 1;
  snprintf(p->sign, sizeof p->sign, fmt, a, b);
}

static int is_cpu_driver(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof pocl_cpu_drivers / sizeof *pocl_cpu_drivers; i++)
    if (strlen(pocl_cpu_drivers[i]) == len && !strncmp(pocl_cpu_drivers[i], name, len)) return 1;
  return 0;
}

static void note_cpu_driver(probe *p, const char *name, size_t len) {
  char item[64];
  snprintf(item, sizeof item, "%.*s", (int)(len < 60 ? len : 60), name);
  if (strstr(p->pocl, item)) return;
  size_t used = strlen(p->pocl);
  if (used < sizeof p->pocl)
    snprintf(p->pocl + used, sizeof p->pocl - used, "%s%s", used ? ", " : "", item);
}

/* PoCL's drivers as POCL_DEVICES names them ("pthread basic"), space- or comma-separated. */
static void check_pocl_devices_variable(probe *p, const char *devices) {
  for (const char *s = devices; *s;) {
    size_t len = strcspn(s, " ,\t");
    if (len) {
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)(len < 60 ? len : 60), s);
      if (is_cpu_driver(s, len)) note_cpu_driver(p, s, len);
      else found_gpu_sign(p, "PoCL driver %s (POCL_DEVICES=%s)", name, devices);
    }
    s += len;
    s += strspn(s, " ,\t");
  }
}

/* The directory holding PoCL's library `lib` (as its ICD names it) into dir; 0 if unknown. */
static int pocl_library_dir(const probe *p, const char *lib, char *dir, size_t cap) {
  const char *slash = strrchr(lib, '/');
  if (slash) {
    snprintf(dir, cap, "%.*s", (int)(slash - lib), lib);
    return 1;
  }
  char path[1200];
  const char *ld = getenv("LD_LIBRARY_PATH");
  for (const char *s = ld ? ld : ""; *s;) {
    size_t len = strcspn(s, ":");
    snprintf(path, sizeof path, "%.*s/%s", (int)len, s, lib);
    if (len && exists(path)) {
      snprintf(dir, cap, "%.*s", (int)len, s);
      return 1;
    }
    s += len;
    s += *s == ':';
  }
  for (size_t i = 0; i < sizeof library_dirs / sizeof *library_dirs; i++) {
    snprintf(path, sizeof path, "%s%s/%s", p->root, library_dirs[i], lib);
    if (exists(path)) {
      snprintf(dir, cap, "%s%s", p->root, library_dirs[i]);
      return 1;
    }
  }
  return 0;
}

/* PoCL loads its drivers from <its directory>/pocl/libpocl-devices-<name>.so. */
static void check_pocl(probe *p, const char *lib) {
  const char *devices = getenv("POCL_DEVICES");
  if (devices && *devices) {
    check_pocl_devices_variable(p, devices);
    return;
  }
  char dir[1024], modules[1100];
  if (!pocl_library_dir(p, lib, dir, sizeof dir)) {
    found_gpu_sign(p, "PoCL (%s) not found, its drivers unknown%s", lib, "");
    return;
  }
  snprintf(modules, sizeof modules, "%s/pocl", dir);
  DIR *d = opendir(modules);
  if (!d) { /* drivers built into the library: which ones cannot be seen */
    found_gpu_sign(p, "PoCL (%s) has no driver directory %s", lib, modules);
    return;
  }
  const char *prefix = "libpocl-devices-";
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) || !ends_with(e->d_name, ".so")) continue;
    const char *name = e->d_name + strlen(prefix);
    size_t len = strlen(name) - 3;
    if (is_cpu_driver(name, len)) note_cpu_driver(p, name, len);
    else found_gpu_sign(p, "PoCL driver %s in %s", e->d_name, modules);
  }
  closedir(d);
}

static void check_icd_library(probe *p, const char *lib, const char *from) {
  p->icds++;
  const char *base = strrchr(lib, '/');
  base = base ? base + 1 : lib;
  if (strncmp(base, "libpocl", 7)) found_gpu_sign(p, "OpenCL ICD %s (%s)", lib, from);
  else check_pocl(p, lib);
}

/* An .icd file: the library's name on its first line. */
static void check_icd_file(probe *p, const char *path) {
  FILE *f = fopen(path, "r");
  char line[1024];
  if (!f || !fgets(line, sizeof line, f)) {
    found_gpu_sign(p, "OpenCL ICD file %s could not be read%s", path, "");
    if (f) fclose(f);
    return;
  }
  fclose(f);
  line[strcspn(line, "\r\n")] = '\0';
  size_t len = strlen(line);
  while (len && (line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = '\0';
  check_icd_library(p, line, path);
}

static void check_vendor_dir(probe *p, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return; /* no ICD there */
  char path[1400];
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.' || !ends_with(e->d_name, ".icd")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    check_icd_file(p, path);
  }
  closedir(d);
}

static void check_opencl(probe *p) {
  char path[1200];
  const char *vendors = getenv("OCL_ICD_VENDORS"), *vendor_path = getenv("OPENCL_VENDOR_PATH");
  if (vendors && *vendors) {
    if (is_dir(vendors)) check_vendor_dir(p, vendors);
    else if (ends_with(vendors, ".icd")) {
      /* a bare name is looked for in the default directory first */
      int bare = !strchr(vendors, '/');
      if (bare) snprintf(path, sizeof path, "%s/etc/OpenCL/vendors/%s", p->root, vendors);
      check_icd_file(p, bare && exists(path) ? path : vendors);
    } else check_icd_library(p, vendors, "OCL_ICD_VENDORS");
  } else if (vendor_path && *vendor_path) {
    check_vendor_dir(p, vendor_path);
  } else {
    snprintf(path, sizeof path, "%s/etc/OpenCL/vendors", p->root);
    check_vendor_dir(p, path);
    snprintf(path, sizeof path, "%s/usr/share/OpenCL/vendors", p->root);
    check_vendor_dir(p, path);
  }
  const char *files = getenv("OCL_ICD_FILENAMES");
  for (const char *s = files ? files : ""; *s;) {
    size_t len = strcspn(s, ":");
    if (len) {
      char lib[1024];
      snprintf(lib, sizeof lib, "%.*s", (int)(len < 1000 ? len : 1000), s);
      check_icd_library(p, lib, "OCL_ICD_FILENAMES");
    }
    s += len;
    s += *s == ':';
  }
}

/* The nodes a CUDA driver works through: NVIDIA's (/dev/nvidiactl, /dev/nvidia<N>), WSL's
 * (/dev/dxg) and Jetson's (/dev/nvhost-ctrl-gpu, /dev/nvmap). */
static void check_cuda(probe *p) {
  static const char *const nodes[] = {"/dev/nvidiactl", "/dev/dxg", "/dev/nvhost-ctrl-gpu",
                                      "/dev/nvmap", "/proc/driver/nvidia"};
  char path[1200];
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
    snprintf(path, sizeof path, "%s%s", p->root, nodes[i]);
    if (exists(path)) found_gpu_sign(p, "%s exists (a CUDA driver may answer)%s", nodes[i], "");
  }
  snprintf(path, sizeof path, "%s/dev", p->root);
  DIR *d = opendir(path);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));)
    if (!strncmp(e->d_name, "nvidia", 6) && e->d_name[6] >= '0' && e->d_name[6] <= '9')
      found_gpu_sign(p, "/dev/%s exists (a CUDA driver may answer)%s", e->d_name, "");
  closedir(d);
}

int weft__gpu_probe(const char *root, char *why, size_t cap) {
  probe p;
  memset(&p, 0, sizeof p);
  p.root = root ? root : "";
  check_opencl(&p);
  /* Without an ICD, a libOpenCL may be a driver itself (embedded GPUs ship one); opening
   * the backend then costs only that library, so it is not worth guessing. */
  if (!p.icds) found_gpu_sign(&p, "no OpenCL ICD listed: the OpenCL library may be a driver%s%s",
                              "", "");
  check_cuda(&p);
  if (p.maybe_gpu) snprintf(why, cap, "%s", p.sign);
  else
    snprintf(why, cap, "no GPU driver: OpenCL has only PoCL with CPU drivers (%s), and no CUDA "
             "device node exists", p.pocl[0] ? p.pocl : "none");
  return p.maybe_gpu;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int possible;
static char possible_why[600];

static void probe_once(void) { possible = weft__gpu_probe("", possible_why, sizeof possible_why); }

int weft__gpu_possible(const char **why) {
  pthread_once(&once, probe_once);
  if (why) *why = possible_why;
  return possible;
}
