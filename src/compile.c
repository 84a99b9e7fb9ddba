/* compile.c -- lower a checked syntax tree to a program (docs/bytecode.md), and
 * dc_policy_compile, which drives parse -> check -> compile and builds the
 * policy around the program (policy.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "hmap.h"
#include "diag.h"
#include "facts.h"
#include "limits.h"
#include "parse.h"
#include "policy.h"

typedef struct cg {
    program *p;
    ast_policy *ast;
    checked *chk;
    dc_diags *d;
    bool oom;
    bool overflow; /* a 16-bit operand overflowed: reported once */
    uint32_t cap_pool, cap_consts, cap_strs, cap_cmps, cap_ranges, cap_svsets, cap_ctables,
        cap_tparts, cap_tmpls, cap_rules, cap_code, cap_blocks, cap_slots, cap_vars,
        cap_recsets, cap_recfields;
    uint16_t *var_reg; /* chk var index -> register */
    uint32_t temp_base, temp;
    uint8_t side;         /* SIDE_SOURCE in COMPATIBLE blocks */
    uint32_t loop_level;  /* the all/any being compiled: how many enclose it */
    hmap strings, consts; /* interned strings, constants */
    pref *interned;
    uint32_t ninterned, cap_interned;
} cg;

#define PUSH(g, arr, n, cap)                                                                   \
    (((g)->p->n < (g)->cap ||                                                                  \
      grow_array((g), (void **)&(g)->p->arr, &(g)->cap, sizeof *(g)->p->arr))                  \
         ? &(g)->p->arr[(g)->p->n++]                                                           \
         : NULL)

static bool grow_array(cg *g, void **arr, uint32_t *cap, size_t size)
{
    uint32_t ncap = *cap ? *cap * 2 : 16;
    void *p = mem_grow(g->p->alloc, *arr, ncap, size);
    if (!p) {
        g->oom = true;
        return false;
    }
    *arr = p;
    *cap = ncap;
    return true;
}

static void limit(cg *g, const char *what, unsigned max)
{
    if (!g->overflow)
        diag_report(g->d, DC_SEV_ERROR, (span){ 0, 0 },
                    "policy too large: more than %u %s (limit of the bytecode format)", max,
                    what);
    g->overflow = true;
}

/* Index of the next element of a table, as a 16-bit operand. */
static uint16_t op16(cg *g, uint32_t n, const char *what)
{
    if (n > UINT16_MAX) {
        limit(g, what, UINT16_MAX + 1u);
        return 0;
    }
    return (uint16_t)n;
}

/* ------------------------------------------------------------ tables */

static pref intern(cg *g, const char *s, uint32_t len)
{
    program *p = g->p;
    if (!len)
        s = ""; /* an empty string may come as (NULL, 0) */
    /* share identical strings (templates and names repeat a lot) */
    uint32_t h = hmap_hash(s, len), pos = 0;
    for (int64_t k; (k = hmap_next(&g->strings, h, &pos)) >= 0;) {
        pref r = g->interned[k];
        if (r.len == len && !memcmp(p->pool + r.off, s, len))
            return r;
    }
    while (p->pool_len + (uint64_t)len + 1 > g->cap_pool) {
        if (!grow_array(g, (void **)&p->pool, &g->cap_pool, 1))
            return (pref){ 0, 0 };
    }
    pref r = { p->pool_len, len };
    if (len)
        memcpy(p->pool + p->pool_len, s, len);
    p->pool_len += len;
    p->pool[p->pool_len] = '\0'; /* a NUL after each string, for printing */
    p->pool_len++;
    if (g->ninterned == g->cap_interned &&
        !grow_array(g, (void **)&g->interned, &g->cap_interned, sizeof *g->interned))
        return r;
    g->interned[g->ninterned] = r;
    if (!hmap_put(&g->strings, p->alloc, h, g->ninterned))
        g->oom = true;
    g->ninterned++;
    return r;
}

static pref intern_span(cg *g, span s)
{
    return intern(g, g->ast->text + s.start, s.end - s.start);
}

