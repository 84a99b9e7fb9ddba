/* compatc.c -- the command-line tool (docs/compatc.1).  Everything it knows comes
 * from libdevcompat; this file parses arguments and prints. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "devcompat.h"
#include "disasm.h" /* the disassembler alone reads internals */
#include "policy.h"
#include "compatc.h"

#ifndef DC_POLICY_DIR
#define DC_POLICY_DIR "/usr/share/devcompat/policies"
#endif

enum { EXIT_OK = 0, EXIT_NO = 1, EXIT_ERR = 2 };

/* ------------------------------------------------------------ output */

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("compatc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Print what an snprintf-style renderer of the library writes. */
#define CLI_PRINT(out, call_with_buf_cap)                                                      \
    do {                                                                                       \
        char small_[512], *buf = small_;                                                       \
        size_t cap = sizeof small_;                                                            \
        size_t need_ = (call_with_buf_cap);                                                    \
        if (need_ >= sizeof small_) {                                                          \
            buf = malloc(need_ + 1);                                                           \
            cap = need_ + 1;                                                                   \
            if (buf)                                                                           \
                (void)(call_with_buf_cap);                                                     \
        }                                                                                      \
        if (buf)                                                                               \
            fputs(buf, out);                                                                   \
        if (buf != small_)                                                                     \
            free(buf);                                                                         \
    } while (0)

void json_str(FILE *out, const char *s)
{
    CLI_PRINT(out, dc_json_string(s, buf, cap));
}

void cli_print_diag(FILE *out, const dc_diag *dg, bool json)
{
    CLI_PRINT(out, dc_diag_format(dg, json ? DC_FORMAT_JSON : DC_FORMAT_TEXT, buf, cap));
}

void cli_print_facts(FILE *out, const dc_facts *f, bool json)
{
    CLI_PRINT(out, dc_facts_format(f, json ? DC_FORMAT_JSON : DC_FORMAT_TEXT, buf, cap));
}

#define usage cli_usage

/* ------------------------------------------------------------ helpers */

static void print_diags(const dc_diags *d, bool json, bool *first, FILE *out)
{
    for (size_t i = 0; i < dc_diags_count(d); i++) {
        dc_diag dg = DC_DIAG_INIT;
        if (dc_diags_get(d, i, &dg) != DC_OK)
            continue;
        if (json)
            fputs(*first ? "\n  " : ",\n  ", out);
        cli_print_diag(out, &dg, json);
        *first = false;
    }
}

dc_policy *cli_load_policy(const char *path)
{
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err;
    dc_status st = dc_policy_read_file(path, &pol, &d, &err);
    if (st != DC_OK) {
        bool first = true;
        if (st == DC_ERR_POLICY)
            print_diags(d, false, &first, stderr);
        cli_error("%s", err.message);
    }
    dc_diags_free(d);
    return pol;
}

/* Every facts argument is read here, so that reading a source prefix
 * (`libvirt:FILE`, `sysfs:DIR`, `-`) is one change: docs/compatc.1. */
dc_facts *cli_load_facts(const char *file, const char *sysfs, const char *root)
{
    dc_facts *f = NULL;
    dc_error err;
    dc_status st = sysfs ? dc_facts_read_sysfs(root, sysfs, &f, &err)
                         : dc_facts_open(file, root, &f, &err);
    if (st != DC_OK) {
        cli_error("%s", err.message);
        return NULL;
    }
    return f;
}

size_t cli_pset_count(const cli_pset *ps)
{
    return ps->one ? 1 : dc_policyset_count(ps->set);
}

const dc_policy *cli_pset_policy(const cli_pset *ps, size_t i)
{
    return ps->one ? (i == 0 ? ps->one : NULL) : dc_policyset_policy(ps->set, i);
}

const char *cli_pset_path(const cli_pset *ps, size_t i)
{
    return ps->one ? ps->one_path : dc_policyset_path(ps->set, i);
}

void cli_policies_free(cli_pset *ps)
{
    dc_policy_free(ps->one);
    dc_policyset_free(ps->set);
    memset(ps, 0, sizeof *ps);
}

/* One policy file as a set of one: --policy, or a self-describing target. */
static int pset_one(cli_pset *ps, const char *path)
{
    memset(ps, 0, sizeof *ps);
    ps->one_path = path;
    return (ps->one = cli_load_policy(path)) ? 0 : -1;
}

/* Said when the installed directory, taken by default, does not answer. */
#define INSTALLED_HINT                                                                         \
    " (the default policy directory, used without --policy or --policy-dir: give one)"

/* The policies a command works with: --policy, or --policy-dir (default
 * the installed directory).  A broken file of a directory is reported and
 * left out (docs/embedding.md, "Policy sets"). */
int cli_policies(const cli_opts *o, cli_pset *ps)
{
    memset(ps, 0, sizeof *ps);
    if (o->policy && o->policy_dir)
        return usage("--policy and --policy-dir are exclusive"), -1;
    if (o->policy)
        return pset_one(ps, o->policy);
    dc_error err;
    ps->installed = !o->policy_dir;
    if (dc_policyset_read_dir(cli_policy_dir(o), &ps->set, &err) != DC_OK) {
        cli_error("%s%s", err.message, ps->installed ? INSTALLED_HINT : "");
        return -1;
    }
    for (size_t i = 0; i < dc_policyset_count(ps->set); i++) {
        bool first = true;
        if (dc_policyset_policy(ps->set, i))
            continue;
        print_diags(dc_policyset_diags(ps->set, i), false, &first, stderr);
        cli_error("warning: %s (not used)", dc_policyset_message(ps->set, i));
    }
    return 0;
}

/* --policy-dir, else $DEVCOMPAT_POLICY_DIR, else the installed directory
 * (docs/compatc.1, ENVIRONMENT). */
const char *cli_policy_dir(const cli_opts *o)
{
    const char *env = getenv("DEVCOMPAT_POLICY_DIR");
    return o->policy_dir ? o->policy_dir : env && *env ? env : DC_POLICY_DIR;
}

/* The policy that judges a target: the single one, or the set's choice.
 * NULL after reporting no-policy / ambiguous-policy (as JSON too), with
 * `hint` (NULL: what to do about the default directory). */
const dc_policy *cli_pick_policy(const cli_pset *ps, const dc_facts *target, const char *tname,
                                 bool json, const char *hint)
{
    if (ps->one)
        return ps->one;
    size_t k;
    dc_error err;
    dc_status st = dc_policyset_select(ps->set, target, &k, &err);
    if (st == DC_OK)
        return dc_policyset_policy(ps->set, k);
    if (json) {
        printf("{\"error\": \"%s\", \"message\": ", dc_status_str(st));
        json_str(stdout, err.message);
        printf("}\n");
    }
    if (!hint)
        hint = ps->installed && st == DC_ERR_NO_POLICY ? INSTALLED_HINT : "";
    cli_error("%s: %s: %s%s", dc_status_str(st), tname, err.message, hint);
    return NULL;
}

/* ------------------------------------------------------------ lint */

static int cmd_lint(const cli_opts *o)
{
    if (o->nargs < 1)
        return usage("lint needs at least one FILE");
    int rc = EXIT_OK;
    bool first = true;
    if (o->json)
        fputs("[", stdout);
    for (int i = 0; i < o->nargs; i++) {
        dc_policy *pol = NULL;
        dc_diags *d = NULL;
        dc_error err;
        dc_status st = dc_policy_read_file(o->args[i], &pol, &d, &err);
        if (st != DC_OK && st != DC_ERR_POLICY) {
            cli_error("%s", err.message);
            rc = EXIT_ERR;
        }
        print_diags(d, o->json, &first, stdout);
        if (rc != EXIT_ERR &&
            (dc_diags_error_count(d) || (o->werror && dc_diags_warning_count(d))))
            rc = EXIT_NO;
        dc_diags_free(d);
        dc_policy_free(pol);
    }
    if (o->json)
        fputs(first ? "]\n" : "\n]\n", stdout);
    return rc;
}

/* ------------------------------------------------------------ compile */

static int cmd_compile(const cli_opts *o)
{
    if (o->nargs != 1)
        return usage("compile takes one FILE.compat");
    const char *in = o->args[0];
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err;
    dc_status st = dc_policy_read_file(in, &pol, &d, &err);
    bool first = true;
    print_diags(d, false, &first, stderr);
    dc_diags_free(d);
    if (st != DC_OK) {
        if (st != DC_ERR_POLICY)
            cli_error("%s", err.message);
        return st == DC_ERR_POLICY ? EXIT_NO : EXIT_ERR;
    }
    char outbuf[4096];
    const char *out = o->output;
    if (!out) {
        const char *dot = strrchr(in, '.'), *slash = strrchr(in, '/');
        size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - in) : strlen(in);
        snprintf(outbuf, sizeof outbuf, "%.*s.cbc", (int)stem, in);
        out = outbuf;
    }
    void *data = NULL;
    size_t size = 0;
    if (dc_policy_save(pol, &data, &size, &err) != DC_OK) {
        cli_error("%s", err.message);
        dc_policy_free(pol);
        return EXIT_ERR;
    }
    FILE *f = fopen(out, "wb");
    int rc = EXIT_OK;
    bool written = f && fwrite(data, 1, size, f) == size;
    int e = errno;
    if (f && fclose(f) != 0 && written) { /* closed whether or not it was written */
        written = false;
        e = errno;
    }
    if (!written) {
        cli_error("%s: %s", out, strerror(e));
        rc = EXIT_ERR;
    }
    dc_buffer_free(pol, data);
    dc_policy_free(pol);
    return rc;
}

