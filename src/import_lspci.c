/* import_lspci.c -- `lspci -vmm -nn -D [-k]` (docs/facts.md, "lspci").
 *
 *   Slot:    0000:00:02.0                      -> address (and the id)
 *   Class:   VGA compatible controller [0300]  -> class=0x030000 (with ProgIf),
 *   ProgIf:  00                                   lspci.class_name
 *   Vendor:  Intel Corporation [8086]          -> vendor=0x8086, pci_id,
 *   Device:  HD Graphics 630 [591b]               device=0x591b, lspci.*_name
 *   SVendor/SDevice                            -> subsystem_vendor/_device
 *   Rev:     04                                -> revision=0x04
 *   Driver:  i915 (-k)                         -> driver [device_api]
 *   Module:  i915 (-k, repeated)               -> lspci.module (a set)
 *   IOMMUGroup, NUMANode                       -> iommu_group, numa_node
 *   anything else, TAG                         -> lspci.tag
 *
 * Records are separated by blank lines.  lspci prints Rev and ProgIf only
 * when they are not zero: their absence reads as 0x00, as lspci means it.
 * A Slot without a domain (lspci without -D, which omits it only when every
 * domain is 0000) reads as domain 0000.  Without -nn there are no ids: an
 * error.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "import.h"
#include "limits.h"

enum tag {
    T_SLOT,
    T_CLASS,
    T_VENDOR,
    T_DEVICE,
    T_SVENDOR,
    T_SDEVICE,
    T_REV,
    T_PROGIF,
    T_DRIVER,
    T_MODULE,
    T_IOMMU,
    T_NUMA,
    T_OTHER,
    T_COUNT
};

static const char *const tags[T_OTHER] = {
    "Slot", "Class",  "Vendor", "Device", "SVendor",    "SDevice",
    "Rev",  "ProgIf", "Driver", "Module", "IOMMUGroup", "NUMANode",
};

typedef struct field {
    const char *v;
    size_t n;
    uint32_t line;
} field;

typedef struct record {
    field f[T_COUNT];
    char modules[DC_MAX_VALUE + 1];
    size_t modules_len;
    uint32_t first_line;
} record;

typedef struct lspci_ctx {
    const dc_alloc *alloc;
    const char *file;
    dc_inventory *inv;
    dc_error *err;
} lspci_ctx;

/* "Name [abcd]": the id in brackets at the end, and the name before it. */
static bool bracket_id(const field *f, unsigned digits, uint32_t *id, const char **name,
                       size_t *name_len)
{
    const char *v = f->v;
    size_t n = f->n;
    if (n < 3 || v[n - 1] != ']')
        return false;
    const char *open = NULL;
    for (size_t i = n - 1; i-- > 0;)
        if (v[i] == '[') {
            open = v + i;
            break;
        }
    if (!open || !imp_hex(open + 1, (size_t)(v + n - 1 - open - 1), digits, id))
        return false;
    *name = v;
    *name_len = (size_t)(open - v);
    facts_trim(name, name_len);
    return true;
}

static dc_status bad(lspci_ctx *c, const field *f, const char *tag, const char *what)
{
    return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u: %s: '%.*s' %s", c->file, f->line, tag,
                        (int)(f->n > 60 ? 60 : f->n), f->v, what);
}

/* vendor/device-like: the id (and the name under lspci.NAME). */
static dc_status id_field(lspci_ctx *c, imp_dev *d, const record *r, enum tag t,
                          const char *id_fact, const char *name_fact, uint32_t *id)
{
    const field *f = &r->f[t];
    const char *name;
    size_t nl;
    if (!bracket_id(f, 4, id, &name, &nl))
        return bad(c, f, tags[t], "has no [hex id] (run lspci with -nn)");
    char buf[16];
    d->line = f->line;
    dc_status st = id_fact ? imp_addz(d, id_fact, imp_hex_text(*id, 4, buf)) : DC_OK;
    return st == DC_OK && nl ? imp_add_text(d, name_fact, name, nl) : st;
}

