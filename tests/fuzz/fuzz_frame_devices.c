/* sort, group_by and join on the CPU and on the OpenCL device (PoCL in CI), which must agree:
 * the same status, and the same table -- sort: the same rows in the same order (a stable
 * sort: ties in row order); join: row for row (left order, each left row's matches in right
 * order, the documented order); group_by: the same groups in order of first appearance,
 * every aggregation bit for bit except float sums, means, std and var (within 1e-12
 * relative, tests/frame/test_group_device.cc's promise), and the device's two runs the same
 * bits. The tables come from fuzz_table_gen.h (up to 4200 rows, now and then 70000; NaN,
 * -0.0, inf, extremes, nulls, utf8 past 7 bytes, slices starting mid-byte); the input also
 * picks the keys, directions, null placement, aggregations and join kind. The device exec is
 * not strict: what a device cannot take falls back to the CPU, as users get it.
 *
 * The two execs live across inputs (PoCL compiles weft's kernels at their first use). With
 * no OpenCL device the target says so and exits 0, unless WEFT_FUZZ_REQUIRE_OPENCL=1
 * (tools/fuzz.sh sets it where an OpenCL ICD is installed), then it exits 1. */
static void restore_fuzzer_handlers(void);
static void write_failing_input(void);
#define FUZZ_ABORT() (write_failing_input(), restore_fuzzer_handlers(), abort())
#include "fuzz_table_gen.h" /* first: it defines _GNU_SOURCE */

#include <signal.h>
#include "fuzz_table_diff.h"

/* PoCL compiles kernels with LLVM (on first use, and per work-group size at launches), and
 * LLVM installs its own crash handlers over the ones there: an abort would then end the
 * process without libFuzzer writing the input out (and libFuzzer installs none where one is
 * set already). The handlers are put back as they were after the warm-up in
 * LLVMFuzzerInitialize, and those found at the first input (libFuzzer's and ASan's) before
 * every input and before a failed check aborts. */
static const int deadly[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL};
static struct sigaction fuzzer_handlers[4];
static int handlers_saved;

static void restore_fuzzer_handlers(void) {
  for (int i = 0; handlers_saved && i < 4; i++) sigaction(deadly[i], &fuzzer_handlers[i], NULL);
}

static void save_fuzzer_handlers(void) {
  for (int i = 0; i < 4; i++) sigaction(deadly[i], NULL, &fuzzer_handlers[i]);
  handlers_saved = 1;
}

/* A failed check writes its input itself (as libFuzzer's crash-* file), whatever handler
 * the abort then meets: a 20-minute run once lost the one input that found a mismatch. */
static const uint8_t *input_data;
static size_t input_size;
static const char *artifact_prefix = "./";

static void write_failing_input(void) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a: a name per input */
  for (size_t i = 0; i < input_size; i++) h = (h ^ input_data[i]) * 1099511628211ull;
  char path[4096];
  snprintf(path, sizeof path, "%scrash-check-%016llx", artifact_prefix, (unsigned long long)h);
  FILE *f = fopen(path, "wb");
  if (f && fwrite(input_data, 1, input_size, f) == input_size && fclose(f) == 0)
    fprintf(stderr, "Test unit written to %s\n", path);
  else
    fprintf(stderr, "fuzz_frame_devices: could not write the failing input to %s\n", path);
}

static const char *const col_names[GEN_MAX_COLS] = {"c0", "c1", "c2", "c3", "c4", "c5"};
static const char *const device_id = "opencl:0";

static weft_exec *cpu_exec, *dev_exec;
static size_t dev_index;
static unsigned long ops[3], on_device[3];
static const char *const op_names[3] = {"sort", "group_by", "join"};

static void print_counts(void) {
  fprintf(stderr, "fuzz_frame_devices: ran on %s: sort %lu of %lu, group_by %lu of %lu, join %lu of %lu\n",
          device_id, on_device[0], ops[0], on_device[1], ops[1], on_device[2], ops[2]);
}

/* One sort, group_by and join on the device, so PoCL compiles weft's kernels once, here,
 * rather than inside the first input's time limit. */
