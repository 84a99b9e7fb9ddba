/* targets.c -- "which target would accept this source?" (docs/targets.md).
 *
 * Everything here reads the program, never the syntax tree, so a .cbc policy
 * gets the same answer as its source.  Once per call:
 *
 *   1. Classify SELF's rules.  A target slot is *rendered* by its first SELF
 *      rule that can produce it: EQSTR (the constant), LOADF (a variable's
 *      canonical text), MATCH (a template, variables substituted), FCMP =
 *      (a derived value, computed by the VM) or EMPTY (absent).  A variable
 *      whose domain is small enough to enumerate is; a slot whose renderer
 *      needs any other variable is *open*, and so is a slot SELF only
 *      constrains (!=, <, where...).  Taint flows from open slots and open
 *      variables through registers to every rule that reads them (to a
 *      fixpoint: a derived slot reading an open one is open too).
 *   2. Copy the code with the tainted rules made no-ops (RULE), so the VM
 *      still checks everything that does not depend on open facts.
 *
 * Each variable's values are first tried alone (prune: the other variables
 * forced open), and those no block can accept are not combined.  Then, per
 * combination of the enumerated variables: render the facts, run
 * SELF (a derived rule fails as "missing" with its registers computed:
 * render it, add it, run again), then the real check (dc_check), or, when
 * anything is open, the COMPATIBLE blocks of the copy.  The tainted rules of
 * the block that held are the *residue*: decompiled, with every part that
 * does not depend on open facts computed by the VM and folded to its value.
 */
#include <stdio.h>
#include <string.h>

#include "facts.h"
#include "limits.h"
#include "sink.h"
#include "targets.h"
#include "vm.h"

#define DEFAULT_LIMIT 1024

/* ------------------------------------------------------------ results */

typedef struct topen {
    const char *fact, *constraint, *residue;
} topen;

typedef struct tentry {
    int32_t block;
    bool undecided; /* satisfiability of its open facts not decided */
    dc_facts *facts;
    topen *open;
    uint32_t nopen;
} tentry;

struct dc_targets {
    const dc_alloc *alloc;
    const dc_policy *policy;
    tentry *items;
    size_t n, cap;
    arena text;
    bool limited;
    size_t tried;
};

/* ------------------------------------------------------------ text */

static void put_dstr(sink *b, dstr s)
{
    sink_put(b, s.p, s.len);
}

/* A value's canonical text (docs/language.md, section 6). */
static void put_value(sink *b, const value *v)
{
    char small[128];
    size_t n = value_render(v, small, sizeof small);
    if (n < sizeof small) {
        sink_put(b, small, n);
        return;
    }
    char *big = mem_alloc(b->alloc, n + 1);
    if (!big) {
        b->failed = true;
        return;
    }
    value_render(v, big, n + 1);
    sink_put(b, big, n);
    mem_free(b->alloc, big);
}

static void put_quoted(sink *b, const char *s, size_t n)
{
    sink_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"' || c == '\\') {
            sink_put(b, "\\", 1);
            sink_put(b, &c, 1);
        } else if (c == '\n') {
            sink_put(b, "\\n", 2);
        } else if (c == '\t') {
            sink_put(b, "\\t", 2);
        } else {
            sink_put(b, &c, 1);
        }
    }
    sink_put(b, "\"", 1);
}

/* A value as an expression literal, for residues: numbers and booleans as
 * such, hex with 0x, semver bare, strings and sets quoted. */
static void put_literal(sink *b, const value *v)
{
    switch (v->type) {
    case VT_INT:
    case VT_BOOL:
    case VT_SEMVER: put_value(b, v); break;
    case VT_HEX: sink_printf(b, "0x%llx", (unsigned long long)v->as.u); break;
    case VT_STRING: put_quoted(b, v->as.s.p, v->as.s.len); break;
    default: {
        sink t = sink_growing(b->alloc);
        put_value(&t, v);
        if (t.failed)
            b->failed = true;
        else
            put_quoted(b, sink_str(&t), t.len);
        sink_free(&t);
    }
    }
}

/* ------------------------------------------------------------ analysis */

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

static dc_status nomem(tctx *c)
{
    c->oom = true;
    return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->pol->file);
}

static bool bit(const uint64_t *set, uint32_t i)
{
    return (set[i / 64] >> (i % 64)) & 1;
}
static void setbit(uint64_t *set, uint32_t i)
{
    set[i / 64] |= (uint64_t)1 << (i % 64);
}

static bool none(const uint64_t *set, uint32_t w)
{
    for (uint32_t i = 0; i < w; i++)
        if (set[i])
            return false;
    return true;
}

static void orset(uint64_t *dst, const uint64_t *src, uint32_t w)
{
    for (uint32_t i = 0; i < w; i++)
        dst[i] |= src[i];
}

static uint64_t *rt(tctx *c, uint32_t reg)
{
    return c->rtaint + (size_t)reg * c->W;
}

/* Does the instruction read a slot of the target (its S operand), or the
 * target's records (an X or C operand)?  Stores the slot in *slot; a record
 * set is the unit p->nslots + its index (docs/targets.md, "Records of the
 * target"): never rendered, always open. */
static bool reads_target(const program *p, const insn *i, uint32_t *slot)
{
    if (i->t & SIDE_SOURCE)
        return false;
    int k = op_find(i->op, 'S');
    if (k >= 0) {
        *slot = k == 0 ? i->a : k == 1 ? i->b : i->c;
        return true;
    }
    if ((k = op_find(i->op, 'X')) >= 0) {
        uint32_t set = k == 0 ? i->a : k == 1 ? i->b : i->c;
        *slot = p->nslots + (set < p->nrecsets ? set : p->nrecsets);
        return true;
    }
    if ((k = op_find(i->op, 'C')) >= 0) {
        uint32_t f = k == 0 ? i->a : k == 1 ? i->b : i->c;
        uint32_t set = f < p->nrecfields ? p->recfields[f].set : p->nrecsets;
        *slot = p->nslots + (set < p->nrecsets ? set : p->nrecsets);
        return true;
    }
    return false;
}

/* The taint units: every slot, then every record set. */
static uint32_t nunits(const program *p)
{
    return p->nslots + p->nrecsets;
}

/* A unit's name: the slot's, or the record set's prefix. */
static dstr unit_name(const program *p, uint32_t s)
{
    return s < p->nslots ? prog_str(p, p->slots[s].name)
                         : prog_str(p, p->recsets[s - p->nslots].name);
}

/* Registers an instruction reads (into rd) and writes (into wr), from its
 * operand roles (opcodes.def); template parts included.  Returns false for
 * a template too large to list. */
#define MAXREGS 80
static bool insn_regs(const program *p, const insn *i, uint16_t *rd, int *nrd, uint16_t *wr,
                      int *nwr)
{
    *nrd = *nwr = 0;
    if (i->op >= I__COUNT)
        return true;
    const char *roles = op_operands[i->op];
    const uint16_t x[3] = { i->a, i->b, i->c };
    for (int k = 0; k < 3; k++) {
        if (roles[k] == 'R')
            rd[(*nrd)++] = x[k];
        else if (roles[k] == 'W' || roles[k] == 'V')
            wr[(*nwr)++] = x[k];
    }
    int k = op_find(i->op, 'P');
    if (k >= 0) {
        if (x[k] >= p->ntmpls)
            return false;
        const tmpl *t = &p->tmpls[x[k]];
        if (t->n > MAXREGS)
            return false;
        for (uint32_t n = 0; n < t->n; n++) {
            const tpart *tp = &p->tparts[t->first + n];
            if (tp->kind == TP_CMP)
                rd[(*nrd)++] = tp->reg;
            else if (tp->kind == TP_DECL)
                wr[(*nwr)++] = tp->reg;
        }
    }
    return true;
}

/* Rule boundaries: every block is RULE...RULE...OK. */
static dc_status find_rules(tctx *c)
{
    const program *p = c->p;
    for (uint32_t b = 0; b < p->nblocks; b++) {
        const pblock *pb = &p->blocks[b];
        int32_t open_rule = -1;
        for (uint32_t pc = pb->entry; pc < pb->end && pc < p->ncode; pc++) {
            const insn *i = &p->code[pc];
            if (i->op != I_RULE && i->op != I_OK) {
                if (open_rule < 0)
                    goto shape;
                continue;
            }
            if (open_rule >= 0)
                c->rules[open_rule].end = pc;
            open_rule = -1;
            if (i->op == I_OK)
                break;
            uint32_t ri = pb->first_rule + i->a;
            if (i->a >= pb->nrules || ri >= p->nrules || c->rules[ri].seen)
                goto shape;
            c->rules[ri] = (rinfo){ .start = pc, .end = pc, .block = b, .seen = true };
            open_rule = (int32_t)ri;
        }
        if (open_rule >= 0)
            goto shape;
    }
    return DC_OK;
shape:
    return dc_error_set(c->err, DC_ERR_INVALID,
                        "%s: the program's code does not have the shape of compiled rules",
                        c->pol->file);
}

/* The size of a declaration's domain, or 0 when it is not enumerable (no
 * finite domain, or one larger than the limit). */
static uint64_t domain_size(const tctx *c, uint8_t type, int32_t ct)
{
    const program *p = c->p;
    if (ct < 0 || (uint32_t)ct >= p->nctables)
        return type == VT_BOOL ? 2 : 0;
    const ctable *t = &p->ctables[ct];
    uint64_t n = 0;
    switch (t->kind) {
    case CT_INT:
    case CT_HEX:
        if (type != (t->kind == CT_INT ? VT_INT : VT_HEX) ||
            t->first + (uint64_t)t->n > p->nranges)
            return 0;
        for (uint32_t k = 0; k < t->n; k++) {
            const irange *r = &p->ranges[t->first + k];
            uint64_t size = (uint64_t)r->hi - (uint64_t)r->lo + 1;
            if (size == 0 || size > c->limit)
                return 0;
            n += size;
            if (n > c->limit)
                return 0;
        }
        return n;
    case CT_STRING:
        if (type != VT_STRING || t->n > c->limit || t->first + (uint64_t)t->n > p->nstrs)
            return 0;
        return t->n;
    case CT_BOOL: return type == VT_BOOL ? 1 : 0;
    case CT_SET:
        /* its non-empty subsets (an empty set is an absent fact) */
        if (type != VT_SET || t->n == 0 || t->n >= 63 || t->first + (uint64_t)t->n > p->nstrs)
            return 0;
        n = ((uint64_t)1 << t->n) - 1;
        return n <= c->limit ? n : 0;
    default: return 0;
    }
}

static void domain_value(const program *p, const evar *e, uint64_t k, value *out)
{
    memset(out, 0, sizeof *out);
    out->type = e->type;
    if (e->ct < 0) {
        out->as.b = k != 0;
        return;
    }
    const ctable *t = &p->ctables[e->ct];
    switch (t->kind) {
    case CT_INT:
    case CT_HEX:
        for (uint32_t i = 0; i < t->n; i++) {
            const irange *r = &p->ranges[t->first + i];
            uint64_t size = (uint64_t)r->hi - (uint64_t)r->lo + 1;
            if (k < size) {
                uint64_t u = (uint64_t)r->lo + k;
                if (t->kind == CT_INT)
                    out->as.i = (int64_t)u;
                else
                    out->as.u = u;
                return;
            }
            k -= size;
        }
        break;
    case CT_STRING: out->as.s = p->strs[t->first + k]; break;
    case CT_BOOL: out->as.b = t->first != 0; break;
    case CT_SET:
        /* subset k + 1 of the allowed items, in their (sorted) order */
        out->as.set.items = e->items;
        out->as.set.n = 0;
        for (uint32_t i = 0; i < t->n && e->items; i++)
            if (((k + 1) >> i) & 1)
                e->items[out->as.set.n++] = p->strs[t->first + i];
        break;
    default: break;
    }
}

/* Classify SELF's rules: what each renders (docs/language.md, section 4, lowered by compile.c). */
static void classify_self(tctx *c)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    for (uint32_t ri = self->first_rule; ri < self->first_rule + self->nrules; ri++) {
        rinfo *r = &c->rules[ri];
        const prule *pr = &p->rules[ri];
        if (!r->seen || pr->slot < 0 || pr->side)
            continue;
        uint32_t slot = (uint32_t)pr->slot;
        for (uint32_t pc = r->start + 1; pc < r->end; pc++) {
            const insn *i = &p->code[pc];
            uint32_t s;
            if (!reads_target(p, i, &s) || s != slot)
                continue;
            uint8_t kind = RK_OTHER;
            switch ((enum opcode)i->op) {
            case I_EMPTY: kind = RK_ABSENT; break;
            case I_EQSTR: kind = RK_CONST; break;
            case I_LOADF: kind = RK_VAR; break;
            case I_MATCH: kind = RK_TMPL; break;
            case I_FCMP:
                if (((i->t >> 4) & 7) == CMP_EQ)
                    kind = RK_DERIVED;
                break;
            default: break;
            }
            if (kind != RK_OTHER) {
                r->kind = kind;
                r->at = pc;
            }
            break;
        }
        if (r->kind != RK_OTHER && c->renderer[slot] < 0)
            c->renderer[slot] = (int32_t)ri;
    }
}

/* The domain of the variable a LOADF renders: CHECKT after it, if any. */
static int32_t loadf_ctable(const tctx *c, const rinfo *r)
{
    const insn *l = &c->p->code[r->at];
    for (uint32_t pc = r->at + 1; pc < r->end; pc++) {
        const insn *i = &c->p->code[pc];
        if (i->op == I_CHECKT && i->a == l->a)
            return i->b;
    }
    return -1;
}

/* Does a renderer need a variable that is not enumerable? */
static bool needs_open_var(const tctx *c, const rinfo *r)
{
    const program *p = c->p;
    const insn *i = &p->code[r->at];
    if (r->kind == RK_VAR)
        return domain_size(c, i->t & TYPE_MASK, loadf_ctable(c, r)) == 0 ||
               (c->forced && c->forced[i->a]);
    if (r->kind == RK_TMPL) {
        const tmpl *t = &p->tmpls[i->b];
        for (uint32_t k = 0; k < t->n; k++) {
            const tpart *tp = &p->tparts[t->first + k];
            /* a set in a template stays open: its span is the matcher's */
            if (tp->kind == TP_DECL &&
                (tp->type == VT_SET || domain_size(c, tp->type, tp->ctable) == 0 ||
                 (c->forced && c->forced[tp->reg])))
                return true;
        }
    }
    return false;
}

static int32_t var_of_reg(const program *p, uint32_t block, uint32_t reg)
{
    const pblock *pb = &p->blocks[block];
    for (uint32_t v = pb->first_var; v < pb->first_var + pb->nvars; v++)
        if (p->vars[v].reg == reg)
            return (int32_t)v;
    if (block != 0)
        return var_of_reg(p, 0, reg);
    return -1;
}

/* One pass of taint over block b.  For SELF, returns true when a slot newly
 * became open; with `record`, stores each rule's taint. */
