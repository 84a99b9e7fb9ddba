/* test_check.c -- names, scopes, types and lint (docs/language.md, sections 5 to 8 and 11) as the
 * compiler reports them: status, and each diagnostic's place and message. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devcompat.h"
#include "helpers.h"

/* ------------------------------------------------------------ helpers */

static struct {
    dc_policy *pol;
    dc_diags *d;
    dc_status st;
    dc_error err;
} K;

static void release(void)
{
    dc_policy_free(K.pol);
    dc_diags_free(K.d);
    memset(&K, 0, sizeof K);
}

TestSuite(scope, .fini = release);
TestSuite(typing, .fini = release);
TestSuite(constraint, .fini = release);
TestSuite(structure, .fini = release);
TestSuite(ordering, .fini = release);
TestSuite(warning, .fini = release);
TestSuite(policy, .fini = release);

static dc_status compile_file(const char *file, const char *text)
{
    release();
    K.st = dc_policy_compile(file, text, strlen(text), &K.pol, &K.d, &K.err);
    return K.st;
}

static dc_status compile(const char *text)
{
    return compile_file("t.compat", text);
}

static void dump(void)
{
    for (size_t i = 0; i < dc_diags_count(K.d); i++) {
        const dc_diag *g = nth_diag(K.d, i);
        cr_log_info("  %u:%u: %s: %s", g->line, g->col,
                    g->severity == DC_SEV_ERROR ? "error" : "warning", g->message);
    }
}

/* No diagnostic at all. */
static void clean(const char *text)
{
    compile(text);
    if (dc_diags_count(K.d))
        dump();
    cr_expect_eq(K.st, DC_OK, "status %s: %s\n%s", dc_status_str(K.st), K.err.message, text);
    cr_expect_eq(dc_diags_count(K.d), 0, "diagnostics for:\n%s", text);
    cr_expect_not_null(K.pol);
}

/* Exactly one diagnostic, of severity `sev`, at line:col, holding `want`.
 * An error fails the compile; a warning alone does not. */
static void one(dc_severity sev, const char *text, uint32_t line, uint32_t col,
                const char *want)
{
    compile(text);
    if (dc_diags_count(K.d) != 1)
        dump();
    cr_assert_eq(dc_diags_count(K.d), 1, "%zu diagnostics, want 1, for:\n%s",
                 dc_diags_count(K.d), text);
    const dc_diag *g = nth_diag(K.d, 0);
    cr_expect_eq(g->severity, sev, "severity of '%s'", g->message);
    cr_expect_eq(g->line, line, "'%s' at line %u, want %u", g->message, g->line, line);
    cr_expect_eq(g->col, col, "'%s' at col %u, want %u", g->message, g->col, col);
    cr_expect(strstr(g->message, want) != NULL, "'%s' lacks '%s'", g->message, want);
    if (sev == DC_SEV_ERROR) {
        cr_expect_eq(K.st, DC_ERR_POLICY);
        cr_expect_null(K.pol);
        cr_expect_eq(K.err.status, DC_ERR_POLICY);
        cr_expect(strstr(K.err.message, "t.compat") != NULL, "%s", K.err.message);
    } else {
        cr_expect_eq(K.st, DC_OK, "a warning alone fails the compile");
        cr_expect_not_null(K.pol);
    }
}

static void one_error(const char *text, uint32_t line, uint32_t col, const char *want)
{
    one(DC_SEV_ERROR, text, line, col, want);
}

static void one_warning(const char *text, uint32_t line, uint32_t col, const char *want)
{
    one(DC_SEV_WARNING, text, line, col, want);
}

static bool has_diag(dc_severity sev, const char *want)
{
    for (size_t i = 0; i < dc_diags_count(K.d); i++) {
        const dc_diag *g = nth_diag(K.d, i);
        if (g->severity == sev && strstr(g->message, want))
            return true;
    }
    return false;
}

#define HEAD "SELF:\n    a = 1\nCOMPATIBLE:\n" /* rules start on line 4 */

/* ------------------------------------------------------------ scopes (2.3) */