static void warm_up(void) {
  gen_spec spec = {.ncols = 2};
  spec.col[0] = (gen_col_spec){.type = WEFT_TYPE_INT64, .distinct = 40, .seed = 1};
  spec.col[1] = (gen_col_spec){.type = WEFT_TYPE_FLOAT64, .nulls = 2, .distinct = 300, .seed = 2};
  weft_table *t = gen_table(&spec, 3000, 7, col_names, "rid"), *out = NULL;
  const char *key = col_names[0];
  weft_expr *v = NULL;
  FUZZ_CHECK(weft_expr_column(col_names[1], &v) == WEFT_OK, "%s", weft_last_error());
  weft_agg aggs[4] = {{WEFT_AGG_SUM, v, "s"}, {WEFT_AGG_MIN, v, "m"}, {WEFT_AGG_N_UNIQUE, v, "u"},
                      {WEFT_AGG_STD, v, "d"}};
  FUZZ_CHECK(weft_table_sort(dev_exec, t, 1, &key, NULL, &out) == WEFT_OK, "%s", weft_last_error());
  weft_table_free(out);
  FUZZ_CHECK(weft_table_group_by(dev_exec, t, 1, &key, 4, aggs, &out) == WEFT_OK, "%s", weft_last_error());
  weft_table_free(out);
  FUZZ_CHECK(weft_table_join(dev_exec, t, t, 1, &key, &key, WEFT_JOIN_INNER, NULL, &out) == WEFT_OK,
             "%s", weft_last_error());
  weft_table_free(out), weft_table_free(t), weft_expr_free(v);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  for (int i = 1; i < *argc; i++)
    if (!strncmp((*argv)[i], "-artifact_prefix=", 17)) artifact_prefix = (*argv)[i] + 17;
  /* the process's own handlers, before the OpenCL loader and PoCL's LLVM are loaded (the
   * device lookup below): restored after the warm-up, so libFuzzer installs its own */
  save_fuzzer_handlers();
  if (weft_device_find(device_id, &dev_index) != WEFT_OK) {
    const char *need = getenv("WEFT_FUZZ_REQUIRE_OPENCL");
    int required = need && *need && strcmp(need, "0");
    fprintf(stderr, "\n*** fuzz_frame_devices: NO OPENCL DEVICE, NOTHING COMPARED: %s\n*** %s\n\n",
            weft_last_error(), required ? "WEFT_FUZZ_REQUIRE_OPENCL is set: failing"
                                        : "exiting 0 (set WEFT_FUZZ_REQUIRE_OPENCL=1 to fail)");
    exit(required ? 1 : 0);
  }
  weft_device_info info;
  if (weft_device_get_info(dev_index, &info) == WEFT_OK)
    fprintf(stderr, "fuzz_frame_devices: the CPU against %s (%s)\n", info.id, info.name);
  if (weft_exec_create(&cpu_exec) != WEFT_OK || weft_exec_set_device(cpu_exec, "cpu") != WEFT_OK ||
      weft_exec_create(&dev_exec) != WEFT_OK || weft_exec_set_device(dev_exec, device_id) != WEFT_OK)
    fprintf(stderr, "exec: %s\n", weft_last_error()), abort();
  warm_up();
  restore_fuzzer_handlers();
  handlers_saved = 0;
  atexit(print_counts);
  return 0;
}

/* The device exec's last operation ran on the device (not fallen back to the CPU). */
static int ran_on_device(void) {
  size_t d = 0;
  const char *report = "";
  if (weft_exec_report(dev_exec, &report) != WEFT_OK) return 0;
  if (getenv("WEFT_FUZZ_VERBOSE")) fprintf(stderr, "--- report:\n%s\n", report);
  if (weft_exec_last_device(dev_exec, &d) != WEFT_OK || d != dev_index) return 0;
  return !strstr(report, "fell back");
}

/* Both statuses equal; 1 when both succeeded. */
static int same_status(int op, weft_status cpu, weft_status dev, const char *cpu_error) {
  FUZZ_CHECK(cpu == dev, "%s: cpu gave %s (%s), %s gave %s (%s)", op_names[op],
             weft_status_name(cpu), cpu_error, device_id, weft_status_name(dev), weft_last_error());
  ops[op]++;
  if (cpu != WEFT_OK) return 0;
  on_device[op] += (unsigned long)ran_on_device();
  return 1;
}

/* The table of `spec`, its rows starting `skip` rows into a bigger one (a slice: validity
 * bitmaps that start mid-byte). */
static weft_table *make_table(const gen_spec *spec, int64_t rows, uint64_t seed, int64_t skip,
                              const char *const *names, const char *rid) {
  weft_table *whole = gen_table(spec, rows + skip, seed, names, rid), *t = NULL;
  if (!skip) return whole;
  FUZZ_CHECK(weft_table_slice(whole, skip, rows, &t) == WEFT_OK, "slice: %s", weft_last_error());
  weft_table_free(whole);
  return t;
}

