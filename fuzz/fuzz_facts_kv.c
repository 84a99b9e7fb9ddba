/*
 * fuzz_facts_kv.c -- key=value facts text (SPEC 1 format 1), and the facts
 * it yields fed back through dc_facts_add: what the parser accepts, the
 * builder must accept too, unchanged.
 */
#include "harness.h"
#include "../tests/helpers.h"

#define MAX_NAME  255
#define MAX_VALUE 4096
#define MAX_FACTS 1024

static void fuzz_one(const uint8_t *data, size_t len)
{
    dc_facts *facts = NULL;
    dc_error err;
    dc_status st = dc_facts_parse_text("fuzz.kv", (const char *)data, len, &facts, &err);
    if (st == DC_OK && !facts)
        fuzz_fail("dc_facts_parse_text: DC_OK without facts");
    if (st != DC_OK) {
        if (facts)
            fuzz_fail("dc_facts_parse_text: failure with facts");
        if (memchr(err.message, '\0', sizeof err.message) == NULL)
            fuzz_fail("error message not terminated");
        return;
    }
    size_t n = dc_facts_count(facts);
    if (n > MAX_FACTS)
        fuzz_fail("more facts than the limit");
    dc_facts *copy = new_facts(NULL);
    for (size_t i = 0; i < n; i++) {
        const char *name = dc_facts_name(facts, i);
        const char *value = dc_facts_value(facts, i);
        if (!name || !value)
            fuzz_fail("fact in range missing");
        if (strlen(name) == 0 || strlen(name) > MAX_NAME || strlen(value) > MAX_VALUE)
            fuzz_fail("fact over the limits");
        if (i > 0 && strcmp(dc_facts_name(facts, i - 1), name) >= 0)
            fuzz_fail("facts not in strict name order");
        const char *got = dc_facts_lookup(facts, name);
        if (!got || strcmp(got, value) != 0)
            fuzz_fail("dc_facts_lookup disagrees with dc_facts_value");
        if (copy && dc_facts_add(copy, name, value, strlen(value), &err) != DC_OK &&
            err.status != DC_ERR_NOMEM) {
            fprintf(stderr, "fuzz: re-adding %s: %s\n", name, err.message);
            fuzz_fail("a parsed fact is rejected by dc_facts_add");
        }
    }
    if (copy) {
        if (dc_facts_count(copy) != n)
            fuzz_fail("re-added facts differ in number");
        for (size_t i = 0; i < n; i++)
            if (strcmp(dc_facts_value(copy, i), dc_facts_value(facts, i)) != 0)
                fuzz_fail("re-added fact value changed");
    }
    dc_facts_free(copy);
    dc_facts_free(facts);
}
