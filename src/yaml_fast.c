/* yaml_fast.c -- libyaml's events for the common shapes, without libyaml
 * (yaml_fast.h; docs/performance.md, "Importers").
 *
 * Each step reads one unit -- a line of block YAML, or one token of a flow
 * collection -- and queues the events it makes.  Anything outside the
 * subset stops the scan (false); no message is made here, since a text
 * is only read this way once yfast_accepts() has scanned all of it.
 */
#include <string.h>

#include "alloc.h"
#include "yaml_fast.h"

enum { BMAP, BSEQ, FMAP, FSEQ };
/* block: NEXT (an entry is done), WANT (`key:` at a line's end: the value
 * is below); flow: FIRST (just opened), AFTER_COMMA, VALUE (after
 * `key:`), AFTER (after an entry) */
enum { NEXT, WANT, FIRST, AFTER_COMMA, VALUE, AFTER };

/* Longest scalar taken as a key (libyaml's simple keys stop at 1024). */
#define YFAST_MAX_KEY 1000

/* A plain scalar's bytes: its first (none YAML gives a meaning at a
 * scalar's start, no '.' that could begin "..."), and the others. */
static bool plain_first(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '/';
}

static bool plain_char(char c)
{
    return plain_first(c) || c == '.' || c == '-' || c == '+' || c == '=' || c == '(' ||
           c == ')' || c == '~';
}

static bool push(yfast *s, yaml_event_type_t type, const char *at)
{
    if (s->qn == s->qcap) {
        size_t cap = s->qcap ? s->qcap * 2 : 16;
        yfast_event *q = mem_array(s->alloc, cap, sizeof *q);
        if (!q)
            return false;
        for (size_t i = 0; i < s->qn; i++)
            q[i] = s->q[(s->qhead + i) % s->qcap];
        mem_free(s->alloc, s->q);
        s->q = q;
        s->qhead = 0;
        s->qcap = cap;
    }
    yfast_event *e = &s->q[(s->qhead + s->qn++) % s->qcap];
    *e = (yfast_event){ type,
                        YAML_ANY_SCALAR_STYLE,
                        (size_t)(at - s->text),
                        s->line,
                        (uint32_t)(at - s->line_start),
                        NULL,
                        0,
                        0 };
    return true;
}

static yfast_event *last(yfast *s)
{
    return &s->q[(s->qhead + s->qn - 1) % s->qcap];
}

static bool buf_put(yfast *s, char c)
{
    if (s->buf_len == s->buf_cap) {
        size_t cap = s->buf_cap ? s->buf_cap * 2 : 256;
        char *b = mem_grow(s->alloc, s->buf, cap, 1);
        if (!b)
            return false;
        s->buf = b;
        s->buf_cap = cap;
    }
    s->buf[s->buf_len++] = c;
    return true;
}

