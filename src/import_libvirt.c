/* import_libvirt.c -- libvirt node device XML (docs/facts.md, "libvirt").
 *
 *   <device>                       one device (virsh nodedev-dumpxml), or
 *   <node> <device>... </node>     many (the test driver's file), or
 *   <devices> <device>... </devices>
 *
 *   device element             facts
 *   name                       libvirt.name (and the device's id)
 *   parent, path, devnode      libvirt.parent, libvirt.path, libvirt.devnode
 *   driver/name                driver [device_api=vfio-pci]
 *   capability type='pci'      address vendor device pci_id class iommu_group
 *                              numa_node, names as libvirt.vendor_name and
 *                              libvirt.product_name, phys_function -> pf.address
 *                              (and pf.pci_id, pf.driver, vf_index when the PF
 *                              is in the same input), virt_functions ->
 *                              libvirt.virt_functions.{count,max_count},
 *                              mdev_types -> one more device per type
 *   capability type='mdev'     type mdev_type uuid iommu_group attr.NAME parent
 *                              (device_api from the parent's type, when there)
 *   an mdev type               type mdev_type device_api available_instances
 *                              name parent (the parent's address); id DEVICE/TYPE
 *
 * Other elements are kept under `libvirt.` (attributes as `.NAME`, a
 * repeated element as NAME_2, NAME_3...).  Devices of other kinds (USB,
 * net, storage, ccw...) are not read; their mdev types (css, ap_matrix)
 * are.  An unknown capability type is an error: libvirt's schema
 * (nodedev.rng) names every one.  libxml2 parses; nothing here reads XML
 * by hand.  Entities are not expanded and no DTD or network is loaded.
 *
 * The input is streamed (libxml2's SAX2 interface): each <device> is built
 * as a small tree of its elements in an arena, read, and forgotten, so a
 * host of 100 000 devices never becomes one document in memory
 * (docs/performance.md, "Importers").  What relates devices to each other
 * (a VF's PF, an mdev's parent) is kept as numbers and copies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "import.h"
#include "limits.h"

#ifndef HAVE_LIBXML2

/* Built --without-xml (configure.ac): the format is known, and refused. */
dc_status import_libvirt(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                         dc_inventory *inv, dc_error *err)
{
    (void)alloc, (void)text, (void)len, (void)inv;
    return dc_error_set(err, DC_ERR_INVALID,
                        "%s: this devcompat was built without libxml2 "
                        "(configure --with-xml, with libxml2-dev installed): libvirt XML "
                        "cannot be read",
                        file ? file : "libvirt");
}

#else

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

/* Device kinds libvirt reports that devcompat does not read as devices. */
static const char *const other_kinds[] = {
    "system",    "usb_device",     "usb", "net",          "scsi_host", "scsi_target",
    "scsi",      "storage",        "drm", "scsi_generic", "fc_host",   "vports",
    "vport_ops", "fc_remote_port", "ccw", "css",          "vdpa",      "ap_card",
    "ap_queue",  "ap_matrix",
};

/* The element and attribute names read, looked up once in the parser's
 * dictionary (libxml2 hands every name over from there): compared as
 * pointers. */
#define LV_NAMES(X)                                                                            \
    X(address)                                                                                 \
    X(attr)                                                                                    \
    X(availableInstances)                                                                      \
    X(bus)                                                                                     \
    X(capability)                                                                              \
    X(class)                                                                                   \
    X(cssid)                                                                                   \
    X(device)                                                                                  \
    X(deviceAPI)                                                                               \
    X(devno)                                                                                   \
    X(domain)                                                                                  \
    X(driver)                                                                                  \
    X(function)                                                                                \
    X(id)                                                                                      \
    X(iommuGroup)                                                                              \
    X(maxCount)                                                                                \
    X(name)                                                                                    \
    X(node)                                                                                    \
    X(numa)                                                                                    \
    X(number)                                                                                  \
    X(parent)                                                                                  \
    X(parent_addr)                                                                             \
    X(path)                                                                                    \
    X(product)                                                                                 \
    X(slot)                                                                                    \
    X(ssid)                                                                                    \
    X(type)                                                                                    \
    X(uuid)                                                                                    \
    X(value)                                                                                   \
    X(vendor)

enum name {
#define NAME_ENUM(n) NM_##n,
    LV_NAMES(NAME_ENUM) NM_COUNT
#undef NAME_ENUM
};

static const char *const name_text[NM_COUNT] = {
#define NAME_TEXT(n) #n,
    LV_NAMES(NAME_TEXT)
#undef NAME_TEXT
};

/* ------------------------------------------------- one device's elements */

typedef struct xattr {
    const char *name; /* libxml2's dictionary: lives as long as the parser */
    const char *value;
    size_t len; /* of value */
} xattr;

/* An element of the device being read (arena-allocated, forgotten when the
 * device has been read). */
typedef struct xnode {
    const char *name; /* libxml2's dictionary */
    const xattr *attrs;
    unsigned nattrs;
    uint32_t line;
    char *text; /* the character data directly inside, NUL-terminated */
    size_t len, cap;
    bool nonblank;  /* some of the text is not blank */
    bool commented; /* a comment or PI came after text */
    bool split;     /* ... and text after it: the value is in pieces */
    bool pi;        /* a processing instruction inside */
    struct xnode *parent, *first, *last, *next;
} xnode;

enum kind { K_OTHER, K_PCI, K_MDEV };

/* What is kept of a device once its elements are forgotten. */
typedef struct lv_dev {
    char *id; /* in lv_ctx.kept, as parent and mdev_type */
    dc_facts *facts;
    enum kind kind;
    uint32_t line;
    uint32_t key;         /* PCI: the address as a number (domain, bus, slot, function) */
    uint32_t pf_key;      /* a VF's PF address as a number */
    bool has_pf;          /* ... when it has one */
    bool related;         /* its PF's facts added as it was read */
    char address[16];     /* PCI: own; "" otherwise */
    char *parent;         /* <parent> text, or NULL */
    char *mdev_type;      /* an mdev's type id, or NULL */
    char parent_addr[32]; /* what its mdev types name as parent ("" none) */
    size_t types, ntypes; /* its mdev types in lv_ctx.types */
} lv_dev;

/* One mdev type of a device: a device that could be created. */
typedef struct lv_type {
    char *id; /* DEVICE/TYPE */
    dc_facts *facts;
    uint32_t line;
} lv_type;

/* A PF's virt_functions entry: VF `vf` is the PF's `index`th. */
typedef struct lv_vfref {
    uint32_t vf, index;
    size_t pf; /* in lv_ctx.devs */
} lv_vfref;

typedef struct lv_map {
    uint64_t *keys;
    uint32_t *vals;
    uint32_t n, cap; /* cap: a power of two */
} lv_map;

typedef struct lv_ctx {
    const dc_alloc *alloc;
    const char *file;
    dc_error *err;
    dc_status st;
    xmlParserCtxtPtr parser;
    /* the stream */
    unsigned depth;     /* of the element being read (1: the root) */
    unsigned dev_depth; /* of the <device> being read, 0 outside one */
    bool list;          /* the root is <node> or <devices> */
    const char *root_name;
    uint32_t root_line;
    arena nodes; /* the current device's elements */
    arena kept;  /* ids, parents and mdev types of every device */
    xnode *cur;
    facts_batch batch;           /* the current device's facts */
    const char *names[NM_COUNT]; /* in the parser's dictionary */
    /* what is kept */
    lv_dev *devs;
    size_t n, cap;
    lv_type *types;
    size_t ntypes, types_cap;
    lv_vfref *vfrefs;
    size_t nvfrefs, vfrefs_cap;
    /* A VF read after its PF gets the PF's facts at once, while both are
     * in the cache, found through these maps; relate() does the others.
     * Where an address is two devices', or a VF twice in one PF's list,
     * which one relate() picks is its own: the text is read again with
     * `late` set, every VF related there. */
    bool late, ambiguous;
    lv_map pci_at; /* PCI address -> device */
    lv_map vf_at;  /* (VF address, PF) -> vfref */
} lv_ctx;

