/* test_vm.c -- evaluation (docs/language.md, sections 4 to 10) through the public API: a policy
 * compiled from a string, facts built with dc_facts_add, prepared, checked,
 * and the verdict, block, bindings and reasons read back. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devcompat.h"
#include "helpers.h"

/* ------------------------------------------------------------ helpers */

/* One check's objects, released by the suite's fini (and before reuse). */
static struct {
    dc_policy *pol;
    dc_facts *src, *tgt;
    dc_prepared *ps, *pt;
    dc_result *res;
} C;

static void release(void)
{
    dc_result_free(C.res);
    dc_prepared_free(C.ps);
    dc_prepared_free(C.pt);
    dc_facts_free(C.src);
    dc_facts_free(C.tgt);
    dc_policy_free(C.pol);
    memset(&C, 0, sizeof C);
}

TestSuite(rule, .fini = release);
TestSuite(missing, .fini = release);
TestSuite(types, .fini = release);
TestSuite(constraint, .fini = release);
TestSuite(expr, .fini = release);
TestSuite(func, .fini = release);
TestSuite(template, .fini = release);
TestSuite(eval, .fini = release);
TestSuite(bindings, .fini = release);
TestSuite(upstream, .fini = release);
TestSuite(api, .fini = release);

static dc_policy *compile_ok(const char *text)
{
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err = { 0 };
    dc_status st = dc_policy_compile("t.compat", text, strlen(text), &pol, &d, &err);
    if (st != DC_OK) {
        for (size_t i = 0; i < dc_diags_count(d); i++) {
            const dc_diag *g = nth_diag(d, i);
            cr_log_error("t.compat:%u:%u: %s", g->line, g->col, g->message);
        }
    }
    dc_diags_free(d);
    cr_assert_eq(st, DC_OK, "policy does not compile (%s): %s\n%s", dc_status_str(st),
                 err.message, text);
    cr_assert_not_null(pol);
    return pol;
}

/* Facts from "name=value" lines (a value may be empty; no trimming here:
 * dc_facts_add trims). */
static dc_facts *mkfacts(const char *kv)
{
    dc_facts *f = new_facts(NULL);
    cr_assert_not_null(f);
    const char *p = kv;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        cr_assert_not_null(eq, "bad facts line in test: %.*s", (int)n, p);
        char name[300];
        size_t nlen = (size_t)(eq - p);
        cr_assert_lt(nlen, sizeof name);
        memcpy(name, p, nlen);
        name[nlen] = '\0';
        dc_error err = { 0 };
        dc_status st = dc_facts_add(f, name, eq + 1, n - nlen - 1, &err);
        cr_assert_eq(st, DC_OK, "dc_facts_add(%s): %s", name, err.message);
        p = eol ? eol + 1 : NULL;
    }
    return f;
}

/* Compile `policy`, check source `src` against target `tgt` (facts as
 * "name=value" lines), return the verdict; the result stays in C.res. */
