/* sysfs.c -- facts of a device or mdev type directory (docs/facts.md, format 3).
 *
 *   kind            recognised by                     derived facts
 *   PCI device      `vendor` and `device` files       vendor device subsystem_vendor
 *                                                     subsystem_device revision class
 *                                                     pci_id address driver [device_api]
 *                                                     a VF's pf.* and vf_index (physfn)
 *                                                     virtio.device_features, qat.services
 *   mdev device     an `mdev_type` symbolic link      type mdev_type device_api
 *   mdev type       `device_api`, `available_instances` type mdev_type device_api
 *                                                     available_instances [name description]
 *
 * Then, for any kind, the vendor's own facts: the SELF block of a
 * `migration_compatible` file and one fact per file of `migration/self/`.
 * They win over derived facts of the same name; a name set twice by the
 * vendor is an error.  Nothing is guessed: a file that cannot be read, holds
 * a byte that is not printable ASCII, or a value over 4096 bytes is an error
 * naming the file.
 *
 * Paths are ROOT/DIR; the kernel resolves symbolic links relative to where
 * they are, so a fake tree built in a temporary directory behaves like /sys.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "facts.h"
#include "import.h"
#include "limits.h"

#define SYSFS_PATH_MAX 4096
#define SYSFS_ATTR_MAX (64u << 10) /* bytes read from one attribute file */

typedef struct sysfs_dir {
    char path[SYSFS_PATH_MAX]; /* ROOT/DIR, no trailing '/' */
    size_t len;
    const dc_alloc *alloc; /* NULL: the default */
    dc_error *err;
} sysfs_dir;

/* DIR/NAME into buf; false (with an error) when too long. */
static bool join(const sysfs_dir *d, const char *name, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s/%s", d->len == 1 && d->path[0] == '/' ? "" : d->path, name);
    if (n < 0 || (size_t)n >= cap) {
        dc_error_set(d->err, DC_ERR_LIMIT, "%s/%s: path longer than %zu bytes", d->path, name,
                     cap - 1);
        return false;
    }
    return true;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Read an attribute file, trimmed, into *out (allocated); *out is NULL when
 * the file is absent and optional. */
static dc_status read_attr(const sysfs_dir *d, const char *name, bool required, char **out,
                           size_t *len, char *path, size_t cap)
{
    *out = NULL;
    *len = 0;
    if (!join(d, name, path, cap))
        return DC_ERR_LIMIT;
    if (!required && !exists(path))
        return DC_OK;
    char *data;
    size_t n;
    dc_status st = file_read_all(d->alloc, path, SYSFS_ATTR_MAX, &data, &n, d->err);
    if (st != DC_OK)
        return st;
    /* trimming takes blanks and newlines, not a CR: a control character
     * in a value is an error (docs/facts.md) */
    const char *cr = memchr(data, '\r', n);
    if (cr) {
        dc_status e =
            dc_error_set(d->err, DC_ERR_FACTS, "%s: control character 0x0d (CR) at byte %zu",
                         path, (size_t)(cr - data));
        mem_free(d->alloc, data);
        return e;
    }
    const char *p = data;
    facts_trim(&p, &n);
    memmove(data, p, n);
    data[n] = '\0';
    *out = data;
    *len = n;
    return DC_OK;
}

/* Read an attribute and add it as the fact named `as`. */
static dc_status add_attr(const sysfs_dir *d, dc_facts *f, const char *name, const char *as,
                          bool required)
{
    char path[SYSFS_PATH_MAX], *value;
    size_t len;
    dc_status st = read_attr(d, name, required, &value, &len, path, sizeof path);
    if (st != DC_OK || !value)
        return st;
    st = facts_add_at(f, path, 0, 0, as, strlen(as), value, len, d->err);
    mem_free(d->alloc, value);
    return st;
}

/* The last component of a link's target; *is_dir when it resolves to one.
 * A missing link gives an empty name; a broken one is an error. */
static dc_status link_target(const sysfs_dir *d, const char *name, char *base, size_t cap,
                             bool *present)
{
    char path[SYSFS_PATH_MAX], target[SYSFS_PATH_MAX];
    struct stat st;
    *present = false;
    if (!join(d, name, path, sizeof path))
        return DC_ERR_LIMIT;
    if (lstat(path, &st) != 0)
        return DC_OK;
    if (!S_ISLNK(st.st_mode))
        return dc_error_set(d->err, DC_ERR_FACTS, "%s: not a symbolic link", path);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) {
        char text[128];
        int e = errno;
        if (strerror_r(e, text, sizeof text) != 0)
            snprintf(text, sizeof text, "error %d", e);
        return dc_error_set(d->err, DC_ERR_IO, "%s: %s", path, text);
    }
    target[n] = '\0';
    if (stat(path, &st) != 0)
        return dc_error_set(d->err, DC_ERR_IO, "%s: %s (to '%s')", path,
                            errno == ELOOP ? "symbolic link loop" : "broken symbolic link",
                            target);
    while (n > 1 && target[n - 1] == '/')
        target[--n] = '\0';
    const char *slash = strrchr(target, '/');
    const char *b = slash ? slash + 1 : target;
    if (!*b || strlen(b) >= cap)
        return dc_error_set(d->err, DC_ERR_FACTS, "%s: cannot name the target '%s'", path,
                            target);
    memcpy(base, b, strlen(b) + 1);
    *present = true;
    return DC_OK;
}

