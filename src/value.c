/* value.c -- the six types of docs/language.md, section 6: parsing, comparison, rendering.
 *
 * Every parser reads exactly [p, p+n) and writes its result only on success.
 * Nothing here allocates: sets are parsed into caller-provided item arrays.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "semver.h"
#include "value.h"

static const char *const type_names[VT_COUNT] = {
    [VT_NONE] = NULL,       [VT_INT] = "int",   [VT_HEX] = "hex", [VT_STRING] = "string",
    [VT_SEMVER] = "semver", [VT_BOOL] = "bool", [VT_SET] = "set",
};

const char *vtype_name(vtype t)
{
    if ((unsigned)t >= VT_COUNT)
        return NULL;
    return type_names[t];
}

vtype vtype_from_name(const char *name, size_t len)
{
    if (!name)
        return VT_NONE;
    for (int t = VT_NONE + 1; t < VT_COUNT; t++) {
        const char *s = type_names[t];
        if (strlen(s) == len && memcmp(s, name, len) == 0)
            return (vtype)t;
    }
    return VT_NONE;
}

/* ------------------------------------------------------------ numbers */

/* The value of hex digit c, or 16 when c is not one. */
static inline unsigned hex_digit(unsigned char c)
{
    unsigned d = (unsigned)c - '0';
    if (d <= 9)
        return d;
    d = ((unsigned)c | 0x20) - 'a'; /* 'A'..'F' fold onto 'a'..'f' */
    return d <= 5 ? d + 10 : 16;
}

static bool has_hex_prefix(const char *p, size_t n)
{
    return n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
}

/* hex-digits: one or more, value must fit in 64 bits (leading zeros free). */
static bool scan_hex(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = hex_digit((unsigned char)p[i]);
        if (d > 15 || (v >> 60))
            return false; /* not a digit, or a 17th significant digit */
        v = (v << 4) | d;
    }
    *out = v;
    return true;
}

/* dec-digits: one or more, value must fit in uint64. */
static bool scan_dec(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9 || __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
            return false;
    }
    *out = v;
    return true;
}

/* int: '-'? ( '0x' hex-digits | '0X' hex-digits | dec-digits ), int64. */
bool parse_int(const char *p, size_t n, int64_t *out)
{
    bool neg = false;
    uint64_t mag;

    if (n > 0 && p[0] == '-') {
        neg = true;
        p++;
        n--;
    }
    if (has_hex_prefix(p, n)) {
        if (!scan_hex(p + 2, n - 2, &mag))
            return false;
    } else if (!scan_dec(p, n, &mag)) {
        return false;
    }
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return false;
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)mag;
    }
    return true;
}

/* hex: ( '0x' | '0X' )? hex-digits, at most 64 bits. */
bool parse_hex(const char *p, size_t n, uint64_t *out)
{
    if (has_hex_prefix(p, n)) {
        p += 2;
        n -= 2;
    }
    return scan_hex(p, n, out);
}

