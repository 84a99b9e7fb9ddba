/* bench.c -- devcompat against a hand-written C function and embedded Lua 5.4.
 *
 * One of two rules (--rule share, the default: bench/share.compat, GVT-g
 * vGPUs of the same share, the upstream versioning rule; --rule where:
 * bench/where.compat, string, int and version facts and a `where` with
 * arithmetic across both devices' variables), 1024 generated (source,
 * target) pairs from a fixed seed, evaluated by:
 *
 *   hand-written C     a C function over pre-parsed structs (the floor)
 *   devcompat          dc_check on prepared facts
 *   devcompat e2e      key=value text -> dc_prepared_parse_text into two
 *                      reused devices -> dc_check, every pair
 *   devcompat e2e-facts  the same by way of dc_facts_parse_text -> dc_prepare
 *                      -> dc_check, fresh devices freed per pair
 *   Lua tables         the rule in Lua, looping over pre-built Lua tables
 *   Lua from C         C builds both tables per pair and calls the Lua rule
 *   Lua reused         C fills two tables made once, per pair, and calls it
 *
 * Every contender's verdicts are compared with the hand-written C ones before
 * anything is timed; a difference aborts the run.  Times are the median of
 * several runs (CLOCK_MONOTONIC).  Then: compile time of each policy,
 * compatc match's work over an inventory of 100 000 devices, one
 * source against 4096 prepared targets (they stay in the caches) and
 * against 1 000 000 (they do not: dc_check_batch is then bound by memory),
 * and a counting allocator proves that prepared checks allocate nothing.
 *
 * Usage: bench [--rule share|where] [--runs N] [--batch N] [--match N] [--policies DIR]
 *              [--share FILE] [--sections pairs,compile,match,batch] [--contenders NAME,...]
 *              [--only NAME --iters N]     (one contender, fixed work, no
 *                                           timing: for callgrind/perf)
 */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devcompat.h"

#ifdef HAVE_LUA
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#endif

#ifndef DC_BENCH_SRCDIR
#define DC_BENCH_SRCDIR "."
#endif

#define NPAIRS   1024
#define NOINLINE __attribute__((noinline))

_Noreturn static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap && !(buf = realloc(buf, cap *= 2)))
            die("out of memory");
        size_t k = fread(buf + n, 1, cap - n, f);
        if (k == 0)
            break;
        n += k;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* ------------------------------------------------------------ allocator */

/* Counts every allocation the library makes through a policy's allocator:
 * the policy itself, then its prepared facts and results. */
static struct {
    unsigned long allocs, frees;
    size_t bytes;
} counted;

static void *count_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    counted.allocs++;
    counted.bytes += size;
    return realloc(ptr, size);
}

static void count_free(void *ud, void *ptr)
{
    (void)ud;
    if (ptr)
        counted.frees++;
    free(ptr);
}

static const dc_alloc counting_alloc = { count_realloc, count_free, NULL };

/* ------------------------------------------------------------ the pairs */

/* A device as the hand-written C and the Lua contenders see it: text where
 * the rule needs text, numbers parsed once (what dc_prepare does). */
typedef struct dev {
    char api[16]; /* share: device_api; where: vendor */
    size_t api_len;
    uint64_t pci_id; /* share: pci_id; where: slices */
    char type[32];   /* share: mdev_type; where: model */
    size_t type_len;
    int64_t aggregator; /* both: the aggregate */
    uint64_t major, minor, patch;
    char text[256]; /* the same device as key=value text */
    size_t text_len;
} dev;

static dev sources[NPAIRS], targets[NPAIRS];

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
    uint64_t x = rng_state; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

static void make_dev(dev *d, const char *api, const char *pci, const char *type, int64_t agg,
                     unsigned major, unsigned minor, unsigned patch, bool short_version)
{
    char ver[32];
    if (short_version)
        snprintf(ver, sizeof ver, "%u.%u", major, minor);
    else
        snprintf(ver, sizeof ver, "%u.%u.%u", major, minor, patch);
    snprintf(d->api, sizeof d->api, "%s", api);
    d->api_len = strlen(d->api);
    d->pci_id = strtoull(pci, NULL, 16);
    snprintf(d->type, sizeof d->type, "%s", type);
    d->type_len = strlen(d->type);
    d->aggregator = agg;
    d->major = major;
    d->minor = minor;
    d->patch = short_version ? 0 : patch;
    int n = snprintf(d->text, sizeof d->text,
                     "device_api=%s\npci_id=%s\nmdev_type=%s\naggregator=%lld\n"
                     "software_version=%s\n",
                     api, pci, type, (long long)agg, ver);
    d->text_len = (size_t)n;
}

/* Deterministic pairs, most of them near misses: each source differs from
 * a compatible one in at most a field or two. */
static void generate(void)
{
    static const char *const pcis[] = { "8086591d", "80865963", "80863e92", "8086193b" };
    static const char *const apis[] = { "vfio-pci", "vfio-ccw" };
    static const int sizes[] = { 1, 2, 4, 8 };
    char type[32];
    for (int i = 0; i < NPAIRS; i++) {
        /* the target: SELF holds, but for about 3% (a type outside 1,2,4,8) */
        int n = sizes[rnd(4)];
        int tn = rnd(32) == 0 ? 3 : n;
        int agg = 1 + (int)rnd(8);
        unsigned tmaj = 1 + rnd(2), tmin = rnd(6);
        const char *pci = pcis[rnd(4)];
        const char *api = rnd(16) ? apis[0] : apis[1];
        snprintf(type, sizeof type, "i915-GVTg_V5_%d", tn);
        make_dev(&targets[i], api, pci, type, agg, tmaj, tmin, rnd(10), rnd(4) == 0);
        /* the source */
        const char *sapi = rnd(10) ? api : apis[api == apis[0]];
        const char *spci = rnd(10) ? pci : pcis[rnd(4)];
        int m = rnd(10) ? sizes[rnd(4)] : (rnd(2) ? 3 : 16);
        int sagg;
        if (rnd(10) < 7 && (int64_t)m * agg % n == 0 && m * agg / n >= 1)
            sagg = m * agg / n; /* the same share */
        else
            sagg = 1 + (int)rnd(8);
        if (rnd(20) == 0)
            snprintf(type, sizeof type, "i915-GVTg_V4_%d", m);
        else
            snprintf(type, sizeof type, "i915-GVTg_V5_%d", m);
        unsigned smaj = rnd(8) ? tmaj : 3 - tmaj;
        unsigned smin = rnd(6);
        make_dev(&sources[i], sapi, spci, type, sagg, smaj, smin, rnd(10), rnd(4) == 0);
    }
}

