// Every public operation with each of its allocations failing in turn (fault_sweep.h): an
// error with a message or the right answer, no crash, no leak (the sanitizer ctest checks
// leaks at exit), inputs unchanged, and the next call right.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "../frame/group_sort_helpers.h"
#include "fault_sweep.h"

namespace {

using jc::Col;

constexpr size_t kRows = 3001;  // not a multiple of any tile

std::string render(const weft_table *t) {
  std::ostringstream o;
  for (const std::string &n : jc::names_of(t)) o << n << "|";
  for (weft_type ty : jc::types_of(t)) o << (int)ty << "|";
  o << "\n";
  for (const auto &row : jc::rows_of(t)) {
    for (const auto &c : row) o << (c ? *c : "<null>") << ",";
    o << "\n";
  }
  return o.str();
}

// A large table's answer: names, types, and a hash of every row's validity and bytes (text
// would cost more than the operation under the sanitizer).
std::string digest(const weft_table *t) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
  };
  std::string head;
  for (const std::string &n : jc::names_of(t)) head += n + "|";
  for (size_t c = 0; c < tt::num_cols(t); c++) {
    weft_column_view v;
    weft_test_ok(weft_table_column(t, c, &v));
    head += std::to_string((int)v.type) + "|";
    size_t w = v.type == WEFT_TYPE_BOOL || v.type == WEFT_TYPE_UTF8 ? 0 : jc::width(v.type);
    for (int64_t r = 0; r < v.length; r++) {
      int64_t i = v.offset + r;
      uint8_t valid = !v.validity || ((v.validity[i / 8] >> (i % 8)) & 1);
      mix(&valid, 1);
      if (!valid) continue;
      if (v.type == WEFT_TYPE_BOOL) {
        uint8_t b = (((const uint8_t *)v.values)[i / 8] >> (i % 8)) & 1;
        mix(&b, 1);
      } else if (v.type == WEFT_TYPE_UTF8) {
        const int32_t *o = (const int32_t *)v.values;
        mix(v.data + o[i], (size_t)(o[i + 1] - o[i]));
        mix("\0", 1);
      } else {
        mix((const char *)v.values + i * w, w);
      }
    }
  }
  return head + std::to_string(tt::num_rows(t)) + ":" + std::to_string(h);
}

// Runs an operation that returns a table: its answer is the table as text (a digest when
// `large`).
fs::Op table_op(std::function<weft_status(weft_table **)> f,
                std::function<std::string()> inputs, bool large = false) {
  fs::Op op;
  op.run = [f, large](std::string *ans, bool *leaked) {
    weft_table *out = nullptr;
    weft_status st = f(&out);
    if (st == WEFT_OK) {
      *ans = large ? digest(out) : render(out);
    } else if (out) {
      *leaked = true;
    }
    weft_table_free(out);
    return st;
  };
  op.inputs = std::move(inputs);
  return op;
}

struct ExprFree {
  void operator()(weft_expr *e) const { weft_expr_free(e); }
};
using Expr = std::shared_ptr<weft_expr>;
Expr own(weft_status st, weft_expr *e) {
  EXPECT_EQ(st, WEFT_OK) << weft_last_error();
  return Expr(e, ExprFree());
}
Expr col(const char *n) { weft_expr *e = nullptr; weft_status st = weft_expr_column(n, &e); return own(st, e); }
Expr lit(double v) { weft_expr *e = nullptr; weft_status st = weft_expr_literal_float64(v, &e); return own(st, e); }
Expr lit_i(int64_t v) { weft_expr *e = nullptr; weft_status st = weft_expr_literal_int64(v, &e); return own(st, e); }
Expr bin(weft_binary_op o, const Expr &a, const Expr &b) {
  weft_expr *e = nullptr; weft_status st = weft_expr_binary(o, a.get(), b.get(), &e); return own(st, e);
}
Expr alias(const Expr &a, const char *n) { weft_expr *e = nullptr; weft_status st = weft_expr_alias(a.get(), n, &e); return own(st, e); }
Expr agg(weft_agg_kind k, const Expr &a) { weft_expr *e = nullptr; weft_status st = weft_expr_agg(k, a.get(), &e); return own(st, e); }

