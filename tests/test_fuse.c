/* test_fuse.c -- the VM runs superinstructions (vmlink.c) that must do
 * exactly what the instructions they fuse do.  Every policy and pair here is
 * checked twice, with the program fused and unfused, and everything a user
 * can read of the outcome must be the same: the verdict, the block, the
 * bindings, every reason, the explanation, and the batch verdicts -- and
 * a fleet of the same targets gives the batch's verdicts.
 *
 * The inputs: the fuzz_check corpus (policies and devices AFL kept for
 * reaching new code), and the shipped policies against the shipped facts,
 * mutated at random with values taken from each policy's own constants and
 * templates (fixed seed); and templates matched beforehand against the
 * same matched when checking.  And dc_check's own way for its common case
 * against run()'s, which every other case takes (check_ways_equal). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "vm.h"
#include "helpers.h"

#ifndef DC_SRCDIR
#define DC_SRCDIR "."
#endif

/* ------------------------------------------------------------ outcomes */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    if (!b->p) {
        b->cap = 256;
        b->p = malloc(b->cap);
        cr_assert_not_null(b->p);
    }
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        cr_assert_geq(n, 0);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
}

static const char *str(const char *s)
{
    return s ? s : "(null)";
}

static unsigned records_packed, records_unpacked; /* fleet records seen */

/* r's bindings, reasons and explanation, as text. */
static void put_read(dc_result *r, sbuf *out)
{
    dc_verdict verdict = dc_result_verdict(r);
    int32_t block = dc_result_block(r);
    for (size_t i = 0; i < dc_result_binding_count(r); i++) {
        dc_binding bd = DC_BINDING_INIT;
        cr_assert_eq(dc_result_binding_get(r, i, &bd), DC_OK);
        put(out, "bind %s = %s\n", str(bd.name), str(bd.text));
    }
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason rs = DC_REASON_INIT;
        cr_assert_eq(dc_result_reason_get(r, i, &rs), DC_OK);
        put(out, "reason %d %s:%u %s | %s | %s | %s\n", (int)rs.block, str(rs.file), rs.line,
            str(rs.field), str(rs.expected), str(rs.actual), str(rs.message));
    }
    put(out, "%s\n", str(explanation(r)));
    /* a reason runs its block again: the verdict stays */
    cr_assert_eq(dc_result_verdict(r), verdict, "the verdict changed by reading the reasons");
    cr_assert_eq(dc_result_block(r), block, "the block changed by reading the reasons");
}

/* Everything a user reads of checking s against t, as text. */
static void outcome(const dc_policy *pol, const dc_facts *s, const dc_facts *t, sbuf *out)
{
    dc_prepared *ps = NULL, *pt = NULL;
    dc_error err;
    out->len = 0;
    put(out, "%s", "");
    if (dc_prepare(pol, s, &ps, &err) != DC_OK || dc_prepare(pol, t, &pt, &err) != DC_OK) {
        put(out, "prepare: %s\n", err.message);
        dc_prepared_free(ps);
        return;
    }
    dc_result *r = new_result(pol);
    cr_assert_not_null(r);
    cr_assert_eq(dc_check(pol, ps, pt, r), DC_OK);
    put(out, "verdict %d block %d\n", (int)dc_result_verdict(r), (int)dc_result_block(r));
    put_read(r, out);
    const dc_prepared *targets[2] = { pt, ps };
    dc_verdict v[2];
    int32_t blk[2];
    cr_assert_eq(dc_check_batch(pol, ps, targets, 2, v, blk), DC_OK);
    put(out, "batch %d %d %d %d\n", (int)v[0], (int)blk[0], (int)v[1], (int)blk[1]);
    /* a fleet of the same targets agrees with the batch */
    dc_fleet *fl = NULL;
    cr_assert_eq(dc_fleet_new(pol, targets, 2, &fl, &err), DC_OK, "%s", err.message);
    const frec *first = (const frec *)fl->recs; /* pt's record */
    records_packed += first->packed && first->holds;
    records_unpacked += !first->packed;
    dc_verdict fv[2];
    int32_t fb[2];
    cr_assert_eq(dc_check_fleet(pol, ps, fl, fv, fb), DC_OK);
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(fv[k], v[k], "fleet verdict %d differs from the batch's", k);
        cr_assert_eq(fb[k], blk[k], "fleet block %d differs from the batch's", k);
    }
    dc_fleet_free(fl);
    dc_result_free(r);
    dc_prepared_free(ps);
    dc_prepared_free(pt);
}

/* Superinstructions seen in the fused programs checked, by opcode. */
static unsigned seen[I__ALL];
static unsigned pairs_compared, pairs_compatible;

