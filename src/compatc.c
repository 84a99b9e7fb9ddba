/* compatc.c -- the command-line tool (SPEC 4).  Everything it knows comes
 * from libdevcompat; this file parses arguments and prints. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "devcompat.h"
#include "diag.h"
#include "facts.h"
#include "limits.h"
#include "disasm.h"
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

void json_str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* ------------------------------------------------------------ usage */

static const char usage_text[] =
    "usage:\n"
    "  compatc lint [--werror] [--format=text|json] FILE...\n"
    "  compatc compile FILE.compat [-o FILE.cbc]\n"
    "  compatc disasm FILE.cbc|FILE.compat\n"
    "  compatc facts (FILE | --sysfs DIR) [--sysfs-root ROOT] [--format=text|json]\n"
    "  compatc check (--policy FILE | --policy-dir DIR) SOURCE TARGET [--explain] [--json]\n"
    "  compatc check SOURCE TARGET [--explain] [--json]   (TARGET self-describing)\n"
    "  compatc match (--policy FILE | --policy-dir DIR) SOURCE INVENTORY [--json]\n"
    "  compatc targets (--policy FILE | --policy-dir DIR) SOURCE [--limit N] [--json]\n"
    "  compatc to-cel --policy FILE SOURCE [--domain D] [--json]\n"
    "  compatc test FILE.compat CASES.yaml\n"
    "  compatc --version | --help\n"
    "\n"
    "SOURCE and TARGET are facts files (key=value, YAML or JSON), or\n"
    "--sysfs-source DIR / --sysfs-target DIR.  Exit status: 0 compatible or\n"
    "success, 1 incompatible, lint errors or failing cases, 2 any error.\n";

static int usage(const char *why)
{
    if (why)
        cli_error("%s", why);
    fputs(usage_text, stderr);
    return EXIT_ERR;
}

/* ------------------------------------------------------------ options */

int cli_opts_parse(cli_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->limit = 1024;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
#define VALUE_OF(opt)                                                             \
    (strncmp(a, opt "=", sizeof opt) == 0 ? a + sizeof opt                        \
     : strcmp(a, opt) == 0 && i + 1 < argc ? argv[++i]                            \
     : NULL)
        const char *v;
        if (!strcmp(a, "--json"))
            o->json = true;
        else if (!strcmp(a, "--explain"))
            o->explain = true;
        else if (!strcmp(a, "--werror"))
            o->werror = true;
        else if ((v = VALUE_OF("--format"))) {
            if (!strcmp(v, "json"))
                o->json = true;
            else if (strcmp(v, "text") != 0)
                return usage("--format takes text or json"), -1;
        } else if ((v = VALUE_OF("--policy")))
            o->policy = v;
        else if ((v = VALUE_OF("--policy-dir")))
            o->policy_dir = v;
        else if ((v = VALUE_OF("--domain")))
            o->domain = v;
        else if ((v = VALUE_OF("--sysfs")))
            o->sysfs = v;
        else if ((v = VALUE_OF("--sysfs-root")))
            o->sysfs_root = v;
        else if ((v = VALUE_OF("--sysfs-source")))
            o->sysfs_source = v;
        else if ((v = VALUE_OF("--sysfs-target")))
            o->sysfs_target = v;
        else if ((v = VALUE_OF("-o")))
            o->output = v;
        else if ((v = VALUE_OF("--limit"))) {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (errno || *end || n < 1 || n > 100000000)
                return usage("--limit takes a positive integer"), -1;
            o->limit = (size_t)n;
        } else if (a[0] == '-' && a[1]) {
            cli_error("unknown option '%s'", a);
            return usage(NULL), -1;
        } else {
            if (o->nargs >= (int)(sizeof o->args / sizeof o->args[0]))
                return usage("too many arguments"), -1;
            o->args[o->nargs++] = a;
        }
#undef VALUE_OF
    }
    return 0;
}

/* ------------------------------------------------------------ helpers */

char *cli_read(const char *path, size_t max, size_t *len)
{
    char *data = NULL;
    dc_error err;
    if (file_read_all(NULL, path, max, &data, len, &err) != DC_OK) {
        cli_error("%s", err.message);
        return NULL;
    }
    return data;
}

