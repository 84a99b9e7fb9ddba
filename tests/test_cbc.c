/* test_cbc.c -- compiled policies (.cbc): round trips, the verifier, the
 * disassembler, and mutated files (docs/bytecode.md: a .cbc is verified before use). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbc.h"
#include "devcompat.h"
#include "disasm.h"
#include "facts.h"
#include "limits.h"
#include "disasm.h"
#include "policy.h"
#include "helpers.h"
#include "test_alloc.h"

#define DATA     DC_TEST_DATA "/cbc"
#define POLICIES DC_TEST_DATA "/../../policies"

/* ------------------------------------------------------------ helpers */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Compile, and check that the compiler's output passes the verifier. */
static dc_policy *compile_text(const char *file, const char *text, size_t len)
{
    dc_policy *pol = NULL;
    dc_error err = { 0 };
    dc_diags *d = NULL;
    dc_status st = dc_policy_compile(file, text, len, &pol, &d, &err);
    if (st != DC_OK)
        for (size_t i = 0; i < dc_diags_count(d); i++)
            fprintf(stderr, "%s:%u: %s\n", file, nth_diag(d, i)->line, nth_diag(d, i)->message);
    cr_assert_eq(st, DC_OK, "%s: %s", file, err.message);
    dc_diags_free(d);
    char msg[512];
    cr_assert(cbc_verify(&pol->prog, msg, sizeof msg),
              "%s: compiler output fails "
              "verification: %s",
              file, msg);
    return pol;
}

static dc_policy *compile_file(const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    dc_policy *pol = compile_text(path, text, len);
    free(text);
    return pol;
}

static void save(const dc_policy *pol, uint8_t **data, size_t *len)
{
    dc_error err = { 0 };
    void *d = NULL;
    cr_assert_eq(dc_policy_save(pol, &d, len, &err), DC_OK, "%s", err.message);
    *data = d;
}

static dc_policy *load(const void *data, size_t len)
{
    dc_policy *pol = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_policy_load("t.cbc", data, len, &pol, &err), DC_OK, "%s", err.message);
    return pol;
}

static dc_policy *roundtrip(const dc_policy *pol)
{
    uint8_t *data;
    size_t len;
    save(pol, &data, &len);
    dc_policy *back = load(data, len);
    dc_buffer_free(pol, data);
    return back;
}

static dc_facts *facts_text(const char *text)
{
    dc_facts *f = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_facts_parse_text("facts", text, strlen(text), &f, &err), DC_OK, "%s",
                 err.message);
    return f;
}

/* Append to a growing text. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void tput(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        cr_assert(t->s);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

#define NS(s) ((s) ? (s) : "(null)")

/* Everything a check of S -> T tells a user: verdict, block, bindings,
 * reasons, explanation. */
static void digest(const dc_policy *pol, const dc_facts *s, const dc_facts *t, text *out)
{
    dc_result *r = new_result(pol);
    dc_error err = { 0 };
    cr_assert(r);
    dc_status st = dc_check_facts(pol, s, t, r, &err);
    cr_assert_eq(st, DC_OK, "%s", err.message);
    tput(out, "verdict %d block %d (%s)\n", dc_result_verdict(r), dc_result_block(r),
         NS(dc_result_block_name(r)));
    for (size_t i = 0; i < dc_result_binding_count(r); i++) {
        dc_binding b = DC_BINDING_INIT;
        cr_assert_eq(dc_result_binding_get(r, i, &b), DC_OK);
        tput(out, "  bind %s:%d = %s (%lld)\n", b.name, b.type, b.text, (long long)b.int_value);
    }
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason why = DC_REASON_INIT;
        cr_assert_eq(dc_result_reason_get(r, i, &why), DC_OK);
        tput(out, "  reason %d %s %s:%u field %s expected %s actual %s: %s\n", why.block,
             NS(why.block_name), NS(why.file), why.line, NS(why.field), NS(why.expected),
             NS(why.actual), NS(why.message));
    }
    const char *ex = explanation(r);
    tput(out, "%s", NS(ex));
    dc_result_free(r);
}

/* A policy and the facts to check it with (every pair of them). */
typedef struct suite {
    const char *name;
    dc_policy *pol;
    dc_facts *facts[16];
    size_t nfacts;
} suite;

static void suite_add_dir(suite *s, const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    cr_assert(d, "cannot open %s", dir);
    struct dirent *e;
    char *names[64];
    size_t n = 0;
    while ((e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if ((l > 3 && !strcmp(e->d_name + l - 3, ".kv")) ||
            (l > 5 && !strcmp(e->d_name + l - 5, ".yaml") && !strstr(e->d_name, "cases")) ||
            (l > 4 && !strcmp(e->d_name + l - 4, ".txt")))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    /* readdir order is arbitrary: sort for stable runs */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char *x = names[i];
                names[i] = names[j];
                names[j] = x;
            }
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        /* examples of one device's facts; anything else (an inventory) is
         * not for this test */
        dc_facts *f = NULL;
        dc_error err;
        if (s->nfacts < 16 && dc_facts_read_file(path, &f, &err) == DC_OK)
            s->facts[s->nfacts++] = f;
        free(names[i]);
    }
}

/* Exercises every instruction the compiler emits. */
static const char kitchen[] =
    "POLICY:\n"
    "    name = kitchen\n"
    "SELF:\n"
    "    a = {x:int:1..100,200}\n"
    "    h = {y:hex:0x10..0x1f}\n"
    "    v = {sv:semver:>=1.2.3 <2.0.0 || ~3.1}\n"
    "    b = {flag:bool:true}\n"
    "    s = {items:set:a,b,c}\n"
    "    str = {w:string:\"foo\",\"bar\"}\n"
    "    lit = \"exact text\"\n"
    "    e = \"\"\n"
    "    ne != \"\"\n"
    "    q != nope\n"
    "    t = pre-{tn:int}-post\n"
    "    n >= 5\n"
    "COMPATIBLE first:\n"
    "    a = {x}\n"
    "    h <= {y}\n"
    "    v = {ssv:semver}\n"
    "    where major(ssv) == major(sv) && minor(ssv) <= minor(sv) || patch(ssv) > 100\n"
    "    s = {sitems:set}\n"
    "    where subset(sitems, items) && contains(items, \"a\")\n"
    "    where len(source.str) >= 3 && len(sitems) <= 3\n"
    "    where min(x, 10) + max(y, 0x3) - -x * 2 / 1 % 7 != 0\n"
    "    t != pre-{tn}-post\n"
    "    num = {n2:int}\n"
    "    where int(source.numstr) == n2 * 2\n"
    "    where semver(source.verstr) >= sv\n"
    "    where bool(source.flag) || !flag\n"
    "    where hex(source.hx) == y\n"
    "    where subset(bits(y), bits(hex(source.hx))) && !contains(bits(x), \"10\")\n"
    "    where all(source.sla, s, any(self.sla, t, t.srv == s.srv && has(t.cir)))\n"
    "    where set(source.st) == items\n"
    "    str = {w}\n"
    "    where self.lit == \"exact text\"\n"
    "    where has(self.e) == false\n"
    "    q != \"nope\"\n"
    "COMPATIBLE second:\n"
    "    a > 5\n"
    "    q = {qq:string}\n"
    "    where qq != \"x\" && int(qq) > 0 || len(qq) == 1\n"
    "    d = {x * 2}\n"
    "    m = {mm:int}-{y}\n"
    "COMPATIBLE:\n"
    "    a = {z:int}\n"
    "    where z / 3 > 0\n";

