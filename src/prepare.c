/* prepare.c -- facts prepared for one policy: names resolved to slots once,
 * values parsed once to every type the policy reads them as, templates
 * that depend on their fact alone matched once, and SELF run once (SPEC 3).
 * A prepared device is one allocation.
 *
 * What does not depend on the facts (which templates can be matched, on
 * which slot, whether SELF can run, the slots in name order) is worked out
 * once per policy: prepare_plan, called by policy_finish. */
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "limits.h"
#include "vm.h"

/* ---------------------------------------------------------------- plan */

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
        const char *ops = op_operands[i->op];
        if ((ops[0] == 'S' || ops[1] == 'S' || ops[2] == 'S') && (i->t & SIDE_SOURCE))
            return false;
        if (i->op == I_CONV && (i->t & TYPE_MASK) == VT_SET)
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

bool prepare_plan(dc_policy *pol)
{
    const program *p = &pol->prog;
    size_t nslots = p->nslots, ntmpls = p->ntmpls;
    /* one allocation: the slots, then the templates */
    if (nslots > (SIZE_MAX - ntmpls * sizeof(prep_tmpl)) / sizeof(prep_slot) - 1)
        return false;
    mem_free(pol->alloc, pol->slots_by_name);
    pol->slots_by_name = mem_alloc(pol->alloc, (nslots + 1) * sizeof(prep_slot) +
                                               ntmpls * sizeof(prep_tmpl));
    if (!pol->slots_by_name)
        return false;
    pol->prep_tmpls = (prep_tmpl *)(pol->slots_by_name + nslots + 1);
    for (uint32_t s = 0; s < nslots; s++) {
        dstr name = prog_str(p, p->slots[s].name);
        pol->slots_by_name[s] = (prep_slot){ name.p, name.len, s };
    }
    qsort(pol->slots_by_name, nslots, sizeof(prep_slot), slot_cmp);
    for (uint32_t k = 0; k < ntmpls; k++)
        pol->prep_tmpls[k] = (prep_tmpl){ UINT16_MAX, false };
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
    }
    pol->self_alone = self_alone(p);
    pol->self_in_order = pol->self_alone && self_in_order(p);
    return true;
}

/* ------------------------------------------------------------- prepare */

/* *total += n * size, 8-aligned; false on overflow. */
static bool add_size(size_t *total, size_t n, size_t size)
{
    if (size && n > (SIZE_MAX - *total - 8) / size)
        return false;
    *total += (n * size + 7) & ~(size_t)7;
    return true;
}

