/*
 * test_bounds.c -- every input surface costs work linear in its size,
 * whatever the allocator (docs/security.md, "Time and memory").
 *
 * The allocator here never grows a block in place: every realloc is a
 * malloc, a copy and a free, as ASan's is and as devcompat.h allows.  It
 * counts allocations and bytes copied.  Each test reads an input of size N
 * and of size 2N and asserts that doubling the input at most about doubles
 * both counts (a one-at-a-time growth, or a tree built before a limit is
 * checked, fails this by far).  Nothing is timed.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devcompat.h"
#include "alloc.h"
#include "facts.h"
#include "inventory.h"

/* ------------------------------------------------ a counting allocator */

typedef struct counts {
    size_t allocs; /* blocks allocated (a realloc is one more) */
    size_t copied; /* bytes copied by reallocs */
    size_t live;   /* bytes allocated and not yet freed */
    size_t peak;   /* the most `live` has been */
} counts;

typedef struct header {
    size_t size;
    max_align_t align[];
} header;

static void *moving_realloc(void *ud, void *ptr, size_t size)
{
    counts *c = ud;
    header *h = malloc(sizeof *h + (size ? size : 1));
    if (!h)
        return NULL;
    h->size = size;
    c->allocs++;
    c->live += size;
    if (ptr) {
        header *old = (header *)((char *)ptr - offsetof(header, align));
        size_t n = old->size < size ? old->size : size;
        memcpy(h->align, ptr, n);
        c->copied += n;
        c->live -= old->size;
        free(old);
    }
    if (c->live > c->peak)
        c->peak = c->live;
    return h->align;
}

static void moving_free(void *ud, void *ptr)
{
    counts *c = ud;
    if (ptr) {
        header *h = (header *)((char *)ptr - offsetof(header, align));
        c->live -= h->size;
        free(h);
    }
}

/* ------------------------------------------------------------ inputs */

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    cr_assert(need >= 0);
    if (t->n + (size_t)need + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->n + (size_t)need + 1 > cap)
            cap *= 2;
        t->s = realloc(t->s, cap);
        cr_assert_not_null(t->s);
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, (size_t)need + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)need;
}

/* Build the input of size n, read it with the counting allocator. */
typedef void (*make_fn)(text *t, size_t n);
typedef void (*read_fn)(const dc_alloc *a, const text *t);

static counts measure(make_fn make, read_fn read, size_t n)
{
    counts c = { 0, 0, 0, 0 };
    dc_alloc a = { moving_realloc, moving_free, &c };
    text t = { NULL, 0, 0 };
    make(&t, n);
    read(&a, &t);
    free(t.s);
    return c;
}

/* Doubling the input at most ~doubles the allocations and the bytes copied
 * (a constant part included: 2.5 leaves room for the fixed cost). */
static void linear(const char *what, make_fn make, read_fn read, size_t n)
{
    counts one = measure(make, read, n), two = measure(make, read, 2 * n);
    cr_assert(one.allocs > 0, "%s: nothing allocated", what);
    cr_assert(two.allocs <= one.allocs * 5 / 2 + 16,
              "%s: %zu allocations for n=%zu, %zu for 2n", what, one.allocs, n, two.allocs);
    cr_assert(two.copied <= one.copied * 5 / 2 + 4096,
              "%s: %zu bytes copied for n=%zu, %zu for 2n", what, one.copied, n, two.copied);
}

/* An input refused at a limit costs the same work (allocations, bytes
 * copied) however far past the limit it goes: n1 or n2 past it. */
static void same_work(const char *what, make_fn make, read_fn read, size_t n1, size_t n2)
{
    counts one = measure(make, read, n1), two = measure(make, read, n2);
    cr_assert_eq(one.allocs, two.allocs, "%s: %zu allocations vs %zu", what, one.allocs,
                 two.allocs);
    cr_assert_eq(one.copied, two.copied, "%s: %zu bytes copied vs %zu", what, one.copied,
                 two.copied);
}

/* --------------------------------------------------------- policy source */

static void compile(const dc_alloc *a, const text *t)
{
    dc_policy *p = NULL;
    dc_diags *d = NULL;
    dc_error err;
    dc_status st = dc_policy_compile_ex(a, "t.compat", t->s, t->n, &p, &d, &err);
    cr_assert_eq(st, DC_OK, "%s", err.message);
    dc_policy_free(p);
    dc_diags_free(d);
}

