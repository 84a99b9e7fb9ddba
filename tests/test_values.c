/* test_values.c -- the five kinds of value (docs/language.md, section 4),
 * row by row: each value is compiled, then checked against facts that must
 * and must not match it, through the public API. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "devcompat.h"
#include "helpers.h"

static dc_policy *compile(const char *text, dc_diags **d)
{
    dc_policy *pol = NULL;
    dc_error err = { 0 };
    dc_policy_compile("v.compat", text, strlen(text), &pol, d, &err);
    return pol;
}

/* Facts from "name=value" lines. */
static dc_facts *facts(const char *kv)
{
    dc_facts *f = new_facts(NULL);
    cr_assert_not_null(f);
    for (const char *p = kv; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        cr_assert_not_null(eq);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(eq - p), p);
        dc_error err = { 0 };
        cr_assert_eq(dc_facts_add(f, name, eq + 1, n - (size_t)(eq - p) - 1, &err), DC_OK);
        p = eol ? eol + 1 : NULL;
    }
    return f;
}

/* Compile `text`, check source facts `src` against target facts `tgt`:
 * the verdict, and the explanation in `explained`. */
static char explained[8192];   /* the last check's explanation */
static char reason_data[1024]; /* its first reason's values and missing items */

static dc_verdict run(const char *text, const char *src, const char *tgt)
{
    dc_diags *d = NULL;
    dc_policy *pol = compile(text, &d);
    for (size_t i = 0; !pol && i < dc_diags_count(d); i++)
        cr_log_error("%u: %s", nth_diag(d, i)->line, nth_diag(d, i)->message);
    dc_diags_free(d);
    cr_assert_not_null(pol, "does not compile:\n%s", text);
    dc_facts *fs = facts(src), *ft = facts(tgt);
    dc_prepared *ps = NULL, *pt = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_prepare(pol, fs, &ps, &err), DC_OK);
    cr_assert_eq(dc_prepare(pol, ft, &pt, &err), DC_OK);
    dc_result *res = new_result(pol);
    cr_assert_not_null(res);
    cr_assert_eq(dc_check(pol, ps, pt, res), DC_OK);
    dc_verdict v = dc_result_verdict(res);
    snprintf(explained, sizeof explained, "%s", explanation(res));
    reason_data[0] = '\0';
    dc_reason rs = DC_REASON_INIT;
    if (dc_result_reason_count(res) && dc_result_reason_get(res, 0, &rs) == DC_OK) {
        size_t o = 0;
        for (size_t k = 0; k < rs.nvalues; k++)
            o += (size_t)snprintf(reason_data + o, sizeof reason_data - o, "%s=%s;",
                                  rs.values[k].name, rs.values[k].text);
        snprintf(reason_data + o, sizeof reason_data - o, "missing=%s",
                 rs.missing ? rs.missing : "-");
    }
    dc_result_free(res);
    dc_prepared_free(ps);
    dc_prepared_free(pt);
    dc_facts_free(fs);
    dc_facts_free(ft);
    dc_policy_free(pol);
    return v;
}

/* Does a source with facts `src` migrate into the target `tgt` under
 * SELF `self` (kind = t when NULL) and one COMPATIBLE block `rule`? */
static bool accepts(const char *self, const char *tgt, const char *rule, const char *src)
{
    char text[1024];
    snprintf(text, sizeof text, "SELF:\n    kind = t\n%s\nCOMPATIBLE:\n    kind = t\n    %s\n",
             self ? self : "", rule);
    char s[512], t[512];
    snprintf(s, sizeof s, "kind=t%s%s", *src ? "\n" : "", src);
    snprintf(t, sizeof t, "kind=t%s%s", tgt && *tgt ? "\n" : "", tgt ? tgt : "");
    dc_verdict v = run(text, s, t);
    cr_assert(v == DC_COMPATIBLE || v == DC_INCOMPATIBLE, "%s", explained);
    return v == DC_COMPATIBLE;
}

#define YES(rule, src)                                                                         \
    cr_expect(accepts(NULL, NULL, rule, src), "[%s] should accept [%s]", rule, src)
#define NO(rule, src)                                                                          \
    cr_expect(!accepts(NULL, NULL, rule, src), "[%s] should refuse [%s]", rule, src)

/* Row 1: "" is empty: absent or empty under =, present and non-empty under !=. */
Test(row, empty)
{
    YES("a = \"\"", "");
    YES("a = \"\"", "a=");
    NO("a = \"\"", "a=x");
    YES("a != \"\"", "a=x");
    NO("a != \"\"", "");
    NO("a != \"\"", "a=");
}

