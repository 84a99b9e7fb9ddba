/* fleet.c -- prepared targets packed for one source against all of them.
 *
 * dc_check_batch visits each target's own block (prepare.c): a header,
 * SELF's values, the text, every slot parsed to every type, template
 * outcomes.  Over a million targets that is a gigabyte the hardware streams
 * through for the few hundred bytes a check reads.  A fleet copies just
 * those, in order, into one allocation: SELF's outcome, the values of its
 * variables (each cut to the bytes its type uses) and their text.  Anything
 * else a COMPATIBLE block reads of a target (its own facts, rare) is read
 * from the target itself, which the record points to.  Checking a fleet is
 * in result.c, next to dc_check_batch: they must agree on every verdict. */
#include <string.h>

#include "facts.h"
#include "vm.h"

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Can target t be packed?  SELF ran when it was prepared, its variables are
 * registers 0.. in order, and none of them is a set (whose items would need
 * copying too).  *text gets the bytes of text its values point into. */
static bool packable(const program *p, const dc_prepared *t, size_t *text)
{
    *text = 0;
    if (!p->nblocks || !t->self_ready || !t->self_vals)
        return false;
    if (!t->self_holds)
        return true;
    const char *in = t->self_vals;
    for (uint32_t k = 0; k < p->blocks[0].nvars; k++) {
        value v;
        in = value_unpack(in, &v);
        switch (v.type) {
        case VT_NONE:
        case VT_INT:
        case VT_HEX:
        case VT_BOOL: break;
        case VT_STRING: *text += v.as.s.len; break;
        case VT_SEMVER: *text += v.as.v.pre.len; break;
        default: return false;
        }
    }
    return true;
}

/* Copy n bytes of text to *dst and return where they now are. */
static const char *put_text(char **dst, const char *src, size_t n)
{
    char *at = *dst;
    if (n)
        memcpy(at, src, n);
    *dst += n;
    return at;
}

/* Target t's record, written at q unless q is NULL: its size (0: too big
 * for a record). */
static size_t pack(const program *p, const dc_prepared *t, char *q)
{
    size_t text, size = sizeof(frec);
    bool packed = packable(p, t, &text);
    uint32_t nself = packed && t->self_holds ? p->blocks[0].nvars : 0;
    const char *in = t->self_vals;
    for (uint32_t k = 0; k < nself; k++) {
        value v;
        in = value_unpack(in, &v);
        size += packed_bytes(v.type);
    }
    size_t values = size - sizeof(frec);
    size = align8(size + text);
    if (size > UINT32_MAX)
        return 0;
    if (!q)
        return size;
    frec *rc = (frec *)(void *)q;
    memset(q, 0, size);
    *rc = (frec){
        .t = t, .size = (uint32_t)size, .packed = packed, .holds = packed && t->self_holds
    };
    /* the values packed as the target keeps them, their text after them */
    char *v = q + sizeof(frec), *tx = v + values;
    in = t->self_vals;
    for (uint32_t k = 0; k < nself; k++) {
        value x;
        in = value_unpack(in, &x);
        if (x.type == VT_STRING)
            x.as.s.p = put_text(&tx, x.as.s.p, x.as.s.len);
        else if (x.type == VT_SEMVER)
            x.as.v.pre.p = put_text(&tx, x.as.v.pre.p, x.as.v.pre.len);
        v = value_pack(&x, v);
    }
    return size;
}

dc_status dc_fleet_new(const dc_policy *pol, const dc_prepared *const *targets, size_t n,
                       dc_fleet **out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (!pol || !out || (n && !targets))
        return dc_error_set(err, DC_ERR_INVALID, "dc_fleet_new: invalid argument");
    const program *p = &pol->prog;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!targets[i] || targets[i]->policy != pol)
            return dc_error_set(err, DC_ERR_INVALID,
                                "dc_fleet_new: target %zu is not prepared for policy '%s'", i,
                                pol->name ? pol->name : "");
        size_t size = pack(p, targets[i], NULL);
        if (size == 0 || size > SIZE_MAX - total)
            return dc_error_set(err, DC_ERR_LIMIT, "dc_fleet_new: %zu targets are too many", n);
        total += size;
    }
    dc_fleet *f = mem_zalloc(pol->alloc, sizeof *f);
    char *recs = mem_alloc(pol->alloc, total ? total : 1);
    if (!f || !recs) {
        mem_free(pol->alloc, f);
        mem_free(pol->alloc, recs);
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    char *q = recs;
    for (size_t i = 0; i < n; i++) {
        q += pack(p, targets[i], q);
    }
    f->policy = pol;
    f->n = n;
    f->recs = recs;
    *out = f;
    return DC_OK;
}

size_t dc_fleet_count(const dc_fleet *f)
{
    return f ? f->n : 0;
}

void dc_fleet_free(dc_fleet *f)
{
    if (!f)
        return;
    mem_free(f->policy->alloc, f->recs);
    mem_free(f->policy->alloc, f);
}
