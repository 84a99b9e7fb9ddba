/*
 * importer.h -- the body of the importer harnesses (docs/security.md): one
 * source's text read as an inventory and as one device, and the promises
 * of <devcompat.h> checked on both.  A harness defines FUZZ_SOURCE and
 * includes this file.
 *
 *   - a status of DC_OK comes with its object, a failure never does, and
 *     its message names the input;
 *   - every device in range has an id (non-empty, one line, unique) and
 *     facts within the limits (facts_check.h);
 *   - the device of an id, asked for by id (dc_facts_parse_source), has
 *     the same facts as in the inventory; the input read as one device
 *     fails when the inventory fails, and is otherwise one of its devices.
 */
#ifndef DC_FUZZ_IMPORTER_H
#define DC_FUZZ_IMPORTER_H

#include "harness.h"
#include "facts_check.h"

#define FUZZ_FILE "fuzz.in"

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_ids(const dc_inventory *inv)
{
    size_t n = dc_inventory_count(inv);
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids)
        return;
    for (size_t i = 0; i < n; i++) {
        const char *id = dc_inventory_id(inv, i);
        const dc_facts *facts = dc_inventory_facts(inv, i);
        if (!id || !facts)
            fuzz_fail("inventory entry in range missing");
        if (!*id)
            fuzz_fail("an empty id");
        for (const char *c = id; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
                fuzz_fail("an id with a control character");
        fuzz_check_facts(facts);
        ids[i] = id;
    }
    if (dc_inventory_id(inv, n) || dc_inventory_facts(inv, n))
        fuzz_fail("inventory entry out of range present");
    qsort(ids, n, sizeof *ids, by_text);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(ids[i - 1], ids[i]))
            fuzz_fail("a duplicate id accepted");
    free(ids);
}

/* The device of id `i`, read alone, is the inventory's. */
static void check_by_id(const uint8_t *data, size_t len, const dc_inventory *inv, size_t i)
{
    dc_facts *one = NULL;
    dc_error err;
    dc_status st = dc_facts_parse_source(FUZZ_SOURCE, FUZZ_FILE, (const char *)data, len,
                                         dc_inventory_id(inv, i), &one, &err);
    if (st == DC_ERR_NOMEM)
        return;
    if (st != DC_OK || !one) {
        fprintf(stderr, "fuzz: %s: %s\n", dc_inventory_id(inv, i), err.message);
        fuzz_fail("a device of the inventory not found by its id");
    }
    if (!fuzz_same_facts(one, dc_inventory_facts(inv, i)))
        fuzz_fail("a device read by id differs from the inventory's");
    dc_facts_free(one);
}

static void fuzz_import(const uint8_t *data, size_t len)
{
    dc_inventory *inv = NULL;
    dc_error err;
    dc_status st =
        dc_inventory_parse_source(FUZZ_SOURCE, FUZZ_FILE, (const char *)data, len, &inv, &err);
    if (st == DC_OK && !inv)
        fuzz_fail("dc_inventory_parse_source: DC_OK without an inventory");
    if (st != DC_OK && inv)
        fuzz_fail("dc_inventory_parse_source: failure with an inventory");
    if (st != DC_OK)
        fuzz_check_error(&err, FUZZ_FILE);
    else
        check_ids(inv);

    dc_facts *facts = NULL;
    dc_status one = dc_facts_parse_source(FUZZ_SOURCE, FUZZ_FILE, (const char *)data, len, NULL,
                                          &facts, &err);
    if (one == DC_OK && !facts)
        fuzz_fail("dc_facts_parse_source: DC_OK without facts");
    if (one != DC_OK && facts)
        fuzz_fail("dc_facts_parse_source: failure with facts");
    if (one != DC_OK)
        fuzz_check_error(&err, FUZZ_FILE);
    if (st != DC_OK && one == DC_OK)
        fuzz_fail("one device read from an input whose inventory fails");
    if (facts) {
        size_t i, n = dc_inventory_count(inv);
        for (i = 0; i < n; i++)
            if (fuzz_same_facts(facts, dc_inventory_facts(inv, i)))
                break;
        if (inv && i == n)
            fuzz_fail("the one device read is none of the inventory's");
        dc_facts_free(facts);
    }
    /* by id: the first and the last device (the others are read alike) */
    size_t n = dc_inventory_count(inv);
    if (n > 0)
        check_by_id(data, len, inv, 0);
    if (n > 1)
        check_by_id(data, len, inv, n - 1);
    dc_inventory_free(inv);
}

static void fuzz_one(const uint8_t *data, size_t len)
{
    fuzz_import(data, len);
}

#endif /* DC_FUZZ_IMPORTER_H */
