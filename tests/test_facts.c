/* test_facts.c -- facts: the API, key=value text, YAML/JSON, sysfs, inventories. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devcompat.h"
#include "facts.h"
#include "facts_chars.h"
#include "limits.h"
#include "helpers.h"

#ifndef DC_TEST_DATA
#define DC_TEST_DATA "tests/data"
#endif
#define FACTS_DATA DC_TEST_DATA "/facts"

/* ------------------------------------------------------------ helpers */

static dc_facts *kv(const char *text)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    dc_status st = dc_facts_parse_text("t.kv", text, strlen(text), &f, &err);
    cr_assert_eq(st, DC_OK, "parse failed: %s", err.message);
    cr_assert_not_null(f);
    return f;
}

/* Parse text that must fail with `status` and a message containing `want`. */
/* Which row of a table of refusals is being read: named in every message. */
static char which[32];

static void kv_fails(const char *text, size_t len, dc_status status, const char *want)
{
    dc_facts *f = (dc_facts *)1;
    dc_error err = { 0 };
    dc_status st = dc_facts_parse_text("t.kv", text, len, &f, &err);
    cr_assert_eq(st, status, "%sstatus %s, want %s (%s)", which, dc_status_str(st),
                 dc_status_str(status), err.message);
    cr_assert_eq(err.status, status, "%serror status %s", which, dc_status_str(err.status));
    cr_assert_null(f, "%sa facts object with the error", which);
    cr_assert(strstr(err.message, want), "%smessage '%s' lacks '%s'", which, err.message, want);
}

static dc_facts *yaml(const char *text)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    dc_status st = dc_facts_parse_yaml("t.yaml", text, strlen(text), &f, &err);
    cr_assert_eq(st, DC_OK, "parse failed: %s", err.message);
    cr_assert_not_null(f);
    return f;
}

static void yaml_fails(const char *text, dc_status status, const char *want)
{
    dc_facts *f = (dc_facts *)1;
    dc_error err = { 0 };
    dc_status st = dc_facts_parse_yaml("t.yaml", text, strlen(text), &f, &err);
    cr_assert_eq(st, status, "%sstatus %s, want %s (%s)", which, dc_status_str(st),
                 dc_status_str(status), err.message);
    cr_assert_null(f, "%sa facts object with the error", which);
    cr_assert(strstr(err.message, want), "%smessage '%s' lacks '%s'", which, err.message, want);
}

/* A text a reader refuses: its status and a part of its message. */
typedef struct refusal {
    const char *text;
    dc_status status;
    const char *want;
} refusal;

/* Every row of a table refused by the key=value reader, or the YAML one. */
static void kv_refuses(const refusal *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(which, sizeof which, "row %zu: ", i);
        kv_fails(rows[i].text, strlen(rows[i].text), rows[i].status, rows[i].want);
    }
    which[0] = '\0';
}

static void yaml_refuses(const refusal *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(which, sizeof which, "row %zu: ", i);
        yaml_fails(rows[i].text, rows[i].status, rows[i].want);
    }
    which[0] = '\0';
}

static void expect_fact(const dc_facts *f, const char *name, const char *value)
{
    const char *v = dc_facts_lookup(f, name);
    cr_assert_not_null(v, "fact '%s' missing", name);
    cr_assert_str_eq(v, value, "fact '%s'", name);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static char *render_text(const dc_facts *f)
{
    size_t n = facts_render_text(f, NULL, 0);
    char *buf = malloc(n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(facts_render_text(f, buf, n + 1), n);
    cr_assert_eq(strlen(buf), n);
    return buf;
}

static bool facts_equal(const dc_facts *a, const dc_facts *b)
{
    if (dc_facts_count(a) != dc_facts_count(b))
        return false;
    for (size_t i = 0; i < dc_facts_count(a); i++)
        if (strcmp(dc_facts_name(a, i), dc_facts_name(b, i)) ||
            strcmp(dc_facts_value(a, i), dc_facts_value(b, i)))
            return false;
    return true;
}

/* ------------------------------------------------------------ the API */

Test(api, add_get_sorted)
{
    dc_facts *f = new_facts(NULL);
    cr_assert_not_null(f);
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_add(f, "zeta", "1", 1, &err), DC_OK);
    cr_assert_eq(dc_facts_add(f, "alpha", "  two \n", 7, &err), DC_OK);
    cr_assert_eq(dc_facts_add(f, "mid.x", "3", 1, &err), DC_OK);
    cr_assert_eq(dc_facts_add(f, "mid", "", 0, &err), DC_OK);
    cr_assert_eq(dc_facts_count(f), 4);
    cr_assert_str_eq(dc_facts_name(f, 0), "alpha");
    cr_assert_str_eq(dc_facts_value(f, 0), "two");
    cr_assert_str_eq(dc_facts_name(f, 1), "mid");
    cr_assert_str_eq(dc_facts_name(f, 2), "mid.x");
    cr_assert_str_eq(dc_facts_name(f, 3), "zeta");
    cr_assert_null(dc_facts_name(f, 4));
    cr_assert_null(dc_facts_value(f, 4));
    cr_assert_str_eq(dc_facts_lookup(f, "mid"), "");
    cr_assert_null(dc_facts_lookup(f, "mi"));
    cr_assert_null(dc_facts_lookup(f, "absent"));
    const fact *x = facts_find(f, "mid.xyz", 5);
    cr_assert_not_null(x);
    cr_assert_str_eq(x->value, "3");
    cr_assert_eq(x->value_len, 1);
    dc_facts_free(f);
    dc_facts_free(NULL);
    cr_assert_eq(dc_facts_count(NULL), 0);
}

Test(api, duplicate_is_an_error)
{
    dc_facts *f = new_facts(NULL);
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_add(f, "a", "1", 1, &err), DC_OK);
    cr_assert_eq(dc_facts_add(f, "a", "2", 1, &err), DC_ERR_FACTS);
    cr_assert_str_eq(err.message, "duplicate fact 'a'");
    cr_assert_str_eq(dc_facts_lookup(f, "a"), "1");
    cr_assert_eq(facts_add_n(f, "dev.kv", "a", 1, "3", 1, &err), DC_ERR_FACTS);
    cr_assert_str_eq(err.message, "dev.kv: duplicate fact 'a'");
    dc_facts_free(f);
}

Test(api, null_arguments)
{
    dc_error err = { 0 };
    dc_facts *f = new_facts(NULL);
    cr_assert_eq(dc_facts_add(NULL, "a", "1", 1, &err), DC_ERR_INVALID);
    cr_assert_eq(dc_facts_add(f, NULL, "1", 1, &err), DC_ERR_INVALID);
    cr_assert_eq(dc_facts_add(f, "a", NULL, 1, &err), DC_ERR_INVALID);
    cr_assert_eq(dc_facts_add(f, "a", NULL, 0, NULL), DC_OK);
    cr_assert_str_eq(dc_facts_lookup(f, "a"), "");
    cr_assert_null(dc_facts_lookup(f, NULL));
    cr_assert_null(dc_facts_lookup(NULL, "a"));
    cr_assert_eq(dc_facts_parse_text("x", NULL, 3, &f, &err), DC_ERR_INVALID);
    cr_assert_eq(dc_facts_read_file(NULL, &f, &err), DC_ERR_INVALID);
    dc_facts_free(f);
}

Test(api, names)
{
    static const char *good[] = { "a", "_", "A_b9", "a.b.c", "params.memory", "x_1._y" };
    static const char *bad[] = { "1a", "a.", ".a", "a..b", "a-b", "a b", "a.1", "" };
    dc_facts *f = new_facts(NULL);
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_assert_eq(dc_facts_add(f, good[i], "v", 1, NULL), DC_OK, "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dc_error err = { 0 };
        cr_assert_eq(dc_facts_add(f, bad[i], "v", 1, &err), DC_ERR_FACTS, "%s", bad[i]);
        cr_assert(strstr(err.message, "fact name"), "%s", err.message);
    }
    dc_facts_free(f);
}

Test(api, name_of_255_ok_256_fails)
{
    char *n255 = repeat('n', 255), *n256 = repeat('n', 256);
    dc_facts *f = new_facts(NULL);
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_add(f, n255, "v", 1, &err), DC_OK);
    cr_assert_eq(dc_facts_add(f, n256, "v", 1, &err), DC_ERR_LIMIT);
    cr_assert(strstr(err.message, "longer than 255 bytes (the limit)"), "%s", err.message);
    dc_facts_free(f);
    free(n255);
    free(n256);
}

Test(api, value_of_4096_ok_4097_fails)
{
    char *v = repeat('v', 4097);
    dc_facts *f = new_facts(NULL);
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_add(f, "ok", v, 4096, &err), DC_OK);
    cr_assert_eq(strlen(dc_facts_lookup(f, "ok")), 4096);
    cr_assert_eq(dc_facts_add(f, "long", v, 4097, &err), DC_ERR_LIMIT);
    cr_assert_str_eq(err.message,
                     "fact 'long': value is 4097 bytes, longer than 4096 bytes (the limit)");
    dc_facts_free(f);
    free(v);
}

Test(api, facts_1024_ok_1025_fails)
{
    dc_facts *f = new_facts(NULL);
    dc_error err = { 0 };
    char name[32];
    /* In reverse order, so every insertion moves the others. */
    for (int i = DC_MAX_FACTS - 1; i >= 0; i--) {
        snprintf(name, sizeof name, "f%04d", i);
        cr_assert_eq(dc_facts_add(f, name, "v", 1, &err), DC_OK, "%s", err.message);
    }
    cr_assert_eq(dc_facts_count(f), 1024);
    for (size_t i = 0; i < 1024; i++) {
        snprintf(name, sizeof name, "f%04zu", i);
        cr_assert_str_eq(dc_facts_name(f, i), name);
    }
    cr_assert_eq(dc_facts_add(f, "one_more", "v", 1, &err), DC_ERR_LIMIT);
    cr_assert_str_eq(err.message, "more than 1024 facts (the limit per device)");
    dc_facts_free(f);
}

Test(api, value_bytes)
{
    dc_facts *f = new_facts(NULL);
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_add(f, "tab", "a\tb\nc", 5, &err), DC_OK);
    cr_assert_eq(dc_facts_add(f, "nul", "a\0b", 3, &err), DC_ERR_FACTS);
    cr_assert_str_eq(err.message, "fact 'nul': NUL byte in value");
    cr_assert_eq(dc_facts_add(f, "utf", "caf\xc3\xa9", 5, &err), DC_ERR_FACTS);
    cr_assert_str_eq(err.message, "fact 'utf': non-ASCII byte 0xc3 in value");
    cr_assert_eq(dc_facts_add(f, "cr", "a\rb", 3, &err), DC_ERR_FACTS);
    cr_assert_str_eq(err.message, "fact 'cr': control character 0x0d in value");
    dc_facts_free(f);
}

static void *counting_realloc(void *ud, void *p, size_t n)
{
    if (!p)
        ++*(int *)ud;
    return realloc(p, n ? n : 1);
}

static void counting_free(void *ud, void *p)
{
    if (p)
        --*(int *)ud;
    free(p);
}

Test(api, custom_allocator)
{
    int live = 0;
    dc_alloc a = { counting_realloc, counting_free, &live };
    dc_facts *f = new_facts(&a);
    cr_assert_eq(dc_facts_add(f, "a", "1", 1, NULL), DC_OK);
    cr_assert_eq(dc_facts_add(f, "b", "2", 1, NULL), DC_OK);
    cr_assert_gt(live, 0);
    dc_facts_free(f);
    cr_assert_eq(live, 0);
}

static void plain_free_count(void *ud, void *p)
{
    (void)ud;
    free(p);
}

/* Counts allocations made (never decremented). */
static void *made_realloc(void *ud, void *p, size_t n)
{
    if (!p)
        ++*(int *)ud;
    return realloc(p, n ? n : 1);
}

/* Facts added one at a time share blocks that double in size
 * (docs/performance.md, "Importers"): 1000 facts take a few dozen
 * allocations, not one each, and a string read back earlier stays where
 * it was as more are added. */
Test(api, added_facts_share_growing_blocks)
{
    int made = 0;
    dc_alloc a = { made_realloc, plain_free_count, &made };
    dc_facts *f = new_facts(&a);
    made = 0;
    const char *first = NULL;
    for (int i = 0; i < 1000; i++) {
        char name[32], value[32];
        snprintf(name, sizeof name, "f%04d", 999 - i);
        int n = snprintf(value, sizeof value, "value %d", i);
        cr_assert_eq(dc_facts_add(f, name, value, (size_t)n, NULL), DC_OK);
        if (i == 0)
            first = dc_facts_lookup(f, "f0999");
    }
    cr_assert_eq(dc_facts_count(f), 1000);
    cr_assert_str_eq(dc_facts_lookup(f, "f0999"), "value 0");
    cr_assert_eq(dc_facts_lookup(f, "f0999"), first);
    cr_assert_str_eq(dc_facts_name(f, 0), "f0000");
    cr_assert_str_eq(dc_facts_value(f, 0), "value 999");
    cr_assert_lt(made, 40, "%d allocations for 1000 facts", made);
    dc_facts_free(f);
}

/* Fail the k-th allocation. */
typedef struct failing {
    int countdown;
} failing;

static void *failing_realloc(void *ud, void *p, size_t n)
{
    failing *fl = ud;
    if (fl->countdown-- == 0)
        return NULL;
    return realloc(p, n ? n : 1);
}

static void plain_free(void *ud, void *p)
{
    free(p);
}

Test(api, allocation_failures_are_reported)
{
    for (int k = 0; k < 20; k++) {
        failing fl = { k };
        dc_alloc a = { failing_realloc, plain_free, &fl };
        dc_facts *f = NULL;
        dc_error err = { 0 };
        const char *text = "a=1\nb=\"two\"\nc=3\n";
        dc_status st = facts_parse_text_ex(&a, "t.kv", text, strlen(text), &f, &err);
        if (st == DC_OK) {
            cr_assert_eq(dc_facts_count(f), 3);
            dc_facts_free(f);
        } else {
            cr_assert_eq(st, DC_ERR_NOMEM, "k=%d: %s", k, err.message);
            cr_assert_null(f);
        }
    }
}