static bool taint_block(tctx *c, uint32_t b, bool record)
{
    const program *p = c->p;
    const pblock *pb = &p->blocks[b];
    uint32_t W = c->W;
    bool changed = false;
    uint16_t rd[MAXREGS], wr[MAXREGS];
    int nrd, nwr;
    if (b > 0) {
        /* a block's registers start clean; SELF's variables keep theirs */
        for (uint32_t reg = 0; reg < p->nregs; reg++)
            if (!c->selfreg[reg])
                memset(rt(c, reg), 0, W * sizeof(uint64_t));
    }
    for (uint32_t ri = pb->first_rule; ri < pb->first_rule + pb->nrules; ri++) {
        rinfo *r = &c->rules[ri];
        if (!r->seen)
            continue;
        const prule *pr = &p->rules[ri];
        bool renders = b == 0 && r->kind != RK_OTHER && pr->slot >= 0 &&
                       c->renderer[pr->slot] == (int32_t)ri;
        uint32_t own = renders ? (uint32_t)pr->slot : UINT32_MAX;
        memset(c->cur, 0, W * sizeof(uint64_t));
        for (uint32_t pc = r->start + 1; pc < r->end; pc++) {
            const insn *i = &p->code[pc];
            memset(c->ins, 0, W * sizeof(uint64_t));
            uint32_t s;
            if (reads_target(p, i, &s) && s < nunits(p) && s != own && (c->sflags[s] & S_OPEN))
                setbit(c->ins, s);
            if (!insn_regs(p, i, rd, &nrd, wr, &nwr)) {
                /* too large to follow: taint by everything open */
                for (uint32_t k = 0; k < nunits(p); k++)
                    if (c->sflags[k] & S_OPEN)
                        setbit(c->ins, k);
                nrd = nwr = 0;
            }
            for (int k = 0; k < nrd; k++)
                if (rd[k] < p->nregs)
                    orset(c->ins, rt(c, rd[k]), W);
            for (int k = 0; k < nwr; k++)
                if (wr[k] < p->nregs)
                    memcpy(rt(c, wr[k]), c->ins, W * sizeof(uint64_t));
            if (record)
                c->itaint[pc] = !none(c->ins, W);
            orset(c->cur, c->ins, W);
        }
        if (renders) {
            uint32_t s = (uint32_t)pr->slot;
            if (!(c->sflags[s] & S_OPEN) && (!none(c->cur, W) || needs_open_var(c, r))) {
                c->sflags[s] |= S_OPEN;
                changed = true;
            }
            if (c->sflags[s] & S_OPEN)
                setbit(c->cur, s);
        }
        bool tainted = !none(c->cur, W);
        if (tainted) {
            /* the rule will not run: whatever it writes is open too */
            for (uint32_t pc = r->start + 1; pc < r->end; pc++) {
                if (!insn_regs(p, &p->code[pc], rd, &nrd, wr, &nwr))
                    continue;
                for (int k = 0; k < nwr; k++)
                    if (wr[k] < p->nregs) {
                        orset(rt(c, wr[k]), c->cur, W);
                        if (record) {
                            int32_t v = var_of_reg(p, b, wr[k]);
                            if (v >= 0)
                                c->var_open[v] = true;
                        }
                    }
            }
        }
        if (record) {
            r->tainted = tainted;
            r->first_t = c->ntlist;
            r->ntaint = 0;
            if (tainted) {
                c->any_tainted = true;
                for (uint32_t s = 0; s < nunits(p); s++) {
                    if (!bit(c->cur, s))
                        continue;
                    if (c->ntlist == c->cap_tlist) {
                        uint32_t ncap = c->cap_tlist ? c->cap_tlist * 2 : 32;
                        uint32_t *nl = mem_grow(c->a, c->tlist, ncap, sizeof *nl);
                        if (!nl) {
                            c->oom = true;
                            return false;
                        }
                        c->tlist = nl;
                        c->cap_tlist = ncap;
                    }
                    c->tlist[c->ntlist++] = s;
                    r->ntaint++;
                }
            }
        }
    }
    return changed;
}

/* SELF's rule as text: "FIELD OP EXPECTED" or "where EXPR". */
static void rule_text(const program *p, uint32_t ri, sink *b)
{
    static const char *const ops[] = { "=", "!=", "<", "<=", ">", ">=" };
    const prule *pr = &p->rules[ri];
    if (pr->slot < 0) {
        sink_puts(b, "where ");
    } else {
        put_dstr(b, prog_str(p, p->slots[pr->slot].name));
        sink_printf(b, " %s ", pr->op < 6 ? ops[pr->op] : "?");
    }
    put_dstr(b, prog_str(p, pr->expected));
}

/* The constraint text of each open slot: SELF's tainted rules about it. */
static dc_status build_constraints(tctx *c)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    for (uint32_t s = 0; s < nunits(p); s++) {
        if ((c->sflags[s] & (S_OPEN | S_SELF)) != (S_OPEN | S_SELF))
            continue;
        sink b = sink_growing(c->a);
        for (uint32_t ri = self->first_rule; ri < self->first_rule + self->nrules; ri++) {
            const rinfo *r = &c->rules[ri];
            if (!r->tainted)
                continue;
            bool about = false;
            for (uint32_t k = 0; k < r->ntaint; k++)
                if (c->tlist[r->first_t + k] == s)
                    about = true;
            if (!about)
                continue;
            if (b.len)
                sink_puts(&b, ", ");
            rule_text(p, ri, &b);
        }
        if (b.failed) {
            sink_free(&b);
            return nomem(c);
        }
        c->constraint[s] = b.buf; /* NULL when SELF has no rule about it */
    }
    return DC_OK;
}

/* The copy of the code: tainted rules become no-ops, except that a
 * COMPATIBLE rule still requires what it reads of the source (the field
 * present and of its type), since no value of an open fact can change that.
 * The variables those rules declared are unbound in the copy, so they leave
 * its tables: the verifier then checks that nothing left reads them. */
static dc_status build_copy(tctx *c)
{
    const program *p = c->p;
    c->code = mem_array(c->a, p->ncode ? p->ncode : 1, sizeof *c->code);
    c->vars = mem_array(c->a, p->nvars ? p->nvars : 1, sizeof *c->vars);
    c->blocks = mem_array(c->a, p->nblocks ? p->nblocks : 1, sizeof *c->blocks);
    if (!c->code || !c->vars || !c->blocks)
        return nomem(c);
    memcpy(c->code, p->code, p->ncode * sizeof *c->code);
    uint16_t scratch = (uint16_t)p->nregs;
    for (uint32_t ri = 0; ri < p->nrules; ri++) {
        const rinfo *r = &c->rules[ri];
        if (!r->seen || !r->tainted)
            continue;
        uint16_t local = p->code[r->start].a;
        for (uint32_t pc = r->start + 1; pc < r->end; pc++) {
            const insn *i = &p->code[pc];
            insn nop = { I_RULE, 0, local, 0, 0 };
            if (r->block > 0 && (i->t & SIDE_SOURCE)) {
                if (i->op == I_FCMP)
                    nop = (insn){ I_LOADF, (uint8_t)((i->t & TYPE_MASK) | SIDE_SOURCE), scratch,
                                  i->a, 0 };
                else if (i->op == I_MATCH)
                    nop = (insn){ I_NONEMPTY, SIDE_SOURCE, i->a, 0, 0 };
                else if (i->op == I_NMATCH)
                    nop = (insn){ I_FIELD, SIDE_SOURCE, scratch, i->a, 0 };
            }
            c->code[pc] = nop;
        }
    }
    uint32_t nvars = 0;
    for (uint32_t b = 0; b < p->nblocks; b++) {
        const pblock *pb = &p->blocks[b];
        c->blocks[b] = *pb;
        c->blocks[b].first_var = nvars;
        for (uint32_t v = pb->first_var; v < pb->first_var + pb->nvars && v < p->nvars; v++)
            if (!c->var_open[v])
                c->vars[nvars++] = p->vars[v];
        c->blocks[b].nvars = nvars - c->blocks[b].first_var;
    }
    c->fake = *c->pol;
    c->fake.prog.code = c->code;
    c->fake.prog.nregs = p->nregs + 1;
    c->fake.prog.vars = c->vars;
    c->fake.prog.nvars = nvars;
    c->fake.prog.blocks = c->blocks;
    c->xcode = mem_alloc(c->a, vm_xcode_size(p));
    if (!c->xcode)
        return nomem(c);
    vm_translate(&c->fake.prog, c->xcode, true);
    return DC_OK;
}

/* The enumerated variables, in SELF's order: those of the renderers of
 * slots that are not open. */
static dc_status build_enum(tctx *c)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    c->ev = mem_array(c->a, self->nvars ? self->nvars : 1, sizeof *c->ev);
    c->assign = mem_array(c->a, p->nregs + 1, sizeof *c->assign);
    if (!c->ev || !c->assign)
        return nomem(c);
    memset(c->assign, 0, (p->nregs + 1) * sizeof *c->assign);
    for (uint32_t ri = self->first_rule; ri < self->first_rule + self->nrules; ri++) {
        const rinfo *r = &c->rules[ri];
        const prule *pr = &p->rules[ri];
        if (!r->seen || r->tainted || pr->slot < 0 || c->renderer[pr->slot] != (int32_t)ri)
            continue;
        const insn *i = &p->code[r->at];
        if (r->kind == RK_VAR) {
            int32_t ct = loadf_ctable(c, r);
            uint8_t type = i->t & TYPE_MASK;
            if (c->nev < self->nvars)
                c->ev[c->nev++] =
                    (evar){ i->a, type, ct, domain_size(c, type, ct), NULL, 0, NULL };
        } else if (r->kind == RK_TMPL) {
            const tmpl *t = &p->tmpls[i->b];
            for (uint32_t k = 0; k < t->n; k++) {
                const tpart *tp = &p->tparts[t->first + k];
                if (tp->kind == TP_DECL && c->nev < self->nvars)
                    c->ev[c->nev++] = (evar){ tp->reg,    tp->type,
                                              tp->ctable, domain_size(c, tp->type, tp->ctable),
                                              NULL,       0,
                                              NULL };
            }
        }
    }
    for (uint32_t k = 0; k < c->nev; k++) {
        evar *e = &c->ev[k];
        if (e->type != VT_SET || e->size == 0 || e->ct < 0)
            continue;
        e->items = mem_array(c->a, p->ctables[e->ct].n, sizeof *e->items);
        if (!e->items)
            return nomem(c);
    }
    /* SELF variables that are the whole of an open slot, for residues */
    for (uint32_t v = 0; v < self->nvars; v++)
        c->whole[v] = -1;
    for (uint32_t ri = self->first_rule; ri < self->first_rule + self->nrules; ri++) {
        const rinfo *r = &c->rules[ri];
        const prule *pr = &p->rules[ri];
        if (!r->seen || r->kind != RK_VAR || pr->slot < 0 ||
            c->renderer[pr->slot] != (int32_t)ri || !(c->sflags[pr->slot] & S_OPEN))
            continue;
        int32_t v = var_of_reg(p, 0, p->code[r->at].a);
        if (v >= 0 && (uint32_t)v >= self->first_var &&
            (uint32_t)v < self->first_var + self->nvars)
            c->whole[(uint32_t)v - self->first_var] = pr->slot;
    }
    return DC_OK;
}

static dc_status analyse(tctx *c)
{
    const program *p = c->p;
    dc_status st;
    c->W = (nunits(p) + 63) / 64;
    if (c->W == 0)
        c->W = 1;
    c->rtaint = mem_array(c->a, (size_t)(p->nregs + 1) * c->W, sizeof(uint64_t));
    c->cur = mem_array(c->a, c->W, sizeof(uint64_t));
    c->ins = mem_array(c->a, c->W, sizeof(uint64_t));
    c->renderer = mem_array(c->a, p->nslots + 1, sizeof *c->renderer);
    c->sflags = mem_zalloc(c->a, nunits(p) + 1);
    c->constraint = mem_array(c->a, nunits(p) + 1, sizeof *c->constraint);
    if (c->constraint) /* released entry by entry */
        memset(c->constraint, 0, (nunits(p) + 1) * sizeof *c->constraint);
    c->rules = mem_array(c->a, p->nrules + 1, sizeof *c->rules);
    c->itaint = mem_zalloc(c->a, p->ncode + 1);
    c->var_open = mem_array(c->a, p->nvars + 1, sizeof *c->var_open);
    c->whole = mem_array(c->a, p->blocks[0].nvars + 1, sizeof *c->whole);
    c->def = mem_array(c->a, p->nregs + 1, sizeof *c->def);
    c->dstamp = mem_array(c->a, p->nregs + 1, sizeof *c->dstamp);
    c->selfreg = mem_zalloc(c->a, (p->nregs + 1) * sizeof *c->selfreg);
    c->captured = mem_zalloc(c->a, (p->nregs + 1) * sizeof *c->captured);
    if (!c->selfreg || !c->captured || !c->rtaint || !c->cur || !c->ins || !c->renderer ||
        !c->sflags || !c->constraint || !c->rules || !c->itaint || !c->var_open || !c->whole ||
        !c->def || !c->dstamp)
        return nomem(c);
    memset(c->rules, 0, (p->nrules + 1) * sizeof *c->rules);
    memset(c->var_open, 0, (p->nvars + 1) * sizeof *c->var_open);
    memset(c->dstamp, 0, (p->nregs + 1) * sizeof *c->dstamp);
    for (uint32_t s = 0; s <= p->nslots; s++)
        c->renderer[s] = -1;
    for (uint32_t v = p->blocks[0].first_var; v < p->blocks[0].first_var + p->blocks[0].nvars;
         v++)
        if (v < p->nvars && p->vars[v].reg < p->nregs)
            c->selfreg[p->vars[v].reg] = true;
    if ((st = find_rules(c)) != DC_OK)
        return st;
    classify_self(c);

    /* which target slots are read, and by whom */
    for (uint32_t ri = 0; ri < p->nrules; ri++) {
        const rinfo *r = &c->rules[ri];
        const prule *pr = &p->rules[ri];
        if (!r->seen)
            continue;
        if (r->block == 0 && pr->slot >= 0 && !pr->side)
            c->sflags[pr->slot] |= S_REF | S_SELF;
        for (uint32_t pc = r->start + 1; pc < r->end; pc++) {
            uint32_t s;
            if (reads_target(p, &p->code[pc], &s) && s < nunits(p))
                c->sflags[s] |= S_REF | (r->block == 0 ? S_SELF : 0);
        }
    }
    /* a slot read but never rendered is open from the start, and so are
     * the target's records */
    for (uint32_t s = 0; s < nunits(p); s++)
        if ((c->sflags[s] & S_REF) && (s >= p->nslots || c->renderer[s] < 0))
            c->sflags[s] |= S_OPEN;

    /* SELF to a fixpoint: each round opens at least one slot or ends */
    for (uint32_t round = 0; round <= nunits(p) + 1; round++) {
        memset(c->rtaint, 0, (size_t)(p->nregs + 1) * c->W * sizeof(uint64_t));
        if (!taint_block(c, 0, false))
            break;
    }
    memset(c->rtaint, 0, (size_t)(p->nregs + 1) * c->W * sizeof(uint64_t));
    for (uint32_t b = 0; b < p->nblocks; b++) {
        taint_block(c, b, true);
        if (c->oom)
            return nomem(c);
    }
    if ((st = build_constraints(c)) != DC_OK || (st = build_copy(c)) != DC_OK ||
        (st = build_enum(c)) != DC_OK)
        return st;
    return DC_OK;
}

/* ------------------------------------------------------------ residues */

/* The number of the source's records of set `set`. */
static uint32_t c_rec_count(const tctx *c, uint32_t set)
{
    return c->src->rec_n && set < c->p->nrecsets ? c->src->rec_n[set] : 0;
}

/* DN_LOOP: all/any (t: EACH's; arg: the record set; a: the body), DN_REC:
 * a record's field (op RFIELD or RHAS; t: the side; arg: the field; b: the
 * loop level). */
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

static int32_t dn_new(tctx *c, dtree *t, dnode node)
{
    if (t->count == t->cap) {
        uint32_t ncap = t->cap ? t->cap * 2 : 16;
        dnode *nn = mem_grow(c->a, t->n, ncap, sizeof *nn);
        if (!nn) {
            c->oom = true;
            return -1;
        }
        t->n = nn;
        t->cap = ncap;
    }
    t->n[t->count] = node;
    return (int32_t)t->count++;
}

/* The node holding register `reg` now: defined in this rule, or a variable. */
static int32_t dn_get(tctx *c, dtree *t, uint32_t block, uint16_t reg)
{
    if (reg < c->p->nregs && c->dstamp[reg] == c->stamp)
        return c->def[reg];
    int32_t v = var_of_reg(c->p, block, reg);
    dnode node = { v >= 0 ? DN_VAR : DN_UNKNOWN, 0, 0, true, reg, reg, -1, -1 };
    if (v >= 0)
        node.tainted = c->var_open[v];
    int32_t k = dn_new(c, t, node);
    if (k >= 0 && reg < c->p->nregs) {
        c->def[reg] = k;
        c->dstamp[reg] = c->stamp;
    }
    return k;
}

