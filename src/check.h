/* check.h -- names, scopes and types of a parsed policy (docs/language.md,
 * sections 5 to 8 and 11).
 * The checker annotates the syntax tree in place and collects the tables
 * the compiler needs: variables, slots and parsed constraints. */
#ifndef DC_CHECK_H
#define DC_CHECK_H

#include "ast.h"
#include "diag.h"
#include "opcodes.h"
#include "semver_range.h"

/* A parsed constraint (docs/language.md, section 7). */
typedef struct chk_range {
    int64_t lo, hi; /* hex: uint64 bits */
} chk_range;

typedef struct chk_ct {
    vtype type;
    span loc;
    const char *text;
    uint32_t text_len;
    chk_range *ranges; /* int, hex: sorted and merged */
    uint32_t nranges, cap_ranges;
    dstr *items; /* string, set: sorted, unique */
    uint32_t nitems, cap_items;
    sv_range sv; /* semver (arrays from the checker's allocator) */
    bool has_sv;
    bool bval; /* bool */
} chk_ct;

typedef struct chk_var {
    const char *name;
    vtype type;
    span decl;
    uint32_t block; /* index in ast->blocks */
    bool self;      /* declared in SELF */
    bool used;
    bool constrained;
} chk_var;

typedef struct chk_slot {
    const char *name;
    uint32_t len;
    uint8_t types; /* 1 << vtype for each type it is read as */
} chk_slot;

/* Records all/any walk (docs/language.md, section 8): a set is a list
 * prefix (sla), a field a name under its records (cir). */
typedef struct chk_recset {
    const char *name;
    uint32_t len;
} chk_recset;

typedef struct chk_recfield {
    uint32_t set;
    const char *name;
    uint32_t len;
} chk_recfield;

typedef struct checked {
    chk_var *vars;
    uint32_t nvars, cap_vars;
    chk_slot *slots;
    uint32_t nslots, cap_slots;
    chk_recset *recsets;
    uint32_t nrecsets, cap_recsets;
    chk_recfield *recfields;
    uint32_t nrecfields, cap_recfields;
    int32_t self_block; /* index in ast->blocks, -1 when missing */
    int32_t policy_block;
    const char *name; /* POLICY name, or NULL */
    chk_ct **cts;     /* every parsed semver constraint, to release */
    uint32_t ncts, cap_cts;
} checked;

/* Check the whole policy; every error and warning goes to diags.  Returns
 * false when memory ran out.  Release with chk_release. */
bool chk_policy(ast_policy *ast, dc_diags *diags, const dc_alloc *alloc, checked *out);
void chk_release(checked *c, const dc_alloc *alloc);

/* Whether an expression is a single variable reference: its var, or -1. */
int32_t chk_plain_var(const ast_expr *e);

#endif
