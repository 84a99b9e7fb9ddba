/* facts.c -- the dc_facts container: adding, looking up, validating.
 *
 * A dc_facts is an array of facts kept sorted by name, so lookups are a
 * binary search and readers that produce sorted input append in O(1).
 * Facts added one at a time share a few blocks that double in size (the
 * pool); the facts of a key=value text are all in one allocation, with the
 * dc_facts itself (facts.h).
 * This file knows no format: readers (facts_kv.c, facts_yaml.c, sysfs.c,
 * the importers) call it, never the reverse.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "facts.h"
#include "facts_chars.h"
#include "limits.h"

/* ------------------------------------------------------------ helpers */

/* Copy at most 48 bytes of s into dst, printable, for an error message. */
const char *facts_show(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    size_t shown = n > 48 ? 48 : n;
    for (size_t i = 0; i < shown && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            dst[o++] = (char)c;
        } else {
            snprintf(dst + o, cap - o, "\\x%02x", c);
            o += 4;
        }
    }
    if (shown < n && o + 4 < cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o < cap ? o : cap - 1] = '\0';
    return dst;
}

/* "FILE:LINE:COL: ", "FILE:LINE: ", "FILE: " or "". */
static const char *where(char *buf, size_t cap, const char *file, uint32_t line, uint32_t col)
{
    if (!file)
        buf[0] = '\0';
    else if (line && col)
        snprintf(buf, cap, "%s:%u:%u: ", file, line, col);
    else if (line)
        snprintf(buf, cap, "%s:%u: ", file, line);
    else
        snprintf(buf, cap, "%s: ", file);
    return buf;
}

/* ------------------------------------------------------- the dc_facts */

struct facts_chunk {
    facts_chunk *next; /* older */
    size_t cap;
    char data[];
};

/* `size` bytes of the chunk list at *head, *used bytes of whose newest
 * chunk are taken: a new chunk twice the newest one's size (`first` for
 * the first, and at least `size`) when it is full.  The blocks never move.
 * NULL when out of memory (nothing changed). */
static char *chunk_take(const dc_alloc *alloc, facts_chunk **head, size_t *used, size_t first,
                        size_t size)
{
    facts_chunk *c = *head;
    if (!c || c->cap - *used < size) {
        size_t cap = c ? c->cap : first / 2;
        do {
            if (cap > (SIZE_MAX - sizeof *c) / 2)
                return NULL;
            cap *= 2;
        } while (cap < size);
        facts_chunk *fresh = mem_alloc(alloc, sizeof *c + cap);
        if (!fresh)
            return NULL;
        fresh->next = c;
        fresh->cap = cap;
        *head = c = fresh;
        *used = 0;
    }
    char *at = c->data + *used;
    *used += size;
    return at;
}

static void chunks_free(const dc_alloc *alloc, facts_chunk *c)
{
    for (facts_chunk *older; c; c = older) {
        older = c->next;
        mem_free(alloc, c);
    }
}

dc_facts *facts_new(const dc_alloc *alloc)
{
    dc_facts *f = mem_zalloc(alloc, sizeof *f);
    if (f)
        f->alloc = alloc;
    return f;
}

