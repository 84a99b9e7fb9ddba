/* test_yaml_fast.c -- yaml_fast.c gives libyaml's events, or none.
 *
 * Whatever text the fast scanner takes whole (yfast_accepts), libyaml must
 * take too and make the same events: the same types, start lines and
 * columns, scalar values and styles.  Compared on every YAML and JSON file
 * of the fixtures and fuzz corpora, on mutations of them (bytes changed,
 * inserted and removed, from YAML's indicators), and on the shapes the
 * importers' bench writes, which the scanner must take.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../src/yaml_fast.h"

#ifndef DC_TEST_SRCDIR
#define DC_TEST_SRCDIR "."
#endif

typedef struct tally {
    size_t compared, accepted;
} tally;

/* Run both over text; when the fast scanner takes all of it, libyaml's
 * events must be the same. */
static void compare(const char *what, const char *text, size_t len, tally *t)
{
    t->compared++;
    if (!yfast_accepts(NULL, text, len))
        return;
    t->accepted++;
    yfast s;
    yaml_parser_t p;
    yfast_init(&s, NULL, text, len);
    cr_assert(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    for (size_t i = 0;; i++) {
        yaml_event_t a, b;
        cr_assert(yfast_next(&s, &a), "%s: event %zu", what, i);
        cr_assert(yaml_parser_parse(&p, &b),
                  "%s: the fast scanner took a text libyaml refuses (event %zu: %s at %zu:%zu)",
                  what, i, p.problem ? p.problem : "?", p.problem_mark.line + 1,
                  p.problem_mark.column + 1);
        cr_assert_eq(a.type, b.type, "%s: event %zu: type %d, libyaml %d (line %zu)", what, i,
                     a.type, b.type, b.start_mark.line + 1);
        cr_assert_eq(a.start_mark.line, b.start_mark.line,
                     "%s: event %zu (type %d): line %zu, libyaml %zu", what, i, a.type,
                     a.start_mark.line + 1, b.start_mark.line + 1);
        cr_assert_eq(a.start_mark.column, b.start_mark.column,
                     "%s: event %zu: column %zu, libyaml %zu (line %zu)", what, i,
                     a.start_mark.column, b.start_mark.column, b.start_mark.line + 1);
        if (a.type == YAML_SCALAR_EVENT) {
            cr_assert_eq(a.data.scalar.length, b.data.scalar.length,
                         "%s: event %zu: '%.*s', libyaml '%.*s'", what, i,
                         (int)a.data.scalar.length, a.data.scalar.value,
                         (int)b.data.scalar.length, b.data.scalar.value);
            cr_assert(!memcmp(a.data.scalar.value, b.data.scalar.value, a.data.scalar.length),
                      "%s: event %zu: value", what, i);
            cr_assert_eq(a.data.scalar.style, b.data.scalar.style, "%s: event %zu: style", what,
                         i);
            cr_assert_null(b.data.scalar.tag);
            cr_assert_null(b.data.scalar.anchor);
        }
        yaml_event_type_t type = b.type;
        yaml_event_delete(&b);
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&p);
    yfast_done(&s);
}

/* A thousand mutations of text (DC_YAML_FAST_MUTATIONS: more), the same
 * every run. */
static void mutate(const char *what, const char *text, size_t len, tally *t)
{
    static const char bytes[] = " \n\t\r:-{}[],\"'#&*!|>?%@`a0.\\/~=+";
    uint32_t seed = 2166136261u;
    for (size_t i = 0; i < len; i++)
        seed = (seed ^ (unsigned char)text[i]) * 16777619u;
    const char *env = getenv("DC_YAML_FAST_MUTATIONS");
    int mutations = env ? atoi(env) : 1000;
    char *m = malloc(len + 2);
    cr_assert_not_null(m);
    for (int k = 0; k < mutations && len; k++) {
        seed = seed * 1103515245u + 12345u;
        size_t at = (seed >> 8) % len;
        char b = bytes[(seed >> 20) % (sizeof bytes - 1)];
        size_t n = len;
        memcpy(m, text, len);
        switch ((seed >> 28) % 3) {
        case 0: m[at] = b; break;
        case 1:
            memmove(m + at + 1, m + at, len - at);
            m[at] = b;
            n++;
            break;
        default: memmove(m + at, m + at + 1, len - at - 1); n--;
        }
        char name[512];
        snprintf(name, sizeof name, "%s (mutation %d: byte %zu)", what, k, at);
        compare(name, m, n, t);
    }
    free(m);
}

static tally files_tally;
static bool files_mutate;

static int one_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag != FTW_F || st->st_size > (1 << 18))
        return 0;
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *text = malloc((size_t)st->st_size + 1);
    size_t n = fread(text, 1, (size_t)st->st_size, f);
    fclose(f);
    compare(path, text, n, &files_tally);
    if (files_mutate)
        mutate(path, text, n, &files_tally);
    free(text);
    return 0;
}

static void walk(const char *dir, bool mutations)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", DC_TEST_SRCDIR, dir);
    files_mutate = mutations;
    cr_assert_eq(nftw(path, one_file, 16, FTW_PHYS), 0, "%s", path);
}

