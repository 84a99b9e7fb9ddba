/* value.h -- the six types of docs/language.md, section 6: parsing, comparison, rendering.
 *
 * Values never own memory: strings, set items and semver pre-release tags
 * point into text that outlives them (a fact, a constant, the source).
 */
#ifndef DC_VALUE_H
#define DC_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vtype {
    VT_NONE = 0,
    VT_INT, /* int64_t, decimal or 0x hex text, optional '-' */
    VT_HEX, /* uint64_t, hex digits, optional 0x, any case */
    VT_STRING,
    VT_SEMVER,
    VT_BOOL,
    VT_SET,
    VT_COUNT
} vtype;

typedef struct dstr {
    const char *p;
    uint32_t len;
} dstr;

typedef struct semver {
    uint64_t major, minor, patch;
    dstr pre; /* pre-release tag without the '-'; len 0 when none */
} semver;

typedef struct vset {
    const dstr *items; /* sorted (byte order), no duplicates */
    uint32_t n;
} vset;

typedef union vdata {
    int64_t i;  /* VT_INT */
    uint64_t u; /* VT_HEX */
    bool b;     /* VT_BOOL */
    dstr s;     /* VT_STRING */
    semver v;   /* VT_SEMVER */
    vset set;   /* VT_SET */
} vdata;

typedef struct value {
    uint8_t type; /* vtype */
    vdata as;
} value;

/* "int", "hex", ...; NULL for VT_NONE.  vtype_from_name returns VT_NONE for
 * an unknown name. */
const char *vtype_name(vtype t);
vtype vtype_from_name(const char *name, size_t len);

/* Parsers of fact text (docs/language.md, section 6).  They read exactly [p, p+n): no blanks are
 * skipped, nothing is trimmed.  They return false when the text is not of the
 * type (overflow included) and never write *out then. */
bool parse_int(const char *p, size_t n, int64_t *out);
bool parse_hex(const char *p, size_t n, uint64_t *out);
bool parse_bool(const char *p, size_t n, bool *out);
bool parse_semver(const char *p, size_t n, semver *out); /* semver.c */

/* Sets: items separated by commas and/or blanks (space, tab, newline); empty
 * items are skipped.  set_count gives the number of items before dedup;
 * set_parse writes at most `cap` items into `items`, sorted and deduplicated,
 * and stores the final count in *n.  It returns false if more than `cap`
 * items were found. */
size_t set_count(const char *p, size_t n);
bool set_parse(const char *p, size_t n, dstr *items, uint32_t cap, uint32_t *count);
bool set_contains(const vset *s, const char *p, size_t n);
bool set_subset(const vset *a, const vset *b); /* a ⊆ b */
bool set_equal(const vset *a, const vset *b);

/* Parse a whole fact text as type t into *out (strings: the text itself).
 * VT_SET is not handled here (it needs storage): use set_parse. */
bool value_parse(vtype t, const char *p, size_t n, value *out);

/* Compare two values of the same type (VT_INT and VT_HEX may be mixed):
 * <0, 0, >0.  Strings compare bytewise, semvers by SemVer precedence (build
 * ignored), bools false < true.  Sets compare equal or not only (returns 0
 * or 1). */
int value_cmp(const value *a, const value *b);
bool value_equal(const value *a, const value *b);

/* Canonical text (docs/language.md, section 6): int in decimal, hex lowercase without 0x,
 * semver canonical (pre-release kept, build dropped), bool true/false, set
 * sorted and comma-separated, string as is.  Writes at most `cap` bytes
 * including the NUL and returns the length the full text needs (snprintf
 * style). */
size_t value_render(const value *v, char *buf, size_t cap);

#endif
