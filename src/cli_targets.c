/* cli_targets.c -- `compatc targets` (docs/compatc.1): which targets would accept a
 * source.  The answer comes from dc_targets_find; this file prints it.
 *
 *   text:  one line per target, "POLICY: name=value ... [open fact]..."
 *   json:  one object per policy, one per line
 *
 * Exit status: 0 when some policy has a target, 1 when none has (like grep:
 * nothing found), 2 on any error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compatc.h"

/* Facts as `name=value` words on one line (values quoted as `facts` does). */
static void print_facts_words(const dc_facts *f)
{
    size_t n = dc_facts_format(f, DC_FORMAT_TEXT, NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf)
        return;
    dc_facts_format(f, DC_FORMAT_TEXT, buf, n + 1);
    /* one fact per line, and a newline inside a value is escaped: join */
    for (char *line = buf; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        printf(" %.*s", (int)len, line);
        line += len + (end != NULL);
    }
    free(buf);
}

static void print_text(const dc_policy *pol, const dc_targets *t)
{
    for (size_t i = 0; i < dc_targets_count(t); i++) {
        printf("%s:", dc_policy_name(pol));
        print_facts_words(dc_targets_facts(t, i));
        for (size_t j = 0; j < dc_targets_open_count(t, i); j++) {
            dc_target_open o = DC_TARGET_OPEN_INIT;
            if (dc_targets_open_get(t, i, j, &o) != DC_OK)
                continue;
            printf(" [%s", o.constraint ? o.constraint : o.fact);
            if (o.residue)
                printf("; requires %s", o.residue);
            putchar(']');
        }
        if (!dc_targets_decided(t, i))
            printf(" (not decided: no values for the open facts were found that satisfy "
                   "every requirement; check them before creating this target)");
        putchar('\n');
    }
}

static void print_json(const dc_policy *pol, const dc_targets *t)
{
    printf("{\"policy\": ");
    json_str(stdout, dc_policy_name(pol));
    printf(", \"file\": ");
    json_str(stdout, dc_policy_file(pol));
    printf(", \"targets\": [");
    for (size_t i = 0; i < dc_targets_count(t); i++) {
        const dc_facts *f = dc_targets_facts(t, i);
        printf("%s{\"block\": %d, \"block_name\": ", i ? ", " : "", dc_targets_block(t, i));
        json_str(stdout, dc_targets_block_name(t, i));
        printf(", \"facts\": {");
        for (size_t k = 0; k < dc_facts_count(f); k++) {
            fputs(k ? ", " : "", stdout);
            json_str(stdout, dc_facts_name(f, k));
            fputs(": ", stdout);
            json_str(stdout, dc_facts_value(f, k));
        }
        printf("}, \"open\": {");
        for (size_t j = 0; j < dc_targets_open_count(t, i); j++) {
            dc_target_open o = DC_TARGET_OPEN_INIT;
            if (dc_targets_open_get(t, i, j, &o) != DC_OK)
                continue;
            fputs(j ? ", " : "", stdout);
            json_str(stdout, o.fact);
            fputs(": {\"constraint\": ", stdout);
            json_str(stdout, o.constraint);
            fputs(", \"requires\": ", stdout);
            json_str(stdout, o.residue);
            fputc('}', stdout);
        }
        printf("}, \"decided\": %s}", dc_targets_decided(t, i) ? "true" : "false");
    }
    printf("], \"limited\": %s, \"tried\": %zu}\n", dc_targets_limited(t) ? "true" : "false",
           dc_targets_tried_count(t));
}

int cmd_targets(const cli_opts *o)
{
    int need = 1 - (o->sysfs_source != NULL);
    if (o->nargs != need) {
        cli_error("targets takes one SOURCE (a facts file, or --sysfs-source DIR)");
        fputs("usage: compatc targets (--policy FILE | --policy-dir DIR) SOURCE "
              "[--limit N] [--json]\n",
              stderr);
        return 2;
    }
    const char *sname = o->sysfs_source ? o->sysfs_source : o->args[0];
    dc_facts *src = cli_load_facts(sname, o->sysfs_source, o->sysfs_root);
    if (!src)
        return 2;
    cli_pset ps;
    if (cli_policies(o, &ps) != 0) {
        dc_facts_free(src);
        return 2;
    }
    size_t npols = cli_pset_count(&ps);
    /* With a directory, a policy that cannot answer (docs/targets.md) is
     * reported and the others still answer: exit 0 when one has a target,
     * else 2 if one failed. */
    int rc = 1, failed = 0;
    for (size_t k = 0; k < npols; k++) {
        const dc_policy *pol = cli_pset_policy(&ps, k);
        if (!pol)
            continue; /* broken: reported when the set was read */
        dc_targets *t = NULL;
        dc_error err;
        if (dc_targets_find(pol, src, o->limit, &t, &err) != DC_OK) {
            cli_error("%s", err.message);
            failed = 1;
            if (npols == 1)
                break;
            continue;
        }
        if (o->json)
            print_json(pol, t);
        else
            print_text(pol, t);
        fflush(stdout);
        if (dc_targets_limited(t))
            cli_error("%s: more than %zu combinations of SELF's variables: only the first %zu "
                      "were tried (--limit)",
                      cli_pset_path(&ps, k), dc_targets_tried_count(t),
                      dc_targets_tried_count(t));
        if (dc_targets_count(t))
            rc = 0;
        dc_targets_free(t);
    }
    if (rc == 1 && failed)
        rc = 2;
    else if (rc == 1)
        cli_error("%s: no target of %s accepts this source", sname,
                  npols == 1 ? cli_pset_path(&ps, 0) : "these policies");
    cli_policies_free(&ps);
    dc_facts_free(src);
    return rc;
}
