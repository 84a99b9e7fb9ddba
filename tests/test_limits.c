/*
 * test_limits.c -- every limit of docs/language.md, section 13, at its
 * boundary, through the public
 * API: the limit itself passes, one more fails with a message naming the
 * limit.  Also: template backtracking stays bounded, and every allocation
 * of a compile, a load and a prepare+check may fail cleanly (DC_ERR_NOMEM,
 * nothing leaked).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devcompat.h"
#include "helpers.h"

/* ------------------------------------------------------------ helpers */

/* A growing string. */
typedef struct buf {
    char *s;
    size_t n, cap;
} buf;

static void put(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    cr_assert(need >= 0);
    if (b->n + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->n + (size_t)need + 1 > cap)
            cap *= 2;
        b->s = realloc(b->s, cap);
        cr_assert_not_null(b->s);
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

static void put_repeat(buf *b, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, "%c", c);
}

/* Does any diagnostic (or the error) mention `what`? */
static int diags_mention(const dc_diags *d, const dc_error *err, const char *what)
{
    if (err && strstr(err->message, what))
        return 1;
    for (size_t i = 0; i < dc_diags_count(d); i++) {
        const dc_diag *g = nth_diag(d, i);
        if (g->severity == DC_SEV_ERROR && strstr(g->message, what))
            return 1;
    }
    return 0;
}

static void show_diags(const dc_diags *d, const dc_error *err)
{
    if (err && err->message[0])
        cr_log_info("error: %s", err->message);
    for (size_t i = 0; i < dc_diags_count(d) && i < 5; i++) {
        const dc_diag *g = nth_diag(d, i);
        cr_log_info("%u:%u: %s", g->line, g->col, g->message);
    }
}

/* Compile `text`; expect success (ok) or an error naming `limit`. */
static void expect_compile(const char *text, size_t len, int ok, const char *limit)
{
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err = { 0 };
    dc_status st = dc_policy_compile("limits.compat", text, len, &pol, &d, &err);
    if (ok) {
        if (st != DC_OK)
            show_diags(d, &err);
        cr_expect_eq(st, DC_OK, "at the limit (%s) the policy must compile", limit);
        cr_expect_not_null(pol);
    } else {
        cr_expect(st == DC_ERR_POLICY || st == DC_ERR_LIMIT, "over the limit (%s): status %s",
                  limit, dc_status_str(st));
        cr_expect_null(pol);
        cr_expect(diags_mention(d, &err, limit), "no diagnostic names the limit %s", limit);
        cr_expect(diags_mention(d, &err, "limit"), "no diagnostic says `limit`");
    }
    dc_policy_free(pol);
    dc_diags_free(d);
}

/* ------------------------------------------------------------ facts */

Test(limits, fact_name_255_256)
{
    char name[300];
    dc_error err = { 0 };
    dc_facts *f = new_facts(NULL);
    cr_assert_not_null(f);
    memset(name, 'n', 255);
    name[255] = '\0';
    cr_expect_eq(dc_facts_add(f, name, "v", 1, &err), DC_OK, "%s", err.message);
    cr_expect_str_eq(dc_facts_lookup(f, name), "v");
    memset(name, 'm', 256);
    name[256] = '\0';
    cr_expect_eq(dc_facts_add(f, name, "v", 1, &err), DC_ERR_LIMIT);
    cr_expect(strstr(err.message, "255") != NULL, "message: %s", err.message);
    cr_expect_eq(dc_facts_count(f), 1);
    dc_facts_free(f);

    /* Same limit through the key=value reader. */
    buf b = { 0 };
    put_repeat(&b, 'k', 255);
    put(&b, "=1\n");
    dc_facts *parsed = NULL;
    cr_expect_eq(dc_facts_parse_text("t.kv", b.s, b.n, &parsed, &err), DC_OK, "%s",
                 err.message);
    dc_facts_free(parsed);
    parsed = NULL;
    b.n = 0;
    put_repeat(&b, 'k', 256);
    put(&b, "=1\n");
    cr_expect_neq(dc_facts_parse_text("t.kv", b.s, b.n, &parsed, &err), DC_OK);
    cr_expect_null(parsed);
    cr_expect(strstr(err.message, "255") != NULL, "message: %s", err.message);
    free(b.s);
}