Test(scope, undeclared_in_placeholder)
{
    one_error(HEAD "    b = {u}\n", 4, 10, "undeclared variable 'u'");
}

Test(scope, undeclared_in_where)
{
    one_error(HEAD "    where u == 1\n", 4, 11, "undeclared variable 'u'");
}

Test(scope, undeclared_in_arithmetic_value)
{
    /* the conformance example lint-undeclared.compat */
    one_error("SELF:\n    device_api = vfio-pci\nCOMPATIBLE:\n    device_api = vfio-pci\n"
              "    aggregator = {k}/2\n",
              5, 18, "undeclared variable 'k'");
}

Test(scope, undeclared_in_function_argument)
{
    one_error(HEAD "    where major(u) == 1\n", 4, 17, "undeclared variable 'u'");
}

Test(scope, redeclared_in_block)
{
    one_error(HEAD "    b = {x:int}\n    c = {x:int}\n    where x > 0\n", 5, 10,
              "'x' is declared twice");
}

Test(scope, redeclared_in_one_template)
{
    compile(HEAD "    b = {x:int}.{x:int}\n    where x > 0\n");
    cr_expect_eq(K.st, DC_ERR_POLICY);
    cr_expect(has_diag(DC_SEV_ERROR, "declared twice"));
}

Test(scope, redeclared_in_self)
{
    one_error("SELF:\n    a = {x:int}\n    b = {x:hex}\nCOMPATIBLE:\n    c = {x}\n", 3, 10,
              "declared twice");
}

Test(scope, reference_after_declaration_in_text)
{
    clean(HEAD "    b = {x:int}\n    c = {x}\n    where x > 0\n");
}

/* Regression (fixed): a reference that precedes its declaration is reported as
 * "undeclared variable", not as a reference before the declaration (a lint
 * error of its own in docs/language.md, section 11), and the declaration then gets a spurious
 * "unused variable" warning. */
Test(scope, used_before_declaration)
{
    one_error(HEAD "    b = {x}\n    c = {x:int}\n", 4, 10, "before its declaration");
    one_error(HEAD "    where x > 0\n    c = {x:int}\n", 4, 11, "before its declaration");
}

Test(scope, used_before_declaration_fails)
{
    /* whatever the wording, the policy is refused */
    compile(HEAD "    b = {x}\n    c = {x:int}\n");
    cr_expect_eq(K.st, DC_ERR_POLICY);
    const dc_diag *g = nth_diag(K.d, 0);
    cr_assert_not_null(g);
    cr_expect_eq(g->line, 4);
    cr_expect_eq(g->col, 10);
}

Test(scope, self_variable_visible_in_every_compatible)
{
    clean("SELF:\n    v = {tv:semver}\nCOMPATIBLE:\n    v = {sv:semver}\n"
          "    where major(sv) == major(tv)\nCOMPATIBLE:\n    v = {tv}\n"
          "COMPATIBLE:\n    w = x{tv}y\n    where tv > semver(\"1.0\")\n");
}

Test(scope, self_variable_not_redeclarable)
{
    one_error("SELF:\n    v = {tv:semver}\n    where tv > semver(\"1.0\")\nCOMPATIBLE:\n"
              "    v = {tv:semver}\n",
              5, 10, "declared in SELF");
}

Test(scope, each_compatible_its_own_scope)
{
    /* the same name in two blocks: two variables */
    clean(HEAD "    b = {x:int}\n    where x > 0\nCOMPATIBLE:\n    b = {x:string}\n"
               "    where len(x) > 0\n");
    /* a block's variable is not visible in the next */
    one_error(HEAD "    b = {x:int}\n    where x > 0\nCOMPATIBLE:\n    c = {x}\n", 7, 10,
              "undeclared variable 'x'");
}

Test(scope, compatible_variable_not_visible_in_self)
{
    compile("SELF:\n    a = {y}\nCOMPATIBLE:\n    b = {y:int}\n");
    cr_expect_eq(K.st, DC_ERR_POLICY);
    const dc_diag *g = nth_diag(K.d, 0);
    cr_assert_not_null(g);
    cr_expect_eq(g->line, 2);
    cr_expect_eq(g->severity, DC_SEV_ERROR);
}

