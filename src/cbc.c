/* cbc.c -- compiled policies on disk: save, load, and the verifier (SPEC 3).
 *
 * A .cbc file is a header, a section table and fifteen sections, every
 * integer little-endian whatever the host, covered by a CRC-32
 * (docs/bytecode.md has the layout byte by byte).  Nothing in a file is
 * trusted: after decoding, cbc_verify() checks every index, offset, length,
 * jump, register and the type of every register read, so that vm.c can run
 * any program that passes on any prepared facts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cbc.h"
#include "facts.h"
#include "limits.h"

/* ------------------------------------------------------------ layout */

enum {
    HEADER_SIZE = 32,
    SECTION_ENTRY = 16,
    OFF_CHECKSUM = 12,
};

typedef enum sec_id {
    SEC_PROGRAM = 1, SEC_POOL, SEC_CONSTS, SEC_STRS, SEC_CMPS, SEC_RANGES, SEC_SVSETS,
    SEC_CTABLES, SEC_TPARTS, SEC_TMPLS, SEC_SLOTS, SEC_VARS, SEC_RULES, SEC_BLOCKS, SEC_CODE,
    SEC__END
} sec_id;

#define NSECTIONS (SEC__END - 1)

/* Name and record size of each section, by id. */
static const struct {
    const char *name;
    uint32_t size;
} sections[SEC__END] = {
    [SEC_PROGRAM] = { "program", 20 },
    [SEC_POOL] = { "pool", 1 },
    [SEC_CONSTS] = { "constants", 48 },
    [SEC_STRS] = { "strings", 8 },
    [SEC_CMPS] = { "comparators", 40 },
    [SEC_RANGES] = { "ranges", 16 },
    [SEC_SVSETS] = { "semver-sets", 8 },
    [SEC_CTABLES] = { "tables", 32 },
    [SEC_TPARTS] = { "template-parts", 16 },
    [SEC_TMPLS] = { "templates", 16 },
    [SEC_SLOTS] = { "slots", 12 },
    [SEC_VARS] = { "variables", 12 },
    [SEC_RULES] = { "rules", 24 },
    [SEC_BLOCKS] = { "blocks", 40 },
    [SEC_CODE] = { "code", 8 },
};

bool cbc_is_cbc(const void *data, size_t len)
{
    /* "DCBC" and ^Z: a policy source is ASCII text, it never holds 0x1a */
    return data && len >= 5 && memcmp(data, CBC_MAGIC, 5) == 0;
}

unsigned cbc_tfields(unsigned op)
{
    unsigned f = 0;
    if (op >= I__COUNT)
        return 0;
    if (strchr(op_operands[op], 'S'))
        f |= TF_SIDE;
    if (op == I_LOADF || op == I_FIELDT || op == I_CONV || op == I_FCMP)
        f |= TF_TYPE;
    if (op == I_FCMP)
        f |= TF_CMP;
    return f;
}

/* ------------------------------------------------------------ CRC-32 */

/* CRC-32 as zlib and PNG compute it (reflected, polynomial 0xedb88320),
 * four bits at a time from a constant table: no global state to set up. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    static const uint32_t table[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ table[crc & 15];
        crc = (crc >> 4) ^ table[crc & 15];
    }
    return ~crc;
}

/* The checksum of a file: every byte except the checksum field itself. */
static uint32_t file_crc(const uint8_t *p, size_t len)
{
    uint32_t crc = crc32_update(0, p, OFF_CHECKSUM);
    return crc32_update(crc, p + OFF_CHECKSUM + 4, len - OFF_CHECKSUM - 4);
}

/* ------------------------------------------------------------ writing */

typedef struct wbuf {
    uint8_t *p;
    size_t len;
} wbuf;

static void w8(wbuf *w, uint8_t v) { w->p[w->len++] = v; }

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
    default:
        break;
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
    uint64_t count[SEC__END], size = HEADER_SIZE + (uint64_t)NSECTIONS * SECTION_ENTRY;
    section_counts(p, count);
    for (int s = 1; s < SEC__END; s++)
        size += count[s] * sections[s].size;
    if (size > DC_MAX_CBC)
        return dc_error_set(err, DC_ERR_LIMIT, "%s: the compiled policy would be %llu bytes, "
                            "more than the %u bytes a .cbc file may hold (limit)", file,
                            (unsigned long long)size, DC_MAX_CBC);
    wbuf w = { mem_alloc(pol->alloc, (size_t)size), 0 };
    if (!w.p)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    memcpy(w.p, CBC_MAGIC, CBC_MAGIC_LEN);
    w.len = CBC_MAGIC_LEN;
    w16(&w, CBC_VERSION);
    w16(&w, 0);                 /* flags */
    w32(&w, 0);                 /* checksum, filled last */
    w32(&w, (uint32_t)size);
    w32(&w, NSECTIONS);
    w32(&w, HEADER_SIZE);
    w32(&w, 0);
    uint64_t off = HEADER_SIZE + (uint64_t)NSECTIONS * SECTION_ENTRY;
    for (int s = 1; s < SEC__END; s++) {
        w32(&w, (uint32_t)s);
        w32(&w, (uint32_t)count[s]);
        w32(&w, (uint32_t)off);
        w32(&w, (uint32_t)(count[s] * sections[s].size));
        off += count[s] * sections[s].size;
    }
    for (int s = 1; s < SEC__END; s++)
        write_section(&w, p, (sec_id)s);
    put_le32(w.p + OFF_CHECKSUM, file_crc(w.p, w.len));
    *data = w.p;
    *len = w.len;
    return DC_OK;
}

void dc_buffer_free(const dc_policy *pol, void *data)
{
    mem_free(pol ? pol->alloc : NULL, data);
}

/* ------------------------------------------------------------ reading */

typedef struct rbuf {
    const uint8_t *p;
    size_t pos;
    bool zero_ok;       /* every reserved byte read so far was zero */
} rbuf;

