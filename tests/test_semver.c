/* test_semver.c -- SemVer versions and node-semver ranges.
 *
 * The tsv files under tests/data/semver are node-semver's own fixtures; the
 * few places where devcompat deliberately differs are asserted as such.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devcompat.h"
#include "semver.h"
#include "semver_range.h"
#include "value.h"
#include "test_alloc.h"

#ifndef DC_TEST_DATA
#define DC_TEST_DATA "tests/data"
#endif

#define S(lit) (lit), (sizeof(lit) - 1)

/* ------------------------------------------------------------ tsv rows */

enum { MAX_ROWS = 512, MAX_COLS = 6 };

typedef struct tsv {
    char *text;
    size_t nrows;
    char *cols[MAX_ROWS][MAX_COLS];
} tsv;

/* Unescapes "\t" (the fixture writes node-semver's tab as two characters). */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 't') {
            *w++ = '\t';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* Loads a tsv file, skipping its header line. */
static tsv *tsv_load(const char *name, size_t ncols)
{
    char path[512];
    snprintf(path, sizeof path, "%s/semver/%s", DC_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    tsv *t = calloc(1, sizeof *t);
    cr_assert_not_null(t);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    t->text = calloc(1, (size_t)size + 1);
    cr_assert_eq(fread(t->text, 1, (size_t)size, f), (size_t)size);
    fclose(f);

    char *line = t->text;
    bool header = true;
    while (line && *line) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!header && *line) {
            cr_assert_lt(t->nrows, MAX_ROWS);
            char *p = line;
            for (size_t c = 0; c < ncols; c++) {
                char *tab = strchr(p, '\t');
                cr_assert(tab || c == ncols - 1, "%s: short row '%s'", name, line);
                if (tab)
                    *tab = '\0';
                unescape(p);
                t->cols[t->nrows][c] = p;
                p = tab ? tab + 1 : p + strlen(p);
            }
            t->nrows++;
        }
        header = false;
        line = next;
    }
    return t;
}

static void tsv_free(tsv *t)
{
    free(t->text);
    free(t);
}

/* ------------------------------------------------------------- helpers */

static semver ver(const char *s)
{
    semver v;
    cr_assert(parse_semver(s, strlen(s), &v), "parse_semver '%s'", s);
    return v;
}