/* The second rule (bench/where.compat): vendor and model equal, the same
 * aggregate across slice counts (`agg * m == n * sagg`), the versioning
 * rule.  Near misses again; about 3% of the targets fail SELF (slices
 * outside 1..16). */
static void make_where_dev(dev *d, const char *vendor, const char *model, unsigned slices,
                           int64_t agg, unsigned major, unsigned minor, unsigned patch)
{
    snprintf(d->api, sizeof d->api, "%s", vendor);
    d->api_len = strlen(d->api);
    snprintf(d->type, sizeof d->type, "%s", model);
    d->type_len = strlen(d->type);
    d->pci_id = slices;
    d->aggregator = agg;
    d->major = major;
    d->minor = minor;
    d->patch = patch;
    int n = snprintf(d->text, sizeof d->text,
                     "vendor=%s\nmodel=%s\nslices=%u\naggregate=%lld\nfirmware=%u.%u.%u\n",
                     vendor, model, slices, (long long)agg, major, minor, patch);
    d->text_len = (size_t)n;
}

static void generate_where(void)
{
    static const char *const vendors[] = { "acme", "globex-systems" };
    static const char *const models[] = { "accel-m100", "accel-m200-16g", "accel-x7", "a9" };
    for (int i = 0; i < NPAIRS; i++) {
        unsigned n = 1 + rnd(16);
        unsigned tn = rnd(32) == 0 ? 17 + rnd(8) : n;
        int64_t agg = 1 + (int64_t)rnd(64);
        unsigned tmaj = 1 + rnd(2), tmin = rnd(6);
        const char *ven = rnd(16) ? vendors[0] : vendors[1];
        const char *mod = models[rnd(4)];
        make_where_dev(&targets[i], ven, mod, tn, agg, tmaj, tmin, rnd(10));
        const char *sven = rnd(10) ? ven : vendors[ven == vendors[0]];
        const char *smod = rnd(10) ? mod : models[rnd(4)];
        unsigned m = rnd(10) ? 1 + rnd(16) : 17 + rnd(4);
        int64_t sagg;
        if (rnd(10) < 7 && agg * m % n == 0)
            sagg = agg * m / n; /* the same aggregate */
        else
            sagg = 1 + (int64_t)rnd(64);
        unsigned smaj = rnd(8) ? tmaj : 3 - tmaj;
        make_where_dev(&sources[i], sven, smod, m, sagg, smaj, rnd(6), rnd(10));
    }
}

/* ------------------------------------------------------------ hand-written C */

enum { V_COMPATIBLE = 0, V_INCOMPATIBLE = 1, V_MISMATCH = 2 };

/* The n of "i915-GVTg_V5_<n>" when n is 1, 2, 4 or 8; else 0. */
static int64_t gvt_size(const char *s, size_t len)
{
    static const char prefix[] = "i915-GVTg_V5_";
    const size_t plen = sizeof prefix - 1;
    if (len <= plen || len > plen + 3 || memcmp(s, prefix, plen) != 0)
        return 0;
    int64_t n = 0;
    for (size_t i = plen; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        n = n * 10 + (s[i] - '0');
    }
    return n == 1 || n == 2 || n == 4 || n == 8 ? n : 0;
}

/* The rule of share.compat, by hand. */
static NOINLINE int hand_check(const dev *s, const dev *t)
{
    int64_t n = gvt_size(t->type, t->type_len);
    if (t->api_len == 0 || n == 0 || t->aggregator < 1 || t->aggregator > 8)
        return V_MISMATCH;
    if (s->api_len != t->api_len || memcmp(s->api, t->api, s->api_len) != 0)
        return V_INCOMPATIBLE;
    if (s->pci_id != t->pci_id)
        return V_INCOMPATIBLE;
    int64_t m = gvt_size(s->type, s->type_len);
    if (m == 0)
        return V_INCOMPATIBLE;
    if (m * t->aggregator % n != 0 || s->aggregator != m * t->aggregator / n)
        return V_INCOMPATIBLE;
    if (s->major != t->major || s->minor > t->minor)
        return V_INCOMPATIBLE;
    return V_COMPATIBLE;
}

/* The rule of where.compat, by hand. */
static NOINLINE int hand_where(const dev *s, const dev *t)
{
    int64_t n = (int64_t)t->pci_id, agg = t->aggregator;
    if (t->api_len == 0 || t->type_len == 0 || n < 1 || n > 16 || agg < 1 || agg > 64)
        return V_MISMATCH;
    if (s->api_len != t->api_len || memcmp(s->api, t->api, s->api_len) != 0 ||
        s->type_len != t->type_len || memcmp(s->type, t->type, s->type_len) != 0)
        return V_INCOMPATIBLE;
    int64_t m = (int64_t)s->pci_id;
    if (m < 1 || m > 16 || agg * m != n * s->aggregator)
        return V_INCOMPATIBLE;
    if (s->major != t->major || t->minor < s->minor)
        return V_INCOMPATIBLE;
    return V_COMPATIBLE;
}