static uint16_t add_const(cg *g, kconst k)
{
    program *p = g->p;
    uint64_t key[6] = { k.type,  (uint64_t)k.i, k.major,
                        k.minor, k.patch,       (uint64_t)k.s.off << 32 | k.s.len };
    uint32_t h = hmap_hash(key, sizeof key), pos = 0;
    for (int64_t i; (i = hmap_next(&g->consts, h, &pos)) >= 0;) {
        kconst *o = &p->kconsts[i];
        if (o->type == k.type && o->i == k.i && o->s.len == k.s.len && o->s.off == k.s.off &&
            o->major == k.major && o->minor == k.minor && o->patch == k.patch)
            return (uint16_t)i;
    }
    uint16_t idx = op16(g, p->nconsts, "constants");
    kconst *slot = PUSH(g, kconsts, nconsts, cap_consts);
    if (slot) {
        *slot = k;
        if (!hmap_put(&g->consts, p->alloc, h, p->nconsts - 1))
            g->oom = true;
    }
    return idx;
}

static uint16_t const_int(cg *g, vtype t, int64_t i)
{
    return add_const(g, (kconst){ .type = (uint8_t)t, .i = i });
}

static uint16_t const_str(cg *g, const char *s, uint32_t len)
{
    return add_const(g, (kconst){ .type = VT_STRING, .s = intern(g, s, len) });
}

static uint32_t emit(cg *g, uint8_t op, uint8_t t, uint16_t a, uint16_t b, uint16_t c)
{
    insn *i = PUSH(g, code, ncode, cap_code);
    if (i)
        *i = (insn){ op, t, a, b, c };
    return g->p->ncode - 1;
}

/* Patch a forward jump at `at` to land on the next instruction emitted. */
static void patch(cg *g, uint32_t at)
{
    if (g->oom)
        return;
    uint32_t dist = g->p->ncode - at - 1;
    g->p->code[at].b = op16(g, dist, "instructions in one jump");
}

static uint16_t new_temp(cg *g)
{
    uint32_t r = g->temp++;
    if (g->temp > g->p->nregs)
        g->p->nregs = g->temp;
    return op16(g, r, "registers");
}

static int32_t add_ctable(cg *g, const chk_ct *ct)
{
    program *p = g->p;
    ctable t;
    memset(&t, 0, sizeof t);
    t.text = intern(g, ct->text, ct->text_len);
    switch (ct->type) {
    case VT_INT:
    case VT_HEX: {
        t.kind = ct->type == VT_INT ? CT_INT : CT_HEX;
        t.first = p->nranges;
        t.n = ct->nranges;
        t.small = true;
        for (uint32_t i = 0; i < ct->nranges; i++) {
            irange *r = PUSH(g, ranges, nranges, cap_ranges);
            if (!r)
                return -1;
            r->lo = ct->ranges[i].lo;
            r->hi = ct->ranges[i].hi;
            bool in = ct->type == VT_INT ? r->lo >= 0 && r->hi <= 63 : (uint64_t)r->hi <= 63;
            if (!in)
                t.small = false;
            else
                for (int64_t v = r->lo; v <= r->hi; v++)
                    t.bitmap |= (uint64_t)1 << v;
        }
        if (!t.small)
            t.bitmap = 0;
        break;
    }
    case VT_STRING:
    case VT_SET:
        t.kind = ct->type == VT_STRING ? CT_STRING : CT_SET;
        t.first = p->nstrs;
        t.n = ct->nitems;
        for (uint32_t i = 0; i < ct->nitems; i++) {
            pref *s = PUSH(g, strrefs, nstrs, cap_strs);
            if (!s)
                return -1;
            *s = intern(g, ct->items[i].p, ct->items[i].len);
        }
        break;
    case VT_SEMVER:
        t.kind = CT_SEMVER;
        t.first = p->nsvsets;
        t.n = ct->sv.nsets;
        for (uint32_t i = 0; i < ct->sv.nsets; i++) {
            uint32_t from = i ? ct->sv.set_end[i - 1] : 0, to = ct->sv.set_end[i];
            svset *s = PUSH(g, svsets, nsvsets, cap_svsets);
            if (!s)
                return -1;
            s->first = p->ncmps;
            s->n = to - from;
            for (uint32_t k = from; k < to; k++) {
                const sv_comparator *c = &ct->sv.cmps[k];
                kcmp *kc = PUSH(g, kcmps, ncmps, cap_cmps);
                if (!kc)
                    return -1;
                *kc = (kcmp){ c->op, c->v.major, c->v.minor, c->v.patch,
                              intern(g, c->v.pre.p, c->v.pre.len) };
            }
        }
        break;
    case VT_BOOL:
        t.kind = CT_BOOL;
        t.first = ct->bval;
        break;
    default: return -1;
    }
    int32_t idx = (int32_t)op16(g, p->nctables, "constraints");
    ctable *slot = PUSH(g, ctables, nctables, cap_ctables);
    if (!slot)
        return -1;
    *slot = t;
    return idx;
}

