/* vm.c -- the evaluator: runs one block of a program against prepared facts.
 *
 * The hot path: no allocation, no hashing, no parsing of facts (prepare.c
 * did that).  Template spans are the one thing parsed here: they are cut
 * from the fact while matching.  Every loop is bounded: code only jumps
 * forward, and template backtracking has a step budget. */
#include <string.h>

#include "limits.h"
#include "vm.h"

typedef struct vm {
    const program *p;
    const dc_prepared *src, *tgt;
    dc_result *res;
    value *R;
    vm_fail *fail;
    uint32_t steps;
} vm;

static inline const pfact *fact_of(const vm *m, uint8_t t, uint16_t slot)
{
    const dc_prepared *d = (t & SIDE_SOURCE) ? m->src : m->tgt;
    return &d->slots[slot];
}

/* ------------------------------------------------------------ constraints */

static bool cmp_holds(const sv_comparator *c, const semver *v)
{
    int r = semver_cmp(v, &c->v);
    switch (c->op) {
    case SV_LT: return r < 0;
    case SV_LE: return r <= 0;
    case SV_GT: return r > 0;
    case SV_GE: return r >= 0;
    default: return r == 0;
    }
}

/* node-semver's testSet: all comparators hold, and a pre-release version
 * only passes when a comparator names a pre-release of the same x.y.z. */
static bool svset_test(const sv_comparator *cmps, uint32_t n, const semver *v)
{
    for (uint32_t i = 0; i < n; i++)
        if (!cmp_holds(&cmps[i], v))
            return false;
    if (v->pre.len == 0)
        return true;
    for (uint32_t i = 0; i < n; i++) {
        const semver *c = &cmps[i].v;
        if (c->pre.len && c->major == v->major && c->minor == v->minor &&
            c->patch == v->patch)
            return true;
    }
    return false;
}

static bool in_strs(const dstr *s, uint32_t n, const char *p, uint32_t len)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t k = s[mid].len < len ? s[mid].len : len;
        int r = memcmp(s[mid].p, p, k);
        if (r == 0)
            r = (s[mid].len > len) - (s[mid].len < len);
        if (r == 0)
            return true;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool ct_test(const program *p, const ctable *ct, const value *v)
{
    switch (ct->kind) {
    case CT_INT: {
        int64_t x = v->type == VT_HEX ? (int64_t)v->as.u : v->as.i;
        if (v->type == VT_HEX && v->as.u > INT64_MAX)
            return false;
        if (ct->small)
            return x >= 0 && x < 64 && (ct->bitmap >> x) & 1;
        const irange *r = p->ranges + ct->first;
        uint32_t lo = 0, hi = ct->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (x < r[mid].lo)
                hi = mid;
            else if (x > r[mid].hi)
                lo = mid + 1;
            else
                return true;
        }
        return false;
    }
    case CT_HEX: {
        if (v->type == VT_INT && v->as.i < 0)
            return false;
        uint64_t x = v->type == VT_INT ? (uint64_t)v->as.i : v->as.u;
        if (ct->small)
            return x < 64 && (ct->bitmap >> x) & 1;
        const irange *r = p->ranges + ct->first;
        uint32_t lo = 0, hi = ct->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (x < (uint64_t)r[mid].lo)
                hi = mid;
            else if (x > (uint64_t)r[mid].hi)
                lo = mid + 1;
            else
                return true;
        }
        return false;
    }
    case CT_STRING:
        return v->type == VT_STRING && in_strs(p->strs + ct->first, ct->n, v->as.s.p,
                                               v->as.s.len);
    case CT_SET:
        if (v->type != VT_SET)
            return false;
        for (uint32_t i = 0; i < v->as.set.n; i++)
            if (!in_strs(p->strs + ct->first, ct->n, v->as.set.items[i].p,
                         v->as.set.items[i].len))
                return false;
        return true;
    case CT_SEMVER:
        if (v->type != VT_SEMVER)
            return false;
        for (uint32_t i = 0; i < ct->n; i++) {
            const svset *s = &p->svsets[ct->first + i];
            if (svset_test(p->cmps + s->first, s->n, &v->as.v))
                return true;
        }
        return false;
    case CT_BOOL:
        return v->type == VT_BOOL && v->as.b == (ct->first != 0);
    default:
        return false;
    }
}

/* ------------------------------------------------------------ values */

/* Parse text as type t into *out; sets use the result's scratch space. */
static bool parse_as(vm *m, vtype t, const char *s, uint32_t n, value *out)
{
    if (t == VT_SET) {
        dc_result *r = m->res;
        uint32_t cap = r->nscratch - r->scratch_used, count;
        if (!set_parse(s, n, r->scratch + r->scratch_used, cap, &count))
            return false;
        out->type = VT_SET;
        out->as.set = (vset){ r->scratch + r->scratch_used, count };
        r->scratch_used += count;
        return true;
    }
    if (t == VT_STRING) {
        out->type = VT_STRING;
        out->as.s = (dstr){ s, n };
        return n > 0;
    }
    return value_parse(t, s, n, out);
}

