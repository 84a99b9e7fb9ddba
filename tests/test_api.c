/* test_api.c -- the public API as an embedder meets it: ownership, the
 * allocation-free hot path, sharing a policy between threads, batches. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "devcompat.h"
#include "helpers.h"

static const char share[] = "POLICY:\n"
                            "    name = share\n"
                            "SELF:\n"
                            "    device_api = vfio-pci\n"
                            "    mdev_type = i915-GVTg_V5_{n:int:1,2,4,8}\n"
                            "    aggregator = {agg:int:1..8}\n"
                            "    software_version = {tv:semver}\n"
                            "COMPATIBLE same:\n"
                            "    device_api = vfio-pci\n"
                            "    mdev_type = i915-GVTg_V5_{m:int:1,2,4,8}\n"
                            "    aggregator = {m * agg / n}\n"
                            "    software_version = {sv:semver}\n"
                            "    where major(sv) == major(tv) && minor(sv) <= minor(tv)\n"
                            "COMPATIBLE:\n"
                            "    device_api = vfio-pci\n"
                            "    legacy = {l:bool:true}\n";

/* An allocator that counts, and can fail the n-th allocation. */
typedef struct counter {
    long allocs, frees, fail_at;
} counter;

static void *count_realloc(void *ud, void *ptr, size_t size)
{
    counter *c = ud;
    if (c->fail_at && c->allocs + 1 == c->fail_at) {
        c->allocs++;
        return NULL;
    }
    c->allocs++;
    if (ptr)
        c->frees++;
    return realloc(ptr, size ? size : 1);
}

static void count_free(void *ud, void *ptr)
{
    counter *c = ud;
    if (ptr)
        c->frees++;
    free(ptr);
}

static dc_facts *facts(const char *text)
{
    dc_facts *f = NULL;
    dc_error err;
    cr_assert_eq(dc_facts_parse_text("t", text, strlen(text), &f, &err), DC_OK, "%s",
                 err.message);
    return f;
}

static dc_policy *compile(const dc_alloc *a, const char *text)
{
    dc_policy *p = NULL;
    dc_diags *d = NULL;
    dc_error err;
    dc_status st = dc_policy_compile_ex(a, "share.compat", text, strlen(text), &p, &d, &err);
    cr_assert_eq(st, DC_OK, "%s", err.message);
    dc_diags_free(d);
    return p;
}

static dc_prepared *prepare(const dc_policy *p, const char *text)
{
    dc_facts *f = facts(text);
    dc_prepared *d = NULL;
    cr_assert_eq(dc_prepare(p, f, &d, NULL), DC_OK);
    dc_facts_free(f);
    return d;
}

#define TGT                                                                                    \
    "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_4\naggregator=2\nsoftware_version=1.4.0\n"
#define SRC_OK                                                                                 \
    "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_2\naggregator=1\nsoftware_version=1.3.9\n"
#define SRC_NO                                                                                 \
    "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_1\naggregator=1\nsoftware_version=1.3.9\n"

Test(api, check_allocates_nothing)
{
    counter c = { 0, 0, 0 };
    dc_alloc a = { count_realloc, count_free, &c };
    dc_policy *p = compile(&a, share);
    dc_prepared *t = prepare(p, TGT), *ok = prepare(p, SRC_OK), *no = prepare(p, SRC_NO);
    dc_result *r = new_result(p);
    cr_assert_not_null(r);
    long before = c.allocs, freed = c.frees;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(dc_check(p, ok, t, r), DC_OK);
        cr_assert_eq(dc_result_verdict(r), DC_COMPATIBLE);
        cr_assert_eq(dc_check(p, no, t, r), DC_OK);
        cr_assert_eq(dc_result_verdict(r), DC_INCOMPATIBLE);
    }
    cr_assert_eq(c.allocs, before, "dc_check allocated %ld times", c.allocs - before);
    cr_assert_eq(c.frees, freed, "dc_check freed %ld times", c.frees - freed);
    /* reading the reasons may allocate (lazily rendered text) */
    dc_reason why = DC_REASON_INIT;
    cr_assert_eq(dc_result_reason_get(r, 0, &why), DC_OK);
    cr_assert_str_eq(why.field, "aggregator");
    dc_result_free(r);
    dc_prepared_free(t);
    dc_prepared_free(ok);
    dc_prepared_free(no);
    dc_policy_free(p);
    cr_assert_eq(c.allocs - c.frees, 0, "leak: %ld allocations not freed", c.allocs - c.frees);
}

/* Targets for the batch tests: compatible, compatible through another
 * share, not GVT-g, the wrong share, empty, a pre-release (fleets copy its
 * text), an older minor. */
static const char *const batch_targets[] = {
    TGT,
    "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_8\naggregator=4\nsoftware_version=1.3.0\n",
    "device_api=vfio-ccw\n",
    "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_8\naggregator=3\nsoftware_version=1.3.0\n",
    "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_2\naggregator=1\nsoftware_version=1.2.0\n",
    "",
    "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_2\naggregator=1\nsoftware_version=1.2.0-rc.1\n",
};

Test(api, batch_allocates_nothing_and_agrees)
{
    counter c = { 0, 0, 0 };
    dc_alloc a = { count_realloc, count_free, &c };
    dc_policy *p = compile(&a, share);
    enum { N = 5 };
    dc_prepared *t[N];
    for (int i = 0; i < N; i++)
        t[i] = prepare(p, batch_targets[i]);
    dc_prepared *s = prepare(p, SRC_OK);
    dc_verdict v[N];
    int32_t b[N];
    long before = c.allocs;
    cr_assert_eq(dc_check_batch(p, s, (const dc_prepared *const *)t, N, v, b), DC_OK);
    cr_assert_eq(c.allocs, before);
    dc_result *r = new_result(p);
    for (int i = 0; i < N; i++) {
        dc_check(p, s, t[i], r);
        cr_assert_eq(v[i], dc_result_verdict(r), "target %d", i);
        cr_assert_eq(b[i], dc_result_block(r), "target %d", i);
    }
    cr_assert_eq(v[0], DC_COMPATIBLE);
    cr_assert_eq(v[1], DC_COMPATIBLE);
    cr_assert_eq(v[2], DC_TARGET_MISMATCH);
    cr_assert_eq(v[3], DC_INCOMPATIBLE);
    cr_assert_eq(v[4], DC_INCOMPATIBLE);
    dc_result_free(r);
    for (int i = 0; i < N; i++)
        dc_prepared_free(t[i]);
    dc_prepared_free(s);
    dc_policy_free(p);
    cr_assert_eq(c.allocs - c.frees, 0);
}

