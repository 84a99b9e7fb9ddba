/* test_prepare_text.c -- a device refilled from key=value text
 * (dc_prepared_new, dc_prepared_parse_text) against the way it replaces,
 * dc_facts_parse_text then dc_prepare: the same status and message on every
 * text, and when both prepare a device, the same verdict, block and
 * explanation with either as the source or the target.  Texts: every
 * fixture of tests/data and policies/, the bench's devices, texts written
 * to reach each way out of the reader, and every text one edit away from
 * a few of them; policies: the bench's two rules and every shipped one.
 * Then what a refill allocates: nothing once its room has grown; and the
 * values preparing reads without value_parse (prep_quick_value), against
 * value_parse. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devcompat.h"
#include "helpers.h"
#include "prepared.h"
#include "test_alloc.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n + 4096 > cap)
            cr_assert_not_null(buf = realloc(buf, cap = 2 * cap + 4096));
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got);
    fclose(f);
    *len = n;
    return buf;
}

static dc_policy *compile_file(const dc_alloc *a, const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    dc_policy *p = NULL;
    dc_error err;
    cr_assert_eq(dc_policy_compile_ex(a, path, text, len, &p, NULL, &err), DC_OK, "%s: %s",
                 path, err.message);
    free(text);
    return p;
}

/* ------------------------------------------------------------ the texts */

typedef struct texts {
    char **s;
    size_t *len;
    size_t n, cap;
} texts;

static void add(texts *t, const char *s, size_t len)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        cr_assert_not_null(t->s = realloc(t->s, t->cap * sizeof *t->s));
        cr_assert_not_null(t->len = realloc(t->len, t->cap * sizeof *t->len));
    }
    cr_assert_not_null(t->s[t->n] = malloc(len + 1));
    memcpy(t->s[t->n], s, len);
    t->s[t->n][len] = '\0';
    t->len[t->n++] = len;
}

static void add_str(texts *t, const char *s)
{
    add(t, s, strlen(s));
}

static void texts_free(texts *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->s[i]);
    free(t->s);
    free(t->len);
}

/* Every file of dir whose name ends in one of the suffixes. */
static void add_dir(texts *t, const char *dir, const char *const *suffixes)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        for (const char *const *s = suffixes; *s; s++) {
            size_t k = strlen(*s);
            if (n > k && !strcmp(e->d_name + n - k, *s)) {
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                size_t len;
                char *text = slurp(path, &len);
                add(t, text, len);
                free(text);
            }
        }
    }
    closedir(d);
}

/* Texts written to reach each way out of the reader and of preparing. */
static const char *const written[] = {
    "",
    "\n\n  \n",
    "# only a comment\n",
    "vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n",
    "vendor = acme\r\nmodel\t=\ta9 \r\nslices=4\naggregate=8\nfirmware=1.2\n",
    "vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3",
    "vendor=acme\nmodel=a9\nslices=04\naggregate=0x8\nfirmware=01.2.3\n",
    "vendor=acme\nmodel=a9\nslices=-4\naggregate=+8\nfirmware=1.2.3-rc.1+b5\n",
    "vendor=acme\nmodel=a9\nslices=99999999999999999999\naggregate=9223372036854775807\n"
    "firmware=18446744073709551615.0.0\n",
    "vendor=acme\nmodel=a9\nslices=123456789012345678\naggregate=1234567890123456789\n"
    "firmware=123456789012345678.1234567890123456789.0\n",
    "vendor=acme\nvendor=acme\n",
    "vendor=acme\nx=1\ny=2\nx=3\n",
    "vendor=\"acme\"\nmodel=\"a 9 # not a comment\"\n",
    "vendor=acme # a comment\nmodel=a#9\n",
    "vendor=ac\"me # not\" # but this\n",
    "SELF:\nvendor=acme\nmodel=a9\n",
    "SELF = x\nPOLICY=y\nCOMPATIBLE\t= z\nSELFISH=1\nPOLICYx=2\nCOMPATIBLE_=3\n",
    "SELF:\nvendor=acme\nCOMPATIBLE:\n    vendor = {v}\n",
    "vendor=acme\nPOLICY:\n  name = x\n",
    "vendor=acme\nSELF:\n",
    "vendor=acme\n\rmodel=a9\n",
    "vendor=acme\x01\n",
    "vendor=acm\xc3\xa9\n",
    "vendor acme\n",
    "1vendor=acme\n",
    "vendor.=acme\n",
    "sla.0.cir=1\nsla.1.cir=2\nsla.01.cir=3\n",
    "sla.0=1\n",
    "device_api=vfio-pci\npci_id=8086591d\nmdev_type=i915-GVTg_V5_4\naggregator=2\n"
    "software_version=1.4.0\n",
    "device_api=vfio-pci\npci_id=0x8086591D\nmdev_type=i915-GVTg_V5_3\naggregator=2\n"
    "software_version=1.4\n",
    "device_api=vfio-pci\npci_id=8086591d0000000000\nmdev_type=i915-GVTg_V5_4\n",
    "a=1\nb=2\nc=3\nd=4\ne=5\nf=6\ng=7\nh=8\ni=9\nj=10\nk=11\nl=12\nm=13\nn=14\no=15\n"
    "p=16\nq=17\nr=18\ns=19\nt=20\nu=21\nv=22\nw=23\nx=24\ny=25\nz=26\n",
};

