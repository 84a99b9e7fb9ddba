/*
 * fuzz_facts_yaml.c -- YAML/JSON facts (docs/facts.md, format 2) and, from the same
 * bytes, an inventory (a sequence of mappings with ids).  There is no
 * in-memory inventory reader, so the input goes through a temporary file.
 */
#include <unistd.h>

#include "harness.h"
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

static void fuzz_one(const uint8_t *data, size_t len)
{
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
