/* facts_kv.c -- the key=value facts text (docs/facts.md, format 1).
 *
 * Reads text into a dc_facts; knows nothing of files or other formats
 * (facts_file.c chooses the reader).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "facts.h"
#include "facts_kv_line.h"
#include "limits.h"

/* ---------------------------------------------------- key=value text */

/*
 * text    := line*
 * line    := blank* ( '#' any* | header | name blank* '=' blank* value )? blank*
 * header  := 'SELF' blank* ':' | 'POLICY' blank* ':' | 'COMPATIBLE' (blank+ name)? blank* ':'
 *            (followed by blanks and an optional '#' comment)
 * value   := '"' (char | '\"' | '\\' | '\n' | '\t')* '"' | any*
 *
 * '#' after a blank outside quotes starts a comment, as in the policy
 * language (`mtu=1500  # jumbo off`): a value holding " #" is quoted.
 * With a COMPATIBLE header anywhere, the text is a self-describing device's
 * policy (docs/language.md): only its SELF block is read.
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

typedef struct kv_parser {
    const dc_alloc *alloc;
    const char *file, *text;
    size_t len;
    bool selfdesc; /* the text has a COMPATIBLE header */
    bool restart;  /* one was found while !selfdesc: read again */
    uint32_t self_line;
    kv_fact *facts; /* in text order: `small`, or allocated */
    uint32_t n, cap;
    dc_status pending;    /* the first error in text order, its message in */
    dc_error pending_err; /* pending_err (a duplicate before it comes first) */
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
        return HDR_NONE; /* SELF = x: a fact named SELF */
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
                                "%s:%u:%zu: missing closing quote in the value of '%.*s'", file,
                                line, (size_t)(v - p) + 1, (int)name_len, name);
        char c = *q++;
        if (c == '"')
            break;
        if (c == '\\') {
            if (q == end)
                return dc_error_set(err, DC_ERR_FACTS,
                                    "%s:%u:%zu: missing closing quote in the value "
                                    "of '%.*s'",
                                    file, line, (size_t)(v - p) + 1, (int)name_len, name);
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
                            "%s:%u:%zu: unexpected text after the closing quote", file, line,
                            (size_t)(q - p) + 1);
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
                            facts_show(shown, sizeof shown, name, name_len), msg);
    }
    if (kp->n == kp->cap) {
        /* one more than the limit: that one may be a duplicate */
        uint32_t cap = kp->cap * 2 > DC_MAX_FACTS + 1 ? DC_MAX_FACTS + 1 : kp->cap * 2;
        kv_fact *facts = kp->facts == kp->small
                             ? mem_array(kp->alloc, cap, sizeof *facts)
                             : mem_grow(kp->alloc, kp->facts, cap, sizeof *facts);
        if (!facts)
            return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", kp->file);
        if (kp->facts == kp->small)
            memcpy(facts, kp->small, sizeof kp->small);
        kp->facts = facts;
        kp->cap = cap;
    }
    kp->facts[kp->n++] = (kv_fact){ name, value, (uint32_t)name_len, (uint32_t)value_len };
    if (kp->n > DC_MAX_FACTS)
        return dc_error_set(err, DC_ERR_LIMIT,
                            "%s:%u: more than %d facts (the limit per "
                            "device)",
                            kp->file, line, DC_MAX_FACTS);
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
        bool where_rule =
            k == 5 && memcmp(p, "where", 5) == 0 && j > k && (j == n || p[j] != '=');
        if (where_rule || (j < n && (p[j] == '!' || p[j] == '<' || p[j] == '>')))
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u: SELF block of a self-describing device must hold "
                                "literal facts: '%s' is not a 'name = value' rule",
                                file, line, facts_show(shown, sizeof shown, p, n));
    }
    if (!eq) {
        bool yamlish = memchr(p, ':', n) != NULL;
        return dc_error_set(err, DC_ERR_FACTS, "%s:%u: expected 'name=value', got '%s'%s", file,
                            line, facts_show(shown, sizeof shown, p, n),
                            yamlish ? " (for YAML, name the file .yaml or start it with "
                                      "'---')"
                                    : "");
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
    } else {
        /* '#' after a blank, outside quotes, starts a comment, as in a
         * policy (docs/facts.md). */
        bool quoted = false;
        for (size_t i = 0; i < value_len; i++) {
            if (value[i] == '"')
                quoted = !quoted;
            else if (quoted && value[i] == '\\')
                i++;
            else if (!quoted && value[i] == '#' && is_blank(*(value + i - 1))) {
                value_len = i; /* value[-1] is the line's: '=' or a blank */
                break;
            }
        }
        facts_trim(&value, &value_len);
    }
    if (kp->selfdesc && value < end && *value != '"') {
        if (memchr(value, '{', value_len))
            return dc_error_set(err, DC_ERR_FACTS,
                                "%s:%u: SELF block of a self-describing device must hold "
                                "literal facts: '%.*s' has a {...} placeholder",
                                file, line, (int)name_len, name);
    }
    return kv_note(kp, line, name, name_len, value, value_len, err);
}

