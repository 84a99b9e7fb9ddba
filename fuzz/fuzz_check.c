/*
 * fuzz_check.c -- a whole check from one input: a policy, a source and a
 * target, separated by lines holding only "%%".  A device part starting
 * with '{' or "---" is YAML/JSON, otherwise key=value text.  A missing part
 * is empty.  The policy is checked both ways round and, prepared once, as a
 * batch and as a fleet, and the source is made a DRA selector (to-cel).
 */
#include "harness.h"
#include "../tests/helpers.h"

static dc_facts *parse_device(const char *text, size_t len)
{
    dc_facts *facts = NULL;
    dc_error err;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n'))
        i++;
    int yaml = (i < len && text[i] == '{') || (len - i >= 3 && memcmp(text + i, "---", 3) == 0);
    dc_status st = yaml ? dc_facts_parse_yaml("dev.yaml", text, len, &facts, &err)
                        : dc_facts_parse_text("dev.kv", text, len, &facts, &err);
    if (st != DC_OK)
        return NULL;
    return facts;
}

static void check_result(const dc_policy *pol, dc_result *r)
{
    dc_verdict v = dc_result_verdict(r);
    int32_t block = dc_result_block(r);
    if (v == DC_COMPATIBLE && (block < 0 || (size_t)block >= dc_policy_block_count(pol)))
        fuzz_fail("compatible without a valid block");
    size_t nb = dc_result_binding_count(r);
    for (size_t i = 0; i < nb; i++) {
        dc_binding b = DC_BINDING_INIT;
        if (dc_result_binding_get(r, i, &b) != DC_OK || !b.name || !b.text)
            fuzz_fail("binding in range missing");
        (void)strlen(b.text);
    }
    size_t nr = dc_result_reason_count(r);
    for (size_t i = 0; i < nr; i++) {
        dc_reason rs = DC_REASON_INIT;
        if (dc_result_reason_get(r, i, &rs) != DC_OK || !rs.message)
            fuzz_fail("reason in range missing");
        if (rs.expected)
            (void)strlen(rs.expected);
        if (rs.actual)
            (void)strlen(rs.actual);
    }
    const char *text = explanation(r);
    if (text)
        (void)strlen(text);
}

static void fuzz_one(const uint8_t *data, size_t len)
{
    const char *p = (const char *)data, *end = p + len;
    const char *ptext, *stext, *ttext;
    size_t plen, slen, tlen;
    fuzz_next_part(&p, end, &ptext, &plen);
    fuzz_next_part(&p, end, &stext, &slen);
    fuzz_next_part(&p, end, &ttext, &tlen);

    dc_policy *pol = NULL;
    if (dc_policy_compile("fuzz.compat", ptext, plen, &pol, NULL, NULL) != DC_OK)
        return;
    dc_facts *src = parse_device(stext, slen);
    dc_facts *tgt = parse_device(ttext, tlen);
    if (!src)
        src = new_facts(NULL);
    if (!tgt)
        tgt = new_facts(NULL);
    dc_result *r = new_result(pol);
    if (src && tgt && r) {
        dc_error err;
        if (dc_check_facts(pol, src, tgt, r, &err) == DC_OK)
            check_result(pol, r);
        if (dc_check_facts(pol, tgt, src, r, &err) == DC_OK)
            check_result(pol, r);

        dc_prepared *ps = NULL, *pt = NULL;
        if (dc_prepare(pol, src, &ps, &err) == DC_OK &&
            dc_prepare(pol, tgt, &pt, &err) == DC_OK) {
            const dc_prepared *targets[3] = { pt, ps, pt };
            dc_verdict verdicts[3];
            int32_t blocks[3];
            if (dc_check(pol, ps, pt, r) == DC_OK) {
                check_result(pol, r);
                dc_verdict single = dc_result_verdict(r);
                int32_t block = dc_result_block(r);
                if (dc_check_batch(pol, ps, targets, 3, verdicts, blocks) == DC_OK) {
                    if (verdicts[0] != single || blocks[0] != block || verdicts[2] != single ||
                        blocks[2] != block)
                        fuzz_fail("dc_check_batch disagrees with dc_check");
                    /* a fleet of the same targets agrees with the batch */
                    dc_fleet *fl = NULL;
                    dc_verdict fv[3];
                    int32_t fb[3];
                    if (dc_fleet_new && dc_fleet_new(pol, targets, 3, &fl, &err) == DC_OK) {
                        if (dc_check_fleet(pol, ps, fl, fv, fb) == DC_OK)
                            for (int k = 0; k < 3; k++)
                                if (fv[k] != verdicts[k] || fb[k] != blocks[k])
                                    fuzz_fail("dc_check_fleet disagrees with dc_check_batch");
                        dc_fleet_free(fl);
                    }
                }
            }
        }
        dc_prepared_free(ps);
        dc_prepared_free(pt);

        /* the source as a DRA selector: exact or refused, never a crash */
        dc_cel *cel = NULL;
        if (dc_cel_new(pol, src, NULL, &cel, &err) == DC_OK) {
            if (strlen(dc_cel_expression(cel)) > 10 * 1024)
                fuzz_fail("a selector over Kubernetes' limit");
            for (size_t i = 0; i < dc_cel_attribute_count(cel); i++) {
                dc_cel_attribute a = DC_CEL_ATTRIBUTE_INIT;
                if (dc_cel_attribute_get(cel, i, &a) != DC_OK || !a.fact || !a.domain ||
                    !a.name || !a.type)
                    fuzz_fail("attribute in range missing");
            }
        } else if (cel) {
            fuzz_fail("dc_cel_new failed but gave a selector");
        }
        dc_cel_free(cel);
    }
    dc_result_free(r);
    dc_facts_free(src);
    dc_facts_free(tgt);
    dc_policy_free(pol);
}
