/* targets_int.h -- what the files of dc_targets_find share (targets.c).
 *
 * The context of one call (tctx), the decompiled residue trees (dtree) and
 * the functions one of targets.c, targets_analysis.c, targets_residue.c and
 * targets_sat.c calls in another.  Private to those files.
 */
#ifndef DC_TARGETS_INT_H
#define DC_TARGETS_INT_H

#include <stdio.h>
#include <string.h>

#include "facts.h"
#include "limits.h"
#include "sink.h"
#include "targets.h"
#include "vm.h"

enum rkind { RK_OTHER, RK_ABSENT, RK_CONST, RK_VAR, RK_TMPL, RK_DERIVED };

typedef struct rinfo {
    uint32_t start, end; /* code[start] is its RULE, code[end] the next RULE or OK */
    uint32_t block;
    bool seen;
    uint8_t kind; /* rkind, SELF rules only */
    uint32_t at;  /* pc of the rendering instruction */
    bool tainted;
    uint32_t first_t, ntaint; /* its open slots, in tlist */
} rinfo;

/* An enumerated variable. */
typedef struct evar {
    uint16_t reg;
    uint8_t type;
    int32_t ct;     /* -1: a bool without constraint */
    uint64_t size;  /* of its domain */
    uint64_t *keep; /* the domain indexes left after pruning, or NULL: all */
    uint64_t nkeep;
    dstr *items; /* a set's: room for the items of its current value */
} evar;

enum {
    S_REF = 1,  /* some rule reads it on the target side */
    S_SELF = 2, /* SELF reads it */
    S_OPEN = 4
};

typedef struct tctx {
    const dc_policy *pol;
    const program *p;
    const dc_alloc *a;
    dc_error *err;
    size_t limit;
    const bool *forced;       /* per register: SELF variables taken as open, or NULL */
    targets_program_fn visit; /* shown each copy once built, or NULL (tests) */
    void *visit_ctx;
    bool oom;
    uint32_t W;        /* words of a slot bitset */
    uint64_t *rtaint;  /* per register: a slot bitset */
    uint64_t *cur;     /* W words: a rule's taint */
    uint64_t *ins;     /* W words: an instruction's taint */
    int32_t *renderer; /* per slot: rule index of its renderer, -1 */
    uint8_t *sflags;   /* per slot */
    char **constraint; /* per slot: SELF's rules on an open slot */
    int32_t *whole;    /* per SELF var: the open slot it is the whole of, -1 */
    bool *selfreg;     /* per register: a SELF variable's */
    uint32_t *wstamp;  /* per register: rule that wrote it (+1) */
    rinfo *rules;
    uint32_t *tlist;
    uint32_t ntlist, cap_tlist;
    uint8_t *itaint; /* per pc */
    bool *var_open;  /* per var */
    bool any_tainted;
    bool undecided; /* the last judged target is not proven satisfiable */
    evar *ev;
    uint32_t nev;
    value *assign;  /* per register: the enumerated values */
    insn *code;     /* the copy */
    void *xcode;    /* what the VM runs of it (vm_translate) */
    var *vars;      /* the copy's variables: those it still binds */
    pblock *blocks; /* the copy's blocks, counting those variables */
    dc_policy fake; /* the policy with the copy */
    dc_result *res; /* sized for the copy */
    dc_result *real;
    dc_prepared *src;
    value *captured; /* per register: a source declaration's value read by a
                               residue's template (type VT_NONE: none) */
    /* decompiler scratch */
    int32_t *def; /* per register: node */
    uint32_t *dstamp;
    uint32_t stamp;
} tctx;

enum { DN_VAR, DN_K, DN_OP, DN_AND, DN_OR, DN_UNKNOWN, DN_LOOP, DN_REC };

typedef struct dnode {
    uint8_t kind, op, t;
    bool tainted;
    uint16_t reg; /* where its value is after the run */
    uint16_t arg; /* slot, constant or variable register */
    int32_t a, b;
} dnode;

typedef struct dtree {
    dnode *n;
    uint32_t count, cap;
} dtree;

typedef struct rctx {
    tctx *c;
    const dtree *t;
    const value *regs; /* NULL: nothing was computed */
    uint32_t block;
    int depth; /* of the recursion: bytecode is not bounded by
                               the source's nesting limit */
    /* record residues: the rule has loops (its nodes computed here, not
     * read from registers); per loop level, the source's record being
     * read, or -1 for the target's, and the name its loop is shown with */
    bool loops;
    int32_t rec[LOOP_DEPTH];
    const char *lname[LOOP_DEPTH];
    int tloops; /* target loops shown around this node */
} rctx;

struct solver;

#define MAX_RENDER_DEPTH (DC_MAX_NESTING * 4)

/* targets_analysis.c */
dc_status tg_nomem(tctx *c);
uint32_t tg_nunits(const program *p);
dstr tg_unit_name(const program *p, uint32_t s);
void tg_domain_value(const program *p, const evar *e, uint64_t k, value *out);
int32_t tg_var_of_reg(const program *p, uint32_t block, uint32_t reg);
void tg_rule_text(const program *p, uint32_t ri, sink *b);
dc_status tg_analyse(tctx *c);

/* targets_residue.c */
void tg_put_dstr(sink *b, dstr s);
void tg_put_value(sink *b, const value *v);
void tg_put_literal(sink *b, const value *v);
uint32_t tg_c_rec_count(const tctx *c, uint32_t set);
int32_t tg_dn_get(tctx *c, dtree *t, uint32_t block, uint16_t reg);
bool tg_dn_tainted(const dtree *t, int32_t k);
dc_status tg_decompile(tctx *c, uint32_t ri, dtree *t, uint32_t *test, bool loops);
uint8_t tg_mirror(uint8_t op);
bool tg_dn_value(const rctx *x, int32_t k, value *out);
bool tg_node_value(const rctx *x, int32_t k, value *out);
bool tg_dn_known(const rctx *x, int32_t k);
bool tg_source_value(const tctx *c, uint32_t slot, uint8_t type, value *out);
bool tg_compute_known(tctx *c, uint32_t ri, const dc_prepared *tgt, bool before);
bool tg_has_loops(const dtree *t);
void tg_residue_text(tctx *c, uint32_t ri, const dc_prepared *tgt, sink *out, bool *is_or,
                     int *truth);

/* targets_sat.c */
bool tg_conv_eval(uint8_t type, const value *a, value *out);
bool tg_wit_eval(struct solver *s, const rctx *x, int32_t k, const value *W, value *out,
                 int depth);
bool tg_capture_text(tctx *c, const rctx *x, const insn *i, sink *b, int *truth);
int tg_block_satisfiable(tctx *c, uint32_t b, const dc_facts *f, const dc_prepared *tgt);

#endif
