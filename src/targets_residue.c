/* targets_residue.c -- the residue decompiler: a tainted rule's code back to
 * an expression, its parts that do not depend on open facts folded to their
 * values, written as text (targets.c; docs/targets.md).
 */
#include "targets_int.h"

/* ------------------------------------------------------------ text */

void tg_put_dstr(sink *b, dstr s)
{
    sink_put(b, s.p, s.len);
}

/* A value's canonical text (docs/language.md, section 6). */
void tg_put_value(sink *b, const value *v)
{
    char small[128];
    size_t n = value_render(v, small, sizeof small);
    if (n < sizeof small) {
        sink_put(b, small, n);
        return;
    }
    char *big = mem_alloc(b->alloc, n + 1);
    if (!big) {
        b->failed = true;
        return;
    }
    value_render(v, big, n + 1);
    sink_put(b, big, n);
    mem_free(b->alloc, big);
}

static void put_quoted(sink *b, const char *s, size_t n)
{
    sink_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"' || c == '\\') {
            sink_put(b, "\\", 1);
            sink_put(b, &c, 1);
        } else if (c == '\n') {
            sink_put(b, "\\n", 2);
        } else if (c == '\t') {
            sink_put(b, "\\t", 2);
        } else {
            sink_put(b, &c, 1);
        }
    }
    sink_put(b, "\"", 1);
}

/* A value as an expression literal, for residues: numbers and booleans as
 * such, hex with 0x, semver bare, strings and sets quoted. */
void tg_put_literal(sink *b, const value *v)
{
    switch (v->type) {
    case VT_INT:
    case VT_BOOL:
    case VT_SEMVER: tg_put_value(b, v); break;
    case VT_HEX: sink_printf(b, "0x%llx", (unsigned long long)v->as.u); break;
    case VT_STRING: put_quoted(b, v->as.s.p, v->as.s.len); break;
    default: {
        sink t = sink_growing(b->alloc);
        tg_put_value(&t, v);
        if (t.failed)
            b->failed = true;
        else
            put_quoted(b, sink_str(&t), t.len);
        sink_free(&t);
    }
    }
}

/* ------------------------------------------------------------ residues */

/* The number of the source's records of set `set`. */
uint32_t tg_c_rec_count(const tctx *c, uint32_t set)
{
    const uint32_t *rec_n = prep_cold_c(c->src)->rec_n;
    return rec_n && set < c->p->nrecsets ? rec_n[set] : 0;
}

/* DN_LOOP: all/any (t: EACH's; arg: the record set; a: the body), DN_REC:
 * a record's field (op RFIELD or RHAS; t: the side; arg: the field; b: the
 * loop level). */

static int32_t dn_new(tctx *c, dtree *t, dnode node)
{
    if (t->count == t->cap) {
        uint32_t ncap = t->cap ? t->cap * 2 : 16;
        dnode *nn = mem_grow(c->a, t->n, ncap, sizeof *nn);
        if (!nn) {
            c->oom = true;
            return -1;
        }
        t->n = nn;
        t->cap = ncap;
    }
    t->n[t->count] = node;
    return (int32_t)t->count++;
}

/* The node holding register `reg` now: defined in this rule, or a variable. */
int32_t tg_dn_get(tctx *c, dtree *t, uint32_t block, uint16_t reg)
{
    if (reg < c->p->nregs && c->dstamp[reg] == c->stamp)
        return c->def[reg];
    int32_t v = tg_var_of_reg(c->p, block, reg);
    dnode node = { v >= 0 ? DN_VAR : DN_UNKNOWN, 0, 0, true, reg, reg, -1, -1 };
    if (v >= 0)
        node.tainted = c->var_open[v];
    int32_t k = dn_new(c, t, node);
    if (k >= 0 && reg < c->p->nregs) {
        c->def[reg] = k;
        c->dstamp[reg] = c->stamp;
    }
    return k;
}

static void dn_def(tctx *c, uint16_t reg, int32_t k)
{
    if (reg < c->p->nregs && k >= 0) {
        c->def[reg] = k;
        c->dstamp[reg] = c->stamp;
    }
}