static bool valid(const char *s)
{
    semver v;
    return parse_semver(s, strlen(s), &v);
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static int vcmp(const char *a, const char *b)
{
    semver va = ver(a), vb = ver(b);
    return sign(semver_cmp(&va, &vb));
}

static const char *render(const semver *v)
{
    static char buf[256];
    semver_render(v, buf, sizeof buf);
    return buf;
}

/* ------------------------------------------------------------ versions */

Test(parse_semver, fields)
{
    semver v = ver("10.20.30-rc.1+build.7");
    cr_expect_eq(v.major, 10);
    cr_expect_eq(v.minor, 20);
    cr_expect_eq(v.patch, 30);
    cr_expect_eq(v.pre.len, 4);
    cr_expect(memcmp(v.pre.p, "rc.1", 4) == 0);

    v = ver("1.2");
    cr_expect_eq(v.patch, 0);
    cr_expect_eq(v.pre.len, 0);
    v = ver("1.2-beta"); /* missing patch = 0, pre-release kept */
    cr_expect_eq(v.patch, 0);
    cr_expect_str_eq(render(&v), "1.2.0-beta");
    v = ver("1.2+meta");
    cr_expect_str_eq(render(&v), "1.2.0");
    v = ver("18446744073709551615.18446744073709551615.18446744073709551615");
    cr_expect_eq(v.major, UINT64_MAX);
    cr_expect_eq(v.patch, UINT64_MAX);
}

Test(parse_semver, rejects)
{
    static const char *const bad[] = {
        "",
        "1",
        "1.",
        "1.2.",
        "1.2.3.",
        "1.2.3.4",
        "v1.2.3",
        "=1.2.3",
        " 1.2.3",
        "1.2.3 ",
        "1.2.3\n",
        "1 .2.3",
        "01.2.3",
        "1.02.3",
        "1.2.03",
        "1.2.3-",
        "1.2.3+",
        "1.2.3-a..b",
        "1.2.3-a.",
        "1.2.3-.a",
        "1.2.3-01",
        "1.2.3-a_b",
        "1.2.3+a..b",
        "1.2.3+a+b",
        "1.2.3-a+b+c",
        "-1.2.3",
        "+1.2.3",
        "1.-2.3",
        "a.b.c",
        "1.x.3",
        "1.2.x",
        "*",
        "1.2.3-ü",
        "18446744073709551616.0.0",
        "0.18446744073709551616.0",
        "0.0.18446744073709551616",
        "99999999999999999999.0.0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        semver v;
        memset(&v, 0x5a, sizeof v);
        cr_expect(!parse_semver(bad[i], strlen(bad[i]), &v), "'%s' should be invalid", bad[i]);
        cr_expect_eq(v.major, 0x5a5a5a5a5a5a5a5aull, "'%s' must leave *out alone", bad[i]);
    }
    semver v;
    cr_expect(parse_semver("1.2.3-rc", 5, &v)); /* reads exactly n bytes */
    cr_expect_eq(v.pre.len, 0);
    cr_expect(!parse_semver("1.2.3", 0, &v));
}

Test(parse_semver, build_and_numeric_edges)
{
    cr_expect(valid("1.2.3+001")); /* build ids may have leading zeros */
    cr_expect(valid("1.2.3-0"));
    cr_expect(valid("1.2.3-0a"));
    cr_expect(valid("1.2.3-a-"));
    cr_expect(valid("1.2.3--"));
    cr_expect(valid("0.0.0"));
    cr_expect(!valid("1.2.3-00"));
    cr_expect(valid("1.2.3-00a"));
}

/* node-semver's validity fixture (the semver.org list). */
Test(parse_semver, validity_tsv)
{
    tsv *t = tsv_load("semver-validity.tsv", 2);
    size_t checked = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const char *s = t->cols[i][0];
        bool want = strcmp(t->cols[i][1], "1") == 0;
        /* Documented differences (docs/language.md, section 6): a missing patch means .0, so
         * "1.2" and "1.2-pre" are versions for us; numbers must fit in
         * uint64, so the 23-digit major of the fixture is invalid. */
        if (!strcmp(s, "1.2") || !strcmp(s, "1.2-SNAPSHOT") || !strcmp(s, "1.2-RC-SNAPSHOT"))
            want = true;
        if (!strncmp(s, "99999999999999999999999.", 24))
            want = false;
        cr_expect_eq(valid(s), want, "'%s': expected %s", s, want ? "valid" : "invalid");
        checked++;
    }
    cr_expect_eq(checked, 70);
    tsv_free(t);
}

/* ---------------------------------------------------------- precedence */

Test(semver_cmp, precedence)
{
    static const char *const order[] = {
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "1.10.0",
        "2.0.0",
        "18446744073709551615.0.0",
    };
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            cr_expect_eq(vcmp(order[i], order[j]), i < j ? -1 : i > j, "%s vs %s", order[i],
                         order[j]);
}

Test(semver_cmp, identifiers)
{
    cr_expect_eq(vcmp("1.0.0-2", "1.0.0-10"), -1); /* numerically */
    cr_expect_eq(vcmp("1.0.0-99999999999999999999", "1.0.0-100000000000000000000"), -1);
    cr_expect_eq(vcmp("1.0.0-999", "1.0.0-a"), -1);  /* numeric < alpha */
    cr_expect_eq(vcmp("1.0.0-9a", "1.0.0-10"), 1);   /* "9a" is alnum */
    cr_expect_eq(vcmp("1.0.0-B", "1.0.0-a"), -1);    /* ASCII */
    cr_expect_eq(vcmp("1.0.0-a", "1.0.0-a.0"), -1);  /* shorter first */
    cr_expect_eq(vcmp("1.0.0-a-b", "1.0.0-a.b"), 1); /* "a-b" > "a" */
    cr_expect_eq(vcmp("1.0.0-ab", "1.0.0-a"), 1);
    cr_expect_eq(vcmp("1.0.0+x", "1.0.0+y"), 0); /* build ignored */
    cr_expect_eq(vcmp("1.0.0-rc+x", "1.0.0-rc"), 0);
    cr_expect_eq(vcmp("1.2", "1.2.0"), 0);
}

