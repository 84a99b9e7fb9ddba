/* lexer.re -- tokens of policy files (docs/language.md), for re2c.
 *
 * The lexer works on a NUL-terminated copy of the text ([buf, lim)), so NUL
 * bytes inside the text are seen as characters (and rejected), never as the
 * end.  It has three modes:
 *   LM_LINE   the head of a line: block headers, a field name, an operator,
 *             or `where`; after an operator it switches to LM_VALUE, after
 *             `where` to LM_EXPR.
 *   LM_VALUE  the rest of the line is one VALUE token, less a trailing
 *             comment and blanks (scanned by hand: quotes and braces matter).
 *   LM_EXPR   expression tokens up to the end of the line.
 */
#include <string.h>

#include "parse.h"
#include "parser.h"
#include "limits.h"

/*!re2c
    re2c:api:style = free-form;
    re2c:define:YYCTYPE = "unsigned char";
    re2c:define:YYCURSOR = "p->cur";
    re2c:define:YYLIMIT = "p->lim";
    re2c:define:YYMARKER = "marker";
    re2c:yyfill:enable = 0;
    re2c:eof = 0;

    blank   = [ \t\r];
    seg     = [A-Za-z_][A-Za-z0-9_]*;
    name    = seg ("." seg)*;
    dec     = [0-9]+;
    hexlit  = "0" [xX] [0-9a-fA-F]+;
*/

static uint32_t off(const parser *p, const char *at)
{
    return p->base + (uint32_t)(at - p->buf);
}

/* Report a lexical error at [from, to) and remember it so the parser does
 * not add a cascade of syntax errors on the same line. */
static int lex_error(parser *p, const char *from, const char *to, const char *what)
{
    span at = { off(p, from), off(p, to > from ? to : from + 1) };
    const char *eol = memchr(to, '\n', (size_t)(p->lim - to));
    unsigned char c = (unsigned char)*from;
    if (!eol)
        eol = p->lim;
    if (what)
        parse_error(p, at, "%s", what);
    else if (c == 0)
        parse_error(p, at, "NUL byte in policy text");
    else if (c >= 0x80)
        parse_error(p, at, "non-ASCII byte 0x%02x in policy text (policies are ASCII)", c);
    else if (c < 0x20 || c == 0x7f)
        parse_error(p, at, "control character 0x%02x in policy text", c);
    else
        parse_error(p, at, "unexpected character '%c'", c);
    p->error_line_end = off(p, eol);
    p->cur = eol;           /* skip the rest of the line */
    p->mode = LM_LINE;
    return LEXERROR;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* LM_VALUE: the raw value runs to the end of the line; `#` after a blank,
 * outside quotes, starts a comment.  Braces are tracked so that a `#` or a
 * quote inside a placeholder is read as part of it. */
static int lex_value(parser *p, YYSTYPE *val, span *loc)
{
    const char *s = p->cur, *e;
    while (s < p->lim && is_blank(*s))
        s++;
    bool quoted = false;
    for (e = s; e < p->lim && *e != '\n'; e++) {
        unsigned char c = (unsigned char)*e;
        if (c == 0 || c >= 0x80 || (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return lex_error(p, e, e + 1, NULL);
        if (quoted) {
            if (c == '\\' && e + 1 < p->lim && e[1] != '\n')
                e++;
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '#' && (e == s || is_blank(e[-1]))) {
            break;
        }
    }
    const char *end = e;
    while (end > s && is_blank(end[-1]))
        end--;
    /* skip the comment */
    while (e < p->lim && *e != '\n') {
        unsigned char c = (unsigned char)*e;
        if (c == 0 || c >= 0x80)
            return lex_error(p, e, e + 1, NULL);
        e++;
    }
    p->cur = e;
    p->mode = LM_LINE;
    val->sp = (span){ off(p, s), off(p, end) };
    *loc = val->sp;
    return VALUE;
}

int lex_next(parser *p, YYSTYPE *val, span *loc)
{
    const char *marker = NULL;
    (void)marker;
    if (p->start_token) {
        int t = p->start_token;
        p->start_token = 0;
        *loc = (span){ p->base, p->base };
        return t;
    }
    if (p->mode == LM_VALUE)
        return lex_value(p, val, loc);
    for (;;) {
        p->tok = p->cur;
#define TOK(t) do { *loc = (span){ off(p, p->tok), off(p, p->cur) }; val->sp = *loc; return (t); } while (0)
        if (p->mode == LM_LINE) {
    /*!re2c
        $                   { *loc = (span){ off(p, p->lim), off(p, p->lim) }; return YYEOF; }
        blank+              { continue; }
        "#" [^\n\x00]*      { continue; }
        "\n"                { TOK(NEWLINE); }
        "POLICY"            { TOK(KW_POLICY); }
        "SELF"              { TOK(KW_SELF); }
        "COMPATIBLE"        { TOK(KW_COMPATIBLE); }
        "where"             { p->mode = LM_EXPR; p->nest = 0; TOK(KW_WHERE); }
        name                { TOK(NAME); }
        ":"                 { TOK(':'); }
        "="                 { p->mode = LM_VALUE; TOK(ASSIGN); }
        "!="                { p->mode = LM_VALUE; TOK(NE); }
        "<"                 { p->mode = LM_VALUE; TOK(LT); }
        "<="                { p->mode = LM_VALUE; TOK(LE); }
        ">"                 { p->mode = LM_VALUE; TOK(GT); }
        ">="                { p->mode = LM_VALUE; TOK(GE); }
        "=="                { return lex_error(p, p->tok, p->cur, "'==' in a rule: a rule's operator is '='"); }
        *                   { return lex_error(p, p->tok, p->cur, NULL); }
    */
        }
    /*!re2c
        $                   { *loc = (span){ off(p, p->lim), off(p, p->lim) }; return YYEOF; }
        blank+              { continue; }
        "#" [^\n\x00]*      { continue; }
        "\n"                { p->mode = LM_LINE; TOK(NEWLINE); }
        "true"              { TOK(KW_TRUE); }
        "false"             { TOK(KW_FALSE); }
        name                { TOK(NAME); }
        dec | hexlit        { TOK(INT); }
        ["] ([^"\\\n\x00] | "\\" [^\n\x00])* ["] { TOK(STRING); }
        ["]                 { return lex_error(p, p->tok, p->cur, "unterminated string"); }
        "=="                { TOK(EQ); }
        "!="                { TOK(NE); }
        "<"                 { TOK(LT); }
        "<="                { TOK(LE); }
        ">"                 { TOK(GT); }
        ">="                { TOK(GE); }
        "&&"                { TOK(AND); }
        "||"                { TOK(OR); }
        "="                 { return lex_error(p, p->tok, p->cur, "'=' in an expression: use '==' to compare"); }
        [({]                {
                              if (++p->nest > DC_MAX_NESTING)
                                  return lex_error(p, p->tok, p->cur,
                                                   "expression nested too deeply (limit 64)");
                              TOK(*p->tok);
                            }
        [)}]                { if (p->nest) p->nest--; TOK(*p->tok); }
        [-+*/%!,]           { TOK(*p->tok); }
        *                   { return lex_error(p, p->tok, p->cur, NULL); }
    */
#undef TOK
    }
}
