/* program.c -- the instruction set's tables (opcodes.def, builtins.def) and
 * what is derived from them.  It knows nothing of programs, the compiler or
 * the VM: what lopcodes.c is to Lua. */
#include <string.h>

#include "opcodes.h"

const char *const op_names[I__COUNT] = {
#define OP(name, operands, types, doc) #name,
#include "opcodes.def"
#undef OP
};

const char *const op_operands[I__COUNT] = {
#define OP(name, operands, types, doc) operands,
#include "opcodes.def"
#undef OP
};

const char *const op_types[I__COUNT] = {
#define OP(name, operands, types, doc) types,
#include "opcodes.def"
#undef OP
};

const char *const op_roles[I__ALL] = {
#define OP(name, operands, types, doc) [I_##name] = operands,
#define SUPER(name, operands, doc)     [I_##name] = operands,
#include "opcodes.def"
#undef SUPER
#undef OP
};

const builtin_info builtins[BI__COUNT] = {
#define BUILTIN(id, name, op, type, want) [BI_##id] = { name, op, type, want },
#include "builtins.def"
#undef BUILTIN
};

unsigned op_tfields(unsigned op)
{
    if (op >= I__COUNT)
        return 0;
    unsigned f =
        op_find(op, 'S') >= 0 || op_find(op, 'X') >= 0 || op_find(op, 'C') >= 0 ? TF_SIDE : 0;
    switch (op_types[op][3]) {
    case 'l': return f | TF_LOOP;
    case 'c': return f | TF_TYPE | TF_CMP;
    case 'y': return f | TF_TYPE;
    default: return f;
    }
}

int op_find(unsigned op, char r)
{
    if (op >= I__ALL)
        return -1;
    const char *at = strchr(op_roles[op], r);
    return at && r ? (int)(at - op_roles[op]) : -1;
}

#define M(t) (1u << (t))

unsigned op_class_mask(char cls)
{
    switch (cls) {
    case 'n': return M(VT_INT) | M(VT_HEX);
    case 'i': return M(VT_INT);
    case 's': return M(VT_STRING);
    case 'v': return M(VT_SEMVER);
    case 'b': return M(VT_BOOL);
    case 'e': return M(VT_SET);
    case 'l': return M(VT_STRING) | M(VT_SET);
    case 'o': return M(VT_INT) | M(VT_HEX) | M(VT_SEMVER);
    case 'a':
        return M(VT_INT) | M(VT_HEX) | M(VT_STRING) | M(VT_SEMVER) | M(VT_BOOL) | M(VT_SET);
    default: return 0;
    }
}

vtype op_class_type(char cls)
{
    switch (cls) {
    case 'i': return VT_INT;
    case 's': return VT_STRING;
    case 'v': return VT_SEMVER;
    case 'b': return VT_BOOL;
    case 'e': return VT_SET;
    default: return VT_NONE;
    }
}

unsigned builtin_nargs(builtin b)
{
    unsigned n = 0;
    for (const char *r = op_operands[builtins[b].op]; *r; r++)
        n += *r == 'R' || *r == 'S';
    return n;
}

int builtin_of_op(unsigned op)
{
    for (int b = 0; b < BI__COUNT; b++)
        if (builtins[b].op == op && op != I_CONV)
            return b;
    return -1;
}
