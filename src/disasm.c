/* disasm.c -- a compiled program as readable text (`compatc disasm`).
 *
 * Operands are decoded by their letter in op_operands[] and the `t` byte by
 * op_tfields(): nothing here knows one opcode from another.  The printer
 * checks every index it follows, so it is safe on any program, verified or
 * not. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "disasm.h"

/* snprintf-style output: counts everything, stores what fits. */
typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void put(out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = o->len < o->cap ? o->buf + o->len : NULL;
    int n = vsnprintf(at, at ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void put_bytes(out *o, const char *p, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len - 1;
        memcpy(o->buf + o->len, p, n < room ? n : room);
        o->buf[o->len + (n < room ? n : room)] = '\0';
    }
    o->len += n;
}

static bool pref_ok(const program *p, pref r)
{
    return r.off <= p->pool_len && r.len <= p->pool_len - r.off;
}

/* A pool string as is (names), "?" when the reference is bad. */
static void put_str(out *o, const program *p, pref r)
{
    if (!pref_ok(p, r)) {
        put_bytes(o, "?", 1);
        return;
    }
    if (r.len == 0)
        return;
    const char *s = p->pool + r.off;
    for (uint32_t i = 0; i < r.len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            put_bytes(o, s + i, 1);
        else
            put(o, "\\x%02x", c);
    }
}

/* A pool string in double quotes, escaped. */
static void put_quoted(out *o, const program *p, pref r)
{
    if (!pref_ok(p, r)) {
        put_bytes(o, "?", 1);
        return;
    }
    const char *s = r.len ? p->pool + r.off : "";
    put_bytes(o, "\"", 1);
    for (uint32_t i = 0; i < r.len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': put_bytes(o, "\\\"", 2); break;
        case '\\': put_bytes(o, "\\\\", 2); break;
        case '\n': put_bytes(o, "\\n", 2); break;
        case '\t': put_bytes(o, "\\t", 2); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                put_bytes(o, s + i, 1);
            else
                put(o, "\\x%02x", c);
        }
    }
    put_bytes(o, "\"", 1);
}

static const char *type_name(unsigned t)
{
    const char *n = t > VT_NONE && t < VT_COUNT ? vtype_name((vtype)t) : NULL;
    return n ? n : "?";
}

static const char *cmp_name(unsigned c)
{
    static const char *const names[] = { "=", "!=", "<", "<=", ">", ">=" };
    return c < 6 ? names[c] : "?";
}

static void put_semver(out *o, const program *p, uint64_t major, uint64_t minor, uint64_t patch,
                       pref pre)
{
    put(o, "%" PRIu64 ".%" PRIu64 ".%" PRIu64, major, minor, patch);
    if (pre.len) {
        put_bytes(o, "-", 1);
        put_str(o, p, pre);
    }
}

static void put_const(out *o, const program *p, uint32_t k)
{
    if (k >= p->nconsts) {
        put(o, "?");
        return;
    }
    const kconst *c = &p->kconsts[k];
    switch (c->type) {
    case VT_INT: put(o, "int %" PRId64, c->i); break;
    case VT_HEX: put(o, "hex 0x%" PRIx64, (uint64_t)c->i); break;
    case VT_BOOL: put(o, "bool %s", c->i ? "true" : "false"); break;
    case VT_STRING:
        put(o, "string ");
        put_quoted(o, p, c->s);
        break;
    case VT_SEMVER:
        put(o, "semver ");
        put_semver(o, p, c->major, c->minor, c->patch, c->s);
        break;
    default: put(o, "type %u ?", c->type); break;
    }
}

/* ------------------------------------------------------------ tables */

static void render_range(out *o, const irange *r, bool hex)
{
    if (hex) {
        uint64_t lo = (uint64_t)r->lo, hi = (uint64_t)r->hi;
        if (lo == hi)
            put(o, "0x%" PRIx64, lo);
        else if (hi == UINT64_MAX)
            put(o, "0x%" PRIx64 "..", lo);
        else
            put(o, "0x%" PRIx64 "..0x%" PRIx64, lo, hi);
        return;
    }
    if (r->lo == r->hi)
        put(o, "%" PRId64, r->lo);
    else if (r->lo == INT64_MIN && r->hi == INT64_MAX)
        put(o, "..");
    else if (r->lo == INT64_MIN)
        put(o, "..%" PRId64, r->hi);
    else if (r->hi == INT64_MAX)
        put(o, "%" PRId64 "..", r->lo);
    else
        put(o, "%" PRId64 "..%" PRId64, r->lo, r->hi);
}