/* Parse one fact to every type the policy reads it as. */
static void parse_fact(const program *p, uint32_t s, pfact *x, dstr *items, uint32_t cap,
                       uint32_t *used)
{
    uint8_t types = p->slots[s].types & (uint8_t)~(1u << VT_STRING);
    value v;
    x->ok = 1u << VT_STRING;
    for (int ty = VT_INT; types >> ty; ty++) {
        if (!(types & (1u << ty)) || ty >= VT_COUNT)
            continue;
        if (ty == VT_SET) {
            uint32_t n;
            if (set_parse(x->raw.p, x->raw.len, items + *used, cap - *used, &n)) {
                x->set = (vset){ items + *used, n };
                *used += n;
                x->ok |= 1u << VT_SET;
            }
            continue;
        }
        if (!value_parse((vtype)ty, x->raw.p, x->raw.len, &v))
            continue;
        x->ok |= (uint8_t)(1u << ty);
        switch (ty) {
        case VT_INT: x->i = v.as.i; break;
        case VT_HEX: x->u = v.as.u; break;
        case VT_BOOL: x->b = v.as.b; break;
        case VT_SEMVER: x->v = v.as.v; break;
        default: break;
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
    uint32_t used = 0;
    for (uint32_t k = 0; k < p->ntmpls; k++) {
        const prep_tmpl *pt = &pol->prep_tmpls[k];
        pmatch *pm = &d->pm[k];
        *pm = (pmatch){ PM_LIVE, 0, pt->slot, 0 };
        if (!pt->prematch || !d->slots[pt->slot].present)
            continue;
        const tmpl *t = &p->tmpls[k];
        const tpart *parts = &p->tparts[t->first];
        for (uint32_t j = 0; j < t->n; j++)
            if (parts[j].kind == TP_DECL)
                R[parts[j].reg].type = VT_NONE;
        const pfact *x = &d->slots[pt->slot];
        pm->result = (int8_t)vm_prematch(p, t, x->raw.p, x->raw.len, R);
        pm->first = used;
        /* the registers it wrote, matched or not (a failed match may have
         * bound its first placeholders): a check writes the same */
        for (uint32_t j = 0; j < t->n; j++) {
            if (parts[j].kind != TP_DECL || R[parts[j].reg].type == VT_NONE)
                continue;
            d->binds[used++] = (pbind){ parts[j].reg, R[parts[j].reg] };
            pm->nbinds++;
            R[parts[j].reg].type = VT_NONE;
        }
    }
}

/* Run SELF on these facts as a target would, once, and keep its outcome and
 * its variables' values for every check (result.c): into regs (in_order)
 * or binds, and *fail. */
static void run_self(const dc_policy *pol, dc_prepared *d, value *R, value *regs, pbind *binds,
                     vm_fail *fail)
{
    const program *p = &pol->prog;
    const pblock *self = &p->blocks[0];
    const var *vars = &p->vars[self->first_var];
    /* its variables are cleared for a SELF that fails before binding them */
    for (uint32_t k = 0; k < self->nvars; k++)
        if (vars[k].reg < p->nregs)
            R[vars[k].reg] = (value){ 0 };
    dc_result r;
    memset(&r, 0, sizeof r);
    r.policy = pol;
    r.regs = R;
    r.nregs = p->nregs;
    memset(fail, 0, sizeof *fail);
    d->self_holds = vm_run_block(p, 0, d, d, &r, fail);
    for (uint32_t k = 0; k < self->nvars; k++) {
        value x = vars[k].reg < p->nregs ? R[vars[k].reg] : (value){ 0 };
        if (regs)
            regs[k] = x;
        else
            binds[k] = (pbind){ vars[k].reg, x };
    }
    d->self_regs = regs;
    d->self_binds = regs ? NULL : binds;
    d->self_fail = fail;
    d->self_ready = true;
}

/* found[s] = the fact of slot s, or NULL: one walk of the facts and the
 * slots, both sorted by name. */
static void find_slots(const dc_policy *pol, const dc_facts *facts, const fact **found)
{
    const fact *x = facts->items, *end = x + facts->n;
    for (uint32_t k = 0; k < pol->prog.nslots; k++) {
        const prep_slot *ps = &pol->slots_by_name[k];
        int c = 1;
        while (x < end && (c = facts_name_cmp(x->name, x->name_len, ps->name, ps->len)) < 0)
            x++;
        found[ps->slot] = c == 0 ? x : NULL;
    }
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
    const fact *small[64], **found = small;
    if (p->nslots > 64 && !(found = mem_array(a, p->nslots, sizeof *found)))
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    find_slots(pol, facts, found);
    /* sizes first: the whole device is one block */
    size_t text = 0, items = 0;
    for (uint32_t s = 0; s < p->nslots; s++)
        if (found[s]) {
            text += found[s]->value_len + 1;
            if (p->slots[s].types & (1u << VT_SET))
                items += set_count(found[s]->value, found[s]->value_len);
        }
    bool self = pol->self_alone, in_order = pol->self_in_order;
    size_t nself = self ? p->blocks[0].nvars : 0;
    /* the layout: first what a check reads of a target (the header, SELF's
     * values, the text they point into), then what it reads of a source */
    size_t total = 0, off_sregs, off_slots, off_pm, off_binds, off_sbinds, off_fail, off_items,
           off_text;
    bool ok = add_size(&total, 1, sizeof(dc_prepared));
    off_sregs = total;
    ok = ok && add_size(&total, in_order ? nself : 0, sizeof(value));
    off_text = total;
    ok = ok && add_size(&total, text, 1);
    off_slots = total;
    ok = ok && add_size(&total, p->nslots, sizeof(pfact));
    off_pm = total;
    ok = ok && add_size(&total, p->ntmpls, sizeof(pmatch));
    off_binds = total;
    ok = ok && add_size(&total, pol->prep_binds, sizeof(pbind));
    off_sbinds = total;
    ok = ok && add_size(&total, in_order ? 0 : nself, sizeof(pbind));
    off_fail = total;
    ok = ok && add_size(&total, self ? 1 : 0, sizeof(vm_fail));
    off_items = total;
    ok = ok && add_size(&total, items, sizeof(dstr));
    char *block = ok ? mem_alloc(a, total) : NULL;
    scratch_regs sr;    /* not cleared: only registers written are read */
    if (!block || !regs_get(a, p, &sr)) {
        mem_free(a, block);
        if (found != small)
            mem_free(a, found);
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    dc_prepared *d = (dc_prepared *)block;
    memset(d, 0, sizeof *d);
    d->alloc = a;
    d->policy = pol;
    d->nslots = p->nslots;
    d->slots = (pfact *)(block + off_slots);
    d->pm = p->ntmpls ? (pmatch *)(block + off_pm) : NULL;
    d->npm = p->ntmpls;
    d->binds = (pbind *)(block + off_binds);
    d->items = (dstr *)(block + off_items);
    d->text = block + off_text;
    memset(d->slots, 0, p->nslots * sizeof *d->slots);
    char *t = d->text;
    uint32_t used = 0;
    for (uint32_t s = 0; s < p->nslots; s++) {
        pfact *x = &d->slots[s];
        const fact *fa = found[s];
        if (!fa)
            continue;
        memcpy(t, fa->value, fa->value_len + 1);
        x->present = true;
        x->raw = (dstr){ t, fa->value_len };
        t += fa->value_len + 1;
        parse_fact(p, s, x, d->items, (uint32_t)items, &used);
    }
    if (found != small)
        mem_free(a, found);
    if (p->ntmpls)
        prematch(pol, d, sr.R);
    if (self)
        run_self(pol, d, sr.R, in_order ? (value *)(block + off_sregs) : NULL,
                 (pbind *)(block + off_sbinds), (vm_fail *)(block + off_fail));
    regs_put(a, &sr);
    *out = d;
    return DC_OK;
}

void dc_prepared_free(dc_prepared *d)
{
    if (d)
        mem_free(d->alloc, d);
}