bool tg_dn_tainted(const dtree *t, int32_t k)
{
    return k < 0 || t->n[k].tainted;
}

/* Decompile rule ri's expression code; *test is the pc of its final test.
 * A loop over records (all/any) is decompiled only with `loops` (record
 * residues): its nodes, and all that read them, are tainted, since the
 * registers hold only a loop's last round. */
dc_status tg_decompile(tctx *c, uint32_t ri, dtree *t, uint32_t *test, bool loops)
{
    const program *p = c->p;
    const rinfo *r = &c->rules[ri];
    struct pend {
        uint16_t reg;
        uint32_t target;
        int32_t left;
        uint8_t kind;
    } pend[DC_MAX_NESTING * 2 + 8];
    int npend = 0;
    uint32_t loop[LOOP_DEPTH];
    int nloop = 0;
    c->stamp++;
    *test = UINT32_MAX;
    for (uint32_t pc = r->start + 1; pc <= r->end; pc++) {
        while (npend > 0 && pend[npend - 1].target == pc) {
            struct pend *e = &pend[--npend];
            int32_t right = tg_dn_get(c, t, r->block, e->reg);
            dnode node = { e->kind, 0,
                           0,       tg_dn_tainted(t, e->left) || tg_dn_tainted(t, right),
                           e->reg,  0,
                           e->left, right };
            dn_def(c, e->reg, dn_new(c, t, node));
        }
        if (pc == r->end)
            break;
        const insn *i = &p->code[pc];
        bool it = c->itaint[pc];
        int32_t k = -1;
        /* an expression step writes a temporary (W): a constant, a copy, a
         * fact, or an operation on the registers it reads (R); a loop over
         * records (all/any) is not decompiled: the rule is shown as written */
        const char *roles = i->op < I__COUNT ? op_operands[i->op] : "---";
        if (strpbrk(roles, "XCB") && !loops)
            return DC_ERR_INVALID;
        int nr = (roles[1] == 'R') + (roles[2] == 'R');
        if (i->op == I_EACH) {
            if (nloop == LOOP_DEPTH)
                return DC_ERR_INVALID;
            loop[nloop++] = pc;
        } else if (i->op == I_AGAIN) {
            if (nloop == 0)
                return DC_ERR_INVALID;
            const insn *e = &p->code[loop[--nloop]];
            int32_t body = tg_dn_get(c, t, r->block, i->b);
            k = dn_new(c, t, (dnode){ DN_LOOP, I_EACH, e->t, true, i->a, e->b, body, -1 });
            dn_def(c, i->a, k);
        } else if (i->op == I_RFIELD || i->op == I_RHAS) {
            k = dn_new(
                c, t, (dnode){ DN_REC, i->op, i->t & SIDE_SOURCE, true, i->a, i->b, -1, i->c });
            dn_def(c, i->a, k);
        } else if (i->op == I_LOADK) {
            k = dn_new(c, t, (dnode){ DN_K, I_LOADK, 0, false, i->a, i->b, -1, -1 });
            dn_def(c, i->a, k);
        } else if (i->op == I_MOVE) {
            dn_def(c, i->a, tg_dn_get(c, t, r->block, i->b));
        } else if (roles[0] == 'W' && roles[1] == 'S') {
            k = dn_new(c, t, (dnode){ DN_OP, i->op, i->t, it, i->a, i->b, -1, -1 });
            dn_def(c, i->a, k);
        } else if (roles[0] == 'W' && nr == 1) {
            int32_t a = tg_dn_get(c, t, r->block, i->b);
            k = dn_new(c, t,
                       (dnode){ DN_OP, i->op, i->t, tg_dn_tainted(t, a), i->a, 0, a, -1 });
            dn_def(c, i->a, k);
        } else if (roles[0] == 'W' && nr == 2) {
            int32_t a = tg_dn_get(c, t, r->block, i->b);
            int32_t b = tg_dn_get(c, t, r->block, i->c);
            k = dn_new(c, t,
                       (dnode){ DN_OP, i->op, i->t, tg_dn_tainted(t, a) || tg_dn_tainted(t, b),
                                i->a, 0, a, b });
            dn_def(c, i->a, k);
        } else if (op_find(i->op, 'J') >= 0) {
            if (npend == (int)(sizeof pend / sizeof pend[0]))
                return DC_ERR_INVALID;
            pend[npend++] = (struct pend){ i->a, pc + 1 + i->b, tg_dn_get(c, t, r->block, i->a),
                                           i->op == I_JF ? DN_AND : DN_OR };
            if (pend[npend - 1].target > r->end)
                return DC_ERR_INVALID;
        } else if (i->op == I_WHERE || i->op == I_FCMP || i->op == I_MATCH ||
                   i->op == I_NMATCH) {
            *test = pc; /* the tests residue_text can show */
        }
        if (c->oom)
            return DC_ERR_NOMEM;
    }
    return *test == UINT32_MAX || npend || nloop ? DC_ERR_INVALID : DC_OK;
}