static void print_diags(const dc_diags *d, bool json, bool *first)
{
    for (size_t i = 0; i < dc_diags_count(d); i++) {
        dc_diag dgv = DC_DIAG_INIT;
        if (dc_diags_get(d, i, &dgv) != DC_OK)
            continue;
        const dc_diag *dg = &dgv;
        if (json) {
            printf("%s\n  {\"file\": ", *first ? "" : ",");
            json_str(stdout, dg->file);
            printf(", \"line\": %u, \"col\": %u, \"end_col\": %u, \"severity\": \"%s\", "
                   "\"message\": ", dg->line, dg->col, dg->end_col,
                   dg->severity == DC_SEV_ERROR ? "error" : "warning");
            json_str(stdout, dg->message);
            fputc('}', stdout);
            *first = false;
        } else {
            size_t n = diag_format(dg, NULL, 0);
            char *buf = malloc(n + 1);
            if (!buf)
                continue;
            diag_format(dg, buf, n + 1);
            fputs(buf, stderr == stdout ? stdout : stdout);
            free(buf);
        }
    }
}

dc_policy *cli_load_policy(const char *path)
{
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err;
    dc_status st = dc_policy_read_file(path, &pol, &d, &err);
    if (st != DC_OK) {
        if (st == DC_ERR_POLICY && d) {
            for (size_t i = 0; i < dc_diags_count(d); i++) {
                dc_diag dgv = DC_DIAG_INIT;
        if (dc_diags_get(d, i, &dgv) != DC_OK)
            continue;
        const dc_diag *dg = &dgv;
                size_t n = diag_format(dg, NULL, 0);
                char *buf = malloc(n + 1);
                if (buf) {
                    diag_format(dg, buf, n + 1);
                    fputs(buf, stderr);
                    free(buf);
                }
            }
        }
        cli_error("%s", err.message);
    }
    dc_diags_free(d);
    return pol;
}

dc_facts *cli_load_facts(const char *file, const char *sysfs, const char *root)
{
    dc_facts *f = NULL;
    dc_error err;
    dc_status st = sysfs ? dc_facts_read_sysfs(root, sysfs, &f, &err)
                         : dc_facts_read_file(file, &f, &err);
    if (st != DC_OK) {
        cli_error("%s", err.message);
        return NULL;
    }
    return f;
}

/* Add a policy file to a set; false after reporting. */
static bool pset_add(cli_pset *ps, const char *path)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 8;
        dc_policy **pol = realloc(ps->pol, cap * sizeof *pol);
        if (pol)
            ps->pol = pol;
        char **paths = realloc(ps->path, cap * sizeof *paths);
        if (paths)
            ps->path = paths;
        if (!pol || !paths) {
            cli_error("out of memory");
            return false;
        }
        ps->cap = cap;
    }
    ps->path[ps->n] = strdup(path);
    ps->pol[ps->n] = ps->path[ps->n] ? cli_load_policy(path) : NULL;
    if (!ps->pol[ps->n]) {
        free(ps->path[ps->n]);
        return false;
    }
    ps->n++;
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .compat and .cbc file of a directory, in name order. */
static int load_dir(const char *dir, cli_pset *ps)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("%s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        const char *dot = strrchr(e->d_name, '.');
        if (e->d_name[0] == '.' || !dot || (strcmp(dot, ".compat") && strcmp(dot, ".cbc")))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
        }
        if (!(names[count] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        count++;
    }
    closedir(d);
    if (rc)
        cli_error("out of memory");
    if (count)
        qsort(names, count, sizeof *names, cmp_names);
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0 && !pset_add(ps, path))
            rc = -1;
        free(names[i]);
    }
    free(names);
    if (rc)
        cli_policies_free(ps);
    return rc;
}

void cli_policies_free(cli_pset *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        dc_policy_free(ps->pol[i]);
        free(ps->path[i]);
    }
    free(ps->pol);
    free(ps->path);
    memset(ps, 0, sizeof *ps);
}

/* The policies a command works with: --policy, or --policy-dir (default
 * the installed directory). */
int cli_policies(const cli_opts *o, cli_pset *ps)
{
    memset(ps, 0, sizeof *ps);
    if (o->policy && o->policy_dir)
        return usage("--policy and --policy-dir are exclusive"), -1;
    if (o->policy) {
        if (pset_add(ps, o->policy))
            return 0;
        cli_policies_free(ps);
        return -1;
    }
    return load_dir(o->policy_dir ? o->policy_dir : DC_POLICY_DIR, ps);
}

/* Of several policies, the one whose SELF the target satisfies (SPEC 2.7);
 * with one policy, that one.  Returns its index, or -1 after reporting. */
