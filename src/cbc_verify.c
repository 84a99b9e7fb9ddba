/* cbc_verify.c -- the program verifier (docs/bytecode.md, "What the
 * verifier guarantees"): after a .cbc is decoded, and in the tests after
 * every compile, it checks every index, offset, length, jump and register
 * and the type of every register read, so that vm.c can run any program
 * that passes on any prepared facts.  The instructions' operands and types
 * are read from opcodes.def's tables. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cbc.h"
#include "limits.h"

/* ------------------------------------------------------------ verifier
 *
 * Static checks first (every table, every operand), then a forward dataflow
 * over each block: code only jumps forward, so one pass in pc order sees
 * every way into an instruction before the instruction itself.  The state
 * is, per register, the vtype it holds on every path so far (VT_NONE: not
 * written on some path, or written with different types).  The state at a
 * jump is kept as a position in an undo log of state changes; where the
 * jump lands, the registers changed since then are merged (a type survives
 * only if both ways agree). */

#define M(t)  (1u << (t))
#define M_NUM (M(VT_INT) | M(VT_HEX))
#define M_ANY (M(VT_INT) | M(VT_HEX) | M(VT_STRING) | M(VT_SEMVER) | M(VT_BOOL) | M(VT_SET))

/* Steps of merging allowed: compiler output needs about (nesting of && and
 * ||) x (code size); more is a crafted file, refused rather than slow. */
#define VERIFY_BUDGET_BASE (1u << 20)
#define VERIFY_BUDGET_MAX  (1u << 26)
/* State changes kept for the merges, 4 bytes each; compiler output makes
 * about one per instruction. */
#define VERIFY_LOG_BASE (1u << 20)
#define VERIFY_LOG_MAX  (1u << 24)

/* The type a constraint table's kind tests (ct_kind order). */
static const uint8_t ct_type[] = { VT_INT, VT_HEX, VT_STRING, VT_SEMVER, VT_BOOL, VT_SET };

/* A state change: (register << 8) | the type it held before. */
typedef uint32_t logent;

typedef struct jump {
    uint32_t pos; /* log length when the jump was taken */
    int32_t next; /* next jump landing on the same instruction, or -1 */
} jump;

typedef struct ver {
    const program *p;
    char *msg;
    size_t cap;
    uint8_t *ty;       /* register -> vtype held on every path, or VT_NONE */
    uint8_t *self_reg; /* register -> 1 when a SELF variable's */
    uint32_t *stamp;   /* register -> last merge that saw it */
    uint32_t mstamp;
    logent *log;
    uint32_t nlog, caplog, maxlog;
    int32_t *head; /* pc - entry -> first jump landing there, or -1 */
    jump *jumps;
    uint32_t njumps;
    uint64_t budget, budget0;
    uint32_t pc; /* the instruction being checked, for messages */
    bool in_self;
    int32_t *loop_of; /* pc - entry -> the EACH whose body holds pc, or -1 */
} ver;

