/* facts_yaml.c -- YAML and JSON facts and inventories (docs/facts.md, format 2).
 *
 * libyaml's event parser feeds a small tree built in an arena (reset for each
 * device, so an inventory of any size is read in constant memory beyond its
 * result); the tree is then flattened into a dc_facts:
 *
 *   mapping of scalars          name: value            -> name=value
 *   nested mapping              params: {memory: 4096} -> params.memory=4096
 *   sequence of scalars         api: [a, b]            -> api=a,b   (a set)
 *   sequence of mappings        sla: [{srv: sym}]      -> sla.0.srv=sym (records)
 *   top key self/SELF: mapping  self: {...}            -> that mapping alone
 *   plain null (~, null, empty)                        -> empty value
 *
 * Aliases are refused (no billion laughs); anchors are harmless and ignored.
 * Other scalars are taken as their text: `yes` stays "yes", `0x10` "0x10".
 * Files that hold facts among other things (`compatc test`'s cases) read
 * the whole tree (facts_ytree_read) and flatten its mappings the same way.
 * An inventory of the common flat shapes is read by facts_yaml_flat.c
 * instead, with the same outcome (docs/performance.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "alloc.h"
#include "facts.h"
#include "limits.h"
#include "yaml_fast.h"

/* Deeper nesting cannot make a name of at most 255 bytes. */
#define YAML_MAX_DEPTH 128

typedef facts_ynode ynode; /* facts.h: shared with readers of trees */

typedef struct yctx {
    yaml_parser_t parser;
    bool fast; /* the events are yaml_fast.c's (the whole text is its) */
    yfast scan;
    arena ar;     /* the tree; reset for each device of an inventory */
    bool bounded; /* one device's facts: limits apply while reading */
    size_t nodes; /* of the device being read */
    char *set;    /* a set's items being joined (bounded) */
    size_t set_cap;
    const dc_alloc *alloc;
    const char *file;
    const char *what; /* the document, in messages: "facts", "the cases" */
    const char *text;
    size_t len;
    dc_error *err;
} yctx;

/* ------------------------------------------------------------ parsing */

static dc_status nomem(yctx *c)
{
    return dc_error_set(c->err, DC_ERR_NOMEM, "%s: out of memory", c->file);
}

/* Line and column of a byte offset, for libyaml's reader errors. */
static void offset_pos(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1;
    size_t start = 0;
    for (size_t i = 0; i < off && i < len; i++)
        if (text[i] == '\n') {
            l++;
            start = i + 1;
        }
    *line = l;
    *col = (uint32_t)(off - start + 1);
}

static dc_status parser_error(yctx *c)
{
    yaml_parser_t *p = &c->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(c);
    uint32_t line, col;
    if (p->error == YAML_READER_ERROR) {
        offset_pos(c->text, c->len, p->problem_offset, &line, &col);
    } else {
        line = (uint32_t)p->problem_mark.line + 1;
        col = (uint32_t)p->problem_mark.column + 1;
    }
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->context && p->error != YAML_READER_ERROR)
        return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u:%u: %s (%s started at %u:%u)", c->file,
                            line, col, problem, p->context, (unsigned)p->context_mark.line + 1,
                            (unsigned)p->context_mark.column + 1);
    return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u:%u: %s", c->file, line, col, problem);
}

static dc_status next_event(yctx *c, yaml_event_t *ev)
{
    if (c->fast) /* it scanned the whole text once: only memory can fail */
        return yfast_next(&c->scan, ev) ? DC_OK : nomem(c);
    if (!yaml_parser_parse(&c->parser, ev))
        return parser_error(c);
    return DC_OK;
}

/* An event read: yaml_fast.c's own nothing to free. */
static void ev_delete(yctx *c, yaml_event_t *ev)
{
    if (!c->fast)
        yaml_event_delete(ev);
}

