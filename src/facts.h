/* facts.h -- the one in-memory form of a device's facts (docs/facts.md).
 *
 * Every reader (key=value text, YAML/JSON, sysfs, inventories) produces a
 * dc_facts; the compiler's prepare step reads it through this header.
 */
#ifndef DC_FACTS_H
#define DC_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "devcompat.h"

typedef struct fact {
    char *name;  /* NUL-terminated; one allocation holds both (below) */
    char *value; /* NUL-terminated, already trimmed; follows name, but
                    for a batch's facts (names shared, below) */
    uint32_t name_len;
    uint32_t value_len;
} fact;

/* A parsed text's facts live in the dc_facts' own allocation: the header,
 * then `items` (items_inline), then a copy of the text (`strings`) that
 * their names and values point into.  Facts added one by one (dc_facts_add,
 * the importers, the YAML reader) go into `pool`: blocks of "name\0value\0"
 * pairs, each twice the size of the one before, never moved (a returned
 * string lives as long as the dc_facts); the array grows apart once one is
 * added.  A device's facts cost a handful of allocations, not one each
 * (docs/performance.md, "Importers").  An importer's devices (facts_batch)
 * are one allocation each, of the array and the values (`strings`); their
 * names are the batch's, shared by all of them (`names`, counted). */
typedef struct facts_chunk facts_chunk;
typedef struct facts_names facts_names;
struct dc_facts {
    const dc_alloc *alloc;
    fact *items; /* sorted by name (strcmp) */
    uint32_t n, cap;
    uint32_t nshared;    /* facts whose strings are in `strings` */
    bool items_inline;   /* items is part of this allocation */
    const char *strings; /* [strings, strings + strings_len) */
    size_t strings_len;
    facts_chunk *pool;  /* the newest block, linked to the older ones */
    size_t pool_used;   /* bytes of it taken */
    char *spare;        /* room left in this allocation (facts_batch_take), */
    size_t spare_len;   /* taken before the pool */
    facts_names *names; /* names shared with other dc_facts (facts_batch), or NULL */
};

/* The order of facts by name: strcmp's, for names that may hold any byte. */
static inline int facts_name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    if (an && bn && a[0] != b[0])
        return (unsigned char)a[0] < (unsigned char)b[0] ? -1 : 1;
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

/* An empty dc_facts, or NULL (dc_facts_new for callers that want an error). */
dc_facts *facts_new(const dc_alloc *alloc);

/* Binary search: the fact named [name, name+len), or NULL. */
const fact *facts_find(const dc_facts *f, const char *name, size_t len);

/* Validation shared by every reader (docs/facts.md).  On failure they write a
 * message (without the file name) into msg[cap] and return false. */
bool facts_valid_name(const char *name, size_t len, char *msg, size_t cap);
bool facts_valid_value(const char *value, size_t len, char *msg, size_t cap);

/* At most 48 bytes of [s, s+n) into dst[cap], bytes outside printable
 * ASCII as \xHH, "..." when cut: for showing input in a message. */
const char *facts_show(char *dst, size_t cap, const char *s, size_t n);

/* The error for a byte no facts text may hold, at column col of line. */
dc_status facts_bytes_error(const char *file, uint32_t line, size_t col, char at,
                            dc_error *err);

/* Trim leading and trailing blanks (space, tab) and newlines (\n, \r).
 * Inline: every fact added is trimmed (docs/performance.md, "Importers"). */
