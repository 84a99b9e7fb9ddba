/* helpers.h -- shorthands the test suites share for the public API's
 * out-parameter calls (include/devcompat.h), where a test only wants the
 * object or NULL.  test_api.c exercises the calls themselves. */
#ifndef DC_TEST_HELPERS_H
#define DC_TEST_HELPERS_H

#include "devcompat.h"

/* The i-th diagnostic of d, or NULL when out of range: a copy that stays
 * valid for the next seven calls. */
static inline const dc_diag *nth_diag(const dc_diags *d, size_t i)
{
    static dc_diag ring[8];
    static unsigned next;
    dc_diag *g = &ring[next++ % 8];
    *g = (dc_diag)DC_DIAG_INIT;
    return dc_diags_get(d, i, g) == DC_OK ? g : NULL;
}

/* A new result for pol, or NULL. */
static inline dc_result *new_result(const dc_policy *pol)
{
    dc_result *r = NULL;
    return dc_result_new(pol, &r, NULL) == DC_OK ? r : NULL;
}

/* A new empty facts object (with alloc, NULL for the default), or NULL. */
static inline dc_facts *new_facts(const dc_alloc *alloc)
{
    dc_facts *f = NULL;
    return dc_facts_new_ex(alloc, &f, NULL) == DC_OK ? f : NULL;
}

/* r's explanation, or NULL when it could not be rendered. */
static inline const char *explanation(dc_result *r)
{
    const char *text = NULL;
    return dc_result_explain(r, &text) == DC_OK ? text : NULL;
}

#endif
