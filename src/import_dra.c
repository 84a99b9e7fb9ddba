/* import_dra.c -- Kubernetes DRA ResourceSlice objects (docs/facts.md, "dra").
 *
 *   apiVersion: resource.k8s.io/v1           (a ResourceSlice, or a List /
 *   kind: ResourceSlice                       ResourceSliceList of them in
 *   spec:                                     `items`)
 *     driver: gpu.example.com
 *     pool: {name: node-1, ...}
 *     devices:
 *     - name: gpu-0                          -> id POOL/DEVICE
 *       attributes:
 *         model: {string: "A100"}            -> model=A100
 *         index: {int: 0}                    -> index=0
 *         mig: {bool: true}                  -> mig=true
 *         driverVersion: {version: 1.2.3}    -> driverVersion=1.2.3
 *         resource.kubernetes.io/pcieRoot: {string: pci0000:00}
 *                                            -> resource.kubernetes.io.pcieRoot=...
 *       capacity: {memory: {value: 40Gi}}    -> capacity.memory=40Gi
 *
 * An attribute name in the driver's own domain (or none) is the fact name;
 * another domain's becomes its labels as segments ('-' as '_').  Each
 * attribute holds exactly one of int, bool, string, version (the API's
 * DeviceAttribute, k8s.io/api/resource/v1 types.go); anything else is an
 * error.  dra.driver, dra.pool and dra.node_name say where a device is.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "import.h"
#include "limits.h"

typedef struct dra_ctx {
    const dc_alloc *alloc;
    const char *file;
    dc_inventory *inv;
    dc_error *err;
} dra_ctx;

static dc_status attribute(dra_ctx *c, imp_dev *d, const facts_ynode *k, const facts_ynode *v,
                           const facts_ynode *driver)
{
    char name[DC_MAX_NAME + 8];
    const char *slash = k->kind == FACTS_YSCALAR ? memchr(k->text, '/', k->len) : NULL;
    bool ok;
    if (!slash)
        ok = k->kind == FACTS_YSCALAR && imp_name(name, sizeof name, NULL, k->text, k->len);
    else if (driver && (size_t)(slash - k->text) == driver->len &&
             !memcmp(k->text, driver->text, driver->len))
        ok = imp_name(name, sizeof name, NULL, slash + 1, k->len - driver->len - 1);
    else {
        char domain[DC_MAX_NAME + 8];
        ok = imp_name(domain, sizeof domain, NULL, k->text, (size_t)(slash - k->text)) &&
             imp_name(name, sizeof name, domain, slash + 1,
                      (size_t)(k->text + k->len - slash - 1));
    }
    if (!ok)
        return imp_yerror(c->err, c->file, k, "attribute '%.*s' cannot be a fact name",
                          (int)(k->len > 80 ? 80 : k->len), k->text);
    if (v->kind != FACTS_YMAP || v->count != 2)
        return imp_yerror(c->err, c->file, v,
                          "attribute '%s': expected one of {int: N}, "
                          "{bool: B}, {string: S}, {version: V}",
                          name);
    const facts_ynode *type = v->first, *value = v->first->next;
    if (value->kind != FACTS_YSCALAR)
        return imp_yerror(c->err, c->file, value, "attribute '%s': expected a scalar", name);
    d->line = value->line;
    if (imp_ykey_is(type, "int")) {
        size_t i = value->len && value->text[0] == '-';
        bool digits = value->len > i && value->len - i <= 19;
        for (size_t j = i; digits && j < value->len; j++)
            digits = value->text[j] >= '0' && value->text[j] <= '9';
        if (!digits)
            return imp_yerror(c->err, c->file, value, "attribute '%s': '%.*s' is not an int64",
                              name, (int)(value->len > 40 ? 40 : value->len), value->text);
        return imp_add(d, name, value->text, value->len);
    }
    if (imp_ykey_is(type, "bool")) {
        if (!imp_ykey_is(value, "true") && !imp_ykey_is(value, "false"))
            return imp_yerror(c->err, c->file, value, "attribute '%s': expected true or false",
                              name);
        return imp_add(d, name, value->text, value->len);
    }
    if (imp_ykey_is(type, "string"))
        return imp_add_text(d, name, value->text, value->len);
    if (imp_ykey_is(type, "version"))
        return imp_add(d, name, value->text, value->len);
    return imp_yerror(c->err, c->file, type,
                      "attribute '%s': unknown type '%.*s' (int, bool, "
                      "string, version)",
                      name, (int)(type->len > 40 ? 40 : type->len), type->text);
}

static dc_status device(dra_ctx *c, const facts_ynode *dev, const facts_ynode *spec,
                        const facts_ynode *pool)
{
    const facts_ynode *name = imp_yget(dev, "name"), *driver = imp_yget(spec, "driver");
    if (dev->kind != FACTS_YMAP || !name || name->kind != FACTS_YSCALAR)
        return imp_yerror(c->err, c->file, dev, "a device needs a name");
    dc_facts *f = facts_new(c->alloc);
    if (!f)
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    imp_dev d = { f, c->file, dev->line, c->err, NULL };
    dc_status st = DC_OK;
    const facts_ynode *node = imp_yget(spec, "nodeName");
    if (driver && driver->kind == FACTS_YSCALAR)
        st = imp_yscalar(&d, "dra.driver", driver, false);
    if (st == DC_OK)
        st = imp_yscalar(&d, "dra.pool", pool, false);
    if (st == DC_OK && node)
        st = imp_yscalar(&d, "dra.node_name", node, false);
    for (const facts_ynode *k = dev->first; st == DC_OK && k && k->next; k = k->next->next) {
        const facts_ynode *v = k->next;
        if (imp_ykey_is(k, "attributes")) {
            if (v->kind != FACTS_YMAP) {
                st = imp_yerror(c->err, c->file, v, "attributes: expected a mapping");
                break;
            }
            for (const facts_ynode *a = v->first; st == DC_OK && a && a->next;
                 a = a->next->next)
                st = attribute(c, &d, a, a->next, driver);
        } else if (imp_ykey_is(k, "capacity")) {
            if (v->kind != FACTS_YMAP) {
                st = imp_yerror(c->err, c->file, v, "capacity: expected a mapping");
                break;
            }
            for (const facts_ynode *a = v->first; st == DC_OK && a && a->next;
                 a = a->next->next) {
                const facts_ynode *q = imp_yget(a->next, "value");
                char cn[DC_MAX_NAME + 8];
                if (!q || a->kind != FACTS_YSCALAR ||
                    !imp_name(cn, sizeof cn, "capacity", a->text, a->len))
                    st = imp_yerror(c->err, c->file, a, "capacity: expected NAME: {value: Q}");
                else
                    st = imp_yscalar(&d, cn, q, false);
            }
        } else if (!imp_ykey_is(k, "name") && v->kind == FACTS_YSCALAR) {
            char kn[DC_MAX_NAME + 8];
            st = imp_name(kn, sizeof kn, "dra", k->text, k->len)
                     ? imp_yscalar(&d, kn, v, true)
                     : imp_yerror(c->err, c->file, k, "a key that cannot be a fact name");
        }
        /* lists and mappings the API adds (taints, consumesCounters...) are
         * not facts of a device's identity */
    }
    char id[DC_MAX_NAME * 2 + 2];
    int n = snprintf(id, sizeof id, "%.*s/%.*s", (int)pool->len, pool->text, (int)name->len,
                     name->text);
    if (st == DC_OK && (n < 0 || (size_t)n >= sizeof id))
        st = imp_yerror(c->err, c->file, name, "an id longer than %zu bytes", sizeof id - 1);
    if (st != DC_OK) {
        dc_facts_free(f);
        return st;
    }
    return inv_push(c->inv, id, (size_t)n, f, dev->line, false, c->err);
}