Test(api, allocation_failures_in_yaml)
{
    const char *text = "a: 1\nb: [x, y]\nc: {d: 2, e: 3}\nf: ~\n";
    int k;
    for (k = 0; k < 200; k++) {
        failing fl = { k };
        dc_alloc a = { failing_realloc, plain_free, &fl };
        dc_facts *f = NULL;
        dc_error err = { 0 };
        dc_status st = facts_parse_yaml_ex(&a, "t.yaml", text, strlen(text), &f, &err);
        if (st == DC_OK) {
            cr_assert_eq(dc_facts_count(f), 5);
            dc_facts_free(f);
            break;
        }
        cr_assert_eq(st, DC_ERR_NOMEM, "k=%d: %s", k, err.message);
        cr_assert_null(f);
    }
    cr_assert_lt(k, 200);
}

/* ------------------------------------------------------- key=value text */

Test(kv, basic)
{
    dc_facts *f = kv("# comment\n\n  device_api = vfio-pci  \nmdev_type=i915-GVTg_V5_4\n"
                     "\t# indented comment\nempty=\nspaced =  a b  c \n");
    cr_assert_eq(dc_facts_count(f), 4);
    expect_fact(f, "device_api", "vfio-pci");
    expect_fact(f, "mdev_type", "i915-GVTg_V5_4");
    expect_fact(f, "empty", "");
    expect_fact(f, "spaced", "a b  c");
    dc_facts_free(f);
}

Test(kv, empty_text)
{
    dc_facts *f = kv("");
    cr_assert_eq(dc_facts_count(f), 0);
    dc_facts_free(f);
    f = kv("# only a comment\n\n");
    cr_assert_eq(dc_facts_count(f), 0);
    dc_facts_free(f);
}

Test(kv, no_final_newline_and_crlf)
{
    dc_facts *f = kv("a=1\r\nb=2");
    expect_fact(f, "a", "1");
    expect_fact(f, "b", "2");
    dc_facts_free(f);
}

Test(kv, trailing_comment_as_in_a_policy)
{
    /* '#' after a blank, outside quotes, starts a comment; elsewhere it is
     * part of the value (docs/facts.md). */
    dc_facts *f = kv("a=x # a comment\nb=x#y\nc=\"q # kept\"  # gone\n"
                     "d=say \"p # q\" r # gone\ne=\t# only a comment\nf=#x\n");
    expect_fact(f, "a", "x");
    expect_fact(f, "b", "x#y");
    expect_fact(f, "c", "q # kept");
    expect_fact(f, "d", "say \"p # q\" r");
    expect_fact(f, "e", "");
    expect_fact(f, "f", "#x");
    /* rendered, a value holding " #" is quoted and reads back the same */
    char *text = render_text(f);
    dc_facts *g = kv(text);
    cr_assert(facts_equal(f, g), "%s", text);
    free(text);
    dc_facts_free(g);
    dc_facts_free(f);
}

Test(kv, value_with_equals)
{
    dc_facts *f = kv("remote_url=http://h/?a=b\n");
    expect_fact(f, "remote_url", "http://h/?a=b");
    dc_facts_free(f);
}

Test(kv, quoted_values_and_escapes)
{
    dc_facts *f = kv("pv_mode=\"none+ppgtt\"\n"
                     "q=\"say \\\"hi\\\"\"\n"
                     "b=\"back\\\\slash\"\n"
                     "nl=\"line one\\nline two\"\n"
                     "tab=\"a\\tb\"\n"
                     "hash=\"a # b\"   # a comment after the quote\n"
                     "e=\"\"\n");
    expect_fact(f, "pv_mode", "none+ppgtt");
    expect_fact(f, "q", "say \"hi\"");
    expect_fact(f, "b", "back\\slash");
    expect_fact(f, "nl", "line one\nline two");
    expect_fact(f, "tab", "a\tb");
    expect_fact(f, "hash", "a # b");
    expect_fact(f, "e", "");
    dc_facts_free(f);
}

Test(kv, unknown_escape)
{
    const char *t = "a=1\nx=\"a\\qb\"\n";
    kv_fails(t, strlen(t), DC_ERR_FACTS, "t.kv:2:5: unknown escape '\\q' in a quoted value");
}

