/* The precision rule of k-NN searches (knn_precision.h). Every choice gives the same answer;
 * this only decides speed. "auto" takes a certified pass where its instruction does more
 * multiply-adds a second than fp32 FMA on this core (measured once: some CPUs run VDPBF16PS
 * at half the FMA's rate, where the pass could only lose) and the shape leaves the re-rank
 * small; int8 first (VPDPBUSD: 64 multiply-adds an instruction, exact sums), then bf16. */
#include "vector/knn_precision.h"

#include <stdio.h>

#include "vector/cpu_dot_bf16.h"
#include "vector/cpu_dot_int8.h"
#include "vector/index_flat.h"
#include "vector/knn_certified.h"

/* auto: the pass pays only when its instruction outruns FMA by this much (the bound's
 * bookkeeping and the re-rank cost some 10-20% of the bf16 scan; the int8 products are
 * cheaper, so the same bookkeeping weighs more) */
#define AUTO_MIN_RATE_RATIO_BF16 1.3
#define AUTO_MIN_RATE_RATIO_INT8 1.5
/* auto: below these the scan is short and the pass's setup is not repaid */
#define AUTO_MIN_ROWS 32768
#define AUTO_MIN_QUERIES 32
#define AUTO_MIN_DIM 32
/* auto: k at most this share of the rows, or the survivors outnumber the saving; the int8
 * bound's window is wider (about 4x bf16's residual one), so it takes a smaller share */
#define AUTO_MAX_K_SHARE 64
#define AUTO_MAX_K_SHARE_INT8 1024

#define SAY(...) snprintf(out->why, sizeof out->why, __VA_ARGS__)

/* Whether `pass` can run at all here; if not, why (into out->why, after `how`). */
static int can_run(int pass, const char *how, const weft_index *ix, size_t k,
                   weft__knn_precision *out) {
  if (k > WEFT_KNN_CERTIFIED_MAX_K) {
    SAY("%s, but k = %zu is above the certified pass's %zu", how, k, WEFT_KNN_CERTIFIED_MAX_K);
    return 0;
  }
  if (pass == WEFT__KNN_PASS_BF16) {
    if (weft__bf16_cpu_has()) return 1;
    SAY("%s, but this CPU has no AVX512_BF16", how);
    return 0;
  }
  if (ix->dim > WEFT_KNN_INT8_MAX_DIM) {
    SAY("%s, but dim %zu is above the int8 pass's %zu (its int32 sums could overflow)", how,
        ix->dim, WEFT_KNN_INT8_MAX_DIM);
    return 0;
  }
  out->scalar = weft__int8_force_scalar();
  if (out->scalar || weft__int8_cpu_has()) return 1;
  SAY("%s, but this CPU has no AVX512_VNNI", how);
  return 0;
}

void weft__knn_precision_choose(int asked, const weft_index *ix, size_t nq, size_t k,
                                int devices_only, weft__knn_precision *out) {
  out->pass = 0;
  out->scalar = 0;
  if (asked == WEFT_PRECISION_FP32) {
    SAY("asked");
    return;
  }
  if (asked == WEFT_PRECISION_BF16 || asked == WEFT_PRECISION_INT8) {
    int pass = asked == WEFT_PRECISION_BF16 ? WEFT__KNN_PASS_BF16 : WEFT__KNN_PASS_INT8;
    if (can_run(pass, pass == WEFT__KNN_PASS_BF16 ? "bf16 asked" : "int8 asked", ix, k, out)) {
      out->pass = pass;
      SAY(out->scalar ? "asked; the portable kernel (WEFT_TEST_KNN_INT8_SCALAR)" : "asked");
    } else if (devices_only && k <= WEFT_KNN_CERTIFIED_MAX_K &&
               (pass == WEFT__KNN_PASS_BF16 || ix->dim <= WEFT_KNN_INT8_MAX_DIM)) {
      out->pass = pass;
      out->scalar = 0;
      SAY("asked; devices only (strict), whatever this CPU has");
    }
    return;
  }
  if (ix->count < AUTO_MIN_ROWS || nq < AUTO_MIN_QUERIES || ix->dim < AUTO_MIN_DIM ||
      k * AUTO_MAX_K_SHARE > ix->count) {
    SAY("auto: %zu rows of dim %zu, %zu queries at k = %zu: a certified pass needs %d rows, "
        "%d queries, dim %d and k at most 1/%d of the rows", ix->count, ix->dim, nq, k,
        AUTO_MIN_ROWS, AUTO_MIN_QUERIES, AUTO_MIN_DIM, AUTO_MAX_K_SHARE);
    return;
  }
  char int8_why[240];
  if (k * AUTO_MAX_K_SHARE_INT8 > ix->count) {
    SAY("auto: k = %zu is above 1/%d of the %zu rows for the int8 pass", k,
        AUTO_MAX_K_SHARE_INT8, ix->count);
  } else if (can_run(WEFT__KNN_PASS_INT8, "auto", ix, k, out) && !out->scalar) {
    double ratio = weft__int8_rate_ratio();
    if (ratio >= AUTO_MIN_RATE_RATIO_INT8) {
      out->pass = WEFT__KNN_PASS_INT8;
      SAY("auto: VPDPBUSD does %.2fx the multiply-adds of fp32 FMA on this CPU", ratio);
      return;
    }
    SAY("auto: VPDPBUSD does %.2fx the multiply-adds of fp32 FMA on this CPU, under the %.1fx "
        "the int8 pass needs", ratio, AUTO_MIN_RATE_RATIO_INT8);
  } else if (out->scalar) {
    SAY("auto: the portable int8 kernel is not a speed-up");
  }
  out->scalar = 0;
  snprintf(int8_why, sizeof int8_why, "%s", out->why);
  if (!can_run(WEFT__KNN_PASS_BF16, "auto", ix, k, out)) {
    char bf16_why[240];
    snprintf(bf16_why, sizeof bf16_why, "%s", out->why);
    SAY("%s; %s", int8_why, bf16_why + 6 /* past "auto, " */);
    return;
  }
  double ratio = weft__bf16_rate_ratio();
  if (ratio < AUTO_MIN_RATE_RATIO_BF16) {
    SAY("%s; VDPBF16PS %.2fx, under the %.1fx the bf16 pass needs", int8_why, ratio,
        AUTO_MIN_RATE_RATIO_BF16);
    return;
  }
  out->pass = WEFT__KNN_PASS_BF16;
  SAY("auto: VDPBF16PS does %.2fx the multiply-adds of fp32 FMA on this CPU (%s)", ratio,
      int8_why);
}
