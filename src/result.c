/* result.c -- dc_check (docs/language.md, section 9) and what a result tells: verdict, block,
 * bindings and reasons.  Checking fills fixed-size records; text is only
 * rendered when an accessor asks for it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "facts.h"
#include "limits.h"
#include "semver.h"
#include "sink.h"
#include "vm.h"

static dc_result *result_new(const dc_policy *pol)
{
    const program *p = &pol->prog;
    dc_result *r = mem_zalloc(pol->alloc, sizeof *r);
    if (!r)
        return NULL;
    r->policy = pol;
    r->nregs = p->nregs ? p->nregs : 1;
    r->regs = mem_array(pol->alloc, r->nregs, sizeof *r->regs);
    r->fails = mem_array(pol->alloc, p->nblocks ? p->nblocks : 1, sizeof *r->fails);
    r->nscratch = DC_MAX_SET_ITEMS;
    r->scratch = mem_array(pol->alloc, r->nscratch, sizeof *r->scratch);
    arena_init(&r->text, pol->alloc);
    if (!r->regs || !r->fails || !r->scratch) {
        dc_result_free(r);
        return NULL;
    }
    memset(r->regs, 0, r->nregs * sizeof *r->regs);
    r->verdict = DC_INCOMPATIBLE;
    r->block = -1;
    return r;
}

dc_status dc_result_new(const dc_policy *pol, dc_result **out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (!pol || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_result_new: %s is NULL",
                            pol ? "out" : "policy");
    if (!(*out = result_new(pol)))
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory for a result", pol->file);
    return DC_OK;
}

static void drop_owned(dc_result *r)
{
    dc_prepared_free(r->owned_source);
    dc_prepared_free(r->owned_target);
    r->owned_source = r->owned_target = NULL;
}

void dc_result_free(dc_result *r)
{
    if (!r)
        return;
    const dc_alloc *a = r->policy->alloc;
    drop_owned(r);
    arena_release(&r->text);
    mem_free(a, r->regs);
    mem_free(a, r->fails);
    mem_free(a, r->scratch);
    mem_free(a, r);
}

/* (A result's policy is never NULL, so neither is pol when it is r's.) */
static bool usable(const dc_policy *pol, const dc_prepared *s, const dc_prepared *t,
                   const dc_result *r)
{
    return s && t && r && r->policy == pol && s->policy == pol && t->policy == pol;
}

/* The COMPATIBLE blocks, after SELF held: the first that holds is *block.
 * The source is r->source (set once by a batch or fleet for all targets). */
static inline dc_verdict compat(const program *p, const dc_prepared *t, dc_result *r,
                                int32_t *block, const char *self)
{
    if (p->nblocks < 2)
        return DC_INCOMPATIBLE;
    r->target = t;
    vm_run_blocks(p, 1, p->nblocks - 1, r, &r->fails[1], self);
    *block = r->block;
    return r->verdict;
}

/* SELF's values packed at `from` into registers 0, 1, ... */
static inline void self_unpack(const program *p, const char *from, value *to)
{
    for (value *end = to + p->blocks[0].nvars; to < end; to++)
        from = value_unpack(from, to);
}

void result_self_regs(dc_result *r)
{
    if (r->self_lazy) {
        self_unpack(&r->policy->prog, r->self_lazy, r->regs);
        r->self_lazy = NULL;
    }
}

