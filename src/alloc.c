/* alloc.c -- allocation hook and arena. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static void *default_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (!ptr) /* most calls: malloc without realloc's detour */
        return malloc(size ? size : 1);
    return realloc(ptr, size ? size : 1);
}

static void default_free(void *ud, void *ptr)
{
    (void)ud;
    free(ptr);
}

const dc_alloc dc_default_alloc = { default_realloc, default_free, NULL };

static const dc_alloc *pick(const dc_alloc *a)
{
    return a ? a : &dc_default_alloc;
}

void *mem_alloc(const dc_alloc *a, size_t size)
{
    a = pick(a);
    return a->realloc_fn(a->ud, NULL, size);
}

void *mem_zalloc(const dc_alloc *a, size_t size)
{
    void *p = mem_alloc(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *mem_array(const dc_alloc *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return mem_alloc(a, n * size);
}

void *mem_grow(const dc_alloc *a, void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    a = pick(a);
    return a->realloc_fn(a->ud, p, n * size);
}

void mem_free(const dc_alloc *a, void *p)
{
    if (!p)
        return;
    a = pick(a);
    a->free_fn(a->ud, p);
}

char *mem_strndup(const dc_alloc *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *d = mem_alloc(a, n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

struct arena_chunk {
    arena_chunk *next;
    size_t cap;
    max_align_t data[];
};

void arena_init(arena *ar, const dc_alloc *alloc)
{
    ar->alloc = alloc;
    ar->head = NULL;
    ar->used = ar->cap = 0;
}

void *arena_alloc(arena *ar, size_t size)
{
    if (size > SIZE_MAX - 7) /* the rounding below would wrap */
        return NULL;
    size = (size + 7) & ~(size_t)7;
    if (size == 0)
        size = 8;
    if (!ar->head || ar->cap - ar->used < size) {
        size_t cap = size > 8192 ? size : 8192;
        if (cap > SIZE_MAX - sizeof(arena_chunk))
            return NULL;
        arena_chunk *c = mem_alloc(ar->alloc, sizeof(arena_chunk) + cap);
        if (!c)
            return NULL;
        c->next = ar->head;
        c->cap = cap;
        ar->head = c;
        ar->used = 0;
        ar->cap = cap;
    }
    char *p = (char *)ar->head->data + ar->used;
    ar->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(arena *ar, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *d = arena_alloc(ar, n + 1);
    if (d && n)
        memcpy(d, s, n);
    return d;
}

void *arena_grow(arena *ar, void *items, uint32_t n, uint32_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    if (*cap > UINT32_MAX / 2)
        return NULL;
    uint32_t ncap = *cap ? *cap * 2 : 8;
    if (size && ncap > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(ar, (size_t)ncap * size);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, items, (size_t)n * size);
    *cap = ncap;
    return p;
}

void arena_reset(arena *ar)
{
    if (!ar->head)
        return;
    arena_chunk *c = ar->head->next;
    while (c) {
        arena_chunk *next = c->next;
        mem_free(ar->alloc, c);
        c = next;
    }
    ar->head->next = NULL;
    ar->used = 0;
    ar->cap = ar->head->cap;
}

void arena_release(arena *ar)
{
    arena_chunk *c = ar->head;
    while (c) {
        arena_chunk *next = c->next;
        mem_free(ar->alloc, c);
        c = next;
    }
    ar->head = NULL;
    ar->used = ar->cap = 0;
}
