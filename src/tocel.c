/* tocel.c -- a policy specialised to one source, as a Kubernetes DRA device
 * selector (docs/kubernetes.md).
 *
 * A DRA selector is a CEL expression over one device.  Given the source's
 * facts, everything the source determines is computed here, and what is
 * left -- SELF's rules and each COMPATIBLE block's rules over the target --
 * is written in CEL over `device.attributes["DOMAIN"]`.  The translation is
 * exact or refused: for every device whose attributes (of the types
 * dc_cel_attribute_get lists) read as its facts, the selector is true
 * exactly when dc_check says "compatible".  A rule CEL cannot express
 * exactly is an error naming it, never a weaker selector.
 *
 * The program is walked symbolically, rule by rule, like the VM would run it
 * with the source known and the target unknown.  A register holds a
 * constant (computed as the VM computes it) or a CEL expression.  Failures
 * are conditions: every instruction that can fail adds "it does not fail"
 * to the condition of the path it runs on (`alive`), so a rule holds when
 * its path is alive and its test holds.  Kubernetes aborts allocation when
 * a selector evaluates to an error, so every expression is guarded: an
 * attribute is read only where its presence and type were tested, and
 * arithmetic only where it cannot overflow; CEL's && and || absorb the
 * errors of a side whose other side decides.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "facts.h"
#include "limits.h"
#include "policy.h"
#include "prepared.h"
#include "vm.h"

#define CEL_MAX_EXPR (10 * 1024) /* Kubernetes' limit for a selector */
#define DRA_MAX_NAME 32          /* a DRA attribute name: a C identifier */

typedef struct cattr {
    char *fact, *domain, *name;
    const char *type;
} cattr;

struct dc_cel {
    const dc_alloc *alloc;
    char *expr;
    uint32_t nattrs;
    cattr *attrs; /* in fact name order */
};

typedef enum { SK_CONST, SK_CEL } sym_kind;

/* A register: a constant, or a CEL expression of type `type` that is safe
 * to evaluate wherever the path that computed it is alive. */
typedef struct sym {
    uint8_t kind;
    uint8_t type;
    value v;
    const char *e;
} sym;

typedef struct frame {
    const char *alive; /* CEL: the path so far did not fail */
    uint16_t reg;      /* the join's register */
    uint32_t target;   /* the pc where the path joins */
    sym left;          /* the condition that was tested */
    bool and;          /* JF: left && right; JT: left || right */
} frame;

typedef struct tc {
    const dc_policy *pol;
    const program *p;
    const dc_alloc *a;
    arena ar;
    dc_error *err;
    const char *domain;
    const dc_prepared *src;
    sym *R;
    uint8_t *atype;            /* per slot: the attribute's type (VT_NONE: unread) */
    const char **dom, **aname; /* per slot: its attribute's domain and name */
    bool *raw;                 /* per slot: read as text too */
    bool oom, refused;
    uint32_t rule;  /* the rule being translated */
    uint32_t steps; /* template steps, one budget as a check has */
    char *scratch;  /* a template's registers as values */
} tc;

/* ------------------------------------------------------------ text */