Test(yaml_fast, same_events_as_libyaml_on_fixtures_and_corpora)
{
    walk("tests/data", false);
    walk("fuzz/corpus", false);
    walk("fuzz/regressions", false);
    size_t accepted = files_tally.accepted;
    walk("fuzz/corpus/fuzz_facts_yaml", true);
    walk("fuzz/corpus/fuzz_import_dra", true);
    walk("fuzz/corpus/fuzz_import_devlink", true);
    walk("fuzz/corpus/fuzz_import_mdevctl", true);
    cr_log_info("%zu texts compared, %zu taken by the fast scanner", files_tally.compared,
                files_tally.accepted);
    cr_assert_gt(accepted, 20, "the fast scanner took %zu files", accepted);
    cr_assert_gt(files_tally.accepted, accepted + 1000);
}

/* The shapes of bench/importers.c: taken, and the same as libyaml's. */
static const char *const shapes[] = {
    /* kubectl get resourceslices -o yaml */
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: resource.k8s.io/v1\n"
    "  kind: ResourceSlice\n  metadata:\n    name: node-0-gpu.example.com-x7kq2\n"
    "  spec:\n    driver: gpu.example.com\n    nodeName: node-0\n    pool:\n"
    "      name: node-0\n      generation: 1\n      resourceSliceCount: 1\n    devices:\n"
    "    - name: gpu-0\n      attributes:\n        model: {string: \"LATEST-GPU-MODEL\"}\n"
    "        index: {int: 0}\n        mig: {bool: false}\n"
    "        driverVersion: {version: \"1.2.0\"}\n"
    "        gpu.example.com/uuid: {string: \"gpu-00000000\"}\n"
    "        resource.kubernetes.io/pcieRoot: {string: \"pci0000:00\"}\n"
    "      capacity:\n        memory: {value: 40Gi}\n"
    "    - name: gpu-1\n      attributes:\n        model:\n          string: 'A100 ''x'''\n"
    "      capacity:\n        memory:\n          value: 40Gi\n",
    /* devlink -j dev info, port show */
    "{\"info\": {\n  \"pci/0000:00:00.0\": {\"driver\": \"mlx5_core\", \"serial_number\": "
    "\"MT2232T00000\",\n    \"versions\": {\"fixed\": {\"fw.psid\": \"MT_0000000359\"},\n"
    "      \"running\": {\"fw.version\": \"22.36.1010\"}, \"stored\": {}}}\n},\n"
    "\"port\": {\n  \"pci/0000:00:00.0/65537\": {\"type\": \"eth\", \"controller\": 0, "
    "\"vfnum\": -1, \"external\": false, \"list\": [1, 2.5e-3, null, []],\n"
    "    \"function\": {\"hw_addr\": \"00:11:22:00:00:01\", \"migratable\": \"enable\"}}\n}}\n",
    /* mdevctl types --dumpjson */
    "[\n  {\n    \"0000:00:02.0\": [\n      {\n        \"i915-GVTg_V5_1\": {\n"
    "          \"available_instances\": 8,\n          \"device_api\": \"vfio-pci\",\n"
    "          \"description\": \"low_gm_size: 128MB\\nhigh_gm_size: 512MB\\t\\\"x\\\" \\\\ "
    "\\/\"\n        }\n      }\n    ]\n  }\n]\n",
    /* compatc's own inventory */
    ("- id: gpu0\n  device_api: vfio-pci\n  caps: [a, b]\n  params:\n    memory: 1024\n"
     "- id: gpu1\n  self:\n    x: y z\n"),
};

Test(yaml_fast, takes_the_bench_shapes)
{
    tally t = { 0, 0 };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        char what[32];
        snprintf(what, sizeof what, "shape %zu", i);
        cr_assert(yfast_accepts(NULL, shapes[i], strlen(shapes[i])), "%s", what);
        compare(what, shapes[i], strlen(shapes[i]), &t);
        mutate(what, shapes[i], strlen(shapes[i]), &t);
    }
}

/* What is not of the subset is left to libyaml. */
Test(yaml_fast, leaves_the_rest_to_libyaml)
{
    static const char *const others[] = {
        "a: b # comment\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "---\na: 1\n",
        "a: |\n  text\n",
        "a:\n\n  b: 1\n",
        "a: b\n  c\n",
        "a:\tb\n",
        "a: \"\\u00e9\"\n",
        "a: b\r\n",
        "a: [1,\n  2]\n",
        "[1, 2,]\n",
        "{a: 1, b}\n",
        "a: caf\xc3\xa9\n",
        "a:\nb: 1\n",
        "? a\n: b\n",
        "- - a\n",
        "a: b \n",
        "a: ~\n",
        "",
        "...\n",
        "a: b: c\n",
        "{\"a\":1}\n",
        "- a\n b\n",
    };
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        cr_assert_not(yfast_accepts(NULL, others[i], strlen(others[i])), "%zu: %s", i,
                      others[i]);
}