/* A scalar at p, queued; p after it.  `flow`: inside a flow collection. */
static bool scalar(yfast *s, bool flow, bool key)
{
    const char *at = s->p, *p = at, *end = s->end;
    if (p == end)
        return false;
    if (!push(s, YAML_SCALAR_EVENT, at))
        return false;
    yfast_event *e = last(s);
    if (*p == '"' || *p == '\'') {
        char quote = *p++;
        const char *from = p;
        bool copied = false;
        size_t off = s->buf_len;
        for (;; p++) {
            if (p == end || *p < 0x20 || *p > 0x7e)
                return false;
            char c = *p;
            if (c == quote && quote == '\'' && p + 1 < end && p[1] == '\'') {
                c = '\'';
                p++;
            } else if (c == quote) {
                break;
            } else if (c == '\\' && quote == '"') {
                static const char from_c[] = "\"\\/ntrbf", to_c[] = "\"\\/\n\t\r\b\f";
                const char *k = ++p < end && *p ? strchr(from_c, *p) : NULL;
                if (!k)
                    return false;
                c = to_c[k - from_c];
            } else if (!copied) {
                continue;
            }
            if (!copied) { /* the first escape: what came before, then on */
                copied = true;
                const char *esc = quote == '\'' ? p - 1 : p - 1;
                for (const char *q = from; q < esc; q++)
                    if (!buf_put(s, *q))
                        return false;
            }
            if (!buf_put(s, c))
                return false;
        }
        e->style =
            quote == '"' ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE;
        if (copied) {
            e->off = off;
            e->len = s->buf_len - off;
        } else {
            e->text = from;
            e->len = (size_t)(p - from);
        }
        s->p = p + 1;
    } else {
        if (!plain_first(*p) && !(*p == '-' && p + 1 < end && p[1] >= '0' && p[1] <= '9'))
            return false;
        for (p++; p < end; p++) {
            char c = *p;
            if (plain_char(c))
                continue;
            if (c == ':' && !flow && p + 1 < end && plain_char(p[1]))
                continue;
            if (c == ' ' && p + 1 < end && plain_char(p[1]))
                continue;
            break;
        }
        e->style = YAML_PLAIN_SCALAR_STYLE;
        e->text = at;
        e->len = (size_t)(p - at);
        s->p = p;
    }
    return !key || e->len <= YFAST_MAX_KEY;
}

/* p at a line's end: past it. */
static bool end_line(yfast *s)
{
    if (s->p == s->end)
        return true;
    if (*s->p != '\n')
        return false;
    s->p++;
    s->line++;
    s->line_start = s->p;
    return true;
}

static bool open(yfast *s, int kind, uint8_t state, int indent, bool indentless)
{
    if (s->depth == YFAST_MAX_DEPTH)
        return false;
    s->stack[s->depth++] = (yfast_frame){ (uint8_t)kind, state, indentless, indent };
    return true;
}

/* At the end of the text: libyaml marks what ends there at the start of
 * the line after a last line without a newline. */
static void at_end(yfast *s)
{
    if (s->p != s->line_start) {
        s->line++;
        s->line_start = s->p;
    }
}

static bool finish(yfast *s)
{
    at_end(s);
    s->phase = 2;
    return push(s, YAML_DOCUMENT_END_EVENT, s->p) && push(s, YAML_STREAM_END_EVENT, s->p);
}

/* A flow collection's '{' or '[' at p. */
static bool flow_open(yfast *s)
{
    bool map = *s->p == '{';
    if (!push(s, map ? YAML_MAPPING_START_EVENT : YAML_SEQUENCE_START_EVENT, s->p))
        return false;
    s->p++;
    return open(s, map ? FMAP : FSEQ, FIRST, 0, false);
}

/* A value after `key: ` or `- ` on a block line: a flow collection, or a
 * scalar ending the line. */
static bool block_value(yfast *s)
{
    if (s->p < s->end && (*s->p == '{' || *s->p == '['))
        return flow_open(s);
    return scalar(s, false, false) && end_line(s);
}

/* `: ` or `:` at a line's end after a key in block mapping `map`. */
static bool block_colon(yfast *s, yfast_frame *map)
{
    const char *p = s->p;
    if (p == s->end || *p != ':')
        return false;
    s->p = ++p;
    if (p == s->end || *p == '\n') {
        map->state = WANT;
        return end_line(s);
    }
    if (*p != ' ')
        return false;
    while (p < s->end && *p == ' ')
        p++;
    if (p == s->end || *p == '\n')
        return false; /* blanks at the end of a line */
    s->p = p;
    map->state = NEXT;
    return block_value(s);
}

/* `key: ...` at p, in block mapping at the top of the stack. */
static bool block_entry(yfast *s)
{
    return scalar(s, false, true) && block_colon(s, &s->stack[s->depth - 1]);
}

