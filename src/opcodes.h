/* opcodes.h -- the instruction set: opcodes, the instruction layout, the
 * tables opcodes.def generates, and the builtin functions of expressions
 * (builtins.def), which compile to instructions.  What lopcodes.h is to
 * Lua: it knows nothing of programs, the compiler or the VM. */
#ifndef DC_OPCODES_H
#define DC_OPCODES_H

#include <stdbool.h>
#include <stdint.h>

#include "value.h"

enum opcode {
#define OP(name, operands, types, doc) I_##name,
#include "opcodes.def"
#undef OP
    I__COUNT,
    I__SUPER = I__COUNT - 1, /* the superinstructions follow */
#define OP(name, operands, types, doc)
#define SUPER(name, operands, doc) I_##name,
#include "opcodes.def"
#undef SUPER
#undef OP
    I__ALL
};

typedef struct insn {
    uint8_t op;
    uint8_t t;
    uint16_t a, b, c;
} insn;

#define SIDE_SOURCE 0x80 /* t bit: the operand slot is the source's */
#define TYPE_MASK   0x0f /* t bits: a vtype */

/* Comparison codes of FCMP (t >> 4) and of the reasons. */
enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

/* From opcodes.def, for the bytecode's instructions: the name, the role of
 * each operand (3 letters), the types (3 letters and the t byte's). */
extern const char *const op_names[I__COUNT];
extern const char *const op_operands[I__COUNT];
extern const char *const op_types[I__COUNT];

/* Every operand role of every instruction, superinstructions included. */
extern const char *const op_roles[I__ALL];

/* What the `t` byte of an instruction holds (op_types[op][3]):
 *   TF_SIDE  bit 7 picks the source's facts (instructions with a slot operand)
 *   TF_TYPE  bits 0-3 are a vtype
 *   TF_CMP   bits 4-6 are a CMP_* code
 *   TF_LOOP  bit 0: the loop is any (else all); bit 1: its level (0, 1)
 * Every other bit must be zero. */
enum { TF_SIDE = 1, TF_TYPE = 2, TF_CMP = 4, TF_LOOP = 8 };
#define LOOP_ANY   0x01 /* t bit of EACH, AGAIN */
#define LOOP_LEVEL 0x02
#define LOOP_DEPTH 2 /* loops nest at most this deep */
unsigned op_tfields(unsigned op);

/* Is role letter r a register (read or written)? */
static inline bool role_is_reg(char r)
{
    return r == 'R' || r == 'W' || r == 'V';
}

/* The operand (0..2: a, b, c) of instruction op with role r, or -1. */
int op_find(unsigned op, char r);

/* The types (bits 1 << vtype) a type letter of op_types accepts when read
 * (`=`, `t`, `k` and `q` depend on the instruction: 0 here). */
unsigned op_class_mask(char cls);

/* The one type a type letter names when written (i s v b e), else VT_NONE. */
vtype op_class_type(char cls);

/* Builtin functions (builtins.def). */
typedef enum builtin {
#define BUILTIN(id, name, op, type, want) BI_##id,
#include "builtins.def"
#undef BUILTIN
    BI__COUNT
} builtin;

typedef struct builtin_info {
    const char *name;
    uint8_t op;       /* the instruction it compiles to */
    uint8_t type;     /* the type it converts to (CONV), else VT_NONE */
    const char *want; /* its arguments, for type errors */
} builtin_info;

extern const builtin_info builtins[BI__COUNT];

/* The number of arguments builtin b takes: its instruction's R and S
 * operands. */
unsigned builtin_nargs(builtin b);

/* The builtin that compiles to instruction op (CONV aside), or -1. */
int builtin_of_op(unsigned op);

#endif
