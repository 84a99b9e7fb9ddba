/* facts.c -- the dc_facts type, its validation, key=value text, files.
 *
 * A dc_facts is an array of facts kept sorted by name, so lookups are a
 * binary search and readers that produce sorted input append in O(1).  A
 * fact added alone is one allocation, "name\0value\0"; the facts of a
 * key=value text are all in one, with the dc_facts itself (facts.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "facts.h"
#include "limits.h"

/* ------------------------------------------------------------ helpers */

/* Byte classes (SPEC 1): a name's segment starts with K_START and goes on
 * with K_WORD; a facts file holds K_TEXT and line ends; a value K_VALUE. */
enum {
    K_START = 1 << 0,   /* A-Z a-z _ */
    K_WORD = 1 << 1,    /* A-Z a-z _ 0-9 */
    K_BLANK = 1 << 2,   /* space, tab */
    K_TEXT = 1 << 3,    /* printable ASCII and tab */
    K_VALUE = 1 << 4,   /* K_TEXT and newline */
    K_PLAIN = 1 << 5    /* K_START but S, P and C: no header starts so */
};

#define K_ALPHA(c) (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z') || (c) == '_')
#define K_OF(c)                                                                   \
    (uint8_t)((K_ALPHA(c) ? K_START | K_WORD : 0) |                               \
              ((c) >= '0' && (c) <= '9' ? K_WORD : 0) |                           \
              ((c) == ' ' || (c) == '\t' ? K_BLANK : 0) |                          \
              (((c) >= 0x20 && (c) < 0x7f) || (c) == '\t' ? K_TEXT | K_VALUE : 0) | \
              ((c) == '\n' ? K_VALUE : 0) |                                        \
              (K_ALPHA(c) && (c) != 'S' && (c) != 'P' && (c) != 'C' ? K_PLAIN : 0))
#define K_4(c) K_OF(c), K_OF((c) + 1), K_OF((c) + 2), K_OF((c) + 3)
#define K_16(c) K_4(c), K_4((c) + 4), K_4((c) + 8), K_4((c) + 12)
#define K_64(c) K_16(c), K_16((c) + 16), K_16((c) + 32), K_16((c) + 48)

static const uint8_t kclass[256] = { K_64(0), K_64(64), K_64(128), K_64(192) };

static bool has_class(char c, unsigned k)
{
    return kclass[(unsigned char)c] & k;
}

static bool is_blank(char c)
{
    return has_class(c, K_BLANK);
}

static bool is_name_start(char c)
{
    return has_class(c, K_START);
}

static bool is_name_char(char c)
{
    return has_class(c, K_WORD);
}

/* Is [s, s+n) a valid fact name (SPEC 1)?  facts_valid_name says why not. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > DC_MAX_NAME || !is_name_start(s[0]))
        return false;
    for (size_t i = 1; i < n; i++) {
        if (is_name_char(s[i]))
            continue;
        if (s[i] != '.' || i + 1 == n || !is_name_start(s[i + 1]))
            return false;
        i++;
    }
    return true;
}

/* Copy at most 48 bytes of s into dst, printable, for an error message. */
static const char *show(char *dst, size_t cap, const char *s, size_t n)
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
static const char *where(char *buf, size_t cap, const char *file, uint32_t line,
                         uint32_t col)
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

dc_facts *dc_facts_new_ex(const dc_alloc *alloc)
{
    dc_facts *f = mem_zalloc(alloc, sizeof *f);
    if (f)
        f->alloc = alloc;
    return f;
}

dc_facts *dc_facts_new(void)
{
    return dc_facts_new_ex(NULL);
}

/* Are x's strings part of f's own allocation (a parsed text's)? */
static bool fact_shared(const dc_facts *f, const fact *x)
{
    return (uintptr_t)x->name - (uintptr_t)f->strings < f->strings_len;
}

