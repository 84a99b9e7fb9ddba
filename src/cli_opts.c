/* cli_opts.c -- compatc's options, one table, and the help every command
 * prints (docs/compatc.1): a missing value, a repeated option and an
 * unknown option (with the closest known one) are usage errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compatc.h"

#ifndef DC_POLICY_DIR
#define DC_POLICY_DIR "/usr/share/devcompat/policies"
#endif

typedef enum opt_id {
    O_JSON,
    O_EXPLAIN,
    O_WERROR,
    O_FORMAT,
    O_POLICY,
    O_POLICY_DIR,
    O_DOMAIN,
    O_SYSFS,
    O_SYSFS_ROOT,
    O_SYSFS_SOURCE,
    O_SYSFS_TARGET,
    O_OUTPUT,
    O_LIMIT,
    O_HELP,
    O_COUNT
} opt_id;

static const struct opt {
    const char *name;
    const char *arg; /* the value's name; NULL for a flag */
} opts[O_COUNT] = {
    [O_JSON] = { "--json", NULL },
    [O_EXPLAIN] = { "--explain", NULL },
    [O_WERROR] = { "--werror", NULL },
    [O_FORMAT] = { "--format", "text|json" },
    [O_POLICY] = { "--policy", "FILE" },
    [O_POLICY_DIR] = { "--policy-dir", "DIR" },
    [O_DOMAIN] = { "--domain", "D" },
    [O_SYSFS] = { "--sysfs", "DIR" },
    [O_SYSFS_ROOT] = { "--sysfs-root", "ROOT" },
    [O_SYSFS_SOURCE] = { "--sysfs-source", "DIR" },
    [O_SYSFS_TARGET] = { "--sysfs-target", "DIR" },
    [O_OUTPUT] = { "-o", "FILE" },
    [O_LIMIT] = { "--limit", "N" },
    [O_HELP] = { "--help", NULL },
};

static const char usage_text[] =
    "usage:\n"
    "  compatc lint [--werror] [--format=text|json] FILE...\n"
    "  compatc compile FILE.compat [-o FILE.cbc]\n"
    "  compatc disasm FILE.cbc|FILE.compat\n"
    "  compatc facts (FILE | --sysfs DIR) [--sysfs-root ROOT] [--format=text|json]\n"
    "  compatc check [--policy FILE | --policy-dir DIR] SOURCE TARGET [--explain] [--json]\n"
    "  compatc match [--policy FILE | --policy-dir DIR] SOURCE INVENTORY [--json]\n"
    "  compatc targets [--policy FILE | --policy-dir DIR] SOURCE [--limit N] [--json]\n"
    "  compatc to-cel [--policy FILE | --policy-dir DIR] SOURCE [--domain D] [--json]\n"
    "  compatc test FILE.compat|FILE.cbc CASES.yaml\n"
    "  compatc COMMAND --help\n"
    "  compatc --version | --help\n"
    "\n"
    "options:\n"
    "  --policy FILE        a policy, .compat source or compiled .cbc\n"
    "  --policy-dir DIR     the policy of DIR whose SELF the target satisfies; the\n"
    "                       default of every command: $DEVCOMPAT_POLICY_DIR, else\n"
    "                       " DC_POLICY_DIR "\n"
    "                       (check: a self-describing TARGET is its own policy)\n"
    "  --sysfs DIR          facts: read a sysfs device or mdev type directory\n"
    "  --sysfs-source DIR, --sysfs-target DIR   SOURCE/TARGET from sysfs\n"
    "  --sysfs-root ROOT    the root sysfs paths are below (default /)\n"
    "  --explain            check: the bindings, or one reason per block\n"
    "  --json, --format=json   JSON output (default text)\n"
    "  --werror             lint: warnings are errors\n"
    "  --limit N            targets: combinations tried (default 1024)\n"
    "  --domain D           to-cel: the DRA attribute domain\n"
    "  -o FILE              compile: the output (default FILE.cbc)\n"
    "\n"
    "SOURCE, TARGET and FILE of facts are facts files (key=value, YAML or JSON), a\n"
    "sysfs device directory, \"-\" (standard input) or PREFIX:FILE (libvirt:, mdevctl:,\n"
    "lspci:, devlink:, dra:, sysfs:; libvirt+URI:NODEDEV); INVENTORY a list, a directory\n"
    "of facts files or of sysfs devices, or PREFIX:FILE.  Relative paths are relative\n"
    "to the current directory.  Exit status:\n"
    "0 compatible or success, 1 incompatible, lint errors, failing cases or nothing\n"
    "found, 2 any error (usage, unreadable input, target-mismatch, no-policy,\n"
    "ambiguous-policy).\n";

