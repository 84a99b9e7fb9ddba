/* vm.c -- the evaluator: runs one block of a program against prepared facts.
 *
 * The hot path: no allocation, no hashing, no parsing of facts (prepare.c
 * did that).  Template spans are the one thing parsed here: they are cut
 * from the fact while matching.  Every loop is bounded: code only jumps
 * forward, and template backtracking has a step budget. */
#include <string.h>

#include "facts_chars.h"
#include "limits.h"
#include "vm.h"

typedef struct vm {
    const program *p;
    const dc_prepared *src, *tgt;
    dc_result *res;
    value *R;
    vm_fail *fail;
    uint32_t steps;
    bool set_over; /* a set span had more than DC_MAX_SET_ITEMS items */
} vm;

/* ------------------------------------------------------------ constraints */

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
        return v->type == VT_STRING &&
               in_strs(p->strs + ct->first, ct->n, v->as.s.p, v->as.s.len);
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
            if (sv_set_test(p->cmps + s->first, s->n, &v->as.v))
                return true;
        }
        return false;
    case CT_BOOL: return v->type == VT_BOOL && v->as.b == (ct->first != 0);
    default: return false;
    }
}

/* ------------------------------------------------------------ values */

/* Parse text as type t into *out; sets use the result's scratch space. */
static bool parse_as(vm *m, vtype t, const char *s, uint32_t n, value *out)
{
    if (t == VT_SET) {
        /* one limit for a set, wherever it is parsed (docs/language.md,
         * section 13), within the room the check has left */
        dc_result *r = m->res;
        uint32_t cap = r->nscratch - r->scratch_used, count;
        if (cap > DC_MAX_SET_ITEMS)
            cap = DC_MAX_SET_ITEMS;
        if (!set_parse(s, n, r->scratch + r->scratch_used, cap, &count)) {
            m->set_over = true;
            return false;
        }
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

/* Does comparison cmp hold for an outcome c (<0, 0, >0)?  Without a branch:
 * bit (sign + 1) of each mask says whether cmp holds for that sign. */
static inline bool cmp_result(int c, uint8_t cmp)
{
    static const uint8_t holds[8] = {
        [CMP_EQ] = 2,
        [CMP_NE] = 5,
        [CMP_LT] = 1,
        [CMP_LE] = 3,
        [CMP_GT] = 4,
        [CMP_GE] = 6,
        6,
        6, /* codes 6 and 7 read as >=, as the switch they replace did */
    };
    int sign = (c > 0) - (c < 0);
    return (holds[cmp & 7] >> (sign + 1)) & 1;
}

/* CHECKT's test: a small int table inline, the rest through ct_test. */
static inline bool ct_holds(const program *p, const ctable *ct, const value *v)
{
    return ct->small && ct->kind == CT_INT && v->type == VT_INT
               ? (uint64_t)v->as.i < 64 && (ct->bitmap >> v->as.i) & 1
               : ct_test(p, ct, v);
}

/* Fact x as type t into *out, as pfact_value gives it after `present`: of
 * the value in its pfact (pfact.type: set only when present and parsed)
 * an int's, hex's or bool's 8 bytes of the member (the rest of the
 * register is left as it was: nothing reads it) or a semver, of a first
 * value out of line (a semver, a set) all of it, without pfact_value's
 * tests. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline bool
fact_load(const pfact *x, uint8_t t, value *out)
{
    if (x->type == t && x->present) {
        out->type = t;
        if (t != VT_SEMVER)
            out->as.i = x->as.i;
        else
            out->as.v = pword_semver(x->as);
        return true;
    }
    const value *m = (const value *)(const void *)((const char *)x + x->more);
    if (x->nmore && m->type == t) {
        *out = *m;
        return true;
    }
    return x->present && pfact_value(x, (vtype)t, out);
}

/* ------------------------------------------------------------ templates */

static bool accept_span(vm *m, const tpart *tp, const char *s, uint32_t n)
{
    value v;
    if (tp->kind == TP_DECL && tp->type == VT_INT) {
        /* `prefix{n:int:1,2,4,8}`: the common shape, without the detours */
        int64_t x;
        if (!parse_int(s, n, &x))
            return false;
        v = (value){ .type = VT_INT, .as.i = x };
        if (tp->ctable >= 0 && !ct_holds(m->p, &m->p->ctables[tp->ctable], &v))
            return false;
        m->R[tp->reg] = v;
        return true;
    }
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
    /* a candidate that fails gives back the set items it parsed */
    uint32_t mark = m->res ? m->res->scratch_used : 0;
    int r = 0;
    if (k + 1 == n) { /* the last part: the span runs to the end */
        r = len > pos && accept_span(m, tp, s + pos, len - pos);
        goto out;
    }
    /* a literal follows (the checker forbids adjacent placeholders) */
    dstr lit = prog_str(m->p, parts[k + 1].lit);
    if (len - pos < lit.len + 1)
        return 0;
    uint32_t end = len - lit.len;
    if (k + 2 == n) { /* the literal ends the template: one candidate */
        if (memcmp(s + end, lit.p, lit.len) == 0 && accept_span(m, tp, s + pos, end - pos))
            r = tmatch(m, parts, k + 1, n, s, end, len);
        goto out;
    }
    for (; end > pos; end--) {
        if (memcmp(s + end, lit.p, lit.len) != 0)
            continue;
        if (++m->steps > DC_MAX_MATCH_STEPS) {
            r = -1;
            break;
        }
        if (accept_span(m, tp, s + pos, end - pos)) {
            r = tmatch(m, parts, k + 1, n, s, end, len);
            if (r != 0)
                break;
        }
        if (m->res)
            m->res->scratch_used = mark;
    }
out:
    if (r != 1 && m->res)
        m->res->scratch_used = mark;
    return r;
}

bool vm_prematchable(const program *p, const tmpl *t)
{
    for (uint32_t k = 0; k < t->n; k++) {
        const tpart *tp = &p->tparts[t->first + k];
        if (tp->kind == TP_CMP || (tp->kind == TP_DECL && tp->type == VT_SET))
            return false;
    }
    return true;
}

int vm_prematch(const program *p, const tmpl *t, const char *s, uint32_t len, value *R,
                uint32_t *steps)
{
    const tpart *tp = p->tparts + t->first;
    if (t->n == 2 && tp[0].kind == TP_LIT && tp[1].kind == TP_DECL && tp[1].type == VT_INT &&
        *steps + 2 <= DC_MAX_MATCH_STEPS) {
        /* `prefix{n:int:...}`, the common shape, as tmatch matches it: one
         * step for the literal, one for the span after it, which must not
         * be empty (accept_span) */
        dstr lit = prog_str(p, tp[0].lit);
        *steps += 1;
        if (len < lit.len || memcmp(s, lit.p, lit.len) != 0)
            return 0;
        *steps += 1;
        vm m = { p, NULL, NULL, NULL, R, NULL, *steps, false };
        return len > lit.len && accept_span(&m, &tp[1], s + lit.len, len - (uint32_t)lit.len);
    }
    /* no set declaration: parse_as never needs the result's scratch */
    vm m = { p, NULL, NULL, NULL, R, NULL, *steps, false };
    int r = tmatch(&m, p->tparts + t->first, 0, t->n, s, 0, len);
    *steps = m.steps;
    return r;
}

/* Does x cmp y hold?  One test of the two ints, not cmp_result's sign
 * and table (codes 6 and 7 read as >=, as there); == first, without the
 * switch's jump through a table: a where's common term. */
static inline bool cmp_ints(int64_t x, int64_t y, uint8_t cmp)
{
    if (cmp == CMP_EQ)
        return x == y;
    switch (cmp & 7) {
    case CMP_EQ: return x == y;
    case CMP_NE: return x != y;
    case CMP_LT: return x < y;
    case CMP_LE: return x <= y;
    case CMP_GT: return x > y;
    default: return x >= y;
    }
}

/* *z = x op y for ADD, SUB or MUL: true when it overflows. */
static inline bool int_arith(uint8_t op, int64_t x, int64_t y, int64_t *z)
{
    return op == I_MUL   ? __builtin_mul_overflow(x, y, z)
           : op == I_ADD ? __builtin_add_overflow(x, y, z)
                         : __builtin_sub_overflow(x, y, z);
}

/* ------------------------------------------------------------ bits() */

/* The indices 0..63 as text, and in the byte order of that text (a set's
 * order): 0 1 10 11 ... 19 2 20 ... */
/* clang-format off */
#define BIT_NAME(n) { #n, sizeof #n - 1 }
static const dstr bit_names[64] = {
    BIT_NAME(0),  BIT_NAME(1),  BIT_NAME(2),  BIT_NAME(3),  BIT_NAME(4),  BIT_NAME(5),
    BIT_NAME(6),  BIT_NAME(7),  BIT_NAME(8),  BIT_NAME(9),  BIT_NAME(10), BIT_NAME(11),
    BIT_NAME(12), BIT_NAME(13), BIT_NAME(14), BIT_NAME(15), BIT_NAME(16), BIT_NAME(17),
    BIT_NAME(18), BIT_NAME(19), BIT_NAME(20), BIT_NAME(21), BIT_NAME(22), BIT_NAME(23),
    BIT_NAME(24), BIT_NAME(25), BIT_NAME(26), BIT_NAME(27), BIT_NAME(28), BIT_NAME(29),
    BIT_NAME(30), BIT_NAME(31), BIT_NAME(32), BIT_NAME(33), BIT_NAME(34), BIT_NAME(35),
    BIT_NAME(36), BIT_NAME(37), BIT_NAME(38), BIT_NAME(39), BIT_NAME(40), BIT_NAME(41),
    BIT_NAME(42), BIT_NAME(43), BIT_NAME(44), BIT_NAME(45), BIT_NAME(46), BIT_NAME(47),
    BIT_NAME(48), BIT_NAME(49), BIT_NAME(50), BIT_NAME(51), BIT_NAME(52), BIT_NAME(53),
    BIT_NAME(54), BIT_NAME(55), BIT_NAME(56), BIT_NAME(57), BIT_NAME(58), BIT_NAME(59),
    BIT_NAME(60), BIT_NAME(61), BIT_NAME(62), BIT_NAME(63),
};
#undef BIT_NAME
/* clang-format on */

static const uint8_t bit_order[64] = {
    0,  1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 2, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    29, 3, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 4, 40, 41, 42, 43, 44, 45, 46, 47, 48,
    49, 5, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 6, 60, 61, 62, 63, 7,  8,  9,
};

/* ------------------------------------------------------------ the loop */

/* Dispatch: computed goto where the compiler has it (GCC, clang: one
 * indirect jump per instruction, each with its own branch history), a
 * switch elsewhere or with -DDC_VM_SWITCH.  Both run the same bodies. */
#if defined(__GNUC__) && !defined(DC_VM_SWITCH)
#define VM_GOTO 1
#endif

#ifdef VM_GOTO
#define VM_DISPATCH goto *labels[i->op];
#define VM_END
#define CASE(name) L_##name:
#define NEXT                                                                                   \
    do {                                                                                       \
        i++;                                                                                   \
        goto *labels[i->op];                                                                   \
    } while (0)
#else
#define VM_DISPATCH                                                                            \
    for (;; i++) {                                                                             \
        switch ((enum opcode)i->op) {
#define VM_END                                                                                 \
    default: goto bad;                                                                         \
        }                                                                                      \
        }
#define CASE(name) case I_##name:
#define NEXT       continue
#endif

/* A register operand: a byte offset into the register file (vmlink.c). */
#define REG(off) (*(value *)((char *)R + (off)))

/* A register operand an instruction only reads: one of SELF's values read
 * in place (at byte offset off of S, SELF's packed values) when the xinsn's
 * `self` has bit xs, else a register (vmlink.c, "SELF in place"). */
#define IN(off, xs)        IN_OF(i, off, xs)
#define IN_OF(in, off, xs) ((const value *)(((in)->self & (xs) ? S : (const char *)R) + (off)))

/* *to = a value IN gave: the bytes its type uses (value_unpack), as a
 * packed value in place has no more; the rest of *to is zero. */
#define TAKE(to, from)                                                                         \
    do {                                                                                       \
        *(to) = (value){ 0 };                                                                  \
        value_unpack((const char *)(from), (to));                                              \
    } while (0)

/* The fact instruction `in` reads: vmlink.c resolved its slot operand to the
 * byte offset `fo` in the prepared device `side` names (the source's when t
 * has SIDE_SOURCE, else the target's). */
#define FACT(in) ((const pfact *)((const char *)facts[(in)->side] + (in)->fo))

/* The fail record is written only when a rule fails.  Code only jumps
 * forward within a rule, so the rule that failed is the nearest RULE before
 * the failing instruction (each xinsn knows it, vmlink.c); its slot and
 * side are the rule's unless FIELD/FIELDT named another since (slot_at),
 * and the value shown is the one CONV stored since (x_at), or the failing
 * instruction's own.  Nothing a reason reads differs from recording as the
 * rules run. */
#define FAIL(c)                                                                                \
    do {                                                                                       \
        fc = (c);                                                                              \
        goto fail;                                                                             \
    } while (0)

/* Block b's first xinsn.  SELF's values in the registers (S NULL: a
 * caller that ran SELF itself): the code that reads them there. */
static inline const xinsn *block_code(const program *p, uint32_t b, const char *S)
{
    return (S || !p->xcode_regs ? p->xcode : p->xcode_regs) + p->xentry[b];
}

#if defined(VM_GOTO) && defined(__GNUC__) && !defined(__clang__)
/* keep one dispatch jump per instruction body: merged, they predict badly */
__attribute__((optimize("no-crossjumping")))
#endif
dc_status
vm_run_blocks(const program *p, uint32_t b, uint32_t last, dc_result *res, vm_fail *f,
              const char *S)
{
#ifdef VM_GOTO
    /* every byte value has a label: no bounds check when dispatching */
    static const void *const labels[256] = {
#define OP(name, operands, types, doc) [I_##name] = &&L_##name,
#define SUPER(name, operands, doc)     [I_##name] = &&L_##name,
#include "opcodes.def"
#undef SUPER
#undef OP
        [I__ALL... 255] = &&bad,
    };
#endif
    const pfact *const facts[2] = { res->target->slots, res->source->slots };
    value *R = res->regs;
    const xinsn *i;
    uint32_t x_at, slot_at; /* 1 + index of the last CONV, FIELDT */
    /* the loops running (EACH): their device, record and record count;
     * written by EACH before its body reads them (the verifier sees that
     * no jump lands in a body but from its EACH), so not set here */
    const dc_prepared *ldev[LOOP_DEPTH];
    uint32_t lrec[LOOP_DEPTH], lend[LOOP_DEPTH];
    bool fx, fy, fs; /* the failing insn showed x, y, slot */
    uint8_t fc;
    int64_t wx, wy; /* a WARITH's or WFIELD's two ints for its WCMP */
    i = block_code(p, b, S);
enter:
    x_at = slot_at = 0;
    fx = fy = fs = false;
    f->type = f->cmp = 0;
    f->aux = -1;
    /* sets SELF bound stay valid in every COMPATIBLE block */
    res->scratch_used = b == 0 ? 0 : res->scratch_self;
    if (b == 0) /* SELF starts a check, and its template budget */
        res->match_steps = 0;

    VM_DISPATCH
    CASE(RULE)
    NEXT;
    CASE(OK)
    if (b == 0)
        res->scratch_self = res->scratch_used;
    res->block = (int32_t)b - 1;
    res->verdict = DC_COMPATIBLE;
    return DC_OK;
    CASE(FAIL)
    FAIL(F_FALSE);
    CASE(EMPTY)
    {
        const pfact *x = FACT(i);
        if (x->present && x->raw.len)
            FAIL(F_NOT_EMPTY);
        NEXT;
    }
    CASE(NONEMPTY)
    {
        const pfact *x = FACT(i);
        if (!x->present || !x->raw.len)
            FAIL(F_EMPTY);
        NEXT;
    }
    CASE(EQSTR)
    CASE(NESTR)
    {
        const pfact *x = FACT(i);
        const value *k = &p->consts[i->b];
        if (!x->present) {
            fc = F_MISSING;
            goto fail_const;
        }
        bool eq = x->raw.len == k->as.s.len && memcmp(x->raw.p, k->as.s.p, x->raw.len) == 0;
        if (i->op == I_EQSTR ? !eq : eq) {
            fc = eq ? F_EQUAL : F_NOT_EQUAL;
            goto fail_const;
        }
        NEXT;
    fail_const:
        f->x = *k;
        fx = true;
        goto fail;
    }
    CASE(LOADF)
    {
        const pfact *x = FACT(i);
        if (!fact_load(x, i->t & TYPE_MASK, &REG(i->a))) {
            f->type = i->t & TYPE_MASK;
            FAIL(x->present ? F_PARSE : F_MISSING);
        }
        NEXT;
    }
    CASE(CHECKT)
    if (!ct_holds(p, &p->ctables[i->b], &REG(i->a))) {
        f->aux = i->b;
        FAIL(F_CONSTRAINT);
    }
    NEXT;
    CASE(LOADFB)
    {
        /* an int whose bit is set in the table's bitmap (d) */
        const pfact *x = FACT(i);
        if (x->type == VT_INT && x->present && (uint64_t)x->as.i < 32 &&
            (i->d >> x->as.i) & 1) {
            REG(i->a).type = VT_INT;
            REG(i->a).as.i = x->as.i;
            NEXT;
        }
        goto loadft;
    }
    CASE(LOADFT)
loadft : {
    const pfact *x = FACT(i);
    if (!fact_load(x, i->t & TYPE_MASK, &REG(i->a))) {
        f->type = i->t & TYPE_MASK;
        FAIL(x->present ? F_PARSE : F_MISSING);
    }
    if (!ct_holds(p, &p->ctables[i->c], &REG(i->a))) {
        f->aux = i->c;
        FAIL(F_CONSTRAINT);
    }
    NEXT;
}
    CASE(PMATCH)
    {
        /* the template was matched when the facts were prepared */
        const dc_prepared *d = (i->t & SIDE_SOURCE) ? res->source : res->target;
        if (i->b < d->npm) {
            const pmatch *pm = &d->pm[i->b];
            if (pm->result == 1 && pm->slot == i->a) {
                const pbind *bd = pmatch_binds(pm);
                if (pm->nbinds == 1) { /* `prefix{n:int}`: the common shape */
                    R[bd->reg] = bd->v;
                    NEXT;
                }
                for (uint32_t k = 0; k < pm->nbinds; k++)
                    R[bd[k].reg] = bd[k].v;
                NEXT;
            }
        }
        goto match;
    }
    CASE(MATCH)
    CASE(NMATCH)
match : {
    const dc_prepared *d = (i->t & SIDE_SOURCE) ? res->source : res->target;
    const pfact *x = &d->slots[i->a];
    const pmatch *pm = i->b < d->npm ? &d->pm[i->b] : NULL;
    int r = 0;
    if (!x->present) {
        fc = F_MISSING;
    } else {
        if (pm && pm->result != PM_LIVE && pm->slot == i->a) {
            r = pm->result;
            for (uint32_t k = 0; k < pm->nbinds; k++)
                R[pmatch_binds(pm)[k].reg] = pmatch_binds(pm)[k].v;
        } else {
            /* every template of a check draws on one step budget */
            vm m = { p, res->source, res->target, res, R, f, res->match_steps, false };
            const tmpl *t = &p->tmpls[i->b];
            r = tmatch(&m, p->tparts + t->first, 0, t->n, x->raw.p, 0, x->raw.len);
            res->match_steps = m.steps;
            if (r == 0 && m.set_over && i->op != I_NMATCH)
                r = -2; /* no match, and a set span was over the limit */
        }
        if (r == -2)
            fc = F_SCRATCH;
        else if (r < 0)
            fc = F_BUDGET;
        else if (i->op != I_NMATCH ? r == 0 : r == 1)
            fc = r ? F_MATCH : F_NOMATCH;
        else
            NEXT;
    }
    f->aux = i->b;
    goto fail;
}
    /* `field = {var}` of a string, int or hex slot: equal, inline; anything
     * else (absent, unparsed, another type in the register, a failure) goes
     * the general way, which writes the record */
    CASE(FCMPS)
    {
        const pfact *x = FACT(i);
        const value *y = IN(i->b, XS_B);
        if (!(x->ok & (1u << VT_STRING)) || y->type != VT_STRING)
            goto fcmp;
        if (x->raw.len == y->as.s.len && bytes_equal(x->raw.p, y->as.s.p, x->raw.len))
            NEXT;
        goto fcmp_ne;
    }
    CASE(FCMPI)
    {
        const pfact *x = FACT(i);
        const value *y = IN(i->b, XS_B);
        if (x->type != VT_INT || y->type != VT_INT)
            goto fcmp;
        if (x->as.i == y->as.i)
            NEXT;
        goto fcmp_ne;
    }
    CASE(FCMPH)
    {
        const pfact *x = FACT(i);
        const value *y = IN(i->b, XS_B);
        if (x->type != VT_HEX || y->type != VT_HEX)
            goto fcmp;
        if (x->as.u == y->as.u)
            NEXT;
        goto fcmp_ne;
    }
    CASE(FCMPK)
    {
        const value *y = &REG(i->b);
        REG(i->b) = p->consts[i->c]; /* the LOADK */
        const pfact *x = FACT(i);
        uint8_t type = i->t & TYPE_MASK;
        if (x->type == type && y->type == type && (type == VT_INT || type == VT_HEX)) {
            int c = type == VT_INT ? (x->as.i > y->as.i) - (x->as.i < y->as.i)
                                   : (x->as.u > y->as.u) - (x->as.u < y->as.u);
            if (cmp_result(c, (i->t >> 4) & 7))
                NEXT;
        }
        goto fcmp;
    }
    CASE(FCMP)
fcmp : {
    const pfact *x = FACT(i);
    uint8_t type = i->t & TYPE_MASK, cmp = (i->t >> 4) & 7;
    value v;
    if (!x->present) {
        fc = F_MISSING;
        goto fail_fcmp;
    }
    if (!(x->ok & (1u << type))) {
        fc = F_PARSE;
        goto fail_fcmp;
    }
    const value *y = IN(i->b, XS_B);
    int c;
    /* the common cases without a call; value_cmp for the rest */
    if (type == VT_INT && x->type == VT_INT && y->type == VT_INT) {
        c = (x->as.i > y->as.i) - (x->as.i < y->as.i);
    } else if (type == VT_HEX && x->type == VT_HEX && y->type == VT_HEX) {
        c = (x->as.u > y->as.u) - (x->as.u < y->as.u);
    } else if (type == VT_STRING && y->type == VT_STRING) {
        uint32_t n = x->raw.len < y->as.s.len ? x->raw.len : y->as.s.len;
        c = memcmp(x->raw.p, y->as.s.p, n);
        if (c == 0)
            c = (x->raw.len > y->as.s.len) - (x->raw.len < y->as.s.len);
    } else if (!pfact_value(x, (vtype)type, &v)) {
        fc = F_PARSE;
        goto fail_fcmp;
    } else if (type == VT_SET) {
        if (cmp != CMP_EQ && cmp != CMP_NE) {
            fc = F_COMPARE;
            goto fail_fcmp;
        }
        c = !set_equal(&v.as.set, &y->as.set);
    } else {
        c = value_cmp(&v, y);
    }
    if (cmp_result(c, cmp))
        NEXT;
    fc = cmp == CMP_EQ ? F_NOT_EQUAL : cmp == CMP_NE ? F_EQUAL : F_COMPARE;
    goto fail_fcmp;
fcmp_ne: /* FCMPS/I/H: present, of the type, and not equal */
    fc = F_NOT_EQUAL;
    type = i->t & TYPE_MASK;
    cmp = CMP_EQ;
fail_fcmp:
    TAKE(&f->x, IN(i->b, XS_B));
    fx = true;
    f->type = type;
    f->cmp = cmp;
    goto fail;
}
    CASE(WHERE)
    CASE(WHEREF)
    if (!REG(i->a).as.b)
        FAIL(F_FALSE);
    NEXT;
    CASE(WCMP)
    {
        const value *x = IN(i->b, XS_B), *y = IN(i->c, XS_C);
        bool h;
        if (x->type == VT_INT && y->type == VT_INT)
            h = cmp_ints(x->as.i, y->as.i, i->t);
        else if (i->t == CMP_EQ || i->t == CMP_NE)
            h = value_equal(x, y) == (i->t == CMP_EQ);
        else
            h = cmp_result(value_cmp(x, y), i->t);
        /* the MOVEs' copies: a bool's type and member, as value_unpack
         * copies a value (nothing reads the rest of a bool) */
        REG(i->a).type = VT_BOOL;
        REG(i->a).as.b = h;
        memcpy(&REG(i->d), &REG(i->a), offsetof(value, as) + sizeof(int64_t));
        memcpy(&REG(i->fo), &REG(i->a), offsetof(value, as) + sizeof(int64_t));
        if (!h)
            FAIL(F_FALSE);
        NEXT;
    }
    CASE(WARITH)
    {
        /* i[1], i[2]: ADD, SUB or MUL; i[3]: the WCMP of their results
         * (vmlink.c).  Ints that do not overflow, and no CONV of the rule
         * to show (x_at): the three at once; else they run one by one. */
        const xinsn *u = i + 1, *v = i + 2;
        const value *a = IN_OF(u, u->b, XS_B), *e = IN_OF(u, u->c, XS_C);
        const value *c = IN_OF(v, v->b, XS_B), *d = IN_OF(v, v->c, XS_C);
        int64_t x, y;
        if (x_at ||
            ((a->type ^ VT_INT) | (e->type ^ VT_INT) | (c->type ^ VT_INT) | (d->type ^ VT_INT)))
            NEXT;
        if (i->t == WARITH_MULS ? __builtin_mul_overflow(a->as.i, e->as.i, &x) ||
                                      __builtin_mul_overflow(c->as.i, d->as.i, &y)
                                : int_arith(u->op, a->as.i, e->as.i, &x) ||
                                      int_arith(v->op, c->as.i, d->as.i, &y))
            NEXT;
        REG(u->a).type = VT_INT;
        REG(u->a).as.i = x;
        REG(v->a).type = VT_INT;
        REG(v->a).as.i = y;
        i += 3;
        wx = x;
        wy = y;
        goto wcmp_ints;
    }
    CASE(WFIELD)
    {
        /* i[1]: FIELD2; i[2]: the WCMP of its two results (vmlink.c) */
        const xinsn *g = i + 1;
        const semver *v = &IN_OF(g, g->b, XS_B)->as.v, *w = &IN_OF(g, g->d, XS_D)->as.v;
        uint64_t x = g->t == 0 ? v->major : g->t == 1 ? v->minor : v->patch;
        uint64_t y = g->t == 0 ? w->major : g->t == 1 ? w->minor : w->patch;
        if ((x | y) > INT64_MAX)
            NEXT;
        REG(g->a).type = VT_INT;
        REG(g->a).as.i = (int64_t)x;
        REG(g->c).type = VT_INT;
        REG(g->c).as.i = (int64_t)y;
        i += 2;
        wx = (int64_t)x;
        wy = (int64_t)y;
    }
wcmp_ints : {
    /* the WCMP at i of ints wx, wy */
    bool h = cmp_ints(wx, wy, i->t);
    REG(i->a).type = VT_BOOL;
    REG(i->a).as.b = h;
    memcpy(&REG(i->d), &REG(i->a), offsetof(value, as) + sizeof(int64_t));
    memcpy(&REG(i->fo), &REG(i->a), offsetof(value, as) + sizeof(int64_t));
    if (!h)
        FAIL(F_FALSE);
    NEXT;
}
    CASE(LOADK)
    REG(i->a) = p->consts[i->b];
    NEXT;
    CASE(MOVE)
    REG(i->a) = REG(i->b);
    NEXT;
    CASE(FIELD)
    {
        const pfact *x = FACT(i);
        if (!x->present) {
            f->slot = i->b;
            f->side = i->t & SIDE_SOURCE;
            fs = true;
            FAIL(F_OPERAND_ABSENT);
        }
        REG(i->a).type = VT_STRING;
        REG(i->a).as.s = x->raw;
        NEXT;
    }
    CASE(FIELDT)
    {
        const pfact *x = FACT(i);
        f->slot = i->b;
        f->side = i->t & SIDE_SOURCE;
        f->type = i->t & TYPE_MASK;
        slot_at = i->d;
        if (!x->present)
            FAIL(F_OPERAND_ABSENT);
        if (!pfact_value(x, (vtype)(i->t & TYPE_MASK), &REG(i->a)))
            FAIL(F_CONVERT);
        NEXT;
    }
    CASE(HAS)
    {
        const pfact *x = FACT(i);
        REG(i->a).type = VT_BOOL;
        REG(i->a).as.b = x->present && x->raw.len > 0;
        NEXT;
    }
    CASE(CONV)
    {
        vm m = { p, res->source, res->target, res, R, f, 0, false };
        value v = REG(i->b);
        f->type = i->t & TYPE_MASK;
        f->x = v;
        x_at = i->d;
        if (!parse_as(&m, (vtype)(i->t & TYPE_MASK), v.as.s.p, v.as.s.len, &REG(i->a)))
            FAIL((i->t & TYPE_MASK) == VT_SET ? F_SCRATCH : F_CONVERT);
        NEXT;
    }
    CASE(NEG)
    {
        int64_t x;
        if (!as_int(&REG(i->b), &x) || x == INT64_MIN) {
            f->x = f->y = REG(i->b); /* the reason shows the operand */
            fy = true;
            FAIL(F_OVERFLOW);
        }
        if (!put_int(&REG(i->a), -x, REG(i->b).type == VT_HEX))
            FAIL(F_OVERFLOW);
        NEXT;
    }
    CASE(NOT)
    REG(i->a).type = VT_BOOL;
    REG(i->a).as.b = !REG(i->b).as.b;
    NEXT;
    /* int by int without overflow or remainder, inline; the rest (hex,
     * failures) the general way */
    CASE(MUL)
    {
        const value *x = IN(i->b, XS_B), *y = IN(i->c, XS_C);
        int64_t z;
        if (x->type == VT_INT && y->type == VT_INT &&
            !__builtin_mul_overflow(x->as.i, y->as.i, &z)) {
            if (x_at)
                TAKE(&f->x, x);
            REG(i->a).type = VT_INT;
            REG(i->a).as.i = z;
            NEXT;
        }
        goto arith;
    }
    CASE(DIV)
    {
        const value *x = IN(i->b, XS_B), *y = IN(i->c, XS_C);
        if (x->type == VT_INT && y->type == VT_INT && y->as.i > 0) {
            /* one division: the quotient, and exact when it multiplies back */
            int64_t q = x->as.i / y->as.i;
            if (q * y->as.i == x->as.i) {
                if (x_at)
                    TAKE(&f->x, x);
                REG(i->a).type = VT_INT;
                REG(i->a).as.i = q;
                NEXT;
            }
        }
        goto arith;
    }
    CASE(ADD)
    CASE(SUB)
    CASE(MOD)
arith : {
    /* a failure shows both operands; a success leaves the first in the
         * record, which matters when a CONV of the rule showed a value */
    int64_t x, y, z = 0;
    const value *xb = IN(i->b, XS_B), *yc = IN(i->c, XS_C);
    bool hex = xb->type == VT_HEX || yc->type == VT_HEX;
    if (!as_int(xb, &x) || !as_int(yc, &y)) {
        fc = F_OVERFLOW;
        goto fail_arith;
    }
    bool over = false;
    switch (i->op) {
    case I_ADD: over = __builtin_add_overflow(x, y, &z); break;
    case I_SUB: over = __builtin_sub_overflow(x, y, &z); break;
    case I_MUL: over = __builtin_mul_overflow(x, y, &z); break;
    case I_DIV:
        if (y == 0) {
            fc = F_DIVZERO;
            goto fail_arith;
        }
        if (x == INT64_MIN && y == -1) {
            fc = F_OVERFLOW;
            goto fail_arith;
        }
        if (x % y != 0) {
            fc = F_INEXACT;
            goto fail_arith;
        }
        z = x / y;
        break;
    default:
        if (y == 0) {
            fc = F_DIVZERO;
            goto fail_arith;
        }
        z = (y == -1) ? 0 : x % y;
        break;
    }
    if (!over) {
        if (x_at)
            TAKE(&f->x, xb);
        if (put_int(&REG(i->a), z, hex))
            NEXT;
    }
    fc = F_OVERFLOW;
fail_arith:
    TAKE(&f->x, xb);
    TAKE(&f->y, yc);
    fy = true;
    goto fail;
}
    CASE(LT)
    CASE(LE)
    CASE(GT)
    CASE(GE)
    {
        const value *x = IN(i->b, XS_B), *y = IN(i->c, XS_C);
        int c = x->type == VT_INT && y->type == VT_INT
                    ? (x->as.i > y->as.i) - (x->as.i < y->as.i)
                    : value_cmp(x, y);
        uint8_t cmp = (uint8_t)(CMP_LT + (i->op - I_LT));
        REG(i->a).type = VT_BOOL;
        REG(i->a).as.b = cmp_result(c, cmp);
        NEXT;
    }
    CASE(EQ)
    CASE(NE)
    {
        const value *x = IN(i->b, XS_B), *y = IN(i->c, XS_C);
        bool eq =
            x->type == VT_INT && y->type == VT_INT ? x->as.i == y->as.i : value_equal(x, y);
        REG(i->a).type = VT_BOOL;
        REG(i->a).as.b = i->op == I_EQ ? eq : !eq;
        NEXT;
    }
    CASE(JF)
    if (!REG(i->a).as.b)
        i += i->b;
    NEXT;
    CASE(JT)
    if (REG(i->a).as.b)
        i += i->b;
    NEXT;
    CASE(MAJOR)
    CASE(MINOR)
    CASE(PATCH)
    {
        const semver *v = &IN(i->b, XS_B)->as.v;
        uint64_t x = i->op == I_MAJOR ? v->major : i->op == I_MINOR ? v->minor : v->patch;
        if (x > INT64_MAX)
            FAIL(F_OVERFLOW);
        REG(i->a).type = VT_INT;
        REG(i->a).as.i = (int64_t)x;
        NEXT;
    }
    CASE(FIELD2)
    {
        const semver *v = &IN(i->b, XS_B)->as.v;
        uint64_t x = i->t == 0 ? v->major : i->t == 1 ? v->minor : v->patch;
        if (x > INT64_MAX)
            FAIL(F_OVERFLOW);
        REG(i->a).type = VT_INT;
        REG(i->a).as.i = (int64_t)x;
        v = &IN(i->d, XS_D)->as.v;
        x = i->t == 0 ? v->major : i->t == 1 ? v->minor : v->patch;
        if (x > INT64_MAX)
            FAIL(F_OVERFLOW);
        REG(i->c).type = VT_INT;
        REG(i->c).as.i = (int64_t)x;
        NEXT;
    }
    CASE(LEN)
    {
        const value *v = &REG(i->b);
        int64_t n = v->type == VT_SET ? v->as.set.n : v->as.s.len;
        REG(i->a).type = VT_INT;
        REG(i->a).as.i = n;
        NEXT;
    }
    CASE(CONTAINS)
    {
        bool in = set_contains(&REG(i->b).as.set, REG(i->c).as.s.p, REG(i->c).as.s.len);
        REG(i->a).type = VT_BOOL;
        REG(i->a).as.b = in;
        NEXT;
    }
    CASE(SUBSET)
    {
        bool sub = set_subset(&REG(i->b).as.set, &REG(i->c).as.set);
        REG(i->a).type = VT_BOOL;
        REG(i->a).as.b = sub;
        NEXT;
    }
    CASE(MIN)
    CASE(MAX)
    {
        int64_t x, y;
        bool hex = REG(i->b).type == VT_HEX || REG(i->c).type == VT_HEX;
        if (!as_int(&REG(i->b), &x) || !as_int(&REG(i->c), &y)) {
            f->x = REG(i->b); /* the reason shows the operands */
            f->y = REG(i->c);
            fy = true;
            FAIL(F_OVERFLOW);
        }
        int64_t z = i->op == I_MIN ? (x < y ? x : y) : (x > y ? x : y);
        if (!put_int(&REG(i->a), z, hex))
            FAIL(F_OVERFLOW);
        NEXT;
    }
    CASE(BITS)
    {
        /* the items point to constant text, in the byte order sets keep */
        const value *x = &REG(i->b);
        if (x->type == VT_INT && x->as.i < 0) {
            f->x = *x;
            fx = true;
            FAIL(F_NEGATIVE);
        }
        uint64_t u = x->type == VT_INT ? (uint64_t)x->as.i : x->as.u;
        uint32_t n = (uint32_t)__builtin_popcountll(u);
        if (res->nscratch - res->scratch_used < n)
            FAIL(F_SCRATCH);
        dstr *items = res->scratch + res->scratch_used;
        for (uint32_t k = 0, at = 0; k < 64 && at < n; k++)
            if (u >> bit_order[k] & 1)
                items[at++] = bit_names[bit_order[k]];
        res->scratch_used += n;
        REG(i->a).type = VT_SET;
        REG(i->a).as.set = (vset){ items, n };
        NEXT;
    }
    /* loops: EACH, the body, AGAIN (docs/bytecode.md, "Loops"); the
     * verifier saw that they nest and that every RFIELD is in its loop */
    CASE(EACH)
    {
        const dc_prepared *dev = i->side ? res->source : res->target;
        unsigned lv = (i->t & LOOP_LEVEL) != 0;
        REG(i->a).type = VT_BOOL;
        REG(i->a).as.b = !(i->t & LOOP_ANY);
        const uint32_t *rec_n = prep_cold_c(dev)->rec_n;
        uint32_t n = rec_n ? rec_n[i->b] : 0;
        if (n == 0) {
            i += i->c;
            NEXT;
        }
        ldev[lv] = dev;
        lrec[lv] = 0;
        lend[lv] = n;
        NEXT;
    }
    CASE(AGAIN)
    {
        unsigned lv = (i->t & LOOP_LEVEL) != 0;
        bool any = (i->t & LOOP_ANY) != 0;
        if (REG(i->b).as.b == any) {
            REG(i->a).as.b = any;
            NEXT;
        }
        if (++lrec[lv] < lend[lv])
            i -= i->c + 1; /* NEXT steps onto the body's first */
        NEXT;
    }
    CASE(RFIELD)
    {
        unsigned lv = i->c != 0;
        dstr s = prep_cold_c(ldev[lv])->rec_field[i->b][lrec[lv]];
        if (!s.p) {
            f->aux = (int32_t)i->b;
            f->side = (uint8_t)(i->side ? SIDE_SOURCE : 0);
            f->slot = -1;
            f->x = (value){ .type = VT_INT, .as.i = lrec[lv] };
            fs = true;
            FAIL(F_RECORD_ABSENT);
        }
        REG(i->a).type = VT_STRING;
        REG(i->a).as.s = s;
        NEXT;
    }
    CASE(RHAS)
    {
        unsigned lv = i->c != 0;
        dstr s = prep_cold_c(ldev[lv])->rec_field[i->b][lrec[lv]];
        REG(i->a).type = VT_BOOL;
        REG(i->a).as.b = s.p && s.len > 0;
        NEXT;
    }
    VM_END

bad:
    /* unreachable for verified programs */
    fc = F_FALSE;
fail : {
    /* the rule and where its code starts: known for each xinsn (vmlink.c) */
    bool in_rule = i->rule >= 0;
    uint32_t since = i->since; /* x_at, slot_at count from here */
    f->code = fc;
    f->has_x = fx || x_at > since;
    f->has_y = fy;
    f->rule = in_rule ? (uint32_t)i->rule : 0;
    if (!fs && slot_at <= since) {
        f->slot = in_rule ? p->rules[f->rule].slot : -1;
        f->side = in_rule ? p->rules[f->rule].side : 0;
    }
    if (b < last) { /* the next block, without a call */
        b++;
        f++;
        i = block_code(p, b, S);
        goto enter;
    }
    res->block = -1;
    res->verdict = DC_INCOMPATIBLE;
    return DC_OK;
}
}

bool vm_run_block(const program *p, uint32_t b, const dc_prepared *source,
                  const dc_prepared *target, dc_result *res, vm_fail *f)
{
    res->source = source;
    res->target = target;
    vm_run_blocks(p, b, b, res, f, NULL);
    return res->verdict == DC_COMPATIBLE;
}