/* "0x8086" as the kernel prints a PCI ID: 1 to 4 hex digits. */
static bool pci_id_part(const char *s, size_t n, unsigned *out)
{
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n == 0 || n > 4)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned digit;
        if (c >= '0' && c <= '9')
            digit = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            digit = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            digit = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = v * 16 + digit;
    }
    *out = v;
    return true;
}

/* The device's own address: its directory's name, when it is one. */
static dc_status pci_address(const sysfs_dir *d, dc_facts *f)
{
    char resolved[SYSFS_PATH_MAX + 1];
    const char *base = strrchr(d->path, '/');
    base = base ? base + 1 : d->path;
    if (!imp_is_pci_address(base, strlen(base)) && realpath(d->path, resolved)) {
        base = strrchr(resolved, '/');
        base = base ? base + 1 : resolved;
    }
    if (!imp_is_pci_address(base, strlen(base)))
        return DC_OK;
    return facts_add_at(f, d->path, 0, 0, "address", 7, base, strlen(base), d->err);
}

/* A PF driver's module parameter that a VF's policy reads, as a fact of
 * the VF (docs/facts.md, "sysfs, more"): hisi_acc_vfio_pci's destination
 * derives a VF's queue pairs from the PF's pf_q_num (policies/hisi-acc-vf). */
static const struct pf_param {
    const char *driver, *param, *fact;
} pf_params[] = {
    { "hisi_sec2", "pf_q_num", "hisi.pf_q_num" },
    { "hisi_hpre", "pf_q_num", "hisi.pf_q_num" },
    { "hisi_zip", "pf_q_num", "hisi.pf_q_num" },
};

static dc_status pf_driver_params(const sysfs_dir *pf, dc_facts *f, const char *driver)
{
    dc_status st = DC_OK;
    for (size_t i = 0; st == DC_OK && i < sizeof pf_params / sizeof *pf_params; i++) {
        char name[128];
        if (strcmp(driver, pf_params[i].driver))
            continue;
        snprintf(name, sizeof name, "driver/module/parameters/%s", pf_params[i].param);
        st = add_attr(pf, f, name, pf_params[i].fact, false);
    }
    return st;
}

/* A VF's physical function through `physfn`: pf.address, pf.pci_id,
 * pf.revision, pf.driver, pf.sriov_numvfs (how many VFs the PF has
 * enabled), a few PF driver parameters (above), and vf_index (the PF's
 * virtfnN that is this VF). */