static dc_status record_done(lspci_ctx *c, record *r, const dc_facts *other)
{
    if (!r->first_line)
        return DC_OK;
    if (!r->f[T_SLOT].v)
        return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u: a record without Slot", c->file,
                            r->first_line);
    static const enum tag needed[] = { T_CLASS, T_VENDOR, T_DEVICE };
    for (size_t i = 0; i < 3; i++)
        if (!r->f[needed[i]].v)
            return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u: record '%.*s' has no %s", c->file,
                                r->first_line, (int)r->f[T_SLOT].n, r->f[T_SLOT].v,
                                tags[needed[i]]);
    dc_facts *facts = facts_new(c->alloc);
    if (!facts)
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    imp_dev d = { facts, c->file, r->f[T_SLOT].line, c->err, NULL };
    char addr[32], buf[16];
    const field *slot = &r->f[T_SLOT];
    dc_status st = DC_OK;
    if (slot->n == 7 &&
        imp_is_pci_address((snprintf(addr, sizeof addr, "0000:%.7s", slot->v), addr), 12)) {
        /* lspci without -D: domain 0000 */
    } else if (imp_is_pci_address(slot->v, slot->n)) {
        snprintf(addr, sizeof addr, "%.*s", (int)slot->n, slot->v);
    } else {
        st = bad(c, slot, "Slot", "is not a PCI address (DDDD:BB:DD.F)");
    }
    for (char *p = addr; st == DC_OK && *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    if (st == DC_OK)
        st = imp_addz(&d, "address", addr);
    uint32_t vendor = 0, device = 0, cls = 0, sub = 0, progif = 0, rev = 0;
    const char *name;
    size_t nl;
    if (st == DC_OK)
        st = id_field(c, &d, r, T_VENDOR, NULL, "lspci.vendor_name", &vendor);
    if (st == DC_OK)
        st = id_field(c, &d, r, T_DEVICE, NULL, "lspci.device_name", &device);
    if (st == DC_OK)
        st = imp_pci_ids(&d, vendor, device);
    if (st == DC_OK && r->f[T_SVENDOR].v)
        st = id_field(c, &d, r, T_SVENDOR, "subsystem_vendor", "lspci.subsystem_vendor_name",
                      &sub);
    if (st == DC_OK && r->f[T_SDEVICE].v)
        st = id_field(c, &d, r, T_SDEVICE, "subsystem_device", "lspci.subsystem_device_name",
                      &sub);
    if (st == DC_OK) {
        const field *f = &r->f[T_CLASS];
        if (!bracket_id(f, 4, &cls, &name, &nl))
            st = bad(c, f, "Class", "has no [hex class] (run lspci with -nn)");
        else if (nl)
            st = (d.line = f->line, imp_add_text(&d, "lspci.class_name", name, nl));
    }
    if (st == DC_OK && r->f[T_PROGIF].v &&
        !imp_hex(r->f[T_PROGIF].v, r->f[T_PROGIF].n, 2, &progif))
        st = bad(c, &r->f[T_PROGIF], "ProgIf", "is not a hex byte");
    if (st == DC_OK && r->f[T_REV].v && !imp_hex(r->f[T_REV].v, r->f[T_REV].n, 2, &rev))
        st = bad(c, &r->f[T_REV], "Rev", "is not a hex byte");
    if (st == DC_OK)
        st = imp_addz(&d, "class", imp_hex_text(cls << 8 | progif, 6, buf));
    if (st == DC_OK)
        st = imp_addz(&d, "revision", imp_hex_text(rev, 2, buf));
    if (st == DC_OK && r->f[T_DRIVER].v)
        st = (d.line = r->f[T_DRIVER].line, imp_driver(&d, r->f[T_DRIVER].v, r->f[T_DRIVER].n));
    if (st == DC_OK && r->modules_len)
        st = imp_add(&d, "lspci.module", r->modules, r->modules_len);
    if (st == DC_OK && r->f[T_IOMMU].v)
        st = (d.line = r->f[T_IOMMU].line,
              imp_add(&d, "iommu_group", r->f[T_IOMMU].v, r->f[T_IOMMU].n));
    if (st == DC_OK && r->f[T_NUMA].v)
        st = (d.line = r->f[T_NUMA].line,
              imp_add(&d, "numa_node", r->f[T_NUMA].v, r->f[T_NUMA].n));
    for (size_t i = 0; st == DC_OK && i < dc_facts_count(other); i++) {
        const char *v = dc_facts_value(other, i);
        st = imp_add(&d, dc_facts_name(other, i), v, strlen(v));
    }
    if (st != DC_OK) {
        dc_facts_free(facts);
        return st;
    }
    return inv_push(c->inv, addr, strlen(addr), facts, r->f[T_SLOT].line, false, c->err);
}

