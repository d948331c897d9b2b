/* weft's tiled OpenCL GEMM (weft_knn_gemm, kernels/knn_gemm.kern) against CLBlast's SGEMM on
 * the k-NN inner-product shape: C = Q * X^T, Q nq x dim and X nb x dim row-major float32, C
 * row-major nq x nb (what opencl/opencl_knn.c launches per base shard of up to 65,536 rows).
 *
 * Standalone, not part of the CMake build (weft does not link CLBlast). Needs libclblast-dev
 * (Debian) and an OpenCL ICD. From the repository root:
 *
 *   gcc -O2 -std=c11 -Wall -o build/opencl_gemm_clblast bench/opencl_gemm_clblast.c -lclblast -lOpenCL -lm
 *   build/opencl_gemm_clblast [--shapes 256x4096,1024x65536] [--dim 128] [--repeat 5] [--kernels kernels]
 *                             [--clblast-kernel default|direct|indirect]
 *
 * One context and queue on the first OpenCL device (PoCL on CI machines). The weft kernel is
 * built from kernels/dialect.h + kernels/knn_gemm.kern concatenated with #line headers, as
 * opencl/embed_kernels.cmake and opencl/opencl_program.c do (same build options), and
 * launched as opencl_knn.c does (local size 256, min(tiles, 65536) groups). Both products run
 * on the same device buffers of uniform [0, 1) data (like bench/knn.py's "uniform"); each is
 * timed as enqueue + clFinish, best of --repeat after one warm-up (which builds the programs).
 * Both results are checked against a float64 host product (max |c - ref| / |ref|), weft's
 * against the host's sequential fmaf sum (the CPU backend's order: must be bit-identical), and
 * CLBlast's against weft's bit for bit (how many of the nq x nb outputs differ). */
#define _POSIX_C_SOURCE 200809L
#define CL_TARGET_OPENCL_VERSION 120
#include <clblast_c.h>
#include <CL/cl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEFT_GROUP 256
#define WEFT_MAX_GROUPS 65536
#define WEFT_TILE 64

static void die(const char *what, cl_int err) {
  fprintf(stderr, "error: %s (%d)\n", what, (int)err);
  exit(1);
}
#define CHECK(call)                     \
  do {                                  \
    cl_int err_ = (call);               \
    if (err_ != CL_SUCCESS) die(#call, err_); \
  } while (0)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) {
    fprintf(stderr, "error: out of host memory (%zu bytes)\n", n);
    exit(1);
  }
  return p;
}

/* "#line 1 \"name\"\n" + the file + "\n", appended to *src. */
static void append_file(char **src, size_t *len, const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "error: cannot open %s (run from the repository root or pass --kernels)\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char header[256];
  int hl = snprintf(header, sizeof header, "#line 1 \"%s\"\n", name);
  *src = realloc(*src, *len + hl + size + 2);
  if (!*src) die("realloc", 0);
  memcpy(*src + *len, header, hl);
  *len += hl;
  if (fread(*src + *len, 1, size, f) != (size_t)size) die("fread", 0);
  *len += size;
  (*src)[(*len)++] = '\n';
  (*src)[*len] = '\0';
  fclose(f);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float uniform01(void) { /* xorshift64*, 24 bits */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (float)((rng_state * 0x2545F4914F6CDD1Dull) >> 40) * (1.0f / 16777216.0f);
}

typedef struct {
  cl_context ctx;
  cl_command_queue queue;
  cl_device_id dev;
  cl_kernel gemm;
} env;

static double run_weft(env *e, cl_mem q, cl_mem x, cl_mem c, cl_ulong nq, cl_ulong nb,
                       cl_ulong dim) {
  double t0 = now();
  CHECK(clSetKernelArg(e->gemm, 0, sizeof q, &q));
  CHECK(clSetKernelArg(e->gemm, 1, sizeof x, &x));
  CHECK(clSetKernelArg(e->gemm, 2, sizeof c, &c));
  CHECK(clSetKernelArg(e->gemm, 3, sizeof nq, &nq));
  CHECK(clSetKernelArg(e->gemm, 4, sizeof nb, &nb));
  CHECK(clSetKernelArg(e->gemm, 5, sizeof dim, &dim));
  uint64_t tiles = (nq + WEFT_TILE - 1) / WEFT_TILE * ((nb + WEFT_TILE - 1) / WEFT_TILE);
  size_t groups = tiles > WEFT_MAX_GROUPS ? WEFT_MAX_GROUPS : (size_t)tiles;
  size_t local = WEFT_GROUP, global = groups * local;
  CHECK(clEnqueueNDRangeKernel(e->queue, e->gemm, 1, NULL, &global, &local, 0, NULL, NULL));
  CHECK(clFinish(e->queue));
  return now() - t0;
}

static double run_clblast(env *e, cl_mem q, cl_mem x, cl_mem c, size_t nq, size_t nb,
                          size_t dim) {
  double t0 = now();
  CLBlastStatusCode s = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                                     nq, nb, dim, 1.0f, q, 0, dim, x, 0, dim, 0.0f, c, 0, nb,
                                     &e->queue, NULL);
  if (s != CLBlastSuccess) die("CLBlastSgemm", s);
  CHECK(clFinish(e->queue));
  return now() - t0;
}