static bool is_null_scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag && strcmp(tag, YAML_NULL_TAG) == 0)
        return true;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || tag)
        return false;
    return n == 0 || (n == 1 && v[0] == '~') ||
           (n == 4 &&
            (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

static void add_child(ynode *parent, ynode *kid)
{
    if (parent->last)
        parent->last->next = kid;
    else
        parent->first = kid;
    parent->last = kid;
    parent->count++;
}

/* Nodes one device's document may hold: 1024 facts under names of at most
 * 255 bytes (a set's items are joined while reading, docs/security.md). */
#define YAML_MAX_NODES ((size_t)DC_MAX_FACTS * (DC_MAX_NAME + 1))

/* snprintf(dst, cap, "%.*s%s%.*s", alen, a, alen ? "." : "", blen, b)
 * without the format's cost (a mapping's every key goes through it): the
 * length the whole name needs, what fits written, NUL-terminated. */
static size_t name_join(char *dst, size_t cap, const char *a, size_t alen, const char *b,
                        size_t blen)
{
    size_t sep = alen != 0, n[3] = { strnlen(a, alen), sep, strnlen(b, blen) }, at = 0;
    const char *part[3] = { a, ".", b };
    for (int k = 0; k < 3; k++) {
        if (at < cap - 1)
            memcpy(dst + at, part[k], n[k] < cap - 1 - at ? n[k] : cap - 1 - at);
        at += n[k];
    }
    dst[at < cap - 1 ? at : cap - 1] = '\0';
    return at;
}

/* Where a node being read sits, for the limits checked while reading
 * (bounded reads only): its fact name as flatten() will build it, and its
 * key. */
typedef struct ypath {
    const char *name;
    size_t len;
    const ynode *key; /* NULL: an item of a sequence, or the root */
    bool root;
} ypath;

static bool is_self_key(const ynode *key)
{
    return key->kind == FACTS_YSCALAR && key->len == 4 &&
           (!memcmp(key->text, "self", 4) || !memcmp(key->text, "SELF", 4));
}

static dc_status read_node(yctx *c, yaml_event_t *ev, ynode **out, int depth, const ypath *at);

static const char *event_kind(const yaml_event_t *ev)
{
    return ev->type == YAML_MAPPING_START_EVENT    ? "a mapping"
           : ev->type == YAML_SEQUENCE_START_EVENT ? "a sequence"
                                                   : "a scalar";
}

/* Note why a set is not one, the first time (flatten reports it when the
 * set is taken as a fact: a sibling of a `self` mapping never is). */
static dc_status set_problem(yctx *c, ynode *seq, const char *fmt, ...)
{
    if (seq->problem)
        return DC_OK;
    char msg[sizeof((dc_error *)0)->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    seq->problem = arena_strndup(&c->ar, msg, strlen(msg));
    return seq->problem ? DC_OK : nomem(c);
}

/* Add one item of a set to c->set (holding `total` bytes of `count`
 * items), checked as join_sequence checks it. */
static dc_status set_item(yctx *c, const ypath *at, ynode *seq, const char *text, size_t len,
                          uint32_t line, uint32_t col, size_t *total, size_t count)
{
    const char *name = at->name;
    if (len == 0)
        return set_problem(c, seq, "%s:%u:%u: '%s': an empty item in a sequence (a set)",
                           c->file, line, col, name);
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == ',' || ch == ' ' || ch == '\t' || ch == '\n')
            return set_problem(c, seq,
                               "%s:%u:%u: '%s': the item '%.*s' holds a comma or a blank, "
                               "which separate the items of a set",
                               c->file, line, col, name, len > 64 ? 64 : (int)len, text);
    }
    size_t need = *total + (count ? 1 : 0) + len;
    if (need > DC_MAX_VALUE) {
        uint32_t kl = at->key ? at->key->line : seq->line;
        uint32_t kc = at->key ? at->key->col : seq->col;
        return dc_error_set(c->err, DC_ERR_LIMIT,
                            "%s:%u:%u: fact '%s': value is more than %d bytes (the limit)",
                            c->file, kl, kc, name, DC_MAX_VALUE);
    }
    if (need + 1 > c->set_cap) {
        size_t cap = c->set_cap ? c->set_cap : 256;
        while (cap < need + 1)
            cap *= 2;
        char *b = mem_grow(c->alloc, c->set, cap, 1);
        if (!b)
            return nomem(c);
        c->set = b;
        c->set_cap = cap;
    }
    if (count)
        c->set[(*total)++] = ',';
    memcpy(c->set + *total, text, len);
    *total += len;
    return DC_OK;
}

/* The items of a set (a sequence whose first item, `first`, is a scalar),
 * joined as they are read: a device's sets cost their text, not a node per
 * item. */
static dc_status read_set(yctx *c, ynode *n, const ynode *first, const ypath *at)
{
    size_t total = 0, count = 0;
    dc_status st =
        set_item(c, at, n, first->text, first->len, first->line, first->col, &total, count++);
    while (st == DC_OK) {
        yaml_event_t ev;
        if ((st = next_event(c, &ev)) != DC_OK)
            break;
        uint32_t line = (uint32_t)ev.start_mark.line + 1;
        uint32_t col = (uint32_t)ev.start_mark.column + 1;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            ev_delete(c, &ev);
            n->text = arena_strndup(&c->ar, c->set, total);
            if (!n->text)
                return nomem(c);
            n->len = total;
            n->count = count;
            n->joined = true;
            return DC_OK;
        }
        if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
            st = set_problem(c, n,
                             "%s:%u:%u: '%s': a sequence may hold only scalars (it is a "
                             "set), not %s",
                             c->file, line, col, at->name, event_kind(&ev));
            ynode *skipped; /* read (within the limits) and dropped */
            if (st == DC_OK)
                st = read_node(c, &ev, &skipped, 1, at);
            continue;
        }
        if (ev.type != YAML_SCALAR_EVENT)
            st = read_node(c, &ev, &(ynode *){ NULL }, 1, at); /* an alias: refused */
        else if (is_null_scalar(&ev))
            st = set_item(c, at, n, "", 0, line, col, &total, count++);
        else
            st = set_item(c, at, n, (const char *)ev.data.scalar.value, ev.data.scalar.length,
                          line, col, &total, count++);
        if (ev.type == YAML_SCALAR_EVENT)
            ev_delete(c, &ev);
    }
    return st;
}