class AllocSweep : public ::testing::Test {
 protected:
  std::unique_ptr<jc::Built> left, right;
  weft_exec *exec = nullptr;
  std::string left_text, right_text;
  virtual size_t rows() const { return kRows; }
  void SetUp() override {
    const size_t kRows = rows();
    std::mt19937_64 rng(17);
    left = jc::build({{"k", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT64, kRows, 0.05, 50, rng)},
                      {"s", WEFT_TYPE_UTF8, gs::random_cells(WEFT_TYPE_UTF8, kRows, 0.05, 40, rng)},
                      {"v", WEFT_TYPE_FLOAT64, gs::random_cells(WEFT_TYPE_FLOAT64, kRows, 0.05, 900, rng)},
                      {"i", WEFT_TYPE_INT32, gs::random_cells(WEFT_TYPE_INT32, kRows, 0.0, 1000, rng)}});
    right = jc::build({{"k", WEFT_TYPE_INT64, gs::random_cells(WEFT_TYPE_INT64, 203, 0.05, 60, rng)},
                       {"w", WEFT_TYPE_FLOAT64, gs::random_cells(WEFT_TYPE_FLOAT64, 203, 0.1, 99, rng)}});
    ASSERT_WEFT_OK(weft_exec_create(&exec));
    ASSERT_WEFT_OK(weft_exec_set_device(exec, "cpu"));
    left_text = render(left->table);
    right_text = render(right->table);
  }
  void TearDown() override { weft_exec_free(exec); }
  std::function<std::string()> both() {
    return [this] { return render(left->table) + render(right->table); };
  }
  std::function<std::string()> left_only() {
    if (rows() != ::kRows) return [this] { return digest(left->table); };
    return [this] { return render(left->table); };
  }
};

// Past the sizes where the operations split their work over the thread pool (the
// allocations of workers fail too). Answers and inputs compare by digest, and each sweep
// is capped at a few seconds: its faulted runs are a shuffled sample of 1..K.
class AllocSweepLarge : public AllocSweep {
 protected:
  size_t rows() const override { return 100003; }
};
constexpr double kLargeSeconds = 6.0;

TEST_F(AllocSweepLarge, Sort) {
  const char *keys[] = {"s", "v"};
  fs::sweep("sort large", table_op([&](weft_table **out) {
    return weft_table_sort(exec, left->table, 2, keys, nullptr, out);
  }, left_only(), true), kLargeSeconds);
}

TEST_F(AllocSweepLarge, GroupBy) {
  Expr v = col("v");
  const char *keys[] = {"k", "s"};
  weft_agg aggs[] = {{WEFT_AGG_SUM, v.get(), "sum"}, {WEFT_AGG_N_UNIQUE, v.get(), "nu"},
                     {WEFT_AGG_LEN, nullptr, "len"}};
  fs::sweep("group_by large", table_op([&](weft_table **out) {
    return weft_table_group_by(exec, left->table, 2, keys, 3, aggs, out);
  }, left_only(), true), kLargeSeconds);
}

TEST_F(AllocSweepLarge, Join) {
  const char *on[] = {"k"};
  fs::sweep("join large", table_op([&](weft_table **out) {
    return weft_table_join(exec, left->table, right->table, 1, on, on, WEFT_JOIN_LEFT, nullptr, out);
  }, left_only(), true), kLargeSeconds);
}

TEST_F(AllocSweepLarge, FilterAndSelect) {
  Expr p = bin(WEFT_OP_GT, bin(WEFT_OP_MUL, col("v"), lit(3.0)), col("i"));
  Expr w = alias(bin(WEFT_OP_ADD, col("v"), col("k")), "w");
  const weft_expr *exprs[] = {w.get(), p.get()};
  fs::sweep("filter large", table_op([&](weft_table **out) {
    return weft_table_filter(exec, left->table, p.get(), out);
  }, left_only(), true), kLargeSeconds);
  fs::sweep("select large", table_op([&](weft_table **out) {
    return weft_table_select(exec, left->table, 2, exprs, out);
  }, left_only(), true), kLargeSeconds);
}