Test(scope, source_not_in_self)
{
    one_error("SELF:\n    a = 1\n    where source.a == \"1\"\nCOMPATIBLE:\n    a = 1\n", 3, 11,
              "'source.' is not available in SELF");
    one_error("SELF:\n    a = {source.b}\nCOMPATIBLE:\n    a = 1\n", 2, 10,
              "'source.' is not available in SELF");
    one_error("SELF:\n    where has(source.b)\nCOMPATIBLE:\n    a = 1\n", 2, 15,
              "'source.' is not available in SELF");
}

Test(scope, self_and_source_fields)
{
    clean("SELF:\n    a = 1\n    where self.b == \"x\" && has(self.c)\nCOMPATIBLE:\n"
          "    where source.a == self.a && int(source.n) > 0 && has(source.z.y)\n");
}

Test(scope, unknown_prefix)
{
    one_error(HEAD "    where foo.bar == \"1\"\n", 4, 11, "unknown name 'foo.bar'");
}

Test(scope, reserved_names)
{
    one_error(HEAD "    b = {self:int}\n", 4, 10, "reserved");
    one_error(HEAD "    b = {source:int}\n", 4, 10, "reserved");
}

Test(scope, declaration_only_under_equals)
{
    one_error(HEAD "    b != {x:int}\n", 4, 10, "only allowed in an '=' rule");
    one_error(HEAD "    b != v{x:int}\n", 4, 11, "not under '!='");
    one_error(HEAD "    b < {x:int}\n", 4, 9, "not under '<'");
    one_error(HEAD "    b >= {x:int}\n", 4, 10, "not under '>='");
}

Test(scope, same_template_expression)
{
    one_error(HEAD "    b = {n:int}.{n * 2}\n", 4, 17, "declared in the same template");
    /* a plain reference to it is fine: a later rule may compute */
    clean(HEAD "    b = {n:int}\n    c = {n * 2}\n");
}

/* ------------------------------------------------------------ types (2.4, 2.6) */

Test(typing, semver_function_of_int)
{
    one_error(HEAD "    where major(5) == 1\n", 4, 11, "major() takes a semver, not int");
}

Test(typing, string_plus_int)
{
    one_error(HEAD "    b = {\"a\" + 1}\n", 4, 10, "'+' takes integers, not string and int");
}

Test(typing, ordering_strings)
{
    one_error(HEAD "    where source.a < \"b\"\n", 4, 11, "orders integers or semvers");
}

Test(typing, ordering_bool_and_set)
{
    one_error(HEAD "    where true < false\n", 4, 11, "orders integers or semvers");
    one_error(HEAD "    where set(\"a\") < set(\"b\")\n", 4, 11, "orders integers or semvers");
}

Test(typing, where_not_bool)
{
    one_error(HEAD "    where int(source.a) + 2\n", 4, 11, "'where' needs a bool, not int");
    one_error(HEAD "    where source.a\n", 4, 11, "'where' needs a bool, not string");
}

Test(typing, wrong_arity)
{
    one_error(HEAD "    where major(semver(source.v), 1) == 1\n", 4, 11,
              "major() takes 1 argument, not 2");
    one_error(HEAD "    where min(1) == 1\n", 4, 11, "min() takes 2 arguments, not 1");
    one_error(HEAD "    where has() \n", 4, 11, "has() takes 1 argument, not 0");
}

Test(typing, unknown_function)
{
    one_error(HEAD "    where foo(1) == 1\n", 4, 11, "unknown function 'foo'");
}

Test(typing, mixed_comparisons)
{
    one_error(HEAD "    where int(source.a) == true\n", 4, 11, "cannot compare int with bool");
    one_error(HEAD "    where source.a == 1\n", 4, 11, "cannot compare string with int");
    one_error(HEAD "    where semver(source.v) == \"1.0\"\n", 4, 11,
              "cannot compare semver with string");
}