static const char *const kitchen_facts[] = {
    /* a target */
    "a=7\nh=0x1a\nv=1.4.0\nb=yes\ns=a,c\nstr=foo\nlit=\"exact text\"\nne=1\nq=yes\n"
    "t=pre-3-post\nn=9\nsla.0.srv=dc\nsla.0.cir=1\nsla.1.srv=sym\nsla.1.cir=2\n",
    /* a source for block first */
    "a=7\nh=19\nv=1.3.9\ns=c,a\nstr=foo\nt=pre-4-post\nnum=21\nnumstr=42\nverstr=1.5.0\n"
    "flag=false\nhx=1A\nst=\"c a\"\nq=maybe\nsla.0.srv=sym\n",
    /* a source for block second */
    "a=9\nq=12\nd=14\nm=5-1a\n",
    /* a source for the last block, and an inexact division */
    "a=8\n",
    "a=-9223372036854775808\nq=x\nd=x\n",
    /* a target that fails SELF */
    "a=300\n",
    "a=200\nh=0x10\nv=3.1.7\nb=on\ns=\"\"\nstr=bar\nlit=\"exact text\"\nne=x\nq=n\n"
    "t=pre--1-post\nn=5\n",
};

static const char *const small_policy =
    "SELF:\n"
    "    kind = gpu\n"
    "    ver = {tv:semver}\n"
    "    mem = {m:int:1..32}\n"
    "COMPATIBLE one:\n"
    "    kind = gpu\n"
    "    ver = {sv:semver}\n"
    "    where major(sv) == major(tv) && minor(sv) <= minor(tv)\n"
    "    mem <= {m}\n"
    "    name = vgpu-{k:int:1,2,4}-{z:string}\n";

static void suite_init(suite *s, const char *which)
{
    memset(s, 0, sizeof *s);
    s->name = which;
    char path[1024];
    if (!strcmp(which, "kitchen")) {
        s->pol = compile_text("kitchen.compat", kitchen, strlen(kitchen));
        for (size_t i = 0; i < sizeof kitchen_facts / sizeof *kitchen_facts; i++)
            s->facts[s->nfacts++] = facts_text(kitchen_facts[i]);
    } else if (!strcmp(which, "small")) {
        s->pol = compile_text("small.compat", small_policy, strlen(small_policy));
        s->facts[s->nfacts++] = facts_text("kind=gpu\nver=2.3.0\nmem=8\n");
        s->facts[s->nfacts++] = facts_text("kind=gpu\nver=2.1.5\nmem=4\nname=vgpu-2-x\n");
        s->facts[s->nfacts++] = facts_text("kind=gpu\nver=2.4.0\nmem=4\nname=vgpu-3-x\n");
    } else if (!strcmp(which, "uuid1") || !strcmp(which, "uuid2")) {
        /* docs/language.md, section 10: the target's text is the policy, the
         * source's SELF its facts */
        snprintf(path, sizeof path, "%s/%s.txt", DATA, which);
        s->pol = compile_file(path);
        suite_add_dir(s, DATA, "uuid");
    } else {
        snprintf(path, sizeof path, "%s/%s.compat", POLICIES, which);
        s->pol = compile_file(path);
        char prefix[128];
        snprintf(prefix, sizeof prefix, "%s-", which);
        suite_add_dir(s, POLICIES, prefix);
    }
    cr_assert(s->nfacts > 1, "%s: no facts", which);
}

static void suite_free(suite *s)
{
    dc_policy_free(s->pol);
    for (size_t i = 0; i < s->nfacts; i++)
        dc_facts_free(s->facts[i]);
}

static const char *const suites[] = {
    "kitchen", "small", "uuid1", "uuid2", "gvt-share", "device-model", "versioning", "vfio-ccw",
};
#define NSUITES (sizeof suites / sizeof *suites)

static uint32_t crc_of(const uint8_t *p, size_t len);

/* ------------------------------------------------------------ round trips */

Test(cbc, roundtrip_same_results)
{
    for (size_t k = 0; k < NSUITES; k++) {
        suite s;
        suite_init(&s, suites[k]);
        dc_policy *back = roundtrip(s.pol);
        cr_assert_str_eq(dc_policy_name(back), dc_policy_name(s.pol));
        cr_assert_str_eq(dc_policy_file(back), dc_policy_file(s.pol));
        cr_assert_eq(dc_policy_block_count(back), dc_policy_block_count(s.pol));
        for (size_t b = 0; b < dc_policy_block_count(back); b++)
            cr_assert_str_eq(NS(dc_policy_block_name(back, b)),
                             NS(dc_policy_block_name(s.pol, b)));
        size_t compatible = 0;
        for (size_t i = 0; i < s.nfacts; i++)
            for (size_t j = 0; j < s.nfacts; j++) {
                text a = { 0 }, b = { 0 };
                digest(s.pol, s.facts[i], s.facts[j], &a);
                digest(back, s.facts[i], s.facts[j], &b);
                cr_assert_str_eq(b.s, a.s, "%s: facts %zu -> %zu differ after a round trip",
                                 s.name, i, j);
                compatible += strncmp(a.s, "verdict 0", 9) == 0;
                free(a.s);
                free(b.s);
            }
        cr_assert(compatible > 0, "%s: no compatible pair was tried", s.name);
        dc_policy_free(back);
        suite_free(&s);
    }
}

Test(cbc, uuid_example_after_roundtrip)
{
    /* docs/language.md, section 10: UUID2 -> UUID1 compatible (UUID1's second block), UUID1 ->
     * UUID2 not (interface_version 3 is not 1) */
    size_t l1, l2;
    char *t1 = slurp(DATA "/uuid1.txt", &l1), *t2 = slurp(DATA "/uuid2.txt", &l2);
    dc_policy *c1 = compile_text("uuid1.txt", t1, l1), *c2 = compile_text("uuid2.txt", t2, l2);
    dc_policy *p1 = roundtrip(c1), *p2 = roundtrip(c2);
    dc_facts *f1 = NULL, *f2 = NULL;
    dc_error err;
    cr_assert_eq(dc_facts_parse_text("uuid1.txt", t1, l1, &f1, &err), DC_OK, "%s", err.message);
    cr_assert_eq(dc_facts_parse_text("uuid2.txt", t2, l2, &f2, &err), DC_OK, "%s", err.message);
    dc_result *r = new_result(p1);
    cr_assert_eq(dc_check_facts(p1, f2, f1, r, &err), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_COMPATIBLE);
    cr_assert_eq(dc_result_block(r), 1);
    dc_result_free(r);
    r = new_result(p2);
    cr_assert_eq(dc_check_facts(p2, f1, f2, r, &err), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_INCOMPATIBLE);
    dc_reason why = DC_REASON_INIT;
    cr_assert_eq(dc_result_reason_get(r, 0, &why), DC_OK);
    cr_assert_str_eq(why.field, "interface_version");
    cr_assert_eq(why.line, 12);
    cr_assert_str_eq(why.file, "uuid2.txt");
    dc_result_free(r);
    dc_facts_free(f1);
    dc_facts_free(f2);
    dc_policy_free(p1);
    dc_policy_free(p2);
    dc_policy_free(c1);
    dc_policy_free(c2);
    free(t1);
    free(t2);
}

Test(cbc, save_load_save_identical)
{
    for (size_t k = 0; k < NSUITES; k++) {
        suite s;
        suite_init(&s, suites[k]);
        uint8_t *a, *b;
        size_t la, lb;
        save(s.pol, &a, &la);
        dc_policy *back = load(a, la);
        save(back, &b, &lb);
        cr_assert_eq(la, lb, "%s", s.name);
        cr_assert(memcmp(a, b, la) == 0, "%s: bytes differ", s.name);
        /* and the disassembly reads the same */
        size_t na = disasm_program(&s.pol->prog, NULL, 0);
        size_t nb = disasm_program(&back->prog, NULL, 0);
        char *da = malloc(na + 1), *db = malloc(nb + 1);
        disasm_program(&s.pol->prog, da, na + 1);
        disasm_program(&back->prog, db, nb + 1);
        cr_assert_str_eq(da, db);
        free(da);
        free(db);
        dc_buffer_free(s.pol, a);
        dc_buffer_free(back, b);
        dc_policy_free(back);
        suite_free(&s);
    }
}

