/*
 * fuzz_policy.c -- policy source text: compile, read the diagnostics, and
 * when it compiles evaluate it against fixed devices and round-trip it
 * through .cbc (results must not change).
 */
#include "harness.h"
#include "eval.h"
#include "../tests/helpers.h"

static void fuzz_one(const uint8_t *data, size_t len)
{
    dc_policy *pol = NULL;
    dc_diags *diags = NULL;
    dc_error err;
    dc_status st =
        dc_policy_compile("fuzz.compat", (const char *)data, len, &pol, &diags, &err);
    if (st == DC_OK && !pol)
        fuzz_fail("dc_policy_compile: DC_OK without a policy");
    if (st != DC_OK && pol)
        fuzz_fail("dc_policy_compile: failure with a policy");
    size_t n = dc_diags_count(diags);
    if (dc_diags_error_count(diags) + dc_diags_warning_count(diags) != n)
        fuzz_fail("diagnostic counts do not add up");
    if (st == DC_OK && dc_diags_error_count(diags) != 0)
        fuzz_fail("compiled with errors");
    for (size_t i = 0; i < n; i++) {
        const dc_diag *dg = nth_diag(diags, i);
        if (!dg || !dg->message)
            fuzz_fail("diagnostic in range missing");
        if (dg->line == 0 || dg->col == 0 || dg->end_col < dg->col + 1)
            fuzz_fail("diagnostic location out of range");
        (void)strlen(dg->message);
        if (dg->source_line)
            (void)strlen(dg->source_line);
    }
    if (nth_diag(diags, n))
        fuzz_fail("diagnostic past the end");
    dc_diags_free(diags);
    if (pol) {
        fuzz_check_all(pol, NULL, 0);
        fuzz_round_trip(pol);
        dc_policy_free(pol);
    }
}