/* Each command's help: usage, options, an example, exit status. */
static const struct cmd_help {
    const char *name, *text;
} helps[] = {
    { "lint", "usage: compatc lint [--werror] [--format=text|json] FILE...\n"
              "Compile each policy (or verify each .cbc) and print its errors and warnings,\n"
              "GCC-style, or as a JSON list.\n"
              "  --werror             warnings count as errors\n"
              "  --format=text|json   output form (default text)\n"
              "example: compatc lint --werror gvt.compat\n"
              "exit: 0 clean, 1 errors (or warnings with --werror), 2 unreadable file\n" },
    { "compile", "usage: compatc compile FILE.compat [-o FILE.cbc]\n"
                 "Compile a policy to verified bytecode.\n"
                 "  -o FILE              where to write (default FILE with .cbc)\n"
                 "example: compatc compile gvt.compat -o gvt.cbc\n"
                 "exit: 0 written, 1 the policy has errors, 2 any other error\n" },
    { "disasm", "usage: compatc disasm FILE.cbc|FILE.compat\n"
                "Print a policy's bytecode.\n"
                "example: compatc disasm gvt.cbc\n"
                "exit: 0, 2 on any error\n" },
    { "facts",
      "usage: compatc facts (FILE | --sysfs DIR) [--sysfs-root ROOT] [--format=text|json]\n"
      "Print a device's facts, normalized and sorted by name; of an inventory (an\n"
      "importer's many devices, a directory), every device under an [ID] line, or\n"
      "with --format=json a list of {\"id\", \"facts\"}.  FILE is any facts argument:\n"
      "a file, a sysfs directory, - or PREFIX:FILE (see compatc --help).\n"
      "  --sysfs DIR          read a sysfs device or mdev type directory\n"
      "  --sysfs-root ROOT    the root DIR is below (default /)\n"
      "  --format=text|json   name=value lines (default) or one JSON object\n"
      "example: compatc facts /sys/bus/pci/devices/0000:00:02.0\n"
      "         compatc facts --format=json libvirt:nodedev.xml\n"
      "exit: 0, 2 on any error\n" },
    { "check",
      "usage: compatc check [--policy FILE | --policy-dir DIR] SOURCE TARGET [--explain] "
      "[--json]\n"
      "May SOURCE's state migrate to TARGET?  Without --policy or --policy-dir, a\n"
      "self-describing TARGET (its own SELF and COMPATIBLE blocks) is the policy, and\n"
      "any other is judged by the default directory's policy whose SELF it satisfies.\n"
      "  --policy FILE        judge with this policy (.compat or .cbc)\n"
      "  --policy-dir DIR     judge with the policy of DIR whose SELF TARGET satisfies\n"
      "                       (default $DEVCOMPAT_POLICY_DIR, else " DC_POLICY_DIR ")\n"
      "  --sysfs-source DIR, --sysfs-target DIR   read a device from sysfs\n"
      "  --explain            the bindings, or one reason per COMPATIBLE block\n"
      "  --json               one JSON object\n"
      "example: compatc check --policy gvt.compat src.kv tgt.kv --explain\n"
      "exit: 0 compatible, 1 incompatible, 2 error (target-mismatch, no-policy,\n"
      "ambiguous-policy, unreadable input)\n" },
    { "match",
      "usage: compatc match [--policy FILE | --policy-dir DIR] SOURCE INVENTORY [--json]\n"
      "Check SOURCE against every device of INVENTORY (YAML/JSON list with ids, a\n"
      "directory of facts files or of sysfs devices such as /sys/bus/pci/devices, or\n"
      "PREFIX:FILE of an importer): one line per device, \"ID compatible (block N)\",\n"
      "\"ID incompatible\" or \"ID error: ...\", in inventory order.\n"
      "  --policy FILE, --policy-dir DIR (default $DEVCOMPAT_POLICY_DIR, else\n"
      "                       " DC_POLICY_DIR ")\n"
      "  --json               one JSON object per line\n"
      "example: compatc match --policy gvt.compat src.kv fleet.yaml\n"
      "exit: 0 some device is compatible, 1 none is, 2 error\n" },
    { "targets",
      "usage: compatc targets [--policy FILE | --policy-dir DIR] SOURCE [--limit N] [--json]\n"
      "Which targets would accept SOURCE: every combination of SELF's finite\n"
      "domains; open facts shown with what they must satisfy.\n"
      "  --policy FILE, --policy-dir DIR (default $DEVCOMPAT_POLICY_DIR, else\n"
      "                       " DC_POLICY_DIR "): every policy answers\n"
      "  --limit N            combinations tried (default 1024)\n"
      "  --json               one JSON object per policy\n"
      "example: compatc targets --policy gvt.compat src.kv\n"
      "exit: 0 some target, 1 none, 2 error\n" },
    { "test", "usage: compatc test FILE.compat|FILE.cbc CASES.yaml\n"
              "Run a policy against cases (- {name, source, target, expect[, block]}) and\n"
              "end with \"N passed, N failed\".\n"
              "example: compatc test gvt.compat gvt.cases.yaml\n"
              "exit: 0 all passed, 1 a case failed, 2 error (bad cases file)\n" },
    { "to-cel",
      "usage: compatc to-cel [--policy FILE | --policy-dir DIR] SOURCE [--domain D] [--json]\n"
      "The policy specialised to SOURCE as a Kubernetes DRA device selector: true\n"
      "exactly for the devices `check` finds compatible (docs/kubernetes.md).\n"
      "  --policy FILE        the policy (.compat or .cbc)\n"
      "  --policy-dir DIR     a directory of exactly one usable policy (default\n"
      "                       $DEVCOMPAT_POLICY_DIR, else " DC_POLICY_DIR "); one of\n"
      "                       several cannot leave out what the others describe\n"
      "  --domain D           the DRA driver publishing the devices (its attributes\n"
      "                       are named without a domain; default devcompat.io)\n"
      "  --json               the selector, and each attribute it reads with its\n"
      "                       domain, name and DRA type\n"
      "example: compatc to-cel --policy mlx5-vf.compat --domain mlx5.example.com src.kv\n"
      "exit: 0 a selector, 2 error (a rule CEL cannot express exactly, named)\n" },
};

