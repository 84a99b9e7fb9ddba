/* policy.c -- build a dc_policy around a program, whether compile.c built
 * it or cbc_read.c loaded and verified it: the program's derived tables
 * (program_link), what the VM runs (vm_link), the strings the API hands out
 * and the prepare plan (prepare.c); the policy's accessors and its end.
 * It knows nothing of the compiler or of the .cbc format. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "facts.h"
#include "policy.h"
#include "vm.h"

/* ------------------------------------------------------------ programs */

bool program_link(program *p)
{
    const dc_alloc *a = p->alloc;
    mem_free(a, p->consts);
    mem_free(a, p->strs);
    mem_free(a, p->cmps);
    p->consts = mem_array(a, p->nconsts ? p->nconsts : 1, sizeof *p->consts);
    p->strs = mem_array(a, p->nstrs ? p->nstrs : 1, sizeof *p->strs);
    p->cmps = mem_array(a, p->ncmps ? p->ncmps : 1, sizeof *p->cmps);
    if (!p->consts || !p->strs || !p->cmps)
        return false;
    for (uint32_t i = 0; i < p->nconsts; i++) {
        const kconst *k = &p->kconsts[i];
        value *v = &p->consts[i];
        memset(v, 0, sizeof *v);
        v->type = k->type;
        switch (k->type) {
        case VT_INT: v->as.i = k->i; break;
        case VT_HEX: v->as.u = (uint64_t)k->i; break;
        case VT_BOOL: v->as.b = k->i != 0; break;
        case VT_STRING: v->as.s = prog_str(p, k->s); break;
        case VT_SEMVER:
            v->as.v.major = k->major;
            v->as.v.minor = k->minor;
            v->as.v.patch = k->patch;
            v->as.v.pre = prog_str(p, k->s);
            break;
        default: break;
        }
    }
    for (uint32_t i = 0; i < p->nstrs; i++)
        p->strs[i] = prog_str(p, p->strrefs[i]);
    for (uint32_t i = 0; i < p->ncmps; i++) {
        const kcmp *k = &p->kcmps[i];
        p->cmps[i].op = k->op;
        p->cmps[i].v = (semver){ k->major, k->minor, k->patch, prog_str(p, k->pre) };
    }
    return true;
}

void program_free(program *p)
{
    const dc_alloc *a = p->alloc;
    void *arrays[] = { p->pool,   p->kconsts, p->strrefs, p->kcmps,   p->ranges,
                       p->consts, p->strs,    p->cmps,    p->svsets,  p->ctables,
                       p->tparts, p->tmpls,   p->slots,   p->vars,    p->rules,
                       p->blocks, p->code,    p->xcode,   p->recsets, p->recfields };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        mem_free(a, arrays[i]);
    memset(p, 0, sizeof *p);
    p->alloc = a;
}

/* ------------------------------------------------------------ policies */

static char *dup_pref(const program *p, pref r)
{
    return mem_strndup(p->alloc, p->pool + r.off, r.len);
}

dc_status policy_finish(dc_policy *pol, dc_error *err)
{
    program *p = &pol->prog;
    if (!program_link(p) || !vm_link(p))
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    pol->name = dup_pref(p, p->name);
    pol->file = dup_pref(p, p->file);
    size_t nnames = p->nblocks ? p->nblocks : 1;
    if (nnames <= SIZE_MAX / sizeof(char *))
        pol->block_names = mem_zalloc(p->alloc, nnames * sizeof(char *));
    if (!pol->name || !pol->file || !pol->block_names)
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < p->nblocks; i++)
        if (p->blocks[i].name.len) {
            pol->block_names[i] = dup_pref(p, p->blocks[i].name);
            if (!pol->block_names[i])
                return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
        }
    if (!prepare_plan(pol))
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    return DC_OK;
}

const char *dc_policy_name(const dc_policy *pol)
{
    return pol ? pol->name : NULL;
}
const char *dc_policy_file(const dc_policy *pol)
{
    return pol ? pol->file : NULL;
}

size_t dc_policy_block_count(const dc_policy *pol)
{
    return pol && pol->prog.nblocks ? pol->prog.nblocks - 1 : 0;
}

const char *dc_policy_block_name(const dc_policy *pol, size_t block)
{
    if (!pol || block + 1 >= pol->prog.nblocks)
        return NULL;
    return pol->block_names[block + 1];
}

void dc_policy_free(dc_policy *pol)
{
    if (!pol)
        return;
    const dc_alloc *a = pol->alloc;
    if (pol->block_names)
        for (uint32_t i = 0; i < pol->prog.nblocks; i++)
            mem_free(a, pol->block_names[i]);
    mem_free(a, pol->block_names);
    mem_free(a, pol->name);
    mem_free(a, pol->file);
    mem_free(a, pol->slots_by_name);
    program_free(&pol->prog);
    mem_free(a, pol);
}