static void dn_def(tctx *c, uint16_t reg, int32_t k)
{
    if (reg < c->p->nregs && k >= 0) {
        c->def[reg] = k;
        c->dstamp[reg] = c->stamp;
    }
}

static bool dn_tainted(const dtree *t, int32_t k)
{
    return k < 0 || t->n[k].tainted;
}

/* Decompile rule ri's expression code; *test is the pc of its final test.
 * A loop over records (all/any) is decompiled only with `loops` (record
 * residues): its nodes, and all that read them, are tainted, since the
 * registers hold only a loop's last round. */
static dc_status decompile(tctx *c, uint32_t ri, dtree *t, uint32_t *test, bool loops)
{
    const program *p = c->p;
    const rinfo *r = &c->rules[ri];
    struct pend {
        uint16_t reg;
        uint32_t target;
        int32_t left;
        uint8_t kind;
    } pend[DC_MAX_NESTING * 2 + 8];
    int npend = 0;
    uint32_t loop[LOOP_DEPTH];
    int nloop = 0;
    c->stamp++;
    *test = UINT32_MAX;
    for (uint32_t pc = r->start + 1; pc <= r->end; pc++) {
        while (npend > 0 && pend[npend - 1].target == pc) {
            struct pend *e = &pend[--npend];
            int32_t right = dn_get(c, t, r->block, e->reg);
            dnode node = { e->kind, 0, 0,       dn_tainted(t, e->left) || dn_tainted(t, right),
                           e->reg,  0, e->left, right };
            dn_def(c, e->reg, dn_new(c, t, node));
        }
        if (pc == r->end)
            break;
        const insn *i = &p->code[pc];
        bool it = c->itaint[pc];
        int32_t k = -1;
        /* an expression step writes a temporary (W): a constant, a copy, a
         * fact, or an operation on the registers it reads (R); a loop over
         * records (all/any) is not decompiled: the rule is shown as written */
        const char *roles = i->op < I__COUNT ? op_operands[i->op] : "---";
        if (strpbrk(roles, "XCB") && !loops)
            return DC_ERR_INVALID;
        int nr = (roles[1] == 'R') + (roles[2] == 'R');
        if (i->op == I_EACH) {
            if (nloop == LOOP_DEPTH)
                return DC_ERR_INVALID;
            loop[nloop++] = pc;
        } else if (i->op == I_AGAIN) {
            if (nloop == 0)
                return DC_ERR_INVALID;
            const insn *e = &p->code[loop[--nloop]];
            int32_t body = dn_get(c, t, r->block, i->b);
            k = dn_new(c, t, (dnode){ DN_LOOP, I_EACH, e->t, true, i->a, e->b, body, -1 });
            dn_def(c, i->a, k);
        } else if (i->op == I_RFIELD || i->op == I_RHAS) {
            k = dn_new(
                c, t, (dnode){ DN_REC, i->op, i->t & SIDE_SOURCE, true, i->a, i->b, -1, i->c });
            dn_def(c, i->a, k);
        } else if (i->op == I_LOADK) {
            k = dn_new(c, t, (dnode){ DN_K, I_LOADK, 0, false, i->a, i->b, -1, -1 });
            dn_def(c, i->a, k);
        } else if (i->op == I_MOVE) {
            dn_def(c, i->a, dn_get(c, t, r->block, i->b));
        } else if (roles[0] == 'W' && roles[1] == 'S') {
            k = dn_new(c, t, (dnode){ DN_OP, i->op, i->t, it, i->a, i->b, -1, -1 });
            dn_def(c, i->a, k);
        } else if (roles[0] == 'W' && nr == 1) {
            int32_t a = dn_get(c, t, r->block, i->b);
            k = dn_new(c, t, (dnode){ DN_OP, i->op, i->t, dn_tainted(t, a), i->a, 0, a, -1 });
            dn_def(c, i->a, k);
        } else if (roles[0] == 'W' && nr == 2) {
            int32_t a = dn_get(c, t, r->block, i->b);
            int32_t b = dn_get(c, t, r->block, i->c);
            k = dn_new(c, t,
                       (dnode){ DN_OP, i->op, i->t, dn_tainted(t, a) || dn_tainted(t, b), i->a,
                                0, a, b });
            dn_def(c, i->a, k);
        } else if (op_find(i->op, 'J') >= 0) {
            if (npend == (int)(sizeof pend / sizeof pend[0]))
                return DC_ERR_INVALID;
            pend[npend++] = (struct pend){ i->a, pc + 1 + i->b, dn_get(c, t, r->block, i->a),
                                           i->op == I_JF ? DN_AND : DN_OR };
            if (pend[npend - 1].target > r->end)
                return DC_ERR_INVALID;
        } else if (i->op == I_WHERE || i->op == I_FCMP || i->op == I_MATCH ||
                   i->op == I_NMATCH) {
            *test = pc; /* the tests residue_text can show */
        }
        if (c->oom)
            return DC_ERR_NOMEM;
    }
    return *test == UINT32_MAX || npend || nloop ? DC_ERR_INVALID : DC_OK;
}

enum { PR_OR = 1, PR_AND, PR_EQ, PR_CMP, PR_ADD, PR_MUL, PR_UNARY, PR_ATOM };

static int op_prec(uint8_t op)
{
    switch ((enum opcode)op) {
    case I_EQ:
    case I_NE: return PR_EQ;
    case I_LT:
    case I_LE:
    case I_GT:
    case I_GE: return PR_CMP;
    case I_ADD:
    case I_SUB: return PR_ADD;
    case I_MUL:
    case I_DIV:
    case I_MOD: return PR_MUL;
    default: return PR_ATOM;
    }
}

static const char *op_text(uint8_t op)
{
    switch ((enum opcode)op) {
    case I_EQ: return "==";
    case I_NE: return "!=";
    case I_LT: return "<";
    case I_LE: return "<=";
    case I_GT: return ">";
    case I_GE: return ">=";
    case I_ADD: return "+";
    case I_SUB: return "-";
    case I_MUL: return "*";
    case I_DIV: return "/";
    case I_MOD: return "%";
    default: {
        int bi = builtin_of_op(op); /* a function: builtins.def */
        return bi >= 0 ? builtins[bi].name : "?";
    }
    }
}

static uint8_t mirror(uint8_t op)
{
    switch ((enum opcode)op) {
    case I_LT: return I_GT;
    case I_LE: return I_GE;
    case I_GT: return I_LT;
    case I_GE: return I_LE;
    default: return op;
    }
}

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
static bool conv_eval(uint8_t type, const value *a, value *out);
static bool wit_eval(struct solver *s, const rctx *x, int32_t k, const value *W, value *out,
                     int depth);

#define MAX_RENDER_DEPTH (DC_MAX_NESTING * 4)

static bool dn_value(const rctx *x, int32_t k, value *out)
{
    const dnode *n = &x->t->n[k];
    if (n->kind == DN_VAR && n->arg < x->c->p->nregs &&
        x->c->captured[n->arg].type != VT_NONE) {
        *out = x->c->captured[n->arg]; /* read out of the source's text */
        return true;
    }
    if (n->tainted)
        return false;
    if (n->kind == DN_K) {
        *out = x->c->p->consts[n->arg];
        return true;
    }
    if (!x->regs || n->kind == DN_UNKNOWN)
        return false;
    if (x->loops && n->kind != DN_VAR)
        return false; /* a rule with loops: its temporaries were not computed */
    *out = x->regs[n->reg];
    return true;
}

/* Node k's value: dn_value, or in a rule with loops, computed from the
 * source's records and the known values (wit_eval without a witness). */
static bool node_value(const rctx *x, int32_t k, value *out)
{
    return dn_value(x, k, out) || (x->loops && k >= 0 && wit_eval(NULL, x, k, NULL, out, 0));
}

/* Is node k's value known (computed, constant, or read out of a text)? */
static bool dn_known(const rctx *x, int32_t k)
{
    value v;
    return k >= 0 && ((!x->t->n[k].tainted && !x->loops) || node_value(x, k, &v));
}

static int render_node(rctx *x, int32_t k, sink *b);

static void render_child(rctx *x, int32_t k, int min_prec, sink *b)
{
    sink tmp = sink_growing(b->alloc);
    int prec = render_node(x, k, &tmp);
    if (prec < min_prec) {
        sink_put(b, "(", 1);
        sink_put(b, sink_str(&tmp), tmp.len);
        sink_put(b, ")", 1);
    } else {
        sink_put(b, sink_str(&tmp), tmp.len);
    }
    if (tmp.failed)
        b->failed = true;
    sink_free(&tmp);
}

static int render_op(rctx *x, int32_t k, sink *b);

/* The name a target loop is shown with: the n-th of a few short names that
 * no variable of the policy has. */
static const char *loop_name(const program *p, int n)
{
    static const char *const names[] = { "t", "u", "r", "q", "w", "z", "t1", "t2", "t3", "t4" };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        bool taken = false;
        for (uint32_t v = 0; v < p->nvars && !taken; v++) {
            dstr name = prog_str(p, p->vars[v].name);
            taken = name.len == strlen(names[k]) && memcmp(name.p, names[k], name.len) == 0;
        }
        if (!taken && n-- == 0)
            return names[k];
    }
    return NULL;
}

/* A loop over records: the source's is expanded, one body per record
 * (those that hold whatever the target is left out), joined with && (all)
 * or || (any); the target's is shown as a loop over self's records. */
static int render_loop(rctx *x, int32_t k, sink *b)
{
    const tctx *c = x->c;
    const program *p = c->p;
    const dnode *n = &x->t->n[k];
    bool any = n->t & LOOP_ANY;
    int level = (n->t & LOOP_LEVEL) ? 1 : 0;
    rctx y = *x;
    if (!(n->t & SIDE_SOURCE)) {
        dstr set = prog_str(p, p->recsets[n->arg].name);
        y.rec[level] = -1;
        y.lname[level] = loop_name(p, x->tloops);
        y.tloops++;
        sink_printf(b, "%s(self.%.*s, %s, ", any ? "any" : "all", (int)set.len, set.p,
                    y.lname[level] ? y.lname[level] : "?");
        render_node(&y, n->a, b);
        sink_put(b, ")", 1);
        return PR_ATOM;
    }
    uint32_t count = c_rec_count(c, n->arg);
    int32_t first = -1, parts = 0;
    for (uint32_t r = 0; r < count; r++) {
        value v;
        y.rec[level] = (int32_t)r;
        if (node_value(&y, n->a, &v) && v.type == VT_BOOL && v.as.b != any)
            continue; /* neutral: all's true, any's false */
        if (parts++ == 0)
            first = (int32_t)r;
    }
    if (parts == 0) {
        sink_puts(b, any ? "false" : "true");
        return PR_ATOM;
    }
    if (parts == 1) {
        y.rec[level] = first;
        return render_node(&y, n->a, b);
    }
    int prec = any ? PR_OR : PR_AND;
    parts = 0;
    for (uint32_t r = 0; r < count; r++) {
        value v;
        y.rec[level] = (int32_t)r;
        if (node_value(&y, n->a, &v) && v.type == VT_BOOL && v.as.b != any)
            continue;
        if (parts++)
            sink_puts(b, any ? " || " : " && ");
        render_child(&y, n->a, prec + 1, b);
    }
    return prec;
}

/* Render node k, folding what is known; returns its precedence. */
static int render_node(rctx *x, int32_t k, sink *b)
{
    if (k < 0 || x->depth >= MAX_RENDER_DEPTH) {
        sink_put(b, "?", 1);
        return PR_ATOM;
    }
    x->depth++;
    int prec = render_op(x, k, b);
    x->depth--;
    return prec;
}

static int render_op(rctx *x, int32_t k, sink *b)
{
    const program *p = x->c->p;
    const dnode *n = &x->t->n[k];
    value v;
    if (n->kind == DN_OP && n->op == I_BITS && node_value(x, n->a, &v)) {
        /* bits(0x3ff7ff3f) reads better than the set of its indices */
        sink_puts(b, "bits(");
        put_literal(b, &v);
        sink_put(b, ")", 1);
        return PR_ATOM;
    }
    if (node_value(x, k, &v)) {
        put_literal(b, &v);
        return v.type == VT_INT && v.as.i < 0 ? PR_UNARY : PR_ATOM;
    }
    switch (n->kind) {
    case DN_LOOP: return render_loop(x, k, b);
    case DN_REC: {
        dstr field = prog_str(p, p->recfields[n->arg].name);
        int level = n->b >= 0 && n->b < LOOP_DEPTH ? n->b : 0;
        if (n->op == I_RHAS)
            sink_puts(b, "has(");
        if ((n->t & SIDE_SOURCE) && x->rec[level] >= 0) {
            /* an absent field of the source's record: its fact's name */
            dstr set = prog_str(p, p->recsets[p->recfields[n->arg].set].name);
            sink_printf(b, "source.%.*s.%d.", (int)set.len, set.p, (int)x->rec[level]);
        } else {
            sink_puts(b, x->lname[level] ? x->lname[level] : "?");
            sink_put(b, ".", 1);
        }
        put_dstr(b, field);
        if (n->op == I_RHAS)
            sink_put(b, ")", 1);
        return PR_ATOM;
    }
    case DN_VAR: {
        int32_t vi = var_of_reg(p, x->block, n->arg);
        if (vi >= 0)
            put_dstr(b, prog_str(p, p->vars[vi].name));
        else
            sink_put(b, "?", 1);
        return PR_ATOM;
    }
    case DN_AND:
    case DN_OR: {
        bool is_and = n->kind == DN_AND;
        if (node_value(x, n->a, &v) && v.type == VT_BOOL) {
            /* a known left side: it decides, or the right side is the value */
            if (v.as.b != is_and) {
                sink_puts(b, v.as.b ? "true" : "false");
                return PR_ATOM;
            }
            return render_node(x, n->b, b);
        }
        if (node_value(x, n->b, &v) && v.type == VT_BOOL) {
            /* a known right side (the left one was not known, so the
             * right one was computed): it decides, or the left side is */
            if (v.as.b != is_and) {
                sink_puts(b, v.as.b ? "true" : "false");
                return PR_ATOM;
            }
            return render_node(x, n->a, b);
        }
        int prec = is_and ? PR_AND : PR_OR;
        render_child(x, n->a, prec, b);
        sink_puts(b, is_and ? " && " : " || ");
        render_child(x, n->b, prec + 1, b);
        return prec;
    }
    case DN_OP: break;
    default: sink_put(b, "?", 1); return PR_ATOM;
    }
    switch ((enum opcode)n->op) {
    case I_FIELD:
    case I_FIELDT:
    case I_HAS: {
        const char *side = (n->t & SIDE_SOURCE) ? "source." : "self.";
        const char *fn = n->op == I_HAS      ? "has"
                         : n->op == I_FIELDT ? vtype_name((vtype)(n->t & TYPE_MASK))
                                             : NULL;
        if (fn)
            sink_printf(b, "%s(", fn);
        sink_puts(b, side);
        if (n->arg < p->nslots)
            put_dstr(b, prog_str(p, p->slots[n->arg].name));
        if (fn)
            sink_put(b, ")", 1);
        return PR_ATOM;
    }
    case I_CONV: {
        const char *fn = vtype_name((vtype)(n->t & TYPE_MASK));
        sink_printf(b, "%s(", fn ? fn : "?");
        render_child(x, n->a, 0, b);
        sink_put(b, ")", 1);
        return PR_ATOM;
    }
    case I_NEG:
    case I_NOT:
        sink_put(b, n->op == I_NEG ? "-" : "!", 1);
        render_child(x, n->a, PR_UNARY, b);
        return PR_UNARY;
    default: {
        if (builtin_of_op(n->op) >= 0) {
            /* a function of one or two arguments */
            sink_printf(b, "%s(", op_text(n->op));
            render_child(x, n->a, 0, b);
            if (n->b >= 0) {
                sink_puts(b, ", ");
                render_child(x, n->b, 0, b);
            }
            sink_put(b, ")", 1);
            return PR_ATOM;
        }
        int prec = op_prec(n->op);
        int32_t l = n->a, r = n->b;
        uint8_t op = n->op;
        /* a comparison reads best with its unknown side first */
        if ((prec == PR_CMP || prec == PR_EQ) && dn_known(x, l) && !dn_known(x, r)) {
            int32_t s = l;
            l = r;
            r = s;
            op = mirror(op);
        }
        render_child(x, l, prec, b);
        sink_printf(b, " %s ", op_text(op));
        render_child(x, r, prec + 1, b);
        return prec;
    }
    }
}

