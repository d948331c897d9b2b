// Hand-made Arrow C Data batches for the import tests (test_arrow.cc, test_arrow_malformed.cc):
// children with any format, lengths, offsets, null counts and buffers (NULL ones included),
// and the check that a refused import moved nothing.
#pragma once
#include "table_helpers.h"

namespace {

// ------------------------------------------------------------------ hand-made Arrow arrays

// A child column of a hand-made batch: its format and buffers (nullptr entries allowed).
struct HandChild {
  std::string format, name;
  int64_t length, offset = 0, null_count = -1;
  std::vector<std::vector<uint8_t>> bufs;
  std::vector<bool> null_buffer;  // true: buffers[i] is NULL
};

struct Counters {
  int arrays = 0, schemas = 0;
};

// Everything a hand-made batch points at; released by the parent's callbacks.
struct HandBatch {
  std::vector<HandChild> kids;
  std::vector<ArrowArray> arrays;
  std::vector<ArrowArray *> array_ptrs;
  std::vector<ArrowSchema> schemas;
  std::vector<ArrowSchema *> schema_ptrs;
  std::vector<std::vector<const void *>> buffers;
  std::vector<uint8_t> struct_validity;
  const void *parent_buffers[1] = {nullptr};
  Counters *counters;
  int refs = 2;  // the array and the schema
  void unref() {
    if (--refs == 0) delete this;
  }
};

inline void release_hand_array(ArrowArray *a) {
  auto *b = (HandBatch *)a->private_data;
  b->counters->arrays++;
  a->release = nullptr;
  b->unref();
}

inline void release_hand_schema(ArrowSchema *s) {
  auto *b = (HandBatch *)s->private_data;
  b->counters->schemas++;
  s->release = nullptr;
  b->unref();
}

// Children are not released separately: the parent owns them (allowed by the spec).
inline void release_nothing_array(ArrowArray *a) { a->release = nullptr; }
inline void release_nothing_schema(ArrowSchema *s) { s->release = nullptr; }

inline void make_batch(std::vector<HandChild> kids, int64_t length, int64_t offset, Counters *counters,
                ArrowSchema *schema, ArrowArray *array, std::vector<bool> struct_valid = {}) {
  auto *b = new HandBatch;
  b->kids = std::move(kids);
  b->counters = counters;
  size_t n = b->kids.size();
  b->arrays.resize(n);
  b->schemas.resize(n);
  b->buffers.resize(n);
  for (size_t i = 0; i < n; i++) {
    HandChild &k = b->kids[i];
    for (size_t j = 0; j < k.bufs.size(); j++)
      b->buffers[i].push_back(j < k.null_buffer.size() && k.null_buffer[j] ? nullptr : k.bufs[j].data());
    ArrowArray &a = b->arrays[i];
    a = ArrowArray{};
    a.length = k.length;
    a.offset = k.offset;
    a.null_count = k.null_count;
    a.n_buffers = (int64_t)k.bufs.size();
    a.buffers = b->buffers[i].data();
    a.release = release_nothing_array;
    ArrowSchema &s = b->schemas[i];
    s = ArrowSchema{};
    s.format = k.format.c_str();
    s.name = k.name.c_str();
    s.flags = ARROW_FLAG_NULLABLE;
    s.release = release_nothing_schema;
    b->array_ptrs.push_back(&a);
    b->schema_ptrs.push_back(&s);
  }
  if (!struct_valid.empty()) {
    b->struct_validity = pack_bits(struct_valid);
    b->parent_buffers[0] = b->struct_validity.data();
  }
  *array = ArrowArray{};
  array->length = length;
  array->offset = offset;
  array->null_count = struct_valid.empty() ? 0 : -1;
  array->n_buffers = 1;
  array->buffers = b->parent_buffers;
  array->n_children = (int64_t)n;
  array->children = b->array_ptrs.data();
  array->private_data = b;
  array->release = release_hand_array;
  *schema = ArrowSchema{};
  schema->format = "+s";
  schema->name = "";
  schema->n_children = (int64_t)n;
  schema->children = b->schema_ptrs.data();
  schema->private_data = b;
  schema->release = release_hand_schema;
}

template <typename T>
inline std::vector<uint8_t> bytes_of(const std::vector<T> &v) {
  std::vector<uint8_t> out(v.size() * sizeof(T) + 8);
  memcpy(out.data(), v.data(), v.size() * sizeof(T));
  return out;
}

// A 16-byte string_view entry: inline up to 12 bytes, else prefix + buffer index + offset.
inline void push_view(std::vector<uint8_t> &views, const std::string &s, int32_t buffer, int32_t offset) {
  uint8_t v[16] = {};
  int32_t len = (int32_t)s.size();
  memcpy(v, &len, 4);
  if (len <= 12) {
    memcpy(v + 4, s.data(), s.size());
  } else {
    memcpy(v + 4, s.data(), 4);
    memcpy(v + 8, &buffer, 4);
    memcpy(v + 12, &offset, 4);
  }
  views.insert(views.end(), v, v + 16);
}

// An import that fails moves nothing: the caller's release callbacks are intact and run once.
inline void expect_import_error(std::vector<HandChild> kids, int64_t length, weft_status want,
                         std::vector<std::string> words, std::vector<bool> struct_valid = {},
                         const char *parent_format = "+s") {
  Counters counters;
  ArrowSchema schema;
  ArrowArray array;
  make_batch(std::move(kids), length, 0, &counters, &schema, &array, struct_valid);
  schema.format = parent_format;
  weft_table *t = nullptr;
  EXPECT_EQ(weft_table_from_arrow(&schema, &array, &t), want);
  std::string msg = weft_last_error();
  for (auto &w : words) EXPECT_NE(msg.find(w), std::string::npos) << "'" << w << "' not in: " << msg;
  EXPECT_EQ(t, nullptr);
  ASSERT_NE(array.release, nullptr);
  ASSERT_NE(schema.release, nullptr);
  EXPECT_EQ(counters.arrays, 0);
  array.release(&array);
  schema.release(&schema);
  EXPECT_EQ(counters.arrays, 1);
  EXPECT_EQ(counters.schemas, 1);
}

}  // namespace
