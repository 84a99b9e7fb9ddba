/* cbc_read.c -- .cbc bytes to a policy (dc_policy_load): the file's shape
 * and checksum, its records decoded, the program verified (cbc_verify.c),
 * then built into a policy (policy.c).  Nothing in the file is trusted. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cbc.h"
#include "facts.h"
#include "limits.h"
#include "policy.h"

typedef struct rbuf {
    const uint8_t *p;
    size_t pos;
    bool zero_ok; /* every reserved byte read so far was zero */
} rbuf;

static uint8_t r8(rbuf *r)
{
    return r->p[r->pos++];
}

static uint16_t r16(rbuf *r)
{
    uint16_t v = (uint16_t)(r->p[r->pos] | r->p[r->pos + 1] << 8);
    r->pos += 2;
    return v;
}

static uint32_t r32(rbuf *r)
{
    uint32_t lo = r16(r);
    return lo | (uint32_t)r16(r) << 16;
}

static uint64_t r64(rbuf *r)
{
    uint64_t lo = r32(r);
    return lo | (uint64_t)r32(r) << 32;
}

static void rzero(rbuf *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r->p[r->pos + i])
            r->zero_ok = false;
    r->pos += n;
}

static pref rpref(rbuf *r)
{
    pref x;
    x.off = r32(r);
    x.len = r32(r);
    return x;
}

typedef struct sec {
    uint32_t count, off, size;
} sec;