/* Check s against t fused and unfused; the outcomes must be identical. */
static void compare(dc_policy *pol, const dc_facts *s, const dc_facts *t, const char *what)
{
    program *p = &pol->prog;
    sbuf fused = { 0 }, plain = { 0 };
    outcome(pol, s, t, &fused);
    xinsn *keep = p->xcode;
    uint32_t *keep_entry = p->xentry, keep_n = p->nxcode;
    bool keep_inplace = p->xinplace;
    xinsn *keep_regs = p->xcode_regs;
    void *buf = malloc(vm_xcode_size(p));
    cr_assert_not_null(buf);
    vm_translate(p, buf, false);
    for (uint32_t k = 0; k < p->nxcode; k++)
        cr_assert_lt(p->xcode[k].op, I__COUNT, "unfused code holds a superinstruction");
    outcome(pol, s, t, &plain);
    p->xcode = keep;
    p->xentry = keep_entry;
    p->nxcode = keep_n;
    p->xinplace = keep_inplace;
    p->xcode_regs = keep_regs;
    free(buf);
    cr_assert_str_eq(fused.p, plain.p,
                     "%s: fused and unfused differ\n--- fused\n%s--- unfused\n%s", what,
                     fused.p, plain.p);
    /* templates matched when checking, none beforehand (vm_prematch against
     * the VM's own match) */
    bool was[64];
    uint32_t nt = p->ntmpls < 64 ? p->ntmpls : 64;
    for (uint32_t k = 0; k < nt; k++) {
        was[k] = pol->prep_tmpls[k].prematch;
        pol->prep_tmpls[k].prematch = false;
    }
    outcome(pol, s, t, &plain);
    for (uint32_t k = 0; k < nt; k++)
        pol->prep_tmpls[k].prematch = was[k];
    if (nt == p->ntmpls)
        cr_assert_str_eq(fused.p, plain.p,
                         "%s: pre-matched and live templates differ\n--- pre-matched\n%s"
                         "--- live\n%s",
                         what, fused.p, plain.p);
    pairs_compared++;
    pairs_compatible += strncmp(fused.p, "verdict 0 ", 10) == 0;
    free(fused.p);
    free(plain.p);
}

/* Reads of SELF's values in place (vmlink.c), in the fused programs. */
static unsigned self_in_place;

/* How many xinsns of program p's fused code are op. */
static unsigned count_op(const program *p, unsigned op)
{
    unsigned n = 0;
    for (uint32_t k = 0; k < p->nxcode; k++)
        n += p->xcode[k].op == op;
    return n;
}

static void count_supers(const program *p)
{
    for (uint32_t k = 0; k < p->nxcode; k++) {
        seen[p->xcode[k].op]++;
        self_in_place += (unsigned)__builtin_popcount(p->xcode[k].self);
    }
}

/* ------------------------------------------------------------ inputs */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: cannot open", path);
    sbuf b = { 0 };
    char chunk[4096];
    size_t n;
    b.cap = 1;
    b.p = malloc(1);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        b.p = realloc(b.p, b.len + n + 1);
        memcpy(b.p + b.len, chunk, n);
        b.len += n;
    }
    fclose(f);
    b.p[b.len] = '\0';
    *len = b.len;
    return b.p;
}

static dc_facts *device(const char *text, size_t len)
{
    dc_facts *f = NULL;
    dc_error err;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n'))
        i++;
    bool yaml =
        (i < len && text[i] == '{') || (len - i >= 3 && memcmp(text + i, "---", 3) == 0);
    dc_status st = yaml ? dc_facts_parse_yaml("dev.yaml", text, len, &f, &err)
                        : dc_facts_parse_text("dev.kv", text, len, &f, &err);
    return st == DC_OK ? f : new_facts(NULL);
}

/* A fuzz_check input: policy, source, target separated by "\n%%\n". */
static void corpus_file(const char *path)
{
    size_t len;
    char *data = slurp(path, &len);
    const char *part[3] = { data, "", "" };
    size_t plen[3] = { len, 0, 0 };
    const char *p = data, *end = data + len;
    for (int k = 0; k < 2; k++) {
        const char *hit = NULL;
        for (const char *q = p; q + 4 <= end; q++)
            if (memcmp(q, "\n%%\n", 4) == 0) {
                hit = q;
                break;
            }
        if (!hit)
            break;
        plen[k] = (size_t)(hit - part[k]);
        part[k + 1] = p = hit + 4;
        plen[k + 1] = (size_t)(end - p);
    }
    dc_policy *pol = NULL;
    if (dc_policy_compile("fuzz.compat", part[0], plen[0], &pol, NULL, NULL) == DC_OK) {
        dc_facts *s = device(part[1], plen[1]), *t = device(part[2], plen[2]);
        cr_assert(s && t);
        count_supers(&pol->prog);
        compare(pol, s, t, path);
        compare(pol, t, s, path);
        dc_facts_free(s);
        dc_facts_free(t);
        dc_policy_free(pol);
    }
    free(data);
}

Test(fuse, corpus_fused_equals_unfused)
{
    const char *dir = DC_SRCDIR "/fuzz/corpus/fuzz_check";
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s: cannot open", dir);
    struct dirent *e;
    unsigned files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        corpus_file(path);
        files++;
    }
    closedir(d);
    cr_log_info("%u files, %u pairs compared, %u compatible; fleet records: %u packed, "
                "%u not",
                files, pairs_compared, pairs_compatible, records_packed, records_unpacked);
    cr_expect_gt(records_packed, 0);
    cr_expect_gt(records_unpacked, 0, "no corpus target needed a record that is not packed");
    cr_assert_gt(files, 100, "the corpus is missing (%u files)", files);
    cr_assert_gt(pairs_compared, 100);
    /* not vacuous: every superinstruction ran in some program */
    for (int op = I__COUNT; op < I__ALL; op++)
        cr_expect_gt(seen[op], 0, "superinstruction %d never fused in the corpus", op);
    cr_expect_gt(self_in_place, 0, "no corpus program read SELF's values in place");
}

/* ------------------------------------------------------------ mutations */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Values worth trying for a policy: its string constants, its templates'
 * literals followed by small numbers, and numbers, versions and sets. */
