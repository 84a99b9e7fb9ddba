/* compatc.h -- what the commands of compatc share (the CLI only). */
#ifndef DC_COMPATC_H
#define DC_COMPATC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "devcompat.h"

typedef struct cli_opts {
    bool json, explain, werror;
    const char *policy, *policy_dir;
    const char *sysfs, *sysfs_root, *sysfs_source, *sysfs_target;
    const char *output;
    const char *domain;
    size_t limit;
    const char *args[64];
    int nargs;
} cli_opts;

int cli_opts_parse(cli_opts *o, int argc, char **argv);

/* "compatc: " + message on stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
void json_str(FILE *out, const char *s);   /* a JSON string, or null */

/* Read a whole file (NUL-terminated, malloc'ed); NULL after reporting. */
char *cli_read(const char *path, size_t max, size_t *len);
/* A policy file (.compat or .cbc); NULL after reporting diagnostics. */
dc_policy *cli_load_policy(const char *path);
/* Facts from a file, or from a sysfs directory when `sysfs` is set. */
dc_facts *cli_load_facts(const char *file, const char *sysfs, const char *root);
/* Policies and the paths they were read from. */
typedef struct cli_pset {
    dc_policy **pol;
    char **path;
    size_t n, cap;
} cli_pset;

/* --policy FILE, or every policy of --policy-dir (default: installed). */
int cli_policies(const cli_opts *o, cli_pset *ps);
void cli_policies_free(cli_pset *ps);
/* The index of the policy whose SELF the target satisfies (SPEC 2.7), or -1
 * after reporting no-policy / ambiguous-policy with the files' paths. */
int cli_pick_policy(const cli_pset *ps, const dc_facts *target, const char *tname,
                    bool single, bool json, const char *dir);
void cli_print_reasons_json(FILE *out, dc_result *r);
void cli_print_bindings_json(FILE *out, dc_result *r);

/* Commands implemented in their own files. */
int cmd_targets(const cli_opts *o);     /* cli_targets.c */
int cmd_test(const cli_opts *o);        /* cli_test.c */
int cmd_tocel(const cli_opts *o);       /* cli_tocel.c */

#endif