/* Build the node that starts with *ev (consumed here), and its children.
 * A bounded read (one device's facts) checks the limits as it goes: keys
 * per mapping, records per sequence, a set's bytes, nodes per device
 * (docs/security.md), so memory and time stay linear in the input. */
static dc_status read_node(yctx *c, yaml_event_t *ev, ynode **out, int depth, const ypath *at)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1;
    uint32_t col = (uint32_t)ev->start_mark.column + 1;
    *out = NULL;
    if (ev->type == YAML_ALIAS_EVENT) {
        ev_delete(c, ev);
        return dc_error_set(c->err, DC_ERR_FACTS,
                            "%s:%u:%u: YAML aliases (*name) are not supported in %s", c->file,
                            line, col, c->what);
    }
    if (depth > YAML_MAX_DEPTH) {
        ev_delete(c, ev);
        return dc_error_set(c->err, DC_ERR_LIMIT, "%s:%u:%u: nesting deeper than %d levels",
                            c->file, line, col, YAML_MAX_DEPTH);
    }
    if (c->bounded && ++c->nodes > YAML_MAX_NODES) {
        ev_delete(c, ev);
        return dc_error_set(c->err, DC_ERR_LIMIT,
                            "%s:%u:%u: more than %zu YAML nodes in one device's facts (%d "
                            "facts of names up to %d bytes need fewer)",
                            c->file, line, col, YAML_MAX_NODES, DC_MAX_FACTS, DC_MAX_NAME);
    }
    ynode *n = arena_alloc(&c->ar, sizeof *n);
    if (!n) {
        ev_delete(c, ev);
        return nomem(c);
    }
    n->line = line;
    n->col = col;
    if (ev->type == YAML_SCALAR_EVENT) {
        n->kind = FACTS_YSCALAR;
        n->null = is_null_scalar(ev);
        n->len = n->null ? 0 : ev->data.scalar.length;
        n->text =
            arena_strndup(&c->ar, n->null ? "" : (const char *)ev->data.scalar.value, n->len);
        ev_delete(c, ev);
        if (!n->text)
            return nomem(c);
        *out = n;
        return DC_OK;
    }
    yaml_event_type_t end;
    if (ev->type == YAML_MAPPING_START_EVENT) {
        n->kind = FACTS_YMAP;
        end = YAML_MAPPING_END_EVENT;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        n->kind = FACTS_YSEQ;
        end = YAML_SEQUENCE_END_EVENT;
    } else {
        ev_delete(c, ev);
        return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u:%u: unexpected YAML event", c->file,
                            line, col);
    }
    ev_delete(c, ev);
    char name[DC_MAX_NAME + 24];
    const ynode *key = NULL;
    for (;;) {
        yaml_event_t kid_ev;
        dc_status st = next_event(c, &kid_ev);
        if (st != DC_OK)
            return st;
        if (kid_ev.type == end) {
            ev_delete(c, &kid_ev);
            break;
        }
        ypath kid_at = { "", 0, NULL, false }, *kat = NULL;
        if (c->bounded && n->kind == FACTS_YMAP) {
            if (n->count >= 2 * (size_t)DC_MAX_FACTS) {
                ev_delete(c, &kid_ev);
                return dc_error_set(c->err, DC_ERR_LIMIT,
                                    "%s:%u:%u: a mapping with more than %d keys (the facts "
                                    "limit per device is %d)",
                                    c->file, line, col, DC_MAX_FACTS, DC_MAX_FACTS);
            }
            if (n->count % 2 == 1 && key->kind == FACTS_YSCALAR) {
                /* a value: its name as flatten() builds it */
                bool self =
                    at->root && is_self_key(key) && kid_ev.type == YAML_MAPPING_START_EVENT;
                size_t len = self ? 0
                                  : name_join(name, sizeof name, at->name, at->len, key->text,
                                              key->len > DC_MAX_NAME ? DC_MAX_NAME : key->len);
                kid_at = (ypath){ name, len, key, false };
                if (self)
                    name[0] = '\0';
            }
            kat = &kid_at;
        } else if (c->bounded && n->kind == FACTS_YSEQ) {
            if (n->count >= DC_MAX_FACTS) {
                dc_status e = dc_error_set(c->err, DC_ERR_LIMIT,
                                           "%s:%u:%u: '%s': more than %d records (the facts "
                                           "limit per device)",
                                           c->file, (unsigned)kid_ev.start_mark.line + 1,
                                           (unsigned)kid_ev.start_mark.column + 1, at->name,
                                           DC_MAX_FACTS);
                ev_delete(c, &kid_ev);
                return e;
            }
            int len = snprintf(name, sizeof name, "%.*s.%zu", (int)at->len, at->name, n->count);
            kid_at = (ypath){ name, len < 0 ? 0 : (size_t)len, NULL, false };
            kat = &kid_at;
        }
        ynode *kid;
        st = read_node(c, &kid_ev, &kid, depth + 1, kat ? kat : at);
        if (st != DC_OK)
            return st;
        if (c->bounded && n->kind == FACTS_YSEQ && n->count == 0 &&
            kid->kind == FACTS_YSCALAR) {
            ypath set_at = { at->name, at->len, at->key, false };
            *out = n;
            return read_set(c, n, kid, &set_at);
        }
        add_child(n, kid);
        if (n->kind == FACTS_YMAP && n->count % 2 == 1)
            key = kid;
    }
    *out = n;
    return DC_OK;
}

