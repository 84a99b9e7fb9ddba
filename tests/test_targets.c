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
#include "test_alloc.h"

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

enum decided { EITHER = -1, UNDECIDED = 0, DECIDED = 1 };

/* SOURCE's targets under p (limit as dc_targets_find takes it) are the n
 * described in want, in order; with DECIDED or UNDECIDED, the first one's
 * open facts are decided or not.  One row of a test's table of sources. */
static void listed(const dc_policy *p, const char *source, size_t limit, enum decided decided,
                   size_t n, const char *const want[])
{
    dc_targets *t = find(p, source, limit);
    if (n)
        cr_assert_eq(dc_targets_count(t), n, "%s: %zu targets, want %zu", source,
                     dc_targets_count(t), n);
    else
        cr_expect_eq(dc_targets_count(t), 0, "%s: a target %s", source,
                     dc_targets_count(t) ? describe(t, 0) : "");
    for (size_t i = 0; i < n; i++)
        cr_expect_str_eq(describe(t, i), want[i], "%s: target %zu", source, i);
    if (decided != EITHER)
        cr_expect_eq(dc_targets_decided(t, 0), decided == DECIDED, "%s: decided", source);
    dc_targets_free(t);
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
    listed(p, "", 0, EITHER, 0, NULL);
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
    listed(p,
           "device_api=vfio-pci\npci_id=8086591D\nmdev_type=i915-GVTg_V5_4\n"
           "software_version=1.2.3\n",
           0, EITHER, 1,
           (const char *const[]){ "device_api=vfio-pci mdev_type=i915-GVTg_V5_4"
                                  " [pci_id|pci_id = {pid:hex}|pci_id = 8086591d]"
                                  " [software_version|software_version = {tv:semver}|"
                                  "major(tv) == 1 && minor(tv) >= 2]" });
    /* what the source lacks fails whatever the open facts are */
    listed(p, "device_api=vfio-pci\npci_id=8086591d\nmdev_type=i915-GVTg_V5_4\n", 0, EITHER, 0,
           NULL);
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
                                     "subset(bits(0x12), bits(cap))]");
    cr_expect(dc_targets_decided(t, 0)); /* cap = 0x12 is one */
    dc_targets_free(t);
    dc_policy_free(p);
    /* a finite domain of masks: the ones whose bits cover the source's */
    p = compile("SELF:\n"
                "    cap_mask = {cap:hex:0x1,0x3,0x12,0x1f}\n"
                "COMPATIBLE:\n"
                "    where subset(bits(hex(source.cap_mask)), bits(cap))\n");
    listed(p, "cap_mask=0x12\n", 0, EITHER, 2,
           (const char *const[]){ "cap_mask=12", "cap_mask=1f" });
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
    listed(p, "services=dc\nsla.0.srv=dc\nsla.1.srv=dc\n", 0, EITHER, 1,
           (const char *const[]){ "kind=qat services=dc" });
    listed(p, "services=dc\nsla.0.srv=dc\nsla.1.srv=sym\n", 0, EITHER, 0, NULL);
    dc_policy_free(p);
    /* a loop over the source's records is expanded, one term per record */
    p = compile("SELF:\n    kind = qat\n    rate = {r:int}\nCOMPATIBLE:\n"
                "    where all(source.sla, s, int(s.cir) <= r)\n");
    listed(p, "sla.0.cir=100\nsla.1.cir=300\n", 0, DECIDED, 1,
           (const char *const[]){ "kind=qat [rate|rate = {r:int}|r >= 100 && r >= 300]" });
    dc_policy_free(p);
}

/* A rule that walks the target's records: the source's side is folded, the
 * target's records are an open unit named by their prefix, with the loop
 * over them as its residue (docs/targets.md, "Records of the target"). */
