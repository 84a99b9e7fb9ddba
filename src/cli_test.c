/* cli_test.c -- `compatc test POLICY CASES.yaml`: a vendor's test kit run
 * against a policy (docs/authoring.md, "Test cases").  The cases are read
 * and checked by the library (dc_cases_read); this file checks that every
 * `block:` names a block of the policy, runs the cases, and prints one line
 * per failing case and "N passed, N failed" last.
 *
 * Exit status: 0 all passed, 1 a case failed, 2 the kit is wrong (bad
 * cases file, unreadable facts file, a block the policy lacks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compatc.h"

/* ------------------------------------------------------------ running */

typedef struct outcome {
    dc_expect got;
    int32_t block;
    char what[3000]; /* the reasons, or the error */
} outcome;

static void add_text(char *buf, size_t cap, const char *fmt, const char *a, unsigned n,
                     const char *b)
{
    size_t len = strlen(buf);
    if (len < cap)
        snprintf(buf + len, cap - len, fmt, a, n, b);
}

/* Run case k; DC_ERR_IO or DC_ERR_NOMEM (after reporting) is the kit's
 * fault, other failures to read facts the case's outcome "error". */
static dc_status run_case(dc_cases *cases, size_t k, const dc_policy *pol, dc_result *r,
                          outcome *o)
{
    dc_facts *s = NULL, *t = NULL;
    dc_error err;
    memset(o, 0, sizeof *o);
    o->block = -1;
    dc_status st = dc_cases_source(cases, k, &s, &err);
    if (st == DC_OK)
        st = dc_cases_target(cases, k, &t, &err);
    if (st == DC_OK)
        st = dc_check_facts(pol, s, t, r, &err);
    dc_facts_free(s);
    dc_facts_free(t);
    if (st == DC_ERR_IO || st == DC_ERR_NOMEM) {
        cli_error("%s", err.message);
        return st;
    }
    if (st != DC_OK) {
        o->got = DC_EXPECT_ERROR;
        snprintf(o->what, sizeof o->what, "invalid facts: %s", err.message);
        return DC_OK;
    }
    dc_verdict v = dc_result_verdict(r);
    o->got = v == DC_COMPATIBLE     ? DC_EXPECT_COMPATIBLE
             : v == DC_INCOMPATIBLE ? DC_EXPECT_INCOMPATIBLE
                                    : DC_EXPECT_ERROR;
    o->block = dc_result_block(r);
    if (v == DC_TARGET_MISMATCH)
        strcpy(o->what, "target-mismatch: ");
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason why = DC_REASON_INIT;
        if (dc_result_reason_get(r, i, &why) == DC_OK)
            add_text(o->what, sizeof o->what, i ? "; %s:%u: %s" : "%s:%u: %s", why.file,
                     why.line, why.message);
    }
    return DC_OK;
}

/* The block a case's `block:` names (an index, or a block's name), or -1
 * when the policy has no such block. */
static int32_t block_named(const dc_policy *pol, const char *want)
{
    char *end;
    long k = strtol(want, &end, 10);
    if (*end == '\0' && end != want)
        return k >= 0 && (size_t)k < dc_policy_block_count(pol) ? (int32_t)k : -1;
    for (size_t b = 0; b < dc_policy_block_count(pol); b++) {
        const char *name = dc_policy_block_name(pol, b);
        if (name && !strcmp(name, want))
            return (int32_t)b;
    }
    return -1;
}

static void describe(const dc_policy *pol, dc_expect e, int32_t block, char *buf, size_t cap)
{
    static const char *const names[] = { "compatible", "incompatible", "error" };
    const char *bn = e == DC_EXPECT_COMPATIBLE && block >= 0
                         ? dc_policy_block_name(pol, (size_t)block)
                         : NULL;
    if (e == DC_EXPECT_COMPATIBLE && block >= 0)
        snprintf(buf, cap, "compatible (block %d%s%s)", block, bn ? " " : "", bn ? bn : "");
    else
        snprintf(buf, cap, "%s", names[e]);
}

/* Does the policy file look like a cases file, and the cases file like a
 * policy (the arguments swapped)? */
static bool swapped(const char *policy, const char *cases)
{
    const char *e0 = strrchr(policy, '.'), *e1 = strrchr(cases, '.');
    return e0 && e1 && (!strcmp(e0, ".yaml") || !strcmp(e0, ".yml") || !strcmp(e0, ".json")) &&
           (!strcmp(e1, ".compat") || !strcmp(e1, ".cbc") || !strcmp(e1, ".txt"));
}

/* Every block: names a block of the policy, checked before any case runs;
 * false after reporting the first that does not. */
static bool blocks_exist(const dc_policy *pol, const char *pname, const char *file,
                         const dc_cases *cases)
{
    for (size_t k = 0; k < dc_cases_count(cases); k++) {
        dc_case c = DC_CASE_INIT;
        if (dc_cases_get(cases, k, &c) == DC_OK && c.block && block_named(pol, c.block) < 0) {
            cli_error("%s:%u:%u: case %zu '%s': block '%s' is not a block of %s (%zu blocks)",
                      file, c.block_line, c.block_col, k + 1, c.name, c.block, pname,
                      dc_policy_block_count(pol));
            return false;
        }
    }
    return true;
}

int cmd_test(const cli_opts *o)
{
    if (o->nargs != 2) {
        cli_error("test takes a policy and a cases file");
        fputs("usage: compatc test FILE.compat|FILE.cbc CASES.yaml\n", stderr);
        return 2;
    }
    const char *file = o->args[1];
    if (swapped(o->args[0], file)) {
        cli_error("test takes the policy first, then the cases: compatc test %s %s", file,
                  o->args[0]);
        return 2;
    }
    dc_policy *pol = cli_load_policy(o->args[0]);
    if (!pol)
        return 2;
    int rc = 2;
    dc_cases *cases = NULL;
    dc_result *r = NULL;
    dc_error err;
    if (dc_cases_read(file, &cases, &err) != DC_OK || dc_result_new(pol, &r, &err) != DC_OK) {
        cli_error("%s", err.message);
        goto out;
    }
    if (!blocks_exist(pol, o->args[0], file, cases))
        goto out;
    size_t passed = 0, failed = 0;
    for (size_t k = 0; k < dc_cases_count(cases); k++) {
        dc_case c = DC_CASE_INIT;
        outcome got;
        if (dc_cases_get(cases, k, &c) != DC_OK || run_case(cases, k, pol, r, &got) != DC_OK)
            goto out;
        bool ok = got.got == c.expect && (!c.block || block_named(pol, c.block) == got.block);
        if (ok) {
            passed++;
            continue;
        }
        failed++;
        char want_text[300], got_text[300];
        describe(pol, c.expect, -1, want_text, sizeof want_text);
        if (c.block)
            snprintf(want_text, sizeof want_text, "compatible (block %s)", c.block);
        describe(pol, got.got, got.block, got_text, sizeof got_text);
        printf("FAIL %s: expected %s, got %s%s%s\n", c.name, want_text, got_text,
               got.got != DC_EXPECT_COMPATIBLE ? ": " : "",
               got.got != DC_EXPECT_COMPATIBLE ? got.what : "");
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    rc = failed ? 1 : 0;
out:
    dc_result_free(r);
    dc_cases_free(cases);
    dc_policy_free(pol);
    return rc;
}