void dc_facts_free(dc_facts *f)
{
    if (!f)
        return;
    if (f->n > f->nshared)
        for (uint32_t i = 0; i < f->n; i++)
            if (!fact_shared(f, &f->items[i]))
                mem_free(f->alloc, f->items[i].name);
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
    *found = lo < f->n &&
             facts_name_cmp(name, len, f->items[lo].name, f->items[lo].name_len) == 0;
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

const char *dc_facts_get(const dc_facts *f, const char *name)
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
                 show(shown, sizeof shown, name, len), DC_MAX_NAME);
        return false;
    }
    bool seg_start = true;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.') {
            if (seg_start) {
                snprintf(msg, cap, "invalid fact name '%s': empty segment",
                         show(shown, sizeof shown, name, len));
                return false;
            }
            seg_start = true;
        } else if (seg_start ? is_name_start(c) : is_name_char(c)) {
            seg_start = false;
        } else {
            unsigned char u = (unsigned char)c;
            if (seg_start && c >= '0' && c <= '9')
                snprintf(msg, cap, "invalid fact name '%s': a segment must start "
                         "with a letter or '_'", show(shown, sizeof shown, name, len));
            else if (u >= 0x21 && u < 0x7f)
                snprintf(msg, cap, "invalid fact name '%s': '%c' is not allowed "
                         "(letters, digits, '_' and '.' are)",
                         show(shown, sizeof shown, name, len), c);
            else
                snprintf(msg, cap, "invalid fact name '%s': byte 0x%02x is not allowed "
                         "(letters, digits, '_' and '.' are)",
                         show(shown, sizeof shown, name, len), u);
            return false;
        }
    }
    if (seg_start) {
        snprintf(msg, cap, "invalid fact name '%s': empty segment",
                 show(shown, sizeof shown, name, len));
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
        snprintf(msg, cap, "value is %zu bytes, longer than %d bytes (the limit)",
                 len, DC_MAX_VALUE);
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

void facts_trim(const char **p, size_t *n)
{
    const char *s = *p;
    size_t len = *n;
    while (len && (is_blank(*s) || *s == '\n' || *s == '\r')) {
        s++;
        len--;
    }
    while (len && (is_blank(s[len - 1]) || s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    *p = s;
    *n = len;
}

/* The index of the lowest bit set in m (not 0). */
static unsigned lowest_bit(uint64_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(m);
#else
    unsigned b = 0;
    for (; !(m & 1); m >>= 1)
        b++;
    return b;
#endif
}

/* The first byte from p on (before end) that is not K_TEXT: a line end or
 * a byte no facts file may hold.  Eight bytes at a time: a word with a byte
 * below 0x20 (a tab too) or above 0x7e flags it, and where the order of
 * the bytes in a word is known, the lowest flag is the first such byte
 * (what the word arithmetic carries or borrows only flags bytes after). */
static inline const char *text_span(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101u, highs = ones * 0x80;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t flags = (((w - ones * 0x20) & ~w) | (w + ones) | w) & highs;
        if (flags) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            const char *e = p + lowest_bit(flags) / 8;
            if (!has_class(*e, K_TEXT))
                return e;
            p = e;      /* a tab: byte by byte */
#endif
            break;
        }
        p += 8;
    }
    while (p < end && has_class(*p, K_TEXT))
        p++;
    return p;
}

/* The end of the run of K_WORD bytes at q. */
static inline const char *word_run(const char *q, const char *end)
{
    for (; end - q >= 4; q += 4) {
        if (!is_name_char(q[0]))
            return q;
        if (!is_name_char(q[1]))
            return q + 1;
        if (!is_name_char(q[2]))
            return q + 2;
        if (!is_name_char(q[3]))
            return q + 3;
    }
    while (q < end && is_name_char(*q))
        q++;
    return q;
}

/* The end of the line at s: its '\n', its "\r\n" or the end of the text.
 * *next is where the next line starts.  NULL when a byte no facts file may
 * hold comes first: *next is then that byte. */
static const char *line_end(const char *s, const char *end, const char **next)
{
    const char *e = text_span(s, end);
    if (e == end) {
        *next = end;
        return e;
    }
    if (*e == '\n' || (*e == '\r' && e + 1 < end && e[1] == '\n')) {
        *next = e + (*e == '\r' ? 2 : 1);
        return e;
    }
    *next = e;
    return NULL;
}

/* The error for the byte at `at`, column col of `line`. */
static dc_status bytes_error(const char *file, uint32_t line, size_t col, char at, dc_error *err)
{
    char what[64];
    bad_byte(what, sizeof what, (unsigned char)at);
    return dc_error_set(err, DC_ERR_FACTS, "%s:%u:%zu: %s (facts files are ASCII text)",
                        file, line, col, what);
}

bool facts_check_bytes(const char *file, const char *text, size_t len, dc_error *err)
{
    const char *end = text + len, *next;
    uint32_t line = 1;
    for (const char *s = text; s < end; s = next, line++)
        if (!line_end(s, end, &next)) {
            bytes_error(file, line, (size_t)(next - s) + 1, *next, err);
            return false;
        }
    return true;
}

/* ------------------------------------------------------------- adding */

dc_status facts_add_at(dc_facts *f, const char *file, uint32_t line, uint32_t col,
                       const char *name, size_t name_len, const char *value,
                       size_t value_len, dc_error *err)
{
    char pre[512], msg[512], shown[256];
    if (!f || !name || (!value && value_len))
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_add: NULL argument");
    if (!value)
        value = "";
    facts_trim(&value, &value_len);
    if (!facts_valid_name(name, name_len, msg, sizeof msg))
        return dc_error_set(err, name_len > DC_MAX_NAME ? DC_ERR_LIMIT : DC_ERR_FACTS,
                            "%s%s", where(pre, sizeof pre, file, line, col), msg);
    if (!facts_valid_value(value, value_len, msg, sizeof msg))
        return dc_error_set(err, value_len > DC_MAX_VALUE ? DC_ERR_LIMIT : DC_ERR_FACTS,
                            "%sfact '%s': %s", where(pre, sizeof pre, file, line, col),
                            show(shown, sizeof shown, name, name_len), msg);
    bool found;
    uint32_t at = lower_bound(f, name, name_len, &found);
    if (found)
        return dc_error_set(err, DC_ERR_FACTS, "%sduplicate fact '%.*s'",
                            where(pre, sizeof pre, file, line, col), (int)name_len, name);
    if (f->n >= DC_MAX_FACTS)
        return dc_error_set(err, DC_ERR_LIMIT, "%smore than %d facts (the limit per device)",
                            where(pre, sizeof pre, file, line, col), DC_MAX_FACTS);
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
    char *block = mem_alloc(f->alloc, name_len + value_len + 2);
    if (!block)
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    memcpy(block, name, name_len);
    block[name_len] = '\0';
    if (value_len)
        memcpy(block + name_len + 1, value, value_len);
    block[name_len + 1 + value_len] = '\0';
    if (at < f->n)
        memmove(&f->items[at + 1], &f->items[at], (f->n - at) * sizeof *f->items);
    f->items[at] = (fact){ block, block + name_len + 1, (uint32_t)name_len,
                           (uint32_t)value_len };
    f->n++;
    return DC_OK;
}

dc_status facts_add_n(dc_facts *f, const char *file, const char *name, size_t name_len,
                      const char *value, size_t value_len, dc_error *err)
{
    return facts_add_at(f, file, 0, 0, name, name_len, value, value_len, err);
}

dc_status dc_facts_add(dc_facts *f, const char *name, const char *value,
                       size_t value_len, dc_error *err)
{
    if (!name)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_add: NULL name");
    return facts_add_at(f, NULL, 0, 0, name, strlen(name), value, value_len, err);
}

/* -------------------------------------------------------------- files */

static void errno_text(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
}

static void size_text(size_t n, char *buf, size_t cap)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(buf, cap, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, cap, "%zu KiB", n >> 10);
    else
        snprintf(buf, cap, "%zu bytes", n);
}