static char **vocabulary(const program *p, size_t *n)
{
    static const char *const common[] = {
        "",
        "0",
        "1",
        "2",
        "3",
        "4",
        "7",
        "8",
        "16",
        "-1",
        "0x10",
        "0x1912",
        "0xffffffffffffffff",
        "9223372036854775807",
        "1.0.0",
        "1.2.3",
        "2.0.0",
        "2.1.1",
        "3.0.0",
        "1.2.3-beta",
        "true",
        "false",
        "a,b",
        "x",
        "vfio-pci",
        "i915-GVTg_V5_4",
        "i915-GVTg_V5_9",
    };
    size_t cap = 64, k = 0;
    char **v = malloc(cap * sizeof *v);
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        v[k++] = strdup(common[i]);
    for (uint32_t i = 0; i < p->nconsts; i++) {
        if (p->consts[i].type != VT_STRING)
            continue;
        if (k + 1 >= cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[k++] = strndup(p->consts[i].as.s.p, p->consts[i].as.s.len);
    }
    for (uint32_t i = 0; i < p->ntparts; i++) {
        if (p->tparts[i].kind != TP_LIT)
            continue;
        dstr lit = prog_str(p, p->tparts[i].lit);
        for (int num = 0; num < 10; num += 3) {
            if (k + 1 >= cap)
                v = realloc(v, (cap *= 2) * sizeof *v);
            char buf[512];
            snprintf(buf, sizeof buf, "%.*s%d", (int)lit.len, lit.p, num == 9 ? 8 : num);
            v[k++] = strdup(buf);
        }
    }
    *n = k;
    return v;
}

/* A copy of f with up to three facts of the policy's slots changed,
 * removed or added. */
static dc_facts *mutate(const dc_facts *f, const program *p, char **vocab, size_t nvocab)
{
    dc_facts *m = new_facts(NULL);
    uint32_t drop = p->nslots ? rnd(p->nslots * 3) : UINT32_MAX;
    for (size_t i = 0; i < dc_facts_count(f); i++) {
        const char *name = dc_facts_name(f, i);
        bool change = false;
        for (uint32_t s = 0; s < p->nslots; s++)
            if (s == drop && prog_str(p, p->slots[s].name).len == strlen(name) &&
                memcmp(prog_str(p, p->slots[s].name).p, name, strlen(name)) == 0)
                change = true;
        if (!change) {
            const char *val = dc_facts_value(f, i);
            cr_assert_eq(dc_facts_add(m, name, val, strlen(val), NULL), DC_OK);
        }
    }
    for (uint32_t k = rnd(4); k > 0 && p->nslots; k--) {
        dstr name = prog_str(p, p->slots[rnd(p->nslots)].name);
        char nm[512];
        snprintf(nm, sizeof nm, "%.*s", (int)name.len, name.p);
        if (dc_facts_lookup(m, nm))
            continue;
        {
            const char *val = vocab[rnd((uint32_t)nvocab)];
            (void)dc_facts_add(m, nm, val, strlen(val), NULL);
        }
    }
    return m;
}

Test(fuse, shipped_policies_mutated_facts)
{
    static const char *const policies[] = {
        "policies/gvt-share.compat", "policies/versioning.compat",
        "policies/vfio-ccw.compat",  "policies/device-model.compat",
        "bench/share.compat",
    };
    /* every shipped facts file is a base for every policy */
    const char *dir = DC_SRCDIR "/policies";
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    dc_facts *base[64];
    size_t nbase = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nbase < 64) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 3, ".kv") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        dc_error err;
        cr_assert_eq(dc_facts_read_file(path, &base[nbase], &err), DC_OK, "%s", err.message);
        nbase++;
    }
    closedir(d);
    cr_assert_geq(nbase, 10);
    for (size_t k = 0; k < sizeof policies / sizeof policies[0]; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", DC_SRCDIR, policies[k]);
        size_t len;
        char *text = slurp(path, &len);
        dc_policy *pol = NULL;
        cr_assert_eq(dc_policy_compile(path, text, len, &pol, NULL, NULL), DC_OK, "%s", path);
        count_supers(&pol->prog);
        size_t nvocab;
        char **vocab = vocabulary(&pol->prog, &nvocab);
        unsigned before = pairs_compatible;
        for (size_t a = 0; a < nbase; a++)
            for (size_t b = 0; b < nbase; b++) {
                compare(pol, base[a], base[b], path);
                for (int r = 0; r < 8; r++) {
                    dc_facts *s = mutate(base[a], &pol->prog, vocab, nvocab);
                    dc_facts *t = mutate(base[b], &pol->prog, vocab, nvocab);
                    compare(pol, s, t, path);
                    dc_facts_free(s);
                    dc_facts_free(t);
                }
            }
        if (strstr(path, "versioning") == NULL && strstr(path, "vfio-ccw") == NULL)
            cr_expect_gt(pairs_compatible, before, "%s: no compatible pair was compared", path);
        for (size_t i = 0; i < nvocab; i++)
            free(vocab[i]);
        free(vocab);
        free(text);
        dc_policy_free(pol);
    }
    for (size_t i = 0; i < nbase; i++)
        dc_facts_free(base[i]);
    cr_log_info("%zu bases, %u pairs compared, %u compatible; fused: %u WCMP, %u FIELD2, "
                "%u FCMPS, %u LOADFT",
                nbase, pairs_compared, pairs_compatible, seen[I_WCMP], seen[I_FIELD2],
                seen[I_FCMPS], seen[I_LOADFT]);
    cr_assert_gt(seen[I_WCMP], 0);
    cr_assert_gt(seen[I_FIELD2], 0);
    cr_assert_gt(seen[I_FCMPS], 0);
    cr_assert_gt(self_in_place, 0);
}

/* ------------------------------------------------------------ && chains */

/* `where` conditions of && chains of every shape the compiler nests (left,
 * right, under || and !, with a set test) are fused by vmlink.c into one
 * test-and-fail per term: the jumps and result copies of the chain go.
 * Every term fails in turn over the pairs below (each fact 0..3). */