/* Row 2: a quoted literal is compared as a string, exactly. */
Test(row, quoted)
{
    YES("a = \"none+ppgtt\"", "a=none+ppgtt");
    NO("a = \"none+ppgtt\"", "a=none");
    YES("a = \"{x}/2\"", "a={x}/2");
    YES("a = \"16/9\"", "a=16/9");
}

/* Row 3: several groups, or any declaration, make a template. */
Test(row, template)
{
    const char *self = "    vid = {vid:hex}\n    did = {did:hex}\n    vtype = {vtype:int}\n"
                       "    swv = {swv:int}";
    const char *tgt = "vid=8086\ndid=591d\nvtype=2\nswv=3";
    const char *rule = "mv = {vid}-{did}-{vtype}-{swv}";
    cr_expect(accepts(self, tgt, rule, "mv=8086-591d-2-3"));
    cr_expect(accepts(self, tgt, rule, "mv=8086-591D-2-3"));
    cr_expect(!accepts(self, tgt, rule, "mv=8086-591d-2-4"));
    cr_expect(!accepts(self, tgt, rule, "mv=8086-591d-2-3-1"));
    /* {t}/{m}: a template, never a division */
    const char *tm = "    t = {t:hex}\n    m = {m:hex}";
    cr_expect(accepts(tm, "t=3390\nm=0c", "dev = {t}/{m}", "dev=3390/0c"));
    cr_expect(!accepts(tm, "t=3390\nm=0c", "dev = {t}/{m}", "dev=3390"));
    cr_expect(!accepts("    t = {t:int}\n    m = {m:int}", "t=8\nm=2", "q = {t}/{m}", "q=4"));
    /* a declaration is never an operand */
    YES("a = {v:int}/2", "a=8/2");
    NO("a = {v:int}/2", "a=4");
    YES("a = i915-GVTg_V5_{n:int:1,2,4,8}", "a=i915-GVTg_V5_4");
    NO("a = i915-GVTg_V5_{n:int:1,2,4,8}", "a=i915-GVTg_V5_3");
    YES("a = {5}", "a=0x5");
}

/* Row 4: one group with no declaration, operators and integers around it. */
Test(row, arithmetic_shorthand)
{
    const char *self = "    n = {val1:int}";
    cr_expect(accepts(self, "n=4", "aggregator = {val1}/2", "aggregator=2"));
    cr_expect(accepts(self, "n=4", "aggregator = {val1}/2", "aggregator=0x2"));
    cr_expect(!accepts(self, "n=4", "aggregator = {val1}/2", "aggregator=4/2"));
    cr_expect(!accepts(self, "n=1", "aggregator = {val1}/2", "aggregator=0"));
    cr_expect(accepts("    n = {n:int}", "n=3", "a = {n}*2+1", "a=7"));
    cr_expect(!accepts("    n = {n:int}", "n=3", "a = {n}*2+1", "a=6"));
    cr_expect(accepts("    n = {n:int}", "n=3", "a = ({n} + 2) * 3", "a=15"));
    /* a letter or a dot outside the group makes it a template */
    cr_expect(accepts("    n = {n:int}", "n=3", "a = {n}-x", "a=3-x"));
    cr_expect(accepts("    n = {n:int}", "n=3", "a = {n}.5", "a=3.5"));
}

/* Row 5: anything without braces is a literal string, compared exactly. */
Test(row, literal)
{
    YES("release = 2020-01-01", "release=2020-01-01");
    NO("release = 2020-01-01", "release=2018");
    YES("ratio = 16/9", "ratio=16/9");
    NO("ratio = 16/9", "ratio=1");
    YES("a = -1", "a=-1");
    NO("a = -1", "a=-0x1");
    YES("v = 1.0.0", "v=1.0.0");
    NO("v = 1.0.0", "v=1.0");
    YES("a = 1-2", "a=1-2");
    NO("a = 1-2", "a=-1");
    YES("a = 5", "a=5");
    NO("a = 5", "a=05");
    YES("a = 0x10 + 1", "a=0x10 + 1");
}

/* Ordering operators take an integer literal or one typed placeholder. */
Test(row, ordering)
{
    YES("a >= -1", "a=0");
    NO("a >= -1", "a=-2");
    YES("a < 0x10", "a=15");
    cr_expect(accepts("    n = {n:int}", "n=3", "a <= {n * 2}", "a=6"));
    cr_expect(!accepts("    n = {n:int}", "n=3", "a <= {n}*2", "a=7"));
}

