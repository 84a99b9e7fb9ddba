/* test_targets.c -- dc_targets_find: which targets would accept a source. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbc.h"
#include "devcompat.h"
#include "targets.h"
#include "helpers.h"

static dc_policy *compile(const char *text)
{
    dc_policy *p = NULL;
    dc_error err;
    dc_status st = dc_policy_compile("t.compat", text, strlen(text), &p, NULL, &err);
    cr_assert_eq(st, DC_OK, "compile: %s", err.message);
    return p;
}

static dc_facts *facts(const char *kv)
{
    dc_facts *f = NULL;
    dc_error err;
    cr_assert_eq(dc_facts_parse_text("src.kv", kv, strlen(kv), &f, &err), DC_OK, "%s",
                 err.message);
    return f;
}

static dc_targets *find(const dc_policy *p, const char *source, size_t limit)
{
    dc_facts *f = facts(source);
    dc_targets *t = NULL;
    dc_error err;
    dc_status st = dc_targets_find(p, f, limit, &t, &err);
    cr_assert_eq(st, DC_OK, "targets: %s", err.message);
    dc_facts_free(f);
    return t;
}

/* Target i as "name=value ..." then " [fact|constraint|residue]" per open fact. */
static char *describe(const dc_targets *t, size_t i)
{
    static char buf[4096];
    size_t len = 0;
    const dc_facts *f = dc_targets_facts(t, i);
    buf[0] = '\0';
    for (size_t k = 0; k < dc_facts_count(f); k++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%s", k ? " " : "",
                                dc_facts_name(f, k), dc_facts_value(f, k));
    for (size_t j = 0; j < dc_targets_open_count(t, i); j++) {
        dc_target_open o = DC_TARGET_OPEN_INIT;
        cr_assert_eq(dc_targets_open_get(t, i, j, &o), DC_OK);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s[%s|%s|%s]", len ? " " : "",
                                o.fact, o.constraint ? o.constraint : "-",
                                o.residue ? o.residue : "-");
    }
    return buf;
}

static const char share[] = "POLICY:\n    name = share\n"
                            "SELF:\n"
                            "    device_api = vfio-pci\n"
                            "    mdev_type = i915-GVTg_V5_{n:int:1,2,4,8}\n"
                            "    aggregator = {agg:int:1..8}\n"
                            "COMPATIBLE:\n"
                            "    device_api = vfio-pci\n"
                            "    mdev_type = i915-GVTg_V5_{m:int:1,2,4,8}\n"
                            "    aggregator = {m * agg / n}\n";

