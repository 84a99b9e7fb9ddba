/* parse.c -- glue between the lexer, the grammar and the syntax tree:
 * building nodes, blocks and rules, and classifying rule values
 * (docs/language.md, section 4). */
#include <stdarg.h>
#include <stdio.h>
#include <ctype.h>
#include <string.h>

#include "limits.h"
#include "parse.h"
#include "parser.h"

void parse_error(parser *p, span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(p->diags, DC_SEV_ERROR, at, fmt, ap);
    va_end(ap);
}

static void *node_alloc(parser *p, size_t size)
{
    void *n = arena_alloc(&p->ast->ar, size);
    if (!n)
        p->oom = true;
    return n;
}

static const char *src(const parser *p, uint32_t off)
{
    return p->ast->text + off;
}

/* ------------------------------------------------------------ expressions */

ast_expr *parse_node(parser *p, ex_kind kind, span at)
{
    ast_expr *e = node_alloc(p, sizeof *e);
    if (!e)
        return NULL;
    e->kind = kind;
    e->loc = at;
    e->depth = 0;
    if (kind == EX_NAME) {
        e->str = arena_strndup(&p->ast->ar, src(p, at.start), at.end - at.start);
        e->len = at.end - at.start;
        if (!e->str)
            p->oom = true;
    }
    return e;
}

/* Depth is checked while building, so that no later pass recurses deeper
 * than DC_MAX_NESTING (docs/language.md, section 13). */
static ast_expr *check_depth(parser *p, ast_expr *e)
{
    if (e && e->depth > DC_MAX_NESTING) {
        if (!p->syntax_error)
            parse_error(p, e->loc, "expression nested too deeply (limit %d)", DC_MAX_NESTING);
        p->syntax_error = true;
    }
    return e;
}

ast_expr *parse_unary(parser *p, ex_op op, span at, ast_expr *a)
{
    if (!a)
        return NULL;
    if (op == OP_NEG && a->kind == EX_INT && a->min_magnitude) {
        a->min_magnitude = false; /* -2^63: the one literal that needs its sign */
        a->loc = at;
        return a;
    }
    ast_expr *e = parse_node(p, EX_UNARY, at);
    if (!e)
        return NULL;
    e->op = op;
    e->a = a;
    e->depth = a->depth + 1;
    return check_depth(p, e);
}

ast_expr *parse_binary(parser *p, ex_op op, ast_expr *a, ast_expr *b)
{
    if (!a || !b)
        return NULL;
    ast_expr *e = parse_node(p, EX_BINARY, (span){ a->loc.start, b->loc.end });
    if (!e)
        return NULL;
    e->op = op;
    e->a = a;
    e->b = b;
    e->depth = (a->depth > b->depth ? a->depth : b->depth) + 1;
    return check_depth(p, e);
}

ast_expr *parse_call(parser *p, span name, span at, ast_expr **args, uint32_t nargs)
{
    ast_expr *e = parse_node(p, EX_CALL, at);
    if (!e)
        return NULL;
    e->str = arena_strndup(&p->ast->ar, src(p, name.start), name.end - name.start);
    e->len = name.end - name.start;
    if (!e->str)
        p->oom = true;
    e->args = args;
    e->nargs = nargs;
    for (uint32_t i = 0; i < nargs; i++) {
        if (!args[i])
            return NULL;
        if (args[i]->depth + 1 > e->depth)
            e->depth = args[i]->depth + 1;
    }
    return check_depth(p, e);
}

ast_expr *parse_int_literal(parser *p, span at)
{
    ast_expr *e = parse_node(p, EX_INT, at);
    if (!e)
        return NULL;
    const char *t = src(p, at.start);
    uint32_t n = at.end - at.start;
    if (!parse_int(t, n, &e->ival)) {
        /* 2^63 is in range only under a unary minus: -9223372036854775808 */
        if ((n == 19 && !memcmp(t, "9223372036854775808", 19)) ||
            (n == 18 && (t[1] == 'x' || t[1] == 'X') &&
             !memcmp(t + 2, "8000000000000000", 16))) {
            e->ival = INT64_MIN;
            e->min_magnitude = true;
            return e;
        }
        parse_error(p, at, "integer literal out of range (64-bit signed)");
        p->syntax_error = true;
    }
    return e;
}

/* Unescape a quoted string: \" \\ \n \t.  [s, e) excludes the quotes.
 * Returns false (after reporting) on an unknown escape. */