Test(typing, int_and_hex_mix)
{
    clean(HEAD "    b = {h:hex}\n    where h == 16 && h + 1 > 0x10 && min(h, 3) < 4\n");
}

Test(typing, unary_operators)
{
    one_error(HEAD "    where !1\n", 4, 11, "'!' takes a bool, not int");
    one_error(HEAD "    where -true\n", 4, 11, "'-' takes an integer, not bool");
}

Test(typing, function_argument_types)
{
    one_error(HEAD "    where len(5) == 1\n", 4, 11, "len() takes a string or a set");
    one_error(HEAD "    where contains(\"a\", \"b\")\n", 4, 11,
              "contains() takes a set and a string");
    one_error(HEAD "    where subset(set(source.a), \"b\")\n", 4, 11,
              "subset() takes two sets");
    one_error(HEAD "    where int(5) == 5\n", 4, 11, "int() takes a string, not int");
    one_error(HEAD "    where max(\"a\", 1) == 1\n", 4, 11, "max() takes two integers");
    one_error(HEAD "    where has(x)\n", 4, 15, "has() takes a fact");
}

Test(typing, bits_takes_an_integer)
{
    one_error(HEAD "    where len(bits(\"x\")) == 1\n", 4, 15,
              "type error: bits() takes an int or a hex, not string");
    one_error(HEAD "    where contains(bits(semver(source.v)), \"1\")\n", 4, 20,
              "bits() takes an int or a hex, not semver");
    one_error(HEAD "    where bits(1, 2) == bits(3)\n", 4, 11,
              "bits() takes 1 argument, not 2");
    one_error(HEAD "    where bits(1)\n", 4, 11, "'where' needs a bool, not set");
    clean(HEAD
          "    b = {h:hex}\n    c = {n:int}\n"
          "    where subset(bits(h), bits(n)) && subset(bits(hex(source.m)), bits(0x1f))\n");
}

Test(typing, quantifiers_over_records)
{
    clean(HEAD "    where all(source.sla, s, any(self.sla, t, t.srv == s.srv && "
               "int(t.cir) >= int(s.cir)))\n");
    clean(HEAD "    where any(source.r, x, has(x.v)) || !all(self.r, y, y.v == \"1\")\n");
    one_error(HEAD "    where all(source.r, x, all(source.r, y, all(source.r, z, true)))\n", 4,
              45, "all() and any() nest at most 2 deep");
    one_error(HEAD "    where all(source.r, x, u.v == \"1\")\n", 4, 28,
              "unknown record 'u' in 'u.v': the records here are x");
    one_error(HEAD "    where all(source.r, x, x == \"1\")\n", 4, 28,
              "'x' is a record: read its fields as x.FIELD");
    one_error(HEAD "    where all(source.r, x, x.v)\n", 4, 28,
              "type error: all() needs a bool condition, not string");
    one_error(HEAD "    where all(source.r, x)\n", 4, 11, "all() takes 3 arguments, not 2");
    one_error(
        HEAD "    where any(r, x, true)\n", 4, 15,
        "any() walks the records of a list: any(source.LIST, ...) or any(self.LIST, ...)");
    one_error(HEAD "    where any(source.r, x.y, true)\n", 4, 25,
              "any() names its record with a plain name");
    one_error(HEAD "    where all(source.r, x, any(self.q, x, true))\n", 4, 40,
              "'x' already names the record of an outer all() or any()");
    one_error(HEAD "    a = {_n:int}\n    where all(source.r, _n, true)\n", 5, 25,
              "'_n' is a variable: name the record otherwise");
    one_error(HEAD "    a = {all(source.r, x, true)}\n", 4, 10,
              "all() is allowed only in a where");
    one_error("SELF:\n    k = v\n    where all(source.r, x, true)\nCOMPATIBLE:\n    a = 1\n", 3,
              15, "'source.' is not available in SELF");
    one_error(HEAD "    where x.v == \"1\"\n", 4, 11, "unknown name 'x.v'");
}

