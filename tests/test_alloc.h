/* test_alloc.h -- the allocator the suites inject failures with: it counts
 * its calls and the blocks alive, and refuses its fail_at-th call (1-based;
 * 0: none) or, with from_then_on, that call and every later one. */
#ifndef DC_TEST_ALLOC_H
#define DC_TEST_ALLOC_H

#include <stdbool.h>
#include <stdlib.h>

#include "devcompat.h"

typedef struct test_alloc {
    long calls, live, fail_at;
    bool from_then_on;
} test_alloc;

static inline void *test_realloc(void *ud, void *ptr, size_t size)
{
    test_alloc *t = ud;
    t->calls++;
    if (t->fail_at && (t->calls == t->fail_at || (t->from_then_on && t->calls > t->fail_at)))
        return NULL;
    void *p = realloc(ptr, size ? size : 1);
    if (p && !ptr)
        t->live++;
    return p;
}

static inline void test_free(void *ud, void *ptr)
{
    test_alloc *t = ud;
    if (ptr) {
        t->live--;
        free(ptr);
    }
}

/* The hook over t. */
static inline dc_alloc test_hook(test_alloc *t)
{
    dc_alloc a = { test_realloc, test_free, t };
    return a;
}

#endif