/* node-semver's comparison fixture, strict rows. */
Test(semver_cmp, compare_tsv)
{
    tsv *t = tsv_load("semver-compare.tsv", 4);
    size_t checked = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        if (strcmp(t->cols[i][3], "0") != 0)
            continue;
        const char *a = t->cols[i][0], *b = t->cols[i][1], *rel = t->cols[i][2];
        int want = !strcmp(rel, ">") ? 1 : !strcmp(rel, "<") ? -1 : 0;
        if (!valid(a) || !valid(b)) {
            /* "  v1.2.3+build" is node's trim + 'v' leniency, not ours. */
            cr_expect(a[0] == ' ' || a[0] == 'v', "row %zu: '%s' '%s'", i + 2, a, b);
            continue;
        }
        cr_expect_eq(vcmp(a, b), want, "%s %s %s", a, rel, b);
        cr_expect_eq(vcmp(b, a), -want, "%s vs %s reversed", b, a);
        checked++;
    }
    cr_expect_eq(checked, 21);
    tsv_free(t);
}

Test(semver_render, canonical)
{
    semver v = ver("1.2.3-rc.1+build");
    char buf[8];
    cr_expect_eq(semver_render(&v, buf, sizeof buf), 10);
    cr_expect_str_eq(buf, "1.2.3-r");
    cr_expect_eq(semver_render(&v, NULL, 0), 10);
    v = ver("0.0.0");
    cr_expect_str_eq(render(&v), "0.0.0");
}

/* -------------------------------------------------------------- ranges */

typedef struct range_box {
    sv_range r;
    char err[200];
    size_t off;
    bool ok;
} range_box;

static range_box rparse(const char *text)
{
    range_box b;
    memset(&b, 0, sizeof b);
    b.off = 12345;
    b.ok = sv_range_parse(NULL, text, strlen(text), &b.r, b.err, sizeof b.err, &b.off);
    return b;
}

static const char *rrender(const sv_range *r)
{
    static char buf[512];
    size_t len = sv_range_render(r, buf, sizeof buf);
    cr_assert_lt(len, sizeof buf);
    cr_assert_eq(len, strlen(buf));
    return buf;
}

static bool satisfies(const char *range, const char *version)
{
    range_box b = rparse(range);
    semver v;
    bool res;
    cr_assert(b.ok, "range '%s': %s", range, b.err);
    res = parse_semver(version, strlen(version), &v) && sv_range_test(&b.r, &v);
    sv_range_free(NULL, &b.r);
    return res;
}

/* node-semver's satisfies fixture: every strict row, includePrerelease off.
 * A version that is not a version for us satisfies nothing. */
Test(sv_range, range_tsv)
{
    tsv *t = tsv_load("semver-range.tsv", 5);
    size_t checked = 0, skipped = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        char **c = t->cols[i];
        if (strcmp(c[3], "0") != 0 || strcmp(c[4], "0") != 0) {
            skipped++;
            continue;
        }
        bool want = !strcmp(c[2], "true");
        range_box b = rparse(c[0]);
        cr_expect(b.ok, "row %zu: range '%s' rejected: %s", i + 2, c[0], b.err);
        if (b.ok) {
            semver v;
            bool got = parse_semver(c[1], strlen(c[1]), &v) && sv_range_test(&b.r, &v);
            cr_expect_eq(got, want, "row %zu: '%s' satisfies '%s' should be %s (desugared: %s)",
                         i + 2, c[1], c[0], c[2], rrender(&b.r));
            sv_range_free(NULL, &b.r);
        }
        checked++;
    }
    cr_expect_eq(checked, 178);
    cr_expect_eq(checked + skipped, 224);
    tsv_free(t);
}

/* Desugared forms, as node-semver 7.8.6 prints them (its "||" written
 * " || " and an any-set "*"). */