Test(api, fleet_agrees_with_batch_and_allocates_nothing_to_check)
{
    counter c = { 0, 0, 0 };
    dc_alloc a = { count_realloc, count_free, &c };
    dc_policy *p = compile(&a, share);
    enum { N = sizeof batch_targets / sizeof batch_targets[0] };
    dc_prepared *t[N];
    for (int i = 0; i < N; i++)
        t[i] = prepare(p, batch_targets[i]);
    dc_prepared *s = prepare(p, SRC_OK);
    dc_fleet *f = NULL;
    dc_error err;
    cr_assert_eq(dc_fleet_new(p, (const dc_prepared *const *)t, N, &f, &err), DC_OK, "%s",
                 err.message);
    cr_assert_eq(dc_fleet_count(f), N);
    /* the fleet holds copies: its targets' text may be anywhere */
    dc_verdict v[N], fv[N];
    int32_t b[N], fb[N];
    cr_assert_eq(dc_check_batch(p, s, (const dc_prepared *const *)t, N, v, b), DC_OK);
    long before = c.allocs;
    cr_assert_eq(dc_check_fleet(p, s, f, fv, fb), DC_OK);
    cr_assert_eq(c.allocs, before, "dc_check_fleet allocated");
    for (int i = 0; i < N; i++) {
        cr_assert_eq(fv[i], v[i], "target %d", i);
        cr_assert_eq(fb[i], b[i], "target %d", i);
    }
    cr_assert_eq(fv[0], DC_COMPATIBLE);
    cr_assert_eq(fv[2], DC_TARGET_MISMATCH);
    cr_assert_eq(fv[3], DC_INCOMPATIBLE);
    cr_assert_eq(fv[4], DC_INCOMPATIBLE);
    cr_assert_eq(fv[5], DC_TARGET_MISMATCH);
    /* blocks may be NULL */
    cr_assert_eq(dc_check_fleet(p, s, f, fv, NULL), DC_OK);
    cr_assert_eq(fv[1], v[1]);
    /* misuse */
    dc_policy *other = compile(&a, share);
    dc_prepared *os = prepare(other, SRC_OK);
    dc_fleet *g = NULL;
    cr_assert_eq(dc_check_fleet(other, os, f, fv, fb), DC_ERR_INVALID);
    cr_assert_eq(dc_check_fleet(p, os, f, fv, fb), DC_ERR_INVALID);
    cr_assert_eq(dc_check_fleet(p, s, NULL, fv, fb), DC_ERR_INVALID);
    cr_assert_eq(dc_check_fleet(p, s, f, NULL, fb), DC_ERR_INVALID);
    const dc_prepared *mixed[2] = { t[0], os };
    cr_assert_eq(dc_fleet_new(p, mixed, 2, &g, &err), DC_ERR_INVALID);
    cr_assert_null(g);
    cr_assert(strstr(err.message, "target 1") != NULL, "%s", err.message);
    const dc_prepared *hole[2] = { t[0], NULL };
    cr_assert_eq(dc_fleet_new(p, hole, 2, &g, &err), DC_ERR_INVALID);
    cr_assert_eq(dc_fleet_new(p, NULL, 1, &g, &err), DC_ERR_INVALID);
    /* an empty fleet */
    cr_assert_eq(dc_fleet_new(p, NULL, 0, &g, &err), DC_OK);
    cr_assert_eq(dc_fleet_count(g), 0);
    cr_assert_eq(dc_check_fleet(p, s, g, NULL, NULL), DC_OK);
    dc_fleet_free(g);
    dc_fleet_free(NULL);
    cr_assert_eq(dc_fleet_count(NULL), 0);
    dc_fleet_free(f);
    dc_prepared_free(os);
    dc_policy_free(other);
    for (int i = 0; i < N; i++)
        dc_prepared_free(t[i]);
    dc_prepared_free(s);
    dc_policy_free(p);
    cr_assert_eq(c.allocs - c.frees, 0);
}

typedef struct job {
    const dc_policy *p;
    const dc_prepared *src[2], *tgt;
    int mismatches;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    dc_result *r = new_result(j->p);
    for (int i = 0; i < 20000; i++) {
        int k = i & 1;
        dc_check(j->p, j->src[k], j->tgt, r);
        dc_verdict want = k ? DC_INCOMPATIBLE : DC_COMPATIBLE;
        if (dc_result_verdict(r) != want)
            j->mismatches++;
        if (k == 0) {
            dc_binding b = DC_BINDING_INIT;
            if (dc_result_binding_get(r, 0, &b) != DC_OK || strcmp(b.name, "n") != 0 ||
                b.int_value != 4)
                j->mismatches++;
        }
    }
    dc_result_free(r);
    return NULL;
}

Test(api, one_policy_many_threads)
{
    dc_policy *p = compile(NULL, share);
    dc_prepared *t = prepare(p, TGT), *ok = prepare(p, SRC_OK), *no = prepare(p, SRC_NO);
    enum { T = 4 };
    pthread_t th[T];
    job jobs[T];
    for (int i = 0; i < T; i++) {
        jobs[i] = (job){ p, { ok, no }, t, 0 };
        cr_assert_eq(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(jobs[i].mismatches, 0, "thread %d saw %d wrong verdicts", i,
                     jobs[i].mismatches);
    }
    dc_prepared_free(t);
    dc_prepared_free(ok);
    dc_prepared_free(no);
    dc_policy_free(p);
}

Test(api, results_and_bindings)
{
    dc_policy *p = compile(NULL, share);
    cr_assert_str_eq(dc_policy_name(p), "share");
    cr_assert_eq(dc_policy_block_count(p), 2);
    cr_assert_str_eq(dc_policy_block_name(p, 0), "same");
    cr_assert_null(dc_policy_block_name(p, 1));
    cr_assert_null(dc_policy_block_name(p, 2));
    dc_facts *s = facts(SRC_OK), *t = facts(TGT);
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check_facts(p, s, t, r, NULL), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_COMPATIBLE);
    cr_assert_eq(dc_result_block(r), 0);
    cr_assert_str_eq(dc_result_block_name(r), "same");
    cr_assert_eq(dc_result_binding_count(r), 5);
    const char *names[] = { "n", "agg", "tv", "m", "sv" };
    const char *texts[] = { "4", "2", "1.4.0", "2", "1.3.9" };
    for (size_t i = 0; i < 5; i++) {
        dc_binding b = DC_BINDING_INIT;
        cr_assert_eq(dc_result_binding_get(r, i, &b), DC_OK);
        cr_assert_str_eq(b.name, names[i]);
        cr_assert_str_eq(b.text, texts[i]);
    }
    dc_binding b = DC_BINDING_INIT;
    cr_assert_eq(dc_result_binding_get(r, 5, &b), DC_ERR_INVALID);
    cr_assert_eq(dc_result_reason_count(r), 0);
    dc_result_free(r);
    dc_facts_free(s);
    dc_facts_free(t);
    dc_policy_free(p);
}

