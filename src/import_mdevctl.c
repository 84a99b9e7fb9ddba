/* import_mdevctl.c -- mdevctl's JSON (docs/facts.md, "mdevctl").
 *
 *   mdevctl types --dumpjson    [{PARENT: [{TYPE: {available_instances, device_api,
 *                                                  name, description}}, ...]}, ...]
 *       -> one device per type, id PARENT/TYPE: type mdev_type device_api
 *          available_instances name description parent
 *   mdevctl list --dumpjson     [{PARENT: [{UUID: {mdev_type, start, attrs}}, ...]}, ...]
 *       -> one device per mdev, id UUID: uuid type mdev_type parent attr.NAME
 *          mdevctl.start
 *   one device's JSON           {mdev_type, start, attrs}   (mdevctl's config file
 *       /etc/mdevctl.d/PARENT/UUID, or list --dumpjson -u UUID on one device)
 *       -> that device, id = the file's name (its UUID)
 *
 * `attrs` is a list of one-key mappings, a key possibly repeated (vfio-ap's
 * assign_adapter): a repeated key's values join into a set in list order,
 * attr.assign_adapter=5,6.  Other keys are kept as mdevctl.KEY.  Shapes are
 * those mdevctl's own source writes (src/mdev.rs, to_json).
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "import.h"
#include "limits.h"

typedef struct md_ctx {
    const dc_alloc *alloc;
    const char *file;
    dc_inventory *inv;
    dc_error *err;
} md_ctx;

/* attrs: [{name: value}, ...] */
static dc_status attrs(md_ctx *c, imp_dev *d, const facts_ynode *list)
{
    if (list->kind != FACTS_YSEQ)
        return imp_yerror(c->err, c->file, list, "attrs: expected a list of one-key mappings");
    for (const facts_ynode *m = list->first; m; m = m->next) {
        if (m->kind != FACTS_YMAP || m->count != 2)
            return imp_yerror(c->err, c->file, m, "attrs: each item is a mapping of one key");
        const facts_ynode *key = m->first;
        bool first = true;
        for (const facts_ynode *e = list->first; e != m; e = e->next)
            if (e->first && e->first->len == key->len &&
                !memcmp(e->first->text, key->text, key->len))
                first = false;
        if (!first)
            continue;
        char name[DC_MAX_NAME + 8], joined[DC_MAX_VALUE + 1];
        if (key->kind != FACTS_YSCALAR ||
            !imp_name(name, sizeof name, "attr", key->text, key->len))
            return imp_yerror(c->err, c->file, key, "attrs: a key that cannot be a fact name");
        size_t o = 0;
        for (const facts_ynode *e = m; e; e = e->next) {
            const facts_ynode *k = e->first, *v = k ? k->next : NULL;
            if (!k || k->len != key->len || memcmp(k->text, key->text, key->len))
                continue;
            if (!v || v->kind != FACTS_YSCALAR)
                return imp_yerror(c->err, c->file, e, "attrs: '%s' needs a scalar value", name);
            if (o + 1 + v->len > DC_MAX_VALUE)
                return imp_yerror(c->err, c->file, e, "attrs: '%s' is longer than 4096 bytes",
                                  name);
            if (o)
                joined[o++] = ',';
            memcpy(joined + o, v->text, v->len);
            o += v->len;
        }
        d->line = m->line;
        dc_status st = imp_add(d, name, joined, o);
        if (st != DC_OK)
            return st;
    }
    return DC_OK;
}

