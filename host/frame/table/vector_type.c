/* The float32 vector column type (WEFT_TYPE_VECTOR(dim)): its constructor, test and name.
 * Names are interned per dim on first use, so the pointer weft_type_name returns outlives
 * every call as the plain names do; dims in use are few, so the list stays short. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/alloc.h"
#include "frame/table/table.h"

typedef struct vector_name {
  int dim;
  char text[32];
  struct vector_name *next;
} vector_name;

static vector_name *names;
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

const char *weft__vector_type_name(weft_type type) {
  int dim = weft__vec_dim(type);
  pthread_mutex_lock(&names_lock);
  vector_name *n = names;
  while (n && n->dim != dim) n = n->next;
  if (!n && (n = weft__malloc(sizeof *n)) != NULL) {
    n->dim = dim;
    snprintf(n->text, sizeof n->text, "array[f32, %d]", dim); /* as Polars prints it */
    n->next = names;
    names = n;
  }
  pthread_mutex_unlock(&names_lock);
  return n ? n->text : "array[f32]";
}

weft_status weft_type_vector(int dim, weft_type *out) {
  WEFT_CHECK_ARG(out, "weft_type_vector: out is NULL");
  WEFT_CHECK_ARG(dim >= 1 && dim <= WEFT_VECTOR_MAX_DIM, "weft_type_vector: dim %d is not in "
                 "1..%d", dim, WEFT_VECTOR_MAX_DIM);
  *out = WEFT_TYPE_VECTOR(dim);
  return WEFT_OK;
}

int weft_type_is_vector(weft_type type, int *dim) {
  int is = weft__type_is_vector(type) && weft__type_valid(type);
  if (dim) *dim = is ? weft__vec_dim(type) : 0;
  return is;
}

weft_status weft__check_key_type(const char *opname, const char *name, const weft__column *col) {
  if (!weft__type_is_vector(col->view.type)) return WEFT_OK;
  return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: column \"%s\" is %s; a vector column cannot "
                     "be a key (it has no order and no equality)", opname, name,
                     weft_type_name(col->view.type));
}