Test(sv_range, desugar_and_render)
{
    static const char *const cases[][2] = {
        { "^1.2.3", ">=1.2.3 <2.0.0-0" },
        { "^0.2.3", ">=0.2.3 <0.3.0-0" },
        { "^0.0.3", ">=0.0.3 <0.0.4-0" },
        { "^1.2.3-beta.2", ">=1.2.3-beta.2 <2.0.0-0" },
        { "^0.0.3-beta", ">=0.0.3-beta <0.0.4-0" },
        { "^1.x", ">=1.0.0 <2.0.0-0" },
        { "^0.x", "<1.0.0-0" },
        { "^0.0.x", "<0.1.0-0" },
        { "^0.0", "<0.1.0-0" },
        { "^0", "<1.0.0-0" },
        { "^1.2", ">=1.2.0 <2.0.0-0" },
        { "^*", "*" },
        { "~1.2.3", ">=1.2.3 <1.3.0-0" },
        { "~1.2", ">=1.2.0 <1.3.0-0" },
        { "~1", ">=1.0.0 <2.0.0-0" },
        { "~0.2.3-rc.1", ">=0.2.3-rc.1 <0.3.0-0" },
        { "~>3.2.1", ">=3.2.1 <3.3.0-0" },
        { "~ 1.0", ">=1.0.0 <1.1.0-0" },
        { "1.x", ">=1.0.0 <2.0.0-0" },
        { "1.2.*", ">=1.2.0 <1.3.0-0" },
        { "*", "*" },
        { "x", "*" },
        { "X.X.X", "*" },
        { "1", ">=1.0.0 <2.0.0-0" },
        { "1.2", ">=1.2.0 <1.3.0-0" },
        { ">1", ">=2.0.0" },
        { ">1.2", ">=1.3.0" },
        { ">=1.2", ">=1.2.0" },
        { "<1.2", "<1.2.0-0" },
        { "<=1.2", "<1.3.0-0" },
        { "<=7.x", "<8.0.0-0" },
        { "=0.7.x", ">=0.7.0 <0.8.0-0" },
        { ">x", "<0.0.0-0" },
        { "<x", "<0.0.0-0" },
        { "<=x", "*" },
        { "1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4" },
        { "1.2 - 2.3.4", ">=1.2.0 <=2.3.4" },
        { "1.2.3 - 2.3", ">=1.2.3 <2.4.0-0" },
        { "1.2.3 - 2", ">=1.2.3 <3.0.0-0" },
        { "1.2.3-rc.1 - 2.3.4-beta", ">=1.2.3-rc.1 <=2.3.4-beta" },
        { "x - 1.0.0", "<=1.0.0" },
        { "1.x - x", ">=1.0.0" },
        { ">= 1.2.3 < 2", ">=1.2.3 <2.0.0-0" },
        { "> 1.2.3 <= 2.0.0 || < 0.1.0", ">1.2.3 <=2.0.0 || <0.1.0" },
        { "=1.2.3", "1.2.3" },
        { "v1.2.3", "1.2.3" },
        { "1.2.3+build", "1.2.3" },
        { ">=0.0.0", "*" },
        { ">=0.0.0 <1", "<1.0.0-0" },
        { "1.2.3 >=1.2.3 1.2.3", "1.2.3 >=1.2.3" },
        { "<0.0.0-0 || 1.0.0", "1.0.0" },
        { "<0.0.0-0 || <x", "<0.0.0-0" },
        { "* || 1.2.3", "*" },
        { "1.2.3 || *", "*" },
        { ">=1.0.0 <x 2.0.0", "<0.0.0-0" },
        { "||", "*" },
        { "|| ||", "*" },
        { "1.2.3 ||", "*" },
        { "", "*" },
        { " \t\n ", "*" },
        { "\t>=\t1.2.3\n<\n2 ", ">=1.2.3 <2.0.0-0" },
        { "^1.2.3+build.5", ">=1.2.3 <2.0.0-0" },
        { "1.2.3+a - 2.0.0+b", ">=1.2.3 <=2.0.0" },
        { "^1.x.3", ">=1.0.0 <2.0.0-0" },
        { "==1.2", ">=1.2.0 <1.3.0-0" },
        { "9007199254740991.0.0", "9007199254740991.0.0" },
        { "~9007199254740990.1", ">=9007199254740990.1.0 <9007199254740990.2.0-0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        range_box b = rparse(cases[i][0]);
        cr_expect(b.ok, "'%s': %s", cases[i][0], b.err);
        if (!b.ok)
            continue;
        cr_expect_str_eq(rrender(&b.r), cases[i][1], "range '%s'", cases[i][0]);
        sv_range_free(NULL, &b.r);
    }
}

Test(sv_range, structure)
{
    range_box b = rparse("^1.2.3-rc.1 || <0.5");
    cr_assert(b.ok, "%s", b.err);
    cr_expect_eq(b.r.nsets, 2);
    cr_expect_eq(b.r.ncmps, 3);
    cr_expect_eq(b.r.set_end[0], 2);
    cr_expect_eq(b.r.set_end[1], 3);
    cr_expect_eq(b.r.cmps[0].op, SV_GE);
    cr_expect_eq(b.r.cmps[0].v.pre.len, 4);
    cr_expect(memcmp(b.r.cmps[0].v.pre.p, "rc.1", 4) == 0);
    cr_expect_eq(b.r.cmps[1].op, SV_LT);
    cr_expect_eq(b.r.cmps[1].v.major, 2);
    cr_expect_eq(b.r.cmps[1].v.pre.len, 1);
    cr_expect_eq(b.r.cmps[1].v.pre.p[0], '0');
    cr_expect_eq(b.r.cmps[2].op, SV_LT);
    cr_expect_eq(b.r.cmps[2].v.minor, 5);
    sv_range_free(NULL, &b.r);
    cr_expect_eq(b.r.nsets, 0);
    cr_expect_null(b.r.cmps);
    sv_range_free(NULL, &b.r); /* twice is harmless */
    sv_range_free(NULL, NULL);
}

Test(sv_range, prerelease_rule)
{
    cr_expect(satisfies("^1.2.3-beta.2", "1.2.3-beta.4"));
    cr_expect(!satisfies("^1.2.3-beta.2", "1.2.3-beta.1"));
    cr_expect(!satisfies("^1.2.3-beta.2", "1.2.4-beta.9")); /* other patch */
    cr_expect(satisfies("^1.2.3-beta.2", "1.2.4"));
    cr_expect(!satisfies("*", "1.0.0-rc.1"));
    cr_expect(!satisfies("", "1.0.0-rc.1"));
    cr_expect(satisfies(">=1.0.0-rc.1", "1.0.0-rc.2"));
    cr_expect(!satisfies(">=1.0.0-rc.1", "1.0.1-rc.2"));
    cr_expect(satisfies(">=1.0.0-rc.1 || >=1.0.1-alpha", "1.0.1-rc.2"));
    cr_expect(satisfies("<2.0.0-0", "1.5.0"));
    cr_expect(!satisfies("<2.0.0-0", "2.0.0-alpha"));
    cr_expect(satisfies("1.2", "1.2.9"));
    cr_expect(satisfies("1.2.3-rc", "1.2.3-rc+build")); /* build ignored */
    cr_expect(satisfies(">=1.2 <1.3", "1.2"));          /* our "1.2" is 1.2.0 */
}

Test(sv_range, is_empty)
{
    static const char *const empty[] = {
        ">2.0.0 <1.0.0",
        ">=3.0.0 <3.0.0",
        ">3.0.0 <=3.0.0",
        ">=3.0.0 <3.0.0 || >5 <4",
        "<0.0.0-0",
        "<x",
        ">x",
        "1.2.3 2.0.0",
        "1.2.3 >1.2.3",
        "1.2.3 <1.2.3",
        ">=1.0.0 <x 2.0.0",
        "<0.0.0",
        "^1.2.3 >=2.0.0-0",
        "<1.0.0-alpha >1.0.0-alpha",
        "<0.0.0-0 || <0.0.0-0",
        ">1.2.3 <1.2.4",
        ">1.0.0 <1.0.1",
        "=1.2.3-rc 1.2.3",
        ">=1.2.3-rc.2 <=1.2.3-rc.1",
    };
    static const char *const nonempty[] = {
        "",
        "*",
        "1.2.3",
        ">=3.0.0 <=3.0.0",
        ">1.2.3 <1.2.4-rc",
        ">2.0.0 <1.0.0 || 1.5.0",
        "^1.2.3",
        "<0.0.0-1",
        "<=0.0.0-0",
        ">=1.0.0-alpha <1.0.0",
        ">1.2.3 <1.2.4-0", /* no version fits, but bounds alone cannot tell */
        ">=1.2.3-rc.1 <1.2.3",
        "<1.2.3-rc",
        ">=1.2.3-rc.1 <=1.2.3-rc.1",
        ">1.2.3 <=1.2.4",
        "<0.0.0-0 || 1.0.0",
        ">9007199254740991.9007199254740991.9007199254740991",
    };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        range_box b = rparse(empty[i]);
        cr_assert(b.ok, "'%s': %s", empty[i], b.err);
        cr_expect(sv_range_is_empty(&b.r), "'%s' (%s) should be empty", empty[i],
                  rrender(&b.r));
        sv_range_free(NULL, &b.r);
    }
    for (size_t i = 0; i < sizeof nonempty / sizeof nonempty[0]; i++) {
        range_box b = rparse(nonempty[i]);
        cr_assert(b.ok, "'%s': %s", nonempty[i], b.err);
        cr_expect(!sv_range_is_empty(&b.r), "'%s' (%s) is not empty", nonempty[i],
                  rrender(&b.r));
        sv_range_free(NULL, &b.r);
    }
}