enum { PR_OR = 1, PR_AND, PR_EQ, PR_CMP, PR_ADD, PR_MUL, PR_UNARY, PR_ATOM };

static int op_prec(uint8_t op)
{
    switch ((enum opcode)op) {
    case I_EQ:
    case I_NE: return PR_EQ;
    case I_LT:
    case I_LE:
    case I_GT:
    case I_GE: return PR_CMP;
    case I_ADD:
    case I_SUB: return PR_ADD;
    case I_MUL:
    case I_DIV:
    case I_MOD: return PR_MUL;
    default: return PR_ATOM;
    }
}

static const char *op_text(uint8_t op)
{
    switch ((enum opcode)op) {
    case I_EQ: return "==";
    case I_NE: return "!=";
    case I_LT: return "<";
    case I_LE: return "<=";
    case I_GT: return ">";
    case I_GE: return ">=";
    case I_ADD: return "+";
    case I_SUB: return "-";
    case I_MUL: return "*";
    case I_DIV: return "/";
    case I_MOD: return "%";
    default: {
        int bi = builtin_of_op(op); /* a function: builtins.def */
        return bi >= 0 ? builtins[bi].name : "?";
    }
    }
}

uint8_t tg_mirror(uint8_t op)
{
    switch ((enum opcode)op) {
    case I_LT: return I_GT;
    case I_LE: return I_GE;
    case I_GT: return I_LT;
    case I_GE: return I_LE;
    default: return op;
    }
}

bool tg_dn_value(const rctx *x, int32_t k, value *out)
{
    const dnode *n = &x->t->n[k];
    if (n->kind == DN_VAR && n->arg < x->c->p->nregs &&
        x->c->captured[n->arg].type != VT_NONE) {
        *out = x->c->captured[n->arg]; /* read out of the source's text */
        return true;
    }
    if (n->tainted)
        return false;
    if (n->kind == DN_K) {
        *out = x->c->p->consts[n->arg];
        return true;
    }
    if (!x->regs || n->kind == DN_UNKNOWN)
        return false;
    if (x->loops && n->kind != DN_VAR)
        return false; /* a rule with loops: its temporaries were not computed */
    *out = x->regs[n->reg];
    return true;
}

/* Node k's value: dn_value, or in a rule with loops, computed from the
 * source's records and the known values (wit_eval without a witness). */
bool tg_node_value(const rctx *x, int32_t k, value *out)
{
    return tg_dn_value(x, k, out) ||
           (x->loops && k >= 0 && tg_wit_eval(NULL, x, k, NULL, out, 0));
}

/* Is node k's value known (computed, constant, or read out of a text)? */
bool tg_dn_known(const rctx *x, int32_t k)
{
    value v;
    return k >= 0 && ((!x->t->n[k].tainted && !x->loops) || tg_node_value(x, k, &v));
}

static int render_node(rctx *x, int32_t k, sink *b);

