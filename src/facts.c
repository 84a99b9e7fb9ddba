/* facts.c -- the dc_facts type, its validation, key=value text, files.
 *
 * A dc_facts is an array of facts kept sorted by name, so lookups are a
 * binary search and readers that produce sorted input append in O(1).  Each
 * fact is one allocation: "name\0value\0".
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

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
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

void dc_facts_free(dc_facts *f)
{
    if (!f)
        return;
    for (uint32_t i = 0; i < f->n; i++)
        mem_free(f->alloc, f->items[i].name);
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

/* Compare [a, a+an) with the NUL-terminated b of length bn, as strcmp. */
static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

/* Index of the first fact not less than the name; *found when equal. */
static uint32_t lower_bound(const dc_facts *f, const char *name, size_t len, bool *found)
{
    uint32_t lo = 0, hi = f->n;
    /* Readers often add in order: check the end first. */
    if (hi && name_cmp(name, len, f->items[hi - 1].name, f->items[hi - 1].name_len) > 0) {
        *found = false;
        return hi;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (name_cmp(f->items[mid].name, f->items[mid].name_len, name, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < f->n &&
             name_cmp(name, len, f->items[lo].name, f->items[lo].name_len) == 0;
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

static bool value_byte_ok(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n';
}

bool facts_valid_value(const char *value, size_t len, char *msg, size_t cap)
{
    if (len > DC_MAX_VALUE) {
        snprintf(msg, cap, "value is %zu bytes, longer than %d bytes (the limit)",
                 len, DC_MAX_VALUE);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (!value_byte_ok(c)) {
            char what[64];
            bad_byte(what, sizeof what, c);
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

bool facts_check_bytes(const char *file, const char *text, size_t len, dc_error *err)
{
    uint32_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            line++;
            line_start = i + 1;
            continue;
        }
        if ((c >= 0x20 && c < 0x7f) || c == '\t' || (c == '\r' && i + 1 < len && text[i + 1] == '\n'))
            continue;
        char what[64];
        bad_byte(what, sizeof what, c);
        dc_error_set(err, DC_ERR_FACTS, "%s:%u:%zu: %s (facts files are ASCII text)",
                     file, line, i - line_start + 1, what);
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
        fact *items = mem_grow(f->alloc, f->items, cap, sizeof *items);
        if (!items)
            return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
        f->items = items;
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
 */

enum header { HDR_NONE, HDR_SELF, HDR_POLICY, HDR_COMPATIBLE, HDR_BAD };

typedef struct kv_parser {
    const char *file;
    bool selfdesc;
    char *scratch;      /* decoded quoted values: the longest line fits */
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

/* Parse one fact line [p, p+n) (trimmed, non-empty, not a comment). */
static dc_status kv_line(kv_parser *kp, dc_facts *f, uint32_t line, const char *p, size_t n,
                         dc_error *err)
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
    const char *name = p;
    size_t name_len = (size_t)(eq - p);
    facts_trim(&name, &name_len);
    char msg[512];
    if (!facts_valid_name(name, name_len, msg, sizeof msg))
        return dc_error_set(err, name_len > DC_MAX_NAME ? DC_ERR_LIMIT : DC_ERR_FACTS,
                            "%s:%u: %s", file, line, msg);
    const char *v = eq + 1;
    const char *end = p + n;
    while (v < end && is_blank(*v))
        v++;
    const char *value;
    size_t value_len;
    if (v < end && *v == '"') {
        char *out = kp->scratch;
        size_t o = 0;
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
                char e = q < end ? *q : '\0';
                switch (e) {
                case '"': out[o++] = '"'; break;
                case '\\': out[o++] = '\\'; break;
                case 'n': out[o++] = '\n'; break;
                case 't': out[o++] = '\t'; break;
                default:
                    if (q == end)
                        return dc_error_set(err, DC_ERR_FACTS,
                                            "%s:%u:%zu: missing closing quote in the value "
                                            "of '%.*s'", file, line, (size_t)(v - p) + 1,
                                            (int)name_len, name);
                    return dc_error_set(err, DC_ERR_FACTS,
                                        "%s:%u:%zu: unknown escape '\\%c' in a quoted value "
                                        "(use \\\" \\\\ \\n or \\t)",
                                        file, line, (size_t)(q - p), e);
                }
                q++;
            } else {
                out[o++] = c;
            }
        }
        while (q < end && is_blank(*q))
            q++;
        if (q < end && *q != '#')
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u:%zu: unexpected text after the closing quote",
                                file, line, (size_t)(q - p) + 1);
        value = out;
        value_len = o;
    } else {
        value = v;
        value_len = (size_t)(end - v);
        if (kp->selfdesc) {
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
    }
    return facts_add_at(f, file, line, 0, name, name_len, value, value_len, err);
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
    if (!facts_check_bytes(file, text, len, err))
        return DC_ERR_FACTS;

    /* First pass: the longest line, and whether a COMPATIBLE header exists. */
    kv_parser kp = { file, false, NULL };
    size_t longest = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        const char *p = text + i;
        size_t m = n;
        if (m > longest)
            longest = m;
        facts_trim(&p, &m);
        if (m && header_of(p, m) == HDR_COMPATIBLE)
            kp.selfdesc = true;
        i += n + 1;
    }
    dc_facts *f = dc_facts_new_ex(alloc);
    kp.scratch = mem_alloc(alloc, longest + 1);
    if (!f || !kp.scratch) {
        dc_facts_free(f);
        mem_free(alloc, kp.scratch);
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    }

    dc_status st = DC_OK;
    enum header block = HDR_NONE;
    uint32_t self_line = 0, line = 0;
    bool any_fact = false;
    for (size_t i = 0; i < len && st == DC_OK;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        const char *p = text + i;
        i += n + 1;
        line++;
        facts_trim(&p, &n);
        if (n == 0 || p[0] == '#')
            continue;
        enum header h = header_of(p, n);
        char shown[256];
        if (h == HDR_BAD) {
            st = dc_error_set(err, DC_ERR_FACTS, "%s:%u: malformed block header '%s'", file,
                              line, show(shown, sizeof shown, p, n));
        } else if (h == HDR_SELF) {
            if (self_line)
                st = dc_error_set(err, DC_ERR_FACTS, "%s:%u: second SELF block (the first "
                                  "is at line %u)", file, line, self_line);
            else if (any_fact)
                st = dc_error_set(err, DC_ERR_FACTS, "%s:%u: 'SELF:' must come before the "
                                  "facts", file, line);
            self_line = line;
            block = h;
        } else if (h != HDR_NONE) {
            if (!kp.selfdesc)
                st = dc_error_set(err, DC_ERR_FACTS, "%s:%u: a POLICY block in a facts text "
                                  "without COMPATIBLE blocks", file, line);
            block = h;
        } else if (kp.selfdesc && block == HDR_NONE) {
            st = dc_error_set(err, DC_ERR_FACTS, "%s:%u: a rule before the first block "
                              "header of a self-describing device", file, line);
        } else if (block == HDR_SELF || block == HDR_NONE) {
            st = kv_line(&kp, f, line, p, n, err);
            any_fact = true;
        }
        /* POLICY and COMPATIBLE blocks are the policy compiler's to read. */
    }
    if (st == DC_OK && kp.selfdesc && !self_line)
        st = dc_error_set(err, DC_ERR_FACTS, "%s: a self-describing device (with COMPATIBLE "
                          "blocks) needs a SELF block holding its facts", file);
    mem_free(alloc, kp.scratch);
    if (st != DC_OK) {
        dc_facts_free(f);
        return st;
    }
    *out = f;
    return DC_OK;
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
