/* vmlink.c -- the last step of compiling or loading: verified bytecode into
 * the form the VM runs (vm.h's xinsn).
 *
 * The bytecode stays what the verifier, the disassembler and `compatc
 * targets` read: one small instruction per step, RULE markers between
 * rules.  What the VM runs is derived from it here, once per program:
 *
 *   - RULE markers are dropped; each xinsn carries the pc of its rule's
 *     marker instead, so a failure names its rule without a scan;
 *   - common shapes are fused into the superinstructions listed at the end
 *     of opcodes.def (a LOADF and the CHECKT of its register; a comparison
 *     whose result a `where` tests, each term of an `&&` chain one test
 *     that fails the rule; two MAJOR/MINOR/PATCH in a row);
 *   - a WCMP of two int ADD/SUB/MULs' results or of a FIELD2's gets a
 *     WARITH or WFIELD before them: the whole term in one step when its
 *     values are ints (no hex, no overflow), else they run as placed;
 *   - reads of SELF's values are made in place when they all can be;
 *   - FCMP = of a string, int or hex slot gets a body of its own, and so
 *     do FCMP after the LOADK of its constant and MATCH of a template
 *     matched when facts are prepared;
 *   - jumps are re-counted in xinsns.
 *
 * A fused instruction does exactly what its parts did, in their order: it
 * writes the same registers, and fails with the same record.  Fusion never
 * swallows an instruction a jump lands on.  tests/test_vm.c runs programs
 * fused and unfused and compares every outcome. */
#include <string.h>

#include "vm.h"

/* The bytes vm_translate needs: the xinsns (at most one per instruction),
 * one entry per block, a map from pc to xinsn (ncode + 1), and the xinsns
 * again, reading SELF's values in the registers (xcode_regs). */
size_t vm_xcode_size(const program *p)
{
    return (size_t)(p->ncode + 1) * sizeof(xinsn) * 2 +
           (size_t)(p->nblocks + 1) * sizeof(uint32_t) +
           (size_t)(p->ncode + 1) * sizeof(uint32_t);
}

/* at: the pc of the instruction the xinsn stands for (for CONV, FIELDT and
 * jumps; its operands are rewritten by place()) */
static xinsn mk(uint8_t op, uint8_t t, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
                uint32_t at)
{
    return (xinsn){ .op = op, .t = t, .a = a, .b = b, .c = c, .d = d, .fo = at, .self = 0 };
}

static bool is_cmp(uint8_t op)
{
    return op == I_EQ || op == I_NE || op == I_LT || op == I_LE || op == I_GT || op == I_GE;
}

static uint8_t cmp_of(uint8_t op)
{
    switch (op) {
    case I_EQ: return CMP_EQ;
    case I_NE: return CMP_NE;
    case I_LT: return CMP_LT;
    case I_LE: return CMP_LE;
    case I_GT: return CMP_GT;
    default: return CMP_GE;
    }
}

typedef struct linker {
    const program *p;
    const insn *code;
    uint32_t end;     /* of the block */
    uint32_t *target; /* target[pc]: how many live jumps land on pc */
} linker;

/* Can instruction pc be swallowed by a superinstruction that starts
 * before it? */
static bool inner(const linker *l, uint32_t pc)
{
    return pc < l->end && !l->target[pc];
}

/* Does `JF w` at pc fail its rule whenever it jumps?  It does when its
 * target, in the same rule, is `WHERE w`, or MOVEs copying w on (`MOVE w2,
 * w`, `MOVE w3, w2` ...) and then a WHERE of the last copy or a JF of it
 * that fails so in turn: the jumps of an `&&` chain, each level's result
 * register copied up to the next (compile.c).  A superinstruction that
 * swallows the JF calls drop_jump: the instruction it lands on may then be
 * fused in turn when no other jump lands on it.  The MOVEs on the jump's
 * way are then not run: they only copy a false into temporaries of a rule
 * that fails, which nothing reads (a reason shows variables). */