/* Decode section `id` (its bytes checked to lie in the file) into p. */
static bool read_section(program *p, const uint8_t *data, const sec *s, sec_id id, char *msg,
                         size_t cap)
{
    const dc_alloc *a = p->alloc;
    rbuf r = { data + s->off, 0, true };
    uint32_t n = s->count;
#define ALLOC(arr, cnt)                                                                        \
    do {                                                                                       \
        p->arr = mem_array(a, (cnt) ? (cnt) : 1, sizeof *p->arr);                              \
        if (!p->arr)                                                                           \
            return snprintf(msg, cap, "out of memory"), false;                                 \
        memset(p->arr, 0, ((cnt) ? (cnt) : 1) * sizeof *p->arr);                               \
    } while (0)
    switch (id) {
    case SEC_PROGRAM:
        if (n != 1) {
            snprintf(msg, cap, "section 'program' holds %u records, not 1", n);
            return false;
        }
        p->name = rpref(&r);
        p->file = rpref(&r);
        p->nregs = r32(&r);
        break;
    case SEC_POOL:
        ALLOC(pool, n);
        if (n)
            memcpy(p->pool, r.p, n);
        p->pool_len = n;
        break;
    case SEC_CONSTS:
        ALLOC(kconsts, n);
        p->nconsts = n;
        for (uint32_t i = 0; i < n; i++) {
            kconst *k = &p->kconsts[i];
            k->type = r8(&r);
            rzero(&r, 3);
            k->s = rpref(&r);
            rzero(&r, 4);
            k->i = (int64_t)r64(&r);
            k->major = r64(&r);
            k->minor = r64(&r);
            k->patch = r64(&r);
        }
        break;
    case SEC_STRS:
        ALLOC(strrefs, n);
        p->nstrs = n;
        for (uint32_t i = 0; i < n; i++)
            p->strrefs[i] = rpref(&r);
        break;
    case SEC_CMPS:
        ALLOC(kcmps, n);
        p->ncmps = n;
        for (uint32_t i = 0; i < n; i++) {
            kcmp *k = &p->kcmps[i];
            k->op = r8(&r);
            rzero(&r, 3);
            k->pre = rpref(&r);
            rzero(&r, 4);
            k->major = r64(&r);
            k->minor = r64(&r);
            k->patch = r64(&r);
        }
        break;
    case SEC_RANGES:
        ALLOC(ranges, n);
        p->nranges = n;
        for (uint32_t i = 0; i < n; i++) {
            p->ranges[i].lo = (int64_t)r64(&r);
            p->ranges[i].hi = (int64_t)r64(&r);
        }
        break;
    case SEC_SVSETS:
        ALLOC(svsets, n);
        p->nsvsets = n;
        for (uint32_t i = 0; i < n; i++) {
            p->svsets[i].first = r32(&r);
            p->svsets[i].n = r32(&r);
        }
        break;
    case SEC_CTABLES:
        ALLOC(ctables, n);
        p->nctables = n;
        for (uint32_t i = 0; i < n; i++) {
            ctable *c = &p->ctables[i];
            c->kind = r8(&r);
            uint8_t small = r8(&r);
            if (small > 1) {
                snprintf(msg, cap, "table %u: 'small' flag is %u, not 0 or 1", i, small);
                return false;
            }
            c->small = small;
            rzero(&r, 2);
            c->first = r32(&r);
            c->n = r32(&r);
            c->text = rpref(&r);
            rzero(&r, 4);
            c->bitmap = r64(&r);
        }
        break;
    case SEC_TPARTS:
        ALLOC(tparts, n);
        p->ntparts = n;
        for (uint32_t i = 0; i < n; i++) {
            tpart *t = &p->tparts[i];
            t->kind = r8(&r);
            t->type = r8(&r);
            t->reg = r16(&r);
            t->ctable = (int32_t)r32(&r);
            t->lit = rpref(&r);
        }
        break;
    case SEC_TMPLS:
        ALLOC(tmpls, n);
        p->ntmpls = n;
        for (uint32_t i = 0; i < n; i++) {
            p->tmpls[i].first = r32(&r);
            p->tmpls[i].n = r32(&r);
            p->tmpls[i].text = rpref(&r);
        }
        break;
    case SEC_SLOTS:
        ALLOC(slots, n);
        p->nslots = n;
        for (uint32_t i = 0; i < n; i++) {
            p->slots[i].name = rpref(&r);
            p->slots[i].types = r8(&r);
            rzero(&r, 3);
        }
        break;
    case SEC_VARS:
        ALLOC(vars, n);
        p->nvars = n;
        for (uint32_t i = 0; i < n; i++) {
            p->vars[i].name = rpref(&r);
            p->vars[i].type = r8(&r);
            rzero(&r, 1);
            p->vars[i].reg = r16(&r);
        }
        break;
    case SEC_RULES:
        ALLOC(rules, n);
        p->nrules = n;
        for (uint32_t i = 0; i < n; i++) {
            prule *x = &p->rules[i];
            x->line = r32(&r);
            x->slot = (int32_t)r32(&r);
            x->side = r8(&r);
            x->op = r8(&r);
            rzero(&r, 2);
            x->expect_reg = (int32_t)r32(&r);
            x->expected = rpref(&r);
        }
        break;
    case SEC_BLOCKS:
        ALLOC(blocks, n);
        p->nblocks = n;
        for (uint32_t i = 0; i < n; i++) {
            pblock *b = &p->blocks[i];
            b->kind = r8(&r);
            rzero(&r, 3);
            b->name = rpref(&r);
            b->line = r32(&r);
            b->entry = r32(&r);
            b->end = r32(&r);
            b->first_var = r32(&r);
            b->nvars = r32(&r);
            b->first_rule = r32(&r);
            b->nrules = r32(&r);
        }
        break;
    case SEC_CODE:
        ALLOC(code, n);
        p->ncode = n;
        for (uint32_t i = 0; i < n; i++) {
            insn *in = &p->code[i];
            in->op = r8(&r);
            in->t = r8(&r);
            in->a = r16(&r);
            in->b = r16(&r);
            in->c = r16(&r);
        }
        break;
    case SEC_RECSETS:
        ALLOC(recsets, n);
        p->nrecsets = n;
        for (uint32_t i = 0; i < n; i++)
            p->recsets[i].name = rpref(&r);
        break;
    case SEC_RECFIELDS:
        ALLOC(recfields, n);
        p->nrecfields = n;
        for (uint32_t i = 0; i < n; i++) {
            p->recfields[i].set = r32(&r);
            p->recfields[i].name = rpref(&r);
        }
        break;
    case SEC__END: break;
    }
#undef ALLOC
    if (!r.zero_ok) {
        snprintf(msg, cap, "section '%s': reserved bytes are not zero", cbc_sections[id].name);
        return false;
    }
    return true;
}