dc_status dc_facts_new_ex(const dc_alloc *alloc, dc_facts **out, dc_error *err)
{
    if (!out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_new: out is NULL");
    if (!(*out = facts_new(alloc)))
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    return DC_OK;
}

dc_status dc_facts_new(dc_facts **out, dc_error *err)
{
    return dc_facts_new_ex(NULL, out, err);
}

/* A batch's names, shared by the dc_facts it made: freed with the last of
 * them (or the batch), in whichever thread that is. */
struct facts_names {
    atomic_size_t refs;
    const dc_alloc *alloc;
    facts_chunk *blocks; /* the newest first */
};

static void names_release(facts_names *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    chunks_free(s->alloc, s->blocks);
    mem_free(s->alloc, s);
}

void dc_facts_free(dc_facts *f)
{
    if (!f)
        return;
    names_release(f->names);
    chunks_free(f->alloc, f->pool);
    if (!f->items_inline)
        mem_free(f->alloc, f->items);
    mem_free(f->alloc, f);
}

size_t dc_facts_count(const dc_facts *f)
{
    return f ? f->n : 0;
}

const char *dc_facts_name(const dc_facts *f, size_t i)
{
    return f && i < f->n ? f->items[i].name : NULL;
}

const char *dc_facts_value(const dc_facts *f, size_t i)
{
    return f && i < f->n ? f->items[i].value : NULL;
}

/* Index of the first fact not less than the name; *found when equal. */
static uint32_t lower_bound(const dc_facts *f, const char *name, size_t len, bool *found)
{
    uint32_t lo = 0, hi = f->n;
    /* Readers often add in order: check the end first. */
    if (hi && facts_name_cmp(name, len, f->items[hi - 1].name, f->items[hi - 1].name_len) > 0) {
        *found = false;
        return hi;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (facts_name_cmp(f->items[mid].name, f->items[mid].name_len, name, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found =
        lo < f->n && facts_name_cmp(name, len, f->items[lo].name, f->items[lo].name_len) == 0;
    return lo;
}

const fact *facts_find(const dc_facts *f, const char *name, size_t len)
{
    if (!f || !name || !f->n)
        return NULL;
    bool found;
    uint32_t i = lower_bound(f, name, len, &found);
    return found ? &f->items[i] : NULL;
}

const char *dc_facts_lookup(const dc_facts *f, const char *name)
{
    const fact *x = name ? facts_find(f, name, strlen(name)) : NULL;
    return x ? x->value : NULL;
}

/* ---------------------------------------------------------- validation */

bool facts_valid_name(const char *name, size_t len, char *msg, size_t cap)
{
    char shown[256];
    if (name_ok(name, len))
        return true;
    if (len == 0) {
        snprintf(msg, cap, "empty fact name");
        return false;
    }
    if (len > DC_MAX_NAME) {
        snprintf(msg, cap, "fact name '%s' is longer than %d bytes (the limit)",
                 facts_show(shown, sizeof shown, name, len), DC_MAX_NAME);
        return false;
    }
    bool seg_start = true;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.') {
            if (seg_start) {
                snprintf(msg, cap, "invalid fact name '%s': empty segment",
                         facts_show(shown, sizeof shown, name, len));
                return false;
            }
            seg_start = true;
        } else if (seg_start ? is_name_start(c) : is_name_char(c)) {
            seg_start = false;
        } else {
            unsigned char u = (unsigned char)c;
            if (seg_start && c >= '0' && c <= '9' && i > 0)
                snprintf(msg, cap,
                         "invalid fact name '%s': a segment must start with a "
                         "letter or '_', or be a record index followed by a field (sla.0.cir; "
                         "no leading zeros)",
                         facts_show(shown, sizeof shown, name, len));
            else if (seg_start && c >= '0' && c <= '9')
                snprintf(msg, cap,
                         "invalid fact name '%s': a segment must start "
                         "with a letter or '_'",
                         facts_show(shown, sizeof shown, name, len));
            else if (u >= 0x21 && u < 0x7f)
                snprintf(msg, cap,
                         "invalid fact name '%s': '%c' is not allowed "
                         "(letters, digits, '_' and '.' are)",
                         facts_show(shown, sizeof shown, name, len), c);
            else
                snprintf(msg, cap,
                         "invalid fact name '%s': byte 0x%02x is not allowed "
                         "(letters, digits, '_' and '.' are)",
                         facts_show(shown, sizeof shown, name, len), u);
            return false;
        }
    }
    if (seg_start) {
        snprintf(msg, cap, "invalid fact name '%s': empty segment",
                 facts_show(shown, sizeof shown, name, len));
        return false;
    }
    return true;
}

/* The message for a byte no value may hold, or NULL when it is fine. */
static void bad_byte(char *msg, size_t cap, unsigned char c)
{
    if (c == 0)
        snprintf(msg, cap, "NUL byte");
    else if (c >= 0x80)
        snprintf(msg, cap, "non-ASCII byte 0x%02x", c);
    else
        snprintf(msg, cap, "control character 0x%02x", c);
}

bool facts_valid_value(const char *value, size_t len, char *msg, size_t cap)
{
    if (len > DC_MAX_VALUE) {
        snprintf(msg, cap, "value is %zu bytes, longer than %d bytes (the limit)", len,
                 DC_MAX_VALUE);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!has_class(value[i], K_VALUE)) {
            char what[64];
            bad_byte(what, sizeof what, (unsigned char)value[i]);
            snprintf(msg, cap, "%s in value", what);
            return false;
        }
    }
    return true;
}

dc_status facts_bytes_error(const char *file, uint32_t line, size_t col, char at, dc_error *err)
{
    char what[64];
    bad_byte(what, sizeof what, (unsigned char)at);
    return dc_error_set(err, DC_ERR_FACTS, "%s:%u:%zu: %s (facts files are ASCII text)", file,
                        line, col, what);
}

bool facts_check_bytes(const char *file, const char *text, size_t len, dc_error *err)
{
    const char *end = text + len, *next;
    uint32_t line = 1;
    for (const char *s = text; s < end; s = next, line++)
        if (!line_end(s, end, &next)) {
            facts_bytes_error(file, line, (size_t)(next - s) + 1, *next, err);
            return false;
        }
    return true;
}

/* ------------------------------------------------------------- adding */

/* `size` bytes in f's pool: a new block twice the last one's size (at
 * least 64 bytes and `size`) when the newest is full.  NULL when out of
 * memory (f unchanged). */
static char *pool_take(dc_facts *f, size_t size)
{
    if (size <= f->spare_len) {
        char *at = f->spare;
        f->spare += size;
        f->spare_len -= size;
        return at;
    }
    return chunk_take(f->alloc, &f->pool, &f->pool_used, 64, size);
}

/* The checks of a fact before it is added, in this order: its arguments,
 * its name, its value (trimmed here, as it is kept).  DC_OK, or the
 * error. */
static dc_status check_fact(const char *file, uint32_t line, uint32_t col, const char *name,
                            size_t name_len, const char **value, size_t *value_len,
                            bool name_known, dc_error *err)
{
    char pre[512], msg[512], shown[256];
    if (!name || (!*value && *value_len))
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_add: NULL argument");
    if (!*value)
        *value = "";
    facts_trim(value, value_len);
    if (!name_known && !facts_valid_name(name, name_len, msg, sizeof msg))
        return dc_error_set(err, name_len > DC_MAX_NAME ? DC_ERR_LIMIT : DC_ERR_FACTS, "%s%s",
                            where(pre, sizeof pre, file, line, col), msg);
    /* the common case, a value of printable bytes, without a call */
    size_t i = 0;
    if (*value_len <= DC_MAX_VALUE)
        while (i < *value_len && has_class((*value)[i], K_VALUE))
            i++;
    if (i < *value_len && !facts_valid_value(*value, *value_len, msg, sizeof msg))
        return dc_error_set(err, *value_len > DC_MAX_VALUE ? DC_ERR_LIMIT : DC_ERR_FACTS,
                            "%sfact '%s': %s", where(pre, sizeof pre, file, line, col),
                            facts_show(shown, sizeof shown, name, name_len), msg);
    return DC_OK;
}

/* The errors after the checks: a name there already, one fact too many. */
static dc_status duplicate(const char *file, uint32_t line, uint32_t col, const char *name,
                           size_t name_len, dc_error *err)
{
    char pre[512];
    return dc_error_set(err, DC_ERR_FACTS, "%sduplicate fact '%.*s'",
                        where(pre, sizeof pre, file, line, col), (int)name_len, name);
}

static dc_status too_many(const char *file, uint32_t line, uint32_t col, dc_error *err)
{
    char pre[512];
    return dc_error_set(err, DC_ERR_LIMIT, "%smore than %d facts (the limit per device)",
                        where(pre, sizeof pre, file, line, col), DC_MAX_FACTS);
}

dc_status facts_add_at(dc_facts *f, const char *file, uint32_t line, uint32_t col,
                       const char *name, size_t name_len, const char *value, size_t value_len,
                       dc_error *err)
{
    if (!f)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_add: NULL argument");
    dc_status st = check_fact(file, line, col, name, name_len, &value, &value_len, false, err);
    if (st != DC_OK)
        return st;
    bool found;
    uint32_t at = lower_bound(f, name, name_len, &found);
    if (found)
        return duplicate(file, line, col, name, name_len, err);
    if (f->n >= DC_MAX_FACTS)
        return too_many(file, line, col, err);
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 8;
        if (cap > DC_MAX_FACTS)
            cap = DC_MAX_FACTS;
        fact *items;
        if (f->items_inline) {
            /* a parsed text's array is part of the dc_facts: copy it out */
            items = mem_array(f->alloc, cap, sizeof *items);
            if (items && f->n)
                memcpy(items, f->items, f->n * sizeof *items);
        } else {
            items = mem_grow(f->alloc, f->items, cap, sizeof *items);
        }
        if (!items)
            return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
        f->items = items;
        f->items_inline = false;
        f->cap = cap;
    }
    char *block = pool_take(f, name_len + value_len + 2);
    if (!block)
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    memcpy(block, name, name_len);
    block[name_len] = '\0';
    if (value_len)
        memcpy(block + name_len + 1, value, value_len);
    block[name_len + 1 + value_len] = '\0';
    if (at < f->n)
        memmove(&f->items[at + 1], &f->items[at], (f->n - at) * sizeof *f->items);
    f->items[at] =
        (fact){ block, block + name_len + 1, (uint32_t)name_len, (uint32_t)value_len };
    f->n++;
    return DC_OK;
}