TEST_F(AllocSweepLarge, ReadCsv) {
  std::string path = std::string(testing::TempDir()) + "faults_large" + std::to_string(getpid()) + ".csv";
  ASSERT_WEFT_OK(weft_write_csv(left->table, path.c_str()));
  fs::sweep("read_csv large", table_op([&](weft_table **out) {
    return weft_read_csv(exec, path.c_str(), nullptr, out);
  }, nullptr, true), kLargeSeconds);
  unlink(path.c_str());
}

TEST_F(AllocSweep, Sort) {
  const char *keys[] = {"s", "v", "k"};
  int desc[] = {0, 1, 0}, nulls_last[] = {1, 0, 1};
  fs::sweep("sort", table_op([&](weft_table **out) {
    return weft_table_sort_nulls(exec, left->table, 3, keys, desc, nulls_last, out);
  }, left_only()));
}

TEST_F(AllocSweep, TopK) {
  const char *keys[] = {"v", "i"};
  fs::sweep("top_k", table_op([&](weft_table **out) {
    return weft_table_top_k(exec, left->table, 77, 2, keys, nullptr, nullptr, out);
  }, left_only()));
}

TEST_F(AllocSweep, GroupBy) {
  Expr v = col("v"), s = col("s");
  const char *keys[] = {"k", "s"};
  weft_agg aggs[] = {{WEFT_AGG_SUM, v.get(), "sum"},   {WEFT_AGG_MEAN, v.get(), "mean"},
                     {WEFT_AGG_N_UNIQUE, s.get(), "nu"}, {WEFT_AGG_MIN, s.get(), "min_s"},
                     {WEFT_AGG_STD, v.get(), "std"},   {WEFT_AGG_LEN, nullptr, "len"}};
  fs::sweep("group_by", table_op([&](weft_table **out) {
    return weft_table_group_by(exec, left->table, 2, keys, 6, aggs, out);
  }, left_only()));
}

TEST_F(AllocSweep, GroupByAggExpressions) {
  Expr e1 = alias(bin(WEFT_OP_MUL, agg(WEFT_AGG_SUM, col("v")), lit(2.0)), "twice");
  Expr e2 = alias(agg(WEFT_AGG_LAST, col("s")), "last_s");
  const weft_expr *exprs[] = {e1.get(), e2.get()};
  const char *keys[] = {"k"};
  fs::sweep("agg", table_op([&](weft_table **out) {
    return weft_table_agg(exec, left->table, 1, keys, 2, exprs, out);
  }, left_only()));
}

TEST_F(AllocSweep, Unique) {
  const char *keys[] = {"s"};
  fs::sweep("unique", table_op([&](weft_table **out) {
    return weft_table_unique(exec, left->table, 1, keys, out);
  }, left_only()));
}

TEST_F(AllocSweep, JoinInnerLeftFull) {
  const char *on[] = {"k"};
  for (weft_join_kind kind : {WEFT_JOIN_INNER, WEFT_JOIN_LEFT, WEFT_JOIN_FULL}) {
    std::string name = "join kind " + std::to_string((int)kind);
    fs::sweep(name.c_str(), table_op([&](weft_table **out) {
      return weft_table_join(exec, left->table, right->table, 1, on, on, kind, nullptr, out);
    }, both()));
  }
}

TEST_F(AllocSweep, Filter) {
  Expr p = bin(WEFT_OP_AND, bin(WEFT_OP_GT, col("v"), lit(-3.0)),
               bin(WEFT_OP_LT, bin(WEFT_OP_MOD, col("i"), lit_i(7)), lit_i(4)));
  fs::sweep("filter", table_op([&](weft_table **out) {
    return weft_table_filter(exec, left->table, p.get(), out);
  }, left_only()));
}

