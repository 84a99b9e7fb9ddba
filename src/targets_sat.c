/* targets_sat.c -- whether a block's residues can all hold: domains of the
 * open variables, a witness, and the residues evaluated with it (targets.c;
 * docs/targets.md, "Never wrong").
 */
#include "targets_int.h"

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
    int32_t v = tg_var_of_reg(p, 0, reg);
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
    if (tg_dn_known(x, l) && !tg_dn_known(x, r)) {
        int32_t z = l;
        l = r;
        r = z;
        op = tg_mirror(op);
    }
    if (!tg_node_value(x, r, &k))
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
    if (b < 0 || t->n[b].kind != DN_OP || t->n[b].op != I_BITS || !tg_dn_value(x, a, &k) ||
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
    if (tg_node_value(x, k, &v)) {
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
        uint32_t count = tg_c_rec_count(x->c, n->arg);
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
        int32_t e = tg_dn_get(c, (dtree *)t, block, parts[k].reg);
        if (!tg_dn_tainted(t, e))
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
bool tg_conv_eval(uint8_t type, const value *a, value *out)
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
        if (r < 0 || n->arg >= p->nrecfields || !prep_cold_c(c->src)->rec_field)
            return false;
        dstr f = prep_cold_c(c->src)->rec_field[n->arg][r];
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
    uint32_t count = tg_c_rec_count(c, n->arg);
    rctx y = *x;
    for (uint32_t r = 0; r < count; r++) {
        value v;
        y.rec[level] = (int32_t)r;
        if (!tg_wit_eval(s, &y, n->a, W, &v, depth + 1) || v.type != VT_BOOL)
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
bool tg_wit_eval(solver *s, const rctx *x, int32_t k, const value *W, value *out, int depth)
{
    const dtree *t = x->t;
    if (k < 0 || depth > MAX_RENDER_DEPTH)
        return false;
    if (tg_dn_value(x, k, out))
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
            return tg_source_value(x->c, n->arg, n->t & TYPE_MASK, out);
        if (!f->present)
            return false;
        *out = (value){ .type = VT_STRING, .as.s = f->raw };
        return true;
    }
    value a, b;
    if (n->kind == DN_AND || n->kind == DN_OR) {
        if (!tg_wit_eval(s, x, n->a, W, &a, depth + 1) || a.type != VT_BOOL)
            return false;
        if (a.as.b == (n->kind == DN_OR)) {
            *out = a;
            return true;
        }
        return tg_wit_eval(s, x, n->b, W, out, depth + 1) && out->type == VT_BOOL;
    }
    if (n->kind != DN_OP || !tg_wit_eval(s, x, n->a, W, &a, depth + 1))
        return false;
    int64_t p, q, z;
    switch ((enum opcode)n->op) {
    case I_NOT:
        if (a.type != VT_BOOL)
            return false;
        *out = (value){ .type = VT_BOOL, .as.b = !a.as.b };
        return true;
    case I_CONV: return tg_conv_eval(n->t & TYPE_MASK, &a, out);
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
    if (!tg_wit_eval(s, x, n->b, W, &b, depth + 1))
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
    if (tg_decompile(c, ri, &w->t, &w->test, false) != DC_OK)
        return false;
    /* the nodes, now: dn_get reads the decompiler's tables of this rule */
    const program *p = c->p;
    const insn *i = &p->code[w->test];
    uint32_t block = c->rules[ri].block;
    w->root = i->op == I_WHERE  ? tg_dn_get(c, &w->t, block, i->a)
              : i->op == I_FCMP ? tg_dn_get(c, &w->t, block, i->b)
                                : -1;
    if (i->op == I_MATCH || i->op == I_NMATCH) {
        const tmpl *tm = &p->tmpls[i->b];
        for (uint32_t k = 0; k < tm->n && k < 2 * DC_MAX_PLACEHOLDERS + 1; k++) {
            const tpart *tp = &p->tparts[tm->first + k];
            w->part[k] = tp->kind == TP_CMP ? tg_dn_get(c, &w->t, block, tp->reg) : -1;
        }
    }
    if (c->oom)
        return false;
    if (tg_compute_known(c, ri, tgt, false)) {
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
        if (tg_wit_eval(s, &x, w->root, W, &v, 0) && v.type == VT_BOOL)
            return v.as.b;
    } else if (i->op == I_FCMP && (i->t & SIDE_SOURCE)) {
        uint8_t cmp = (i->t >> 4) & 7;
        if (cmp <= CMP_GE && tg_source_value(c, i->a, i->t & TYPE_MASK, &sv) &&
            tg_wit_eval(s, &x, w->root, W, &v, 0)) {
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
            if (!tg_wit_eval(s, &x, w->part[k], W, &v, 0))
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
    if (tg_decompile(c, ri, &t, &test, true) != DC_OK) {
        s->undecided = true;
        goto done;
    }
    bool loops = tg_has_loops(&t);
    bool known = tg_compute_known(c, ri, tgt, loops);
    rctx x = { c,        &t, known ? c->res->regs : NULL, c->rules[ri].block, 0, loops, { 0 },
               { NULL }, 0 };
    const insn *i = &p->code[test];
    value sv;
    if (i->op == I_WHERE) {
        narrow_bool(s, &x, tg_dn_get(c, &t, x.block, i->a), 0);
    } else if (i->op == I_FCMP && (i->t & SIDE_SOURCE)) {
        uint8_t cmp = (i->t >> 4) & 7;
        int32_t e = tg_dn_get(c, &t, x.block, i->b);
        sdom *d = open_var(s, &t, e);
        if (!(cmp <= CMP_GE && d && tg_source_value(c, i->a, i->t & TYPE_MASK, &sv) &&
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
bool tg_capture_text(tctx *c, const rctx *x, const insn *i, sink *b, int *truth)
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
        int32_t e = tp->kind == TP_CMP ? tg_dn_get(c, (dtree *)x->t, x->block, tp->reg) : -1;
        if (e < 0 || !tg_dn_tainted(x->t, e) || x->t->n[e].kind != DN_VAR ||
            s.n == DC_MAX_PLACEHOLDERS)
            continue;
        int32_t v = tg_var_of_reg(p, 0, x->t->n[e].arg);
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
        int32_t v = tg_var_of_reg(p, 0, d[k].reg);
        if (k)
            sink_puts(b, " && ");
        uint32_t vi = (uint32_t)v - self->first_var;
        if (c->whole[vi] >= 0) {
            tg_put_dstr(b, prog_str(p, p->slots[c->whole[vi]].name));
            sink_puts(b, " = ");
            tg_put_value(b, &d[k].hint);
        } else {
            tg_put_dstr(b, prog_str(p, p->vars[v].name));
            sink_puts(b, " == ");
            tg_put_literal(b, &d[k].hint);
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
                if (!tg_dn_value(&x, (int32_t)j, &kv) || !as_i64(&kv, &i))
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
        return tg_nomem(c);
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
    const uint32_t *rec_n = prep_cold_c(c->src)->rec_n;
    uint32_t n = rec_n ? rec_n[set] : 0;
    dc_status st = DC_OK;
    for (uint32_t f = 0; f < p->nrecfields && st == DC_OK; f++) {
        if (p->recfields[f].set != set)
            continue;
        dstr fname = prog_str(p, p->recfields[f].name);
        for (uint32_t k = 0; k < n && st == DC_OK; k++) {
            dstr v = prep_cold_c(c->src)->rec_field[f][k];
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
    for (uint32_t u = 0; u < tg_nunits(p); u++) {
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
            tg_nomem(c);
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
            tg_put_value(&t, &W[d - s->d]);
            dstr name = prog_str(p, p->slots[c->whole[v]].name);
            st = t.failed ? tg_nomem(c)
                          : witness_fact(c, g, name.p, name.len, sink_str(&t), t.len, &bad);
            sink_free(&t);
        }
        for (uint32_t u = p->nslots; u < tg_nunits(p) && st == DC_OK && variant == 0; u++)
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
int tg_block_satisfiable(tctx *c, uint32_t b, const dc_facts *f, const dc_prepared *tgt)
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
