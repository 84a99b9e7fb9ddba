/* inventory.c -- many devices: a YAML/JSON list or a directory (docs/facts.md).
 *
 *   - id: gpu0                 a sequence of mappings, each with a unique
 *     mdev_type: i915-...      scalar `id` (not a fact); the rest flattens
 *                              as in dc_facts_parse_yaml
 *
 *   DIR/gpu0.kv DIR/gpu1.yaml  a directory of facts files of any format:
 *                              id = file name less its extension, in name
 *                              order; hidden files are skipped
 *
 * An id is printable ASCII, at most DC_MAX_ID bytes (two fact names joined
 * by '/', as an importer's PARENT/TYPE or POOL/DEVICE are): it is printed
 * as an `[ID]` line and in messages (docs/facts.md, "Inventories").
 * Ids are checked for duplicates once, after reading (a pass when they are
 * in increasing order; else sort, then compare neighbours), so loading
 * stays O(n log n) in the number of devices.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "facts.h"
#include "inventory.h"
#include "limits.h"

/* An inventory file may be much larger than one device's. */
#define INVENTORY_MAX_FILE (1024u << 20)

typedef struct device {
    char *id;
    dc_facts *facts;
    char *source;  /* directory form: the file; NULL otherwise */
    size_t index;  /* 0-based entry index (YAML form); SIZE_MAX: none */
    uint32_t line; /* the entry's line (YAML form, importers) */
    bool type;     /* an importer's mdev type: a device to create */
} device;

struct dc_inventory {
    const dc_alloc *alloc;
    const char *path; /* while reading, for messages */
    device *devs;
    size_t n, cap;
};

size_t dc_inventory_count(const dc_inventory *inv)
{
    return inv ? inv->n : 0;
}

const char *dc_inventory_id(const dc_inventory *inv, size_t i)
{
    return inv && i < inv->n ? inv->devs[i].id : NULL;
}

const dc_facts *dc_inventory_facts(const dc_inventory *inv, size_t i)
{
    return inv && i < inv->n ? inv->devs[i].facts : NULL;
}

void dc_inventory_free(dc_inventory *inv)
{
    if (!inv)
        return;
    for (size_t i = 0; i < inv->n; i++) {
        mem_free(inv->alloc, inv->devs[i].id);
        mem_free(inv->alloc, inv->devs[i].source);
        dc_facts_free(inv->devs[i].facts);
    }
    mem_free(inv->alloc, inv->devs);
    mem_free(inv->alloc, inv);
}

/* An id as the header says; the error names where it comes from. */
static dc_status check_id(const dc_inventory *inv, const char *id, size_t id_len,
                          const char *source, uint32_t line, dc_error *err)
{
    size_t ok = 0; /* printable bytes first: most ids are fine */
    while (ok < id_len && (unsigned char)id[ok] >= 0x20 && (unsigned char)id[ok] < 0x7f)
        ok++;
    if (id_len && id_len <= DC_MAX_ID && ok == id_len)
        return DC_OK;
    char at[16] = "";
    if (!source && line)
        snprintf(at, sizeof at, ":%u", line);
    const char *where = source ? source : inv->path;
    if (id_len == 0)
        return dc_error_set(err, DC_ERR_FACTS, "%s%s: an empty id", where, at);
    if (id_len > DC_MAX_ID)
        return dc_error_set(err, DC_ERR_LIMIT,
                            "%s%s: id '%.32s...' is longer than %d bytes (the limit)", where,
                            at, id, DC_MAX_ID);
    for (size_t i = 0; i < id_len; i++)
        if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] >= 0x7f)
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s%s: id '%.*s...' has byte 0x%02x at offset %zu: an id is "
                                "printable ASCII",
                                where, at, (int)(i < 32 ? i : 32), id, (unsigned char)id[i], i);
    return DC_OK;
}

