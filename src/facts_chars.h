/* facts_chars.h -- the bytes of facts text (docs/facts.md): which byte
 * may start a name, go on in one, stand in a value, and fast scans over
 * runs of them.  Shared by the facts container (validation) and the
 * key=value reader; nothing here knows of either.
 */
#ifndef DC_FACTS_CHARS_H
#define DC_FACTS_CHARS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "limits.h"

/* Byte classes (docs/facts.md): a name's segment starts with K_START and goes on
 * with K_WORD; a facts file holds K_TEXT and line ends; a value K_VALUE. */
enum {
    K_START = 1 << 0, /* A-Z a-z _ */
    K_WORD = 1 << 1,  /* A-Z a-z _ 0-9 */
    K_BLANK = 1 << 2, /* space, tab */
    K_TEXT = 1 << 3,  /* printable ASCII and tab */
    K_VALUE = 1 << 4, /* K_TEXT and newline */
    K_PLAIN = 1 << 5  /* K_START but S, P and C: no header starts so */
};

#define K_ALPHA(c) (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z') || (c) == '_')
#define K_OF(c)                                                                                \
    (uint8_t)((K_ALPHA(c) ? K_START | K_WORD : 0) | ((c) >= '0' && (c) <= '9' ? K_WORD : 0) |  \
              ((c) == ' ' || (c) == '\t' ? K_BLANK : 0) |                                      \
              (((c) >= 0x20 && (c) < 0x7f) || (c) == '\t' ? K_TEXT | K_VALUE : 0) |            \
              ((c) == '\n' ? K_VALUE : 0) |                                                    \
              (K_ALPHA(c) && (c) != 'S' && (c) != 'P' && (c) != 'C' ? K_PLAIN : 0))
#define K_4(c)  K_OF(c), K_OF((c) + 1), K_OF((c) + 2), K_OF((c) + 3)
#define K_16(c) K_4(c), K_4((c) + 4), K_4((c) + 8), K_4((c) + 12)
#define K_64(c) K_16(c), K_16((c) + 16), K_16((c) + 32), K_16((c) + 48)

static const uint8_t kclass[256] = { K_64(0), K_64(64), K_64(128), K_64(192) };

static inline bool has_class(char c, unsigned k)
{
    return kclass[(unsigned char)c] & k;
}

static inline bool is_blank(char c)
{
    return has_class(c, K_BLANK);
}

static inline bool is_name_start(char c)
{
    return has_class(c, K_START);
}

static inline bool is_name_char(char c)
{
    return has_class(c, K_WORD);
}

/* The index of the lowest bit set in m (not 0). */
static inline unsigned lowest_bit(uint64_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(m);
#else
    unsigned b = 0;
    for (; !(m & 1); m >>= 1)
        b++;
    return b;

#endif
}

/* The first byte from p on (before end) that is not K_TEXT (a line end or
 * a byte no facts file may hold), or, when `hash`, that is '#'.  Eight bytes
 * at a time: a word with a byte below 0x20 (a tab too), above 0x7e or, when
 * `hash`, equal to '#' flags it, and where the order of the bytes in a word
 * is known, the lowest flag is the first such byte (what the word
 * arithmetic carries or borrows only flags bytes after).  The bytes from
 * `start` (at most p) may be read too: the last fewer than eight bytes are
 * then read as the end of the word that ends at `end`, shifted down, zeros
 * (flagged) coming in after them. */
static inline const char *span_from(const char *start, const char *p, const char *end,
                                    bool hash)
{
    const uint64_t ones = 0x0101010101010101u, highs = ones * 0x80;
    for (;;) {
        uint64_t w;
        if (end - p >= 8) {
            memcpy(&w, p, 8);
        } else {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            if (end - start < 8 || p == end)
                break;
            memcpy(&w, end - 8, 8);
            w >>= 8 * (8 - (end - p));
#else
            (void)start; /* only the little-endian tail reads before p */
            break;
#endif
        }
        uint64_t flags = (((w - ones * 0x20) & ~w) | (w + ones) | w) & highs;
        if (hash) {
            uint64_t x = w ^ (ones * '#');
            flags |= (x - ones) & ~x & highs;
        }
        if (flags) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            const char *e = p + lowest_bit(flags) / 8;
            if (e >= end)
                return end;
            if (!has_class(*e, K_TEXT) || (hash && *e == '#'))
                return e;
            p = e; /* a tab: byte by byte */

#endif
            break;
        }
        p += 8;
    }
    while (p < end && has_class(*p, K_TEXT) && !(hash && *p == '#'))
        p++;
    return p;
}