/* ------------------------------------------------------------ expressions */

static uint16_t cg_expr(cg *g, const ast_expr *e);

static uint8_t side_of(const ast_expr *field)
{
    return field->ref == REF_SOURCE_FIELD || field->ref == REF_SOURCE_RECORD ? SIDE_SOURCE : 0;
}

static bool is_record_field(const ast_expr *e)
{
    return e->kind == EX_NAME && (e->ref == REF_SELF_RECORD || e->ref == REF_SOURCE_RECORD);
}

/* all/any: a loop (docs/bytecode.md, "Loops").
 *
 *     EACH   r, set, -> past AGAIN     r = true (all) / false (any)
 *     ...    the condition, into c
 *     AGAIN  r, c, -> back to the first of the body
 */
static uint16_t cg_expr(cg *g, const ast_expr *e);

static uint16_t cg_quant(cg *g, const ast_expr *e)
{
    uint16_t dst = new_temp(g);
    uint8_t t = (uint8_t)((e->ival ? LOOP_ANY : 0) | (g->loop_level ? LOOP_LEVEL : 0));
    uint32_t each =
        emit(g, I_EACH, (uint8_t)(t | side_of(e->args[0])), dst, (uint16_t)e->index, 0);
    g->loop_level++;
    uint16_t cond = cg_expr(g, e->args[2]);
    g->loop_level--;
    uint32_t again = emit(g, I_AGAIN, t, dst, cond, 0);
    if (!g->oom) {
        g->p->code[each].c = op16(g, again - each, "instructions in one loop");
        g->p->code[again].c = op16(g, again - each - 1, "instructions in one loop");
    }
    return dst;
}

static void slot_type(cg *g, uint32_t slot, vtype t)
{
    if (slot < g->p->nslots)
        g->p->slots[slot].types |= (uint8_t)(1u << t);
}

/* A builtin (builtins.def) is its instruction: a temporary written (W),
 * its arguments in its R operands, a fact in its S operand.  A conversion
 * of a fact is parsed once, when the facts are prepared (FIELDT). */
static uint16_t cg_call(cg *g, const ast_expr *e)
{
    const builtin_info *bi = &builtins[e->builtin];
    const char *roles = op_operands[bi->op];
    const ast_expr *a0 = e->args[0];
    if (bi->op == I_HAS && is_record_field(a0)) {
        uint16_t dst = new_temp(g);
        emit(g, I_RHAS, side_of(a0), dst, (uint16_t)a0->index, (uint16_t)a0->ival);
        return dst;
    }
    if (bi->op == I_CONV && a0->kind == EX_NAME && a0->ref != REF_VAR && !is_record_field(a0)) {
        uint16_t dst = new_temp(g);
        slot_type(g, a0->index, (vtype)bi->type);
        emit(g, I_FIELDT, (uint8_t)(bi->type | side_of(a0)), dst, (uint16_t)a0->index, 0);
        return dst;
    }
    uint16_t x[3] = { 0, 0, 0 };
    uint8_t t = bi->type;
    uint32_t n = 0;
    int w = op_find(bi->op, 'W');
    /* the result's register before the arguments' for has() and the
     * conversions (the registers earlier releases gave them) */
    bool dst_first = w >= 0 && (bi->op == I_CONV || op_find(bi->op, 'R') < 0);
    if (dst_first)
        x[w] = new_temp(g);
    for (int k = 0; k < 3; k++) {
        if (roles[k] == 'R') {
            x[k] = cg_expr(g, e->args[n++]);
        } else if (roles[k] == 'S') {
            x[k] = (uint16_t)e->args[n]->index;
            t = (uint8_t)(t | side_of(e->args[n++]));
        }
    }
    if (w >= 0 && !dst_first)
        x[w] = new_temp(g);
    emit(g, bi->op, t, x[0], x[1], x[2]);
    return w >= 0 ? x[w] : 0;
}

