/* import_devlink.c -- devlink's JSON (docs/facts.md, "devlink").
 *
 *   devlink -j dev info
 *     {"info": {"pci/0000:3b:00.0": {"driver": ..., "serial_number": ...,
 *               "versions": {"fixed": {...}, "running": {...}, "stored": {...}}}}}
 *     -> a device per handle: address, driver, every fixed and running
 *        version under its own name (fw.psid, fw.version, board.id...),
 *        stored ones as stored.NAME, other keys as devlink.KEY
 *   devlink -j port function show   (and devlink -j port show)
 *     {"port": {"pci/0000:3b:00.0/1": {"flavour": "pcivf", "pfnum": 0, "vfnum": 1,
 *               "function": {"hw_addr": ..., "migratable": "enable"}}}}
 *     -> a device per port: pf.address (the devlink device is the PF),
 *        vf_index (a VF's vfnum), migratable=true|false, other keys as
 *        devlink.KEY and devlink.function.KEY
 *
 * Given both in one document ({"info": ..., "port": ...}, as `jq -s add`
 * makes of the two outputs), each VF port also gets its PF's versions:
 * the VF runs the PF's firmware.  The shapes are iproute2's devlink/devlink.c
 * (pr_out_info, pr_out_port) and the kernel's
 * Documentation/networking/devlink/devlink-info.rst and devlink-port.rst.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "import.h"
#include "limits.h"

typedef struct dl_ctx {
    const dc_alloc *alloc;
    const char *file;
    dc_inventory *inv;
    dc_error *err;
} dl_ctx;

/* `pci/0000:3b:00.0[/PORT]`: the address, or "" for another bus. */
static void handle_address(const facts_ynode *k, char *addr)
{
    addr[0] = '\0';
    if (k->len >= 16 && !memcmp(k->text, "pci/", 4) && imp_is_pci_address(k->text + 4, 12) &&
        (k->len == 16 || k->text[16] == '/'))
        snprintf(addr, 16, "%.12s", k->text + 4);
}

/* A scalar key's value under PREFIX.KEY. */
static dc_status kept(dl_ctx *c, imp_dev *d, const char *prefix, const facts_ynode *k,
                      const facts_ynode *v)
{
    char name[DC_MAX_NAME + 8];
    if (k->kind != FACTS_YSCALAR || !imp_name(name, sizeof name, prefix, k->text, k->len))
        return imp_yerror(c->err, c->file, k, "a key that cannot be a fact name");
    if (v->kind != FACTS_YSCALAR)
        return DC_OK; /* nested groups devcompat has no name for (e.g. "ports") */
    return imp_yscalar(d, name, v, true);
}

static dc_status versions(dl_ctx *c, imp_dev *d, const facts_ynode *vs)
{
    if (vs->kind != FACTS_YMAP)
        return imp_yerror(c->err, c->file, vs, "versions: expected a mapping");
    for (const facts_ynode *g = vs->first; g && g->next; g = g->next->next) {
        bool stored = imp_ykey_is(g, "stored");
        if (!stored && !imp_ykey_is(g, "fixed") && !imp_ykey_is(g, "running"))
            return imp_yerror(c->err, c->file, g,
                              "versions: unknown group '%.*s' (devlink's "
                              "are fixed, running and stored)",
                              (int)g->len, g->text);
        const facts_ynode *m = g->next;
        if (m->kind != FACTS_YMAP)
            return imp_yerror(c->err, c->file, m, "versions: expected a mapping");
        for (const facts_ynode *k = m->first; k && k->next; k = k->next->next) {
            char name[DC_MAX_NAME + 8];
            if (k->kind != FACTS_YSCALAR ||
                !imp_name(name, sizeof name, stored ? "stored" : NULL, k->text, k->len))
                return imp_yerror(c->err, c->file, k,
                                  "version name '%.*s' cannot be a "
                                  "fact name",
                                  (int)k->len, k->text);
            dc_status st = imp_yscalar(d, name, k->next, false);
            if (st != DC_OK)
                return st;
        }
    }
    return DC_OK;
}

static dc_status info(dl_ctx *c, const facts_ynode *k, const facts_ynode *body, dc_facts *f)
{
    imp_dev d = { f, c->file, k->line, c->err, NULL };
    char addr[16];
    handle_address(k, addr);
    dc_status st = addr[0] ? imp_addz(&d, "address", addr) : DC_OK;
    if (body->kind != FACTS_YMAP)
        return imp_yerror(c->err, c->file, body, "expected a mapping");
    for (const facts_ynode *e = body->first; st == DC_OK && e && e->next; e = e->next->next) {
        if (imp_ykey_is(e, "versions"))
            st = versions(c, &d, e->next);
        else if (imp_ykey_is(e, "driver") && e->next->kind == FACTS_YSCALAR)
            st = (d.line = e->line, imp_driver(&d, e->next->text, e->next->len));
        else
            st = kept(c, &d, "devlink", e, e->next);
    }
    return st;
}