/* Texts for a refilled device's reader (prepare.c's text_slots), which
 * tries first the fact that followed the last one in the texts before:
 * after where.compat's and share.compat's texts, texts that match it for a
 * while and then leave it (a name that extends the expected one, blanks,
 * another order, a fact left out or twice, facts of no slot between,
 * a value that is quoted, commented or past its limit, CRLF, a NUL byte,
 * the text ending inside or right after a name).  Lengths are given: some
 * hold a NUL. */
#define T(s)                                                                                   \
    {                                                                                          \
        s, sizeof s - 1                                                                        \
    }
static const struct {
    const char *s;
    size_t len;
} leaving[] = {
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\nmodel=a9\n"),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\nvendor=acme\n"),
    T("vendorx=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel_=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel.x=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel =a9\nslices\t=4\naggregate= 8\nfirmware=1.2.3 \n"),
    T("vendor=acme\n model=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel==a9\nslices=4=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel=\nslices=\naggregate=8\nfirmware=\n"),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=\"1.2.3\"\n"),
    T("vendor=acme\nmodel=a9\nslices=4 # four\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8#x\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\nSELF:\n"),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\nCOMPATIBLE:\n"),
    T("firmware=1.2.3\naggregate=8\nslices=4\nmodel=a9\nvendor=acme\n"),
    T("vendor=acme\nslices=4\nfirmware=1.2.3\n"),
    T("model=a9\nvendor=acme\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nx=1\nmodel=a9\ny=2\nslices=4\nz=3\naggregate=8\nfirmware=1.2.3\nw=4\n"),
    T("vendor=acme\nx=1\nmodel=a9\ny=2\nslices=4\nx=3\naggregate=8\nfirmware=1.2.3\n"),
    T("a0=0\na1=1\na2=2\na3=3\na4=4\na5=5\na6=6\na7=7\na8=8\na9=9\nb0=0\nb1=1\nb2=2\n"
      "b3=3\nb4=4\nb5=5\nb6=6\nb7=7\nb8=8\nb9=9\nvendor=acme\nb3=3\n"),
    T("vendor=acme\n# a comment\n\n  \nmodel=a9\n\tslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\r\nmodel=a9\r\nslices=4\r\naggregate=8\r\nfirmware=1.2.3\r\n"),
    T("vendor=acme\r\nmodel=a9\rslices=4\r\naggregate=8\r\nfirmware=1.2.3\r\n"),
    T("vendor=acme\nmodel=a9\r\r\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel=a\0009\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel\0=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n"),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n\0"),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.\x80\n"),
    T("vendor=acme\nmodel=a9\nslices"),
    T("vendor=acme\nmodel=a9\nslices="),
    T("vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware"),
    T("vendor=acme\nmodel=a9\nSELF=4\naggregate=8\nfirmware=1.2.3\n"),
    T("device_api=vfio-pci\npci_id=8086591d\nmdev_type=i915-GVTg_V5_4\naggregator=2\n"
      "software_version=1.4.0\n"),
    T("device_api=vfio-pci\r\npci_id=8086591d\r\nmdev_type=i915-GVTg_V5_4\r\naggregator=2\r\n"
      "software_version=1.4.0\r\n"),
    T("device_api=vfio-pci\npci_id=8086591d\nmdev_type=i915-GVTg_V5_4\naggregator=2\n"
      "software_version=1.4.0\ndevice_api=vfio-pci\n"),
    T("device_api=vfio-pci\npci_id=8086591d\nmdev_type=i915-GVTg_V5_4\naggregator=2\n"
      "software_version=\"1.4.0\"\n"),
    T("device_api=vfio-pci\npci_id=8086591d\nmdev_type=\"i915-GVTg_V5_4\"\naggregator=2\n"
      "software_version=1.4.0\n"),
    T("device_api=vfio-pci\npci_id=8086591d\nmdev_type_x=i915-GVTg_V5_4\naggregator=2\n"
      "software_version=1.4.0\n"),
    T("device_apix=vfio-pci\npci_id=8086591d\nmdev_type=i915-GVTg_V5_4\naggregator=2\n"
      "software_version=1.4.0\n"),
};