Test(typing, arithmetic_value_must_be_integer)
{
    one_error(HEAD "    b = {s:string}\n    c = {s}/2\n", 5, 9, "'/' takes integers");
}

Test(typing, set_not_part_of_template)
{
    one_error(HEAD "    b = {s:set}\n    c = x{s}\n", 5, 10,
              "a set cannot be a part of a template");
    clean(HEAD "    b = {s:set}\n    c = {s}\n");
}

Test(typing, errors_in_every_rule_reported)
{
    compile(HEAD "    where major(5) == 1\n    where \"a\" + 1 == 2\n    where foo(1)\n"
                 "    b = {u}\n");
    cr_expect_eq(dc_diags_error_count(K.d), 4);
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(nth_diag(K.d, i)->line, 4 + i);
}

/* ------------------------------------------------------------ constraints (2.5) */

Test(constraint, empty_int_range)
{
    /* the conformance example lint-emptyrange.compat */
    one_error("SELF:\n    device_api = vfio-pci\nCOMPATIBLE:\n    a = {x:int:9..1}\n", 4, 16,
              "empty constraint");
}

Test(constraint, empty_hex_range)
{
    one_error(HEAD "    b = {x:hex:0x1f..0x10}\n", 4, 16, "empty constraint");
}

Test(constraint, empty_semver_range)
{
    one_error(HEAD "    b = {x:semver:>2.0.0 <1.0.0}\n", 4, 19, "empty constraint");
    one_error(HEAD "    b = {x:semver:^1.2.3 <1.0.0}\n", 4, 19, "empty constraint");
}

Test(constraint, nonempty_ranges)
{
    clean(HEAD "    b = {_a:int:5..5}\n    c = {_b:int:..-1,1..}\n    d = {_c:hex:ff..ff}\n"
               "    e = {_d:semver:>=1.0.0 <1.0.1}\n    f = {_e:semver:<1.0.0 || >2.0.0}\n");
}

Test(constraint, bad_items)
{
    one_error(HEAD "    b = {x:int:1,,2}\n", 4, 18, "empty item");
    one_error(HEAD "    b = {x:int:abc}\n", 4, 16, "'abc' is not an int value");
    one_error(HEAD "    b = {x:int:1..z}\n", 4, 19, "'z' is not an int value");
    one_error(HEAD "    b = {x:hex:zz}\n", 4, 16, "'zz' is not a hex value");
    one_error(HEAD "    b = {x:int:9223372036854775808}\n", 4, 16, "not an int value");
    one_error(HEAD "    b = {x:bool:maybe}\n", 4, 17, "'true' or 'false'");
    one_error(HEAD "    b = {x:semver:>>1}\n", 4, 19, "invalid semver range");
}

Test(constraint, trailing_comma_is_empty_item)
{
    compile(HEAD "    b = {x:int:1,2,}\n");
    cr_expect_eq(K.st, DC_ERR_POLICY);
    cr_expect(has_diag(DC_SEV_ERROR, "empty item"));
}

Test(constraint, every_type_accepts_a_constraint)
{
    clean(HEAD "    b = {_a:int:1,2,4..8}\n    c = {_b:hex:0x10..0x1f,0x30}\n"
               "    d = {_c:string:\"x y\",z}\n    e = {_d:semver:^1.2 || ~2.0.1 || 3.x}\n"
               "    f = {_e:bool:true}\n    g = {_f:set:a,b,c}\n");
}

/* ------------------------------------------------------------ structure (2, 2.9) */

Test(structure, no_self)
{
    compile("COMPATIBLE:\n    a = 1\n");
    cr_expect_eq(K.st, DC_ERR_POLICY);
    cr_assert_eq(dc_diags_count(K.d), 1);
    cr_expect(has_diag(DC_SEV_ERROR, "no SELF block"));
}

Test(structure, no_compatible)
{
    compile("SELF:\n    a = 1\n");
    cr_expect_eq(K.st, DC_ERR_POLICY);
    cr_assert_eq(dc_diags_count(K.d), 1);
    cr_expect(has_diag(DC_SEV_ERROR, "no COMPATIBLE block"));
}

