/* test_value.c -- the six types of docs/language.md, section 6: parsers, sets, compare, render;
 * and sink.h, the text builder every renderer writes through. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "semver.h"
#include "sink.h"
#include "value.h"
#include "test_alloc.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static bool int_ok(const char *s, int64_t want)
{
    int64_t v = 12345;
    return parse_int(s, strlen(s), &v) && v == want;
}

static bool int_bad(const char *s)
{
    int64_t v = 12345;
    return !parse_int(s, strlen(s), &v) && v == 12345; /* untouched */
}

static bool hex_ok(const char *s, uint64_t want)
{
    uint64_t v = 12345;
    return parse_hex(s, strlen(s), &v) && v == want;
}

static bool hex_bad(const char *s)
{
    uint64_t v = 12345;
    return !parse_hex(s, strlen(s), &v) && v == 12345;
}

/* ---------------------------------------------------------------- names */

Test(vtype, names_round_trip)
{
    static const char *const names[] = { "int", "hex", "string", "semver", "bool", "set" };
    for (int t = VT_INT; t < VT_COUNT; t++) {
        cr_expect_str_eq(vtype_name((vtype)t), names[t - VT_INT]);
        cr_expect_eq(vtype_from_name(names[t - VT_INT], strlen(names[t - VT_INT])), (vtype)t);
    }
    cr_expect_null(vtype_name(VT_NONE));
    cr_expect_null(vtype_name(VT_COUNT));
    cr_expect_eq(vtype_from_name(S("Int")), VT_NONE);
    cr_expect_eq(vtype_from_name(S("integer")), VT_NONE);
    cr_expect_eq(vtype_from_name(S("in")), VT_NONE);
    cr_expect_eq(vtype_from_name(S("")), VT_NONE);
    cr_expect_eq(vtype_from_name("int", 2), VT_NONE);
}

/* ------------------------------------------------------------------ int */

Test(parse_int, decimal)
{
    cr_expect(int_ok("0", 0));
    cr_expect(int_ok("-0", 0));
    cr_expect(int_ok("42", 42));
    cr_expect(int_ok("-42", -42));
    cr_expect(int_ok("007", 7));
    cr_expect(int_ok("9223372036854775807", INT64_MAX));
    cr_expect(int_ok("-9223372036854775808", INT64_MIN));
    cr_expect(int_ok("-9223372036854775807", -INT64_MAX));
}

Test(parse_int, hex_forms)
{
    cr_expect(int_ok("0x10", 16));
    cr_expect(int_ok("0X1f", 31));
    cr_expect(int_ok("0xABcd", 0xabcd));
    cr_expect(int_ok("-0x10", -16));
    cr_expect(int_ok("0x7fffffffffffffff", INT64_MAX));
    cr_expect(int_ok("-0x8000000000000000", INT64_MIN));
    cr_expect(int_ok("0x0000000000000000001", 1));
}

Test(parse_int, rejects)
{
    cr_expect(int_bad(""));
    cr_expect(int_bad("-"));
    cr_expect(int_bad("+1"));
    cr_expect(int_bad(" 1"));
    cr_expect(int_bad("1 "));
    cr_expect(int_bad("1\n"));
    cr_expect(int_bad("0x"));
    cr_expect(int_bad("-0x"));
    cr_expect(int_bad("0xg"));
    cr_expect(int_bad("x10"));
    cr_expect(int_bad("1a"));
    cr_expect(int_bad("1.0"));
    cr_expect(int_bad("--1"));
    cr_expect(int_bad("- 1"));
    cr_expect(int_bad("9223372036854775808"));
    cr_expect(int_bad("-9223372036854775809"));
    cr_expect(int_bad("18446744073709551616"));
    cr_expect(int_bad("99999999999999999999999"));
    cr_expect(int_bad("0x8000000000000000"));
    cr_expect(int_bad("-0x8000000000000001"));
    cr_expect(int_bad("0xffffffffffffffff"));
    cr_expect(int_bad("0x10000000000000000"));
}

Test(parse_int, reads_exactly_n_bytes)
{
    int64_t v = 0;
    cr_expect(parse_int("123", 2, &v));
    cr_expect_eq(v, 12);
    cr_expect(!parse_int("1", 0, &v));
}

/* ------------------------------------------------------------------ hex */