static uint8_t r8(rbuf *r) { return r->p[r->pos++]; }

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
static bool read_section(program *p, const uint8_t *data, const sec *s, sec_id id,
                         char *msg, size_t cap)
{
    const dc_alloc *a = p->alloc;
    rbuf r = { data + s->off, 0, true };
    uint32_t n = s->count;
#define ALLOC(arr, cnt)                                                 \
    do {                                                                \
        p->arr = mem_array(a, (cnt) ? (cnt) : 1, sizeof *p->arr);       \
        if (!p->arr)                                                    \
            return snprintf(msg, cap, "out of memory"), false;          \
        memset(p->arr, 0, ((cnt) ? (cnt) : 1) * sizeof *p->arr);        \
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
    default:
        break;
    }
#undef ALLOC
    if (!r.zero_ok) {
        snprintf(msg, cap, "section '%s': reserved bytes are not zero", sections[id].name);
        return false;
    }
    return true;
}

/* The section whose end a truncated file cuts off, for the message; NULL
 * when the section table is not readable. */
static const char *cut_section(const uint8_t *d, size_t len, uint64_t *end)
{
    uint64_t at = HEADER_SIZE + (uint64_t)NSECTIONS * SECTION_ENTRY;
    if (len < at)
        return NULL;
    rbuf r = { d, HEADER_SIZE, true };
    for (uint32_t i = 1; i < SEC__END; i++) {
        uint32_t id = r32(&r), count = r32(&r), off = r32(&r), size = r32(&r);
        (void)count;
        if (id != i || off != at)
            return NULL;
        at += size;
        if (at > len) {
            *end = at;
            return sections[i].name;
        }
    }
    return NULL;
}

/* The header and the section table: everything about the file's shape,
 * and its checksum.  Fills s[1..NSECTIONS]. */
static dc_status read_layout(const char *file, const uint8_t *d, size_t len,
                             sec s[SEC__END], dc_error *err)
{
    if (len < CBC_MAGIC_LEN || memcmp(d, CBC_MAGIC, CBC_MAGIC_LEN) != 0)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: not a compiled policy (no .cbc magic)",
                            file);
    if (len < HEADER_SIZE)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: truncated: the header ends at byte %d "
                            "of %zu", file, HEADER_SIZE, len);
    rbuf r = { d, CBC_MAGIC_LEN, true };
    uint16_t version = r16(&r), flags = r16(&r);
    uint32_t stored_crc = r32(&r), size = r32(&r), nsec = r32(&r), table = r32(&r);
    rzero(&r, 4);
    if (version != CBC_VERSION)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: format version %u is not supported "
                            "(this library reads version %d)", file, version, CBC_VERSION);
    if (size > len) {
        uint64_t end = 0;
        const char *name = cut_section(d, len, &end);
        if (len < HEADER_SIZE + (uint64_t)NSECTIONS * SECTION_ENTRY)
            return dc_error_set(err, DC_ERR_BYTECODE, "%s: truncated: the section table ends "
                                "at byte %d of %zu", file, HEADER_SIZE + NSECTIONS * SECTION_ENTRY,
                                len);
        if (name)
            return dc_error_set(err, DC_ERR_BYTECODE, "%s: truncated: section '%s' ends at "
                                "byte %llu of %zu", file, name, (unsigned long long)end, len);
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: truncated: the header says %u bytes, "
                            "the file has %zu", file, size, len);
    }
    /* more bytes than the header says: garbage after a whole file, when
     * the file up to its size is intact */
    if (size < len && size >= HEADER_SIZE && file_crc(d, size) == stored_crc)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: %zu bytes of trailing data after the "
                            "end of the file (byte %u)", file, len - size, size);
    uint32_t crc = file_crc(d, len);
    if (crc != stored_crc)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: bad checksum (stored 0x%08x, computed "
                            "0x%08x): the file is damaged", file, stored_crc, crc);
    /* from here on, the bytes are as written: what is wrong was written so */
    if (size != len)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: the header says %u bytes, the file has "
                            "%zu", file, size, len);
    if (flags || !r.zero_ok)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: unknown flags in the header", file);
    if (nsec != NSECTIONS || table != HEADER_SIZE)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: the header announces %u sections at "
                            "byte %u; version %d files have %d at byte %d", file, nsec, table,
                            CBC_VERSION, NSECTIONS, HEADER_SIZE);
    uint64_t at = HEADER_SIZE + (uint64_t)NSECTIONS * SECTION_ENTRY;
    if (len < at)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: the section table ends at byte %llu, "
                            "past the end of the file (%zu bytes)", file,
                            (unsigned long long)at, len);
    for (uint32_t i = 1; i < SEC__END; i++) {
        uint32_t id = r32(&r);
        s[i].count = r32(&r);
        s[i].off = r32(&r);
        s[i].size = r32(&r);
        const char *name = sections[i].name;
        if (id != i)
            return dc_error_set(err, DC_ERR_BYTECODE, "%s: section table entry %u has id %u, "
                                "expected %u ('%s')", file, i - 1, id, i, name);
        if (s[i].off != at)
            return dc_error_set(err, DC_ERR_BYTECODE, "%s: section '%s' starts at byte %u, "
                                "expected %llu", file, name, s[i].off, (unsigned long long)at);
        if ((uint64_t)s[i].count * sections[i].size != s[i].size)
            return dc_error_set(err, DC_ERR_BYTECODE, "%s: section '%s' is %u bytes, but %u "
                                "records of %u bytes take %llu", file, name, s[i].size,
                                s[i].count, sections[i].size,
                                (unsigned long long)s[i].count * sections[i].size);
        at += s[i].size;
        if (at > len)
            return dc_error_set(err, DC_ERR_BYTECODE, "%s: section '%s' ends at byte %llu, past "
                                "the end of the file (%zu bytes)", file, name,
                                (unsigned long long)at, len);
    }
    if (at != len)
        return dc_error_set(err, DC_ERR_BYTECODE, "%s: the sections end at byte %llu, the file "
                            "at byte %zu", file, (unsigned long long)at, len);
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
        return dc_error_set(err, DC_ERR_LIMIT, "%s: a compiled policy may hold at most %u "
                            "bytes; this one has %zu (limit)", file, DC_MAX_CBC, len);
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