Test(limits, fact_name_dotted_255)
{
    /* A dotted name counts all its bytes. */
    buf b = { 0 };
    put_repeat(&b, 'a', 127);
    put(&b, ".");
    put_repeat(&b, 'b', 127);
    dc_error err = { 0 };
    dc_facts *f = new_facts(NULL);
    cr_expect_eq(dc_facts_add(f, b.s, "1", 1, &err), DC_OK, "%s", err.message);
    put(&b, "c");
    cr_expect_eq(dc_facts_add(f, b.s, "1", 1, &err), DC_ERR_LIMIT);
    dc_facts_free(f);
    free(b.s);
}

/* A policy reads fact names up to the limit facts have, wherever it names
 * one: a rule's field, an expression's source.F or self.F, an all()'s list.
 * One byte more is refused with the same words everywhere. */
Test(limits, policy_fact_name_255_256)
{
    static const char *const shapes[] = {
        "SELF:\n    kind = a\nCOMPATIBLE:\n    %s = 1\n",
        "SELF:\n    kind = a\nCOMPATIBLE:\n    kind = a\n    where set(source.%s) == set(self.b)\n",
        "SELF:\n    kind = a\nCOMPATIBLE:\n    kind = a\n    where set(self.%s) == set(source.b)\n",
        "SELF:\n    kind = a\nCOMPATIBLE:\n    kind = a\n    where all(source.%s, r, r.x == \"1\")\n",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        for (size_t n = 255; n <= 256; n++) {
            char name[300], text[600];
            memset(name, 'n', n);
            name[n] = '\0';
            snprintf(text, sizeof text, shapes[i], name);
            expect_compile(text, strlen(text), n == 255,
                           "fact name longer than 255 bytes (the limit)");
        }
}

Test(limits, fact_value_4096_4097)
{
    char *value = malloc(4098);
    cr_assert_not_null(value);
    memset(value, 'v', 4097);
    value[4097] = '\0';
    dc_error err = { 0 };
    dc_facts *f = new_facts(NULL);
    cr_expect_eq(dc_facts_add(f, "ok", value, 4096, &err), DC_OK, "%s", err.message);
    cr_expect_eq(strlen(dc_facts_lookup(f, "ok")), 4096);
    cr_expect_eq(dc_facts_add(f, "over", value, 4097, &err), DC_ERR_LIMIT);
    cr_expect(strstr(err.message, "4096") != NULL, "message: %s", err.message);
    cr_expect_null(dc_facts_lookup(f, "over"));
    dc_facts_free(f);

    /* Trimmed blanks do not count: the limit is on the value. */
    buf b = { 0 };
    put(&b, "x=   ");
    put_repeat(&b, 'v', 4096);
    put(&b, "   \n");
    dc_facts *parsed = NULL;
    cr_expect_eq(dc_facts_parse_text("t.kv", b.s, b.n, &parsed, &err), DC_OK, "%s",
                 err.message);
    dc_facts_free(parsed);
    parsed = NULL;
    b.n = 0;
    put(&b, "x=");
    put_repeat(&b, 'v', 4097);
    put(&b, "\n");
    cr_expect_neq(dc_facts_parse_text("t.kv", b.s, b.n, &parsed, &err), DC_OK);
    cr_expect(strstr(err.message, "4096") != NULL, "message: %s", err.message);
    cr_expect_null(parsed);
    free(b.s);
    free(value);
}

Test(limits, facts_1024_1025)
{
    dc_error err = { 0 };
    dc_facts *f = new_facts(NULL);
    char name[32];
    for (int i = 0; i < 1024; i++) {
        snprintf(name, sizeof name, "f%04d", i);
        cr_assert_eq(dc_facts_add(f, name, "1", 1, &err), DC_OK, "fact %d: %s", i, err.message);
    }
    cr_expect_eq(dc_facts_count(f), 1024);
    cr_expect_eq(dc_facts_add(f, "one_more", "1", 1, &err), DC_ERR_LIMIT);
    cr_expect(strstr(err.message, "1024") != NULL, "message: %s", err.message);
    cr_expect_eq(dc_facts_count(f), 1024);
    dc_facts_free(f);

    /* Through both readers. */
    buf kv = { 0 }, js = { 0 };
    put(&js, "{");
    for (int i = 0; i < 1025; i++) {
        if (i == 1024) {
            dc_facts *p = NULL;
            cr_expect_eq(dc_facts_parse_text("t.kv", kv.s, kv.n, &p, &err), DC_OK, "%s",
                         err.message);
            dc_facts_free(p);
            js.s[js.n] = '\0';
            put(&js, "}");
            p = NULL;
            cr_expect_eq(dc_facts_parse_yaml("t.json", js.s, js.n, &p, &err), DC_OK, "%s",
                         err.message);
            dc_facts_free(p);
            js.n--;
        }
        put(&kv, "f%04d=1\n", i);
        put(&js, "%s\"f%04d\": 1", i ? ", " : "", i);
    }
    put(&js, "}");
    dc_facts *p = NULL;
    cr_expect_eq(dc_facts_parse_text("t.kv", kv.s, kv.n, &p, &err), DC_ERR_LIMIT);
    cr_expect(strstr(err.message, "1024") != NULL, "message: %s", err.message);
    cr_expect_null(p);
    cr_expect_eq(dc_facts_parse_yaml("t.json", js.s, js.n, &p, &err), DC_ERR_LIMIT);
    cr_expect(strstr(err.message, "1024") != NULL, "message: %s", err.message);
    cr_expect_null(p);
    free(kv.s);
    free(js.s);
}

/* ------------------------------------------------------------ policy source */

/* An inventory id: 511 bytes pass, 512 are refused naming the limit, in
 * every inventory (a YAML list, an importer's); a control character is
 * refused (an id is printed as one `[ID]` line). */
static dc_status yaml_inventory_with_id(size_t id_len, dc_error *err)
{
    buf b = { 0 };
    put(&b, "- {id: ");
    put_repeat(&b, 'd', id_len);
    put(&b, ", a: 1}\n");
    char path[64];
    snprintf(path, sizeof path, "/tmp/dc-test-limits-%ld.yaml", (long)getpid());
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b.s, 1, b.n, f), b.n);
    fclose(f);
    dc_inventory *inv = NULL;
    dc_status st = dc_inventory_read(path, &inv, err);
    remove(path);
    cr_expect((st == DC_OK) == (inv != NULL));
    if (inv)
        cr_expect_eq(strlen(dc_inventory_id(inv, 0)), id_len);
    dc_inventory_free(inv);
    free(b.s);
    return st;
}