/* A constraint of n string items (the items of check.c grew one by one). */
static void string_items(text *t, size_t n)
{
    put(t, "SELF:\n  kind = {k:string:");
    for (size_t i = 0; i < n; i++)
        put(t, "%sv%zu", i ? "," : "", i);
    put(t, "}\nCOMPATIBLE:\n  kind = k\n");
}

/* A constraint of n int ranges. */
static void int_ranges(text *t, size_t n)
{
    put(t, "SELF:\n  size = {s:int:");
    for (size_t i = 0; i < n; i++)
        put(t, "%s%zu..%zu", i ? "," : "", 10 * i, 10 * i + 5);
    put(t, "}\nCOMPATIBLE:\n  size = s\n");
}

/* n blocks of a few rules. */
static void blocks(text *t, size_t n)
{
    put(t, "SELF:\n  kind = {k:string}\n");
    for (size_t i = 0; i < n; i++)
        put(t, "COMPATIBLE:\n  kind = k\n  gen = {g%zu:int:1..%zu}\n", i, i + 2);
}

Test(bounds, policy_constraint_items)
{
    linear("string items", string_items, compile, 20000);
    linear("int ranges", int_ranges, compile, 20000);
}

Test(bounds, policy_blocks)
{
    linear("blocks", blocks, compile, 400);
}

/* ------------------------------------------------------------------ .cbc */

