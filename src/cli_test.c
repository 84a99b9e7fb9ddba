/* cli_test.c -- `compatc test POLICY CASES.yaml` (SPEC 4): a vendor's test
 * kit.  CASES is a YAML (or JSON) sequence of cases:
 *
 *   - name: gen9 half share          # unique, required
 *     source: {mdev_type: i915-GVTg_V5_4, aggregator: 2}
 *     target: tests/gen9-target.kv   # a mapping of facts, or a facts file
 *     expect: compatible             # compatible | incompatible | error
 *     block: 1                       # optional: the block (index or name)
 *
 * Facts mappings read as YAML facts files do (SPEC 1: nested mappings join
 * with '.', a sequence of scalars is a set, a null is empty, a `self`/`SELF`
 * mapping is the facts).  A file name is relative to the cases file.
 * `error` is a target mismatch or invalid facts.
 *
 * The whole file is read and checked before any case runs: bad YAML, a
 * missing or unknown key, an unknown `expect`, a duplicate name or an
 * unreadable facts file is an error naming the file (exit 2).  Then one line
 * per failing case, and "N passed, N failed" last (exit 1 when any failed).
 *
 * facts_yaml.c reads the file into a tree and turns each case's mappings
 * into facts, so they read exactly as YAML facts files do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compatc.h"
#include "facts.h"

typedef facts_ynode ynode;

static const char *kind_name(const ynode *n)
{
    return n->kind == FACTS_YMAP   ? "a mapping"
           : n->kind == FACTS_YSEQ ? "a sequence"
                                   : "a scalar";
}

/* ------------------------------------------------------------ cases */

typedef enum expect { EX_COMPATIBLE, EX_INCOMPATIBLE, EX_ERROR } expect;

typedef struct tcase {
    const char *name;
    unsigned line;
    const ynode *side[2]; /* source, target: a mapping or a file name */
    char *path[2];        /* the file, relative to the cases' directory */
    expect want;
    const ynode *block; /* NULL: any */
} tcase;

static const char *const side_key[2] = { "source", "target" };

static char *relative(const char *cases, const char *name)
{
    const char *slash = strrchr(cases, '/');
    size_t dir = name[0] == '/' || !slash ? 0 : (size_t)(slash - cases) + 1;
    char *p = malloc(dir + strlen(name) + 1);
    if (p) {
        memcpy(p, cases, dir);
        strcpy(p + dir, name);
    }
    return p;
}