Test(limits, inventory_id_511_512)
{
    dc_error err = { 0 };
    cr_expect_eq(yaml_inventory_with_id(511, &err), DC_OK, "%s", err.message);
    cr_expect_eq(yaml_inventory_with_id(512, &err), DC_ERR_LIMIT);
    cr_expect(strstr(err.message, "longer than 511 bytes (the limit)") != NULL, "message: %s",
              err.message);

    /* an importer's: a libvirt device named with DEL */
    dc_inventory *inv = NULL;
    static const char dev[] = "<device><name>pci\x7f_0</name><capability type='pci'>"
                              "<domain>0</domain><bus>0</bus><slot>2</slot>"
                              "<function>0</function><product id='0x591d'/>"
                              "<vendor id='0x8086'/></capability></device>";
    dc_status st =
        dc_inventory_parse_source(DC_SOURCE_LIBVIRT, "t.xml", dev, sizeof dev - 1, &inv, &err);
    cr_expect_neq(st, DC_OK);
    cr_expect_null(inv);
    cr_expect(strstr(err.message, "t.xml") != NULL, "message: %s", err.message);
    if (st == DC_ERR_FACTS) /* libxml2 present: the id is what is refused */
        cr_expect(strstr(err.message, "0x7f") != NULL, "message: %s", err.message);
}

static const char minimal[] = "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n";

Test(limits, source_1mib)
{
    const size_t limit = 1u << 20;
    char *text = malloc(limit + 2);
    cr_assert_not_null(text);
    size_t n = strlen(minimal);
    memcpy(text, minimal, n);
    /* Pad with comment lines of 1000 bytes (well under 65536 lines). */
    while (n < limit) {
        size_t line = limit - n < 1000 ? limit - n : 1000;
        memset(text + n, '#', line);
        text[n + line - 1] = '\n';
        n += line;
    }
    cr_assert_eq(n, limit);
    expect_compile(text, limit, 1, "1048576");
    text[limit] = '\n';
    expect_compile(text, limit + 1, 0, "1048576");
    free(text);
}