static dc_status open_error(const char *path, int e, dc_error *err)
{
    char text[128];
    struct stat st;
    if (e == ENOENT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char target[512];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
            n = 0;
        target[n] = '\0';
        return dc_error_set(err, DC_ERR_IO, "%s: broken symbolic link (to '%s')", path,
                            target);
    }
    errno_text(e, text, sizeof text);
    return dc_error_set(err, DC_ERR_IO, "%s: %s", path, text);
}

dc_status file_read_all(const dc_alloc *alloc, const char *path, size_t max,
                        char **data, size_t *len, dc_error *err)
{
    char text[128], limit[64];
    if (!path || !data || !len)
        return dc_error_set(err, DC_ERR_INVALID, "file_read_all: NULL argument");
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return open_error(path, errno, err);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno_text(e, text, sizeof text);
        return dc_error_set(err, DC_ERR_IO, "%s: %s", path, text);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return dc_error_set(err, DC_ERR_IO, "%s: is a directory", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return dc_error_set(err, DC_ERR_IO, "%s: not a regular file", path);
    }
    size_text(max, limit, sizeof limit);
    if (st.st_size > 0 && (uintmax_t)st.st_size > max) {
        close(fd);
        return dc_error_set(err, DC_ERR_LIMIT, "%s: larger than %s (the limit)", path, limit);
    }
    /* sysfs reports 4096 for every attribute: read to the end, whatever it says. */
    size_t cap = (size_t)st.st_size + 1;
    if (cap < 256)
        cap = 256;
    if (cap > max + 1)
        cap = max + 1;
    char *buf = mem_alloc(alloc, cap + 1);
    if (!buf) {
        close(fd);
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                mem_free(alloc, buf);
                close(fd);
                return dc_error_set(err, DC_ERR_LIMIT, "%s: larger than %s (the limit)",
                                    path, limit);
            }
            size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
            char *nbuf = mem_grow(alloc, buf, ncap + 1, 1);
            if (!nbuf) {
                mem_free(alloc, buf);
                close(fd);
                return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            mem_free(alloc, buf);
            close(fd);
            errno_text(e, text, sizeof text);
            return dc_error_set(err, DC_ERR_IO, "%s: read error: %s", path, text);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        mem_free(alloc, buf);
        return dc_error_set(err, DC_ERR_LIMIT, "%s: larger than %s (the limit)", path, limit);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return DC_OK;
}

/* ---------------------------------------------------- key=value text */

/*
 * text    := line*
 * line    := blank* ( '#' any* | header | name blank* '=' blank* value )? blank*
 * header  := 'SELF' blank* ':' | 'POLICY' blank* ':' | 'COMPATIBLE' (blank+ name)? blank* ':'
 *            (followed by blanks and an optional '#' comment)
 * value   := '"' (char | '\"' | '\\' | '\n' | '\t')* '"' | any*
 *
 * With a COMPATIBLE header anywhere, the text is a self-describing device's
 * policy (SPEC 2.8): only its SELF block is read, and '#' after a blank
 * outside quotes starts a comment, as in the policy language.
 *
 * One pass reads the lines, checking their bytes as it goes, and notes each
 * fact where it lies in the text; they are then sorted, checked for
 * duplicates and copied into one allocation with the dc_facts.  What the
 * pass cannot know before the end (a COMPATIBLE header further on, a bad
 * byte after the first error: either decides the outcome) is settled so
 * that the error reported is the one a line-by-line reader would report
 * after checking every byte: a bad byte first, then the first error in
 * text order, a duplicate counting as an error on its second line.
 */

enum header { HDR_NONE, HDR_SELF, HDR_POLICY, HDR_COMPATIBLE, HDR_BAD };

/* A fact as it lies in the text.  A quoted value points at its opening
 * quote; value_len is then its length decoded and trimmed. */
typedef struct kv_fact {
    const char *name, *value;
    uint32_t name_len, value_len;
} kv_fact;

typedef struct kv_parser {
    const dc_alloc *alloc;
    const char *file, *text;
    size_t len;
    bool selfdesc;          /* the text has a COMPATIBLE header */
    bool restart;           /* one was found while !selfdesc: read again */
    uint32_t self_line;
    kv_fact *facts;         /* in text order: `small`, or allocated */
    uint32_t n, cap;
    dc_status pending;      /* the first error in text order, its message in */
    dc_error pending_err;   /* pending_err (a duplicate before it comes first) */
    kv_fact small[32];
} kv_parser;

static bool word_at(const char *p, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n >= w && memcmp(p, word, w) == 0 && (n == w || is_blank(p[w]) || p[w] == ':');
}

/* Classify a trimmed, non-empty line. */
static enum header header_of(const char *p, size_t n)
{
    size_t i;
    enum header kind;
    /* only these start a header: the common fact line is settled here */
    if (p[0] != 'S' && p[0] != 'P' && p[0] != 'C')
        return HDR_NONE;
    if (word_at(p, n, "SELF")) {
        kind = HDR_SELF;
        i = 4;
    } else if (word_at(p, n, "POLICY")) {
        kind = HDR_POLICY;
        i = 6;
    } else if (word_at(p, n, "COMPATIBLE")) {
        kind = HDR_COMPATIBLE;
        i = 10;
    } else {
        return HDR_NONE;
    }
    if (memchr(p, '=', n) && !memchr(p, ':', n))
        return HDR_NONE;                    /* SELF = x: a fact named SELF */
    while (i < n && is_blank(p[i]))
        i++;
    if (kind == HDR_COMPATIBLE && i < n && is_name_start(p[i])) {
        while (i < n && is_name_char(p[i]))
            i++;
        while (i < n && is_blank(p[i]))
            i++;
    }
    if (i == n || p[i] != ':')
        return HDR_BAD;
    i++;
    while (i < n && is_blank(p[i]))
        i++;
    return i == n || p[i] == '#' ? kind : HDR_BAD;
}

/* A value the policy language would read as arithmetic (SPEC 2.2 item 4). */
static bool is_expression(const char *v, size_t n)
{
    size_t ops = 0, digits = 0, first_op = n;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (c == '+' || c == '-' || c == '*' || c == '/' || c == '%') {
            if (!ops)
                first_op = i;
            ops++;
        } else if (!(c == '(' || c == ')' || is_blank(c)))
            return false;
    }
    /* "-5" is a negative number written as itself. */
    if (ops == 1 && v[first_op] == '-' && first_op == 0)
        return false;
    return ops > 0 && digits > 0;
}