/* where.compat's texts with a value (the model's or the slices') and a
 * name of no slot at and past their limits, among the facts the reader
 * expects. */
static void add_limits(texts *t)
{
    static char buf[2 * 4200 + 600];
    for (int len = 4095; len <= 4097; len++)
        for (int at = 0; at < 2; at++) {
            int n = snprintf(buf, sizeof buf, "vendor=acme\nmodel=%s", at ? "a9\nslices=" : "");
            memset(buf + n, '4', (size_t)len);
            n += len;
            n += snprintf(buf + n, sizeof buf - (size_t)n, "\n%saggregate=8\nfirmware=1.2.3\n",
                          at ? "" : "slices=4\n");
            add(t, buf, (size_t)n);
        }
    for (int len = 254; len <= 256; len++) {
        int n = snprintf(buf, sizeof buf, "vendor=acme\nmodel=a9\n");
        memset(buf + n, 'n', (size_t)len);
        n += len;
        n += snprintf(buf + n, sizeof buf - (size_t)n, "=1\nslices=4\naggregate=8\n");
        add(t, buf, (size_t)n);
    }
}

/* Texts of many facts: around the room a refilled device starts with and
 * grows to (32, 64, ...), and past the limit of a device. */
static void add_many(texts *t)
{
    static char buf[64 * 1100];
    for (int count = 30; count <= 1030; count += count < 70 ? 1 : count < 1020 ? 954 : 1) {
        size_t n = 0;
        for (int i = 0; i < count; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "f%04d=%d\n", (i * 37) % count, i);
        add(t, buf, n);
        if (count == 64) { /* a duplicate only as the last */
            n += (size_t)snprintf(buf + n, sizeof buf - n, "f0001=x\n");
            add(t, buf, n);
        }
    }
    /* the limit reached and passed by where.compat's facts, after others */
    for (int count = 1019; count <= 1020; count++) {
        size_t n = 0;
        for (int i = 0; i < count; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "f%04d=%d\n", i, i);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", written[3]);
        add(t, buf, n);
    }
    /* a value and a name at and past their limits */
    char *v = malloc(5000);
    cr_assert_not_null(v);
    for (int len = 4095; len <= 4097; len++) {
        int n = snprintf(v, 5000, "vendor=");
        memset(v + n, 'v', (size_t)len);
        add(t, v, (size_t)n + (size_t)len);
    }
    for (int len = 255; len <= 256; len++) {
        memset(v, 'n', (size_t)len);
        memcpy(v + len, "=1\n", 3);
        add(t, v, (size_t)len + 3);
    }
    free(v);
}

/* Every text one edit away from base: a byte of `alphabet` inserted before
 * or written over each byte, each byte deleted. */