Test(limits, source_65536_lines)
{
    buf b = { 0 };
    put(&b, "%s", minimal);
    for (int i = 4; i < 65536; i++)
        put(&b, "\n");
    expect_compile(b.s, b.n, 1, "65536");
    /* The last line without its newline is still line 65536. */
    expect_compile(b.s, b.n - 1, 1, "65536");
    put(&b, "# line 65537\n");
    expect_compile(b.s, b.n, 0, "65536");
    free(b.s);
}

Test(limits, blocks_1024_1025)
{
    buf b = { 0 };
    put(&b, "SELF:\n    a = 1\n");
    for (int i = 1; i < 1024; i++)
        put(&b, "COMPATIBLE:\n    a = %d\n", i);
    expect_compile(b.s, b.n, 1, "1024");
    put(&b, "COMPATIBLE:\n    a = 1024\n");
    expect_compile(b.s, b.n, 0, "1024");
    free(b.s);
}

Test(limits, rules_1024_1025)
{
    buf b = { 0 };
    put(&b, "SELF:\n");
    for (int i = 0; i < 1024; i++)
        put(&b, "    f%d = %d\n", i, i);
    size_t self_end = b.n;
    put(&b, "COMPATIBLE:\n    a = 1\n");
    expect_compile(b.s, b.n, 1, "1024");

    /* 1025 rules in SELF. */
    buf c = { 0 };
    put(&c, "%.*s    f1024 = 1\nCOMPATIBLE:\n    a = 1\n", (int)self_end, b.s);
    expect_compile(c.s, c.n, 0, "1024");

    /* And in a COMPATIBLE block. */
    b.n = 0;
    put(&b, "SELF:\n    a = 1\nCOMPATIBLE:\n");
    for (int i = 0; i < 1024; i++)
        put(&b, "    f%d = %d\n", i, i);
    expect_compile(b.s, b.n, 1, "1024");
    put(&b, "    where true == true\n");
    expect_compile(b.s, b.n, 0, "1024");
    free(b.s);
    free(c.s);
}

Test(limits, variables_256_257)
{
    for (int block = 0; block < 2; block++) {
        buf b = { 0 };
        if (block == 1)
            put(&b, "SELF:\n    a = 1\nCOMPATIBLE:\n");
        else
            put(&b, "SELF:\n");
        for (int i = 0; i < 256; i++)
            put(&b, "    f%d = {_v%d:int}\n", i, i);
        size_t end = b.n;
        if (block == 0)
            put(&b, "COMPATIBLE:\n    a = 1\n");
        expect_compile(b.s, b.n, 1, "256");
        b.n = end;
        put(&b, "    f256 = {_v256:int}\n");
        if (block == 0)
            put(&b, "COMPATIBLE:\n    a = 1\n");
        expect_compile(b.s, b.n, 0, "256");
        free(b.s);
    }
}

Test(limits, placeholders_16_17)
{
    for (int n = 16; n <= 17; n++) {
        buf b = { 0 };
        put(&b, "SELF:\n    a = 1\nCOMPATIBLE:\n    t = ");
        for (int i = 0; i < n; i++)
            put(&b, "{_p%d:int}%s", i, i + 1 < n ? "x" : "");
        put(&b, "\n");
        expect_compile(b.s, b.n, n == 16, "16");
        free(b.s);
    }
}

Test(limits, nesting_64_65)
{
    /* Depth counted in parentheses around a comparison, in a `where`. */
    for (int n = 63; n <= 65; n++) {
        buf b = { 0 };
        put(&b, "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n    where ");
        put_repeat(&b, '(', (size_t)n);
        put(&b, "1 == 1");
        put_repeat(&b, ')', (size_t)n);
        put(&b, "\n");
        dc_policy *pol = NULL;
        dc_diags *d = NULL;
        dc_error err = { 0 };
        dc_status st = dc_policy_compile("nest.compat", b.s, b.n, &pol, &d, &err);
        cr_log_info("%d parentheses: %s", n, dc_status_str(st));
        if (n < 65)
            cr_expect_eq(st, DC_OK, "%d nested parentheses must compile", n);
        else
            cr_expect(st != DC_OK && diags_mention(d, &err, "64"),
                      "%d nested parentheses must fail naming 64", n);
        dc_policy_free(pol);
        dc_diags_free(d);
        free(b.s);
    }
}