/* ------------------------------------------------------------ maps */

/* A 64-bit key to a 32-bit value (open addressing; keys are stored plus
 * one, 0 marking an empty slot). */
static uint32_t *map_slot(const lv_map *m, uint64_t key)
{
    uint32_t mask = m->cap - 1;
    for (uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15u) >> 32) & mask;; i = (i + 1) & mask)
        if (!m->keys[i] || m->keys[i] == key + 1)
            return &m->vals[i];
}

/* The value at key, or NULL. */
static const uint32_t *map_get(const lv_map *m, uint64_t key)
{
    if (!m->n)
        return NULL;
    const uint32_t *v = map_slot(m, key);
    return m->keys[v - m->vals] ? v : NULL;
}

/* Set key to value; *dup when it had one (the first value stays).  False
 * when out of memory. */
static bool map_put(const dc_alloc *alloc, lv_map *m, uint64_t key, uint32_t value, bool *dup)
{
    if (2 * (m->n + 1) > m->cap) {
        lv_map grown = { NULL, NULL, 0, m->cap ? m->cap * 2 : 1024 };
        grown.keys = mem_array(alloc, grown.cap, sizeof *grown.keys);
        grown.vals = mem_array(alloc, grown.cap, sizeof *grown.vals);
        if (!grown.keys || !grown.vals) {
            mem_free(alloc, grown.keys);
            mem_free(alloc, grown.vals);
            return false;
        }
        memset(grown.keys, 0, grown.cap * sizeof *grown.keys);
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                uint32_t *v = map_slot(&grown, m->keys[i] - 1);
                grown.keys[v - grown.vals] = m->keys[i];
                *v = m->vals[i];
            }
        grown.n = m->n;
        mem_free(alloc, m->keys);
        mem_free(alloc, m->vals);
        *m = grown;
    }
    uint32_t *v = map_slot(m, key);
    if (m->keys[v - m->vals]) {
        *dup = true;
        return true;
    }
    m->keys[v - m->vals] = key + 1;
    *v = value;
    m->n++;
    return true;
}

static void map_free(const dc_alloc *alloc, lv_map *m)
{
    mem_free(alloc, m->keys);
    mem_free(alloc, m->vals);
}

/* Room for one more item of a growing array. */
static bool room(lv_ctx *c, void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = mem_grow(c->alloc, *items, ncap, size);
    if (!p)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

static uint32_t line_of(const xnode *n)
{
    return n->line;
}

/* Is n the element named `name` (compared as libxml2's dictionary
 * pointers: one comparison, not strcmp)? */
static bool is(const lv_ctx *c, const xnode *n, enum name name)
{
    return n && n->name == c->names[name];
}

/* The value of attribute `name`, or NULL. */
static const char *prop(const lv_ctx *c, const xnode *n, enum name name)
{
    for (unsigned i = 0; i < n->nattrs; i++)
        if (n->attrs[i].name == c->names[name])
            return n->attrs[i].value;
    return NULL;
}

static dc_status error_at(lv_ctx *c, uint32_t line, const char *element, const char *fmt,
                          const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, what);
    return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u: <%s>: %s", c->file, line, element, msg);
}

static dc_status xml_error(lv_ctx *c, const xnode *n, const char *fmt, const char *what)
{
    return error_at(c, line_of(n), n->name, fmt, what);
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] > ' ' ||
            (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r'))
            return false;
    return true;
}

/* The error for text that is not blank among elements: the text, trimmed,
 * at most 40 bytes of it. */
static dc_status mixed(lv_ctx *c, uint32_t line, const char *element, const char *s, size_t n)
{
    facts_trim(&s, &n);
    char shown[41];
    n = n < 40 ? n : 40;
    memcpy(shown, s, n);
    shown[n] = '\0';
    return error_at(c, line, element, "text among elements: '%s'", shown);
}

/* The first element child of n; text that is not blank between elements is
 * an error (*st). */
static const xnode *children(lv_ctx *c, const xnode *n, dc_status *st)
{
    if (n->first && n->nonblank) {
        *st = mixed(c, line_of(n), n->name, n->text, n->len);
        return NULL;
    }
    return n->first;
}

#define EACH_ELEMENT(c, parent, k, st)                                                         \
    for (const xnode *k = children(c, (parent), &st); k; k = k->next)

/* The text of an element that holds only text ("" when empty); NULL with
 * an error when it holds elements. */
static const char *text_of(lv_ctx *c, const xnode *n, dc_status *st)
{
    if (n->first || n->pi) {
        *st = xml_error(c, n, "%s", "expected text, found an element");
        return NULL;
    }
    if (n->split) {
        *st = xml_error(c, n, "%s", "text in pieces (comments inside a value)");
        return NULL;
    }
    return n->text ? n->text : "";
}

/* ------------------------------------------------------- kept as found */

/* "NAME_N" into buf, cut as snprintf cuts it (written by hand: one a
 * device, in libvirt's <link>s). */
static void nth_name(char *buf, size_t cap, const char *name, unsigned nth)
{
    char num[16];
    size_t len = strlen(name);
    imp_decimal(nth, num);
    size_t nl = strlen(num);
    if (len + 1 + nl >= cap) {
        snprintf(buf, cap, "%s_%s", name, num);
        return;
    }
    memcpy(buf, name, len);
    buf[len] = '_';
    memcpy(buf + len + 1, num, nl + 1);
}

/* An element no standard name covers: NAME=text, NAME.ATTR=value, its
 * elements below NAME; the second element of a name among its siblings
 * is NAME_2, and so on. */
static dc_status keep(lv_ctx *c, imp_dev *d, const char *prefix, const xnode *n,
                      const char *name)
{
    char full[DC_MAX_NAME + 8];
    dc_status st = DC_OK;
    if (!imp_name(full, sizeof full, prefix, name, strlen(name)))
        return xml_error(c, n, "%s", "cannot be named as a fact");
    d->line = line_of(n);
    for (unsigned i = 0; i < n->nattrs && st == DC_OK; i++) {
        char an[DC_MAX_NAME + 8];
        const char *a = n->attrs[i].name, *v = n->attrs[i].value;
        if (!imp_name(an, sizeof an, full, a, strlen(a)))
            return xml_error(c, n, "attribute '%s' cannot be named as a fact", a);
        st = imp_add_text(d, an, v, n->attrs[i].len);
    }
    if (st != DC_OK)
        return st;
    if (!n->first) {
        const char *t = text_of(c, n, &st);
        if (!t)
            return st;
        size_t len = strlen(t);
        const char *p = t;
        facts_trim(&p, &len);
        return len || !n->nattrs ? imp_add_text(d, full, p, len) : DC_OK;
    }
    EACH_ELEMENT(c, n, k, st)
    {
        /* the count of earlier siblings of the same name */
        unsigned nth = 1;
        for (const xnode *s = n->first; s != k; s = s->next)
            nth += s->name == k->name;
        char kn[DC_MAX_NAME + 8];
        if (nth > 1)
            nth_name(kn, sizeof kn, k->name, nth);
        if ((st = keep(c, d, full, k, nth > 1 ? kn : k->name)) != DC_OK)
            return st;
    }
    return st;
}