static void render_child(rctx *x, int32_t k, int min_prec, sink *b)
{
    sink tmp = sink_growing(b->alloc);
    int prec = render_node(x, k, &tmp);
    if (prec < min_prec) {
        sink_put(b, "(", 1);
        sink_put(b, sink_str(&tmp), tmp.len);
        sink_put(b, ")", 1);
    } else {
        sink_put(b, sink_str(&tmp), tmp.len);
    }
    if (tmp.failed)
        b->failed = true;
    sink_free(&tmp);
}

static int render_op(rctx *x, int32_t k, sink *b);

/* The name a target loop is shown with: the n-th of a few short names that
 * no variable of the policy has. */
static const char *loop_name(const program *p, int n)
{
    static const char *const names[] = { "t", "u", "r", "q", "w", "z", "t1", "t2", "t3", "t4" };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        bool taken = false;
        for (uint32_t v = 0; v < p->nvars && !taken; v++) {
            dstr name = prog_str(p, p->vars[v].name);
            taken = name.len == strlen(names[k]) && memcmp(name.p, names[k], name.len) == 0;
        }
        if (!taken && n-- == 0)
            return names[k];
    }
    return NULL;
}

/* A loop over records: the source's is expanded, one body per record
 * (those that hold whatever the target is left out), joined with && (all)
 * or || (any); the target's is shown as a loop over self's records. */
static int render_loop(rctx *x, int32_t k, sink *b)
{
    const tctx *c = x->c;
    const program *p = c->p;
    const dnode *n = &x->t->n[k];
    bool any = n->t & LOOP_ANY;
    int level = (n->t & LOOP_LEVEL) ? 1 : 0;
    rctx y = *x;
    if (!(n->t & SIDE_SOURCE)) {
        dstr set = prog_str(p, p->recsets[n->arg].name);
        y.rec[level] = -1;
        y.lname[level] = loop_name(p, x->tloops);
        y.tloops++;
        sink_printf(b, "%s(self.%.*s, %s, ", any ? "any" : "all", (int)set.len, set.p,
                    y.lname[level] ? y.lname[level] : "?");
        render_node(&y, n->a, b);
        sink_put(b, ")", 1);
        return PR_ATOM;
    }
    uint32_t count = tg_c_rec_count(c, n->arg);
    int32_t first = -1, parts = 0;
    for (uint32_t r = 0; r < count; r++) {
        value v;
        y.rec[level] = (int32_t)r;
        if (tg_node_value(&y, n->a, &v) && v.type == VT_BOOL && v.as.b != any)
            continue; /* neutral: all's true, any's false */
        if (parts++ == 0)
            first = (int32_t)r;
    }
    if (parts == 0) {
        sink_puts(b, any ? "false" : "true");
        return PR_ATOM;
    }
    if (parts == 1) {
        y.rec[level] = first;
        return render_node(&y, n->a, b);
    }
    int prec = any ? PR_OR : PR_AND;
    parts = 0;
    for (uint32_t r = 0; r < count; r++) {
        value v;
        y.rec[level] = (int32_t)r;
        if (tg_node_value(&y, n->a, &v) && v.type == VT_BOOL && v.as.b != any)
            continue;
        if (parts++)
            sink_puts(b, any ? " || " : " && ");
        render_child(&y, n->a, prec + 1, b);
    }
    return prec;
}

/* Render node k, folding what is known; returns its precedence. */
static int render_node(rctx *x, int32_t k, sink *b)
{
    if (k < 0 || x->depth >= MAX_RENDER_DEPTH) {
        sink_put(b, "?", 1);
        return PR_ATOM;
    }
    x->depth++;
    int prec = render_op(x, k, b);
    x->depth--;
    return prec;
}