static const char chains[] =
    "POLICY:\n"
    "    name = chains\n"
    "SELF:\n"
    "    a = {ta:int}\n"
    "    b = {tb:int}\n"
    "    f = {tf:set}\n"
    "COMPATIBLE left:\n"
    "    a = {x:int}\n"
    "    b = {y:int}\n"
    "    where x == ta && y >= tb && x * y != 2 && x + y <= ta + tb\n"
    "COMPATIBLE right:\n"
    "    a = {x:int}\n"
    "    b = {y:int}\n"
    "    where x != 0 && (y != ta && (x < y && y - x <= tb))\n"
    "COMPATIBLE mixed:\n"
    "    a = {x:int}\n"
    "    where (x == 1 || ta == 2) && !(x == tb) && x < 3 && has(source.b)\n"
    "    where x >= 0 && subset(set(source.f), tf) && ta <= 2\n"
    "COMPATIBLE ors:\n"
    "    a = {x:int}\n"
    "    where x == 3 || x == ta && tb == 1 || x > 2 && ta > 2\n";

Test(fuse, where_chains_fused_equals_unfused)
{
    dc_policy *pol = NULL;
    dc_diags *diags = NULL;
    cr_assert_eq(
        dc_policy_compile("chains.compat", chains, sizeof chains - 1, &pol, &diags, NULL),
        DC_OK);
    dc_diags_free(diags);
    const program *p = &pol->prog;
    /* block "left": four terms, four fused tests, no jump or copy left */
    unsigned tests = 0;
    for (uint32_t k = p->xentry[1]; k < p->xentry[2]; k++) {
        cr_assert(p->xcode[k].op != I_JF && p->xcode[k].op != I_MOVE &&
                      p->xcode[k].op != I_WHERE,
                  "block left: instruction %u is %u, not fused", k, p->xcode[k].op);
        tests += p->xcode[k].op == I_WCMP;
    }
    cr_assert_eq(tests, 4);
    static const char *const sets[] = { "", "x", "x,y", "y" };
    unsigned before = pairs_compared;
    for (unsigned v = 0; v < 4 * 4 * 4 * 4 * 4; v++) {
        unsigned sa = v % 4, sb = v / 4 % 4, ta = v / 16 % 4, tb = v / 64 % 4, fs = v / 256;
        char st[64], tt[64];
        snprintf(st, sizeof st, "a=%u\nb=%u\nf=%s\n", sa, sb, sets[fs]);
        snprintf(tt, sizeof tt, "a=%u\nb=%u\nf=%s\n", ta, tb, sets[(fs + v) % 4]);
        dc_facts *s = NULL, *t = NULL;
        cr_assert_eq(dc_facts_parse_text("s.kv", st, strlen(st), &s, NULL), DC_OK);
        cr_assert_eq(dc_facts_parse_text("t.kv", tt, strlen(tt), &t, NULL), DC_OK);
        compare(pol, s, t, "chains");
        dc_facts_free(s);
        dc_facts_free(t);
    }
    cr_assert_eq(pairs_compared - before, 1024);
    dc_policy_free(pol);
}

/* ------------------------------------------------------------ templates */

/* A template of literals and declarations (no set, no {expr}) is matched
 * when a device is prepared (vm_prematch, with a short way for the common
 * `prefix{n:int:...}`); compare() also checks every pair with none matched
 * beforehand, so the VM's own match decides.  The values: each template's
 * literal whole, short, with its first or last byte changed, alone, and
 * followed by numbers in and out of range, signed, padded, too long. */
static const char templates[] = "POLICY:\n"
                                "    name = templates\n"
                                "SELF:\n"
                                "    t = gpu_V5_{n:int:1,2,4,8}\n"
                                "    u = {k:int:0..9}\n"
                                "COMPATIBLE same:\n"
                                "    t = gpu_V5_{m:int:1,2,4,8}\n"
                                "    u = {j:int}\n"
                                "    where m == n && j <= k\n"
                                "COMPATIBLE any:\n"
                                "    t = gpu_V5_{m:int}\n"
                                "    v = x{a:int}y\n"
                                "    w = {b:hex}_{c:int:1..3}\n"
                                "    where m >= n && a >= 0\n";

Test(fuse, templates_prematched_equal_live)
{
    dc_policy *pol = NULL;
    dc_diags *diags = NULL;
    cr_assert_eq(dc_policy_compile("templates.compat", templates, sizeof templates - 1, &pol,
                                   &diags, NULL),
                 DC_OK);
    dc_diags_free(diags);
    unsigned prematched = 0;
    for (uint32_t k = 0; k < pol->prog.ntmpls; k++)
        prematched += pol->prep_tmpls[k].prematch;
    cr_assert_geq(prematched, 3, "the templates are matched beforehand");
    static const char *const heads[] = {
        "gpu_V5_", "gpu_V5", "Gpu_V5_", "gpu_V5-", "", "x", "g"
    };
    static const char *const tails[] = { "",
                                         "1",
                                         "2",
                                         "4",
                                         "8",
                                         "3",
                                         "0",
                                         "-1",
                                         "+4",
                                         "04",
                                         "8x",
                                         "16",
                                         "9223372036854775807",
                                         "9223372036854775808",
                                         " 4",
                                         "4 " };
    static const char *const vs[] = { "x1y", "xy", "x-2y", "x1", "1y", "x1yy" };
    static const char *const ws[] = { "ff_1", "ff_4", "_1", "ff_", "0x1_2", "g_1" };
    const size_t nh = sizeof heads / sizeof *heads, nt = sizeof tails / sizeof *tails;
    unsigned before = pairs_compared;
    for (size_t h = 0; h < nh; h++)
        for (size_t k = 0; k < nt; k++) {
            size_t o = h * nt + k;
            char st[160], tt[160];
            snprintf(st, sizeof st, "t=gpu_V5_%s\nu=%zu\nv=%s\nw=%s\n",
                     tails[o % 3 ? k : o % 5 + 1], o % 5, vs[o % 6], ws[o / 6 % 6]);
            snprintf(tt, sizeof tt, "t=%s%s\nu=%zu\nv=%s\nw=%s\n", heads[h], tails[k], o % 7,
                     vs[o / 6 % 6], ws[o % 6]);
            dc_facts *s = NULL, *t = NULL;
            cr_assert_eq(dc_facts_parse_text("s.kv", st, strlen(st), &s, NULL), DC_OK);
            cr_assert_eq(dc_facts_parse_text("t.kv", tt, strlen(tt), &t, NULL), DC_OK);
            compare(pol, s, t, "templates, source first");
            compare(pol, t, s, "templates, target first");
            dc_facts_free(s);
            dc_facts_free(t);
        }
    cr_assert_eq(pairs_compared - before, 2 * nh * nt);
    cr_assert_geq(pairs_compatible, 4, "some pairs are compatible: %u", pairs_compatible);
    dc_policy_free(pol);
}