/* A range said empty must really satisfy nothing: probe a grid of versions. */
Test(sv_range, is_empty_never_lies)
{
    static const char *const ranges[] = {
        ">=1.0.0 <1.0.0-0", ">1.0.0-rc <1.0.0", ">=1.0.0-rc.1 <=1.0.0-rc.1",
        "1.0.0 >=1.0.0",    "<1.0.0 >0.9",      ">1.2.3 <1.2.4",
        ">1.2.3 <1.2.4-rc", ">1.0.0 <1.0.1",    "^0.0.1 >0.0.1",
        "~1.2 >1.2.9",      ">=2 <=2",          "<=2 >=2.0.0-0",
    };
    static const char *const probes[] = {
        "0.0.0",   "0.0.0-0", "0.9.0",    "0.9.9",      "0.0.1",      "0.0.1-a",
        "0.0.2-0", "1.0.0-0", "1.0.0-rc", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0",
        "1.2.3",   "1.2.4-0", "1.2.4-a",  "1.2.4",      "1.2.9",      "1.2.10",
        "1.3.0-0", "2.0.0-0", "2.0.0",    "2.0.1",
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        range_box b = rparse(ranges[i]);
        cr_assert(b.ok, "'%s': %s", ranges[i], b.err);
        if (sv_range_is_empty(&b.r)) {
            for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
                semver v = ver(probes[k]);
                cr_expect(!sv_range_test(&b.r, &v), "'%s' said empty but holds %s", ranges[i],
                          probes[k]);
            }
        }
        sv_range_free(NULL, &b.r);
    }
}