Test(cbc, layout)
{
    dc_policy *pol = compile_text("small.compat", small_policy, strlen(small_policy));
    uint8_t *d;
    size_t len;
    save(pol, &d, &len);
    cr_assert(memcmp(d, "DCBC\x1a\r\n\0", 8) == 0);
    cr_assert_eq(d[8] | d[9] << 8, 1); /* version */
    cr_assert_eq((uint32_t)(d[16] | d[17] << 8 | d[18] << 16 | (uint32_t)d[19] << 24), len);
    cr_assert_eq(d[20], 15); /* sections */
    cr_assert_eq(d[24], 32); /* section table */
    cr_assert(cbc_is_cbc(d, len));
    /* the checksum is zlib's CRC-32 of every byte but its own four */
    uint32_t stored = (uint32_t)(d[12] | d[13] << 8 | d[14] << 16 | (uint32_t)d[15] << 24);
    cr_assert_eq(stored, crc_of(d, len));
    /* zlib.crc32(b"123456789012" b"3456789"): the four bytes at 12 are skipped */
    cr_assert_eq(crc_of((const uint8_t *)"123456789012....3456789", 23), 0xd36e1319u);
    cr_assert(!cbc_is_cbc("SELF:", 5));
    dc_buffer_free(pol, d);
    dc_policy_free(pol);
    /* a program that walks records is version 2: 17 sections, the last two
     * its record sets and fields */
    pol = compile_text("kitchen.compat", kitchen, strlen(kitchen));
    save(pol, &d, &len);
    cr_assert_eq(d[8] | d[9] << 8, 2);
    cr_assert_eq(d[20], 17);
    const uint8_t *e16 = d + 32 + 15 * 16, *e17 = e16 + 16;
    cr_assert_eq(e16[0], 16);
    cr_assert_eq(e16[4], 1); /* one record set: sla */
    cr_assert_eq(e17[0], 17);
    cr_assert_eq(e17[4], 2); /* its fields srv, cir */
    cr_assert_eq(e16[12] | e16[13] << 8, 8);
    cr_assert_eq(e17[12] | e17[13] << 8, 24);
    cr_assert_eq((uint32_t)(e17[8] | e17[9] << 8 | e17[10] << 16) + 24, len);
    dc_policy *back = load(d, len);
    cr_assert_eq(back->prog.nrecsets, 1);
    cr_assert_eq(back->prog.nrecfields, 2);
    dc_policy_free(back);
    dc_buffer_free(pol, d);
    dc_policy_free(pol);
}

/* ------------------------------------------------------------ files */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_cbc.XXXXXX");
    cr_assert(mkdtemp(tmpdir));
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

Test(cbc, read_file_both_kinds)
{
    make_tmpdir();
    char src[512], bin[512], big[512], bigsrc[512];
    snprintf(src, sizeof src, "%s/small.compat", tmpdir);
    snprintf(bin, sizeof bin, "%s/small.cbc", tmpdir);
    snprintf(big, sizeof big, "%s/big.cbc", tmpdir);
    snprintf(bigsrc, sizeof bigsrc, "%s/big.compat", tmpdir);
    write_file(src, small_policy, strlen(small_policy));
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err = { 0 };
    cr_assert_eq(dc_policy_read_file(src, &pol, &d, &err), DC_OK, "%s", err.message);
    dc_diags_free(d);
    uint8_t *data;
    size_t len;
    save(pol, &data, &len);
    write_file(bin, data, len);
    dc_policy *back = NULL;
    cr_assert_eq(dc_policy_read_file(bin, &back, &d, &err), DC_OK, "%s", err.message);
    cr_assert_null(d);
    cr_assert_str_eq(dc_policy_file(back), src); /* reasons name the source */
    dc_policy_free(back);

    /* a damaged .cbc is an error naming the file, never compiled as text */
    data[len / 2] ^= 0x10;
    write_file(bin, data, len);
    cr_assert_eq(dc_policy_read_file(bin, &back, NULL, &err), DC_ERR_BYTECODE);
    cr_assert_null(back);
    cr_assert(strncmp(err.message, bin, strlen(bin)) == 0, "%s", err.message);
    cr_assert(strstr(err.message, "bad checksum"), "%s", err.message);

    /* limits: 16 MiB for .cbc, 1 MiB for source */
    FILE *f = fopen(big, "wb");
    fwrite(data, 1, 64, f);
    cr_assert_eq(ftruncate(fileno(f), (off_t)DC_MAX_CBC + 1), 0);
    fclose(f);
    cr_assert_eq(dc_policy_read_file(big, &back, NULL, &err), DC_ERR_LIMIT, "%s", err.message);
    char *blob = calloc(1, DC_MAX_CBC + 1);
    memcpy(blob, data, 64);
    cr_assert_eq(dc_policy_load("big.cbc", blob, DC_MAX_CBC + 1, &back, &err), DC_ERR_LIMIT);
    cr_assert(strstr(err.message, "big.cbc: "), "%s", err.message);
    free(blob);
    f = fopen(bigsrc, "wb");
    fputs("SELF:\n", f);
    cr_assert_eq(ftruncate(fileno(f), (1 << 20) + 1), 0);
    fclose(f);
    cr_assert_eq(dc_policy_read_file(bigsrc, &back, NULL, &err), DC_ERR_LIMIT, "%s",
                 err.message);

    dc_buffer_free(pol, data);
    dc_policy_free(pol);
    unlink(src);
    unlink(bin);
    unlink(big);
    unlink(bigsrc);
    rmdir(tmpdir);
}

Test(cbc, invalid_arguments)
{
    dc_policy *pol = (dc_policy *)1;
    dc_error err;
    cr_assert_eq(dc_policy_load("x", NULL, 5, &pol, &err), DC_ERR_INVALID);
    cr_assert_null(pol);
    cr_assert_eq(dc_policy_load("x", "", 0, &pol, &err), DC_ERR_BYTECODE);
    cr_assert_str_eq(err.message, "x: not a compiled policy (no .cbc magic)");
    void *d = (void *)1;
    size_t n = 1;
    cr_assert_eq(dc_policy_save(NULL, &d, &n, &err), DC_ERR_INVALID);
    cr_assert_null(d);
    dc_buffer_free(NULL, NULL);
    cr_assert_eq(dc_policy_read_file(NULL, &pol, NULL, &err), DC_ERR_INVALID);
}

/* ------------------------------------------------------------ header errors */

static uint32_t crc_of(const uint8_t *p, size_t len);

static void fix_crc(uint8_t *d, size_t len)
{
    uint32_t c = crc_of(d, len);
    for (int i = 0; i < 4; i++)
        d[12 + i] = (uint8_t)(c >> (8 * i));
}