typedef struct {
  double max_rel;        /* max |c - ref64| / |ref64| */
  size_t differ_fmaf;    /* outputs whose bits differ from the sequential fmaf sum */
} check_result;

/* ref64 and the sequential fmaf sum, 8 base rows at a time; compares c_a and c_b (either may
 * be NULL) in the same pass. */
static void check(const float *qh, const float *xh, size_t nq, size_t nb, size_t dim,
                  const float *c_a, const float *c_b, check_result *ra, check_result *rb) {
  memset(ra, 0, sizeof *ra);
  memset(rb, 0, sizeof *rb);
  for (size_t i = 0; i < nq; i++) {
    const float *qi = qh + i * dim;
    for (size_t j0 = 0; j0 < nb; j0 += 8) {
      size_t n = nb - j0 < 8 ? nb - j0 : 8;
      double acc[8] = {0};
      float accf[8] = {0};
      for (size_t d = 0; d < dim; d++)
        for (size_t b = 0; b < n; b++) {
          float xv = xh[(j0 + b) * dim + d];
          acc[b] += (double)qi[d] * xv;
          accf[b] = fmaf(qi[d], xv, accf[b]);
        }
      for (size_t b = 0; b < n; b++) {
        size_t o = i * nb + j0 + b;
        const float *cs[2] = {c_a, c_b};
        check_result *rs[2] = {ra, rb};
        for (int w = 0; w < 2; w++) {
          if (!cs[w]) continue;
          double rel = fabs(cs[w][o] - acc[b]) / fabs(acc[b]);
          if (!(rel <= rs[w]->max_rel)) rs[w]->max_rel = rel; /* NaN sticks */
          if (memcmp(&cs[w][o], &accf[b], sizeof(float)) != 0) rs[w]->differ_fmaf++;
        }
      }
    }
  }
}

