/* vm.h -- the evaluator (vm.c) and the form of a program it runs (vmlink.c).
 * Prepared facts are in prepared.h, what a check produces in result.h. */
#ifndef DC_VM_H
#define DC_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "prepared.h"
#include "result.h"

/* The form the VM runs (vmlink.c): the verified code without its RULE
 * markers, common shapes fused into superinstructions.  Register operands
 * are byte offsets into the register file; jumps count xinsns; `fo` is the
 * byte offset of the fact a slot operand names in a prepared device's slots
 * (SIDE_SOURCE in t says whose), or WCMP's second register written.  CONV
 * and FIELDT hold their pc + 1 in d, LOADFB its table's bitmap;
 * `rule` is the program's index of the instruction's rule (-1: none) and
 * `since` the pc its rule's code starts at (after the RULE).
 * `self`: which register operands read one of SELF's values in place
 * (XS_B, XS_C, XS_D: that operand is then a byte offset into SELF's packed
 * values, not into the register file; vmlink.c, "SELF in place"). */
typedef struct xinsn {
    uint8_t op;
    uint8_t t;
    uint8_t side; /* 1 when t has SIDE_SOURCE */
    uint8_t self; /* XS_* */
    uint32_t a, b, c, d;
    uint32_t fo;
    int32_t rule;
    uint32_t since;
} xinsn;

enum { XS_B = 1, XS_C = 2, XS_D = 4 };

/* WARITH's t: both of its operations are MULs (vmlink.c). */
#define WARITH_MULS 1

/* SELF's values read in place have at most this many variables. */
#define XS_MAX_VARS 16

/* Evaluate program block `b`; true when it holds, else *fail says why.
 * res->source and res->target become source and target; res->block and
 * res->verdict are left as vm_run_blocks leaves them. */
bool vm_run_block(const program *p, uint32_t b, const dc_prepared *source,
                  const dc_prepared *target, dc_result *res, vm_fail *fail);

/* Evaluate blocks b, b+1, ... last of res->source and res->target in order
 * until one holds, in one call: then res->block is its index - 1 (its
 * index among the COMPATIBLE blocks) and res->verdict DC_COMPATIBLE; when
 * none does, -1 and DC_INCOMPATIBLE.  Returns DC_OK, so that dc_check can
 * end by calling it.  fails[k - b] says why block k did not hold (for
 * every block tried).  self: SELF's values packed (value_pack, registers
 * 0, 1, ... in order), which a program linked with p->xinplace reads in
 * place; NULL: they are in res->regs (vm_run_block's way: then it runs
 * p->xcode_regs).  Six arguments: all in registers. */
dc_status vm_run_blocks(const program *p, uint32_t b, uint32_t last, dc_result *res,
                        vm_fail *fails, const char *self);

/* Templates matched when facts are prepared: can template t be (its parts
 * literals and declarations that are not sets)?  Then vm_prematch matches
 * it against s[0..len) as MATCH would, writing its declarations' registers
 * in R, and returns tmatch's result: 1, 0 or -1. */
bool vm_prematchable(const program *p, const tmpl *t);
/* *steps: the steps spent so far by the templates of the same facts (one
 * budget, DC_MAX_MATCH_STEPS, for them all), updated. */
int vm_prematch(const program *p, const tmpl *t, const char *s, uint32_t len, value *R,
                uint32_t *steps);

/* What the VM runs (vmlink.c).  vm_link derives it from p->code into an
 * allocation of its own (p->xcode; program_free releases it).
 * vm_translate does the same into buf, vm_xcode_size(p) bytes 8-aligned, and
 * allocates nothing: for a copy of a program whose code is patched between
 * runs (targets_analysis.c, targets_residue.c).  Unfused, it only drops the RULE markers (for tests). */
bool vm_link(program *p);
size_t vm_xcode_size(const program *p);
void vm_translate(program *p, void *buf, bool fused);

/* Is value v (of the table's type) within constraint table ct? */
bool ct_test(const program *p, const ctable *ct, const value *v);

#endif