static bool unescape(parser *p, uint32_t s, uint32_t e, const char **out, uint32_t *outlen)
{
    char *d = arena_alloc(&p->ast->ar, e - s + 1);
    uint32_t n = 0;
    if (!d) {
        p->oom = true;
        return false;
    }
    for (uint32_t i = s; i < e; i++) {
        char c = p->ast->text[i];
        if (c == '\\' && i + 1 < e) {
            char x = p->ast->text[++i];
            switch (x) {
            case '"':
            case '\\': c = x; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default:
                parse_error(p, (span){ i - 1, i + 1 },
                            "unknown escape '\\%c' (use \\\" \\\\ \\n or \\t)", x);
                return false;
            }
        }
        d[n++] = c;
    }
    *out = d;
    *outlen = n;
    return true;
}

ast_expr *parse_string(parser *p, span at)
{
    ast_expr *e = parse_node(p, EX_STR, at);
    if (!e)
        return NULL;
    if (!unescape(p, at.start + 1, at.end - 1, &e->str, &e->len))
        p->syntax_error = true;
    return e;
}

ast_expr *parse_expr_at(parser *p, uint32_t start, uint32_t end, const char *what)
{
    parser sub = *p;
    char *copy = arena_strndup(&p->ast->ar, src(p, start), end - start);
    if (!copy) {
        p->oom = true;
        return NULL;
    }
    sub.buf = sub.cur = sub.tok = copy;
    sub.lim = copy + (end - start);
    sub.base = start;
    sub.mode = LM_EXPR;
    sub.nest = 0;
    sub.start_token = START_EXPR;
    sub.expr = NULL;
    sub.syntax_error = false;
    sub.error_line_end = 0;
    sub.eof_name = what;
    int rc = yyparse(&sub);
    p->oom |= sub.oom;
    if (rc != 0 || sub.syntax_error) {
        p->syntax_error = true;
        return NULL;
    }
    return sub.expr;
}

/* ------------------------------------------------------------ blocks */

void parse_header(parser *p, block_kind kind, span at, span name)
{
    ast_policy *ast = p->ast;
    if (ast->nblocks >= DC_MAX_BLOCKS) {
        if (!ast->too_many_blocks)
            parse_error(p, at, "too many blocks (limit %d)", DC_MAX_BLOCKS);
        ast->too_many_blocks = true;
        p->block = NULL;
        return;
    }
    ast_block *blocks =
        arena_grow(&ast->ar, ast->blocks, ast->nblocks, &ast->cap, sizeof *blocks);
    if (!blocks) {
        p->oom = true;
        return;
    }
    ast->blocks = blocks;
    ast_block *b = &ast->blocks[ast->nblocks++];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->loc = at;
    uint32_t col;
    srcmap_locate(p->diags->map, at.start, &b->line, &col);
    if (name.end > name.start) {
        b->name = arena_strndup(&ast->ar, src(p, name.start), name.end - name.start);
        if (!b->name)
            p->oom = true;
    }
    p->block = b;
}

void parse_broken_header(parser *p, uint32_t at)
{
    const char *t = p->ast->text;
    uint32_t line, col;
    srcmap_locate(p->diags->map, at, &line, &col);
    uint32_t i = p->diags->map->starts[line - 1];
    while (i < p->ast->len && (t[i] == ' ' || t[i] == '\t'))
        i++;
    static const struct {
        const char *kw;
        block_kind kind;
    } heads[] = {
        { "POLICY", BK_POLICY },
        { "SELF", BK_SELF },
        { "COMPATIBLE", BK_COMPATIBLE },
    };
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
        size_t n = strlen(heads[k].kw);
        if (p->ast->len - i >= n && !memcmp(t + i, heads[k].kw, n) &&
            (i + n == p->ast->len || !(isalnum((unsigned char)t[i + n]) || t[i + n] == '_'))) {
            /* p->block may already be this line's block if the header was
             * reduced before the error: leave it broken */
            if (p->block && p->block->line == line) {
                p->block->broken = true;
                return;
            }
            parse_header(p, heads[k].kind, (span){ i, i + (uint32_t)n }, (span){ 0, 0 });
            if (p->block)
                p->block->broken = true;
            return;
        }
    }
}