dc_status dc_policy_read_file(const char *path, dc_policy **out, dc_diags **diags,
                              dc_error *err)
{
    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!path || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_policy_read_file: invalid argument");
    char *data = NULL;
    size_t len = 0;
    /* read up to the larger limit; each reader applies its own */
    dc_status st = file_read_all(NULL, path, DC_MAX_CBC, &data, &len, err);
    if (st != DC_OK)
        return st;
    if (cbc_is_cbc(data, len))
        st = dc_policy_load(path, data, len, out, err);
    else
        st = dc_policy_compile(path, data, len, out, diags, err);
    mem_free(NULL, data);
    return st;
}

/* ------------------------------------------------------------ verifier
 *
 * Static checks first (every table, every operand), then a forward dataflow
 * over each block: code only jumps forward, so one pass in pc order sees
 * every way into an instruction before the instruction itself.  The state
 * is, per register, the vtype it holds on every path so far (VT_NONE: not
 * written on some path, or written with different types).  The state at a
 * jump is kept as a position in an undo log of state changes; where the
 * jump lands, the registers changed since then are merged (a type survives
 * only if both ways agree). */

#define M(t) (1u << (t))
#define M_NUM (M(VT_INT) | M(VT_HEX))
#define M_ANY (M(VT_INT) | M(VT_HEX) | M(VT_STRING) | M(VT_SEMVER) | M(VT_BOOL) | M(VT_SET))

/* Steps of merging allowed: compiler output needs about (nesting of && and
 * ||) x (code size); more is a crafted file, refused rather than slow. */
#define VERIFY_BUDGET_BASE (1u << 20)
#define VERIFY_BUDGET_MAX  (1u << 26)
/* State changes kept for the merges, 4 bytes each; compiler output makes
 * about one per instruction. */
#define VERIFY_LOG_BASE    (1u << 20)
#define VERIFY_LOG_MAX     (1u << 24)

/* The type a constraint table's kind tests (ct_kind order). */
static const uint8_t ct_type[] = { VT_INT, VT_HEX, VT_STRING, VT_SEMVER, VT_BOOL, VT_SET };

/* A state change: (register << 8) | the type it held before. */
typedef uint32_t logent;

typedef struct jump {
    uint32_t pos;       /* log length when the jump was taken */
    int32_t next;       /* next jump landing on the same instruction, or -1 */
} jump;

typedef struct ver {
    const program *p;
    char *msg;
    size_t cap;
    uint8_t *ty;        /* register -> vtype held on every path, or VT_NONE */
    uint8_t *self_reg;  /* register -> 1 when a SELF variable's */
    uint32_t *stamp;    /* register -> last merge that saw it */
    uint32_t mstamp;
    logent *log;
    uint32_t nlog, caplog, maxlog;
    int32_t *head;      /* pc - entry -> first jump landing there, or -1 */
    jump *jumps;
    uint32_t njumps;
    uint64_t budget, budget0;
    uint32_t pc;        /* the instruction being checked, for messages */
    bool in_self;
} ver;

