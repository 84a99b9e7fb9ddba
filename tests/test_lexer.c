/* test_lexer.c -- policy text to syntax (docs/language.md, sections 2 to 4
 * and 13), seen from outside:
 * dc_policy_compile's status and diagnostics (line, column, message). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devcompat.h"
#include "helpers.h"

/* ------------------------------------------------------------ helpers */

static struct {
    dc_policy *pol;
    dc_diags *d;
    dc_status st;
    dc_error err;
} L;

static void release(void)
{
    dc_policy_free(L.pol);
    dc_diags_free(L.d);
    memset(&L, 0, sizeof L);
}

TestSuite(header, .fini = release);
TestSuite(comment, .fini = release);
TestSuite(value, .fini = release);
TestSuite(placeholder, .fini = release);
TestSuite(syntax, .fini = release);
TestSuite(lexical, .fini = release);
TestSuite(limits, .fini = release);
TestSuite(robust, .fini = release);

/* Compile `len` bytes of text; keeps status and diagnostics in L. */
static dc_status lint_n(const char *text, size_t len)
{
    release();
    L.st = dc_policy_compile("t.compat", text, len, &L.pol, &L.d, &L.err);
    return L.st;
}

static dc_status lint(const char *text)
{
    return lint_n(text, strlen(text));
}

static void dump(void)
{
    for (size_t i = 0; i < dc_diags_count(L.d); i++) {
        const dc_diag *g = nth_diag(L.d, i);
        cr_log_info("  %u:%u: %s: %s", g->line, g->col,
                    g->severity == DC_SEV_ERROR ? "error" : "warning", g->message);
    }
}

/* Which row of a table is being compiled: named in every message. */
static char which[80];

/* The text compiles, without any error (warnings allowed). */
static void ok(const char *text)
{
    lint(text);
    if (L.st != DC_OK)
        dump();
    cr_expect_eq(L.st, DC_OK, "%sstatus %s for:\n%s", which, dc_status_str(L.st), text);
    cr_expect_eq(dc_diags_error_count(L.d), 0, "%serrors", which);
    cr_expect_not_null(L.pol, "%sno policy", which);
}

/* The text compiles with no diagnostic at all. */
static void clean(const char *text)
{
    ok(text);
    if (dc_diags_count(L.d))
        dump();
    cr_expect_eq(dc_diags_count(L.d), 0, "%sdiagnostics for:\n%s", which, text);
}

/* Exactly `n` errors. */
static void errors(const char *text, size_t n)
{
    lint(text);
    if (dc_diags_error_count(L.d) != n)
        dump();
    cr_expect_eq(L.st, n ? DC_ERR_POLICY : DC_OK, "%sstatus %s", which, dc_status_str(L.st));
    cr_expect_eq(dc_diags_error_count(L.d), n, "%s%zu errors, want %zu, for:\n%s", which,
                 dc_diags_error_count(L.d), n, text);
    if (n)
        cr_expect_null(L.pol, "%sa policy despite errors", which);
}

/* The i-th diagnostic is at line:col, an error, and its message holds `want`. */
static void diag_at(size_t i, uint32_t line, uint32_t col, const char *want)
{
    const dc_diag *g = nth_diag(L.d, i);
    if (!g)
        dump();
    cr_assert_not_null(g, "%sno diagnostic %zu", which, i);
    cr_expect_eq(g->severity, DC_SEV_ERROR, "%sdiagnostic %zu is not an error: %s", which, i,
                 g->message);
    cr_expect_eq(g->line, line, "%sdiagnostic %zu '%s' at line %u, want %u", which, i,
                 g->message, g->line, line);
    cr_expect_eq(g->col, col, "%sdiagnostic %zu '%s' at col %u, want %u", which, i, g->message,
                 g->col, col);
    cr_expect(strstr(g->message, want) != NULL, "%sdiagnostic %zu '%s' lacks '%s'", which, i,
              g->message, want);
}

/* Exactly one error, at line:col, naming `want`. */
static void one_error(const char *text, uint32_t line, uint32_t col, const char *want)
{
    errors(text, 1);
    diag_at(0, line, col, want);
}

/* A row of a table: a text and, for an error, where it is and what it says. */
typedef struct lex_row {
    const char *name, *text;
    uint32_t line, col;
    const char *want;
} lex_row;

/* The parameters of a table of n rows: their indices.  (Criterion runs each
 * in a new process and copies its parameter by value, so a row is passed
 * as its index into a static table, never as a pointer.) */
static size_t row_index[64];

static struct criterion_test_params rows_of(size_t n)
{
    cr_assert_leq(n, sizeof row_index / sizeof *row_index);
    for (size_t i = 0; i < n; i++)
        row_index[i] = i;
    return cr_make_param_array(size_t, row_index, n);
}

/* A test of every row of the table SUITE_KIND, each row a case of its own,
 * read by KIND_row. */