/* An independent CRC-32 (bitwise), to recompute checksums after mutating. */
static uint32_t crc_of(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        if (i >= 12 && i < 16)
            continue;
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

static void expect_error(const void *d, size_t len, dc_status want, const char *message)
{
    dc_policy *pol = NULL;
    dc_error err = { 0 };
    dc_status st = dc_policy_load("f.cbc", d, len, &pol, &err);
    cr_assert_eq(st, want, "got %d: %s", st, err.message);
    cr_assert_null(pol);
    cr_assert(strstr(err.message, message), "'%s' does not hold '%s'", err.message, message);
    cr_assert(strncmp(err.message, "f.cbc: ", 7) == 0, "%s", err.message);
}

Test(cbc, header_errors)
{
    dc_policy *pol = compile_text("small.compat", small_policy, strlen(small_policy));
    uint8_t *d;
    size_t len;
    save(pol, &d, &len);
    uint8_t *m = malloc(len + 64);

    memcpy(m, d, len);
    m[0] = 'X';
    expect_error(m, len, DC_ERR_BYTECODE, "not a compiled policy (no .cbc magic)");

    memcpy(m, d, len);
    m[8] = 3;
    expect_error(m, len, DC_ERR_BYTECODE, "format version 3 is not supported");

    /* a version 1 file (no records) that says version 2 */
    memcpy(m, d, len);
    m[8] = 2;
    fix_crc(m, len);
    expect_error(m, len, DC_ERR_BYTECODE,
                 "the header announces 15 sections at byte 32; "
                 "version 2 files have 17 at byte 32");

    memcpy(m, d, len);
    m[len - 3] ^= 1;
    expect_error(m, len, DC_ERR_BYTECODE, "bad checksum");

    /* the last section is the code */
    char want[128];
    snprintf(want, sizeof want, "truncated: section 'code' ends at byte %zu of %zu", len,
             len - 1);
    expect_error(d, len - 1, DC_ERR_BYTECODE, want);
    expect_error(d, 20, DC_ERR_BYTECODE, "truncated: the header ends at byte 32 of 20");
    expect_error(d, 100, DC_ERR_BYTECODE, "truncated: the section table ends at byte 272");

    memcpy(m, d, len);
    memset(m + len, 0, 7);
    expect_error(m, len + 7, DC_ERR_BYTECODE,
                 "7 bytes of trailing data after the end of the "
                 "file");
    m[40] ^= 1; /* and damaged: the checksum says so */
    expect_error(m, len + 7, DC_ERR_BYTECODE, "bad checksum");

    /* damage in the section table reads as damage... */
    memcpy(m, d, len);
    m[32 + 2 * 16 + 4] ^= 1; /* count of 'constants' */
    expect_error(m, len, DC_ERR_BYTECODE, "bad checksum");
    /* ...unless the checksum was written over it: then the table is wrong */
    fix_crc(m, len);
    expect_error(m, len, DC_ERR_BYTECODE, "section 'constants' is ");
    memcpy(m, d, len);
    m[32 + 16 + 8] ^= 1; /* offset of 'pool' */
    fix_crc(m, len);
    expect_error(m, len, DC_ERR_BYTECODE, "section 'pool' starts at byte ");
    memcpy(m, d, len);
    m[10] = 1; /* flags */
    fix_crc(m, len);
    expect_error(m, len, DC_ERR_BYTECODE, "unknown flags in the header");
    memcpy(m, d, len);
    m[16] ^= 4; /* size: smaller than the file, checksum rewritten */
    fix_crc(m, len);
    expect_error(m, len, DC_ERR_BYTECODE, "the header says ");

    dc_buffer_free(pol, d);
    dc_policy_free(pol);
    free(m);
}

/* ------------------------------------------------------------ the verifier */

/* Change a compiled policy's program, save it (saving does not verify),
 * and expect loading to refuse it with `message`. */
typedef void (*mutator)(program *p);

static void expect_rejected(const char *src, mutator fn, const char *message)
{
    dc_policy *pol = compile_text("v.compat", src, strlen(src));
    fn(&pol->prog);
    char msg[512];
    cr_assert(!cbc_verify(&pol->prog, msg, sizeof msg), "accepted, expected '%s'", message);
    cr_assert(strstr(msg, message), "'%s' does not hold '%s'", msg, message);
    uint8_t *d;
    size_t len;
    save(pol, &d, &len);
    expect_error(d, len, DC_ERR_BYTECODE, message);
    dc_buffer_free(pol, d);
    dc_policy_free(pol);
}

/* The n-th instruction `op` of block b (n from 0). */
static insn *find(program *p, uint32_t b, int op, int n)
{
    for (uint32_t pc = p->blocks[b].entry; pc < p->blocks[b].end; pc++)
        if (p->code[pc].op == op && n-- == 0)
            return &p->code[pc];
    cr_assert_fail("no %s in block %u", op_names[op], b);
    return NULL;
}

static uint32_t pc_of(const program *p, const insn *i)
{
    return (uint32_t)(i - p->code);
}

static char expected[256];

static void m_reg_range(program *p)
{
    insn *i = find(p, 1, I_FCMP, 0);
    i->b = 40;
    snprintf(expected, sizeof expected,
             "instruction %u (FCMP): register 40 out of range "
             "(%u registers)",
             pc_of(p, i), p->nregs);
}

static void m_jump_out(program *p)
{
    insn *i = find(p, 1, I_JF, 0);
    i->b = 200;
    snprintf(expected, sizeof expected, "instruction %u (JF): jump to %u leaves its block",
             pc_of(p, i), pc_of(p, i) + 201);
}

static void m_unwritten(program *p)
{
    /* MAJOR r, sv -> MAJOR r, (a temporary nobody wrote) */
    insn *i = find(p, 1, I_MAJOR, 0);
    i->b = (uint16_t)(p->nregs - 1);
    snprintf(expected, sizeof expected,
             "instruction %u (MAJOR): register %u is read but not "
             "written (with one type) on every path",
             pc_of(p, i), p->nregs - 1);
}

static void m_type(program *p)
{
    /* MAJOR of the int variable m (register 1) */
    insn *i = find(p, 1, I_MAJOR, 0);
    i->b = 1;
    snprintf(expected, sizeof expected,
             "instruction %u (MAJOR): register 1 holds int, read "
             "as semver",
             pc_of(p, i));
}

static void m_self_write(program *p)
{
    insn *i = find(p, 1, I_LOADF, 0);
    i->a = 0;
    snprintf(expected, sizeof expected,
             "instruction %u (LOADF): writes register 0, a SELF "
             "variable's",
             pc_of(p, i));
}

static void m_no_ok(program *p)
{
    p->code[p->ncode - 1].op = I_FAIL;
    snprintf(expected, sizeof expected, "instruction %u (FAIL): block does not end with OK",
             p->ncode - 1);
}

static void m_opcode(program *p)
{
    p->code[3].op = 200;
    snprintf(expected, sizeof expected, "instruction 3: invalid opcode 200");
}

/* A superinstruction is the VM's, never the file's */
static void m_super(program *p)
{
    insn *i = find(p, 1, I_FCMP, 0);
    i->op = I_FCMPS;
    snprintf(expected, sizeof expected, "instruction %u: invalid opcode %d", pc_of(p, i),
             (int)I_FCMPS);
}

static void m_join(program *p)
{
    /* WHERE after `a && b` reads the register only the right side wrote */
    insn *w = find(p, 1, I_WHERE, 0);
    insn *le = find(p, 1, I_LE, 0);
    w->a = le->a;
    snprintf(expected, sizeof expected,
             "instruction %u (WHERE): register %u is read but not "
             "written (with one type) on every path",
             pc_of(p, w), le->a);
}

static void m_unbound(program *p)
{
    /* the MATCH binding k and z becomes a test that binds nothing */
    insn *i = find(p, 1, I_MATCH, 0);
    *i = (insn){ I_NONEMPTY, SIDE_SOURCE, i->a, 0, 0 };
    const var *k = &p->vars[p->blocks[1].first_var + 1];
    cr_assert_eq(k->name.len, 1);
    cr_assert_eq(p->pool[k->name.off], 'k');
    snprintf(expected, sizeof expected,
             "instruction %u (OK): variable 'k' (register %u, int) "
             "is not bound on every path",
             p->blocks[1].end - 1, k->reg);
}

static void m_self_source(program *p)
{
    insn *i = find(p, 0, I_EQSTR, 0);
    i->t = SIDE_SOURCE;
    snprintf(expected, sizeof expected, "instruction %u (EQSTR): SELF reads the source's facts",
             pc_of(p, i));
}

static void m_slot_type(program *p)
{
    insn *i = find(p, 0, I_LOADF, 0);
    i->t = VT_HEX;
    snprintf(expected, sizeof expected,
             "instruction %u (LOADF): slot %u is read as hex, which "
             "its types do not include",
             pc_of(p, i), i->b);
}

static void m_t_byte(program *p)
{
    insn *i = find(p, 1, I_MAJOR, 0);
    i->t = 3;
    snprintf(expected, sizeof expected, "instruction %u (MAJOR): invalid t byte 0x03",
             pc_of(p, i));
}

static void m_unused_operand(program *p)
{
    insn *i = find(p, 1, I_WHERE, 0);
    i->c = 9;
    snprintf(expected, sizeof expected, "instruction %u (WHERE): unused operand c is 9, not 0",
             pc_of(p, i));
}

static void m_rule(program *p)
{
    insn *i = find(p, 1, I_RULE, 0);
    i->a = 77;
    snprintf(expected, sizeof expected,
             "instruction %u (RULE): rule 77 out of range (the "
             "block has %u)",
             pc_of(p, i), p->blocks[1].nrules);
}

static void m_pool(program *p)
{
    p->slots[1].name.off = p->pool_len;
    snprintf(expected, sizeof expected, "slot 1: string at %u+%u is outside the pool",
             p->pool_len, p->slots[1].name.len);
}

static void m_pool_nul(program *p)
{
    p->pool[p->pool_len - 1] = 'x';
    snprintf(expected, sizeof expected, "the pool does not end with a NUL byte");
}

static void m_range_order(program *p)
{
    /* table 0 of `1..64`: make it 64..1 */
    irange *r = &p->ranges[p->ctables[0].first];
    int64_t x = r->lo;
    r->lo = r->hi;
    r->hi = x;
    snprintf(expected, sizeof expected, "table 0: range 0 is empty (lo > hi)");
}

static void m_bitmap(program *p)
{
    p->ctables[0].bitmap ^= 4;
    snprintf(expected, sizeof expected, "table 0: the bitmap does not match the ranges");
}

static void m_adjacent(program *p)
{
    /* vgpu-{k}-{z}: the literal between the placeholders becomes one */
    const tmpl *t = &p->tmpls[0];
    tpart *lit = &p->tparts[t->first + 2];
    *lit = (tpart){ TP_CMP, VT_STRING, 5, -1, { 0, 0 } };
    snprintf(expected, sizeof expected, "template 0: placeholders 1 and 2 are adjacent");
}

static void m_block_kind(program *p)
{
    p->blocks[1].kind = PB_SELF;
    snprintf(expected, sizeof expected, "block 1: kind 0, expected COMPATIBLE");
}

static void m_block_code(program *p)
{
    p->blocks[1].entry++;
    snprintf(expected, sizeof expected, "block 1: code");
}

static void m_const(program *p)
{
    p->kconsts[0].type = 9;
    snprintf(expected, sizeof expected, "constant 0: invalid type 9");
}

static void m_regs(program *p)
{
    p->nregs = 70000;
    snprintf(expected, sizeof expected, "70000 registers: at most 65535");
}

static void m_var_reg(program *p)
{
    p->vars[p->blocks[1].first_var].reg = 0;
    snprintf(expected, sizeof expected, "variable %u: register 0 is a SELF variable's",
             p->blocks[1].first_var);
}

Test(cbc, verifier_rejects)
{
    static const struct {
        mutator fn;
    } cases[] = {
        { m_reg_range },  { m_jump_out },       { m_unwritten },   { m_type },
        { m_self_write }, { m_no_ok },          { m_opcode },      { m_super },
        { m_join },       { m_unbound },        { m_self_source }, { m_slot_type },
        { m_t_byte },     { m_unused_operand }, { m_rule },        { m_pool },
        { m_pool_nul },   { m_range_order },    { m_bitmap },      { m_adjacent },
        { m_block_kind }, { m_block_code },     { m_const },       { m_regs },
        { m_var_reg },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* the mutator fills `expected` once it has looked at the program */
        expected[0] = '\0';
        dc_policy *pol = compile_text("v.compat", small_policy, strlen(small_policy));
        cases[i].fn(&pol->prog);
        dc_policy_free(pol);
        char want[256];
        memcpy(want, expected, sizeof want);
        expect_rejected(small_policy, cases[i].fn, want);
    }
}

/* A fact name longer than a policy source may write is refused in bytecode
 * too, worded as the compiler words it: slot 0's name is pointed at the
 * 300-byte constant, which the pool holds followed by its NUL. */
Test(cbc, verifier_refuses_long_fact_name)
{
    char src[512];
    snprintf(src, sizeof src,
             "SELF:\n    kind = gpu\nCOMPATIBLE:\n    kind = gpu\n    label = %0300d\n", 0);
    dc_policy *pol = compile_text("v.compat", src, strlen(src));
    program *p = &pol->prog;
    pref long_name = { 0, 0 };
    for (uint32_t i = 0; i < p->nconsts; i++)
        if (p->kconsts[i].s.len == 300)
            long_name = p->kconsts[i].s;
    cr_assert_eq(long_name.len, 300, "no 300-byte constant");
    p->slots[0].name = long_name;
    char msg[512];
    cr_assert(!cbc_verify(p, msg, sizeof msg));
    cr_expect(strstr(msg, "slot 0: fact name longer than 255 bytes (the limit)"), "%s", msg);
    uint8_t *d;
    size_t len;
    save(pol, &d, &len);
    expect_error(d, len, DC_ERR_BYTECODE, "fact name longer than 255 bytes (the limit)");
    dc_buffer_free(pol, d);
    dc_policy_free(pol);
}

static void m_set_order(program *p)
{
    /* kitchen's table of "bar","foo": swap to "foo","bar" */
    for (uint32_t i = 0; i < p->nctables; i++)
        if (p->ctables[i].kind == CT_STRING) {
            pref *s = &p->strrefs[p->ctables[i].first];
            pref x = s[0];
            s[0] = s[1];
            s[1] = x;
            snprintf(expected, sizeof expected,
                     "table %u: strings 0 and 1 are not sorted and "
                     "unique",
                     i);
            return;
        }
}

static void m_nmatch_decl(program *p)
{
    insn *i = find(p, 1, I_NMATCH, 0);
    insn *m = find(p, 0, I_MATCH, 0);
    i->b = m->b;
    snprintf(expected, sizeof expected,
             "instruction %u (NMATCH): template %u declares a "
             "variable under '!='",
             pc_of(p, i), m->b);
}

static void m_checkt_type(program *p)
{
    /* CHECKT of x (int) against the semver table of sv */
    insn *c = find(p, 0, I_CHECKT, 0), *sv = NULL;
    for (int n = 1; !sv || p->ctables[sv->b].kind != CT_SEMVER; n++)
        sv = find(p, 0, I_CHECKT, n);
    c->b = sv->b;
    snprintf(expected, sizeof expected,
             "instruction %u (CHECKT): register %u holds int, read "
             "as semver",
             pc_of(p, c), c->a);
}

static void m_contains(program *p)
{
    insn *i = find(p, 1, I_CONTAINS, 0);
    uint16_t x = i->b;
    i->b = i->c;
    i->c = x;
    snprintf(expected, sizeof expected,
             "instruction %u (CONTAINS): register %u holds string, "
             "read as set",
             pc_of(p, i), i->b);
}

static void m_bits(program *p)
{
    /* BITS of the set `items` */
    insn *i = find(p, 1, I_BITS, 0);
    i->b = find(p, 1, I_CONTAINS, 0)->b;
    snprintf(expected, sizeof expected,
             "instruction %u (BITS): register %u holds set, read "
             "as int or hex",
             pc_of(p, i), i->b);
}

/* Loops (docs/bytecode.md, "Loops"): kitchen's
 * all(source.sla, s, any(self.sla, t, t.srv == s.srv && has(t.cir))) */
static void m_loop_level(program *p)
{
    insn *i = find(p, 1, I_EACH, 1);
    i->t &= (uint8_t)~LOOP_LEVEL;
    snprintf(expected, sizeof expected, "instruction %u (EACH): a loop of level 0 at level 1",
             pc_of(p, i));
}

static void m_loop_end(program *p)
{
    insn *i = find(p, 1, I_EACH, 0), *a = find(p, 1, I_AGAIN, 1);
    a->a = find(p, 1, I_AGAIN, 0)->a;
    snprintf(expected, sizeof expected,
             "instruction %u (EACH): instruction %u is not the "
             "AGAIN that ends this loop",
             pc_of(p, i), pc_of(p, a));
}

static void m_loop_field_side(program *p)
{
    /* s.srv read as the inner loop's record: that loop walks the target's */
    insn *i = find(p, 1, I_RFIELD, 1);
    i->c = 1;
    snprintf(expected, sizeof expected,
             "instruction %u (RFIELD): record field %u is not of "
             "the records its loop (instruction %u) walks",
             pc_of(p, i), i->b, pc_of(p, find(p, 1, I_EACH, 1)));
}

static void m_loop_field_outside(program *p)
{
    insn *i = find(p, 1, I_RFIELD, 0);
    i->c = 2;
    snprintf(expected, sizeof expected,
             "instruction %u (RFIELD): reads a record of the loop of "
             "level 2 outside it",
             pc_of(p, i));
}

static void m_loop_jump_in(program *p)
{
    insn *j = find(p, 1, I_JF, 0), *e = find(p, 1, I_EACH, 0);
    j->b = (uint16_t)(pc_of(p, e) - pc_of(p, j));
    snprintf(expected, sizeof expected,
             "instruction %u (JF): jumps into the loop of "
             "instruction %u",
             pc_of(p, j), pc_of(p, e));
}

static void m_loop_stale_read(program *p)
{
    /* the body's first EQ reads what the body writes only later: on the
     * next record it would hold the last one's */
    insn *e = find(p, 1, I_EACH, 1), *eq = NULL;
    for (uint32_t pc = pc_of(p, e); !eq; pc++)
        if (p->code[pc].op == I_EQ)
            eq = &p->code[pc];
    eq->b = find(p, 1, I_AGAIN, 0)->b;
    snprintf(expected, sizeof expected,
             "instruction %u (EQ): register %u is read but not "
             "written (with one type) on every path",
             pc_of(p, eq), eq->b);
}

static void m_loop_back(program *p)
{
    insn *a = find(p, 1, I_AGAIN, 0);
    a->c++;
    snprintf(expected, sizeof expected,
             "instruction %u (EACH): instruction %u is not the "
             "AGAIN that ends this loop",
             pc_of(p, find(p, 1, I_EACH, 1)), pc_of(p, a));
}

Test(cbc, verifier_rejects_kitchen)
{
    mutator fns[] = { m_set_order,
                      m_nmatch_decl,
                      m_checkt_type,
                      m_contains,
                      m_bits,
                      m_loop_level,
                      m_loop_end,
                      m_loop_field_side,
                      m_loop_field_outside,
                      m_loop_jump_in,
                      m_loop_stale_read,
                      m_loop_back };
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        expected[0] = '\0';
        dc_policy *pol = compile_text("v.compat", kitchen, strlen(kitchen));
        fns[i](&pol->prog);
        dc_policy_free(pol);
        char want[256];
        memcpy(want, expected, sizeof want);
        expect_rejected(kitchen, fns[i], want);
    }
}

