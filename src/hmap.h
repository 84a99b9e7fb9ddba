/* hmap.h -- a small open-addressing index: hash -> entry number of a table
 * kept elsewhere.  The caller compares candidates itself, so one map type
 * serves strings, constants and names alike. */
#ifndef DC_HMAP_H
#define DC_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

typedef struct hmap_entry {
    uint32_t hash;
    uint32_t index1; /* entry number + 1; 0 = empty */
} hmap_entry;

typedef struct hmap {
    hmap_entry *e;
    uint32_t cap, n; /* cap is a power of two */
} hmap;

uint32_t hmap_hash(const void *data, size_t len);

/* Iterate over the candidates of `hash`: start with *pos = 0; each call
 * returns the next entry number with that hash, or -1 when there is none. */
int64_t hmap_next(const hmap *m, uint32_t hash, uint32_t *pos);

/* Add entry number `index` under `hash`; false when memory ran out. */
bool hmap_put(hmap *m, const dc_alloc *a, uint32_t hash, uint32_t index);

void hmap_free(hmap *m, const dc_alloc *a);

#endif