static dc_status pci_pf(const sysfs_dir *d, dc_facts *f)
{
    char pf_addr[256];
    bool present;
    dc_status st = link_target(d, "physfn", pf_addr, sizeof pf_addr, &present);
    if (st != DC_OK || !present)
        return st;
    if ((st = facts_add_at(f, d->path, 0, 0, "pf.address", 10, pf_addr, strlen(pf_addr),
                           d->err)) != DC_OK)
        return st;
    sysfs_dir pf = *d;
    if (!join(d, "physfn", pf.path, sizeof pf.path))
        return DC_ERR_LIMIT;
    pf.len = strlen(pf.path);
    dc_facts *pff = facts_new(d->alloc);
    if (!pff)
        return dc_error_set(d->err, DC_ERR_NOMEM, "%s: out of memory", d->path);
    static const char *const attrs[] = { "vendor", "device", "revision" };
    for (size_t i = 0; st == DC_OK && i < 3; i++)
        st = add_attr(&pf, pff, attrs[i], attrs[i], i < 2);
    const char *v = dc_facts_lookup(pff, "vendor"), *dv = dc_facts_lookup(pff, "device");
    uint32_t vid, did;
    if (st == DC_OK && (!imp_hex(v, strlen(v), 4, &vid) || !imp_hex(dv, strlen(dv), 4, &did)))
        st = dc_error_set(d->err, DC_ERR_FACTS, "%s: the PF's vendor or device is not a PCI ID",
                          pf.path);
    if (st == DC_OK) {
        char id[16];
        snprintf(id, sizeof id, "%04x%04x", vid, did);
        st = facts_add_at(f, d->path, 0, 0, "pf.pci_id", 9, id, 8, d->err);
    }
    const char *rev = st == DC_OK ? dc_facts_lookup(pff, "revision") : NULL;
    if (rev)
        st = facts_add_at(f, d->path, 0, 0, "pf.revision", 11, rev, strlen(rev), d->err);
    char driver[256];
    bool bound = false;
    if (st == DC_OK)
        st = link_target(&pf, "driver", driver, sizeof driver, &bound);
    if (st == DC_OK && bound)
        st = facts_add_at(f, d->path, 0, 0, "pf.driver", 9, driver, strlen(driver), d->err);
    if (st == DC_OK)
        st = add_attr(&pf, f, "sriov_numvfs", "pf.sriov_numvfs", false);
    if (st == DC_OK && bound)
        st = pf_driver_params(&pf, f, driver);
    dc_facts_free(pff);
    /* vf_index: virtfn0, virtfn1... of the PF, each a link to a VF */
    const fact *own = facts_find(f, "address", 7);
    for (unsigned i = 0; st == DC_OK && own && i < 4096; i++) {
        char name[32], target[256];
        snprintf(name, sizeof name, "virtfn%u", i);
        if ((st = link_target(&pf, name, target, sizeof target, &present)) != DC_OK || !present)
            break;
        if (!strcmp(target, own->value)) {
            snprintf(name, sizeof name, "%u", i);
            st = facts_add_at(f, d->path, 0, 0, "vf_index", 8, name, strlen(name), d->err);
            break;
        }
    }
    return st;
}

/* A virtio device's `features` (a string of '0'/'1', bit 0 first), in the
 * directory or in its virtioN child, as virtio.device_features: the set of
 * the indices of its 1 bits. */
static dc_status virtio_features(const sysfs_dir *d, dc_facts *f)
{
    char path[SYSFS_PATH_MAX], *value = NULL;
    size_t len;
    dc_status st = read_attr(d, "features", false, &value, &len, path, sizeof path);
    if (st == DC_OK && !value) {
        DIR *dir = opendir(d->path);
        struct dirent *e;
        char child[SYSFS_PATH_MAX];
        child[0] = '\0';
        while (dir && (e = readdir(dir)))
            if (!strncmp(e->d_name, "virtio", 6) && e->d_name[6] >= '0' && e->d_name[6] <= '9')
                snprintf(child, sizeof child, "%s/features", e->d_name);
        if (dir)
            closedir(dir);
        if (child[0])
            st = read_attr(d, child, false, &value, &len, path, sizeof path);
    }
    if (st != DC_OK || !value)
        return st;
    char set[DC_MAX_VALUE + 1];
    size_t o = 0;
    for (size_t i = 0; i < len && st == DC_OK; i++) {
        if (value[i] != '0' && value[i] != '1')
            st = dc_error_set(d->err, DC_ERR_FACTS, "%s: byte %zu is not '0' or '1'", path,
                              i + 1);
        else if (value[i] == '1') {
            /* the set may not outgrow a value: refused, never truncated */
            int w = snprintf(set + o, sizeof set - o, "%s%zu", o ? "," : "", i);
            if (w < 0 || (size_t)w >= sizeof set - o)
                st = dc_error_set(d->err, DC_ERR_LIMIT,
                                  "%s: virtio.device_features would be longer than %d bytes "
                                  "(the limit)",
                                  path, DC_MAX_VALUE);
            else
                o += (size_t)w;
        }
    }
    mem_free(d->alloc, value);
    if (st != DC_OK)
        return st;
    return facts_add_at(f, path, 0, 0, "virtio.device_features", 22, set, o, d->err);
}