/* ------------------------------------------------------------ disasm */

static int cmd_disasm(const cli_opts *o)
{
    if (o->nargs != 1)
        return usage("disasm takes one FILE");
    dc_policy *pol = cli_load_policy(o->args[0]);
    if (!pol)
        return EXIT_ERR;
    size_t n = disasm_program(&pol->prog, NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf) {
        dc_policy_free(pol);
        cli_error("out of memory");
        return EXIT_ERR;
    }
    disasm_program(&pol->prog, buf, n + 1);
    fputs(buf, stdout);
    free(buf);
    dc_policy_free(pol);
    return EXIT_OK;
}

/* ------------------------------------------------------------ facts */

/* One device's facts, as text or JSON (without its final newline). */
static bool print_facts(const dc_facts *f, bool json)
{
    dc_format fmt = json ? DC_FORMAT_JSON : DC_FORMAT_TEXT;
    size_t n = dc_facts_format(f, fmt, NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf)
        return false;
    dc_facts_format(f, fmt, buf, n + 1);
    if (json && n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    fputs(buf, stdout);
    free(buf);
    return true;
}

static int cmd_facts(const cli_opts *o)
{
    if ((o->nargs != 1) == !o->sysfs || o->nargs > 1)
        return usage("facts takes one FILE, or --sysfs DIR");
    dc_facts *f = NULL;
    dc_inventory *inv = NULL;
    dc_error err;
    if (o->sysfs) {
        if (!(f = cli_load_facts(NULL, o->sysfs, o->sysfs_root)))
            return EXIT_ERR;
    } else if (dc_source_open(o->args[0], o->sysfs_root, &f, &inv, &err) != DC_OK) {
        cli_error("%s", err.message);
        return EXIT_ERR;
    }
    bool ok = true;
    if (f) {
        ok = print_facts(f, o->json);
        if (o->json)
            fputc('\n', stdout);
    } else {
        /* an inventory: [ID] sections, or a JSON list of {id, facts} */
        size_t n = dc_inventory_count(inv);
        if (o->json)
            fputs("[", stdout);
        for (size_t i = 0; ok && i < n; i++) {
            if (o->json) {
                fputs(i ? ",\n {\"id\": " : "{\"id\": ", stdout);
                json_str(stdout, dc_inventory_id(inv, i));
                fputs(", \"facts\": ", stdout);
                ok = print_facts(dc_inventory_facts(inv, i), true);
                fputs("}", stdout);
            } else {
                printf("%s[%s]\n", i ? "\n" : "", dc_inventory_id(inv, i));
                ok = print_facts(dc_inventory_facts(inv, i), false);
            }
        }
        if (o->json)
            fputs("]\n", stdout);
    }
    dc_facts_free(f);
    dc_inventory_free(inv);
    return ok ? EXIT_OK : EXIT_ERR;
}

/* ------------------------------------------------------------ check */

/* Print a result as the library renders it; false when it could not be. */
static bool print_result(FILE *out, dc_result *r, bool json, bool explain, const char *tname)
{
    const char *text = NULL;
    if (dc_result_render(r, json ? DC_FORMAT_JSON : DC_FORMAT_TEXT,
                         explain ? DC_RENDER_EXPLAIN : 0, tname, &text) != DC_OK) {
        cli_error("out of memory");
        return false;
    }
    fputs(text, out);
    if (json)
        fputc('\n', out);
    return true;
}

/* Does a facts file hold its own policy: a line that opens a COMPATIBLE
 * block (docs/language.md, self-describing devices)?  An argument that is
 * no file (a prefixed source, "-") does not. */
static bool describes_itself(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256];
    bool yes = false;
    while (!yes && fgets(line, sizeof line, f))
        yes = !strncmp(line, "COMPATIBLE", 10);
    fclose(f);
    return yes;
}