/* As many common lines (kv_plain_next) as follow one another from s,
 * while the facts fit kp->facts and the limit.  Returns where the first
 * other line starts (or end), counting the lines read in *line. */
static const char *kv_plain(kv_parser *kp, const char *s, const char *end, uint32_t *line)
{
    uint32_t n = kp->n, room = kp->cap < DC_MAX_FACTS ? kp->cap : DC_MAX_FACTS;
    const char *next;
    enum kv_line_kind k;
    for (; s < end && n < room &&
           (k = kv_plain_next(kp->text, s, end, &kp->facts[n], &next)) != KV_OTHER;
         s = next) {
        n += k == KV_FACT;
        ++*line;
    }
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
            return facts_bytes_error(file, line, (size_t)(next - s) + 1, *next, err);
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
            continue; /* only bytes and COMPATIBLE headers matter now */
        dc_error *perr = &kp->pending_err;
        char shown[256];
        dc_status st = DC_OK;
        if (h == HDR_BAD) {
            st = dc_error_set(perr, DC_ERR_FACTS, "%s:%u: malformed block header '%s'", file,
                              line, facts_show(shown, sizeof shown, p, n));
        } else if (h == HDR_SELF) {
            if (kp->self_line)
                st = dc_error_set(perr, DC_ERR_FACTS,
                                  "%s:%u: second SELF block (the first "
                                  "is at line %u)",
                                  file, line, kp->self_line);
            else if (any_fact)
                st = dc_error_set(perr, DC_ERR_FACTS,
                                  "%s:%u: 'SELF:' must come before the "
                                  "facts",
                                  file, line);
            kp->self_line = line;
            block = h;
        } else if (h != HDR_NONE) {
            if (!kp->selfdesc)
                st = dc_error_set(perr, DC_ERR_FACTS,
                                  "%s:%u: a POLICY block in a facts text "
                                  "without COMPATIBLE blocks",
                                  file, line);
            block = h;
        } else if (kp->selfdesc && block == HDR_NONE) {
            st = dc_error_set(perr, DC_ERR_FACTS,
                              "%s:%u: a rule before the first block "
                              "header of a self-describing device",
                              file, line);
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
            rank[c > 0 ? i : j]++; /* i before j on a tie: text order */
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
    *f = (dc_facts){ .alloc = kp->alloc,
                     .items = (fact *)(block + head),
                     .n = kp->n,
                     .cap = kp->n,
                     .nshared = kp->n,
                     .items_inline = true };
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
        st = dc_error_set(err, DC_ERR_FACTS,
                          "%s: a self-describing device (with COMPATIBLE "
                          "blocks) needs a SELF block holding its facts",
                          file);
    } else if (!(*out = kv_build(&kp, ranked))) {
        st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", file);
    }
    if (kp.facts != kp.small)
        mem_free(alloc, kp.facts);
    return st;
}

dc_status dc_facts_parse_text(const char *file, const char *text, size_t len, dc_facts **out,
                              dc_error *err)
{
    return facts_parse_text_ex(NULL, file, text, len, out, err);
}
