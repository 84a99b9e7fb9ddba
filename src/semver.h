/* semver.h -- SemVer 2.0.0 versions: precedence, canonical text, and why a
 * text is not one (docs/language.md, section 6).  Parsing is value.h's
 * parse_semver; node-semver ranges are semver_range.h's. */
#ifndef DC_SEMVER_H
#define DC_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sink.h"
#include "value.h"

static inline bool sv_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A byte of a pre-release or build identifier: [0-9A-Za-z-]. */
static inline bool sv_is_ident_char(char c)
{
    return sv_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* num: "0" | [1-9][0-9]*, fitting in uint64.  Returns the length read, 0 if
 * there is no valid number at p. */
size_t semver_scan_num(const char *p, size_t n, uint64_t *out);

/* version: num '.' num ('.' num)? ('-' pre)? ('+' build)?, all of p[0, n);
 * the patch is optional only when !need_patch (parse_semver, for facts).
 * Ranges need it (semver_range.c). */
bool semver_parse_version(const char *p, size_t n, bool need_patch, semver *out);

/* SemVer 2.0.0 precedence: <0, 0, >0 (build metadata is never stored). */
int semver_cmp(const semver *a, const semver *b);

/* Canonical text "1.2.3" or "1.2.3-pre" (build never stored), snprintf
 * style: writes at most `cap` bytes including the NUL, returns the length
 * the full text needs. */
size_t semver_render(const semver *v, char *buf, size_t cap);

/* The canonical text of v appended to a sink. */
void semver_put(sink *s, const semver *v);

/* Why p[0, n) is not a semver (parse_semver refused it), e.g. "leading zero
 * in '05'", snprintf style; empty when it is one.  semver_why.c. */
size_t semver_why(const char *p, size_t n, char *buf, size_t cap);

#endif