/* Read one document's root node; *root is NULL for an empty stream. */
static dc_status read_document(yctx *c, ynode **root)
{
    yaml_event_t ev;
    dc_status st;
    *root = NULL;
    if ((st = next_event(c, &ev)) != DC_OK)
        return st;
    ev_delete(c, &ev); /* STREAM-START */
    if ((st = next_event(c, &ev)) != DC_OK)
        return st;
    if (ev.type == YAML_STREAM_END_EVENT) {
        ev_delete(c, &ev);
        return DC_OK;
    }
    ev_delete(c, &ev); /* DOCUMENT-START */
    if ((st = next_event(c, &ev)) != DC_OK)
        return st;
    ypath top = { "", 0, NULL, true };
    if ((st = read_node(c, &ev, root, 0, &top)) != DC_OK)
        return st;
    if ((st = next_event(c, &ev)) != DC_OK) /* DOCUMENT-END */
        return st;
    ev_delete(c, &ev);
    if ((st = next_event(c, &ev)) != DC_OK)
        return st;
    bool more = ev.type != YAML_STREAM_END_EVENT;
    uint32_t line = (uint32_t)ev.start_mark.line + 1;
    ev_delete(c, &ev);
    if (more)
        return dc_error_set(c->err, DC_ERR_FACTS,
                            "%s:%u: a second YAML document: %s are one document", c->file, line,
                            c->what);
    return DC_OK;
}

/* --------------------------------------------------------- flattening */

static const char *kind_name(const ynode *n)
{
    return n->kind == FACTS_YMAP   ? "a mapping"
           : n->kind == FACTS_YSEQ ? "a sequence"
                                   : "a scalar";
}