static int render_op(rctx *x, int32_t k, sink *b)
{
    const program *p = x->c->p;
    const dnode *n = &x->t->n[k];
    value v;
    if (n->kind == DN_OP && n->op == I_BITS && tg_node_value(x, n->a, &v)) {
        /* bits(0x3ff7ff3f) reads better than the set of its indices */
        sink_puts(b, "bits(");
        tg_put_literal(b, &v);
        sink_put(b, ")", 1);
        return PR_ATOM;
    }
    if (tg_node_value(x, k, &v)) {
        tg_put_literal(b, &v);
        return v.type == VT_INT && v.as.i < 0 ? PR_UNARY : PR_ATOM;
    }
    switch (n->kind) {
    case DN_LOOP: return render_loop(x, k, b);
    case DN_REC: {
        dstr field = prog_str(p, p->recfields[n->arg].name);
        int level = n->b >= 0 && n->b < LOOP_DEPTH ? n->b : 0;
        if (n->op == I_RHAS)
            sink_puts(b, "has(");
        if ((n->t & SIDE_SOURCE) && x->rec[level] >= 0) {
            /* an absent field of the source's record: its fact's name */
            dstr set = prog_str(p, p->recsets[p->recfields[n->arg].set].name);
            sink_printf(b, "source.%.*s.%d.", (int)set.len, set.p, (int)x->rec[level]);
        } else {
            sink_puts(b, x->lname[level] ? x->lname[level] : "?");
            sink_put(b, ".", 1);
        }
        tg_put_dstr(b, field);
        if (n->op == I_RHAS)
            sink_put(b, ")", 1);
        return PR_ATOM;
    }
    case DN_VAR: {
        int32_t vi = tg_var_of_reg(p, x->block, n->arg);
        if (vi >= 0)
            tg_put_dstr(b, prog_str(p, p->vars[vi].name));
        else
            sink_put(b, "?", 1);
        return PR_ATOM;
    }
    case DN_AND:
    case DN_OR: {
        bool is_and = n->kind == DN_AND;
        if (tg_node_value(x, n->a, &v) && v.type == VT_BOOL) {
            /* a known left side: it decides, or the right side is the value */
            if (v.as.b != is_and) {
                sink_puts(b, v.as.b ? "true" : "false");
                return PR_ATOM;
            }
            return render_node(x, n->b, b);
        }
        if (tg_node_value(x, n->b, &v) && v.type == VT_BOOL) {
            /* a known right side (the left one was not known, so the
             * right one was computed): it decides, or the left side is */
            if (v.as.b != is_and) {
                sink_puts(b, v.as.b ? "true" : "false");
                return PR_ATOM;
            }
            return render_node(x, n->a, b);
        }
        int prec = is_and ? PR_AND : PR_OR;
        render_child(x, n->a, prec, b);
        sink_puts(b, is_and ? " && " : " || ");
        render_child(x, n->b, prec + 1, b);
        return prec;
    }
    case DN_OP: break;
    default: sink_put(b, "?", 1); return PR_ATOM;
    }
    switch ((enum opcode)n->op) {
    case I_FIELD:
    case I_FIELDT:
    case I_HAS: {
        const char *side = (n->t & SIDE_SOURCE) ? "source." : "self.";
        const char *fn = n->op == I_HAS      ? "has"
                         : n->op == I_FIELDT ? vtype_name((vtype)(n->t & TYPE_MASK))
                                             : NULL;
        if (fn)
            sink_printf(b, "%s(", fn);
        sink_puts(b, side);
        if (n->arg < p->nslots)
            tg_put_dstr(b, prog_str(p, p->slots[n->arg].name));
        if (fn)
            sink_put(b, ")", 1);
        return PR_ATOM;
    }
    case I_CONV: {
        const char *fn = vtype_name((vtype)(n->t & TYPE_MASK));
        sink_printf(b, "%s(", fn ? fn : "?");
        render_child(x, n->a, 0, b);
        sink_put(b, ")", 1);
        return PR_ATOM;
    }
    case I_NEG:
    case I_NOT:
        sink_put(b, n->op == I_NEG ? "-" : "!", 1);
        render_child(x, n->a, PR_UNARY, b);
        return PR_UNARY;
    default: {
        if (builtin_of_op(n->op) >= 0) {
            /* a function of one or two arguments */
            sink_printf(b, "%s(", op_text(n->op));
            render_child(x, n->a, 0, b);
            if (n->b >= 0) {
                sink_puts(b, ", ");
                render_child(x, n->b, 0, b);
            }
            sink_put(b, ")", 1);
            return PR_ATOM;
        }
        int prec = op_prec(n->op);
        int32_t l = n->a, r = n->b;
        uint8_t op = n->op;
        /* a comparison reads best with its unknown side first */
        if ((prec == PR_CMP || prec == PR_EQ) && tg_dn_known(x, l) && !tg_dn_known(x, r)) {
            int32_t s = l;
            l = r;
            r = s;
            op = tg_mirror(op);
        }
        render_child(x, l, prec, b);
        sink_printf(b, " %s ", op_text(op));
        render_child(x, r, prec + 1, b);
        return prec;
    }
    }
}

