/* alloc.h -- the one allocation hook every module allocates through. */
#ifndef DC_ALLOC_H
#define DC_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include "devcompat.h"

/* The default allocator (malloc/realloc/free). */
extern const dc_alloc dc_default_alloc;

/* A NULL `a` means the default allocator.  All return NULL on failure or on
 * size overflow; mem_free accepts NULL. */
void *mem_alloc(const dc_alloc *a, size_t size);
void *mem_zalloc(const dc_alloc *a, size_t size);
void *mem_array(const dc_alloc *a, size_t n, size_t size);         /* n*size, checked */
void *mem_grow(const dc_alloc *a, void *p, size_t n, size_t size); /* realloc n*size, checked */
void mem_free(const dc_alloc *a, void *p);
char *mem_strndup(const dc_alloc *a, const char *s, size_t n);

/* An arena: many small allocations released at once. */
typedef struct arena_chunk arena_chunk;
typedef struct arena {
    const dc_alloc *alloc;
    arena_chunk *head;
    size_t used, cap;
} arena;

void arena_init(arena *ar, const dc_alloc *alloc);
void *arena_alloc(arena *ar, size_t size); /* zeroed, 8-aligned; NULL on failure */
char *arena_strndup(arena *ar, const char *s, size_t n);
/* Room for one more item in an arena-held array of n items and *cap slots
 * of `size` bytes: the array itself while it has room, else a copy twice
 * as large (*cap updated; the old one stays in the arena).  NULL when out
 * of memory or past UINT32_MAX items. */
void *arena_grow(arena *ar, void *items, uint32_t n, uint32_t *cap, size_t size);
/* Forget everything allocated, keeping the newest chunk for what follows
 * (a reader that builds one small tree per item of a long list). */
void arena_reset(arena *ar);
void arena_release(arena *ar);

#endif