static void run_sort(fuzz_bytes *in, const weft_table *t, size_t ncols) {
  size_t nkeys = 1 + fuzz_u8(in) % 3;
  const char *keys[3];
  int desc[3], nulls_last[3];
  for (size_t k = 0; k < nkeys; k++) {
    uint8_t b = fuzz_u8(in);
    keys[k] = col_names[(b >> 2) % ncols];
    desc[k] = b & 1, nulls_last[k] = (b >> 1) & 1;
  }
  weft_table *a = NULL, *b = NULL;
  weft_status sa = weft_table_sort_nulls(cpu_exec, t, nkeys, keys, desc, nulls_last, &a);
  char err[512];
  snprintf(err, sizeof err, "%s", weft_last_error());
  weft_status sb = weft_table_sort_nulls(dev_exec, t, nkeys, keys, desc, nulls_last, &b);
  if (same_status(0, sa, sb, err)) fuzz_tables_equal(a, "cpu", b, device_id, NULL);
  weft_table_free(a), weft_table_free(b);
}

static int sum_like(weft_agg_kind k) {
  return k == WEFT_AGG_SUM || k == WEFT_AGG_MEAN || k == WEFT_AGG_STD || k == WEFT_AGG_VAR;
}

enum { MAX_AGGS = 8 };

/* The largest |value| of column c's finite cells (as float64), and how many rows. */
static double column_magnitude(const weft_table *t, size_t c) {
  weft_column_view v;
  int64_t n = 0;
  if (weft_table_column(t, c, &v) != WEFT_OK || weft_table_num_rows(t, &n) != WEFT_OK) return 0;
  double m = 0;
  for (int64_t r = 0; r < n; r++) {
    int64_t i = v.offset + r;
    if (v.validity && !fuzz_bit(v.validity, i)) continue;
    double x;
    switch ((int)(v.type & 0xff)) {
      case WEFT_TYPE_FLOAT64: x = ((const double *)v.values)[i]; break;
      case WEFT_TYPE_INT64: x = (double)((const int64_t *)v.values)[i]; break;
      case WEFT_TYPE_INT32: x = ((const int32_t *)v.values)[i]; break;
      default: x = 0; /* bool: 0 or 1, below any slack that matters */
    }
    if (isfinite(x) && fabs(x) > m) m = fabs(x);
  }
  return m;
}

/* How far two correct orders of adding may take a float aggregation of n values of size at
 * most m apart (Higham's bound for recursive summation, n eps sum |x|, doubled): a sum and
 * a mean by n eps m, a variance by n eps m^2 (it sums squares of deviations of up to 2m),
 * a std by the square root of that (|sqrt a - sqrt b| <= sqrt |a - b|). */
static double sum_slack(weft_agg_kind kind, double n, double m) {
  const double eps = 0x1p-52;
  double var = 2 * n * eps * 4 * m * m;
  if (kind == WEFT_AGG_VAR) return var;
  if (kind == WEFT_AGG_STD) return sqrt(var);
  return 2 * n * eps * m;
}

