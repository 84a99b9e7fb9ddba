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

#include <libxml/parser.h>
#include <libxml/tree.h>

/* Device kinds libvirt reports that devcompat does not read as devices. */
static const char *const other_kinds[] = {
    "system",    "usb_device",     "usb", "net",          "scsi_host", "scsi_target",
    "scsi",      "storage",        "drm", "scsi_generic", "fc_host",   "vports",
    "vport_ops", "fc_remote_port", "ccw", "css",          "vdpa",      "ap_card",
    "ap_queue",  "ap_matrix",
};

enum kind { K_OTHER, K_PCI, K_MDEV };

typedef struct lv_dev {
    char *id;
    dc_facts *facts;
    enum kind kind;
    uint32_t line;
    char address[16];        /* PCI: own; "" otherwise */
    char pf[16];             /* a VF's PF address, or "" */
    const xmlNode *vfs;      /* a PF's virt_functions capability */
    const xmlNode *types;    /* mdev_types capability */
    const char *parent;      /* <parent> text */
    const char *parent_addr; /* the address its mdev types name as parent */
    const char *mdev_type;   /* an mdev's type id */
    char type_parent[32];    /* css/ap parents' address for their types */
} lv_dev;

typedef struct lv_ctx {
    const dc_alloc *alloc;
    const char *file;
    dc_error *err;
    lv_dev *devs;
    size_t n, cap;
} lv_ctx;

/* ---------------------------------------------------------- XML helpers */

static void quiet(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

static uint32_t line_of(const xmlNode *n)
{
    long l = xmlGetLineNo((xmlNode *)n);
    return l > 0 && l < (long)UINT32_MAX ? (uint32_t)l : 0;
}

static const char *cstr(const xmlChar *s)
{
    return (const char *)s;
}

static bool is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !strcmp(cstr(n->name), name);
}

/* The value of attribute `name`, or NULL. */
static const char *prop(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (!strcmp(cstr(a->name), name))
            return a->children && a->children->type == XML_TEXT_NODE && !a->children->next
                       ? cstr(a->children->content)
                       : "";
    return NULL;
}

static dc_status xml_error(lv_ctx *c, const xmlNode *n, const char *fmt, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, what);
    return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u: <%s>: %s", c->file, line_of(n),
                        cstr(n->name), msg);
}

/* The next element child from n on (n itself included); text that is not
 * blank between elements is an error (*st). */
static const xmlNode *element(lv_ctx *c, const xmlNode *n, dc_status *st)
{
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            return n;
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            for (const char *s = cstr(n->content); s && *s; s++)
                if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
                    *st = xml_error(c, n->parent, "text among elements: '%.40s'", s);
                    return NULL;
                }
        } else if (n->type != XML_COMMENT_NODE && n->type != XML_PI_NODE) {
            *st = xml_error(c, n->parent, "%s",
                            "an entity reference or other node devcompat "
                            "does not read");
            return NULL;
        }
    }
    return NULL;
}

#define EACH_ELEMENT(c, parent, k, st)                                                         \
    for (const xmlNode *k = element(c, (parent)->children, &st); k;                            \
         k = element(c, k->next, &st))

/* The text of an element that holds only text ("" when empty); NULL with
 * an error when it holds elements. */
static const char *text_of(lv_ctx *c, const xmlNode *n, dc_status *st)
{
    const char *t = NULL;
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) {
            if (t) {
                *st = xml_error(c, n, "%s", "text in pieces (comments inside a value)");
                return NULL;
            }
            t = cstr(k->content);
        } else if (k->type != XML_COMMENT_NODE) {
            *st = xml_error(c, n, "%s", "expected text, found an element");
            return NULL;
        }
    }
    return t ? t : "";
}

/* ------------------------------------------------------- kept as found */

/* An element no standard name covers: NAME=text, NAME.ATTR=value, its
 * elements below NAME; the second element of a name among its siblings
 * is NAME_2, and so on. */