/* ------------------------------------------------------ adding in bulk */

/* The batch keeps every name it has taken, valid, in a table that lasts
 * from one device to the next: a name seen before is found there (its
 * hash and bytes), not checked again, and is a duplicate when it was
 * added in this device's generation. */
enum { BATCH_SLOTS = 64, BATCH_SPARE = 24 /* bytes of text for each fact of room */ };

void facts_batch_init(facts_batch *b, const dc_alloc *alloc)
{
    memset(b, 0, sizeof *b);
    b->alloc = alloc;
    b->gen = 1;
}

void facts_batch_release(facts_batch *b)
{
    mem_free(b->alloc, b->items);
    mem_free(b->alloc, b->text);
    mem_free(b->alloc, b->known);
    names_release(b->names);
    mem_free(b->alloc, b->last_ids);
    mem_free(b->alloc, b->last_order);
    facts_batch_init(b, b->alloc);
}

void facts_batch_clear(facts_batch *b)
{
    b->n = 0;
    b->used = 0;
    if (++b->gen == 0) { /* after 2^32 devices: no name is this generation's */
        for (uint32_t i = 0; i < b->nslots; i++)
            b->known[i].gen = 0;
        b->gen = 1;
    }
}

/* A name's hash: its length and three of its words (the first, the middle
 * and the last eight bytes), enough to tell a device's names apart. */