static int key_cmp(const void *a, const void *b)
{
    const ynode *x = *(const ynode *const *)a, *y = *(const ynode *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->line != y->line ? (x->line < y->line ? -1 : 1) : (x->col < y->col ? -1 : 1);
}

/* Keys must be scalars and unique, also those whose values flatten to
 * nothing or to different names ({a: {x: 1}, a: {y: 2}}). */
static dc_status check_keys(yctx *c, const ynode *map)
{
    size_t nkeys = map->count / 2;
    for (const ynode *k = map->first; k; k = k->next->next)
        if (k->kind != FACTS_YSCALAR)
            return dc_error_set(c->err, DC_ERR_FACTS,
                                "%s:%u:%u: a mapping key must be a scalar, not %s", c->file,
                                k->line, k->col, kind_name(k));
    if (nkeys > DC_MAX_FACTS)
        return dc_error_set(c->err, DC_ERR_LIMIT,
                            "%s:%u:%u: a mapping with more than %d keys (the facts limit "
                            "per device is %d)",
                            c->file, map->line, map->col, DC_MAX_FACTS, DC_MAX_FACTS);
    if (nkeys < 2)
        return DC_OK;
    const ynode *dup = NULL, *first = NULL;
    if (nkeys <= 8) {
        for (const ynode *k = map->first; k && !dup; k = k->next->next)
            for (const ynode *j = map->first; j != k; j = j->next->next)
                if (j->len == k->len && memcmp(j->text, k->text, k->len) == 0) {
                    dup = k;
                    first = j;
                    break;
                }
    } else {
        const ynode **keys = mem_array(c->alloc, nkeys, sizeof *keys);
        if (!keys)
            return nomem(c);
        size_t i = 0;
        for (const ynode *k = map->first; k; k = k->next->next)
            keys[i++] = k;
        qsort(keys, nkeys, sizeof *keys, key_cmp);
        /* In each run of equal keys (sorted by position), the second is the
         * run's first duplicate: report the earliest of those. */
        for (i = 1; i < nkeys; i++) {
            const ynode *k = keys[i], *prev = keys[i - 1];
            if (k->len != prev->len || memcmp(k->text, prev->text, k->len) != 0)
                continue;
            if (i >= 2 && keys[i - 2]->len == k->len &&
                memcmp(keys[i - 2]->text, k->text, k->len) == 0)
                continue; /* not the run's second */
            if (!dup || k->line < dup->line || (k->line == dup->line && k->col < dup->col)) {
                dup = k;
                first = prev;
            }
        }
        mem_free(c->alloc, keys);
    }
    if (dup)
        return dc_error_set(
            c->err, DC_ERR_FACTS, "%s:%u:%u: duplicate key '%.*s' (first at line %u)", c->file,
            dup->line, dup->col, dup->len > 64 ? 64 : (int)dup->len, dup->text, first->line);
    return DC_OK;
}

/* name = prefix '.' key into buf[DC_MAX_NAME + 1]; false when too long. */
static bool join_name(char *buf, size_t *len, const char *prefix, size_t plen, const ynode *key)
{
    size_t n = plen ? plen + 1 + key->len : key->len;
    if (n > DC_MAX_NAME)
        return false;
    if (plen) {
        memcpy(buf, prefix, plen);
        buf[plen] = '.';
        memcpy(buf + plen + 1, key->text, key->len);
    } else {
        memcpy(buf, key->text, key->len);
    }
    buf[n] = '\0';
    *len = n;
    return true;
}

/* A sequence of scalars as a set value "a,b,c". */
static dc_status join_sequence(yctx *c, dc_facts *f, const char *name, size_t name_len,
                               const ynode *key, const ynode *seq)
{
    if (seq->joined && seq->problem)
        return dc_error_set(c->err, DC_ERR_FACTS, "%s", seq->problem);
    if (seq->joined)
        return facts_add_at(f, c->file, key->line, key->col, name, name_len, seq->text,
                            seq->len, c->err);
    size_t total = 0;
    for (const ynode *it = seq->first; it; it = it->next) {
        if (it->kind != FACTS_YSCALAR)
            return dc_error_set(c->err, DC_ERR_FACTS,
                                "%s:%u:%u: '%s': a sequence may hold only scalars (it is a "
                                "set), not %s",
                                c->file, it->line, it->col, name, kind_name(it));
        if (it->len == 0)
            return dc_error_set(c->err, DC_ERR_FACTS,
                                "%s:%u:%u: '%s': an empty item in a sequence (a set)", c->file,
                                it->line, it->col, name);
        for (size_t i = 0; i < it->len; i++) {
            char ch = it->text[i];
            if (ch == ',' || ch == ' ' || ch == '\t' || ch == '\n')
                return dc_error_set(c->err, DC_ERR_FACTS,
                                    "%s:%u:%u: '%s': the item '%.*s' holds a comma or a "
                                    "blank, which separate the items of a set",
                                    c->file, it->line, it->col, name,
                                    it->len > 64 ? 64 : (int)it->len, it->text);
        }
        total += it->len + 1;
    }
    char *value = arena_alloc(&c->ar, total + 1);
    if (!value)
        return nomem(c);
    size_t o = 0;
    for (const ynode *it = seq->first; it; it = it->next) {
        if (o)
            value[o++] = ',';
        memcpy(value + o, it->text, it->len);
        o += it->len;
    }
    return facts_add_at(f, c->file, key->line, key->col, name, name_len, value, o, c->err);
}

static dc_status flatten(yctx *c, dc_facts *f, const char *prefix, size_t plen,
                         const ynode *map, const char *skip, bool checked);

/* A sequence of mappings: records, each flattened under `name.N`
 * (docs/facts.md, "Records"). */
static dc_status flatten_records(yctx *c, dc_facts *f, const char *name, size_t name_len,
                                 const ynode *seq)
{
    char prefix[DC_MAX_NAME + 8];
    size_t index = 0;
    for (const ynode *it = seq->first; it; it = it->next, index++) {
        if (it->kind != FACTS_YMAP)
            return dc_error_set(c->err, DC_ERR_FACTS,
                                "%s:%u:%u: '%s': item %zu of a sequence of records (mappings) "
                                "is %s",
                                c->file, it->line, it->col, name, index, kind_name(it));
        if (!it->first)
            return dc_error_set(c->err, DC_ERR_FACTS,
                                "%s:%u:%u: '%s': record %zu is empty (a record holds at least "
                                "one fact)",
                                c->file, it->line, it->col, name, index);
        if (index >= DC_MAX_FACTS)
            return dc_error_set(c->err, DC_ERR_LIMIT,
                                "%s:%u:%u: '%s': more than %d records (the facts limit per "
                                "device)",
                                c->file, it->line, it->col, name, DC_MAX_FACTS);
        int n = snprintf(prefix, sizeof prefix, "%.*s.%zu", (int)name_len, name, index);
        if (n < 0 || (size_t)n > DC_MAX_NAME)
            return dc_error_set(c->err, DC_ERR_LIMIT,
                                "%s:%u:%u: fact name '%.64s.%zu...' is longer than %d bytes "
                                "(the limit)",
                                c->file, it->line, it->col, name, index, DC_MAX_NAME);
        dc_status st = flatten(c, f, prefix, (size_t)n, it, NULL, false);
        if (st != DC_OK)
            return st;
    }
    return DC_OK;
}

static dc_status flatten(yctx *c, dc_facts *f, const char *prefix, size_t plen,
                         const ynode *map, const char *skip, bool checked)
{
    dc_status st = checked ? DC_OK : check_keys(c, map);
    if (st != DC_OK)
        return st;
    char name[DC_MAX_NAME + 1];
    for (const ynode *key = map->first; key; key = key->next->next) {
        const ynode *val = key->next;
        if (skip && key->len == strlen(skip) && memcmp(key->text, skip, key->len) == 0)
            continue;
        size_t name_len;
        if (!join_name(name, &name_len, prefix, plen, key)) {
            return dc_error_set(c->err, DC_ERR_LIMIT,
                                "%s:%u:%u: fact name '%.*s%s%.*s...' is longer than %d bytes "
                                "(the limit)",
                                c->file, key->line, key->col, plen > 64 ? 64 : (int)plen,
                                prefix, plen ? "." : "", key->len > 48 ? 48 : (int)key->len,
                                key->text, DC_MAX_NAME);
        }
        if (val->kind == FACTS_YSCALAR) {
            st = facts_add_at(f, c->file, key->line, key->col, name, name_len, val->text,
                              val->len, c->err);
        } else if (val->kind == FACTS_YSEQ && val->first && val->first->kind == FACTS_YMAP) {
            st = flatten_records(c, f, name, name_len, val);
        } else if (val->kind == FACTS_YSEQ) {
            st = join_sequence(c, f, name, name_len, key, val);
        } else {
            char msg[512];
            if (!facts_valid_name(name, name_len, msg, sizeof msg))
                return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u:%u: %s", c->file, key->line,
                                    key->col, msg);
            st = flatten(c, f, name, name_len, val, NULL, false);
        }
        if (st != DC_OK)
            return st;
    }
    return DC_OK;
}

