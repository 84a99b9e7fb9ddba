/* source.c -- facts and inventories by source: the table of importers,
 * and a facts argument (`libvirt:FILE`, `sysfs:DIR`, `-`, a plain path)
 * opened as docs/facts.md ("Facts arguments") says.
 *
 * Above every reader: the importers, sysfs, facts files and inventories.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <dirent.h>

#include "alloc.h"
#include "facts.h"
#include "import.h"
#include "inventory.h"
#include "limits.h"

/* An importer's input may hold many devices. */
#define SOURCE_MAX_FILE    (1024u << 20)
#define SYSFS_MAGIC_NUMBER 0x62656572

/* One row per source: its prefix and its importer. */
static const struct source_row {
    dc_source source;
    const char *prefix;
    import_fn read;
} sources[] = {
    { DC_SOURCE_AUTO, "", NULL },
    { DC_SOURCE_LIBVIRT, "libvirt", import_libvirt },
    { DC_SOURCE_MDEVCTL, "mdevctl", import_mdevctl },
    { DC_SOURCE_LSPCI, "lspci", import_lspci },
    { DC_SOURCE_DEVLINK, "devlink", import_devlink },
    { DC_SOURCE_DRA, "dra", import_dra },
};
#define NSOURCES (sizeof sources / sizeof *sources)

static const struct source_row *row_of(dc_source source)
{
    for (size_t i = 0; i < NSOURCES; i++)
        if (sources[i].source == source)
            return &sources[i];
    return NULL;
}

const char *dc_source_name(dc_source source)
{
    const struct source_row *r = row_of(source);
    return r ? r->prefix : NULL;
}

/* ------------------------------------------------------------- parsing */

dc_status dc_inventory_parse_source(dc_source source, const char *file, const char *text,
                                    size_t len, dc_inventory **out, dc_error *err)
{
    if (!out || (!text && len))
        return dc_error_set(err, DC_ERR_INVALID, "dc_inventory_parse_source: NULL argument");
    *out = NULL;
    const struct source_row *r = row_of(source);
    if (!r)
        return dc_error_set(err, DC_ERR_INVALID, "dc_inventory_parse_source: unknown source %d",
                            (int)source);
    if (!file)
        file = "<input>";
    if (!text)
        text = "";
    dc_inventory *inv = inv_new(NULL, file);
    if (!inv)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    dc_status st;
    if (r->read) {
        st = r->read(NULL, file, text, len, inv, err);
    } else {
        /* a facts file: one device, id = the file's name less directories
         * and extension */
        dc_facts *f;
        st = facts_parse_any(NULL, file, text, len, &f, err);
        if (st == DC_OK) {
            const char *base = strrchr(file, '/');
            base = base ? base + 1 : file;
            const char *dot = strrchr(base, '.');
            size_t n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
            st = inv_push(inv, base, n, f, 0, false, err);
        }
    }
    if (st == DC_OK)
        st = inv_finish(inv, err);
    if (st != DC_OK) {
        dc_inventory_free(inv);
        return st;
    }
    inv_set_path(inv, NULL);
    *out = inv;
    return DC_OK;
}

/* The one device of an inventory (its mdev types aside), or the one named
 * `id`; the inventory is freed. */
static dc_status pick(dc_inventory *inv, const char *file, const char *id, dc_facts **out,
                      dc_error *err)
{
    size_t n = dc_inventory_count(inv), found = SIZE_MAX, devices = 0;
    for (size_t i = 0; i < n; i++) {
        if (id ? !strcmp(dc_inventory_id(inv, i), id) : !inv_is_type(inv, i)) {
            found = i;
            devices++;
        }
    }
    if (!id && devices == 0 && n == 1)
        found = 0, devices = 1;
    dc_status st = DC_OK;
    if (id && found == SIZE_MAX) {
        st = dc_error_set(err, DC_ERR_FACTS, "%s: no device '%s' (%zu devices%s%s%s)", file, id,
                          n, n ? ", the first '" : "", n ? dc_inventory_id(inv, 0) : "",
                          n ? "'" : "");
    } else if (devices != 1) {
        char ids[256] = "";
        size_t o = 0;
        for (size_t i = 0; i < n && o < 200; i++)
            if (devices == 0 || !inv_is_type(inv, i))
                o += (size_t)snprintf(ids + o, sizeof ids - o, "%s%s", o ? ", " : "",
                                      dc_inventory_id(inv, i));
        st = devices == 0 && n == 0
                 ? dc_error_set(err, DC_ERR_FACTS, "%s: no device", file)
                 : dc_error_set(err, DC_ERR_FACTS,
                                "%s: %zu devices (%s%s): name one as "
                                "FILE#ID",
                                file, devices ? devices : n, ids, o >= 200 ? ", ..." : "");
    } else {
        *out = inv_take(inv, found);
    }
    dc_inventory_free(inv);
    return st;
}