/* The diagnostics of one policy, joined by newlines. */
static const char *lint(const char *rules, bool *ok)
{
    static char out[4096];
    char text[1024];
    snprintf(text, sizeof text,
             "SELF:\n    kind = t\n    n = {n:int:0..}\n    c = {c:set:a,b}\n"
             "COMPATIBLE:\n%s\n",
             rules);
    dc_diags *d = NULL;
    dc_policy *pol = compile(text, &d);
    *ok = pol != NULL;
    out[0] = '\0';
    for (size_t i = 0; i < dc_diags_count(d); i++) {
        const dc_diag *g = nth_diag(d, i);
        size_t len = strlen(out);
        snprintf(out + len, sizeof out - len, "%u:%s: %s\n", g->line,
                 g->severity == DC_SEV_ERROR ? "error" : "warning", g->message);
    }
    dc_diags_free(d);
    dc_policy_free(pol);
    return out;
}

Test(lint, template_of_operators_warns)
{
    bool ok;
    const char *m = lint("    a = {x:int}+{y:int}\n    where x + y + n > 0", &ok);
    cr_expect(ok);
    cr_expect(strstr(m, "6:warning: a template: this matches text such as '5+3' literally; "
                        "for arithmetic write one group such as {a + b}") != NULL,
              "%s", m);
    m = lint("    a = {n}*{x:int}\n    where x > 0", &ok);
    cr_expect(strstr(m, "a template") != NULL, "%s", m);
    /* a dash or a slash is a separator, and other text means a template was meant */
    m = lint("    a = {x:int}-{y:int}\n    where x + y + n > 0", &ok);
    cr_expect_str_eq(m, "");
    m = lint("    a = {x:int}/{y:int}\n    where x + y + n > 0", &ok);
    cr_expect_str_eq(m, "");
    m = lint("    a = v{x:int}+{y:int}\n    where x + y + n > 0", &ok);
    cr_expect_str_eq(m, "");
}

Test(lint, ordering_a_version_text_is_an_error)
{
    bool ok;
    const char *m = lint("    f >= 1.2.0\n    where n > 0 && len(c) > 0", &ok);
    cr_expect(!ok);
    cr_expect(strstr(m, "ordering operator '>=' on an untyped value") != NULL, "%s", m);
}

Test(lint, constraint_naming_a_variable)
{
    bool ok;
    const char *m = lint("    x = {x:int:0..n}\n    where len(c) > 0", &ok);
    cr_expect(!ok);
    cr_expect_str_eq(m, "6:error: constraints are constants: compare in a where "
                        "('n' is a variable: where x <= n)\n");
    m = lint("    x = {x:int:n}\n    where len(c) > 0", &ok);
    cr_expect_str_eq(m, "6:error: constraints are constants: compare in a where "
                        "('n' is a variable: where x == n)\n");
}

Test(lint, ordering_sets_suggests_subset)
{
    bool ok;
    const char *m = lint("    s = {s:set}\n    where s <= c && n > 0", &ok);
    cr_expect(!ok);
    cr_expect(strstr(m, "7:error: type error: '<=' orders integers or semvers, not sets: "
                        "write subset(s, c)\n") != NULL,
              "%s", m);
    m = lint("    s = {s:set}\n    where c > s && n > 0", &ok);
    cr_expect(strstr(m, "write subset(s, c) and != for a strict subset") != NULL, "%s", m);
}

/* ------------------------------------------------------------ fail closed */

/* Missing or cut text never widens what a block accepts (docs/language.md,
 * section 12, "fail closed"): each way a fact or an operand can be missing. */
Test(closed, absent_fact_fails_every_rule_but_empty)
{
    NO("a = x", "");
    NO("a != x", ""); /* absent is not "different" */
    NO("a != \"x\"", "");
    NO("a = {v:string}", "");
    NO("a = {v:set}", "");
    NO("a >= 1", "");
    NO("a = v{n:int}", "");
    YES("a = \"\"", ""); /* the one rule that asks for absence */
}

Test(closed, absent_where_operand_fails)
{
    NO("where source.x != \"a\"", "");
    NO("where !(int(source.x) > 5)", ""); /* a failure is not negated */
    NO("where !has(source.y) && source.x == \"a\"", "");
    YES("where !has(source.x) || source.x == \"a\"", ""); /* guarded: never read */
}

Test(closed, empty_template_span_fails)
{
    NO("a = x{s:string}", "a=x");
    NO("a = {s:string}-y", "a=-y");
    NO("a = {n:int}", "a=");
}

