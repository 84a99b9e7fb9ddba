/* cli_test.c -- `compatc test` (SPEC 4). */
#include "compatc.h"

int cmd_test(const cli_opts *o)
{
    (void)o;
    cli_error("test: not implemented yet");
    return 2;
}
