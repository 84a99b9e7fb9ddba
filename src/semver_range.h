/* semver_range.h -- node-semver ranges (docs/language.md, section 7.1).
 *
 * A range compiles to constant tables: a disjunction (||) of comparator sets,
 * each a conjunction of comparators.  Every node-semver form (^, ~, x-ranges,
 * hyphen ranges, partial versions) is desugared at compile time to plain
 * comparators, so testing a version is a few integer comparisons.
 */
#ifndef DC_SEMVER_RANGE_H
#define DC_SEMVER_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "semver.h"

typedef enum sv_op { SV_LT, SV_LE, SV_GT, SV_GE, SV_EQ } sv_op;

typedef struct sv_comparator {
    uint8_t op; /* sv_op */
    semver v;   /* v.pre points into the range's own text (see below) */
} sv_comparator;

typedef struct sv_range {
    uint32_t nsets;
    uint32_t ncmps;
    uint32_t *set_end; /* set i is cmps[set_end[i-1] .. set_end[i]) */
    sv_comparator *cmps;
    char *text; /* owned copy of the pre-release tags */
} sv_range;

/* Parse a node-semver range (strict, not loose).  On success fills *out (its
 * arrays come from `alloc`, NULL = default; release with sv_range_free) and
 * returns true.  On failure returns false and writes a one-line message
 * ("invalid version '1.2.3.4' in range") into err[errcap]; *err_off receives
 * the byte offset in `text` the message is about. */
struct dc_alloc;
bool sv_range_parse(const struct dc_alloc *alloc, const char *text, size_t n, sv_range *out,
                    char *err, size_t errcap, size_t *err_off);
void sv_range_free(const struct dc_alloc *alloc, sv_range *r);

/* node-semver's satisfies(version, range) with includePrerelease off: a
 * version with a pre-release tag satisfies a comparator set only if some
 * comparator of that set has the same major.minor.patch and a pre-release. */
bool sv_range_test(const sv_range *r, const semver *v);

/* node-semver's testSet, the part of sv_range_test for one comparator set
 * c[0, n): every comparator holds, and a pre-release version needs one
 * with a pre-release on the same major.minor.patch.  Inline because the
 * VM tests a program's sets with it on the hot path; allocates nothing. */
static inline bool sv_set_test(const sv_comparator *c, uint32_t n, const semver *v)
{
    for (uint32_t i = 0; i < n; i++) {
        int d = semver_cmp(v, &c[i].v);
        bool holds;
        switch ((sv_op)c[i].op) {
        case SV_LT: holds = d < 0; break;
        case SV_LE: holds = d <= 0; break;
        case SV_GT: holds = d > 0; break;
        case SV_GE: holds = d >= 0; break;
        case SV_EQ: holds = d == 0; break;
        default: holds = false; /* not an operator: fail closed */
        }
        if (!holds)
            return false;
    }
    if (v->pre.len == 0)
        return true;
    for (uint32_t i = 0; i < n; i++)
        if (c[i].v.pre.len && c[i].v.major == v->major && c[i].v.minor == v->minor &&
            c[i].v.patch == v->patch)
            return true;
    return false;
}

/* True when no version at all can satisfy the range (every set is empty),
 * e.g. ">2.0.0 <1.0.0": a compile error (docs/language.md, section 11.4). */
bool sv_range_is_empty(const sv_range *r);

/* Append the normalized range text ("<2.0.0-0 >=1.2.3 || ...") to buf, snprintf
 * style; used by disasm and by reasons. */
size_t sv_range_render(const sv_range *r, char *buf, size_t cap);

#endif