Test(closed, empty_fact_is_not_a_value)
{
    NO("a = {n:int}", "a=");
    NO("a = {b:bool}", "a=");
    NO("a = {v:semver}", "a=");
    NO("a != \"\"", "a=");
    /* a set: an empty fact is the empty set, which holds no item */
    NO("a = {s:set}\n    where contains(s, \"x\")", "a=");
}

/* A text cut short inside a rule is an error, never a shorter rule. */
Test(closed, cut_inside_a_value_is_an_error)
{
    static const char *const cut[] = {
        "    m = i915-GVTg_V5_{val1:int:1,2,4",
        "    p = {val2:string:\"none+ppgtt\",\"none+con",
        "    a = {val1}/",
        "    v = \"none+ppgtt",
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "SELF:\n    kind = t\nCOMPATIBLE:\n    kind = t\n%s",
                 cut[i]);
        dc_diags *d = NULL;
        dc_policy *pol = compile(text, &d);
        cr_expect_null(pol, "compiled: %s", cut[i]);
        cr_expect_gt(dc_diags_count(d), 0);
        dc_diags_free(d);
        dc_policy_free(pol);
    }
}

/* The explanation of a check (for the assertions below). */
static const char *explain_of(const char *text, const char *src, const char *tgt)
{
    run(text, src, tgt);
    return explained;
}

/* One template budget for a whole check: a block that alone stays within it
 * exhausts it when an earlier block spent most of it.  Counted in steps: the
 * same template on the same 250-dash fact, once, matches within budget. */
static void budget_case(const char *tmpl, const char *self)
{
    char text[512], src[1024];
    snprintf(text, sizeof text,
             "SELF:\n    kind = t\n%s\nCOMPATIBLE:\n    v1 = %s\n"
             "COMPATIBLE:\n    v2 = %s\n",
             self, tmpl, tmpl);
    char dashes[251];
    memset(dashes, '-', 250);
    dashes[250] = '\0';
    snprintf(src, sizeof src, "v1=%s-z\nv2=%s-z", dashes, dashes);
    const char *e = explain_of(text, src, "kind=t\nc=5");
    const char *b0 = strstr(e, "block 0"), *b1 = strstr(e, "block 1");
    cr_assert(b0 && b1, "%s", e);
    cr_expect(strstr(b0, "does not match") && strstr(b0, "does not match") < b1,
              "block 0 alone stays within the budget: %s", e);
    cr_expect(strstr(b1, "exhausted the check's template budget (100000 steps, the limit)"),
              "block 1 finds the budget spent: %s", e);
}

Test(closed, one_template_budget_per_check)
{
    /* matched when the facts are prepared: one budget for the device */
    budget_case("{a:string}-{b:string}-{c:int}-z", "    kind = t");
    /* matched while checking (a reference): one budget for the check */
    budget_case("{a:string}-{b:string}-{c}-z", "    c = {c:int:5}");
}

Test(closed, hex_beyond_arithmetic)
{
    const char *e = explain_of("SELF:\n    kind = t\nCOMPATIBLE:\n    h = {h:hex}\n"
                               "    where h + 1 > 0\n",
                               "h=8000000000000000", "kind=t");
    cr_expect(strstr(e, "hex value 8000000000000000 outside the signed 64-bit range of "
                        "arithmetic in h + 1 > 0"),
              "%s", e);
    e = explain_of("SELF:\n    kind = t\nCOMPATIBLE:\n    h = {h:hex}\n    where -h < 0\n",
                   "h=ffffffffffffffff", "kind=t");
    cr_expect(strstr(e, "hex value ffffffffffffffff outside"), "%s", e);
}

/* ------------------------------------------------- reasons show values */

/* A reason carries the values its rule read (docs/language.md, section 9). */
Test(reasons, values_involved)
{
    const char *self = "SELF:\n    kind = t\n    mdev_type = nvidia-{t:int}\n"
                       "    features = {tfeat:set}\n";
    char text[512];
    snprintf(text, sizeof text, "%sCOMPATIBLE:\n    mdev_type = nvidia-{t}\n", self);
    run(text, "mdev_type=nvidia-558", "kind=t\nmdev_type=nvidia-259\nfeatures=a,b");
    cr_expect_str_eq(reason_data, "t=259;missing=-");
    /* the message shows them, on its one line */
    cr_expect_str_eq(explained,
                     "v.compat:6: block 0: mdev_type 'nvidia-558' does not match nvidia-{t} "
                     "(t = 259)\n");
    snprintf(text, sizeof text,
             "%sCOMPATIBLE:\n    features = {sfeat:set}\n"
             "    where subset(sfeat, tfeat)\n",
             self);
    run(text, "features=a,macsec,b", "kind=t\nmdev_type=nvidia-259\nfeatures=a,b");
    cr_expect_str_eq(reason_data, "sfeat=a,b,macsec;tfeat=a,b;missing=macsec");
    cr_expect_str_eq(explained,
                     "v.compat:7: block 0: condition is false: subset(sfeat, tfeat): missing "
                     "macsec (sfeat = a,b,macsec; tfeat = a,b)\n");
}