Test(targets, records_of_the_target_are_a_residue)
{
    dc_policy *p = compile("SELF:\n    kind = qat\nCOMPATIBLE:\n"
                           "    where all(source.sla, s, any(self.sla, t, t.srv == s.srv))\n"
                           "    where all(source.sla, s, all(self.sla, t, t.srv != s.srv ||"
                           " int(t.cir) >= int(s.cir)))\n");
    dc_targets *t = find(p, "sla.0.srv=sym\nsla.0.cir=100\nsla.1.srv=dc\nsla.1.cir=7\n", 0);
    cr_assert_eq(dc_targets_count(t), 1);
    cr_expect_str_eq(describe(t, 0),
                     "kind=qat [sla|-|any(self.sla, t, t.srv == \"sym\") && "
                     "any(self.sla, t, t.srv == \"dc\") && "
                     "all(self.sla, t, t.srv != \"sym\" || int(t.cir) >= 100) && "
                     "all(self.sla, t, t.srv != \"dc\" || int(t.cir) >= 7)]");
    cr_expect(dc_targets_decided(t, 0)); /* the source's records, copied, are one */
    dc_targets_free(t);
    /* no records in the source: all over none holds, whatever the target */
    listed(p, "kind=x\n", 0, DECIDED, 1, (const char *const[]){ "kind=qat" });
    dc_policy_free(p);

    /* a source part that is false whatever the target is: no target */
    p = compile("SELF:\n    kind = qat\nCOMPATIBLE:\n"
                "    where all(source.sla, s, s.srv == \"sym\" && any(self.sla, t, t.srv == "
                "s.srv))\n");
    listed(p, "sla.0.srv=dc\n", 0, EITHER, 0, NULL);
    listed(p, "sla.0.srv=sym\n", 0, EITHER, 1,
           (const char *const[]){ "kind=qat [sla|-|any(self.sla, t, t.srv == \"sym\")]" });
    dc_policy_free(p);

    /* a source record whose field does not parse: the rule fails whatever
     * the target is (int("x") is reached, or an earlier record fails it) */
    p = compile("SELF:\n    kind = qat\n    m = {m:int:0..}\nCOMPATIBLE:\n"
                "    where all(source.sla, s, int(s.cir) <= m)\n");
    listed(p, "sla.0.cir=10\nsla.1.cir=x\n", 0, EITHER, 0, NULL);
    listed(p, "sla.0.cir=10\nsla.1.cir=20\n", 0, DECIDED, 1,
           (const char *const[]){ "kind=qat [m|m = {m:int:0..}|m >= 10 && m >= 20]" });
    dc_policy_free(p);

    /* a loop variable's name is one the policy's variables do not use */
    p = compile("SELF:\n    kind = qat\n    t = {t:int:1..}\nCOMPATIBLE:\n"
                "    where any(self.sla, x, int(x.cir) >= t)\n");
    listed(
        p, "kind=qat\n", 0, UNDECIDED, 1,
        (const char *const[]){ "kind=qat [t|t = {t:int:1..}|any(self.sla, u, int(u.cir) >= t)] "
                               "[sla|-|any(self.sla, u, int(u.cir) >= t)]" });
    dc_policy_free(p);
}

/* A residue is written whole however long its parts: a record set named
 * with 200 characters, in a loop whose head alone passes 200. */
Test(targets, a_long_residue_is_written_whole)
{
    char name[201], policy[512], want[1024];
    memset(name, 's', 200);
    name[200] = '\0';
    snprintf(policy, sizeof policy,
             "SELF:\n    kind = qat\n    t = {t:int:1..}\nCOMPATIBLE:\n"
             "    where any(self.%s, x, int(x.cir) >= t)\n",
             name);
    snprintf(want, sizeof want,
             "kind=qat [t|t = {t:int:1..}|any(self.%s, u, int(u.cir) >= t)] "
             "[%s|-|any(self.%s, u, int(u.cir) >= t)]",
             name, name, name);
    dc_policy *p = compile(policy);
    listed(p, "kind=qat\n", 0, UNDECIDED, 1, (const char *const[]){ want });
    dc_policy_free(p);
}

/* A set variable with its items listed is a finite domain: its non-empty
 * subsets, enumerated. */