/* The escape \e of a quoted value decoded, or '\0' when e is none. */
static char unescape(char e)
{
    switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case 'n': return '\n';
    case 't': return '\t';
    default: return '\0';
    }
}

static bool is_trimmed(char c)
{
    return is_blank(c) || c == '\n' || c == '\r';
}

/* Read the quoted value at v (its opening quote) of the line [p, end):
 * *len is its length decoded and trimmed, as facts_add_at trims. */
static dc_status kv_quoted(const kv_parser *kp, uint32_t line, const char *p, const char *v,
                           const char *end, const char *name, size_t name_len, size_t *len,
                           dc_error *err)
{
    const char *file = kp->file;
    size_t o = 0, first = SIZE_MAX, last = 0;
    const char *q = v + 1;
    for (;;) {
        if (q == end)
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u:%zu: missing closing quote in the value of '%.*s'",
                                file, line, (size_t)(v - p) + 1, (int)name_len, name);
        char c = *q++;
        if (c == '"')
            break;
        if (c == '\\') {
            if (q == end)
                return dc_error_set(err, DC_ERR_FACTS,
                                    "%s:%u:%zu: missing closing quote in the value "
                                    "of '%.*s'", file, line, (size_t)(v - p) + 1,
                                    (int)name_len, name);
            if (!(c = unescape(*q)))
                return dc_error_set(err, DC_ERR_FACTS,
                                    "%s:%u:%zu: unknown escape '\\%c' in a quoted value "
                                    "(use \\\" \\\\ \\n or \\t)",
                                    file, line, (size_t)(q - p), *q);
            q++;
        }
        if (!is_trimmed(c)) {
            if (first == SIZE_MAX)
                first = o;
            last = o + 1;
        }
        o++;
    }
    while (q < end && is_blank(*q))
        q++;
    if (q < end && *q != '#')
        return dc_error_set(err, DC_ERR_FACTS,
                            "%s:%u:%zu: unexpected text after the closing quote",
                            file, line, (size_t)(q - p) + 1);
    *len = first == SIZE_MAX ? 0 : last - first;
    return DC_OK;
}

/* Decode the quoted value at v into out: its first len characters after
 * the trimmed ones (kv_quoted has checked it).  out may be v: what is
 * written never overtakes what is read. */
static void kv_unquote(const char *v, char *out, size_t len)
{
    size_t o = 0;
    for (const char *q = v + 1; o < len; q++) {
        char c = *q;
        if (c == '\\')
            c = unescape(*++q);
        if (o || !is_trimmed(c))
            out[o++] = c;
    }
}

/* Note a fact of line `line`: the checks facts_add_at makes on one fact;
 * duplicates are found when the text has been read. */