/* The source's fact of slot s as the literal of type t, when it has one. */
bool tg_source_value(const tctx *c, uint32_t slot, uint8_t type, value *out)
{
    const pfact *f = &c->src->slots[slot];
    if (!f->present || type >= VT_COUNT)
        return false;
    memset(out, 0, sizeof *out);
    out->type = type;
    return pfact_value(f, (vtype)type, out);
}

/* Run SELF and block b of the copy with rule ri cut short after its
 * computations that do not depend on open facts (with `before`, before
 * any of them: a rule with loops, whose registers hold only a last round);
 * the registers then hold their values.  The copy is restored before
 * returning. */
bool tg_compute_known(tctx *c, uint32_t ri, const dc_prepared *tgt, bool before)
{
    const program *p = c->p;
    const rinfo *r = &c->rules[ri];
    uint32_t n = r->end - r->start + 1;
    insn saved[64];
    insn *keep = n <= 64 ? saved : mem_array(c->a, n, sizeof *keep);
    if (!keep) {
        c->oom = true;
        return false;
    }
    memcpy(keep, c->code + r->start, n * sizeof *keep);
    for (uint32_t pc = r->start + 1; pc < r->end; pc++) {
        const insn *i = &p->code[pc];
        /* the expression steps (they write a temporary) and the jumps of
         * && and || */
        bool step = i->op < I__COUNT && (op_find(i->op, 'W') >= 0 || op_find(i->op, 'J') >= 0);
        bool compute = step && !c->itaint[pc] && !before;
        c->code[pc] = compute ? *i : (insn){ I_RULE, 0, p->code[r->start].a, 0, 0 };
    }
    c->code[r->end] = (insn){ I_OK, 0, 0, 0, 0 };
    vm_translate(&c->fake.prog, c->xcode, true);
    vm_fail f;
    bool ok = vm_run_block(&c->fake.prog, 0, c->src, tgt, c->res, &f) &&
              vm_run_block(&c->fake.prog, r->block, c->src, tgt, c->res, &f);
    memcpy(c->code + r->start, keep, n * sizeof *keep);
    vm_translate(&c->fake.prog, c->xcode, true);
    if (keep != saved)
        mem_free(c->a, keep);
    return ok;
}

/* Does node k, a set, evaluate whatever the open facts are: an open set
 * variable, or bits() of an open hex one (bits() fails on a negative int
 * only)? */
static bool never_fails_set(const rctx *x, int32_t k)
{
    const program *p = x->c->p;
    const dnode *n = k >= 0 ? &x->t->n[k] : NULL;
    if (n && n->kind == DN_OP && n->op == I_BITS && n->a >= 0) {
        n = &x->t->n[n->a];
        int32_t v = n->kind == DN_VAR ? tg_var_of_reg(p, x->block, n->arg) : -1;
        return v >= 0 && p->vars[v].type == VT_HEX;
    }
    int32_t v = n && n->kind == DN_VAR ? tg_var_of_reg(p, x->block, n->arg) : -1;
    return v >= 0 && p->vars[v].type == VT_SET;
}

bool tg_has_loops(const dtree *t)
{
    for (uint32_t k = 0; k < t->count; k++)
        if (t->n[k].kind == DN_LOOP)
            return true;
    return false;
}

