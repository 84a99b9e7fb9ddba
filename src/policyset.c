/* policyset.c -- the policies of a directory, and the one that judges a
 * target: the policy whose SELF the target satisfies (docs/embedding.md,
 * "Policy sets"). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "facts.h"

typedef struct pentry {
    char *path;
    dc_policy *policy; /* NULL: broken */
    dc_diags *diags;
    dc_status status;
    char *message; /* the error of a broken entry */
} pentry;

struct dc_policyset {
    char *dir;
    pentry *items;
    size_t n;
    size_t nbroken;
};

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mem_alloc(NULL, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool policy_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return name[0] != '.' && dot && (!strcmp(dot, ".compat") || !strcmp(dot, ".cbc"));
}

/* The names of a directory's policy files, sorted; NULL on error. */
static dc_status list_dir(const char *dir, char ***names, size_t *count, dc_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return dc_error_set(err, DC_ERR_IO, "%s: %s", dir, strerror(errno));
    size_t n = 0, cap = 0;
    char **v = NULL;
    dc_status st = DC_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!policy_name(e->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = mem_grow(NULL, v, ncap, sizeof *nv);
            if (!nv) {
                st = DC_ERR_NOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        if (!(v[n] = dup(e->d_name))) {
            st = DC_ERR_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, cmp_names);
    *names = v;
    *count = n;
    return st == DC_OK ? DC_OK : dc_error_set(err, st, "%s: out of memory", dir);
}

dc_status dc_policyset_read_dir(const char *dir, dc_policyset **out, dc_error *err)
{
    if (out)
        *out = NULL;
    if (!dir || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_policyset_read_dir: invalid argument");
    dc_policyset *set = mem_zalloc(NULL, sizeof *set);
    if (!set || !(set->dir = dup(dir))) {
        mem_free(NULL, set);
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", dir);
    }
    char **names = NULL;
    size_t count = 0;
    dc_status st = list_dir(dir, &names, &count, err);
    if (st == DC_OK && count && !(set->items = mem_array(NULL, count, sizeof *set->items)))
        st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", dir);
    for (size_t i = 0; st == DC_OK && i < count; i++) {
        pentry *p = &set->items[set->n];
        memset(p, 0, sizeof *p);
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        if (!(p->path = mem_alloc(NULL, len))) {
            st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
        snprintf(p->path, len, "%s/%s", dir, names[i]);
        set->n++;
        dc_error e;
        p->status = dc_policy_read_file(p->path, &p->policy, &p->diags, &e);
        if (p->status == DC_ERR_NOMEM) {
            st = dc_error_set(err, DC_ERR_NOMEM, "%s", e.message);
        } else if (p->status != DC_OK) {
            set->nbroken++;
            if (!(p->message = dup(e.message)))
                st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", dir);
        }
    }
    for (size_t i = 0; i < count; i++)
        mem_free(NULL, names[i]);
    mem_free(NULL, names);
    if (st != DC_OK) {
        dc_policyset_free(set);
        return st;
    }
    *out = set;
    return DC_OK;
}

size_t dc_policyset_count(const dc_policyset *set)
{
    return set ? set->n : 0;
}
size_t dc_policyset_broken_count(const dc_policyset *set)
{
    return set ? set->nbroken : 0;
}

const char *dc_policyset_path(const dc_policyset *set, size_t i)
{
    return set && i < set->n ? set->items[i].path : NULL;
}

const dc_policy *dc_policyset_policy(const dc_policyset *set, size_t i)
{
    return set && i < set->n ? set->items[i].policy : NULL;
}

dc_status dc_policyset_status(const dc_policyset *set, size_t i)
{
    return set && i < set->n ? set->items[i].status : DC_ERR_INVALID;
}

const char *dc_policyset_message(const dc_policyset *set, size_t i)
{
    return set && i < set->n ? set->items[i].message : NULL;
}

const dc_diags *dc_policyset_diags(const dc_policyset *set, size_t i)
{
    return set && i < set->n ? set->items[i].diags : NULL;
}

/* Does the target satisfy pol's SELF?  1 yes, 0 no, -1 out of memory. */
static int describes(const dc_policy *pol, const dc_facts *target)
{
    dc_prepared *t = NULL;
    dc_result *r = NULL;
    dc_status st = dc_result_new(pol, &r, NULL);
    if (st == DC_OK)
        st = dc_prepare(pol, target, &t, NULL);
    if (st == DC_OK)
        st = dc_check(pol, t, t, r);
    int yes = st == DC_OK ? dc_result_verdict(r) != DC_TARGET_MISMATCH : -(st == DC_ERR_NOMEM);
    dc_prepared_free(t);
    dc_result_free(r);
    return yes;
}

/* Up to 8 paths named in a message, then "and N more". */
static void name_paths(const dc_policyset *set, const size_t *idx, size_t n, char *buf,
                       size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n && len < cap; k++) {
        int w = k < 8 ? snprintf(buf + len, cap - len, "%s%s", k ? ", " : "",
                                 set->items[idx[k]].path)
                      : snprintf(buf + len, cap - len, " and %zu more", n - 8);
        if (w < 0)
            break;
        len += (size_t)w;
        if (k >= 8)
            break;
    }
}

dc_status dc_policyset_select(const dc_policyset *set, const dc_facts *target, size_t *index,
                              dc_error *err)
{
    if (!set || !target || !index)
        return dc_error_set(err, DC_ERR_INVALID, "dc_policyset_select: invalid argument");
    size_t *hit = mem_array(NULL, set->n + 1, sizeof *hit);
    size_t *broken = mem_array(NULL, set->n + 1, sizeof *broken);
    dc_status st = DC_OK;
    size_t nhit = 0, nbroken = 0;
    if (!hit || !broken)
        st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", set->dir);
    for (size_t i = 0; st == DC_OK && i < set->n; i++) {
        if (!set->items[i].policy) {
            broken[nbroken++] = i;
            continue;
        }
        int yes = describes(set->items[i].policy, target);
        if (yes < 0)
            st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", set->items[i].path);
        else if (yes)
            hit[nhit++] = i;
    }
    if (st == DC_OK) {
        char names[2048], bad[2048];
        name_paths(set, hit, nhit, names, sizeof names);
        name_paths(set, broken, nbroken, bad, sizeof bad);
        if (nhit == 1)
            *index = hit[0];
        else if (nhit > 1)
            st = dc_error_set(err, DC_ERR_AMBIGUOUS_POLICY,
                              "more than one policy describes this target: %s", names);
        else if (nbroken)
            st = dc_error_set(
                err, DC_ERR_NO_POLICY,
                "no policy of %s describes this target (%zu could not be read: %s)", set->dir,
                nbroken, bad);
        else
            st = dc_error_set(err, DC_ERR_NO_POLICY, "no policy of %s describes this target",
                              set->dir);
    }
    mem_free(NULL, hit);
    mem_free(NULL, broken);
    return st;
}

void dc_policyset_free(dc_policyset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        mem_free(NULL, set->items[i].path);
        mem_free(NULL, set->items[i].message);
        dc_policy_free(set->items[i].policy);
        dc_diags_free(set->items[i].diags);
    }
    mem_free(NULL, set->items);
    mem_free(NULL, set->dir);
    mem_free(NULL, set);
}