static bool jf_fails(const linker *l, uint32_t pc, uint16_t w)
{
    while (pc < l->end && l->code[pc].op == I_JF && l->code[pc].a == w) {
        uint32_t to = pc + 1 + l->code[pc].b;
        if (to >= l->end)
            return false;
        for (uint32_t k = pc + 1; k < to; k++)
            if (l->code[k].op == I_RULE)
                return false;
        for (; to < l->end && l->code[to].op == I_MOVE && l->code[to].b == w; to++)
            w = l->code[to].a;
        if (to < l->end && l->code[to].op == I_WHERE)
            return l->code[to].a == w;
        pc = to;
    }
    return false;
}

static void drop_jump(const linker *l, uint32_t pc)
{
    l->target[pc + 1 + l->code[pc].b]--;
}

/* The superinstruction starting at pc, if any: fills *x and returns how
 * many instructions it stands for (0: none).  *e: a fifth register operand
 * (WCMP's second copy), when there is one. */
static uint32_t fuse(const linker *l, uint32_t pc, xinsn *x, uint32_t *e)
{
    const insn *i = &l->code[pc], *j = inner(l, pc + 1) ? &l->code[pc + 1] : NULL;
    switch ((enum opcode)i->op) {
    case I_LOADF:
        if (j && j->op == I_CHECKT && j->a == i->a) {
            const ctable *ct = j->b < l->p->nctables ? &l->p->ctables[j->b] : NULL;
            if ((i->t & TYPE_MASK) == VT_INT && ct && ct->kind == CT_INT && ct->small &&
                ct->bitmap <= UINT32_MAX)
                *x = mk(I_LOADFB, i->t, i->a, i->b, j->b, (uint32_t)ct->bitmap, pc + 1);
            else
                *x = mk(I_LOADFT, i->t, i->a, i->b, j->b, 0, pc + 1);
            return 2;
        }
        return 0;
    case I_LOADK:
        /* `field >= 2`: a slot compared with a constant */
        if (j && j->op == I_FCMP && j->b == i->a) {
            *x = mk(I_FCMPK, j->t, j->a, i->a, i->b, 0, pc + 1);
            return 2;
        }
        return 0;
    case I_FCMP: {
        /* `field = {var}`: an equality of a string, int or hex slot */
        uint8_t type = i->t & TYPE_MASK;
        if (((i->t >> 4) & 7) != CMP_EQ)
            return 0;
        uint8_t op = type == VT_STRING ? I_FCMPS
                     : type == VT_INT  ? I_FCMPI
                     : type == VT_HEX  ? I_FCMPH
                                       : I_FCMP;
        *x = mk(op, i->t, i->a, i->b, 0, 0, pc);
        return 1;
    }
    case I_MATCH:
        if (i->b < l->p->ntmpls && vm_prematchable(l->p, &l->p->tmpls[i->b])) {
            *x = mk(I_PMATCH, i->t, i->a, i->b, 0, 0, pc);
            return 1;
        }
        return 0;
    case I_JF:
        if (jf_fails(l, pc, i->a)) {
            *x = mk(I_WHEREF, 0, i->a, 0, 0, 0, pc + 1 + i->b);
            drop_jump(l, pc);
            return 1;
        }
        return 0;
    case I_MAJOR:
    case I_MINOR:
    case I_PATCH:
        if (j && j->op == i->op) {
            uint8_t which = i->op == I_MAJOR ? 0 : i->op == I_MINOR ? 1 : 2;
            *x = mk(I_FIELD2, which, i->a, i->b, j->a, j->b, pc + 1);
            return 2;
        }
        return 0;
    default: break;
    }
    if (!is_cmp(i->op) || !j)
        return 0;
    /* a comparison tested by a where: directly, or through the MOVEs (up
     * to two) of an && or || chain's result registers */
    uint16_t w[3] = { i->a, i->a, i->a };
    uint32_t nm = 0;
    while (nm < 2 && inner(l, pc + 1 + nm) && l->code[pc + 1 + nm].op == I_MOVE &&
           l->code[pc + 1 + nm].b == w[nm]) {
        w[nm + 1] = l->code[pc + 1 + nm].a;
        nm++;
    }
    for (;; nm--) {
        uint32_t at = pc + 1 + nm;
        uint16_t d = w[nm > 0 ? 1 : 0], last = w[nm];
        if (inner(l, at) && l->code[at].op == I_WHERE && l->code[at].a == last) {
            *x = mk(I_WCMP, cmp_of(i->op), i->a, i->b, i->c, d, at);
            *e = last;
            return nm + 2;
        }
        if (inner(l, at) && jf_fails(l, at, last)) {
            *x = mk(I_WCMP, cmp_of(i->op), i->a, i->b, i->c, d, at + 1 + l->code[at].b);
            *e = last;
            drop_jump(l, at);
            return nm + 2;
        }
        if (nm == 0)
            return 0;
    }
}

