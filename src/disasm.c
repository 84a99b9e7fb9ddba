/* disasm.c -- a compiled program as readable text (`compatc disasm`).
 *
 * Operands are decoded by their letter in op_operands[] and the `t` byte by
 * op_tfields(): nothing here knows one opcode from another.  The printer
 * checks every index it follows, so it is safe on any program, verified or
 * not. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "disasm.h"
#include "sink.h"

static bool pref_ok(const program *p, pref r)
{
    return r.off <= p->pool_len && r.len <= p->pool_len - r.off;
}

/* A pool string as is (names), "?" when the reference is bad. */
static void put_str(sink *o, const program *p, pref r)
{
    if (!pref_ok(p, r)) {
        sink_put(o, "?", 1);
        return;
    }
    if (r.len == 0)
        return;
    const char *s = p->pool + r.off;
    for (uint32_t i = 0; i < r.len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            sink_put(o, s + i, 1);
        else
            sink_printf(o, "\\x%02x", c);
    }
}

/* A pool string in double quotes, escaped. */
static void put_quoted(sink *o, const program *p, pref r)
{
    if (!pref_ok(p, r)) {
        sink_put(o, "?", 1);
        return;
    }
    const char *s = r.len ? p->pool + r.off : "";
    sink_put(o, "\"", 1);
    for (uint32_t i = 0; i < r.len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': sink_put(o, "\\\"", 2); break;
        case '\\': sink_put(o, "\\\\", 2); break;
        case '\n': sink_put(o, "\\n", 2); break;
        case '\t': sink_put(o, "\\t", 2); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                sink_put(o, s + i, 1);
            else
                sink_printf(o, "\\x%02x", c);
        }
    }
    sink_put(o, "\"", 1);
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

static void put_semver(sink *o, const program *p, uint64_t major, uint64_t minor,
                       uint64_t patch, pref pre)
{
    sink_printf(o, "%" PRIu64 ".%" PRIu64 ".%" PRIu64, major, minor, patch);
    if (pre.len) {
        sink_put(o, "-", 1);
        put_str(o, p, pre);
    }
}

static void put_const(sink *o, const program *p, uint32_t k)
{
    if (k >= p->nconsts) {
        sink_printf(o, "?");
        return;
    }
    const kconst *c = &p->kconsts[k];
    switch (c->type) {
    case VT_INT: sink_printf(o, "int %" PRId64, c->i); break;
    case VT_HEX: sink_printf(o, "hex 0x%" PRIx64, (uint64_t)c->i); break;
    case VT_BOOL: sink_printf(o, "bool %s", c->i ? "true" : "false"); break;
    case VT_STRING:
        sink_printf(o, "string ");
        put_quoted(o, p, c->s);
        break;
    case VT_SEMVER:
        sink_printf(o, "semver ");
        put_semver(o, p, c->major, c->minor, c->patch, c->s);
        break;
    default: sink_printf(o, "type %u ?", c->type); break;
    }
}

/* ------------------------------------------------------------ tables */

static void render_range(sink *o, const irange *r, bool hex)
{
    if (hex) {
        uint64_t lo = (uint64_t)r->lo, hi = (uint64_t)r->hi;
        if (lo == hi)
            sink_printf(o, "0x%" PRIx64, lo);
        else if (hi == UINT64_MAX)
            sink_printf(o, "0x%" PRIx64 "..", lo);
        else
            sink_printf(o, "0x%" PRIx64 "..0x%" PRIx64, lo, hi);
        return;
    }
    if (r->lo == r->hi)
        sink_printf(o, "%" PRId64, r->lo);
    else if (r->lo == INT64_MIN && r->hi == INT64_MAX)
        sink_printf(o, "..");
    else if (r->lo == INT64_MIN)
        sink_printf(o, "..%" PRId64, r->hi);
    else if (r->hi == INT64_MAX)
        sink_printf(o, "%" PRId64 "..", r->lo);
    else
        sink_printf(o, "%" PRId64 "..%" PRId64, r->lo, r->hi);
}

