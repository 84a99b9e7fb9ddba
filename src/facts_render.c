/* facts_render.c -- facts written out: key=value text and flat JSON.
 *
 * The inverse of facts_kv.c: what facts_render_text writes reads back as
 * the same facts.
 */
#include <stdio.h>
#include <string.h>

#include "facts.h"
#include "facts_chars.h"

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

