/* facts_yaml_flat.c -- the common shapes of an inventory read without
 * libyaml (docs/performance.md, "compatc match").
 *
 * The shapes compatc's users, the importers and the bench write: a YAML
 * block sequence at the first column of flat mappings, one `key: value` a
 * line, plain scalars,
 *
 *   - id: gpu0
 *     device_api: vfio-pci
 *     aggregator: 1
 *
 * or a JSON list of flat objects of strings and digits (blanks between
 * tokens spaces and newlines, a blank after each ':'),
 *
 *   [{"id": "gpu0", "device_api": "vfio-pci", "aggregator": 1}, ...]
 *
 * Such a file is read in one scan, each device's facts through the
 * key=value reader (its `key=value` lines built from the mapping's), and
 * handed on only when the whole file is of the shape: then libyaml's
 * reading (facts_yaml.c) gives exactly these ids and facts, a scalar being
 * its text.  Anything else -- a comment, a blank line, a quote or an
 * escape, a flow collection in YAML, a null, a tab, a CR, a key twice, a
 * value the key=value reader refuses -- and the caller reads the file with
 * libyaml, which reports every error: this reader reports none of its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "facts.h"
#include "facts_chars.h"
#include "limits.h"

/* Keys one device may have here (more: libyaml's way, and its limits). */
#define FLAT_MAX_KEYS 64

/* Byte classes of the shape: a key's bytes; a value's first byte (none
 * that YAML gives a meaning at a scalar's start: - ? : , [ ] { } # & * ! |
 * > ' " % @ `); a value's other bytes (no blank, no '#'). */
enum { F_KEY = 1, F_FIRST = 2, F_VALUE = 4 };

#define F_ALNUM(c)                                                                             \
    (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9'))
#define F_OF(c)                                                                                \
    (uint8_t)((F_ALNUM(c) || (c) == '_' || (c) == '.' || (c) == '-' ? F_KEY : 0) |             \
              (F_ALNUM(c) || (c) == '_' || (c) == '.' || (c) == '/' ? F_FIRST : 0) |           \
              (F_ALNUM(c) || (c) == '_' || (c) == '.' || (c) == '/' || (c) == '-' ||           \
                       (c) == '+' || (c) == ':' || (c) == '=' || (c) == ','                    \
                   ? F_VALUE                                                                   \
                   : 0))
#define F_4(c)  F_OF(c), F_OF((c) + 1), F_OF((c) + 2), F_OF((c) + 3)
#define F_16(c) F_4(c), F_4((c) + 4), F_4((c) + 8), F_4((c) + 12)
#define F_64(c) F_16(c), F_16((c) + 16), F_16((c) + 32), F_16((c) + 48)

static const uint8_t fclass[256] = { F_64(0), F_64(64), F_64(128), F_64(192) };

static inline bool in_class(char c, unsigned k)
{
    return fclass[(unsigned char)c] & k;
}

/* A device read, not yet handed on. */
typedef struct flat_entry {
    const char *id;
    uint32_t id_len, line;
    dc_facts *facts;
} flat_entry;

typedef struct flat {
    const dc_alloc *alloc;
    flat_entry *e;
    size_t n, cap;
    char *kv; /* the device's key=value text being built */
    size_t kv_len, kv_cap;
} flat;

/* One `key: value` at p (the line's end at most `end`): the key and value,
 * and where the next line starts; false when it is not of the shape. */
static bool flat_pair(const char *p, const char *end, const char **key, size_t *klen,
                      const char **val, size_t *vlen, const char **next)
{
    const char *k = p;
    if (p == end || !is_name_start(*p))
        return false;
    while (p < end && in_class(*p, F_KEY))
        p++;
    *key = k;
    *klen = (size_t)(p - k);
    if (end - p < 3 || p[0] != ':' || p[1] != ' ' || !in_class(p[2], F_FIRST))
        return false;
    const char *v = p += 2;
    while (p < end && in_class(*p, F_VALUE))
        p++;
    if (p < end && *p != '\n')
        return false;
    *val = v;
    *vlen = (size_t)(p - v);
    *next = p < end ? p + 1 : end;
    /* a value ending in ':' is a key; these are nulls */
    if (p[-1] == ':' || (*vlen == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) ||
                                        !memcmp(v, "NULL", 4))))
        return false;
    return true;
}

/* Append "key=value\n" to the device's key=value text. */
static bool kv_append(flat *fl, const char *key, size_t klen, const char *val, size_t vlen)
{
    size_t need = fl->kv_len + klen + vlen + 2;
    if (need > fl->kv_cap) {
        size_t cap = fl->kv_cap ? fl->kv_cap : 1024;
        while (cap < need)
            cap *= 2;
        char *b = mem_grow(fl->alloc, fl->kv, cap, 1);
        if (!b)
            return false;
        fl->kv = b;
        fl->kv_cap = cap;
    }
    char *o = fl->kv + fl->kv_len;
    memcpy(o, key, klen);
    o[klen] = '=';
    memcpy(o + klen + 1, val, vlen);
    o[klen + 1 + vlen] = '\n';
    fl->kv_len = need;
    return true;
}

/* A key and its value, of the device x being read. */
static bool flat_take(flat *fl, flat_entry *x, unsigned *keys, const char *key, size_t klen,
                      const char *val, size_t vlen)
{
    if (++*keys > FLAT_MAX_KEYS)
        return false;
    if (klen == 2 && key[0] == 'i' && key[1] == 'd') {
        if (x->id)
            return false; /* twice: libyaml's error */
        x->id = val;
        x->id_len = (uint32_t)vlen;
        return true;
    }
    if (klen == 4 && (!memcmp(key, "self", 4) || !memcmp(key, "SELF", 4)))
        return false;
    return kv_append(fl, key, klen, val, vlen);
}