/* Fail closed (docs/language.md, section 2): an empty block is an error, a
 * COMPATIBLE block that reads nothing of the source a warning. */
Test(structure, empty_blocks_are_errors)
{
    one_error("SELF:\n    a = 1\nCOMPATIBLE:\n", 3, 1,
              "empty COMPATIBLE block: a block holds at least one rule (an empty one would "
              "accept every source)");
    one_error("SELF:\nCOMPATIBLE:\n    a = 1\n", 1, 1,
              "empty SELF block: a block holds at least one rule");
    one_error("POLICY:\n# name = x\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 1, 1,
              "empty POLICY block");
    /* comments and blank lines are not rules */
    one_error("SELF:\n    a = 1\nCOMPATIBLE:\n  # a = 1\n\nCOMPATIBLE:\n    a = 1\n", 3, 1,
              "empty COMPATIBLE block");
    /* a rule dropped for a syntax error is not called empty on top */
    one_error("SELF:\n    a = 1\nCOMPATIBLE:\n    a == 1\n", 4, 7, "'==' in a rule");
}

/* upstream's UUID1 cut after its first COMPATIBLE header (head -8) */
Test(structure, truncated_self_describing_text_is_refused)
{
    one_error("SELF:\n\tdevice_type=pci\n\tdevice_id=8086591d\n\tmdev_type=i915-GVTg_V5_2\n"
              "\taggregator=1\n\tpv_mode=\"none+ppgtt+context\"\n\tinterface_version=3\n"
              "COMPATIBLE:\n",
              8, 1, "empty COMPATIBLE block");
}

Test(warning, block_reading_nothing_of_the_source)
{
    one_warning("SELF:\n    a = {n:int}\nCOMPATIBLE:\n    a = 1\nCOMPATIBLE x:\n"
                "    where self.a == \"1\"\n    where n > 0\n",
                5, 1, "block 1 accepts every source: none of its rules reads the source");
    /* source.F in a where reads the source */
    clean("SELF:\n    a = {n:int}\nCOMPATIBLE:\n    where int(source.a) == n\n");
    /* an error in the block: no warning on top */
    one_error("SELF:\n    a = 1\nCOMPATIBLE:\n    where has(nope)\n", 4, 15,
              "has() takes a fact");
}

Test(structure, two_self)
{
    one_error("SELF:\n    a = 1\nSELF:\n    b = 2\nCOMPATIBLE:\n    a = 1\n", 3, 1,
              "second SELF block");
}

Test(structure, two_policy)
{
    one_error("POLICY:\n    name = a\nPOLICY:\n    name = b\nSELF:\n    a = 1\n"
              "COMPATIBLE:\n    a = 1\n",
              3, 1, "second POLICY block");
}

/* Regression (fixed): SELF after a COMPATIBLE block is reported twice: "SELF must come
 * before the COMPATIBLE blocks" and then "no SELF block", which is false. */
Test(structure, self_after_compatible_one_error)
{
    one_error("COMPATIBLE:\n    a = 1\nSELF:\n    a = 1\n", 3, 1, "SELF");
}

Test(structure, self_after_compatible_refused)
{
    compile("COMPATIBLE:\n    a = 1\nSELF:\n    a = 1\n");
    cr_expect_eq(K.st, DC_ERR_POLICY);
    cr_expect_eq(nth_diag(K.d, 0)->line, 3);
}

Test(structure, uuid_examples_are_clean)
{
    clean(
        "# UUID1\nSELF:\n\tdevice_type=pci\n\tdevice_id=8086591d\n\tmdev_type=i915-GVTg_V5_2\n"
        "\taggregator=1\n\tpv_mode=\"none+ppgtt+context\"\n\tinterface_version=3\n"
        "COMPATIBLE:\n\tdevice_type=pci\n\tdevice_id=8086591d\n"
        "\tmdev_type=i915-GVTg_V5_{val1:int:1,2,4,8}\n\taggregator={val1}/2\n"
        "\tpv_mode={val2:string:\"none+ppgtt\",\"none+context\",\"none+ppgtt+context\"}\n"
        "\tinterface_version={val3:int:2,3}\nCOMPATIBLE:\n\tdevice_type=pci\n"
        "\tdevice_id=8086591d\n\tmdev_type=i915-GVTg_V5_{val1:int:1,2,4,8}\n"
        "\taggregator={val1}/2\n"
        "\tpv_mode=\"\"  #\"\" meaning empty, could be absent in a compatible device\n"
        "\tinterface_version=1\n");
}