Test(limits, nesting_operators_bounded)
{
    /* Deep unary chains and long binary chains: an error or a policy, never
     * a stack overflow. */
    buf b = { 0 };
    put(&b, "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n    where ");
    put_repeat(&b, '!', 100000);
    put(&b, "true\n");
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_status st = dc_policy_compile("deep.compat", b.s, b.n, &pol, &d, NULL);
    cr_expect(st == DC_ERR_POLICY && diags_mention(d, NULL, "64"), "100000 `!`: %s",
              dc_status_str(st));
    dc_policy_free(pol);
    dc_diags_free(d);
    free(b.s);

    b = (buf){ 0 };
    put(&b, "SELF:\n    a = 1\nCOMPATIBLE:\n    a = {1");
    for (int i = 0; i < 20000; i++)
        put(&b, " + 1");
    put(&b, "}\n");
    pol = NULL;
    d = NULL;
    st = dc_policy_compile("long.compat", b.s, b.n, &pol, &d, NULL);
    cr_log_info("a chain of 20000 `+`: %s", dc_status_str(st));
    cr_expect(st == DC_OK || st == DC_ERR_POLICY);
    dc_policy_free(pol);
    dc_diags_free(d);
    free(b.s);
}

/* ------------------------------------------------------------ .cbc */

Test(limits, cbc_16mib)
{
    const size_t limit = 16u << 20;
    unsigned char *data = calloc(1, limit + 1);
    cr_assert_not_null(data);
    dc_policy *pol = NULL;
    dc_error err = { 0 };
    /* 16 MiB of zeros is not a policy, but not over the limit either. */
    dc_status st = dc_policy_load("big.cbc", data, limit, &pol, &err);
    cr_expect_neq(st, DC_OK);
    cr_expect_neq(st, DC_ERR_LIMIT, "16 MiB is within the limit: %s", err.message);
    st = dc_policy_load("big.cbc", data, limit + 1, &pol, &err);
    cr_expect_eq(st, DC_ERR_LIMIT, "%s", err.message);
    cr_expect(strstr(err.message, "16777216") || strstr(err.message, "16 MiB"), "message: %s",
              err.message);
    cr_expect_null(pol);

    /* A real policy padded to 16 MiB + 1: the size is checked first. */
    dc_policy *small = NULL;
    cr_assert_eq(dc_policy_compile("m.compat", minimal, strlen(minimal), &small, NULL, NULL),
                 DC_OK);
    void *bytes = NULL;
    size_t len = 0;
    if (dc_policy_save(small, &bytes, &len, &err) == DC_OK) {
        cr_expect(len < limit);
        memcpy(data, bytes, len);
        st = dc_policy_load("padded.cbc", data, limit + 1, &pol, &err);
        cr_expect_eq(st, DC_ERR_LIMIT, "%s", err.message);
        dc_buffer_free(small, bytes);
    }
    dc_policy_free(small);
    free(data);
}

/* ------------------------------------------------------------ backtracking */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The budget is what bounds the work: were it lost, the check would run for
 * ages, so the test fails by its timeout rather than hang CI (no assertion
 * on time: the figures are logged). */