/* ------------------------------------------------------------ numbers */

static dc_status number(lv_ctx *c, const xnode *n, const char *v, uint32_t max, uint32_t *out)
{
    if (!v)
        return xml_error(c, n, "%s", "a number is missing");
    size_t len = strlen(v);
    const char *p = v;
    facts_trim(&p, &len);
    if (!imp_number(p, len, max, out))
        return xml_error(c, n, "'%.40s' is not a number in range", v);
    return DC_OK;
}

static uint32_t address_key(uint32_t dom, uint32_t bus, uint32_t slot, uint32_t fn)
{
    return dom << 16 | bus << 8 | slot << 3 | fn;
}

/* <address domain= bus= slot= function=/> as DDDD:BB:DD.F (buf may be
 * NULL) and as a number */
static dc_status address(lv_ctx *c, const xnode *n, char *buf, uint32_t *key)
{
    uint32_t dom, bus, slot, fn;
    dc_status st;
    if ((st = number(c, n, prop(c, n, NM_domain), 0xffff, &dom)) != DC_OK ||
        (st = number(c, n, prop(c, n, NM_bus), 0xff, &bus)) != DC_OK ||
        (st = number(c, n, prop(c, n, NM_slot), 0x1f, &slot)) != DC_OK ||
        (st = number(c, n, prop(c, n, NM_function), 7, &fn)) != DC_OK)
        return st;
    if (buf)
        imp_pci_address(dom, bus, slot, fn, buf);
    *key = address_key(dom, bus, slot, fn);
    return DC_OK;
}

/* An element's text as a number. */
static dc_status text_number(lv_ctx *c, const xnode *n, uint32_t max, uint32_t *out)
{
    dc_status st = DC_OK;
    const char *t = text_of(c, n, &st);
    return t ? number(c, n, t, max, out) : st;
}

/* An element's number attribute as a decimal fact. */
static dc_status number_fact(lv_ctx *c, imp_dev *d, const xnode *n, enum name attr,
                             const char *name)
{
    uint32_t v;
    char buf[16];
    dc_status st = number(c, n, prop(c, n, attr), UINT32_MAX, &v);
    return st == DC_OK ? imp_addz(d, name, imp_decimal(v, buf)) : st;
}

/* ------------------------------------------------------ capabilities */

static dc_status pci_id_element(lv_ctx *c, imp_dev *d, const xnode *n, uint32_t *id,
                                const char *name_fact)
{
    dc_status st = DC_OK;
    const char *v = prop(c, n, NM_id);
    if (!v || !imp_hex(v, strlen(v), 4, id))
        return xml_error(c, n, "id '%.40s' is not a 16-bit hex number", v ? v : "");
    const char *t = text_of(c, n, &st);
    if (!t)
        return st;
    d->line = line_of(n);
    size_t len = strlen(t);
    facts_trim(&t, &len);
    return len ? imp_add_text(d, name_fact, t, len) : DC_OK;
}

/* A PF's virt_functions: each VF's address, and its index, for relate(). */
static dc_status virt_functions(lv_ctx *c, imp_dev *d, const xnode *k)
{
    dc_status st = DC_OK;
    uint32_t count = 0;
    char buf[16];
    EACH_ELEMENT(c, k, a, st)
    {
        uint32_t key;
        if (!is(c, a, NM_address))
            return xml_error(c, a, "%s", "expected <address>");
        if ((st = address(c, a, NULL, &key)) != DC_OK)
            return st;
        if (!room(c, (void **)&c->vfrefs, c->nvfrefs, &c->vfrefs_cap, sizeof *c->vfrefs))
            return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
        uint64_t at = (uint64_t)key << 32 | (uint32_t)(c->n - 1);
        if (!c->late && !map_put(c->alloc, &c->vf_at, at, (uint32_t)c->nvfrefs, &c->ambiguous))
            return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
        c->vfrefs[c->nvfrefs++] = (lv_vfref){ key, count++, c->n - 1 };
    }
    if (st != DC_OK)
        return st;
    if ((st = imp_addz(d, "libvirt.virt_functions.count", imp_decimal(count, buf))) != DC_OK)
        return st;
    const char *mc = prop(c, k, NM_maxCount);
    return mc ? imp_addz(d, "libvirt.virt_functions.max_count", mc) : DC_OK;
}

static dc_status pci_capability(lv_ctx *c, lv_dev *dev, imp_dev *d, const xnode *cap,
                                const xnode **types)
{
    dc_status st = DC_OK;
    uint32_t part[4] = { 0 }, vendor = 0, device = 0;
    bool have[4] = { false }, have_vendor = false, have_device = false;
    static const enum name parts[4] = { NM_domain, NM_bus, NM_slot, NM_function };
    static const uint32_t max[4] = { 0xffff, 0xff, 0x1f, 7 };
    EACH_ELEMENT(c, cap, k, st)
    {
        d->line = line_of(k);
        int p = -1;
        for (int i = 0; i < 4; i++)
            if (is(c, k, parts[i]))
                p = i;
        if (p >= 0) {
            if ((st = text_number(c, k, max[p], &part[p])) != DC_OK)
                return st;
            have[p] = true;
        } else if (is(c, k, NM_class)) {
            uint32_t cls;
            const char *t = text_of(c, k, &st);
            char buf[16];
            if (!t)
                return st;
            if (!imp_hex(t, strlen(t), 6, &cls))
                return xml_error(c, k, "'%.40s' is not a PCI class (0x and 6 hex digits)", t);
            if ((st = imp_addz(d, "class", imp_hex_text(cls, 6, buf))) != DC_OK)
                return st;
        } else if (is(c, k, NM_vendor)) {
            if ((st = pci_id_element(c, d, k, &vendor, "libvirt.vendor_name")) != DC_OK)
                return st;
            have_vendor = true;
        } else if (is(c, k, NM_product)) {
            if ((st = pci_id_element(c, d, k, &device, "libvirt.product_name")) != DC_OK)
                return st;
            have_device = true;
        } else if (is(c, k, NM_iommuGroup)) {
            if ((st = number_fact(c, d, k, NM_number, "iommu_group")) != DC_OK)
                return st;
        } else if (is(c, k, NM_numa)) {
            const char *node = prop(c, k, NM_node);
            if (node && (st = imp_addz(d, "numa_node", node)) != DC_OK)
                return st;
        } else if (is(c, k, NM_capability)) {
            const char *type = prop(c, k, NM_type);
            if (!type)
                return xml_error(c, k, "%s", "a capability without a type");
            if (!strcmp(type, "phys_function")) {
                dc_status s2 = DC_OK;
                const xnode *a = children(c, k, &s2);
                if (s2 != DC_OK)
                    return s2;
                if (a) {
                    char pf[16];
                    if (!is(c, a, NM_address))
                        return xml_error(c, a, "%s", "expected <address>");
                    if ((st = address(c, a, pf, &dev->pf_key)) != DC_OK ||
                        (st = imp_addz(d, "pf.address", pf)) != DC_OK)
                        return st;
                    dev->has_pf = true;
                }
            } else if (!strcmp(type, "virt_functions")) {
                if ((st = virt_functions(c, d, k)) != DC_OK)
                    return st;
            } else if (!strcmp(type, "pci-bridge") || !strcmp(type, "cardbus-bridge")) {
                if ((st = imp_addz(d, "libvirt.bridge", type)) != DC_OK)
                    return st;
            } else if (!strcmp(type, "mdev_types")) {
                *types = k;
            } else if (!strcmp(type, "vpd")) {
                if ((st = keep(c, d, "libvirt", k, "vpd")) != DC_OK)
                    return st;
            } else {
                return xml_error(c, k,
                                 "unknown PCI capability type '%.40s' (libvirt's are "
                                 "phys_function, virt_functions, pci-bridge, cardbus-bridge, "
                                 "mdev_types, vpd)",
                                 type);
            }
        } else {
            if ((st = keep(c, d, "libvirt", k, k->name)) != DC_OK)
                return st;
        }
    }
    if (st != DC_OK)
        return st;
    for (int i = 0; i < 4; i++)
        if (!have[i])
            return xml_error(c, cap, "the PCI capability has no <%s>", name_text[parts[i]]);
    if (!have_vendor || !have_device)
        return xml_error(c, cap, "the PCI capability has no <%s>",
                         have_vendor ? "product" : "vendor");
    imp_pci_address(part[0], part[1], part[2], part[3], dev->address);
    dev->key = address_key(part[0], part[1], part[2], part[3]);
    d->line = line_of(cap);
    memcpy(dev->parent_addr, dev->address, sizeof dev->address);
    if ((st = imp_addz(d, "address", dev->address)) != DC_OK)
        return st;
    return imp_pci_ids(d, vendor, device);
}