/* `- ...` at p, in block sequence at the top of the stack. */
static bool block_item(yfast *s)
{
    s->p += 2;
    const char *at = s->p;
    if (at == s->end || *at == ' ' || *at == '-')
        return false;
    if (*at == '{' || *at == '[')
        return flow_open(s);
    if (!scalar(s, false, true))
        return false;
    if (s->p == s->end || *s->p != ':')
        return end_line(s);
    /* `- key: value`: a mapping in the item, at the key's column */
    yfast_event key = *last(s);
    s->qn--;
    if (!push(s, YAML_MAPPING_START_EVENT, at) || !push(s, YAML_SCALAR_EVENT, at))
        return false;
    *last(s) = key;
    if (!open(s, BMAP, NEXT, (int)(at - s->line_start), false))
        return false;
    return block_colon(s, &s->stack[s->depth - 1]);
}

/* A block node starting on this line at column `ind`: a sequence or a
 * mapping. */
static bool block_node(yfast *s, int ind, bool dash, bool indentless)
{
    if (dash)
        return push(s, YAML_SEQUENCE_START_EVENT, s->p) &&
               open(s, BSEQ, NEXT, ind, indentless) && block_item(s);
    return push(s, YAML_MAPPING_START_EVENT, s->p) && open(s, BMAP, NEXT, ind, false) &&
           block_entry(s);
}

static bool close_top(yfast *s)
{
    yfast_frame *f = &s->stack[--s->depth];
    if (f->state == WANT)
        return false;
    return push(s,
                f->kind == BMAP || f->kind == FMAP ? YAML_MAPPING_END_EVENT
                                                   : YAML_SEQUENCE_END_EVENT,
                s->p);
}

/* One line of block YAML, at its start. */
static bool block_line(yfast *s)
{
    const char *p = s->p;
    if (p == s->end) {
        at_end(s);
        while (s->depth)
            if (!close_top(s))
                return false;
        return finish(s);
    }
    while (p < s->end && *p == ' ')
        p++;
    int ind = (int)(p - s->line_start);
    if (p == s->end || !(plain_first(*p) || *p == '-' || *p == '"' || *p == '\''))
        return false;
    bool dash = *p == '-' && p + 1 < s->end && p[1] == ' ';
    s->p = p;
    for (;;) {
        if (!s->depth)
            return false; /* after the root */
        yfast_frame *top = &s->stack[s->depth - 1];
        if (top->kind == BMAP && top->state == WANT) {
            top->state = NEXT;
            if (ind > top->indent)
                return block_node(s, ind, dash, false);
            if (ind == top->indent && dash)
                return block_node(s, ind, true, true);
            return false;
        }
        if (top->kind == BMAP && ind == top->indent && !dash)
            return block_entry(s);
        if (top->kind == BSEQ && ind == top->indent && dash)
            return block_item(s);
        if (ind < top->indent || (top->kind == BSEQ && top->indentless && ind == top->indent)) {
            if (!close_top(s))
                return false;
            continue;
        }
        return false;
    }
}

/* Blanks between flow tokens: newlines too in a flow document. */
static bool flow_blanks(yfast *s)
{
    while (s->p < s->end) {
        if (*s->p == ' ')
            s->p++;
        else if (*s->p == '\n' && s->flow_doc)
            end_line(s);
        else
            break;
    }
    return s->p < s->end;
}

/* A flow collection closed: what its parent expects next. */
static bool flow_closed(yfast *s)
{
    if (!s->depth) {
        flow_blanks(s);
        return s->p == s->end && finish(s);
    }
    if (s->stack[s->depth - 1].kind == FMAP || s->stack[s->depth - 1].kind == FSEQ)
        return true;
    return end_line(s);
}

/* A value in a flow collection: a nested one, or a scalar. */
static bool flow_value(yfast *s, yfast_frame *top)
{
    top->state = AFTER;
    if (*s->p == '{' || *s->p == '[')
        return flow_open(s);
    return scalar(s, true, false);
}

