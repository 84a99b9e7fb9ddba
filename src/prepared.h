/* prepared.h -- facts prepared against a policy (prepare.c) and fleets of
 * them (fleet.c): what a check reads of a device. */
#ifndef DC_PREPARED_H
#define DC_PREPARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "policy.h"

/* What a fact's first int, hex or bool value keeps in its pfact, or its
 * first semver when it has no pre-release tag and numbers of up to 21 bits
 * (pword_semver). */
typedef union pword {
    int64_t i;  /* VT_INT */
    uint64_t u; /* VT_HEX; VT_SEMVER: major, minor, patch, 21 bits each */
    bool b;     /* VT_BOOL */
} pword;

#define PSV_BITS 21
#define PSV_MASK (((uint64_t)1 << PSV_BITS) - 1)

static inline bool pword_semver_fits(const semver *v)
{
    return !v->pre.len && v->major <= PSV_MASK && v->minor <= PSV_MASK && v->patch <= PSV_MASK;
}

static inline uint64_t pword_semver_pack(const semver *v)
{
    return v->major << (2 * PSV_BITS) | v->minor << PSV_BITS | v->patch;
}

static inline semver pword_semver(pword w)
{
    return (semver){
        w.u >> (2 * PSV_BITS), (w.u >> PSV_BITS) & PSV_MASK, w.u & PSV_MASK, { NULL, 0 }
    };
}

/* A fact prepared for a policy: its text, and its value parsed as each type
 * the policy reads it as (bit 1 << vtype in `ok` when that parse worked).
 * Half a cache line (docs/performance.md, "Round 5"): a string is its text,
 * the first value that parsed and fits 8 bytes (an int, hex or bool, a
 * short semver) is in `as` (`type` says which, VT_NONE when none did);
 * every other value (a semver, a set, a second type) is a `value` at byte
 * offset `more` from the pfact, `nmore` of them in type order, in the
 * device's block. */
typedef struct pfact {
    dstr raw;
    bool present;
    uint8_t ok;
    uint8_t type; /* of `as`: VT_INT, VT_HEX, VT_SEMVER, VT_BOOL or VT_NONE */
    uint8_t nmore;
    uint32_t more;
    pword as;
} pfact;

/* 32 bytes where pointers have 64 bits; 24 on 32-bit targets (a shorter
 * dstr): on 64-bit targets a fact never straddles two lines of slots
 * 32-aligned. */
_Static_assert(sizeof(pfact) == 32 || (sizeof(void *) < 8 && sizeof(pfact) == 24),
               "a prepared fact is half a cache line");

/* Fact f as type t, when it parsed as t. */
static inline bool pfact_value(const pfact *f, vtype t, value *out)
{
    if (!(f->ok & (1u << t)))
        return false;
    if (t == VT_STRING) {
        *out = (value){ .type = VT_STRING, .as.s = f->raw };
        return true;
    }
    if (t == f->type) {
        *out = t == VT_SEMVER ? (value){ .type = VT_SEMVER, .as.v = pword_semver(f->as) }
                              : (value){ .type = (uint8_t)t, .as.i = f->as.i };
        return true;
    }
    const value *m = (const value *)(const void *)((const char *)f + f->more);
    for (uint32_t k = 0; k < f->nmore; k++)
        if (m[k].type == t) {
            *out = m[k];
            return true;
        }
    return false;
}

/* The common forms of an int (up to 18 decimal digits), a hex (up to 16
 * hex digits, no prefix) and a semver (MAJOR.MINOR or MAJOR.MINOR.PATCH,
 * no leading zero, up to 18 digits each), read as value_parse reads them
 * without its general way (prepare.c); false for any other text or type,
 * which value_parse then reads or refuses. */
bool prep_quick_value(vtype ty, const char *p, size_t n, value *out);

/* A template matched when the facts were prepared.  A template whose parts
 * are literals and declarations (no set declaration, no {expr}) depends on
 * its fact and constants only, so its outcome and the registers it writes
 * are known before any check (docs/performance.md: no parsing when checking). */
typedef struct pbind {
    uint16_t reg;
    value v;
} pbind;

typedef struct pmatch {
    int8_t result; /* PM_LIVE, or tmatch's: 1 matched, 0 not, -1 over budget */
    uint8_t nbinds;
    uint16_t slot;  /* the slot it was matched on */
    uint32_t first; /* the registers the match wrote: nbinds pbinds at byte
                       offset `first` from this pmatch (pmatch_binds) */
} pmatch;

#define PM_LIVE INT8_MIN /* not matched beforehand: match when checking */

static inline const pbind *pmatch_binds(const pmatch *pm)
{
    return (const pbind *)(const void *)((const char *)pm + pm->first);
}

