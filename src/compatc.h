/* compatc.h -- what the commands of compatc share (the CLI only). */
#ifndef DC_COMPATC_H
#define DC_COMPATC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "devcompat.h"

typedef struct cli_opts {
    bool json, explain, werror, help;
    const char *policy, *policy_dir;
    const char *sysfs, *sysfs_root, *sysfs_source, *sysfs_target;
    const char *output;
    const char *domain;
    size_t limit;
    const char *args[64];
    int nargs;
} cli_opts;

int cli_opts_parse(cli_opts *o, int argc, char **argv); /* cli_opts.c */
/* The global usage on stderr (after "compatc: why"); returns 2. */
int cli_usage(const char *why);
/* A command's help (the global usage for NULL or an unknown one) on stdout. */
void cli_help(const char *cmd);

/* "compatc: " + message on stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
void json_str(FILE *out, const char *s); /* a JSON string, or null */
void cli_print_diag(FILE *out, const dc_diag *dg, bool json);
void cli_print_facts(FILE *out, const dc_facts *f, bool json);

/* A policy file (.compat or .cbc); NULL after reporting diagnostics. */
dc_policy *cli_load_policy(const char *path);
/* Facts from a file, or from a sysfs directory when `sysfs` is set. */
dc_facts *cli_load_facts(const char *file, const char *sysfs, const char *root);

/* The policies a command works with: one file, or a directory's set. */
typedef struct cli_pset {
    dc_policyset *set; /* --policy-dir, or the installed directory */
    dc_policy *one;    /* --policy FILE, or a self-describing target */
    const char *one_path;
    bool installed; /* the set is the installed directory, by default */
} cli_pset;

/* --policy FILE, or every policy of --policy-dir (default: installed; the
 * same for every command, docs/compatc.1). */
int cli_policies(const cli_opts *o, cli_pset *ps);
const char *cli_policy_dir(const cli_opts *o);
size_t cli_pset_count(const cli_pset *ps);
const dc_policy *cli_pset_policy(const cli_pset *ps, size_t i); /* NULL: broken */
const char *cli_pset_path(const cli_pset *ps, size_t i);
void cli_policies_free(cli_pset *ps);
/* The policy that judges a target: the single one, or the one of the set
 * whose SELF it satisfies; NULL after reporting no-policy/ambiguous-policy. */
const dc_policy *cli_pick_policy(const cli_pset *ps, const dc_facts *target, const char *tname,
                                 bool json, const char *hint);

/* Commands implemented in their own files. */
int cmd_targets(const cli_opts *o); /* cli_targets.c */
int cmd_test(const cli_opts *o);    /* cli_test.c */
int cmd_tocel(const cli_opts *o);   /* cli_tocel.c */

#endif