static const char *cat(tc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *cat(tc *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? arena_alloc(&c->ar, (size_t)n + 1) : NULL;
    if (!s) {
        c->oom = true;
        return "false";
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* A CEL string literal of n bytes (facts are printable ASCII, tab and
 * newline). */
static const char *quote(tc *c, const char *s, size_t n)
{
    char *q = arena_alloc(&c->ar, 2 * n + 3);
    if (!q) {
        c->oom = true;
        return "\"\"";
    }
    size_t k = 0;
    q[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '"' || ch == '\\' || ch == '\n' || ch == '\t') {
            q[k++] = '\\';
            ch = ch == '\n' ? 'n' : ch == '\t' ? 't' : ch;
        }
        q[k++] = ch;
    }
    q[k++] = '"';
    q[k] = 0;
    return q;
}

static const char *and2(tc *c, const char *a, const char *b)
{
    if (!strcmp(a, "true"))
        return b;
    if (!strcmp(b, "true"))
        return a;
    if (!strcmp(a, "false") || !strcmp(b, "false"))
        return "false";
    return cat(c, "%s && %s", a, b);
}

static const char *or2(tc *c, const char *a, const char *b)
{
    if (!strcmp(a, "false"))
        return b;
    if (!strcmp(b, "false"))
        return a;
    if (!strcmp(a, "true") || !strcmp(b, "true"))
        return "true";
    return cat(c, "(%s || %s)", a, b);
}

/* Refuse the policy: the rule being translated cannot be said in CEL. */
static bool refuse(tc *c, const char *why, ...) __attribute__((format(printf, 2, 3)));

static bool refuse(tc *c, const char *why, ...)
{
    if (c->refused || c->oom)
        return false;
    c->refused = true;
    char msg[512];
    va_list ap;
    va_start(ap, why);
    vsnprintf(msg, sizeof msg, why, ap);
    va_end(ap);
    uint32_t line = c->rule < c->p->nrules ? c->p->rules[c->rule].line : 0;
    dc_error_set(c->err, DC_ERR_UNSUPPORTED, "%s:%" PRIu32 ": cannot be expressed in CEL: %s",
                 c->pol->file, line, msg);
    return false;
}

/* ------------------------------------------------------------ attributes */

static dstr slot_name(const tc *c, uint32_t s)
{
    return prog_str(c->p, c->p->slots[s].name);
}

/* Where a target fact is among a device's DRA attributes, as the DRA
 * importer names them (docs/facts.md, "dra"): a name without a dot is an
 * attribute of the driver's own domain (`--domain`); `a.b.name` is `name`
 * in domain `a.b`, a '_' in a label standing for '-'.  NULL when the name
 * is one, else why not. */
static const char *dra_name(tc *c, uint32_t s)
{
    dstr n = slot_name(c, s);
    const char *dot = NULL;
    for (uint32_t i = 0; i < n.len; i++)
        if (n.p[i] == '.')
            dot = n.p + i;
    const char *name = dot ? dot + 1 : n.p;
    size_t nlen = n.len - (size_t)(name - n.p), dlen = dot ? (size_t)(dot - n.p) : 0;
    if (nlen == 0 || nlen > DRA_MAX_NAME)
        return "an attribute's name is at most 32 characters";
    if (!dot) {
        c->dom[s] = c->domain;
    } else {
        if (dlen > 63)
            return "an attribute's domain is at most 63 characters";
        char *d = arena_alloc(&c->ar, dlen + 1);
        if (!d) {
            c->oom = true;
            return "out of memory";
        }
        for (size_t i = 0; i < dlen; i++) {
            char ch = n.p[i];
            bool edge = i == 0 || i + 1 == dlen || n.p[i - 1] == '.' || n.p[i + 1] == '.';
            if (ch >= 'A' && ch <= 'Z')
                return "a domain is lower case";
            if (ch == '_' && edge)
                return "a domain's label begins and ends with a letter or digit";
            d[i] = ch == '_' ? '-' : ch;
        }
        if (!strcmp(d, c->domain))
            return "the driver's own attributes are named without their domain";
        if (!strcmp(d, "dra") || !strcmp(d, "capacity"))
            return "the importer's own facts (where a device is, its capacity) are no "
                   "attributes";
        c->dom[s] = d;
    }
    c->aname[s] = arena_strndup(&c->ar, name, nlen);
    if (!c->aname[s])
        c->oom = true;
    return NULL;
}

static const char *attr(tc *c, uint32_t s)
{
    return cat(c, "device.attributes[\"%s\"].%s", c->dom[s], c->aname[s]);
}

static const char *present(tc *c, uint32_t s)
{
    return cat(c, "(\"%s\" in device.attributes && \"%s\" in device.attributes[\"%s\"])",
               c->dom[s], c->aname[s], c->dom[s]);
}

static const char *cel_type(vtype t)
{
    switch (t) {
    case VT_INT: return "int";
    case VT_BOOL: return "bool";
    case VT_SEMVER: return "version";
    case VT_STRING: return "string";
    case VT_HEX: return "string"; /* hex text, matched by pattern */
    default: return NULL;
    }
}

#define HEX_RE "^(0[xX])?0*[0-9a-fA-F]{1,16}$" /* value.c's parse_hex */

/* CEL's name of the attribute's type. */
static const char *type_test(vtype t)
{
    switch (t) {
    case VT_INT: return "int";
    case VT_BOOL: return "bool";
    case VT_SEMVER: return "type(semver(\"0.0.0\"))";
    default: return "string";
    }
}

/* Present and readable as its type: the selector's first conjunct has
 * already excluded devices with an attribute of another type. */
static const char *typed(tc *c, uint32_t s)
{
    if (c->atype[s] == VT_HEX)
        return cat(c, "%s && %s.matches(\"%s\")", present(c, s), attr(c, s), HEX_RE);
    return present(c, s);
}

/* Every attribute the selector reads, when present, is of its type. */
static const char *type_guards(tc *c)
{
    const char *g = "true";
    for (uint32_t s = 0; s < c->p->nslots; s++)
        if (c->atype[s] != VT_NONE)
            g = and2(c, g,
                     cat(c, "(!(%s) || type(%s) == %s)", present(c, s), attr(c, s),
                         type_test((vtype)c->atype[s])));
    return g;
}

/* The attribute's text as its fact reads (an int in decimal, a bool as
 * true/false: the DRA importer's rendering). */
static const char *text(tc *c, uint32_t s)
{
    vtype t = (vtype)c->atype[s];
    return t == VT_INT || t == VT_BOOL ? cat(c, "string(%s)", attr(c, s)) : attr(c, s);
}

/* Each target slot's attribute type, from how the program reads it. */
static bool type_attributes(tc *c)
{
    const program *p = c->p;
    for (uint32_t pc = 0; pc < p->ncode; pc++) {
        const insn *i = &p->code[pc];
        if (i->op == I_RULE) {
            c->rule = p->blocks[0].first_rule;
            for (uint32_t b = 0; b < p->nblocks; b++)
                if (pc >= p->blocks[b].entry && pc < p->blocks[b].end)
                    c->rule = p->blocks[b].first_rule + i->a;
            continue;
        }
        int so = op_find(i->op, 'S');
        if (so < 0 || (i->t & SIDE_SOURCE))
            continue;
        uint32_t s = so == 0 ? i->a : so == 1 ? i->b : i->c;
        if (s >= p->nslots)
            return refuse(c, "a slot out of range");
        dstr n = slot_name(c, s);
        const char *why = c->aname[s] ? NULL : dra_name(c, s);
        if (why)
            return refuse(c, "'%.*s' is no DRA attribute: %s", (int)n.len, n.p, why);
        vtype t = VT_NONE;
        switch ((enum opcode)i->op) {
        case I_EMPTY:
        case I_NONEMPTY:
        case I_EQSTR:
        case I_NESTR:
        case I_FIELD:
        case I_HAS: c->raw[s] = true; break;
        case I_LOADF:
        case I_FIELDT:
        case I_FCMP: t = (vtype)(i->t & TYPE_MASK); break;
        case I_MATCH:
        case I_NMATCH: return refuse(c, "a template over the target's '%.*s'", (int)n.len, n.p);
        default:
            return refuse(c, "%s of the target's '%.*s'",
                          (i->op < I__COUNT ? op_names[i->op] : "a superinstruction"),
                          (int)n.len, n.p);
        }
        if (t == VT_STRING)
            c->raw[s] = true;
        if (t == VT_NONE || t == VT_STRING)
            continue;
        if (!cel_type(t))
            return refuse(c, "'%.*s' is read as %s, which no DRA attribute type holds exactly",
                          (int)n.len, n.p, vtype_name(t));
        if (c->atype[s] != VT_NONE && c->atype[s] != t)
            return refuse(c, "'%.*s' is read as both %s and %s", (int)n.len, n.p,
                          vtype_name((vtype)c->atype[s]), vtype_name(t));
        c->atype[s] = (uint8_t)t;
    }
    for (uint32_t s = 0; s < p->nslots; s++) {
        if (c->raw[s] && c->atype[s] == VT_NONE)
            c->atype[s] = VT_STRING;
        if (c->raw[s] && c->atype[s] == VT_SEMVER) {
            dstr n = slot_name(c, s);
            return refuse(c, "'%.*s' is read both as text and as a version", (int)n.len, n.p);
        }
    }
    return true;
}

/* ------------------------------------------------------------ constants */

/* A pattern of the texts that parse_hex reads as one of vals[0..n). */
static const char *hex_pattern(tc *c, const uint64_t *vals, size_t n)
{
    const char *alts = "";
    for (size_t k = 0; k < n; k++) {
        char digits[17], re[17 * 6 + 1];
        snprintf(digits, sizeof digits, "%" PRIx64, vals[k]);
        size_t m = 0;
        for (const char *d = digits; *d; d++) {
            if (*d >= 'a' && *d <= 'f')
                m += (size_t)snprintf(re + m, sizeof re - m, "[%c%c]", *d, *d - 'a' + 'A');
            else
                re[m++] = *d;
        }
        re[m] = 0;
        /* zero: one zero or more, the leading zeros included */
        alts = cat(c, "%s%s%s", alts, k ? "|" : "", vals[k] ? re : "0");
    }
    return cat(c, "^(0[xX])?0*(%s)$", alts);
}

static const char *literal(tc *c, const value *v)
{
    char buf[64];
    switch ((vtype)v->type) {
    case VT_INT: return cat(c, "%" PRId64, v->as.i);
    case VT_HEX: return v->as.u > INT64_MAX ? NULL : cat(c, "%" PRIu64, v->as.u);
    case VT_BOOL: return v->as.b ? "true" : "false";
    case VT_STRING: return quote(c, v->as.s.p, v->as.s.len);
    case VT_SEMVER: {
        if (v->as.v.major > INT64_MAX || v->as.v.minor > INT64_MAX || v->as.v.patch > INT64_MAX)
            return NULL;
        size_t n = semver_render(&v->as.v, buf, sizeof buf);
        if (n < sizeof buf)
            return cat(c, "semver(%s)", quote(c, buf, n));
        char *big = arena_alloc(&c->ar, n + 1);
        if (!big) {
            c->oom = true;
            return "false";
        }
        semver_render(&v->as.v, big, n + 1);
        return cat(c, "semver(%s)", quote(c, big, n));
    }
    default: return NULL;
    }
}

static const char *operand(tc *c, const sym *s)
{
    if (s->kind == SK_CEL)
        return s->e;
    const char *l = literal(c, &s->v);
    if (!l)
        refuse(c, "a %s value CEL cannot hold", vtype_name((vtype)s->v.type));
    return l ? l : "false";
}

static sym cst(value v)
{
    return (sym){ SK_CONST, v.type, v, NULL };
}

static sym cel(uint8_t type, const char *e)
{
    return (sym){ SK_CEL, type, { 0 }, e };
}

static sym boolc(bool b)
{
    return cst((value){ .type = VT_BOOL, .as.b = b });
}

/* ------------------------------------------------------------ the walk */

typedef struct walk {
    frame fr[DC_MAX_NESTING * 2 + 8];
    int n; /* frames; fr[0] is the rule's */
} walk;

static const char **alive(walk *w)
{
    return &w->fr[w->n - 1].alive;
}

/* The path fails here when `ok` does not hold. */
static void need(tc *c, walk *w, const char *ok)
{
    *alive(w) = and2(c, *alive(w), ok);
}

static void fail_path(walk *w)
{
    *alive(w) = "false";
}

/* Comparison `x OP y` of two values (one at least an expression). */
static const char *compare(tc *c, const sym *x, const sym *y, uint8_t cmp)
{
    static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
    if (cmp > CMP_GE)
        return refuse(c, "an unknown comparison"), "false";
    uint8_t t = x->kind == SK_CEL ? x->type : y->type;
    if ((x->kind == SK_CEL && x->type == VT_HEX) || (y->kind == SK_CEL && y->type == VT_HEX)) {
        /* hex text: equality with a known value, by pattern */
        const sym *h = x->kind == SK_CEL ? x : y, *k = x->kind == SK_CEL ? y : x;
        if (k->kind != SK_CONST || (cmp != CMP_EQ && cmp != CMP_NE) ||
            (k->v.type != VT_HEX && k->v.type != VT_INT))
            return refuse(c, "a hex target value other than equal to a known one"), "false";
        if (k->v.type == VT_INT && k->v.as.i < 0)
            return cmp == CMP_EQ ? "false" : "true";
        uint64_t u = k->v.type == VT_HEX ? k->v.as.u : (uint64_t)k->v.as.i;
        return cat(c, "%s%s.matches(\"%s\")", cmp == CMP_EQ ? "" : "!", h->e,
                   hex_pattern(c, &u, 1));
    }
    const char *a = operand(c, x), *b = operand(c, y);
    if (t == VT_SEMVER)
        return cat(c, "%s.compareTo(%s) %s 0", a, b, ops[cmp]);
    if (t == VT_BOOL && cmp > CMP_NE)
        return refuse(c, "an ordering of booleans"), "false";
    if (t == VT_SET)
        return refuse(c, "a comparison of sets"), "false";
    return cat(c, "%s %s %s", a, ops[cmp], b);
}

/* A constraint table over an expression. */
static const char *constraint(tc *c, const sym *x, int32_t ti)
{
    const program *p = c->p;
    if (ti < 0 || (uint32_t)ti >= p->nctables)
        return refuse(c, "a constraint table out of range"), "false";
    const ctable *t = &p->ctables[ti];
    const char *e = "false";
    switch (t->kind) {
    case CT_INT:
        for (uint32_t k = 0; k < t->n; k++) {
            const irange *r = &p->ranges[t->first + k];
            e = or2(c, e,
                    r->lo == r->hi ? cat(c, "%s == %" PRId64, x->e, r->lo)
                                   : cat(c, "%s >= %" PRId64 " && %s <= %" PRId64, x->e, r->lo,
                                         x->e, r->hi));
        }
        return e;
    case CT_STRING: {
        const char *list = "";
        for (uint32_t k = 0; k < t->n; k++) {
            dstr s = p->strs[t->first + k];
            list = cat(c, "%s%s%s", list, k ? ", " : "", quote(c, s.p, s.len));
        }
        return cat(c, "%s in [%s]", x->e, list);
    }
    case CT_BOOL: return cat(c, "%s == %s", x->e, t->first ? "true" : "false");
    case CT_SEMVER:
        /* node-semver: all comparators hold, and a pre-release passes only
         * when a comparator names a pre-release of the same x.y.z */
        for (uint32_t k = 0; k < t->n; k++) {
            const svset *set = &p->svsets[t->first + k];
            const char *all = "true", *pre = cat(c,
                                                 "%s.compareTo(semver(string(%s.major()) + "
                                                 "\".\" + string(%s.minor()) + \".\" + "
                                                 "string(%s.patch()))) == 0",
                                                 x->e, x->e, x->e, x->e);
            static const uint8_t cmp_of[] = { [SV_LT] = CMP_LT,
                                              [SV_LE] = CMP_LE,
                                              [SV_GT] = CMP_GT,
                                              [SV_GE] = CMP_GE,
                                              [SV_EQ] = CMP_EQ };
            for (uint32_t j = 0; j < set->n; j++) {
                const sv_comparator *cm = &p->cmps[set->first + j];
                sym k2 = cst((value){ .type = VT_SEMVER, .as.v = cm->v });
                all = and2(c, all, compare(c, x, &k2, cmp_of[cm->op < 5 ? cm->op : SV_EQ]));
                if (cm->v.pre.len)
                    pre = or2(c, pre,
                              cat(c,
                                  "%s.major() == %" PRIu64 " && %s.minor() == %" PRIu64
                                  " && %s.patch() == %" PRIu64,
                                  x->e, cm->v.major, x->e, cm->v.minor, x->e, cm->v.patch));
            }
            e = or2(c, e, cat(c, "(%s && %s)", all, pre));
        }
        return e;
    case CT_HEX: {
        uint64_t vals[64];
        size_t n = 0;
        for (uint32_t k = 0; k < t->n; k++) {
            const irange *r = &p->ranges[t->first + k];
            for (uint64_t v = (uint64_t)r->lo;; v++) {
                if (n == sizeof vals / sizeof vals[0])
                    return refuse(c, "a hex constraint of more than 64 values over the "
                                     "target"),
                           "false";
                vals[n++] = v;
                if (v == (uint64_t)r->hi)
                    break;
            }
        }
        return cat(c, "%s.matches(\"%s\")", x->e, hex_pattern(c, vals, n));
    }
    default: return refuse(c, "a set constraint over the target"), "false";
    }
}

/* Checked integer arithmetic of the VM on constants; false when it fails. */
static bool arith_const(uint8_t op, const value *a, const value *b, value *out)
{
    int64_t x, y, z = 0;
    bool hex = a->type == VT_HEX || b->type == VT_HEX;
    if ((a->type == VT_HEX && a->as.u > INT64_MAX) ||
        (b->type == VT_HEX && b->as.u > INT64_MAX))
        return false;
    x = a->type == VT_HEX ? (int64_t)a->as.u : a->as.i;
    y = b->type == VT_HEX ? (int64_t)b->as.u : b->as.i;
    switch ((enum opcode)op) {
    case I_ADD:
        if (__builtin_add_overflow(x, y, &z))
            return false;
        break;
    case I_SUB:
        if (__builtin_sub_overflow(x, y, &z))
            return false;
        break;
    case I_MUL:
        if (__builtin_mul_overflow(x, y, &z))
            return false;
        break;
    case I_DIV:
        if (y == 0 || (x == INT64_MIN && y == -1) || x % y != 0)
            return false;
        z = x / y;
        break;
    case I_MOD:
        if (y == 0)
            return false;
        z = y == -1 ? 0 : x % y;
        break;
    case I_MIN: z = x < y ? x : y; break;
    case I_MAX: z = x > y ? x : y; break;
    default: return false;
    }
    if (hex && z >= 0)
        *out = (value){ .type = VT_HEX, .as.u = (uint64_t)z };
    else
        *out = (value){ .type = VT_INT, .as.i = z };
    return true;
}

/* Arithmetic with an expression: the value, and what keeps it from failing. */
static sym arith_cel(tc *c, walk *w, uint8_t op, const sym *x, const sym *y)
{
    if ((x->kind == SK_CEL && x->type != VT_INT) || (y->kind == SK_CEL && y->type != VT_INT))
        return refuse(c, "arithmetic over a target's %s",
                      vtype_name((vtype)(x->kind == SK_CEL ? x->type : y->type))),
               *x;
    if ((x->kind == SK_CONST && x->v.type == VT_HEX && x->v.as.u > INT64_MAX) ||
        (y->kind == SK_CONST && y->v.type == VT_HEX && y->v.as.u > INT64_MAX)) {
        fail_path(w); /* outside the signed 64-bit range of arithmetic */
        return cel(VT_INT, "0");
    }
    const char *a = operand(c, x), *b = operand(c, y);
    const char *mx = "9223372036854775807", *mn = "(-9223372036854775807 - 1)";
    switch ((enum opcode)op) {
    case I_ADD:
    case I_SUB:
        if (y->kind == SK_CONST) {
            /* x + k fits when x <= MAX - k (k >= 0) or x >= MIN - k (k < 0) */
            int64_t k = y->v.type == VT_HEX ? (int64_t)y->v.as.u : y->v.as.i;
            bool up = (op == I_ADD) == (k >= 0);
            if (k == INT64_MIN) /* |k| does not fit: x + MIN, x - MIN */
                need(c, w, cat(c, "%s %s 0", a, op == I_ADD ? ">=" : "<"));
            else if (k != 0)
                need(c, w,
                     cat(c, "%s %s %" PRId64, a, up ? "<=" : ">=",
                         up ? INT64_MAX - (k < 0 ? -k : k) : INT64_MIN + (k < 0 ? -k : k)));
        } else if (op == I_ADD) {
            need(c, w,
                 cat(c, "(%s >= 0 ? %s <= %s - %s : %s >= %s - %s)", b, a, mx, b, a, mn, b));
        } else {
            need(c, w,
                 cat(c, "(%s >= 0 ? %s >= %s + %s : %s <= %s + %s)", b, a, mn, b, a, mx, b));
        }
        return cel(VT_INT, cat(c, "(%s %s %s)", a, op == I_ADD ? "+" : "-", b));
    case I_MUL: {
        if (x->kind == SK_CEL && y->kind == SK_CEL)
            return refuse(c, "a product of two target values"), *x;
        const sym *k = x->kind == SK_CONST ? x : y, *s = x->kind == SK_CONST ? y : x;
        int64_t m = k->v.type == VT_HEX ? (int64_t)k->v.as.u : k->v.as.i;
        if (k->v.type == VT_HEX && k->v.as.u > INT64_MAX) {
            fail_path(w);
            return *s;
        }
        /* s * m fits when s lies within [INT64_MIN, INT64_MAX] / m */
        if (m == -1)
            need(c, w, cat(c, "%s != %s", s->e, mn));
        else if (m > 0)
            need(c, w,
                 cat(c, "%s >= %" PRId64 " && %s <= %" PRId64, s->e,
                     INT64_MIN / m + (INT64_MIN % m != 0), s->e, INT64_MAX / m));
        else if (m < -1)
            need(c, w,
                 cat(c, "%s >= %" PRId64 " && %s <= %" PRId64, s->e, INT64_MAX / m, s->e,
                     INT64_MIN / m));
        return cel(VT_INT, cat(c, "(%s * %s)", a, b));
    }
    case I_DIV:
        need(c, w,
             cat(c, "%s != 0 && !(%s == %s && %s == -1) && %s %% %s == 0", b, a, mn, b, a, b));
        return cel(VT_INT, cat(c, "(%s / %s)", a, b));
    case I_MOD:
        need(c, w, cat(c, "%s != 0", b));
        return cel(VT_INT, cat(c, "(%s == -1 ? 0 : %s %% %s)", b, a, b));
    case I_MIN:
    case I_MAX:
        return cel(VT_INT, cat(c, "(%s %s %s ? %s : %s)", a, op == I_MIN ? "<" : ">", b, a, b));
    default: return refuse(c, "%s over a target value", op_names[op]), *x;
    }
}

/* The source's fact of slot s. */
static const pfact *sfact(const tc *c, uint32_t s)
{
    return &c->src->slots[s];
}

/* A template matched against a source fact, the registers it compares with
 * known: its declarations become constants.  Returns the match (1, 0, -1). */
static int match_source(tc *c, const insn *i)
{
    const program *p = c->p;
    const tmpl *t = &p->tmpls[i->b];
    for (uint32_t k = 0; k < t->n; k++) {
        const tpart *tp = &p->tparts[t->first + k];
        if (tp->kind != TP_LIT && tp->type == VT_SET)
            return refuse(c, "a set inside a template"), -2;
        if (tp->kind == TP_CMP && c->R[tp->reg].kind != SK_CONST)
            return refuse(c, "a template that compares a target value inside a source "
                             "fact"),
                   -2;
    }
    value *regs = (value *)(void *)c->scratch;
    for (uint32_t r = 0; r < p->nregs; r++)
        regs[r] = c->R[r].kind == SK_CONST ? c->R[r].v : (value){ 0 };
    const pfact *f = sfact(c, i->a);
    int m = vm_prematch(p, t, f->raw.p ? f->raw.p : "", f->raw.len, regs, &c->steps);
    if (m == 1)
        for (uint32_t k = 0; k < t->n; k++) {
            const tpart *tp = &p->tparts[t->first + k];
            if (tp->kind == TP_DECL)
                c->R[tp->reg] = cst(regs[tp->reg]);
        }
    return m;
}

/* FCMP: slot a (parsed as type) compares with R[b]. */
static void fcmp(tc *c, walk *w, const insn *i)
{
    uint8_t type = i->t & TYPE_MASK, cmp = (i->t >> 4) & 7;
    const sym *y = &c->R[i->b];
    if (!(i->t & SIDE_SOURCE)) {
        need(c, w, type == VT_STRING ? present(c, i->a) : typed(c, i->a));
        sym x = cel(type, type == VT_STRING ? text(c, i->a) : attr(c, i->a));
        need(c, w, compare(c, &x, y, cmp));
        return;
    }
    const pfact *f = sfact(c, i->a);
    value v;
    if (!f->present || !pfact_value(f, (vtype)type, &v)) {
        fail_path(w);
        return;
    }
    if (type == VT_SET) {
        if (y->kind != SK_CONST || (cmp != CMP_EQ && cmp != CMP_NE)) {
            refuse(c, "a set compared with a target value");
            return;
        }
        if ((cmp == CMP_EQ) != set_equal(&v.as.set, &y->v.as.set))
            fail_path(w);
        return;
    }
    if (y->kind == SK_CONST) {
        int r = value_cmp(&v, &y->v);
        static const uint8_t holds[6] = { 2, 5, 1, 3, 4, 6 };
        int sign = (r > 0) - (r < 0);
        if (cmp > CMP_GE || !((holds[cmp] >> (sign + 1)) & 1))
            fail_path(w);
        return;
    }
    sym x = cst(v);
    need(c, w, compare(c, &x, y, cmp));
}

/* Join a frame that ends at pc: its register becomes left &&/|| right. */
static void join(tc *c, walk *w)
{
    frame *f = &w->fr[--w->n];
    sym *r = &c->R[f->reg];
    const char *right = r->kind == SK_CONST ? (r->v.as.b ? "true" : "false") : r->e;
    const char *ok = f->alive;
    /* AND: fails where left holds and the right path fails; OR: where left
     * does not hold and it fails */
    need(c, w, f->and ? or2(c, cat(c, "!(%s)", f->left.e), ok) : or2(c, f->left.e, ok));
    *r = cel(VT_BOOL, f->and ? cat(c, "(%s && %s)", f->left.e, right)
                             : cat(c, "(%s || %s)", f->left.e, right));
}

/* Translate block b into its condition; SELF's registers carry into the
 * COMPATIBLE blocks. */
static const char *block(tc *c, uint32_t b)
{
    const program *p = c->p;
    const pblock *pb = &p->blocks[b];
    const char *holds = "true";
    walk w;
    w.n = 0;
    for (uint32_t pc = pb->entry; pc < pb->end && !c->refused && !c->oom; pc++) {
        while (w.n > 1 && w.fr[w.n - 1].target == pc)
            join(c, &w);
        const insn *i = &p->code[pc];
        if (i->op == I_RULE || i->op == I_OK) {
            if (w.n == 1)
                holds = and2(c, holds, w.fr[0].alive);
            if (!strcmp(holds, "false") || i->op == I_OK)
                break;
            c->rule = pb->first_rule + i->a;
            w.n = 1;
            w.fr[0] = (frame){ .alive = "true" };
            continue;
        }
        if (w.n == 0)
            return refuse(c, "code outside a rule"), "false";
        sym *R = c->R;
        bool src = i->t & SIDE_SOURCE;
        switch ((enum opcode)i->op) {
        case I_FAIL: fail_path(&w); break;
        case I_EMPTY:
        case I_NONEMPTY:
        case I_EQSTR:
        case I_NESTR: {
            bool ok;
            if (!src) {
                const char *t = text(c, i->a), *pr = present(c, i->a);
                const char *k =
                    i->op == I_EQSTR || i->op == I_NESTR
                        ? operand(c, &(sym){ SK_CONST, VT_STRING, p->consts[i->b], NULL })
                        : "\"\"";
                need(c, &w,
                     i->op == I_EMPTY
                         ? or2(c, cat(c, "!(%s)", pr), cat(c, "%s == \"\"", t))
                         : cat(c, "%s && %s %s %s", pr, t, i->op == I_EQSTR ? "==" : "!=", k));
                break;
            }
            const pfact *f = sfact(c, i->a);
            if (i->op == I_EMPTY || i->op == I_NONEMPTY) {
                ok = (f->present && f->raw.len) == (i->op == I_NONEMPTY);
            } else {
                dstr k = p->consts[i->b].as.s;
                bool eq = f->present && f->raw.len == k.len &&
                          (k.len == 0 || memcmp(f->raw.p, k.p, k.len) == 0);
                ok = f->present && (i->op == I_EQSTR ? eq : !eq);
            }
            if (!ok)
                fail_path(&w);
            break;
        }
        case I_LOADF:
        case I_FIELDT: {
            vtype t = (vtype)(i->t & TYPE_MASK);
            if (!src && t == VT_STRING) {
                need(c, &w, present(c, i->b));
                R[i->a] = cel(t, text(c, i->b));
                break;
            }
            if (!src) {
                need(c, &w, typed(c, i->b));
                R[i->a] = cel(t, attr(c, i->b));
                break;
            }
            value v;
            const pfact *f = sfact(c, i->b);
            if (!f->present || !pfact_value(f, t, &v) || t == VT_SET) {
                if (f->present && t == VT_SET && pfact_value(f, t, &v)) {
                    R[i->a] = cst(v);
                    break;
                }
                fail_path(&w);
                R[i->a] = boolc(false);
                break;
            }
            R[i->a] = cst(v);
            break;
        }
        case I_CHECKT:
            if (R[i->a].kind == SK_CONST) {
                if (!ct_test(p, &p->ctables[i->b], &R[i->a].v))
                    fail_path(&w);
            } else {
                need(c, &w, constraint(c, &R[i->a], i->b));
            }
            break;
        case I_MATCH:
        case I_NMATCH: {
            if (!src || !sfact(c, i->a)->present) {
                if (src)
                    fail_path(&w);
                else
                    refuse(c, "a template over a target fact");
                break;
            }
            int m = match_source(c, i);
            if (m == -2)
                break;
            if (m < 0 || (i->op == I_MATCH ? m != 1 : m != 0))
                fail_path(&w);
            break;
        }
        case I_FCMP: fcmp(c, &w, i); break;
        case I_WHERE:
            if (R[i->a].kind == SK_CONST) {
                if (!R[i->a].v.as.b)
                    fail_path(&w);
            } else {
                need(c, &w, R[i->a].e);
            }
            break;
        case I_LOADK: R[i->a] = cst(p->consts[i->b]); break;
        case I_MOVE: R[i->a] = R[i->b]; break;
        case I_FIELD:
            if (!src) {
                need(c, &w, present(c, i->b));
                R[i->a] = cel(VT_STRING, text(c, i->b));
            } else if (sfact(c, i->b)->present) {
                R[i->a] = cst((value){ .type = VT_STRING, .as.s = sfact(c, i->b)->raw });
            } else {
                fail_path(&w);
                R[i->a] = boolc(false);
            }
            break;
        case I_HAS:
            if (!src) {
                vtype t = (vtype)c->atype[i->b];
                R[i->a] = cel(VT_BOOL, t == VT_STRING ? cat(c, "(%s && %s != \"\")",
                                                            present(c, i->b), attr(c, i->b))
                                                      : cat(c, "(%s)", present(c, i->b)));
            } else {
                R[i->a] = boolc(sfact(c, i->b)->present && sfact(c, i->b)->raw.len > 0);
            }
            break;
        case I_CONV: {
            if (R[i->b].kind != SK_CONST) {
                refuse(c, "a target's text converted to a type");
                break;
            }
            vtype t = (vtype)(i->t & TYPE_MASK);
            value v;
            dstr s = R[i->b].v.as.s;
            bool ok;
            if (t == VT_SET) {
                /* as the VM's scratch does: at most DC_MAX_SET_ITEMS items */
                size_t n = set_count(s.p, s.len);
                dstr *items = n <= DC_MAX_SET_ITEMS
                                  ? arena_alloc(&c->ar, (n ? n : 1) * sizeof *items)
                                  : NULL;
                uint32_t got = 0;
                if (n <= DC_MAX_SET_ITEMS && !items) {
                    c->oom = true;
                    break;
                }
                ok = items && set_parse(s.p, s.len, items, (uint32_t)n, &got);
                v = (value){ .type = VT_SET, .as.set = { items, got } };
            } else {
                ok = t == VT_STRING ? s.len > 0 : value_parse(t, s.p, s.len, &v);
            }
            if (t == VT_STRING)
                v = R[i->b].v;
            if (!ok) {
                fail_path(&w);
                R[i->a] = boolc(false);
            } else {
                R[i->a] = cst(v);
            }
            break;
        }
        case I_NEG:
            if (R[i->b].kind == SK_CONST) {
                value z = { .type = VT_INT, .as.i = 0 };
                if (!arith_const(I_SUB, &z, &R[i->b].v, &R[i->a].v)) {
                    fail_path(&w);
                    R[i->a] = boolc(false);
                } else {
                    /* -x keeps x's hex-ness when it is not negative */
                    R[i->a] = cst(R[i->a].v);
                    if (R[i->b].v.type == VT_HEX && R[i->a].v.type == VT_INT &&
                        R[i->a].v.as.i >= 0)
                        R[i->a].v = (value){ .type = VT_HEX, .as.u = (uint64_t)R[i->a].v.as.i };
                }
            } else {
                need(c, &w, cat(c, "%s != (-9223372036854775807 - 1)", R[i->b].e));
                R[i->a] = cel(VT_INT, cat(c, "(-%s)", R[i->b].e));
            }
            break;
        case I_NOT:
            R[i->a] = R[i->b].kind == SK_CONST ? boolc(!R[i->b].v.as.b)
                                               : cel(VT_BOOL, cat(c, "!(%s)", R[i->b].e));
            break;
        case I_ADD:
        case I_SUB:
        case I_MUL:
        case I_DIV:
        case I_MOD:
        case I_MIN:
        case I_MAX:
            if (R[i->b].kind == SK_CONST && R[i->c].kind == SK_CONST) {
                value z;
                if (!arith_const(i->op, &R[i->b].v, &R[i->c].v, &z)) {
                    fail_path(&w);
                    R[i->a] = boolc(false);
                } else {
                    R[i->a] = cst(z);
                }
            } else {
                R[i->a] = arith_cel(c, &w, i->op, &R[i->b], &R[i->c]);
            }
            break;
        case I_LT:
        case I_LE:
        case I_GT:
        case I_GE:
        case I_EQ:
        case I_NE: {
            static const uint8_t cmp_of[] = { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE };
            uint8_t cmp = cmp_of[i->op - I_LT];
            if (R[i->b].kind == SK_CONST && R[i->c].kind == SK_CONST) {
                const value *x = &R[i->b].v, *y = &R[i->c].v;
                bool h;
                if (cmp == CMP_EQ || cmp == CMP_NE) {
                    h = value_equal(x, y) == (cmp == CMP_EQ);
                } else {
                    int r = value_cmp(x, y);
                    h = cmp == CMP_LT   ? r < 0
                        : cmp == CMP_LE ? r <= 0
                        : cmp == CMP_GT ? r > 0
                                        : r >= 0;
                }
                R[i->a] = boolc(h);
            } else {
                R[i->a] = cel(VT_BOOL, cat(c, "(%s)", compare(c, &R[i->b], &R[i->c], cmp)));
            }
            break;
        }
        case I_JF:
        case I_JT: {
            const sym *x = &R[i->a];
            uint32_t target = pc + 1 + i->b;
            if (target > pb->end)
                return refuse(c, "a jump out of its block"), "false";
            if (x->kind == SK_CONST) {
                if (x->v.as.b == (i->op == I_JT))
                    pc = target - 1;
                break;
            }
            if (w.n == (int)(sizeof w.fr / sizeof w.fr[0]))
                return refuse(c, "an expression nested too deeply"), "false";
            w.fr[w.n++] = (frame){ "true", i->a, target, *x, i->op == I_JF };
            break;
        }
        case I_MAJOR:
        case I_MINOR:
        case I_PATCH: {
            const sym *x = &R[i->b];
            if (x->kind == SK_CEL) {
                R[i->a] = cel(VT_INT, cat(c, "%s.%s()", x->e,
                                          i->op == I_MAJOR   ? "major"
                                          : i->op == I_MINOR ? "minor"
                                                             : "patch"));
                break;
            }
            uint64_t n = i->op == I_MAJOR   ? x->v.as.v.major
                         : i->op == I_MINOR ? x->v.as.v.minor
                                            : x->v.as.v.patch;
            if (n > INT64_MAX) {
                fail_path(&w);
                R[i->a] = boolc(false);
            } else {
                R[i->a] = cst((value){ .type = VT_INT, .as.i = (int64_t)n });
            }
            break;
        }
        case I_LEN: {
            const sym *x = &R[i->b];
            if (x->kind == SK_CEL)
                R[i->a] = cel(VT_INT, cat(c, "size(%s)", x->e));
            else
                R[i->a] = cst((value){ .type = VT_INT,
                                       .as.i = x->v.type == VT_SET ? (int64_t)x->v.as.set.n
                                                                   : (int64_t)x->v.as.s.len });
            break;
        }
        case I_CONTAINS: {
            const sym *s = &R[i->b], *x = &R[i->c];
            if (s->kind != SK_CONST) {
                refuse(c, "contains() over a target set");
                break;
            }
            if (x->kind == SK_CONST) {
                R[i->a] = boolc(set_contains(&s->v.as.set, x->v.as.s.p, x->v.as.s.len));
                break;
            }
            const char *list = "";
            for (uint32_t k = 0; k < s->v.as.set.n; k++)
                list = cat(c, "%s%s%s", list, k ? ", " : "",
                           quote(c, s->v.as.set.items[k].p, s->v.as.set.items[k].len));
            R[i->a] = cel(VT_BOOL, cat(c, "(%s in [%s])", x->e, list));
            break;
        }
        case I_SUBSET:
            if (R[i->b].kind != SK_CONST || R[i->c].kind != SK_CONST) {
                refuse(c, "subset() over a target set");
                break;
            }
            R[i->a] = boolc(set_subset(&R[i->b].v.as.set, &R[i->c].v.as.set));
            break;
        default:
            refuse(c, "%s (not supported by to-cel yet)",
                   (i->op < I__COUNT ? op_names[i->op] : "a superinstruction"));
            break;
        }
    }
    return holds;
}

/* ------------------------------------------------------------ the API */

void dc_cel_free(dc_cel *cel)
{
    if (!cel)
        return;
    for (uint32_t i = 0; i < cel->nattrs; i++) {
        mem_free(cel->alloc, cel->attrs[i].fact);
        mem_free(cel->alloc, cel->attrs[i].domain);
        mem_free(cel->alloc, cel->attrs[i].name);
    }
    mem_free(cel->alloc, cel->attrs);
    mem_free(cel->alloc, cel->expr);
    mem_free(cel->alloc, cel);
}

static bool valid_domain(const char *d)
{
    size_t n = strlen(d);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = d[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                  ((ch == '-' || ch == '.') && i > 0 && i + 1 < n);
        if (!ok)
            return false;
    }
    return true;
}

static dc_status finish(tc *c, const char *sel, dc_cel **out)
{
    const program *p = c->p;
    size_t n = strlen(sel);
    if (n > CEL_MAX_EXPR)
        return dc_error_set(c->err, DC_ERR_LIMIT,
                            "%s: the selector is %zu bytes, over Kubernetes' limit of %d for a "
                            "CEL selector",
                            c->pol->file, n, CEL_MAX_EXPR);
    dc_cel *cel = mem_zalloc(c->a, sizeof *cel);
    if (!cel)
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->pol->file);
    cel->alloc = c->a;
    uint32_t na = 0;
    for (uint32_t s = 0; s < p->nslots; s++)
        na += c->atype[s] != VT_NONE;
    cel->expr = mem_strndup(c->a, sel, n);
    cel->attrs = mem_zalloc(c->a, (na ? na : 1) * sizeof *cel->attrs);
    if (!cel->expr || !cel->attrs) {
        dc_cel_free(cel);
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->pol->file);
    }
    for (uint32_t s = 0; s < p->nslots; s++) {
        if (c->atype[s] == VT_NONE)
            continue;
        dstr nm = slot_name(c, s);
        cattr a = { mem_strndup(c->a, nm.p, nm.len),
                    mem_strndup(c->a, c->dom[s], strlen(c->dom[s])),
                    mem_strndup(c->a, c->aname[s], strlen(c->aname[s])),
                    cel_type((vtype)c->atype[s]) };
        /* in fact name order: insert */
        uint32_t k = cel->nattrs++;
        for (; k > 0 && a.fact && strcmp(cel->attrs[k - 1].fact, a.fact) > 0; k--)
            cel->attrs[k] = cel->attrs[k - 1];
        cel->attrs[k] = a;
        if (!a.fact || !a.domain || !a.name) {
            dc_cel_free(cel);
            return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->pol->file);
        }
    }
    *out = cel;
    return DC_OK;
}

