/* ast.c -- names of the syntax tree's operators. */
#include "ast.h"

const char *ex_op_str(ex_op op)
{
    static const char *const names[] = {
        [OP_NEG] = "-", [OP_NOT] = "!", [OP_MUL] = "*", [OP_DIV] = "/",  [OP_MOD] = "%",
        [OP_ADD] = "+", [OP_SUB] = "-", [OP_LT] = "<",  [OP_LE] = "<=",  [OP_GT] = ">",
        [OP_GE] = ">=", [OP_EQ] = "==", [OP_NE] = "!=", [OP_AND] = "&&", [OP_OR] = "||",
    };
    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

const char *rule_op_str(rule_op op)
{
    static const char *const names[] = {
        [RO_EQ] = "=",  [RO_NE] = "!=", [RO_LT] = "<",
        [RO_LE] = "<=", [RO_GT] = ">",  [RO_GE] = ">=",
    };
    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}
