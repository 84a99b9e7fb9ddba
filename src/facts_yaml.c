/* facts_yaml.c -- YAML/JSON facts (SPEC 1, format 2): being written. */
#include "facts.h"

dc_status facts_parse_yaml_ex(const dc_alloc *alloc, const char *file, const char *text,
                              size_t len, dc_facts **out, dc_error *err)
{
    (void)alloc; (void)text; (void)len;
    if (out)
        *out = NULL;
    return dc_error_set(err, DC_ERR_FACTS, "%s: YAML facts are not supported yet", file);
}

dc_status dc_facts_parse_yaml(const char *file, const char *text, size_t len,
                              dc_facts **out, dc_error *err)
{
    return facts_parse_yaml_ex(NULL, file, text, len, out, err);
}