Test(cbc, verifier_accepts_compiler_output)
{
    /* every suite's policy was verified by compile_text; a larger one too */
    text t = { 0 };
    tput(&t, "SELF:\n    base = {b:int}\n");
    for (int blk = 0; blk < 40; blk++) {
        tput(&t, "COMPATIBLE c%d:\n", blk);
        for (int r = 0; r < 20; r++)
            tput(&t,
                 "    f%d = {v%d_%d:int:%d..%d}\n    where (v%d_%d + b) * 2 >= %d && "
                 "(v%d_%d < 1000 || !(b > 3)) || v%d_%d %% 7 == 1\n",
                 r, blk, r, r, r + 50, blk, r, r, blk, r, blk, r);
    }
    dc_policy *pol = compile_text("large.compat", t.s, t.len);
    dc_policy *back = roundtrip(pol);
    dc_policy_free(back);
    dc_policy_free(pol);
    free(t.s);
}

/* ------------------------------------------------------------ disassembler */

Test(cbc, disasm_listing)
{
    dc_policy *pol = compile_text("kitchen.compat", kitchen, strlen(kitchen));
    size_t n = disasm_program(&pol->prog, NULL, 0);
    char *buf = malloc(n + 1);
    cr_assert_eq(disasm_program(&pol->prog, buf, n + 1), n);
    cr_assert_eq(strlen(buf), n);
    static const char *const want[] = {
        "policy \"kitchen\" from \"kitchen.compat\"\n",
        "\nconstants\n",
        "string \"exact text\"",
        "\nslots\n",
        "a  (int)",
        "\ntables\n",
        "int 1..100,200",
        "hex 0x10..0x1f",
        "semver >=1.2.3 <2.0.0 || >=3.1.0 <3.2.0-0",
        "string \"bar\",\"foo\"",
        "set \"a\",\"b\",\"c\"",
        "bool true",
        "\ntemplates\n",
        "\"pre-{tn:int}-post\"",
        "literal \"pre-\"",
        "decl    int -> r",
        "\nSELF  line 3",
        "variables: x:int r0, y:hex r1",
        "RULE                rule 0 line 4: a = {x:int:1..100,200}",
        "LOADF     int       r0, slot 0 'a' (target)",
        "\nCOMPATIBLE 0 (first)  line 16",
        "\nCOMPATIBLE 2  line 44",
        "FCMP      hex <=    slot 1 'h' (source), r1",
        "NMATCH              slot ",
        "tmpl 2 \"{mm:int}-{y}\"",
        "JF                  r",
        ", -> ",
        "const 0 = string \"exact text\"",
        "FIELDT    semver    r",
        "CONV      int       r",
        "BITS                r",
        "OK\n",
        "\nrecords\n",
        "sla.N: 0 srv 1 cir",
        "EACH      all L0    r",
        ", records 0 'sla' (source), -> ",
        "EACH      any L1    r",
        "AGAIN     any L1    r",
        ", <- ",
        "RFIELD              r",
        ", field 0 'sla.N.srv' (target), #1",
        "RHAS                r",
        ", field 1 'sla.N.cir' (target), #1",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(buf, want[i]), "missing '%s' in:\n%s", want[i], buf);
    /* snprintf style: truncated, NUL-terminated, full length returned */
    char small[16];
    cr_assert_eq(disasm_program(&pol->prog, small, sizeof small), n);
    cr_assert_eq(strlen(small), sizeof small - 1);
    cr_assert(strncmp(small, buf, sizeof small - 1) == 0);
    free(buf);

    char ct[64];
    const program *p = &pol->prog;
    cr_assert_eq(ctable_render(p, &p->ctables[0], ct, sizeof ct), strlen("1..100,200"));
    cr_assert_str_eq(ct, "1..100,200");
    cr_assert_eq(ctable_render(p, &p->ctables[0], ct, 4), 10);
    cr_assert_str_eq(ct, "1..");
    dc_policy_free(pol);
}