/* Finish an xinsn of block pb whose rule starts at rp (its RULE, or the
 * block's entry when there is none): its rule, and registers as byte
 * offsets. */
static void place(const program *p, const pblock *pb, uint32_t rp, xinsn *x)
{
    bool in_rule = p->code[rp].op == I_RULE;
    x->rule = in_rule ? (int32_t)(pb->first_rule + p->code[rp].a) : -1;
    x->since = in_rule ? rp + 1 : pb->entry;
    uint32_t at = x->fo;
    x->side = (x->t & SIDE_SOURCE) != 0;
    if (x->op == I_CONV || x->op == I_FIELDT)
        x->d = at + 1;
    /* a jump's target pc, until vm_translate maps it */
    int j = op_find(x->op, 'J'), bk = op_find(x->op, 'B');
    if (j == 1)
        x->b = at + 1 + x->b;
    else if (j == 2)
        x->c = at + 1 + x->c;
    if (bk == 2)
        x->c = at - x->c;
    x->fo = 0;
    uint32_t *field[4] = { &x->a, &x->b, &x->c, &x->d };
    const char *kinds = op_roles[x->op];
    for (int k = 0; k < 4 && kinds && kinds[k]; k++) {
        if (role_is_reg(kinds[k]))
            *field[k] *= (uint32_t)sizeof(value);
        else if (kinds[k] == 'S')
            x->fo = *field[k] * (uint32_t)sizeof(pfact);
    }
}

/* A source fact at byte offset fo of the slots that a COMPATIBLE block
 * reads: remembered once, for the check to fetch its line early. */
static void note_source(program *p, uint32_t *n, uint32_t fo)
{
    for (uint32_t k = 0; k < *n; k++)
        if (p->xsrc[k] == fo)
            return;
    if (*n < sizeof p->xsrc / sizeof p->xsrc[0])
        p->xsrc[(*n)++] = fo;
}

/* ------------------------------------------------------------ SELF in place
 *
 * COMPATIBLE blocks read SELF's variables and never write them (the
 * verifier refuses it), and SELF's variables are of their declared types
 * whenever SELF holds (the verifier proves it of every path to SELF's OK).
 * So where a check has them packed (value_pack, registers 0, 1, ... in
 * order: a prepared target, a fleet record), each one is at a byte offset
 * known now, and an instruction can read it there rather than the check
 * first unpacking every one into the registers (docs/performance.md,
 * "Round 5").  The instructions that can, and which of their operands: */
static uint8_t self_operands(uint8_t op)
{
    switch (op) {
    case I_FCMP:
    case I_FCMPS:
    case I_FCMPI:
    case I_FCMPH:
    case I_MAJOR:
    case I_MINOR:
    case I_PATCH: return XS_B;
    case I_ADD:
    case I_SUB:
    case I_MUL:
    case I_DIV:
    case I_MOD:
    case I_LT:
    case I_LE:
    case I_GT:
    case I_GE:
    case I_EQ:
    case I_NE:
    case I_WCMP: return XS_B | XS_C;
    case I_FIELD2: return XS_B | XS_D;
    default: return 0;
    }
}

/* Does template t compare a span with one of registers 0 .. nself? */
static bool tmpl_reads_self(const program *p, uint32_t t, uint32_t nself)
{
    if (t >= p->ntmpls)
        return true;
    for (uint32_t k = 0; k < p->tmpls[t].n; k++) {
        const tpart *tp = &p->tparts[p->tmpls[t].first + k];
        if (tp->kind == TP_CMP && tp->reg < nself)
            return true;
    }
    return false;
}

/* Each read of a SELF variable in the COMPATIBLE blocks' xinsns [from, n)
 * made in place, when every one of them can be: true then.  Else nothing
 * changes (the check unpacks them, as before). */
