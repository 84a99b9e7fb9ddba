/*
 * harness.h -- the driver shared by every fuzz harness.
 *
 * A harness defines `static void fuzz_one(const uint8_t *data, size_t len)`
 * and includes this file once.  Built with afl-clang-fast it runs in AFL++
 * persistent mode (shared-memory test cases, __AFL_LOOP); built with any
 * other compiler it is a plain program that runs fuzz_one over every file
 * named on its command line (or stdin when there is none), so `make check`
 * replays the corpora and the crash reproducers without AFL.
 *
 * Each input is copied to a heap buffer of exactly its length, so a sanitizer
 * sees a read one byte past the end of the input.
 *
 * A harness that needs state made once (policies compiled) defines
 * FUZZ_INIT as the function that makes it before including this file: it
 * runs before the first input, and under AFL++ before the fork server
 * starts, so every child inherits it and no input pays for it (an input
 * that did would cover code the others do not, and AFL++ would count the
 * harness unstable).
 *
 * A harness calls fuzz_fail() when the library breaks a promise of its API
 * (a status without an object, results that differ after a save/load round
 * trip): that is a finding, reported as a crash.
 */
#ifndef DC_FUZZ_HARNESS_H
#define DC_FUZZ_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devcompat.h"

/* API a harness uses when it exists: the modules are written in parallel and
 * a harness must build (and skip that part) before they land. */
#pragma weak dc_policy_save
#pragma weak dc_buffer_free
#pragma weak dc_policy_load
#pragma weak dc_inventory_read
#pragma weak dc_inventory_count
#pragma weak dc_inventory_id
#pragma weak dc_inventory_facts
#pragma weak dc_inventory_free
#pragma weak dc_fleet_new
#pragma weak dc_check_fleet
#pragma weak dc_fleet_free

static void fuzz_one(const uint8_t *data, size_t len);

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz: broken promise: %s\n", what);
    abort();
}

static void fuzz_run(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    if (len)
        memcpy(copy, data, len);
    else
        copy[0] = 0;
    fuzz_one(copy, len);
    free(copy);
}

/* Inputs of several parts separate them by lines holding only "%%": cut
 * the next part of [*p, end) and step past its separator. */
static inline void fuzz_next_part(const char **p, const char *end, const char **part,
                                  size_t *len)
{
    const char *s = *p;
    const char *hit = NULL;
    for (const char *q = s; q + 4 <= end; q++)
        if (memcmp(q, "\n%%\n", 4) == 0) {
            hit = q;
            break;
        }
    *part = s;
    *len = (size_t)((hit ? hit : end) - s);
    *p = hit ? hit + 4 : end;
}

/* Read a whole stream; NULL on failure. */
static uint8_t *fuzz_slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void fuzz_init_once(void)
{
#ifdef FUZZ_INIT
    FUZZ_INIT();
#endif
}

static int fuzz_replay(int argc, char **argv)
{
    int status = 0;
    fuzz_init_once();
    if (argc < 2) {
        size_t len;
        uint8_t *buf = fuzz_slurp(stdin, &len);
        if (!buf)
            return 2;
        fuzz_run(buf, len);
        free(buf);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        size_t len;
        uint8_t *buf = f ? fuzz_slurp(f, &len) : NULL;
        if (f)
            fclose(f);
        if (!buf) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            status = 2;
            continue;
        }
        fuzz_run(buf, len);
        free(buf);
    }
    return status;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

int main(int argc, char **argv)
{
    if (argc > 1)
        return fuzz_replay(argc, argv);
    fuzz_init_once();
    __AFL_INIT();
    const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000))
        fuzz_run(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
    return 0;
}
#else
int main(int argc, char **argv)
{
    return fuzz_replay(argc, argv);
}
#endif

#endif /* DC_FUZZ_HARNESS_H */