/* Append a device; takes `facts` whatever happens. */
static dc_status push(dc_inventory *inv, const char *id, size_t id_len, dc_facts *facts,
                      const char *source, size_t index, uint32_t line, dc_error *err)
{
    dc_status st = check_id(inv, id, id_len, source, line, err);
    if (st != DC_OK) {
        dc_facts_free(facts);
        return st;
    }
    if (inv->n == inv->cap) {
        size_t cap = inv->cap ? inv->cap * 2 : 64;
        device *devs = mem_grow(inv->alloc, inv->devs, cap, sizeof *devs);
        if (!devs) {
            dc_facts_free(facts);
            return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", inv->path);
        }
        inv->devs = devs;
        inv->cap = cap;
    }
    device *d = &inv->devs[inv->n];
    *d = (device){ mem_strndup(inv->alloc, id, id_len), facts, NULL, index, line, false };
    if (source)
        d->source = mem_strndup(inv->alloc, source, strlen(source));
    if (!d->id || (source && !d->source)) {
        mem_free(inv->alloc, d->id);
        mem_free(inv->alloc, d->source);
        dc_facts_free(facts);
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", inv->path);
    }
    inv->n++;
    return DC_OK;
}

static dc_status on_entry(void *ctx, const char *id, size_t id_len, dc_facts *facts,
                          size_t index, uint32_t line, dc_error *err)
{
    return push(ctx, id, id_len, facts, NULL, index, line, err);
}

static int by_id(const void *a, const void *b)
{
    const device *x = *(const device *const *)a, *y = *(const device *const *)b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x < y ? -1 : x > y;
}