/* The evaluation itself: no allocation, no output.  SELF was run when the
 * target was prepared (when it reads the target alone): its outcome is
 * copied (why it failed only with keep_fail), and its variables, all that
 * the COMPATIBLE blocks may read of it: in place, where it keeps them
 * packed, when the program can (vmlink.c; then only an accessor unpacks
 * them, with keep_fail: r->self_lazy), else into the registers.  Else SELF
 * runs now.  r->source is s already (compat). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline dc_verdict
run(const program *p, const dc_prepared *s, const dc_prepared *t, dc_result *r, int32_t *block,
    bool keep_fail)
{
    *block = -1;
    const char *self = NULL;
    if (t->self_ready) {
        r->match_steps = 0; /* the check's template budget */
        if (!t->self_holds) {
            if (keep_fail)
                r->fails[0] = *prep_cold_c(t)->self_fail;
            return DC_TARGET_MISMATCH;
        }
        if (t->self_vals && p->xinplace) {
            self = t->self_vals;
            if (keep_fail)
                r->self_lazy = self;
        } else if (t->self_vals) {
            /* packed: each value's bytes its type uses, in line */
            self_unpack(p, t->self_vals, r->regs);
        } else {
            for (uint32_t k = 0; k < p->blocks[0].nvars; k++)
                r->regs[prep_cold_c(t)->self_binds[k].reg] = prep_cold_c(t)->self_binds[k].v;
        }
    } else if (!vm_run_block(p, 0, s, t, r, &r->fails[0])) {
        return DC_TARGET_MISMATCH;
    }
    return compat(p, t, r, block, self);
}

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* Ask for the lines a check reads of its two devices at once, so that
 * their misses overlap rather than come one by one as the rules run: the
 * target's SELF values (up to 3 lines) and text, the source's facts that
 * COMPATIBLE blocks read (vmlink.c), its text and its templates' bindings
 * (docs/performance.md, "Round 4").  Inlined before GCC's analysis finds it has no effect (a
 * prefetch has none it counts) and drops the call.  The source's: */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
fetch_source(const program *p, const dc_prepared *s)
{
    PREFETCH(s->text);
    const char *f = (const char *)s->slots;
    const uint32_t *at = p->xsrc;
    PREFETCH(f + at[0]);
    PREFETCH(f + at[1]);
    PREFETCH(f + at[2]);
    PREFETCH(f + at[3]);
    PREFETCH(f + at[4]);
    PREFETCH(f + at[5]);
    if (s->pm) /* templates matched when prepared: outcomes, then bindings */
        PREFETCH(s->pm + s->npm);
}

/* The target's, after its SELF values' first line, which is the line of
 * the header that points to them (prepared.h), then the source's. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
fetch_lines(const program *p, const dc_prepared *s, const dc_prepared *t)
{
    if (t->self_vals) {
        PREFETCH(t->self_vals + 64);
        PREFETCH(t->self_vals + 127);
    }
    PREFETCH(t->text);
    fetch_source(p, s);
}

/* dc_check's way for all but its common case: a result that owns
 * devices (dc_check_facts) to drop, a target whose SELF failed or ran in
 * the check, SELF's values to unpack, a policy of SELF alone. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static dc_status
check_slow(const program *p, const dc_prepared *s, const dc_prepared *t, dc_result *r)
{
    fetch_lines(p, s, t);
    if (r->owned_source && r->owned_source != s)
        drop_owned(r);
    r->source = s;
    r->target = t;
    r->text_stale = true;
    r->self_lazy = NULL;
    r->verdict = run(p, s, t, r, &r->block, true);
    return DC_OK;
}

dc_status dc_check(const dc_policy *pol, const dc_prepared *s, const dc_prepared *t,
                   dc_result *r)
{
    if (!usable(pol, s, t, r))
        return DC_ERR_INVALID;
    const program *p = &pol->prog;
    /* the common case, as run() takes it, with nothing live across the
     * VM's call but the result (a program reads SELF's values in place
     * only when it has COMPATIBLE blocks: vmlink.c) */
    if (r->owned_source || !t->self_ready || !t->self_holds || !t->self_vals || !p->xinplace)
        return check_slow(p, s, t, r);
    PREFETCH(t->self_vals + 64);
    PREFETCH(t->self_vals + 127);
    PREFETCH(t->text);
    fetch_source(p, s);
    r->source = s;
    r->target = t;
    r->text_stale = true;
    r->match_steps = 0; /* the check's template budget */
    r->self_lazy = t->self_vals;
    /* last: the VM writes the block and the verdict */
    return vm_run_blocks(p, 1, p->nblocks - 1, r, &r->fails[1], t->self_vals);
}

/* A result for a batch: on the stack when the policy is small (every shipped
 * one), else one from the heap. */
typedef struct batch_result {
    dc_result r, *heap;
    value regs[64];
    vm_fail fails[8];
    dstr scratch[DC_MAX_SET_ITEMS];
} batch_result;

