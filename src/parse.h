/* parse.h -- policy text to syntax tree: the lexer (grammar/lexer.re), the
 * grammar (grammar/parser.y) and the glue between them (src/parse.c). */
#ifndef DC_PARSE_H
#define DC_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"

/* Lexer modes: a line's head, the raw value after a rule operator, an
 * expression (after `where`, or inside a value). */
enum { LM_LINE, LM_VALUE, LM_EXPR };

typedef struct parser {
    ast_policy *ast;
    dc_diags *diags;
    /* lexer: [buf, lim) is a NUL-terminated copy of the text being lexed,
     * whose first byte is at offset `base` of the policy text */
    const char *buf, *cur, *lim, *tok;
    uint32_t base;
    int mode;
    int start_token;         /* returned once, first: selects the grammar */
    uint32_t nest;           /* open ( and { in an expression */
    uint32_t error_line_end; /* a lexical error was reported up to this offset */
    bool oom;
    /* the grammar's state */
    ast_block *block; /* the current block, or NULL before the first header */
    ast_expr *expr;   /* result of an expression parse */
    bool syntax_error;
    const char *eof_name; /* what the end of the text is called in messages */
} parser;

/* Parse the whole policy text (ast->text, ast->len).  Every syntax error
 * goes to diags.  Returns false only when memory ran out. */
bool parse_policy(ast_policy *ast, dc_diags *diags);

/* Parse [start, end) of the policy text as one expression; `what` names its
 * end in messages ("end of the placeholder"). */
ast_expr *parse_expr_at(parser *p, uint32_t start, uint32_t end, const char *what);
/* A header line with a syntax error: open a block that is not checked, so
 * its rules do not land in the previous block. */
void parse_broken_header(parser *p, uint32_t at);

/* Glue called by the grammar's actions. */
struct YYLTYPE;
void parse_header(parser *p, block_kind kind, span at, span name);
void parse_rule(parser *p, span field, rule_op op, span op_loc, span val);
void parse_where(parser *p, span kw, ast_expr *e);
ast_expr *parse_node(parser *p, ex_kind kind, span at);
ast_expr *parse_unary(parser *p, ex_op op, span at, ast_expr *a);
ast_expr *parse_binary(parser *p, ex_op op, ast_expr *a, ast_expr *b);
ast_expr *parse_string(parser *p, span at);
ast_expr *parse_int_literal(parser *p, span at);
ast_expr *parse_call(parser *p, span name, span at, ast_expr **args, uint32_t nargs);
void parse_error(parser *p, span at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The lexer. */
union YYSTYPE;
int lex_next(parser *p, union YYSTYPE *val, span *loc);

#endif
