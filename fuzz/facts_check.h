/*
 * facts_check.h -- the promises every set of facts a reader returns keeps
 * (docs/facts.md): within the limits, every fact in range present, in
 * strict name order, and found again by name.  Include after harness.h.
 */
#ifndef DC_FUZZ_FACTS_CHECK_H
#define DC_FUZZ_FACTS_CHECK_H

static void fuzz_check_facts(const dc_facts *facts)
{
    size_t n = dc_facts_count(facts);
    if (n > 1024)
        fuzz_fail("more facts than the limit");
    for (size_t i = 0; i < n; i++) {
        const char *name = dc_facts_name(facts, i);
        const char *value = dc_facts_value(facts, i);
        if (!name || !value)
            fuzz_fail("fact in range missing");
        if (strlen(name) == 0 || strlen(name) > 255 || strlen(value) > 4096)
            fuzz_fail("fact over the limits");
        if (i > 0 && strcmp(dc_facts_name(facts, i - 1), name) >= 0)
            fuzz_fail("facts not in strict name order");
        const char *got = dc_facts_lookup(facts, name);
        if (!got || strcmp(got, value) != 0)
            fuzz_fail("dc_facts_lookup disagrees with dc_facts_value");
    }
}

/* Do two sets of facts hold the same names and values? */
static inline int fuzz_same_facts(const dc_facts *a, const dc_facts *b)
{
    size_t n = dc_facts_count(a);
    if (n != dc_facts_count(b))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(dc_facts_name(a, i), dc_facts_name(b, i)) != 0 ||
            strcmp(dc_facts_value(a, i), dc_facts_value(b, i)) != 0)
            return 0;
    return 1;
}

/* A failure's message is terminated and names the input (`file`). */
static inline void fuzz_check_error(const dc_error *err, const char *file)
{
    if (memchr(err->message, '\0', sizeof err->message) == NULL)
        fuzz_fail("error message not terminated");
    if (strncmp(err->message, file, strlen(file)) != 0) {
        fprintf(stderr, "fuzz: message: %s\n", err->message);
        fuzz_fail("an error that does not name its input");
    }
}

#endif /* DC_FUZZ_FACTS_CHECK_H */
