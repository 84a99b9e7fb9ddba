/* check.c -- names, scopes and types (docs/language.md, sections 5 to 8) and
 * lint (section 11). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hmap.h"
#include "limits.h"

typedef struct chk {
    ast_policy *ast;
    dc_diags *d;
    const dc_alloc *alloc;
    checked *out;
    bool oom;
    uint32_t block; /* the block being checked */
    bool in_self;
    const char *forward[64]; /* names used before their declaration */
    uint32_t nforward;
    hmap slot_index;       /* slot names */
    uint32_t self_end;     /* vars[0, self_end) are SELF's */
    uint32_t scope_first;  /* vars[scope_first, nvars) are the block's */
    const char *declaring; /* the variable whose constraint is being read */
    bool in_where;         /* checking a where (all/any are allowed there) */
    struct {               /* the all/any around the expression, outermost first */
        const char *name;  /* the record's name */
        uint32_t set;
        bool source;
    } loops[LOOP_DEPTH];
    uint32_t nloops;
} chk;

static void err(chk *c, span at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void err(chk *c, span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(c->d, DC_SEV_ERROR, at, fmt, ap);
    va_end(ap);
}

static void warn(chk *c, span at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void warn(chk *c, span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(c->d, DC_SEV_WARNING, at, fmt, ap);
    va_end(ap);
}

static void *grow(chk *c, void *arr, uint32_t *cap, uint32_t n, size_t size)
{
    if (n < *cap)
        return arr;
    uint32_t ncap = *cap ? *cap * 2 : 16;
    void *p = mem_grow(c->alloc, arr, ncap, size);
    if (!p) {
        c->oom = true;
        return NULL;
    }
    *cap = ncap;
    return p;
}

/* ------------------------------------------------------------ slots */

static int32_t slot_of(chk *c, const char *name, uint32_t len, vtype as)
{
    checked *o = c->out;
    uint32_t h = hmap_hash(name, len), pos = 0;
    for (int64_t i; (i = hmap_next(&c->slot_index, h, &pos)) >= 0;)
        if (o->slots[i].len == len && memcmp(o->slots[i].name, name, len) == 0) {
            if (as)
                o->slots[i].types |= (uint8_t)(1u << as);
            return (int32_t)i;
        }
    chk_slot *s = grow(c, o->slots, &o->cap_slots, o->nslots, sizeof *s);
    if (!s)
        return -1;
    o->slots = s;
    s[o->nslots] = (chk_slot){ name, len, as ? (uint8_t)(1u << as) : 0 };
    if (!hmap_put(&c->slot_index, c->alloc, h, o->nslots)) {
        c->oom = true;
        return -1;
    }
    return (int32_t)o->nslots++;
}

/* ------------------------------------------------------------ variables */

/* Declarations visible at `at` in the current block: the block's own that
 * precede it, then SELF's. */
static int32_t lookup(chk *c, const char *name, uint32_t at, bool *later)
{
    checked *o = c->out;
    *later = false;
    /* the block's own variables first, then (from COMPATIBLE) SELF's */
    for (uint32_t i = c->scope_first; i < o->nvars; i++) {
        chk_var *v = &o->vars[i];
        if (strcmp(v->name, name) != 0)
            continue;
        if (v->decl.start < at)
            return (int32_t)i;
        *later = true;
    }
    if (!c->in_self)
        for (uint32_t i = 0; i < c->self_end; i++)
            if (!strcmp(o->vars[i].name, name))
                return (int32_t)i;
    return -1;
}

static bool reserved(const char *name)
{
    return !strcmp(name, "self") || !strcmp(name, "source") || !strcmp(name, "true") ||
           !strcmp(name, "false") || !strcmp(name, "where");
}

static int32_t declare(chk *c, ast_part *pt)
{
    checked *o = c->out;
    uint32_t in_scope = o->nvars - c->scope_first;
    if (reserved(pt->name)) {
        err(c, pt->name_loc, "'%s' is reserved and cannot name a variable", pt->name);
        return -1;
    }
    for (uint32_t i = c->scope_first; i < o->nvars; i++)
        if (!strcmp(o->vars[i].name, pt->name)) {
            err(c, pt->name_loc, "variable '%s' is declared twice in this block", pt->name);
            return -1;
        }
    for (uint32_t i = 0; i < c->self_end && !c->in_self; i++) {
        chk_var *v = &o->vars[i];
        if (strcmp(v->name, pt->name) != 0)
            continue;
        err(c, pt->name_loc,
            "variable '%s' is declared in SELF: a COMPATIBLE block "
            "may refer to it as {%s} but not declare it again",
            pt->name, pt->name);
        return -1;
    }
    if (in_scope >= DC_MAX_VARS) {
        if (in_scope == DC_MAX_VARS)
            err(c, pt->name_loc, "too many variables in one block (limit %d)", DC_MAX_VARS);
        return -1;
    }
    chk_var *vars = grow(c, o->vars, &o->cap_vars, o->nvars, sizeof *vars);
    if (!vars)
        return -1;
    o->vars = vars;
    bool used = pt->name[0] == '_';
    for (uint32_t i = 0; i < c->nforward; i++)
        if (!strcmp(c->forward[i], pt->name))
            used = true;
    vars[o->nvars] = (chk_var){ pt->name,   pt->type, pt->name_loc,          c->block,
                                c->in_self, used,     pt->constraint != NULL };
    return (int32_t)o->nvars++;
}

/* ------------------------------------------------------------ records */

static int32_t recset_of(chk *c, const char *name, uint32_t len)
{
    checked *o = c->out;
    for (uint32_t i = 0; i < o->nrecsets; i++)
        if (o->recsets[i].len == len && !memcmp(o->recsets[i].name, name, len))
            return (int32_t)i;
    chk_recset *r = grow(c, o->recsets, &o->cap_recsets, o->nrecsets, sizeof *r);
    if (!r)
        return -1;
    o->recsets = r;
    r[o->nrecsets] = (chk_recset){ name, len };
    return (int32_t)o->nrecsets++;
}

static int32_t recfield_of(chk *c, uint32_t set, const char *name, uint32_t len)
{
    checked *o = c->out;
    for (uint32_t i = 0; i < o->nrecfields; i++)
        if (o->recfields[i].set == set && o->recfields[i].len == len &&
            !memcmp(o->recfields[i].name, name, len))
            return (int32_t)i;
    chk_recfield *r = grow(c, o->recfields, &o->cap_recfields, o->nrecfields, sizeof *r);
    if (!r)
        return -1;
    o->recfields = r;
    r[o->nrecfields] = (chk_recfield){ set, name, len };
    return (int32_t)o->nrecfields++;
}

/* The all/any whose record is called `name`, innermost first, or -1. */
static int32_t loop_named(const chk *c, const char *name, size_t len)
{
    for (uint32_t k = c->nloops; k-- > 0;)
        if (strlen(c->loops[k].name) == len && !memcmp(c->loops[k].name, name, len))
            return (int32_t)k;
    return -1;
}

/* ------------------------------------------------------------ expressions */

static bool numeric(vtype t)
{
    return t == VT_INT || t == VT_HEX;
}

static const char *tname(vtype t)
{
    return t ? vtype_name(t) : "?";
}

int32_t chk_plain_var(const ast_expr *e)
{
    return e && e->kind == EX_NAME && e->ref == REF_VAR ? (int32_t)e->index : -1;
}

/* Is `name` declared further on in the current block (or in SELF, seen
 * from SELF)? */
static bool declared_later(chk *c, const char *name, uint32_t at)
{
    const ast_block *b = &c->ast->blocks[c->block];
    for (uint32_t i = 0; i < b->nrules; i++) {
        const ast_rule *r = &b->rules[i];
        if (r->is_where || r->value.kind != VAL_TEMPLATE || r->loc.start < at)
            continue;
        for (uint32_t k = 0; k < r->value.nparts; k++) {
            const ast_part *pt = &r->value.parts[k];
            if (pt->is_placeholder && pt->is_decl && pt->loc.start > at &&
                !strcmp(pt->name, name))
                return true;
        }
    }
    return false;
}

/* Remember a use before the declaration, so that the declaration is not
 * then called unused. */
static void forward_use(chk *c, const char *name)
{
    if (c->nforward < sizeof c->forward / sizeof c->forward[0])
        c->forward[c->nforward++] = name;
}

/* A fact name read by an expression is held to the limit facts are: a
 * longer one could never be found, and a rule's field is refused alike. */
static bool name_fits(chk *c, span loc, const char *name)
{
    if (strlen(name) <= DC_MAX_NAME)
        return true;
    err(c, loc, "fact name longer than %d bytes (the limit)", DC_MAX_NAME);
    return false;
}

/* Resolve a name operand: a variable, self.F or source.F. */
static vtype check_name(chk *c, ast_expr *e)
{
    const char *dot = strchr(e->str, '.');
    if (dot) {
        size_t plen = (size_t)(dot - e->str);
        const char *field = dot + 1;
        if (!name_fits(c, e->loc, field))
            return VT_NONE;
        if (plen == 4 && !memcmp(e->str, "self", 4)) {
            e->ref = REF_SELF_FIELD;
        } else if (plen == 6 && !memcmp(e->str, "source", 6)) {
            if (c->in_self) {
                err(c, e->loc,
                    "'source.' is not available in SELF: SELF describes the "
                    "target alone");
                return VT_NONE;
            }
            e->ref = REF_SOURCE_FIELD;
        } else if (loop_named(c, e->str, plen) >= 0) {
            /* r.FIELD: the field of the current record of an all/any */
            uint32_t k = (uint32_t)loop_named(c, e->str, plen);
            int32_t f = recfield_of(c, c->loops[k].set, field, (uint32_t)strlen(field));
            if (f < 0)
                return VT_NONE;
            e->ref = c->loops[k].source ? REF_SOURCE_RECORD : REF_SELF_RECORD;
            e->index = (uint32_t)f;
            e->ival = k;
            return VT_STRING;
        } else if (c->nloops) {
            err(c, e->loc, "unknown record '%.*s' in '%s': the records here are %s%s%s",
                (int)plen, e->str, e->str, c->loops[0].name, c->nloops > 1 ? " and " : "",
                c->nloops > 1 ? c->loops[1].name : "");
            return VT_NONE;
        } else {
            err(c, e->loc, "unknown name '%s': facts are read as self.FIELD or source.FIELD",
                e->str);
            return VT_NONE;
        }
        int32_t s = slot_of(c, field, (uint32_t)strlen(field), VT_STRING);
        if (s < 0)
            return VT_NONE;
        e->index = (uint32_t)s;
        return VT_STRING;
    }
    bool later;
    int32_t v = lookup(c, e->str, e->loc.start, &later);
    if (v < 0 && loop_named(c, e->str, strlen(e->str)) >= 0) {
        err(c, e->loc, "'%s' is a record: read its fields as %s.FIELD", e->str, e->str);
        return VT_NONE;
    }
    if (v < 0) {
        for (uint32_t i = 0; i < c->ast->npoisoned; i++)
            if (!strcmp(c->ast->poisoned[i], e->str))
                return VT_NONE; /* its declaration had an error already */
        if (later || declared_later(c, e->str, e->loc.start)) {
            err(c, e->loc, "variable '%s' is used before its declaration", e->str);
            forward_use(c, e->str);
        } else {
            err(c, e->loc, "undeclared variable '%s'", e->str);
        }
        return VT_NONE;
    }
    chk_var *var = &c->out->vars[v];
    var->used = true;
    e->ref = REF_VAR;
    e->index = (uint32_t)v;
    return var->type;
}

static vtype check_expr(chk *c, ast_expr *e);

/* all(LIST, r, COND) and any(LIST, r, COND): COND for every record, or for
 * one, of LIST (self.X or source.X), r naming the record in COND; in a
 * where only, at most LOOP_DEPTH deep (docs/language.md, section 8). */
static vtype check_quant(chk *c, ast_expr *e)
{
    const char *fn = e->str;
    if (e->nargs != 3) {
        err(c, e->loc, "%s() takes 3 arguments, not %u: %s(source.LIST, NAME, CONDITION)", fn,
            e->nargs, fn);
        return VT_NONE;
    }
    if (!c->in_where) {
        err(c, e->loc, "%s() is allowed only in a where", fn);
        return VT_NONE;
    }
    if (c->nloops == LOOP_DEPTH) {
        err(c, e->loc, "all() and any() nest at most %d deep", LOOP_DEPTH);
        return VT_NONE;
    }
    ast_expr *list = e->args[0], *rec = e->args[1];
    const char *dot = list->kind == EX_NAME ? strchr(list->str, '.') : NULL;
    size_t plen = dot ? (size_t)(dot - list->str) : 0;
    bool source = plen == 6 && !memcmp(list->str, "source", 6);
    if (!dot || !(source || (plen == 4 && !memcmp(list->str, "self", 4)))) {
        err(c, list->loc,
            "%s() walks the records of a list: %s(source.LIST, ...) or "
            "%s(self.LIST, ...)",
            fn, fn, fn);
        return VT_NONE;
    }
    if (source && c->in_self) {
        err(c, list->loc,
            "'source.' is not available in SELF: SELF describes the target alone");
        return VT_NONE;
    }
    bool later;
    if (rec->kind != EX_NAME || strchr(rec->str, '.') || reserved(rec->str)) {
        err(c, rec->loc, "%s() names its record with a plain name: %s(%s, r, ...)", fn, fn,
            list->str);
        return VT_NONE;
    }
    if (lookup(c, rec->str, UINT32_MAX, &later) >= 0) {
        err(c, rec->loc, "'%s' is a variable: name the record otherwise", rec->str);
        return VT_NONE;
    }
    if (loop_named(c, rec->str, strlen(rec->str)) >= 0) {
        err(c, rec->loc, "'%s' already names the record of an outer all() or any()", rec->str);
        return VT_NONE;
    }
    if (!name_fits(c, list->loc, dot + 1))
        return VT_NONE;
    int32_t set = recset_of(c, dot + 1, (uint32_t)strlen(dot + 1));
    if (set < 0)
        return VT_NONE;
    list->ref = source ? REF_SOURCE_FIELD : REF_SELF_FIELD;
    list->index = (uint32_t)set;
    list->type = VT_STRING;
    c->loops[c->nloops].name = rec->str;
    c->loops[c->nloops].set = (uint32_t)set;
    c->loops[c->nloops].source = source;
    c->nloops++;
    vtype t = check_expr(c, e->args[2]);
    c->nloops--;
    if (t == VT_NONE)
        return VT_NONE;
    if (t != VT_BOOL) {
        err(c, e->args[2]->loc, "type error: %s() needs a bool condition, not %s", fn,
            tname(t));
        return VT_NONE;
    }
    e->kind = EX_QUANT;
    e->ival = !strcmp(fn, "any");
    e->index = (uint32_t)set;
    e->is_const = false;
    return VT_BOOL;
}

/* The type letter cls of an instruction's types (opcodes.def) as the
 * type of a builtin's result: args are its arguments' types. */
static vtype result_type(const builtin_info *bi, char cls, const vtype *at, uint32_t n)
{
    bool hex = false;
    for (uint32_t k = 0; k < n; k++)
        hex = hex || at[k] == VT_HEX;
    switch (cls) {
    case 't': return (vtype)bi->type;
    case 'j': return hex ? VT_HEX : VT_INT;
    case '=': return n ? at[0] : VT_NONE;
    default: return op_class_type(cls);
    }
}

/* A call of a builtin (builtins.def): its arguments are its instruction's
 * R operands (expressions, of the types opcodes.def gives) and S operands
 * (facts); its result is the type the instruction writes. */
static vtype check_call(chk *c, ast_expr *e)
{
    if (!strcmp(e->str, "all") || !strcmp(e->str, "any"))
        return check_quant(c, e);
    int b = -1;
    for (int i = 0; i < BI__COUNT; i++)
        if (!strcmp(builtins[i].name, e->str))
            b = i;
    if (b < 0) {
        err(c, e->loc, "unknown function '%s'", e->str);
        return VT_NONE;
    }
    e->builtin = b;
    const builtin_info *bi = &builtins[b];
    unsigned nargs = builtin_nargs((builtin)b);
    if (e->nargs != nargs) {
        err(c, e->loc, "%s() takes %u argument%s, not %u", e->str, nargs, nargs == 1 ? "" : "s",
            e->nargs);
        return VT_NONE;
    }
    const char *roles = op_operands[bi->op], *types = op_types[bi->op];
    vtype at[3] = { VT_NONE, VT_NONE, VT_NONE };
    bool ok = true;
    uint32_t n = 0;
    e->is_const = true;
    for (int k = 0; k < 3; k++) {
        if (roles[k] != 'R' && roles[k] != 'S')
            continue;
        ast_expr *a = e->args[n];
        if (roles[k] == 'S') {
            /* a fact: self.FIELD or source.FIELD, never a constant */
            if (a->kind != EX_NAME || !strchr(a->str, '.')) {
                err(c, a->loc, "%s() takes %s", e->str, bi->want);
                return VT_NONE;
            }
            if (check_name(c, a) == VT_NONE)
                return VT_NONE;
            a->type = VT_STRING;
            e->is_const = false;
            at[n++] = VT_STRING;
            continue;
        }
        at[n] = check_expr(c, a);
        if (at[n] == VT_NONE)
            return VT_NONE;
        e->is_const = e->is_const && a->is_const;
        unsigned mask = types[k] == '='
                            ? (numeric(at[0]) ? (1u << VT_INT | 1u << VT_HEX) : 1u << at[0])
                            : op_class_mask(types[k]);
        if (!(mask & (1u << at[n])))
            ok = false;
        n++;
    }
    int w = op_find(bi->op, 'W');
    vtype rt = ok && w >= 0 ? result_type(bi, types[w], at, n) : VT_NONE;
    if (rt != VT_NONE)
        return rt;
    if (e->nargs == 1)
        err(c, e->loc, "type error: %s() takes %s, not %s", e->str, bi->want, tname(at[0]));
    else
        err(c, e->loc, "type error: %s() takes %s, not %s and %s", e->str, bi->want,
            tname(at[0]), tname(at[1]));
    return VT_NONE;
}

static vtype check_binary(chk *c, ast_expr *e)
{
    vtype a = check_expr(c, e->a);
    vtype b = check_expr(c, e->b);
    if (a == VT_NONE || b == VT_NONE)
        return VT_NONE;
    e->is_const = e->a->is_const && e->b->is_const;
    switch (e->op) {
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
    case OP_ADD:
    case OP_SUB:
        if (numeric(a) && numeric(b))
            return a == VT_HEX || b == VT_HEX ? VT_HEX : VT_INT;
        err(c, e->loc, "type error: '%s' takes integers, not %s and %s", ex_op_str(e->op),
            tname(a), tname(b));
        return VT_NONE;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        if ((numeric(a) && numeric(b)) || (a == VT_SEMVER && b == VT_SEMVER))
            return VT_BOOL;
        if (a == VT_SET && b == VT_SET) {
            /* a <= b is subset(a, b); a >= b is subset(b, a) */
            bool le = e->op == OP_LT || e->op == OP_LE;
            const ast_expr *sub = le ? e->a : e->b, *sup = le ? e->b : e->a;
            const char *t = c->ast->text;
            err(c, e->loc,
                "type error: '%s' orders integers or semvers, not sets: "
                "write subset(%.*s, %.*s)%s",
                ex_op_str(e->op), (int)(sub->loc.end - sub->loc.start), t + sub->loc.start,
                (int)(sup->loc.end - sup->loc.start), t + sup->loc.start,
                e->op == OP_LT || e->op == OP_GT ? " and != for a strict subset" : "");
            return VT_NONE;
        }
        err(c, e->loc, "type error: '%s' orders integers or semvers, not %s and %s",
            ex_op_str(e->op), tname(a), tname(b));
        return VT_NONE;
    case OP_EQ:
    case OP_NE:
        if (a == b || (numeric(a) && numeric(b)))
            return VT_BOOL;
        err(c, e->loc,
            "type error: cannot compare %s with %s (convert one: int(), "
            "semver(), ...)",
            tname(a), tname(b));
        return VT_NONE;
    case OP_AND:
    case OP_OR:
        if (a == VT_BOOL && b == VT_BOOL)
            return VT_BOOL;
        err(c, e->loc, "type error: '%s' takes bools, not %s and %s", ex_op_str(e->op),
            tname(a), tname(b));
        return VT_NONE;
    default: return VT_NONE;
    }
}

static vtype check_expr(chk *c, ast_expr *e)
{
    vtype t = VT_NONE;
    switch (e->kind) {
    case EX_INT:
        e->is_const = true;
        t = VT_INT;
        if (e->min_magnitude) {
            err(c, e->loc, "integer literal out of range (64-bit signed)");
            t = VT_NONE;
        }
        break;
    case EX_STR:
        e->is_const = true;
        t = VT_STRING;
        break;
    case EX_BOOL:
        e->is_const = true;
        t = VT_BOOL;
        break;
    case EX_NAME: t = check_name(c, e); break;
    case EX_UNARY: {
        vtype a = check_expr(c, e->a);
        e->is_const = e->a->is_const;
        if (a == VT_NONE)
            break;
        if (e->op == OP_NEG && numeric(a))
            t = a;
        else if (e->op == OP_NOT && a == VT_BOOL)
            t = VT_BOOL;
        else
            err(c, e->loc, "type error: '%s' takes %s, not %s", ex_op_str(e->op),
                e->op == OP_NEG ? "an integer" : "a bool", tname(a));
        break;
    }
    case EX_BINARY: t = check_binary(c, e); break;
    case EX_CALL:
    case EX_QUANT: t = check_call(c, e); break;
    }
    e->type = t;
    return t;
}

/* ------------------------------------------------------------ constraints */

static int cmp_range(const void *a, const void *b)
{
    const chk_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_urange(const void *a, const void *b)
{
    const chk_range *x = a, *y = b;
    uint64_t p = (uint64_t)x->lo, q = (uint64_t)y->lo;
    return p < q ? -1 : p > q;
}

static int cmp_dstr(const void *a, const void *b)
{
    const dstr *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->p, y->p, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* Split a constraint at commas outside quotes; calls item() for each
 * trimmed item [s, e) (offsets into the policy text). */
typedef bool (*item_fn)(chk *c, chk_ct *ct, uint32_t s, uint32_t e);

static bool split_items(chk *c, chk_ct *ct, item_fn item)
{
    const char *t = c->ast->text;
    uint32_t s = ct->loc.start, end = ct->loc.end, i = s;
    bool ok = true;
    while (i <= end) {
        uint32_t b = i;
        while (i < end && t[i] != ',') {
            if (t[i] == '"') {
                for (i++; i < end && t[i] != '"'; i++)
                    if (t[i] == '\\')
                        i++;
            }
            i++;
        }
        if (i > end)
            i = end;
        uint32_t ib = b, ie = i;
        while (ib < ie && (t[ib] == ' ' || t[ib] == '\t'))
            ib++;
        while (ie > ib && (t[ie - 1] == ' ' || t[ie - 1] == '\t'))
            ie--;
        if (ib == ie) {
            err(c, (span){ b, i + 1 > end ? end : i + 1 }, "empty item in constraint");
            ok = false;
        } else if (!item(c, ct, ib, ie)) {
            ok = false;
        }
        i++;
    }
    return ok;
}

/* A bound that does not parse: a constraint naming a variable gets the
 * reason constraints are constants (docs/language.md, section 7), and the
 * variable counts as used, so that no "unused" warning follows. */
static void bad_bound(chk *c, const char *t, const char *ls, const char *le, bool hex,
                      const char *op)
{
    uint32_t s = (uint32_t)(ls - t), e = (uint32_t)(le - t);
    bool ident = ls < le && (isalpha((unsigned char)*ls) || *ls == '_');
    for (const char *q = ls; ident && q < le; q++)
        ident = isalnum((unsigned char)*q) || *q == '_';
    if (ident) {
        char name[DC_MAX_NAME + 1];
        size_t n = (size_t)(le - ls) < DC_MAX_NAME ? (size_t)(le - ls) : DC_MAX_NAME;
        memcpy(name, ls, n);
        name[n] = '\0';
        bool later;
        int32_t v = lookup(c, name, s, &later);
        if (v >= 0) {
            c->out->vars[v].used = true;
            err(c, (span){ s, e },
                "constraints are constants: compare in a where "
                "('%s' is a variable: where %s %s %s)",
                name, c->declaring, op, name);
            return;
        }
    }
    err(c, (span){ s, e }, "'%.*s' is not %s value", (int)(le - ls), ls,
        hex ? "a hex" : "an int");
}

static bool num_item(chk *c, chk_ct *ct, uint32_t s, uint32_t e)
{
    const char *t = c->ast->text;
    const char *dots = NULL;
    for (uint32_t i = s; i + 1 < e; i++)
        if (t[i] == '.' && t[i + 1] == '.') {
            dots = t + i;
            break;
        }
    chk_range r;
    bool hex = ct->type == VT_HEX;
    const char *ls = t + s, *le = dots ? dots : t + e;
    const char *hs = dots ? dots + 2 : t + s, *he = t + e;
    while (le > ls && le[-1] == ' ')
        le--;
    while (hs < he && *hs == ' ')
        hs++;
    if (dots && ls == le)
        r.lo = hex ? 0 : INT64_MIN;
    else if (hex ? !parse_hex(ls, (size_t)(le - ls), (uint64_t *)&r.lo)
                 : !parse_int(ls, (size_t)(le - ls), &r.lo)) {
        bad_bound(c, t, ls, le, hex, dots ? ">=" : "==");
        return false;
    }
    if (dots && hs == he)
        r.hi = hex ? (int64_t)UINT64_MAX : INT64_MAX;
    else if (!dots)
        r.hi = r.lo;
    else if (hex ? !parse_hex(hs, (size_t)(he - hs), (uint64_t *)&r.hi)
                 : !parse_int(hs, (size_t)(he - hs), &r.hi)) {
        bad_bound(c, t, hs, he, hex, dots ? "<=" : "==");
        return false;
    }
    if (hex ? (uint64_t)r.lo > (uint64_t)r.hi : r.lo > r.hi) {
        err(c, (span){ s, e }, "empty constraint: the range %.*s holds no value", (int)(e - s),
            t + s);
        return false;
    }
    chk_range *rs = grow(c, ct->ranges, &ct->cap_ranges, ct->nranges, sizeof *rs);
    if (!rs)
        return false;
    ct->ranges = rs;
    rs[ct->nranges++] = r;
    return true;
}

static bool str_item(chk *c, chk_ct *ct, uint32_t s, uint32_t e)
{
    const char *t = c->ast->text;
    dstr item;
    if (t[s] == '"') {
        if (e - s < 2 || t[e - 1] != '"') {
            err(c, (span){ s, e }, "unterminated quoted item");
            return false;
        }
        char *d = arena_alloc(&c->ast->ar, e - s);
        uint32_t n = 0;
        if (!d) {
            c->oom = true;
            return false;
        }
        for (uint32_t i = s + 1; i < e - 1; i++) {
            char ch = t[i];
            if (ch == '\\' && i + 1 < e - 1) {
                ch = t[++i];
                if (ch == 'n')
                    ch = '\n';
                else if (ch == 't')
                    ch = '\t';
                else if (ch != '"' && ch != '\\') {
                    err(c, (span){ i - 1, i + 1 },
                        "unknown escape '\\%c' (use \\\" \\\\ "
                        "\\n or \\t)",
                        ch);
                    return false;
                }
            }
            d[n++] = ch;
        }
        item = (dstr){ d, n };
    } else {
        item = (dstr){ t + s, e - s };
    }
    dstr *items = grow(c, ct->items, &ct->cap_items, ct->nitems, sizeof *items);
    if (!items)
        return false;
    ct->items = items;
    items[ct->nitems++] = item;
    return true;
}

static chk_ct *check_constraint(chk *c, ast_part *pt)
{
    chk_ct *ct = arena_alloc(&c->ast->ar, sizeof *ct);
    if (!ct) {
        c->oom = true;
        return NULL;
    }
    ct->type = pt->type;
    ct->loc = pt->constraint_loc;
    ct->text = pt->constraint;
    ct->text_len = pt->constraint_len;
    checked *o = c->out;
    chk_ct **cts = grow(c, o->cts, &o->cap_cts, o->ncts, sizeof *cts);
    if (!cts)
        return NULL;
    o->cts = cts;
    cts[o->ncts++] = ct;
    const char *t = c->ast->text;
    bool ok = true;
    switch (pt->type) {
    case VT_INT:
    case VT_HEX:
        ok = split_items(c, ct, num_item);
        if (ok && ct->nranges) {
            bool hex = pt->type == VT_HEX;
            qsort(ct->ranges, ct->nranges, sizeof *ct->ranges, hex ? cmp_urange : cmp_range);
            uint32_t k = 0;
            for (uint32_t i = 1; i < ct->nranges; i++) {
                chk_range *last = &ct->ranges[k], *r = &ct->ranges[i];
                bool touches =
                    hex ? (uint64_t)r->lo <= (uint64_t)last->hi ||
                              (uint64_t)r->lo - 1 == (uint64_t)last->hi
                        : r->lo <= last->hi || (last->hi != INT64_MAX && r->lo == last->hi + 1);
                if (touches) {
                    if (hex ? (uint64_t)r->hi > (uint64_t)last->hi : r->hi > last->hi)
                        last->hi = r->hi;
                } else {
                    ct->ranges[++k] = *r;
                }
            }
            ct->nranges = k + 1;
        }
        break;
    case VT_STRING:
    case VT_SET:
        ok = split_items(c, ct, str_item);
        if (ok && ct->nitems) {
            qsort(ct->items, ct->nitems, sizeof *ct->items, cmp_dstr);
            uint32_t k = 0;
            for (uint32_t i = 1; i < ct->nitems; i++)
                if (cmp_dstr(&ct->items[k], &ct->items[i]) != 0)
                    ct->items[++k] = ct->items[i];
            ct->nitems = k + 1;
        }
        break;
    case VT_SEMVER: {
        char msg[256];
        size_t eoff = 0;
        if (!sv_range_parse(c->alloc, t + ct->loc.start, ct->loc.end - ct->loc.start, &ct->sv,
                            msg, sizeof msg, &eoff)) {
            if (!strncmp(msg, "out of memory", 13)) { /* not the policy's fault */
                c->oom = true;
                return NULL;
            }
            uint32_t at = ct->loc.start + (uint32_t)eoff;
            if (at >= ct->loc.end)
                at = ct->loc.start;
            err(c, (span){ at, ct->loc.end }, "invalid semver range: %s", msg);
            return NULL;
        }
        ct->has_sv = true;
        if (sv_range_is_empty(&ct->sv)) {
            err(c, ct->loc, "empty constraint: no version satisfies '%s'", pt->constraint);
            return NULL;
        }
        break;
    }
    case VT_BOOL:
        if (pt->constraint_len == 4 && !memcmp(pt->constraint, "true", 4))
            ct->bval = true;
        else if (pt->constraint_len == 5 && !memcmp(pt->constraint, "false", 5))
            ct->bval = false;
        else {
            err(c, ct->loc, "a bool constraint is 'true' or 'false'");
            return NULL;
        }
        break;
    default: return NULL;
    }
    return ok ? ct : NULL;
}

/* ------------------------------------------------------------ rules */

static bool is_int_literal(const ast_value *v, int64_t *out)
{
    return v->kind == VAL_TEMPLATE && v->nparts == 1 && !v->parts[0].is_placeholder &&
           parse_int(v->parts[0].text, v->parts[0].len, out);
}

static void check_template(chk *c, ast_rule *r)
{
    ast_value *v = &r->value;
    for (uint32_t i = 0; i < v->nparts; i++) {
        ast_part *pt = &v->parts[i];
        if (!pt->is_placeholder)
            continue;
        if (pt->is_decl) {
            if (r->op != RO_EQ) {
                err(c, pt->loc,
                    "a declaration is only allowed in an '=' rule, not under "
                    "'%s'",
                    rule_op_str(r->op));
                continue;
            }
            if (pt->constraint) {
                c->declaring = pt->name;
                pt->ct = check_constraint(c, pt);
            }
            int32_t var = declare(c, pt);
            if (var >= 0)
                pt->var = (uint32_t)var;
            else
                pt->is_decl = false, pt->type = VT_NONE;
            continue;
        }
        vtype t = check_expr(c, pt->expr);
        if (t == VT_NONE)
            continue;
        if (t == VT_SET && v->nparts > 1) {
            err(c, pt->loc, "a set cannot be a part of a template");
            pt->expr->type = VT_NONE;
        }
    }
}

/* Does e use a variable declared at index >= first (by the template being
 * checked: variables are numbered in declaration order)? */
static bool uses_vars_from(const ast_expr *e, uint32_t first)
{
    if (!e)
        return false;
    if (e->kind == EX_NAME && e->ref == REF_VAR)
        return e->index >= first;
    if (uses_vars_from(e->a, first) || uses_vars_from(e->b, first))
        return true;
    for (uint32_t i = 0; i < e->nargs; i++)
        if (uses_vars_from(e->args[i], first))
            return true;
    return false;
}

/* A template whose only literal text is between its placeholders and made
 * of + * % (`{a}+{b}`): probably meant as arithmetic (docs/language.md,
 * section 4). */
static bool looks_like_arithmetic(const ast_value *v)
{
    if (v->nparts < 3 || !v->parts[0].is_placeholder || !v->parts[v->nparts - 1].is_placeholder)
        return false;
    for (uint32_t i = 0; i < v->nparts; i++) {
        const ast_part *pt = &v->parts[i];
        if (pt->is_placeholder)
            continue;
        bool op = false;
        for (uint32_t k = 0; k < pt->len; k++) {
            if (pt->text[k] == '+' || pt->text[k] == '*' || pt->text[k] == '%')
                op = true;
            else if (pt->text[k] != ' ' && pt->text[k] != '\t')
                return false;
        }
        if (!op)
            return false;
    }
    return true;
}

static void check_rule(chk *c, ast_block *b, ast_rule *r)
{
    if (r->is_where) {
        c->in_where = true;
        vtype t = check_expr(c, r->where);
        c->in_where = false;
        if (t != VT_NONE && t != VT_BOOL)
            err(c, r->where->loc, "type error: 'where' needs a bool, not %s", tname(t));
        else if (t == VT_BOOL && r->where->is_const)
            warn(c, r->where->loc, "constant 'where': it does not depend on any device");
        return;
    }
    int32_t s = slot_of(c, r->field, r->field_len, VT_NONE);
    if (s < 0)
        return;
    r->slot = (uint32_t)s;
    ast_value *v = &r->value;
    bool ordering = r->op >= RO_LT;
    int64_t lit;
    switch (v->kind) {
    case VAL_EMPTY:
    case VAL_QUOTED:
        if (ordering)
            err(c, r->op_loc,
                "ordering operator '%s' on an untyped value: compare with an "
                "integer or a typed variable such as {v}",
                rule_op_str(r->op));
        return;
    case VAL_EXPR: {
        vtype t = check_expr(c, v->expr);
        if (t != VT_NONE && !numeric(t))
            err(c, v->expr->loc, "type error: an arithmetic value must be an integer, not %s",
                tname(t));
        else if (t != VT_NONE)
            slot_of(c, r->field, r->field_len, t);
        return;
    }
    case VAL_TEMPLATE: break;
    }
    uint32_t first = c->out->nvars;
    check_template(c, r);
    uint32_t nph = 0;
    for (uint32_t i = 0; i < v->nparts; i++) {
        ast_part *pt = &v->parts[i];
        if (!pt->is_placeholder)
            continue;
        nph++;
        if (!pt->is_decl && pt->expr && chk_plain_var(pt->expr) < 0 &&
            uses_vars_from(pt->expr, first)) {
            err(c, pt->loc,
                "this expression uses a variable declared in the same template; "
                "compute it in a later rule");
            pt->expr->type = VT_NONE;
        }
    }
    if (looks_like_arithmetic(v))
        warn(c, v->loc,
             "a template: this matches text such as '5+3' literally; for "
             "arithmetic write one group such as {a + b}");
    bool whole = v->nparts == 1 && nph == 1;
    if (ordering) {
        if (nph == 0 && is_int_literal(v, &lit)) {
            slot_of(c, r->field, r->field_len, VT_INT);
            return;
        }
        if (!whole || v->parts[0].is_decl || !v->parts[0].expr ||
            v->parts[0].expr->type == VT_NONE) {
            if (!whole || !v->parts[0].is_decl)
                err(c, v->loc,
                    "ordering operator '%s' on an untyped value: compare with an "
                    "integer or a typed variable such as {v}",
                    rule_op_str(r->op));
            return;
        }
        vtype t = v->parts[0].expr->type;
        if (!numeric(t) && t != VT_SEMVER) {
            err(c, v->loc, "type error: '%s' orders integers or semvers, not %s",
                rule_op_str(r->op), tname(t));
            return;
        }
        slot_of(c, r->field, r->field_len, t);
        return;
    }
    if (whole) {
        ast_part *pt = &v->parts[0];
        vtype t = pt->is_decl ? pt->type : pt->expr ? pt->expr->type : VT_NONE;
        if (t != VT_NONE)
            slot_of(c, r->field, r->field_len, t);
    }
    (void)b;
}

/* ------------------------------------------------------------ lint */

static bool same_text(const ast_policy *a, span x, span y)
{
    return x.end - x.start == y.end - y.start &&
           memcmp(a->text + x.start, a->text + y.start, x.end - x.start) == 0;
}

static void lint_block(chk *c, ast_block *b)
{
    for (uint32_t i = 0; i < b->nrules; i++)
        for (uint32_t j = 0; j < i; j++)
            if (same_text(c->ast, b->rules[i].loc, b->rules[j].loc)) {
                warn(c, b->rules[i].loc, "rule repeated in this block (first on line %u)",
                     b->rules[j].line);
                break;
            }
}

static bool same_block(const ast_policy *a, const ast_block *x, const ast_block *y)
{
    if (x->nrules != y->nrules || x->nrules == 0) /* empty: an error already */
        return false;
    for (uint32_t i = 0; i < x->nrules; i++)
        if (!same_text(a, x->rules[i].loc, y->rules[i].loc))
            return false;
    return true;
}

/* ------------------------------------------------------------ fail closed */

/* Does the text of block i, from the end of its header line to the next
 * header (or the end), hold anything but blanks and comments?  Read from the
 * text, so that a rule dropped for a syntax error still counts. */
static bool block_has_text(const ast_policy *a, uint32_t i)
{
    const char *t = a->text;
    uint32_t s = a->blocks[i].loc.end;
    uint32_t e = i + 1 < a->nblocks ? a->blocks[i + 1].loc.start : a->len;
    while (s < e && t[s] != '\n') /* the rest of the header line */
        s++;
    bool line_start = true, comment = false;
    for (; s < e; s++) {
        char c = t[s];
        if (c == '\n') {
            line_start = true;
            comment = false;
        } else if (comment || c == ' ' || c == '\t' || c == '\r') {
            continue;
        } else if (line_start && c == '#') {
            comment = true;
        } else {
            return true;
        }
    }
    return false;
}

/* Does e read the source (source.F anywhere in it)? */
static bool reads_source(const ast_expr *e)
{
    if (!e)
        return false;
    if (e->kind == EX_NAME && e->ref == REF_SOURCE_FIELD)
        return true;
    if (reads_source(e->a) || reads_source(e->b))
        return true;
    for (uint32_t k = 0; k < e->nargs; k++)
        if (reads_source(e->args[k]))
            return true;
    return false;
}

/* An empty block is an error: a COMPATIBLE block with no rule would accept
 * every source, and a text cut short after its header would fail open.  A
 * COMPATIBLE block none of whose rules reads the source accepts every
 * source too: a warning (docs/language.md, section 2). */
static void fail_closed(chk *c, uint32_t i, uint32_t index, bool had_errors)
{
    ast_block *b = &c->ast->blocks[i];
    static const char *const kinds[] = { "POLICY", "SELF", "COMPATIBLE" };
    if (b->nrules == 0) {
        if (!block_has_text(c->ast, i) && !b->too_many_rules)
            err(c, b->loc, "empty %s block: a block holds at least one rule%s", kinds[b->kind],
                b->kind == BK_COMPATIBLE ? " (an empty one would accept every source)" : "");
        return;
    }
    if (b->kind != BK_COMPATIBLE)
        return;
    for (uint32_t k = 0; k < b->nrules; k++)
        if (!b->rules[k].is_where || reads_source(b->rules[k].where))
            return;
    if (!c->ast->syntax_errors && !had_errors) /* a rule in error may have read it */
        warn(c, b->loc, "block %u accepts every source: none of its rules reads the source",
             index);
}

/* Block i's index among the COMPATIBLE blocks, as results number them. */
static uint32_t compat_index(const ast_policy *a, uint32_t i)
{
    uint32_t n = 0;
    for (uint32_t j = 0; j < i; j++)
        n += a->blocks[j].kind == BK_COMPATIBLE;
    return n;
}

/* ------------------------------------------------------------ policy */

static void check_policy_block(chk *c, ast_block *b)
{
    for (uint32_t i = 0; i < b->nrules; i++) {
        ast_rule *r = &b->rules[i];
        bool literal = !r->is_where && r->op == RO_EQ &&
                       (r->value.kind == VAL_QUOTED || r->value.kind == VAL_EMPTY ||
                        (r->value.kind == VAL_TEMPLATE && r->value.nparts == 1 &&
                         !r->value.parts[0].is_placeholder));
        if (!literal) {
            err(c, r->loc, "POLICY holds metadata only: literal 'key = value' lines");
            continue;
        }
        if (r->field_len == 4 && !memcmp(r->field, "name", 4) && !c->out->name)
            c->out->name = r->value.kind == VAL_QUOTED  ? r->value.str
                           : r->value.kind == VAL_EMPTY ? ""
                                                        : r->value.parts[0].text;
    }
}

bool chk_policy(ast_policy *ast, dc_diags *diags, const dc_alloc *alloc, checked *out)
{
    chk c = { .ast = ast, .d = diags, .alloc = alloc, .out = out };
    memset(out, 0, sizeof *out);
    out->self_block = out->policy_block = -1;
    int32_t first_compat = -1;
    uint32_t ncompat = 0;
    bool saw_self = false, broken = false;
    uint32_t nblocks = ast->nblocks > DC_MAX_BLOCKS ? DC_MAX_BLOCKS : ast->nblocks;

    for (uint32_t i = 0; i < nblocks; i++) {
        ast_block *b = &ast->blocks[i];
        if (b->broken) {
            broken = true;
            continue;
        }
        switch (b->kind) {
        case BK_POLICY:
            if (out->policy_block >= 0)
                err(&c, b->loc, "second POLICY block (a policy has at most one)");
            else
                out->policy_block = (int32_t)i;
            break;
        case BK_SELF:
            saw_self = true;
            if (out->self_block >= 0)
                err(&c, b->loc, "second SELF block (a policy has exactly one)");
            else if (first_compat >= 0)
                err(&c, b->loc, "SELF must come before the COMPATIBLE blocks");
            else
                out->self_block = (int32_t)i;
            break;
        case BK_COMPATIBLE:
            if (first_compat < 0)
                first_compat = (int32_t)i;
            ncompat++;
            break;
        }
    }
    if (out->policy_block >= 0)
        check_policy_block(&c, &ast->blocks[out->policy_block]);
    if (out->policy_block >= 0)
        fail_closed(&c, (uint32_t)out->policy_block, 0, false);
    /* SELF first: its variables are visible in every COMPATIBLE block. */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < nblocks; i++) {
            ast_block *b = &ast->blocks[i];
            if (b->broken ||
                (pass == 0 ? (int32_t)i != out->self_block : b->kind != BK_COMPATIBLE))
                continue;
            c.block = i;
            c.in_self = pass == 0;
            c.scope_first = out->nvars;
            uint32_t errors = diags->nerrors;
            for (uint32_t k = 0; k < b->nrules && k < DC_MAX_RULES; k++)
                check_rule(&c, b, &b->rules[k]);
            lint_block(&c, b);
            fail_closed(&c, i, compat_index(ast, i), diags->nerrors > errors);
            if (pass == 0)
                c.self_end = out->nvars;
            if (pass == 1) {
                for (uint32_t j = 0; j < i; j++)
                    if (ast->blocks[j].kind == BK_COMPATIBLE && !ast->blocks[j].broken &&
                        same_block(ast, b, &ast->blocks[j])) {
                        warn(&c, b->loc, "COMPATIBLE block identical to the one on line %u",
                             ast->blocks[j].line);
                        break;
                    }
            }
        }
    }
    /* after a syntax error, a use may have been lost with its line */
    for (uint32_t i = 0; i < out->nvars && !ast->syntax_errors; i++) {
        chk_var *v = &out->vars[i];
        if (!v->used && !v->constrained)
            warn(&c, v->decl, "unused variable '%s' (a name starting with '_' is exempt)",
                 v->name);
    }
    /* "no SELF" and friends point at the last line, not past it */
    uint32_t last = ast->len;
    while (last > 0 && (ast->text[last - 1] == '\n' || ast->text[last - 1] == '\r'))
        last--;
    span end = { last, last };
    if (!saw_self && !broken && !ast->too_many_blocks)
        err(&c, end, "no SELF block: a policy says which targets it is for in 'SELF:'");
    if (ncompat == 0 && !broken && !ast->too_many_blocks)
        err(&c, end, "no COMPATIBLE block: a policy needs at least one 'COMPATIBLE:' block");
    hmap_free(&c.slot_index, alloc);
    return !c.oom;
}

void chk_release(checked *c, const dc_alloc *alloc)
{
    for (uint32_t i = 0; i < c->ncts; i++) {
        chk_ct *ct = c->cts[i];
        mem_free(alloc, ct->ranges);
        mem_free(alloc, ct->items);
        if (ct->has_sv)
            sv_range_free(alloc, &ct->sv);
    }
    mem_free(alloc, c->cts);
    mem_free(alloc, c->vars);
    mem_free(alloc, c->slots);
    mem_free(alloc, c->recsets);
    mem_free(alloc, c->recfields);
    memset(c, 0, sizeof *c);
}
