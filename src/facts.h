/* facts.h -- the one in-memory form of a device's facts (SPEC 1).
 *
 * Every reader (key=value text, YAML/JSON, sysfs, inventories) produces a
 * dc_facts; the compiler's prepare step reads it through this header.
 */
#ifndef DC_FACTS_H
#define DC_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devcompat.h"

typedef struct fact {
    char *name;         /* owned, NUL-terminated */
    char *value;        /* owned, NUL-terminated, already trimmed */
    uint32_t name_len;
    uint32_t value_len;
} fact;

struct dc_facts {
    const dc_alloc *alloc;
    fact *items;        /* sorted by name (strcmp) */
    uint32_t n, cap;
};

/* Binary search: the fact named [name, name+len), or NULL. */
const fact *facts_find(const dc_facts *f, const char *name, size_t len);

/* Validation shared by every reader (SPEC 1).  On failure they write a
 * message (without the file name) into msg[cap] and return false. */
bool facts_valid_name(const char *name, size_t len, char *msg, size_t cap);
bool facts_valid_value(const char *value, size_t len, char *msg, size_t cap);

/* Trim leading and trailing blanks (space, tab) and newlines (\n, \r). */
void facts_trim(const char **p, size_t *n);

/* Add with explicit lengths; `name` need not be NUL-terminated.  `file`
 * names the input in the error message ("FILE: duplicate fact 'x'"). */
dc_status facts_add_n(dc_facts *f, const char *file, const char *name, size_t name_len,
                      const char *value, size_t value_len, dc_error *err);

/* Set an error: status and a printf-formatted message.  Accepts err == NULL.
 * Returns `status`, so callers can write `return dc_error_set(err, ...)`. */
dc_status dc_error_set(dc_error *err, dc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Read a whole file (at most `max` bytes; more is DC_ERR_LIMIT naming the
 * limit).  Refuses directories and other non-regular files with a clear
 * error.  *data is NUL-terminated and allocated with `alloc`. */
dc_status file_read_all(const dc_alloc *alloc, const char *path, size_t max,
                        char **data, size_t *len, dc_error *err);

#endif