Test(targets, a_listed_set_is_enumerated)
{
    dc_policy *p = compile("SELF:\n    kind = qat\n    services = {svc:set:sym,dc,asym}\n"
                           "COMPATIBLE:\n    where subset(set(source.services), svc)\n");
    dc_targets *t;
    listed(p, "services=sym\n", 0, EITHER, 4,
           (const char *const[]){ "kind=qat services=sym", "kind=qat services=asym,sym",
                                  "kind=qat services=dc,sym",
                                  "kind=qat services=asym,dc,sym" });
    /* equality pins it: one value */
    dc_policy_free(p);
    p = compile("SELF:\n    kind = qat\n    n = {n:int:1..4}\n"
                "    services = {svc:set:sym,dc,asym}\n"
                "COMPATIBLE:\n    services = {svc}\n    where n >= 3\n");
    t = find(p, "services=sym,dc\n", 0);
    cr_assert_eq(dc_targets_count(t), 2);
    cr_expect_str_eq(describe(t, 0), "kind=qat n=3 services=dc,sym");
    cr_expect_str_eq(describe(t, 1), "kind=qat n=4 services=dc,sym");
    cr_expect_eq(dc_targets_tried_count(t), 2); /* pruned before combining */
    dc_targets_free(t);
    /* more subsets than the limit: open, with its residue */
    t = find(p, "services=sym,dc\n", 4);
    cr_assert_eq(dc_targets_count(t), 2);
    cr_expect_str_eq(describe(t, 0), "kind=qat n=3 [services|services = {svc:set:sym,dc,asym}|"
                                     "services = dc,sym]");
    cr_expect(dc_targets_decided(t, 0));
    dc_targets_free(t);
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
    listed(p, "a=7\n", 0, EITHER, 1, (const char *const[]){ "a=7" });
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
    listed(p, "y=3\n", 0, EITHER, 1,
           (const char *const[]){ "n=2 [x|-|(self.x == \"1\" || self.x == \"2\") && "
                                  "self.x != \"3\"]" });
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
        test_alloc b = { 0 };
        dc_alloc a = test_hook(&b);
        dc_policy *p = NULL;
        dc_error err;
        cr_assert_eq(dc_policy_compile_ex(&a, "t.compat", text, strlen(text), &p, NULL, &err),
                     DC_OK);
        b.fail_at = b.calls + n + 1; /* n more calls succeed, then none */
        b.from_then_on = true;
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
        listed(p, "device_api=vfio-pci\nmtu=65535\n", limits[k], EITHER, 0, NULL);
    }
    listed(p, "device_api=vfio-pci\nmtu=1500\n", 0, DECIDED, 1,
           (const char *const[]){ "device_api=vfio-pci [max_mtu|max_mtu = {t:int:68..9978}|"
                                  "t >= 1500]" });
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
    dc_targets *t;
    listed(p, "kind=t\ndrv=535.86\n", 0, DECIDED, 1,
           (const char *const[]){ "kind=t [drv|drv = {hd1:int:1..}.{hd2:int:0..}|"
                                  "hd1 == 535 && hd2 >= 86]" });
    t = find(p, "kind=t\ndrv=abc.86\n", 0); /* not an int: never */
    cr_expect_eq(dc_targets_count(t), 0);
    dc_targets_free(t);
    t = find(p, "kind=t\ndrv=0.86\n", 0); /* hd1 is 1.. */
    cr_expect_eq(dc_targets_count(t), 0);
    dc_targets_free(t);
    dc_policy_free(p);
}

/* Several open variables and an `||` the domains do not narrow: the
 * constants the rules compare with are tried (nvidia-vgpu's host driver). */
Test(never_wrong, an_or_of_several_variables_is_searched)
{
    dc_policy *p = compile("SELF:\n    kind = t\n    drv = {a:int:1..}.{b:int:0..}\n"
                           "COMPATIBLE:\n    kind = t\n    drv = {a}.{sb:int}\n"
                           "    where b > sb || b == sb && a > 7\n");
    listed(p, "kind=t\ndrv=5.54\n", 0, DECIDED, 1,
           (const char *const[]){ "kind=t [drv|drv = {a:int:1..}.{b:int:0..}|"
                                  "a == 5 && (b > 54 || b == 54 && a > 7)]" });
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

/* ------------------------------------------------ residues are exact (qat-vf) */

static uint64_t rng = 0x9e3779b97f4a7c15u;

/* dc_facts_add of two C strings, asserted. */
static void add(dc_facts *f, const char *name, const char *val)
{
    dc_error err;
    cr_assert_eq(dc_facts_add(f, name, val, strlen(val), &err), DC_OK, "%s", err.message);
}
static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (unsigned)(rng >> 33) % n;
}