/* attr elements of an mdev: a repeated name becomes a set, in document
 * order, under the first one's place. */
static dc_status mdev_attr(lv_ctx *c, imp_dev *d, const xnode *cap, const xnode *k)
{
    const char *name = prop(c, k, NM_name), *value = prop(c, k, NM_value);
    if (!name || !value)
        return xml_error(c, k, "%s", "an attr needs a name and a value");
    for (const xnode *s = cap->first; s != k; s = s->next)
        if (is(c, s, NM_attr) && prop(c, s, NM_name) && !strcmp(prop(c, s, NM_name), name))
            return DC_OK; /* joined with the first */
    char aname[DC_MAX_NAME + 8], joined[DC_MAX_VALUE + 1];
    if (!imp_name(aname, sizeof aname, "attr", name, strlen(name)))
        return xml_error(c, k, "attr name '%.40s' cannot be a fact name", name);
    size_t o = 0;
    for (const xnode *s = k; s; s = s->next) {
        const char *sn = is(c, s, NM_attr) ? prop(c, s, NM_name) : NULL;
        const char *sv = sn ? prop(c, s, NM_value) : NULL;
        if (!sv || strcmp(sn, name))
            continue;
        size_t vl = strlen(sv);
        if (o + (o > 0) + vl > DC_MAX_VALUE)
            return xml_error(c, k, "attr '%.40s' is longer than 4096 bytes", name);
        if (o)
            joined[o++] = ',';
        memcpy(joined + o, sv, vl);
        o += vl;
    }
    return imp_add(d, aname, joined, o);
}

static dc_status mdev_capability(lv_ctx *c, lv_dev *dev, imp_dev *d, const xnode *cap)
{
    dc_status st = DC_OK;
    EACH_ELEMENT(c, cap, k, st)
    {
        d->line = line_of(k);
        if (is(c, k, NM_type)) {
            const char *id = prop(c, k, NM_id);
            if (!id || !*id)
                return xml_error(c, k, "%s", "an mdev type without an id");
            if (!(dev->mdev_type = arena_strndup(&c->kept, id, strlen(id))))
                return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
            if ((st = imp_addz(d, "type", id)) != DC_OK ||
                (st = imp_addz(d, "mdev_type", id)) != DC_OK)
                return st;
        } else if (is(c, k, NM_uuid)) {
            const char *t = text_of(c, k, &st);
            if (!t || (st = imp_addz(d, "uuid", t)) != DC_OK)
                return st;
        } else if (is(c, k, NM_iommuGroup)) {
            if ((st = number_fact(c, d, k, NM_number, "iommu_group")) != DC_OK)
                return st;
        } else if (is(c, k, NM_parent_addr)) {
            const char *t = text_of(c, k, &st);
            if (!t || (st = imp_addz(d, "parent", t)) != DC_OK)
                return st;
        } else if (is(c, k, NM_attr)) {
            if ((st = mdev_attr(c, d, cap, k)) != DC_OK)
                return st;
        } else {
            if ((st = keep(c, d, "libvirt", k, k->name)) != DC_OK)
                return st;
        }
    }
    if (st == DC_OK && !dev->mdev_type)
        return xml_error(c, cap, "%s", "the mdev capability has no <type id=...>");
    return st;
}

/* The mdev_types capability inside a css or ap_matrix capability. */
static const xnode *inner_types(lv_ctx *c, const xnode *cap, dc_status *st)
{
    const xnode *types = NULL;
    EACH_ELEMENT(c, cap, k, *st)
    if (is(c, k, NM_capability) && prop(c, k, NM_type) &&
        !strcmp(prop(c, k, NM_type), "mdev_types"))
        types = k;
    return types;
}

/* The ccw address of a css device, as mdevctl names the parent:
 * cssid.ssid.devno ("0.0.0023"). */
static dc_status css_address(lv_ctx *c, lv_dev *dev, const xnode *cap)
{
    uint32_t v[3] = { 0, 0, 0 };
    static const enum name parts[3] = { NM_cssid, NM_ssid, NM_devno };
    static const uint32_t max[3] = { 0xff, 3, 0xffff };
    dc_status st = DC_OK;
    EACH_ELEMENT(c, cap, k, st)
    for (int i = 0; i < 3; i++)
        if (is(c, k, parts[i]) && (st = text_number(c, k, max[i], &v[i])) != DC_OK)
            return st;
    snprintf(dev->parent_addr, sizeof dev->parent_addr, "%x.%x.%04x", v[0], v[1], v[2]);
    return st;
}

/* ------------------------------------------------------------- types */

/* The mdev types of dev, each a device that could be created: kept in
 * c->types, pushed after the device. */
static dc_status read_types(lv_ctx *c, lv_dev *dev, const xnode *types)
{
    dc_status st = DC_OK;
    dev->types = c->ntypes;
    EACH_ELEMENT(c, types, t, st)
    {
        if (!is(c, t, NM_type))
            return xml_error(c, t, "%s", "expected <type id=...> in mdev_types");
        const char *id = prop(c, t, NM_id);
        if (!id || !*id)
            return xml_error(c, t, "%s", "an mdev type without an id");
        char tid[DC_MAX_NAME * 2 + 2];
        int n = snprintf(tid, sizeof tid, "%s/%s", dev->id, id);
        if (n < 0 || (size_t)n >= sizeof tid)
            return xml_error(c, t, "%s", "an id too long");
        if (!room(c, (void **)&c->types, c->ntypes, &c->types_cap, sizeof *c->types))
            return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
        lv_type *ty = &c->types[c->ntypes];
        ty->line = line_of(t);
        ty->facts = facts_new(c->alloc);
        ty->id = ty->facts ? arena_strndup(&c->kept, tid, (size_t)n) : NULL;
        if (!ty->id) {
            dc_facts_free(ty->facts);
            return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
        }
        c->ntypes++;
        dev->ntypes++;
        imp_dev d = { ty->facts, c->file, line_of(t), c->err, NULL };
        if ((st = imp_addz(&d, "type", id)) == DC_OK)
            st = imp_addz(&d, "mdev_type", id);
        if (st == DC_OK && dev->parent_addr[0])
            st = imp_addz(&d, "parent", dev->parent_addr);
        if (st == DC_OK)
            st = imp_add_text(&d, "libvirt.parent", dev->id, strlen(dev->id));
        bool api = false, avail = false;
        EACH_ELEMENT(c, t, k, st)
        {
            if (st != DC_OK)
                break;
            d.line = line_of(k);
            const char *v = text_of(c, k, &st);
            if (!v)
                break;
            if (is(c, k, NM_name)) {
                st = imp_add_text(&d, "name", v, strlen(v));
            } else if (is(c, k, NM_deviceAPI)) {
                st = imp_addz(&d, "device_api", v);
                api = true;
            } else if (is(c, k, NM_availableInstances)) {
                uint32_t avn;
                char buf[16];
                if ((st = number(c, k, v, UINT32_MAX, &avn)) == DC_OK)
                    st = imp_addz(&d, "available_instances", imp_decimal(avn, buf));
                avail = true;
            } else {
                st = keep(c, &d, "libvirt", k, k->name);
            }
        }
        if (st == DC_OK && (!api || !avail))
            st = xml_error(c, t, "mdev type '%s' has no <deviceAPI> or <availableInstances>",
                           id);
        if (st != DC_OK)
            return st;
    }
    return st;
}