/* Code computing e; returns the register holding its value (a variable's
 * own register for a plain reference). */
static uint16_t cg_expr(cg *g, const ast_expr *e)
{
    uint16_t dst;
    switch (e->kind) {
    case EX_INT:
        dst = new_temp(g);
        emit(g, I_LOADK, 0, dst, const_int(g, VT_INT, e->ival), 0);
        return dst;
    case EX_BOOL:
        dst = new_temp(g);
        emit(g, I_LOADK, 0, dst, const_int(g, VT_BOOL, e->ival), 0);
        return dst;
    case EX_STR:
        dst = new_temp(g);
        emit(g, I_LOADK, 0, dst, const_str(g, e->str, e->len), 0);
        return dst;
    case EX_NAME:
        if (e->ref == REF_VAR)
            return g->var_reg[e->index];
        dst = new_temp(g);
        if (is_record_field(e)) {
            emit(g, I_RFIELD, side_of(e), dst, (uint16_t)e->index, (uint16_t)e->ival);
            return dst;
        }
        emit(g, I_FIELD, side_of(e), dst, (uint16_t)e->index, 0);
        return dst;
    case EX_UNARY: {
        uint16_t r = cg_expr(g, e->a);
        dst = new_temp(g);
        emit(g, e->op == OP_NEG ? I_NEG : I_NOT, 0, dst, r, 0);
        return dst;
    }
    case EX_BINARY:
        if (e->op == OP_AND || e->op == OP_OR) {
            dst = new_temp(g);
            uint16_t a = cg_expr(g, e->a);
            emit(g, I_MOVE, 0, dst, a, 0);
            uint32_t j = emit(g, e->op == OP_AND ? I_JF : I_JT, 0, dst, 0, 0);
            uint16_t b = cg_expr(g, e->b);
            emit(g, I_MOVE, 0, dst, b, 0);
            patch(g, j);
            return dst;
        } else {
            uint16_t a = cg_expr(g, e->a);
            uint16_t b = cg_expr(g, e->b);
            dst = new_temp(g);
            static const uint8_t ops[] = {
                [OP_MUL] = I_MUL, [OP_DIV] = I_DIV, [OP_MOD] = I_MOD, [OP_ADD] = I_ADD,
                [OP_SUB] = I_SUB, [OP_LT] = I_LT,   [OP_LE] = I_LE,   [OP_GT] = I_GT,
                [OP_GE] = I_GE,   [OP_EQ] = I_EQ,   [OP_NE] = I_NE,
            };
            uint8_t op = ops[e->op];
            emit(g, op, 0, dst, a, b);
            return dst;
        }
    case EX_CALL: return cg_call(g, e);
    case EX_QUANT: return cg_quant(g, e);
    }
    return 0;
}

/* ------------------------------------------------------------ rules */

static uint8_t cmp_of(rule_op op)
{
    static const uint8_t m[] = { [RO_EQ] = CMP_EQ, [RO_NE] = CMP_NE, [RO_LT] = CMP_LT,
                                 [RO_LE] = CMP_LE, [RO_GT] = CMP_GT, [RO_GE] = CMP_GE };
    return m[op];
}

/* FCMP: the field, parsed as `t`, compared with R[reg]. */
static void cg_fcmp(cg *g, const ast_rule *r, vtype t, uint16_t reg, prule *pr)
{
    slot_type(g, r->slot, t);
    emit(g, I_FCMP, (uint8_t)(t | cmp_of(r->op) << 4 | g->side), (uint16_t)r->slot, reg, 0);
    pr->expect_reg = reg;
}