/* The rule benchmarked (--rule): its policy, pairs, C and Lua versions. */
typedef struct rule {
    const char *name, *file;
    void (*generate)(void);
    int (*hand)(const dev *s, const dev *t);
    const char *lua;         /* defines check and check_lookup */
    const char *lua_keys[6]; /* the tables' keys: api, pci_id, type, aggregator, major, minor */
    bool lookup;             /* check_lookup differs from check */
} rule;

static const rule *rule_of;

static int expected[NPAIRS];
/* Pairs timed (--pairs): the first npairs of the NPAIRS, all verified. */
static int npairs = NPAIRS;

static long sum_expected(int lo, int hi)
{
    long sum = 0;
    for (int i = lo; i < hi; i++)
        sum += expected[i];
    return sum;
}

/* ------------------------------------------------------------ devcompat */

static dc_policy *policy;
/* The same policy with the library's default allocator: what the text
 * contender's devices are prepared with, as an embedder's would be (the
 * counting allocator's bookkeeping is not the library's cost). */
static dc_policy *policy_plain;
static dc_prepared *psrc[NPAIRS], *ptgt[NPAIRS];
static dc_prepared *psrc_plain; /* source 0 for policy_plain (the match section) */
static dc_result *result, *result_plain;

/* Two devices the text contender refills, pair after pair
 * (dc_prepared_new, dc_prepared_parse_text). */
static dc_prepared *reused_src, *reused_tgt;

static dc_prepared *prepare_text(const char *file, const char *text, size_t len)
{
    dc_facts *f;
    dc_prepared *p;
    dc_error err;
    if (dc_facts_parse_text(file, text, len, &f, &err) != DC_OK)
        die("%s", err.message);
    if (dc_prepare(policy, f, &p, &err) != DC_OK)
        die("%s", err.message);
    dc_facts_free(f);
    return p;
}

static void dc_setup(const char *share_path)
{
    size_t len;
    char *text = read_file(share_path, &len);
    if (!text)
        die("%s: %s", share_path, strerror(errno));
    dc_diags *diags;
    dc_error err;
    if (dc_policy_compile_ex(&counting_alloc, share_path, text, len, &policy, &diags, &err) !=
        DC_OK)
        die("%s", err.message);
    if (dc_diags_count(diags))
        die("%s: %zu diagnostics", share_path, dc_diags_count(diags));
    dc_diags_free(diags);
    if (dc_policy_compile(share_path, text, len, &policy_plain, NULL, &err) != DC_OK)
        die("%s", err.message);
    free(text);
    for (int i = 0; i < NPAIRS; i++) {
        psrc[i] = prepare_text("source", sources[i].text, sources[i].text_len);
        ptgt[i] = prepare_text("target", targets[i].text, targets[i].text_len);
    }
    dc_facts *f0;
    dc_error e0;
    if (dc_facts_parse_text("source", sources[0].text, sources[0].text_len, &f0, &e0) !=
            DC_OK ||
        dc_prepare(policy_plain, f0, &psrc_plain, &e0) != DC_OK)
        die("%s", e0.message);
    dc_facts_free(f0);
    if (dc_result_new(policy, &result, NULL) != DC_OK ||
        dc_result_new(policy_plain, &result_plain, NULL) != DC_OK ||
        dc_prepared_new(policy_plain, &reused_src, NULL) != DC_OK ||
        dc_prepared_new(policy_plain, &reused_tgt, NULL) != DC_OK)
        die("out of memory");
}

static NOINLINE long run_prepared(int lo, int hi)
{
    long sum = 0;
    for (int i = lo; i < hi; i++) {
        dc_check(policy, psrc[i], ptgt[i], result);
        sum += dc_result_verdict(result);
    }
    return sum;
}

/* Everything from text, for one pair: both texts read straight into the
 * two reused devices, then the check. */
static int check_text(const dev *s, const dev *t)
{
    dc_error err;
    if (dc_prepared_parse_text(reused_src, "source", s->text, s->text_len, &err) != DC_OK ||
        dc_prepared_parse_text(reused_tgt, "target", t->text, t->text_len, &err) != DC_OK)
        die("%s", err.message);
    dc_check(policy_plain, reused_src, reused_tgt, result_plain);
    return (int)dc_result_verdict(result_plain);
}

static NOINLINE long run_e2e(int lo, int hi)
{
    long sum = 0;
    for (int i = lo; i < hi; i++)
        sum += check_text(&sources[i], &targets[i]);
    return sum;
}

/* The same by way of dc_facts and fresh devices, for one pair. */
static int check_text_facts(const dev *s, const dev *t)
{
    dc_facts *fs, *ft;
    dc_prepared *ps, *pt;
    dc_error err;
    if (dc_facts_parse_text("source", s->text, s->text_len, &fs, &err) != DC_OK ||
        dc_facts_parse_text("target", t->text, t->text_len, &ft, &err) != DC_OK ||
        dc_prepare(policy_plain, fs, &ps, &err) != DC_OK ||
        dc_prepare(policy_plain, ft, &pt, &err) != DC_OK)
        die("%s", err.message);
    dc_check(policy_plain, ps, pt, result_plain);
    int v = (int)dc_result_verdict(result_plain);
    dc_prepared_free(ps);
    dc_prepared_free(pt);
    dc_facts_free(fs);
    dc_facts_free(ft);
    return v;
}

static NOINLINE long run_e2e_facts(int lo, int hi)
{
    long sum = 0;
    for (int i = lo; i < hi; i++)
        sum += check_text_facts(&sources[i], &targets[i]);
    return sum;
}

static NOINLINE long run_hand(int lo, int hi)
{
    long sum = 0;
    if (rule_of->hand == hand_where) /* direct calls, as a C caller writes them */
        for (int i = lo; i < hi; i++)
            sum += hand_where(&sources[i], &targets[i]);
    else
        for (int i = lo; i < hi; i++)
            sum += hand_check(&sources[i], &targets[i]);
    return sum;
}