/* The facts of one mapping: its `self`/`SELF` mapping when it has one.
 * `skip` names a key that is not a fact (an inventory's `id`). */
static dc_status facts_of(yctx *c, const ynode *map, const char *skip, bool checked,
                          dc_facts *f)
{
    const ynode *self = NULL;
    dc_status st = checked ? DC_OK : check_keys(c, map);
    if (st != DC_OK)
        return st;
    for (const ynode *key = map->first; key; key = key->next->next) {
        if (key->next->kind != FACTS_YMAP || key->len != 4 ||
            (memcmp(key->text, "self", 4) && memcmp(key->text, "SELF", 4)))
            continue;
        if (self)
            return dc_error_set(c->err, DC_ERR_FACTS,
                                "%s:%u:%u: both 'self' and 'SELF' (the first at line %u): "
                                "which one holds the facts?",
                                c->file, key->line, key->col, self->line);
        self = key;
    }
    if (self)
        return flatten(c, f, NULL, 0, self->next, NULL, false);
    return flatten(c, f, NULL, 0, map, skip, true);
}

/* The facts of a document's root, or of a mapping inside one: a null is no
 * facts. */
static dc_status node_facts(yctx *c, const ynode *n, dc_facts *f)
{
    if (!n || (n->kind == FACTS_YSCALAR && n->null))
        return DC_OK;
    if (n->kind != FACTS_YMAP)
        return dc_error_set(c->err, DC_ERR_FACTS,
                            "%s:%u:%u: facts must be a mapping (name: value), not %s", c->file,
                            n->line, n->col, kind_name(n));
    return facts_of(c, n, NULL, false, f);
}