static void cg_template(cg *g, const ast_rule *r, prule *pr)
{
    const ast_value *v = &r->value;
    program *p = g->p;
    uint16_t regs[DC_MAX_PLACEHOLDERS * 2 + 1];
    /* expression placeholders are computed before the match */
    for (uint32_t i = 0; i < v->nparts; i++) {
        const ast_part *pt = &v->parts[i];
        regs[i] = 0;
        if (pt->is_placeholder && !pt->is_decl && pt->expr)
            regs[i] = cg_expr(g, pt->expr);
    }
    tmpl t = { p->ntparts, v->nparts, intern_span(g, v->loc) };
    for (uint32_t i = 0; i < v->nparts; i++) {
        const ast_part *pt = &v->parts[i];
        tpart *tp = PUSH(g, tparts, ntparts, cap_tparts);
        if (!tp)
            return;
        memset(tp, 0, sizeof *tp);
        tp->ctable = -1;
        if (!pt->is_placeholder) {
            tp->kind = TP_LIT;
            tp->lit = intern(g, pt->text, pt->len);
        } else if (pt->is_decl) {
            tp->kind = TP_DECL;
            tp->type = (uint8_t)pt->type;
            tp->reg = g->var_reg[pt->var];
            if (pt->ct)
                tp->ctable = add_ctable(g, pt->ct);
        } else {
            tp->kind = TP_CMP;
            tp->type = (uint8_t)pt->expr->type;
            tp->reg = regs[i];
        }
    }
    uint16_t idx = op16(g, p->ntmpls, "templates");
    tmpl *slot = PUSH(g, tmpls, ntmpls, cap_tmpls);
    if (!slot)
        return;
    *slot = t;
    emit(g, r->op == RO_EQ ? I_MATCH : I_NMATCH, g->side, (uint16_t)r->slot, idx, 0);
    (void)pr;
}

static void cg_rule(cg *g, const ast_rule *r, uint32_t index)
{
    prule *pr = PUSH(g, rules, nrules, cap_rules);
    if (!pr)
        return;
    uint16_t ri = op16(g, index, "rules");
    *pr = (prule){ r->line, r->is_where ? -1 : (int32_t)r->slot, g->side, cmp_of(r->op), -1,
                   { 0, 0 } };
    g->temp = g->temp_base;
    emit(g, I_RULE, 0, ri, 0, 0);
    if (r->is_where) {
        pr->op = CMP_EQ;
        pr->expected = intern_span(g, r->where->loc);
        uint16_t reg = cg_expr(g, r->where);
        emit(g, I_WHERE, 0, reg, 0, 0);
        return;
    }
    const ast_value *v = &r->value;
    uint16_t slot = (uint16_t)r->slot;
    uint8_t cmp = cmp_of(r->op);
    pr->expected = intern_span(g, v->loc);
    switch (v->kind) {
    case VAL_EMPTY: emit(g, r->op == RO_EQ ? I_EMPTY : I_NONEMPTY, g->side, slot, 0, 0); return;
    case VAL_QUOTED:
        emit(g, r->op == RO_EQ ? I_EQSTR : I_NESTR, g->side, slot, const_str(g, v->str, v->len),
             0);
        return;
    case VAL_EXPR: cg_fcmp(g, r, v->expr->type, cg_expr(g, v->expr), pr); return;
    case VAL_TEMPLATE: break;
    }
    if (v->nparts == 1 && !v->parts[0].is_placeholder) {
        const ast_part *pt = &v->parts[0];
        int64_t n;
        if (cmp >= CMP_LT && parse_int(pt->text, pt->len, &n)) {
            uint16_t reg = new_temp(g);
            emit(g, I_LOADK, 0, reg, const_int(g, VT_INT, n), 0);
            cg_fcmp(g, r, VT_INT, reg, pr);
        } else {
            emit(g, r->op == RO_EQ ? I_EQSTR : I_NESTR, g->side, slot,
                 const_str(g, pt->text, pt->len), 0);
        }
        return;
    }
    if (v->nparts == 1) {
        const ast_part *pt = &v->parts[0];
        if (pt->is_decl) {
            /* the whole fact is the variable: parsed when facts are prepared */
            uint16_t reg = g->var_reg[pt->var];
            slot_type(g, r->slot, pt->type);
            emit(g, I_LOADF, (uint8_t)(pt->type | g->side), reg, slot, 0);
            if (pt->ct) {
                int32_t ct = add_ctable(g, pt->ct);
                if (ct >= 0)
                    emit(g, I_CHECKT, 0, reg, (uint16_t)ct, 0);
            }
        } else {
            cg_fcmp(g, r, pt->expr->type, cg_expr(g, pt->expr), pr);
        }
        return;
    }
    cg_template(g, r, pr);
}