/* One token of the flow collection at the top of the stack. */
static bool flow_step(yfast *s)
{
    yfast_frame *top = &s->stack[s->depth - 1];
    if (!flow_blanks(s))
        return false;
    char c = *s->p;
    char close = top->kind == FMAP ? '}' : ']';
    if ((top->state == FIRST || top->state == AFTER) && c == close) {
        if (!close_top(s))
            return false;
        s->p++;
        return flow_closed(s);
    }
    if (top->state == AFTER) {
        if (c != ',')
            return false;
        s->p++;
        top->state = AFTER_COMMA;
        return true;
    }
    if (top->kind == FSEQ)
        return flow_value(s, top);
    if (top->state == VALUE)
        return flow_value(s, top);
    /* a key, then `: ` */
    if (!scalar(s, true, true) || s->end - s->p < 2 || s->p[0] != ':' ||
        (s->p[1] != ' ' && s->p[1] != '\n'))
        return false;
    s->p++;
    top->state = VALUE;
    return true;
}

static bool step(yfast *s)
{
    if (s->phase == 0) {
        s->phase = 1;
        if (s->p == s->end || !push(s, YAML_STREAM_START_EVENT, s->p) ||
            !push(s, YAML_DOCUMENT_START_EVENT, s->p))
            return false;
        if (*s->p == '{' || *s->p == '[') {
            s->flow_doc = true;
            return flow_open(s);
        }
        bool dash = s->end - s->p >= 2 && s->p[0] == '-' && s->p[1] == ' ';
        if (!dash && !(plain_first(*s->p) || *s->p == '"' || *s->p == '\''))
            return false;
        return block_node(s, 0, dash, false);
    }
    if (s->phase == 2)
        return false;
    if (s->depth) {
        int k = s->stack[s->depth - 1].kind;
        if (k == FMAP || k == FSEQ)
            return flow_step(s);
    }
    return block_line(s);
}

void yfast_init(yfast *s, const dc_alloc *alloc, const char *text, size_t len)
{
    memset(s, 0, sizeof *s);
    s->alloc = alloc;
    s->text = s->p = s->line_start = text;
    s->end = text + len;
}

void yfast_done(yfast *s)
{
    mem_free(s->alloc, s->q);
    mem_free(s->alloc, s->buf);
    s->q = NULL;
    s->buf = NULL;
}

bool yfast_next(yfast *s, yaml_event_t *ev)
{
    if (!s->qn) {
        s->buf_len = 0;
        s->qhead = 0;
        while (!s->qn)
            if (!step(s))
                return false;
    }
    yfast_event *e = &s->q[s->qhead];
    s->qhead = (s->qhead + 1) % s->qcap;
    s->qn--;
    memset(ev, 0, sizeof *ev);
    ev->type = e->type;
    ev->start_mark.index = ev->end_mark.index = e->index;
    ev->start_mark.line = ev->end_mark.line = e->line;
    ev->start_mark.column = ev->end_mark.column = e->col;
    if (e->type == YAML_SCALAR_EVENT) {
        ev->data.scalar.value = (yaml_char_t *)(e->text ? e->text : s->buf + e->off);
        ev->data.scalar.length = e->len;
        ev->data.scalar.style = e->style;
        ev->data.scalar.plain_implicit = e->style == YAML_PLAIN_SCALAR_STYLE;
        ev->data.scalar.quoted_implicit = e->style != YAML_PLAIN_SCALAR_STYLE;
    } else if (e->type == YAML_MAPPING_START_EVENT || e->type == YAML_SEQUENCE_START_EVENT) {
        ev->data.mapping_start.implicit = 1;
    } else if (e->type == YAML_DOCUMENT_START_EVENT || e->type == YAML_DOCUMENT_END_EVENT) {
        ev->data.document_start.implicit = 1;
    }
    return true;
}

bool yfast_accepts(const dc_alloc *alloc, const char *text, size_t len)
{
    yfast s;
    yaml_event_t ev;
    yfast_init(&s, alloc, text, len);
    bool ok;
    while ((ok = yfast_next(&s, &ev)) && ev.type != YAML_STREAM_END_EVENT)
        ;
    yfast_done(&s);
    return ok;
}
