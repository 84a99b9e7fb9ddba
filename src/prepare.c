/* prepare.c -- facts prepared for one policy: names resolved to slots once,
 * values parsed once to every type the policy reads them as, templates
 * that depend on their fact alone matched once, and SELF run once (docs/bytecode.md).
 * A prepared device is one allocation.
 *
 * What does not depend on the facts (which templates can be matched, on
 * which slot, whether SELF can run, the slots in name order) is worked out
 * once per policy: prepare_plan, called by policy_finish. */
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "limits.h"
#include "facts_kv_line.h"
#include "vm.h"

/* ---------------------------------------------------------------- plan */

/* A hash in `bits` bits (at most 32) of a name of n bytes: its length and
 * its first and last eight bytes (fewer when shorter), read without a
 * loop: a text's facts are found by it. */
static inline uint32_t text_name_hash(const char *p, uint32_t n, unsigned bits)
{
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        a = x;
        b = y;
    } else if (n) {
        a = (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 |
            (uint64_t)(unsigned char)p[n - 1] << 16;
    }
    uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15u) ^ n) * 0xff51afd7ed558ccdu;
    return (uint32_t)(h >> (64 - bits));
}

/* Can SELF run when facts are prepared?  It must read no source fact (the
 * verifier already makes every register it reads one it wrote) and parse no
 * set into the result's scratch space. */
static bool self_alone(const program *p)
{
    if (!p->nblocks)
        return false;
    const pblock *b = &p->blocks[0];
    for (uint32_t pc = b->entry; pc < b->end && pc < p->ncode; pc++) {
        const insn *i = &p->code[pc];
        if (i->op >= I__COUNT)
            return false;
        if (op_find(i->op, 'S') >= 0 && (i->t & SIDE_SOURCE))
            return false;
        int w = op_find(i->op, 'W'); /* a set built: CONV to set, BITS */
        char wt = w >= 0 ? op_types[i->op][w] : '-';
        if (wt == 'e' || (wt == 't' && (i->t & TYPE_MASK) == VT_SET && i->op != I_FIELDT))
            return false;
        if ((i->op == I_MATCH || i->op == I_NMATCH) &&
            (i->b >= p->ntmpls || !vm_prematchable(p, &p->tmpls[i->b])))
            return false;
    }
    return true;
}

/* Are SELF's variables registers 0, 1, ... in order? */
static bool self_in_order(const program *p)
{
    const pblock *self = &p->blocks[0];
    for (uint32_t k = 0; k < self->nvars; k++)
        if (p->vars[self->first_var + k].reg != k)
            return false;
    return true;
}

static int slot_cmp(const void *a, const void *b)
{
    const prep_slot *x = a, *y = b;
    int c = facts_name_cmp(x->name, x->len, y->name, y->len);
    return c ? c : (x->slot > y->slot) - (x->slot < y->slot);
}