Test(parse_hex, accepts)
{
    cr_expect(hex_ok("0", 0));
    cr_expect(hex_ok("8086591D", 0x8086591d));
    cr_expect(hex_ok("0x8086591d", 0x8086591d));
    cr_expect(hex_ok("0X8086591d", 0x8086591d));
    cr_expect(hex_ok("ffffffffffffffff", UINT64_MAX));
    cr_expect(hex_ok("0xFFFFFFFFFFFFFFFF", UINT64_MAX));
    cr_expect(hex_ok("0000000000000000ffffffffffffffff", UINT64_MAX));
    cr_expect(hex_ok("1000000000000000", 0x1000000000000000u));
    cr_expect(hex_ok("x", 0) == false);
    cr_expect(hex_ok("0x0", 0));
}

Test(parse_hex, rejects)
{
    cr_expect(hex_bad(""));
    cr_expect(hex_bad("0x"));
    cr_expect(hex_bad("0X"));
    cr_expect(hex_bad("10000000000000000")); /* 17 significant digits */
    cr_expect(hex_bad("0x10000000000000000"));
    cr_expect(hex_bad("-1"));
    cr_expect(hex_bad("+1"));
    cr_expect(hex_bad(" 1"));
    cr_expect(hex_bad("1 "));
    cr_expect(hex_bad("g"));
    cr_expect(hex_bad("0x0x1"));
    cr_expect(hex_bad("1h"));
}

/* ----------------------------------------------------------------- bool */

Test(parse_bool, spellings)
{
    static const char *const yes[] = { "1",    "y",    "Y",  "yes", "YES", "Yes", "true",
                                       "TRUE", "True", "on", "ON",  "On",  "oN",  "tRuE" };
    static const char *const no[] = { "0",     "n",     "N",   "no",  "NO",  "No", "false",
                                      "FALSE", "False", "off", "OFF", "Off", "oFf" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        bool b = false;
        cr_expect(parse_bool(yes[i], strlen(yes[i]), &b), "%s", yes[i]);
        cr_expect(b, "%s", yes[i]);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        bool b = true;
        cr_expect(parse_bool(no[i], strlen(no[i]), &b), "%s", no[i]);
        cr_expect(!b, "%s", no[i]);
    }
}

Test(parse_bool, rejects)
{
    static const char *const bad[] = { "",    "2",   "-1",      "00",      "01",   "t",
                                       "f",   "ye",  "yess",    "tru",     "of",   "onn",
                                       " on", "on ", "enabled", "disable", "nope", "truee" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool b = true;
        cr_expect(!parse_bool(bad[i], strlen(bad[i]), &b), "'%s'", bad[i]);
        cr_expect(b, "untouched for '%s'", bad[i]);
    }
    bool b = false;
    cr_expect(parse_bool("yes", 1, &b) && b); /* "y" */
}

/* ----------------------------------------------------------------- sets */

static vset parse_set(const char *text, dstr *items, uint32_t cap)
{
    uint32_t n = 0;
    cr_assert(set_parse(text, strlen(text), items, cap, &n), "set_parse '%s'", text);
    return (vset){ items, n };
}

static void expect_render_set(const char *text, const char *want)
{
    dstr items[64];
    vset s = parse_set(text, items, 64);
    value v = { .type = VT_SET, .as.set = s };
    char buf[256];
    size_t len = value_render(&v, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "set '%s'", text);
    cr_expect_eq(len, strlen(want));
}

Test(set, separators_and_empty_items)
{
    cr_expect_eq(set_count(S("")), 0);
    cr_expect_eq(set_count(S(" ,\t,\n, ")), 0);
    cr_expect_eq(set_count(S("a")), 1);
    cr_expect_eq(set_count(S("a,b c\td\ne")), 5);
    cr_expect_eq(set_count(S(",,a,,b,,")), 2);
    cr_expect_eq(set_count(S("a, a ,a")), 3); /* before dedup */
    cr_expect_eq(set_count(S("a\rb")), 1);    /* CR is not a blank */
    expect_render_set("", "");
    expect_render_set(" , ", "");
    expect_render_set("c,b,a", "a,b,c");
    expect_render_set("b a\tc\nb,,a", "a,b,c");
    expect_render_set("  x  ", "x");
}

Test(set, order_is_bytewise_then_length)
{
    expect_render_set("ab,a,b,B,a0,aa,", "B,a,a0,aa,ab,b");
    expect_render_set("abc ab a abc ab", "a,ab,abc");
    expect_render_set("z,\x7f,~", "z,~,\x7f");
}