static dc_status kv_note(kv_parser *kp, uint32_t line, const char *name, size_t name_len,
                         const char *value, size_t value_len, dc_error *err)
{
    char msg[512], shown[256];
    if (value_len > DC_MAX_VALUE) {
        facts_valid_value(value, value_len, msg, sizeof msg);
        return dc_error_set(err, DC_ERR_LIMIT, "%s:%u: fact '%s': %s", kp->file, line,
                            show(shown, sizeof shown, name, name_len), msg);
    }
    if (kp->n == kp->cap) {
        /* one more than the limit: that one may be a duplicate */
        uint32_t cap = kp->cap * 2 > DC_MAX_FACTS + 1 ? DC_MAX_FACTS + 1 : kp->cap * 2;
        kv_fact *facts = kp->facts == kp->small ? mem_array(kp->alloc, cap, sizeof *facts)
                                                : mem_grow(kp->alloc, kp->facts, cap,
                                                           sizeof *facts);
        if (!facts)
            return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", kp->file);
        if (kp->facts == kp->small)
            memcpy(facts, kp->small, sizeof kp->small);
        kp->facts = facts;
        kp->cap = cap;
    }
    kp->facts[kp->n++] = (kv_fact){ name, value, (uint32_t)name_len, (uint32_t)value_len };
    if (kp->n > DC_MAX_FACTS)
        return dc_error_set(err, DC_ERR_LIMIT, "%s:%u: more than %d facts (the limit per "
                            "device)", kp->file, line, DC_MAX_FACTS);
    return DC_OK;
}

/* Read one fact line [p, p+n) (trimmed, non-empty, not a comment). */
static dc_status kv_line(kv_parser *kp, uint32_t line, const char *p, size_t n, dc_error *err)
{
    const char *file = kp->file;
    char shown[256];
    const char *eq = memchr(p, '=', n);
    if (kp->selfdesc) {
        /* A rule with another operator, or a `where`. */
        size_t k = 0;
        while (k < n && (is_name_char(p[k]) || p[k] == '.'))
            k++;
        size_t j = k;
        while (j < n && is_blank(p[j]))
            j++;
        bool where_rule = k == 5 && memcmp(p, "where", 5) == 0 && j > k && (j == n || p[j] != '=');
        if (where_rule || (j < n && (p[j] == '!' || p[j] == '<' || p[j] == '>')))
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u: SELF block of a self-describing device must hold "
                                "literal facts: '%s' is not a 'name = value' rule",
                                file, line, show(shown, sizeof shown, p, n));
    }
    if (!eq) {
        bool yamlish = memchr(p, ':', n) != NULL;
        return dc_error_set(err, DC_ERR_FACTS, "%s:%u: expected 'name=value', got '%s'%s",
                            file, line, show(shown, sizeof shown, p, n),
                            yamlish ? " (for YAML, name the file .yaml or start it with "
                                      "'---')" : "");
    }
    /* the line is trimmed: the name can only end in blanks */
    const char *name = p;
    size_t name_len = (size_t)(eq - p);
    while (name_len && is_blank(name[name_len - 1]))
        name_len--;
    if (!name_ok(name, name_len)) {
        char msg[512];
        facts_valid_name(name, name_len, msg, sizeof msg);
        return dc_error_set(err, name_len > DC_MAX_NAME ? DC_ERR_LIMIT : DC_ERR_FACTS,
                            "%s:%u: %s", file, line, msg);
    }
    const char *value = eq + 1;
    const char *end = p + n;
    while (value < end && is_blank(*value))
        value++;
    size_t value_len = (size_t)(end - value);
    if (value < end && *value == '"') {
        dc_status st = kv_quoted(kp, line, p, value, end, name, name_len, &value_len, err);
        if (st != DC_OK)
            return st;
    } else if (kp->selfdesc) {
        /* '#' after a blank, outside quotes, starts a comment. */
        bool quoted = false;
        for (size_t i = 0; i < value_len; i++) {
            if (value[i] == '"')
                quoted = !quoted;
            else if (quoted && value[i] == '\\')
                i++;
            else if (!quoted && value[i] == '#' && i > 0 && is_blank(value[i - 1])) {
                value_len = i;
                break;
            }
        }
        facts_trim(&value, &value_len);
        if (memchr(value, '{', value_len))
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u: SELF block of a self-describing device must hold "
                                "literal facts: '%.*s' has a {...} placeholder",
                                file, line, (int)name_len, name);
        if (is_expression(value, value_len))
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u: SELF block of a self-describing device must hold "
                                "literal facts: '%.*s' is an arithmetic expression",
                                file, line, (int)name_len, name);
    }
    return kv_note(kp, line, name, name_len, value, value_len, err);
}

/* The common line, `name = value` with a plain value and a name that
 * cannot start a header, read in one scan; as many such lines as follow
 * one another from s, while the facts fit kp->facts and the limit.  Each
 * is noted as kv_note would; any other line, or one that needs an error,
 * is left to the general way.  Returns where that line starts (or end),
 * counting the lines read in *line. */