/* Does node k's evaluation fail whatever the target is: a known text that
 * does not parse (int("x") of a source record), an absent field of a
 * source record, or an operation on such a value? */
static bool always_fails(const rctx *x, int32_t k, int depth)
{
    if (k < 0 || depth >= MAX_RENDER_DEPTH || !x->loops)
        return false;
    const dnode *n = &x->t->n[k];
    value v, out;
    if (n->kind == DN_REC)
        return (n->t & SIDE_SOURCE) && n->op == I_RFIELD && !tg_node_value(x, k, &v) &&
               x->rec[n->b >= 0 && n->b < LOOP_DEPTH ? n->b : 0] >= 0;
    if (n->kind != DN_OP)
        return false;
    if (n->op == I_CONV && tg_node_value(x, n->a, &v) && v.type == VT_STRING &&
        (n->t & TYPE_MASK) != VT_SET)
        return !tg_conv_eval(n->t & TYPE_MASK, &v, &out);
    return always_fails(x, n->a, depth + 1) || always_fails(x, n->b, depth + 1);
}

/* What node k is known to be: 1 true, 0 false (or its evaluation fails),
 * -1 not known. */
static int dn_truth(const rctx *x, int32_t k, int depth)
{
    if (k < 0 || depth >= MAX_RENDER_DEPTH)
        return -1;
    const dnode *n = &x->t->n[k];
    value v;
    if (tg_node_value(x, k, &v))
        return v.type == VT_BOOL ? v.as.b : -1;
    if (n->kind == DN_AND || n->kind == DN_OR) {
        int stop = n->kind == DN_OR; /* the value that decides */
        int l = dn_truth(x, n->a, depth + 1);
        if (l == stop)
            return stop;
        int r = dn_truth(x, n->b, depth + 1);
        if (l == !stop)
            return r;
        return r == stop ? stop : -1;
    }
    if (n->kind == DN_OP && n->op == I_NOT) {
        int a = dn_truth(x, n->a, depth + 1);
        return a < 0 ? -1 : !a;
    }
    if (n->kind == DN_OP && n->op == I_SUBSET && tg_node_value(x, n->a, &v) &&
        v.type == VT_SET && v.as.set.n == 0 && never_fails_set(x, n->b))
        return 1; /* the empty set is a subset of every set */
    if (n->kind == DN_OP &&
        (always_fails(x, n->a, depth + 1) || always_fails(x, n->b, depth + 1)))
        return 0; /* an operand's evaluation fails: the rule fails */
    if (n->kind == DN_LOOP && (n->t & SIDE_SOURCE)) {
        /* all: a body that cannot hold is reached, or an earlier one is
         * false or fails; any: no body can hold */
        rctx y = *x;
        int level = (n->t & LOOP_LEVEL) ? 1 : 0;
        bool any = n->t & LOOP_ANY;
        uint32_t count = tg_c_rec_count(x->c, n->arg);
        for (uint32_t r = 0; r < count; r++) {
            y.rec[level] = (int32_t)r;
            int b = dn_truth(&y, n->a, depth + 1);
            if (!any && b == 0)
                return 0;
            if (any && b != 0)
                return -1;
        }
        return any ? 0 : -1;
    }
    return -1;
}

/* The residue of tainted COMPATIBLE rule ri, for the current candidate;
 * *truth is 0 when it cannot hold whatever the open facts are, 1 when it
 * holds whatever they are, -1 otherwise. */