/* The prepared value of a fact as type t, or false when it did not parse. */
static bool fact_value(const pfact *f, vtype t, value *out)
{
    if (!(f->ok & (1u << t)))
        return false;
    out->type = (uint8_t)t;
    switch (t) {
    case VT_INT: out->as.i = f->i; break;
    case VT_HEX: out->as.u = f->u; break;
    case VT_BOOL: out->as.b = f->b; break;
    case VT_SEMVER: out->as.v = f->v; break;
    case VT_SET: out->as.set = f->set; break;
    default: out->as.s = f->raw; break;
    }
    return true;
}

static bool as_int(const value *v, int64_t *out)
{
    if (v->type == VT_HEX) {
        if (v->as.u > INT64_MAX)
            return false;
        *out = (int64_t)v->as.u;
        return true;
    }
    *out = v->as.i;
    return true;
}

/* Store an arithmetic result: hex when either operand was hex, unless it is
 * negative (hex has no sign): then an int, which compares the same. */
static bool put_int(value *dst, int64_t x, bool hex)
{
    if (hex && x >= 0) {
        dst->type = VT_HEX;
        dst->as.u = (uint64_t)x;
    } else {
        dst->type = VT_INT;
        dst->as.i = x;
    }
    return true;
}

static bool cmp_result(int c, uint8_t cmp)
{
    switch (cmp) {
    case CMP_EQ: return c == 0;
    case CMP_NE: return c != 0;
    case CMP_LT: return c < 0;
    case CMP_LE: return c <= 0;
    case CMP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* ------------------------------------------------------------ templates */

static bool accept_span(vm *m, const tpart *tp, const char *s, uint32_t n)
{
    value v;
    if (tp->kind == TP_DECL) {
        if (!parse_as(m, (vtype)tp->type, s, n, &v))
            return false;
        if (tp->ctable >= 0 && !ct_test(m->p, &m->p->ctables[tp->ctable], &v))
            return false;
        m->R[tp->reg] = v;
        return true;
    }
    if (!parse_as(m, (vtype)tp->type, s, n, &v))
        return false;
    return value_equal(&v, &m->R[tp->reg]);
}

/* Match parts[k..n) against s[pos..len): 1 matched, 0 not, -1 over budget.
 * Spans are chosen greedily from the left, longest first, backtracking. */
static int tmatch(vm *m, const tpart *parts, uint32_t k, uint32_t n, const char *s,
                  uint32_t pos, uint32_t len)
{
    if (++m->steps > DC_MAX_MATCH_STEPS)
        return -1;
    if (k == n)
        return pos == len;
    const tpart *tp = &parts[k];
    if (tp->kind == TP_LIT) {
        dstr lit = prog_str(m->p, tp->lit);
        if (len - pos < lit.len || memcmp(s + pos, lit.p, lit.len) != 0)
            return 0;
        return tmatch(m, parts, k + 1, n, s, pos + lit.len, len);
    }
    if (k + 1 == n)     /* the last part: the span runs to the end */
        return len > pos && accept_span(m, tp, s + pos, len - pos);
    /* a literal follows (the checker forbids adjacent placeholders) */
    dstr lit = prog_str(m->p, parts[k + 1].lit);
    if (len - pos < lit.len + 1)
        return 0;
    uint32_t end = len - lit.len;
    if (k + 2 == n)     /* the literal ends the template: one candidate */
        return memcmp(s + end, lit.p, lit.len) == 0 && accept_span(m, tp, s + pos, end - pos)
               ? tmatch(m, parts, k + 1, n, s, end, len) : 0;
    for (;; end--) {
        if (end <= pos)
            return 0;
        if (memcmp(s + end, lit.p, lit.len) == 0) {
            if (++m->steps > DC_MAX_MATCH_STEPS)
                return -1;
            if (accept_span(m, tp, s + pos, end - pos)) {
                int r = tmatch(m, parts, k + 1, n, s, end, len);
                if (r != 0)
                    return r;
            }
        }
    }
}

/* ------------------------------------------------------------ the loop */

#define FAIL(c)                 \
    do {                        \
        f->code = (c);          \
        return false;           \
    } while (0)

bool vm_run_block(const program *p, uint32_t b, const dc_prepared *source,
                  const dc_prepared *target, dc_result *res, vm_fail *f)
{
    vm m = { p, source, target, res, res->regs, f, 0 };
    value *R = res->regs;
    const insn *code = p->code;
    uint32_t pc = p->blocks[b].entry;
    memset(f, 0, sizeof *f);
    f->slot = f->aux = -1;
    res->scratch_used = 0;

    for (;;) {
        const insn *i = &code[pc++];
        switch ((enum opcode)i->op) {
        case I_RULE:
            f->rule = p->blocks[b].first_rule + i->a;
            f->slot = p->rules[f->rule].slot;
            f->side = p->rules[f->rule].side;
            f->has_x = f->has_y = false;
            m.steps = 0;
            break;
        case I_OK:
            return true;
        case I_FAIL:
            FAIL(F_FALSE);
        case I_EMPTY: {
            const pfact *x = fact_of(&m, i->t, i->a);
            if (x->present && x->raw.len)
                FAIL(F_NOT_EMPTY);
            break;
        }
        case I_NONEMPTY: {
            const pfact *x = fact_of(&m, i->t, i->a);
            if (!x->present || !x->raw.len)
                FAIL(F_EMPTY);
            break;
        }
        case I_EQSTR:
        case I_NESTR: {
            const pfact *x = fact_of(&m, i->t, i->a);
            const value *k = &p->consts[i->b];
            f->x = *k;
            f->has_x = true;
            if (!x->present)
                FAIL(F_MISSING);
            bool eq = x->raw.len == k->as.s.len && memcmp(x->raw.p, k->as.s.p, x->raw.len) == 0;
            if (i->op == I_EQSTR ? !eq : eq)
                FAIL(eq ? F_EQUAL : F_NOT_EQUAL);
            break;
        }
        case I_LOADF: {
            const pfact *x = fact_of(&m, i->t, i->b);
            f->type = i->t & TYPE_MASK;
            if (!x->present)
                FAIL(F_MISSING);
            if (!fact_value(x, (vtype)(i->t & TYPE_MASK), &R[i->a]))
                FAIL(F_PARSE);
            break;
        }
        case I_CHECKT:
            if (!ct_test(p, &p->ctables[i->b], &R[i->a])) {
                f->aux = i->b;
                FAIL(F_CONSTRAINT);
            }
            break;
        case I_MATCH:
        case I_NMATCH: {
            const pfact *x = fact_of(&m, i->t, i->a);
            const tmpl *t = &p->tmpls[i->b];
            f->aux = i->b;
            if (!x->present)
                FAIL(F_MISSING);
            int r = tmatch(&m, p->tparts + t->first, 0, t->n, x->raw.p, 0, x->raw.len);
            if (r < 0)
                FAIL(F_BUDGET);
            if (i->op == I_MATCH ? r == 0 : r == 1)
                FAIL(r ? F_MATCH : F_NOMATCH);
            break;
        }
        case I_FCMP: {
            const pfact *x = fact_of(&m, i->t & SIDE_SOURCE, i->a);
            uint8_t type = i->t & TYPE_MASK, cmp = (i->t >> 4) & 7;
            value v;
            f->x = R[i->b];
            f->has_x = true;
            f->type = type;
            f->cmp = cmp;
            if (!x->present)
                FAIL(F_MISSING);
            if (!fact_value(x, (vtype)type, &v))
                FAIL(F_PARSE);
            int c;
            if (type == VT_SET) {
                if (cmp != CMP_EQ && cmp != CMP_NE)
                    FAIL(F_COMPARE);
                c = !set_equal(&v.as.set, &R[i->b].as.set);
            } else {
                c = value_cmp(&v, &R[i->b]);
            }
            if (!cmp_result(c, cmp))
                FAIL(cmp == CMP_EQ ? F_NOT_EQUAL : cmp == CMP_NE ? F_EQUAL : F_COMPARE);
            break;
        }
        case I_WHERE:
            if (!R[i->a].as.b)
                FAIL(F_FALSE);
            break;
        case I_LOADK:
            R[i->a] = p->consts[i->b];
            break;
        case I_MOVE:
            R[i->a] = R[i->b];
            break;
        case I_FIELD: {
            const pfact *x = fact_of(&m, i->t, i->b);
            if (!x->present) {
                f->slot = i->b;
                f->side = i->t & SIDE_SOURCE;
                FAIL(F_OPERAND_ABSENT);
            }
            R[i->a].type = VT_STRING;
            R[i->a].as.s = x->raw;
            break;
        }
        case I_FIELDT: {
            const pfact *x = fact_of(&m, i->t, i->b);
            f->slot = i->b;
            f->side = i->t & SIDE_SOURCE;
            f->type = i->t & TYPE_MASK;
            if (!x->present)
                FAIL(F_OPERAND_ABSENT);
            if (!fact_value(x, (vtype)(i->t & TYPE_MASK), &R[i->a]))
                FAIL(F_CONVERT);
            break;
        }
        case I_HAS: {
            const pfact *x = fact_of(&m, i->t, i->b);
            R[i->a].type = VT_BOOL;
            R[i->a].as.b = x->present && x->raw.len > 0;
            break;
        }
        case I_CONV: {
            value v = R[i->b];
            f->type = i->t & TYPE_MASK;
            f->x = v;
            f->has_x = true;
            if (!parse_as(&m, (vtype)(i->t & TYPE_MASK), v.as.s.p, v.as.s.len, &R[i->a]))
                FAIL((i->t & TYPE_MASK) == VT_SET ? F_SCRATCH : F_CONVERT);
            break;
        }
        case I_NEG: {
            int64_t x;
            if (!as_int(&R[i->b], &x) || x == INT64_MIN)
                FAIL(F_OVERFLOW);
            if (!put_int(&R[i->a], -x, R[i->b].type == VT_HEX))
                FAIL(F_OVERFLOW);
            break;
        }
        case I_NOT:
            R[i->a].type = VT_BOOL;
            R[i->a].as.b = !R[i->b].as.b;
            break;
        case I_ADD: case I_SUB: case I_MUL: case I_DIV: case I_MOD: {
            int64_t x, y, z = 0;
            bool hex = R[i->b].type == VT_HEX || R[i->c].type == VT_HEX;
            f->x = R[i->b];
            f->y = R[i->c];
            f->has_y = true;
            if (!as_int(&R[i->b], &x) || !as_int(&R[i->c], &y))
                FAIL(F_OVERFLOW);
            bool over = false;
            switch (i->op) {
            case I_ADD: over = __builtin_add_overflow(x, y, &z); break;
            case I_SUB: over = __builtin_sub_overflow(x, y, &z); break;
            case I_MUL: over = __builtin_mul_overflow(x, y, &z); break;
            case I_DIV:
                if (y == 0)
                    FAIL(F_DIVZERO);
                if (x == INT64_MIN && y == -1)
                    FAIL(F_OVERFLOW);
                if (x % y != 0)
                    FAIL(F_INEXACT);
                z = x / y;
                break;
            default:
                if (y == 0)
                    FAIL(F_DIVZERO);
                z = (y == -1) ? 0 : x % y;
                break;
            }
            if (over || !put_int(&R[i->a], z, hex))
                FAIL(F_OVERFLOW);
            f->has_y = false;
            break;
        }
        case I_LT: case I_LE: case I_GT: case I_GE: {
            int c = value_cmp(&R[i->b], &R[i->c]);
            uint8_t cmp = (uint8_t)(CMP_LT + (i->op - I_LT));
            R[i->a].type = VT_BOOL;
            R[i->a].as.b = cmp_result(c, cmp);
            break;
        }
        case I_EQ:
        case I_NE: {
            bool eq = value_equal(&R[i->b], &R[i->c]);
            R[i->a].type = VT_BOOL;
            R[i->a].as.b = i->op == I_EQ ? eq : !eq;
            break;
        }
        case I_JF:
            if (!R[i->a].as.b)
                pc += i->b;
            break;
        case I_JT:
            if (R[i->a].as.b)
                pc += i->b;
            break;
        case I_MAJOR: case I_MINOR: case I_PATCH: {
            const semver *v = &R[i->b].as.v;
            uint64_t x = i->op == I_MAJOR ? v->major : i->op == I_MINOR ? v->minor : v->patch;
            if (x > INT64_MAX)
                FAIL(F_OVERFLOW);
            R[i->a].type = VT_INT;
            R[i->a].as.i = (int64_t)x;
            break;
        }
        case I_LEN: {
            const value *v = &R[i->b];
            int64_t n = v->type == VT_SET ? v->as.set.n : v->as.s.len;
            R[i->a].type = VT_INT;
            R[i->a].as.i = n;
            break;
        }
        case I_CONTAINS: {
            bool in = set_contains(&R[i->b].as.set, R[i->c].as.s.p, R[i->c].as.s.len);
            R[i->a].type = VT_BOOL;
            R[i->a].as.b = in;
            break;
        }
        case I_SUBSET: {
            bool sub = set_subset(&R[i->b].as.set, &R[i->c].as.set);
            R[i->a].type = VT_BOOL;
            R[i->a].as.b = sub;
            break;
        }
        case I_MIN:
        case I_MAX: {
            int64_t x, y;
            bool hex = R[i->b].type == VT_HEX || R[i->c].type == VT_HEX;
            if (!as_int(&R[i->b], &x) || !as_int(&R[i->c], &y))
                FAIL(F_OVERFLOW);
            int64_t z = i->op == I_MIN ? (x < y ? x : y) : (x > y ? x : y);
            if (!put_int(&R[i->a], z, hex))
                FAIL(F_OVERFLOW);
            break;
        }
        default:
            /* unreachable for verified programs */
            FAIL(F_FALSE);
        }
    }
}