static const char *kv_plain(kv_parser *kp, const char *s, const char *end, uint32_t *line)
{
    kv_fact *facts = kp->facts;
    uint32_t n = kp->n, room = kp->cap < DC_MAX_FACTS ? kp->cap : DC_MAX_FACTS;
    const char *next = s;
    for (; s < end && n < room; s = next) {
        const char *p = s;
        while (is_blank(*p))
            if (++p == end)
                goto out;
        if (!has_class(*p, K_PLAIN))
            break;
        const char *q = word_run(p + 1, end);
        while (q < end && *q == '.') {
            if (++q == end || !is_name_start(*q))
                goto out;
            q = word_run(q + 1, end);
        }
        size_t name_len = (size_t)(q - p);
        while (q < end && is_blank(*q))
            q++;
        if (q == end || *q != '=' || name_len > DC_MAX_NAME)
            break;
        const char *v = q + 1, *e = end;
        while (v < end && is_blank(*v))
            v++;
        next = end;
        if (v < end) {
            if (*v == '"')
                break;
            e = text_span(v, end);
            if (e == end)
                next = end;
            else if (*e == '\n')
                next = e + 1;
            else if (*e == '\r' && e + 1 < end && e[1] == '\n')
                next = e + 2;
            else
                break;
            if (e > v)
                while (is_blank(e[-1]))     /* *v is not a blank: it stops there */
                    e--;
        }
        if ((size_t)(e - v) > DC_MAX_VALUE)
            break;
        facts[n++] = (kv_fact){ p, v, (uint32_t)name_len, (uint32_t)(e - v) };
        ++*line;
    }
out:
    kp->n = n;
    return s;
}

/* Read the whole text once.  Returns a bad byte's error (the first: every
 * byte before it was checked), or DC_OK with the first other error, if any,
 * in kp->pending; stops early with kp->restart when the text turns out to
 * be self-describing. */
static dc_status kv_pass(kv_parser *kp, dc_error *err)
{
    const char *file = kp->file, *end = kp->text + kp->len, *next;
    enum header block = HDR_NONE;
    uint32_t line = 0;
    bool any_fact = false;
    for (const char *s = kp->text; s < end; s = next) {
        if (!kp->selfdesc && kp->pending == DC_OK) {
            uint32_t noted = kp->n;
            s = kv_plain(kp, s, end, &line);
            any_fact |= kp->n > noted;
            if (s == end)
                break;
        }
        line++;
        const char *e = line_end(s, end, &next);
        if (!e)
            return bytes_error(file, line, (size_t)(next - s) + 1, *next, err);
        const char *p = s;
        while (p < e && is_blank(*p))
            p++;
        while (e > p && is_blank(e[-1]))
            e--;
        size_t n = (size_t)(e - p);
        if (n == 0 || p[0] == '#')
            continue;
        enum header h = header_of(p, n);
        if (h == HDR_COMPATIBLE && !kp->selfdesc) {
            kp->restart = true;
            return DC_OK;
        }
        if (kp->pending != DC_OK)
            continue;               /* only bytes and COMPATIBLE headers matter now */
        dc_error *perr = &kp->pending_err;
        char shown[256];
        dc_status st = DC_OK;
        if (h == HDR_BAD) {
            st = dc_error_set(perr, DC_ERR_FACTS, "%s:%u: malformed block header '%s'", file,
                              line, show(shown, sizeof shown, p, n));
        } else if (h == HDR_SELF) {
            if (kp->self_line)
                st = dc_error_set(perr, DC_ERR_FACTS, "%s:%u: second SELF block (the first "
                                  "is at line %u)", file, line, kp->self_line);
            else if (any_fact)
                st = dc_error_set(perr, DC_ERR_FACTS, "%s:%u: 'SELF:' must come before the "
                                  "facts", file, line);
            kp->self_line = line;
            block = h;
        } else if (h != HDR_NONE) {
            if (!kp->selfdesc)
                st = dc_error_set(perr, DC_ERR_FACTS, "%s:%u: a POLICY block in a facts text "
                                  "without COMPATIBLE blocks", file, line);
            block = h;
        } else if (kp->selfdesc && block == HDR_NONE) {
            st = dc_error_set(perr, DC_ERR_FACTS, "%s:%u: a rule before the first block "
                              "header of a self-describing device", file, line);
        } else if (block == HDR_SELF || block == HDR_NONE) {
            st = kv_line(kp, line, p, n, perr);
            any_fact = true;
        }
        /* POLICY and COMPATIBLE blocks are the policy compiler's to read. */
        kp->pending = st;
    }
    return DC_OK;
}

/* Order by name, then by place in the text. */
static int kv_cmp(const kv_fact *a, const kv_fact *b)
{
    int c = facts_name_cmp(a->name, a->name_len, b->name, b->name_len);
    return c ? c : (a->name > b->name) - (a->name < b->name);
}

static int kv_qcmp(const void *a, const void *b)
{
    return kv_cmp(a, b);
}

/* Sort many facts (more than KV_RANKED) in place. */
static void kv_sort(kv_fact *a, uint32_t n)
{
    qsort(a, n, sizeof *a, kv_qcmp);
}

#define KV_RANKED 16

/* A few facts (at most KV_RANKED), left in text order: rank[i] is the
 * place of facts[i] in name order, and the result the first duplicate in
 * text order (the second fact of a name), or NULL.  Names start with A-Z,
 * _ or a-z, in byte order from 'A': when no two start alike, a fact's rank
 * is the number of first bytes below its own.  Else each pair is compared. */
