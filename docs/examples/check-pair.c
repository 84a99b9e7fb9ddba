/* check-pair.c -- embed libdevcompat: may SOURCE migrate to TARGET?
 *
 *   cc check-pair.c $(pkg-config --cflags --libs devcompat) -o check-pair
 *   ./check-pair POLICY.compat|POLICY.cbc SOURCE TARGET
 *
 * Prints the verdict and its explanation; exits 0 compatible, 1
 * incompatible, 2 on any error (as compatc check does). */
#include <stdio.h>

#include <devcompat.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s POLICY SOURCE TARGET\n", argv[0]);
        return 2;
    }
    dc_error err;
    dc_policy *policy = NULL;
    dc_diags *diags = NULL;
    dc_facts *source = NULL, *target = NULL;
    dc_prepared *src = NULL, *tgt = NULL;
    dc_result *result = NULL;
    int rc = 2;

    /* 1. The policy: compiled once, immutable, shareable between threads. */
    if (dc_policy_read_file(argv[1], &policy, &diags, &err) != DC_OK) {
        for (size_t i = 0; i < dc_diags_count(diags); i++) {
            dc_diag d = DC_DIAG_INIT;   /* sets d.size: see "The API's scheme" */
            if (dc_diags_get(diags, i, &d) == DC_OK)
                fprintf(stderr, "%s:%u:%u: %s\n", d.file, d.line, d.col, d.message);
        }
        fprintf(stderr, "%s\n", err.message);
        goto out;
    }

    /* 2. The facts of both devices, prepared once for this policy. */
    if (dc_facts_read_file(argv[2], &source, &err) != DC_OK ||
        dc_facts_read_file(argv[3], &target, &err) != DC_OK ||
        dc_prepare(policy, source, &src, &err) != DC_OK ||
        dc_prepare(policy, target, &tgt, &err) != DC_OK) {
        fprintf(stderr, "%s\n", err.message);
        goto out;
    }

    /* 3. The check: allocates nothing; a result object is reusable. */
    if (dc_result_new(policy, &result, &err) != DC_OK) {
        fprintf(stderr, "%s\n", err.message);
        goto out;
    }
    if (dc_check(policy, src, tgt, result) != DC_OK) {
        fprintf(stderr, "check failed\n");
        goto out;
    }
    const char *why = NULL;
    switch (dc_result_verdict(result)) {
    case DC_COMPATIBLE:
        printf("compatible (block %d)\n", dc_result_block(result));
        for (size_t i = 0; i < dc_result_binding_count(result); i++) {
            dc_binding b = DC_BINDING_INIT;
            if (dc_result_binding_get(result, i, &b) == DC_OK)
                printf("  %s = %s\n", b.name, b.text);
        }
        rc = 0;
        break;
    case DC_INCOMPATIBLE:
        rc = dc_result_explain(result, &why) == DC_OK ? 1 : 2;
        printf("incompatible\n%s", why ? why : "");
        break;
    case DC_TARGET_MISMATCH:
        if (dc_result_explain(result, &why) == DC_OK)
            fprintf(stderr, "target-mismatch: %s", why);
        rc = 2;
        break;
    }
out:
    dc_result_free(result);
    dc_prepared_free(src);
    dc_prepared_free(tgt);
    dc_facts_free(source);
    dc_facts_free(target);
    dc_diags_free(diags);
    dc_policy_free(policy);
    return rc;
}