static void run_group_by(fuzz_bytes *in, const weft_table *t, const gen_spec *spec) {
  size_t ncols = spec->ncols, nkeys = 0;
  const char *keys[3];
  uint8_t key_bits = fuzz_u8(in), want_keys = fuzz_u8(in) % 4;
  for (size_t c = 0; c < ncols && nkeys < want_keys; c++)
    if ((key_bits >> c) & 1) keys[nkeys++] = col_names[c];
  size_t naggs = 1 + fuzz_u8(in) % MAX_AGGS;
  weft_agg aggs[MAX_AGGS];
  weft_expr *inputs[MAX_AGGS] = {0};
  char names[MAX_AGGS][8];
  double slack[3 + MAX_AGGS];
  int64_t nrows = 0;
  for (size_t x = 0; x < 3 + MAX_AGGS; x++) slack[x] = -1;
  FUZZ_CHECK(weft_table_num_rows(t, &nrows) == WEFT_OK, "rows");
  for (size_t x = 0; x < naggs; x++) {
    weft_agg_kind kind = (weft_agg_kind)(fuzz_u8(in) % 11);
    size_t c = fuzz_u8(in) % ncols;
    weft_type type = spec->col[c].type;
    /* sums, means, std and var of strings and dates are errors on both: count instead */
    if (sum_like(kind) && (type == WEFT_TYPE_UTF8 || type == WEFT_TYPE_DATE32)) kind = WEFT_AGG_COUNT;
    snprintf(names[x], sizeof names[x], "a%zu", x);
    if (kind != WEFT_AGG_LEN || (c & 1))
      FUZZ_CHECK(weft_expr_column(col_names[c], &inputs[x]) == WEFT_OK, "%s", weft_last_error());
    aggs[x] = (weft_agg){kind, inputs[x], names[x]};
    if (sum_like(kind) && (type == WEFT_TYPE_FLOAT64 || kind != WEFT_AGG_SUM))
      slack[nkeys + x] = sum_slack(kind, (double)nrows, column_magnitude(t, c));
  }
  if (getenv("WEFT_FUZZ_VERBOSE")) {
    fprintf(stderr, "group_by %zu keys:", nkeys);
    for (size_t k = 0; k < nkeys; k++) fprintf(stderr, " %s", keys[k]);
    for (size_t x = 0; x < naggs; x++)
      fprintf(stderr, " %s=agg%d(%s)", names[x], (int)aggs[x].kind, inputs[x] ? "col" : "NULL");
    fprintf(stderr, "\n");
  }
  weft_table *a = NULL, *b = NULL, *again = NULL;
  weft_status sa = weft_table_group_by(cpu_exec, t, nkeys, keys, naggs, aggs, &a);
  char err[512];
  snprintf(err, sizeof err, "%s", weft_last_error());
  weft_status sb = weft_table_group_by(dev_exec, t, nkeys, keys, naggs, aggs, &b);
  if (same_status(1, sa, sb, err)) {
    fuzz_tables_equal(a, "cpu", b, device_id, slack);
    /* the same bits on every run of a device */
    FUZZ_CHECK(weft_table_group_by(dev_exec, t, nkeys, keys, naggs, aggs, &again) == WEFT_OK,
               "second run on %s: %s", device_id, weft_last_error());
    fuzz_tables_equal(b, "the first run", again, "the second", NULL);
  }
  weft_table_free(a), weft_table_free(b), weft_table_free(again);
  for (size_t x = 0; x < naggs; x++) weft_expr_free(inputs[x]);
}

/* About how many distinct values column c's cells take (booleans 2, utf8 at most the words). */
static uint64_t domain(const gen_col_spec *g) {
  uint64_t d = g->distinct;
  if (g->type == WEFT_TYPE_BOOL && d > 2) d = 2;
  if (g->type == WEFT_TYPE_UTF8 && d > GEN_NWORDS) d = GEN_NWORDS + d / 2;
  return d;
}

enum { MAX_JOIN_ROWS = 1 << 17 }; /* about; more takes seconds under ASan, not more coverage */

/* The rows an inner join of left and right on the keys gives: each side's key counts
 * (group_by len) joined on the keys, their products summed. -1 where that fails (keys whose
 * types clash: the join itself fails too). */
static double inner_join_rows(const weft_table *left, const weft_table *right, size_t nkeys,
                              const char *const *lk, const char *const *rk) {
  weft_agg ln = {WEFT_AGG_LEN, NULL, "fuzz_ln"}, rn = {WEFT_AGG_LEN, NULL, "fuzz_rn"};
  weft_table *cl = NULL, *cr = NULL, *j = NULL;
  double total = -1;
  size_t a = 0, b = 0;
  weft_column_view va, vb;
  int64_t n = 0;
  if (weft_table_group_by(cpu_exec, left, nkeys, lk, 1, &ln, &cl) == WEFT_OK &&
      weft_table_group_by(cpu_exec, right, nkeys, rk, 1, &rn, &cr) == WEFT_OK &&
      weft_table_join(cpu_exec, cl, cr, nkeys, lk, rk, WEFT_JOIN_INNER, NULL, &j) == WEFT_OK &&
      weft_table_column_index(j, "fuzz_ln", &a) == WEFT_OK &&
      weft_table_column_index(j, "fuzz_rn", &b) == WEFT_OK &&
      weft_table_column(j, a, &va) == WEFT_OK && weft_table_column(j, b, &vb) == WEFT_OK &&
      weft_table_num_rows(j, &n) == WEFT_OK && va.type == WEFT_TYPE_UINT32 &&
      vb.type == WEFT_TYPE_UINT32) { /* len is uint32, as Polars' */
    total = 0;
    for (int64_t r = 0; r < n; r++)
      total += (double)((const uint32_t *)va.values)[va.offset + r] *
               (double)((const uint32_t *)vb.values)[vb.offset + r];
  }
  weft_table_free(cl), weft_table_free(cr), weft_table_free(j);
  return total;
}