static const kv_fact *kv_rank(const kv_fact *a, uint32_t n, uint8_t *rank)
{
    uint64_t seen = 0;
    uint8_t fact_of[64];
    uint32_t i;
    for (i = 0; i < n; i++) {
        unsigned b = (unsigned char)a[i].name[0] - 'A';
        if (seen >> b & 1)
            break;
        seen |= (uint64_t)1 << b;
        fact_of[b] = (uint8_t)i;
    }
    if (i == n) {
        uint8_t r = 0;
        for (; seen; seen &= seen - 1)
            rank[fact_of[lowest_bit(seen)]] = r++;
        return NULL;
    }
    const kv_fact *dup = NULL;
    memset(rank, 0, n);
    for (i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) {
            int c = facts_name_cmp(a[i].name, a[i].name_len, a[j].name, a[j].name_len);
            if (c == 0 && (!dup || &a[j] < dup))
                dup = &a[j];
            rank[c > 0 ? i : j]++;      /* i before j on a tie: text order */
        }
    return dup;
}

/* The sorted facts' first duplicate in text order (the second fact of a
 * name), or NULL. */
static const kv_fact *kv_duplicate(const kv_fact *a, uint32_t n)
{
    const kv_fact *dup = NULL;
    for (uint32_t i = 1; i < n; i++)
        if (a[i].name_len == a[i - 1].name_len && a[i].name[0] == a[i - 1].name[0] &&
            memcmp(a[i].name, a[i - 1].name, a[i].name_len) == 0 &&
            (!dup || a[i].name < dup->name))
            dup = &a[i];
    return dup;
}

/* The line of text that `at` is on. */
static uint32_t line_of(const char *text, const char *at)
{
    uint32_t line = 1;
    for (const char *nl; (nl = memchr(text, '\n', (size_t)(at - text))); text = nl + 1)
        line++;
    return line;
}

/* The dc_facts of the sorted facts: one allocation, with a copy of the
 * text that their names and values point into (each ended by a NUL written
 * over what followed it, a quoted value decoded where it stood). */
static dc_facts *kv_build(const kv_parser *kp, const uint8_t *rank)
{
    size_t head = (sizeof(dc_facts) + 7) & ~(size_t)7, items = kp->n * sizeof(fact);
    if (kp->len > SIZE_MAX - head - items - 1)
        return NULL;
    char *block = mem_alloc(kp->alloc, head + items + kp->len + 1);
    if (!block)
        return NULL;
    dc_facts *f = (dc_facts *)block;
    *f = (dc_facts){ .alloc = kp->alloc, .items = (fact *)(block + head), .n = kp->n,
                     .cap = kp->n, .nshared = kp->n, .items_inline = true };
    char *copy = block + head + items;
    memcpy(copy, kp->text, kp->len);
    copy[kp->len] = '\0';
    f->strings = copy;
    f->strings_len = kp->len + 1;
    for (uint32_t i = 0; i < kp->n; i++) {
        const kv_fact *k = &kp->facts[i];
        fact *x = &f->items[rank ? rank[i] : i];
        x->name = copy + (k->name - kp->text);
        x->name_len = k->name_len;
        x->name[k->name_len] = '\0';
        x->value = copy + (k->value - kp->text);
        x->value_len = k->value_len;
        if (k->value_len && k->value[0] == '"')
            kv_unquote(x->value, x->value, k->value_len);
        x->value[k->value_len] = '\0';
    }
    return f;
}

dc_status facts_parse_text_ex(const dc_alloc *alloc, const char *file, const char *text,
                              size_t len, dc_facts **out, dc_error *err)
{
    if (!out || (!text && len))
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_parse_text: NULL argument");
    *out = NULL;
    if (!file)
        file = "<facts>";
    if (!text)
        text = "";
    kv_parser kp;
    kp.alloc = alloc;
    kp.file = file;
    kp.text = text;
    kp.len = len;
    kp.selfdesc = false;
    kp.facts = kp.small;
    kp.cap = sizeof kp.small / sizeof *kp.small;
    dc_status st;
    do {
        kp.restart = false;
        kp.self_line = 0;
        kp.n = 0;
        kp.pending = DC_OK;
        st = kv_pass(&kp, err);
        kp.selfdesc |= kp.restart;
    } while (kp.restart);
    const kv_fact *dup = NULL;
    uint8_t rank[KV_RANKED], *ranked = NULL;
    if (st == DC_OK && kp.n <= KV_RANKED) {
        dup = kv_rank(kp.facts, kp.n, rank);
        ranked = rank;
    } else if (st == DC_OK) {
        kv_sort(kp.facts, kp.n);
        dup = kv_duplicate(kp.facts, kp.n);
    }
    if (st != DC_OK) {
        /* a bad byte */
    } else if (dup) {
        st = dc_error_set(err, DC_ERR_FACTS, "%s:%u: duplicate fact '%.*s'", file,
                          line_of(text, dup->name), (int)dup->name_len, dup->name);
    } else if (kp.pending != DC_OK) {
        st = kp.pending;
        if (err)
            *err = kp.pending_err;
    } else if (kp.selfdesc && !kp.self_line) {
        st = dc_error_set(err, DC_ERR_FACTS, "%s: a self-describing device (with COMPATIBLE "
                          "blocks) needs a SELF block holding its facts", file);
    } else if (!(*out = kv_build(&kp, ranked))) {
        st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    }
    if (kp.facts != kp.small)
        mem_free(alloc, kp.facts);
    return st;
}