Test(limits, template_backtracking_bounded, .timeout = 120)
{
    /* 16 string placeholders separated by `x`, then a `y` that never comes:
     * against 4096 x's, naive backtracking would try C(4095, 15) splits. */
    buf b = { 0 };
    put(&b, "SELF:\n    name = ");
    for (int i = 0; i < 16; i++)
        put(&b, "{_s%d:string}%s", i, i < 15 ? "x" : "y\n");
    put(&b, "COMPATIBLE:\n    name = ");
    for (int i = 0; i < 16; i++)
        put(&b, "{_c%d:string}%s", i, i < 15 ? "x" : "y\n");
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_policy_compile("bt.compat", b.s, b.n, &pol, &d, &err), DC_OK);
    dc_diags_free(d);

    char *xs = malloc(4096);
    memset(xs, 'x', 4096);
    dc_facts *f = new_facts(NULL);
    cr_assert_eq(dc_facts_add(f, "name", xs, 4096, &err), DC_OK);
    dc_result *r = new_result(pol);
    cr_assert_not_null(r);
    double t0 = now();
    cr_assert_eq(dc_check_facts(pol, f, f, r, &err), DC_OK, "%s", err.message);
    double t1 = now();
    cr_expect_eq(dc_result_verdict(r), DC_TARGET_MISMATCH);
    dc_reason why = DC_REASON_INIT;
    if (dc_result_reason_get(r, 0, &why) == DC_OK)
        cr_log_info("reason: %s", why.message);
    cr_log_info("pathological template against 4096 x's: %.3f ms", (t1 - t0) * 1e3);

    /* Prepared once, checked many times: each check is as bounded. */
    dc_prepared *p = NULL;
    cr_assert_eq(dc_prepare(pol, f, &p, &err), DC_OK);
    t0 = now();
    for (int i = 0; i < 10; i++)
        cr_assert_eq(dc_check(pol, p, p, r), DC_OK);
    t1 = now();
    cr_log_info("10 prepared checks: %.3f ms", (t1 - t0) * 1e3);
    dc_prepared_free(p);
    dc_result_free(r);
    dc_facts_free(f);
    dc_policy_free(pol);
    free(xs);
    free(b.s);
}

/* ------------------------------------------------------------ allocation failure */

/* A counting allocator that fails its `fail_at`-th call (1-based; 0: never). */
typedef struct counting {
    long calls, live, fail_at, failed;
} counting;

static void *count_realloc(void *ud, void *ptr, size_t size)
{
    counting *c = ud;
    c->calls++;
    if (c->fail_at && c->calls == c->fail_at) {
        c->failed++;
        return NULL;
    }
    void *p = realloc(ptr, size ? size : 1);
    if (p && !ptr)
        c->live++;
    return p;
}

static void count_free(void *ud, void *ptr)
{
    counting *c = ud;
    if (ptr) {
        c->live--;
        free(ptr);
    }
}

static counting counter;
static const dc_alloc counting_alloc = { count_realloc, count_free, &counter };

static void counter_reset(long fail_at)
{
    counter = (counting){ .fail_at = fail_at };
}

/* A policy that exercises most of the compiler: metadata, templates, every
 * type and constraint kind, expressions, named blocks, a warning. */
static const char nomem_policy[] =
    "POLICY:\n"
    "    name = nomem\n"
    "    description = \"allocation failure injection\"\n"
    "SELF:\n"
    "    device_api = vfio-pci\n"
    "    mdev_type = i915-GVTg_V5_{n:int:1,2,4,8}\n"
    "    aggregator = {agg:int:1..8}\n"
    "    software_version = {tv:semver:^1.0 || ~2.1}\n"
    "    pci_id = {pid:hex:0x80860000..0x8086ffff}\n"
    "    features = {fs:set:a,b,c}\n"
    "    unused = {u:string}\n"
    "COMPATIBLE:\n"
    "    device_api = vfio-pci\n"
    "    mdev_type = i915-GVTg_V5_{m:int:1,2,4,8}\n"
    "    aggregator = {m * agg / n}\n"
    "    software_version = {sv:semver}\n"
    "    where major(sv) == major(tv) && minor(sv) <= minor(tv)\n"
    "COMPATIBLE legacy:\n"
    "    mode = {mo:string:\"none+ppgtt\",\"none+context\"}\n"
    "    enabled = {_e:bool:true}\n"
    "    pv = \"\"\n"
    "    where contains(fs, \"a\") && has(source.mode) && len(source.mode) > 2\n";

static const char *const nomem_source[][2] = {
    { "device_api", "vfio-pci" },    { "mdev_type", "i915-GVTg_V5_4" }, { "aggregator", "2" },
    { "software_version", "1.1.0" }, { "mode", "none+ppgtt" },          { "enabled", "yes" },
};
static const char *const nomem_target[][2] = {
    { "device_api", "vfio-pci" },
    { "mdev_type", "i915-GVTg_V5_2" },
    { "aggregator", "1" },
    { "software_version", "1.2.0" },
    { "pci_id", "8086591d" },
    { "features", "a,b" },
    { "unused", "x" },
};

