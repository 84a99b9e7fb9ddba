/* cli_test.c -- `compatc test POLICY CASES.yaml` (SPEC 4): a vendor's test
 * kit.  CASES is a YAML (or JSON) sequence of cases:
 *
 *   - name: gen9 half share          # unique, required
 *     source: {mdev_type: i915-GVTg_V5_4, aggregator: 2}
 *     target: tests/gen9-target.kv   # a mapping of facts, or a facts file
 *     expect: compatible             # compatible | incompatible | error
 *     block: 1                       # optional: the block (index or name)
 *
 * Facts mappings flatten as YAML facts do (SPEC 1: nested mappings join with
 * '.', a sequence of scalars is a set, a null is empty).  A file name is
 * relative to the cases file.  `error` is a target mismatch or invalid facts.
 *
 * The whole file is read and checked before any case runs: bad YAML, a
 * missing or unknown key, an unknown `expect`, a duplicate name or an
 * unreadable facts file is an error naming the file (exit 2).  Then one line
 * per failing case, and "N passed, N failed" last (exit 1 when any failed).
 *
 * libyaml is used directly: facts_yaml.c flattens whole documents only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compatc.h"
#include "facts.h"
#include "limits.h"

#define MAX_DEPTH 128

/* ------------------------------------------------------------ YAML tree */

typedef enum ykind { Y_SCALAR, Y_MAP, Y_SEQ } ykind;

typedef struct ynode {
    ykind kind;
    bool null;              /* a plain null scalar */
    unsigned line, col;
    char *text;             /* scalar */
    size_t len;
    struct ynode *first, *last, *next;
} ynode;

static void ynode_free(ynode *n)
{
    while (n) {
        ynode *next = n->next;
        ynode_free(n->first);
        free(n->text);
        free(n);
        n = next;
    }
}

typedef struct yreader {
    yaml_parser_t parser;
    const char *file;
    const char *text;
    size_t len;
} yreader;

