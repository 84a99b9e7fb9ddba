/* program.c -- the opcode tables and a program's lifetime. */
#include <string.h>

#include "alloc.h"
#include "vm.h"

const char *const op_names[I__COUNT] = {
#define OP(name, operands, doc) #name,
#include "opcodes.def"
#undef OP
};

const char *const op_operands[I__COUNT] = {
#define OP(name, operands, doc) operands,
#include "opcodes.def"
#undef OP
};

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
    return vm_link(p);
}

void program_free(program *p)
{
    const dc_alloc *a = p->alloc;
    void *arrays[] = { p->pool, p->kconsts, p->strrefs, p->kcmps, p->ranges, p->consts,
                       p->strs, p->cmps, p->svsets, p->ctables, p->tparts, p->tmpls,
                       p->slots, p->vars, p->rules, p->blocks, p->code, p->xcode };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        mem_free(a, arrays[i]);
    memset(p, 0, sizeof *p);
    p->alloc = a;
}
