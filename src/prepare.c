/* prepare.c -- facts prepared for one policy: names resolved to slots once,
 * values parsed once to every type the policy reads them as, templates
 * that depend on their fact alone matched once, and SELF run once (SPEC 3).
 * A prepared device is one allocation. */
#include <string.h>

#include "facts.h"
#include "limits.h"
#include "vm.h"

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
    uint8_t types = p->slots[s].types | (1u << VT_STRING);
    value v;
    for (int ty = VT_INT; ty < VT_COUNT; ty++) {
        if (!(types & (1u << ty)))
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
        if (ty == VT_STRING) {
            x->ok |= 1u << VT_STRING;
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

/* The number of bindings pre-matched templates may need. */
static size_t prematch_binds(const program *p)
{
    size_t n = 0;
    for (uint32_t k = 0; k < p->ntmpls; k++)
        if (vm_prematchable(p, &p->tmpls[k]))
            for (uint32_t j = 0; j < p->tmpls[k].n; j++)
                n += p->tparts[p->tmpls[k].first + j].kind == TP_DECL;
    return n;
}

/* Match every template that depends on its fact only (vm_prematchable)
 * against this device's fact, once: checks copy the outcome and the
 * registers it wrote (result.c, vm.c). */
static void prematch(const program *p, dc_prepared *d, value *R)
{
    for (uint32_t k = 0; k < p->ntmpls; k++)
        d->pm[k] = (pmatch){ PM_LIVE, 0, UINT16_MAX, 0 };
    /* the slot each template is matched on */
    for (uint32_t pc = 0; pc < p->ncode; pc++) {
        const insn *i = &p->code[pc];
        if ((i->op == I_MATCH || i->op == I_NMATCH) && i->b < p->ntmpls && i->a < p->nslots)
            d->pm[i->b].slot = i->a;
    }
    uint32_t used = 0;
    for (uint32_t k = 0; k < p->ntmpls; k++) {
        const tmpl *t = &p->tmpls[k];
        pmatch *pm = &d->pm[k];
        if (pm->slot >= p->nslots || !d->slots[pm->slot].present || !vm_prematchable(p, t))
            continue;
        bool regs_ok = true;
        for (uint32_t j = 0; j < t->n; j++) {
            const tpart *tp = &p->tparts[t->first + j];
            if (tp->kind != TP_DECL)
                continue;
            if (tp->reg < p->nregs)
                R[tp->reg].type = VT_NONE;
            else
                regs_ok = false;
        }
        if (!regs_ok)
            continue;
        const pfact *x = &d->slots[pm->slot];
        pm->result = (int8_t)vm_prematch(p, t, x->raw.p, x->raw.len, R);
        pm->first = used;
        /* the registers it wrote, matched or not (a failed match may have
         * bound its first placeholders): a check writes the same */
        for (uint32_t j = 0; j < t->n; j++) {
            const tpart *tp = &p->tparts[t->first + j];
            if (tp->kind != TP_DECL || R[tp->reg].type == VT_NONE)
                continue;
            d->binds[used++] = (pbind){ tp->reg, R[tp->reg] };
            pm->nbinds++;
            R[tp->reg].type = VT_NONE;
        }
    }
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

/* Run SELF on these facts as a target would, once, and keep its outcome and
 * its variables' values for every check (result.c): into regs (in_order)
 * or binds, and *fail. */
static void run_self(const dc_policy *pol, dc_prepared *d, value *R, value *regs, pbind *binds,
                     vm_fail *fail)
{
    const program *p = &pol->prog;
    const pblock *self = &p->blocks[0];
    /* its variables are cleared for a SELF that fails before binding them */
    for (uint32_t k = 0; k < self->nvars; k++)
        if (p->vars[self->first_var + k].reg < p->nregs)
            R[p->vars[self->first_var + k].reg] = (value){ 0 };
    dc_result r;
    memset(&r, 0, sizeof r);
    r.policy = pol;
    r.regs = R;
    r.nregs = p->nregs;
    memset(fail, 0, sizeof *fail);
    d->self_holds = vm_run_block(p, 0, d, d, &r, fail);
    for (uint32_t k = 0; k < self->nvars; k++) {
        const var *v = &p->vars[self->first_var + k];
        value x = v->reg < p->nregs ? R[v->reg] : (value){ 0 };
        if (regs)
            regs[k] = x;
        else
            binds[k] = (pbind){ v->reg, x };
    }
    d->self_regs = regs;
    d->self_binds = regs ? NULL : binds;
    d->self_fail = fail;
    d->self_ready = true;
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
    /* sizes first: the whole device is one block */
    size_t text = 0, items = 0;
    for (uint32_t s = 0; s < p->nslots; s++) {
        dstr name = prog_str(p, p->slots[s].name);
        found[s] = facts_find(facts, name.p, name.len);
        if (found[s]) {
            text += found[s]->value_len + 1;
            if (p->slots[s].types & (1u << VT_SET))
                items += set_count(found[s]->value, found[s]->value_len);
        }
    }
    bool self = self_alone(p), in_order = self && self_in_order(p);
    size_t nself = self ? p->blocks[0].nvars : 0, nbinds = prematch_binds(p);
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
    ok = ok && add_size(&total, nbinds, sizeof(pbind));
    off_sbinds = total;
    ok = ok && add_size(&total, in_order ? 0 : nself, sizeof(pbind));
    off_fail = total;
    ok = ok && add_size(&total, self ? 1 : 0, sizeof(vm_fail));
    off_items = total;
    ok = ok && add_size(&total, items, sizeof(dstr));
    char *block = ok ? mem_alloc(a, total) : NULL;
    scratch_regs sr;    /* not cleared: 3 KiB, and only registers written are read */
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
        memcpy(t, fa->value, fa->value_len);
        t[fa->value_len] = '\0';
        x->present = true;
        x->raw = (dstr){ t, fa->value_len };
        t += fa->value_len + 1;
        parse_fact(p, s, x, d->items, (uint32_t)items, &used);
    }
    if (found != small)
        mem_free(a, found);
    if (p->ntmpls)
        prematch(p, d, sr.R);
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