static dc_result *batch_result_get(const dc_policy *pol, batch_result *br)
{
    const program *p = &pol->prog;
    memset(&br->r, 0, sizeof br->r);
    br->heap = NULL;
    if (p->nregs <= 64 && p->nblocks <= 8) {
        br->r.policy = pol;
        br->r.regs = br->regs;
        br->r.nregs = 64;
        br->r.fails = br->fails;
        br->r.scratch = br->scratch;
        br->r.nscratch = DC_MAX_SET_ITEMS;
        return &br->r;
    }
    return br->heap = result_new(pol);
}

static void batch_result_put(batch_result *br)
{
    dc_result_free(br->heap);
}

/* How many targets ahead dc_check_batch fetches (measured: 4 to 16 do the
 * same on the bench machine; docs/performance.md). */
#define BATCH_AHEAD 8

dc_status dc_check_batch(const dc_policy *pol, const dc_prepared *s,
                         const dc_prepared *const *targets, size_t n, dc_verdict *verdicts,
                         int32_t *blocks)
{
    if (!pol || !s || (n && (!targets || !verdicts)) || s->policy != pol)
        return DC_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (i + 2 * BATCH_AHEAD < n)
            PREFETCH(targets[i + 2 * BATCH_AHEAD]);
        if (!targets[i] || targets[i]->policy != pol)
            return DC_ERR_INVALID;
    }
    batch_result br;
    dc_result *use = batch_result_get(pol, &br);
    if (!use)
        return DC_ERR_NOMEM;
    use->source = s;
    const program *p = &pol->prog;
    /* A batch over many targets is bound by the memory it reads of each:
     * the header, SELF's values and the text they point into, at the start
     * of each target's block (prepare.c).  Fetch them a few targets ahead. */
    uint32_t nself = p->nblocks ? p->blocks[0].nvars : 0;
    size_t lines = (sizeof(dc_prepared) + nself * sizeof(value) + 64 + 63) / 64;
    if (lines > 8)
        lines = 8;
    for (size_t i = 0; i < n; i++) {
        if (i + BATCH_AHEAD < n) {
            const char *ahead = (const char *)targets[i + BATCH_AHEAD];
            for (size_t k = 0; k < lines; k++)
                PREFETCH(ahead + 64 * k);
        }
        int32_t b;
        verdicts[i] = run(p, s, targets[i], use, &b, false);
        if (blocks)
            blocks[i] = b;
    }
    batch_result_put(&br);
    return DC_OK;
}

dc_status dc_check_fleet(const dc_policy *pol, const dc_prepared *s, const dc_fleet *fleet,
                         dc_verdict *verdicts, int32_t *blocks)
{
    if (!pol || !s || !fleet || s->policy != pol || fleet->policy != pol ||
        (fleet->n && !verdicts))
        return DC_ERR_INVALID;
    batch_result br;
    dc_result *use = batch_result_get(pol, &br);
    if (!use)
        return DC_ERR_NOMEM;
    use->source = s;
    const program *p = &pol->prog;
    uint32_t nself = p->nblocks ? p->blocks[0].nvars : 0;
    /* COMPATIBLE blocks that read no fact of the target need nothing of it
     * but the record: not even its header, which would cost a visit to its
     * block per target */
    dc_prepared none;
    memset(&none, 0, sizeof none);
    none.policy = pol;
    const char *q = fleet->recs;
    for (size_t i = 0; i < fleet->n; i++) {
        const frec *rc = (const frec *)q;
        q += rc->size;
        PREFETCH(q + 512); /* the hardware streams too; this starts it early */
        int32_t b = -1;
        dc_verdict v;
        if (!rc->packed) {
            v = run(p, s, rc->t, use, &b, false);
        } else if (!rc->holds) {
            v = DC_TARGET_MISMATCH;
        } else {
            /* SELF's values: each value's bytes its type uses, read
             * there when the program can */
            const char *x = (const char *)(rc + 1);
            if (!p->xinplace)
                for (uint32_t k = 0; k < nself; k++)
                    x = value_unpack(x, &use->regs[k]);
            v = compat(p, p->xreads_target ? rc->t : &none, use, &b, (const char *)(rc + 1));
        }
        verdicts[i] = v;
        if (blocks)
            blocks[i] = b;
    }
    batch_result_put(&br);
    return DC_OK;
}

