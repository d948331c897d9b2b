/* weft_read_csv on an OpenCL or CUDA device: where the parse runs (the exec's device choice,
 * like sort and describe), and the parse there. The host has read the file, split it into
 * chunks and inferred the types (csv_read.c, csv_infer.c), so the types are the CPU's by
 * construction; the device finds every record's start and parses each record's fields
 * (kernels/csv_parse.kern). Records it flags (malformed, a wrong field count, a value that
 * does not parse, a float only strtod gives exactly) are parsed again by the CPU's code, so
 * every value and every error message, line and column included, is the CPU's. */
#ifndef WEFT_HOST_FRAME_CSV_DEVICE_H
#define WEFT_HOST_FRAME_CSV_DEVICE_H

#include "core/runtime.h"
#include "frame/io/csv.h"

/* Starts the report of the parse of `rows` records (`bytes` bytes, `ncols` columns) and
 * picks where it runs: *dev = NULL for the CPU pool, else one OpenCL or CUDA device with the
 * kernels and fp64. exec may be NULL: the CPU. */
weft_status weft__csv_choose(weft_exec *exec, size_t rows, size_t bytes, size_t ncols,
                             weft__device **dev);

/* Parses the `nchunks` chunks of c (`rows` records) on dev into c->cols and c->chunks, as
 * csv_read.c's CPU parse does; the file goes up in slices of whole chunks that fit the memory
 * left under the device's cap. A record's error lands in its chunk as on the CPU (WEFT_OK is
 * returned). Any other status (the device failed, a chunk does not fit) may leave the columns
 * half written: the caller parses again on the CPU. *redone: records the CPU parsed. */
weft_status weft__csv_parse_device(weft__device *dev, weft__csv_reader *c, size_t nchunks,
                                   size_t rows, size_t *slices, size_t *redone);

#endif