/* Check one case's mapping; false after reporting. */
static bool read_case(const char *file, const ynode *item, size_t index, tcase *c)
{
    memset(c, 0, sizeof *c);
    c->line = item->line;
    if (item->kind != FACTS_YMAP) {
        cli_error("%s:%u:%u: case %zu: a case is a mapping (name, source, target, expect), "
                  "not %s",
                  file, item->line, item->col, index + 1, kind_name(item));
        return false;
    }
    const ynode *name = NULL, *exp = NULL;
    for (const ynode *key = item->first; key; key = key->next->next) {
        const ynode *val = key->next, **slot = NULL;
        const char *k = key->kind == FACTS_YSCALAR ? key->text : "";
        if (!strcmp(k, "name"))
            slot = &name;
        else if (!strcmp(k, "source"))
            slot = &c->side[0];
        else if (!strcmp(k, "target"))
            slot = &c->side[1];
        else if (!strcmp(k, "expect"))
            slot = &exp;
        else if (!strcmp(k, "block"))
            slot = &c->block;
        else if (!strcmp(k, "description"))
            continue;
        if (!slot) {
            cli_error("%s:%u:%u: case %zu: unknown key '%s' (name, source, target, expect, "
                      "block, description)",
                      file, key->line, key->col, index + 1, k);
            return false;
        }
        if (*slot) {
            cli_error("%s:%u:%u: case %zu: duplicate key '%s'", file, key->line, key->col,
                      index + 1, k);
            return false;
        }
        *slot = val;
    }
    const char *missing = !name         ? "name"
                          : !c->side[0] ? "source"
                          : !c->side[1] ? "target"
                          : !exp        ? "expect"
                                        : NULL;
    if (missing) {
        cli_error("%s:%u:%u: case %zu: no '%s'", file, item->line, item->col, index + 1,
                  missing);
        return false;
    }
    if (name->kind != FACTS_YSCALAR || name->len == 0) {
        cli_error("%s:%u:%u: case %zu: the name must be a non-empty scalar", file, name->line,
                  name->col, index + 1);
        return false;
    }
    for (size_t i = 0; i < name->len; i++)
        if (name->text[i] < 0x20 || name->text[i] >= 0x7f) {
            cli_error("%s:%u:%u: case %zu: the name must be one line of printable ASCII", file,
                      name->line, name->col, index + 1);
            return false;
        }
    c->name = name->text;
    static const char *const expects[] = { "compatible", "incompatible", "error" };
    bool known = false;
    for (int k = 0; k < 3; k++)
        if (exp->kind == FACTS_YSCALAR && !strcmp(exp->text, expects[k])) {
            c->want = (expect)k;
            known = true;
        }
    if (!known) {
        cli_error("%s:%u:%u: case '%s': expect must be compatible, incompatible or error, "
                  "not '%s'",
                  file, exp->line, exp->col, c->name,
                  exp->kind == FACTS_YSCALAR ? exp->text : kind_name(exp));
        return false;
    }
    if (c->block &&
        (c->want != EX_COMPATIBLE || c->block->kind != FACTS_YSCALAR || c->block->len == 0)) {
        cli_error("%s:%u:%u: case '%s': block (an index or a block name) goes with expect: "
                  "compatible",
                  file, c->block->line, c->block->col, c->name);
        return false;
    }
    for (int s = 0; s < 2; s++) {
        const ynode *v = c->side[s];
        if (v->kind == FACTS_YSEQ) {
            cli_error("%s:%u:%u: case '%s': %s must be a mapping of facts or a facts file "
                      "name, not a sequence",
                      file, v->line, v->col, c->name, side_key[s]);
            return false;
        }
        if (v->kind == FACTS_YSCALAR && !v->null) {
            if (!(c->path[s] = relative(file, v->text))) {
                cli_error("%s: out of memory", file);
                return false;
            }
        }
    }
    return true;
}

/* The facts of one side of a case.  DC_ERR_IO is the kit's fault (exit 2);
 * other failures are the case's outcome "error". */
static dc_status case_facts(facts_ytree *tree, const tcase *c, int s, dc_facts **out,
                            dc_error *err)
{
    if (c->path[s])
        return dc_facts_read_file(c->path[s], out, err);
    return facts_ytree_facts(tree, c->side[s], out, err); /* a mapping, or null */
}

/* ------------------------------------------------------------ running */

typedef struct outcome {
    expect got;
    int32_t block;
    char what[3000]; /* the reasons, or the error */
} outcome;

static void add_text(char *buf, size_t cap, const char *fmt, const char *a, unsigned n,
                     const char *b)
{
    size_t len = strlen(buf);
    if (len < cap)
        snprintf(buf + len, cap - len, fmt, a, n, b);
}