/* The source's fact of slot s as the literal of type t, when it has one. */
static bool source_value(const tctx *c, uint32_t slot, uint8_t type, value *out)
{
    const pfact *f = &c->src->slots[slot];
    if (!f->present || type >= VT_COUNT)
        return false;
    memset(out, 0, sizeof *out);
    out->type = type;
    return pfact_value(f, (vtype)type, out);
}

/* Run SELF and block b of the copy with rule ri cut short after its
 * computations that do not depend on open facts (with `before`, before
 * any of them: a rule with loops, whose registers hold only a last round);
 * the registers then hold their values.  The copy is restored before
 * returning. */
static bool compute_known(tctx *c, uint32_t ri, const dc_prepared *tgt, bool before)
{
    const program *p = c->p;
    const rinfo *r = &c->rules[ri];
    uint32_t n = r->end - r->start + 1;
    insn saved[64];
    insn *keep = n <= 64 ? saved : mem_array(c->a, n, sizeof *keep);
    if (!keep) {
        c->oom = true;
        return false;
    }
    memcpy(keep, c->code + r->start, n * sizeof *keep);
    for (uint32_t pc = r->start + 1; pc < r->end; pc++) {
        const insn *i = &p->code[pc];
        /* the expression steps (they write a temporary) and the jumps of
         * && and || */
        bool step = i->op < I__COUNT && (op_find(i->op, 'W') >= 0 || op_find(i->op, 'J') >= 0);
        bool compute = step && !c->itaint[pc] && !before;
        c->code[pc] = compute ? *i : (insn){ I_RULE, 0, p->code[r->start].a, 0, 0 };
    }
    c->code[r->end] = (insn){ I_OK, 0, 0, 0, 0 };
    vm_translate(&c->fake.prog, c->xcode, true);
    vm_fail f;
    bool ok = vm_run_block(&c->fake.prog, 0, c->src, tgt, c->res, &f) &&
              vm_run_block(&c->fake.prog, r->block, c->src, tgt, c->res, &f);
    memcpy(c->code + r->start, keep, n * sizeof *keep);
    vm_translate(&c->fake.prog, c->xcode, true);
    if (keep != saved)
        mem_free(c->a, keep);
    return ok;
}

/* Does node k, a set, evaluate whatever the open facts are: an open set
 * variable, or bits() of an open hex one (bits() fails on a negative int
 * only)? */
static bool never_fails_set(const rctx *x, int32_t k)
{
    const program *p = x->c->p;
    const dnode *n = k >= 0 ? &x->t->n[k] : NULL;
    if (n && n->kind == DN_OP && n->op == I_BITS && n->a >= 0) {
        n = &x->t->n[n->a];
        int32_t v = n->kind == DN_VAR ? var_of_reg(p, x->block, n->arg) : -1;
        return v >= 0 && p->vars[v].type == VT_HEX;
    }
    int32_t v = n && n->kind == DN_VAR ? var_of_reg(p, x->block, n->arg) : -1;
    return v >= 0 && p->vars[v].type == VT_SET;
}

static bool has_loops(const dtree *t)
{
    for (uint32_t k = 0; k < t->count; k++)
        if (t->n[k].kind == DN_LOOP)
            return true;
    return false;
}

/* Does node k's evaluation fail whatever the target is: a known text that
 * does not parse (int("x") of a source record), an absent field of a
 * source record, or an operation on such a value? */
static bool always_fails(const rctx *x, int32_t k, int depth)
{
    if (k < 0 || depth >= MAX_RENDER_DEPTH || !x->loops)
        return false;
    const dnode *n = &x->t->n[k];
    value v, out;
    if (n->kind == DN_REC)
        return (n->t & SIDE_SOURCE) && n->op == I_RFIELD && !node_value(x, k, &v) &&
               x->rec[n->b >= 0 && n->b < LOOP_DEPTH ? n->b : 0] >= 0;
    if (n->kind != DN_OP)
        return false;
    if (n->op == I_CONV && node_value(x, n->a, &v) && v.type == VT_STRING &&
        (n->t & TYPE_MASK) != VT_SET)
        return !conv_eval(n->t & TYPE_MASK, &v, &out);
    return always_fails(x, n->a, depth + 1) || always_fails(x, n->b, depth + 1);
}

/* What node k is known to be: 1 true, 0 false (or its evaluation fails),
 * -1 not known. */
static int dn_truth(const rctx *x, int32_t k, int depth)
{
    if (k < 0 || depth >= MAX_RENDER_DEPTH)
        return -1;
    const dnode *n = &x->t->n[k];
    value v;
    if (node_value(x, k, &v))
        return v.type == VT_BOOL ? v.as.b : -1;
    if (n->kind == DN_AND || n->kind == DN_OR) {
        int stop = n->kind == DN_OR; /* the value that decides */
        int l = dn_truth(x, n->a, depth + 1);
        if (l == stop)
            return stop;
        int r = dn_truth(x, n->b, depth + 1);
        if (l == !stop)
            return r;
        return r == stop ? stop : -1;
    }
    if (n->kind == DN_OP && n->op == I_NOT) {
        int a = dn_truth(x, n->a, depth + 1);
        return a < 0 ? -1 : !a;
    }
    if (n->kind == DN_OP && n->op == I_SUBSET && node_value(x, n->a, &v) && v.type == VT_SET &&
        v.as.set.n == 0 && never_fails_set(x, n->b))
        return 1; /* the empty set is a subset of every set */
    if (n->kind == DN_OP &&
        (always_fails(x, n->a, depth + 1) || always_fails(x, n->b, depth + 1)))
        return 0; /* an operand's evaluation fails: the rule fails */
    if (n->kind == DN_LOOP && (n->t & SIDE_SOURCE)) {
        /* all: a body that cannot hold is reached, or an earlier one is
         * false or fails; any: no body can hold */
        rctx y = *x;
        int level = (n->t & LOOP_LEVEL) ? 1 : 0;
        bool any = n->t & LOOP_ANY;
        uint32_t count = c_rec_count(x->c, n->arg);
        for (uint32_t r = 0; r < count; r++) {
            y.rec[level] = (int32_t)r;
            int b = dn_truth(&y, n->a, depth + 1);
            if (!any && b == 0)
                return 0;
            if (any && b != 0)
                return -1;
        }
        return any ? 0 : -1;
    }
    return -1;
}

static bool capture_text(tctx *c, const rctx *x, const insn *i, sink *b, int *truth);

/* The residue of tainted COMPATIBLE rule ri, for the current candidate;
 * *truth is 0 when it cannot hold whatever the open facts are, 1 when it
 * holds whatever they are, -1 otherwise. */
static void residue_text(tctx *c, uint32_t ri, const dc_prepared *tgt, sink *out, bool *is_or,
                         int *truth)
{
    static const char *const rule_ops[] = { "=", "!=", "<", "<=", ">", ">=" };
    static const uint8_t expr_ops[] = { I_EQ, I_NE, I_LT, I_LE, I_GT, I_GE };
    static const uint8_t rev[] = { CMP_EQ, CMP_NE, CMP_GT, CMP_GE, CMP_LT, CMP_LE };
    const program *p = c->p;
    const rinfo *r = &c->rules[ri];
    dtree t = { NULL, 0, 0 };
    uint32_t test;
    *is_or = false;
    *truth = -1;
    sink b = sink_growing(c->a);
    if (decompile(c, ri, &t, &test, true) != DC_OK) {
        rule_text(p, ri, &b);
        goto done;
    }
    bool loops = has_loops(&t);
    bool known = compute_known(c, ri, tgt, loops);
    rctx x = { c, &t, known ? c->res->regs : NULL, r->block, 0, loops, { 0 }, { NULL }, 0 };
    const insn *i = &p->code[test];
    switch ((enum opcode)i->op) {
    case I_WHERE: {
        int32_t root = dn_get(c, &t, r->block, i->a);
        *truth = dn_truth(&x, root, 0);
        *is_or = render_node(&x, root, &b) == PR_OR;
        break;
    }
    case I_FCMP: {
        uint8_t cmp = (i->t >> 4) & 7, type = i->t & TYPE_MASK;
        int32_t e = dn_get(c, &t, r->block, i->b);
        value sv;
        if (cmp > CMP_GE || !source_value(c, i->a, type, &sv)) {
            rule_text(p, ri, &b);
            break;
        }
        int32_t vi = e >= 0 && t.n[e].kind == DN_VAR ? var_of_reg(p, r->block, t.n[e].arg) : -1;
        const pblock *self = &p->blocks[0];
        if (vi >= (int32_t)self->first_var && vi < (int32_t)(self->first_var + self->nvars) &&
            c->whole[vi - (int32_t)self->first_var] >= 0) {
            /* the variable is the whole of a target fact: say it as a rule */
            uint32_t slot = (uint32_t)c->whole[vi - (int32_t)self->first_var];
            put_dstr(&b, prog_str(p, p->slots[slot].name));
            sink_printf(&b, " %s ", rule_ops[rev[cmp]]);
            put_value(&b, &sv);
        } else {
            render_child(&x, e, PR_CMP + 1, &b);
            sink_printf(&b, " %s ", op_text(expr_ops[rev[cmp]]));
            put_literal(&b, &sv);
        }
        break;
    }
    case I_MATCH:
    case I_NMATCH: {
        /* SELF's variables read out of the source's text, when they can be */
        if (capture_text(c, &x, i, &b, truth))
            break;
        const tmpl *tm = &p->tmpls[i->b];
        for (uint32_t k = 0; k < tm->n; k++) {
            const tpart *tp = &p->tparts[tm->first + k];
            if (tp->kind == TP_LIT) {
                put_dstr(&b, prog_str(p, tp->lit));
            } else if (tp->kind == TP_DECL) {
                int32_t vi = var_of_reg(p, r->block, tp->reg);
                sink_put(&b, "{", 1);
                if (vi >= 0)
                    put_dstr(&b, prog_str(p, p->vars[vi].name));
                const char *tn = vtype_name((vtype)tp->type);
                sink_printf(&b, ":%s}", tn ? tn : "?");
            } else {
                int32_t e = dn_get(c, &t, r->block, tp->reg);
                value v;
                if (e >= 0 && dn_value(&x, e, &v)) {
                    put_value(&b, &v);
                } else {
                    sink_put(&b, "{", 1);
                    render_node(&x, e, &b);
                    sink_put(&b, "}", 1);
                }
            }
        }
        const pfact *f = &c->src->slots[i->a];
        sink_puts(&b, i->op == I_MATCH ? " = " : " != ");
        put_quoted(&b, f->raw.p ? f->raw.p : "", f->raw.len);
        break;
    }
    default: rule_text(p, ri, &b); break;
    }
done:
    mem_free(c->a, t.n);
    if (b.failed)
        c->oom = true;
    sink_put(out, sink_str(&b), b.len);
    sink_free(&b);
}

/* ------------------------------------------------------------ satisfiability */

/* A listed target must be satisfiable (docs/targets.md, "Never wrong").  The
 * open SELF variables a block's residues (and SELF's own rules on open facts)
 * read are each given a domain: their SELF constraint, narrowed by the
 * residue's comparisons with known values (conjunctions only: an `||` is not
 * narrowed by, which keeps every domain a superset).  An empty domain proves
 * that no target can hold: the block is dropped.  Otherwise a witness, one
 * value per variable, is built from the domains and every residue is
 * evaluated with it: when all hold, the target is decided; when a residue
 * cannot be evaluated or does not hold, it is listed as not decided. */

#define SOLVE_EXCLUDED 8

typedef struct sdom {
    uint16_t reg;
    uint8_t type;
    int32_t ct; /* SELF's constraint table, -1 none */
    bool empty;
    /* int and hex: [lo, hi] and values excluded by != */
    int64_t lo, hi;
    int64_t ex[SOLVE_EXCLUDED];
    uint32_t nex;
    /* semver: bounds, and bounds of major(), minor(), patch() */
    bool has_slo, has_shi, slo_incl, shi_incl;
    semver slo, shi;
    int64_t plo[3], phi[3];
    /* string: a required value */
    bool has_eq;
    value eq;
    /* the value a capture (template) found, tried first */
    bool has_hint;
    value hint;
} sdom;

typedef struct solver {
    tctx *c;
    sdom *d;
    uint32_t n;
    bool undecided; /* something was not understood */
} solver;

/* Narrow a semver interval by one comparator. */
static void sv_narrow(semver *lo, bool *has_lo, bool *lo_in, semver *hi, bool *has_hi,
                      bool *hi_in, const sv_comparator *cmp)
{
    uint8_t op = cmp->op;
    if (op == SV_GT || op == SV_GE || op == SV_EQ) {
        bool in = op != SV_GT;
        int c = *has_lo ? semver_cmp(&cmp->v, lo) : 1;
        if (c > 0 || (c == 0 && !in)) {
            *lo = cmp->v;
            *lo_in = in;
            *has_lo = true;
        }
    }
    if (op == SV_LT || op == SV_LE || op == SV_EQ) {
        bool in = op != SV_LT;
        int c = *has_hi ? semver_cmp(&cmp->v, hi) : -1;
        if (c < 0 || (c == 0 && !in)) {
            *hi = cmp->v;
            *hi_in = in;
            *has_hi = true;
        }
    }
}

/* Can d's semver interval meet its constraint's range at all (some
 * comparator set's interval overlaps it)? */
static bool sv_meets(const program *p, const ctable *ct, const sdom *d)
{
    if (!ct || ct->kind != CT_SEMVER)
        return true;
    for (uint32_t k = 0; k < ct->n && ct->first + k < p->nsvsets; k++) {
        const svset *ss = &p->svsets[ct->first + k];
        semver lo = d->slo, hi = d->shi;
        bool has_lo = d->has_slo, has_hi = d->has_shi, lo_in = d->slo_incl, hi_in = d->shi_incl;
        for (uint32_t j = 0; j < ss->n; j++)
            sv_narrow(&lo, &has_lo, &lo_in, &hi, &has_hi, &hi_in, &p->cmps[ss->first + j]);
        if (!has_lo || !has_hi)
            return true;
        int c = semver_cmp(&lo, &hi);
        if (c < 0 || (c == 0 && lo_in && hi_in))
            return true;
    }
    return false;
}

/* The type and constraint table of SELF variable register reg. */
static void self_var_info(const tctx *c, uint16_t reg, uint8_t *type, int32_t *ct)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    *ct = -1;
    int32_t v = var_of_reg(p, 0, reg);
    *type = v >= 0 ? p->vars[v].type : VT_NONE;
    for (uint32_t pc = self->entry; pc < self->end && pc < p->ncode; pc++) {
        const insn *i = &p->code[pc];
        if (i->op == I_CHECKT && i->a == reg)
            *ct = i->b;
        if (i->op == I_MATCH && i->b < p->ntmpls) {
            const tmpl *t = &p->tmpls[i->b];
            for (uint32_t k = 0; k < t->n; k++) {
                const tpart *tp = &p->tparts[t->first + k];
                if (tp->kind == TP_DECL && tp->reg == reg)
                    *ct = tp->ctable;
            }
        }
    }
}

static sdom *solve_dom(solver *s, uint16_t reg)
{
    for (uint32_t k = 0; k < s->n; k++)
        if (s->d[k].reg == reg)
            return &s->d[k];
    return NULL;
}

/* The open SELF variable node k is, or NULL. */
static sdom *open_var(solver *s, const dtree *t, int32_t k)
{
    if (k < 0 || t->n[k].kind != DN_VAR || !t->n[k].tainted)
        return NULL;
    return solve_dom(s, t->n[k].arg);
}