int cli_pick_policy(const cli_pset *ps, const dc_facts *target, const char *tname,
                    bool single, bool json, const char *dir)
{
    dc_policy *const *pols = ps->pol;
    size_t n = ps->n;
    if (single)
        return 0;
    int found = -1;
    char names[2048] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        dc_prepared *t = NULL;
        dc_result *r = NULL;
        if (dc_result_new(pols[i], &r, NULL) != DC_OK || dc_prepare(pols[i], target, &t, NULL) != DC_OK ||
            dc_check(pols[i], t, t, r) != DC_OK) {
            dc_prepared_free(t);
            dc_result_free(r);
            continue;
        }
        if (dc_result_verdict(r) != DC_TARGET_MISMATCH) {
            len += (size_t)snprintf(names + len, len < sizeof names ? sizeof names - len : 0,
                                    "%s%s", found >= 0 || len ? ", " : "", ps->path[i]);
            if (found < 0)
                found = (int)i;
            else
                found = -2;
        }
        dc_prepared_free(t);
        dc_result_free(r);
    }
    if (found >= 0)
        return found;
    const char *code = found == -1 ? "no-policy" : "ambiguous-policy";
    char msg[2600];
    if (found == -1)
        snprintf(msg, sizeof msg, "%s: no policy of %s describes this target", tname, dir);
    else
        snprintf(msg, sizeof msg, "%s: more than one policy describes this target: %s", tname,
                 names);
    if (json) {
        printf("{\"error\": \"%s\", \"message\": ", code);
        json_str(stdout, msg);
        printf("}\n");
    }
    cli_error("%s: %s", code, msg);
    return -1;
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
        size_t len;
        char *text = cli_read(o->args[i], DC_MAX_SOURCE, &len);
        if (!text) {
            rc = EXIT_ERR;
            continue;
        }
        dc_policy *pol = NULL;
        dc_diags *d = NULL;
        dc_error err;
        dc_status st = dc_policy_compile(o->args[i], text, len, &pol, &d, &err);
        free(text);
        if (st != DC_OK && st != DC_ERR_POLICY) {
            cli_error("%s", err.message);
            rc = EXIT_ERR;
        }
        print_diags(d, o->json, &first);
        if (rc != EXIT_ERR && (dc_diags_error_count(d) || (o->werror && dc_diags_warning_count(d))))
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
    size_t len;
    char *text = cli_read(in, DC_MAX_SOURCE, &len);
    if (!text)
        return EXIT_ERR;
    dc_policy *pol = NULL;
    dc_diags *d = NULL;
    dc_error err;
    dc_status st = dc_policy_compile(in, text, len, &pol, &d, &err);
    free(text);
    for (size_t i = 0; i < dc_diags_count(d); i++) {
        dc_diag dgv = DC_DIAG_INIT;
        if (dc_diags_get(d, i, &dgv) != DC_OK)
            continue;
        const dc_diag *dg = &dgv;
        size_t n = diag_format(dg, NULL, 0);
        char *buf = malloc(n + 1);
        if (buf) {
            diag_format(dg, buf, n + 1);
            fputs(buf, stderr);
            free(buf);
        }
    }
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
    if (f && fclose(f) != 0 && written) {     /* closed whether or not it was written */
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

static int cmd_facts(const cli_opts *o)
{
    if ((o->nargs != 1) == !o->sysfs || o->nargs > 1)
        return usage("facts takes one FILE, or --sysfs DIR");
    dc_facts *f = cli_load_facts(o->nargs ? o->args[0] : NULL, o->sysfs, o->sysfs_root);
    if (!f)
        return EXIT_ERR;
    size_t n = o->json ? facts_render_json(f, NULL, 0) : facts_render_text(f, NULL, 0);
    char *buf = malloc(n + 1);
    if (!buf) {
        dc_facts_free(f);
        return EXIT_ERR;
    }
    if (o->json)
        facts_render_json(f, buf, n + 1);
    else
        facts_render_text(f, buf, n + 1);
    fputs(buf, stdout);
    if (o->json && (n == 0 || buf[n - 1] != '\n'))
        fputc('\n', stdout);
    free(buf);
    dc_facts_free(f);
    return EXIT_OK;
}

/* ------------------------------------------------------------ check */

void cli_print_reasons_json(FILE *out, dc_result *r)
{
    fputs("[", out);
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason why = DC_REASON_INIT;
        if (dc_result_reason_get(r, i, &why) != DC_OK)
            continue;
        fprintf(out, "%s{\"block\": ", i ? ", " : "");
        if (why.block < 0)
            fputs("null", out);
        else
            fprintf(out, "%d", why.block);
        fputs(", \"block_name\": ", out);
        json_str(out, why.block_name);
        fprintf(out, ", \"file\": ");
        json_str(out, why.file);
        fprintf(out, ", \"line\": %u, \"field\": ", why.line);
        json_str(out, why.field);
        fputs(", \"expected\": ", out);
        json_str(out, why.expected);
        fputs(", \"actual\": ", out);
        json_str(out, why.actual);
        fputs(", \"message\": ", out);
        json_str(out, why.message);
        fputc('}', out);
    }
    fputs("]", out);
}