void tg_residue_text(tctx *c, uint32_t ri, const dc_prepared *tgt, sink *out, bool *is_or,
                     int *truth)
{
    static const char *const rule_ops[] = { "=", "!=", "<", "<=", ">", ">=" };
    static const uint8_t expr_ops[] = { I_EQ, I_NE, I_LT, I_LE, I_GT, I_GE };
    static const uint8_t rev[] = { CMP_EQ, CMP_NE, CMP_GT, CMP_GE, CMP_LT, CMP_LE };
    const program *p = c->p;
    const rinfo *r = &c->rules[ri];
    dtree t = { NULL, 0, 0 };
    uint32_t test;
    *is_or = false;
    *truth = -1;
    sink b = sink_growing(c->a);
    if (tg_decompile(c, ri, &t, &test, true) != DC_OK) {
        tg_rule_text(p, ri, &b);
        goto done;
    }
    bool loops = tg_has_loops(&t);
    bool known = tg_compute_known(c, ri, tgt, loops);
    rctx x = { c, &t, known ? c->res->regs : NULL, r->block, 0, loops, { 0 }, { NULL }, 0 };
    const insn *i = &p->code[test];
    switch ((enum opcode)i->op) {
    case I_WHERE: {
        int32_t root = tg_dn_get(c, &t, r->block, i->a);
        *truth = dn_truth(&x, root, 0);
        *is_or = render_node(&x, root, &b) == PR_OR;
        break;
    }
    case I_FCMP: {
        uint8_t cmp = (i->t >> 4) & 7, type = i->t & TYPE_MASK;
        int32_t e = tg_dn_get(c, &t, r->block, i->b);
        value sv;
        if (cmp > CMP_GE || !tg_source_value(c, i->a, type, &sv)) {
            tg_rule_text(p, ri, &b);
            break;
        }
        int32_t vi =
            e >= 0 && t.n[e].kind == DN_VAR ? tg_var_of_reg(p, r->block, t.n[e].arg) : -1;
        const pblock *self = &p->blocks[0];
        if (vi >= (int32_t)self->first_var && vi < (int32_t)(self->first_var + self->nvars) &&
            c->whole[vi - (int32_t)self->first_var] >= 0) {
            /* the variable is the whole of a target fact: say it as a rule */
            uint32_t slot = (uint32_t)c->whole[vi - (int32_t)self->first_var];
            tg_put_dstr(&b, prog_str(p, p->slots[slot].name));
            sink_printf(&b, " %s ", rule_ops[rev[cmp]]);
            tg_put_value(&b, &sv);
        } else {
            render_child(&x, e, PR_CMP + 1, &b);
            sink_printf(&b, " %s ", op_text(expr_ops[rev[cmp]]));
            tg_put_literal(&b, &sv);
        }
        break;
    }
    case I_MATCH:
    case I_NMATCH: {
        /* SELF's variables read out of the source's text, when they can be */
        if (tg_capture_text(c, &x, i, &b, truth))
            break;
        const tmpl *tm = &p->tmpls[i->b];
        for (uint32_t k = 0; k < tm->n; k++) {
            const tpart *tp = &p->tparts[tm->first + k];
            if (tp->kind == TP_LIT) {
                tg_put_dstr(&b, prog_str(p, tp->lit));
            } else if (tp->kind == TP_DECL) {
                int32_t vi = tg_var_of_reg(p, r->block, tp->reg);
                sink_put(&b, "{", 1);
                if (vi >= 0)
                    tg_put_dstr(&b, prog_str(p, p->vars[vi].name));
                const char *tn = vtype_name((vtype)tp->type);
                sink_printf(&b, ":%s}", tn ? tn : "?");
            } else {
                int32_t e = tg_dn_get(c, &t, r->block, tp->reg);
                value v;
                if (e >= 0 && tg_dn_value(&x, e, &v)) {
                    tg_put_value(&b, &v);
                } else {
                    sink_put(&b, "{", 1);
                    render_node(&x, e, &b);
                    sink_put(&b, "}", 1);
                }
            }
        }
        const pfact *f = &c->src->slots[i->a];
        sink_puts(&b, i->op == I_MATCH ? " = " : " != ");
        put_quoted(&b, f->raw.p ? f->raw.p : "", f->raw.len);
        break;
    }
    default: tg_rule_text(p, ri, &b); break;
    }
done:
    mem_free(c->a, t.n);
    if (b.failed)
        c->oom = true;
    sink_put(out, sink_str(&b), b.len);
    sink_free(&b);
}