TEST_F(AllocSweep, SelectExpressions) {
  weft_expr *raw = nullptr;
  weft_status st = weft_expr_str_contains(col("s").get(), "7", &raw);
  Expr contains = own(st, raw);
  st = weft_expr_when(contains.get(), col("v").get(), lit(0.5).get(), &raw);
  Expr when = own(st, raw);
  st = weft_expr_cast(col("i").get(), WEFT_TYPE_UTF8, &raw);
  Expr cast = own(st, raw);
  st = weft_expr_fill_null(col("k").get(), lit_i(-1).get(), &raw);
  Expr filled = own(st, raw);
  Expr centred = bin(WEFT_OP_SUB, col("v"), agg(WEFT_AGG_MEAN, col("v")));
  Expr es[] = {alias(when, "when"), alias(cast, "cast"), alias(filled, "filled"),
               alias(centred, "centred"), col("s")};
  const weft_expr *exprs[] = {es[0].get(), es[1].get(), es[2].get(), es[3].get(), es[4].get()};
  fs::sweep("select", table_op([&](weft_table **out) {
    return weft_table_select(exec, left->table, 5, exprs, out);
  }, left_only()));
  fs::sweep("with_columns", table_op([&](weft_table **out) {
    return weft_table_with_columns(exec, left->table, 2, exprs, out);
  }, left_only()));
}

TEST_F(AllocSweep, Describe) {
  double pct[] = {0.1, 0.5};
  fs::sweep("describe", table_op([&](weft_table **out) {
    return weft_table_describe(exec, left->table, 2, pct, out);
  }, left_only()));
}

std::string temp_path(const char *stem) {
  return std::string(testing::TempDir()) + stem + std::to_string(getpid());
}

std::string file_text(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST_F(AllocSweep, ReadCsvFromFile) {
  std::string path = temp_path("faults_read.csv");
  {
    std::ofstream f(path, std::ios::binary);
    f << "id,name,score,day,flag\r\n";
    for (size_t r = 0; r < kRows; r++)
      f << r << ",\"n " << r % 37 << (r % 5 ? "" : ", \"\"quoted\"\"") << "\","
        << (r % 11 ? std::to_string(r * 0.25) : "") << ",2024-0" << 1 + r % 9 << "-1"
        << r % 10 << "," << (r % 3 ? "true" : "false") << "\r\n";
  }
  fs::sweep("read_csv", table_op([&](weft_table **out) {
    return weft_read_csv(exec, path.c_str(), nullptr, out);
  }, [&] { return file_text(path); }));
  unlink(path.c_str());
}

TEST_F(AllocSweep, WriteCsvKeepsTheOldFile) {
  std::string path = temp_path("faults_write.csv");
  fs::Op op;
  op.prepare = [&] { std::ofstream(path, std::ios::binary) << "old\n"; };
  weft_status last = WEFT_ERR_IO;
  op.run = [&](std::string *ans, bool *) {
    weft_status st = last = weft_write_csv(left->table, path.c_str());
    if (st == WEFT_OK) *ans = file_text(path);
    return st;
  };
  // After a failed write the file is the old one, whole (after a successful one, the answer
  // is checked to be the new one).
  op.inputs = [&] {
    std::string now = file_text(path);
    bool kept = last == WEFT_OK || now == "old\n";
    return render(left->table) + (kept ? "" : "file changed: " + now.substr(0, 40));
  };
  fs::sweep("write_csv", op);
  unlink(path.c_str());
}

// Out through the Arrow C Data Interface and back in.
TEST_F(AllocSweep, ArrowRoundTrip) {
  fs::sweep("to_arrow + from_arrow", table_op([&](weft_table **out) {
    struct ArrowSchema schema;
    struct ArrowArray array;
    weft_status st = weft_table_to_arrow(left->table, &schema, &array);
    if (st != WEFT_OK) return st;
    st = weft_table_from_arrow(&schema, &array, out);
    if (st != WEFT_OK) {  // on failure nothing moved: the exporter's structs are still ours
      if (array.release) array.release(&array);
      if (schema.release) schema.release(&schema);
    }
    return st;
  }, left_only()));
}

TEST_F(AllocSweep, LazyPlanCollect) {
  weft_plan *scan = nullptr, *filt = nullptr, *with = nullptr, *grp = nullptr, *sorted = nullptr;
  Expr pred = bin(WEFT_OP_GT, col("v"), lit(-50.0));
  Expr w = alias(bin(WEFT_OP_MUL, col("v"), lit(2.0)), "w");
  const weft_expr *withs[] = {w.get()};
  Expr sum_w = alias(agg(WEFT_AGG_SUM, col("w")), "sum_w");
  Expr cnt = alias(agg(WEFT_AGG_COUNT, col("i")), "n");
  const weft_expr *aggs[] = {sum_w.get(), cnt.get()};
  const char *keys[] = {"s"};
  ASSERT_WEFT_OK(weft_plan_scan(left->table, &scan));
  ASSERT_WEFT_OK(weft_plan_filter(scan, pred.get(), &filt));
  ASSERT_WEFT_OK(weft_plan_with_columns(filt, 1, withs, &with));
  ASSERT_WEFT_OK(weft_plan_agg(with, 1, keys, 2, aggs, &grp));
  ASSERT_WEFT_OK(weft_plan_sort(grp, 1, keys, nullptr, 1, &sorted));
  fs::sweep("plan collect", table_op([&](weft_table **out) {
    return weft_plan_collect(exec, sorted, out);
  }, left_only()));
  for (weft_plan *p : {scan, filt, with, grp, sorted}) weft_plan_free(p);
}

// A filter shared by two uses (plan_reuse.c: run once, its result kept for the later use,
// projection's union of the columns the uses need): a failure anywhere leaves no kept result
// behind.
TEST_F(AllocSweep, LazyPlanSharedSubPlan) {
  weft_plan *scan = nullptr, *filt = nullptr, *grp = nullptr, *semi = nullptr;
  Expr pred = bin(WEFT_OP_GT, col("v"), lit(-50.0));
  Expr u = alias(agg(WEFT_AGG_N_UNIQUE, col("i")), "u");
  const weft_expr *aggs[] = {u.get()};
  const char *keys[] = {"s"};
  ASSERT_WEFT_OK(weft_plan_scan(left->table, &scan));
  ASSERT_WEFT_OK(weft_plan_filter(scan, pred.get(), &filt));
  ASSERT_WEFT_OK(weft_plan_agg(filt, 1, keys, 1, aggs, &grp));
  ASSERT_WEFT_OK(weft_plan_join(filt, grp, 1, keys, keys, WEFT_JOIN_SEMI, nullptr, &semi));
  fs::sweep("plan shared sub-plan", table_op([&](weft_table **out) {
    return weft_plan_collect(exec, semi, out);
  }, left_only()));
  const char *report = nullptr;
  ASSERT_WEFT_OK(weft_exec_report(exec, &report));
  EXPECT_NE(std::string(report ? report : "").find("reused #1: FILTER"), std::string::npos) << report;
  for (weft_plan *p : {scan, filt, grp, semi}) weft_plan_free(p);
}

}  // namespace

