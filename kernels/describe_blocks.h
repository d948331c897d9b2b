/* The shape of describe's per-block statistics (kernels/describe_blocks.kern), shared by the
 * kernel, the backends that launch it and host/frame/describe/describe_device.c. Plain C: included by
 * host C, OpenCL C and CUDA alike. */
#ifndef WEFT_KERNEL_DESCRIBE_BLOCKS_H
#define WEFT_KERNEL_DESCRIBE_BLOCKS_H

/* Rows of a block: op_describe.c's block, so a device's blocks start at the CPU's rows. */
#define WK_DESC_BLOCK 2048
/* A block's rows are dealt to WK_DESC_LANES lanes (row r0 + i to lane i % WK_DESC_LANES),
 * each summing its rows in order; the lanes' sums are then added by a fixed tree (lane l
 * takes lane l + w, for w = 16, 8, 4, 2, 1). The CPU (describe_stats.c) and the kernel do
 * exactly these additions, so they give the same bits, while a device's 32 threads read 32
 * consecutive rows at once (a block per thread read rows 2,048 apart). Min and max use the
 * order -0.0 < +0.0, so they too come out the same whatever order the lanes meet in. */
#define WK_DESC_LANES 32

/* One block's statistics: WK_DESC_WORDS 64-bit words, in this order (doubles as their bits;
 * min and max as int64 for dates and timestamps). */
#define WK_DESC_VALID 0 /* non-null rows */
#define WK_DESC_NAN 1   /* NaN among them */
#define WK_DESC_KEPT 2  /* non-null, non-NaN values: what the rest is over */
#define WK_DESC_SUM 3
#define WK_DESC_MEAN 4
#define WK_DESC_M2 5
#define WK_DESC_MIN 6
#define WK_DESC_MAX 7
#define WK_DESC_WORDS 8

/* How the column's values load. */
#define WK_DESC_BOOL 0 /* a bitmap, read from bit `bit0` on */
#define WK_DESC_I8 1
#define WK_DESC_I16 2
#define WK_DESC_I32 3
#define WK_DESC_I64 4
#define WK_DESC_U8 5
#define WK_DESC_U16 6
#define WK_DESC_U32 7
#define WK_DESC_U64 8
#define WK_DESC_F32 9
#define WK_DESC_F64 10
#define WK_DESC_DATE32 11 /* int32 days, kept as int64 */
#define WK_DESC_TS 12     /* int64 microseconds */

#endif
