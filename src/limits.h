/* limits.h -- the named limits (docs/language.md, section 13), in one place. */
#ifndef DC_LIMITS_H
#define DC_LIMITS_H

#define DC_MAX_NAME         255         /* bytes in a fact name */
#define DC_MAX_VALUE        4096        /* bytes in a fact value */
#define DC_MAX_FACTS        1024        /* facts per device */
#define DC_MAX_SOURCE       (1u << 20)  /* bytes of policy source */
#define DC_MAX_LINES        65536       /* lines of policy source */
#define DC_MAX_BLOCKS       1024        /* blocks per policy */
#define DC_MAX_RULES        1024        /* rules per block */
#define DC_MAX_VARS         256         /* variables per scope */
#define DC_MAX_PLACEHOLDERS 16          /* placeholders per template */
#define DC_MAX_NESTING      64          /* expression nesting */
#define DC_MAX_CBC          (16u << 20) /* bytes of a .cbc file */

/* Not limits the language names, but bounded all the same (docs/language.md, section 13). */
#define DC_MAX_MATCH_STEPS 100000 /* template backtracking steps per match */
#define DC_MAX_ID          511    /* bytes of an inventory id: two names and a '/' */
#define DC_MAX_SET_ITEMS   1024   /* items of a set parsed while checking */
#define DC_MAX_DIAGS       1000   /* diagnostics reported per file */
#define DC_MAX_QUOTED_LINE 4096   /* longer source lines are not quoted */

#endif