static ast_rule *new_rule(parser *p, span at)
{
    ast_block *b = p->block;
    if (!b) {
        if (!p->ast->too_many_blocks)
            parse_error(p, at,
                        "rule outside a block: a policy starts with a header "
                        "such as 'SELF:'");
        return NULL;
    }
    if (b->nrules >= DC_MAX_RULES) {
        if (!b->too_many_rules)
            parse_error(p, at, "too many rules in one block (limit %d)", DC_MAX_RULES);
        b->too_many_rules = true;
        return NULL;
    }
    ast_rule *rules = arena_grow(&p->ast->ar, b->rules, b->nrules, &b->cap, sizeof *rules);
    if (!rules) {
        p->oom = true;
        return NULL;
    }
    b->rules = rules;
    ast_rule *r = &b->rules[b->nrules++];
    memset(r, 0, sizeof *r);
    r->loc = at;
    uint32_t col;
    srcmap_locate(p->diags->map, at.start, &r->line, &col);
    return r;
}

void parse_where(parser *p, span kw, ast_expr *e)
{
    if (!e || e->depth > DC_MAX_NESTING) /* reported while it was built */
        return;
    if (p->error_line_end > kw.start) /* a lexical error cut it short */
        return;
    ast_rule *r = new_rule(p, (span){ kw.start, e->loc.end });
    if (!r)
        return;
    r->is_where = true;
    r->where = e;
}

/* ------------------------------------------------------------ values */

static bool is_ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Skip a quoted string starting at text[i] == '"'; returns the offset after
 * the closing quote, or `end` when it is not closed. */
static uint32_t skip_string(const char *text, uint32_t i, uint32_t end)
{
    for (i++; i < end; i++) {
        if (text[i] == '\\' && i + 1 < end)
            i++;
        else if (text[i] == '"')
            return i + 1;
    }
    return end;
}

static void trim(const char *text, uint32_t *s, uint32_t *e)
{
    while (*s < *e && is_blank(text[*s]))
        (*s)++;
    while (*e > *s && is_blank(text[*e - 1]))
        (*e)--;
}

/* The body of a placeholder, [s, e) between the braces: a declaration
 * `name:type[:constraint]`, or an expression. */
static bool parse_placeholder(parser *p, ast_part *part, uint32_t s, uint32_t e)
{
    const char *t = p->ast->text;
    uint32_t i = s;
    trim(t, &s, &e);
    if (s == e) {
        parse_error(p, part->loc, "empty placeholder '{}'");
        return false;
    }
    i = s;
    if (is_ident_start(t[i])) {
        while (i < e && is_ident_char(t[i]))
            i++;
        uint32_t name_end = i;
        while (i < e && is_blank(t[i]))
            i++;
        if (i < e && t[i] == ':') {
            part->is_decl = true;
            part->name = arena_strndup(&p->ast->ar, t + s, name_end - s);
            part->name_loc = (span){ s, name_end };
            uint32_t ts = i + 1, te = ts;
            while (te < e && t[te] != ':')
                te++;
            uint32_t cs = te < e ? te + 1 : e, ce = e;
            trim(t, &ts, &te);
            part->type_loc = (span){ ts, te };
            if (!part->name) {
                p->oom = true;
                return false;
            }
            if (ts == te) {
                parse_error(p, (span){ i, i + 1 },
                            "missing type after '%s:' (int, hex, "
                            "string, semver, bool or set)",
                            part->name);
                return false;
            }
            part->type = vtype_from_name(t + ts, te - ts);
            if (part->type == VT_NONE) {
                parse_error(p, part->type_loc,
                            "unknown type '%.*s' (expected int, hex, "
                            "string, semver, bool or set)",
                            (int)(te - ts), t + ts);
                return false;
            }
            if (te < e) {
                trim(t, &cs, &ce);
                part->constraint_loc = cs < ce ? (span){ cs, ce } : (span){ te, te + 1 };
                part->constraint = arena_strndup(&p->ast->ar, t + cs, ce - cs);
                part->constraint_len = ce - cs;
                if (!part->constraint) {
                    p->oom = true;
                    return false;
                }
                if (cs == ce) {
                    parse_error(p, part->constraint_loc, "empty constraint after '%s:%s:'",
                                part->name, vtype_name(part->type));
                    return false;
                }
            }
            return true;
        }
    }
    part->expr = parse_expr_at(p, s, e, "end of the placeholder");
    return part->expr != NULL;
}

/* Is [s, e) upstream's arithmetic shorthand (docs/language.md, section 4)?
 * Exactly one {...} group, holding no declaration, and outside it only
 * integer literals, + - * / %, parentheses and blanks, with at least one
 * operator.  A value without braces is never arithmetic, and several
 * groups make a template. */
