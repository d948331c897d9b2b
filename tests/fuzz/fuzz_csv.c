/* read_csv of arbitrary bytes. The first byte picks the options: bit 0 a schema (type
 * overrides for the first columns, by their header or default names, types from the next
 * bytes), bit 1 no header, bits 2-3 the delimiter, bit 4 extra null strings, bit 5 inference
 * over one row only. A first byte of 0xC0..0xC3 (',', bits 0-1 as above) with a rest of up
 * to 64 bytes repeats the rest (a line break between copies) past 65536 records, so the file
 * splits into several chunks parsed in parallel (kept rare: such an input takes ~0.3 s).
 * The rest is the file. A table read must keep Arrow's invariants; a malformed file must be
 * an error, never a crash. */
#include "fuzz_common.h"
#include "fuzz_table_check.h"
#include "weft.h"

static const weft_type csv_types[] = {
    WEFT_TYPE_BOOL,    WEFT_TYPE_INT8,    WEFT_TYPE_INT16,  WEFT_TYPE_INT32,  WEFT_TYPE_INT64,
    WEFT_TYPE_UINT8,   WEFT_TYPE_UINT16,  WEFT_TYPE_UINT32, WEFT_TYPE_UINT64, WEFT_TYPE_FLOAT32,
    WEFT_TYPE_FLOAT64, WEFT_TYPE_UTF8,    WEFT_TYPE_DATE32, WEFT_TYPE_TIMESTAMP_US,
    WEFT_TYPE_DECIMAL(10, 2), WEFT_TYPE_DECIMAL(38, 0), WEFT_TYPE_DECIMAL(5, 5),
    (weft_type)99, /* not a type: an error naming it */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz_file file;
  fuzz_bytes in = {data, size};
  uint8_t how = fuzz_u8(&in);
  weft_csv_options o;
  if (weft_csv_options_init(&o) != WEFT_OK) abort();
  static const char delims[] = {',', ';', '\t', '|'};
  o.delimiter = delims[(how >> 2) & 3];
  o.has_header = !(how & 2);
  if (how & 16) o.null_values = "NA,null,,-";
  if (how & 32) o.infer_rows = 1;
  const char *names[3];
  weft_type types[3];
  if (how & 1) {
    static const char *header_names[] = {"a", "b", "c"};
    static const char *default_names[] = {"column_1", "column_2", "column_3"};
    size_t n = 1 + fuzz_u8(&in) % 3;
    for (size_t i = 0; i < n; i++) {
      names[i] = o.has_header ? header_names[i] : default_names[i];
      types[i] = csv_types[fuzz_u8(&in) % (sizeof csv_types / sizeof *csv_types)];
    }
    o.n_overrides = n;
    o.override_names = names;
    o.override_types = types;
  }
  size_t fields = 1; /* of the first line: a wide file repeated is too slow to check */
  for (size_t i = 0; i < in.n && in.p[i] != '\n'; i++) fields += in.p[i] == (uint8_t)o.delimiter;
  if ((how & 0xFC) == 0xC0 && in.n && in.n <= 64 && fields <= 8) { /* at most ~4 MB */
    size_t lines = 1;
    for (size_t i = 0; i < in.n; i++) lines += in.p[i] == '\n';
    size_t copies = 66000 / lines + 1, n = copies * (in.n + 1);
    uint8_t *big = malloc(n);
    for (size_t c = 0; c < copies; c++) {
      memcpy(big + c * (in.n + 1), in.p, in.n);
      big[c * (in.n + 1) + in.n] = '\n';
    }
    fuzz_file_write(&file, big, n);
    free(big);
  } else {
    fuzz_file_write(&file, in.p, in.n);
  }
  weft_table *t = NULL;
  weft_status st = weft_read_csv(NULL, file.path, &o, &t);
  if (st == WEFT_OK) {
    FUZZ_CHECK(t != NULL, "read_csv gave WEFT_OK and no table");
    fuzz_check_table(t);
    weft_table_free(t);
  } else {
    FUZZ_CHECK(t == NULL, "read_csv failed (%d) but gave a table", (int)st);
    FUZZ_CHECK(weft_last_error()[0] != '\0', "read_csv failed (%d) with no message", (int)st);
  }
  return 0;
}
