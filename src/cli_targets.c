/* cli_targets.c -- `compatc targets` (SPEC 4). */
#include "compatc.h"

int cmd_targets(const cli_opts *o)
{
    (void)o;
    cli_error("targets: not implemented yet");
    return 2;
}
