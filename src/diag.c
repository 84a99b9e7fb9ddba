/* diag.c -- collecting and formatting diagnostics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "limits.h"

bool srcmap_init(srcmap *m, const dc_alloc *alloc, const char *text, uint32_t len)
{
    uint32_t n = 1;
    for (uint32_t i = 0; i < len; i++)
        if (text[i] == '\n')
            n++;
    m->text = text;
    m->len = len;
    m->nlines = n;
    m->starts = mem_array(alloc, n, sizeof *m->starts);
    if (!m->starts)
        return false;
    uint32_t k = 0;
    m->starts[k++] = 0;
    for (uint32_t i = 0; i < len; i++)
        if (text[i] == '\n')
            m->starts[k++] = i + 1;
    return true;
}

void srcmap_free(srcmap *m, const dc_alloc *alloc)
{
    mem_free(alloc, m->starts);
    m->starts = NULL;
}

void srcmap_locate(const srcmap *m, uint32_t off, uint32_t *line, uint32_t *col)
{
    uint32_t lo = 0, hi = m->nlines;
    if (off > m->len)
        off = m->len;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *line = lo + 1;
    *col = off - m->starts[lo] + 1;
}

dc_diags *diag_new(const dc_alloc *alloc, const char *file, const srcmap *map)
{
    dc_diags *d = mem_zalloc(alloc, sizeof *d);
    if (!d)
        return NULL;
    d->alloc = alloc;
    arena_init(&d->ar, alloc);
    d->file = arena_strndup(&d->ar, file, strlen(file));
    if (!d->file) {
        mem_free(alloc, d);
        return NULL;
    }
    d->map = map;
    return d;
}

static bool push(dc_diags *d, dc_severity sev, span at, const char *msg)
{
    if (d->n == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 16;
        dc_diag *items = mem_grow(d->alloc, d->items, cap, sizeof *items);
        if (!items)
            return false;
        d->items = items;
        d->cap = cap;
    }
    dc_diag *dg = &d->items[d->n];
    memset(dg, 0, sizeof *dg);
    dg->file = d->file;
    dg->severity = sev;
    dg->message = arena_strndup(&d->ar, msg, strlen(msg));
    if (!dg->message)
        return false;
    uint32_t line = 1, col = 1, eline = 1, ecol = 1;
    const char *src = "";
    size_t srclen = 0;
    if (d->map) {
        srcmap_locate(d->map, at.start, &line, &col);
        srcmap_locate(d->map, at.end > at.start ? at.end : at.start, &eline, &ecol);
        uint32_t ls = d->map->starts[line - 1];
        uint32_t le = ls;
        while (le < d->map->len && d->map->text[le] != '\n')
            le++;
        if (le > ls && d->map->text[le - 1] == '\r')
            le--;
        src = d->map->text + ls;
        srclen = le - ls;
        if (eline != line) /* a span over lines: underline to the end of the first */
            ecol = (uint32_t)srclen + 1;
    }
    dg->line = line;
    dg->col = col;
    dg->end_col = ecol > col ? ecol : col + 1;
    /* a line too long to be worth quoting is not copied (a 1 MiB line with
     * a thousand errors would cost a gigabyte) */
    if (srclen <= DC_MAX_QUOTED_LINE) {
        dg->source_line = arena_strndup(&d->ar, src, srclen);
        if (!dg->source_line)
            return false;
    }
    d->n++;
    if (sev == DC_SEV_ERROR)
        d->nerrors++;
    else
        d->nwarnings++;
    return true;
}

void diag_vreport(dc_diags *d, dc_severity sev, span at, const char *fmt, va_list ap)
{
    char msg[512];
    if (!d)
        return;
    if (d->n >= DC_MAX_DIAGS) {
        if (sev == DC_SEV_ERROR)
            d->nerrors++; /* still counts: the policy must not compile */
        return;
    }
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (d->n == DC_MAX_DIAGS - 1)
        snprintf(msg, sizeof msg, "too many diagnostics (limit %d); stopping here",
                 DC_MAX_DIAGS);
    if (!push(d, sev, at, msg))
        d->oom = true;
}

void diag_report(dc_diags *d, dc_severity sev, span at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(d, sev, at, fmt, ap);
    va_end(ap);
}

static int cmp_diag(const void *a, const void *b)
{
    const dc_diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    /* keep report order: compare addresses (qsort is not stable) */
    return x < y ? -1 : x > y;
}

void diag_sort(dc_diags *d)
{
    if (d && d->n > 1)
        qsort(d->items, d->n, sizeof *d->items, cmp_diag);
}

size_t diag_format(const dc_diag *dg, char *buf, size_t cap)
{
    size_t need = 0;
    int k = snprintf(buf, cap, "%s:%u:%u: %s: %s\n%s%s", dg->file, dg->line, dg->col,
                     dg->severity == DC_SEV_ERROR ? "error" : "warning", dg->message,
                     dg->source_line ? dg->source_line : "", dg->source_line ? "\n" : "");
    if (k < 0)
        return 0;
    need = (size_t)k;
    if (!dg->source_line)
        return need;
    size_t srclen = strlen(dg->source_line);
    for (uint32_t c = 1; c < dg->end_col; c++) {
        char ch;
        if (c < dg->col)
            ch = (c - 1 < srclen && dg->source_line[c - 1] == '\t') ? '\t' : ' ';
        else
            ch = c == dg->col ? '^' : '~';
        if (need + 1 < cap)
            buf[need] = ch;
        need++;
    }
    if (need + 1 < cap)
        buf[need] = '\n';
    need++;
    if (cap)
        buf[need < cap ? need : cap - 1] = '\0';
    return need;
}

size_t dc_diags_count(const dc_diags *d)
{
    return d ? d->n : 0;
}
size_t dc_diags_error_count(const dc_diags *d)
{
    return d ? d->nerrors : 0;
}
size_t dc_diags_warning_count(const dc_diags *d)
{
    return d ? d->nwarnings : 0;
}

dc_status dc_diags_get(const dc_diags *d, size_t i, dc_diag *out)
{
    if (!d || i >= d->n || !out || out->size < sizeof *out)
        return DC_ERR_INVALID;
    size_t size = out->size;
    *out = d->items[i];
    out->size = size;
    return DC_OK;
}

void dc_diags_free(dc_diags *d)
{
    if (!d)
        return;
    const dc_alloc *alloc = d->alloc;
    arena_release(&d->ar);
    mem_free(alloc, d->items);
    mem_free(alloc, d);
}
