/* The shape of the device CSV parse (kernels/csv_parse.kern), shared by the kernels, the
 * backends that launch them and host/frame/io/csv_device.c. Plain C: included by host C, OpenCL
 * C and CUDA alike. */
#ifndef WEFT_KERNEL_CSV_PARSE_H
#define WEFT_KERNEL_CSV_PARSE_H

/* Records a chunk: csv_read.c's chunk (slices of the file are whole chunks). */
#define WK_CSV_CHUNK_ROWS 65536

/* Bytes a work-item of the record-start kernels takes, blocks a group of them chains, and
 * the scratch they need for a slice of `bytes` bytes: 4 uint64 a block (3 transitions and the
 * block's first record), 4 a group likewise. */
#define WK_CSV_BLOCK_BYTES 4096
#define WK_CSV_CHAIN_GROUP 256
#define WK_CSV_SCRATCH_BYTES(bytes)                                                          \
  ((((bytes) + WK_CSV_BLOCK_BYTES - 1) / WK_CSV_BLOCK_BYTES) * 32 +                          \
   (((bytes) + (size_t)WK_CSV_BLOCK_BYTES * WK_CSV_CHAIN_GROUP - 1) /                        \
    ((size_t)WK_CSV_BLOCK_BYTES * WK_CSV_CHAIN_GROUP)) * 32 + 64)

/* How a column's fields are stored (one per weft_type the reader makes). */
#define WK_CSV_BOOL 0 /* one byte a row, 0 or 1 */
#define WK_CSV_I8 1
#define WK_CSV_I16 2
#define WK_CSV_I32 3
#define WK_CSV_I64 4
#define WK_CSV_U8 5
#define WK_CSV_U16 6
#define WK_CSV_U32 7
#define WK_CSV_U64 8
#define WK_CSV_F32 9
#define WK_CSV_F64 10
#define WK_CSV_DATE32 11
#define WK_CSV_TS 12
#define WK_CSV_TEXT 13 /* two uint64 a row: the field's start, its length << 2 | quoted << 1 | escaped */

/* A record's flag: 0 when the device parsed it completely; WK_CSV_REDO when the host must
 * parse it with the CPU's code (malformed, wrong field count, a value that does not parse,
 * a float the exact fast path cannot do): the values and the errors are then the CPU's. */
#define WK_CSV_REDO 1

#endif