/* The policy of a check (docs/compatc.1, "check"): --policy, --policy-dir,
 * else a self-describing target's own text, else the installed directory,
 * as every command defaults to. */
static int check_policies(const cli_opts *o, const char *tname, cli_pset *ps)
{
    if (!o->policy && !o->policy_dir && !o->sysfs_target && describes_itself(tname))
        return pset_one(ps, tname);
    return cli_policies(o, ps);
}

static int cmd_check(const cli_opts *o)
{
    int need = 2 - (o->sysfs_source != NULL) - (o->sysfs_target != NULL);
    if (o->nargs != need)
        return usage("check takes SOURCE and TARGET");
    const char *sname = o->sysfs_source ? o->sysfs_source : o->args[0];
    const char *tname = o->sysfs_target ? o->sysfs_target : o->args[need - 1];
    dc_facts *src = cli_load_facts(sname, o->sysfs_source, o->sysfs_root);
    dc_facts *tgt = src ? cli_load_facts(tname, o->sysfs_target, o->sysfs_root) : NULL;
    cli_pset ps = { 0 };
    int rc = EXIT_ERR;
    if (!src || !tgt || check_policies(o, tname, &ps) != 0)
        goto out;
    const dc_policy *pol = cli_pick_policy(&ps, tgt, tname, o->json, NULL);
    if (!pol)
        goto out;
    dc_result *r = NULL;
    dc_error err;
    if (dc_result_new(pol, &r, &err) != DC_OK ||
        dc_check_facts(pol, src, tgt, r, &err) != DC_OK) {
        cli_error("%s", err.message);
        dc_result_free(r);
        goto out;
    }
    dc_verdict v = dc_result_verdict(r);
    if (v == DC_TARGET_MISMATCH) {
        if (o->json)
            print_result(stdout, r, true, false, tname);
        fputs("compatc: ", stderr);
        print_result(stderr, r, false, false, tname);
        rc = EXIT_ERR;
    } else if (print_result(stdout, r, o->json, o->explain, tname)) {
        rc = v == DC_COMPATIBLE ? EXIT_OK : EXIT_NO;
    }
    dc_result_free(r);
out:
    cli_policies_free(&ps);
    dc_facts_free(src);
    dc_facts_free(tgt);
    return rc;
}

