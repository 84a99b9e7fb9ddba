/* cli_tocel.c -- `compatc to-cel`: a policy specialised to one source, as a
 * Kubernetes DRA device selector (docs/kubernetes.md).  The selector comes
 * from dc_cel_new; this file prints it.
 *
 *   text:  the CEL expression, one line
 *   json:  {"policy", "file", "domain", "selector",
 *           "attributes": {FACT: {"domain", "name", "type"}}}
 *
 * Exit status: 0 with a selector, 2 on any error (a rule CEL cannot express
 * exactly among them). */
#include <stdio.h>

#include "compatc.h"

/* The policy of the selector: --policy, else the one policy of --policy-dir
 * (or the default directory, as every command).  A directory of several
 * policies is refused: `check` judges a device by the policy whose SELF it
 * satisfies, and a selector made from one policy cannot exclude the devices
 * the others (also) describe, so it would select devices `check` refuses as
 * ambiguous or judges by another policy (docs/kubernetes.md). */
static const dc_policy *pick(const cli_opts *o, cli_pset *ps, const dc_facts *src,
                             const char *sname)
{
    if (cli_policies(o, ps) != 0)
        return NULL;
    if (ps->set) {
        size_t usable = dc_policyset_count(ps->set) - dc_policyset_broken_count(ps->set);
        if (usable != 1) {
            cli_error(
                "to-cel needs --policy FILE: %s holds %zu usable policies, and a selector "
                "made from one cannot leave out the devices the others describe "
                "(docs/kubernetes.md)",
                cli_policy_dir(o), usable);
            return NULL;
        }
    }
    return cli_pick_policy(ps, src, sname, false, " (give --policy FILE)");
}

int cmd_tocel(const cli_opts *o)
{
    int need = 1 - (o->sysfs_source != NULL);
    if (o->nargs != need) {
        cli_error("to-cel takes one SOURCE (see compatc to-cel --help)");
        return 2;
    }
    const char *sname = o->sysfs_source ? o->sysfs_source : o->args[0];
    int rc = 2;
    dc_cel *cel = NULL;
    cli_pset ps = { 0 };
    const dc_policy *pol = NULL;
    dc_facts *src = cli_load_facts(sname, o->sysfs_source, o->sysfs_root);
    if (src && (pol = pick(o, &ps, src, sname))) {
        dc_error err = { 0 };
        if (dc_cel_new(pol, src, o->domain, &cel, &err) != DC_OK)
            cli_error("%s", err.message);
        else
            rc = 0;
    }
    if (cel && !o->json) {
        printf("%s\n", dc_cel_expression(cel));
    } else if (cel) {
        printf("{\"policy\": ");
        json_str(stdout, dc_policy_name(pol));
        printf(", \"file\": ");
        json_str(stdout, dc_policy_file(pol));
        printf(", \"domain\": ");
        json_str(stdout, o->domain ? o->domain : DC_CEL_DEFAULT_DOMAIN);
        printf(", \"selector\": ");
        json_str(stdout, dc_cel_expression(cel));
        printf(", \"attributes\": {");
        for (size_t i = 0; i < dc_cel_attribute_count(cel); i++) {
            dc_cel_attribute a = DC_CEL_ATTRIBUTE_INIT;
            if (dc_cel_attribute_get(cel, i, &a) != DC_OK)
                continue;
            printf("%s", i ? ", " : "");
            json_str(stdout, a.fact);
            printf(": {\"domain\": ");
            json_str(stdout, a.domain);
            printf(", \"name\": ");
            json_str(stdout, a.name);
            printf(", \"type\": ");
            json_str(stdout, a.type);
            putchar('}');
        }
        printf("}}\n");
    }
    dc_cel_free(cel);
    dc_facts_free(src);
    cli_policies_free(&ps);
    return rc;
}