/* docs/bytecode.md lists every opcode with its number, operand roles and
 * types as opcodes.def has them: the format's readers (bindings/go) follow
 * the page. */
Test(cbc, bytecode_doc_lists_every_opcode)
{
    size_t len;
    char *doc = slurp(DC_TEST_DATA "/../../docs/bytecode.md", &len);
    for (unsigned op = 0; op < I__COUNT; op++) {
        char row[128];
        snprintf(row, sizeof row, "| %u | `%s` | `%s` | `%s` |", op, op_names[op],
                 op_operands[op], op_types[op]);
        cr_expect(strstr(doc, row), "docs/bytecode.md lacks the row '%s'", row);
    }
    char refused[64];
    snprintf(refused, sizeof refused, "opcode from %u up is refused", (unsigned)I__COUNT);
    cr_expect(strstr(doc, refused), "docs/bytecode.md lacks '%s'", refused);
    free(doc);
}

/* ------------------------------------------------------------ mutations */

/* xorshift64*: a fixed seed, so every run mutates the same way */
#ifndef MUTATION_SEED
#define MUTATION_SEED 0x9e3779b97f4a7c15ull
#endif
static uint64_t rng_state = MUTATION_SEED;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
    return n ? (uint32_t)(rnd() % n) : 0;
}