static dc_status slice(dra_ctx *c, const facts_ynode *obj)
{
    const facts_ynode *api = imp_yget(obj, "apiVersion"), *kind = imp_yget(obj, "kind");
    if (!kind || !imp_ykey_is(kind, "ResourceSlice"))
        return imp_yerror(c->err, c->file, kind ? kind : obj, "expected kind: ResourceSlice");
    if (!api || !imp_ykey_is(api, "resource.k8s.io/v1"))
        return imp_yerror(c->err, c->file, api ? api : obj,
                          "expected apiVersion: "
                          "resource.k8s.io/v1 (v1beta versions nest devices differently)");
    const facts_ynode *spec = imp_yget(obj, "spec");
    const facts_ynode *pool = imp_yget(imp_yget(spec, "pool"), "name");
    if (!spec || !pool || pool->kind != FACTS_YSCALAR)
        return imp_yerror(c->err, c->file, spec ? spec : obj, "spec.pool.name is missing");
    const facts_ynode *devices = imp_yget(spec, "devices");
    if (!devices)
        return DC_OK;
    if (devices->kind != FACTS_YSEQ)
        return imp_yerror(c->err, c->file, devices, "spec.devices: expected a list");
    dc_status st = DC_OK;
    for (const facts_ynode *d = devices->first; st == DC_OK && d; d = d->next)
        st = device(c, d, spec, pool);
    return st;
}

dc_status import_dra(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                     dc_inventory *inv, dc_error *err)
{
    dra_ctx c = { alloc, file, inv, err };
    facts_ytree *tree;
    const facts_ynode *root;
    dc_status st =
        facts_ytree_read(alloc, file, "a ResourceSlice", text, len, &tree, &root, err);
    if (st != DC_OK)
        return st;
    const facts_ynode *kind = imp_yget(root, "kind"), *items = imp_yget(root, "items");
    if (!root || root->kind != FACTS_YMAP) {
        st = imp_yerror(err, file, root, "expected a ResourceSlice object");
    } else if (kind && (imp_ykey_is(kind, "List") || imp_ykey_is(kind, "ResourceSliceList"))) {
        if (!items || items->kind != FACTS_YSEQ)
            st = imp_yerror(err, file, root, "a list without items");
        for (const facts_ynode *i = items ? items->first : NULL; st == DC_OK && i; i = i->next)
            st = slice(&c, i);
    } else {
        st = slice(&c, root);
    }
    facts_ytree_free(tree);
    return st;
}