/* A policy whose SELF holds exactly when target i of t satisfies its
 * residues: each open fact's constraint (it declares the variables the
 * residues read), then each residue, as a where or, when it is written as
 * a rule about the fact ("pci_id = 8086591d"), as that rule. */
static dc_policy *residue_policy(const dc_targets *t, size_t i)
{
    char text[8192];
    size_t len = (size_t)snprintf(text, sizeof text, "SELF:\n");
    for (size_t j = 0; j < dc_targets_open_count(t, i); j++) {
        dc_target_open o = DC_TARGET_OPEN_INIT;
        cr_assert_eq(dc_targets_open_get(t, i, j, &o), DC_OK);
        if (o.constraint)
            len += (size_t)snprintf(text + len, sizeof text - len, "    %s\n", o.constraint);
    }
    for (size_t j = 0; j < dc_targets_open_count(t, i); j++) {
        dc_target_open o = DC_TARGET_OPEN_INIT;
        cr_assert_eq(dc_targets_open_get(t, i, j, &o), DC_OK);
        if (!o.residue)
            continue;
        bool rule = strncmp(o.residue, o.fact, strlen(o.fact)) == 0 &&
                    o.residue[strlen(o.fact)] == ' ' && o.residue[strlen(o.fact) + 1] == '=';
        len += (size_t)snprintf(text + len, sizeof text - len, "    %s%s\n",
                                rule ? "" : "where ", o.residue);
    }
    len += (size_t)snprintf(text + len, sizeof text - len, "COMPATIBLE:\n    where true\n");
    cr_assert_lt(len, sizeof text);
    dc_policy *p = NULL;
    dc_error err;
    cr_assert_eq(dc_policy_compile("residue.compat", text, len, &p, NULL, &err), DC_OK,
                 "the residues do not compile: %s\n%s", err.message, text);
    return p;
}

/* Random QAT records: SLAs near the source's, or a copy of them. */
static void add_slas(dc_facts *f, const dc_facts *src)
{
    static const char *const srv[] = { "sym", "asym", "dc" };
    static const char *const rp[] = { "0xf0", "0xF0", "0x0f" };
    static const char *const cir[] = { "5000", "8000", "10000", "20000" };
    static const char *const pir[] = { "10000", "20000", "30000", "40000" };
    char name[64];
    if (rnd(3) == 0) { /* the source's own */
        for (size_t k = 0; k < dc_facts_count(src); k++)
            if (strncmp(dc_facts_name(src, k), "qat.sla.", 8) == 0)
                add(f, dc_facts_name(src, k), dc_facts_value(src, k));
        return;
    }
    unsigned n = rnd(4);
    for (unsigned r = 0; r < n; r++) {
        const char *v[4] = { srv[rnd(3)], rp[rnd(3)], cir[rnd(4)], pir[rnd(4)] };
        static const char *const field[] = { "srv", "rp", "cir", "pir" };
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "qat.sla.%u.%s", r, field[k]);
            add(f, name, v[k]);
        }
    }
}

/* A random value for open fact `fact` of a QAT target. */
static const char *qat_value(const char *fact, const dc_facts *src, char *buf, size_t cap)
{
    if (strcmp(fact, "qat.pfvf_version") == 0) {
        snprintf(buf, cap, "%u", rnd(8));
        return buf;
    }
    const char *mine = dc_facts_lookup(src, fact);
    unsigned long long m = mine ? strtoull(mine, NULL, 16) : 0;
    switch (rnd(4)) {
    case 0: break;                                         /* the source's */
    case 1: m |= 1ull << rnd(40); break;                   /* more */
    case 2: m &= ~(1ull << rnd(32)); break;                /* maybe one less */
    default: m = ((unsigned long long)rnd(1u << 30) << 2); /* anything */
    }
    snprintf(buf, cap, "0x%llx", m);
    return buf;
}

/* Every listed qat-vf target, with its open facts written at random: the
 * real check accepts it by the listed block exactly when it satisfies the
 * residues; and a decided target has such facts. */