/* ------------------------------------------------------------ SELF in place */

/* COMPATIBLE blocks that read SELF's values where the target keeps them
 * packed (vmlink.c, "SELF in place"): strings, ints, hex and semvers read
 * by FCMP, arithmetic, comparisons and FIELD2, their failures' records
 * showing SELF's values, and the bindings and reasons an accessor then
 * reads; against the same program unfused, which unpacks them first. */
static const char in_place[] =
    "POLICY:\n"
    "    name = in-place\n"
    "SELF:\n"
    "    v = {ven:string}\n"
    "    n = {tn:int}\n"
    "    h = {th:hex}\n"
    "    fw = {tv:semver}\n"
    "COMPATIBLE equal:\n"
    "    v = {ven}\n"
    "    h = {th}\n"
    "    n = {m:int}\n"
    "    fw = {sv:semver}\n"
    "    where tn * m == m * tn && major(sv) == major(tv) && minor(tv) >= minor(sv)\n"
    "COMPATIBLE arith:\n"
    "    n = {m:int}\n"
    "    fw = {sv:semver}\n"
    "    where m - tn <= 2 && tn / m >= 1 && tn % m != 3 && (sv < tv || th > 2)\n"
    "COMPATIBLE wide:\n"
    "    h = {sh:hex}\n"
    "    n = {m:int}\n"
    "    v = {s:string}\n"
    "    where sh * th == th * sh && m * tn > tn - m && int(s) * tn >= m * tn\n"
    "COMPATIBLE text:\n"
    "    v != {ven}\n"
    "    n >= {tn}\n"
    "COMPATIBLE squares:\n"
    "    n = {m:int}\n"
    "    where m * m >= tn * tn && tn * tn <= m * m\n";

/* The same reads, one of them (len) by an instruction that cannot: the
 * program then unpacks SELF's values, as before. */
static const char not_in_place[] = "POLICY:\n"
                                   "    name = not-in-place\n"
                                   "SELF:\n"
                                   "    v = {ven:string}\n"
                                   "    n = {tn:int}\n"
                                   "COMPATIBLE:\n"
                                   "    v = {ven}\n"
                                   "    n = {m:int}\n"
                                   "    where m * tn > 1 && len(ven) > 1\n";

static dc_policy *compiled(const char *name, const char *text, size_t len)
{
    dc_policy *pol = NULL;
    dc_diags *diags = NULL;
    cr_assert_eq(dc_policy_compile(name, text, len, &pol, &diags, NULL), DC_OK, "%s", name);
    dc_diags_free(diags);
    return pol;
}

Test(fuse, self_in_place_equals_unpacked)
{
    dc_policy *yes = compiled("in-place.compat", in_place, sizeof in_place - 1);
    dc_policy *no = compiled("not-in-place.compat", not_in_place, sizeof not_in_place - 1);
    cr_assert(yes->prog.xinplace, "in-place.compat: SELF's values are not read in place");
    cr_assert(!no->prog.xinplace, "not-in-place.compat: len() read SELF's value in place");
    unsigned reads = 0;
    for (uint32_t k = 0; k < yes->prog.nxcode; k++)
        reads += (unsigned)__builtin_popcount(yes->prog.xcode[k].self);
    cr_assert_geq(reads, 12, "%u reads of SELF's values in place", reads);
    /* and the where's pairs of products, of semver fields, one step each */
    unsigned warith = count_op(&yes->prog, I_WARITH), wfield = count_op(&yes->prog, I_WFIELD);
    cr_assert_geq(warith, 4, "%u WARITH", warith);
    cr_assert_geq(wfield, 2, "%u WFIELD", wfield);
    /* of the WARITHs, products of two MULs (WARITH_MULS) and not */
    unsigned muls = 0;
    for (uint32_t k = 0; k < yes->prog.nxcode; k++)
        muls += yes->prog.xcode[k].op == I_WARITH && yes->prog.xcode[k].t == WARITH_MULS;
    cr_assert(muls >= 3 && muls < warith, "%u of %u WARITH of two MULs", muls, warith);
    static const char *const vens[] = { "a", "12", "ab", "" };
    static const char *const ints[] = { "1", "2", "3", "6", "-4", "4611686018427387904" };
    static const char *const hexes[] = { "1", "ff", "3", "" };
    static const char *const fws[] = { "1.2", "1.3.1", "9223372036854775808.1", "bad" };
    unsigned before = pairs_compared;
    for (unsigned v = 0; v < 2048; v++) {
        char st[160], tt[160];
        unsigned x = v * 2654435761u;
        snprintf(st, sizeof st, "v=%s\nn=%s\nh=%s\nfw=%s\n", vens[x % 4], ints[x / 4 % 6],
                 hexes[x / 24 % 4], fws[x / 96 % 4]);
        snprintf(tt, sizeof tt, "v=%s\nn=%s\nh=%s\nfw=%s\n", vens[x / 384 % 4],
                 ints[x / 1536 % 6], hexes[x / 9216 % 4], fws[x / 36864 % 4]);
        dc_facts *s = NULL, *t = NULL;
        cr_assert_eq(dc_facts_parse_text("s.kv", st, strlen(st), &s, NULL), DC_OK);
        cr_assert_eq(dc_facts_parse_text("t.kv", tt, strlen(tt), &t, NULL), DC_OK);
        compare(yes, s, t, "in-place");
        compare(no, s, t, "not-in-place");
        dc_facts_free(s);
        dc_facts_free(t);
    }
    cr_assert_eq(pairs_compared - before, 4096);
    dc_policy_free(yes);
    dc_policy_free(no);
}