Test(api, reasons_and_explain)
{
    dc_policy *p = compile(NULL, share);
    dc_facts *s = facts(SRC_NO), *t = facts(TGT);
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check_facts(p, s, t, r, NULL), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_INCOMPATIBLE);
    cr_assert_eq(dc_result_block(r), -1);
    cr_assert_eq(dc_result_reason_count(r), 2);
    dc_reason why = DC_REASON_INIT;
    cr_assert_eq(dc_result_reason_get(r, 0, &why), DC_OK);
    cr_assert_eq(why.block, 0);
    cr_assert_str_eq(why.block_name, "same");
    cr_assert_str_eq(why.file, "share.compat");
    cr_assert_eq(why.line, 11);
    cr_assert_str_eq(why.field, "aggregator");
    cr_assert_str_eq(why.actual, "1");
    cr_assert(strstr(why.message, "inexact division 2/4"), "%s", why.message);
    cr_assert_eq(dc_result_reason_get(r, 1, &why), DC_OK);
    cr_assert_eq(why.block, 1);
    cr_assert_null(why.block_name);
    cr_assert_eq(why.line, 16);
    cr_assert_str_eq(why.field, "legacy");
    cr_assert_null(why.actual);
    const char *e = explanation(r);
    cr_assert_not_null(e);
    cr_assert(strstr(e, "share.compat:11: block 0 (same): "), "%s", e);
    cr_assert(strstr(e, "share.compat:16: block 1: legacy is absent"), "%s", e);
    /* the shape docs/embedding.md shows: one line per reason, each ending
     * in a newline and starting with its file, line and block */
    const char *nl = strchr(e, '\n');
    cr_assert(nl && !strncmp(e, "share.compat:11: block 0 (same): ", 33), "%s", e);
    cr_assert(!strncmp(nl + 1, "share.compat:16: block 1: ", 26), "%s", e);
    cr_assert(strchr(nl + 1, '\n') && strchr(nl + 1, '\n')[1] == '\0', "%s", e);
    /* docs/embedding.md's example, the values involved included */
    cr_assert_str_eq(e, "share.compat:11: block 0 (same): aggregator: inexact division 2/4 in "
                        "{m * agg / n} (m = 1; agg = 2; n = 4)\n"
                        "share.compat:16: block 1: legacy is absent; the rule wants = "
                        "{l:bool:true}\n");
    cr_assert_eq(dc_result_reason_get(r, 0, &why), DC_OK);
    cr_assert_eq(why.nvalues, 3);
    cr_assert_str_eq(why.values[0].name, "m");
    cr_assert_eq(why.values[0].type, DC_TYPE_INT);
    cr_assert_eq(why.values[0].int_value, 1);
    cr_assert_null(why.missing);
    dc_result_free(r);
    dc_facts_free(s);
    dc_facts_free(t);
    dc_policy_free(p);
}

Test(api, target_mismatch_is_a_verdict)
{
    dc_policy *p = compile(NULL, share);
    dc_facts *s = facts(SRC_OK), *t = facts("device_api=vfio-ccw\n");
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check_facts(p, s, t, r, NULL), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_TARGET_MISMATCH);
    cr_assert_eq(dc_result_reason_count(r), 1);
    dc_reason why = DC_REASON_INIT;
    cr_assert_eq(dc_result_reason_get(r, 0, &why), DC_OK);
    cr_assert_eq(why.block, -1);
    cr_assert_eq(why.line, 4);
    cr_assert_str_eq(why.field, "device_api");
    cr_assert_str_eq(why.expected, "vfio-pci");
    cr_assert_str_eq(why.actual, "vfio-ccw");
    dc_result_free(r);
    dc_facts_free(s);
    dc_facts_free(t);
    dc_policy_free(p);
}

Test(api, misuse_is_an_error_not_a_crash)
{
    dc_policy *p = compile(NULL, share), *q = compile(NULL, share);
    dc_prepared *t = prepare(p, TGT), *other = prepare(q, TGT);
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check(NULL, t, t, r), DC_ERR_INVALID);
    cr_assert_eq(dc_check(p, NULL, t, r), DC_ERR_INVALID);
    cr_assert_eq(dc_check(p, t, t, NULL), DC_ERR_INVALID);
    cr_assert_eq(dc_check(p, other, t, r), DC_ERR_INVALID, "prepared for another policy");
    cr_assert_eq(dc_check(q, t, t, r), DC_ERR_INVALID, "result made for another policy");
    /* a refilled device whose text did not read holds no policy, nor device */
    dc_prepared *unread = NULL;
    cr_assert_eq(dc_prepared_new(p, &unread, NULL), DC_OK);
    cr_assert_neq(dc_prepared_parse_text(unread, "bad.kv", "=\n", 2, NULL), DC_OK);
    cr_assert_eq(dc_check(NULL, unread, unread, r), DC_ERR_INVALID);
    cr_assert_eq(dc_check(p, unread, unread, r), DC_ERR_INVALID);
    cr_assert_eq(dc_check(p, t, unread, r), DC_ERR_INVALID);
    dc_prepared_free(unread);
    dc_error err;
    dc_policy *none = (dc_policy *)1;
    cr_assert_eq(dc_policy_compile(NULL, "x", 1, &none, NULL, &err), DC_ERR_INVALID);
    cr_assert_null(none);
    dc_prepared *none_prepared = (dc_prepared *)1;
    cr_assert_eq(dc_prepare(p, NULL, &none_prepared, &err), DC_ERR_INVALID);
    cr_assert_null(none_prepared);
    cr_assert_null(new_result(NULL));
    dc_policy_free(NULL);
    dc_facts_free(NULL);
    dc_prepared_free(NULL);
    dc_result_free(NULL);
    dc_diags_free(NULL);
    dc_result_free(r);
    dc_prepared_free(t);
    dc_prepared_free(other);
    dc_policy_free(q);
    dc_policy_free(p);
}