void cli_print_bindings_json(FILE *out, dc_result *r)
{
    fputs("{", out);
    for (size_t i = 0; i < dc_result_binding_count(r); i++) {
        dc_binding b = DC_BINDING_INIT;
        if (dc_result_binding_get(r, i, &b) != DC_OK)
            continue;
        fputs(i ? ", " : "", out);
        json_str(out, b.name);
        fputs(": ", out);
        if (b.type == DC_TYPE_INT)
            fprintf(out, "%lld", (long long)b.int_value);
        else if (b.type == DC_TYPE_HEX)
            fprintf(out, "%llu", (unsigned long long)(uint64_t)b.int_value);
        else
            json_str(out, b.text);
    }
    fputs("}", out);
}

/* A check's outcome as JSON members: compatible, policy, block, block_name,
 * bindings, reasons (`compatc check --json`, `compatc match`). */
static void print_outcome_json(const dc_policy *pol, dc_result *r)
{
    bool ok = dc_result_verdict(r) == DC_COMPATIBLE;
    printf("\"compatible\": %s, \"policy\": ", ok ? "true" : "false");
    json_str(stdout, dc_policy_name(pol));
    if (ok)
        printf(", \"block\": %d, \"block_name\": ", dc_result_block(r));
    else
        printf(", \"block\": null, \"block_name\": ");
    json_str(stdout, dc_result_block_name(r));
    printf(", \"bindings\": ");
    cli_print_bindings_json(stdout, r);
    printf(", \"reasons\": ");
    cli_print_reasons_json(stdout, r);
}

/* The message of a target mismatch: SELF's failing rule. */
static void mismatch_message(dc_result *r, const dc_policy *pol, const char *tname, char *buf,
                             size_t cap)
{
    dc_reason why = DC_REASON_INIT;
    if (dc_result_reason_get(r, 0, &why) == DC_OK)
        snprintf(buf, cap, "%s is not a target of policy %s: %s:%u: %s", tname,
                 dc_policy_name(pol), why.file, why.line, why.message);
    else
        snprintf(buf, cap, "%s is not a target of this policy", tname);
}