/* ------------------------------------------------------------ small tables */

/* LOADF + CHECKT of an int in a small int table within 0..31 is LOADFB
 * (vmlink.c): the table's bitmap in the xinsn, tested inline when the
 * fact is an int in its 8 bytes, else LOADFT's way.  The values: in the
 * table and not, at its edges, 31 and 32, negative, above int's range,
 * not an int (a hex only, empty, text), absent; a table reaching past 31
 * and a hex table stay LOADFT; and a fact read as int and as hex (the int
 * in its 8 bytes or not). */
static const char small_tables[] = "POLICY:\n"
                                   "    name = small-tables\n"
                                   "SELF:\n"
                                   "    n = {tn:int:1..16}\n"
                                   "COMPATIBLE small:\n"
                                   "    n = {m:int:1,2,4,8}\n"
                                   "    a = {x:int:0..31}\n"
                                   "    where m <= tn && x >= 0\n"
                                   "COMPATIBLE edges:\n"
                                   "    a = {x:int:5,31}\n"
                                   "    b = {y:int:0}\n"
                                   "COMPATIBLE wide:\n"
                                   "    a = {x:int:1..40}\n"
                                   "    b = {y:hex:1..8}\n"
                                   "COMPATIBLE hex:\n"
                                   "    a = {h:hex}\n"
                                   "    n = {m:int:2..3}\n";

Test(fuse, small_tables_fused_equals_unfused)
{
    dc_policy *pol = compiled("small-tables.compat", small_tables, sizeof small_tables - 1);
    unsigned loadfb = count_op(&pol->prog, I_LOADFB), loadft = count_op(&pol->prog, I_LOADFT);
    /* SELF's n, small's m and x, edges' x and y, hex's m; wide's x and y not */
    cr_assert_eq(loadfb, 6, "%u LOADFB", loadfb);
    cr_assert_eq(loadft, 2, "%u LOADFT", loadft);
    static const char *const ns[] = { "1", "2", "3", "4", "8", "16", "17", "0", "-1", "x", "" };
    static const char *const as[] = { "0",  "5",  "31", "32", "35", "40",
                                      "-3", "ff", "10", "1f", "",   "9223372036854775807" };
    static const char *const bs[] = { "0", "1", "8", "9", "0x3", "z" };
    const unsigned nn = sizeof ns / sizeof *ns, na = sizeof as / sizeof *as,
                   nb = sizeof bs / sizeof *bs;
    unsigned before = pairs_compared, compatible = pairs_compatible;
    for (unsigned v = 0; v < 1024; v++) {
        char st[160], tt[160];
        unsigned x = v * 2654435761u;
        /* the last value of each list stands for an absent fact too */
        unsigned sn = x % (nn + 1), sa = x / 13 % (na + 1), sb = x / 211 % (nb + 1);
        unsigned tn = x / 1699 % nn, ta = x / 20011 % (na + 1), tb = x / 300007 % nb;
        snprintf(st, sizeof st, "%s%s%s%s%s%s%s%s%s", sn < nn ? "n=" : "",
                 sn < nn ? ns[sn] : "", sn < nn ? "\n" : "", sa < na ? "a=" : "",
                 sa < na ? as[sa] : "", sa < na ? "\n" : "", sb < nb ? "b=" : "",
                 sb < nb ? bs[sb] : "", sb < nb ? "\n" : "");
        snprintf(tt, sizeof tt, "n=%s\n%s%s%sb=%s\n", ns[tn], ta < na ? "a=" : "",
                 ta < na ? as[ta] : "", ta < na ? "\n" : "", bs[tb]);
        dc_facts *s = NULL, *t = NULL;
        cr_assert_eq(dc_facts_parse_text("s.kv", st, strlen(st), &s, NULL), DC_OK, "%s", st);
        cr_assert_eq(dc_facts_parse_text("t.kv", tt, strlen(tt), &t, NULL), DC_OK, "%s", tt);
        compare(pol, s, t, "small-tables");
        dc_facts_free(s);
        dc_facts_free(t);
    }
    cr_assert_eq(pairs_compared - before, 1024);
    cr_assert_geq(pairs_compatible - compatible, 8, "some pairs are compatible: %u",
                  pairs_compatible - compatible);
    dc_policy_free(pol);
}

/* ------------------------------------------------------------ dc_check's ways */

/* dc_check takes its common case (a target whose SELF held when it was
 * prepared, a program that reads SELF's values in place) on a way of its
 * own (result.c); run() takes every other: a result that owns devices from
 * dc_check_facts, a target whose SELF failed or runs in the check (a
 * device refilled from text, which SELF runs on with its values in the
 * registers).  A policy whose COMPATIBLE blocks fail in every way a rule
 * can, the records' fields compared too, over pairs of devices that take
 * each of them. */