static bool as_i64(const value *v, int64_t *out)
{
    if (v->type == VT_INT) {
        *out = v->as.i;
        return true;
    }
    if (v->type == VT_HEX && v->as.u <= INT64_MAX) {
        *out = (int64_t)v->as.u;
        return true;
    }
    return false;
}

/* Narrow an integer range by `x OP k`. */
static void narrow_int(int64_t *lo, int64_t *hi, uint8_t op, int64_t k, sdom *d)
{
    switch ((enum opcode)op) {
    case I_EQ:
        if (k > *lo)
            *lo = k;
        if (k < *hi)
            *hi = k;
        break;
    case I_LT:
        if (k == INT64_MIN)
            *lo = 1, *hi = 0;
        else if (k - 1 < *hi)
            *hi = k - 1;
        break;
    case I_LE:
        if (k < *hi)
            *hi = k;
        break;
    case I_GT:
        if (k == INT64_MAX)
            *lo = 1, *hi = 0;
        else if (k + 1 > *lo)
            *lo = k + 1;
        break;
    case I_GE:
        if (k > *lo)
            *lo = k;
        break;
    case I_NE:
        if (d && d->nex < SOLVE_EXCLUDED)
            d->ex[d->nex++] = k;
        break;
    default: break;
    }
}

static bool narrow_val(sdom *d, int part, uint8_t op, const value *kp);

/* One comparison `X OP K` (X an open variable or major/minor/patch of one):
 * narrow; false when it is not of that shape. */
static bool narrow_cmp(solver *s, const rctx *x, uint8_t op, int32_t l, int32_t r)
{
    const dtree *t = x->t;
    value k;
    if (dn_known(x, l) && !dn_known(x, r)) {
        int32_t z = l;
        l = r;
        r = z;
        op = mirror(op);
    }
    if (!node_value(x, r, &k))
        return false;
    sdom *d = open_var(s, t, l);
    int part = -1;
    if (!d && l >= 0 && t->n[l].kind == DN_OP &&
        (t->n[l].op == I_MAJOR || t->n[l].op == I_MINOR || t->n[l].op == I_PATCH)) {
        d = open_var(s, t, t->n[l].a);
        part = t->n[l].op == I_MAJOR ? 0 : t->n[l].op == I_MINOR ? 1 : 2;
        if (d && d->type != VT_SEMVER)
            return false;
    }
    return d && narrow_val(d, part, op, &k);
}

/* Narrow d (part >= 0: its major, minor, patch) by `X OP k`; false when
 * that is not understood. */
static bool narrow_val(sdom *d, int part, uint8_t op, const value *kp)
{
    value k = *kp;
    int64_t kv;
    if (part >= 0) {
        if (!as_i64(&k, &kv))
            return false;
        narrow_int(&d->plo[part], &d->phi[part], op, kv, NULL);
        return op != I_NE;
    }
    if ((d->type == VT_INT || d->type == VT_HEX) && as_i64(&k, &kv)) {
        narrow_int(&d->lo, &d->hi, op, kv, d);
        return true;
    }
    if (d->type == VT_SEMVER && k.type == VT_SEMVER && op != I_NE) {
        static const uint8_t sv_ops[] = {
            [I_EQ] = SV_EQ, [I_LT] = SV_LT, [I_LE] = SV_LE, [I_GT] = SV_GT, [I_GE] = SV_GE
        };
        sv_comparator cmp = { sv_ops[op], k.as.v };
        sv_narrow(&d->slo, &d->has_slo, &d->slo_incl, &d->shi, &d->has_shi, &d->shi_incl, &cmp);
        return true;
    }
    if ((d->type == VT_STRING || d->type == VT_SET) && k.type == d->type && op == I_EQ) {
        if (d->has_eq && value_cmp(&d->eq, &k) != 0)
            d->empty = true;
        d->has_eq = true;
        d->eq = k;
        return true;
    }
    return false;
}

static value int_of(const sdom *d, int64_t x);

/* `subset(K, bits(X))` with K known and X an open int or hex variable: X's
 * witness has K's bits (a hint, or'ed with those of other such rules);
 * an index no value of X has (64 and above; 63 for an int, which must not
 * be negative) proves that nothing holds.  False when not of that shape. */
static bool hint_bits(solver *s, const rctx *x, int32_t a, int32_t b)
{
    const dtree *t = x->t;
    value k;
    if (b < 0 || t->n[b].kind != DN_OP || t->n[b].op != I_BITS || !dn_value(x, a, &k) ||
        k.type != VT_SET)
        return false;
    sdom *d = open_var(s, t, t->n[b].a);
    if (!d || (d->type != VT_INT && d->type != VT_HEX))
        return false;
    uint64_t mask = 0;
    for (uint32_t i = 0; i < k.as.set.n; i++) {
        int64_t bit;
        if (!parse_int(k.as.set.items[i].p, k.as.set.items[i].len, &bit) || bit < 0 ||
            bit >= (d->type == VT_HEX ? 64 : 63)) {
            d->empty = true;
            return true;
        }
        mask |= (uint64_t)1 << bit;
    }
    if (d->has_hint && d->hint.type == d->type)
        mask |= d->type == VT_HEX ? d->hint.as.u : (uint64_t)d->hint.as.i;
    d->hint = int_of(d, (int64_t)mask);
    d->has_hint = true;
    return true;
}

/* Narrow by boolean node k, which must hold. */
static void narrow_bool(solver *s, const rctx *x, int32_t k, int depth)
{
    const dtree *t = x->t;
    if (k < 0 || depth > MAX_RENDER_DEPTH) {
        s->undecided = true;
        return;
    }
    const dnode *n = &t->n[k];
    value v;
    if (node_value(x, k, &v)) {
        if (v.type == VT_BOOL && !v.as.b && s->n)
            s->d[0].empty = true; /* a known false: nothing holds */
        return;
    }
    if (n->kind == DN_AND) {
        narrow_bool(s, x, n->a, depth + 1);
        narrow_bool(s, x, n->b, depth + 1);
        return;
    }
    if (n->kind == DN_LOOP && (n->t & SIDE_SOURCE) && !(n->t & LOOP_ANY)) {
        /* all over the source's records: each record's body must hold */
        rctx y = *x;
        int level = (n->t & LOOP_LEVEL) ? 1 : 0;
        uint32_t count = c_rec_count(x->c, n->arg);
        for (uint32_t r = 0; r < count; r++) {
            y.rec[level] = (int32_t)r;
            narrow_bool(s, &y, n->a, depth + 1);
        }
        return;
    }
    if (n->kind == DN_OP && n->a >= 0 && n->b >= 0 &&
        (n->op == I_EQ || n->op == I_NE || n->op == I_LT || n->op == I_LE || n->op == I_GT ||
         n->op == I_GE) &&
        narrow_cmp(s, x, n->op, n->a, n->b))
        return;
    if (n->kind == DN_OP && n->op == I_SUBSET && hint_bits(s, x, n->a, n->b))
        return;
    s->undecided = true; /* not narrowed by: the witness decides */
}

/* The template of MATCH insn i with the open variables' parts read as
 * declarations (the first of each), in parts[]; false when a part is an
 * expression of open variables. */
static bool capture_parts(solver *s, const program *p, const tmpl *tm, const dtree *t, tctx *c,
                          uint32_t block, tpart *parts)
{
    for (uint32_t k = 0; k < tm->n; k++) {
        parts[k] = p->tparts[tm->first + k];
        if (parts[k].kind != TP_CMP)
            continue;
        int32_t e = dn_get(c, (dtree *)t, block, parts[k].reg);
        if (!dn_tainted(t, e))
            continue;
        sdom *d = open_var(s, t, e);
        if (!d)
            return false;
        bool first = true;
        for (uint32_t j = 0; j < k; j++)
            if (parts[j].kind == TP_DECL && parts[j].reg == d->reg)
                first = false;
        if (first) {
            parts[k].kind = TP_DECL;
            parts[k].ctable = d->ct;
        }
    }
    return true;
}

/* Narrow by MATCH insn i: the source's text against the template with the
 * open variables captured; no split at all proves the rule cannot hold. */
static void narrow_match(solver *s, const rctx *x, const insn *i)
{
    tctx *c = s->c;
    const program *p = c->p;
    const tmpl *tm = &p->tmpls[i->b];
    tpart parts[2 * DC_MAX_PLACEHOLDERS + 1];
    const pfact *f = &c->src->slots[i->a];
    if (i->op != I_MATCH || tm->n > sizeof parts / sizeof parts[0] || !f->present ||
        !capture_parts(s, p, tm, x->t, c, x->block, parts)) {
        s->undecided = true;
        return;
    }
    program q = *p; /* the same program, the parts changed */
    q.tparts = parts;
    tmpl t1 = { 0, tm->n, tm->text };
    for (uint32_t k = 0; k < tm->n; k++)
        if (parts[k].kind == TP_DECL && parts[k].type == VT_SET) {
            s->undecided = true; /* a set span needs a result's room */
            return;
        }
    uint32_t steps = 0;
    int r = vm_prematch(&q, &t1, f->raw.p, f->raw.len, c->res->regs, &steps);
    if (r == 0) {
        if (s->n)
            s->d[0].empty = true;
        return;
    }
    if (r < 0) {
        s->undecided = true;
        return;
    }
    for (uint32_t k = 0; k < tm->n; k++) {
        if (parts[k].kind != TP_DECL)
            continue;
        sdom *d = solve_dom(s, parts[k].reg);
        if (d && !d->has_hint) {
            d->hint = c->res->regs[d->reg];
            d->has_hint = true;
        } else if (!d && parts[k].reg < p->nregs) {
            c->captured[parts[k].reg] = c->res->regs[parts[k].reg];
        }
    }
}

/* ---- the witness */

static bool in_dom(const tctx *c, const sdom *d, const value *v)
{
    const program *p = c->p;
    if (d->ct >= 0 && ((uint32_t)d->ct >= p->nctables || !ct_test(p, &p->ctables[d->ct], v)))
        return false;
    int64_t x;
    switch (d->type) {
    case VT_INT:
    case VT_HEX:
        if (!as_i64(v, &x) || x < d->lo || x > d->hi)
            return false;
        for (uint32_t k = 0; k < d->nex; k++)
            if (d->ex[k] == x)
                return false;
        return true;
    case VT_SEMVER: {
        if (v->type != VT_SEMVER)
            return false;
        int c1 = d->has_slo ? semver_cmp(&v->as.v, &d->slo) : 1;
        int c2 = d->has_shi ? semver_cmp(&v->as.v, &d->shi) : -1;
        if (c1 < 0 || (c1 == 0 && !d->slo_incl) || c2 > 0 || (c2 == 0 && !d->shi_incl))
            return false;
        const uint64_t parts[3] = { v->as.v.major, v->as.v.minor, v->as.v.patch };
        for (int k = 0; k < 3; k++)
            if (parts[k] > INT64_MAX || (int64_t)parts[k] < d->plo[k] ||
                (int64_t)parts[k] > d->phi[k])
                return false;
        return true;
    }
    case VT_STRING:
        return v->type == VT_STRING && v->as.s.len > 0 &&
               (!d->has_eq || value_cmp(&d->eq, v) == 0);
    case VT_SET:
        return v->type == VT_SET && v->as.set.n > 0 &&
               (!d->has_eq || value_cmp(&d->eq, v) == 0);
    default: return false;
    }
}

static value int_of(const sdom *d, int64_t x)
{
    value v = { .type = d->type };
    if (d->type == VT_HEX)
        v.as.u = (uint64_t)x;
    else
        v.as.i = x;
    return v;
}

/* The smallest value of d's integer domain at or above x, within [lo, hi]
 * and outside the excluded ones. */
static bool int_pick(const tctx *c, const sdom *d, int64_t a, int64_t b, value *out)
{
    if (a < d->lo)
        a = d->lo;
    if (b > d->hi)
        b = d->hi;
    for (uint32_t tries = 0; a <= b && tries <= SOLVE_EXCLUDED; tries++) {
        value v = int_of(d, a);
        if (in_dom(c, d, &v)) {
            *out = v;
            return true;
        }
        if (a == INT64_MAX)
            break;
        a++;
    }
    return false;
}

/* v without its pre-release tag: the release it precedes. */
static semver release_of(semver v)
{
    v.pre.len = 0;
    v.pre.p = NULL;
    return v;
}

/* A value of d: 1 found, 0 none exists, -1 not found. */
static int pick(solver *s, sdom *d, value *out)
{
    tctx *c = s->c;
    const program *p = c->p;
    if (d->empty)
        return 0;
    if (d->has_hint && in_dom(c, d, &d->hint)) {
        *out = d->hint;
        return 1;
    }
    const ctable *ct = d->ct >= 0 && (uint32_t)d->ct < p->nctables ? &p->ctables[d->ct] : NULL;
    switch (d->type) {
    case VT_INT:
    case VT_HEX: {
        if (d->lo > d->hi)
            return 0;
        bool beyond = false; /* hex values above the signed range */
        if (!ct)
            return int_pick(c, d, d->type == VT_HEX ? 0 : INT64_MIN, INT64_MAX, out) ? 1 : -1;
        for (uint32_t k = 0; k < ct->n && ct->first + k < p->nranges; k++) {
            const irange *r = &p->ranges[ct->first + k];
            int64_t a = r->lo, b = r->hi;
            if (d->type == VT_HEX && (uint64_t)r->hi > INT64_MAX) {
                beyond = true;
                if ((uint64_t)r->lo > INT64_MAX)
                    continue;
                b = INT64_MAX;
            }
            if (b < d->lo || a > d->hi)
                continue;
            if (int_pick(c, d, a, b, out))
                return 1;
            if (d->nex)
                beyond = true; /* excluded values hid the rest: not proven */
        }
        return beyond ? -1 : 0;
    }
    case VT_SEMVER: {
        for (int k = 0; k < 3; k++)
            if (d->plo[k] > d->phi[k])
                return 0;
        if (d->has_slo && d->has_shi) {
            int cmp = semver_cmp(&d->slo, &d->shi);
            if (cmp > 0 || (cmp == 0 && !(d->slo_incl && d->shi_incl)))
                return 0;
        }
        if (!sv_meets(p, ct, d))
            return 0;
        /* candidates: the bounds, the parts' lower bounds, and one step
         * above each; the constraint's own versions */
        semver cand[16];
        uint32_t n = 0;
        semver base = { 0 };
        base.major = (uint64_t)(d->plo[0] > 0 ? d->plo[0] : 0);
        base.minor = (uint64_t)(d->plo[1] > 0 ? d->plo[1] : 0);
        base.patch = (uint64_t)(d->plo[2] > 0 ? d->plo[2] : 0);
        cand[n++] = base;
        if (d->has_slo) {
            semver v = release_of(d->slo);
            cand[n++] = v;
            v.patch++;
            cand[n++] = v;
            v.patch = 0;
            v.minor++;
            cand[n++] = v;
            v.minor = 0;
            v.major++;
            cand[n++] = v;
        }
        if (d->has_shi)
            cand[n++] = release_of(d->shi);
        if (ct && ct->kind == CT_SEMVER)
            for (uint32_t k = 0; k < ct->n && n + 2 <= 16 && ct->first + k < p->nsvsets; k++) {
                const svset *ss = &p->svsets[ct->first + k];
                for (uint32_t j = 0; j < ss->n && n + 2 <= 16; j++) {
                    semver v = release_of(p->cmps[ss->first + j].v);
                    cand[n++] = v;
                    v.patch++;
                    cand[n++] = v;
                }
            }
        for (uint32_t k = 0; k < n; k++) {
            value v = { .type = VT_SEMVER, .as.v = cand[k] };
            if (in_dom(c, d, &v)) {
                *out = v;
                return 1;
            }
        }
        return -1;
    }
    case VT_STRING:
        if (d->has_eq) {
            if (!in_dom(c, d, &d->eq))
                return 0;
            *out = d->eq;
            return 1;
        }
        if (ct && ct->kind == CT_STRING) {
            for (uint32_t k = 0; k < ct->n && ct->first + k < p->nstrs; k++) {
                value v = { .type = VT_STRING, .as.s = p->strs[ct->first + k] };
                if (in_dom(c, d, &v)) {
                    *out = v;
                    return 1;
                }
            }
            return 0;
        }
        if (!ct) {
            *out = (value){ .type = VT_STRING, .as.s = { "x", 1 } };
            return 1;
        }
        return -1;
    case VT_SET:
        if (!d->has_eq)
            return -1;
        if (!in_dom(c, d, &d->eq))
            return 0;
        *out = d->eq;
        return 1;
    default: return -1;
    }
}