/* A prepared device is one block, laid out for the few cache lines a check
 * reads of it (docs/performance.md, "Round 5"): what a check seldom reads
 * (prep_cold), then this header on a cache line, SELF's values packed, the
 * text they point into, the slots 32-aligned, the template outcomes and
 * their bindings, the values out of line, the sets' items (prepare.c).  A
 * device refilled from text (dc_prepared_new) keeps its text and items in
 * a body of their own and no SELF values: its slots follow the header. */
struct dc_prepared {
    const dc_policy *policy;
    pfact *slots;
    pmatch *pm; /* one per template of the program, or NULL */
    /* SELF run on these facts when they were prepared: it reads the target
     * alone (docs/language.md, section 9, step 1), so a check only copies
     * its outcome.  When self_ready, self_holds says whether it held,
     * prep_cold's self_fail why not, and the values of its variables
     * (blocks[0].nvars of them) are self_vals, right after this header
     * (packed: value_unpack) when they are registers 0, 1, ... in order (as
     * compile.c lays them out), else prep_cold's self_binds. */
    const char *self_vals;
    char *text; /* every value, NUL-separated */
    uint32_t npm;
    bool self_ready, self_holds;
};

/* The rest of a prepared device, just before its header in its block. */
typedef struct prep_cold {
    void *block; /* the allocation */
    const dc_alloc *alloc;
    const struct vm_fail *self_fail;
    const pbind *self_binds;
    pbind *binds; /* the template outcomes' bindings */
    dstr *items;  /* every set's items */
    /* records (program.h's recset, recfield), in an allocation of their
     * own (NULL when the policy reads none): rec_n[s] records of set s;
     * rec_field[f][k] the text of field f of record k (p NULL: absent) */
    uint32_t *rec_n;
    const dstr **rec_field;
    /* a device the caller refills (dc_prepared_new), or NULL (prepare.c) */
    struct prep_reuse *reuse;
} prep_cold;

/* The header and SELF's values in one line when SELF has few; 28 bytes on
 * 32-bit targets. */
_Static_assert(sizeof(struct dc_prepared) <= 48, "a prepared device's header is 48 bytes");

/* The bytes prep_cold takes before the header: 8-aligned both. */
#define PREP_COLD_SIZE ((sizeof(prep_cold) + 7) & ~(size_t)7)

static inline prep_cold *prep_cold_of(dc_prepared *d)
{
    return (prep_cold *)(void *)((char *)d - PREP_COLD_SIZE);
}

static inline const prep_cold *prep_cold_c(const dc_prepared *d)
{
    return (const prep_cold *)(const void *)((const char *)d - PREP_COLD_SIZE);
}

/* A fleet (fleet.c): one record per target, in order, each `size` bytes.
 * A packed record holds SELF's outcome and, when it held, the values of its
 * variables (registers 0, 1, ...: each value packed (value_pack)
 * bytes), then the text their strings point into.  A record that is not
 * packed only points to its target, which is checked as dc_check_batch
 * would (SELF not run when prepared, its values not registers in order, or
 * a set among them). */
typedef struct frec {
    const dc_prepared *t;
    uint32_t size;
    uint8_t packed, holds;
} frec;

struct dc_fleet {
    const dc_policy *policy;
    size_t n;
    char *recs; /* n records */
};

/* SELF's values packed, as a prepared device keeps them (prepare.c) and a
 * fleet record too (fleet.c): each value's type and the member of `as` that
 * type uses, in order (sizes in multiples of 8). */
static inline size_t packed_bytes(uint8_t t)
{
    switch (t) {
    case VT_STRING:
    case VT_SET: return offsetof(value, as) + sizeof(dstr);
    case VT_SEMVER: return sizeof(value);
    default: return offsetof(value, as) + sizeof(int64_t);
    }
}

/* Exactly packed_bytes(type) bytes, on any target (the constant sizes are
 * 64-bit ones: copies of a known size, no call). */
static inline char *value_pack(const value *v, char *out)
{
    size_t n = packed_bytes(v->type);
    if (n == 16)
        memcpy(out, v, 16);
    else if (n == 24)
        memcpy(out, v, 24);
    else if (n == sizeof(value))
        memcpy(out, v, sizeof(value));
    else
        memcpy(out, v, n);
    return out + n;
}

/* The rest of *out (beyond its type's member) is left as it was. */
static inline const char *value_unpack(const char *in, value *out)
{
    size_t n = packed_bytes((uint8_t)*in);
    if (n == 16)
        memcpy(out, in, 16);
    else if (n == 24)
        memcpy(out, in, 24);
    else if (n == sizeof(value))
        memcpy(out, in, sizeof(value));
    else
        memcpy(out, in, n);
    return in + n;
}

#endif