/* The version macros, dc_version() and configure's version agree. */
Test(api, version_macros)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", DC_VERSION_MAJOR, DC_VERSION_MINOR,
             DC_VERSION_PATCH);
    cr_assert_str_eq(dc_version(), want);
    cr_assert_str_eq(PACKAGE_VERSION, want);
    cr_assert_eq(DC_VERSION_NUMBER,
                 DC_VERSION_MAJOR * 10000 + DC_VERSION_MINOR * 100 + DC_VERSION_PATCH);
}

/* Every fallible maker returns a dc_status and fills the error. */
Test(api, makers_return_a_status)
{
    dc_error err;
    dc_result *r = (dc_result *)1;
    cr_assert_eq(dc_result_new(NULL, &r, &err), DC_ERR_INVALID);
    cr_assert_eq(err.status, DC_ERR_INVALID);
    cr_assert(strstr(err.message, "policy is NULL"), "%s", err.message);
    cr_assert_null(r, "*out is NULL on failure");
    dc_facts *f = NULL;
    cr_assert_eq(dc_facts_new(&f, &err), DC_OK);
    cr_assert_eq(dc_facts_count(f), 0);
    cr_assert_eq(dc_facts_add(f, "a", "1", 1, &err), DC_OK);
    cr_assert_str_eq(dc_facts_lookup(f, "a"), "1");
    cr_assert_null(dc_facts_lookup(f, "b"));
    dc_facts_free(f);
    cr_assert_eq(dc_facts_new(NULL, &err), DC_ERR_INVALID);

    counter c = { .fail_at = 1 };
    dc_alloc a = { count_realloc, count_free, &c };
    dc_policy *p = compile(NULL, share);
    cr_assert_eq(dc_facts_new_ex(&a, &f, &err), DC_ERR_NOMEM);
    cr_assert_null(f);
    cr_assert_eq(err.status, DC_ERR_NOMEM);
    dc_policy_free(p);
}

/* A device made with dc_facts_new and given nothing is a device with no
 * facts, for a policy that reads records too: no record, so any() is false
 * and all() true. */
Test(api, empty_facts_have_no_records)
{
    dc_policy *p = compile(NULL, "POLICY:\n"
                                 "    name = records\n"
                                 "SELF:\n"
                                 "    where all(self.q, x, has(x.id))\n"
                                 "COMPATIBLE none:\n"
                                 "    where !any(source.q, x, x.id == \"z\")\n"
                                 "    where all(source.q, y, has(y.n))\n");
    dc_facts *e = NULL, *t = facts("q.0.id = a\nq.0.n = 1\n");
    cr_assert_eq(dc_facts_new(&e, NULL), DC_OK);
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check_facts(p, e, e, r, NULL), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_COMPATIBLE);
    cr_assert_eq(dc_result_block(r), 0);
    cr_assert_eq(dc_check_facts(p, t, e, r, NULL), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_COMPATIBLE);
    cr_assert_eq(dc_check_facts(p, t, t, r, NULL), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_COMPATIBLE);
    dc_result_free(r);
    dc_facts_free(e);
    dc_facts_free(t);
    dc_policy_free(p);
}

/* dc_error's reserved room is zeroed by every failing call. */
Test(api, error_reserved_is_zeroed)
{
    dc_error err;
    memset(&err, 0xa5, sizeof err);
    dc_facts *f = NULL;
    cr_assert_eq(dc_facts_parse_text("t", "=", 1, &f, &err), DC_ERR_FACTS);
    for (size_t i = 0; i < sizeof err.reserved / sizeof err.reserved[0]; i++)
        cr_assert_eq(err.reserved[i].u, 0, "reserved[%zu]", i);
}

/* A getter fills a caller's struct only when its `size` is set, and a
 * struct larger than this version's (a later header's) keeps its tail. */
Test(api, getters_check_the_size_field)
{
    dc_policy *p = compile(NULL, share);
    dc_facts *s = facts(SRC_NO), *t = facts(TGT);
    dc_result *r = NULL;
    cr_assert_eq(dc_result_new(p, &r, NULL), DC_OK);
    cr_assert_eq(dc_check_facts(p, s, t, r, NULL), DC_OK);
    cr_assert_eq(dc_result_reason_count(r), 2);

    dc_reason unset;
    memset(&unset, 0, sizeof unset);
    cr_assert_eq(dc_result_reason_get(r, 0, &unset), DC_ERR_INVALID);
    cr_assert_null(unset.message, "nothing filled without size");
    cr_assert_eq(dc_result_reason_get(r, 0, NULL), DC_ERR_INVALID);

    struct {
        dc_reason v1;
        char later[16];
    } big;
    memset(&big, 0x5a, sizeof big);
    big.v1.size = sizeof big;
    cr_assert_eq(dc_result_reason_get(r, 0, &big.v1), DC_OK);
    cr_assert_eq(big.v1.size, sizeof big, "size kept");
    cr_assert_str_eq(big.v1.field, "aggregator");
    for (size_t i = 0; i < sizeof big.later; i++)
        cr_assert_eq(big.later[i], 0x5a, "bytes past this version's struct untouched");

    dc_reason why = DC_REASON_INIT;
    cr_assert_eq(dc_result_reason_get(r, 2, &why), DC_ERR_INVALID, "out of range");
    const char *text = NULL;
    cr_assert_eq(dc_result_explain(r, &text), DC_OK);
    cr_assert(strstr(text, "share.compat:11: block 0 (same): "), "%s", text);
    cr_assert_eq(dc_result_explain(r, NULL), DC_ERR_INVALID);

    dc_diags *d = NULL;
    dc_policy *bad = NULL;
    const char *src = "SELF:\n    a = 1\nCOMPATIBLE:\n    b = {x:int}\n";
    dc_policy_compile("w.compat", src, strlen(src), &bad, &d, NULL);
    cr_assert_gt(dc_diags_count(d), 0);
    dc_diag g;
    memset(&g, 0, sizeof g);
    cr_assert_eq(dc_diags_get(d, 0, &g), DC_ERR_INVALID);
    g = (dc_diag)DC_DIAG_INIT;
    cr_assert_eq(dc_diags_get(d, 0, &g), DC_OK);
    cr_assert_str_eq(g.file, "w.compat");
    cr_assert_eq(g.size, sizeof g);
    cr_assert_eq(dc_diags_get(d, dc_diags_count(d), &g), DC_ERR_INVALID);
    cr_assert_eq(dc_diags_error_count(d) + dc_diags_warning_count(d), dc_diags_count(d));
    dc_diags_free(d);
    dc_policy_free(bad);

    dc_result_free(r);
    dc_facts_free(s);
    dc_facts_free(t);
    dc_policy_free(p);
}