/* ---- evaluating a residue with the witness */

/* A string parsed as type `type` (CONV); false when it is not one (the
 * VM's evaluation fails) or the type needs storage (a set). */
static bool conv_eval(uint8_t type, const value *a, value *out)
{
    if (a->type != VT_STRING)
        return false;
    const char *p = a->as.s.p;
    size_t n = a->as.s.len;
    memset(out, 0, sizeof *out);
    out->type = type;
    switch (type) {
    case VT_INT: return parse_int(p, n, &out->as.i);
    case VT_HEX: return parse_hex(p, n, &out->as.u);
    case VT_BOOL: return parse_bool(p, n, &out->as.b);
    case VT_SEMVER: return parse_semver(p, n, &out->as.v);
    case VT_STRING: out->as.s = a->as.s; return true;
    default: return false;
    }
}

/* A record's field or a loop (DN_REC, DN_LOOP): known when it reads the
 * source's records only; a loop is decided by its records in order, each
 * body known up to the one that decides. */
static bool rec_eval(struct solver *s, const rctx *x, int32_t k, const value *W, value *out,
                     int depth)
{
    const tctx *c = x->c;
    const program *p = c->p;
    const dnode *n = &x->t->n[k];
    if (!(n->t & SIDE_SOURCE))
        return false; /* the target's */
    if (n->kind == DN_REC) {
        int level = n->b >= 0 && n->b < LOOP_DEPTH ? n->b : 0;
        int32_t r = x->rec[level];
        if (r < 0 || n->arg >= p->nrecfields || !c->src->rec_field)
            return false;
        dstr f = c->src->rec_field[n->arg][r];
        if (n->op == I_RHAS) {
            *out = (value){ .type = VT_BOOL, .as.b = f.p && f.len > 0 };
            return true;
        }
        if (!f.p)
            return false; /* absent: the VM's evaluation fails */
        *out = (value){ .type = VT_STRING, .as.s = f };
        return true;
    }
    bool any = n->t & LOOP_ANY;
    int level = (n->t & LOOP_LEVEL) ? 1 : 0;
    uint32_t count = c_rec_count(c, n->arg);
    rctx y = *x;
    for (uint32_t r = 0; r < count; r++) {
        value v;
        y.rec[level] = (int32_t)r;
        if (!wit_eval(s, &y, n->a, W, &v, depth + 1) || v.type != VT_BOOL)
            return false;
        if (v.as.b == any) {
            *out = v;
            return true;
        }
    }
    *out = (value){ .type = VT_BOOL, .as.b = !any };
    return true;
}

/* The value of node k with the open variables at their witness values
 * (R: per register, the witness for open variables); false when it cannot
 * be computed here. */
static bool wit_eval(solver *s, const rctx *x, int32_t k, const value *W, value *out, int depth)
{
    const dtree *t = x->t;
    if (k < 0 || depth > MAX_RENDER_DEPTH)
        return false;
    if (dn_value(x, k, out))
        return true;
    const dnode *n = &t->n[k];
    sdom *d = s && W ? open_var(s, t, k) : NULL;
    if (d) {
        *out = W[d - s->d];
        return true;
    }
    if (n->kind == DN_REC || n->kind == DN_LOOP)
        return rec_eval(s, x, k, W, out, depth);
    if (n->kind == DN_OP && (n->t & SIDE_SOURCE) && n->arg < x->c->p->nslots &&
        (n->op == I_FIELD || n->op == I_FIELDT || n->op == I_HAS)) {
        /* a fact of the source */
        const pfact *f = &x->c->src->slots[n->arg];
        if (n->op == I_HAS) {
            *out = (value){ .type = VT_BOOL, .as.b = f->present && f->raw.len > 0 };
            return true;
        }
        if (n->op == I_FIELDT)
            return source_value(x->c, n->arg, n->t & TYPE_MASK, out);
        if (!f->present)
            return false;
        *out = (value){ .type = VT_STRING, .as.s = f->raw };
        return true;
    }
    value a, b;
    if (n->kind == DN_AND || n->kind == DN_OR) {
        if (!wit_eval(s, x, n->a, W, &a, depth + 1) || a.type != VT_BOOL)
            return false;
        if (a.as.b == (n->kind == DN_OR)) {
            *out = a;
            return true;
        }
        return wit_eval(s, x, n->b, W, out, depth + 1) && out->type == VT_BOOL;
    }
    if (n->kind != DN_OP || !wit_eval(s, x, n->a, W, &a, depth + 1))
        return false;
    int64_t p, q, z;
    switch ((enum opcode)n->op) {
    case I_NOT:
        if (a.type != VT_BOOL)
            return false;
        *out = (value){ .type = VT_BOOL, .as.b = !a.as.b };
        return true;
    case I_CONV: return conv_eval(n->t & TYPE_MASK, &a, out);
    case I_NEG:
        if (!as_i64(&a, &p) || p == INT64_MIN)
            return false;
        *out = (value){ .type = VT_INT, .as.i = -p };
        return true;
    case I_MAJOR:
    case I_MINOR:
    case I_PATCH: {
        if (a.type != VT_SEMVER)
            return false;
        uint64_t u = n->op == I_MAJOR   ? a.as.v.major
                     : n->op == I_MINOR ? a.as.v.minor
                                        : a.as.v.patch;
        if (u > INT64_MAX)
            return false;
        *out = (value){ .type = VT_INT, .as.i = (int64_t)u };
        return true;
    }
    default: break;
    }
    if (!wit_eval(s, x, n->b, W, &b, depth + 1))
        return false;
    switch ((enum opcode)n->op) {
    case I_EQ:
    case I_NE:
    case I_LT:
    case I_LE:
    case I_GT:
    case I_GE: {
        bool num =
            (a.type == VT_INT || a.type == VT_HEX) && (b.type == VT_INT || b.type == VT_HEX);
        if (!num && a.type != b.type)
            return false;
        int r = value_cmp(&a, &b);
        bool h = n->op == I_EQ   ? r == 0
                 : n->op == I_NE ? r != 0
                 : n->op == I_LT ? r < 0
                 : n->op == I_LE ? r <= 0
                 : n->op == I_GT ? r > 0
                                 : r >= 0;
        *out = (value){ .type = VT_BOOL, .as.b = h };
        return true;
    }
    case I_ADD:
    case I_SUB:
    case I_MUL:
    case I_DIV:
    case I_MOD: {
        if (!as_i64(&a, &p) || !as_i64(&b, &q))
            return false;
        bool over = false;
        switch ((enum opcode)n->op) {
        case I_ADD: over = __builtin_add_overflow(p, q, &z); break;
        case I_SUB: over = __builtin_sub_overflow(p, q, &z); break;
        case I_MUL: over = __builtin_mul_overflow(p, q, &z); break;
        case I_DIV:
            over = q == 0 || (p == INT64_MIN && q == -1) || p % q;
            z = over ? 0 : p / q;
            break;
        default:
            over = q == 0;
            z = over ? 0 : q == -1 ? 0 : p % q;
            break;
        }
        if (over)
            return false;
        bool hex = (a.type == VT_HEX || b.type == VT_HEX) && z >= 0;
        *out = hex ? (value){ .type = VT_HEX, .as.u = (uint64_t)z }
                   : (value){ .type = VT_INT, .as.i = z };
        return true;
    }
    default: return false;
    }
}

static const uint8_t cmp_ops[] = { I_EQ, I_NE, I_LT, I_LE, I_GT, I_GE };
static const uint8_t cmp_rev[] = { CMP_EQ, CMP_NE, CMP_GT, CMP_GE, CMP_LT, CMP_LE };

/* A rule the witness is checked against, decompiled once, with the values
 * of its parts that do not depend on open facts. */
typedef struct wrule {
    uint32_t ri, test;
    dtree t;
    int32_t root;                              /* the tested node: WHERE's, FCMP's expression */
    int32_t part[2 * DC_MAX_PLACEHOLDERS + 1]; /* MATCH: each TP_CMP part's node */
    value *regs; /* a copy of the registers, or NULL: none known */
} wrule;

static bool wrule_prepare(tctx *c, uint32_t ri, const dc_prepared *tgt, wrule *w)
{
    memset(w, 0, sizeof *w);
    w->ri = ri;
    if (decompile(c, ri, &w->t, &w->test, false) != DC_OK)
        return false;
    /* the nodes, now: dn_get reads the decompiler's tables of this rule */
    const program *p = c->p;
    const insn *i = &p->code[w->test];
    uint32_t block = c->rules[ri].block;
    w->root = i->op == I_WHERE  ? dn_get(c, &w->t, block, i->a)
              : i->op == I_FCMP ? dn_get(c, &w->t, block, i->b)
                                : -1;
    if (i->op == I_MATCH || i->op == I_NMATCH) {
        const tmpl *tm = &p->tmpls[i->b];
        for (uint32_t k = 0; k < tm->n && k < 2 * DC_MAX_PLACEHOLDERS + 1; k++) {
            const tpart *tp = &p->tparts[tm->first + k];
            w->part[k] = tp->kind == TP_CMP ? dn_get(c, &w->t, block, tp->reg) : -1;
        }
    }
    if (c->oom)
        return false;
    if (compute_known(c, ri, tgt, false)) {
        w->regs = mem_array(c->a, c->p->nregs + 1, sizeof *w->regs);
        if (!w->regs) {
            c->oom = true;
            return false;
        }
        memcpy(w->regs, c->res->regs, c->p->nregs * sizeof *w->regs);
    }
    return true;
}

static void wrule_free(tctx *c, wrule *w)
{
    mem_free(c->a, w->t.n);
    mem_free(c->a, w->regs);
}

/* Does rule w hold with the witness W?  1 yes, 0 no, -1 not computed. */
static int wit_rule(solver *s, wrule *w, const value *W)
{
    tctx *c = s->c;
    const program *p = c->p;
    rctx x = { c, &w->t, w->regs, c->rules[w->ri].block, 0, false, { 0 }, { NULL }, 0 };
    const insn *i = &p->code[w->test];
    value v, sv;
    if (i->op == I_WHERE) {
        if (wit_eval(s, &x, w->root, W, &v, 0) && v.type == VT_BOOL)
            return v.as.b;
    } else if (i->op == I_FCMP && (i->t & SIDE_SOURCE)) {
        uint8_t cmp = (i->t >> 4) & 7;
        if (cmp <= CMP_GE && source_value(c, i->a, i->t & TYPE_MASK, &sv) &&
            wit_eval(s, &x, w->root, W, &v, 0)) {
            bool num = (v.type == VT_INT || v.type == VT_HEX) &&
                       (sv.type == VT_INT || sv.type == VT_HEX);
            if (num || v.type == sv.type) {
                int r = value_cmp(&sv, &v);
                return cmp == CMP_EQ   ? r == 0
                       : cmp == CMP_NE ? r != 0
                       : cmp == CMP_LT ? r < 0
                       : cmp == CMP_LE ? r <= 0
                       : cmp == CMP_GT ? r > 0
                                       : r >= 0;
            }
        }
    } else if ((i->op == I_MATCH || i->op == I_NMATCH) && (i->t & SIDE_SOURCE) && w->regs &&
               c->src->slots[i->a].present) {
        /* the template's computed parts with the witness, then the matcher */
        const tmpl *tm = &p->tmpls[i->b];
        if (tm->n > 2 * DC_MAX_PLACEHOLDERS + 1)
            return -1;
        for (uint32_t k = 0; k < tm->n; k++) {
            const tpart *tp = &p->tparts[tm->first + k];
            if (tp->kind == TP_DECL && tp->type == VT_SET)
                return -1;
            if (tp->kind != TP_CMP)
                continue;
            if (!wit_eval(s, &x, w->part[k], W, &v, 0))
                return -1;
            w->regs[tp->reg] = v;
        }
        uint32_t steps = 0;
        const pfact *f = &c->src->slots[i->a];
        int r = vm_prematch(p, tm, f->raw.p, f->raw.len, w->regs, &steps);
        if (r >= 0)
            return i->op == I_MATCH ? r == 1 : r == 0;
    }
    return -1;
}

/* Narrow by tainted rule ri. */
static void narrow_rule(solver *s, uint32_t ri, const dc_prepared *tgt)
{
    tctx *c = s->c;
    const program *p = c->p;
    dtree t = { NULL, 0, 0 };
    uint32_t test;
    if (decompile(c, ri, &t, &test, true) != DC_OK) {
        s->undecided = true;
        goto done;
    }
    bool loops = has_loops(&t);
    bool known = compute_known(c, ri, tgt, loops);
    rctx x = { c,        &t, known ? c->res->regs : NULL, c->rules[ri].block, 0, loops, { 0 },
               { NULL }, 0 };
    const insn *i = &p->code[test];
    value sv;
    if (i->op == I_WHERE) {
        narrow_bool(s, &x, dn_get(c, &t, x.block, i->a), 0);
    } else if (i->op == I_FCMP && (i->t & SIDE_SOURCE)) {
        uint8_t cmp = (i->t >> 4) & 7;
        int32_t e = dn_get(c, &t, x.block, i->b);
        sdom *d = open_var(s, &t, e);
        if (!(cmp <= CMP_GE && d && source_value(c, i->a, i->t & TYPE_MASK, &sv) &&
              narrow_val(d, -1, cmp_ops[cmp_rev[cmp]], &sv)))
            s->undecided = true;
    } else if (i->op == I_MATCH && (i->t & SIDE_SOURCE) && known) {
        narrow_match(s, &x, i);
    } else {
        s->undecided = true;
    }
done:
    mem_free(c->a, t.n);
}

/* Is a rule one the witness must satisfy: tainted, of SELF (not rendering
 * an open slot: its own declarations are the domain) or of block b. */
static bool solver_rule(const tctx *c, uint32_t ri, uint32_t b)
{
    const rinfo *r = &c->rules[ri];
    const prule *pr = &c->p->rules[ri];
    if (!r->seen || !r->tainted || (r->block != 0 && r->block != b))
        return false;
    if (r->block == 0 && pr->slot >= 0 && c->renderer[pr->slot] == (int32_t)ri)
        return false;
    return true;
}

/* The residue of MATCH insn i as what it says of SELF's open variables:
 * the source's text matched with those variables' parts read as their
 * declarations ("hd1 == 535", or the fact when a variable is a whole one),
 * so that the residue speaks of target facts only.  *truth 0 when no split
 * of the text can match; false (nothing written) when a part is an
 * expression of open variables, or the rule is not a plain match. */