static bool self_in_place(program *p, xinsn *out, uint32_t from, uint32_t n)
{
    if (p->nblocks < 2)
        return false;
    const pblock *self = &p->blocks[0];
    uint32_t nself = self->nvars, off[XS_MAX_VARS], at = 0;
    if (nself == 0 || nself > XS_MAX_VARS)
        return false;
    for (uint32_t k = 0; k < nself; k++) {
        const var *v = &p->vars[self->first_var + k];
        if (v->reg != k)
            return false;
        off[k] = at;
        at += (uint32_t)packed_bytes(v->type);
    }
    const uint32_t vsz = (uint32_t)sizeof(value), limit = nself * vsz;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t k = from; k < n; k++) {
            xinsn *x = &out[k];
            const char *roles = op_roles[x->op];
            uint32_t *field[4] = { &x->a, &x->b, &x->c, &x->d };
            uint8_t can = self_operands(x->op);
            if ((x->op == I_MATCH || x->op == I_NMATCH || x->op == I_PMATCH) &&
                tmpl_reads_self(p, x->b, nself))
                return false;
            for (int j = 0; j < 4 && roles && roles[j]; j++) {
                if (roles[j] != 'R' || *field[j] >= limit)
                    continue;
                uint8_t bit = j == 1 ? XS_B : j == 2 ? XS_C : j == 3 ? XS_D : 0;
                if (!(can & bit))
                    return false;
                if (pass == 1) {
                    *field[j] = off[*field[j] / vsz];
                    x->self |= bit;
                }
            }
        }
    }
    return true;
}

static bool is_int_arith(uint8_t op)
{
    return op == I_ADD || op == I_SUB || op == I_MUL;
}

/* `x * y == z * w` (ADD, SUB or MUL on each side): WCMP x, about to be
 * placed at out[*xi], compares the results of the two arithmetic xinsns
 * just placed, of its rule, the second not reading the first's result.
 * Then a WARITH goes before them: the three in one step when their
 * operands are ints (vm.c), else it steps on to them.  They stay as they
 * are, so a jump landing on any of them and every failure run as before;
 * map[vpc] (the second's pc) follows it one xinsn on. */
static void arith_pair(xinsn *out, uint32_t *xi, const xinsn *x, uint32_t *map, uint32_t vpc,
                       uint32_t from)
{
    if (*xi < from + 2)
        return;
    xinsn *u = &out[*xi - 2], *v = &out[*xi - 1];
    if (!is_int_arith(u->op) || !is_int_arith(v->op) || u->rule != x->rule ||
        v->rule != x->rule || x->b != u->a || x->c != v->a || u->a == v->a || v->b == u->a ||
        v->c == u->a)
        return;
    out[*xi] = *v;
    out[*xi - 1] = *u;
    *u = (xinsn){ .op = I_WARITH,
                  .t = out[*xi].op == I_MUL && out[*xi - 1].op == I_MUL ? WARITH_MULS : 0,
                  .rule = x->rule,
                  .since = x->since };
    map[vpc] = *xi;
    (*xi)++;
}

/* `major(x) == major(y)`: WCMP x, about to be placed at out[*xi],
 * compares the two results of the FIELD2 just placed, of its rule.  Then a
 * WFIELD goes before it, as WARITH does before arithmetic (arith_pair). */
static void field_pair(xinsn *out, uint32_t *xi, const xinsn *x, uint32_t from)
{
    if (*xi < from + 1)
        return;
    xinsn *g = &out[*xi - 1];
    if (g->op != I_FIELD2 || g->rule != x->rule || x->b != g->a || x->c != g->c ||
        g->a == g->c || g->d == g->a)
        return;
    out[*xi] = *g;
    *g = (xinsn){ .op = I_WFIELD, .rule = x->rule, .since = x->since };
    (*xi)++;
}