/* `utf8`: refuse other encodings (facts are ASCII; checked before). */
static dc_status yctx_init(yctx *c, const dc_alloc *alloc, const char *file, const char *what,
                           const char *text, size_t len, bool utf8, dc_error *err)
{
    c->alloc = alloc;
    c->file = file;
    c->what = what;
    c->text = text;
    c->len = len;
    c->err = err;
    arena_init(&c->ar, alloc);
    c->bounded = false;
    c->nodes = 0;
    c->set = NULL;
    c->set_cap = 0;
    if (!yaml_parser_initialize(&c->parser))
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    c->fast = yfast_accepts(alloc, text, len);
    yfast_init(&c->scan, alloc, text, len);
    yaml_parser_set_input_string(&c->parser, (const unsigned char *)text, len);
    if (utf8)
        yaml_parser_set_encoding(&c->parser, YAML_UTF8_ENCODING);
    return DC_OK;
}

static void yctx_done(yctx *c)
{
    mem_free(c->alloc, c->set);
    c->set = NULL;
    yaml_parser_delete(&c->parser);
    yfast_done(&c->scan);
    arena_release(&c->ar);
}

dc_status facts_parse_yaml_ex(const dc_alloc *alloc, const char *file, const char *text,
                              size_t len, dc_facts **out, dc_error *err)
{
    if (!out || (!text && len))
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_parse_yaml: NULL argument");
    *out = NULL;
    if (!file)
        file = "<facts>";
    if (!text)
        text = "";
    yctx c;
    if (!facts_check_bytes(file, text, len, err))
        return DC_ERR_FACTS;
    dc_status st = yctx_init(&c, alloc, file, "facts", text, len, true, err);
    if (st != DC_OK)
        return st;
    c.bounded = true;
    ynode *root;
    dc_facts *f = NULL;
    st = read_document(&c, &root);
    if (st == DC_OK) {
        f = facts_new(alloc);
        if (!f)
            st = nomem(&c);
    }
    if (st == DC_OK)
        st = node_facts(&c, root, f);
    yctx_done(&c);
    if (st != DC_OK) {
        dc_facts_free(f);
        return st;
    }
    *out = f;
    return DC_OK;
}

dc_status dc_facts_parse_yaml(const char *file, const char *text, size_t len, dc_facts **out,
                              dc_error *err)
{
    return facts_parse_yaml_ex(NULL, file, text, len, out, err);
}

/* ----------------------------------------------------------- inventory */

static dc_status read_entry(yctx *c, yaml_event_t *ev, size_t index, facts_entry_fn fn,
                            void *ctx)
{
    ynode *item;
    ypath top = { "", 0, NULL, true };
    c->nodes = 0;
    dc_status st = read_node(c, ev, &item, 1, &top);
    if (st != DC_OK)
        return st;
    if (item->kind != FACTS_YMAP)
        return dc_error_set(c->err, DC_ERR_FACTS,
                            "%s:%u:%u: entry %zu: a device must be a mapping with an 'id', "
                            "not %s",
                            c->file, item->line, item->col, index, kind_name(item));
    st = check_keys(c, item);
    if (st != DC_OK)
        return st;
    const ynode *id = NULL;
    for (const ynode *key = item->first; key; key = key->next->next)
        if (key->kind == FACTS_YSCALAR && key->len == 2 && memcmp(key->text, "id", 2) == 0)
            id = key->next; /* a duplicate `id` key is found by facts_of */
    if (!id)
        return dc_error_set(c->err, DC_ERR_FACTS, "%s:%u:%u: entry %zu: no 'id'", c->file,
                            item->line, item->col, index);
    if (id->kind != FACTS_YSCALAR || id->len == 0)
        return dc_error_set(c->err, DC_ERR_FACTS,
                            "%s:%u:%u: entry %zu: the 'id' must be a non-empty scalar", c->file,
                            id->line, id->col, index);
    for (size_t i = 0; i < id->len; i++)
        if (id->text[i] < 0x20 || id->text[i] >= 0x7f)
            return dc_error_set(c->err, DC_ERR_FACTS,
                                "%s:%u:%u: entry %zu: the 'id' must be one line of "
                                "printable ASCII",
                                c->file, id->line, id->col, index);
    dc_facts *f = facts_new(c->alloc);
    if (!f)
        return nomem(c);
    st = facts_of(c, item, "id", true, f);
    if (st != DC_OK) {
        dc_facts_free(f);
        return st;
    }
    return fn(ctx, id->text, id->len, f, index, item->line, c->err);
}

dc_status facts_yaml_entries(const dc_alloc *alloc, const char *file, const char *text,
                             size_t len, facts_entry_fn fn, void *ctx, dc_error *err)
{
    return facts_yaml_entries_ex(alloc, file, text, len, true, fn, ctx, err);
}