/* ------------------------------------------------------------ ordering operators (2.2) */

Test(ordering, untyped_values)
{
    one_error(HEAD "    b < \"5\"\n", 4, 7, "ordering operator '<' on an untyped value");
    one_error(HEAD "    b >= \"\"\n", 4, 7, "ordering operator '>=' on an untyped value");
    one_error(HEAD "    b > abc\n", 4, 9, "ordering operator '>' on an untyped value");
    one_error(HEAD "    b <= 1.2.3\n", 4, 10, "untyped value");
    one_error("SELF:\n    a = {n:int}\nCOMPATIBLE:\n    b < x{n}\n", 4, 9, "untyped value");
}

/* Regression (fixed): the hint of "ordering operator on an untyped value" suggests a
 * declaration such as {v:int}, which is itself an error under an ordering
 * operator (docs/language.md, section 4: a declaration only in an '=' rule). */
Test(ordering, hint_does_not_suggest_a_declaration)
{
    one_error(HEAD "    b < \"5\"\n", 4, 7, "untyped value");
    const char *m = nth_diag(K.d, 0)->message;
    cr_expect(strstr(m, ":int}") == NULL, "the hint suggests a forbidden declaration: %s", m);
}

Test(ordering, typed_values)
{
    clean("SELF:\n    a = {n:int}\n    v = {tv:semver}\n    h = {th:hex}\nCOMPATIBLE:\n"
          "    b < 5\n    c >= -3\n    d <= 0x1f\n    e > {n}\n    f < {n * 2}\n"
          "    g >= {tv}\n    h <= {th}\n    i < {n}+1\n");
}

Test(ordering, non_orderable_reference)
{
    one_error("SELF:\n    a = {s:string}\nCOMPATIBLE:\n    b < {s}\n", 4, 9,
              "orders integers or semvers, not string");
    one_error("SELF:\n    a = {s:set}\nCOMPATIBLE:\n    b < {s}\n", 4, 9,
              "orders integers or semvers, not set");
    one_error("SELF:\n    a = {s:bool}\nCOMPATIBLE:\n    b > {s}\n", 4, 9,
              "orders integers or semvers, not bool");
}

/* ------------------------------------------------------------ warnings (2.9) */

Test(warning, unused_variable)
{
    one_warning(HEAD "    b = {x:int}\n", 4, 10, "unused variable 'x'");
    one_warning("SELF:\n    a = {t:int}\nCOMPATIBLE:\n    b = 1\n", 2, 10,
                "unused variable 't'");
}

Test(warning, underscore_exempt)
{
    clean(HEAD "    b = {_x:int}\n    c = {_:string}\n");
}

Test(warning, constrained_declaration_is_a_use)
{
    /* {val3:int:2,3} checks the fact: the upstream example relies on it */
    clean(HEAD "    b = {x:int:2,3}\n");
}

Test(warning, used_only_in_where)
{
    clean(HEAD "    b = {x:int}\n    where x > 1\n");
}

Test(warning, used_in_later_block_via_self)
{
    clean("SELF:\n    a = {t:int}\nCOMPATIBLE:\n    b = 1\nCOMPATIBLE:\n    b = {t}\n");
}

Test(warning, repeated_rule)
{
    one_warning(HEAD "    b = 1\n    c = 2\n    b = 1\n", 6, 5,
                "rule repeated in this block (first on line 4)");
}

Test(warning, repeated_where)
{
    one_warning(HEAD "    where has(source.x)\n    where has(source.x)\n", 5, 5,
                "rule repeated in this block");
}