#define BITS " + len(bits(sh)) + len(bits(sh))" /* 17 sets of 64: more than 1024 items */
static const char every_failure[] =
    "POLICY:\n"
    "    name = every-failure\n"
    "SELF:\n"
    "    kind = {k:string}\n"
    "    n = {tn:int:1..8}\n"
    "    fw = {tv:semver}\n"
    "COMPATIBLE literal:\n"
    "    kind = {k}\n"
    "    mode = fast\n"
    "    tag != slow\n"
    "    opt = \"\"\n"
    "    need != \"\"\n"
    "COMPATIBLE typed:\n"
    "    n = {m:int:1..8}\n"
    "    name != x-{m}\n"
    "    y = {a:string}x{b:string}x{c:string}x{m}z\n"
    "    fw >= {tv}\n"
    "    h = {sh:hex}\n"
    "    where 0" BITS BITS BITS BITS BITS BITS BITS BITS " + len(bits(sh)) > 0\n"
    "    model = gpu-{g:int}\n"
    "COMPATIBLE arith:\n"
    "    n = {m:int}\n"
    "    where tn / (m - 1) >= 1\n"
    "    where len(bits(m - 4)) >= 0\n"
    "    where m * 4611686018427387904 > 0\n"
    "    where major(tv) > 0 && m * tn == tn * m + 1\n"
    "COMPATIBLE fields:\n"
    "    where len(set(source.s)) > 0\n"
    "    where int(source.x) > 0\n"
    "    where all(source.sla, r, int(r.cir) > 0 && any(self.sla, q, int(q.cir) >= "
    "int(r.cir)))\n"
    "COMPATIBLE easy:\n"
    "    mode = easy\n"
    "    kind = {k}\n"
    "    n = {m:int}\n"
    "    where m >= 1 && major(tv) >= 1\n";

/* A value of a record as text. */
static void put_value(sbuf *out, const value *v)
{
    switch ((vtype)v->type) {
    case VT_STRING: put(out, "s'%.*s'", (int)v->as.s.len, v->as.s.p); break;
    case VT_SEMVER:
        put(out, "v%llu.%llu.%llu-%.*s", (unsigned long long)v->as.v.major,
            (unsigned long long)v->as.v.minor, (unsigned long long)v->as.v.patch,
            (int)v->as.v.pre.len, v->as.v.pre.p ? v->as.v.pre.p : "");
        break;
    case VT_SET:
        put(out, "set");
        for (uint32_t k = 0; k < v->as.set.n; k++)
            put(out, ",%.*s", (int)v->as.set.items[k].len, v->as.set.items[k].p);
        break;
    default: put(out, "t%d:%lld", (int)v->type, (long long)v->as.i); break;
    }
}

/* Everything a user reads of r after dc_check, and the failure records
 * its reasons read, field by field, as text. */
static void read_result(dc_result *r, sbuf *out)
{
    out->len = 0;
    put(out, "verdict %d block %d\n", (int)dc_result_verdict(r), (int)dc_result_block(r));
    uint32_t first = dc_result_verdict(r) == DC_TARGET_MISMATCH ? 0 : 1;
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        const vm_fail *f = &r->fails[first + i];
        put(out, "record %u: code %d type %d side %d cmp %d rule %u slot %d aux %d",
            first + (unsigned)i, f->code, f->type, f->side, f->cmp, f->rule, f->slot, f->aux);
        if (f->has_x) {
            put(out, " x ");
            put_value(out, &f->x);
        }
        if (f->has_y) {
            put(out, " y ");
            put_value(out, &f->y);
        }
        put(out, "\n");
    }
    put_read(r, out);
}

/* Some text of a device: each fact one of its values, or left out. */
static void device_text(uint32_t x, char *buf, size_t cap, char *big)
{
    static const char *const kinds[] = { "gpu", "npu", NULL };
    static const char *const modes[] = { "fast", "slow", "easy", NULL };
    static const char *const tags[] = { "slow", "quick", NULL };
    static const char *const opts[] = { "", "1", NULL };
    static const char *const needs[] = { "yes", "", NULL };
    static const char *const ns[] = { "1", "2", "3", "4", "6", "9", "abc", NULL };
    static const char *const hs[] = { "ff", "zz", "ffffffffffffffff", NULL };
    static const char *const fws[] = { "1.2.3", "1.3.0", "0.1.0", "bad", NULL };
    static const char *const models[] = { "gpu-3", "cpu-3", "gpu-x", NULL };
    static const char *const names[] = { "x-1", "x-2", "y", NULL };
    static const char *const xs[] = { "5", "-1", "abc", NULL };
    static const char *const slas[] = { "sla.0.cir=1\nsla.1.cir=2\n",
                                        "sla.0.cir=1\nsla.1.other=2\n", "sla.0.cir=0\n",
                                        "sla.0.cir=3\n", "" };
    const char *const *facts[] = { kinds, modes, tags,   opts,  needs, ns,
                                   hs,    fws,   models, names, xs };
    static const char *const keys[] = { "kind", "mode", "tag",   "opt",  "need", "n",
                                        "h",    "fw",   "model", "name", "x" };
    static const unsigned counts[] = { 3, 4, 3, 3, 3, 8, 4, 5, 4, 4, 4 };
    size_t at = 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *v = facts[k][x % counts[k]];
        x = x / counts[k] * 2654435761u + 40503u;
        if (v)
            at += (size_t)snprintf(buf + at, cap - at, "%s=%s\n", keys[k], v);
    }
    at += (size_t)snprintf(buf + at, cap - at, "%s", slas[x % 5]);
    x = x / 5 * 2654435761u + 40503u;
    if (x % 3 == 0) /* a set past the limit, a template past the budget */
        at += (size_t)snprintf(buf + at, cap - at, "s=%s\n", big);
    else if (x % 3 == 1)
        at += (size_t)snprintf(buf + at, cap - at, "s=a,b\n");
    if (x % 11 == 0)
        at += (size_t)snprintf(buf + at, cap - at, "y=%.*sq\n", 120, big + 4096);
    else if (x % 3 == 0)
        at += (size_t)snprintf(buf + at, cap - at, "y=axbxcx2z\n");
    cr_assert_lt(at, cap);
}