static dc_status compile_once(const char *text, dc_status *compiled)
{
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err = { 0 };
    dc_status st = dc_policy_compile_ex(&counting_alloc, "nomem.compat", text, strlen(text),
                                        &pol, &d, &err);
    if (st == DC_OK)
        cr_assert_not_null(pol);
    else
        cr_assert_null(pol);
    if (st == DC_ERR_NOMEM)
        cr_assert_eq(err.status, DC_ERR_NOMEM);
    *compiled = st;
    dc_policy_free(pol);
    dc_diags_free(d);
    return st;
}

/* Fail each allocation of compiling `text` in turn. */
static void nomem_compile(const char *text, dc_status expected)
{
    dc_status st;
    counter_reset(0);
    compile_once(text, &st);
    cr_assert_eq(st, expected, "without failures: %s", dc_status_str(st));
    cr_assert_eq(counter.live, 0, "a clean compile leaks %ld blocks", counter.live);
    long total = counter.calls;
    cr_assert_gt(total, 0);
    cr_log_info("compile: %ld allocator calls", total);
    for (long k = 1; k <= total; k++) {
        counter_reset(k);
        compile_once(text, &st);
        cr_expect(st == expected || st == DC_ERR_NOMEM,
                  "allocation %ld of %ld failed: status %s", k, total, dc_status_str(st));
        cr_expect_eq(counter.live, 0, "allocation %ld of %ld failed: %ld blocks leaked", k,
                     total, counter.live);
    }
}

Test(nomem, compile)
{
    nomem_compile(nomem_policy, DC_OK);
}

Test(nomem, compile_with_errors)
{
    /* Errors: the diagnostics allocate too. */
    nomem_compile("SELF:\n    a = {x:int:5..3}\n    b = {y}\nCOMPATIBLE:\n    c = {z:nope}\n"
                  "    where major(5)\n",
                  DC_ERR_POLICY);
}

static dc_facts *facts_of(const char *const (*kv)[2], size_t n, dc_status *st)
{
    dc_facts *f = new_facts(&counting_alloc);
    if (!f) {
        *st = DC_ERR_NOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        dc_error err = { 0 };
        dc_status s = dc_facts_add(f, kv[i][0], kv[i][1], strlen(kv[i][1]), &err);
        if (s != DC_OK) {
            cr_expect_eq(s, DC_ERR_NOMEM, "dc_facts_add: %s", err.message);
            *st = s;
            dc_facts_free(f);
            return NULL;
        }
    }
    *st = DC_OK;
    return f;
}

/* One prepare + check with the counting allocator throughout.  Returns the
 * first failing status, or DC_OK with *verdict set. */
static dc_status prepare_and_check(const dc_policy *pol, dc_verdict *verdict)
{
    dc_status st;
    dc_error err = { 0 };
    dc_prepared *ps = NULL, *pt = NULL;
    dc_result *r = NULL;
    dc_facts *src = facts_of(nomem_source, sizeof nomem_source / sizeof nomem_source[0], &st);
    dc_facts *tgt = NULL;
    if (st != DC_OK)
        goto out;
    tgt = facts_of(nomem_target, sizeof nomem_target / sizeof nomem_target[0], &st);
    if (st != DC_OK)
        goto out;
    if ((st = dc_prepare(pol, src, &ps, &err)) != DC_OK)
        goto out;
    if ((st = dc_prepare(pol, tgt, &pt, &err)) != DC_OK)
        goto out;
    r = new_result(pol);
    if (!r) {
        st = DC_ERR_NOMEM;
        goto out;
    }
    if ((st = dc_check(pol, ps, pt, r)) != DC_OK)
        goto out;
    *verdict = dc_result_verdict(r);
    (void)explanation(r); /* may allocate; NULL on NOMEM */
    dc_binding b = DC_BINDING_INIT;
    for (size_t i = 0; (dc_result_binding_get(r, i, &b) == DC_OK); i++)
        ;
    if ((st = dc_check_facts(pol, tgt, src, r, &err)) != DC_OK)
        goto out;
    (void)explanation(r);
    /* a fleet of the target: its one allocation may fail too */
    const dc_prepared *one[1] = { pt };
    dc_fleet *fl = NULL;
    if ((st = dc_fleet_new(pol, one, 1, &fl, &err)) != DC_OK)
        goto out;
    dc_verdict fv;
    st = dc_check_fleet(pol, ps, fl, &fv, NULL);
    dc_fleet_free(fl);
    if (st != DC_OK)
        goto out;
    cr_expect_eq(fv, *verdict, "the fleet's verdict differs from dc_check's");
out:
    if (st != DC_OK && st != DC_ERR_NOMEM)
        cr_log_error("prepare+check: %s: %s", dc_status_str(st), err.message);
    dc_result_free(r);
    dc_prepared_free(ps);
    dc_prepared_free(pt);
    dc_facts_free(src);
    dc_facts_free(tgt);
    return st;
}

