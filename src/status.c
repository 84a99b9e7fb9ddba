/* status.c -- status names, error objects, version. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "facts.h"

const char *dc_status_str(dc_status status)
{
    switch (status) {
    case DC_OK: return "ok";
    case DC_ERR_NOMEM: return "nomem";
    case DC_ERR_IO: return "io";
    case DC_ERR_INVALID: return "invalid";
    case DC_ERR_POLICY: return "policy";
    case DC_ERR_FACTS: return "facts";
    case DC_ERR_LIMIT: return "limit";
    case DC_ERR_BYTECODE: return "bytecode";
    case DC_ERR_TARGET_MISMATCH: return "target-mismatch";
    case DC_ERR_NO_POLICY: return "no-policy";
    case DC_ERR_AMBIGUOUS_POLICY: return "ambiguous-policy";
    case DC_ERR_UNSUPPORTED: return "unsupported";
    }
    return "unknown";
}

const char *dc_version(void)
{
    return PACKAGE_VERSION;
}

dc_status dc_error_set(dc_error *err, dc_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = status;
        memset(err->reserved, 0, sizeof err->reserved);
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}