/* ------------------------------------------------------------ Lua */

#ifdef HAVE_LUA
/* The same rule in Lua, over tables {device_api, pci_id, mdev_type,
 * aggregator, major, minor} with numbers pre-parsed as for the C function.
 * make_check builds it twice: `check` parses the type's suffix with
 * string.match, as the rule says; `check_lookup` looks the whole type up in
 * a table of the four allowed ones (what a Lua programmer might write for
 * speed).  Both give the same verdicts here. */
static const char lua_share[] =
    "local match, tointeger = string.match, math.tointeger\n"
    "local sizes = { [1] = true, [2] = true, [4] = true, [8] = true }\n"
    "local function gvt_size_match(ty)\n"
    "  local d = match(ty, '^i915%-GVTg_V5_(%d%d?%d?)$')\n"
    "  if not d then return nil end\n"
    "  d = tointeger(tonumber(d))\n"
    "  if sizes[d] then return d end\n"
    "end\n"
    "local types = { ['i915-GVTg_V5_1'] = 1, ['i915-GVTg_V5_2'] = 2,\n"
    "                ['i915-GVTg_V5_4'] = 4, ['i915-GVTg_V5_8'] = 8 }\n"
    "local function gvt_size_lookup(ty) return types[ty] end\n"
    "local function make_check(gvt_size)\n"
    "  return function(s, t)\n"
    "    local n = gvt_size(t.mdev_type)\n"
    "    local agg = t.aggregator\n"
    "    if t.device_api == '' or not n or agg < 1 or agg > 8 then return 2 end\n"
    "    if s.device_api ~= t.device_api or s.pci_id ~= t.pci_id then return 1 end\n"
    "    local m = gvt_size(s.mdev_type)\n"
    "    if not m or (m * agg) % n ~= 0 or s.aggregator ~= (m * agg) // n then return 1 end\n"
    "    if s.major ~= t.major or s.minor > t.minor then return 1 end\n"
    "    return 0\n"
    "  end\n"
    "end\n"
    "check = make_check(gvt_size_match)\n"
    "check_lookup = make_check(gvt_size_lookup)\n";

/* where.compat in Lua, over {vendor, slices, model, aggregate, major, minor}. */
static const char lua_where[] =
    "function check(s, t)\n"
    "  local n, agg = t.slices, t.aggregate\n"
    "  if t.vendor == '' or t.model == '' or n < 1 or n > 16 or agg < 1 or agg > 64 then\n"
    "    return 2\n"
    "  end\n"
    "  if s.vendor ~= t.vendor or s.model ~= t.model then return 1 end\n"
    "  local m = s.slices\n"
    "  if m < 1 or m > 16 or agg * m ~= n * s.aggregate then return 1 end\n"
    "  if s.major ~= t.major or t.minor < s.minor then return 1 end\n"
    "  return 0\n"
    "end\n"
    "check_lookup = check\n";

/* The loop over pre-built tables, whatever the rule. */
static const char lua_run[] = "function run_tables(check, S, T, out, lo, hi)\n"
                              "  local sum = 0\n"
                              "  for i = lo, hi do\n"
                              "    local v = check(S[i], T[i])\n"
                              "    if out then out[i] = v end\n"
                              "    sum = sum + v\n"
                              "  end\n"
                              "  return sum\n"
                              "end\n";

static lua_State *L;
static int lua_check_ref[2], lua_run_ref, lua_src_ref, lua_tgt_ref;

/* Sets the six fields of the table on top of the stack from d. */
static void fill_dev(lua_State *l, const dev *d)
{
    const char *const *k = rule_of->lua_keys;
    lua_pushlstring(l, d->api, d->api_len);
    lua_setfield(l, -2, k[0]);
    lua_pushinteger(l, (lua_Integer)d->pci_id);
    lua_setfield(l, -2, k[1]);
    lua_pushlstring(l, d->type, d->type_len);
    lua_setfield(l, -2, k[2]);
    lua_pushinteger(l, d->aggregator);
    lua_setfield(l, -2, k[3]);
    lua_pushinteger(l, (lua_Integer)d->major);
    lua_setfield(l, -2, k[4]);
    lua_pushinteger(l, (lua_Integer)d->minor);
    lua_setfield(l, -2, k[5]);
}

static void push_dev(lua_State *l, const dev *d)
{
    lua_createtable(l, 0, 6);
    fill_dev(l, d);
}

static void lua_setup(void)
{
    L = luaL_newstate();
    if (!L)
        die("luaL_newstate failed");
    luaL_openlibs(L);
    if (luaL_dostring(L, rule_of->lua) != LUA_OK || luaL_dostring(L, lua_run) != LUA_OK)
        die("lua: %s", lua_tostring(L, -1));
    lua_getglobal(L, "check");
    lua_check_ref[0] = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getglobal(L, "check_lookup");
    lua_check_ref[1] = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getglobal(L, "run_tables");
    lua_run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    for (int side = 0; side < 2; side++) {
        lua_createtable(L, NPAIRS, 0);
        for (int i = 0; i < NPAIRS; i++) {
            push_dev(L, side ? &targets[i] : &sources[i]);
            lua_rawseti(L, -2, i + 1);
        }
        *(side ? &lua_tgt_ref : &lua_src_ref) = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    /* the two tables the reused-table contenders fill per pair stay at
     * stack slots 1 and 2 */
    push_dev(L, &sources[0]);
    push_dev(L, &targets[0]);
}

/* The Lua loop over the pre-built tables, with rule `which` (0: match,
 * 1: lookup); when `out`, every verdict is compared with the C ones. */
static long run_lua_tables_with(int which, bool out, int lo, int hi)
{
    int top = lua_gettop(L);
    if (out)
        lua_createtable(L, NPAIRS, 0);
    else
        lua_pushnil(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lua_run_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lua_check_ref[which]);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lua_src_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lua_tgt_ref);
    lua_pushvalue(L, top + 1);
    lua_pushinteger(L, lo + 1);
    lua_pushinteger(L, hi);
    if (lua_pcall(L, 6, 1, 0) != LUA_OK)
        die("lua: %s", lua_tostring(L, -1));
    long sum = (long)lua_tointeger(L, -1);
    for (int i = 0; out && i < NPAIRS; i++) {
        lua_rawgeti(L, top + 1, i + 1);
        int v = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (v != expected[i])
            die("Lua (tables, rule %d) says %d for pair %d, hand-written C %d", which, v, i,
                expected[i]);
    }
    lua_settop(L, top);
    return sum;
}