/* Load mutated bytes; a program that loads must evaluate every fact pair,
 * explain itself, disassemble and save without trouble. */
static dc_status try_load(const suite *s, const uint8_t *d, size_t len, bool exercise)
{
    dc_policy *pol = NULL;
    dc_error err = { 0 };
    dc_status st = dc_policy_load("m.cbc", d, len, &pol, &err);
    if (st != DC_OK) {
        cr_assert_eq(st, DC_ERR_BYTECODE, "status %d: %s", st, err.message);
        cr_assert_null(pol);
        cr_assert(strncmp(err.message, "m.cbc: ", 7) == 0, "%s", err.message);
        return st;
    }
    if (!exercise) {
        dc_policy_free(pol);
        return st;
    }
    dc_result *r = new_result(pol);
    cr_assert(r);
    dc_prepared *prep[16];
    for (size_t i = 0; i < s->nfacts; i++)
        cr_assert_eq(dc_prepare(pol, s->facts[i], &prep[i], &err), DC_OK);
    for (size_t i = 0; i < s->nfacts; i++) {
        dc_verdict v[16];
        int32_t b[16];
        cr_assert_eq(
            dc_check_batch(pol, prep[i], (const dc_prepared *const *)prep, s->nfacts, v, b),
            DC_OK);
        for (size_t j = 0; j < s->nfacts; j++) {
            cr_assert_eq(dc_check(pol, prep[i], prep[j], r), DC_OK);
            cr_assert_eq(dc_result_verdict(r), v[j]);
            dc_binding bind = DC_BINDING_INIT;
            for (size_t k = 0; k < dc_result_binding_count(r); k++)
                cr_assert_eq(dc_result_binding_get(r, k, &bind), DC_OK);
            dc_reason why = DC_REASON_INIT;
            for (size_t k = 0; k < dc_result_reason_count(r); k++)
                cr_assert_eq(dc_result_reason_get(r, k, &why), DC_OK);
            cr_assert(explanation(r));
        }
    }
    for (size_t i = 0; i < s->nfacts; i++)
        dc_prepared_free(prep[i]);
    dc_result_free(r);
    char small[64];
    disasm_program(&pol->prog, small, sizeof small);
    uint8_t *again;
    size_t alen;
    save(pol, &again, &alen);
    cr_assert_eq(alen, len);
    cr_assert(memcmp(again, d, len) == 0, "a loaded program saves differently");
    dc_buffer_free(pol, again);
    dc_policy_free(pol);
    return st;
}

Test(cbc, mutation_checksum_catches, .timeout = 120)
{
    long runs = 0;
    for (size_t k = 0; k < NSUITES; k++) {
        suite s;
        suite_init(&s, suites[k]);
        uint8_t *d;
        size_t len;
        save(s.pol, &d, &len);
        uint8_t *m = malloc(len + 256);
        /* every bit of the first 4 KiB, a sample of the rest */
        for (size_t bit = 0; bit < len * 8; bit++) {
            if (bit >= 4096 * 8 && rnd_below(16))
                continue;
            memcpy(m, d, len);
            m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            cr_assert_eq(try_load(&s, m, len, false), DC_ERR_BYTECODE, "%s: bit %zu", s.name,
                         bit);
            runs++;
        }
        /* every truncation */
        for (size_t n = 0; n < len; n++, runs++)
            cr_assert_eq(try_load(&s, d, n, false), DC_ERR_BYTECODE, "%s: %zu bytes", s.name,
                         n);
        /* garbage appended */
        for (size_t n = 1; n <= 256; n *= 2, runs++) {
            memcpy(m, d, len);
            for (size_t i = 0; i < n; i++)
                m[len + i] = (uint8_t)rnd();
            cr_assert_eq(try_load(&s, m, len + n, false), DC_ERR_BYTECODE);
        }
        /* halves of two files spliced */
        suite o;
        suite_init(&o, suites[(k + 1) % NSUITES]);
        uint8_t *od;
        size_t olen;
        save(o.pol, &od, &olen);
        uint8_t *sp = malloc(len + olen);
        for (size_t cut = 1; cut < len && cut < olen; cut += 7, runs++) {
            memcpy(sp, d, cut);
            memcpy(sp + cut, od + cut, olen - cut);
            if (memcmp(sp, od, olen) != 0)
                cr_assert_eq(try_load(&s, sp, olen, false), DC_ERR_BYTECODE);
        }
        free(sp);
        dc_buffer_free(o.pol, od);
        suite_free(&o);
        free(m);
        dc_buffer_free(s.pol, d);
        suite_free(&s);
    }
    cr_log_info("checksum mutations: %ld loads, all refused", runs);
}

/* Section offsets of a saved file, from its section table. */
static void section(const uint8_t *d, int id, uint32_t *off, uint32_t *size, uint32_t *count)
{
    const uint8_t *e = d + 32 + (id - 1) * 16;
    *count = (uint32_t)(e[4] | e[5] << 8 | e[6] << 16 | (uint32_t)e[7] << 24);
    *off = (uint32_t)(e[8] | e[9] << 8 | e[10] << 16 | (uint32_t)e[11] << 24);
    *size = (uint32_t)(e[12] | e[13] << 8 | e[14] << 16 | (uint32_t)e[15] << 24);
}

/* One mutation of a well-formed file, weighted to produce programs the
 * decoder accepts and only the verifier can judge. */
static size_t mutate(uint8_t *m, const uint8_t *d, size_t len)
{
    memcpy(m, d, len);
    uint32_t off, size, count;
    int kind = (int)rnd_below(10);
    int nmut = 1 + (int)rnd_below(3);
    for (int i = 0; i < nmut; i++) {
        if (kind < 4) {
            /* an instruction field: small values are the interesting ones */
            section(d, 15, &off, &size, &count);
            uint32_t at = off + 8 * rnd_below(count) + rnd_below(8);
            uint32_t r = rnd_below(4);
            m[at] = r == 0   ? (uint8_t)rnd()
                    : r == 1 ? (uint8_t)(m[at] + 1)
                    : r == 2 ? (uint8_t)(m[at] - 1)
                             : (uint8_t)rnd_below(48);
        } else if (kind < 6) {
            /* a field of a table */
            int id = 3 + (int)rnd_below(12);
            section(d, id, &off, &size, &count);
            if (!size)
                continue;
            uint32_t at = off + rnd_below(size);
            uint32_t r = rnd_below(4);
            m[at] = r == 0   ? (uint8_t)rnd()
                    : r == 1 ? (uint8_t)(m[at] + 1)
                    : r == 2 ? (uint8_t)(m[at] - 1)
                             : (uint8_t)(m[at] ^ (1u << rnd_below(8)));
        } else if (kind < 8) {
            /* any bit past the checksum */
            uint32_t at = 16 + rnd_below((uint32_t)len - 16);
            m[at] ^= (uint8_t)(1u << rnd_below(8));
        } else if (kind < 9) {
            /* swap two instructions */
            section(d, 15, &off, &size, &count);
            uint32_t a = off + 8 * rnd_below(count), b = off + 8 * rnd_below(count);
            uint8_t tmp[8];
            memcpy(tmp, m + a, 8);
            memcpy(m + a, m + b, 8);
            memcpy(m + b, tmp, 8);
        } else {
            /* copy a register operand over another */
            section(d, 15, &off, &size, &count);
            uint32_t a = off + 8 * rnd_below(count) + 2 + 2 * rnd_below(3);
            uint32_t b = off + 8 * rnd_below(count) + 2 + 2 * rnd_below(3);
            m[a] = m[b];
            m[a + 1] = m[b + 1];
        }
    }
    fix_crc(m, len);
    return len;
}

#ifndef MUTATIONS
#define MUTATIONS 4000
#endif

