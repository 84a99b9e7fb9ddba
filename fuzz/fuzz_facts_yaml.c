/*
 * fuzz_facts_yaml.c -- YAML/JSON facts (docs/facts.md, format 2) and, from the same
 * bytes, an inventory (a sequence of mappings with ids).  There is no
 * in-memory inventory reader, so the input goes through a temporary file.
 */
#include <unistd.h>

#include "harness.h"
#include "facts.h"
#include "facts_check.h"

static char inv_path[64];

static void fuzz_inventory(const uint8_t *data, size_t len)
{
    if (!dc_inventory_read || !dc_inventory_count || !dc_inventory_free)
        return;
    if (!inv_path[0])
        snprintf(inv_path, sizeof inv_path, "/tmp/dc-fuzz-inv-%ld.yaml", (long)getpid());
    FILE *f = fopen(inv_path, "wb");
    if (!f)
        return;
    size_t wrote = len ? fwrite(data, 1, len, f) : 0;
    if (fclose(f) != 0 || wrote != len)
        return;
    dc_inventory *inv = NULL;
    dc_error err;
    dc_status st = dc_inventory_read(inv_path, &inv, &err);
    if (st == DC_OK && !inv)
        fuzz_fail("dc_inventory_read: DC_OK without an inventory");
    if (st != DC_OK && inv)
        fuzz_fail("dc_inventory_read: failure with an inventory");
    if (inv) {
        size_t n = dc_inventory_count(inv);
        for (size_t i = 0; i < n; i++) {
            const char *id = dc_inventory_id ? dc_inventory_id(inv, i) : "";
            const dc_facts *facts = dc_inventory_facts ? dc_inventory_facts(inv, i) : NULL;
            if (!id || (dc_inventory_facts && !facts))
                fuzz_fail("inventory entry in range missing");
            (void)strlen(id);
            if (facts)
                fuzz_check_facts(facts);
        }
    }
    dc_inventory_free(inv);
    unlink(inv_path);
}

/* The flat reader (src/facts_yaml_flat.c) reads the inventories it takes
 * exactly as libyaml's does: the same entries, facts, status and message,
 * or it leaves the text to libyaml. */
typedef struct seen {
    char *p;
    size_t len, cap;
} seen;

static void seen_put(seen *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *q = realloc(s->p, cap);
        if (!q)
            abort(); /* the harness, not the library */
        s->p = q;
        s->cap = cap;
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static dc_status seen_entry(void *ctx, const char *id, size_t id_len, dc_facts *facts,
                            size_t index, uint32_t line, dc_error *err)
{
    (void)err;
    seen *s = ctx;
    char head[64];
    seen_put(s, head, (size_t)snprintf(head, sizeof head, "%zu@%u:", index, line));
    seen_put(s, id, id_len);
    seen_put(s, "\n", 1);
    size_t need = facts_render_text(facts, NULL, 0);
    char *body = malloc(need + 1);
    if (!body)
        abort();
    facts_render_text(facts, body, need + 1);
    seen_put(s, body, need);
    free(body);
    dc_facts_free(facts);
    return DC_OK;
}

static void fuzz_flat(const uint8_t *data, size_t len)
{
    seen a = { 0 }, b = { 0 };
    dc_error ea = { 0 }, eb = { 0 };
    const char *text = (const char *)data;
    dc_status sa =
        facts_yaml_entries_ex(NULL, "inv.yaml", text, len, true, seen_entry, &a, &ea);
    dc_status sb =
        facts_yaml_entries_ex(NULL, "inv.yaml", text, len, false, seen_entry, &b, &eb);
    if (sa != sb)
        fuzz_fail("flat reader: a status libyaml's reading does not give");
    if (sa != DC_OK && strcmp(ea.message, eb.message))
        fuzz_fail("flat reader: a message libyaml's reading does not give");
    if (strcmp(a.p ? a.p : "", b.p ? b.p : ""))
        fuzz_fail("flat reader: entries libyaml's reading does not give");
    free(a.p);
    free(b.p);
}

static void fuzz_one(const uint8_t *data, size_t len)
{
    fuzz_flat(data, len);
    dc_facts *facts = NULL;
    dc_error err;
    dc_status st = dc_facts_parse_yaml("fuzz.yaml", (const char *)data, len, &facts, &err);
    if (st == DC_OK && !facts)
        fuzz_fail("dc_facts_parse_yaml: DC_OK without facts");
    if (st != DC_OK && facts)
        fuzz_fail("dc_facts_parse_yaml: failure with facts");
    if (facts)
        fuzz_check_facts(facts);
    dc_facts_free(facts);
    fuzz_inventory(data, len);
}