static void add_edits(texts *t, const char *base)
{
    static const char alphabet[] = " \t\n\r#\"=.:\\S0x,a\x80";
    size_t n = strlen(base);
    char *buf = malloc(n + 2);
    cr_assert_not_null(buf);
    for (size_t i = 0; i <= n; i++) {
        for (size_t k = 0; k < sizeof alphabet; k++) { /* the NUL too */
            memcpy(buf, base, i);
            buf[i] = alphabet[k];
            memcpy(buf + i + 1, base + i, n - i);
            add(t, buf, n + 1);
            if (i < n) {
                memcpy(buf, base, n);
                buf[i] = alphabet[k];
                add(t, buf, n);
            }
        }
        if (i < n) {
            memcpy(buf, base, i);
            memcpy(buf + i, base + i + 1, n - i - 1);
            add(t, buf, n - 1);
        }
    }
    free(buf);
}

static texts corpus;

static void corpus_build(void)
{
    static const char *const kv[] = { ".kv", ".txt", ".facts", NULL };
    add_dir(&corpus, DC_SRCDIR "/policies", kv);
    add_dir(&corpus, DC_SRCDIR "/tests/data/facts", kv);
    for (size_t i = 0; i < sizeof written / sizeof *written; i++)
        add_str(&corpus, written[i]);
    add_many(&corpus);
    for (size_t i = 0; i < sizeof leaving / sizeof *leaving; i++)
        add(&corpus, leaving[i].s, leaving[i].len);
    add_limits(&corpus);
    add_edits(&corpus, written[3]);
    add_edits(&corpus, written[29]);
    add_edits(&corpus, leaving[18].s);
    add_edits(&corpus, leaving[22].s);
    add_edits(&corpus, "SELF:\n  vendor = \"acme\" # x\nsla.0.cir=1\n");
}

/* ------------------------------------------------------- the comparison */

/* The old way: the status and message, and the device when prepared. */
static dc_status old_way(const dc_policy *p, const char *text, size_t len, dc_prepared **out,
                         dc_error *err)
{
    dc_facts *f = NULL;
    *out = NULL;
    dc_status st = dc_facts_parse_text("t.kv", text, len, &f, err);
    if (st == DC_OK)
        st = dc_prepare(p, f, out, err);
    dc_facts_free(f);
    return st;
}

/* Checks of (s, t) and (s2, t2) agree: verdict, block, rendering. */
static void same_check(const dc_policy *p, dc_result *r1, dc_result *r2, const dc_prepared *s,
                       const dc_prepared *t, const dc_prepared *s2, const dc_prepared *t2,
                       const char *text)
{
    cr_assert_eq(dc_check(p, s, t, r1), DC_OK);
    cr_assert_eq(dc_check(p, s2, t2, r2), DC_OK);
    cr_assert_eq(dc_result_verdict(r1), dc_result_verdict(r2), "%s: verdict, text:\n%s",
                 dc_policy_name(p), text);
    cr_assert_eq(dc_result_block(r1), dc_result_block(r2));
    const char *a = NULL, *b = NULL;
    cr_assert_eq(dc_result_render(r1, DC_FORMAT_JSON, DC_RENDER_EXPLAIN, "t", &a), DC_OK);
    cr_assert_eq(dc_result_render(r2, DC_FORMAT_JSON, DC_RENDER_EXPLAIN, "t", &b), DC_OK);
    cr_assert_str_eq(a, b, "%s: text:\n%s", dc_policy_name(p), text);
}

/* Every text of the corpus both ways with policy p; returns how many
 * prepared a device. */
static size_t differ(const dc_policy *p)
{
    dc_prepared *d = NULL, *partner = NULL;
    cr_assert_eq(dc_prepared_new(p, &d, NULL), DC_OK);
    dc_result *r1 = new_result(p), *r2 = new_result(p);
    cr_assert(r1 && r2);
    size_t ok = 0;
    for (size_t i = 0; i < corpus.n; i++) {
        const char *text = corpus.s[i];
        size_t len = corpus.len[i];
        dc_error e1 = { 0 }, e2 = { 0 };
        dc_prepared *old = NULL;
        dc_status s1 = old_way(p, text, len, &old, &e1);
        dc_status s2 = dc_prepared_parse_text(d, "t.kv", text, len, &e2);
        cr_assert_eq(s2, s1, "%s: status %d, was %d (%s / %s), text:\n%s", dc_policy_name(p),
                     s2, s1, e2.message, e1.message, text);
        if (s1 != DC_OK) {
            cr_assert_str_eq(e2.message, e1.message, "text:\n%s", text);
            cr_assert_eq(dc_check(p, d, d, r1), DC_ERR_INVALID, "an emptied device is refused");
            continue;
        }
        ok++;
        same_check(p, r1, r2, d, d, old, old, text);
        if (partner) {
            same_check(p, r1, r2, d, partner, old, partner, text);
            same_check(p, r1, r2, partner, d, partner, old, text);
        }
        /* the first device of the policy's own becomes the partner */
        if (!partner && dc_result_verdict(r2) != DC_TARGET_MISMATCH)
            partner = old;
        else
            dc_prepared_free(old);
    }
    dc_prepared_free(partner);
    dc_prepared_free(d);
    dc_result_free(r1);
    dc_result_free(r2);
    return ok;
}