namespace {

// A plan whose join feeds an aggregation (fused when the right keys repeat) and a window
// expression (over) in a select.
TEST_F(AllocSweep, LazyJoinAggAndWindow) {
  weft_plan *l = nullptr, *r = nullptr, *joined = nullptr, *grouped = nullptr, *win = nullptr;
  const char *on[] = {"k"};
  Expr sum_w = alias(agg(WEFT_AGG_SUM, col("w")), "sum_w");
  Expr mean_v = alias(agg(WEFT_AGG_MEAN, col("v")), "mean_v");
  const weft_expr *aggs[] = {sum_w.get(), mean_v.get()};
  weft_expr *over_raw = nullptr;
  Expr key = col("s");
  const weft_expr *keys[] = {key.get()};
  ASSERT_WEFT_OK(weft_expr_over(agg(WEFT_AGG_MAX, col("v")).get(), 1, keys, &over_raw));
  Expr over = alias(own(WEFT_OK, over_raw), "max_v_by_s");
  const weft_expr *sel[] = {col("k").get(), over.get()};
  Expr keep0 = col("k");
  sel[0] = keep0.get();
  ASSERT_WEFT_OK(weft_plan_scan(left->table, &l));
  ASSERT_WEFT_OK(weft_plan_scan(right->table, &r));
  ASSERT_WEFT_OK(weft_plan_join(l, r, 1, on, on, WEFT_JOIN_INNER, nullptr, &joined));
  ASSERT_WEFT_OK(weft_plan_agg(joined, 1, on, 2, aggs, &grouped));
  ASSERT_WEFT_OK(weft_plan_select(l, 2, sel, &win));
  fs::sweep("plan join + agg", table_op([&](weft_table **out) {
    weft_table *t = nullptr;
    weft_status st = weft_plan_collect(exec, grouped, &t);
    const char *by[] = {"k"};
    if (st == WEFT_OK) st = weft_table_sort(exec, t, 1, by, nullptr, out);  // groups in any order
    weft_table_free(t);
    return st;
  }, both()));
  fs::sweep("plan select over", table_op([&](weft_table **out) {
    return weft_plan_collect(exec, win, out);
  }, left_only()));
  for (weft_plan *p : {l, r, joined, grouped, win}) weft_plan_free(p);
}

}  // namespace