static dc_status keep(lv_ctx *c, imp_dev *d, const char *prefix, const xmlNode *n,
                      const char *name)
{
    char full[DC_MAX_NAME + 8];
    dc_status st = DC_OK;
    if (!imp_name(full, sizeof full, prefix, name, strlen(name)))
        return xml_error(c, n, "%s", "cannot be named as a fact");
    d->line = line_of(n);
    for (const xmlAttr *a = n->properties; a && st == DC_OK; a = a->next) {
        char an[DC_MAX_NAME + 8];
        const char *v = prop(n, cstr(a->name));
        if (!imp_name(an, sizeof an, full, cstr(a->name), strlen(cstr(a->name))))
            return xml_error(c, n, "attribute '%s' cannot be named as a fact", cstr(a->name));
        st = imp_add_text(d, an, v, strlen(v));
    }
    if (st != DC_OK)
        return st;
    bool elements = false;
    for (const xmlNode *k = n->children; k; k = k->next)
        elements |= k->type == XML_ELEMENT_NODE;
    if (!elements) {
        const char *t = text_of(c, n, &st);
        if (!t)
            return st;
        size_t len = strlen(t);
        const char *p = t;
        facts_trim(&p, &len);
        return len || !n->properties ? imp_add_text(d, full, p, len) : DC_OK;
    }
    EACH_ELEMENT(c, n, k, st)
    {
        /* the count of earlier siblings of the same name */
        unsigned nth = 1;
        for (const xmlNode *s = n->children; s != k; s = s->next)
            nth += is(s, cstr(k->name));
        char kn[DC_MAX_NAME + 8];
        if (nth == 1)
            snprintf(kn, sizeof kn, "%s", cstr(k->name));
        else
            snprintf(kn, sizeof kn, "%s_%u", cstr(k->name), nth);
        if ((st = keep(c, d, full, k, kn)) != DC_OK)
            return st;
    }
    return st;
}

/* ------------------------------------------------------------ numbers */

static dc_status number(lv_ctx *c, const xmlNode *n, const char *v, uint32_t max, uint32_t *out)
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

/* <address domain= bus= slot= function=/> as DDDD:BB:DD.F */
static dc_status address(lv_ctx *c, const xmlNode *n, char *buf)
{
    uint32_t dom, bus, slot, fn;
    dc_status st;
    if ((st = number(c, n, prop(n, "domain"), 0xffff, &dom)) != DC_OK ||
        (st = number(c, n, prop(n, "bus"), 0xff, &bus)) != DC_OK ||
        (st = number(c, n, prop(n, "slot"), 0x1f, &slot)) != DC_OK ||
        (st = number(c, n, prop(n, "function"), 7, &fn)) != DC_OK)
        return st;
    imp_pci_address(dom, bus, slot, fn, buf);
    return DC_OK;
}

/* An element's text as a number. */
static dc_status text_number(lv_ctx *c, const xmlNode *n, uint32_t max, uint32_t *out)
{
    dc_status st = DC_OK;
    const char *t = text_of(c, n, &st);
    return t ? number(c, n, t, max, out) : st;
}

/* ------------------------------------------------------ capabilities */