static NOINLINE long run_lua_tables(int lo, int hi)
{
    return run_lua_tables_with(0, false, lo, hi);
}

static NOINLINE long run_lua_tables_lookup(int lo, int hi)
{
    return run_lua_tables_with(1, false, lo, hi);
}

/* From C: both tables built per pair, then the Lua function called. */
static int lua_call_check(int which, const dev *s, const dev *t)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, lua_check_ref[which]);
    push_dev(L, s);
    push_dev(L, t);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK)
        die("lua: %s", lua_tostring(L, -1));
    int v = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

static NOINLINE long run_lua_from_c(int lo, int hi)
{
    long sum = 0;
    for (int i = lo; i < hi; i++)
        sum += lua_call_check(0, &sources[i], &targets[i]);
    return sum;
}

static NOINLINE long run_lua_from_c_lookup(int lo, int hi)
{
    long sum = 0;
    for (int i = lo; i < hi; i++)
        sum += lua_call_check(1, &sources[i], &targets[i]);
    return sum;
}

/* From C, the best embedding: two tables made once (stack slots 1 and 2),
 * their fields set per pair, then the Lua function called. */
static int lua_reused_check(int which, const dev *s, const dev *t)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, lua_check_ref[which]);
    lua_pushvalue(L, 1);
    fill_dev(L, s);
    lua_pushvalue(L, 2);
    fill_dev(L, t);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK)
        die("lua: %s", lua_tostring(L, -1));
    int v = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

static NOINLINE long run_lua_reused(int lo, int hi)
{
    long sum = 0;
    for (int i = lo; i < hi; i++)
        sum += lua_reused_check(0, &sources[i], &targets[i]);
    return sum;
}

static NOINLINE long run_lua_reused_lookup(int lo, int hi)
{
    long sum = 0;
    for (int i = lo; i < hi; i++)
        sum += lua_reused_check(1, &sources[i], &targets[i]);
    return sum;
}
#endif

/* ------------------------------------------------------------ verification */

static void verify(void)
{
    int count[3] = { 0, 0, 0 };
    for (int i = 0; i < NPAIRS; i++) {
        expected[i] = rule_of->hand(&sources[i], &targets[i]);
        count[expected[i]]++;
        dc_check(policy, psrc[i], ptgt[i], result);
        int v = (int)dc_result_verdict(result);
        if (v != expected[i])
            die("devcompat says %d for pair %d, hand-written C %d\nsource:\n%starget:\n%s", v,
                i, expected[i], sources[i].text, targets[i].text);
        if (check_text(&sources[i], &targets[i]) != expected[i] ||
            check_text_facts(&sources[i], &targets[i]) != expected[i])
            die("devcompat from text disagrees on pair %d", i);
#ifdef HAVE_LUA
        for (int which = 0; which < 2; which++)
            if (lua_call_check(which, &sources[i], &targets[i]) != expected[i] ||
                lua_reused_check(which, &sources[i], &targets[i]) != expected[i])
                die("Lua (from C, rule %d) disagrees on pair %d", which, i);
#endif
    }
#ifdef HAVE_LUA
    run_lua_tables_with(0, true, 0, NPAIRS);
    run_lua_tables_with(1, true, 0, NPAIRS);
#endif
    /* the batch: source 0 against every target */
    dc_verdict verdicts[NPAIRS];
    int32_t blocks[NPAIRS];
    if (dc_check_batch(policy, psrc[0], (const dc_prepared *const *)ptgt, NPAIRS, verdicts,
                       blocks) != DC_OK)
        die("dc_check_batch failed");
    for (int i = 0; i < NPAIRS; i++)
        if ((int)verdicts[i] != rule_of->hand(&sources[0], &targets[i]))
            die("dc_check_batch disagrees on target %d", i);
    printf("pairs: %d (fixed seed): %d compatible, %d incompatible, %d target-mismatch; "
           "all contenders agree on every verdict\n\n",
           NPAIRS, count[0], count[1], count[2]);
}

/* ------------------------------------------------------------ timing */

static int runs = 31;

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct timing {
    double median, min, cpu; /* ns per pair: wall median, wall min, CPU median */
} timing;

/* fn over `runs` runs of about 1 ms each (short, so that on a busy machine
 * most runs fit in one time slice), each run `reps` passes over one chunk
 * of the pairs, the chunks in turn: ns per pair, CLOCK_MONOTONIC median and
 * minimum, and the median of the thread's CPU time as a cross-check.  The
 * verdicts of every chunk are checked once more while calibrating. */
