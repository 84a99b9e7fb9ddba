/* semver.c -- SemVer 2.0.0 versions: parsing, precedence, canonical text
 * (docs/language.md, section 6).  Ranges (section 7.1) are semver_range.c's. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "semver.h"

size_t semver_scan_num(const char *p, size_t n, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;

    while (i < n && sv_is_digit(p[i])) {
        unsigned d = (unsigned)(p[i] - '0');
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
            return 0;
        i++;
    }
    if (i == 0 || (i > 1 && p[0] == '0'))
        return 0;
    *out = v;
    return i;
}

/* ids: id ('.' id)*, id = [0-9A-Za-z-]+; with `numeric_rule` an all-digit id
 * may not have a leading zero (pre-release).  Returns the length read (the
 * ids end at the first byte that is neither an id byte nor '.'), 0 if they
 * are malformed. */
static size_t scan_ids(const char *p, size_t n, bool numeric_rule)
{
    size_t i = 0;

    for (;;) {
        size_t start = i;
        bool all_digits = true;
        while (i < n && sv_is_ident_char(p[i])) {
            if (!sv_is_digit(p[i]))
                all_digits = false;
            i++;
        }
        if (i == start)
            return 0;
        if (numeric_rule && all_digits && i - start > 1 && p[start] == '0')
            return 0;
        if (i < n && p[i] == '.') {
            i++;
            continue;
        }
        return i;
    }
}

bool semver_parse_version(const char *p, size_t n, bool need_patch, semver *out)
{
    semver v;
    size_t i = 0, k;

    memset(&v, 0, sizeof v);
    if (!(k = semver_scan_num(p, n, &v.major)))
        return false;
    i += k;
    if (i >= n || p[i] != '.')
        return false;
    i++;
    if (!(k = semver_scan_num(p + i, n - i, &v.minor)))
        return false;
    i += k;
    if (i < n && p[i] == '.') {
        i++;
        if (!(k = semver_scan_num(p + i, n - i, &v.patch)))
            return false;
        i += k;
    } else if (need_patch) {
        return false;
    }
    if (i < n && p[i] == '-') {
        i++;
        if (!(k = scan_ids(p + i, n - i, true)))
            return false;
        if (k > UINT32_MAX)
            return false;
        v.pre.p = p + i;
        v.pre.len = (uint32_t)k;
        i += k;
    }
    if (i < n && p[i] == '+') {
        i++;
        if (!(k = scan_ids(p + i, n - i, false)))
            return false;
        i += k;
    }
    if (i != n)
        return false;
    *out = v;
    return true;
}

bool parse_semver(const char *p, size_t n, semver *out)
{
    return semver_parse_version(p, n, false, out);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!sv_is_digit(p[i]))
            return false;
    return true;
}

/* One pre-release identifier against another: numeric ones numerically
 * (they have no leading zeros, so by length first), below alphanumeric ones,
 * which compare in ASCII order. */
static int cmp_ident(const char *a, size_t an, const char *b, size_t bn)
{
    bool anum = all_digits(a, an), bnum = all_digits(b, bn);
    int c;

    if (anum != bnum)
        return anum ? -1 : 1;
    if (anum && an != bn)
        return an < bn ? -1 : 1;
    c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c < 0 ? -1 : 1;
    return cmp_u64(an, bn);
}

static int cmp_pre(const dstr *a, const dstr *b)
{
    size_t i = 0, j = 0;

    if (a->len == 0 || b->len == 0)
        return a->len == b->len ? 0 : a->len == 0 ? 1 : -1;
    for (;;) {
        size_t ie = i, je = j;
        while (ie < a->len && a->p[ie] != '.')
            ie++;
        while (je < b->len && b->p[je] != '.')
            je++;
        int c = cmp_ident(a->p + i, ie - i, b->p + j, je - j);
        if (c)
            return c;
        bool aend = ie >= a->len, bend = je >= b->len;
        if (aend || bend)
            return aend == bend ? 0 : aend ? -1 : 1;
        i = ie + 1;
        j = je + 1;
    }
}

int semver_cmp(const semver *a, const semver *b)
{
    int c;

    if ((c = cmp_u64(a->major, b->major)))
        return c;
    if ((c = cmp_u64(a->minor, b->minor)))
        return c;
    if ((c = cmp_u64(a->patch, b->patch)))
        return c;
    return cmp_pre(&a->pre, &b->pre);
}

void semver_put(sink *s, const semver *v)
{
    sink_printf(s, "%" PRIu64 ".%" PRIu64 ".%" PRIu64, v->major, v->minor, v->patch);
    if (v->pre.len) {
        sink_put(s, "-", 1);
        sink_put(s, v->pre.p, v->pre.len);
    }
}

size_t semver_render(const semver *v, char *buf, size_t cap)
{
    sink s = sink_bounded(buf, cap);

    semver_put(&s, v);
    return sink_finish(&s);
}