Test(prepare_text, agrees_with_parse_then_prepare_on_every_text)
{
    corpus_build();
    cr_assert_gt(corpus.n, 5000, "%zu", corpus.n);
    const char *const bench[] = { DC_SRCDIR "/bench/share.compat",
                                  DC_SRCDIR "/bench/where.compat" };
    size_t ok = 0, policies = 0;
    for (size_t i = 0; i < 2; i++) {
        dc_policy *p = compile_file(NULL, bench[i]);
        ok += differ(p);
        policies++;
        dc_policy_free(p);
    }
    DIR *dir = opendir(DC_SRCDIR "/policies");
    cr_assert_not_null(dir);
    for (struct dirent *e; (e = readdir(dir));) {
        size_t n = strlen(e->d_name);
        if (n < 8 || strcmp(e->d_name + n - 7, ".compat"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/policies/%s", DC_SRCDIR, e->d_name);
        dc_policy *p = compile_file(NULL, path);
        ok += differ(p);
        policies++;
        dc_policy_free(p);
    }
    closedir(dir);
    cr_assert_geq(policies, 12);
    /* a fair share of the texts prepared a device, with every policy */
    cr_assert_gt(ok, policies * 1000, "%zu devices", ok);
    texts_free(&corpus);
}

/* -------------------------------------------------------------- misuse */

Test(prepare_text, misuse_is_refused)
{
    dc_policy *p = compile_file(NULL, DC_SRCDIR "/bench/where.compat");
    dc_prepared *d = NULL, *one = NULL;
    dc_error err;
    cr_assert_eq(dc_prepared_new(NULL, &d, &err), DC_ERR_INVALID);
    cr_assert_null(d);
    cr_assert_eq(dc_prepared_new(p, NULL, &err), DC_ERR_INVALID);
    cr_assert_eq(dc_prepared_parse_text(NULL, "t", "a=1\n", 4, &err), DC_ERR_INVALID);
    cr_assert_eq(dc_prepared_new(p, &d, &err), DC_OK);
    dc_result *r = new_result(p);
    cr_assert_eq(dc_check(p, d, d, r), DC_ERR_INVALID, "empty until filled");
    const char *text = "vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n";
    cr_assert_eq(dc_prepared_parse_text(d, NULL, text, strlen(text), &err), DC_OK);
    cr_assert_eq(dc_check(p, d, d, r), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_COMPATIBLE);
    /* a NULL text is the reader's error; then the device holds none */
    cr_assert_eq(dc_prepared_parse_text(d, NULL, NULL, 3, &err), DC_ERR_INVALID);
    cr_assert_eq(dc_check(p, d, d, r), DC_ERR_INVALID);
    cr_assert_eq(dc_prepared_parse_text(d, NULL, NULL, 0, &err), DC_OK, "no text: no facts");
    cr_assert_eq(dc_check(p, d, d, r), DC_OK);
    cr_assert_eq(dc_result_verdict(r), DC_TARGET_MISMATCH);
    /* an error names the file, "<facts>" when none is given */
    cr_assert_eq(dc_prepared_parse_text(d, NULL, "a=1\na=2\n", 8, &err), DC_ERR_FACTS);
    cr_assert_str_eq(err.message, "<facts>:2: duplicate fact 'a'");
    /* a device of dc_prepare is not refilled; one of another policy is refused */
    dc_facts *f = NULL;
    cr_assert_eq(dc_facts_parse_text("t", text, strlen(text), &f, NULL), DC_OK);
    cr_assert_eq(dc_prepare(p, f, &one, NULL), DC_OK);
    cr_assert_eq(dc_prepared_parse_text(one, "t", text, strlen(text), &err), DC_ERR_INVALID);
    dc_policy *q = compile_file(NULL, DC_SRCDIR "/bench/share.compat");
    dc_result *rq = new_result(q);
    cr_assert_eq(dc_prepared_parse_text(d, "t", text, strlen(text), &err), DC_OK);
    cr_assert_eq(dc_check(q, d, d, rq), DC_ERR_INVALID);
    dc_result_free(rq);
    dc_policy_free(q);
    dc_facts_free(f);
    dc_prepared_free(one);
    dc_prepared_free(d);
    dc_prepared_free(NULL);
    dc_result_free(r);
    dc_policy_free(p);
}

/* A new device's first text holds none of the policy's facts (empty, or
 * other facts only): its room is made all the same, and it checks as the
 * old way's device does; a text that needs room follows.  Under UBSan this
 * was an offset from a null pointer (docs/security.md, finding 11). */
Test(prepare_text, first_text_without_the_policys_facts)
{
    const char *const rules[] = { DC_SRCDIR "/bench/where.compat",
                                  DC_SRCDIR "/bench/share.compat" };
    const char *const firsts[] = { "", "x=1\n", "# nothing\n" };
    const char *next = "vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n";
    for (size_t k = 0; k < 2; k++) {
        dc_policy *p = compile_file(NULL, rules[k]);
        dc_result *r1 = new_result(p), *r2 = new_result(p);
        for (size_t i = 0; i < sizeof firsts / sizeof *firsts; i++) {
            dc_prepared *d = NULL, *old = NULL;
            dc_error err;
            cr_assert_eq(dc_prepared_new(p, &d, NULL), DC_OK);
            cr_assert_eq(dc_prepared_parse_text(d, "t.kv", firsts[i], strlen(firsts[i]), &err),
                         DC_OK, "%s", err.message);
            cr_assert_eq(old_way(p, firsts[i], strlen(firsts[i]), &old, &err), DC_OK);
            same_check(p, r1, r2, d, d, old, old, firsts[i]);
            cr_assert_eq(dc_result_verdict(r1), DC_TARGET_MISMATCH);
            dc_prepared_free(old);
            cr_assert_eq(dc_prepared_parse_text(d, "t.kv", next, strlen(next), &err), DC_OK);
            cr_assert_eq(old_way(p, next, strlen(next), &old, &err), DC_OK);
            same_check(p, r1, r2, d, d, old, old, next);
            dc_prepared_free(old);
            dc_prepared_free(d);
        }
        dc_result_free(r1);
        dc_result_free(r2);
        dc_policy_free(p);
    }
}

/* --------------------------------------------------------- allocations */

/* A where.compat device's text, its numbers from i. */
static size_t where_text(char *buf, size_t cap, unsigned i)
{
    return (size_t)snprintf(buf, cap,
                            "vendor=%s\nmodel=accel-m%u\nslices=%u\naggregate=%u\n"
                            "firmware=%u.%u.%u\n",
                            i % 3 ? "acme" : "globex-systems", i % 500, 1 + i % 16, 1 + i % 64,
                            1 + i % 2, i % 7, i % 10);
}

Test(prepare_text, refills_allocate_nothing_once_grown)
{
    test_alloc c = { 0 };
    dc_alloc a = test_hook(&c);
    const char *const rules[] = { DC_SRCDIR "/bench/where.compat",
                                  DC_SRCDIR "/bench/share.compat" };
    for (size_t k = 0; k < 2; k++) {
        dc_policy *p = compile_file(&a, rules[k]);
        dc_prepared *s = NULL, *t = NULL;
        dc_result *r = new_result(p);
        cr_assert_eq(dc_prepared_new(p, &s, NULL), DC_OK);
        cr_assert_eq(dc_prepared_new(p, &t, NULL), DC_OK);
        /* a long text first: the room it grows to serves every later one */
        char buf[512];
        int n = snprintf(buf, sizeof buf,
                         "vendor=%0200d\ndevice_api=%0200d\nslices=1\nmdev_type=x\n", 1, 2);
        cr_assert_eq(dc_prepared_parse_text(s, "s", buf, (size_t)n, NULL), DC_OK);
        cr_assert_eq(dc_prepared_parse_text(t, "t", buf, (size_t)n, NULL), DC_OK);
        long before = c.calls;
        unsigned held = 0;
        for (unsigned i = 0; i < 2000; i++) {
            size_t len = where_text(buf, sizeof buf, i);
            cr_assert_eq(dc_prepared_parse_text(s, "s", buf, len, NULL), DC_OK);
            len = where_text(buf, sizeof buf, i % 2 ? i * 7 + 3 : i);
            cr_assert_eq(dc_prepared_parse_text(t, "t", buf, len, NULL), DC_OK);
            cr_assert_eq(dc_check(p, s, t, r), DC_OK);
            held += dc_result_verdict(r) == DC_COMPATIBLE;
        }
        cr_assert_eq(c.calls, before, "%ld allocations in 4000 refills", c.calls - before);
        if (k == 0)
            cr_assert_gt(held, 0, "some pairs are compatible");
        /* an error allocates (the general reader words it), and frees */
        cr_assert_eq(dc_prepared_parse_text(s, "s", "a=1\na=2\n", 8, NULL), DC_ERR_FACTS);
        dc_prepared_free(s);
        dc_prepared_free(t);
        dc_result_free(r);
        dc_policy_free(p);
        cr_assert_eq(c.live, 0, "leak: %ld blocks", c.live);
    }
}

Test(prepare_text, allocation_failures_are_reported)
{
    test_alloc c = { 0 };
    dc_alloc a = test_hook(&c);
    dc_policy *p = compile_file(&a, DC_SRCDIR "/bench/where.compat");
    const char *const text[] = {
        "vendor=acme\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2.3\n",
        "vendor=\"acme\"\nmodel=a9\nslices=4\naggregate=8\nfirmware=1.2\n"
    };
    for (size_t k = 0; k < 2; k++) {
        bool done = false;
        for (long fail = 1; !done && fail < 100; fail++) {
            long base = c.calls;
            c.fail_at = base + fail;
            dc_prepared *d = NULL;
            dc_error err;
            dc_status st = dc_prepared_new(p, &d, &err);
            if (st == DC_OK)
                st = dc_prepared_parse_text(d, "t", text[k], strlen(text[k]), &err);
            cr_assert(st == DC_OK || st == DC_ERR_NOMEM, "%d", st);
            if (st == DC_ERR_NOMEM)
                cr_assert_not_null(strstr(err.message, "out of memory"));
            done = st == DC_OK;
            dc_prepared_free(d);
            c.fail_at = 0;
        }
        cr_assert(done);
    }
    dc_policy_free(p);
    cr_assert_eq(c.live, 0);
}

/* A policy of more slots and registers than preparing keeps on the stack
 * (64): its scratch room is the device's own. */
Test(prepare_text, many_slots_and_registers)
{
    static char pol[16384], text[4096];
    size_t n = (size_t)snprintf(pol, sizeof pol, "POLICY:\n  name = many\nSELF:\n");
    for (int i = 0; i < 70; i++)
        n +=
            (size_t)snprintf(pol + n, sizeof pol - n, "  f%02d = {v%02d:int:0..%d}\n", i, i, i);
    n += (size_t)snprintf(pol + n, sizeof pol - n, "COMPATIBLE:\n");
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(pol + n, sizeof pol - n, "  f%02d = {v%02d}\n", i, i);
    test_alloc c = { 0 };
    dc_alloc a = test_hook(&c);
    dc_policy *p = NULL;
    dc_error err;
    cr_assert_eq(dc_policy_compile_ex(&a, "many", pol, n, &p, NULL, &err), DC_OK, "%s",
                 err.message);
    dc_prepared *d = NULL, *e = NULL;
    cr_assert_eq(dc_prepared_new(p, &d, NULL), DC_OK);
    cr_assert_eq(dc_prepared_new(p, &e, NULL), DC_OK);
    dc_result *r1 = new_result(p), *r2 = new_result(p);
    long refills = 0; /* allocations by refills after the first two */
    for (int round = 0; round < 40; round++) {
        size_t len = 0;
        /* some rounds a value over its range, some a fact left out */
        for (int i = 0; i < 70; i++)
            if (round % 5 != 3 || i != round)
                len += (size_t)snprintf(text + len, sizeof text - len, "f%02d=%d\n", i,
                                        round % 7 == 6 && i == 40 ? 41 : i / 2);
        long before = c.calls;
        cr_assert_eq(dc_prepared_parse_text(d, "t", text, len, &err), DC_OK, "%s", err.message);
        cr_assert_eq(dc_prepared_parse_text(e, "t", text, len, &err), DC_OK, "%s", err.message);
        if (round > 1)
            refills += c.calls - before;
        dc_prepared *old = NULL;
        cr_assert_eq(old_way(p, text, len, &old, &err), DC_OK);
        same_check(p, r1, r2, d, e, old, old, text);
        dc_prepared_free(old);
    }
    cr_assert_eq(refills, 0, "%ld allocations", refills);
    dc_prepared_free(d);
    dc_prepared_free(e);
    dc_result_free(r1);
    dc_result_free(r2);
    dc_policy_free(p);
}

/* ------------------------------------------------- values read quickly */

static bool same_value(const value *a, const value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case VT_INT: return a->as.i == b->as.i;
    case VT_HEX: return a->as.u == b->as.u;
    case VT_SEMVER:
        return a->as.v.major == b->as.v.major && a->as.v.minor == b->as.v.minor &&
               a->as.v.patch == b->as.v.patch && a->as.v.pre.len == b->as.v.pre.len &&
               a->as.v.pre.len == 0;
    default: return false;
    }
}

/* Whatever prep_quick_value reads, value_parse reads alike; returns
 * whether it read it. */
static bool quick_agrees(vtype t, const char *p, size_t n)
{
    value q, v;
    if (!prep_quick_value(t, p, n, &q))
        return false;
    cr_assert(value_parse(t, p, n, &v), "type %d: '%.*s' read quickly only", t, (int)n, p);
    cr_assert(same_value(&q, &v), "type %d: '%.*s' read otherwise", t, (int)n, p);
    return true;
}

Test(prepare_text, quick_values_are_value_parse_s)
{
    static const char alphabet[] = "0123456789.-+xaFg ";
    const size_t k = sizeof alphabet - 1;
    const vtype types[] = { VT_INT, VT_HEX, VT_SEMVER, VT_BOOL, VT_STRING };
    char buf[32];
    size_t quick[5] = { 0 };
    /* every text of up to 5 bytes of the alphabet */
    for (size_t len = 0; len <= 5; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++)
            total *= k;
        for (size_t code = 0; code < total; code++) {
            size_t c = code;
            for (size_t i = 0; i < len; i++, c /= k)
                buf[i] = alphabet[c % k];
            for (size_t t = 0; t < 5; t++)
                quick[t] += quick_agrees(types[t], buf, len);
        }
    }
    /* long numbers: around 16, 18 and 19 digits, the overflows */
    static const char *const longs[] = {
        "123456789012345678",   "1234567890123456789",    "9223372036854775807",
        "9223372036854775808",  "18446744073709551615",   "18446744073709551616",
        "ffffffffffffffff",     "10000000000000000",      "0ffffffffffffffff",
        "0000000000000000001",  "1.2.123456789012345678", "1.2.1234567890123456789",
        "123456789012345678.0", "1.123456789012345678",   "18446744073709551616.0.0",
    };
    for (size_t i = 0; i < sizeof longs / sizeof *longs; i++)
        for (size_t t = 0; t < 3; t++)
            quick[t] += quick_agrees(types[t], longs[i], strlen(longs[i]));
    /* the common forms are read quickly; no other type is */
    cr_assert(quick_agrees(VT_INT, "42", 2) && quick_agrees(VT_HEX, "8086591d", 8) &&
              quick_agrees(VT_SEMVER, "1.2.3", 5) && quick_agrees(VT_SEMVER, "10.0", 4));
    cr_assert(quick[0] > 100000 && quick[1] > 100000 && quick[2] > 1000);
    cr_assert_eq(quick[3] + quick[4], 0);
}
