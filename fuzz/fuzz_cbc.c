/*
 * fuzz_cbc.c -- compiled policies (.cbc bytes): nothing in a .cbc is
 * trusted (docs/bytecode.md), so any bytes must load cleanly or be rejected; a policy
 * that verifies is evaluated and round-tripped (save, load, same results).
 *
 * Each input is loaded twice: as it is (the checksum refuses nearly every
 * mutation), and with its checksum recomputed (docs/bytecode.md: CRC-32 of
 * every byte but the checksum field, at offset 12), so that the mutations
 * reach the section table, the records and the verifier.
 */
#include "harness.h"
#include "eval.h"

#define CBC_OFF_CHECKSUM 12

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static void load_and_run(const uint8_t *data, size_t len)
{
    dc_policy *pol = NULL;
    dc_error err;
    dc_status st = dc_policy_load("fuzz.cbc", data, len, &pol, &err);
    if (st == DC_OK && !pol)
        fuzz_fail("dc_policy_load: DC_OK without a policy");
    if (st != DC_OK) {
        if (pol)
            fuzz_fail("dc_policy_load: failure with a policy");
        if (memchr(err.message, '\0', sizeof err.message) == NULL)
            fuzz_fail("error message not terminated");
        return;
    }
    fuzz_check_all(pol, NULL, 0);
    fuzz_round_trip(pol);
    dc_policy_free(pol);
}

static void fuzz_one(const uint8_t *data, size_t len)
{
    if (!dc_policy_load)
        return;
    load_and_run(data, len);
    if (len < CBC_OFF_CHECKSUM + 4)
        return;
    uint8_t *fixed = malloc(len);
    if (!fixed)
        return;
    memcpy(fixed, data, len);
    uint32_t crc = crc32_update(0, fixed, CBC_OFF_CHECKSUM);
    crc = crc32_update(crc, fixed + CBC_OFF_CHECKSUM + 4, len - CBC_OFF_CHECKSUM - 4);
    for (int i = 0; i < 4; i++)
        fixed[CBC_OFF_CHECKSUM + i] = (uint8_t)(crc >> (8 * i));
    if (memcmp(fixed, data, len) != 0)
        load_and_run(fixed, len);
    free(fixed);
}