static timing time_pairs(long (*fn)(int, int))
{
    int chunk = npairs;
    long reps = 1;
    for (;;) { /* calibrate: the chunk, then the passes */
        double t0 = now_ns();
        for (int lo = 0; lo < npairs; lo += chunk)
            if (fn(lo, lo + chunk) != sum_expected(lo, lo + chunk))
                die("a timed run gave a different verdict sum");
        double pass = (now_ns() - t0) * chunk / npairs;
        if (pass > 1e6 && chunk > 16) {
            chunk /= 2;
            continue;
        }
        reps = (long)(1e6 / (pass > 1 ? pass : 1));
        if (reps < 1)
            reps = 1;
        break;
    }
    double wall[64], cpu[64];
    for (int k = 0; k < runs; k++) {
        int lo = (k * chunk) % npairs;
        double c0 = cpu_ns(), t0 = now_ns();
        for (long r = 0; r < reps; r++)
            fn(lo, lo + chunk);
        double t1 = now_ns(), c1 = cpu_ns();
        wall[k] = (t1 - t0) / ((double)reps * chunk);
        cpu[k] = (c1 - c0) / ((double)reps * chunk);
    }
    timing t;
    t.median = median(wall, runs);
    t.min = wall[0]; /* sorted by median() */
    t.cpu = median(cpu, runs);
    return t;
}

typedef struct contender {
    const char *name, *what;
    long (*fn)(int lo, int hi);
} contender;

static const contender contenders[] = {
    { "hand-c", "hand-written C, pre-parsed structs", run_hand },
    { "prepared", "devcompat, prepared facts: dc_check", run_prepared },
    { "e2e", "devcompat from text: two reused devices, check", run_e2e },
    { "e2e-facts", "  the same by way of dc_facts, fresh devices", run_e2e_facts },
#ifdef HAVE_LUA
    { "lua-tables", "Lua 5.4, loop over pre-built tables", run_lua_tables },
    { "lua-tables-lookup", "  the same, type looked up, not parsed", run_lua_tables_lookup },
    { "lua-from-c", "Lua 5.4 called from C, tables built per pair", run_lua_from_c },
    { "lua-from-c-lookup", "  the same, type looked up, not parsed", run_lua_from_c_lookup },
    { "lua-reused", "Lua 5.4 from C, two reused tables filled", run_lua_reused },
    { "lua-reused-lookup", "  the same, type looked up, not parsed", run_lua_reused_lookup },
#endif
};
#define NCONTENDERS (sizeof contenders / sizeof contenders[0])

/* Is `name` in the comma-separated `list` (NULL: everything)? */
static bool listed(const char *list, const char *name)
{
    if (!list)
        return true;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !memcmp(p, name, n))
            return true;
        p += k + (e != NULL);
    }
    return false;
}

static const char *only_contenders;

static void bench_pairs(void)
{
    timing hand = { 0, 0, 0 };
    char title[64];
    snprintf(title, sizeof title, "ns/pair, %d pairs", npairs);
    printf("%-46s %8s %8s %8s %7s %7s\n", title, "median", "min", "cpu", "x(med)", "x(cpu)");
    for (size_t c = 0; c < NCONTENDERS; c++) {
        if (c > 0 && !listed(only_contenders, contenders[c].name))
            continue;
        if (!rule_of->lookup && strstr(contenders[c].name, "-lookup"))
            continue; /* the same function as the one before */
        unsigned long a0 = counted.allocs;
        timing t = time_pairs(contenders[c].fn);
        if (c == 0)
            hand = t;
        printf("%-46s %8.1f %8.1f %8.1f %7.1f %7.1f\n", contenders[c].what, t.median, t.min,
               t.cpu, t.median / hand.median, t.cpu / hand.cpu);
        if (contenders[c].fn == run_prepared && counted.allocs != a0)
            die("prepared checks allocated %lu times", counted.allocs - a0);
    }
    printf("allocations by the policy's allocator during all prepared checks: 0\n\n");
}