dc_status dc_facts_parse_source(dc_source source, const char *file, const char *text,
                                size_t len, const char *id, dc_facts **out, dc_error *err)
{
    if (!out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_parse_source: NULL argument");
    *out = NULL;
    if (source == DC_SOURCE_AUTO && !id)
        return facts_parse_any(NULL, file ? file : "<facts>", text, len, out, err);
    dc_inventory *inv;
    dc_status st = dc_inventory_parse_source(source, file, text, len, &inv, err);
    if (st != DC_OK)
        return st;
    return pick(inv, file ? file : "<input>", id, out, err);
}

/* ------------------------------------------------------------ arguments */

/* Standard input, whole (at most `max` bytes). */
static dc_status read_stdin(size_t max, char **data, size_t *len, dc_error *err)
{
    size_t cap = 65536, n = 0;
    char *buf = mem_alloc(NULL, cap + 1);
    if (!buf)
        return dc_error_set(err, DC_ERR_NOMEM, "<stdin>: out of memory");
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                mem_free(NULL, buf);
                return dc_error_set(err, DC_ERR_LIMIT,
                                    "<stdin>: more than %zu MiB (the "
                                    "limit)",
                                    max >> 20);
            }
            char *nb = mem_grow(NULL, buf, cap * 2 + 1, 1);
            if (!nb) {
                mem_free(NULL, buf);
                return dc_error_set(err, DC_ERR_NOMEM, "<stdin>: out of memory");
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(0, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            mem_free(NULL, buf);
            return dc_error_set(err, DC_ERR_IO, "<stdin>: %s", strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        mem_free(NULL, buf);
        return dc_error_set(err, DC_ERR_LIMIT, "<stdin>: more than %zu MiB (the limit)",
                            max >> 20);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return DC_OK;
}

static dc_status read_input(const char *path, char **data, size_t *len, dc_error *err)
{
    if (!strcmp(path, "-"))
        return read_stdin(SOURCE_MAX_FILE, data, len, err);
    return file_read_all(NULL, path, SOURCE_MAX_FILE, data, len, err);
}

/* A facts argument taken apart. */
typedef struct arg_parts {
    const struct source_row *row; /* PREFIX:FILE; NULL otherwise */
    bool sysfs;                   /* sysfs:DIR */
    bool live;                    /* libvirt+URI[:NODEDEV] */
    char *path;                   /* FILE, DIR, URI (allocated) */
    char *id;                     /* #ID or NODEDEV, or NULL (allocated) */
} arg_parts;

static void parts_free(arg_parts *p)
{
    mem_free(NULL, p->path);
    mem_free(NULL, p->id);
}

static dc_status split(const char *arg, arg_parts *p, dc_error *err)
{
    memset(p, 0, sizeof *p);
    const char *colon = strchr(arg, ':');
    const char *rest = arg;
    if (colon) {
        size_t plen = (size_t)(colon - arg);
        if (plen > 8 && !strncmp(arg, "libvirt+", 8)) {
            p->live = true;
            const char *last = strrchr(arg, ':');
            /* libvirt+URI:NODEDEV; the URI has its own "scheme:" */
            const char *uri = arg + 8;
            const char *scheme_end = strstr(uri, "://");
            bool has_dev = last > (scheme_end ? scheme_end + 2 : colon);
            size_t ulen = has_dev ? (size_t)(last - uri) : strlen(uri);
            p->path = mem_strndup(NULL, uri, ulen);
            if (has_dev && last[1])
                p->id = mem_strndup(NULL, last + 1, strlen(last + 1));
            if (!p->path || (has_dev && last[1] && !p->id))
                return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", arg);
            return DC_OK;
        }
        if (plen == 5 && !strncmp(arg, "sysfs", 5)) {
            p->sysfs = true;
            rest = colon + 1;
        } else {
            for (size_t i = 1; i < NSOURCES; i++)
                if (strlen(sources[i].prefix) == plen && !strncmp(arg, sources[i].prefix, plen))
                    p->row = &sources[i];
            if (p->row)
                rest = colon + 1;
        }
    }
    if ((p->row || p->sysfs) && !*rest)
        return dc_error_set(err, DC_ERR_INVALID, "%s: nothing after the prefix", arg);
    const char *hash = p->row ? strrchr(rest, '#') : NULL;
    size_t n = hash ? (size_t)(hash - rest) : strlen(rest);
    if (!(p->path = mem_strndup(NULL, rest, n)) ||
        (hash && !(p->id = mem_strndup(NULL, hash + 1, strlen(hash + 1)))))
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", arg);
    return DC_OK;
}

/* The source a file's first bytes show (DC_SOURCE_AUTO: a facts file). */
static dc_source sniff(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    const char *p = text + i;
    size_t n = len - i;
    if (n && p[0] == '<')
        return DC_SOURCE_LIBVIRT;
    if (n >= 5 && !memcmp(p, "Slot:", 5))
        return DC_SOURCE_LSPCI;
    size_t head = n < 4096 ? n : 4096;
    char first[4096 + 1];
    memcpy(first, p, head);
    first[head] = '\0';
    if (strstr(first, "ResourceSlice") && strstr(first, "resource.k8s.io/"))
        return DC_SOURCE_DRA;
    if (n && (p[0] == '{' || p[0] == '[')) {
        /* the first key of the first object */
        size_t k = 0;
        while (k < head && strchr("[{ \t\r\n", first[k]))
            k++;
        if (k < head && first[k] == '"') {
            const char *key = first + k + 1, *end = strchr(key, '"');
            size_t kl = end ? (size_t)(end - key) : 0;
            if ((kl == 4 && !memcmp(key, "info", 4)) || (kl == 4 && !memcmp(key, "port", 4)))
                return DC_SOURCE_DEVLINK;
            if (p[0] == '[' &&
                (imp_is_pci_address(key, kl) || (kl >= 8 && key[1] == '.' && key[3] == '.') ||
                 (kl == 6 && !memcmp(key, "matrix", 6))))
                return DC_SOURCE_MDEVCTL;
        }
    }
    return DC_SOURCE_AUTO;
}

/* A directory read as sysfs: on a sysfs file system, or with a `sys`
 * component in its path (a fake tree built for tests: ROOT/sys/...). */
static bool under_sysfs(const char *path)
{
    struct statfs sf;
    if (statfs(path, &sf) == 0 && (unsigned long)sf.f_type == SYSFS_MAGIC_NUMBER)
        return true;
    char *real = realpath(path, NULL);
    bool yes = real && (strstr(real, "/sys/") ||
                        (strlen(real) >= 4 && !strcmp(real + strlen(real) - 4, "/sys")));
    free(real);
    return yes;
}

/* A sysfs path for dc_facts_read_sysfs: below `root` when one is given,
 * else as given (a relative path from the current directory). */
static dc_status sysfs_facts(const char *root, const char *dir, dc_facts **out, dc_error *err)
{
    if ((root && *root) || dir[0] == '/')
        return dc_facts_read_sysfs(root, dir, out, err);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return dc_error_set(err, DC_ERR_IO, "%s: cannot find the current directory", dir);
    return dc_facts_read_sysfs(cwd, dir, out, err);
}

static bool is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The common start of dc_facts_open and dc_inventory_open: the arguments
 * checked (`*out` cleared) and `arg` split into its parts. */
static dc_status open_begin(const char *fn, const char *what, const char *arg, bool have_out,
                            arg_parts *p, dc_error *err)
{
    if (!arg || !have_out)
        return dc_error_set(err, DC_ERR_INVALID, "%s: NULL argument", fn);
    if (!*arg)
        return dc_error_set(err, DC_ERR_INVALID, "an empty %s argument", what);
    dc_status st = split(arg, p, err);
    if (st != DC_OK)
        parts_free(p);
    return st;
}

dc_status dc_facts_open(const char *arg, const char *sysfs_root, dc_facts **out, dc_error *err)
{
    if (out)
        *out = NULL;
    arg_parts p;
    dc_status st = open_begin("dc_facts_open", "facts", arg, out != NULL, &p, err);
    if (st != DC_OK)
        return st;
    if (p.live) {
        st = p.id ? dc_facts_read_libvirt(p.path, p.id, out, err)
                  : dc_error_set(err, DC_ERR_INVALID,
                                 "%s: name a node device: "
                                 "libvirt+URI:NODEDEV",
                                 arg);
    } else if (p.sysfs) {
        st = sysfs_facts(sysfs_root, p.path, out, err);
    } else if (!p.row && strcmp(p.path, "-") && is_directory(p.path)) {
        st = under_sysfs(p.path) ? sysfs_facts(NULL, p.path, out, err)
                                 : dc_error_set(err, DC_ERR_FACTS,
                                                "%s: a directory not under "
                                                "a sysfs tree (read it as sysfs with "
                                                "sysfs:%s)",
                                                p.path, p.path);
    } else {
        char *data;
        size_t len;
        const char *name = strcmp(p.path, "-") ? p.path : "<stdin>";
        if ((st = read_input(p.path, &data, &len, err)) == DC_OK) {
            dc_source s = p.row ? p.row->source : sniff(data, len);
            st = dc_facts_parse_source(s, name, data, len, p.id, out, err);
            mem_free(NULL, data);
        }
    }
    parts_free(&p);
    return st;
}

/* Every entry of a directory of sysfs devices (/sys/bus/pci/devices), in
 * name order, id = the entry's name. */
static dc_status sysfs_inventory(const char *root, const char *dir, dc_inventory **out,
                                 dc_error *err)
{
    char path[4096];
    int pn = root && *root ? snprintf(path, sizeof path, "%s/%s", root, dir)
                           : snprintf(path, sizeof path, "%s", dir);
    if (pn < 0 || (size_t)pn >= sizeof path)
        return dc_error_set(err, DC_ERR_LIMIT, "%s: path too long", dir);
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0)
        return dc_error_set(err, DC_ERR_IO, "%s: %s", path, strerror(errno));
    dc_inventory *inv = inv_new(NULL, path);
    dc_status st = inv ? DC_OK : dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < n; i++) {
        const char *e = names[i]->d_name;
        if (st == DC_OK && e[0] != '.') {
            char sub[4096 + 256];
            dc_facts *f;
            snprintf(sub, sizeof sub, "%s/%s", dir, e);
            struct stat sb;
            char full[4096 + 256];
            snprintf(full, sizeof full, "%s/%s", path, e);
            if (stat(full, &sb) == 0 && !S_ISDIR(sb.st_mode))
                st = dc_error_set(err, DC_ERR_FACTS,
                                  "%s: not a device directory (%s is read as a directory of "
                                  "devices: it holds neither vendor and device, mdev_type, "
                                  "nor device_api and available_instances)",
                                  full, path);
            else if ((st = sysfs_facts(root, sub, &f, err)) == DC_OK)
                st = inv_push(inv, e, strlen(e), f, 0, false, err);
        }
        free(names[i]);
    }
    free(names);
    if (st == DC_OK)
        st = inv_finish(inv, err);
    if (st != DC_OK) {
        dc_inventory_free(inv);
        return st;
    }
    inv_set_path(inv, NULL);
    *out = inv;
    return DC_OK;
}

dc_status dc_inventory_open(const char *arg, const char *sysfs_root, dc_inventory **out,
                            dc_error *err)
{
    if (out)
        *out = NULL;
    arg_parts p;
    dc_status st = open_begin("dc_inventory_open", "inventory", arg, out != NULL, &p, err);
    if (st != DC_OK)
        return st;
    if (p.live) {
        st = p.id ? virt_device_inventory(p.path, p.id, out, err)
                  : dc_inventory_read_libvirt(p.path, out, err);
    } else if (p.sysfs) {
        st = sysfs_inventory(sysfs_root, p.path, out, err);
    } else if (!p.row && strcmp(p.path, "-") && is_directory(p.path)) {
        st = under_sysfs(p.path) ? sysfs_inventory(NULL, p.path, out, err)
                                 : dc_inventory_read(p.path, out, err);
    } else {
        char *data;
        size_t len;
        const char *name = strcmp(p.path, "-") ? p.path : "<stdin>";
        if ((st = read_input(p.path, &data, &len, err)) == DC_OK) {
            dc_source s = p.row ? p.row->source : sniff(data, len);
            if (s == DC_SOURCE_AUTO)
                st = inventory_parse_yaml(name, data, len, out, err);
            else
                st = dc_inventory_parse_source(s, name, data, len, out, err);
            if (st == DC_OK && p.id) {
                dc_facts *one;
                st = pick(*out, name, p.id, &one, err);
                *out = NULL;
                if (st == DC_OK) {
                    dc_inventory *inv = inv_new(NULL, name);
                    if (!inv) {
                        dc_facts_free(one);
                        st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", name);
                    } else if ((st = inv_push(inv, p.id, strlen(p.id), one, 0, false, err)) ==
                               DC_OK) {
                        inv_set_path(inv, NULL);
                        *out = inv;
                    } else {
                        dc_inventory_free(inv);
                    }
                }
            }
            mem_free(NULL, data);
        }
    }
    parts_free(&p);
    return st;
}

/* A sysfs directory that is one device (or mdev type) rather than a
 * directory of them. */
static bool sysfs_is_device(const char *root, const char *dir)
{
    static const char *const marks[][2] = {
        { "vendor", "device" },
        { "mdev_type", NULL },
        { "device_api", "available_instances" },
    };
    char path[4096 + 64];
    struct stat st;
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
        bool all = true;
        for (size_t j = 0; j < 2 && marks[i][j]; j++) {
            snprintf(path, sizeof path, "%s%s%s/%s", root && *root ? root : "",
                     root && *root ? "/" : "", dir, marks[i][j]);
            all &= lstat(path, &st) == 0;
        }
        if (all)
            return true;
    }
    return false;
}