static dc_status run_case(facts_ytree *tree, const dc_policy *pol, dc_result *r, const tcase *c,
                          outcome *o)
{
    dc_facts *f[2] = { NULL, NULL };
    dc_error err;
    dc_status st = DC_OK;
    memset(o, 0, sizeof *o);
    o->block = -1;
    for (int s = 0; s < 2 && st == DC_OK; s++)
        st = case_facts(tree, c, s, &f[s], &err);
    if (st == DC_OK)
        st = dc_check_facts(pol, f[0], f[1], r, &err);
    dc_facts_free(f[0]);
    dc_facts_free(f[1]);
    if (st == DC_ERR_IO || st == DC_ERR_NOMEM) {
        cli_error("%s", err.message);
        return st;
    }
    if (st != DC_OK) {
        o->got = EX_ERROR;
        snprintf(o->what, sizeof o->what, "invalid facts: %s", err.message);
        return DC_OK;
    }
    dc_verdict v = dc_result_verdict(r);
    o->got = v == DC_COMPATIBLE     ? EX_COMPATIBLE
             : v == DC_INCOMPATIBLE ? EX_INCOMPATIBLE
                                    : EX_ERROR;
    o->block = dc_result_block(r);
    if (v == DC_TARGET_MISMATCH)
        strcpy(o->what, "target-mismatch: ");
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason why = DC_REASON_INIT;
        if (dc_result_reason_get(r, i, &why) == DC_OK)
            add_text(o->what, sizeof o->what, i ? "; %s:%u: %s" : "%s:%u: %s", why.file,
                     why.line, why.message);
    }
    return DC_OK;
}

static bool block_matches(const dc_policy *pol, const ynode *want, int32_t got)
{
    char *end;
    long k = strtol(want->text, &end, 10);
    if (*end == '\0')
        return k == got;
    const char *name = got >= 0 ? dc_policy_block_name(pol, (size_t)got) : NULL;
    return name && !strcmp(name, want->text);
}

/* Does a case's `block:` name a block of the policy (an index in range, or
 * the name of a named block)? */
static bool block_exists(const dc_policy *pol, const ynode *want)
{
    char *end;
    long k = strtol(want->text, &end, 10);
    if (*end == '\0' && end != want->text)
        return k >= 0 && (size_t)k < dc_policy_block_count(pol);
    for (size_t b = 0; b < dc_policy_block_count(pol); b++) {
        const char *name = dc_policy_block_name(pol, b);
        if (name && !strcmp(name, want->text))
            return true;
    }
    return false;
}

static void describe(const dc_policy *pol, expect e, int32_t block, char *buf, size_t cap)
{
    static const char *const names[] = { "compatible", "incompatible", "error" };
    const char *bn =
        e == EX_COMPATIBLE && block >= 0 ? dc_policy_block_name(pol, (size_t)block) : NULL;
    if (e == EX_COMPATIBLE && block >= 0)
        snprintf(buf, cap, "compatible (block %d%s%s)", block, bn ? " " : "", bn ? bn : "");
    else
        snprintf(buf, cap, "%s", names[e]);
}

/* Cases in name order, ties in file order: a name's first case sorts first. */
static int by_name(const void *a, const void *b)
{
    const tcase *x = *(const tcase *const *)a, *y = *(const tcase *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x > y) - (x < y);
}

/* False after reporting the first case (in file order) whose name an
 * earlier case has.  Sorting keeps this O(n log n) for any names. */
static bool unique_names(const char *file, tcase *cases, size_t n)
{
    if (n < 2)
        return true;
    const tcase **order = malloc(n * sizeof *order);
    if (!order) {
        cli_error("%s: out of memory", file);
        return false;
    }
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
    free(order);
    if (dup)
        cli_error("%s:%u: duplicate case name '%s' (first at line %u)", file, dup->line,
                  dup->name, first->line);
    return !dup;
}

