/* result.h -- what a check produces: why each block failed, the registers
 * it bound (result.c renders them for the API; vm.c writes them). */
#ifndef DC_RESULT_H
#define DC_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "prepared.h"

/* Why a rule failed. */
typedef enum fail_code {
    F_NONE,
    F_MISSING,   /* the field is absent */
    F_NOT_EMPTY, /* = "" but the field has a value */
    F_EMPTY,     /* != "" but the field is absent or empty */
    F_NOT_EQUAL,
    F_EQUAL,      /* != but equal */
    F_PARSE,      /* the field is not of the type */
    F_CONSTRAINT, /* outside the declaration's constraint */
    F_NOMATCH,    /* does not match the template */
    F_MATCH,      /* != template, but it matches */
    F_COMPARE,    /* an ordering does not hold */
    F_FALSE,      /* where is false */
    F_OVERFLOW,
    F_DIVZERO,
    F_INEXACT,
    F_OPERAND_ABSENT, /* self.F or source.F absent in an expression */
    F_CONVERT,        /* int(s) etc. of a text that does not parse */
    F_BUDGET,         /* template backtracking over its bound */
    F_SCRATCH,        /* a set built while checking has too many items */
    F_NEGATIVE,       /* bits() of a negative int */
    F_RECORD_ABSENT   /* a record's field in an expression is absent: aux the
                           field (recfield), x.as.i the record */
} fail_code;

typedef struct vm_fail {
    uint8_t code;  /* fail_code */
    uint8_t type;  /* the type a parse wanted */
    uint8_t side;  /* of `slot` */
    uint8_t cmp;   /* CMP_* of a failed comparison */
    uint32_t rule; /* program rule index */
    int32_t slot;  /* the fact concerned, or -1 */
    int32_t aux;   /* constraint table or template index, or -1 */
    bool has_x, has_y;
    value x, y; /* expected value; operands of a failed division */
} vm_fail;

struct dc_result {
    const dc_policy *policy;
    const dc_prepared *source, *target;
    dc_verdict verdict;
    int32_t block; /* COMPATIBLE index that matched, or -1 */
    value *regs;
    uint32_t nregs;
    vm_fail *fails; /* one per program block; [0] is SELF */
    dstr *scratch;  /* set items built while checking */
    uint32_t nscratch, scratch_used;
    uint32_t scratch_self; /* scratch_used after SELF: its sets stay valid */
    uint32_t match_steps;  /* template steps this check spent: one budget for a
                             * whole check (docs/language.md, section 13) */
    /* SELF's values packed, not yet unpacked into regs: a check whose
     * program reads them in place (vm.h) leaves them there until an
     * accessor needs the registers (result_self_regs) */
    const char *self_lazy;
    arena text; /* rendered strings for the accessors */
    bool text_stale;
    dc_prepared *owned_source, *owned_target; /* dc_check_facts */
};

/* Release the text rendered for the previous check, once, before anything
 * is rendered for this one (render.c allocates its text in r->text too). */
void result_text_fresh(dc_result *r);

/* SELF's values into r->regs, if a check left them packed (self_lazy). */
void result_self_regs(dc_result *r);

#endif
