/* cases.c -- a vendor's test kit read for `compatc test` and any embedder
 * (docs/authoring.md, "Test cases").  CASES is a YAML (or JSON) sequence:
 *
 *   - name: gen9 half share          # unique, required
 *     source: {mdev_type: i915-GVTg_V5_4, aggregator: 2}
 *     target: tests/gen9-target.kv   # a mapping of facts, or a facts file
 *     expect: compatible             # compatible | incompatible | error
 *     block: 1                       # optional: the block (index or name)
 *     description: ...               # optional, ignored
 *
 * Facts mappings read as YAML facts files do (docs/facts.md: nested
 * mappings join with '.', a sequence of scalars is a set, a null is empty,
 * a `self`/`SELF` mapping is the facts).  A file name is relative to the
 * cases file.
 *
 * The whole file is read and checked before any case is handed out: bad
 * YAML, a missing or unknown key, an unknown `expect`, a duplicate name or
 * an unreadable facts file is an error naming the file, the line and the
 * case (by position until its name is known, then by name).  facts_yaml.c
 * reads the file into a tree and turns each case's mappings into facts, so
 * they read exactly as YAML facts files do. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "facts.h"

typedef facts_ynode ynode;

typedef struct tcase {
    const char *name;
    uint32_t line;
    const ynode *side[2]; /* source, target: a mapping, a file name or null */
    char *path[2];        /* the file, relative to the cases' directory */
    dc_expect want;
    const ynode *block; /* NULL: any */
} tcase;

struct dc_cases {
    char *text;
    facts_ytree *tree;
    tcase *cases;
    size_t n;
};

static const char *const side_key[2] = { "source", "target" };

static const char *kind_name(const ynode *n)
{
    return n->kind == FACTS_YMAP   ? "a mapping"
           : n->kind == FACTS_YSEQ ? "a sequence"
                                   : "a scalar";
}

static char *relative(const char *cases, const char *name)
{
    const char *slash = strrchr(cases, '/');
    size_t dir = name[0] == '/' || !slash ? 0 : (size_t)(slash - cases) + 1;
    char *p = mem_alloc(NULL, dir + strlen(name) + 1);
    if (p) {
        memcpy(p, cases, dir);
        strcpy(p + dir, name);
    }
    return p;
}

/* The keys of one case, each once. */
static dc_status case_keys(const char *file, const ynode *item, size_t index, tcase *c,
                           const ynode **name, const ynode **exp, dc_error *err)
{
    for (const ynode *key = item->first; key; key = key->next->next) {
        const ynode *val = key->next, **slot = NULL;
        const char *k = key->kind == FACTS_YSCALAR ? key->text : "";
        if (!strcmp(k, "name"))
            slot = name;
        else if (!strcmp(k, "source"))
            slot = &c->side[0];
        else if (!strcmp(k, "target"))
            slot = &c->side[1];
        else if (!strcmp(k, "expect"))
            slot = exp;
        else if (!strcmp(k, "block"))
            slot = &c->block;
        else if (!strcmp(k, "description"))
            continue;
        if (!slot)
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u:%u: case %zu: unknown key '%s' (name, source, target, "
                                "expect, block, description)",
                                file, key->line, key->col, index + 1, k);
        if (*slot)
            return dc_error_set(err, DC_ERR_FACTS, "%s:%u:%u: case %zu: duplicate key '%s'",
                                file, key->line, key->col, index + 1, k);
        *slot = val;
    }
    return DC_OK;
}