int main(int argc, char **argv) {
  const char *kdir = "kernels";
  const char *shapes = "256x4096,256x16384,256x65536,1024x4096,1024x16384,1024x65536";
  size_t dim = 128;
  int repeat = 5;
  const char *path = "default"; /* CLBlast's choice between XgemmDirect and the padded Xgemm */
  for (int a = 1; a < argc; a++) {
    if (!strcmp(argv[a], "--kernels") && a + 1 < argc) kdir = argv[++a];
    else if (!strcmp(argv[a], "--shapes") && a + 1 < argc) shapes = argv[++a];
    else if (!strcmp(argv[a], "--dim") && a + 1 < argc) dim = strtoul(argv[++a], NULL, 10);
    else if (!strcmp(argv[a], "--repeat") && a + 1 < argc) repeat = atoi(argv[++a]);
    else if (!strcmp(argv[a], "--clblast-kernel") && a + 1 < argc) path = argv[++a];
    else {
      fprintf(stderr,
              "usage: %s [--shapes NQxNB,...] [--dim D] [--repeat N] [--kernels DIR]\n"
              "          [--clblast-kernel default|direct|indirect]\n", argv[0]);
      return 2;
    }
  }
  if (dim == 0 || repeat < 1) return 2;
  if (strcmp(path, "default") && strcmp(path, "direct") && strcmp(path, "indirect")) return 2;

  env e = {0};
  cl_platform_id plat;
  CHECK(clGetPlatformIDs(1, &plat, NULL));
  CHECK(clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 1, &e.dev, NULL));
  char pver[256] = "", dname[256] = "", dver[256] = "";
  cl_uint units = 0;
  clGetPlatformInfo(plat, CL_PLATFORM_VERSION, sizeof pver, pver, NULL);
  clGetDeviceInfo(e.dev, CL_DEVICE_NAME, sizeof dname, dname, NULL);
  clGetDeviceInfo(e.dev, CL_DRIVER_VERSION, sizeof dver, dver, NULL);
  clGetDeviceInfo(e.dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
  cl_device_fp_config fp64 = 0;
  clGetDeviceInfo(e.dev, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL);
  double load[3] = {0};
  FILE *la = fopen("/proc/loadavg", "r");
  if (la) {
    if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    fclose(la);
  }
  printf("platform: %s\ndevice: %s, driver %s, %u compute units\n", pver, dname, dver, units);
  printf("CLBlast %d.%d.%d (header)\n", CLBLAST_VERSION_MAJOR, CLBLAST_VERSION_MINOR,
         CLBLAST_VERSION_PATCH);
  /* CLBlast runs XgemmDirect when m n k < XGEMM_MIN_INDIRECT_SIZE^3, else pads/transposes into
   * temporaries and runs Xgemm: force one or the other */
  if (strcmp(path, "default")) {
    const char *names[] = {"XGEMM_MIN_INDIRECT_SIZE"};
    size_t values[] = {strcmp(path, "direct") ? 0 : (size_t)1 << 20};
    CLBlastStatusCode s = CLBlastOverrideParameters(e.dev, "GemmRoutine", CLBlastPrecisionSingle, 1,
                                                    names, values);
    if (s != CLBlastSuccess) die("CLBlastOverrideParameters(GemmRoutine)", s);
  }
  printf("CLBlast kernel: %s\n", strcmp(path, "default") ? path : "CLBlast's choice (default)");
  printf("dim %zu, best of %d after a warm-up; load average at start %.2f %.2f %.2f\n", dim,
         repeat, load[0], load[1], load[2]);

  cl_int err;
  e.ctx = clCreateContext(NULL, 1, &e.dev, NULL, NULL, &err);
  if (err != CL_SUCCESS) die("clCreateContext", err);
  e.queue = clCreateCommandQueue(e.ctx, e.dev, 0, &err);
  if (err != CL_SUCCESS) die("clCreateCommandQueue", err);

  char *src = NULL;
  size_t len = 0;
  append_file(&src, &len, kdir, "dialect.h");
  append_file(&src, &len, kdir, "knn_gemm.kern");
  const char *srcs[] = {src};
  cl_program prog = clCreateProgramWithSource(e.ctx, 1, srcs, NULL, &err);
  if (err != CL_SUCCESS) die("clCreateProgramWithSource", err);
  err = clBuildProgram(prog, 1, &e.dev, fp64 ? "-DWK_HAS_FP64" : "", NULL, NULL);
  if (err != CL_SUCCESS) {
    char log[8192] = "";
    clGetProgramBuildInfo(prog, e.dev, CL_PROGRAM_BUILD_LOG, sizeof log, log, NULL);
    fprintf(stderr, "build log:\n%s\n", log);
    die("clBuildProgram", err);
  }
  e.gemm = clCreateKernel(prog, "weft_knn_gemm", &err);
  if (err != CL_SUCCESS) die("clCreateKernel(weft_knn_gemm)", err);
  size_t wg = 0;
  CHECK(clGetKernelWorkGroupInfo(e.gemm, e.dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL));
  if (wg < WEFT_GROUP) {
    fprintf(stderr, "error: weft_knn_gemm needs work-groups of 256; the device allows %zu\n", wg);
    return 1;
  }

  printf("\n| nq | nb | dim | weft GFLOP/s | CLBlast GFLOP/s | CLBlast/weft | weft max rel err | "
         "CLBlast max rel err | weft = host fmaf | CLBlast = weft (bit-identical) |\n");
  printf("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
  fflush(stdout);
  int status = 0;
  for (const char *p = shapes; *p;) {
    char *end;
    size_t nq = strtoul(p, &end, 10);
    if (*end != 'x') die("--shapes: expected NQxNB", 0);
    size_t nb = strtoul(end + 1, &end, 10);
    p = *end == ',' ? end + 1 : end;
    if (nq == 0 || nb == 0) die("--shapes: zero size", 0);

    float *qh = xmalloc(nq * dim * sizeof(float)), *xh = xmalloc(nb * dim * sizeof(float));
    for (size_t i = 0; i < nq * dim; i++) qh[i] = uniform01();
    for (size_t i = 0; i < nb * dim; i++) xh[i] = uniform01();
    cl_mem q = clCreateBuffer(e.ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                              nq * dim * sizeof(float), qh, &err);
    if (err != CL_SUCCESS) die("clCreateBuffer(q)", err);
    cl_mem x = clCreateBuffer(e.ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                              nb * dim * sizeof(float), xh, &err);
    if (err != CL_SUCCESS) die("clCreateBuffer(x)", err);
    cl_mem cw = clCreateBuffer(e.ctx, CL_MEM_READ_WRITE, nq * nb * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS) die("clCreateBuffer(c weft)", err);
    cl_mem cb = clCreateBuffer(e.ctx, CL_MEM_READ_WRITE, nq * nb * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS) die("clCreateBuffer(c clblast)", err);

    /* warm-up: builds CLBlast's program for this device (cached afterwards), pages in buffers */
    run_weft(&e, q, x, cw, nq, nb, dim);
    run_clblast(&e, q, x, cb, nq, nb, dim);
    double tw = 1e30, tb = 1e30;
    for (int r = 0; r < repeat; r++) { /* alternate, so drifting load hits both alike */
      double t = run_weft(&e, q, x, cw, nq, nb, dim);
      if (t < tw) tw = t;
      t = run_clblast(&e, q, x, cb, nq, nb, dim);
      if (t < tb) tb = t;
    }
    float *hw = xmalloc(nq * nb * sizeof(float)), *hb = xmalloc(nq * nb * sizeof(float));
    CHECK(clEnqueueReadBuffer(e.queue, cw, CL_TRUE, 0, nq * nb * sizeof(float), hw, 0, NULL, NULL));
    CHECK(clEnqueueReadBuffer(e.queue, cb, CL_TRUE, 0, nq * nb * sizeof(float), hb, 0, NULL, NULL));
    check_result rw, rb;
    check(qh, xh, nq, nb, dim, hw, hb, &rw, &rb);
    size_t differ = 0;
    for (size_t i = 0; i < nq * nb; i++) differ += memcmp(&hw[i], &hb[i], sizeof(float)) != 0;

    double flop = 2.0 * nq * nb * dim;
    char same_fmaf[64], same_cb[64];
    if (rw.differ_fmaf == 0) snprintf(same_fmaf, sizeof same_fmaf, "yes");
    else snprintf(same_fmaf, sizeof same_fmaf, "NO (%zu differ)", rw.differ_fmaf);
    if (differ == 0) snprintf(same_cb, sizeof same_cb, "yes");
    else snprintf(same_cb, sizeof same_cb, "no (%.1f%% of outputs differ)", 100.0 * differ / (nq * nb));
    printf("| %zu | %zu | %zu | %.1f | %.1f | %.2f | %.2e | %.2e | %s | %s |\n", nq, nb, dim,
           flop / tw * 1e-9, flop / tb * 1e-9, tw / tb, rw.max_rel, rb.max_rel, same_fmaf, same_cb);
    fflush(stdout);
    if (rw.differ_fmaf != 0 || !(rw.max_rel <= 1e-5) || !(rb.max_rel <= 1e-5)) status = 1;

    free(hw);
    free(hb);
    free(qh);
    free(xh);
    clReleaseMemObject(q);
    clReleaseMemObject(x);
    clReleaseMemObject(cw);
    clReleaseMemObject(cb);
  }
  clReleaseKernel(e.gemm);
  clReleaseProgram(prog);
  clReleaseCommandQueue(e.queue);
  clReleaseContext(e.ctx);
  free(src);
  return status;
}