/* The device x read whole: its facts from its key=value text. */
static bool flat_push(flat *fl, const char *file, flat_entry *x)
{
    if (!x->id)
        return false;
    if (fl->n == fl->cap) {
        size_t cap = fl->cap ? fl->cap * 2 : 256;
        flat_entry *e = mem_grow(fl->alloc, fl->e, cap, sizeof *e);
        if (!e)
            return false;
        fl->e = e;
        fl->cap = cap;
    }
    if (facts_parse_text_ex(fl->alloc, file, fl->kv, fl->kv_len, &x->facts, NULL) != DC_OK)
        return false;
    fl->e[fl->n++] = *x;
    return true;
}

/* The device whose "- " line starts at s: its id and facts into fl->e;
 * *next where the next one starts.  false when it is not of the shape. */
static bool flat_entry_read(flat *fl, const char *file, const char *s, const char *end,
                            uint32_t *line, const char **next)
{
    flat_entry x = { NULL, 0, *line, NULL };
    unsigned keys = 0;
    fl->kv_len = 0;
    const char *p = s + 2; /* after "- " */
    for (;;) {
        const char *key, *val;
        size_t klen, vlen;
        if (!flat_pair(p, end, &key, &klen, &val, &vlen, &p) ||
            !flat_take(fl, &x, &keys, key, klen, val, vlen))
            return false;
        ++*line;
        if (end - p < 3 || p[0] != ' ' || p[1] != ' ')
            break;
        p += 2;
    }
    if (p < end && (end - p < 2 || p[0] != '-' || p[1] != ' '))
        return false;
    *next = p;
    return flat_push(fl, file, &x);
}

/* ------------------------------------------------------------- JSON */

/* JSON's blanks between tokens, of the shape: spaces and newlines. */
static const char *json_blanks(const char *p, const char *end, uint32_t *line)
{
    for (; p < end && (*p == ' ' || *p == '\n'); p++)
        *line += *p == '\n';
    return p;
}

/* A string at p of the shape, its bytes of class `k` but neither first nor
 * last a space (libyaml keeps those, the key=value reader trims them), or
 * a key's (a name's bytes), or with `digits` a number of digits alone (a
 * plain scalar: its text): [*s, *s + *n); NULL when it is none. */
static const char *json_scalar(const char *p, const char *end, bool key, bool digits,
                               const char **s, size_t *n)
{
    const char *b = p;
    if (digits && p < end && *p >= '0' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        *s = b;
        *n = (size_t)(p - b);
        return p;
    }
    if (p == end || *p != '"')
        return NULL;
    b = ++p;
    if (key) {
        if (p == end || !is_name_start(*p))
            return NULL;
        while (p < end && in_class(*p, F_KEY))
            p++;
    } else {
        while (p < end && (in_class(*p, F_VALUE) || *p == ' '))
            p++;
        if (p == b || *b == ' ' || p[-1] == ' ')
            return NULL;
    }
    if (p == end || *p != '"')
        return NULL;
    *s = b;
    *n = (size_t)(p - b);
    return p + 1;
}

/* The object at p ('{'): a device; *next after its '}'. */
static bool json_entry_read(flat *fl, const char *file, const char *p, const char *end,
                            uint32_t *line, const char **next)
{
    flat_entry x = { NULL, 0, *line, NULL };
    unsigned keys = 0;
    fl->kv_len = 0;
    p++;
    for (;;) {
        const char *key, *val;
        size_t klen, vlen;
        p = json_blanks(p, end, line);
        if (!(p = json_scalar(p, end, true, false, &key, &klen)) || end - p < 2 || *p != ':' ||
            (p[1] != ' ' && p[1] != '\n'))
            return false;
        p = json_blanks(p + 1, end, line);
        if (!(p = json_scalar(p, end, false, true, &val, &vlen)) ||
            !flat_take(fl, &x, &keys, key, klen, val, vlen))
            return false;
        p = json_blanks(p, end, line);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p == end || *p != '}')
            return false;
        *next = p + 1;
        return flat_push(fl, file, &x);
    }
}

/* `[ {...}, ... ]`, a list of flat objects of strings and digits. */
static bool json_read(flat *fl, const char *file, const char *p, const char *end)
{
    uint32_t line = 1;
    p = json_blanks(p, end, &line);
    if (p == end || *p++ != '[')
        return false;
    for (;;) {
        p = json_blanks(p, end, &line);
        if (p == end || *p != '{' || !json_entry_read(fl, file, p, end, &line, &p))
            return false;
        p = json_blanks(p, end, &line);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p == end || *p != ']')
            return false;
        return json_blanks(p + 1, end, &line) == end;
    }
}

bool facts_yaml_flat(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                     facts_entry_fn fn, void *ctx, dc_status *st, dc_error *err)
{
    const char *s = text, *end = text + len;
    flat fl = { alloc, NULL, 0, 0, NULL, 0, 0 };
    uint32_t line = 1;
    bool whole;
    if (len >= 2 && s[0] == '-' && s[1] == ' ') {
        whole = true;
        while (whole && s < end)
            whole = flat_entry_read(&fl, file, s, end, &line, &s);
    } else {
        whole = json_read(&fl, file, s, end);
    }
    mem_free(alloc, fl.kv);
    /* the whole file is of the shape: hand the devices on, in order */
    size_t i = 0;
    *st = DC_OK;
    for (; whole && i < fl.n && *st == DC_OK; i++)
        *st = fn(ctx, fl.e[i].id, fl.e[i].id_len, fl.e[i].facts, i, fl.e[i].line, err);
    for (; i < fl.n; i++)
        dc_facts_free(fl.e[i].facts);
    mem_free(alloc, fl.e);
    return whole;
}