static void bench_compile(const char *dir, const char *share)
{
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/*.compat", dir);
    glob_t g;
    memset(&g, 0, sizeof g);
    int rc = glob(pattern, 0, NULL, &g);
    if (rc != 0 && rc != GLOB_NOMATCH)
        die("glob %s failed", pattern);
    size_t n = g.gl_pathc + 1;
    printf("%-46s %8s %8s\n", "dc_policy_compile (median)", "us", "bytes");
    for (size_t k = 0; k < n; k++) {
        const char *path = k < g.gl_pathc ? g.gl_pathv[k] : share;
        size_t len;
        char *text = read_file(path, &len);
        if (!text)
            die("%s: %s", path, strerror(errno));
        double v[64];
        dc_status st = DC_OK;
        for (int r = 0; r < runs; r++) {
            int reps = 0;
            double t0 = now_ns(), t;
            do {
                dc_policy *p;
                st = dc_policy_compile(path, text, len, &p, NULL, NULL);
                dc_policy_free(p);
                reps++;
            } while ((t = now_ns() - t0) < 5e5);
            v[r] = t / reps / 1e3;
        }
        const char *base = strrchr(path, '/');
        printf("%-46s %8.1f %8zu%s\n", base ? base + 1 : path, median(v, runs), len,
               st == DC_OK ? "" : "  (does not compile)");
        free(text);
    }
    globfree(&g);
    printf("\n");
}

static void bench_batch(size_t n)
{
    dc_prepared **tg = malloc(n * sizeof *tg);
    dc_verdict *verdicts = malloc(n * sizeof *verdicts);
    int32_t *blocks = malloc(n * sizeof *blocks);
    if (!tg || !verdicts || !blocks)
        die("out of memory");
    dc_facts *facts[NPAIRS];
    dc_error err;
    for (int i = 0; i < NPAIRS; i++)
        if (dc_facts_parse_text("target", targets[i].text, targets[i].text_len, &facts[i],
                                &err) != DC_OK)
            die("%s", err.message);
    size_t bytes0 = counted.bytes;
    double t0 = now_ns();
    for (size_t i = 0; i < n; i++)
        if (dc_prepare(policy, facts[i % NPAIRS], &tg[i], &err) != DC_OK)
            die("%s", err.message);
    double prep = (now_ns() - t0) / (double)n;
    size_t bytes = counted.bytes - bytes0;
    unsigned long a0 = counted.allocs;
    double v[64], cpu[64];
    int compatible = 0;
    int nruns = runs < 11 ? runs : 11;                  /* each run is long already */
    size_t reps = n >= 65536 ? 1 : 65536 / (n ? n : 1); /* a small batch, repeated */
    for (int r = 0; r < nruns; r++) {
        double c0 = cpu_ns();
        t0 = now_ns();
        for (size_t k = 0; k < reps; k++)
            dc_check_batch(policy, psrc[0], (const dc_prepared *const *)tg, n, verdicts,
                           blocks);
        v[r] = (now_ns() - t0) / 1e6 / (double)reps;
        cpu[r] = (cpu_ns() - c0) / 1e6 / (double)reps;
    }
    if (counted.allocs != a0)
        die("dc_check_batch allocated");
    for (size_t i = 0; i < n; i++) {
        if ((int)verdicts[i] != rule_of->hand(&sources[0], &targets[i % NPAIRS]))
            die("dc_check_batch disagrees on target %zu", i);
        compatible += verdicts[i] == DC_COMPATIBLE;
    }
    double ms = median(v, nruns), mcpu = median(cpu, nruns);
    printf("batch: 1 source x %zu prepared targets (dc_check_batch), median of %d:\n"
           "       %.3f ms (min %.3f, cpu %.3f), %.1f ns/target (cpu %.1f); %d compatible\n",
           n, nruns, ms, v[0], mcpu, ms * 1e6 / (double)n, mcpu * 1e6 / (double)n, compatible);
    printf("       preparing them: %.0f ns/target, %.0f bytes/target\n", prep,
           (double)bytes / (double)n);

    /* the same targets as a fleet */
    dc_fleet *fleet;
    bytes0 = counted.bytes;
    t0 = now_ns();
    if (dc_fleet_new(policy, (const dc_prepared *const *)tg, n, &fleet, &err) != DC_OK)
        die("%s", err.message);
    double pack = (now_ns() - t0) / (double)n;
    bytes = counted.bytes - bytes0;
    a0 = counted.allocs;
    for (int r = 0; r < nruns; r++) {
        double c0 = cpu_ns();
        t0 = now_ns();
        for (size_t k = 0; k < reps; k++)
            dc_check_fleet(policy, psrc[0], fleet, verdicts, blocks);
        v[r] = (now_ns() - t0) / 1e6 / (double)reps;
        cpu[r] = (cpu_ns() - c0) / 1e6 / (double)reps;
    }
    if (counted.allocs != a0)
        die("dc_check_fleet allocated");
    for (size_t i = 0; i < n; i++)
        if ((int)verdicts[i] != rule_of->hand(&sources[0], &targets[i % NPAIRS]))
            die("dc_check_fleet disagrees on target %zu", i);
    ms = median(v, nruns);
    mcpu = median(cpu, nruns);
    printf("fleet: the same targets packed (dc_fleet_new, dc_check_fleet), median of %d:\n"
           "       %.3f ms (min %.3f, cpu %.3f), %.1f ns/target (cpu %.1f)\n",
           nruns, ms, v[0], mcpu, ms * 1e6 / (double)n, mcpu * 1e6 / (double)n);
    printf("       packing them: %.0f ns/target, %.0f bytes/target\n", pack,
           (double)bytes / (double)n);
    dc_fleet_free(fleet);
    for (size_t i = 0; i < n; i++)
        dc_prepared_free(tg[i]);
    for (int i = 0; i < NPAIRS; i++)
        dc_facts_free(facts[i]);
    free(tg);
    free(verdicts);
    free(blocks);
}

/* ------------------------------------------------------------ match */

/* `compatc match`'s work (src/compatc.c) over an inventory of n devices,
 * the rule's targets in turn: the inventory read from a file
 * (dc_inventory_read), each device prepared, checked against source 0 and
 * its outcome rendered as text; only the printing is left out.  Both of
 * compatc's inventory formats, YAML and JSON, one device a mapping of the
 * key=value text's facts. */
static void write_inventory(const char *path, size_t n, bool json)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die("%s: %s", path, strerror(errno));
    fputs(json ? "[\n" : "", f);
    for (size_t i = 0; i < n; i++) {
        const char *t = targets[i % NPAIRS].text;
        fprintf(f, json ? "{\"id\": \"dev%zu\"" : "- id: dev%zu\n", i);
        for (const char *nl; (nl = strchr(t, '\n')); t = nl + 1) {
            const char *eq = strchr(t, '=');
            int k = (int)(eq - t), v = (int)(nl - eq - 1);
            if (json)
                fprintf(f, ", \"%.*s\": \"%.*s\"", k, t, v, eq + 1);
            else
                fprintf(f, "  %.*s: %.*s\n", k, t, v, eq + 1);
        }
        fputs(json ? (i + 1 < n ? "},\n" : "}\n") : "", f);
    }
    fputs(json ? "]\n" : "", f);
    if (fclose(f) != 0)
        die("%s: write failed", path);
}

static long match_once(const char *path, size_t n)
{
    dc_inventory *inv;
    dc_error err;
    if (dc_inventory_read(path, &inv, &err) != DC_OK)
        die("%s", err.message);
    if (dc_inventory_count(inv) != n)
        die("%s: %zu devices, not %zu", path, dc_inventory_count(inv), n);
    long compatible = 0;
    for (size_t d = 0; d < n; d++) {
        dc_prepared *t;
        const char *text;
        if (dc_prepare(policy_plain, dc_inventory_facts(inv, d), &t, &err) != DC_OK)
            die("%s", err.message);
        dc_check(policy_plain, psrc_plain, t, result_plain);
        dc_verdict v = dc_result_verdict(result_plain);
        if ((int)v != rule_of->hand(&sources[0], &targets[d % NPAIRS]))
            die("match disagrees on device %zu", d);
        compatible += v == DC_COMPATIBLE;
        if (dc_result_render(result_plain, DC_FORMAT_TEXT, 0, NULL, &text) != DC_OK)
            die("out of memory");
        dc_prepared_free(t);
    }
    dc_inventory_free(inv);
    return compatible;
}