/* Translate; c is set up. */
static dc_status translate(tc *c, dc_cel **out)
{
    const program *p = c->p;
    if (!type_attributes(c))
        return c->oom ? dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->pol->file)
                      : c->err->status;
    for (uint32_t r = 0; r < p->nregs; r++)
        c->R[r] = boolc(false);
    const char *self = block(c, 0);
    const char *any = "false";
    for (uint32_t b = 1; b < p->nblocks && !c->refused && !c->oom; b++) {
        sym *keep = (sym *)(void *)(c->scratch + (size_t)p->nregs * sizeof(value));
        memcpy(keep, c->R, p->nregs * sizeof *keep);
        any = or2(c, any, block(c, b));
        memcpy(c->R, keep, p->nregs * sizeof *keep);
    }
    if (c->oom)
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->pol->file);
    if (c->refused)
        return c->err ? c->err->status : DC_ERR_UNSUPPORTED;
    const char *sel = and2(c, self, any);
    sel = and2(c, type_guards(c), sel);
    if (c->oom)
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->pol->file);
    return finish(c, sel, out);
}

dc_status dc_cel_new(const dc_policy *policy, const dc_facts *source, const char *domain,
                     dc_cel **out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (!policy || !source || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_cel_new: a NULL argument");
    if (!domain)
        domain = DC_CEL_DEFAULT_DOMAIN;
    if (!valid_domain(domain))
        return dc_error_set(err, DC_ERR_INVALID,
                            "'%s' is not a DRA attribute domain (a DNS subdomain of at most 63 "
                            "characters)",
                            domain);
    dc_error local;
    tc c = { .pol = policy,
             .p = &policy->prog,
             .a = policy->alloc,
             .err = err ? err : &local,
             .domain = domain };
    const program *p = c.p;
    arena_init(&c.ar, c.a);
    dc_prepared *src = NULL;
    dc_status st = dc_prepare(policy, source, &src, c.err);
    if (st != DC_OK)
        return st;
    c.src = src;
    size_t nslots = p->nslots ? p->nslots : 1, nregs = p->nregs ? p->nregs : 1;
    c.R = mem_array(c.a, nregs, sizeof *c.R);
    c.atype = mem_zalloc(c.a, nslots);
    c.dom = mem_zalloc(c.a, nslots * sizeof *c.dom);
    c.aname = mem_zalloc(c.a, nslots * sizeof *c.aname);
    c.raw = mem_zalloc(c.a, nslots * sizeof *c.raw);
    c.scratch = mem_array(c.a, nregs, sizeof(value) + sizeof(sym));
    if (!c.R || !c.atype || !c.dom || !c.aname || !c.raw || !c.scratch)
        st = dc_error_set(c.err, DC_ERR_NOMEM, "%s: out of memory", policy->file);
    else
        st = translate(&c, out);
    mem_free(c.a, c.R);
    mem_free(c.a, c.atype);
    mem_free(c.a, c.dom);
    mem_free(c.a, c.aname);
    mem_free(c.a, c.raw);
    mem_free(c.a, c.scratch);
    arena_release(&c.ar);
    dc_prepared_free(src);
    return st;
}

const char *dc_cel_expression(const dc_cel *cel)
{
    return cel ? cel->expr : NULL;
}

size_t dc_cel_attribute_count(const dc_cel *cel)
{
    return cel ? cel->nattrs : 0;
}

dc_status dc_cel_attribute_get(const dc_cel *cel, size_t i, dc_cel_attribute *out)
{
    if (!cel || !DC_SIZED(out) || i >= cel->nattrs)
        return DC_ERR_INVALID;
    out->fact = cel->attrs[i].fact;
    out->domain = cel->attrs[i].domain;
    out->name = cel->attrs[i].name;
    out->type = cel->attrs[i].type;
    return DC_OK;
}