static void render_ctable(out *o, const program *p, const ctable *ct)
{
    switch (ct->kind) {
    case CT_INT:
    case CT_HEX:
        if (ct->first > p->nranges || ct->n > p->nranges - ct->first) {
            put(o, "?");
            return;
        }
        for (uint32_t i = 0; i < ct->n; i++) {
            if (i)
                put_bytes(o, ",", 1);
            render_range(o, &p->ranges[ct->first + i], ct->kind == CT_HEX);
        }
        return;
    case CT_STRING:
    case CT_SET:
        if (ct->first > p->nstrs || ct->n > p->nstrs - ct->first) {
            put(o, "?");
            return;
        }
        for (uint32_t i = 0; i < ct->n; i++) {
            if (i)
                put_bytes(o, ",", 1);
            put_quoted(o, p, p->strrefs[ct->first + i]);
        }
        return;
    case CT_SEMVER:
        if (ct->first > p->nsvsets || ct->n > p->nsvsets - ct->first) {
            put(o, "?");
            return;
        }
        for (uint32_t i = 0; i < ct->n; i++) {
            const svset *s = &p->svsets[ct->first + i];
            if (i)
                put(o, " || ");
            if (s->first > p->ncmps || s->n > p->ncmps - s->first) {
                put(o, "?");
                continue;
            }
            if (s->n == 0)
                put(o, "*");
            for (uint32_t k = 0; k < s->n; k++) {
                static const char *const ops[] = { "<", "<=", ">", ">=", "" };
                const kcmp *c = &p->kcmps[s->first + k];
                put(o, "%s%s", k ? " " : "", c->op < 5 ? ops[c->op] : "?");
                put_semver(o, p, c->major, c->minor, c->patch, c->pre);
            }
        }
        return;
    case CT_BOOL: put(o, "%s", ct->first ? "true" : "false"); return;
    default: put(o, "kind %u ?", ct->kind); return;
    }
}

size_t ctable_render(const program *p, const ctable *ct, char *buf, size_t cap)
{
    out o = { buf, cap, 0 };
    if (buf && cap)
        buf[0] = '\0';
    render_ctable(&o, p, ct);
    return o.len;
}

static const char *const ct_kind_names[] = { "int", "hex", "string", "semver", "bool", "set" };

static const char *ct_kind_name(unsigned k)
{
    return k < 6 ? ct_kind_names[k] : "?";
}

static void put_tmpl(out *o, const program *p, uint32_t t)
{
    if (t >= p->ntmpls) {
        put(o, "?");
        return;
    }
    const tmpl *tm = &p->tmpls[t];
    if (tm->first > p->ntparts || tm->n > p->ntparts - tm->first) {
        put(o, "    parts ?\n");
        return;
    }
    for (uint32_t i = 0; i < tm->n; i++) {
        const tpart *tp = &p->tparts[tm->first + i];
        put(o, "          ");
        switch (tp->kind) {
        case TP_LIT:
            put(o, "literal ");
            put_quoted(o, p, tp->lit);
            break;
        case TP_DECL:
            put(o, "decl    %s -> r%u", type_name(tp->type), tp->reg);
            if (tp->ctable >= 0)
                put(o, " in table %" PRId32, tp->ctable);
            break;
        case TP_CMP: put(o, "equal   %s r%u", type_name(tp->type), tp->reg); break;
        default: put(o, "kind %u ?", tp->kind); break;
        }
        put(o, "\n");
    }
}

/* ------------------------------------------------------------ code */