/* The section whose end a truncated file cuts off, for the message; NULL
 * when the section table is not readable. */
static const char *cut_section(const uint8_t *d, size_t len, unsigned ns, uint64_t *end)
{
    uint64_t at = HEADER_SIZE + (uint64_t)ns * SECTION_ENTRY;
    if (len < at)
        return NULL;
    rbuf r = { d, HEADER_SIZE, true };
    for (uint32_t i = 1; i <= ns; i++) {
        uint32_t id = r32(&r), count = r32(&r), off = r32(&r), size = r32(&r);
        (void)count;
        if (id != i || off != at)
            return NULL;
        at += size;
        if (at > len) {
            *end = at;
            return cbc_sections[i].name;
        }
    }
    return NULL;
}

/* The header and the section table: everything about the file's shape,
 * and its checksum.  Fills s[1..NSECTIONS] (the sections its version does
 * not have are empty). */
static dc_status read_layout(const char *file, const uint8_t *d, size_t len, sec s[SEC__END],
                             dc_error *err)
{
    memset(s, 0, SEC__END * sizeof *s);
    if (len < CBC_MAGIC_LEN || memcmp(d, CBC_MAGIC, CBC_MAGIC_LEN) != 0)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: not a compiled policy (no .cbc magic)",
                            file);
    if (len < HEADER_SIZE)
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: truncated: the header ends at byte %d "
                            "of %zu",
                            file, HEADER_SIZE, len);
    rbuf r = { d, CBC_MAGIC_LEN, true };
    uint16_t version = r16(&r), flags = r16(&r);
    uint32_t stored_crc = r32(&r), size = r32(&r), nsec = r32(&r), table = r32(&r);
    rzero(&r, 4);
    unsigned ns = cbc_nsections(version);
    if (!ns)
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: format version %u is not supported "
                            "(this library reads versions 1 to %d)",
                            file, version, CBC_VERSION);
    if (size > len) {
        uint64_t end = 0;
        const char *name = cut_section(d, len, ns, &end);
        if (len < HEADER_SIZE + (uint64_t)ns * SECTION_ENTRY)
            return dc_error_set(err, DC_ERR_BYTECODE,
                                "%s: truncated: the section table ends "
                                "at byte %u of %zu",
                                file, HEADER_SIZE + ns * SECTION_ENTRY, len);
        if (name)
            return dc_error_set(err, DC_ERR_BYTECODE,
                                "%s: truncated: section '%s' ends at "
                                "byte %llu of %zu",
                                file, name, (unsigned long long)end, len);
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: truncated: the header says %u bytes, "
                            "the file has %zu",
                            file, size, len);
    }
    /* more bytes than the header says: garbage after a whole file, when
     * the file up to its size is intact */
    if (size < len && size >= HEADER_SIZE && cbc_file_crc(d, size) == stored_crc)
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: %zu bytes of trailing data after the "
                            "end of the file (byte %u)",
                            file, len - size, size);
    uint32_t crc = cbc_file_crc(d, len);
    if (crc != stored_crc)
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: bad checksum (stored 0x%08x, computed "
                            "0x%08x): the file is damaged",
                            file, stored_crc, crc);
    /* from here on, the bytes are as written: what is wrong was written so */
    if (size != len)
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: the header says %u bytes, the file has "
                            "%zu",
                            file, size, len);
    if (flags || !r.zero_ok)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: unknown flags in the header", file);
    if (nsec != ns || table != HEADER_SIZE)
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: the header announces %u sections at "
                            "byte %u; version %u files have %u at byte %d",
                            file, nsec, table, version, ns, HEADER_SIZE);
    uint64_t at = HEADER_SIZE + (uint64_t)ns * SECTION_ENTRY;
    if (len < at)
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: the section table ends at byte %llu, "
                            "past the end of the file (%zu bytes)",
                            file, (unsigned long long)at, len);
    for (uint32_t i = 1; i <= ns; i++) {
        uint32_t id = r32(&r);
        s[i].count = r32(&r);
        s[i].off = r32(&r);
        s[i].size = r32(&r);
        const char *name = cbc_sections[i].name;
        if (id != i)
            return dc_error_set(err, DC_ERR_BYTECODE,
                                "%s: section table entry %u has id %u, "
                                "expected %u ('%s')",
                                file, i - 1, id, i, name);
        if (s[i].off != at)
            return dc_error_set(err, DC_ERR_BYTECODE,
                                "%s: section '%s' starts at byte %u, "
                                "expected %llu",
                                file, name, s[i].off, (unsigned long long)at);
        if ((uint64_t)s[i].count * cbc_sections[i].size != s[i].size)
            return dc_error_set(err, DC_ERR_BYTECODE,
                                "%s: section '%s' is %u bytes, but %u "
                                "records of %u bytes take %llu",
                                file, name, s[i].size, s[i].count, cbc_sections[i].size,
                                (unsigned long long)s[i].count * cbc_sections[i].size);
        at += s[i].size;
        if (at > len)
            return dc_error_set(err, DC_ERR_BYTECODE,
                                "%s: section '%s' ends at byte %llu, past "
                                "the end of the file (%zu bytes)",
                                file, name, (unsigned long long)at, len);
    }
    if (at != len)
        return dc_error_set(err, DC_ERR_BYTECODE,
                            "%s: the sections end at byte %llu, the file "
                            "at byte %zu",
                            file, (unsigned long long)at, len);
    return DC_OK;
}