static bool is_arithmetic(const char *t, uint32_t s, uint32_t e)
{
    bool op = false;
    uint32_t groups = 0;
    for (uint32_t i = s; i < e; i++) {
        char c = t[i];
        if (c == '{') {
            if (++groups > 1)
                return false;
            while (i < e && t[i] != '}') {
                if (t[i] == '"')
                    i = skip_string(t, i, e) - 1;
                i++;
            }
        } else if (c == '0' && i + 1 < e && (t[i + 1] == 'x' || t[i + 1] == 'X')) {
            i += 2;
            if (i >= e || !strchr("0123456789abcdefABCDEF", t[i]))
                return false;
            while (i + 1 < e && strchr("0123456789abcdefABCDEF", t[i + 1]) && t[i + 1])
                i++;
        } else if (c >= '0' && c <= '9') {
            continue;
        } else if (strchr("+-*/%", c) && c) {
            op = true;
        } else if (!(c == '(' || c == ')' || is_blank(c))) {
            return false;
        }
    }
    return op && groups == 1;
}

static bool parse_template(parser *p, ast_value *v, uint32_t s, uint32_t e)
{
    const char *t = p->ast->text;
    ast_part parts[2 * DC_MAX_PLACEHOLDERS + 1];
    uint32_t n = 0, nph = 0;
    uint32_t i = s;
    bool ok = true;

    while (i < e) {
        uint32_t lit = i;
        while (i < e && t[i] != '{' && t[i] != '}')
            i++;
        if (i > lit) {
            if (n == sizeof parts / sizeof parts[0])
                break;
            ast_part *pt = &parts[n++];
            memset(pt, 0, sizeof *pt);
            pt->loc = (span){ lit, i };
            pt->text = arena_strndup(&p->ast->ar, t + lit, i - lit);
            pt->len = i - lit;
            if (!pt->text) {
                p->oom = true;
                return false;
            }
        }
        if (i >= e)
            break;
        if (t[i] == '}') {
            parse_error(p, (span){ i, i + 1 }, "'}' without a matching '{'");
            return false;
        }
        uint32_t open = i++;
        while (i < e && t[i] != '}') {
            if (t[i] == '{') {
                parse_error(p, (span){ i, i + 1 }, "'{' inside a placeholder");
                return false;
            }
            if (t[i] == '"')
                i = skip_string(t, i, e);
            else
                i++;
        }
        if (i >= e) {
            parse_error(p, (span){ open, e }, "unterminated placeholder: missing '}'");
            return false;
        }
        uint32_t close = i++;
        if (++nph > DC_MAX_PLACEHOLDERS) {
            parse_error(p, (span){ open, close + 1 },
                        "too many placeholders in one template (limit %d)",
                        DC_MAX_PLACEHOLDERS);
            return false;
        }
        if (n > 0 && parts[n - 1].is_placeholder) {
            parse_error(p, (span){ parts[n - 1].loc.start, close + 1 },
                        "adjacent placeholders: put literal text between them, "
                        "or their spans are ambiguous");
            ok = false;
        }
        ast_part *pt = &parts[n++];
        memset(pt, 0, sizeof *pt);
        pt->is_placeholder = true;
        pt->loc = (span){ open, close + 1 };
        if (!parse_placeholder(p, pt, open + 1, close))
            ok = false;
    }
    if (!ok)
        return false;
    v->kind = VAL_TEMPLATE;
    v->nparts = n;
    v->parts = arena_alloc(&p->ast->ar, n * sizeof *v->parts);
    if (!v->parts) {
        p->oom = true;
        return false;
    }
    memcpy(v->parts, parts, n * sizeof *parts);
    return true;
}

/* Is t[i] the '{' of a declaration `{ name :` within [i, e)?  Its name is
 * t[*n0, *n1). */
static bool declaration_at(const char *t, uint32_t i, uint32_t e, uint32_t *n0, uint32_t *n1)
{
    if (t[i] != '{')
        return false;
    uint32_t j = i + 1;
    while (j < e && is_blank(t[j]))
        j++;
    *n0 = j;
    if (j >= e || !is_ident_start(t[j]))
        return false;
    while (j < e && is_ident_char(t[j]))
        j++;
    *n1 = j;
    while (j < e && is_blank(t[j]))
        j++;
    return j < e && t[j] == ':';
}