static dc_status port(dl_ctx *c, const facts_ynode *k, const facts_ynode *body, dc_facts *f,
                      bool *vf)
{
    imp_dev d = { f, c->file, k->line, c->err, NULL };
    char addr[16];
    handle_address(k, addr);
    dc_status st = addr[0] ? imp_addz(&d, "pf.address", addr) : DC_OK;
    if (body->kind != FACTS_YMAP)
        return imp_yerror(c->err, c->file, body, "expected a mapping");
    const facts_ynode *flavour = imp_yget(body, "flavour");
    *vf = flavour && imp_ykey_is(flavour, "pcivf");
    for (const facts_ynode *e = body->first; st == DC_OK && e && e->next; e = e->next->next) {
        const facts_ynode *v = e->next;
        if (imp_ykey_is(e, "vfnum") && *vf) {
            st = imp_yscalar(&d, "vf_index", v, false);
        } else if (imp_ykey_is(e, "function")) {
            if (v->kind != FACTS_YMAP)
                return imp_yerror(c->err, c->file, v, "function: expected a mapping");
            for (const facts_ynode *g = v->first; st == DC_OK && g && g->next;
                 g = g->next->next) {
                if (!imp_ykey_is(g, "migratable")) {
                    st = kept(c, &d, "devlink.function", g, g->next);
                    continue;
                }
                const facts_ynode *m = g->next;
                if (imp_ykey_is(m, "enable") || imp_ykey_is(m, "true"))
                    st = imp_addz(&d, "migratable", "true");
                else if (imp_ykey_is(m, "disable") || imp_ykey_is(m, "false"))
                    st = imp_addz(&d, "migratable", "false");
                else
                    st = imp_yerror(c->err, c->file, m,
                                    "migratable: expected enable or "
                                    "disable");
            }
        } else {
            st = kept(c, &d, "devlink", e, v);
        }
    }
    return st;
}

/* The `info` entries by their PF's address, sorted: a port finds its PF's
 * in O(log n) (docs/performance.md, "Importers"). */
typedef struct dl_pf {
    char addr[16];
    const facts_ynode *versions;
} dl_pf;

static int by_addr(const void *a, const void *b)
{
    return strcmp(((const dl_pf *)a)->addr, ((const dl_pf *)b)->addr);
}

static dc_status index_pfs(dl_ctx *c, const facts_ynode *infos, dl_pf **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t count = 0;
    for (const facts_ynode *i = infos ? infos->first : NULL; i && i->next; i = i->next->next)
        count++;
    if (!count)
        return DC_OK;
    dl_pf *pfs = mem_array(c->alloc, count, sizeof *pfs);
    if (!pfs)
        return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
    for (const facts_ynode *i = infos->first; i && i->next; i = i->next->next) {
        const facts_ynode *vs = imp_yget(i->next, "versions");
        handle_address(i, pfs[*n].addr);
        if (vs && pfs[*n].addr[0] && i->len == 16)
            pfs[(*n)++].versions = vs;
    }
    qsort(pfs, *n, sizeof *pfs, by_addr);
    *out = pfs;
    return DC_OK;
}

/* The versions of the `info` entry for the port's PF, into the port. */
static dc_status merge_pf(dl_ctx *c, const dl_pf *pfs, size_t npfs, const facts_ynode *k,
                          dc_facts *f)
{
    dl_pf key;
    handle_address(k, key.addr);
    const dl_pf *pf =
        key.addr[0] && npfs ? bsearch(&key, pfs, npfs, sizeof *pfs, by_addr) : NULL;
    if (!pf)
        return DC_OK;
    imp_dev d = { f, c->file, k->line, c->err, NULL };
    return versions(c, &d, pf->versions);
}

dc_status import_devlink(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                         dc_inventory *inv, dc_error *err)
{
    dl_ctx c = { alloc, file, inv, err };
    facts_ytree *tree;
    const facts_ynode *root;
    dc_status st =
        facts_ytree_read(alloc, file, "devlink's JSON", text, len, &tree, &root, err);
    if (st != DC_OK)
        return st;
    const facts_ynode *infos = imp_yget(root, "info"), *ports = imp_yget(root, "port");
    if (!root || root->kind != FACTS_YMAP || (!infos && !ports)) {
        st = imp_yerror(err, file, root,
                        "expected {\"info\": ...} (devlink -j dev info) or "
                        "{\"port\": ...} (devlink -j port function show)");
    }
    for (const facts_ynode *k = root && st == DC_OK ? root->first : NULL;
         st == DC_OK && k && k->next; k = k->next->next)
        if (!imp_ykey_is(k, "info") && !imp_ykey_is(k, "port"))
            st = imp_yerror(err, file, k, "unknown key '%.*s' (devlink's are info and port)",
                            (int)k->len, k->text);
    dl_pf *pfs = NULL;
    size_t npfs = 0;
    if (st == DC_OK && infos && infos->kind == FACTS_YMAP)
        st = index_pfs(&c, infos, &pfs, &npfs);
    for (int pass = 0; pass < 2 && st == DC_OK; pass++) {
        const facts_ynode *group = pass ? ports : infos;
        if (!group)
            continue;
        if (group->kind != FACTS_YMAP) {
            st = imp_yerror(err, file, group, "expected a mapping of devlink handles");
            break;
        }
        for (const facts_ynode *k = group->first; st == DC_OK && k && k->next;
             k = k->next->next) {
            if (k->kind != FACTS_YSCALAR) {
                st = imp_yerror(err, file, k, "expected a devlink handle");
                break;
            }
            dc_facts *f = facts_new(alloc);
            if (!f) {
                st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
                break;
            }
            bool vf = false;
            st = pass ? port(&c, k, k->next, f, &vf) : info(&c, k, k->next, f);
            if (st == DC_OK && vf)
                st = merge_pf(&c, pfs, npfs, k, f);
            if (st != DC_OK)
                dc_facts_free(f);
            else
                st = inv_push(inv, k->text, k->len, f, k->line, false, err);
        }
    }
    mem_free(alloc, pfs);
    facts_ytree_free(tree);
    return st;
}