static bool dstr_same(dstr a, dstr b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* Do constraint tables x and y hold the same values (ct_test)? */
static bool ctables_alike(const program *p, int32_t x, int32_t y)
{
    if (x == y)
        return true;
    if (x < 0 || y < 0 || (uint32_t)x >= p->nctables || (uint32_t)y >= p->nctables)
        return false;
    const ctable *a = &p->ctables[x], *b = &p->ctables[y];
    if (a->kind != b->kind || a->n != b->n || a->small != b->small || a->bitmap != b->bitmap ||
        !dstr_same(prog_str(p, a->text), prog_str(p, b->text)))
        return false;
    switch (a->kind) {
    case CT_INT:
    case CT_HEX:
        for (uint32_t i = 0; i < a->n; i++)
            if (p->ranges[a->first + i].lo != p->ranges[b->first + i].lo ||
                p->ranges[a->first + i].hi != p->ranges[b->first + i].hi)
                return false;
        return true;
    case CT_STRING:
    case CT_SET:
        for (uint32_t i = 0; i < a->n; i++)
            if (!dstr_same(p->strs[a->first + i], p->strs[b->first + i]))
                return false;
        return true;
    case CT_SEMVER:
        for (uint32_t i = 0; i < a->n; i++) {
            const svset *u = &p->svsets[a->first + i], *w = &p->svsets[b->first + i];
            if (u->n != w->n)
                return false;
            for (uint32_t k = 0; k < u->n; k++) {
                const sv_comparator *c = &p->cmps[u->first + k], *d = &p->cmps[w->first + k];
                if (c->op != d->op || c->v.major != d->v.major || c->v.minor != d->v.minor ||
                    c->v.patch != d->v.patch || !dstr_same(c->v.pre, d->v.pre))
                    return false;
            }
        }
        return true;
    case CT_BOOL: return a->first == b->first;
    default: return false;
    }
}

/* Does template t write each of its registers from one declaration? */
static bool decls_apart(const program *p, const tmpl *t)
{
    const tpart *parts = &p->tparts[t->first];
    for (uint32_t j = 0; j < t->n; j++)
        for (uint32_t k = j + 1; parts[j].kind == TP_DECL && k < t->n; k++)
            if (parts[k].kind == TP_DECL && parts[k].reg == parts[j].reg)
                return false;
    return true;
}

/* Do templates a and b match any text alike, writing the same values in
 * their declarations' registers (SELF's and a COMPATIBLE block's templates
 * of one field often are)?  Then one match serves both. */
static bool tmpls_alike(const program *p, const tmpl *a, const tmpl *b)
{
    if (a->n != b->n || !decls_apart(p, a) || !decls_apart(p, b))
        return false;
    for (uint32_t j = 0; j < a->n; j++) {
        const tpart *x = &p->tparts[a->first + j], *y = &p->tparts[b->first + j];
        if (x->kind != y->kind || x->type != y->type ||
            !dstr_same(prog_str(p, x->lit), prog_str(p, y->lit)) ||
            !ctables_alike(p, x->ctable, y->ctable))
            return false;
    }
    return true;
}

/* The types whose value a pfact keeps in `as` (8 bytes or fewer). */
#define NARROW_TYPES ((1u << VT_INT) | (1u << VT_HEX) | (1u << VT_BOOL))

/* The values a slot read as `types` keeps beyond the one in its pfact:
 * every type but string, less the first int, hex or bool that parses (a
 * semver may not fit the pfact). */
static uint32_t more_types(unsigned types)
{
    uint32_t n = 0;
    for (int t = VT_NONE + 1; t < VT_COUNT; t++)
        n += t != VT_STRING && (types >> t & 1);
    return n - ((types & NARROW_TYPES) != 0);
}

/* *total += n * size, 8-aligned; false on overflow. */
static bool add_size(size_t *total, size_t n, size_t size)
{
    if (size && n > (SIZE_MAX - *total - 8) / size)
        return false;
    *total += (n * size + 7) & ~(size_t)7;
    return true;
}

/* The most bytes a SELF variable of type t takes packed (value_pack): of
 * an unknown type, a whole value. */
static size_t packed_most(uint8_t t)
{
    return t == VT_INT || t == VT_HEX || t == VT_BOOL || t == VT_STRING || t == VT_SET
               ? packed_bytes(t)
               : sizeof(value);
}

/* The room for SELF's failure before prep_cold. */
#define FAIL_ROOM ((sizeof(vm_fail) + 7) & ~(size_t)7)

/* The layout of a prepared device (prepared.h): first what a check reads of
 * a target (the header, SELF's values packed, the text they point into),
 * then what it reads of a source (the slots, the template outcomes and
 * bindings, the values out of line), then the sets' items. */
static void plan_layout(dc_policy *pol)
{
    const program *p = &pol->prog;
    prep_layout *at = &pol->prep_at;
    size_t nself = pol->self_alone ? p->blocks[0].nvars : 0;
    bool ok = true;
    at->self_room = 0;
    if (pol->self_in_order)
        for (size_t k = 0; k < nself; k++)
            at->self_room += packed_most(p->vars[p->blocks[0].first_var + k].type);
    else
        ok = add_size(&at->self_room, nself, sizeof(pbind));
    /* SELF's failure in its values' room when it fits there (they are not
     * kept then), else before prep_cold */
    at->head =
        PREP_COLD_SIZE + (pol->self_alone && at->self_room < sizeof(vm_fail) ? FAIL_ROOM : 0);
    at->self = (sizeof(dc_prepared) + 7) & ~(size_t)7;
    at->text = at->self;
    ok = ok && add_size(&at->text, 1, at->self_room);
    at->slots = 0;
    ok = ok && add_size(&at->slots, p->nslots, sizeof(pfact)) &&
         add_size(&at->slots, p->ntmpls, sizeof(pmatch));
    at->binds = at->slots;
    ok = ok && add_size(&at->binds, pol->prep_binds, sizeof(pbind));
    at->more = at->binds;
    ok = ok && add_size(&at->more, pol->prep_more, sizeof(value));
    at->items = at->more;
    /* room for the text and the items: per slot at most a value and its
     * NUL, and an item per byte of it; the head, and up to 64 + 32 bytes to
     * align the header and the slots */
    size_t most = (DC_MAX_VALUE + 1) * (1 + sizeof(dstr));
    size_t fixed = at->head + at->text + 128;
    at->fits = ok && at->items <= SIZE_MAX - fixed &&
               p->nslots <= (SIZE_MAX - fixed - at->items) / most;
}

/* Do the slots' names all hash to different entries of a table of
 * 1 << bits? */
static bool probes_apart(const program *p, uint32_t bits)
{
    uint64_t seen[(1u << 16) / 64] = { 0 };
    for (uint32_t s = 0; s < p->nslots; s++) {
        dstr name = prog_str(p, p->slots[s].name);
        uint32_t h = text_name_hash(name.p, name.len, bits);
        if (seen[h / 64] >> (h % 64) & 1)
            return false;
        seen[h / 64] |= (uint64_t)1 << (h % 64);
    }
    return true;
}

bool prepare_plan(dc_policy *pol)
{
    const program *p = &pol->prog;
    size_t nslots = p->nslots, ntmpls = p->ntmpls;
    /* one allocation: the slots, then the templates */
    /* one allocation: the slots, the templates, the slots' hash table,
     * large enough for no two slots to share a first probe when a few
     * more bits give that (most policies: a name finds its slot, or that
     * it has none, in one probe) */
    uint32_t bits = 3;
    while (bits < 30 && ((size_t)1 << bits) < 2 * nslots)
        bits++;
    for (uint32_t more = 0; more < 4 && bits < 16 && !probes_apart(p, bits); more++)
        bits++;
    size_t table = ((size_t)1 << bits) * sizeof(uint32_t);
    if (((size_t)1 << bits) < 2 * nslots ||
        nslots > (SIZE_MAX - ntmpls * sizeof(prep_tmpl) - table - 8) / sizeof(prep_slot) - 1)
        return false;
    size_t tmpls_end =
        ((nslots + 1) * sizeof(prep_slot) + ntmpls * sizeof(prep_tmpl) + 7) & ~(size_t)7;
    mem_free(pol->alloc, pol->slots_by_name);
    pol->slots_by_name = mem_alloc(pol->alloc, tmpls_end + table);
    if (!pol->slots_by_name)
        return false;
    pol->prep_tmpls = (prep_tmpl *)(pol->slots_by_name + nslots + 1);
    pol->slot_table = (uint32_t *)(void *)((char *)pol->slots_by_name + tmpls_end);
    pol->slot_bits = bits;
    pol->prep_more = 0;
    for (uint32_t s = 0; s < nslots; s++)
        pol->prep_more += more_types(p->slots[s].types);
    for (uint32_t s = 0; s < nslots; s++) {
        dstr name = prog_str(p, p->slots[s].name);
        pol->slots_by_name[s] =
            (prep_slot){ name.p, name.len, s, (p->slots[s].types & (1u << VT_SET)) != 0,
                         text_name_hash(name.p, name.len, 32) };
    }
    qsort(pol->slots_by_name, nslots, sizeof(prep_slot), slot_cmp);
    memset(pol->slot_table, 0, table);
    for (uint32_t k = 0; k < nslots; k++) {
        uint32_t mask = (1u << bits) - 1, h = pol->slots_by_name[k].hash >> (32 - bits);
        while (pol->slot_table[h])
            h = (h + 1) & mask;
        pol->slot_table[h] = k + 1;
    }
    for (uint32_t k = 0; k < ntmpls; k++)
        pol->prep_tmpls[k] = (prep_tmpl){ UINT16_MAX, UINT16_MAX, false };
    /* the slot each template is matched on */
    for (uint32_t pc = 0; pc < p->ncode; pc++) {
        const insn *i = &p->code[pc];
        if ((i->op == I_MATCH || i->op == I_NMATCH) && i->b < ntmpls && i->a < nslots)
            pol->prep_tmpls[i->b].slot = i->a;
    }
    /* which can be matched beforehand, and the bindings they may need */
    pol->prep_binds = 0;
    for (uint32_t k = 0; k < ntmpls; k++) {
        const tmpl *t = &p->tmpls[k];
        if (!vm_prematchable(p, t))
            continue;
        bool regs_ok = true;
        for (uint32_t j = 0; j < t->n; j++) {
            const tpart *tp = &p->tparts[t->first + j];
            if (tp->kind == TP_DECL) {
                pol->prep_binds++;
                regs_ok = regs_ok && tp->reg < p->nregs;
            }
        }
        prep_tmpl *pt = &pol->prep_tmpls[k];
        pt->prematch = regs_ok && pt->slot < nslots;
        for (uint32_t e = 0; pt->prematch && e < k && e < UINT16_MAX; e++)
            if (pol->prep_tmpls[e].prematch && pol->prep_tmpls[e].alike == UINT16_MAX &&
                pol->prep_tmpls[e].slot == pt->slot && tmpls_alike(p, &p->tmpls[e], t)) {
                pt->alike = (uint16_t)e;
                break;
            }
    }
    pol->self_alone = self_alone(p);
    pol->self_in_order = pol->self_alone && self_in_order(p);
    plan_layout(pol);
    return true;
}

/* ------------------------------------------------------------- prepare */

/* Decimal digits, 1 to 18 of them (no overflow to check). */
static inline bool quick_digits(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* A semver number at p (up to 18 digits, no leading zero): its length,
 * 0 when not of that form. */
static inline size_t quick_num(const char *p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = 0;
    for (; p + n < end; n++) {
        unsigned d = (unsigned)(unsigned char)p[n] - '0';
        if (d > 9)
            break;
        if (n == 18)
            return 0;
        v = v * 10 + d;
    }
    if (n == 0 || (n > 1 && p[0] == '0'))
        return 0;
    *out = v;
    return n;
}

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline bool
quick_value(vtype ty, const char *p, size_t n, value *out)
{
    uint64_t u;
    if (ty == VT_INT) {
        if (!quick_digits(p, n, &u))
            return false;
        *out = (value){ .type = VT_INT, .as.i = (int64_t)u };
        return true;
    }
    if (ty == VT_HEX) {
        if (n == 0 || n > 16)
            return false;
        u = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned d = (unsigned)(unsigned char)p[i] - '0';
            if (d > 9) {
                d = ((unsigned)(unsigned char)p[i] | 0x20) - 'a';
                if (d > 5)
                    return false;
                d += 10;
            }
            u = u << 4 | d;
        }
        *out = (value){ .type = VT_HEX, .as.u = u };
        return true;
    }
    if (ty != VT_SEMVER)
        return false;
    const char *end = p + n;
    semver v;
    memset(&v, 0, sizeof v);
    size_t k = quick_num(p, end, &v.major);
    if (!k || p + k == end || p[k] != '.')
        return false;
    p += k + 1;
    if (!(k = quick_num(p, end, &v.minor)))
        return false;
    p += k;
    if (p < end) {
        if (*p != '.' || !(k = quick_num(p + 1, end, &v.patch)) || p + 1 + k != end)
            return false;
    }
    *out = (value){ .type = VT_SEMVER, .as.v = v };
    return true;
}

bool prep_quick_value(vtype ty, const char *p, size_t n, value *out)
{
    return quick_value(ty, p, n, out);
}

/* Parse one fact to the types of `types` (no string: its text is it): the
 * first int, hex, bool or short semver that parses into x->as, the others
 * into more[] (room for more_types(types): a semver may need it). */
static void parse_fact(unsigned types, pfact *x, value *more, dstr *items, uint32_t cap,
                       uint32_t *used)
{
    for (; types; types &= types - 1) { /* each type, lowest first */
        vtype ty = (vtype)__builtin_ctz(types);
        value v;
        uint32_t n;
        if (ty == VT_SET) {
            /* one limit for a set, wherever it is parsed (docs/language.md) */
            uint32_t room = cap - *used < DC_MAX_SET_ITEMS ? cap - *used : DC_MAX_SET_ITEMS;
            if (!set_parse(x->raw.p, x->raw.len, items + *used, room, &n))
                continue;
            v = (value){ .type = VT_SET, .as.set = { items + *used, n } };
            *used += n;
        } else if (!quick_value(ty, x->raw.p, x->raw.len, &v) &&
                   !value_parse(ty, x->raw.p, x->raw.len, &v)) {
            continue;
        }
        x->ok |= (uint8_t)(1u << ty);
        if (x->type == VT_NONE && ty == VT_SEMVER && pword_semver_fits(&v.as.v)) {
            x->type = VT_SEMVER;
            x->as.u = pword_semver_pack(&v.as.v);
        } else if (x->type == VT_NONE && (NARROW_TYPES >> ty & 1)) {
            x->type = (uint8_t)ty;
            if (ty == VT_BOOL) /* the rest of `as` stays 0 */
                x->as.b = v.as.b;
            else
                x->as.u = v.as.u;
        } else {
            x->more = (uint32_t)((char *)more - (char *)x);
            more[x->nmore++] = v;
        }
    }
}

/* Registers for running templates and SELF while preparing: on the stack
 * when the program has few. */
typedef struct scratch_regs {
    value small[64];
    value *R;
} scratch_regs;

static bool regs_get(const dc_alloc *a, const program *p, scratch_regs *sr)
{
    sr->R = p->nregs <= 64 ? sr->small : mem_array(a, p->nregs, sizeof *sr->R);
    return sr->R != NULL;
}

static void regs_put(const dc_alloc *a, scratch_regs *sr)
{
    if (sr->R != sr->small)
        mem_free(a, sr->R);
}

/* Match every template the plan says can be (vm_prematchable) against this
 * device's fact, once: checks copy the outcome and the registers it wrote
 * (result.c, vm.c). */
static void prematch(const dc_policy *pol, dc_prepared *d, value *R)
{
    const program *p = &pol->prog;
    pbind *binds = prep_cold_of(d)->binds;
    uint32_t used = 0, steps = 0; /* one template budget for the device */
    for (uint32_t k = 0; k < p->ntmpls; k++) {
        const prep_tmpl *pt = &pol->prep_tmpls[k];
        pmatch *pm = &d->pm[k];
        *pm = (pmatch){ PM_LIVE, 0, pt->slot, 0 };
        if (!pt->prematch || !d->slots[pt->slot].present)
            continue;
        const tmpl *t = &p->tmpls[k];
        const tpart *parts = &p->tparts[t->first];
        pm->first = (uint32_t)((char *)&binds[used] - (char *)pm);
        if (pt->alike != UINT16_MAX) {
            /* its outcome, its values in this template's registers */
            const pmatch *src = &d->pm[pt->alike];
            const tpart *from = &p->tparts[p->tmpls[pt->alike].first];
            pm->result = src->result;
            for (uint32_t b = 0; b < src->nbinds; b++) {
                const pbind *x = &pmatch_binds(src)[b];
                uint32_t j = 0;
                while (from[j].kind != TP_DECL || from[j].reg != x->reg)
                    j++;
                binds[used++] = (pbind){ parts[j].reg, x->v };
                pm->nbinds++;
            }
            continue;
        }
        for (uint32_t j = 0; j < t->n; j++)
            if (parts[j].kind == TP_DECL)
                R[parts[j].reg].type = VT_NONE;
        const pfact *x = &d->slots[pt->slot];
        pm->result = (int8_t)vm_prematch(p, t, x->raw.p, x->raw.len, R, &steps);
        /* the registers it wrote, matched or not (a failed match may have
         * bound its first placeholders): a check writes the same */
        for (uint32_t j = 0; j < t->n; j++) {
            if (parts[j].kind != TP_DECL || R[parts[j].reg].type == VT_NONE)
                continue;
            binds[used++] = (pbind){ parts[j].reg, R[parts[j].reg] };
            pm->nbinds++;
            R[parts[j].reg].type = VT_NONE;
        }
    }
}

/* A SELF that held: no failure to tell. */
static const vm_fail no_fail;

/* Run SELF on these facts as a target would, once, and keep its outcome for
 * every check (result.c): its variables' values right after the header
 * (registers 0, 1, ... when in order, packed, else bindings), or, when it
 * failed, why, in their room or, when it does not fit, before prep_cold.  Values that would not fit
 * their room (of a type other than declared) are not kept: the check then
 * runs SELF. */
static void run_self(const dc_policy *pol, dc_prepared *d, value *R)
{
    const program *p = &pol->prog;
    const prep_layout *at = &pol->prep_at;
    const pblock *self = &p->blocks[0];
    uint32_t n = self->nvars;
    const var *vars = n ? &p->vars[self->first_var] : NULL;
    bool copy = pol->self_in_order && n <= p->nregs; /* R[0 .. n) is theirs */
    /* its variables are cleared for a SELF that fails before binding them */
    if (copy)
        memset(R, 0, n * sizeof *R);
    else
        for (uint32_t k = 0; k < n; k++)
            if (vars[k].reg < p->nregs)
                R[vars[k].reg] = (value){ 0 };
    dc_result r;
    memset(&r, 0, sizeof r);
    r.policy = pol;
    r.regs = R;
    r.nregs = p->nregs;
    vm_fail fail;
    memset(&fail, 0, sizeof fail);
    prep_cold *cold = prep_cold_of(d);
    char *out = (char *)d + at->self;
    d->self_holds = vm_run_block(p, 0, d, d, &r, &fail);
    d->self_ready = true;
    d->self_vals = pol->self_in_order ? out : NULL;
    cold->self_binds = pol->self_in_order ? NULL : (const pbind *)(void *)out;
    if (!d->self_holds) {
        void *to = at->self_room >= sizeof fail ? (void *)out : (char *)cold - FAIL_ROOM;
        cold->self_fail = memcpy(to, &fail, sizeof fail);
        return;
    }
    cold->self_fail = &no_fail;
    if (!pol->self_in_order) {
        for (uint32_t k = 0; k < n; k++)
            ((pbind *)(void *)out)[k] =
                (pbind){ vars[k].reg, vars[k].reg < p->nregs ? R[vars[k].reg] : (value){ 0 } };
        return;
    }
    /* packed: a check reads fewer cache lines */
    size_t size = 0;
    for (uint32_t k = 0; k < n; k++)
        size += packed_bytes(copy                     ? R[k].type
                             : vars[k].reg < p->nregs ? R[vars[k].reg].type
                                                      : VT_NONE);
    if (size > at->self_room) {
        d->self_ready = false;
        d->self_vals = NULL;
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        value x = copy ? R[k] : vars[k].reg < p->nregs ? R[vars[k].reg] : (value){ 0 };
        out = value_pack(&x, out);
    }
}

/* memcpy(to, from, n) without a call for the short values most facts
 * have: two overlapping words (8, 4, 2 or 1 bytes) up to 16 bytes. */
static inline void copy_short(char *to, const char *from, size_t n)
{
    uint64_t a, b;
    uint32_t c, d;
    uint16_t e, f;
    if (n > 16) {
        memcpy(to, from, n);
    } else if (n >= 8) {
        memcpy(&a, from, 8);
        memcpy(&b, from + n - 8, 8);
        memcpy(to, &a, 8);
        memcpy(to + n - 8, &b, 8);
    } else if (n >= 4) {
        memcpy(&c, from, 4);
        memcpy(&d, from + n - 4, 4);
        memcpy(to, &c, 4);
        memcpy(to + n - 4, &d, 4);
    } else if (n >= 2) {
        memcpy(&e, from, 2);
        memcpy(&f, from + n - 2, 2);
        memcpy(to, &e, 2);
        memcpy(to + n - 2, &f, 2);
    } else if (n) {
        *to = *from;
    }
}

/* The value of each slot, wherever a device's facts were read: vals[s]
 * (p NULL: no fact of its name).  *text gets the bytes of their values
 * with NULs, *items the items of those read as sets. */
static void slot_sizes(const dc_policy *pol, const dstr *vals, size_t *text, size_t *items)
{
    for (uint32_t k = 0; k < pol->prog.nslots; k++) {
        const prep_slot *ps = &pol->slots_by_name[k];
        dstr v = vals[ps->slot];
        if (!v.p)
            continue;
        *text += v.len + 1;
        if (ps->set)
            *items += set_count(v.p, v.len);
    }
}

/* vals[s] = the value of slot s's fact: one walk of the facts and the
 * slots, both sorted by name. */
static void find_slots(const dc_policy *pol, const dc_facts *facts, dstr *vals)
{
    const fact *x = facts->items, *end = facts->n ? x + facts->n : x;
    for (uint32_t k = 0; k < pol->prog.nslots; k++) {
        const prep_slot *ps = &pol->slots_by_name[k];
        int c = 1;
        /* most slots find a fact of their name: equal names compared
         * without a call */
        for (; x < end; x++) {
            if (x->name_len == ps->len && bytes_equal(x->name, ps->name, ps->len)) {
                c = 0;
                break;
            }
            if ((c = facts_name_cmp(x->name, x->name_len, ps->name, ps->len)) > 0)
                break;
        }
        vals[ps->slot] = c ? (dstr){ NULL, 0 } : (dstr){ x->value, x->value_len };
    }
}

/* ------------------------------------------------------------- records */

/* The facts named SET.N.FIELD of record set `set`: the first fact after
 * "SET." in name order, and one past the last. */
static void record_range(const dc_facts *facts, dstr set, const fact **first, const fact **end)
{
    char key[DC_MAX_NAME + 2];
    size_t klen = set.len < DC_MAX_NAME ? set.len : DC_MAX_NAME;
    memcpy(key, set.p, klen);
    key[klen++] = '.';
    const fact *x = facts->items;
    if (!facts->n) { /* a dc_facts_new with nothing added has no items */
        *first = *end = x;
        return;
    }
    uint32_t lo = 0, hi = facts->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (facts_name_cmp(x[mid].name, x[mid].name_len, key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = x + lo;
    while (lo < facts->n && x[lo].name_len > klen && !memcmp(x[lo].name, key, klen))
        lo++;
    *end = x + lo;
}

/* A fact of a record set's range: its record (-1: not a record) and field. */
static int32_t record_of(const fact *x, dstr set, dstr *field)
{
    const char *s = x->name + set.len + 1, *end = x->name + x->name_len;
    size_t k = record_index_len(s, end);
    if (!k || s + k == end)
        return -1;
    int32_t n = 0;
    for (size_t i = 0; i < k; i++)
        n = n * 10 + (s[i] - '0');
    *field = (dstr){ s + k + 1, (uint32_t)(end - s - k - 1) };
    return n;
}

/* The record field of set `set` named `field`, or -1. */
static int32_t field_of(const program *p, uint32_t set, dstr field)
{
    for (uint32_t f = 0; f < p->nrecfields; f++)
        if (p->recfields[f].set == set && dstr_same(prog_str(p, p->recfields[f].name), field))
            return (int32_t)f;
    return -1;
}

/* Prepare the records the policy's all/any walk (docs/facts.md,
 * "Records"): per set its number of records, consecutive from 0 (a gap is a
 * facts error); per field the text of each record's fact, copied.  One
 * allocation, prep_cold's rec_n; its rec_field points into it. */
static dc_status prepare_records(const dc_policy *pol, const dc_facts *facts, dc_prepared *d,
                                 dc_error *err)
{
    const program *p = &pol->prog;
    const dc_alloc *a = pol->alloc;
    uint32_t nsets = p->nrecsets, nfields = p->nrecfields;
    if (!nsets)
        return DC_OK;
    /* first the sizes: records per set, entries, text */
    size_t entries = 0, text = 0;
    uint32_t small[16], *count = nsets <= 16 ? small : mem_array(a, nsets, sizeof *count);
    if (!count)
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    for (uint32_t s = 0; s < nsets; s++) {
        dstr set = prog_str(p, p->recsets[s].name);
        const fact *x, *end;
        record_range(facts, set, &x, &end);
        uint64_t seen[10000 / 64 + 1] = { 0 };
        int32_t most = -1;
        for (; x < end; x++) {
            dstr field;
            int32_t r = record_of(x, set, &field);
            if (r < 0)
                continue;
            seen[r / 64] |= (uint64_t)1 << (r % 64);
            most = r > most ? r : most;
            if (field_of(p, s, field) >= 0)
                text += x->value_len + 1;
        }
        for (int32_t r = 0; r <= most; r++)
            if (!(seen[r / 64] >> (r % 64) & 1)) {
                if (count != small)
                    mem_free(a, count);
                return dc_error_set(err, DC_ERR_FACTS,
                                    "records '%.*s': record %d is missing "
                                    "(records 0..%d have facts; records are numbered from 0 "
                                    "without a gap)",
                                    (int)set.len, set.p, r, most);
            }
        count[s] = (uint32_t)(most + 1);
    }
    for (uint32_t f = 0; f < nfields; f++)
        entries += count[p->recfields[f].set];
    /* rec_n, then rec_field on an 8-byte boundary (a pointer's alignment) */
    size_t head = (nsets * sizeof(uint32_t) + 7) & ~(size_t)7;
    size_t size = head + nfields * sizeof(dstr *);
    size = (size + 7) & ~(size_t)7;
    char *block = mem_alloc(a, size + entries * sizeof(dstr) + text + 1);
    if (!block) {
        if (count != small)
            mem_free(a, count);
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    prep_cold *cold = prep_cold_of(d);
    cold->rec_n = (uint32_t *)(void *)block;
    cold->rec_field = (const dstr **)(void *)(block + head);
    dstr *at = (dstr *)(void *)(block + size);
    char *t = (char *)(at + entries);
    memcpy(cold->rec_n, count, nsets * sizeof *count);
    for (uint32_t f = 0; f < nfields; f++) {
        uint32_t n = count[p->recfields[f].set];
        memset(at, 0, n * sizeof *at);
        cold->rec_field[f] = at;
        at += n;
    }
    if (count != small)
        mem_free(a, count);
    /* then the texts */
    for (uint32_t s = 0; s < nsets; s++) {
        dstr set = prog_str(p, p->recsets[s].name);
        const fact *x, *end;
        record_range(facts, set, &x, &end);
        for (; x < end; x++) {
            dstr field;
            int32_t r = record_of(x, set, &field);
            int32_t f = r < 0 ? -1 : field_of(p, s, field);
            if (f < 0)
                continue;
            memcpy(t, x->value, x->value_len + 1);
            ((dstr *)cold->rec_field[f])[r] = (dstr){ t, x->value_len };
            t += x->value_len + 1;
        }
    }
    return DC_OK;
}

/* ------------------------------------------------------ filling a device */

/* What a device the caller refills keeps beyond a prepared device: the
 * policy it is for, the text and items (grown as a text needs, never
 * shrunk), scratch room for its slots' values and the registers, and what
 * reading its texts learns (text_slots). */
typedef struct prep_reuse {
    const dc_policy *policy;
    char *body;
    size_t cap;
    kv_fact *others; /* room for nothers facts of no slot, then their hash
                        table (2 * nothers entries) */
    uint32_t nothers;
    dstr *vals;
    value *regs; /* NULL when the program has 64 registers or fewer */
    /* after_slot[s]: the slot whose fact followed slot s's in the last
     * text that had both (NULL: none known); after_slot[nslots], the
     * first slot's */
    const prep_slot **after_slot;
} prep_reuse;

_Static_assert(DC_MAX_FACTS < UINT16_MAX, "a fact's index + 1 fits a hash table's entry");

/* The slot of the name [name, name+n), or NULL: a probe of the policy's
 * table of slots by name hash (most often one). */
static const prep_slot *slot_named(const dc_policy *pol, const char *name, uint32_t n)
{
    const uint32_t bits = pol->slot_bits, mask = (1u << bits) - 1;
    uint32_t h32 = text_name_hash(name, n, 32);
    for (uint32_t h = h32 >> (32 - bits); pol->slot_table[h]; h = (h + 1) & mask) {
        const prep_slot *ps = &pol->slots_by_name[pol->slot_table[h] - 1];
        if (ps->hash == h32 && ps->len == n && bytes_equal(ps->name, name, n))
            return ps;
    }
    return NULL;
}

/* Note fact f of no slot, the n-th of its text, in re's room (grown
 * geometrically, up to DC_MAX_FACTS); false when it cannot grow. */
static bool note_other(const dc_alloc *a, prep_reuse *re, uint32_t n, const kv_fact *f)
{
    if (n == re->nothers) {
        uint32_t cap = n ? 2 * n : 16;
        cap = cap > DC_MAX_FACTS ? DC_MAX_FACTS : cap;
        kv_fact *o = n < DC_MAX_FACTS
                         ? mem_alloc(a, cap * (sizeof(kv_fact) + 2 * sizeof(uint16_t)))
                         : NULL;
        if (!o)
            return false;
        if (n)
            memcpy(o, re->others, n * sizeof *o);
        mem_free(a, re->others);
        re->others = o;
        re->nothers = cap;
    }
    re->others[n] = *f;
    return true;
}

/* Do two of the n facts f of no slot have one name?  Told apart in
 * `table` (room for 2n entries or more: a fact's index + 1, or 0). */
static bool others_twice(const kv_fact *f, uint32_t n, uint16_t *table)
{
    unsigned bits = 4;
    while ((1u << bits) < 2 * n)
        bits++;
    uint32_t mask = (1u << bits) - 1;
    memset(table, 0, (mask + 1) * sizeof *table);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t h = text_name_hash(f[i].name, f[i].name_len, bits);
        for (; table[h]; h = (h + 1) & mask) {
            const kv_fact *o = &f[table[h] - 1];
            if (o->name_len == f[i].name_len && bytes_equal(o->name, f[i].name, o->name_len))
                return true;
        }
        table[h] = (uint16_t)(i + 1);
    }
    return false;
}

/* Read the common text (every line blank, a comment or a plain `name =
 * value`: facts_kv_line.h) straight into re->vals: vals[s] the value of
 * slot s's fact, found as its line is read; *text and *items their sizes,
 * as slot_sizes counts them.  A text's facts most often come in the order
 * of the last text's: the slot that followed the last fact's slot then is
 * tried first, by its name's bytes and the '=' after them (kv_named), and
 * only when that is not the line's name is the line read whole and its
 * name looked up.  False for any other text, a fact twice, more than
 * DC_MAX_FACTS, or no room: the general reader then reads it and says what
 * is wrong. */
static bool text_slots(const dc_policy *pol, prep_reuse *re, const char *text, size_t len,
                       size_t *text_size, size_t *items)
{
    const prep_slot **after = re->after_slot;
    uint32_t nslots = pol->prog.nslots, last = nslots, nother = 0;
    dstr *vals = re->vals;
    const char *s = text, *end = text + len, *next;
    size_t bytes = 0;
    memset(vals, 0, nslots * sizeof *vals);
    while (s < end) {
        const prep_slot *ps = after[last];
        kv_fact f;
        if (ps && kv_named(s, end, ps->name, ps->len)) {
            if (!(next = kv_plain_value(text, s + ps->len + 1, end, &f)))
                return false;
        } else {
            enum kv_line_kind k = kv_plain_next(text, s, end, &f, &next);
            if (k == KV_OTHER)
                return false;
            if (k == KV_FACT && !(ps = slot_named(pol, f.name, f.name_len)) &&
                !note_other(pol->alloc, re, nother++, &f))
                return false;
            if (k == KV_NONE || !ps) {
                s = next;
                continue;
            }
            after[last] = ps;
        }
        dstr *v = &vals[ps->slot];
        if (v->p)
            return false;
        *v = (dstr){ f.value, f.value_len };
        bytes += f.value_len + 1;
        if (ps->set)
            *items += set_count(f.value, f.value_len);
        last = ps->slot;
        s = next;
    }
    *text_size = bytes;
    /* a slot's fact at most once each: the limit is passed only with
     * others (note_other refuses more than DC_MAX_FACTS of them) */
    if (nother + nslots > DC_MAX_FACTS) {
        uint32_t n = nother;
        for (uint32_t k = 0; k < nslots; k++)
            n += vals[k].p != NULL;
        if (n > DC_MAX_FACTS)
            return false;
    }
    return nother < 2 ||
           !others_twice(re->others, nother, (uint16_t *)(void *)(re->others + re->nothers));
}

/* Fill device d from its slots' values: each value copied into d->text and
 * parsed to the types the policy reads it as (room for `items` set items
 * at prep_cold's items), then the records (from `facts`: a policy that reads
 * records is prepared from a dc_facts), the templates matched beforehand
 * and, but for a refilled device, SELF.  d's header is set up. */
static dc_status fill(const dc_policy *pol, dc_prepared *d, const dstr *vals, size_t items,
                      const dc_facts *facts, value *regs, dc_error *err)
{
    const program *p = &pol->prog;
    const prep_layout *at = &pol->prep_at;
    pfact *slots = d->slots;
    char *t = d->text;
    dstr *set_items = prep_cold_of(d)->items;
    value *more = (value *)(void *)((char *)slots + at->binds); /* up to at->more */
    uint32_t used = 0;
    for (uint32_t s = 0; s < p->nslots; s++) {
        dstr v = vals[s];
        pfact *x = &slots[s];
        /* each slot written whole: a few stores, no call */
        if (!v.p) {
            *x = (pfact){ .present = false };
            continue;
        }
        copy_short(t, v.p, v.len);
        t[v.len] = '\0';
        *x = (pfact){ .raw = { t, v.len }, .present = true, .ok = 1u << VT_STRING };
        t += v.len + 1;
        unsigned types = p->slots[s].types & ~(1u << VT_STRING) & ((1u << VT_COUNT) - 2);
        if (types)
            parse_fact(types, x, more, set_items, (uint32_t)items, &used);
        more += x->nmore; /* within prep_more: at most more_types(slot) each */
    }
    if (facts) {
        dc_status st = prepare_records(pol, facts, d, err);
        if (st != DC_OK)
            return st;
    }
    scratch_regs sr; /* not cleared: only registers written are read */
    if (regs)
        sr.R = regs;
    else if (!regs_get(pol->alloc, p, &sr))
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    if (p->ntmpls)
        prematch(pol, d, sr.R);
    /* a refilled device is most often checked once, as a source as often
     * as a target: its SELF runs when it is checked as a target (result.c),
     * in less than running it here and copying its outcome costs */
    if (pol->self_alone && !prep_cold_of(d)->reuse)
        run_self(pol, d, sr.R);
    if (!regs)
        regs_put(pol->alloc, &sr);
    return DC_OK;
}

/* The header of a device in `block`: on a cache line, after at->head
 * bytes (the room for SELF's failure, then prep_cold), which it sets up;
 * its slots `off_slots` bytes from it. */
static dc_prepared *block_header(const dc_policy *pol, char *block, size_t off_slots,
                                 prep_reuse *re)
{
    const program *p = &pol->prog;
    const prep_layout *at = &pol->prep_at;
    size_t pad = (64 - (((uintptr_t)block + at->head) & 63)) & 63;
    dc_prepared *d = (dc_prepared *)(void *)(block + at->head + pad);
    pfact *slots = (pfact *)(void *)((char *)d + off_slots);
    /* a refilled device: no policy until it holds a device (a check
     * refuses it) */
    *d = (dc_prepared){ .policy = re ? NULL : pol,
                        .slots = slots,
                        .pm = p->ntmpls ? (pmatch *)(slots + p->nslots) : NULL,
                        .text = (char *)d + at->text,
                        .npm = p->ntmpls };
    *prep_cold_of(d) = (prep_cold){ .block = block,
                                    .alloc = pol->alloc,
                                    .binds = (pbind *)(void *)((char *)slots + at->slots),
                                    .items = (dstr *)(void *)((char *)slots + at->items),
                                    .reuse = re };
    return d;
}

dc_status dc_prepare(const dc_policy *pol, const dc_facts *facts, dc_prepared **out,
                     dc_error *err)
{
    if (out)
        *out = NULL;
    if (!pol || !facts || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_prepare: invalid argument");
    const program *p = &pol->prog;
    const dc_alloc *a = pol->alloc;
    const prep_layout *at = &pol->prep_at;
    dstr small[64], *vals = small;
    if (p->nslots > 64 && !(vals = mem_array(a, p->nslots, sizeof *vals)))
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    /* sizes first: the whole device is one block: the head, up to 64 bytes
     * to put the header on a cache line, SELF's values and the text, the
     * slots 32-aligned after them (a pfact never across two lines) */
    size_t text = 0, items = 0;
    find_slots(pol, facts, vals);
    slot_sizes(pol, vals, &text, &items);
    size_t off_slots = (at->text + text + 31) & ~(size_t)31;
    char *block =
        at->fits ? mem_alloc(a, at->head + 64 + off_slots + at->items + items * sizeof(dstr))
                 : NULL;
    dc_status st = DC_ERR_NOMEM;
    if (block) {
        dc_prepared *d = block_header(pol, block, off_slots, NULL);
        st = fill(pol, d, vals, items, facts, NULL, err);
        if (st == DC_OK)
            *out = d;
        else
            dc_prepared_free(d);
    } else {
        dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    if (vals != small)
        mem_free(a, vals);
    return st;
}

/* ------------------------------------------------- a device refilled */

dc_status dc_prepared_new(const dc_policy *pol, dc_prepared **out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (!pol || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_prepared_new: invalid argument");
    const program *p = &pol->prog;
    const prep_layout *at = &pol->prep_at;
    /* one block: the head, the header on a cache line and the slots
     * right after it (its SELF runs when checked, its text is in a body
     * of its own), then what a refill needs */
    size_t off_slots = (at->self + 31) & ~(size_t)31;
    size_t regs = p->nregs > 64 ? p->nregs : 0, size = at->head + 64 + off_slots + at->items;
    size_t extra = sizeof(prep_reuse) + p->nslots * sizeof(dstr) + regs * sizeof(value) +
                   (p->nslots + 1) * sizeof(prep_slot *);
    char *block =
        at->fits && size <= SIZE_MAX - extra ? mem_alloc(pol->alloc, size + extra) : NULL;
    if (!block)
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    prep_reuse *re = (prep_reuse *)(void *)(block + size);
    *re = (prep_reuse){ .policy = pol, .vals = (dstr *)(re + 1) };
    re->regs = regs ? (value *)(re->vals + p->nslots) : NULL;
    re->after_slot = (const prep_slot **)(void *)((value *)(re->vals + p->nslots) + regs);
    for (uint32_t s = 0; s <= p->nslots; s++)
        re->after_slot[s] = NULL;
    *out = block_header(pol, block, off_slots, re);
    return DC_OK;
}

/* Room in d's body for `text` bytes of values and `items` set items:
 * the body grown geometrically when they do not fit, never shrunk. */
static bool body_fit(dc_prepared *d, size_t text, size_t items)
{
    prep_cold *cold = prep_cold_of(d);
    prep_reuse *re = cold->reuse;
    size_t off = (text + 7) & ~(size_t)7;
    if (items > (SIZE_MAX - off) / sizeof(dstr))
        return false;
    size_t need = off + items * sizeof(dstr);
    /* a body even for a text of none of the policy's facts: no offset
     * from a null pointer (docs/security.md, finding 11) */
    if (need > re->cap || !re->body) {
        size_t cap = re->cap > SIZE_MAX / 2 ? SIZE_MAX : re->cap * 2;
        cap = cap < need ? need : cap < 256 ? 256 : cap;
        char *body = mem_alloc(cold->alloc, cap);
        if (!body)
            return false;
        mem_free(cold->alloc, re->body);
        re->body = body;
        re->cap = cap;
    }
    d->text = re->body;
    cold->items = (dstr *)(void *)(re->body + off);
    return true;
}

dc_status dc_prepared_parse_text(dc_prepared *d, const char *file, const char *text, size_t len,
                                 dc_error *err)
{
    prep_cold *cold = d ? prep_cold_of(d) : NULL;
    if (!cold || !cold->reuse)
        return dc_error_set(err, DC_ERR_INVALID, "dc_prepared_parse_text: invalid argument");
    prep_reuse *re = cold->reuse;
    const dc_policy *pol = re->policy;
    d->policy = NULL; /* until it holds this text's device */
    d->self_ready = false;
    if (cold->rec_n) {
        mem_free(cold->alloc, cold->rec_n);
        cold->rec_n = NULL;
        cold->rec_field = NULL;
    }
    /* the common text straight into the device; any other (a quote, a
     * comment after a value, a header, a duplicate, an error, records to
     * prepare) by way of the facts, as dc_facts_parse_text reads it */
    dc_facts *facts = NULL;
    size_t tsize = 0, items = 0;
    if (pol->prog.nrecsets || (!text && len) ||
        !text_slots(pol, re, text ? text : "", len, &tsize, &items)) {
        dc_status st = facts_parse_text_ex(pol->alloc, file, text, len, &facts, err);
        if (st != DC_OK)
            return st;
        find_slots(pol, facts, re->vals);
        tsize = items = 0;
        slot_sizes(pol, re->vals, &tsize, &items);
    }
    dc_status st = body_fit(d, tsize, items)
                       ? fill(pol, d, re->vals, items, facts, re->regs, err)
                       : dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    if (facts)
        dc_facts_free(facts);
    if (st == DC_OK)
        d->policy = pol;
    return st;
}

void dc_prepared_free(dc_prepared *d)
{
    if (d) {
        prep_cold *cold = prep_cold_of(d);
        mem_free(cold->alloc, cold->rec_n);
        if (cold->reuse) {
            mem_free(cold->alloc, cold->reuse->body);
            mem_free(cold->alloc, cold->reuse->others);
        }
        mem_free(cold->alloc, cold->block);
    }
}