Test(set, capacity)
{
    dstr items[3];
    uint32_t n = 99;
    cr_expect(set_parse(S("a b c"), items, 3, &n));
    cr_expect_eq(n, 3);
    cr_expect(!set_parse(S("a b c d"), items, 3, &n));
    cr_expect(!set_parse(S("a a a a"), items, 3, &n)); /* found before dedup */
    cr_expect(set_parse(S(""), items, 0, &n));
    cr_expect_eq(n, 0);
    cr_expect(!set_parse(S("a"), items, 0, &n));
}

Test(set, contains_subset_equal)
{
    dstr ia[8], ib[8], ic[8], ie[1];
    vset a = parse_set("b,a,c", ia, 8);
    vset b = parse_set("d c b a", ib, 8);
    vset c = parse_set("a a b c c", ic, 8);
    vset e = parse_set("", ie, 1);

    cr_expect(set_contains(&a, S("a")));
    cr_expect(set_contains(&a, S("b")));
    cr_expect(set_contains(&a, S("c")));
    cr_expect(!set_contains(&a, S("d")));
    cr_expect(!set_contains(&a, S("")));
    cr_expect(!set_contains(&a, S("ab")));
    cr_expect(!set_contains(&e, S("a")));

    cr_expect(set_subset(&a, &b));
    cr_expect(!set_subset(&b, &a));
    cr_expect(set_subset(&a, &c));
    cr_expect(set_subset(&c, &a));
    cr_expect(set_subset(&e, &a));
    cr_expect(set_subset(&e, &e));
    cr_expect(!set_subset(&a, &e));

    cr_expect(set_equal(&a, &c));
    cr_expect(!set_equal(&a, &b));
    cr_expect(set_equal(&e, &e));
    cr_expect(!set_equal(&a, &e));

    value va = { .type = VT_SET, .as.set = a }, vb = { .type = VT_SET, .as.set = b };
    value vc = { .type = VT_SET, .as.set = c };
    cr_expect_eq(value_cmp(&va, &vc), 0);
    cr_expect(value_equal(&va, &vc));
    cr_expect_neq(value_cmp(&va, &vb), 0);
    cr_expect(!value_equal(&va, &vb));
}

/* --------------------------------------------------------------- values */

static value val(vtype t, const char *text)
{
    value v;
    memset(&v, 0xa5, sizeof v);
    cr_assert(value_parse(t, text, strlen(text), &v), "%s '%s'", vtype_name(t), text);
    cr_assert_eq(v.type, t);
    return v;
}

static void expect_render(vtype t, const char *text, const char *want)
{
    value v = val(t, text);
    char buf[128];
    size_t len = value_render(&v, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "%s '%s'", vtype_name(t), text);
    cr_expect_eq(len, strlen(want));
}

Test(value, parse_dispatch)
{
    value v;
    memset(&v, 0, sizeof v);
    cr_expect(!value_parse(VT_INT, S("x"), &v));
    cr_expect(!value_parse(VT_HEX, S("x"), &v));
    cr_expect(!value_parse(VT_BOOL, S("x"), &v));
    cr_expect(!value_parse(VT_SEMVER, S("x"), &v));
    cr_expect(!value_parse(VT_SET, S("a,b"), &v));
    cr_expect(!value_parse(VT_NONE, S("a"), &v));
    cr_expect_eq(v.type, VT_NONE); /* untouched on failure */

    v = val(VT_STRING, "");
    cr_expect_eq(v.as.s.len, 0);
    v = val(VT_STRING, " any text ");
    cr_expect_eq(v.as.s.len, 10);
    v = val(VT_SEMVER, "1.2.3-rc.1+build");
    cr_expect_eq(v.as.v.major, 1);
    cr_expect_eq(v.as.v.minor, 2);
    cr_expect_eq(v.as.v.patch, 3);
    cr_expect_eq(v.as.v.pre.len, 4);
    cr_expect(memcmp(v.as.v.pre.p, "rc.1", 4) == 0);
    v = val(VT_BOOL, "On");
    cr_expect(v.as.b);
}