Test(nomem, prepare_and_check)
{
    /* The policy comes from the counting allocator too: prepare and results
     * allocate with the policy's allocator. */
    counter_reset(0);
    dc_policy *pol = NULL;
    cr_assert_eq(dc_policy_compile_ex(&counting_alloc, "nomem.compat", nomem_policy,
                                      strlen(nomem_policy), &pol, NULL, NULL),
                 DC_OK);
    long policy_live = counter.live;

    dc_verdict clean = DC_TARGET_MISMATCH;
    counter_reset(0);
    counter.live = policy_live;
    cr_assert_eq(prepare_and_check(pol, &clean), DC_OK);
    cr_expect_eq(clean, DC_COMPATIBLE);
    cr_assert_eq(counter.live, policy_live, "a clean prepare+check leaks");
    long total = counter.calls;
    cr_log_info("prepare+check: %ld allocator calls", total);
    for (long k = 1; k <= total; k++) {
        counter_reset(k);
        counter.live = policy_live;
        dc_verdict v = DC_TARGET_MISMATCH;
        dc_status st = prepare_and_check(pol, &v);
        cr_expect(st == DC_OK || st == DC_ERR_NOMEM, "allocation %ld of %ld failed: %s", k,
                  total, dc_status_str(st));
        if (st == DC_OK)
            cr_expect_eq(v, clean, "allocation %ld failed: the verdict changed", k);
        cr_expect_eq(counter.live, policy_live,
                     "allocation %ld of %ld failed: %ld blocks leaked", k, total,
                     counter.live - policy_live);
    }
    counter.fail_at = 0;
    dc_policy_free(pol);
    cr_expect_eq(counter.live, 0);
}

Test(nomem, load)
{
    dc_policy *pol = NULL;
    cr_assert_eq(
        dc_policy_compile("nomem.compat", nomem_policy, strlen(nomem_policy), &pol, NULL, NULL),
        DC_OK);
    void *bytes = NULL;
    size_t len = 0;
    dc_error err = { 0 };
    dc_status st = dc_policy_save(pol, &bytes, &len, &err);
    if (st != DC_OK) {
        dc_policy_free(pol);
        cr_skip_test("dc_policy_save: %s", err.message);
    }
    counter_reset(0);
    dc_policy *back = NULL;
    cr_assert_eq(dc_policy_load_ex(&counting_alloc, "nomem.cbc", bytes, len, &back, &err),
                 DC_OK, "%s", err.message);
    dc_policy_free(back);
    cr_assert_eq(counter.live, 0);
    long total = counter.calls;
    cr_log_info("load: %ld allocator calls", total);
    for (long k = 1; k <= total; k++) {
        counter_reset(k);
        back = NULL;
        st = dc_policy_load_ex(&counting_alloc, "nomem.cbc", bytes, len, &back, &err);
        cr_expect(st == DC_OK || st == DC_ERR_NOMEM, "allocation %ld of %ld failed: %s (%s)", k,
                  total, dc_status_str(st), err.message);
        cr_expect((st == DC_OK) == (back != NULL));
        dc_policy_free(back);
        cr_expect_eq(counter.live, 0, "allocation %ld of %ld failed: %ld blocks leaked", k,
                     total, counter.live);
    }
    dc_buffer_free(pol, bytes);
    dc_policy_free(pol);
}

Test(nomem, facts_add)
{
    for (long k = 1; k <= 64; k++) {
        counter_reset(k);
        dc_status st;
        dc_facts *f = facts_of(nomem_target, sizeof nomem_target / sizeof nomem_target[0], &st);
        cr_expect(st == DC_OK || st == DC_ERR_NOMEM);
        dc_facts_free(f);
        cr_expect_eq(counter.live, 0, "allocation %ld failed: %ld blocks leaked", k,
                     counter.live);
        if (counter.failed == 0)
            break;
    }
}
