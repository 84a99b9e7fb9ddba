/* bench/bounds.c -- the time and memory one input costs, with the default
 * allocator or one that never grows a block in place (docs/security.md,
 * "Time and memory").  Not a test: it prints figures.
 *
 *   bench/bounds [--moving] policy|cbc|kv|yaml|inventory FILE
 *   bench/bounds [--moving] libvirt|mdevctl|lspci|devlink|dra FILE
 *                                              (an importer's inventory)
 *   bench/bounds [--moving] sysfs DIR          (a device directory)
 *   bench/bounds sysfs-inventory DIR           (a directory of devices)
 *
 * Prints the status, the seconds spent reading, and the peak resident
 * memory (getrusage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "devcompat.h"
#include "facts.h"
#include "import.h"
#include "inventory.h"

static size_t copied;

typedef struct header {
    size_t size;
    max_align_t align[];
} header;

static void *moving_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    header *h = malloc(sizeof *h + (size ? size : 1));
    if (!h)
        return NULL;
    h->size = size;
    if (ptr) {
        header *old = (header *)((char *)ptr - offsetof(header, align));
        size_t n = old->size < size ? old->size : size;
        memcpy(h->align, ptr, n);
        copied += n;
        free(old);
    }
    return h->align;
}

static void moving_free(void *ud, void *ptr)
{
    (void)ud;
    if (ptr)
        free((char *)ptr - offsetof(header, align));
}

static dc_status drop(void *ctx, const char *id, size_t id_len, dc_facts *facts, size_t index,
                      uint32_t line, dc_error *err)
{
    (void)ctx, (void)id, (void)id_len, (void)index, (void)line, (void)err;
    dc_facts_free(facts);
    return DC_OK;
}

/* Seconds since t0. */
static double since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* This process's peak resident memory so far, in KB. */
static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A sysfs directory: the input is the files under it. */
static int sysfs(const dc_alloc *a, const char *what, const char *dir)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dc_error err = { 0 };
    dc_status st;
    size_t devices = 1;
    if (!strcmp(what, "sysfs")) {
        dc_facts *f = NULL;
        st = facts_read_sysfs_ex(a, "/", dir, &f, &err);
        dc_facts_free(f);
    } else if (!strcmp(what, "sysfs-inventory") && !a) {
        dc_inventory *inv = NULL;
        st = dc_inventory_open(dir, NULL, &inv, &err);
        devices = dc_inventory_count(inv);
        dc_inventory_free(inv);
    } else {
        return fprintf(stderr, "unknown surface %s\n", what), 2;
    }
    printf("%s %s: %s, %zu devices, %.3f s, peak %ld KB, %zu bytes copied by realloc%s%.120s\n",
           a ? "moving" : "default", what, dc_status_str(st), devices, since(&t0), peak_kb(),
           copied, st == DC_OK ? "" : ": ", st == DC_OK ? "" : err.message);
    return 0;
}

/* The importer a surface names, or NULL. */
static import_fn importer(const char *what)
{
    static const struct {
        const char *name;
        import_fn fn;
    } importers[] = {
        { "libvirt", import_libvirt }, { "mdevctl", import_mdevctl }, { "lspci", import_lspci },
        { "devlink", import_devlink }, { "dra", import_dra },
    };
    for (size_t i = 0; i < sizeof importers / sizeof *importers; i++)
        if (!strcmp(what, importers[i].name))
            return importers[i].fn;
    return NULL;
}

int main(int argc, char **argv)
{
    static const dc_alloc moving = { moving_realloc, moving_free, NULL };
    const dc_alloc *a = NULL;
    if (argc > 1 && !strcmp(argv[1], "--moving")) {
        a = &moving;
        argc--, argv++;
    }
    if (argc != 3) {
        fprintf(stderr,
                "usage: bounds [--moving] policy|cbc|kv|yaml|inventory|libvirt|mdevctl|lspci|"
                "devlink|dra|sysfs|sysfs-inventory FILE\n");
        return 2;
    }
    if (!strncmp(argv[1], "sysfs", 5))
        return sysfs(a, argv[1], argv[2]);
    FILE *fp = fopen(argv[2], "rb");
    if (!fp)
        return perror(argv[2]), 2;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    char *text = malloc((size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, fp) != (size_t)n)
        return fprintf(stderr, "cannot read %s\n", argv[2]), 2;
    fclose(fp);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dc_error err = { 0 };
    dc_status st;
    const char *what = argv[1];
    if (!strcmp(what, "policy") || !strcmp(what, "cbc")) {
        dc_policy *p = NULL;
        dc_diags *d = NULL;
        if (!strcmp(what, "policy"))
            st = dc_policy_compile_ex(a, argv[2], text, (size_t)n, &p, &d, &err);
        else
            st = dc_policy_load_ex(a, argv[2], text, (size_t)n, &p, &err);
        dc_policy_free(p);
        dc_diags_free(d);
    } else if (!strcmp(what, "kv") || !strcmp(what, "yaml")) {
        dc_facts *f = NULL;
        st = !strcmp(what, "kv") ? facts_parse_text_ex(a, argv[2], text, (size_t)n, &f, &err)
                                 : facts_parse_yaml_ex(a, argv[2], text, (size_t)n, &f, &err);
        dc_facts_free(f);
    } else if (!strcmp(what, "inventory")) {
        st = facts_yaml_entries(a, argv[2], text, (size_t)n, drop, NULL, &err);
    } else if (importer(what)) {
        dc_inventory *inv = inv_new(a, argv[2]);
        st = inv ? importer(what)(a, argv[2], text, (size_t)n, inv, &err) : DC_ERR_NOMEM;
        if (st == DC_OK)
            st = inv_finish(inv, &err);
        dc_inventory_free(inv);
    } else {
        return fprintf(stderr, "unknown surface %s\n", what), 2;
    }
    printf("%s %s: %s, %.3f s, peak %ld KB, input %ld KB, %zu bytes copied by realloc%s%.80s\n",
           a ? "moving" : "default", what, dc_status_str(st), since(&t0), peak_kb(), n / 1024,
           copied, st == DC_OK ? "" : ": ", st == DC_OK ? "" : err.message);
    free(text);
    return 0;
}
