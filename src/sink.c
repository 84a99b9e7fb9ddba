/* sink.c -- text output, bounded or growing, and its escapings (sink.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sink.h"

sink sink_bounded(char *buf, size_t cap)
{
    sink s = { buf, cap, 0, NULL, false, false };
    return s;
}

sink sink_growing(const dc_alloc *alloc)
{
    sink s = { NULL, 0, 0, alloc, true, false };
    return s;
}

void sink_reset(sink *s)
{
    s->len = 0;
    if (s->buf)
        s->buf[0] = '\0';
}

void sink_free(sink *s)
{
    if (s->growing) {
        mem_free(s->alloc, s->buf);
        s->buf = NULL;
        s->cap = s->len = 0;
    }
}

const char *sink_str(const sink *s)
{
    return s->buf ? s->buf : "";
}

/* A growing sink with room for n more bytes and a NUL, doubling its buffer;
 * false (and s->failed) when it cannot. */
static bool sink_room(sink *s, size_t n)
{
    if (s->failed)
        return false;
    if (n >= SIZE_MAX - s->len) {
        s->failed = true;
        return false;
    }
    size_t need = s->len + n + 1;
    if (need <= s->cap)
        return true;
    size_t ncap = s->cap ? s->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    char *nb = mem_grow(s->alloc, s->buf, ncap, 1);
    if (!nb) {
        s->failed = true;
        return false;
    }
    s->buf = nb;
    s->cap = ncap;
    return true;
}

void sink_put(sink *s, const char *p, size_t n)
{
    if (s->growing) {
        if (!sink_room(s, n))
            return; /* len stays the length of what is held */
        memcpy(s->buf + s->len, p, n);
        s->buf[s->len + n] = '\0';
    } else if (s->len < s->cap) {
        size_t room = s->cap - 1 - s->len;
        memcpy(s->buf + s->len, p, n < room ? n : room);
    }
    s->len += n;
}

void sink_puts(sink *s, const char *p)
{
    sink_put(s, p, strlen(p));
}

void sink_printf(sink *s, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if ((size_t)k < sizeof small) {
        sink_put(s, small, (size_t)k);
        return;
    }
    /* longer than the small buffer: write straight into the sink's room */
    if (s->growing && !sink_room(s, (size_t)k))
        return;
    size_t room = s->len < s->cap ? s->cap - s->len : 0;
    va_start(ap, fmt);
    if (room)
        vsnprintf(s->buf + s->len, room, fmt, ap);
    va_end(ap);
    s->len += (size_t)k;
}

size_t sink_finish(sink *s)
{
    if (s->cap)
        s->buf[s->len < s->cap ? s->len : s->cap - 1] = '\0';
    return s->len;
}

size_t utf8_seq(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min, cp;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void sink_json(sink *s, const char *p, size_t n)
{
    if (!p) {
        sink_put(s, "null", 4);
        return;
    }
    const unsigned char *u = (const unsigned char *)p;
    sink_put(s, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        char esc[8];
        switch (c) {
        case '"':
            sink_put(s, "\\\"", 2);
            i++;
            continue;
        case '\\':
            sink_put(s, "\\\\", 2);
            i++;
            continue;
        case '\n':
            sink_put(s, "\\n", 2);
            i++;
            continue;
        case '\t':
            sink_put(s, "\\t", 2);
            i++;
            continue;
        case '\r':
            sink_put(s, "\\r", 2);
            i++;
            continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sink_put(s, esc, 6);
            i++;
            continue;
        }
        size_t k = utf8_seq(u + i, n - i);
        if (k) {
            sink_put(s, p + i, k);
            i += k;
        } else {
            snprintf(esc, sizeof esc, "\\\\x%02X", c); /* the text \xHH */
            sink_put(s, esc, 5);
            i++;
        }
    }
    sink_put(s, "\"", 1);
}

void sink_json_str(sink *s, const char *p)
{
    sink_json(s, p, p ? strlen(p) : 0);
}

size_t sink_text_width(const char *p, size_t n, size_t *used)
{
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] == '\t' || (u[0] >= 0x20 && u[0] < 0x7f)) {
        *used = 1;
        return 1;
    }
    size_t k = u[0] >= 0x80 ? utf8_seq(u, n) : 0;
    *used = k ? k : 1;
    return k ? 1 : 4;
}

void sink_text(sink *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t used;
        if (sink_text_width(p + i, n - i, &used) == 4) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\x%02X", (unsigned char)p[i]);
            sink_put(s, esc, 4);
        } else {
            sink_put(s, p + i, used);
        }
        i += used;
    }
}