/* A value that failed to parse may declare names; remember them so that
 * their uses are not reported again as undeclared. */
static void poison_declarations(parser *p, uint32_t s, uint32_t e)
{
    const char *t = p->ast->text;
    ast_policy *ast = p->ast;
    for (uint32_t i = s; i < e; i++) {
        uint32_t n0, n1;
        if (!declaration_at(t, i, e, &n0, &n1))
            continue;
        const char **v =
            arena_grow(&ast->ar, ast->poisoned, ast->npoisoned, &ast->cap_poisoned, sizeof *v);
        if (!v) {
            p->oom = true;
            return;
        }
        ast->poisoned = v;
        const char *name = arena_strndup(&ast->ar, t + n0, n1 - n0);
        if (!name) {
            p->oom = true;
            return;
        }
        ast->poisoned[ast->npoisoned++] = name;
    }
}

/* Does [s, e) hold a placeholder `{name:...}`?  A declaration is never an
 * operand, so such a value is a template even where its other characters
 * would read as arithmetic (`{a:int}/2`). */
static bool has_declaration(const char *t, uint32_t s, uint32_t e)
{
    uint32_t n0, n1;
    for (uint32_t i = s; i < e; i++)
        if (declaration_at(t, i, e, &n0, &n1))
            return true;
    return false;
}

/* Classify and parse a rule's value (docs/language.md, section 4). */
static bool parse_value(parser *p, ast_value *v, span at, rule_op op, span op_loc)
{
    const char *t = p->ast->text;
    uint32_t s = at.start, e = at.end;
    v->loc = at;
    if (s == e) {
        parse_error(p, op_loc, "missing value after '%s' (write \"\" for an empty value)",
                    rule_op_str(op));
        return false;
    }
    if (t[s] == '"') {
        uint32_t q = skip_string(t, s, e);
        if (q > e || (q == e && t[e - 1] != '"') || q - s < 2) {
            parse_error(p, at, "unterminated quoted value");
            return false;
        }
        if (q < e) {
            parse_error(p, (span){ q, e }, "text after the closing quote");
            return false;
        }
        if (e - s == 2) {
            v->kind = VAL_EMPTY;
            return true;
        }
        v->kind = VAL_QUOTED;
        return unescape(p, s + 1, e - 1, &v->str, &v->len);
    }
    if (is_arithmetic(t, s, e) && !has_declaration(t, s, e)) {
        v->kind = VAL_EXPR;
        v->expr = parse_expr_at(p, s, e, "end of the value");
        return v->expr != NULL;
    }
    return parse_template(p, v, s, e);
}

void parse_rule(parser *p, span field, rule_op op, span op_loc, span val)
{
    ast_rule *r =
        new_rule(p, (span){ field.start, val.end > op_loc.end ? val.end : op_loc.end });
    if (!r)
        return;
    r->field = arena_strndup(&p->ast->ar, src(p, field.start), field.end - field.start);
    r->field_len = field.end - field.start;
    r->field_loc = field;
    r->op = op;
    r->op_loc = op_loc;
    if (!r->field) {
        p->oom = true;
        return;
    }
    if (r->field_len > DC_MAX_NAME)
        parse_error(p, field, "fact name longer than %d bytes (the limit)", DC_MAX_NAME);
    if (!parse_value(p, &r->value, val, op, op_loc)) {
        /* the rule is dropped; its declarations must not cascade */
        poison_declarations(p, val.start, val.end);
        p->block->nrules--;
        p->syntax_error = true;
    }
}

/* ------------------------------------------------------------ entry */

bool parse_policy(ast_policy *ast, dc_diags *diags)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.ast = ast;
    p.diags = diags;
    /* A NUL-terminated copy that ends in a newline: the lexer needs the
     * sentinel, and the grammar wants every line terminated. */
    uint32_t n = ast->len;
    bool nl = n > 0 && ast->text[n - 1] != '\n';
    char *copy = arena_alloc(&ast->ar, (size_t)n + 2);
    if (!copy)
        return false;
    memcpy(copy, ast->text, n);
    if (nl)
        copy[n++] = '\n';
    copy[n] = '\0';
    p.buf = p.cur = p.tok = copy;
    p.lim = copy + n;
    p.mode = LM_LINE;
    p.start_token = START_FILE;
    yyparse(&p);
    ast->syntax_errors = p.syntax_error || diags->nerrors > 0;
    return !p.oom;
}