/* ------------------------------------------------------------- devices */

/* A <device>'s facts (gathered in d's batch), and what relates it to
 * others. */
static dc_status read_device(lv_ctx *c, lv_dev *dev, imp_dev *dp, const xnode *n)
{
    dc_status st = DC_OK;
    imp_dev d = *dp;
    const xnode *cap = NULL, *types = NULL;
    EACH_ELEMENT(c, n, k, st)
    {
        d.line = line_of(k);
        if (is(c, k, NM_name) || is(c, k, NM_parent) || is(c, k, NM_path)) {
            const char *t = text_of(c, k, &st);
            if (!t)
                return st;
            char **keep_as = is(c, k, NM_name)     ? &dev->id
                             : is(c, k, NM_parent) ? &dev->parent
                                                   : NULL;
            if (is(c, k, NM_name) && !*t)
                return xml_error(c, k, "%s", "an empty device name");
            if (keep_as) {
                if (!(*keep_as = arena_strndup(&c->kept, t, strlen(t))))
                    return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
            }
            const char *name = is(c, k, NM_name)     ? "libvirt.name"
                               : is(c, k, NM_parent) ? "libvirt.parent"
                                                     : "libvirt.path";
            if (*t && (st = imp_add_text(&d, name, t, strlen(t))) != DC_OK)
                return st;
        } else if (is(c, k, NM_driver)) {
            dc_status s2 = DC_OK;
            const xnode *dn = children(c, k, &s2);
            const char *t = dn && is(c, dn, NM_name) ? text_of(c, dn, &s2) : NULL;
            if (s2 != DC_OK)
                return s2;
            if (!t || !*t)
                return xml_error(c, k, "%s", "expected <name>DRIVER</name>");
            if ((st = imp_driver(&d, t, strlen(t))) != DC_OK)
                return st;
        } else if (is(c, k, NM_capability)) {
            if (cap)
                continue; /* libvirt writes one; the first says the kind */
            cap = k;
        } else if ((st = keep(c, &d, "libvirt", k, k->name)) != DC_OK) {
            return st;
        }
    }
    if (st != DC_OK)
        return st;
    if (!dev->id)
        return xml_error(c, n, "%s", "a device without a <name>");
    if (!cap)
        return xml_error(c, n, "device '%s' has no <capability>", dev->id);
    const char *type = prop(c, cap, NM_type);
    if (!type)
        return xml_error(c, cap, "%s", "a capability without a type");
    if (!strcmp(type, "pci")) {
        dev->kind = K_PCI;
        st = pci_capability(c, dev, &d, cap, &types);
    } else if (!strcmp(type, "mdev")) {
        dev->kind = K_MDEV;
        st = mdev_capability(c, dev, &d, cap);
    } else {
        size_t i = 0;
        while (i < sizeof other_kinds / sizeof *other_kinds && strcmp(type, other_kinds[i]))
            i++;
        if (i == sizeof other_kinds / sizeof *other_kinds)
            return xml_error(c, cap,
                             "unknown capability type '%.40s' (devcompat reads pci and mdev "
                             "devices, and the mdev types of css and ap_matrix)",
                             type);
        dev->kind = K_OTHER;
        if (!strcmp(type, "css")) {
            if ((st = css_address(c, dev, cap)) == DC_OK)
                types = inner_types(c, cap, &st);
        } else if (!strcmp(type, "ap_matrix")) {
            snprintf(dev->parent_addr, sizeof dev->parent_addr, "matrix");
            types = inner_types(c, cap, &st);
        }
    }
    if (st == DC_OK && types)
        st = read_types(c, dev, types);
    return st;
}

static const char *const pf_copied[][2] = {
    { "pci_id", "pf.pci_id" },
    { "revision", "pf.revision" },
    { "driver", "pf.driver" },
};

/* A PCI device just read: its address mapped, and when it is a VF whose
 * PF came before it, the PF's facts added (as vf_from_pf adds them in
 * relate(), which skips it then). */
static dc_status relate_now(lv_ctx *c, lv_dev *dev, imp_dev *d)
{
    size_t i = (size_t)(dev - c->devs);
    if (!map_put(c->alloc, &c->pci_at, dev->key, (uint32_t)i, &c->ambiguous))
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    const uint32_t *pf = dev->has_pf ? map_get(&c->pci_at, dev->pf_key) : NULL;
    if (!pf || *pf == i || c->batch.n + 4 > DC_MAX_FACTS)
        return DC_OK; /* relate() adds them, or says why not */
    dc_status st = DC_OK;
    d->line = dev->line;
    for (size_t k = 0; k < 3 && st == DC_OK; k++) {
        const char *v = dc_facts_lookup(c->devs[*pf].facts, pf_copied[k][0]);
        if (v)
            st = imp_addz(d, pf_copied[k][1], v);
    }
    const uint32_t *r = map_get(&c->vf_at, (uint64_t)dev->key << 32 | *pf);
    if (st == DC_OK && r) {
        char buf[16];
        st = imp_addz(d, "vf_index", imp_decimal(c->vfrefs[*r].index, buf));
    }
    dev->related = st == DC_OK;
    return st;
}

/* A <device> read whole.  Its facts are gathered and made a dc_facts at
 * once (facts_batch); those of a kind never pushed are dropped. */
static dc_status device(lv_ctx *c, const xnode *n)
{
    if (!room(c, (void **)&c->devs, c->n, &c->cap, sizeof *c->devs))
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    lv_dev *dev = &c->devs[c->n];
    memset(dev, 0, sizeof *dev);
    dev->line = line_of(n);
    dev->types = c->ntypes;
    c->n++;
    imp_dev d = { NULL, c->file, dev->line, c->err, &c->batch };
    facts_batch_clear(&c->batch);
    dc_status st = read_device(c, dev, &d, n);
    if (st == DC_OK && dev->kind == K_PCI && !c->late)
        st = relate_now(c, dev, &d);
    /* room for what relate() adds: a VF's PF facts, an mdev's parent
     * and device_api */
    uint32_t room = dev->kind == K_MDEV ? 2 : dev->has_pf && !dev->related ? 4 : 0;
    if (st == DC_OK && dev->kind != K_OTHER &&
        facts_batch_take(&c->batch, room, &dev->facts, NULL) != DC_OK)
        st = dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    return st;
}

/* --------------------------------------------------- across devices */