int cmd_test(const cli_opts *o)
{
    if (o->nargs != 2) {
        cli_error("test takes a policy and a cases file");
        fputs("usage: compatc test FILE.compat CASES.yaml\n", stderr);
        return 2;
    }
    const char *file = o->args[1];
    const char *e0 = strrchr(o->args[0], '.'), *e1 = strrchr(file, '.');
    if (e0 && e1 && (!strcmp(e0, ".yaml") || !strcmp(e0, ".yml") || !strcmp(e0, ".json")) &&
        (!strcmp(e1, ".compat") || !strcmp(e1, ".cbc") || !strcmp(e1, ".txt"))) {
        cli_error("test takes the policy first, then the cases: compatc test %s %s", file,
                  o->args[0]);
        return 2;
    }
    dc_policy *pol = cli_load_policy(o->args[0]);
    if (!pol)
        return 2;
    size_t len;
    char *text = NULL;
    dc_error rerr;
    if (file_read_all(NULL, file, FACTS_MAX_FILE, &text, &len, &rerr) != DC_OK)
        cli_error("%s", rerr.message);
    int rc = 2;
    facts_ytree *tree = NULL;
    const ynode *root = NULL;
    tcase *cases = NULL;
    size_t ncases = 0;
    dc_result *r = NULL;
    dc_error err;
    if (!text)
        goto out;
    if (facts_ytree_read(NULL, file, "the cases", text, len, &tree, &root, &err) != DC_OK) {
        cli_error("%s", err.message);
        goto out;
    }
    if (root && !(root->kind == FACTS_YSCALAR && root->null) && root->kind != FACTS_YSEQ) {
        cli_error("%s:%u:%u: the cases must be a sequence of mappings, not %s", file,
                  root->line, root->col, kind_name(root));
        goto out;
    }
    size_t n = 0;
    for (const ynode *it = root ? root->first : NULL; it; it = it->next)
        n++;
    cases = calloc(n ? n : 1, sizeof *cases);
    if (!cases) {
        cli_error("%s: out of memory", file);
        goto out;
    }
    for (const ynode *it = root ? root->first : NULL; it; it = it->next) {
        tcase *c = &cases[ncases++];
        if (!read_case(file, it, ncases - 1, c))
            goto out;
    }
    if (!unique_names(file, cases, ncases))
        goto out;
    /* every block: names a block of the policy, before anything runs */
    for (size_t k = 0; k < ncases; k++)
        if (cases[k].block && !block_exists(pol, cases[k].block)) {
            cli_error("%s:%u:%u: case %zu '%s': block '%s' is not a block of %s (%zu blocks)",
                      file, cases[k].block->line, cases[k].block->col, k + 1, cases[k].name,
                      cases[k].block->text, o->args[0], dc_policy_block_count(pol));
            goto out;
        }
    /* a facts file the kit names must be readable before anything runs */
    for (size_t k = 0; k < ncases; k++)
        for (int s = 0; s < 2; s++) {
            dc_facts *f = NULL;
            dc_status st =
                cases[k].path[s] ? dc_facts_read_file(cases[k].path[s], &f, &err) : DC_OK;
            dc_facts_free(f);
            if (st == DC_ERR_IO || st == DC_ERR_NOMEM) {
                cli_error("%s:%u: case '%s': %s: %s", file, cases[k].side[s]->line,
                          cases[k].name, side_key[s], err.message);
                goto out;
            }
        }
    if (dc_result_new(pol, &r, &err) != DC_OK) {
        cli_error("%s", err.message);
        goto out;
    }
    size_t passed = 0, failed = 0;
    for (size_t k = 0; k < ncases; k++) {
        const tcase *c = &cases[k];
        outcome got;
        if (run_case(tree, pol, r, c, &got) != DC_OK)
            goto out;
        bool ok = got.got == c->want && (!c->block || block_matches(pol, c->block, got.block));
        if (ok) {
            passed++;
            continue;
        }
        failed++;
        char want_text[300], got_text[300];
        describe(pol, c->want, -1, want_text, sizeof want_text);
        if (c->block)
            snprintf(want_text, sizeof want_text, "compatible (block %s)", c->block->text);
        describe(pol, got.got, got.block, got_text, sizeof got_text);
        printf("FAIL %s: expected %s, got %s%s%s\n", c->name, want_text, got_text,
               got.got != EX_COMPATIBLE ? ": " : "", got.got != EX_COMPATIBLE ? got.what : "");
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    rc = failed ? 1 : 0;
out:
    for (size_t k = 0; k < ncases; k++) {
        free(cases[k].path[0]);
        free(cases[k].path[1]);
    }
    free(cases);
    dc_result_free(r);
    facts_ytree_free(tree);
    free(text);
    dc_policy_free(pol);
    return rc;
}