static void cg_block(cg *g, const ast_block *b, pblock_kind kind)
{
    program *p = g->p;
    const checked *c = g->chk;
    uint32_t block_index = (uint32_t)(b - g->ast->blocks);
    pblock pb;
    memset(&pb, 0, sizeof pb);
    pb.kind = (uint8_t)kind;
    pb.name = b->name ? intern(g, b->name, (uint32_t)strlen(b->name)) : (pref){ 0, 0 };
    pb.line = b->line;
    pb.entry = p->ncode;
    pb.first_var = p->nvars;
    pb.first_rule = p->nrules;
    g->side = kind == PB_COMPATIBLE ? SIDE_SOURCE : 0;
    /* the block's variables: registers after SELF's */
    uint32_t reg = 0;
    for (uint32_t i = 0; i < c->nvars; i++)
        if (c->vars[i].self)
            reg++;
    if (kind == PB_SELF)
        reg = 0;
    for (uint32_t i = 0; i < c->nvars; i++) {
        const chk_var *cv = &c->vars[i];
        if (kind == PB_SELF ? !cv->self : (cv->self || cv->block != block_index))
            continue;
        var *v = PUSH(g, vars, nvars, cap_vars);
        if (!v)
            return;
        g->var_reg[i] = op16(g, reg, "registers");
        *v = (var){ intern(g, cv->name, (uint32_t)strlen(cv->name)), (uint8_t)cv->type,
                    g->var_reg[i] };
        reg++;
    }
    pb.nvars = p->nvars - pb.first_var;
    for (uint32_t i = 0; i < b->nrules && i < DC_MAX_RULES; i++)
        cg_rule(g, &b->rules[i], i);
    emit(g, I_OK, 0, 0, 0, 0);
    pb.end = p->ncode;
    pb.nrules = p->nrules - pb.first_rule;
    pblock *slot = PUSH(g, blocks, nblocks, cap_blocks);
    if (slot)
        *slot = pb;
}

/* Lower the checked tree into g->p. */
static void cg_program(cg *g)
{
    program *p = g->p;
    const checked *c = g->chk;
    /* registers: SELF's variables, then the largest COMPATIBLE block's, then
     * temporaries, reset at each rule */
    uint32_t nself = 0, most = 0;
    for (uint32_t i = 0; i < c->nvars; i++)
        if (c->vars[i].self)
            nself++;
    for (uint32_t b = 0; b < g->ast->nblocks && b < DC_MAX_BLOCKS; b++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < c->nvars; i++)
            if (!c->vars[i].self && c->vars[i].block == b)
                n++;
        if (n > most)
            most = n;
    }
    g->temp_base = nself + most;
    p->nregs = g->temp_base;
    g->var_reg = mem_array(p->alloc, c->nvars ? c->nvars : 1, sizeof *g->var_reg);
    if (!g->var_reg) {
        g->oom = true;
        return;
    }
    for (uint32_t i = 0; i < c->nslots && !g->oom; i++) {
        slotinfo *s = PUSH(g, slots, nslots, cap_slots);
        if (!s)
            break;
        s->name = intern(g, c->slots[i].name, c->slots[i].len);
        s->types = c->slots[i].types;
    }
    for (uint32_t i = 0; i < c->nrecsets && !g->oom; i++) {
        recset *r = PUSH(g, recsets, nrecsets, cap_recsets);
        if (r)
            r->name = intern(g, c->recsets[i].name, c->recsets[i].len);
    }
    for (uint32_t i = 0; i < c->nrecfields && !g->oom; i++) {
        recfield *r = PUSH(g, recfields, nrecfields, cap_recfields);
        if (r)
            *r = (recfield){ c->recfields[i].set,
                             intern(g, c->recfields[i].name, c->recfields[i].len) };
    }
    if (c->nrecsets > UINT16_MAX || c->nrecfields > UINT16_MAX)
        limit(g, "record lists or fields", UINT16_MAX + 1u);
    if (!g->oom)
        cg_block(g, &g->ast->blocks[c->self_block], PB_SELF);
    for (uint32_t b = 0; b < g->ast->nblocks && b < DC_MAX_BLOCKS && !g->oom; b++)
        if (g->ast->blocks[b].kind == BK_COMPATIBLE && !g->ast->blocks[b].broken)
            cg_block(g, &g->ast->blocks[b], PB_COMPATIBLE);
    mem_free(p->alloc, g->var_reg);
    g->var_reg = NULL;
    if (p->nregs > UINT16_MAX)
        limit(g, "registers", UINT16_MAX);
}

/* ------------------------------------------------------------ policies */