/* A variable the failing rule binds itself is no value it was given,
 * whether it reads it after binding it (a constraint) or not. */
Test(reasons, own_declaration_not_shown)
{
    run("SELF:\n    kind = t\n    v = {tv:semver:^1.0.0}\nCOMPATIBLE:\n    kind = t\n",
        "kind=t", "kind=t");
    cr_expect_str_eq(reason_data, "missing=-");
    cr_expect(strstr(explained, "v is absent; the rule wants = {tv:semver:^1.0.0}\n"), "%s",
              explained);
    /* the block's own variables, as they were when its rule failed */
    run("SELF:\n    kind = t\n    n = {t:int}\nCOMPATIBLE:\n    a = {x:int}\n"
        "    b = {x * 2 + t}\n",
        "a=5\nb=3", "kind=t\nn=1");
    cr_expect_str_eq(reason_data, "x=5;t=1;missing=-");
    cr_expect(strstr(explained, "b is '3', expected '11' (x = 5; t = 1)\n"), "%s", explained);
}

/* Values in the JSON of a result: an int a number, a hex its canonical
 * text, a set's missing items a list, every string escaped. */
Test(reasons, values_json)
{
    const char *text = "SELF:\n    kind = t\n    pci = {pid:hex}\n    name = {n:string}\n"
                       "    f = {tf:set}\n    c = {k:int}\n"
                       "COMPATIBLE:\n    f = {sf:set}\n    where subset(sf, tf) && k > 0\n"
                       "COMPATIBLE:\n    f = {s2:set}\n    where subset(s2, tf)\n"
                       "COMPATIBLE:\n    where n == \"x\" && pid == 0x591e && k > 3\n";
    dc_diags *d = NULL;
    dc_policy *pol = compile(text, &d);
    dc_diags_free(d);
    cr_assert_not_null(pol);
    dc_facts *fs = facts("f=a,macsec"), *ft = facts("kind=t\npci=591D\nname=a\"b\\c\nf=a\nc=2");
    dc_result *res = new_result(pol);
    dc_error err = { 0 };
    cr_assert_eq(dc_check_facts(pol, fs, ft, res, &err), DC_OK, "%s", err.message);
    const char *json = NULL;
    cr_assert_eq(dc_result_render(res, DC_FORMAT_JSON, 0, NULL, &json), DC_OK);
    /* a subset the where does not test alone: values, no missing items */
    cr_expect(strstr(json, "(sf = a,macsec; tf = a; k = 2)\", \"values\": {\"sf\": "
                           "\"a,macsec\", \"tf\": \"a\", \"k\": 2}, \"missing\": null}"),
              "%s", json);
    cr_expect(strstr(json, "\"values\": {\"s2\": \"a,macsec\", \"tf\": \"a\"}, "
                           "\"missing\": [\"macsec\"]}"),
              "%s", json);
    cr_expect(strstr(json, "\"values\": {\"n\": \"a\\\"b\\\\c\", \"pid\": \"591d\", "
                           "\"k\": 2}, \"missing\": null}"),
              "%s", json);
    dc_result_free(res);
    dc_facts_free(fs);
    dc_facts_free(ft);
    dc_policy_free(pol);
}

/* A later block reuses the registers: each block's values are its own. */
Test(reasons, each_block_its_own_values)
{
    run("SELF:\n    kind = t\n    n = {t:int}\nCOMPATIBLE:\n    v = {sv:int}\n"
        "    where sv <= t\nCOMPATIBLE:\n    w = {sw:int}\n    where sw <= t\n",
        "v=300\nw=400", "kind=t\nn=259");
    cr_expect_str_eq(reason_data, "sv=300;t=259;missing=-");
    /* a subset the where does not test alone: no missing items claimed */
    run("SELF:\n    kind = t\n    f = {tf:set}\nCOMPATIBLE:\n    f = {sf:set}\n"
        "    where len(sf) > 9 || subset(sf, tf)\n",
        "f=a,b", "kind=t\nf=a");
    cr_expect_str_eq(reason_data, "sf=a,b;tf=a;missing=-");
}
