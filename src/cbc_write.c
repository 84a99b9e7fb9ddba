/* cbc_write.c -- a program to .cbc bytes (dc_policy_save): every integer
 * little-endian, byte by byte, whatever the host (docs/bytecode.md). */
#include <string.h>

#include "alloc.h"
#include "cbc.h"
#include "facts.h"
#include "limits.h"
#include "policy.h"

typedef struct wbuf {
    uint8_t *p;
    size_t len;
} wbuf;

static void w8(wbuf *w, uint8_t v)
{
    w->p[w->len++] = v;
}

static void w16(wbuf *w, uint16_t v)
{
    w8(w, (uint8_t)v);
    w8(w, (uint8_t)(v >> 8));
}

static void w32(wbuf *w, uint32_t v)
{
    w16(w, (uint16_t)v);
    w16(w, (uint16_t)(v >> 16));
}

static void w64(wbuf *w, uint64_t v)
{
    w32(w, (uint32_t)v);
    w32(w, (uint32_t)(v >> 32));
}

static void wzero(wbuf *w, size_t n)
{
    memset(w->p + w->len, 0, n);
    w->len += n;
}

static void wpref(wbuf *w, pref r)
{
    w32(w, r.off);
    w32(w, r.len);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Element counts of the sections of p, by id. */
static void section_counts(const program *p, uint64_t count[SEC__END])
{
    count[SEC_PROGRAM] = 1;
    count[SEC_POOL] = p->pool_len;
    count[SEC_CONSTS] = p->nconsts;
    count[SEC_STRS] = p->nstrs;
    count[SEC_CMPS] = p->ncmps;
    count[SEC_RANGES] = p->nranges;
    count[SEC_SVSETS] = p->nsvsets;
    count[SEC_CTABLES] = p->nctables;
    count[SEC_TPARTS] = p->ntparts;
    count[SEC_TMPLS] = p->ntmpls;
    count[SEC_SLOTS] = p->nslots;
    count[SEC_VARS] = p->nvars;
    count[SEC_RULES] = p->nrules;
    count[SEC_BLOCKS] = p->nblocks;
    count[SEC_CODE] = p->ncode;
    count[SEC_RECSETS] = p->nrecsets;
    count[SEC_RECFIELDS] = p->nrecfields;
}

static void write_section(wbuf *w, const program *p, sec_id id)
{
    switch (id) {
    case SEC_PROGRAM:
        wpref(w, p->name);
        wpref(w, p->file);
        w32(w, p->nregs);
        break;
    case SEC_POOL:
        if (p->pool_len)
            memcpy(w->p + w->len, p->pool, p->pool_len);
        w->len += p->pool_len;
        break;
    case SEC_CONSTS:
        for (uint32_t i = 0; i < p->nconsts; i++) {
            const kconst *k = &p->kconsts[i];
            w8(w, k->type);
            wzero(w, 3);
            wpref(w, k->s);
            wzero(w, 4);
            w64(w, (uint64_t)k->i);
            w64(w, k->major);
            w64(w, k->minor);
            w64(w, k->patch);
        }
        break;
    case SEC_STRS:
        for (uint32_t i = 0; i < p->nstrs; i++)
            wpref(w, p->strrefs[i]);
        break;
    case SEC_CMPS:
        for (uint32_t i = 0; i < p->ncmps; i++) {
            const kcmp *k = &p->kcmps[i];
            w8(w, k->op);
            wzero(w, 3);
            wpref(w, k->pre);
            wzero(w, 4);
            w64(w, k->major);
            w64(w, k->minor);
            w64(w, k->patch);
        }
        break;
    case SEC_RANGES:
        for (uint32_t i = 0; i < p->nranges; i++) {
            w64(w, (uint64_t)p->ranges[i].lo);
            w64(w, (uint64_t)p->ranges[i].hi);
        }
        break;
    case SEC_SVSETS:
        for (uint32_t i = 0; i < p->nsvsets; i++) {
            w32(w, p->svsets[i].first);
            w32(w, p->svsets[i].n);
        }
        break;
    case SEC_CTABLES:
        for (uint32_t i = 0; i < p->nctables; i++) {
            const ctable *c = &p->ctables[i];
            w8(w, c->kind);
            w8(w, c->small ? 1 : 0);
            wzero(w, 2);
            w32(w, c->first);
            w32(w, c->n);
            wpref(w, c->text);
            wzero(w, 4);
            w64(w, c->bitmap);
        }
        break;
    case SEC_TPARTS:
        for (uint32_t i = 0; i < p->ntparts; i++) {
            const tpart *t = &p->tparts[i];
            w8(w, t->kind);
            w8(w, t->type);
            w16(w, t->reg);
            w32(w, (uint32_t)t->ctable);
            wpref(w, t->lit);
        }
        break;
    case SEC_TMPLS:
        for (uint32_t i = 0; i < p->ntmpls; i++) {
            w32(w, p->tmpls[i].first);
            w32(w, p->tmpls[i].n);
            wpref(w, p->tmpls[i].text);
        }
        break;
    case SEC_SLOTS:
        for (uint32_t i = 0; i < p->nslots; i++) {
            wpref(w, p->slots[i].name);
            w8(w, p->slots[i].types);
            wzero(w, 3);
        }
        break;
    case SEC_VARS:
        for (uint32_t i = 0; i < p->nvars; i++) {
            wpref(w, p->vars[i].name);
            w8(w, p->vars[i].type);
            wzero(w, 1);
            w16(w, p->vars[i].reg);
        }
        break;
    case SEC_RULES:
        for (uint32_t i = 0; i < p->nrules; i++) {
            const prule *r = &p->rules[i];
            w32(w, r->line);
            w32(w, (uint32_t)r->slot);
            w8(w, r->side);
            w8(w, r->op);
            wzero(w, 2);
            w32(w, (uint32_t)r->expect_reg);
            wpref(w, r->expected);
        }
        break;
    case SEC_BLOCKS:
        for (uint32_t i = 0; i < p->nblocks; i++) {
            const pblock *b = &p->blocks[i];
            w8(w, b->kind);
            wzero(w, 3);
            wpref(w, b->name);
            w32(w, b->line);
            w32(w, b->entry);
            w32(w, b->end);
            w32(w, b->first_var);
            w32(w, b->nvars);
            w32(w, b->first_rule);
            w32(w, b->nrules);
        }
        break;
    case SEC_CODE:
        for (uint32_t i = 0; i < p->ncode; i++) {
            const insn *in = &p->code[i];
            w8(w, in->op);
            w8(w, in->t);
            w16(w, in->a);
            w16(w, in->b);
            w16(w, in->c);
        }
        break;
    case SEC_RECSETS:
        for (uint32_t i = 0; i < p->nrecsets; i++)
            wpref(w, p->recsets[i].name);
        break;
    case SEC_RECFIELDS:
        for (uint32_t i = 0; i < p->nrecfields; i++) {
            w32(w, p->recfields[i].set);
            wpref(w, p->recfields[i].name);
        }
        break;
    case SEC__END: break;
    }
}

dc_status dc_policy_save(const dc_policy *pol, void **data, size_t *len, dc_error *err)
{
    if (data)
        *data = NULL;
    if (len)
        *len = 0;
    if (!pol || !data || !len)
        return dc_error_set(err, DC_ERR_INVALID, "dc_policy_save: invalid argument");
    const program *p = &pol->prog;
    const char *file = pol->file ? pol->file : "policy";
    unsigned version = p->nrecsets || p->nrecfields ? 2 : 1, ns = cbc_nsections(version);
    uint64_t count[SEC__END], size = HEADER_SIZE + (uint64_t)ns * SECTION_ENTRY;
    section_counts(p, count);
    for (unsigned s = 1; s <= ns; s++)
        size += count[s] * cbc_sections[s].size;
    if (size > DC_MAX_CBC)
        return dc_error_set(err, DC_ERR_LIMIT,
                            "%s: the compiled policy would be %llu bytes, "
                            "more than the %u bytes a .cbc file may hold (limit)",
                            file, (unsigned long long)size, DC_MAX_CBC);
    wbuf w = { mem_alloc(pol->alloc, (size_t)size), 0 };
    if (!w.p)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    memcpy(w.p, CBC_MAGIC, CBC_MAGIC_LEN);
    w.len = CBC_MAGIC_LEN;
    w16(&w, (uint16_t)version);
    w16(&w, 0); /* flags */
    w32(&w, 0); /* checksum, filled last */
    w32(&w, (uint32_t)size);
    w32(&w, ns);
    w32(&w, HEADER_SIZE);
    w32(&w, 0);
    uint64_t off = HEADER_SIZE + (uint64_t)ns * SECTION_ENTRY;
    for (unsigned s = 1; s <= ns; s++) {
        w32(&w, (uint32_t)s);
        w32(&w, (uint32_t)count[s]);
        w32(&w, (uint32_t)off);
        w32(&w, (uint32_t)(count[s] * cbc_sections[s].size));
        off += count[s] * cbc_sections[s].size;
    }
    for (unsigned s = 1; s <= ns; s++)
        write_section(&w, p, (sec_id)s);
    put_le32(w.p + OFF_CHECKSUM, cbc_file_crc(w.p, w.len));
    *data = w.p;
    *len = w.len;
    return DC_OK;
}

void dc_buffer_free(const dc_policy *pol, void *data)
{
    mem_free(pol ? pol->alloc : NULL, data);
}