dc_status dc_check_facts(const dc_policy *pol, const dc_facts *source, const dc_facts *target,
                         dc_result *r, dc_error *err)
{
    dc_prepared *s = NULL, *t = NULL;
    dc_status st;
    if (!pol || !r || r->policy != pol)
        return dc_error_set(err, DC_ERR_INVALID, "dc_check_facts: invalid argument");
    if ((st = dc_prepare(pol, source, &s, err)) != DC_OK)
        return st;
    if ((st = dc_prepare(pol, target, &t, err)) != DC_OK) {
        dc_prepared_free(s);
        return st;
    }
    drop_owned(r);
    st = dc_check(pol, s, t, r);
    r->owned_source = s;
    r->owned_target = t;
    return st;
}

/* ------------------------------------------------------------ accessors */

dc_verdict dc_result_verdict(const dc_result *r)
{
    return r ? r->verdict : DC_INCOMPATIBLE;
}
int32_t dc_result_block(const dc_result *r)
{
    return r ? r->block : -1;
}

const char *dc_result_block_name(const dc_result *r)
{
    if (!r || r->block < 0)
        return NULL;
    return dc_policy_block_name(r->policy, (size_t)r->block);
}

/* Rendered text lives in r->text until the next check into r. */
void result_text_fresh(dc_result *r)
{
    if (r->text_stale) {
        arena_release(&r->text);
        r->text_stale = false;
    }
}

static const char *keep(dc_result *r, const char *s, size_t n)
{
    return arena_strndup(&r->text, s, n);
}