static bool vfail(ver *v, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static bool vfail(ver *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (v->cap)
        vsnprintf(v->msg, v->cap, fmt, ap);
    va_end(ap);
    return false;
}

/* A failure at instruction v->pc: "instruction 12 (FCMP): ..." */
static bool ifail(ver *v, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static bool ifail(ver *v, const char *fmt, ...)
{
    const insn *in = &v->p->code[v->pc];
    int n = 0;
    if (v->cap)
        n = snprintf(v->msg, v->cap, "instruction %u (%s): ", v->pc,
                     in->op < I__COUNT ? op_names[in->op] : "?");
    if (n > 0 && (size_t)n < v->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->msg + n, v->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

static const char *tname(unsigned t)
{
    const char *n = t > VT_NONE && t < VT_COUNT ? vtype_name((vtype)t) : NULL;
    return n ? n : "nothing";
}

static bool valid_type(unsigned t)
{
    return t > VT_NONE && t < VT_COUNT;
}

static bool pref_in_pool(const program *p, pref r)
{
    return r.off <= p->pool_len && r.len <= p->pool_len - r.off;
}

/* A fact name (slot, record set, record field) within the limit a policy
 * source is held to, worded as the compiler words it. */
static bool check_fact_name(ver *v, pref r, const char *what, uint32_t i)
{
    if (r.len == 0)
        return vfail(v, "%s %u: empty name", what, i);
    if (r.len > DC_MAX_NAME)
        return vfail(v, "%s %u: fact name longer than %d bytes (the limit)", what, i,
                     DC_MAX_NAME);
    return true;
}

/* A pool reference; `name`: also free of NUL bytes, and followed by one (the
 * API hands names out as C strings). */
static bool check_pref(ver *v, pref r, bool name, const char *what, uint32_t i)
{
    const program *p = v->p;
    char label[64];
    if (i == UINT32_MAX)
        snprintf(label, sizeof label, "%s", what);
    else
        snprintf(label, sizeof label, "%s %u", what, i);
    if (!pref_in_pool(p, r))
        return vfail(v, "%s: string at %u+%u is outside the pool (%u bytes)", label, r.off,
                     r.len, p->pool_len);
    if (name && memchr(p->pool + r.off, '\0', r.len))
        return vfail(v, "%s: name holds a NUL byte", label);
    /* names are handed out as C strings, straight from the pool */
    if (name && r.len && (r.len == p->pool_len - r.off || p->pool[r.off + r.len] != '\0'))
        return vfail(v, "%s: name is not followed by a NUL byte", label);
    return true;
}

/* A SemVer pre-release: dot-separated identifiers of [0-9A-Za-z-], numeric
 * ones without leading zeros. */
static bool valid_pre(const program *p, pref r)
{
    const char *s = p->pool + r.off;
    uint32_t start = 0;
    if (r.len == 0)
        return true;
    for (uint32_t i = 0; i <= r.len; i++) {
        if (i == r.len || s[i] == '.') {
            uint32_t n = i - start;
            if (n == 0)
                return false;
            bool digits = true;
            for (uint32_t k = start; k < i; k++)
                digits = digits && s[k] >= '0' && s[k] <= '9';
            if (digits && n > 1 && s[start] == '0')
                return false;
            start = i + 1;
            continue;
        }
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-'))
            return false;
    }
    return true;
}

static bool within(uint32_t first, uint32_t n, uint32_t total)
{
    return first <= total && n <= total - first;
}

static int dstr_order(const program *p, pref a, pref b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int r = memcmp(p->pool + a.off, p->pool + b.off, n);
    return r ? r : (a.len > b.len) - (a.len < b.len);
}

/* ------------------------------------------------------------ tables */

static bool check_header(ver *v)
{
    const program *p = v->p;
    if (p->nregs > UINT16_MAX)
        return vfail(v, "%u registers: at most %u", p->nregs, UINT16_MAX);
    if (p->nblocks < 2)
        return vfail(v, "%u blocks: a policy has SELF and at least one COMPATIBLE block",
                     p->nblocks);
    if (p->nblocks - 1 > DC_MAX_BLOCKS)
        return vfail(v, "%u COMPATIBLE blocks: at most %d (limit)", p->nblocks - 1,
                     DC_MAX_BLOCKS);
    if (p->pool_len == 0 || p->pool[p->pool_len - 1] != '\0')
        return vfail(v, "the pool does not end with a NUL byte");
    if (!check_pref(v, p->name, true, "policy name", UINT32_MAX) ||
        !check_pref(v, p->file, true, "file name", UINT32_MAX))
        return false;
    return true;
}

static bool check_consts(ver *v)
{
    const program *p = v->p;
    for (uint32_t i = 0; i < p->nconsts; i++) {
        const kconst *k = &p->kconsts[i];
        if (!check_pref(v, k->s, false, "constant", i))
            return false;
        bool numbers = k->major || k->minor || k->patch;
        switch (k->type) {
        case VT_INT:
        case VT_HEX:
            if (k->s.off || k->s.len || numbers)
                return vfail(v, "constant %u: %s with stray fields", i, tname(k->type));
            break;
        case VT_BOOL:
            if (k->s.off || k->s.len || numbers || (k->i != 0 && k->i != 1))
                return vfail(v, "constant %u: bool that is not 0 or 1", i);
            break;
        case VT_STRING:
            if (k->i || numbers)
                return vfail(v, "constant %u: string with stray fields", i);
            break;
        case VT_SEMVER:
            if (k->i || !valid_pre(p, k->s))
                return vfail(v, "constant %u: malformed semver", i);
            break;
        default: return vfail(v, "constant %u: invalid type %u", i, k->type);
        }
    }
    for (uint32_t i = 0; i < p->nstrs; i++)
        if (!check_pref(v, p->strrefs[i], false, "string", i))
            return false;
    for (uint32_t i = 0; i < p->ncmps; i++) {
        const kcmp *c = &p->kcmps[i];
        if (c->op > SV_EQ)
            return vfail(v, "comparator %u: invalid operator %u", i, c->op);
        if (!check_pref(v, c->pre, false, "comparator", i))
            return false;
        if (!valid_pre(p, c->pre))
            return vfail(v, "comparator %u: malformed pre-release", i);
    }
    for (uint32_t i = 0; i < p->nsvsets; i++)
        if (!within(p->svsets[i].first, p->svsets[i].n, p->ncmps))
            return vfail(v, "semver set %u: comparators %u+%u out of range (%u)", i,
                         p->svsets[i].first, p->svsets[i].n, p->ncmps);
    return true;
}

static bool check_ranges(ver *v, uint32_t i, const ctable *ct)
{
    const program *p = v->p;
    bool hex = ct->kind == CT_HEX;
    uint64_t bitmap = 0;
    bool small = true;
    if (!within(ct->first, ct->n, p->nranges))
        return vfail(v, "table %u: ranges %u+%u out of range (%u)", i, ct->first, ct->n,
                     p->nranges);
    for (uint32_t k = 0; k < ct->n; k++) {
        const irange *r = &p->ranges[ct->first + k];
        bool ordered = hex ? (uint64_t)r->lo <= (uint64_t)r->hi : r->lo <= r->hi;
        if (!ordered)
            return vfail(v, "table %u: range %u is empty (lo > hi)", i, k);
        if (k) {
            const irange *q = r - 1;
            bool after = hex ? (uint64_t)q->hi < (uint64_t)r->lo : q->hi < r->lo;
            if (!after)
                return vfail(v, "table %u: ranges %u and %u are not sorted and disjoint", i,
                             k - 1, k);
        }
        bool in = hex ? (uint64_t)r->hi <= 63 : r->lo >= 0 && r->hi <= 63;
        if (!in)
            small = false;
        else
            for (int64_t x = r->lo; x <= r->hi; x++)
                bitmap |= (uint64_t)1 << x;
    }
    if (ct->small && (!small || ct->bitmap != bitmap))
        return vfail(v, "table %u: the bitmap does not match the ranges", i);
    if (!ct->small && ct->bitmap)
        return vfail(v, "table %u: a bitmap without the 'small' flag", i);
    return true;
}

static bool check_ctables(ver *v)
{
    const program *p = v->p;
    for (uint32_t i = 0; i < p->nctables; i++) {
        const ctable *ct = &p->ctables[i];
        if (!check_pref(v, ct->text, false, "table", i))
            return false;
        if (ct->kind > CT_SET)
            return vfail(v, "table %u: invalid kind %u", i, ct->kind);
        if (ct->kind != CT_BOOL && ct->n == 0)
            return vfail(v, "table %u: empty constraint", i);
        if ((ct->kind != CT_INT && ct->kind != CT_HEX) && (ct->small || ct->bitmap))
            return vfail(v, "table %u: a bitmap on a %s table", i, tname(ct_type[ct->kind]));
        switch (ct->kind) {
        case CT_INT:
        case CT_HEX:
            if (!check_ranges(v, i, ct))
                return false;
            break;
        case CT_STRING:
        case CT_SET:
            if (!within(ct->first, ct->n, p->nstrs))
                return vfail(v, "table %u: strings %u+%u out of range (%u)", i, ct->first,
                             ct->n, p->nstrs);
            for (uint32_t k = 1; k < ct->n; k++)
                if (dstr_order(p, p->strrefs[ct->first + k - 1], p->strrefs[ct->first + k]) >=
                    0)
                    return vfail(v, "table %u: strings %u and %u are not sorted and unique", i,
                                 k - 1, k);
            break;
        case CT_SEMVER:
            if (!within(ct->first, ct->n, p->nsvsets))
                return vfail(v, "table %u: semver sets %u+%u out of range (%u)", i, ct->first,
                             ct->n, p->nsvsets);
            break;
        case CT_BOOL:
            if (ct->first > 1 || ct->n)
                return vfail(v, "table %u: a bool table allows 0 or 1", i);
            break;
        }
    }
    return true;
}

static bool check_templates(ver *v)
{
    const program *p = v->p;
    for (uint32_t i = 0; i < p->ntparts; i++) {
        const tpart *tp = &p->tparts[i];
        switch (tp->kind) {
        case TP_LIT:
            if (!check_pref(v, tp->lit, false, "template part", i))
                return false;
            if (tp->lit.len == 0 || tp->type || tp->reg || tp->ctable != -1)
                return vfail(v, "template part %u: malformed literal", i);
            break;
        case TP_DECL:
        case TP_CMP:
            if (!valid_type(tp->type))
                return vfail(v, "template part %u: invalid type %u", i, tp->type);
            if (tp->reg >= p->nregs)
                return vfail(v, "template part %u: register %u out of range (%u registers)", i,
                             tp->reg, p->nregs);
            if (tp->lit.off || tp->lit.len)
                return vfail(v, "template part %u: a placeholder with literal text", i);
            if (tp->kind == TP_CMP && tp->ctable != -1)
                return vfail(v, "template part %u: a constraint on a reference", i);
            if (tp->kind == TP_DECL && tp->ctable != -1) {
                if (tp->ctable < 0 || (uint32_t)tp->ctable >= p->nctables)
                    return vfail(v, "template part %u: table %d out of range (%u tables)", i,
                                 tp->ctable, p->nctables);
                if (ct_type[p->ctables[tp->ctable].kind] != tp->type)
                    return vfail(v, "template part %u: a %s table on a %s", i,
                                 tname(ct_type[p->ctables[tp->ctable].kind]), tname(tp->type));
            }
            break;
        default: return vfail(v, "template part %u: invalid kind %u", i, tp->kind);
        }
    }
    for (uint32_t i = 0; i < p->ntmpls; i++) {
        const tmpl *t = &p->tmpls[i];
        if (!check_pref(v, t->text, false, "template", i))
            return false;
        if (!within(t->first, t->n, p->ntparts))
            return vfail(v, "template %u: parts %u+%u out of range (%u)", i, t->first, t->n,
                         p->ntparts);
        if (t->n == 0 || t->n > 2 * DC_MAX_PLACEHOLDERS + 1)
            return vfail(v, "template %u: %u parts (1 to %d)", i, t->n,
                         2 * DC_MAX_PLACEHOLDERS + 1);
        const tpart *parts = p->tparts + t->first;
        for (uint32_t k = 0; k < t->n; k++) {
            if (parts[k].kind == TP_LIT)
                continue;
            /* the matcher takes a literal after every placeholder but the last */
            if (k + 1 < t->n && parts[k + 1].kind != TP_LIT)
                return vfail(v, "template %u: placeholders %u and %u are adjacent", i, k,
                             k + 1);
            /* a declaration's register is not read or bound earlier in the
             * template: backtracking re-reads the earlier parts */
            if (parts[k].kind == TP_DECL)
                for (uint32_t j = 0; j < k; j++)
                    if (parts[j].kind != TP_LIT && parts[j].reg == parts[k].reg)
                        return vfail(v,
                                     "template %u: part %u binds register %u, which part "
                                     "%u already uses",
                                     i, k, parts[k].reg, j);
        }
    }
    return true;
}

static bool check_names(ver *v)
{
    const program *p = v->p;
    for (uint32_t i = 0; i < p->nslots; i++) {
        if (!check_pref(v, p->slots[i].name, true, "slot", i))
            return false;
        if (!check_fact_name(v, p->slots[i].name, "slot", i))
            return false;
        if (p->slots[i].types & ~(M_ANY))
            return vfail(v, "slot %u: invalid type bits 0x%02x", i, p->slots[i].types);
    }
    for (uint32_t i = 0; i < p->nvars; i++) {
        const var *x = &p->vars[i];
        if (!check_pref(v, x->name, true, "variable", i))
            return false;
        if (x->name.len == 0)
            return vfail(v, "variable %u: empty name", i);
        if (!valid_type(x->type))
            return vfail(v, "variable %u: invalid type %u", i, x->type);
        if (x->reg >= p->nregs)
            return vfail(v, "variable %u: register %u out of range (%u registers)", i, x->reg,
                         p->nregs);
    }
    for (uint32_t i = 0; i < p->nrecsets; i++) {
        if (!check_pref(v, p->recsets[i].name, true, "record set", i))
            return false;
        if (!check_fact_name(v, p->recsets[i].name, "record set", i))
            return false;
    }
    for (uint32_t i = 0; i < p->nrecfields; i++) {
        if (!check_pref(v, p->recfields[i].name, true, "record field", i))
            return false;
        if (!check_fact_name(v, p->recfields[i].name, "record field", i))
            return false;
        if (p->recfields[i].set >= p->nrecsets)
            return vfail(v, "record field %u: set %u out of range (%u record sets)", i,
                         p->recfields[i].set, p->nrecsets);
    }
    for (uint32_t i = 0; i < p->nrules; i++) {
        const prule *r = &p->rules[i];
        if (!check_pref(v, r->expected, false, "rule", i))
            return false;
        if (r->slot < -1 || (r->slot >= 0 && (uint32_t)r->slot >= p->nslots))
            return vfail(v, "rule %u: slot %d out of range (%u slots)", i, r->slot, p->nslots);
        if (r->side != 0 && r->side != SIDE_SOURCE)
            return vfail(v, "rule %u: invalid side %u", i, r->side);
        if (r->op > CMP_GE)
            return vfail(v, "rule %u: invalid operator %u", i, r->op);
        if (r->expect_reg < -1 || (r->expect_reg >= 0 && (uint32_t)r->expect_reg >= p->nregs))
            return vfail(v, "rule %u: register %d out of range (%u registers)", i,
                         r->expect_reg, p->nregs);
    }
    return true;
}

static bool check_blocks(ver *v)
{
    const program *p = v->p;
    uint32_t code = 0, vars = 0, rules = 0;
    for (uint32_t i = 0; i < p->nblocks; i++) {
        const pblock *b = &p->blocks[i];
        if (b->kind != (i == 0 ? PB_SELF : PB_COMPATIBLE))
            return vfail(v, "block %u: kind %u, expected %s", i, b->kind,
                         i == 0 ? "SELF" : "COMPATIBLE");
        if (!check_pref(v, b->name, true, "block", i))
            return false;
        if (i == 0 && b->name.len)
            return vfail(v, "block 0: SELF has a name");
        if (b->entry != code || b->end <= b->entry || b->end > p->ncode)
            return vfail(v,
                         "block %u: code %u..%u does not follow the previous block's (ends "
                         "at %u of %u)",
                         i, b->entry, b->end, code, p->ncode);
        if (b->first_var != vars || !within(b->first_var, b->nvars, p->nvars))
            return vfail(v,
                         "block %u: variables %u+%u do not follow the previous block's (%u "
                         "of %u)",
                         i, b->first_var, b->nvars, vars, p->nvars);
        if (b->first_rule != rules || !within(b->first_rule, b->nrules, p->nrules))
            return vfail(v,
                         "block %u: rules %u+%u do not follow the previous block's (%u of "
                         "%u)",
                         i, b->first_rule, b->nrules, rules, p->nrules);
        if (b->nvars > DC_MAX_VARS)
            return vfail(v, "block %u: %u variables (limit %d)", i, b->nvars, DC_MAX_VARS);
        if (b->nrules > DC_MAX_RULES)
            return vfail(v, "block %u: %u rules (limit %d)", i, b->nrules, DC_MAX_RULES);
        for (uint32_t r = 0; r < b->nrules; r++)
            if (p->rules[b->first_rule + r].side != (i ? SIDE_SOURCE : 0))
                return vfail(v, "rule %u: its side does not match block %u", b->first_rule + r,
                             i);
        /* a block's variables have registers of their own; SELF's are
         * read-only in COMPATIBLE blocks */
        for (uint32_t k = 0; k < b->nvars; k++) {
            const var *x = &p->vars[b->first_var + k];
            if (i > 0 && v->self_reg[x->reg])
                return vfail(v, "variable %u: register %u is a SELF variable's",
                             b->first_var + k, x->reg);
            if (v->stamp[x->reg] == i + 1)
                return vfail(v, "block %u: two variables share register %u", i, x->reg);
            v->stamp[x->reg] = i + 1;
        }
        if (i == 0)
            for (uint32_t k = 0; k < b->nvars; k++)
                v->self_reg[p->vars[k].reg] = 1;
        code = b->end;
        vars += b->nvars;
        rules += b->nrules;
    }
    if (code != p->ncode || vars != p->nvars || rules != p->nrules)
        return vfail(v,
                     "the blocks cover %u of %u instructions, %u of %u variables, %u of %u "
                     "rules",
                     code, p->ncode, vars, p->nvars, rules, p->nrules);
    return true;
}

/* ------------------------------------------------------------ code, static */

static bool check_insn(ver *v, const pblock *b, uint32_t pc)
{
    const program *p = v->p;
    const insn *in = &p->code[pc];
    v->pc = pc;
    if (in->op >= I__COUNT)
        return vfail(v, "instruction %u: invalid opcode %u", pc, in->op);
    const char *ops = op_operands[in->op];
    const uint16_t x[3] = { in->a, in->b, in->c };
    static const char *const which[3] = { "a", "b", "c" };
    for (int k = 0; k < 3; k++) {
        uint16_t o = x[k];
        switch (ops[k]) {
        case 'R':
        case 'W':
        case 'V':
            if (o >= p->nregs)
                return ifail(v, "register %u out of range (%u registers)", o, p->nregs);
            break;
        case 'S':
            if (o >= p->nslots)
                return ifail(v, "slot %u out of range (%u slots)", o, p->nslots);
            break;
        case 'K':
            if (o >= p->nconsts)
                return ifail(v, "constant %u out of range (%u constants)", o, p->nconsts);
            break;
        case 'T':
            if (o >= p->nctables)
                return ifail(v, "table %u out of range (%u tables)", o, p->nctables);
            break;
        case 'P':
            if (o >= p->ntmpls)
                return ifail(v, "template %u out of range (%u templates)", o, p->ntmpls);
            break;
        case 'J':
            if ((uint64_t)pc + 1 + o >= b->end)
                return ifail(v, "jump to %llu leaves its block (instructions %u..%u)",
                             (unsigned long long)pc + 1 + o, b->entry, b->end - 1);
            break;
        case 'U':
            if (o >= b->nrules)
                return ifail(v, "rule %u out of range (the block has %u)", o, b->nrules);
            break;
        case 'X':
            if (o >= p->nrecsets)
                return ifail(v, "record set %u out of range (%u record sets)", o, p->nrecsets);
            break;
        case 'C':
            if (o >= p->nrecfields)
                return ifail(v, "record field %u out of range (%u record fields)", o,
                             p->nrecfields);
            break;
        case 'B':
            if (o > pc - b->entry)
                return ifail(v, "jump back to %lld leaves its block (instructions %u..%u)",
                             (long long)pc - o, b->entry, b->end - 1);
            break;
        case 'I': break;
        case '-':
            if (o)
                return ifail(v, "unused operand %s is %u, not 0", which[k], o);
            break;
        }
    }
    unsigned tf = op_tfields(in->op);
    unsigned allowed = (tf & TF_SIDE ? SIDE_SOURCE : 0) | (tf & TF_TYPE ? TYPE_MASK : 0) |
                       (tf & TF_CMP ? 0x70u : 0) | (tf & TF_LOOP ? LOOP_ANY | LOOP_LEVEL : 0);
    if (in->t & ~allowed)
        return ifail(v, "invalid t byte 0x%02x", in->t);
    if ((in->t & SIDE_SOURCE) && b->kind == PB_SELF)
        return ifail(v, "SELF reads the source's facts");
    unsigned type = in->t & TYPE_MASK, cmp = (in->t >> 4) & 7;
    if ((tf & TF_TYPE) && !valid_type(type))
        return ifail(v, "invalid type %u", type);
    if (tf & TF_CMP) {
        if (cmp > CMP_GE)
            return ifail(v, "invalid comparison %u", cmp);
        if (cmp >= CMP_LT && !(M(type) & (M_NUM | M(VT_SEMVER))))
            return ifail(v, "ordering comparison of %s values", tname(type));
    }
    /* the VM takes the parsed value only from the types prepared facts hold:
     * a fact read as the t byte's type is read parsed */
    int fs = op_find(in->op, 'S');
    if ((tf & TF_TYPE) && fs >= 0) {
        uint16_t slot = x[fs];
        if (!(p->slots[slot].types & M(type)))
            return ifail(v, "slot %u is read as %s, which its types do not include", slot,
                         tname(type));
    }
    if ((in->op == I_EQSTR || in->op == I_NESTR) && p->kconsts[in->b].type != VT_STRING)
        return ifail(v, "constant %u is a %s, not a string", in->b,
                     tname(p->kconsts[in->b].type));
    if (in->op == I_NMATCH) {
        const tmpl *t = &p->tmpls[in->b];
        for (uint32_t k = 0; k < t->n; k++)
            if (p->tparts[t->first + k].kind == TP_DECL)
                return ifail(v, "template %u declares a variable under '!='", in->b);
    }
    /* the block ends with OK, and only there: no way to run off its end */
    if ((in->op == I_OK) != (pc + 1 == b->end))
        return ifail(v, pc + 1 == b->end ? "block does not end with OK"
                                         : "OK before the end of the block");
    /* a rule is named before anything can fail: reasons name it */
    if (pc == b->entry && in->op != I_RULE && in->op != I_OK)
        return ifail(v, "the block does not start with RULE");
    return true;
}

/* ------------------------------------------------------------ code, loops */

/* Loops (docs/bytecode.md, "Loops"): every EACH is closed by the AGAIN it
 * jumps past, of the same kind, level and result register, whose backward
 * jump lands on the first instruction of the body; loops nest at most
 * LOOP_DEPTH deep, each inside the body of the one before, within one rule
 * (no RULE, OK or FAIL in a body); a field is read only in the body of the
 * loop of its level, over its set, on the same side; and no jump lands in
 * a body from outside it (the loop's record would not be set).  So a rule
 * runs at most its length x 1024 x 1024 instructions. */
static bool check_loops(ver *v, const pblock *b)
{
    const program *p = v->p;
    struct {
        uint32_t at, end;
    } open[LOOP_DEPTH];
    unsigned depth = 0;
    for (uint32_t pc = b->entry; pc < b->end; pc++) {
        const insn *i = &p->code[pc];
        v->pc = pc;
        while (depth && pc > open[depth - 1].end)
            depth--;
        v->loop_of[pc - b->entry] = depth ? (int32_t)open[depth - 1].at : -1;
        if (depth && (i->op == I_RULE || i->op == I_OK || i->op == I_FAIL))
            return ifail(v, "inside the loop of instruction %u", open[depth - 1].at);
        if (i->op == I_EACH) {
            unsigned level = (i->t & LOOP_LEVEL) != 0;
            if (depth == LOOP_DEPTH)
                return ifail(v, "loops nest more than %d deep", LOOP_DEPTH);
            if (level != depth)
                return ifail(v, "a loop of level %u at level %u", level, depth);
            uint32_t end = pc + i->c;
            const insn *a = &p->code[end];
            if (i->c == 0 || a->op != I_AGAIN ||
                (a->t & (LOOP_ANY | LOOP_LEVEL)) != (i->t & (LOOP_ANY | LOOP_LEVEL)) ||
                a->a != i->a || a->c + 1u != i->c)
                return ifail(v, "instruction %u is not the AGAIN that ends this loop", end);
            if (depth && end >= open[depth - 1].end)
                return ifail(v, "the loop ends at %u, past the end of its outer loop (%u)", end,
                             open[depth - 1].end);
            open[depth].at = pc;
            open[depth].end = end;
            depth++;
        } else if (i->op == I_AGAIN) {
            if (!depth || open[depth - 1].end != pc)
                return ifail(v, "no loop ends here");
        } else if (i->op == I_RFIELD || i->op == I_RHAS) {
            if (i->c >= depth)
                return ifail(v, "reads a record of the loop of level %u outside it", i->c);
            const insn *e = &p->code[open[i->c].at];
            if (p->recfields[i->b].set != e->b || (i->t & SIDE_SOURCE) != (e->t & SIDE_SOURCE))
                return ifail(v,
                             "record field %u is not of the records its loop (instruction "
                             "%u) walks",
                             i->b, open[i->c].at);
        }
    }
    /* no way into a body but its EACH */
    for (uint32_t pc = b->entry; pc < b->end; pc++) {
        const insn *i = &p->code[pc];
        int j = op_find(i->op, 'J');
        if (j < 0)
            continue;
        uint32_t to = pc + 1 + (j == 1 ? i->b : i->c);
        for (int32_t l = v->loop_of[to - b->entry]; l >= 0; l = v->loop_of[l - b->entry]) {
            uint32_t end = (uint32_t)l + p->code[l].c;
            if (pc <= (uint32_t)l || pc > end) {
                v->pc = pc;
                return ifail(v, "jumps into the loop of instruction %d", l);
            }
        }
    }
    return true;
}

/* ------------------------------------------------------------ code, types */

static bool log_push(ver *v, uint32_t reg, uint8_t old)
{
    if (v->nlog == v->maxlog)
        return ifail(v, "the program is too complex to verify (more than %u state changes)",
                     v->maxlog);
    if (v->nlog == v->caplog) {
        uint32_t ncap = v->caplog ? v->caplog * 2 : 256;
        logent *n = mem_grow(v->p->alloc, v->log, ncap, sizeof *n);
        if (!n)
            return vfail(v, "out of memory");
        v->log = n;
        v->caplog = ncap;
    }
    v->log[v->nlog++] = reg << 8 | old;
    return true;
}

static bool set_type(ver *v, uint32_t reg, uint8_t t)
{
    if (v->ty[reg] == t)
        return true;
    if (!log_push(v, reg, v->ty[reg]))
        return false;
    v->ty[reg] = t;
    return true;
}

/* Merge the state at jump j into the current one (assign: the current way
 * in is unreachable, so the jump's state is the state). */
static bool merge(ver *v, const jump *j, bool assign)
{
    uint32_t end = v->nlog;
    if (end - j->pos > v->budget)
        return ifail(v, "the program is too complex to verify (more than %llu merge steps)",
                     (unsigned long long)v->budget0);
    v->budget -= end - j->pos;
    v->mstamp++;
    for (uint32_t i = j->pos; i < end; i++) {
        uint32_t r = v->log[i] >> 8;
        if (v->stamp[r] == v->mstamp)
            continue;
        v->stamp[r] = v->mstamp;
        uint8_t then = (uint8_t)v->log[i], now = v->ty[r];
        if (!set_type(v, r, assign || then == now ? then : VT_NONE))
            return false;
    }
    return true;
}

static const char *mask_text(unsigned mask)
{
    switch (mask) {
    case M_NUM: return "int or hex";
    case M_NUM | M(VT_SEMVER): return "int, hex or semver";
    case M(VT_STRING) | M(VT_SET): return "string or set";
    case M_ANY: return "a value";
    default:
        for (unsigned t = VT_INT; t < VT_COUNT; t++)
            if (mask == M(t))
                return tname(t);
        return "?";
    }
}

/* R[reg] is read as one of the types in mask: written on every path. */
static bool need(ver *v, uint32_t reg, unsigned mask)
{
    uint8_t t = v->ty[reg];
    if (t == VT_NONE)
        return ifail(v, "register %u is read but not written (with one type) on every path",
                     reg);
    if (!(M(t) & mask))
        return ifail(v, "register %u holds %s, read as %s", reg, tname(t), mask_text(mask));
    return true;
}

static bool put_reg(ver *v, uint32_t reg, uint8_t t)
{
    if (!v->in_self && v->self_reg[reg])
        return ifail(v, "writes register %u, a SELF variable's", reg);
    return set_type(v, reg, t);
}

static unsigned type_mask(unsigned t)
{
    return t == VT_INT || t == VT_HEX ? M_NUM : M(t);
}

static bool flow_tmpl(ver *v, uint32_t ti)
{
    const program *p = v->p;
    const tmpl *t = &p->tmpls[ti];
    for (uint32_t k = 0; k < t->n; k++) {
        const tpart *tp = &p->tparts[t->first + k];
        if (tp->kind == TP_CMP && !need(v, tp->reg, type_mask(tp->type)))
            return false;
        if (tp->kind == TP_DECL && !put_reg(v, tp->reg, tp->type))
            return false;
    }
    return true;
}

/* The types register operand k of `in` may hold when read (type letter
 * cls, opcodes.def); `first` is the register read before it, if any. */
static unsigned read_mask(const ver *v, const insn *in, char cls, int first)
{
    const uint16_t x[3] = { in->a, in->b, in->c };
    switch (cls) {
    case 't': return type_mask(in->t & TYPE_MASK);
    case 'q': return M(ct_type[v->p->ctables[in->b].kind]);
    case '=': return first >= 0 ? type_mask(v->ty[x[first]]) : 0;
    default: return op_class_mask(cls);
    }
}

/* The type register operand k of `in` holds once written (type letter
 * cls); `first` is the instruction's first register read, or -1. */
static uint8_t written_type(const ver *v, const insn *in, char cls, int first, bool hex)
{
    const uint16_t x[3] = { in->a, in->b, in->c };
    switch (cls) {
    case 't': return in->t & TYPE_MASK;
    case 'k': return v->p->kconsts[in->b].type;
    case '=': return first >= 0 ? v->ty[x[first]] : VT_NONE;
    case 'j': return hex ? VT_HEX : VT_INT;
    default: return (uint8_t)op_class_type(cls);
    }
}

/* The effect of one reachable instruction on the state, from its operand
 * roles and types (opcodes.def): the registers it reads must hold their
 * types, then those it writes hold theirs; a template's parts read and bind
 * registers; a jump records the state it carries.  *reach is cleared when
 * nothing falls through (OK, FAIL). */
static bool flow_insn(ver *v, const pblock *b, uint32_t pc, bool *reach)
{
    const program *p = v->p;
    const insn *in = &p->code[pc];
    const char *roles = op_operands[in->op], *types = op_types[in->op];
    const uint16_t x[3] = { in->a, in->b, in->c };
    int first = -1;
    bool hex = false;
    v->pc = pc;
    for (int k = 0; k < 3; k++) {
        if (roles[k] != 'R')
            continue;
        unsigned mask = read_mask(v, in, types[k], first);
        if (!mask)
            return ifail(v, "operand %c has no type to read (opcodes.def)", 'a' + k);
        if (!need(v, x[k], mask))
            return false;
        hex = hex || v->ty[x[k]] == VT_HEX;
        if (first < 0)
            first = k;
    }
    if (op_find(in->op, 'P') >= 0 && !flow_tmpl(v, x[op_find(in->op, 'P')]))
        return false;
    for (int k = 0; k < 3; k++) {
        if (roles[k] != 'W' && roles[k] != 'V')
            continue;
        uint8_t t = written_type(v, in, types[k], first, hex);
        if (!valid_type(t))
            return ifail(v, "writes register %u with no type", x[k]);
        if (!put_reg(v, x[k], t))
            return false;
    }
    int j = op_find(in->op, 'J');
    if (j >= 0) {
        uint32_t k = pc + 1 + x[j] - b->entry;
        v->jumps[v->njumps] = (jump){ v->nlog, v->head[k] };
        v->head[k] = (int32_t)v->njumps++;
    }
    if (in->op == I_EACH) {
        /* the body runs again from its first instruction with what its
         * last run wrote: every register it writes is unknown there */
        for (uint32_t k = pc + 1; k <= pc + in->c; k++) {
            const insn *w = &p->code[k];
            const uint16_t y[3] = { w->a, w->b, w->c };
            for (int n = 0; n < 3; n++)
                if ((op_operands[w->op][n] == 'W' || op_operands[w->op][n] == 'V') &&
                    !set_type(v, y[n], VT_NONE))
                    return false;
            if (op_find(w->op, 'P') >= 0) {
                const tmpl *t = &p->tmpls[y[op_find(w->op, 'P')]];
                for (uint32_t n = 0; n < t->n; n++)
                    if (p->tparts[t->first + n].kind == TP_DECL &&
                        !set_type(v, p->tparts[t->first + n].reg, VT_NONE))
                        return false;
            }
        }
    }
    if (in->op == I_OK) {
        for (uint32_t k = 0; k < b->nvars; k++) {
            const var *y = &p->vars[b->first_var + k];
            if (v->ty[y->reg] != y->type)
                return ifail(v, "variable '%.*s' (register %u, %s) is not bound on every path",
                             (int)(y->name.len > 64 ? 64 : y->name.len), p->pool + y->name.off,
                             y->reg, tname(y->type));
        }
    }
    if (in->op == I_OK || in->op == I_FAIL)
        *reach = false;
    return true;
}

static bool flow_block(ver *v, uint32_t bi)
{
    const program *p = v->p;
    const pblock *b = &p->blocks[bi];
    v->in_self = bi == 0;
    v->nlog = 0;
    v->njumps = 0;
    for (uint32_t k = 0; k < b->end - b->entry; k++)
        v->head[k] = -1;
    bool reach = true;
    for (uint32_t pc = b->entry; pc < b->end; pc++) {
        v->pc = pc;
        for (int32_t j = v->head[pc - b->entry]; j >= 0; j = v->jumps[j].next) {
            if (!merge(v, &v->jumps[j], !reach))
                return false;
            reach = true;
        }
        if (reach && !flow_insn(v, b, pc, &reach))
            return false;
    }
    /* back to the state every block starts from */
    while (v->nlog) {
        v->nlog--;
        v->ty[v->log[v->nlog] >> 8] = (uint8_t)v->log[v->nlog];
    }
    return true;
}

bool cbc_verify(const program *p, char *msg, size_t cap)
{
    ver v;
    memset(&v, 0, sizeof v);
    v.p = p;
    v.msg = msg;
    v.cap = cap;
    if (cap)
        msg[0] = '\0';
    if (!check_header(&v))
        return false;
    uint32_t nregs = p->nregs ? p->nregs : 1, longest = 1;
    for (uint32_t i = 0; i < p->nblocks; i++) {
        const pblock *b = &p->blocks[i];
        if (b->end > b->entry && b->end - b->entry > longest)
            longest = b->end - b->entry;
    }
    const dc_alloc *a = p->alloc;
    v.ty = mem_zalloc(a, nregs);
    v.self_reg = mem_zalloc(a, nregs);
    v.stamp = mem_array(a, nregs, sizeof *v.stamp);
    bool ok = v.ty && v.self_reg && v.stamp;
    if (!ok)
        vfail(&v, "out of memory");
    else
        memset(v.stamp, 0, nregs * sizeof *v.stamp);
    ok = ok && check_consts(&v) && check_ctables(&v) && check_templates(&v) &&
         check_names(&v) && check_blocks(&v);
    for (uint32_t i = 0; ok && i < p->nblocks; i++)
        for (uint32_t pc = p->blocks[i].entry; ok && pc < p->blocks[i].end; pc++)
            ok = check_insn(&v, &p->blocks[i], pc);
    if (ok && !(v.loop_of = mem_array(a, longest, sizeof *v.loop_of)))
        ok = vfail(&v, "out of memory");
    for (uint32_t i = 0; ok && i < p->nblocks; i++)
        ok = check_loops(&v, &p->blocks[i]);
    if (ok) {
        memset(v.stamp, 0, nregs * sizeof *v.stamp);
        v.head = mem_array(a, longest, sizeof *v.head);
        v.jumps = mem_array(a, longest, sizeof *v.jumps);
        if (!v.head || !v.jumps)
            ok = vfail(&v, "out of memory");
    }
    uint64_t budget = VERIFY_BUDGET_BASE + (uint64_t)256 * p->ncode;
    v.budget = v.budget0 = budget < VERIFY_BUDGET_MAX ? budget : VERIFY_BUDGET_MAX;
    uint64_t maxlog = VERIFY_LOG_BASE + (uint64_t)8 * p->ncode;
    v.maxlog = (uint32_t)(maxlog < VERIFY_LOG_MAX ? maxlog : VERIFY_LOG_MAX);
    /* SELF starts with nothing written; every COMPATIBLE block starts with
     * SELF's variables, as SELF's OK left them */
    ok = ok && flow_block(&v, 0);
    for (uint32_t k = 0; ok && k < p->blocks[0].nvars; k++)
        v.ty[p->vars[k].reg] = p->vars[k].type;
    for (uint32_t i = 1; ok && i < p->nblocks; i++)
        ok = flow_block(&v, i);
    mem_free(a, v.ty);
    mem_free(a, v.self_reg);
    mem_free(a, v.stamp);
    mem_free(a, v.log);
    mem_free(a, v.head);
    mem_free(a, v.jumps);
    mem_free(a, v.loop_of);
    return ok;
}