void vm_translate(program *p, void *buf, bool fused)
{
    xinsn *out = buf;
    uint32_t *entry = (uint32_t *)(out + p->ncode + 1);
    uint32_t *map = entry + p->nblocks + 1;
    const insn *code = p->code;
    /* first how many jumps land on each pc, then, as instructions are
     * placed, the xinsn each pc starts (jumps only go forward: a count is
     * read before its pc is placed) */
    memset(map, 0, (p->ncode + 1) * sizeof *map);
    for (uint32_t pc = 0; pc < p->ncode; pc++) {
        const insn *i = &code[pc];
        int j = op_find(i->op, 'J'), bk = op_find(i->op, 'B');
        uint32_t to = j == 1    ? pc + 1 + i->b
                      : j == 2  ? pc + 1 + i->c
                      : bk == 2 ? pc - i->c
                                : UINT32_MAX;
        if (to != UINT32_MAX)
            map[to <= p->ncode ? to : p->ncode]++;
    }
    uint32_t xi = 0, last_pc = 0;
    p->xreads_target = false;
    uint32_t nsrc = 0;
    for (uint32_t b = 0; b < p->nblocks; b++) {
        const pblock *pb = &p->blocks[b];
        linker l = { p, code, pb->end, map };
        uint32_t rp = pb->entry;
        entry[b] = xi;
        for (uint32_t pc = pb->entry; pc < pb->end && pc < p->ncode;) {
            const insn *i = &code[pc];
            xinsn x;
            uint32_t n = 0, e = UINT32_MAX;
            if (i->op == I_RULE) {
                rp = pc;
                map[pc++] = xi;
                continue;
            }
            if (fused)
                n = fuse(&l, pc, &x, &e);
            if (n == 0) {
                x = mk(i->op, i->t, i->a, i->b, i->c, 0, pc);
                n = 1;
            }
            place(p, pb, rp, &x);
            if (x.op == I_WCMP) /* its second copy: R[fo] = R[a] */
                x.fo = (e != UINT32_MAX ? e : x.a / (uint32_t)sizeof(value)) *
                       (uint32_t)sizeof(value);
            if (b > 0 && !(x.t & SIDE_SOURCE) &&
                (op_find(x.op, 'S') >= 0 || op_find(x.op, 'X') >= 0 || op_find(x.op, 'C') >= 0))
                p->xreads_target = true;
            if (b > 0 && (x.t & SIDE_SOURCE) && op_find(x.op, 'S') >= 0)
                note_source(p, &nsrc, x.fo);
            if (fused && x.op == I_WCMP) {
                arith_pair(out, &xi, &x, map, last_pc, entry[b]);
                field_pair(out, &xi, &x, entry[b]);
            }
            last_pc = pc;
            for (uint32_t k = 0; k < n; k++)
                map[pc + k] = xi;
            out[xi++] = x;
            pc += n;
        }
    }
    for (uint32_t k = nsrc; k < sizeof p->xsrc / sizeof p->xsrc[0]; k++)
        p->xsrc[k] = nsrc ? p->xsrc[0] : 0;
    map[p->ncode] = xi;
    entry[p->nblocks] = xi;
    /* after the last: code that runs off its end fails (unreachable for
     * verified code, which ends every block with OK) */
    out[xi] = mk(I_FAIL, 0, 0, 0, 0, 0, p->ncode ? p->ncode - 1 : 0);
    out[xi].rule = -1;
    /* jumps, in xinsns: forward ones count from the next, backward ones
     * (AGAIN) back from this one */
    for (uint32_t k = 0; k < xi; k++) {
        xinsn *x = &out[k];
        int j = op_find(x->op, 'J'), bk = op_find(x->op, 'B');
        uint32_t *field = j == 1 ? &x->b : j == 2 ? &x->c : bk == 2 ? &x->c : NULL;
        if (!field)
            continue;
        uint32_t to = *field;
        uint32_t xt = map[to <= p->ncode ? to : p->ncode];
        if (j >= 0)
            *field = xt > k ? xt - k - 1 : 0;
        else
            *field = xt <= k ? k - xt : 0;
    }
    /* the code as it is, for callers with SELF's values in the registers;
     * then, when it can, p->xcode reading them in place */
    xinsn *regs = (xinsn *)(map + p->ncode + 1);
    memcpy(regs, out, (xi + 1) * sizeof *out);
    p->xinplace = fused && self_in_place(p, out, entry[p->nblocks > 1 ? 1 : 0], xi);
    p->xcode_regs = p->xinplace ? regs : NULL;
    p->xcode = out;
    p->xentry = entry;
    p->nxcode = xi;
}

bool vm_link(program *p)
{
    void *buf = mem_alloc(p->alloc, vm_xcode_size(p));
    if (!buf)
        return false;
    mem_free(p->alloc, p->xcode);
    vm_translate(p, buf, true);
    return true;
}
