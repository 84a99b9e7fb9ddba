/*
 * eval.h -- evaluate a policy the way an embedder would, for the harnesses
 * that get a policy to run: prepare, check, read every part of the result.
 * Include after harness.h.
 */
#ifndef DC_FUZZ_EVAL_H
#define DC_FUZZ_EVAL_H

#include "result.h"

/* A few fixed devices, in key=value text: the upstream GVT-g pair, a
 * versioned device, and one naming many of the fields policies use. */
static const char *const fuzz_fact_texts[] = {
    "device_type=pci\ndevice_id=8086591d\nmdev_type=i915-GVTg_V5_2\naggregator=1\n"
    "pv_mode=\"none+ppgtt+context\"\ninterface_version=3\n",
    "device_type=pci\ndevice_id=8086591d\nmdev_type=i915-GVTg_V5_4\naggregator=2\n"
    "interface_version=1\n",
    "software_version=2.1.1\ndevice_api=vfio-pci\ntype=nvidia-35\npci_id=10de1eb8\n"
    "name=\"GRID T4-2B\"\ndescription=\"num_heads=4, frl_config=45\\nframebuffer=2048M\"\n"
    "available_instances=8\nfeatures=a,b,c\nenabled=yes\nx=1\ny=2\nz=-3\ns=\"\"\n",
    "device_api=vfio-ccw\nsubchannel_type=0x3\nchpid_type=0x1a\nsoftware_version=1.0.0-rc.1+"
    "b7\n"
    "aggregator=8\nmdev_type=i915-GVTg_V5_8\nremote_url=\"http://x/y\"\n",
};
#define FUZZ_NFACTS (sizeof fuzz_fact_texts / sizeof fuzz_fact_texts[0])

static dc_facts *fuzz_facts[FUZZ_NFACTS];

/* Parse the fixed devices once per process. */
static void fuzz_facts_init(void)
{
    if (fuzz_facts[0])
        return;
    for (size_t i = 0; i < FUZZ_NFACTS; i++) {
        if (dc_facts_parse_text("fixed", fuzz_fact_texts[i], strlen(fuzz_fact_texts[i]),
                                &fuzz_facts[i], NULL) != DC_OK ||
            !fuzz_facts[i])
            fuzz_fail("fixed facts do not parse");
    }
}

/* Check source -> target under `pol` and read everything the result says;
 * append it to the digest `d` (may be NULL). */
static void fuzz_check_pair(const dc_policy *pol, const dc_facts *src, const dc_facts *tgt,
                            char *d, size_t cap)
{
    dc_result *r = NULL;
    if (dc_result_new(pol, &r, NULL) != DC_OK)
        return;
    dc_error err;
    dc_status st = dc_check_facts(pol, src, tgt, r, &err);
    fuzz_read_result(pol, st, r, d, cap);
    const char *text = NULL;
    if (st == DC_OK && dc_result_explain(r, &text) == DC_OK)
        (void)strlen(text);
    dc_result_free(r);
}

/* Every ordered pair of the fixed devices, plus each device against itself:
 * the digest of all results. */
static void fuzz_check_all(const dc_policy *pol, char *d, size_t cap)
{
    fuzz_facts_init();
    if (d)
        d[0] = '\0';
    (void)dc_policy_name(pol);
    (void)dc_policy_file(pol);
    size_t nblocks = dc_policy_block_count(pol);
    for (size_t b = 0; b <= nblocks; b++)
        (void)dc_policy_block_name(pol, b);
    for (size_t s = 0; s < FUZZ_NFACTS; s++)
        for (size_t t = 0; t < FUZZ_NFACTS; t++)
            fuzz_check_pair(pol, fuzz_facts[s], fuzz_facts[t], d, cap);
}

/* Save `pol`, load it back, and demand the same results (docs/bytecode.md).  Skipped
 * while the .cbc module is absent or says it cannot save. */
static void fuzz_round_trip(const dc_policy *pol)
{
    if (!dc_policy_save || !dc_policy_load || !dc_buffer_free)
        return;
    void *data = NULL;
    size_t len = 0;
    dc_error err;
    if (dc_policy_save(pol, &data, &len, &err) != DC_OK)
        return;
    if (!data)
        fuzz_fail("dc_policy_save: DC_OK without data");
    dc_policy *back = NULL;
    dc_status st = dc_policy_load("round-trip.cbc", data, len, &back, &err);
    if (st != DC_OK) {
        fprintf(stderr, "fuzz: load of saved policy: %s\n", err.message);
        fuzz_fail("a saved policy does not load");
    }
    if (!back)
        fuzz_fail("dc_policy_load: DC_OK without a policy");
    static char before[1 << 16], after[1 << 16];
    fuzz_check_all(pol, before, sizeof before);
    fuzz_check_all(back, after, sizeof after);
    if (strcmp(before, after) != 0) {
        fprintf(stderr, "fuzz: source:   %s\nfuzz: reloaded: %s\n", before, after);
        fuzz_fail("results differ after a save/load round trip");
    }
    dc_policy_free(back);
    dc_buffer_free(pol, data);
}

#endif /* DC_FUZZ_EVAL_H */
