#include "frame/group/groups.h"

#include <stdlib.h>
#include <string.h>

#include "core/scratch.h"

void weft__groups_free(weft__groups *g) {
  weft__scratch_free(g->gid);
  free(g->first);
  memset(g, 0, sizeof *g);
}