Test(cbc, mutation_verifier, .timeout = 300)
{
    long runs = 0, loaded = 0, changed = 0;
    for (size_t k = 0; k < NSUITES; k++) {
        suite s;
        suite_init(&s, suites[k]);
        uint8_t *d;
        size_t len;
        save(s.pol, &d, &len);
        uint8_t *m = malloc(len);
        for (int i = 0; i < MUTATIONS; i++, runs++) {
            mutate(m, d, len);
            if (try_load(&s, m, len, true) == DC_OK) {
                loaded++;
                changed += memcmp(m, d, len) != 0;
            }
        }
        /* and every truncation and splice with a good checksum */
        for (size_t n = 32; n < len; n += 5, runs++) {
            memcpy(m, d, n);
            fix_crc(m, n);
            try_load(&s, m, n, true);
        }
        free(m);
        dc_buffer_free(s.pol, d);
        suite_free(&s);
    }
    cr_log_info("verifier mutations: %ld loads, %ld accepted (%ld of them changed programs)",
                runs, loaded, changed);
    /* the verifier lets harmless changes through: they were evaluated */
    cr_assert(changed > 0);
}

/* ------------------------------------------------------------ dataflow */

/* kitchen's `where bool(source.flag) || !flag`:
 *   FIELDT bool r, flag; MOVE d, r; JT d -> W; NOT n, flag; MOVE d, n; W: WHERE d */
static insn *flag_rule(program *p)
{
    for (uint32_t pc = p->blocks[1].entry; pc < p->blocks[1].end; pc++) {
        insn *i = &p->code[pc];
        if (i->op == I_FIELDT && (i->t & TYPE_MASK) == VT_BOOL) {
            cr_assert_eq(i[1].op, I_MOVE);
            cr_assert_eq(i[2].op, I_JT);
            cr_assert_eq(i[3].op, I_NOT);
            cr_assert_eq(i[4].op, I_MOVE);
            cr_assert_eq(i[5].op, I_WHERE);
            return i;
        }
    }
    cr_assert_fail("no FIELDT bool");
    return NULL;
}

Test(cbc, verifier_unreachable_code)
{
    /* NOT becomes FAIL: the MOVE after it is unreachable (it reads a
     * register nothing wrote, and is not checked); WHERE is reached by the
     * jump only */
    dc_policy *pol = compile_text("kitchen.compat", kitchen, strlen(kitchen));
    insn *i = flag_rule(&pol->prog);
    i[3] = (insn){ I_FAIL, 0, 0, 0, 0 };
    char msg[256];
    cr_assert(cbc_verify(&pol->prog, msg, sizeof msg), "%s", msg);
    dc_policy *back = roundtrip(pol);
    dc_facts *s = facts_text(kitchen_facts[1]), *t = facts_text(kitchen_facts[0]);
    text a = { 0 };
    digest(back, s, t, &a);
    cr_assert(strstr(a.s, "condition is false: bool(source.flag) || !flag"), "%s", a.s);
    free(a.s);
    dc_facts_free(s);
    dc_facts_free(t);
    dc_policy_free(back);
    dc_policy_free(pol);
}

static void m_conflict(program *p)
{
    /* the fall-through writes an int where the jump brings a bool */
    insn *i = flag_rule(p);
    uint16_t k = 0;
    while (p->kconsts[k].type != VT_INT)
        k++;
    i[4] = (insn){ I_LOADK, 0, i[4].a, k, 0 };
    snprintf(expected, sizeof expected,
             "instruction %u (WHERE): register %u is read but not "
             "written (with one type) on every path",
             pc_of(p, &i[5]), i[5].a);
}

static void m_merge_ok_reg(program *p)
{
    /* the two ways into WHERE write its register with different
     * instructions, the same type: fine */
    insn *i = flag_rule(p);
    i[4] = (insn){ I_HAS, 0, i[4].a, 0, 0 };
    snprintf(expected, sizeof expected, "ok");
}

Test(cbc, verifier_merges)
{
    expected[0] = '\0';
    dc_policy *pol = compile_text("v.compat", kitchen, strlen(kitchen));
    m_conflict(&pol->prog);
    dc_policy_free(pol);
    char want[256];
    memcpy(want, expected, sizeof want);
    expect_rejected(kitchen, m_conflict, want);

    pol = compile_text("v.compat", kitchen, strlen(kitchen));
    m_merge_ok_reg(&pol->prog);
    char msg[256];
    cr_assert(cbc_verify(&pol->prog, msg, sizeof msg), "%s", msg);
    dc_policy_free(pol);
}

Test(cbc, verifier_budget)
{
    /* 20000 jumps over a register that changes type twice between each:
     * merging them all at the end would take 4e8 steps: refused, quickly */
    static const char src[] = "SELF:\n    a = x\nCOMPATIBLE:\n    b = y\n";
    dc_policy *pol = compile_text("budget.compat", src, strlen(src));
    program *p = &pol->prog;
    const uint32_t n = 20000, len = 2 + 3 * n + 1;
    uint32_t entry = p->blocks[1].entry;
    p->code = realloc(p->code, (entry + len) * sizeof *p->code);
    insn *c = p->code + entry;
    uint32_t at = 0;
    c[at++] = (insn){ I_RULE, 0, 0, 0, 0 };
    c[at++] = (insn){ I_HAS, SIDE_SOURCE, 0, 1, 0 };
    for (uint32_t i = 0; i < n; i++) {
        c[at] = (insn){ I_JF, 0, 0, (uint16_t)(len - 1 - (at + 1)), 0 };
        at++;
        c[at++] = (insn){ I_LOADK, 0, 1, 0, 0 };
        c[at++] = (insn){ I_HAS, SIDE_SOURCE, 1, 1, 0 };
    }
    c[at++] = (insn){ I_OK, 0, 0, 0, 0 };
    p->ncode = entry + len;
    p->blocks[1].end = p->ncode;
    p->nregs = 2;
    char msg[256];
    cr_assert(!cbc_verify(p, msg, sizeof msg));
    cr_assert(strstr(msg, "too complex to verify"), "%s", msg);
    /* with few jumps the same shape passes */
    c[2 + 3 * 100] = (insn){ I_JF, 0, 0, (uint16_t)(len - 1 - (2 + 3 * 100 + 1)), 0 };
    for (uint32_t i = 0; i < n; i++)
        if (i != 100)
            c[2 + 3 * i] = (insn){ I_NONEMPTY, SIDE_SOURCE, 1, 0, 0 };
    cr_assert(cbc_verify(p, msg, sizeof msg), "%s", msg);
    dc_policy_free(pol);
}

/* ------------------------------------------------------------ allocation */

Test(cbc, load_under_allocation_failures)
{
    dc_policy *pol = compile_text("kitchen.compat", kitchen, strlen(kitchen));
    uint8_t *d;
    size_t len;
    save(pol, &d, &len);
    for (long at = 1;; at++) {
        test_alloc f = { .fail_at = at };
        dc_alloc a = test_hook(&f);
        dc_policy *back = NULL;
        dc_error err = { 0 };
        dc_status st = dc_policy_load_ex(&a, "k.cbc", d, len, &back, &err);
        if (st == DC_OK) {
            cr_assert(f.calls < at, "allocation %ld failed and loading still succeeded", at);
            f.fail_at = 0;
            uint8_t *again;
            size_t alen;
            save(back, &again, &alen);
            cr_assert(alen == len && !memcmp(again, d, len));
            dc_buffer_free(back, again);
            dc_policy_free(back);
            cr_assert_eq(f.live, 0);
            break;
        }
        cr_assert_eq(st, DC_ERR_NOMEM, "allocation %ld: %s", at, err.message);
        cr_assert_null(back);
        cr_assert_str_eq(err.message, "k.cbc: out of memory");
        cr_assert_eq(f.live, 0, "allocation %ld: %ld blocks leaked", at, f.live);
    }
    dc_buffer_free(pol, d);
    dc_policy_free(pol);
}