static void run_join(fuzz_bytes *in, const weft_table *left, int64_t lrows, const gen_spec *lspec) {
  /* The right side: the left's columns and value domains, its own nulls, rows and cells;
   * int32 keys may be int64 there (keys compare by value across integer widths). */
  gen_spec rspec = *lspec;
  uint8_t widen = fuzz_u8(in), renull = fuzz_u8(in);
  for (size_t c = 0; c < rspec.ncols; c++) {
    if (((widen >> c) & 1) && rspec.col[c].type == WEFT_TYPE_INT32) rspec.col[c].type = WEFT_TYPE_INT64;
    if ((renull >> c) & 1) rspec.col[c].nulls = (uint8_t)((rspec.col[c].nulls + 2) % 5);
  }
  int64_t rrows = gen_read_rows(in);
  uint64_t rseed = fuzz_u64(in, 4) ^ 0x5bd1e995u;
  size_t nkeys = 1 + (fuzz_u8(in) & 1);
  const char *lk[2], *rk[2];
  /* Matches a left row finds, about: the share of a right row in its key's value (1 /
   * distinct), plus the special values (NaN, 0, -1, extremes: 6 of them) shared by both. */
  double per_left = 1.0;
  for (size_t k = 0; k < nkeys; k++) {
    uint8_t b = fuzz_u8(in);
    const gen_col_spec *g = &lspec->col[b % lspec->ncols];
    lk[k] = col_names[b % lspec->ncols];
    /* mostly the same column on both sides; sometimes another (a type clash: both fail) */
    rk[k] = b >= 240 ? col_names[(b / 3) % lspec->ncols] : lk[k];
    double s = g->special / 256.0;
    per_left *= 1.0 / (double)domain(g) + s * s / 6;
  }
  /* many matches: fewer right rows, so the output stays near MAX_JOIN_ROWS */
  if ((double)lrows * (double)rrows * per_left > MAX_JOIN_ROWS)
    rrows = (int64_t)(MAX_JOIN_ROWS / ((double)lrows * per_left));
  weft_join_kind kind = (weft_join_kind)(fuzz_u8(in) % 4);
  weft_table *right = make_table(&rspec, rrows, rseed, 0, col_names, "rid");
  /* The estimate can miss by 10x (a 67,884 x 1,365 join gave 1.46M rows, 25 s of CPU join and
   * comparison under ASan and libFuzzer's comparison tracing: a CI run timed out on such an
   * input): counted exactly, a join far past MAX_JOIN_ROWS gets fewer right rows. */
  double pairs = inner_join_rows(left, right, nkeys, lk, rk);
  if (pairs > 2.0 * MAX_JOIN_ROWS) {
    weft_table_free(right);
    rrows = (int64_t)((double)rrows * MAX_JOIN_ROWS / pairs);
    right = make_table(&rspec, rrows, rseed, 0, col_names, "rid");
  }
  if (getenv("WEFT_FUZZ_VERBOSE")) {
    fuzz_print_table("right", right);
    fprintf(stderr, "join kind %d on %s=%s%s%s%s\n", (int)kind, lk[0], rk[0], nkeys > 1 ? ", " : "",
            nkeys > 1 ? lk[1] : "", nkeys > 1 ? rk[1] : "");
  }
  weft_table *a = NULL, *b = NULL;
  weft_status sa = weft_table_join(cpu_exec, left, right, nkeys, lk, rk, kind, NULL, &a);
  char err[512];
  snprintf(err, sizeof err, "%s", weft_last_error());
  weft_status sb = weft_table_join(dev_exec, left, right, nkeys, lk, rk, kind, NULL, &b);
  if (same_status(2, sa, sb, err)) fuzz_tables_equal(a, "cpu", b, device_id, NULL);
  weft_table_free(a), weft_table_free(b), weft_table_free(right);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!handlers_saved) save_fuzzer_handlers();
  else restore_fuzzer_handlers();
  input_data = data, input_size = size;
  fuzz_bytes in = {data, size};
  uint8_t head = fuzz_u8(&in);
  int op = head % 3;
  gen_spec spec;
  gen_read_spec(&in, 1 + (head / 3) % GEN_MAX_COLS, &spec);
  int64_t rows = gen_read_rows(&in);
  uint64_t seed = fuzz_u64(&in, 4);
  uint8_t s = fuzz_u8(&in);
  int64_t skip = s >= 192 ? s % 13 : 0;
  weft_table *t = make_table(&spec, rows, seed, skip, col_names, op == 2 ? "lid" : "rid");
  if (getenv("WEFT_FUZZ_VERBOSE")) fuzz_print_table(op_names[op], t);
  if (op == 0) run_sort(&in, t, spec.ncols);
  else if (op == 1) run_group_by(&in, t, &spec);
  else run_join(&in, t, rows, &spec);
  weft_table_free(t);
  return 0;
}