/* What compatc prints comes from the library. */
Test(api, render_results_as_text_and_json)
{
    dc_policy *p = compile(NULL, share);
    dc_facts *s = facts(SRC_OK), *t = facts(TGT), *no = facts(SRC_NO);
    dc_facts *ccw = facts("device_api=vfio-ccw\n");
    dc_result *r = new_result(p);
    const char *text = NULL;
    cr_assert_eq(dc_check_facts(p, s, t, r, NULL), DC_OK);
    cr_assert_eq(dc_result_render(r, DC_FORMAT_TEXT, 0, NULL, &text), DC_OK);
    cr_assert_str_eq(text, "compatible (block 0 same)\n");
    cr_assert_eq(dc_result_render(r, DC_FORMAT_TEXT, DC_RENDER_EXPLAIN, NULL, &text), DC_OK);
    cr_assert_str_eq(text, "compatible (block 0 same)\n  n = 4\n  agg = 2\n  tv = 1.4.0\n"
                           "  m = 2\n  sv = 1.3.9\n");
    cr_assert_eq(dc_result_render(r, DC_FORMAT_JSON, 0, NULL, &text), DC_OK);
    cr_assert_str_eq(text, "{\"compatible\": true, \"policy\": \"share\", \"block\": 0, "
                           "\"block_name\": \"same\", \"bindings\": {\"n\": 4, \"agg\": 2, "
                           "\"tv\": \"1.4.0\", \"m\": 2, \"sv\": \"1.3.9\"}, \"reasons\": []}");

    cr_assert_eq(dc_check_facts(p, no, t, r, NULL), DC_OK);
    const char *explained = NULL;
    cr_assert_eq(dc_result_explain(r, &explained), DC_OK);
    cr_assert_eq(dc_result_render(r, DC_FORMAT_TEXT, DC_RENDER_EXPLAIN, NULL, &text), DC_OK);
    cr_assert(!strncmp(text, "incompatible\n", 13), "%s", text);
    cr_assert_str_eq(text + 13, explained);
    cr_assert_eq(dc_result_render(r, DC_FORMAT_JSON, 0, NULL, &text), DC_OK);
    cr_assert(!strncmp(text,
                       "{\"compatible\": false, \"policy\": \"share\", \"block\": null, "
                       "\"block_name\": null, \"bindings\": {}, \"reasons\": [{\"block\": 0, "
                       "\"block_name\": \"same\", \"file\": \"share.compat\", \"line\": 11, "
                       "\"field\": \"aggregator\"",
                       190),
              "%s", text);

    cr_assert_eq(dc_check_facts(p, s, ccw, r, NULL), DC_OK);
    cr_assert_eq(dc_result_render(r, DC_FORMAT_TEXT, 0, "t.kv", &text), DC_OK);
    cr_assert(!strncmp(text,
                       "target-mismatch: t.kv is not a target of policy share: "
                       "share.compat:4: ",
                       71),
              "%s", text);
    cr_assert_eq(dc_result_render(r, DC_FORMAT_JSON, 0, "t.kv", &text), DC_OK);
    cr_assert(!strncmp(text, "{\"error\": \"target-mismatch\", \"message\": \"t.kv is not", 52),
              "%s", text);
    cr_assert_eq(dc_result_render(r, (dc_format)7, 0, NULL, &text), DC_ERR_INVALID);
    dc_result_free(r);
    dc_facts_free(s);
    dc_facts_free(t);
    dc_facts_free(no);
    dc_facts_free(ccw);
    dc_policy_free(p);
}

/* A hex binding is its canonical text in JSON, not a number. */
Test(api, render_hex_binding_as_text)
{
    const char *src = "SELF:\n    id = {d:hex}\nCOMPATIBLE:\n    id = {d}\n";
    dc_policy *p = compile(NULL, src);
    dc_facts *f = facts("id=591D\n");
    dc_result *r = new_result(p);
    const char *text = NULL;
    cr_assert_eq(dc_check_facts(p, f, f, r, NULL), DC_OK);
    cr_assert_eq(dc_result_render(r, DC_FORMAT_JSON, 0, NULL, &text), DC_OK);
    cr_assert(strstr(text, "\"bindings\": {\"d\": \"591d\"}"), "%s", text);
    dc_result_free(r);
    dc_facts_free(f);
    dc_policy_free(p);
}

/* Names with control characters or bytes that are not UTF-8: one line in
 * text, recoverable in JSON. */