namespace {

// String expressions (a regex replace through PCRE2 when built with it, a literal one
// otherwise), is_in, upper-casing and slicing.
TEST_F(AllocSweep, StringExpressions) {
  weft_expr *raw = nullptr;
  weft_status st = weft_expr_str_replace(col("s").get(), "k([0-9])", "<$1>", 0, -1, &raw);
  if (st != WEFT_OK)  // built without PCRE2: the literal form
    st = weft_expr_str_replace(col("s").get(), "k1", "<1>", 1, -1, &raw);
  Expr replaced = own(st, raw);
  st = weft_expr_str_slice(col("s").get(), 1, 4, &raw);
  Expr sliced = own(st, raw);
  const char *words[] = {"k813", "", "k56"};
  st = weft_expr_is_in(col("s").get(), WEFT_TYPE_UTF8, words, 3, &raw);
  Expr in = own(st, raw);
  st = weft_expr_unary(WEFT_OP_STR_UPPER, col("s").get(), &raw);
  Expr upper = own(st, raw);
  Expr es[] = {alias(replaced, "r"), alias(sliced, "sl"), alias(in, "in"), alias(upper, "up")};
  const weft_expr *exprs[] = {es[0].get(), es[1].get(), es[2].get(), es[3].get()};
  fs::sweep("string expressions", table_op([&](weft_table **out) {
    return weft_table_select(exec, left->table, 4, exprs, out);
  }, left_only()));
}

// Concatenation, a row index and a slice of it.
TEST_F(AllocSweep, ConcatRowIndexSlice) {
  fs::sweep("concat + with_row_index + slice", table_op([&](weft_table **out) {
    const weft_table *parts[] = {left->table, left->table};
    weft_table *both = nullptr, *indexed = nullptr;
    weft_status st = weft_table_concat(2, parts, &both);
    if (st == WEFT_OK) st = weft_table_with_row_index(both, "row", 5, &indexed);
    if (st == WEFT_OK) st = weft_table_slice(indexed, 2000, 3000, out);
    weft_table_free(both);
    weft_table_free(indexed);
    return st;
  }, left_only()));
}

// read_csv with its options: null strings, a delimiter, a type override.
TEST_F(AllocSweep, ReadCsvWithOptions) {
  std::string path = temp_path("faults_opts.csv");
  {
    std::ofstream f(path, std::ios::binary);
    f << "a;b;c\n";
    for (size_t r = 0; r < kRows; r++)
      f << (r % 9 ? std::to_string(r) : "NA") << ";" << (r % 4 ? "x" : "-") << r % 13 << ";"
        << r * 3 << "\n";
  }
  weft_csv_options o;
  ASSERT_WEFT_OK(weft_csv_options_init(&o));
  o.delimiter = ';';
  o.null_values = "NA,-";
  const char *names[] = {"c"};
  weft_type types[] = {WEFT_TYPE_FLOAT64};
  o.n_overrides = 1;
  o.override_names = names;
  o.override_types = types;
  fs::sweep("read_csv options", table_op([&](weft_table **out) {
    return weft_read_csv(exec, path.c_str(), &o, out);
  }, [&] { return file_text(path); }));
  unlink(path.c_str());
}

}  // namespace