int cli_usage(const char *why)
{
    if (why)
        cli_error("%s", why);
    fputs(usage_text, stderr);
    return 2;
}

void cli_help(const char *cmd)
{
    for (size_t i = 0; cmd && i < sizeof helps / sizeof helps[0]; i++)
        if (!strcmp(helps[i].name, cmd)) {
            fputs(helps[i].text, stdout);
            return;
        }
    fputs(usage_text, stdout);
}

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

static int unknown(const char *a)
{
    char name[64];
    size_t n = strcspn(a, "=");
    snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), a);
    const char *best = NULL;
    size_t bd = 4; /* suggest only what is a few edits away */
    for (int k = 0; k < O_COUNT; k++) {
        size_t d = distance(name, opts[k].name);
        if (d < bd)
            bd = d, best = opts[k].name;
    }
    char why[160];
    if (best)
        snprintf(why, sizeof why, "unknown option '%s' (did you mean '%s'?)", name, best);
    else
        snprintf(why, sizeof why, "unknown option '%s'", name);
    return cli_usage(why), -1;
}

/* Store an option's value; a repeated value option is an error. */
static int set_value(cli_opts *o, opt_id id, const char *v)
{
    const char **slot = NULL;
    switch (id) {
    case O_POLICY: slot = &o->policy; break;
    case O_POLICY_DIR: slot = &o->policy_dir; break;
    case O_DOMAIN: slot = &o->domain; break;
    case O_SYSFS: slot = &o->sysfs; break;
    case O_SYSFS_ROOT: slot = &o->sysfs_root; break;
    case O_SYSFS_SOURCE: slot = &o->sysfs_source; break;
    case O_SYSFS_TARGET: slot = &o->sysfs_target; break;
    case O_OUTPUT: slot = &o->output; break;
    case O_FORMAT:
        if (!strcmp(v, "json"))
            o->json = true;
        else if (strcmp(v, "text") != 0)
            return cli_usage("--format takes text or json"), -1;
        return 0;
    case O_LIMIT: {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || *end || end == v || n < 1 || n > 100000000)
            return cli_usage("--limit takes a positive integer"), -1;
        o->limit = (size_t)n;
        return 0;
    }
    default: return 0;
    }
    if (*slot) {
        char why[96];
        snprintf(why, sizeof why, "'%s' given twice", opts[id].name);
        return cli_usage(why), -1;
    }
    *slot = v;
    return 0;
}

int cli_opts_parse(cli_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->limit = 1024;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (o->nargs >= (int)(sizeof o->args / sizeof o->args[0]))
                return cli_usage("too many arguments"), -1;
            o->args[o->nargs++] = a;
            continue;
        }
        int id = -1;
        const char *v = NULL;
        for (int k = 0; k < O_COUNT && id < 0; k++) {
            size_t n = strlen(opts[k].name);
            if (!strncmp(a, opts[k].name, n) && (a[n] == '\0' || (a[n] == '=' && opts[k].arg)))
                id = k, v = a[n] == '=' ? a + n + 1 : NULL;
        }
        if (id < 0)
            return unknown(a);
        if (!opts[id].arg) {
            o->json |= id == O_JSON;
            o->explain |= id == O_EXPLAIN;
            o->werror |= id == O_WERROR;
            o->help |= id == O_HELP;
            continue;
        }
        if (!v) {
            if (i + 1 >= argc) {
                char why[96];
                snprintf(why, sizeof why, "'%s' needs a %s", opts[id].name, opts[id].arg);
                return cli_usage(why), -1;
            }
            v = argv[++i];
        }
        if (set_value(o, (opt_id)id, v) != 0)
            return -1;
    }
    return 0;
}
