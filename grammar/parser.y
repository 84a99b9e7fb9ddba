/* parser.y -- the grammar of policy files (docs/language.md).
 *
 * One parser, two entry points selected by the first token the lexer hands
 * out: START_FILE parses a whole policy (blocks and rule lines), START_EXPR
 * one expression (a `{...}` placeholder or an arithmetic value, parsed after
 * the value's text has been classified by src/parse.c).
 *
 * Values after a rule operator are not tokenised here: the lexer returns the
 * raw text as one VALUE token, since a template such as i915-GVTg_V5_{n:int}
 * is literal text around placeholders (docs/language.md, section 4).
 */
%define api.pure full
%define api.location.type {span}
%define parse.error custom
%locations
%expect 0
%param {parser *p}

%code requires {
#include "ast.h"
typedef struct parser parser;
typedef struct exlist { ast_expr **v; uint32_t n, cap; } exlist;
}

%code provides {
int yyparse(parser *p);
}

%code {
#include <stdio.h>
#include <string.h>
#include "parse.h"
#include "limits.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                         \
    do {                                                    \
        if (N) {                                            \
            (Cur).start = YYRHSLOC(Rhs, 1).start;           \
            (Cur).end = YYRHSLOC(Rhs, N).end;               \
        } else {                                            \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end; \
        }                                                   \
    } while (0)

static void yyerror(span *loc, parser *p, const char *msg);

static int yylex(YYSTYPE *val, span *loc, parser *p)
{
    return lex_next(p, val, loc);
}

static exlist exlist_push(parser *p, exlist l, ast_expr *e)
{
    if (l.n == l.cap) {
        uint32_t cap = l.cap ? l.cap * 2 : 4;
        ast_expr **v = arena_alloc(&p->ast->ar, cap * sizeof *v);
        if (!v) {
            p->oom = true;
            return l;
        }
        if (l.n)
            memcpy(v, l.v, l.n * sizeof *v);
        l.v = v;
        l.cap = cap;
    }
    l.v[l.n++] = e;
    return l;
}
}

%union {
    span sp;
    int op;
    ast_expr *expr;
    exlist list;
}

%token START_FILE START_EXPR
%token NEWLINE "end of line"
%token KW_POLICY "POLICY"
%token KW_SELF "SELF"
%token KW_COMPATIBLE "COMPATIBLE"
%token KW_WHERE "where"
%token <sp> NAME "name"
%token <sp> VALUE "value"
%token <sp> INT "integer"
%token <sp> STRING "string"
%token KW_TRUE "true"
%token KW_FALSE "false"
%token ASSIGN "="
%token EQ "=="
%token NE "!="
%token LT "<"
%token LE "<="
%token GT ">"
%token GE ">="
%token AND "&&"
%token OR "||"
%token LEXERROR "invalid token"

%type <op> rule_op
%type <expr> expr primary
%type <list> args

%left OR
%left AND
%left EQ NE
%left LT LE GT GE
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY

%%

start
    : START_FILE lines
    | START_EXPR expr               { p->expr = $2; }
    ;

lines
    : %empty
    | lines line
    ;

line
    : NEWLINE
    | header NEWLINE
    | rule NEWLINE
    | error NEWLINE                 { yyerrok; }
    ;

header
    : KW_POLICY ':'                 { parse_header(p, BK_POLICY, @$, (span){0, 0}); }
    | KW_SELF ':'                   { parse_header(p, BK_SELF, @$, (span){0, 0}); }
    | KW_COMPATIBLE ':'             { parse_header(p, BK_COMPATIBLE, @$, (span){0, 0}); }
    | KW_COMPATIBLE NAME ':'        { parse_header(p, BK_COMPATIBLE, @$, $2); }
    ;

rule
    : NAME rule_op VALUE            { parse_rule(p, $1, (rule_op)$2, @2, $3); }
    | KW_WHERE expr                 { parse_where(p, @1, $2); }
    ;

rule_op
    : ASSIGN    { $$ = RO_EQ; }
    | NE        { $$ = RO_NE; }
    | LT        { $$ = RO_LT; }
    | LE        { $$ = RO_LE; }
    | GT        { $$ = RO_GT; }
    | GE        { $$ = RO_GE; }
    ;

