/*
 * fuzz_facts_kv.c -- key=value facts text (docs/facts.md, format 1), and the facts
 * it yields fed back through dc_facts_add: what the parser accepts, the
 * builder must accept too, unchanged.
 */
#include "harness.h"
#include "facts_check.h"
#include "../tests/helpers.h"

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
    fuzz_check_facts(facts);
    size_t n = dc_facts_count(facts);
    dc_facts *copy = new_facts(NULL);
    for (size_t i = 0; i < n; i++) {
        const char *name = dc_facts_name(facts, i);
        const char *value = dc_facts_value(facts, i);
        if (copy && dc_facts_add(copy, name, value, strlen(value), &err) != DC_OK &&
            err.status != DC_ERR_NOMEM) {
            fprintf(stderr, "fuzz: re-adding %s: %s\n", name, err.message);
            fuzz_fail("a parsed fact is rejected by dc_facts_add");
        }
    }
    if (copy && !fuzz_same_facts(copy, facts))
        fuzz_fail("re-added facts differ");
    dc_facts_free(copy);
    dc_facts_free(facts);
}