static uint32_t name_hash(const char *s, size_t n)
{
    uint64_t a = 0, m = 0, z = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&m, s + n / 2 - 4, 8);
        memcpy(&z, s + n - 8, 8);
    } else {
        memcpy(&a, s, n);
    }
    uint64_t h = (a * 0x9e3779b97f4a7c15u) ^ (m * 0xc2b2ae3d27d4eb4fu) ^
                 (z * 0x165667b19e3779f9u) ^ (uint64_t)n;
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* The first eight bytes of a name, big-endian, zeros after its end: in
 * the order of facts_name_cmp where they differ. */
static uint64_t name_key(const char *s, size_t n)
{
    uint64_t k = 0;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 8) {
        memcpy(&k, s, 8);
        return __builtin_bswap64(k);
    }
#endif
    for (size_t i = 0; i < 8; i++)
        k = k << 8 | (i < n ? (unsigned char)s[i] : 0);
    return k;
}

/* The entry of the table holding `name`, or the empty one where it would
 * go (len 0: no valid name is empty). */
static facts_known *known_slot(const facts_batch *b, const char *name, size_t len,
                               uint32_t hash)
{
    uint32_t mask = b->nslots - 1;
    for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
        facts_known *k = &b->known[i];
        if (!k->len || (k->hash == hash && k->len == len && !memcmp(k->name, name, len)))
            return k;
    }
}