static void bench_match(size_t n)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int json = 0; json < 2; json++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/dc-bench-inventory.%ld.%s", tmp, (long)getpid(),
                 json ? "json" : "yaml");
        write_inventory(path, n, json);
        int nruns = runs < 5 ? runs : 5; /* each run is long already */
        double v[64], cpu[64];
        long compatible = 0;
        for (int r = 0; r < nruns; r++) {
            double c0 = cpu_ns(), t0 = now_ns();
            compatible = match_once(path, n);
            v[r] = (now_ns() - t0) / 1e9;
            cpu[r] = (cpu_ns() - c0) / 1e9;
        }
        unlink(path);
        double s = median(v, nruns), c = median(cpu, nruns);
        printf("match: %zu devices, %s inventory (read, prepare, check, render), median of "
               "%d:\n       %.3f s (min %.3f, cpu %.3f), %.2f us/device (cpu %.2f); %ld "
               "compatible\n",
               n, json ? "JSON" : "YAML", nruns, s, v[0], c, s * 1e6 / (double)n,
               c * 1e6 / (double)n, compatible);
    }
    printf("\n");
}

#ifndef HAVE_LUA
#define lua_share NULL
#define lua_where NULL
#endif

static const rule rules[] = {
    { "share",
      "share.compat",
      generate,
      hand_check,
      lua_share,
      { "device_api", "pci_id", "mdev_type", "aggregator", "major", "minor" },
      true },
    { "where",
      "where.compat",
      generate_where,
      hand_where,
      lua_where,
      { "vendor", "slices", "model", "aggregate", "major", "minor" },
      false },
};

int main(int argc, char **argv)
{
    const char *dir = DC_BENCH_SRCDIR "/policies", *share = NULL;
    char share_path[4096];
    rule_of = &rules[0];
    const char *only = NULL, *sections = NULL;
    long iters = 1000;
    size_t batch = 1000000, match_n = 100000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--runs") && v)
            runs = atoi(v), i++;
        else if (!strcmp(a, "--batch") && v)
            batch = (size_t)atol(v), i++;
        else if (!strcmp(a, "--match") && v)
            match_n = (size_t)atol(v), i++;
        else if (!strcmp(a, "--policies") && v)
            dir = v, i++;
        else if (!strcmp(a, "--share") && v)
            share = v, i++;
        else if (!strcmp(a, "--rule") && v) {
            rule_of = NULL;
            for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++)
                if (!strcmp(v, rules[k].name))
                    rule_of = &rules[k];
            if (!rule_of)
                die("--rule: share or where");
            i++;
        } else if (!strcmp(a, "--only") && v)
            only = v, i++;
        else if (!strcmp(a, "--iters") && v)
            iters = atol(v), i++;
        else if (!strcmp(a, "--sections") && v)
            sections = v, i++;
        else if (!strcmp(a, "--contenders") && v)
            only_contenders = v, i++;
        else if (!strcmp(a, "--pairs") && v)
            npairs = atoi(v), i++;
        else
            die("usage: bench [--rule share|where] [--runs N] [--batch N] [--match N] "
                "[--policies DIR] "
                "[--share FILE] "
                "[--pairs N] [--sections pairs,compile,match,batch] [--contenders NAME,...] "
                "[--only NAME --iters N]");
    }
    if (runs < 1 || runs > 64)
        die("--runs: 1 to 64");
    if (npairs < 16 || npairs > NPAIRS)
        die("--pairs: 16 to %d", NPAIRS);
    if (!share) {
        snprintf(share_path, sizeof share_path, "%s/bench/%s", DC_BENCH_SRCDIR, rule_of->file);
        share = share_path;
    }
    rule_of->generate();
    dc_setup(share);
#ifdef HAVE_LUA
    lua_setup();
#endif
    verify();
    if (only) {
        /* fixed work for profilers: `iters` passes over the 1024 pairs */
        for (size_t c = 0; c < NCONTENDERS; c++)
            if (!strcmp(only, contenders[c].name)) {
                long sum = 0;
                unsigned long a0 = counted.allocs;
                for (long r = 0; r < iters; r++)
                    sum += contenders[c].fn(0, NPAIRS);
                printf("%s: %ld passes, verdict sum %ld, %lu allocations\n", only, iters, sum,
                       counted.allocs - a0);
                return 0;
            }
        if (!strcmp(only, "batch")) {
            bench_batch(batch);
            return 0;
        }
        if (!strcmp(only, "match")) {
            bench_match(match_n);
            return 0;
        }
        die("--only: hand-c, prepared, e2e[-facts], lua-tables[-lookup], lua-from-c[-lookup], "
            "lua-reused[-lookup], batch or match");
    }
    if (listed(sections, "pairs"))
        bench_pairs();
    if (listed(sections, "compile"))
        bench_compile(dir, share);
    if (listed(sections, "match"))
        bench_match(match_n);
    if (listed(sections, "batch")) {
        if (batch > 4096)
            bench_batch(4096); /* targets that stay in the caches */
        bench_batch(batch);
    }
#ifdef HAVE_LUA
    lua_close(L);
#endif
    for (int i = 0; i < NPAIRS; i++) {
        dc_prepared_free(psrc[i]);
        dc_prepared_free(ptgt[i]);
    }
    dc_prepared_free(psrc_plain);
    dc_prepared_free(reused_src);
    dc_prepared_free(reused_tgt);
    dc_result_free(result);
    dc_result_free(result_plain);
    dc_policy_free(policy);
    dc_policy_free(policy_plain);
    return 0;
}