static dc_verdict check(const char *policy, const char *src, const char *tgt)
{
    release();
    C.pol = compile_ok(policy);
    C.src = mkfacts(src);
    C.tgt = mkfacts(tgt);
    dc_error err = { 0 };
    cr_assert_eq(dc_prepare(C.pol, C.src, &C.ps, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_prepare(C.pol, C.tgt, &C.pt, &err), DC_OK, "%s", err.message);
    C.res = new_result(C.pol);
    cr_assert_not_null(C.res);
    cr_assert_eq(dc_check(C.pol, C.ps, C.pt, C.res), DC_OK);
    return dc_result_verdict(C.res);
}

#define SELF_T "SELF:\n    kind = t\n"

/* Rules of a single COMPATIBLE block against source facts; the target is
 * kind=t and SELF only checks that. */
static dc_verdict src_check(const char *rules, const char *src)
{
    static char buf[1 << 16];
    snprintf(buf, sizeof buf, SELF_T "COMPATIBLE:\n%s\n", rules);
    return check(buf, src, "kind=t");
}

/* As src_check, with SELF rules and target facts of the test's own. */
static dc_verdict pair_check(const char *self_rules, const char *compat_rules, const char *src,
                             const char *tgt)
{
    static char buf[1 << 16];
    snprintf(buf, sizeof buf, "SELF:\n%s\nCOMPATIBLE:\n%s\n", self_rules, compat_rules);
    return check(buf, src, tgt);
}

#define COMPATIBLE(rules, src)                                                                 \
    cr_expect_eq(src_check(rules, src), DC_COMPATIBLE, "want compatible: [%s] with [%s]%s",    \
                 rules, src, explain())
#define INCOMPATIBLE(rules, src)                                                               \
    cr_expect_eq(src_check(rules, src), DC_INCOMPATIBLE, "want incompatible: [%s] with [%s]",  \
                 rules, src)

static const char *explain(void)
{
    static char buf[2048];
    const char *e = C.res ? explanation(C.res) : NULL;
    snprintf(buf, sizeof buf, "%s%s", e && *e ? "\n" : "", e ? e : "");
    return buf;
}

static dc_reason reason(size_t i)
{
    dc_reason r = DC_REASON_INIT;
    cr_assert_lt(i, dc_result_reason_count(C.res), "no reason %zu", i);
    cr_assert_eq(dc_result_reason_get(C.res, i, &r), DC_OK, "dc_result_reason_get(%zu) failed",
                 i);
    cr_assert_not_null(r.message);
    return r;
}

/* The message of the first reason contains `want` (case-sensitive). */
static void expect_reason_has(const char *want)
{
    dc_reason r = reason(0);
    cr_expect(strstr(r.message, want) != NULL, "reason '%s' lacks '%s'", r.message, want);
}

static dc_binding binding(const char *name)
{
    dc_binding b = DC_BINDING_INIT;
    for (size_t i = 0; i < dc_result_binding_count(C.res); i++) {
        cr_assert_eq(dc_result_binding_get(C.res, i, &b), DC_OK);
        if (!strcmp(b.name, name))
            return b;
    }
    cr_assert_fail("no binding '%s'", name);
    memset(&b, 0, sizeof b);
    return b;
}

static void expect_binding(const char *name, const char *text)
{
    dc_binding b = binding(name);
    cr_expect_str_eq(b.text, text, "binding %s", name);
}

/* ------------------------------------------------------------ rules (2.1, 2.2) */

Test(rule, eq_literal_is_exact)
{
    COMPATIBLE("    a = vfio-pci", "a=vfio-pci");
    INCOMPATIBLE("    a = vfio-pci", "a=vfio-pci2");
    INCOMPATIBLE("    a = vfio-pci", "a=VFIO-PCI");
    INCOMPATIBLE("    a = vfio-pci", "a=vfio");
}

Test(rule, eq_literal_digits_compare_as_text)
{
    /* With no placeholder a value is a string compared exactly (2.2). */
    COMPATIBLE("    a = 80865963", "a=80865963");
    INCOMPATIBLE("    a = 1.0.0", "a=1.0");
    INCOMPATIBLE("    a = 0x10", "a=16");
}

Test(rule, eq_integer_literal_is_text_too)
{
    COMPATIBLE("    a = 5", "a=5");
    INCOMPATIBLE("    a = 5", "a=05");
}

Test(rule, eq_literal_keeps_hash_not_after_blank)
{
    COMPATIBLE("    b = x=#a", "b=x=#a");
    INCOMPATIBLE("    b = x=#a", "b=x=");
}

Test(rule, trailing_comment_is_not_value)
{
    COMPATIBLE("    d = 5 #c", "d=5");
    COMPATIBLE("    d = 5\t# tab then comment", "d=5");
    COMPATIBLE("    c = \"q#x\" # comment", "c=q#x");
    COMPATIBLE("    c = \"q #x\"", "c=q #x");
}

Test(rule, blanks_around_value_ignored)
{
    COMPATIBLE("    a =    spaced   ", "a=spaced");
    COMPATIBLE("    a=tight", "a=tight");
    COMPATIBLE("\ta\t=\tx y", "a=x y");
}

Test(rule, quoted_literal)
{
    COMPATIBLE("    a = \"none+ppgtt\"", "a=none+ppgtt");
    COMPATIBLE("    a = \"two words\"", "a=two words");
    INCOMPATIBLE("    a = \"two words\"", "a=two  words");
    /* a quoted value is never a template or an expression */
    COMPATIBLE("    a = \"{x:int}\"", "a={x:int}");
    COMPATIBLE("    a = \"1+2\"", "a=1+2");
}

Test(rule, quoted_escapes)
{
    COMPATIBLE("    a = \"say \\\"hi\\\"\"", "a=say \"hi\"");
    COMPATIBLE("    a = \"back\\\\slash\"", "a=back\\slash");
    COMPATIBLE("    a = \"tab\\there\"", "a=tab\there");
    release();
    /* \n: a fact value keeps inner newlines (1) */
    C.pol = compile_ok(SELF_T "COMPATIBLE:\n    a = \"line1\\nline2\"\n");
    C.src = new_facts(NULL);
    C.tgt = mkfacts("kind=t");
    cr_assert_eq(dc_facts_add(C.src, "a", "line1\nline2", 11, NULL), DC_OK);
    C.res = new_result(C.pol);
    cr_assert_eq(dc_check_facts(C.pol, C.src, C.tgt, C.res, NULL), DC_OK);
    cr_expect_eq(dc_result_verdict(C.res), DC_COMPATIBLE);
}

Test(rule, eq_empty_absent_or_empty)
{
    COMPATIBLE("    pv_mode = \"\"", "other=1");
    COMPATIBLE("    pv_mode = \"\"", "pv_mode=");
    COMPATIBLE("    pv_mode = \"\"", "pv_mode=   ");
    INCOMPATIBLE("    pv_mode = \"\"", "pv_mode=none");
}

Test(rule, ne_empty_present_and_nonempty)
{
    COMPATIBLE("    pv_mode != \"\"", "pv_mode=none");
    INCOMPATIBLE("    pv_mode != \"\"", "other=1");
    INCOMPATIBLE("    pv_mode != \"\"", "pv_mode=");
}

Test(rule, ne_literal)
{
    COMPATIBLE("    a != vfio-ccw", "a=vfio-pci");
    INCOMPATIBLE("    a != vfio-ccw", "a=vfio-ccw");
}

Test(rule, ne_quoted)
{
    COMPATIBLE("    a != \"x y\"", "a=x  y");
    INCOMPATIBLE("    a != \"x y\"", "a=x y");
}

Test(rule, ne_template_with_reference)
{
    const char *self = "    kind = t\n    n = {sn:int}";
    cr_expect_eq(pair_check(self, "    type != V5_{sn}", "type=V5_4", "kind=t\nn=2"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    type != V5_{sn}", "type=V5_2", "kind=t\nn=2"),
                 DC_INCOMPATIBLE);
    /* the span parses as int: V5_02 is V5_2 */
    cr_expect_eq(pair_check(self, "    type != V5_{sn}", "type=V5_02", "kind=t\nn=2"),
                 DC_INCOMPATIBLE);
    /* a value that does not match the template at all is "not equal" */
    cr_expect_eq(pair_check(self, "    type != V5_{sn}", "type=other", "kind=t\nn=2"),
                 DC_COMPATIBLE);
}

Test(rule, ne_expression)
{
    const char *self = "    kind = t\n    n = {sn:int}";
    cr_expect_eq(pair_check(self, "    a != {sn}*2", "a=4", "kind=t\nn=2"), DC_INCOMPATIBLE);
    cr_expect_eq(pair_check(self, "    a != {sn}*2", "a=5", "kind=t\nn=2"), DC_COMPATIBLE);
    /* a fact that does not parse as an int fails the rule, even under != */
    cr_expect_eq(pair_check(self, "    a != {sn}*2", "a=four", "kind=t\nn=2"), DC_INCOMPATIBLE);
    cr_expect_eq(pair_check(self, "    a != {sn}", "a=four", "kind=t\nn=2"), DC_INCOMPATIBLE);
}

Test(rule, ordering_with_integer_literal)
{
    COMPATIBLE("    n < 5", "n=4");
    INCOMPATIBLE("    n < 5", "n=5");
    COMPATIBLE("    n <= 5", "n=5");
    INCOMPATIBLE("    n <= 5", "n=6");
    COMPATIBLE("    n > 5", "n=6");
    INCOMPATIBLE("    n > 5", "n=5");
    COMPATIBLE("    n >= 5", "n=5");
    INCOMPATIBLE("    n >= 5", "n=4");
    /* the fact is parsed as an int: hex and negative spellings */
    COMPATIBLE("    n > 5", "n=0x10");
    COMPATIBLE("    n < 0", "n=-3");
    COMPATIBLE("    n >= -3", "n=-3");
    /* numerically, not as text */
    COMPATIBLE("    n > 9", "n=10");
}

Test(rule, ordering_fact_not_an_int_fails)
{
    INCOMPATIBLE("    n < 5", "n=four");
    expect_reason_has("not a valid int");
    INCOMPATIBLE("    n >= 0", "n=1.5");
}

Test(rule, ordering_with_typed_reference)
{
    const char *self = "    kind = t\n    software_version = {tv:semver}";
    cr_expect_eq(pair_check(self, "    software_version <= {tv}", "software_version=1.2.0",
                            "kind=t\nsoftware_version=1.10.0"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    software_version <= {tv}", "software_version=1.11",
                            "kind=t\nsoftware_version=1.10.0"),
                 DC_INCOMPATIBLE);
    cr_expect_eq(pair_check(self, "    software_version > {tv}", "software_version=1.10.1",
                            "kind=t\nsoftware_version=1.10.0"),
                 DC_COMPATIBLE);
}

Test(rule, ordering_with_expression)
{
    const char *self = "    kind = t\n    max = {m:int}";
    cr_expect_eq(pair_check(self, "    n <= {m * 2}", "n=8", "kind=t\nmax=4"), DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    n <= {m * 2}", "n=9", "kind=t\nmax=4"), DC_INCOMPATIBLE);
    cr_expect_eq(pair_check(self, "    n > {m}-1", "n=4", "kind=t\nmax=4"), DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    n > {m}-1", "n=3", "kind=t\nmax=4"), DC_INCOMPATIBLE);
}

Test(rule, ordering_with_hex_reference)
{
    const char *self = "    kind = t\n    rev = {r:hex}";
    cr_expect_eq(pair_check(self, "    rev >= {r}", "rev=0x1F", "kind=t\nrev=1e"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    rev >= {r}", "rev=1d", "kind=t\nrev=1e"),
                 DC_INCOMPATIBLE);
}

Test(rule, eq_arithmetic_value)
{
    const char *self = "    kind = t\n    n = {sn:int}";
    cr_expect_eq(pair_check(self, "    aggregator = {sn}/2", "aggregator=2", "kind=t\nn=4"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    aggregator = {sn}/2", "aggregator=3", "kind=t\nn=4"),
                 DC_INCOMPATIBLE);
    /* the fact is parsed as an int, so 0x2 equals 2 */
    cr_expect_eq(pair_check(self, "    aggregator = {sn}/2", "aggregator=0x2", "kind=t\nn=4"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    aggregator = {sn} - 1", "aggregator=3", "kind=t\nn=4"),
                 DC_COMPATIBLE);
    cr_expect_eq(
        pair_check(self, "    aggregator = ({sn} + 2) * 3", "aggregator=18", "kind=t\nn=4"),
        DC_COMPATIBLE);
}

Test(rule, arithmetic_of_literals_is_a_literal)
{
    /* no value without braces is arithmetic (docs/language.md, section 4) */
    COMPATIBLE("    a = 1-2", "a=1-2");
    INCOMPATIBLE("    a = 1-2", "a=-1");
    COMPATIBLE("    a = 6/3", "a=6/3");
    INCOMPATIBLE("    a = 6/3", "a=2");
    COMPATIBLE("    a = 0x10 + 1", "a=0x10 + 1");
}

Test(rule, non_arithmetic_text_is_template)
{
    /* letters make it a literal, even with operators in it */
    COMPATIBLE("    a = 1-2a", "a=1-2a");
    COMPATIBLE("    a = none+ppgtt", "a=none+ppgtt");
    COMPATIBLE("    a = 1.2-3", "a=1.2-3");
}

Test(rule, whole_value_declaration_and_reference)
{
    COMPATIBLE("    a = {x:int}\n    b = {x}", "a=5\nb=5");
    COMPATIBLE("    a = {x:int}\n    b = {x}", "a=5\nb=0x5");
    INCOMPATIBLE("    a = {x:int}\n    b = {x}", "a=5\nb=6");
    INCOMPATIBLE("    a = {x:int}\n    b = {x}", "a=five\nb=5");
}

/* ------------------------------------------------------------ missing (conservative) */

Test(missing, literal_fails)
{
    INCOMPATIBLE("    a = x", "other=1");
    dc_reason r = reason(0);
    cr_expect_str_eq(r.field, "a");
    cr_expect_null(r.actual);
    cr_expect_str_eq(r.expected, "x");
}

Test(missing, every_rule_kind_fails)
{
    INCOMPATIBLE("    a != x", "other=1");
    INCOMPATIBLE("    a = \"x\"", "other=1");
    INCOMPATIBLE("    a != \"x\"", "other=1");
    INCOMPATIBLE("    a = {v:int}", "other=1");
    INCOMPATIBLE("    a = {v:string}", "other=1");
    INCOMPATIBLE("    a = {v:bool}", "other=1");
    INCOMPATIBLE("    a = {v:set}", "other=1");
    INCOMPATIBLE("    a = x{v:int}", "other=1");
    INCOMPATIBLE("    a < 5", "other=1");
    INCOMPATIBLE("    a >= 5", "other=1");
    INCOMPATIBLE("    a = 1+2", "other=1");
    INCOMPATIBLE("    a = {o:int}\n    b = {o}", "a=1");
}

Test(missing, empty_value_does_not_parse)
{
    INCOMPATIBLE("    a = {v:int}", "a=");
    INCOMPATIBLE("    a < 5", "a=");
}

Test(missing, only_empty_rule_accepts_absence)
{
    COMPATIBLE("    a = \"\"", "other=1");
}

Test(missing, source_field_in_expression_fails)
{
    INCOMPATIBLE("    where source.x == \"1\"", "other=1");
    expect_reason_has("absent");
    INCOMPATIBLE("    where int(source.x) > 0", "other=1");
}

/* ------------------------------------------------------------ types (2.4) */

Test(types, int_spellings)
{
    const char *r = "    a = {x:int}\n    where x == 42";
    COMPATIBLE(r, "a=42");
    COMPATIBLE(r, "a=0x2a");
    COMPATIBLE(r, "a=0x2A");
    COMPATIBLE(r, "a=0X2a");
    COMPATIBLE(r, "a=042");
    INCOMPATIBLE(r, "a=+42");
    INCOMPATIBLE(r, "a=42.0");
    INCOMPATIBLE(r, "a=2a");
    INCOMPATIBLE(r, "a=4 2");
    COMPATIBLE("    a = {x:int}\n    where x == -7", "a=-7");
    COMPATIBLE("    a = {x:int}\n    where x == -42", "a=-0x2a");
}

Test(types, int_64_bit_bounds)
{
    COMPATIBLE("    a = {x:int}\n    where x == 9223372036854775807", "a=9223372036854775807");
    INCOMPATIBLE("    a = {x:int}", "a=9223372036854775808");
    expect_reason_has("not a valid int");
    COMPATIBLE("    a = {x:int}\n    where x < 0", "a=-9223372036854775808");
    INCOMPATIBLE("    a = {x:int}", "a=-9223372036854775809");
    COMPATIBLE("    a = {x:int}\n    where x == 9223372036854775807", "a=0x7fffffffffffffff");
    INCOMPATIBLE("    a = {x:int}", "a=0x8000000000000000");
}

Test(types, hex_spellings)
{
    const char *r = "    a = {h:hex}\n    b = {h}";
    COMPATIBLE(r, "a=8086591D\nb=0x8086591d");
    COMPATIBLE(r, "a=0X8086591D\nb=8086591d");
    COMPATIBLE(r, "a=00ff\nb=FF");
    INCOMPATIBLE(r, "a=ff\nb=fe");
    INCOMPATIBLE("    a = {h:hex}", "a=0x");
    INCOMPATIBLE("    a = {h:hex}", "a=g1");
    INCOMPATIBLE("    a = {h:hex}", "a=-1");
    COMPATIBLE("    a = {_h:hex}", "a=ffffffffffffffff");
    INCOMPATIBLE("    a = {h:hex}", "a=1ffffffffffffffff");
    expect_reason_has("not a valid hex");
}

Test(types, hex_and_int_compare_numerically)
{
    COMPATIBLE("    a = {h:hex}\n    where h == 16", "a=10");
    COMPATIBLE("    a = {h:hex}\n    where h > 15", "a=10");
    COMPATIBLE("    a = {h:hex}\n    where h == 0x10", "a=10");
}

Test(types, string_exact)
{
    const char *r = "    a = {s:string}\n    b = {s}";
    COMPATIBLE(r, "a=Foo Bar\nb=Foo Bar");
    INCOMPATIBLE(r, "a=Foo Bar\nb=foo bar");
    COMPATIBLE(r, "a=Foo\nb=Foo "); /* facts are trimmed */
}

Test(types, semver_precedence)
{
    const char *r = "    a = {v:semver}\n    b < {v}";
    COMPATIBLE(r, "a=1.10.0\nb=1.9.0");
    COMPATIBLE(r, "a=1.2.3\nb=1.2.3-alpha");
    COMPATIBLE(r, "a=1.2.3-beta\nb=1.2.3-alpha");
    COMPATIBLE(r, "a=1.2.3-alpha.beta\nb=1.2.3-alpha.1");
    COMPATIBLE(r, "a=1.2.3-alpha.10\nb=1.2.3-alpha.9");
    COMPATIBLE(r, "a=1.2.3-rc.1\nb=1.2.3-beta.11");
    COMPATIBLE(r, "a=2.0.0\nb=1.99.99");
    INCOMPATIBLE(r, "a=1.2.3\nb=1.2.3");
    INCOMPATIBLE(r, "a=1.2.3-alpha\nb=1.2.3");
}

Test(types, semver_missing_patch_and_build)
{
    const char *r = "    a = {v:semver}\n    b = {v}";
    COMPATIBLE(r, "a=1.2\nb=1.2.0");
    COMPATIBLE(r, "a=1.2.3+build.5\nb=1.2.3");
    COMPATIBLE(r, "a=1.2.3+a\nb=1.2.3+b");
    INCOMPATIBLE(r, "a=1.2.3-rc1\nb=1.2.3");
    INCOMPATIBLE("    a = {v:semver}", "a=1");
    INCOMPATIBLE("    a = {v:semver}", "a=1.2.3.4");
    INCOMPATIBLE("    a = {v:semver}", "a=v1.2.3");
    INCOMPATIBLE("    a = {v:semver}", "a=1.2.x");
    expect_reason_has("not a valid semver");
}

Test(types, bool_spellings)
{
    static const char *const yes[] = {
        "1", "y", "Y", "yes", "YES", "true", "True", "on", "ON"
    };
    static const char *const no[] = {
        "0", "n", "N", "no", "No", "false", "FALSE", "off", "Off"
    };
    char buf[64];
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(buf, sizeof buf, "a=%s", yes[i]);
        COMPATIBLE("    a = {b:bool}\n    where b", buf);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(buf, sizeof buf, "a=%s", no[i]);
        COMPATIBLE("    a = {b:bool}\n    where !b", buf);
    }
    INCOMPATIBLE("    a = {_b:bool}", "a=2");
    INCOMPATIBLE("    a = {_b:bool}", "a=yess");
    INCOMPATIBLE("    a = {_b:bool}", "a=t");
    COMPATIBLE("    a = {b:bool}\n    c = {b}", "a=yes\nc=on");
    INCOMPATIBLE("    a = {b:bool}\n    c = {b}", "a=yes\nc=off");
}

Test(types, set_order_and_duplicates)
{
    const char *r = "    a = {s:set}\n    b = {s}";
    COMPATIBLE(r, "a=x,y,z\nb=z y x");
    COMPATIBLE(r, "a=x, y ,z\nb=z,z,y,x,x");
    COMPATIBLE(r, "a=x\ty\nb=y,x");
    INCOMPATIBLE(r, "a=x,y\nb=x,y,z");
    INCOMPATIBLE(r, "a=x,y\nb=x");
}

/* ------------------------------------------------------------ constraints (2.5) */

Test(constraint, int_list)
{
    const char *r = "    a = {_x:int:1,2,4,8}";
    COMPATIBLE(r, "a=1");
    COMPATIBLE(r, "a=8");
    COMPATIBLE(r, "a=0x4");
    INCOMPATIBLE(r, "a=3");
    expect_reason_has("outside the allowed values");
    INCOMPATIBLE(r, "a=16");
    INCOMPATIBLE(r, "a=-1");
}

Test(constraint, int_ranges)
{
    const char *r = "    a = {_x:int:1..8}";
    COMPATIBLE(r, "a=1");
    COMPATIBLE(r, "a=5");
    COMPATIBLE(r, "a=8");
    INCOMPATIBLE(r, "a=0");
    INCOMPATIBLE(r, "a=9");
    COMPATIBLE("    a = {_x:int:..3}", "a=-100");
    COMPATIBLE("    a = {_x:int:..3}", "a=3");
    INCOMPATIBLE("    a = {_x:int:..3}", "a=4");
    COMPATIBLE("    a = {_x:int:10..}", "a=9223372036854775807");
    INCOMPATIBLE("    a = {_x:int:10..}", "a=9");
    COMPATIBLE("    a = {_x:int:-5..-1}", "a=-3");
    INCOMPATIBLE("    a = {_x:int:-5..-1}", "a=0");
    const char *m = "    a = {_x:int:1..3,10,20..30,100..}";
    COMPATIBLE(m, "a=2");
    COMPATIBLE(m, "a=10");
    COMPATIBLE(m, "a=25");
    COMPATIBLE(m, "a=1000");
    INCOMPATIBLE(m, "a=5");
    INCOMPATIBLE(m, "a=31");
    INCOMPATIBLE(m, "a=99");
    /* large values, beyond any small-table shortcut */
    COMPATIBLE("    a = {_x:int:64,1000000}", "a=1000000");
    INCOMPATIBLE("    a = {_x:int:64,1000000}", "a=63");
    COMPATIBLE("    a = {_x:int:0..63}", "a=63");
    INCOMPATIBLE("    a = {_x:int:0..63}", "a=64");
}

Test(constraint, hex_ranges)
{
    const char *r = "    a = {_h:hex:0x10..0x1f,0x30}";
    COMPATIBLE(r, "a=10");
    COMPATIBLE(r, "a=1a");
    COMPATIBLE(r, "a=0x1F");
    COMPATIBLE(r, "a=30");
    INCOMPATIBLE(r, "a=2f");
    INCOMPATIBLE(r, "a=f");
    INCOMPATIBLE(r, "a=31");
    COMPATIBLE("    a = {_h:hex:8086..}", "a=ffffffffffffffff");
    COMPATIBLE("    a = {_h:hex:ff00000000000000..}", "a=FF00000000000001");
    INCOMPATIBLE("    a = {_h:hex:..ff}", "a=100");
}

Test(constraint, strings_quoted_and_bare)
{
    const char *q = "    a = {_s:string:\"none+ppgtt\",\"none+context\"}";
    COMPATIBLE(q, "a=none+ppgtt");
    COMPATIBLE(q, "a=none+context");
    INCOMPATIBLE(q, "a=none");
    INCOMPATIBLE(q, "a=none+ppgtt+context");
    const char *b = "    a = {_s:string:alpha,beta}";
    COMPATIBLE(b, "a=alpha");
    COMPATIBLE(b, "a=beta");
    INCOMPATIBLE(b, "a=Alpha");
    INCOMPATIBLE(b, "a=alphabeta");
    /* a comma inside quotes is part of the item */
    const char *c = "    a = {_s:string:\"a,b\",c}";
    COMPATIBLE(c, "a=a,b");
    INCOMPATIBLE(c, "a=a");
}

Test(constraint, semver_caret_tilde)
{
    const char *c = "    v = {_v:semver:^1.2.3}";
    COMPATIBLE(c, "v=1.2.3");
    COMPATIBLE(c, "v=1.9.9");
    INCOMPATIBLE(c, "v=1.2.2");
    INCOMPATIBLE(c, "v=2.0.0");
    COMPATIBLE("    v = {_v:semver:^0.2.3}", "v=0.2.9");
    INCOMPATIBLE("    v = {_v:semver:^0.2.3}", "v=0.3.0");
    const char *t = "    v = {_v:semver:~1.2.3}";
    COMPATIBLE(t, "v=1.2.9");
    INCOMPATIBLE(t, "v=1.3.0");
    INCOMPATIBLE(t, "v=1.2.2");
}

Test(constraint, semver_x_ranges_and_hyphen)
{
    COMPATIBLE("    v = {_v:semver:1.2.x}", "v=1.2.7");
    INCOMPATIBLE("    v = {_v:semver:1.2.x}", "v=1.3.0");
    COMPATIBLE("    v = {_v:semver:1.*}", "v=1.99.0");
    INCOMPATIBLE("    v = {_v:semver:1.*}", "v=2.0.0");
    const char *h = "    v = {_v:semver:1.2 - 2.3.4}";
    COMPATIBLE(h, "v=1.2.0");
    COMPATIBLE(h, "v=2.3.4");
    INCOMPATIBLE(h, "v=2.3.5");
    INCOMPATIBLE(h, "v=1.1.9");
}

Test(constraint, semver_comparators_and_or)
{
    const char *a = "    v = {_v:semver:>=1.2.3 <2.0.0}";
    COMPATIBLE(a, "v=1.2.3");
    COMPATIBLE(a, "v=1.99.0");
    INCOMPATIBLE(a, "v=2.0.0");
    const char *o = "    v = {_v:semver:<1.0.0 || >=2.0.0}";
    COMPATIBLE(o, "v=0.9.0");
    COMPATIBLE(o, "v=2.1.0");
    INCOMPATIBLE(o, "v=1.5.0");
    COMPATIBLE("    v = {_v:semver:=1.2.3}", "v=1.2.3");
    INCOMPATIBLE("    v = {_v:semver:=1.2.3}", "v=1.2.4");
    COMPATIBLE("    v = {_v:semver:>1.2}", "v=1.3.0");
}

Test(constraint, semver_prerelease_rule)
{
    /* node-semver: a pre-release passes only when a comparator names a
     * pre-release of the same major.minor.patch */
    const char *r = "    v = {_v:semver:>=1.2.3-alpha <2.0.0}";
    COMPATIBLE(r, "v=1.2.3-beta");
    COMPATIBLE(r, "v=1.5.0");
    INCOMPATIBLE(r, "v=1.5.0-alpha");
    INCOMPATIBLE("    v = {_v:semver:^1.2.3}", "v=1.5.0-beta");
    INCOMPATIBLE("    v = {_v:semver:^1.2.3}", "v=1.2.3-beta");
}

Test(constraint, bool)
{
    COMPATIBLE("    a = {_b:bool:true}", "a=yes");
    INCOMPATIBLE("    a = {_b:bool:true}", "a=off");
    COMPATIBLE("    a = {_b:bool:false}", "a=0");
    INCOMPATIBLE("    a = {_b:bool:false}", "a=1");
}

Test(constraint, set_subset)
{
    const char *r = "    a = {_s:set:x,y,z}";
    COMPATIBLE(r, "a=x");
    COMPATIBLE(r, "a=z,x");
    COMPATIBLE(r, "a=x y z x");
    INCOMPATIBLE(r, "a=x,w");
    INCOMPATIBLE(r, "a=xy");
}

Test(constraint, in_template_span)
{
    const char *r = "    type = i915-GVTg_V5_{_n:int:1,2,4,8}";
    COMPATIBLE(r, "type=i915-GVTg_V5_4");
    INCOMPATIBLE(r, "type=i915-GVTg_V5_3");
    INCOMPATIBLE(r, "type=i915-GVTg_V5_");
}

/* ------------------------------------------------------------ expressions (2.6) */

#define N2 "    n = {n:int}\n"

Test(expr, precedence)
{
    COMPATIBLE(N2 "    where n + 3 * 4 == 14", "n=2");
    COMPATIBLE(N2 "    where (n + 3) * 4 == 20", "n=2");
    COMPATIBLE(N2 "    where n - 1 - 1 == 0", "n=2");
    /* left to right: (2*6)/4 = 3, not 2*(6/4) (inexact) */
    COMPATIBLE(N2 "    where n * 6 / 4 == 3", "n=2");
    COMPATIBLE(N2 "    where -n * 3 == -6", "n=2");
    COMPATIBLE(N2 "    where n - -n == 4", "n=2");
    COMPATIBLE(N2 "    where n + 1 > 2 == true", "n=2");
    COMPATIBLE(N2 "    where n == 2 || n == 3 && n == 4", "n=2");
    INCOMPATIBLE(N2 "    where (n == 2 || n == 3) && n == 4", "n=2");
    COMPATIBLE(N2 "    where !(n == 3)", "n=2");
    COMPATIBLE(N2 "    where !(n == 3) && !false", "n=2");
    COMPATIBLE(N2 "    where n % 3 * 2 == 4", "n=2");
}

Test(expr, comparisons)
{
    COMPATIBLE(N2 "    where n < 3 && n <= 2 && n > 1 && n >= 2 && n != 1", "n=2");
    COMPATIBLE("    s = {s:string}\n    where s == \"abc\" && s != \"abd\"", "s=abc");
    COMPATIBLE("    v = {v:semver}\n    where v >= semver(\"1.2.0\") && v < semver(\"1.10\")",
               "v=1.9.0");
    COMPATIBLE("    b = {b:bool}\n    where b == true", "b=yes");
}

Test(expr, or_short_circuit_skips_failing_operand)
{
    /* 1 / (n - 2) divides by zero, but || never evaluates it */
    COMPATIBLE(N2 "    where n == 2 || 1 / (n - 2) == 0", "n=2");
    COMPATIBLE(N2 "    where n == 2 || int(source.absent) == 1", "n=2");
}

Test(expr, and_short_circuit_skips_failing_operand)
{
    COMPATIBLE(N2 "    where !(n != 2 && 1 / (n - 2) == 0)", "n=2");
    INCOMPATIBLE(N2 "    where n != 2 && 1 / (n - 2) == 0", "n=2");
    dc_reason r = reason(0);
    cr_expect(strstr(r.message, "division") == NULL, "skipped operand reported: %s", r.message);
}

Test(expr, evaluated_failing_operand_fails)
{
    /* the failure is not "false": negating it does not make it pass */
    INCOMPATIBLE(N2 "    where !(1 / (n - 2) == 0)", "n=2");
    expect_reason_has("division by zero");
    INCOMPATIBLE(N2 "    where n == 3 || 1 / (n - 2) == 0", "n=2");
    expect_reason_has("division by zero");
}

Test(expr, overflow_fails)
{
    INCOMPATIBLE(N2 "    where n + 9223372036854775807 > 0", "n=1");
    expect_reason_has("overflow");
    INCOMPATIBLE(N2 "    where n * 9223372036854775807 > 0", "n=2");
    expect_reason_has("overflow");
    INCOMPATIBLE(N2 "    where n - 9223372036854775807 - 3 < 0", "n=-1");
    expect_reason_has("overflow");
    INCOMPATIBLE(N2 "    where -n > 0", "n=-9223372036854775808");
    expect_reason_has("overflow");
    INCOMPATIBLE(N2 "    where n / -1 > 0", "n=-9223372036854775808");
    expect_reason_has("overflow");
    COMPATIBLE(N2 "    where n + 9223372036854775806 == 9223372036854775807", "n=1");
}

Test(expr, overflow_in_value_fails_rule)
{
    const char *self = "    kind = t\n    n = {sn:int}";
    cr_expect_eq(pair_check(self, "    a = {sn}*2", "a=0", "kind=t\nn=9223372036854775807"),
                 DC_INCOMPATIBLE);
    expect_reason_has("overflow");
}

Test(expr, division_by_zero_fails)
{
    INCOMPATIBLE(N2 "    where 10 / (n - 2) == 0", "n=2");
    expect_reason_has("division by zero");
    INCOMPATIBLE(N2 "    where 10 % (n - 2) == 0", "n=2");
    expect_reason_has("division by zero");
}

Test(expr, inexact_division_fails)
{
    INCOMPATIBLE(N2 "    where 3 / n == 1", "n=2");
    expect_reason_has("inexact division");
    INCOMPATIBLE(N2 "    where n / 2 >= 0", "n=3");
    expect_reason_has("inexact division");
    COMPATIBLE(N2 "    where 4 / n == 2", "n=2");
    COMPATIBLE(N2 "    where -6 / n == -3", "n=2");
}

Test(expr, remainder)
{
    COMPATIBLE(N2 "    where n % 3 == 2", "n=5");
    COMPATIBLE(N2 "    where n % 5 == 0", "n=10");
    COMPATIBLE(N2 "    where n % 1 == 0", "n=7");
    COMPATIBLE(N2 "    where n % -1 == 0", "n=-9223372036854775808");
}

Test(expr, hex_arithmetic)
{
    COMPATIBLE("    h = {h:hex}\n    where h + 1 == 0x20", "h=1f");
    COMPATIBLE("    h = {h:hex}\n    where h * 2 == 62", "h=1f");
}

/* Regression (fixed): arithmetic with a hex operand is stored as hex, so any negative
 * result is reported as "integer overflow": `h - 0x20 < 0` with h = 0x10 and
 * `min(h, -1)` fail, although -16 and -1 fit in 64 bits (docs/language.md, section 8: overflow
 * means the result does not fit; hex compares numerically with int). */
Test(expr, hex_arithmetic_negative_result)
{
    COMPATIBLE("    h = {h:hex}\n    where h - 0x20 < 0", "h=10");
    COMPATIBLE("    h = {h:hex}\n    where -h == -16", "h=10");
    COMPATIBLE("    h = {h:hex}\n    where min(h, -1) == -1", "h=10");
}

/* ------------------------------------------------------------ functions (2.6) */

Test(func, major_minor_patch)
{
    const char *r =
        "    v = {v:semver}\n    where major(v) == 2 && minor(v) == 10 && patch(v) == 7";
    COMPATIBLE(r, "v=2.10.7");
    COMPATIBLE(r, "v=2.10.7-rc.1+b");
    INCOMPATIBLE(r, "v=2.10.6");
    COMPATIBLE("    v = {v:semver}\n    where patch(v) == 0", "v=3.1");
}

Test(func, conversions_of_source_fields)
{
    COMPATIBLE("    where int(source.x) == 42", "x=0x2a");
    COMPATIBLE("    where hex(source.h) == 0x1f", "h=1F");
    COMPATIBLE("    where semver(source.v) == semver(\"1.2.0\")", "v=1.2");
    COMPATIBLE("    where bool(source.b)", "b=on");
    COMPATIBLE("    where set(source.s) == set(\"b,a\")", "s=a b a");
}

Test(func, conversion_failure_fails_rule)
{
    INCOMPATIBLE("    where int(source.x) == 42", "x=forty-two");
    expect_reason_has("does not parse as int");
    INCOMPATIBLE("    where !bool(source.b)", "b=maybe");
    INCOMPATIBLE("    where semver(source.v) > semver(\"0.0.0\")", "v=1");
}

Test(func, len)
{
    COMPATIBLE("    where len(source.x) == 5", "x=hello");
    COMPATIBLE("    where len(set(source.s)) == 2", "s=a,b,a");
    COMPATIBLE("    s = {s:string}\n    where len(s) == 3", "s=abc");
}

Test(func, has)
{
    COMPATIBLE("    where has(source.x)", "x=1");
    INCOMPATIBLE("    where has(source.x)", "y=1");
    INCOMPATIBLE("    where has(source.x)", "x=");
    COMPATIBLE("    where !has(source.x)", "y=1");
    cr_expect_eq(pair_check("    kind = t\n    where has(self.opt)", "    a = 1", "a=1",
                            "kind=t\nopt=yes"),
                 DC_COMPATIBLE);
    cr_expect_eq(
        pair_check("    kind = t\n    where has(self.opt)", "    a = 1", "a=1", "kind=t"),
        DC_TARGET_MISMATCH);
}

Test(func, contains_and_subset)
{
    COMPATIBLE("    s = {s:set}\n    where contains(s, \"b\")", "s=a,b");
    INCOMPATIBLE("    s = {s:set}\n    where contains(s, \"c\")", "s=a,b");
    COMPATIBLE("    s = {s:set}\n    where subset(s, set(\"a,b,c\"))", "s=c,a");
    INCOMPATIBLE("    s = {s:set}\n    where subset(s, set(\"a,b,c\"))", "s=c,d");
    COMPATIBLE("    s = {s:set}\n    where subset(set(\"\"), s)", "s=a");
}

Test(func, bits_of_int_and_hex)
{
    /* docs/language.md's example: bits(0x12) = {1,4} */
    COMPATIBLE("    m = {m:hex}\n    where bits(m) == set(\"1,4\")", "m=0x12");
    COMPATIBLE("    m = {m:hex}\n    where bits(m) == set(\"4 1\")", "m=12");
    INCOMPATIBLE("    m = {m:hex}\n    where bits(m) == set(\"1,4\")", "m=0x13");
    COMPATIBLE("    m = {m:int}\n    where bits(m) == set(\"1,4\")", "m=18");
    COMPATIBLE("    where len(bits(0)) == 0", "kind=t");
    /* every index 0..63, in decimal, and the set compares in any order */
    COMPATIBLE("    m = {m:hex}\n    where len(bits(m)) == 64 && contains(bits(m), \"63\") && "
               "contains(bits(m), \"0\") && contains(bits(m), \"10\")",
               "m=ffffffffffffffff");
    COMPATIBLE("    m = {m:hex}\n    where bits(m) == set(\"2,10,19,20,63\")",
               "m=0x8000000000180404");
    COMPATIBLE("    where bits(9223372036854775807) == bits(0x7fffffffffffffff)", "kind=t");
    COMPATIBLE("    where !contains(bits(1024), \"1\") && contains(bits(1024), \"10\")",
               "kind=t");
}

Test(func, bits_superset_of_a_capability_mask)
{
    const char *self = "    kind = t\n    cap_mask = {cap:hex}";
    const char *rule = "    where subset(bits(hex(source.cap_mask)), bits(cap))";
    cr_expect_eq(pair_check(self, rule, "cap_mask=0x12", "kind=t\ncap_mask=0x1f"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, rule, "cap_mask=0x12", "kind=t\ncap_mask=0x12"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, rule, "cap_mask=0x12", "kind=t\ncap_mask=0x3"),
                 DC_INCOMPATIBLE);
    expect_reason_has("condition is false");
    /* a source mask that is not hex: the rule fails, never "compatible" */
    cr_expect_eq(pair_check(self, rule, "cap_mask=zz", "kind=t\ncap_mask=0x1f"),
                 DC_INCOMPATIBLE);
    /* bits() in SELF: the set is built while checking */
    cr_expect_eq(
        pair_check("    kind = t\n    cap = {c:hex}\n    where contains(bits(c), \"4\")",
                   "    a = 1", "a=1", "kind=t\ncap=0x10"),
        DC_COMPATIBLE);
    cr_expect_eq(
        pair_check("    kind = t\n    cap = {c:hex}\n    where contains(bits(c), \"4\")",
                   "    a = 1", "a=1", "kind=t\ncap=0x8"),
        DC_TARGET_MISMATCH);
}

Test(func, bits_of_a_negative_int_fails)
{
    INCOMPATIBLE("    m = {m:int}\n    where len(bits(m)) >= 0", "m=-1");
    expect_reason_has("bits() of a negative number (-1)");
    COMPATIBLE("    m = {m:int}\n    where len(bits(m)) >= 0 || true", "m=5");
}

Test(func, bits_sets_share_the_scratch_limit)
{
    /* 17 sets of 64 items in one rule: more than the 1024 set items a check
     * may build (DC_MAX_SET_ITEMS); the rule fails, it does not overflow */
    char rule[2048] = "    m = {m:hex}\n    where 0";
    for (int k = 0; k < 17; k++)
        strcat(rule, " + len(bits(m))");
    strcat(rule, " > 0");
    INCOMPATIBLE(rule, "m=ffffffffffffffff");
    expect_reason_has("a set of more than 1024 items (the limit for the sets a block builds)");
    COMPATIBLE(rule, "m=1");
}

Test(func, min_max)
{
    COMPATIBLE(N2 "    where min(n, 3) == 2 && max(n, 3) == 3", "n=2");
    COMPATIBLE(N2 "    where min(n, -5) == -5 && max(n, -5) == n", "n=2");
}

Test(func, self_and_source_fields)
{
    const char *self = "    kind = t\n    vendor = {_v:string}";
    cr_expect_eq(pair_check(self, "    where source.vendor == self.vendor", "vendor=intel",
                            "kind=t\nvendor=intel"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    where source.vendor == self.vendor", "vendor=amd",
                            "kind=t\nvendor=intel"),
                 DC_INCOMPATIBLE);
    /* self.F is the raw fact: a string */
    cr_expect_eq(pair_check(self, "    where self.kind == \"t\"", "a=1", "kind=t\nvendor=x"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    a = {self.vendor}", "a=intel", "kind=t\nvendor=intel"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    a = x-{self.vendor}", "a=x-amd", "kind=t\nvendor=intel"),
                 DC_INCOMPATIBLE);
}

/* ------------------------------------------------------------ templates (2.2) */

Test(template, literal_parts_must_match)
{
    const char *r = "    type = i915-GVTg_V5_{n:int}\n    where n > 0";
    COMPATIBLE(r, "type=i915-GVTg_V5_8");
    INCOMPATIBLE(r, "type=i915-GVTg_V5_");
    INCOMPATIBLE(r, "type=i915-GVTg_V5_8x");
    INCOMPATIBLE(r, "type=xi915-GVTg_V5_8");
    INCOMPATIBLE(r, "type=i915-GVTg_V4_8");
}

Test(template, greedy_left_with_backtracking)
{
    COMPATIBLE("    v = {a:string}-{b:string}\n    where len(a) > 0 && len(b) > 0", "v=x-y-z");
    expect_binding("a", "x-y");
    expect_binding("b", "z");
}

Test(template, typed_span_backtracks)
{
    /* greedy would give a = "1-2", not an int: backtrack to a = 1 */
    COMPATIBLE("    v = {a:int}-{b:string}\n    where a == 1 && len(b) > 0", "v=1-2-x");
    expect_binding("a", "1");
    expect_binding("b", "2-x");
    /* a constraint takes part in the choice */
    COMPATIBLE("    v = {a:string:x}.{b:string}\n    where len(a) + len(b) > 0", "v=x.y.z");
    expect_binding("a", "x");
    expect_binding("b", "y.z");
    COMPATIBLE("    v = {a:string}.{b:int}.{c:string}\n    where len(a) + b + len(c) > 0",
               "v=a.b.5.c.d");
    expect_binding("a", "a.b");
    expect_binding("b", "5");
    expect_binding("c", "c.d");
}

Test(template, string_span_not_empty)
{
    INCOMPATIBLE("    v = a{s:string}b\n    where len(s) > 0", "v=ab");
    COMPATIBLE("    v = a{s:string}b\n    where len(s) > 0", "v=a-b");
    INCOMPATIBLE("    v = {s:string}-\n    where len(s) > 0", "v=-");
}

Test(template, references_to_earlier_variables)
{
    const char *r = "    type = V5_{n:int}\n    name = gpu{n}-x";
    COMPATIBLE(r, "type=V5_4\nname=gpu4-x");
    INCOMPATIBLE(r, "type=V5_4\nname=gpu5-x");
    COMPATIBLE("    type = V5_{n:int}\n    name = gpu-{n * 2}", "type=V5_4\nname=gpu-8");
    INCOMPATIBLE("    type = V5_{n:int}\n    name = gpu-{n * 2}", "type=V5_4\nname=gpu-4");
}

Test(template, reference_to_self_variable)
{
    const char *self = "    kind = t\n    type = V5_{tn:int}";
    cr_expect_eq(pair_check(self, "    type = V5_{tn}", "type=V5_4", "kind=t\ntype=V5_4"),
                 DC_COMPATIBLE);
    cr_expect_eq(pair_check(self, "    type = V5_{tn}", "type=V5_2", "kind=t\ntype=V5_4"),
                 DC_INCOMPATIBLE);
}

Test(template, several_placeholders)
{
    const char *r = "    id = {v:hex}:{d:hex}.{f:int:0..7}\n    where v > 0 && d > 0";
    COMPATIBLE(r, "id=8086:591d.0");
    expect_binding("v", "8086");
    expect_binding("d", "591d");
    expect_binding("f", "0");
    INCOMPATIBLE(r, "id=8086:591d.8");
    INCOMPATIBLE(r, "id=8086-591d.0");
}

/* Regression (fixed): every candidate span tried for a set placeholder takes its items
 * from the result's scratch space, and backtracking never gives them back:
 * after ~1024 items of failed candidates a span that does match no longer
 * parses, and the rule says "does not match" although the fact matches
 * (here c = 200 items, tried for each of the 9 later '-'). */
Test(template, set_span_backtracking_reuses_scratch)
{
    static char kv[4096];
    size_t k = (size_t)snprintf(kv, sizeof kv, "v=");
    for (int i = 0; i < 200; i++)
        k += (size_t)snprintf(kv + k, sizeof kv - k, "%si%d", i ? "," : "", i);
    snprintf(kv + k, sizeof kv - k, "-5-y-y-y-y-y-y-y-y-end");
    COMPATIBLE("    v = {c:set}-{d:int}-{e:string}-end\n"
               "    where len(c) == 200 && d == 5 && len(e) > 0",
               kv);
}

Test(template, set_span_backtracking_few_candidates)
{
    static char kv[4096];
    size_t k = (size_t)snprintf(kv, sizeof kv, "v=");
    for (int i = 0; i < 200; i++)
        k += (size_t)snprintf(kv + k, sizeof kv - k, "%si%d", i ? "," : "", i);
    snprintf(kv + k, sizeof kv - k, "-5-y-y-end");
    COMPATIBLE("    v = {c:set}-{d:int}-{e:string}-end\n"
               "    where len(c) == 200 && d == 5 && len(e) > 0",
               kv);
    expect_binding("e", "y-y");
}

/* The step budget is what bounds the work: were it lost, the check would
 * run for ages and the test fail by its timeout (no assertion on time). */
Test(template, pathological_is_bounded, .timeout = 120)
{
    /* many string spans separated by the same letter against a long run of
     * that letter, which never ends in 'b': exponential without a bound */
    static char rules[1024], fact[4200];
    strcpy(rules, "    v = ");
    for (int i = 0; i < 15; i++) {
        char ph[32];
        snprintf(ph, sizeof ph, "{_p%d:string}a", i);
        strcat(rules, ph);
    }
    strcat(rules, "{_q:string}b");
    strcpy(fact, "v=");
    memset(fact + 2, 'a', 4096);
    fact[4098] = '\0';
    INCOMPATIBLE(rules, fact);
    dc_reason r = reason(0);
    cr_expect_str_eq(r.field, "v");
}

/* ------------------------------------------------------------ evaluation (2.7) */

static const char *const two_blocks = "SELF:\n"                             /* 1 */
                                      "    device_api = vfio-pci\n"         /* 2 */
                                      "    type = {tt:string}\n"            /* 3 */
                                      "COMPATIBLE:\n"                       /* 4 */
                                      "    device_api = vfio-pci\n"         /* 5 */
                                      "    type = {tt}\n"                   /* 6 */
                                      "    version = 2\n"                   /* 7 */
                                      "COMPATIBLE legacy_v1:\n"             /* 8 */
                                      "    device_api = vfio-pci\n"         /* 9 */
                                      "    version = 1\n"                   /* 10 */
                                      "    where source.type == \"old\"\n"; /* 11 */

Test(eval, self_fails_is_target_mismatch)
{
    cr_expect_eq(check(two_blocks, "device_api=vfio-pci\ntype=a\nversion=2",
                       "device_api=vfio-ccw\ntype=a"),
                 DC_TARGET_MISMATCH);
    cr_expect_eq(dc_result_block(C.res), -1);
    cr_assert_eq(dc_result_reason_count(C.res), 1);
    dc_reason r = reason(0);
    cr_expect_eq(r.block, -1);
    cr_expect_eq(r.line, 2);
    cr_expect_str_eq(r.field, "device_api");
    cr_expect_str_eq(r.expected, "vfio-pci");
    cr_expect_str_eq(r.actual, "vfio-ccw");
    cr_expect_str_eq(r.file, "t.compat");
}

Test(eval, self_checked_before_source)
{
    /* the source would match, but the target is not this policy's */
    cr_expect_eq(
        check(two_blocks, "device_api=vfio-pci\ntype=a\nversion=2", "device_api=vfio-pci"),
        DC_TARGET_MISMATCH);
    dc_reason r = reason(0);
    cr_expect_eq(r.line, 3);
    cr_expect_str_eq(r.field, "type");
    cr_expect_null(r.actual);
}

Test(eval, first_matching_block_wins)
{
    cr_expect_eq(check(two_blocks, "device_api=vfio-pci\ntype=a\nversion=2",
                       "device_api=vfio-pci\ntype=a"),
                 DC_COMPATIBLE);
    cr_expect_eq(dc_result_block(C.res), 0);
    cr_expect_null(dc_result_block_name(C.res));
    cr_expect_eq(dc_result_reason_count(C.res), 0);
    cr_expect_eq(check(two_blocks, "device_api=vfio-pci\ntype=old\nversion=1",
                       "device_api=vfio-pci\ntype=a"),
                 DC_COMPATIBLE);
    cr_expect_eq(dc_result_block(C.res), 1);
    cr_expect_str_eq(dc_result_block_name(C.res), "legacy_v1");
}

Test(eval, overlapping_blocks_first_wins)
{
    const char *p = SELF_T "COMPATIBLE first:\n    a = {_x:int}\nCOMPATIBLE second:\n"
                           "    a = 1\n";
    cr_expect_eq(check(p, "a=1", "kind=t"), DC_COMPATIBLE);
    cr_expect_eq(dc_result_block(C.res), 0);
    cr_expect_str_eq(dc_result_block_name(C.res), "first");
}

Test(eval, incompatible_reason_per_block)
{
    cr_expect_eq(check(two_blocks, "device_api=vfio-pci\ntype=b\nversion=1",
                       "device_api=vfio-pci\ntype=a"),
                 DC_INCOMPATIBLE);
    cr_expect_eq(dc_result_block(C.res), -1);
    cr_expect_null(dc_result_block_name(C.res));
    cr_assert_eq(dc_result_reason_count(C.res), 2);
    dc_reason r0 = reason(0), r1 = reason(1);
    cr_expect_eq(r0.block, 0);
    cr_expect_null(r0.block_name);
    cr_expect_eq(r0.line, 6);
    cr_expect_str_eq(r0.field, "type");
    cr_expect_str_eq(r0.expected, "a");
    cr_expect_str_eq(r0.actual, "b");
    cr_expect_eq(r1.block, 1);
    cr_expect_str_eq(r1.block_name, "legacy_v1");
    cr_expect_eq(r1.line, 11);
    cr_expect_null(r1.field, "a where has no field");
    cr_expect_str_eq(r1.file, "t.compat");
}

Test(eval, reason_is_first_failing_rule)
{
    cr_expect_eq(check(two_blocks, "device_api=vfio-ccw\ntype=b\nversion=9",
                       "device_api=vfio-pci\ntype=a"),
                 DC_INCOMPATIBLE);
    dc_reason r0 = reason(0), r1 = reason(1);
    cr_expect_eq(r0.line, 5);
    cr_expect_str_eq(r0.field, "device_api");
    cr_expect_eq(r1.line, 9);
    cr_expect_str_eq(r1.actual, "vfio-ccw");
}

Test(eval, explain_names_file_and_line)
{
    check(two_blocks, "device_api=vfio-pci\ntype=b\nversion=1", "device_api=vfio-pci\ntype=a");
    const char *e = explanation(C.res);
    cr_assert_not_null(e);
    cr_expect(strstr(e, "t.compat:6:") != NULL, "%s", e);
    cr_expect(strstr(e, "t.compat:11:") != NULL, "%s", e);
    cr_expect(strstr(e, "legacy_v1") != NULL, "%s", e);
}

Test(eval, directional)
{
    const char *p =
        "SELF:\n    v = {tv:int}\nCOMPATIBLE:\n    v = {sv:int}\n    where sv <= tv\n";
    cr_expect_eq(check(p, "v=1", "v=2"), DC_COMPATIBLE);
    cr_expect_eq(check(p, "v=2", "v=1"), DC_INCOMPATIBLE);
}

Test(eval, facts_not_mentioned_are_ignored)
{
    COMPATIBLE("    a = 1", "a=1\nb=anything\nc.d.e=x");
}

Test(eval, where_false_reason)
{
    INCOMPATIBLE(N2 "    where n > 5", "n=2");
    dc_reason r = reason(0);
    cr_expect_null(r.field);
    cr_expect_eq(r.line, 5);
    cr_expect(strstr(r.message, "n > 5") != NULL, "%s", r.message);
}

Test(eval, versioning_rule_of_spec)
{
    const char *p = "SELF:\n    software_version = {tv:semver}\nCOMPATIBLE:\n"
                    "    software_version = {sv:semver}\n"
                    "    where major(sv) == major(tv) && minor(sv) <= minor(tv)\n";
    cr_expect_eq(check(p, "software_version=1.2.0", "software_version=1.3.0"), DC_COMPATIBLE);
    cr_expect_eq(check(p, "software_version=1.3.5", "software_version=1.3.0"), DC_COMPATIBLE);
    cr_expect_eq(check(p, "software_version=1.4.0", "software_version=1.3.0"), DC_INCOMPATIBLE);
    cr_expect_eq(check(p, "software_version=2.0.0", "software_version=1.3.0"), DC_INCOMPATIBLE);
    cr_expect_eq(check(p, "software_version=1.2", "software_version=1.2.9"), DC_COMPATIBLE);
}

Test(eval, batch_matches_single_checks)
{
    const char *p =
        "SELF:\n    v = {tv:int}\nCOMPATIBLE:\n    v = {sv:int}\n    where sv <= tv\n"
        "COMPATIBLE b:\n    v = 0\n";
    release();
    C.pol = compile_ok(p);
    dc_facts *src = mkfacts("v=3");
    dc_prepared *ps = NULL, *pt[4] = { 0 };
    const char *tv[4] = { "v=5", "v=3", "v=2", "v=x" };
    cr_assert_eq(dc_prepare(C.pol, src, &ps, NULL), DC_OK);
    for (int i = 0; i < 4; i++) {
        dc_facts *t = mkfacts(tv[i]);
        cr_assert_eq(dc_prepare(C.pol, t, &pt[i], NULL), DC_OK);
        dc_facts_free(t);
    }
    dc_verdict v[4];
    int32_t b[4];
    cr_assert_eq(dc_check_batch(C.pol, ps, (const dc_prepared *const *)pt, 4, v, b), DC_OK);
    cr_expect_eq(v[0], DC_COMPATIBLE);
    cr_expect_eq(b[0], 0);
    cr_expect_eq(v[1], DC_COMPATIBLE);
    cr_expect_eq(v[2], DC_INCOMPATIBLE);
    cr_expect_eq(b[2], -1);
    cr_expect_eq(v[3], DC_TARGET_MISMATCH);
    for (int i = 0; i < 4; i++)
        dc_prepared_free(pt[i]);
    dc_prepared_free(ps);
    dc_facts_free(src);
}

Test(eval, batch_many_blocks_and_registers)
{
    /* more blocks and registers than dc_check_batch keeps on its stack */
    static char p[8192];
    size_t k = (size_t)snprintf(p, sizeof p, "SELF:\n    v = {tv:int}\n");
    for (int i = 0; i < 12; i++)
        k += (size_t)snprintf(p + k, sizeof p - k,
                              "COMPATIBLE b%d:\n    n = {n%d:int}\n"
                              "    where (n%d + 1) * (n%d + 2) * (n%d + 3) * (tv + 4) == %d\n",
                              i, i, i, i, i, i);
    snprintf(p + k, sizeof p - k, "COMPATIBLE last:\n    v = {tv}\n");
    release();
    C.pol = compile_ok(p);
    dc_facts *src = mkfacts("n=5\nv=7"), *t1 = mkfacts("v=7"), *t2 = mkfacts("v=8"),
             *t3 = mkfacts("w=1");
    dc_prepared *ps = NULL, *pt[3] = { 0 };
    cr_assert_eq(dc_prepare(C.pol, src, &ps, NULL), DC_OK);
    cr_assert_eq(dc_prepare(C.pol, t1, &pt[0], NULL), DC_OK);
    cr_assert_eq(dc_prepare(C.pol, t2, &pt[1], NULL), DC_OK);
    cr_assert_eq(dc_prepare(C.pol, t3, &pt[2], NULL), DC_OK);
    dc_verdict v[3];
    int32_t b[3];
    cr_assert_eq(dc_check_batch(C.pol, ps, (const dc_prepared *const *)pt, 3, v, b), DC_OK);
    cr_expect_eq(v[0], DC_COMPATIBLE);
    cr_expect_eq(b[0], 12);
    cr_expect_eq(v[1], DC_INCOMPATIBLE);
    cr_expect_eq(v[2], DC_TARGET_MISMATCH);
    /* the same through dc_check: SELF's binding survives the blocks' temporaries */
    C.res = new_result(C.pol);
    cr_assert_eq(dc_check(C.pol, ps, pt[0], C.res), DC_OK);
    cr_expect_eq(dc_result_verdict(C.res), DC_COMPATIBLE);
    cr_expect_str_eq(dc_result_block_name(C.res), "last");
    expect_binding("tv", "7");
    cr_assert_eq(dc_check(C.pol, ps, pt[1], C.res), DC_OK);
    cr_expect_eq(dc_result_reason_count(C.res), 13);
    for (int i = 0; i < 3; i++)
        dc_prepared_free(pt[i]);
    dc_prepared_free(ps);
    dc_facts_free(src);
    dc_facts_free(t1);
    dc_facts_free(t2);
    dc_facts_free(t3);
}

Test(eval, long_values_in_reasons)
{
    /* a 4096-byte fact in a reason and in the explanation */
    static char kv[4200];
    strcpy(kv, "a=");
    memset(kv + 2, 'z', 4096);
    kv[4098] = '\0';
    INCOMPATIBLE("    a = short\nCOMPATIBLE:\n    a = other", kv);
    dc_reason r = reason(1);
    cr_expect_eq(strlen(r.actual), 4096);
    cr_expect_geq(strlen(r.message), 4096);
    const char *e = explanation(C.res);
    cr_assert_not_null(e);
    cr_expect_geq(strlen(e), 2 * 4096);
    cr_expect(strstr(e, "t.compat:4:") && strstr(e, "t.compat:6:"), "explain names both lines");
}

/* "s=0,1,...": n distinct items into kv (8192 bytes); returns its length. */
static size_t set_kv(char *kv, int n)
{
    static const char digits[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t k = (size_t)snprintf(kv, 8192, "s=");
    for (int i = 0; i < n; i++) {
        if (i)
            kv[k++] = ',';
        if (i >= 62)
            kv[k++] = digits[i / 62];
        kv[k++] = digits[i % 62];
    }
    kv[k] = '\0';
    return k;
}

Test(eval, one_item_limit_for_every_set)
{
    /* 1100 distinct items: one limit (1024) for a set however it is read,
     * and a reason that names it */
    static char kv[8192];
    size_t k = set_kv(kv, 1100);
    cr_assert_lt(k, 4098);
    INCOMPATIBLE("    where len(set(source.s)) > 0", kv);
    expect_reason_has("a set of more than 1024 items (the limit for a set)");
    INCOMPATIBLE("    s = {s:set}\n    where len(s) > 0", kv);
    expect_reason_has("s has 1100 items, more than 1024 (the limit for a set)");
    kv[0] = 't'; /* "t=..." */
    memmove(kv + 3, kv + 2, k - 1);
    kv[2] = 'z'; /* "t=z0,1,...": a set in a template */
    INCOMPATIBLE("    t = z{c:set}\n    where len(c) > 0", kv);
    expect_reason_has("t: a set of more than 1024 items");
    /* 1024 items are fine, in every form */
    set_kv(kv, 1024);
    COMPATIBLE("    where len(set(source.s)) == 1024", kv);
    COMPATIBLE("    s = {s:set}\n    where len(s) == 1024", kv);
}

Test(template, set_declaration_in_span)
{
    COMPATIBLE("    caps = caps:{c:set}\n    where contains(c, \"b\")", "caps=caps:a,b,c");
    expect_binding("c", "a,b,c");
    INCOMPATIBLE("    caps = caps:{c:set}\n    where contains(c, \"d\")", "caps=caps:a,b,c");
}

/* ------------------------------------------------------------ bindings (2.4) */

Test(bindings, canonical_rendering)
{
    const char *self = "    kind = t\n    tid = {tid:hex}";
    const char *rules = "    n = {n:int}\n    h = {h:hex}\n    v = {v:semver}\n"
                        "    b = {b:bool}\n    s = {s:set}\n    str = {str:string}";
    cr_assert_eq(pair_check(self, rules,
                            "n=0x10\nh=0X8086591D\nv=1.2\nb=YES\ns=c b,a a\nstr= Mixed Case ",
                            "kind=t\ntid=00FF"),
                 DC_COMPATIBLE);
    expect_binding("n", "16");
    expect_binding("h", "8086591d");
    expect_binding("v", "1.2.0");
    expect_binding("b", "true");
    expect_binding("s", "a,b,c");
    expect_binding("str", "Mixed Case");
    expect_binding("tid", "ff");
    cr_expect_eq(binding("n").type, DC_TYPE_INT);
    cr_expect_eq(binding("n").int_value, 16);
    cr_expect_eq(binding("h").type, DC_TYPE_HEX);
    cr_expect_eq(binding("h").int_value, 0x8086591d);
    cr_expect_eq(binding("v").type, DC_TYPE_SEMVER);
    cr_expect_eq(binding("b").type, DC_TYPE_BOOL);
    cr_expect_eq(binding("s").type, DC_TYPE_SET);
    cr_expect_eq(binding("str").type, DC_TYPE_STRING);
}

/* One fact read as every type, each in a block of its own, in one check: the
 * value of each type is its own, whether the prepared fact keeps it in
 * place (its first int, hex, bool or short semver) or out of line (a
 * semver, a set, a second type: docs/performance.md, "Round 5").  The block probed is last;
 * every other reads the fact as its type, then fails. */
Test(bindings, one_fact_read_as_every_type)
{
    static const char *const types[] = { "int", "hex", "semver", "bool", "set", "string" };
    enum { NT = sizeof types / sizeof types[0] };
    static const struct {
        const char *text;
        const char *as[NT]; /* the binding's text, NULL when it does not parse */
    } cases[] = {
        { "12", { "12", "12", NULL, NULL, "12", "12" } },
        { "1", { "1", "1", NULL, "true", "1", "1" } },
        { "0", { "0", "0", NULL, "false", "0", "0" } },
        { "0x1F", { "31", "1f", NULL, NULL, "0x1F", "0x1F" } },
        { "ff", { NULL, "ff", NULL, NULL, "ff", "ff" } },
        { "-9223372036854775808",
          { "-9223372036854775808", NULL, NULL, NULL, "-9223372036854775808",
            "-9223372036854775808" } },
        { "1.2.3-rc.1", { NULL, NULL, "1.2.3-rc.1", NULL, "1.2.3-rc.1", "1.2.3-rc.1" } },
        { "10.20", { NULL, NULL, "10.20.0", NULL, "10.20", "10.20" } },
        /* a semver's numbers of up to 21 bits are kept in place, larger
         * ones out of line */
        { "2097151.0.2097151",
          { NULL, NULL, "2097151.0.2097151", NULL, "2097151.0.2097151", "2097151.0.2097151" } },
        { "1.2097152.0", { NULL, NULL, "1.2097152.0", NULL, "1.2097152.0", "1.2097152.0" } },
        { "4294967296.1.1",
          { NULL, NULL, "4294967296.1.1", NULL, "4294967296.1.1", "4294967296.1.1" } },
        { "yes", { NULL, NULL, NULL, "true", "yes", "yes" } },
        { "b, a,b", { NULL, NULL, NULL, NULL, "a,b", "b, a,b" } },
    };
    char policy[2048], facts[128];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t probe = 0; probe < NT; probe++) {
            int n = snprintf(policy, sizeof policy, SELF_T);
            for (size_t t = 0; t < NT; t++)
                if (t != probe)
                    n += snprintf(policy + n, sizeof policy - (size_t)n,
                                  "COMPATIBLE:\n    a = {_x:%s}\n    nope = {_y:string}\n",
                                  types[t]);
            snprintf(policy + n, sizeof policy - (size_t)n, "COMPATIBLE:\n    a = {x:%s}\n",
                     types[probe]);
            snprintf(facts, sizeof facts, "a=%s", cases[c].text);
            const char *want = cases[c].as[probe];
            dc_verdict v = check(policy, facts, "kind=t");
            cr_expect_eq(v, want ? DC_COMPATIBLE : DC_INCOMPATIBLE, "'%s' as %s: verdict %d",
                         cases[c].text, types[probe], (int)v);
            if (want && v == DC_COMPATIBLE) {
                cr_expect_eq(dc_result_block(C.res), (int)NT - 1);
                expect_binding("x", want);
            }
        }
}

Test(bindings, semver_canonical_keeps_prerelease)
{
    COMPATIBLE("    v = {v:semver}", "v=1.2.3-rc.1");
    expect_binding("v", "1.2.3-rc.1");
}

Test(bindings, self_first_then_block)
{
    const char *self = "    kind = t\n    a = {sa:int}";
    cr_assert_eq(pair_check(self, "    b = {sb:int}\n    where sb == sa", "b=1", "kind=t\na=1"),
                 DC_COMPATIBLE);
    cr_assert_eq(dc_result_binding_count(C.res), 2);
    dc_binding b0 = DC_BINDING_INIT, b1 = DC_BINDING_INIT;
    cr_assert_eq(dc_result_binding_get(C.res, 0, &b0), DC_OK);
    cr_assert_eq(dc_result_binding_get(C.res, 1, &b1), DC_OK);
    cr_expect_str_eq(b0.name, "sa");
    cr_expect_str_eq(b1.name, "sb");
    cr_expect_neq(dc_result_binding_get(C.res, 2, &b0), DC_OK);
}

Test(bindings, only_matching_block)
{
    const char *p = SELF_T "COMPATIBLE:\n    a = {x:int}\n    b = {x}\n"
                           "COMPATIBLE:\n    a = {y:int}\n    where y > 0\n";
    cr_assert_eq(check(p, "a=3\nb=4", "kind=t"), DC_COMPATIBLE);
    cr_expect_eq(dc_result_block(C.res), 1);
    cr_assert_eq(dc_result_binding_count(C.res), 1);
    expect_binding("y", "3");
}

Test(bindings, none_when_incompatible)
{
    INCOMPATIBLE("    a = {x:int}\n    b = 2", "a=3\nb=4");
    cr_expect_eq(dc_result_binding_count(C.res), 0);
}

/* ------------------------------------------- self-describing devices */

static const char uuid1[] =
    "# UUID1\n"
    "SELF:\n"
    "\tdevice_type=pci\n"
    "\tdevice_id=8086591d\n"
    "\tmdev_type=i915-GVTg_V5_2\n"
    "\taggregator=1\n"
    "\tpv_mode=\"none+ppgtt+context\"\n"
    "\tinterface_version=3\n"
    "COMPATIBLE:\n"
    "\tdevice_type=pci\n"
    "\tdevice_id=8086591d\n"
    "\tmdev_type=i915-GVTg_V5_{val1:int:1,2,4,8}\n"
    "\taggregator={val1}/2\n"
    "\tpv_mode={val2:string:\"none+ppgtt\",\"none+context\",\"none+ppgtt+context\"}\n"
    "\tinterface_version={val3:int:2,3}\n"
    "COMPATIBLE:\n"
    "\tdevice_type=pci\n"
    "\tdevice_id=8086591d\n"
    "\tmdev_type=i915-GVTg_V5_{val1:int:1,2,4,8}\n"
    "\taggregator={val1}/2\n"
    "\tpv_mode=\"\"  #\"\" meaning empty, could be absent in a compatible device\n"
    "\tinterface_version=1\n";

static const char uuid2[] = "SELF:\n"
                            "\tdevice_type=pci\n"
                            "\tdevice_id=8086591d\n"
                            "\tmdev_type=i915-GVTg_V5_4\n"
                            "\taggregator=2\n"
                            "\tinterface_version=1\n"
                            "COMPATIBLE:\n"
                            "\tdevice_type=pci\n"
                            "\tdevice_id=8086591d\n"
                            "\tmdev_type=i915-GVTg_V5_{val1:int:1,2,4,8}\n"
                            "\taggregator={val1}/2\n"
                            "\tinterface_version=1\n";

/* Check S -> T with T's text as the policy and S's SELF block as its facts. */
static dc_verdict self_describing(const char *s_text, const char *t_text)
{
    release();
    dc_error err = { 0 };
    C.pol = compile_ok(t_text);
    cr_assert_eq(dc_facts_parse_text("s.txt", s_text, strlen(s_text), &C.src, &err), DC_OK,
                 "%s", err.message);
    cr_assert_eq(dc_facts_parse_text("t.txt", t_text, strlen(t_text), &C.tgt, &err), DC_OK,
                 "%s", err.message);
    C.res = new_result(C.pol);
    cr_assert_eq(dc_check_facts(C.pol, C.src, C.tgt, C.res, &err), DC_OK, "%s", err.message);
    return dc_result_verdict(C.res);
}

Test(upstream, uuid2_to_uuid1_compatible_second_block)
{
    cr_assert_eq(self_describing(uuid2, uuid1), DC_COMPATIBLE, "%s", explain());
    cr_expect_eq(dc_result_block(C.res), 1);
    expect_binding("val1", "4");
}

Test(upstream, uuid1_to_uuid2_incompatible_interface_version)
{
    cr_assert_eq(self_describing(uuid1, uuid2), DC_INCOMPATIBLE);
    cr_assert_eq(dc_result_reason_count(C.res), 1);
    dc_reason r = reason(0);
    cr_expect_eq(r.block, 0);
    cr_expect_eq(r.line, 12);
    cr_expect_str_eq(r.field, "interface_version");
    cr_expect_str_eq(r.expected, "1");
    cr_expect_str_eq(r.actual, "3");
}

Test(upstream, uuid1_to_itself_first_block)
{
    cr_assert_eq(self_describing(uuid1, uuid1), DC_COMPATIBLE, "%s", explain());
    cr_expect_eq(dc_result_block(C.res), 0);
    expect_binding("val1", "2");
    expect_binding("val2", "none+ppgtt+context");
    expect_binding("val3", "3");
}

Test(upstream, v5_1_needs_half_aggregator_inexact)
{
    const char *v51 = "SELF:\n device_type=pci\n device_id=8086591d\n"
                      " mdev_type=i915-GVTg_V5_1\n aggregator=0\n interface_version=1\n";
    cr_assert_eq(self_describing(v51, uuid1), DC_INCOMPATIBLE);
    cr_assert_eq(dc_result_reason_count(C.res), 2);
    dc_reason r = reason(1);
    cr_expect_str_eq(r.field, "aggregator");
    cr_expect(strstr(r.message, "inexact division") != NULL, "%s", r.message);
}

Test(upstream, uuid1_as_target_of_uuid2_policy_mismatch)
{
    /* UUID2's policy judging UUID1 as a target: SELF fails on mdev_type */
    cr_assert_eq(self_describing(uuid2, uuid2), DC_COMPATIBLE);
    release();
    C.pol = compile_ok(uuid2);
    cr_assert_eq(dc_facts_parse_text("u1", uuid1, strlen(uuid1), &C.tgt, NULL), DC_OK);
    cr_assert_eq(dc_facts_parse_text("u2", uuid2, strlen(uuid2), &C.src, NULL), DC_OK);
    C.res = new_result(C.pol);
    cr_assert_eq(dc_check_facts(C.pol, C.src, C.tgt, C.res, NULL), DC_OK);
    cr_expect_eq(dc_result_verdict(C.res), DC_TARGET_MISMATCH);
    cr_expect_str_eq(reason(0).field, "mdev_type");
}

/* ------------------------------------------------------------ API contracts */

Test(api, policy_name_and_blocks)
{
    release();
    C.pol =
        compile_ok("POLICY:\n    name = i915-gvt\nSELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n"
                   "COMPATIBLE old:\n    a = 2\n");
    cr_expect_str_eq(dc_policy_name(C.pol), "i915-gvt");
    cr_expect_str_eq(dc_policy_file(C.pol), "t.compat");
    cr_expect_eq(dc_policy_block_count(C.pol), 2);
    cr_expect_null(dc_policy_block_name(C.pol, 0));
    cr_expect_str_eq(dc_policy_block_name(C.pol, 1), "old");
    cr_expect_null(dc_policy_block_name(C.pol, 2));
}

Test(api, check_rejects_foreign_prepared)
{
    release();
    C.pol = compile_ok(SELF_T "COMPATIBLE:\n    a = 1\n");
    dc_policy *other = compile_ok(SELF_T "COMPATIBLE:\n    a = 1\n");
    C.src = mkfacts("a=1");
    C.tgt = mkfacts("kind=t");
    cr_assert_eq(dc_prepare(other, C.src, &C.ps, NULL), DC_OK);
    cr_assert_eq(dc_prepare(C.pol, C.tgt, &C.pt, NULL), DC_OK);
    C.res = new_result(C.pol);
    cr_expect_eq(dc_check(C.pol, C.ps, C.pt, C.res), DC_ERR_INVALID);
    cr_expect_eq(dc_check(C.pol, NULL, C.pt, C.res), DC_ERR_INVALID);
    dc_prepared_free(C.ps);
    C.ps = NULL;
    dc_policy_free(other);
}

Test(api, result_reused_across_checks)
{
    release();
    C.pol = compile_ok(SELF_T "COMPATIBLE:\n    a = {x:int:2..}\n");
    C.tgt = mkfacts("kind=t");
    C.res = new_result(C.pol);
    cr_assert_eq(dc_prepare(C.pol, C.tgt, &C.pt, NULL), DC_OK);
    for (int i = 0; i < 4; i++) {
        char kv[16];
        snprintf(kv, sizeof kv, "a=%d", i);
        dc_facts *s = mkfacts(kv);
        dc_prepared *ps = NULL;
        cr_assert_eq(dc_prepare(C.pol, s, &ps, NULL), DC_OK);
        cr_assert_eq(dc_check(C.pol, ps, C.pt, C.res), DC_OK);
        cr_expect_eq(dc_result_verdict(C.res), i > 1 ? DC_COMPATIBLE : DC_INCOMPATIBLE);
        if (i > 1)
            expect_binding("x", kv + 2);
        else
            cr_expect_str_eq(reason(0).actual, kv + 2);
        dc_prepared_free(ps);
        dc_facts_free(s);
    }
}

Test(api, prepared_does_not_reference_facts)
{
    release();
    C.pol = compile_ok(SELF_T "COMPATIBLE:\n    a = {x:string}\n");
    dc_facts *s = mkfacts("a=hello");
    C.tgt = mkfacts("kind=t");
    cr_assert_eq(dc_prepare(C.pol, s, &C.ps, NULL), DC_OK);
    dc_facts_free(s);
    cr_assert_eq(dc_prepare(C.pol, C.tgt, &C.pt, NULL), DC_OK);
    C.res = new_result(C.pol);
    cr_assert_eq(dc_check(C.pol, C.ps, C.pt, C.res), DC_OK);
    cr_expect_eq(dc_result_verdict(C.res), DC_COMPATIBLE);
    expect_binding("x", "hello");
}

/* Regression (fixed): a set SELF binds from a template span lived in the
 * result's scratch space, which every COMPATIBLE block started over: the
 * source's set overwrote it and `subset` compared the source with itself. */
Test(template, self_set_survives_compatible_blocks)
{
    const char *pol = "SELF:\n    caps = v1:{tcaps:set}\nCOMPATIBLE:\n"
                      "    caps = v1:{scaps:set}\n    where subset(scaps, tcaps)\n";
    dc_policy *p = NULL;
    cr_assert_eq(dc_policy_compile("t.compat", pol, strlen(pol), &p, NULL, NULL), DC_OK);
    dc_facts *s = NULL, *t = NULL;
    cr_assert_eq(dc_facts_parse_text("s", "caps=v1:a,x\n", 12, &s, NULL), DC_OK);
    cr_assert_eq(dc_facts_parse_text("t", "caps=v1:a,b,c\n", 14, &t, NULL), DC_OK);
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check_facts(p, s, t, r, NULL), DC_OK);
    cr_expect_eq(dc_result_verdict(r), DC_INCOMPATIBLE, "{a,x} is not a subset of {a,b,c}");
    dc_facts_free(s);
    dc_facts_free(t);
    cr_assert_eq(dc_facts_parse_text("s", "caps=v1:c,a\n", 12, &s, NULL), DC_OK);
    cr_assert_eq(dc_facts_parse_text("t", "caps=v1:a,b,c\n", 14, &t, NULL), DC_OK);
    cr_assert_eq(dc_check_facts(p, s, t, r, NULL), DC_OK);
    cr_expect_eq(dc_result_verdict(r), DC_COMPATIBLE);
    dc_binding b = DC_BINDING_INIT;
    cr_assert_eq(dc_result_binding_get(r, 0, &b), DC_OK);
    cr_expect_str_eq(b.text, "a,b,c");
    dc_result_free(r);
    dc_facts_free(s);
    dc_facts_free(t);
    dc_policy_free(p);
}

/* ------------------------------------------------------------ records (all, any) */

TestSuite(records, .fini = release);

/* QAT's rate-limit rule as one where (issue 15): each source SLA has a
 * destination SLA of the same service and ring-pair mask, with CIR and PIR
 * at least the source's. */
static const char qat_rule[] =
    "    where all(source.sla, s, any(self.sla, t, t.srv == s.srv && "
    "hex(t.mask) == hex(s.mask) && int(t.cir) >= int(s.cir) && int(t.pir) >= int(s.pir)))";

static const char qat_src[] = "sla.0.srv=sym\nsla.0.mask=0x3\nsla.0.cir=100\nsla.0.pir=200\n"
                              "sla.1.srv=dc\nsla.1.mask=0xc\nsla.1.cir=50\nsla.1.pir=50";

Test(records, qat_sla_rule)
{
    const char *self = "    kind = t";
    /* the destination's SLAs in another order, mask spelled otherwise */
    cr_expect_eq(pair_check(self, qat_rule, qat_src,
                            "kind=t\nsla.0.srv=dc\nsla.0.mask=c\nsla.0.cir=60\nsla.0.pir=60\n"
                            "sla.1.srv=sym\nsla.1.mask=0x3\nsla.1.cir=100\nsla.1.pir=300"),
                 DC_COMPATIBLE, "%s", explain());
    /* one CIR lower */
    cr_expect_eq(pair_check(self, qat_rule, qat_src,
                            "kind=t\nsla.0.srv=dc\nsla.0.mask=0xc\nsla.0.cir=49\nsla.0.pir=60\n"
                            "sla.1.srv=sym\nsla.1.mask=0x3\nsla.1.cir=100\nsla.1.pir=300"),
                 DC_INCOMPATIBLE);
    expect_reason_has("condition is false: all(source.sla, s, any(self.sla, t,");
    /* a service missing on the destination */
    cr_expect_eq(pair_check(self, qat_rule, qat_src,
                            "kind=t\nsla.0.srv=sym\nsla.0.mask=0x3\nsla.0.cir=100\n"
                            "sla.0.pir=300"),
                 DC_INCOMPATIBLE);
    /* no SLA on the source: nothing to honour */
    cr_expect_eq(pair_check(self, qat_rule, "other=1", "kind=t"), DC_COMPATIBLE);
}

Test(records, all_of_none_is_true_any_of_none_is_false)
{
    COMPATIBLE("    where all(source.r, x, false)", "a=1");
    INCOMPATIBLE("    where any(source.r, x, true)", "a=1");
    COMPATIBLE("    where any(source.r, x, true)", "r.0.v=1");
    INCOMPATIBLE("    where all(source.r, x, false)", "r.0.v=1");
    /* facts under the prefix that are not records are not records */
    INCOMPATIBLE("    where any(source.r, x, true)", "r.count=2\nr=3");
}

Test(records, fields_are_raw_text_and_has)
{
    COMPATIBLE("    where all(source.r, x, x.v == \"a b\")", "r.0.v=a b\nr.1.v=a b");
    COMPATIBLE("    where all(source.r, x, has(x.v) || x.w == \"1\")", "r.0.v=1\nr.1.w=1");
    INCOMPATIBLE("    where all(source.r, x, has(x.v))", "r.0.v=1\nr.1.w=1");
    /* an empty field is present but not has() */
    INCOMPATIBLE("    where all(source.r, x, has(x.v))", "r.0.v=\nr.1.v=2");
    COMPATIBLE("    where any(source.r, x, x.sub.name == \"q\")",
               "r.0.sub.name=p\nr.1.sub.name=q");
}

Test(records, an_absent_field_fails_the_rule_with_its_name)
{
    INCOMPATIBLE("    where all(source.r, x, x.v == \"1\")", "r.0.v=1\nr.1.w=2");
    expect_reason_has("source.r.1.v is absent");
    INCOMPATIBLE("    where all(source.r, x, int(x.v) > 0)", "r.0.v=1\nr.1.v=many");
    expect_reason_has("does not parse as int");
}

Test(records, a_gap_is_a_facts_error)
{
    release();
    C.pol = compile_ok(SELF_T "COMPATIBLE:\n    where all(source.r, x, has(x.v))\n");
    C.src = mkfacts("r.0.v=1\nr.2.v=3");
    dc_error err = { 0 };
    cr_expect_eq(dc_prepare(C.pol, C.src, &C.ps, &err), DC_ERR_FACTS);
    cr_expect(strstr(err.message, "records 'r': record 1 is missing (records 0..2 have facts"),
              "%s", err.message);
    cr_expect_null(C.ps);
    /* a prefix the policy does not walk is not looked at */
    dc_facts_free(C.src);
    C.src = mkfacts("q.0.v=1\nq.2.v=3\nr.0.v=1");
    cr_expect_eq(dc_prepare(C.pol, C.src, &C.ps, &err), DC_OK, "%s", err.message);
}

Test(records, nested_with_the_outer_record_and_variables)
{
    const char *self = "    kind = t\n    limit = {lim:int}";
    const char *rule = "    where all(source.q, s, any(self.q, t, t.id == s.id && "
                       "int(t.n) >= int(s.n) && int(t.n) <= lim))";
    cr_expect_eq(pair_check(self, rule, "q.0.id=a\nq.0.n=1\nq.1.id=b\nq.1.n=2",
                            "kind=t\nlimit=5\nq.0.id=b\nq.0.n=3\nq.1.id=a\nq.1.n=1"),
                 DC_COMPATIBLE, "%s", explain());
    cr_expect_eq(pair_check(self, rule, "q.0.id=a\nq.0.n=1\nq.1.id=b\nq.1.n=2",
                            "kind=t\nlimit=2\nq.0.id=b\nq.0.n=3\nq.1.id=a\nq.1.n=1"),
                 DC_INCOMPATIBLE);
    /* two loops over the same list: every pair of records is distinct in id */
    const char *uniq =
        "    where all(source.q, a, all(source.q, b, a.n == b.n || a.id != b.id))";
    COMPATIBLE(uniq, "q.0.id=x\nq.0.n=0\nq.1.id=y\nq.1.n=1");
    INCOMPATIBLE(uniq, "q.0.id=x\nq.0.n=0\nq.1.id=x\nq.1.n=1");
}

Test(records, in_self_and_after_other_rules)
{
    cr_expect_eq(pair_check("    kind = t\n    where any(self.sla, t, t.srv == \"sym\")",
                            "    a = {n:int}\n    where all(source.r, x, int(x.v) < n)",
                            "a=3\nr.0.v=1\nr.1.v=2", "kind=t\nsla.0.srv=dc\nsla.1.srv=sym"),
                 DC_COMPATIBLE, "%s", explain());
    cr_expect_eq(pair_check("    kind = t\n    where any(self.sla, t, t.srv == \"sym\")",
                            "    a = 1", "a=1", "kind=t\nsla.0.srv=dc"),
                 DC_TARGET_MISMATCH);
    /* the loop's result in a larger condition, both ways of && */
    COMPATIBLE("    a = {n:int}\n    where n > 2 && all(source.r, x, int(x.v) < n) && n < 9",
               "a=3\nr.0.v=1\nr.1.v=2");
    INCOMPATIBLE("    a = {n:int}\n    where n > 5 && all(source.r, x, int(x.v) < n)",
                 "a=3\nr.0.v=1\nr.1.v=2");
}

/* The limit: 1024 records on each side, the nested loop running its
 * 1024 x 1024 steps (every inner match is the last record): bounded, and
 * the answer right. */
Test(records, a_thousand_records_each_way)
{
    static char src[1 << 16], tgt[1 << 16];
    size_t ns = 0, nt = 0;
    for (int k = 0; k < 1024; k++)
        ns += (size_t)snprintf(src + ns, sizeof src - ns, "%sr.%d.v=%s", k ? "\n" : "", k,
                               k == 1023 ? "z" : "y");
    for (int k = 0; k < 1023; k++)
        nt += (size_t)snprintf(tgt + nt, sizeof tgt - nt, "r.%d.v=x\n", k);
    nt += (size_t)snprintf(tgt + nt, sizeof tgt - nt, "r.1023.v=y");
    const char *self = "    where any(self.r, t, has(t.v))";
    const char *rule = "    where all(source.r, s, any(self.r, t, t.v == s.v))";
    /* source record 1023 ("z") has no match: found after 1023 x 1024 steps */
    cr_expect_eq(pair_check(self, rule, src, tgt), DC_INCOMPATIBLE);
    src[ns - 1] = 'y';
    cr_expect_eq(pair_check(self, rule, src, tgt), DC_COMPATIBLE, "%s", explain());
}