/* `size` bytes of the shared names, in a new block twice the last one's
 * size when the newest is full; NULL when out of memory. */
static char *names_take(facts_batch *b, size_t size)
{
    facts_names *s = b->names;
    if (!s) {
        if (!(s = mem_alloc(b->alloc, sizeof *s)))
            return NULL;
        atomic_init(&s->refs, 1); /* the batch's */
        s->alloc = b->alloc;
        s->blocks = NULL;
        b->names = s;
        b->names_used = 0;
    }
    return chunk_take(b->alloc, &s->blocks, &b->names_used, 2048, size);
}

/* Room for one more name in the table (at most half full); false when
 * out of memory. */
static bool known_room(facts_batch *b)
{
    if (2 * (b->nknown + 1) <= b->nslots)
        return true;
    uint32_t nslots = b->nslots ? b->nslots * 2 : BATCH_SLOTS;
    facts_known *old = b->known, *known = mem_array(b->alloc, nslots, sizeof *known);
    if (!known)
        return false;
    memset(known, 0, nslots * sizeof *known);
    uint32_t n = b->nslots;
    b->known = known;
    b->nslots = nslots;
    for (uint32_t i = 0; i < n; i++)
        if (old[i].len)
            *known_slot(b, old[i].name, old[i].len, old[i].hash) = old[i];
    mem_free(b->alloc, old);
    return true;
}

/* Room for one more fact of `bytes` bytes of text; false when out of
 * memory. */
static bool batch_room(facts_batch *b, size_t bytes)
{
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 32;
        facts_staged *items = mem_grow(b->alloc, b->items, cap, sizeof *items);
        if (!items)
            return false;
        b->items = items;
        b->cap = cap;
    }
    if (b->used + bytes > b->text_cap) {
        size_t cap = b->text_cap ? b->text_cap : 1024;
        while (cap < b->used + bytes)
            cap *= 2;
        char *text = mem_grow(b->alloc, b->text, cap, 1);
        if (!text)
            return false;
        b->text = text;
        b->text_cap = cap;
    }
    return true;
}

dc_status facts_batch_add(facts_batch *b, const char *file, uint32_t line, uint32_t col,
                          const char *name, size_t name_len, const char *value,
                          size_t value_len, dc_error *err)
{
    uint32_t hash = name ? name_hash(name, name_len) : 0;
    facts_known *k = name && name_len && b->nslots ? known_slot(b, name, name_len, hash) : NULL;
    bool known = k && k->len; /* seen before: a valid name */
    size_t i = 0;
    if (known && value) { /* the common case without a call: printable bytes */
        facts_trim(&value, &value_len);
        if (value_len <= DC_MAX_VALUE)
            while (i < value_len && has_class(value[i], K_VALUE))
                i++;
    }
    if (!known || !value || i < value_len) {
        dc_status st =
            check_fact(file, line, col, name, name_len, &value, &value_len, known, err);
        if (st != DC_OK)
            return st;
    }
    if (known && k->gen == b->gen)
        return duplicate(file, line, col, name, name_len, err);
    if (b->n >= DC_MAX_FACTS)
        return too_many(file, line, col, err);
    if (!batch_room(b, value_len + 1))
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    if (!known) {
        char *copy = known_room(b) ? names_take(b, name_len + 1) : NULL;
        if (!copy)
            return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
        memcpy(copy, name, name_len);
        copy[name_len] = '\0';
        k = known_slot(b, name, name_len, hash);
        *k = (facts_known){ hash, (uint32_t)name_len, copy, b->nknown, 0, 0 };
        b->nknown++;
    }
    k->gen = b->gen;
    k->item = b->n;
    char *at = b->text + b->used;
    if (value_len)
        memcpy(at, value, value_len);
    at[value_len] = '\0';
    b->items[b->n++] = (facts_staged){ name_key(name, name_len), k->name,
                                       (uint32_t)name_len,       (uint32_t)b->used,
                                       (uint32_t)value_len,      k->id };
    b->used += value_len + 1;
    return DC_OK;
}

