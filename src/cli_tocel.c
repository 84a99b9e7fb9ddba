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

int cmd_tocel(const cli_opts *o)
{
    if (o->nargs != 1) {
        cli_error("to-cel takes --policy FILE and one SOURCE (see compatc to-cel --help)");
        return 2;
    }
    if (!o->policy) {
        cli_error("to-cel needs --policy FILE: a selector is made for one policy");
        return 2;
    }
    dc_policy *pol = cli_load_policy(o->policy);
    if (!pol)
        return 2;
    int rc = 2;
    dc_cel *cel = NULL;
    dc_facts *src = cli_load_facts(o->args[0], o->sysfs_source, o->sysfs_root);
    if (src) {
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
    dc_policy_free(pol);
    return rc;
}