expr
    : primary
    | '-' expr %prec UNARY          { $$ = parse_unary(p, OP_NEG, @$, $2); }
    | '!' expr %prec UNARY          { $$ = parse_unary(p, OP_NOT, @$, $2); }
    | expr '*' expr                 { $$ = parse_binary(p, OP_MUL, $1, $3); }
    | expr '/' expr                 { $$ = parse_binary(p, OP_DIV, $1, $3); }
    | expr '%' expr                 { $$ = parse_binary(p, OP_MOD, $1, $3); }
    | expr '+' expr                 { $$ = parse_binary(p, OP_ADD, $1, $3); }
    | expr '-' expr                 { $$ = parse_binary(p, OP_SUB, $1, $3); }
    | expr LT expr                  { $$ = parse_binary(p, OP_LT, $1, $3); }
    | expr LE expr                  { $$ = parse_binary(p, OP_LE, $1, $3); }
    | expr GT expr                  { $$ = parse_binary(p, OP_GT, $1, $3); }
    | expr GE expr                  { $$ = parse_binary(p, OP_GE, $1, $3); }
    | expr EQ expr                  { $$ = parse_binary(p, OP_EQ, $1, $3); }
    | expr NE expr                  { $$ = parse_binary(p, OP_NE, $1, $3); }
    | expr AND expr                 { $$ = parse_binary(p, OP_AND, $1, $3); }
    | expr OR expr                  { $$ = parse_binary(p, OP_OR, $1, $3); }
    ;

primary
    : INT                           { $$ = parse_int_literal(p, $1); }
    | STRING                        { $$ = parse_string(p, $1); }
    | KW_TRUE                       { $$ = parse_node(p, EX_BOOL, @$); if ($$) $$->ival = 1; }
    | KW_FALSE                      { $$ = parse_node(p, EX_BOOL, @$); }
    | NAME                          { $$ = parse_node(p, EX_NAME, @$); }
    | NAME '(' ')'                  { $$ = parse_call(p, $1, @$, NULL, 0); }
    | NAME '(' args ')'             { $$ = parse_call(p, $1, @$, $3.v, $3.n); }
    | '(' expr ')'                  { $$ = $2; if ($$) $$->loc = @$; }
    | '{' expr '}'                  { $$ = $2; if ($$) $$->loc = @$; }
    ;

args
    : expr                          { $$ = exlist_push(p, (exlist){0}, $1); }
    | args ',' expr                 { $$ = exlist_push(p, $1, $3); }
    ;

%%

/* "unexpected X, expected A or B": at most four expectations are listed. */
static int yyreport_syntax_error(const yypcontext_t *ctx, parser *p)
{
    const span *at = yypcontext_location(ctx);
    yysymbol_kind_t got = yypcontext_token(ctx);
    yysymbol_kind_t exp[5];
    int n = yypcontext_expected_tokens(ctx, exp, 5);
    char msg[400];
    size_t k = 0;

    parse_broken_header(p, at->start);
    if (at->start < p->error_line_end)  /* the lexer said it already */
        return 0;
    p->syntax_error = true;
    if (got == YYSYMBOL_LEXERROR)
        return 0;
    k += (size_t)snprintf(msg + k, sizeof msg - k, "unexpected %s",
                          got == YYSYMBOL_YYEOF ? (p->eof_name ? p->eof_name : "end of input")
                                                : yysymbol_name(got));
    if (n > 0 && n <= 4) {
        for (int i = 0; i < n && k < sizeof msg; i++)
            k += (size_t)snprintf(msg + k, sizeof msg - k, "%s%s", i == 0 ? ", expected " :
                                  i == n - 1 ? " or " : ", ",
                                  exp[i] == YYSYMBOL_YYEOF ? (p->eof_name ? p->eof_name
                                                                          : "end of input")
                                                           : yysymbol_name(exp[i]));
    }
    parse_error(p, *at, "%s", msg);
    return 0;
}

static void yyerror(span *loc, parser *p, const char *msg)
{
    /* Only "memory exhausted" reaches here: the parser stack is deeper than
     * YYMAXDEPTH, which only absurd nesting produces. */
    (void)msg;
    p->syntax_error = true;
    parse_error(p, *loc, "expression nested too deeply (limit %d)", DC_MAX_NESTING);
}