Test(targets, finite_domains_share)
{
    dc_policy *p = compile(share);
    dc_targets *t = find(p, "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_2\naggregator=1\n", 0);
    cr_assert_eq(dc_targets_count(t), 3);
    cr_expect_str_eq(describe(t, 0),
                     "aggregator=1 device_api=vfio-pci mdev_type=i915-GVTg_V5_2");
    cr_expect_str_eq(describe(t, 1),
                     "aggregator=2 device_api=vfio-pci mdev_type=i915-GVTg_V5_4");
    cr_expect_str_eq(describe(t, 2),
                     "aggregator=4 device_api=vfio-pci mdev_type=i915-GVTg_V5_8");
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(dc_targets_block(t, i), 0);
        cr_expect_null(dc_targets_block_name(t, i));
        cr_expect_eq(dc_targets_open_count(t, i), 0);
    }
    cr_expect_eq(dc_targets_tried_count(t), 32);
    cr_expect_not(dc_targets_limited(t));
    /* out of range */
    cr_expect_null(dc_targets_facts(t, 3));
    cr_expect_eq(dc_targets_block(t, 3), -1);
    dc_target_open o = DC_TARGET_OPEN_INIT;
    cr_expect_neq(dc_targets_open_get(t, 0, 0, &o), DC_OK);
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, every_target_passes_the_real_check)
{
    dc_policy *p = compile(share);
    const char *src = "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_4\naggregator=4\n";
    dc_targets *t = find(p, src, 0);
    cr_assert_gt(dc_targets_count(t), 0);
    dc_facts *s = facts(src);
    dc_result *r = new_result(p);
    for (size_t i = 0; i < dc_targets_count(t); i++) {
        cr_assert_eq(dc_check_facts(p, s, dc_targets_facts(t, i), r, NULL), DC_OK);
        cr_expect_eq(dc_result_verdict(r), DC_COMPATIBLE, "%s", describe(t, i));
        cr_expect_eq(dc_result_block(r), dc_targets_block(t, i));
    }
    /* the whole GPU, as the source: agg = n */
    cr_expect_str_eq(describe(t, 0),
                     "aggregator=1 device_api=vfio-pci mdev_type=i915-GVTg_V5_1");
    cr_expect_eq(dc_targets_count(t), 4);
    dc_result_free(r);
    dc_facts_free(s);
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, no_target_is_not_an_error)
{
    dc_policy *p = compile(share);
    /* a V5_1 source with aggregator 1 needs agg = n: only n <= 8, but m*agg/n
     * with m=1 needs agg = n... and V5_1 is allowed: pick an impossible one */
    dc_targets *t = find(p, "device_api=vfio-ccw\nmdev_type=i915-GVTg_V5_2\naggregator=1\n", 0);
    cr_expect_eq(dc_targets_count(t), 0);
    /* no value of any variable passes device_api = vfio-pci: nothing to combine */
    cr_expect_eq(dc_targets_tried_count(t), 0);
    dc_targets_free(t);
    t = find(p, "", 0);
    cr_expect_eq(dc_targets_count(t), 0);
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, the_limit)
{
    dc_policy *p = compile(share);
    dc_targets *t =
        find(p, "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_2\naggregator=1\n", 10);
    /* combinations in order: n=1 (agg 1..8), n=2 (agg 1, 2): only (2, 1) */
    cr_expect(dc_targets_limited(t));
    cr_expect_eq(dc_targets_tried_count(t), 10);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0),
                     "aggregator=1 device_api=vfio-pci mdev_type=i915-GVTg_V5_2");
    dc_targets_free(t);
    /* exactly the number of combinations is not limited */
    t = find(p, "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_2\naggregator=1\n", 32);
    cr_expect_not(dc_targets_limited(t));
    cr_expect_eq(dc_targets_count(t), 3);
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, a_source_pins_a_variable_before_combining)
{
    /* 144 x 4 x 8 = 4608 combinations, more than the limit; the source's
     * pci_id leaves one value of dev */
    dc_policy *p =
        compile("SELF:\n"
                "    pci_id = 8086{dev:hex:0x1900..0x193f,0x5900..0x593f,0x3e90..0x3e9f}\n"
                "    mdev_type = i915-GVTg_V5_{n:int:1,2,4,8}\n"
                "    aggregator = {agg:int:1..8}\n"
                "COMPATIBLE:\n"
                "    pci_id = 8086{dev}\n"
                "    mdev_type = i915-GVTg_V5_{m:int:1,2,4,8}\n"
                "    aggregator = {m * agg / n}\n");
    dc_targets *t = find(p, "pci_id=8086591D\nmdev_type=i915-GVTg_V5_2\naggregator=1\n", 0);
    cr_expect_not(dc_targets_limited(t));
    cr_expect_eq(dc_targets_tried_count(t), 32);
    cr_assert_eq(dc_targets_count(t), 3);
    cr_expect_str_eq(describe(t, 0), "aggregator=1 mdev_type=i915-GVTg_V5_2 pci_id=8086591d");
    cr_expect_str_eq(describe(t, 2), "aggregator=4 mdev_type=i915-GVTg_V5_8 pci_id=8086591d");
    dc_targets_free(t);
    /* a device id outside the range: no value left */
    t = find(p, "pci_id=80861234\nmdev_type=i915-GVTg_V5_2\naggregator=1\n", 0);
    cr_expect_eq(dc_targets_count(t), 0);
    cr_expect_eq(dc_targets_tried_count(t), 0);
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, open_variables_with_residues)
{
    dc_policy *p = compile("SELF:\n"
                           "    device_api = vfio-pci\n"
                           "    pci_id = {pid:hex}\n"
                           "    mdev_type = i915-GVTg_V5_{n:int:2,4}\n"
                           "    software_version = {tv:semver}\n"
                           "COMPATIBLE:\n"
                           "    device_api = vfio-pci\n"
                           "    pci_id = {pid}\n"
                           "    mdev_type = i915-GVTg_V5_{n}\n"
                           "    software_version = {sv:semver}\n"
                           "    where major(sv) == major(tv) && minor(sv) <= minor(tv)\n");
    dc_targets *t = find(p,
                         "device_api=vfio-pci\npci_id=8086591D\nmdev_type=i915-GVTg_V5_4\n"
                         "software_version=1.2.3\n",
                         0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "device_api=vfio-pci mdev_type=i915-GVTg_V5_4"
                                     " [pci_id|pci_id = {pid:hex}|pci_id = 8086591d]"
                                     " [software_version|software_version = {tv:semver}|"
                                     "major(tv) == 1 && minor(tv) >= 2]");
    dc_targets_free(t);
    /* what the source lacks fails whatever the open facts are */
    t = find(p, "device_api=vfio-pci\npci_id=8086591d\nmdev_type=i915-GVTg_V5_4\n", 0);
    cr_expect_eq(dc_targets_count(t), 0);
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, open_range_and_derived_residue)
{
    dc_policy *p = compile("SELF:\n"
                           "    aggregator = {agg:int:1..}\n"
                           "    mdev_type = i915-GVTg_V5_{n:int:2,4}\n"
                           "COMPATIBLE:\n"
                           "    mdev_type = i915-GVTg_V5_{m:int:1,2,4,8}\n"
                           "    aggregator = {m * agg / n}\n");
    dc_targets *t = find(p, "mdev_type=i915-GVTg_V5_2\naggregator=1\n", 0);
    cr_assert_eq(dc_targets_count(t), 2);
    cr_expect_str_eq(describe(t, 0),
                     "mdev_type=i915-GVTg_V5_2"
                     " [aggregator|aggregator = {agg:int:1..}|2 * agg / 2 == 1]");
    cr_expect_str_eq(describe(t, 1),
                     "mdev_type=i915-GVTg_V5_4"
                     " [aggregator|aggregator = {agg:int:1..}|2 * agg / 4 == 1]");
    cr_expect_eq(dc_targets_tried_count(t), 2);
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, bits_residue_and_enumerated_masks)
{
    /* an open mask: the residue names bits() with the source's part known */
    dc_policy *p = compile("SELF:\n"
                           "    cap_mask = {cap:hex}\n"
                           "COMPATIBLE:\n"
                           "    where subset(bits(hex(source.cap_mask)), bits(cap))\n");
    dc_targets *t = find(p, "cap_mask=0x12\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "[cap_mask|cap_mask = {cap:hex}|"
                                     "subset(\"1,4\", bits(cap))]");
    dc_targets_free(t);
    dc_policy_free(p);
    /* a finite domain of masks: the ones whose bits cover the source's */
    p = compile("SELF:\n"
                "    cap_mask = {cap:hex:0x1,0x3,0x12,0x1f}\n"
                "COMPATIBLE:\n"
                "    where subset(bits(hex(source.cap_mask)), bits(cap))\n");
    t = find(p, "cap_mask=0x12\n", 0);
    cr_assert_eq(dc_targets_count(t), 2);
    cr_expect_str_eq(describe(t, 0), "cap_mask=12");
    cr_expect_str_eq(describe(t, 1), "cap_mask=1f");
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, records_of_the_source_and_of_the_target)
{
    /* the source's records are known: a rule over them runs, or is shown
     * as written when it reads an open fact */
    dc_policy *p = compile("SELF:\n"
                           "    kind = qat\n"
                           "    services = {svc:string:sym,dc,asym}\n"
                           "COMPATIBLE:\n"
                           "    services = {svc}\n"
                           "    where all(source.sla, s, s.srv == svc)\n");
    dc_targets *t = find(p, "services=dc\nsla.0.srv=dc\nsla.1.srv=dc\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "kind=qat services=dc");
    dc_targets_free(t);
    t = find(p, "services=dc\nsla.0.srv=dc\nsla.1.srv=sym\n", 0);
    cr_expect_eq(dc_targets_count(t), 0);
    dc_targets_free(t);
    dc_policy_free(p);
    p = compile("SELF:\n    kind = qat\n    rate = {r:int}\nCOMPATIBLE:\n"
                "    where all(source.sla, s, int(s.cir) <= r)\n");
    t = find(p, "sla.0.cir=100\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "kind=qat [rate|rate = {r:int}|"
                                     "where all(source.sla, s, int(s.cir) <= r)]");
    dc_targets_free(t);
    dc_policy_free(p);
    /* the target's records are not facts a target can be rendered with */
    p = compile("SELF:\n    kind = qat\nCOMPATIBLE:\n"
                "    where all(source.sla, s, any(self.sla, t, t.srv == s.srv))\n");
    dc_facts *src = facts("sla.0.srv=sym\n");
    dc_targets *none = NULL;
    dc_error err = { 0 };
    cr_expect_eq(dc_targets_find(p, src, 0, &none, &err), DC_ERR_INVALID);
    cr_expect(strstr(err.message, "walks the target's records (self.sla in all/any)"), "%s",
              err.message);
    cr_expect_null(none);
    dc_facts_free(src);
    dc_policy_free(p);
}

Test(targets, a_domain_larger_than_the_limit_stays_open)
{
    dc_policy *p = compile("SELF:\n"
                           "    a = {x:int:1..100}\n"
                           "COMPATIBLE:\n"
                           "    a = {x}\n");
    dc_targets *t = find(p, "a=7\n", 50);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_not(dc_targets_limited(t));
    cr_expect_str_eq(describe(t, 0), "[a|a = {x:int:1..100}|a = 7]");
    dc_targets_free(t);
    t = find(p, "a=7\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "a=7");
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, hex_bool_string_domains_and_derived_facts)
{
    dc_policy *p = compile("SELF:\n"
                           "    dev = {d:hex:0x1a..0x1b}\n"
                           "    ecc = {e:bool}\n"
                           "    mode = {m:string:\"safe\",\"fast\"}\n"
                           "    vram = {d * 2}\n"
                           "    label = gpu-{m}-{d}\n"
                           "COMPATIBLE:\n"
                           "    dev = {d}\n"
                           "    where e || m == \"safe\"\n");
    dc_targets *t = find(p, "dev=0x1B\n", 0);
    /* dev = {d} pins d: 1 x 2 x 2 combinations are left to try */
    cr_expect_eq(dc_targets_tried_count(t), 4);
    cr_assert_eq(dc_targets_count(t), 3);
    /* the first variable varies slowest; strings in sorted order */
    cr_expect_str_eq(describe(t, 0), "dev=1b ecc=false label=gpu-safe-1b mode=safe vram=36");
    cr_expect_str_eq(describe(t, 1), "dev=1b ecc=true label=gpu-fast-1b mode=fast vram=36");
    cr_expect_str_eq(describe(t, 2), "dev=1b ecc=true label=gpu-safe-1b mode=safe vram=36");
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, self_filters_and_constraints)
{
    dc_policy *p = compile("SELF:\n"
                           "    mdev_type = nvidia-{t:int:10..13}\n"
                           "    available_instances >= 1\n"
                           "    pv_mode = \"\"\n"
                           "    where t != 11\n"
                           "    where t * 2 <= 24\n"
                           "COMPATIBLE:\n"
                           "    mdev_type = nvidia-{s:int}\n"
                           "    where s <= t\n");
    dc_targets *t = find(p, "mdev_type=nvidia-11\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    /* 10 is too small, 11 excluded, 13 too large; pv_mode absent */
    cr_expect_str_eq(describe(t, 0), "mdev_type=nvidia-12"
                                     " [available_instances|available_instances >= 1|-]");
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, blocks_in_order_and_a_residue_that_cannot_hold)
{
    dc_policy *p = compile("SELF:\n"
                           "    mdev_type = nvidia-{t:int:10..12}\n"
                           "COMPATIBLE same:\n"
                           "    mdev_type = nvidia-{t}\n"
                           "COMPATIBLE smaller:\n"
                           "    mdev_type = nvidia-{s:int}\n"
                           "    where s < t && self.flag == \"x\"\n");
    dc_targets *t = find(p, "mdev_type=nvidia-11\n", 0);
    /* 10: s < t is false whatever flag is, so no target */
    cr_assert_eq(dc_targets_count(t), 2);
    cr_expect_str_eq(describe(t, 0), "mdev_type=nvidia-11");
    cr_expect_eq(dc_targets_block(t, 0), 0);
    cr_expect_str_eq(dc_targets_block_name(t, 0), "same");
    /* flag is read by the block only: open there, with what it needs */
    cr_expect_str_eq(describe(t, 1), "mdev_type=nvidia-12 [flag|-|self.flag == \"x\"]");
    cr_expect_eq(dc_targets_block(t, 1), 1);
    cr_expect_str_eq(dc_targets_block_name(t, 1), "smaller");
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, residue_that_always_holds_is_dropped)
{
    dc_policy *p = compile("SELF:\n"
                           "    n = {n:int:1,2}\n"
                           "COMPATIBLE:\n"
                           "    where n >= 2 || self.extra == \"y\"\n");
    dc_targets *t = find(p, "", 0);
    cr_assert_eq(dc_targets_count(t), 2);
    /* n >= 2 is false for n = 1: what is left is the other side */
    cr_expect_str_eq(describe(t, 0), "n=1 [extra|-|self.extra == \"y\"]");
    cr_expect_str_eq(describe(t, 1), "n=2");
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, residues_of_one_fact_are_joined)
{
    dc_policy *p = compile("SELF:\n"
                           "    n = {n:int:1,2}\n"
                           "COMPATIBLE:\n"
                           "    where self.x == \"1\" || self.x == \"2\"\n"
                           "    where self.x != source.y && n == 2\n");
    dc_targets *t = find(p, "y=3\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "n=2 [x|-|(self.x == \"1\" || self.x == \"2\") && "
                                     "self.x != \"3\"]");
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, literal_self_is_one_target)
{
    const char *uuid1 =
        "SELF:\n\tdevice_type=pci\n\tmdev_type=i915-GVTg_V5_2\n"
        "\taggregator=1\n\tpv_mode=\"none+ppgtt+context\"\n\tinterface_version=3\n"
        "COMPATIBLE:\n\tmdev_type=i915-GVTg_V5_{val1:int:1,2,4,8}\n"
        "\taggregator={val1}/2\n\tpv_mode=\"\"\n\tinterface_version=1\n";
    dc_policy *p = compile(uuid1);
    dc_targets *t = find(p, "mdev_type=i915-GVTg_V5_4\naggregator=2\ninterface_version=1\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "aggregator=1 device_type=pci interface_version=3 "
                                     "mdev_type=i915-GVTg_V5_2 pv_mode=none+ppgtt+context");
    cr_expect_eq(dc_targets_tried_count(t), 1);
    dc_targets_free(t);
    dc_policy_free(p);
}

Test(targets, compiled_policy_gives_the_same_answer)
{
    dc_policy *p = compile(share);
    void *data = NULL;
    size_t len = 0;
    dc_error err;
    cr_assert_eq(dc_policy_save(p, &data, &len, &err), DC_OK, "%s", err.message);
    dc_policy *q = NULL;
    cr_assert_eq(dc_policy_load("t.cbc", data, len, &q, &err), DC_OK, "%s", err.message);
    const char *src = "device_api=vfio-pci\nmdev_type=i915-GVTg_V5_2\naggregator=1\n";
    dc_targets *a = find(p, src, 0), *b = find(q, src, 0);
    cr_assert_eq(dc_targets_count(a), dc_targets_count(b));
    for (size_t i = 0; i < dc_targets_count(a); i++) {
        char first[4096];
        snprintf(first, sizeof first, "%s", describe(a, i));
        cr_expect_str_eq(describe(b, i), first);
    }
    dc_targets_free(a);
    dc_targets_free(b);
    dc_buffer_free(p, data);
    dc_policy_free(q);
    dc_policy_free(p);
}

Test(targets, invalid_arguments)
{
    dc_policy *p = compile(share);
    dc_facts *f = facts("a=1\n");
    dc_targets *t = (dc_targets *)1;
    dc_error err;
    cr_expect_eq(dc_targets_find(NULL, f, 0, &t, &err), DC_ERR_INVALID);
    cr_expect_null(t);
    cr_expect_eq(dc_targets_find(p, NULL, 0, &t, &err), DC_ERR_INVALID);
    cr_expect_eq(dc_targets_find(p, f, 0, NULL, &err), DC_ERR_INVALID);
    cr_expect_eq(dc_targets_count(NULL), 0);
    cr_expect_eq(dc_targets_open_count(NULL, 0), 0);
    cr_expect_null(dc_targets_facts(NULL, 0));
    dc_targets_free(NULL);
    dc_facts_free(f);
    dc_policy_free(p);
}

/* An allocator that fails after `budget` allocations. */
typedef struct budget {
    long left;
} budget;

static void *budget_realloc(void *ud, void *ptr, size_t size)
{
    budget *b = ud;
    if (b->left-- <= 0)
        return NULL;
    return realloc(ptr, size);
}

static void budget_free(void *ud, void *ptr)
{
    (void)ud;
    free(ptr);
}

Test(targets, allocation_failures_are_reported)
{
    const char *text = "SELF:\n"
                       "    pci_id = {pid:hex}\n"
                       "    mdev_type = V5_{n:int:2,4}\n"
                       "    aggregator = {n / 2}\n"
                       "COMPATIBLE:\n"
                       "    pci_id = {pid}\n"
                       "    mdev_type = V5_{m:int}\n"
                       "    where m <= n && pid > 0\n";
    dc_facts *src = facts("pci_id=10\nmdev_type=V5_2\n");
    bool succeeded = false;
    for (long n = 0; n < 5000 && !succeeded; n++) {
        budget b = { 1L << 40 };
        dc_alloc a = { budget_realloc, budget_free, &b };
        dc_policy *p = NULL;
        dc_error err;
        cr_assert_eq(dc_policy_compile_ex(&a, "t.compat", text, strlen(text), &p, NULL, &err),
                     DC_OK);
        b.left = n;
        dc_targets *t = NULL;
        dc_status st = dc_targets_find(p, src, 0, &t, &err);
        if (st == DC_OK) {
            succeeded = true;
            cr_expect_eq(dc_targets_count(t), 2);
        } else {
            cr_expect_eq(st, DC_ERR_NOMEM, "budget %ld: %s", n, err.message);
            cr_expect_null(t);
        }
        dc_targets_free(t);
        dc_policy_free(p);
    }
    cr_expect(succeeded);
    dc_facts_free(src);
}

/* ------------------------------------------------- the copies verify */

/* dc_targets_find runs copies of the program with some rules made no-ops:
 * each must pass the .cbc verifier, as a loaded program does, for every
 * shipped policy (compiled from source and loaded back from .cbc).  The
 * copies depend on the policy only, not on the source: an empty one will do. */
typedef struct copies {
    const char *file;
    const program *original;
    size_t seen, patched;
} copies;

static void verify_copy(void *ctx, const program *copy)
{
    copies *c = ctx;
    char msg[512];
    c->seen++;
    cr_expect(cbc_verify(copy, msg, sizeof msg), "%s: copy %zu fails verification: %s", c->file,
              c->seen, msg);
    if (copy->ncode != c->original->ncode ||
        memcmp(copy->code, c->original->code, copy->ncode * sizeof *copy->code) != 0)
        c->patched++;
}

static void verify_copies(const char *file, const dc_policy *pol, copies *c)
{
    char msg[512];
    c->file = file;
    c->original = &pol->prog;
    cr_assert(cbc_verify(&pol->prog, msg, sizeof msg), "%s: %s", file, msg);
    dc_facts *none = new_facts(NULL);
    dc_targets *t = NULL;
    dc_error err;
    size_t before = c->seen;
    dc_status st = targets_find_visit(pol, none, 0, verify_copy, c, &t, &err);
    if (st != DC_OK && strstr(err.message, "walks the target's records")) {
        /* qat-vf.compat: no targets, so no copies (docs/targets.md) */
        dc_facts_free(none);
        return;
    }
    cr_assert_eq(st, DC_OK, "%s: %s", file, err.message);
    cr_assert_gt(c->seen, before, "%s: no copy was built", file);
    dc_targets_free(t);
    dc_facts_free(none);
}

Test(targets, every_copy_of_a_shipped_policy_verifies)
{
    glob_t g;
    cr_assert_eq(glob(DC_SRCDIR "/policies/*.compat", 0, NULL, &g), 0);
    cr_assert_eq(glob(DC_SRCDIR "/policies/self-describing/*.txt", GLOB_APPEND, NULL, &g), 0);
    cr_assert_eq(glob(DC_SRCDIR "/bench/share.compat", GLOB_APPEND, NULL, &g), 0);
    cr_assert_geq(g.gl_pathc, 6);
    copies c = { 0 };
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *file = g.gl_pathv[i];
        dc_policy *pol = NULL;
        dc_error err;
        cr_assert_eq(dc_policy_read_file(file, &pol, NULL, &err), DC_OK, "%s", err.message);
        verify_copies(file, pol, &c);
        void *data = NULL;
        size_t len = 0;
        cr_assert_eq(dc_policy_save(pol, &data, &len, &err), DC_OK, "%s", err.message);
        dc_policy *loaded = NULL;
        cr_assert_eq(dc_policy_load(file, data, len, &loaded, &err), DC_OK, "%s", err.message);
        verify_copies(file, loaded, &c);
        dc_buffer_free(pol, data);
        dc_policy_free(loaded);
        dc_policy_free(pol);
    }
    /* the shipped policies do exercise the patching */
    cr_expect_gt(c.patched, 0);
    globfree(&g);
}

/* ------------------------------------------------ never wrong (docs/targets.md) */

static const char mtu[] =
    "SELF:\n    device_api = vfio-pci\n    max_mtu = {t:int:68..9978}\n"
    "COMPATIBLE:\n    device_api = vfio-pci\n    mtu = {m:int}\n    where t >= m\n";

/* An open variable's residue is decided against its SELF constraint: a
 * source whose MTU no target can reach gets no target, at every limit. */
Test(never_wrong, unsatisfiable_residue_is_not_listed)
{
    dc_policy *p = compile(mtu);
    size_t limits[] = { 0, 10, 100000 };
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        dc_targets *t = find(p, "device_api=vfio-pci\nmtu=65535\n", limits[k]);
        cr_expect_eq(dc_targets_count(t), 0, "limit %zu: %s", limits[k],
                     dc_targets_count(t) ? describe(t, 0) : "");
        dc_targets_free(t);
    }
    dc_targets *t = find(p, "device_api=vfio-pci\nmtu=1500\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "device_api=vfio-pci [max_mtu|max_mtu = {t:int:68..9978}|"
                                     "t >= 1500]");
    cr_expect(dc_targets_decided(t, 0));
    dc_targets_free(t);
    dc_policy_free(p);
}

/* A rule on the fact itself (max_mtu >= 65535) against a range, an int list,
 * and an equality outside a list. */
Test(never_wrong, constraints_decide_residues)
{
    static const struct {
        const char *self, *rule, *src;
        size_t n;
    } cases[] = {
        { "{t:int:68..9978}", "where t >= int(source.mtu)", "mtu=65535", 0 },
        { "{t:int:68..9978}", "where t >= int(source.mtu)", "mtu=9978", 1 },
        { "{t:int:1,2,4,8}", "where t > 4 && t < 8", "mtu=1", 0 },
        { "{t:int:1,2,4,8}", "where t > 2 && t < 8", "mtu=1", 1 },
        { "{t:int:1..}", "where t * 2 == int(source.mtu)", "mtu=6", 1 },
        { "{t:hex:0x10..0xffff}", "where t == hex(source.mtu)", "mtu=0x20000", 0 },
        { "{v:semver:^1.2.0}", "where v >= semver(source.mtu)", "mtu=2.0.0", 0 },
        { "{v:semver:^1.2.0}", "where v >= semver(source.mtu)", "mtu=1.4.0", 1 },
        { "{v:semver}", "where major(v) == 1 && minor(v) >= 2 && minor(v) < 2", "mtu=1.0", 0 },
        { "{s:string}", "where s == source.mtu", "mtu=abc", 1 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[512], src[128];
        snprintf(text, sizeof text,
                 "SELF:\n    kind = t\n    x = %s\nCOMPATIBLE:\n"
                 "    kind = t\n    %s\n",
                 cases[k].self, cases[k].rule);
        snprintf(src, sizeof src, "kind=t\n%s\n", cases[k].src);
        dc_policy *p = compile(text);
        dc_targets *t = find(p, src, 2); /* small: the variables stay open */
        cr_expect_eq(dc_targets_count(t) > 0, cases[k].n > 0, "case %zu: %s %s with %s: %zu", k,
                     cases[k].self, cases[k].rule, cases[k].src, dc_targets_count(t));
        for (size_t i = 0; i < dc_targets_count(t); i++)
            cr_expect(dc_targets_decided(t, i), "case %zu: %s", k, describe(t, i));
        dc_targets_free(t);
        dc_policy_free(p);
    }
}

/* SELF's variables inside a COMPATIBLE template are read out of the
 * source's text: the residue speaks of target facts only, and a source that
 * no split can match gets no target. */
Test(never_wrong, self_references_in_templates_are_folded)
{
    dc_policy *p = compile("SELF:\n    kind = t\n    drv = {hd1:int:1..}.{hd2:int:0..}\n"
                           "COMPATIBLE:\n    kind = t\n    drv = {hd1}.{sminor:int}\n"
                           "    where sminor <= hd2\n");
    dc_targets *t = find(p, "kind=t\ndrv=535.86\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0), "kind=t [drv|drv = {hd1:int:1..}.{hd2:int:0..}|"
                                     "hd1 == 535 && hd2 >= 86]");
    cr_expect(dc_targets_decided(t, 0));
    dc_targets_free(t);
    t = find(p, "kind=t\ndrv=abc.86\n", 0); /* not an int: never */
    cr_expect_eq(dc_targets_count(t), 0);
    dc_targets_free(t);
    t = find(p, "kind=t\ndrv=0.86\n", 0); /* hd1 is 1.. */
    cr_expect_eq(dc_targets_count(t), 0);
    dc_targets_free(t);
    dc_policy_free(p);
}

/* Where satisfiability cannot be decided, the target says so. */
Test(never_wrong, undecided_is_said)
{
    dc_policy *p = compile("SELF:\n    kind = t\n    x = {t:int:68..9978}\nCOMPATIBLE:\n"
                           "    kind = t\n    where (t * t) % 7 == 3\n");
    dc_targets *t = find(p, "kind=t\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_not(dc_targets_decided(t, 0));
    dc_targets_free(t);
    dc_policy_free(p);
}

/* The limit changes how targets are written (each value, or the variable
 * open with its residue), never which sources are accepted. */
Test(never_wrong, the_limit_does_not_change_the_answer)
{
    dc_policy *p = compile("SELF:\n    kind = t\n    x = {t:int:1..8}\nCOMPATIBLE:\n"
                           "    kind = t\n    where t >= int(source.n)\n");
    for (int n = 0; n <= 9; n++) {
        char src[64];
        snprintf(src, sizeof src, "kind=t\nn=%d\n", n);
        dc_targets *all = find(p, src, 100), *open = find(p, src, 4);
        size_t want = n <= 1 ? 8 : n <= 8 ? (size_t)(9 - n) : 0;
        cr_expect_eq(dc_targets_count(all), want, "n=%d", n);
        cr_expect_eq(dc_targets_count(open), want ? 1 : 0, "n=%d: %s", n,
                     dc_targets_count(open) ? describe(open, 0) : "");
        dc_targets_free(all);
        dc_targets_free(open);
    }
    dc_policy_free(p);
}
