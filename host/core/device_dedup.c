#include "core/device_dedup.h"

#include <string.h>

static int same_address(const weft__device_desc *a, const weft__device_desc *b) {
  if (a->pci_bus != b->pci_bus || a->pci_device != b->pci_device) return 0;
  return a->pci_known < 2 || b->pci_known < 2 || a->pci_domain == b->pci_domain;
}

size_t weft__match_same_gpu(const weft__device_desc *ocl, size_t n_ocl,
                            const weft__device_desc *cuda, size_t n_cuda, int *same_as) {
  enum { MAX = 64 };
  unsigned char taken[MAX] = {0};
  size_t matches = 0;
  for (size_t i = 0; i < n_ocl; i++) same_as[i] = -1;
  /* by address first, so a name match never takes a card another device is known to be */
  for (size_t i = 0; i < n_ocl; i++) {
    if (!ocl[i].is_gpu || !ocl[i].pci_known) continue;
    for (size_t j = 0; j < n_cuda && j < MAX; j++)
      if (!taken[j] && cuda[j].pci_known && same_address(&ocl[i], &cuda[j])) {
        same_as[i] = (int)j, taken[j] = 1, matches++;
        break;
      }
  }
  for (size_t i = 0; i < n_ocl; i++) {
    if (!ocl[i].is_gpu || same_as[i] >= 0 || !ocl[i].name[0]) continue;
    for (size_t j = 0; j < n_cuda && j < MAX; j++)
      if (!taken[j] && (!ocl[i].pci_known || !cuda[j].pci_known) &&
          strcmp(ocl[i].name, cuda[j].name) == 0) {
        same_as[i] = (int)j, taken[j] = 1, matches++;
        break;
      }
  }
  return matches;
}