dc_status dc_policy_load_ex(const dc_alloc *alloc, const char *file, const void *data,
                            size_t len, dc_policy **out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!data && len))
        return dc_error_set(err, DC_ERR_INVALID, "dc_policy_load: invalid argument");
    if (!file)
        file = "<cbc>";
    if (len > DC_MAX_CBC)
        return dc_error_set(err, DC_ERR_LIMIT,
                            "%s: a compiled policy may hold at most %u "
                            "bytes; this one has %zu (limit)",
                            file, DC_MAX_CBC, len);
    const uint8_t *d = data;
    sec s[SEC__END];
    dc_status st = read_layout(file, d ? d : (const uint8_t *)"", len, s, err);
    if (st != DC_OK)
        return st;
    dc_policy *pol = mem_zalloc(alloc, sizeof *pol);
    if (!pol)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    pol->alloc = alloc;
    pol->prog.alloc = alloc;
    char msg[512];
    msg[0] = '\0';
    for (int i = 1; i < SEC__END; i++)
        if (!read_section(&pol->prog, d, &s[i], (sec_id)i, msg, sizeof msg)) {
            st = strcmp(msg, "out of memory") == 0 ? DC_ERR_NOMEM : DC_ERR_BYTECODE;
            goto fail;
        }
    if (!cbc_verify(&pol->prog, msg, sizeof msg)) {
        st = strcmp(msg, "out of memory") == 0 ? DC_ERR_NOMEM : DC_ERR_BYTECODE;
        goto fail;
    }
    st = policy_finish(pol, err);
    if (st != DC_OK) {
        dc_policy_free(pol);
        return dc_error_set(err, st, "%s: out of memory", file);
    }
    *out = pol;
    return DC_OK;
fail:
    dc_policy_free(pol);
    return dc_error_set(err, st, "%s: %s", file, msg);
}

dc_status dc_policy_load(const char *file, const void *data, size_t len, dc_policy **out,
                         dc_error *err)
{
    return dc_policy_load_ex(NULL, file, data, len, out, err);
}