static int by_key(const void *a, const void *b)
{
    const lv_dev *x = *(const lv_dev *const *)a, *y = *(const lv_dev *const *)b;
    return (x->key > y->key) - (x->key < y->key);
}

static int by_name(const void *a, const void *b)
{
    const lv_dev *x = *(const lv_dev *const *)a, *y = *(const lv_dev *const *)b;
    return strcmp(x->id, y->id);
}

static int by_vf(const void *a, const void *b)
{
    const lv_vfref *x = a, *y = b;
    if (x->vf != y->vf)
        return x->vf < y->vf ? -1 : 1;
    return (x->pf > y->pf) - (x->pf < y->pf);
}

/* The PCI device whose address is `key` in a sorted index, or NULL. */
static lv_dev *find_pci(lv_dev **index, size_t n, uint32_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (index[mid]->key == key)
            return index[mid];
        if (index[mid]->key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static lv_dev *find_id(lv_dev **index, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(index[mid]->id, id);
        if (cmp == 0)
            return index[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A VF's facts from its PF: pf.pci_id, pf.revision, pf.driver, vf_index. */
static dc_status vf_from_pf(lv_ctx *c, lv_dev *dev, const lv_dev *pf, imp_dev *d)
{
    dc_status st = DC_OK;
    for (size_t k = 0; k < 3 && st == DC_OK; k++) {
        const char *v = dc_facts_lookup(pf->facts, pf_copied[k][0]);
        if (v)
            st = imp_addz(d, pf_copied[k][1], v);
    }
    lv_vfref key = { dev->key, 0, (size_t)(pf - c->devs) };
    const lv_vfref *r = st == DC_OK && c->nvfrefs
                            ? bsearch(&key, c->vfrefs, c->nvfrefs, sizeof key, by_vf)
                            : NULL;
    if (r) {
        char buf[16];
        st = imp_addz(d, "vf_index", imp_decimal(r->index, buf));
    }
    return st;
}

/* An mdev's parent address and device_api, from its parent's types. */
static dc_status mdev_from_parent(lv_ctx *c, lv_dev *dev, const lv_dev *parent, imp_dev *d)
{
    dc_status st = DC_OK;
    if (parent->parent_addr[0] && !dc_facts_lookup(dev->facts, "parent"))
        st = imp_addz(d, "parent", parent->parent_addr);
    for (size_t i = 0; st == DC_OK && i < parent->ntypes; i++) {
        const dc_facts *t = c->types[parent->types + i].facts;
        const char *type = dc_facts_lookup(t, "mdev_type");
        const char *api = dc_facts_lookup(t, "device_api");
        if (type && api && !strcmp(type, dev->mdev_type) &&
            !dc_facts_lookup(dev->facts, "device_api"))
            st = imp_addz(d, "device_api", api);
    }
    return st;
}

/* qsort, after one pass to see whether the items are in order already
 * (libvirt lists devices by name, PCI ones in address order). */
static void sort(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    const char *p = items;
    for (size_t i = 1; i < n; i++)
        if (cmp(p + (i - 1) * size, p + i * size) > 0) {
            qsort(items, n, size, cmp);
            return;
        }
}

/* A VF's PF facts, and an mdev's device_api and parent, from the other
 * devices of the same input. */
static dc_status relate(lv_ctx *c)
{
    if (c->n < 2)
        return DC_OK;
    lv_dev **pci = mem_array(c->alloc, c->n, sizeof *pci);
    lv_dev **by_id = mem_array(c->alloc, c->n, sizeof *by_id);
    dc_status st = DC_OK;
    if (!pci || !by_id) {
        st = dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
        goto out;
    }
    size_t npci = 0;
    bool mdevs = false;
    for (size_t i = 0; i < c->n; i++) {
        by_id[i] = &c->devs[i];
        if (c->devs[i].kind == K_PCI)
            pci[npci++] = &c->devs[i];
        mdevs |= c->devs[i].kind == K_MDEV && c->devs[i].parent;
    }
    sort(pci, npci, sizeof *pci, by_key);
    if (mdevs)
        sort(by_id, c->n, sizeof *by_id, by_name);
    sort(c->vfrefs, c->nvfrefs, sizeof *c->vfrefs, by_vf);
    for (size_t i = 0; i < c->n && st == DC_OK; i++) {
        lv_dev *dev = &c->devs[i];
        imp_dev d = { dev->facts, c->file, dev->line, c->err, NULL };
        if (dev->kind == K_PCI && dev->has_pf && !dev->related) {
            const lv_dev *pf = find_pci(pci, npci, dev->pf_key);
            if (pf)
                st = vf_from_pf(c, dev, pf, &d);
        } else if (dev->kind == K_MDEV && dev->parent) {
            const lv_dev *parent = find_id(by_id, c->n, dev->parent);
            if (parent)
                st = mdev_from_parent(c, dev, parent, &d);
        }
    }
out:
    mem_free(c->alloc, pci);
    mem_free(c->alloc, by_id);
    return st;
}

/* ------------------------------------------------------------- stream */

static void fail(lv_ctx *c, dc_status st)
{
    if (c->st == DC_OK)
        c->st = st;
    xmlStopParser(c->parser);
}

static uint32_t parser_line(const lv_ctx *c)
{
    int l = c->parser->input ? c->parser->input->line : 0;
    return l > 0 ? (uint32_t)l : 0;
}

static void on_start(void *ud, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                     int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    lv_ctx *c = ud;
    (void)prefix, (void)uri, (void)nb_namespaces, (void)namespaces, (void)nb_defaulted;
    if (c->st != DC_OK)
        return;
    const char *name = (const char *)localname;
    uint32_t line = parser_line(c);
    c->depth++;
    if (c->depth == 1) {
        c->root_name = name;
        c->root_line = line;
        c->list = !strcmp(name, "node") || !strcmp(name, "devices");
        if (!c->list && strcmp(name, "device")) {
            fail(c, dc_error_set(c->err, DC_ERR_FACTS,
                                 "%s:%u: <%s>: expected <device> (virsh "
                                 "nodedev-dumpxml), or <node> or <devices> holding them",
                                 c->file, line, name));
            return;
        }
    }
    if (!c->dev_depth) {
        /* the test driver's file holds domains, networks... beside devices */
        if (strcmp(name, "device") || c->depth != (c->list ? 2u : 1u))
            return;
        c->dev_depth = c->depth;
        c->cur = NULL;
    }
    /* the element, its attributes and their values: one allocation */
    size_t nattrs = nb_attributes > 0 ? (size_t)nb_attributes : 0, size = sizeof(xnode);
    size += nattrs * sizeof(xattr);
    for (size_t i = 0; i < nattrs; i++)
        size += (size_t)(attributes[5 * i + 4] - attributes[5 * i + 3]) + 1;
    xnode *n = arena_alloc(&c->nodes, size);
    if (!n) {
        fail(c, dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file));
        return;
    }
    xattr *attrs = nattrs ? (xattr *)(n + 1) : NULL;
    char *values = (char *)(n + 1) + nattrs * sizeof(xattr);
    for (size_t i = 0; i < nattrs; i++) {
        /* localname, prefix, URI, value, end */
        const xmlChar *const *a = attributes + 5 * i;
        size_t vlen = (size_t)(a[4] - a[3]);
        attrs[i].name = (const char *)a[0];
        attrs[i].value = values;
        attrs[i].len = vlen;
        memcpy(values, a[3], vlen); /* the arena zeroed the NUL after it */
        values += vlen + 1;
    }
    n->name = name;
    n->attrs = attrs;
    n->nattrs = (unsigned)(nb_attributes > 0 ? nb_attributes : 0);
    n->line = line;
    n->parent = c->cur;
    if (c->cur) {
        if (c->cur->last)
            c->cur->last->next = n;
        else
            c->cur->first = n;
        c->cur->last = n;
    }
    c->cur = n;
}

static void on_end(void *ud, const xmlChar *localname, const xmlChar *prefix,
                   const xmlChar *uri)
{
    lv_ctx *c = ud;
    (void)localname, (void)prefix, (void)uri;
    if (c->st != DC_OK)
        return;
    if (c->dev_depth && c->depth == c->dev_depth) {
        dc_status st = device(c, c->cur);
        arena_reset(&c->nodes);
        c->cur = NULL;
        c->dev_depth = 0;
        if (st != DC_OK)
            fail(c, st);
    } else if (c->dev_depth) {
        c->cur = c->cur->parent;
    }
    c->depth--;
}

static void on_text(void *ud, const xmlChar *ch, int len)
{
    lv_ctx *c = ud;
    if (c->st != DC_OK || len <= 0)
        return;
    const char *s = (const char *)ch;
    xnode *n = c->cur;
    bool nonblank = !blank(s, (size_t)len);
    if (!c->dev_depth) {
        /* between the devices of a <node> */
        if (c->depth == 1 && c->list && nonblank)
            fail(c, mixed(c, c->root_line, c->root_name, s, (size_t)len));
        return;
    }
    /* Blanks after an element are indentation: an element with elements
     * has no value, and only text that is not blank matters there. */
    if (!nonblank && n->first)
        return;
    if (n->commented)
        n->split = true;
    if (n->len + (size_t)len + 1 > n->cap) {
        size_t cap = n->cap ? n->cap : 32;
        while (cap < n->len + (size_t)len + 1)
            cap *= 2;
        char *t = arena_alloc(&c->nodes, cap);
        if (!t) {
            fail(c, dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file));
            return;
        }
        if (n->len)
            memcpy(t, n->text, n->len);
        n->text = t;
        n->cap = cap;
    }
    memcpy(n->text + n->len, s, (size_t)len);
    n->len += (size_t)len;
    n->text[n->len] = '\0';
    n->nonblank |= nonblank;
}

/* A comment or processing instruction inside a value cuts it in two. */
static void on_comment(void *ud, const xmlChar *value)
{
    lv_ctx *c = ud;
    (void)value;
    if (c->st == DC_OK && c->dev_depth && c->cur->len)
        c->cur->commented = true;
}

static void on_pi(void *ud, const xmlChar *target, const xmlChar *data)
{
    lv_ctx *c = ud;
    (void)target, (void)data;
    if (c->st == DC_OK && c->dev_depth) {
        c->cur->pi = true;
        on_comment(ud, NULL);
    }
}

/* An entity reference that is not one of XML's five: never expanded. */
static void on_reference(void *ud, const xmlChar *name)
{
    lv_ctx *c = ud;
    (void)name;
    if (c->st != DC_OK)
        return;
    fail(c, error_at(c, parser_line(c),
                     c->cur         ? c->cur->name
                     : c->root_name ? c->root_name
                                    : "?",
                     "%s", "an entity reference or other node devcompat does not read"));
}

static void quiet(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* Everything kept, freed (on error, or after the push). */
static void release(lv_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        dc_facts_free(c->devs[i].facts);
    for (size_t i = 0; i < c->ntypes; i++)
        dc_facts_free(c->types[i].facts);
    mem_free(c->alloc, c->devs);
    mem_free(c->alloc, c->types);
    mem_free(c->alloc, c->vfrefs);
    map_free(c->alloc, &c->pci_at);
    map_free(c->alloc, &c->vf_at);
    arena_release(&c->nodes);
    arena_release(&c->kept);
    facts_batch_release(&c->batch);
}

/* The devices in input order, each followed by its mdev types. */
static dc_status push_all(lv_ctx *c, dc_inventory *inv)
{
    dc_status st = DC_OK;
    for (size_t i = 0; i < c->n && st == DC_OK; i++) {
        lv_dev *dev = &c->devs[i];
        if (dev->kind != K_OTHER) {
            st = inv_push(inv, dev->id, strlen(dev->id), dev->facts, dev->line, false, c->err);
            dev->facts = NULL;
        }
        for (size_t t = dev->types; st == DC_OK && t < dev->types + dev->ntypes; t++) {
            lv_type *ty = &c->types[t];
            st = inv_push(inv, ty->id, strlen(ty->id), ty->facts, ty->line, true, c->err);
            ty->facts = NULL;
        }
    }
    return st;
}

/* The first `s` (n bytes) in [p, end), or NULL. */
static const char *find(const char *p, const char *end, const char *s, size_t n)
{
    while ((size_t)(end - p) >= n && (p = memchr(p, s[0], (size_t)(end - p) - n + 1)) != NULL) {
        if (!memcmp(p, s, n))
            return p;
        p++;
    }
    return NULL;
}

/* Where in `text` a comment holds "--", which XML does not allow there, or
 * NULL.  libxml2 (2.9) raises an error for each such "--" and copies the
 * comment read so far into every one: a comment of n dashes costs n squared
 * (96 KB of them, 2 s; found by fuzz_import_libvirt as a hang).  So such a
 * comment is refused here, in one pass, before libxml2 sees it.  CDATA
 * sections and processing instructions may hold "<!--" as text: skipped. */
/* The next "<!" or "<?" from p on, or NULL: found by their rare second
 * byte, not by every '<' (a device has dozens).  *bang is the next '!'
 * at or after p, kept from call to call (so each byte is looked at a
 * bounded number of times), or NULL before the first. */
static const char *markup(const char *p, const char *end, const char **bang)
{
    while (p < end) {
        if (!*bang || *bang < p)
            if (!(*bang = memchr(p, '!', (size_t)(end - p))))
                *bang = end;
        const char *query = memchr(p, '?', (size_t)(*bang - p));
        const char *q = query ? query : *bang;
        if (q == end)
            return NULL;
        if (q > p && q[-1] == '<')
            return q - 1;
        p = q + 1;
    }
    return NULL;
}

/* Whether the text starts as libxml2 would take for UTF-16, UTF-32 or
 * EBCDIC: a NUL in the first four bytes, a UTF-16 byte-order mark, or
 * "<?xm" in EBCDIC.  libxml2 would convert such a text, and its converter
 * reports a bad byte through libxml2's global error handler, which prints
 * (docs/security.md, finding 12); the library never prints, and libvirt's
 * XML is UTF-8, so such a text is refused before libxml2 sees it.  An
 * encoding the text declares is ignored (XML_PARSE_IGNORE_ENC): the text
 * is read as UTF-8, and a byte that is not is an error. */
static bool not_utf8_start(const char *text, size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t n = len < 4 ? len : 4;
    if (memchr(u, 0, n))
        return true;
    if (len >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE)))
        return true;
    return len >= 4 && u[0] == 0x4C && u[1] == 0x6F && u[2] == 0xA7 && u[3] == 0x94;
}

static const char *dashes_in_comment(const char *text, size_t len)
{
    const char *p = text, *end = text + len, *bang = NULL;
    while ((p = markup(p, end, &bang)) != NULL) {
        size_t left = (size_t)(end - p);
        const char *close = NULL;
        if (left >= 9 && !memcmp(p, "<![CDATA[", 9))
            close = "]]>";
        else if (left >= 2 && p[1] == '?')
            close = "?>";
        if (close) {
            const char *q = find(p + 2, end, close, strlen(close));
            if (!q)
                return NULL; /* unterminated: libxml2 says so, in linear time */
            p = q + strlen(close);
            continue;
        }
        if (left >= 4 && !memcmp(p, "<!--", 4)) {
            const char *q = find(p + 4, end, "--", 2);
            if (!q)
                return NULL;
            if (q + 2 >= end || q[2] != '>')
                return p;
            p = q + 3;
            continue;
        }
        p++;
    }
    return NULL;
}

/* ------------------------------------------------------------- parse */

/* The first "</device>" ending at or after `from`, or the end of the text:
 * where a piece fed to the push parser ends.  Character data cannot hold
 * '<', so a piece never ends within text libxml2 hands over, and pieces
 * end where devices do. */
enum { PIECE = 64 * 1024 };

static size_t piece_end(const char *text, size_t len, size_t from)
{
    static const char tag[] = "</device>";
    if (from >= len)
        return len;
    const char *p = find(text + from, text + len, tag, sizeof tag - 1);
    return p ? (size_t)(p - text) + sizeof tag - 1 : len;
}

static void sax_handler(xmlSAXHandler *h)
{
    /* Only what is read is handled: no DTD, no entity declarations (so no
     * entity is ever expanded), no external subset, no network. */
    memset(h, 0, sizeof *h);
    h->initialized = XML_SAX2_MAGIC;
    h->startElementNs = on_start;
    h->endElementNs = on_end;
    h->characters = on_text;
    h->ignorableWhitespace = on_text;
    h->cdataBlock = on_text;
    h->comment = on_comment;
    h->processingInstruction = on_pi;
    h->reference = on_reference;
    h->serror = quiet; /* the library never prints */
}

/* The names read, in the parser's dictionary; false (c->st set) when out
 * of memory. */
static bool intern(lv_ctx *c)
{
    for (int i = 0; i < NM_COUNT; i++)
        if (!(c->names[i] = (const char *)xmlDictLookup(c->parser->dict,
                                                        (const xmlChar *)name_text[i], -1))) {
            c->st = dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
            return false;
        }
    return true;
}

static const int parse_options =
    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC;

/* The text fed to libxml2's push parser in pieces of about 64 KB: what
 * libxml2 holds stays in the cache, where its whole-text parser first
 * copies the text, 100 MB for 100 000 devices (docs/performance.md,
 * "Importers").  A construct longer than a piece (which libxml2 parses
 * again from its start as more comes) makes the next piece as long as
 * what libxml2 holds, so it is parsed again only a logarithmic number of
 * times.  NULL when out of memory. */
static xmlParserCtxtPtr parse_push(lv_ctx *c, const char *text, size_t len)
{
    xmlSAXHandler h;
    sax_handler(&h);
    size_t first = len < 4 ? len : 4; /* what says the encoding */
    xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&h, c, text, (int)first, NULL);
    if (!ctxt)
        return NULL;
    c->parser = ctxt;
    if (!intern(c))
        return ctxt;
    xmlCtxtUseOptions(ctxt, parse_options);
    size_t at = first, want = PIECE;
    while (at < len && c->st == DC_OK && ctxt->wellFormed) {
        size_t end = piece_end(text, len, at + want);
        xmlParseChunk(ctxt, text + at, (int)(end - at), 0);
        at = end;
        size_t held = ctxt->input ? (size_t)(ctxt->input->end - ctxt->input->cur) : 0;
        want = held > PIECE ? held : PIECE;
    }
    if (c->st == DC_OK && ctxt->wellFormed)
        xmlParseChunk(ctxt, NULL, 0, 1);
    return ctxt;
}