/* The name of a policy without a POLICY name: its file name less the
 * directory and the extension. */
static void default_name(const char *file, const char **s, uint32_t *len)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    const char *dot = strrchr(base, '.');
    *s = base;
    *len = (uint32_t)(dot && dot > base ? (size_t)(dot - base) : strlen(base));
}

dc_status dc_policy_compile_ex(const dc_alloc *alloc, const char *file, const char *text,
                               size_t len, dc_policy **out, dc_diags **diags_out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (diags_out)
        *diags_out = NULL;
    if (!file || (!text && len) || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_policy_compile: invalid argument");
    if (len > DC_MAX_SOURCE)
        return dc_error_set(err, DC_ERR_LIMIT,
                            "%s: policy source is larger than %u bytes "
                            "(limit)",
                            file, DC_MAX_SOURCE);
    dc_status st = DC_OK;
    srcmap map = { 0 };
    ast_policy ast;
    checked chk;
    memset(&ast, 0, sizeof ast);
    memset(&chk, 0, sizeof chk);
    arena_init(&ast.ar, alloc);
    ast.file = file;
    ast.text = text ? text : "";
    ast.len = (uint32_t)len;
    dc_diags *d = NULL;
    dc_policy *pol = NULL;

    if (!srcmap_init(&map, alloc, ast.text, ast.len) || !(d = diag_new(alloc, file, &map))) {
        st = DC_ERR_NOMEM;
        goto done;
    }
    if (map.nlines > (uint32_t)DC_MAX_LINES + (ast.len && ast.text[ast.len - 1] == '\n')) {
        diag_report(d, DC_SEV_ERROR,
                    (span){ map.starts[DC_MAX_LINES], map.starts[DC_MAX_LINES] },
                    "policy source has more than %d lines (limit)", DC_MAX_LINES);
        st = DC_ERR_POLICY;
        goto done;
    }
    if (!parse_policy(&ast, d) || d->oom) {
        st = DC_ERR_NOMEM;
        goto done;
    }
    if (!chk_policy(&ast, d, alloc, &chk) || d->oom) {
        st = DC_ERR_NOMEM;
        goto done;
    }
    if (d->nerrors) {
        st = DC_ERR_POLICY;
        goto done;
    }
    pol = mem_zalloc(alloc, sizeof *pol);
    if (!pol) {
        st = DC_ERR_NOMEM;
        goto done;
    }
    pol->alloc = alloc;
    pol->prog.alloc = alloc;
    cg g;
    memset(&g, 0, sizeof g);
    g.p = &pol->prog;
    g.ast = &ast;
    g.chk = &chk;
    g.d = d;
    const char *nm = chk.name;
    uint32_t nlen = nm ? (uint32_t)strlen(nm) : 0;
    if (!nm || !nlen)
        default_name(file, &nm, &nlen);
    pol->prog.name = intern(&g, nm, nlen);
    pol->prog.file = intern(&g, file, (uint32_t)strlen(file));
    cg_program(&g);
    hmap_free(&g.strings, alloc);
    hmap_free(&g.consts, alloc);
    mem_free(alloc, g.interned);
    if (g.oom) {
        st = DC_ERR_NOMEM;
        goto done;
    }
    if (g.overflow || d->nerrors) {
        st = DC_ERR_POLICY;
        goto done;
    }
    st = policy_finish(pol, err);

done:
    if (st != DC_OK) {
        dc_policy_free(pol);
        pol = NULL;
        if (st == DC_ERR_NOMEM)
            dc_error_set(err, st, "%s: out of memory", file);
        else if (st == DC_ERR_POLICY)
            dc_error_set(err, st, "%s: policy has %zu error%s", file, dc_diags_error_count(d),
                         dc_diags_error_count(d) == 1 ? "" : "s");
    }
    chk_release(&chk, alloc);
    arena_release(&ast.ar);
    if (d) {
        d->map = NULL;
        diag_sort(d);
    }
    srcmap_free(&map, alloc);
    if (diags_out)
        *diags_out = d;
    else
        dc_diags_free(d);
    *out = pol;
    return st;
}

dc_status dc_policy_compile(const char *file, const char *text, size_t len, dc_policy **out,
                            dc_diags **diags, dc_error *err)
{
    return dc_policy_compile_ex(NULL, file, text, len, out, diags, err);
}
