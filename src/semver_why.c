/* semver_why.c -- why a text is not a semver: the one-line explanation that
 * reasons and diagnostics add to "is not a valid semver" (docs/language.md,
 * section 6).  It only explains: parse_semver decides. */
#include <stdio.h>
#include <string.h>

#include "semver.h"

/* The printable form of one byte for a message. */
static void byte_text(char c, char out[8])
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, 8, "'%c'", c);
    else
        snprintf(out, 8, "\\x%02x", (unsigned char)c);
}

/* One number of major.minor.patch at p[*i]; NULL when it is fine. */
static const char *why_num(const char *p, size_t n, size_t *i, const char *what, char *buf,
                           size_t cap)
{
    size_t s = *i;
    while (*i < n && sv_is_digit(p[*i]))
        (*i)++;
    size_t len = *i - s;
    if (len == 0) {
        if (s >= n)
            snprintf(buf, cap, "the %s number is missing", what);
        else {
            char b[8];
            byte_text(p[s], b);
            snprintf(buf, cap, "%s where the %s number should be", b, what);
        }
        return buf;
    }
    if (len > 1 && p[s] == '0') {
        snprintf(buf, cap, "leading zero in '%.*s'", (int)(len > 24 ? 24 : len), p + s);
        return buf;
    }
    uint64_t v = 0;
    for (size_t k = s; k < *i; k++)
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(p[k] - '0'), &v)) {
            snprintf(buf, cap, "the %s number is larger than 2^64-1", what);
            return buf;
        }
    return NULL;
}

/* Dot-separated identifiers (pre-release or build) at p[*i]. */
static const char *why_ids(const char *p, size_t n, size_t *i, bool pre, char *buf, size_t cap)
{
    const char *what = pre ? "pre-release" : "build";
    for (;;) {
        size_t s = *i;
        bool digits = true;
        while (*i < n && sv_is_ident_char(p[*i])) {
            digits = digits && sv_is_digit(p[*i]);
            (*i)++;
        }
        if (*i == s) {
            snprintf(buf, cap, "empty %s identifier", what);
            return buf;
        }
        if (pre && digits && *i - s > 1 && p[s] == '0') {
            snprintf(buf, cap, "leading zero in '%.*s'", (int)(*i - s > 24 ? 24 : *i - s),
                     p + s);
            return buf;
        }
        if (*i < n && p[*i] == '.') {
            (*i)++;
            continue;
        }
        return NULL;
    }
}

size_t semver_why(const char *p, size_t n, char *buf, size_t cap)
{
    static const char *const nums[3] = { "major", "minor", "patch" };
    const char *m = NULL;
    size_t i = 0;
    char b[8];

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if (n == 0) {
        snprintf(buf, cap, "it is empty");
        return strlen(buf);
    }
    if (p[0] == 'v' || p[0] == 'V') {
        snprintf(buf, cap, "no '%c' prefix: a semver starts with its major number", p[0]);
        return strlen(buf);
    }
    for (int k = 0; k < 3 && !m; k++) {
        if (k > 0) {
            if (i >= n || p[i] != '.') {
                if (k == 2)
                    break; /* major.minor: the patch is optional */
                if (i >= n)
                    snprintf(buf, cap, "major.minor at least: the minor number is missing");
                else
                    byte_text(p[i], b), snprintf(buf, cap, "%s after the major number", b);
                return strlen(buf);
            }
            i++;
        }
        m = why_num(p, n, &i, nums[k], buf, cap);
    }
    if (!m && i < n && p[i] == '.') {
        snprintf(buf, cap, "more than three numbers: a semver is major.minor[.patch]");
        return strlen(buf);
    }
    if (!m && i < n && p[i] == '-') {
        i++;
        m = why_ids(p, n, &i, true, buf, cap);
    }
    if (!m && i < n && p[i] == '+') {
        i++;
        m = why_ids(p, n, &i, false, buf, cap);
    }
    if (!m && i < n) {
        byte_text(p[i], b);
        snprintf(buf, cap, "unexpected %s at offset %zu", b, i);
    }
    return strlen(buf);
}