/* Check one case's mapping. */
static dc_status read_case(const char *file, const ynode *item, size_t index, tcase *c,
                           dc_error *err)
{
    memset(c, 0, sizeof *c);
    c->line = item->line;
    if (item->kind != FACTS_YMAP)
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:%u:%u: case %zu: a case is a mapping (name, source, target, "
                            "expect), not %s",
                            file, item->line, item->col, index + 1, kind_name(item));
    const ynode *name = NULL, *exp = NULL;
    dc_status st = case_keys(file, item, index, c, &name, &exp, err);
    if (st != DC_OK)
        return st;
    const char *missing = !name         ? "name"
                          : !c->side[0] ? "source"
                          : !c->side[1] ? "target"
                          : !exp        ? "expect"
                                        : NULL;
    if (missing)
        return dc_error_set(err, DC_ERR_FACTS, "%s:%u:%u: case %zu: no '%s'", file, item->line,
                            item->col, index + 1, missing);
    if (name->kind != FACTS_YSCALAR || name->len == 0)
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:%u:%u: case %zu: the name must be a non-empty scalar", file,
                            name->line, name->col, index + 1);
    for (size_t i = 0; i < name->len; i++)
        if (name->text[i] < 0x20 || name->text[i] >= 0x7f)
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u:%u: case %zu: the name must be one line of printable "
                                "ASCII",
                                file, name->line, name->col, index + 1);
    c->name = name->text;
    static const char *const expects[] = { "compatible", "incompatible", "error" };
    bool known = false;
    for (int k = 0; k < 3; k++)
        if (exp->kind == FACTS_YSCALAR && !strcmp(exp->text, expects[k])) {
            c->want = (dc_expect)k;
            known = true;
        }
    if (!known)
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:%u:%u: case %zu '%s': expect must be compatible, incompatible "
                            "or error, not '%s'",
                            file, exp->line, exp->col, index + 1, c->name,
                            exp->kind == FACTS_YSCALAR ? exp->text : kind_name(exp));
    if (c->block && (c->want != DC_EXPECT_COMPATIBLE || c->block->kind != FACTS_YSCALAR ||
                     c->block->len == 0))
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:%u:%u: case %zu '%s': block (an index or a block name) goes "
                            "with expect: compatible",
                            file, c->block->line, c->block->col, index + 1, c->name);
    for (int s = 0; s < 2; s++) {
        const ynode *v = c->side[s];
        if (v->kind == FACTS_YSEQ)
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u:%u: case %zu '%s': %s must be a mapping of facts or a "
                                "facts file name, not a sequence",
                                file, v->line, v->col, index + 1, c->name, side_key[s]);
        if (v->kind == FACTS_YSCALAR && !v->null && !(c->path[s] = relative(file, v->text)))
            return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    }
    return DC_OK;
}

/* Cases in name order, ties in file order: a name's first case sorts first. */
static int by_name(const void *a, const void *b)
{
    const tcase *x = *(const tcase *const *)a, *y = *(const tcase *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x > y) - (x < y);
}

/* The first case (in file order) whose name an earlier case has is an
 * error.  Sorting keeps this O(n log n) for any names. */
static dc_status unique_names(const char *file, tcase *cases, size_t n, dc_error *err)
{
    if (n < 2)
        return DC_OK;
    const tcase **order = mem_array(NULL, n, sizeof *order);
    if (!order)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    for (size_t k = 0; k < n; k++)
        order[k] = &cases[k];
    qsort(order, n, sizeof *order, by_name);
    const tcase *dup = NULL, *first = NULL;
    for (size_t k = 1, group = 0; k < n; k++) {
        if (strcmp(order[k]->name, order[group]->name)) {
            group = k;
            continue;
        }
        if (!dup || order[k] < dup) {
            dup = order[k];
            first = order[group];
        }
    }
    mem_free(NULL, order);
    if (dup)
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:%u: case %zu: duplicate case name '%s' (first at line %u)",
                            file, dup->line, (size_t)(dup - cases) + 1, dup->name, first->line);
    return DC_OK;
}

/* Every facts file the kit names must be readable before any case runs. */
static dc_status files_readable(const char *file, const dc_cases *cs, dc_error *err)
{
    for (size_t k = 0; k < cs->n; k++)
        for (int s = 0; s < 2; s++) {
            if (!cs->cases[k].path[s])
                continue;
            dc_facts *f = NULL;
            dc_error e;
            dc_status st = dc_facts_read_file(cs->cases[k].path[s], &f, &e);
            dc_facts_free(f);
            if (st == DC_ERR_IO || st == DC_ERR_NOMEM)
                return dc_error_set(err, st, "%s:%u: case %zu '%s': %s: %s", file,
                                    cs->cases[k].side[s]->line, k + 1, cs->cases[k].name,
                                    side_key[s], e.message);
        }
    return DC_OK;
}