/* QAT's qat/cfg_services ("sym;asym", "dc") as qat.services, a set.  Only
 * this file: qat_rl/ needs writes before reads, and a reader never writes. */
static dc_status qat_services(const sysfs_dir *d, dc_facts *f)
{
    char path[SYSFS_PATH_MAX], *value;
    size_t len;
    dc_status st = read_attr(d, "qat/cfg_services", false, &value, &len, path, sizeof path);
    if (st != DC_OK || !value)
        return st;
    for (size_t i = 0; i < len; i++)
        if (value[i] == ';')
            value[i] = ',';
    st = facts_add_at(f, path, 0, 0, "qat.services", 12, value, len, d->err);
    mem_free(d->alloc, value);
    return st;
}

static dc_status pci_device(const sysfs_dir *d, dc_facts *f)
{
    static const char *const attrs[] = {
        "vendor", "device", "subsystem_vendor", "subsystem_device", "revision", "class",
    };
    dc_status st;
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
        if ((st = add_attr(d, f, attrs[i], attrs[i], i < 2)) != DC_OK)
            return st;
    unsigned ids[2];
    for (int i = 0; i < 2; i++) {
        const char *name = i ? "device" : "vendor";
        const fact *x = facts_find(f, name, strlen(name));
        if (!pci_id_part(x->value, x->value_len, &ids[i])) {
            char path[SYSFS_PATH_MAX];
            join(d, name, path, sizeof path);
            return dc_error_set(d->err, DC_ERR_FACTS,
                                "%s: '%.32s' is not a PCI ID (0x and 4 hex digits)", path,
                                x->value);
        }
    }
    char pci_id[16];
    snprintf(pci_id, sizeof pci_id, "%04x%04x", ids[0], ids[1]);
    if ((st = facts_add_at(f, d->path, 0, 0, "pci_id", 6, pci_id, 8, d->err)) != DC_OK)
        return st;
    if ((st = pci_address(d, f)) != DC_OK || (st = pci_pf(d, f)) != DC_OK ||
        (st = virtio_features(d, f)) != DC_OK || (st = qat_services(d, f)) != DC_OK)
        return st;
    char driver[256];
    bool bound;
    if ((st = link_target(d, "driver", driver, sizeof driver, &bound)) != DC_OK || !bound)
        return st;
    if ((st = facts_add_at(f, d->path, 0, 0, "driver", 6, driver, strlen(driver), d->err)))
        return st;
    if (imp_is_vfio_pci(driver, strlen(driver)))
        st = facts_add_at(f, d->path, 0, 0, "device_api", 10, "vfio-pci", 8, d->err);
    return st;
}

static dc_status mdev_device(const sysfs_dir *d, dc_facts *f)
{
    char type[256];
    bool present;
    dc_status st = link_target(d, "mdev_type", type, sizeof type, &present);
    if (st != DC_OK)
        return st;
    size_t n = strlen(type);
    if ((st = facts_add_at(f, d->path, 0, 0, "type", 4, type, n, d->err)) != DC_OK ||
        (st = facts_add_at(f, d->path, 0, 0, "mdev_type", 9, type, n, d->err)) != DC_OK)
        return st;
    return add_attr(d, f, "mdev_type/device_api", "device_api", true);
}

