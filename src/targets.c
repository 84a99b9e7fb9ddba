/* targets.c -- "which target would accept this source?" (docs/targets.md).
 *
 * Everything here reads the program, never the syntax tree, so a .cbc policy
 * gets the same answer as its source.  Once per call:
 *
 *   1. Classify SELF's rules.  A target slot is *rendered* by its first SELF
 *      rule that can produce it: EQSTR (the constant), LOADF (a variable's
 *      canonical text), MATCH (a template, variables substituted), FCMP =
 *      (a derived value, computed by the VM) or EMPTY (absent).  A variable
 *      whose domain is small enough to enumerate is; a slot whose renderer
 *      needs any other variable is *open*, and so is a slot SELF only
 *      constrains (!=, <, where...).  Taint flows from open slots and open
 *      variables through registers to every rule that reads them (to a
 *      fixpoint: a derived slot reading an open one is open too).
 *   2. Copy the code with the tainted rules made no-ops (RULE), so the VM
 *      still checks everything that does not depend on open facts.
 *
 * Each variable's values are first tried alone (prune: the other variables
 * forced open), and those no block can accept are not combined.  Then, per
 * combination of the enumerated variables: render the facts, run
 * SELF (a derived rule fails as "missing" with its registers computed:
 * render it, add it, run again), then the real check (dc_check), or, when
 * anything is open, the COMPATIBLE blocks of the copy.  The tainted rules of
 * the block that held are the *residue*: decompiled, with every part that
 * does not depend on open facts computed by the VM and folded to its value.
 *
 * The files, by concern (their shared context, tctx, in targets_int.h):
 *   targets.c           the candidates (enumeration, rendering, judging) and
 *                       the public entry points and accessors
 *   targets_analysis.c  step 1 and 2: SELF's rules classified, taint, the copy
 *   targets_residue.c   the residue decompiler: residual conditions as text
 *   targets_sat.c       whether a block's residues can hold (a witness)
 */
#include "targets_int.h"

#define DEFAULT_LIMIT 1024

/* ------------------------------------------------------------ results */

typedef struct topen {
    const char *fact, *constraint, *residue;
} topen;

typedef struct tentry {
    int32_t block;
    bool undecided; /* satisfiability of its open facts not decided */
    dc_facts *facts;
    topen *open;
    uint32_t nopen;
} tentry;

struct dc_targets {
    const dc_alloc *alloc;
    const dc_policy *policy;
    tentry *items;
    size_t n, cap;
    arena text;
    bool limited;
    size_t tried;
};

/* ------------------------------------------------------------ candidates */

static dc_status add_fact(tctx *c, dc_facts *f, uint32_t slot, const char *v, size_t n,
                          bool *bad)
{
    dstr name = prog_str(c->p, c->p->slots[slot].name);
    dc_error e;
    dc_status st = facts_add_n(f, NULL, name.p, name.len, v, n, &e);
    if (st == DC_ERR_NOMEM)
        return tg_nomem(c);
    if (st != DC_OK)
        *bad = true; /* not a valid fact (too long...): no such target */
    return DC_OK;
}

/* Render slot `slot` by rule ri: from the enumerated values, and, for
 * derived parts, from the registers the VM computed. */
static dc_status render_slot(tctx *c, dc_facts *f, uint32_t ri, const value *regs, bool *bad)
{
    const program *p = c->p;
    const rinfo *r = &c->rules[ri];
    const insn *i = &p->code[r->at];
    uint32_t slot = (uint32_t)p->rules[ri].slot;
    sink b = sink_growing(c->a);
    switch (r->kind) {
    case RK_CONST: tg_put_dstr(&b, p->consts[i->b].as.s); break;
    case RK_VAR: tg_put_value(&b, &c->assign[i->a]); break;
    case RK_DERIVED: tg_put_value(&b, &regs[i->b]); break;
    case RK_TMPL: {
        const tmpl *t = &p->tmpls[i->b];
        for (uint32_t k = 0; k < t->n; k++) {
            const tpart *tp = &p->tparts[t->first + k];
            if (tp->kind == TP_LIT)
                tg_put_dstr(&b, prog_str(p, tp->lit));
            else if (tp->kind == TP_DECL)
                tg_put_value(&b, &c->assign[tp->reg]);
            else
                tg_put_value(&b, &regs[tp->reg]);
        }
        break;
    }
    default: return DC_OK;
    }
    dc_status st = b.failed ? tg_nomem(c) : add_fact(c, f, slot, sink_str(&b), b.len, bad);
    sink_free(&b);
    return st;
}

