/* facts_kv_line.h -- the common line of key=value facts text (docs/facts.md,
 * format 1), `name = value` with a plain value, read inline: by the
 * key=value reader (facts_kv.c) for the lines it can take in one scan, and
 * by a device refilled from text (prepare.c), which takes a text of such
 * lines only.  Any other line (a quote, a comment after a value, a header,
 * a byte no facts text may hold, a name or value past its limit) is left
 * to facts_kv.c's general reader, which alone words errors.
 */
#ifndef DC_FACTS_KV_LINE_H
#define DC_FACTS_KV_LINE_H

#include "facts.h"
#include "facts_chars.h"

#if defined(__GNUC__)
#define KV_INLINE __attribute__((always_inline)) static inline
#else
#define KV_INLINE static inline
#endif

/* Is [p, p+n) a word that starts a header when a blank or ':' follows it
 * (facts_kv.c's header_of)?  No other name can start one. */
static inline bool header_word(const char *p, size_t n)
{
    return (n == 4 && p[0] == 'S' && !memcmp(p, "SELF", 4)) ||
           (n == 6 && p[0] == 'P' && !memcmp(p, "POLICY", 6)) ||
           (n == 10 && p[0] == 'C' && !memcmp(p, "COMPATIBLE", 10));
}

/* The plain value after a line's '=' at v, up to the line's end: blanks
 * skipped before it and trimmed after it, as kv_line reads it (the text
 * from `start` on may be read: span_from).  Into
 * f->value and f->value_len; returns where the next line starts (end at
 * the last), or NULL for a quoted value, one holding '#' (perhaps a
 * comment), a byte no facts text may hold or a value past DC_MAX_VALUE. */
KV_INLINE const char *kv_plain_value(const char *start, const char *v, const char *end,
                                     kv_fact *f)
{
    const char *e = end, *next = end;
    while (v < end && is_blank(*v))
        v++;
    if (v < end) {
        if (*v == '"')
            return NULL;
        e = span_from(start, v, end, true);
        if (e == end)
            next = end;
        else if (*e == '\n')
            next = e + 1;
        else if (*e == '\r' && e + 1 < end && e[1] == '\n')
            next = e + 2;
        else
            return NULL;
        if (e > v)
            while (is_blank(e[-1])) /* *v is not a blank: it stops there */
                e--;
    }
    if ((size_t)(e - v) > DC_MAX_VALUE)
        return NULL;
    f->value = v;
    f->value_len = (uint32_t)(e - v);
    return next;
}

/* The common line whose name starts at p (is_name_start(*p)), read in one
 * scan into *f as kv_line would note it: the name, blanks, '=' and a plain
 * value (kv_plain_value); the name valid (name_ok) and no header's word.
 * Returns where the next line starts, or NULL for any other line. */
KV_INLINE const char *kv_plain_line(const char *start, const char *p, const char *end,
                                    kv_fact *f)
{
    const char *q = word_run(p + 1, end);
    while (q < end && *q == '.') {
        if (++q == end)
            return NULL;
        if (!is_name_start(*q)) {
            /* a record index (sla.0.cir), followed by a field */
            size_t k = record_index_len(q, end);
            if (!k || q + k == end)
                return NULL;
            q += k;
            continue;
        }
        q = word_run(q + 1, end);
    }
    size_t name_len = (size_t)(q - p);
    while (q < end && is_blank(*q))
        q++;
    if (q == end || *q != '=' || name_len > DC_MAX_NAME || header_word(p, name_len))
        return NULL;
    f->name = p;
    f->name_len = (uint32_t)name_len;
    return kv_plain_value(start, q + 1, end, f);
}

/* The line at s of the text that starts at `start` when it is blank, a
 * comment or the common line: KV_FACT (the fact in *f) or KV_NONE, *next
 * where the next line starts; KV_OTHER for any other line. */
enum kv_line_kind { KV_NONE, KV_FACT, KV_OTHER };

KV_INLINE enum kv_line_kind kv_plain_next(const char *start, const char *s, const char *end,
                                          kv_fact *f, const char **next)
{
    const char *p = s;
    while (p < end && is_blank(*p))
        p++;
    if (p == end) {
        *next = end;
        return KV_NONE;
    }
    if (is_name_start(*p))
        return (*next = kv_plain_line(start, p, end, f)) ? KV_FACT : KV_OTHER;
    if (*p == '#' || *p == '\n' || *p == '\r') /* a comment or a blank line */
        return line_end(p, end, next) ? KV_NONE : KV_OTHER;
    return KV_OTHER;
}

/* Does the line at s start with the name [name, name+n) and '=' right
 * after it?  Then, when the name is a valid one (a caller knows it from an
 * earlier kv_plain_line), the line's name is that and its value follows
 * the '=': a line of the common shape told without reading its name. */
KV_INLINE bool kv_named(const char *s, const char *end, const char *name, uint32_t n)
{
    return (size_t)(end - s) > n && s[n] == '=' && bytes_equal(s, name, n);
}

#endif