static bool capture_text(tctx *c, const rctx *x, const insn *i, sink *b, int *truth)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    sdom d[DC_MAX_PLACEHOLDERS];
    solver s = { c, d, 0, false };
    const tmpl *tm = &p->tmpls[i->b];
    if (i->op != I_MATCH || !x->regs || tm->n > 2 * DC_MAX_PLACEHOLDERS + 1)
        return false;
    for (uint32_t k = 0; k < tm->n; k++) {
        const tpart *tp = &p->tparts[tm->first + k];
        int32_t e = tp->kind == TP_CMP ? dn_get(c, (dtree *)x->t, x->block, tp->reg) : -1;
        if (e < 0 || !dn_tainted(x->t, e) || x->t->n[e].kind != DN_VAR ||
            s.n == DC_MAX_PLACEHOLDERS)
            continue;
        int32_t v = var_of_reg(p, 0, x->t->n[e].arg);
        if (v < 0 || (uint32_t)v < self->first_var ||
            (uint32_t)v >= self->first_var + self->nvars)
            return false;
        if (solve_dom(&s, x->t->n[e].arg))
            continue;
        sdom *dd = &d[s.n++];
        memset(dd, 0, sizeof *dd);
        dd->reg = x->t->n[e].arg;
        self_var_info(c, dd->reg, &dd->type, &dd->ct);
    }
    if (!s.n)
        return false;
    uint32_t before = s.n;
    narrow_match(&s, x, i);
    if (s.undecided)
        return false;
    if (d[0].empty) {
        *truth = 0;
        sink_puts(b, "false");
        return true;
    }
    *truth = -1;
    for (uint32_t k = 0; k < before; k++) {
        if (!d[k].has_hint)
            return false;
    }
    for (uint32_t k = 0; k < before; k++) {
        int32_t v = var_of_reg(p, 0, d[k].reg);
        if (k)
            sink_puts(b, " && ");
        uint32_t vi = (uint32_t)v - self->first_var;
        if (c->whole[vi] >= 0) {
            put_dstr(b, prog_str(p, p->slots[c->whole[vi]].name));
            sink_puts(b, " = ");
            put_value(b, &d[k].hint);
        } else {
            put_dstr(b, prog_str(p, p->vars[v].name));
            sink_puts(b, " == ");
            put_literal(b, &d[k].hint);
        }
    }
    return true;
}

#define SOLVE_SEARCH 4096 /* values of a lone int variable tried */
#define SOLVE_CANDS  12   /* values of each int variable in candidate_search */

/* Add int value x to a variable's candidates, when in its domain and new. */
static void add_cand(const tctx *c, const sdom *d, value *cand, uint32_t *n, int64_t x)
{
    value v = int_of(d, x);
    if (*n >= SOLVE_CANDS || !in_dom(c, d, &v))
        return;
    for (uint32_t k = 0; k < *n; k++)
        if (value_cmp(&cand[k], &v) == 0)
            return;
    cand[(*n)++] = v;
}

/* With several open variables, the witness the domains give may fail a
 * rule they do not narrow (an `||`: `hd2 > 54 || hd2 == 54 && hd3 >= 14`).
 * Each int variable then also takes the constants the rules compare with,
 * and one on either side; every combination (at most SOLVE_SEARCH) is
 * evaluated.  1 and W set when one satisfies every rule, else -1. */
static int candidate_search(solver *s, wrule *w, uint32_t n, value *W)
{
    tctx *c = s->c;
    value *cand = mem_array(c->a, (size_t)s->n * SOLVE_CANDS + 1, sizeof *cand);
    uint32_t *nc = mem_array(c->a, s->n + 1, sizeof *nc);
    value *try = mem_array(c->a, s->n + 1, sizeof *try);
    int result = -1;
    if (!cand || !nc || !try) {
        c->oom = true;
        goto out;
    }
    uint64_t total = 1;
    for (uint32_t v = 0; v < s->n; v++) {
        const sdom *d = &s->d[v];
        value *cv = cand + (size_t)v * SOLVE_CANDS;
        nc[v] = 1;
        cv[0] = W[v];
        for (uint32_t k = 0; k < n && (d->type == VT_INT || d->type == VT_HEX); k++) {
            rctx x = { c,     &w[k].t,  w[k].regs, c->rules[w[k].ri].block, 0, false,
                       { 0 }, { NULL }, 0 };
            for (uint32_t j = 0; j < w[k].t.count; j++) {
                value kv;
                int64_t i;
                if (!dn_value(&x, (int32_t)j, &kv) || !as_i64(&kv, &i))
                    continue;
                add_cand(c, d, cv, &nc[v], i);
                if (i > INT64_MIN)
                    add_cand(c, d, cv, &nc[v], i - 1);
                if (i < INT64_MAX)
                    add_cand(c, d, cv, &nc[v], i + 1);
            }
        }
        total *= nc[v];
        if (total > SOLVE_SEARCH)
            goto out;
    }
    for (uint64_t combo = 0; combo < total && result < 0; combo++) {
        uint64_t rest = combo;
        for (uint32_t v = 0; v < s->n; v++) {
            try[v] = cand[(size_t)v * SOLVE_CANDS + rest % nc[v]];
            rest /= nc[v];
        }
        int r = 1;
        for (uint32_t k = 0; k < n && r == 1; k++)
            r = wit_rule(s, &w[k], try);
        if (r == 1) {
            memcpy(W, try, s->n * sizeof *W);
            result = 1;
        }
    }
out:
    mem_free(c->a, cand);
    mem_free(c->a, nc);
    mem_free(c->a, try);
    return result;
}

/* Do the rules of SELF and block b hold with the witness W?  1 yes, -1 not
 * shown.  With one open int variable, the values of its domain from the
 * witness on are tried (SOLVE_SEARCH of them): an equation such as
 * `t * 2 == 6` is not narrowed, but its solution is found. */
static int witness_holds(solver *s, uint32_t b, const dc_prepared *tgt, value *W)
{
    tctx *c = s->c;
    const program *p = c->p;
    wrule w[16];
    uint32_t n = 0, rules = 0;
    int result = 1;
    for (uint32_t ri = 0; ri < p->nrules && result == 1; ri++) {
        if (!solver_rule(c, ri, b))
            continue;
        rules++;
        if (n == sizeof w / sizeof w[0])
            result = -1;
        else if (!wrule_prepare(c, ri, tgt, &w[n]))
            result = -1, wrule_free(c, &w[n]);
        else
            n++;
    }
    bool search = s->n == 1 && (s->d[0].type == VT_INT || s->d[0].type == VT_HEX);
    for (uint32_t tries = 0; result == 1 && !c->oom; tries++) {
        int r = 1;
        for (uint32_t k = 0; k < n && r == 1; k++)
            r = wit_rule(s, &w[k], W);
        if (r == 1)
            break;
        int64_t x;
        if (!search || tries + 1 >= SOLVE_SEARCH || !as_i64(&W[0], &x) || x == INT64_MAX) {
            result = -1;
            break;
        }
        /* the next value of the domain */
        sdom *d = &s->d[0];
        int64_t lo = d->lo;
        bool hint = d->has_hint;
        d->lo = x + 1;
        d->has_hint = false;
        if (pick(s, d, &W[0]) != 1)
            result = -1;
        d->lo = lo;
        d->has_hint = hint;
    }
    if (result != 1 && n == rules && !c->oom)
        result = candidate_search(s, w, n, W);
    for (uint32_t k = 0; k < n; k++)
        wrule_free(c, &w[k]);
    return result;
}

/* Add a fact to a witness target; false on a fact facts refuse (*bad). */
static dc_status witness_fact(tctx *c, dc_facts *g, const char *name, size_t nlen,
                              const char *v, size_t vlen, bool *bad)
{
    dc_error e;
    dc_status st = facts_add_n(g, NULL, name, nlen, v, vlen, &e);
    if (st == DC_ERR_NOMEM)
        return nomem(c);
    if (st != DC_OK)
        *bad = true;
    return DC_OK;
}

/* The target's records of set `set` in a witness: a copy of the source's
 * records (the fields the policy reads). */
static dc_status witness_records(tctx *c, dc_facts *g, uint32_t set, bool *bad)
{
    const program *p = c->p;
    dstr sname = prog_str(p, p->recsets[set].name);
    uint32_t n = c->src->rec_n ? c->src->rec_n[set] : 0;
    dc_status st = DC_OK;
    for (uint32_t f = 0; f < p->nrecfields && st == DC_OK; f++) {
        if (p->recfields[f].set != set)
            continue;
        dstr fname = prog_str(p, p->recfields[f].name);
        for (uint32_t k = 0; k < n && st == DC_OK; k++) {
            dstr v = c->src->rec_field[f][k];
            if (!v.p)
                continue;
            char name[DC_MAX_NAME + 32];
            int len = snprintf(name, sizeof name, "%.*s.%u.%.*s", (int)sname.len, sname.p, k,
                               (int)fname.len, fname.p);
            if (len < 0 || (size_t)len >= sizeof name) {
                *bad = true;
                return DC_OK;
            }
            st = witness_fact(c, g, name, (size_t)len, v.p, v.len, bad);
        }
    }
    return st;
}

/* The candidate f with its open facts written from the witness W, and the
 * target's records a copy of the source's (then none): does the real check
 * accept it, by block b?  1 yes: a target exists, -1 not shown (also when
 * an open fact is not the whole value of an open SELF variable, so that it
 * cannot be written).  This is what decides a residue over the target's
 * records (docs/targets.md, "Records of the target"). */
static int witness_accepted(tctx *c, solver *s, uint32_t b, const dc_facts *f, const value *W)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    bool records = false;
    for (uint32_t u = 0; u < nunits(p); u++) {
        if (!(c->sflags[u] & S_OPEN))
            continue;
        if (u >= p->nslots) {
            records = true;
            continue;
        }
        bool found = false;
        for (uint32_t v = 0; v < self->nvars && !found; v++)
            found = c->whole[v] == (int32_t)u && solve_dom(s, p->vars[self->first_var + v].reg);
        if (!found)
            return -1;
    }
    int result = -1;
    for (int variant = 0; variant < (records ? 2 : 1) && result < 0 && !c->oom; variant++) {
        dc_facts *g = facts_new(c->a);
        if (!g) {
            nomem(c);
            return -1;
        }
        bool bad = false;
        dc_status st = DC_OK;
        for (uint32_t i = 0; i < f->n && st == DC_OK; i++)
            st = witness_fact(c, g, f->items[i].name, f->items[i].name_len, f->items[i].value,
                              f->items[i].value_len, &bad);
        for (uint32_t v = 0; v < self->nvars && st == DC_OK; v++) {
            sdom *d = c->whole[v] >= 0 ? solve_dom(s, p->vars[self->first_var + v].reg) : NULL;
            if (!d)
                continue;
            sink t = sink_growing(c->a);
            put_value(&t, &W[d - s->d]);
            dstr name = prog_str(p, p->slots[c->whole[v]].name);
            st = t.failed ? nomem(c)
                          : witness_fact(c, g, name.p, name.len, sink_str(&t), t.len, &bad);
            sink_free(&t);
        }
        for (uint32_t u = p->nslots; u < nunits(p) && st == DC_OK && variant == 0; u++)
            if (c->sflags[u] & S_OPEN)
                st = witness_records(c, g, u - p->nslots, &bad);
        dc_prepared *t = NULL;
        dc_error e;
        if (st == DC_OK && !bad && dc_prepare(c->pol, g, &t, &e) == DC_OK &&
            dc_check(c->pol, c->src, t, c->real) == DC_OK &&
            dc_result_verdict(c->real) == DC_COMPATIBLE &&
            dc_result_block(c->real) == (int32_t)b - 1)
            result = 1;
        dc_prepared_free(t);
        dc_facts_free(g);
    }
    return result;
}

/* Can block b hold on this candidate (facts f, prepared tgt), whatever is
 * open?  1 yes (a witness satisfies every residue, or the real check
 * accepts the candidate written with it), 0 never, -1 not decided. */
static int block_satisfiable(tctx *c, uint32_t b, const dc_facts *f, const dc_prepared *tgt)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    solver s = { c, NULL, 0, false };
    int result = 1;
    s.d = mem_array(c->a, self->nvars ? self->nvars : 1, sizeof *s.d);
    value *W = mem_array(c->a, self->nvars ? self->nvars : 1, sizeof *W);
    value *W0 = mem_array(c->a, self->nvars ? self->nvars : 1, sizeof *W0);
    if (!s.d || !W || !W0) {
        c->oom = true;
        result = -1;
        goto out;
    }
    for (uint32_t v = 0; v < self->nvars; v++) {
        if (!c->var_open[self->first_var + v])
            continue;
        sdom *d = &s.d[s.n++];
        memset(d, 0, sizeof *d);
        d->reg = p->vars[self->first_var + v].reg;
        self_var_info(c, d->reg, &d->type, &d->ct);
        d->lo = d->type == VT_HEX ? 0 : INT64_MIN;
        d->hi = INT64_MAX;
        for (int k = 0; k < 3; k++)
            d->plo[k] = 0, d->phi[k] = INT64_MAX;
    }
    /* SELF's rules on open facts, then the block's */
    for (uint32_t ri = 0; ri < p->nrules && !c->oom; ri++)
        if (solver_rule(c, ri, b))
            narrow_rule(&s, ri, tgt);
    for (uint32_t k = 0; k < s.n && result != 0; k++) {
        int r = s.d[k].empty ? 0 : pick(&s, &s.d[k], &W[k]);
        if (r <= 0)
            result = r;
    }
    if (result != 1)
        goto out;
    /* the witness as picked: witness_holds may move on from it */
    memcpy(W0, W, s.n * sizeof *W);
    result = witness_holds(&s, b, tgt, W);
    if (result != 1)
        result = witness_accepted(c, &s, b, f, W0);
out:
    mem_free(c->a, s.d);
    mem_free(c->a, W);
    mem_free(c->a, W0);
    return result;
}

/* ------------------------------------------------------------ candidates */

static dc_status add_fact(tctx *c, dc_facts *f, uint32_t slot, const char *v, size_t n,
                          bool *bad)
{
    dstr name = prog_str(c->p, c->p->slots[slot].name);
    dc_error e;
    dc_status st = facts_add_n(f, NULL, name.p, name.len, v, n, &e);
    if (st == DC_ERR_NOMEM)
        return nomem(c);
    if (st != DC_OK)
        *bad = true; /* not a valid fact (too long...): no such target */
    return DC_OK;
}

/* Render slot `slot` by rule ri: from the enumerated values, and, for
 * derived parts, from the registers the VM computed. */
static dc_status render_slot(tctx *c, dc_facts *f, uint32_t ri, const value *regs, bool *bad)
{
    const program *p = c->p;
    const rinfo *r = &c->rules[ri];
    const insn *i = &p->code[r->at];
    uint32_t slot = (uint32_t)p->rules[ri].slot;
    sink b = sink_growing(c->a);
    switch (r->kind) {
    case RK_CONST: put_dstr(&b, p->consts[i->b].as.s); break;
    case RK_VAR: put_value(&b, &c->assign[i->a]); break;
    case RK_DERIVED: put_value(&b, &regs[i->b]); break;
    case RK_TMPL: {
        const tmpl *t = &p->tmpls[i->b];
        for (uint32_t k = 0; k < t->n; k++) {
            const tpart *tp = &p->tparts[t->first + k];
            if (tp->kind == TP_LIT)
                put_dstr(&b, prog_str(p, tp->lit));
            else if (tp->kind == TP_DECL)
                put_value(&b, &c->assign[tp->reg]);
            else
                put_value(&b, &regs[tp->reg]);
        }
        break;
    }
    default: return DC_OK;
    }
    dc_status st = b.failed ? nomem(c) : add_fact(c, f, slot, sink_str(&b), b.len, bad);
    sink_free(&b);
    return st;
}

static bool has_cmp_part(const program *p, const insn *i)
{
    const tmpl *t = &p->tmpls[i->b];
    for (uint32_t k = 0; k < t->n; k++)
        if (p->tparts[t->first + k].kind == TP_CMP)
            return true;
    return false;
}

/* The facts of the current combination, with SELF holding on them: *ok is
 * false when SELF rejects them (no such target). */