static void put_operand(out *o, const program *p, const pblock *b, uint32_t pc, char kind,
                        uint16_t v, uint8_t t)
{
    switch (kind) {
    case 'R':
    case 'W':
    case 'V': put(o, "r%u", v); break;
    case 'S':
        put(o, "slot %u '", v);
        if (v < p->nslots)
            put_str(o, p, p->slots[v].name);
        else
            put(o, "?");
        put(o, "' (%s)", t & SIDE_SOURCE ? "source" : "target");
        break;
    case 'K':
        put(o, "const %u = ", v);
        put_const(o, p, v);
        break;
    case 'T':
        put(o, "table %u", v);
        if (v < p->nctables) {
            put(o, " = %s ", ct_kind_name(p->ctables[v].kind));
            render_ctable(o, p, &p->ctables[v]);
        }
        break;
    case 'P':
        put(o, "tmpl %u ", v);
        if (v < p->ntmpls)
            put_quoted(o, p, p->tmpls[v].text);
        else
            put(o, "?");
        break;
    case 'J': put(o, "-> %" PRIu32, pc + 1 + v); break;
    case 'B': put(o, "<- %" PRId64, (int64_t)pc - v); break;
    case 'X':
        put(o, "records %u '", v);
        if (v < p->nrecsets)
            put_str(o, p, p->recsets[v].name);
        else
            put(o, "?");
        put(o, "' (%s)", t & SIDE_SOURCE ? "source" : "target");
        break;
    case 'C':
        put(o, "field %u '", v);
        if (v < p->nrecfields && p->recfields[v].set < p->nrecsets) {
            put_str(o, p, p->recsets[p->recfields[v].set].name);
            put(o, ".N.");
            put_str(o, p, p->recfields[v].name);
        } else {
            put(o, "?");
        }
        put(o, "' (%s)", t & SIDE_SOURCE ? "source" : "target");
        break;
    case 'U': {
        put(o, "rule %u", v);
        uint64_t r = (uint64_t)b->first_rule + v;
        if (v < b->nrules && r < p->nrules) {
            const prule *pr = &p->rules[r];
            put(o, " line %" PRIu32 ": ", pr->line);
            if (pr->slot >= 0 && (uint32_t)pr->slot < p->nslots) {
                put_str(o, p, p->slots[pr->slot].name);
                put(o, " %s ", cmp_name(pr->op));
            } else {
                put(o, "where ");
            }
            put_str(o, p, pr->expected);
        }
        break;
    }
    case 'I': put(o, "#%u", v); break;
    default: break;
    }
}

static void put_insn(out *o, const program *p, const pblock *b, uint32_t pc)
{
    const insn *in = &p->code[pc];
    put(o, "  %5" PRIu32 "  ", pc);
    if (in->op >= I__COUNT) {
        put(o, "op %u ?\n", in->op);
        return;
    }
    const char *ops = op_operands[in->op];
    unsigned tf = op_tfields(in->op);
    char tb[24] = "";
    if (tf & TF_TYPE)
        snprintf(tb, sizeof tb, "%s", type_name(in->t & TYPE_MASK));
    if (tf & TF_CMP)
        snprintf(tb + strlen(tb), sizeof tb - strlen(tb), " %s", cmp_name((in->t >> 4) & 7));
    if (tf & TF_LOOP)
        snprintf(tb, sizeof tb, "%s L%u", in->t & LOOP_ANY ? "any" : "all",
                 (in->t & LOOP_LEVEL) != 0);
    if (strspn(ops, "-") == strlen(ops) && !tb[0]) {
        put(o, "%s\n", op_names[in->op]);
        return;
    }
    put(o, "%-9s %-10s", op_names[in->op], tb);
    const uint16_t v[3] = { in->a, in->b, in->c };
    bool first = true;
    for (int k = 0; k < 3 && ops[k]; k++) {
        if (ops[k] == '-')
            continue;
        if (!first)
            put(o, ", ");
        first = false;
        put_operand(o, p, b, pc, ops[k], v[k], in->t);
    }
    put(o, "\n");
}