/* The whole text at once (libxml2's document parser); NULL when out of
 * memory. */
static xmlParserCtxtPtr parse_whole(lv_ctx *c, const char *text, size_t len)
{
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(text, (int)len);
    if (!ctxt)
        return NULL;
    xmlSAXHandler h;
    sax_handler(&h);
    memcpy(ctxt->sax, &h, sizeof h);
    ctxt->userData = c;
    c->parser = ctxt;
    if (!intern(c))
        return ctxt;
    xmlCtxtUseOptions(ctxt, parse_options);
    xmlParseDocument(ctxt);
    return ctxt;
}

/* Parse the text into c's devices: an error, or DC_OK with every device
 * read. */
static dc_status parse(lv_ctx *c, const char *text, size_t len, bool push)
{
    xmlParserCtxtPtr ctxt = push ? parse_push(c, text, len) : parse_whole(c, text, len);
    if (!ctxt)
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    dc_status st = c->st;
    if (st == DC_OK && !ctxt->wellFormed) {
        xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
        char msg[256] = "not well-formed";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t n = strlen(msg);
            while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
            for (char *nl = msg; (nl = strchr(nl, '\n')) != NULL;)
                *nl = ' '; /* one line: libxml2 puts the bad bytes on a second */
        }
        st = dc_error_set(c->err, DC_ERR_FACTS, "%s:%d: malformed XML: %s", c->file,
                          e ? e->line : 0, msg);
    } else if (st == DC_OK && !c->root_name) {
        st = dc_error_set(c->err, DC_ERR_FACTS, "%s: no XML element", c->file);
    }
    if (ctxt->myDoc) {
        /* an entity declaration makes libxml2 keep a document of its own
         * even under SAX, which the parser's owner frees */
        xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    return st;
}