static dc_status read_all(const char *path, dc_cases *cs, dc_error *err)
{
    size_t len;
    dc_status st = file_read_all(NULL, path, FACTS_MAX_FILE, &cs->text, &len, err);
    const ynode *root = NULL;
    if (st == DC_OK)
        st = facts_ytree_read(NULL, path, "the cases", cs->text, len, &cs->tree, &root, err);
    if (st != DC_OK)
        return st;
    if (root && !(root->kind == FACTS_YSCALAR && root->null) && root->kind != FACTS_YSEQ)
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:%u:%u: the cases must be a sequence of mappings, not %s", path,
                            root->line, root->col, kind_name(root));
    size_t n = root ? root->count : 0;
    if (!(cs->cases = mem_array(NULL, n ? n : 1, sizeof *cs->cases)))
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
    memset(cs->cases, 0, (n ? n : 1) * sizeof *cs->cases);
    for (const ynode *it = root ? root->first : NULL; it && cs->n < n; it = it->next) {
        size_t k = cs->n++; /* counted before it is read: freed whatever happens */
        if ((st = read_case(path, it, k, &cs->cases[k], err)) != DC_OK)
            return st;
    }
    if ((st = unique_names(path, cs->cases, cs->n, err)) != DC_OK)
        return st;
    return files_readable(path, cs, err);
}

dc_status dc_cases_read(const char *path, dc_cases **out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_cases_read: %s is NULL",
                            path ? "out" : "path");
    dc_cases *cs = mem_zalloc(NULL, sizeof *cs);
    if (!cs)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
    dc_status st = read_all(path, cs, err);
    if (st != DC_OK) {
        dc_cases_free(cs);
        return st;
    }
    *out = cs;
    return DC_OK;
}

size_t dc_cases_count(const dc_cases *cases)
{
    return cases ? cases->n : 0;
}

dc_status dc_cases_get(const dc_cases *cases, size_t i, dc_case *out)
{
    if (!cases || !DC_SIZED(out) || i >= cases->n)
        return DC_ERR_INVALID;
    const tcase *c = &cases->cases[i];
    size_t size = out->size;
    memset(out, 0, sizeof *out);
    out->size = size;
    out->name = c->name;
    out->line = c->line;
    out->expect = c->want;
    if (c->block) {
        out->block = c->block->text;
        out->block_line = c->block->line;
        out->block_col = c->block->col;
    }
    return DC_OK;
}

/* The facts of one side of a case: its file, or its mapping (or null). */
static dc_status side_facts(dc_cases *cases, size_t i, int s, dc_facts **out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (!cases || !out || i >= cases->n)
        return dc_error_set(err, DC_ERR_INVALID, "dc_cases_%s: invalid argument", side_key[s]);
    const tcase *c = &cases->cases[i];
    if (c->path[s])
        return dc_facts_read_file(c->path[s], out, err);
    return facts_ytree_facts(cases->tree, c->side[s], out, err);
}

dc_status dc_cases_source(dc_cases *cases, size_t i, dc_facts **out, dc_error *err)
{
    return side_facts(cases, i, 0, out, err);
}

dc_status dc_cases_target(dc_cases *cases, size_t i, dc_facts **out, dc_error *err)
{
    return side_facts(cases, i, 1, out, err);
}

void dc_cases_free(dc_cases *cases)
{
    if (!cases)
        return;
    for (size_t k = 0; cases->cases && k < cases->n; k++) {
        mem_free(NULL, cases->cases[k].path[0]);
        mem_free(NULL, cases->cases[k].path[1]);
    }
    mem_free(NULL, cases->cases);
    facts_ytree_free(cases->tree);
    mem_free(NULL, cases->text);
    mem_free(NULL, cases);
}