static void render_ctable(sink *o, const program *p, const ctable *ct)
{
    switch (ct->kind) {
    case CT_INT:
    case CT_HEX:
        if (ct->first > p->nranges || ct->n > p->nranges - ct->first) {
            sink_printf(o, "?");
            return;
        }
        for (uint32_t i = 0; i < ct->n; i++) {
            if (i)
                sink_put(o, ",", 1);
            render_range(o, &p->ranges[ct->first + i], ct->kind == CT_HEX);
        }
        return;
    case CT_STRING:
    case CT_SET:
        if (ct->first > p->nstrs || ct->n > p->nstrs - ct->first) {
            sink_printf(o, "?");
            return;
        }
        for (uint32_t i = 0; i < ct->n; i++) {
            if (i)
                sink_put(o, ",", 1);
            put_quoted(o, p, p->strrefs[ct->first + i]);
        }
        return;
    case CT_SEMVER:
        if (ct->first > p->nsvsets || ct->n > p->nsvsets - ct->first) {
            sink_printf(o, "?");
            return;
        }
        for (uint32_t i = 0; i < ct->n; i++) {
            const svset *s = &p->svsets[ct->first + i];
            if (i)
                sink_printf(o, " || ");
            if (s->first > p->ncmps || s->n > p->ncmps - s->first) {
                sink_printf(o, "?");
                continue;
            }
            if (s->n == 0)
                sink_printf(o, "*");
            for (uint32_t k = 0; k < s->n; k++) {
                static const char *const ops[] = { "<", "<=", ">", ">=", "" };
                const kcmp *c = &p->kcmps[s->first + k];
                sink_printf(o, "%s%s", k ? " " : "", c->op < 5 ? ops[c->op] : "?");
                put_semver(o, p, c->major, c->minor, c->patch, c->pre);
            }
        }
        return;
    case CT_BOOL: sink_printf(o, "%s", ct->first ? "true" : "false"); return;
    default: sink_printf(o, "kind %u ?", ct->kind); return;
    }
}

size_t ctable_render(const program *p, const ctable *ct, char *buf, size_t cap)
{
    sink o = sink_bounded(buf, cap);
    render_ctable(&o, p, ct);
    return sink_finish(&o);
}

static const char *const ct_kind_names[] = { "int", "hex", "string", "semver", "bool", "set" };

static const char *ct_kind_name(unsigned k)
{
    return k < 6 ? ct_kind_names[k] : "?";
}

static void put_tmpl(sink *o, const program *p, uint32_t t)
{
    if (t >= p->ntmpls) {
        sink_printf(o, "?");
        return;
    }
    const tmpl *tm = &p->tmpls[t];
    if (tm->first > p->ntparts || tm->n > p->ntparts - tm->first) {
        sink_printf(o, "    parts ?\n");
        return;
    }
    for (uint32_t i = 0; i < tm->n; i++) {
        const tpart *tp = &p->tparts[tm->first + i];
        sink_printf(o, "          ");
        switch (tp->kind) {
        case TP_LIT:
            sink_printf(o, "literal ");
            put_quoted(o, p, tp->lit);
            break;
        case TP_DECL:
            sink_printf(o, "decl    %s -> r%u", type_name(tp->type), tp->reg);
            if (tp->ctable >= 0)
                sink_printf(o, " in table %" PRId32, tp->ctable);
            break;
        case TP_CMP: sink_printf(o, "equal   %s r%u", type_name(tp->type), tp->reg); break;
        default: sink_printf(o, "kind %u ?", tp->kind); break;
        }
        sink_printf(o, "\n");
    }
}

/* ------------------------------------------------------------ code */

