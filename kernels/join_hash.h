/* Constants of the device hash join, shared by its kernels (kernels/join_hash.kern), the
 * backends that launch them and the host that sizes their buffers
 * (host/frame/join/join_device.c). Plain C: included by host C, OpenCL C and CUDA alike. */
#ifndef WEFT_KERNEL_JOIN_HASH_H
#define WEFT_KERNEL_JOIN_HASH_H

/* An empty slot of the table, and "no match" for a left row. */
#define WK_JOIN_EMPTY 0xFFFFFFFFu
/* Elements one work-group scans (8 per work-item of the 256 every launch has). */
#define WK_JOIN_SCAN_CHUNK 2048
/* Rows one work-item counts and scatters in a radix pass; 16 digits of 4 bits. */
#define WK_JOIN_RADIX_CHUNK 64
#define WK_JOIN_RADIX_BITS 4
#define WK_JOIN_RADIX_DIGITS 16
/* Join kinds, numbered as weft_join_kind. */
#define WK_JOIN_INNER 0
#define WK_JOIN_LEFT 1
#define WK_JOIN_SEMI 2
#define WK_JOIN_ANTI 3

#endif
