/* The precision rule of k-NN searches (knn_precision.h). Every choice gives the same answer;
 * this only decides speed. "auto" takes the bf16 pass where VDPBF16PS does more multiply-adds
 * a second than fp32 FMA on this core (measured once: some CPUs run it at half the FMA's
 * rate, where the pass could only lose) and the shape leaves the re-rank small. */
#include "vector/knn_precision.h"

#include <stdio.h>

#include "vector/cpu_dot_bf16.h"
#include "vector/index_flat.h"
#include "vector/knn_bf16.h"

/* auto: the pass pays only when VDPBF16PS outruns FMA by this much (the bound's bookkeeping
 * and the re-rank cost some 10-20% of the scan) */
#define AUTO_MIN_RATE_RATIO 1.3
/* auto: below these the scan is short and the pass's setup is not repaid */
#define AUTO_MIN_ROWS 32768
#define AUTO_MIN_QUERIES 32
#define AUTO_MIN_DIM 32
/* auto: k at most this share of the rows, or the survivors outnumber the saving */
#define AUTO_MAX_K_SHARE 64

void weft__knn_precision_choose(int asked, const weft_index *ix, size_t nq, size_t k,
                                weft__knn_precision *out) {
  out->bf16 = 0;
  if (asked == WEFT_PRECISION_FP32) {
    snprintf(out->why, sizeof out->why, "asked");
    return;
  }
  const char *how = asked == WEFT_PRECISION_BF16 ? "bf16 asked" : "auto";
  if (!weft__bf16_cpu_has()) {
    snprintf(out->why, sizeof out->why, "%s, but this CPU has no AVX512_BF16", how);
    return;
  }
  if (k > WEFT_KNN_BF16_MAX_K) {
    snprintf(out->why, sizeof out->why, "%s, but k = %zu is above the bf16 pass's %zu", how, k,
             WEFT_KNN_BF16_MAX_K);
    return;
  }
  if (asked == WEFT_PRECISION_BF16) {
    out->bf16 = 1;
    snprintf(out->why, sizeof out->why, "asked");
    return;
  }
  double ratio = weft__bf16_rate_ratio();
  if (ratio < AUTO_MIN_RATE_RATIO) {
    snprintf(out->why, sizeof out->why, "auto: VDPBF16PS does %.2fx the multiply-adds of fp32 "
             "FMA on this CPU, under the %.1fx the bf16 pass needs", ratio, AUTO_MIN_RATE_RATIO);
    return;
  }
  if (ix->count < AUTO_MIN_ROWS || nq < AUTO_MIN_QUERIES || ix->dim < AUTO_MIN_DIM ||
      k * AUTO_MAX_K_SHARE > ix->count) {
    snprintf(out->why, sizeof out->why, "auto: %zu rows of dim %zu, %zu queries at k = %zu: "
             "the bf16 pass needs %d rows, %d queries, dim %d and k at most 1/%d of the rows",
             ix->count, ix->dim, nq, k, AUTO_MIN_ROWS, AUTO_MIN_QUERIES, AUTO_MIN_DIM,
             AUTO_MAX_K_SHARE);
    return;
  }
  out->bf16 = 1;
  snprintf(out->why, sizeof out->why, "auto: VDPBF16PS does %.2fx the multiply-adds of fp32 FMA "
           "on this CPU", ratio);
}