static void put_operand(sink *o, const program *p, const pblock *b, uint32_t pc, char kind,
                        uint16_t v, uint8_t t)
{
    switch (kind) {
    case 'R':
    case 'W':
    case 'V': sink_printf(o, "r%u", v); break;
    case 'S':
        sink_printf(o, "slot %u '", v);
        if (v < p->nslots)
            put_str(o, p, p->slots[v].name);
        else
            sink_printf(o, "?");
        sink_printf(o, "' (%s)", t & SIDE_SOURCE ? "source" : "target");
        break;
    case 'K':
        sink_printf(o, "const %u = ", v);
        put_const(o, p, v);
        break;
    case 'T':
        sink_printf(o, "table %u", v);
        if (v < p->nctables) {
            sink_printf(o, " = %s ", ct_kind_name(p->ctables[v].kind));
            render_ctable(o, p, &p->ctables[v]);
        }
        break;
    case 'P':
        sink_printf(o, "tmpl %u ", v);
        if (v < p->ntmpls)
            put_quoted(o, p, p->tmpls[v].text);
        else
            sink_printf(o, "?");
        break;
    case 'J': sink_printf(o, "-> %" PRIu32, pc + 1 + v); break;
    case 'B': sink_printf(o, "<- %" PRId64, (int64_t)pc - v); break;
    case 'X':
        sink_printf(o, "records %u '", v);
        if (v < p->nrecsets)
            put_str(o, p, p->recsets[v].name);
        else
            sink_printf(o, "?");
        sink_printf(o, "' (%s)", t & SIDE_SOURCE ? "source" : "target");
        break;
    case 'C':
        sink_printf(o, "field %u '", v);
        if (v < p->nrecfields && p->recfields[v].set < p->nrecsets) {
            put_str(o, p, p->recsets[p->recfields[v].set].name);
            sink_printf(o, ".N.");
            put_str(o, p, p->recfields[v].name);
        } else {
            sink_printf(o, "?");
        }
        sink_printf(o, "' (%s)", t & SIDE_SOURCE ? "source" : "target");
        break;
    case 'U': {
        sink_printf(o, "rule %u", v);
        uint64_t r = (uint64_t)b->first_rule + v;
        if (v < b->nrules && r < p->nrules) {
            const prule *pr = &p->rules[r];
            sink_printf(o, " line %" PRIu32 ": ", pr->line);
            if (pr->slot >= 0 && (uint32_t)pr->slot < p->nslots) {
                put_str(o, p, p->slots[pr->slot].name);
                sink_printf(o, " %s ", cmp_name(pr->op));
            } else {
                sink_printf(o, "where ");
            }
            put_str(o, p, pr->expected);
        }
        break;
    }
    case 'I': sink_printf(o, "#%u", v); break;
    default: break;
    }
}

static void put_insn(sink *o, const program *p, const pblock *b, uint32_t pc)
{
    const insn *in = &p->code[pc];
    sink_printf(o, "  %5" PRIu32 "  ", pc);
    if (in->op >= I__COUNT) {
        sink_printf(o, "op %u ?\n", in->op);
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
        sink_printf(o, "%s\n", op_names[in->op]);
        return;
    }
    sink_printf(o, "%-9s %-10s", op_names[in->op], tb);
    const uint16_t v[3] = { in->a, in->b, in->c };
    bool first = true;
    for (int k = 0; k < 3 && ops[k]; k++) {
        if (ops[k] == '-')
            continue;
        if (!first)
            sink_printf(o, ", ");
        first = false;
        put_operand(o, p, b, pc, ops[k], v[k], in->t);
    }
    sink_printf(o, "\n");
}

static void put_block(sink *o, const program *p, uint32_t bi)
{
    const pblock *b = &p->blocks[bi];
    if (bi == 0)
        sink_printf(o, "\nSELF");
    else
        sink_printf(o, "\nCOMPATIBLE %" PRIu32, bi - 1); /* numbered as in results */
    if (b->name.len) {
        sink_printf(o, " (");
        put_str(o, p, b->name);
        sink_printf(o, ")");
    }
    sink_printf(o,
                "  line %" PRIu32 ", rules %" PRIu32 "..%" PRIu32 ", code %" PRIu32 "..%" PRIu32
                "\n",
                b->line, b->first_rule, b->first_rule + b->nrules, b->entry, b->end);
    if (b->nvars) {
        sink_printf(o, "  variables:");
        for (uint32_t i = 0; i < b->nvars; i++) {
            uint64_t vi = (uint64_t)b->first_var + i;
            if (vi >= p->nvars) {
                sink_printf(o, " ?");
                break;
            }
            const var *v = &p->vars[vi];
            sink_printf(o, "%s ", i ? "," : "");
            put_str(o, p, v->name);
            sink_printf(o, ":%s r%u", type_name(v->type), v->reg);
        }
        sink_printf(o, "\n");
    }
    for (uint32_t pc = b->entry; pc < b->end && pc < p->ncode; pc++)
        put_insn(o, p, b, pc);
}