Test(api, render_escapes_bytes)
{
    char buf[64];
    cr_assert_eq(dc_json_string("a\"b\\\n\x01\xff\xc3\xa9", buf, sizeof buf), 23);
    cr_assert_str_eq(buf, "\"a\\\"b\\\\\\n\\u0001\\\\xFF\xc3\xa9\"");
    cr_assert_eq(dc_json_string(NULL, buf, sizeof buf), 4);
    cr_assert_str_eq(buf, "null");
    cr_assert_eq(dc_json_string("abcdef", buf, 4), 8, "the whole length");
    cr_assert_str_eq(buf, "\"ab");

    const char *text = "SELF:\n    a = 1\nCOMPATIBLE:\n    b = {x:int}\n";
    dc_diags *d = NULL;
    dc_policy *pol = NULL;
    dc_policy_compile("bad\nname\xff.compat", text, strlen(text), &pol, &d, NULL);
    dc_diag g = DC_DIAG_INIT;
    cr_assert_eq(dc_diags_get(d, 0, &g), DC_OK);
    size_t n = dc_diag_format(&g, DC_FORMAT_TEXT, NULL, 0);
    char *out = malloc(n + 1);
    cr_assert_eq(dc_diag_format(&g, DC_FORMAT_TEXT, out, n + 1), n);
    cr_assert(!strncmp(out, "bad\\x0Aname\\xFF.compat:", 23), "%s", out);
    free(out);
    n = dc_diag_format(&g, DC_FORMAT_JSON, NULL, 0);
    out = malloc(n + 1);
    dc_diag_format(&g, DC_FORMAT_JSON, out, n + 1);
    const char *want = "{\"file\": \"bad\\nname\\\\xFF.compat\", \"line\": ";
    cr_assert(!strncmp(out, want, strlen(want)), "%s", out);
    free(out);
    dc_diags_free(d);
    dc_policy_free(pol);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* A directory of policies: the one whose SELF the target satisfies; a
 * broken file is kept aside, named when no policy is chosen. */
Test(api, policy_set)
{
    char dir[] = "/tmp/dc-pset.XXXXXX", path[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.compat", dir);
    write_file(path, "SELF:\n    kind = a\nCOMPATIBLE:\n    kind = a\n");
    snprintf(path, sizeof path, "%s/b.compat", dir);
    write_file(path, "SELF:\n    kind = b\nCOMPATIBLE:\n    kind = b\n");
    snprintf(path, sizeof path, "%s/b2.compat", dir);
    write_file(path, "SELF:\n    kind = b\nCOMPATIBLE:\n    kind = b\n");
    snprintf(path, sizeof path, "%s/broken.compat", dir);
    write_file(path, "SELF:\n    kind = {x:nope}\n");
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    write_file(path, "not a policy\n");

    dc_policyset *set = NULL;
    dc_error err;
    cr_assert_eq(dc_policyset_read_dir(dir, &set, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_policyset_count(set), 4);
    cr_assert_eq(dc_policyset_broken_count(set), 1);
    snprintf(path, sizeof path, "%s/broken.compat", dir);
    cr_assert_str_eq(dc_policyset_path(set, 3), path);
    cr_assert_null(dc_policyset_policy(set, 3));
    cr_assert_eq(dc_policyset_status(set, 3), DC_ERR_POLICY);
    cr_assert(strstr(dc_policyset_message(set, 3), "broken.compat"));
    cr_assert_gt(dc_diags_count(dc_policyset_diags(set, 3)), 0);
    cr_assert_eq(dc_policyset_status(set, 0), DC_OK);
    cr_assert_null(dc_policyset_message(set, 0));

    dc_facts *a = facts("kind=a\n"), *b = facts("kind=b\n"), *c = facts("kind=c\n");
    size_t k = 99;
    cr_assert_eq(dc_policyset_select(set, a, &k, &err), DC_OK, "%s", err.message);
    cr_assert_eq(k, 0, "a.compat chosen, the broken file notwithstanding");
    cr_assert_eq(dc_policyset_select(set, b, &k, &err), DC_ERR_AMBIGUOUS_POLICY);
    cr_assert(strstr(err.message, "b.compat") && strstr(err.message, "b2.compat"), "%s",
              err.message);
    cr_assert_eq(dc_policyset_select(set, c, &k, &err), DC_ERR_NO_POLICY);
    cr_assert(strstr(err.message, "1 could not be read") && strstr(err.message, path), "%s",
              err.message);
    dc_facts_free(a);
    dc_facts_free(b);
    dc_facts_free(c);
    dc_policyset_free(set);

    cr_assert_eq(dc_policyset_read_dir("/nonexistent/dir", &set, &err), DC_ERR_IO);
    cr_assert_null(set);
    cr_assert(strstr(err.message, "/nonexistent/dir"), "%s", err.message);
    const char *names[] = { "a.compat", "b.compat", "b2.compat", "broken.compat", "notes.txt" };
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* A .cbc-named file without the magic is not compiled as source. */
Test(api, cbc_name_without_magic)
{
    char path[] = "/tmp/dc-fake.XXXXXX.cbc";
    int fd = mkstemps(path, 4);
    cr_assert_geq(fd, 0);
    const char *text = "SELF:\n    a = 1\nCOMPATIBLE:\n    a = 1\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    dc_policy *p = NULL;
    dc_error err;
    cr_assert_eq(dc_policy_read_file(path, &p, NULL, &err), DC_ERR_BYTECODE);
    cr_assert(strstr(err.message, "not a compiled policy (bad magic)"), "%s", err.message);
    unlink(path);
}

Test(api, status_names)
{
    cr_assert_str_eq(dc_status_str(DC_OK), "ok");
    cr_assert_str_eq(dc_status_str(DC_ERR_TARGET_MISMATCH), "target-mismatch");
    cr_assert_str_eq(dc_status_str(DC_ERR_NO_POLICY), "no-policy");
    cr_assert_str_eq(dc_status_str(DC_ERR_AMBIGUOUS_POLICY), "ambiguous-policy");
    cr_assert_str_eq(dc_status_str((dc_status)999), "unknown");
    cr_assert_str_eq(dc_version(), PACKAGE_VERSION);
}

Test(api, compile_failure_gives_diagnostics_and_no_policy)
{
    const char *text = "SELF:\n    a = {x:int:9..1}\n";
    dc_policy *p = NULL;
    dc_diags *d = NULL;
    dc_error err;
    cr_assert_eq(dc_policy_compile("bad.compat", text, strlen(text), &p, &d, &err),
                 DC_ERR_POLICY);
    cr_assert_null(p);
    cr_assert_eq(dc_diags_error_count(d), 2);
    const dc_diag *dg = nth_diag(d, 0);
    cr_assert_str_eq(dg->file, "bad.compat");
    cr_assert_eq(dg->line, 2);
    cr_assert_eq(dg->col, 16);
    cr_assert_eq(dg->end_col, 20);
    cr_assert_str_eq(dg->source_line, "    a = {x:int:9..1}");
    cr_assert(strstr(nth_diag(d, 1)->message, "no COMPATIBLE block"));
    cr_assert_str_eq(err.message, "bad.compat: policy has 2 errors");
    cr_assert_null(nth_diag(d, 2));
    dc_diags_free(d);
}

/* SELF binds one variable per field; each binding must be its fact. */
static void expect_self_bindings(const dc_policy *p, const char *text, size_t n,
                                 const char *const *values)
{
    dc_prepared *d = prepare(p, text);
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check(p, d, d, r), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_COMPATIBLE);
    cr_assert_eq(dc_result_binding_count(r), n);
    for (size_t i = 0; i < n; i++) {
        dc_binding b = DC_BINDING_INIT;
        cr_assert_eq(dc_result_binding_get(r, i, &b), DC_OK);
        cr_assert_str_eq(b.text, values[i], "binding %zu", i);
    }
    dc_result_free(r);
    dc_prepared_free(d);
}

/* The policy compiled, and saved and loaded back. */
static void compiled_and_loaded(const char *text, dc_policy **compiled, dc_policy **loaded)
{
    *compiled = compile(NULL, text);
    void *data;
    size_t len;
    dc_error err;
    cr_assert_eq(dc_policy_save(*compiled, &data, &len, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_policy_load("p.cbc", data, len, loaded, &err), DC_OK, "%s", err.message);
    dc_buffer_free(*compiled, data);
}

Test(api, prepare_finds_each_field_by_name)
{
    /* names that are prefixes of others, in no order; the facts have more */
    const char *text =
        "SELF:\n    b = {v0:string}\n    a.b = {v1:string}\n    Z = {v2:string}\n"
        "    a = {v3:string}\n    _ = {v4:string}\n    a_ = {v5:string}\n"
        "    ab = {v6:string}\n    A = {v7:string}\n    a.a = {v8:string}\n"
        "COMPATIBLE:\n    a = {v3}\n";
    const char *dev = "zz=0\nab=6\na.a=8\nb=0\nA=7\n_=4\na=3\nZ=2\naa=x\na.b=1\na_=5\nzzz=1\n";
    static const char *const values[] = { "0", "1", "2", "3", "4", "5", "6", "7", "8" };
    dc_policy *p[2];
    compiled_and_loaded(text, &p[0], &p[1]);
    for (int k = 0; k < 2; k++) {
        expect_self_bindings(p[k], dev, 9, values);
        /* a field missing: SELF fails on it */
        dc_prepared *d = prepare(p[k], "zz=0\na.a=8\nb=0\nA=7\n_=4\na=3\nZ=2\na.b=1\na_=5\n");
        dc_result *r = new_result(p[k]);
        cr_assert_eq(dc_check(p[k], d, d, r), DC_OK);
        cr_assert_eq(dc_result_verdict(r), DC_TARGET_MISMATCH);
        dc_reason rs = DC_REASON_INIT;
        cr_assert_eq(dc_result_reason_get(r, 0, &rs), DC_OK);
        cr_assert_str_eq(rs.field, "ab");
        dc_result_free(r);
        dc_prepared_free(d);
        dc_policy_free(p[k]);
    }
}

Test(api, prepare_more_fields_than_the_stack_holds)
{
    char text[8192], dev[4096];
    const char *values[80];
    char vbuf[80][8];
    size_t o = (size_t)snprintf(text, sizeof text, "SELF:\n"), d = 0;
    for (int i = 79; i >= 0; i--) {
        o += (size_t)snprintf(text + o, sizeof text - o, "    f%02d = {v%02d:int}\n", i, i);
        if (i % 7 != 3)
            d += (size_t)snprintf(dev + d, sizeof dev - d, "f%02d=%d\n", i, i * 3);
    }
    snprintf(text + o, sizeof text - o, "COMPATIBLE:\n    f00 = {v00}\n");
    for (int i = 0; i < 80; i++) {
        snprintf(vbuf[i], sizeof vbuf[i], "%d", (79 - i) * 3);
        values[i] = vbuf[i];
    }
    dc_policy *p[2];
    compiled_and_loaded(text, &p[0], &p[1]);
    for (int k = 0; k < 2; k++) {
        /* every field but those i % 7 == 3: SELF fails on f73, the first */
        dc_prepared *pd = prepare(p[k], dev);
        dc_result *r = new_result(p[k]);
        cr_assert_eq(dc_check(p[k], pd, pd, r), DC_OK);
        cr_assert_eq(dc_result_verdict(r), DC_TARGET_MISMATCH);
        dc_reason rs = DC_REASON_INIT;
        cr_assert_eq(dc_result_reason_get(r, 0, &rs), DC_OK);
        cr_assert_str_eq(rs.field, "f73");
        dc_result_free(r);
        dc_prepared_free(pd);
        /* all of them */
        d = 0;
        for (int i = 0; i < 80; i++)
            d += (size_t)snprintf(dev + d, sizeof dev - d, "f%02d=%d\n", i, i * 3);
        expect_self_bindings(p[k], dev, 80, values);
        dc_policy_free(p[k]);
        d = 0;
        for (int i = 79; i >= 0; i--)
            if (i % 7 != 3)
                d += (size_t)snprintf(dev + d, sizeof dev - d, "f%02d=%d\n", i, i * 3);
    }
}

/* Check source text against target text; the verdict, and the text of
 * bindings and reasons, one per line. */
static char *check_texts(const dc_policy *p, const char *src, const char *tgt, char *buf,
                         size_t cap)
{
    dc_prepared *s = prepare(p, src), *t = prepare(p, tgt);
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check(p, s, t, r), DC_OK);
    size_t o = (size_t)snprintf(buf, cap, "%d %d\n", (int)dc_result_verdict(r),
                                (int)dc_result_block(r));
    for (size_t i = 0; i < dc_result_binding_count(r); i++) {
        dc_binding b = DC_BINDING_INIT;
        cr_assert_eq(dc_result_binding_get(r, i, &b), DC_OK);
        o += (size_t)snprintf(buf + o, cap - o, "%s=%s\n", b.name, b.text);
    }
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason rs = DC_REASON_INIT;
        cr_assert_eq(dc_result_reason_get(r, i, &rs), DC_OK);
        o += (size_t)snprintf(buf + o, cap - o, "%d:%u %s [%s]\n", rs.block, rs.line,
                              rs.field ? rs.field : "-", rs.actual ? rs.actual : "-");
    }
    dc_result_free(r);
    dc_prepared_free(s);
    dc_prepared_free(t);
    return buf;
}

Test(api, templates_alike_are_matched_once_for_both)
{
    /* SELF's and the first block's templates are alike (other registers,
     * equal tables); the second block's has another table */
    const char *text = "SELF:\n    t = gvt_{n:int:1,2,4,8}_x{k:int}\n"
                       "COMPATIBLE:\n    t = gvt_{m:int:1,2,4,8}_x{q:int}\n    where m == n\n"
                       "COMPATIBLE b:\n    t = gvt_{m:int:1,2}_x{q:int}\n";
    dc_policy *p[2];
    char buf[512];
    compiled_and_loaded(text, &p[0], &p[1]);
    for (int k = 0; k < 2; k++) {
        cr_assert_str_eq(check_texts(p[k], "t=gvt_4_x9", "t=gvt_4_x7", buf, sizeof buf),
                         "0 0\nn=4\nk=7\nm=4\nq=9\n");
        cr_assert_str_eq(check_texts(p[k], "t=gvt_1_x3", "t=gvt_4_x7", buf, sizeof buf),
                         "0 1\nn=4\nk=7\nm=1\nq=3\n");
        cr_assert_str_eq(check_texts(p[k], "t=gvt_16_x3", "t=gvt_4_x7", buf, sizeof buf),
                         "1 -1\n0:4 t [gvt_16_x3]\n1:7 t [gvt_16_x3]\n");
        cr_assert_str_eq(check_texts(p[k], "t=gvt_4_y3", "t=gvt_2_x0", buf, sizeof buf),
                         "1 -1\n0:4 t [gvt_4_y3]\n1:7 t [gvt_4_y3]\n");
        cr_assert_str_eq(check_texts(p[k], "t=gvt_2_x3", "t=gvt_3_x1", buf, sizeof buf),
                         "2 -1\n-1:2 t [gvt_3_x1]\n");
        cr_assert_str_eq(check_texts(p[k], "u=1", "t=gvt_8_x1", buf, sizeof buf),
                         "1 -1\n0:4 t [-]\n1:7 t [-]\n");
        dc_policy_free(p[k]);
    }
}

Test(api, a_failing_self_is_kept_whatever_its_variables)
{
    /* one SELF variable: its failure takes more room than its value */
    const char *text = "SELF:\n    a = {x:int:1..3}\n    b = on\nCOMPATIBLE:\n    a = {x}\n";
    dc_policy *p[2];
    char buf[512];
    compiled_and_loaded(text, &p[0], &p[1]);
    for (int k = 0; k < 2; k++) {
        cr_assert_str_eq(check_texts(p[k], "a=2\nb=on", "a=2\nb=on", buf, sizeof buf),
                         "0 0\nx=2\n");
        cr_assert_str_eq(check_texts(p[k], "a=2\nb=on", "a=5\nb=on", buf, sizeof buf),
                         "2 -1\n-1:2 a [5]\n");
        cr_assert_str_eq(check_texts(p[k], "a=2\nb=on", "a=2\nb=off", buf, sizeof buf),
                         "2 -1\n-1:3 b [off]\n");
        cr_assert_str_eq(check_texts(p[k], "a=2\nb=on", "b=on", buf, sizeof buf),
                         "2 -1\n-1:2 a [-]\n");
        /* a target prepared once, checked again */
        dc_prepared *s = prepare(p[k], "a=3"), *t = prepare(p[k], "a=9\nb=on");
        dc_result *r = new_result(p[k]);
        for (int i = 0; i < 3; i++) {
            cr_assert_eq(dc_check(p[k], s, t, r), DC_OK);
            cr_assert_eq(dc_result_verdict(r), DC_TARGET_MISMATCH);
            dc_reason rs = DC_REASON_INIT;
            cr_assert_eq(dc_result_reason_get(r, 0, &rs), DC_OK);
            cr_assert_str_eq(rs.actual, "9");
        }
        dc_result_free(r);
        dc_prepared_free(s);
        dc_prepared_free(t);
        dc_policy_free(p[k]);
    }
}

/* A cases file written to directory `dir`: its path in `path`. */
static void write_cases(const char *dir, char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "%s/kit.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* A test kit through the public API (what compatc test is a client of). */
Test(api, cases_read)
{
    char dir[] = "/tmp/dc-cases.XXXXXX", path[256], tpath[300];
    cr_assert_not_null(mkdtemp(dir));
    write_cases(dir, path, sizeof path,
                "- name: half\n  source: {a: 1, f: [x, y]}\n  target: t.kv\n"
                "  expect: compatible\n  block: same\n"
                "- name: bad\n  description: not an int\n  source: {a: zz}\n"
                "  target: {a: 1}\n  expect: error\n");
    snprintf(tpath, sizeof tpath, "%s/t.kv", dir);
    FILE *f = fopen(tpath, "w");
    cr_assert_not_null(f);
    fputs("a=2\n", f);
    fclose(f);
    dc_cases *cs = NULL;
    dc_error err;
    cr_assert_eq(dc_cases_read(path, &cs, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_cases_count(cs), 2);
    dc_case c = DC_CASE_INIT;
    cr_assert_eq(dc_cases_get(cs, 0, &c), DC_OK);
    cr_assert_str_eq(c.name, "half");
    cr_assert_eq(c.line, 1);
    cr_assert_eq(c.expect, DC_EXPECT_COMPATIBLE);
    cr_assert_str_eq(c.block, "same");
    cr_assert_eq(c.block_line, 5);
    dc_facts *s = NULL, *t = NULL;
    cr_assert_eq(dc_cases_source(cs, 0, &s, &err), DC_OK, "%s", err.message);
    cr_assert_str_eq(dc_facts_lookup(s, "f"), "x,y");
    cr_assert_eq(dc_cases_target(cs, 0, &t, &err), DC_OK, "%s", err.message);
    cr_assert_str_eq(dc_facts_lookup(t, "a"), "2"); /* the file, relative to the kit */
    dc_facts_free(s);
    dc_facts_free(t);
    cr_assert_eq(dc_cases_get(cs, 1, &c), DC_OK);
    cr_assert_eq(c.expect, DC_EXPECT_ERROR);
    cr_assert_null(c.block);
    /* misuse: out of range, an unsized struct */
    cr_assert_eq(dc_cases_get(cs, 2, &c), DC_ERR_INVALID);
    dc_case unsized;
    memset(&unsized, 0, sizeof unsized);
    cr_assert_eq(dc_cases_get(cs, 0, &unsized), DC_ERR_INVALID);
    cr_assert_eq(dc_cases_source(cs, 2, &s, &err), DC_ERR_INVALID);
    cr_assert_null(s);
    dc_cases_free(cs);
    dc_cases_free(NULL);
    unlink(tpath);
    unlink(path);

    /* an error names the file, the line and the case, by position and name */
    write_cases(dir, path, sizeof path,
                "- {name: a, source: {}, target: {}, expect: error}\n"
                "- {name: b, source: {}, target: nosuch.kv, expect: error}\n");
    cr_assert_eq(dc_cases_read(path, &cs, &err), DC_ERR_IO);
    cr_assert_null(cs);
    cr_assert(strstr(err.message, "kit.yaml:2: case 2 'b': target: "), "%s", err.message);
    unlink(path);
    rmdir(dir);
}