static bool has_cmp_part(const program *p, const insn *i)
{
    const tmpl *t = &p->tmpls[i->b];
    for (uint32_t k = 0; k < t->n; k++)
        if (p->tparts[t->first + k].kind == TP_CMP)
            return true;
    return false;
}

/* The facts of the current combination, with SELF holding on them: *ok is
 * false when SELF rejects them (no such target). */
static dc_status render_target(tctx *c, dc_facts **out, dc_prepared **prep, bool *ok)
{
    const program *p = c->p;
    const pblock *self = &p->blocks[0];
    *out = NULL;
    *prep = NULL;
    *ok = false;
    dc_facts *f = facts_new(c->a);
    if (!f)
        return tg_nomem(c);
    bool bad = false;
    dc_status st = DC_OK;
    for (uint32_t ri = self->first_rule; ri < self->first_rule + self->nrules && st == DC_OK;
         ri++) {
        const rinfo *r = &c->rules[ri];
        const prule *pr = &p->rules[ri];
        if (!r->seen || r->tainted || pr->slot < 0 || c->renderer[pr->slot] != (int32_t)ri)
            continue;
        if (r->kind == RK_CONST || r->kind == RK_VAR ||
            (r->kind == RK_TMPL && !has_cmp_part(p, &p->code[r->at])))
            st = render_slot(c, f, ri, NULL, &bad);
    }
    /* derived facts: the VM computes them, one per run */
    for (uint32_t round = 0; st == DC_OK && !bad && round <= self->nrules + 1; round++) {
        dc_prepared *t = NULL;
        dc_error e;
        st = dc_prepare(c->pol, f, &t, &e);
        if (st != DC_OK) {
            st = st == DC_ERR_NOMEM ? tg_nomem(c) : dc_error_set(c->err, st, "%s", e.message);
            break;
        }
        vm_fail fail;
        if (vm_run_block(&c->fake.prog, 0, c->src, t, c->res, &fail)) {
            *out = f;
            *prep = t;
            *ok = true;
            return DC_OK;
        }
        uint32_t ri = fail.rule;
        const rinfo *r = ri < p->nrules ? &c->rules[ri] : NULL;
        bool derived = fail.code == F_MISSING && r && r->block == 0 && !r->tainted &&
                       fail.slot >= 0 && c->renderer[fail.slot] == (int32_t)ri &&
                       (r->kind == RK_DERIVED || r->kind == RK_TMPL) &&
                       !facts_find(f, p->pool + p->slots[fail.slot].name.off,
                                   p->slots[fail.slot].name.len);
        if (derived)
            st = render_slot(c, f, ri, c->res->regs, &bad);
        dc_prepared_free(t);
        if (!derived)
            break;
    }
    dc_facts_free(f);
    return st;
}

static bool facts_same(const dc_facts *a, const dc_facts *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (a->items[i].name_len != b->items[i].name_len ||
            a->items[i].value_len != b->items[i].value_len ||
            memcmp(a->items[i].name, b->items[i].name, a->items[i].name_len) ||
            memcmp(a->items[i].value, b->items[i].value, a->items[i].value_len))
            return false;
    return true;
}

/* The residues of block b (a program block) on the current candidate, per
 * open unit (res[nunits]); *dead when one of them can never hold. */
static void block_residues(tctx *c, uint32_t b, const dc_prepared *tgt, sink *res, bool *dead)
{
    const program *p = c->p;
    const pblock *pb = &p->blocks[b];
    *dead = false;
    memset(c->captured, 0, (p->nregs + 1) * sizeof *c->captured);
    for (uint32_t s = 0; s <= tg_nunits(p); s++)
        sink_reset(&res[s]);
    for (uint32_t ri = pb->first_rule; ri < pb->first_rule + pb->nrules && !c->oom; ri++) {
        const rinfo *r = &c->rules[ri];
        if (!r->seen || !r->tainted)
            continue;
        sink text = sink_growing(c->a);
        bool is_or;
        int truth;
        tg_residue_text(c, ri, tgt, &text, &is_or, &truth);
        if (truth == 0)
            *dead = true;
        for (uint32_t k = 0; k < r->ntaint && truth != 1; k++) {
            sink *s = &res[c->tlist[r->first_t + k]];
            if (s->len)
                sink_puts(s, " && ");
            if (is_or)
                sink_put(s, "(", 1);
            sink_put(s, sink_str(&text), text.len);
            if (is_or)
                sink_put(s, ")", 1);
            if (s->failed)
                c->oom = true;
        }
        sink_free(&text);
        if (*dead)
            break;
    }
}