/* Texts node-semver rejects in strict mode, with our message and offset. */
Test(sv_range, errors)
{
    static const struct {
        const char *text, *msg;
        size_t off;
    } cases[] = {
        { ">=", "missing version after '>=' in range", 0 },
        { "^", "missing version after '^' in range", 0 },
        { "~>", "missing version after '~>' in range", 0 },
        { "1.2.3 ^", "missing version after '^' in range", 6 },
        { "1.2.3.4", "invalid version '1.2.3.4' in range", 0 },
        { ">= 1.2.3.4", "invalid version '1.2.3.4' in range", 3 },
        { "1.2.3 - ", "invalid comparator '-' in range", 6 },
        { "1.2.3 || foo", "invalid comparator 'foo' in range", 9 },
        { "1.2.3-01", "invalid version '1.2.3-01' in range: leading zero in '01'", 0 },
        { "01.2.3", "invalid version '01.2.3' in range: leading zero in '01'", 0 },
        { "1.x.3", "invalid version '1.x.3' in range", 0 },
        { "x.1", "invalid comparator 'x.1' in range", 0 },
        { "=1.2.3 - 2", "invalid comparator '=1.2.3' in range", 0 },
        { "==1.2.3", "invalid comparator '==1.2.3' in range", 0 },
        { "1.2.3 >1.2.3+", "invalid version '1.2.3+' in range", 7 },
        { ">=1.2.3 <2 || 3 - ", "invalid comparator '-' in range", 16 },
        { "1.2.3 | 2", "invalid comparator '|' in range", 6 },
        { "9007199254740992.0.0",
          "version number too large in '9007199254740992.0.0' in range (the limit is "
          "9007199254740991)",
          0 },
        { "^9007199254740991",
          "version number too large: '9007199254740991' in range (its upper bound needs one "
          "more;"
          " the limit is 9007199254740991)",
          1 },
        { ">=99999999999999999999.0.0",
          "version number too large in '99999999999999999999.0.0' in range (the limit is "
          "9007199254740991)",
          2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        range_box b = rparse(cases[i].text);
        cr_expect(!b.ok, "'%s' should be rejected", cases[i].text);
        cr_expect_str_eq(b.err, cases[i].msg, "range '%s'", cases[i].text);
        cr_expect_eq(b.off, cases[i].off, "range '%s': offset %zu", cases[i].text, b.off);
        cr_expect_null(strchr(b.err, '\n'));
    }
}

Test(sv_range, error_buffers)
{
    sv_range r;
    char small[8];
    size_t off = 99;
    cr_expect(!sv_range_parse(NULL, S("1.2.3.4"), &r, small, sizeof small, &off));
    cr_expect_str_eq(small, "invalid");
    cr_expect_eq(off, 0);
    cr_expect(!sv_range_parse(NULL, S("1.2.3.4"), &r, NULL, 0, NULL));
    cr_expect_eq(r.nsets, 0);
    cr_expect(sv_range_parse(NULL, NULL, 0, &r, NULL, 0, NULL)); /* "" = any */
    cr_expect_str_eq(rrender(&r), "*");
    sv_range_free(NULL, &r);

    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char msg[200];
    cr_expect(!sv_range_parse(NULL, big, strlen(big), &r, msg, sizeof msg, &off));
    cr_expect_lt(strlen(msg), 120); /* the quote is shortened */
    cr_expect_not_null(strstr(msg, "...'"));
}

Test(sv_range, long_version_text)
{
    char text[400];
    strcpy(text, "1.2.3-");
    memset(text + 6, 'a', 260);
    text[266] = '\0';
    range_box b = rparse(text);
    cr_expect(!b.ok);
    cr_expect_not_null(strstr(b.err, "longer than 256"), "%s", b.err);
}

Test(sv_range, render_is_snprintf_like)
{
    range_box b = rparse("^1.2.3 || ~0.1");
    char buf[10];
    cr_assert(b.ok);
    size_t full = strlen(">=1.2.3 <2.0.0-0 || >=0.1.0 <0.2.0-0");
    cr_expect_eq(sv_range_render(&b.r, buf, sizeof buf), full);
    cr_expect_str_eq(buf, ">=1.2.3 <");
    cr_expect_eq(sv_range_render(&b.r, NULL, 0), full);
    sv_range_free(NULL, &b.r);
}

Test(sv_range, allocation_failures)
{
    const char *text = "^1.2.3-rc.1 || 1.x - 2.3.4-beta || >= 0.1 <0.5.0-alpha.7";
    bool done = false;
    for (int n = 0; n < 500 && !done; n++) {
        test_alloc f = { .fail_at = n + 1 }; /* n calls succeed, then one fails */
        dc_alloc a = test_hook(&f);
        sv_range r;
        char err[100] = "";
        if (sv_range_parse(&a, text, strlen(text), &r, err, sizeof err, NULL)) {
            cr_expect_str_eq(rrender(&r), ">=1.2.3-rc.1 <2.0.0-0 || >=1.0.0 <=2.3.4-beta"
                                          " || >=0.1.0 <0.5.0-alpha.7");
            sv_range_free(&a, &r);
            done = true;
        } else {
            cr_expect_str_eq(err, "out of memory parsing a semver range", "n=%d", n);
        }
        cr_expect_eq(f.live, 0, "n=%d leaks %ld blocks", n, f.live);
    }
    cr_expect(done);
}
