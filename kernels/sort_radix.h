/* The shape of the device radix sort (kernels/sort_radix.kern), shared by the kernels and
 * the backends that launch them (opencl/opencl_sort.c, cuda/cuda_sort.cu). Plain C:
 * included by host C, OpenCL C and CUDA alike. */
#ifndef WEFT_KERNEL_SORT_RADIX_H
#define WEFT_KERNEL_SORT_RADIX_H

/* Work-items of every sort launch: the local arrays are sized by it (= WK_GROUP_SIZE). */
#define WK_SORT_GROUP 256
/* Consecutive keys one work-item owns in a block. */
#define WK_SORT_ITEMS 4
/* Keys of a block: one work-group's share of a pass. */
#define WK_SORT_BLOCK (WK_SORT_GROUP * WK_SORT_ITEMS)
#define WK_SORT_DIGIT_BITS 4
#define WK_SORT_DIGITS (1 << WK_SORT_DIGIT_BITS)
/* Per-digit counters of one work-item, packed 4 to a 64-bit word in 16-bit fields (a block
 * has at most WK_SORT_BLOCK < 65536 keys of a digit, so fields never carry into each other). */
#define WK_SORT_PACKS (WK_SORT_DIGITS / 4)

#endif