#define TABLE_TEST(suite, kind)                                                                \
    ParameterizedTestParameters(suite, kind##_rows)                                            \
    {                                                                                          \
        return rows_of(sizeof suite##_##kind / sizeof *suite##_##kind);                        \
    }                                                                                          \
    ParameterizedTest(size_t *i, suite, kind##_rows)                                           \
    {                                                                                          \
        kind##_row(&suite##_##kind[*i]);                                                       \
    }

/* The row compiles with no diagnostic at all. */
static void clean_row(const lex_row *row)
{
    snprintf(which, sizeof which, "%s: ", row->name);
    clean(row->text);
}

/* The row has exactly one error, where it says. */
static void one_error_row(const lex_row *row)
{
    snprintf(which, sizeof which, "%s: ", row->name);
    one_error(row->text, row->line, row->col, row->want);
}

/* The row fails to compile, its first error where it says. */
static void first_error_row(const lex_row *row)
{
    snprintf(which, sizeof which, "%s: ", row->name);
    lint(row->text);
    cr_expect_eq(L.st, DC_ERR_POLICY, "%sstatus %s", which, dc_status_str(L.st));
    diag_at(0, row->line, row->col, row->want);
}

/* Is there an error whose message holds `want`? */
static bool has_error(const char *want)
{
    for (size_t i = 0; i < dc_diags_count(L.d); i++) {
        const dc_diag *g = nth_diag(L.d, i);
        if (g->severity == DC_SEV_ERROR && strstr(g->message, want))
            return true;
    }
    return false;
}

#define HEAD "SELF:\n    a = 1\nCOMPATIBLE:\n" /* rules start on line 4 */

/* ------------------------------------------------------------ headers and blocks */

Test(header, minimal_policy)
{
    clean("SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n");
    cr_expect_eq(dc_policy_block_count(L.pol), 1);
}

Test(header, all_block_kinds)
{
    clean("POLICY:\n    name = p\n    description = \"a b\"\nSELF:\n    a = 1\n"
          "COMPATIBLE:\n    a = 1\nCOMPATIBLE legacy_v1:\n    a = 2\n");
    cr_expect_eq(dc_policy_block_count(L.pol), 2);
    cr_expect_null(dc_policy_block_name(L.pol, 0));
    cr_expect_str_eq(dc_policy_block_name(L.pol, 1), "legacy_v1");
}

Test(header, indentation_and_blanks_free)
{
    clean("\n\n  SELF:\n\ta = 1\n\n    COMPATIBLE  :\n      a=1\n\n");
    clean("SELF:\r\n    a = 1\r\nCOMPATIBLE:\r\n    a = 1\r\n");
}

Test(header, no_final_newline)
{
    clean("SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1");
}

static lex_row header_first_error[] = {
    { "block_name_must_be_one_name", "SELF:\n    a = 1\nCOMPATIBLE foo bar:\n    a = 1\n", 3,
      16, "expected ':'" },
    { "missing_colon", "SELF\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 1, 5, "expected ':'" },
    { "text_after_colon", "SELF:\n    a = 1\nCOMPATIBLE: x\n    a = 1\n", 3, 13, "unexpected" },
    { "keywords_are_case_sensitive", "self:\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 1, 5,
      "unexpected" },
    { "rule_before_any_header", "a = 1\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 1, 1,
      "rule outside a block" },
};
TABLE_TEST(header, first_error)

/* Regression (fixed): a header with a syntax error opens no block, so its rules land in
 * the previous block (or outside any) and the checker adds a cascade:
 * "rule repeated in this block", "no COMPATIBLE block", "rule outside a
 * block", "no SELF block".  One error is expected for one bad header. */
Test(header, bad_header_no_cascade)
{
    one_error("SELF:\n    a = 1\nCOMPATIBLE foo bar:\n    a = 1\n", 3, 16, "expected ':'");
    cr_expect_eq(dc_diags_count(L.d), 1, "a cascade after the bad header");
    one_error("SELF\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 1, 5, "expected ':'");
    one_error("SELF:\n    a = 1\nCOMPATIBLE: x\n    a = 1\n", 3, 13, "unexpected");
}

/* ------------------------------------------------------------ comments */

static lex_row comment_clean[] = {
    { "at_line_start_and_indented",
      "# a policy\nSELF:\n# between\n    a = 1\n    # indented\nCOMPATIBLE:\n\t# tab\n"
      "    a = 1\n#end",
      0, 0, NULL },
    { "after_header_and_rule",
      "SELF: # the target\n    a = 1 # one\nCOMPATIBLE:\t# a source\n    a = 1\t# tab\n"
      "    where 1 == 1 || has(source.x) # a where\n",
      0, 0, NULL },
    { "hash_not_after_blank_is_text", HEAD "    b = x=#a\n    c = a#b#c\n", 0, 0, NULL },
    { "hash_inside_quotes_is_text",
      HEAD "    b = \"x # y\"\n    c = \"#\" # but this is a comment\n", 0, 0, NULL },
    /* a '#' inside braces is part of the placeholder (here: a string) */
    { "hash_inside_placeholder_is_text", HEAD "    b = {_s:string:\"a #b\"}\n", 0, 0, NULL },
};
TABLE_TEST(comment, clean)

Test(comment, value_that_is_only_a_comment_is_missing)
{
    one_error(HEAD "    b = # nothing\n", 4, 7, "missing value");
}

/* ------------------------------------------------------------ values (2.2) */

static lex_row value_clean[] = {
    { "four_kinds_compile",
      HEAD "    e = \"\"\n"
           "    q = \"quoted \\\"text\\\" \\\\ \\n \\t\"\n"
           "    t = i915-GVTg_V5_{val1:int:1,2,4,8}\n"
           "    l = vfio-pci\n"
           "    x = {val1}/2\n"
           "    y = 1-2\n"
           "    z = ({val1} + 1) * 2 % 3\n",
      0, 0, NULL },
    { "arithmetic_forms",
      HEAD "    b = {v:int}\n    c = {v}/2\n    d = {v} * 2 + 1\n    e = -{v}\n"
           "    f = 0x10 - {v}\n",
      0, 0, NULL },
    { "braces_in_quoted_value_are_text",
      HEAD "    b = \"{not a placeholder}\"\n    c = \"}\"\n", 0, 0, NULL },
};
TABLE_TEST(value, clean)

static lex_row value_one_error[] = {
    { "unterminated_quote", HEAD "    b = \"open\n    c = 1\n", 4, 9,
      "unterminated quoted value" },
    { "text_after_closing_quote", HEAD "    b = \"x\" y\n", 4, 12,
      "text after the closing quote" },
    { "unknown_escape", HEAD "    b = \"a\\qb\"\n", 4, 11, "unknown escape" },
};
TABLE_TEST(value, one_error)

Test(value, missing_value)
{
    one_error(HEAD "    b =\n", 4, 7, "missing value");
    cr_expect(strstr(nth_diag(L.d, 0)->message, "\"\"") != NULL,
              "the message suggests \"\": %s", nth_diag(L.d, 0)->message);
    one_error(HEAD "    b !=   \n", 4, 7, "missing value");
}

Test(value, arithmetic_type_error)
{
    /* an arithmetic value of a string operand */
    lint(HEAD "    b = {s:string}\n    c = {s}/2\n");
    cr_expect_eq(L.st, DC_ERR_POLICY);
    diag_at(0, 5, 9, "type error");
}

/* ------------------------------------------------------------ placeholders (2.3) */

static lex_row placeholder_clean[] = {
    { "declaration_forms",
      HEAD "    b = {x:int}\n    c = {y:hex:0x10..0x1f}\n    d = {_z:string}\n"
           "    e = { w : semver : ^1.2 }\n    where x + y > 0 && w > semver(\"1.0\")\n",
      0, 0, NULL },
    { "every_type_name",
      HEAD "    b = {_a:int}\n    c = {_b:hex}\n    d = {_c:string}\n    e = {_d:semver}\n"
           "    f = {_e:bool}\n    g = {_f:set}\n",
      0, 0, NULL },
    { "reference_and_expression",
      "SELF:\n    agg = {agg:int}\n    n = {n:int}\nCOMPATIBLE:\n    m = {m:int}\n"
      "    b = {m * agg / n}\n    c = x{agg}y\n    d = {self.agg}\n",
      0, 0, NULL },
};
TABLE_TEST(placeholder, clean)

static lex_row placeholder_one_error[] = {
    { "unknown_type", HEAD "    b = {x:integer}\n", 4, 12, "unknown type 'integer'" },
    { "missing_type", HEAD "    b = {x:}\n", 4, 11, "missing type" },
    { "empty_placeholder", HEAD "    b = a{}b\n", 4, 10, "empty placeholder" },
    { "empty_constraint_text", HEAD "    b = {x:int:}\n", 4, 15, "empty constraint" },
    { "unterminated", HEAD "    b = x{y:int\n", 4, 10, "unterminated placeholder" },
    { "close_without_open", HEAD "    b = a}b\n", 4, 10, "'}' without a matching '{'" },
    { "nested_open", HEAD "    b = { {x} }\n", 4, 11, "'{' inside a placeholder" },
};
TABLE_TEST(placeholder, one_error)

Test(placeholder, adjacent)
{
    lint(HEAD "    b = {x:int}{y:int}\n");
    cr_expect_eq(L.st, DC_ERR_POLICY);
    diag_at(0, 4, 9, "adjacent placeholders");
    /* literal text between them is fine */
    ok(HEAD "    b = {x:int}.{y:int}\n    where x == y\n");
}

Test(placeholder, adjacent_reference_and_declaration)
{
    lint("SELF:\n    a = {s:int}\nCOMPATIBLE:\n    b = v{s}{y:int}\n");
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("adjacent placeholders"));
}

Test(placeholder, bad_name)
{
    lint(HEAD "    b = {2x:int}\n");
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect_eq(nth_diag(L.d, 0)->line, 4);
}

/* Regression (fixed): a syntax error inside a placeholder or an arithmetic value says
 * "end of file"/"end of input" although the file goes on: the expression is
 * parsed on its own, and bison's end token leaks into the message. */
Test(placeholder, syntax_error_does_not_mention_end_of_file)
{
    lint(HEAD "    b = {2x:int}\n    c = 1\n");
    cr_assert_eq(L.st, DC_ERR_POLICY);
    const char *m = nth_diag(L.d, 0)->message;
    cr_expect(strstr(m, "end of file") == NULL && strstr(m, "end of input") == NULL, "%s", m);
    lint(HEAD "    b = {1} +\n    c = 1\n");
    cr_assert_eq(L.st, DC_ERR_POLICY);
    m = nth_diag(L.d, 0)->message;
    cr_expect(strstr(m, "end of file") == NULL && strstr(m, "end of input") == NULL, "%s", m);
}

/* ------------------------------------------------------------ syntax errors */

static lex_row syntax_one_error[] = {
    { "double_equals_in_rule", HEAD "    b == 2\n", 4, 7, "'==' in a rule" },
    { "unexpected_name", HEAD "    x y z\n", 4, 7, "unexpected name" },
    { "where_unclosed_paren", "SELF:\n    a = {_a:int}\nCOMPATIBLE:\n    where (_a == 1\n", 4,
      19, "unexpected end of line" },
    { "where_dangling_operator", "SELF:\n    a = {_a:int}\nCOMPATIBLE:\n    where _a +\n", 4,
      15, "unexpected" },
    { "where_empty", HEAD "    where\n", 4, 10, "unexpected end of line" },
    { "unterminated_string_in_where", HEAD "    where source.a == \"abc\n", 4, 23,
      "unterminated string" },
};
TABLE_TEST(syntax, one_error)

Test(syntax, single_equals_in_where)
{
    lint("SELF:\n    a = {a:int}\nCOMPATIBLE:\n    where a = 1\n");
    cr_expect(has_error("'=' in an expression"));
    const dc_diag *g = nth_diag(L.d, dc_diags_count(L.d) - 1);
    cr_expect_eq(g->line, 4);
    cr_expect_eq(g->col, 13);
}

/* Regression (fixed): a variable used only in a line with a syntax error is reported as
 * unused: a warning in the cascade of the error. */
Test(syntax, no_unused_warning_after_syntax_error)
{
    one_error("SELF:\n    a = {a:int}\nCOMPATIBLE:\n    where a +\n", 4, 14, "unexpected");
    cr_expect_eq(dc_diags_count(L.d), 1, "cascade warning");
}

Test(syntax, integer_literal_out_of_range)
{
    lint(HEAD "    where 9223372036854775808 > 0\n");
    cr_expect_eq(L.st, DC_ERR_POLICY);
    diag_at(0, 4, 11, "out of range");
}

static lex_row syntax_clean[] = {
    /* Regression (fixed): the smallest int64 could not be written: `-9223372036854775808` is read as unary minus applied to 9223372036854775808, which is out of range, so `where n > -9223372036854775808`, `c > -9223372036854775808` and `d = -9223372036854775808` are refused although the value is a valid 64-bit signed int (docs/language.md, section 6), and a constraint accepts it. */
    { "int64_min_literal",
      "SELF:\n    a = {n:int}\nCOMPATIBLE:\n    where n > -9223372036854775808\n"
      "    c > -9223372036854775808\n    d = -9223372036854775808\n",
      0, 0, NULL },
    { "int64_min_in_constraint", HEAD "    b = {_x:int:-9223372036854775808..0}\n", 0, 0,
      NULL },
};
TABLE_TEST(syntax, clean)

Test(syntax, every_error_of_a_file_reported)
{
    lint("SELF:\n"                  /* 1 */
         "    a = {x:foo}\n"        /* 2 unknown type */
         "    b = \"open\n"         /* 3 unterminated */
         "COMPATIBLE:\n"            /* 4 */
         "    c == 1\n"             /* 5 '==' */
         "    d = a}b\n"            /* 6 '}' */
         "    e = {p:int}{q:int}\n" /* 7 adjacent */
         "    where (1\n"           /* 8 syntax */
         "    f =\n"                /* 9 missing value */
         "    x y\n");              /* 10 syntax */
    cr_expect_eq(L.st, DC_ERR_POLICY);
    static const uint32_t lines[] = { 2, 3, 5, 6, 7, 8, 9, 10 };
    cr_assert_eq(dc_diags_error_count(L.d), 8);
    for (size_t i = 0; i < 8; i++)
        cr_expect_eq(nth_diag(L.d, i)->line, lines[i], "error %zu", i);
}

Test(syntax, diagnostics_in_source_order)
{
    lint("SELF:\n    a = 1\nCOMPATIBLE:\n    b = {u}\n    c == 1\n    d = {v}\n");
    cr_assert_eq(dc_diags_count(L.d), 3);
    for (size_t i = 1; i < 3; i++)
        cr_expect_lt(nth_diag(L.d, i - 1)->line, nth_diag(L.d, i)->line);
}

Test(syntax, diagnostic_fields)
{
    one_error(HEAD "\tb = {x:integer}\n", 4, 9, "unknown type");
    const dc_diag *g = nth_diag(L.d, 0);
    cr_expect_str_eq(g->file, "t.compat");
    cr_expect_eq(g->end_col, 16, "end_col %u spans 'integer'", g->end_col);
    cr_expect_str_eq(g->source_line, "\tb = {x:integer}");
}

/* ------------------------------------------------------------ lexical errors */

Test(lexical, nul_byte)
{
    static const char text[] = HEAD "    b = x\0y\n    c = 1\n";
    lint_n(text, sizeof text - 1);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_assert_eq(dc_diags_error_count(L.d), 1);
    diag_at(0, 4, 10, "NUL");
}

Test(lexical, nul_byte_in_rule_head)
{
    static const char text[] = HEAD "    b\0 = 1\n    c = 1\n";
    lint_n(text, sizeof text - 1);
    cr_assert_eq(dc_diags_error_count(L.d), 1);
    diag_at(0, 4, 6, "NUL");
}

Test(lexical, non_ascii_byte)
{
    one_error(HEAD "    b = caf\xc3\xa9\n    c = 1\n", 4, 12, "non-ASCII byte 0xc3");
    one_error(HEAD "    \xff = 1\n", 4, 5, "non-ASCII byte 0xff");
}

Test(lexical, control_character)
{
    one_error(HEAD "    b = a\x01z\n", 4, 10, "control character 0x01");
    one_error(HEAD "    b\x1b = 1\n", 4, 6, "control character 0x1b");
    one_error(HEAD "    b = a\x7fz\n", 4, 10, "0x7f");
}

Test(lexical, unexpected_character)
{
    one_error(HEAD "    b ! 1\n", 4, 7, "unexpected character '!'");
    one_error(HEAD "    where has(source.x) $ 2\n", 4, 25, "unexpected character '$'");
}

Test(lexical, later_lines_still_checked)
{
    /* one error per bad line, and the good lines around them still parse */
    lint(HEAD "    b = \x01\n    c == 2\n    d = \xc3\n    e = {x:foo}\n");
    cr_expect_eq(dc_diags_error_count(L.d), 4);
    diag_at(0, 4, 9, "control character");
    diag_at(1, 5, 7, "'=='");
    diag_at(2, 6, 9, "non-ASCII");
    diag_at(3, 7, 12, "unknown type");
}

Test(lexical, no_cascade_in_placeholder)
{
    one_error(HEAD "    b = {1 + \xc3}\n", 4, 14, "non-ASCII");
    one_error(HEAD "    b = {1 + $}\n", 4, 14, "unexpected character '$'");
}

/* Regression (fixed): after a lexical error in a `where`, the part of the expression read
 * so far is still checked, so a second (cascade) error is reported: a type
 * error on the truncated expression. */
Test(lexical, no_cascade_in_where)
{
    one_error(HEAD "    where \"a\" = 1\n", 4, 15, "'=' in an expression");
    one_error(HEAD "    where 5 $ 3\n", 4, 13, "unexpected character '$'");
    one_error(HEAD "    where 5 \xc3\n", 4, 13, "non-ASCII");
}

/* ----------------------------------- limits (docs/language.md, 13) */

static char *repeat(const char *s, size_t n)
{
    size_t k = strlen(s);
    char *out = malloc(k * n + 1);
    cr_assert_not_null(out);
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * k, s, k);
    out[k * n] = '\0';
    return out;
}

/* A policy whose where nests `n` parentheses around the comparison. */
static char *nested_where(size_t n)
{
    char *open = repeat("(", n), *close = repeat(")", n);
    size_t cap = 2 * n + 128;
    char *t = malloc(cap);
    snprintf(t, cap, "SELF:\n    a = {v:int}\nCOMPATIBLE:\n    a = {v}\n    where %sv == 1%s\n",
             open, close);
    free(open);
    free(close);
    return t;
}

Test(limits, nesting_64_parentheses_pass)
{
    char *t = nested_where(64);
    clean(t);
    free(t);
}

Test(limits, nesting_65_parentheses_fail)
{
    char *t = nested_where(65);
    lint(t);
    free(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("nested too deeply"));
    cr_expect(has_error("64"), "the message names the limit");
}

Test(limits, nesting_in_placeholder)
{
    char *open = repeat("(", 64), *close = repeat(")", 64);
    char t[512];
    snprintf(t, sizeof t, "SELF:\n    a = {v:int}\nCOMPATIBLE:\n    b = {%sv%s}\n", open,
             close);
    clean(t);
    snprintf(t, sizeof t, "SELF:\n    a = {v:int}\nCOMPATIBLE:\n    b = {(%sv%s)}\n", open,
             close);
    lint(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("limit 64"));
    free(open);
    free(close);
}

/* Regression (fixed): 64 nested unary operators are one level too many for the checker,
 * although 64 nested parentheses are accepted: the depth counts the leaf
 * operand as a level, so operators only get 63.  (`v+(v+(...))` is
 * refused from 63 parentheses for the same reason.) */
Test(limits, nesting_64_operators_pass)
{
    char *nots = repeat("!", 64);
    char t[512];
    snprintf(t, sizeof t, "SELF:\n    a = {v:bool}\nCOMPATIBLE:\n    a = {v}\n    where %sv\n",
             nots);
    clean(t);
    free(nots);
}

Test(limits, nesting_65_operators_fail)
{
    char *nots = repeat("!", 65);
    char t[512];
    snprintf(t, sizeof t, "SELF:\n    a = {v:bool}\nCOMPATIBLE:\n    where %sv\n", nots);
    lint(t);
    free(nots);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("limit 64"));
}

/* A COMPATIBLE rule `b = {_v0:int}.{_v1:int}...` with n placeholders. */
static char *placeholders(size_t n)
{
    size_t cap = 64 + 16 * n;
    char *t = malloc(cap);
    size_t k = (size_t)snprintf(t, cap, HEAD "    b = ");
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(t + k, cap - k, "%s{_v%zu:int}", i ? "." : "", i);
    snprintf(t + k, cap - k, "\n");
    return t;
}

Test(limits, placeholders_16_pass)
{
    char *t = placeholders(16);
    clean(t);
    free(t);
}

Test(limits, placeholders_17_fail)
{
    char *t = placeholders(17);
    lint(t);
    free(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_assert_geq(dc_diags_error_count(L.d), 1);
    diag_at(0, 4, 9 + 10 * 9 + 6 * 10 + 16, "too many placeholders");
    cr_expect(has_error("limit 16"));
}

/* Regression (fixed): when a template is refused (too many placeholders, adjacent
 * placeholders), the variables it declares are dropped, and every later use
 * adds an "undeclared variable" error to the cascade. */
Test(limits, placeholders_17_no_cascade)
{
    char *t = placeholders(17);
    size_t n = strlen(t);
    t = realloc(t, n + 64);
    strcpy(t + n, "    where _v0 == _v1\n");
    errors(t, 1);
    free(t);
    errors(HEAD "    b = {x:int}{y:int}\n    where x == y\n", 1);
}

/* `n` variable declarations in SELF (self) or in a COMPATIBLE block. */
static char *variables(size_t n, bool self)
{
    size_t cap = 128 + 32 * n;
    char *t = malloc(cap);
    size_t k = (size_t)snprintf(t, cap, self ? "SELF:\n" : "SELF:\n    a = 1\nCOMPATIBLE:\n");
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(t + k, cap - k, "    f%zu = {_v%zu:int}\n", i, i);
    snprintf(t + k, cap - k, self ? "COMPATIBLE:\n    a = 1\n" : "");
    return t;
}

Test(limits, variables_256_pass)
{
    char *t = variables(256, false);
    clean(t);
    free(t);
    t = variables(256, true);
    clean(t);
    free(t);
}

Test(limits, variables_257_fail)
{
    char *t = variables(257, false);
    lint(t);
    free(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_assert_eq(dc_diags_error_count(L.d), 1);
    diag_at(0, 3 + 257, 13, "limit 256");
    t = variables(257, true);
    lint(t);
    free(t);
    cr_assert_eq(dc_diags_error_count(L.d), 1);
    diag_at(0, 1 + 257, 13, "limit 256");
}

Test(limits, variables_counted_per_scope)
{
    /* 200 in SELF and 200 in a block: each scope is under the limit */
    char *t = malloc(64 * 1024);
    size_t k = (size_t)sprintf(t, "SELF:\n");
    for (int i = 0; i < 200; i++)
        k += (size_t)sprintf(t + k, "    s%d = {_s%d:int}\n", i, i);
    k += (size_t)sprintf(t + k, "COMPATIBLE:\n");
    for (int i = 0; i < 200; i++)
        k += (size_t)sprintf(t + k, "    c%d = {_c%d:int}\n", i, i);
    k += (size_t)sprintf(t + k, "COMPATIBLE:\n");
    for (int i = 0; i < 200; i++)
        k += (size_t)sprintf(t + k, "    c%d = {_d%d:int}\n", i, i);
    clean(t);
    free(t);
}

static char *rules(size_t n)
{
    size_t cap = 64 + 24 * n;
    char *t = malloc(cap);
    size_t k = (size_t)snprintf(t, cap, HEAD);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(t + k, cap - k, "    f%zu = 1\n", i);
    return t;
}

Test(limits, rules_1024_pass)
{
    char *t = rules(1024);
    clean(t);
    free(t);
}

Test(limits, rules_1025_fail)
{
    char *t = rules(1025);
    lint(t);
    free(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_assert_eq(dc_diags_error_count(L.d), 1);
    diag_at(0, 3 + 1025, 5, "limit 1024");
}

/* A block past the rule limit is reported once and never read past its
 * end (the bug: lint and POLICY checks walked 1025 rules of a 1024 array,
 * a heap overflow seen with ASan/valgrind). */
Test(limits, rules_over_limit_in_every_kind_of_block)
{
    char *many = malloc(1100 * 24);
    size_t k = 0;
    for (int i = 0; i < 1025; i++)
        k += (size_t)sprintf(many + k, "    f%d = 1\n", i);
    char *t = malloc(1100 * 24 + 256);
    sprintf(t, "POLICY:\n%sSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n", many);
    lint(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("limit 1024"));
    sprintf(t, "SELF:\n    a = 1\nCOMPATIBLE:\n    where u == 1\n%s", many);
    lint(t);
    cr_expect(has_error("limit 1024"));
    cr_expect(has_error("undeclared variable 'u'"));
    sprintf(t, "SELF:\n%sCOMPATIBLE:\n    a = 1\n", many);
    lint(t);
    cr_expect(has_error("limit 1024"));
    free(t);
    t = malloc(2 * 1100 * 24 + 256);
    sprintf(t, "SELF:\n    a = 1\nCOMPATIBLE:\n%sCOMPATIBLE:\n%s", many, many);
    lint(t);
    cr_expect(has_error("limit 1024"));
    free(t);
    free(many);
}

static char *blocks(size_t n)
{
    size_t cap = 64 + 32 * n;
    char *t = malloc(cap);
    size_t k = (size_t)snprintf(t, cap, "SELF:\n    a = 1\n");
    for (size_t i = 1; i < n; i++)
        k += (size_t)snprintf(t + k, cap - k, "COMPATIBLE:\n    b = %zu\n", i);
    return t;
}

Test(limits, blocks_1024_pass)
{
    char *t = blocks(1024);
    clean(t);
    free(t);
    cr_expect_eq(dc_policy_block_count(L.pol), 1023);
}

Test(limits, blocks_1025_fail)
{
    char *t = blocks(1025);
    lint(t);
    free(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_assert_eq(dc_diags_error_count(L.d), 1);
    diag_at(0, 2 * 1025 - 1, 1, "limit 1024");
}

/* A valid policy of exactly `size` bytes (padded with a comment line). */
static char *sized(size_t size)
{
    static const char head[] = "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n";
    char *t = malloc(size + 1);
    cr_assert_not_null(t);
    memcpy(t, head, sizeof head - 1);
    t[sizeof head - 1] = '#';
    memset(t + sizeof head, 'x', size - sizeof head);
    t[size - 1] = '\n';
    t[size] = '\0';
    return t;
}

Test(limits, source_1mib_pass)
{
    char *t = sized(1u << 20);
    cr_expect_eq(lint_n(t, 1u << 20), DC_OK, "%s", L.err.message);
    free(t);
}

Test(limits, source_over_1mib_fails)
{
    char *t = sized((1u << 20) + 1);
    cr_expect_eq(lint_n(t, (1u << 20) + 1), DC_ERR_LIMIT);
    free(t);
    cr_expect_null(L.pol);
    cr_expect(strstr(L.err.message, "1048576") != NULL || strstr(L.err.message, "1 MiB"),
              "the error names the limit: %s", L.err.message);
    cr_expect(strstr(L.err.message, "t.compat") != NULL, "%s", L.err.message);
}

/* A valid policy of `n` lines. */
static char *lines(size_t n)
{
    char *t = malloc(n * 2 + 64);
    size_t k = (size_t)sprintf(t, "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n");
    for (size_t i = 4; i < n; i++) {
        t[k++] = '#';
        t[k++] = '\n';
    }
    t[k] = '\0';
    return t;
}

Test(limits, lines_65536_pass)
{
    char *t = lines(65536);
    clean(t);
    free(t);
}

Test(limits, lines_65536_without_final_newline_pass)
{
    char *t = lines(65536);
    t[strlen(t) - 1] = '\0';
    clean(t);
    free(t);
}

Test(limits, lines_65537_fail)
{
    char *t = lines(65537);
    lint(t);
    free(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_assert_eq(dc_diags_error_count(L.d), 1);
    diag_at(0, 65537, 1, "65536");
}

Test(limits, field_name_too_long)
{
    char *name = repeat("n", 256);
    char t[512];
    snprintf(t, sizeof t, HEAD "    %s = 1\n", name);
    lint(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("255"));
    name[255] = '\0';
    snprintf(t, sizeof t, HEAD "    %s = 1\n", name);
    clean(t);
    free(name);
}

/* ------------------------------------------------------------ robustness */

/* Every diagnostic is well formed, whatever the input. */
static void diags_sane(const char *what)
{
    size_t n = dc_diags_count(L.d);
    for (size_t i = 0; i < n; i++) {
        const dc_diag *g = nth_diag(L.d, i);
        cr_assert_not_null(g);
        cr_assert_geq(g->line, 1, "%s: line 0", what);
        cr_assert_geq(g->col, 1, "%s: col 0", what);
        cr_assert_gt(g->end_col, g->col, "%s", what);
        cr_assert_not_null(g->message);
        /* the line is quoted unless it is too long to be worth it */
        cr_assert(g->source_line || strlen(g->message) > 0);
        if (g->source_line)
            cr_assert_leq(strlen(g->source_line), 4096, "%s", what);
        cr_assert_gt(strlen(g->message), 0);
    }
    /* past the cap on reported diagnostics, errors are still counted */
    cr_assert_geq(dc_diags_error_count(L.d) + dc_diags_warning_count(L.d), n);
    if (L.st == DC_OK) {
        cr_assert_not_null(L.pol, "%s", what);
        cr_assert_eq(dc_diags_error_count(L.d), 0, "%s", what);
    } else {
        cr_assert_null(L.pol, "%s", what);
        cr_assert(L.st == DC_ERR_POLICY || L.st == DC_ERR_LIMIT, "%s: status %s", what,
                  dc_status_str(L.st));
        if (L.st == DC_ERR_POLICY)
            cr_assert_gt(dc_diags_error_count(L.d), 0, "%s", what);
    }
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64*: fixed seed, the same inputs every run */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

Test(robust, random_bytes, .timeout = 120)
{
    rng_state = 0x9e3779b97f4a7c15ull;
    char *buf = malloc(600);
    for (int i = 0; i < 3000; i++) {
        size_t n = rnd() % 600;
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)(rnd() & 0xff);
        /* exact-length copy: the text is not NUL-terminated */
        char *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        lint_n(copy, n);
        char what[32];
        snprintf(what, sizeof what, "random input %d", i);
        diags_sane(what);
        free(copy);
    }
    free(buf);
}

Test(robust, random_policy_like_text, .timeout = 120)
{
    /* pieces of the language shuffled: reaches deeper than random bytes */
    static const char *const pieces[] = {
        "SELF:",
        "COMPATIBLE:",
        "COMPATIBLE x:",
        "POLICY:",
        "\n",
        "\n",
        "\n",
        "    ",
        " ",
        "a",
        "b.c",
        "=",
        "!=",
        "<",
        ">=",
        "==",
        "where",
        "{",
        "}",
        "{x:int}",
        "{y:hex:1..f}",
        "{s:string:\"a\",b}",
        "{v:semver:^1.2 || 2.x}",
        "{b:bool:true}",
        "{z:set:a,b}",
        "{x}",
        "{x * 2}",
        "/",
        "+",
        "-",
        "*",
        "%",
        "(",
        ")",
        "\"",
        "\"q\"",
        "\\",
        "#",
        "1",
        "0x1f",
        "9223372036854775808",
        "..",
        ",",
        ":",
        "&&",
        "||",
        "!",
        "major(",
        "len(",
        "has(source.a)",
        "self.a",
        "source.b",
        "true",
        "\t",
        "\x01",
        "\xc3",
        "_u",
        "",
        "\r",
    };
    size_t np = sizeof pieces / sizeof pieces[0];
    rng_state = 12345;
    char *buf = malloc(8192);
    for (int i = 0; i < 3000; i++) {
        size_t n = 0, count = rnd() % 80;
        for (size_t k = 0; k < count; k++) {
            const char *p = pieces[rnd() % np];
            size_t len = strlen(p);
            memcpy(buf + n, p, len);
            n += len;
        }
        char *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        lint_n(copy, n);
        char what[32];
        snprintf(what, sizeof what, "policy-like input %d", i);
        diags_sane(what);
        free(copy);
    }
    free(buf);
}

Test(robust, hundred_thousand_parentheses_in_where, .timeout = 30)
{
    char *t = nested_where(100000);
    lint(t);
    free(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("nested too deeply"));
    diags_sane("parentheses");
}

Test(robust, hundred_thousand_parentheses_in_value, .timeout = 30)
{
    char *open = repeat("(", 100000), *close = repeat(")", 100000);
    size_t cap = 200000 + 128;
    char *t = malloc(cap);
    snprintf(t, cap,
             "SELF:\n    a = {v:int}\nCOMPATIBLE:\n    b = %s{v}%s+1\n    c = {%s1%s}\n", open,
             close, open, close);
    lint(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("nested too deeply"));
    diags_sane("parentheses in value");
    free(t);
    free(open);
    free(close);
}

Test(robust, hundred_thousand_unary_operators, .timeout = 30)
{
    char *minus = repeat("- ", 100000);
    size_t cap = 200000 + 128;
    char *t = malloc(cap);
    snprintf(t, cap, "SELF:\n    a = {v:int}\nCOMPATIBLE:\n    where %sv == 1\n", minus);
    lint(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("nested too deeply"));
    diags_sane("unary operators");
    free(t);
    free(minus);
}

Test(robust, long_operator_chain_is_not_nesting, .timeout = 30)
{
    /* 1 + 1 + ... is deep as a tree but written flat */
    char *chain = repeat("v + ", 10000);
    size_t cap = 40000 + 128;
    char *t = malloc(cap);
    snprintf(t, cap, "SELF:\n    a = {v:int}\nCOMPATIBLE:\n    where %sv > 0\n", chain);
    lint(t);
    diags_sane("operator chain");
    free(t);
    free(chain);
}

Test(robust, one_mib_line, .timeout = 30)
{
    size_t size = 1u << 20;
    char *t = malloc(size + 1);
    static const char head[] = HEAD "    b = ";
    memcpy(t, head, sizeof head - 1);
    memset(t + sizeof head - 1, 'y', size - sizeof head);
    t[size - 1] = '\n';
    t[size] = '\0';
    lint_n(t, size);
    cr_expect_eq(L.st, DC_OK);
    diags_sane("1 MiB line");
    /* the same line full of placeholders' braces */
    for (size_t i = sizeof head - 1; i + 1 < size; i++)
        t[i] = "{}"[i & 1];
    lint_n(t, size);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    diags_sane("1 MiB of braces");
    free(t);
}

Test(robust, many_errors_are_capped, .timeout = 30)
{
    /* 20000 bad lines: reported up to a cap, never crashing, still failing */
    char *bad = repeat("    x y\n", 20000);
    size_t cap = strlen(bad) + 64;
    char *t = malloc(cap);
    snprintf(t, cap, HEAD "%s", bad);
    lint(t);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect_gt(dc_diags_count(L.d), 10);
    diags_sane("many errors");
    free(t);
    free(bad);
}

Test(robust, null_and_empty_arguments)
{
    dc_policy *p = (dc_policy *)1;
    dc_error err = { 0 };
    cr_expect_eq(dc_policy_compile("t", NULL, 5, &p, NULL, &err), DC_ERR_INVALID);
    cr_expect_null(p);
    cr_expect_eq(dc_policy_compile(NULL, "x", 1, &p, NULL, &err), DC_ERR_INVALID);
    cr_expect_eq(dc_policy_compile("t", "x", 1, NULL, NULL, &err), DC_ERR_INVALID);
    /* an empty text is a policy without SELF or COMPATIBLE */
    lint_n("", 0);
    cr_expect_eq(L.st, DC_ERR_POLICY);
    cr_expect(has_error("no SELF"));
    cr_expect(has_error("no COMPATIBLE"));
}
