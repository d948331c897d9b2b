/* Writes seed inputs for the fuzz targets through weft itself: valid flat and IVF index
 * files (fuzz_index: a first byte 0x00 or 0x01 before the file) into the folder given.
 * Run by hand when a file format changes; the outputs are committed under corpus/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

#define OK(call)                                                        \
  do {                                                                  \
    if ((call) != WEFT_OK) {                                            \
      fprintf(stderr, "%s: %s\n", #call, weft_last_error());            \
      exit(1);                                                          \
    }                                                                   \
  } while (0)

/* The file at `path` with `first` in front, as corpus/fuzz_index/<name>. */
static void prefix_file(const char *dir, const char *name, const char *path, unsigned char first) {
  FILE *in = fopen(path, "rb");
  char out_path[4096];
  snprintf(out_path, sizeof out_path, "%s/%s", dir, name);
  FILE *out = fopen(out_path, "wb");
  if (!in || !out) perror(path), exit(1);
  fputc(first, out);
  int c;
  while ((c = fgetc(in)) != EOF) fputc(c, out);
  fclose(in), fclose(out);
  remove(path);
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: %s corpus/fuzz_index\n", argv[0]), 2;
  const char *dir = argv[1];
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s/.seed.tmp", dir);
  float v[6 * 3];
  for (int i = 0; i < 18; i++) v[i] = (float)((i * 7) % 11) - 5.0f;
  for (int metric = 0; metric < 3; metric++) {
    weft_index *index;
    OK(weft_index_create(3, (weft_metric)metric, &index));
    OK(weft_index_add(index, 4, v, NULL));
    OK(weft_index_save(index, tmp));
    char name[64];
    snprintf(name, sizeof name, "flat_metric%d", metric);
    prefix_file(dir, name, tmp, 0x00);
    weft_index_free(index);
  }
  weft_index *empty;
  OK(weft_index_create(2, WEFT_METRIC_L2, &empty));
  OK(weft_index_save(empty, tmp));
  prefix_file(dir, "flat_empty", tmp, 0x00);
  weft_index_free(empty);
  for (int codec = 0; codec < 2; codec++) {
    weft_ivf *ivf;
    OK(weft_ivf_create(3, 2, WEFT_METRIC_L2, (weft_ivf_codec)codec, &ivf));
    char name[64];
    snprintf(name, sizeof name, "ivf_untrained_codec%d", codec);
    OK(weft_ivf_save(ivf, tmp));
    prefix_file(dir, name, tmp, 0x01);
    OK(weft_ivf_train(ivf, 6, v, 4, 7));
    OK(weft_ivf_add(ivf, 6, v, NULL));
    snprintf(name, sizeof name, "ivf_codec%d", codec);
    OK(weft_ivf_save(ivf, tmp));
    prefix_file(dir, name, tmp, 0x01);
    weft_ivf_free(ivf);
  }
  /* pq (m = 2 of dim 4, nbits 4: 16 training rows at least), with and without kept rows */
  float w[20 * 4];
  for (int i = 0; i < 80; i++) w[i] = (float)((i * 7) % 13) - 6.0f;
  for (int refine = 0; refine < 2; refine++) {
    weft_ivf *ivf;
    OK(weft_ivf_create_pq(4, 2, WEFT_METRIC_L2, 2, 4, &ivf));
    if (refine) OK(weft_ivf_set_refine(ivf, 2));
    char name[64];
    snprintf(name, sizeof name, "ivf_untrained_pq_refine%d", refine);
    OK(weft_ivf_save(ivf, tmp));
    prefix_file(dir, name, tmp, 0x01);
    OK(weft_ivf_train(ivf, 20, w, 4, 7));
    OK(weft_ivf_add(ivf, 20, w, NULL));
    snprintf(name, sizeof name, "ivf_pq_refine%d", refine);
    OK(weft_ivf_save(ivf, tmp));
    prefix_file(dir, name, tmp, 0x01);
    weft_ivf_free(ivf);
  }
  return 0;
}