dc_status facts_yaml_entries_ex(const dc_alloc *alloc, const char *file, const char *text,
                                size_t len, bool flat, facts_entry_fn fn, void *ctx,
                                dc_error *err)
{
    if (!fn || (!text && len))
        return dc_error_set(err, DC_ERR_INVALID, "facts_yaml_entries: NULL argument");
    if (!file)
        file = "<inventory>";
    if (!text)
        text = "";
    yctx c;
    if (!facts_check_bytes(file, text, len, err))
        return DC_ERR_FACTS;
    dc_status st;
    /* the common shape without libyaml's events (docs/performance.md) */
    if (flat && facts_yaml_flat(alloc, file, text, len, fn, ctx, &st, err))
        return st;
    st = yctx_init(&c, alloc, file, "facts", text, len, true, err);
    if (st != DC_OK)
        return st;
    c.bounded = true;
    yaml_event_t ev;
    bool empty = false;
    st = next_event(&c, &ev); /* STREAM-START */
    if (st == DC_OK) {
        ev_delete(&c, &ev);
        st = next_event(&c, &ev); /* DOCUMENT-START or STREAM-END */
    }
    if (st == DC_OK) {
        empty = ev.type == YAML_STREAM_END_EVENT;
        ev_delete(&c, &ev);
        if (!empty)
            st = next_event(&c, &ev);
    }
    if (st == DC_OK && !empty) {
        if (ev.type == YAML_SCALAR_EVENT && is_null_scalar(&ev)) {
            ev_delete(&c, &ev); /* an empty document: no devices */
        } else if (ev.type != YAML_SEQUENCE_START_EVENT) {
            st = dc_error_set(err, DC_ERR_FACTS,
                              "%s:%u:%u: an inventory must be a sequence of mappings, one per "
                              "device (or a directory of facts files)",
                              file, (unsigned)ev.start_mark.line + 1,
                              (unsigned)ev.start_mark.column + 1);
            ev_delete(&c, &ev);
        } else {
            ev_delete(&c, &ev);
            for (size_t index = 0; st == DC_OK; index++) {
                st = next_event(&c, &ev);
                if (st != DC_OK)
                    break;
                if (ev.type == YAML_SEQUENCE_END_EVENT) {
                    ev_delete(&c, &ev);
                    break;
                }
                st = read_entry(&c, &ev, index, fn, ctx);
                /* Each device's tree is dropped once it is facts. */
                arena_reset(&c.ar);
            }
        }
        if (st == DC_OK)
            st = next_event(&c, &ev); /* DOCUMENT-END */
        if (st == DC_OK) {
            ev_delete(&c, &ev);
            st = next_event(&c, &ev);
        }
        if (st == DC_OK) {
            bool more = ev.type != YAML_STREAM_END_EVENT;
            uint32_t line = (uint32_t)ev.start_mark.line + 1;
            ev_delete(&c, &ev);
            if (more)
                st = dc_error_set(err, DC_ERR_FACTS,
                                  "%s:%u: a second YAML document: an inventory is one "
                                  "document",
                                  file, line);
        }
    }
    yctx_done(&c);
    return st;
}

/* ---------------------------------------------------------------- trees */

struct facts_ytree {
    yctx c; /* the parser is gone once the tree is read */
};

dc_status facts_ytree_read(const dc_alloc *alloc, const char *file, const char *what,
                           const char *text, size_t len, facts_ytree **out,
                           const facts_ynode **root, dc_error *err)
{
    if (!file || !what || !out || !root || (!text && len))
        return dc_error_set(err, DC_ERR_INVALID, "facts_ytree_read: NULL argument");
    *out = NULL;
    *root = NULL;
    facts_ytree *t = mem_alloc(alloc, sizeof *t);
    if (!t)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    dc_status st = yctx_init(&t->c, alloc, file, what, text ? text : "", len, false, err);
    if (st != DC_OK) {
        mem_free(alloc, t);
        return st;
    }
    ynode *top;
    st = read_document(&t->c, &top);
    yaml_parser_delete(&t->c.parser);
    yfast_done(&t->c.scan);
    t->c.text = NULL;
    t->c.len = 0;
    if (st != DC_OK) {
        arena_release(&t->c.ar);
        mem_free(alloc, t);
        return st;
    }
    *out = t;
    *root = top;
    return DC_OK;
}

dc_status facts_ytree_facts(facts_ytree *t, const facts_ynode *n, dc_facts **out, dc_error *err)
{
    if (!t || !out)
        return dc_error_set(err, DC_ERR_INVALID, "facts_ytree_facts: NULL argument");
    *out = NULL;
    t->c.err = err;
    dc_facts *f = facts_new(t->c.alloc);
    if (!f)
        return nomem(&t->c);
    dc_status st = node_facts(&t->c, n, f);
    if (st != DC_OK) {
        dc_facts_free(f);
        return st;
    }
    *out = f;
    return DC_OK;
}

void facts_ytree_free(facts_ytree *t)
{
    if (!t)
        return;
    arena_release(&t->c.ar);
    mem_free(t->c.alloc, t);
}