dc_status import_lspci(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                       dc_inventory *inv, dc_error *err)
{
    lspci_ctx c = { alloc, file, inv, err };
    const char *end = text + len, *next;
    record *r = mem_zalloc(alloc, sizeof *r);
    if (!r)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    dc_facts *other = NULL; /* the record's lspci.* facts, added at its end */
    dc_status st = DC_OK;
    uint32_t line = 0;
    for (const char *s = text; st == DC_OK && s <= end; s = next) {
        line++;
        const char *e = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
        next = e ? e + 1 : end + 1;
        if (!e)
            e = end;
        const char *p = s;
        size_t n = (size_t)(e - s);
        facts_trim(&p, &n);
        if (n == 0) {
            st = record_done(&c, r, other);
            dc_facts_free(other);
            other = NULL;
            memset(r, 0, sizeof *r);
            continue;
        }
        if (!r->first_line)
            r->first_line = line;
        const char *colon = memchr(p, ':', n);
        if (!colon) {
            st = dc_error_set(err, DC_ERR_FACTS,
                              "%s:%u: expected 'Tag:<tab>value' (lspci "
                              "-vmm), got '%.*s'",
                              file, line, (int)(n < 40 ? n : 40), p);
            break;
        }
        size_t tl = (size_t)(colon - p);
        const char *v = colon + 1;
        size_t vl = (size_t)(p + n - v);
        facts_trim(&v, &vl);
        enum tag t = T_OTHER;
        for (int i = 0; i < T_OTHER; i++)
            if (strlen(tags[i]) == tl && !memcmp(tags[i], p, tl))
                t = (enum tag)i;
        if (t == T_MODULE) {
            if (r->modules_len + 1 + vl > DC_MAX_VALUE) {
                st = dc_error_set(err, DC_ERR_LIMIT, "%s:%u: Module: too many modules", file,
                                  line);
                break;
            }
            if (r->modules_len)
                r->modules[r->modules_len++] = ',';
            memcpy(r->modules + r->modules_len, v, vl);
            r->modules_len += vl;
        } else if (t != T_OTHER) {
            if (r->f[t].v) {
                st = dc_error_set(err, DC_ERR_FACTS,
                                  "%s:%u: a second %s in one record (the "
                                  "first at line %u)",
                                  file, line, tags[t], r->f[t].line);
                break;
            }
            r->f[t] = (field){ v, vl, line };
        } else {
            char name[DC_MAX_NAME + 8];
            char lower[64];
            size_t ll = tl < sizeof lower ? tl : sizeof lower - 1;
            for (size_t i = 0; i < ll; i++)
                lower[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
            if (!imp_name(name, sizeof name, "lspci", lower, ll)) {
                st = dc_error_set(err, DC_ERR_FACTS, "%s:%u: tag '%.*s' cannot be a fact name",
                                  file, line, (int)ll, p);
                break;
            }
            if (!other && !(other = facts_new(alloc))) {
                st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
                break;
            }
            imp_dev d = { other, file, line, err, NULL };
            st = imp_add_text(&d, name, v, vl);
        }
    }
    if (st == DC_OK)
        st = record_done(&c, r, other);
    dc_facts_free(other);
    mem_free(alloc, r);
    return st;
}