Test(value, render)
{
    expect_render(VT_INT, "0x10", "16");
    expect_render(VT_INT, "-0x10", "-16");
    expect_render(VT_INT, "007", "7");
    expect_render(VT_INT, "-0", "0");
    expect_render(VT_INT, "-9223372036854775808", "-9223372036854775808");
    expect_render(VT_HEX, "0x8086591D", "8086591d");
    expect_render(VT_HEX, "00ff", "ff");
    expect_render(VT_HEX, "0", "0");
    expect_render(VT_HEX, "FFFFFFFFFFFFFFFF", "ffffffffffffffff");
    expect_render(VT_SEMVER, "1.2", "1.2.0");
    expect_render(VT_SEMVER, "1.2.3+build.5", "1.2.3");
    expect_render(VT_SEMVER, "1.2.3-rc.1+build", "1.2.3-rc.1");
    expect_render(VT_SEMVER, "18446744073709551615.0.0", "18446744073709551615.0.0");
    expect_render(VT_BOOL, "YES", "true");
    expect_render(VT_BOOL, "off", "false");
    expect_render(VT_STRING, "as is, A b", "as is, A b");
}

Test(value, render_is_snprintf_like)
{
    value v = val(VT_INT, "-12345");
    char buf[4] = "zzz";
    cr_expect_eq(value_render(&v, buf, sizeof buf), 6);
    cr_expect_str_eq(buf, "-12");
    cr_expect_eq(value_render(&v, NULL, 0), 6);
    buf[0] = 'z';
    cr_expect_eq(value_render(&v, buf, 1), 6);
    cr_expect_eq(buf[0], '\0');

    dstr items[4];
    vset s = parse_set("ccc,a,bb", items, 4);
    value sv = { .type = VT_SET, .as.set = s };
    char sb[5];
    cr_expect_eq(value_render(&sv, sb, sizeof sb), 8);
    cr_expect_str_eq(sb, "a,bb");

    value vv = val(VT_SEMVER, "10.20.30-alpha");
    char vb[6];
    cr_expect_eq(value_render(&vv, vb, sizeof vb), 14);
    cr_expect_str_eq(vb, "10.20");
}

Test(value, compare_same_type)
{
    value a, b;

    a = val(VT_INT, "-5");
    b = val(VT_INT, "3");
    cr_expect_lt(value_cmp(&a, &b), 0);
    cr_expect_gt(value_cmp(&b, &a), 0);
    a = val(VT_INT, "0x10");
    b = val(VT_INT, "16");
    cr_expect_eq(value_cmp(&a, &b), 0);
    cr_expect(value_equal(&a, &b));
    a = val(VT_INT, "-9223372036854775808");
    b = val(VT_INT, "9223372036854775807");
    cr_expect_lt(value_cmp(&a, &b), 0);

    a = val(VT_HEX, "8086591D");
    b = val(VT_HEX, "0x8086591d");
    cr_expect(value_equal(&a, &b));
    a = val(VT_HEX, "ffffffffffffffff");
    b = val(VT_HEX, "7fffffffffffffff");
    cr_expect_gt(value_cmp(&a, &b), 0);

    a = val(VT_BOOL, "no");
    b = val(VT_BOOL, "1");
    cr_expect_lt(value_cmp(&a, &b), 0);
    b = val(VT_BOOL, "false");
    cr_expect(value_equal(&a, &b));

    a = val(VT_STRING, "ab");
    b = val(VT_STRING, "abc");
    cr_expect_lt(value_cmp(&a, &b), 0);
    b = val(VT_STRING, "aB");
    cr_expect_gt(value_cmp(&a, &b), 0);
    b = val(VT_STRING, "ab");
    cr_expect(value_equal(&a, &b));

    a = val(VT_SEMVER, "1.2.3");
    b = val(VT_SEMVER, "1.2.3+other");
    cr_expect(value_equal(&a, &b));
    b = val(VT_SEMVER, "1.2.3-rc.1");
    cr_expect_gt(value_cmp(&a, &b), 0);
    b = val(VT_SEMVER, "1.10.0");
    cr_expect_lt(value_cmp(&a, &b), 0);
    a = val(VT_SEMVER, "1.2");
    b = val(VT_SEMVER, "1.2.0");
    cr_expect(value_equal(&a, &b));
}