static bool word_is(const char *p, size_t n, const char *word)
{
    size_t len = strlen(word);

    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

bool parse_bool(const char *p, size_t n, bool *out)
{
    static const char *const yes[] = { "1", "y", "yes", "true", "on" };
    static const char *const no[] = { "0", "n", "no", "false", "off" };

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (word_is(p, n, yes[i])) {
            *out = true;
            return true;
        }
        if (word_is(p, n, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* --------------------------------------------------------------- sets */

static bool is_set_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n';
}

/* Byte order, a prefix before the longer string. */
static int dstr_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int item_cmp(const void *pa, const void *pb)
{
    const dstr *a = pa, *b = pb;
    return dstr_cmp(a->p, a->len, b->p, b->len);
}

/* Counts the non-empty items; stores the first `cap` in `items` when it is
 * not NULL and sets *over if there were more. */
static size_t set_scan(const char *p, size_t n, dstr *items, uint32_t cap, bool *over)
{
    size_t count = 0, i = 0;

    while (i < n) {
        while (i < n && is_set_sep(p[i]))
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && !is_set_sep(p[i]))
            i++;
        if (items) {
            if (count < cap) {
                items[count].p = p + start;
                items[count].len = (uint32_t)(i - start);
            } else {
                *over = true;
            }
        }
        count++;
    }
    return count;
}

size_t set_count(const char *p, size_t n)
{
    return set_scan(p, n, NULL, 0, NULL);
}

bool set_parse(const char *p, size_t n, dstr *items, uint32_t cap, uint32_t *count)
{
    bool over = false;
    size_t found;

    if (n > UINT32_MAX)
        return false;
    found = set_scan(p, n, items, cap, &over);
    if (over)
        return false;
    if (found > 1)
        qsort(items, found, sizeof items[0], item_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < found; i++) {
        if (kept > 0 && item_cmp(&items[kept - 1], &items[i]) == 0)
            continue;
        items[kept++] = items[i];
    }
    *count = (uint32_t)kept;
    return true;
}

bool set_contains(const vset *s, const char *p, size_t n)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = dstr_cmp(s->items[mid].p, s->items[mid].len, p, n);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool set_subset(const vset *a, const vset *b)
{
    uint32_t j = 0;

    for (uint32_t i = 0; i < a->n; i++) {
        int c = 1;
        while (j < b->n && (c = item_cmp(&b->items[j], &a->items[i])) < 0)
            j++;
        if (j == b->n || c != 0)
            return false;
        j++;
    }
    return true;
}

bool set_equal(const vset *a, const vset *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (item_cmp(&a->items[i], &b->items[i]) != 0)
            return false;
    return true;
}

/* ------------------------------------------------------------- values */

bool value_parse(vtype t, const char *p, size_t n, value *out)
{
    switch (t) {
    case VT_INT: {
        int64_t i;
        if (!parse_int(p, n, &i))
            return false;
        *out = (value){ .type = VT_INT, .as.i = i };
        return true;
    }
    case VT_HEX: {
        uint64_t u;
        if (!parse_hex(p, n, &u))
            return false;
        *out = (value){ .type = VT_HEX, .as.u = u };
        return true;
    }
    case VT_BOOL: {
        bool b;
        if (!parse_bool(p, n, &b))
            return false;
        *out = (value){ .type = VT_BOOL, .as.b = b };
        return true;
    }
    case VT_SEMVER: {
        semver v;
        if (!parse_semver(p, n, &v))
            return false;
        *out = (value){ .type = VT_SEMVER, .as.v = v };
        return true;
    }
    case VT_STRING:
        if (n > UINT32_MAX)
            return false;
        *out = (value){ .type = VT_STRING, .as.s = { p, (uint32_t)n } };
        return true;
    default: return false;
    }
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

/* int (int64) against hex (uint64), mathematically. */
static int cmp_int_hex(int64_t i, uint64_t u)
{
    if (i < 0)
        return -1;
    return cmp_u64((uint64_t)i, u);
}

int value_cmp(const value *a, const value *b)
{
    if (a->type == VT_INT && b->type == VT_HEX)
        return cmp_int_hex(a->as.i, b->as.u);
    if (a->type == VT_HEX && b->type == VT_INT)
        return -cmp_int_hex(b->as.i, a->as.u);
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    switch (a->type) {
    case VT_INT: return cmp_i64(a->as.i, b->as.i);
    case VT_HEX: return cmp_u64(a->as.u, b->as.u);
    case VT_BOOL: return (int)a->as.b - (int)b->as.b;
    case VT_STRING: return dstr_cmp(a->as.s.p, a->as.s.len, b->as.s.p, b->as.s.len);
    case VT_SEMVER: return semver_cmp(&a->as.v, &b->as.v);
    case VT_SET: return set_equal(&a->as.set, &b->as.set) ? 0 : 1;
    default: return 0;
    }
}

bool value_equal(const value *a, const value *b)
{
    return value_cmp(a, b) == 0;
}

/* Appends like snprintf: counts everything, stores what fits. */
static void put(char *buf, size_t cap, size_t *len, const char *p, size_t n)
{
    if (*len < cap) {
        size_t room = cap - *len - 1;
        memcpy(buf + *len, p, n < room ? n : room);
    }
    *len += n;
}

size_t value_render(const value *v, char *buf, size_t cap)
{
    char num[32];
    size_t len = 0;
    int k;

    switch (v->type) {
    case VT_INT:
        k = snprintf(num, sizeof num, "%" PRId64, v->as.i);
        put(buf, cap, &len, num, (size_t)k);
        break;
    case VT_HEX:
        k = snprintf(num, sizeof num, "%" PRIx64, v->as.u);
        put(buf, cap, &len, num, (size_t)k);
        break;
    case VT_BOOL: put(buf, cap, &len, v->as.b ? "true" : "false", v->as.b ? 4 : 5); break;
    case VT_STRING: put(buf, cap, &len, v->as.s.p, v->as.s.len); break;
    case VT_SEMVER: return semver_render(&v->as.v, buf, cap);
    case VT_SET:
        for (uint32_t i = 0; i < v->as.set.n; i++) {
            if (i > 0)
                put(buf, cap, &len, ",", 1);
            put(buf, cap, &len, v->as.set.items[i].p, v->as.set.items[i].len);
        }
        break;
    default: break;
    }
    if (cap > 0)
        buf[len < cap ? len : cap - 1] = '\0';
    return len;
}