/* Keep an accepted target: its facts, block and open slots with residues
 * (res: per slot, or NULL when nothing is open). */
static dc_status keep_target(tctx *c, dc_targets *out, dc_facts *f, int32_t block,
                             const sink *res)
{
    const program *p = c->p;
    for (size_t k = 0; k < out->n; k++)
        if (facts_same(out->items[k].facts, f)) {
            dc_facts_free(f);
            return DC_OK;
        }
    if (out->n == out->cap) {
        size_t ncap = out->cap ? out->cap * 2 : 16;
        tentry *ni = mem_grow(c->a, out->items, ncap, sizeof *ni);
        if (!ni) {
            dc_facts_free(f);
            return tg_nomem(c);
        }
        out->items = ni;
        out->cap = ncap;
    }
    tentry *t = &out->items[out->n++];
    memset(t, 0, sizeof *t);
    t->block = block;
    t->facts = f;
    if (!res)
        return DC_OK;
    t->undecided = c->undecided;
    uint32_t nopen = 0;
    for (uint32_t s = 0; s < tg_nunits(p); s++)
        if ((c->sflags[s] & S_OPEN) && ((c->sflags[s] & S_SELF) || res[s].len))
            nopen++;
    t->open = nopen ? arena_alloc(&out->text, nopen * sizeof *t->open) : NULL;
    if (nopen && !t->open)
        return tg_nomem(c);
    for (uint32_t s = 0; s < tg_nunits(p); s++) {
        if (!(c->sflags[s] & S_OPEN) || !((c->sflags[s] & S_SELF) || res[s].len))
            continue;
        dstr name = tg_unit_name(p, s);
        topen *o = &t->open[t->nopen++];
        o->fact = arena_strndup(&out->text, name.p, name.len);
        o->constraint = c->constraint[s] ? arena_strndup(&out->text, c->constraint[s],
                                                         strlen(c->constraint[s]))
                                         : NULL;
        o->residue = res[s].len ? arena_strndup(&out->text, res[s].buf, res[s].len) : NULL;
        if (!o->fact || (c->constraint[s] && !o->constraint) || (res[s].len && !o->residue))
            return tg_nomem(c);
    }
    return DC_OK;
}

/* Does SOURCE migrate to this candidate, and by which block (-1: none)?
 * With open facts, res[] receives the residues of that block. */
static dc_status judge(tctx *c, const dc_facts *f, const dc_prepared *tgt, int32_t *block,
                       sink *res)
{
    const program *p = c->p;
    *block = -1;
    if (!c->any_tainted) {
        if (dc_check(c->pol, c->src, tgt, c->real) != DC_OK)
            return dc_error_set(c->err, DC_ERR_INVALID, "%s: check failed", c->pol->file);
        if (dc_result_verdict(c->real) == DC_COMPATIBLE)
            *block = dc_result_block(c->real);
        return DC_OK;
    }
    c->undecided = false;
    c->res->match_steps = 0; /* one template budget for this candidate */
    for (uint32_t b = 1; b < p->nblocks; b++) {
        vm_fail fail;
        if (!vm_run_block(&c->fake.prog, b, c->src, tgt, c->res, &fail))
            continue;
        bool dead;
        block_residues(c, b, tgt, res, &dead);
        if (c->oom)
            return tg_nomem(c);
        int sat = dead ? 0 : tg_block_satisfiable(c, b, f, tgt);
        if (c->oom)
            return tg_nomem(c);
        if (sat != 0) {
            *block = (int32_t)b - 1;
            c->undecided = sat < 0;
            break;
        }
    }
    return DC_OK;
}

/* The residue buffers judge needs, one per slot (NULL when nothing is open). */
static dc_status residue_buffers(tctx *c, sink **res)
{
    *res = NULL;
    if (!c->any_tainted)
        return DC_OK;
    *res = mem_array(c->a, tg_nunits(c->p) + 1, sizeof **res);
    if (!*res)
        return tg_nomem(c);
    for (uint32_t s = 0; s <= tg_nunits(c->p); s++)
        (*res)[s] = sink_growing(c->a);
    return DC_OK;
}

static void residue_buffers_free(tctx *c, sink *res)
{
    for (uint32_t s = 0; res && s <= tg_nunits(c->p); s++)
        sink_free(&res[s]);
    mem_free(c->a, res);
}

/* Try the current assignment: *accepted when it is a target; kept in `out`
 * when out is not NULL. */