/* The mapping of one type or one device, with `parent` (NULL: none known). */
static dc_status entry(md_ctx *c, const facts_ynode *key, const facts_ynode *body,
                       const char *parent, size_t parent_len, const char *id_hint)
{
    if (body->kind != FACTS_YMAP)
        return imp_yerror(c->err, c->file, body, "'%.*s': expected a mapping",
                          (int)(key ? key->len : 0), key ? key->text : "");
    bool is_device = imp_yget(body, "mdev_type") != NULL;
    if (!is_device && !(imp_yget(body, "device_api") && imp_yget(body, "available_instances")))
        return imp_yerror(c->err, c->file, body,
                          "neither an mdev type (device_api, "
                          "available_instances) nor a device (mdev_type)");
    if (!is_device && !key) /* a type is known by the name it is listed under */
        return imp_yerror(c->err, c->file, body,
                          "an mdev type alone, without its name: expected a device "
                          "(mdev_type) or mdevctl types --dumpjson's [{PARENT: [{NAME: "
                          "{...}}]}]");
    dc_facts *f = facts_new(c->alloc);
    if (!f)
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    imp_dev d = { f, c->file, body->line, c->err, NULL };
    dc_status st = DC_OK;
    char id[512];
    int idn;
    if (is_device) {
        const char *uuid = key ? key->text : id_hint;
        size_t ul = key ? key->len : strlen(id_hint);
        idn = snprintf(id, sizeof id, "%.*s", (int)ul, uuid);
        if (key)
            st = imp_add(&d, "uuid", key->text, key->len);
    } else {
        idn = snprintf(id, sizeof id, "%.*s%s%.*s", (int)parent_len, parent ? parent : "",
                       parent ? "/" : "", (int)key->len, key->text);
        if ((st = imp_add(&d, "type", key->text, key->len)) == DC_OK)
            st = imp_add(&d, "mdev_type", key->text, key->len);
    }
    if (st == DC_OK && parent)
        st = imp_add(&d, "parent", parent, parent_len);
    for (const facts_ynode *k = body->first; st == DC_OK && k && k->next; k = k->next->next) {
        const facts_ynode *v = k->next;
        if (imp_ykey_is(k, "attrs")) {
            st = attrs(c, &d, v);
        } else if (imp_ykey_is(k, "mdev_type")) {
            if ((st = imp_yscalar(&d, "mdev_type", v, false)) == DC_OK)
                st = imp_yscalar(&d, "type", v, false);
        } else if (imp_ykey_is(k, "device_api") || imp_ykey_is(k, "available_instances")) {
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)k->len, k->text);
            st = imp_yscalar(&d, name, v, false);
        } else if (imp_ykey_is(k, "name") || imp_ykey_is(k, "description")) {
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)k->len, k->text);
            st = imp_yscalar(&d, name, v, true);
        } else {
            char name[DC_MAX_NAME + 8];
            if (k->kind != FACTS_YSCALAR ||
                !imp_name(name, sizeof name, "mdevctl", k->text, k->len))
                st = imp_yerror(c->err, c->file, k, "a key that cannot be a fact name");
            else
                st = imp_yscalar(&d, name, v, true);
        }
    }
    if (st == DC_OK && (idn < 0 || (size_t)idn >= sizeof id))
        st = imp_yerror(c->err, c->file, body, "an id longer than %zu bytes", sizeof id - 1);
    if (st != DC_OK) {
        dc_facts_free(f);
        return st;
    }
    return inv_push(c->inv, id, (size_t)idn, f, body->line, !is_device, c->err);
}

dc_status import_mdevctl(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                         dc_inventory *inv, dc_error *err)
{
    md_ctx c = { alloc, file, inv, err };
    facts_ytree *tree;
    const facts_ynode *root;
    dc_status st =
        facts_ytree_read(alloc, file, "mdevctl's JSON", text, len, &tree, &root, err);
    if (st != DC_OK)
        return st;
    if (!root) {
        st = imp_yerror(err, file, NULL, "empty: expected mdevctl's JSON");
    } else if (root->kind == FACTS_YMAP) {
        /* one device: /etc/mdevctl.d/PARENT/UUID */
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        st = entry(&c, NULL, root, NULL, 0, base);
    } else if (root->kind != FACTS_YSEQ) {
        st = imp_yerror(err, file, root,
                        "expected a list of {PARENT: [...]} (mdevctl "
                        "types|list --dumpjson)");
    } else {
        for (const facts_ynode *p = root->first; st == DC_OK && p; p = p->next) {
            if (p->kind != FACTS_YMAP) {
                st = imp_yerror(err, file, p, "expected {PARENT: [...]}");
                break;
            }
            for (const facts_ynode *k = p->first; st == DC_OK && k && k->next;
                 k = k->next->next) {
                const facts_ynode *list = k->next;
                if (k->kind != FACTS_YSCALAR || list->kind != FACTS_YSEQ) {
                    st = imp_yerror(err, file, k, "expected PARENT: [{NAME: {...}}, ...]");
                    break;
                }
                for (const facts_ynode *e = list->first; st == DC_OK && e; e = e->next) {
                    if (e->kind != FACTS_YMAP || e->count != 2) {
                        st = imp_yerror(err, file, e, "expected {NAME: {...}} (one key)");
                        break;
                    }
                    if (e->first->kind != FACTS_YSCALAR) {
                        st = imp_yerror(err, file, e->first, "expected a name");
                        break;
                    }
                    st = entry(&c, e->first, e->first->next, k->text, k->len, NULL);
                }
            }
        }
    }
    facts_ytree_free(tree);
    return st;
}
