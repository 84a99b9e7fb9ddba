/* hmap.c -- open addressing with linear probing; grows at 1/2 load. */
#include <string.h>

#include "hmap.h"

uint32_t hmap_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

int64_t hmap_next(const hmap *m, uint32_t hash, uint32_t *pos)
{
    if (!m->cap)
        return -1;
    uint32_t mask = m->cap - 1;
    for (uint32_t i = *pos; i < m->cap; i++) {
        const hmap_entry *e = &m->e[(hash + i) & mask];
        if (!e->index1)
            return -1;
        if (e->hash == hash) {
            *pos = i + 1;
            return e->index1 - 1;
        }
    }
    return -1;
}

static void place(hmap_entry *tab, uint32_t cap, hmap_entry e)
{
    uint32_t mask = cap - 1;
    for (uint32_t i = 0;; i++) {
        hmap_entry *slot = &tab[(e.hash + i) & mask];
        if (!slot->index1) {
            *slot = e;
            return;
        }
    }
}

bool hmap_put(hmap *m, const dc_alloc *a, uint32_t hash, uint32_t index)
{
    if (index == UINT32_MAX)
        return false;
    if ((m->n + 1) * 2 > m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 64;
        if (cap < m->cap)
            return false;
        hmap_entry *tab = mem_array(a, cap, sizeof *tab);
        if (!tab)
            return false;
        memset(tab, 0, (size_t)cap * sizeof *tab);
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->e[i].index1)
                place(tab, cap, m->e[i]);
        mem_free(a, m->e);
        m->e = tab;
        m->cap = cap;
    }
    place(m->e, m->cap, (hmap_entry){ hash, index + 1 });
    m->n++;
    return true;
}

void hmap_free(hmap *m, const dc_alloc *a)
{
    mem_free(a, m->e);
    m->e = NULL;
    m->cap = m->n = 0;
}