Test(never_wrong, qat_residues_are_exact)
{
    dc_policy *pol = NULL;
    dc_error err;
    cr_assert_eq(dc_policy_read_file(DC_SRCDIR "/policies/qat-vf.compat", &pol, NULL, &err),
                 DC_OK, "%s", err.message);
    glob_t g;
    cr_assert_eq(glob(DC_SRCDIR "/policies/qat-vf-src-*", 0, NULL, &g), 0);
    dc_result *real = new_result(pol);
    size_t sources = 0, held = 0, refused = 0;
    for (size_t si = 0; si < g.gl_pathc + 24; si++) {
        dc_facts *src = NULL;
        if (si < g.gl_pathc) {
            cr_assert_eq(dc_facts_read_file(g.gl_pathv[si], &src, &err), DC_OK, "%s",
                         err.message);
        } else { /* random sources: versions and SLAs */
            char v[32];
            src = facts("device_api=vfio-pci\ndriver=qat_vfio_pci\npci_id=80864943\n"
                        "qat.cap_mask=0x3ff7ff3f\nqat.ext_dc_caps=0x1\nqat.services=sym,dc\n");
            snprintf(v, sizeof v, "%u", rnd(8));
            add(src, "qat.pfvf_version", v);
            add_slas(src, src);
        }
        dc_targets *t = NULL;
        cr_assert_eq(dc_targets_find(pol, src, 0, &t, &err), DC_OK, "%s", err.message);
        sources += dc_targets_count(t) > 0;
        dc_prepared *psrc = NULL;
        cr_assert_eq(dc_prepare(pol, src, &psrc, &err), DC_OK, "%s", err.message);
        for (size_t i = 0; i < dc_targets_count(t); i++) {
            dc_policy *rp = residue_policy(t, i);
            dc_result *rr = new_result(rp);
            size_t accepted = 0;
            for (int n = 0; n < 300; n++) {
                dc_facts *tf = new_facts(NULL);
                const dc_facts *fixed = dc_targets_facts(t, i);
                for (size_t k = 0; k < dc_facts_count(fixed); k++)
                    add(tf, dc_facts_name(fixed, k), dc_facts_value(fixed, k));
                for (size_t j = 0; j < dc_targets_open_count(t, i); j++) {
                    dc_target_open o = DC_TARGET_OPEN_INIT;
                    cr_assert_eq(dc_targets_open_get(t, i, j, &o), DC_OK);
                    char buf[32];
                    if (strcmp(o.fact, "qat.sla") == 0)
                        add_slas(tf, src);
                    else
                        add(tf, o.fact, qat_value(o.fact, src, buf, sizeof buf));
                }
                dc_prepared *pt = NULL;
                cr_assert_eq(dc_prepare(pol, tf, &pt, &err), DC_OK, "%s", err.message);
                cr_assert_eq(dc_check(pol, psrc, pt, real), DC_OK);
                if (dc_result_verdict(real) != DC_TARGET_MISMATCH) {
                    bool by_block = dc_result_verdict(real) == DC_COMPATIBLE &&
                                    dc_result_block(real) == dc_targets_block(t, i);
                    cr_assert_eq(dc_check_facts(rp, src, tf, rr, &err), DC_OK, "%s",
                                 err.message);
                    bool holds = dc_result_verdict(rr) == DC_COMPATIBLE;
                    cr_expect_eq(holds, by_block,
                                 "%s, target %zu (%s): residues %s, the check %s (block %d)",
                                 si < g.gl_pathc ? g.gl_pathv[si] : "random", i, describe(t, i),
                                 holds ? "hold" : "do not hold",
                                 by_block ? "accepts" : "refuses", dc_result_block(real));
                    accepted += by_block;
                    refused += !by_block;
                }
                dc_prepared_free(pt);
                dc_facts_free(tf);
            }
            held += accepted;
            if (dc_targets_decided(t, i))
                cr_expect_gt(accepted, 0, "decided, but no instance found: %s", describe(t, i));
            dc_result_free(rr);
            dc_policy_free(rp);
        }
        dc_prepared_free(psrc);
        dc_targets_free(t);
        dc_facts_free(src);
    }
    /* the test can fail both ways */
    cr_expect_gt(sources, 20);
    cr_expect_gt(held, 100);
    cr_expect_gt(refused, 100);
    dc_result_free(real);
    dc_policy_free(pol);
    globfree(&g);
}