static dc_status try_current(tctx *c, sink *res, dc_targets *out, bool *accepted)
{
    dc_facts *f;
    dc_prepared *t;
    bool ok;
    *accepted = false;
    dc_status st = render_target(c, &f, &t, &ok);
    if (st != DC_OK || !ok)
        return st;
    int32_t block;
    st = judge(c, f, t, &block, res);
    *accepted = st == DC_OK && block >= 0;
    if (*accepted && out)
        st = keep_target(c, out, f, block, res);
    else
        dc_facts_free(f);
    dc_prepared_free(t);
    return st;
}

static uint64_t ev_count(const evar *e)
{
    return e->keep ? e->nkeep : e->size;
}

static dc_status enumerate(tctx *c, dc_targets *out)
{
    /* the number of combinations, saturated just above the limit */
    uint64_t total = 1;
    for (uint32_t k = 0; k < c->nev; k++) {
        if (__builtin_mul_overflow(total, ev_count(&c->ev[k]), &total) || total > c->limit)
            total = (uint64_t)c->limit + 1;
    }
    uint64_t n = total > c->limit ? c->limit : total;
    out->limited = total > c->limit;
    out->tried = (size_t)n;
    sink *res;
    dc_status st = residue_buffers(c, &res);
    for (uint64_t combo = 0; combo < n && st == DC_OK; combo++) {
        uint64_t rest = combo;
        for (uint32_t k = c->nev; k-- > 0;) {
            const evar *e = &c->ev[k];
            uint64_t i = rest % ev_count(e);
            tg_domain_value(c->p, e, e->keep ? e->keep[i] : i, &c->assign[e->reg]);
            rest /= ev_count(e);
        }
        bool accepted;
        st = try_current(c, res, out, &accepted);
    }
    residue_buffers_free(c, res);
    return st;
}

static void tctx_release(tctx *c)
{
    const dc_alloc *a = c->a;
    if (c->constraint && c->p)
        for (uint32_t s = 0; s <= tg_nunits(c->p); s++)
            mem_free(a, c->constraint[s]);
    for (uint32_t k = 0; c->ev && k < c->nev; k++) {
        mem_free(a, c->ev[k].keep);
        mem_free(a, c->ev[k].items);
    }
    void *arrays[] = { c->rtaint,     c->cur,    c->ins,    c->renderer, c->sflags,
                       c->constraint, c->whole,  c->rules,  c->tlist,    c->itaint,
                       c->var_open,   c->ev,     c->assign, c->code,     c->xcode,
                       c->vars,       c->blocks, c->def,    c->dstamp,   c->selfreg,
                       c->captured };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        mem_free(a, arrays[i]);
    dc_result_free(c->res);
    dc_result_free(c->real);
    dc_prepared_free(c->src);
}

/* Analyse the policy (with the `forced` variables taken as open), make the
 * results and prepare the source.  Release with tctx_release, also on error. */
static dc_status tctx_setup(tctx *c, const dc_policy *pol, const dc_facts *source, size_t limit,
                            const bool *forced, targets_program_fn visit, void *visit_ctx,
                            dc_error *err)
{
    memset(c, 0, sizeof *c);
    c->pol = pol;
    c->p = &pol->prog;
    c->a = pol->alloc;
    c->err = err;
    c->limit = limit;
    c->forced = forced;
    c->visit = visit;
    c->visit_ctx = visit_ctx;
    dc_status st = tg_analyse(c);
    if (st != DC_OK)
        return st;
    if (visit)
        visit(visit_ctx, &c->fake.prog);
    if (dc_result_new(&c->fake, &c->res, NULL) != DC_OK ||
        dc_result_new(pol, &c->real, NULL) != DC_OK)
        return tg_nomem(c);
    dc_error e;
    st = dc_prepare(pol, source, &c->src, &e);
    if (st != DC_OK)
        return dc_error_set(err, st, "%s", e.message);
    return DC_OK;
}

/* Prune each variable's domain before combining: try its values alone, the
 * other enumerated variables taken as open.  A value no block can accept
 * then (a rule that fails or a residue that cannot hold, whatever the open
 * facts are) fails in every combination, so dropping it loses no target;
 * a source that pins a variable (pci_id = 8086{dev}) leaves one value. */
