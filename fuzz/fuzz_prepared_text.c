/*
 * fuzz_prepared_text.c -- a device refilled from key=value text
 * (dc_prepared_new, dc_prepared_parse_text) against the way it replaces,
 * dc_facts_parse_text then dc_prepare (docs/security.md, "Fast paths,
 * checked against the slow ones").
 *
 * The input's first byte chooses a policy (the bench's rules and some of
 * policies/), whether the texts are named, and whether one device or two
 * are refilled; the rest is texts separated by lines holding only "%%".
 * Each text is read both ways: the refilled device gets text after text,
 * whatever their sizes, after errors too.  The two ways must give the same
 * status and message; when both give a device, every check of it against
 * itself and against the earlier texts' devices, either way round and with
 * either kind of device, must give the same status, verdict, block,
 * bindings, reasons and explanation.  A device left empty by an error must
 * be refused by a check.
 */
static void policies_init(void);
#define FUZZ_INIT policies_init

#include "harness.h"
#include "result.h"
#include "../tests/helpers.h"

#define MAX_TEXTS 16

/* The policies, relative to the source tree. */
static const char *const policy_files[] = {
    "bench/share.compat",          "bench/where.compat",       "policies/gvt-share.compat",
    "policies/nvidia-vgpu.compat", "policies/vfio-ccw.compat", "policies/versioning.compat",
    "policies/qat-vf.compat",      "policies/mlx5-vf.compat",
};
#define NPOLICIES (sizeof policy_files / sizeof policy_files[0])

static dc_policy *policies[NPOLICIES];

/* The source tree: $top_srcdir, else the one it was built from
 * (DC_SRCDIR from make; fuzz/build.sh names this file by its absolute
 * path). */
static void source_path(char *buf, size_t cap, const char *rel)
{
    const char *top = getenv("top_srcdir");
    if (top && *top) {
        snprintf(buf, cap, "%s/%s", top, rel);
        return;
    }
#ifdef DC_SRCDIR
    snprintf(buf, cap, "%s/%s", DC_SRCDIR, rel);
#else
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    int dir = slash ? (int)(slash - here) : 1;
    snprintf(buf, cap, "%.*s/../%s", dir, slash ? here : ".", rel);
#endif
}

static void policies_init(void)
{
    if (policies[0])
        return;
    for (size_t i = 0; i < NPOLICIES; i++) {
        char path[4096];
        source_path(path, sizeof path, policy_files[i]);
        FILE *f = fopen(path, "rb");
        size_t len = 0;
        uint8_t *text = f ? fuzz_slurp(f, &len) : NULL;
        if (f)
            fclose(f);
        dc_error err;
        if (!text || dc_policy_compile(path, (const char *)text, len, &policies[i], NULL,
                                       &err) != DC_OK) {
            fprintf(stderr, "fuzz: %s: %s\n", path, text ? err.message : "cannot read");
            fuzz_fail("a fixed policy does not compile");
        }
        free(text);
    }
}

/* Check src -> tgt, read everything the result says into d. */
static void digest_check(const dc_policy *pol, const dc_prepared *src, const dc_prepared *tgt,
                         dc_result *r, char *d, size_t cap)
{
    d[0] = '\0';
    dc_status st = dc_check(pol, src, tgt, r);
    fuzz_read_result(pol, st, r, d, cap);
    const char *text = NULL;
    if (st == DC_OK) {
        digest_int(d, cap, dc_result_explain(r, &text));
        digest_add(d, cap, text);
    }
}

/* The same check with the slow way's devices (a, b) and with `x`, `y`
 * (refilled or mixed): any difference is a finding. */