static void ctx_init(lv_ctx *c, const dc_alloc *alloc, const char *file, dc_error *err)
{
    memset(c, 0, sizeof *c);
    c->alloc = alloc;
    c->file = file;
    c->err = err;
    arena_init(&c->nodes, alloc);
    arena_init(&c->kept, alloc);
    facts_batch_init(&c->batch, alloc);
}

dc_status import_libvirt(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                         dc_inventory *inv, dc_error *err)
{
    if (len > INT32_MAX)
        return dc_error_set(err, DC_ERR_LIMIT, "%s: larger than 2 GiB", file);
    if (len == 0) /* libxml2 makes no parser for nothing */
        return dc_error_set(err, DC_ERR_FACTS, "%s:1: malformed XML: Document is empty", file);
    if (not_utf8_start(text, len))
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:1: malformed XML: not UTF-8 (it starts as UTF-16, UTF-32 or "
                            "EBCDIC text would; libvirt's XML is UTF-8)",
                            file);
    const char *bad = dashes_in_comment(text, len);
    if (bad) {
        size_t line = 1;
        for (const char *q = text; (q = memchr(q, '\n', (size_t)(bad - q))) != NULL; q++)
            line++;
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:%zu: malformed XML: '--' within a comment (a comment ends at "
                            "the first '--', which must be followed by '>')",
                            file, line);
    }
    lv_ctx c;
    ctx_init(&c, alloc, file, err);
    dc_status st = parse(&c, text, len, true);
    if (st != DC_OK && c.st == DC_OK && st != DC_ERR_NOMEM) {
        /* libxml2 found the text malformed: what it says, and where, is
         * what its whole-text parser says (the push parser names the end
         * of a truncated text "extra content"), so that parser reads it
         * again, from the start. */
        release(&c);
        ctx_init(&c, alloc, file, err);
        c.late = true;
        st = parse(&c, text, len, false);
    } else if (st == DC_OK && c.ambiguous) {
        release(&c); /* see lv_ctx.late */
        ctx_init(&c, alloc, file, err);
        c.late = true;
        st = parse(&c, text, len, true);
    }
    if (st == DC_OK)
        st = relate(&c);
    if (st == DC_OK)
        st = push_all(&c, inv);
    release(&c);
    return st;
}

#endif /* HAVE_LIBXML2 */