Test(fuse, check_ways_equal)
{
    dc_policy *pol = compiled("every-failure.compat", every_failure, sizeof every_failure - 1);
    cr_assert(pol->prog.xinplace, "every-failure.compat: SELF's values are not read in place");
    /* 1 025 items, then 200 x's */
    static char big[4096 + 201];
    size_t at = 0;
    for (int k = 0; k < 1025; k++)
        at += (size_t)snprintf(big + at, 4096 - at, k ? ",%d" : "%d", k % 10);
    cr_assert_lt(at, 4096);
    memset(big + 4096, 'x', 200);
    big[4096 + 200] = '\0';
    static char st[8192], tt[8192];
    sbuf fast = { 0 }, slow = { 0 }, regs = { 0 }, facts = { 0 };
    unsigned codes = 0, ways[3] = { 0, 0, 0 }, verdicts[3] = { 0, 0, 0 };
    dc_result *r1 = new_result(pol), *r2 = new_result(pol), *r3 = new_result(pol);
    dc_prepared *refilled = NULL;
    cr_assert_eq(dc_prepared_new(pol, &refilled, NULL), DC_OK);
    for (uint32_t v = 0; v < 3000; v++) {
        device_text(v * 2246822519u + 1, st, sizeof st, big);
        device_text(v * 3266489917u + 7, tt, sizeof tt, big);
        dc_facts *s = NULL, *t = NULL;
        dc_error err;
        cr_assert_eq(dc_facts_parse_text("s.kv", st, strlen(st), &s, &err), DC_OK, "%s\n%s",
                     err.message, st);
        cr_assert_eq(dc_facts_parse_text("t.kv", tt, strlen(tt), &t, &err), DC_OK, "%s\n%s",
                     err.message, tt);
        dc_prepared *ps = NULL, *pt = NULL;
        cr_assert_eq(dc_prepare(pol, s, &ps, NULL), DC_OK);
        cr_assert_eq(dc_prepare(pol, t, &pt, NULL), DC_OK);
        /* the common case's way, when the target's SELF held */
        cr_assert_eq(dc_check(pol, ps, pt, r1), DC_OK);
        bool own_way = r1->self_lazy != NULL;
        read_result(r1, &fast);
        /* run()'s, from a result that owns dc_check_facts's devices */
        cr_assert_eq(dc_check_facts(pol, s, t, r2, NULL), DC_OK);
        read_result(r2, &facts);
        cr_assert_not_null(r2->owned_source);
        cr_assert_eq(dc_check(pol, ps, pt, r2), DC_OK);
        cr_assert_null(r2->owned_source);
        ways[1]++;
        read_result(r2, &slow);
        /* and SELF run in the check, its values in the registers */
        cr_assert_eq(dc_prepared_parse_text(refilled, "t.kv", tt, strlen(tt), NULL), DC_OK);
        cr_assert_eq(dc_check(pol, ps, refilled, r3), DC_OK);
        cr_assert_null(r3->self_lazy);
        ways[2]++;
        read_result(r3, &regs);
        cr_assert_str_eq(fast.p, slow.p,
                         "pair %u: dc_check's ways differ\n%s%s--- its way\n%s--- run()'s\n%s",
                         v, st, tt, fast.p, slow.p);
        cr_assert_str_eq(
            fast.p, facts.p,
            "pair %u: dc_check_facts differs\n--- dc_check\n%s--- dc_check_facts\n%s", v,
            fast.p, facts.p);
        cr_assert_str_eq(
            fast.p, regs.p,
            "pair %u: SELF in the registers differs\n%s%s--- in place\n%s--- registers\n%s", v,
            st, tt, fast.p, regs.p);
        cr_assert_eq(own_way, pt->self_holds, "pair %u: the way taken", v);
        ways[0] += own_way;
        uint32_t first = dc_result_verdict(r1) == DC_TARGET_MISMATCH ? 0 : 1;
        for (size_t i = 0; i < dc_result_reason_count(r1); i++)
            codes |= 1u << r1->fails[first + i].code;
        verdicts[dc_result_verdict(r1)]++;
        if (v % 16 == 0)
            compare(pol, s, t, "every-failure");
        dc_prepared_free(ps);
        dc_prepared_free(pt);
        dc_facts_free(s);
        dc_facts_free(t);
    }
    for (unsigned c = F_MISSING; c <= F_RECORD_ABSENT; c++)
        cr_expect(codes & (1u << c), "no rule failed with code %u", c);
    cr_expect_gt(ways[0], 300, "%u pairs took dc_check's own way", ways[0]);
    for (int k = 0; k < 3; k++)
        cr_expect_gt(verdicts[k], 20, "%u pairs of verdict %d", verdicts[k], k);
    dc_prepared_free(refilled);
    dc_result_free(r1);
    dc_result_free(r2);
    dc_result_free(r3);
    free(fast.p);
    free(slow.p);
    free(regs.p);
    free(facts.p);
    dc_policy_free(pol);
}