static void put_block(out *o, const program *p, uint32_t bi)
{
    const pblock *b = &p->blocks[bi];
    if (bi == 0)
        put(o, "\nSELF");
    else
        put(o, "\nCOMPATIBLE %" PRIu32, bi - 1); /* numbered as in results */
    if (b->name.len) {
        put(o, " (");
        put_str(o, p, b->name);
        put(o, ")");
    }
    put(o,
        "  line %" PRIu32 ", rules %" PRIu32 "..%" PRIu32 ", code %" PRIu32 "..%" PRIu32 "\n",
        b->line, b->first_rule, b->first_rule + b->nrules, b->entry, b->end);
    if (b->nvars) {
        put(o, "  variables:");
        for (uint32_t i = 0; i < b->nvars; i++) {
            uint64_t vi = (uint64_t)b->first_var + i;
            if (vi >= p->nvars) {
                put(o, " ?");
                break;
            }
            const var *v = &p->vars[vi];
            put(o, "%s ", i ? "," : "");
            put_str(o, p, v->name);
            put(o, ":%s r%u", type_name(v->type), v->reg);
        }
        put(o, "\n");
    }
    for (uint32_t pc = b->entry; pc < b->end && pc < p->ncode; pc++)
        put_insn(o, p, b, pc);
}

size_t disasm_program(const program *p, char *buf, size_t cap)
{
    out o = { buf, cap, 0 };
    if (buf && cap)
        buf[0] = '\0';
    put(&o, "policy ");
    put_quoted(&o, p, p->name);
    put(&o, " from ");
    put_quoted(&o, p, p->file);
    put(&o,
        "\n  %" PRIu32 " COMPATIBLE block%s, %" PRIu32 " rules, %" PRIu32 " registers, %" PRIu32
        " slots, %" PRIu32 " constants, %" PRIu32 " tables, %" PRIu32 " templates, %" PRIu32
        " instructions, %" PRIu32 " pool bytes\n",
        p->nblocks ? p->nblocks - 1 : 0, p->nblocks == 2 ? "" : "s", p->nrules, p->nregs,
        p->nslots, p->nconsts, p->nctables, p->ntmpls, p->ncode, p->pool_len);

    if (p->nconsts) {
        put(&o, "\nconstants\n");
        for (uint32_t i = 0; i < p->nconsts; i++) {
            put(&o, "  %5" PRIu32 "  ", i);
            put_const(&o, p, i);
            put(&o, "\n");
        }
    }
    if (p->nslots) {
        put(&o, "\nslots\n");
        for (uint32_t i = 0; i < p->nslots; i++) {
            put(&o, "  %5" PRIu32 "  ", i);
            put_str(&o, p, p->slots[i].name);
            put(&o, "  (");
            bool any = false;
            for (unsigned t = VT_INT; t < VT_COUNT; t++)
                if (p->slots[i].types & (1u << t)) {
                    put(&o, "%s%s", any ? ", " : "", type_name(t));
                    any = true;
                }
            put(&o, "%s)\n", any ? "" : "text");
        }
    }
    if (p->nrecsets) {
        put(&o, "\nrecords\n");
        for (uint32_t i = 0; i < p->nrecsets; i++) {
            put(&o, "  %5" PRIu32 "  ", i);
            put_str(&o, p, p->recsets[i].name);
            put(&o, ".N:");
            for (uint32_t f = 0; f < p->nrecfields; f++)
                if (p->recfields[f].set == i) {
                    put(&o, " %" PRIu32 " ", f);
                    put_str(&o, p, p->recfields[f].name);
                }
            put(&o, "\n");
        }
    }
    if (p->nctables) {
        put(&o, "\ntables\n");
        for (uint32_t i = 0; i < p->nctables; i++) {
            const ctable *ct = &p->ctables[i];
            put(&o, "  %5" PRIu32 "  %s ", i, ct_kind_name(ct->kind));
            render_ctable(&o, p, ct);
            if (ct->small)
                put(&o, "  [bitmap 0x%" PRIx64 "]", ct->bitmap);
            put(&o, "  as written: ");
            put_str(&o, p, ct->text);
            put(&o, "\n");
        }
    }
    if (p->ntmpls) {
        put(&o, "\ntemplates\n");
        for (uint32_t i = 0; i < p->ntmpls; i++) {
            put(&o, "  %5" PRIu32 "  ", i);
            put_quoted(&o, p, p->tmpls[i].text);
            put(&o, "\n");
            put_tmpl(&o, p, i);
        }
    }
    for (uint32_t b = 0; b < p->nblocks; b++)
        put_block(&o, p, b);
    return o.len;
}