Test(kv, missing_closing_quote)
{
    static const refusal refused[] = {
        { "a=1\n\nx=\"abc\n", DC_ERR_FACTS,
          "t.kv:3:3: missing closing quote in the value of 'x'" },
        { "x=\"abc\\\"\n", DC_ERR_FACTS, "t.kv:1:3: missing closing quote" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

Test(kv, text_after_closing_quote)
{
    const char *t = "x=\"a\"b\n";
    kv_fails(t, strlen(t), DC_ERR_FACTS, "t.kv:1:6: unexpected text after the closing quote");
}

Test(kv, missing_equals)
{
    static const refusal refused[] = {
        { "a=1\njust words\n", DC_ERR_FACTS,
          "t.kv:2: expected 'name=value', got 'just words'" },
        { "a: 1\n", DC_ERR_FACTS, "(for YAML, name the file .yaml or start it with '---')" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

Test(kv, invalid_name)
{
    static const refusal refused[] = {
        { "a=1\nmy-name=2\n", DC_ERR_FACTS,
          "t.kv:2: invalid fact name 'my-name': '-' is not allowed" },
        { "=2\n", DC_ERR_FACTS, "t.kv:1: empty fact name" },
        { "9lives=2\n", DC_ERR_FACTS, "a segment must start with a letter or '_'" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

Test(kv, duplicate)
{
    const char *t = "a=1\nb=2\n a = 3\n";
    kv_fails(t, strlen(t), DC_ERR_FACTS, "t.kv:3: duplicate fact 'a'");
}

Test(kv, nul_byte)
{
    const char t[] = "a=1\nb=x\0y\n";
    kv_fails(t, sizeof t - 1, DC_ERR_FACTS, "t.kv:2:4: NUL byte");
}

Test(kv, non_ascii)
{
    static const refusal refused[] = {
        { "a=1\nb=caf\xc3\xa9\n", DC_ERR_FACTS,
          "t.kv:2:6: non-ASCII byte 0xc3 (facts files are ASCII text)" },
        { "# caf\xc3\xa9\n", DC_ERR_FACTS, "t.kv:1:6: non-ASCII byte 0xc3" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

Test(kv, control_character)
{
    static const refusal refused[] = {
        { "a=x\by\n", DC_ERR_FACTS, "t.kv:1:4: control character 0x08" },
        { "a=x\ry\n", DC_ERR_FACTS, "t.kv:1:4: control character 0x0d" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

static char *kv_with_value(size_t n)
{
    char *v = repeat('v', n);
    char *t = malloc(n + 16);
    snprintf(t, n + 16, "big=%s\n", v);
    free(v);
    return t;
}

Test(kv, value_of_4096_ok_4097_fails)
{
    char *t = kv_with_value(4096);
    dc_facts *f = kv(t);
    cr_assert_eq(strlen(dc_facts_lookup(f, "big")), 4096);
    dc_facts_free(f);
    free(t);
    t = kv_with_value(4097);
    kv_fails(t, strlen(t), DC_ERR_LIMIT,
             "t.kv:1: fact 'big': value is 4097 bytes, longer than 4096 bytes (the limit)");
    free(t);
}

/* "x\n" repeated, then the tail: the limit counts decoded bytes. */
static char *kv_escaped(size_t pairs, const char *tail)
{
    char *t = malloc(pairs * 3 + strlen(tail) + 16);
    size_t o = 0;
    memcpy(t, "v=\"", 3);
    o = 3;
    for (size_t i = 0; i < pairs; i++, o += 3)
        memcpy(t + o, "x\\n", 3);
    o += (size_t)sprintf(t + o, "%s\"\n", tail);
    return t;
}

Test(kv, quoted_value_limit_counts_decoded_bytes)
{
    char *t = kv_escaped(2047, "xy"); /* 4096 decoded bytes */
    dc_facts *f = kv(t);
    cr_assert_eq(strlen(dc_facts_lookup(f, "v")), 4096);
    dc_facts_free(f);
    free(t);
    t = kv_escaped(2047, "xyz"); /* 4097 */
    kv_fails(t, strlen(t), DC_ERR_LIMIT, "value is 4097 bytes");
    free(t);
}

Test(kv, name_of_255_ok_256_fails)
{
    char *n = repeat('n', 256);
    char t[300];
    snprintf(t, sizeof t, "%.255s=1\n", n);
    dc_facts *f = kv(t);
    cr_assert_eq(dc_facts_count(f), 1);
    dc_facts_free(f);
    snprintf(t, sizeof t, "%s=1\n", n);
    kv_fails(t, strlen(t), DC_ERR_LIMIT, "t.kv:1: fact name 'nnnn");
    kv_fails(t, strlen(t), DC_ERR_LIMIT, "...' is longer than 255 bytes (the limit)");
    free(n);
}

Test(kv, facts_1024_ok_1025_fails)
{
    size_t cap = 1025 * 16 + 1;
    char *t = malloc(cap);
    size_t o = 0;
    for (int i = 0; i < 1024; i++)
        o += (size_t)snprintf(t + o, cap - o, "f%04d=%d\n", i, i);
    dc_facts *f = kv(t);
    cr_assert_eq(dc_facts_count(f), 1024);
    dc_facts_free(f);
    snprintf(t + o, cap - o, "f1024=x\n");
    kv_fails(t, strlen(t), DC_ERR_LIMIT,
             "t.kv:1025: more than 1024 facts (the limit per device)");
    free(t);
}

Test(kv, self_header)
{
    dc_facts *f = kv("# a device\nSELF:\n\tdevice_api=vfio-pci\n\ttype=x\n");
    cr_assert_eq(dc_facts_count(f), 2);
    expect_fact(f, "type", "x");
    dc_facts_free(f);
    f = kv("SELF:   # the device\na=1\n");
    expect_fact(f, "a", "1");
    dc_facts_free(f);
    /* A fact may be called SELF. */
    f = kv("SELF=1\n");
    expect_fact(f, "SELF", "1");
    dc_facts_free(f);
}

Test(kv, self_header_errors)
{
    static const refusal refused[] = {
        { "SELF:\na=1\nSELF:\n", DC_ERR_FACTS,
          "t.kv:3: second SELF block (the first is at line 1)" },
        { "a=1\nSELF:\nb=1\n", DC_ERR_FACTS, "t.kv:2: 'SELF:' must come before the facts" },
        { "SELF: a=1\n", DC_ERR_FACTS, "t.kv:1: malformed block header 'SELF: a=1'" },
        { "POLICY:\nname=x\nSELF:\na=1\n", DC_ERR_FACTS,
          "t.kv:1: a POLICY block in a facts text without COMPATIBLE blocks" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

/* --------------------------------------------------- self-describing */

Test(selfdesc, upstream_uuid1)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_file(FACTS_DATA "/uuid1.txt", &f, &err), DC_OK, "%s",
                 err.message);
    cr_assert_eq(dc_facts_count(f), 6);
    expect_fact(f, "device_type", "pci");
    expect_fact(f, "device_id", "8086591d");
    expect_fact(f, "mdev_type", "i915-GVTg_V5_2");
    expect_fact(f, "aggregator", "1");
    expect_fact(f, "pv_mode", "none+ppgtt+context");
    expect_fact(f, "interface_version", "3");
    dc_facts_free(f);
    cr_assert_eq(dc_facts_read_file(FACTS_DATA "/uuid2.txt", &f, &err), DC_OK, "%s",
                 err.message);
    cr_assert_eq(dc_facts_count(f), 5);
    expect_fact(f, "aggregator", "2");
    dc_facts_free(f);
}

Test(selfdesc, blocks_in_any_order_comments_and_policy_block)
{
    dc_facts *f = kv("POLICY:\n  name = gvt   # metadata\n"
                     "COMPATIBLE legacy:\n  x = {v:int}\n"
                     "SELF:   # the target\n"
                     "  a = 1   # a comment\n"
                     "  b = \"q # not a comment\"  # but this is\n"
                     "  c = x#y\n"
                     "  d = \"\"  #\"\" meaning empty\n"
                     "  neg = -5\n"
                     "  ver = 1.2.3\n"
                     "COMPATIBLE:\n  x != 3\n  where true\n");
    cr_assert_eq(dc_facts_count(f), 6);
    expect_fact(f, "a", "1");
    expect_fact(f, "b", "q # not a comment");
    expect_fact(f, "c", "x#y");
    expect_fact(f, "d", "");
    expect_fact(f, "neg", "-5");
    expect_fact(f, "ver", "1.2.3");
    dc_facts_free(f);
}

Test(selfdesc, rules_that_are_not_literal)
{
    static const char *rules[] = {
        "a != 1",
        "a < 1",
        "a <= 1",
        "a > 1",
        "a >= 1",
        "a = {x:int}",
        "a = i915-GVTg_V5_{n:int:1,2}",
        "a = {x}/2",
        "where true",
    };
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        char t[256];
        snprintf(t, sizeof t, "SELF:\n  ok = 1\n  %s\nCOMPATIBLE:\n  ok = 1\n", rules[i]);
        kv_fails(t, strlen(t), DC_ERR_FACTS,
                 "t.kv:3: SELF block of a self-describing device must hold literal facts");
    }
}

/* No value without braces is arithmetic (docs/language.md, section 4): a
 * self-describing device may say 2*3 or 2020-01-01 about itself. */
Test(selfdesc, operators_without_braces_are_literal)
{
    const char *t = "SELF:\n  a = 2*3\n  b = 4 - 1\n  release = 2020-01-01\n"
                    "COMPATIBLE:\n  a = 1\n";
    dc_facts *f = kv(t);
    const char *v = dc_facts_lookup(f, "a");
    cr_expect_str_eq(v ? v : "(absent)", "2*3");
    v = dc_facts_lookup(f, "release");
    cr_expect_str_eq(v ? v : "(absent)", "2020-01-01");
    dc_facts_free(f);
}

Test(selfdesc, needs_a_self_block)
{
    static const refusal refused[] = {
        { "COMPATIBLE:\n  a = 1\n", DC_ERR_FACTS,
          "t.kv: a self-describing device (with COMPATIBLE blocks) needs a SELF block" },
        { "a = 1\nSELF:\nCOMPATIBLE:\n", DC_ERR_FACTS,
          "t.kv:1: a rule before the first block header of a self-describing device" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

/* ------------------------------------- key=value text: one pass, sorted */

/* n facts "fNNNN=NNNN" in a shuffled order (a fixed permutation). */
static char *kv_shuffled(int n, size_t *len)
{
    size_t cap = (size_t)n * 16 + 1, o = 0;
    char *t = malloc(cap);
    cr_assert_not_null(t);
    for (int i = 0; i < n; i++) {
        int k = (int)(((long)i * 7919) % n); /* 7919 is prime: a permutation */
        o += (size_t)snprintf(t + o, cap - o, "f%04d=%d\n", k, k);
    }
    *len = o;
    return t;
}

Test(kv, many_facts_come_out_sorted)
{
    static const int counts[] = { 1, 2, 15, 16, 17, 31, 32, 33, 64, 65, 100, 1023, 1024 };
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        int n = counts[c];
        size_t len;
        char *t = kv_shuffled(n, &len);
        dc_facts *f = kv(t);
        cr_assert_eq(dc_facts_count(f), (size_t)n);
        for (int i = 0; i < n; i++) {
            char name[16], value[16];
            snprintf(name, sizeof name, "f%04d", i);
            snprintf(value, sizeof value, "%d", i);
            cr_assert_str_eq(dc_facts_name(f, (size_t)i), name, "n=%d", n);
            cr_assert_str_eq(dc_facts_value(f, (size_t)i), value, "n=%d", n);
        }
        dc_facts_free(f);
        free(t);
    }
}

Test(kv, order_is_strcmp_order)
{
    dc_facts *f = kv("b=1\na.b=2\nZ=3\na=4\n_=5\na_=6\nab=7\nA=8\na.a=9\n");
    static const char *want[] = { "A", "Z", "_", "a", "a.a", "a.b", "a_", "ab", "b" };
    cr_assert_eq(dc_facts_count(f), 9);
    for (size_t i = 0; i < 9; i++)
        cr_assert_str_eq(dc_facts_name(f, i), want[i]);
    dc_facts_free(f);
}

Test(kv, duplicate_names_its_second_line)
{
    static const refusal refused[] = {
        { "a=1\nb=2\nc=3\na=4\n", DC_ERR_FACTS, "t.kv:4: duplicate fact 'a'" },
        { "z=1\ny=2\nx=3\nx=4\n", DC_ERR_FACTS, "t.kv:4: duplicate fact 'x'" },
        { "a=1\n\n# c\nm=2\nm = 3\nz=4\n", DC_ERR_FACTS, "t.kv:5: duplicate fact 'm'" },
        /* three of a name: the second is the error */
        { "q=1\nr=1\nq=2\nq=3\n", DC_ERR_FACTS, "t.kv:3: duplicate fact 'q'" },
        /* two names twice: the one whose second comes first */
        { "b=1\na=1\na=2\nb=2\n", DC_ERR_FACTS, "t.kv:3: duplicate fact 'a'" },
        { "b=1\na=1\nb=2\na=2\n", DC_ERR_FACTS, "t.kv:3: duplicate fact 'b'" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
    /* a prefix is another name */
    dc_facts *f = kv("ab=1\na=2\nabc=3\n");
    cr_assert_eq(dc_facts_count(f), 3);
    dc_facts_free(f);
}

Test(kv, duplicate_among_many)
{
    static const int counts[] = { 20, 40, 200, 1024 };
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        int n = counts[c];
        size_t len;
        char *t = kv_shuffled(n, &len);
        char *u = malloc(len + 32);
        /* f0003 again as the last line, line n + 1 */
        memcpy(u, t, len);
        snprintf(u + len, 32, "f0003=again\n");
        char want[64];
        snprintf(want, sizeof want, "t.kv:%d: duplicate fact 'f0003'", n + 1);
        kv_fails(u, strlen(u), DC_ERR_FACTS, want);
        free(u);
        free(t);
    }
}

Test(kv, the_1025th_fact_a_duplicate_is_a_duplicate)
{
    size_t len;
    char *t = kv_shuffled(1024, &len);
    char *u = malloc(len + 32);
    memcpy(u, t, len);
    snprintf(u + len, 32, "f0500=x\n");
    kv_fails(u, strlen(u), DC_ERR_FACTS, "t.kv:1025: duplicate fact 'f0500'");
    free(u);
    free(t);
}

Test(kv, the_first_error_in_text_order_wins)
{
    static const refusal refused[] = {
        /* a duplicate before a bad line, a bad line before a duplicate */
        { "a=1\na=2\nno equals\n", DC_ERR_FACTS, "t.kv:2: duplicate fact 'a'" },
        { "a=1\nno equals\na=2\n", DC_ERR_FACTS,
          "t.kv:2: expected 'name=value', got 'no equals'" },
        { "a=1\nx=\"open\na=2\n", DC_ERR_FACTS, "t.kv:2:3: missing closing quote" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
    /* a value over the limit on the duplicate's line: the value first */
    char *v = repeat('v', 4097);
    char *u = malloc(4200);
    snprintf(u, 4200, "a=1\na=%s\n", v);
    kv_fails(u, strlen(u), DC_ERR_LIMIT, "t.kv:2: fact 'a': value is 4097 bytes");
    snprintf(u, 4200, "a=1\na=2\nb=%s\n", v);
    kv_fails(u, strlen(u), DC_ERR_FACTS, "t.kv:2: duplicate fact 'a'");
    free(u);
    free(v);
}

Test(kv, a_bad_byte_anywhere_comes_first)
{
    static const refusal refused[] = {
        { "no equals\na=1\nb=\x80\n", DC_ERR_FACTS, "t.kv:3:3: non-ASCII byte 0x80" },
        { "a=1\na=2\n# \x01\n", DC_ERR_FACTS, "t.kv:3:3: control character 0x01" },
        { "POLICY:\nCOMPATIBLE:\n\x7f\n", DC_ERR_FACTS, "t.kv:3:1: control character 0x7f" },
        { "a=1\r\nb=2\r\nc=3\rd\n", DC_ERR_FACTS, "t.kv:3:4: control character 0x0d" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

Test(kv, a_later_compatible_header_makes_it_self_describing)
{
    /* read as plain facts these fail at line 1; COMPATIBLE further on
     * makes the text a policy, whose SELF block holds the facts */
    dc_facts *f = kv("POLICY:\n  name = x\nSELF:\n  a = 1 # c\nCOMPATIBLE:\n  a = 1\n");
    cr_assert_eq(dc_facts_count(f), 1);
    expect_fact(f, "a", "1");
    dc_facts_free(f);
    static const refusal refused[] = {
        { "SELF:\n  a = 1\n  where a\n  b = 2\nCOMPATIBLE:\n  a = 1\n", DC_ERR_FACTS,
          "t.kv:3: SELF block of a self-describing device must hold literal facts" },
        { "SELF:\n  a = 1\n  a = 2\nCOMPATIBLE x:\n", DC_ERR_FACTS,
          "t.kv:3: duplicate fact 'a'" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

Test(kv, quoted_values_are_decoded_then_trimmed)
{
    dc_facts *f = kv("a=\"  x  \"\nb=\"\\n\\t y \\t\\n\"\nc=\"\\t\"\nd = \"\\\\ \"\n"
                     "e=\" \\\"q\\\" \"\n");
    expect_fact(f, "a", "x");
    expect_fact(f, "b", "y");
    expect_fact(f, "c", "");
    expect_fact(f, "d", "\\");
    expect_fact(f, "e", "\"q\"");
    dc_facts_free(f);
}

Test(kv, blanks_and_line_ends_around_plain_values)
{
    static const char *texts[] = {
        "a= \nb=\t\nc=x \t\nd = y\r\ne\t=\tz  \r\nf=",
        "a= \nb=\t\nc=x \t\nd = y\r\ne\t=\tz  \r\nf=  ",
        "  a=\n\tb =\nc=x\nd=y\ne=z\nf=",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        dc_facts *f = kv(texts[i]);
        cr_assert_eq(dc_facts_count(f), 6, "text %zu", i);
        expect_fact(f, "a", "");
        expect_fact(f, "b", "");
        expect_fact(f, "c", "x");
        expect_fact(f, "d", "y");
        expect_fact(f, "e", "z");
        expect_fact(f, "f", "");
        dc_facts_free(f);
    }
    dc_facts *f = kv("last=\"q  \"");
    expect_fact(f, "last", "q");
    dc_facts_free(f);
    f = kv("tabbed=a\tb\tc\nlong=abcdefghijklmnopqrstuvwxyz0123456789 with blanks");
    expect_fact(f, "tabbed", "a\tb\tc");
    expect_fact(f, "long", "abcdefghijklmnopqrstuvwxyz0123456789 with blanks");
    dc_facts_free(f);
}

Test(kv, names_that_look_like_headers_and_dotted_names)
{
    dc_facts *f =
        kv("Speed=1\nPOLICY_x=2\nCx=3\nSELFISH=4\nparams.memory=5\na.b.c_d=6\n_x._y=7\n");
    cr_assert_eq(dc_facts_count(f), 7);
    expect_fact(f, "Speed", "1");
    expect_fact(f, "POLICY_x", "2");
    expect_fact(f, "Cx", "3");
    expect_fact(f, "SELFISH", "4");
    expect_fact(f, "params.memory", "5");
    expect_fact(f, "a.b.c_d", "6");
    expect_fact(f, "_x._y", "7");
    dc_facts_free(f);
    static const refusal refused[] = {
        { "a.=1\n", DC_ERR_FACTS, "t.kv:1: invalid fact name 'a.': empty segment" },
        { "a.1=1\n", DC_ERR_FACTS, "a segment must start with a letter or '_'" },
        { "ok=1\nx y=1\n", DC_ERR_FACTS, "t.kv:2: invalid fact name 'x y'" },
    };
    kv_refuses(refused, sizeof refused / sizeof *refused);
}

Test(kv, names_with_a_first_byte_in_common_sort_fully)
{
    dc_facts *f = kv("ab=1\naa=2\na=3\nb=4\nB=5\n_=6\n");
    static const char *want[] = { "B", "_", "a", "aa", "ab", "b" };
    cr_assert_eq(dc_facts_count(f), 6);
    for (size_t i = 0; i < 6; i++)
        cr_assert_str_eq(dc_facts_name(f, i), want[i]);
    dc_facts_free(f);
}

Test(kv, add_after_parse)
{
    dc_facts *f = kv("m=1\nc=2\nx=\"q\"\n");
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_add(f, "a", "0", 1, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_facts_add(f, "n", " 5 ", 3, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_facts_add(f, "z", "9", 1, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_facts_add(f, "c", "dup", 3, &err), DC_ERR_FACTS);
    cr_assert_str_eq(err.message, "duplicate fact 'c'");
    static const char *names[] = { "a", "c", "m", "n", "x", "z" };
    static const char *values[] = { "0", "2", "1", "5", "q", "9" };
    cr_assert_eq(dc_facts_count(f), 6);
    for (size_t i = 0; i < 6; i++) {
        cr_assert_str_eq(dc_facts_name(f, i), names[i]);
        cr_assert_str_eq(dc_facts_value(f, i), values[i]);
    }
    /* more than the array's first growth */
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%02d", i);
        cr_assert_eq(dc_facts_add(f, name, "v", 1, &err), DC_OK, "%s", err.message);
    }
    cr_assert_eq(dc_facts_count(f), 46);
    expect_fact(f, "x", "q");
    expect_fact(f, "k17", "v");
    dc_facts_free(f);
    /* an empty text, then facts */
    f = kv("# nothing\n");
    cr_assert_eq(dc_facts_add(f, "only", "1", 1, &err), DC_OK, "%s", err.message);
    expect_fact(f, "only", "1");
    dc_facts_free(f);
}

Test(kv, allocation_failures_with_many_facts_and_adds)
{
    size_t len;
    char *t = kv_shuffled(100, &len);
    for (int k = 0; k < 40; k++) {
        failing fl = { k };
        dc_alloc a = { failing_realloc, plain_free, &fl };
        dc_facts *f = NULL;
        dc_error err = { 0 };
        dc_status st = facts_parse_text_ex(&a, "t.kv", t, len, &f, &err);
        if (st != DC_OK) {
            cr_assert_eq(st, DC_ERR_NOMEM, "k=%d: %s", k, err.message);
            cr_assert_null(f);
            continue;
        }
        cr_assert_eq(dc_facts_count(f), 100);
        st = dc_facts_add(f, "added", "1", 1, &err);
        cr_assert(st == DC_OK || st == DC_ERR_NOMEM, "k=%d: %s", k, err.message);
        cr_assert_eq(dc_facts_count(f), st == DC_OK ? 101u : 100u);
        dc_facts_free(f);
    }
    free(t);
}

/* ----------------------------------------------------------- rendering */

Test(render, text_sorted_and_quoted)
{
    dc_facts *f = new_facts(NULL);
    cr_assert_eq(dc_facts_add(f, "plain", "vfio-pci", 8, NULL), DC_OK);
    cr_assert_eq(dc_facts_add(f, "empty", "", 0, NULL), DC_OK);
    cr_assert_eq(dc_facts_add(f, "desc", "a\nb", 3, NULL), DC_OK);
    cr_assert_eq(dc_facts_add(f, "q", "x\"y\\z", 5, NULL), DC_OK);
    cr_assert_eq(dc_facts_add(f, "hash", "a #b", 4, NULL), DC_OK);
    cr_assert_eq(dc_facts_add(f, "tab", "a\tb", 3, NULL), DC_OK);
    char *t = render_text(f);
    cr_assert_str_eq(t, "desc=\"a\\nb\"\nempty=\"\"\nhash=\"a #b\"\nplain=vfio-pci\n"
                        "q=\"x\\\"y\\\\z\"\ntab=\"a\\tb\"\n");
    /* Truncation: snprintf style. */
    char small[8];
    cr_assert_eq(facts_render_text(f, small, sizeof small), strlen(t));
    cr_assert_str_eq(small, "desc=\"a");
    free(t);
    dc_facts_free(f);
}

Test(render, json)
{
    dc_facts *f = kv("b=\"x\\\"y\\\\z\\n\\tw\"\na=1\n");
    size_t n = facts_render_json(f, NULL, 0);
    char *buf = malloc(n + 1);
    cr_assert_eq(facts_render_json(f, buf, n + 1), n);
    cr_assert_str_eq(buf, "{\"a\": \"1\", \"b\": \"x\\\"y\\\\z\\n\\tw\"}\n");
    free(buf);
    dc_facts_free(f);
    char e[8];
    cr_assert_eq(facts_render_json(NULL, e, sizeof e), 3);
    cr_assert_str_eq(e, "{}\n");
}

Test(render, round_trip)
{
    static const char *values[] = {
        "",         "x",      "a b",        "a\nb",
        "a\tb",     "\"",     "\\",         "a#b",
        "#",        "=",      "a=b",        "\"quoted\"",
        "{x:int}",  "x\n\ny", "trailing\\", "tab\there\tand\nnewline",
        "'single'",
    };
    dc_facts *f = new_facts(NULL);
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        char name[16];
        snprintf(name, sizeof name, "v%02zu", i);
        cr_assert_eq(dc_facts_add(f, name, values[i], strlen(values[i]), NULL), DC_OK);
    }
    char *t = render_text(f);
    dc_facts *g = kv(t);
    cr_assert(facts_equal(f, g), "round trip differs:\n%s", t);
    free(t);
    dc_facts_free(g);
    dc_facts_free(f);
}

Test(render, round_trip_of_files)
{
    static const char *files[] = { "simple.kv", "uuid1.txt" };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[512];
        snprintf(path, sizeof path, FACTS_DATA "/%s", files[i]);
        dc_facts *f = NULL;
        dc_error err = { 0 };
        cr_assert_eq(dc_facts_read_file(path, &f, &err), DC_OK, "%s", err.message);
        char *t = render_text(f);
        dc_facts *g = kv(t);
        cr_assert(facts_equal(f, g), "%s", t);
        free(t);
        dc_facts_free(f);
        dc_facts_free(g);
    }
}

/* --------------------------------------------------------------- files */

Test(files, simple_kv)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_file(FACTS_DATA "/simple.kv", &f, &err), DC_OK, "%s",
                 err.message);
    cr_assert_eq(dc_facts_count(f), 6);
    expect_fact(f, "device_api", "vfio-pci");
    expect_fact(f, "description", "line one\nline two");
    expect_fact(f, "params.memory", "4096");
    dc_facts_free(f);
}

Test(files, missing_file)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_file(FACTS_DATA "/no-such-file.kv", &f, &err), DC_ERR_IO);
    cr_assert_str_eq(err.message, FACTS_DATA "/no-such-file.kv: No such file or directory");
    cr_assert_null(f);
}

Test(files, directory_as_file)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_file(FACTS_DATA, &f, &err), DC_ERR_IO);
    cr_assert_str_eq(err.message, FACTS_DATA ": is a directory");
}

Test(files, not_a_regular_file)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_file("/dev/null", &f, &err), DC_ERR_IO);
    cr_assert_str_eq(err.message, "/dev/null: not a regular file");
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/dc-facts-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    return d;
}

/* rm -rf, without a shell (valgrind follows children). */
static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        cr_assert_not_null(d, "%s", path);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[2048];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        closedir(d);
        cr_assert_eq(rmdir(path), 0, "rmdir %s: %s", path, strerror(errno));
    } else {
        cr_assert_eq(unlink(path), 0, "unlink %s: %s", path, strerror(errno));
    }
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
    fputs(text, fp);
    fclose(fp);
}

Test(files, broken_symlink)
{
    char *d = tmpdir();
    char link[512];
    snprintf(link, sizeof link, "%s/dev.kv", d);
    cr_assert_eq(symlink("gone.kv", link), 0);
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_file(link, &f, &err), DC_ERR_IO);
    char want[600];
    snprintf(want, sizeof want, "%s: broken symbolic link (to 'gone.kv')", link);
    cr_assert_str_eq(err.message, want);
    rm_rf(d);
    free(d);
}

Test(files, size_limit)
{
    char *d = tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/big.kv", d);
    cr_assert_eq(truncate(path, 0) == 0 || errno == ENOENT, 1);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    cr_assert_eq(fseek(fp, (long)FACTS_MAX_FILE, SEEK_SET), 0);
    fputc('\n', fp);
    fclose(fp);
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_file(path, &f, &err), DC_ERR_LIMIT);
    char want[600];
    snprintf(want, sizeof want, "%s: larger than 16 MiB (the limit)", path);
    cr_assert_str_eq(err.message, want);
    /* file_read_all with a small limit. */
    write_file(d, "small.kv", "a=1234567890\n");
    snprintf(path, sizeof path, "%s/small.kv", d);
    char *data;
    size_t len;
    cr_assert_eq(file_read_all(NULL, path, 8, &data, &len, &err), DC_ERR_LIMIT);
    cr_assert(strstr(err.message, "larger than 8 bytes (the limit)"), "%s", err.message);
    cr_assert_eq(file_read_all(NULL, path, 13, &data, &len, &err), DC_OK);
    cr_assert_eq(len, 13);
    cr_assert_str_eq(data, "a=1234567890\n");
    free(data);
    rm_rf(d);
    free(d);
}

Test(files, format_detection)
{
    char *d = tmpdir();
    write_file(d, "a.txt", "---\nx: 1\n");
    write_file(d, "b.txt", "\n# comment\n  {\"x\": \"1\"}\n");
    write_file(d, "c.YAML", "x: 1\n");
    write_file(d, "d.kv", "x=1\n");
    static const char *names[] = { "a.txt", "b.txt", "c.YAML", "d.kv" };
    for (size_t i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", d, names[i]);
        dc_facts *f = NULL;
        dc_error err = { 0 };
        cr_assert_eq(dc_facts_read_file(path, &f, &err), DC_OK, "%s: %s", names[i],
                     err.message);
        expect_fact(f, "x", "1");
        dc_facts_free(f);
    }
    rm_rf(d);
    free(d);
}

/* ---------------------------------------------------------- YAML, JSON */

Test(yaml, files_give_the_same_facts)
{
    dc_facts *k = NULL, *y = NULL, *j = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_file(FACTS_DATA "/simple.kv", &k, &err), DC_OK, "%s",
                 err.message);
    cr_assert_eq(dc_facts_read_file(FACTS_DATA "/simple.yaml", &y, &err), DC_OK, "%s",
                 err.message);
    cr_assert_eq(dc_facts_read_file(FACTS_DATA "/simple.json", &j, &err), DC_OK, "%s",
                 err.message);
    cr_assert(facts_equal(k, y));
    cr_assert(facts_equal(k, j));
    expect_fact(y, "params.memory", "4096");
    expect_fact(y, "aggregator", "2");
    dc_facts_free(k);
    dc_facts_free(y);
    dc_facts_free(j);
}

Test(yaml, scalars_are_their_text)
{
    dc_facts *f = yaml("a: yes\nb: 0x10\nc: 1.50\nd: 'quoted'\ne: \"x\\ty\"\n"
                       "f: |\n  line one\n  line two\ng: true\nh: 'null'\n");
    expect_fact(f, "a", "yes");
    expect_fact(f, "b", "0x10");
    expect_fact(f, "c", "1.50");
    expect_fact(f, "d", "quoted");
    expect_fact(f, "e", "x\ty");
    expect_fact(f, "f", "line one\nline two");
    expect_fact(f, "g", "true");
    expect_fact(f, "h", "null");
    dc_facts_free(f);
}

Test(yaml, null_is_an_empty_value)
{
    dc_facts *f = yaml("a:\nb: ~\nc: null\nd: NULL\n");
    cr_assert_eq(dc_facts_count(f), 4);
    expect_fact(f, "a", "");
    expect_fact(f, "b", "");
    expect_fact(f, "c", "");
    expect_fact(f, "d", "");
    dc_facts_free(f);
    f = yaml("{\"a\": null}");
    expect_fact(f, "a", "");
    dc_facts_free(f);
}

Test(yaml, nested_mappings_flatten)
{
    dc_facts *f = yaml("params:\n  memory: 4096\n  gpu:\n    slices: 2\n"
                       "  empty: {}\nx.y: 1\n");
    cr_assert_eq(dc_facts_count(f), 3);
    expect_fact(f, "params.memory", "4096");
    expect_fact(f, "params.gpu.slices", "2");
    expect_fact(f, "x.y", "1");
    dc_facts_free(f);
}

Test(yaml, sequences_are_sets)
{
    dc_facts *f = yaml("features: [a, b, c]\nblock:\n  - x\n  - 2\nnone: []\n");
    expect_fact(f, "features", "a,b,c");
    expect_fact(f, "block", "x,2");
    expect_fact(f, "none", "");
    dc_facts_free(f);
}

Test(yaml, self_mapping_is_the_facts)
{
    dc_facts *f = yaml("self:\n  type: i915-GVTg_V5_4\n  aggregator: 2\n"
                       "compatible:\n  - {type: x}\n");
    cr_assert_eq(dc_facts_count(f), 2);
    expect_fact(f, "type", "i915-GVTg_V5_4");
    dc_facts_free(f);
    f = yaml("{\"SELF\": {\"a\": \"1\"}, \"other\": [[1]]}");
    cr_assert_eq(dc_facts_count(f), 1);
    expect_fact(f, "a", "1");
    dc_facts_free(f);
    /* A scalar `self` is an ordinary fact. */
    f = yaml("self: 1\nb: 2\n");
    expect_fact(f, "self", "1");
    dc_facts_free(f);
}

Test(yaml, both_self_and_SELF)
{
    yaml_fails("self: {a: 1}\nSELF: {a: 2}\n", DC_ERR_FACTS,
               "t.yaml:2:1: both 'self' and 'SELF' (the first at line 1)");
}

Test(yaml, empty_document)
{
    dc_facts *f = yaml("");
    cr_assert_eq(dc_facts_count(f), 0);
    dc_facts_free(f);
    f = yaml("---\n");
    cr_assert_eq(dc_facts_count(f), 0);
    dc_facts_free(f);
    f = yaml("{}");
    cr_assert_eq(dc_facts_count(f), 0);
    dc_facts_free(f);
}

Test(yaml, duplicate_keys)
{
    static const refusal refused[] = {
        { "a: 1\nb: 2\na: 3\n", DC_ERR_FACTS,
          "t.yaml:3:1: duplicate key 'a' (first at line 1)" },
        { "{\"a\": 1, \"a\": 1}", DC_ERR_FACTS, "t.yaml:1:10: duplicate key 'a'" },
        /* Different names after flattening, but the same key. */
        { "a: {x: 1}\na: {y: 2}\n", DC_ERR_FACTS, "t.yaml:2:1: duplicate key 'a'" },
        /* The same name after flattening. */
        { "a:\n  b: 1\na.b: 2\n", DC_ERR_FACTS, "t.yaml:3:1: duplicate fact 'a.b'" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
}

Test(yaml, duplicate_keys_in_a_big_mapping)
{
    char *t = malloc(64 * 12 + 32);
    size_t o = 0;
    for (int i = 0; i < 64; i++)
        o += (size_t)sprintf(t + o, "k%02d: v\n", i);
    sprintf(t + o, "k07: again\n");
    yaml_fails(t, DC_ERR_FACTS, "t.yaml:65:1: duplicate key 'k07' (first at line 8)");
    free(t);
}

Test(yaml, malformed_yaml_has_line_and_column)
{
    static const refusal refused[] = {
        { "a: 1\nb: 2\nc: d: e\n", DC_ERR_FACTS,
          "t.yaml:3:5: mapping values are not allowed in this context" },
        { "a: [1, 2\nb: 3\n", DC_ERR_FACTS,
          "t.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence "
          "started at 1:4)" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
}

Test(yaml, malformed_json_has_line_and_column)
{
    static const refusal refused[] = {
        { "{\"a\": \"1\",\n \"b\": \"2\"\n \"c\": 3}", DC_ERR_FACTS, "t.yaml:3:2: " },
        { "{\"a\": \"1\"\n\n", DC_ERR_FACTS,
          "t.yaml:3:1: did not find expected ',' or '}' (while parsing a flow mapping "
          "started at 1:1)" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
}

Test(yaml, not_a_mapping)
{
    static const refusal refused[] = {
        { "- a\n- b\n", DC_ERR_FACTS,
          "t.yaml:1:1: facts must be a mapping (name: value), not a sequence" },
        { "just text\n", DC_ERR_FACTS, "t.yaml:1:1: facts must be a mapping" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
}

Test(yaml, nested_sequences_and_mixed_sequences)
{
    yaml_fails(
        "a: [[1, 2]]\n", DC_ERR_FACTS,
        "t.yaml:1:5: 'a': a sequence may hold only scalars (it is a set), not a sequence");
    yaml_fails(
        "a:\n  - x\n  - y: 1\n", DC_ERR_FACTS,
        "t.yaml:3:5: 'a': a sequence may hold only scalars (it is a set), not a mapping");
    static const refusal refused[] = {
        { "a:\n  - y: 1\n  - x\n", DC_ERR_FACTS,
          "t.yaml:3:5: 'a': item 1 of a sequence of records (mappings) is a scalar" },
        { "a: [{y: 1}, {}]\n", DC_ERR_FACTS,
          "t.yaml:1:13: 'a': record 1 is empty (a record holds at least one fact)" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
}

/* A sequence of mappings: records, flattened with their index; key=value
 * text names the same facts (docs/facts.md, "Records"). */
Test(yaml, sequences_of_mappings_are_records)
{
    dc_facts *f = yaml("sla:\n  - {srv: sym, cir: 100, pir: 200}\n  - srv: dc\n    cir: 5\n"
                       "    ring: {mask: 0x3}\nsrv: x\n");
    cr_assert_eq(dc_facts_count(f), 7);
    expect_fact(f, "sla.0.srv", "sym");
    expect_fact(f, "sla.0.cir", "100");
    expect_fact(f, "sla.0.pir", "200");
    expect_fact(f, "sla.1.srv", "dc");
    expect_fact(f, "sla.1.ring.mask", "0x3");
    dc_facts *k = kv("sla.0.srv=sym\nsla.0.cir=100\nsla.0.pir=200\nsla.1.srv=dc\n"
                     "sla.1.cir=5\nsla.1.ring.mask=0x3\nsrv=x\n");
    cr_assert_eq(dc_facts_count(k), dc_facts_count(f));
    for (size_t i = 0; i < dc_facts_count(f); i++) {
        cr_expect_str_eq(dc_facts_name(k, i), dc_facts_name(f, i));
        cr_expect_str_eq(dc_facts_value(k, i), dc_facts_value(f, i));
    }
    dc_facts_free(k);
    dc_facts_free(f);
    f = yaml("{\"sla\": [{\"a\": 1}, {\"a\": 2}, {\"a\": 3}, {\"a\": 4}, {\"a\": 5}, "
             "{\"a\": 6}, {\"a\": 7}, {\"a\": 8}, {\"a\": 9}, {\"a\": 10}, {\"a\": 11}]}");
    expect_fact(f, "sla.10.a", "11");
    dc_facts_free(f);
}

Test(api, record_index_segments)
{
    static const char *good[] = { "sla.0.cir", "sla.10.cir", "a.9999.b", "a.0.b.1.c",
                                  "a.1._x" };
    static const char *bad[] = { "sla.01.cir", "sla.0", "sla.0.", "a.12345.b",
                                 "0.a",        "a.0.1", "a.-1.b", "a.0x1.b" };
    dc_facts *f = new_facts(NULL);
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_assert_eq(dc_facts_add(f, good[i], "v", 1, NULL), DC_OK, "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dc_error err = { 0 };
        cr_assert_eq(dc_facts_add(f, bad[i], "v", 1, &err), DC_ERR_FACTS, "%s", bad[i]);
        cr_assert(strstr(err.message, "fact name"), "%s", err.message);
    }
    dc_facts_free(f);
    /* key=value text: the fast path and the general one agree */
    f = kv("sla.0.cir=1\nsla.1.cir = \"2\"\n");
    expect_fact(f, "sla.0.cir", "1");
    expect_fact(f, "sla.1.cir", "2");
    dc_facts_free(f);
    kv_fails("sla.01.cir=1\n", 13, DC_ERR_FACTS, "t.kv:1: invalid fact name 'sla.01.cir'");
}

Test(yaml, set_items_with_separators)
{
    static const refusal refused[] = {
        { "a: [\"x,y\"]\n", DC_ERR_FACTS, "t.yaml:1:5: 'a': the item 'x,y' holds a comma" },
        { "a: [\"x y\"]\n", DC_ERR_FACTS, "holds a comma or a blank" },
        { "a: [x, ~]\n", DC_ERR_FACTS, "t.yaml:1:8: 'a': an empty item in a sequence" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
}

Test(yaml, keys_must_be_scalars_and_names)
{
    static const refusal refused[] = {
        { "? [a, b]\n: 1\n", DC_ERR_FACTS,
          "t.yaml:1:3: a mapping key must be a scalar, not a sequence" },
        { "my-key: 1\n", DC_ERR_FACTS, "t.yaml:1:1: invalid fact name 'my-key'" },
        { "1: x\n", DC_ERR_FACTS, "a segment must start with a letter" },
        { "a:\n  my-key:\n    b: 1\n", DC_ERR_FACTS,
          "t.yaml:2:3: invalid fact name 'a.my-key'" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
}

Test(yaml, aliases_are_refused)
{
    static const refusal refused[] = {
        { "a: &x 1\nb: *x\n", DC_ERR_FACTS,
          "t.yaml:2:4: YAML aliases (*name) are not supported in facts" },
        /* The billion laughs stop at the first alias. */
        { "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n", DC_ERR_FACTS, "aliases" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
}

Test(yaml, anchors_alone_are_fine)
{
    dc_facts *f = yaml("a: &x 1\n");
    expect_fact(f, "a", "1");
    dc_facts_free(f);
}

Test(yaml, two_documents)
{
    yaml_fails("a: 1\n---\nb: 2\n", DC_ERR_FACTS, "t.yaml:2: a second YAML document");
}

Test(yaml, non_ascii_and_nul)
{
    static const refusal refused[] = {
        { "a: 1\nb: caf\xc3\xa9\n", DC_ERR_FACTS, "t.yaml:2:7: non-ASCII byte 0xc3" },
        /* Escapes cannot smuggle them in either. */
        { "a: \"caf\\u00e9\"\n", DC_ERR_FACTS,
          "t.yaml:1:1: fact 'a': non-ASCII byte 0xc3 in value" },
        { "a: \"x\\0y\"\n", DC_ERR_FACTS, "t.yaml:1:1: fact 'a': NUL byte in value" },
    };
    yaml_refuses(refused, sizeof refused / sizeof *refused);
    dc_facts *f = (dc_facts *)1;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_parse_yaml("t.yaml", "a: x\0y\n", 7, &f, &err), DC_ERR_FACTS);
    cr_assert(strstr(err.message, "t.yaml:1:5: NUL byte"), "%s", err.message);
}

Test(yaml, limits)
{
    char *v = repeat('v', 4097);
    char *t = malloc(4200);
    sprintf(t, "ok: %.4096s\n", v);
    dc_facts *f = yaml(t);
    cr_assert_eq(strlen(dc_facts_lookup(f, "ok")), 4096);
    dc_facts_free(f);
    sprintf(t, "big: %s\n", v);
    yaml_fails(t, DC_ERR_LIMIT,
               "t.yaml:1:1: fact 'big': value is 4097 bytes, longer than 4096");
    /* A set that joins to more than 4096 bytes. */
    sprintf(t, "set: [%.2048s, %.2048s]\n", v, v);
    yaml_fails(t, DC_ERR_LIMIT,
               "t.yaml:1:1: fact 'set': value is more than 4096 bytes (the limit)");
    free(v);
    free(t);
    /* Names: 255 ok, 256 fails, also when made by flattening. */
    char *n = repeat('n', 256);
    t = malloc(600);
    sprintf(t, "%.255s: 1\n", n);
    f = yaml(t);
    dc_facts_free(f);
    sprintf(t, "%s: 1\n", n);
    yaml_fails(t, DC_ERR_LIMIT, "is longer than 255 bytes (the limit)");
    sprintf(t, "a:\n  %.254s: 1\n", n);
    yaml_fails(t, DC_ERR_LIMIT, "t.yaml:2:3: fact name 'a.nnn");
    free(n);
    free(t);
}

Test(yaml, facts_1024_ok_1025_fails)
{
    char *t = malloc(1025 * 16 + 1);
    size_t o = 0;
    for (int i = 0; i < 1024; i++)
        o += (size_t)sprintf(t + o, "f%04d: %d\n", i, i);
    dc_facts *f = yaml(t);
    cr_assert_eq(dc_facts_count(f), 1024);
    dc_facts_free(f);
    sprintf(t + o, "f1024: x\n");
    yaml_fails(t, DC_ERR_LIMIT, "more than 1024 keys");
    /* Spread over mappings, the 1025th fact is named. */
    o = (size_t)sprintf(t, "a:\n");
    for (int i = 0; i < 1024; i++)
        o += (size_t)sprintf(t + o, "  f%04d: %d\n", i, i);
    sprintf(t + o, "b: x\n");
    yaml_fails(t, DC_ERR_LIMIT, "t.yaml:1026:1: more than 1024 facts (the limit per device)");
    free(t);
}

Test(yaml, deep_nesting)
{
    char *t = malloc(20000);
    size_t o = 0;
    for (int i = 0; i < 2000; i++)
        o += (size_t)sprintf(t + o, "{a: ");
    t[o] = '\0';
    yaml_fails(t, DC_ERR_LIMIT, "nesting deeper than 128 levels");
    free(t);
}

/* --------------------------------------------------------------- sysfs */

/* mkdir -p ROOT/REL */
static void mkdirs(const char *root, const char *rel)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    mkdir(path, 0755);
}

/* ROOT/REL holds TEXT (directories made as needed). */
static void put(const char *root, const char *rel, const char *text)
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s", rel);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        mkdirs(root, dir);
    }
    write_file(root, rel, text);
}

static void link_to(const char *root, const char *rel, const char *target)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    cr_assert_eq(symlink(target, path), 0, "%s: %s", path, strerror(errno));
}

#define GVT_PARENT "sys/devices/pci0000:00/0000:00:02.0"
#define GVT_TYPE   GVT_PARENT "/mdev_supported_types/i915-GVTg_V5_4"
#define GVT_UUID   "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

/* A fake sysfs: a GVT-g parent with one type and one mdev, a vfio-pci VF,
 * and the kernel's sample mdev drivers. */
static char *fake_sysfs(void)
{
    char *root = tmpdir();
    mkdirs(root, "sys/bus/pci/drivers/i915");
    mkdirs(root, "sys/bus/pci/drivers/vfio-pci");
    mkdirs(root, "sys/bus/pci/drivers/mlx5_vfio_pci");
    mkdirs(root, "sys/bus/pci/devices");
    mkdirs(root, "sys/bus/mdev/devices");

    put(root, GVT_PARENT "/vendor", "0x8086\n");
    put(root, GVT_PARENT "/device", "0x591D\n");
    put(root, GVT_PARENT "/subsystem_vendor", "0x8086\n");
    put(root, GVT_PARENT "/subsystem_device", "0x2212\n");
    put(root, GVT_PARENT "/revision", "0x02\n");
    put(root, GVT_PARENT "/class", "0x030000\n");
    link_to(root, GVT_PARENT "/driver", "../../../bus/pci/drivers/i915");
    link_to(root, "sys/bus/pci/devices/0000:00:02.0",
            "../../../devices/pci0000:00/0000:00:02.0");
    put(root, GVT_TYPE "/device_api", "vfio-pci\n");
    put(root, GVT_TYPE "/available_instances", "2\n");
    put(root, GVT_TYPE "/name", "GVTg_V5_4\n");
    put(root, GVT_TYPE "/description",
        "low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\n"
        "weight: 4\n");

    put(root, GVT_PARENT "/" GVT_UUID "/migration_compatible",
        "SELF:\n\tdevice_type=pci\n\tdevice_id=8086591d\n\taggregator=2\n"
        "\tinterface_version=1\n"
        "COMPATIBLE:\n\tmdev_type=i915-GVTg_V5_{val1:int:1,2,4,8}\n\taggregator={val1}/2\n");
    link_to(root, GVT_PARENT "/" GVT_UUID "/mdev_type",
            "../mdev_supported_types/i915-GVTg_V5_4");
    link_to(root, "sys/bus/mdev/devices/" GVT_UUID,
            "../../../devices/pci0000:00/0000:00:02.0/" GVT_UUID);

    put(root, "sys/devices/pci0000:00/0000:00:03.0/vendor", "0x15b3\n");
    put(root, "sys/devices/pci0000:00/0000:00:03.0/device", "0x101e\n");
    link_to(root, "sys/devices/pci0000:00/0000:00:03.0/driver",
            "../../../bus/pci/drivers/vfio-pci");
    put(root, "sys/devices/pci0000:00/0000:00:04.0/vendor", "0x15b3\n");
    put(root, "sys/devices/pci0000:00/0000:00:04.0/device", "0x101e\n");
    link_to(root, "sys/devices/pci0000:00/0000:00:04.0/driver",
            "../../../bus/pci/drivers/mlx5_vfio_pci");

    static const char *samples[] = { "mtty/mtty/mdev_supported_types/mtty-1",
                                     "mdpy/mdpy/mdev_supported_types/mdpy-vga",
                                     "mbochs/mbochs/mdev_supported_types/mbochs-1" };
    for (size_t i = 0; i < 3; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "sys/devices/virtual/%s/device_api", samples[i]);
        put(root, rel, "vfio-pci\n");
        snprintf(rel, sizeof rel, "sys/devices/virtual/%s/available_instances", samples[i]);
        put(root, rel, "24\n");
    }
    return root;
}

static dc_facts *sysfs_ok(const char *root, const char *dir)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_read_sysfs(root, dir, &f, &err), DC_OK, "%s", err.message);
    cr_assert_not_null(f);
    return f;
}

static void sysfs_fails(const char *root, const char *dir, dc_status status, const char *want)
{
    dc_facts *f = (dc_facts *)1;
    dc_error err = { 0 };
    dc_status st = dc_facts_read_sysfs(root, dir, &f, &err);
    cr_assert_eq(st, status, "status %s (%s)", dc_status_str(st), err.message);
    cr_assert_null(f);
    char full[4096];
    snprintf(full, sizeof full, want, root, root);
    cr_assert(strstr(err.message, full), "message '%s' lacks '%s'", err.message, full);
}

Test(sysfs, pci_device)
{
    char *root = fake_sysfs();
    dc_facts *f = sysfs_ok(root, "/sys/bus/pci/devices/0000:00:02.0");
    cr_assert_eq(dc_facts_count(f), 9);
    expect_fact(f, "vendor", "0x8086");
    expect_fact(f, "address", "0000:00:02.0");
    expect_fact(f, "device", "0x591D");
    expect_fact(f, "subsystem_vendor", "0x8086");
    expect_fact(f, "subsystem_device", "0x2212");
    expect_fact(f, "revision", "0x02");
    expect_fact(f, "class", "0x030000");
    expect_fact(f, "pci_id", "8086591d");
    expect_fact(f, "driver", "i915");
    cr_assert_null(dc_facts_lookup(f, "device_api"));
    dc_facts_free(f);
    /* Relative to the root, trailing slashes, a root with a slash. */
    char root2[1024];
    snprintf(root2, sizeof root2, "%s/", root);
    f = sysfs_ok(root2, "sys/bus/pci/devices/0000:00:02.0/");
    expect_fact(f, "pci_id", "8086591d");
    dc_facts_free(f);
    rm_rf(root);
    free(root);
}

Test(sysfs, vfio_pci_and_variant_drivers)
{
    char *root = fake_sysfs();
    dc_facts *f = sysfs_ok(root, "/sys/devices/pci0000:00/0000:00:03.0");
    cr_assert_eq(dc_facts_count(f), 6);
    expect_fact(f, "driver", "vfio-pci");
    expect_fact(f, "device_api", "vfio-pci");
    expect_fact(f, "pci_id", "15b3101e");
    cr_assert_null(dc_facts_lookup(f, "revision"));
    dc_facts_free(f);
    f = sysfs_ok(root, "/sys/devices/pci0000:00/0000:00:04.0");
    expect_fact(f, "driver", "mlx5_vfio_pci");
    expect_fact(f, "device_api", "vfio-pci");
    dc_facts_free(f);
    rm_rf(root);
    free(root);
}

Test(sysfs, mdev_type_directory)
{
    char *root = fake_sysfs();
    dc_facts *f = sysfs_ok(root, "/" GVT_TYPE);
    cr_assert_eq(dc_facts_count(f), 6);
    expect_fact(f, "type", "i915-GVTg_V5_4");
    expect_fact(f, "mdev_type", "i915-GVTg_V5_4");
    expect_fact(f, "device_api", "vfio-pci");
    expect_fact(f, "available_instances", "2");
    expect_fact(f, "name", "GVTg_V5_4");
    expect_fact(f, "description",
                "low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\n"
                "resolution: 1920x1200\nweight: 4");
    dc_facts_free(f);
    /* Through the parent's link. */
    f = sysfs_ok(root, "/sys/bus/pci/devices/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4");
    expect_fact(f, "type", "i915-GVTg_V5_4");
    dc_facts_free(f);
    rm_rf(root);
    free(root);
}

Test(sysfs, kernel_sample_types_without_name_or_description)
{
    char *root = fake_sysfs();
    static const char *types[][2] = {
        { "/sys/devices/virtual/mtty/mtty/mdev_supported_types/mtty-1", "mtty-1" },
        { "/sys/devices/virtual/mdpy/mdpy/mdev_supported_types/mdpy-vga", "mdpy-vga" },
        { "/sys/devices/virtual/mbochs/mbochs/mdev_supported_types/mbochs-1", "mbochs-1" },
    };
    for (size_t i = 0; i < 3; i++) {
        dc_facts *f = sysfs_ok(root, types[i][0]);
        cr_assert_eq(dc_facts_count(f), 4);
        expect_fact(f, "type", types[i][1]);
        expect_fact(f, "mdev_type", types[i][1]);
        expect_fact(f, "device_api", "vfio-pci");
        expect_fact(f, "available_instances", "24");
        cr_assert_null(dc_facts_lookup(f, "name"));
        cr_assert_null(dc_facts_lookup(f, "description"));
        dc_facts_free(f);
    }
    rm_rf(root);
    free(root);
}

Test(sysfs, mdev_device_with_migration_compatible)
{
    char *root = fake_sysfs();
    dc_facts *f = sysfs_ok(root, "/sys/bus/mdev/devices/" GVT_UUID);
    cr_assert_eq(dc_facts_count(f), 7);
    expect_fact(f, "type", "i915-GVTg_V5_4");
    expect_fact(f, "mdev_type", "i915-GVTg_V5_4");
    expect_fact(f, "device_api", "vfio-pci");
    expect_fact(f, "device_type", "pci");
    expect_fact(f, "device_id", "8086591d");
    expect_fact(f, "aggregator", "2");
    expect_fact(f, "interface_version", "1");
    dc_facts_free(f);
    rm_rf(root);
    free(root);
}

Test(sysfs, vendor_facts_win_over_derived)
{
    char *root = fake_sysfs();
    put(root, GVT_TYPE "/migration/self/software_version", "1.2.3\n");
    put(root, GVT_TYPE "/migration/self/type", "gvt-4\n");
    put(root, GVT_TYPE "/migration_compatible", "device_api=vfio-pci-custom\n");
    dc_facts *f = sysfs_ok(root, GVT_TYPE);
    cr_assert_eq(dc_facts_count(f), 7);
    expect_fact(f, "software_version", "1.2.3");
    expect_fact(f, "type", "gvt-4");
    expect_fact(f, "mdev_type", "i915-GVTg_V5_4");
    expect_fact(f, "device_api", "vfio-pci-custom");
    dc_facts_free(f);
    rm_rf(root);
    free(root);
}

Test(sysfs, vendor_fact_set_twice)
{
    char *root = fake_sysfs();
    put(root, GVT_TYPE "/migration/self/aggregator", "1\n");
    put(root, GVT_TYPE "/migration_compatible", "aggregator=1\n");
    sysfs_fails(root, GVT_TYPE, DC_ERR_FACTS,
                "%s/" GVT_TYPE "/migration/self/aggregator: fact 'aggregator' is also set by "
                "%s/" GVT_TYPE "/migration_compatible");
    rm_rf(root);
    free(root);
}

Test(sysfs, bad_migration_self_file_name)
{
    char *root = fake_sysfs();
    put(root, GVT_TYPE "/migration/self/bad-name", "1\n");
    sysfs_fails(root, GVT_TYPE, DC_ERR_FACTS,
                "%s/" GVT_TYPE "/migration/self/bad-name: invalid fact name 'bad-name'");
    rm_rf(root);
    free(root);
}

Test(sysfs, bad_migration_compatible)
{
    char *root = fake_sysfs();
    put(root, GVT_TYPE "/migration_compatible", "SELF:\n  a != 1\nCOMPATIBLE:\n  a = 1\n");
    sysfs_fails(root, GVT_TYPE, DC_ERR_FACTS,
                "%s/" GVT_TYPE "/migration_compatible:2: SELF block of a self-describing "
                "device must hold literal facts");
    rm_rf(root);
    free(root);
}

Test(sysfs, non_ascii_content)
{
    char *root = fake_sysfs();
    put(root, GVT_TYPE "/name", "GVTg \xe2\x80\x94 4\n");
    sysfs_fails(root, GVT_TYPE, DC_ERR_FACTS,
                "%s/" GVT_TYPE "/name: fact 'name': non-ASCII byte 0xe2 in value");
    rm_rf(root);
    free(root);
}

Test(sysfs, value_over_4096_bytes)
{
    char *root = fake_sysfs();
    char *v = repeat('d', 4097);
    put(root, GVT_TYPE "/description", v);
    sysfs_fails(root, GVT_TYPE, DC_ERR_LIMIT,
                "%s/" GVT_TYPE "/description: fact 'description': value is 4097 bytes, "
                "longer than 4096 bytes (the limit)");
    v[4096] = '\0';
    put(root, GVT_TYPE "/description", v);
    dc_facts *f = sysfs_ok(root, GVT_TYPE);
    cr_assert_eq(strlen(dc_facts_lookup(f, "description")), 4096);
    dc_facts_free(f);
    free(v);
    rm_rf(root);
    free(root);
}

Test(sysfs, broken_driver_link)
{
    char *root = fake_sysfs();
    link_to(root, "sys/devices/pci0000:00/0000:00:05.0", "pci-gone");
    sysfs_fails(root, "/sys/devices/pci0000:00/0000:00:05.0", DC_ERR_IO,
                "%s/sys/devices/pci0000:00/0000:00:05.0: broken symbolic link");
    put(root, "sys/devices/pci0000:00/0000:00:06.0/vendor", "0x8086\n");
    put(root, "sys/devices/pci0000:00/0000:00:06.0/device", "0x1234\n");
    link_to(root, "sys/devices/pci0000:00/0000:00:06.0/driver",
            "../../../bus/pci/drivers/gone");
    sysfs_fails(root, "/sys/devices/pci0000:00/0000:00:06.0", DC_ERR_IO,
                "%s/sys/devices/pci0000:00/0000:00:06.0/driver: broken symbolic link (to "
                "'../../../bus/pci/drivers/gone')");
    rm_rf(root);
    free(root);
}

Test(sysfs, link_loop)
{
    char *root = fake_sysfs();
    link_to(root, "sys/devices/loop1", "loop2");
    link_to(root, "sys/devices/loop2", "loop1");
    sysfs_fails(root, "sys/devices/loop1", DC_ERR_IO,
                "%s/sys/devices/loop1: symbolic link loop");
    mkdirs(root, "sys/devices/m2");
    link_to(root, "sys/devices/m2/mdev_type", "mdev_type");
    sysfs_fails(root, "sys/devices/m2", DC_ERR_IO,
                "%s/sys/devices/m2/mdev_type: symbolic link loop (to 'mdev_type')");
    rm_rf(root);
    free(root);
}

Test(sysfs, carriage_return_is_an_error)
{
    char *root = fake_sysfs();
    put(root, GVT_TYPE "/name", "GVTg_V5_4\r\n");
    sysfs_fails(root, GVT_TYPE, DC_ERR_FACTS,
                "%s/" GVT_TYPE "/name: control character 0x0d (CR) at byte 9");
    rm_rf(root);
    free(root);
}

Test(sysfs, broken_mdev_type_link)
{
    char *root = fake_sysfs();
    mkdirs(root, "sys/devices/m1");
    link_to(root, "sys/devices/m1/mdev_type", "../nowhere/t1");
    sysfs_fails(root, "sys/devices/m1", DC_ERR_IO,
                "%s/sys/devices/m1/mdev_type: broken symbolic link (to '../nowhere/t1')");
    rm_rf(root);
    free(root);
}

Test(sysfs, bad_pci_id)
{
    char *root = fake_sysfs();
    put(root, "sys/devices/p/vendor", "intel\n");
    put(root, "sys/devices/p/device", "0x1234\n");
    sysfs_fails(root, "sys/devices/p", DC_ERR_FACTS,
                "%s/sys/devices/p/vendor: 'intel' is not a PCI ID (0x and 4 hex digits)");
    rm_rf(root);
    free(root);
}

Test(sysfs, unreadable_attribute)
{
    char *root = fake_sysfs();
    mkdirs(root, "sys/devices/q/vendor");
    put(root, "sys/devices/q/device", "0x1234\n");
    sysfs_fails(root, "sys/devices/q", DC_ERR_IO, "%s/sys/devices/q/vendor: is a directory");
    rm_rf(root);
    free(root);
}

Test(sysfs, not_a_device_directory)
{
    char *root = fake_sysfs();
    sysfs_fails(root, "/sys/bus", DC_ERR_FACTS,
                "%s/sys/bus: not a PCI device (vendor, device), mdev device (mdev_type) or "
                "mdev type (device_api, available_instances) directory");
    sysfs_fails(root, "/sys/nothing", DC_ERR_IO, "%s/sys/nothing: No such file or directory");
    sysfs_fails(root, GVT_TYPE "/name", DC_ERR_FACTS, "%s/" GVT_TYPE "/name: not a directory");
    dc_facts *f = NULL;
    cr_assert_eq(dc_facts_read_sysfs(root, NULL, &f, NULL), DC_ERR_INVALID);
    rm_rf(root);
    free(root);
}

/* This machine's PCI devices, whatever they are. */
Test(sysfs, real_sys)
{
    DIR *d = opendir("/sys/bus/pci/devices");
    if (!d)
        cr_skip_test("no /sys/bus/pci/devices here");
    struct dirent *e;
    int seen = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char dir[512];
        snprintf(dir, sizeof dir, "/sys/bus/pci/devices/%s", e->d_name);
        dc_facts *f = NULL;
        dc_error err = { 0 };
        cr_assert_eq(dc_facts_read_sysfs(NULL, dir, &f, &err), DC_OK, "%s", err.message);
        const char *pci_id = dc_facts_lookup(f, "pci_id");
        cr_assert_not_null(pci_id);
        cr_assert_eq(strlen(pci_id), 8);
        cr_assert_eq(strspn(pci_id, "0123456789abcdef"), 8, "%s", pci_id);
        char want[16];
        snprintf(want, sizeof want, "%04lx%04lx",
                 strtoul(dc_facts_lookup(f, "vendor"), NULL, 16),
                 strtoul(dc_facts_lookup(f, "device"), NULL, 16));
        cr_assert_str_eq(pci_id, want);
        dc_facts_free(f);
        /* The same with an explicit root. */
        cr_assert_eq(dc_facts_read_sysfs("/", dir + 1, &f, &err), DC_OK, "%s", err.message);
        cr_assert_str_eq(dc_facts_lookup(f, "pci_id"), want);
        dc_facts_free(f);
        seen++;
    }
    closedir(d);
    if (!seen)
        cr_skip_test("no PCI devices here");
}

/* ----------------------------------------------------------- inventory */

static dc_inventory *inv_ok(const char *path)
{
    dc_inventory *inv = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_inventory_read(path, &inv, &err), DC_OK, "%s", err.message);
    cr_assert_not_null(inv);
    return inv;
}

static void inv_fails(const char *path, dc_status status, const char *want)
{
    dc_inventory *inv = (dc_inventory *)1;
    dc_error err = { 0 };
    dc_status st = dc_inventory_read(path, &inv, &err);
    cr_assert_eq(st, status, "status %s (%s)", dc_status_str(st), err.message);
    cr_assert_null(inv);
    cr_assert(strstr(err.message, want), "message '%s' lacks '%s'", err.message, want);
}

/* Write TEXT to a temporary file named NAME in a new directory; returns the path. */
static char *temp_file(const char *name, const char *text, char **dir)
{
    *dir = tmpdir();
    write_file(*dir, name, text);
    char *path = malloc(strlen(*dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", *dir, name);
    return path;
}

static void check_three(const dc_inventory *inv, const char *const ids[3])
{
    cr_assert_eq(dc_inventory_count(inv), 3);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_str_eq(dc_inventory_id(inv, i), ids[i]);
        const dc_facts *f = dc_inventory_facts(inv, i);
        cr_assert_null(dc_facts_lookup(f, "id"));
        if (!strcmp(ids[i], "gpu0")) {
            cr_assert_eq(dc_facts_count(f), 3);
            expect_fact(f, "mdev_type", "i915-GVTg_V5_4");
            expect_fact(f, "aggregator", "2");
        } else if (!strcmp(ids[i], "gpu1")) {
            cr_assert_eq(dc_facts_count(f), 4);
            expect_fact(f, "params.memory", "4096");
        } else {
            cr_assert_eq(dc_facts_count(f), 1);
            expect_fact(f, "device_api", "vfio-ccw");
        }
    }
    cr_assert_null(dc_inventory_id(inv, 3));
    cr_assert_null(dc_inventory_facts(inv, 3));
}

Test(inventory, yaml_list)
{
    static const char *const ids[3] = { "gpu0", "gpu1", "7" };
    dc_inventory *inv = inv_ok(FACTS_DATA "/inventory.yaml");
    check_three(inv, ids);
    dc_inventory_free(inv);
    dc_inventory_free(NULL);
    cr_assert_eq(dc_inventory_count(NULL), 0);
}

Test(inventory, json_list)
{
    static const char *const ids[3] = { "gpu0", "gpu1", "7" };
    dc_inventory *inv = inv_ok(FACTS_DATA "/inventory.json");
    check_three(inv, ids);
    dc_inventory_free(inv);
}

Test(inventory, directory)
{
    static const char *const ids[3] = { "7", "gpu0", "gpu1" };
    dc_inventory *inv = inv_ok(FACTS_DATA "/inventory.d");
    check_three(inv, ids);
    dc_inventory_free(inv);
    inv = inv_ok(FACTS_DATA "/inventory.d/");
    cr_assert_eq(dc_inventory_count(inv), 3);
    dc_inventory_free(inv);
}

Test(inventory, empty)
{
    char *dir;
    char *path = temp_file("inv.yaml", "[]\n", &dir);
    dc_inventory *inv = inv_ok(path);
    cr_assert_eq(dc_inventory_count(inv), 0);
    dc_inventory_free(inv);
    write_file(dir, "inv.yaml", "");
    inv = inv_ok(path);
    cr_assert_eq(dc_inventory_count(inv), 0);
    dc_inventory_free(inv);
    rm_rf(dir);
    free(dir);
    free(path);
    dir = tmpdir();
    inv = inv_ok(dir);
    cr_assert_eq(dc_inventory_count(inv), 0);
    dc_inventory_free(inv);
    rm_rf(dir);
    free(dir);
}

static void inv_text_fails(const char *text, dc_status status, const char *want)
{
    char *dir;
    char *path = temp_file("inv.yaml", text, &dir);
    char full[1024];
    snprintf(full, sizeof full, want, path);
    inv_fails(path, status, full);
    rm_rf(dir);
    free(dir);
    free(path);
}

Test(inventory, duplicate_id)
{
    inv_text_fails("- id: a\n  x: 1\n- id: b\n- id: a\n  x: 2\n- id: b\n", DC_ERR_FACTS,
                   "%s:4: entry 2: duplicate id 'a' (entry 0, line 1, has it too)");
    inv_text_fails("[{\"id\": \"a\"}, {\"id\": \"a\"}]", DC_ERR_FACTS,
                   "%s:1: entry 1: duplicate id 'a' (entry 0, line 1, has it too)");
}

Test(inventory, missing_id)
{
    inv_text_fails("- id: a\n- x: 1\n  y: 2\n", DC_ERR_FACTS, "%s:2:3: entry 1: no 'id'");
}

Test(inventory, bad_ids_and_entries)
{
    inv_text_fails("- id: [a]\n", DC_ERR_FACTS,
                   "%s:1:7: entry 0: the 'id' must be a non-empty scalar");
    inv_text_fails("- id: ''\n", DC_ERR_FACTS, "entry 0: the 'id' must be a non-empty scalar");
    inv_text_fails("- id: \"a\\tb\"\n", DC_ERR_FACTS,
                   "entry 0: the 'id' must be one line of printable ASCII");
    inv_text_fails("- id: a\n  id: b\n", DC_ERR_FACTS,
                   "%s:2:3: duplicate key 'id' (first at line 1)");
    inv_text_fails("- id: a\n- just text\n", DC_ERR_FACTS,
                   "%s:2:3: entry 1: a device must be a mapping with an 'id', not a scalar");
    inv_text_fails("id: a\n", DC_ERR_FACTS,
                   "%s:1:1: an inventory must be a sequence of mappings, one per device");
    inv_text_fails("- id: a\n  bad-name: 1\n", DC_ERR_FACTS,
                   "%s:2:3: invalid fact name 'bad-name'");
    inv_text_fails("- id: a\n  b: [1\n", DC_ERR_FACTS,
                   "%s:3:1: did not find expected ',' or ']'");
    inv_text_fails("- id: a\n---\n- id: b\n", DC_ERR_FACTS, "%s:2: a second YAML document");
}

Test(inventory, directory_errors)
{
    char *dir = tmpdir();
    write_file(dir, "a.kv", "x=1\n");
    write_file(dir, "a.yaml", "x: 2\n");
    char want[1024];
    snprintf(want, sizeof want, "%s/a.yaml: duplicate id 'a' (%s/a.kv has it too)", dir, dir);
    inv_fails(dir, DC_ERR_FACTS, want);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/a.yaml", dir);
    unlink(sub);
    write_file(dir, "b.kv", "x=1\nx=2\n");
    snprintf(want, sizeof want, "%s/b.kv:2: duplicate fact 'x'", dir);
    inv_fails(dir, DC_ERR_FACTS, want);
    snprintf(sub, sizeof sub, "%s/b.kv", dir);
    unlink(sub);
    mkdirs(dir, "c");
    snprintf(want, sizeof want, "%s/c: is a directory", dir);
    inv_fails(dir, DC_ERR_IO, want);
    rm_rf(dir);
    free(dir);
    inv_fails(FACTS_DATA "/no-such-inventory.yaml", DC_ERR_IO,
              FACTS_DATA "/no-such-inventory.yaml: No such file or directory");
    dc_inventory *inv;
    cr_assert_eq(dc_inventory_read(NULL, &inv, NULL), DC_ERR_INVALID);
}

/* 100 000 devices of 5 facts each load, every one in order.  How fast is
 * bench/'s business (docs/performance.md), not an assertion here: the
 * timeout only keeps a hang from stalling CI. */
Test(inventory, large, .timeout = 300)
{
    const size_t n = 100000;
    char *dir = tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/big.json", dir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs("[\n", fp);
    for (size_t i = 0; i < n; i++)
        fprintf(fp,
                "{\"id\": \"dev%06zu\", \"device_api\": \"vfio-pci\", \"mdev_type\": "
                "\"i915-GVTg_V5_%d\", \"aggregator\": %zu, \"pci_id\": \"8086591d\", "
                "\"software_version\": \"1.%zu.0\"}%s\n",
                i, 1 << (i % 4), i % 8 + 1, i % 10, i + 1 < n ? "," : "");
    fputs("]\n", fp);
    fclose(fp);
    dc_inventory *inv = inv_ok(path);
    cr_assert_eq(dc_inventory_count(inv), n);
    char last[32];
    snprintf(last, sizeof last, "dev%06zu", n - 1);
    cr_assert_str_eq(dc_inventory_id(inv, n - 1), last);
    expect_fact(dc_inventory_facts(inv, 1233), "mdev_type", "i915-GVTg_V5_2");
    dc_inventory_free(inv);
    rm_rf(dir);
    free(dir);
}

/* ------------------------------------------------------- YAML trees */

/* A mapping inside a larger document (a `compatc test` case) reads as a
 * facts document does, its errors at their place in the whole file. */
Test(yaml_tree, a_mapping_inside_a_document_reads_as_facts)
{
    const char *text = "- name: a\n"
                       "  source: {self: {api: vfio-pci, p: {m: 4096}, s: [x, y]}}\n"
                       "  target: {a: 1, a: 2}\n"
                       "  other: ~\n";
    facts_ytree *t = NULL;
    const facts_ynode *root = NULL;
    dc_error err;
    cr_assert_eq(
        facts_ytree_read(NULL, "cases.yaml", "the cases", text, strlen(text), &t, &root, &err),
        DC_OK, "%s", err.message);
    cr_assert_eq(root->kind, FACTS_YSEQ);
    const facts_ynode *item = root->first;
    cr_assert_eq(item->kind, FACTS_YMAP);
    cr_assert_eq(item->count, 8);
    const facts_ynode *source = item->first->next->next->next;
    const facts_ynode *target = source->next->next;
    const facts_ynode *other = target->next->next;
    dc_facts *f = NULL;
    cr_assert_eq(facts_ytree_facts(t, source, &f, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_facts_count(f), 3);
    expect_fact(f, "api", "vfio-pci");
    expect_fact(f, "p.m", "4096");
    expect_fact(f, "s", "x,y");
    dc_facts_free(f);
    cr_assert_eq(facts_ytree_facts(t, target, &f, &err), DC_ERR_FACTS);
    cr_assert_null(f);
    cr_assert_str_eq(err.message, "cases.yaml:3:18: duplicate key 'a' (first at line 3)");
    cr_assert_eq(facts_ytree_facts(t, other, &f, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_facts_count(f), 0);
    dc_facts_free(f);
    cr_assert_eq(facts_ytree_facts(t, item->first->next, &f, &err), DC_ERR_FACTS);
    cr_assert_str_eq(err.message, "cases.yaml:1:9: facts must be a mapping (name: value), "
                                  "not a scalar");
    facts_ytree_free(t);
    facts_ytree_free(NULL);
}

Test(yaml_tree, errors_name_the_document)
{
    const char *cases[][2] = {
        { "- a\n---\n- b\n",
          "cases.yaml:2: a second YAML document: the cases are one document" },
        { "- &x {}\n- *x\n",
          "cases.yaml:2:3: YAML aliases (*name) are not supported in the cases" },
        { "- {a: 1\n", "cases.yaml:2:1: did not find expected ',' or '}'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        facts_ytree *t = (facts_ytree *)1;
        const facts_ynode *root = (const facts_ynode *)1;
        dc_error err;
        dc_status st = facts_ytree_read(NULL, "cases.yaml", "the cases", cases[i][0],
                                        strlen(cases[i][0]), &t, &root, &err);
        cr_expect_eq(st, DC_ERR_FACTS, "%s", cases[i][0]);
        cr_expect_null(t);
        cr_expect_null(root);
        cr_expect(strstr(err.message, cases[i][1]), "'%s' lacks '%s'", err.message,
                  cases[i][1]);
    }
    facts_ytree *t = NULL;
    const facts_ynode *root = (const facts_ynode *)1;
    dc_error err;
    cr_assert_eq(facts_ytree_read(NULL, "cases.yaml", "the cases", "", 0, &t, &root, &err),
                 DC_OK);
    cr_expect_null(root);
    facts_ytree_free(t);
}

/* ------------------------------------------ inventories without libyaml */

/* What an inventory reader hands on, as text: each entry's index, line,
 * id and facts; an entry whose id is longer than 8 bytes is refused by the
 * callback (its error ends the read, as an embedder's would). */
typedef struct entries_seen {
    char *text;
    size_t len, cap;
} entries_seen;

static void seen_add(entries_seen *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->text = realloc(s->text, s->cap);
        cr_assert_not_null(s->text);
    }
    memcpy(s->text + s->len, p, n);
    s->len += n;
    s->text[s->len] = '\0';
}

static dc_status seen_entry(void *ctx, const char *id, size_t id_len, dc_facts *facts,
                            size_t index, uint32_t line, dc_error *err)
{
    entries_seen *s = ctx;
    char head[64], body[8192];
    int n = snprintf(head, sizeof head, "%zu@%u:", index, line);
    seen_add(s, head, (size_t)n);
    seen_add(s, id, id_len);
    seen_add(s, "\n", 1);
    size_t k = facts_render_text(facts, body, sizeof body);
    seen_add(s, body, k < sizeof body ? k : sizeof body - 1);
    dc_facts_free(facts);
    if (id_len > 8)
        return dc_error_set(err, DC_ERR_FACTS, "id '%.*s' too long", (int)id_len, id);
    return DC_OK;
}

/* The inventory `text` read both ways, with and without the flat reader:
 * the same entries, status and message.  Returns whether the flat reader
 * took it. */
static bool flat_agrees(const char *text, size_t len)
{
    entries_seen a = { 0 }, b = { 0 };
    dc_error ea = { 0 }, eb = { 0 };
    dc_status sa =
        facts_yaml_entries_ex(NULL, "inv.yaml", text, len, true, seen_entry, &a, &ea);
    dc_status sb =
        facts_yaml_entries_ex(NULL, "inv.yaml", text, len, false, seen_entry, &b, &eb);
    cr_assert_eq(sa, sb, "status %d, libyaml %d for:\n%.*s", sa, sb, (int)len, text);
    if (sa != DC_OK)
        cr_assert_str_eq(ea.message, eb.message, "for:\n%.*s", (int)len, text);
    cr_assert_str_eq(a.text ? a.text : "", b.text ? b.text : "", "for:\n%.*s", (int)len, text);
    free(a.text);
    free(b.text);
    dc_status st;
    entries_seen c = { 0 };
    bool flat = facts_yaml_flat(NULL, "inv.yaml", text, len, seen_entry, &c, &st, &ea);
    free(c.text);
    return flat;
}

static const char flat_base[] = "- id: gpu0\n"
                                "  device_api: vfio-pci\n"
                                "  mdev_type: i915-GVTg_V5_4\n"
                                "  aggregator: 2\n"
                                "  software_version: 1.2.3\n"
                                "  pci_id: 8086591d\n"
                                "- id: gpu1\n"
                                "  params.memory: 4096\n"
                                "  sla.0.cir: 100\n"
                                "  addr: 0000:00:02.0\n"
                                "  list: a,b=c+d/e\n"
                                "- id: gpu2\n";

Test(yaml_flat, reads_the_common_shape_as_libyaml_does)
{
    cr_assert(flat_agrees(flat_base, strlen(flat_base)));
    /* the last line without its newline, one device only */
    cr_assert(flat_agrees(flat_base, strlen(flat_base) - 1));
    cr_assert(flat_agrees("- id: a\n", 8));
    /* shapes left to libyaml */
    const char *other[] = {
        "",
        "# a comment\n- id: a\n",
        "---\n- id: a\n",
        "- id: a\n\n- id: b\n",
        "- id: a\n  k: v # comment\n",
        "- id: a\n  k: \"v\"\n",
        "- id: a\n  k: ~\n",
        "- id: a\n  k: null\n",
        "- id: a\n  k:\n",
        "- id: a\n  k: v:\n",
        "- id: a\n  k: [a, b]\n",
        "- id: a\n  k: {m: 1}\n",
        "- id: a\n  k:  v\n",
        "- id: a\n  k: v \n",
        "- id: a\r\n",
        "- id: a\n  k: v\n  k: w\n",
        "- id: a\n  id: b\n",
        "- k: v\n",
        "- id: a\n  self: x\n",
        "- id: a\n  k: &x v\n",
        "- id: a\n  k: -1\n",
        "- id: a\n  k: v\n    w\n",
        "- id: a\n  9k: v\n",
        "- id: a\n...\n",
        "[{id: a}]\n",
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        cr_expect_not(flat_agrees(other[i], strlen(other[i])), "took:\n%s", other[i]);
}

/* Every text one edit away from `base`: the flat reader takes some
 * (*took), leaves the rest to libyaml (*left), and both ways agree on all. */
static void one_edit_away(const char *base, const char *const *lines, size_t nlines,
                          size_t *took, size_t *left)
{
    static const char bytes[] = " #:\t\r\n-'\"{}[]~&*!|>,=@%?x0._/\\";
    size_t n = strlen(base);
    char *buf = malloc(n + 64);
    cr_assert_not_null(buf);
    for (size_t at = 0; at <= n; at++) {
        for (size_t b = 0; b < sizeof bytes - 1; b++) { /* a byte inserted */
            memcpy(buf, base, at);
            buf[at] = bytes[b];
            memcpy(buf + at + 1, base + at, n - at);
            flat_agrees(buf, n + 1) ? ++*took : ++*left;
        }
        if (at < n) { /* a byte deleted, a byte replaced by 'x' */
            memcpy(buf, base, at);
            memcpy(buf + at, base + at + 1, n - at - 1);
            flat_agrees(buf, n - 1) ? ++*took : ++*left;
            memcpy(buf, base, n);
            buf[at] = buf[at] == 'x' ? 'y' : 'x';
            flat_agrees(buf, n) ? ++*took : ++*left;
        }
        if (at == 0 || base[at - 1] == '\n' || base[at - 1] == ',') /* a line inserted */
            for (size_t l = 0; l < nlines; l++) {
                size_t k = strlen(lines[l]);
                memcpy(buf, base, at);
                memcpy(buf + at, lines[l], k);
                memcpy(buf + at + k, base + at, n - at);
                flat_agrees(buf, n + k) ? ++*took : ++*left;
            }
    }
    free(buf);
}

Test(yaml_flat, agrees_with_libyaml_one_edit_away)
{
    static const char *const lines[] = { "---\n",         "...\n",        "\n",
                                         "  \n",          "# c\n",        "  id: z\n",
                                         "- id:\n",       "  k: null\n",  "  k: ~\n",
                                         "  self: x\n",   "- id: gpu0\n", "  pci_id: 1\n",
                                         "  p: {a: 1}\n", "  - x\n" };
    size_t took = 0, left = 0;
    one_edit_away(flat_base, lines, sizeof lines / sizeof lines[0], &took, &left);
    cr_log_info("the flat reader took %zu texts, libyaml read %zu", took, left);
    cr_expect_gt(took, 1000, "the flat reader took %zu texts", took);
    cr_expect_gt(left, 4000, "libyaml read %zu texts", left);
}

static const char flat_json[] = "[\n"
                                "{\"id\": \"gpu0\", \"device_api\": \"vfio-pci\", "
                                "\"aggregator\": 2, \"version\": \"1.2.3\"},\n"
                                "{\"id\": 7, \"vendor\": \"Intel Corporation\",\n"
                                "  \"addr\": \"0000:00:02.0\", \"k\": \"null\"}\n"
                                "]\n";

Test(yaml_flat, reads_json_lists_as_libyaml_does)
{
    cr_assert(flat_agrees(flat_json, strlen(flat_json)));
    cr_assert(flat_agrees("[{\"id\": \"a\"}]", 13));
    const char *other[] = {
        "[]\n",
        "[{}]\n",
        "[{\"id\":\"a\"}]\n",
        "[{\"id\": \"a\", \"k\": null}]\n",
        "[{\"id\": \"a\", \"k\": true}]\n",
        "[{\"id\": \"a\", \"k\": -1}]\n",
        "[{\"id\": \"a\", \"k\": 1.5}]\n",
        "[{\"id\": \"a\", \"k\": \"a\\\"b\"}]\n",
        "[{\"id\": \"a\", \"k\": \" v\"}]\n",
        "[{\"id\": \"a\", \"k\": \"\"}]\n",
        "[{\"id\": \"a\", \"k\": [\"x\"]}]\n",
        "[{\"id\": \"a\", \"k\": {\"m\": \"1\"}}]\n",
        "[{\"id\": \"a\", \"k\": \"v\", \"k\": \"w\"}]\n",
        "[{\"id\": \"a\"},]\n",
        "[{\"id\": \"a\"}]\n[]\n",
        "[{\"id\": \"a\"}\t]\n",
        "{\"id\": \"a\"}\n",
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        cr_expect_not(flat_agrees(other[i], strlen(other[i])), "took:\n%s", other[i]);
    static const char *const lines[] = {
        "\n", " ", "{\"id\": \"z\"},", "\"x\": \"y\",", "\"id\": \"gpu0\",", "null,", "# c\n"
    };
    size_t took = 0, left = 0;
    one_edit_away(flat_json, lines, sizeof lines / sizeof lines[0], &took, &left);
    cr_log_info("JSON: the flat reader took %zu texts, libyaml read %zu", took, left);
    cr_expect_gt(took, 1000, "the flat reader took %zu texts", took);
    cr_expect_gt(left, 4000, "libyaml read %zu texts", left);
}

/* ------------------------------------------------ adding in bulk (batch) */

/* Add the (name, value) pairs one by one with facts_add_at, and through a
 * facts_batch: the same first error (status and message), or the same
 * facts, in the same order. */
static void batch_agrees(const char *const *pairs, size_t n)
{
    dc_facts *one = NULL, *bulk = NULL;
    dc_error e1 = { 0 }, e2 = { 0 };
    facts_batch b;
    facts_batch_init(&b, NULL);
    cr_assert_eq(dc_facts_new(&one, &e1), DC_OK);
    dc_status s1 = DC_OK, s2 = DC_OK;
    for (size_t i = 0; i < n && s1 == DC_OK; i++)
        s1 = facts_add_at(one, "f", (uint32_t)i + 1, 0, pairs[2 * i], strlen(pairs[2 * i]),
                          pairs[2 * i + 1], strlen(pairs[2 * i + 1]), &e1);
    for (size_t i = 0; i < n && s2 == DC_OK; i++)
        s2 = facts_batch_add(&b, "f", (uint32_t)i + 1, 0, pairs[2 * i], strlen(pairs[2 * i]),
                             pairs[2 * i + 1], strlen(pairs[2 * i + 1]), &e2);
    cr_assert_eq(s2, s1, "%s: batch %d, one by one %d (%s)", which, s2, s1, e1.message);
    if (s1 != DC_OK) {
        cr_assert_str_eq(e2.message, e1.message, "%s", which);
    } else {
        cr_assert_eq(facts_batch_take(&b, 2, &bulk, &e2), DC_OK);
        cr_assert_eq(dc_facts_count(bulk), dc_facts_count(one), "%s", which);
        for (size_t i = 0; i < dc_facts_count(one); i++) {
            cr_assert_str_eq(dc_facts_name(bulk, i), dc_facts_name(one, i), "%s", which);
            cr_assert_str_eq(dc_facts_value(bulk, i), dc_facts_value(one, i), "%s", which);
        }
        if (dc_facts_count(bulk) + 3 > DC_MAX_FACTS)
            goto out;
        /* room was made: two more go in, sorted, and a third still fits */
        cr_assert_eq(dc_facts_add(bulk, "zz.last", "1", 1, &e2), DC_OK);
        cr_assert_eq(dc_facts_add(bulk, "_first", "2", 1, &e2), DC_OK);
        cr_assert_eq(dc_facts_add(bulk, "m.middle", "3", 1, &e2), DC_OK);
        cr_assert_str_eq(dc_facts_name(bulk, 0), "_first");
        cr_assert_str_eq(dc_facts_lookup(bulk, "zz.last"), "1");
        cr_assert_str_eq(dc_facts_lookup(bulk, "m.middle"), "3");
        cr_assert_eq(dc_facts_add(bulk, "zz.last", "1", 1, &e2), DC_ERR_FACTS);
    out:
        dc_facts_free(bulk);
    }
    facts_batch_release(&b);
    dc_facts_free(one);
}

Test(batch, agrees_with_adding_one_by_one)
{
    static const char *const ok[] = { "vendor", "0x8086", "a.b", "  x  ", "a",         "1",
                                      "a.b_2",  "y",      "ab",  "",      "sla.0.cir", "5" };
    static const char *const dup[] = { "x", "1", "y", "2", "x", "3", "bad name", "4" };
    static const char *const name_first[] = { "x", "1", "1x", "2", "x", "3" };
    static const char *const value_first[] = { "x", "1", "y", "a\001b", "x", "3" };
    static const char *const empty_name[] = { "x", "1", "", "2" };
    snprintf(which, sizeof which, "ok");
    batch_agrees(ok, sizeof ok / sizeof *ok / 2);
    snprintf(which, sizeof which, "duplicate");
    batch_agrees(dup, sizeof dup / sizeof *dup / 2);
    snprintf(which, sizeof which, "name");
    batch_agrees(name_first, sizeof name_first / sizeof *name_first / 2);
    snprintf(which, sizeof which, "value");
    batch_agrees(value_first, sizeof value_first / sizeof *value_first / 2);
    snprintf(which, sizeof which, "empty name");
    batch_agrees(empty_name, sizeof empty_name / sizeof *empty_name / 2);
}

/* Names that share their first, middle and last eight bytes and length
 * (what the batch's table hashes) are still told apart; the limit on
 * facts per device is reported where adding one by one reports it. */
Test(batch, many_names_and_the_limit)
{
    enum { N = DC_MAX_FACTS + 1 };
    static char names[N][40];
    static char values[N][8];
    static const char *pairs[2 * N];
    for (size_t i = 0; i < N; i++) {
        /* 36 bytes: the four digits (bytes 8-11) sit outside the bytes
         * hashed (0-7, 14-21, 28-35) */
        snprintf(names[i], sizeof names[i], "libvirt.%04zuxxyyyyyyyyyyyyyy.zzzzzzz", i);
        snprintf(values[i], sizeof values[i], "%zu", i);
        pairs[2 * i] = names[i];
        pairs[2 * i + 1] = values[i];
    }
    snprintf(which, sizeof which, "1024");
    batch_agrees(pairs, N - 1);
    snprintf(which, sizeof which, "1025");
    batch_agrees(pairs, N);
    pairs[2 * (N - 1)] = names[7]; /* the 1025th a duplicate: a duplicate */
    snprintf(which, sizeof which, "1025 dup");
    batch_agrees(pairs, N);
}

/* One batch for many devices, as an importer uses it: each device's facts
 * sorted, whether its names come in the last device's order or not, and
 * a name of an earlier device is no duplicate in a later one. */
Test(batch, one_batch_many_devices)
{
    static const char *const devices[][4] = {
        { "x", "a", "m", NULL },  { "x", "a", "m", NULL }, { "a", "x", "m", NULL },
        { "x", "a", NULL, NULL }, { "x", "a", "m", "b" },  { "x", "a", "m", "b" },
    };
    facts_batch b;
    facts_batch_init(&b, NULL);
    dc_error err = { 0 };
    for (size_t d = 0; d < sizeof devices / sizeof *devices; d++) {
        size_t n = 0;
        for (; n < 4 && devices[d][n]; n++) {
            char value[8];
            snprintf(value, sizeof value, "%zu.%zu", d, n);
            cr_assert_eq(
                facts_batch_add(&b, "f", 1, 0, devices[d][n], 1, value, strlen(value), &err),
                DC_OK, "%s", err.message);
        }
        char first[8];
        snprintf(first, sizeof first, "%zu.0", d);
        cr_assert_str_eq(facts_batch_lookup(&b, devices[d][0]), first);
        if (n < 3) /* "m" was an earlier device's: not this one's */
            cr_assert_null(facts_batch_lookup(&b, "m"));
        dc_facts *f = NULL;
        cr_assert_eq(facts_batch_take(&b, 0, &f, &err), DC_OK);
        cr_assert_eq(dc_facts_count(f), n);
        for (size_t i = 1; i < n; i++)
            cr_assert_lt(strcmp(dc_facts_name(f, i - 1), dc_facts_name(f, i)), 0, "device %zu",
                         d);
        for (size_t i = 0; i < n; i++) {
            char value[8];
            snprintf(value, sizeof value, "%zu.%zu", d, i);
            cr_assert_str_eq(dc_facts_lookup(f, devices[d][i]), value, "device %zu", d);
        }
        dc_facts_free(f);
    }
    facts_batch_release(&b);
}

/* A batch's devices share its names: they outlive the batch, and each
 * other, freed in any order. */
Test(batch, names_outlive_the_batch)
{
    facts_batch b;
    facts_batch_init(&b, NULL);
    dc_error err = { 0 };
    dc_facts *f[3];
    for (size_t d = 0; d < 3; d++) {
        cr_assert_eq(facts_batch_add(&b, "f", 1, 0, "libvirt.name", 12, "x", 1, &err), DC_OK);
        cr_assert_eq(facts_batch_add(&b, "f", 1, 0, "address", 7, "0000:00:00.0", 12, &err),
                     DC_OK);
        cr_assert_eq(facts_batch_take(&b, 1, &f[d], &err), DC_OK);
    }
    facts_batch_release(&b);
    dc_facts_free(f[1]);
    cr_assert_str_eq(dc_facts_name(f[0], 1), "libvirt.name");
    cr_assert_eq(dc_facts_add(f[2], "pf.address", "0000:00:01.0", 12, &err), DC_OK);
    cr_assert_str_eq(dc_facts_lookup(f[2], "address"), "0000:00:00.0");
    dc_facts_free(f[0]);
    cr_assert_str_eq(dc_facts_name(f[2], 1), "libvirt.name");
    dc_facts_free(f[2]);
}

/* span_from, eight bytes at a time and the last fewer than eight read as
 * the end of the word that ends the text, against a byte-by-byte scan:
 * every start and end in texts of the bytes that stop it (or not) at
 * every place. */
static const char *span_bytes(const char *p, const char *end, bool hash)
{
    while (p < end && has_class(*p, K_TEXT) && !(hash && *p == '#'))
        p++;
    return p;
}

Test(kv, spans_of_text_bytes_by_words_and_their_ends)
{
    static const char stops[] = "\t\n\r#\x1f\x7f\x80\xff\0 ~";
    char buf[40];
    unsigned seed = 7, checked = 0;
    for (int round = 0; round < 500; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            buf[i] = r % 4 ? (char)('a' + r % 26) : stops[r % (sizeof stops - 1)];
        }
        for (size_t start = 0; start < 10; start++)
            for (size_t p = start; p < sizeof buf; p++)
                for (size_t end = p; end <= sizeof buf && end <= p + 20; end++)
                    for (int hash = 0; hash < 2; hash++) {
                        const char *want = span_bytes(buf + p, buf + end, hash);
                        cr_assert_eq(span_from(buf + start, buf + p, buf + end, hash), want,
                                     "round %d, %zu %zu %zu", round, start, p, end);
                        cr_assert_eq(span_of(buf + p, buf + end, hash), want);
                        checked++;
                    }
    }
    cr_assert_gt(checked, 1000000);
}