static inline bool facts_trimmed(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
static inline void facts_trim(const char **p, size_t *n)
{
    const char *s = *p;
    size_t len = *n;
    while (len && facts_trimmed(*s)) {
        s++;
        len--;
    }
    while (len && facts_trimmed(s[len - 1]))
        len--;
    *p = s;
    *n = len;
}

/* Add with explicit lengths; `name` need not be NUL-terminated.  `file`
 * names the input in the error message ("FILE: duplicate fact 'x'"). */
dc_status facts_add_n(dc_facts *f, const char *file, const char *name, size_t name_len,
                      const char *value, size_t value_len, dc_error *err);

/* Set an error: status and a printf-formatted message.  Accepts err == NULL.
 * Returns `status`, so callers can write `return dc_error_set(err, ...)`. */
/* Is a caller's struct that begins with `size` (include/devcompat.h: dc_diag,
 * dc_binding, dc_reason, dc_target_open) large enough for this version's
 * fields?  A getter fills nothing when it is not. */
#define DC_SIZED(out) ((out) != NULL && (out)->size >= sizeof *(out))

dc_status dc_error_set(dc_error *err, dc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Read a whole file (at most `max` bytes; more is DC_ERR_LIMIT naming the
 * limit).  Refuses directories and other non-regular files with a clear
 * error.  *data is NUL-terminated and allocated with `alloc`. */
dc_status file_read_all(const dc_alloc *alloc, const char *path, size_t max, char **data,
                        size_t *len, dc_error *err);

/* ------------------------------------------------ additions (facts.c) */

/* facts_add_n with a location: the error message starts "FILE:LINE:COL: ",
 * "FILE:LINE: " or "FILE: " (line/col 0 = not known; file NULL = none). */
dc_status facts_add_at(dc_facts *f, const char *file, uint32_t line, uint32_t col,
                       const char *name, size_t name_len, const char *value, size_t value_len,
                       dc_error *err);

/* A device's facts gathered in the order a reader finds them, then made one
 * dc_facts at once: one allocation for its array and values, sorted once;
 * the names are the batch's, shared by the devices it makes
 * (docs/performance.md, "Importers").  Each fact is checked as it is added, with facts_add_at's
 * checks, messages and order (name, value, a duplicate, the limit), so the
 * first error is the one adding them one by one gives. */
typedef struct facts_staged {
    uint64_t key;     /* the name's first bytes, for sorting */
    const char *name; /* in the batch's shared names */
    uint32_t name_len;
    uint32_t value_at, value_len; /* "value\0" at text + value_at */
    uint32_t id;                  /* the name's number in the batch's table */
} facts_staged;
typedef struct facts_known {
    uint32_t hash, len; /* len 0: an empty entry */
    const char *name;   /* NUL-terminated, in the batch's shared names */
    uint32_t id;        /* numbered in the order first taken */
    uint32_t gen;       /* the batch's generation when last added */
    uint32_t item;      /* ... and its index then */
} facts_known;
typedef struct facts_batch {
    const dc_alloc *alloc;
    facts_staged *items; /* this device's, in the order added */
    uint32_t n, cap;
    char *text;
    size_t used, text_cap;
    uint32_t gen;       /* one per device */
    facts_known *known; /* every name taken, by hash (open addressing) */
    uint32_t nknown, nslots;
    /* the names, once each, in blocks that never move, shared by every
     * dc_facts made (counted references: the last one frees them) */
    facts_names *names;
    size_t names_used; /* of its newest block */
    /* the last device's names (ids) in the order added, and the order
     * that sorted them: the next device with the same names in the same
     * order is sorted without a comparison */
    uint32_t *last_ids, *last_order;
    uint32_t last_n, last_cap;
} facts_batch;

void facts_batch_init(facts_batch *b, const dc_alloc *alloc);
/* Forget the facts gathered, keeping the memory for the next device. */
void facts_batch_clear(facts_batch *b);
void facts_batch_release(facts_batch *b);
dc_status facts_batch_add(facts_batch *b, const char *file, uint32_t line, uint32_t col,
                          const char *name, size_t name_len, const char *value,
                          size_t value_len, dc_error *err);
/* The value of a fact gathered, or NULL. */
const char *facts_batch_lookup(const facts_batch *b, const char *name);
/* The facts gathered as a dc_facts with room for `room` more added later
 * (of a few dozen bytes each) without another allocation; b is cleared. */
dc_status facts_batch_take(facts_batch *b, uint32_t room, dc_facts **out, dc_error *err);

/* Render facts sorted by name, snprintf style: writes at most cap bytes
 * (NUL included, when cap > 0) and returns the length the whole text needs.
 * Text: one `name=value` line each, the value double-quoted with \" \\ \n \t
 * escapes when it would not read back identically.  JSON: one flat object of
 * strings on one line, newline-terminated. */
size_t facts_render_text(const dc_facts *f, char *buf, size_t cap);
size_t facts_render_json(const dc_facts *f, char *buf, size_t cap);

/* Check a whole input for bytes no facts file may hold (NUL, control
 * characters other than tab/CR/LF, non-ASCII).  On failure fills err with
 * "FILE:LINE:COL: ..." (DC_ERR_FACTS) and returns false. */
bool facts_check_bytes(const char *file, const char *text, size_t len, dc_error *err);

/* The most bytes dc_facts_read_file reads (and the same for other readers of
 * one device's file). */
#define FACTS_MAX_FILE (16u << 20)

/* ------------------------------------------- additions (facts_yaml.c) */

/* Read a YAML/JSON inventory: a sequence of mappings, each with an `id`
 * scalar.  For each entry, `fn` gets the id, the entry's facts (flattened as
 * dc_facts_parse_yaml does; `fn` takes ownership of them), the 0-based entry
 * index and the entry's line.  A non-OK return from fn stops the read. */
typedef dc_status (*facts_entry_fn)(void *ctx, const char *id, size_t id_len, dc_facts *facts,
                                    size_t index, uint32_t line, dc_error *err);
dc_status facts_yaml_entries(const dc_alloc *alloc, const char *file, const char *text,
                             size_t len, facts_entry_fn fn, void *ctx, dc_error *err);
/* The same, read by libyaml whatever the shape when !flat (for tests). */
dc_status facts_yaml_entries_ex(const dc_alloc *alloc, const char *file, const char *text,
                                size_t len, bool flat, facts_entry_fn fn, void *ctx,
                                dc_error *err);

/* ---------------------------------------- additions (facts_yaml_flat.c) */

/* An inventory of a common shape (a YAML block sequence of flat mappings
 * of plain scalars, a JSON list of flat objects of strings and digits)
 * read without libyaml: when the whole text is of it, each
 * entry is handed to fn as facts_yaml_entries would, *st is the outcome
 * and the result true; else false, nothing handed on, and the text is
 * libyaml's to read (it reports the errors). */
bool facts_yaml_flat(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                     facts_entry_fn fn, void *ctx, dc_status *st, dc_error *err);

/* Parse YAML/JSON facts with an allocator. */
dc_status facts_parse_yaml_ex(const dc_alloc *alloc, const char *file, const char *text,
                              size_t len, dc_facts **out, dc_error *err);
/* A fact as it lies in key=value text (facts_kv.c, facts_kv_line.h).  A quoted value
 * points at its opening quote; value_len is then its length decoded and
 * trimmed. */
typedef struct kv_fact {
    const char *name, *value;
    uint32_t name_len, value_len;
} kv_fact;

/* Parse key=value text with an allocator. */
dc_status facts_parse_text_ex(const dc_alloc *alloc, const char *file, const char *text,
                              size_t len, dc_facts **out, dc_error *err);
/* dc_facts_read_sysfs with an allocator (sysfs.c). */
dc_status facts_read_sysfs_ex(const dc_alloc *alloc, const char *root, const char *dir,
                              dc_facts **out, dc_error *err);
/* Parse one file's text in the format its name or content says. */
dc_status facts_parse_any(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                          dc_facts **out, dc_error *err);

/* ------------------------------------- additions (facts_yaml.c, trees) */

/* One YAML/JSON document as a tree, for files that hold facts among other
 * things (`compatc test`'s cases): their facts then read exactly as
 * dc_facts_parse_yaml reads a document.  Scalars are NUL-terminated; a plain
 * null (~, null, empty) has `null` set and text "".  A mapping's children
 * are its keys and values in turn. */
typedef enum facts_ykind { FACTS_YSCALAR, FACTS_YMAP, FACTS_YSEQ } facts_ykind;
typedef struct facts_ynode {
    facts_ykind kind;
    bool null;
    uint32_t line, col; /* 1-based */
    const char *text;
    size_t len;
    size_t count; /* children */
    struct facts_ynode *first, *last, *next;
    bool joined;         /* a set read as facts: `text` holds its items
                                   joined by ',' (count of them), no children */
    const char *problem; /* joined: why the set is not one, reported
                                   when the set is taken as a fact */
} facts_ynode;
typedef struct facts_ytree facts_ytree;

/* Read a whole document; *root is NULL when it is empty.  Errors name FILE
 * and the position; `what` names the document in some ("a second YAML
 * document: WHAT are one document").  `file` and `what` must outlive the
 * tree; `text` need not.  Any encoding libyaml reads is accepted. */
dc_status facts_ytree_read(const dc_alloc *alloc, const char *file, const char *what,
                           const char *text, size_t len, facts_ytree **tree,
                           const facts_ynode **root, dc_error *err);
/* The facts of a node of the tree: a mapping (its self/SELF mapping when
 * it has one), or a null for none; errors name the tree's file. */
dc_status facts_ytree_facts(facts_ytree *tree, const facts_ynode *node, dc_facts **out,
                            dc_error *err);
void facts_ytree_free(facts_ytree *tree);

#endif