/* ------------------------------------------------------------ match */

/* One device of an inventory that could not be judged. */
static void match_error(const cli_opts *o, const char *id, const char *code, const char *msg)
{
    if (o->json) {
        printf("{\"id\": ");
        json_str(stdout, id);
        printf(", \"compatible\": false, \"error\": \"%s\", \"message\": ", code);
        json_str(stdout, msg);
        printf("}\n");
    } else {
        printf("%s error: %s: %s\n", id, code, msg);
    }
}

/* The source prepared for a policy, once per policy (k: its index). */
typedef struct match_src {
    const dc_policy *pol;
    dc_prepared *src;
    dc_result *res;
} match_src;

static int cmd_match(const cli_opts *o)
{
    int need = 2 - (o->sysfs_source != NULL);
    if (o->nargs != need)
        return usage("match takes SOURCE and INVENTORY");
    const char *sname = o->sysfs_source ? o->sysfs_source : o->args[0];
    dc_facts *src = cli_load_facts(sname, o->sysfs_source, o->sysfs_root);
    if (!src)
        return EXIT_ERR;
    dc_inventory *inv = NULL;
    dc_error err;
    cli_pset set = { 0 };
    match_src *ms = NULL;
    int rc = EXIT_ERR;
    if (dc_inventory_open(o->args[need - 1], o->sysfs_root, &inv, &err) != DC_OK) {
        cli_error("%s", err.message);
        goto out;
    }
    if (cli_policies(o, &set) != 0)
        goto out;
    size_t npols = cli_pset_count(&set);
    if (!(ms = calloc(npols ? npols : 1, sizeof *ms))) {
        cli_error("out of memory");
        goto out;
    }
    bool any = false;
    for (size_t d = 0; d < dc_inventory_count(inv); d++) {
        const char *id = dc_inventory_id(inv, d);
        const dc_facts *tf = dc_inventory_facts(inv, d);
        const dc_policy *pol = set.one;
        size_t k = 0;
        if (!pol) {
            dc_status st = dc_policyset_select(set.set, tf, &k, &err);
            if (st != DC_OK) {
                match_error(o, id, dc_status_str(st), err.message);
                continue;
            }
            pol = dc_policyset_policy(set.set, k);
        }
        match_src *m = &ms[k];
        if (!m->pol) { /* the source, prepared once for this policy */
            m->pol = pol;
            if (dc_result_new(pol, &m->res, &err) != DC_OK ||
                dc_prepare(pol, src, &m->src, &err) != DC_OK) {
                cli_error("%s: %s", sname, err.message);
                goto out;
            }
        }
        dc_prepared *t = NULL;
        if (dc_prepare(pol, tf, &t, &err) != DC_OK) {
            cli_error("%s", err.message);
            goto out;
        }
        dc_check(pol, m->src, t, m->res);
        dc_verdict v = dc_result_verdict(m->res);
        any |= v == DC_COMPATIBLE;
        const char *text = NULL;
        dc_status st = dc_result_render(m->res, o->json ? DC_FORMAT_JSON : DC_FORMAT_TEXT, 0,
                                        o->json ? id : NULL, &text);
        dc_prepared_free(t);
        if (st != DC_OK) {
            cli_error("out of memory");
            goto out;
        }
        if (o->json) { /* the library's object, with the device's id first */
            printf("{\"id\": ");
            json_str(stdout, id);
            printf(", %s%s\n", v == DC_TARGET_MISMATCH ? "\"compatible\": false, " : "",
                   text + 1);
        } else if (v == DC_TARGET_MISMATCH) {
            printf("%s error: %s", id, text);
        } else {
            printf("%s %s", id, text);
        }
    }
    rc = any ? EXIT_OK : EXIT_NO;
out:
    for (size_t i = 0; ms && i < npols; i++) {
        dc_prepared_free(ms[i].src);
        dc_result_free(ms[i].res);
    }
    free(ms);
    cli_policies_free(&set);
    dc_inventory_free(inv);
    dc_facts_free(src);
    return rc;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    /* compatc owns its process: libvirt prints nothing (docs/embedding.md) */
    dc_libvirt_quiet();
    if (argc < 2)
        return usage("no command");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        cli_help(argc > 2 ? argv[2] : NULL);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        if (argc > 2)
            return usage("--version takes no arguments");
        printf("compatc (devcompat) %s\n", dc_version());
        return EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*run)(const cli_opts *);
    } commands[] = {
        { "lint", cmd_lint },       { "compile", cmd_compile }, { "disasm", cmd_disasm },
        { "facts", cmd_facts },     { "check", cmd_check },     { "match", cmd_match },
        { "targets", cmd_targets }, { "test", cmd_test },       { "to-cel", cmd_tocel },
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        cli_opts o;
        if (cli_opts_parse(&o, argc - 2, argv + 2) != 0)
            return EXIT_ERR;
        if (o.help) {
            cli_help(cmd);
            return EXIT_OK;
        }
        return commands[i].run(&o);
    }
    cli_error("unknown command '%s'", cmd);
    return usage(NULL);
}