static dc_status render_target(tctx *c, dc_facts **out, dc_prepared **prep, bool *ok)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    *out = NULL;
    *prep = NULL;
    *ok = false;
    dc_facts *f = facts_new(c->a);
    if (!f)
        return nomem(c);
    bool bad = false;
    dc_status st = DC_OK;
    for (uint32_t ri = self->first_rule; ri < self->first_rule + self->nrules && st == DC_OK;
         ri++) {
        const rinfo *r = &c->rules[ri];
        const prule *pr = &p->rules[ri];
        if (!r->seen || r->tainted || pr->slot < 0 || c->renderer[pr->slot] != (int32_t)ri)
            continue;
        if (r->kind == RK_CONST || r->kind == RK_VAR ||
            (r->kind == RK_TMPL && !has_cmp_part(p, &p->code[r->at])))
            st = render_slot(c, f, ri, NULL, &bad);
    }
    /* derived facts: the VM computes them, one per run */
    for (uint32_t round = 0; st == DC_OK && !bad && round <= self->nrules + 1; round++) {
        dc_prepared *t = NULL;
        dc_error e;
        st = dc_prepare(c->pol, f, &t, &e);
        if (st != DC_OK) {
            st = st == DC_ERR_NOMEM ? nomem(c) : dc_error_set(c->err, st, "%s", e.message);
            break;
        }
        vm_fail fail;
        if (vm_run_block(&c->fake.prog, 0, c->src, t, c->res, &fail)) {
            *out = f;
            *prep = t;
            *ok = true;
            return DC_OK;
        }
        uint32_t ri = fail.rule;
        const rinfo *r = ri < p->nrules ? &c->rules[ri] : NULL;
        bool derived = fail.code == F_MISSING && r && r->block == 0 && !r->tainted &&
                       fail.slot >= 0 && c->renderer[fail.slot] == (int32_t)ri &&
                       (r->kind == RK_DERIVED || r->kind == RK_TMPL) &&
                       !facts_find(f, p->pool + p->slots[fail.slot].name.off,
                                   p->slots[fail.slot].name.len);
        if (derived)
            st = render_slot(c, f, ri, c->res->regs, &bad);
        dc_prepared_free(t);
        if (!derived)
            break;
    }
    dc_facts_free(f);
    return st;
}

static bool facts_same(const dc_facts *a, const dc_facts *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (a->items[i].name_len != b->items[i].name_len ||
            a->items[i].value_len != b->items[i].value_len ||
            memcmp(a->items[i].name, b->items[i].name, a->items[i].name_len) ||
            memcmp(a->items[i].value, b->items[i].value, a->items[i].value_len))
            return false;
    return true;
}

/* The residues of block b (a program block) on the current candidate, per
 * open unit (res[nunits]); *dead when one of them can never hold. */
static void block_residues(tctx *c, uint32_t b, const dc_prepared *tgt, sink *res, bool *dead)
{
    const program *p = c->p;
    const pblock *pb = &p->blocks[b];
    *dead = false;
    memset(c->captured, 0, (p->nregs + 1) * sizeof *c->captured);
    for (uint32_t s = 0; s <= nunits(p); s++)
        sink_reset(&res[s]);
    for (uint32_t ri = pb->first_rule; ri < pb->first_rule + pb->nrules && !c->oom; ri++) {
        const rinfo *r = &c->rules[ri];
        if (!r->seen || !r->tainted)
            continue;
        sink text = sink_growing(c->a);
        bool is_or;
        int truth;
        residue_text(c, ri, tgt, &text, &is_or, &truth);
        if (truth == 0)
            *dead = true;
        for (uint32_t k = 0; k < r->ntaint && truth != 1; k++) {
            sink *s = &res[c->tlist[r->first_t + k]];
            if (s->len)
                sink_puts(s, " && ");
            if (is_or)
                sink_put(s, "(", 1);
            sink_put(s, sink_str(&text), text.len);
            if (is_or)
                sink_put(s, ")", 1);
            if (s->failed)
                c->oom = true;
        }
        sink_free(&text);
        if (*dead)
            break;
    }
}

/* Keep an accepted target: its facts, block and open slots with residues
 * (res: per slot, or NULL when nothing is open). */
static dc_status keep_target(tctx *c, dc_targets *out, dc_facts *f, int32_t block,
                             const sink *res)
{
    const program *p = c->p;
    for (size_t k = 0; k < out->n; k++)
        if (facts_same(out->items[k].facts, f)) {
            dc_facts_free(f);
            return DC_OK;
        }
    if (out->n == out->cap) {
        size_t ncap = out->cap ? out->cap * 2 : 16;
        tentry *ni = mem_grow(c->a, out->items, ncap, sizeof *ni);
        if (!ni) {
            dc_facts_free(f);
            return nomem(c);
        }
        out->items = ni;
        out->cap = ncap;
    }
    tentry *t = &out->items[out->n++];
    memset(t, 0, sizeof *t);
    t->block = block;
    t->facts = f;
    if (!res)
        return DC_OK;
    t->undecided = c->undecided;
    uint32_t nopen = 0;
    for (uint32_t s = 0; s < nunits(p); s++)
        if ((c->sflags[s] & S_OPEN) && ((c->sflags[s] & S_SELF) || res[s].len))
            nopen++;
    t->open = nopen ? arena_alloc(&out->text, nopen * sizeof *t->open) : NULL;
    if (nopen && !t->open)
        return nomem(c);
    for (uint32_t s = 0; s < nunits(p); s++) {
        if (!(c->sflags[s] & S_OPEN) || !((c->sflags[s] & S_SELF) || res[s].len))
            continue;
        dstr name = unit_name(p, s);
        topen *o = &t->open[t->nopen++];
        o->fact = arena_strndup(&out->text, name.p, name.len);
        o->constraint = c->constraint[s] ? arena_strndup(&out->text, c->constraint[s],
                                                         strlen(c->constraint[s]))
                                         : NULL;
        o->residue = res[s].len ? arena_strndup(&out->text, res[s].buf, res[s].len) : NULL;
        if (!o->fact || (c->constraint[s] && !o->constraint) || (res[s].len && !o->residue))
            return nomem(c);
    }
    return DC_OK;
}

/* Does SOURCE migrate to this candidate, and by which block (-1: none)?
 * With open facts, res[] receives the residues of that block. */
static dc_status judge(tctx *c, const dc_facts *f, const dc_prepared *tgt, int32_t *block,
                       sink *res)
{
    const program *p = c->p;
    *block = -1;
    if (!c->any_tainted) {
        if (dc_check(c->pol, c->src, tgt, c->real) != DC_OK)
            return dc_error_set(c->err, DC_ERR_INVALID, "%s: check failed", c->pol->file);
        if (dc_result_verdict(c->real) == DC_COMPATIBLE)
            *block = dc_result_block(c->real);
        return DC_OK;
    }
    c->undecided = false;
    c->res->match_steps = 0; /* one template budget for this candidate */
    for (uint32_t b = 1; b < p->nblocks; b++) {
        vm_fail fail;
        if (!vm_run_block(&c->fake.prog, b, c->src, tgt, c->res, &fail))
            continue;
        bool dead;
        block_residues(c, b, tgt, res, &dead);
        if (c->oom)
            return nomem(c);
        int sat = dead ? 0 : block_satisfiable(c, b, f, tgt);
        if (c->oom)
            return nomem(c);
        if (sat != 0) {
            *block = (int32_t)b - 1;
            c->undecided = sat < 0;
            break;
        }
    }
    return DC_OK;
}

/* The residue buffers judge needs, one per slot (NULL when nothing is open). */
static dc_status residue_buffers(tctx *c, sink **res)
{
    *res = NULL;
    if (!c->any_tainted)
        return DC_OK;
    *res = mem_array(c->a, nunits(c->p) + 1, sizeof **res);
    if (!*res)
        return nomem(c);
    for (uint32_t s = 0; s <= nunits(c->p); s++)
        (*res)[s] = sink_growing(c->a);
    return DC_OK;
}

static void residue_buffers_free(tctx *c, sink *res)
{
    for (uint32_t s = 0; res && s <= nunits(c->p); s++)
        sink_free(&res[s]);
    mem_free(c->a, res);
}

/* Try the current assignment: *accepted when it is a target; kept in `out`
 * when out is not NULL. */
static dc_status try_current(tctx *c, sink *res, dc_targets *out, bool *accepted)
{
    dc_facts *f;
    dc_prepared *t;
    bool ok;
    *accepted = false;
    dc_status st = render_target(c, &f, &t, &ok);
    if (st != DC_OK || !ok)
        return st;
    int32_t block;
    st = judge(c, f, t, &block, res);
    *accepted = st == DC_OK && block >= 0;
    if (*accepted && out)
        st = keep_target(c, out, f, block, res);
    else
        dc_facts_free(f);
    dc_prepared_free(t);
    return st;
}

static uint64_t ev_count(const evar *e)
{
    return e->keep ? e->nkeep : e->size;
}

static dc_status enumerate(tctx *c, dc_targets *out)
{
    /* the number of combinations, saturated just above the limit */
    uint64_t total = 1;
    for (uint32_t k = 0; k < c->nev; k++) {
        if (__builtin_mul_overflow(total, ev_count(&c->ev[k]), &total) || total > c->limit)
            total = (uint64_t)c->limit + 1;
    }
    uint64_t n = total > c->limit ? c->limit : total;
    out->limited = total > c->limit;
    out->tried = (size_t)n;
    sink *res;
    dc_status st = residue_buffers(c, &res);
    for (uint64_t combo = 0; combo < n && st == DC_OK; combo++) {
        uint64_t rest = combo;
        for (uint32_t k = c->nev; k-- > 0;) {
            const evar *e = &c->ev[k];
            uint64_t i = rest % ev_count(e);
            domain_value(c->p, e, e->keep ? e->keep[i] : i, &c->assign[e->reg]);
            rest /= ev_count(e);
        }
        bool accepted;
        st = try_current(c, res, out, &accepted);
    }
    residue_buffers_free(c, res);
    return st;
}

static void tctx_release(tctx *c)
{
    const dc_alloc *a = c->a;
    if (c->constraint && c->p)
        for (uint32_t s = 0; s <= nunits(c->p); s++)
            mem_free(a, c->constraint[s]);
    for (uint32_t k = 0; c->ev && k < c->nev; k++) {
        mem_free(a, c->ev[k].keep);
        mem_free(a, c->ev[k].items);
    }
    void *arrays[] = { c->rtaint,     c->cur,    c->ins,    c->renderer, c->sflags,
                       c->constraint, c->whole,  c->rules,  c->tlist,    c->itaint,
                       c->var_open,   c->ev,     c->assign, c->code,     c->xcode,
                       c->vars,       c->blocks, c->def,    c->dstamp,   c->selfreg,
                       c->captured };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        mem_free(a, arrays[i]);
    dc_result_free(c->res);
    dc_result_free(c->real);
    dc_prepared_free(c->src);
}

/* Analyse the policy (with the `forced` variables taken as open), make the
 * results and prepare the source.  Release with tctx_release, also on error. */
static dc_status tctx_setup(tctx *c, const dc_policy *pol, const dc_facts *source, size_t limit,
                            const bool *forced, targets_program_fn visit, void *visit_ctx,
                            dc_error *err)
{
    memset(c, 0, sizeof *c);
    c->pol = pol;
    c->p = &pol->prog;
    c->a = pol->alloc;
    c->err = err;
    c->limit = limit;
    c->forced = forced;
    c->visit = visit;
    c->visit_ctx = visit_ctx;
    dc_status st = analyse(c);
    if (st != DC_OK)
        return st;
    if (visit)
        visit(visit_ctx, &c->fake.prog);
    if (dc_result_new(&c->fake, &c->res, NULL) != DC_OK ||
        dc_result_new(pol, &c->real, NULL) != DC_OK)
        return nomem(c);
    dc_error e;
    st = dc_prepare(pol, source, &c->src, &e);
    if (st != DC_OK)
        return dc_error_set(err, st, "%s", e.message);
    return DC_OK;
}

/* Prune each variable's domain before combining: try its values alone, the
 * other enumerated variables taken as open.  A value no block can accept
 * then (a rule that fails or a residue that cannot hold, whatever the open
 * facts are) fails in every combination, so dropping it loses no target;
 * a source that pins a variable (pci_id = 8086{dev}) leaves one value. */
static dc_status prune(tctx *c, const dc_facts *source)
{
    if (c->nev < 2)
        return DC_OK;
    bool *forced = mem_array(c->a, c->p->nregs + 1, sizeof *forced);
    if (!forced)
        return nomem(c);
    dc_status st = DC_OK;
    for (uint32_t k = 0; k < c->nev && st == DC_OK; k++) {
        evar *e = &c->ev[k];
        memset(forced, 0, (c->p->nregs + 1) * sizeof *forced);
        for (uint32_t j = 0; j < c->nev; j++)
            forced[c->ev[j].reg] = j != k;
        tctx sub;
        st = tctx_setup(&sub, c->pol, source, c->limit, forced, c->visit, c->visit_ctx, c->err);
        const evar *se = NULL;
        for (uint32_t j = 0; j < sub.nev; j++)
            if (sub.ev[j].reg == e->reg && sub.ev[j].size == e->size)
                se = &sub.ev[j];
        sink *res = NULL;
        if (st == DC_OK && se && sub.nev == 1)
            st = residue_buffers(&sub, &res);
        if (st == DC_OK && se && sub.nev == 1) {
            e->keep = mem_array(c->a, e->size, sizeof *e->keep);
            if (!e->keep)
                st = nomem(c);
            for (uint64_t i = 0; st == DC_OK && i < e->size; i++) {
                bool accepted;
                domain_value(sub.p, se, i, &sub.assign[se->reg]);
                st = try_current(&sub, res, NULL, &accepted);
                if (accepted)
                    e->keep[e->nkeep++] = i;
            }
        }
        if (sub.oom)
            st = nomem(c);
        residue_buffers_free(&sub, res);
        tctx_release(&sub);
    }
    mem_free(c->a, forced);
    return st;
}

dc_status dc_targets_find(const dc_policy *pol, const dc_facts *source, size_t limit,
                          dc_targets **out, dc_error *err)
{
    return targets_find_visit(pol, source, limit, NULL, NULL, out, err);
}

dc_status targets_find_visit(const dc_policy *pol, const dc_facts *source, size_t limit,
                             targets_program_fn visit, void *visit_ctx, dc_targets **out,
                             dc_error *err)
{
    if (out)
        *out = NULL;
    if (!pol || !source || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_targets_find: invalid argument");
    if (pol->prog.nblocks == 0)
        return dc_error_set(err, DC_ERR_INVALID, "%s: the policy has no SELF block", pol->file);
    dc_targets *t = mem_zalloc(pol->alloc, sizeof *t);
    if (!t)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", pol->file);
    t->alloc = pol->alloc;
    t->policy = pol;
    arena_init(&t->text, pol->alloc);
    tctx c;
    dc_status st =
        tctx_setup(&c, pol, source, limit ? limit : DEFAULT_LIMIT, NULL, visit, visit_ctx, err);
    if (st == DC_OK)
        st = prune(&c, source);
    if (st == DC_OK)
        st = enumerate(&c, t);
    tctx_release(&c);
    if (st != DC_OK) {
        dc_targets_free(t);
        return st;
    }
    *out = t;
    return DC_OK;
}

/* ------------------------------------------------------------ accessors */

size_t dc_targets_count(const dc_targets *t)
{
    return t ? t->n : 0;
}
int dc_targets_limited(const dc_targets *t)
{
    return t && t->limited;
}
size_t dc_targets_tried_count(const dc_targets *t)
{
    return t ? t->tried : 0;
}

int dc_targets_decided(const dc_targets *t, size_t i)
{
    return t && i < t->n && !t->items[i].undecided;
}

int32_t dc_targets_block(const dc_targets *t, size_t i)
{
    return t && i < t->n ? t->items[i].block : -1;
}

const char *dc_targets_block_name(const dc_targets *t, size_t i)
{
    if (!t || i >= t->n)
        return NULL;
    return dc_policy_block_name(t->policy, (size_t)t->items[i].block);
}

const dc_facts *dc_targets_facts(const dc_targets *t, size_t i)
{
    return t && i < t->n ? t->items[i].facts : NULL;
}

size_t dc_targets_open_count(const dc_targets *t, size_t i)
{
    return t && i < t->n ? t->items[i].nopen : 0;
}

dc_status dc_targets_open_get(const dc_targets *t, size_t i, size_t j, dc_target_open *out)
{
    if (!t || !DC_SIZED(out) || i >= t->n || j >= t->items[i].nopen)
        return DC_ERR_INVALID;
    const topen *o = &t->items[i].open[j];
    out->fact = o->fact;
    out->constraint = o->constraint;
    out->residue = o->residue;
    return DC_OK;
}

void dc_targets_free(dc_targets *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        dc_facts_free(t->items[i].facts);
    mem_free(t->alloc, t->items);
    arena_release(&t->text);
    mem_free(t->alloc, t);
}