static void yerror(yreader *y)
{
    yaml_parser_t *p = &y->parser;
    if (p->error == YAML_MEMORY_ERROR) {
        cli_error("%s: out of memory", y->file);
        return;
    }
    unsigned line = 1, col = 1;
    if (p->error == YAML_READER_ERROR) {
        size_t start = 0;
        for (size_t i = 0; i < p->problem_offset && i < y->len; i++)
            if (y->text[i] == '\n') {
                line++;
                start = i + 1;
            }
        col = (unsigned)(p->problem_offset - start + 1);
    } else {
        line = (unsigned)p->problem_mark.line + 1;
        col = (unsigned)p->problem_mark.column + 1;
    }
    if (p->context && p->error != YAML_READER_ERROR)
        cli_error("%s:%u:%u: %s (%s started at %u:%u)", y->file, line, col,
                  p->problem ? p->problem : "malformed YAML", p->context,
                  (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
    else
        cli_error("%s:%u:%u: %s", y->file, line, col, p->problem ? p->problem : "malformed YAML");
}

static bool is_null(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag && !strcmp(tag, YAML_NULL_TAG))
        return true;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || tag)
        return false;
    return n == 0 || (n == 1 && v[0] == '~') ||
           (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

/* The node starting with *ev (consumed), children included; NULL after
 * reporting. */
static ynode *read_node(yreader *y, yaml_event_t *ev, int depth)
{
    unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;
    if (ev->type == YAML_ALIAS_EVENT || depth > MAX_DEPTH) {
        cli_error("%s:%u:%u: %s", y->file, line, col,
                  depth > MAX_DEPTH ? "nesting too deep" : "YAML aliases are not supported");
        yaml_event_delete(ev);
        return NULL;
    }
    ynode *n = calloc(1, sizeof *n);
    if (!n) {
        yaml_event_delete(ev);
        cli_error("%s: out of memory", y->file);
        return NULL;
    }
    n->line = line;
    n->col = col;
    if (ev->type == YAML_SCALAR_EVENT) {
        n->kind = Y_SCALAR;
        n->null = is_null(ev);
        n->len = n->null ? 0 : ev->data.scalar.length;
        n->text = malloc(n->len + 1);
        if (n->text) {
            memcpy(n->text, ev->data.scalar.value, n->len);
            n->text[n->len] = '\0';
        }
        yaml_event_delete(ev);
        if (!n->text) {
            ynode_free(n);
            cli_error("%s: out of memory", y->file);
            return NULL;
        }
        return n;
    }
    yaml_event_type_t end;
    if (ev->type == YAML_MAPPING_START_EVENT) {
        n->kind = Y_MAP;
        end = YAML_MAPPING_END_EVENT;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        n->kind = Y_SEQ;
        end = YAML_SEQUENCE_END_EVENT;
    } else {
        yaml_event_delete(ev);
        ynode_free(n);
        cli_error("%s:%u:%u: unexpected YAML event", y->file, line, col);
        return NULL;
    }
    yaml_event_delete(ev);
    for (;;) {
        yaml_event_t kid_ev;
        if (!yaml_parser_parse(&y->parser, &kid_ev)) {
            yerror(y);
            ynode_free(n);
            return NULL;
        }
        if (kid_ev.type == end) {
            yaml_event_delete(&kid_ev);
            return n;
        }
        ynode *kid = read_node(y, &kid_ev, depth + 1);
        if (!kid) {
            ynode_free(n);
            return NULL;
        }
        if (n->last)
            n->last->next = kid;
        else
            n->first = kid;
        n->last = kid;
    }
}

/* The document's root; *root is NULL for an empty file.  false after
 * reporting. */
static bool read_yaml(yreader *y, ynode **root)
{
    yaml_event_t ev;
    *root = NULL;
    for (int k = 0; k < 2; k++) {           /* STREAM-START, DOCUMENT-START */
        if (!yaml_parser_parse(&y->parser, &ev)) {
            yerror(y);
            return false;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (end)
            return true;
    }
    if (!yaml_parser_parse(&y->parser, &ev)) {
        yerror(y);
        return false;
    }
    if (!(*root = read_node(y, &ev, 0)))
        return false;
    if (!yaml_parser_parse(&y->parser, &ev)) {    /* DOCUMENT-END */
        yerror(y);
        return false;
    }
    yaml_event_delete(&ev);
    if (!yaml_parser_parse(&y->parser, &ev)) {
        yerror(y);
        return false;
    }
    bool more = ev.type != YAML_STREAM_END_EVENT;
    unsigned line = (unsigned)ev.start_mark.line + 1;
    yaml_event_delete(&ev);
    if (more) {
        cli_error("%s:%u: a second YAML document: the cases are one document", y->file, line);
        return false;
    }
    return true;
}

static const char *kind_name(const ynode *n)
{
    return n->kind == Y_MAP ? "a mapping" : n->kind == Y_SEQ ? "a sequence" : "a scalar";
}

/* ------------------------------------------------------------ facts */

/* Flatten a mapping into facts as YAML facts are (SPEC 1, format 2). */
static dc_status flatten(const char *file, dc_facts *f, const char *prefix, size_t plen,
                         const ynode *map, dc_error *err)
{
    char name[DC_MAX_NAME + 1];
    for (const ynode *key = map->first; key; key = key->next->next) {
        const ynode *val = key->next;
        if (key->kind != Y_SCALAR)
            return dc_error_set(err, DC_ERR_FACTS, "%s:%u:%u: a mapping key must be a scalar, "
                                "not %s", file, key->line, key->col, kind_name(key));
        size_t n = plen ? plen + 1 + key->len : key->len;
        if (n > DC_MAX_NAME)
            return dc_error_set(err, DC_ERR_LIMIT, "%s:%u:%u: fact name longer than %d bytes "
                                "(the limit)", file, key->line, key->col, DC_MAX_NAME);
        if (plen) {
            memcpy(name, prefix, plen);
            name[plen] = '.';
        }
        memcpy(name + (plen ? plen + 1 : 0), key->text, key->len);
        name[n] = '\0';
        dc_status st;
        if (val->kind == Y_SCALAR) {
            st = facts_add_at(f, file, key->line, key->col, name, n, val->text, val->len, err);
        } else if (val->kind == Y_SEQ) {
            /* a set: items joined by commas */
            size_t total = 1;
            for (const ynode *it = val->first; it; it = it->next) {
                if (it->kind != Y_SCALAR || it->len == 0 || strpbrk(it->text, ", \t\n"))
                    return dc_error_set(err, DC_ERR_FACTS, "%s:%u:%u: '%s': a sequence holds "
                                        "the items of a set: non-empty scalars without commas "
                                        "or blanks", file, it->line, it->col, name);
                total += it->len + 1;
            }
            char *joined = malloc(total);
            if (!joined)
                return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
            size_t o = 0;
            for (const ynode *it = val->first; it; it = it->next) {
                if (o)
                    joined[o++] = ',';
                memcpy(joined + o, it->text, it->len);
                o += it->len;
            }
            st = facts_add_at(f, file, key->line, key->col, name, n, joined, o, err);
            free(joined);
        } else {
            char msg[512];
            if (!facts_valid_name(name, n, msg, sizeof msg))
                return dc_error_set(err, DC_ERR_FACTS, "%s:%u:%u: %s", file, key->line,
                                    key->col, msg);
            st = flatten(file, f, name, n, val, err);
        }
        if (st != DC_OK)
            return st;
    }
    return DC_OK;
}

/* ------------------------------------------------------------ cases */

typedef enum expect { EX_COMPATIBLE, EX_INCOMPATIBLE, EX_ERROR } expect;

typedef struct tcase {
    const char *name;
    unsigned line;
    const ynode *side[2];   /* source, target: a mapping or a file name */
    char *path[2];          /* the file, relative to the cases' directory */
    expect want;
    const ynode *block;     /* NULL: any */
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
    if (item->kind != Y_MAP) {
        cli_error("%s:%u:%u: case %zu: a case is a mapping (name, source, target, expect), "
                  "not %s", file, item->line, item->col, index + 1, kind_name(item));
        return false;
    }
    const ynode *name = NULL, *exp = NULL;
    for (const ynode *key = item->first; key; key = key->next->next) {
        const ynode *val = key->next, **slot = NULL;
        const char *k = key->kind == Y_SCALAR ? key->text : "";
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
                      "block, description)", file, key->line, key->col, index + 1, k);
            return false;
        }
        if (*slot) {
            cli_error("%s:%u:%u: case %zu: duplicate key '%s'", file, key->line, key->col,
                      index + 1, k);
            return false;
        }
        *slot = val;
    }
    const char *missing = !name ? "name" : !c->side[0] ? "source" : !c->side[1] ? "target"
                        : !exp ? "expect" : NULL;
    if (missing) {
        cli_error("%s:%u:%u: case %zu: no '%s'", file, item->line, item->col, index + 1,
                  missing);
        return false;
    }
    if (name->kind != Y_SCALAR || name->len == 0) {
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
        if (exp->kind == Y_SCALAR && !strcmp(exp->text, expects[k])) {
            c->want = (expect)k;
            known = true;
        }
    if (!known) {
        cli_error("%s:%u:%u: case '%s': expect must be compatible, incompatible or error, "
                  "not '%s'", file, exp->line, exp->col, c->name,
                  exp->kind == Y_SCALAR ? exp->text : kind_name(exp));
        return false;
    }
    if (c->block && (c->want != EX_COMPATIBLE || c->block->kind != Y_SCALAR ||
                     c->block->len == 0)) {
        cli_error("%s:%u:%u: case '%s': block (an index or a block name) goes with expect: "
                  "compatible", file, c->block->line, c->block->col, c->name);
        return false;
    }
    for (int s = 0; s < 2; s++) {
        const ynode *v = c->side[s];
        if (v->kind == Y_SEQ) {
            cli_error("%s:%u:%u: case '%s': %s must be a mapping of facts or a facts file "
                      "name, not a sequence", file, v->line, v->col, c->name, side_key[s]);
            return false;
        }
        if (v->kind == Y_SCALAR && !v->null) {
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
static dc_status case_facts(const char *file, const tcase *c, int s, dc_facts **out,
                            dc_error *err)
{
    *out = NULL;
    if (c->path[s])
        return dc_facts_read_file(c->path[s], out, err);
    dc_facts *f = dc_facts_new();
    if (!f)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    dc_status st = c->side[s]->kind == Y_MAP ? flatten(file, f, NULL, 0, c->side[s], err)
                                             : DC_OK;   /* null: no facts */
    if (st != DC_OK) {
        dc_facts_free(f);
        return st;
    }
    *out = f;
    return DC_OK;
}

/* ------------------------------------------------------------ running */

typedef struct outcome {
    expect got;
    int32_t block;
    char what[3000];        /* the reasons, or the error */
} outcome;

static void add_text(char *buf, size_t cap, const char *fmt, const char *a, unsigned n,
                     const char *b)
{
    size_t len = strlen(buf);
    if (len < cap)
        snprintf(buf + len, cap - len, fmt, a, n, b);
}

static dc_status run_case(const char *file, const dc_policy *pol, dc_result *r, const tcase *c,
                          outcome *o)
{
    dc_facts *f[2] = { NULL, NULL };
    dc_error err;
    dc_status st = DC_OK;
    memset(o, 0, sizeof *o);
    o->block = -1;
    for (int s = 0; s < 2 && st == DC_OK; s++)
        st = case_facts(file, c, s, &f[s], &err);
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
    o->got = v == DC_COMPATIBLE ? EX_COMPATIBLE : v == DC_INCOMPATIBLE ? EX_INCOMPATIBLE
                                                                     : EX_ERROR;
    o->block = dc_result_block(r);
    if (v == DC_TARGET_MISMATCH)
        strcpy(o->what, "target-mismatch: ");
    for (size_t i = 0; i < dc_result_reasons(r); i++) {
        dc_reason why;
        if (dc_result_reason(r, i, &why))
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

static void describe(const dc_policy *pol, expect e, int32_t block, char *buf, size_t cap)
{
    static const char *const names[] = { "compatible", "incompatible", "error" };
    const char *bn = e == EX_COMPATIBLE && block >= 0 ? dc_policy_block_name(pol, (size_t)block)
                                                      : NULL;
    if (e == EX_COMPATIBLE && block >= 0)
        snprintf(buf, cap, "compatible (block %d%s%s)", block, bn ? " " : "", bn ? bn : "");
    else
        snprintf(buf, cap, "%s", names[e]);
}

int cmd_test(const cli_opts *o)
{
    if (o->nargs != 2) {
        cli_error("test takes a policy and a cases file");
        fputs("usage: compatc test FILE.compat CASES.yaml\n", stderr);
        return 2;
    }
    const char *file = o->args[1];
    dc_policy *pol = cli_load_policy(o->args[0]);
    if (!pol)
        return 2;
    size_t len;
    char *text = cli_read(file, FACTS_MAX_FILE, &len);
    int rc = 2;
    ynode *root = NULL;
    tcase *cases = NULL;
    size_t ncases = 0;
    dc_result *r = NULL;
    yreader y = { .file = file, .text = text, .len = len };
    if (!text)
        goto out;
    if (!yaml_parser_initialize(&y.parser)) {
        cli_error("%s: out of memory", file);
        goto out;
    }
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
    bool read = read_yaml(&y, &root);
    yaml_parser_delete(&y.parser);
    if (!read)
        goto out;
    if (root && !(root->kind == Y_SCALAR && root->null) && root->kind != Y_SEQ) {
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
        for (size_t k = 0; k + 1 < ncases; k++)
            if (!strcmp(cases[k].name, c->name)) {
                cli_error("%s:%u: duplicate case name '%s' (first at line %u)", file, c->line,
                          c->name, cases[k].line);
                goto out;
            }
    }
    /* a facts file the kit names must be readable before anything runs */
    for (size_t k = 0; k < ncases; k++)
        for (int s = 0; s < 2; s++) {
            dc_facts *f = NULL;
            dc_error err;
            dc_status st = cases[k].path[s] ? dc_facts_read_file(cases[k].path[s], &f, &err)
                                            : DC_OK;
            dc_facts_free(f);
            if (st == DC_ERR_IO || st == DC_ERR_NOMEM) {
                cli_error("%s:%u: case '%s': %s: %s", file, cases[k].side[s]->line,
                          cases[k].name, side_key[s], err.message);
                goto out;
            }
        }
    r = dc_result_new(pol);
    if (!r) {
        cli_error("out of memory");
        goto out;
    }
    size_t passed = 0, failed = 0;
    for (size_t k = 0; k < ncases; k++) {
        const tcase *c = &cases[k];
        outcome got;
        if (run_case(file, pol, r, c, &got) != DC_OK)
            goto out;
        bool ok = got.got == c->want &&
                  (!c->block || block_matches(pol, c->block, got.block));
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
    ynode_free(root);
    free(text);
    dc_policy_free(pol);
    return rc;
}