const char *facts_batch_lookup(const facts_batch *b, const char *name)
{
    size_t len = strlen(name);
    if (!b->n || !len)
        return NULL;
    const facts_known *k = known_slot(b, name, len, name_hash(name, len));
    return k->len && k->gen == b->gen ? b->text + b->items[k->item].value_at : NULL;
}

/* Does staged fact x sort before y? */
static bool staged_before(const facts_batch *b, const facts_staged *x, const facts_staged *y)
{
    if (x->key != y->key)
        return x->key < y->key;
    (void)b;
    return facts_name_cmp(x->name, x->name_len, y->name, y->name_len) < 0;
}

/* The order of the staged facts by name, into b->last_order.  Devices of
 * one kind have the same names added in the same order: when this one's
 * are the last one's, the last order stands; otherwise an insertion sort
 * (a few dozen facts), remembered.  False when out of memory. */
static bool batch_sort(facts_batch *b)
{
    uint32_t n = b->n, i = 0;
    if (n == b->last_n)
        while (i < n && b->items[i].id == b->last_ids[i])
            i++;
    if (i == n && n == b->last_n)
        return true;
    if (n > b->last_cap) {
        uint32_t *ids = mem_grow(b->alloc, b->last_ids, n, sizeof *ids);
        if (ids)
            b->last_ids = ids;
        uint32_t *order = ids ? mem_grow(b->alloc, b->last_order, n, sizeof *order) : NULL;
        if (!order)
            return false;
        b->last_order = order;
        b->last_cap = n;
    }
    uint32_t *order = b->last_order;
    for (i = 0; i < n; i++) {
        b->last_ids[i] = b->items[i].id;
        uint32_t j = i;
        for (; j && staged_before(b, &b->items[i], &b->items[order[j - 1]]); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    b->last_n = n;
    return true;
}

dc_status facts_batch_take(facts_batch *b, uint32_t room, dc_facts **out, dc_error *err)
{
    *out = NULL;
    uint32_t n = b->n, cap = n + room > DC_MAX_FACTS ? DC_MAX_FACTS : n + room;
    if (cap < n)
        cap = n;
    if (!batch_sort(b))
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    size_t head = (sizeof(dc_facts) + 7) & ~(size_t)7, items = cap * sizeof(fact);
    size_t spare = (size_t)(cap - n) * BATCH_SPARE;
    char *block = mem_alloc(b->alloc, head + items + b->used + spare);
    if (!block)
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    dc_facts *f = (dc_facts *)block;
    char *copy = block + head + items;
    *f = (dc_facts){ .alloc = b->alloc,
                     .items = (fact *)(block + head),
                     .n = n,
                     .cap = cap,
                     .nshared = n,
                     .items_inline = true,
                     .strings = copy,
                     .strings_len = b->used,
                     .spare = copy + b->used,
                     .spare_len = spare };
    if (b->used)
        memcpy(copy, b->text, b->used);
    for (uint32_t i = 0; i < n; i++) {
        const facts_staged *x = &b->items[b->last_order[i]];
        f->items[i] = (fact){ (char *)x->name, copy + x->value_at, x->name_len, x->value_len };
    }
    if (n) {
        atomic_fetch_add(&b->names->refs, 1);
        f->names = b->names;
    }
    facts_batch_clear(b);
    *out = f;
    return DC_OK;
}

dc_status facts_add_n(dc_facts *f, const char *file, const char *name, size_t name_len,
                      const char *value, size_t value_len, dc_error *err)
{
    return facts_add_at(f, file, 0, 0, name, name_len, value, value_len, err);
}

dc_status dc_facts_add(dc_facts *f, const char *name, const char *value, size_t value_len,
                       dc_error *err)
{
    if (!name)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_add: NULL name");
    return facts_add_at(f, NULL, 0, 0, name, strlen(name), value, value_len, err);
}