/* The first (in inventory order) device whose id an earlier one has. */
static dc_status check_ids(dc_inventory *inv, dc_error *err)
{
    if (inv->n < 2)
        return DC_OK;
    /* Ids in increasing order (lspci's slots, libvirt's names, a
     * directory's files) have no duplicates: no sort. */
    size_t sorted = 1;
    while (sorted < inv->n && strcmp(inv->devs[sorted - 1].id, inv->devs[sorted].id) < 0)
        sorted++;
    if (sorted == inv->n)
        return DC_OK;
    const device **order = mem_array(inv->alloc, inv->n, sizeof *order);
    if (!order)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", inv->path);
    for (size_t i = 0; i < inv->n; i++)
        order[i] = &inv->devs[i];
    qsort(order, inv->n, sizeof *order, by_id);
    const device *dup = NULL, *first = NULL;
    for (size_t i = 1; i < inv->n; i++)
        if (!strcmp(order[i]->id, order[i - 1]->id) && (!dup || order[i] < dup) &&
            (i < 2 || strcmp(order[i - 2]->id, order[i]->id))) {
            dup = order[i];
            first = order[i - 1];
        }
    mem_free(inv->alloc, order);
    if (!dup)
        return DC_OK;
    if (dup->source)
        return dc_error_set(err, DC_ERR_FACTS, "%s: duplicate id '%s' (%s has it too)",
                            dup->source, dup->id, first->source);
    if (dup->index == SIZE_MAX && dup->line && first->line)
        return dc_error_set(err, DC_ERR_FACTS, "%s:%u: duplicate id '%s' (line %u has it too)",
                            inv->path, dup->line, dup->id, first->line);
    if (dup->index == SIZE_MAX)
        return dc_error_set(err, DC_ERR_FACTS, "%s: duplicate id '%s'", inv->path, dup->id);
    return dc_error_set(err, DC_ERR_FACTS,
                        "%s:%u: entry %zu: duplicate id '%s' (entry %zu, line %u, has it too)",
                        inv->path, dup->line, dup->index, dup->id, first->index, first->line);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void errno_text(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
}

static dc_status read_directory(dc_inventory *inv, const char *path, dc_error *err)
{
    char text[128];
    DIR *dir = opendir(path);
    if (!dir) {
        errno_text(errno, text, sizeof text);
        return dc_error_set(err, DC_ERR_IO, "%s: %s", path, text);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    dc_status st = DC_OK;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue; /* hidden files, "." and ".." */
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = mem_grow(inv->alloc, names, ncap, sizeof *names);
            if (!nn) {
                st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = mem_strndup(inv->alloc, e->d_name, strlen(e->d_name)))) {
            st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        n++;
    }
    closedir(dir);
    if (st == DC_OK && n > 1)
        qsort(names, n, sizeof *names, name_cmp);
    size_t plen = strlen(path);
    while (plen > 1 && path[plen - 1] == '/')
        plen--;
    char *file = NULL;
    size_t file_cap = 0;
    for (size_t i = 0; i < n && st == DC_OK; i++) {
        size_t need = plen + 1 + strlen(names[i]) + 1;
        if (need > file_cap) {
            need = need > file_cap * 2 ? need : file_cap * 2;
            char *nf = mem_grow(inv->alloc, file, need, 1);
            if (!nf) {
                st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            file = nf;
            file_cap = need;
        }
        snprintf(file, file_cap, "%.*s/%s", (int)plen, path, names[i]);
        char *data;
        size_t len;
        if ((st = file_read_all(inv->alloc, file, FACTS_MAX_FILE, &data, &len, err)) != DC_OK)
            break;
        dc_facts *facts;
        st = facts_parse_any(inv->alloc, file, data, len, &facts, err);
        mem_free(inv->alloc, data);
        if (st != DC_OK)
            break;
        const char *dot = strrchr(names[i], '.');
        size_t id_len = dot ? (size_t)(dot - names[i]) : strlen(names[i]);
        st = push(inv, names[i], id_len, facts, file, inv->n, 0, err);
    }
    mem_free(inv->alloc, file);
    for (size_t i = 0; i < n; i++)
        mem_free(inv->alloc, names[i]);
    mem_free(inv->alloc, names);
    return st;
}

dc_status inventory_parse_yaml(const char *file, const char *text, size_t len,
                               dc_inventory **out, dc_error *err)
{
    *out = NULL;
    dc_inventory *inv = inv_new(NULL, file);
    if (!inv)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    dc_status status = facts_yaml_entries(NULL, file, text, len, on_entry, inv, err);
    if (status == DC_OK)
        status = check_ids(inv, err);
    inv->path = NULL;
    if (status != DC_OK) {
        dc_inventory_free(inv);
        return status;
    }
    *out = inv;
    return DC_OK;
}

dc_status dc_inventory_read(const char *path, dc_inventory **out, dc_error *err)
{
    if (!path || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_inventory_read: NULL argument");
    *out = NULL;
    struct stat st;
    if (!(stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        char *data;
        size_t len;
        dc_status status = file_read_all(NULL, path, INVENTORY_MAX_FILE, &data, &len, err);
        if (status == DC_OK) {
            status = inventory_parse_yaml(path, data, len, out, err);
            mem_free(NULL, data);
        }
        return status;
    }
    dc_inventory *inv = mem_zalloc(NULL, sizeof *inv);
    if (!inv)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
    inv->path = path;
    dc_status status = read_directory(inv, path, err);
    if (status == DC_OK)
        status = check_ids(inv, err);
    inv->path = NULL;
    if (status != DC_OK) {
        dc_inventory_free(inv);
        return status;
    }
    *out = inv;
    return DC_OK;
}

/* ------------------------------------------- built by importers (inventory.h) */

dc_inventory *inv_new(const dc_alloc *alloc, const char *path)
{
    dc_inventory *inv = mem_zalloc(alloc, sizeof *inv);
    if (inv) {
        inv->alloc = alloc;
        inv->path = path;
    }
    return inv;
}

dc_status inv_push(dc_inventory *inv, const char *id, size_t id_len, dc_facts *facts,
                   uint32_t line, bool type, dc_error *err)
{
    dc_status st = push(inv, id, id_len, facts, NULL, SIZE_MAX, line, err);
    if (st == DC_OK)
        inv->devs[inv->n - 1].type = type;
    return st;
}

dc_status inv_finish(dc_inventory *inv, dc_error *err)
{
    dc_status st = check_ids(inv, err);
    inv->path = NULL;
    return st;
}

bool inv_is_type(const dc_inventory *inv, size_t i)
{
    return inv && i < inv->n && inv->devs[i].type;
}

uint32_t inv_line(const dc_inventory *inv, size_t i)
{
    return inv && i < inv->n ? inv->devs[i].line : 0;
}

dc_facts *inv_take(dc_inventory *inv, size_t i)
{
    dc_facts *f = inv->devs[i].facts;
    inv->devs[i].facts = NULL;
    return f;
}

void inv_set_path(dc_inventory *inv, const char *path)
{
    inv->path = path;
}