static void load(const dc_alloc *a, const text *t)
{
    dc_policy *p = NULL, *q = NULL;
    dc_diags *d = NULL;
    dc_error err;
    cr_assert_eq(dc_policy_compile("t.compat", t->s, t->n, &p, &d, &err), DC_OK, "%s",
                 err.message);
    void *data;
    size_t len;
    cr_assert_eq(dc_policy_save(p, &data, &len, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_policy_load_ex(a, "t.cbc", data, len, &q, &err), DC_OK, "%s", err.message);
    dc_buffer_free(p, data);
    dc_policy_free(q);
    dc_policy_free(p);
    dc_diags_free(d);
}

Test(bounds, cbc_load)
{
    linear(".cbc of string items", string_items, load, 20000);
    linear(".cbc of blocks", blocks, load, 400);
}

/* ------------------------------------------------------------- facts */

static void parse_kv(const dc_alloc *a, const text *t)
{
    dc_facts *f = NULL;
    dc_error err;
    cr_assert_eq(facts_parse_text_ex(a, "t.kv", t->s, t->n, &f, &err), DC_OK, "%s",
                 err.message);
    dc_facts_free(f);
}

static void parse_yaml(const dc_alloc *a, const text *t)
{
    dc_facts *f = NULL;
    dc_error err;
    cr_assert_eq(facts_parse_yaml_ex(a, "t.yaml", t->s, t->n, &f, &err), DC_OK, "%s",
                 err.message);
    dc_facts_free(f);
}

/* A YAML/JSON reader that refuses its input must refuse it early: the work
 * done before the error does not grow with what follows it. */
static void parse_yaml_fails(const dc_alloc *a, const text *t)
{
    dc_facts *f = NULL;
    dc_error err;
    cr_assert_neq(facts_parse_yaml_ex(a, "t.yaml", t->s, t->n, &f, &err), DC_OK);
    cr_assert_null(f);
}

static void kv_facts(text *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(t, "fact%zu=value %zu\n", i, i);
}

static void yaml_keys(text *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(t, "fact%zu: %zu\n", i, i);
}

static void yaml_set(text *t, size_t n)
{
    put(t, "caps: [");
    for (size_t i = 0; i < n; i++)
        put(t, "%sc%zu", i ? ", " : "", i % 1000);
    put(t, "]\n");
}

static void yaml_records(text *t, size_t n)
{
    put(t, "sla:\n");
    for (size_t i = 0; i < n; i++)
        put(t, "  - {srv: s%zu, rate: %zu}\n", i, i);
}

static void json_nested(text *t, size_t n)
{
    put(t, "{");
    for (size_t i = 0; i < n; i++)
        put(t, "%s\"g%zu\": {\"a\": {\"b\": %zu}}", i ? ", " : "", i, i);
    put(t, "}\n");
}

/* Over the limits: a mapping of n keys, a set of n items, n records. */
static void yaml_keys_over(text *t, size_t n)
{
    yaml_keys(t, 2000 + n);
}

static void yaml_set_over(text *t, size_t n)
{
    yaml_set(t, 5000 + n);
}

static void yaml_records_over(text *t, size_t n)
{
    yaml_records(t, 2000 + n);
}

Test(bounds, facts_key_value)
{
    linear("key=value", kv_facts, parse_kv, 400);
}

Test(bounds, facts_yaml)
{
    linear("YAML keys", yaml_keys, parse_yaml, 400);
    linear("YAML set", yaml_set, parse_yaml, 300);
    linear("YAML records", yaml_records, parse_yaml, 200);
    linear("JSON nesting", json_nested, parse_yaml, 200);
}

Test(bounds, facts_yaml_refused_early)
{
    /* 100 000 and 200 000 more keys/items/records past the limit: the same
     * work, as the read stops at the limit */
    same_work("keys", yaml_keys_over, parse_yaml_fails, 100000, 200000);
    same_work("set", yaml_set_over, parse_yaml_fails, 100000, 200000);
    same_work("records", yaml_records_over, parse_yaml_fails, 100000, 200000);
}

/* ------------------------------------------------------------ inventories */

static dc_status drop(void *ctx, const char *id, size_t id_len, dc_facts *facts, size_t index,
                      uint32_t line, dc_error *err)
{
    (void)ctx, (void)id, (void)id_len, (void)index, (void)line, (void)err;
    dc_facts_free(facts);
    return DC_OK;
}

static void read_inventory(const dc_alloc *a, const text *t)
{
    dc_error err;
    cr_assert_eq(facts_yaml_entries(a, "inv.yaml", t->s, t->n, drop, NULL, &err), DC_OK, "%s",
                 err.message);
}

static void inventory(text *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(t, "- {id: dev%zu, kind: k, caps: [a, b, c], params: {size: %zu}}\n", i, i);
}

Test(bounds, inventory)
{
    linear("inventory", inventory, read_inventory, 2000);
}

/* What `compatc match` and `compatc test` hold whole (docs/security.md,
 * "Inventories and cases files in memory"): memory linear in the devices or
 * cases, at most a fixed multiple of the text. */
static dc_status keep(void *ctx, const char *id, size_t id_len, dc_facts *facts, size_t index,
                      uint32_t line, dc_error *err)
{
    (void)index;
    return inv_push(ctx, id, id_len, facts, line, false, err);
}

static void read_inventory_kept(const dc_alloc *a, const text *t)
{
    dc_error err;
    dc_inventory *inv = inv_new(a, "inv.yaml");
    cr_assert_not_null(inv);
    cr_assert_eq(facts_yaml_entries(a, "inv.yaml", t->s, t->n, keep, inv, &err), DC_OK, "%s",
                 err.message);
    cr_assert_eq(inv_finish(inv, &err), DC_OK, "%s", err.message);
    dc_inventory_free(inv);
}

static void cases(text *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(t,
            "- {name: case%zu, source: {kind: k, size: %zu, caps: [a, b]}, "
            "target: {kind: k, size: %zu}, expect: compatible}\n",
            i, i, i + 1);
}

static void read_cases(const dc_alloc *a, const text *t)
{
    facts_ytree *tree = NULL;
    const facts_ynode *root = NULL;
    dc_error err;
    cr_assert_eq(facts_ytree_read(a, "t.yaml", "the cases", t->s, t->n, &tree, &root, &err),
                 DC_OK, "%s", err.message);
    facts_ytree_free(tree);
}

/* Peak memory for n and 2n: about double, and at most `ratio` times the text. */
static void memory_linear(const char *what, make_fn make, read_fn read, size_t n, size_t ratio)
{
    counts one = measure(make, read, n), two = measure(make, read, 2 * n);
    text t = { NULL, 0, 0 };
    make(&t, 2 * n);
    size_t len = t.n;
    free(t.s);
    cr_assert(two.peak <= one.peak * 5 / 2 + 65536, "%s: peak %zu bytes for n=%zu, %zu for 2n",
              what, one.peak, n, two.peak);
    cr_assert(two.peak <= ratio * len, "%s: peak %zu bytes for %zu bytes of text (over %zux)",
              what, two.peak, len, ratio);
    cr_log_info("%s: peak %zu bytes for %zu bytes of text (%.1fx)", what, two.peak, len,
                (double)two.peak / (double)len);
}

Test(bounds, held_whole)
{
    linear("inventory kept", inventory, read_inventory_kept, 2000);
    memory_linear("inventory kept", inventory, read_inventory_kept, 4000, 8);
    linear("cases", cases, read_cases, 2000);
    memory_linear("cases", cases, read_cases, 4000, 24);
}

/* ---------------------------------------------------------------- sysfs */

/* A tree under a temporary directory: `t` holds its root (the text the
 * readers below get), and the device is ROOT/dev. */
static void tree_root(text *t)
{
    char tmpl[] = "/tmp/dc-bounds-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    put(t, "%s", tmpl);
}

static void tree_file(const text *t, const char *name, const char *fill, size_t times)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", t->s, name);
    for (char *p = path + t->n + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    for (size_t i = 0; i < times; i++)
        fputs(fill, f);
    cr_assert_eq(fclose(f), 0);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static dc_status read_tree(const dc_alloc *a, const text *t)
{
    dc_facts *f = NULL;
    dc_error err;
    dc_status st = facts_read_sysfs_ex(a, t->s, "dev", &f, &err);
    cr_assert((st == DC_OK) == (f != NULL));
    dc_facts_free(f);
    cr_assert_eq(nftw(t->s, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
    return st;
}

static void read_sysfs(const dc_alloc *a, const text *t)
{
    cr_assert_eq(read_tree(a, t), DC_OK);
}

static void read_sysfs_fails(const dc_alloc *a, const text *t)
{
    cr_assert_neq(read_tree(a, t), DC_OK);
}

static void pci_device(text *t)
{
    tree_root(t);
    tree_file(t, "dev/vendor", "0x1af4\n", 1);
    tree_file(t, "dev/device", "0x1041\n", 1);
}

/* n vendor facts, one file each in migration/self/ */
static void sysfs_self(text *t, size_t n)
{
    pci_device(t);
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "dev/migration/self/f%zu", i);
        tree_file(t, name, "some value ", 8);
    }
}

/* n vendor facts in migration_compatible's SELF block */
static void sysfs_compatible(text *t, size_t n)
{
    pci_device(t);
    text kv = { NULL, 0, 0 };
    put(&kv, "SELF:\n");
    for (size_t i = 0; i < n; i++)
        put(&kv, "f%zu=some value %zu\n", i, i);
    tree_file(t, "dev/migration_compatible", kv.s, 1);
    free(kv.s);
}

/* a virtio features string of n '1's (a set of n indices) */
static void sysfs_virtio(text *t, size_t n)
{
    pci_device(t);
    tree_file(t, "dev/virtio0/features", "1", n);
}

Test(bounds, sysfs)
{
    linear("sysfs migration/self", sysfs_self, read_sysfs, 200);
    linear("sysfs migration_compatible", sysfs_compatible, read_sysfs, 200);
    linear("sysfs virtio features", sysfs_virtio, read_sysfs, 200);
}

/* Over the limits: more entries in migration/self than facts, an attribute
 * over what is read of one, more 1 bits than a value lists. */
static void sysfs_self_over(text *t, size_t n)
{
    sysfs_self(t, 1024 + n);
}

static void sysfs_attr_over(text *t, size_t n)
{
    pci_device(t);
    tree_file(t, "dev/revision", "0123456789abcdef", 4096 + n);
}

static void sysfs_virtio_over(text *t, size_t n)
{
    sysfs_virtio(t, 1000 + n);
}

Test(bounds, sysfs_refused_early)
{
    same_work("migration/self", sysfs_self_over, read_sysfs_fails, 100, 400);
    same_work("attribute", sysfs_attr_over, read_sysfs_fails, 1000, 100000);
    same_work("virtio features", sysfs_virtio_over, read_sysfs_fails, 1000, 30000);
}

/* ------------------------------------------------------------- arena */

Test(bounds, arena_refuses_sizes_that_wrap)
{
    arena ar;
    arena_init(&ar, NULL);
    cr_assert_null(arena_alloc(&ar, SIZE_MAX));
    cr_assert_null(arena_alloc(&ar, SIZE_MAX - 5));
    char *p = arena_alloc(&ar, 24);
    cr_assert_not_null(p);
    cr_assert_not_null(arena_alloc(&ar, 100000)); /* a chunk of its own */
    arena_reset(&ar);                             /* keeps the newest chunk */
    cr_assert_not_null(arena_alloc(&ar, 50000));
    arena_release(&ar);
}