static inline const char *span_of(const char *p, const char *end, bool hash)
{
    return span_from(p, p, end, hash);
}

static inline const char *text_span(const char *p, const char *end)
{
    return span_of(p, end, false);
}

/* memcmp(a, b, n) == 0 without a call: facts are short.  The last word is
 * compared overlapping the one before (or, under 8 bytes, two overlapping
 * halves of 4, 2 or 1): no loop byte by byte. */
static inline bool bytes_equal(const char *a, const char *b, uint32_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        for (; n > 8; a += 8, b += 8, n -= 8) {
            memcpy(&x, a, 8);
            memcpy(&y, b, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t u, v, w, z;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&w, a + n - 4, 4);
        memcpy(&z, b + n - 4, 4);
        return ((u ^ v) | (w ^ z)) == 0;
    }
    if (n >= 2) {
        uint16_t u, v, w, z;
        memcpy(&u, a, 2);
        memcpy(&v, b, 2);
        memcpy(&w, a + n - 2, 2);
        memcpy(&z, b + n - 2, 2);
        return ((u ^ v) | (w ^ z)) == 0;
    }
    return n == 0 || *a == *b;
}

/* The end of the run of K_WORD bytes at q. */
static inline const char *word_run(const char *q, const char *end)
{
    for (; end - q >= 4; q += 4) {
        if (!is_name_char(q[0]))
            return q;
        if (!is_name_char(q[1]))
            return q + 1;
        if (!is_name_char(q[2]))
            return q + 2;
        if (!is_name_char(q[3]))
            return q + 3;
    }
    while (q < end && is_name_char(*q))
        q++;
    return q;
}

/* The end of the line at s: its '\n', its "\r\n" or the end of the text.
 * *next is where the next line starts.  NULL when a byte no facts file may
 * hold comes first: *next is then that byte. */
static inline const char *line_end(const char *s, const char *end, const char **next)
{
    const char *e = text_span(s, end);
    if (e == end) {
        *next = end;
        return e;
    }
    if (*e == '\n' || (*e == '\r' && e + 1 < end && e[1] == '\n')) {
        *next = e + (*e == '\r' ? 2 : 1);
        return e;
    }
    *next = e;
    return NULL;
}

/* The error for the byte at `at`, column col of `line`. */

/* The length of a record index at s (docs/facts.md, "Records"): "0" or
 * digits not starting with 0, up to the next '.', at most 4 digits (a
 * device has at most 1024 facts); 0 when there is none. */
static inline size_t record_index_len(const char *s, const char *end)
{
    size_t n = 0;
    while (s + n < end && s[n] >= '0' && s[n] <= '9')
        n++;
    if (n == 0 || n > 4 || (n > 1 && s[0] == '0') || (s + n < end && s[n] != '.'))
        return 0;
    return n;
}

/* Is [s, s+n) a valid fact name (docs/facts.md)?  Segments separated by '.'
 * start with a letter or '_'; a segment after the first may instead be a
 * record index (`sla.0.cir`).  facts_valid_name says why not. */
static inline bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > DC_MAX_NAME || !is_name_start(s[0]))
        return false;
    for (size_t i = 1; i < n; i++) {
        if (is_name_char(s[i]))
            continue;
        if (s[i] != '.' || i + 1 == n)
            return false;
        if (!is_name_start(s[i + 1])) {
            size_t k = record_index_len(s + i + 1, s + n);
            if (!k || i + 1 + k == n)
                return false;
            i += k;
            continue;
        }
        i++;
    }
    return true;
}

#endif