dc_status dc_facts_parse_text(const char *file, const char *text, size_t len,
                              dc_facts **out, dc_error *err)
{
    return facts_parse_text_ex(NULL, file, text, len, out, err);
}

/* ---------------------------------------------------------- any format */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m)
        return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return false;
    }
    return true;
}

static bool looks_like_yaml(const char *file, const char *text, size_t len)
{
    if (ends_with(file, ".yaml") || ends_with(file, ".yml") || ends_with(file, ".json"))
        return true;
    size_t i = 0;
    /* Skip blank lines and '#' comment lines. */
    while (i < len) {
        while (i < len && (is_blank(text[i]) || text[i] == '\n' || text[i] == '\r'))
            i++;
        if (i < len && text[i] == '#') {
            const char *nl = memchr(text + i, '\n', len - i);
            i = nl ? (size_t)(nl - text) + 1 : len;
            continue;
        }
        break;
    }
    if (i == len)
        return false;
    return text[i] == '{' || text[i] == '[' ||
           (len - i >= 3 && memcmp(text + i, "---", 3) == 0);
}

dc_status facts_parse_any(const dc_alloc *alloc, const char *file, const char *text,
                          size_t len, dc_facts **out, dc_error *err)
{
    if (!file)
        file = "<facts>";
    if (looks_like_yaml(file, text ? text : "", text ? len : 0))
        return facts_parse_yaml_ex(alloc, file, text, len, out, err);
    return facts_parse_text_ex(alloc, file, text, len, out, err);
}

dc_status dc_facts_read_file(const char *path, dc_facts **out, dc_error *err)
{
    if (!path || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_read_file: NULL argument");
    *out = NULL;
    char *data;
    size_t len;
    dc_status st = file_read_all(NULL, path, FACTS_MAX_FILE, &data, &len, err);
    if (st != DC_OK)
        return st;
    st = facts_parse_any(NULL, path, data, len, out, err);
    mem_free(NULL, data);
    return st;
}

/* ---------------------------------------------------------- rendering */

typedef struct sink {
    char *buf;
    size_t cap, len;
} sink;

static void put(sink *s, const char *p, size_t n)
{
    if (s->len < s->cap) {
        size_t room = s->cap - 1 - s->len;
        memcpy(s->buf + s->len, p, n < room ? n : room);
    }
    s->len += n;
}

static size_t finish(sink *s)
{
    if (s->cap)
        s->buf[s->len < s->cap ? s->len : s->cap - 1] = '\0';
    return s->len;
}

static bool needs_quotes(const char *v, size_t n)
{
    if (n == 0 || is_blank(v[0]) || is_blank(v[n - 1]) || v[0] == '\n' || v[n - 1] == '\n')
        return true;
    for (size_t i = 0; i < n; i++)
        if (v[i] == '"' || v[i] == '\\' || v[i] == '\n' || v[i] == '\t' || v[i] == '#')
            return true;
    return false;
}

size_t facts_render_text(const dc_facts *f, char *buf, size_t cap)
{
    sink s = { buf, cap, 0 };
    for (uint32_t i = 0; f && i < f->n; i++) {
        const fact *x = &f->items[i];
        put(&s, x->name, x->name_len);
        put(&s, "=", 1);
        if (!needs_quotes(x->value, x->value_len)) {
            put(&s, x->value, x->value_len);
        } else {
            put(&s, "\"", 1);
            for (uint32_t k = 0; k < x->value_len; k++) {
                char c = x->value[k];
                switch (c) {
                case '"': put(&s, "\\\"", 2); break;
                case '\\': put(&s, "\\\\", 2); break;
                case '\n': put(&s, "\\n", 2); break;
                case '\t': put(&s, "\\t", 2); break;
                default: put(&s, &c, 1); break;
                }
            }
            put(&s, "\"", 1);
        }
        put(&s, "\n", 1);
    }
    return finish(&s);
}

static void put_json_string(sink *s, const char *p, size_t n)
{
    put(s, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[8];
        switch (c) {
        case '"': put(s, "\\\"", 2); break;
        case '\\': put(s, "\\\\", 2); break;
        case '\n': put(s, "\\n", 2); break;
        case '\t': put(s, "\\t", 2); break;
        case '\r': put(s, "\\r", 2); break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                put(s, esc, 6);
            } else {
                put(s, (const char *)&p[i], 1);
            }
        }
    }
    put(s, "\"", 1);
}

size_t facts_render_json(const dc_facts *f, char *buf, size_t cap)
{
    sink s = { buf, cap, 0 };
    put(&s, "{", 1);
    for (uint32_t i = 0; f && i < f->n; i++) {
        if (i)
            put(&s, ", ", 2);
        put_json_string(&s, f->items[i].name, f->items[i].name_len);
        put(&s, ": ", 2);
        put_json_string(&s, f->items[i].value, f->items[i].value_len);
    }
    put(&s, "}\n", 2);
    return finish(&s);
}
