/* policy_file.c -- a policy from a file, whichever form it is in: a
 * compiled .cbc (cbc_read.c) or a source text (compile.c). */
#include <string.h>

#include "alloc.h"
#include "cbc.h"
#include "facts.h"
#include "limits.h"

dc_status dc_policy_read_file(const char *path, dc_policy **out, dc_diags **diags,
                              dc_error *err)
{
    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!path || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_policy_read_file: invalid argument");
    char *data = NULL;
    size_t len = 0;
    /* read up to the larger limit; each reader applies its own */
    dc_status st = file_read_all(NULL, path, DC_MAX_CBC, &data, &len, err);
    if (st != DC_OK)
        return st;
    size_t plen = strlen(path);
    bool cbc_name = plen >= 4 && strcmp(path + plen - 4, ".cbc") == 0;
    if (cbc_is_cbc(data, len))
        st = dc_policy_load(path, data, len, out, err);
    else if (cbc_name) /* never compile a .cbc's bytes as source */
        st = dc_error_set(err, DC_ERR_BYTECODE, "%s: not a compiled policy (bad magic)", path);
    else
        st = dc_policy_compile(path, data, len, out, diags, err);
    mem_free(NULL, data);
    return st;
}
