/* targets_analysis.c -- which slots and rules of a policy are open, and the
 * copy of its code with the open rules made no-ops (targets.c, steps 1 and 2;
 * docs/targets.md).
 */
#include "targets_int.h"

/* ------------------------------------------------------------ analysis */

dc_status tg_nomem(tctx *c)
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
uint32_t tg_nunits(const program *p)
{
    return p->nslots + p->nrecsets;
}

/* A unit's name: the slot's, or the record set's prefix. */
dstr tg_unit_name(const program *p, uint32_t s)
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

void tg_domain_value(const program *p, const evar *e, uint64_t k, value *out)
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

int32_t tg_var_of_reg(const program *p, uint32_t block, uint32_t reg)
{
    const pblock *pb = &p->blocks[block];
    for (uint32_t v = pb->first_var; v < pb->first_var + pb->nvars; v++)
        if (p->vars[v].reg == reg)
            return (int32_t)v;
    if (block != 0)
        return tg_var_of_reg(p, 0, reg);
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
            if (reads_target(p, i, &s) && s < tg_nunits(p) && s != own &&
                (c->sflags[s] & S_OPEN))
                setbit(c->ins, s);
            if (!insn_regs(p, i, rd, &nrd, wr, &nwr)) {
                /* too large to follow: taint by everything open */
                for (uint32_t k = 0; k < tg_nunits(p); k++)
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
                            int32_t v = tg_var_of_reg(p, b, wr[k]);
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
                for (uint32_t s = 0; s < tg_nunits(p); s++) {
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
void tg_rule_text(const program *p, uint32_t ri, sink *b)
{
    static const char *const ops[] = { "=", "!=", "<", "<=", ">", ">=" };
    const prule *pr = &p->rules[ri];
    if (pr->slot < 0) {
        sink_puts(b, "where ");
    } else {
        tg_put_dstr(b, prog_str(p, p->slots[pr->slot].name));
        sink_printf(b, " %s ", pr->op < 6 ? ops[pr->op] : "?");
    }
    tg_put_dstr(b, prog_str(p, pr->expected));
}

/* The constraint text of each open slot: SELF's tainted rules about it. */
static dc_status build_constraints(tctx *c)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    for (uint32_t s = 0; s < tg_nunits(p); s++) {
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
            tg_rule_text(p, ri, &b);
        }
        if (b.failed) {
            sink_free(&b);
            return tg_nomem(c);
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
        return tg_nomem(c);
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
        return tg_nomem(c);
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
        return tg_nomem(c);
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
            return tg_nomem(c);
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
        int32_t v = tg_var_of_reg(p, 0, p->code[r->at].a);
        if (v >= 0 && (uint32_t)v >= self->first_var &&
            (uint32_t)v < self->first_var + self->nvars)
            c->whole[(uint32_t)v - self->first_var] = pr->slot;
    }
    return DC_OK;
}

dc_status tg_analyse(tctx *c)
{
    const program *p = c->p;
    dc_status st;
    c->W = (tg_nunits(p) + 63) / 64;
    if (c->W == 0)
        c->W = 1;
    c->rtaint = mem_array(c->a, (size_t)(p->nregs + 1) * c->W, sizeof(uint64_t));
    c->cur = mem_array(c->a, c->W, sizeof(uint64_t));
    c->ins = mem_array(c->a, c->W, sizeof(uint64_t));
    c->renderer = mem_array(c->a, p->nslots + 1, sizeof *c->renderer);
    c->sflags = mem_zalloc(c->a, tg_nunits(p) + 1);
    c->constraint = mem_array(c->a, tg_nunits(p) + 1, sizeof *c->constraint);
    if (c->constraint) /* released entry by entry */
        memset(c->constraint, 0, (tg_nunits(p) + 1) * sizeof *c->constraint);
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
        return tg_nomem(c);
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
            if (reads_target(p, &p->code[pc], &s) && s < tg_nunits(p))
                c->sflags[s] |= S_REF | (r->block == 0 ? S_SELF : 0);
        }
    }
    /* a slot read but never rendered is open from the start, and so are
     * the target's records */
    for (uint32_t s = 0; s < tg_nunits(p); s++)
        if ((c->sflags[s] & S_REF) && (s >= p->nslots || c->renderer[s] < 0))
            c->sflags[s] |= S_OPEN;

    /* SELF to a fixpoint: each round opens at least one slot or ends */
    for (uint32_t round = 0; round <= tg_nunits(p) + 1; round++) {
        memset(c->rtaint, 0, (size_t)(p->nregs + 1) * c->W * sizeof(uint64_t));
        if (!taint_block(c, 0, false))
            break;
    }
    memset(c->rtaint, 0, (size_t)(p->nregs + 1) * c->W * sizeof(uint64_t));
    for (uint32_t b = 0; b < p->nblocks; b++) {
        taint_block(c, b, true);
        if (c->oom)
            return tg_nomem(c);
    }
    if ((st = build_constraints(c)) != DC_OK || (st = build_copy(c)) != DC_OK ||
        (st = build_enum(c)) != DC_OK)
        return st;
    return DC_OK;
}