static dc_status prune(tctx *c, const dc_facts *source)
{
    if (c->nev < 2)
        return DC_OK;
    bool *forced = mem_array(c->a, c->p->nregs + 1, sizeof *forced);
    if (!forced)
        return tg_nomem(c);
    dc_status st = DC_OK;
    for (uint32_t k = 0; k < c->nev && st == DC_OK; k++) {
        evar *e = &c->ev[k];
        memset(forced, 0, (c->p->nregs + 1) * sizeof *forced);
        for (uint32_t j = 0; j < c->nev; j++)
            forced[c->ev[j].reg] = j != k;
        tctx sub;
        st = tctx_setup(&sub, c->pol, source, c->limit, forced, c->visit, c->visit_ctx, c->err);
        const evar *se = NULL;
        for (uint32_t j = 0; j < sub.nev; j++)
            if (sub.ev[j].reg == e->reg && sub.ev[j].size == e->size)
                se = &sub.ev[j];
        sink *res = NULL;
        if (st == DC_OK && se && sub.nev == 1)
            st = residue_buffers(&sub, &res);
        if (st == DC_OK && se && sub.nev == 1) {
            e->keep = mem_array(c->a, e->size, sizeof *e->keep);
            if (!e->keep)
                st = tg_nomem(c);
            for (uint64_t i = 0; st == DC_OK && i < e->size; i++) {
                bool accepted;
                tg_domain_value(sub.p, se, i, &sub.assign[se->reg]);
                st = try_current(&sub, res, NULL, &accepted);
                if (accepted)
                    e->keep[e->nkeep++] = i;
            }
        }
        if (sub.oom)
            st = tg_nomem(c);
        residue_buffers_free(&sub, res);
        tctx_release(&sub);
    }
    mem_free(c->a, forced);
    return st;
}

dc_status dc_targets_find(const dc_policy *pol, const dc_facts *source, size_t limit,
                          dc_targets **out, dc_error *err)
{
    return targets_find_visit(pol, source, limit, NULL, NULL, out, err);
}

dc_status targets_find_visit(const dc_policy *pol, const dc_facts *source, size_t limit,
                             targets_program_fn visit, void *visit_ctx, dc_targets **out,
                             dc_error *err)
{
    if (out)
        *out = NULL;
    if (!pol || !source || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_targets_find: invalid argument");
    if (pol->prog.nblocks == 0)
        return dc_error_set(err, DC_ERR_INVALID, "%s: the policy has no SELF block", pol->file);
    dc_targets *t = mem_zalloc(pol->alloc, sizeof *t);
    if (!t)
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", pol->file);
    t->alloc = pol->alloc;
    t->policy = pol;
    arena_init(&t->text, pol->alloc);
    tctx c;
    dc_status st =
        tctx_setup(&c, pol, source, limit ? limit : DEFAULT_LIMIT, NULL, visit, visit_ctx, err);
    if (st == DC_OK)
        st = prune(&c, source);
    if (st == DC_OK)
        st = enumerate(&c, t);
    tctx_release(&c);
    if (st != DC_OK) {
        dc_targets_free(t);
        return st;
    }
    *out = t;
    return DC_OK;
}

/* ------------------------------------------------------------ accessors */

size_t dc_targets_count(const dc_targets *t)
{
    return t ? t->n : 0;
}
int dc_targets_limited(const dc_targets *t)
{
    return t && t->limited;
}
size_t dc_targets_tried_count(const dc_targets *t)
{
    return t ? t->tried : 0;
}

int dc_targets_decided(const dc_targets *t, size_t i)
{
    return t && i < t->n && !t->items[i].undecided;
}

int32_t dc_targets_block(const dc_targets *t, size_t i)
{
    return t && i < t->n ? t->items[i].block : -1;
}

const char *dc_targets_block_name(const dc_targets *t, size_t i)
{
    if (!t || i >= t->n)
        return NULL;
    return dc_policy_block_name(t->policy, (size_t)t->items[i].block);
}

const dc_facts *dc_targets_facts(const dc_targets *t, size_t i)
{
    return t && i < t->n ? t->items[i].facts : NULL;
}

size_t dc_targets_open_count(const dc_targets *t, size_t i)
{
    return t && i < t->n ? t->items[i].nopen : 0;
}

dc_status dc_targets_open_get(const dc_targets *t, size_t i, size_t j, dc_target_open *out)
{
    if (!t || !DC_SIZED(out) || i >= t->n || j >= t->items[i].nopen)
        return DC_ERR_INVALID;
    const topen *o = &t->items[i].open[j];
    out->fact = o->fact;
    out->constraint = o->constraint;
    out->residue = o->residue;
    return DC_OK;
}

void dc_targets_free(dc_targets *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        dc_facts_free(t->items[i].facts);
    mem_free(t->alloc, t->items);
    arena_release(&t->text);
    mem_free(t->alloc, t);
}