static bool vfail(ver *v, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static bool vfail(ver *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (v->cap)
        vsnprintf(v->msg, v->cap, fmt, ap);
    va_end(ap);
    return false;
}

/* A failure at instruction v->pc: "instruction 12 (FCMP): ..." */
static bool ifail(ver *v, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static bool ifail(ver *v, const char *fmt, ...)
{
    const insn *in = &v->p->code[v->pc];
    int n = 0;
    if (v->cap)
        n = snprintf(v->msg, v->cap, "instruction %u (%s): ", v->pc,
                     in->op < I__COUNT ? op_names[in->op] : "?");
    if (n > 0 && (size_t)n < v->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->msg + n, v->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

static const char *tname(unsigned t)
{
    const char *n = t > VT_NONE && t < VT_COUNT ? vtype_name((vtype)t) : NULL;
    return n ? n : "nothing";
}

static bool valid_type(unsigned t)
{
    return t > VT_NONE && t < VT_COUNT;
}

static bool pref_in_pool(const program *p, pref r)
{
    return r.off <= p->pool_len && r.len <= p->pool_len - r.off;
}

/* A pool reference; `name`: also free of NUL bytes, and followed by one (the
 * API hands names out as C strings). */
static bool check_pref(ver *v, pref r, bool name, const char *what, uint32_t i)
{
    const program *p = v->p;
    char label[64];
    if (i == UINT32_MAX)
        snprintf(label, sizeof label, "%s", what);
    else
        snprintf(label, sizeof label, "%s %u", what, i);
    if (!pref_in_pool(p, r))
        return vfail(v, "%s: string at %u+%u is outside the pool (%u bytes)", label, r.off,
                     r.len, p->pool_len);
    if (name && memchr(p->pool + r.off, '\0', r.len))
        return vfail(v, "%s: name holds a NUL byte", label);
    /* names are handed out as C strings, straight from the pool */
    if (name && r.len && (r.len == p->pool_len - r.off || p->pool[r.off + r.len] != '\0'))
        return vfail(v, "%s: name is not followed by a NUL byte", label);
    return true;
}

/* A SemVer pre-release: dot-separated identifiers of [0-9A-Za-z-], numeric
 * ones without leading zeros. */
static bool valid_pre(const program *p, pref r)
{
    const char *s = p->pool + r.off;
    uint32_t start = 0;
    if (r.len == 0)
        return true;
    for (uint32_t i = 0; i <= r.len; i++) {
        if (i == r.len || s[i] == '.') {
            uint32_t n = i - start;
            if (n == 0)
                return false;
            bool digits = true;
            for (uint32_t k = start; k < i; k++)
                digits = digits && s[k] >= '0' && s[k] <= '9';
            if (digits && n > 1 && s[start] == '0')
                return false;
            start = i + 1;
            continue;
        }
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-'))
            return false;
    }
    return true;
}

static bool within(uint32_t first, uint32_t n, uint32_t total)
{
    return first <= total && n <= total - first;
}

static int dstr_order(const program *p, pref a, pref b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int r = memcmp(p->pool + a.off, p->pool + b.off, n);
    return r ? r : (a.len > b.len) - (a.len < b.len);
}

/* ------------------------------------------------------------ tables */

static bool check_header(ver *v)
{
    const program *p = v->p;
    if (p->nregs > UINT16_MAX)
        return vfail(v, "%u registers: at most %u", p->nregs, UINT16_MAX);
    if (p->nblocks < 2)
        return vfail(v, "%u blocks: a policy has SELF and at least one COMPATIBLE block",
                     p->nblocks);
    if (p->nblocks - 1 > DC_MAX_BLOCKS)
        return vfail(v, "%u COMPATIBLE blocks: at most %d (limit)", p->nblocks - 1,
                     DC_MAX_BLOCKS);
    if (p->pool_len == 0 || p->pool[p->pool_len - 1] != '\0')
        return vfail(v, "the pool does not end with a NUL byte");
    if (!check_pref(v, p->name, true, "policy name", UINT32_MAX) ||
        !check_pref(v, p->file, true, "file name", UINT32_MAX))
        return false;
    return true;
}

static bool check_consts(ver *v)
{
    const program *p = v->p;
    for (uint32_t i = 0; i < p->nconsts; i++) {
        const kconst *k = &p->kconsts[i];
        if (!check_pref(v, k->s, false, "constant", i))
            return false;
        bool numbers = k->major || k->minor || k->patch;
        switch (k->type) {
        case VT_INT:
        case VT_HEX:
            if (k->s.off || k->s.len || numbers)
                return vfail(v, "constant %u: %s with stray fields", i, tname(k->type));
            break;
        case VT_BOOL:
            if (k->s.off || k->s.len || numbers || (k->i != 0 && k->i != 1))
                return vfail(v, "constant %u: bool that is not 0 or 1", i);
            break;
        case VT_STRING:
            if (k->i || numbers)
                return vfail(v, "constant %u: string with stray fields", i);
            break;
        case VT_SEMVER:
            if (k->i || !valid_pre(p, k->s))
                return vfail(v, "constant %u: malformed semver", i);
            break;
        default:
            return vfail(v, "constant %u: invalid type %u", i, k->type);
        }
    }
    for (uint32_t i = 0; i < p->nstrs; i++)
        if (!check_pref(v, p->strrefs[i], false, "string", i))
            return false;
    for (uint32_t i = 0; i < p->ncmps; i++) {
        const kcmp *c = &p->kcmps[i];
        if (c->op > SV_EQ)
            return vfail(v, "comparator %u: invalid operator %u", i, c->op);
        if (!check_pref(v, c->pre, false, "comparator", i))
            return false;
        if (!valid_pre(p, c->pre))
            return vfail(v, "comparator %u: malformed pre-release", i);
    }
    for (uint32_t i = 0; i < p->nsvsets; i++)
        if (!within(p->svsets[i].first, p->svsets[i].n, p->ncmps))
            return vfail(v, "semver set %u: comparators %u+%u out of range (%u)", i,
                         p->svsets[i].first, p->svsets[i].n, p->ncmps);
    return true;
}

static bool check_ranges(ver *v, uint32_t i, const ctable *ct)
{
    const program *p = v->p;
    bool hex = ct->kind == CT_HEX;
    uint64_t bitmap = 0;
    bool small = true;
    if (!within(ct->first, ct->n, p->nranges))
        return vfail(v, "table %u: ranges %u+%u out of range (%u)", i, ct->first, ct->n,
                     p->nranges);
    for (uint32_t k = 0; k < ct->n; k++) {
        const irange *r = &p->ranges[ct->first + k];
        bool ordered = hex ? (uint64_t)r->lo <= (uint64_t)r->hi : r->lo <= r->hi;
        if (!ordered)
            return vfail(v, "table %u: range %u is empty (lo > hi)", i, k);
        if (k) {
            const irange *q = r - 1;
            bool after = hex ? (uint64_t)q->hi < (uint64_t)r->lo : q->hi < r->lo;
            if (!after)
                return vfail(v, "table %u: ranges %u and %u are not sorted and disjoint", i,
                             k - 1, k);
        }
        bool in = hex ? (uint64_t)r->hi <= 63 : r->lo >= 0 && r->hi <= 63;
        if (!in)
            small = false;
        else
            for (int64_t x = r->lo; x <= r->hi; x++)
                bitmap |= (uint64_t)1 << x;
    }
    if (ct->small && (!small || ct->bitmap != bitmap))
        return vfail(v, "table %u: the bitmap does not match the ranges", i);
    if (!ct->small && ct->bitmap)
        return vfail(v, "table %u: a bitmap without the 'small' flag", i);
    return true;
}

static bool check_ctables(ver *v)
{
    const program *p = v->p;
    for (uint32_t i = 0; i < p->nctables; i++) {
        const ctable *ct = &p->ctables[i];
        if (!check_pref(v, ct->text, false, "table", i))
            return false;
        if (ct->kind > CT_SET)
            return vfail(v, "table %u: invalid kind %u", i, ct->kind);
        if (ct->kind != CT_BOOL && ct->n == 0)
            return vfail(v, "table %u: empty constraint", i);
        if ((ct->kind != CT_INT && ct->kind != CT_HEX) && (ct->small || ct->bitmap))
            return vfail(v, "table %u: a bitmap on a %s table", i, tname(ct_type[ct->kind]));
        switch (ct->kind) {
        case CT_INT:
        case CT_HEX:
            if (!check_ranges(v, i, ct))
                return false;
            break;
        case CT_STRING:
        case CT_SET:
            if (!within(ct->first, ct->n, p->nstrs))
                return vfail(v, "table %u: strings %u+%u out of range (%u)", i, ct->first,
                             ct->n, p->nstrs);
            for (uint32_t k = 1; k < ct->n; k++)
                if (dstr_order(p, p->strrefs[ct->first + k - 1], p->strrefs[ct->first + k]) >= 0)
                    return vfail(v, "table %u: strings %u and %u are not sorted and unique", i,
                                 k - 1, k);
            break;
        case CT_SEMVER:
            if (!within(ct->first, ct->n, p->nsvsets))
                return vfail(v, "table %u: semver sets %u+%u out of range (%u)", i, ct->first,
                             ct->n, p->nsvsets);
            break;
        case CT_BOOL:
            if (ct->first > 1 || ct->n)
                return vfail(v, "table %u: a bool table allows 0 or 1", i);
            break;
        }
    }
    return true;
}

static bool check_templates(ver *v)
{
    const program *p = v->p;
    for (uint32_t i = 0; i < p->ntparts; i++) {
        const tpart *tp = &p->tparts[i];
        switch (tp->kind) {
        case TP_LIT:
            if (!check_pref(v, tp->lit, false, "template part", i))
                return false;
            if (tp->lit.len == 0 || tp->type || tp->reg || tp->ctable != -1)
                return vfail(v, "template part %u: malformed literal", i);
            break;
        case TP_DECL:
        case TP_CMP:
            if (!valid_type(tp->type))
                return vfail(v, "template part %u: invalid type %u", i, tp->type);
            if (tp->reg >= p->nregs)
                return vfail(v, "template part %u: register %u out of range (%u registers)", i,
                             tp->reg, p->nregs);
            if (tp->lit.off || tp->lit.len)
                return vfail(v, "template part %u: a placeholder with literal text", i);
            if (tp->kind == TP_CMP && tp->ctable != -1)
                return vfail(v, "template part %u: a constraint on a reference", i);
            if (tp->kind == TP_DECL && tp->ctable != -1) {
                if (tp->ctable < 0 || (uint32_t)tp->ctable >= p->nctables)
                    return vfail(v, "template part %u: table %d out of range (%u tables)", i,
                                 tp->ctable, p->nctables);
                if (ct_type[p->ctables[tp->ctable].kind] != tp->type)
                    return vfail(v, "template part %u: a %s table on a %s", i,
                                 tname(ct_type[p->ctables[tp->ctable].kind]), tname(tp->type));
            }
            break;
        default:
            return vfail(v, "template part %u: invalid kind %u", i, tp->kind);
        }
    }
    for (uint32_t i = 0; i < p->ntmpls; i++) {
        const tmpl *t = &p->tmpls[i];
        if (!check_pref(v, t->text, false, "template", i))
            return false;
        if (!within(t->first, t->n, p->ntparts))
            return vfail(v, "template %u: parts %u+%u out of range (%u)", i, t->first, t->n,
                         p->ntparts);
        if (t->n == 0 || t->n > 2 * DC_MAX_PLACEHOLDERS + 1)
            return vfail(v, "template %u: %u parts (1 to %d)", i, t->n,
                         2 * DC_MAX_PLACEHOLDERS + 1);
        const tpart *parts = p->tparts + t->first;
        for (uint32_t k = 0; k < t->n; k++) {
            if (parts[k].kind == TP_LIT)
                continue;
            /* the matcher takes a literal after every placeholder but the last */
            if (k + 1 < t->n && parts[k + 1].kind != TP_LIT)
                return vfail(v, "template %u: placeholders %u and %u are adjacent", i, k, k + 1);
            /* a declaration's register is not read or bound earlier in the
             * template: backtracking re-reads the earlier parts */
            if (parts[k].kind == TP_DECL)
                for (uint32_t j = 0; j < k; j++)
                    if (parts[j].kind != TP_LIT && parts[j].reg == parts[k].reg)
                        return vfail(v, "template %u: part %u binds register %u, which part "
                                     "%u already uses", i, k, parts[k].reg, j);
        }
    }
    return true;
}

static bool check_names(ver *v)
{
    const program *p = v->p;
    for (uint32_t i = 0; i < p->nslots; i++) {
        if (!check_pref(v, p->slots[i].name, true, "slot", i))
            return false;
        if (p->slots[i].name.len == 0)
            return vfail(v, "slot %u: empty name", i);
        if (p->slots[i].types & ~(M_ANY))
            return vfail(v, "slot %u: invalid type bits 0x%02x", i, p->slots[i].types);
    }
    for (uint32_t i = 0; i < p->nvars; i++) {
        const var *x = &p->vars[i];
        if (!check_pref(v, x->name, true, "variable", i))
            return false;
        if (x->name.len == 0)
            return vfail(v, "variable %u: empty name", i);
        if (!valid_type(x->type))
            return vfail(v, "variable %u: invalid type %u", i, x->type);
        if (x->reg >= p->nregs)
            return vfail(v, "variable %u: register %u out of range (%u registers)", i, x->reg,
                         p->nregs);
    }
    for (uint32_t i = 0; i < p->nrules; i++) {
        const prule *r = &p->rules[i];
        if (!check_pref(v, r->expected, false, "rule", i))
            return false;
        if (r->slot < -1 || (r->slot >= 0 && (uint32_t)r->slot >= p->nslots))
            return vfail(v, "rule %u: slot %d out of range (%u slots)", i, r->slot, p->nslots);
        if (r->side != 0 && r->side != SIDE_SOURCE)
            return vfail(v, "rule %u: invalid side %u", i, r->side);
        if (r->op > CMP_GE)
            return vfail(v, "rule %u: invalid operator %u", i, r->op);
        if (r->expect_reg < -1 || (r->expect_reg >= 0 && (uint32_t)r->expect_reg >= p->nregs))
            return vfail(v, "rule %u: register %d out of range (%u registers)", i,
                         r->expect_reg, p->nregs);
    }
    return true;
}

static bool check_blocks(ver *v)
{
    const program *p = v->p;
    uint32_t code = 0, vars = 0, rules = 0;
    for (uint32_t i = 0; i < p->nblocks; i++) {
        const pblock *b = &p->blocks[i];
        if (b->kind != (i == 0 ? PB_SELF : PB_COMPATIBLE))
            return vfail(v, "block %u: kind %u, expected %s", i, b->kind,
                         i == 0 ? "SELF" : "COMPATIBLE");
        if (!check_pref(v, b->name, true, "block", i))
            return false;
        if (i == 0 && b->name.len)
            return vfail(v, "block 0: SELF has a name");
        if (b->entry != code || b->end <= b->entry || b->end > p->ncode)
            return vfail(v, "block %u: code %u..%u does not follow the previous block's (ends "
                         "at %u of %u)", i, b->entry, b->end, code, p->ncode);
        if (b->first_var != vars || !within(b->first_var, b->nvars, p->nvars))
            return vfail(v, "block %u: variables %u+%u do not follow the previous block's (%u "
                         "of %u)", i, b->first_var, b->nvars, vars, p->nvars);
        if (b->first_rule != rules || !within(b->first_rule, b->nrules, p->nrules))
            return vfail(v, "block %u: rules %u+%u do not follow the previous block's (%u of "
                         "%u)", i, b->first_rule, b->nrules, rules, p->nrules);
        if (b->nvars > DC_MAX_VARS)
            return vfail(v, "block %u: %u variables (limit %d)", i, b->nvars, DC_MAX_VARS);
        if (b->nrules > DC_MAX_RULES)
            return vfail(v, "block %u: %u rules (limit %d)", i, b->nrules, DC_MAX_RULES);
        for (uint32_t r = 0; r < b->nrules; r++)
            if (p->rules[b->first_rule + r].side != (i ? SIDE_SOURCE : 0))
                return vfail(v, "rule %u: its side does not match block %u", b->first_rule + r,
                             i);
        /* a block's variables have registers of their own; SELF's are
         * read-only in COMPATIBLE blocks */
        for (uint32_t k = 0; k < b->nvars; k++) {
            const var *x = &p->vars[b->first_var + k];
            if (i > 0 && v->self_reg[x->reg])
                return vfail(v, "variable %u: register %u is a SELF variable's",
                             b->first_var + k, x->reg);
            if (v->stamp[x->reg] == i + 1)
                return vfail(v, "block %u: two variables share register %u", i, x->reg);
            v->stamp[x->reg] = i + 1;
        }
        if (i == 0)
            for (uint32_t k = 0; k < b->nvars; k++)
                v->self_reg[p->vars[k].reg] = 1;
        code = b->end;
        vars += b->nvars;
        rules += b->nrules;
    }
    if (code != p->ncode || vars != p->nvars || rules != p->nrules)
        return vfail(v, "the blocks cover %u of %u instructions, %u of %u variables, %u of %u "
                     "rules", code, p->ncode, vars, p->nvars, rules, p->nrules);
    return true;
}

/* ------------------------------------------------------------ code, static */

static bool check_insn(ver *v, const pblock *b, uint32_t pc)
{
    const program *p = v->p;
    const insn *in = &p->code[pc];
    v->pc = pc;
    if (in->op >= I__COUNT)
        return vfail(v, "instruction %u: invalid opcode %u", pc, in->op);
    const char *ops = op_operands[in->op];
    const uint16_t x[3] = { in->a, in->b, in->c };
    static const char *const which[3] = { "a", "b", "c" };
    for (int k = 0; k < 3; k++) {
        uint16_t o = x[k];
        switch (ops[k]) {
        case 'R':
            if (o >= p->nregs)
                return ifail(v, "register %u out of range (%u registers)", o, p->nregs);
            break;
        case 'S':
            if (o >= p->nslots)
                return ifail(v, "slot %u out of range (%u slots)", o, p->nslots);
            break;
        case 'K':
            if (o >= p->nconsts)
                return ifail(v, "constant %u out of range (%u constants)", o, p->nconsts);
            break;
        case 'T':
            if (o >= p->nctables)
                return ifail(v, "table %u out of range (%u tables)", o, p->nctables);
            break;
        case 'P':
            if (o >= p->ntmpls)
                return ifail(v, "template %u out of range (%u templates)", o, p->ntmpls);
            break;
        case 'J':
            if ((uint64_t)pc + 1 + o >= b->end)
                return ifail(v, "jump to %llu leaves its block (instructions %u..%u)",
                             (unsigned long long)pc + 1 + o, b->entry, b->end - 1);
            break;
        case 'U':
            if (o >= b->nrules)
                return ifail(v, "rule %u out of range (the block has %u)", o, b->nrules);
            break;
        case 'I':
            break;
        default:
            if (o)
                return ifail(v, "unused operand %s is %u, not 0", which[k], o);
            break;
        }
    }
    unsigned tf = cbc_tfields(in->op);
    unsigned allowed = (tf & TF_SIDE ? SIDE_SOURCE : 0) | (tf & TF_TYPE ? TYPE_MASK : 0) |
                       (tf & TF_CMP ? 0x70u : 0);
    if (in->t & ~allowed)
        return ifail(v, "invalid t byte 0x%02x", in->t);
    if ((in->t & SIDE_SOURCE) && b->kind == PB_SELF)
        return ifail(v, "SELF reads the source's facts");
    unsigned type = in->t & TYPE_MASK, cmp = (in->t >> 4) & 7;
    if ((tf & TF_TYPE) && !valid_type(type))
        return ifail(v, "invalid type %u", type);
    if (tf & TF_CMP) {
        if (cmp > CMP_GE)
            return ifail(v, "invalid comparison %u", cmp);
        if (cmp >= CMP_LT && !(M(type) & (M_NUM | M(VT_SEMVER))))
            return ifail(v, "ordering comparison of %s values", tname(type));
    }
    /* the VM takes the parsed value only from the types prepared facts hold */
    if ((in->op == I_LOADF || in->op == I_FIELDT || in->op == I_FCMP)) {
        uint16_t slot = in->op == I_FCMP ? in->a : in->b;
        if (!(p->slots[slot].types & M(type)))
            return ifail(v, "slot %u is read as %s, which its types do not include", slot,
                         tname(type));
    }
    if ((in->op == I_EQSTR || in->op == I_NESTR) && p->kconsts[in->b].type != VT_STRING)
        return ifail(v, "constant %u is a %s, not a string", in->b,
                     tname(p->kconsts[in->b].type));
    if (in->op == I_NMATCH) {
        const tmpl *t = &p->tmpls[in->b];
        for (uint32_t k = 0; k < t->n; k++)
            if (p->tparts[t->first + k].kind == TP_DECL)
                return ifail(v, "template %u declares a variable under '!='", in->b);
    }
    /* the block ends with OK, and only there: no way to run off its end */
    if ((in->op == I_OK) != (pc + 1 == b->end))
        return ifail(v, pc + 1 == b->end ? "block does not end with OK"
                                         : "OK before the end of the block");
    /* a rule is named before anything can fail: reasons name it */
    if (pc == b->entry && in->op != I_RULE && in->op != I_OK)
        return ifail(v, "the block does not start with RULE");
    return true;
}

/* ------------------------------------------------------------ code, types */

static bool log_push(ver *v, uint32_t reg, uint8_t old)
{
    if (v->nlog == v->maxlog)
        return ifail(v, "the program is too complex to verify (more than %u state changes)",
                     v->maxlog);
    if (v->nlog == v->caplog) {
        uint32_t ncap = v->caplog ? v->caplog * 2 : 256;
        logent *n = mem_grow(v->p->alloc, v->log, ncap, sizeof *n);
        if (!n)
            return vfail(v, "out of memory");
        v->log = n;
        v->caplog = ncap;
    }
    v->log[v->nlog++] = reg << 8 | old;
    return true;
}

static bool set_type(ver *v, uint32_t reg, uint8_t t)
{
    if (v->ty[reg] == t)
        return true;
    if (!log_push(v, reg, v->ty[reg]))
        return false;
    v->ty[reg] = t;
    return true;
}

/* Merge the state at jump j into the current one (assign: the current way
 * in is unreachable, so the jump's state is the state). */
static bool merge(ver *v, const jump *j, bool assign)
{
    uint32_t end = v->nlog;
    if (end - j->pos > v->budget)
        return ifail(v, "the program is too complex to verify (more than %llu merge steps)",
                     (unsigned long long)v->budget0);
    v->budget -= end - j->pos;
    v->mstamp++;
    for (uint32_t i = j->pos; i < end; i++) {
        uint32_t r = v->log[i] >> 8;
        if (v->stamp[r] == v->mstamp)
            continue;
        v->stamp[r] = v->mstamp;
        uint8_t then = (uint8_t)v->log[i], now = v->ty[r];
        if (!set_type(v, r, assign || then == now ? then : VT_NONE))
            return false;
    }
    return true;
}

static const char *mask_text(unsigned mask)
{
    switch (mask) {
    case M_NUM: return "int or hex";
    case M_NUM | M(VT_SEMVER): return "int, hex or semver";
    case M(VT_STRING) | M(VT_SET): return "string or set";
    case M_ANY: return "a value";
    default:
        for (unsigned t = VT_INT; t < VT_COUNT; t++)
            if (mask == M(t))
                return tname(t);
        return "?";
    }
}

/* R[reg] is read as one of the types in mask: written on every path. */
static bool need(ver *v, uint32_t reg, unsigned mask)
{
    uint8_t t = v->ty[reg];
    if (t == VT_NONE)
        return ifail(v, "register %u is read but not written (with one type) on every path",
                     reg);
    if (!(M(t) & mask))
        return ifail(v, "register %u holds %s, read as %s", reg, tname(t), mask_text(mask));
    return true;
}

static bool put_reg(ver *v, uint32_t reg, uint8_t t)
{
    if (!v->in_self && v->self_reg[reg])
        return ifail(v, "writes register %u, a SELF variable's", reg);
    return set_type(v, reg, t);
}

static unsigned type_mask(unsigned t)
{
    return t == VT_INT || t == VT_HEX ? M_NUM : M(t);
}

static bool flow_tmpl(ver *v, uint32_t ti)
{
    const program *p = v->p;
    const tmpl *t = &p->tmpls[ti];
    for (uint32_t k = 0; k < t->n; k++) {
        const tpart *tp = &p->tparts[t->first + k];
        if (tp->kind == TP_CMP && !need(v, tp->reg, type_mask(tp->type)))
            return false;
        if (tp->kind == TP_DECL && !put_reg(v, tp->reg, tp->type))
            return false;
    }
    return true;
}

/* The effect of one reachable instruction on the state; *reach is cleared
 * when nothing falls through. */
static bool flow_insn(ver *v, const pblock *b, uint32_t pc, bool *reach)
{
    const program *p = v->p;
    const insn *in = &p->code[pc];
    uint8_t type = in->t & TYPE_MASK;
    v->pc = pc;
    switch ((enum opcode)in->op) {
    case I_RULE:
    case I_EMPTY:
    case I_NONEMPTY:
    case I_EQSTR:
    case I_NESTR:
        return true;
    case I_OK:
        for (uint32_t k = 0; k < b->nvars; k++) {
            const var *x = &p->vars[b->first_var + k];
            if (v->ty[x->reg] != x->type)
                return ifail(v, "variable '%.*s' (register %u, %s) is not bound on every path",
                             (int)(x->name.len > 64 ? 64 : x->name.len), p->pool + x->name.off,
                             x->reg, tname(x->type));
        }
        *reach = false;
        return true;
    case I_FAIL:
        *reach = false;
        return true;
    case I_LOADF:
    case I_FIELDT:
        return put_reg(v, in->a, type);
    case I_CHECKT:
        return need(v, in->a, M(ct_type[p->ctables[in->b].kind]));
    case I_MATCH:
    case I_NMATCH:
        return flow_tmpl(v, in->b);
    case I_FCMP:
        return need(v, in->b, type_mask(type));
    case I_WHERE:
        return need(v, in->a, M(VT_BOOL));
    case I_LOADK:
        return put_reg(v, in->a, p->kconsts[in->b].type);
    case I_MOVE:
        return need(v, in->b, M_ANY) && put_reg(v, in->a, v->ty[in->b]);
    case I_FIELD:
        return put_reg(v, in->a, VT_STRING);
    case I_HAS:
        return put_reg(v, in->a, VT_BOOL);
    case I_CONV:
        return need(v, in->b, M(VT_STRING)) && put_reg(v, in->a, type);
    case I_NEG:
        return need(v, in->b, M_NUM) && put_reg(v, in->a, v->ty[in->b]);
    case I_NOT:
        return need(v, in->b, M(VT_BOOL)) && put_reg(v, in->a, VT_BOOL);
    case I_ADD: case I_SUB: case I_MUL: case I_DIV: case I_MOD: case I_MIN: case I_MAX: {
        if (!need(v, in->b, M_NUM) || !need(v, in->c, M_NUM))
            return false;
        bool hex = v->ty[in->b] == VT_HEX || v->ty[in->c] == VT_HEX;
        return put_reg(v, in->a, hex ? VT_HEX : VT_INT);
    }
    case I_LT: case I_LE: case I_GT: case I_GE:
        if (!need(v, in->b, M_NUM | M(VT_SEMVER)) ||
            !need(v, in->c, type_mask(v->ty[in->b])))
            return false;
        return put_reg(v, in->a, VT_BOOL);
    case I_EQ:
    case I_NE:
        if (!need(v, in->b, M_ANY) || !need(v, in->c, type_mask(v->ty[in->b])))
            return false;
        return put_reg(v, in->a, VT_BOOL);
    case I_JF:
    case I_JT: {
        if (!need(v, in->a, M(VT_BOOL)))
            return false;
        uint32_t k = pc + 1 + in->b - b->entry;
        v->jumps[v->njumps] = (jump){ v->nlog, v->head[k] };
        v->head[k] = (int32_t)v->njumps++;
        return true;
    }
    case I_MAJOR: case I_MINOR: case I_PATCH:
        return need(v, in->b, M(VT_SEMVER)) && put_reg(v, in->a, VT_INT);
    case I_LEN:
        return need(v, in->b, M(VT_STRING) | M(VT_SET)) && put_reg(v, in->a, VT_INT);
    case I_CONTAINS:
        return need(v, in->b, M(VT_SET)) && need(v, in->c, M(VT_STRING)) &&
               put_reg(v, in->a, VT_BOOL);
    case I_SUBSET:
        return need(v, in->b, M(VT_SET)) && need(v, in->c, M(VT_SET)) &&
               put_reg(v, in->a, VT_BOOL);
    default:
        return ifail(v, "unknown instruction");
    }
}

static bool flow_block(ver *v, uint32_t bi)
{
    const program *p = v->p;
    const pblock *b = &p->blocks[bi];
    v->in_self = bi == 0;
    v->nlog = 0;
    v->njumps = 0;
    for (uint32_t k = 0; k < b->end - b->entry; k++)
        v->head[k] = -1;
    bool reach = true;
    for (uint32_t pc = b->entry; pc < b->end; pc++) {
        v->pc = pc;
        for (int32_t j = v->head[pc - b->entry]; j >= 0; j = v->jumps[j].next) {
            if (!merge(v, &v->jumps[j], !reach))
                return false;
            reach = true;
        }
        if (reach && !flow_insn(v, b, pc, &reach))
            return false;
    }
    /* back to the state every block starts from */
    while (v->nlog) {
        v->nlog--;
        v->ty[v->log[v->nlog] >> 8] = (uint8_t)v->log[v->nlog];
    }
    return true;
}

bool cbc_verify(const program *p, char *msg, size_t cap)
{
    ver v;
    memset(&v, 0, sizeof v);
    v.p = p;
    v.msg = msg;
    v.cap = cap;
    if (cap)
        msg[0] = '\0';
    if (!check_header(&v))
        return false;
    uint32_t nregs = p->nregs ? p->nregs : 1, longest = 1;
    for (uint32_t i = 0; i < p->nblocks; i++) {
        const pblock *b = &p->blocks[i];
        if (b->end > b->entry && b->end - b->entry > longest)
            longest = b->end - b->entry;
    }
    const dc_alloc *a = p->alloc;
    v.ty = mem_zalloc(a, nregs);
    v.self_reg = mem_zalloc(a, nregs);
    v.stamp = mem_array(a, nregs, sizeof *v.stamp);
    bool ok = v.ty && v.self_reg && v.stamp;
    if (!ok)
        vfail(&v, "out of memory");
    else
        memset(v.stamp, 0, nregs * sizeof *v.stamp);
    ok = ok && check_consts(&v) && check_ctables(&v) && check_templates(&v) &&
         check_names(&v) && check_blocks(&v);
    for (uint32_t i = 0; ok && i < p->nblocks; i++)
        for (uint32_t pc = p->blocks[i].entry; ok && pc < p->blocks[i].end; pc++)
            ok = check_insn(&v, &p->blocks[i], pc);
    if (ok) {
        memset(v.stamp, 0, nregs * sizeof *v.stamp);
        v.head = mem_array(a, longest, sizeof *v.head);
        v.jumps = mem_array(a, longest, sizeof *v.jumps);
        if (!v.head || !v.jumps)
            ok = vfail(&v, "out of memory");
    }
    uint64_t budget = VERIFY_BUDGET_BASE + (uint64_t)256 * p->ncode;
    v.budget = v.budget0 = budget < VERIFY_BUDGET_MAX ? budget : VERIFY_BUDGET_MAX;
    uint64_t maxlog = VERIFY_LOG_BASE + (uint64_t)8 * p->ncode;
    v.maxlog = (uint32_t)(maxlog < VERIFY_LOG_MAX ? maxlog : VERIFY_LOG_MAX);
    /* SELF starts with nothing written; every COMPATIBLE block starts with
     * SELF's variables, as SELF's OK left them */
    ok = ok && flow_block(&v, 0);
    for (uint32_t k = 0; ok && k < p->blocks[0].nvars; k++)
        v.ty[p->vars[k].reg] = p->vars[k].type;
    for (uint32_t i = 1; ok && i < p->nblocks; i++)
        ok = flow_block(&v, i);
    mem_free(a, v.ty);
    mem_free(a, v.self_reg);
    mem_free(a, v.stamp);
    mem_free(a, v.log);
    mem_free(a, v.head);
    mem_free(a, v.jumps);
    return ok;
}
