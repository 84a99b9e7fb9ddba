/* vm.h -- prepared facts, the evaluator, and results (SPEC 2.7, 3). */
#ifndef DC_VM_H
#define DC_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "program.h"

/* A fact prepared for a policy: its text, and its value parsed as each type
 * the policy reads it as (bit 1 << vtype in `ok` when that parse worked). */
typedef struct pfact {
    dstr raw;
    bool present;
    uint8_t ok;
    int64_t i;
    uint64_t u;
    bool b;
    semver v;
    vset set;
} pfact;

struct dc_prepared {
    const dc_alloc *alloc;
    const dc_policy *policy;
    pfact *slots;
    uint32_t nslots;
    char *text;         /* every value, NUL-separated */
    dstr *items;        /* every set's items */
};

/* Why a rule failed. */
typedef enum fail_code {
    F_NONE,
    F_MISSING,          /* the field is absent */
    F_NOT_EMPTY,        /* = "" but the field has a value */
    F_EMPTY,            /* != "" but the field is absent or empty */
    F_NOT_EQUAL,
    F_EQUAL,            /* != but equal */
    F_PARSE,            /* the field is not of the type */
    F_CONSTRAINT,       /* outside the declaration's constraint */
    F_NOMATCH,          /* does not match the template */
    F_MATCH,            /* != template, but it matches */
    F_COMPARE,          /* an ordering does not hold */
    F_FALSE,            /* where is false */
    F_OVERFLOW,
    F_DIVZERO,
    F_INEXACT,
    F_OPERAND_ABSENT,   /* self.F or source.F absent in an expression */
    F_CONVERT,          /* int(s) etc. of a text that does not parse */
    F_BUDGET,           /* template backtracking over its bound */
    F_SCRATCH           /* a set built while checking has too many items */
} fail_code;

typedef struct vm_fail {
    uint8_t code;       /* fail_code */
    uint8_t type;       /* the type a parse wanted */
    uint8_t side;       /* of `slot` */
    uint8_t cmp;        /* CMP_* of a failed comparison */
    uint32_t rule;      /* program rule index */
    int32_t slot;       /* the fact concerned, or -1 */
    int32_t aux;        /* constraint table or template index, or -1 */
    bool has_x, has_y;
    value x, y;         /* expected value; operands of a failed division */
} vm_fail;

struct dc_result {
    const dc_policy *policy;
    const dc_prepared *source, *target;
    dc_verdict verdict;
    int32_t block;      /* COMPATIBLE index that matched, or -1 */
    value *regs;
    uint32_t nregs;
    vm_fail *fails;     /* one per program block; [0] is SELF */
    dstr *scratch;      /* set items built while checking */
    uint32_t nscratch, scratch_used;
    arena text;         /* rendered strings for the accessors */
    bool text_stale;
    dc_prepared *owned_source, *owned_target;   /* dc_check_facts */
};

/* Evaluate program block `b`; true when it holds, else *fail says why. */
bool vm_run_block(const program *p, uint32_t b, const dc_prepared *source,
                  const dc_prepared *target, dc_result *res, vm_fail *fail);

/* Is value v (of the table's type) within constraint table ct? */
bool ct_test(const program *p, const ctable *ct, const value *v);

#endif