static const char *keepf(dc_result *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static const char *keepf(dc_result *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof buf)
        return keep(r, buf, (size_t)n);
    char *big = arena_alloc(&r->text, (size_t)n + 1);
    if (big) {
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return big;
}

/* A hex value arithmetic cannot take: above the signed 64-bit range. */
static bool big_hex(const value *v)
{
    return v->type == VT_HEX && v->as.u > INT64_MAX;
}

static const char *render(dc_result *r, const value *v)
{
    char small[128];
    size_t n = value_render(v, small, sizeof small);
    if (n < sizeof small)
        return keep(r, small, n);
    char *big = arena_alloc(&r->text, n + 1);
    if (big)
        value_render(v, big, n + 1);
    return big;
}

/* The variables a result binds: SELF's, then the matching block's. */
static uint32_t nbindings(const dc_result *r)
{
    if (!r || r->verdict != DC_COMPATIBLE)
        return 0;
    const program *p = &r->policy->prog;
    return p->blocks[0].nvars + p->blocks[r->block + 1].nvars;
}

size_t dc_result_binding_count(const dc_result *r)
{
    return nbindings(r);
}

dc_status dc_result_binding_get(dc_result *r, size_t i, dc_binding *out)
{
    if (!r || !DC_SIZED(out) || i >= nbindings(r))
        return DC_ERR_INVALID;
    result_text_fresh(r);
    result_self_regs(r);
    const program *p = &r->policy->prog;
    const pblock *self = &p->blocks[0], *b = &p->blocks[r->block + 1];
    const var *v = i < self->nvars ? &p->vars[self->first_var + i]
                                   : &p->vars[b->first_var + (i - self->nvars)];
    const value *val = &r->regs[v->reg];
    out->name = p->pool + v->name.off;
    /* the internal types and dc_type share their numbers */
    _Static_assert((int)DC_TYPE_INT == VT_INT && (int)DC_TYPE_HEX == VT_HEX &&
                       (int)DC_TYPE_STRING == VT_STRING && (int)DC_TYPE_SEMVER == VT_SEMVER &&
                       (int)DC_TYPE_BOOL == VT_BOOL && (int)DC_TYPE_SET == VT_SET &&
                       VT_COUNT == VT_SET + 1,
                   "vtype and dc_type agree");
    out->type = (dc_type)v->type;
    out->int_value = v->type == VT_HEX ? (int64_t)val->as.u : v->type == VT_INT ? val->as.i : 0;
    out->text = render(r, val);
    return out->text ? DC_OK : DC_ERR_NOMEM;
}

/* ------------------------------------------------------------ reasons */

size_t dc_result_reason_count(const dc_result *r)
{
    if (!r)
        return 0;
    if (r->verdict == DC_TARGET_MISMATCH)
        return 1;
    if (r->verdict == DC_INCOMPATIBLE)
        return r->policy->prog.nblocks - 1;
    return 0;
}

static const char *cmp_text(uint8_t cmp)
{
    static const char *const t[] = { "=", "!=", "<", "<=", ">", ">=" };
    return cmp < 6 ? t[cmp] : "?";
}

/* The code of rule ri in block b: [*start, *end), its RULE first. */
static bool rule_code(const program *p, uint32_t b, uint32_t ri, uint32_t *start, uint32_t *end)
{
    const pblock *pb = &p->blocks[b];
    for (uint32_t pc = pb->entry; pc < pb->end && pc < p->ncode; pc++) {
        if (p->code[pc].op != I_RULE || p->code[pc].a + pb->first_rule != ri)
            continue; /* RULE names the rule within its block */
        uint32_t e = pc + 1;
        while (e < pb->end && e < p->ncode && p->code[e].op != I_RULE && p->code[e].op != I_OK)
            e++;
        *start = pc;
        *end = e;
        return true;
    }
    return false;
}

/* The variable (of SELF or block b) held in register reg, or -1. */
static int32_t var_in(const program *p, uint32_t b, uint32_t reg)
{
    const pblock *blocks[2] = { &p->blocks[b], &p->blocks[0] };
    for (int k = 0; k < (b ? 2 : 1); k++)
        for (uint32_t v = blocks[k]->first_var; v < blocks[k]->first_var + blocks[k]->nvars;
             v++)
            if (p->vars[v].reg == reg)
                return (int32_t)v;
    return -1;
}

/* Run block b again, so that the registers hold what they held when its
 * rule failed (later blocks reuse them): true when it fails the same way. */
static bool rerun(dc_result *r, uint32_t b, const vm_fail *f)
{
    const program *p = &r->policy->prog;
    vm_fail again;
    memset(&again, 0, sizeof again);
    if (!r->source || !r->target || f->code == F_NONE)
        return false;
    /* on a budget of its own: the rule failed within what was left of the
     * check's, so a whole one fails it the same way, and every reason of
     * a result reads the same whatever was read before */
    uint32_t steps = r->match_steps, used = r->scratch_used, self = r->scratch_self;
    dc_verdict verdict = r->verdict; /* the VM writes them */
    int32_t block = r->block;
    r->match_steps = 0;
    bool holds = vm_run_block(p, b, r->source, r->target, r, &again);
    r->match_steps = steps;
    r->scratch_used = used;
    r->scratch_self = self;
    r->verdict = verdict;
    r->block = block;
    return !holds && again.rule == f->rule && again.code == f->code;
}

/* The values a failed rule read (docs/language.md, section 9): the
 * variables it reads and does not bind itself, in the order it reads them.
 * SELF's are kept while COMPATIBLE blocks run; a block's own are shown only
 * when running the block again fails the same way. */
static dc_status reason_values(dc_result *r, uint32_t b, uint32_t ri, dc_reason *out,
                               bool block_regs)
{
    const program *p = &r->policy->prog;
    uint32_t start, end, regs[64], n = 0;
    if (!rule_code(p, b, ri, &start, &end))
        return DC_OK;
    bool bound[64] = { false };
    for (uint32_t pc = start + 1; pc < end; pc++) {
        const insn *i = &p->code[pc];
        const char *roles = i->op < I__COUNT ? op_operands[i->op] : "---";
        const uint16_t ops[3] = { i->a, i->b, i->c };
        uint32_t read[3 + 2 * DC_MAX_PLACEHOLDERS + 1], nread = 0;
        for (int k = 0; k < 3; k++) {
            if (roles[k] == 'R')
                read[nread++] = ops[k];
            if (roles[k] == 'P' && ops[k] < p->ntmpls) {
                const tmpl *t = &p->tmpls[ops[k]];
                for (uint32_t j = 0; j < t->n && nread < sizeof read / sizeof read[0]; j++) {
                    const tpart *tp = &p->tparts[t->first + j];
                    if (tp->kind == TP_CMP)
                        read[nread++] = tp->reg;
                }
            }
        }
        for (uint32_t k = 0; k < nread; k++) {
            int32_t v = var_in(p, b, read[k]);
            const pblock *self = &p->blocks[0];
            bool of_self =
                v >= (int32_t)self->first_var && v < (int32_t)(self->first_var + self->nvars);
            bool seen = v < 0 || (!block_regs && !(of_self && b > 0));
            for (uint32_t j = 0; j < n && !seen; j++)
                seen = regs[j] == (uint32_t)v;
            if (!seen && n < 64)
                regs[n++] = (uint32_t)v;
        }
    }
    /* what the rule binds itself (before or after reading it) is not a
     * value it was given */
    for (uint32_t pc = start + 1; pc < end; pc++) {
        const insn *i = &p->code[pc];
        const char *roles = i->op < I__COUNT ? op_operands[i->op] : "---";
        const uint16_t ops[3] = { i->a, i->b, i->c };
        for (int k = 0; k < 3; k++)
            if (roles[k] == 'V')
                for (uint32_t j = 0; j < n; j++)
                    if (p->vars[regs[j]].reg == ops[k])
                        bound[j] = true;
        if ((i->op == I_MATCH || i->op == I_NMATCH) && i->b < p->ntmpls) {
            const tmpl *t = &p->tmpls[i->b];
            for (uint32_t j = 0; j < t->n; j++)
                for (uint32_t q = 0; q < n; q++)
                    if (p->tparts[t->first + j].kind == TP_DECL &&
                        p->vars[regs[q]].reg == p->tparts[t->first + j].reg)
                        bound[q] = true;
        }
    }
    uint32_t keep_n = 0;
    for (uint32_t j = 0; j < n; j++)
        keep_n += !bound[j];
    if (!keep_n)
        return DC_OK;
    dc_binding *vals = arena_alloc(&r->text, keep_n * sizeof *vals);
    if (!vals)
        return DC_ERR_NOMEM;
    for (uint32_t j = 0, k = 0; j < n; j++) {
        if (bound[j])
            continue;
        const var *v = &p->vars[regs[j]];
        const value *val = &r->regs[v->reg];
        dc_binding *d = &vals[k++];
        memset(d, 0, sizeof *d);
        d->size = sizeof *d;
        d->name = p->pool + v->name.off;
        d->type = (dc_type)v->type;
        d->int_value = v->type == VT_HEX   ? (int64_t)val->as.u
                       : v->type == VT_INT ? val->as.i
                                           : 0;
        d->text = render(r, val);
        if (!d->text)
            return DC_ERR_NOMEM;
    }
    out->values = vals;
    out->nvalues = keep_n;
    return DC_OK;
}

/* A false `where subset(a, b)`: the items of a not in b, when the SUBSET is
 * what the where tests and certainly ran (no jump of the rule skips to the
 * test). */
static const char *subset_missing(dc_result *r, uint32_t b, uint32_t ri)
{
    const program *p = &r->policy->prog;
    uint32_t start, end;
    if (!rule_code(p, b, ri, &start, &end) || end < start + 3)
        return NULL;
    const insn *w = &p->code[end - 1], *s = &p->code[end - 2];
    if (w->op != I_WHERE || s->op != I_SUBSET || s->a != w->a)
        return NULL;
    for (uint32_t pc = start + 1; pc < end; pc++) {
        int j = op_find(p->code[pc].op, 'J');
        const uint16_t ops[3] = { p->code[pc].a, p->code[pc].b, p->code[pc].c };
        if (j >= 0 && pc + 1 + ops[j] >= end - 1)
            return NULL;
    }
    const value *a = &r->regs[s->b], *c = &r->regs[s->c];
    if (a->type != VT_SET || c->type != VT_SET)
        return NULL;
    size_t len = 0;
    for (uint32_t k = 0; k < a->as.set.n; k++)
        if (!set_contains(&c->as.set, a->as.set.items[k].p, a->as.set.items[k].len))
            len += a->as.set.items[k].len + 1;
    if (!len)
        return NULL;
    char *m = arena_alloc(&r->text, len);
    if (!m)
        return NULL;
    size_t o = 0;
    for (uint32_t k = 0; k < a->as.set.n; k++) {
        const dstr *it = &a->as.set.items[k];
        if (set_contains(&c->as.set, it->p, it->len))
            continue;
        if (o)
            m[o++] = ',';
        memcpy(m + o, it->p, it->len);
        o += it->len;
    }
    m[o] = '\0';
    return m;
}

/* The message with the values involved (docs/language.md, section 9):
 * "MESSAGE: missing a,b (x = 1; y = 2)", one line as the message is. */
static const char *with_values(dc_result *r, const char *m, const dc_reason *out)
{
    if (!m || (!out->nvalues && !out->missing))
        return m;
    sink k = sink_bounded(NULL, 0);
    char *text = NULL;
    for (int pass = 0; pass < 2; pass++) {
        sink_puts(&k, m);
        if (out->missing) {
            sink_puts(&k, ": missing ");
            sink_puts(&k, out->missing);
        }
        for (size_t j = 0; j < out->nvalues; j++) {
            sink_puts(&k, j ? "; " : " (");
            sink_printf(&k, "%s = ", out->values[j].name);
            sink_puts(&k, out->values[j].text);
        }
        if (out->nvalues)
            sink_put(&k, ")", 1);
        if (pass)
            break;
        if (!(text = arena_alloc(&r->text, k.len + 1)))
            return NULL;
        k = sink_bounded(text, k.len + 1);
    }
    sink_finish(&k);
    return text;
}

dc_status dc_result_reason_get(dc_result *r, size_t i, dc_reason *out)
{
    if (!r || !DC_SIZED(out) || i >= dc_result_reason_count(r))
        return DC_ERR_INVALID;
    result_text_fresh(r);
    result_self_regs(r);
    const program *p = &r->policy->prog;
    uint32_t b = r->verdict == DC_TARGET_MISMATCH ? 0 : (uint32_t)i + 1;
    const vm_fail *f = &r->fails[b];
    const prule *pr = &p->rules[f->rule];
    const dc_prepared *dev = pr->side ? r->source : r->target;
    size_t size = out->size;
    memset(out, 0, sizeof *out);
    out->size = size;
    out->block = (int32_t)b - 1;
    out->block_name = b ? dc_policy_block_name(r->policy, b - 1) : NULL;
    out->file = r->policy->file;
    out->line = pr->line;
    out->field = pr->slot >= 0 ? p->pool + p->slots[pr->slot].name.off : NULL;
    const pfact *x = pr->slot >= 0 ? &dev->slots[pr->slot] : NULL;
    out->actual = x && x->present ? x->raw.p : NULL;
    dstr written = prog_str(p, pr->expected);
    out->expected =
        f->has_x && (pr->slot >= 0) ? render(r, &f->x) : keep(r, written.p, written.len);
    bool again = rerun(r, b, f);
    if (reason_values(r, b, f->rule, out, again) != DC_OK)
        return DC_ERR_NOMEM;
    if (f->code == F_FALSE && again)
        out->missing = subset_missing(r, b, f->rule);
    const char *field = out->field ? out->field : "";
    const char *actual = out->actual ? out->actual : "";
    const char *tn = vtype_name((vtype)f->type) ? vtype_name((vtype)f->type) : "value";
    const char *m = NULL;
    switch ((fail_code)f->code) {
    case F_MISSING:
        m = keepf(r, "%s is absent; the rule wants %s %s", field, cmp_text(pr->op),
                  out->expected);
        break;
    case F_NOT_EMPTY:
        m = keepf(r, "%s must be absent or empty, but is '%s'", field, actual);
        break;
    case F_EMPTY: m = keepf(r, "%s must be present and non-empty", field); break;
    case F_NOT_EQUAL:
        m = keepf(r, "%s is '%s', expected '%s'", field, actual, out->expected);
        break;
    case F_EQUAL: m = keepf(r, "%s is '%s', which the rule excludes", field, actual); break;
    case F_PARSE:
        if (f->type == VT_SET && out->actual) {
            m = keepf(r, "%s has %zu items, more than %d (the limit for a set)", field,
                      set_count(actual, strlen(actual)), DC_MAX_SET_ITEMS);
        } else if (f->type == VT_SEMVER && out->actual) {
            char why[128];
            semver_why(actual, strlen(actual), why, sizeof why);
            m = keepf(r, "%s '%s' is not a valid semver: %s", field, actual, why);
        } else {
            m = keepf(r, "%s '%s' is not a valid %s", field, actual, tn);
        }
        break;
    case F_CONSTRAINT: {
        dstr ct = prog_str(p, p->ctables[f->aux].text);
        m = keepf(r, "%s '%s' is outside the allowed values %.*s", field, actual, (int)ct.len,
                  ct.p);
        out->expected = keep(r, written.p, written.len);
        break;
    }
    case F_NOMATCH:
        m = keepf(r, "%s '%s' does not match %s", field, actual, out->expected);
        break;
    case F_MATCH:
        m = keepf(r, "%s '%s' matches %s, which the rule excludes", field, actual,
                  out->expected);
        break;
    case F_COMPARE:
        m = keepf(r, "%s %s is not %s %s", field, actual, cmp_text(pr->op), out->expected);
        break;
    case F_FALSE: m = keepf(r, "condition is false: %s", out->expected); break;
    case F_OVERFLOW:
        if (f->has_y && (big_hex(&f->x) || big_hex(&f->y)))
            m = keepf(r,
                      "%s%shex value %s outside the signed 64-bit range of arithmetic "
                      "in %.*s",
                      field, *field ? ": " : "", render(r, big_hex(&f->x) ? &f->x : &f->y),
                      (int)written.len, written.p);
        else
            m = keepf(r, "%s%sinteger overflow while computing %.*s", field, *field ? ": " : "",
                      (int)written.len, written.p);
        out->expected = keep(r, written.p, written.len);
        break;
    case F_DIVZERO:
        m = keepf(r, "%s%sdivision by zero in %.*s", field, *field ? ": " : "",
                  (int)written.len, written.p);
        out->expected = keep(r, written.p, written.len);
        break;
    case F_INEXACT: {
        const char *a = render(r, &f->x), *d = render(r, &f->y);
        m = keepf(r, "%s%sinexact division %s/%s in %.*s", field, *field ? ": " : "",
                  a ? a : "?", d ? d : "?", (int)written.len, written.p);
        out->expected = keep(r, written.p, written.len);
        break;
    }
    case F_OPERAND_ABSENT:
        m = keepf(r, "%s.%s is absent", f->side ? "source" : "self",
                  p->pool + p->slots[f->slot].name.off);
        out->expected = keep(r, written.p, written.len);
        break;
    case F_RECORD_ABSENT: {
        const recfield *rf = &p->recfields[f->aux];
        dstr set = prog_str(p, p->recsets[rf->set].name), fld = prog_str(p, rf->name);
        m = keepf(r, "%s.%.*s.%lld.%.*s is absent", f->side ? "source" : "self", (int)set.len,
                  set.p, (long long)f->x.as.i, (int)fld.len, fld.p);
        out->expected = keep(r, written.p, written.len);
        break;
    }
    case F_CONVERT:
        if (f->type == VT_SET) /* any text is a set: it was over the limit */
            m = keepf(r, "a set of more than %d items (the limit for a set) in %.*s",
                      DC_MAX_SET_ITEMS, (int)written.len, written.p);
        else
            m = keepf(r, "a value does not parse as %s in %.*s", tn, (int)written.len,
                      written.p);
        out->expected = keep(r, written.p, written.len);
        break;
    case F_BUDGET:
        m = keepf(r,
                  "%s: matching '%s' against %s exhausted the check's template budget "
                  "(%d steps, the limit)",
                  field, actual, out->expected, DC_MAX_MATCH_STEPS);
        break;
    case F_SCRATCH:
        m = keepf(r,
                  "%s%sa set of more than %d items (the limit for the sets a block "
                  "builds) in %.*s",
                  field, *field ? ": " : "", DC_MAX_SET_ITEMS, (int)written.len, written.p);
        break;
    case F_NEGATIVE: {
        const char *a = render(r, &f->x);
        m = keepf(r, "bits() of a negative number (%s) in %.*s", a ? a : "?", (int)written.len,
                  written.p);
        out->expected = keep(r, written.p, written.len);
        break;
    }
    case F_NONE: m = keep(r, "no reason", 9); break;
    }
    out->message = m = with_values(r, m, out);
    return m != NULL && out->expected != NULL ? DC_OK : DC_ERR_NOMEM;
}