static int cmd_check(const cli_opts *o)
{
    int need = 2 - (o->sysfs_source != NULL) - (o->sysfs_target != NULL);
    if (o->nargs != need)
        return usage("check takes SOURCE and TARGET");
    const char *sname = o->sysfs_source ? o->sysfs_source : o->args[0];
    const char *tname = o->sysfs_target ? o->sysfs_target : o->args[need - 1];
    bool self_describing = !o->policy && !o->policy_dir;
    if (self_describing && o->sysfs_target)
        return usage("a sysfs target needs --policy or --policy-dir");
    dc_facts *src = cli_load_facts(sname, o->sysfs_source, o->sysfs_root);
    dc_facts *tgt = src ? cli_load_facts(tname, o->sysfs_target, o->sysfs_root) : NULL;
    cli_pset ps = { 0 };
    int rc = EXIT_ERR;
    if (!src || !tgt)
        goto out;
    if (self_describing) {
        if (!pset_add(&ps, tname))
            goto out;
    } else if (cli_policies(o, &ps) != 0) {
        goto out;
    }
    int k = cli_pick_policy(&ps, tgt, tname, self_describing || o->policy, o->json,
                            o->policy_dir ? o->policy_dir : DC_POLICY_DIR);
    if (k < 0)
        goto out;
    dc_policy *pol = ps.pol[k];
    dc_result *r = NULL;
    dc_error err;
    if (dc_result_new(pol, &r, &err) != DC_OK || dc_check_facts(pol, src, tgt, r, &err) != DC_OK) {
        cli_error("%s", err.message);
        dc_result_free(r);
        goto out;
    }
    dc_verdict v = dc_result_verdict(r);
    if (v == DC_TARGET_MISMATCH) {
        char msg[2048];
        mismatch_message(r, pol, tname, msg, sizeof msg);
        if (o->json) {
            printf("{\"error\": \"target-mismatch\", \"message\": ");
            json_str(stdout, msg);
            printf(", \"reasons\": ");
            cli_print_reasons_json(stdout, r);
            printf("}\n");
        }
        cli_error("target-mismatch: %s", msg);
        rc = EXIT_ERR;
    } else if (o->json) {
        printf("{");
        print_outcome_json(pol, r);
        printf("}\n");
        rc = v == DC_COMPATIBLE ? EXIT_OK : EXIT_NO;
    } else {
        if (v == DC_COMPATIBLE) {
            const char *bn = dc_result_block_name(r);
            printf("compatible (block %d%s%s)\n", dc_result_block(r), bn ? " " : "",
                   bn ? bn : "");
            if (o->explain)
                for (size_t i = 0; i < dc_result_binding_count(r); i++) {
                    dc_binding b = DC_BINDING_INIT;
                    if (dc_result_binding_get(r, i, &b) == DC_OK)
                        printf("  %s = %s\n", b.name, b.text);
                }
        } else {
            printf("incompatible\n");
            if (o->explain) {
                const char *e = NULL;
                if (dc_result_explain(r, &e) == DC_OK)
                    fputs(e, stdout);
            }
        }
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
    int rc = EXIT_ERR;
    if (dc_inventory_read(o->args[need - 1], &inv, &err) != DC_OK) {
        cli_error("%s", err.message);
        goto out;
    }
    if (cli_policies(o, &set) != 0)
        goto out;
    dc_policy **pols = set.pol;
    size_t npols = set.n;
    /* prepare the source once per policy */
    dc_prepared **ps = calloc(npols ? npols : 1, sizeof *ps);
    dc_result **rs = calloc(npols ? npols : 1, sizeof *rs);
    if (!ps || !rs)
        goto done;
    for (size_t i = 0; i < npols; i++) {
        if (dc_result_new(pols[i], &rs[i], &err) != DC_OK ||
            dc_prepare(pols[i], src, &ps[i], &err) != DC_OK) {
            cli_error("%s: %s", sname, err.message);
            goto done;
        }
    }
    for (size_t d = 0; d < dc_inventory_count(inv); d++) {
        const dc_facts *tf = dc_inventory_facts(inv, d);
        int chosen = -1, matches = 0;
        dc_prepared *t = NULL;
        dc_result *r = NULL;
        for (size_t i = 0; i < npols; i++) {
            dc_prepared *ti = NULL;
            if (dc_prepare(pols[i], tf, &ti, &err) != DC_OK) {
                cli_error("%s", err.message);
                goto done;
            }
            dc_check(pols[i], ps[i], ti, rs[i]);
            if (dc_result_verdict(rs[i]) != DC_TARGET_MISMATCH || npols == 1) {
                matches++;
                if (chosen < 0) {
                    chosen = (int)i;
                    dc_prepared_free(t);
                    t = ti;
                    r = rs[i];
                    continue;
                }
            }
            dc_prepared_free(ti);
        }
        printf("{\"id\": ");
        json_str(stdout, dc_inventory_id(inv, d));
        if (matches > 1 && npols > 1) {
            printf(", \"compatible\": false, \"error\": \"ambiguous-policy\", \"message\": ");
            json_str(stdout, "more than one policy describes this device");
        } else if (chosen < 0) {
            printf(", \"compatible\": false, \"error\": \"no-policy\", \"message\": ");
            json_str(stdout, "no policy describes this device");
        } else if (dc_result_verdict(r) == DC_TARGET_MISMATCH) {
            char msg[2048];
            mismatch_message(r, pols[chosen], dc_inventory_id(inv, d), msg, sizeof msg);
            printf(", \"compatible\": false, \"error\": \"target-mismatch\", \"message\": ");
            json_str(stdout, msg);
        } else {
            printf(", ");
            print_outcome_json(pols[chosen], r);
        }
        printf("}\n");
        dc_prepared_free(t);
    }
    rc = EXIT_OK;
done:
    for (size_t i = 0; ps && i < npols; i++)
        dc_prepared_free(ps[i]);
    for (size_t i = 0; rs && i < npols; i++)
        dc_result_free(rs[i]);
    free(ps);
    free(rs);
out:
    cli_policies_free(&set);
    dc_inventory_free(inv);
    dc_facts_free(src);
    return rc;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage("no command");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("compatc (devcompat) %s\n", dc_version());
        return EXIT_OK;
    }
    cli_opts o;
    if (cli_opts_parse(&o, argc - 2, argv + 2) != 0)
        return EXIT_ERR;
    static const struct {
        const char *name;
        int (*run)(const cli_opts *);
    } commands[] = {
        { "lint", cmd_lint },       { "compile", cmd_compile }, { "disasm", cmd_disasm },
        { "facts", cmd_facts },     { "check", cmd_check },     { "match", cmd_match },
        { "targets", cmd_targets }, { "test", cmd_test },       { "to-cel", cmd_tocel },
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(&o);
    cli_error("unknown command '%s'", cmd);
    return usage(NULL);
}
