/* prepare.c -- facts prepared for one policy: names resolved to slots once,
 * values parsed once to every type the policy reads them as (SPEC 3). */
#include <string.h>

#include "facts.h"
#include "limits.h"
#include "vm.h"

dc_status dc_prepare(const dc_policy *pol, const dc_facts *facts, dc_prepared **out,
                     dc_error *err)
{
    if (out)
        *out = NULL;
    if (!pol || !facts || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_prepare: invalid argument");
    const program *p = &pol->prog;
    const dc_alloc *a = pol->alloc;
    dc_prepared *d = mem_zalloc(a, sizeof *d);
    if (!d)
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    d->alloc = a;
    d->policy = pol;
    d->nslots = p->nslots;
    d->slots = mem_array(a, p->nslots ? p->nslots : 1, sizeof *d->slots);
    /* sizes first: one buffer for the text, one for set items */
    size_t text = 0, items = 0;
    const fact **found = mem_array(a, p->nslots ? p->nslots : 1, sizeof *found);
    if (!found || !d->slots) {
        mem_free(a, found);
        dc_prepared_free(d);
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    for (uint32_t s = 0; s < p->nslots; s++) {
        dstr name = prog_str(p, p->slots[s].name);
        found[s] = facts_find(facts, name.p, name.len);
        if (found[s]) {
            text += found[s]->value_len + 1;
            if (p->slots[s].types & (1u << VT_SET))
                items += set_count(found[s]->value, found[s]->value_len);
        }
    }
    d->text = mem_alloc(a, text ? text : 1);
    d->items = mem_array(a, items ? items : 1, sizeof *d->items);
    if (!d->text || !d->items) {
        mem_free(a, found);
        dc_prepared_free(d);
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    memset(d->slots, 0, (p->nslots ? p->nslots : 1) * sizeof *d->slots);
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
        uint8_t types = p->slots[s].types | (1u << VT_STRING);
        value v;
        for (int ty = VT_INT; ty < VT_COUNT; ty++) {
            if (!(types & (1u << ty)))
                continue;
            if (ty == VT_SET) {
                uint32_t n;
                if (set_parse(x->raw.p, x->raw.len, d->items + used, (uint32_t)(items - used),
                              &n)) {
                    x->set = (vset){ d->items + used, n };
                    used += n;
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
    mem_free(a, found);
    *out = d;
    return DC_OK;
}

void dc_prepared_free(dc_prepared *d)
{
    if (!d)
        return;
    const dc_alloc *a = d->alloc;
    mem_free(a, d->slots);
    mem_free(a, d->text);
    mem_free(a, d->items);
    mem_free(a, d);
}
