/* ast.h -- the syntax tree of a policy (docs/language.md), as the parser builds it and
 * the checker annotates it.  All nodes and strings live in one arena owned
 * by the ast_policy. */
#ifndef DC_AST_H
#define DC_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "value.h"

/* A span of source: byte offsets [start, end) into the policy text. */
typedef struct span {
    uint32_t start, end;
} span;

typedef enum ex_kind {
    EX_INT,    /* ival */
    EX_STR,    /* str: the unescaped string */
    EX_BOOL,   /* ival 0/1 */
    EX_NAME,   /* str: a variable, or self.F / source.F (resolved by the checker) */
    EX_UNARY,  /* op, a */
    EX_BINARY, /* op, a, b */
    EX_CALL,   /* str: function name; args */
    EX_QUANT   /* all/any (the checker turns such an EX_CALL into one): args
                       the list (self.X or source.X), the record's name, the
                       condition; ival 1 for any; index the record set */
} ex_kind;

/* Operators of expressions (op of EX_UNARY / EX_BINARY). */
typedef enum ex_op {
    OP_NEG,
    OP_NOT,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_ADD,
    OP_SUB,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_EQ,
    OP_NE,
    OP_AND,
    OP_OR
} ex_op;

/* What an EX_NAME refers to, filled by the checker. */
typedef enum ref_kind {
    REF_NONE,
    REF_VAR,
    REF_SELF_FIELD,
    REF_SOURCE_FIELD,
    REF_SELF_RECORD,
    REF_SOURCE_RECORD /* r.F in all/any: index the record field,
                                           ival the loop's level */
} ref_kind;

typedef struct ast_expr ast_expr;
struct ast_expr {
    ex_kind kind;
    span loc;
    ex_op op;
    int64_t ival;
    const char *str;
    uint32_t len;
    ast_expr *a, *b;
    ast_expr **args;
    uint32_t nargs;
    uint32_t depth;     /* operator levels: 0 for a leaf */
    bool min_magnitude; /* EX_INT 2^63, valid only under a unary minus */
    /* filled by the checker */
    vtype type;
    ref_kind ref;
    uint32_t index; /* variable index or slot */
    int builtin;    /* function id for EX_CALL */
    bool is_const;  /* no variable or field in it */
};

/* One part of a template: literal text, or a placeholder. */
typedef struct ast_part {
    bool is_placeholder;
    span loc;         /* literal text, or the whole {...} */
    const char *text; /* literal text (NUL-terminated), when !is_placeholder */
    uint32_t len;
    /* placeholder */
    bool is_decl;
    const char *name; /* declaration: variable name */
    span name_loc;
    vtype type; /* declaration: its type */
    span type_loc;
    const char *constraint; /* declaration: raw constraint text, or NULL */
    uint32_t constraint_len;
    span constraint_loc;
    ast_expr *expr;    /* reference or expression placeholder */
    uint32_t var;      /* checker: variable index of a declaration */
    struct chk_ct *ct; /* checker: the parsed constraint, or NULL */
} ast_part;

typedef enum val_kind {
    VAL_EMPTY,    /* "" */
    VAL_QUOTED,   /* "text": str */
    VAL_TEMPLATE, /* parts; a literal is one part with no placeholder */
    VAL_EXPR      /* arithmetic: expr */
} val_kind;

typedef struct ast_value {
    val_kind kind;
    span loc;
    const char *str; /* VAL_QUOTED: unescaped text */
    uint32_t len;
    ast_part *parts;
    uint32_t nparts;
    ast_expr *expr;
} ast_value;

typedef enum rule_op { RO_EQ, RO_NE, RO_LT, RO_LE, RO_GT, RO_GE } rule_op;

typedef struct ast_rule {
    bool is_where;
    span loc; /* the whole rule */
    uint32_t line;
    const char *field; /* NULL for where */
    uint32_t field_len;
    span field_loc;
    rule_op op;
    span op_loc;
    ast_value value;
    ast_expr *where;
    uint32_t slot; /* checker: slot of the field */
} ast_rule;

typedef enum block_kind { BK_POLICY, BK_SELF, BK_COMPATIBLE } block_kind;

typedef struct ast_block {
    block_kind kind;
    span loc; /* the header */
    uint32_t line;
    const char *name;    /* COMPATIBLE name, or NULL */
    bool broken;         /* its header had a syntax error: not checked */
    bool too_many_rules; /* rules past DC_MAX_RULES were dropped */
    ast_rule *rules;
    uint32_t nrules, cap;
} ast_block;

typedef struct ast_policy {
    arena ar;
    const char *file;
    const char *text; /* the source (not owned) */
    uint32_t len;
    ast_block *blocks;
    uint32_t nblocks, cap;
    /* names declared by values that failed to parse: using them is not
     * reported again as "undeclared" */
    const char **poisoned;
    uint32_t npoisoned, cap_poisoned;
    bool syntax_errors;   /* the parser reported errors */
    bool too_many_blocks; /* blocks past DC_MAX_BLOCKS were dropped */
} ast_policy;

const char *ex_op_str(ex_op op);
const char *rule_op_str(rule_op op);

#endif