Test(warning, same_rule_in_two_blocks_is_fine)
{
    clean(HEAD "    b = 1\n    c = 1\nCOMPATIBLE:\n    b = 1\n    c = 2\n");
}

Test(warning, identical_compatible_block)
{
    one_warning(HEAD "    b = 1\n    c = 2\nCOMPATIBLE:\n    b = 1\n    c = 2\n", 6, 1,
                "COMPATIBLE block identical to the one on line 3");
}

Test(warning, identical_block_despite_layout)
{
    /* indentation and comments do not make a block different */
    compile(HEAD "    b = 1\nCOMPATIBLE x:\n\tb = 1 # same\n");
    cr_expect(has_diag(DC_SEV_WARNING, "identical"));
}

Test(warning, constant_where)
{
    one_warning(HEAD "    a = 1\n    where 1 == 1\n", 5, 11, "constant 'where'");
    one_warning(HEAD "    a = 1\n    where true\n", 5, 11, "constant 'where'");
    one_warning(HEAD "    a = 1\n    where len(\"abc\") > 2 && !false\n", 5, 11,
                "constant 'where'");
}

Test(warning, where_on_device_is_not_constant)
{
    clean(HEAD "    where has(source.x)\n    where len(source.y) > 2\n");
}

Test(warning, warnings_do_not_fail)
{
    compile(HEAD
            "    b = {x:int}\n    b = {y:int}\n    where true\nCOMPATIBLE:\n    b = {x:int}\n"
            "    b = {y:int}\n    where true\n");
    cr_expect_eq(K.st, DC_OK);
    cr_expect_not_null(K.pol);
    cr_expect_eq(dc_diags_error_count(K.d), 0);
    cr_expect_geq(dc_diags_warning_count(K.d), 4);
}

/* ------------------------------------------------------------ POLICY and names */

Test(policy, literals_only)
{
    one_error("POLICY:\n    name = {x:int}\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 2, 5,
              "POLICY holds metadata only");
    one_error("POLICY:\n    where 1 == 1\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 2, 5,
              "POLICY holds metadata only");
    one_error("POLICY:\n    name != x\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 2, 5,
              "POLICY holds metadata only");
    one_error("POLICY:\n    n = {1}+2\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n", 2, 5,
              "POLICY holds metadata only");
}

Test(policy, name_from_policy_block)
{
    clean("POLICY:\n    name = i915-gvt\n    description = \"Intel GVT-g\"\nSELF:\n    a = 1\n"
          "COMPATIBLE:\n    a = 1\n");
    cr_expect_str_eq(dc_policy_name(K.pol), "i915-gvt");
}

Test(policy, quoted_name)
{
    clean("POLICY:\n    name = \"my policy\"\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n");
    cr_expect_str_eq(dc_policy_name(K.pol), "my policy");
}

Test(policy, name_from_file_name)
{
    compile_file("policies/nvme-vf.compat", "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n");
    cr_assert_eq(K.st, DC_OK);
    cr_expect_str_eq(dc_policy_name(K.pol), "nvme-vf");
    cr_expect_str_eq(dc_policy_file(K.pol), "policies/nvme-vf.compat");
    compile_file("plain", "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n");
    cr_expect_str_eq(dc_policy_name(K.pol), "plain");
    compile_file("/a.b/c.d.compat", "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n");
    cr_expect_str_eq(dc_policy_name(K.pol), "c.d");
}

Test(policy, empty_name_falls_back_to_file)
{
    compile_file("dir/x.compat",
                 "POLICY:\n    name = \"\"\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n");
    cr_assert_eq(K.st, DC_OK);
    cr_expect_str_eq(dc_policy_name(K.pol), "x");
}

Test(policy, diagnostics_name_the_file)
{
    compile_file("vendor/gpu.compat", HEAD "    b = {u}\n");
    cr_assert_eq(dc_diags_count(K.d), 1);
    cr_expect_str_eq(nth_diag(K.d, 0)->file, "vendor/gpu.compat");
    cr_expect(strstr(K.err.message, "vendor/gpu.compat") != NULL, "%s", K.err.message);
}