static dc_status mdev_type(const sysfs_dir *d, dc_facts *f)
{
    char resolved[SYSFS_PATH_MAX + 1];
    const char *base = strrchr(d->path, '/');
    base = base ? base + 1 : d->path;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        if (!realpath(d->path, resolved))
            return dc_error_set(d->err, DC_ERR_IO, "%s: cannot resolve the type's name",
                                d->path);
        base = strrchr(resolved, '/');
        base = base ? base + 1 : resolved;
    }
    size_t n = strlen(base);
    dc_status st;
    if ((st = facts_add_at(f, d->path, 0, 0, "type", 4, base, n, d->err)) != DC_OK ||
        (st = facts_add_at(f, d->path, 0, 0, "mdev_type", 9, base, n, d->err)) != DC_OK ||
        (st = add_attr(d, f, "device_api", "device_api", true)) != DC_OK ||
        (st = add_attr(d, f, "available_instances", "available_instances", true)) != DC_OK ||
        (st = add_attr(d, f, "name", "name", false)) != DC_OK)
        return st;
    return add_attr(d, f, "description", "description", false);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One fact per regular file of DIR/migration/self, in name order. */
static dc_status migration_self(const sysfs_dir *d, dc_facts *vendor, const char *compat_path)
{
    char path[SYSFS_PATH_MAX];
    if (!join(d, "migration/self", path, sizeof path))
        return DC_ERR_LIMIT;
    struct stat st;
    if (lstat(path, &st) != 0)
        return DC_OK;
    DIR *dir = opendir(path);
    if (!dir) {
        char text[128];
        int e = errno;
        if (strerror_r(e, text, sizeof text) != 0)
            snprintf(text, sizeof text, "error %d", e);
        return dc_error_set(d->err, DC_ERR_IO, "%s: %s", path, text);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    dc_status status = DC_OK;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        /* every entry is a fact: past the limit, refuse before listing on */
        if (n == DC_MAX_FACTS) {
            status = dc_error_set(d->err, DC_ERR_LIMIT,
                                  "%s: more than %d entries, each a fact (the limit)", path,
                                  DC_MAX_FACTS);
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nn = mem_grow(d->alloc, names, ncap, sizeof *names);
            if (!nn) {
                status = dc_error_set(d->err, DC_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = mem_strndup(d->alloc, e->d_name, strlen(e->d_name)))) {
            status = dc_error_set(d->err, DC_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        n++;
    }
    closedir(dir);
    if (status == DC_OK && n > 1)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n && status == DC_OK; i++) {
        char file[SYSFS_PATH_MAX], msg[512];
        int len = snprintf(file, sizeof file, "%s/%s", path, names[i]);
        if (len < 0 || (size_t)len >= sizeof file) {
            status = dc_error_set(d->err, DC_ERR_LIMIT, "%s/%s: path too long", path, names[i]);
            break;
        }
        size_t name_len = strlen(names[i]);
        if (!facts_valid_name(names[i], name_len, msg, sizeof msg)) {
            status = dc_error_set(d->err, name_len > DC_MAX_NAME ? DC_ERR_LIMIT : DC_ERR_FACTS,
                                  "%s: %s", file, msg);
            break;
        }
        if (facts_find(vendor, names[i], name_len)) {
            status = dc_error_set(d->err, DC_ERR_FACTS, "%s: fact '%s' is also set by %s", file,
                                  names[i], compat_path);
            break;
        }
        char *data;
        size_t dlen;
        status = file_read_all(d->alloc, file, SYSFS_ATTR_MAX, &data, &dlen, d->err);
        if (status != DC_OK)
            break;
        status = facts_add_at(vendor, file, 0, 0, names[i], name_len, data, dlen, d->err);
        mem_free(d->alloc, data);
    }
    for (size_t i = 0; i < n; i++)
        mem_free(d->alloc, names[i]);
    mem_free(d->alloc, names);
    return status;
}

/* The vendor's facts: migration_compatible's SELF block, migration/self/. */
static dc_status vendor_facts(const sysfs_dir *d, dc_facts **vendor)
{
    char path[SYSFS_PATH_MAX];
    dc_status st;
    *vendor = NULL;
    if (!join(d, "migration_compatible", path, sizeof path))
        return DC_ERR_LIMIT;
    if (exists(path)) {
        char *text;
        size_t len;
        if ((st = file_read_all(d->alloc, path, DC_MAX_SOURCE, &text, &len, d->err)) != DC_OK)
            return st;
        st = facts_parse_text_ex(d->alloc, path, text, len, vendor, d->err);
        mem_free(d->alloc, text);
        if (st != DC_OK)
            return st;
    } else if (!(*vendor = facts_new(d->alloc))) {
        return dc_error_set(d->err, DC_ERR_NOMEM, "%s: out of memory", d->path);
    }
    st = migration_self(d, *vendor, path);
    if (st != DC_OK) {
        dc_facts_free(*vendor);
        *vendor = NULL;
    }
    return st;
}

dc_status dc_facts_read_sysfs(const char *root, const char *dir, dc_facts **out, dc_error *err)
{
    return facts_read_sysfs_ex(NULL, root, dir, out, err);
}

dc_status facts_read_sysfs_ex(const dc_alloc *alloc, const char *root, const char *dir,
                              dc_facts **out, dc_error *err)
{
    if (!out || !dir || !*dir)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_read_sysfs: no directory");
    *out = NULL;
    if (!root || !*root)
        root = "/";
    sysfs_dir d;
    d.alloc = alloc;
    d.err = err;
    size_t rlen = strlen(root);
    while (rlen > 1 && root[rlen - 1] == '/')
        rlen--;
    while (*dir == '/')
        dir++;
    int n = snprintf(d.path, sizeof d.path, "%.*s%s%s", (int)rlen, root,
                     rlen == 1 && root[0] == '/' ? "" : "/", dir);
    if (n < 0 || (size_t)n >= sizeof d.path)
        return dc_error_set(err, DC_ERR_LIMIT, "%s/%s: path longer than %zu bytes", root, dir,
                            sizeof d.path - 1);
    d.len = (size_t)n;
    while (d.len > 1 && d.path[d.len - 1] == '/')
        d.path[--d.len] = '\0';

    struct stat st;
    if (stat(d.path, &st) != 0) {
        int e = errno;
        if (e == ENOENT && lstat(d.path, &st) == 0)
            return dc_error_set(err, DC_ERR_IO, "%s: broken symbolic link", d.path);
        if (e == ELOOP)
            return dc_error_set(err, DC_ERR_IO, "%s: symbolic link loop", d.path);
        char text[128];
        if (strerror_r(e, text, sizeof text) != 0)
            snprintf(text, sizeof text, "error %d", e);
        return dc_error_set(err, DC_ERR_IO, "%s: %s", d.path, text);
    }
    if (!S_ISDIR(st.st_mode))
        return dc_error_set(err, DC_ERR_FACTS, "%s: not a directory", d.path);

    char path[SYSFS_PATH_MAX], path2[SYSFS_PATH_MAX];
    dc_facts *derived = facts_new(alloc), *vendor = NULL, *f = NULL;
    if (!derived)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", d.path);
    dc_status status;
    if (!join(&d, "mdev_type", path, sizeof path)) {
        status = DC_ERR_LIMIT;
    } else if (lstat(path, &st) == 0) {
        status = mdev_device(&d, derived);
    } else if (join(&d, "vendor", path, sizeof path) && exists(path) &&
               join(&d, "device", path2, sizeof path2) && exists(path2)) {
        status = pci_device(&d, derived);
    } else if (join(&d, "device_api", path, sizeof path) && exists(path) &&
               join(&d, "available_instances", path2, sizeof path2) && exists(path2)) {
        status = mdev_type(&d, derived);
    } else {
        status = dc_error_set(err, DC_ERR_FACTS,
                              "%s: not a PCI device (vendor, device), mdev device (mdev_type) "
                              "or mdev type (device_api, available_instances) directory",
                              d.path);
    }
    if (status == DC_OK)
        status = vendor_facts(&d, &vendor);
    if (status == DC_OK && !(f = facts_new(alloc)))
        status = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", d.path);
    /* Vendor facts win over derived ones. */
    for (size_t i = 0; status == DC_OK && i < vendor->n; i++) {
        const fact *x = &vendor->items[i];
        status =
            facts_add_at(f, d.path, 0, 0, x->name, x->name_len, x->value, x->value_len, err);
    }
    for (size_t i = 0; status == DC_OK && i < derived->n; i++) {
        const fact *x = &derived->items[i];
        if (!facts_find(vendor, x->name, x->name_len))
            status = facts_add_at(f, d.path, 0, 0, x->name, x->name_len, x->value, x->value_len,
                                  err);
    }
    dc_facts_free(derived);
    dc_facts_free(vendor);
    if (status != DC_OK) {
        dc_facts_free(f);
        return status;
    }
    *out = f;
    return DC_OK;
}
