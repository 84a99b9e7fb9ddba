/*
 * result.h -- read everything a check's result says, checking what
 * <devcompat.h> promises of it, into a digest two results are compared by.
 * Include after harness.h.
 */
#ifndef DC_FUZZ_RESULT_H
#define DC_FUZZ_RESULT_H

/* Append to a digest of results, truncating silently. */
static void digest_add(char *d, size_t cap, const char *s)
{
    size_t n = strlen(d);
    if (!s)
        s = "(null)";
    while (*s && n + 1 < cap)
        d[n++] = *s++;
    d[n] = '\0';
}

static void digest_int(char *d, size_t cap, long long v)
{
    char num[32];
    snprintf(num, sizeof num, " %lld", v);
    digest_add(d, cap, num);
}

/* Read everything a result of status `st` says, checking what the API
 * promises of it; append it to the digest `d` (may be NULL). */
static void fuzz_read_result(const dc_policy *pol, dc_status st, dc_result *r, char *d,
                             size_t cap)
{
    if (d)
        digest_int(d, cap, st);
    if (st != DC_OK)
        return;
    dc_verdict v = dc_result_verdict(r);
    int32_t block = dc_result_block(r);
    if (v != DC_COMPATIBLE && v != DC_INCOMPATIBLE && v != DC_TARGET_MISMATCH)
        fuzz_fail("verdict out of range");
    if (v == DC_COMPATIBLE && (block < 0 || (size_t)block >= dc_policy_block_count(pol)))
        fuzz_fail("compatible without a valid block");
    if (v != DC_COMPATIBLE && block != -1)
        fuzz_fail("a block for a result that is not compatible");
    if (d) {
        digest_int(d, cap, v);
        digest_int(d, cap, block);
        digest_add(d, cap, dc_result_block_name(r));
    }
    size_t nb = dc_result_binding_count(r);
    for (size_t i = 0; i < nb; i++) {
        dc_binding b = DC_BINDING_INIT;
        if (dc_result_binding_get(r, i, &b) != DC_OK)
            fuzz_fail("binding in range not returned");
        if (!b.name || !b.text)
            fuzz_fail("binding without name or text");
        if (d) {
            digest_add(d, cap, b.name);
            digest_add(d, cap, b.text);
            digest_int(d, cap, b.type);
            digest_int(d, cap, b.int_value);
        }
    }
    size_t nr = dc_result_reason_count(r);
    for (size_t i = 0; i < nr; i++) {
        dc_reason rs = DC_REASON_INIT;
        if (dc_result_reason_get(r, i, &rs) != DC_OK)
            fuzz_fail("reason in range not returned");
        if (!rs.message)
            fuzz_fail("reason without message");
        if (d) {
            digest_int(d, cap, rs.block);
            digest_int(d, cap, rs.line);
            digest_add(d, cap, rs.field);
            digest_add(d, cap, rs.expected);
            digest_add(d, cap, rs.actual);
            digest_add(d, cap, rs.message);
        }
    }
}

#endif /* DC_FUZZ_RESULT_H */