static dc_status pci_id_element(lv_ctx *c, imp_dev *d, const xmlNode *n, uint32_t *id,
                                const char *name_fact)
{
    dc_status st = DC_OK;
    const char *v = prop(n, "id");
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

static dc_status pci_capability(lv_ctx *c, lv_dev *dev, imp_dev *d, const xmlNode *cap)
{
    dc_status st = DC_OK;
    uint32_t part[4] = { 0 }, vendor = 0, device = 0;
    bool have[4] = { false }, have_vendor = false, have_device = false;
    static const char *const parts[4] = { "domain", "bus", "slot", "function" };
    static const uint32_t max[4] = { 0xffff, 0xff, 0x1f, 7 };
    EACH_ELEMENT(c, cap, k, st)
    {
        d->line = line_of(k);
        int p = -1;
        for (int i = 0; i < 4; i++)
            if (is(k, parts[i]))
                p = i;
        if (p >= 0) {
            if ((st = text_number(c, k, max[p], &part[p])) != DC_OK)
                return st;
            have[p] = true;
        } else if (is(k, "class")) {
            uint32_t cls;
            const char *t = text_of(c, k, &st);
            char buf[16];
            if (!t)
                return st;
            if (!imp_hex(t, strlen(t), 6, &cls))
                return xml_error(c, k, "'%.40s' is not a PCI class (0x and 6 hex digits)", t);
            if ((st = imp_addz(d, "class", imp_hex_text(cls, 6, buf))) != DC_OK)
                return st;
        } else if (is(k, "vendor")) {
            if ((st = pci_id_element(c, d, k, &vendor, "libvirt.vendor_name")) != DC_OK)
                return st;
            have_vendor = true;
        } else if (is(k, "product")) {
            if ((st = pci_id_element(c, d, k, &device, "libvirt.product_name")) != DC_OK)
                return st;
            have_device = true;
        } else if (is(k, "iommuGroup")) {
            uint32_t g;
            char buf[16];
            if ((st = number(c, k, prop(k, "number"), UINT32_MAX, &g)) != DC_OK)
                return st;
            snprintf(buf, sizeof buf, "%u", g);
            if ((st = imp_addz(d, "iommu_group", buf)) != DC_OK)
                return st;
        } else if (is(k, "numa")) {
            const char *node = prop(k, "node");
            if (node && (st = imp_addz(d, "numa_node", node)) != DC_OK)
                return st;
        } else if (is(k, "capability")) {
            const char *type = prop(k, "type");
            if (!type)
                return xml_error(c, k, "%s", "a capability without a type");
            if (!strcmp(type, "phys_function")) {
                dc_status s2 = DC_OK;
                const xmlNode *a = element(c, k->children, &s2);
                if (s2 != DC_OK)
                    return s2;
                if (a) {
                    if (!is(a, "address"))
                        return xml_error(c, a, "%s", "expected <address>");
                    if ((st = address(c, a, dev->pf)) != DC_OK ||
                        (st = imp_addz(d, "pf.address", dev->pf)) != DC_OK)
                        return st;
                }
            } else if (!strcmp(type, "virt_functions")) {
                size_t count = 0;
                char buf[16];
                EACH_ELEMENT(c, k, a, st)
                {
                    char addr[16];
                    if (!is(a, "address"))
                        return xml_error(c, a, "%s", "expected <address>");
                    if ((st = address(c, a, addr)) != DC_OK)
                        return st;
                    count++;
                }
                if (st != DC_OK)
                    return st;
                dev->vfs = k;
                snprintf(buf, sizeof buf, "%zu", count);
                if ((st = imp_addz(d, "libvirt.virt_functions.count", buf)) != DC_OK)
                    return st;
                const char *mc = prop(k, "maxCount");
                if (mc && (st = imp_addz(d, "libvirt.virt_functions.max_count", mc)) != DC_OK)
                    return st;
            } else if (!strcmp(type, "pci-bridge") || !strcmp(type, "cardbus-bridge")) {
                if ((st = imp_addz(d, "libvirt.bridge", type)) != DC_OK)
                    return st;
            } else if (!strcmp(type, "mdev_types")) {
                dev->types = k;
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
            if ((st = keep(c, d, "libvirt", k, cstr(k->name))) != DC_OK)
                return st;
        }
    }
    if (st != DC_OK)
        return st;
    for (int i = 0; i < 4; i++)
        if (!have[i])
            return xml_error(c, cap, "the PCI capability has no <%s>", parts[i]);
    if (!have_vendor || !have_device)
        return xml_error(c, cap, "the PCI capability has no <%s>",
                         have_vendor ? "product" : "vendor");
    imp_pci_address(part[0], part[1], part[2], part[3], dev->address);
    d->line = line_of(cap);
    dev->parent_addr = dev->address;
    if ((st = imp_addz(d, "address", dev->address)) != DC_OK)
        return st;
    return imp_pci_ids(d, vendor, device);
}

static dc_status mdev_capability(lv_ctx *c, lv_dev *dev, imp_dev *d, const xmlNode *cap)
{
    dc_status st = DC_OK;
    /* attr elements: a repeated name becomes a set, in document order */
    EACH_ELEMENT(c, cap, k, st)
    {
        d->line = line_of(k);
        if (is(k, "type")) {
            const char *id = prop(k, "id");
            if (!id || !*id)
                return xml_error(c, k, "%s", "an mdev type without an id");
            dev->mdev_type = id;
            if ((st = imp_addz(d, "type", id)) != DC_OK ||
                (st = imp_addz(d, "mdev_type", id)) != DC_OK)
                return st;
        } else if (is(k, "uuid")) {
            const char *t = text_of(c, k, &st);
            if (!t || (st = imp_addz(d, "uuid", t)) != DC_OK)
                return st;
        } else if (is(k, "iommuGroup")) {
            uint32_t g;
            char buf[16];
            if ((st = number(c, k, prop(k, "number"), UINT32_MAX, &g)) != DC_OK)
                return st;
            snprintf(buf, sizeof buf, "%u", g);
            if ((st = imp_addz(d, "iommu_group", buf)) != DC_OK)
                return st;
        } else if (is(k, "parent_addr")) {
            const char *t = text_of(c, k, &st);
            if (!t || (st = imp_addz(d, "parent", t)) != DC_OK)
                return st;
        } else if (is(k, "attr")) {
            const char *name = prop(k, "name"), *value = prop(k, "value");
            if (!name || !value)
                return xml_error(c, k, "%s", "an attr needs a name and a value");
            bool first = true;
            for (const xmlNode *s = cap->children; s != k; s = s->next)
                if (is(s, "attr") && prop(s, "name") && !strcmp(prop(s, "name"), name))
                    first = false;
            if (!first)
                continue; /* joined with the first */
            char aname[DC_MAX_NAME + 8], joined[DC_MAX_VALUE + 1];
            if (!imp_name(aname, sizeof aname, "attr", name, strlen(name)))
                return xml_error(c, k, "attr name '%.40s' cannot be a fact name", name);
            size_t o = 0;
            for (const xmlNode *s = k; s; s = s->next) {
                const char *sn = is(s, "attr") ? prop(s, "name") : NULL;
                const char *sv = sn ? prop(s, "value") : NULL;
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
            if ((st = imp_add(d, aname, joined, o)) != DC_OK)
                return st;
        } else {
            if ((st = keep(c, d, "libvirt", k, cstr(k->name))) != DC_OK)
                return st;
        }
    }
    if (st == DC_OK && !dev->mdev_type)
        return xml_error(c, cap, "%s", "the mdev capability has no <type id=...>");
    return st;
}

/* The ccw address of a css device, as mdevctl names the parent:
 * cssid.ssid.devno ("0.0.0023"). */
static dc_status css_address(lv_ctx *c, lv_dev *dev, const xmlNode *cap)
{
    uint32_t v[3] = { 0, 0, 0 };
    static const char *const parts[3] = { "cssid", "ssid", "devno" };
    static const uint32_t max[3] = { 0xff, 3, 0xffff };
    dc_status st = DC_OK;
    EACH_ELEMENT(c, cap, k, st)
    {
        for (int i = 0; i < 3; i++)
            if (is(k, parts[i]) && (st = text_number(c, k, max[i], &v[i])) != DC_OK)
                return st;
        if (is(k, "capability") && prop(k, "type") && !strcmp(prop(k, "type"), "mdev_types"))
            dev->types = k;
    }
    snprintf(dev->type_parent, sizeof dev->type_parent, "%x.%x.%04x", v[0], v[1], v[2]);
    dev->parent_addr = dev->type_parent;
    return st;
}

/* ------------------------------------------------------------- devices */

static dc_status device(lv_ctx *c, const xmlNode *n)
{
    dc_status st = DC_OK;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        lv_dev *devs = mem_grow(c->alloc, c->devs, cap, sizeof *devs);
        if (!devs)
            return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
        c->devs = devs;
        c->cap = cap;
    }
    lv_dev *dev = &c->devs[c->n];
    memset(dev, 0, sizeof *dev);
    dev->line = line_of(n);
    if (!(dev->facts = facts_new(c->alloc)))
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    c->n++;
    imp_dev d = { dev->facts, c->file, dev->line, c->err };
    const xmlNode *cap = NULL;
    EACH_ELEMENT(c, n, k, st)
    {
        d.line = line_of(k);
        if (is(k, "name") || is(k, "parent") || is(k, "path")) {
            const char *t = text_of(c, k, &st);
            if (!t)
                return st;
            if (is(k, "name")) {
                if (!*t)
                    return xml_error(c, k, "%s", "an empty device name");
                if (!(dev->id = mem_strndup(c->alloc, t, strlen(t))))
                    return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
            }
            if (is(k, "parent"))
                dev->parent = t;
            char name[32];
            snprintf(name, sizeof name, "libvirt.%s", cstr(k->name));
            if (*t && (st = imp_add_text(&d, name, t, strlen(t))) != DC_OK)
                return st;
        } else if (is(k, "driver")) {
            dc_status s2 = DC_OK;
            const xmlNode *dn = element(c, k->children, &s2);
            const char *t = dn && is(dn, "name") ? text_of(c, dn, &s2) : NULL;
            if (s2 != DC_OK)
                return s2;
            if (!t || !*t)
                return xml_error(c, k, "%s", "expected <name>DRIVER</name>");
            if ((st = imp_driver(&d, t, strlen(t))) != DC_OK)
                return st;
        } else if (is(k, "capability")) {
            if (cap)
                continue; /* libvirt writes one; the first says the kind */
            cap = k;
        } else if ((st = keep(c, &d, "libvirt", k, cstr(k->name))) != DC_OK) {
            return st;
        }
    }
    if (st != DC_OK)
        return st;
    if (!dev->id)
        return xml_error(c, n, "%s", "a device without a <name>");
    if (!cap)
        return xml_error(c, n, "device '%s' has no <capability>", dev->id);
    const char *type = prop(cap, "type");
    if (!type)
        return xml_error(c, cap, "%s", "a capability without a type");
    if (!strcmp(type, "pci")) {
        dev->kind = K_PCI;
        return pci_capability(c, dev, &d, cap);
    }
    if (!strcmp(type, "mdev")) {
        dev->kind = K_MDEV;
        return mdev_capability(c, dev, &d, cap);
    }
    for (size_t i = 0; i < sizeof other_kinds / sizeof *other_kinds; i++)
        if (!strcmp(type, other_kinds[i])) {
            dev->kind = K_OTHER;
            if (!strcmp(type, "css"))
                return css_address(c, dev, cap);
            if (!strcmp(type, "ap_matrix")) {
                snprintf(dev->type_parent, sizeof dev->type_parent, "matrix");
                dev->parent_addr = dev->type_parent;
                EACH_ELEMENT(c, cap, k, st)
                if (is(k, "capability") && prop(k, "type") &&
                    !strcmp(prop(k, "type"), "mdev_types"))
                    dev->types = k;
            }
            return st;
        }
    return xml_error(c, cap,
                     "unknown capability type '%.40s' (devcompat reads pci and mdev "
                     "devices, and the mdev types of css and ap_matrix)",
                     type);
}

/* --------------------------------------------------- across devices */

static int by_address(const void *a, const void *b)
{
    const lv_dev *x = *(const lv_dev *const *)a, *y = *(const lv_dev *const *)b;
    return strcmp(x->address, y->address);
}

static int by_name(const void *a, const void *b)
{
    const lv_dev *x = *(const lv_dev *const *)a, *y = *(const lv_dev *const *)b;
    return strcmp(x->id, y->id);
}

/* The device of a sorted index whose key (address or id) is `key`. */
static lv_dev *find(lv_dev **index, size_t n, const char *key, bool by_addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(by_addr ? index[mid]->address : index[mid]->id, key);
        if (cmp == 0)
            return index[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A VF's PF facts, and an mdev's device_api and parent, from the other
 * devices of the same input. */
static dc_status relate(lv_ctx *c)
{
    if (c->n < 2)
        return DC_OK;
    lv_dev **by_addr = mem_array(c->alloc, c->n, sizeof *by_addr);
    lv_dev **by_id = mem_array(c->alloc, c->n, sizeof *by_id);
    dc_status st = DC_OK;
    if (!by_addr || !by_id) {
        st = dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
        goto out;
    }
    for (size_t i = 0; i < c->n; i++)
        by_addr[i] = by_id[i] = &c->devs[i];
    qsort(by_addr, c->n, sizeof *by_addr, by_address);
    qsort(by_id, c->n, sizeof *by_id, by_name);
    for (size_t i = 0; i < c->n && st == DC_OK; i++) {
        lv_dev *dev = &c->devs[i];
        imp_dev d = { dev->facts, c->file, dev->line, c->err };
        if (dev->kind == K_PCI && dev->pf[0]) {
            lv_dev *pf = find(by_addr, c->n, dev->pf, true);
            if (!pf)
                continue;
            static const char *const copied[] = { "pci_id", "revision", "driver" };
            for (size_t k = 0; k < 3 && st == DC_OK; k++) {
                const char *v = dc_facts_lookup(pf->facts, copied[k]);
                char name[32];
                snprintf(name, sizeof name, "pf.%s", copied[k]);
                if (v)
                    st = imp_addz(&d, name, v);
            }
            dc_status s2 = DC_OK;
            size_t index = 0;
            for (const xmlNode *a = pf->vfs ? element(c, pf->vfs->children, &s2) : NULL; a;
                 a = element(c, a->next, &s2), index++) {
                char addr[16];
                if (address(c, a, addr) == DC_OK && !strcmp(addr, dev->address)) {
                    char buf[24];
                    snprintf(buf, sizeof buf, "%zu", index);
                    st = imp_addz(&d, "vf_index", buf);
                    break;
                }
            }
        } else if (dev->kind == K_MDEV && dev->parent) {
            lv_dev *parent = find(by_id, c->n, dev->parent, false);
            if (!parent)
                continue;
            if (parent->parent_addr && !dc_facts_lookup(dev->facts, "parent"))
                st = imp_addz(&d, "parent", parent->parent_addr);
            dc_status s2 = DC_OK;
            if (!parent->types)
                continue;
            EACH_ELEMENT(c, parent->types, t, s2)
            {
                const char *id = prop(t, "id");
                if (st != DC_OK || !id || strcmp(id, dev->mdev_type))
                    continue;
                EACH_ELEMENT(c, t, f, s2)
                if (is(f, "deviceAPI") && !dc_facts_lookup(dev->facts, "device_api")) {
                    const char *api = text_of(c, f, &s2);
                    if (api)
                        st = imp_addz(&d, "device_api", api);
                }
            }
        }
    }
out:
    mem_free(c->alloc, by_addr);
    mem_free(c->alloc, by_id);
    return st;
}

/* ------------------------------------------------------------- types */

/* The mdev types of dev, each a device that could be created. */
static dc_status push_types(lv_ctx *c, const lv_dev *dev, dc_inventory *inv)
{
    dc_status st = DC_OK;
    EACH_ELEMENT(c, dev->types, t, st)
    {
        if (!is(t, "type"))
            return xml_error(c, t, "%s", "expected <type id=...> in mdev_types");
        const char *id = prop(t, "id");
        if (!id || !*id)
            return xml_error(c, t, "%s", "an mdev type without an id");
        dc_facts *f = facts_new(c->alloc);
        if (!f)
            return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
        imp_dev d = { f, c->file, line_of(t), c->err };
        if ((st = imp_addz(&d, "type", id)) == DC_OK)
            st = imp_addz(&d, "mdev_type", id);
        if (st == DC_OK && dev->parent_addr)
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
            if (is(k, "name")) {
                st = imp_add_text(&d, "name", v, strlen(v));
            } else if (is(k, "deviceAPI")) {
                st = imp_addz(&d, "device_api", v);
                api = true;
            } else if (is(k, "availableInstances")) {
                uint32_t n;
                char buf[16];
                if ((st = number(c, k, v, UINT32_MAX, &n)) == DC_OK) {
                    snprintf(buf, sizeof buf, "%u", n);
                    st = imp_addz(&d, "available_instances", buf);
                }
                avail = true;
            } else {
                st = keep(c, &d, "libvirt", k, cstr(k->name));
            }
        }
        if (st == DC_OK && (!api || !avail))
            st = xml_error(c, t, "mdev type '%s' has no <deviceAPI> or <availableInstances>",
                           id);
        char tid[DC_MAX_NAME * 2 + 2];
        int n = snprintf(tid, sizeof tid, "%s/%s", dev->id, id);
        if (st != DC_OK || n < 0 || (size_t)n >= sizeof tid) {
            dc_facts_free(f);
            return st != DC_OK ? st : xml_error(c, t, "%s", "an id too long");
        }
        if ((st = inv_push(inv, tid, (size_t)n, f, line_of(t), true, c->err)) != DC_OK)
            return st;
    }
    return st;
}

dc_status import_libvirt(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                         dc_inventory *inv, dc_error *err)
{
    lv_ctx c = { alloc, file, err, NULL, 0, 0 };
    if (len > INT32_MAX)
        return dc_error_set(err, DC_ERR_LIMIT, "%s: larger than 2 GiB", file);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    ctxt->sax->serror = quiet; /* the library never prints */
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, text, (int)len, file, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                                          XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    dc_status st = DC_OK;
    if (!doc) {
        xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
        char msg[256] = "not well-formed";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t n = strlen(msg);
            while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
        }
        st = dc_error_set(err, DC_ERR_FACTS, "%s:%d: malformed XML: %s", file, e ? e->line : 0,
                          msg);
        xmlFreeParserCtxt(ctxt);
        return st;
    }
    xmlFreeParserCtxt(ctxt);
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (!root) {
        st = dc_error_set(err, DC_ERR_FACTS, "%s: no XML element", file);
    } else if (is(root, "device")) {
        st = device(&c, root);
    } else if (is(root, "node") || is(root, "devices")) {
        /* the test driver's file holds domains, networks... beside devices */
        EACH_ELEMENT(&c, root, k, st)
        if (is(k, "device") && (st = device(&c, k)) != DC_OK)
            break;
    } else {
        st = dc_error_set(err, DC_ERR_FACTS,
                          "%s:%u: <%s>: expected <device> (virsh "
                          "nodedev-dumpxml), or <node> or <devices> holding them",
                          file, line_of(root), cstr(root->name));
    }
    if (st == DC_OK)
        st = relate(&c);
    for (size_t i = 0; i < c.n; i++) {
        lv_dev *dev = &c.devs[i];
        if (st == DC_OK && dev->kind != K_OTHER) {
            st = inv_push(inv, dev->id, strlen(dev->id), dev->facts, dev->line, false, err);
            dev->facts = NULL;
        }
        if (st == DC_OK && dev->types)
            st = push_types(&c, dev, inv);
        dc_facts_free(dev->facts);
        mem_free(alloc, dev->id);
    }
    mem_free(alloc, c.devs);
    xmlFreeDoc(doc);
    return st;
}

#endif /* HAVE_LIBXML2 */