static void same_check(const dc_policy *pol, const dc_prepared *a, const dc_prepared *b,
                       const dc_prepared *x, const dc_prepared *y, dc_result *r1, dc_result *r2)
{
    static char want[1 << 16], got[1 << 16];
    digest_check(pol, a, b, r1, want, sizeof want);
    digest_check(pol, x, y, r2, got, sizeof got);
    if (strcmp(want, got) != 0) {
        fprintf(stderr, "fuzz: prepared: %s\nfuzz: refilled: %s\n", want, got);
        fuzz_fail("a refilled device checks differently from a prepared one");
    }
}

static void fuzz_one(const uint8_t *data, size_t len)
{
    if (len == 0)
        return;
    policies_init();
    const dc_policy *pol = policies[(data[0] & 7) % NPOLICIES];
    const char *file = (data[0] & 8) ? NULL : "fuzz.kv";
    size_t ndev = (data[0] & 16) ? 2 : 1;
    const char *p = (const char *)data + 1, *end = (const char *)data + len;

    dc_prepared *dev[2] = { NULL, NULL };
    dc_prepared *old[MAX_TEXTS] = { NULL };
    int held[2] = { -1, -1 }; /* the text a refilled device holds, -1: none */
    dc_result *r1 = new_result(pol), *r2 = new_result(pol);
    dc_error err;
    for (size_t k = 0; k < ndev; k++)
        if (dc_prepared_new(pol, &dev[k], &err) != DC_OK)
            goto out;
    if (!r1 || !r2)
        goto out;

    for (int i = 0; i < MAX_TEXTS && (i == 0 || p < end); i++) {
        const char *text;
        size_t tlen;
        fuzz_next_part(&p, end, &text, &tlen);

        /* the slow way */
        dc_error want;
        dc_facts *facts = NULL;
        dc_status st_want = dc_facts_parse_text(file, text, tlen, &facts, &want);
        if (st_want == DC_OK)
            st_want = dc_prepare(pol, facts, &old[i], &want);
        dc_facts_free(facts);

        /* the refilled device */
        dc_prepared *d = dev[i % ndev];
        dc_error got;
        dc_status st_got = dc_prepared_parse_text(d, file, text, tlen, &got);
        held[i % ndev] = st_got == DC_OK ? i : -1;

        if (st_want == DC_ERR_NOMEM || st_got == DC_ERR_NOMEM)
            goto out;
        if (st_want != st_got) {
            fprintf(stderr, "fuzz: text %d: status %d, refilled %d (%s)\n", i, st_want, st_got,
                    st_got != DC_OK ? got.message : want.message);
            fuzz_fail("a refilled device's status differs");
        }
        if (st_got != DC_OK) {
            if (got.status != st_got || strcmp(want.message, got.message) != 0) {
                fprintf(stderr, "fuzz: text %d:\nfuzz: prepared: %s\nfuzz: refilled: %s\n", i,
                        want.message, got.message);
                fuzz_fail("a refilled device's error differs");
            }
            if (dc_check(pol, d, d, r2) == DC_OK)
                fuzz_fail("a device emptied by an error is checked");
            continue;
        }
        /* itself, either kind of device on either side */
        same_check(pol, old[i], old[i], d, d, r1, r2);
        same_check(pol, old[i], old[i], d, old[i], r1, r2);
        same_check(pol, old[i], old[i], old[i], d, r1, r2);
        /* against every earlier text's device, either way round */
        for (int j = 0; j < i; j++) {
            if (!old[j])
                continue;
            same_check(pol, old[i], old[j], d, old[j], r1, r2);
            same_check(pol, old[j], old[i], old[j], d, r1, r2);
            if (ndev == 2 && held[(i + 1) % 2] == j) {
                const dc_prepared *e = dev[(i + 1) % 2];
                same_check(pol, old[i], old[j], d, e, r1, r2);
                same_check(pol, old[j], old[i], e, d, r1, r2);
            }
        }
    }
out:
    for (int i = 0; i < MAX_TEXTS; i++)
        dc_prepared_free(old[i]);
    dc_prepared_free(dev[0]);
    dc_prepared_free(dev[1]);
    dc_result_free(r1);
    dc_result_free(r2);
}