Test(value, compare_int_with_hex)
{
    value i, h;

    i = val(VT_INT, "16");
    h = val(VT_HEX, "10");
    cr_expect_eq(value_cmp(&i, &h), 0);
    cr_expect_eq(value_cmp(&h, &i), 0);
    cr_expect(value_equal(&i, &h));

    i = val(VT_INT, "-1");
    h = val(VT_HEX, "ffffffffffffffff");
    cr_expect_lt(value_cmp(&i, &h), 0); /* not equal through a cast */
    cr_expect_gt(value_cmp(&h, &i), 0);
    cr_expect(!value_equal(&i, &h));

    i = val(VT_INT, "-1");
    h = val(VT_HEX, "0");
    cr_expect_lt(value_cmp(&i, &h), 0);
    cr_expect_gt(value_cmp(&h, &i), 0);

    i = val(VT_INT, "9223372036854775807");
    h = val(VT_HEX, "8000000000000000");
    cr_expect_lt(value_cmp(&i, &h), 0);
    cr_expect_gt(value_cmp(&h, &i), 0);

    h = val(VT_HEX, "7fffffffffffffff");
    cr_expect_eq(value_cmp(&i, &h), 0);

    i = val(VT_INT, "-9223372036854775808");
    h = val(VT_HEX, "8000000000000000");
    cr_expect_lt(value_cmp(&i, &h), 0);
    cr_expect_gt(value_cmp(&h, &i), 0);

    i = val(VT_INT, "17");
    h = val(VT_HEX, "10");
    cr_expect_gt(value_cmp(&i, &h), 0);
    cr_expect_lt(value_cmp(&h, &i), 0);
}

/* ------------------------------------------------------------ sink.h */

Test(sink, bounded_counts_what_does_not_fit)
{
    char buf[6] = "zzzzz";
    sink s = sink_bounded(buf, sizeof buf);
    sink_puts(&s, "abc");
    sink_printf(&s, "%d", 12345);
    cr_expect_eq(sink_finish(&s), 8);
    cr_expect_str_eq(buf, "abc12");
    sink n = sink_bounded(NULL, 0);
    sink_puts(&n, "abc");
    cr_expect_eq(sink_finish(&n), 3);
}

Test(sink, growing_doubles)
{
    test_alloc m = { 0 };
    dc_alloc a = test_hook(&m);
    sink s = sink_growing(&a);
    cr_expect_str_eq(sink_str(&s), "");
    for (int i = 0; i < 100000; i++)
        sink_put(&s, i % 2 ? "b" : "a", 1);
    cr_assert(!s.failed);
    cr_expect_eq(s.len, 100000);
    cr_expect_eq(strlen(sink_str(&s)), 100000, "NUL-terminated after every write");
    cr_expect_eq(memcmp(sink_str(&s), "abab", 4), 0);
    /* 64 bytes doubled up to 131072: 12 allocations, not one per write */
    cr_expect_leq(m.calls, 12, "%ld allocations for 100000 one-byte writes", m.calls);
    cr_expect_lt(s.cap, 2 * s.len + 64);
    sink_reset(&s);
    sink_puts(&s, "again");
    cr_expect_str_eq(sink_str(&s), "again");
    cr_expect_leq(m.calls, 12, "reset keeps the buffer");
    sink_free(&s);
    cr_expect_null(s.buf);
}

Test(sink, growing_printf_longer_than_its_scratch)
{
    sink s = sink_growing(NULL);
    char word[1001];
    memset(word, 'w', 1000);
    word[1000] = '\0';
    sink_puts(&s, "<");
    sink_printf(&s, "%s|%d", word, 7);
    sink_puts(&s, ">");
    cr_assert(!s.failed);
    cr_expect_eq(s.len, 1004);
    cr_expect_eq(strlen(sink_str(&s)), 1004);
    cr_expect_eq(memcmp(sink_str(&s) + 999, "ww|7>", 5), 0);
    sink_free(&s);
}

Test(sink, growing_reports_a_refused_allocation)
{
    for (size_t budget = 0; budget < 4; budget++) {
        test_alloc m = { .fail_at = (long)budget + 1, .from_then_on = true };
        dc_alloc a = test_hook(&m);
        sink s = sink_growing(&a);
        for (int i = 0; i < 100; i++)
            sink_puts(&s, "0123456789");
        sink_printf(&s, "%300s", "x");
        cr_expect(s.failed, "budget %zu: the failure is reported", budget);
        size_t kept = strlen(sink_str(&s));
        cr_expect_eq(s.len, kept, "budget %zu: len is what is held", budget);
        /* whole writes of ten bytes that fit 64, 128, 256 bytes with the NUL */
        size_t cap = budget ? (size_t)64 << (budget - 1) : 0;
        cr_expect_eq(kept, cap ? (cap - 1) / 10 * 10 : 0,
                     "budget %zu: a prefix of %zu bytes kept", budget, kept);
        cr_expect_eq(memcmp(sink_str(&s), "0123456789", kept < 10 ? kept : 10), 0);
        sink_free(&s);
    }
}