size_t disasm_program(const program *p, char *buf, size_t cap)
{
    sink o = sink_bounded(buf, cap);
    sink_printf(&o, "policy ");
    put_quoted(&o, p, p->name);
    sink_printf(&o, " from ");
    put_quoted(&o, p, p->file);
    sink_printf(&o,
                "\n  %" PRIu32 " COMPATIBLE block%s, %" PRIu32 " rules, %" PRIu32
                " registers, %" PRIu32 " slots, %" PRIu32 " constants, %" PRIu32
                " tables, %" PRIu32 " templates, %" PRIu32 " instructions, %" PRIu32
                " pool bytes\n",
                p->nblocks ? p->nblocks - 1 : 0, p->nblocks == 2 ? "" : "s", p->nrules,
                p->nregs, p->nslots, p->nconsts, p->nctables, p->ntmpls, p->ncode, p->pool_len);

    if (p->nconsts) {
        sink_printf(&o, "\nconstants\n");
        for (uint32_t i = 0; i < p->nconsts; i++) {
            sink_printf(&o, "  %5" PRIu32 "  ", i);
            put_const(&o, p, i);
            sink_printf(&o, "\n");
        }
    }
    if (p->nslots) {
        sink_printf(&o, "\nslots\n");
        for (uint32_t i = 0; i < p->nslots; i++) {
            sink_printf(&o, "  %5" PRIu32 "  ", i);
            put_str(&o, p, p->slots[i].name);
            sink_printf(&o, "  (");
            bool any = false;
            for (unsigned t = VT_INT; t < VT_COUNT; t++)
                if (p->slots[i].types & (1u << t)) {
                    sink_printf(&o, "%s%s", any ? ", " : "", type_name(t));
                    any = true;
                }
            sink_printf(&o, "%s)\n", any ? "" : "text");
        }
    }
    if (p->nrecsets) {
        sink_printf(&o, "\nrecords\n");
        for (uint32_t i = 0; i < p->nrecsets; i++) {
            sink_printf(&o, "  %5" PRIu32 "  ", i);
            put_str(&o, p, p->recsets[i].name);
            sink_printf(&o, ".N:");
            for (uint32_t f = 0; f < p->nrecfields; f++)
                if (p->recfields[f].set == i) {
                    sink_printf(&o, " %" PRIu32 " ", f);
                    put_str(&o, p, p->recfields[f].name);
                }
            sink_printf(&o, "\n");
        }
    }
    if (p->nctables) {
        sink_printf(&o, "\ntables\n");
        for (uint32_t i = 0; i < p->nctables; i++) {
            const ctable *ct = &p->ctables[i];
            sink_printf(&o, "  %5" PRIu32 "  %s ", i, ct_kind_name(ct->kind));
            render_ctable(&o, p, ct);
            if (ct->small)
                sink_printf(&o, "  [bitmap 0x%" PRIx64 "]", ct->bitmap);
            sink_printf(&o, "  as written: ");
            put_str(&o, p, ct->text);
            sink_printf(&o, "\n");
        }
    }
    if (p->ntmpls) {
        sink_printf(&o, "\ntemplates\n");
        for (uint32_t i = 0; i < p->ntmpls; i++) {
            sink_printf(&o, "  %5" PRIu32 "  ", i);
            put_quoted(&o, p, p->tmpls[i].text);
            sink_printf(&o, "\n");
            put_tmpl(&o, p, i);
        }
    }
    for (uint32_t b = 0; b < p->nblocks; b++)
        put_block(&o, p, b);
    return sink_finish(&o);
}
