/* fixed_size_list<float32, dim> in and out of weft's vector columns (arrow_vector.h). The
 * floats are the child array's buffer read in place: weft's row i is the child's rows
 * (offset + i) * dim .. + dim, with the list's validity as the column's. */
#include "frame/io/arrow_vector.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "frame/io/arrow_check.h"

weft_status weft__arrow_vector_type(const struct ArrowSchema *field, const char *name,
                                    weft_type *type) {
  const char *f = field->format;
  char *end = NULL;
  long dim = strtol(f + 3, &end, 10);
  if (end == f + 3 || *end != '\0')
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "Arrow column \"%s\" has a malformed "
                       "fixed_size_list format \"%s\"", name, f);
  if (field->n_children != 1 || !field->children || !field->children[0] ||
      !field->children[0]->format)
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "Arrow column \"%s\" (format \"%s\") has %lld "
                       "child fields, expected 1", name, f, (long long)field->n_children);
  const char *item = field->children[0]->format;
  if (strcmp(item, "f"))
    return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\" is a fixed_size_list of format "
                       "\"%s\"; weft's vector columns hold float32 (\"f\"): cast it to "
                       "fixed_size_list<float32, %ld> (Polars: pl.Array(pl.Float32, %ld))", name,
                       item, dim, dim);
  if (dim < 1 || dim > WEFT_VECTOR_MAX_DIM)
    return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\" is a fixed_size_list of %ld "
                       "floats; weft's vectors have 1..%d", name, dim, WEFT_VECTOR_MAX_DIM);
  *type = WEFT_TYPE_VECTOR((int)dim);
  return WEFT_OK;
}

static int bit_at(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

weft_status weft__arrow_vector_view(const struct ArrowArray *a, int64_t parent_offset, int64_t n,
                                    weft_type type, const char *name, weft__column *out) {
  int64_t dim = weft__vec_dim(type);
  WEFT_CHECK_ARG(a->n_buffers >= 1 && a->buffers && a->n_children == 1 && a->children &&
                 a->children[0] && a->children[0]->release,
                 "Arrow column \"%s\" (fixed_size_list) has %lld buffers and %lld children, "
                 "expected 1 and 1", name, (long long)a->n_buffers, (long long)a->n_children);
  const struct ArrowArray *c = a->children[0];
  /* parent_offset + n cannot overflow: the batch's own offset and length were checked */
  WEFT_CHECK_ARG(a->offset >= 0 && a->length >= 0 && a->length <= INT64_MAX - a->offset &&
                 a->length >= parent_offset + n,
                 "Arrow column \"%s\" has %lld rows (offset %lld) but the batch needs %lld from "
                 "row %lld", name, (long long)a->length, (long long)a->offset, (long long)n,
                 (long long)parent_offset);
  WEFT_CHECK_ARG(a->null_count >= -1 && a->null_count <= a->length,
                 "Arrow column \"%s\" has null_count %lld for %lld rows", name,
                 (long long)a->null_count, (long long)a->length);
  const int64_t off = a->offset + parent_offset; /* <= a->offset + a->length: no overflow */
  /* the child's items [c->offset, c->offset + (off + n) * dim) must exist, every product
   * and sum of them in range (a huge offset would wrap and pass the length test) */
  WEFT_CHECK_ARG(c->n_buffers >= 2 && c->buffers && c->offset >= 0 && c->length >= 0 &&
                 c->length <= INT64_MAX - c->offset && off + n <= c->length / dim,
                 "Arrow column \"%s\": its float32 child has %lld values (offset %lld), the rows "
                 "need %lld x %lld", name, (long long)c->length, (long long)c->offset,
                 (long long)(off + n), (long long)dim);
  WEFT_CHECK_ARG(n == 0 || c->buffers[1], "Arrow column \"%s\" has %lld rows but no float "
                 "values buffer", name, (long long)n);
  const uint8_t *valid = a->buffers[0];
  const uint8_t *item_valid = c->null_count != 0 ? c->buffers[0] : NULL;
  for (int64_t r = 0; item_valid && r < n; r++) {
    if (valid && !bit_at(valid, off + r)) continue;
    for (int64_t k = 0; k < dim; k++)
      if (!bit_at(item_valid, c->offset + (off + r) * dim + k))
        return weft__error(WEFT_ERR_UNSUPPORTED, "Arrow column \"%s\": row %lld holds a null at "
                           "element %lld; a weft vector is null as a whole or holds %lld floats "
                           "(fill the nulls, e.g. with NaN, first)", name, (long long)r,
                           (long long)k, (long long)dim);
  }
  static const float none[1] = {0};
  memset(out, 0, sizeof *out);
  out->view.type = type;
  out->view.length = n;
  out->view.offset = off;
  out->view.values = c->buffers[1] ? (const void *)((const float *)c->buffers[1] + c->offset)
                                   : (const void *)none;
  out->view.validity = valid;
  /* counted, as every imported column's (arrow_check.h): a wrong null_count would drop
   * real nulls or size a compaction wrongly */
  out->view.null_count = valid ? n - weft__arrow_count_set(valid, off, n) : 0;
  if (out->view.null_count == 0) out->view.validity = NULL;
  return WEFT_OK;
}

static void release_item_schema(struct ArrowSchema *s) { s->release = NULL; }

/* The vector field's storage: the child field, the pointer to it, the format and name. */
typedef struct vector_schema {
  struct ArrowSchema item;
  struct ArrowSchema *item_ptr;
  char format[24];
  char name[];
} vector_schema;

static void release_vector_schema(struct ArrowSchema *s) {
  vector_schema *v = s->private_data;
  if (v->item.release) v->item.release(&v->item);
  free(v);
  s->release = NULL;
}

int weft__arrow_vector_schema(struct ArrowSchema *k, const char *name, weft_type type) {
  size_t len = strlen(name) + 1;
  vector_schema *v = weft__calloc(1, sizeof *v + len);
  if (!v) return 0;
  memcpy(v->name, name, len);
  snprintf(v->format, sizeof v->format, "+w:%d", weft__vec_dim(type));
  v->item = (struct ArrowSchema){.format = "f", .name = "item", .flags = ARROW_FLAG_NULLABLE,
                                 .release = release_item_schema};
  v->item_ptr = &v->item;
  memset(k, 0, sizeof *k);
  k->format = v->format;
  k->name = v->name;
  k->flags = ARROW_FLAG_NULLABLE;
  k->n_children = 1;
  k->children = &v->item_ptr;
  k->private_data = v;
  k->release = release_vector_schema;
  return 1;
}