/* A YAML/JSON text whose first token is a sequence. */
static bool yaml_list(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && strchr(" \t\r\n", text[i]))
            i++;
        if (i < len && text[i] == '#') {
            const char *nl = memchr(text + i, '\n', len - i);
            i = nl ? (size_t)(nl - text) + 1 : len;
            continue;
        }
        if (len - i >= 3 && !memcmp(text + i, "---", 3)) {
            i += 3;
            continue;
        }
        break;
    }
    return i < len && (text[i] == '[' ||
                       (text[i] == '-' && i + 1 < len && strchr(" \t\r\n", text[i + 1])));
}

dc_status dc_source_open(const char *arg, const char *sysfs_root, dc_facts **facts,
                         dc_inventory **inv, dc_error *err)
{
    if (!arg || !facts || !inv)
        return dc_error_set(err, DC_ERR_INVALID, "dc_source_open: NULL argument");
    *facts = NULL;
    *inv = NULL;
    arg_parts p;
    dc_status st = split(arg, &p, err);
    bool many = false;
    if (st == DC_OK) {
        if (p.live)
            many = !p.id;
        else if (p.sysfs)
            many = !sysfs_is_device(sysfs_root, p.path);
        else if (p.row)
            many = !p.id;
        else if (strcmp(p.path, "-") && is_directory(p.path))
            many = !under_sysfs(p.path) || !sysfs_is_device(NULL, p.path);
        else if (strcmp(p.path, "-")) {
            char *data;
            size_t len;
            /* a plain file: an importer's format, or a YAML/JSON list */
            if (file_read_all(NULL, p.path, SOURCE_MAX_FILE, &data, &len, NULL) == DC_OK) {
                many = sniff(data, len) != DC_SOURCE_AUTO || yaml_list(data, len);
                mem_free(NULL, data);
            }
        }
    }
    parts_free(&p);
    if (st != DC_OK)
        return st;
    return many ? dc_inventory_open(arg, sysfs_root, inv, err)
                : dc_facts_open(arg, sysfs_root, facts, err);
}
